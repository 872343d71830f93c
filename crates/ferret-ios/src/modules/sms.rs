//! `sms`: every message of the iOS Messages database (SMS, MMS, iMessage).
//!
//! # Artifact
//! `sms.db`: backup `HomeDomain` / `Library/SMS/sms.db`; filesystem
//! `private/var/mobile/Library/SMS/sms.db`. Usually in WAL mode: the `-wal` sidecar holds the
//! newest messages and is applied on a private copy by the evidence layer.
//!
//! # Schema facts
//! * `message(ROWID, guid, text, attributedBody BLOB, handle_id, service, account, subject,
//!   date, date_read, is_from_me, ...)`; `handle(ROWID, id, service, ...)` where `handle.id` is
//!   the phone number or e-mail of the other party. `message.handle_id` may be `0` or point to a
//!   deleted handle: messages are read with a LEFT JOIN so those are kept (`phone_number` null).
//! * `date`/`date_read`: Mac absolute time, **nanoseconds** since iOS 11, seconds before;
//!   converted with [`ferret_core::time::from_mac_absolute_auto`]. `0` means "never".
//! * iOS 16+ often stores the body only in `attributedBody`, an `NSAttributedString` archived in
//!   the legacy `typedstream` format (decoded by [`ferret_formats::typedstream`]); `text` wins
//!   when both are present. Undecodable blobs are reported as warnings.
//! * Older schemas lack columns (e.g. `attributedBody` before iOS 10, `date_read` very early):
//!   missing columns read as NULL and are named in one warning.
//!
//! # Checks (level)
//! * every link found in the text (with or without scheme, [`ferret_core::urls::find_urls`]) →
//!   `check_url` — CRITICAL;
//! * the handle: `check_email` when it contains `@`, else `check_phone` — CRITICAL;
//! * heuristic, always: the text is an Apple threat notification (case-insensitive phrases in
//!   [`THREAT_PHRASES`]) — HIGH;
//! * heuristic, always: the message comes from Apple's threat-notification sender
//!   ([`THREAT_SENDERS`]; conservative: only the documented `threat-notifications@apple.com`
//!   address, compared case-insensitively, `mailto:` ignored) — HIGH.
//!
//! Timeline: `sms_received` / `sms_sent` at `isodate`.

use base64::Engine as _;
use ferret_core::evidence::BackupPath;
use ferret_core::time::from_mac_absolute_auto;
use ferret_core::toolkit::{Columns, cell};
use ferret_core::{
    ArtifactModule, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, SqliteDb, ioc_finding,
};
use jiff::Timestamp;
use rusqlite::types::ValueRef;
use serde::{Deserialize, Serialize};

/// Where `sms.db` lives (shared with `sms_attachments`).
pub const LOCATOR: Locator = Locator {
    backup: &[BackupPath { domain: "HomeDomain", path: "Library/SMS/sms.db" }],
    paths: &["private/var/mobile/Library/SMS/sms.db"],
};

/// Lower-case phrases of Apple's threat notifications (any of them anywhere in the text).
pub const THREAT_PHRASES: &[&str] = &[
    "state-sponsored attackers may be targeting your iphone",
    "apple detected a targeted mercenary spyware attack against your iphone",
    "apple believes you are being targeted by state-sponsored attackers",
    "apple believes you are being targeted by a mercenary spyware attack",
    "targeted mercenary spyware attack against your apple id",
];

/// Sender handles Apple uses for threat notifications (lower case).
pub const THREAT_SENDERS: &[&str] = &["threat-notifications@apple.com"];

