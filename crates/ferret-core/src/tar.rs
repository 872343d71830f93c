//! Tar archives (`.tar`, `.tar.gz`, `.tgz`) read in place as [`Evidence`].
//!
//! A filesystem dump or a sysdiagnose is often a tar archive of tens of gigabytes; it is never
//! extracted to disk. [`TarEvidence::open`] makes **one streaming pass** over the archive and
//! builds a compact [`FileIndex`] of its regular files: normalised name, size, modification time
//! and the offset of the entry's data in the (decompressed) tar stream.
//!
//! * **Plain `.tar`** (seekable): the index pass seeks over entry data
//!   (`Archive::entries_with_seek`), so indexing costs one header read per entry; every
//!   [`Evidence::open`] re-opens the file, seeks to the data offset and reads `size` bytes.
//! * **`.tar.gz`** (not seekable): during the index pass, entries whose name matches the cache
//!   filter ([`TarOptions::cache_patterns`], by default the databases, plists, logs and crash
//!   reports artifact modules read) and whose size is at most [`TarLimits::cache_file_max`] are
//!   copied into a private (0700) temporary folder, until [`TarLimits::cache_total_max`] bytes
//!   are cached; the folder is removed when the evidence is dropped. Opening any other entry
//!   decompresses the stream again from the start, skips to the entry's data offset and streams
//!   `size` bytes (no disk, bounded memory, cost: one decompression up to that entry). The gzip
//!   stream is read with `MultiGzDecoder`, so concatenated gzip members work.
//!
//! Names are normalised like zip names ([`crate::zip::normalize_name`]): `\` → `/`; empty and `.`
//! components dropped; no leading `/`. An entry with a `..` component (`../../etc/passwd`) has no
//! usable name: it is counted in [`TarStats::unnamed`] and skipped, so it can neither refer
//! outside the archive nor stand in for a genuine file. When the same name occurs more than once,
//! **every copy** is indexed, listed and readable: the last one (what `tar -x` would leave) under
//! the plain name, each earlier one as `<name> (copy k of n)` (see
//! [`crate::evidence`], "Duplicate entries in archives"); each duplicated name is reported with a
//! warning when the archive is opened ([`TarEvidence::duplicates`]). Symbolic and hard links are
//! recorded ([`TarEvidence::links`]) but never followed, located or opened; directories, device
//! nodes, FIFOs and GNU sparse files are counted and skipped. An archive holding links but no
//! regular file is refused with a message saying so (nothing could be checked).
//!
//! The index ([`FileIndex`]) holds each directory once and each file's last component in a string
//! arena, plus a 48-byte row per file, so a 1M-entry dump costs roughly `48 MB + the last
//! components' length + the directories'` of memory.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use globset::{GlobSet, GlobSetBuilder};

use crate::evidence::{AcquisitionKind, Evidence, EvidenceError, EvidenceFile, Locator, copy_of};
pub use crate::file_index::{FileIndex, IndexItem};
use crate::sqlite::{ArchiveDb, SqliteDb};
use crate::zip::{create_private_file, normalize_name, private_tempdir};

/// Safety and resource limits for reading a tar archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TarLimits {
    /// Maximum number of entries (of any type) before indexing fails.
    pub max_entries: usize,
    /// Largest single file cached from a compressed archive during the index pass.
    pub cache_file_max: u64,
    /// Total bytes cached from a compressed archive.
    pub cache_total_max: u64,
}

impl Default for TarLimits {
    fn default() -> Self {
        Self { max_entries: 20_000_000, cache_file_max: 256 << 20, cache_total_max: 4 << 30 }
    }
}

/// Artifact files worth caching from a compressed archive during the index pass (globs over the
/// normalised entry name; `**/` crosses folders). Covers every artifact the iOS and Android
/// modules read: SQLite databases and their sidecars, plists, text logs, crash reports.
pub const DEFAULT_CACHE_PATTERNS: &[&str] = &[
    "**/*.db",
    "**/*.db-wal",
    "**/*.db-journal",
    "**/*.sqlite",
    "**/*.sqlite-wal",
    "**/*.sqlite-journal",
    "**/*.sqlitedb",
    "**/*.sqlitedb-wal",
    "**/*.sqlitedb-journal",
    "**/*.storedata",
    "**/*.storedata-wal",
    "**/*.storedata-journal",
    "**/*.plist",
    "**/*.log",
    "**/*.log.*",
    "**/*.ips",
    "**/*.txt",
    "**/*.json",
    "**/History",
    "**/History-wal",
    "**/History-journal",
    "**/Favicons",
    "**/Favicons-wal",
    "**/Favicons-journal",
];

/// How to open a tar archive.
#[derive(Debug, Clone)]
pub struct TarOptions {
    /// Limits.
    pub limits: TarLimits,
    /// Globs of entries to cache from a compressed archive (ignored for plain tar).
    pub cache_patterns: Vec<String>,
}

