//! `chrome_favicon`: Chrome for iOS favicon cache (pages and the icons they loaded).
//!
//! Format facts:
//! * SQLite `Favicons` beside Chrome's `History` (AppDomain-com.google.chrome.ios
//!   `Library/Application Support/Google/Chrome/Default/Favicons`).
//! * `icon_mapping` (`page_url`, `icon_id`) ⨝ `favicons` (`id`, `url` = icon URL) ⨝
//!   `favicon_bitmaps` (`icon_id`, `last_updated`, `last_requested`; Chrome µs since 1601).
//!   The time is `last_updated`, or `last_requested` when `last_updated` is 0.
//!
//! Checks: page `url` and `icon_url` (`check_url`) → CRITICAL, one alert per matching field.
//! Timeline: `favicon`.

use ferret_core::{
    ArtifactModule, BackupPath, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::chrome_history::chrome_time;
use ferret_core::toolkit::{Columns, cell, each_sqlite, for_each_row};

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChromeFavicon;

/// One page → icon mapping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChromeFaviconRecord {
    /// `icon_mapping.id`.
    pub id: Option<i64>,
    /// Page URL.
    pub url: Option<String>,
    /// Icon URL.
    pub icon_url: Option<String>,
    /// Last update (or last request) of the icon.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub isodate: Option<Timestamp>,
}

static LOCATOR: Locator = Locator {
    backup: &[BackupPath {
        domain: "AppDomain-com.google.chrome.ios",
        path: "Library/Application Support/Google/Chrome/Default/Favicons",
    }],
    paths: &[
        "private/var/mobile/Containers/Data/Application/*/Library/Application Support/Google/Chrome/Default/Favicons",
    ],
};

impl ArtifactModule for ChromeFavicon {
    type Record = ChromeFaviconRecord;
    const NAME: &'static str = "chrome_favicon";
    const DESCRIPTION: &'static str = "Chrome for iOS favicon cache (pages visited and icon hosts)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        each_sqlite(ctx, &LOCATOR, out, |db, path, out| {
            if !db.has_table("icon_mapping") || !db.has_table("favicons") {
                return Err(ModuleError::missing_tables(path, db, "tables icon_mapping/favicons"));
            }
            let mut cols = Columns::default();
            let m = cols.select(db, "icon_mapping", "m", &["id", "page_url"]);
            let f = cols.select(db, "favicons", "f", &["url"]);
            let (b, join) = if db.has_table("favicon_bitmaps") {
                (
                    cols.select(db, "favicon_bitmaps", "b", &["last_updated", "last_requested"]),
                    "LEFT JOIN favicon_bitmaps b ON b.icon_id = f.id",
                )
            } else {
                out.warn(format!("{}: table favicon_bitmaps missing; no times", path));
                (vec!["NULL".into(), "NULL".into()], "")
            };
            if let Some(w) = cols.warning(path) {
                out.warn(w);
            }
            let sql = format!(
                "SELECT {}, {}, {} FROM icon_mapping m JOIN favicons f ON f.id = m.icon_id {join} ORDER BY m.id, f.id",
                m.join(", "),
                f.join(", "),
                b.join(", ")
            );
            for_each_row(db, path, &sql, |r| {
                out.record(ChromeFaviconRecord {
                    id: cell::i64(r, 0),
                    url: cell::text(r, 1),
                    icon_url: cell::text(r, 2),
                    isodate: chrome_time(r, 3).or_else(|| chrome_time(r, 4)),
                })
            })?;
            Ok(())
        })
    }

    fn timeline(&self, r: &ChromeFaviconRecord, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.isodate {
            events.push((
                t,
                "favicon".into(),
                format!("{} (icon {})", r.url.as_deref().unwrap_or(""), r.icon_url.as_deref().unwrap_or("")),
            ));
        }
    }

    fn check(&self, r: &ChromeFaviconRecord, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        for (what, v) in [("Chrome favicon page", &r.url), ("Chrome favicon icon URL", &r.icon_url)] {
            if let Some(u) = v.as_deref().filter(|u| !u.is_empty())
                && let Some(m) = ind.check_url(u)
            {
                f.push(ioc_finding(Level::Critical, what, u, r.isodate, m));
            }
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
        let files = ferret_testdata::ios::chrome_favicon::generate(5, 40, &mut truth);
        let (_d, ev) = fs_tree(&files);
        let r = run(ChromeFavicon, &ev, &TruthIndicators::new(&truth));
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 43);
        assert!(r.records.iter().all(|x| !x["isodate"].is_null()), "last_requested fallback");
        assert!(r.warnings.is_empty());
        assert_exact(&truth, &r, "chrome_favicon");
    }

    #[test]
    fn edge_cases() {
        let p = "private/var/mobile/Containers/Data/Application/X/Library/Application Support/Google/Chrome/Default/Favicons";
        let (d, ev) = fs_tree(&[]);
        assert_eq!(run(ChromeFavicon, &ev, &ferret_core::NoIndicators).outcome, Ok(Outcome::NotFound));
        put(&d, p, &sqlite_bytes("CREATE TABLE favicons(id INTEGER PRIMARY KEY, url TEXT); CREATE TABLE icon_mapping(id INTEGER PRIMARY KEY, page_url TEXT, icon_id INTEGER);
            INSERT INTO favicons VALUES (1, 'https://example.org/f.ico'); INSERT INTO icon_mapping VALUES (1, 'https://example.org/', 1);"));
        let r = run(ChromeFavicon, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.records.len(), 1);
        assert!(r.warnings[0].contains("favicon_bitmaps"));
        put(&d, p, b"not a database at all, just some text that is long enough to be a header");
        assert!(run(ChromeFavicon, &ev, &ferret_core::NoIndicators).outcome.is_err());
    }
}
