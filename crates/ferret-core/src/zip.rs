//! Zip archives read in place as [`Evidence`].
//!
//! [`ZipEvidence`] reads the central directory once, entry by entry (and each entry's local
//! header, to learn where its data starts), into a compact [`FileIndex`] (names in an arena,
//! a few dozen bytes per entry besides the name: a 1.8-million-entry dump is indexed in a few
//! hundred MB, where the `zip` crate's own index took about a kilobyte per entry). It then
//! serves every `open()` by re-opening the archive file, seeking to the entry's data and
//! inflating it. Nothing is ever extracted to disk, so hostile entry names (`../../x`,
//! `/etc/passwd`, `C:\x`, symlink entries) can never write anywhere.
//!
//! * Entry names are kept raw ([`ZipEvidence::raw_name`]) for the record, and normalised for
//!   lookup: `\` becomes `/`, empty and `.` components and a leading `/` or drive letter (`C:`)
//!   are dropped. An entry with a `..` component (`../../x`, `ok/../../y`) is skipped with a
//!   warning: it is never listed, so it can neither escape nor stand in for a genuine file of the
//!   same normalised name. When several entries have the same (normalised) name, **every copy**
//!   is listed and readable: the last one in archive order (what `unzip` would leave) under the
//!   plain name, each earlier one as `<name> (copy k of n)` (see [`crate::evidence`], "Duplicate
//!   entries in archives"), and each duplicated name is reported with a warning at open
//!   ([`ZipEvidence::duplicates`]). (The `zip` crate's `ZipArchive` keeps one entry per exact
//!   name; its `ZipIterable`, used here, keeps them all.)
//! * Symlink entries are listed by [`ZipEvidence::symlinks`] but never followed, located or
//!   opened. An archive holding symlinks but no regular file is refused
//!   ([`EvidenceError::OnlyLinks`]: nothing could be checked), as tar archives are.
//! * Reads are bounded: the caller's `take(limit)` (via [`Evidence::read`]), the entry's declared
//!   size (a stream producing more than declared is an error), and a compression-ratio guard
//!   ([`ZipLimits::max_ratio`], zip-bomb defence).
//! * An archive whose entries share compressed data (overlapping entries, the "better zip bomb"
//!   technique) is refused.
//! * Thread-safe: the entry table is immutable after `open`; each `open()` uses its own file
//!   handle, so readers on several threads never contend on a lock.
//! * Only `Stored` and `Deflated` entries are supported (what Android and iOS tools write);
//!   encrypted entries are refused with an error naming the entry. CRC-32 is not verified (the
//!   declared-size and ratio guards bound what a damaged entry can produce).
//!
//! [`ZipEvidence::open_nested`] opens a zip that is itself an entry of another evidence (an
//! androidqf collection holding `bugreport.zip`): the inner archive is copied, bounded, into a
//! private temporary folder (0700) that is removed when the returned value is dropped.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use crate::evidence::{AcquisitionKind, Evidence, EvidenceError, EvidenceFile, Locator, copy_of, copy_path};
use crate::sqlite::{ArchiveDb, SqliteDb};
use crate::tar::FileIndex;

/// Safety limits for reading a zip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZipLimits {
    /// Maximum number of entries in the central directory.
    pub max_entries: usize,
    /// Maximum inflated/compressed ratio of one entry before reading fails (deflate cannot
    /// legitimately exceed ~1032:1).
    pub max_ratio: u64,
    /// Entries whose inflated size is below this are never ratio-checked.
    pub ratio_floor: u64,
}

impl Default for ZipLimits {
    fn default() -> Self {
        Self { max_entries: 20_000_000, max_ratio: 1100, ratio_floor: 1 << 20 }
    }
}

/// What the index keeps of an entry besides its name, size and time (the index's caller value
/// is the entry's position in [`ZipEvidence::meta`]).
#[derive(Debug, Clone, Copy)]
struct Meta {
    data_start: u64,
    compressed: u64,
    method: Method,
}

/// An entry found in the index: what opening it needs.
#[derive(Debug, Clone)]
struct Member {
    name: String,
    size: u64,
    meta: Meta,
}

/// Duplicated names named one by one in warnings; the rest are only counted.
pub const DUPLICATES_NAMED: usize = 20;

