//! `sms.db` generator (iOS Messages: SMS, MMS and iMessage), for the `sms` and `sms_attachments`
//! modules.
//!
//! Tables follow the iOS 16/17 schema (subset of columns, same names, types and defaults):
//! `handle`, `message`, `chat`, `chat_handle_join`, `chat_message_join`, `attachment`,
//! `message_attachment_join`. `message.date`/`date_read` are Mac absolute **nanoseconds** (iOS 11+;
//! a few rows use seconds as older iOS did), `attachment.created_date` is Mac absolute seconds.
//! Part of the rows (including planted cases) are only in the `-wal` sidecar.

use ferret_core::Level;
use rand::Rng;
use rusqlite::{Connection, params};

use crate::ArtifactFile;
use crate::rng::{TestRng, hex_string, rng_for, uuid, word};
use crate::sqlite::{DbFiles, build};
use crate::truth::{IndicatorKind, Truth};

/// Backup domain of `sms.db`.
pub const DOMAIN: &str = "HomeDomain";
/// Relative path of `sms.db` in its domain.
pub const RELATIVE_PATH: &str = "Library/SMS/sms.db";
/// Path of `sms.db` in a filesystem dump.
pub const FS_PATH: &str = "private/var/mobile/Library/SMS/sms.db";

/// Hosts used in benign rows (never planted).
pub(crate) const BENIGN_HOSTS: &[&str] =
    &["en.wikipedia.org", "www.apple.com", "support.apple.com", "example.org", "www.example.com", "example.net"];

