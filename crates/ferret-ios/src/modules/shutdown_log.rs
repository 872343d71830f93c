//! `shutdown_log`: processes that delayed a reboot (`shutdown.log`).
//!
//! Format facts (Kaspersky's iShutdown research, 2024; MVT's `ShutdownLog`; sysdiagnose samples):
//! * Location: sysdiagnose `system_logs.logarchive/Extra/shutdown.log`; filesystem dump
//!   `private/var/db/diagnostics/shutdown.log`. iOS 26 rotates it: `shutdown.0.log`,
//!   `shutdown.1.log`, ... beside the current file; all are read.
//! * Plain text, one reboot after another. While shutting down, `launchd` waits for clients and
//!   every ~0.5 s writes `After <seconds>s, these clients are still here:` followed by one line
//!   per remaining client: `remaining client pid: <pid> (<executable path>)` (tab-indented).
//!   The reboot block ends with `SIGTERM: [<unix seconds>] ...`; older logs have the time as the
//!   ten digits after ` @` instead of in brackets.
//! * A block without `SIGTERM` (log cut short) still yields its clients, without a time.
//!
//! Record: one per client per reboot block: `pid`, `client` (path), `delay` (the last "After Ns"
//! in which it appeared), `times_delayed` (how many of those lines listed it), `isodate` (the
//! block's SIGTERM time), `log_file`.
//!
//! Checks and heuristics:
//! * CRITICAL: `client` matches a file-path indicator (prefix, so an app folder indicator matches
//!   the binary inside), or one of its path components matches a process indicator.
//! * HIGH (always): the client ran from a data/temporary folder (`/private/var/db/`,
//!   `/private/var/tmp/`, `/tmp/`; see [`super::executable_paths`]) where no legitimate binary
//!   lives. This is how Pegasus showed up in shutdown logs.
//! * MEDIUM (always, once per path): a client outside the standard executable locations delayed
//!   three or more reboots ("sticky" process that keeps delaying shutdown).
//!
//! Timeline: `shutdown_delay` at the SIGTERM time.

use std::collections::BTreeMap;

use ferret_core::{
    ArtifactModule, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::executable_paths::{PathClass, check_path_or_process, classify};

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct ShutdownLog;

/// One client that delayed one reboot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShutdownClient {
    /// Reboot time (the block's `SIGTERM` time), if the block had one.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub isodate: Option<Timestamp>,
    /// Process id.
    pub pid: u64,
    /// Executable path as logged.
    pub client: String,
    /// The last "After N s" delay in which it was listed (seconds).
    pub delay: f64,
    /// How many "still here" lists named it in this block.
    pub times_delayed: u32,
    /// The log file it came from.
    pub log_file: String,
}

static LOCATOR: Locator = Locator {
    backup: &[],
    paths: &[
        "system_logs.logarchive/Extra/shutdown.log",
        "system_logs.logarchive/Extra/shutdown.*.log",
        "private/var/db/diagnostics/shutdown.log",
        "private/var/db/diagnostics/shutdown.*.log",
    ],
};

/// Largest shutdown log read (bytes).
const LIMIT: u64 = 256 * 1024 * 1024;

/// Reboots after which a non-standard client counts as "repeatedly delaying".
pub const REPEAT_THRESHOLD: usize = 3;

fn parse_delay(line: &str) -> Option<f64> {
    let rest = line.trim_start().strip_prefix("After ")?;
    let end = rest.find("s,")?;
    rest.get(..end)?.trim().parse().ok()
}

fn parse_client(line: &str) -> Option<(u64, String)> {
    let i = line.find("remaining client pid:")?;
    let rest = line.get(i + "remaining client pid:".len()..)?.trim_start();
    let digits_end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    let pid = rest.get(..digits_end)?.parse().ok()?;
    let rest = rest.get(digits_end..)?.trim_start();
    let inner = rest.strip_prefix('(')?;
    let close = inner.rfind(')')?;
    Some((pid, inner.get(..close)?.to_string()))
}

