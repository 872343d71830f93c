//! Incident windows end to end: a generated sysdiagnose with a planted burst (a binary from an
//! unusual location that delays reboots, and a crash of another binary from an unusual location
//! minutes later) forms exactly one window with exactly those members, raised from MEDIUM to
//! HIGH (exit code 1); the same traces hours apart form none (exit code 0). `check` with and
//! without `-o`, `check-iocs` on the results and `ferret report` give the same windows.
//! The process census is off here (`--no-process-census`): it would add its own HIGH alerts on
//! these two programs in data folders; the census within a window is `census.rs`'s test.

use std::path::Path;

use ferret_testdata::testkit::{Ferret, bundle_file, s, stderr, stdout};
use ferret_testdata::truth::Truth;
use serde_json::Value;

fn ferret() -> Ferret {
    Ferret::new(env!("CARGO_BIN_EXE_ferret"))
}

fn json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))).expect("json")
}

const T0: i64 = 1_763_000_000;

fn sysdiagnose(dir: &Path, shutdown_at: i64, crash_at: i64) -> (std::path::PathBuf, String, String) {
    let (files, client, crashed) = ferret_testdata::sysdiagnose::incident_burst(7, shutdown_at, crash_at);
    let root = ferret_testdata::sysdiagnose::write_folder(dir, ferret_testdata::sysdiagnose::DEFAULT_NAME, &files)
        .expect("sysdiagnose");
    (root, client, crashed)
}

#[test]
fn a_planted_burst_forms_one_raised_window_everywhere() {
    let work = tempfile::tempdir().expect("tmp");
    let iocs = bundle_file(work.path(), &Truth::default());
    let (acq, client, crashed) = sysdiagnose(&work.path().join("acq"), T0, T0 + 180);
    let out = work.path().join("results");
    let o =
        ferret().run(["check", "--no-default-iocs", "--no-process-census", "--iocs", s(&iocs), "-o", s(&out), s(&acq)]);
    assert_eq!(o.status.code(), Some(1), "a raised window is an alert: {}\n{}", stdout(&o), stderr(&o));

    // no alert is HIGH by itself: the two MEDIUM signals are the whole burst
    let alerts = json(&out.join("alerts.json"));
    let levels: Vec<(&str, &str)> = alerts
        .as_array()
        .expect("array")
        .iter()
        .map(|a| (a["module"].as_str().unwrap_or(""), a["level"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(levels, vec![("shutdown_log", "MEDIUM"), ("crash_logs", "MEDIUM")], "{alerts:#}");

    let windows = json(&out.join("incidents.json"));
    let w = windows.as_array().expect("array");
    assert_eq!(w.len(), 1, "{windows:#}");
    assert_eq!(
        (w[0]["id"].as_str(), w[0]["level"].as_str(), w[0]["raised"].as_bool()),
        (Some("W1"), Some("HIGH"), Some(true))
    );
    let members: Vec<(&str, &str)> = w[0]["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| (m["module"].as_str().unwrap_or(""), m["message"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(members.len(), 2, "{members:?}");
    assert!(members[0].0 == "shutdown_log" && members[0].1.contains(&client), "{members:?}");
    assert!(members[1].0 == "crash_logs" && members[1].1.contains(&crashed), "{members:?}");
    assert_eq!(w[0]["start"].as_str(), Some("2025-11-13 02:13:20.000000"));
    assert_eq!(w[0]["end"].as_str(), Some("2025-11-13 02:16:20.000000"));

    let info = json(&out.join("info.json"));
    assert_eq!(info["incidents"], serde_json::json!({"windows": 1, "raised": 1, "raised_to_high": 1}));
    assert_eq!(info["verdict"]["state"], "alerts_found");
    assert_eq!(info["verdict"]["raised_incidents"], 1);
    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    assert!(html.contains("id=\"incident-W1\""), "the window is in the report");
    assert!(
        html.find("id=\"incidents\"") < html.find("id=\"evidence\""),
        "the windows come before the evidence, at the top of the page"
    );
    let text = stdout(&o);
    assert!(text.contains("Incident windows (alerts from several checks within 5 minutes): 1, 1 raised"), "{text}");
    assert!(text.contains("ALERTS FOUND: 1 incident window"), "{text}");

    // without -o: the same windows in the terminal and the same exit code
    let o2 = ferret().run(["check", "--no-default-iocs", "--no-process-census", "--iocs", s(&iocs), s(&acq)]);
    assert_eq!(o2.status.code(), Some(1));
    let line = |t: &str| t.lines().find(|l| l.starts_with("  W1 ")).map(str::to_string);
    assert_eq!(line(&stdout(&o2)), line(&text));
    assert!(line(&text).is_some());

    // check-iocs on the results: the same windows
    let re = work.path().join("recheck");
    let o3 = ferret().run([
        "check-iocs",
        "--no-default-iocs",
        "--no-process-census",
        "--iocs",
        s(&iocs),
        "-o",
        s(&re),
        s(&out),
    ]);
    assert_eq!(o3.status.code(), Some(1), "{}", stderr(&o3));
    assert_eq!(json(&re.join("incidents.json")), windows);

    // ferret report rebuilds the same page
    std::fs::remove_file(out.join("report.html")).expect("rm");
    let o4 = ferret().run(["report", s(&out)]);
    assert_eq!(o4.status.code(), Some(0), "{}", stderr(&o4));
    assert_eq!(std::fs::read_to_string(out.join("report.html")).expect("html"), html);
}

#[test]
fn the_same_traces_hours_apart_form_no_window() {
    let work = tempfile::tempdir().expect("tmp");
    let iocs = bundle_file(work.path(), &Truth::default());
    let (acq, _, _) = sysdiagnose(&work.path().join("acq"), T0, T0 + 3 * 3600);
    let out = work.path().join("results");
    let o =
        ferret().run(["check", "--no-default-iocs", "--no-process-census", "--iocs", s(&iocs), "-o", s(&out), s(&acq)]);
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
    assert_eq!(json(&out.join("alerts.json")).as_array().map(Vec::len), Some(2), "the same two MEDIUM alerts");
    assert_eq!(json(&out.join("incidents.json")), serde_json::json!([]));
    let info = json(&out.join("info.json"));
    assert_eq!(info["incidents"], serde_json::json!({"windows": 0, "raised": 0, "raised_to_high": 0}));
    assert!(!stdout(&o).contains("Incident windows"), "{}", stdout(&o));
    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    assert!(!html.contains("id=\"incidents\""));
}
