//! `whatsapp_group_delivery`: the WhatsApp group delivery pattern of Paragon's Graphite.
//!
//! Graphite reached its targets without a click: the target was added to a WhatsApp group by a
//! number they did not know, a PDF arrived in that group, and the group was left or vanished
//! soon after. This module looks for that sequence in `ChatStorage.sqlite` (the database of
//! [`super::whatsapp`]) and checks the adder against WhatsApp's copy of the phone's address
//! book, `ContactsV2.sqlite` (the database of [`super::whatsapp_contacts`]).
//!
//! # Schema facts (Core Data store)
//! * `ZWACHATSESSION(Z_PK, ZCONTACTJID, ZPARTNERNAME, ZSESSIONTYPE (1 = group), ZREMOVED,
//!   ZLASTMESSAGEDATE)`.
//! * `ZWAMESSAGE(ZCHATSESSION, ZMESSAGETYPE, ZGROUPEVENTTYPE, ZISFROMME, ZGROUPMEMBER, ZTEXT,
//!   ZMESSAGEDATE, ZMEDIAITEM)`: `ZMESSAGETYPE` 6 is a group event (system row), 8 a document.
//!   Group event codes (`ZGROUPEVENTTYPE` of type-6 rows, as public decoders of the iOS store
//!   read them; `../shared/real/` holds no `ChatStorage.sqlite` to pin them against):
//!   2 = a participant was added (no `ZGROUPMEMBER` and not from the owner: the owner was
//!   added, the adder's JID in `ZTEXT`), 12 = group created (not from the owner: someone else
//!   created it with the owner in it; creator from `ZWAGROUPINFO.ZCREATORJID` or the `author`
//!   of the JSON in `ZTEXT`), 4 = a participant left (from the owner: the owner left),
//!   7 = a participant was removed (no `ZGROUPMEMBER`: the owner was removed).
//! * `ZWAMEDIAITEM(Z_PK, ZTITLE, ZMEDIALOCALPATH, ZMEDIAURL)`: a document is a PDF when one of
//!   them ends in `.pdf`.
//! * `ContactsV2.sqlite` `ZWAADDRESSBOOKCONTACT(ZWHATSAPPID, ZPHONENUMBER)`.
//!
//! # Records
//! One per group the owner was added to by someone else (or that someone else created with the
//! owner in it): the group, the adder and whether they are a contact, when; the first PDF
//! received after that, when; how and when the owner left it (left, removed, or the group
//! gone from the chat list: `ZREMOVED`, at its last activity).
//!
//! # Checks (level)
//! * added by a number not in the contacts, a PDF received within [`SOON_HOURS`] hours after
//!   being added, and the group left, removed or gone within [`SOON_HOURS`] hours after the
//!   PDF → HIGH, naming the group, the adder, the document and the three times;
//! * the same when no `ContactsV2.sqlite` could be read, so the adder could not be checked →
//!   MEDIUM.
//!
//! Not raised: a group added by a contact (a digit-suffix match of at least 7 digits against
//! `ZWHATSAPPID` or `ZPHONENUMBER`), a PDF in a group never left, a group left without a
//! document, a PDF in a one-to-one chat, steps further apart than [`SOON_HOURS`].

use std::collections::{BTreeMap, BTreeSet};

use ferret_core::time::from_mac_absolute;
use ferret_core::toolkit::{Columns, cell, for_each_row};
use ferret_core::{ArtifactModule, Context, Finding, Indicators, Level, ModuleError, Out, Outcome, SqliteDb};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::whatsapp::{LOCATOR, phone_of_jid};

/// "Soon": the longest gap, in hours, between being added and the PDF, and between the PDF and
/// leaving.
pub const SOON_HOURS: i64 = 72;

