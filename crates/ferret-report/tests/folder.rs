//! Results folder: file shapes, CSV quoting, merge order under a tiny spill buffer, determinism,
//! empty runs.

mod common;

use std::collections::BTreeSet;

use common::*;
use ferret_core::{Level, ModuleStatus, NoIndicators, TimelineEvent};
use ferret_report::{ExitStatus, FolderOptions, InfoFile, NullSinks, ResultsFolder, Summary, VerdictState};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct AlertShape {
    level: String,
    module: String,
    message: String,
    event_time: Option<String>,
    event: serde_json::Value,
    matched_indicator: Option<MatchedShape>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct MatchedShape {
    value: String,
    #[serde(rename = "type")]
    kind: String,
    name: String,
    stix2_file_name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct JsonlShape {
    message: String,
    datetime: String,
    timestamp: i64,
    timestamp_desc: String,
    module: String,
    #[serde(default)]
    alert: Option<String>,
    #[serde(default)]
    alert_message: Option<String>,
}

fn full_run(dir: &std::path::Path, n: u64, options: FolderOptions, threads: usize) -> Summary {
    let folder = ResultsFolder::create_with(dir, options).expect("create");
    let ind = indicators(&["evil.example"]);
    let reports = run(&modules(n), &ind, &folder, threads);
    folder.finish(reports, &run_info()).expect("finish")
}

/// The timeline a correct writer produces, computed naively in memory.
fn expected_timeline(n: u64) -> Vec<TimelineEvent> {
    let mut set = BTreeSet::new();
    for (module, recs) in [("fake_a", records(n, 1)), ("fake_b", records(n / 2, 2))] {
        for r in recs {
            if let Some(t) = r.time {
                set.insert(TimelineEvent { timestamp: t, module: module.into(), event: "seen".into(), data: r.note });
            }
        }
    }
    set.into_iter().collect()
}

#[test]
fn shapes_of_every_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let summary = full_run(dir.path(), 200, FolderOptions::default(), 2);

    // alerts.json: canonical order, exact shape.
    let text = std::fs::read_to_string(dir.path().join("alerts.json")).expect("alerts.json");
    let alerts: Vec<AlertShape> = serde_json::from_str(&text).expect("alerts shape");
    assert_eq!(alerts.len(), summary.alerts.len());
    let evil = records(200, 1).iter().filter(|r| r.host.contains("evil")).count()
        + records(100, 2).iter().filter(|r| r.host.contains("evil")).count();
    let crit = alerts.iter().filter(|a| a.level == "CRITICAL").count();
    assert_eq!(crit, evil, "one CRITICAL per evil host, nothing else");
    assert!(alerts.iter().filter(|a| a.level == "CRITICAL").all(|a| a.matched_indicator.is_some()));
    assert!(text.starts_with("[\n    {\n        \"level\": "), "4-space indent like MVT");
    let parsed: Vec<ferret_core::Alert> = serde_json::from_str(&text).expect("core alerts");
    let mut sorted = parsed.clone();
    ferret_core::alert::sort_alerts(&mut sorted);
    assert_eq!(parsed, sorted, "canonical order");
    assert_eq!(parsed, summary.alerts);

    // Per-module detected files only for modules with alerts.
    assert!(dir.path().join("fake_a_detected.json").is_file());
    assert!(dir.path().join("fake_b_detected.json").is_file());
    assert!(!dir.path().join("fake_info_detected.json").exists());
    let det: Vec<AlertShape> =
        serde_json::from_slice(&std::fs::read(dir.path().join("fake_a_detected.json")).expect("read")).expect("shape");
    assert!(det.iter().all(|a| a.module == "fake_a"));

    // <module>.json: one record per line; object shape; nothing for the absent module.
    let a = std::fs::read_to_string(dir.path().join("fake_a.json")).expect("fake_a.json");
    let lines: Vec<&str> = a.lines().collect();
    assert_eq!(lines.first(), Some(&"["));
    assert_eq!(lines.last(), Some(&"]"));
    assert_eq!(lines.len(), 202);
    let recs: Vec<Rec> = serde_json::from_str(&a).expect("records");
    assert_eq!(recs.len(), 200);
    let obj: Rec =
        serde_json::from_slice(&std::fs::read(dir.path().join("fake_info.json")).expect("read")).expect("object");
    assert_eq!(obj.note, HOSTILE);
    assert!(!dir.path().join("absent.json").exists(), "no records -> no file");
    let broken: Vec<Rec> = serde_json::from_slice(&std::fs::read(dir.path().join("broken.json")).expect("read"))
        .expect("valid JSON after failure");
    assert_eq!(broken.len(), 2);

    // info.json: strict shape, statuses.
    let info: InfoFile =
        serde_json::from_slice(&std::fs::read(dir.path().join("info.json")).expect("read")).expect("info shape");
    assert_eq!(info.run, run_info());
    let st: Vec<(&str, &ModuleStatus)> = info.modules.iter().map(|m| (m.module.as_str(), &m.status)).collect();
    assert_eq!(st[0], ("fake_a", &ModuleStatus::Completed { records: 200 }));
    assert_eq!(st[3], ("absent", &ModuleStatus::NotFound));
    assert!(matches!(st[4].1, ModuleStatus::Failed { error, records: 2 } if error.contains("Library/broken.db")));
    assert_eq!(info.alerts, summary.counts);
    assert_eq!(info.timeline_events as usize, expected_timeline(200).len());
    assert_eq!(summary.failed.len(), 1);
    assert_eq!(summary.not_found, vec!["absent".to_string()]);
    assert_eq!((summary.verdict.state, summary.verdict.serious_alerts), (VerdictState::AlertsFound, evil as u64));
    assert_eq!(summary.verdict.exit_status(), ExitStatus::Alerts);

    // alerts_timeline.csv: timed alerts only, in time order, event is JSON.
    let mut rdr = csv::Reader::from_path(dir.path().join("alerts_timeline.csv")).expect("csv");
    assert_eq!(rdr.headers().expect("hdr"), vec!["Event Time", "Module", "Message", "Event"]);
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), summary.alerts.iter().filter(|a| a.event_time.is_some()).count());
    let times: Vec<String> = rows.iter().map(|r| r[0].to_string()).collect();
    let mut st = times.clone();
    st.sort();
    assert_eq!(times, st);
    for r in &rows {
        let _: Rec = serde_json::from_str(&r[3]).expect("event is the record as JSON");
    }

    // timeline.jsonl: strict shape, same count, alert marks.
    let jl = std::fs::read_to_string(dir.path().join("timeline.jsonl")).expect("jsonl");
    let lines: Vec<JsonlShape> = jl.lines().map(|l| serde_json::from_str(l).expect("jsonl shape")).collect();
    assert_eq!(lines.len(), expected_timeline(200).len());
    assert!(lines.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
    let first = &lines[0];
    assert!(first.datetime.ends_with("+00:00") && first.datetime.contains('T'));
    assert_eq!(
        jiff::Timestamp::from_microsecond(first.timestamp).expect("us").to_string().get(..19),
        first.datetime.get(..19)
    );
    let marked = lines.iter().filter(|l| l.alert.is_some()).count();
    assert!(marked > 0);
    assert!(
        lines
            .iter()
            .filter(|l| l.alert.as_deref() == Some("CRITICAL"))
            .all(|l| l.alert_message.as_deref().is_some_and(|m| m.contains("evil")))
    );
}

