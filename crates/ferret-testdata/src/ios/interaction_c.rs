//! CoreDuet `interactionC.db` generator (`ZINTERACTIONS`, `ZCONTACTS`).
//!
//! Planted: an interaction through an indicator app, one from an indicator e-mail sender, one
//! with a content URL on an indicator domain. Near misses: look-alike values.

use ferret_core::Level;

use super::files::db;
use super::values::{base_time, evil_domain, mac};
use crate::ArtifactFile;
use crate::rng::{rng_for, uuid, word};
use crate::truth::{IndicatorKind, Truth};

/// Backup domain.
pub const DOMAIN: &str = "HomeDomain";
/// Backup relative path.
pub const REL: &str = "Library/CoreDuet/People/interactionC.db";
/// Filesystem-dump path.
pub const FS: &str = "private/var/mobile/Library/CoreDuet/People/interactionC.db";

/// Schema (subset of the Core Data columns, iOS 15–17 shape).
pub const SCHEMA: &str = "CREATE TABLE ZCONTACTS (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZDISPLAYNAME VARCHAR, \
    ZIDENTIFIER VARCHAR, ZPERSONID VARCHAR, ZCUSTOMIDENTIFIER VARCHAR, ZCREATIONDATE TIMESTAMP); \
    CREATE TABLE ZINTERACTIONS (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZDIRECTION INTEGER, \
    ZISRESPONSE INTEGER, ZRECIPIENTCOUNT INTEGER, ZSENDER INTEGER, ZCREATIONDATE TIMESTAMP, ZENDDATE TIMESTAMP, \
    ZSTARTDATE TIMESTAMP, ZACCOUNT VARCHAR, ZBUNDLEID VARCHAR, ZCONTENTURL VARCHAR, ZDERIVEDINTENTIDENTIFIER VARCHAR, \
    ZDOMAINIDENTIFIER VARCHAR, ZGROUPNAME VARCHAR, ZTARGETBUNDLEID VARCHAR, ZUUID VARCHAR);";

struct Row {
    bundle: String,
    sender: (String, String),
    url: Option<String>,
}

/// Generates `count` benign interactions plus the planted cases.
pub fn generate(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios/interaction_c");
    let t0 = base_time(&mut rng);
    let app = format!("com.{}.{}", word(&mut rng, 6), word(&mut rng, 6));
    let mail = format!("{}@{}.com", word(&mut rng, 6), word(&mut rng, 8));
    let dom = evil_domain(&mut rng);
    truth.plant(IndicatorKind::AppId, app.clone(), "TestSpy");
    truth.plant(IndicatorKind::Email, mail.clone(), "TestSpy");
    truth.plant(IndicatorKind::Domain, dom.clone(), "TestSpy");
    let url = format!("https://m.{dom}/a/{}", word(&mut rng, 7));
    truth.expect("interaction_c", Level::Critical, Some(&app), app.clone());
    truth.expect("interaction_c", Level::Critical, Some(&mail), mail.clone());
    truth.expect("interaction_c", Level::Critical, Some(&dom), url.clone());
    let bundles = ["com.apple.MobileSMS", "net.whatsapp.WhatsApp", "com.apple.mobilemail"];
    let mut rows: Vec<Row> = (0..count)
        .map(|i| Row {
            bundle: bundles[i % 3].to_string(),
            sender: (
                format!("{} {}", word(&mut rng, 5), word(&mut rng, 6)),
                format!("{}@example.org", word(&mut rng, 6)),
            ),
            url: None,
        })
        .collect();
    rows.push(Row { bundle: app.clone(), sender: ("A".into(), "a@example.org".into()), url: None });
    rows.push(Row { bundle: "com.apple.MobileSMS".into(), sender: ("B".into(), mail.clone()), url: None });
    rows.push(Row {
        bundle: "com.apple.mobilesafari".into(),
        sender: ("C".into(), "c@example.org".into()),
        url: Some(url),
    });
    rows.push(Row {
        bundle: format!("{app}.share"),
        sender: ("D".into(), format!("{mail}.example.org")),
        url: Some(format!("https://{}{dom}/", word(&mut rng, 2))),
    });
    let mut dbrng = rng_for(seed, "ios/interaction_c/db");
    vec![db(DOMAIN, REL, FS, t0, |c| {
        c.execute_batch(SCHEMA)?;
        for (i, r) in rows.iter().enumerate() {
            let t = t0 + i as i64 * 400;
            c.execute(
                "INSERT INTO ZCONTACTS (Z_ENT, Z_OPT, ZDISPLAYNAME, ZIDENTIFIER, ZPERSONID, ZCREATIONDATE) VALUES (1, 1, ?1, ?2, ?3, ?4)",
                rusqlite::params![r.sender.0, r.sender.1, uuid(&mut dbrng), mac(t)],
            )?;
            let cid = c.last_insert_rowid();
            c.execute(
                "INSERT INTO ZINTERACTIONS (Z_ENT, Z_OPT, ZDIRECTION, ZISRESPONSE, ZRECIPIENTCOUNT, ZSENDER, ZCREATIONDATE, ZENDDATE, ZSTARTDATE, \
                 ZACCOUNT, ZBUNDLEID, ZCONTENTURL, ZDOMAINIDENTIFIER, ZTARGETBUNDLEID, ZUUID) \
                 VALUES (2, 1, ?1, 0, 1, ?2, ?3, ?4, ?3, 'me@example.com', ?5, ?6, ?7, NULL, ?8)",
                rusqlite::params![(i % 2) as i64, cid, mac(t), mac(t + 30), r.bundle, r.url, format!("chat{}", i % 5), uuid(&mut dbrng)],
            )?;
        }
        Ok(())
    })]
}
