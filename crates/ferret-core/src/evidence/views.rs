//! Views of other evidences: [`Prefixed`], the one delegating wrapper that maps paths (a
//! sub-folder of an archive seen as the acquisition's root, or a nested acquisition mounted
//! under a prefix), [`Mounted`] (a root plus mounted evidences) and [`Recorder`] (remembers
//! what a run read).

use std::io::Read;
use std::path::{Path, PathBuf};

use super::{AcquisitionKind, Evidence, EvidenceError, EvidenceFile, FileHash, Locator, compile_glob};
use crate::sqlite::SqliteDb;

/// How [`Prefixed`] maps the inner evidence's paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Only the inner files under the prefix are visible, without it (a dump's top folder).
    Strip,
    /// Every inner file is visible under the prefix (a nested acquisition mounted there).
    Add,
    /// Several (inner prefix, outer prefix) pairs, tried in order: a dump split per partition.
    Map,
}

/// Another evidence seen through a path prefix, in one of two directions: [`Prefixed::subtree`]
/// (the part under `prefix`, shown without it) or [`Prefixed::mount`] (all of it, shown under
/// `prefix`). Every call is delegated with the path mapped, and errors naming the inner path
/// name the outer one. An earlier copy of a duplicated archive entry (`path` with a
/// ` (copy k of n)` suffix) maps the same way.
pub struct Prefixed {
    inner: Box<dyn Evidence>,
    prefix: String,
    mode: Mode,
    /// For [`Mode::Map`]: (inner prefix, outer prefix), both `""` or ending with `/`.
    maps: Vec<(String, String)>,
}

impl std::fmt::Debug for Prefixed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prefixed")
            .field("source", &self.inner.source())
            .field("prefix", &self.prefix)
            .field("mode", &self.mode)
            .field("maps", &self.maps)
            .finish()
    }
}

fn with_slash(prefix: &str) -> String {
    format!("{}/", prefix.trim_end_matches('/'))
}

fn add(prefix: &str, f: &EvidenceFile) -> EvidenceFile {
    EvidenceFile {
        path: format!("{prefix}{}", f.path),
        relative_path: format!("{prefix}{}", f.relative_path),
        ..f.clone()
    }
}

fn strip(prefix: &str, f: &EvidenceFile) -> Option<EvidenceFile> {
    let rel = f.relative_path.strip_prefix(prefix)?;
    let path = f.path.strip_prefix(prefix).unwrap_or(rel);
    Some(EvidenceFile { path: path.to_string(), relative_path: rel.to_string(), ..f.clone() })
}

impl Prefixed {
    /// The part of `inner` under `prefix` (`"dump/"`), shown relative to it; `inner` itself when
    /// `prefix` is empty.
    pub fn subtree(inner: Box<dyn Evidence>, prefix: &str) -> Box<dyn Evidence> {
        if prefix.is_empty() {
            inner
        } else {
            Box::new(Self { inner, prefix: with_slash(prefix), mode: Mode::Strip, maps: Vec::new() })
        }
    }

    /// All of `inner`, shown under `prefix` (`"bugreport.zip/"`).
    pub fn mount(inner: Box<dyn Evidence>, prefix: &str) -> Self {
        Self { inner, prefix: with_slash(prefix), mode: Mode::Add, maps: Vec::new() }
    }

    /// `inner` seen through several prefix pairs `(inner, outer)` (each `""` or ending with
    /// `/`), tried in order: an inner file under the first matching inner prefix is shown with
    /// it replaced by the outer one; a file under none is not visible. E.g. a dump split per
    /// partition, `[("filesystem2/", "private/var/"), ("filesystem1/", "")]`.
    pub fn remap(inner: Box<dyn Evidence>, maps: Vec<(String, String)>) -> Self {
        Self { inner, prefix: String::new(), mode: Mode::Map, maps }
    }

    fn map_file(from: &str, to: &str, f: &EvidenceFile) -> Option<EvidenceFile> {
        let rel = f.relative_path.strip_prefix(from)?;
        let path = f.path.strip_prefix(from).unwrap_or(rel);
        Some(EvidenceFile { path: format!("{to}{path}"), relative_path: format!("{to}{rel}"), ..f.clone() })
    }

