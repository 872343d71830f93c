//! Where indicators come from, and the load report.
//!
//! Sources, in this order: explicit paths (files or folders), the `FERRET_IOCS` and `MVT_STIX2`
//! environment variables (`:`-separated paths), the local cache filled by `ferret iocs update`,
//! and the built-in curated sets (Paragon Graphite). A folder is searched recursively (hidden
//! entries skipped, symlinked folders not followed, depth ≤ 16) for `*.stix2`, `*.stix`,
//! `*.json` files that are STIX bundles, `ioc.yaml` files and the canonical list names of
//! the formats module (`domains.txt`, `processes.txt`, ...). A file given explicitly is loaded whatever its extension (fixes MVT A8).
//!
//! A file that cannot be read or parsed is listed in [`LoadReport::rejected_files`] with the
//! reason; the other files still load. An explicit path that does not exist is an error
//! ([`LoadError::NotFound`]): a typo must not silently give a check with no indicators.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::compile::Rule;
use crate::index::{IndexBuilder, IndicatorIndex, Meta};
use crate::kind::Kind;
use crate::update::{CacheStatus, cache_status, cached_files, default_cache_dir};

/// Largest indicator file read, in bytes.
pub const MAX_FILE_SIZE: u64 = 512 * 1024 * 1024;

/// The built-in curated Paragon Graphite set (`iocs/paragon-graphite.stix2` in the repository).
pub const PARAGON_GRAPHITE: &str = include_str!("../../../iocs/paragon-graphite.stix2");
/// File name the built-in Paragon set is reported under.
pub const PARAGON_GRAPHITE_NAME: &str = "paragon-graphite.stix2";
/// The built-in curated set of implant files published in 2025-26 (`iocs/mercenary-implants.stix2`:
/// DarkSword, Coruna/PLASMAGRID, Predator), each indicator with its public sources.
pub const MERCENARY_IMPLANTS: &str = include_str!("../../../iocs/mercenary-implants.stix2");

/// Every built-in curated set: the name it is reported under (`builtin:<name>`) and its text.
pub const BUILTIN_SETS: &[(&str, &str)] =
    &[(PARAGON_GRAPHITE_NAME, PARAGON_GRAPHITE), ("mercenary-implants.stix2", MERCENARY_IMPLANTS)];

/// Where to load indicators from.
#[derive(Debug, Clone, Default)]
pub struct IndicatorSources {
    /// Files or folders given by the user (`--iocs`).
    pub paths: Vec<PathBuf>,
    /// Also read `FERRET_IOCS` and `MVT_STIX2` (`:`-separated paths).
    pub use_env: bool,
    /// Also load the local cache (see [`crate::update::default_cache_dir`]).
    pub use_cache: bool,
    /// Also load the built-in curated sets.
    pub include_builtin: bool,
    /// Cache folder to use instead of [`crate::update::default_cache_dir`] (when `use_cache`).
    pub cache_dir: Option<PathBuf>,
    /// Folder for prepared copies of large files ([`crate::prepared`]; usually
    /// [`crate::prepared::default_prepared_dir`]); `None`: every file is parsed.
    pub prepared_dir: Option<PathBuf>,
}

/// File formats understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// STIX 2.1 bundle.
    Stix2,
    /// AssoEchap stalkerware `ioc.yaml`.
    IocYaml,
    /// One value per line.
    List,
}

/// One pattern or value that was not loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedPattern {
    /// File it came from.
    pub file: String,
    /// STIX indicator id, or `line N` / `app/field` for other formats.
    pub indicator_id: String,
    /// The pattern or value (first 300 characters).
    pub pattern: String,
    /// Why it was rejected.
    pub reason: String,
}

/// A file that was not loaded at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedFile {
    /// Path.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// What one file contributed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileReport {
    /// Path (or `builtin:<name>`).
    pub path: String,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Format.
    pub format: Format,
    /// Set name (the bundle's only malware, else the file stem; the folder for lists).
    pub set_name: String,
    /// Accepted indicator values per kind label (duplicates inside the file counted once each
    /// time they appear; the index itself is deduplicated, see [`LoadReport::totals`]).
    pub counts: BTreeMap<String, usize>,
    /// Sum of `counts`.
    pub total: usize,
    /// Rejected patterns in this file.
    pub rejected: usize,
    /// Public write-ups the file names: the `http(s)` `external_references` of its malware,
    /// campaign, intrusion-set, threat-actor, tool and report objects, at most
    /// [`MAX_REFERENCES`] (the report links each spyware family to them). Not written when
    /// empty, so load reports without any stay as they were.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
}

