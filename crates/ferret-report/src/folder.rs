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
}

impl Default for FolderOptions {
    fn default() -> Self {
        Self { timeline_buffer_bytes: 16 * 1024 * 1024, temp_dir: None, report_timeline_source: None }
    }
}

/// A results folder being written. Give it to the runner as its [`SinkFactory`], then call
/// [`ResultsFolder::finish`] once with the module reports.
pub struct ResultsFolder {
    dir: PathBuf,
    spill: Arc<Spill>,
    options: FolderOptions,
}

impl std::fmt::Debug for ResultsFolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultsFolder").field("dir", &self.dir).finish_non_exhaustive()
    }
}

impl ResultsFolder {
    /// Creates `dir` (and its parents) if needed. An existing folder is reused (files of the
    /// same name are overwritten, stale `timeline.*` and `<module>_detected.json` of the
    /// modules run are removed); an existing file is refused.
    pub fn create(dir: &Path) -> Result<Self, ReportError> {
        Self::create_with(dir, FolderOptions::default())
    }

    /// [`ResultsFolder::create`] with options.
    pub fn create_with(dir: &Path, options: FolderOptions) -> Result<Self, ReportError> {
        if dir.exists() && !dir.is_dir() {
            return Err(ReportError::NotAFolder { path: dir.to_path_buf() });
        }
        std::fs::create_dir_all(dir).map_err(|e| ReportError::io("create folder", dir, e))?;
        let spill = Spill::new(options.temp_dir.as_deref(), options.timeline_buffer_bytes).map_err(|e| {
            ReportError::io(
                "create a temporary folder in",
                options.temp_dir.clone().unwrap_or_else(std::env::temp_dir),
                e,
            )
        })?;
        Ok(Self { dir: dir.to_path_buf(), spill: Arc::new(spill), options })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Writes everything that needs the whole run: `timeline.csv`, `timeline.jsonl` (merged
    /// from the spilled runs), `alerts.json`, `<module>_detected.json`, `alerts_timeline.csv`,
    /// `info.json` and `report.html`. Call once, after the runner returned.
    pub fn finish(&self, mut reports: Vec<ModuleReport>, run: &RunInfo) -> Result<Summary, ReportError> {
        let mut alerts: Vec<Alert> = reports.iter_mut().flat_map(|r| std::mem::take(&mut r.alerts)).collect();
        ferret_core::alert::sort_alerts(&mut alerts);
        let index = AlertIndex::new(&alerts);
        let alert_times: Vec<_> =
            alerts.iter().filter_map(|a| a.event_time).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        let mut selector = Selector::new(&alert_times);
        let events = crate::timeline::write_timeline(&self.spill, &self.dir, &index, &mut selector)?;
        if events == 0
            && let Some(src) = &self.options.report_timeline_source
            && src.is_file()
        {
            crate::timeline::select_from_csv(src, &index, &mut selector)?;
        }
        write_alert_files(&self.dir, &alerts, &reports)?;
        let mut run = run.clone();
        if run.finished_at.is_none() {
            run.finished_at = Some(jiff::Timestamp::now());
        }
        let summary = Summary::new(alerts, &reports);
        let info = InfoFile { run, modules: reports, alerts: summary.counts, timeline_events: events };
        write_json(&self.dir.join("info.json"), &info)?;
        crate::html::write(&self.dir, &info, &summary.alerts, &selector)?;
        Ok(summary)
    }
}

impl SinkFactory for ResultsFolder {
    fn records(&self, info: &ModuleInfo) -> std::io::Result<Box<dyn RecordSink>> {
        Ok(Box::new(JsonRecordSink::new(self.dir.join(format!("{}.json", info.name)), info.shape)))
    }

    fn timeline(&self, _info: &ModuleInfo) -> std::io::Result<Box<dyn TimelineSink>> {
        Ok(Box::new(SpillingTimeline::new(Arc::clone(&self.spill))))
    }
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