/// Warns about duplicated entry names of the archive `path` (name, number of copies): one
/// warning per name for the first [`DUPLICATES_NAMED`], then the totals.
pub fn warn_duplicates<S: AsRef<str>>(path: &Path, dups: impl Iterator<Item = (S, usize)>) {
    let (mut names, mut extra) = (0usize, 0usize);
    for (name, n) in dups {
        let name = name.as_ref();
        names += 1;
        extra += n.saturating_sub(1);
        if names <= DUPLICATES_NAMED {
            tracing::warn!(
                "{}: entry {name:?} occurs {n} times; every copy is checked (the last one as {name:?}, earlier ones as {:?}...)",
                path.display(),
                copy_path(name, 1, n)
            );
        }
    }
    if names > 0 {
        tracing::warn!(
            "{}: {names} duplicated entry name(s), {extra} extra copies in total (an attacker can hide an artifact behind a twin); every copy is checked",
            path.display()
        );
    }
}

/// The normalised names of the first `max` entries (files, folders, links) of a zip, in
/// central-directory order; used to recognise what an archive holds (as
/// [`crate::tar::peek_names`] does for tar), without opening it as evidence.
pub fn peek_names(path: &Path, max: usize) -> Result<Vec<String>, EvidenceError> {
    let mut iterable = central_directory(path)?;
    let files = iterable.files().map_err(|e| corrupt(path, format!("not a readable zip archive: {e}")))?;
    Ok(files
        .take(max)
        .filter_map(Result::ok)
        .map(|f| normalize_name(&String::from_utf8_lossy(f.name_raw())))
        .filter(|n| !n.is_empty())
        .collect())
}

/// Reads the local header at `header_start` and returns where the entry's data starts.
fn local_data_start(f: &mut (impl Read + Seek), header_start: u64) -> std::io::Result<u64> {
    let mut h = [0u8; 30];
    f.seek(SeekFrom::Start(header_start))?;
    f.read_exact(&mut h)?;
    if h[..4] != [0x50, 0x4b, 0x03, 0x04] {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "no local file header at its offset"));
    }
    let name_len = u64::from(u16::from_le_bytes([h[26], h[27]]));
    let extra_len = u64::from(u16::from_le_bytes([h[28], h[29]]));
    header_start
        .checked_add(30 + name_len + extra_len)
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "local header offset overflows"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Stored,
    Deflated,
    Unsupported,
    Encrypted,
}

/// A zip archive viewed as a read-only acquisition.
#[derive(Debug)]
pub struct ZipEvidence {
    path: PathBuf,
    source: PathBuf,
    kind: AcquisitionKind,
    limits: ZipLimits,
    /// Regular file entries by normalised name (every copy of a duplicated name; see
    /// [`FileIndex`]): names in an arena, so a 2-million-entry dump costs hundreds of bytes per
    /// entry, not the zip crate's kilobyte.
    index: FileIndex,
    /// Data offset, size and method of each entry, in central-directory order.
    meta: Vec<Meta>,
    /// Raw names that normalisation changed, by position in `meta` (sorted).
    raw_names: Vec<(u64, Box<str>)>,
    /// One warning per kind of odd entry name, with its count.
    odd_names: Vec<String>,
    symlinks: Vec<String>,
    /// Private copies of databases, shared while in use.
    copies: crate::sqlite::CopyCache,
    // Field order matters: the folder is removed before its reservation is released.
    _temp: Option<tempfile::TempDir>,
    temp_reservation: crate::budget::Reservation,
}

/// Normalises an archive entry name for lookup: `/` separators, no empty or `.` components, no
/// drive letter, no leading `/`. A name with a `..` component gives `""` (no usable name): such
/// an entry is skipped, never mapped onto another path.
pub fn normalize_name(raw: &str) -> String {
    let s = raw.replace('\\', "/");
    let mut parts: Vec<&str> = Vec::new();
    for (i, comp) in s.split('/').enumerate() {
        match comp {
            ".." => return String::new(),
            "" | "." => {}
            c if i == 0 && c.len() == 2 && c.ends_with(':') && c.as_bytes()[0].is_ascii_alphabetic() => {}
            c => parts.push(c),
        }
    }
    parts.join("/")
}

/// What the central directory says about one entry.
struct RawEntry {
    raw_name: String,
    is_dir: bool,
    is_symlink: bool,
    encrypted: bool,
    compression: ::zip::CompressionMethod,
    data_start: Option<u64>,
    compressed: u64,
    size: u64,
    modified: Option<Timestamp>,
}

