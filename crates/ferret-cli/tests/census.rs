//! The process census (on by default on iOS) end to end: an implant no indicator names is HIGH
//! once, with its reason, with and without `-o` and through `check-iocs`; `--no-process-census`
//! turns it off, `--process-census` is still accepted; a clean generated phone and the real
//! filesystem pieces raise nothing.

use std::path::Path;
use std::process::Output;

use ferret_core::{Alert, Level};
use ferret_testdata::sysdiagnose::{DEFAULT_NAME, IMPLANT_FOLDER, census_phone, write_folder};
use ferret_testdata::testkit::{Ferret, s, shared, stdout};

fn ferret(args: &[&str]) -> Output {
    Ferret::new(env!("CARGO_BIN_EXE_ferret")).run(args)
}

fn alerts(dir: &Path) -> Vec<Alert> {
    serde_json::from_slice(&std::fs::read(dir.join("alerts.json")).expect("alerts.json")).expect("parses")
}

fn census_alerts(dir: &Path) -> Vec<Alert> {
    alerts(dir).into_iter().filter(|a| a.module == "process_census").collect()
}

fn records(dir: &Path) -> Vec<serde_json::Value> {
    serde_json::from_slice(&std::fs::read(dir.join("process_census.json")).expect("process_census.json"))
        .expect("parses")
}

