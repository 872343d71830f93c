//! iTunes/Finder/idevicebackup2 backup folders.
//!
//! Layout facts (see the shared `artifacts.md` §2.1.1 and §5):
//! * the backup root holds `Info.plist` (device facts, installed apps), `Manifest.plist`
//!   (`IsEncrypted`, `BackupKeyBag`, `ManifestKey`, `Lockdown` dict, `Applications`),
//!   `Status.plist` (`IsFullBackup`, `SnapshotState`, `Date`) and `Manifest.db`;
//! * `Manifest.db` has `Files(fileID TEXT PRIMARY KEY, domain TEXT, relativePath TEXT,
//!   flags INTEGER, file BLOB)` (`flags` 1 = file, 2 = directory, 4 = symlink; `file` an
//!   NSKeyedArchiver `MBFile`, see [`ferret_formats::mbfile`]) and `Properties(key, value)`;
//! * each file's content is at `<root>/<fileID[0..2]>/<fileID>` where
//!   `fileID = SHA-1("<domain>-<relativePath>")`;
//! * SQLite sidecars (`X-wal`, `X-journal`) are separate Manifest entries in the same domain;
//! * in an encrypted backup `Manifest.db` itself is AES-encrypted (not SQLite), and every file
//!   is encrypted with its own key.
//!
//! [`BackupEvidence`] loads the Files rows once at open into a compact in-memory index (domain
//! table + rows sorted by domain and path; about 60 bytes per row), so
//! [`Evidence::locate`] answers literal paths by binary search and globs by a scan of the
//! matching domains only. The `MBFile` blob is decoded lazily, for located files only.
//!
//! **Root files.** The backup's own files are reachable through the evidence as well, with the
//! empty domain: `BackupPath { domain: "", path: "Info.plist" }` (also `Manifest.plist`,
//! `Status.plist`, `Manifest.db`). They are returned with `domain: None` and
//! `path == relative_path == "<name>"`; [`Evidence::sqlite`] on `Manifest.db` opens the
//! (decrypted, for encrypted backups) manifest. [`Evidence::walk`] does not visit them.
//!
//! **Encryption seam.** [`BackupEvidence::open`] refuses encrypted backups with
//! [`BackupError::Encrypted`]. [`BackupEvidence::open_with_cipher`] takes a [`BackupCipher`]
//! (see [`cipher`]) and then decrypts `Manifest.db` at open and every content on access.

pub mod cipher;
pub mod crypto;
pub mod device;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ferret_core::evidence::compile_glob;
use ferret_core::safe_root::{EntryKind, SafeRoot, Skipped, read_bounded};
use ferret_core::sqlite::SqliteError;
use ferret_core::{AcquisitionKind, Evidence, EvidenceError, EvidenceFile, Locator, SqliteDb};
use ferret_formats::MbFile;
use rusqlite::Connection;

pub use cipher::{BackupCipher, CipherError, ManifestFile};
pub use device::DeviceInfo;

/// Names of the backup's own files, reachable with the empty domain.
pub const ROOT_FILES: [&str; 4] = ["Info.plist", "Manifest.db", "Manifest.plist", "Status.plist"];

/// Largest root plist read: the one plist limit, checked from the file's size before reading.
const MAX_ROOT_PLIST: u64 = ferret_formats::MAX_PLIST_SIZE as u64;
/// Largest encrypted Manifest.db decrypted in memory.
const MAX_MANIFEST_DB: u64 = 4 * 1024 * 1024 * 1024;