#[test]
fn timeline_csv_quoting_and_order_with_tiny_spill_buffer() {
    let small = tempfile::tempdir().expect("tmp");
    let spill_parent = tempfile::tempdir().expect("tmp");
    let opts = FolderOptions {
        timeline_buffer_bytes: 1,
        temp_dir: Some(spill_parent.path().to_path_buf()),
        ..Default::default()
    };
    full_run(small.path(), 700, opts, 2);
    let big = tempfile::tempdir().expect("tmp");
    full_run(big.path(), 700, FolderOptions::default(), 1);
    let a = std::fs::read(small.path().join("timeline.csv")).expect("csv");
    let b = std::fs::read(big.path().join("timeline.csv")).expect("csv");
    assert!(a == b, "spilling every event gives the same bytes as one in-memory run");
    assert_eq!(std::fs::read_dir(spill_parent.path()).expect("dir").count(), 0, "spill folder removed after use");
    assert!(
        snapshot(small.path()).iter().all(|(n, _)| !n.starts_with("run-") && !n.starts_with("ferret-timeline")),
        "no spill in results"
    );

    let text = String::from_utf8(a).expect("utf8");
    assert!(text.starts_with("\"UTC Timestamp\",\"Plugin\",\"Event\",\"Description\"\n"));
    assert!(
        text.contains(",\"FakeA\",") && text.contains(",\"FakeB\",") && !text.contains("\"fake_a\""),
        "Plugin: MVT-style"
    );
    assert!(text.contains("\"a \"\"quoted\"\", b\nnew line\r\n\u{fffd} <b>x</b> \\ end\""), "RFC 4180 quoting");
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let got: Vec<TimelineEvent> = rdr
        .records()
        .map(|r| {
            let r = r.expect("row");
            TimelineEvent {
                timestamp: ferret_core::time::parse(&r[0]).expect("ts"),
                // the Plugin column names the module as MVT would; it reads back to the module
                module: ferret_report::mvt::module_of_plugin(&r[1]).into_owned(),
                event: r[2].into(),
                data: r[3].into(),
            }
        })
        .collect();
    assert_eq!(got, expected_timeline(700), "sorted by (time, module, event, data), duplicates once");
}

