//! WhatsApp `ChatStorage.sqlite` generator (Core Data store), for the `whatsapp` module.
//!
//! Tables (subset of columns, real names): `ZWACHATSESSION`, `ZWAGROUPINFO` (`ZCREATIONDATE`,
//! `ZCREATORJID`), `ZWAGROUPMEMBER`, `ZWAMESSAGE`
//! (`ZMESSAGEDATE` Mac absolute seconds), `ZWAMEDIAITEM` (`ZMEDIAURL`, `ZMEDIALOCALPATH`,
//! `ZTITLE`), `ZWAMESSAGEDATAITEM` (link previews: `ZMATCHEDTEXT`, `ZCONTENT1`, `ZCONTENT2`,
//! `ZTITLE`, `ZSUMMARY`). Backup domain `AppDomainGroup-group.net.whatsapp.WhatsApp.shared`.

use ferret_core::Level;
use rand::Rng;
use rusqlite::{Connection, params};

use super::sms::{BENIGN_HOSTS, artifact_files};
use crate::ArtifactFile;
use crate::rng::{TestRng, hex_string, rng_for, uuid, word};
use crate::sqlite::build;
use crate::truth::{IndicatorKind, Truth};

const SCHEMA: &str = "
CREATE TABLE ZWACHATSESSION (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZARCHIVED INTEGER, ZMESSAGECOUNTER INTEGER, ZREMOVED INTEGER, ZSESSIONTYPE INTEGER, ZGROUPINFO INTEGER, ZLASTMESSAGEDATE TIMESTAMP, ZCONTACTJID VARCHAR, ZPARTNERNAME VARCHAR);
CREATE TABLE ZWAGROUPINFO (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZCHATSESSION INTEGER, ZCREATIONDATE TIMESTAMP, ZCREATORJID VARCHAR, ZOWNERJID VARCHAR, ZSUBJECTOWNERJID VARCHAR);
CREATE TABLE ZWAGROUPMEMBER (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZISACTIVE INTEGER, ZISADMIN INTEGER, ZCHATSESSION INTEGER, ZCONTACTNAME VARCHAR, ZMEMBERJID VARCHAR);
CREATE TABLE ZWAMESSAGE (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZISFROMME INTEGER, ZMESSAGESTATUS INTEGER, ZMESSAGETYPE INTEGER, ZGROUPEVENTTYPE INTEGER, ZCHATSESSION INTEGER, ZGROUPMEMBER INTEGER, ZMEDIAITEM INTEGER, ZMESSAGEDATE TIMESTAMP, ZSENTDATE TIMESTAMP, ZFROMJID VARCHAR, ZTOJID VARCHAR, ZPUSHNAME VARCHAR, ZSTANZAID VARCHAR, ZTEXT VARCHAR);
CREATE TABLE ZWAMEDIAITEM (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZFILESIZE INTEGER, ZMESSAGE INTEGER, ZAUTHORNAME VARCHAR, ZMEDIALOCALPATH VARCHAR, ZMEDIAURL VARCHAR, ZTITLE VARCHAR, ZVCARDNAME VARCHAR, ZVCARDSTRING VARCHAR);
CREATE TABLE ZWAMESSAGEDATAITEM (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZINDEX INTEGER, ZMESSAGE INTEGER, ZCONTENT1 VARCHAR, ZCONTENT2 VARCHAR, ZMATCHEDTEXT VARCHAR, ZSENDERJID VARCHAR, ZSUMMARY VARCHAR, ZTITLE VARCHAR);
CREATE INDEX ZWAMESSAGE_ZCHATSESSION_INDEX ON ZWAMESSAGE (ZCHATSESSION);
CREATE INDEX ZWAMESSAGEDATAITEM_ZMESSAGE_INDEX ON ZWAMESSAGEDATAITEM (ZMESSAGE);
CREATE INDEX ZWAMEDIAITEM_ZMESSAGE_INDEX ON ZWAMEDIAITEM (ZMESSAGE);
";

struct Msg {
    pk: i64,
    chat: i64,
    from_me: bool,
    text: Option<String>,
    unix: i64,
    media_url: Option<String>,
    preview: Option<String>,
}