pub(crate) const SCHEMA: &str = "
CREATE TABLE _SqliteDatabaseProperties (key TEXT, value TEXT, UNIQUE(key));
CREATE TABLE handle (ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, id TEXT NOT NULL, country TEXT, service TEXT NOT NULL, uncanonicalized_id TEXT, person_centric_id TEXT, UNIQUE (id, service));
CREATE TABLE message (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, text TEXT, replace INTEGER DEFAULT 0, service_center TEXT, handle_id INTEGER DEFAULT 0, subject TEXT, country TEXT, attributedBody BLOB, version INTEGER DEFAULT 0, type INTEGER DEFAULT 0, service TEXT, account TEXT, account_guid TEXT, error INTEGER DEFAULT 0, date INTEGER, date_read INTEGER, date_delivered INTEGER, is_delivered INTEGER DEFAULT 0, is_finished INTEGER DEFAULT 0, is_emote INTEGER DEFAULT 0, is_from_me INTEGER DEFAULT 0, is_empty INTEGER DEFAULT 0, is_delayed INTEGER DEFAULT 0, is_auto_reply INTEGER DEFAULT 0, is_prepared INTEGER DEFAULT 0, is_read INTEGER DEFAULT 0, is_system_message INTEGER DEFAULT 0, is_sent INTEGER DEFAULT 0, has_dd_results INTEGER DEFAULT 0, is_service_message INTEGER DEFAULT 0, is_forward INTEGER DEFAULT 0, was_downgraded INTEGER DEFAULT 0, is_archive INTEGER DEFAULT 0, cache_has_attachments INTEGER DEFAULT 0, cache_roomnames TEXT, was_data_detected INTEGER DEFAULT 0, was_deduplicated INTEGER DEFAULT 0, is_audio_message INTEGER DEFAULT 0, is_played INTEGER DEFAULT 0, date_played INTEGER, item_type INTEGER DEFAULT 0, other_handle INTEGER DEFAULT 0, group_title TEXT, group_action_type INTEGER DEFAULT 0, share_status INTEGER DEFAULT 0, share_direction INTEGER DEFAULT 0, is_expirable INTEGER DEFAULT 0, expire_state INTEGER DEFAULT 0, message_action_type INTEGER DEFAULT 0, message_source INTEGER DEFAULT 0, associated_message_guid TEXT DEFAULT NULL, associated_message_type INTEGER DEFAULT 0, balloon_bundle_id TEXT DEFAULT NULL, payload_data BLOB, expressive_send_style_id TEXT DEFAULT NULL, associated_message_range_location INTEGER DEFAULT 0, associated_message_range_length INTEGER DEFAULT 0, time_expressive_send_played INTEGER DEFAULT 0, message_summary_info BLOB DEFAULT NULL, ck_sync_state INTEGER DEFAULT 0, ck_record_id TEXT DEFAULT NULL, ck_record_change_tag TEXT DEFAULT NULL, destination_caller_id TEXT DEFAULT NULL, is_corrupt INTEGER DEFAULT 0, reply_to_guid TEXT DEFAULT NULL, sort_id INTEGER, is_spam INTEGER DEFAULT 0, has_unseen_mention INTEGER DEFAULT 0, thread_originator_guid TEXT DEFAULT NULL, thread_originator_part TEXT DEFAULT NULL, syndication_ranges TEXT DEFAULT NULL, synced_syndication_ranges TEXT DEFAULT NULL, was_delivered_quietly INTEGER DEFAULT 0, did_notify_recipient INTEGER DEFAULT 0, date_retracted INTEGER DEFAULT 0, date_edited INTEGER DEFAULT 0, was_detonated INTEGER DEFAULT 0, part_count INTEGER, is_stewie INTEGER DEFAULT 0, is_kt_verified INTEGER DEFAULT 0, is_sos INTEGER DEFAULT 0, is_critical INTEGER DEFAULT 0);
CREATE TABLE chat (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, style INTEGER, state INTEGER, account_id TEXT, properties BLOB, chat_identifier TEXT, service_name TEXT, room_name TEXT, account_login TEXT, is_archived INTEGER DEFAULT 0, last_addressed_handle TEXT, display_name TEXT, group_id TEXT, is_filtered INTEGER DEFAULT 0, successful_query INTEGER, engram_id TEXT, server_change_token TEXT, ck_sync_state INTEGER DEFAULT 0, original_group_id TEXT, last_read_message_timestamp INTEGER DEFAULT 0, cloudkit_record_id TEXT, last_addressed_sim_id TEXT, is_blackholed INTEGER DEFAULT 0, syndication_date INTEGER DEFAULT 0, syndication_type INTEGER DEFAULT 0, is_recovered INTEGER DEFAULT 0, is_deleting_incoming_messages INTEGER DEFAULT 0);
CREATE TABLE chat_handle_join (chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE, handle_id INTEGER REFERENCES handle (ROWID) ON DELETE CASCADE, UNIQUE(chat_id, handle_id));
CREATE TABLE chat_message_join (chat_id INTEGER REFERENCES chat (ROWID) ON DELETE CASCADE, message_id INTEGER REFERENCES message (ROWID) ON DELETE CASCADE, message_date INTEGER DEFAULT 0, PRIMARY KEY (chat_id, message_id));
CREATE TABLE attachment (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, created_date INTEGER DEFAULT 0, start_date INTEGER DEFAULT 0, filename TEXT, uti TEXT, mime_type TEXT, transfer_state INTEGER DEFAULT 0, is_outgoing INTEGER DEFAULT 0, user_info BLOB, transfer_name TEXT, total_bytes INTEGER DEFAULT 0, is_sticker INTEGER DEFAULT 0, sticker_user_info BLOB, attribution_info BLOB, hide_attachment INTEGER DEFAULT 0, ck_sync_state INTEGER DEFAULT 0, ck_server_change_token_blob BLOB, ck_record_id TEXT, original_guid TEXT UNIQUE NOT NULL, is_commsafety_sensitive INTEGER DEFAULT 0);
CREATE TABLE message_attachment_join (message_id INTEGER REFERENCES message (ROWID) ON DELETE CASCADE, attachment_id INTEGER REFERENCES attachment (ROWID) ON DELETE CASCADE, UNIQUE(message_id, attachment_id));
CREATE INDEX message_idx_handle ON message(handle_id, date);
CREATE INDEX chat_message_join_idx_message_id_only ON chat_message_join(message_id);
CREATE INDEX message_attachment_join_idx_message_id ON message_attachment_join(message_id);
CREATE INDEX message_attachment_join_idx_attachment_id ON message_attachment_join(attachment_id);
";

