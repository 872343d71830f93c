//! The results folder: a [`SinkFactory`] for the runner plus the end-of-run writers.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferret_core::{Alert, ModuleInfo, ModuleReport, RecordSink, SinkFactory, TimelineSink};
use serde::Serialize;

use crate::error::ReportError;
use crate::info::{InfoFile, RunInfo, Summary};
use crate::records::{JsonRecordSink, NullRecords};
use crate::timeline::{AlertIndex, NullTimeline, Selector, Spill, SpillingTimeline, csv_writer};

/// Tuning of a [`ResultsFolder`].
#[derive(Debug, Clone)]
pub struct FolderOptions {
    /// Bytes of timeline events one module buffers before spilling a sorted run (default
    /// 16 MiB; see [`crate::timeline`] for the resulting memory bound).
    pub timeline_buffer_bytes: usize,
    /// Where the private spill folder is created (default: the system temp folder).
    pub temp_dir: Option<PathBuf>,
    /// A `timeline.csv` to take the report's timeline from when this run wrote none
    /// (`check-iocs` points it at the re-checked folder's timeline).
    pub report_timeline_source: Option<PathBuf>,
    /// Accept a folder holding an earlier ferret run's results, replacing only ferret's own
    /// files in it (`--force`).
    pub force: bool,
    /// Language of `report.html` (default English; the CLI passes `--lang` or the locale's).
    pub lang: crate::Lang,
}

impl Default for FolderOptions {
    fn default() -> Self {
        Self {
            timeline_buffer_bytes: 16 * 1024 * 1024,
            temp_dir: None,
            report_timeline_source: None,
            force: false,
            lang: crate::Lang::En,
        }
    }
}

/// The marker file every results folder gets when it is created, so a later run recognises
/// ferret's own folder (and its own files) even when the run that made it was interrupted.
pub const MARKER: &str = ".ferret-results";
const MARKER_TEXT: &str =
    "This folder holds the results of a ferret check. ferret replaces its own files here only with --force.\n";

/// Files a results folder holds whatever modules ran.
const FIXED_FILES: [&str; 12] = [
    MARKER,
    crate::urls::URLS_FILE,
    crate::incidents::INCIDENTS_FILE,
    OBSERVABLES,
    "report.pdf",
    "alerts.json",
    "alerts_timeline.csv",
    "timeline.csv",
    "timeline.jsonl",
    "info.json",
    "command.log",
    "report.html",
];

/// The campaign observables of a check (see [`ferret_core::observe`]): one JSON object per
/// line, sorted by kind and value.
pub const OBSERVABLES: &str = "observables.jsonl";

/// A module's sorted run of observed values in the spill folder (or why it could not be
/// written).
type ObservationRun = (String, std::io::Result<File>);

/// A results folder being written. Give it to the runner as its [`SinkFactory`], then call
/// [`ResultsFolder::finish`] once with the module reports.
pub struct ResultsFolder {
    dir: PathBuf,
    spill: Arc<Spill>,
    options: FolderOptions,
    /// Sorted runs of module observation tables (in the spill folder), once the runner started
    /// observing.
    observations: std::sync::Mutex<Option<Vec<ObservationRun>>>,
    /// The URLs of the messaging modules' records, for `urls.json`.
    urls: Arc<std::sync::Mutex<crate::urls::UrlTable>>,
    /// The folder opened and exclusively locked for the whole run (released on drop).
    _lock: File,
}

impl std::fmt::Debug for ResultsFolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultsFolder").field("dir", &self.dir).finish_non_exhaustive()
    }
}

impl ResultsFolder {
    /// Creates `dir` (and its parents) if needed and takes an exclusive lock on it for the
    /// life of the value, so two runs cannot write into one folder. An existing folder must be
    /// empty, or hold an earlier ferret run's results and `options.force` be set: then ferret's
    /// own files in it are removed first (other files are never touched). Anything else is
    /// refused ([`ReportError::NotEmpty`], [`ReportError::Busy`], [`ReportError::NotAFolder`]).
    pub fn create(dir: &Path) -> Result<Self, ReportError> {
        Self::create_with(dir, FolderOptions::default())
    }