/// One message (`sms.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmsMessage {
    /// `message.ROWID`.
    #[serde(rename = "ROWID")]
    pub rowid: i64,
    /// `message.guid`.
    pub guid: Option<String>,
    /// `message.date` (UTC).
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub isodate: Option<Timestamp>,
    /// `message.date_read` (UTC), null when unread or sent.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub isodate_read: Option<Timestamp>,
    /// `sent` (`is_from_me` = 1) or `received`.
    pub direction: String,
    /// `SMS`, `iMessage`, `RCS`, ...
    pub service: Option<String>,
    /// The local account (`message.account`).
    pub account: Option<String>,
    /// `message.handle_id`.
    pub handle_id: Option<i64>,
    /// The other party (`handle.id`): phone number or e-mail; null if the handle row is missing.
    pub phone_number: Option<String>,
    /// Message subject, if any.
    pub subject: Option<String>,
    /// Message text (`text`, or decoded from `attributedBody`).
    pub text: Option<String>,
    /// True when `text` was decoded from `attributedBody`.
    #[serde(default)]
    pub text_from_attributed_body: bool,
    /// Links found in the text and subject.
    #[serde(default)]
    pub links: Vec<String>,
    /// `message.date` as stored (Mac absolute time, seconds or nanoseconds), as MVT writes it.
    #[serde(default)]
    pub date: Option<i64>,
    /// `message.service_center` (the SMS centre that relayed an SMS), as MVT writes it.
    #[serde(default)]
    pub service_center: Option<String>,
    /// `message.attributedBody` as stored (an archived `NSAttributedString`), base64, as MVT
    /// writes it; null when the column is empty or absent.
    #[serde(default, rename = "attributedBody")]
    pub attributed_body: Option<String>,
}

/// The `sms` module.
#[derive(Debug, Default, Clone, Copy)]
pub struct Sms;

/// ASCII-case-insensitive substring test without allocating.
pub(crate) fn contains_ci(hay: &str, needle_lower: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle_lower.as_bytes());
    if n.is_empty() {
        return true;
    }
    h.len() >= n.len() && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// Checks a messaging handle: e-mail if it has `@`, else phone number.
pub(crate) fn check_handle(ind: &dyn Indicators, handle: &str) -> Option<ferret_core::MatchedIndicator> {
    if handle.contains('@') { ind.check_email(handle) } else { ind.check_phone(handle) }
}

// ---------------------------------------------------------------------------------------------

const MESSAGE_COLS: &[&str] = &[
    "guid",
    "text",
    "attributedBody",
    "handle_id",
    "service",
    "account",
    "subject",
    "date",
    "date_read",
    "is_from_me",
    "service_center",
];

fn is_threat_text(text: &str) -> bool {
    THREAT_PHRASES.iter().any(|p| contains_ci(text, p))
}

fn is_threat_sender(handle: &str) -> bool {
    let h = handle.trim();
    let h = match h.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("mailto:") => h.get(7..).unwrap_or_default(),
        _ => h,
    };
    THREAT_SENDERS.iter().any(|s| h.eq_ignore_ascii_case(s))
}

