//! The module contract.
//!
//! A module knows one artifact: where it is in each acquisition type (a [`Locator`]), how to
//! parse it into typed records, how each record becomes timeline events, and which checks apply.
//! Most modules implement the typed [`ArtifactModule`] trait and are registered as
//! `Box::new(Typed(MyModule))` (see [`Typed`]); the runner only sees the object-safe [`Module`].
//!
//! Rules:
//! * stream records with [`Out::record`]; never collect a whole table in memory;
//! * a missing artifact is [`Outcome::NotFound`], not an error;
//! * a corrupt artifact is an `Err` for this module only (the run continues);
//! * a bad row is [`Out::warn`] and skipped;
//! * no printing, no writing files, no network.
//!
//! [`Locator`]: crate::evidence::Locator

use jiff::Timestamp;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::alert::{Alert, Finding, Level, MatchedIndicator};
use crate::evidence::{Evidence, EvidenceError};
use crate::indicators::Indicators;

/// One row of `timeline.csv` (`UTC Timestamp,Plugin,Event,Description`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TimelineEvent {
    /// When.
    #[serde(with = "crate::time::serde_ts")]
    pub timestamp: Timestamp,
    /// Module slug.
    pub module: String,
    /// Short event kind, e.g. `sms_received`, `visit`, `M-CB`.
    pub event: String,
    /// Human-readable description.
    pub data: String,
}

/// Whether the module found its artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The artifact was found and read (possibly with skipped rows).
    Completed,
    /// The artifact does not exist in this acquisition.
    NotFound,
}

/// Why a module failed. The run continues; the error is listed in `info.json` and the report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModuleError {
    /// Reading the evidence failed.
    #[error(transparent)]
    Evidence(#[from] EvidenceError),
    /// A database query failed.
    #[error("{path}: query failed: {source}")]
    Query {
        /// Database path inside the acquisition.
        path: String,
        /// Underlying error.
        source: rusqlite::Error,
    },
    /// A database query used more than its connection's step budget
    /// ([`crate::sqlite::step_budget`]): stopped, so a crafted database cannot hang the run.
    #[error(
        "SQLite work budget exceeded on {path} (more than {steps} steps): the database may be crafted, e.g. a recursive view"
    )]
    SqliteBudget {
        /// Database path inside the acquisition.
        path: String,
        /// The budget, in SQLite steps.
        steps: u64,
    },
    /// The artifact's format is not what was expected.
    #[error("{path}: {reason}")]
    Format {
        /// Path inside the acquisition.
        path: String,
        /// What is wrong, with the key path / offset when known.
        reason: String,
    },
    /// Writing a record to the results failed.
    #[error("cannot write results: {0}")]
    Output(#[from] std::io::Error),
    /// The module panicked (a bug); caught by the runner.
    #[error("module crashed: {0}")]
    Panic(String),
    /// The database holds no table at all (a 0-byte file, a header with no page, or a page with
    /// an empty schema: an app that created its database and never wrote to it). Not a failure:
    /// every module reports it the same way, "completed" with this as a warning
    /// ([`Typed`] converts it).
    #[error("{path}: empty database (no table: 0 bytes, header only or an empty schema); nothing to read")]
    EmptyDatabase {
        /// Database path inside the acquisition.
        path: String,
    },
}

impl ModuleError {
    /// Helper for query errors. A query stopped by the step budget becomes
    /// [`ModuleError::SqliteBudget`].
    pub fn query(path: &str, source: rusqlite::Error) -> Self {
        if crate::sqlite::is_interrupt(&source)
            && let Some(b) = crate::sqlite::take_budget_exceeded()
        {
            return Self::SqliteBudget { path: path.to_string(), steps: b.steps };
        }
        Self::Query { path: path.to_string(), source }
    }
    /// Helper for format errors.
    pub fn format(path: &str, reason: impl Into<String>) -> Self {
        Self::Format { path: path.to_string(), reason: reason.into() }
    }
    /// The error for a database that lacks the tables a module reads: [`ModuleError::EmptyDatabase`]
    /// when it has no table at all, else a format error naming `what` is missing.
    pub fn missing_tables(path: &str, db: &crate::sqlite::SqliteDb, what: &str) -> Self {
        if db.is_empty_schema() {
            Self::EmptyDatabase { path: path.to_string() }
        } else {
            Self::format(path, format!("{what} not found"))
        }
    }
}

