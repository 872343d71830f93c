//! `safari_favicon`: pages and icon URLs from Safari's favicon cache (`Favicons.db`).
//!
//! Format facts (MVT's SafariFavicon; WebKit `WebIconDatabase` on iOS):
//! * `private/var/mobile/Library/Image Cache/Favicons/Favicons.db`, and the same path inside app
//!   data containers (`Containers/Data/Application/*/Library/Image Cache/Favicons/Favicons.db`).
//! * `page_url(uuid, url)` ⨝ `icon_info(uuid, url, timestamp)`: a visited page and its icon
//!   (`type: valid`); `rejected_resources(page_url, icon_url, timestamp)`: icons that failed to
//!   load (`type: rejected`). Times are Mac absolute seconds.
//!
//! Record: `{url, icon_url, isodate, type, safari_favicon_db_path}`. Checks: `check_url(url)`,
//! else `check_url(icon_url)` → CRITICAL. Timeline: `favicon`.

use ferret_core::{
    ArtifactModule, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use ferret_core::toolkit::{cell, each_sqlite, for_each_row};

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct SafariFavicon;

/// One page/icon pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaviconEntry {
    /// Page URL.
    pub url: Option<String>,
    /// Icon URL.
    pub icon_url: Option<String>,
    /// When the icon was stored or rejected.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub isodate: Option<Timestamp>,
    /// `valid` or `rejected`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Database path inside the acquisition.
    pub safari_favicon_db_path: String,
}

static LOCATOR: Locator = Locator {
    backup: &[],
    paths: &[
        "private/var/mobile/Library/Image Cache/Favicons/Favicons.db",
        "private/var/mobile/Containers/Data/Application/*/Library/Image Cache/Favicons/Favicons.db",
    ],
};

impl ArtifactModule for SafariFavicon {
    type Record = FaviconEntry;
    const NAME: &'static str = "safari_favicon";
    const DESCRIPTION: &'static str = "Safari favicon cache (Favicons.db): visited pages and icon URLs";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        each_sqlite(ctx, &LOCATOR, out, |db, path, out| {
            let mut any = false;
            if db.has_table("page_url") && db.has_table("icon_info") {
                any = true;
                let sql = "SELECT p.url, i.url, i.timestamp FROM page_url p JOIN icon_info i ON p.uuid = i.uuid ORDER BY i.timestamp, p.url, i.url";
                for_each_row(db, path, sql, |r| {
                    out.record(FaviconEntry {
                        url: cell::text(r, 0),
                        icon_url: cell::text(r, 1),
                        isodate: cell::mac_time(r, 2),
                        kind: "valid".into(),
                        safari_favicon_db_path: path.to_string(),
                    })
                })?;
            }
            if db.has_table("rejected_resources") {
                any = true;
                let sql = "SELECT page_url, icon_url, timestamp FROM rejected_resources ORDER BY timestamp, page_url, icon_url";
                for_each_row(db, path, sql, |r| {
                    out.record(FaviconEntry {
                        url: cell::text(r, 0),
                        icon_url: cell::text(r, 1),
                        isodate: cell::mac_time(r, 2),
                        kind: "rejected".into(),
                        safari_favicon_db_path: path.to_string(),
                    })
                })?;
            }
            if !any {
                out.warn(format!("{}: none of the tables page_url/icon_info/rejected_resources", path));
            }
            Ok(())
        })
    }

    fn timeline(&self, r: &FaviconEntry, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.isodate {
            events.push((
                t,
                "favicon".into(),
                format!(
                    "{} favicon {} for {}",
                    r.kind,
                    r.icon_url.as_deref().unwrap_or("-"),
                    r.url.as_deref().unwrap_or("-")
                ),
            ));
        }
    }

    fn check(&self, r: &FaviconEntry, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        for (what, u) in [("Favicon page", &r.url), ("Favicon icon", &r.icon_url)] {
            if let Some(u) = u.as_deref().filter(|u| !u.is_empty())
                && let Some(m) = ind.check_url(u)
            {
                f.push(ioc_finding(Level::Critical, what, u, r.isodate, m));
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::executable_paths::testing::run_on;
    use crate::modules::webkit_stores::testing::both_fs;
    use ferret_testdata::fake::TruthIndicators;
    use ferret_testdata::truth::{Truth, compare};

    #[test]
    fn recall_and_precision_folder_and_targz() {
        let mut truth = Truth::default();
        let files = ferret_testdata::ios_fs::safari_favicon(3, 40, &mut truth);
        let (_d, evs) = both_fs(&files);
        let ind = TruthIndicators::new(&truth);
        let mut all = Vec::new();
        for ev in &evs {
            let r = run_on(SafariFavicon, ev.as_ref(), &ind);
            assert_eq!(r.outcome, Ok(Outcome::Completed));
            let cmp = compare(&truth.alerts, &r.alerts, Some(&["safari_favicon"]));
            assert!(cmp.is_exact(), "missed {:#?} unexpected {:#?}", cmp.missed, cmp.unexpected);
            assert_eq!(r.records.len(), 42);
            all.push(r.records);
        }
        assert_eq!(all[0], all[1]);
    }
}
