//! `crash_logs`: crash, jetsam, stackshot and panic reports (`.ips`).
//!
//! Format facts (Apple "Interpreting the JSON format of a crash report", sysdiagnose samples):
//! * Locations: sysdiagnose `crashes_and_spins/**/*.ips` (including `Panics/`, `Retired/`);
//!   filesystem dump `private/var/mobile/Library/Logs/CrashReporter/**/*.ips`.
//! * Line 1 is a one-line JSON header: `app_name`, `name`, `bug_type` (string: `309` crash,
//!   `288` stackshot, `298` jetsam, `210` panic, `385` ...), `timestamp`
//!   (`YYYY-MM-DD HH:MM:SS.ff ±ZZZZ`), `os_version`, `bundleID`, `incident_id`, `app_version`.
//! * The rest is the body: JSON for iOS 15+ crash reports (`procName`, `procPath`, `pid`,
//!   `parentProc`, `parentPid`, `responsibleProc`, `coalitionName`, `bundleInfo`), or older
//!   `Key: value` text (`Process:`, `Path:`, `Parent Process:`, `Responsible Process:`,
//!   `Identifier:`); both are read.
//!
//! Record: one per report with the header fields and the process fields of the body.
//!
//! Checks and heuristics (levels):
//! * CRITICAL: `proc_path` matches a file-path indicator, or a process name (`app_name`, `name`,
//!   `proc_name`, `parent_proc`, `responsible_proc`) a process indicator, or `bundle_id` an app
//!   indicator.
//! * HIGH (always): `proc_path` is in a data/temporary folder (`/private/var/db/`, `/tmp/`, ...).
//! * MEDIUM (always): `proc_path` is in another non-standard location.
//!
//! Timeline: `crash` at the header timestamp.

use ferret_core::{
    ArtifactModule, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::executable_paths::{PathClass, check_path_or_process, classify};

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct CrashLogs;

/// One crash/diagnostic report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrashReport {
    /// Report file (path inside the acquisition).
    pub file: String,
    /// `bug_type`.
    pub bug_type: Option<String>,
    /// What the bug type means, when known.
    pub bug_type_description: Option<String>,
    /// Header `timestamp`, as UTC.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub isodate: Option<Timestamp>,
    /// `app_name`.
    pub app_name: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `bundleID`.
    pub bundle_id: Option<String>,
    /// `os_version`.
    pub os_version: Option<String>,
    /// `incident_id`.
    pub incident_id: Option<String>,
    /// Body `procName` / `Process:`.
    pub proc_name: Option<String>,
    /// Body `procPath` / `Path:`.
    pub proc_path: Option<String>,
    /// Body `pid`.
    pub pid: Option<i64>,
    /// Body `parentProc` / `Parent Process:`.
    pub parent_proc: Option<String>,
    /// Body `responsibleProc` / `Responsible Process:`.
    pub responsible_proc: Option<String>,
    /// Body `coalitionName`.
    pub coalition: Option<String>,
}

static LOCATOR: Locator = Locator {
    backup: &[],
    paths: &["crashes_and_spins/**/*.ips", "private/var/mobile/Library/Logs/CrashReporter/**/*.ips"],
};

const LIMIT: u64 = 64 * 1024 * 1024;

fn bug_type_description(t: &str) -> Option<&'static str> {
    Some(match t {
        "109" | "309" => "crash",
        "288" => "stackshot",
        "298" => "jetsam (memory pressure)",
        "210" => "kernel panic",
        "385" => "hang",
        "313" => "excessive resource use",
        "211" => "analytics",
        _ => return None,
    })
}

