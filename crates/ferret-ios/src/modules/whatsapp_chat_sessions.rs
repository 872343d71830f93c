//! `whatsapp_chat_sessions`: WhatsApp chats and groups — name, creation date, creator and
//! membership — from the same `ChatStorage.sqlite` as [`super::whatsapp`].
//!
//! A zero-click delivery through WhatsApp (Paragon's Graphite: the target is added to a group by
//! an unknown account, which then sends a PDF) leaves its trace here: a group the phone's owner
//! did not create, its creation date, who created it and who else is in it.
//!
//! # Schema facts (Core Data store)
//! * `ZWACHATSESSION(Z_PK, ZCONTACTJID, ZPARTNERNAME (group name or contact), ZSESSIONTYPE
//!   (0 = one-to-one, 1 = group, 2 = broadcast list, 3 = status), ZARCHIVED, ZREMOVED,
//!   ZMESSAGECOUNTER, ZLASTMESSAGEDATE (Mac absolute s), ZGROUPINFO → ZWAGROUPINFO)`;
//! * `ZWAGROUPINFO(Z_PK, ZCREATIONDATE (Mac absolute s), ZCREATORJID, ...)`;
//! * `ZWAGROUPMEMBER(ZCHATSESSION → ZWACHATSESSION, ZMEMBERJID, ZCONTACTNAME, ZISADMIN,
//!   ZISACTIVE)`.
//!
//! Missing tables or columns read as null and are named in one warning.
//!
//! # Records
//! One per chat session (ordered by `Z_PK`), with its members (at most [`MAX_MEMBERS`] per
//! session; more are counted in `members_not_listed`).
//!
//! # Checks (level)
//! * the phone number of the group's creator or of any member (`@s.whatsapp.net` JIDs) →
//!   `check_phone` — CRITICAL.
//!
//! Timeline: `whatsapp_group_created` (groups with a creation date).

use std::collections::BTreeMap;

use ferret_core::time::from_mac_absolute;
use ferret_core::toolkit::{Columns, cell};
use ferret_core::{
    ArtifactModule, Context, Finding, Indicators, Level, ModuleError, Out, Outcome, SqliteDb, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::whatsapp::{LOCATOR, phone_of_jid};

/// Most members listed per session.
pub const MAX_MEMBERS: usize = 4096;

/// A member of a group chat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupMember {
    /// `ZMEMBERJID`.
    pub jid: Option<String>,
    /// `ZCONTACTNAME`.
    pub contact_name: Option<String>,
    /// `ZISADMIN`.
    pub is_admin: Option<bool>,
    /// `ZISACTIVE`.
    pub is_active: Option<bool>,
}

/// One chat session (`whatsapp_chat_sessions.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatSession {
    /// `ZWACHATSESSION.Z_PK`.
    pub id: i64,
    /// Chat JID (`...@g.us` for groups).
    pub contact_jid: Option<String>,
    /// Group name or contact name (`ZPARTNERNAME`).
    pub name: Option<String>,
    /// `one-to-one`, `group`, `broadcast`, `status` or the raw `ZSESSIONTYPE`.
    pub session_type: Option<String>,
    /// Group creation time (UTC).
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub created: Option<Timestamp>,
    /// Who created the group (`ZCREATORJID`).
    pub creator_jid: Option<String>,
    /// Last message time (UTC).
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub last_message: Option<Timestamp>,
    /// `ZMESSAGECOUNTER`.
    pub message_counter: Option<i64>,
    /// `ZARCHIVED`.
    pub archived: Option<bool>,
    /// `ZREMOVED`.
    pub removed: Option<bool>,
    /// Group members.
    #[serde(default)]
    pub members: Vec<GroupMember>,
    /// Members beyond [`MAX_MEMBERS`].
    #[serde(default)]
    pub members_not_listed: u64,
}

/// The module.
#[derive(Debug, Default, Clone, Copy)]
pub struct WhatsappChatSessions;

fn session_type(t: i64) -> String {
    match t {
        0 => "one-to-one".into(),
        1 => "group".into(),
        2 => "broadcast".into(),
        3 => "status".into(),
        other => other.to_string(),
    }
}

fn flag(v: Option<i64>) -> Option<bool> {
    v.map(|x| x != 0)
}