    /// The prefix (with its trailing `/`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn outer(&self, f: &EvidenceFile) -> Option<EvidenceFile> {
        match self.mode {
            Mode::Strip => strip(&self.prefix, f),
            Mode::Add => Some(add(&self.prefix, f)),
            Mode::Map => self.maps.iter().find_map(|(from, to)| Self::map_file(from, to, f)),
        }
    }

    fn inner_file(&self, f: &EvidenceFile) -> Result<EvidenceFile, EvidenceError> {
        match self.mode {
            Mode::Strip => Ok(add(&self.prefix, f)),
            Mode::Add => strip(&self.prefix, f).ok_or_else(|| EvidenceError::Missing { path: f.path.clone() }),
            Mode::Map => {
                // the most specific outer prefix the path starts with, and whose inner file maps
                // back to this very path (so a file cannot be reached under two names)
                let mut pairs: Vec<&(String, String)> =
                    self.maps.iter().filter(|(_, to)| f.relative_path.starts_with(to.as_str())).collect();
                pairs.sort_by_key(|(_, to)| std::cmp::Reverse(to.len()));
                pairs
                    .into_iter()
                    .filter_map(|(from, to)| Self::map_file(to, from, f))
                    .find(|inner| self.outer(inner).is_some_and(|o| o.relative_path == f.relative_path))
                    .ok_or_else(|| EvidenceError::Missing { path: f.path.clone() })
            }
        }
    }

    /// Whether an outer path is one of this view's.
    fn holds(&self, f: &EvidenceFile) -> bool {
        match self.mode {
            Mode::Strip => true,
            Mode::Add => f.relative_path.starts_with(&self.prefix),
            Mode::Map => self.inner_file(f).is_ok(),
        }
    }

    fn rename_err(&self, outer: &EvidenceFile, inner: &EvidenceFile, e: EvidenceError) -> EvidenceError {
        let inner = inner.path.as_str();
        let outer = || outer.path.clone();
        match e {
            EvidenceError::Io { path, source } if path == inner => EvidenceError::Io { path: outer(), source },
            EvidenceError::Sqlite { path, source } if path == inner => EvidenceError::Sqlite { path: outer(), source },
            EvidenceError::Missing { path } if path == inner => EvidenceError::Missing { path: outer() },
            EvidenceError::Corrupt { path, reason } if path == inner => {
                EvidenceError::Corrupt { path: outer(), reason }
            }
            EvidenceError::TooLarge { path, limit } if path == inner => {
                EvidenceError::TooLarge { path: outer(), limit }
            }
            EvidenceError::Budget { path, reason } if path == inner => EvidenceError::Budget { path: outer(), reason },
            EvidenceError::NotRegular { path, entry, what, expected } if path == inner => {
                EvidenceError::NotRegular { path: outer(), entry, what, expected }
            }
            other => other,
        }
    }

    /// Delegates one call on an outer file to the inner evidence.
    fn call<'s, T>(
        &'s self,
        file: &EvidenceFile,
        f: impl FnOnce(&'s dyn Evidence, &EvidenceFile) -> Result<T, EvidenceError>,
    ) -> Result<T, EvidenceError> {
        let inner = self.inner_file(file)?;
        f(self.inner.as_ref(), &inner).map_err(|e| self.rename_err(file, &inner, e))
    }
}

impl Evidence for Prefixed {
    fn kind(&self) -> AcquisitionKind {
        self.inner.kind()
    }
    fn source(&self) -> &Path {
        self.inner.source()
    }
    fn locate(&self, locator: &Locator) -> Result<Vec<EvidenceFile>, EvidenceError> {
        if locator.paths.is_empty() {
            return Ok(Vec::new());
        }
        let globs = locator.paths.iter().map(|p| compile_glob(p)).collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::new();
        self.inner.walk(&mut |f| {
            if let Some(o) = self.outer(f)
                && globs.iter().any(|g| g.is_match(&o.relative_path))
            {
                out.push(o);
            }
        })?;
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }
    fn open(&self, file: &EvidenceFile) -> Result<Box<dyn Read + Send + '_>, EvidenceError> {
        self.call(file, |ev, f| ev.open(f))
    }
    fn read(&self, file: &EvidenceFile, limit: u64) -> Result<Vec<u8>, EvidenceError> {
        self.call(file, |ev, f| ev.read(f, limit))
    }
    fn sqlite(&self, file: &EvidenceFile) -> Result<SqliteDb, EvidenceError> {
        self.call(file, |ev, f| ev.sqlite(f))
    }
    fn walk(&self, visit: &mut dyn FnMut(&EvidenceFile)) -> Result<(), EvidenceError> {
        self.inner.walk(&mut |f| {
            if let Some(o) = self.outer(f) {
                visit(&o);
            }
        })
    }
    fn disk_path(&self, file: &EvidenceFile) -> Option<PathBuf> {
        self.inner.disk_path(&self.inner_file(file).ok()?)
    }
    fn custody_files(&self) -> Vec<EvidenceFile> {
        self.inner.custody_files().iter().filter_map(|f| self.outer(f)).collect()
    }
}