fn insert(c: &Connection, rng: &mut TestRng, m: &Msg) -> rusqlite::Result<()> {
    let jid = if m.chat == 2 {
        "120363000000000001@g.us".to_string()
    } else {
        format!("1555123{:04}@s.whatsapp.net", m.chat)
    };
    let (from, to) = if m.from_me { (None, Some(jid)) } else { (Some(jid), None) };
    let media = if let Some(u) = &m.media_url {
        c.prepare_cached("INSERT INTO ZWAMEDIAITEM (Z_ENT, Z_OPT, ZFILESIZE, ZMESSAGE, ZMEDIALOCALPATH, ZMEDIAURL, ZTITLE) VALUES (9, 1, 1234, ?1, ?2, ?3, NULL)")?
            .execute(params![m.pk, format!("Media/{}/{}.jpg", uuid(rng), hex_string(rng, 8)), u])?;
        Some(c.last_insert_rowid())
    } else {
        None
    };
    c.prepare_cached(
        "INSERT INTO ZWAMESSAGE (Z_PK, Z_ENT, Z_OPT, ZISFROMME, ZMESSAGESTATUS, ZMESSAGETYPE, ZGROUPEVENTTYPE, ZCHATSESSION, ZGROUPMEMBER, ZMEDIAITEM, ZMESSAGEDATE, ZSENTDATE, ZFROMJID, ZTOJID, ZSTANZAID, ZTEXT) VALUES (?1, 10, 1, ?2, 8, ?3, 0, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        m.pk,
        i64::from(m.from_me),
        if m.media_url.is_some() { 1 } else { 0 },
        m.chat,
        (m.chat == 2 && !m.from_me).then_some(1),
        media,
        (m.unix - ferret_core::time::MAC_EPOCH_OFFSET) as f64,
        from,
        to,
        hex_string(rng, 20).to_uppercase(),
        m.text,
    ])?;
    if let Some(p) = &m.preview {
        c.prepare_cached("INSERT INTO ZWAMESSAGEDATAITEM (Z_ENT, Z_OPT, ZINDEX, ZMESSAGE, ZCONTENT1, ZMATCHEDTEXT, ZTITLE, ZSUMMARY) VALUES (11, 1, 0, ?1, ?2, ?2, 'Preview', 'A page')")?
            .execute(params![m.pk, p])?;
    }
    Ok(())
}

