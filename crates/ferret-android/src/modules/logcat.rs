//! `logcat` (bugreport: the `SYSTEM LOG`, `EVENT LOG` and other `... LOG` sections of the
//! dumpstate, streamed) and `aqf_logcat` (androidqf `logcat*.txt`): URLs and started processes
//! seen in logs.
//!
//! The log is read line by line with a 64 KiB line cap and never held in memory; only lines
//! containing `://` are searched for URLs, and only `Start proc <pid>:<name>/...` (ActivityManager)
//! and `am_proc_start: [user,pid,uid,<name>,...]` (event log) lines for process names. One record
//! per distinct value (`kind` `url` or `process`; first line, count), at most [`MAX_URLS`]
//! distinct URLs and as many process names (then a warning). Checks: URL/domain matching an indicator → CRITICAL;
//! process name (before any `:`) matching an app indicator, else a process indicator → CRITICAL.

use std::collections::HashMap;

use ferret_core::{
    ArtifactModule, Context, Evidence, EvidenceFile, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome,
    ioc_finding,
};
use serde::{Deserialize, Serialize};

use crate::dumpstate::{Marker, find_dumpstate, marker};
use crate::text::{capped_lines, lossy};

/// Most distinct URLs kept per run.
pub const MAX_URLS: usize = 100_000;
const LINE_CAP: usize = 64 << 10;

/// One URL or process name seen in a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogUrl {
    /// `url` or `process`.
    pub kind: String,
    /// The URL or process name.
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
    if r.kind == "process" {
        let app = r.url.split(':').next().unwrap_or(&r.url);
        if let Some(m) = ind.check_app_id(app).or_else(|| ind.check_process(&r.url)) {
            f.push(ioc_finding(Level::Critical, "Process started in the device log", &r.url, None, m));
        }
    } else if let Some(m) = ind.check_url(&r.url) {
        f.push(ioc_finding(Level::Critical, "URL in the device log", &r.url, None, m));
    }
}

/// [`started_process`] on raw bytes.
pub fn started_process_bytes(line: &[u8]) -> Option<&[u8]> {
    if let Some(i) = memchr::memmem::find(line, b"Start proc ") {
        let rest = line.get(i + 11..)?;
        let colon = memchr::memchr(b':', rest)?;
        let rest = rest.get(colon + 1..)?;
        let end = rest.iter().position(|b| *b == b'/' || *b == b' ').unwrap_or(rest.len());
        return rest.get(..end).filter(|n| !n.is_empty());
    }
    if let Some(i) = memchr::memmem::find(line, b"am_proc_start: [") {
        let rest = line.get(i + 16..)?;
        let n = rest.split(|b| *b == b',').nth(3)?.trim_ascii();
        return Some(n).filter(|n| !n.is_empty());
    }
    None
}

/// The process name of an ActivityManager `Start proc` line or an `am_proc_start` event.
pub fn started_process(line: &str) -> Option<&str> {
    if let Some(i) = line.find("Start proc ") {
        let rest = &line[i + 11..];
        let (_, rest) = rest.split_once(':')?;
        let end = rest.find(['/', ' ']).unwrap_or(rest.len());
        return Some(&rest[..end]).filter(|n| !n.is_empty());
    }
    if let Some(i) = line.find("am_proc_start: [") {
        return line[i + 16..].split(',').nth(3).map(str::trim).filter(|n| !n.is_empty());
    }
    None
}

