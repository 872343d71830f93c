//! The one way ferret opens an evidence database.
//!
//! Facts measured with SQLite 3.54 (see `docs/crates.md` §1 in the shared docs):
//! * `immutable=1` never writes, but silently ignores a `-wal` file's content;
//! * a plain read-only open rewrites `-shm` or creates `-wal`/`-shm` beside the file.
//!
//! So: with no `-wal`/`-journal` sidecar the database is opened in place with `immutable=1`;
//! otherwise the database and its sidecars are copied into a private (0700) temporary folder and
//! the copy is opened, so WAL content is read and the evidence is untouched. Every connection is
//! hardened against hostile schemas: defensive mode, untrusted schema, `query_only`, cell-size
//! checks, and bounded lengths.
//!
//! Budgets (a crafted database must not hang or exhaust the run):
//! * only regular files reached without links are opened ([`SqliteDb::open_in`] with a
//!   [`SafeRoot`]), and SQLite is given canonical paths;
//! * every connection has a **step budget** ([`step_budget`], counted by a progress handler): a
//!   query that goes beyond is interrupted, and the module fails with
//!   [`crate::ModuleError::SqliteBudget`];
//! * private copies reserve their bytes from the process's scratch budget ([`crate::budget`]) and
//!   are shared by the connections that read the same database at once ([`CopyCache`]);
//! * decrypted content ([`SqliteDb::open_plaintext`]) stays in memory, its WAL applied by
//!   [`crate::wal`], or in a private file unlinked as soon as it is open.

use std::io::{Read, Write};
use std::ops::Deref;
use std::path::Path;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};

use crate::evidence::EvidenceError;
use crate::safe_root::{EntryKind, SafeRoot};

/// Sidecar suffixes that change what a reader must see.
pub const SIDECARS: [&str; 2] = ["-wal", "-journal"];

/// Errors opening an evidence database.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SqliteError {
    /// SQLite refused the file (corrupt, encrypted, not a database).
    #[error("not a readable SQLite database: {0}")]
    Open(#[source] rusqlite::Error),
    /// Copying the database to a private folder failed.
    #[error("cannot copy the database to a private folder: {0}")]
    Copy(#[source] std::io::Error),
    /// Copying the database would exceed the artifact-size or scratch-space budget.
    #[error("{0}")]
    Resource(#[from] crate::budget::BudgetError),
    /// A query used more than the connection's step budget (see [`step_budget`]).
    #[error(
        "SQLite work budget exceeded (more than {steps} steps): the database may be crafted, e.g. a recursive view"
    )]
    Budget {
        /// The budget, in SQLite virtual-machine steps.
        steps: u64,
    },
}

/// Virtual-machine instructions between two calls of the progress handler.
const STEP_GRANULE: u64 = 1000;
/// Steps every connection may use, however small its database.
pub const STEP_FLOOR: u64 = 100_000_000;
/// Steps per byte of database (main file plus WAL) a connection may use above the floor.
///
/// Legitimate work is roughly linear in the data: a module reads each table once or looks rows
/// up by index. Measured with `ferret -v ios check-backup` (each connection logs its steps when
/// closed) on a generated 1M-SMS backup (`ferret gen --sms 1000000`: Manifest.db 217 MB, sms.db
/// 388 MB + WAL, 11 s): the largest consumption per byte was 0.44 (`DataUsage.sqlite`, 2.3 M
/// steps for 5.3 MB), then 0.39 (`ChatStorage.sqlite`, 25.6 M steps for 65 MB, the largest
/// absolute), `sms.db` 0.048, `Manifest.db` 0.025; databases under 1 MB used at most 255 k
/// steps. The 100k-SMS backup gives the same ratios. A crafted view on a small database is not
/// linear at all: the recipe's recursive view never ends. 10 steps per byte is 23 times the
/// largest measured ratio; the floor of 10^8 steps is 400 times the largest small database's
/// use. The recursive view runs about 3 × 10^7 steps per second (release build): stopped after
/// about 3 s on a small database, after about 5 minutes on a crafted 1 GB one.
pub const STEPS_PER_BYTE: u64 = 10;

/// The step budget of a connection to a database of `bytes` bytes (main file plus sidecars):
/// `max(STEP_FLOOR, STEPS_PER_BYTE × bytes)`. `FERRET_SQLITE_STEPS_PER_BYTE` overrides the
/// factor (tests use it to hit the budget on small databases).
pub fn step_budget(bytes: u64) -> u64 {
    static FACTOR: std::sync::OnceLock<(u64, u64)> = std::sync::OnceLock::new();
    let (per_byte, floor) = *FACTOR.get_or_init(|| {
        let env = |k: &str| std::env::var(k).ok().and_then(|v| v.trim().parse::<u64>().ok());
        (
            env("FERRET_SQLITE_STEPS_PER_BYTE").unwrap_or(STEPS_PER_BYTE),
            env("FERRET_SQLITE_STEP_FLOOR").unwrap_or(STEP_FLOOR),
        )
    });
    bytes.saturating_mul(per_byte).max(floor)
}