/// Why a backup could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// The path does not exist.
    #[error("{}: no such file or folder", path.display())]
    NotFound {
        /// Given path.
        path: PathBuf,
    },
    /// The path is not a backup folder.
    #[error("{} is not an iOS backup: {reason}", path.display())]
    NotABackup {
        /// Given path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Several backups one level down.
    #[error("{} holds {count} backups; give the path of one of them", path.display())]
    Ambiguous {
        /// Given path.
        path: PathBuf,
        /// How many.
        count: usize,
    },
    /// The backup is encrypted and no cipher was given.
    #[error("{}: this backup is encrypted: give its password (--password-env / --key-file)", path.display())]
    Encrypted {
        /// Backup root.
        path: PathBuf,
    },
    /// Manifest.db is not a SQLite database although `Manifest.plist` says the backup is not
    /// encrypted: it is damaged (or was replaced).
    #[error(
        "{}: Manifest.db is not a SQLite database, and Manifest.plist says the backup is not encrypted: the file is damaged",
        path.display()
    )]
    ManifestNotSqlite {
        /// Manifest.db path.
        path: PathBuf,
    },
    /// Manifest.db could not be opened.
    #[error("{}: cannot open Manifest.db: {source}", path.display())]
    Manifest {
        /// Manifest.db path.
        path: PathBuf,
        /// Underlying error.
        source: SqliteError,
    },
    /// A Manifest.db query failed.
    #[error("{}: cannot read the Files table of Manifest.db: {source}", path.display())]
    ManifestQuery {
        /// Manifest.db path.
        path: PathBuf,
        /// Underlying error.
        source: rusqlite::Error,
    },
    /// An I/O error on a backup path.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// Path.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// Decryption failed.
    #[error("{path}: decryption failed: {source}")]
    Decrypt {
        /// Path inside the backup.
        path: String,
        /// Cipher's error.
        source: CipherError,
    },
}

impl From<BackupError> for EvidenceError {
    fn from(e: BackupError) -> Self {
        match e {
            BackupError::Encrypted { .. } => EvidenceError::Encrypted(e.to_string()),
            BackupError::Io { path, source } => EvidenceError::Io { path: path.display().to_string(), source },
            other => EvidenceError::Corrupt { path: "Manifest.db".into(), reason: other.to_string() },
        }
    }
}

fn is_backup_dir(p: &Path) -> bool {
    p.join("Manifest.db").is_file() && (p.join("Info.plist").is_file() || p.join("Manifest.plist").is_file())
}

/// Finds the backup root: `path` itself, or its single child folder that is a backup (MVT
/// accepts the parent of one backup).
pub fn find_backup_root(path: &Path) -> Result<PathBuf, BackupError> {
    if !path.exists() {
        return Err(BackupError::NotFound { path: path.to_path_buf() });
    }
    if !path.is_dir() {
        return Err(BackupError::NotABackup { path: path.to_path_buf(), reason: "not a folder".into() });
    }
    if path.join("Manifest.db").is_file() {
        return Ok(path.to_path_buf());
    }
    let rd = std::fs::read_dir(path).map_err(|source| BackupError::Io { path: path.to_path_buf(), source })?;
    let mut found: Vec<PathBuf> =
        rd.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir() && is_backup_dir(p)).collect();
    match found.len() {
        0 => Err(BackupError::NotABackup {
            path: path.to_path_buf(),
            reason: "no Manifest.db in it or in a sub-folder".into(),
        }),
        1 => Ok(found.remove(0)),
        count => Err(BackupError::Ambiguous { path: path.to_path_buf(), count }),
    }
}

use index::{Index, IndexBuilder};

fn parse_file_id(s: &str) -> Option<[u8; 20]> {
    if s.len() != 40 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; 20];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

/// A raw row of the Files table (for the `manifest` module and `decrypt-backup`).
#[derive(Debug, Clone)]
pub struct ManifestRow {
    /// `fileID` as stored.
    pub file_id: String,
    /// `domain`.
    pub domain: String,
    /// `relativePath`.
    pub relative_path: String,
    /// `flags`.
    pub flags: i64,
    /// The `file` blob (NSKeyedArchiver `MBFile`), if any.
    pub file: Option<Vec<u8>>,
}

/// Streams every Files row of a Manifest.db, ordered by domain and relative path. Rows whose
/// text columns are NULL or not text are passed with empty strings (the caller warns).
pub fn read_manifest_rows(db: &Connection, visit: &mut dyn FnMut(ManifestRow)) -> rusqlite::Result<()> {
    let mut stmt = db
        .prepare("SELECT fileID, domain, relativePath, flags, file FROM Files ORDER BY domain, relativePath, fileID")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let text = |i: usize| -> String {
            match r.get_ref(i) {
                Ok(rusqlite::types::ValueRef::Text(t)) => String::from_utf8_lossy(t).into_owned(),
                Ok(rusqlite::types::ValueRef::Blob(t)) => String::from_utf8_lossy(t).into_owned(),
                _ => String::new(),
            }
        };
        let flags = match r.get_ref(3) {
            Ok(rusqlite::types::ValueRef::Integer(i)) => i,
            _ => 0,
        };
        let file = match r.get_ref(4) {
            Ok(rusqlite::types::ValueRef::Blob(b)) => Some(b.to_vec()),
            _ => None,
        };
        visit(ManifestRow { file_id: text(0), domain: text(1), relative_path: text(2), flags, file });
    }
    Ok(())
}