/// Options that change what modules do.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunOptions {
    /// Skip slow optional checks (MVT's `--fast`).
    pub fast: bool,
    /// Network captures: keep only the packets to or from these addresses (the phone's IPv4 and
    /// IPv6 addresses, `--device-ip`); all packets when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub device_ips: Vec<std::net::IpAddr>,
    /// Keep every process name and executable path each module checks
    /// ([`crate::observe::Sightings`], in [`crate::ModuleReport::sightings`]) for post-run passes
    /// ([`crate::runner::PostRun`]), whether or not observables are written.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sightings: bool,
    /// `--custody FROM..TO`: software and trust changes inside this window are raised to `HIGH`
    /// (see [`crate::custody`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custody: Option<crate::custody::Custody>,
}

/// What a module receives.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The acquisition.
    pub evidence: &'a dyn Evidence,
    /// Loaded indicators (possibly empty).
    pub indicators: &'a dyn Indicators,
    /// Options.
    pub options: &'a RunOptions,
}

/// How `<module>.json` is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputShape {
    /// A JSON array of records (most modules).
    #[default]
    List,
    /// A single JSON object (e.g. `backup_info`): the module emits at most one record.
    Object,
}

/// Static description of a module.
#[derive(Debug, Clone, Copy)]
pub struct ModuleInfo {
    /// Slug: file name of its results (`sms` → `sms.json`), `--module` name.
    pub name: &'static str,
    /// One line for `--list-modules`.
    pub description: &'static str,
    /// Shape of `<name>.json`.
    pub shape: OutputShape,
}

/// Receives a module's records as JSON documents, in emission order.
pub trait RecordSink: Send {
    /// One record, serialized compactly.
    fn record(&mut self, json: &[u8]) -> std::io::Result<()>;
    /// Called once after the module finished (closes the file).
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Receives a module's timeline events (any order).
pub trait TimelineSink: Send {
    /// One event.
    fn event(&mut self, event: TimelineEvent) -> std::io::Result<()>;
    /// Called once after the module finished.
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything a module emits, handed to it by the runner.
pub struct Output<'a> {
    module: &'static str,
    records: &'a mut dyn RecordSink,
    timeline: &'a mut dyn TimelineSink,
    pub(crate) alerts: Vec<Alert>,
    pub(crate) warnings: Vec<String>,
    pub(crate) count: u64,
    buf: Vec<u8>,
    observer: Option<&'a dyn crate::observe::Observer>,
    custody: Option<crate::custody::Custody>,
}

impl<'a> Output<'a> {
    /// Builds an output for `module` (used by the runner and by tests).
    pub fn new(module: &'static str, records: &'a mut dyn RecordSink, timeline: &'a mut dyn TimelineSink) -> Self {
        Self {
            module,
            records,
            timeline,
            alerts: Vec::new(),
            warnings: Vec::new(),
            count: 0,
            buf: Vec::new(),
            observer: None,
            custody: None,
        }
    }

    /// Raises every software or trust change inside `custody` to `HIGH`
    /// ([`ArtifactModule::changes`], [`crate::custody`]); `None` leaves the output as it is.
    pub fn with_custody(mut self, custody: Option<crate::custody::Custody>) -> Self {
        self.custody = custody;
        self
    }

    /// Alerts for the changes `record` describes that lie in the custody window, if any.
    fn custody_alerts<R: Serialize + ?Sized>(&mut self, changes: &[(Timestamp, String)], record: &R) {
        let Some(c) = self.custody else { return };
        for (t, what) in changes {
            if let Some(f) = c.finding(what, *t) {
                self.alert(f, record);
            }
        }
    }

