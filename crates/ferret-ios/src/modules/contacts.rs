//! `contacts`: the address book (`AddressBook.sqlitedb`).
//!
//! Format facts:
//! * SQLite at HomeDomain `Library/AddressBook/AddressBook.sqlitedb`
//!   (FS `private/var/mobile/Library/AddressBook/AddressBook.sqlitedb`).
//! * `ABPerson` (`ROWID`, `First`, `Middle`, `Last`, `Organization`, `CreationDate`,
//!   `ModificationDate` — Mac absolute seconds) holds people; `ABMultiValue` (`record_id` →
//!   `ABPerson.ROWID`, `property`, `value`) holds their phone numbers, e-mails and URLs.
//!   `property` codes: 3 = phone, 4 = e-mail, 22 = URL (5 = postal address, whose parts live in
//!   `ABMultiValueEntry` and whose `value` is NULL, so it is skipped as MVT does).
//!
//! Checks (CRITICAL, indicator hits): e-mail values (`check_email`), phone values
//! (`check_phone`), URL values (`check_url`); values of other properties are checked as e-mail
//! when they contain `@`. Timeline: `contact_created` at the person's creation date.

use ferret_core::{
    ArtifactModule, BackupPath, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use ferret_core::toolkit::{Columns, cell, each_sqlite, for_each_row};

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct Contacts;

/// One value (phone, e-mail, URL) of one contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactRecord {
    /// `ABPerson.ROWID`.
    pub person_id: Option<i64>,
    /// Given name.
    pub first: Option<String>,
    /// Middle name.
    pub middle: Option<String>,
    /// Family name.
    pub last: Option<String>,
    /// Organization.
    pub organization: Option<String>,
    /// `phone`, `email`, `url` or `property_<n>`.
    pub kind: String,
    /// The value.
    pub value: String,
    /// Person creation date.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub created: Option<Timestamp>,
    /// Person modification date.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub modified: Option<Timestamp>,
}

/// Where the address book lives (also used by `calendar` to tell known organisers).
pub(crate) static LOCATOR: Locator = Locator {
    backup: &[BackupPath { domain: "HomeDomain", path: "Library/AddressBook/AddressBook.sqlitedb" }],
    paths: &["private/var/mobile/Library/AddressBook/AddressBook.sqlitedb"],
};

fn kind_of(property: Option<i64>) -> String {
    match property {
        Some(3) => "phone".into(),
        Some(4) => "email".into(),
        Some(22) => "url".into(),
        Some(n) => format!("property_{n}"),
        None => "unknown".into(),
    }
}

/// Streams every contact value of one database to `each`.
pub(crate) fn read_values(
    db: &ferret_core::SqliteDb,
    path: &str,
    warn: &mut dyn FnMut(String),
    mut each: impl FnMut(ContactRecord) -> Result<(), ModuleError>,
) -> Result<(), ModuleError> {
    if !db.has_table("ABMultiValue") {
        return Err(ModuleError::missing_tables(path, db, "table ABMultiValue"));
    }
    let mut cols = Columns::default();
    let p = if db.has_table("ABPerson") {
        cols.select(
            db,
            "ABPerson",
            "p",
            &["ROWID", "First", "Middle", "Last", "Organization", "CreationDate", "ModificationDate"],
        )
    } else {
        warn(format!("{path}: table ABPerson missing; values listed without names"));
        vec!["NULL".to_string(); 7]
    };
    let m = cols.select(db, "ABMultiValue", "m", &["record_id", "property", "value"]);
    if let Some(w) = cols.warning(path) {
        warn(w);
    }
    let join = if db.has_table("ABPerson") && !cols.is_missing("ABMultiValue", "record_id") {
        "LEFT JOIN ABPerson p ON p.ROWID = m.record_id"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {}, {} FROM ABMultiValue m {join} WHERE {} IS NOT NULL ORDER BY m.rowid",
        p.join(", "),
        m.join(", "),
        m.get(2).map_or("NULL", String::as_str)
    );
    for_each_row(db, path, &sql, |r| {
        let Some(value) = cell::text(r, 9) else { return Ok(()) };
        each(ContactRecord {
            person_id: cell::i64(r, 0).or_else(|| cell::i64(r, 7)),
            first: cell::text(r, 1),
            middle: cell::text(r, 2),
            last: cell::text(r, 3),
            organization: cell::text(r, 4),
            created: cell::mac_time(r, 5),
            modified: cell::mac_time(r, 6),
            kind: kind_of(cell::i64(r, 8)),
            value,
        })
    })
}