/// Most write-up references kept per file.
pub const MAX_REFERENCES: usize = 50;

/// A public write-up an indicator file names for a malware, campaign or report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reference {
    /// The name of the object it belongs to (what alerts carry as `matched_indicator.name`).
    pub name: String,
    /// Who published it (`source_name`; may be empty).
    pub source: String,
    /// Where (`http` or `https`).
    pub url: String,
}

/// Everything a user needs to trust (or distrust) the loaded indicators.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LoadReport {
    /// Files loaded, in load order.
    pub files: Vec<FileReport>,
    /// Files that could not be loaded.
    pub rejected_files: Vec<RejectedFile>,
    /// Distinct indicators in the index per kind label.
    pub totals: BTreeMap<String, usize>,
    /// Distinct indicators in the index.
    pub total: usize,
    /// Every rejected pattern.
    pub rejected_patterns: Vec<RejectedPattern>,
    /// Other warnings (missing env paths, skipped YAML values, cache state).
    pub warnings: Vec<String>,
    /// State of the local cache, when it was consulted.
    pub cache: Option<CacheStatus>,
}

impl LoadReport {
    /// Fills [`LoadReport::totals`] and [`LoadReport::total`] from the finished index.
    fn set_totals(&mut self, index: &IndicatorIndex) {
        for k in Kind::ALL {
            let n = index.count(k);
            if n > 0 {
                self.totals.insert(k.label().to_string(), n);
            }
        }
        self.total = index.len();
    }

    /// Human-readable lines for the console (no trailing newlines).
    pub fn summary_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        out.push(format!(
            "Loaded {} indicators from {} file(s){}{}",
            self.total,
            self.files.len(),
            if self.rejected_patterns.is_empty() {
                String::new()
            } else {
                format!(", {} pattern(s) rejected", self.rejected_patterns.len())
            },
            if self.rejected_files.is_empty() {
                String::new()
            } else {
                format!(", {} file(s) rejected", self.rejected_files.len())
            },
        ));
        for f in &self.files {
            let counts: Vec<String> = f.counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
            out.push(format!("  {} ({}): {} [{}]", f.set_name, f.path, f.total, counts.join(", ")));
        }
        for f in &self.rejected_files {
            out.push(format!("  REJECTED FILE {}: {}", f.path, f.reason));
        }
        const SHOWN: usize = 20;
        for r in self.rejected_patterns.iter().take(SHOWN) {
            out.push(format!("  rejected {} {} {:?}: {}", r.file, r.indicator_id, r.pattern, r.reason));
        }
        if self.rejected_patterns.len() > SHOWN {
            out.push(format!("  ... and {} more rejected pattern(s)", self.rejected_patterns.len() - SHOWN));
        }
        if let Some(c) = &self.cache {
            out.push(c.summary());
        }
        for w in &self.warnings {
            out.push(format!("  warning: {w}"));
        }
        if self.total == 0 {
            out.push("WARNING: no indicators loaded; only heuristic checks will run".to_string());
        }
        out
    }
}

/// Loading failed before any file was read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// An explicitly given path does not exist.
    #[error("indicator path {path} does not exist")]
    NotFound {
        /// The path.
        path: PathBuf,
    },
}

/// What one file parsed into (before indexing).
#[derive(Debug)]
pub(crate) struct Parsed {
    pub(crate) format: Format,
    pub(crate) set_name: String,
    pub(crate) entries: Vec<(Rule, Arc<str>)>,
    pub(crate) rejected: Vec<RejectedPattern>,
    pub(crate) warnings: Vec<String>,
    pub(crate) references: Vec<Reference>,
}