    /// [`ResultsFolder::create`] with options.
    pub fn create_with(dir: &Path, options: FolderOptions) -> Result<Self, ReportError> {
        if dir.exists() && !dir.is_dir() {
            return Err(ReportError::NotAFolder { path: dir.to_path_buf() });
        }
        std::fs::create_dir_all(dir).map_err(|e| ReportError::io("create folder", dir, e))?;
        let lock = File::open(dir).map_err(|e| ReportError::io("open", dir, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(ReportError::Busy { path: dir.to_path_buf() }),
            Err(std::fs::TryLockError::Error(e)) => return Err(ReportError::io("lock", dir, e)),
        }
        clear_earlier_results(dir, options.force)?;
        std::fs::write(dir.join(MARKER), MARKER_TEXT).map_err(|e| ReportError::io("write", dir.join(MARKER), e))?;
        let spill = Spill::new(options.temp_dir.as_deref(), options.timeline_buffer_bytes).map_err(|e| {
            ReportError::io(
                "create a temporary folder in",
                options.temp_dir.clone().unwrap_or_else(std::env::temp_dir),
                e,
            )
        })?;
        Ok(Self {
            dir: dir.to_path_buf(),
            spill: Arc::new(spill),
            options,
            observations: std::sync::Mutex::new(None),
            urls: Arc::default(),
            _lock: lock,
        })
    }

    /// Sets the `timeline.csv` the report takes its timeline from when this run wrote none.
    pub fn with_report_timeline_source(mut self, source: PathBuf) -> Self {
        self.options.report_timeline_source = Some(source);
        self
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Writes everything that needs the whole run: `timeline.csv`, `timeline.jsonl` (merged
    /// from the spilled runs), `alerts.json`, `<module>_detected.json`, `alerts_timeline.csv`,
    /// `info.json` and `report.html`. Call once, after the runner returned.
    pub fn finish(&self, reports: Vec<ModuleReport>, run: &RunInfo) -> Result<Summary, ReportError> {
        self.finish_hashing(reports, run, || run.target.hashes.clone())
    }

    /// [`ResultsFolder::finish`] with the input hashes taken from `hashes` only when
    /// `info.json` is written, after the timeline: the caller can hash the inputs on another
    /// thread while the timeline is merged (at 1M records both take about half a second of CPU
    /// and the merge leaves a core partly idle).
    pub fn finish_hashing(
        &self,
        mut reports: Vec<ModuleReport>,
        run: &RunInfo,
        hashes: impl FnOnce() -> Vec<ferret_core::evidence::FileHash>,
    ) -> Result<Summary, ReportError> {
        let mut alerts: Vec<Alert> = reports.iter_mut().flat_map(|r| std::mem::take(&mut r.alerts)).collect();
        ferret_core::alert::sort_alerts(&mut alerts);
        let index = AlertIndex::new(&alerts);
        let alert_times: Vec<_> =
            alerts.iter().filter_map(|a| a.event_time).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        let mut selector = Selector::new(&alert_times);
        // first: the URL runs are merged and closed before the timeline merge opens its own
        crate::urls::write_urls(&self.dir, &self.urls)?;
        // `observables.jsonl` is merged on a thread of its own while the timeline is (its runs
        // are already open files: no more descriptors are held at once)
        let runs = self.observations.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        let (events, observed) = std::thread::scope(|scope| {
            let observing = scope.spawn(|| match runs {
                Some(runs) => write_observables(&self.dir.join(OBSERVABLES), runs),
                None => Ok(()),
            });
            let events = crate::timeline::write_timeline(&self.spill, &self.dir, &index, &mut selector);
            let observed = observing.join().unwrap_or_else(|_| {
                Err(ReportError::io("write", self.dir.join(OBSERVABLES), std::io::Error::other("writer panicked")))
            });
            (events, observed)
        });
        let events = events?;
        observed?;
        if events == 0
            && let Some(src) = &self.options.report_timeline_source
            && src.is_file()
        {
            crate::timeline::select_from_csv(src, &index, &mut selector)?;
        }
        write_alert_files(&self.dir, &alerts, &reports)?;
        crate::mvt::write_aliases(&self.dir, reports.iter().map(|r| r.module.as_str()))?;
        let mut run = run.clone();
        run.target.hashes = hashes();
        if run.finished_at.is_none() {
            run.finished_at = Some(jiff::Timestamp::now());
        }
        let summary = Summary::new(alerts, &reports, &run);
        let info = InfoFile {
            run,
            modules: reports,
            alerts: summary.counts,
            timeline_events: events,
            verdict: Some(summary.verdict.clone()),
            incidents: crate::incidents::IncidentCounts::of(&summary.incidents),
            ..InfoFile::default()
        }
        .with_mvt_keys();
        write_json(&self.dir.join(crate::incidents::INCIDENTS_FILE), &summary.incidents)?;
        write_json(&self.dir.join("info.json"), &info)?;
        crate::html::write(&self.dir, &info, &summary.alerts, &selector, self.options.lang)?;
        Ok(summary)
    }
}

/// What an existing, non-empty results folder holds, for the refusal message.
fn describe_earlier(dir: &Path) -> Option<String> {
    let info: InfoFile = crate::html::read_json(&dir.join("info.json")).ok()?;
    let when = info.run.started_at.map(|t| format!(", started {}", ferret_core::time::format(t))).unwrap_or_default();
    let target = if info.run.target.path.is_empty() { "a results folder".to_string() } else { info.run.target.path };
    Some(format!("the results of an earlier ferret run on {target}{when}"))
}

/// Empties `dir` of an earlier run's files (with `force`), or refuses (see
/// [`ResultsFolder::create`]). Ferret's own files are the fixed names, and the `<module>.json`
/// and `<module>_detected.json` of the modules the earlier `info.json` lists (any `*.json` when
/// the earlier run ended before writing `info.json`).
fn clear_earlier_results(dir: &Path, force: bool) -> Result<(), ReportError> {
    let mut entries: Vec<(String, bool)> = Vec::new();
    let rd = std::fs::read_dir(dir).map_err(|e| ReportError::io("list", dir, e))?;
    for e in rd {
        let e = e.map_err(|e| ReportError::io("list", dir, e))?;
        let is_file = e.file_type().is_ok_and(|t| t.is_file());
        entries.push((e.file_name().to_string_lossy().into_owned(), is_file));
    }
    if entries.is_empty() {
        return Ok(());
    }
    let ours = entries.iter().any(|(n, f)| *f && n == MARKER) || describe_earlier(dir).is_some();
    if !ours {
        let mut names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        let shown = names.iter().take(5).copied().collect::<Vec<_>>().join(", ");
        let more = if names.len() > 5 { format!(" and {} more", names.len() - 5) } else { String::new() };
        return Err(ReportError::NotEmpty {
            path: dir.to_path_buf(),
            holds: format!("files that are not ferret results ({shown}{more})"),
            force_helps: false,
        });
    }
    if !force {
        return Err(ReportError::NotEmpty {
            path: dir.to_path_buf(),
            holds: describe_earlier(dir).unwrap_or_else(|| "the results of an earlier, unfinished ferret run".into()),
            force_helps: true,
        });
    }
    let modules: Option<Vec<String>> = crate::html::read_json::<InfoFile>(&dir.join("info.json"))
        .ok()
        .map(|i| i.modules.into_iter().map(|m| m.module).collect());
    for (name, is_file) in entries {
        if !is_file {
            continue;
        }
        let own = FIXED_FILES.contains(&name.as_str())
            || match &modules {
                Some(ms) => ms.iter().any(|m| {
                    name == format!("{m}.json")
                        || name == format!("{m}_detected.json")
                        || crate::mvt::alias_files(m).contains(&name)
                }),
                None => name.ends_with(".json"),
            };
        if own {
            let p = dir.join(&name);
            std::fs::remove_file(&p).map_err(|e| ReportError::io("remove", &p, e))?;
        }
    }
    Ok(())
}

impl SinkFactory for ResultsFolder {
    fn records(&self, info: &ModuleInfo) -> std::io::Result<Box<dyn RecordSink>> {
        let sink = Box::new(JsonRecordSink::new(self.dir.join(format!("{}.json", info.name)), info.shape));
        if crate::urls::MESSAGING_MODULES.contains(&info.name) {
            return Ok(Box::new(crate::urls::UrlTap::new(
                sink,
                info.name,
                Arc::clone(&self.spill),
                Arc::clone(&self.urls),
            )));
        }
        Ok(sink)
    }

    fn timeline(&self, _info: &ModuleInfo) -> std::io::Result<Box<dyn TimelineSink>> {
        Ok(Box::new(SpillingTimeline::new(Arc::clone(&self.spill))))
    }

    fn observes(&self) -> bool {
        self.observations.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get_or_insert_default();
        true
    }

    fn observations(&self, table: ferret_core::observe::ObservationTable) {
        if table.is_empty() {
            return;
        }
        let (module, entries) = table.into_sorted();
        let run = self.spill.temp_file().and_then(|f| {
            let mut w = BufWriter::with_capacity(1 << 16, f);
            ferret_core::observe::write_run(&mut w, &entries)?;
            let mut f = w.into_inner().map_err(std::io::IntoInnerError::into_error)?;
            std::io::Seek::rewind(&mut f)?;
            Ok(f)
        });
        self.observations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get_or_insert_default()
            .push((module, run));
    }
}

/// Writes `observables.jsonl` from the modules' sorted runs: one compact object per line.
fn write_observables(path: &Path, runs: Vec<ObservationRun>) -> Result<(), ReportError> {
    let mut readers: Vec<ferret_core::observe::Run<'static>> = Vec::with_capacity(runs.len());
    for (module, run) in runs {
        let f = run.map_err(|e| ReportError::io("write a temporary file for", path, e))?;
        let it = ferret_core::observe::read_run(std::io::BufReader::with_capacity(1 << 16, f));
        readers.push((module, Box::new(it)));
    }
    let file = File::create(path).map_err(|e| ReportError::io("create", path, e))?;
    let mut w = BufWriter::with_capacity(1 << 16, file);
    ferret_core::observe::merge_runs(readers, |o| {
        serde_json::to_writer(&mut w, &o).map_err(std::io::Error::other)?;
        w.write_all(b"\n")
    })
    .map_err(|e| ReportError::io("write", path, e))?;
    w.flush().map_err(|e| ReportError::io("write", path, e))
}

/// A [`SinkFactory`] that discards records and timeline events (runs without `--output`);
/// alerts still come back in the module reports (see [`Summary::from_reports`]).
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSinks;

impl SinkFactory for NullSinks {
    fn records(&self, _info: &ModuleInfo) -> std::io::Result<Box<dyn RecordSink>> {
        Ok(Box::new(NullRecords))
    }

    fn timeline(&self, _info: &ModuleInfo) -> std::io::Result<Box<dyn TimelineSink>> {
        Ok(Box::new(NullTimeline))
    }
}

/// Pretty JSON, 4-space indent (as MVT), trailing newline.
pub(crate) fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<(), ReportError> {
    let f = File::create(path).map_err(|e| ReportError::io("create", path, e))?;
    let mut w = BufWriter::with_capacity(256 * 1024, f);
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut w, fmt);
    value.serialize(&mut ser).map_err(|e| ReportError::json(path, e))?;
    w.write_all(b"\n").map_err(|e| ReportError::io("write", path, e))?;
    w.flush().map_err(|e| ReportError::io("write", path, e))
}

/// Header of `alerts_timeline.csv`.
pub const ALERTS_TIMELINE_HEADER: [&str; 4] = ["Event Time", "Module", "Message", "Event"];

/// `alerts.json` (always, `[]` when none), `<module>_detected.json` (modules with alerts; stale
/// ones of the reported modules are removed), `alerts_timeline.csv` (always; timed alerts in
/// time order, the record as compact JSON).
pub(crate) fn write_alert_files(dir: &Path, alerts: &[Alert], reports: &[ModuleReport]) -> Result<(), ReportError> {
    write_json(&dir.join("alerts.json"), alerts)?;
    let mut modules: Vec<&str> = reports.iter().map(|r| r.module.as_str()).collect();
    modules.extend(alerts.iter().map(|a| a.module.as_str()));
    modules.sort_unstable();
    modules.dedup();
    for m in modules {
        let path = dir.join(format!("{m}_detected.json"));
        let mine: Vec<&Alert> = alerts.iter().filter(|a| a.module == m).collect();
        if mine.is_empty() {
            if path.is_file() {
                std::fs::remove_file(&path).map_err(|e| ReportError::io("remove stale", &path, e))?;
            }
        } else {
            write_json(&path, &mine)?;
        }
    }
    let path = dir.join("alerts_timeline.csv");
    let mut w = csv_writer(&path)?;
    w.write_record(ALERTS_TIMELINE_HEADER).map_err(|e| ReportError::csv(&path, e))?;
    for a in alerts {
        let Some(t) = a.event_time else { continue };
        let event = serde_json::to_string(&a.event).map_err(|e| ReportError::json(&path, e))?;
        w.write_record([ferret_core::time::format(t).as_str(), &a.module, &a.message, &event])
            .map_err(|e| ReportError::csv(&path, e))?;
    }
    w.flush().map_err(|e| ReportError::io("write", &path, e))
}
