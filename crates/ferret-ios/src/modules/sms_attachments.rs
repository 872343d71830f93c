//! `sms_attachments`: files sent and received in the Messages app.
//!
//! # Artifact
//! The same `sms.db` as [`super::sms`]: `attachment ⟕ message_attachment_join ⟕ message ⟕
//! handle` (an attachment whose join row or message is gone is still listed).
//!
//! # Schema facts
//! `attachment(ROWID, guid, created_date, start_date, filename, uti, mime_type, transfer_state,
//! is_outgoing, transfer_name, total_bytes, is_sticker, ...)`. `filename` is usually
//! `~/Library/SMS/Attachments/<xx>/<nn>/<GUID>/<name>` (`~` = `/var/mobile`); `created_date` and
//! `start_date` are Mac absolute seconds (nanoseconds accepted too). `is_outgoing` gives the
//! direction; when it is NULL the message's `is_from_me` is used.
//!
//! # Checks (level)
//! * `check_file_path(filename)` — HIGH (as MVT: file hits in this artifact are HIGH);
//! * heuristic, always — MEDIUM "Suspicious iMessage attachment": a **received** attachment whose
//!   `filename`
//!   1. lies in a temporary folder: after removing a leading `/private`, it starts with
//!      `/var/tmp/` or `/tmp/` (or `~/tmp/`), or has a `..` path component; or
//!   2. has a basename with no extension that ends in `-` followed by 1–3 digits (e.g.
//!      `1F2E…-1`), the name pattern left by zero-click deliveries (FORCEDENTRY-era reports
//!      describe `.gif`-typed PDF/JBIG2 payloads saved under `/var/tmp/` with a `-1` suffix).
//!
//!   Sent attachments never trigger it (the user chose the file).
//!
//! Timeline: `sms_attachment_received` / `sms_attachment_sent` at `created_date`.

use ferret_core::time::from_mac_absolute_auto;
use ferret_core::toolkit::{Columns, cell};
use ferret_core::{
    ArtifactModule, Context, Finding, Indicators, Level, ModuleError, Out, Outcome, SqliteDb, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::sms::LOCATOR;

/// One attachment (`sms_attachments.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmsAttachment {
    /// `attachment.ROWID`.
    #[serde(rename = "ROWID")]
    pub rowid: i64,
    /// `attachment.guid`.
    pub guid: Option<String>,
    /// `created_date` (UTC).
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub isodate: Option<Timestamp>,
    /// `start_date` (UTC).
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub start_date: Option<Timestamp>,
    /// Stored path of the file on the phone.
    pub filename: Option<String>,
    /// MIME type.
    pub mime_type: Option<String>,
    /// Uniform type identifier.
    pub uti: Option<String>,
    /// File name as transferred.
    pub transfer_name: Option<String>,
    /// Size in bytes.
    pub total_bytes: Option<i64>,
    /// `sent` or `received`.
    pub direction: String,
    /// Whether it is a sticker.
    pub is_sticker: Option<i64>,
    /// The message it belongs to (`message.ROWID`), if any.
    pub message_id: Option<i64>,
    /// Service of that message.
    pub service: Option<String>,
    /// The other party (`handle.id`).
    pub phone_number: Option<String>,
}

/// The `sms_attachments` module.
#[derive(Debug, Default, Clone, Copy)]
pub struct SmsAttachments;

const ATT_COLS: &[&str] = &[
    "guid",
    "created_date",
    "start_date",
    "filename",
    "mime_type",
    "uti",
    "transfer_name",
    "total_bytes",
    "is_outgoing",
    "is_sticker",
];

/// Why a received attachment path looks like an exploit delivery, if it does.
pub fn suspicious_reason(filename: &str) -> Option<&'static str> {
    let p = filename.strip_prefix("/private").unwrap_or(filename);
    if p.starts_with("/var/tmp/") || p.starts_with("/tmp/") || p.starts_with("~/tmp/") {
        return Some("is stored in a temporary folder instead of the Messages attachment folder");
    }
    if p.split('/').any(|c| c == "..") {
        return Some("has a path that climbs out of its folder (`..`)");
    }
    let base = p.rsplit('/').next().unwrap_or(p);
    if !base.contains('.')
        && let Some((stem, digits)) = base.rsplit_once('-')
        && !stem.is_empty()
        && (1..=3).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
    {
        return Some("has a `-1`-style name with no file extension");
    }
    None
}

