//! Campaign mode end to end on the synthetic fleet (`ferret_testdata::fleet`): the fleet's
//! acquisitions are checked in one batch, then `correlate`, `hunt` and `export` run on the
//! result folders. Recall and precision against the fleet's ground truth: every campaign trace is
//! a lead holding exactly its devices, each campaign is one cluster, and no noise, popular value
//! or decoy is a lead.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ferret_testdata::fleet::{FleetSpec, FleetTruth, write_fleet};
use ferret_testdata::testkit::{Ferret, stderr, stdout};
use serde_json::Value;

fn ferret() -> Ferret {
    Ferret::new(env!("CARGO_BIN_EXE_ferret"))
}

struct Fleet {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    truth: FleetTruth,
    results: PathBuf,
}

/// 30 devices, checked once for every test of this file.
fn fleet() -> &'static Fleet {
    static F: OnceLock<Fleet> = OnceLock::new();
    F.get_or_init(|| {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("fleet");
        let truth = write_fleet(&dir, FleetSpec { devices: 30, seed: 7 }).expect("fleet");
        let results = tmp.path().join("cases");
        let mut args: Vec<String> = vec!["check".into(), "--no-default-iocs".into(), "-q".into(), "-o".into()];
        args.push(results.display().to_string());
        args.extend(truth.acquisitions(&dir).iter().map(|p| p.display().to_string()));
        let o = ferret().run(&args);
        assert!(matches!(o.status.code(), Some(0 | 1)), "batch check: {}", stderr(&o));
        Fleet { _tmp: tmp, dir, truth, results }
    })
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))).expect("json")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().expect("array").iter().map(|x| x.as_str().expect("string").to_string()).collect()
}

/// What each campaign trace should look like as a lead: its devices (the process only on the
/// campaign's iOS devices).
fn expected_leads(f: &Fleet) -> BTreeMap<(String, String), Vec<String>> {
    let mut out = BTreeMap::new();
    for c in &f.truth.campaigns {
        for t in &c.traces {
            let devices: Vec<String> = c
                .devices
                .iter()
                .filter(|d| t.kind != "process" || f.truth.devices.iter().any(|x| &x.id == *d && x.platform == "ios"))
                .cloned()
                .collect();
            out.insert((t.kind.clone(), t.value.clone()), devices);
        }
    }
    out
}