impl Default for TarOptions {
    fn default() -> Self {
        Self {
            limits: TarLimits::default(),
            cache_patterns: DEFAULT_CACHE_PATTERNS.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// A link entry (recorded, never followed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarLink {
    /// Normalised name of the link.
    pub name: String,
    /// Raw target as written in the archive.
    pub target: String,
    /// `true` for a hard link, `false` for a symbolic link.
    pub hard: bool,
}

/// Entry names an archive index changed or could not use, said in one warning each at the end
/// of the index pass with a count and the first example (a real image has 300k+ absolute names:
/// not one line per entry).
#[derive(Debug, Default)]
pub(crate) struct OddNames {
    normalised: u64,
    normalised_example: Option<(String, String)>,
    unusable: u64,
    unusable_example: Option<(String, usize)>,
}

impl OddNames {
    pub(crate) fn normalised(&mut self, raw: &str, name: &str) {
        self.normalised += 1;
        if self.normalised_example.is_none() {
            self.normalised_example = Some((raw.to_string(), name.to_string()));
        }
    }

    pub(crate) fn unusable(&mut self, raw: &str, n: usize) {
        self.unusable += 1;
        if self.unusable_example.is_none() {
            self.unusable_example = Some((raw.to_string(), n));
        }
    }

    /// The warnings (also logged by [`OddNames::summary`]).
    pub(crate) fn warnings(&self, path: &Path) -> Vec<String> {
        let mut w = Vec::new();
        if let Some((raw, name)) = &self.normalised_example {
            w.push(format!(
                "{}: {} entry names normalised (absolute, `\\` or `.` components; read under the normalised name), e.g. {raw:?} as {name:?}",
                path.display(),
                self.normalised
            ));
        }
        if let Some((raw, n)) = &self.unusable_example {
            w.push(format!(
                "{}: {} entries skipped with no usable name (`..` components), e.g. entry #{n} {raw:?}",
                path.display(),
                self.unusable
            ));
        }
        w
    }

    pub(crate) fn summary(&self, path: &Path) {
        for w in self.warnings(path) {
            tracing::warn!("{w}");
        }
    }
}

/// Counts of what the index pass saw besides regular files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TarStats {
    /// Directories.
    pub directories: u64,
    /// Device nodes, FIFOs, sparse files and unknown entry types (skipped).
    pub skipped: u64,
    /// Entries whose name normalised to nothing (e.g. `..`).
    pub unnamed: u64,
    /// Entries whose name was normalised (absolute `/private/var/...`, `\`, `.` components).
    pub normalised: u64,
    /// Files cached in the private folder (compressed archives only).
    pub cached_files: u64,
    /// Bytes cached.
    pub cached_bytes: u64,
}

/// A `.tar` / `.tar.gz` archive viewed as a read-only acquisition.
#[derive(Debug)]
pub struct TarEvidence {
    path: PathBuf,
    kind: AcquisitionKind,
    gzip: bool,
    index: FileIndex,
    /// Position in `index` order → cached file number + 1 (0 = not cached). Only for gzip.
    cached: Vec<u32>,
    links: Vec<TarLink>,
    stats: TarStats,
    odd: OddNames,
    /// Private copies of databases, shared while in use.
    copies: crate::sqlite::CopyCache,
    // Field order matters: the cache folder is removed before its reservation is released.
    cache_dir: Option<tempfile::TempDir>,
    cache_reservation: crate::budget::Reservation,
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> EvidenceError + '_ {
    move |source| EvidenceError::Io { path: path.display().to_string(), source }
}

fn corrupt(path: &Path, reason: impl Into<String>) -> EvidenceError {
    EvidenceError::Corrupt { path: path.display().to_string(), reason: reason.into() }
}

/// Whether the file starts with the gzip magic bytes.
pub fn is_gzip(path: &Path) -> Result<bool, EvidenceError> {
    let mut f = File::open(path).map_err(io_err(path))?;
    let mut magic = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        let n = f.read(&mut magic[got..]).map_err(io_err(path))?;
        if n == 0 {
            break;
        }
        got += n;
    }
    Ok(got == 2 && magic == [0x1f, 0x8b])
}

fn raw_reader(path: &Path, gzip: bool) -> Result<Box<dyn Read + Send>, EvidenceError> {
    let f = File::open(path).map_err(io_err(path))?;
    let buf = BufReader::with_capacity(256 * 1024, f);
    Ok(if gzip { Box::new(flate2::read::MultiGzDecoder::new(buf)) } else { Box::new(buf) })
}

