//! check-iocs on stored results finds exactly what a full run with the new indicators finds.

mod common;

use common::*;
use ferret_core::NoIndicators;
use ferret_report::{FolderOptions, InfoFile, NullSinks, ResultsFolder, check_iocs};

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
    let out_dir = tempfile::tempdir().expect("tmp");
    let out = out_dir.path().join("recheck");
    let summary =
        check_iocs(first.path(), ResultsFolder::create(&out).expect("out"), &refs, &new, &ri).expect("check-iocs");
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
    assert_eq!(info.run.recheck_of.as_deref(), first.path().to_str());
    assert_eq!(info.run.target, run_info().target, "target carried from the original run");
    assert_eq!(info.timeline_events, 0);
    assert!(!out.join("timeline.csv").exists());

    // Its report shows the original timeline, and `ferret report` rebuilds it identically.
    let html = std::fs::read(out.join("report.html")).expect("html");
    let text = String::from_utf8_lossy(&html);
    assert!(text.contains("This is a re-check"));
    assert!(text.contains("Dated events read from the phone: "), "timeline taken from the original folder");
    std::fs::remove_file(out.join("report.html")).expect("rm");
    let p = ferret_report::write_report(&out, ferret_report::Lang::En).expect("rebuild");
    assert!(std::fs::read(p).expect("read") == html);

    // Running it again (into its own folder, with --force) gives the same bytes.
    let first_alerts = std::fs::read(out.join("alerts.json")).expect("read");
    let e = ResultsFolder::create(&out).expect_err("an earlier run's results are not silently replaced");
    assert!(e.to_string().contains("--force"), "{e}");
    let again = ResultsFolder::create_with(&out, FolderOptions { force: true, ..Default::default() }).expect("force");
    check_iocs(first.path(), again, &refs, &new, &ri).expect("again");
    assert!(std::fs::read(out.join("alerts.json")).expect("read") == first_alerts);
}

#[test]
fn recheck_keeps_what_the_original_run_could_not_read() {
    // The original run: fake_a read, fake_b failed, fake_c not present.
    let mods = modules(50);
    let refs: Vec<&dyn ferret_core::Module> = mods.iter().map(|m| m.as_ref()).collect();
    let first = tempfile::tempdir().expect("tmp");
    let folder = ResultsFolder::create(first.path()).expect("create");
    let mut reports = run(&mods, &indicators(&["evil.example"]), &folder, 1);
    reports[1].status = ferret_core::ModuleStatus::Failed { error: "fake_b.db: damaged".into(), records: 0 };
    let _ = std::fs::remove_file(first.path().join("fake_b.json"));
    let mut ri = run_info();
    ri.problems = vec!["Status.plist is missing".into()];
    folder.finish(reports, &ri).expect("finish");
    drop(folder);

    let out = tempfile::tempdir().expect("tmp");
    let summary = check_iocs(
        first.path(),
        ResultsFolder::create(out.path()).expect("out"),
        &refs,
        &indicators(&["later.example"]),
        &run_info(),
    )
    .expect("re-check");
    let info: InfoFile =
        serde_json::from_slice(&std::fs::read(out.path().join("info.json")).expect("info")).expect("shape");
    let statuses: Vec<_> = info.modules.iter().map(|m| (m.module.as_str(), m.status.clone())).collect();
    assert_eq!(statuses.len(), mods.len(), "the original run's modules: {statuses:?}");
    assert_eq!(statuses[3], ("absent", ferret_core::ModuleStatus::NotFound), "not present stays not present");
    assert_eq!(
        statuses[1],
        ("fake_b", ferret_core::ModuleStatus::Failed { error: "fake_b.db: damaged".into(), records: 0 })
    );
    assert_eq!(info.run.problems, vec!["Status.plist is missing".to_string()]);
    assert!(summary.verdict.caveats.iter().any(|c| c.contains("fake_b")), "{:?}", summary.verdict.caveats);
    let html = std::fs::read_to_string(out.path().join("report.html")).expect("html");
    assert!(html.contains("fake_b.db: damaged") && html.contains("Status.plist is missing"));
}