#[test]
fn correlate_finds_each_campaign_and_nothing_else() {
    let f = fleet();
    let out = f.dir.join("campaign");
    let o = ferret().run(["correlate", "-o", out.to_str().unwrap(), f.results.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "leads found: {}{}", stdout(&o), stderr(&o));
    let c = read_json(&out.join("correlation.json"));
    assert_eq!(c["device_count"], 30);
    let ranked = c["leads"].as_array().expect("leads");
    let leads: BTreeMap<(String, String), Vec<String>> = ranked
        .iter()
        .filter(|l| l["lead"] == true)
        .map(|l| {
            (
                (l["kind"].as_str().unwrap().to_string(), l["value"].as_str().unwrap().to_string()),
                strings(&l["devices"]),
            )
        })
        .collect();
    // recall and precision: the leads are exactly the campaigns' traces, with their devices
    assert_eq!(leads, expected_leads(f));
    // the leads rank above every other candidate
    let first_other = ranked.iter().position(|l| l["lead"] == false).unwrap_or(ranked.len());
    assert_eq!(first_other, leads.len(), "leads first");
    // background is never a candidate; popular values and decoys are candidates, not leads
    let find = |kind: &str, value: &str| {
        ranked.iter().find(|l| l["kind"] == kind && l["value"] == value).map(|l| l["lead"] == true)
    };
    for t in &f.truth.universal {
        assert_eq!(find(&t.kind, &t.value), None, "universal {t:?}");
    }
    for t in &f.truth.popular {
        assert_eq!(find(&t.kind, &t.value), Some(false), "popular {t:?}");
    }
    for d in &f.truth.decoys {
        assert_eq!(find(&d.trace.kind, &d.trace.value), Some(false), "decoy {d:?}");
    }
    // clusters are the campaigns
    let clusters = read_json(&out.join("clusters.json"));
    let got: BTreeSet<Vec<String>> = clusters.as_array().unwrap().iter().map(|c| strings(&c["devices"])).collect();
    let want: BTreeSet<Vec<String>> = f.truth.campaigns.iter().map(|c| c.devices.clone()).collect();
    assert_eq!(got, want);
    // the same input gives the same files
    let again = f.dir.join("campaign-again");
    let o = ferret().run(["correlate", "-o", again.to_str().unwrap(), f.results.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    for name in ["correlation.json", "clusters.json", "candidates.stix2", "campaign.html"] {
        assert_eq!(std::fs::read(out.join(name)).unwrap(), std::fs::read(again.join(name)).unwrap(), "{name}");
    }
    // the page names devices; --share numbers them
    let page = std::fs::read_to_string(out.join("campaign.html")).unwrap();
    assert!(page.contains(&f.truth.campaigns[0].devices[0]));
    let shared = f.dir.join("campaign-share");
    let o = ferret().run(["correlate", "--share", "-o", shared.to_str().unwrap(), f.results.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let page = std::fs::read_to_string(shared.join("campaign.html")).unwrap();
    assert!(!page.contains("dev-0"), "no device name in a shared page");
    assert!(page.contains(&f.truth.campaigns[0].traces[0].value));
}

#[test]
fn candidates_load_back_and_hunt_finds_exactly_the_campaigns_devices() {
    let f = fleet();
    let out = f.dir.join("campaign-hunt");
    let o = ferret().run(["correlate", "-o", out.to_str().unwrap(), f.results.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let bundle = out.join("candidates.stix2");
    let text = std::fs::read_to_string(&bundle).unwrap();
    assert!(!text.contains("dev-0"), "the bundle names no device");
    let (_, report) = ferret_indicators::load_files(std::slice::from_ref(&bundle)).expect("loads");
    assert!(report.rejected_patterns.is_empty(), "{:?}", report.rejected_patterns);
    assert!(report.rejected_files.is_empty(), "{:?}", report.rejected_files);
    let indicators =
        read_json(&bundle)["objects"].as_array().unwrap().iter().filter(|o| o["type"] == "indicator").count();
    assert_eq!(indicators, expected_leads(f).len());

    let hunt_out = f.dir.join("hunt");
    let data = f.dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let hunter = || ferret().env("FERRET_DATA_DIR", &data);
    let cases_before = ferret_testdata::testkit::snapshot(&f.results);
    let o = hunter().run([
        "hunt",
        "--iocs",
        bundle.to_str().unwrap(),
        "-o",
        hunt_out.to_str().unwrap(),
        f.results.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let h = read_json(&hunt_out.join("hunt.json"));
    let got: BTreeSet<String> =
        h["matching"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_string()).collect();
    let want: BTreeSet<String> = f.truth.campaigns.iter().flat_map(|c| c.devices.iter().cloned()).collect();
    assert_eq!(got, want);
    // each matching case was re-checked into its own folder, with the indicator alerts
    for id in &want {
        let alerts = read_json(&hunt_out.join(id).join("alerts.json"));
        assert!(
            alerts.as_array().unwrap().iter().any(|a| !a["matched_indicator"].is_null()),
            "{id}: the re-check raised the indicator alerts"
        );
    }
    assert_eq!(ferret_testdata::testkit::snapshot(&f.results), cases_before, "nothing written among the cases");
    let indexes: Vec<PathBuf> = std::fs::read_dir(data.join("hunt")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(indexes.len(), 1, "one index, in ferret's cache: {indexes:?}");
    let index = &indexes[0];

    // check-iocs on an Android victim re-checks its records with the Android modules (iOS has
    // a module of the same name, `sms`, with other records)
    let android = f.truth.devices.iter().find(|d| d.platform == "android" && d.campaign.is_some()).expect("victim");
    let recheck = f.dir.join("recheck-android");
    let o = ferret().run([
        "check-iocs",
        "--no-default-iocs",
        "--iocs",
        bundle.to_str().unwrap(),
        "-o",
        recheck.to_str().unwrap(),
        f.results.join(&android.id).to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let info = read_json(&recheck.join("info.json"));
    let sms = info["modules"].as_array().unwrap().iter().find(|m| m["module"] == "sms").expect("sms");
    assert_eq!(sms["warnings"], serde_json::json!([]), "{sms}");
    let alerts = read_json(&recheck.join("alerts.json"));
    assert_eq!(alerts.as_array().unwrap().iter().filter(|a| a["module"] == "sms").count(), 2, "{alerts}");

    // a set matching nothing: no case, exit 0, the index is reused
    let none_dir = f.dir.join("none");
    std::fs::create_dir_all(&none_dir).unwrap();
    let none = none_dir.join("domains.txt");
    std::fs::write(&none, "nothing-here.example\n").unwrap();
    let before = std::fs::metadata(index).unwrap().modified().unwrap();
    let o = hunter().run(["hunt", "-v", "--iocs", none.to_str().unwrap(), f.results.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("0 of 30 cases match"), "{}", stdout(&o));
    let after = std::fs::metadata(index).unwrap().modified().unwrap();
    assert_eq!(before, after, "an up-to-date index is read, not rebuilt");

    // an indicator file that does not load is an error, never "no case matches"
    let bad = f.dir.join("unknown-list.txt");
    std::fs::write(&bad, "nothing-here.example\n").unwrap();
    let o = ferret().run(["hunt", "--iocs", bad.to_str().unwrap(), f.results.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("not loaded"), "{}", stderr(&o));
}

/// The ranking of `sql/correlate.sql` on DuckDB, as `(kind, value) -> (devices, score, lead)`.
fn have_duckdb() -> bool {
    let have = std::process::Command::new("python3").args(["-c", "import duckdb"]).status().is_ok_and(|s| s.success());
    assert!(have || std::env::var_os("CI").is_none(), "CI must have python3 with duckdb (.ci/run installs it)");
    have
}

/// Observable rows per case in a Parquet export, read back with DuckDB.
fn duckdb_counts(lake: &Path) -> Option<BTreeMap<String, u64>> {
    if !have_duckdb() {
        return None;
    }
    let q = format!(
        "import duckdb,json;print(json.dumps(dict(duckdb.sql(\"SELECT case_id, count(*) FROM read_parquet('{}/observables/*/*.parquet') GROUP BY 1\").fetchall())))",
        lake.display()
    );
    let o = std::process::Command::new("python3").args(["-c", &q]).output().expect("python3");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    Some(serde_json::from_slice(&o.stdout).expect("json"))
}

/// `(kind, value) -> (devices, score, lead)`.
type Ranking = BTreeMap<(String, String), (u64, f64, bool)>;

fn duckdb_ranking(lake: &Path, format: &str) -> Option<Ranking> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sql/run_duckdb.py");
    if !have_duckdb() {
        return None;
    }
    let o = std::process::Command::new("python3").arg(&script).arg(lake).arg(format).output().expect("python3");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows: Value = serde_json::from_slice(&o.stdout).expect("json");
    Some(
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    (r["kind"].as_str().unwrap().to_string(), r["value"].as_str().unwrap().to_string()),
                    (r["devices"].as_u64().unwrap(), r["score"].as_f64().unwrap(), r["lead"] == true),
                )
            })
            .collect(),
    )
}

#[test]
fn export_round_trips_and_the_sql_ranks_the_same_leads() {
    let f = fleet();
    let out = f.dir.join("campaign-sql");
    let o = ferret().run(["correlate", "-o", out.to_str().unwrap(), f.results.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let ours: Ranking = read_json(&out.join("correlation.json"))["leads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                (l["kind"].as_str().unwrap().to_string(), l["value"].as_str().unwrap().to_string()),
                (l["devices"].as_array().unwrap().len() as u64, l["score"].as_f64().unwrap(), l["lead"] == true),
            )
        })
        .collect();
    let mut formats = vec!["jsonl", "csv"];
    if cfg!(feature = "parquet") {
        formats.push("parquet");
    } else {
        let lake = f.dir.join("lake-no-parquet");
        let o =
            ferret().run(["export", "--format", "parquet", "-o", lake.to_str().unwrap(), f.results.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "a build without the feature says so");
        assert!(stderr(&o).contains("`parquet` feature"), "{}", stderr(&o));
    }
    for format in formats {
        let lake = f.dir.join(format!("lake-{format}"));
        let o = ferret().run(["export", "--format", format, "-o", lake.to_str().unwrap(), f.results.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        if format == "parquet" {
            // the rows come back per case (read with DuckDB)
            if let Some(counts) = duckdb_counts(&lake) {
                for d in &f.truth.devices {
                    let orig = std::fs::read_to_string(f.results.join(&d.id).join("observables.jsonl")).unwrap();
                    assert_eq!(counts.get(&d.id).copied().unwrap_or(0), orig.lines().count() as u64, "{}", d.id);
                }
            }
        }
        // every observable of every case is in the export, under its case
        for d in f.truth.devices.iter().filter(|_| format != "parquet") {
            let orig = std::fs::read_to_string(f.results.join(&d.id).join("observables.jsonl")).unwrap();
            let part = lake.join("observables").join(&d.id).join(format!("part-0.{format}"));
            let rows = std::fs::read_to_string(&part).unwrap().lines().count();
            let header = usize::from(format == "csv" && rows > 0);
            assert_eq!(rows - header, orig.lines().count(), "{}", d.id);
        }
        if let Some(sql) = duckdb_ranking(&lake, format) {
            assert_eq!(sql.keys().collect::<Vec<_>>(), ours.keys().collect::<Vec<_>>(), "{format}: same candidates");
            for (k, (devices, score, lead)) in &ours {
                let (d2, s2, l2) = sql[k];
                assert_eq!((*devices, *lead), (d2, l2), "{format} {k:?}");
                assert!((score - s2).abs() < 1e-4, "{format} {k:?}: {score} vs {s2}");
            }
        }
    }
    let lake = f.dir.join("lake-exists");
    std::fs::create_dir_all(&lake).unwrap();
    std::fs::write(lake.join("x"), "keep").unwrap();
    let o = ferret().run(["export", "-o", lake.to_str().unwrap(), f.results.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "an export never writes into a folder with files");
    assert!(stderr(&o).contains("not empty"), "{}", stderr(&o));
}

/// A results folder written before `observables.jsonl` existed gets the same observables back
/// from its module files (the same checks, re-run on the stored records).
#[test]
fn older_folders_get_the_same_observables_back() {
    let f = fleet();
    let old = f.dir.join("old-cases");
    let mut ids = Vec::new();
    for platform in ["ios", "android"] {
        let d = f.truth.devices.iter().find(|d| d.platform == platform && d.campaign.is_some()).expect("a victim");
        let dst = old.join(&d.id);
        std::fs::create_dir_all(&dst).unwrap();
        for e in std::fs::read_dir(f.results.join(&d.id)).unwrap() {
            let e = e.unwrap();
            if e.file_name() != "observables.jsonl" {
                std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
            }
        }
        ids.push(d.id.clone());
    }
    let lake = f.dir.join("lake-old");
    let o = ferret().run(["export", "-o", lake.to_str().unwrap(), old.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("2 cases' observables rebuilt"), "{}", stdout(&o));
    for id in ids {
        let key = |v: &Value| {
            (
                v["kind"].as_str().unwrap().to_string(),
                v["value"].as_str().unwrap().to_string(),
                v["count"].as_u64().unwrap(),
                v["modules"].clone(),
            )
        };
        let orig: Vec<Value> = std::fs::read_to_string(f.results.join(&id).join("observables.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let rebuilt: Vec<Value> = std::fs::read_to_string(lake.join("observables").join(&id).join("part-0.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert!(!orig.is_empty());
        let a: Vec<_> = orig.iter().map(key).collect();
        let b: Vec<_> = rebuilt
            .iter()
            .map(|v| {
                let modules = Value::Array(
                    v["modules"].as_str().unwrap().split(',').map(|m| Value::String(m.to_string())).collect(),
                );
                (
                    v["kind"].as_str().unwrap().to_string(),
                    v["value"].as_str().unwrap().to_string(),
                    v["count"].as_u64().unwrap(),
                    modules,
                )
            })
            .collect();
        assert_eq!(a, b, "{id}");
        // and the same times
        let times = |first: &Value, us: &Value| match (first.as_str(), us.as_i64()) {
            (None, None) => true,
            (Some(s), Some(us)) => ferret_core::time::parse(s).map(|t| t.as_microsecond()) == Some(us),
            _ => false,
        };
        for (o, r) in orig.iter().zip(&rebuilt) {
            assert!(
                times(&o["first_seen"], &r["first_seen_us"]) && times(&o["last_seen"], &r["last_seen_us"]),
                "{id}: {o} vs {r}"
            );
        }
    }
}

#[test]
fn campaign_commands_explain_bad_inputs() {
    let f = fleet();
    let missing = f.dir.join("no-such-folder");
    let empty = f.dir.join("empty-folder");
    std::fs::create_dir_all(&empty).unwrap();
    for args in [
        vec![
            "correlate".to_string(),
            "-o".into(),
            f.dir.join("x").display().to_string(),
            missing.display().to_string(),
        ],
        vec!["export".to_string(), "-o".into(), f.dir.join("y").display().to_string(), empty.display().to_string()],
        vec![
            "hunt".to_string(),
            "--iocs".into(),
            f.dir.join("none.stix2").display().to_string(),
            f.results.display().to_string(),
        ],
    ] {
        let o = ferret().run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).is_empty(), "{args:?}: says why");
    }
    // the correlation never goes inside a case
    let inside = f.results.join(&f.truth.devices[0].id).join("campaign");
    let o = ferret().run(["correlate", "-o", inside.to_str().unwrap(), f.results.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!inside.exists());
    // a hunt's re-checks are result folders: never among the cases
    let bundle_dir = f.dir.join("hunt-bad-out");
    std::fs::create_dir_all(&bundle_dir).unwrap();
    let list = bundle_dir.join("domains.txt");
    std::fs::write(&list, "nothing-here.example\n").unwrap();
    let among = f.results.join("hunt-out");
    let o = ferret().run([
        "hunt",
        "--iocs",
        list.to_str().unwrap(),
        "-o",
        among.to_str().unwrap(),
        f.results.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!among.exists());
}
