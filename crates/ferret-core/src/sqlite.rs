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

use std::io::Read;
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
}

/// A hardened, read-only connection to an evidence database. Derefs to
/// [`rusqlite::Connection`]. When the database had to be copied, the private copy is removed
/// when this value is dropped.
pub struct SqliteDb {
    // Field order matters: the connection is closed before the folder is removed.
    conn: Connection,
    _copy: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for SqliteDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteDb").field("copied", &self._copy.is_some()).finish()
    }
}

impl Deref for SqliteDb {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

fn uri_for(path: &Path) -> String {
    let s = path.to_string_lossy();
    let mut out = String::with_capacity(s.len() + 24);
    out.push_str("file:");
    for b in s.bytes() {
        match b {
            b'%' | b'?' | b'#' => out.push_str(&format!("%{b:02X}")),
            _ => out.push(b as char),
        }
    }
    out.push_str("?immutable=1");
    out
}

fn harden(conn: &Connection) -> Result<(), rusqlite::Error> {
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
            return Self::open_immutable(&db_path).map_err(sq);
        }
        let (db, _) = root.open(relative, shown)?;
        let mut readers: Vec<(&str, &mut dyn Read)> =
            sidecars.iter_mut().map(|(s, f)| (*s, f as &mut dyn Read)).collect();
        Self::open_copy(&mut std::io::BufReader::new(db), &mut readers).map_err(sq)
    }

    /// Opens a database in place with `immutable=1` (no sidecar may exist). `path` must be a
    /// canonical path to a regular file (checked by the caller, e.g. with [`SafeRoot::check`]):
    /// SQLite refuses links anywhere in it and would block on a FIFO.
    pub fn open_immutable(path: &Path) -> Result<Self, SqliteError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let conn = Connection::open_with_flags(uri_for(path), flags).map_err(SqliteError::Open)?;
        harden(&conn).map_err(SqliteError::Open)?;
        check_readable(&conn)?;
        Ok(Self { conn, _copy: None })
    }

    /// Copies a database and its sidecars (`("-wal", reader)`, ...) into a private temporary
    /// folder and opens the copy; the copy is removed on drop. Used for sidecars, archives and
    /// decrypted content.
    pub fn open_copy(db: &mut dyn Read, sidecars: &mut [(&str, &mut dyn Read)]) -> Result<Self, SqliteError> {
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
        copy_to(db, &target)?;
        for (suffix, reader) in sidecars.iter_mut() {
            let mut name = target.as_os_str().to_owned();
            name.push(*suffix);
            copy_to(*reader, Path::new(&name))?;
        }
        // Read-write on the private copy so a WAL is replayed and a hot journal rolled back.
        let flags =
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let conn = Connection::open_with_flags(&target, flags).map_err(SqliteError::Open)?;
        harden(&conn).map_err(SqliteError::Open)?;
        check_readable(&conn)?;
        Ok(Self { conn, _copy: Some(dir) })
    }

    /// Whether a table exists.
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

fn copy_to(src: &mut dyn Read, target: &Path) -> Result<(), SqliteError> {
    let mut out = std::fs::File::create(target).map_err(SqliteError::Copy)?;
    std::io::copy(src, &mut out).map_err(SqliteError::Copy)?;
    Ok(())
}

fn check_readable(conn: &Connection) -> Result<(), SqliteError> {
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))
        .map(|_| ())
        .map_err(SqliteError::Open)
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
        assert!(SqliteDb::open_evidence(&db).is_err());
        std::fs::write(&db, b"").expect("w");
        // an empty file is a valid empty database for SQLite; it must simply have no tables
        if let Ok(c) = SqliteDb::open_evidence(&db) {
            assert!(!c.has_table("message"));
        }
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
        let dir = copy._copy.as_ref().expect("a copy").path().to_path_buf();
        assert_eq!(std::fs::metadata(&dir).expect("meta").permissions().mode() & 0o777, 0o700);
        drop(copy);
        assert!(!dir.exists());
        let t = crate::zip::private_tempdir().expect("private");
        assert_eq!(std::fs::metadata(t.path()).expect("meta").permissions().mode() & 0o777, 0o700);
    }
}
