//! `datausage`: per-process network usage from `DataUsage.sqlite`.
//!
//! # Artifact
//! backup `WirelessDomain` / `Library/Databases/DataUsage.sqlite`; filesystem
//! `private/var/wireless/Library/Databases/DataUsage.sqlite`. (`NetUsage.sqlite`, FS-only, has
//! the same tables and is read by the `netusage` module.)
//!
//! # Schema facts
//! A Core Data store. `ZPROCESS(Z_PK, ZPROCNAME, ZBUNDLENAME, ZFIRSTTIMESTAMP, ZTIMESTAMP)`: one
//! row per process ever seen; `ZPROCNAME` is the executable name **truncated to 16 characters**
//! by the kernel (the indicator index handles truncated matches). `ZLIVEUSAGE(Z_PK, ZHASPROCESS,
//! ZTIMESTAMP, ZWIFIIN, ZWIFIOUT, ZWWANIN, ZWWANOUT, ...)`: usage rows, `ZHASPROCESS` →
//! `ZPROCESS.Z_PK`. Times are Mac absolute seconds. Core Data allocates `Z_PK` sequentially from
//! 1 and never reuses them, so a hole in the `ZPROCESS.Z_PK` sequence means a row was deleted.
//! Old stores lack `ZWIFIIN`/`ZWIFIOUT`: they read as null (warning names them).
//!
//! # Records
//! One record per process × live-usage row (processes with no usage appear once, with null
//! usage fields), in `Z_PK` order, then one record per live-usage row whose process is missing.
//!
//! # Checks (level)
//! * `check_process(proc_name)` — CRITICAL (one per record, as MVT);
//! * `check_app_id(bundle_name)` — CRITICAL "App with network usage" (the bundle column names
//!   the app the process belongs to, also one since deleted; the process census counts these
//!   ids as apps);
//! * heuristic, always: a live-usage row whose `ZHASPROCESS` is set but names no `ZPROCESS` row
//!   — HIGH "process record deleted" (one per such row; rows with a NULL `ZHASPROCESS` are not
//!   evidence of deletion and are not flagged);
//! * heuristic, always: gaps in the `ZPROCESS.Z_PK` sequence (counting from 1 up to the highest
//!   id) — LOW "Missing process id N", one alert per missing id; a gap of more than
//!   [`RANGE_THRESHOLD`] ids gives one alert for the whole range; at most [`MAX_GAP_ALERTS`] gap
//!   alerts, then one summary alert.
//!
//! Timeline: `first_usage` / `current_usage` (process first/last seen) and `live_usage`.

use ferret_core::evidence::BackupPath;
use ferret_core::time::from_mac_absolute;
use ferret_core::toolkit::{Columns, cell};
use ferret_core::{
    ArtifactModule, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, SqliteDb, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Where `DataUsage.sqlite` lives.
pub const LOCATOR: Locator = Locator {
    backup: &[BackupPath { domain: "WirelessDomain", path: "Library/Databases/DataUsage.sqlite" }],
    paths: &["private/var/wireless/Library/Databases/DataUsage.sqlite"],
};

/// Gaps longer than this are reported as one range alert.
pub const RANGE_THRESHOLD: i64 = 10;
/// Most gap alerts per database before summarising.
pub const MAX_GAP_ALERTS: usize = 500;

/// One process × usage row (`datausage.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataUsageRecord {
    /// `ZPROCESS.Z_PK` (null for usage rows whose process is missing).
    pub proc_id: Option<i64>,
    /// Process name (up to 16 characters).
    pub proc_name: Option<String>,
    /// Bundle id, if any.
    pub bundle_id: Option<String>,
    /// Process first seen.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub first_isodate: Option<Timestamp>,
    /// Process last seen.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub isodate: Option<Timestamp>,
    /// `ZLIVEUSAGE.Z_PK`.
    pub live_id: Option<i64>,
    /// `ZLIVEUSAGE.ZHASPROCESS`.
    pub live_proc_id: Option<i64>,
    /// Usage row time.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub live_isodate: Option<Timestamp>,
    /// Wi-Fi bytes in.
    pub wifi_in: Option<f64>,
    /// Wi-Fi bytes out.
    pub wifi_out: Option<f64>,
    /// Cellular bytes in.
    pub wwan_in: Option<f64>,
    /// Cellular bytes out.
    pub wwan_out: Option<f64>,
    /// Database path inside the acquisition.
    pub database: String,
}