impl Parsed {
    pub(crate) fn new(format: Format, set_name: String) -> Self {
        Self {
            format,
            set_name,
            entries: Vec::new(),
            rejected: Vec::new(),
            warnings: Vec::new(),
            references: Vec::new(),
        }
    }
    pub(crate) fn push(&mut self, rule: Rule, name: Arc<str>) {
        self.entries.push((rule, name));
    }
}

/// One file to load.
#[derive(Debug, Clone)]
enum Source {
    File { path: PathBuf, explicit: bool },
    Builtin { name: &'static str, text: &'static str },
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>, warnings: &mut Vec<String>) {
    if depth > 16 {
        warnings.push(format!("{}: folder nesting deeper than 16; not searched further", dir.display()));
        return;
    }
    let mut entries: Vec<(PathBuf, std::fs::FileType)> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(Result::ok).filter_map(|e| e.file_type().ok().map(|t| (e.path(), t))).collect(),
        Err(e) => {
            warnings.push(format!("{}: cannot list folder: {e}", dir.display()));
            return;
        }
    };
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, ft) in entries {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if ft.is_dir() {
            walk(&path, depth + 1, out, warnings);
        } else if ft.is_file() || ft.is_symlink() && path.is_file() {
            let lower = name.to_ascii_lowercase();
            if lower.ends_with(".stix2")
                || lower.ends_with(".stix")
                || lower.ends_with(".json")
                || lower == "ioc.yaml"
                || crate::formats::list_kind(&lower, true).is_some()
            {
                out.push(path);
            }
        }
    }
}

fn expand(path: &Path, explicit: bool, out: &mut Vec<Source>, warnings: &mut Vec<String>) {
    if path.is_dir() {
        let mut files = Vec::new();
        walk(path, 0, &mut files, warnings);
        if files.is_empty() {
            warnings.push(format!("{}: no indicator files found in this folder", path.display()));
        }
        out.extend(files.into_iter().map(|p| Source::File { path: p, explicit: false }));
    } else {
        out.push(Source::File { path: path.to_path_buf(), explicit });
    }
}

fn env_paths(var: &str, out: &mut Vec<Source>, warnings: &mut Vec<String>) {
    let Some(v) = std::env::var_os(var) else { return };
    for p in std::env::split_paths(&v) {
        if p.as_os_str().is_empty() {
            continue;
        }
        if p.exists() {
            expand(&p, true, out, warnings);
        } else {
            warnings.push(format!("{var}: {} does not exist", p.display()));
        }
    }
}

/// Loads indicators from every source in `src`.
pub fn load(src: &IndicatorSources) -> Result<(IndicatorIndex, LoadReport), LoadError> {
    let mut no_prepared = HashSet::new();
    loop {
        // a prepared copy did not match its file (changed since): load again, parsing those files
        // (each round parses at least one more file, so this ends)
        match load_except(src, &no_prepared)? {
            Ok(done) => return Ok(done),
            Err(stale) => no_prepared.extend(stale),
        }
    }
}