fn parse_sigterm(line: &str) -> Option<Timestamp> {
    let i = line.find("SIGTERM")?;
    let rest = line.get(i..)?;
    let secs = if let (Some(a), Some(b)) = (rest.find('['), rest.find(']')) {
        rest.get(a + 1..b).and_then(|s| s.trim().parse::<i64>().ok())
    } else {
        None
    };
    let secs = secs.or_else(|| {
        let j = rest.find(" @")?;
        let digits: String = rest.get(j + 2..)?.chars().take_while(char::is_ascii_digit).take(10).collect();
        (digits.len() == 10).then(|| digits.parse().ok()).flatten()
    })?;
    ferret_core::time::from_unix(secs)
}

/// Clients of the current reboot block: `(pid, path)` → `(last delay, times listed)`, in
/// first-seen order.
type Block = Vec<((u64, String), (f64, u32))>;

/// Parses one shutdown log into records (in log order). Lines that are none of the three kinds
/// are ignored; a malformed client line is reported through `bad`.
pub fn parse(text: &str, log_file: &str, mut bad: impl FnMut(usize, &str)) -> Vec<ShutdownClient> {
    let mut out = Vec::new();
    let mut block: Block = Vec::new();
    let mut delay = 0.0f64;
    let flush = |block: &mut Block, t: Option<Timestamp>, out: &mut Vec<ShutdownClient>| {
        for ((pid, client), (d, n)) in block.drain(..) {
            out.push(ShutdownClient {
                isodate: t,
                pid,
                client,
                delay: d,
                times_delayed: n,
                log_file: log_file.to_string(),
            });
        }
    };
    for (no, line) in text.lines().enumerate() {
        if line.contains("these clients are still here") {
            delay = parse_delay(line).unwrap_or(delay);
        } else if line.contains("remaining client pid") {
            match parse_client(line) {
                Some(key) => match block.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, v)) => {
                        v.0 = delay;
                        v.1 = v.1.saturating_add(1);
                    }
                    None => block.push((key, (delay, 1))),
                },
                None => bad(no + 1, line),
            }
        } else if line.contains("SIGTERM") {
            let t = parse_sigterm(line);
            if t.is_none() {
                bad(no + 1, line);
            }
            flush(&mut block, t, &mut out);
            delay = 0.0;
        }
    }
    flush(&mut block, None, &mut out);
    out
}

impl ArtifactModule for ShutdownLog {
    type Record = ShutdownClient;
    const NAME: &'static str = "shutdown_log";
    const DESCRIPTION: &'static str = "Processes that delayed reboots (shutdown.log and its iOS 26 rotations)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let files = ctx.evidence.locate(&LOCATOR)?;
        if files.is_empty() {
            return Ok(Outcome::NotFound);
        }
        // Non-standard client path -> (reboot blocks it delayed, first record).
        let mut repeated: BTreeMap<String, (usize, ShutdownClient)> = BTreeMap::new();
        for file in &files {
            let bytes = ctx.evidence.read(file, LIMIT)?;
            let text = String::from_utf8_lossy(&bytes);
            let mut bad_lines = Vec::new();
            let recs = parse(&text, &file.path, |no, line| {
                bad_lines.push(format!("{}: line {no}: unreadable entry {:?}", file.path, truncate(line)))
            });
            for w in bad_lines {
                out.warn(w);
            }
            for r in recs {
                if classify(&r.client) != PathClass::Standard && classify(&r.client) != PathClass::NotAPath {
                    let e = repeated.entry(r.client.clone()).or_insert_with(|| (0, r.clone()));
                    e.0 += 1;
                }
                out.record(r)?;
            }
        }
        for (client, (n, first)) in repeated {
            if n >= REPEAT_THRESHOLD {
                out.heuristic(
                    Level::Medium,
                    format!("Process {client:?} from a non-standard location delayed {n} reboots (a process that keeps delaying shutdown is a known spyware trace)"),
                    first.isodate,
                    &first,
                );
            }
        }
        Ok(Outcome::Completed)
    }

    fn timeline(&self, r: &ShutdownClient, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.isodate {
            events.push((
                t,
                "shutdown_delay".into(),
                format!("{} (pid {}) delayed shutdown, still running after {}s", r.client, r.pid, r.delay),
            ));
        }
    }

    fn check(&self, r: &ShutdownClient, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if let Some(m) = check_path_or_process(ind, &r.client) {
            f.push(ioc_finding(Level::Critical, "Process delaying shutdown", &r.client, r.isodate, m));
        }
        if classify(&r.client) == PathClass::Suspicious {
            f.push(Finding::heuristic(
                Level::High,
                format!("Process {:?} delayed a reboot while running from a data or temporary folder, where no legitimate iOS binary lives", r.client),
                r.isodate,
            ));
        }
    }
}

