//! check-iocs on stored results finds exactly what a full run with the new indicators finds.

mod common;

use common::*;
use ferret_report::{FolderOptions, InfoFile, ResultsFolder, check_iocs};

#[test]
fn recheck_equals_full_run_with_new_indicators() {
    let mods = modules(400);
    let refs: Vec<&dyn ferret_core::Module> = mods.iter().map(|m| m.as_ref()).collect();

    // Original run with old indicators.
    let first = tempfile::tempdir().expect("tmp");
    let folder = ResultsFolder::create(first.path()).expect("create");
    let old = indicators(&["evil.example"]);
    folder.finish(run(&mods, &old, &folder, 2), &run_info()).expect("finish");
    drop(folder);
    let before = snapshot(first.path());

    // Full run with the new indicators.
    let new = indicators(&["later.example"]);
    let full = tempfile::tempdir().expect("tmp");
    let folder = ResultsFolder::create_with(full.path(), FolderOptions::default()).expect("create");
    let full_summary = folder.finish(run(&mods, &new, &folder, 2), &run_info()).expect("finish");
    assert!(full_summary.counts.critical > 0, "new indicators hit something");

    // Re-check of the stored results with the new indicators.
    let mut ri = run_info();
    ri.target = Default::default();
    ri.device = Default::default();
    let (out, summary) = check_iocs(first.path(), &refs, &new, &ri).expect("check-iocs");
    assert_eq!(out, first.path().join("check-iocs"));
    assert_eq!(summary.alerts, full_summary.alerts, "same alerts as a full run");
    assert_eq!(summary.counts, full_summary.counts);
    for f in ["alerts.json", "alerts_timeline.csv", "fake_a_detected.json", "fake_b_detected.json"] {
        assert!(std::fs::read(out.join(f)).expect(f) == std::fs::read(full.path().join(f)).expect(f), "{f} identical");
    }
    assert!(
        summary.alerts.iter().any(|a| a.message.contains("evil hosts in one artifact")),
        "cross-record heuristic carried"
    );
    assert!(!summary.alerts.iter().any(|a| a.message.contains("evil.example")), "old indicator hits are gone");

    // The original files are untouched; the re-check's info.json says what it is.
    let after: Vec<_> = snapshot(first.path());
    assert_eq!(before, after);
    let info: InfoFile = serde_json::from_slice(&std::fs::read(out.join("info.json")).expect("info")).expect("shape");
    assert_eq!(info.run.recheck_of.as_deref(), Some(".."));
    assert_eq!(info.run.target, run_info().target, "target carried from the original run");
    assert_eq!(info.timeline_events, 0);
    assert!(!out.join("timeline.csv").exists());

    // Its report shows the original timeline, and `ferret report` rebuilds it identically.
    let html = std::fs::read(out.join("report.html")).expect("html");
    let text = String::from_utf8_lossy(&html);
    assert!(text.contains("This is a re-check"));
    assert!(text.contains("The timeline has "), "timeline taken from the original folder");
    std::fs::remove_file(out.join("report.html")).expect("rm");
    let p = ferret_report::write_report(&out).expect("rebuild");
    assert!(std::fs::read(p).expect("read") == html);

    // Running it again gives the same bytes.
    let first_alerts = std::fs::read(out.join("alerts.json")).expect("read");
    check_iocs(first.path(), &refs, &new, &ri).expect("again");
    assert!(std::fs::read(out.join("alerts.json")).expect("read") == first_alerts);
}

#[test]
fn recheck_handles_missing_and_corrupt_files() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("fake_a.json"),
        "[\n{\"id\":1,\"host\":\"x.later.example\",\"note\":\"n\",\"time\":null},\n{\"id\":\"bad\"},\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("fake_b.json"),
        "[{\"id\":1,\"host\":\"a.later.example\",\"note\":\"n\",\"time\":null}, {\"bogus\": true}]",
    )
    .expect("write");
    let mods = modules(10);
    let refs: Vec<&dyn ferret_core::Module> = mods.iter().map(|m| m.as_ref()).collect();
    let (out, summary) = check_iocs(dir.path(), &refs, &indicators(&["later.example"]), &run_info()).expect("runs");
    let info: InfoFile = serde_json::from_slice(&std::fs::read(out.join("info.json")).expect("info")).expect("shape");
    let a = &info.modules[0];
    assert!(
        matches!(&a.status, ferret_core::ModuleStatus::Failed { error, .. } if error.contains("fake_a.json")),
        "{:?}",
        a.status
    );
    let b = &info.modules[1];
    assert_eq!(b.status, ferret_core::ModuleStatus::Completed { records: 2 });
    assert_eq!(b.warnings.len(), 1, "bad record warned, not fatal");
    assert_eq!(info.modules[2].status, ferret_core::ModuleStatus::NotFound);
    assert_eq!(summary.counts.critical, 2, "hits found before the corruption and in the good file");

    let e = check_iocs(&dir.path().join("missing"), &refs, &indicators(&[]), &run_info()).expect_err("missing");
    assert!(e.to_string().contains("no such results folder"), "{e}");
}