/// An opened iOS backup, implementing [`Evidence`].
pub struct BackupEvidence {
    given: PathBuf,
    root: PathBuf,
    /// The canonical backup root every read goes through.
    safe: SafeRoot,
    db: Mutex<SqliteDb>,
    index: Index,
    info: Option<plist::Value>,
    manifest: Option<plist::Value>,
    status: Option<plist::Value>,
    device: DeviceInfo,
    problems: Vec<String>,
    cipher: Option<Box<dyn BackupCipher>>,
    /// Private copies of databases with sidecars, shared while in use.
    copies: ferret_core::sqlite::CopyCache,
}

impl std::fmt::Debug for BackupEvidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupEvidence")
            .field("root", &self.root)
            .field("rows", &self.index.len())
            .field("encrypted", &self.cipher.is_some())
            .finish()
    }
}

fn read_root_plist(safe: &SafeRoot, name: &str, problems: &mut Vec<String>) -> Option<plist::Value> {
    let bytes = match safe.open(name, name).and_then(|(f, meta)| read_bounded(f, &meta, name, MAX_ROOT_PLIST)) {
        Ok(b) => b,
        Err(EvidenceError::Missing { .. }) => {
            problems.push(format!("{name} is missing"));
            return None;
        }
        Err(e) => {
            problems.push(e.to_string());
            return None;
        }
    };
    match ferret_formats::parse_plist(&bytes) {
        Ok(v) => Some(v),
        Err(e) => {
            problems.push(format!("{name}: {e}"));
            None
        }
    }
}

/// Entries at the top of the backup folder, or in its `xx/` content folders' place, that are not
/// regular files or folders (links, FIFOs, sockets, devices): never followed or read; reported
/// once at open. Content files themselves are checked when read.
fn scan_root(safe: &SafeRoot, given: &Path, problems: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(safe.path()) else { return };
    let mut names: Vec<(String, EntryKind)> = rd
        .filter_map(Result::ok)
        .filter_map(|e| {
            let kind = EntryKind::of(&e.file_type().ok()?);
            Some((e.file_name().to_string_lossy().into_owned(), kind))
        })
        .filter(|(_, k)| !matches!(k, EntryKind::File | EntryKind::Folder))
        .collect();
    names.sort();
    let mut skipped = Skipped::default();
    for (n, k) in &names {
        skipped.add(n, *k);
    }
    problems.extend(skipped.message(given));
}

impl BackupEvidence {
    /// Opens an unencrypted backup folder (or a folder holding exactly one backup).
    pub fn open(path: &Path) -> Result<Self, BackupError> {
        Self::open_inner(path, None)
    }

    /// Opens a backup that may be encrypted, decrypting through `cipher`.
    pub fn open_with_cipher(path: &Path, cipher: Box<dyn BackupCipher>) -> Result<Self, BackupError> {
        Self::open_inner(path, Some(cipher))
    }