/// A root evidence with other evidences mounted under path prefixes ([`Prefixed::mount`]):
/// an androidqf collection with its `bugreport.zip` and `backup.ab` opened and mounted at
/// `<their path>/`, so modules find their artifacts inside them with ordinary locators
/// (`**/main_entry.txt`) and paths in records say where they came from.
pub struct Mounted {
    root: Box<dyn Evidence>,
    mounts: Vec<Prefixed>,
}

impl std::fmt::Debug for Mounted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mounted").field("source", &self.root.source()).field("mounts", &self.mount_points()).finish()
    }
}

impl Mounted {
    /// Wraps `root`.
    pub fn new(root: Box<dyn Evidence>) -> Self {
        Self { root, mounts: Vec::new() }
    }

    /// Mounts `ev` at `prefix` (a trailing `/` is added).
    pub fn mount(&mut self, prefix: &str, ev: Box<dyn Evidence>) {
        self.mounts.push(Prefixed::mount(ev, prefix));
    }

    /// Prefixes of the mounts.
    pub fn mount_points(&self) -> Vec<&str> {
        self.mounts.iter().map(Prefixed::prefix).collect()
    }

    /// The evidence a file belongs to: a mount whose prefix it starts with, else the root.
    fn route(&self, file: &EvidenceFile) -> &dyn Evidence {
        match self.mounts.iter().find(|m| m.holds(file)) {
            Some(m) => m,
            None => self.root.as_ref(),
        }
    }
}

impl Evidence for Mounted {
    fn kind(&self) -> AcquisitionKind {
        self.root.kind()
    }
    fn source(&self) -> &Path {
        self.root.source()
    }
    fn locate(&self, locator: &Locator) -> Result<Vec<EvidenceFile>, EvidenceError> {
        let mut out = self.root.locate(locator)?;
        if !self.mounts.is_empty() {
            for m in &self.mounts {
                out.extend(m.locate(locator)?);
            }
            out.sort_by(|a, b| a.path.cmp(&b.path));
        }
        Ok(out)
    }
    fn open(&self, file: &EvidenceFile) -> Result<Box<dyn Read + Send + '_>, EvidenceError> {
        self.route(file).open(file)
    }
    fn read(&self, file: &EvidenceFile, limit: u64) -> Result<Vec<u8>, EvidenceError> {
        self.route(file).read(file, limit)
    }
    fn sqlite(&self, file: &EvidenceFile) -> Result<SqliteDb, EvidenceError> {
        self.route(file).sqlite(file)
    }
    fn disk_path(&self, file: &EvidenceFile) -> Option<PathBuf> {
        self.route(file).disk_path(file)
    }
    fn custody_files(&self) -> Vec<EvidenceFile> {
        let mut all = self.root.custody_files();
        all.extend(self.mounts.iter().flat_map(Evidence::custody_files));
        all
    }
    fn walk(&self, visit: &mut dyn FnMut(&EvidenceFile)) -> Result<(), EvidenceError> {
        let mut all = Vec::new();
        self.root.walk(&mut |f| all.push(f.clone()))?;
        for m in &self.mounts {
            m.walk(&mut |f| all.push(f.clone()))?;
        }
        all.sort_by(|a, b| a.path.cmp(&b.path));
        for f in &all {
            visit(f);
        }
        Ok(())
    }
}

