//! `CallHistory.storedata` (Core Data SQLite, table `ZCALLRECORD`) generator.
//!
//! Planted: a call whose service provider is an indicator bundle id, a FaceTime call from an
//! indicator e-mail address. Near misses: look-alike provider and address that must not alert.

use ferret_core::Level;
use rand::Rng;

use super::files::db;
use super::values::{base_time, mac};
use crate::ArtifactFile;
use crate::rng::{rng_for, word};
use crate::truth::{IndicatorKind, Truth};

/// Backup domain.
pub const DOMAIN: &str = "HomeDomain";
/// Backup relative path.
pub const REL: &str = "Library/CallHistoryDB/CallHistory.storedata";
/// Filesystem-dump path.
pub const FS: &str = "private/var/mobile/Library/CallHistoryDB/CallHistory.storedata";

/// Schema of `ZCALLRECORD` (iOS 15–18 column set used here).
pub const SCHEMA: &str = "CREATE TABLE ZCALLRECORD (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, \
    ZANSWERED INTEGER, ZCALLTYPE INTEGER, ZORIGINATED INTEGER, ZDATE TIMESTAMP, ZDURATION FLOAT, \
    ZADDRESS VARCHAR, ZLOCATION VARCHAR, ZNAME VARCHAR, ZSERVICE_PROVIDER VARCHAR, ZUNIQUE_ID VARCHAR);";

/// Generates `count` benign calls plus the planted cases.
pub fn generate(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios/calls");
    let t0 = base_time(&mut rng);
    let bad_app = format!("com.{}.{}", word(&mut rng, 6), word(&mut rng, 5));
    let bad_mail = format!("{}@{}.com", word(&mut rng, 6), word(&mut rng, 8));
    truth.plant(IndicatorKind::AppId, bad_app.clone(), "TestSpy");
    truth.plant(IndicatorKind::Email, bad_mail.clone(), "TestSpy");
    truth.expect("calls", Level::Critical, Some(&bad_app), bad_app.clone());
    truth.expect("calls", Level::Critical, Some(&bad_mail), bad_mail.clone());
    let mut rows: Vec<(String, String, i64)> = Vec::new();
    for i in 0..count {
        let number = format!("+1555{:07}", rng.random_range(0..10_000_000u32));
        let provider = if i % 3 == 0 { "com.apple.FaceTime" } else { "com.apple.Telephony" };
        rows.push((number, provider.to_string(), t0 + i as i64 * 97));
    }
    rows.push(("+15550000001".into(), bad_app.clone(), t0 + 11));
    rows.push((bad_mail.clone(), "com.apple.FaceTime".into(), t0 + 12));
    // near misses: provider that only starts with the indicator, mailbox at a parent domain
    rows.push(("+15550000002".into(), format!("{bad_app}.extension"), t0 + 13));
    rows.push((format!("x{bad_mail}"), "com.apple.FaceTime".into(), t0 + 14));
    let mut dbrng = rng_for(seed, "ios/calls/db");
    vec![db(DOMAIN, REL, FS, t0, |c| {
        c.execute_batch(SCHEMA)?;
        let mut st = c.prepare(
            "INSERT INTO ZCALLRECORD (Z_ENT,Z_OPT,ZANSWERED,ZCALLTYPE,ZORIGINATED,ZDATE,ZDURATION,ZADDRESS,ZLOCATION,ZNAME,ZSERVICE_PROVIDER,ZUNIQUE_ID) \
             VALUES (2,1,?1,1,?2,?3,?4,?5,'United States','',?6,?7)",
        )?;
        for (n, p, t) in &rows {
            let answered = dbrng.random_range(0..2i64);
            let orig = dbrng.random_range(0..2i64);
            let dur = f64::from(dbrng.random_range(0..600u32));
            st.execute(rusqlite::params![answered, orig, mac(*t), dur, n.as_bytes(), p, crate::rng::uuid(&mut dbrng)])?;
        }
        Ok(())
    })]
}
