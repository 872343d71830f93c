//! Result folders as cases: finding them, naming them, reading what campaign mode needs.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use ferret_core::observe::{Observable, ObservableKind, Observing};
use ferret_core::{Alert, Level, Module, NoIndicators, Output};
use ferret_report::{InfoFile, OBSERVABLES};
use jiff::Timestamp;

use crate::CampaignError;

/// How deep below a given folder result folders are looked for (`cases/*/results` is 2).
pub const MAX_DEPTH: usize = 4;

/// One results folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The name it is known by: the folder's name, with as many parent folders as needed to tell
    /// it apart from the others (`dev-001`, or `alice/results` and `bob/results`).
    pub id: String,
    /// The folder.
    pub dir: PathBuf,
}

fn is_results(dir: &Path) -> bool {
    dir.join("info.json").is_file()
}

/// The result folders named by `paths`: each is a results folder (it has `info.json`) or a
/// folder holding result folders up to [`MAX_DEPTH`] levels down. Sorted by path, each once;
/// named ([`Case::id`]) by their shortest distinct path suffix.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<Case>, CampaignError> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for p in paths {
        if !p.is_dir() {
            return Err(CampaignError::NotAFolder { path: p.clone() });
        }
        if is_results(p) {
            dirs.push(p.clone());
            continue;
        }
        let mut found = false;
        let walk = walkdir::WalkDir::new(p).min_depth(1).max_depth(MAX_DEPTH).follow_links(false).sort_by_file_name();
        let mut it = walk.into_iter();
        while let Some(e) = it.next() {
            let Ok(e) = e else { continue };
            if !e.file_type().is_dir() {
                continue;
            }
            if is_results(e.path()) {
                dirs.push(e.path().to_path_buf());
                found = true;
                it.skip_current_dir(); // a results folder holds no other
            }
        }
        if !found {
            return Err(CampaignError::NoResults { path: p.clone() });
        }
    }
    let mut dirs: Vec<PathBuf> = dirs
        .into_iter()
        .map(|d| std::path::absolute(&d).unwrap_or(d))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    dirs.sort();
    let ids = short_names(&dirs);
    Ok(dirs.into_iter().zip(ids).map(|(dir, id)| Case { id, dir }).collect())
}

/// The shortest path suffixes (1, 2, ... components) that tell the folders apart (one pass per
/// suffix length, each counting the suffixes of all folders).
fn short_names(dirs: &[PathBuf]) -> Vec<String> {
    let comps: Vec<Vec<String>> =
        dirs.iter().map(|d| d.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect()).collect();
    let name = |c: &Vec<String>, k: usize| c[c.len().saturating_sub(k)..].join("/");
    let mut out: Vec<Option<String>> = vec![None; dirs.len()];
    let deepest = comps.iter().map(Vec::len).max().unwrap_or(0);
    for k in 1..=deepest.max(1) {
        if out.iter().all(Option::is_some) {
            break;
        }
        let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for c in &comps {
            *counts.entry(name(c, k)).or_default() += 1;
        }
        for (i, c) in comps.iter().enumerate() {
            if out[i].is_none() {
                let n = name(c, k);
                if counts.get(&n) == Some(&1) || k >= c.len() {
                    out[i] = Some(n);
                }
            }
        }
    }
    out.into_iter().zip(&comps).map(|(o, c)| o.unwrap_or_else(|| name(c, c.len()))).collect()
}

/// An alert or anomaly of a device with a time: what a shared value's closeness is measured to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Signal {
    /// When.
    pub time: Timestamp,
    /// How serious.
    pub level: Level,
}

/// What campaign mode reads of one case.
#[derive(Debug, Clone, Default)]
pub struct CaseData {
    /// Distinct observed values.
    pub observables: Vec<Observable>,
    /// Alerts of level LOW or above that have a time, sorted by time.
    pub signals: Vec<Signal>,
    /// Values an alert of this case matched as an indicator (lower case).
    pub known: Vec<String>,
    /// The acquisition type the case was (from `info.json`), when known.
    pub acquisition: Option<String>,
    /// `observables.jsonl` was absent and the observables were rebuilt from the module JSON.
    pub rebuilt: bool,
}

/// The modules of each acquisition type, to rebuild the observables of older folders: two
/// types may have modules of the same name reading different records (`sms` on iOS and on
/// Android), so a folder's records go to the modules of its own type (`info.json`).
#[derive(Default)]
pub struct ModuleTable<'a> {
    by_kind: Vec<(String, Vec<&'a dyn Module>)>,
}

impl std::fmt::Debug for ModuleTable<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleTable").field("kinds", &self.by_kind.len()).finish_non_exhaustive()
    }
}

impl<'a> ModuleTable<'a> {
    /// An empty table (older folders then contribute no observables).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the modules of the acquisition type named `kind` (as `info.json` names it).
    pub fn add(&mut self, kind: &str, modules: Vec<&'a dyn Module>) {
        self.by_kind.push((kind.to_string(), modules));
    }

