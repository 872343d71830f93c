//! End-to-end tests of Android intrusion logs through the binary: `ferret check` detects an
//! export by its content, `ferret check-intrusion-logs` reads a folder or a zip, results match
//! the truth exactly (recall and precision), problems are listed once in `info.json`, and an
//! export with nothing usable is "incomplete" (exit 2).

use std::process::Output;

use ferret_testdata::android::intrusion::{IntrusionSpec, write_intrusion_dir, write_intrusion_zip};
use ferret_testdata::testkit::{Ferret, assert_results_exact, bundle_file, s, snapshot};

fn ferret(args: &[&str]) -> Output {
    Ferret::new(env!("CARGO_BIN_EXE_ferret")).run(args)
}

fn json(p: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).expect("read")).expect("json")
}

#[test]
fn folder_export_auto_detected_exact() {
    let work = tempfile::tempdir().expect("tmp");
    let acq = work.path().join("export");
    let spec = IntrusionSpec { events: 3000, damaged: true, ..IntrusionSpec::default() };
    let truth = write_intrusion_dir(&acq, &spec).expect("gen");
    let iocs = bundle_file(work.path(), &truth);
    let before = snapshot(&acq);
    let out = work.path().join("r");
    let o = ferret(&["check", "--no-default-iocs", "--iocs", s(&iocs), "-o", s(&out), s(&acq)]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    assert_results_exact(&out, &truth);
    assert_eq!(before, snapshot(&acq), "evidence unchanged");
    let info = json(&out.join("info.json"));
    assert_eq!(info["run"]["target"]["kind"], "android_intrusion_logs");
    let problems: Vec<&str> =
        info["run"]["problems"].as_array().expect("problems").iter().filter_map(|p| p.as_str()).collect();
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert!(problems[1].starts_with("2 lines of the intrusion logs are not a valid event"), "{problems:?}");
    // MVT's module names are ferret's: one records file per event type, in MVT's shape
    let sec = json(&out.join("security_event.json"));
    let cmd = sec.as_array().expect("list").iter().find(|r| {
        r["tag"] == "adb_shell_cmd"
            && r["adb_shell_cmd"]["command"].as_str().is_some_and(|c| c.contains("enabled_accessibility_services"))
    });
    assert!(cmd.is_some());
    let dns = json(&out.join("dns_event.json"));
    assert_eq!(
        dns.as_array().expect("list").len()
            + json(&out.join("connect_event.json")).as_array().expect("list").len()
            + sec.as_array().expect("list").len(),
        spec.events + 2 * spec.days + 15
    );
    let timeline = std::fs::read_to_string(out.join("timeline.csv")).expect("timeline");
    assert!(
        timeline.contains("dns_query")
            && timeline.contains("network_connection")
            && timeline.contains("logging_stopped")
    );
    // check-iocs re-checks the stored records: the same alerts
    let re = work.path().join("re");
    let o = ferret(&["check-iocs", "--no-default-iocs", "--iocs", s(&iocs), "-o", s(&re), s(&out)]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    assert_results_exact(&re, &truth);
}

#[test]
fn zip_export_by_command_and_wrong_commands() {
    let work = tempfile::tempdir().expect("tmp");
    let zip = work.path().join("intrusion-logs.zip");
    let truth =
        write_intrusion_zip(&zip, &IntrusionSpec { events: 2000, ..IntrusionSpec::default() }, &[]).expect("gen");
    let iocs = bundle_file(work.path(), &truth);
    for (i, cmd) in [&["check-intrusion-logs"][..], &["android", "check-intrusion-logs"]].iter().enumerate() {
        let out = work.path().join(format!("r{i}"));
        let mut args = cmd.to_vec();
        args.extend(["--no-default-iocs", "--iocs", s(&iocs), "-o", s(&out), s(&zip)]);
        let o = ferret(&args);
        assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
        assert_results_exact(&out, &truth);
    }
    // another command on it names the type and the command to run
    let o = ferret(&["android", "check-bugreport", "--no-default-iocs", s(&zip)]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("is Android intrusion logs") && err.contains("ferret check-intrusion-logs"), "{err}");
    // --list-modules on it: the three modules
    let o = ferret(&["check", "--list-modules", s(&zip)]);
    let text = String::from_utf8_lossy(&o.stdout);
    for m in ["dns_event", "connect_event", "security_event"] {
        assert!(text.contains(m), "{text}");
    }
}

#[test]
fn an_export_with_nothing_usable_is_incomplete() {
    let work = tempfile::tempdir().expect("tmp");
    let acq = work.path().join("export");
    std::fs::create_dir(&acq).expect("mkdir");
    // the first line makes it a log (an event of a type ferret does not read); the rest is bad
    std::fs::write(acq.join("log.txt"), "{\"future_event\": {}}\n{\"dns_event\": 1}\nnot json\n").expect("write");
    let out = work.path().join("r");
    let o = ferret(&["check-intrusion-logs", "--no-default-iocs", "-o", s(&out), s(&acq)]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    let info = json(&out.join("info.json"));
    assert_eq!(info["verdict"]["state"], "incomplete", "{}", info["verdict"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("2 lines of the intrusion logs are not a valid event"), "{err}");
}
