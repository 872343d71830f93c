//! `calendar`: calendar events and invitations (`Calendar.sqlitedb`).
//!
//! Format facts:
//! * SQLite at HomeDomain `Library/Calendar/Calendar.sqlitedb`
//!   (FS `private/var/mobile/Library/Calendar/Calendar.sqlitedb`).
//! * `CalendarItem`: `ROWID`, `summary`, `description`, `start_date`, `end_date`,
//!   `creation_date`, `last_modified` (Mac absolute seconds, REAL), `all_day`, `calendar_id`,
//!   `organizer_id` (→ `Participant.ROWID`), `url`, `external_id`, `unique_identifier`, `UUID`,
//!   `hidden`, `action`, `created_by_id`. Older schemas lack some of these; they read as empty
//!   and a warning names them.
//! * `Participant`: `ROWID`, `owner_id` (→ item), `is_self`, `email` (often `mailto:`-prefixed),
//!   `phone_number`, `comment`, `last_modified`, `UUID`.
//! * `Attachment` (`owner_id` → item) lists files attached to an event; counted when present.
//!
//! Checks:
//! * CRITICAL: organiser e-mail (`check_email`), organiser phone (`check_phone`), event URL
//!   (`check_url`) matching indicators.
//! * HIGH "Potential Quadream exploit event": `summary == "Meeting"` and
//!   `description == "Notes"`, the exact shape of the malicious invitations MVT flags.
//! * MEDIUM "calendar invitation from an organiser not in your contacts ...": the organiser is
//!   not the device owner (`is_self != 1`) and their address is not in the address book, and the
//!   event is **backdated** (added more than a day after it ended, so iOS never shows a
//!   notification) or carries a **payload** (an attachment, or a summary / description /
//!   location / URL longer than 1024 characters or holding an encoded run of 256+ base64/hex
//!   characters).
//!
//! Source of the MEDIUM rule: Citizen Lab, "Sweet QuaDreams: A First Look at Spyware Vendor
//! QuaDream's Exploits, Victims, and Customers" (2023-04-11,
//! <https://citizenlab.ca/2023/04/spyware-vendor-quadream-exploits-victims-customers/>):
//! QuaDream's ENDOFDAYS zero-click on iOS 14 used *invisible iCloud calendar invitations* sent
//! by the operator; the events were *backdated* (placed in the past) so the victim saw no
//! prompt; Microsoft's companion report (KingsPawn, same date) describes the same delivery.
//! Organiser known-ness uses the address book of the same acquisition (`contacts` locator); when
//! it is absent every non-self organiser counts as unknown and a warning says so.
//!
//! Timeline: `calendar_event_start`, and `calendar_event_created` at the creation date.

use std::collections::HashSet;

use ferret_core::{
    ArtifactModule, BackupPath, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use ferret_core::toolkit::{Columns, cell, for_each_row};

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct Calendar;

/// One calendar item with its organiser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarRecord {
    /// `CalendarItem.ROWID`.
    pub id: Option<i64>,
    /// Title.
    pub summary: Option<String>,
    /// Notes.
    pub description: Option<String>,
    /// Start.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub start_date: Option<Timestamp>,
    /// End.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub end_date: Option<Timestamp>,
    /// When the item was added to the calendar.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub creation_date: Option<Timestamp>,
    /// Last modification.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub last_modified: Option<Timestamp>,
    /// All-day flag.
    pub all_day: Option<i64>,
    /// Calendar id.
    pub calendar_id: Option<i64>,
    /// Event URL.
    pub url: Option<String>,
    /// Location title (from `Location.title` when present).
    pub location: Option<String>,
    /// Server-side id.
    pub external_id: Option<String>,
    /// `unique_identifier`.
    pub unique_identifier: Option<String>,
    /// `UUID`.
    pub uuid: Option<String>,
    /// Hidden flag.
    pub hidden: Option<i64>,
    /// Number of attachments (`Attachment` rows of this item).
    pub attachments: Option<i64>,
    /// `Participant.ROWID` of the organiser.
    pub organizer_id: Option<i64>,
    /// Organiser e-mail (`mailto:` kept as stored).
    pub participant_email: Option<String>,
    /// Organiser phone.
    pub participant_phone: Option<String>,
    /// Organiser comment.
    pub participant_comment: Option<String>,
    /// Whether the organiser is the device owner (`is_self`).
    pub organizer_is_self: Option<bool>,
    /// Whether the organiser's address is in the address book (`None`: no address book).
    pub organizer_in_contacts: Option<bool>,
}