/// One group the owner was put in by someone else (`whatsapp_group_delivery.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupDelivery {
    /// `ZWACHATSESSION.Z_PK`.
    pub session_id: i64,
    /// Group JID (`...@g.us`).
    pub group_jid: Option<String>,
    /// Group name.
    pub group_name: Option<String>,
    /// Who added the owner (JID).
    pub adder_jid: Option<String>,
    /// The adder's phone number, when the JID is a phone JID.
    pub adder_phone: Option<String>,
    /// `added the owner` or `created the group with the owner in it`.
    pub added_how: String,
    /// When.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub added_at: Option<Timestamp>,
    /// Whether the adder is in the contacts; `None` when no contacts database could be read.
    pub adder_in_contacts: Option<bool>,
    /// The first PDF received in the group after the owner was added: its name.
    pub document: Option<String>,
    /// Its local path or URL.
    pub document_path: Option<String>,
    /// When it arrived.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub document_at: Option<Timestamp>,
    /// `left`, `removed` or `gone from the chat list` (after the PDF).
    pub left_how: Option<String>,
    /// When.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub left_at: Option<Timestamp>,
    /// The database.
    pub database: String,
}

/// The module.
#[derive(Debug, Default, Clone, Copy)]
pub struct WhatsappGroupDelivery;

/// Contacts as digit strings (at least 7 digits each).
fn contact_numbers(ctx: &Context<'_>, out: &mut Out<'_, '_, WhatsappGroupDelivery>) -> Option<BTreeSet<String>> {
    let files = match ctx.evidence.locate(&super::whatsapp_contacts::LOCATOR) {
        Ok(f) if !f.is_empty() => f,
        Ok(_) => return None,
        Err(e) => {
            out.warn(format!("contacts (ContactsV2.sqlite) could not be located: {e}"));
            return None;
        }
    };
    let mut set = BTreeSet::new();
    let mut read_any = false;
    for f in &files {
        let db = match ctx.evidence.sqlite(f) {
            Ok(db) => db,
            Err(e) => {
                out.warn(format!("{}: contacts could not be read: {e}", f.path));
                continue;
            }
        };
        if !db.has_table("ZWAADDRESSBOOKCONTACT") {
            out.warn(format!("{}: no ZWAADDRESSBOOKCONTACT table, contacts not read", f.path));
            continue;
        }
        let sel = Columns::default().select_list(&db, "ZWAADDRESSBOOKCONTACT", "c", &["ZWHATSAPPID", "ZPHONENUMBER"]);
        let r = for_each_row(&db, &f.path, &format!("SELECT {sel} FROM ZWAADDRESSBOOKCONTACT c"), |r| {
            for v in [cell::text(r, 0), cell::text(r, 1)].into_iter().flatten() {
                let d = jid_digits(&v);
                if d.len() >= 7 {
                    set.insert(d);
                }
            }
            Ok(())
        });
        match r {
            Ok(()) => read_any = true,
            Err(e) => out.warn(format!("{}: contacts could not be read: {e}", f.path)),
        }
    }
    read_any.then_some(set)
}

/// The digits of a JID's user part or of a phone number (`+1 555-000 1111@s.whatsapp.net` →
/// `15550001111`).
fn jid_digits(jid: &str) -> String {
    jid.split('@').next().unwrap_or_default().chars().filter(char::is_ascii_digit).collect()
}

/// Whether `jid`'s number is among `contacts` (one ends with the other, at least 7 digits).
fn is_contact(contacts: &BTreeSet<String>, jid: &str) -> bool {
    let d = jid_digits(jid);
    d.len() >= 7 && contacts.iter().any(|c| d.ends_with(c.as_str()) || c.ends_with(d.as_str()))
}

fn is_pdf(s: &str) -> bool {
    let s = s.split(['?', '#']).next().unwrap_or(s);
    s.len() >= 4 && s.get(s.len() - 4..).is_some_and(|e| e.eq_ignore_ascii_case(".pdf"))
}

