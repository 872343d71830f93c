//! Firefox for iOS `browser.db` favicon generator (`favicons`, `favicon_sites`, `history`).
//!
//! Planted: an icon hosted on an indicator domain; a benign icon for a page on another indicator
//! domain. Near miss: look-alike host. (This writes the same `browser.db` path as
//! [`super::firefox_history`]; a scenario uses one or the other, tests use each alone.)

use ferret_core::Level;

use super::files::db;
use super::firefox_history::{DOMAIN, FS, REL, SCHEMA, insert_history};
use super::values::{base_time, benign_url, evil_domain};
use crate::ArtifactFile;
use crate::rng::{rng_for, word};
use crate::truth::{IndicatorKind, Truth};

/// Favicon tables.
pub const FAVICON_SCHEMA: &str = "CREATE TABLE favicons (id INTEGER PRIMARY KEY AUTOINCREMENT, url TEXT NOT NULL UNIQUE, \
    width INTEGER, height INTEGER, type INTEGER NOT NULL, date REAL NOT NULL); \
    CREATE TABLE favicon_sites (id INTEGER PRIMARY KEY AUTOINCREMENT, siteID INTEGER NOT NULL, faviconID INTEGER NOT NULL);";

/// Generates `count` benign favicons plus the planted cases.
pub fn generate(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios/firefox_favicon");
    let t0 = base_time(&mut rng);
    let d1 = evil_domain(&mut rng);
    let d2 = evil_domain(&mut rng);
    truth.plant(IndicatorKind::Domain, d1.clone(), "TestSpy");
    truth.plant(IndicatorKind::Domain, d2.clone(), "TestSpy");
    let icon_hit = format!("https://img.{d1}/i.png");
    let page_hit = format!("https://{d2}/welcome");
    truth.expect("firefox_favicon", Level::Critical, Some(&d1), icon_hit.clone());
    truth.expect("firefox_favicon", Level::Critical, Some(&d2), page_hit.clone());
    let mut pages: Vec<String> = (0..count).map(|_| benign_url(&mut rng)).collect();
    let mut icons: Vec<String> =
        (0..count).map(|i| format!("https://example.org/icons/{i}-{}.png", word(&mut rng, 4))).collect();
    pages.push("https://example.com/news".into());
    icons.push(icon_hit);
    pages.push(page_hit);
    icons.push("https://example.org/icons/ok.png".into());
    pages.push(format!("https://example.net/{d2}"));
    icons.push(format!("https://{}{d1}/i.png", word(&mut rng, 2)));
    let mut dbrng = rng_for(seed, "ios/firefox_favicon/db");
    vec![db(DOMAIN, REL, FS, t0, |c| {
        c.execute_batch(SCHEMA)?;
        c.execute_batch(FAVICON_SCHEMA)?;
        insert_history(c, &pages, t0, &mut dbrng)?;
        for (i, icon) in icons.iter().enumerate() {
            c.execute(
                "INSERT INTO favicons (url, width, height, type, date) VALUES (?1, 32, 32, 1, ?2)",
                rusqlite::params![icon, (t0 + i as i64 * 10) as f64],
            )?;
            c.execute(
                "INSERT INTO favicon_sites (siteID, faviconID) VALUES (?1, ?2)",
                rusqlite::params![i as i64 + 1, i as i64 + 1],
            )?;
        }
        Ok(())
    })]
}
