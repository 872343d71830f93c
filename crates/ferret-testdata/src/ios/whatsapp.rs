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