static LOCATOR: Locator = Locator {
    backup: &[BackupPath { domain: "HomeDomain", path: "Library/Calendar/Calendar.sqlitedb" }],
    paths: &["private/var/mobile/Library/Calendar/Calendar.sqlitedb"],
};

const ITEM_COLS: &[&str] = &[
    "ROWID",
    "summary",
    "description",
    "start_date",
    "end_date",
    "creation_date",
    "last_modified",
    "all_day",
    "calendar_id",
    "url",
    "external_id",
    "unique_identifier",
    "UUID",
    "hidden",
    "organizer_id",
];
const PART_COLS: &[&str] = &["email", "phone_number", "comment", "is_self"];

/// Longest field length considered ordinary.
const LONG_FIELD: usize = 1024;
/// Shortest run of base64/hex characters considered an encoded blob.
const ENCODED_RUN: usize = 256;

fn normalise_mail(s: &str) -> String {
    let s = s.trim().to_lowercase();
    s.strip_prefix("mailto:").map(str::to_string).unwrap_or(s)
}

fn has_encoded_run(s: &str) -> bool {
    let mut run = 0usize;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_') {
            run += 1;
            if run >= ENCODED_RUN {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

fn payload_reason(r: &CalendarRecord) -> Option<String> {
    if r.attachments.unwrap_or(0) > 0 {
        return Some(format!("{} attachment(s)", r.attachments.unwrap_or(0)));
    }
    for (name, v) in
        [("summary", &r.summary), ("description", &r.description), ("location", &r.location), ("URL", &r.url)]
    {
        if let Some(v) = v {
            if v.chars().count() > LONG_FIELD {
                return Some(format!("a {}-character {name}", v.chars().count()));
            }
            if has_encoded_run(v) {
                return Some(format!("an encoded-looking {name}"));
            }
        }
    }
    None
}

fn known_contacts(ctx: &Context<'_>, warn: &mut dyn FnMut(String)) -> Option<HashSet<String>> {
    let files = match ctx.evidence.locate(&super::contacts::LOCATOR) {
        Ok(f) => f,
        Err(e) => {
            warn(format!("address book not readable ({e}); organisers are treated as unknown"));
            return None;
        }
    };
    if files.is_empty() {
        warn("no address book in this acquisition; every organiser other than the owner is treated as unknown".into());
        return None;
    }
    let mut set = HashSet::new();
    for f in &files {
        let res = ctx.evidence.sqlite(f).map_err(ModuleError::from).and_then(|db| {
            super::contacts::read_values(&db, &f.path, &mut |_| {}, |rec| {
                if rec.kind == "email" || rec.value.contains('@') {
                    set.insert(normalise_mail(&rec.value));
                }
                Ok(())
            })
        });
        if let Err(e) = res {
            warn(format!("address book not readable ({e}); organisers are treated as unknown"));
            return None;
        }
    }
    Some(set)
}

impl ArtifactModule for Calendar {
    type Record = CalendarRecord;
    const NAME: &'static str = "calendar";
    const DESCRIPTION: &'static str =
        "Calendar events and invitations; flags Quadream-style invitations from unknown organisers";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let files = ctx.evidence.locate(&LOCATOR)?;
        if files.is_empty() {
            return Ok(Outcome::NotFound);
        }
        let mut warnings = Vec::new();
        let contacts = known_contacts(ctx, &mut |w| warnings.push(w));
        for w in warnings.drain(..) {
            out.warn(w);
        }
        for file in &files {
            let db = ctx.evidence.sqlite(file)?;
            if !db.has_table("CalendarItem") {
                return Err(ModuleError::missing_tables(&file.path, &db, "table CalendarItem"));
            }
            let mut cols = Columns::default();
            let item = cols.select(&db, "CalendarItem", "ci", ITEM_COLS);
            let has_part = db.has_table("Participant") && !cols.is_missing("CalendarItem", "organizer_id");
            let part = if has_part { cols.select(&db, "Participant", "p", PART_COLS) } else { vec!["NULL".into(); 4] };
            let attach = if db.has_table("Attachment") && db.columns("Attachment").iter().any(|c| c == "owner_id") {
                "(SELECT count(*) FROM Attachment a WHERE a.owner_id = ci.ROWID)".to_string()
            } else {
                "NULL".to_string()
            };
            let loc_cols = db.columns("CalendarItem");
            let location = if db.has_table("Location")
                && loc_cols.iter().any(|c| c == "location_id")
                && db.columns("Location").iter().any(|c| c == "title")
            {
                "(SELECT l.title FROM Location l WHERE l.ROWID = ci.location_id)".to_string()
            } else {
                "NULL".to_string()
            };
            if let Some(w) = cols.warning(&file.path) {
                out.warn(w);
            }
            let join = if has_part { "LEFT JOIN Participant p ON p.ROWID = ci.organizer_id" } else { "" };
            let sql = format!(
                "SELECT {}, {}, {attach}, {location} FROM CalendarItem ci {join} ORDER BY ci.ROWID",
                item.join(", "),
                part.join(", ")
            );
            for_each_row(&db, &file.path, &sql, |r| {
                let email = cell::text(r, 15);
                let is_self = cell::i64(r, 18).map(|x| x == 1);
                let in_contacts = match (&contacts, &email) {
                    (Some(set), Some(e)) => Some(set.contains(&normalise_mail(e))),
                    (Some(_), None) => Some(false),
                    (None, _) => None,
                };
                out.record(CalendarRecord {
                    id: cell::i64(r, 0),
                    summary: cell::text(r, 1),
                    description: cell::text(r, 2),
                    start_date: cell::mac_time(r, 3),
                    end_date: cell::mac_time(r, 4),
                    creation_date: cell::mac_time(r, 5),
                    last_modified: cell::mac_time(r, 6),
                    all_day: cell::i64(r, 7),
                    calendar_id: cell::i64(r, 8),
                    url: cell::text(r, 9),
                    external_id: cell::text(r, 10),
                    unique_identifier: cell::text(r, 11),
                    uuid: cell::text(r, 12),
                    hidden: cell::i64(r, 13),
                    organizer_id: cell::i64(r, 14),
                    participant_email: email,
                    participant_phone: cell::text(r, 16),
                    participant_comment: cell::text(r, 17),
                    organizer_is_self: is_self,
                    organizer_in_contacts: in_contacts,
                    attachments: cell::i64(r, 19),
                    location: cell::text(r, 20),
                })
            })?;
        }
        Ok(Outcome::Completed)
    }

    fn timeline(&self, r: &CalendarRecord, events: &mut Vec<(Timestamp, String, String)>) {
        let title = r.summary.as_deref().unwrap_or("(untitled)");
        let who = r.participant_email.as_deref().unwrap_or("no organiser");
        if let Some(t) = r.start_date {
            events.push((t, "calendar_event_start".into(), format!("{title} (organiser: {who})")));
        }
        if let Some(t) = r.creation_date {
            events.push((t, "calendar_event_created".into(), format!("{title} (organiser: {who})")));
        }
    }

    fn check(&self, r: &CalendarRecord, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        let when = r.start_date.or(r.creation_date);
        if let Some(e) = r.participant_email.as_deref().filter(|e| !e.is_empty())
            && let Some(m) = ind.check_email(e)
        {
            f.push(ioc_finding(Level::Critical, "Calendar organiser", e, when, m));
        }
        if let Some(p) = r.participant_phone.as_deref().filter(|p| !p.is_empty())
            && let Some(m) = ind.check_phone(p)
        {
            f.push(ioc_finding(Level::Critical, "Calendar organiser phone", p, when, m));
        }
        if let Some(u) = r.url.as_deref().filter(|u| !u.is_empty())
            && let Some(m) = ind.check_url(u)
        {
            f.push(ioc_finding(Level::Critical, "Calendar event URL", u, when, m));
        }
        if r.summary.as_deref() == Some("Meeting") && r.description.as_deref() == Some("Notes") {
            f.push(Finding::heuristic(
                Level::High,
                "Potential Quadream exploit event: a calendar item titled \"Meeting\" with notes \"Notes\", the shape of QuaDream's malicious invitations",
                when,
            ));
        }
        let external = r.organizer_is_self != Some(true)
            && r.participant_email.as_deref().is_some_and(|e| !e.trim().is_empty())
            && r.organizer_in_contacts != Some(true);
        if !external {
            return;
        }
        let backdated = match (r.creation_date, r.end_date.or(r.start_date)) {
            (Some(c), Some(end)) => c.as_second() - end.as_second() > 86_400,
            _ => false,
        };
        let payload = payload_reason(r);
        if backdated || payload.is_some() {
            let mut why = Vec::new();
            if backdated {
                why.push(
                    "was added after the event had already ended (backdated, so no notification is shown)".to_string(),
                );
            }
            if let Some(p) = payload {
                why.push(format!("carries {p}"));
            }
            f.push(Finding::heuristic(
                Level::Medium,
                format!(
                    "Calendar invitation {:?} from an organiser not in your contacts ({}) {}: invisible or backdated invitations were QuaDream's zero-click delivery",
                    r.summary.as_deref().unwrap_or("(untitled)"),
                    r.participant_email.as_deref().unwrap_or(""),
                    why.join(" and ")
                ),
                when,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::testing::*;
    use ferret_testdata::fake::TruthIndicators;
    use ferret_testdata::truth::Truth;

    const P: &str = "private/var/mobile/Library/Calendar/Calendar.sqlitedb";

    #[test]
    fn recall_and_precision_with_contacts() {
        let mut truth = Truth::default();
        let mut files = ferret_testdata::ios::calendar::generate(11, 30, &mut truth);
        files.extend(ferret_testdata::ios::contacts::generate(11, 10, &mut truth));
        let (_d, ev) = fs_tree(&files);
        let r = run(Calendar, &ev, &TruthIndicators::new(&truth));
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 39);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_exact(&truth, &r, "calendar");
    }

    #[test]
    fn without_contacts_unknown_organisers_and_warning() {
        let mut truth = Truth::default();
        let files = ferret_testdata::ios::calendar::generate(11, 0, &mut truth);
        let (_d, ev) = fs_tree(&files);
        let r = run(Calendar, &ev, &ferret_core::NoIndicators);
        assert!(r.warnings.iter().any(|w| w.contains("no address book")));
        // the known-organiser near miss (attachment + long URL) now counts as unknown too
        assert!(r.alerts.iter().any(|a| a.message.contains("h7cal-nm-known-url")));
        assert!(!r.alerts.iter().any(|a| a.message.contains("h7cal-nm-plain")));
    }

    #[test]
    fn older_schema_and_edge_cases() {
        let (d, ev) = fs_tree(&[]);
        assert_eq!(run(Calendar, &ev, &ferret_core::NoIndicators).outcome, Ok(Outcome::NotFound));
        put(
            &d,
            P,
            &sqlite_bytes(
                "CREATE TABLE CalendarItem (ROWID INTEGER PRIMARY KEY, summary TEXT, description TEXT, start_date REAL);
                 INSERT INTO CalendarItem VALUES (1, 'Meeting', 'Notes', 700000000.0), (2, CAST(X'FF00' AS TEXT), NULL, NULL);",
            ),
        );
        let r = run(Calendar, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 2);
        assert!(r.warnings.iter().any(|w| w.contains("CalendarItem.organizer_id") && w.contains("CalendarItem.url")));
        assert_eq!(r.alerts.len(), 1);
        assert_eq!(r.alerts[0].level, Level::High);
        put(&d, P, &sqlite_bytes("CREATE TABLE x(y);"));
        assert!(run(Calendar, &ev, &ferret_core::NoIndicators).outcome.expect_err("no table").contains("CalendarItem"));
    }

    #[test]
    fn encoded_run_detection() {
        assert!(has_encoded_run(&"A".repeat(256)));
        assert!(!has_encoded_run(&"word ".repeat(300)));
    }
}