    fn open_inner(path: &Path, cipher: Option<Box<dyn BackupCipher>>) -> Result<Self, BackupError> {
        let root = find_backup_root(path)?;
        // Canonical once: links in the user's path are fine; inside, nothing is followed.
        let safe = SafeRoot::new(&root).map_err(|e| match e {
            EvidenceError::Io { source, .. } => BackupError::Io { path: root.clone(), source },
            other => BackupError::NotABackup { path: root.clone(), reason: other.to_string() },
        })?;
        let mut problems = Vec::new();
        scan_root(&safe, &root, &mut problems);
        let info = read_root_plist(&safe, "Info.plist", &mut problems);
        let manifest = read_root_plist(&safe, "Manifest.plist", &mut problems);
        let status = read_root_plist(&safe, "Status.plist", &mut problems);
        let device = DeviceInfo::from_plists(info.as_ref(), manifest.as_ref(), status.as_ref());
        let db_path = root.join("Manifest.db");
        let db = match &cipher {
            None => {
                if device.encrypted {
                    return Err(BackupError::Encrypted { path: root });
                }
                if !manifest_is_sqlite(&safe, &db_path)? {
                    // without a readable IsEncrypted = false, "encrypted" is the likely reading
                    let says_plain = manifest
                        .as_ref()
                        .and_then(|m| m.as_dictionary()?.get("IsEncrypted")?.as_boolean())
                        .is_some_and(|e| !e);
                    if says_plain && db_path.is_file() {
                        return Err(BackupError::ManifestNotSqlite { path: db_path });
                    }
                    return Err(BackupError::Encrypted { path: root });
                }
                SqliteDb::open_in(&safe, "Manifest.db", "Manifest.db").map_err(|e| manifest_error(&db_path, e))?
            }
            Some(c) => decrypt_manifest(&safe, &db_path, c.as_ref())?,
        };
        let index = load_index(&db, &db_path, &mut problems)?;
        tracing::debug!(
            rows = index.len(),
            domains = index.domains().len(),
            bytes = index.heap_bytes(),
            "backup index loaded"
        );
        Ok(Self {
            given: path.to_path_buf(),
            root,
            safe,
            db: Mutex::new(db),
            index,
            info,
            manifest,
            status,
            device,
            problems,
            cipher,
            copies: ferret_core::sqlite::CopyCache::default(),
        })
    }

    /// The backup root folder (may be one level below the given path).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Device and backup facts for the report.
    pub fn device_info(&self) -> &DeviceInfo {
        &self.device
    }

    /// Parsed `Info.plist`, if it was readable.
    pub fn info_plist(&self) -> Option<&plist::Value> {
        self.info.as_ref()
    }

    /// Parsed `Manifest.plist`, if it was readable.
    pub fn manifest_plist(&self) -> Option<&plist::Value> {
        self.manifest.as_ref()
    }

    /// Parsed `Status.plist`, if it was readable.
    pub fn status_plist(&self) -> Option<&plist::Value> {
        self.status.as_ref()
    }

    /// Non-fatal problems found at open (missing/corrupt plists, skipped Manifest rows).
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// Number of Files rows indexed.
    pub fn row_count(&self) -> usize {
        self.index.len()
    }

    /// Whether the backup is read through a cipher.
    pub fn is_encrypted(&self) -> bool {
        self.cipher.is_some()
    }

    /// Streams every raw Files row (ordered by domain, relative path).
    pub fn for_each_manifest_row(&self, visit: &mut dyn FnMut(ManifestRow)) -> Result<(), BackupError> {
        let db = self.db.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        read_manifest_rows(&db, visit)
            .map_err(|source| BackupError::ManifestQuery { path: self.root.join("Manifest.db"), source })
    }