#[test]
fn deterministic_bytes_across_runs_and_threads() {
    let a = tempfile::tempdir().expect("tmp");
    let b = tempfile::tempdir().expect("tmp");
    full_run(a.path(), 300, FolderOptions::default(), 2);
    full_run(b.path(), 300, FolderOptions { timeline_buffer_bytes: 500, ..Default::default() }, 1);
    let sa = snapshot(a.path());
    let sb = snapshot(b.path());
    assert_eq!(sa.iter().map(|f| &f.0).collect::<Vec<_>>(), sb.iter().map(|f| &f.0).collect::<Vec<_>>());
    for (x, y) in sa.iter().zip(&sb) {
        assert!(x.1 == y.1, "{} differs", x.0);
    }
    // Without a fixed finish time only info.json's finished_at may differ.
    let c = tempfile::tempdir().expect("tmp");
    let folder = ResultsFolder::create(c.path()).expect("create");
    let ind = indicators(&["evil.example"]);
    let mut ri = run_info();
    ri.finished_at = None;
    folder.finish(run(&modules(300), &ind, &folder, 2), &ri).expect("finish");
    let info: InfoFile =
        serde_json::from_slice(&std::fs::read(c.path().join("info.json")).expect("read")).expect("info");
    assert!(info.run.finished_at.is_some());
}

#[test]
fn empty_run() {
    let dir = tempfile::tempdir().expect("tmp");
    let folder = ResultsFolder::create(&dir.path().join("new/sub")).expect("create nested");
    let reports = run(&[Box::new(ferret_core::Typed(Absent(0)))], &NoIndicators, &folder, 1);
    let summary = folder.finish(reports, &run_info()).expect("finish");
    let p = folder.path();
    assert_eq!(std::fs::read_to_string(p.join("alerts.json")).expect("read"), "[]\n");
    assert_eq!(
        std::fs::read_to_string(p.join("alerts_timeline.csv")).expect("read"),
        "\"Event Time\",\"Module\",\"Message\",\"Event\"\n"
    );
    assert!(!p.join("timeline.csv").exists() && !p.join("timeline.jsonl").exists());
    assert!(!p.join("absent.json").exists());
    // the only module's artifact was absent: nothing was read, so this is not a clean result
    assert_eq!(summary.verdict.state, VerdictState::Incomplete);
    assert_eq!(summary.verdict.headline(), "INCOMPLETE: this check cannot tell whether the phone is clean");
    assert_eq!(summary.verdict.exit_status(), ExitStatus::Error);
    assert_eq!(summary.counts.total(), 0);
    let html = std::fs::read_to_string(p.join("report.html")).expect("report");
    assert!(
        html.contains("INCOMPLETE: this check")
            && html.contains("<span id=\"alert-count\" data-total=\"0\">Alerts: 0</span>")
    );
    assert!(html.contains("not in this acquisition: not checked"));
    assert!(html.contains("No timeline events were recorded"));
}

