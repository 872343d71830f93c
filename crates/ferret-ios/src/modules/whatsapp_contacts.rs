//! `whatsapp_contacts`: WhatsApp's address book (`ContactsV2.sqlite`).
//!
//! Format facts:
//! * Core Data SQLite at AppDomainGroup-group.net.whatsapp.WhatsApp.shared `ContactsV2.sqlite`
//!   (FS `private/var/mobile/Containers/Shared/AppGroup/<UUID>/ContactsV2.sqlite`).
//! * `ZWAADDRESSBOOKCONTACT`: `Z_PK`, `ZWHATSAPPID` (`<digits>@s.whatsapp.net`), `ZLID`
//!   (`<digits>@lid`, newer builds), `ZPHONENUMBER`, `ZLOCALIZEDPHONENUMBER`, `ZFULLNAME`,
//!   `ZGIVENNAME`, `ZLASTNAME`, `ZUSERNAME`, `ZBUSINESSNAME`, `ZABOUTTEXT`, `ZABOUTEMOJI`,
//!   `ZDISAPPEARINGMODEDURATION` (seconds: 86400 = 24 hours, 604800 = 7 days, 7776000 = 90
//!   days), `ZDISAPPEARINGMODETIMESTAMP`, `ZABOUTTIMESTAMP`, `ZLASTUPDATED` (Mac absolute),
//!   `ZPHONENUMBERSTATUS`, `ZSYNCPOLICY`. Columns vary by WhatsApp version; absent ones read as
//!   empty and a warning names them.
//!
//! Checks (CRITICAL): phone number and WhatsApp id (`check_phone`), every URL in the "about"
//! text (`check_text`). Timeline: `whatsapp_contact_updated`, `whatsapp_about_changed`.

use ferret_core::{
    ArtifactModule, BackupPath, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use ferret_core::toolkit::{Columns, cell, each_sqlite, for_each_row};

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct WhatsappContacts;

/// One WhatsApp contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhatsappContact {
    /// `Z_PK`.
    pub id: Option<i64>,
    /// `ZWHATSAPPID`.
    pub whatsapp_id: Option<String>,
    /// `ZLID`.
    pub lid: Option<String>,
    /// `ZPHONENUMBER`.
    pub phone_number: Option<String>,
    /// `ZLOCALIZEDPHONENUMBER`.
    pub localized_phone_number: Option<String>,
    /// `ZFULLNAME`.
    pub full_name: Option<String>,
    /// `ZGIVENNAME`.
    pub given_name: Option<String>,
    /// `ZLASTNAME`.
    pub last_name: Option<String>,
    /// `ZUSERNAME`.
    pub username: Option<String>,
    /// `ZBUSINESSNAME`.
    pub business_name: Option<String>,
    /// `ZABOUTTEXT`.
    pub about_text: Option<String>,
    /// `ZABOUTEMOJI`.
    pub about_emoji: Option<String>,
    /// Disappearing-messages timer in seconds.
    pub disappearing_mode_duration: Option<i64>,
    /// Human label for the timer (`24 hours`, `7 days`, ...).
    pub disappearing_mode_label: Option<String>,
    /// When the timer was set.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub disappearing_mode_timestamp: Option<Timestamp>,
    /// When the about text was set.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub about_timestamp: Option<Timestamp>,
    /// Last update of the contact.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub last_updated: Option<Timestamp>,
    /// `ZPHONENUMBERSTATUS`.
    pub phone_status: Option<i64>,
    /// `ZSYNCPOLICY`.
    pub sync_policy: Option<i64>,
}

pub(crate) static LOCATOR: Locator = Locator {
    backup: &[BackupPath { domain: "AppDomainGroup-group.net.whatsapp.WhatsApp.shared", path: "ContactsV2.sqlite" }],
    paths: &["private/var/mobile/Containers/Shared/AppGroup/*/ContactsV2.sqlite"],
};

const COLS: &[&str] = &[
    "Z_PK",
    "ZWHATSAPPID",
    "ZLID",
    "ZPHONENUMBER",
    "ZLOCALIZEDPHONENUMBER",
    "ZFULLNAME",
    "ZGIVENNAME",
    "ZLASTNAME",
    "ZUSERNAME",
    "ZBUSINESSNAME",
    "ZABOUTTEXT",
    "ZABOUTEMOJI",
    "ZDISAPPEARINGMODEDURATION",
    "ZDISAPPEARINGMODETIMESTAMP",
    "ZABOUTTIMESTAMP",
    "ZLASTUPDATED",
    "ZPHONENUMBERSTATUS",
    "ZSYNCPOLICY",
];

fn duration_label(secs: i64) -> Option<String> {
    match secs {
        s if s <= 0 => None,
        86_400 => Some("24 hours".into()),
        s if s % 86_400 == 0 => Some(format!("{} days", s / 86_400)),
        s if s % 3600 == 0 => Some(format!("{} hours", s / 3600)),
        s => Some(format!("{s} seconds")),
    }
}