#[test]
fn recheck_refuses_a_folder_that_is_not_ferret_results() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("passwd"), "root:x:0:0").expect("write");
    let mods = modules(10);
    let refs: Vec<&dyn ferret_core::Module> = mods.iter().map(|m| m.as_ref()).collect();
    let out = tempfile::tempdir().expect("tmp");
    let e =
        check_iocs(dir.path(), ResultsFolder::create(out.path()).expect("out"), &refs, &indicators(&[]), &run_info())
            .expect_err("not results");
    assert!(e.to_string().contains("not a ferret results folder"), "{e}");
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
    let mut original = run(&mods, &NoIndicators, &NullSinks, 1);
    original[2].status = ferret_core::ModuleStatus::NotFound;
    let info = InfoFile {
        run: run_info(),
        modules: original,
        alerts: Default::default(),
        timeline_events: 0,
        verdict: None,
        incidents: Default::default(),
    };
    std::fs::write(dir.path().join("info.json"), serde_json::to_vec(&info).expect("json")).expect("write");
    let out_dir = tempfile::tempdir().expect("tmp");
    let out = out_dir.path().to_path_buf();
    let summary = check_iocs(
        dir.path(),
        ResultsFolder::create(&out).expect("out"),
        &refs,
        &indicators(&["later.example"]),
        &run_info(),
    )
    .expect("runs");
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

    let e = check_iocs(
        &dir.path().join("missing"),
        ResultsFolder::create(&out_dir.path().join("x")).expect("out"),
        &refs,
        &indicators(&[]),
        &run_info(),
    )
    .expect_err("missing");
    assert!(e.to_string().contains("no such results folder"), "{e}");
}

#[test]
fn recheck_report_says_what_changed() {
    let mods = modules(400);
    let refs: Vec<&dyn ferret_core::Module> = mods.iter().map(|m| m.as_ref()).collect();
    let first = tempfile::tempdir().expect("tmp");
    let folder = ResultsFolder::create(first.path()).expect("create");
    let original = folder.finish(run(&mods, &indicators(&["evil.example"]), &folder, 2), &run_info()).expect("finish");
    drop(folder);

    // the re-check loads another set beside the original one, whose content changed
    let mut ri = run_info();
    ri.indicators = serde_json::json!({"files": [
        {"path": "/iocs/pegasus.stix2", "sha256": "ef".repeat(32), "set_name": "Pegasus", "total": 1300},
        {"path": "/iocs/predator.stix2", "sha256": "01".repeat(32), "set_name": "Predator", "total": 77}], "total": 1377});
    let out_dir = tempfile::tempdir().expect("tmp");
    let out = out_dir.path().join("recheck");
    let summary = check_iocs(
        first.path(),
        ResultsFolder::create(&out).expect("out"),
        &refs,
        &indicators(&["later.example"]),
        &ri,
    )
    .expect("re-check");
    let old_ioc = original.alerts.iter().filter(|a| a.matched_indicator.is_some()).count();
    let new_ioc = summary.alerts.iter().filter(|a| a.matched_indicator.is_some()).count();
    let same = summary.alerts.len() - new_ioc;
    assert!(old_ioc > 0 && new_ioc > 0 && same > 0);
    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    let summary_line = format!(
        "Compared with the original check: new alerts: {new_ioc} · alerts no longer matched: {old_ioc} · unchanged: {same}"
    );
    let first_screen = html.split("id=\"time\"").next().unwrap_or_default();
    assert!(first_screen.contains(&summary_line), "on the first screen: {summary_line}");
    let changes =
        html.split("<section id=\"changes\"").nth(1).and_then(|s| s.split("</section>").next()).expect("section");
    assert!(changes.contains("Indicator sets added: Predator (77)"), "{changes}");
    assert!(changes.contains("Indicator sets updated: Pegasus (1300)"), "{changes}");
    assert!(
        changes.contains(&format!("New alerts: {new_ioc}"))
            && changes.contains(&format!("Alerts no longer matched: {old_ioc}"))
    );
    assert!(changes.contains("later.example") && changes.contains("evil.example"), "both kinds listed");
    assert_eq!(changes.matches("<li>").count(), new_ioc.min(50) + old_ioc.min(50));

    // rebuilt identically while the original folder is there; said plainly when it is gone
    std::fs::remove_file(out.join("report.html")).expect("rm");
    ferret_report::write_report(&out, ferret_report::Lang::En).expect("rebuild");
    assert_eq!(std::fs::read_to_string(out.join("report.html")).expect("html"), html);
    let moved = out_dir.path().join("moved");
    std::fs::rename(first.path(), &moved).expect("move the original");
    ferret_report::write_report(&out, ferret_report::Lang::En).expect("rebuild");
    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    assert!(html.contains("The original results are no longer at"), "missing original said");
    std::fs::rename(&moved, first.path()).expect("move back");
}