    /// The modules of `kind` (none for an unknown type).
    pub fn modules(&self, kind: &str) -> &[&'a dyn Module] {
        self.by_kind.iter().find(|(k, _)| k == kind).map_or(&[], |(_, m)| m.as_slice())
    }
}

/// Reads `observables.jsonl` (or rebuilds it with the modules of the folder's acquisition type
/// when the folder predates it, see [`observe_stored`]), `alerts.json` and `info.json` of `case`.
pub fn load(case: &Case, modules: &ModuleTable<'_>) -> Result<CaseData, CampaignError> {
    load_keeping(case, modules, &|_, _| true)
}

/// [`load`], keeping only the observables `keep` accepts: the others are only scanned for their
/// kind and value, never fully decoded (correlation's second pass).
pub fn load_keeping(
    case: &Case,
    modules: &ModuleTable<'_>,
    keep: &dyn Fn(ObservableKind, &str) -> bool,
) -> Result<CaseData, CampaignError> {
    let info: InfoFile = read_json(&case.dir.join("info.json"))?;
    let acquisition = Some(info.run.target.kind.clone()).filter(|k| !k.is_empty());
    let (observables, rebuilt) = case_observables(case, modules, Some(&info), &mut |k, v| keep(k, v))?;
    let alerts_path = case.dir.join("alerts.json");
    let alerts: Vec<Alert> = if alerts_path.is_file() { read_json(&alerts_path)? } else { Vec::new() };
    let mut signals: Vec<Signal> = alerts
        .iter()
        .filter(|a| a.level >= Level::Low)
        .filter_map(|a| a.event_time.map(|time| Signal { time, level: a.level }))
        .collect();
    signals.sort();
    let mut known: Vec<String> =
        alerts.iter().filter_map(|a| a.matched_indicator.as_ref().map(|m| m.value.to_lowercase())).collect();
    known.sort();
    known.dedup();
    Ok(CaseData { observables, signals, known, acquisition, rebuilt })
}

/// The one way campaign mode reads a case's observables: `f` sees the kind and value of each
/// and says whether to keep it decoded whole (only those are returned). They come from
/// `observables.jsonl`, or, for a folder written before it existed, are rebuilt from the module
/// files with the modules of the folder's type ([`observe_stored`]; the `bool` is then `true`).
/// `info` is the folder's `info.json` when the caller has read it.
pub fn case_observables(
    case: &Case,
    modules: &ModuleTable<'_>,
    info: Option<&InfoFile>,
    f: &mut dyn FnMut(ObservableKind, &str) -> bool,
) -> Result<(Vec<Observable>, bool), CampaignError> {
    let path = case.dir.join(OBSERVABLES);
    let mut kept = Vec::new();
    let scanned = scan_observables(&path, &mut |kind, value, line| {
        if f(kind, value) {
            let o: Observable = serde_json::from_str(line)
                .map_err(|e| CampaignError::Format { path: path.clone(), reason: e.to_string() })?;
            kept.push(o);
        }
        Ok(())
    });
    match scanned {
        Ok(()) => Ok((kept, false)),
        Err(CampaignError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            let read;
            let info = match info {
                Some(i) => i,
                None => {
                    read = read_json::<InfoFile>(&case.dir.join("info.json"))?;
                    &read
                }
            };
            let all = observe_stored(&case.dir, info, modules.modules(&info.run.target.kind))?;
            Ok((all.into_iter().filter(|o| f(o.kind, &o.value)).collect(), true))
        }
        Err(e) => Err(e),
    }
}

/// Kind and value of one line, decoded without the rest.
#[derive(serde::Deserialize)]
struct KindValue<'a> {
    kind: ObservableKind,
    #[serde(borrow)]
    value: std::borrow::Cow<'a, str>,
}

/// Calls `f` with the kind, value and text of every line of an `observables.jsonl` (one line in
/// memory at a time).
pub fn scan_observables(
    path: &Path,
    f: &mut dyn FnMut(ObservableKind, &str, &str) -> Result<(), CampaignError>,
) -> Result<(), CampaignError> {
    let file = std::fs::File::open(path).map_err(|source| CampaignError::Io { path: path.to_path_buf(), source })?;
    scan_observables_from(BufReader::with_capacity(1 << 16, file), path, f)
}