/// The normalised names of the first `max` entries (files, directories, links) of a tar or
/// tar.gz archive, in archive order; used to recognise what an archive holds without indexing
/// all of it. Stops early; a damaged archive yields the names read so far.
pub fn peek_names(path: &Path, max: usize) -> Result<Vec<String>, EvidenceError> {
    let gzip = is_gzip(path)?;
    let mut archive = ::tar::Archive::new(raw_reader(path, gzip)?);
    let entries = archive.entries().map_err(|e| corrupt(path, format!("not a tar archive: {e}")))?;
    let mut out = Vec::new();
    for entry in entries.take(max) {
        let Ok(entry) = entry else { break };
        let name = normalize_name(&String::from_utf8_lossy(&entry.path_bytes()));
        if !name.is_empty() {
            out.push(name);
        }
    }
    Ok(out)
}

enum Kind {
    File,
    Dir,
    Link(bool),
    Skip,
}

fn kind_of(t: ::tar::EntryType) -> Kind {
    use ::tar::EntryType as T;
    match t {
        T::Regular | T::Continuous => Kind::File,
        T::Directory => Kind::Dir,
        T::Symlink => Kind::Link(false),
        T::Link => Kind::Link(true),
        _ => Kind::Skip,
    }
}

impl TarEvidence {
    /// Opens `path` (plain or gzip-compressed tar, recognised by content) with default options.
    pub fn open(path: &Path, kind: AcquisitionKind) -> Result<Self, EvidenceError> {
        Self::open_with(path, kind, &TarOptions::default())
    }

    /// Opens `path` with explicit options.
    pub fn open_with(path: &Path, kind: AcquisitionKind, options: &TarOptions) -> Result<Self, EvidenceError> {
        let gzip = is_gzip(path)?;
        let mut me = Self {
            path: path.to_path_buf(),
            kind,
            gzip,
            index: FileIndex::new(),
            cached: Vec::new(),
            links: Vec::new(),
            stats: TarStats::default(),
            odd: OddNames::default(),
            copies: crate::sqlite::CopyCache::default(),
            cache_dir: None,
            cache_reservation: crate::budget::Reservation::default(),
        };
        if gzip {
            me.index_gzip(options)?;
        } else {
            me.index_plain(options)?;
        }
        if me.index.is_empty() {
            let names: Vec<&str> = me.links.iter().map(|l| l.name.as_str()).collect();
            if let Some(e) = crate::evidence::only_links(path, &names, me.links.iter().any(|l| l.hard)) {
                return Err(e);
            }
        }
        me.report_duplicates();
        Ok(me)
    }

    /// Warns about every duplicated name (the first [`crate::zip::DUPLICATES_NAMED`] by name)
    /// and their total.
    fn report_duplicates(&self) {
        crate::zip::warn_duplicates(&self.path, self.index.duplicates().into_iter());
    }

    /// Names that occur more than once in the archive, with their number of copies (every copy
    /// is listed and read; see the module docs).
    pub fn duplicates(&self) -> Vec<(String, usize)> {
        self.index.duplicates()
    }

    /// One warning per kind of odd entry name (normalised, unusable), with its count.
    pub fn odd_name_warnings(&self) -> Vec<String> {
        self.odd.warnings(&self.path)
    }

    fn index_plain(&mut self, options: &TarOptions) -> Result<(), EvidenceError> {
        let f = File::open(&self.path).map_err(io_err(&self.path))?;
        let mut archive = ::tar::Archive::new(crate::seek::BufferedSeek::new(64 * 1024, f));
        let entries =
            archive.entries_with_seek().map_err(|e| corrupt(&self.path, format!("not a tar archive: {e}")))?;
        let mut n = 0usize;
        for entry in entries {
            n += 1;
            if n > options.limits.max_entries {
                return Err(corrupt(&self.path, format!("more than {} entries", options.limits.max_entries)));
            }
            let entry = entry.map_err(|e| corrupt(&self.path, format!("entry #{n}: {e}")))?;
            self.note_entry(&entry, n, None);
        }
        self.odd.summary(&self.path);
        self.index.finish();
        Ok(())
    }