#[derive(Default)]
struct State {
    added: Option<(Option<Timestamp>, Option<String>, &'static str)>,
    document: Option<(Option<Timestamp>, String, Option<String>)>,
    left: Option<(Option<Timestamp>, &'static str)>,
}

fn creator_from_json(text: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    v.get("author").and_then(serde_json::Value::as_str).map(str::to_string)
}

fn read_db(
    db: &SqliteDb,
    path: &str,
    contacts: Option<&BTreeSet<String>>,
    out: &mut Out<'_, '_, WhatsappGroupDelivery>,
) -> Result<(), ModuleError> {
    if !db.has_table("ZWACHATSESSION") || !db.has_table("ZWAMESSAGE") {
        out.warn(format!("{path}: no ZWACHATSESSION or ZWAMESSAGE table"));
        return Ok(());
    }
    let mut schema = Columns::default();
    let s = schema.select_list(
        db,
        "ZWACHATSESSION",
        "s",
        &["ZCONTACTJID", "ZPARTNERNAME", "ZSESSIONTYPE", "ZREMOVED", "ZLASTMESSAGEDATE"],
    );
    let has_link = db.columns("ZWACHATSESSION").iter().any(|c| c.eq_ignore_ascii_case("ZGROUPINFO"));
    let (gi, join) = if has_link && db.has_table("ZWAGROUPINFO") {
        (
            schema.select_list(db, "ZWAGROUPINFO", "gi", &["ZCREATORJID"]),
            " LEFT JOIN ZWAGROUPINFO gi ON gi.Z_PK = s.ZGROUPINFO",
        )
    } else {
        ("NULL".to_string(), "")
    };
    let m = schema.select_list(
        db,
        "ZWAMESSAGE",
        "m",
        &["ZCHATSESSION", "ZMESSAGETYPE", "ZGROUPEVENTTYPE", "ZISFROMME", "ZGROUPMEMBER", "ZTEXT", "ZMESSAGEDATE"],
    );
    let has_media =
        db.has_table("ZWAMEDIAITEM") && db.columns("ZWAMESSAGE").iter().any(|c| c.eq_ignore_ascii_case("ZMEDIAITEM"));
    let (mi, mjoin) = if has_media {
        (
            schema.select_list(db, "ZWAMEDIAITEM", "mi", &["ZTITLE", "ZMEDIALOCALPATH", "ZMEDIAURL"]),
            " LEFT JOIN ZWAMEDIAITEM mi ON mi.Z_PK = m.ZMEDIAITEM",
        )
    } else {
        ("NULL, NULL, NULL".to_string(), "")
    };
    schema.warn(out, path);

    // Groups (bounded by the number of chats).
    struct Group {
        jid: Option<String>,
        name: Option<String>,
        removed: bool,
        last: Option<Timestamp>,
        creator: Option<String>,
    }
    let mut groups: BTreeMap<i64, Group> = BTreeMap::new();
    for_each_row(db, path, &format!("SELECT s.Z_PK, {s}, {gi} FROM ZWACHATSESSION s{join} ORDER BY s.Z_PK"), |r| {
        if let (Some(id), Some(1)) = (cell::i64(r, 0), cell::i64(r, 3)) {
            groups.insert(
                id,
                Group {
                    jid: cell::text(r, 1),
                    name: cell::text(r, 2),
                    removed: cell::i64(r, 4).is_some_and(|v| v != 0),
                    last: cell::f64(r, 5).and_then(from_mac_absolute),
                    creator: cell::text(r, 6),
                },
            );
        }
        Ok(())
    })?;
    if groups.is_empty() {
        return Ok(());
    }

    // Group events and documents, in time order per chat; one small state per group.
    let mut states: BTreeMap<i64, State> = BTreeMap::new();
    let sql = format!(
        "SELECT {m}, {mi} FROM ZWAMESSAGE m{mjoin} WHERE m.ZMESSAGETYPE IN (6, 8) \
         ORDER BY m.ZCHATSESSION, m.ZMESSAGEDATE, m.Z_PK"
    );
    for_each_row(db, path, &sql, |r| {
        let Some(chat) = cell::i64(r, 0) else { return Ok(()) };
        let Some(g) = groups.get(&chat) else { return Ok(()) };
        let kind = cell::i64(r, 1);
        let event = cell::i64(r, 2);
        let from_me = cell::i64(r, 3).is_some_and(|v| v != 0);
        let no_member = cell::i64(r, 4).is_none();
        let text = cell::text(r, 5);
        let at = cell::f64(r, 6).and_then(from_mac_absolute);
        let st = states.entry(chat).or_default();
        match (kind, event) {
            (Some(6), Some(2)) if no_member && !from_me && st.added.is_none() => {
                st.added = Some((at, text.filter(|t| !t.trim().is_empty()), "added the owner"));
            }
            (Some(6), Some(12)) if !from_me && st.added.is_none() => {
                let creator = text.as_deref().and_then(creator_from_json).or_else(|| g.creator.clone());
                st.added = Some((at, creator, "created the group with the owner in it"));
            }
            (Some(8), _) if !from_me && st.added.is_some() && st.document.is_none() => {
                let (title, local, url) = (cell::text(r, 7), cell::text(r, 8), cell::text(r, 9));
                if [&title, &local, &url].into_iter().flatten().any(|v| is_pdf(v)) {
                    let name = title
                        .clone()
                        .or_else(|| local.as_deref().and_then(|l| l.rsplit('/').next()).map(str::to_string))
                        .unwrap_or_else(|| "(unnamed PDF)".into());
                    st.document = Some((at, name, local.or(url)));
                }
            }
            (Some(6), Some(4)) if from_me && st.document.is_some() && st.left.is_none() => {
                st.left = Some((at, "left"));
            }
            (Some(6), Some(7)) if no_member && st.document.is_some() && st.left.is_none() => {
                st.left = Some((at, "removed"));
            }
            _ => {}
        }
        Ok(())
    })?;

    for (id, st) in states {
        let Some((added_at, adder, how)) = st.added else { continue };
        let Some(g) = groups.get(&id) else { continue };
        let mut left = st.left;
        if left.is_none() && st.document.is_some() && g.removed {
            left = Some((g.last, "gone from the chat list"));
        }
        let (document_at, document, document_path) = match st.document {
            Some((t, n, p)) => (t, Some(n), p),
            None => (None, None, None),
        };
        out.record(GroupDelivery {
            session_id: id,
            group_jid: g.jid.clone(),
            group_name: g.name.clone(),
            adder_phone: adder.as_deref().and_then(phone_of_jid),
            adder_in_contacts: contacts.map(|c| adder.as_deref().is_some_and(|a| is_contact(c, a))),
            adder_jid: adder,
            added_how: how.to_string(),
            added_at,
            document,
            document_path,
            document_at,
            left_how: left.map(|l| l.1.to_string()),
            left_at: left.and_then(|l| l.0),
            database: path.to_string(),
        })?;
    }
    Ok(())
}

fn within(a: Option<Timestamp>, b: Option<Timestamp>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => {
            let d = b.as_second() - a.as_second();
            (0..=SOON_HOURS * 3600).contains(&d)
        }
        _ => false,
    }
}

impl ArtifactModule for WhatsappGroupDelivery {
    type Record = GroupDelivery;
    const NAME: &'static str = "whatsapp_group_delivery";
    const DESCRIPTION: &'static str = "WhatsApp groups the owner was added to by someone else (ChatStorage.sqlite, ContactsV2.sqlite): the Graphite delivery pattern";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        if ctx.evidence.locate(&LOCATOR)?.is_empty() {
            return Ok(Outcome::NotFound);
        }
        let contacts = contact_numbers(ctx, out);
        ferret_core::toolkit::each_sqlite(ctx, &LOCATOR, out, |db, path, out| read_db(db, path, contacts.as_ref(), out))
    }

    fn timeline(&self, r: &GroupDelivery, events: &mut Vec<(Timestamp, String, String)>) {
        let group = r.group_name.as_deref().unwrap_or("unnamed group");
        if let Some(t) = r.added_at {
            let who = r.adder_phone.as_deref().or(r.adder_jid.as_deref()).unwrap_or("someone");
            events.push((t, "whatsapp_group_added".into(), format!("{who} {} {group:?}", r.added_how)));
        }
        if let (Some(t), Some(d)) = (r.document_at, &r.document) {
            events.push((t, "whatsapp_group_document".into(), format!("PDF {d:?} received in {group:?}")));
        }
        if let (Some(t), Some(h)) = (r.left_at, &r.left_how) {
            events.push((t, "whatsapp_group_left".into(), format!("group {group:?} {h}")));
        }
    }

    fn check(&self, r: &GroupDelivery, _ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if r.adder_in_contacts == Some(true)
            || r.left_how.is_none()
            || !within(r.added_at, r.document_at)
            || !within(r.document_at, r.left_at)
        {
            return;
        }
        let t = |x: Option<Timestamp>| x.map(ferret_core::time::format).unwrap_or_default();
        let who = r.adder_phone.as_deref().or(r.adder_jid.as_deref()).unwrap_or("an unknown account");
        let (level, contact) = match r.adder_in_contacts {
            Some(false) => (Level::High, "a number not in the contacts"),
            _ => (Level::Medium, "a number that could not be checked against the contacts (no ContactsV2.sqlite)"),
        };
        f.push(Finding::heuristic(
            level,
            format!(
                "WhatsApp group {:?} ({}): {who}, {contact}, {} at {t1} UTC; the PDF {:?} arrived at {t2} UTC; the group was {} at {t3} UTC. Added by a stranger, a PDF, then gone: the delivery pattern of Paragon's Graphite zero-click exploit",
                r.group_name.as_deref().unwrap_or("unnamed group"),
                r.group_jid.as_deref().unwrap_or("?"),
                r.added_how,
                r.document.as_deref().unwrap_or("?"),
                r.left_how.as_deref().unwrap_or("?"),
                t1 = t(r.added_at),
                t2 = t(r.document_at),
                t3 = t(r.left_at),
            ),
            r.document_at,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::sms::test_support::*;
    use super::*;
    use ferret_core::{NoIndicators, Typed};
    use ferret_testdata::ios::whatsapp::{CONTACT, DELIVERY_GROUPS, STRANGER, group_delivery};

    fn by_level(r: &ferret_core::module::testing::RunResult) -> Vec<(Level, String)> {
        let mut v: Vec<(Level, String)> = r
            .alerts
            .iter()
            .map(|a| (a.level, a.event["group_name"].as_str().unwrap_or_default().to_string()))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn the_pattern_is_high_and_the_near_misses_are_not() {
        let dir = layout(&group_delivery(true));
        let r = run_dir(&Typed(WhatsappGroupDelivery), dir.path(), &NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        // recall and precision: exactly the two delivery groups, HIGH
        let want: Vec<(Level, String)> = DELIVERY_GROUPS.iter().map(|g| (Level::High, g.to_string())).collect();
        assert_eq!(by_level(&r), want);
        let conf = r.alerts.iter().find(|a| a.event["group_name"] == "Conference 2026").expect("conference");
        for part in [
            "\"Conference 2026\" (120363000000000101@g.us)",
            &format!("+{STRANGER}, a number not in the contacts, added the owner at 2026-09-21 14:13:20.000000 UTC"),
            "the PDF \"agenda.pdf\" arrived at 2026-09-21 15:13:20.000000 UTC",
            "the group was left at 2026-09-21 16:13:20.000000 UTC",
            "Graphite",
        ] {
            assert!(conf.message.contains(part), "{part:?} not in {}", conf.message);
        }
        assert_eq!(conf.event_time.map(|t| t.as_second()), Some(1_790_003_600), "the time of the PDF");
        let press = r.alerts.iter().find(|a| a.event["group_name"] == "Press review").expect("press");
        assert!(press.message.contains("created the group with the owner in it"), "{}", press.message);
        assert!(
            press.message.contains("\"Weekly\"") && press.message.contains("gone from the chat list"),
            "{}",
            press.message
        );
        // one record per group the owner was put in by someone else (not the one-to-one chat)
        let names: Vec<&str> = r.records.iter().filter_map(|v| v["group_name"].as_str()).collect();
        assert_eq!(
            names,
            ["Conference 2026", "Press review", "Family", "Reading list", "Quiet group", "Slow group", "Old invite"]
        );
        let family = r.records.iter().find(|v| v["group_name"] == "Family").expect("family");
        assert_eq!(family["adder_in_contacts"], true);
        assert_eq!(family["adder_phone"], format!("+{CONTACT}"));
        let quiet = r.records.iter().find(|v| v["group_name"] == "Quiet group").expect("quiet");
        assert!(quiet["document"].is_null() && quiet["left_how"].is_null(), "a JPEG is not a PDF: {quiet}");
        let reading = r.records.iter().find(|v| v["group_name"] == "Reading list").expect("reading");
        assert!(reading["left_how"].is_null());
        assert_eq!(r.timeline.iter().filter(|e| e.event == "whatsapp_group_document").count(), 6);
    }

    #[test]
    fn without_contacts_the_pattern_is_medium() {
        let dir = layout(&group_delivery(false));
        let r = run_dir(&Typed(WhatsappGroupDelivery), dir.path(), &NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        let mut want: Vec<(Level, String)> =
            ["Conference 2026", "Family", "Press review"].iter().map(|g| (Level::Medium, g.to_string())).collect();
        want.sort();
        assert_eq!(by_level(&r), want, "the adder cannot be checked: MEDIUM, the contact's group included");
        assert!(r.alerts.iter().all(|a| a.message.contains("could not be checked against the contacts")));
    }

    #[test]
    fn with_the_real_contacts_database() {
        let Some(real) = ferret_testdata::testkit::shared(
            "real/ios-fs/mvs_2023/private/var/mobile/Containers/Shared/AppGroup/B651B3B1-8FA4-4FD9-B0E4-C6F8F8EBC5FD/ContactsV2.sqlite",
        ) else {
            return;
        };
        // the generated ChatStorage beside a copy of the real ContactsV2 (+ its WAL), in a
        // temporary folder; ../shared is never written
        let dir = layout(&group_delivery(false));
        let to = dir.path().join(ferret_testdata::ios::whatsapp_contacts::FS);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        for ext in ["", "-wal", "-shm"] {
            let from = std::path::PathBuf::from(format!("{}{ext}", real.display()));
            if from.is_file() {
                std::fs::copy(&from, format!("{}{ext}", to.display())).expect("copy");
            }
        }
        let r = run_dir(&Typed(WhatsappGroupDelivery), dir.path(), &NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert!(r.warnings.is_empty(), "the real schema reads: {:?}", r.warnings);
        // that phone's WhatsApp lists no contact with the generated numbers: the contacts were
        // read (HIGH, not MEDIUM), and the generated "contact" is a stranger to it
        let mut want: Vec<(Level, String)> =
            ["Conference 2026", "Family", "Press review"].iter().map(|g| (Level::High, g.to_string())).collect();
        want.sort();
        assert_eq!(by_level(&r), want);
    }

    #[test]
    fn missing_tables_and_odd_values() {
        let d = db_from_sql(
            "private/var/mobile/Containers/Shared/AppGroup/X/ChatStorage.sqlite",
            "CREATE TABLE ZWACHATSESSION (Z_PK INTEGER PRIMARY KEY, ZPARTNERNAME VARCHAR);
             INSERT INTO ZWACHATSESSION VALUES (1, 'x');",
        );
        let r = run_dir(&Typed(WhatsappGroupDelivery), d.path(), &NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert!(r.records.is_empty() && r.alerts.is_empty());
        assert!(r.warnings.iter().any(|w| w.contains("no ZWACHATSESSION or ZWAMESSAGE")), "{:?}", r.warnings);
        // old schema: no ZGROUPEVENTTYPE, no media table: read as null, named once, nothing raised
        let d = db_from_sql(
            "private/var/mobile/Containers/Shared/AppGroup/X/ChatStorage.sqlite",
            "CREATE TABLE ZWACHATSESSION (Z_PK INTEGER PRIMARY KEY, ZSESSIONTYPE INTEGER, ZPARTNERNAME VARCHAR);
             CREATE TABLE ZWAMESSAGE (Z_PK INTEGER PRIMARY KEY, ZCHATSESSION INTEGER, ZMESSAGETYPE INTEGER, ZTEXT VARCHAR, ZMESSAGEDATE TIMESTAMP);
             INSERT INTO ZWACHATSESSION VALUES (1, 1, 'g');
             INSERT INTO ZWAMESSAGE VALUES (1, 1, 6, 'x', 'not a time'), (2, 1, 8, NULL, 1e300);",
        );
        let r = run_dir(&Typed(WhatsappGroupDelivery), d.path(), &NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert!(r.records.is_empty() && r.alerts.is_empty());
        assert_eq!(
            r.warnings.iter().filter(|w| w.contains("ZWAMESSAGE.ZGROUPEVENTTYPE")).count(),
            1,
            "{:?}",
            r.warnings
        );
        assert!(
            is_pdf("a.PDF") && is_pdf("https://x/y.pdf?x=1") && !is_pdf("pdf") && !is_pdf("a.pdfx") && !is_pdf("é.pd")
        );
        assert_eq!(creator_from_json("{\"author\":\"1@s.whatsapp.net\"}").as_deref(), Some("1@s.whatsapp.net"));
        assert_eq!(creator_from_json("not json"), None);
        let c: BTreeSet<String> = ["5550001111".to_string()].into();
        assert!(is_contact(&c, "15550001111@s.whatsapp.net"), "a local number matches by its digits");
        assert!(!is_contact(&c, "15550001112@s.whatsapp.net") && !is_contact(&c, "111@s.whatsapp.net"));
    }
}