    /// The Manifest row (with decoded `MBFile`) of a file ID.
    pub fn manifest_file(&self, file_id: &str) -> Result<Option<ManifestFile>, BackupError> {
        let db = self.db.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let q = db.query_row(
            "SELECT fileID, domain, relativePath, flags, file FROM Files WHERE fileID = ?1",
            [file_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    r.get::<_, Option<i64>>(3)?.unwrap_or(0),
                    r.get::<_, Option<Vec<u8>>>(4)?,
                ))
            },
        );
        match q {
            Ok((file_id, domain, relative_path, flags, blob)) => {
                let info = blob.and_then(|b| match ferret_formats::parse_mbfile(&b) {
                    Ok(m) => Some(m),
                    Err(e) => {
                        tracing::debug!("MBFile of {file_id}: {e}");
                        None
                    }
                });
                Ok(Some(ManifestFile { file_id, domain, relative_path, flags, info }))
            }
            Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
            Err(source) => Err(BackupError::ManifestQuery { path: self.root.join("Manifest.db"), source }),
        }
    }

    fn evidence_file(&self, i: usize, meta: Option<&MbFile>) -> Option<EvidenceFile> {
        let domain = self.index.domain_of(i)?;
        let rel = self.index.path(i)?;
        Some(EvidenceFile {
            path: format!("{domain}/{rel}"),
            domain: Some(domain.to_string()),
            relative_path: rel,
            file_id: Some(hex::encode(self.index.id(i)?)),
            size: meta.and_then(|m| m.size),
            modified: meta.and_then(|m| m.last_modified).and_then(ferret_core::time::from_unix),
        })
    }

    fn blob_meta(&self, db: &Connection, id: &[u8; 20]) -> Option<MbFile> {
        let blob: Option<Vec<u8>> =
            db.query_row("SELECT file FROM Files WHERE fileID = ?1", [hex::encode(id)], |r| r.get(0)).ok().flatten();
        blob.and_then(|b| ferret_formats::parse_mbfile(&b).ok())
    }

    /// Index of the regular-file row `domain`/`rel`, by binary search.
    fn find(&self, domain: &str, rel: &str) -> Option<usize> {
        let i = self.index.find(domain, rel)?;
        (self.index.flags(i)? == 1).then_some(i)
    }

    fn root_file(&self, name: &str) -> Option<EvidenceFile> {
        // only a regular file is listed (a FIFO or link in its place was reported at open)
        let (_, meta) = self.safe.check(name, name).ok()?;
        let mut f = EvidenceFile::plain(name);
        f.size = Some(meta.len());
        f.modified = meta.modified().ok().and_then(|m| jiff::Timestamp::try_from(m).ok());
        Some(f)
    }

    fn is_root_file(file: &EvidenceFile) -> bool {
        file.file_id.is_none() && file.domain.is_none() && ROOT_FILES.contains(&file.relative_path.as_str())
    }

    /// Path of a located file's content relative to the backup root (`xx/<fileID>`, or the
    /// root file's name), refusing anything but 40-hex file IDs.
    fn content_rel(&self, file: &EvidenceFile) -> Result<String, EvidenceError> {
        if Self::is_root_file(file) {
            return Ok(file.relative_path.clone());
        }
        let id = file.file_id.as_deref().ok_or_else(|| EvidenceError::Corrupt {
            path: file.path.clone(),
            reason: "not a file of this backup (no file ID)".into(),
        })?;
        if parse_file_id(id).is_none() {
            return Err(EvidenceError::Corrupt {
                path: file.path.clone(),
                reason: format!("invalid file ID {id:?} (expected 40 hex characters)"),
            });
        }
        Ok(format!("{}/{id}", &id[..2]))
    }

    /// Opens a located file's content (a regular file inside the backup, see [`SafeRoot`]).
    fn open_content(&self, file: &EvidenceFile) -> Result<(std::fs::File, std::fs::Metadata), EvidenceError> {
        self.safe.open(&self.content_rel(file)?, &file.path)
    }

    fn read_content(&self, file: &EvidenceFile, limit: u64) -> Result<Vec<u8>, EvidenceError> {
        let (f, meta) = self.open_content(file)?;
        let buf = read_bounded(f, &meta, &file.path, limit)?;
        self.decrypt(file, buf)
    }

    fn decrypt(&self, file: &EvidenceFile, bytes: Vec<u8>) -> Result<Vec<u8>, EvidenceError> {
        let Some(c) = &self.cipher else { return Ok(bytes) };
        if Self::is_root_file(file) {
            return Ok(bytes);
        }
        let id = file.file_id.as_deref().unwrap_or_default();
        let meta = self.manifest_file(id).map_err(EvidenceError::from)?.ok_or_else(|| EvidenceError::Corrupt {
            path: file.path.clone(),
            reason: "no Manifest row for this file ID".into(),
        })?;
        c.file(&meta, bytes)
            .map_err(|e| EvidenceError::Corrupt { path: file.path.clone(), reason: format!("decryption failed: {e}") })
    }
}

/// Whether the file at `p` is a regular file starting with the SQLite header (never blocks on a
/// FIFO, never follows a link at the end of `p`).
fn has_sqlite_header(p: &Path) -> bool {
    let mut h = [0u8; 16];
    ferret_core::safe_root::open_nofollow(p)
        .and_then(|mut f| {
            if !f.metadata()?.is_file() {
                return Err(std::io::Error::other("not a regular file"));
            }
            f.read_exact(&mut h)
        })
        .is_ok()
        && &h == b"SQLite format 3\0"
}

