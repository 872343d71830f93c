//! `profile_events`: configuration-profile install/remove events (`profile_events.json`).
//!
//! Location: `Library/ConfigurationProfiles/MCProfileEvents.plist` (any backup domain; iOS
//! keeps it in the configuration-profiles system-group domain). Format: `{ProfileEvents:
//! [ {<profile identifier>: {timestamp: <date>, operation: "install"|"remove"|..., process:
//! <path of the process that did it>, ...}} ]}`. One record per inner entry; extra keys are
//! kept in `extra`.
//!
//! Timeline: `profile_event` at `timestamp`.
//!
//! Checks and levels (as MVT):
//! * LOW for every event: "process X started operation Y of profile Z" (profile changes are
//!   rare and worth a look);
//! * CRITICAL: `process` matches a process indicator;
//! * CRITICAL: the profile identifier matches a configuration-profile indicator.

use ferret_core::{
    ArtifactModule, BackupPath, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

/// Largest events file read.
const LIMIT: u64 = 32 * 1024 * 1024;

/// The `profile_events` module.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProfileEvents;

/// One profile event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileEventRecord {
    /// Profile identifier.
    pub profile_id: String,
    /// When.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub timestamp: Option<Timestamp>,
    /// `install`, `remove`, ...
    pub operation: Option<String>,
    /// Process that performed it.
    pub process: Option<String>,
    /// Other keys of the event.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extra: Map<String, Json>,
}

const LOCATOR: Locator = Locator {
    backup: &[BackupPath { domain: "*", path: "Library/ConfigurationProfiles/MCProfileEvents.plist" }],
    paths: &[],
};

impl ArtifactModule for ProfileEvents {
    type Record = ProfileEventRecord;
    const NAME: &'static str = "profile_events";
    const DESCRIPTION: &'static str = "Configuration-profile install/remove events and the processes that made them";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let files = ctx.evidence.locate(&LOCATOR)?;
        if files.is_empty() {
            return Ok(Outcome::NotFound);
        }
        for f in &files {
            let bytes = ctx.evidence.read(f, LIMIT)?;
            let v = ferret_formats::parse_plist(&bytes).map_err(|e| ModuleError::format(&f.path, e.to_string()))?;
            let Some(events) = v.as_dictionary().and_then(|d| d.get("ProfileEvents")).and_then(plist::Value::as_array)
            else {
                out.warn(format!("{}: no ProfileEvents array", f.path));
                continue;
            };
            for (i, ev) in events.iter().enumerate() {
                let Some(d) = ev.as_dictionary() else {
                    out.warn(format!("{}: ProfileEvents[{i}] is not a dictionary; skipped", f.path));
                    continue;
                };
                for (profile_id, body) in d {
                    let Some(body) = body.as_dictionary() else {
                        out.warn(format!("{}: ProfileEvents[{i}].{profile_id} is not a dictionary; skipped", f.path));
                        continue;
                    };
                    let text = |k: &str| body.get(k).and_then(plist::Value::as_string).map(str::to_string);
                    let mut extra = Map::new();
                    for (k, x) in body {
                        if !matches!(k.as_str(), "timestamp" | "operation" | "process") {
                            extra.insert(k.clone(), ferret_formats::plist_to_json(x));
                        }
                    }
                    out.record(ProfileEventRecord {
                        profile_id: profile_id.clone(),
                        timestamp: body
                            .get("timestamp")
                            .and_then(plist::Value::as_date)
                            .and_then(ferret_formats::plist_date),
                        operation: text("operation"),
                        process: text("process"),
                        extra,
                    })?;
                }
            }
        }
        Ok(Outcome::Completed)
    }

    fn timeline(&self, r: &ProfileEventRecord, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.timestamp {
            events.push((t, "profile_event".into(), describe(r)));
        }
    }

    fn changes(&self, r: &ProfileEventRecord, changes: &mut Vec<(Timestamp, String)>) {
        if let Some(t) = r.timestamp {
            let op = r.operation.as_deref().unwrap_or("changed");
            let by = r.process.as_deref().map(|p| format!(" by {p:?}")).unwrap_or_default();
            changes.push((t, format!("Configuration profile {:?} {op}{by}", r.profile_id)));
        }
    }

    fn check(&self, r: &ProfileEventRecord, ind: &dyn Indicators, findings: &mut Vec<Finding>) {
        findings.push(Finding::heuristic(Level::Low, describe(r), r.timestamp));
        if let Some((p, m)) = r.process.as_deref().and_then(|p| ind.check_process(p).map(|m| (p, m))) {
            findings.push(ioc_finding(Level::Critical, "Configuration profile changed by process", p, r.timestamp, m));
        }
        if let Some(m) = ind.check_profile(&r.profile_id) {
            findings.push(ioc_finding(
                Level::Critical,
                "Event for known malicious configuration profile",
                &r.profile_id,
                r.timestamp,
                m,
            ));
        }
    }
}

fn describe(r: &ProfileEventRecord) -> String {
    format!(
        "Process {} started operation {} of configuration profile {}",
        r.process.as_deref().unwrap_or("(unknown)"),
        r.operation.as_deref().unwrap_or("(unknown)"),
        r.profile_id
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::testing::{assert_exact, backup, run};
    use ferret_testdata::fake::TruthIndicators;
    use ferret_testdata::ios_backup::DeviceSpec;
    use ferret_testdata::truth::Truth;

    #[test]
    fn recall_and_precision() {
        let mut truth = Truth::default();
        let files = ferret_testdata::ios::profile_events::generate(3, 12, &mut truth);
        let (_d, ev) = backup(&files, &DeviceSpec::default());
        let r = run(ProfileEvents, &ev, &TruthIndicators::new(&truth));
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 14);
        assert_eq!(r.timeline.len(), 14);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_exact(&truth, &r, "profile_events");
    }

    #[test]
    fn bad_shapes() {
        let f = |bytes: &[u8]| ferret_testdata::ArtifactFile {
            domain: "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles".into(),
            relative_path: "Library/ConfigurationProfiles/MCProfileEvents.plist".into(),
            fs_path: String::new(),
            bytes: bytes.to_vec(),
            mtime: 0,
        };
        let (_d, ev) = backup(&[f(b"<plist><dict><key>ProfileEvents</key><array><string>x</string><dict><key>p</key><integer>1</integer></dict></array></dict></plist>")], &DeviceSpec::default());
        let r = run(ProfileEvents, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.warnings.len(), 2, "{:?}", r.warnings);
        let (_d, ev) = backup(&[f(b"\xff\xfe garbage")], &DeviceSpec::default());
        let r = run(ProfileEvents, &ev, &ferret_core::NoIndicators);
        assert!(r.outcome.is_err_and(|e| e.contains("MCProfileEvents.plist")));
        let (_d, ev) = backup(&[], &DeviceSpec::default());
        assert_eq!(run(ProfileEvents, &ev, &ferret_core::NoIndicators).outcome, Ok(Outcome::NotFound));
    }
}