    fn index_gzip(&mut self, options: &TarOptions) -> Result<(), EvidenceError> {
        let mut b = GlobSetBuilder::new();
        for p in &options.cache_patterns {
            let g = globset::GlobBuilder::new(p)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| EvidenceError::BadPattern { pattern: p.clone(), reason: e.to_string() })?;
            b.add(g);
        }
        let filter: GlobSet = b
            .build()
            .map_err(|e| EvidenceError::BadPattern { pattern: "cache patterns".into(), reason: e.to_string() })?;
        let mut archive = ::tar::Archive::new(raw_reader(&self.path, true)?);
        let entries = archive.entries().map_err(|e| corrupt(&self.path, format!("not a tar archive: {e}")))?;
        // Cached file numbers by push order; remapped to index order after sorting.
        let mut cached_by_push: Vec<u32> = Vec::new();
        let mut n = 0usize;
        for entry in entries {
            n += 1;
            if n > options.limits.max_entries {
                return Err(corrupt(&self.path, format!("more than {} entries", options.limits.max_entries)));
            }
            let mut entry = entry.map_err(|e| corrupt(&self.path, format!("entry #{n}: {e}")))?;
            let pushed_before = self.index.rows.len();
            let mut cache_no = 0u32;
            if matches!(kind_of(entry.header().entry_type()), Kind::File) {
                let name = normalize_name(&String::from_utf8_lossy(&entry.path_bytes()));
                let size = entry.size();
                if !name.is_empty()
                    && size <= options.limits.cache_file_max
                    && self.stats.cached_bytes.saturating_add(size) <= options.limits.cache_total_max
                    && filter.is_match(&name)
                {
                    cache_no = self.cache_entry(&mut entry, &name, size)?;
                }
            }
            self.note_entry(&entry, n, Some(()));
            if self.index.rows.len() > pushed_before {
                cached_by_push.push(cache_no);
            }
        }
        self.odd.summary(&self.path);
        // Remember cache numbers through the sort: stash them in the row flags.
        for (row, c) in self.index.rows.iter_mut().zip(cached_by_push) {
            row.flags = c;
        }
        self.index.finish();
        self.cached = self.index.rows.iter().map(|r| r.flags).collect();
        Ok(())
    }

    fn cache_entry<R: Read>(
        &mut self,
        entry: &mut ::tar::Entry<'_, R>,
        name: &str,
        size: u64,
    ) -> Result<u32, EvidenceError> {
        // The cache is an optimisation: without scratch budget left, the entry is simply not
        // cached (it is re-streamed from the archive when read).
        if let Err(e) = self.cache_reservation.grow(size) {
            tracing::debug!("{name} not cached: {e}");
            return Ok(0);
        }
        if self.cache_dir.is_none() {
            self.cache_dir = Some(private_tempdir().map_err(io_err(&self.path))?);
        }
        let Some(dir) = self.cache_dir.as_ref() else { return Ok(0) };
        let no = u32::try_from(self.stats.cached_files + 1).unwrap_or(u32::MAX);
        if no == u32::MAX {
            return Ok(0);
        }
        let target = dir.path().join(no.to_string());
        let io = |source| EvidenceError::Io { path: name.to_string(), source };
        let mut out = create_private_file(&target).map_err(io)?;
        let copied = std::io::copy(&mut entry.take(size), &mut out).map_err(io)?;
        if copied != size {
            return Err(EvidenceError::Corrupt {
                path: name.to_string(),
                reason: format!("truncated: {copied} of {size} bytes"),
            });
        }
        self.stats.cached_files += 1;
        self.stats.cached_bytes += size;
        Ok(no)
    }

    fn note_entry<R: Read>(&mut self, entry: &::tar::Entry<'_, R>, n: usize, _gz: Option<()>) {
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let name = normalize_name(&raw);
        if name.is_empty() {
            self.stats.unnamed += 1;
            self.odd.unusable(&raw, n);
            return;
        }
        if name != raw.trim_end_matches('/') {
            self.stats.normalised += 1;
            self.odd.normalised(&raw, &name);
        }
        match kind_of(entry.header().entry_type()) {
            Kind::File => {
                let mtime = entry.header().mtime().ok().and_then(|m| i64::try_from(m).ok());
                self.index.push(&name, entry.size(), mtime, entry.raw_file_position());
            }
            Kind::Dir => self.stats.directories += 1,
            Kind::Link(hard) => {
                let target =
                    entry.link_name_bytes().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
                self.links.push(TarLink { name, target, hard });
            }
            Kind::Skip => self.stats.skipped += 1,
        }
    }

    /// Links seen in the archive (never followed).
    pub fn links(&self) -> &[TarLink] {
        &self.links
    }

    /// What the index pass counted besides regular files.
    pub fn stats(&self) -> TarStats {
        self.stats
    }

    /// Whether the archive is gzip-compressed.
    pub fn is_compressed(&self) -> bool {
        self.gzip
    }

    /// The file index (regular files, sorted).
    pub fn index(&self) -> &FileIndex {
        &self.index
    }

    /// Number of regular files.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the archive holds no regular file.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    fn open_copy(
        &self,
        name: &str,
        copy: Option<(usize, usize)>,
        shown: &str,
    ) -> Result<Box<dyn Read + Send + '_>, EvidenceError> {
        let pos =
            self.index.position_copy(name, copy).ok_or_else(|| EvidenceError::Missing { path: shown.to_string() })?;
        self.open_at(pos, shown)
    }

    /// Opens the member at index position `pos` (`shown` names it in messages).
    fn open_at(&self, pos: usize, shown: &str) -> Result<Box<dyn Read + Send + '_>, EvidenceError> {
        let Some(row) = self.index.rows.get(pos) else {
            return Err(EvidenceError::Missing { path: shown.to_string() });
        };
        let io = |source| EvidenceError::Io { path: shown.to_string(), source };
        if self.gzip {
            if let (Some(&no), Some(dir)) = (self.cached.get(pos), self.cache_dir.as_ref())
                && no != 0
            {
                let f = File::open(dir.path().join(no.to_string())).map_err(io)?;
                return Ok(Box::new(BufReader::new(f)));
            }
            tracing::debug!(
                "{}: {shown} not cached, decompressing again up to offset {}",
                self.path.display(),
                row.data
            );
            let mut r = raw_reader(&self.path, true)?;
            let skipped = std::io::copy(&mut (&mut r).take(row.data), &mut std::io::sink()).map_err(io)?;
            if skipped != row.data {
                return Err(EvidenceError::Corrupt {
                    path: shown.to_string(),
                    reason: "archive ends before the entry's data".into(),
                });
            }
            return Ok(Box::new(ExactReader { inner: r.take(row.size), left: row.size, name: shown.to_string() }));
        }
        let mut f = File::open(&self.path).map_err(io)?;
        f.seek(SeekFrom::Start(row.data)).map_err(io)?;
        let r = BufReader::with_capacity(256 * 1024, f).take(row.size);
        Ok(Box::new(ExactReader { inner: r, left: row.size, name: shown.to_string() }))
    }
}

