//! Text tombstones (native crash reports). Pure functions; panic-free.
//!
//! Format facts: `Build fingerprint: '...'`, `Revision: '...'`, `ABI: '...'`,
//! `Timestamp: YYYY-MM-DD HH:MM:SS.fff+zzzz`, `Cmdline: ...`, `pid: N, tid: N, name: X  >>> bin <<<`,
//! `uid: N`, `signal N (NAME), code N (NAME)...`, `Cause: ...`, `Abort message: '...'`.
//! Protobuf tombstones (`.pb`) are decoded by [`super::protobuf`] into the same [`Tombstone`].

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

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
