//! `whatsapp`: WhatsApp messages, their media URLs and link previews.
//!
//! # Artifact
//! `ChatStorage.sqlite`: backup `AppDomainGroup-group.net.whatsapp.WhatsApp.shared` /
//! `ChatStorage.sqlite`; filesystem
//! `private/var/mobile/Containers/Shared/AppGroup/*/ChatStorage.sqlite`.
//!
//! # Schema facts (Core Data store)
//! * `ZWAMESSAGE(Z_PK, ZTEXT, ZMESSAGEDATE (Mac absolute s), ZFROMJID, ZTOJID, ZISFROMME,
//!   ZMESSAGETYPE, ZCHATSESSION → ZWACHATSESSION, ZGROUPMEMBER → ZWAGROUPMEMBER, ZMEDIAITEM →
//!   ZWAMEDIAITEM)`. JIDs are `<digits>@s.whatsapp.net` (people), `<id>@g.us` (groups),
//!   `<id>@lid` (hidden numbers). In a group, `ZFROMJID` is the group and the sender is
//!   `ZWAGROUPMEMBER.ZMEMBERJID`.
//! * `ZWAMEDIAITEM(ZMEDIAURL, ZMEDIALOCALPATH, ZTITLE, ...)`: media; URLs on WhatsApp's own CDN
//!   (`*.whatsapp.net`) are encrypted blobs and are not checked.
//! * `ZWAMESSAGEDATAITEM(ZMESSAGE, ZMATCHEDTEXT, ZCONTENT1, ZCONTENT2, ZTITLE, ZSUMMARY)`: link
//!   previews (several per message possible; folded into one record).
//! * `ZWACHATSESSION(ZCONTACTJID, ZPARTNERNAME, ZSESSIONTYPE (1 = group))`.
//!
//! Missing tables or columns read as null and are named in one warning.
//!
//! # Checks (level)
//! * every distinct link from the text, the media URL and the link previews → `check_url` —
//!   CRITICAL;
//! * the sender's phone number (from a `@s.whatsapp.net` JID) → `check_phone` — CRITICAL.
//!
//! Not implemented: the Paragon-style "added to a group by an unknown account, then a PDF from
//! it" heuristic — group-event type codes (`ZGROUPEVENTTYPE`) and document mime fields are not
//! documented precisely enough to define it without guessing.
//!
//! Timeline: `whatsapp_received` / `whatsapp_sent`.

use ferret_core::evidence::BackupPath;
use ferret_core::time::from_mac_absolute;
use ferret_core::toolkit::{Columns, cell};
use ferret_core::{
    ArtifactModule, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, SqliteDb, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::safari_history::host_of;

/// Where `ChatStorage.sqlite` lives.
pub const LOCATOR: Locator = Locator {
    backup: &[BackupPath { domain: "AppDomainGroup-group.net.whatsapp.WhatsApp.shared", path: "ChatStorage.sqlite" }],
    paths: &["private/var/mobile/Containers/Shared/AppGroup/*/ChatStorage.sqlite"],
};

/// One link preview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkPreview {
    /// Text matched as a link in the message.
    pub matched_text: Option<String>,
    /// Usually the canonical URL.
    pub content1: Option<String>,
    /// Secondary content.
    pub content2: Option<String>,
    /// Page title.
    pub title: Option<String>,
    /// Page summary.
    pub summary: Option<String>,
}

/// One message (`whatsapp.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhatsappMessage {
    /// `ZWAMESSAGE.Z_PK`.
    pub id: i64,
    /// Message time (UTC).
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub isodate: Option<Timestamp>,
    /// `sent` or `received`.
    pub direction: String,
    /// `ZFROMJID`.
    pub from_jid: Option<String>,
    /// `ZTOJID`.
    pub to_jid: Option<String>,
    /// Group member who sent it (group chats).
    pub sender_jid: Option<String>,
    /// `ZMESSAGETYPE`.
    pub message_type: Option<i64>,
    /// Chat partner or group name.
    pub chat_name: Option<String>,
    /// Chat JID.
    pub chat_jid: Option<String>,
    /// Message text.
    pub text: Option<String>,
    /// Media URL.
    pub media_url: Option<String>,
    /// Media path inside the app group.
    pub media_local_path: Option<String>,
    /// Media title (documents).
    pub media_title: Option<String>,
    /// Link previews.
    #[serde(default)]
    pub link_previews: Vec<LinkPreview>,
    /// Distinct links found in text, media URL and previews (WhatsApp CDN media excluded).
    #[serde(default)]
    pub links: Vec<String>,
    /// The same row's columns under the names MVT writes (`ZTEXT`, `ZFROMJID`, ...), next to
    /// ferret's, for scripts written against MVT's `whatsapp.json`.
    #[serde(flatten, default)]
    pub mvt: WhatsappRawColumns,
}