/// What a gap alert is attached to.
#[derive(Debug, Clone, Serialize)]
pub struct MissingProcess {
    /// First missing id.
    pub missing_from: i64,
    /// Last missing id.
    pub missing_to: i64,
    /// Id before the gap (0 if the gap starts at 1).
    pub previous_proc_id: i64,
    /// Process name before the gap.
    pub previous_proc_name: Option<String>,
    /// Database path inside the acquisition.
    pub database: String,
}

/// The `datausage` module: `DataUsage.sqlite` at [`LOCATOR`] by default; the same parser,
/// checks and heuristics serve other databases of the schema through [`Datausage::at`]
/// (`netusage`).
#[derive(Debug, Clone, Copy)]
pub struct Datausage {
    locator: &'static Locator,
}

impl Default for Datausage {
    fn default() -> Self {
        Self::at(&LOCATOR)
    }
}

impl Datausage {
    /// The module reading the databases of `locator`.
    pub const fn at(locator: &'static Locator) -> Self {
        Self { locator }
    }
}

const PROC_COLS: &[&str] = &["ZPROCNAME", "ZBUNDLENAME", "ZFIRSTTIMESTAMP", "ZTIMESTAMP"];
const LIVE_COLS: &[&str] = &["Z_PK", "ZHASPROCESS", "ZTIMESTAMP", "ZWIFIIN", "ZWIFIOUT", "ZWWANIN", "ZWWANOUT"];

struct Gaps {
    alerts: usize,
    suppressed: i64,
}

fn gap<M: ArtifactModule>(
    out: &mut Out<'_, '_, M>,
    g: &mut Gaps,
    prev: i64,
    prev_name: Option<&str>,
    next: i64,
    db: &str,
) {
    let (from, to) = (prev + 1, next - 1);
    if from > to {
        return;
    }
    let mut emit = |out: &mut Out<'_, '_, M>, a: i64, b: i64, msg: String| {
        if g.alerts >= MAX_GAP_ALERTS {
            g.suppressed += b - a + 1;
            return;
        }
        g.alerts += 1;
        let rec = MissingProcess {
            missing_from: a,
            missing_to: b,
            previous_proc_id: prev,
            previous_proc_name: prev_name.map(str::to_string),
            database: db.to_string(),
        };
        out.heuristic(Level::Low, msg, None, &rec);
    };
    if to - from + 1 > RANGE_THRESHOLD {
        let msg = format!(
            "Missing process ids {from}-{to} ({} records between {prev} and {next}): process records were deleted from the network usage database",
            to - from + 1
        );
        emit(out, from, to, msg);
    } else {
        for id in from..=to {
            let msg = format!(
                "Missing process id {id} (between {prev} and {next}): a process record was deleted from the network usage database"
            );
            emit(out, id, id, msg);
        }
    }
}

