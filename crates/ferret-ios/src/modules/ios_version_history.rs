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
//!
//! Exposure in the wild: the current version is compared with the exploited-versions table by
//! `os_version`; the history shows more, that the device ran a vulnerable version *while* an
//! exploit was used in the wild (rows of the table with a dated `in_the_wild` period, e.g.
//! Paragon Graphite's iMessage zero-click, January to 2025-02-10, fixed by iOS 18.3.1). One LOW
//! alert per exploit and version, on the first journal inside the period: it is not a sign of
//! infection, it tells the analyst which weeks to look at.

use std::io::Read;

use ferret_core::{ArtifactModule, Context, Level, Locator, ModuleError, Out, Outcome};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::crash_logs::parse_ips_time;
use super::os_version::{ExploitedRange, InTheWild, exploited_table, exposure, parse_version};

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

/// The analytics journals (also read by `analytics_ios_versions`, for build → version).
pub(crate) static LOCATOR: Locator =
    Locator { backup: &[], paths: &["private/var/db/analyticsd/Analytics-Journal-*.ips"] };

/// A journal's header, its first line (at most 64 KiB of it is read): the journal time and
/// `os_version`, or why it cannot be read (for a warning naming `path`).
pub(crate) fn read_header(r: impl Read, path: &str) -> Result<(Option<Timestamp>, String), String> {
    let mut head = Vec::new();
    if let Err(e) = r.take(64 * 1024).read_to_end(&mut head) {
        return Err(format!("{path}: {e}"));
    }
    let line = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let v: serde_json::Value =
        serde_json::from_slice(line).map_err(|e| format!("{path}: first line is not a JSON header: {e}"))?;
    let Some(os) = v.get("os_version").and_then(|x| x.as_str()) else {
        return Err(format!("{path}: header has no os_version"));
    };
    Ok((v.get("timestamp").and_then(|x| x.as_str()).and_then(parse_ips_time), os.to_string()))
}

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
            match read_header(ctx.evidence.open(file)?, &file.path) {
                Ok((isodate, os_version)) => recs.push(VersionEntry { isodate, os_version, file: file.path.clone() }),
                Err(why) => out.warn(why),
            }
        }
        recs.sort_by(|a, b| (a.isodate, &a.file).cmp(&(b.isodate, &b.file)));
        let mut told: std::collections::HashSet<(&str, String)> = std::collections::HashSet::new();
        for r in recs {
            let exposed = exposed_in_the_wild(&r)
                .into_iter()
                .filter(|(row, _, _)| told.insert((row.id.as_str(), r.os_version.clone())))
                .collect::<Vec<_>>();
            out.record(r.clone())?;
            for (row, fix, period) in exposed {
                out.heuristic(
                    Level::Low,
                    format!(
                        "The device ran {} on {} while {} ({}) was exploited in the wild by {} ({} to {}: {}); {fix} fixed it. This alone is not a sign of infection: it marks the weeks to examine closely. Sources: {}",
                        r.os_version,
                        r.isodate.map(|t| t.to_string()).unwrap_or_default(),
                        row.cves.join(", "),
                        row.name,
                        row.spyware,
                        period.from,
                        period.until,
                        period.note,
                        row.sources.join(" ")
                    ),
                    r.isodate,
                    &r,
                );
            }
        }
        Ok(Outcome::Completed)
    }

    fn timeline(&self, r: &VersionEntry, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.isodate {
            events.push((t, "ios_version".into(), format!("Recorded iOS version {}", r.os_version)));
        }
    }
}

/// The table rows whose dated in-the-wild period contains this journal's time and whose fix the
/// version it names is below, with the fix and the period.
fn exposed_in_the_wild(r: &VersionEntry) -> Vec<(&'static ExploitedRange, &'static str, &'static InTheWild)> {
    let Some(t) = r.isodate else { return Vec::new() };
    // `iPhone OS 18.2.1 (22C161)`: the first word that starts with a digit
    let Some(v) =
        r.os_version.split_whitespace().find(|w| w.starts_with(|c: char| c.is_ascii_digit())).and_then(parse_version)
    else {
        return Vec::new();
    };
    exploited_table()
        .iter()
        .filter_map(|row| {
            let period = row.in_the_wild.as_ref().filter(|p| p.contains(t))?;
            Some((row, exposure(&v, row)?, period))
        })
        .collect()
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

    fn journal(day: &str, version: &str) -> ferret_testdata::ArtifactFile {
        let header = serde_json::json!({"timestamp": format!("{day} 09:30:00.00 +0000"), "os_version": version});
        ferret_testdata::ArtifactFile {
            domain: String::new(),
            relative_path: String::new(),
            fs_path: format!("private/var/db/analyticsd/Analytics-Journal-{day}-093000.ips"),
            bytes: format!("{header}\n").into_bytes(),
            mtime: 0,
        }
    }

    #[test]
    fn a_vulnerable_version_run_while_exploited_in_the_wild_is_low_once_per_version() {
        let files = vec![
            journal("2024-12-20", "iPhone OS 18.2.1 (22C161)"), // vulnerable, before the period
            journal("2025-01-05", "iPhone OS 18.2.1 (22C161)"), // first day inside: the alert
            journal("2025-01-06", "iPhone OS 18.2.1 (22C161)"), // same version again: no second alert
            journal("2025-02-09", "iPhone OS 18.3 (22D63)"),    // another vulnerable version inside
            journal("2025-02-11", "iPhone OS 18.3 (22D63)"),    // after the period
            journal("2025-02-10", "iPhone OS 18.3.1 (22D72)"),  // fixed
            journal("2025-06-01", "iPhone OS 17.5.1 (21F90)"),  // vulnerable but after the period
        ];
        let (_d, evs) = both_fs(&files);
        for ev in &evs {
            let r = run_on(IosVersionHistory, ev.as_ref(), &ferret_core::NoIndicators);
            assert_eq!(r.records.len(), 7);
            let got: Vec<(Level, String, String)> = r
                .alerts
                .iter()
                .map(|a| {
                    (
                        a.level,
                        a.event["os_version"].as_str().unwrap_or_default().to_string(),
                        a.event_time.map(|t| t.to_string()).unwrap_or_default(),
                    )
                })
                .collect();
            assert_eq!(
                got,
                vec![
                    (Level::Low, "iPhone OS 18.2.1 (22C161)".into(), "2025-01-05T09:30:00Z".into()),
                    (Level::Low, "iPhone OS 18.3 (22D63)".into(), "2025-02-09T09:30:00Z".into()),
                ]
            );
            assert!(r.alerts.iter().all(|a| a.message.contains("CVE-2025-43200")
                && a.message.contains("18.3.1")
                && a.message.contains("https://citizenlab.ca/")));
        }
    }

    #[test]
    fn versions_that_do_not_parse_or_carry_no_time_raise_nothing() {
        let mut files = vec![journal("2025-01-05", "iPhone OS beta"), journal("2025-01-06", "")];
        files.push(ferret_testdata::ArtifactFile {
            domain: String::new(),
            relative_path: String::new(),
            fs_path: "private/var/db/analyticsd/Analytics-Journal-x.ips".into(),
            bytes: b"{\"os_version\": \"iPhone OS 18.2.1 (22C161)\"}\n".to_vec(),
            mtime: 0,
        });
        let (_d, evs) = both_fs(&files);
        let r = run_on(IosVersionHistory, evs[0].as_ref(), &ferret_core::NoIndicators);
        assert_eq!(r.records.len(), 3);
        assert!(r.alerts.is_empty(), "{:?}", r.alerts);
    }
}
