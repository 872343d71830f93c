//! `ps`: the process lists a sysdiagnose captures (`ps.txt`, `ps_thread.txt`).
//!
//! Format facts (sysdiagnose samples, iOS 15–18):
//! * `ps.txt` is `ps` output with the header
//!   `USER UID PRSNA PID PPID F %CPU %MEM PRI NI VSZ RSS WCHAN TT STAT STARTED TIME COMMAND`;
//!   columns are whitespace-separated and `COMMAND` (last) is the full command line: executable
//!   path, then arguments. `STARTED` is one token (`7:47AM`, `Mon10AM`).
//! * `ps_thread.txt` lists threads (`ps -M`): header
//!   `USER PID TT %CPU STAT PRI STIME UTIME COMMAND`; a process line starts with the user name,
//!   and is followed by one line per further thread that starts with blanks (no user, no command).
//! * Columns are found by header name, so a different column set still parses; a process line
//!   with fewer fields than the header is skipped with a warning.
//!
//! Record: one per process per file: `source`, `user`, `pid`, `ppid`, `started`, `command`,
//! `path` (the executable: the command up to the first space, when it is an absolute path),
//! `name` (basename of `path`, or the first word of the command), `threads` (ps_thread only).
//!
//! Checks and heuristics (levels):
//! * CRITICAL: `path` matches a file-path indicator, or `name` (or a path component) a process
//!   indicator.
//! * HIGH (always): the executable runs from a data/temporary folder (`/private/var/db/`,
//!   `/private/var/tmp/`, `/tmp/`) — see [`super::executable_paths`].
//! * MEDIUM (always): the executable runs from any other non-standard location (outside the
//!   system volume, cryptexes, app bundles), e.g. a jailbreak folder or `/private/var/mobile/`.
//!
//! No timeline (ps has no usable absolute time).

use ferret_core::{
    ArtifactModule, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use serde::{Deserialize, Serialize};

use super::executable_paths::{PathClass, check_path_or_process, classify};
use super::shutdown_log::truncate;

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ps;

/// One process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PsProcess {
    /// `ps.txt` or `ps_thread.txt` (path inside the acquisition).
    pub source: String,
    /// `USER`.
    pub user: Option<String>,
    /// `PID`.
    pub pid: Option<i64>,
    /// `PPID` (ps.txt only).
    pub ppid: Option<i64>,
    /// `STARTED` (ps.txt only).
    pub started: Option<String>,
    /// Full command line.
    pub command: String,
    /// Executable path, when the command starts with `/`.
    pub path: Option<String>,
    /// Process name.
    pub name: String,
    /// Thread count (ps_thread.txt only).
    pub threads: Option<u32>,
}

static LOCATOR: Locator = Locator { backup: &[], paths: &["ps.txt", "ps_thread.txt"] };

const LIMIT: u64 = 128 * 1024 * 1024;

fn split_command(command: &str) -> (Option<String>, String) {
    let first = command.split_whitespace().next().unwrap_or("");
    // An app bundle path may contain spaces: keep up to the executable after `.app/`.
    let path = if command.starts_with('/') {
        match command.find(".app/") {
            Some(i) => {
                let after = command.get(i + 5..).unwrap_or("");
                let bundle = command.get(..i).unwrap_or("").rsplit('/').next().unwrap_or("");
                let exe_end = if !bundle.is_empty() && after.starts_with(bundle) {
                    bundle.len()
                } else {
                    after.find(' ').unwrap_or(after.len())
                };
                command.get(..i + 5 + exe_end).map(str::to_string)
            }
            None => Some(first.to_string()),
        }
    } else {
        None
    };
    let name = match &path {
        Some(p) => p.rsplit('/').next().unwrap_or(p).to_string(),
        None => first.trim_end_matches(':').to_string(),
    };
    (path, name)
}

