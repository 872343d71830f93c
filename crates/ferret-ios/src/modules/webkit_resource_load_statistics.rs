//! `webkit_resource_load_statistics`: domains WebKit observed (Intelligent Tracking Prevention
//! statistics) in Safari and in every app's web views.
//!
//! Format facts:
//! * SQLite `observations.db` at `Library/WebKit/WebsiteData/ResourceLoadStatistics/observations.db`
//!   in **any** app domain of a backup (the domain is kept in the record); FS:
//!   `private/var/mobile/Containers/Data/Application/<UUID>/Library/WebKit/WebsiteData/ResourceLoadStatistics/observations.db`
//!   and the SafariViewService system-data container.
//! * `ObservedDomains`: `domainID`, `registrableDomain`, `lastSeen` (Unix seconds, REAL),
//!   `hadUserInteraction`, and, depending on the WebKit version, `mostRecentUserInteractionTime`
//!   and `mostRecentWebPushInteractionTime` (Unix seconds; negative = never). Absent columns are
//!   read as empty and named in a warning.
//!
//! Checks: `registrable_domain` (`check_url`) → CRITICAL. Timeline: `seen` at `lastSeen`.

use ferret_core::{
    ArtifactModule, BackupPath, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use ferret_core::toolkit::{Columns, cell, each_sqlite_skipping_damaged, for_each_row};

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct WebkitResourceLoadStatistics;

/// One observed domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObservedDomain {
    /// `domainID`.
    pub domain_id: Option<i64>,
    /// `registrableDomain`.
    pub registrable_domain: Option<String>,
    /// `lastSeen`.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub last_seen: Option<Timestamp>,
    /// `hadUserInteraction`.
    pub had_user_interaction: Option<bool>,
    /// `mostRecentUserInteractionTime` (when ≥ 0).
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub most_recent_user_interaction: Option<Timestamp>,
    /// `mostRecentWebPushInteractionTime` (when ≥ 0).
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub most_recent_web_push_interaction: Option<Timestamp>,
    /// Backup domain of the app (None in filesystem dumps).
    pub domain: Option<String>,
    /// Database path inside the acquisition.
    pub path: String,
}

static LOCATOR: Locator = Locator {
    backup: &[BackupPath { domain: "*", path: "Library/WebKit/WebsiteData/ResourceLoadStatistics/observations.db" }],
    paths: &[
        "private/var/mobile/Containers/Data/Application/*/Library/WebKit/WebsiteData/ResourceLoadStatistics/observations.db",
        "private/var/mobile/Containers/Data/Application/*/SystemData/com.apple.SafariViewService/Library/WebKit/WebsiteData/ResourceLoadStatistics/observations.db",
    ],
};

fn unix_time(v: Option<f64>) -> Option<Timestamp> {
    v.filter(|x| *x >= 0.0).and_then(ferret_core::time::from_unix_f64)
}

impl ArtifactModule for WebkitResourceLoadStatistics {
    type Record = ObservedDomain;
    const NAME: &'static str = "webkit_resource_load_statistics";
    const DESCRIPTION: &'static str = "Domains observed by WebKit (observations.db) in Safari and app web views";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        // one damaged database among hundreds must not hide the others
        each_sqlite_skipping_damaged(ctx, &LOCATOR, out, |db, file, out| {
            if !db.has_table("ObservedDomains") {
                out.warn(format!("{}: table ObservedDomains not found, skipped", file.path));
                return Ok(());
            }
            let mut cols = Columns::default();
            let sel = cols.select(
                db,
                "ObservedDomains",
                "o",
                &[
                    "domainID",
                    "registrableDomain",
                    "lastSeen",
                    "hadUserInteraction",
                    "mostRecentUserInteractionTime",
                    "mostRecentWebPushInteractionTime",
                ],
            );
            if let Some(w) = cols.warning(&file.path) {
                out.warn(w);
            }
            let sql = format!("SELECT {} FROM ObservedDomains o ORDER BY o.rowid", sel.join(", "));
            for_each_row(db, &file.path, &sql, |r| {
                out.record(ObservedDomain {
                    domain_id: cell::i64(r, 0),
                    registrable_domain: cell::text(r, 1),
                    last_seen: unix_time(cell::f64(r, 2)),
                    had_user_interaction: cell::i64(r, 3).map(|x| x != 0),
                    most_recent_user_interaction: unix_time(cell::f64(r, 4)),
                    most_recent_web_push_interaction: unix_time(cell::f64(r, 5)),
                    domain: file.domain.clone(),
                    path: file.path.clone(),
                })
            })?;
            Ok(())
        })
    }

    fn timeline(&self, r: &ObservedDomain, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.last_seen {
            events.push((
                t,
                "seen".into(),
                format!(
                    "{} seen in {}",
                    r.registrable_domain.as_deref().unwrap_or(""),
                    r.domain.as_deref().unwrap_or(&r.path)
                ),
            ));
        }
    }

    fn check(&self, r: &ObservedDomain, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if let Some(d) = r.registrable_domain.as_deref().filter(|d| !d.is_empty())
            && let Some(m) = ind.check_url(d)
        {
            f.push(ioc_finding(Level::Critical, "WebKit observed domain", d, r.last_seen, m));
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
    fn recall_and_precision_two_apps() {
        let mut truth = Truth::default();
        let files = ferret_testdata::ios::webkit_resource_load_statistics::generate(2, 10, &mut truth);
        let (_d, ev) = fs_tree(&files);
        let r = run(WebkitResourceLoadStatistics, &ev, &TruthIndicators::new(&truth));
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 2 * (7 + 10 + 2));
        assert!(r.records.iter().any(|x| x["most_recent_user_interaction"].is_null()));
        assert_exact(&truth, &r, "webkit_resource_load_statistics");
    }

    #[test]
    fn older_schema_and_one_corrupt_db() {
        let base = "private/var/mobile/Containers/Data/Application";
        let rel = "Library/WebKit/WebsiteData/ResourceLoadStatistics/observations.db";
        let (d, ev) = fs_tree(&[]);
        assert_eq!(run(WebkitResourceLoadStatistics, &ev, &ferret_core::NoIndicators).outcome, Ok(Outcome::NotFound));
        put(&d, &format!("{base}/A/{rel}"), &sqlite_bytes("CREATE TABLE ObservedDomains (domainID INTEGER PRIMARY KEY, registrableDomain TEXT, lastSeen REAL, hadUserInteraction INTEGER);
            INSERT INTO ObservedDomains VALUES (1, 'example.org', 1700000000, 0);"));
        put(&d, &format!("{base}/B/{rel}"), b"garbage garbage garbage garbage garbage garbage garbage garbage garbage");
        let r = run(WebkitResourceLoadStatistics, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 1);
        assert!(r.warnings.iter().any(|w| w.contains("mostRecentUserInteractionTime")));
        assert!(r.warnings.iter().any(|w| w.contains("/B/") && w.contains("skipped")));
    }
}