const MSG_SQL: &str = "INSERT INTO message (guid, text, handle_id, attributedBody, service, account, date, date_read, date_delivered, is_from_me, is_read, is_sent, is_delivered, is_finished, cache_has_attachments) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?10, 1, 1, ?12)";
const ATT_SQL: &str = "INSERT INTO attachment (guid, original_guid, created_date, start_date, filename, uti, mime_type, transfer_state, is_outgoing, transfer_name, total_bytes) VALUES (?1, ?1, ?2, ?2, ?3, ?4, ?5, 5, ?6, ?7, ?8)";

/// One message to insert.
struct Msg {
    text: Option<String>,
    body: Option<Vec<u8>>,
    handle: i64,
    service: &'static str,
    from_me: bool,
    unix: i64,
    seconds_epoch: bool,
    attachment: Option<Att>,
}

struct Att {
    filename: String,
    mime: &'static str,
    uti: &'static str,
    transfer_name: String,
    bytes: i64,
}

fn mac_ns(unix: i64) -> i64 {
    (unix - ferret_core::time::MAC_EPOCH_OFFSET) * 1_000_000_000
}

fn insert(conn: &Connection, rng: &mut TestRng, m: &Msg) -> rusqlite::Result<()> {
    let date = if m.seconds_epoch { m.unix - ferret_core::time::MAC_EPOCH_OFFSET } else { mac_ns(m.unix) };
    let read = if m.from_me { 0 } else { date + if m.seconds_epoch { 60 } else { 60_000_000_000 } };
    let guid = uuid(rng);
    let mut stmt = conn.prepare_cached(MSG_SQL)?;
    stmt.execute(params![
        guid,
        m.text,
        m.handle,
        m.body,
        m.service,
        if m.service == "iMessage" { "E:owner@example.org" } else { "p:+15550000000" },
        date,
        read,
        date,
        i64::from(m.from_me),
        i64::from(!m.from_me),
        i64::from(m.attachment.is_some()),
    ])?;
    let msg_id = conn.last_insert_rowid();
    conn.prepare_cached("INSERT INTO chat_message_join (chat_id, message_id, message_date) VALUES (1, ?1, ?2)")?
        .execute(params![msg_id, date])?;
    if let Some(a) = &m.attachment {
        let aguid = format!("at_0_{}", uuid(rng));
        conn.prepare_cached(ATT_SQL)?.execute(params![
            aguid,
            m.unix - ferret_core::time::MAC_EPOCH_OFFSET,
            a.filename,
            a.uti,
            a.mime,
            i64::from(m.from_me),
            a.transfer_name,
            a.bytes,
        ])?;
        let att_id = conn.last_insert_rowid();
        conn.prepare_cached("INSERT INTO message_attachment_join (message_id, attachment_id) VALUES (?1, ?2)")?
            .execute(params![msg_id, att_id])?;
    }
    Ok(())
}

fn benign_text(rng: &mut TestRng) -> String {
    let mut s = String::new();
    for i in 0..rng.random_range(2..12) {
        if i > 0 {
            s.push(' ');
        }
        let n = rng.random_range(2..9);
        s.push_str(&word(rng, n));
    }
    if rng.random_range(0..10) == 0 {
        let host = BENIGN_HOSTS[rng.random_range(0..BENIGN_HOSTS.len())];
        s.push_str(&format!(" https://{host}/{}", word(rng, 6)));
    }
    s
}

fn benign_attachment(rng: &mut TestRng) -> Att {
    let d = hex_string(rng, 2);
    let name = format!("IMG_{:04}.HEIC", rng.random_range(0..10_000));
    Att {
        filename: format!("~/Library/SMS/Attachments/{d}/{:02}/{}/{name}", rng.random_range(0..16), uuid(rng)),
        mime: "image/heic",
        uti: "public.heic",
        transfer_name: name,
        bytes: rng.random_range(10_000..4_000_000),
    }
}

