//! Parsers for plain text artifacts: `getprop`, `settings_*.txt`, `ps`, tombstones, and URL
//! scanning of log lines. Pure functions; panic-free.
//!
//! Format facts:
//! * getprop: `[name]: [value]` per line (value may be empty);
//! * settings: `key=value` per line (androidqf `settings_<namespace>.txt`);
//! * ps: a header line (`USER PID PPID ... NAME`, or `LABEL USER PID TID ... CMD` in a
//!   bugreport's `PROCESSES AND THREADS`); the last header column is the name, the rest of the
//!   line after the preceding columns; a leading SELinux label `u:r:...` without a `LABEL` header
//!   is tolerated; thread rows (TID != PID) are skipped;
//! * tombstone text: `Build fingerprint: '...'`, `Revision: '...'`, `ABI: '...'`,
//!   `Timestamp: YYYY-MM-DD HH:MM:SS.fff+zzzz`, `Cmdline: ...`, `pid: N, tid: N, name: X  >>> bin <<<`,
//!   `uid: N`, `signal N (NAME), code N (NAME)...`, `Cause: ...`, `Abort message: '...'`.
//!   Protobuf tombstones (`.pb`) are decoded by [`super::protobuf`].

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One system property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Property {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
    /// For `ro.build.version.security_patch` only: when the acquisition was made (so the patch
    /// age can be checked again from the stored record).
    #[serde(with = "ferret_core::time::serde_opt_ts", default, skip_serializing_if = "Option::is_none")]
    pub acquired: Option<jiff::Timestamp>,
}

/// Parses one getprop line.
pub fn parse_getprop_line(line: &str) -> Option<Property> {
    let t = line.trim();
    let rest = t.strip_prefix('[')?;
    let (name, rest) = rest.split_once("]: [")?;
    let value = rest.strip_suffix(']')?;
    if name.is_empty() {
        return None;
    }
    Some(Property { name: name.to_string(), value: value.to_string(), acquired: None })
}

/// Parses getprop text.
pub fn parse_getprop(text: &str) -> Vec<Property> {
    text.lines().filter_map(parse_getprop_line).collect()
}

/// Parses `key=value` settings text.
pub fn parse_settings(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.trim_end().split_once('=')?;
            let k = k.trim();
            (!k.is_empty() && !k.contains(' ')).then(|| (k.to_string(), v.to_string()))
        })
        .collect()
}

/// One running process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    /// SELinux label, when printed.
    pub label: Option<String>,
    /// User.
    pub user: String,
    /// PID.
    pub pid: u32,
    /// Parent PID.
    pub ppid: Option<u32>,
    /// Process name (brackets of kernel threads removed).
    pub proc_name: String,
}

/// Parses `ps` output (see module docs).
pub fn parse_ps(text: &str) -> Vec<Process> {
    let mut out = Vec::new();
    let mut header: Option<Vec<String>> = None;
    for line in text.lines() {
        let toks: Vec<&str> = line.split_whitespace().collect();
        if toks.is_empty() {
            continue;
        }
        if toks.contains(&"PID") && (toks[0] == "USER" || toks[0] == "LABEL") {
            header = Some(toks.iter().map(|s| s.to_string()).collect());
            continue;
        }
        let Some(h) = &header else { continue };
        let mut toks = toks;
        let mut label = None;
        if h.first().is_some_and(|c| c != "LABEL") && toks.first().is_some_and(|t| t.starts_with("u:")) {
            label = Some(toks.remove(0).to_string());
        }
        let col = |name: &str| h.iter().position(|c| c == name);
        let get = |name: &str| col(name).and_then(|i| toks.get(i).copied());
        if label.is_none() {
            label = get("LABEL").map(str::to_string);
        }
        let Some(pid) = get("PID").and_then(|p| p.parse::<u32>().ok()) else { continue };
        if let Some(tid) = get("TID").and_then(|p| p.parse::<u32>().ok())
            && tid != pid
        {
            continue;
        }
        let name_idx = h.len().saturating_sub(1);
        if toks.len() <= name_idx {
            // missing WCHAN-like column: the name is the last token
            if toks.len() < 3 {
                continue;
            }
        }
        let name = if toks.len() > name_idx {
            toks[name_idx..].join(" ")
        } else {
            toks.last().map(|s| s.to_string()).unwrap_or_default()
        };
        let name = name.trim_start_matches('[').trim_end_matches(']').to_string();
        out.push(Process {
            label,
            user: get("USER").unwrap_or("").to_string(),
            pid,
            ppid: get("PPID").and_then(|p| p.parse().ok()),
            proc_name: name,
        });
    }
    out
}