/// A connection's budget: shared by its progress handler and the [`SqliteDb`] (for the
/// closing log line and the error message).
#[derive(Debug)]
struct Budget {
    /// Budget in steps.
    limit: std::sync::atomic::AtomicU64,
    /// Granules used so far.
    used: std::sync::atomic::AtomicU64,
    /// Database size the budget was computed from.
    bytes: u64,
    /// Logical path, for messages.
    label: std::sync::Mutex<String>,
}

/// A connection ran out of its step budget (see [`take_budget_exceeded`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetExceeded {
    /// Logical path of the database.
    pub path: String,
    /// The budget, in steps.
    pub steps: u64,
}

thread_local! {
    static EXCEEDED: std::cell::RefCell<Option<BudgetExceeded>> = const { std::cell::RefCell::new(None) };
}

/// Whether a connection used on this thread ran out of its step budget since the last call
/// (the progress handler runs on the thread that steps the query); clears the flag. The module
/// runner and [`crate::ModuleError::query`] use it to turn SQLite's "interrupted" into a clear
/// budget error.
pub fn take_budget_exceeded() -> Option<BudgetExceeded> {
    EXCEEDED.with(|e| e.borrow_mut().take())
}

/// Whether `e` is SQLite's "interrupted", the error a query stopped by the budget returns.
pub fn is_interrupt(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::OperationInterrupted)
}

/// A hardened, read-only connection to an evidence database. Derefs to
/// [`rusqlite::Connection`]. When the database had to be copied, the private copy is removed
/// when this value is dropped.
pub struct SqliteDb {
    // Field order matters: the connection is closed before the folder is removed.
    conn: Connection,
    budget: std::sync::Arc<Budget>,
    _copy: Option<std::sync::Arc<PrivateCopy>>,
}

/// A private copy of a database and its sidecars in a private (0700) scratch folder, its bytes
/// reserved from the scratch budget ([`crate::budget`]). Shared by every connection opened on
/// it ([`SqliteDb::open_private`]); the folder is removed, and the reservation released, when
/// the last one is dropped.
#[derive(Debug)]
pub struct PrivateCopy {
    // Field order matters: the folder is removed before the reservation is released.
    dir: tempfile::TempDir,
    db: std::path::PathBuf,
    bytes: u64,
    _reservation: crate::budget::Reservation,
}

impl PrivateCopy {
    /// Copies a database and its sidecars (`("-wal", reader)`, ...) into a new private folder.
    /// Every byte is reserved from the scratch budget first; each file is limited to the
    /// artifact-size budget while it streams.
    pub fn create(
        db: &mut dyn Read,
        sidecars: &mut [(&str, &mut dyn Read)],
    ) -> Result<std::sync::Arc<Self>, SqliteError> {
        let mut builder = tempfile::Builder::new();
        builder.prefix("ferret-db-");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // private: the copy may be decrypted content (tempfile's default is 0777 & umask)
            builder.permissions(std::fs::Permissions::from_mode(0o700));
        }
        let dir = builder.tempdir().map_err(SqliteError::Copy)?;
        let target = dir.path().join("evidence.db");
        let (mut bytes, mut reservation) = copy_to(db, &target)?;
        let mut side_bytes = 0u64;
        for (suffix, reader) in sidecars.iter_mut() {
            let mut name = target.as_os_str().to_owned();
            name.push(*suffix);
            let (n, r) = copy_to(*reader, Path::new(&name))?;
            reservation.absorb(r);
            side_bytes = side_bytes.saturating_add(n);
        }
        // Replaying a WAL (or rolling back a journal) on the copy writes at most its size again.
        reservation.grow(side_bytes)?;
        bytes = bytes.saturating_add(side_bytes);
        Ok(std::sync::Arc::new(Self { dir, db: target, bytes, _reservation: reservation }))
    }

    /// The private folder.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Bytes copied (database plus sidecars).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

/// Largest decrypted database (with its sidecars) kept in memory by
/// [`SqliteDb::open_plaintext`]: bigger ones go to a private file unlinked once opened. A
/// generated 100k-SMS backup's `sms.db` is 42 MB, a 1M-SMS one 390 MB; the decrypted bytes are in
/// memory already when this is called (the backup cipher decrypts whole files).
pub const MAX_IN_MEMORY: u64 = 512 << 20;

/// Private copies shared by the connections that open the same database of an archive at the
/// same time (e.g. the `sms` and `sms_attachments` modules both reading `sms.db`), so it is
/// copied (and inflated) once. A copy lives as long as a connection uses it.
#[derive(Debug, Default)]
pub struct CopyCache {
    #[allow(clippy::type_complexity)]
    slots: std::sync::Mutex<
        std::collections::HashMap<String, std::sync::Arc<std::sync::Mutex<std::sync::Weak<PrivateCopy>>>>,
    >,
}