/// `ZWAMESSAGE` / `ZWAMEDIAITEM` columns of one message as stored, under their own names (as
/// MVT writes them).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WhatsappRawColumns {
    /// `ZWAMESSAGE.Z_PK`.
    #[serde(rename = "Z_PK", default)]
    pub z_pk: Option<i64>,
    /// `ZWAMESSAGE.ZTEXT`.
    #[serde(rename = "ZTEXT", default)]
    pub ztext: Option<String>,
    /// `ZWAMESSAGE.ZMESSAGEDATE` (Mac absolute seconds, as stored).
    #[serde(rename = "ZMESSAGEDATE", default)]
    pub zmessagedate: Option<f64>,
    /// `ZWAMESSAGE.ZFROMJID`.
    #[serde(rename = "ZFROMJID", default)]
    pub zfromjid: Option<String>,
    /// `ZWAMESSAGE.ZTOJID`.
    #[serde(rename = "ZTOJID", default)]
    pub ztojid: Option<String>,
    /// `ZWAMESSAGE.ZISFROMME`.
    #[serde(rename = "ZISFROMME", default)]
    pub zisfromme: Option<i64>,
    /// `ZWAMESSAGE.ZMESSAGETYPE`.
    #[serde(rename = "ZMESSAGETYPE", default)]
    pub zmessagetype: Option<i64>,
    /// `ZWAMEDIAITEM.ZMEDIAURL`.
    #[serde(rename = "ZMEDIAURL", default)]
    pub zmediaurl: Option<String>,
}

/// The `whatsapp` module.
#[derive(Debug, Default, Clone, Copy)]
pub struct Whatsapp;

fn is_whatsapp_cdn(url: &str) -> bool {
    host_of(url).is_some_and(|h| h == "whatsapp.net" || h.ends_with(".whatsapp.net"))
}

fn add_links(links: &mut Vec<String>, text: Option<&str>) {
    let Some(t) = text else { return };
    for u in ferret_core::urls::find_urls(t) {
        if !is_whatsapp_cdn(&u) && !links.contains(&u) {
            links.push(u);
        }
    }
}

fn finish(mut rec: WhatsappMessage, out: &mut Out<'_, '_, Whatsapp>) -> Result<(), ModuleError> {
    let mut links = Vec::new();
    add_links(&mut links, rec.text.as_deref());
    add_links(&mut links, rec.media_url.as_deref());
    for p in &rec.link_previews {
        for f in [&p.matched_text, &p.content1, &p.content2] {
            add_links(&mut links, f.as_deref());
        }
    }
    rec.links = links;
    out.record(rec)
}