fn read_db(db: &SqliteDb, path: &str, out: &mut Out<'_, '_, WhatsappChatSessions>) -> Result<(), ModuleError> {
    if !db.has_table("ZWACHATSESSION") {
        out.warn(format!("{path}: no ZWACHATSESSION table"));
        return Ok(());
    }
    let mut schema = Columns::default();
    let s = schema.select_list(
        db,
        "ZWACHATSESSION",
        "s",
        &[
            "ZCONTACTJID",
            "ZPARTNERNAME",
            "ZSESSIONTYPE",
            "ZLASTMESSAGEDATE",
            "ZMESSAGECOUNTER",
            "ZARCHIVED",
            "ZREMOVED",
        ],
    );
    let has_link = db.columns("ZWACHATSESSION").iter().any(|c| c.eq_ignore_ascii_case("ZGROUPINFO"));
    let (gi, join) = if has_link && db.has_table("ZWAGROUPINFO") {
        (
            schema.select_list(db, "ZWAGROUPINFO", "gi", &["ZCREATIONDATE", "ZCREATORJID"]),
            " LEFT JOIN ZWAGROUPINFO gi ON gi.Z_PK = s.ZGROUPINFO",
        )
    } else {
        schema.missing.push("ZWAGROUPINFO".into());
        ("NULL, NULL".to_string(), "")
    };
    let mut members: BTreeMap<i64, (Vec<GroupMember>, u64)> = BTreeMap::new();
    if db.has_table("ZWAGROUPMEMBER")
        && db.columns("ZWAGROUPMEMBER").iter().any(|c| c.eq_ignore_ascii_case("ZCHATSESSION"))
    {
        let m = schema.select_list(db, "ZWAGROUPMEMBER", "g", &["ZMEMBERJID", "ZCONTACTNAME", "ZISADMIN", "ZISACTIVE"]);
        let sql = format!("SELECT g.ZCHATSESSION, {m} FROM ZWAGROUPMEMBER g ORDER BY g.ZCHATSESSION, g.Z_PK");
        let mut stmt = db.prepare(&sql).map_err(|e| ModuleError::query(path, e))?;
        let mut rows = stmt.query([]).map_err(|e| ModuleError::query(path, e))?;
        while let Some(r) = rows.next().map_err(|e| ModuleError::query(path, e))? {
            let Some(session) = cell::i64(r, 0) else { continue };
            let e = members.entry(session).or_default();
            if e.0.len() < MAX_MEMBERS {
                e.0.push(GroupMember {
                    jid: cell::text(r, 1),
                    contact_name: cell::text(r, 2),
                    is_admin: flag(cell::i64(r, 3)),
                    is_active: flag(cell::i64(r, 4)),
                });
            } else {
                e.1 += 1;
            }
        }
    } else {
        schema.missing.push("ZWAGROUPMEMBER".into());
    }
    schema.warn(out, path);
    let sql = format!("SELECT s.Z_PK, {s}, {gi} FROM ZWACHATSESSION s{join} ORDER BY s.Z_PK");
    let mut stmt = db.prepare(&sql).map_err(|e| ModuleError::query(path, e))?;
    let mut rows = stmt.query([]).map_err(|e| ModuleError::query(path, e))?;
    while let Some(r) = rows.next().map_err(|e| ModuleError::query(path, e))? {
        let id = cell::i64(r, 0).unwrap_or_default();
        let (members, members_not_listed) = members.remove(&id).unwrap_or_default();
        out.record(ChatSession {
            id,
            contact_jid: cell::text(r, 1),
            name: cell::text(r, 2),
            session_type: cell::i64(r, 3).map(session_type),
            last_message: cell::f64(r, 4).and_then(from_mac_absolute),
            message_counter: cell::i64(r, 5),
            archived: flag(cell::i64(r, 6)),
            removed: flag(cell::i64(r, 7)),
            created: cell::f64(r, 8).and_then(from_mac_absolute),
            creator_jid: cell::text(r, 9),
            members,
            members_not_listed,
        })?;
    }
    Ok(())
}

