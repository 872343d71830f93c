//! `calls`: the phone/FaceTime call history (`CallHistory.storedata`).
//!
//! Format facts:
//! * Core Data SQLite at HomeDomain `Library/CallHistoryDB/CallHistory.storedata`
//!   (FS `private/var/mobile/Library/CallHistoryDB/CallHistory.storedata`).
//! * Table `ZCALLRECORD`: `Z_PK`, `ZDATE` (Mac absolute seconds, REAL), `ZDURATION` (seconds),
//!   `ZADDRESS` (the other party: phone number, or e-mail for FaceTime; often stored as a BLOB of
//!   UTF-8), `ZLOCATION` (country/area text), `ZNAME`, `ZSERVICE_PROVIDER` (bundle id of the
//!   calling service: `com.apple.Telephony`, `com.apple.FaceTime`, third-party CallKit apps),
//!   `ZORIGINATED` (1 = outgoing), `ZANSWERED`, `ZCALLTYPE`. Older iOS versions lack some columns;
//!   those read as empty and a warning names them.
//!
//! Checks (CRITICAL, indicator hits only): `address` as e-mail (`check_email`) when it contains
//! `@`, else as a phone account (`check_phone`); `provider` as a bundle id (`check_app_id`).
//! Timeline: `call` at the call date.

use ferret_core::{
    ArtifactModule, BackupPath, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use ferret_core::toolkit::{Columns, cell, each_sqlite, for_each_row};

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct Calls;

/// One call (a row of `ZCALLRECORD`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRecord {
    /// `Z_PK`.
    pub id: Option<i64>,
    /// Call start (`ZDATE`).
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub isodate: Option<Timestamp>,
    /// Seconds (`ZDURATION`).
    pub duration: Option<f64>,
    /// `ZLOCATION`.
    pub location: Option<String>,
    /// Other party: phone number or e-mail (`ZADDRESS`).
    pub number: Option<String>,
    /// Contact name cached by the phone (`ZNAME`).
    pub name: Option<String>,
    /// Calling service bundle id (`ZSERVICE_PROVIDER`).
    pub provider: Option<String>,
    /// `incoming` or `outgoing` (`ZORIGINATED`).
    pub direction: Option<String>,
    /// `ZANSWERED` as a boolean.
    pub answered: Option<bool>,
}

static LOCATOR: Locator = Locator {
    backup: &[BackupPath { domain: "HomeDomain", path: "Library/CallHistoryDB/CallHistory.storedata" }],
    paths: &["private/var/mobile/Library/CallHistoryDB/CallHistory.storedata"],
};

const WANTED: &[&str] =
    &["Z_PK", "ZDATE", "ZDURATION", "ZLOCATION", "ZADDRESS", "ZNAME", "ZSERVICE_PROVIDER", "ZORIGINATED", "ZANSWERED"];

impl ArtifactModule for Calls {
    type Record = CallRecord;
    const NAME: &'static str = "calls";
    const DESCRIPTION: &'static str = "Phone and FaceTime call history (CallHistory.storedata)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        each_sqlite(ctx, &LOCATOR, out, |db, path, out| {
            if !db.has_table("ZCALLRECORD") {
                return Err(ModuleError::missing_tables(path, db, "table ZCALLRECORD"));
            }
            let mut cols = Columns::default();
            let sel = cols.select(db, "ZCALLRECORD", "c", WANTED);
            if let Some(w) = cols.warning(path) {
                out.warn(w);
            }
            let sql = format!("SELECT {} FROM ZCALLRECORD c ORDER BY c.rowid", sel.join(", "));
            for_each_row(db, path, &sql, |r| {
                let rec = CallRecord {
                    id: cell::i64(r, 0),
                    isodate: cell::mac_time(r, 1),
                    duration: cell::f64(r, 2),
                    location: cell::text(r, 3),
                    number: cell::text(r, 4),
                    name: cell::text(r, 5),
                    provider: cell::text(r, 6),
                    direction: cell::i64(r, 7).map(|o| if o == 1 { "outgoing" } else { "incoming" }.to_string()),
                    answered: cell::i64(r, 8).map(|a| a != 0),
                };
                out.record(rec)
            })?;
            Ok(())
        })
    }

    fn timeline(&self, r: &CallRecord, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.isodate {
            events.push((
                t,
                "call".into(),
                format!(
                    "{} call {} {} via {} ({}s)",
                    r.direction.as_deref().unwrap_or("unknown-direction"),
                    if r.direction.as_deref() == Some("outgoing") { "to" } else { "from" },
                    r.number.as_deref().unwrap_or("unknown"),
                    r.provider.as_deref().unwrap_or("unknown service"),
                    r.duration.unwrap_or(0.0)
                ),
            ));
        }
    }

    fn check(&self, r: &CallRecord, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if let Some(n) = r.number.as_deref().filter(|n| !n.is_empty()) {
            let hit = if n.contains('@') { ind.check_email(n) } else { ind.check_phone(n) };
            if let Some(m) = hit {
                f.push(ioc_finding(Level::Critical, "Call with", n, r.isodate, m));
            }
        }
        if let Some(p) = r.provider.as_deref().filter(|p| !p.is_empty())
            && let Some(m) = ind.check_app_id(p)
        {
            f.push(ioc_finding(Level::Critical, "Call placed through app", p, r.isodate, m));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::testing::*;
    use ferret_testdata::fake::TruthIndicators;
    use ferret_testdata::truth::Truth;

    #[test]
    fn recall_and_precision() {
        let mut truth = Truth::default();
        let files = ferret_testdata::ios::calls::generate(7, 40, &mut truth);
        let (_d, ev) = fs_tree(&files);
        let ind = TruthIndicators::new(&truth);
        let r = run(Calls, &ev, &ind);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 44);
        assert_eq!(r.timeline.len(), 44);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_exact(&truth, &r, "calls");
    }

    #[test]
    fn older_schema_missing_columns_and_invalid_utf8() {
        let (d, ev) = fs_tree(&[]);
        put(
            &d,
            "private/var/mobile/Library/CallHistoryDB/CallHistory.storedata",
            &sqlite_bytes(
                "CREATE TABLE ZCALLRECORD (Z_PK INTEGER PRIMARY KEY, ZDATE TIMESTAMP, ZADDRESS BLOB);
                 INSERT INTO ZCALLRECORD VALUES (1, 700000000.0, X'2B31FF35');",
            ),
        );
        let r = run(Calls, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 1);
        assert_eq!(r.records[0]["number"], "+1\u{fffd}5");
        assert_eq!(r.warnings.len(), 1);
        assert!(r.warnings[0].contains("ZCALLRECORD.ZDURATION") && r.warnings[0].contains("ZSERVICE_PROVIDER"));
    }

    #[test]
    fn missing_empty_and_corrupt() {
        let (d, ev) = fs_tree(&[]);
        assert_eq!(run(Calls, &ev, &ferret_core::NoIndicators).outcome, Ok(Outcome::NotFound));
        let p = "private/var/mobile/Library/CallHistoryDB/CallHistory.storedata";
        put(&d, p, &sqlite_bytes("CREATE TABLE ZCALLRECORD (Z_PK INTEGER PRIMARY KEY, ZDATE TIMESTAMP);"));
        let r = run(Calls, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert!(r.records.is_empty());
        put(&d, p, b"SQLite format 3\0 but then garbage garbage garbage garbage");
        let r = run(Calls, &ev, &ferret_core::NoIndicators);
        let e = r.outcome.expect_err("corrupt is an error");
        assert!(e.contains("CallHistory.storedata"), "{e}");
    }
}