impl CopyCache {
    /// The live copy of `key`, or a new one made by `create` (one at a time per key).
    pub fn get_or_create(
        &self,
        key: &str,
        create: impl FnOnce() -> Result<std::sync::Arc<PrivateCopy>, SqliteError>,
    ) -> Result<std::sync::Arc<PrivateCopy>, SqliteError> {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            slots.retain(|_, s| Arc::strong_count(s) > 1 || s.lock().map(|w| w.strong_count() > 0).unwrap_or(false));
            std::sync::Arc::clone(slots.entry(key.to_string()).or_default())
        };
        let mut weak = slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(live) = weak.upgrade() {
            return Ok(live);
        }
        let copy = create()?;
        *weak = std::sync::Arc::downgrade(&copy);
        Ok(copy)
    }
}

/// A database member of an archive (`T` names a member: an index or an entry) and the
/// non-empty `-wal`/`-journal` members beside it: what a zip or tar evidence's `sqlite` opens.
#[derive(Debug)]
pub struct ArchiveDb<T> {
    main: T,
    /// `(suffix, member, path shown in messages)` of each sidecar.
    sidecars: Vec<(&'static str, T, String)>,
}

impl<T> ArchiveDb<T> {
    /// Finds `file`'s members with `find(name, copy)` (the member of that name and copy
    /// number, with its declared size), checking each declared size against the artifact budget
    /// before a byte is inflated. Every copy of a duplicated name is its own database, with the
    /// sidecar copy of the same number, if any.
    pub fn find(
        file: &crate::EvidenceFile,
        find: impl Fn(&str, Option<(usize, usize)>) -> Option<(T, u64)>,
    ) -> Result<Self, EvidenceError> {
        let copy = crate::evidence::copy_of(file);
        let (main, size) =
            find(&file.relative_path, copy).ok_or_else(|| EvidenceError::Missing { path: file.path.clone() })?;
        crate::budget::check_artifact(size).map_err(|e| EvidenceError::budget(&file.path, &e))?;
        let mut sidecars = Vec::new();
        for suffix in SIDECARS {
            let name = format!("{}{suffix}", file.relative_path);
            if let Some((member, size)) = find(&name, copy).filter(|(_, size)| *size > 0) {
                let shown = match copy {
                    Some((k, n)) => crate::evidence::copy_path(&name, k, n),
                    None => format!("{}{suffix}", file.path),
                };
                crate::budget::check_artifact(size).map_err(|e| EvidenceError::budget(&shown, &e))?;
                sidecars.push((suffix, member, shown));
            }
        }
        Ok(Self { main, sidecars })
    }

    /// The database member.
    pub fn main(&self) -> &T {
        &self.main
    }

    /// Whether a `-wal` or `-journal` member goes with the database.
    pub fn has_sidecars(&self) -> bool {
        !self.sidecars.is_empty()
    }

    /// Opens the members (streamed by `open(member, shown path)`) as one private copy, made
    /// once per path and shared by the connections using it at the same time. An error opening
    /// a member is returned as it is.
    pub fn open<'a>(
        &self,
        copies: &CopyCache,
        file: &crate::EvidenceFile,
        open: impl Fn(&T, &str) -> Result<Box<dyn Read + Send + 'a>, EvidenceError>,
    ) -> Result<SqliteDb, EvidenceError> {
        let sq = |source| EvidenceError::Sqlite { path: file.path.clone(), source };
        let mut open_err = None;
        let made = copies.get_or_create(&file.path, || {
            let opened = open(&self.main, &file.path).and_then(|db| {
                let mut sides: Vec<(&'static str, Box<dyn Read + Send + 'a>)> = Vec::new();
                for (suffix, member, shown) in &self.sidecars {
                    sides.push((suffix, open(member, shown)?));
                }
                Ok((db, sides))
            });
            let (mut db, mut sides) = opened.map_err(|e| {
                open_err = Some(e);
                SqliteError::Copy(std::io::Error::other("cannot open the archive member"))
            })?;
            let mut readers: Vec<(&str, &mut dyn Read)> =
                sides.iter_mut().map(|(s, r)| (*s, r as &mut dyn Read)).collect();
            PrivateCopy::create(&mut db, &mut readers)
        });
        let copy = match made {
            Ok(c) => c,
            Err(e) => return Err(open_err.take().unwrap_or_else(|| sq(e))),
        };
        SqliteDb::open_private(copy).map(|d| d.labelled(&file.path)).map_err(sq)
    }
}

use std::sync::Arc;

impl Drop for SqliteDb {
    fn drop(&mut self) {
        let b = &self.budget;
        let steps = b.used.load(std::sync::atomic::Ordering::Relaxed).saturating_mul(STEP_GRANULE);
        let label = b.label.lock().map(|l| l.clone()).unwrap_or_default();
        tracing::debug!(
            "sqlite budget: {label}: {steps} steps for {} bytes ({:.3} per byte, budget {})",
            b.bytes,
            steps as f64 / b.bytes.max(1) as f64,
            b.limit.load(std::sync::atomic::Ordering::Relaxed)
        );
    }
}

impl std::fmt::Debug for SqliteDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteDb").field("copied", &self._copy.is_some()).finish_non_exhaustive()
    }
}

