//! WhatsApp `ContactsV2.sqlite` generator (`ZWAADDRESSBOOKCONTACT`).
//!
//! Planted: an "about" text carrying a link to an indicator domain. Near misses: a benign link,
//! and the indicator name without a dot boundary.

use ferret_core::Level;
use rand::Rng;

use super::files::db;
use super::values::{base_time, evil_domain, mac};
use crate::ArtifactFile;
use crate::rng::{rng_for, word};
use crate::truth::{IndicatorKind, Truth};

/// Backup domain.
pub const DOMAIN: &str = "AppDomainGroup-group.net.whatsapp.WhatsApp.shared";
/// Backup relative path.
pub const REL: &str = "ContactsV2.sqlite";
/// Filesystem-dump path.
pub const FS: &str =
    "private/var/mobile/Containers/Shared/AppGroup/2C3D4E5F-6071-8293-A4B5-C6D7E8F90A1B/ContactsV2.sqlite";

/// Schema (Core Data; subset of the real columns).
pub const SCHEMA: &str = "CREATE TABLE ZWAADDRESSBOOKCONTACT (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, \
    ZWHATSAPPID VARCHAR, ZLID VARCHAR, ZPHONENUMBER VARCHAR, ZLOCALIZEDPHONENUMBER VARCHAR, ZFULLNAME VARCHAR, \
    ZGIVENNAME VARCHAR, ZLASTNAME VARCHAR, ZUSERNAME VARCHAR, ZBUSINESSNAME VARCHAR, ZABOUTTEXT VARCHAR, \
    ZABOUTEMOJI VARCHAR, ZDISAPPEARINGMODEDURATION INTEGER, ZDISAPPEARINGMODETIMESTAMP TIMESTAMP, \
    ZABOUTTIMESTAMP TIMESTAMP, ZLASTUPDATED TIMESTAMP, ZPHONENUMBERSTATUS INTEGER, ZSYNCPOLICY INTEGER);";

/// Generates `count` benign contacts plus the planted cases.
pub fn generate(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios/whatsapp_contacts");
    let t0 = base_time(&mut rng);
    let dom = evil_domain(&mut rng);
    truth.plant(IndicatorKind::Domain, dom.clone(), "TestSpy");
    let link = format!("https://get.{dom}/join/{}", word(&mut rng, 8));
    truth.expect("whatsapp_contacts", Level::Critical, Some(&dom), link.clone());
    let mut abouts: Vec<Option<String>> = (0..count)
        .map(|i| match i % 3 {
            0 => Some("Hey there! I am using WhatsApp.".to_string()),
            1 => Some(format!("Blog: https://example.org/{}", word(&mut rng, 5))),
            _ => None,
        })
        .collect();
    abouts.push(Some(format!("Check this out {link} now")));
    abouts.push(Some(format!("my site https://{}{dom}/", word(&mut rng, 2))));
    abouts.push(Some(format!("not a link: {}", dom.replace('.', " dot "))));
    vec![db(DOMAIN, REL, FS, t0, |c| {
        c.execute_batch(SCHEMA)?;
        for (i, about) in abouts.iter().enumerate() {
            let num = format!("1555{:07}", rng.random_range(0..10_000_000u32));
            let dm = [0i64, 86_400, 604_800, 7_776_000][i % 4];
            c.execute(
                "INSERT INTO ZWAADDRESSBOOKCONTACT (Z_ENT, Z_OPT, ZWHATSAPPID, ZPHONENUMBER, ZLOCALIZEDPHONENUMBER, ZFULLNAME, \
                 ZGIVENNAME, ZABOUTTEXT, ZDISAPPEARINGMODEDURATION, ZABOUTTIMESTAMP, ZLASTUPDATED, ZSYNCPOLICY) \
                 VALUES (1, 1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, 0)",
                rusqlite::params![format!("{num}@s.whatsapp.net"), format!("+{num}"), format!("+{num}"), format!("{} {}", word(&mut rng, 5), word(&mut rng, 7)), word(&mut rng, 5), about, dm, mac(t0 + i as i64 * 300)],
            )?;
        }
        Ok(())
    })]
}
