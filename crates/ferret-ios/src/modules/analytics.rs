//! `analytics` and `analytics_ios_versions`: the security framework's analytics databases
//! (filesystem dumps only).
//!
//! Format facts (the databases MVT's `Analytics` module reads):
//! * SQLite files `private/var/Keychains/Analytics/*.db` (one per subsystem: keychain sync,
//!   trust, networking, ...);
//! * tables `hard_failures`, `soft_failures` and, on newer versions, `all_events`, each with a
//!   `timestamp` column (a REAL, read as Unix seconds, as MVT reads it) and a `data` column (a
//!   binary property list, a dictionary of event attributes such as the process, the build,
//!   the error domain).
//!
//! Records of `analytics` (`analytics.json`): one per row, `{isodate, artifact (the database's
//! file name), table, <the event dictionary's keys, as JSON>}`, the keys at top level as MVT
//! writes them (a key named `isodate`, `artifact` or `table` in the event is dropped: the row's
//! own value wins). Within a database, rows come in time order (then table, then row id);
//! databases in path order. A `data` cell that is not a property-list dictionary keeps the
//! row (without event keys) and is counted in one warning per database.
//!
//! Checks (`analytics`): every string value of the event (nested ones too, at most
//! [`MAX_STRINGS`] per row) against process indicators, else domain indicators: CRITICAL.
//! Timeline: `analytics` at the row's time.
//!
//! `analytics_ios_versions` reads the same rows and writes one record per iOS build number seen
//! in an event's `build` key: `{isodate (the earliest row naming it), build, version}`, sorted by
//! time. `version` is the marketing version the same dump's analytics journals
//! (`private/var/db/analyticsd/Analytics-Journal-*.ips`, header `os_version` such as
//! `iPhone OS 18.1 (22B83)`) give for that build, or `null` when they do not name it (ferret
//! carries no build table of its own). No checks; timeline `analytics_ios_version`.

use std::collections::BTreeMap;

use ferret_core::toolkit::{Columns, for_each_row};
use ferret_core::{
    ArtifactModule, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Where the analytics databases are.
pub static LOCATOR: Locator = Locator { backup: &[], paths: &["private/var/Keychains/Analytics/*.db"] };

/// Tables read, in this order.
const TABLES: [&str; 3] = ["hard_failures", "soft_failures", "all_events"];

/// String values of one event checked against indicators (the rest are not).
pub const MAX_STRINGS: usize = 256;

/// Keys of a record that are the row's own, not the event's.
pub const OWN_KEYS: [&str; 3] = ["isodate", "artifact", "table"];

/// The `analytics` module.
#[derive(Debug, Clone, Copy, Default)]
pub struct Analytics;

/// The `analytics_ios_versions` module.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnalyticsIosVersions;

/// One analytics row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalyticsRecord {
    /// Row time (`timestamp`, Unix seconds).
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub isodate: Option<Timestamp>,
    /// Database file name (e.g. `ckks_analytics.db`).
    pub artifact: String,
    /// Table (`hard_failures`, `soft_failures`, `all_events`).
    pub table: String,
    /// The event dictionary's keys (property-list values as JSON).
    #[serde(flatten)]
    pub event: Map<String, Value>,
}

/// One iOS build seen in the analytics events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyticsVersion {
    /// Earliest row naming the build.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub isodate: Option<Timestamp>,
    /// Build number (e.g. `22B83`).
    pub build: String,
    /// Marketing version from the dump's analytics journals, if they name the build.
    pub version: Option<String>,
}