pub(crate) fn truncate(s: &str) -> String {
    s.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::executable_paths::testing::{both, run_on};
    use ferret_testdata::fake::TruthIndicators;
    use ferret_testdata::truth::{Truth, compare};

    #[test]
    fn recall_and_precision_folder_and_targz() {
        let mut truth = Truth::default();
        let files = ferret_testdata::sysdiagnose::shutdown_logs(3, 12, &mut truth);
        let (_d, evs) = both(&files);
        let ind = TruthIndicators::new(&truth);
        let mut all = Vec::new();
        for ev in &evs {
            let r = run_on(ShutdownLog, ev.as_ref(), &ind);
            assert_eq!(r.outcome, Ok(Outcome::Completed));
            assert!(r.warnings.is_empty(), "{:?}", r.warnings);
            let cmp = compare(&truth.alerts, &r.alerts, Some(&["shutdown_log"]));
            assert!(cmp.is_exact(), "missed {:#?} unexpected {:#?}", cmp.missed, cmp.unexpected);
            assert!(r.records.iter().all(|x| x["isodate"].is_string()));
            all.push(r.records);
        }
        assert_eq!(all[0], all[1], "folder and tar.gz give identical records");
        assert!(all[0].iter().any(|r| r["log_file"].as_str().is_some_and(|p| p.ends_with("shutdown.0.log"))));
    }

    #[test]
    fn parser_edge_cases() {
        let text = "After 0.50s, these clients are still here:\n\
            \t\tremaining client pid: 12 (/usr/libexec/a (with parens))\n\
            \t\tremaining client pid: x (/bad)\n\
            After 1.01s, these clients are still here:\n\
            \t\tremaining client pid: 12 (/usr/libexec/a (with parens))\n\
            SIGTERM: [1700000000] (x)\n\
            After 0.5s, these clients are still here:\n\
            \t\tremaining client pid: 7 (/private/var/tmp/z)\n\
            reboot @1700000099 SIGTERM @1700000123 done\n\
            \t\tremaining client pid: 9 (/tmp/cut)\n";
        let mut bad = Vec::new();
        let r = parse(text, "f", |n, _| bad.push(n));
        assert_eq!(bad, vec![3]);
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].client, "/usr/libexec/a (with parens)");
        assert_eq!(r[0].times_delayed, 2);
        assert_eq!(r[0].delay, 1.01);
        assert_eq!(r[0].isodate, ferret_core::time::from_unix(1_700_000_000));
        assert_eq!(r[1].isodate, ferret_core::time::from_unix(1_700_000_123));
        assert_eq!(r[2].isodate, None);
        assert!(parse("", "f", |_, _| {}).is_empty());
        assert!(parse("\u{0}\u{fffd}SIGTERM: [99999999999999999999]", "f", |_, _| {}).is_empty());
    }

    #[test]
    fn missing_and_invalid_utf8() {
        let (_d, evs) = both(&[]);
        assert_eq!(run_on(ShutdownLog, evs[0].as_ref(), &ferret_core::NoIndicators).outcome, Ok(Outcome::NotFound));
        let f = ferret_testdata::sysdiagnose::SysFile {
            path: "system_logs.logarchive/Extra/shutdown.log".into(),
            bytes: b"After 0.5s, these clients are still here:\n remaining client pid: 5 (/tmp/\xff\xfe)\nSIGTERM: [1700000000]\n".to_vec(),
            mtime: 0,
        };
        let (_d, evs) = both(&[f]);
        let r = run_on(ShutdownLog, evs[1].as_ref(), &ferret_core::NoIndicators);
        assert_eq!(r.records.len(), 1);
        assert_eq!(r.alerts.len(), 1);
        assert_eq!(r.alerts[0].level, Level::High);
    }
}
