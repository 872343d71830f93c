//! `tcc`: privacy permissions (microphone, camera, contacts, photos, ...) granted or denied to
//! apps and processes.
//!
//! # Artifact
//! backup `HomeDomain` / `Library/TCC/TCC.db`; filesystem `private/var/mobile/Library/TCC/TCC.db`.
//!
//! # Schema facts (`access` table, columns probed)
//! * v1 (old iOS): `service, client, client_type, allowed, prompt_count` — no `last_modified`;
//! * v2 (iOS 10–13): adds `last_modified` (Unix seconds), `policy_id`, `indirect_object_*`;
//! * v3 (iOS 14+): `allowed`/`prompt_count` replaced by `auth_value` (0 denied, 1 unknown,
//!   2 allowed, 3 limited) and `auth_reason` (1 error, 2 user consent, 3 user set, 4 system set,
//!   5 service policy, 6 MDM policy, 7 override policy, 8 missing usage string, 9 prompt timeout,
//!   10 preflight unknown, 11 entitled, 12 app type policy).
//!
//! `client_type` 0 means `client` is a bundle id, 1 an absolute executable path. Missing columns
//! read as null and are named in one warning.
//!
//! # Checks (level)
//! `check_process(client)` (basename of paths) and `check_app_id(client)` — CRITICAL (one alert
//! per record: the process match is reported when both match).
//!
//! Timeline: `access` at `last_modified`.

use ferret_core::evidence::BackupPath;
use ferret_core::time::from_unix;
use ferret_core::toolkit::{Columns, cell};
use ferret_core::{
    ArtifactModule, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, SqliteDb, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Where `TCC.db` lives.
pub const LOCATOR: Locator = Locator {
    backup: &[BackupPath { domain: "HomeDomain", path: "Library/TCC/TCC.db" }],
    paths: &["private/var/mobile/Library/TCC/TCC.db"],
};

/// One permission row (`tcc.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TccEntry {
    /// `kTCCService...` name.
    pub service: Option<String>,
    /// Bundle id or executable path.
    pub client: Option<String>,
    /// `bundle_id`, `absolute_path` or the raw number.
    pub client_type: Option<String>,
    /// v3 decision: `denied`, `unknown`, `allowed`, `limited` (or the raw number).
    pub auth_value: Option<String>,
    /// v3 reason (`user_consent`, `mdm_policy`, ...).
    pub auth_reason: Option<String>,
    /// v1/v2 decision (1 allowed, 0 denied).
    pub allowed: Option<i64>,
    /// v1/v2 prompt count.
    pub prompt_count: Option<i64>,
    /// Last change (UTC).
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub last_modified: Option<Timestamp>,
}

/// The `tcc` module.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tcc;

const COLS: &[&str] =
    &["service", "client", "client_type", "auth_value", "auth_reason", "allowed", "prompt_count", "last_modified"];

fn auth_value(v: i64) -> String {
    match v {
        0 => "denied".into(),
        1 => "unknown".into(),
        2 => "allowed".into(),
        3 => "limited".into(),
        n => n.to_string(),
    }
}

fn auth_reason(v: i64) -> String {
    const NAMES: [&str; 12] = [
        "error",
        "user_consent",
        "user_set",
        "system_set",
        "service_policy",
        "mdm_policy",
        "override_policy",
        "missing_usage_string",
        "prompt_timeout",
        "preflight_unknown",
        "entitled",
        "app_type_policy",
    ];
    v.checked_sub(1)
        .and_then(|x| usize::try_from(x).ok())
        .and_then(|i| NAMES.get(i))
        .map_or_else(|| v.to_string(), |s| (*s).to_string())
}