impl RawEntry {
    /// Files it as a regular entry or a symlink, or skips it with a warning.
    fn push(self, path: &Path, i: usize, into: &mut Entries) {
        let raw_name = self.raw_name;
        if self.is_dir {
            return;
        }
        if self.is_symlink {
            into.symlinks.push(raw_name);
            return;
        }
        let name = normalize_name(&raw_name);
        if name.is_empty() {
            into.odd.unusable(&raw_name, i);
            return;
        }
        if name != raw_name {
            into.odd.normalised(&raw_name, &name);
        }
        let method = if self.encrypted {
            Method::Encrypted
        } else {
            match self.compression {
                ::zip::CompressionMethod::Stored => Method::Stored,
                ::zip::CompressionMethod::Deflated => Method::Deflated,
                _ => Method::Unsupported,
            }
        };
        let Some(data_start) = self.data_start else {
            tracing::warn!("{}: entry {raw_name:?} has no data offset", path.display());
            return;
        };
        let at = into.meta.len() as u64;
        into.index.push(&name, self.size, self.modified.map(Timestamp::as_second), at);
        into.meta.push(Meta { data_start, compressed: self.compressed, method });
        if name != raw_name {
            into.raw_names.push((at, raw_name.into_boxed_str()));
        }
    }
}

/// The entries of a central directory, as [`RawEntry::push`] files them.
#[derive(Default)]
struct Entries {
    odd: crate::tar::OddNames,
    index: FileIndex,
    meta: Vec<Meta>,
    raw_names: Vec<(u64, Box<str>)>,
    symlinks: Vec<String>,
}

/// The central directory of the zip at `path`, read entry by entry (the zip crate's
/// `ZipIterable`: no in-memory index of its own, and entries sharing a name are all kept).
fn central_directory(
    path: &Path,
) -> Result<::zip::unstable::read::ZipIterable<crate::seek::BufferedSeek<File>>, EvidenceError> {
    let file = File::open(path).map_err(|source| EvidenceError::Io { path: path.display().to_string(), source })?;
    // `unstable` API of the zip crate (pinned to =9.8 in the workspace). It seeks to every
    // central header, one after the other: a reader that keeps its buffer across those seeks.
    ::zip::unstable::read::ZipIterable::try_new(crate::seek::BufferedSeek::new(256 * 1024, file), Default::default())
        .map_err(|e| corrupt(path, format!("not a readable zip archive: {e}")))
}

/// Whether two entries' compressed data overlap (checked over every entry, duplicates included).
/// Sorts entry numbers (4 bytes each), not copies of the ranges (16): at 2 million entries the
/// check costs 8 MB, not 32. (More than 2^32 entries cannot be held: their [`Meta`] alone would
/// take 96 GiB.)
fn overlapping(entries: &[Meta]) -> bool {
    let range =
        |i: u32| entries.get(i as usize).map_or((0, 0), |e| (e.data_start, e.data_start.saturating_add(e.compressed)));
    let mut order: Vec<u32> = (0..u32::try_from(entries.len()).unwrap_or(u32::MAX))
        .filter(|&i| entries.get(i as usize).is_some_and(|e| e.compressed > 0))
        .collect();
    order.sort_unstable_by_key(|&i| range(i));
    order.windows(2).any(|w| matches!(w, [a, b] if range(*a).1 > range(*b).0))
}

fn zip_time(dt: Option<::zip::DateTime>) -> Option<Timestamp> {
    let dt = dt?;
    let civil = jiff::civil::DateTime::new(
        i16::try_from(dt.year()).ok()?,
        i8::try_from(dt.month()).ok()?,
        i8::try_from(dt.day()).ok()?,
        i8::try_from(dt.hour()).ok()?,
        i8::try_from(dt.minute()).ok()?,
        i8::try_from(dt.second()).ok()?,
        0,
    )
    .ok()?;
    civil.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp())
}

fn corrupt(path: &Path, reason: impl Into<String>) -> EvidenceError {
    EvidenceError::Corrupt { path: path.display().to_string(), reason: reason.into() }
}

impl ZipEvidence {
    /// Opens `path` as an acquisition of `kind` with default [`ZipLimits`].
    pub fn open(path: &Path, kind: AcquisitionKind) -> Result<Self, EvidenceError> {
        Self::open_with_limits(path, kind, ZipLimits::default())
    }