/// Scans one log stream; `sections` = only lines inside dumpstate `... LOG` sections.
fn scan(
    ev: &dyn Evidence,
    file: &EvidenceFile,
    sections: bool,
    urls: &mut HashMap<String, LogUrl>,
    procs: &mut HashMap<String, LogUrl>,
    warn: &mut Vec<String>,
) -> Result<(), ModuleError> {
    let r = ev.open(file)?;
    let mut lines = capped_lines(r, LINE_CAP);
    let mut inside = !sections;
    let finder = memchr::memmem::Finder::new(b"://");
    let proc1 = memchr::memmem::Finder::new(b"Start proc ");
    let proc2 = memchr::memmem::Finder::new(b"am_proc_start: [");
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
        if !inside {
            continue;
        }
        let has_url = finder.find(raw).is_some();
        let has_proc = proc1.find(raw).is_some() || proc2.find(raw).is_some();
        if !has_url && !has_proc {
            continue;
        }
        let mut found: Vec<(&str, String)> = Vec::new();
        if has_proc {
            // fast path: most process lines repeat a known name; decode only the name
            let name = started_process_bytes(raw);
            if let Some(n) = name {
                let n = lossy(n);
                match procs.get_mut(n.as_ref()) {
                    Some(e) => e.count += 1,
                    None => found.push(("process", n.into_owned())),
                }
            }
        }
        if !has_url && found.is_empty() {
            continue;
        }
        let text = lossy(raw);
        if has_url {
            found.extend(ferret_core::urls::find_urls(&text).into_iter().map(|u| ("url", u)));
        }
        for (kind, u) in found {
            let map = if kind == "process" { &mut *procs } else { &mut *urls };
            if let Some(e) = map.get_mut(&u) {
                e.count += 1;
            } else if map.len() < MAX_URLS {
                map.insert(
                    u.clone(),
                    LogUrl {
                        kind: kind.to_string(),
                        url: u,
                        file: file.path.clone(),
                        first_line: line_no,
                        first_text: text.chars().take(500).collect(),
                        count: 1,
                    },
                );
            } else if warn.is_empty() {
                warn.push(format!(
                    "{}: more than {MAX_URLS} distinct URLs and processes; the rest are not checked",
                    file.path
                ));
            }
        }
    }
    Ok(())
}

fn emit<M: ArtifactModule<Record = LogUrl>>(
    urls: HashMap<String, LogUrl>,
    procs: HashMap<String, LogUrl>,
    out: &mut Out<'_, '_, M>,
) -> Result<(), ModuleError> {
    let mut v: Vec<LogUrl> = urls.into_values().chain(procs.into_values()).collect();
    v.sort_by(|a, b| (&a.file, a.first_line, &a.kind, &a.url).cmp(&(&b.file, b.first_line, &b.kind, &b.url)));
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
    const DESCRIPTION: &'static str = "URLs and started processes in the device logs (bugreport)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some(file) = find_dumpstate(ctx.evidence)? else { return Ok(Outcome::NotFound) };
        let (mut urls, mut procs) = (HashMap::new(), HashMap::new());
        let mut warn = Vec::new();
        scan(ctx.evidence, &file, true, &mut urls, &mut procs, &mut warn)?;
        warn.into_iter().for_each(|w| out.warn(w));
        emit(urls, procs, out)?;
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
    const DESCRIPTION: &'static str = "URLs and started processes in the device logs (androidqf logcat*.txt)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let files = ctx.evidence.locate(&Locator { backup: &[], paths: PATHS })?;
        if files.is_empty() {
            return Ok(Outcome::NotFound);
        }
        let (mut urls, mut procs) = (HashMap::new(), HashMap::new());
        let mut warn = Vec::new();
        for f in &files {
            scan(ctx.evidence, f, false, &mut urls, &mut procs, &mut warn)?;
        }
        warn.into_iter().for_each(|w| out.warn(w));
        emit(urls, procs, out)?;
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &LogUrl, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        check_url(r, ind, f);
    }
}

#[cfg(test)]
mod tests {
    use super::started_process;

    #[test]
    fn process_lines() {
        assert_eq!(
            started_process("I ActivityManager: Start proc 1234:com.x.y:remote/u0a12 for service"),
            Some("com.x.y:remote")
        );
        assert_eq!(
            started_process("I am_proc_start: [0,1234,10100,com.benign.x,activity,{com.benign.x/.Main}]"),
            Some("com.benign.x")
        );
        assert_eq!(started_process("Start proc nothing"), None);
        assert_eq!(started_process("am_proc_start: [0,1]"), None);
        assert_eq!(started_process(""), None);
        assert_eq!(super::started_process_bytes(b"x Start proc 1:a.b/u0"), Some(&b"a.b"[..]));
        assert_eq!(super::started_process_bytes(b"am_proc_start: [0,1,2, c.d ,x]"), Some(&b"c.d"[..]));
        assert_eq!(super::started_process_bytes(b"Start proc 1"), None);
    }
}
