//! The verdict: the one answer a person reads, decided in one place.
//!
//! Every check ends in exactly one of three states ([`VerdictState`]):
//!
//! * **alerts found**: at least one `HIGH` or `CRITICAL` alert (exit 1). An alert is a fact even
//!   when the check was incomplete, so this state wins; the reasons it was incomplete are still
//!   listed beside it.
//! * **incomplete**: nothing usable was read (no module read its artifact, or the artifacts
//!   present held no record at all), or an indicator input failed to load (a file the user named, a file of the cache or of `FERRET_IOCS`), so
//!   the absence of alerts means nothing (exit 2).
//! * **checked, nothing found**: at least one artifact was read, every indicator input loaded,
//!   and no `HIGH`/`CRITICAL` alert (exit 0). Its [`Verdict::caveats`] say what the answer does
//!   not cover: only the built-in indicator set was loaded (then the headline names it too),
//!   checks that failed, artifacts this acquisition does not contain, acquisition problems.
//!
//! [`Verdict::assess`] computes it from what the run actually read ([`ModuleReport`]s) and
//! loaded (the indicator load report stored in [`RunInfo::indicators`]); the terminal,
//! `info.json` and `report.html` all show that one value. [`ExitStatus`] is the only
//! definition of ferret's exit codes.

use ferret_core::{ModuleReport, ModuleStatus};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::info::{LevelCounts, RunInfo};

/// Process exit status of every ferret command (documented in `--help` and the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum ExitStatus {
    /// Finished; checked and nothing found (or a command other than a check succeeded).
    Clean = 0,
    /// Finished; at least one `HIGH` or `CRITICAL` alert.
    Alerts = 1,
    /// Error or bad usage, or the check is incomplete (nothing could be read, an indicator
    /// input failed).
    Error = 2,
}

impl ExitStatus {
    /// The numeric code.
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(s: ExitStatus) -> Self {
        std::process::ExitCode::from(s.code())
    }
}

/// The three states of a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictState {
    /// At least one `HIGH`/`CRITICAL` alert.
    AlertsFound,
    /// Something was read, every indicator input loaded, no `HIGH`/`CRITICAL` alert.
    NothingFound,
    /// Nothing usable was read, or an indicator input failed: not a clean result.
    Incomplete,
}

/// What was loaded to match against, as far as the verdict is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorCoverage {
    /// Indicators loaded in total (all sets, deduplicated).
    pub total: u64,
    /// Names of the sets loaded beyond the built-in ones, each with its indicator count
    /// (`"Pegasus (pegasus.stix2): 1234"`).
    pub sets: Vec<String>,
    /// Built-in sets loaded.
    pub builtin: Vec<String>,
    /// Indicator inputs that failed (`"bad.json: not a STIX bundle"`), including files that
    /// loaded but gave no indicator at all.
    pub failed: Vec<String>,
}

impl IndicatorCoverage {
    /// Reads the coverage from a serialized `ferret_indicators::LoadReport` (as stored in
    /// `info.json` under `run.indicators`): `files[{path, set_name, total}]` (built-in sets
    /// have paths starting with `builtin:`), `rejected_files[{path, reason}]`, `total`. `null`
    /// (no load report) means nothing was loaded.
    pub fn from_load_report(v: &Value) -> Self {
        let mut c = Self { total: v.get("total").and_then(Value::as_u64).unwrap_or(0), ..Self::default() };
        for f in v.get("files").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
            let path = f.get("path").and_then(Value::as_str).unwrap_or_default();
            let name = f.get("set_name").and_then(Value::as_str).unwrap_or(path);
            let total = f.get("total").and_then(Value::as_u64).unwrap_or(0);
            if path.starts_with("builtin:") {
                c.builtin.push(format!("{name}: {total}"));
            } else if total == 0 {
                c.failed.push(format!("{path}: no indicator could be loaded from it"));
            } else {
                c.sets.push(format!("{name} ({path}): {total}"));
            }
        }
        for f in v.get("rejected_files").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
            let path = f.get("path").and_then(Value::as_str).unwrap_or("?");
            let reason = f.get("reason").and_then(Value::as_str).unwrap_or("not loaded");
            c.failed.push(format!("{path}: {reason}"));
        }
        c
    }
}