/// Generates `sms.db` (+ `-wal`) with `count` benign messages and the planted cases, recording
/// each planted indicator and expected alert in `truth` (modules `sms` and `sms_attachments`).
pub fn generate(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios/sms");
    let t0 = 1_704_067_200 + rng.random_range(0..20_000_000i64);
    const M: &str = "sms-test";

    // Planted values.
    let evil_a = format!("{}-{}.com", word(&mut rng, 7), word(&mut rng, 6));
    let evil_b = format!("{}-{}.net", word(&mut rng, 7), word(&mut rng, 6));
    let evil_c = format!("{}-{}.org", word(&mut rng, 7), word(&mut rng, 6));
    let evil_d = format!("{}-{}.info", word(&mut rng, 7), word(&mut rng, 6));
    let evil_wal = format!("{}-{}.com", word(&mut rng, 7), word(&mut rng, 6));
    let evil_ip = format!("198.51.100.{}", rng.random_range(2..250));
    let evil_mail = format!("{}@{}-mail.com", word(&mut rng, 6), word(&mut rng, 6));
    let evil_file = format!("{}.gif", word(&mut rng, 10));
    for (k, v) in [
        (IndicatorKind::Domain, &evil_a),
        (IndicatorKind::Domain, &evil_b),
        (IndicatorKind::Domain, &evil_c),
        (IndicatorKind::Domain, &evil_d),
        (IndicatorKind::Domain, &evil_wal),
        (IndicatorKind::Ipv4, &evil_ip),
        (IndicatorKind::Email, &evil_mail),
        (IndicatorKind::FileName, &evil_file),
    ] {
        truth.plant(k, v.clone(), M);
    }

    let mut planted: Vec<Msg> = Vec::new();
    let marker = |rng: &mut TestRng| format!("mk{}", hex_string(rng, 12));
    let at = |i: i64| t0 + 1_000 + i * 37;

    // 1. scheme URL in text
    let mk = marker(&mut rng);
    planted.push(Msg {
        text: Some(format!("Your parcel: https://{evil_a}/{mk} track it")),
        body: None,
        handle: 2,
        service: "SMS",
        from_me: false,
        unix: at(1),
        seconds_epoch: false,
        attachment: None,
    });
    truth.expect("sms", Level::Critical, Some(&evil_a), mk);
    // 2. scheme-less link
    let mk = marker(&mut rng);
    planted.push(Msg {
        text: Some(format!("check {evil_b}/{mk}")),
        body: None,
        handle: 3,
        service: "iMessage",
        from_me: false,
        unix: at(2),
        seconds_epoch: false,
        attachment: None,
    });
    truth.expect("sms", Level::Critical, Some(&evil_b), mk);
    // 3. only in attributedBody, subdomain of the indicator
    let mk = marker(&mut rng);
    planted.push(Msg {
        text: None,
        body: Some(ferret_formats::typedstream::encode_attributed_string(&format!(
            "Login at https://secure.login.{evil_c}/{mk}"
        ))),
        handle: 3,
        service: "iMessage",
        from_me: false,
        unix: at(3),
        seconds_epoch: false,
        attachment: None,
    });
    truth.expect("sms", Level::Critical, Some(&evil_c), mk);
    // 4. IP indicator, old seconds-epoch row
    let mk = marker(&mut rng);
    planted.push(Msg {
        text: Some(format!("http://{evil_ip}/{mk}")),
        body: None,
        handle: 2,
        service: "SMS",
        from_me: false,
        unix: at(4),
        seconds_epoch: true,
        attachment: None,
    });
    truth.expect("sms", Level::Critical, Some(&evil_ip), mk);
    // 5. near miss: must not match
    planted.push(Msg {
        text: Some(format!("safe https://not{evil_a}/x and https://{evil_a}.example.org/y")),
        body: None,
        handle: 2,
        service: "SMS",
        from_me: true,
        unix: at(5),
        seconds_epoch: false,
        attachment: None,
    });
    // 6. indicator handle (handle 4 = evil e-mail); its message carries a unique marker
    let mk = marker(&mut rng);
    planted.push(Msg {
        text: Some(format!("hello {mk}")),
        body: None,
        handle: 4,
        service: "iMessage",
        from_me: false,
        unix: at(6),
        seconds_epoch: false,
        attachment: None,
    });
    truth.expect("sms", Level::Critical, Some(&evil_mail), mk);
    // 7. Apple threat notification text
    let mk = marker(&mut rng);
    planted.push(Msg {
        text: Some(format!("ALERT: Apple detected a targeted mercenary spyware attack against your iPhone. ref {mk}")),
        body: None,
        handle: 2,
        service: "iMessage",
        from_me: false,
        unix: at(7),
        seconds_epoch: false,
        attachment: None,
    });
    truth.expect("sms", Level::High, None, mk);
    // 8. message from the threat-notification sender (handle 5)
    let mk = marker(&mut rng);
    planted.push(Msg {
        text: Some(format!("Please read the notice in your account {mk}")),
        body: None,
        handle: 5,
        service: "iMessage",
        from_me: false,
        unix: at(8),
        seconds_epoch: false,
        attachment: None,
    });
    truth.expect("sms", Level::High, None, mk);
    // 9. no handle row at all (handle 999 missing), link in text
    let mk = marker(&mut rng);
    planted.push(Msg {
        text: Some(format!("https://{evil_d}/{mk}")),
        body: None,
        handle: 999,
        service: "SMS",
        from_me: false,
        unix: at(9),
        seconds_epoch: false,
        attachment: None,
    });
    truth.expect("sms", Level::Critical, Some(&evil_d), mk);
    // 10. garbage attributedBody, NULL text (no alert), invalid UTF-8 text (no alert)
    planted.push(Msg {
        text: None,
        body: Some(vec![4, 11, 0xff, 0x00, 0x84]),
        handle: 2,
        service: "iMessage",
        from_me: false,
        unix: at(10),
        seconds_epoch: false,
        attachment: None,
    });
    // 11. suspicious attachment under /var/tmp, name ending -1, received
    let mk = hex_string(&mut rng, 16);
    planted.push(Msg {
        text: Some("\u{FFFC}".into()),
        body: None,
        handle: 3,
        service: "iMessage",
        from_me: false,
        unix: at(11),
        seconds_epoch: false,
        attachment: Some(Att {
            filename: format!("/var/tmp/com.apple.messages/{mk}-1"),
            mime: "image/gif",
            uti: "com.compuserve.gif",
            transfer_name: format!("{mk}-1"),
            bytes: 748,
        }),
    });
    truth.expect("sms_attachments", Level::Medium, None, mk);
    // 12. received, normal folder, extension-less "-1" name
    let mk = hex_string(&mut rng, 16);
    planted.push(Msg {
        text: Some("\u{FFFC}".into()),
        body: None,
        handle: 3,
        service: "iMessage",
        from_me: false,
        unix: at(12),
        seconds_epoch: false,
        attachment: Some(Att {
            filename: format!("~/Library/SMS/Attachments/0a/10/{}/{mk}-1", uuid(&mut rng)),
            mime: "application/octet-stream",
            uti: "public.data",
            transfer_name: format!("{mk}-1"),
            bytes: 2048,
        }),
    });
    truth.expect("sms_attachments", Level::Medium, None, mk);
    // 13. near miss: SENT attachment under /var/tmp (no alert)
    planted.push(Msg {
        text: Some("\u{FFFC}".into()),
        body: None,
        handle: 2,
        service: "iMessage",
        from_me: true,
        unix: at(13),
        seconds_epoch: false,
        attachment: Some(Att {
            filename: format!("/var/tmp/{}-1", hex_string(&mut rng, 16)),
            mime: "image/png",
            uti: "public.png",
            transfer_name: "a-1".into(),
            bytes: 10,
        }),
    });
    // 14. file-name indicator
    planted.push(Msg {
        text: Some("\u{FFFC}".into()),
        body: None,
        handle: 2,
        service: "iMessage",
        from_me: false,
        unix: at(14),
        seconds_epoch: false,
        attachment: Some(Att {
            filename: format!("~/Library/SMS/Attachments/1b/11/{}/{evil_file}", uuid(&mut rng)),
            mime: "image/gif",
            uti: "com.compuserve.gif",
            transfer_name: evil_file.clone(),
            bytes: 4242,
        }),
    });
    truth.expect("sms_attachments", Level::High, Some(&evil_file), evil_file.clone());

    // WAL-only cases.
    let mut wal_msgs: Vec<Msg> = Vec::new();
    let mk = marker(&mut rng);
    wal_msgs.push(Msg {
        text: Some(format!("late https://x.{evil_wal}/{mk}")),
        body: None,
        handle: 2,
        service: "SMS",
        from_me: false,
        unix: at(20),
        seconds_epoch: false,
        attachment: None,
    });
    truth.expect("sms", Level::Critical, Some(&evil_wal), mk);

    let benign_wal = (count / 10).min(1000);
    let benign_main = count - benign_wal;
    let mut rng_main = rng_for(seed, "ios/sms/main");
    let mut rng_wal = rng_for(seed, "ios/sms/wal");
    let files: DbFiles = build(
        |c| {
            c.execute_batch(SCHEMA)?;
            c.execute_batch("INSERT INTO _SqliteDatabaseProperties VALUES ('_ClientVersion','17100');")?;
            let mut h = c.prepare("INSERT INTO handle (ROWID, id, country, service, uncanonicalized_id, person_centric_id) VALUES (?1, ?2, 'us', ?3, ?4, NULL)")?;
            h.execute(params![1, "+15551230001", "SMS", "5551230001"])?;
            h.execute(params![2, "+15551230002", "SMS", "5551230002"])?;
            h.execute(params![3, "friend@example.org", "iMessage", None::<String>])?;
            h.execute(params![4, evil_mail, "iMessage", None::<String>])?;
            h.execute(params![5, "threat-notifications@apple.com", "iMessage", None::<String>])?;
            c.execute("INSERT INTO chat (ROWID, guid, style, state, chat_identifier, service_name) VALUES (1, 'iMessage;-;+15551230001', 45, 3, '+15551230001', 'iMessage')", [])?;
            for i in 0..benign_main {
                let r = &mut rng_main;
                let from_me = r.random_range(0..3) == 0;
                let with_att = r.random_range(0..20) == 0;
                let m = Msg {
                    text: Some(benign_text(r)),
                    body: None,
                    handle: r.random_range(1..4),
                    service: if r.random_bool(0.5) { "iMessage" } else { "SMS" },
                    from_me,
                    unix: t0 + 10_000 + i as i64 * 13,
                    seconds_epoch: false,
                    attachment: if with_att { Some(benign_attachment(r)) } else { None },
                };
                // iOS 16+: text also archived in attributedBody on a share of rows
                let m = if r.random_range(0..4) == 0 {
                    let body = m.text.as_deref().map(ferret_formats::typedstream::encode_attributed_string);
                    Msg { body, text: if r.random_bool(0.5) { None } else { m.text }, ..m }
                } else {
                    m
                };
                insert(c, r, &m)?;
            }
            for m in &planted {
                insert(c, &mut rng_main, m)?;
            }
            // invalid UTF-8 in a TEXT column, written as a blob
            c.execute(
                "INSERT INTO message (guid, text, handle_id, service, date, is_from_me) VALUES ('bad-utf8', CAST(X'48656cff6c6f' AS TEXT), 1, 'SMS', ?1, 0)",
                [mac_ns(t0 + 5)],
            )?;
            // all-NULL row
            c.execute("INSERT INTO message (guid, text, handle_id, service, date, date_read, is_from_me) VALUES ('nulls', NULL, NULL, NULL, NULL, NULL, NULL)", [])?;
            Ok(())
        },
        Some(&mut |c: &Connection| {
            for i in 0..benign_wal {
                let r = &mut rng_wal;
                let m = Msg { text: Some(benign_text(r)), body: None, handle: 1, service: "SMS", from_me: false, unix: t0 + 20_000_000 + i as i64, seconds_epoch: false, attachment: None };
                insert(c, r, &m)?;
            }
            for m in &wal_msgs {
                insert(c, &mut rng_wal, m)?;
            }
            Ok(())
        }),
    )
    .expect("sms.db fixture builds");
    artifact_files(DOMAIN, RELATIVE_PATH, FS_PATH, files, t0 + 30_000_000)
}

/// Turns built database files into artifacts (main file plus `-wal` sidecar if any).
pub(crate) fn artifact_files(domain: &str, rel: &str, fs: &str, files: DbFiles, mtime: i64) -> Vec<ArtifactFile> {
    let mut out = vec![ArtifactFile {
        domain: domain.into(),
        relative_path: rel.into(),
        fs_path: fs.into(),
        bytes: files.db,
        mtime,
    }];
    if let Some(wal) = files.wal {
        out.push(ArtifactFile {
            domain: domain.into(),
            relative_path: format!("{rel}-wal"),
            fs_path: format!("{fs}-wal"),
            bytes: wal,
            mtime,
        });
    }
    out
}
