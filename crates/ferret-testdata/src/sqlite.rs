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
            let mut log = std::fs::read(&wal_path)?;
            fix_salts(&mut log);
            out.wal = Some(log);
            // Closing now checkpoints the scratch copy only; the bytes are already taken.
            drop(conn);
        }
    }
    Ok(out)
}

/// SQLite draws a WAL's two salts at random; fixtures must be the same bytes on every run, so
/// the salts are replaced by constants and every checksum is recomputed (the log stays valid:
/// SQLite itself reads it back in the tests).
fn fix_salts(log: &mut [u8]) {
    const SALTS: [u8; 8] = *b"FERRET01";
    let be32 = |b: &[u8], at: usize| b.get(at..at + 4).and_then(|s| s.try_into().ok()).map(u32::from_be_bytes);
    let (Some(magic), Some(page_size)) = (be32(log, 0), be32(log, 8)) else { return };
    if magic & !1 != 0x377f_0682 {
        return;
    }
    let big_endian = magic == 0x377f_0683;
    let Some(salts) = log.get_mut(16..24) else { return };
    salts.copy_from_slice(&SALTS);
    let Some(head) = log.get(..24) else { return };
    let (mut s0, mut s1) = ferret_core::wal::checksum(big_endian, head, 0, 0);
    let put = |log: &mut [u8], at: usize, s0: u32, s1: u32| {
        if let Some(dst) = log.get_mut(at..at + 8) {
            dst[..4].copy_from_slice(&s0.to_be_bytes());
            dst[4..].copy_from_slice(&s1.to_be_bytes());
        }
    };
    put(log, 24, s0, s1);
    let frame_len = 24 + page_size as usize;
    let mut at = 32;
    while at + frame_len <= log.len() {
        if let Some(frame_salts) = log.get_mut(at + 8..at + 16) {
            frame_salts.copy_from_slice(&SALTS);
        }
        let (Some(header), Some(page)) = (log.get(at..at + 8), log.get(at + 24..at + frame_len)) else { break };
        (s0, s1) = ferret_core::wal::checksum(big_endian, header, s0, s1);
        (s0, s1) = ferret_core::wal::checksum(big_endian, page, s0, s1);
        put(log, at + 16, s0, s1);
        at += frame_len;
    }
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

    /// SQLite's random WAL salts are replaced: the same fixture is the same bytes every time,
    /// and SQLite still reads every frame (above: the row only in the log is there).
    #[test]
    fn wal_bytes_are_deterministic() {
        let make = || {
            let mut step = |c: &Connection| c.execute_batch("INSERT INTO t VALUES (2); INSERT INTO t VALUES (3);");
            build(|c| c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);"), Some(&mut step)).expect("builds")
        };
        let (a, b) = (make(), make());
        assert_eq!(a.db, b.db);
        let wal = a.wal.expect("wal");
        assert_eq!(Some(&wal), b.wal.as_ref());
        assert_eq!(wal.get(16..24), Some(&b"FERRET01"[..]));
        let mut db = a.db.clone();
        assert!(ferret_core::wal::apply(&mut db, &wal, 1 << 30).expect("applies") > 0, "every frame checks out");
    }
}