    /// Opens `path` with explicit limits.
    pub fn open_with_limits(path: &Path, kind: AcquisitionKind, limits: ZipLimits) -> Result<Self, EvidenceError> {
        let mut iterable = central_directory(path)?;
        if iterable.len() > limits.max_entries {
            return Err(corrupt(
                path,
                format!("{} entries exceed the limit of {}", iterable.len(), limits.max_entries),
            ));
        }
        let io = |source| EvidenceError::Io { path: path.display().to_string(), source };
        // local headers, in archive order: a buffer that survives the seeks between them
        let mut headers = crate::seek::BufferedSeek::new(64 * 1024, File::open(path).map_err(io)?);
        let mut into = Entries::default();
        // room for every entry at once, bounded by what the file can hold (a central header
        // takes at least 46 bytes): a forged entry count cannot reserve more than that
        let fits = std::fs::metadata(path).map_or(0, |m| m.len() / 46);
        let n = iterable.len().min(usize::try_from(fits).unwrap_or(usize::MAX));
        into.index.reserve(n);
        into.meta.reserve_exact(n);
        let files = iterable.files().map_err(|e| corrupt(path, format!("not a readable zip archive: {e}")))?;
        for (i, f) in files.enumerate() {
            let f = match f {
                Ok(f) => f,
                Err(e) => {
                    tracing::warn!("{}: entry #{i} unreadable: {e}", path.display());
                    break;
                }
            };
            let raw = RawEntry {
                raw_name: String::from_utf8_lossy(f.name_raw()).into_owned(),
                is_dir: f.is_dir(),
                is_symlink: f.is_symlink(),
                encrypted: f.encrypted(),
                compression: f.compression(),
                data_start: local_data_start(&mut headers, f.header_start()).ok(),
                compressed: f.compressed_size(),
                size: f.size(),
                modified: zip_time(f.last_modified()),
            };
            raw.push(path, i, &mut into);
        }
        into.odd.summary(path);
        let Entries { odd, mut index, meta, raw_names, symlinks } = into;
        if index.is_empty() {
            let names: Vec<&str> = symlinks.iter().map(String::as_str).collect();
            if let Some(e) = crate::evidence::only_links(path, &names, false) {
                return Err(e);
            }
        }
        if overlapping(&meta) {
            return Err(corrupt(
                path,
                "several entries share the same compressed data (a zip-bomb technique); refusing to read it",
            ));
        }
        // every copy of a duplicated name is kept; the last one keeps the plain name
        index.finish();
        let me = Self {
            path: path.to_path_buf(),
            source: path.to_path_buf(),
            kind,
            limits,
            index,
            meta,
            raw_names,
            odd_names: odd.warnings(path),
            symlinks,
            copies: crate::sqlite::CopyCache::default(),
            _temp: None,
            temp_reservation: crate::budget::Reservation::default(),
        };
        warn_duplicates(path, me.duplicates().into_iter());
        Ok(me)
    }

    /// Names that occur more than once, with their number of copies, in name order (every copy
    /// is listed and read; see the module docs).
    pub fn duplicates(&self) -> Vec<(String, usize)> {
        self.index.duplicates()
    }

    /// One warning per kind of odd entry name (normalised, e.g. absolute `/private/var/...`;
    /// unusable, `..`), with its count and a first example.
    pub fn odd_name_warnings(&self) -> Vec<String> {
        self.odd_names.clone()
    }

    /// Opens a zip stored as `file` inside `outer`: the inner archive is copied (at most
    /// `limit` bytes) into a private temporary folder, removed when the result is dropped.
    /// Its [`Evidence::source`] is `outer.source()/file.path`.
    pub fn open_nested(
        outer: &dyn Evidence,
        file: &EvidenceFile,
        kind: AcquisitionKind,
        limit: u64,
    ) -> Result<Self, EvidenceError> {
        let dir = private_tempdir().map_err(|source| EvidenceError::Io { path: file.path.clone(), source })?;
        let target = dir.path().join("nested.zip");
        let (_, reservation) = copy_to_scratch(outer, file, &target, limit)?;
        let mut z = Self::open(&target, kind).map_err(|e| match e {
            EvidenceError::Corrupt { reason, .. } => EvidenceError::Corrupt { path: file.path.clone(), reason },
            other => other,
        })?;
        z.source = outer.source().join(&file.path);
        z._temp = Some(dir);
        z.temp_reservation = reservation;
        Ok(z)
    }