fn read_db(db: &SqliteDb, path: &str, out: &mut Out<'_, '_, Datausage>) -> Result<(), ModuleError> {
    if !db.has_table("ZPROCESS") {
        out.warn(format!("{path}: no ZPROCESS table"));
        return Ok(());
    }
    let mut schema = Columns::default();
    let pcols = schema.select_list(db, "ZPROCESS", "p", PROC_COLS);
    let has_live = db.has_table("ZLIVEUSAGE");
    let (lcols, ljoin) = if has_live {
        let l = schema.select_list(db, "ZLIVEUSAGE", "l", LIVE_COLS);
        let join = if schema.missing.iter().any(|m| m == "ZLIVEUSAGE.ZHASPROCESS") {
            " LEFT JOIN ZLIVEUSAGE l ON 0"
        } else {
            " LEFT JOIN ZLIVEUSAGE l ON l.ZHASPROCESS = p.Z_PK"
        };
        (l, join)
    } else {
        schema.missing.push("ZLIVEUSAGE".into());
        (vec!["NULL"; LIVE_COLS.len()].join(", "), "")
    };
    schema.warn(out, path);
    let live_order = if ljoin.is_empty() { "" } else { ", l.Z_PK" };
    let sql = format!("SELECT p.Z_PK, {pcols}, {lcols} FROM ZPROCESS p{ljoin} ORDER BY p.Z_PK{live_order}");
    let mut stmt = db.prepare(&sql).map_err(|e| ModuleError::query(path, e))?;
    let mut rows = stmt.query([]).map_err(|e| ModuleError::query(path, e))?;
    let mut prev: i64 = 0;
    let mut prev_name: Option<String> = None;
    let mut gaps = Gaps { alerts: 0, suppressed: 0 };
    while let Some(row) = rows.next().map_err(|e| ModuleError::query(path, e))? {
        let Some(pk) = cell::i64(row, 0) else {
            out.warn(format!("{path}: ZPROCESS row without Z_PK skipped"));
            continue;
        };
        let rec = DataUsageRecord {
            proc_id: Some(pk),
            proc_name: cell::text(row, 1),
            bundle_id: cell::text(row, 2),
            first_isodate: cell::f64(row, 3).and_then(from_mac_absolute),
            isodate: cell::f64(row, 4).and_then(from_mac_absolute),
            live_id: cell::i64(row, 5),
            live_proc_id: cell::i64(row, 6),
            live_isodate: cell::f64(row, 7).and_then(from_mac_absolute),
            wifi_in: cell::f64(row, 8),
            wifi_out: cell::f64(row, 9),
            wwan_in: cell::f64(row, 10),
            wwan_out: cell::f64(row, 11),
            database: path.to_string(),
        };
        if pk > prev {
            gap(out, &mut gaps, prev, prev_name.as_deref(), pk, path);
            prev = pk;
            prev_name.clone_from(&rec.proc_name);
        }
        out.record(rec)?;
    }
    if gaps.suppressed > 0 {
        out.heuristic(
            Level::Low,
            format!("{} more missing process ids in {path} (alerts capped at {MAX_GAP_ALERTS})", gaps.suppressed),
            None,
            &serde_json::json!({ "database": path }),
        );
    }
    drop(rows);
    drop(stmt);

    if has_live && !schema.missing.iter().any(|m| m == "ZLIVEUSAGE.ZHASPROCESS") {
        let lcols = Columns::default().select_list(db, "ZLIVEUSAGE", "l", LIVE_COLS);
        let sql = format!(
            "SELECT {lcols} FROM ZLIVEUSAGE l WHERE l.ZHASPROCESS IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM ZPROCESS p WHERE p.Z_PK = l.ZHASPROCESS) ORDER BY l.Z_PK"
        );
        let mut stmt = db.prepare(&sql).map_err(|e| ModuleError::query(path, e))?;
        let mut rows = stmt.query([]).map_err(|e| ModuleError::query(path, e))?;
        while let Some(row) = rows.next().map_err(|e| ModuleError::query(path, e))? {
            let rec = DataUsageRecord {
                proc_id: None,
                proc_name: None,
                bundle_id: None,
                first_isodate: None,
                isodate: None,
                live_id: cell::i64(row, 0),
                live_proc_id: cell::i64(row, 1),
                live_isodate: cell::f64(row, 2).and_then(from_mac_absolute),
                wifi_in: cell::f64(row, 3),
                wifi_out: cell::f64(row, 4),
                wwan_in: cell::f64(row, 5),
                wwan_out: cell::f64(row, 6),
                database: path.to_string(),
            };
            let msg = format!(
                "Process record deleted: network usage row #{} points to missing process id {}; the process that used the network was erased from the database",
                rec.live_id.unwrap_or_default(),
                rec.live_proc_id.unwrap_or_default()
            );
            out.heuristic(Level::High, msg, rec.live_isodate, &rec);
            out.record(rec)?;
        }
    }
    Ok(())
}