/// A crash report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    /// File name.
    pub file_name: String,
    /// File modification time.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub file_timestamp: Option<Timestamp>,
    /// Build fingerprint.
    pub build_fingerprint: Option<String>,
    /// Revision.
    pub revision: Option<String>,
    /// ABI.
    pub arch: Option<String>,
    /// Crash time as written.
    pub timestamp: Option<String>,
    /// Command line.
    pub command_line: Vec<String>,
    /// PID.
    pub pid: Option<u32>,
    /// TID.
    pub tid: Option<u32>,
    /// Process/thread name.
    pub process_name: Option<String>,
    /// Binary path.
    pub binary_path: Option<String>,
    /// UID.
    pub uid: Option<u32>,
    /// Signal name (`SIGSEGV`).
    pub signal: Option<String>,
    /// Abort message.
    pub abort_message: Option<String>,
    /// SELinux label (protobuf tombstones).
    #[serde(default)]
    pub selinux_label: Option<String>,
    /// First cause (`Cause:` line or protobuf `causes`).
    #[serde(default)]
    pub cause: Option<String>,
}

fn quoted(v: &str) -> String {
    v.trim().trim_matches('\'').to_string()
}

/// Parses a text tombstone.
pub fn parse_tombstone(text: &str) -> Tombstone {
    let mut t = Tombstone::default();
    for line in text.lines() {
        let l = line.trim();
        if let Some(v) = l.strip_prefix("Build fingerprint:") {
            t.build_fingerprint = Some(quoted(v));
        } else if let Some(v) = l.strip_prefix("Revision:") {
            t.revision = Some(quoted(v));
        } else if let Some(v) = l.strip_prefix("ABI:") {
            t.arch = Some(quoted(v));
        } else if let Some(v) = l.strip_prefix("Timestamp:") {
            t.timestamp = Some(v.trim().to_string());
        } else if let Some(v) = l.strip_prefix("Cmdline:") {
            t.command_line = v.split_whitespace().map(str::to_string).collect();
        } else if let Some(v) = l.strip_prefix("uid:") {
            t.uid = v.trim().parse().ok();
        } else if l.starts_with("pid:") && t.pid.is_none() {
            for part in l.split(", ") {
                if let Some(v) = part.strip_prefix("pid: ") {
                    t.pid = v.trim().parse().ok();
                } else if let Some(v) = part.strip_prefix("tid: ") {
                    t.tid = v.trim().parse().ok();
                } else if let Some(v) = part.strip_prefix("name: ") {
                    let (name, bin) = v.split_once(">>>").unwrap_or((v, ""));
                    t.process_name = Some(name.trim().to_string());
                    let bin = bin.trim().trim_end_matches("<<<").trim();
                    if !bin.is_empty() {
                        t.binary_path = Some(bin.to_string());
                    }
                }
            }
        } else if let Some(v) = l.strip_prefix("signal ") {
            t.signal = v.split_once('(').and_then(|(_, r)| r.split_once(')')).map(|(n, _)| n.to_string());
        } else if let Some(v) = l.strip_prefix("Cause:") {
            t.cause = Some(v.trim().to_string());
        } else if let Some(v) = l.strip_prefix("Abort message:") {
            t.abort_message = Some(quoted(v));
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getprop_settings() {
        let p = parse_getprop("[ro.debuggable]: [1]\n[empty]: []\ngarbage\n[]: [x]\n");
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].value, "");
        let s = parse_settings("package_verifier_enable=0\nbad line\nx=a=b\n");
        assert_eq!(s, vec![("package_verifier_enable".into(), "0".into()), ("x".into(), "a=b".into())]);
    }

    #[test]
    fn ps_forms() {
        let a = "USER PID PPID VSZ RSS WCHAN ADDR S NAME\nroot 1 0 100 10 0 0 S init\nu0_a1 200 1 1 1 0 0 S com.spy:remote\nu:r:untrusted_app:s0 u0_a2 201 1 1 1 0 0 S com.x\n";
        let p = parse_ps(a);
        assert_eq!(p.len(), 3);
        assert_eq!(p[1].proc_name, "com.spy:remote");
        assert_eq!(p[2].label.as_deref(), Some("u:r:untrusted_app:s0"));
        let b = "LABEL USER PID TID PPID VSZ RSS WCHAN ADDR S CMD\nu:r:init:s0 root 1 1 0 1 1 0 0 S init\nu:r:init:s0 root 1 2 0 1 1 0 0 S thread\n";
        let p = parse_ps(b);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].label.as_deref(), Some("u:r:init:s0"));
        assert!(parse_ps("no header\n1 2 3").is_empty());
    }

    #[test]
    fn tombstone() {
        let t = parse_tombstone(
            "Build fingerprint: 'g/x/y:14'\nABI: 'arm64'\nTimestamp: 2024-01-01 10:00:00.000+0000\nCmdline: /system/bin/spyd --x\npid: 12, tid: 13, name: spyd  >>> /system/bin/spyd <<<\nuid: 0\nsignal 11 (SIGSEGV), code 1 (SEGV_MAPERR)\n",
        );
        assert_eq!(t.pid, Some(12));
        assert_eq!(t.process_name.as_deref(), Some("spyd"));
        assert_eq!(t.binary_path.as_deref(), Some("/system/bin/spyd"));
        assert_eq!(t.uid, Some(0));
        assert_eq!(t.signal.as_deref(), Some("SIGSEGV"));
        assert_eq!(t.command_line[0], "/system/bin/spyd");
        assert_eq!(parse_tombstone(""), Tombstone::default());
    }
}
