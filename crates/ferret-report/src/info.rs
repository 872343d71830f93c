//! `info.json` and the run summary.

use std::collections::BTreeMap;

use ferret_core::{Alert, Level, ModuleReport, ModuleStatus};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::incidents::{Incident, IncidentCounts};
pub use crate::verdict::Verdict;

/// What the CLI knows about a run, written to `info.json` and shown in `report.html`.
///
/// `started_at` and `finished_at` are the **only** wall-clock values in a results folder; every
/// other byte depends only on the acquisition, the indicators and the ferret version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunInfo {
    /// `ferret` version (`CARGO_PKG_VERSION` of the binary).
    pub ferret_version: String,
    /// The command line, one argument per entry (passwords must already be redacted).
    pub command_line: Vec<String>,
    /// When the run started (UTC, `YYYY-MM-DD HH:MM:SS.ffffff`).
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub started_at: Option<Timestamp>,
    /// When the run finished; [`crate::ResultsFolder::finish`] sets it to now when `None`.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub finished_at: Option<Timestamp>,
    /// What was checked.
    pub target: TargetInfo,
    /// The phone, as far as the acquisition tells.
    #[serde(default)]
    pub device: DeviceInfo,
    /// Indicator load report, as given by the CLI (`ferret_indicators::LoadReport` serialized:
    /// `files[{path, sha256, set_name, total, ...}]`, `total`, ...). `null` when none loaded.
    #[serde(default)]
    pub indicators: serde_json::Value,
    /// Set by `check-iocs`: the results folder whose stored records were re-checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recheck_of: Option<String>,
    /// Problems of the acquisition as a whole, found when opening it (a missing `Status.plist`,
    /// a nested backup skipped because it is encrypted, links and special files refused...).
    /// Listed with the verdict so nobody mistakes "not present" for "clean".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
    /// `--custody FROM..TO`: the window in which software and trust changes were raised to
    /// `HIGH` (see [`ferret_core::custody`]); absent when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custody: Option<ferret_core::Custody>,
}

/// The checked acquisition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetInfo {
    /// Path as given (made absolute by the CLI).
    pub path: String,
    /// Acquisition type, e.g. `ios_backup`, `android_bugreport`.
    pub kind: String,
    /// SHA-256 of every input file read (sorted by path).
    #[serde(default)]
    pub hashes: Vec<FileHash>,
}

pub use ferret_core::DeviceInfo;
pub use ferret_core::evidence::FileHash;

/// Alert counts per level (serialized with the level names, highest first).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelCounts {
    /// `CRITICAL` alerts.
    #[serde(rename = "CRITICAL")]
    pub critical: u64,
    /// `HIGH` alerts.
    #[serde(rename = "HIGH")]
    pub high: u64,
    /// `MEDIUM` alerts.
    #[serde(rename = "MEDIUM")]
    pub medium: u64,
    /// `LOW` alerts.
    #[serde(rename = "LOW")]
    pub low: u64,
    /// `INFORMATIONAL` alerts.
    #[serde(rename = "INFORMATIONAL")]
    pub informational: u64,
}

impl LevelCounts {
    /// Adds one alert of `level`.
    pub fn add(&mut self, level: Level) {
        *self.get_mut(level) += 1;
    }

    fn get_mut(&mut self, level: Level) -> &mut u64 {
        match level {
            Level::Critical => &mut self.critical,
            Level::High => &mut self.high,
            Level::Medium => &mut self.medium,
            Level::Low => &mut self.low,
            Level::Info => &mut self.informational,
        }
    }

    /// Count of one level.
    pub fn get(&self, level: Level) -> u64 {
        match level {
            Level::Critical => self.critical,
            Level::High => self.high,
            Level::Medium => self.medium,
            Level::Low => self.low,
            Level::Info => self.informational,
        }
    }

    /// All alerts.
    pub fn total(&self) -> u64 {
        self.critical + self.high + self.medium + self.low + self.informational
    }

    /// `HIGH` + `CRITICAL`.
    pub fn serious(&self) -> u64 {
        self.critical + self.high
    }
}