impl ArtifactModule for Datausage {
    type Record = DataUsageRecord;
    const NAME: &'static str = "datausage";
    const DESCRIPTION: &'static str =
        "Per-process network usage (DataUsage.sqlite): process names vs indicators, deleted process records";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        ferret_core::toolkit::each_sqlite(ctx, self.locator, out, read_db)
    }

    fn timeline(&self, r: &DataUsageRecord, events: &mut Vec<(Timestamp, String, String)>) {
        let name = r.proc_name.as_deref().unwrap_or("unknown process");
        // Rows of one process repeat identical first/current events; timeline writers dedupe
        // identical rows (as MVT does).
        if r.proc_id.is_some() {
            if let Some(t) = r.first_isodate {
                events.push((
                    t,
                    "first_usage".into(),
                    format!("{name} (bundle {}) first network usage", r.bundle_id.as_deref().unwrap_or("-")),
                ));
            }
            if let Some(t) = r.isodate {
                events.push((
                    t,
                    "current_usage".into(),
                    format!("{name} (bundle {}) last network usage", r.bundle_id.as_deref().unwrap_or("-")),
                ));
            }
        }
        if let Some(t) = r.live_isodate {
            events.push((
                t,
                "live_usage".into(),
                format!(
                    "{name}: WIFI IN {}, WIFI OUT {} - WWAN IN {}, WWAN OUT {}",
                    r.wifi_in.unwrap_or(0.0),
                    r.wifi_out.unwrap_or(0.0),
                    r.wwan_in.unwrap_or(0.0),
                    r.wwan_out.unwrap_or(0.0)
                ),
            ));
        }
    }

    fn check(&self, r: &DataUsageRecord, ind: &dyn Indicators, findings: &mut Vec<Finding>) {
        if let Some(n) = r.proc_name.as_deref().filter(|n| !n.is_empty())
            && let Some(m) = ind.check_process(n)
        {
            findings.push(ioc_finding(
                Level::Critical,
                "Process with network usage",
                n,
                r.isodate.or(r.live_isodate),
                m,
            ));
        }
        // the bundle column names the process's app (also one since deleted): an app id
        if let Some(b) = r.bundle_id.as_deref().filter(|b| !b.is_empty())
            && let Some(m) = ind.check_app_id(b)
        {
            findings.push(ioc_finding(Level::Critical, "App with network usage", b, r.isodate.or(r.live_isodate), m));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::sms::test_support::*;
    use super::*;
    use ferret_core::{NoIndicators, Typed};
    use ferret_testdata::fake::TruthIndicators;
    use ferret_testdata::truth::{Truth, compare};

    const FS: &str = "private/var/wireless/Library/Databases/DataUsage.sqlite";

    #[test]
    fn planted_cases_exact() {
        let mut truth = Truth::default();
        let files = ferret_testdata::ios::datausage::generate(5, 400, &mut truth);
        let dir = layout(&files);
        let ind = TruthIndicators::new(&truth);
        let r = run_dir(&Typed(Datausage::default()), dir.path(), &ind);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        let cmp = compare(&truth.alerts, &r.alerts, Some(&["datausage"]));
        assert!(cmp.is_exact(), "missed {:#?}\nunexpected {:#?}", cmp.missed, cmp.unexpected);
    }

    #[test]
    fn gap_bounds_and_old_schema() {
        let d = db_from_sql(
            FS,
            "CREATE TABLE ZPROCESS (Z_PK INTEGER PRIMARY KEY, ZPROCNAME VARCHAR);
             INSERT INTO ZPROCESS VALUES (1, 'a'), (3, 'b'), (5000000000, 'c');",
        );
        let r = run_dir(&Typed(Datausage::default()), d.path(), &NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 3);
        assert_eq!(r.alerts.len(), 2, "{:#?}", r.alerts);
        assert!(r.warnings.iter().any(|w| w.contains("ZLIVEUSAGE")));
        // many small gaps are capped
        let mut sql = String::from("CREATE TABLE ZPROCESS (Z_PK INTEGER PRIMARY KEY, ZPROCNAME VARCHAR);");
        for i in 0..2000 {
            sql.push_str(&format!("INSERT INTO ZPROCESS VALUES ({}, 'p');", i * 2 + 1));
        }
        let d = db_from_sql(FS, &sql);
        let r = run_dir(&Typed(Datausage::default()), d.path(), &NoIndicators);
        assert_eq!(r.alerts.len(), MAX_GAP_ALERTS + 1);
        let d = single(FS, b"not a database at all, definitely not, padding padding padding padding");
        assert!(run_dir(&Typed(Datausage::default()), d.path(), &NoIndicators).outcome.is_err());
    }
}