#[test]
fn write_report_names_the_bad_file() {
    let dir = tempfile::tempdir().expect("tmp");
    full_run(dir.path(), 20, FolderOptions::default(), 1);
    std::fs::write(dir.path().join("alerts.json"), format!("{}{}", "[".repeat(5000), "]".repeat(5000))).expect("write");
    let e = ferret_report::write_report(dir.path(), ferret_report::Lang::En).expect_err("deep nesting refused");
    assert!(e.to_string().contains("alerts.json"), "{e}");
    std::fs::write(dir.path().join("alerts.json"), "[]").expect("write");
    std::fs::write(
        dir.path().join("timeline.csv"),
        "\"UTC Timestamp\",\"Plugin\",\"Event\",\"Description\"\n\"yesterday\",\"m\",\"e\",\"d\"\n",
    )
    .expect("write");
    let e = ferret_report::write_report(dir.path(), ferret_report::Lang::En).expect_err("bad timestamp");
    assert!(e.to_string().contains("timeline.csv") && e.to_string().contains("row 2"), "{e}");
    std::fs::write(dir.path().join("info.json"), "{\"run\": 1}").expect("write");
    let e = ferret_report::write_report(dir.path(), ferret_report::Lang::En).expect_err("bad info");
    assert!(e.to_string().contains("info.json"), "{e}");
}

#[test]
fn earlier_results_need_force_and_only_ferret_files_are_replaced() {
    let dir = tempfile::tempdir().expect("tmp");
    full_run(dir.path(), 100, FolderOptions::default(), 2);
    assert!(dir.path().join("fake_a_detected.json").exists());
    // without --force: refused, naming the earlier run, nothing removed
    let e = ResultsFolder::create(dir.path()).expect_err("earlier results");
    let msg = e.to_string();
    assert!(msg.contains("earlier ferret run on /evidence/backup") && msg.contains("--force"), "{msg}");
    assert!(dir.path().join("fake_a_detected.json").exists());
    // with --force: ferret's files go, a file of the user's stays
    std::fs::write(dir.path().join("my-notes.txt"), "keep me").expect("write");
    let folder =
        ResultsFolder::create_with(dir.path(), FolderOptions { force: true, ..Default::default() }).expect("force");
    for gone in ["fake_a.json", "fake_a_detected.json", "alerts.json", "info.json", "report.html", "timeline.csv"] {
        assert!(!dir.path().join(gone).exists(), "{gone} removed before the run");
    }
    assert_eq!(std::fs::read_to_string(dir.path().join("my-notes.txt")).expect("kept"), "keep me");
    let summary = folder.finish(run(&modules(100), &NoIndicators, &folder, 2), &run_info()).expect("finish");
    assert_eq!(summary.counts.critical, 0);
    let det = std::fs::read_to_string(dir.path().join("fake_a_detected.json")).expect("read");
    assert!(!det.contains("CRITICAL"));
}

#[test]
fn a_folder_of_other_files_is_refused_even_with_force() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("thesis.docx"), "x").expect("write");
    std::fs::write(dir.path().join("sms.json"), "mine").expect("write");
    for force in [false, true] {
        let e = ResultsFolder::create_with(dir.path(), FolderOptions { force, ..Default::default() })
            .expect_err("not ferret's");
        let msg = e.to_string();
        assert!(msg.contains("not ferret results (sms.json, thesis.docx)") && !msg.contains("--force"), "{msg}");
    }
    assert_eq!(std::fs::read_to_string(dir.path().join("sms.json")).expect("kept"), "mine");
}