/// `info.json`: the run, every module's outcome, alert counts; and, next to them, the top-level
/// keys MVT writes in its own `info.json` (`target_path`, `date`, `ioc_files`, `hashes`), so
/// scripts written for MVT's results folders read ferret's ([`InfoFile::with_mvt_keys`]).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfoFile {
    /// The run as the CLI described it.
    pub run: RunInfo,
    /// Each module in registration order: `{module, status: completed|not_found|failed,
    /// records, error, warnings}`.
    pub modules: Vec<ModuleReport>,
    /// Alerts per level.
    pub alerts: LevelCounts,
    /// Distinct timeline events written to `timeline.csv`.
    pub timeline_events: u64,
    /// The verdict (see [`crate::verdict`]); absent in folders written before it existed, where
    /// it is recomputed from the other fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// MVT key: the checked acquisition's path (`run.target.path`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_path: Option<String>,
    /// MVT key: when the results were written (`run.finished_at`, same format).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// MVT key: the indicator files loaded (`run.indicators.files[].path`, in load order).
    #[serde(default)]
    pub ioc_files: Vec<String>,
    /// MVT key: `{file_path, sha256}` of every input file read (`run.target.hashes`).
    #[serde(default)]
    pub hashes: Vec<MvtHash>,
    /// Incident windows (see [`mod@crate::incidents`]; the windows are in `incidents.json`).
    #[serde(default)]
    pub incidents: IncidentCounts,
}

/// One entry of MVT's `hashes` list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MvtHash {
    /// The file (ferret's logical path inside the acquisition).
    pub file_path: String,
    /// Lower-case hex SHA-256.
    pub sha256: String,
}

impl InfoFile {
    /// Fills MVT's top-level keys from `run` (they repeat what `run` holds, under MVT's names).
    pub fn with_mvt_keys(mut self) -> Self {
        let run = &self.run;
        self.target_path = (!run.target.path.is_empty()).then(|| run.target.path.clone());
        self.date = run.finished_at.map(ferret_core::time::format);
        self.ioc_files = run
            .indicators
            .get("files")
            .and_then(|f| f.as_array())
            .map(|files| {
                let mut seen = Vec::new();
                for p in files.iter().filter_map(|f| f.get("path").and_then(|p| p.as_str())) {
                    if !seen.iter().any(|s: &String| s == p) {
                        seen.push(p.to_string());
                    }
                }
                seen
            })
            .unwrap_or_default();
        self.hashes =
            run.target.hashes.iter().map(|h| MvtHash { file_path: h.path.clone(), sha256: h.sha256.clone() }).collect();
        self
    }

    /// The stored verdict, or the one these module reports, counts and run description give.
    pub fn verdict(&self) -> Verdict {
        self.verdict.clone().unwrap_or_else(|| Verdict::assess(&self.modules, &self.alerts, &self.run))
    }
}

/// What the console shows at the end of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Alerts per level.
    pub counts: LevelCounts,
    /// Alerts per level for each module that raised any.
    pub per_module: BTreeMap<String, LevelCounts>,
    /// The verdict.
    pub verdict: Verdict,
    /// All alerts in canonical order ([`ferret_core::alert::sort_alerts`]).
    pub alerts: Vec<Alert>,
    /// Modules that failed, with their error.
    pub failed: Vec<(String, String)>,
    /// Modules whose artifact was not found.
    pub not_found: Vec<String>,
    /// Incident windows of [`Summary::alerts`] ([`crate::incidents::incidents`]).
    pub incidents: Vec<Incident>,
}

impl Summary {
    /// Builds the summary from module reports (used directly by runs without `--output`).
    pub fn from_reports(reports: &[ModuleReport], run: &RunInfo) -> Self {
        let mut alerts: Vec<Alert> = reports.iter().flat_map(|r| r.alerts.iter().cloned()).collect();
        ferret_core::alert::sort_alerts(&mut alerts);
        Self::new(alerts, reports, run)
    }

    pub(crate) fn new(alerts: Vec<Alert>, reports: &[ModuleReport], run: &RunInfo) -> Self {
        let mut counts = LevelCounts::default();
        let mut per_module: BTreeMap<String, LevelCounts> = BTreeMap::new();
        for a in &alerts {
            counts.add(a.level);
            per_module.entry(a.module.clone()).or_default().add(a.level);
        }
        let incidents = crate::incidents::incidents(&alerts);
        let verdict =
            Verdict::assess(reports, &counts, run).with_raised_incidents(IncidentCounts::of(&incidents).raised_to_high);
        let mut failed = Vec::new();
        let mut not_found = Vec::new();
        for r in reports {
            match &r.status {
                ModuleStatus::Failed { error, .. } => failed.push((r.module.clone(), error.clone())),
                ModuleStatus::NotFound => not_found.push(r.module.clone()),
                ModuleStatus::Completed { .. } => {}
            }
        }
        Self { counts, per_module, verdict, alerts, failed, not_found, incidents }
    }