/// Reads every row of every analytics database, in order, into `each`.
fn each_row<M: ArtifactModule>(
    ctx: &Context<'_>,
    out: &mut Out<'_, '_, M>,
    mut each: impl FnMut(AnalyticsRecord, &mut Out<'_, '_, M>) -> Result<(), ModuleError>,
) -> Result<Outcome, ModuleError> {
    ferret_core::toolkit::each_sqlite(ctx, &LOCATOR, out, |db, path, out| {
        let artifact = path.rsplit('/').next().unwrap_or(path).to_string();
        let mut cols = Columns::default();
        let mut parts = Vec::new();
        for t in TABLES {
            if !db.has_table(t) {
                continue;
            }
            let c = cols.select(db, t, "x", &["timestamp", "data"]);
            parts.push(format!("SELECT {}, {}, '{t}', x.rowid FROM \"{t}\" x", c[0], c[1]));
        }
        if parts.is_empty() {
            out.warn(format!("{path}: none of the tables {} (not an analytics database?)", TABLES.join(", ")));
            return Ok(());
        }
        cols.warn(out, path);
        let sql = format!("{} ORDER BY 1, 3, 4", parts.join(" UNION ALL "));
        let mut undecoded = 0u64;
        for_each_row(db, path, &sql, |row| {
            let isodate = ferret_core::toolkit::cell::f64(row, 0)
                .filter(|v| *v != 0.0)
                .and_then(ferret_core::time::from_unix_f64);
            let table = ferret_core::toolkit::cell::text(row, 2).unwrap_or_default();
            let mut event = Map::new();
            if let Ok(rusqlite::types::ValueRef::Blob(b) | rusqlite::types::ValueRef::Text(b)) = row.get_ref(1) {
                match event_from_blob(b) {
                    Some(m) => event = m,
                    None => undecoded += 1,
                }
            }
            each(AnalyticsRecord { isodate, artifact: artifact.clone(), table, event }, out)
        })?;
        if undecoded > 0 {
            out.warn(format!(
                "{path}: {undecoded} rows whose data is not a property-list dictionary (kept without event keys)"
            ));
        }
        Ok(())
    })
}

/// The event dictionary of one `data` cell (a property list whose top level is a dictionary),
/// as JSON, without the keys that are the row's own ([`OWN_KEYS`]); `None` for anything else.
pub fn event_from_blob(bytes: &[u8]) -> Option<Map<String, Value>> {
    let v = ferret_formats::parse_plist(bytes).ok()?;
    let Value::Object(mut m) = ferret_core::toolkit::plist_to_json(&v) else { return None };
    for k in OWN_KEYS {
        m.remove(k);
    }
    Some(m)
}

/// The distinct string values of an event that are checked against indicators (at most
/// [`MAX_STRINGS`] of them, nested ones included), sorted.
pub fn checked_strings(event: &Map<String, Value>) -> Vec<&str> {
    let mut acc = Vec::new();
    for v in event.values() {
        strings(v, &mut acc);
    }
    acc.sort_unstable();
    acc.dedup();
    acc
}

/// Up to [`MAX_STRINGS`] string values of `v`, depth first in key order.
fn strings<'a>(v: &'a Value, acc: &mut Vec<&'a str>) {
    if acc.len() >= MAX_STRINGS {
        return;
    }
    match v {
        Value::String(s) => acc.push(s),
        Value::Array(a) => a.iter().for_each(|x| strings(x, acc)),
        Value::Object(m) => m.values().for_each(|x| strings(x, acc)),
        _ => {}
    }
}

impl ArtifactModule for Analytics {
    type Record = AnalyticsRecord;
    const NAME: &'static str = "analytics";
    const DESCRIPTION: &'static str =
        "Security analytics databases (Keychains/Analytics/*.db): process names and domains vs indicators";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        each_row(ctx, out, |r, out| out.record(r))
    }

    fn timeline(&self, r: &AnalyticsRecord, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.isodate {
            let what = ["process", "build", "domain"]
                .iter()
                .filter_map(|k| r.event.get(*k).and_then(|v| v.as_str()).map(|v| format!("{k}={v}")))
                .collect::<Vec<_>>()
                .join(" ");
            events.push((t, "analytics".into(), format!("{} {} {what}", r.artifact, r.table).trim_end().to_string()));
        }
    }

    fn check(&self, r: &AnalyticsRecord, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        for s in checked_strings(&r.event) {
            let what = format!("Analytics event in {} ({}) names", r.artifact, r.table);
            if let Some(m) = ind.check_process(s) {
                f.push(ioc_finding(Level::Critical, &format!("{what} process"), s, r.isodate, m));
            } else if let Some(m) = ind.check_domain(s) {
                f.push(ioc_finding(Level::Critical, &format!("{what} domain"), s, r.isodate, m));
            }
        }
    }
}

/// Build → version from the journal headers (`iPhone OS 18.1 (22B83)`), read as
/// `ios_version_history` reads them.
fn journal_builds(ctx: &Context<'_>) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let Ok(files) = ctx.evidence.locate(&super::ios_version_history::LOCATOR) else { return map };
    for file in &files {
        let Ok(r) = ctx.evidence.open(file) else { continue };
        let Ok((_, os)) = super::ios_version_history::read_header(r, &file.path) else { continue };
        if let Some((name, rest)) = os.rsplit_once(" (")
            && let Some(build) = rest.strip_suffix(')')
        {
            let version = name.rsplit(' ').next().unwrap_or(name);
            map.entry(build.to_string()).or_insert_with(|| version.to_string());
        }
    }
    map
}

