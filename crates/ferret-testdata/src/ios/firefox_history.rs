//! Firefox for iOS `browser.db` history generator (`history`, `visits`).
//!
//! Planted: a visit to an indicator domain. Near miss: a look-alike host.

use ferret_core::Level;

use super::files::db;
use super::values::{base_time, benign_url, evil_domain};
use crate::ArtifactFile;
use crate::rng::{rng_for, uuid, word};
use crate::truth::{IndicatorKind, Truth};

/// Backup domain.
pub const DOMAIN: &str = "AppDomainGroup-group.org.mozilla.ios.Firefox";
/// Backup relative path.
pub const REL: &str = "profile.profile/browser.db";
/// Filesystem-dump path.
pub const FS: &str =
    "private/var/mobile/Containers/Shared/AppGroup/1A2B3C4D-5E6F-7081-92A3-B4C5D6E7F809/profile.profile/browser.db";

/// History schema (subset of Firefox iOS's).
pub const SCHEMA: &str = "CREATE TABLE history (id INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT NOT NULL UNIQUE, url TEXT UNIQUE, \
    title TEXT NOT NULL, server_modified INTEGER, local_modified INTEGER, is_deleted TINYINT NOT NULL, \
    should_upload TINYINT NOT NULL, domain_id INTEGER); \
    CREATE TABLE visits (id INTEGER PRIMARY KEY AUTOINCREMENT, siteID INTEGER NOT NULL, date REAL NOT NULL, \
    type INTEGER NOT NULL, is_local TINYINT NOT NULL);";

/// Inserts history rows; returns nothing (ids are 1..=n in order).
pub fn insert_history(
    c: &rusqlite::Connection,
    urls: &[String],
    t0: i64,
    rng: &mut crate::rng::TestRng,
) -> rusqlite::Result<()> {
    for (i, u) in urls.iter().enumerate() {
        c.execute(
            "INSERT INTO history (guid, url, title, local_modified, is_deleted, should_upload) VALUES (?1, ?2, ?3, ?4, 0, 1)",
            rusqlite::params![uuid(rng), u, format!("Title {i}"), (t0 + i as i64) * 1000],
        )?;
    }
    Ok(())
}

/// Generates `count` benign visits plus the planted cases.
pub fn generate(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios/firefox_history");
    let t0 = base_time(&mut rng);
    let dom = evil_domain(&mut rng);
    truth.plant(IndicatorKind::Domain, dom.clone(), "TestSpy");
    let hit = format!("http://{dom}/r/{}", word(&mut rng, 10));
    truth.expect("firefox_history", Level::Critical, Some(&dom), hit.clone());
    let mut urls: Vec<String> = (0..count).map(|_| benign_url(&mut rng)).collect();
    urls.push(hit);
    urls.push(format!("https://{dom}.example.org/"));
    let mut dbrng = rng_for(seed, "ios/firefox_history/db");
    vec![db(DOMAIN, REL, FS, t0, |c| {
        c.execute_batch(SCHEMA)?;
        insert_history(c, &urls, t0, &mut dbrng)?;
        for i in 0..urls.len() {
            c.execute(
                "INSERT INTO visits (siteID, date, type, is_local) VALUES (?1, ?2, 1, 1)",
                rusqlite::params![i as i64 + 1, ((t0 + i as i64 * 45) * 1_000_000) as f64],
            )?;
        }
        Ok(())
    })]
}