fn read_db(db: &SqliteDb, path: &str, out: &mut Out<'_, '_, SmsAttachments>) -> Result<(), ModuleError> {
    if !db.has_table("attachment") {
        out.warn(format!("{path}: no `attachment` table"));
        return Ok(());
    }
    let mut schema = Columns::default();
    let cols = schema.select_list(db, "attachment", "a", ATT_COLS);
    let joinable = db.has_table("message_attachment_join") && db.has_table("message");
    let cols = format!("a.ROWID, {cols}");
    let sql = if joinable {
        let mcols = schema.select_list(db, "message", "m", &["service", "is_from_me"]);
        let has_handle_id = db.columns("message").iter().any(|c| c.eq_ignore_ascii_case("handle_id"));
        let (hcol, hjoin) = if db.has_table("handle") && has_handle_id {
            ("h.id", " LEFT JOIN handle h ON h.ROWID = m.handle_id")
        } else {
            ("NULL", "")
        };
        format!(
            "SELECT {cols}, j.message_id, {mcols}, {hcol} FROM attachment a \
             LEFT JOIN message_attachment_join j ON j.attachment_id = a.ROWID \
             LEFT JOIN message m ON m.ROWID = j.message_id{hjoin} ORDER BY a.ROWID, j.message_id"
        )
    } else {
        schema.missing.push("message_attachment_join".into());
        format!("SELECT {cols}, NULL, NULL, NULL, NULL FROM attachment a ORDER BY a.ROWID")
    };
    schema.warn(out, path);
    let mut stmt = db.prepare(&sql).map_err(|e| ModuleError::query(path, e))?;
    let mut rows = stmt.query([]).map_err(|e| ModuleError::query(path, e))?;
    while let Some(row) = rows.next().map_err(|e| ModuleError::query(path, e))? {
        let outgoing = cell::i64(row, 9).or_else(|| cell::i64(row, 13)).unwrap_or(0) != 0;
        let rec = SmsAttachment {
            rowid: cell::i64(row, 0).unwrap_or_default(),
            guid: cell::text(row, 1),
            isodate: cell::i64(row, 2).filter(|d| *d != 0).and_then(from_mac_absolute_auto),
            start_date: cell::i64(row, 3).filter(|d| *d != 0).and_then(from_mac_absolute_auto),
            filename: cell::text(row, 4),
            mime_type: cell::text(row, 5),
            uti: cell::text(row, 6),
            transfer_name: cell::text(row, 7),
            total_bytes: cell::i64(row, 8),
            direction: if outgoing { "sent" } else { "received" }.to_string(),
            is_sticker: cell::i64(row, 10),
            message_id: cell::i64(row, 11),
            service: cell::text(row, 12),
            phone_number: cell::text(row, 14),
        };
        out.record(rec)?;
    }
    Ok(())
}

impl ArtifactModule for SmsAttachments {
    type Record = SmsAttachment;
    const NAME: &'static str = "sms_attachments";
    const DESCRIPTION: &'static str =
        "Messages attachments from sms.db: file paths vs indicators, attachments saved like zero-click deliveries";
    const SHARES_DATABASE_WITH: Option<&'static str> = Some("sms");

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        ferret_core::toolkit::each_sqlite(ctx, &LOCATOR, out, read_db)
    }

    fn timeline(&self, r: &SmsAttachment, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.isodate {
            let kind = if r.direction == "sent" { "sms_attachment_sent" } else { "sms_attachment_received" };
            let desc = format!(
                "{} ({}, {} bytes) {} {}",
                r.filename.as_deref().unwrap_or(""),
                r.mime_type.as_deref().unwrap_or("unknown type"),
                r.total_bytes.unwrap_or(0),
                if r.direction == "sent" { "to" } else { "from" },
                r.phone_number.as_deref().unwrap_or("unknown"),
            );
            events.push((t, kind.to_string(), desc));
        }
    }

    fn check(&self, r: &SmsAttachment, ind: &dyn Indicators, findings: &mut Vec<Finding>) {
        let Some(name) = r.filename.as_deref().filter(|n| !n.is_empty()) else { return };
        if let Some(m) = ind.check_file_path(name) {
            findings.push(ioc_finding(Level::High, "Messages attachment", name, r.isodate, m));
        }
        if r.direction == "received"
            && let Some(reason) = suspicious_reason(name)
        {
            findings.push(Finding::heuristic(
                Level::Medium,
                format!(
                    "Suspicious iMessage attachment: the received file {name:?} {reason}, a pattern seen in zero-click exploit deliveries"
                ),
                r.isodate,
            ));
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
    fn rule() {
        assert!(suspicious_reason("/var/tmp/com.apple.messages/ABC-1").is_some());
        assert!(suspicious_reason("/private/var/tmp/x.gif").is_some());
        assert!(suspicious_reason("~/Library/SMS/Attachments/../../tmp/x.png").is_some());
        assert!(suspicious_reason("~/Library/SMS/Attachments/0a/10/G/ABCDEF-1").is_some());
        assert!(suspicious_reason("~/Library/SMS/Attachments/0a/10/G/IMG_0001.HEIC").is_none());
        assert!(suspicious_reason("~/Library/SMS/Attachments/0a/10/G/photo-1.jpg").is_none());
        assert!(suspicious_reason("~/Library/SMS/Attachments/0a/10/G/-1").is_none());
        assert!(suspicious_reason("~/Library/SMS/Attachments/0a/10/G/name-1234").is_none());
        assert!(suspicious_reason("").is_none());
    }

    #[test]
    fn planted_cases_exact() {
        let mut truth = Truth::default();
        let files = ferret_testdata::ios::sms::generate(11, 400, &mut truth);
        let dir = layout(&files);
        let ind = TruthIndicators::new(&truth);
        let r = run_dir(&Typed(SmsAttachments), dir.path(), &ind);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        let cmp = compare(&truth.alerts, &r.alerts, Some(&["sms_attachments"]));
        assert!(cmp.is_exact(), "missed {:#?}\nunexpected {:#?}", cmp.missed, cmp.unexpected);
        assert!(r.records.len() > 4);
        assert!(r.records.iter().all(|v| v["message_id"].is_i64()));
        let r2 = run_dir(&Typed(SmsAttachments), dir.path(), &NoIndicators);
        assert_eq!(r2.alerts.len(), 2);
    }

    #[test]
    fn orphan_attachment_and_old_schema() {
        let d = db_from_sql(
            "private/var/mobile/Library/SMS/sms.db",
            "CREATE TABLE attachment (ROWID INTEGER PRIMARY KEY, guid TEXT, filename TEXT, created_date INTEGER);
             INSERT INTO attachment VALUES (1, 'g', '/var/tmp/zz-1', 600000000);
             INSERT INTO attachment VALUES (2, NULL, NULL, NULL);",
        );
        let r = run_dir(&Typed(SmsAttachments), d.path(), &NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 2);
        assert_eq!(r.alerts.len(), 1);
        assert!(r.warnings.iter().any(|w| w.contains("attachment.is_outgoing")));
    }
}