/// The answer of one check, with everything needed to say it honestly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    /// The state.
    pub state: VerdictState,
    /// `HIGH` + `CRITICAL` alerts.
    pub serious_alerts: u64,
    /// Modules that read their artifact.
    pub artifacts_read: u64,
    /// Modules whose artifact is not in this acquisition.
    pub artifacts_not_present: u64,
    /// Modules that failed (their artifact was present but could not be read).
    pub checks_failed: u64,
    /// Why the check is incomplete (empty unless the state is `incomplete`, or alerts were
    /// found by an incomplete check).
    pub incomplete: Vec<String>,
    /// What a complete answer still does not cover (shown with every state).
    pub caveats: Vec<String>,
    /// Only built-in indicators (or none at all) were loaded.
    pub builtin_indicators_only: bool,
    /// Incident windows raised to `HIGH` although none of their alerts is `HIGH` by itself
    /// (independent artifacts agree, see [`mod@crate::incidents`]); they count like `HIGH` alerts.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub raised_incidents: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Verdict {
    /// Decides the verdict from the module reports, the alert counts and the run description
    /// (its indicator load report and acquisition problems).
    pub fn assess(reports: &[ModuleReport], counts: &LevelCounts, run: &RunInfo) -> Self {
        let coverage = IndicatorCoverage::from_load_report(&run.indicators);
        let mut read = 0u64;
        let mut records = 0u64;
        let mut not_present = 0u64;
        let mut failed = Vec::new();
        for r in reports {
            match &r.status {
                ModuleStatus::Completed { records: n } => {
                    read += 1;
                    records += n;
                }
                ModuleStatus::NotFound => not_present += 1,
                ModuleStatus::Failed { .. } => failed.push(r.module.as_str()),
            }
        }
        let mut incomplete = Vec::new();
        if read == 0 {
            incomplete.push(if reports.is_empty() {
                "no check ran".to_string()
            } else if failed.is_empty() {
                format!(
                    "none of the {} artifacts this command looks for is in this acquisition: \
                     is it the right type of acquisition, and complete?",
                    reports.len()
                )
            } else {
                format!("nothing could be read: {} of {} checks failed", failed.len(), reports.len())
            });
        } else if records == 0 {
            incomplete.push(format!(
                "the {read} artifact{} present held no record at all: is the acquisition complete?",
                if read == 1 { "" } else { "s" }
            ));
        }
        for f in &coverage.failed {
            incomplete.push(format!("indicator input failed: {f}"));
        }
        let builtin_only = coverage.sets.is_empty();
        let mut caveats = Vec::new();
        if builtin_only {
            caveats.push(if coverage.builtin.is_empty() {
                "no indicator was loaded: known spyware was not searched for, only heuristics ran \
                 (run `ferret iocs update`, or give --iocs FILE)"
                    .to_string()
            } else {
                format!(
                    "only the built-in indicator set was loaded ({}): Pegasus, Predator and \
                     stalkerware indicators were not searched for (run `ferret iocs update`, or give --iocs FILE)",
                    coverage.builtin.join(", ")
                )
            });
        }
        if !failed.is_empty() && read > 0 {
            caveats.push(format!(
                "{} check{} could not read {} data: {}",
                failed.len(),
                if failed.len() == 1 { "" } else { "s" },
                if failed.len() == 1 { "its" } else { "their" },
                failed.join(", ")
            ));
        }
        if not_present > 0 && read > 0 {
            caveats.push(format!(
                "{not_present} of {} artifacts are not in this acquisition, so they were not checked",
                reports.len()
            ));
        }
        for p in &run.problems {
            caveats.push(p.clone());
        }
        let serious = counts.serious();
        let state = if serious > 0 {
            VerdictState::AlertsFound
        } else if !incomplete.is_empty() {
            VerdictState::Incomplete
        } else {
            VerdictState::NothingFound
        };
        Self {
            state,
            serious_alerts: serious,
            artifacts_read: read,
            artifacts_not_present: not_present,
            checks_failed: failed.len() as u64,
            incomplete,
            caveats,
            builtin_indicators_only: builtin_only,
            raised_incidents: 0,
        }
    }

    /// The verdict once `raised` incident windows were raised to `HIGH` by agreement alone
    /// ([`crate::incidents::Incident::raises_verdict`]): any such window means alerts found.
    pub fn with_raised_incidents(mut self, raised: u64) -> Self {
        self.raised_incidents = raised;
        if raised > 0 {
            self.state = VerdictState::AlertsFound;
        }
        self
    }

    /// The exit status this verdict gives.
    pub fn exit_status(&self) -> ExitStatus {
        match self.state {
            VerdictState::AlertsFound => ExitStatus::Alerts,
            VerdictState::NothingFound => ExitStatus::Clean,
            VerdictState::Incomplete => ExitStatus::Error,
        }
    }

    /// The headline, in plain words (terminal, top of `report.html`).
    pub fn headline(&self) -> String {
        match self.state {
            VerdictState::AlertsFound if self.serious_alerts == 0 => match self.raised_incidents {
                1 => "ALERTS FOUND: 1 incident window, where independent artifacts agree, needs expert review"
                    .to_string(),
                n => {
                    format!("ALERTS FOUND: {n} incident windows, where independent artifacts agree, need expert review")
                }
            },
            VerdictState::AlertsFound => match self.serious_alerts {
                1 => "ALERTS FOUND: 1 high or critical alert needs expert review".to_string(),
                n => format!("ALERTS FOUND: {n} high or critical alerts need expert review"),
            },
            VerdictState::Incomplete => "INCOMPLETE: this check cannot tell whether the phone is clean".to_string(),
            VerdictState::NothingFound if self.builtin_indicators_only => {
                "CHECKED, NOTHING FOUND, but with the built-in indicators only".to_string()
            }
            VerdictState::NothingFound => "CHECKED, NOTHING FOUND: no high or critical alert".to_string(),
        }
    }

    /// The verdict as plain lines for the terminal: the headline, then why it is incomplete,
    /// then the caveats (evidence-derived text is escaped with [`crate::terminal_safe`]).
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![self.headline()];
        out.push(format!(
            "  {} artifact{} read, {} not in this acquisition, {} could not be read",
            self.artifacts_read,
            if self.artifacts_read == 1 { "" } else { "s" },
            self.artifacts_not_present,
            self.checks_failed
        ));
        for r in &self.incomplete {
            out.push(format!("  incomplete: {}", crate::terminal_safe(r)));
        }
        for c in &self.caveats {
            out.push(format!("  note: {}", crate::terminal_safe(c)));
        }
        if self.state != VerdictState::AlertsFound {
            out.push("  No alert is not proof that a phone is clean: only known traces are searched for.".into());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferret_core::ModuleReport;
    use serde_json::json;

    fn report(module: &str, status: ModuleStatus) -> ModuleReport {
        ModuleReport {
            module: module.into(),
            status,
            warnings: vec![],
            alerts: vec![],
            elapsed_ms: 0,
            sightings: Default::default(),
        }
    }

    fn run(indicators: Value) -> RunInfo {
        RunInfo { indicators, ..RunInfo::default() }
    }

    fn loaded(files: Value, rejected: Value) -> Value {
        json!({"files": files, "rejected_files": rejected, "total": 5})
    }

    fn user_set() -> Value {
        json!([{"path": "iocs/pegasus.stix2", "set_name": "Pegasus", "total": 4},
               {"path": "builtin:paragon-graphite.stix2", "set_name": "Paragon Graphite", "total": 1}])
    }

    #[test]
    fn three_states_and_exit_codes() {
        let read = [report("sms", ModuleStatus::Completed { records: 3 }), report("calls", ModuleStatus::NotFound)];
        let none = LevelCounts::default();
        let serious = LevelCounts { high: 2, ..LevelCounts::default() };

        let v = Verdict::assess(&read, &none, &run(loaded(user_set(), json!([]))));
        assert_eq!((v.state, v.exit_status()), (VerdictState::NothingFound, ExitStatus::Clean));
        assert!(!v.builtin_indicators_only);
        assert_eq!((v.artifacts_read, v.artifacts_not_present, v.checks_failed), (1, 1, 0));
        assert!(v.incomplete.is_empty());
        assert_eq!(v.caveats, vec!["1 of 2 artifacts are not in this acquisition, so they were not checked"]);

        let v = Verdict::assess(&read, &serious, &run(loaded(user_set(), json!([]))));
        assert_eq!((v.state, v.exit_status(), v.serious_alerts), (VerdictState::AlertsFound, ExitStatus::Alerts, 2));

        // nothing read: every module "not found"
        let nothing = [report("sms", ModuleStatus::NotFound), report("calls", ModuleStatus::NotFound)];
        let v = Verdict::assess(&nothing, &none, &run(loaded(user_set(), json!([]))));
        assert_eq!((v.state, v.exit_status()), (VerdictState::Incomplete, ExitStatus::Error));
        assert!(v.incomplete[0].contains("none of the 2 artifacts"), "{:?}", v.incomplete);
        // nothing read: every module failed
        let failed = [report("sms", ModuleStatus::Failed { error: "x".into(), records: 0 })];
        let v = Verdict::assess(&failed, &none, &run(loaded(user_set(), json!([]))));
        assert_eq!(v.state, VerdictState::Incomplete);
        assert!(v.incomplete[0].contains("1 of 1 checks failed"), "{:?}", v.incomplete);
        // no module at all
        let v = Verdict::assess(&[], &none, &run(loaded(user_set(), json!([]))));
        assert_eq!(v.state, VerdictState::Incomplete);
        // artifacts present but empty: nothing usable was read
        let empty = [report("sms", ModuleStatus::Completed { records: 0 }), report("calls", ModuleStatus::NotFound)];
        let v = Verdict::assess(&empty, &none, &run(loaded(user_set(), json!([]))));
        assert_eq!(v.state, VerdictState::Incomplete);
        assert!(v.incomplete[0].contains("held no record"), "{:?}", v.incomplete);
    }

    #[test]
    fn a_failed_indicator_input_makes_it_incomplete_but_alerts_still_win() {
        let read = [report("sms", ModuleStatus::Completed { records: 3 })];
        let rejected = json!([{"path": "bad.json", "reason": "not a STIX bundle"}]);
        let v = Verdict::assess(&read, &LevelCounts::default(), &run(loaded(user_set(), rejected.clone())));
        assert_eq!((v.state, v.exit_status()), (VerdictState::Incomplete, ExitStatus::Error));
        assert_eq!(v.incomplete, vec!["indicator input failed: bad.json: not a STIX bundle"]);
        let serious = LevelCounts { critical: 1, ..LevelCounts::default() };
        let v = Verdict::assess(&read, &serious, &run(loaded(user_set(), rejected)));
        assert_eq!(v.state, VerdictState::AlertsFound);
        assert_eq!(v.incomplete.len(), 1, "the reason stays visible beside the alerts");
        // a file that loaded but gave nothing is a failed input too
        let empty = json!([{"path": "empty.stix2", "set_name": "empty", "total": 0},
                           {"path": "builtin:paragon-graphite.stix2", "set_name": "Paragon Graphite", "total": 1}]);
        let v = Verdict::assess(&read, &LevelCounts::default(), &run(loaded(empty, json!([]))));
        assert_eq!(v.state, VerdictState::Incomplete);
        assert_eq!(v.incomplete, vec!["indicator input failed: empty.stix2: no indicator could be loaded from it"]);
    }

    #[test]
    fn builtin_only_is_named_in_the_headline() {
        let read = [report("sms", ModuleStatus::Completed { records: 3 })];
        let builtin = json!([{"path": "builtin:paragon-graphite.stix2", "set_name": "Paragon Graphite", "total": 1}]);
        let v = Verdict::assess(&read, &LevelCounts::default(), &run(loaded(builtin, json!([]))));
        assert_eq!((v.state, v.exit_status()), (VerdictState::NothingFound, ExitStatus::Clean));
        assert!(v.builtin_indicators_only);
        assert!(v.headline().contains("built-in indicators only"), "{}", v.headline());
        assert!(v.caveats[0].contains("Paragon Graphite: 1"), "{:?}", v.caveats);
        // no indicator at all (null load report)
        let v = Verdict::assess(&read, &LevelCounts::default(), &run(Value::Null));
        assert!(v.builtin_indicators_only);
        assert!(v.caveats[0].starts_with("no indicator was loaded"), "{:?}", v.caveats);
        assert_eq!(v.state, VerdictState::NothingFound);
    }

    #[test]
    fn caveats_list_failures_and_acquisition_problems() {
        let reports = [
            report("sms", ModuleStatus::Completed { records: 3 }),
            report("tcc", ModuleStatus::Failed { error: "TCC.db: not a database".into(), records: 0 }),
        ];
        let mut r = run(loaded(user_set(), json!([])));
        r.problems = vec!["Status.plist is missing".into()];
        let v = Verdict::assess(&reports, &LevelCounts::default(), &r);
        assert_eq!(v.state, VerdictState::NothingFound);
        assert_eq!(v.caveats, vec!["1 check could not read its data: tcc", "Status.plist is missing"]);
        let lines = v.lines();
        assert_eq!(lines[0], "CHECKED, NOTHING FOUND: no high or critical alert");
        assert!(lines.iter().any(|l| l == "  note: Status.plist is missing"));
        assert!(lines.last().is_some_and(|l| l.contains("not proof")));
    }

    #[test]
    fn exit_codes_are_the_documented_numbers() {
        assert_eq!((ExitStatus::Clean.code(), ExitStatus::Alerts.code(), ExitStatus::Error.code()), (0, 1, 2));
    }
}
