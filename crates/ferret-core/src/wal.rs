//! A SQLite write-ahead log applied in memory.
//!
//! Decrypted databases of encrypted backups must not land on disk as plaintext, but an
//! in-memory SQLite database (`sqlite3_deserialize`) cannot read a `-wal` file. [`apply`] does
//! what SQLite's WAL recovery does, on bytes (format: <https://sqlite.org/fileformat2.html#walformat>):
//!
//! * the 32-byte header: magic `0x377f0682` (checksums of little-endian words) or `0x377f0683`
//!   (big-endian), format version 3007000, page size, checkpoint sequence, two salts and a
//!   checksum of its first 24 bytes; any mismatch means there is no usable log (SQLite then
//!   ignores the file, and so does this);
//! * frames of a 24-byte header (page number, database size in pages after a commit — zero for
//!   non-commit frames —, the two salts, a cumulative checksum over the first 8 header bytes and
//!   the page) followed by one page; the first frame whose salts or checksum do not match ends
//!   the log;
//! * only frames up to the last valid commit frame count; each replaces its page, in order, and
//!   the database is then cut (or zero-extended) to that commit's size.
//!
//! Every read is bounds-checked; a hostile log cannot make the result larger than its commit's
//! declared size, which is itself bounded by the caller's limit.

/// Why a log could not be applied (the database bytes are then left as they were).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WalError {
    /// The database's page size differs from the log's.
    #[error("the WAL's page size {wal} differs from the database's {db}")]
    PageSize {
        /// The log's page size.
        wal: u32,
        /// The database's.
        db: u32,
    },
    /// The result would be larger than the limit.
    #[error("applying the WAL would make the database {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// Resulting size.
        size: u64,
        /// The limit.
        limit: u64,
    },
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).and_then(|s| s.try_into().ok()).map(u32::from_be_bytes)
}

/// SQLite's WAL checksum over `data` (a multiple of 8 bytes), continuing from `(s0, s1)`;
/// `big_endian` for a log whose magic is `0x377f0683`.
pub fn checksum(big_endian: bool, data: &[u8], mut s0: u32, mut s1: u32) -> (u32, u32) {
    for pair in data.chunks_exact(8) {
        let word = |i: usize| {
            let w = [pair[i], pair[i + 1], pair[i + 2], pair[i + 3]];
            if big_endian { u32::from_be_bytes(w) } else { u32::from_le_bytes(w) }
        };
        s0 = s0.wrapping_add(word(0)).wrapping_add(s1);
        s1 = s1.wrapping_add(word(4)).wrapping_add(s0);
    }
    (s0, s1)
}

/// The page size of a database image (`None` for an empty or too short image).
fn db_page_size(db: &[u8]) -> Option<u32> {
    let raw = u16::from_be_bytes([*db.get(16)?, *db.get(17)?]);
    Some(if raw == 1 { 65536 } else { u32::from(raw) })
}

