//! `safari_browser_state`: Safari's open tabs and each tab's back/forward history.
//!
//! Format facts:
//! * SQLite `BrowserState.db`: `Library/Safari/BrowserState.db` or
//!   `Library/Safari/Profiles/<id>/BrowserState.db` in any backup domain (Safari's is
//!   AppDomain-com.apple.mobilesafari); FS under `private/var/mobile/Library/Safari/` and
//!   `private/var/mobile/Containers/Data/Application/<UUID>/Library/Safari/`.
//! * `tabs` (`uuid`, `title`, `url`, `user_visible_url`, `last_viewed_time` — Mac absolute) ⟕
//!   `tab_sessions` (`tab_uuid`, `session_data`). iOS < 12 has no `tab_sessions`: tabs only.
//! * `session_data` = a 4-byte header followed by a binary plist whose
//!   `SessionHistory.SessionHistoryEntries[]` hold `SessionHistoryEntryTitle`,
//!   `SessionHistoryEntryURL`, `SessionHistoryEntryOriginalURL`, `SessionHistoryEntryData`
//!   (opaque, only its length is kept). Parsed on a big-stack thread with size and depth caps.
//!
//! Checks: tab `url`, `user_visible_url` and every history entry URL / original URL
//! (`check_url`) → CRITICAL, one alert per distinct matching URL. Timeline: `tab_viewed`.

use ferret_core::{
    ArtifactModule, BackupPath, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;
use rusqlite::types::ValueRef;
use serde::{Deserialize, Serialize};

use ferret_core::toolkit::{Columns, cell, each_sqlite, for_each_row};

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct SafariBrowserState;

/// One back/forward history entry of a tab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionEntry {
    /// Title.
    pub entry_title: Option<String>,
    /// URL.
    pub entry_url: Option<String>,
    /// URL first requested (before redirects).
    pub entry_original_url: Option<String>,
    /// Length of the opaque state blob.
    pub data_length: usize,
}

/// One tab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BrowserStateTab {
    /// Title.
    pub tab_title: Option<String>,
    /// URL.
    pub tab_url: Option<String>,
    /// URL shown in the address bar.
    pub tab_visible_url: Option<String>,
    /// Last viewed.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub last_viewed_timestamp: Option<Timestamp>,
    /// History entries from `session_data`.
    pub session_data: Vec<SessionEntry>,
    /// Database path inside the acquisition.
    pub safari_browser_state_db: String,
}

static LOCATOR: Locator = Locator {
    backup: &[
        BackupPath { domain: "*", path: "Library/Safari/BrowserState.db" },
        BackupPath { domain: "*", path: "Library/Safari/Profiles/*/BrowserState.db" },
    ],
    paths: &[
        "private/var/mobile/Library/Safari/BrowserState.db",
        "private/var/mobile/Library/Safari/Profiles/*/BrowserState.db",
        "private/var/mobile/Containers/Data/Application/*/Library/Safari/BrowserState.db",
        "private/var/mobile/Containers/Data/Application/*/Library/Safari/Profiles/*/BrowserState.db",
    ],
};

const MAX_SESSION_BLOB: usize = 16 * 1024 * 1024;

fn parse_session(blob: &[u8]) -> Result<Vec<SessionEntry>, String> {
    if blob.len() > MAX_SESSION_BLOB {
        return Err(format!("{} bytes, over the {MAX_SESSION_BLOB}-byte limit", blob.len()));
    }
    let body = blob.get(4..).ok_or("shorter than its 4-byte header")?;
    let v = ferret_formats::parse_plist(body).map_err(|e| e.to_string())?;
    let entries = v
        .as_dictionary()
        .and_then(|d| d.get("SessionHistory"))
        .and_then(|x| x.as_dictionary())
        .and_then(|d| d.get("SessionHistoryEntries"))
        .and_then(|x| x.as_array())
        .ok_or("no SessionHistory.SessionHistoryEntries array")?;
    Ok(entries
        .iter()
        .filter_map(|e| e.as_dictionary())
        .map(|d| {
            let s = |k: &str| d.get(k).and_then(|x| x.as_string()).map(str::to_string);
            SessionEntry {
                entry_title: s("SessionHistoryEntryTitle"),
                entry_url: s("SessionHistoryEntryURL"),
                entry_original_url: s("SessionHistoryEntryOriginalURL"),
                data_length: d.get("SessionHistoryEntryData").and_then(|x| x.as_data()).map_or(0, <[u8]>::len),
            }
        })
        .collect())
}