/// Generates `ChatStorage.sqlite` (+ `-wal`) with `count` benign messages and the planted cases.
pub fn generate(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios/whatsapp");
    let t0 = 1_704_067_200 + rng.random_range(0..20_000_000i64);
    const M: &str = "whatsapp-test";
    let evil: Vec<String> = (0..4).map(|_| format!("{}-{}.com", word(&mut rng, 7), word(&mut rng, 6))).collect();
    for e in &evil {
        truth.plant(IndicatorKind::Domain, e.clone(), M);
    }
    let mks: Vec<String> = (0..4).map(|_| format!("mk{}", hex_string(&mut rng, 12))).collect();
    for (e, m) in evil.iter().zip(&mks) {
        truth.expect("whatsapp", Level::Critical, Some(e), m.clone());
    }
    let base = count as i64 + 10;
    let planted = vec![
        Msg {
            pk: base,
            chat: 1,
            from_me: false,
            text: Some(format!("look https://{}/{}", evil[0], mks[0])),
            unix: t0 + 5,
            media_url: None,
            preview: None,
        },
        // link preview only (text has a benign-looking phrase, the preview URL is the indicator)
        Msg {
            pk: base + 1,
            chat: 2,
            from_me: false,
            text: Some("see this".into()),
            unix: t0 + 6,
            media_url: None,
            preview: Some(format!("https://www.{}/{}", evil[1], mks[1])),
        },
        // media URL
        Msg {
            pk: base + 2,
            chat: 2,
            from_me: false,
            text: None,
            unix: t0 + 7,
            media_url: Some(format!("https://{}/f/{}.pdf", evil[2], mks[2])),
            preview: None,
        },
        // outgoing plain message
        Msg {
            pk: base + 3,
            chat: 1,
            from_me: true,
            text: Some("ok".into()),
            unix: t0 + 8,
            media_url: None,
            preview: None,
        },
        // near miss
        Msg {
            pk: base + 4,
            chat: 1,
            from_me: false,
            text: Some(format!("https://not{}/x", evil[0])),
            unix: t0 + 9,
            media_url: None,
            preview: Some(format!("https://not{}/x", evil[0])),
        },
    ];
    let wal_msg = Msg {
        pk: base + 10,
        chat: 3,
        from_me: false,
        text: Some(format!("{}/{}", evil[3], mks[3])),
        unix: t0 + 1_000_000,
        media_url: None,
        preview: None,
    };
    let mut r = rng_for(seed, "ios/whatsapp/rows");
    let files = build(
        |c| {
            c.execute_batch(SCHEMA)?;
            c.execute("INSERT INTO ZWACHATSESSION VALUES (1, 4, 1, 0, 0, 0, 0, NULL, NULL, '15551230001@s.whatsapp.net', 'Alex')", [])?;
            c.execute("INSERT INTO ZWACHATSESSION VALUES (2, 4, 1, 0, 0, 0, 1, 1, NULL, '120363000000000001@g.us', 'Book club')", [])?;
            c.execute("INSERT INTO ZWACHATSESSION VALUES (3, 4, 1, 0, 0, 0, 0, NULL, NULL, '15551230003@s.whatsapp.net', 'Sam')", [])?;
            c.execute("INSERT INTO ZWAGROUPMEMBER VALUES (1, 6, 1, 1, 0, 2, 'Kim', '15551239999@s.whatsapp.net')", [])?;
            // Group sessions: "Book club" created 2026-10-01 09:00 UTC (Mac absolute 812538000)
            // by Alex; "Quarterly results", created by an unknown account that added the owner
            // (the shape of a Graphite delivery), with no message.
            c.execute("INSERT INTO ZWAGROUPINFO VALUES (1, 5, 1, 2, 812538000, '15551230001@s.whatsapp.net', NULL, '15551230001@s.whatsapp.net')", [])?;
            c.execute("INSERT INTO ZWAGROUPMEMBER VALUES (2, 6, 1, 1, 1, 2, 'Alex', '15551230001@s.whatsapp.net')", [])?;
            c.execute("INSERT INTO ZWACHATSESSION VALUES (4, 4, 1, 0, 0, 0, 1, 2, NULL, '120363000000000002@g.us', 'Quarterly results')", [])?;
            c.execute("INSERT INTO ZWAGROUPINFO VALUES (2, 5, 1, 4, 812600000, '15559870000@s.whatsapp.net', NULL, '15559870000@s.whatsapp.net')", [])?;
            c.execute("INSERT INTO ZWAGROUPMEMBER VALUES (3, 6, 1, 1, 1, 4, NULL, '15559870000@s.whatsapp.net')", [])?;
            c.execute("INSERT INTO ZWAGROUPMEMBER VALUES (4, 6, 1, 1, 0, 4, NULL, '15551230000@s.whatsapp.net')", [])?;
            for i in 0..count {
                let mut text = (0..r.random_range(1..8)).map(|_| word(&mut r, 5)).collect::<Vec<_>>().join(" ");
                let mut preview = None;
                if r.random_range(0..15) == 0 {
                    let u = format!("https://{}/{}", BENIGN_HOSTS[r.random_range(0..BENIGN_HOSTS.len())], word(&mut r, 6));
                    text.push(' ');
                    text.push_str(&u);
                    preview = Some(u);
                }
                let media_url = (r.random_range(0..25) == 0).then(|| format!("https://mmg.whatsapp.net/v/t62/{}.enc", hex_string(&mut r, 24)));
                let m = Msg { pk: i as i64 + 1, chat: r.random_range(1..4), from_me: r.random_bool(0.4), text: Some(text), unix: t0 + 100 + i as i64 * 11, media_url, preview };
                insert(c, &mut r, &m)?;
            }
            for m in &planted {
                insert(c, &mut r, m)?;
            }
            Ok(())
        },
        Some(&mut |c: &Connection| insert(c, &mut rng_for(seed, "ios/whatsapp/wal"), &wal_msg)),
    )
    .expect("ChatStorage.sqlite fixture builds");
    artifact_files(
        "AppDomainGroup-group.net.whatsapp.WhatsApp.shared",
        "ChatStorage.sqlite",
        "private/var/mobile/Containers/Shared/AppGroup/0C7E2F55-1111-4A4A-9B9B-6D6D6D6D6D6D/ChatStorage.sqlite",
        files,
        t0 + 2_000_000,
    )
}

/// Phone number (digits) of the stranger who adds the owner in [`group_delivery`].
pub const STRANGER: &str = "15559870000";
/// Phone number (digits) of the contact who adds the owner in [`group_delivery`].
pub const CONTACT: &str = "15551230001";
/// Group names of [`group_delivery`] that show the Graphite delivery pattern (added by a
/// stranger, a PDF, then left, or gone from the chat list).
pub const DELIVERY_GROUPS: [&str; 2] = ["Conference 2026", "Press review"];

