//! Building SQLite fixtures, optionally with part of their content only in a `-wal` file.

use std::path::Path;

use rusqlite::Connection;

/// A generated database: main file bytes and, when requested, a WAL sidecar holding the rows
/// written by the `wal` step (not checkpointed into the main file).
#[derive(Debug, Clone, Default)]
pub struct DbFiles {
    /// The main database file.
    pub db: Vec<u8>,
    /// The `-wal` sidecar, if any.
    pub wal: Option<Vec<u8>>,
}

/// Errors building fixtures (generator bugs, disk full).
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// SQLite failed.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// I/O failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

/// A step that writes rows into the WAL sidecar only.
pub type WalStep<'a> = &'a mut dyn FnMut(&Connection) -> rusqlite::Result<()>;

/// Builds a database in a scratch folder: `main` runs first and is checkpointed into the main
/// file; `wal`, when given, runs afterwards and its changes stay in the `-wal` sidecar only.
pub fn build(
    main: impl FnOnce(&Connection) -> rusqlite::Result<()>,
    wal: Option<WalStep<'_>>,
) -> Result<DbFiles, FixtureError> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("fixture.db");
    build_at(&path, main, wal)
}

/// As [`build`], at a given scratch path (its folder must be private to the caller).
pub fn build_at(
    path: &Path,
    main: impl FnOnce(&Connection) -> rusqlite::Result<()>,
    wal: Option<WalStep<'_>>,
) -> Result<DbFiles, FixtureError> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "OFF")?;
    conn.execute_batch("BEGIN")?;
    main(&conn)?;
    conn.execute_batch("COMMIT")?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    let mut out = DbFiles::default();
    match wal {
        None => {
            conn.pragma_update(None, "journal_mode", "DELETE")?;
            drop(conn);
            out.db = std::fs::read(path)?;
        }
        Some(step) => {
            conn.pragma_update(None, "wal_autocheckpoint", 0)?;
            conn.execute_batch("BEGIN")?;
            step(&conn)?;
            conn.execute_batch("COMMIT")?;
            // Read while the connection is open: closing would checkpoint the WAL away.
            out.db = std::fs::read(path)?;
            let mut wal_path = path.as_os_str().to_owned();
            wal_path.push("-wal");
            out.wal = Some(std::fs::read(&wal_path)?);
            // Closing now checkpoints the scratch copy only; the bytes are already taken.
            drop(conn);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wal_rows_only_in_sidecar() {
        let mut wal_step = |c: &Connection| c.execute_batch("INSERT INTO t VALUES (2)");
        let files = build(|c| c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);"), Some(&mut wal_step))
            .expect("builds");
        let dir = tempfile::tempdir().expect("dir");
        let db = dir.path().join("a.db");
        std::fs::write(&db, &files.db).expect("w");
        let only_main = Connection::open(&db).expect("open");
        let n: i64 = only_main.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).expect("q");
        assert_eq!(n, 1);
        drop(only_main);
        let dir2 = tempfile::tempdir().expect("dir");
        let db2 = dir2.path().join("b.db");
        std::fs::write(&db2, &files.db).expect("w");
        std::fs::write(dir2.path().join("b.db-wal"), files.wal.as_ref().expect("wal")).expect("w");
        let both = Connection::open(&db2).expect("open");
        let n: i64 = both.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).expect("q");
        assert_eq!(n, 2);
    }
}
