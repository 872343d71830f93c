//! `firefox_history`: Firefox for iOS browsing history.
//!
//! Format facts:
//! * SQLite `browser.db` at AppDomainGroup-group.org.mozilla.ios.Firefox
//!   `profile.profile/browser.db` (FS `private/var/mobile/Containers/Shared/AppGroup/<UUID>/
//!   profile.profile/browser.db`; MVT also globs `private/var/mobile/profile.profile/browser.db`).
//! * `visits` (`id`, `siteID` → `history.id`, `date` = Unix **microseconds**, `type`,
//!   `is_local`) ⨝ `history` (`id`, `url`, `title`).
//! * MVT stores `is_local` under the misspelt key `i1000000s_local`; ferret writes `is_local`.
//!
//! Checks: `url` (`check_url`) → CRITICAL. Timeline: `firefox_history`.

use ferret_core::{
    ArtifactModule, BackupPath, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use ferret_core::toolkit::{Columns, cell, each_sqlite, for_each_row};

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct FirefoxHistory;

/// One visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FirefoxVisit {
    /// `visits.id`.
    pub id: Option<i64>,
    /// Visit time.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub isodate: Option<Timestamp>,
    /// URL.
    pub url: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Visit made on this device.
    pub is_local: Option<i64>,
    /// Visit type.
    #[serde(rename = "type")]
    pub visit_type: Option<i64>,
}

/// Where `browser.db` lives (shared with `firefox_favicon`).
pub(crate) static LOCATOR: Locator = Locator {
    backup: &[BackupPath {
        domain: "AppDomainGroup-group.org.mozilla.ios.Firefox",
        path: "profile.profile/browser.db",
    }],
    paths: &[
        "private/var/mobile/Containers/Shared/AppGroup/*/profile.profile/browser.db",
        "private/var/mobile/profile.profile/browser.db",
    ],
};

/// Unix microseconds (REAL or INTEGER) → time; values that look like seconds or milliseconds
/// are accepted too (older builds).
pub(crate) fn firefox_time(v: Option<f64>) -> Option<Timestamp> {
    let v = v?;
    if !v.is_finite() || v <= 0.0 {
        return None;
    }
    if v > 1e14 {
        ferret_core::time::from_unix_f64(v / 1_000_000.0)
    } else if v > 1e11 {
        ferret_core::time::from_unix_f64(v / 1000.0)
    } else {
        ferret_core::time::from_unix_f64(v)
    }
}

impl ArtifactModule for FirefoxHistory {
    type Record = FirefoxVisit;
    const NAME: &'static str = "firefox_history";
    const DESCRIPTION: &'static str = "Firefox for iOS browsing history";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        each_sqlite(ctx, &LOCATOR, out, |db, path, out| {
            if !db.has_table("visits") || !db.has_table("history") {
                return Err(ModuleError::missing_tables(path, db, "tables visits/history"));
            }
            let mut cols = Columns::default();
            let v = cols.select(db, "visits", "v", &["id", "date", "is_local", "type"]);
            let h = cols.select(db, "history", "h", &["url", "title"]);
            if let Some(w) = cols.warning(path) {
                out.warn(w);
            }
            let sql = format!(
                "SELECT {}, {} FROM visits v JOIN history h ON h.id = v.siteID ORDER BY v.id",
                v.join(", "),
                h.join(", ")
            );
            for_each_row(db, path, &sql, |r| {
                out.record(FirefoxVisit {
                    id: cell::i64(r, 0),
                    isodate: firefox_time(cell::f64(r, 1)),
                    is_local: cell::i64(r, 2),
                    visit_type: cell::i64(r, 3),
                    url: cell::text(r, 4),
                    title: cell::text(r, 5),
                })
            })?;
            Ok(())
        })
    }

    fn timeline(&self, r: &FirefoxVisit, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.isodate {
            events.push((t, "firefox_history".into(), format!("Firefox visit to {}", r.url.as_deref().unwrap_or(""))));
        }
    }

    fn check(&self, r: &FirefoxVisit, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if let Some(u) = r.url.as_deref().filter(|u| !u.is_empty())
            && let Some(m) = ind.check_url(u)
        {
            f.push(ioc_finding(Level::Critical, "Firefox visit to", u, r.isodate, m));
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
        let files = ferret_testdata::ios::firefox_history::generate(9, 25, &mut truth);
        let (_d, ev) = fs_tree(&files);
        let r = run(FirefoxHistory, &ev, &TruthIndicators::new(&truth));
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 27);
        assert!(r.records[0]["isodate"].as_str().expect("date").starts_with("202"));
        assert_exact(&truth, &r, "firefox_history");
    }

    #[test]
    fn edge_cases() {
        let p = "private/var/mobile/profile.profile/browser.db";
        let (d, ev) = fs_tree(&[]);
        assert_eq!(run(FirefoxHistory, &ev, &ferret_core::NoIndicators).outcome, Ok(Outcome::NotFound));
        put(&d, p, &sqlite_bytes("CREATE TABLE history(id INTEGER PRIMARY KEY, url TEXT); CREATE TABLE visits(id INTEGER PRIMARY KEY, siteID INTEGER, date REAL);
            INSERT INTO history VALUES (1, 'https://example.org/'); INSERT INTO visits VALUES (1, 1, 1e300);"));
        let r = run(FirefoxHistory, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.records.len(), 1);
        assert!(r.records[0]["isodate"].is_null());
        assert!(r.warnings[0].contains("visits.is_local") && r.warnings[0].contains("history.title"));
        put(&d, p, &sqlite_bytes("CREATE TABLE history(id INTEGER PRIMARY KEY);"));
        assert!(run(FirefoxHistory, &ev, &ferret_core::NoIndicators).outcome.is_err());
    }
}
