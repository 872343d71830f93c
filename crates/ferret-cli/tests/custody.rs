//! `--custody FROM..TO` on both platforms: every software or trust change whose time lies in
//! the window gets exactly one extra HIGH alert naming the window, the same changes outside it
//! get none, and every other alert is exactly what the run without `--custody` raises (recall
//! and precision). The expected changes are read from the records the run itself stored.

use std::collections::BTreeMap;
use std::path::Path;

use ferret_core::{Alert, Level};
use ferret_testdata::android::bugreport::{BugreportSpec, write_bugreport_zip};
use ferret_testdata::scenario::{self, Scale};
use ferret_testdata::testkit::{Ferret, bundle_file, s, stderr, stdout};
use serde_json::Value;

fn ferret() -> Ferret {
    Ferret::new(env!("CARGO_BIN_EXE_ferret"))
}

const REASON: &str = "changed while the phone was out of the owner's hands";

fn alerts(out: &Path) -> Vec<Alert> {
    serde_json::from_slice(&std::fs::read(out.join("alerts.json")).expect("alerts")).expect("json")
}

fn records(out: &Path, module: &str) -> Vec<Value> {
    let p = out.join(format!("{module}.json"));
    if !p.is_file() {
        return Vec::new();
    }
    serde_json::from_slice::<Vec<Value>>(&std::fs::read(p).expect("read")).expect("json")
}

fn ts(v: &Value) -> Option<jiff::Timestamp> {
    v.as_str().and_then(ferret_core::time::parse)
}

/// (module, time) of every software or trust change the stored records describe, as the
/// documented fields give them.
fn changes(out: &Path) -> Vec<(String, jiff::Timestamp)> {
    let mut v = Vec::new();
    let mut push = |m: &str, t: Option<jiff::Timestamp>| {
        if let Some(t) = t {
            v.push((m.to_string(), t));
        }
    };
    for r in records(out, "applications") {
        push("applications", ts(&r["isodate"]));
    }
    for r in records(out, "mobile_installation") {
        if matches!(r["operation"].as_str(), Some("install" | "uninstall")) {
            push("mobile_installation", ts(&r["isodate"]));
        }
    }
    for r in records(out, "profile_events") {
        push("profile_events", ts(&r["timestamp"]));
    }
    for r in records(out, "configuration_profiles") {
        push("configuration_profiles", ts(&r["install_date"]));
    }
    for r in records(out, "tcc") {
        if matches!(r["auth_value"].as_str(), Some("allowed" | "limited")) || r["allowed"].as_i64() == Some(1) {
            push("tcc", ts(&r["last_modified"]));
        }
    }
    for r in records(out, "dumpsys_packages") {
        let first = ts(&r["first_install_time"]);
        push("dumpsys_packages", first);
        push("dumpsys_packages", ts(&r["last_update_time"]).filter(|u| Some(*u) != first));
    }
    v.sort();
    v
}

fn key(a: &Alert) -> String {
    serde_json::to_string(a).expect("json")
}

/// Runs `args` + `--custody window` and checks the result against the run without it.
fn check_window(args: &[&str], plain: &[Alert], all_changes: &[(String, jiff::Timestamp)], window: &str, out: &Path) {
    let custody: ferret_core::Custody = window.parse().expect("window");
    let mut a: Vec<&str> = args.to_vec();
    a.extend(["--custody", window, "-o", s(out)]);
    let o = ferret().run(&a);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}\n{}", stdout(&o), stderr(&o));
    let got = alerts(out);
    let (custody_alerts, others): (Vec<&Alert>, Vec<&Alert>) = got.iter().partition(|a| a.message.contains(REASON));
    let mut others: Vec<String> = others.into_iter().map(key).collect();
    let mut before: Vec<String> = plain.iter().map(key).collect();
    others.sort();
    before.sort();
    assert_eq!(others, before, "{window}: every other alert is unchanged");
    let mut expected: Vec<(String, jiff::Timestamp)> =
        all_changes.iter().filter(|(_, t)| custody.contains(*t)).cloned().collect();
    expected.sort();
    let mut seen: Vec<(String, jiff::Timestamp)> =
        custody_alerts.iter().map(|a| (a.module.clone(), a.event_time.expect("time"))).collect();
    seen.sort();
    assert_eq!(seen, expected, "{window}: one HIGH alert per change inside the window, none outside");
    for a in &custody_alerts {
        assert_eq!(a.level, Level::High);
        assert!(a.message.contains(&format!("(custody {custody})")), "{}", a.message);
    }
    let info: Value = serde_json::from_slice(&std::fs::read(out.join("info.json")).expect("info")).expect("json");
    assert_eq!(info["run"]["custody"]["from"].as_str().and_then(ferret_core::time::parse), Some(custody.from));
    assert_eq!(info["run"]["custody"]["to"].as_str().and_then(ferret_core::time::parse), Some(custody.to));
}

/// A window of `span` seconds starting `before` seconds before the median change.
fn window_around(all: &[(String, jiff::Timestamp)], span: i64) -> String {
    let mut times: Vec<jiff::Timestamp> = all.iter().map(|(_, t)| *t).collect();
    times.sort();
    let mid = times[times.len() / 2];
    let f = |t: jiff::Timestamp| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let from = mid.checked_sub(jiff::SignedDuration::from_secs(span / 2)).expect("from");
    let to = mid.checked_add(jiff::SignedDuration::from_secs(span / 2)).expect("to");
    format!("{}..{}", f(from), f(to))
}