fn read_db<M: ArtifactModule<Record = SmsMessage>>(
    db: &SqliteDb,
    path: &str,
    out: &mut Out<'_, '_, M>,
) -> Result<(), ModuleError> {
    if !db.has_table("message") {
        out.warn(format!("{path}: no `message` table; not an sms.db or an unknown schema"));
        return Ok(());
    }
    let mut schema = Columns::default();
    let cols = schema.select_list(db, "message", "m", MESSAGE_COLS);
    let has_handle_id = db.columns("message").iter().any(|c| c.eq_ignore_ascii_case("handle_id"));
    let (handle_col, join) = if has_handle_id && db.columns("handle").iter().any(|c| c.eq_ignore_ascii_case("id")) {
        ("h.id", " LEFT JOIN handle h ON h.ROWID = m.handle_id")
    } else {
        schema.missing.push("handle.id".into());
        ("NULL", "")
    };
    schema.warn(out, path);
    let sql = format!("SELECT m.ROWID, {cols}, {handle_col} FROM message m{join} ORDER BY m.ROWID");
    let mut stmt = db.prepare(&sql).map_err(|e| ModuleError::query(path, e))?;
    let mut rows = stmt.query([]).map_err(|e| ModuleError::query(path, e))?;
    let mut undecodable = 0u64;
    while let Some(row) = rows.next().map_err(|e| ModuleError::query(path, e))? {
        let rowid = cell::i64(row, 0).unwrap_or_default();
        let mut text = cell::text(row, 2).filter(|t| !t.is_empty());
        let mut from_body = false;
        let body = match row.get_ref(3) {
            Ok(ValueRef::Blob(b)) if !b.is_empty() => Some(b),
            _ => None,
        };
        if text.is_none()
            && let Some(b) = body
        {
            match ferret_formats::typedstream::decode_text(b) {
                Ok(t) => {
                    text = Some(t);
                    from_body = true;
                }
                Err(e) => {
                    undecodable += 1;
                    if undecodable <= 20 {
                        out.warn(format!("{path}: message ROWID {rowid}: attributedBody not decoded: {e}"));
                    }
                }
            }
        }
        let subject = cell::text(row, 7).filter(|s| !s.is_empty());
        let mut links = Vec::new();
        if let Some(t) = &text {
            links.extend(ferret_core::urls::find_urls(t));
        }
        if let Some(s) = &subject {
            links.extend(ferret_core::urls::find_urls(s));
        }
        let from_me = cell::i64(row, 10).unwrap_or(0) != 0;
        let rec = SmsMessage {
            rowid,
            guid: cell::text(row, 1),
            isodate: cell::i64(row, 8).filter(|d| *d != 0).and_then(from_mac_absolute_auto),
            isodate_read: cell::i64(row, 9).filter(|d| *d != 0).and_then(from_mac_absolute_auto),
            direction: if from_me { "sent" } else { "received" }.to_string(),
            service: cell::text(row, 5),
            account: cell::text(row, 6),
            handle_id: cell::i64(row, 4),
            phone_number: cell::text(row, 12),
            subject,
            text,
            text_from_attributed_body: from_body,
            links,
            date: cell::i64(row, 8),
            service_center: cell::text(row, 11).filter(|s| !s.is_empty()),
            attributed_body: body.map(|b| base64::engine::general_purpose::STANDARD.encode(b)),
        };
        out.record(rec)?;
    }
    if undecodable > 20 {
        out.warn(format!("{path}: {undecodable} attributedBody values could not be decoded in total"));
    }
    Ok(())
}