/// Whether `Manifest.db` starts with the SQLite header. An unreadable file is an I/O error
/// naming the cause (permission denied...), not "not a database".
fn manifest_is_sqlite(safe: &SafeRoot, db_path: &Path) -> Result<bool, BackupError> {
    let (mut f, _) = safe.open("Manifest.db", "Manifest.db").map_err(|e| manifest_error(db_path, e))?;
    let mut h = [0u8; 16];
    match f.read_exact(&mut h) {
        Ok(()) => Ok(&h == b"SQLite format 3\0"),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(source) => Err(BackupError::Io { path: db_path.to_path_buf(), source }),
    }
}

/// Maps an error reading `Manifest.db` to what happened: an I/O error (permission denied...)
/// stays one, a refused entry says so, an SQLite error is a Manifest error.
fn manifest_error(db_path: &Path, e: EvidenceError) -> BackupError {
    match e {
        EvidenceError::Io { source, .. } => BackupError::Io { path: db_path.to_path_buf(), source },
        EvidenceError::Sqlite { source, .. } => BackupError::Manifest { path: db_path.to_path_buf(), source },
        other => BackupError::NotABackup { path: db_path.to_path_buf(), reason: other.to_string() },
    }
}

fn decrypt_manifest(safe: &SafeRoot, db_path: &Path, cipher: &dyn BackupCipher) -> Result<SqliteDb, BackupError> {
    let (f, meta) = safe.open("Manifest.db", "Manifest.db").map_err(|e| manifest_error(db_path, e))?;
    if meta.len() > MAX_MANIFEST_DB {
        return Err(BackupError::NotABackup {
            path: db_path.to_path_buf(),
            reason: "Manifest.db is implausibly large".into(),
        });
    }
    let bytes = read_bounded(f, &meta, "Manifest.db", MAX_MANIFEST_DB).map_err(|e| manifest_error(db_path, e))?;
    let plain = if bytes.starts_with(b"SQLite format 3\0") {
        bytes // iOS < 10.2: Manifest.db is not encrypted
    } else {
        cipher.manifest_db(&bytes).map_err(|source| BackupError::Decrypt { path: "Manifest.db".into(), source })?
    };
    // Kept in memory (or in an unlinked private file when very large): never left on disk.
    SqliteDb::open_plaintext(plain, Vec::new(), "Manifest.db")
        .map_err(|source| BackupError::Manifest { path: db_path.to_path_buf(), source })
}

fn load_index(db: &Connection, db_path: &Path, problems: &mut Vec<String>) -> Result<Index, BackupError> {
    let qerr = |source: rusqlite::Error| match (
        ferret_core::sqlite::is_interrupt(&source),
        ferret_core::sqlite::take_budget_exceeded(),
    ) {
        (true, Some(b)) => {
            BackupError::Manifest { path: db_path.to_path_buf(), source: SqliteError::Budget { steps: b.steps } }
        }
        _ => BackupError::ManifestQuery { path: db_path.to_path_buf(), source },
    };
    let mut stmt = db
        .prepare("SELECT fileID, domain, relativePath, flags FROM Files ORDER BY domain, relativePath")
        .map_err(qerr)?;
    let mut rows = stmt.query([]).map_err(qerr)?;
    let mut builder = IndexBuilder::default();
    let mut bad_ids = 0usize;
    let mut bad_rows = 0usize;
    use rusqlite::types::ValueRef;
    while let Some(r) = rows.next().map_err(qerr)? {
        let (Ok(ValueRef::Text(id)), Ok(ValueRef::Text(domain)), Ok(ValueRef::Text(rel))) =
            (r.get_ref(0), r.get_ref(1), r.get_ref(2))
        else {
            bad_rows += 1;
            continue;
        };
        let (Ok(domain), Ok(rel)) = (std::str::from_utf8(domain), std::str::from_utf8(rel)) else {
            bad_rows += 1;
            continue;
        };
        let Some(id) = std::str::from_utf8(id).ok().and_then(parse_file_id) else {
            bad_ids += 1;
            if bad_ids <= 5 {
                problems.push(format!(
                    "Manifest.db row {domain}/{rel}: invalid fileID {:?}; row ignored",
                    String::from_utf8_lossy(id)
                ));
            }
            continue;
        };
        let flags = match r.get_ref(3) {
            Ok(ValueRef::Integer(f)) => u8::try_from(f).unwrap_or(0),
            _ => 0,
        };
        builder.push(domain, rel, id, flags);
    }
    if bad_ids > 5 {
        problems.push(format!("Manifest.db: {bad_ids} rows with an invalid fileID ignored in total"));
    }
    if bad_rows > 0 {
        problems.push(format!("Manifest.db: {bad_rows} rows with NULL or non-text fileID/domain/relativePath ignored"));
    }
    // rows sorted by (domain, path) in Rust byte order, whatever order the query returned
    Ok(builder.finish())
}