/// [`load`], parsing the files in `no_prepared` even if they have a prepared copy. `Ok(Err(stale))`:
/// the files whose prepared copy did not match their content (nothing of this attempt is kept).
fn load_except(
    src: &IndicatorSources,
    no_prepared: &HashSet<PathBuf>,
) -> Result<Result<(IndicatorIndex, LoadReport), HashSet<PathBuf>>, LoadError> {
    let mut report = LoadReport::default();
    let mut sources = Vec::new();
    for p in &src.paths {
        if !p.exists() {
            return Err(LoadError::NotFound { path: p.clone() });
        }
        expand(p, true, &mut sources, &mut report.warnings);
    }
    if src.use_env {
        env_paths("FERRET_IOCS", &mut sources, &mut report.warnings);
        env_paths("MVT_STIX2", &mut sources, &mut report.warnings);
    }
    if src.use_cache {
        match src.cache_dir.clone().or_else(default_cache_dir) {
            Some(dir) => {
                let status = cache_status(&dir);
                if status.empty {
                    report.warnings.push("the indicator cache is empty: run `ferret iocs update`".to_string());
                } else if status.stale {
                    report.warnings.push(format!(
                        "the indicator cache is {} days old: run `ferret iocs update`",
                        status.age_days.unwrap_or(0)
                    ));
                }
                // cached files were validated when downloaded; their names come from URLs
                for p in cached_files(&dir) {
                    sources.push(Source::File { path: p, explicit: true });
                }
                report.cache = Some(status);
            }
            None => report.warnings.push("no data folder found for the indicator cache (set FERRET_DATA_DIR)".into()),
        }
    }
    if src.include_builtin {
        sources.extend(BUILTIN_SETS.iter().map(|&(name, text)| Source::Builtin { name, text }));
    }
    let mut seen: HashSet<PathBuf> = HashSet::new();
    sources.retain(|s| match s {
        Source::File { path, .. } => seen.insert(std::fs::canonicalize(path).unwrap_or_else(|_| path.clone())),
        Source::Builtin { .. } => true,
    });
    // Files are read, hashed and parsed in parallel (largest first); the index is then filled in
    // source order, so the result does not depend on thread timing.
    // Files with a prepared copy are added while their SHA-256 is still being computed; the
    // result is returned only once every one of them matched.
    let mut builder = IndexBuilder::default();
    let mut verifications = Vec::new();
    for mut loaded in read_all(&sources, src.prepared_dir.as_deref(), no_prepared) {
        verifications.extend(loaded.verification.take());
        loaded.add_to(&mut builder, &mut report);
    }
    let index = builder.build();
    let stale: HashSet<PathBuf> = verifications.into_iter().filter_map(|v| v.check().err()).collect();
    if !stale.is_empty() {
        return Ok(Err(stale));
    }
    report.set_totals(&index);
    Ok(Ok((index, report)))
}

/// Loads a single file or text into a fresh index (used by `ferret iocs check` and tests).
pub fn load_files(paths: &[PathBuf]) -> Result<(IndicatorIndex, LoadReport), LoadError> {
    load(&IndicatorSources { paths: paths.to_vec(), ..Default::default() })
}

/// Loads one indicator file given as bytes (format chosen by `file_name` as for a file given
/// explicitly), e.g. a generated test bundle or a download being validated.
pub fn load_bytes(bytes: &[u8], file_name: &str) -> (IndicatorIndex, LoadReport) {
    let mut builder = IndexBuilder::default();
    let mut report = LoadReport::default();
    let sha256 = hex::encode(Sha256::digest(bytes));
    let outcome = parse_bytes(bytes, file_name, file_name, None, true);
    Loaded { label: file_name.to_string(), file_name: file_name.to_string(), sha256, outcome, verification: None }
        .add_to(&mut builder, &mut report);
    let index = builder.build();
    report.set_totals(&index);
    (index, report)
}

/// One source after reading, hashing and parsing; not yet in the index.
struct Loaded {
    label: String,
    file_name: String,
    sha256: String,
    outcome: Result<Option<Parsed>, String>,
    /// Set when `outcome` comes from a prepared copy: the check that the file still has the
    /// copy's SHA-256 (finished before [`load`] returns).
    verification: Option<crate::prepared::Verification>,
}

/// Reads, hashes and parses every source on up to `available_parallelism` threads (at most 4, so
/// at most 4 files of up to [`MAX_FILE_SIZE`] are in memory at once), largest file first; returns
/// the results in source order.
fn read_all(sources: &[Source], prepared: Option<&Path>, no_prepared: &HashSet<PathBuf>) -> Vec<Loaded> {
    let size = |s: &Source| match s {
        Source::File { path, .. } => std::fs::metadata(path).map_or(0, |m| m.len()),
        Source::Builtin { text, .. } => text.len() as u64,
    };
    let mut order: Vec<(u64, usize)> = sources.iter().enumerate().map(|(i, s)| (size(s), i)).collect();
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4).min(sources.len()).max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut out: Vec<(usize, Loaded)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&(_, i)) = order.get(k) else { break };
                        if let Some(s) = sources.get(i) {
                            let use_copy = !matches!(s, Source::File { path, .. } if no_prepared.contains(path));
                            done.push((i, read_one(s, prepared, use_copy)));
                        }
                    }
                    done
                })
            })
            .collect();
        // a worker that panicked loses its files; they are reported as rejected below
        workers.into_iter().flat_map(|w| w.join().unwrap_or_default()).collect()
    });
    out.sort_by_key(|(i, _)| *i);
    let mut it = out.into_iter().peekable();
    let mut result = Vec::with_capacity(sources.len());
    for (i, s) in sources.iter().enumerate() {
        match it.next_if(|(j, _)| *j == i) {
            Some((_, l)) => result.push(l),
            None => {
                let label = match s {
                    Source::File { path, .. } => path.display().to_string(),
                    Source::Builtin { name, .. } => format!("builtin:{name}"),
                };
                result.push(Loaded {
                    file_name: label.clone(),
                    label,
                    sha256: String::new(),
                    outcome: Err("internal error while loading this file".into()),
                    verification: None,
                });
            }
        }
    }
    result
}

