//! `firefox_favicon`: Firefox for iOS favicons and the pages that used them.
//!
//! Format facts (same `browser.db` as `firefox_history`):
//! * `favicons` (`id`, `url` = icon URL, `width`, `height`, `type`, `date`) ⨝ `favicon_sites`
//!   (`siteID` → `history.id`, `faviconID` → `favicons.id`) ⨝ `history` (`id`, `url`).
//! * `date` is read as Unix time (seconds; millisecond/microsecond magnitudes are scaled).
//!
//! Checks: icon `url`, then `history_url` (`check_url`) → CRITICAL, one alert per matching field.
//! Timeline: `firefox_favicon`.

use ferret_core::{ArtifactModule, Context, Finding, Indicators, Level, ModuleError, Out, Outcome, ioc_finding};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::firefox_history::{LOCATOR, firefox_time};
use ferret_core::toolkit::{Columns, cell, each_sqlite, for_each_row};

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct FirefoxFavicon;

/// One favicon used by one page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FirefoxFaviconRecord {
    /// `favicons.id`.
    pub id: Option<i64>,
    /// Icon URL.
    pub url: Option<String>,
    /// Width.
    pub width: Option<i64>,
    /// Height.
    pub height: Option<i64>,
    /// Icon type.
    #[serde(rename = "type")]
    pub icon_type: Option<i64>,
    /// Icon date.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub isodate: Option<Timestamp>,
    /// `history.id` of the page.
    pub history_id: Option<i64>,
    /// Page URL.
    pub history_url: Option<String>,
}

impl ArtifactModule for FirefoxFavicon {
    type Record = FirefoxFaviconRecord;
    const NAME: &'static str = "firefox_favicon";
    const DESCRIPTION: &'static str = "Firefox for iOS favicons and the pages that loaded them";
    const SHARES_DATABASE_WITH: Option<&'static str> = Some("firefox_history");

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        each_sqlite(ctx, &LOCATOR, out, |db, path, out| {
            if !db.has_table("favicons") || !db.has_table("favicon_sites") || !db.has_table("history") {
                // Older Firefox builds kept no favicon tables: nothing to read, not corrupt.
                out.warn(format!("{}: favicon tables (favicons/favicon_sites/history) not present", path));
                return Ok(());
            }
            let mut cols = Columns::default();
            let fav = cols.select(db, "favicons", "f", &["id", "url", "width", "height", "type", "date"]);
            let h = cols.select(db, "history", "h", &["id", "url"]);
            if let Some(w) = cols.warning(path) {
                out.warn(w);
            }
            let sql = format!(
                "SELECT {}, {} FROM favicon_sites s JOIN favicons f ON f.id = s.faviconID \
                 JOIN history h ON h.id = s.siteID ORDER BY s.id, f.id",
                fav.join(", "),
                h.join(", ")
            );
            for_each_row(db, path, &sql, |r| {
                out.record(FirefoxFaviconRecord {
                    id: cell::i64(r, 0),
                    url: cell::text(r, 1),
                    width: cell::i64(r, 2),
                    height: cell::i64(r, 3),
                    icon_type: cell::i64(r, 4),
                    isodate: firefox_time(cell::f64(r, 5)),
                    history_id: cell::i64(r, 6),
                    history_url: cell::text(r, 7),
                })
            })?;
            Ok(())
        })
    }

    fn timeline(&self, r: &FirefoxFaviconRecord, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.isodate {
            events.push((
                t,
                "firefox_favicon".into(),
                format!(
                    "Firefox favicon {} for {}",
                    r.url.as_deref().unwrap_or(""),
                    r.history_url.as_deref().unwrap_or("")
                ),
            ));
        }
    }

    fn check(&self, r: &FirefoxFaviconRecord, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        for (what, v) in [("Firefox favicon URL", &r.url), ("Firefox favicon page", &r.history_url)] {
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
        let files = ferret_testdata::ios::firefox_favicon::generate(9, 25, &mut truth);
        let (_d, ev) = fs_tree(&files);
        let r = run(FirefoxFavicon, &ev, &TruthIndicators::new(&truth));
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 28);
        assert_exact(&truth, &r, "firefox_favicon");
    }

    #[test]
    fn history_only_db_warns() {
        let mut truth = Truth::default();
        let files = ferret_testdata::ios::firefox_history::generate(9, 5, &mut truth);
        let (_d, ev) = fs_tree(&files);
        let r = run(FirefoxFavicon, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert!(r.records.is_empty());
        assert!(r.warnings[0].contains("favicon tables"));
    }
}
