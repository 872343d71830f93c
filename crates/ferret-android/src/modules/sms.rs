//! `sms`: SMS/MMS from an Android backup (`apps/com.android.providers.telephony/d_f/*_sms_backup`
//! and `*_mms_backup`: zlib-compressed JSON arrays of message objects).
//!
//! Fields: `address`, `body` (`mms_body` in MMS backups), `date` and `date_sent` (Unix ms);
//! `direction` is `sent` when `date_sent` is non-zero, else `received`. Links are found in the
//! body. Checks: a link matching a URL/domain indicator → CRITICAL (one alert per matching link).
//! Timeline: `sms_received` / `sms_sent`.

use std::io::Read;

use ferret_core::{
    ArtifactModule, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sms {
    /// Backup file.
    pub file: String,
    /// Other party.
    pub address: Option<String>,
    /// Text.
    pub body: Option<String>,
    /// When (UTC).
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub isodate: Option<Timestamp>,
    /// `sent` or `received`.
    pub direction: String,
    /// Links in the body.
    pub links: Vec<String>,
}

/// The module.
#[derive(Debug, Clone, Copy)]
pub struct SmsBackup;

static PATHS: &[&str] = &[
    "apps/com.android.providers.telephony/d_f/*_sms_backup",
    "apps/com.android.providers.telephony/d_f/*_mms_backup",
    "**/apps/com.android.providers.telephony/d_f/*_sms_backup",
    "**/apps/com.android.providers.telephony/d_f/*_mms_backup",
];

fn num(v: Option<&serde_json::Value>) -> i64 {
    match v {
        Some(serde_json::Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(serde_json::Value::String(s)) => s.trim().parse().unwrap_or(0),
        _ => 0,
    }
}

impl ArtifactModule for SmsBackup {
    type Record = Sms;
    const NAME: &'static str = "sms";
    const DESCRIPTION: &'static str = "SMS and MMS from an Android backup";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let mut files = ctx.evidence.locate(&Locator { backup: &[], paths: PATHS })?;
        files.dedup_by(|a, b| a.path == b.path);
        if files.is_empty() {
            return Ok(Outcome::NotFound);
        }
        for f in files {
            let mut json = Vec::new();
            let r = ctx.evidence.open(&f)?.take(256 << 20);
            flate2::read::ZlibDecoder::new(r)
                .take(1 << 30)
                .read_to_end(&mut json)
                .map_err(|e| ModuleError::format(&f.path, format!("not zlib data: {e}")))?;
            let list: Vec<serde_json::Value> = serde_json::from_slice(&json)
                .map_err(|e| ModuleError::format(&f.path, format!("not a JSON array: {e}")))?;
            for (i, m) in list.into_iter().enumerate() {
                let Some(o) = m.as_object() else {
                    out.warn(format!("{}: message {i} is not an object", f.path));
                    continue;
                };
                let body = o.get("body").or_else(|| o.get("mms_body")).and_then(|v| v.as_str()).map(str::to_string);
                let links = body.as_deref().map(ferret_core::urls::find_urls).unwrap_or_default();
                out.record(Sms {
                    file: f.path.clone(),
                    address: o.get("address").and_then(|v| v.as_str()).map(str::to_string),
                    isodate: ferret_core::time::from_unix_ms(num(o.get("date"))),
                    direction: if num(o.get("date_sent")) != 0 { "sent".into() } else { "received".into() },
                    body,
                    links,
                })?;
            }
        }
        Ok(Outcome::Completed)
    }

    fn timeline(&self, r: &Sms, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.isodate {
            events.push((
                t,
                format!("sms_{}", r.direction),
                format!("{}: {}", r.address.as_deref().unwrap_or("?"), r.body.as_deref().unwrap_or("")),
            ));
        }
    }

    fn check(&self, r: &Sms, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        let mut seen = std::collections::HashSet::new();
        for l in &r.links {
            if seen.insert(l.as_str())
                && let Some(m) = ind.check_url(l)
            {
                f.push(ioc_finding(Level::Critical, "Link in SMS", l, r.isodate, m));
            }
        }
    }
}