/// A `ChatStorage.sqlite` for the WhatsApp group delivery pattern, with `ContactsV2.sqlite`
/// listing [`CONTACT`] when `with_contacts`. Groups (all times from `t0`, Mac absolute):
/// * "Conference 2026": the owner added by [`STRANGER`] (event 2), `agenda.pdf` an hour later,
///   the owner left (event 4) two hours later: the pattern;
/// * "Press review": created by [`STRANGER`] with the owner in it (event 12, author in JSON),
///   `review.PDF` (URL only), then the chat removed (`ZREMOVED`), last activity 10 hours
///   later: the pattern;
/// * "Family": the same as the first, added by [`CONTACT`];
/// * "Reading list": added by the stranger, a PDF, never left;
/// * "Quiet group": added by the stranger, left, no document;
/// * "Slow group": added by the stranger, a PDF after an hour, left five days later;
/// * "Old invite": added by the stranger, the PDF four days later, left an hour after it;
/// * a one-to-one chat with the stranger: a PDF, then the chat removed.
pub fn group_delivery(with_contacts: bool) -> Vec<ArtifactFile> {
    let t0: i64 = 1_790_000_000;
    let mac = |t: i64| (t - ferret_core::time::MAC_EPOCH_OFFSET) as f64;
    let stranger = format!("{STRANGER}@s.whatsapp.net");
    let contact = format!("{CONTACT}@s.whatsapp.net");
    let files = build(
        |c| {
            c.execute_batch(SCHEMA)?;
            let mut pk = 100i64;
            let mut media = 0i64;
            let mut msg = |c: &Connection, chat: i64, kind: i64, event: i64, from_me: bool, text: Option<&str>, t: i64, doc: Option<(&str, Option<&str>, Option<&str>)>| -> rusqlite::Result<()> {
                pk += 1;
                let item = match doc {
                    Some((title, local, url)) => {
                        media += 1;
                        c.execute("INSERT INTO ZWAMEDIAITEM (Z_PK, Z_ENT, Z_OPT, ZFILESIZE, ZMESSAGE, ZMEDIALOCALPATH, ZMEDIAURL, ZTITLE) VALUES (?1, 9, 1, 4321, ?2, ?3, ?4, ?5)", params![media, pk, local, url, title])?;
                        Some(media)
                    }
                    None => None,
                };
                c.execute(
                    "INSERT INTO ZWAMESSAGE (Z_PK, Z_ENT, Z_OPT, ZISFROMME, ZMESSAGESTATUS, ZMESSAGETYPE, ZGROUPEVENTTYPE, ZCHATSESSION, ZGROUPMEMBER, ZMEDIAITEM, ZMESSAGEDATE, ZSENTDATE, ZFROMJID, ZTEXT) VALUES (?1, 10, 1, ?2, 8, ?3, ?4, ?5, NULL, ?6, ?7, ?7, NULL, ?8)",
                    params![pk, i64::from(from_me), kind, event, chat, item, mac(t), text],
                )?;
                Ok(())
            };
            let sessions: [(i64, i64, i64, &str, &str); 8] = [
                (1, 1, 0, "120363000000000101@g.us", "Conference 2026"),
                (2, 1, 1, "120363000000000102@g.us", "Press review"),
                (3, 1, 0, "120363000000000103@g.us", "Family"),
                (4, 1, 0, "120363000000000104@g.us", "Reading list"),
                (5, 1, 0, "120363000000000105@g.us", "Quiet group"),
                (6, 1, 0, "120363000000000106@g.us", "Slow group"),
                (7, 1, 0, "120363000000000107@g.us", "Old invite"),
                (8, 0, 1, "15559870000@s.whatsapp.net", "+1 555 987 0000"),
            ];
            for (id, kind, removed, jid, name) in sessions {
                c.execute(
                    "INSERT INTO ZWACHATSESSION VALUES (?1, 4, 1, 0, 0, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![id, removed, kind, (kind == 1).then_some(id), mac(t0 + 36_000), jid, name],
                )?;
                if kind == 1 {
                    let creator = if id == 3 { &contact } else { &stranger };
                    c.execute("INSERT INTO ZWAGROUPINFO VALUES (?1, 5, 1, ?1, ?2, ?3, NULL, ?3)", params![id, mac(t0 - 600), creator])?;
                    c.execute("INSERT INTO ZWAGROUPMEMBER VALUES (?1, 6, 1, 1, 1, ?1, NULL, ?2)", params![id, creator])?;
                }
            }
            let pdf = Some(("agenda.pdf", Some("Media/120363000000000101@g.us/a/b/agenda.pdf"), None));
            // the pattern: added, PDF, left
            msg(c, 1, 6, 2, false, Some(&stranger), t0, None)?;
            msg(c, 1, 0, 2, false, Some("welcome"), t0 + 60, None)?;
            msg(c, 1, 8, 2, false, None, t0 + 3_600, pdf)?;
            msg(c, 1, 6, 4, true, None, t0 + 7_200, None)?;
            // created with the owner in it, a PDF by URL, the chat removed
            let created = format!("{{\"subject\":\"Press review\",\"author\":\"{stranger}\"}}");
            msg(c, 2, 6, 12, false, Some(&created), t0, None)?;
            msg(c, 2, 8, 2, false, None, t0 + 1_800, Some(("Weekly", None, Some("https://mmg.whatsapp.net/d/f/review.PDF"))))?;
            // added by a contact
            msg(c, 3, 6, 2, false, Some(&contact), t0, None)?;
            msg(c, 3, 8, 2, false, None, t0 + 3_600, pdf)?;
            msg(c, 3, 6, 4, true, None, t0 + 7_200, None)?;
            // a PDF, never left
            msg(c, 4, 6, 2, false, Some(&stranger), t0, None)?;
            msg(c, 4, 8, 2, false, None, t0 + 3_600, pdf)?;
            // left without a document (a JPEG document is not a PDF)
            msg(c, 5, 6, 2, false, Some(&stranger), t0, None)?;
            msg(c, 5, 8, 2, false, None, t0 + 3_600, Some(("photo.jpg", Some("Media/x/photo.jpg"), None)))?;
            msg(c, 5, 6, 4, true, None, t0 + 7_200, None)?;
            // left five days after the PDF
            msg(c, 6, 6, 2, false, Some(&stranger), t0, None)?;
            msg(c, 6, 8, 2, false, None, t0 + 3_600, pdf)?;
            msg(c, 6, 6, 4, true, None, t0 + 3_600 + 5 * 86_400, None)?;
            // the PDF four days after being added
            msg(c, 7, 6, 2, false, Some(&stranger), t0, None)?;
            msg(c, 7, 8, 2, false, None, t0 + 4 * 86_400, pdf)?;
            msg(c, 7, 6, 4, true, None, t0 + 4 * 86_400 + 3_600, None)?;
            // one-to-one: a PDF from the stranger, then the chat removed
            msg(c, 8, 8, 0, false, None, t0 + 3_600, pdf)?;
            Ok(())
        },
        None,
    )
    .expect("ChatStorage.sqlite fixture builds");
    let mut out = artifact_files(
        "AppDomainGroup-group.net.whatsapp.WhatsApp.shared",
        "ChatStorage.sqlite",
        "private/var/mobile/Containers/Shared/AppGroup/0C7E2F55-1111-4A4A-9B9B-6D6D6D6D6D6D/ChatStorage.sqlite",
        files,
        t0 + 100_000,
    );
    if with_contacts {
        let cfiles = build(
            |c| {
                c.execute_batch(super::whatsapp_contacts::SCHEMA)?;
                c.execute(
                    "INSERT INTO ZWAADDRESSBOOKCONTACT (Z_ENT, Z_OPT, ZWHATSAPPID, ZPHONENUMBER, ZFULLNAME) VALUES (1, 1, ?1, ?2, 'Mum')",
                    params![contact, format!("+{CONTACT}")],
                )?;
                // a contact known by a local number only: matched by its digits
                c.execute(
                    "INSERT INTO ZWAADDRESSBOOKCONTACT (Z_ENT, Z_OPT, ZWHATSAPPID, ZPHONENUMBER, ZFULLNAME) VALUES (1, 1, NULL, '(555) 000-1111', 'Dentist')",
                    [],
                )?;
                Ok(())
            },
            None,
        )
        .expect("ContactsV2.sqlite fixture builds");
        out.extend(artifact_files(
            super::whatsapp_contacts::DOMAIN,
            super::whatsapp_contacts::REL,
            super::whatsapp_contacts::FS,
            cfiles,
            t0 + 100_000,
        ));
    }
    out
}