    /// Tells `observer` the time of each typed record before its checks run (see
    /// [`crate::observe`]); the module must check against that same observer.
    pub fn with_observer(mut self, observer: &'a dyn crate::observe::Observer) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Sets the observer's time to the span of `events` (a record's timeline events) before
    /// that record's checks.
    fn observe_times(&self, events: &[(Timestamp, String, String)]) {
        if let Some(o) = self.observer {
            let lo = events.iter().map(|e| e.0).min();
            let hi = events.iter().map(|e| e.0).max();
            o.set_time(lo.zip(hi));
        }
    }

    /// The module slug.
    pub fn module(&self) -> &'static str {
        self.module
    }

    /// Writes one record.
    pub fn record<R: Serialize + ?Sized>(&mut self, r: &R) -> Result<(), ModuleError> {
        self.buf.clear();
        serde_json::to_writer(&mut self.buf, r).map_err(std::io::Error::other)?;
        self.records.record(&self.buf)?;
        self.count += 1;
        Ok(())
    }

    /// Adds a timeline event.
    pub fn timeline(&mut self, timestamp: Timestamp, event: &str, data: impl Into<String>) -> Result<(), ModuleError> {
        self.timeline.event(TimelineEvent {
            timestamp,
            module: self.module.to_string(),
            event: event.to_string(),
            data: data.into(),
        })?;
        Ok(())
    }

    /// Raises an alert about `record`.
    pub fn alert<R: Serialize + ?Sized>(&mut self, finding: Finding, record: &R) {
        let event = serde_json::to_value(record).unwrap_or(serde_json::Value::Null);
        self.alerts.push(Alert {
            level: finding.level,
            module: self.module.to_string(),
            message: finding.message,
            event_time: finding.event_time,
            event,
            matched_indicator: finding.matched_indicator,
        });
    }

    /// Notes a skipped row or a recoverable problem (listed in `info.json`).
    pub fn warn(&mut self, message: impl Into<String>) {
        const MAX_WARNINGS: usize = 1000;
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(message.into());
        } else if self.warnings.len() == MAX_WARNINGS {
            self.warnings.push("further warnings suppressed".into());
        }
    }

    /// Records written so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Alerts raised so far (for tests).
    pub fn alerts(&self) -> &[Alert] {
        &self.alerts
    }

    /// Takes the alerts and warnings out (for the runner and tests).
    pub fn into_parts(self) -> (Vec<Alert>, Vec<String>, u64) {
        (self.alerts, self.warnings, self.count)
    }
}

/// The object-safe module interface the runner executes.
pub trait Module: Send + Sync {
    /// Name, description, output shape.
    fn info(&self) -> ModuleInfo;

    /// The name of another module that reads the same database. The runner starts this module
    /// right after that one, so both use one private copy of the database while they run (a
    /// copy made for a database with a `-wal`, or inflated from an archive, lives only while a
    /// module uses it: run one after the other, the two would copy it twice).
    fn shares_database_with(&self) -> Option<&'static str> {
        None
    }

    /// Extracts, checks and emits everything for this acquisition.
    fn run(&self, ctx: &Context<'_>, out: &mut Output<'_>) -> Result<Outcome, ModuleError>;

    /// Re-checks one stored record (from a previous `<module>.json`) against indicators,
    /// without the acquisition (`ferret check-iocs`). Returns `false` if this module's records
    /// cannot be re-checked.
    fn recheck(
        &self,
        _record: serde_json::Value,
        _indicators: &dyn Indicators,
        _out: &mut Output<'_>,
    ) -> Result<bool, ModuleError> {
        Ok(false)
    }
}

