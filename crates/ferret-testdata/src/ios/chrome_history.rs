//! Chrome for iOS `History` generator (`urls`, `visits`).
//!
//! Planted: a visit to a page on an indicator domain (sub-domain of it) and a visit to an
//! indicator URL. Near misses: the indicator host as a label prefix, and inside a path.

use ferret_core::Level;

use super::files::db;
use super::values::{base_time, benign_url, evil_domain, webkit};
use crate::ArtifactFile;
use crate::rng::{rng_for, word};
use crate::truth::{IndicatorKind, Truth};

/// Backup domain.
pub const DOMAIN: &str = "AppDomain-com.google.chrome.ios";
/// Backup relative path.
pub const REL: &str = "Library/Application Support/Google/Chrome/Default/History";
/// Filesystem-dump path (one app container).
pub const FS: &str = "private/var/mobile/Containers/Data/Application/0B1C2D3E-4F50-6172-8394-A5B6C7D8E9F0/Library/Application Support/Google/Chrome/Default/History";

/// Schema (subset of Chrome's).
pub const SCHEMA: &str = "CREATE TABLE urls(id INTEGER PRIMARY KEY AUTOINCREMENT, url LONGVARCHAR, title LONGVARCHAR, \
    visit_count INTEGER DEFAULT 0 NOT NULL, typed_count INTEGER DEFAULT 0 NOT NULL, last_visit_time INTEGER NOT NULL, \
    hidden INTEGER DEFAULT 0 NOT NULL); \
    CREATE TABLE visits(id INTEGER PRIMARY KEY, url INTEGER NOT NULL, visit_time INTEGER NOT NULL, \
    from_visit INTEGER, transition INTEGER DEFAULT 0 NOT NULL, segment_id INTEGER, visit_duration INTEGER DEFAULT 0 NOT NULL);";

/// Generates `count` benign visits plus the planted cases.
pub fn generate(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios/chrome_history");
    let t0 = base_time(&mut rng);
    let dom = evil_domain(&mut rng);
    truth.plant(IndicatorKind::Domain, dom.clone(), "TestSpy");
    let hit1 = format!("https://cdn.{dom}/{}", word(&mut rng, 8));
    truth.expect("chrome_history", Level::Critical, Some(&dom), hit1.clone());
    let url_ioc = format!("https://example.net/{}/{}.html", word(&mut rng, 6), word(&mut rng, 6));
    truth.plant(IndicatorKind::Url, url_ioc.clone(), "TestSpy");
    truth.expect("chrome_history", Level::Critical, Some(&url_ioc), url_ioc.clone());
    let mut urls: Vec<String> = (0..count).map(|_| benign_url(&mut rng)).collect();
    urls.push(hit1);
    urls.push(url_ioc.clone());
    urls.push(format!("https://{}{dom}/x", word(&mut rng, 3)));
    urls.push(format!("https://example.org/?ref={dom}"));
    urls.push(format!("{url_ioc}?extra=1"));
    vec![db(DOMAIN, REL, FS, t0, |c| {
        c.execute_batch(SCHEMA)?;
        for (i, u) in urls.iter().enumerate() {
            let t = webkit(t0 + i as i64 * 60);
            c.execute(
                "INSERT INTO urls (url, title, visit_count, last_visit_time) VALUES (?1, ?2, 1, ?3)",
                rusqlite::params![u, format!("Page {i}"), t],
            )?;
            let id = c.last_insert_rowid();
            let from = if i > 0 && i % 7 == 0 { i as i64 } else { 0 };
            c.execute(
                "INSERT INTO visits (url, visit_time, from_visit, transition) VALUES (?1, ?2, ?3, 805306368)",
                rusqlite::params![id, t, from],
            )?;
        }
        Ok(())
    })]
}