impl ArtifactModule for Contacts {
    type Record = ContactRecord;
    const NAME: &'static str = "contacts";
    const DESCRIPTION: &'static str = "Address book contacts with their phone numbers, e-mails and URLs";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        each_sqlite(ctx, &LOCATOR, out, |db, path, out| {
            let mut warnings = Vec::new();
            let res = read_values(db, path, &mut |w| warnings.push(w), |rec| out.record(rec));
            for w in warnings {
                out.warn(w);
            }
            res?;
            Ok(())
        })
    }

    fn timeline(&self, r: &ContactRecord, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.created {
            let name = [&r.first, &r.middle, &r.last].iter().filter_map(|x| x.as_deref()).collect::<Vec<_>>().join(" ");
            events.push((t, "contact_created".into(), format!("{name}: {} {}", r.kind, r.value)));
        }
    }

    fn check(&self, r: &ContactRecord, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        let v = r.value.trim();
        if v.is_empty() {
            return;
        }
        let hit = match r.kind.as_str() {
            "email" => ind.check_email(v).map(|m| ("Contact e-mail", m)),
            "phone" => ind.check_phone(v).map(|m| ("Contact phone number", m)),
            "url" => ind.check_url(v).map(|m| ("Contact URL", m)),
            _ if v.contains('@') => ind.check_email(v).map(|m| ("Contact e-mail", m)),
            _ => None,
        };
        if let Some((what, m)) = hit {
            f.push(ioc_finding(Level::Critical, what, v, r.created, m));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::testing::*;
    use ferret_testdata::fake::TruthIndicators;
    use ferret_testdata::truth::Truth;

    const P: &str = "private/var/mobile/Library/AddressBook/AddressBook.sqlitedb";

    #[test]
    fn recall_and_precision() {
        let mut truth = Truth::default();
        let files = ferret_testdata::ios::contacts::generate(3, 30, &mut truth);
        let (_d, ev) = fs_tree(&files);
        let r = run(Contacts, &ev, &TruthIndicators::new(&truth));
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert!(r.records.len() > 30);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert!(!r.timeline.is_empty());
        assert_exact(&truth, &r, "contacts");
    }

    #[test]
    fn older_schema_and_edge_cases() {
        let (d, ev) = fs_tree(&[]);
        assert_eq!(run(Contacts, &ev, &ferret_core::NoIndicators).outcome, Ok(Outcome::NotFound));
        put(
            &d,
            P,
            &sqlite_bytes(
                "CREATE TABLE ABPerson (ROWID INTEGER PRIMARY KEY, First TEXT, Last TEXT);
                 CREATE TABLE ABMultiValue (UID INTEGER PRIMARY KEY, record_id INTEGER, property INTEGER, value TEXT);
                 INSERT INTO ABPerson VALUES (1, 'A', CAST(X'42FF' AS TEXT));
                 INSERT INTO ABMultiValue VALUES (1, 1, 4, 'a@example.org'), (2, 1, 5, NULL);",
            ),
        );
        let r = run(Contacts, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 1);
        assert_eq!(r.records[0]["last"], "B\u{fffd}");
        assert!(r.warnings[0].contains("ABPerson.Middle") && r.warnings[0].contains("ABPerson.CreationDate"));
        put(&d, P, &sqlite_bytes("CREATE TABLE other(x);"));
        let e = run(Contacts, &ev, &ferret_core::NoIndicators).outcome.expect_err("no table");
        assert!(e.contains("ABMultiValue") && e.contains("AddressBook"), "{e}");
        put(&d, P, b"garbage garbage garbage garbage garbage garbage garbage garbage garbage");
        assert!(run(Contacts, &ev, &ferret_core::NoIndicators).outcome.is_err());
    }
}