/// Applies the committed frames of the log `wal` to the database image `db`, in memory.
/// Returns the number of frames applied (0 when the log is empty, invalid or holds no commit;
/// `db` is then unchanged). The result may not exceed `limit` bytes.
pub fn apply(db: &mut Vec<u8>, wal: &[u8], limit: u64) -> Result<usize, WalError> {
    let (Some(magic), Some(version), Some(page_size)) = (be32(wal, 0), be32(wal, 4), be32(wal, 8)) else {
        return Ok(0);
    };
    let big_endian = match magic {
        0x377f_0682 => false,
        0x377f_0683 => true,
        _ => return Ok(0),
    };
    if version != 3_007_000 || !page_size.is_power_of_two() || !(512..=65536).contains(&page_size) {
        return Ok(0);
    }
    let (Some(salt1), Some(salt2), Some(c0), Some(c1)) = (be32(wal, 16), be32(wal, 20), be32(wal, 24), be32(wal, 28))
    else {
        return Ok(0);
    };
    let Some(head) = wal.get(..24) else { return Ok(0) };
    let (mut s0, mut s1) = checksum(big_endian, head, 0, 0);
    if (s0, s1) != (c0, c1) {
        return Ok(0);
    }
    if let Some(db_ps) = db_page_size(db)
        && db_ps != page_size
    {
        return Err(WalError::PageSize { wal: page_size, db: db_ps });
    }
    let ps = page_size as usize;
    // Pass 1: find the valid frames and the last commit.
    let mut frames: Vec<(u32, usize)> = Vec::new(); // (page number, offset of the page data)
    let mut committed = 0usize;
    let mut commit_pages = 0u32;
    let mut at = 32usize;
    while let Some(frame) = wal.get(at..at + 24 + ps) {
        let (Some(pgno), Some(size_after), Some(fs1), Some(fs2), Some(fc0), Some(fc1)) =
            (be32(frame, 0), be32(frame, 4), be32(frame, 8), be32(frame, 12), be32(frame, 16), be32(frame, 20))
        else {
            break;
        };
        if pgno == 0 || fs1 != salt1 || fs2 != salt2 {
            break;
        }
        let (n0, n1) = checksum(big_endian, frame.get(..8).unwrap_or_default(), s0, s1);
        let (n0, n1) = checksum(big_endian, frame.get(24..).unwrap_or_default(), n0, n1);
        if (n0, n1) != (fc0, fc1) {
            break;
        }
        (s0, s1) = (n0, n1);
        frames.push((pgno, at + 24));
        if size_after != 0 {
            committed = frames.len();
            commit_pages = size_after;
        }
        at += 24 + ps;
    }
    if committed == 0 {
        return Ok(0);
    }
    let size = u64::from(commit_pages) * page_size as u64;
    if size > limit {
        return Err(WalError::TooLarge { size, limit });
    }
    let mut out = std::mem::take(db);
    for (pgno, data_at) in frames.iter().take(committed) {
        // pages past the committed size are cut off at the end anyway
        if *pgno > commit_pages {
            continue;
        }
        let start = (*pgno as usize - 1) * ps;
        if out.len() < start + ps {
            out.resize(start + ps, 0);
        }
        if let (Some(dst), Some(src)) = (out.get_mut(start..start + ps), wal.get(*data_at..*data_at + ps)) {
            dst.copy_from_slice(src);
        }
    }
    out.resize(size as usize, 0);
    *db = out;
    Ok(committed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database with `rows` rows in its file and `wal_rows` more only in its WAL (several
    /// commits, then an uncommitted tail when `tail`).
    fn sample(dir: &std::path::Path, wal_commits: usize, tail: bool) -> (Vec<u8>, Vec<u8>, Vec<String>) {
        let p = dir.join("w.db");
        let c = rusqlite::Connection::open(&p).expect("db");
        c.pragma_update(None, "journal_mode", "WAL").expect("wal");
        c.execute_batch("PRAGMA wal_autocheckpoint=0; CREATE TABLE t(x TEXT); INSERT INTO t VALUES ('main');")
            .expect("sql");
        c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").expect("ckpt");
        for i in 0..wal_commits {
            c.execute("INSERT INTO t VALUES (?1)", [format!("commit-{i}-{}", "x".repeat(3000))]).expect("ins");
        }
        if tail {
            c.execute_batch("BEGIN; INSERT INTO t VALUES ('uncommitted');").expect("begin");
        }
        let db = std::fs::read(&p).expect("db");
        let wal = std::fs::read(dir.join("w.db-wal")).expect("wal");
        // what SQLite itself sees from those two files (committed data only)
        let copy = dir.join("copy");
        std::fs::create_dir_all(&copy).expect("mkdir");
        std::fs::write(copy.join("w.db"), &db).expect("w");
        std::fs::write(copy.join("w.db-wal"), &wal).expect("w");
        let r = rusqlite::Connection::open(copy.join("w.db")).expect("open copy");
        let mut stmt = r.prepare("SELECT x FROM t ORDER BY rowid").expect("prep");
        let rows = stmt.query_map([], |row| row.get(0)).expect("q").collect::<Result<Vec<String>, _>>().expect("rows");
        drop(c);
        (db, wal, rows)
    }

    fn rows_of(image: Vec<u8>) -> Vec<String> {
        let mut c = rusqlite::Connection::open_in_memory().expect("mem");
        let n = image.len();
        let mut image = image;
        if image.get(18..20) == Some(&[2, 2]) {
            image[18] = 1;
            image[19] = 1;
        }
        c.deserialize_read_exact("main", image.as_slice(), n, true).expect("deserialize");
        let mut stmt = c.prepare("SELECT x FROM t ORDER BY rowid").expect("prep");
        stmt.query_map([], |row| row.get(0)).expect("q").collect::<Result<Vec<String>, _>>().expect("rows")
    }

    #[test]
    fn applies_committed_frames_like_sqlite() {
        for (commits, tail) in [(1, false), (5, false), (3, true), (0, true)] {
            let d = tempfile::tempdir().expect("tmp");
            let (mut db, wal, expected) = sample(d.path(), commits, tail);
            let applied = apply(&mut db, &wal, 1 << 30).expect("apply");
            assert_eq!(applied > 0, commits > 0, "{commits} {tail}");
            assert_eq!(rows_of(db), expected, "{commits} commits, tail {tail}");
            assert_eq!(expected.len(), 1 + commits);
        }
    }

    #[test]
    fn damaged_logs_stop_at_the_damage() {
        let d = tempfile::tempdir().expect("tmp");
        let (db, wal, expected) = sample(d.path(), 4, false);
        // a flipped byte in the last frame's page: that commit is lost, the earlier ones stay
        let mut bad = wal.clone();
        let l = bad.len();
        bad[l - 10] ^= 0xff;
        let mut img = db.clone();
        apply(&mut img, &bad, 1 << 30).expect("apply");
        let got = rows_of(img);
        assert!(got.len() < expected.len() && !got.is_empty(), "{got:?}");
        assert_eq!(got[..], expected[..got.len()]);
        // a bad header: nothing applied, database unchanged
        let mut bad = wal.clone();
        bad[3] ^= 1;
        let mut img = db.clone();
        assert_eq!(apply(&mut img, &bad, 1 << 30).expect("apply"), 0);
        assert_eq!(img, db);
        // garbage and truncations never panic
        for cut in [0, 10, 31, 32, 100, wal.len() / 2] {
            let mut img = db.clone();
            let _ = apply(&mut img, &wal[..cut], 1 << 30);
        }
        // the limit bounds the result
        let mut img = db.clone();
        assert!(matches!(apply(&mut img, &wal, 100), Err(WalError::TooLarge { .. })));
    }
}