    /// Takes ownership of a temporary folder that must live as long as this evidence (used when
    /// the archive itself is a decrypted temporary file).
    pub fn keep_temp(mut self, dir: tempfile::TempDir, source: &Path) -> Self {
        self._temp = Some(dir);
        self.source = source.to_path_buf();
        self
    }

    /// Like [`ZipEvidence::keep_temp`], also holding the folder's scratch-budget reservation
    /// (released after the folder is removed).
    pub fn keep_scratch(
        mut self,
        dir: tempfile::TempDir,
        reservation: crate::budget::Reservation,
        source: &Path,
    ) -> Self {
        self._temp = Some(dir);
        self.temp_reservation = reservation;
        self.source = source.to_path_buf();
        self
    }

    /// The raw (un-normalised) entry name of a located file.
    pub fn raw_name<'a>(&'a self, file: &'a EvidenceFile) -> Option<&'a str> {
        let item = self.index.get_file(file)?;
        match self.raw_names.binary_search_by_key(&item.data, |(at, _)| *at) {
            Ok(i) => self.raw_names.get(i).map(|(_, raw)| &**raw),
            Err(_) => Some(&file.relative_path),
        }
    }

    /// The index of regular file entries (names borrowed, nothing copied).
    pub fn index(&self) -> &FileIndex {
        &self.index
    }

    /// Raw names of symlink entries (listed, never followed).
    pub fn symlinks(&self) -> &[String] {
        &self.symlinks
    }

    /// Number of regular file entries.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the archive has no regular file.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The plain (last) copy of `name`, or its earlier copy `(k, n)`.
    fn find_copy(&self, name: &str, copy: Option<(usize, usize)>) -> Option<Member> {
        let item = self.index.get_copy(name, copy)?;
        let meta = *self.meta.get(usize::try_from(item.data).ok()?)?;
        Some(Member { name: item.name, size: item.size, meta })
    }

    fn open_entry(&self, member: &Member) -> Result<Box<dyn Read + Send + '_>, EvidenceError> {
        let (e, name) = (&member.meta, member.name.clone());
        let io = |source| EvidenceError::Io { path: name.clone(), source };
        match e.method {
            Method::Encrypted => {
                return Err(EvidenceError::Encrypted(format!("zip entry {name} is encrypted")));
            }
            Method::Unsupported => {
                return Err(EvidenceError::Corrupt { path: name, reason: "unsupported zip compression method".into() });
            }
            _ => {}
        }
        let mut f = File::open(&self.path).map_err(io)?;
        f.seek(SeekFrom::Start(e.data_start)).map_err(io)?;
        let cap = usize::try_from(e.compressed.clamp(8 << 10, 256 << 10)).unwrap_or(256 << 10);
        let raw = BufReader::with_capacity(cap, f).take(e.compressed);
        let inner: Box<dyn Read + Send> = match e.method {
            Method::Deflated => Box::new(flate2::read::DeflateDecoder::new(raw)),
            _ => Box::new(raw),
        };
        let max_out = if e.method == Method::Deflated {
            e.compressed.saturating_mul(self.limits.max_ratio).max(self.limits.ratio_floor)
        } else {
            e.compressed
        };
        Ok(Box::new(GuardedReader { inner, name, declared: member.size, max_out, read: 0 }))
    }
}

/// Refuses to produce more bytes than declared or than the ratio guard allows.
struct GuardedReader {
    inner: Box<dyn Read + Send>,
    name: String,
    declared: u64,
    max_out: u64,
    read: u64,
}

impl Read for GuardedReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read = self.read.saturating_add(n as u64);
        if self.read > self.declared {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("zip entry {} inflates beyond its declared size of {} bytes", self.name, self.declared),
            ));
        }
        if self.read > self.max_out {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("zip entry {} exceeds the compression-ratio limit (zip bomb?)", self.name),
            ));
        }
        Ok(n)
    }
}

/// A private (0700 on Unix) temporary folder.
pub fn private_tempdir() -> std::io::Result<tempfile::TempDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix("ferret-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // tempfile's default mode is 0777 & umask, i.e. usually world-readable
        builder.permissions(std::fs::Permissions::from_mode(0o700));
    }
    builder.tempdir()
}

/// Creates a file readable only by the owner (0600 on Unix).
pub fn create_private_file(path: &Path) -> std::io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