impl Deref for SqliteDb {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

/// The `file:` URI of a path: every byte outside printable ASCII, and `%`, `?`, `#`, is
/// percent-encoded, so spaces, non-ASCII and non-UTF-8 names reach SQLite unchanged.
fn uri_for(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    let mut out = String::with_capacity(bytes.len() + 24);
    out.push_str("file:");
    for &b in bytes {
        match b {
            b'%' | b'?' | b'#' => out.push_str(&format!("%{b:02X}")),
            0x21..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out.push_str("?immutable=1");
    out
}

/// Hardens a connection to an evidence database and gives it a step budget proportional to
/// `bytes` ([`step_budget`]): a query that goes beyond is interrupted.
fn harden(conn: &mut Connection, bytes: u64, label: &str) -> Result<std::sync::Arc<Budget>, rusqlite::Error> {
    let budget = std::sync::Arc::new(Budget {
        limit: std::sync::atomic::AtomicU64::new(step_budget(bytes)),
        used: std::sync::atomic::AtomicU64::new(0),
        bytes,
        label: std::sync::Mutex::new(label.to_string()),
    });
    let b = std::sync::Arc::clone(&budget);
    conn.progress_handler(
        STEP_GRANULE as std::ffi::c_int,
        Some(move || {
            let used = b.used.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            let limit = b.limit.load(std::sync::atomic::Ordering::Relaxed);
            if used.saturating_mul(STEP_GRANULE) <= limit {
                return false;
            }
            let path = b.label.lock().map(|l| l.clone()).unwrap_or_default();
            EXCEEDED.with(|e| *e.borrow_mut() = Some(BudgetExceeded { path, steps: limit }));
            true
        }),
    )?;
    harden_settings(conn)?;
    Ok(budget)
}

fn harden_settings(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_VIEW, true)?;
    conn.set_limit(rusqlite::limits::Limit::SQLITE_LIMIT_LENGTH, 256 * 1024 * 1024)?;
    conn.set_limit(rusqlite::limits::Limit::SQLITE_LIMIT_ATTACHED, 0)?;
    conn.pragma_update(None, "cell_size_check", true)?;
    conn.pragma_update(None, "query_only", true)?;
    Ok(())
}

impl SqliteDb {
    /// Opens a database file on disk, looking for `-wal`/`-journal` sidecars beside it. The
    /// folder holding it is the acquisition root (canonicalised; see [`SafeRoot`]).
    pub fn open_evidence(path: &Path) -> Result<Self, EvidenceError> {
        let shown = path.display().to_string();
        let (Some(parent), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
            return Err(EvidenceError::Corrupt { path: shown, reason: "not a file path".into() });
        };
        let parent = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
        let root = SafeRoot::new(parent).map_err(|e| match e {
            EvidenceError::Io { source, .. } => EvidenceError::Io { path: shown.clone(), source },
            other => other,
        })?;
        Self::open_in(&root, name, &shown)
    }

    /// Opens the database at `relative` in an on-disk acquisition: only a regular file reached
    /// without following links is opened ([`SafeRoot`]), and so are its `-wal`/`-journal`
    /// sidecars (absent or empty: ignored; anything but a regular file: refused). Without a
    /// sidecar the file is opened in place with `immutable=1` (SQLite gets its canonical path);
    /// otherwise it is copied with its sidecars to a private folder. `shown` names it in errors.
    pub fn open_in(root: &SafeRoot, relative: &str, shown: &str) -> Result<Self, EvidenceError> {
        let sq = |source| EvidenceError::Sqlite { path: shown.to_string(), source };
        let (db_path, _) = root.check(relative, shown)?;
        let mut sidecars: Vec<(&'static str, std::fs::File)> = Vec::new();
        for suffix in SIDECARS {
            let rel = format!("{relative}{suffix}");
            let shown_side = format!("{shown}{suffix}");
            match root.kind(&rel, &shown_side)? {
                None => {}
                Some(EntryKind::File) => {
                    let (f, meta) = root.open(&rel, &shown_side)?;
                    if meta.len() > 0 {
                        crate::budget::check_artifact(meta.len())
                            .map_err(|e| EvidenceError::budget(&shown_side, &e))?;
                        sidecars.push((suffix, f));
                    }
                }
                Some(other) => {
                    return Err(EvidenceError::NotRegular {
                        path: shown_side,
                        entry: rel,
                        what: other.describe(),
                        expected: "a regular file",
                    });
                }
            }
        }
        if sidecars.is_empty() {
            return Self::open_immutable(&db_path).map(|d| d.labelled(shown)).map_err(sq);
        }
        let (db, meta) = root.open(relative, shown)?;
        crate::budget::check_artifact(meta.len()).map_err(|e| EvidenceError::budget(shown, &e))?;
        let mut readers: Vec<(&str, &mut dyn Read)> =
            sidecars.iter_mut().map(|(s, f)| (*s, f as &mut dyn Read)).collect();
        Self::open_copy(&mut std::io::BufReader::new(db), &mut readers).map(|d| d.labelled(shown)).map_err(sq)
    }

    /// Opens a database in place with `immutable=1` (no sidecar may exist). `path` must be a
    /// canonical path to a regular file (checked by the caller, e.g. with [`SafeRoot::check`]):
    /// SQLite refuses links anywhere in it and would block on a FIFO.
    pub fn open_immutable(path: &Path) -> Result<Self, SqliteError> {
        if header_only(path) {
            return Self::open_memory(Vec::new(), &path.display().to_string());
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let mut conn = Connection::open_with_flags(uri_for(path), flags).map_err(SqliteError::Open)?;
        let budget = harden(&mut conn, bytes, &path.display().to_string()).map_err(SqliteError::Open)?;
        check_readable(&conn)?;
        Ok(Self { conn, budget, _copy: None })
    }

    /// Copies a database and its sidecars (`("-wal", reader)`, ...) into a private temporary
    /// folder ([`PrivateCopy`]) and opens the copy; the copy is removed on drop. Used for
    /// sidecars, archives and decrypted content.
    pub fn open_copy(db: &mut dyn Read, sidecars: &mut [(&str, &mut dyn Read)]) -> Result<Self, SqliteError> {
        Self::open_private(PrivateCopy::create(db, sidecars)?)
    }

    /// Opens a connection on a private copy (several connections may share one copy).
    pub fn open_private(copy: std::sync::Arc<PrivateCopy>) -> Result<Self, SqliteError> {
        let wal = copy.db.with_file_name(format!(
            "{}-wal",
            copy.db.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
        ));
        if header_only(&copy.db) && std::fs::metadata(&wal).map_or(true, |m| m.len() == 0) {
            let mut me = Self::open_memory(Vec::new(), "private copy")?;
            me._copy = Some(copy);
            return Ok(me);
        }
        // Read-write on the private copy so a WAL is replayed and a hot journal rolled back.
        let flags =
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let mut conn = Connection::open_with_flags(&copy.db, flags).map_err(SqliteError::Open)?;
        let budget = harden(&mut conn, copy.bytes, "private copy").map_err(SqliteError::Open)?;
        check_readable(&conn)?;
        Ok(Self { conn, budget, _copy: Some(copy) })
    }

    /// Opens plaintext database bytes (decrypted content of an encrypted backup) keeping them
    /// off the disk where SQLite allows: when the database, with its sidecars, is at most
    /// [`MAX_IN_MEMORY`] bytes and has no hot `-journal`, its `-wal` is applied in memory
    /// ([`crate::wal::apply`]) and the result deserialised into an in-memory connection: nothing
    /// is written. Otherwise it goes to a private file that is unlinked as soon as SQLite has it
    /// open (see [`SqliteDb::open_unlinked`]): a `kill -9` leaves at most that brief window. The
    /// connection is hardened and budgeted like every other.
    pub fn open_plaintext(db: Vec<u8>, sidecars: Vec<(&str, Vec<u8>)>, label: &str) -> Result<Self, SqliteError> {
        Self::open_plaintext_with(db, sidecars, label, MAX_IN_MEMORY)
    }

    fn open_plaintext_with(
        mut db: Vec<u8>,
        sidecars: Vec<(&str, Vec<u8>)>,
        label: &str,
        in_memory: u64,
    ) -> Result<Self, SqliteError> {
        let total = sidecars.iter().fold(db.len() as u64, |n, (_, b)| n.saturating_add(b.len() as u64));
        let hot_journal = sidecars.iter().any(|(s, b)| *s == "-journal" && !b.is_empty());
        if total <= in_memory && !hot_journal {
            let applied = match sidecars.iter().find(|(s, _)| *s == "-wal") {
                Some((_, wal)) => crate::wal::apply(&mut db, wal, in_memory),
                None => Ok(0),
            };
            match applied {
                Ok(_) => return Self::open_memory(db, label),
                // SQLite decides what such a log means, on the private file below
                Err(e) => tracing::debug!("{label}: WAL not applied in memory: {e}"),
            }
        }
        let mut slices: Vec<(&str, &[u8])> = sidecars.iter().map(|(s, b)| (*s, b.as_slice())).collect();
        let mut readers: Vec<(&str, &mut dyn Read)> =
            slices.iter_mut().map(|(s, b)| (*s, b as &mut dyn Read)).collect();
        let copy = PrivateCopy::create(&mut db.as_slice(), &mut readers)?;
        drop(readers);
        drop(sidecars);
        drop(db);
        Self::open_unlinked(copy, label)
    }

    /// Deserialises a database image into a read-only in-memory connection.
    fn open_memory(mut db: Vec<u8>, label: &str) -> Result<Self, SqliteError> {
        // An in-memory database cannot be in WAL mode: mark the image as a rollback-journal
        // database (header bytes 18-19, write/read format versions 2 → 1). The log, if any, has
        // been applied already.
        if db.get(18..20) == Some(&[2, 2]) {
            db[18] = 1;
            db[19] = 1;
        }
        let bytes = db.len() as u64;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_in_memory_with_flags(flags).map_err(SqliteError::Open)?;
        if !db.is_empty() {
            let n = db.len();
            conn.deserialize_read_exact(rusqlite::MAIN_DB, db.as_slice(), n, true).map_err(SqliteError::Open)?;
        }
        drop(db);
        let budget = harden(&mut conn, bytes, label).map_err(SqliteError::Open)?;
        check_readable(&conn)?;
        Ok(Self { conn, budget, _copy: None })
    }

    /// Opens a private copy standing alone (its WAL folded in, a hot journal rolled back: the
    /// copy is switched to `journal_mode=DELETE` first) with `immutable=1`, then unlinks its
    /// folder: the connection reads through its open descriptor; nothing remains readable on
    /// disk, and the copy's scratch reservation is released when the connection is dropped.
    pub fn open_unlinked(copy: Arc<PrivateCopy>, label: &str) -> Result<Self, SqliteError> {
        let result = (|| {
            {
                let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_NOFOLLOW;
                let conn = Connection::open_with_flags(&copy.db, flags).map_err(SqliteError::Open)?;
                conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true).map_err(SqliteError::Open)?;
                conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false).map_err(SqliteError::Open)?;
                conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false).map_err(SqliteError::Open)?;
                let mode: String =
                    conn.query_row("PRAGMA journal_mode=DELETE", [], |r| r.get(0)).map_err(SqliteError::Open)?;
                if !mode.eq_ignore_ascii_case("delete") {
                    return Err(SqliteError::Copy(std::io::Error::other(format!(
                        "cannot fold the WAL into the private copy (journal mode stays {mode})"
                    ))));
                }
            }
            let mut me = Self::open_immutable(&copy.db)?.labelled(label);
            me._copy = Some(Arc::clone(&copy));
            Ok(me)
        })();
        // Unlinked now, whatever happened: an open connection keeps reading its descriptor.
        let _ = std::fs::remove_dir_all(copy.dir());
        result
    }

    /// The private folder of the copy this connection reads, if it reads one.
    pub fn copy_dir(&self) -> Option<&Path> {
        self._copy.as_deref().map(PrivateCopy::dir)
    }

    /// Names the database in budget messages and logs (its logical path in the acquisition).
    pub fn labelled(self, label: &str) -> Self {
        if let Ok(mut l) = self.budget.label.lock() {
            *l = label.to_string();
        }
        self
    }

    /// The connection's step budget and the steps used so far (counted in granules of 1000
    /// virtual-machine instructions).
    pub fn steps(&self) -> (u64, u64) {
        let used = self.budget.used.load(std::sync::atomic::Ordering::Relaxed).saturating_mul(STEP_GRANULE);
        (self.budget.limit.load(std::sync::atomic::Ordering::Relaxed), used)
    }

    /// Replaces the connection's step budget (tests use small budgets).
    pub fn set_step_budget(&self, steps: u64) {
        self.budget.limit.store(steps, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether the database holds no table, index or view at all (a 0-byte or header-only file,
    /// or a page with an empty schema).
    pub fn is_empty_schema(&self) -> bool {
        self.conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)).is_ok_and(|n| n == 0)
    }

    /// Whether the table exists.
    pub fn has_table(&self, name: &str) -> bool {
        self.conn
            .query_row("SELECT 1 FROM sqlite_master WHERE type IN ('table','view') AND name = ?1", [name], |_| Ok(()))
            .is_ok()
    }

    /// Column names of a table (empty if the table does not exist).
    pub fn columns(&self, table: &str) -> Vec<String> {
        let Ok(mut stmt) = self.conn.prepare("SELECT name FROM pragma_table_info(?1)") else {
            return Vec::new();
        };
        stmt.query_map([table], |r| r.get::<_, String>(0))
            .map(|rows| rows.filter_map(Result::ok).collect())
            .unwrap_or_default()
    }
}

/// Copies `src` into the new private file `target` through the scratch budget.
fn copy_to(src: &mut dyn Read, target: &Path) -> Result<(u64, crate::budget::Reservation), SqliteError> {
    let file = crate::zip::create_private_file(target).map_err(SqliteError::Copy)?;
    let mut out = crate::budget::ScratchWriter::new(std::io::BufWriter::with_capacity(256 * 1024, file));
    let res = std::io::copy(src, &mut out).and_then(|n| out.flush().map(|()| n));
    let (_, reservation) = out.into_parts();
    match res {
        Ok(n) => Ok((n, reservation)),
        Err(e) => Err(match crate::budget::budget_error(&e) {
            Some(b) => SqliteError::Resource(b.clone()),
            None => SqliteError::Copy(e),
        }),
    }
}

/// A file holding the whole 100-byte SQLite header but not even its first page (a database
/// created and cut short before anything was written): read as the empty database a 0-byte
/// file is. Anything shorter than the header stays "not a database".
fn header_only(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else { return false };
    if meta.len() < 100 || meta.len() >= 65_536 {
        return false;
    }
    let mut head = [0u8; 18];
    let read = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head));
    if read.is_err() || &head[..16] != b"SQLite format 3\0" {
        return false;
    }
    let page = match u16::from_be_bytes([head[16], head[17]]) {
        1 => 65_536,
        p => u64::from(p),
    };
    meta.len() < page.max(512)
}

