//! `interaction_c`: CoreDuet "people" interactions (who the user communicated with, through
//! which app, when).
//!
//! Format facts:
//! * Core Data SQLite at HomeDomain `Library/CoreDuet/People/interactionC.db`
//!   (FS `private/var/mobile/Library/CoreDuet/People/interactionC.db`).
//! * `ZINTERACTIONS`: `Z_PK`, `ZSTARTDATE`, `ZENDDATE`, `ZCREATIONDATE` (Mac absolute),
//!   `ZBUNDLEID` (app), `ZTARGETBUNDLEID`, `ZACCOUNT`, `ZDIRECTION` (0 incoming, 1 outgoing),
//!   `ZSENDER` (→ `ZCONTACTS.Z_PK`), `ZRECIPIENTCOUNT`, `ZDOMAINIDENTIFIER` (conversation),
//!   `ZISRESPONSE`, `ZCONTENTURL`, `ZGROUPNAME`, `ZDERIVEDINTENTIDENTIFIER`, `ZUUID`.
//! * `ZCONTACTS`: `Z_PK`, `ZDISPLAYNAME`, `ZIDENTIFIER` (e-mail, phone or app handle),
//!   `ZPERSONID`.
//! * Recipients (`Z_<n>INTERACTIONRECIPIENT` join tables, whose numbering changes between iOS
//!   versions) and attachments (`ZATTACHMENT`) are not read yet; `recipient_count` is kept.
//!   Columns absent in older iOS read as empty and a warning names them.
//!
//! Checks (CRITICAL): `bundle_id` and `target_bundle_id` (`check_app_id`), `sender_identifier`
//! and `account` (`check_email` when they contain `@`, else `check_phone`), `content_url`
//! (`check_url`); at most one alert per matched indicator per record.
//! Timeline: `interaction_start`; `interaction_created` when the record was created an hour or
//! more away from the interaction's start.

use ferret_core::{
    ArtifactModule, BackupPath, Context, Finding, Indicators, Level, Locator, MatchedIndicator, ModuleError, Out,
    Outcome, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use ferret_core::toolkit::{Columns, cell, each_sqlite, for_each_row};

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct InteractionC;

/// One interaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// `Z_PK`.
    pub id: Option<i64>,
    /// Start.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub start_date: Option<Timestamp>,
    /// End.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub end_date: Option<Timestamp>,
    /// Record creation.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub interactions_creation_date: Option<Timestamp>,
    /// App.
    pub bundle_id: Option<String>,
    /// Account.
    pub account: Option<String>,
    /// Target app.
    pub target_bundle_id: Option<String>,
    /// `INCOMING` / `OUTGOING` / raw number.
    pub direction: Option<String>,
    /// Sender display name.
    pub sender_display_name: Option<String>,
    /// Sender handle.
    pub sender_identifier: Option<String>,
    /// Sender person id.
    pub sender_personid: Option<String>,
    /// Recipient count.
    pub recipient_count: Option<i64>,
    /// Conversation id.
    pub domain_identifier: Option<String>,
    /// Reply flag.
    pub is_response: Option<i64>,
    /// Content URL.
    pub content_url: Option<String>,
    /// Group name.
    pub group_name: Option<String>,
    /// Derived intent id.
    pub derived_intent_id: Option<String>,
    /// `ZUUID`.
    pub uuid: Option<String>,
}

static LOCATOR: Locator = Locator {
    backup: &[BackupPath { domain: "HomeDomain", path: "Library/CoreDuet/People/interactionC.db" }],
    paths: &["private/var/mobile/Library/CoreDuet/People/interactionC.db"],
};

const I_COLS: &[&str] = &[
    "Z_PK",
    "ZSTARTDATE",
    "ZENDDATE",
    "ZCREATIONDATE",
    "ZBUNDLEID",
    "ZACCOUNT",
    "ZTARGETBUNDLEID",
    "ZDIRECTION",
    "ZRECIPIENTCOUNT",
    "ZDOMAINIDENTIFIER",
    "ZISRESPONSE",
    "ZCONTENTURL",
    "ZGROUPNAME",
    "ZDERIVEDINTENTIDENTIFIER",
    "ZUUID",
];
const C_COLS: &[&str] = &["ZDISPLAYNAME", "ZIDENTIFIER", "ZPERSONID"];

