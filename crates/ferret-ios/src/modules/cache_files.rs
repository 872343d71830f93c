//! `cache_files`: URLs in CFNetwork HTTP caches (`Cache.db`) anywhere in a filesystem dump.
//!
//! Format facts: every app using `NSURLSession`/`NSURLCache` keeps a SQLite `Cache.db` (usually
//! `Library/Caches/<bundle id>/Cache.db` in its data container). Table
//! `cfurl_cache_response(entry_ID, version, hash_value, storage_policy, request_key, time_stamp,
//! partition)`: `request_key` is the requested URL, `time_stamp` a text `YYYY-MM-DD HH:MM:SS`
//! (UTC, SQLite `CURRENT_TIMESTAMP`). Response bodies live in `cfurl_cache_receiver_data` and are
//! not read.
//!
//! Record: `{cache_file, entry_id, version, hash_value, storage_policy, url, isodate,
//! time_stamp}` (MVT writes a dict keyed by file; here each record names its `cache_file`).
//! Check: `check_url(url)` → CRITICAL. Timeline: `cache_response`.

use ferret_core::{
    ArtifactModule, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use ferret_core::toolkit::{Columns, cell, each_sqlite_skipping_damaged, for_each_row};

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct CacheFiles;

/// One cached response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheEntry {
    /// The `Cache.db` path inside the acquisition.
    pub cache_file: String,
    /// `entry_ID`.
    pub entry_id: Option<i64>,
    /// `version`.
    pub version: Option<i64>,
    /// `hash_value`.
    pub hash_value: Option<i64>,
    /// `storage_policy`.
    pub storage_policy: Option<i64>,
    /// `request_key`: the URL.
    pub url: Option<String>,
    /// `time_stamp` as UTC.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub isodate: Option<Timestamp>,
    /// `time_stamp` as stored.
    pub time_stamp: Option<String>,
}

static LOCATOR: Locator = Locator { backup: &[], paths: &["**/Cache.db"] };

const WANTED: &[&str] = &["entry_ID", "version", "hash_value", "storage_policy", "request_key", "time_stamp"];

fn parse_sql_time(s: &str) -> Option<Timestamp> {
    let dt: jiff::civil::DateTime = s.trim().replace(' ', "T").parse().ok()?;
    dt.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp())
}

impl ArtifactModule for CacheFiles {
    type Record = CacheEntry;
    const NAME: &'static str = "cache_files";
    const DESCRIPTION: &'static str = "URLs in app HTTP caches (Cache.db)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        // one damaged database among hundreds must not hide the others
        each_sqlite_skipping_damaged(ctx, &LOCATOR, out, |db, file, out| {
            if !db.has_table("cfurl_cache_response") {
                out.warn(format!("{}: no cfurl_cache_response table", file.path));
                return Ok(());
            }
            let mut cols = Columns::default();
            let sel = cols.select(db, "cfurl_cache_response", "c", WANTED);
            if let Some(w) = cols.warning(&file.path) {
                out.warn(w);
            }
            let sql = format!("SELECT {} FROM cfurl_cache_response c ORDER BY c.rowid", sel.join(", "));
            let res = for_each_row(db, &file.path, &sql, |r| {
                let ts = cell::text(r, 5);
                out.record(CacheEntry {
                    cache_file: file.path.clone(),
                    entry_id: cell::i64(r, 0),
                    version: cell::i64(r, 1),
                    hash_value: cell::i64(r, 2),
                    storage_policy: cell::i64(r, 3),
                    url: cell::text(r, 4),
                    isodate: ts.as_deref().and_then(parse_sql_time),
                    time_stamp: ts,
                })
            });
            if let Err(e) = res {
                out.warn(format!("{}: {e}", file.path));
            }
            Ok(())
        })
    }

    fn timeline(&self, r: &CacheEntry, events: &mut Vec<(Timestamp, String, String)>) {
        if let (Some(t), Some(u)) = (r.isodate, &r.url) {
            events.push((t, "cache_response".into(), format!("{u} cached in {}", r.cache_file)));
        }
    }

    fn check(&self, r: &CacheEntry, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if let Some(u) = r.url.as_deref().filter(|u| !u.is_empty())
            && let Some(m) = ind.check_url(u)
        {
            f.push(ioc_finding(Level::Critical, "Cached response from", u, r.isodate, m));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::executable_paths::testing::run_on;
    use crate::modules::webkit_stores::testing::both_fs;
    use ferret_testdata::ArtifactFile;
    use ferret_testdata::fake::TruthIndicators;
    use ferret_testdata::truth::{Truth, compare};

    #[test]
    fn recall_and_precision_folder_and_targz() {
        let mut truth = Truth::default();
        let mut files = ferret_testdata::ios_fs::cache_files(3, 50, &mut truth);
        // A damaged cache elsewhere is skipped with a warning.
        files.push(ArtifactFile {
            domain: String::new(),
            relative_path: String::new(),
            fs_path: "private/var/mobile/Library/Caches/x/Cache.db".into(),
            bytes: b"SQLite format 3\0garbage garbage".to_vec(),
            mtime: 0,
        });
        let (_d, evs) = both_fs(&files);
        let ind = TruthIndicators::new(&truth);
        let mut all = Vec::new();
        for ev in &evs {
            let r = run_on(CacheFiles, ev.as_ref(), &ind);
            assert_eq!(r.outcome, Ok(Outcome::Completed));
            let cmp = compare(&truth.alerts, &r.alerts, Some(&["cache_files"]));
            assert!(cmp.is_exact(), "missed {:#?} unexpected {:#?}", cmp.missed, cmp.unexpected);
            assert_eq!(r.records.len(), 52);
            assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
            assert!(r.warnings[0].contains("Library/Caches/x/Cache.db"));
            all.push(r.records);
        }
        assert_eq!(all[0], all[1]);
        assert_eq!(parse_sql_time("2025-07-01 10:00:05").map(|t| t.as_second()), Some(1_751_364_005));
        assert!(parse_sql_time("junk").is_none());
    }
}