fn read_db(db: &SqliteDb, path: &str, out: &mut Out<'_, '_, Whatsapp>) -> Result<(), ModuleError> {
    if !db.has_table("ZWAMESSAGE") {
        out.warn(format!("{path}: no ZWAMESSAGE table"));
        return Ok(());
    }
    let mut schema = Columns::default();
    let m = schema.select_list(
        db,
        "ZWAMESSAGE",
        "m",
        &["ZTEXT", "ZMESSAGEDATE", "ZFROMJID", "ZTOJID", "ZISFROMME", "ZMESSAGETYPE"],
    );
    let mcols = db.columns("ZWAMESSAGE");
    let has = |c: &str| mcols.iter().any(|x| x.eq_ignore_ascii_case(c));
    let mut joins = String::new();
    let mut part =
        |table: &str, alias: &str, cols: &[&str], on: &str, link_col: &str, schema: &mut Columns| -> String {
            if db.has_table(table) && (link_col.is_empty() || has(link_col)) {
                joins.push_str(&format!(" LEFT JOIN {table} {alias} ON {on}"));
                schema.select_list(db, table, alias, cols)
            } else {
                schema.missing.push(table.to_string());
                vec!["NULL"; cols.len()].join(", ")
            }
        };
    let s = part(
        "ZWACHATSESSION",
        "s",
        &["ZPARTNERNAME", "ZCONTACTJID"],
        "s.Z_PK = m.ZCHATSESSION",
        "ZCHATSESSION",
        &mut schema,
    );
    let g = part("ZWAGROUPMEMBER", "g", &["ZMEMBERJID"], "g.Z_PK = m.ZGROUPMEMBER", "ZGROUPMEMBER", &mut schema);
    let mi = part(
        "ZWAMEDIAITEM",
        "mi",
        &["ZMEDIAURL", "ZMEDIALOCALPATH", "ZTITLE"],
        "mi.Z_PK = m.ZMEDIAITEM",
        "ZMEDIAITEM",
        &mut schema,
    );
    let has_d = db.columns("ZWAMESSAGEDATAITEM").iter().any(|c| c.eq_ignore_ascii_case("ZMESSAGE"));
    let d = if has_d {
        part(
            "ZWAMESSAGEDATAITEM",
            "d",
            &["ZMATCHEDTEXT", "ZCONTENT1", "ZCONTENT2", "ZTITLE", "ZSUMMARY", "Z_PK"],
            "d.ZMESSAGE = m.Z_PK",
            "",
            &mut schema,
        )
    } else {
        schema.missing.push("ZWAMESSAGEDATAITEM".into());
        ["NULL"; 6].join(", ")
    };
    schema.warn(out, path);
    let order = if has_d { ", d.Z_PK" } else { "" };
    let sql = format!("SELECT m.Z_PK, {m}, {s}, {g}, {mi}, {d} FROM ZWAMESSAGE m{joins} ORDER BY m.Z_PK{order}");
    let mut stmt = db.prepare(&sql).map_err(|e| ModuleError::query(path, e))?;
    let mut rows = stmt.query([]).map_err(|e| ModuleError::query(path, e))?;
    let mut pending: Option<WhatsappMessage> = None;
    while let Some(row) = rows.next().map_err(|e| ModuleError::query(path, e))? {
        let id = cell::i64(row, 0).unwrap_or_default();
        // columns: 0 Z_PK, 1-6 message, 7-8 chat, 9 member, 10-12 media, 13-17 preview, 18 preview Z_PK
        let preview = cell::i64(row, 18).map(|_| LinkPreview {
            matched_text: cell::text(row, 13),
            content1: cell::text(row, 14),
            content2: cell::text(row, 15),
            title: cell::text(row, 16),
            summary: cell::text(row, 17),
        });
        if let Some(p) = pending.as_mut()
            && p.id == id
        {
            p.link_previews.extend(preview);
            continue;
        }
        if let Some(p) = pending.take() {
            finish(p, out)?;
        }
        let from_me = cell::i64(row, 5).unwrap_or(0) != 0;
        pending = Some(WhatsappMessage {
            id,
            isodate: cell::f64(row, 2).and_then(from_mac_absolute),
            direction: if from_me { "sent" } else { "received" }.to_string(),
            text: cell::text(row, 1),
            from_jid: cell::text(row, 3),
            to_jid: cell::text(row, 4),
            message_type: cell::i64(row, 6),
            chat_name: cell::text(row, 7),
            chat_jid: cell::text(row, 8),
            sender_jid: cell::text(row, 9),
            media_url: cell::text(row, 10),
            media_local_path: cell::text(row, 11),
            media_title: cell::text(row, 12),
            link_previews: preview.into_iter().collect(),
            links: Vec::new(),
            mvt: WhatsappRawColumns {
                z_pk: Some(id),
                ztext: cell::text(row, 1),
                zmessagedate: cell::f64(row, 2),
                zfromjid: cell::text(row, 3),
                ztojid: cell::text(row, 4),
                zisfromme: cell::i64(row, 5),
                zmessagetype: cell::i64(row, 6),
                zmediaurl: cell::text(row, 10),
            },
        });
    }
    if let Some(p) = pending.take() {
        finish(p, out)?;
    }
    Ok(())
}

/// `+<digits>` of a person JID (`<digits>@s.whatsapp.net`), if it is one.
pub fn phone_of_jid(jid: &str) -> Option<String> {
    let user = jid.strip_suffix("@s.whatsapp.net")?;
    let digits = user.split([':', '.']).next().unwrap_or(user);
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then(|| format!("+{digits}"))
}