/// Reads, hashes and parses one source. With a `prepared` folder, a large file is read from its
/// prepared copy when there is one (and `use_copy`), else parsed and its copy written.
fn read_one(s: &Source, prepared: Option<&Path>, use_copy: bool) -> Loaded {
    match s {
        Source::Builtin { name, text } => Loaded {
            label: format!("builtin:{name}"),
            file_name: (*name).to_string(),
            sha256: hex::encode(Sha256::digest(text.as_bytes())),
            outcome: parse_bytes(text.as_bytes(), &format!("builtin:{name}"), name, None, true),
            verification: None,
        },
        Source::File { path, explicit } => {
            let label = path.display().to_string();
            let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| label.clone());
            // a large regular file may have a prepared copy (used only if its SHA-256 matches)
            let len = std::fs::metadata(path).ok().filter(|m| m.is_file()).map(|m| m.len());
            let prepared = prepared.zip(len).filter(|(_, len)| *len >= crate::prepared::PREPARE_MIN_SIZE);
            let prepared = prepared.map(|(dir, len)| {
                let id = crate::prepared::Identity { label: &label, file_name: &file_name, explicit: *explicit, len };
                (dir, crate::prepared::copy_path(dir, path), id)
            });
            if let Some((_, copy, id)) = &prepared
                && use_copy
                && let Some((sha256, outcome, verification)) = crate::prepared::load(copy, path, *id)
            {
                return Loaded {
                    label: label.clone(),
                    file_name: file_name.clone(),
                    sha256,
                    outcome,
                    verification: Some(verification),
                };
            }
            let (bytes, sha256) = match read_hashed(path) {
                Ok(r) => r,
                Err(reason) => {
                    return Loaded {
                        label,
                        file_name,
                        sha256: String::new(),
                        outcome: Err(reason),
                        verification: None,
                    };
                }
            };
            let outcome = parse_bytes(&bytes, &label, &file_name, Some(path), *explicit);
            let read_len = bytes.len() as u64;
            drop(bytes);
            // (not if the file changed size since it was looked at: the hash is of what was read)
            if let Some((dir, copy, id)) = &prepared
                && id.len == read_len
            {
                crate::prepared::store(dir, copy, *id, &sha256, &outcome);
            }
            Loaded { label, file_name, sha256, outcome, verification: None }
        }
    }
}

/// Reads a file and computes its SHA-256 while reading: each 4 MiB chunk is hashed on a second
/// thread as soon as it is in memory, so hashing overlaps the read instead of following it.
fn read_hashed(path: &Path) -> Result<(Vec<u8>, String), String> {
    use std::io::Read;
    const CHUNK: usize = 4 << 20;
    let cannot = |e: std::io::Error| format!("cannot read: {e}");
    let mut f = std::fs::File::open(path).map_err(cannot)?;
    let len = f.metadata().map_err(cannot)?.len();
    if len > MAX_FILE_SIZE {
        return Err(format!("file is {len} bytes, larger than the {MAX_FILE_SIZE}-byte limit"));
    }
    let mut buf = vec![0u8; usize::try_from(len).map_err(|_| "file too large for this platform".to_string())?];
    let hashed = std::thread::scope(|scope| -> std::io::Result<Sha256> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<&[u8]>(8);
        let hasher = scope.spawn(move || {
            let mut h = Sha256::new();
            for chunk in rx {
                h.update(chunk);
            }
            h
        });
        let mut read = Ok(());
        for chunk in buf.chunks_mut(CHUNK) {
            if let Err(e) = f.read_exact(chunk) {
                read = Err(e);
                break;
            }
            let chunk: &[u8] = chunk;
            if tx.send(chunk).is_err() {
                break;
            }
        }
        drop(tx);
        let h = hasher.join().map_err(|_| std::io::Error::other("hashing thread failed"))?;
        read.map(|()| h)
    });
    let mut h = hashed.map_err(cannot)?;
    // more than the size said: a pipe (`--iocs <(…)`, size 0) or a file that grew; read the rest
    // from the same handle (a pipe cannot be opened again) and hash it too
    let before = buf.len();
    (&mut f).take(MAX_FILE_SIZE + 1 - len).read_to_end(&mut buf).map_err(cannot)?;
    if buf.len() as u64 > MAX_FILE_SIZE {
        return Err(format!("file is larger than the {MAX_FILE_SIZE}-byte limit"));
    }
    h.update(buf.get(before..).unwrap_or_default());
    Ok((buf, hex::encode(h.finalize())))
}