/// Wraps an [`Evidence`] and remembers every file a run read (through `open`, `read` or
/// `sqlite`), so `info.json` can list the SHA-256 of each input actually used.
pub struct Recorder<'a> {
    inner: &'a dyn Evidence,
    seen: std::sync::Mutex<std::collections::BTreeSet<EvidenceFile>>,
}

impl<'a> Recorder<'a> {
    /// Starts recording reads of `inner`.
    pub fn new(inner: &'a dyn Evidence) -> Self {
        Self { inner, seen: std::sync::Mutex::new(std::collections::BTreeSet::new()) }
    }

    fn note(&self, f: &EvidenceFile) {
        let mut seen = self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        seen.insert(f.clone());
    }

    /// The files read so far, sorted by path.
    pub fn files(&self) -> Vec<EvidenceFile> {
        let seen = self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        seen.iter().cloned().collect()
    }

    /// The SHA-256 of every input this run depends on, sorted by path, for chain of custody:
    /// the acquisition file itself (when it is one file), the acquisition's custody files (see
    /// [`Evidence::custody_files`]) and every file read that is a file of its own on disk (as
    /// stored: ciphertext for an encrypted backup). A file that cannot be hashed is logged and
    /// left out.
    pub fn input_hashes(&self) -> Vec<FileHash> {
        self.input_hashes_with(&[])
    }

    /// [`Recorder::input_hashes`], taking the hashes of the disk files in `known` (path, hex
    /// SHA-256) as given instead of reading them again: an archive hashed on another thread
    /// while it was indexed and checked is read once.
    pub fn input_hashes_with(&self, known: &[(PathBuf, String)]) -> Vec<FileHash> {
        let known: Vec<(PathBuf, &String)> =
            known.iter().filter_map(|(p, h)| Some((std::fs::canonicalize(p).ok()?, h))).collect();
        let known_hash = |disk: &Path| {
            if known.is_empty() {
                return None;
            }
            let disk = std::fs::canonicalize(disk).ok()?;
            known.iter().find(|(p, _)| *p == disk).map(|(_, h)| (*h).clone())
        };
        // each file once (a custody file is usually read too), in path order
        let mut files: std::collections::BTreeMap<String, PathBuf> = std::collections::BTreeMap::new();
        let source = self.inner.source();
        if source.is_file() {
            files.insert(source.display().to_string(), source.to_path_buf());
        }
        for f in self.inner.custody_files().into_iter().chain(self.files()) {
            if let Some(disk) = self.inner.disk_path(&f) {
                files.entry(f.path).or_insert(disk);
            }
        }
        let mut out = Vec::new();
        for (logical, disk) in files {
            match known_hash(&disk).map_or_else(|| super::sha256_file(&disk), Ok) {
                Ok(sha256) => {
                    let bytes = std::fs::metadata(&disk).map_or(0, |m| m.len());
                    out.push(FileHash { path: logical, sha256, bytes });
                }
                Err(e) => tracing::warn!("cannot hash {logical}: {e}"),
            }
        }
        out
    }
}

impl Evidence for Recorder<'_> {
    fn kind(&self) -> AcquisitionKind {
        self.inner.kind()
    }
    fn source(&self) -> &Path {
        self.inner.source()
    }
    fn locate(&self, locator: &Locator) -> Result<Vec<EvidenceFile>, EvidenceError> {
        self.inner.locate(locator)
    }
    fn open(&self, file: &EvidenceFile) -> Result<Box<dyn Read + Send + '_>, EvidenceError> {
        self.note(file);
        self.inner.open(file)
    }
    fn read(&self, file: &EvidenceFile, limit: u64) -> Result<Vec<u8>, EvidenceError> {
        self.note(file);
        self.inner.read(file, limit)
    }
    fn sqlite(&self, file: &EvidenceFile) -> Result<SqliteDb, EvidenceError> {
        self.note(file);
        self.inner.sqlite(file)
    }
    fn walk(&self, visit: &mut dyn FnMut(&EvidenceFile)) -> Result<(), EvidenceError> {
        self.inner.walk(visit)
    }
    fn disk_path(&self, file: &EvidenceFile) -> Option<PathBuf> {
        self.inner.disk_path(file)
    }
    fn custody_files(&self) -> Vec<EvidenceFile> {
        self.inner.custody_files()
    }
}
