//! `AddressBook.sqlitedb` generator (`ABPerson`, `ABMultiValue`).
//!
//! Planted: a contact e-mail that is an indicator, a contact URL on an indicator domain.
//! Near misses: look-alike e-mail and host. [`known_emails`] gives the e-mail addresses of the
//! generated contacts, so the calendar generator can use known organisers consistently.

use ferret_core::Level;
use rand::Rng;

use super::files::db;
use super::values::{base_time, evil_domain, mac};
use crate::ArtifactFile;
use crate::rng::{rng_for, word};
use crate::truth::{IndicatorKind, Truth};

/// Backup domain.
pub const DOMAIN: &str = "HomeDomain";
/// Backup relative path.
pub const REL: &str = "Library/AddressBook/AddressBook.sqlitedb";
/// Filesystem-dump path.
pub const FS: &str = "private/var/mobile/Library/AddressBook/AddressBook.sqlitedb";

/// Schema (subset of the real columns).
pub const SCHEMA: &str = "CREATE TABLE ABPerson (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, First TEXT, Last TEXT, \
    Middle TEXT, Organization TEXT, Note TEXT, CreationDate INTEGER, ModificationDate INTEGER, guid TEXT); \
    CREATE TABLE ABMultiValue (UID INTEGER PRIMARY KEY, record_id INTEGER, property INTEGER, identifier INTEGER, \
    label INTEGER, value TEXT, guid TEXT);";

/// First name, last name, `(property, value)` pairs.
type Person = (String, String, Vec<(i64, String)>);

/// E-mail addresses of the benign contacts generated for `seed` (the user's known people).
pub fn known_emails(seed: u64) -> Vec<String> {
    let mut rng = rng_for(seed, "ios/contacts/known");
    (0..8).map(|i| format!("{}.{}@example.org", word(&mut rng, 5), i)).collect()
}

/// Generates `count` benign contacts plus the planted cases.
pub fn generate(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios/contacts");
    let t0 = base_time(&mut rng);
    let bad_mail = format!("{}@{}.net", word(&mut rng, 7), word(&mut rng, 7));
    let bad_dom = evil_domain(&mut rng);
    truth.plant(IndicatorKind::Email, bad_mail.clone(), "TestSpy");
    truth.plant(IndicatorKind::Domain, bad_dom.clone(), "TestSpy");
    truth.expect("contacts", Level::Critical, Some(&bad_mail), bad_mail.clone());
    let bad_url = format!("https://login.{bad_dom}/p/{}", word(&mut rng, 6));
    truth.expect("contacts", Level::Critical, Some(&bad_dom), bad_url.clone());
    // (first, last, [(property, value)])
    let mut people: Vec<Person> = Vec::new();
    let known = known_emails(seed);
    for i in 0..count.max(known.len()) {
        let mut vals = vec![(3, format!("+1555{:07}", rng.random_range(0..10_000_000u32)))];
        if let Some(e) = known.get(i) {
            vals.push((4, e.clone()));
        }
        if i % 5 == 0 {
            vals.push((22, format!("https://www.example.com/~{}", word(&mut rng, 6))));
        }
        people.push((word(&mut rng, 6), word(&mut rng, 8), vals));
    }
    people.push(("Planted".into(), "Mail".into(), vec![(4, bad_mail.clone())]));
    people.push(("Planted".into(), "Url".into(), vec![(22, bad_url)]));
    // near misses
    people.push(("Near".into(), "Mail".into(), vec![(4, format!("{bad_mail}.example.org"))]));
    people.push(("Near".into(), "Url".into(), vec![(22, format!("https://x{bad_dom}/"))]));
    vec![db(DOMAIN, REL, FS, t0, |c| {
        c.execute_batch(SCHEMA)?;
        for (i, (first, last, vals)) in people.iter().enumerate() {
            c.execute(
                "INSERT INTO ABPerson (First, Last, Organization, CreationDate, ModificationDate) VALUES (?1, ?2, NULL, ?3, ?3)",
                rusqlite::params![first, last, mac(t0 + i as i64 * 3600) as i64],
            )?;
            let id = c.last_insert_rowid();
            for (prop, v) in vals {
                c.execute(
                    "INSERT INTO ABMultiValue (record_id, property, identifier, label, value) VALUES (?1, ?2, 0, 1, ?3)",
                    rusqlite::params![id, prop, v],
                )?;
            }
        }
        Ok(())
    })]
}