/// The typed way to write a module: records of one type, per-record timeline and checks.
///
/// [`Out::record`] writes the record, adds its timeline events and runs [`ArtifactModule::check`]
/// on it, so every record is checked the same way at extraction time and in `check-iocs`.
/// Cross-record heuristics (sequence gaps, redirect timing) call [`Out::alert`] directly.
pub trait ArtifactModule: Send + Sync + 'static {
    /// The record type (its rustdoc is the schema of `<name>.json`).
    type Record: Serialize + DeserializeOwned + Send;

    /// Slug.
    const NAME: &'static str;
    /// One line for `--list-modules`.
    const DESCRIPTION: &'static str;
    /// Shape of `<name>.json`.
    const SHAPE: OutputShape = OutputShape::List;
    /// Another module that reads the same database (see [`Module::shares_database_with`]).
    const SHARES_DATABASE_WITH: Option<&'static str> = None;

    /// Finds the artifact and streams its records into `out`.
    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError>
    where
        Self: Sized;

    /// Timeline events of one record: `(time, event kind, description)`.
    fn timeline(&self, _record: &Self::Record, _events: &mut Vec<(Timestamp, String, String)>) {}

    /// Indicator checks and per-record heuristics on one record.
    fn check(&self, _record: &Self::Record, _indicators: &dyn Indicators, _findings: &mut Vec<Finding>) {}

    /// The changes of the phone's software or trust that `record` describes, each with its
    /// time and a short description naming what changed (`App "com.x" installed`): app
    /// installs and updates, configuration profiles, root certificates, privacy,
    /// accessibility or device-admin grants, VPNs. Those inside the `--custody` window are
    /// raised to `HIGH` by the framework ([`crate::custody`]), during a check and a re-check.
    /// Default: none.
    fn changes(&self, _record: &Self::Record, _changes: &mut Vec<(Timestamp, String)>) {}
}

/// The typed output an [`ArtifactModule`] writes to.
pub struct Out<'m, 'o, M: ArtifactModule> {
    module: &'m M,
    indicators: &'m dyn Indicators,
    inner: &'m mut Output<'o>,
    events: Vec<(Timestamp, String, String)>,
    findings: Vec<Finding>,
    changes: Vec<(Timestamp, String)>,
}

impl<'m, 'o, M: ArtifactModule> Out<'m, 'o, M> {
    /// Wraps an [`Output`] (used by [`Typed`] and by tests).
    pub fn new(module: &'m M, indicators: &'m dyn Indicators, inner: &'m mut Output<'o>) -> Self {
        Self { module, indicators, inner, events: Vec::new(), findings: Vec::new(), changes: Vec::new() }
    }

    /// Writes, timelines and checks one record.
    pub fn record(&mut self, record: M::Record) -> Result<(), ModuleError> {
        self.inner.record(&record)?;
        self.events.clear();
        self.module.timeline(&record, &mut self.events);
        self.inner.observe_times(&self.events);
        for (t, e, d) in self.events.drain(..) {
            self.inner.timeline(t, &e, d)?;
        }
        self.findings.clear();
        self.module.check(&record, self.indicators, &mut self.findings);
        for f in self.findings.drain(..) {
            self.inner.alert(f, &record);
        }
        if self.inner.custody.is_some() {
            self.changes.clear();
            self.module.changes(&record, &mut self.changes);
            self.inner.custody_alerts(&self.changes, &record);
        }
        Ok(())
    }

    /// Raises an alert from a cross-record heuristic.
    pub fn alert<R: Serialize + ?Sized>(&mut self, finding: Finding, record: &R) {
        self.inner.alert(finding, record);
    }

    /// Shorthand for a heuristic alert.
    pub fn heuristic<R: Serialize + ?Sized>(
        &mut self,
        level: Level,
        message: impl Into<String>,
        time: Option<Timestamp>,
        record: &R,
    ) {
        self.inner.alert(Finding::heuristic(level, message, time), record);
    }

    /// Adds a timeline event not tied to one record.
    pub fn timeline(&mut self, t: Timestamp, event: &str, data: impl Into<String>) -> Result<(), ModuleError> {
        self.inner.timeline(t, event, data)
    }

    /// Notes a skipped row.
    pub fn warn(&mut self, message: impl Into<String>) {
        self.inner.warn(message);
    }

    /// The indicators.
    pub fn indicators(&self) -> &dyn Indicators {
        self.indicators
    }

    /// Records written so far.
    pub fn count(&self) -> u64 {
        self.inner.count()
    }
}