fn text_of(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Parses the header timestamp `2024-01-01 10:00:00.00 +0100`.
pub fn parse_ips_time(s: &str) -> Option<Timestamp> {
    let (dt, off) = s.trim().rsplit_once(' ')?;
    let (date, time) = dt.split_once(' ')?;
    let time = match time.split_once('.') {
        Some((hms, frac)) => format!("{hms}.{}", frac.chars().take(9).collect::<String>()),
        None => time.to_string(),
    };
    let off = if off.len() == 5 { format!("{}:{}", off.get(..3)?, off.get(3..)?) } else { off.to_string() };
    format!("{date}T{time}{off}").parse().ok()
}

/// Parses one `.ips` report.
pub fn parse(bytes: &[u8], file: &str) -> Result<CrashReport, String> {
    let text = String::from_utf8_lossy(bytes);
    let (first, body) = text.split_once('\n').unwrap_or((&text, ""));
    let header: Value =
        serde_json::from_str(first.trim()).map_err(|e| format!("first line is not a JSON header: {e}"))?;
    if !header.is_object() {
        return Err("first line is not a JSON object".into());
    }
    let mut r = CrashReport {
        file: file.to_string(),
        bug_type: text_of(&header, "bug_type"),
        bug_type_description: None,
        isodate: text_of(&header, "timestamp").and_then(|t| parse_ips_time(&t)),
        app_name: text_of(&header, "app_name"),
        name: text_of(&header, "name"),
        bundle_id: text_of(&header, "bundleID"),
        os_version: text_of(&header, "os_version"),
        incident_id: text_of(&header, "incident_id"),
        proc_name: None,
        proc_path: None,
        pid: None,
        parent_proc: None,
        responsible_proc: None,
        coalition: None,
    };
    r.bug_type_description = r.bug_type.as_deref().and_then(bug_type_description).map(str::to_string);
    let body_t = body.trim_start();
    if body_t.starts_with('{') {
        if let Ok(b) = serde_json::from_str::<Value>(body_t) {
            r.proc_name = text_of(&b, "procName");
            r.proc_path = text_of(&b, "procPath");
            r.pid = b.get("pid").and_then(Value::as_i64);
            r.parent_proc = text_of(&b, "parentProc");
            r.responsible_proc = text_of(&b, "responsibleProc");
            r.coalition = text_of(&b, "coalitionName");
        }
    } else {
        for line in body.lines().take(200) {
            let Some((k, v)) = line.split_once(':') else { continue };
            // `Process: name [123]`
            let v = v.trim();
            let name_only = || v.split(" [").next().unwrap_or(v).trim().to_string();
            match k.trim() {
                "Process" if r.proc_name.is_none() => r.proc_name = Some(name_only()),
                "Path" if r.proc_path.is_none() => r.proc_path = Some(v.to_string()),
                "Parent Process" if r.parent_proc.is_none() => r.parent_proc = Some(name_only()),
                "Responsible Process" | "Responsible" if r.responsible_proc.is_none() => {
                    r.responsible_proc = Some(name_only())
                }
                "Coalition" if r.coalition.is_none() => r.coalition = Some(name_only()),
                _ => {}
            }
        }
    }
    Ok(r)
}

impl ArtifactModule for CrashLogs {
    type Record = CrashReport;
    const NAME: &'static str = "crash_logs";
    const DESCRIPTION: &'static str = "Crash, jetsam, stackshot and panic reports (.ips)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let files = ctx.evidence.locate(&LOCATOR)?;
        if files.is_empty() {
            return Ok(Outcome::NotFound);
        }
        for file in &files {
            if file.relative_path.rsplit('/').next().is_some_and(|n| n.starts_with("._")) {
                continue; // AppleDouble metadata of a copied folder
            }
            let bytes = match ctx.evidence.read(file, LIMIT) {
                Ok(b) => b,
                Err(e) => {
                    out.warn(format!("{}: skipped: {e}", file.path));
                    continue;
                }
            };
            match parse(&bytes, &file.path) {
                Ok(r) => out.record(r)?,
                Err(e) => out.warn(format!("{}: skipped: {e}", file.path)),
            }
        }
        Ok(Outcome::Completed)
    }

    fn timeline(&self, r: &CrashReport, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.isodate {
            let who =
                r.proc_path.as_deref().or(r.app_name.as_deref()).or(r.name.as_deref()).unwrap_or("unknown process");
            events.push((
                t,
                "crash".into(),
                format!(
                    "{} report ({}) for {who}",
                    r.bug_type_description.as_deref().unwrap_or("diagnostic"),
                    r.bug_type.as_deref().unwrap_or("?")
                ),
            ));
        }
    }

    fn check(&self, r: &CrashReport, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        let mut hit = r.proc_path.as_deref().and_then(|p| check_path_or_process(ind, p).map(|m| (p.to_string(), m)));
        if hit.is_none() {
            let names = [&r.app_name, &r.name, &r.proc_name, &r.parent_proc, &r.responsible_proc];
            hit = names.into_iter().flatten().find_map(|n| ind.check_process(n).map(|m| (n.clone(), m)));
        }
        if let Some((v, m)) = hit {
            f.push(ioc_finding(Level::Critical, "Crash report of process", &v, r.isodate, m));
        }
        if let Some(b) = &r.bundle_id
            && let Some(m) = ind.check_app_id(b)
        {
            f.push(ioc_finding(Level::Critical, "Crash report of app", b, r.isodate, m));
        }
        if let Some(p) = &r.proc_path {
            match classify(p) {
                PathClass::Suspicious => f.push(Finding::heuristic(
                    Level::High,
                    format!("Crash report of {p:?}, which ran from a data or temporary folder where no legitimate iOS binary lives"),
                    r.isodate,
                )),
                PathClass::Unusual => f.push(Finding::heuristic(
                    Level::Medium,
                    format!("Crash report of {p:?}, which ran from an unusual location (outside the system volume and app bundles)"),
                    r.isodate,
                )),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::executable_paths::testing::{both, exact_on_both, run_on};

    use ferret_testdata::sysdiagnose::SysFile;
    use ferret_testdata::truth::Truth;

    #[test]
    fn recall_and_precision_folder_and_targz() {
        let mut truth = Truth::default();
        let files = ferret_testdata::sysdiagnose::crash_logs(9, 20, &mut truth);
        let r = exact_on_both(CrashLogs, &files, &truth, "crash_logs");
        assert_eq!(r.records.len(), 23);
        assert_eq!(r.timeline.len(), 23);
    }

    #[test]
    fn text_body_garbage_and_time() {
        let text = b"{\"bug_type\":\"109\",\"timestamp\":\"2024-01-02 03:04:05.67 +0100\",\"app_name\":\"x\"}\nProcess: evil [12]\nPath: /tmp/evil\nParent Process: launchd [1]\n";
        let r = parse(text, "a.ips").expect("parse");
        assert_eq!(r.proc_name.as_deref(), Some("evil"));
        assert_eq!(r.proc_path.as_deref(), Some("/tmp/evil"));
        assert_eq!(r.parent_proc.as_deref(), Some("launchd"));
        assert_eq!(r.isodate.map(|t| t.to_string()).as_deref(), Some("2024-01-02T02:04:05.67Z"));
        assert!(parse(b"not json\n{}", "b.ips").is_err());
        assert!(parse(b"[1,2]\n", "b.ips").is_err());
        assert!(parse(b"", "b.ips").is_err());
        assert!(parse(b"{\"bug_type\":309}\n{\"procPath\": 5, \"pid\": \"x\"", "c.ips").is_ok());
        let files = vec![
            SysFile { path: "crashes_and_spins/bad.ips".into(), bytes: b"\xff\xfe\x00".to_vec(), mtime: 0 },
            SysFile { path: "crashes_and_spins/Panics/p.ips".into(), bytes: text.to_vec(), mtime: 0 },
        ];
        let (_d, evs) = both(&files);
        let r = run_on(CrashLogs, evs[1].as_ref(), &ferret_core::NoIndicators);
        assert_eq!(r.records.len(), 1);
        assert_eq!(r.warnings.len(), 1);
        assert_eq!(r.alerts.len(), 1);
        assert_eq!(r.alerts[0].level, Level::High);
    }
}