impl ArtifactModule for AnalyticsIosVersions {
    type Record = AnalyticsVersion;
    const NAME: &'static str = "analytics_ios_versions";
    const DESCRIPTION: &'static str = "iOS builds seen in the security analytics databases, with first times";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let mut first: BTreeMap<String, Timestamp> = BTreeMap::new();
        let outcome = each_row(ctx, out, |r, _| {
            if let (Some(t), Some(b)) = (r.isodate, r.event.get("build").and_then(|b| b.as_str())) {
                let e = first.entry(b.to_string()).or_insert(t);
                if t < *e {
                    *e = t;
                }
            }
            Ok(())
        })?;
        if outcome != Outcome::Completed {
            return Ok(outcome);
        }
        let versions = journal_builds(ctx);
        let mut recs: Vec<AnalyticsVersion> = first
            .into_iter()
            .map(|(build, t)| AnalyticsVersion { isodate: Some(t), version: versions.get(&build).cloned(), build })
            .collect();
        recs.sort_by(|a, b| (a.isodate, &a.build).cmp(&(b.isodate, &b.build)));
        for r in recs {
            out.record(r)?;
        }
        Ok(Outcome::Completed)
    }

    fn timeline(&self, r: &AnalyticsVersion, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.isodate {
            let v = r.version.as_deref().unwrap_or("unknown version");
            events.push((t, "analytics_ios_version".into(), format!("Seen iOS {v} (build {})", r.build)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::testing::*;
    use crate::modules::webkit_stores::testing::both_fs;
    use ferret_core::RunOptions;
    use ferret_core::module::testing::run_one;
    use ferret_testdata::fake::TruthIndicators;
    use ferret_testdata::ios_fs::ANALYTICS_BUILDS;
    use ferret_testdata::truth::{Truth, compare};

    const DB: &str = "private/var/Keychains/Analytics/x_analytics.db";

    /// 10 benign rows per database, the planted process row, two near misses, an empty and an
    /// undecodable `data` cell; the planted domain (nested two levels down) in the other one.
    #[test]
    fn recall_and_precision_folder_and_targz() {
        let mut truth = Truth::default();
        let files = ferret_testdata::ios_fs::analytics(3, 10, &mut truth);
        let (_d, evs) = both_fs(&files);
        let ind = TruthIndicators::new(&truth);
        let opts = RunOptions::default();
        let mut all = Vec::new();
        for ev in &evs {
            let ctx = Context { evidence: ev.as_ref(), indicators: &ind, options: &opts };
            let r = run_one(&ferret_core::Typed(Analytics), &ctx);
            assert_eq!(r.outcome, Ok(Outcome::Completed));
            let cmp = compare(&truth.alerts, &r.alerts, Some(&["analytics"]));
            assert!(cmp.is_exact(), "missed {:#?} unexpected {:#?}", cmp.missed, cmp.unexpected);
            assert_eq!(r.alerts.len(), 2);
            assert_eq!(r.records.len(), 10 + 4 + 10 + 1);
            // one database has a row that is not a property list
            assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
            assert!(r.warnings[0].contains("ckks_analytics.db: 1 rows"), "{}", r.warnings[0]);
            // time order within a database, the first database (path order) first
            let ck: Vec<&str> = r.records.iter().map(|x| x["artifact"].as_str().unwrap_or("")).collect();
            assert_eq!(ck.iter().filter(|a| **a == "ckks_analytics.db").count(), 14);
            assert!(ck[..14].iter().all(|a| *a == "ckks_analytics.db"));
            let times: Vec<&str> = r.records[..14].iter().map(|x| x["isodate"].as_str().unwrap_or("")).collect();
            assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
            // event keys at top level, as MVT writes them
            assert!(r.records.iter().any(|x| x["build"] == ANALYTICS_BUILDS[0] && x["table"] == "hard_failures"));
            assert!(r.records.iter().any(|x| x["table"] == "all_events"));
            all.push(r.records);
        }
        assert_eq!(all[0], all[1]);
    }

    #[test]
    fn ios_versions_first_times_and_journal_versions() {
        let mut truth = Truth::default();
        let mut files = ferret_testdata::ios_fs::analytics(3, 9, &mut truth);
        files.extend(ferret_testdata::ios_fs::version_history(1));
        let (_d, ev) = fs_tree(&files);
        let r = run(AnalyticsIosVersions, &ev, &TruthIndicators::new(&truth));
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert!(r.alerts.is_empty());
        let got: Vec<(String, Option<String>)> = r
            .records
            .iter()
            .map(|x| (x["build"].as_str().unwrap_or("").to_string(), x["version"].as_str().map(str::to_string)))
            .collect();
        assert_eq!(
            got,
            vec![
                ("21F90".to_string(), Some("17.5.1".to_string())),
                ("22B83".to_string(), Some("18.1".to_string())),
                ("22C5125e".to_string(), None),
            ]
        );
        // first time of 21F90: the earliest benign row (index 0, t0 + jitter), not a later one
        let first = r.records[0]["isodate"].as_str().unwrap_or("");
        assert!(first.starts_with("2024-07-03"), "{first}");
        // without the journals, versions are unknown but builds are still listed
        let (_d, ev) = fs_tree(&ferret_testdata::ios_fs::analytics(3, 9, &mut Truth::default()));
        let r = run(AnalyticsIosVersions, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.records.len(), 3);
        assert!(r.records.iter().all(|x| x["version"].is_null()));
    }

    #[test]
    fn empty_odd_and_hostile_databases() {
        let (d, ev) = fs_tree(&[]);
        assert_eq!(run(Analytics, &ev, &ferret_core::NoIndicators).outcome, Ok(Outcome::NotFound));
        assert_eq!(run(AnalyticsIosVersions, &ev, &ferret_core::NoIndicators).outcome, Ok(Outcome::NotFound));
        // 0-byte database: completed with the shared warning
        put(&d, DB, b"");
        let r = run(Analytics, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        // another SQLite database in the folder: a warning naming the tables, no records
        put(&d, DB, &sqlite_bytes("CREATE TABLE other (a);"));
        let r = run(Analytics, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert!(r.records.is_empty());
        assert!(r.warnings[0].contains("hard_failures"), "{:?}", r.warnings);
        // an older schema without `data`, and a hostile key: `artifact` in the event cannot
        // overwrite the row's own
        let mut ev_d = plist::Dictionary::new();
        ev_d.insert("artifact".into(), plist::Value::String("../../etc/passwd".into()));
        ev_d.insert("isodate".into(), plist::Value::String("1970".into()));
        let blob = ferret_testdata::ios::files::plist_bytes(&plist::Value::Dictionary(ev_d));
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("a.db");
        let c = rusqlite::Connection::open(&p).expect("open");
        c.execute_batch("CREATE TABLE soft_failures (timestamp REAL); INSERT INTO soft_failures VALUES (1.7e9); CREATE TABLE hard_failures (timestamp, data); ")
            .expect("sql");
        c.execute("INSERT INTO hard_failures VALUES ('x', ?1)", [blob]).expect("insert");
        drop(c);
        put(&d, DB, &std::fs::read(&p).expect("read"));
        let r = run(Analytics, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 2);
        assert!(r.warnings.iter().any(|w| w.contains("soft_failures.data")), "{:?}", r.warnings);
        let hostile = r.records.iter().find(|x| x["table"] == "hard_failures").expect("row");
        assert_eq!(hostile["artifact"], "x_analytics.db");
        assert!(hostile["isodate"].is_null());
        // a truncated database is this module's error, naming the file
        let mut trunc =
            sqlite_bytes("CREATE TABLE hard_failures (timestamp, data); INSERT INTO hard_failures VALUES (1, x'00');");
        trunc.truncate(trunc.len() / 2);
        put(&d, DB, &trunc);
        let r = run(Analytics, &ev, &ferret_core::NoIndicators);
        let e = r.outcome.expect_err("truncated");
        assert!(e.contains("x_analytics.db"), "{e}");
    }

    /// Strings beyond [`MAX_STRINGS`] are not checked (the bound on work per row).
    #[test]
    fn strings_per_row_are_bounded() {
        let v = Value::Array((0..1000).map(|i| Value::String(format!("s{i}"))).collect());
        let mut acc = Vec::new();
        strings(&v, &mut acc);
        assert_eq!(acc.len(), MAX_STRINGS);
    }
}