/// Copies a located file to `target` (a new private file), refusing more than `limit` bytes.
/// The bytes are reserved from the scratch budget and released when the returned reservation
/// is dropped: keep it as long as the file exists (see [`copy_to_scratch`]).
pub fn copy_bounded(ev: &dyn Evidence, file: &EvidenceFile, target: &Path, limit: u64) -> Result<u64, EvidenceError> {
    copy_to_scratch(ev, file, target, limit).map(|(n, _)| n)
}

/// Copies a located file to `target` (a new private file) through the scratch budget
/// ([`crate::budget`]), refusing more than `limit` bytes (and more than the artifact-size
/// budget, checked first from the file's known size); returns the bytes copied and their
/// reservation, to drop once the file is removed.
pub fn copy_to_scratch(
    ev: &dyn Evidence,
    file: &EvidenceFile,
    target: &Path,
    limit: u64,
) -> Result<(u64, crate::budget::Reservation), EvidenceError> {
    if let Some(size) = file.size {
        crate::budget::check_artifact(size).map_err(|e| EvidenceError::budget(&file.path, &e))?;
        if size > limit {
            return Err(EvidenceError::TooLarge { path: file.path.clone(), limit });
        }
    }
    let io = |source: std::io::Error| match crate::budget::budget_error(&source) {
        Some(b) => EvidenceError::budget(&file.path, b),
        None => EvidenceError::Io { path: file.path.clone(), source },
    };
    let out = create_private_file(target).map_err(io)?;
    let mut out = crate::budget::ScratchWriter::new(out);
    let mut r = ev.open(file)?.take(limit.saturating_add(1));
    let n = std::io::copy(&mut r, &mut out).map_err(io)?;
    let (_, reservation) = out.into_parts();
    if n > limit {
        return Err(EvidenceError::TooLarge { path: file.path.clone(), limit });
    }
    Ok((n, reservation))
}

impl Evidence for ZipEvidence {
    fn kind(&self) -> AcquisitionKind {
        self.kind
    }

    fn source(&self) -> &Path {
        &self.source
    }

    fn locate(&self, locator: &Locator) -> Result<Vec<EvidenceFile>, EvidenceError> {
        self.index.locate(locator)
    }

