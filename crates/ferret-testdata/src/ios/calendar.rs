//! `Calendar.sqlitedb` generator (`CalendarItem`, `Participant`, `Attachment`).
//!
//! Known organisers are [`super::contacts::known_emails`] of the same seed, so a scenario that
//! also generates the address book sees them as contacts. Planted: MVT's Quadream event shape
//! ("Meeting" / "Notes"), invitations from unknown organisers that are backdated, carry a long
//! encoded URL, or carry an attachment, and an indicator organiser e-mail. Near misses: unknown
//! organiser without payload, known organiser with a URL, self-organised backdated event, and a
//! "Meeting" whose notes differ.

use ferret_core::Level;
use rand::Rng;

use super::files::db;
use super::values::{base_time, mac};
use crate::ArtifactFile;
use crate::rng::{hex_string, rng_for, uuid, word};
use crate::truth::{IndicatorKind, Truth};

/// Backup domain.
pub const DOMAIN: &str = "HomeDomain";
/// Backup relative path.
pub const REL: &str = "Library/Calendar/Calendar.sqlitedb";
/// Filesystem-dump path.
pub const FS: &str = "private/var/mobile/Library/Calendar/Calendar.sqlitedb";

/// Schema (subset of the real columns).
pub const SCHEMA: &str = "CREATE TABLE CalendarItem (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, summary TEXT, \
    location_id INTEGER, description TEXT, start_date REAL, start_tz TEXT, end_date REAL, all_day INTEGER, \
    calendar_id INTEGER, orig_item_id INTEGER, orig_date REAL, organizer_id INTEGER, self_attendee_id INTEGER, \
    status INTEGER, invitation_status INTEGER, url TEXT, last_modified REAL, external_id TEXT, \
    external_mod_tag TEXT, unique_identifier TEXT, hidden INTEGER, UUID TEXT, entity_type INTEGER, \
    creation_date REAL, action TEXT, created_by_id INTEGER, has_attachment INTEGER); \
    CREATE TABLE Participant (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, entity_type INTEGER, type INTEGER, \
    status INTEGER, role INTEGER, identity_id INTEGER, owner_id INTEGER, is_self INTEGER, email TEXT, \
    phone_number TEXT, comment TEXT, last_modified REAL, UUID TEXT); \
    CREATE TABLE Attachment (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, entity_type INTEGER, file_id INTEGER, \
    owner_id INTEGER, UUID TEXT);";

struct Ev {
    summary: String,
    description: String,
    url: Option<String>,
    organizer: Option<(String, bool)>,
    start: i64,
    created: i64,
    attachment: bool,
}