/// Adapts an [`ArtifactModule`] to [`Module`].
pub struct Typed<M>(pub M);

impl<M: ArtifactModule> Module for Typed<M> {
    fn info(&self) -> ModuleInfo {
        ModuleInfo { name: M::NAME, description: M::DESCRIPTION, shape: M::SHAPE }
    }

    fn shares_database_with(&self) -> Option<&'static str> {
        M::SHARES_DATABASE_WITH
    }

    fn run(&self, ctx: &Context<'_>, out: &mut Output<'_>) -> Result<Outcome, ModuleError> {
        let mut typed = Out::new(&self.0, ctx.indicators, out);
        match self.0.extract(ctx, &mut typed) {
            Err(e @ ModuleError::EmptyDatabase { .. }) => {
                typed.warn(e.to_string());
                Ok(Outcome::Completed)
            }
            other => other,
        }
    }

    fn recheck(
        &self,
        record: serde_json::Value,
        indicators: &dyn Indicators,
        out: &mut Output<'_>,
    ) -> Result<bool, ModuleError> {
        let typed: M::Record = serde_json::from_value(record)
            .map_err(|e| ModuleError::format(&format!("{}.json", M::NAME), e.to_string()))?;
        if out.observer.is_some() {
            let mut events = Vec::new();
            self.0.timeline(&typed, &mut events);
            out.observe_times(&events);
        }
        let mut findings = Vec::new();
        self.0.check(&typed, indicators, &mut findings);
        for f in findings {
            out.alert(f, &typed);
        }
        if out.custody.is_some() {
            let mut changes = Vec::new();
            self.0.changes(&typed, &mut changes);
            out.custody_alerts(&changes, &typed);
        }
        Ok(true)
    }
}

/// Shorthand: an indicator finding with the usual message shape.
pub fn ioc_finding(level: Level, what: &str, value: &str, time: Option<Timestamp>, m: MatchedIndicator) -> Finding {
    let message = format!("{what} {value:?} matches indicator {:?} of {:?} ({})", m.value, m.name, m.kind);
    Finding::indicator(level, message, time, m)
}

/// In-memory sinks for module unit tests.
pub mod testing {
    use super::*;

    /// Collects records and timeline events in memory.
    #[derive(Debug, Default)]
    pub struct MemorySink {
        /// Records as JSON values.
        pub records: Vec<serde_json::Value>,
        /// Timeline events.
        pub timeline: Vec<TimelineEvent>,
    }

    impl RecordSink for MemorySink {
        fn record(&mut self, json: &[u8]) -> std::io::Result<()> {
            self.records.push(serde_json::from_slice(json).map_err(std::io::Error::other)?);
            Ok(())
        }
    }

    /// Collects timeline events in memory.
    #[derive(Debug, Default)]
    pub struct MemoryTimeline(pub Vec<TimelineEvent>);

    impl TimelineSink for MemoryTimeline {
        fn event(&mut self, e: TimelineEvent) -> std::io::Result<()> {
            self.0.push(e);
            Ok(())
        }
    }

    /// Result of [`run_one`].
    #[derive(Debug)]
    pub struct RunResult {
        /// Outcome or error text.
        pub outcome: Result<Outcome, String>,
        /// Records.
        pub records: Vec<serde_json::Value>,
        /// Timeline.
        pub timeline: Vec<TimelineEvent>,
        /// Alerts.
        pub alerts: Vec<Alert>,
        /// Warnings.
        pub warnings: Vec<String>,
    }

    /// Runs one module in memory.
    pub fn run_one(module: &dyn Module, ctx: &Context<'_>) -> RunResult {
        let mut sink = MemorySink::default();
        let mut tl = MemoryTimeline::default();
        let mut out = Output::new(module.info().name, &mut sink, &mut tl);
        let outcome = module.run(ctx, &mut out).map_err(|e| e.to_string());
        let (alerts, warnings, _) = out.into_parts();
        RunResult { outcome, records: sink.records, timeline: tl.0, alerts, warnings }
    }
}