#[test]
fn one_run_at_a_time_per_folder() {
    let dir = tempfile::tempdir().expect("tmp");
    let first = ResultsFolder::create(dir.path()).expect("first");
    let e = ResultsFolder::create_with(dir.path(), FolderOptions { force: true, ..Default::default() })
        .expect_err("locked");
    assert!(e.to_string().contains("another ferret run is writing into"), "{e}");
    drop(first);
    ResultsFolder::create_with(dir.path(), FolderOptions { force: true, ..Default::default() }).expect("free again");
}

#[test]
fn refuses_a_file_and_null_sinks_discard() {
    let dir = tempfile::tempdir().expect("tmp");
    let f = dir.path().join("file");
    std::fs::write(&f, "x").expect("write");
    let e = ResultsFolder::create(&f).expect_err("a file");
    assert!(e.to_string().contains("not a folder"), "{e}");

    let ind = indicators(&["evil.example"]);
    let reports = run(&modules(50), &ind, &NullSinks, 2);
    let s = Summary::from_reports(&reports, &run_info());
    assert!(s.counts.get(Level::Critical) > 0);
    assert_eq!(s.verdict.exit_status(), ExitStatus::Alerts);
}

#[test]
fn report_rebuilt_from_folder_is_identical() {
    let dir = tempfile::tempdir().expect("tmp");
    full_run(dir.path(), 300, FolderOptions::default(), 2);
    let html = std::fs::read(dir.path().join("report.html")).expect("report");
    std::fs::remove_file(dir.path().join("report.html")).expect("rm");
    let p = ferret_report::write_report(dir.path(), ferret_report::Lang::En).expect("rebuild");
    assert!(std::fs::read(p).expect("read") == html, "ferret report gives the run's page");
    let text = String::from_utf8(html).expect("utf8");
    assert!(!text.contains("src=") && !text.contains("url(") && !text.contains("@import"), "nothing loaded");
    // the only links out are the helplines' (no indicator set here names a write-up)
    let hrefs: Vec<&str> = text.split("href=\"").skip(1).filter_map(|h| h.split('"').next()).collect();
    assert!(!hrefs.is_empty());
    for h in hrefs {
        assert!(
            h.starts_with('#') || h == "https://www.accessnow.org/help/" || h == "https://securitylab.amnesty.org/",
            "unexpected link {h}"
        );
    }
    assert!(!text.contains("<b>x</b>"), "evidence escaped");
    let e = ferret_report::write_report(&dir.path().join("nope"), ferret_report::Lang::En).expect_err("not a folder");
    assert!(e.to_string().contains("no info.json"), "{e}");
}

/// Floats in alert records come back exactly from alerts.json, so the rebuilt page is the
/// run's (serde_json's default float parsing can be one unit in the last place off).
#[test]
fn report_rebuilt_with_float_records_is_identical() {
    let dir = tempfile::tempdir().expect("tmp");
    let folder = ResultsFolder::create(dir.path()).expect("create");
    let floats: Vec<f64> = (1..200).map(|i| 1_000_000.0 / f64::from(i) + 0.1 / f64::from(i * 7)).collect();
    let report = ferret_core::ModuleReport {
        module: "datausage".into(),
        status: ModuleStatus::Completed { records: 1 },
        warnings: vec![],
        alerts: vec![ferret_core::Alert {
            level: Level::High,
            module: "datausage".into(),
            message: "m".into(),
            event_time: None,
            event: serde_json::json!({ "wwan_out": floats }),
            matched_indicator: None,
        }],
        elapsed_ms: 0,
        sightings: Default::default(),
    };
    folder.finish(vec![report], &run_info()).expect("finish");
    let html = std::fs::read(dir.path().join("report.html")).expect("report");
    ferret_report::write_report(dir.path(), ferret_report::Lang::En).expect("rebuild");
    assert!(std::fs::read(dir.path().join("report.html")).expect("read") == html, "same bytes");
}