impl ArtifactModule for WhatsappContacts {
    type Record = WhatsappContact;
    const NAME: &'static str = "whatsapp_contacts";
    const DESCRIPTION: &'static str =
        "WhatsApp contacts (ContactsV2.sqlite): numbers, about texts, disappearing-message timers";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        each_sqlite(ctx, &LOCATOR, out, |db, path, out| {
            if !db.has_table("ZWAADDRESSBOOKCONTACT") {
                return Err(ModuleError::missing_tables(path, db, "table ZWAADDRESSBOOKCONTACT"));
            }
            let mut cols = Columns::default();
            let sel = cols.select(db, "ZWAADDRESSBOOKCONTACT", "c", COLS);
            if let Some(w) = cols.warning(path) {
                out.warn(w);
            }
            let sql = format!("SELECT {} FROM ZWAADDRESSBOOKCONTACT c ORDER BY c.rowid", sel.join(", "));
            for_each_row(db, path, &sql, |r| {
                let dur = cell::i64(r, 12);
                out.record(WhatsappContact {
                    id: cell::i64(r, 0),
                    whatsapp_id: cell::text(r, 1),
                    lid: cell::text(r, 2),
                    phone_number: cell::text(r, 3),
                    localized_phone_number: cell::text(r, 4),
                    full_name: cell::text(r, 5),
                    given_name: cell::text(r, 6),
                    last_name: cell::text(r, 7),
                    username: cell::text(r, 8),
                    business_name: cell::text(r, 9),
                    about_text: cell::text(r, 10),
                    about_emoji: cell::text(r, 11),
                    disappearing_mode_duration: dur,
                    disappearing_mode_label: dur.and_then(duration_label),
                    disappearing_mode_timestamp: cell::mac_time(r, 13),
                    about_timestamp: cell::mac_time(r, 14),
                    last_updated: cell::mac_time(r, 15),
                    phone_status: cell::i64(r, 16),
                    sync_policy: cell::i64(r, 17),
                })
            })?;
            Ok(())
        })
    }

    fn timeline(&self, r: &WhatsappContact, events: &mut Vec<(Timestamp, String, String)>) {
        let who = r.full_name.as_deref().or(r.phone_number.as_deref()).unwrap_or("unknown");
        if let Some(t) = r.last_updated {
            events.push((t, "whatsapp_contact_updated".into(), format!("WhatsApp contact {who} updated")));
        }
        if let Some(t) = r.about_timestamp {
            events.push((
                t,
                "whatsapp_about_changed".into(),
                format!("{who} about: {}", r.about_text.as_deref().unwrap_or("")),
            ));
        }
    }

    fn check(&self, r: &WhatsappContact, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        let when = r.last_updated;
        let mut seen: Vec<String> = Vec::new();
        for n in [&r.phone_number, &r.whatsapp_id].into_iter().flatten() {
            let n = n.split('@').next().unwrap_or(n);
            if !n.is_empty()
                && let Some(m) = ind.check_phone(n)
                && !seen.contains(&m.value)
            {
                seen.push(m.value.clone());
                f.push(ioc_finding(Level::Critical, "WhatsApp contact", n, when, m));
            }
        }
        if let Some(about) = r.about_text.as_deref() {
            for (url, m) in ind.check_text(about) {
                f.push(ioc_finding(Level::Critical, "Link in WhatsApp contact's about text", &url, when, m));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::testing::*;
    use ferret_testdata::fake::TruthIndicators;
    use ferret_testdata::truth::Truth;

    #[test]
    fn recall_and_precision() {
        let mut truth = Truth::default();
        let files = ferret_testdata::ios::whatsapp_contacts::generate(12, 30, &mut truth);
        let (_d, ev) = fs_tree(&files);
        let r = run(WhatsappContacts, &ev, &TruthIndicators::new(&truth));
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 33);
        assert_eq!(r.records[1]["disappearing_mode_label"], "24 hours");
        assert_eq!(r.records[3]["disappearing_mode_label"], "90 days");
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_exact(&truth, &r, "whatsapp_contacts");
    }

    #[test]
    fn older_schema_and_corrupt() {
        let p = "private/var/mobile/Containers/Shared/AppGroup/X/ContactsV2.sqlite";
        let (d, ev) = fs_tree(&[]);
        assert_eq!(run(WhatsappContacts, &ev, &ferret_core::NoIndicators).outcome, Ok(Outcome::NotFound));
        put(
            &d,
            p,
            &sqlite_bytes(
                "CREATE TABLE ZWAADDRESSBOOKCONTACT (Z_PK INTEGER PRIMARY KEY, ZPHONENUMBER VARCHAR, ZABOUTTEXT BLOB);
            INSERT INTO ZWAADDRESSBOOKCONTACT VALUES (1, '+1555', X'FFFE');",
            ),
        );
        let r = run(WhatsappContacts, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.records.len(), 1);
        assert!(r.warnings[0].contains("ZWAADDRESSBOOKCONTACT.ZWHATSAPPID"));
        put(&d, p, &sqlite_bytes("CREATE TABLE Z_METADATA (x);"));
        assert!(run(WhatsappContacts, &ev, &ferret_core::NoIndicators).outcome.is_err());
    }
}
