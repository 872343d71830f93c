//! `chrome_history`: Chrome for iOS browsing history.
//!
//! Format facts:
//! * SQLite `History` at AppDomain-com.google.chrome.ios
//!   `Library/Application Support/Google/Chrome/Default/History` (FS: the same path under
//!   `private/var/mobile/Containers/Data/Application/<UUID>/`).
//! * `urls` (`id`, `url`, `title`, `visit_count`, `last_visit_time`) ⨝ `visits` (`id`, `url` →
//!   `urls.id`, `visit_time`, `from_visit` = the visit this one was redirected/navigated from,
//!   `transition`). Times are Chrome/WebKit microseconds since 1601-01-01 UTC.
//!
//! Checks: `url` against indicators (`check_url`) → CRITICAL. Timeline: `visit`.

use ferret_core::{
    ArtifactModule, BackupPath, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use ferret_core::toolkit::{Columns, cell, each_sqlite, for_each_row};

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChromeHistory;

/// One visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChromeVisit {
    /// `urls.id`.
    pub id: Option<i64>,
    /// Visited URL.
    pub url: Option<String>,
    /// Page title.
    pub title: Option<String>,
    /// `visits.id`.
    pub visit_id: Option<i64>,
    /// Visit time.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub isodate: Option<Timestamp>,
    /// `from_visit`: the visit that led here (0 = none).
    pub redirect_source: Option<i64>,
    /// Database path inside the acquisition.
    pub db_path: String,
}

static LOCATOR: Locator = Locator {
    backup: &[BackupPath {
        domain: "AppDomain-com.google.chrome.ios",
        path: "Library/Application Support/Google/Chrome/Default/History",
    }],
    paths: &[
        "private/var/mobile/Containers/Data/Application/*/Library/Application Support/Google/Chrome/Default/History",
    ],
};

/// A Chrome time cell (µs since 1601; 0 = unset).
pub(crate) fn chrome_time(row: &rusqlite::Row<'_>, idx: usize) -> Option<Timestamp> {
    cell::i64(row, idx).filter(|v| *v > 0).and_then(ferret_core::time::from_webkit)
}

impl ArtifactModule for ChromeHistory {
    type Record = ChromeVisit;
    const NAME: &'static str = "chrome_history";
    const DESCRIPTION: &'static str = "Chrome for iOS browsing history";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        each_sqlite(ctx, &LOCATOR, out, |db, path, out| {
            if !db.has_table("urls") || !db.has_table("visits") {
                return Err(ModuleError::missing_tables(path, db, "tables urls/visits"));
            }
            let mut cols = Columns::default();
            let u = cols.select(db, "urls", "u", &["id", "url", "title"]);
            let v = cols.select(db, "visits", "v", &["id", "visit_time", "from_visit"]);
            if let Some(w) = cols.warning(path) {
                out.warn(w);
            }
            let sql = format!(
                "SELECT {}, {} FROM urls u JOIN visits v ON u.id = v.url ORDER BY v.visit_time, v.id",
                u.join(", "),
                v.join(", ")
            );
            for_each_row(db, path, &sql, |r| {
                out.record(ChromeVisit {
                    id: cell::i64(r, 0),
                    url: cell::text(r, 1),
                    title: cell::text(r, 2),
                    visit_id: cell::i64(r, 3),
                    isodate: chrome_time(r, 4),
                    redirect_source: cell::i64(r, 5),
                    db_path: path.to_string(),
                })
            })?;
            Ok(())
        })
    }

    fn timeline(&self, r: &ChromeVisit, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.isodate {
            events.push((t, "visit".into(), format!("{} - {}", r.id.unwrap_or(0), r.url.as_deref().unwrap_or(""))));
        }
    }

    fn check(&self, r: &ChromeVisit, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if let Some(u) = r.url.as_deref().filter(|u| !u.is_empty())
            && let Some(m) = ind.check_url(u)
        {
            f.push(ioc_finding(Level::Critical, "Chrome visit to", u, r.isodate, m));
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
        let files = ferret_testdata::ios::chrome_history::generate(5, 50, &mut truth);
        let (_d, ev) = fs_tree(&files);
        let r = run(ChromeHistory, &ev, &TruthIndicators::new(&truth));
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 55);
        assert_eq!(r.timeline.len(), 55);
        assert_exact(&truth, &r, "chrome_history");
    }

    #[test]
    fn edge_cases() {
        let p = "private/var/mobile/Containers/Data/Application/X/Library/Application Support/Google/Chrome/Default/History";
        let (d, ev) = fs_tree(&[]);
        assert_eq!(run(ChromeHistory, &ev, &ferret_core::NoIndicators).outcome, Ok(Outcome::NotFound));
        put(&d, p, &sqlite_bytes("CREATE TABLE urls(id INTEGER PRIMARY KEY, url TEXT); CREATE TABLE visits(id INTEGER PRIMARY KEY, url INTEGER, visit_time INTEGER);
            INSERT INTO urls VALUES (1, CAST(X'68747470733A2F2FFF' AS TEXT)); INSERT INTO visits VALUES (1, 1, 9223372036854775807);"));
        let r = run(ChromeHistory, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 1);
        assert!(r.records[0]["isodate"].is_null());
        assert!(r.warnings[0].contains("urls.title") && r.warnings[0].contains("visits.from_visit"));
        put(&d, p, &sqlite_bytes("CREATE TABLE urls(id INTEGER PRIMARY KEY, url TEXT);"));
        assert!(
            run(ChromeHistory, &ev, &ferret_core::NoIndicators).outcome.expect_err("no visits").contains("History")
        );
    }
}