impl ArtifactModule for Whatsapp {
    type Record = WhatsappMessage;
    const NAME: &'static str = "whatsapp";
    const DESCRIPTION: &'static str =
        "WhatsApp messages (ChatStorage.sqlite): text, media and link-preview URLs vs indicators";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        ferret_core::toolkit::each_sqlite(ctx, &LOCATOR, out, read_db)
    }

    fn timeline(&self, r: &WhatsappMessage, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.isodate {
            let kind = if r.direction == "sent" { "whatsapp_sent" } else { "whatsapp_received" };
            let who = r.sender_jid.as_deref().or(r.from_jid.as_deref()).or(r.to_jid.as_deref()).unwrap_or("unknown");
            events.push((t, kind.into(), format!("{who}: {}", r.text.as_deref().unwrap_or(""))));
        }
    }

    fn check(&self, r: &WhatsappMessage, ind: &dyn Indicators, findings: &mut Vec<Finding>) {
        for l in &r.links {
            if let Some(m) = ind.check_url(l) {
                findings.push(ioc_finding(Level::Critical, "WhatsApp link", l, r.isodate, m));
            }
        }
        if r.direction == "received"
            && let Some(jid) = r.sender_jid.as_deref().or(r.from_jid.as_deref())
            && let Some(phone) = phone_of_jid(jid)
            && let Some(m) = ind.check_phone(&phone)
        {
            findings.push(ioc_finding(Level::Critical, "WhatsApp message from", &phone, r.isodate, m));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::sms::test_support::*;
    use super::*;
    use ferret_core::{NoIndicators, Typed};
    use ferret_testdata::fake::TruthIndicators;
    use ferret_testdata::truth::{Truth, compare};

    #[test]
    fn planted_cases_exact() {
        let mut truth = Truth::default();
        let files = ferret_testdata::ios::whatsapp::generate(4, 300, &mut truth);
        let dir = layout(&files);
        let r = run_dir(&Typed(Whatsapp), dir.path(), &TruthIndicators::new(&truth));
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 300 + 5 + 1);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        let cmp = compare(&truth.alerts, &r.alerts, Some(&["whatsapp"]));
        assert!(cmp.is_exact(), "missed {:#?}\nunexpected {:#?}", cmp.missed, cmp.unexpected);
        assert!(r.records.iter().any(|v| v["sender_jid"] == "15551239999@s.whatsapp.net"));
        // MVT's column names next to ours, with the same values
        for v in &r.records {
            assert_eq!(v["Z_PK"], v["id"]);
            assert_eq!(v["ZTEXT"], v["text"]);
            assert_eq!(v["ZFROMJID"], v["from_jid"]);
            assert_eq!(v["ZTOJID"], v["to_jid"]);
            assert_eq!(v["ZMEDIAURL"], v["media_url"]);
            assert_eq!(v["ZISFROMME"] == 1, v["direction"] == "sent");
            assert!(v["ZMESSAGEDATE"].is_number(), "{v}");
        }
        assert!(
            r.records.iter().any(|v| v["ZTEXT"].is_string()) && r.records.iter().any(|v| v["ZFROMJID"].is_string())
        );
        // and the record reads back (check-iocs), also without them (results of older versions)
        let back: WhatsappMessage = serde_json::from_value(r.records[0].clone()).expect("reads back");
        assert_eq!(back.mvt.z_pk, Some(back.id));
        let mut old = r.records[0].clone();
        for k in ["Z_PK", "ZTEXT", "ZMESSAGEDATE", "ZFROMJID", "ZTOJID", "ZISFROMME", "ZMESSAGETYPE", "ZMEDIAURL"] {
            old.as_object_mut().expect("object").remove(k);
        }
        let back: WhatsappMessage = serde_json::from_value(old).expect("older record reads");
        assert_eq!(back.mvt, WhatsappRawColumns::default());
    }

    #[test]
    fn jids_and_minimal_schema() {
        assert_eq!(phone_of_jid("15551234567@s.whatsapp.net").as_deref(), Some("+15551234567"));
        assert_eq!(phone_of_jid("120363@g.us"), None);
        assert_eq!(phone_of_jid("@s.whatsapp.net"), None);
        let d = db_from_sql(
            "private/var/mobile/Containers/Shared/AppGroup/X/ChatStorage.sqlite",
            "CREATE TABLE ZWAMESSAGE (Z_PK INTEGER PRIMARY KEY, ZTEXT VARCHAR);
             INSERT INTO ZWAMESSAGE VALUES (1, 'hi https://example.org/a'), (2, NULL);",
        );
        let r = run_dir(&Typed(Whatsapp), d.path(), &NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 2);
        assert_eq!(r.records[0]["links"][0], "https://example.org/a");
        assert!(r.warnings.iter().any(|w| w.contains("ZWAMEDIAITEM")));
    }
}