impl ArtifactModule for WhatsappChatSessions {
    type Record = ChatSession;
    const NAME: &'static str = "whatsapp_chat_sessions";
    const DESCRIPTION: &'static str =
        "WhatsApp chats and groups (ChatStorage.sqlite): names, creation dates, creators, members";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        ferret_core::toolkit::each_sqlite(ctx, &LOCATOR, out, read_db)
    }

    fn timeline(&self, r: &ChatSession, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.created {
            events.push((
                t,
                "whatsapp_group_created".into(),
                format!(
                    "{} created by {}",
                    r.name.as_deref().unwrap_or("unnamed group"),
                    r.creator_jid.as_deref().unwrap_or("unknown")
                ),
            ));
        }
    }

    fn check(&self, r: &ChatSession, ind: &dyn Indicators, findings: &mut Vec<Finding>) {
        let mut seen = std::collections::BTreeSet::new();
        let who = r.creator_jid.iter().map(|j| ("WhatsApp group created by", j.as_str()));
        let members = r.members.iter().filter_map(|m| m.jid.as_deref()).map(|j| ("WhatsApp group member", j));
        for (what, jid) in who.chain(members) {
            if let Some(phone) = phone_of_jid(jid)
                && seen.insert(phone.clone())
                && let Some(m) = ind.check_phone(&phone)
            {
                findings.push(ioc_finding(Level::Critical, what, &phone, r.created, m));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::sms::test_support::*;
    use super::*;
    use ferret_core::{NoIndicators, Typed};

    #[test]
    fn generated_sessions_groups_and_members() {
        let mut truth = ferret_testdata::truth::Truth::default();
        let files = ferret_testdata::ios::whatsapp::generate(4, 50, &mut truth);
        let dir = layout(&files);
        let r = run_dir(&Typed(WhatsappChatSessions), dir.path(), &NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert!(r.alerts.is_empty());
        let recs: Vec<ChatSession> =
            r.records.iter().map(|v| serde_json::from_value(v.clone()).expect("record")).collect();
        let names: Vec<Option<&str>> = recs.iter().map(|s| s.name.as_deref()).collect();
        assert_eq!(names, [Some("Alex"), Some("Book club"), Some("Sam"), Some("Quarterly results")]);
        let book = &recs[1];
        assert_eq!(book.session_type.as_deref(), Some("group"));
        assert_eq!(book.created.map(|t| t.to_string()).as_deref(), Some("2026-10-01T09:00:00Z"));
        assert_eq!(book.creator_jid.as_deref(), Some("15551230001@s.whatsapp.net"));
        let jids: Vec<&str> = book.members.iter().filter_map(|m| m.jid.as_deref()).collect();
        assert_eq!(jids, ["15551239999@s.whatsapp.net", "15551230001@s.whatsapp.net"]);
        // The Graphite-shaped group: created by an unknown account, the owner added to it.
        let q = &recs[3];
        assert_eq!(q.creator_jid.as_deref(), Some("15559870000@s.whatsapp.net"));
        assert_eq!(q.members.len(), 2);
        assert!(q.members.iter().any(|m| m.is_admin == Some(true) && m.jid == q.creator_jid));
        assert_eq!(recs[0].session_type.as_deref(), Some("one-to-one"));
        assert!(recs[0].members.is_empty() && recs[0].created.is_none());
        assert_eq!(r.timeline.len(), 2, "two groups with a creation date");
    }

    #[test]
    fn minimal_schema_and_member_phone_indicator() {
        let d = db_from_sql(
            "private/var/mobile/Containers/Shared/AppGroup/X/ChatStorage.sqlite",
            "CREATE TABLE ZWACHATSESSION (Z_PK INTEGER PRIMARY KEY, ZPARTNERNAME VARCHAR);
             INSERT INTO ZWACHATSESSION VALUES (1, 'Only a name'), (2, NULL);",
        );
        let r = run_dir(&Typed(WhatsappChatSessions), d.path(), &NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 2);
        assert_eq!(r.records[0]["name"], "Only a name");
        assert!(
            r.warnings.iter().any(|w| w.contains("ZWAGROUPINFO") && w.contains("ZWAGROUPMEMBER")),
            "{:?}",
            r.warnings
        );
        // A member's phone number matching an indicator: one CRITICAL per number.
        struct Phone;
        impl Indicators for Phone {
            fn is_empty(&self) -> bool {
                false
            }
            fn check_phone(&self, n: &str) -> Option<ferret_core::MatchedIndicator> {
                (n == "+15559870000").then(|| ferret_core::MatchedIndicator {
                    value: n.into(),
                    kind: "phone_numbers".into(),
                    name: "Graphite".into(),
                    stix2_file_name: "t.stix2".into(),
                })
            }
            fn check_url(&self, _: &str) -> Option<ferret_core::MatchedIndicator> {
                None
            }
            fn check_domain(&self, _: &str) -> Option<ferret_core::MatchedIndicator> {
                None
            }
            fn check_process(&self, _: &str) -> Option<ferret_core::MatchedIndicator> {
                None
            }
            fn check_email(&self, _: &str) -> Option<ferret_core::MatchedIndicator> {
                None
            }
            fn check_file_path(&self, _: &str) -> Option<ferret_core::MatchedIndicator> {
                None
            }
            fn check_file_name(&self, _: &str) -> Option<ferret_core::MatchedIndicator> {
                None
            }
            fn check_file_hash(&self, _: &str) -> Option<ferret_core::MatchedIndicator> {
                None
            }
            fn check_app_id(&self, _: &str) -> Option<ferret_core::MatchedIndicator> {
                None
            }
            fn check_app_cert_hash(&self, _: &str) -> Option<ferret_core::MatchedIndicator> {
                None
            }
            fn check_profile(&self, _: &str) -> Option<ferret_core::MatchedIndicator> {
                None
            }
            fn check_android_property(&self, _: &str) -> Option<ferret_core::MatchedIndicator> {
                None
            }
        }
        let mut truth = ferret_testdata::truth::Truth::default();
        let files = ferret_testdata::ios::whatsapp::generate(4, 5, &mut truth);
        let dir = layout(&files);
        let r = run_dir(&Typed(WhatsappChatSessions), dir.path(), &Phone);
        let msgs: Vec<&str> = r.alerts.iter().map(|a| a.message.as_str()).collect();
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(msgs[0].starts_with("WhatsApp group created by \"+15559870000\""), "{msgs:?}");
    }
}