fn both_windows(args: &[&str], work: &Path, platform_modules: &[&str]) {
    let plain_out = work.join("plain");
    let mut a: Vec<&str> = args.to_vec();
    a.extend(["-o", s(&plain_out)]);
    let o = ferret().run(&a);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    let plain = alerts(&plain_out);
    assert!(!plain.iter().any(|a| a.message.contains(REASON)), "no custody alert without --custody");
    let all = changes(&plain_out);
    let modules: std::collections::BTreeSet<&str> = all.iter().map(|(m, _)| m.as_str()).collect();
    for m in platform_modules {
        assert!(modules.contains(m), "the generated data has changes of {m}: {modules:?}");
    }
    // a window around the median change: some changes inside, others outside
    let window = window_around(&all, 30 * 86_400);
    let inside = all.iter().filter(|(_, t)| window.parse::<ferret_core::Custody>().expect("w").contains(*t)).count();
    assert!(inside > 0 && inside < all.len(), "{inside} of {} changes inside {window}", all.len());
    check_window(args, &plain, &all, &window, &work.join("inside"));
    // the same changes, a window they all lie outside of: nothing raised
    check_window(args, &plain, &all, "1990-01-01..1990-12-31", &work.join("outside"));
    // every change inside (dates as ends)
    let by_module: BTreeMap<&str, usize> = all.iter().fold(BTreeMap::new(), |mut m, (k, _)| {
        *m.entry(k.as_str()).or_default() += 1;
        m
    });
    assert!(!by_module.is_empty());
    check_window(args, &plain, &all, "1971-01-01..2099-12-31", &work.join("all"));
}

#[test]
fn ios_changes_inside_the_custody_window_are_high_and_only_they() {
    let work = tempfile::tempdir().expect("tmp");
    let g = scenario::ios_backup(&work.path().join("acq"), 41, Scale { sms: 200, decoys: 500 }).expect("backup");
    let args = ["check", "--no-default-iocs", "--iocs", s(&g.iocs), s(&g.acquisition)];
    both_windows(&args, work.path(), &["applications", "configuration_profiles", "profile_events"]);
}

#[test]
fn android_changes_inside_the_custody_window_are_high_and_only_they() {
    let work = tempfile::tempdir().expect("tmp");
    let zip = work.path().join("bugreport.zip");
    let (truth, _) = write_bugreport_zip(&zip, &BugreportSpec::default()).expect("gen");
    let iocs = bundle_file(work.path(), &truth);
    let args = ["android", "check-bugreport", "--no-default-iocs", "--iocs", s(&iocs), s(&zip)];
    both_windows(&args, work.path(), &["dumpsys_packages"]);
}

#[test]
fn check_iocs_applies_the_custody_window_to_the_stored_records() {
    let work = tempfile::tempdir().expect("tmp");
    let zip = work.path().join("bugreport.zip");
    let (truth, _) = write_bugreport_zip(&zip, &BugreportSpec::default()).expect("gen");
    let iocs = bundle_file(work.path(), &truth);
    let out = work.path().join("results");
    let o = ferret().run(["check", "--no-default-iocs", "--iocs", s(&iocs), "-o", s(&out), s(&zip)]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    let all = changes(&out);
    let window = window_around(&all, 30 * 86_400);
    // the re-check with a window raises what a check with that window raises
    let re = work.path().join("recheck");
    let o = ferret().run([
        "check-iocs",
        "--no-default-iocs",
        "--iocs",
        s(&iocs),
        "--custody",
        &window,
        "-o",
        s(&re),
        s(&out),
    ]);
    assert!(matches!(o.status.code(), Some(1)), "{}\n{}", stdout(&o), stderr(&o));
    let direct = work.path().join("direct");
    let o = ferret().run([
        "check",
        "--no-default-iocs",
        "--iocs",
        s(&iocs),
        "--custody",
        &window,
        "-o",
        s(&direct),
        s(&zip),
    ]);
    assert!(matches!(o.status.code(), Some(1)), "{}", stderr(&o));
    let custody = |dir: &Path| -> Vec<String> {
        let mut v: Vec<String> = alerts(dir).iter().filter(|a| a.message.contains(REASON)).map(key).collect();
        v.sort();
        v
    };
    assert!(!custody(&direct).is_empty());
    assert_eq!(custody(&re), custody(&direct));
    // re-checking the window's results without --custody keeps that run's window, and a
    // window elsewhere replaces it: the old custody alerts are not carried over
    let re2 = work.path().join("recheck2");
    let o = ferret().run([
        "check-iocs",
        "--no-default-iocs",
        "--iocs",
        s(&iocs),
        "--custody",
        "1990-01-01..1990-01-02",
        "-o",
        s(&re2),
        s(&direct),
    ]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    assert_eq!(custody(&re2), Vec::<String>::new());
    let re3 = work.path().join("recheck3");
    let o = ferret().run(["check-iocs", "--no-default-iocs", "--iocs", s(&iocs), "-o", s(&re3), s(&direct)]);
    assert!(matches!(o.status.code(), Some(1)), "{}", stderr(&o));
    assert_eq!(custody(&re3), custody(&direct));
}

#[test]
fn a_malformed_custody_window_is_a_usage_error() {
    let work = tempfile::tempdir().expect("tmp");
    for bad in ["2025-03-01", "2025-03-02..2025-03-01", "yesterday..today", "2025-03-01T08:00:00..2025-03-02"] {
        let o = ferret().run(["check", "--custody", bad, s(work.path())]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", stderr(&o));
        assert!(stderr(&o).contains("invalid custody window"), "{bad}: {}", stderr(&o));
        let o = ferret().run(["check-iocs", "--custody", bad, s(work.path())]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", stderr(&o));
    }
    assert_eq!(std::fs::read_dir(work.path()).expect("dir").count(), 0, "nothing written");
}