/// Reports a truncated archive instead of returning a short file silently.
struct ExactReader<R> {
    inner: R,
    left: u64,
    name: String,
}

impl<R: Read> Read for ExactReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("tar entry {} is truncated ({} bytes missing)", self.name, self.left),
            ));
        }
        self.left = self.left.saturating_sub(n as u64);
        Ok(n)
    }
}

impl Evidence for TarEvidence {
    fn kind(&self) -> AcquisitionKind {
        self.kind
    }

    fn source(&self) -> &Path {
        &self.path
    }

    fn locate(&self, locator: &Locator) -> Result<Vec<EvidenceFile>, EvidenceError> {
        self.index.locate(locator)
    }

    fn open(&self, file: &EvidenceFile) -> Result<Box<dyn Read + Send + '_>, EvidenceError> {
        self.open_copy(&file.relative_path, copy_of(file), &file.path)
    }

    fn sqlite(&self, file: &EvidenceFile) -> Result<SqliteDb, EvidenceError> {
        // Sizes come from the tar headers (the data that follows is exactly that long): an
        // oversized member is refused before a byte is inflated.
        let db = ArchiveDb::find(file, |name, copy| {
            let pos = self.index.position_copy(name, copy)?;
            Some((pos, self.index.rows.get(pos)?.size))
        })?;
        // A cached database without sidecars is opened in place in the (private) cache.
        if !db.has_sidecars()
            && let (Some(&no), Some(dir)) = (self.cached.get(*db.main()), self.cache_dir.as_ref())
            && no != 0
        {
            return SqliteDb::open_immutable(&dir.path().join(no.to_string()))
                .map(|d| d.labelled(&file.path))
                .map_err(|source| EvidenceError::Sqlite { path: file.path.clone(), source });
        }
        db.open(&self.copies, file, |&pos, shown| self.open_at(pos, shown))
    }

    fn walk(&self, visit: &mut dyn FnMut(&EvidenceFile)) -> Result<(), EvidenceError> {
        for it in self.index.iter() {
            visit(&it.into_file());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn header(name: &str, size: u64, t: ::tar::EntryType) -> ::tar::Header {
        let mut h = ::tar::Header::new_gnu();
        h.set_entry_type(t);
        h.set_size(size);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        // Bypass the crate's own path sanitising so hostile names reach the archive.
        let bytes = name.as_bytes();
        let old = h.as_old_mut();
        let n = bytes.len().min(old.name.len());
        old.name[..n].copy_from_slice(&bytes[..n]);
        h.set_cksum();
        h
    }

    /// A tar (or tar.gz) writer into a new file at `p`.
    fn builder(p: &Path, gzip: bool) -> ::tar::Builder<Box<dyn Write>> {
        let file = File::create(p).expect("create");
        let sink: Box<dyn Write> = if gzip {
            Box::new(flate2::write::GzEncoder::new(file, flate2::Compression::fast()))
        } else {
            Box::new(file)
        };
        ::tar::Builder::new(sink)
    }

    fn build(gzip: bool) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join(if gzip { "a.tar.gz" } else { "a.tar" });
        let mut b = builder(&p, gzip);
        let add = |b: &mut ::tar::Builder<Box<dyn Write>>, name: &str, data: &[u8]| {
            let h = header(name, data.len() as u64, ::tar::EntryType::Regular);
            b.append(&h, data).expect("append");
        };
        add(&mut b, "root/private/var/db/x.db", b"not a db");
        add(&mut b, "root/private/var/big.bin", &vec![7u8; 100_000]);
        add(&mut b, "../../etc/passwd", b"hostile");
        add(&mut b, "root/dup.txt", b"first");
        add(&mut b, "root/dup.txt", b"second");
        let mut l = header("root/link", 0, ::tar::EntryType::Symlink);
        l.set_link_name("/etc/shadow").expect("link");
        l.set_cksum();
        b.append(&l, std::io::empty()).expect("link");
        let d = header("root/dir/", 0, ::tar::EntryType::Directory);
        b.append(&d, std::io::empty()).expect("dir");
        let f = header("root/fifo", 0, ::tar::EntryType::Fifo);
        b.append(&f, std::io::empty()).expect("fifo");
        // A long name (GNU long-name extension).
        let long = format!("root/{}/file.plist", "d".repeat(150));
        let mut h = ::tar::Header::new_gnu();
        h.set_size(3);
        h.set_mode(0o644);
        h.set_mtime(5);
        b.append_data(&mut h, &long, &b"abc"[..]).expect("long");
        let inner = b.into_inner().expect("finish");
        drop(inner);
        (dir, p)
    }

    fn check(gzip: bool) {
        let (_d, p) = build(gzip);
        let t = TarEvidence::open(&p, AcquisitionKind::IosFs).expect("open");
        assert_eq!(t.is_compressed(), gzip);
        let mut names = Vec::new();
        t.walk(&mut |f| names.push(f.path.clone())).expect("walk");
        let long = format!("root/{}/file.plist", "d".repeat(150));
        assert_eq!(
            names,
            vec![
                long.clone(),
                "root/dup.txt".into(),
                "root/dup.txt (copy 1 of 2)".into(),
                "root/private/var/big.bin".into(),
                "root/private/var/db/x.db".into()
            ]
        );
        assert_eq!(t.duplicates(), vec![("root/dup.txt".to_string(), 2)]);
        assert_eq!(t.links(), &[TarLink { name: "root/link".into(), target: "/etc/shadow".into(), hard: false }]);
        assert_eq!(t.stats().directories, 1);
        assert_eq!(t.stats().skipped, 1);
        assert_eq!(t.stats().unnamed, 1, "../../etc/passwd is skipped");
        static P: &[&str] = &["**/dup.txt", "**/*.bin", "**/*.plist"];
        let found = t.locate(&Locator { backup: &[], paths: P }).expect("locate");
        assert_eq!(found.len(), 4);
        assert_eq!(t.read(&found[1], 100).expect("dup"), b"second", "the plain name is the last copy");
        assert_eq!(found[2].path, "root/dup.txt (copy 1 of 2)");
        assert_eq!(found[2].relative_path, "root/dup.txt");
        assert_eq!(t.read(&found[2], 100).expect("dup"), b"first", "the earlier copy is readable");
        assert_eq!(t.read(&found[0], 1000).expect("long"), b"abc");
        assert_eq!(found[0].modified, jiff::Timestamp::from_second(5).ok());
        let big = t.read(&found[3], 200_000).expect("big");
        assert_eq!(big.len(), 100_000);
        assert!(big.iter().all(|&b| b == 7));
        assert!(matches!(t.read(&found[3], 10), Err(EvidenceError::TooLarge { .. })));
        assert!(t.open(&EvidenceFile::plain("missing")).is_err());
        // A non-database is an error naming the path, not a panic.
        let db = t.locate(&Locator { backup: &[], paths: &["**/x.db"] }).expect("db");
        let err = t.sqlite(&db[0]).expect_err("not a db");
        assert!(err.to_string().contains("root/private/var/db/x.db"));
        if gzip {
            // Small artifacts are cached; the .bin is not and is read by re-streaming.
            assert_eq!(t.stats().cached_files, 4);
        }
    }

    #[test]
    fn plain_tar() {
        check(false);
    }

    #[test]
    fn gzip_tar() {
        check(true);
    }

    /// Many small entries of every size around the 64 KiB read buffer, and big ones between
    /// them: the index pass skips entry data with relative seeks inside its buffer, and every
    /// entry must still be found at its own offset with its own bytes.
    #[test]
    fn small_entries_across_buffer_boundaries() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("many.tar");
        let mut b = builder(&p, false);
        let content = |i: usize| -> Vec<u8> {
            let len = match i % 7 {
                0 => 70_000 + i,
                1 => 65_536,
                2 => 511,
                3 => 512,
                4 => 0,
                _ => (i * 997) % 9000,
            };
            (0..len).map(|k| (k * 31 + i) as u8).collect()
        };
        for i in 0..300 {
            let data = content(i);
            b.append(&header(&format!("f/{i}.bin"), data.len() as u64, ::tar::EntryType::Regular), data.as_slice())
                .expect("append");
        }
        b.into_inner().expect("fin").flush().expect("flush");
        let t = TarEvidence::open(&p, AcquisitionKind::IosFs).expect("open");
        let files = t.locate(&Locator { backup: &[], paths: &["f/*.bin"] }).expect("locate");
        assert_eq!(files.len(), 300);
        for f in &files {
            let i: usize = f.path.trim_start_matches("f/").trim_end_matches(".bin").parse().expect("number");
            assert_eq!(t.read(f, 1 << 20).expect("read"), content(i), "{}", f.path);
        }
    }

    /// A hash already computed for the archive (by the thread that hashed it while it was
    /// indexed) is taken as it is, not computed again; without it the file is hashed.
    #[test]
    fn recorder_takes_known_hashes() {
        let (_dir, p) = build(false);
        let t = TarEvidence::open(&p, AcquisitionKind::IosFs).expect("open");
        let rec = crate::evidence::Recorder::new(&t);
        let computed = rec.input_hashes();
        assert_eq!(computed.len(), 1);
        assert_eq!(computed[0].sha256, crate::evidence::sha256_file(&p).expect("hash"));
        let known = rec.input_hashes_with(&[(p.clone(), "given".to_string())]);
        assert_eq!(known.len(), 1);
        assert_eq!(known[0].sha256, "given");
        assert_eq!(known[0].path, computed[0].path);
        // each entry says how many bytes of the acquisition it stands for
        let len = std::fs::metadata(&p).expect("meta").len();
        assert!(len > 0);
        assert_eq!((computed[0].bytes, known[0].bytes), (len, len));
    }

    #[test]
    fn sqlite_with_wal_sidecar_in_gzip() {
        let dir = tempfile::tempdir().expect("tmp");
        let db = dir.path().join("w.db");
        {
            let c = rusqlite::Connection::open(&db).expect("db");
            c.pragma_update(None, "journal_mode", "wal").expect("wal");
            c.execute_batch("PRAGMA wal_autocheckpoint=0; CREATE TABLE t(x); INSERT INTO t VALUES (42);").expect("sql");
            let dbb = std::fs::read(&db).expect("read");
            let wal = std::fs::read(dir.path().join("w.db-wal")).expect("wal");
            let p = dir.path().join("x.tgz");
            let enc = flate2::write::GzEncoder::new(File::create(&p).expect("c"), flate2::Compression::fast());
            let mut b = ::tar::Builder::new(enc);
            for (n, d) in [("d/w.db", &dbb), ("d/w.db-wal", &wal)] {
                let mut h = ::tar::Header::new_gnu();
                h.set_size(d.len() as u64);
                h.set_mode(0o644);
                b.append_data(&mut h, n, d.as_slice()).expect("add");
            }
            b.into_inner().expect("fin").finish().expect("gz");
            drop(c);
            // Cached and uncached paths must both apply the WAL.
            for opts in [TarOptions::default(), TarOptions { cache_patterns: vec![], ..TarOptions::default() }] {
                let t = TarEvidence::open_with(&p, AcquisitionKind::IosFs, &opts).expect("open");
                let f = t.locate(&Locator { backup: &[], paths: &["d/w.db"] }).expect("loc");
                let s = t.sqlite(&f[0]).expect("sqlite");
                let v: i64 = s.query_row("SELECT x FROM t", [], |r| r.get(0)).expect("row");
                assert_eq!(v, 42);
            }
        }
    }

    /// Two databases under one name (the hidden one first, as `tar -x` would shadow it): each
    /// copy opens as itself, in plain and gzip archives.
    #[test]
    fn every_copy_of_a_duplicated_database_opens_as_itself() {
        let dir = tempfile::tempdir().expect("tmp");
        let db = |v: i64| {
            let p = dir.path().join(format!("{v}.db"));
            let c = rusqlite::Connection::open(&p).expect("db");
            c.execute_batch(&format!("CREATE TABLE t(x); INSERT INTO t VALUES ({v});")).expect("sql");
            drop(c);
            std::fs::read(&p).expect("read")
        };
        let (hidden, innocent) = (db(666), db(1));
        for gzip in [false, true] {
            let p = dir.path().join(if gzip { "d.tgz" } else { "d.tar" });
            let mut b = builder(&p, gzip);
            for d in [&hidden, &innocent] {
                let h = header("p/sms.db", d.len() as u64, ::tar::EntryType::Regular);
                b.append(&h, d.as_slice()).expect("append");
            }
            drop(b.into_inner().expect("finish"));
            let t = TarEvidence::open(&p, AcquisitionKind::IosFs).expect("open");
            let found = t.locate(&Locator { backup: &[], paths: &["p/sms.db"] }).expect("locate");
            let got: Vec<(String, i64)> = found
                .iter()
                .map(|f| {
                    let s = t.sqlite(f).expect("sqlite");
                    (f.path.clone(), s.query_row("SELECT x FROM t", [], |r| r.get(0)).expect("row"))
                })
                .collect();
            assert_eq!(got, vec![("p/sms.db".into(), 1), ("p/sms.db (copy 1 of 2)".into(), 666)], "gzip {gzip}");
        }
    }

    #[test]
    fn an_archive_of_links_only_is_refused_saying_so() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("l.tar");
        let mut b = ::tar::Builder::new(File::create(&p).expect("create"));
        for name in ["a/link", "b/link"] {
            let mut l = header(name, 0, ::tar::EntryType::Symlink);
            l.set_link_name("/etc/passwd").expect("link");
            l.set_cksum();
            b.append(&l, std::io::empty()).expect("link");
        }
        b.into_inner().expect("finish");
        let e = TarEvidence::open(&p, AcquisitionKind::IosFs).expect_err("only links");
        assert!(e.to_string().ends_with("holds only 2 symbolic link entries (first: a/link), skipped because links are never followed: nothing to check"), "{e}");
    }

    #[test]
    fn truncated_and_garbage() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("g.tar");
        std::fs::write(&p, b"this is not a tar archive at all, just text").expect("w");
        // 43 bytes: not even one header block. Refused, naming the file and the first entry.
        let e = TarEvidence::open(&p, AcquisitionKind::IosFs).expect_err("not a tar");
        assert!(e.to_string().starts_with(&format!("{}: entry #1: ", p.display())), "{e}");
        let files = |t: &TarEvidence| {
            let mut v = Vec::new();
            t.walk(&mut |f| v.push(f.clone())).expect("walk");
            v
        };
        // A plain tar cut inside big.bin's data (2048 of ~107 KiB): indexed lazily, so the
        // entries whose headers are there are listed; the complete one reads whole, the cut one
        // is an error saying how much is missing, never a short read passed off as the file.
        let (_d, good) = build(false);
        let bytes = std::fs::read(&good).expect("read");
        let cut = dir.path().join("cut.tar");
        std::fs::write(&cut, &bytes[..2048]).expect("w");
        let t = TarEvidence::open(&cut, AcquisitionKind::IosFs).expect("headers before the cut are read");
        let listed = files(&t);
        let names: Vec<(&str, Option<u64>)> = listed.iter().map(|f| (f.path.as_str(), f.size)).collect();
        assert_eq!(names, [("root/private/var/big.bin", Some(100_000)), ("root/private/var/db/x.db", Some(8))]);
        assert_eq!(t.read(&listed[1], 1 << 20).expect("complete entry"), b"not a db");
        match t.read(&listed[0], 1 << 20) {
            Err(EvidenceError::Io { path, source }) => {
                assert_eq!(path, "root/private/var/big.bin");
                assert_eq!(source.kind(), std::io::ErrorKind::UnexpectedEof);
                assert_eq!(source.to_string(), "tar entry root/private/var/big.bin is truncated (99488 bytes missing)");
            }
            other => panic!("a cut entry must be an error, got {:?}", other.map(|b| b.len())),
        }
        // A gzip tar is indexed by streaming it whole: cut in half, it is refused at open.
        let (_d2, gz) = build(true);
        let bytes = std::fs::read(&gz).expect("read");
        let cutgz = dir.path().join("cut.tar.gz");
        std::fs::write(&cutgz, &bytes[..bytes.len() / 2]).expect("w");
        let e = TarEvidence::open(&cutgz, AcquisitionKind::IosFs).expect_err("cut gzip");
        assert!(e.to_string().starts_with(&format!("{}: entry #", cutgz.display())), "{e}");
        assert!(peek_names(&good, 2).expect("peek").len() == 2);
    }

    #[test]
    fn index_keeps_every_copy_last_one_plain() {
        let mut ix = FileIndex::new();
        ix.push("b", 1, None, 10);
        ix.push("a", 2, Some(3), 20);
        ix.push("b", 5, None, 30);
        ix.push("b!", 6, None, 40);
        ix.push("b", 7, None, 50);
        ix.finish();
        assert_eq!(ix.len(), 5);
        assert_eq!(ix.get("b").map(|i| i.data), Some(50), "the plain name is the last copy");
        assert_eq!(ix.get("a").and_then(|i| i.mtime), Some(3));
        assert!(ix.get("c").is_none());
        assert_eq!(ix.duplicates(), vec![("b".to_string(), 3)]);
        let files: Vec<(String, u64)> = ix
            .iter()
            .map(|i| {
                let data = i.data;
                (i.into_file().path, data)
            })
            .collect();
        assert_eq!(
            files,
            vec![
                ("a".to_string(), 20),
                ("b".to_string(), 50),
                ("b (copy 1 of 3)".to_string(), 10),
                ("b (copy 2 of 3)".to_string(), 30),
                ("b!".to_string(), 40)
            ]
        );
        for (path, data) in &files {
            let f = EvidenceFile { path: path.clone(), ..EvidenceFile::plain(path.split(" (").next().unwrap_or("")) };
            assert_eq!(ix.get_file(&f).map(|i| i.data), Some(*data), "{path}");
        }
        let wrong = EvidenceFile { path: "b (copy 1 of 2)".into(), ..EvidenceFile::plain("b") };
        assert!(ix.get_file(&wrong).is_none(), "a stale copy count finds nothing");
        // locate keeps path order
        let found = ix.locate(&Locator { backup: &[], paths: &["b*"] }).expect("locate");
        let paths: Vec<&str> = found.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, vec!["b", "b (copy 1 of 3)", "b (copy 2 of 3)", "b!"]);
    }
}