impl ArtifactModule for SafariBrowserState {
    type Record = BrowserStateTab;
    const NAME: &'static str = "safari_browser_state";
    const DESCRIPTION: &'static str = "Safari open tabs and their back/forward history (BrowserState.db)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        each_sqlite(ctx, &LOCATOR, out, |db, path, out| {
            if !db.has_table("tabs") {
                return Err(ModuleError::missing_tables(path, db, "table tabs"));
            }
            let mut cols = Columns::default();
            let t = cols.select(db, "tabs", "t", &["title", "url", "user_visible_url", "last_viewed_time"]);
            let has_sessions = db.has_table("tab_sessions") && !db.columns("tabs").is_empty();
            let (s, join) = if has_sessions {
                (
                    cols.select(db, "tab_sessions", "s", &["session_data"]),
                    "LEFT JOIN tab_sessions s ON s.tab_uuid = t.uuid",
                )
            } else {
                out.warn(format!("{}: table tab_sessions missing (iOS < 12); tabs only", path));
                (vec!["NULL".to_string()], "")
            };
            if let Some(w) = cols.warning(path) {
                out.warn(w);
            }
            let sql = format!("SELECT {}, {} FROM tabs t {join} ORDER BY t.rowid", t.join(", "), s.join(", "));
            let mut bad = Vec::new();
            for_each_row(db, path, &sql, |r| {
                let mut rec = BrowserStateTab {
                    tab_title: cell::text(r, 0),
                    tab_url: cell::text(r, 1),
                    tab_visible_url: cell::text(r, 2),
                    last_viewed_timestamp: cell::mac_time(r, 3),
                    session_data: Vec::new(),
                    safari_browser_state_db: path.to_string(),
                };
                if let Ok(ValueRef::Blob(b)) = r.get_ref(4) {
                    match parse_session(b) {
                        Ok(e) => rec.session_data = e,
                        Err(e) => bad.push(format!(
                            "{}: session_data of tab {:?}: {e}",
                            path,
                            rec.tab_url.as_deref().unwrap_or("")
                        )),
                    }
                }
                out.record(rec)
            })?;
            for w in bad {
                out.warn(w);
            }
            Ok(())
        })
    }

    fn timeline(&self, r: &BrowserStateTab, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.last_viewed_timestamp {
            events.push((
                t,
                "tab_viewed".into(),
                format!("Safari tab {} ({} history entries)", r.tab_url.as_deref().unwrap_or(""), r.session_data.len()),
            ));
        }
    }

    fn check(&self, r: &BrowserStateTab, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        let mut seen: Vec<&str> = Vec::new();
        let tab = [("Safari tab URL", &r.tab_url), ("Safari tab URL", &r.tab_visible_url)];
        let hist = r.session_data.iter().flat_map(|e| {
            [("Safari tab history URL", &e.entry_url), ("Safari tab history URL", &e.entry_original_url)]
        });
        for (what, u) in tab.into_iter().chain(hist) {
            let Some(u) = u.as_deref().filter(|u| !u.is_empty()) else { continue };
            if seen.contains(&u) {
                continue;
            }
            seen.push(u);
            if let Some(m) = ind.check_url(u) {
                f.push(ioc_finding(Level::Critical, what, u, r.last_viewed_timestamp, m));
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

    const P: &str = "private/var/mobile/Library/Safari/BrowserState.db";

    #[test]
    fn recall_and_precision() {
        let mut truth = Truth::default();
        let files = ferret_testdata::ios::safari_browser_state::generate(14, 20, &mut truth);
        let (_d, ev) = fs_tree(&files);
        let r = run(SafariBrowserState, &ev, &TruthIndicators::new(&truth));
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 23);
        assert_eq!(r.records[0]["session_data"].as_array().map(Vec::len), Some(2));
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_exact(&truth, &r, "safari_browser_state");
    }

    #[test]
    fn old_ios_and_bad_session_blobs() {
        let (d, ev) = fs_tree(&[]);
        assert_eq!(run(SafariBrowserState, &ev, &ferret_core::NoIndicators).outcome, Ok(Outcome::NotFound));
        put(
            &d,
            P,
            &sqlite_bytes(
                "CREATE TABLE tabs (id INTEGER PRIMARY KEY, uuid TEXT, title TEXT, url TEXT);
            INSERT INTO tabs VALUES (1, 'u', 't', 'https://example.org/');",
            ),
        );
        let r = run(SafariBrowserState, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.records.len(), 1);
        assert!(r.warnings.iter().any(|w| w.contains("tab_sessions missing")));
        assert!(r.warnings.iter().any(|w| w.contains("tabs.last_viewed_time")));
        put(&d, P, &sqlite_bytes("CREATE TABLE tabs (id INTEGER PRIMARY KEY, uuid TEXT, title TEXT, url TEXT, user_visible_url TEXT, last_viewed_time REAL);
            CREATE TABLE tab_sessions (id INTEGER PRIMARY KEY, tab_uuid TEXT, session_data BLOB);
            INSERT INTO tabs VALUES (1, 'a', 't', 'https://example.org/1', NULL, 0), (2, 'b', 't', 'https://example.org/2', NULL, 0);
            INSERT INTO tab_sessions VALUES (1, 'a', X'0102'), (2, 'b', X'00000002FFFFFFFF');"));
        let r = run(SafariBrowserState, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.records.len(), 2);
        assert_eq!(r.warnings.iter().filter(|w| w.contains("session_data of tab")).count(), 2);
        assert!(parse_session(&[0, 0, 0, 2]).is_err());
    }
}