    /// The end-of-run summary as plain lines for the console (no colour, no trailing newline):
    /// counts per level, one line per module with alerts, every `HIGH`/`CRITICAL` alert (level,
    /// module, time, message, matched indicator and its set; the first [`MAX_CONSOLE_ALERTS`]),
    /// then the verdict ([`Verdict::lines`]), then the report's first screen in short: what was
    /// found (one line per spyware family or campaign with HIGH/CRITICAL alerts, its window and
    /// strongest evidence, and the likely infection window) and what to do now. Evidence text
    /// (messages, module errors quoting acquisition paths) is shown with control characters
    /// escaped (`\u{1b}`), so the lines are safe to print.
    pub fn console_lines(&self) -> Vec<String> {
        let per_level = |c: &LevelCounts| {
            Level::ALL
                .iter()
                .rev()
                .filter(|l| c.get(**l) > 0)
                .map(|l| format!("{} {}", c.get(*l), l.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut out = Vec::new();
        out.push(format!(
            "Alerts: {} CRITICAL, {} HIGH, {} MEDIUM, {} LOW, {} INFORMATIONAL",
            self.counts.critical, self.counts.high, self.counts.medium, self.counts.low, self.counts.informational
        ));
        let width = self.per_module.keys().map(String::len).max().unwrap_or(0);
        for (m, c) in &self.per_module {
            out.push(format!("  {:<width$}  {}", terminal_safe(m), per_level(c)));
        }
        let serious: Vec<&Alert> = self.alerts.iter().filter(|a| a.level >= Level::High).collect();
        if !serious.is_empty() {
            out.push(String::new());
        }
        for a in serious.iter().take(MAX_CONSOLE_ALERTS) {
            out.push(alert_line(a));
        }
        if serious.len() > MAX_CONSOLE_ALERTS {
            out.push(format!("  ... and {} more (alerts.json has them all)", serious.len() - MAX_CONSOLE_ALERTS));
        }
        for (m, e) in &self.failed {
            out.push(format!("Check {} could not read its data: {}", terminal_safe(m), terminal_safe(e)));
        }
        let windows = crate::incidents::console_lines(&self.incidents);
        if !windows.is_empty() {
            out.push(String::new());
            out.extend(windows);
        }
        out.push(String::new());
        out.extend(self.verdict.lines());
        out.push(String::new());
        out.extend(crate::firstscreen::console_lines(&self.alerts, &self.verdict));
        out
    }
}

/// `HIGH`/`CRITICAL` alerts printed one per line at the end of a run (the rest are counted).
pub const MAX_CONSOLE_ALERTS: usize = 25;

fn alert_line(a: &Alert) -> String {
    let when =
        a.event_time.map_or_else(|| "time unknown".to_string(), |t| format!("{} UTC", ferret_core::time::format(t)));
    let mut line =
        format!("  {} {} [{}]: {}", a.level.as_str(), terminal_safe(&a.module), when, terminal_safe(&a.message));
    if let Some(m) = &a.matched_indicator {
        line.push_str(&format!(
            " (indicator {} {:?} of {}, {})",
            terminal_safe(&m.kind),
            terminal_safe(&m.value),
            terminal_safe(&m.name),
            terminal_safe(&m.stix2_file_name)
        ));
    }
    line
}

/// Escapes control characters so text from evidence cannot drive the terminal.
pub fn terminal_safe(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_safe_escapes_controls() {
        assert_eq!(terminal_safe("a\u{1b}[31mb\nc"), "a\\u{1b}[31mb\\nc");
    }

    fn alert(module: &str, level: Level) -> Alert {
        Alert {
            level,
            module: module.into(),
            message: String::new(),
            event_time: None,
            event: serde_json::Value::Null,
            matched_indicator: None,
        }
    }

    #[test]
    fn summary_counts_and_console_lines() {
        let reports = vec![
            ModuleReport {
                module: "sms".into(),
                status: ModuleStatus::Completed { records: 3 },
                warnings: vec![],
                alerts: vec![alert("sms", Level::Critical), alert("sms", Level::Low)],
                elapsed_ms: 0,
                sightings: Default::default(),
            },
            ModuleReport {
                module: "tcc".into(),
                status: ModuleStatus::Failed { error: "TCC.db: not a database".into(), records: 0 },
                warnings: vec![],
                alerts: vec![alert("tcc", Level::Medium)],
                elapsed_ms: 0,
                sightings: Default::default(),
            },
            ModuleReport {
                module: "calls".into(),
                status: ModuleStatus::NotFound,
                warnings: vec![],
                alerts: vec![],
                elapsed_ms: 0,
                sightings: Default::default(),
            },
        ];
        let run = RunInfo {
            indicators: serde_json::json!({"files": [{"path": "x.stix2", "set_name": "X", "total": 2}], "total": 2}),
            ..RunInfo::default()
        };
        let s = Summary::from_reports(&reports, &run);
        assert_eq!(s.counts.total(), 3);
        assert_eq!(s.per_module.get("sms").map(|c| c.critical), Some(1));
        assert_eq!(s.verdict.serious_alerts, 1);
        assert_eq!(s.verdict.headline(), "ALERTS FOUND: 1 high or critical alert needs expert review");
        assert_eq!(s.not_found, vec!["calls".to_string()]);
        let mut sms = alert("sms", Level::Critical);
        sms.message = "evil\u{1b}[31m.example".into();
        sms.matched_indicator = Some(ferret_core::MatchedIndicator {
            value: "evil.example".into(),
            kind: "domains".into(),
            name: "Pegasus".into(),
            stix2_file_name: "pegasus.stix2".into(),
        });
        let s = Summary::new(vec![sms, alert("sms", Level::Low), alert("tcc", Level::Medium)], &reports, &run);
        assert_eq!(
            s.console_lines(),
            vec![
                "Alerts: 1 CRITICAL, 0 HIGH, 1 MEDIUM, 1 LOW, 0 INFORMATIONAL".to_string(),
                "  sms  1 CRITICAL, 1 LOW".into(),
                "  tcc  1 MEDIUM".into(),
                String::new(),
                "  CRITICAL sms [time unknown]: evil\\u{1b}[31m.example (indicator domains \"evil.example\" of Pegasus, pegasus.stix2)".into(),
                "Check tcc could not read its data: TCC.db: not a database".into(),
                String::new(),
                "ALERTS FOUND: 1 high or critical alert needs expert review".into(),
                "  1 artifact read, 1 not in this acquisition, 1 could not be read".into(),
                "  note: 1 check could not read its data: tcc".into(),
                "  note: 1 of 3 artifacts are not in this acquisition, so they were not checked".into(),
                String::new(),
                "What was found (high or critical alerts):".into(),
                "  Pegasus: 1 CRITICAL".into(),
                "    SMS and iMessage: evil\\u{1b}[31m.example (time unknown)".into(),
                "What to do now:".into(),
                "  1. Keep the phone as it is. Do not reset it, update it or delete apps before an expert has a copy of its data: these steps can erase the traces.".into(),
                "  2. Assume the phone may be monitored: talk about this check in person or from another device, not on this phone or near it.".into(),
                "  3. Get expert help: Access Now Digital Security Helpline (https://www.accessnow.org/help/, help@accessnow.org) or Amnesty International Security Lab (https://securitylab.amnesty.org/); share report.html and the results folder.".into(),
            ]
        );
        let json = serde_json::to_string(&s.counts).expect("json");
        assert_eq!(json, r#"{"CRITICAL":1,"HIGH":0,"MEDIUM":1,"LOW":1,"INFORMATIONAL":0}"#);
    }
}

#[cfg(test)]
mod mvt_keys {
    use super::*;

    /// MVT's four top-level keys sit next to ferret's, repeat what `run` holds under MVT's names,
    /// and read back (`deny_unknown_fields` accepts them); a folder written before them reads too.
    #[test]
    fn mvt_top_level_keys_next_to_ours() {
        let run = RunInfo {
            target: TargetInfo {
                path: "/cases/a/backup".into(),
                kind: "ios_backup".into(),
                hashes: vec![FileHash { path: "Manifest.db".into(), sha256: "ab".repeat(32), bytes: 1024 }],
            },
            finished_at: Some(Timestamp::from_second(1_700_000_000).expect("t")),
            indicators: serde_json::json!({"files": [{"path": "/i/a.stix2"}, {"path": "/i/b.stix2"}, {"path": "/i/a.stix2"}]}),
            ..Default::default()
        };
        let info = InfoFile { run, ..InfoFile::default() }.with_mvt_keys();
        let v = serde_json::to_value(&info).expect("json");
        assert_eq!(v["target_path"], "/cases/a/backup");
        assert_eq!(v["date"], "2023-11-14 22:13:20.000000");
        assert_eq!(v["ioc_files"], serde_json::json!(["/i/a.stix2", "/i/b.stix2"]));
        assert_eq!(v["hashes"], serde_json::json!([{"file_path": "Manifest.db", "sha256": "ab".repeat(32)}]));
        // ours are still there
        assert_eq!(v["run"]["target"]["path"], "/cases/a/backup");
        let back: InfoFile = serde_json::from_value(v.clone()).expect("reads back");
        assert_eq!(back.hashes, info.hashes);
        // an info.json without the MVT keys (older ferret) still reads
        let mut old = v;
        for k in ["target_path", "date", "ioc_files", "hashes"] {
            old.as_object_mut().expect("object").remove(k);
        }
        let back: InfoFile = serde_json::from_value(old).expect("older file reads");
        assert!(back.hashes.is_empty() && back.target_path.is_none());
    }
}