    fn open(&self, file: &EvidenceFile) -> Result<Box<dyn Read + Send + '_>, EvidenceError> {
        let e = self
            .find_copy(&file.relative_path, copy_of(file))
            .ok_or_else(|| EvidenceError::Missing { path: file.path.clone() })?;
        self.open_entry(&e)
    }

    fn sqlite(&self, file: &EvidenceFile) -> Result<SqliteDb, EvidenceError> {
        // Declared sizes are checked before inflating; the reader also refuses to inflate more
        // than declared, and the copy more than the artifact budget, should the header lie.
        let db = ArchiveDb::find(file, |name, copy| {
            let member = self.find_copy(name, copy)?;
            let size = member.size;
            Some((member, size))
        })?;
        db.open(&self.copies, file, |e, _| self.open_entry(e))
    }

    fn walk(&self, visit: &mut dyn FnMut(&EvidenceFile)) -> Result<(), EvidenceError> {
        for item in self.index.iter() {
            visit(&item.into_file());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::zip::write::SimpleFileOptions;
    use std::io::Write;

    fn build(entries: &[(&str, &[u8])], symlink: Option<(&str, &str)>) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("a.zip");
        let mut w = ::zip::ZipWriter::new(File::create(&p).expect("create"));
        let opts = SimpleFileOptions::default().compression_method(::zip::CompressionMethod::Deflated);
        for (n, b) in entries {
            w.start_file(*n, opts).expect("start");
            w.write_all(b).expect("write");
        }
        if let Some((n, t)) = symlink {
            w.add_symlink(n, t, opts).expect("symlink");
        }
        w.finish().expect("finish");
        (dir, p)
    }

    #[test]
    fn normalises_hostile_names() {
        assert_eq!(normalize_name("../../x"), "");
        assert_eq!(normalize_name("ok/../../x"), "");
        assert_eq!(normalize_name("..\\x"), "");
        assert_eq!(normalize_name("a..b/..c/d.."), "a..b/..c/d..");
        assert_eq!(normalize_name("/etc/passwd"), "etc/passwd");
        assert_eq!(normalize_name("C:\\Windows\\x.txt"), "Windows/x.txt");
        assert_eq!(normalize_name("a/./b//c"), "a/b/c");
        assert_eq!(normalize_name(".."), "");
    }

    #[test]
    fn reads_locates_and_never_follows_symlinks() {
        let (dir, p) = build(
            &[("top/a.txt", b"hello"), ("../../evil.txt", b"x"), ("top/db/x.db", b"nope")],
            Some(("top/link", "/etc/passwd")),
        );
        let z = ZipEvidence::open(&p, AcquisitionKind::AndroidQf).expect("open");
        // the traversal entry is skipped, not mapped onto `evil.txt`
        assert_eq!(z.len(), 2);
        assert_eq!(z.symlinks(), &["top/link".to_string()]);
        static PATHS: &[&str] = &["*/a.txt", "evil.txt", "**/evil.txt"];
        let found = z.locate(&Locator { backup: &[], paths: PATHS }).expect("locate");
        let names: Vec<_> = found.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(names, vec!["top/a.txt"]);
        assert_eq!(z.raw_name(&found[0]), Some("top/a.txt"));
        assert_eq!(z.read(&found[0], 100).expect("read"), b"hello");
        assert!(matches!(z.read(&found[0], 2), Err(EvidenceError::TooLarge { .. })));
        // nothing was written next to the archive
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);
        let mut all = Vec::new();
        z.walk(&mut |f| all.push(f.path.clone())).expect("walk");
        assert_eq!(all, vec!["top/a.txt", "top/db/x.db"]);
        assert!(z.sqlite(&EvidenceFile::plain("top/db/x.db")).is_err());
        assert!(z.open(&EvidenceFile::plain("top/link")).is_err());
    }

    #[test]
    fn odd_names_are_summarised_in_one_warning_each() {
        let (_d, p) = build(
            &[
                ("/private/var/a.txt", b"a"),
                ("/private/var/b.txt", b"b"),
                ("C:\\x\\c.txt", b"c"),
                ("../../evil.txt", b"x"),
                ("ok/../../y.txt", b"y"),
                ("plain.txt", b"p"),
            ],
            None,
        );
        let z = ZipEvidence::open(&p, AcquisitionKind::IosFs).expect("open");
        assert_eq!(z.len(), 4);
        let w = z.odd_name_warnings();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w[0].contains(": 3 entry names normalised")
                && w[0].contains("\"/private/var/a.txt\" as \"private/var/a.txt\""),
            "{w:?}"
        );
        assert!(w[1].contains(": 2 entries skipped with no usable name"), "{w:?}");
        let (_d, p) = build(&[("plain.txt", b"p")], None);
        assert!(ZipEvidence::open(&p, AcquisitionKind::IosFs).expect("open").odd_name_warnings().is_empty());
    }

    #[test]
    fn ratio_guard_and_nested() {
        let big = vec![b'a'; 8 << 20];
        let (_d, p) = build(&[("bomb.txt", &big)], None);
        let limits = ZipLimits { ratio_floor: 1024, max_ratio: 100, ..ZipLimits::default() };
        let z = ZipEvidence::open_with_limits(&p, AcquisitionKind::AndroidBugreport, limits).expect("open");
        let f = EvidenceFile::plain("bomb.txt");
        let err = z.read(&f, u64::MAX).expect_err("ratio");
        assert!(err.to_string().contains("bomb.txt"), "{err}");
        let z = ZipEvidence::open(&p, AcquisitionKind::AndroidBugreport).expect("open");
        assert_eq!(z.read(&f, u64::MAX).expect("read").len(), big.len());
        // nested: the outer zip holds the inner one
        let inner = std::fs::read(&p).expect("read");
        let (_d2, outer) = build(&[("acq/bugreport.zip", &inner)], None);
        let o = ZipEvidence::open(&outer, AcquisitionKind::AndroidQf).expect("outer");
        let n = ZipEvidence::open_nested(
            &o,
            &EvidenceFile::plain("acq/bugreport.zip"),
            AcquisitionKind::AndroidBugreport,
            1 << 30,
        )
        .expect("nested");
        assert_eq!(n.read(&f, u64::MAX).expect("read").len(), big.len());
        assert!(n.source().ends_with("acq/bugreport.zip"));
        assert!(
            ZipEvidence::open_nested(
                &o,
                &EvidenceFile::plain("acq/bugreport.zip"),
                AcquisitionKind::AndroidBugreport,
                10
            )
            .is_err()
        );
    }

    /// A zip whose central directory repeats names: written with unique placeholders of the same
    /// length, patched afterwards (the writer refuses duplicates).
    fn build_with_duplicates(entries: &[(&str, &[u8])]) -> (tempfile::TempDir, PathBuf) {
        let placeholders: Vec<String> = (0..entries.len()).map(|i| format!("{i:0>8}")).collect();
        let named: Vec<(&str, &[u8])> =
            placeholders.iter().map(String::as_str).zip(entries.iter().map(|e| e.1)).collect();
        let (dir, p) = build(&named, None);
        let mut bytes = std::fs::read(&p).expect("read");
        for (ph, (name, _)) in placeholders.iter().zip(entries) {
            assert_eq!(name.len(), 8, "same length as the placeholder");
            let mut at = 0;
            while let Some(i) = bytes[at..].windows(8).position(|w| w == ph.as_bytes()) {
                bytes[at + i..at + i + 8].copy_from_slice(name.as_bytes());
                at += i + 8;
            }
        }
        std::fs::write(&p, bytes).expect("write");
        (dir, p)
    }

    #[test]
    fn every_copy_of_a_duplicated_name_is_listed_and_read() {
        // exact duplicates: the zip crate's own index keeps one of them
        let (_d, p) = build_with_duplicates(&[
            ("dir/a.db", b"first"),
            ("dir/b.db", b"other"),
            ("dir/a.db", b"second"),
            ("/dir/a.d", b"zzz"),
            ("dir/a.db", b"third"),
        ]);
        let z = ZipEvidence::open(&p, AcquisitionKind::IosFs).expect("open");
        assert_eq!(z.len(), 5);
        assert_eq!(z.duplicates(), vec![("dir/a.db".to_string(), 3)]);
        let found = z.locate(&Locator { backup: &[], paths: &["dir/*"] }).expect("locate");
        let got: Vec<(String, Vec<u8>)> =
            found.iter().map(|f| (f.path.clone(), z.read(f, 100).expect("read"))).collect();
        let want: Vec<(String, Vec<u8>)> = [
            ("dir/a.d", &b"zzz"[..]),
            ("dir/a.db", b"third"),
            ("dir/a.db (copy 1 of 3)", b"first"),
            ("dir/a.db (copy 2 of 3)", b"second"),
            ("dir/b.db", b"other"),
        ]
        .iter()
        .map(|(p, b)| (p.to_string(), b.to_vec()))
        .collect();
        assert_eq!(got, want);
        assert!(found.iter().all(|f| f.relative_path.starts_with("dir/a.d") || f.relative_path == "dir/b.db"));
        let stale = EvidenceFile { path: "dir/a.db (copy 1 of 2)".into(), ..EvidenceFile::plain("dir/a.db") };
        assert!(matches!(z.read(&stale, 100), Err(EvidenceError::Missing { .. })));
    }

    #[test]
    fn an_archive_of_links_only_is_refused_saying_so() {
        let (_d, p) = build(&[], Some(("top/link", "/etc/passwd")));
        let e = ZipEvidence::open(&p, AcquisitionKind::IosFs).expect_err("only a link");
        assert!(matches!(e, EvidenceError::OnlyLinks { .. }));
        assert!(e.to_string().ends_with("holds only a symbolic link entry (top/link), skipped because links are never followed: nothing to check"), "{e}");
        assert_eq!(peek_names(&p, 10).expect("names"), vec!["top/link"]);
        // an empty archive is not "only links"
        let (_d, p) = build(&[], None);
        assert!(ZipEvidence::open(&p, AcquisitionKind::IosFs).expect("empty").is_empty());
    }

    #[test]
    fn overlapping_entries_are_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("o.zip");
        let mut w = ::zip::ZipWriter::new(File::create(&p).expect("create"));
        w.start_file("a.txt", SimpleFileOptions::default()).expect("start");
        w.write_all(&[b'a'; 4096]).expect("write");
        w.shallow_copy_file("a.txt", "b.txt").expect("copy");
        w.finish().expect("finish");
        let e = ZipEvidence::open(&p, AcquisitionKind::AndroidBugreport).expect_err("refused");
        assert!(e.to_string().contains("zip-bomb"), "{e}");
    }

    #[test]
    fn garbage_is_corrupt() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("x.zip");
        std::fs::write(&p, b"PK\x03\x04 not really").expect("w");
        let e = ZipEvidence::open(&p, AcquisitionKind::AndroidQf).expect_err("corrupt");
        assert!(e.to_string().contains("x.zip"));
    }
}