fn read_db(db: &SqliteDb, path: &str, out: &mut Out<'_, '_, Tcc>) -> Result<(), ModuleError> {
    if !db.has_table("access") {
        out.warn(format!("{path}: no `access` table"));
        return Ok(());
    }
    let mut schema = Columns::default();
    let cols = schema.select_list(db, "access", "a", COLS);
    // v3 has no allowed/prompt_count and v1/v2 no auth_*: only mention columns no version has.
    let is_v3 = !schema.missing.iter().any(|m| m == "access.auth_value");
    schema.missing.retain(|m| {
        if is_v3 {
            m != "access.allowed" && m != "access.prompt_count"
        } else {
            m != "access.auth_value" && m != "access.auth_reason"
        }
    });
    schema.warn(out, path);
    let sql = format!("SELECT {cols} FROM access a ORDER BY a.service, a.client, a.rowid");
    let mut stmt = db.prepare(&sql).map_err(|e| ModuleError::query(path, e))?;
    let mut rows = stmt.query([]).map_err(|e| ModuleError::query(path, e))?;
    while let Some(row) = rows.next().map_err(|e| ModuleError::query(path, e))? {
        let rec = TccEntry {
            service: cell::text(row, 0),
            client: cell::text(row, 1),
            client_type: cell::i64(row, 2).map(|t| match t {
                0 => "bundle_id".to_string(),
                1 => "absolute_path".to_string(),
                n => n.to_string(),
            }),
            auth_value: cell::i64(row, 3).map(auth_value),
            auth_reason: cell::i64(row, 4).map(auth_reason),
            allowed: cell::i64(row, 5),
            prompt_count: cell::i64(row, 6),
            last_modified: cell::i64(row, 7).and_then(from_unix),
        };
        out.record(rec)?;
    }
    Ok(())
}

impl ArtifactModule for Tcc {
    type Record = TccEntry;
    const NAME: &'static str = "tcc";
    const DESCRIPTION: &'static str = "Privacy permissions from TCC.db: clients vs process and app indicators";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        ferret_core::toolkit::each_sqlite(ctx, &LOCATOR, out, read_db)
    }

    fn timeline(&self, r: &TccEntry, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.last_modified {
            let decision = r
                .auth_value
                .clone()
                .or_else(|| r.allowed.map(|a| if a != 0 { "allowed".into() } else { "denied".into() }));
            events.push((
                t,
                "access".into(),
                format!(
                    "{} access to {} {}",
                    r.client.as_deref().unwrap_or(""),
                    r.service.as_deref().unwrap_or(""),
                    decision.as_deref().unwrap_or("unknown")
                ),
            ));
        }
    }

    fn changes(&self, r: &TccEntry, changes: &mut Vec<(Timestamp, String)>) {
        let granted = matches!(r.auth_value.as_deref(), Some("allowed" | "limited")) || r.allowed == Some(1);
        if let (true, Some(t)) = (granted, r.last_modified) {
            changes.push((
                t,
                format!(
                    "Privacy permission {} granted to {:?}",
                    r.service.as_deref().unwrap_or("?"),
                    r.client.as_deref().unwrap_or("?")
                ),
            ));
        }
    }

    fn check(&self, r: &TccEntry, ind: &dyn Indicators, findings: &mut Vec<Finding>) {
        let Some(c) = r.client.as_deref().filter(|c| !c.is_empty()) else { return };
        if let Some(m) = ind.check_process(c).or_else(|| ind.check_app_id(c)) {
            findings.push(ioc_finding(Level::Critical, "Privacy permission client", c, r.last_modified, m));
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

    #[test]
    fn planted_cases_exact() {
        let mut truth = Truth::default();
        let files = ferret_testdata::ios::tcc::generate(9, 200, &mut truth);
        let dir = layout(&files);
        let r = run_dir(&Typed(Tcc), dir.path(), &TruthIndicators::new(&truth));
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 203);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        let cmp = compare(&truth.alerts, &r.alerts, Some(&["tcc"]));
        assert!(cmp.is_exact(), "missed {:#?}\nunexpected {:#?}", cmp.missed, cmp.unexpected);
    }

    #[test]
    fn v1_schema_and_labels() {
        let d = db_from_sql(
            "private/var/mobile/Library/TCC/TCC.db",
            "CREATE TABLE access (service TEXT, client TEXT, client_type INTEGER, allowed INTEGER, prompt_count INTEGER);
             INSERT INTO access VALUES ('kTCCServiceCamera', 'com.example.cam', 0, 1, 1), (NULL, NULL, NULL, NULL, NULL);",
        );
        let r = run_dir(&Typed(Tcc), d.path(), &NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 2);
        assert!(r.warnings.iter().any(|w| w.contains("last_modified")));
        assert_eq!(auth_reason(6), "mdm_policy");
        assert_eq!(auth_reason(99), "99");
        assert_eq!(auth_reason(i64::MIN), i64::MIN.to_string());
        assert_eq!(auth_value(3), "limited");
    }
}
