//! `ios_version_history`: the iOS versions a device ran, from analytics journals.
//!
//! Format facts (MVT's IOSVersionHistory): `private/var/db/analyticsd/Analytics-Journal-*.ips`;
//! the first line is a JSON header with `timestamp` (`YYYY-MM-DD HH:MM:SS.ff ±ZZZZ`) and
//! `os_version` (`iPhone OS 18.1 (22B83)`). One journal is written per day, so the sequence of
//! headers shows when the device was updated (and whether it ever ran an old, exploitable
//! version).
//!
//! Record: `{isodate, os_version, file}`, sorted by time. No indicator check; timeline
//! `ios_version` (one event per record).

use ferret_core::{ArtifactModule, Context, Locator, ModuleError, Out, Outcome};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::crash_logs::parse_ips_time;

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct IosVersionHistory;

/// One analytics journal header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionEntry {
    /// Journal time.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub isodate: Option<Timestamp>,
    /// `os_version`.
    pub os_version: String,
    /// Journal file.
    pub file: String,
}

static LOCATOR: Locator = Locator { backup: &[], paths: &["private/var/db/analyticsd/Analytics-Journal-*.ips"] };

impl ArtifactModule for IosVersionHistory {
    type Record = VersionEntry;
    const NAME: &'static str = "ios_version_history";
    const DESCRIPTION: &'static str = "iOS versions over time (analytics journals)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let files = ctx.evidence.locate(&LOCATOR)?;
        if files.is_empty() {
            return Ok(Outcome::NotFound);
        }
        let mut recs = Vec::new();
        for file in &files {
            let mut head = Vec::new();
            {
                use std::io::Read;
                let r = ctx.evidence.open(file)?;
                // The header is one short line; read at most 64 KiB of it.
                if let Err(e) = r.take(64 * 1024).read_to_end(&mut head) {
                    out.warn(format!("{}: {e}", file.path));
                    continue;
                }
            }
            let line = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
            let v: serde_json::Value = match serde_json::from_slice(line) {
                Ok(v) => v,
                Err(e) => {
                    out.warn(format!("{}: first line is not a JSON header: {e}", file.path));
                    continue;
                }
            };
            let Some(os) = v.get("os_version").and_then(|x| x.as_str()) else {
                out.warn(format!("{}: header has no os_version", file.path));
                continue;
            };
            let t = v.get("timestamp").and_then(|x| x.as_str()).and_then(parse_ips_time);
            recs.push(VersionEntry { isodate: t, os_version: os.to_string(), file: file.path.clone() });
        }
        recs.sort_by(|a, b| (a.isodate, &a.file).cmp(&(b.isodate, &b.file)));
        for r in recs {
            out.record(r)?;
        }
        Ok(Outcome::Completed)
    }

    fn timeline(&self, r: &VersionEntry, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.isodate {
            events.push((t, "ios_version".into(), format!("Recorded iOS version {}", r.os_version)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::executable_paths::testing::run_on;
    use crate::modules::webkit_stores::testing::both_fs;

    #[test]
    fn versions_folder_and_targz() {
        let mut files = ferret_testdata::ios_fs::version_history(1);
        files.push(ferret_testdata::ArtifactFile {
            domain: String::new(),
            relative_path: String::new(),
            fs_path: "private/var/db/analyticsd/Analytics-Journal-bad.ips".into(),
            bytes: b"\xff\xfe{".to_vec(),
            mtime: 0,
        });
        let (_d, evs) = both_fs(&files);
        let mut all = Vec::new();
        for ev in &evs {
            let r = run_on(IosVersionHistory, ev.as_ref(), &ferret_core::NoIndicators);
            assert_eq!(r.outcome, Ok(Outcome::Completed));
            assert_eq!(r.records.len(), 3);
            assert_eq!(r.warnings.len(), 1);
            assert_eq!(r.records[2]["os_version"], "iPhone OS 18.1 (22B83)");
            assert!(r.alerts.is_empty());
            all.push(r.records);
        }
        assert_eq!(all[0], all[1]);
    }
}