/// [`scan_observables`] on any reader; `path` names it in errors. A line longer than
/// [`MAX_LINE`] is an error (a crafted file cannot make one line take all memory).
pub fn scan_observables_from(
    mut r: impl BufRead,
    path: &Path,
    f: &mut dyn FnMut(ObservableKind, &str, &str) -> Result<(), CampaignError>,
) -> Result<(), CampaignError> {
    let io = |source| CampaignError::Io { path: path.to_path_buf(), source };
    let mut line = Vec::new();
    let mut n = 0usize;
    loop {
        line.clear();
        let read = std::io::Read::take(&mut r, MAX_LINE as u64 + 1).read_until(b'\n', &mut line).map_err(io)?;
        if read == 0 {
            return Ok(());
        }
        n += 1;
        if line.len() > MAX_LINE {
            return Err(CampaignError::Format {
                path: path.to_path_buf(),
                reason: format!("line {n} is longer than {MAX_LINE} bytes"),
            });
        }
        let text = std::str::from_utf8(&line)
            .map_err(|_| CampaignError::Format { path: path.to_path_buf(), reason: format!("line {n} is not UTF-8") })?
            .trim_end();
        if text.is_empty() {
            continue;
        }
        let kv: KindValue<'_> = serde_json::from_str(text)
            .map_err(|e| CampaignError::Format { path: path.to_path_buf(), reason: format!("line {n}: {e}") })?;
        f(kv.kind, &kv.value, text)?;
    }
}

/// Longest line of an `observables.jsonl` (values are at most 2,048 bytes; the modules list is
/// what can grow).
pub const MAX_LINE: usize = 1 << 20;

/// Reads an `observables.jsonl`.
pub fn read_observables(path: &Path) -> Result<Vec<Observable>, CampaignError> {
    let mut out = Vec::new();
    scan_observables(path, &mut |_, _, line| {
        let o: Observable = serde_json::from_str(line)
            .map_err(|e| CampaignError::Format { path: path.to_path_buf(), reason: e.to_string() })?;
        out.push(o);
        Ok(())
    })?;
    Ok(out)
}

pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, CampaignError> {
    let file = std::fs::File::open(path).map_err(|source| CampaignError::Io { path: path.to_path_buf(), source })?;
    serde_json::from_reader(BufReader::with_capacity(1 << 16, file))
        .map_err(|e| CampaignError::Format { path: path.to_path_buf(), reason: e.to_string() })
}

/// Rebuilds the observables of a results folder written before `observables.jsonl` existed:
/// each stored record of the modules its `info.json` lists is re-checked ([`Module::recheck`]) against
/// an observing empty indicator set, the same path `check-iocs` takes, so the values are the ones
/// a check would have noted. Modules whose records cannot be re-checked contribute nothing.
pub fn observe_stored(dir: &Path, info: &InfoFile, modules: &[&dyn Module]) -> Result<Vec<Observable>, CampaignError> {
    let mut tables = Vec::new();
    for report in &info.modules {
        let Some(m) = modules.iter().find(|m| m.info().name == report.module) else { continue };
        let path = dir.join(format!("{}.json", report.module));
        if !path.is_file() {
            continue;
        }
        let observing = Observing::new(&report.module, &NoIndicators);
        let mut sink = Discard;
        let mut tl = Discard;
        let mut out = Output::new(m.info().name, &mut sink, &mut tl).with_observer(&observing);
        let walked = ferret_report::for_each_record(&path, &mut |rec| match m.recheck(rec, &observing, &mut out) {
            Ok(true) => Ok(()),
            // not re-checkable: stop reading this module
            Ok(false) => Err(ferret_report::ReportError::Format { path: path.clone(), reason: "no re-check".into() }),
            Err(_) => Ok(()), // a record that does not parse is skipped, as check-iocs does
        });
        drop(out);
        if walked.is_ok() {
            tables.push(ferret_core::observe::Observer::take(&observing));
        }
    }
    Ok(ferret_core::observe::merge_tables(tables))
}

/// Record and timeline sink that keeps nothing (a re-check only looks at the checks).
struct Discard;

impl ferret_core::RecordSink for Discard {
    fn record(&mut self, _json: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
}

impl ferret_core::TimelineSink for Discard {
    fn event(&mut self, _event: ferret_core::TimelineEvent) -> std::io::Result<()> {
        Ok(())
    }
}

/// Per kind, how many values a set of observables holds (for summaries).
pub fn count_by_kind(obs: &[Observable]) -> BTreeMap<ObservableKind, usize> {
    let mut m = BTreeMap::new();
    for o in obs {
        *m.entry(o.kind).or_default() += 1;
    }
    m
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_shortest_distinct_suffixes() {
        let dirs: Vec<PathBuf> =
            ["/c/alice/results", "/c/bob/results", "/c/dev-1", "/d/dev-1"].iter().map(PathBuf::from).collect();
        assert_eq!(short_names(&dirs), ["alice/results", "bob/results", "c/dev-1", "d/dev-1"]);
    }

    #[test]
    fn a_folder_without_results_is_an_error() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir(t.path().join("empty")).unwrap();
        let err = discover(&[t.path().join("empty")]).unwrap_err();
        assert!(matches!(err, CampaignError::NoResults { .. }), "{err}");
        let err = discover(&[t.path().join("missing")]).unwrap_err();
        assert!(matches!(err, CampaignError::NotAFolder { .. }), "{err}");
    }
}