#[test]
fn an_implant_named_after_a_daemon_is_high_once_on_every_path() {
    let work = tempfile::tempdir().expect("tmp");
    let (files, implant) = census_phone(7, true);
    let implant = implant.expect("planted");
    let name = implant.rsplit('/').next().expect("name").to_string();
    let root = write_folder(work.path(), DEFAULT_NAME, &files).expect("writes");

    // with -o, by default
    let out = work.path().join("r");
    let o = ferret(&["check", "--no-default-iocs", "-o", s(&out), s(&root)]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let census = census_alerts(&out);
    let message = format!(
        "Process {name:?} ({implant:?}) is named like the Apple executable {name:?} but runs from a data folder \
         ({IMPLANT_FOLDER})"
    );
    let got: Vec<(Level, &str)> = census.iter().map(|a| (a.level, a.message.as_str())).collect();
    assert_eq!(got, vec![(Level::High, message.as_str())], "exactly once, HIGH, with the reason");
    // first seen: the reboot it delayed (the third block of shutdown.log, 2 days after the first)
    let t = census[0].event_time.expect("an event time").as_second();
    assert!((1_763_000_000 + 2 * 86_400 - 10..=1_763_000_000 + 2 * 86_400).contains(&t), "{t}");
    let recs = records(&out);
    let rec = recs.iter().find(|r| r["name"] == name.as_str()).expect("a census record");
    assert_eq!(rec["modules"], serde_json::json!(["ps", "shutdown_log"]));
    assert_eq!(rec["paths"], serde_json::json!([implant]));
    assert_eq!(rec["nearest_apple"], name.as_str());
    // the app and nothing else besides the implant
    let names: Vec<&str> = recs.iter().filter_map(|r| r["name"].as_str()).collect();
    assert_eq!(names, vec!["Chat", name.as_str()]);

    // without -o: the same pass, the same alert (the old opt-in flag still accepted)
    let o = ferret(&["check", "--no-default-iocs", "--process-census", s(&root)]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    let line = text.lines().find(|l| l.trim_start().starts_with("process_census")).expect("a process_census line");
    assert!(line.trim_end().ends_with(" 1 HIGH"), "{line}");
    assert!(text.contains(&message), "{text}");

    // check-iocs on the stored results runs the census again over the stored records
    let again = work.path().join("again");
    let o = ferret(&["check-iocs", "--no-default-iocs", "-o", s(&again), s(&out)]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(census_alerts(&again), census);

    // --no-process-census: the pass does not run
    let plain = work.path().join("plain");
    let o = ferret(&["check", "--no-default-iocs", "--no-process-census", "-o", s(&plain), s(&root)]);
    assert_eq!(o.status.code(), Some(1), "ps's own alert on the data folder: {}", String::from_utf8_lossy(&o.stderr));
    assert!(census_alerts(&plain).is_empty());
    assert!(!plain.join("process_census.json").exists());
    // check-iocs runs it by default over results checked without it, and not when told not to
    let again = work.path().join("again-plain");
    let o = ferret(&["check-iocs", "--no-default-iocs", "-o", s(&again), s(&plain)]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(census_alerts(&again), census);
    let off = work.path().join("again-off");
    let o = ferret(&["check-iocs", "--no-default-iocs", "--no-process-census", "-o", s(&off), s(&out)]);
    assert_eq!(o.status.code(), Some(1), "ps's own alert: {}", String::from_utf8_lossy(&o.stderr));
    assert!(census_alerts(&off).is_empty());
    assert!(!off.join("process_census.json").exists());
    // both flags at once make no sense: a usage error
    let o = ferret(&["check", "--process-census", "--no-process-census", s(&root)]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_clean_phone_raises_nothing_and_lists_its_app() {
    let work = tempfile::tempdir().expect("tmp");
    let (files, implant) = census_phone(7, false);
    assert_eq!(implant, None);
    let root = write_folder(work.path(), DEFAULT_NAME, &files).expect("writes");
    let out = work.path().join("r");
    let o = ferret(&["check", "--no-default-iocs", "-o", s(&out), s(&root)]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(alerts(&out), Vec::new());
    let recs = records(&out);
    let got: Vec<(&str, &str)> =
        recs.iter().map(|r| (r["name"].as_str().unwrap_or(""), r["classification"].as_str().unwrap_or(""))).collect();
    assert_eq!(got, vec![("Chat", "installed_app")]);
}

/// The real iOS filesystem pieces (three phones) raise nothing above LOW from the census.
#[test]
fn real_filesystem_pieces_raise_nothing_above_low() {
    for image in ["josh_ios17", "mvs_2023", "belka6"] {
        let Some(dir) = shared(&format!("real/ios-fs/{image}")) else { return };
        let work = tempfile::tempdir().expect("tmp");
        let out = work.path().join("r");
        let o = ferret(&["check", "--no-default-iocs", "-o", s(&out), s(&dir)]);
        assert!(o.status.code().is_some(), "{image}: {}", String::from_utf8_lossy(&o.stderr));
        let above_low: Vec<String> =
            census_alerts(&out).into_iter().filter(|a| a.level > Level::Low).map(|a| a.message).collect();
        assert_eq!(above_low, Vec::<String>::new(), "{image}");
        let info: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("info.json")).expect("info.json")).expect("parses");
        let census = info["modules"].as_array().and_then(|m| m.iter().find(|m| m["module"] == "process_census"));
        assert_eq!(census.map(|c| c["status"].clone()), Some(serde_json::json!("completed")), "{image}");
    }
}

/// The census and the incident windows together: the implant's own census alert and the
/// shutdown log's alert about the reboot it delayed fall within minutes of each other and form
/// one window from two artifacts; without the census the shutdown log alone forms none.
#[test]
fn the_implant_and_the_reboot_it_delayed_form_one_incident_window() {
    let work = tempfile::tempdir().expect("tmp");
    let (files, implant) = census_phone(11, true);
    let implant = implant.expect("planted");
    let root = write_folder(work.path(), DEFAULT_NAME, &files).expect("writes");
    let windows = |dir: &Path| -> Vec<serde_json::Value> {
        serde_json::from_slice(&std::fs::read(dir.join("incidents.json")).expect("incidents.json")).expect("parses")
    };
    let out = work.path().join("r");
    let o = ferret(&["check", "--no-default-iocs", "-o", s(&out), s(&root)]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let w = windows(&out);
    assert_eq!(w.len(), 1, "{w:#?}");
    let members: Vec<(String, String)> = w[0]["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| (m["module"].as_str().unwrap_or("").to_string(), m["level"].as_str().unwrap_or("").to_string()))
        .collect();
    let all = alerts(&out);
    let timed_near: Vec<(String, String)> = all
        .iter()
        .filter(|a| a.level >= Level::Medium && a.event_time.is_some())
        .map(|a| (a.module.clone(), a.level.to_string()))
        .collect();
    assert_eq!(members, timed_near, "the window holds every timed MEDIUM+ alert of the phone, and only those");
    assert!(members.iter().any(|(m, l)| m == "process_census" && l == "HIGH"), "{members:?}");
    assert!(members.iter().any(|(m, _)| m == "shutdown_log"), "{members:?}");
    assert_eq!(w[0]["level"], "HIGH");
    assert_eq!(w[0]["agreeing_artifacts"], serde_json::json!(["process_census", "shutdown_log"]));
    assert!(all.iter().any(|a| a.message.contains(&implant)));

    // the shutdown log alone is one artifact: no window
    let plain = work.path().join("plain");
    let _ = ferret(&["check", "--no-default-iocs", "--no-process-census", "-o", s(&plain), s(&root)]);
    assert_eq!(windows(&plain), Vec::<serde_json::Value>::new());
}