fn has_glob_meta(s: &str) -> bool {
    s.bytes().any(|b| matches!(b, b'*' | b'?' | b'[' | b'{' | b'\\'))
}

impl Evidence for BackupEvidence {
    fn kind(&self) -> AcquisitionKind {
        AcquisitionKind::IosBackup
    }

    fn source(&self) -> &Path {
        &self.given
    }

    fn locate(&self, locator: &Locator) -> Result<Vec<EvidenceFile>, EvidenceError> {
        let mut hits: Vec<usize> = Vec::new();
        let mut roots: Vec<EvidenceFile> = Vec::new();
        for bp in locator.backup {
            let path_glob = compile_glob(bp.path)?;
            if bp.domain.is_empty() {
                for name in ROOT_FILES {
                    if path_glob.is_match(name) {
                        roots.extend(self.root_file(name));
                    }
                }
                continue;
            }
            let domain_glob = compile_glob(bp.domain)?;
            let literal = !has_glob_meta(bp.path);
            for (d, name) in self.index.domains().iter().enumerate() {
                if !domain_glob.is_match(name) {
                    continue;
                }
                if literal {
                    hits.extend(self.find(name, bp.path));
                    continue;
                }
                self.index.walk(self.index.range(d), &mut |i, rel| {
                    if self.index.flags(i) == Some(1) && path_glob.is_match(rel) {
                        hits.push(i);
                    }
                });
            }
        }
        hits.sort_unstable();
        hits.dedup();
        let mut out = roots;
        if !hits.is_empty() {
            let db = self.db.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            for i in hits {
                let meta = self.index.id(i).and_then(|id| self.blob_meta(&db, id));
                out.extend(self.evidence_file(i, meta.as_ref()));
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out.dedup_by(|a, b| a.path == b.path);
        Ok(out)
    }

    fn open(&self, file: &EvidenceFile) -> Result<Box<dyn Read + Send + '_>, EvidenceError> {
        if self.cipher.is_some() && !Self::is_root_file(file) {
            let bytes = self.read_content(file, u64::MAX)?;
            return Ok(Box::new(std::io::Cursor::new(bytes)));
        }
        let (f, _) = self.open_content(file)?;
        Ok(Box::new(std::io::BufReader::new(f)))
    }

    fn read(&self, file: &EvidenceFile, limit: u64) -> Result<Vec<u8>, EvidenceError> {
        self.read_content(file, limit)
    }

    fn custody_files(&self) -> Vec<EvidenceFile> {
        ROOT_FILES.iter().filter_map(|name| self.root_file(name)).collect()
    }

    fn disk_path(&self, file: &EvidenceFile) -> Option<std::path::PathBuf> {
        // only a regular file reached without links (what was actually readable) is hashed
        let rel = self.content_rel(file).ok()?;
        self.safe.check(&rel, &file.path).ok().map(|(p, _)| p)
    }

    fn sqlite(&self, file: &EvidenceFile) -> Result<SqliteDb, EvidenceError> {
        let sq = |source| EvidenceError::Sqlite { path: file.path.clone(), source };
        if Self::is_root_file(file) {
            if let (true, Some(c)) = (file.relative_path == "Manifest.db", &self.cipher) {
                let p = self.root.join("Manifest.db");
                return decrypt_manifest(&self.safe, &p, c.as_ref()).map_err(EvidenceError::from);
            }
            return SqliteDb::open_in(&self.safe, &file.relative_path, &file.path);
        }
        // Sidecars are their own Manifest entries: `<relativePath>-wal` / `-journal`.
        let mut sidecars: Vec<(&'static str, EvidenceFile)> = Vec::new();
        if let Some(domain) = file.domain.as_deref() {
            for suffix in ferret_core::sqlite::SIDECARS {
                let rel = format!("{}{suffix}", file.relative_path);
                if let Some(f) = self.find(domain, &rel).and_then(|i| self.evidence_file(i, None)) {
                    sidecars.push((suffix, f));
                }
            }
        }
        // One artifact-size budget for databases read whole (decryption) or copied to scratch.
        let max_db = ferret_core::budget::artifact_limit();
        if sidecars.is_empty() && self.cipher.is_none() {
            let (p, _) = self.safe.check(&self.content_rel(file)?, &file.path)?;
            return SqliteDb::open_immutable(&p).map(|d| d.labelled(&file.path)).map_err(sq);
        }
        if self.cipher.is_some() {
            // Decrypted: kept in memory where SQLite allows, never left on disk (open_plaintext).
            let mut side_bytes: Vec<(&'static str, Vec<u8>)> = Vec::new();
            for (suffix, f) in &sidecars {
                let b = self.read_content(f, max_db)?;
                if !b.is_empty() {
                    side_bytes.push((suffix, b));
                }
            }
            let main = self.read_content(file, max_db)?;
            return SqliteDb::open_plaintext(main, side_bytes, &file.path).map_err(sq);
        }
        // Plain backup with sidecars: stream the database and its sidecars into the private copy
        // (never whole in memory), each checked against the artifact budget from its size first;
        // modules reading the same database at once share the copy.
        let budget = |f: &EvidenceFile, size: u64| {
            ferret_core::budget::check_artifact(size).map_err(|e| EvidenceError::budget(&f.path, &e))
        };
        let mut opened: Vec<(&'static str, std::fs::File)> = Vec::new();
        for (suffix, f) in &sidecars {
            let (fd, meta) = self.open_content(f)?;
            budget(f, meta.len())?;
            if meta.len() > 0 {
                opened.push((suffix, fd));
            }
        }
        let (main, meta) = self.open_content(file)?;
        if opened.is_empty() {
            let (p, _) = self.safe.check(&self.content_rel(file)?, &file.path)?;
            return SqliteDb::open_immutable(&p).map(|d| d.labelled(&file.path)).map_err(sq);
        }
        budget(file, meta.len())?;
        let copy = self
            .copies
            .get_or_create(&file.path, || {
                let mut readers: Vec<(&str, &mut dyn Read)> =
                    opened.iter_mut().map(|(s, f)| (*s, f as &mut dyn Read)).collect();
                ferret_core::sqlite::PrivateCopy::create(&mut std::io::BufReader::new(main), &mut readers)
            })
            .map_err(sq)?;
        SqliteDb::open_private(copy).map(|d| d.labelled(&file.path)).map_err(sq)
    }

    fn walk(&self, visit: &mut dyn FnMut(&EvidenceFile)) -> Result<(), EvidenceError> {
        let mut files: Vec<EvidenceFile> = Vec::new();
        {
            let db = self.db.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let mut metas: std::collections::HashMap<[u8; 20], (Option<u64>, Option<i64>)> =
                std::collections::HashMap::new();
            let q = (|| -> rusqlite::Result<()> {
                let mut stmt = db.prepare("SELECT fileID, file FROM Files WHERE flags = 1")?;
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    let (Ok(rusqlite::types::ValueRef::Text(id)), Ok(rusqlite::types::ValueRef::Blob(blob))) =
                        (r.get_ref(0), r.get_ref(1))
                    else {
                        continue;
                    };
                    let Some(id) = std::str::from_utf8(id).ok().and_then(parse_file_id) else { continue };
                    if let Ok(m) = ferret_formats::parse_mbfile(blob) {
                        metas.insert(id, (m.size, m.last_modified));
                    }
                }
                Ok(())
            })();
            if let Err(e) = q {
                return Err(EvidenceError::Corrupt { path: "Manifest.db".into(), reason: e.to_string() });
            }
            for i in 0..self.index.len() {
                let (Some(1), Some(id)) = (self.index.flags(i), self.index.id(i)) else { continue };
                let (size, mtime) = metas.get(id).copied().unwrap_or((None, None));
                if let Some(mut f) = self.evidence_file(i, None) {
                    f.size = size;
                    f.modified = mtime.and_then(ferret_core::time::from_unix);
                    files.push(f);
                }
            }
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        for f in &files {
            visit(f);
        }
        Ok(())
    }
}

mod index;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