fn check_readable(conn: &Connection) -> Result<(), SqliteError> {
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)).map(|_| ()).map_err(|e| {
        match (is_interrupt(&e), take_budget_exceeded()) {
            (true, Some(b)) => SqliteError::Budget { steps: b.steps },
            _ => SqliteError::Open(e),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(p: &Path) -> Vec<u8> {
        use sha2::Digest;
        sha2::Sha256::digest(std::fs::read(p).expect("read")).to_vec()
    }

    #[test]
    fn wal_content_is_read_and_evidence_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("e.db");
        let writer = Connection::open(&db).expect("open");
        writer.pragma_update(None, "journal_mode", "WAL").expect("wal");
        writer.pragma_update(None, "wal_autocheckpoint", 0).expect("no ckpt");
        writer.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1),(2);").expect("ins");
        // copy as an acquisition would, while the writer still holds the WAL
        let ev = dir.path().join("ev");
        std::fs::create_dir(&ev).expect("mkdir");
        std::fs::copy(&db, ev.join("e.db")).expect("cp");
        std::fs::copy(dir.path().join("e.db-wal"), ev.join("e.db-wal")).expect("cp wal");
        drop(writer);
        let before: Vec<_> = ["e.db", "e.db-wal"].iter().map(|n| sha(&ev.join(n))).collect();
        let conn = SqliteDb::open_evidence(&ev.join("e.db")).expect("opens");
        let n: i64 = conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).expect("count");
        assert_eq!(n, 2);
        assert!(conn.execute("INSERT INTO t VALUES (3)", []).is_err(), "query_only");
        drop(conn);
        let after: Vec<_> = ["e.db", "e.db-wal"].iter().map(|n| sha(&ev.join(n))).collect();
        assert_eq!(before, after);
        assert!(!ev.join("e.db-shm").exists());
    }

    /// The hostile recipe's recursive view over a table the module reads: the query is stopped by
    /// the step budget (counted, not timed), the error says so, and later queries on the same
    /// connection stop at once.
    #[test]
    fn recursive_view_is_stopped_by_the_step_budget() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("sms.db");
        let c = Connection::open(&db).expect("open");
        c.execute_batch(
            "CREATE TABLE message(ROWID INTEGER PRIMARY KEY, text TEXT); INSERT INTO message(text) VALUES ('hi');",
        )
        .expect("create");
        c.execute_batch(
            "ALTER TABLE message RENAME TO m; CREATE VIEW message AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL \
             SELECT x+1 FROM c) SELECT m.*, x FROM c, (SELECT * FROM m LIMIT 1) m;",
        )
        .expect("view");
        drop(c);
        let size = std::fs::metadata(&db).expect("meta").len();
        let conn = SqliteDb::open_evidence(&db).expect("opens");
        let (limit, _) = conn.steps();
        assert_eq!(limit, step_budget(size));
        assert_eq!(limit, STEP_FLOOR, "a small database gets the floor");
        conn.set_step_budget(5_000_000);
        let _ = take_budget_exceeded();
        let mut stmt = conn.prepare("SELECT text FROM message").expect("prepare");
        let mut rows = stmt.query([]).expect("query");
        let mut n = 0u64;
        let err = loop {
            match rows.next() {
                Ok(Some(_)) => n += 1,
                Ok(None) => panic!("an endless view ended after {n} rows"),
                Err(e) => break e,
            }
        };
        assert!(is_interrupt(&err), "{err}");
        let (_, used) = conn.steps();
        assert!(used > 5_000_000 && used <= 5_000_000 + STEP_GRANULE, "stopped at the budget: {used}");
        assert!(n > 1000, "rows were read until the budget ran out: {n}");
        let me = crate::ModuleError::query("HomeDomain/Library/SMS/sms.db", err);
        assert_eq!(
            me.to_string(),
            "SQLite work budget exceeded on HomeDomain/Library/SMS/sms.db (more than 5000000 steps): the database \
             may be crafted, e.g. a recursive view"
        );
        assert_eq!(take_budget_exceeded(), None, "consumed by ModuleError::query");
        drop(rows);
        drop(stmt);
        // the budget is per connection: the next query stops at its first progress check
        let e = conn
            .query_row("SELECT count(*) FROM (SELECT * FROM message LIMIT 10000)", [], |r| r.get::<_, i64>(0))
            .expect_err("no budget left");
        assert!(is_interrupt(&e));
        assert_eq!(take_budget_exceeded().map(|b| b.path), Some(db.display().to_string()));
    }

    /// Decrypted bytes with a WAL: read in memory (no copy at all), or, over the in-memory
    /// bound, from a private file already unlinked while the connection reads it; both see the
    /// WAL's rows and are hardened (query_only, budget).
    #[test]
    fn plaintext_stays_off_disk() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("p.db");
        let c = Connection::open(&p).expect("open");
        c.pragma_update(None, "journal_mode", "WAL").expect("wal");
        c.execute_batch("PRAGMA wal_autocheckpoint=0; CREATE TABLE t(x); INSERT INTO t VALUES ('secret-main');")
            .expect("sql");
        c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); INSERT INTO t VALUES ('secret-wal');").expect("sql");
        let db = std::fs::read(&p).expect("db");
        let wal = std::fs::read(dir.path().join("p.db-wal")).expect("wal");
        drop(c);
        let rows = |d: &SqliteDb| -> Vec<String> {
            let mut st = d.prepare("SELECT x FROM t ORDER BY rowid").expect("prep");
            st.query_map([], |r| r.get(0)).expect("q").collect::<Result<_, _>>().expect("rows")
        };
        let want = vec!["secret-main".to_string(), "secret-wal".to_string()];
        let mem = SqliteDb::open_plaintext(db.clone(), vec![("-wal", wal.clone())], "HomeDomain/p.db").expect("mem");
        assert_eq!(mem.copy_dir(), None, "in memory: no file");
        assert_eq!(rows(&mem), want);
        assert!(mem.execute("INSERT INTO t VALUES (1)", []).is_err(), "read-only");
        assert_eq!(mem.steps().0, step_budget((db.len()) as u64).max(STEP_FLOOR));
        // over the in-memory bound: a private file, unlinked while in use
        let file = SqliteDb::open_plaintext_with(db.clone(), vec![("-wal", wal)], "HomeDomain/p.db", 0).expect("file");
        let copy = file.copy_dir().expect("a private copy").to_path_buf();
        assert!(!copy.exists(), "unlinked as soon as SQLite had it open");
        assert_eq!(rows(&file), want);
        assert!(file.execute("INSERT INTO t VALUES (1)", []).is_err(), "read-only");
        // an empty file is an empty database, as on disk
        let empty = SqliteDb::open_plaintext(Vec::new(), Vec::new(), "e").expect("empty");
        assert!(!empty.has_table("t"));
    }

    #[test]
    fn budget_is_proportional_to_size_with_a_floor() {
        assert_eq!(step_budget(0), STEP_FLOOR);
        assert_eq!(step_budget(1 << 30), (1u64 << 30) * STEPS_PER_BYTE);
        assert_eq!(step_budget(u64::MAX), u64::MAX);
    }

    #[test]
    fn immutable_open_creates_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("a?b#c%.db");
        Connection::open(&db).expect("open").execute_batch("CREATE TABLE t(x)").expect("create");
        let conn = SqliteDb::open_evidence(&db).expect("opens");
        assert!(conn.has_table("t"));
        assert_eq!(conn.columns("t"), vec!["x".to_string()]);
        drop(conn);
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);
    }

    #[test]
    fn garbage_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("bad.db");
        std::fs::write(&db, b"this is not sqlite at all, just text padding padding padding").expect("w");
        match SqliteDb::open_evidence(&db) {
            Err(EvidenceError::Sqlite { path, source: SqliteError::Open(e) }) => {
                assert_eq!(path, db.display().to_string());
                assert_eq!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::NotADatabase), "{e}");
            }
            other => panic!("garbage must be refused as not a database, got {:?}", other.map(|_| ())),
        }
        // A 0-byte file is, by SQLite's file format, an empty database (not garbage): it opens
        // and has no table at all.
        std::fs::write(&db, b"").expect("w");
        let c = SqliteDb::open_evidence(&db).expect("a 0-byte file is an empty database");
        assert!(!c.has_table("message"));
        let tables: i64 = c.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0)).expect("schema");
        assert_eq!(tables, 0);
        assert!(c.is_empty_schema());
        drop(c);
        // The whole 100-byte header and no page: the same empty database. One byte less is not
        // a header, and stays refused.
        let mut header = b"SQLite format 3\0".to_vec();
        header.extend_from_slice(&4096u16.to_be_bytes());
        header.resize(100, 0);
        std::fs::write(&db, &header).expect("w");
        let c = SqliteDb::open_evidence(&db).expect("a header-only file is an empty database");
        assert!(c.is_empty_schema());
        drop(c);
        std::fs::write(&db, &header[..99]).expect("w");
        assert!(SqliteDb::open_evidence(&db).is_err(), "99 bytes are not a header");
    }

    #[cfg(unix)]
    #[test]
    fn copies_live_in_a_private_folder_removed_on_drop() {
        use std::os::unix::fs::PermissionsExt;
        let src = tempfile::tempdir().expect("tempdir");
        let db = src.path().join("p.db");
        Connection::open(&db).expect("open").execute_batch("CREATE TABLE t(x);").expect("create");
        let bytes = std::fs::read(&db).expect("read");
        let copy = SqliteDb::open_copy(&mut bytes.as_slice(), &mut []).expect("copy");
        let dir = copy._copy.as_ref().expect("a copy").dir().to_path_buf();
        assert_eq!(std::fs::metadata(&dir).expect("meta").permissions().mode() & 0o777, 0o700);
        drop(copy);
        assert!(!dir.exists());
        let t = crate::zip::private_tempdir().expect("private");
        assert_eq!(std::fs::metadata(t.path()).expect("meta").permissions().mode() & 0o777, 0o700);
    }
}
