//! `logcat` (bugreport: the `SYSTEM LOG`, `EVENT LOG` and other `... LOG` sections of the
//! dumpstate, streamed) and `aqf_logcat` (androidqf `logcat*.txt`): URLs seen in logs.
//!
//! The log is read line by line with a 64 KiB line cap and never held in memory; only lines
//! containing `://` are searched for URLs. One record per distinct URL (first line, count), at most
//! [`MAX_URLS`] distinct URLs (then a warning). Checks: URL/domain matching an indicator → CRITICAL.

use std::collections::HashMap;

use ferret_core::{ArtifactModule, Context, Evidence, EvidenceFile, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding};
use serde::{Deserialize, Serialize};

use crate::dumpstate::{Marker, find_dumpstate, marker};
use crate::text::{capped_lines, lossy};

/// Most distinct URLs kept per run.
pub const MAX_URLS: usize = 100_000;
const LINE_CAP: usize = 64 << 10;

/// One URL seen in a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogUrl {
    /// The URL.
    pub url: String,
    /// Log file.
    pub file: String,
    /// First line number (1-based, in the file).
    pub first_line: u64,
    /// First line's text (up to 500 characters).
    pub first_text: String,
    /// How many lines hold it.
    pub count: u64,
}

fn check_url(r: &LogUrl, ind: &dyn Indicators, f: &mut Vec<Finding>) {
    if let Some(m) = ind.check_url(&r.url) {
        f.push(ioc_finding(Level::Critical, "URL in the device log", &r.url, None, m));
    }
}

/// Scans one log stream; `sections` = only lines inside dumpstate `... LOG` sections.
fn scan(
    ev: &dyn Evidence,
    file: &EvidenceFile,
    sections: bool,
    urls: &mut HashMap<String, LogUrl>,
    warn: &mut Vec<String>,
) -> Result<(), ModuleError> {
    let r = ev.open(file)?;
    let mut lines = capped_lines(r, LINE_CAP);
    let mut inside = !sections;
    let finder = memchr::memmem::Finder::new(b"://");
    let mut line_no = 0u64;
    while let Some(raw) = lines.next_line().map_err(|e| ModuleError::format(&file.path, format!("cannot read: {e}")))? {
        line_no += 1;
        if sections && (raw.starts_with(b"------") || raw.starts_with(b"DUMP OF SERVICE ")) {
            match marker(&lossy(raw)) {
                Marker::Section(t) => {
                    inside = t.ends_with(" LOG");
                    continue;
                }
                Marker::Service(_) | Marker::End => {
                    inside = false;
                    continue;
                }
                Marker::None => {}
            }
        }
        if !inside || finder.find(raw).is_none() {
            continue;
        }
        let text = lossy(raw);
        for u in ferret_core::urls::find_urls(&text) {
            if let Some(e) = urls.get_mut(&u) {
                e.count += 1;
            } else if urls.len() < MAX_URLS {
                urls.insert(
                    u.clone(),
                    LogUrl { url: u, file: file.path.clone(), first_line: line_no, first_text: text.chars().take(500).collect(), count: 1 },
                );
            } else if warn.is_empty() {
                warn.push(format!("{}: more than {MAX_URLS} distinct URLs; the rest are not checked", file.path));
            }
        }
    }
    Ok(())
}

fn emit<M: ArtifactModule<Record = LogUrl>>(urls: HashMap<String, LogUrl>, out: &mut Out<'_, '_, M>) -> Result<(), ModuleError> {
    let mut v: Vec<LogUrl> = urls.into_values().collect();
    v.sort_by(|a, b| (&a.file, a.first_line, &a.url).cmp(&(&b.file, b.first_line, &b.url)));
    for r in v {
        out.record(r)?;
    }
    Ok(())
}

/// Bugreport form.
#[derive(Debug, Clone, Copy)]
pub struct Logcat;

impl ArtifactModule for Logcat {
    type Record = LogUrl;
    const NAME: &'static str = "logcat";
    const DESCRIPTION: &'static str = "URLs in the device logs (bugreport)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some(file) = find_dumpstate(ctx.evidence)? else { return Ok(Outcome::NotFound) };
        let mut urls = HashMap::new();
        let mut warn = Vec::new();
        scan(ctx.evidence, &file, true, &mut urls, &mut warn)?;
        warn.into_iter().for_each(|w| out.warn(w));
        emit(urls, out)?;
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &LogUrl, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        check_url(r, ind, f);
    }
}

/// androidqf form.
#[derive(Debug, Clone, Copy)]
pub struct AqfLogcat;

static PATHS: &[&str] = &["logcat*.txt", "*/logcat*.txt"];

impl ArtifactModule for AqfLogcat {
    type Record = LogUrl;
    const NAME: &'static str = "aqf_logcat";
    const DESCRIPTION: &'static str = "URLs in the device logs (androidqf logcat*.txt)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let files = ctx.evidence.locate(&Locator { backup: &[], paths: PATHS })?;
        if files.is_empty() {
            return Ok(Outcome::NotFound);
        }
        let mut urls = HashMap::new();
        let mut warn = Vec::new();
        for f in &files {
            scan(ctx.evidence, f, false, &mut urls, &mut warn)?;
        }
        warn.into_iter().for_each(|w| out.warn(w));
        emit(urls, out)?;
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &LogUrl, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        check_url(r, ind, f);
    }
}