/// Generates `count` benign events plus the planted cases.
pub fn generate(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios/calendar");
    let t0 = base_time(&mut rng);
    let known = super::contacts::known_emails(seed);
    let stranger = |rng: &mut crate::rng::TestRng| format!("{}@{}.example.net", word(rng, 6), word(rng, 6));
    let mut evs: Vec<Ev> = Vec::new();
    for i in 0..count {
        let start = t0 + i as i64 * 86_400;
        let organizer = match i % 3 {
            0 => None,
            1 => Some((known[i % known.len()].clone(), false)),
            _ => Some(("me@example.com".to_string(), true)),
        };
        let url = (i % 4 == 0).then(|| format!("https://example.org/meet/{}", word(&mut rng, 8)));
        evs.push(Ev {
            summary: format!("Event {}", word(&mut rng, 6)),
            description: format!("Agenda: {}", word(&mut rng, 12)),
            url,
            organizer,
            start,
            created: start - 7 * 86_400,
            attachment: false,
        });
    }
    let m = |s: &str| format!("h7cal-{s}");
    // HIGH: MVT's Quadream shape, from a known organiser, otherwise ordinary.
    evs.push(Ev {
        summary: "Meeting".into(),
        description: "Notes".into(),
        url: None,
        organizer: Some((known[0].clone(), false)),
        start: t0 + 5000,
        created: t0 + 1000,
        attachment: false,
    });
    truth.expect("calendar", Level::High, None, "Meeting");
    // MEDIUM: backdated invitation from an unknown organiser.
    let o1 = stranger(&mut rng);
    evs.push(Ev {
        summary: m("backdated"),
        description: "x".into(),
        url: None,
        organizer: Some((o1, false)),
        start: t0 - 800 * 86_400,
        created: t0,
        attachment: false,
    });
    truth.expect("calendar", Level::Medium, None, m("backdated"));
    // MEDIUM: long encoded URL from an unknown organiser.
    let o2 = stranger(&mut rng);
    let payload = format!("https://example.com/i?d={}", hex_string(&mut rng, 600));
    evs.push(Ev {
        summary: m("payload"),
        description: "y".into(),
        url: Some(payload),
        organizer: Some((o2, false)),
        start: t0 + 86_400,
        created: t0,
        attachment: false,
    });
    truth.expect("calendar", Level::Medium, None, m("payload"));
    // MEDIUM: attachment from an unknown organiser.
    let o3 = stranger(&mut rng);
    evs.push(Ev {
        summary: m("attach"),
        description: "z".into(),
        url: None,
        organizer: Some((o3, false)),
        start: t0 + 86_400,
        created: t0,
        attachment: true,
    });
    truth.expect("calendar", Level::Medium, None, m("attach"));
    // CRITICAL: indicator organiser (no payload, not backdated).
    let bad = format!("{}@{}.com", word(&mut rng, 7), word(&mut rng, 7));
    truth.plant(IndicatorKind::Email, bad.clone(), "TestSpy");
    truth.expect("calendar", Level::Critical, Some(&bad), bad.clone());
    evs.push(Ev {
        summary: m("ioc"),
        description: "w".into(),
        url: None,
        organizer: Some((format!("mailto:{bad}"), false)),
        start: t0 + 86_400,
        created: t0,
        attachment: false,
    });
    // near misses
    let o4 = stranger(&mut rng);
    evs.push(Ev {
        summary: m("nm-plain"),
        description: "Lunch".into(),
        url: None,
        organizer: Some((o4, false)),
        start: t0 + 86_400,
        created: t0,
        attachment: false,
    });
    evs.push(Ev {
        summary: m("nm-known-url"),
        description: "Call".into(),
        url: Some(format!("https://example.org/j/{}", hex_string(&mut rng, 300))),
        organizer: Some((known[1].clone(), false)),
        start: t0 + 86_400,
        created: t0,
        attachment: true,
    });
    evs.push(Ev {
        summary: m("nm-self-old"),
        description: "Old".into(),
        url: None,
        organizer: Some(("me@example.com".into(), true)),
        start: t0 - 900 * 86_400,
        created: t0,
        attachment: false,
    });
    evs.push(Ev {
        summary: "Meeting".into(),
        description: "Notes for the quarterly review".into(),
        url: None,
        organizer: None,
        start: t0 + 86_400,
        created: t0,
        attachment: false,
    });
    let mut dbrng = rng_for(seed, "ios/calendar/db");
    vec![db(DOMAIN, REL, FS, t0, |c| {
        c.execute_batch(SCHEMA)?;
        for e in &evs {
            c.execute(
                "INSERT INTO CalendarItem (summary, description, start_date, end_date, all_day, calendar_id, url, \
                 last_modified, hidden, UUID, entity_type, creation_date, has_attachment) \
                 VALUES (?1, ?2, ?3, ?4, 0, 1, ?5, ?6, 0, ?7, 2, ?6, ?8)",
                rusqlite::params![
                    e.summary,
                    e.description,
                    mac(e.start),
                    mac(e.start + 3600),
                    e.url,
                    mac(e.created),
                    uuid(&mut dbrng),
                    i64::from(e.attachment)
                ],
            )?;
            let item = c.last_insert_rowid();
            if let Some((mail, is_self)) = &e.organizer {
                c.execute(
                    "INSERT INTO Participant (entity_type, type, status, role, owner_id, is_self, email, last_modified, UUID) \
                     VALUES (7, 1, 0, 0, ?1, ?2, ?3, ?4, ?5)",
                    rusqlite::params![item, i64::from(*is_self), mail, mac(e.created), uuid(&mut dbrng)],
                )?;
                let pid = c.last_insert_rowid();
                c.execute("UPDATE CalendarItem SET organizer_id = ?1 WHERE ROWID = ?2", rusqlite::params![pid, item])?;
            }
            if e.attachment {
                c.execute(
                    "INSERT INTO Attachment (entity_type, file_id, owner_id, UUID) VALUES (8, ?1, ?2, ?3)",
                    rusqlite::params![dbrng.random_range(1..1000i64), item, uuid(&mut dbrng)],
                )?;
            }
        }
        Ok(())
    })]
}
