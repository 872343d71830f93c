//! Safari `BrowserState.db` generator (`tabs`, `tab_sessions` with session-history plists).
//!
//! Planted: an open tab on an indicator domain; a benign tab whose back/forward history holds an
//! indicator URL (found only inside `session_data`). Near miss: look-alike host in a tab.

use ferret_core::Level;
use plist::Value;

use super::files::{db, dict, plist_bytes, pstr};
use super::values::{base_time, benign_url, evil_domain, mac};
use crate::ArtifactFile;
use crate::rng::{rng_for, uuid, word};
use crate::truth::{IndicatorKind, Truth};

/// Backup domain.
pub const DOMAIN: &str = "AppDomain-com.apple.mobilesafari";
/// Backup relative path.
pub const REL: &str = "Library/Safari/BrowserState.db";
/// Filesystem-dump path.
pub const FS: &str = "private/var/mobile/Library/Safari/BrowserState.db";

/// Schema (subset of Safari's).
pub const SCHEMA: &str = "CREATE TABLE tabs (id INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT UNIQUE NOT NULL, title TEXT, url TEXT, \
    user_visible_url TEXT, order_index INTEGER, last_viewed_time REAL, opened_from_link INTEGER, private_browsing INTEGER); \
    CREATE TABLE tab_sessions (id INTEGER PRIMARY KEY AUTOINCREMENT, tab_uuid TEXT UNIQUE NOT NULL, session_data BLOB);";

/// `session_data` bytes: a 4-byte header then a binary plist with the history entries.
pub fn session_blob(urls: &[String]) -> Vec<u8> {
    let entries: Vec<Value> = urls
        .iter()
        .map(|u| {
            dict(vec![
                ("SessionHistoryEntryTitle", pstr("Title")),
                ("SessionHistoryEntryURL", pstr(u)),
                ("SessionHistoryEntryOriginalURL", pstr(u)),
                ("SessionHistoryEntryData", Value::Data(vec![0u8; 24])),
            ])
        })
        .collect();
    let root = dict(vec![(
        "SessionHistory",
        dict(vec![
            ("SessionHistoryCurrentIndex", Value::Integer(0.into())),
            ("SessionHistoryEntries", Value::Array(entries)),
        ]),
    )]);
    let mut out = vec![0u8, 0, 0, 2];
    out.extend(plist_bytes(&root));
    out
}

/// Generates `count` benign tabs plus the planted cases.
pub fn generate(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios/safari_browser_state");
    let t0 = base_time(&mut rng);
    let d1 = evil_domain(&mut rng);
    let d2 = evil_domain(&mut rng);
    truth.plant(IndicatorKind::Domain, d1.clone(), "TestSpy");
    truth.plant(IndicatorKind::Domain, d2.clone(), "TestSpy");
    let tab_hit = format!("https://{d1}/landing");
    let hist_hit = format!("http://r.{d2}/go?{}", word(&mut rng, 6));
    truth.expect("safari_browser_state", Level::Critical, Some(&d1), tab_hit.clone());
    truth.expect("safari_browser_state", Level::Critical, Some(&d2), hist_hit.clone());
    let mut tabs: Vec<(String, Vec<String>)> = (0..count)
        .map(|_| {
            let u = benign_url(&mut rng);
            let h = vec![benign_url(&mut rng), u.clone()];
            (u, h)
        })
        .collect();
    tabs.push((tab_hit.clone(), vec![tab_hit]));
    tabs.push(("https://example.com/after".into(), vec![hist_hit, "https://example.com/after".into()]));
    tabs.push((format!("https://{}{d1}/", word(&mut rng, 2)), vec![]));
    let mut dbrng = rng_for(seed, "ios/safari_browser_state/db");
    vec![db(DOMAIN, REL, FS, t0, |c| {
        c.execute_batch(SCHEMA)?;
        for (i, (u, hist)) in tabs.iter().enumerate() {
            let id = uuid(&mut dbrng);
            c.execute(
                "INSERT INTO tabs (uuid, title, url, user_visible_url, order_index, last_viewed_time, opened_from_link, private_browsing) VALUES (?1, ?2, ?3, ?3, ?4, ?5, 0, 0)",
                rusqlite::params![id, format!("Tab {i}"), u, i as i64, mac(t0 + i as i64 * 120)],
            )?;
            if !hist.is_empty() {
                c.execute(
                    "INSERT INTO tab_sessions (tab_uuid, session_data) VALUES (?1, ?2)",
                    rusqlite::params![id, session_blob(hist)],
                )?;
            }
        }
        Ok(())
    })]
}