impl ArtifactModule for InteractionC {
    type Record = Interaction;
    const NAME: &'static str = "interaction_c";
    const DESCRIPTION: &'static str = "CoreDuet interactions: who the user communicated with, through which app";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        each_sqlite(ctx, &LOCATOR, out, |db, path, out| {
            if !db.has_table("ZINTERACTIONS") {
                return Err(ModuleError::missing_tables(path, db, "table ZINTERACTIONS"));
            }
            let mut cols = Columns::default();
            let i = cols.select(db, "ZINTERACTIONS", "i", I_COLS);
            let has_contacts = db.has_table("ZCONTACTS") && db.columns("ZINTERACTIONS").iter().any(|c| c == "ZSENDER");
            let c = if has_contacts { cols.select(db, "ZCONTACTS", "c", C_COLS) } else { vec!["NULL".into(); 3] };
            if !has_contacts {
                out.warn(format!("{}: ZCONTACTS or ZINTERACTIONS.ZSENDER missing; senders not resolved", path));
            }
            if let Some(w) = cols.warning(path) {
                out.warn(w);
            }
            let join = if has_contacts { "LEFT JOIN ZCONTACTS c ON c.Z_PK = i.ZSENDER" } else { "" };
            let sql = format!("SELECT {}, {} FROM ZINTERACTIONS i {join} ORDER BY i.Z_PK", i.join(", "), c.join(", "));
            for_each_row(db, path, &sql, |r| {
                out.record(Interaction {
                    id: cell::i64(r, 0),
                    start_date: cell::mac_time(r, 1),
                    end_date: cell::mac_time(r, 2),
                    interactions_creation_date: cell::mac_time(r, 3),
                    bundle_id: cell::text(r, 4),
                    account: cell::text(r, 5),
                    target_bundle_id: cell::text(r, 6),
                    direction: cell::i64(r, 7).map(|d| match d {
                        0 => "INCOMING".to_string(),
                        1 => "OUTGOING".to_string(),
                        n => n.to_string(),
                    }),
                    recipient_count: cell::i64(r, 8),
                    domain_identifier: cell::text(r, 9),
                    is_response: cell::i64(r, 10),
                    content_url: cell::text(r, 11),
                    group_name: cell::text(r, 12),
                    derived_intent_id: cell::text(r, 13),
                    uuid: cell::text(r, 14),
                    sender_display_name: cell::text(r, 15),
                    sender_identifier: cell::text(r, 16),
                    sender_personid: cell::text(r, 17),
                })
            })?;
            Ok(())
        })
    }

    fn timeline(&self, r: &Interaction, events: &mut Vec<(Timestamp, String, String)>) {
        let desc = format!(
            "{} {} {} via {}",
            r.direction.as_deref().unwrap_or("?"),
            if r.direction.as_deref() == Some("OUTGOING") { "to" } else { "with" },
            r.sender_identifier.as_deref().or(r.sender_display_name.as_deref()).unwrap_or("unknown"),
            r.bundle_id.as_deref().unwrap_or("unknown app")
        );
        if let Some(t) = r.start_date {
            events.push((t, "interaction_start".into(), desc.clone()));
        }
        if let (Some(c), Some(s)) = (r.interactions_creation_date, r.start_date)
            && (c.as_second() - s.as_second()).abs() >= 3600
        {
            let hours = (c.as_second() - s.as_second()) / 3600;
            events.push((
                c,
                "interaction_created".into(),
                format!("Interaction record created {hours} h from the event: {desc}"),
            ));
        }
    }

    fn check(&self, r: &Interaction, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        let when = r.start_date;
        let mut seen: Vec<String> = Vec::new();
        let mut push = |what: &str, v: &str, m: MatchedIndicator, f: &mut Vec<Finding>| {
            if !seen.contains(&m.value) {
                seen.push(m.value.clone());
                f.push(ioc_finding(Level::Critical, what, v, when, m));
            }
        };
        for b in [&r.bundle_id, &r.target_bundle_id].into_iter().flatten() {
            if !b.is_empty()
                && let Some(m) = ind.check_app_id(b)
            {
                push("Interaction through app", b, m, f);
            }
        }
        for h in [&r.sender_identifier, &r.account].into_iter().flatten() {
            if h.is_empty() {
                continue;
            }
            let hit = if h.contains('@') { ind.check_email(h) } else { ind.check_phone(h) };
            if let Some(m) = hit {
                push("Interaction with", h, m, f);
            }
        }
        if let Some(u) = r.content_url.as_deref().filter(|u| !u.is_empty())
            && let Some(m) = ind.check_url(u)
        {
            push("Interaction content URL", u, m, f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::testing::*;
    use ferret_testdata::fake::TruthIndicators;
    use ferret_testdata::truth::Truth;

    const P: &str = "private/var/mobile/Library/CoreDuet/People/interactionC.db";

    #[test]
    fn recall_and_precision() {
        let mut truth = Truth::default();
        let files = ferret_testdata::ios::interaction_c::generate(15, 30, &mut truth);
        let (_d, ev) = fs_tree(&files);
        let r = run(InteractionC, &ev, &TruthIndicators::new(&truth));
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 34);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_exact(&truth, &r, "interaction_c");
    }

    #[test]
    fn older_schema_and_corrupt() {
        let (d, ev) = fs_tree(&[]);
        assert_eq!(run(InteractionC, &ev, &ferret_core::NoIndicators).outcome, Ok(Outcome::NotFound));
        put(&d, P, &sqlite_bytes("CREATE TABLE ZINTERACTIONS (Z_PK INTEGER PRIMARY KEY, ZSTARTDATE TIMESTAMP, ZBUNDLEID VARCHAR, ZCREATIONDATE TIMESTAMP);
            INSERT INTO ZINTERACTIONS VALUES (1, 700000000, 'com.apple.MobileSMS', 700090000);"));
        let r = run(InteractionC, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.records.len(), 1);
        assert!(r.warnings.iter().any(|w| w.contains("senders not resolved")));
        assert!(r.warnings.iter().any(|w| w.contains("ZINTERACTIONS.ZENDDATE")));
        assert_eq!(r.timeline.len(), 2);
        put(&d, P, &sqlite_bytes("CREATE TABLE ZCONTACTS (Z_PK INTEGER PRIMARY KEY);"));
        assert!(
            run(InteractionC, &ev, &ferret_core::NoIndicators)
                .outcome
                .expect_err("no table")
                .contains("interactionC.db")
        );
    }
}
