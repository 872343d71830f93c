//! Chrome for iOS `Favicons` generator (`favicons`, `favicon_bitmaps`, `icon_mapping`).
//!
//! Planted: a page on an indicator domain; an icon served from an indicator domain for a benign
//! page. Near miss: a look-alike host.

use ferret_core::Level;

use super::files::db;
use super::values::{base_time, benign_url, evil_domain, webkit};
use crate::ArtifactFile;
use crate::rng::{rng_for, word};
use crate::truth::{IndicatorKind, Truth};

/// Backup domain.
pub const DOMAIN: &str = "AppDomain-com.google.chrome.ios";
/// Backup relative path.
pub const REL: &str = "Library/Application Support/Google/Chrome/Default/Favicons";
/// Filesystem-dump path.
pub const FS: &str = "private/var/mobile/Containers/Data/Application/0B1C2D3E-4F50-6172-8394-A5B6C7D8E9F0/Library/Application Support/Google/Chrome/Default/Favicons";

/// Schema (subset of Chrome's).
pub const SCHEMA: &str = "CREATE TABLE favicons(id INTEGER PRIMARY KEY, url LONGVARCHAR NOT NULL, icon_type INTEGER DEFAULT 1); \
    CREATE TABLE favicon_bitmaps(id INTEGER PRIMARY KEY, icon_id INTEGER NOT NULL, last_updated INTEGER DEFAULT 0, \
    image_data BLOB, width INTEGER DEFAULT 0, height INTEGER DEFAULT 0, last_requested INTEGER NOT NULL DEFAULT 0); \
    CREATE TABLE icon_mapping(id INTEGER PRIMARY KEY, page_url LONGVARCHAR NOT NULL, icon_id INTEGER);";

/// Generates `count` benign favicons plus the planted cases.
pub fn generate(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios/chrome_favicon");
    let t0 = base_time(&mut rng);
    let dom = evil_domain(&mut rng);
    let dom2 = evil_domain(&mut rng);
    truth.plant(IndicatorKind::Domain, dom.clone(), "TestSpy");
    truth.plant(IndicatorKind::Domain, dom2.clone(), "TestSpy");
    let page = format!("https://{dom}/landing");
    let icon = format!("https://static.{dom2}/favicon.ico");
    truth.expect("chrome_favicon", Level::Critical, Some(&dom), page.clone());
    truth.expect("chrome_favicon", Level::Critical, Some(&dom2), icon.clone());
    let mut rows: Vec<(String, String)> = (0..count)
        .map(|_| {
            let p = benign_url(&mut rng);
            let i = format!("{}/favicon.ico", p.rsplitn(3, '/').last().unwrap_or("https://example.org"));
            (p, i)
        })
        .collect();
    rows.push((page, "https://example.org/favicon.ico".into()));
    rows.push(("https://example.com/".into(), icon));
    rows.push((format!("https://{}{dom}/", word(&mut rng, 2)), format!("https://example.net/{dom2}.ico")));
    vec![db(DOMAIN, REL, FS, t0, |c| {
        c.execute_batch(SCHEMA)?;
        for (i, (p, icon)) in rows.iter().enumerate() {
            c.execute("INSERT INTO favicons (url, icon_type) VALUES (?1, 1)", [icon])?;
            let id = c.last_insert_rowid();
            let lu = if i % 4 == 0 { 0 } else { webkit(t0 + i as i64 * 30) };
            c.execute(
                "INSERT INTO favicon_bitmaps (icon_id, last_updated, image_data, width, height, last_requested) VALUES (?1, ?2, X'89504E47', 16, 16, ?3)",
                rusqlite::params![id, lu, webkit(t0 + i as i64 * 31)],
            )?;
            c.execute("INSERT INTO icon_mapping (page_url, icon_id) VALUES (?1, ?2)", rusqlite::params![p, id])?;
        }
        Ok(())
    })]
}