/// Parses one file's bytes by format (chosen from `file_name`). `Ok(None)`: a `.json` found
/// while walking a folder that is not a STIX bundle (not an indicator file; skipped silently).
pub(crate) fn parse_bytes(
    bytes: &[u8],
    label: &str,
    file_name: &str,
    path: Option<&Path>,
    explicit: bool,
) -> Result<Option<Parsed>, String> {
    let lower = file_name.to_ascii_lowercase();
    let stem = Path::new(file_name).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let folder_name = path
        .and_then(Path::parent)
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| stem.clone());
    if lower.ends_with(".txt") {
        match crate::formats::list_kind(&lower, !explicit) {
            // invalid UTF-8 only spoils its own line (which is then rejected as a value)
            Some(kind) => {
                Ok(Some(crate::formats::parse_list(&String::from_utf8_lossy(bytes), kind, label, &folder_name)))
            }
            None => Err("unknown list file name (expected domains.txt, processes.txt, emails.txt, ...)".into()),
        }
    } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        match std::str::from_utf8(bytes) {
            Ok(text) => crate::formats::parse_ioc_yaml(text, label, &folder_name).map(Some),
            Err(e) => Err(format!("not UTF-8 text: {e}")),
        }
    } else {
        match crate::stix::parse_bundle(bytes, file_name, &stem) {
            Ok(p) => Ok(Some(p)),
            Err(e) if !explicit && lower.ends_with(".json") => {
                tracing::debug!(file = label, reason = %e, "skipping JSON file that is not a STIX bundle");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

impl Loaded {
    /// Adds the parsed indicators to the index and the file to the report.
    fn add_to(self, builder: &mut IndexBuilder, report: &mut LoadReport) {
        let parsed = match self.outcome {
            Ok(Some(p)) => p,
            Ok(None) => return,
            Err(reason) => {
                report.rejected_files.push(RejectedFile { path: self.label, reason });
                return;
            }
        };
        let file: Arc<str> = Arc::from(self.file_name.as_str());
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        let mut per_kind = [0usize; Kind::ALL.len()];
        let total = parsed.entries.len();
        for (rule, _) in &parsed.entries {
            if let Some(n) = per_kind.get_mut(rule.kind() as usize) {
                *n += 1;
            }
        }
        builder.reserve(&per_kind);
        for (rule, name) in parsed.entries {
            match rule {
                Rule::Exact { key, value, .. } => {
                    builder.add(key, Meta { file: file.clone(), value, name });
                }
                Rule::Slow { kind, cond, text } => {
                    builder.add_slow(kind, cond, Meta { file: file.clone(), value: Arc::from(text), name });
                }
            }
        }
        for k in Kind::ALL {
            if per_kind[k as usize] > 0 {
                counts.insert(k.label().to_string(), per_kind[k as usize]);
            }
        }
        report.files.push(FileReport {
            path: self.label,
            sha256: self.sha256,
            format: parsed.format,
            set_name: parsed.set_name,
            counts,
            total,
            rejected: parsed.rejected.len(),
            references: parsed.references,
        });
        report.rejected_patterns.extend(parsed.rejected);
        report.warnings.extend(parsed.warnings);
    }
}