impl ArtifactModule for Sms {
    type Record = SmsMessage;
    const NAME: &'static str = "sms";
    const DESCRIPTION: &'static str =
        "Messages (SMS/iMessage) from sms.db: links and handles vs indicators, Apple threat notifications";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        ferret_core::toolkit::each_sqlite(ctx, &LOCATOR, out, read_db)
    }

    fn timeline(&self, r: &SmsMessage, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.isodate {
            let kind = if r.direction == "sent" { "sms_sent" } else { "sms_received" };
            let who = r.phone_number.as_deref().unwrap_or("unknown");
            events.push((t, kind.to_string(), format!("{who}: {}", r.text.as_deref().unwrap_or(""))));
        }
    }

    fn check(&self, r: &SmsMessage, ind: &dyn Indicators, findings: &mut Vec<Finding>) {
        let mut seen: Vec<&str> = Vec::new();
        for link in &r.links {
            if seen.contains(&link.as_str()) {
                continue;
            }
            seen.push(link);
            if let Some(m) = ind.check_url(link) {
                findings.push(ioc_finding(Level::Critical, "Message link", link, r.isodate, m));
            }
        }
        if let Some(h) = r.phone_number.as_deref().filter(|h| !h.is_empty()) {
            if let Some(m) = check_handle(ind, h) {
                let what = if r.direction == "sent" { "Message to" } else { "Message from" };
                findings.push(ioc_finding(Level::Critical, what, h, r.isodate, m));
            }
            if r.direction == "received" && is_threat_sender(h) {
                findings.push(Finding::heuristic(
                    Level::High,
                    format!(
                        "Message from Apple's threat-notification sender {h:?}: Apple may have warned this user of a targeted spyware attack"
                    ),
                    r.isodate,
                ));
            }
        }
        if r.direction == "received"
            && let Some(t) = &r.text
            && is_threat_text(t)
        {
            findings.push(Finding::heuristic(
                Level::High,
                "Message text is an Apple threat notification (state-sponsored / mercenary spyware attack warning)",
                r.isodate,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert!(contains_ci("xx ALERT: State-Sponsored attackers may be targeting your iPhone", THREAT_PHRASES[0]));
        assert!(!contains_ci("short", "much longer needle"));
        assert!(is_threat_sender("MAILTO:Threat-Notifications@Apple.com"));
        assert!(!is_threat_sender("threat-notifications@apple.com.evil.example"));
    }
}

/// Helpers for this crate's module tests: lay generated artifacts out as a filesystem dump.
#[cfg(test)]
pub(crate) mod test_support {
    use ferret_core::evidence::FolderEvidence;
    use ferret_core::module::testing::{RunResult, run_one};
    use ferret_core::{AcquisitionKind, Context, Indicators, Module, RunOptions};
    use ferret_testdata::ArtifactFile;

    /// Writes `files` at their filesystem-dump paths under a fresh temp dir.
    pub fn layout(files: &[ArtifactFile]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        for f in files {
            let p = dir.path().join(&f.fs_path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, &f.bytes).expect("write");
        }
        dir
    }

    /// Runs `module` over a folder laid out as an iOS filesystem dump.
    pub fn run_dir(module: &dyn Module, dir: &std::path::Path, ind: &dyn Indicators) -> RunResult {
        let ev = FolderEvidence::new(dir, AcquisitionKind::IosFs);
        let opts = RunOptions::default();
        let ctx = Context { evidence: &ev, indicators: ind, options: &opts };
        run_one(module, &ctx)
    }

    /// Writes one file at `rel` under a fresh temp dir.
    pub fn single(rel: &str, bytes: &[u8]) -> tempfile::TempDir {
        layout(&[ArtifactFile {
            domain: String::new(),
            relative_path: rel.into(),
            fs_path: rel.into(),
            bytes: bytes.to_vec(),
            mtime: 0,
        }])
    }

    /// Builds a database at `rel` from SQL.
    pub fn db_from_sql(rel: &str, sql: &str) -> tempfile::TempDir {
        let files = ferret_testdata::sqlite::build(|c| c.execute_batch(sql), None).expect("builds");
        single(rel, &files.db)
    }
}

#[cfg(test)]
mod module_tests {
    use super::test_support::*;
    use super::*;
    use ferret_core::{NoIndicators, Typed};
    use ferret_testdata::fake::TruthIndicators;
    use ferret_testdata::truth::{Truth, compare};

    const FS: &str = "private/var/mobile/Library/SMS/sms.db";

    #[test]
    fn planted_cases_exact() {
        let mut truth = Truth::default();
        let files = ferret_testdata::ios::sms::generate(7, 400, &mut truth);
        assert!(files.iter().any(|f| f.fs_path.ends_with("-wal")));
        let dir = layout(&files);
        let ind = TruthIndicators::new(&truth);
        let r = run_dir(&Typed(Sms), dir.path(), &ind);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        let cmp = compare(&truth.alerts, &r.alerts, Some(&["sms"]));
        assert!(cmp.is_exact(), "missed {:#?}\nunexpected {:#?}", cmp.missed, cmp.unexpected);
        // 360 benign + 14 planted + bad-utf8 + nulls in main, 40 benign + 1 planted in WAL
        assert_eq!(r.records.len(), 360 + 14 + 2 + 40 + 1);
        assert!(r.records.iter().any(|v| v["text_from_attributed_body"] == true));
        // MVT's `attributedBody`: the stored blob in base64, decodable to the bytes of an archive
        for v in r.records.iter().filter(|v| v["text_from_attributed_body"] == true) {
            let b64 = v["attributedBody"].as_str().expect("attributedBody kept");
            let raw = base64::engine::general_purpose::STANDARD.decode(b64).expect("base64");
            assert_eq!(ferret_formats::typedstream::decode_text(&raw).ok().as_deref(), v["text"].as_str());
        }
        assert!(r.records.iter().any(|v| v["attributedBody"].is_null()), "null where the column is empty");
        assert!(r.records.iter().any(|v| v["text"].as_str().is_some_and(|t| t.contains('\u{FFFD}'))));
        assert!(r.warnings.iter().any(|w| w.contains("attributedBody")), "{:?}", r.warnings);
        assert!(r.timeline.iter().any(|e| e.event == "sms_sent"));
        // heuristics run without any indicator
        let r2 = run_dir(&Typed(Sms), dir.path(), &NoIndicators);
        assert_eq!(r2.alerts.iter().filter(|a| a.level == Level::High).count(), 2);
        assert_eq!(r2.alerts.len(), 2);
    }

    #[test]
    fn not_found_empty_old_schema_and_corrupt() {
        let empty = tempfile::tempdir().expect("dir");
        assert_eq!(run_dir(&Typed(Sms), empty.path(), &NoIndicators).outcome, Ok(Outcome::NotFound));

        let d = db_from_sql(FS, "CREATE TABLE message (ROWID INTEGER PRIMARY KEY, text TEXT);");
        let r = run_dir(&Typed(Sms), d.path(), &NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert!(r.records.is_empty());

        // very old schema: no attributedBody / date_read / handle table
        let d = db_from_sql(
            FS,
            "CREATE TABLE message (ROWID INTEGER PRIMARY KEY, guid TEXT, text TEXT, handle_id INTEGER, date INTEGER, is_from_me INTEGER);
             INSERT INTO message VALUES (1, 'g', 'see https://a.example.org/x', 3, 400000000, 0);",
        );
        let r = run_dir(&Typed(Sms), d.path(), &NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 1);
        assert_eq!(r.records[0]["links"][0], "https://a.example.org/x");
        assert!(
            r.warnings.iter().any(|w| w.contains("message.attributedBody") && w.contains("handle.id")),
            "{:?}",
            r.warnings
        );

        // the raw fields MVT writes: `date` as stored, `service_center`
        let d = db_from_sql(
            FS,
            "CREATE TABLE message (ROWID INTEGER PRIMARY KEY, guid TEXT, text TEXT, date INTEGER, is_from_me INTEGER, service_center TEXT);
             INSERT INTO message VALUES (1, 'g', 'hi', 722000000123456789, 0, '+33609001390'), (2, 'h', 'yo', 0, 1, '');",
        );
        let r = run_dir(&Typed(Sms), d.path(), &NoIndicators);
        assert_eq!(r.records[0]["date"], 722_000_000_123_456_789_i64);
        assert_eq!(r.records[0]["service_center"], "+33609001390");
        assert_eq!(r.records[0]["isodate"], "2023-11-18 11:33:20.123456");
        assert!(r.records[1]["service_center"].is_null() && r.records[1]["isodate"].is_null());

        // no message table at all
        let d = db_from_sql(FS, "CREATE TABLE other (x);");
        let r = run_dir(&Typed(Sms), d.path(), &NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert!(!r.warnings.is_empty());

        // garbage file
        let d = single(FS, &[0x53u8; 4096]);
        let r = run_dir(&Typed(Sms), d.path(), &NoIndicators);
        assert!(r.outcome.as_ref().is_err_and(|e| e.contains("sms.db")), "{:?}", r.outcome);

        // wrong types everywhere
        let d = db_from_sql(
            FS,
            "CREATE TABLE message (ROWID INTEGER PRIMARY KEY, guid BLOB, text BLOB, attributedBody TEXT, handle_id TEXT, date TEXT, date_read REAL, is_from_me TEXT);
             INSERT INTO message VALUES (1, X'00ff', X'ff', 'abc', 'x', 'yesterday', 1e300, 'maybe');",
        );
        let r = run_dir(&Typed(Sms), d.path(), &NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 1);
    }
}