/// Parses a `ps.txt`/`ps_thread.txt` text; malformed lines are reported through `bad`.
pub fn parse(text: &str, source: &str, mut bad: impl FnMut(usize, &str)) -> Vec<PsProcess> {
    let mut lines = text.lines().enumerate();
    let Some((_, header)) = lines.find(|(_, l)| !l.trim().is_empty()) else { return Vec::new() };
    let cols: Vec<&str> = header.split_whitespace().collect();
    let idx = |name: &str| cols.iter().position(|c| c.eq_ignore_ascii_case(name));
    let (i_user, i_pid, i_ppid, i_started) = (idx("USER"), idx("PID"), idx("PPID"), idx("STARTED"));
    let threaded = idx("STIME").is_some() && idx("PPID").is_none();
    let mut out: Vec<PsProcess> = Vec::new();
    for (no, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        if threaded && line.starts_with(char::is_whitespace) {
            if let Some(last) = out.last_mut() {
                last.threads = Some(last.threads.unwrap_or(1).saturating_add(1));
            }
            continue;
        }
        // Columns are space-aligned: split off the first n-1 words, the rest is COMMAND.
        let mut parts = Vec::with_capacity(cols.len());
        let mut rest = line.trim_start();
        for _ in 0..cols.len().saturating_sub(1) {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            if end == 0 {
                break;
            }
            parts.push(rest.get(..end).unwrap_or(""));
            rest = rest.get(end..).unwrap_or("").trim_start();
        }
        if parts.len() + 1 < cols.len() || rest.is_empty() {
            bad(no + 1, line);
            continue;
        }
        let command = rest.trim_end().to_string();
        let get = |i: Option<usize>| i.and_then(|i| parts.get(i)).map(|s| s.to_string());
        let (path, name) = split_command(&command);
        out.push(PsProcess {
            source: source.to_string(),
            user: get(i_user),
            pid: get(i_pid).and_then(|s| s.parse().ok()),
            ppid: get(i_ppid).and_then(|s| s.parse().ok()),
            started: get(i_started),
            command,
            path,
            name,
            threads: threaded.then_some(1),
        });
    }
    out
}

impl ArtifactModule for Ps {
    type Record = PsProcess;
    const NAME: &'static str = "ps";
    const DESCRIPTION: &'static str = "Running processes at collection time (ps.txt, ps_thread.txt)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let files = ctx.evidence.locate(&LOCATOR)?;
        if files.is_empty() {
            return Ok(Outcome::NotFound);
        }
        for file in &files {
            let bytes = ctx.evidence.read(file, LIMIT)?;
            let text = String::from_utf8_lossy(&bytes);
            let mut warns = Vec::new();
            let recs = parse(&text, &file.path, |no, l| {
                warns.push(format!("{}: line {no}: unreadable process line {:?}", file.path, truncate(l)))
            });
            for w in warns {
                out.warn(w);
            }
            for r in recs {
                out.record(r)?;
            }
        }
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &PsProcess, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        let hit = match &r.path {
            Some(p) => check_path_or_process(ind, p),
            None => ind.check_process(&r.name),
        };
        if let Some(m) = hit {
            f.push(ioc_finding(Level::Critical, "Running process", r.path.as_deref().unwrap_or(&r.name), None, m));
        }
        if let Some(p) = &r.path {
            match classify(p) {
                PathClass::Suspicious => f.push(Finding::heuristic(
                    Level::High,
                    format!("Process {p:?} was running from a data or temporary folder, where no legitimate iOS binary lives"),
                    None,
                )),
                PathClass::Unusual => f.push(Finding::heuristic(
                    Level::Medium,
                    format!("Process {p:?} was running from an unusual location (outside the system volume and app bundles)"),
                    None,
                )),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::executable_paths::testing::exact_on_both;

    use ferret_testdata::truth::Truth;

    #[test]
    fn recall_and_precision_folder_and_targz() {
        let mut truth = Truth::default();
        let files = ferret_testdata::sysdiagnose::ps(5, 60, &mut truth);
        let r = exact_on_both(Ps, &files, &truth, "ps");
        assert_eq!(r.records.len(), 2 * 67);
    }

    #[test]
    fn parser_edge_cases() {
        let t = "USER UID PID PPID STARTED COMMAND\n\
                 root 0 1 0 7:47AM /sbin/launchd\n\
                 mobile 501 2 1 Mon10AM /private/var/containers/Bundle/Application/U/My App.app/My App -x y\n\
                 short 1\n\
                 kernel 0 0 0 - kernel_task\n";
        let mut bad = Vec::new();
        let r = parse(t, "ps.txt", |n, _| bad.push(n));
        assert_eq!(bad, vec![4]);
        assert_eq!(r.len(), 3);
        assert_eq!(r[1].path.as_deref(), Some("/private/var/containers/Bundle/Application/U/My App.app/My App"));
        assert_eq!(r[1].name, "My App");
        assert_eq!(r[2].path, None);
        assert_eq!(r[2].name, "kernel_task");
        assert!(parse("", "x", |_, _| {}).is_empty());
        assert!(parse("\u{fffd}\u{0}", "x", |_, _| {}).is_empty());
    }
}
