//! Hostile input for ferret-core (issue 8): URL extraction (fuzz seeds replayed with mutations),
//! hostile SQLite files (truncated, bit-flipped, triggers, views and generated columns calling
//! functions, huge blobs), zip and gzip bombs, and archive entries that try to escape
//! (`../../x`, absolute paths, symlinks and hard links pointing out).
//!
//! Expected outcomes: an error naming the artifact or a bounded result, never a panic; nothing
//! is ever written next to the evidence or outside a private temporary folder.

use std::io::Write;
use std::path::{Path, PathBuf};

use ferret_core::evidence::FolderEvidence;
use ferret_core::sqlite::SqliteDb;
use ferret_core::tar::{TarEvidence, TarLimits, TarOptions};
use ferret_core::urls::find_urls;
use ferret_core::zip::{ZipEvidence, ZipLimits};
use ferret_core::{AcquisitionKind, Evidence, EvidenceError, EvidenceFile, Locator};

#[allow(dead_code)]
#[path = "../../../fuzz/src/seeds.rs"]
mod seeds;

/// Every path under `dir`, sorted (relative, `/`-separated, directories with a trailing `/`).
fn listing(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(root: &Path, d: &Path, out: &mut Vec<String>) {
        let mut entries: Vec<_> = std::fs::read_dir(d).expect("read_dir").map(|e| e.expect("entry").path()).collect();
        entries.sort();
        for p in entries {
            let rel = p.strip_prefix(root).expect("prefix").to_string_lossy().replace('\\', "/");
            let meta = std::fs::symlink_metadata(&p).expect("meta");
            if meta.is_dir() {
                out.push(format!("{rel}/"));
                walk(root, &p, out);
            } else {
                out.push(rel);
            }
        }
    }
    walk(dir, dir, &mut out);
    out
}

fn all_files(ev: &dyn Evidence) -> Vec<EvidenceFile> {
    let mut v = Vec::new();
    ev.walk(&mut |f| v.push(f.clone())).expect("walk");
    v
}

// ---------------------------------------------------------------- URLs

/// What holds for any text: every URL found is a piece of the text, found in order (a URL
/// carried in another's query starts inside it, never before it), each has a scheme or a
/// plausible host, the bytes produced stay within twice the bytes read whatever the input, and
/// the same text gives the same URLs.
fn check_urls(text: &str, found: &[String]) {
    let mut from = 0;
    for u in found {
        assert!(!u.is_empty(), "an empty URL from {text:?}");
        let at = text.get(from..).and_then(|rest| rest.find(u.as_str())).map(|p| from + p);
        let Some(at) = at else { panic!("{u:?} is not in the text after byte {from}: {text:?}") };
        from = at + 1;
        assert!(u.contains("://") || u.contains('.'), "{u:?}");
    }
    assert!(found.iter().map(String::len).sum::<usize>() <= 2 * text.len());
    assert_eq!(find_urls(text), found, "same text, same URLs");
}

#[test]
fn url_extraction_replay_and_hostile_text() {
    // Each seed's URLs, decided from what the seed is built to be: prose with two URLs; a
    // parenthesised bare host, an HTML link and a mailto (an address, not a URL); a punycode
    // host with a scheme inside its path, an IPv6 and an IPv4 literal; IDN text and a
    // right-to-left-override decoy (its host is not a valid label); junk where a scheme URL is
    // kept as long as its host is not empty (`http://` and `www.` are not URLs).
    let seeds = seeds::seeds("url_extract");
    let text = |s: &[u8]| String::from_utf8_lossy(s).into_owned();
    let expected: Vec<Vec<&str>> = vec![
        vec!["https://evil.example/a?b=c", "http://x.y.example:8080/p#f"],
        vec!["www.example.com", "https://a.example"],
        // the bare punycode host keeps the scheme URL in its path, and that one counts too
        vec!["xn--80ak6aa92e.com/ftp://h.example/", "ftp://h.example/", "https://[::1]:80/", "https://10.0.0.1/x"],
        vec!["https://\u{e9}xample.\u{e9}t\u{e9}/\u{1f600}"],
        vec!["https://.........../", "https://a..b/"],
    ];
    assert_eq!(seeds.len(), expected.len(), "decide the URLs of every seed");
    for (i, (seed, want)) in seeds.iter().zip(&expected).enumerate() {
        let t = text(seed);
        let found = find_urls(&t);
        check_urls(&t, &found);
        assert_eq!(&found, want, "seed {i}");
    }
    let mut counts = [0usize; 2];
    for (si, seed) in seeds.iter().enumerate() {
        for m in seeds::mutations(seed, 7000 + si as u64, 400) {
            let t = text(&m);
            let found = find_urls(&t);
            check_urls(&t, &found);
            counts[usize::from(found.is_empty())] += 1;
        }
    }
    assert!(counts[0] > 0 && counts[1] > 0, "mutations with and without URLs: {counts:?}");
    // regression: a non-ASCII character right before the scheme used to slice inside it (urls.rs)
    assert_eq!(find_urls("h\u{e9}https://evil.example/x"), ["https://evil.example/x"]);
    assert!(find_urls("\u{fffd}://x.example \u{e9}\u{e9}://a.b").is_empty(), "no scheme before ://");
    // Megabytes with no separator: what comes out is bounded by what goes in (one URL per
    // token, each a piece of its token), checked exactly.
    let one_token = format!("https://{}.example/", "a".repeat(4 << 20));
    assert_eq!(find_urls(&one_token), [one_token.as_str()]);
    let schemes = "http://".repeat(600_000);
    assert_eq!(find_urls(&schemes), [schemes.as_str()], "one token, one URL (host `http`)");
    let dots = "https://a.b.".repeat(300_000);
    assert_eq!(find_urls(&dots), [&dots[..dots.len() - 1]], "the sentence's final dot is trimmed");
    let rlo = "\u{fffd}https://\u{202e}x.y/\u{0}".repeat(100_000);
    let found = find_urls(&rlo);
    assert_eq!(found.len(), 100_000);
    assert!(found.iter().all(|u| u == "https://\u{202e}x.y/"), "{:?}", &found[..3]);
    check_urls(&rlo, &found);
}

// ---------------------------------------------------------------- SQLite

fn make_db(path: &Path, rows: usize) {
    let c = rusqlite::Connection::open(path).expect("create db");
    c.execute_batch("PRAGMA journal_mode=DELETE; CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, data BLOB); CREATE INDEX t_name ON t(name);")
        .expect("schema");
    let tx = c.unchecked_transaction().expect("tx");
    for i in 0..rows {
        tx.execute(
            "INSERT INTO t(name, data) VALUES (?1, ?2)",
            rusqlite::params![format!("row-{i}-https://x{i}.example/"), vec![i as u8; 300]],
        )
        .expect("insert");
    }
    tx.commit().expect("commit");
}

/// Runs the queries a module would; returns how many rows were read (errors count as 0).
fn read_all(db: &SqliteDb) -> usize {
    let Ok(mut st) = db.prepare("SELECT id, name, data FROM t ORDER BY id") else { return 0 };
    let Ok(rows) = st
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, Option<Vec<u8>>>(2)?)))
    else {
        return 0;
    };
    rows.take_while(|r| r.is_ok()).count()
}

#[test]
fn truncated_and_bit_flipped_sqlite_fail_cleanly() {
    let dir = tempfile::tempdir().expect("tmp");
    let good = dir.path().join("good.db");
    make_db(&good, 400);
    let bytes = std::fs::read(&good).expect("read");
    assert!(bytes.len() > 16 * 4096, "want a multi-page database");
    {
        let db = SqliteDb::open_evidence(&good).expect("good db opens");
        assert_eq!(read_all(&db), 400);
    }
    let case_dir = dir.path().join("cases");
    std::fs::create_dir(&case_dir).expect("mkdir");
    let mut n = 0;
    let mut opened = 0;
    // truncations: inside the header, at page boundaries, mid-page
    for cut in [0usize, 1, 15, 16, 99, 100, 512, 4095, 4096, 4097, 8192, bytes.len() / 2, bytes.len() - 1] {
        let p = case_dir.join(format!("trunc-{cut}.db"));
        std::fs::write(&p, &bytes[..cut]).expect("write");
        if let Ok(db) = SqliteDb::open_evidence(&p) {
            opened += 1;
            assert!(read_all(&db) <= 400);
        }
        n += 1;
    }
    assert!(SqliteDb::open_evidence(&case_dir.join("trunc-15.db")).is_err(), "a 15-byte file is not a database");
    // bit flips: header fields, page-1 schema, b-tree pages, fixed seed
    let mut x: u64 = 0x5eed;
    for i in 0..120 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut b = bytes.clone();
        let at = match i % 3 {
            0 => (x % 100) as usize,
            1 => 100 + (x % 3996) as usize,
            _ => (x % b.len() as u64) as usize,
        };
        b[at] ^= 1 << ((x >> 32) % 8);
        if i % 5 == 0 {
            let at2 = ((x >> 20) % b.len() as u64) as usize;
            b[at2] = 0xff;
        }
        let p = case_dir.join(format!("flip-{i}.db"));
        std::fs::write(&p, &b).expect("write");
        if let Ok(db) = SqliteDb::open_evidence(&p) {
            opened += 1;
            let _ = read_all(&db);
            let _ = db.columns("t");
            let _ = db.has_table("t");
        }
        n += 1;
    }
    assert!(opened < n, "some hostile files must be refused");
    // The evidence folder holds exactly what was written: no -wal/-shm/-journal appeared.
    let listed = listing(&case_dir);
    assert_eq!(listed.len(), n, "{listed:?}");
    assert!(listed.iter().all(|p| p.ends_with(".db")), "{listed:?}");
}

#[test]
fn sqlite_schema_tricks_are_never_executed() {
    let dir = tempfile::tempdir().expect("tmp");
    let ev_dir = dir.path().join("evidence");
    std::fs::create_dir(&ev_dir).expect("mkdir");
    let p = ev_dir.join("hostile.db");
    let marker = dir.path().join("written-by-sqlite");
    {
        let c = rusqlite::Connection::open(&p).expect("create");
        c.execute_batch(&format!(
            "PRAGMA journal_mode=DELETE;
             CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, data BLOB);
             INSERT INTO t(name, data) VALUES ('a', x'00'), ('b', zeroblob(8 << 20));
             CREATE TABLE log(x);
             CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES (randomblob(16)); END;
             CREATE TRIGGER tr_del BEFORE DELETE ON t BEGIN SELECT RAISE(FAIL, 'nope'); END;
             CREATE VIEW v_ext AS SELECT load_extension('{0}') AS x;
             CREATE VIEW v_big AS SELECT zeroblob(2000000000) AS x;
             CREATE VIEW v_rand AS SELECT randomblob(300000000) AS x;
             CREATE VIEW v_rec AS WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) SELECT i FROM c;
             CREATE VIEW v_ok AS SELECT name FROM t ORDER BY id;",
            marker.display()
        ))
        .expect("hostile schema");
    }
    let before = std::fs::read(&p).expect("read");
    let db = SqliteDb::open_evidence(&p).expect("opens (the schema itself parses)");
    // plain reads work, including an innocent view and an 8 MB blob
    assert_eq!(read_all(&db), 2);
    let names: Vec<String> = db
        .prepare("SELECT name FROM v_ok")
        .expect("view")
        .query_map([], |r| r.get(0))
        .expect("q")
        .map(|r| r.expect("row"))
        .collect();
    assert_eq!(names, ["a", "b"]);
    // functions in the schema are refused or bounded
    assert!(
        db.query_row("SELECT x FROM v_ext", [], |r| r.get::<_, Option<String>>(0)).is_err(),
        "load_extension must be refused"
    );
    assert!(
        db.query_row("SELECT length(x) FROM v_big", [], |r| r.get::<_, i64>(0)).is_err(),
        "2 GB blob exceeds the length limit"
    );
    assert!(
        db.query_row("SELECT length(x) FROM v_rand", [], |r| r.get::<_, i64>(0)).is_err(),
        "300 MB blob exceeds the length limit"
    );
    let limit = db.limit(rusqlite::limits::Limit::SQLITE_LIMIT_LENGTH).expect("limit");
    assert_eq!(limit, 256 * 1024 * 1024, "the stated value bound");
    // an unbounded recursive view: a module always uses LIMIT/ORDER BY on real tables; a LIMIT stops it
    let n: i64 =
        db.query_row("SELECT count(*) FROM (SELECT i FROM v_rec LIMIT 1000)", [], |r| r.get(0)).expect("bounded");
    assert_eq!(n, 1000);
    // writes, triggers, attach and extension loading are refused
    assert!(db.execute("INSERT INTO t(name) VALUES ('c')", []).is_err(), "query_only");
    assert!(db.execute("DELETE FROM t", []).is_err());
    assert!(db.execute_batch(&format!("ATTACH DATABASE '{}' AS x", marker.display())).is_err());
    assert!(db.execute_batch("PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = 'x'").is_err());
    assert!(db.query_row("SELECT count(*) FROM log", [], |r| r.get::<_, i64>(0)).expect("log") == 0, "no trigger ran");
    drop(db);
    assert!(!marker.exists(), "nothing written by the hostile schema");
    assert_eq!(std::fs::read(&p).expect("read"), before, "evidence unchanged");
    assert_eq!(listing(&ev_dir), ["hostile.db"], "no sidecar created");
}

#[test]
fn sqlite_with_generated_column_calling_functions() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("gen.db");
    {
        let c = rusqlite::Connection::open(&p).expect("create");
        c.execute_batch(
            "PRAGMA journal_mode=DELETE;
             CREATE TABLE g(a TEXT, b BLOB AS (zeroblob(length(a) * 200000000)) VIRTUAL, c DEFAULT (randomblob(4)));
             INSERT INTO g(a) VALUES ('x'), ('yy');",
        )
        .expect("schema");
    }
    let db = SqliteDb::open_evidence(&p).expect("opens");
    // Column `a` is readable; the generated column is either refused (untrusted schema) or bounded.
    let a: Vec<String> = db
        .prepare("SELECT a FROM g ORDER BY a")
        .expect("prep")
        .query_map([], |r| r.get(0))
        .expect("q")
        .map(|r| r.expect("row"))
        .collect();
    assert_eq!(a, ["x", "yy"]);
    if let Ok(len) = db.query_row("SELECT length(b) FROM g ORDER BY a LIMIT 1", [], |r| r.get::<_, i64>(0)) {
        assert!(len <= 256 * 1024 * 1024);
    }
    drop(db);
    assert_eq!(listing(dir.path()), ["gen.db"]);
}

// ---------------------------------------------------------------- archives

struct ZipEntry<'a> {
    name: &'a str,
    /// 0 = stored, 8 = deflated.
    method: u16,
    data: Vec<u8>,
    /// Uncompressed size written in the headers (may lie).
    declared: u64,
    symlink: bool,
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).expect("deflate");
    e.finish().expect("deflate")
}

/// A hand-written zip (CRCs are zero: readers here do not check them).
fn write_zip(path: &Path, entries: &[ZipEntry<'_>]) {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let offset = out.len() as u32;
        let declared = u32::try_from(e.declared).unwrap_or(u32::MAX);
        let mut local = Vec::new();
        local.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        local.extend_from_slice(&20u16.to_le_bytes());
        local.extend_from_slice(&0u16.to_le_bytes());
        local.extend_from_slice(&e.method.to_le_bytes());
        local.extend_from_slice(&[0, 0, 0x21, 0x58]); // time, date (2024)
        local.extend_from_slice(&0u32.to_le_bytes());
        local.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
        local.extend_from_slice(&declared.to_le_bytes());
        local.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        local.extend_from_slice(&0u16.to_le_bytes());
        local.extend_from_slice(e.name.as_bytes());
        out.extend_from_slice(&local);
        out.extend_from_slice(&e.data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&(0x0300u16 | 20).to_le_bytes()); // made by Unix
        central.extend_from_slice(&20u16.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&e.method.to_le_bytes());
        central.extend_from_slice(&[0, 0, 0x21, 0x58]);
        central.extend_from_slice(&0u32.to_le_bytes());
        central.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
        central.extend_from_slice(&declared.to_le_bytes());
        central.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]); // extra, comment, disk, internal attrs
        let mode: u32 = if e.symlink { 0o120777 } else { 0o100644 };
        central.extend_from_slice(&(mode << 16).to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(e.name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    std::fs::write(path, out).expect("write zip");
}

fn stored<'a>(name: &'a str, data: &[u8]) -> ZipEntry<'a> {
    ZipEntry { name, method: 0, data: data.to_vec(), declared: data.len() as u64, symlink: false }
}

/// A scratch layout `root/a/b/<archive>` so `../../x` would land in `root`.
fn nest(root: &Path) -> PathBuf {
    let d = root.join("a").join("b");
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

#[test]
fn zip_entries_escaping_and_symlinks_are_contained() {
    let root = tempfile::tempdir().expect("tmp");
    let d = nest(root.path());
    let zip = d.join("evil.zip");
    let db = root.path().join("src.db");
    make_db(&db, 3);
    let db_bytes = std::fs::read(&db).expect("db");
    std::fs::remove_file(&db).expect("rm");
    write_zip(
        &zip,
        &[
            stored("../../x", b"escape"),
            stored("/etc/abs", b"absolute"),
            stored("C:\\win\\y", b"drive"),
            stored("..\\..\\z", b"backslash"),
            stored("ok/../../../../w.db", b"traversal"),
            stored("ok/w.db", &db_bytes),
            ZipEntry { symlink: true, ..stored("link-out", b"/etc/passwd") },
            ZipEntry { symlink: true, ..stored("dirlink", b"../../..") },
            stored("dirlink/inner", b"under a symlink name"),
            stored("bad\u{0}nul", b"nul"),
        ],
    );
    let before = listing(root.path());
    let ev = ZipEvidence::open(&zip, AcquisitionKind::IosFs).expect("opens");
    let names: Vec<String> = all_files(&ev).into_iter().map(|f| f.path).collect();
    for n in &names {
        assert!(!n.starts_with('/') && !n.split('/').any(|c| c == ".."), "normalised: {n}");
    }
    // traversal entries are skipped (never mapped onto a genuine name); absolute names are kept
    assert!(names.contains(&"etc/abs".to_string()) && names.contains(&"win/y".to_string()), "{names:?}");
    assert!(!names.iter().any(|n| n == "x" || n == "z"), "{names:?}");
    assert!(!names.contains(&"link-out".to_string()), "symlinks are not files: {names:?}");
    assert!(ev.symlinks().iter().any(|s| s.contains("link-out")), "{:?}", ev.symlinks());
    // read everything, including the database through sqlite() (a private copy)
    for f in all_files(&ev) {
        let _ = ev.read(&f, 1 << 20);
    }
    let w = ev.locate(&Locator { backup: &[], paths: &["ok/w.db"] }).expect("locate");
    assert_eq!(w.len(), 1, "{names:?}");
    let conn = ev.sqlite(&w[0]).expect("sqlite on a private copy");
    assert_eq!(read_all(&conn), 3);
    drop(conn);
    drop(ev);
    assert_eq!(listing(root.path()), before, "nothing written next to or outside the archive");
}

#[test]
fn zip_bombs_are_bounded() {
    let root = tempfile::tempdir().expect("tmp");
    let zip = root.path().join("bomb.zip");
    let zeros = vec![0u8; 64 << 20];
    let packed = deflate(&zeros);
    assert!(packed.len() < 128 << 10, "deflate packs ~1000:1");
    write_zip(
        &zip,
        &[
            // honest sizes, ~1000:1
            ZipEntry {
                name: "honest.bin",
                method: 8,
                data: packed.clone(),
                declared: zeros.len() as u64,
                symlink: false,
            },
            // lies: declares 1 KB, inflates to 64 MB
            ZipEntry { name: "liar.db", method: 8, data: packed.clone(), declared: 1024, symlink: false },
            // declares 4 GB - 1
            ZipEntry { name: "huge.txt", method: 8, data: packed, declared: u64::from(u32::MAX), symlink: false },
            // stored entry whose data runs past the end of the archive
            ZipEntry { name: "short", method: 0, data: b"abc".to_vec(), declared: 3, symlink: false },
        ],
    );
    let ev = ZipEvidence::open(&zip, AcquisitionKind::AndroidBugreport).expect("opens");
    let get = |n: &str| all_files(&ev).into_iter().find(|f| f.path == n).expect(n);
    // a bounded read refuses the oversize entry
    assert!(matches!(ev.read(&get("honest.bin"), 1 << 20), Err(EvidenceError::TooLarge { .. })));
    // a liar is cut at its declared size
    let e = ev.read(&get("liar.db"), 1 << 30).expect_err("inflates past its declared size");
    assert!(e.to_string().contains("liar.db"), "{e}");
    assert!(ev.sqlite(&get("liar.db")).is_err());
    // streaming a bomb stops at the read limit (memory bounded by the caller's limit)
    assert!(matches!(ev.read(&get("huge.txt"), 8 << 20), Err(EvidenceError::TooLarge { .. })));
    drop(ev);
    // a tight ratio guard rejects the honest bomb mid-stream
    let ev = ZipEvidence::open_with_limits(
        &zip,
        AcquisitionKind::AndroidBugreport,
        ZipLimits { max_entries: 10, max_ratio: 10, ratio_floor: 1 << 16 },
    )
    .expect("opens");
    let f = all_files(&ev).into_iter().find(|f| f.path == "honest.bin").expect("entry");
    let e = ev.read(&f, 1 << 30).expect_err("ratio guard");
    assert!(e.to_string().contains("honest.bin"), "{e}");
    // entry-count limit
    let many = root.path().join("many.zip");
    let entries: Vec<String> = (0..50).map(|i| format!("f{i}")).collect();
    write_zip(&many, &entries.iter().map(|n| stored(n, b"x")).collect::<Vec<_>>());
    assert!(
        ZipEvidence::open_with_limits(
            &many,
            AcquisitionKind::AndroidBugreport,
            ZipLimits { max_entries: 10, ..ZipLimits::default() }
        )
        .is_err()
    );
    // garbage and truncation
    let bytes = std::fs::read(&zip).expect("read");
    for cut in [0, 4, 22, bytes.len() / 2, bytes.len() - 1] {
        let p = root.path().join(format!("cut-{cut}.zip"));
        std::fs::write(&p, &bytes[..cut]).expect("write");
        if let Ok(ev) = ZipEvidence::open(&p, AcquisitionKind::AndroidBugreport) {
            for f in all_files(&ev) {
                let _ = ev.read(&f, 1 << 20);
            }
        }
    }
}

/// One raw ustar header block (name ≤ 100 bytes, no validation: hostile names allowed).
fn tar_header(name: &str, size: u64, typeflag: u8, link: &str) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len().min(100)].copy_from_slice(&name.as_bytes()[..name.len().min(100)]);
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    let sz = format!("{size:011o}\0");
    h[124..136].copy_from_slice(&sz.as_bytes()[sz.len() - 12..]);
    h[136..148].copy_from_slice(b"14500000000\0");
    h[156] = typeflag;
    h[157..157 + link.len().min(100)].copy_from_slice(&link.as_bytes()[..link.len().min(100)]);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
    h
}

fn tar_bytes(entries: &[(&str, u8, &str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, t, link, data) in entries {
        out.extend_from_slice(&tar_header(name, data.len() as u64, *t, link));
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("gz");
    e.finish().expect("gz")
}

#[test]
fn tar_entries_escaping_and_links_are_contained() {
    let root = tempfile::tempdir().expect("tmp");
    let d = nest(root.path());
    let entries: Vec<(&str, u8, &str, &[u8])> = vec![
        ("../../x.txt", b'0', "", b"escape"),
        ("/abs/y.plist", b'0', "", b"absolute"),
        ("./ok/../../../z.db", b'0', "", b"traversal"),
        ("./ok/z.db", b'0', "", b"not a db"),
        ("link-out", b'2', "/etc/passwd", b""),
        ("up", b'2', "../../../../..", b""),
        ("up/inner.txt", b'0', "", b"under a symlink name"),
        ("hard", b'1', "../../../etc/shadow", b""),
        ("dev", b'3', "", b""),
        ("..", b'0', "", b"no name"),
    ];
    let raw = tar_bytes(&entries);
    for (name, bytes) in [("evil.tar", raw.clone()), ("evil.tar.gz", gzip(&raw))] {
        let path = d.join(name);
        std::fs::write(&path, &bytes).expect("write");
        let before = listing(root.path());
        let ev = TarEvidence::open(&path, AcquisitionKind::IosFs).expect("opens");
        let files = all_files(&ev);
        for f in &files {
            assert!(!f.path.starts_with('/') && !f.path.split('/').any(|c| c == ".."), "normalised: {}", f.path);
            let _ = ev.read(f, 1 << 20);
        }
        let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        // `..` entries are skipped (never mapped onto `x.txt` / `ok/z.db`); absolute names kept
        assert!(!names.contains(&"x.txt") && names.contains(&"abs/y.plist"), "{names:?}");
        assert!(!names.contains(&"link-out") && !names.contains(&"hard"), "links are not files: {names:?}");
        assert_eq!(ev.links().len(), 3, "{:?}", ev.links());
        assert_eq!(ev.stats().unnamed, 3, "../../x.txt, ./ok/../../../z.db and ..");
        let z = files.iter().find(|f| f.path == "ok/z.db").expect("ok/z.db");
        assert_eq!(ev.read(z, 100).expect("read"), b"not a db", "the genuine entry, not the traversal one");
        assert!(ev.sqlite(z).is_err(), "not a database: an error, no panic");
        drop(ev);
        assert_eq!(listing(root.path()), before, "{name}: nothing written next to or outside the archive");
    }
    // truncated and size-lying tar headers
    let mut lying = tar_header("big.db", 1 << 40, b'0', "").to_vec();
    lying.extend_from_slice(&[7u8; 1000]);
    for (name, bytes) in [
        ("lie.tar", lying.clone()),
        ("lie.tar.gz", gzip(&lying)),
        ("cut.tar", raw[..700].to_vec()),
        ("cut.tar.gz", gzip(&raw)[..40].to_vec()),
    ] {
        let p = root.path().join(name);
        std::fs::write(&p, bytes).expect("write");
        if let Ok(ev) = TarEvidence::open(&p, AcquisitionKind::IosFs) {
            for f in all_files(&ev) {
                assert!(ev.read(&f, 1 << 20).is_err() || f.size.unwrap_or(0) <= 1 << 20, "{name}: {}", f.path);
            }
        }
    }
}

#[test]
fn gzip_bombs_are_bounded() {
    let root = tempfile::tempdir().expect("tmp");
    // 96 MB of zeros as one cacheable entry, and a second one: ~100 KB on disk.
    let big = vec![0u8; 96 << 20];
    let mut raw = Vec::with_capacity(big.len() * 2 + 4096);
    raw.extend_from_slice(&tar_header("private/var/big.db", big.len() as u64, b'0', ""));
    raw.extend_from_slice(&big);
    raw.extend_from_slice(&tar_header("private/var/big2.plist", big.len() as u64, b'0', ""));
    raw.extend_from_slice(&big);
    raw.extend_from_slice(&[0u8; 1024]);
    drop(big);
    let gz = gzip(&raw);
    drop(raw);
    assert!(gz.len() < 2 << 20, "{}", gz.len());
    let p = root.path().join("bomb.tar.gz");
    std::fs::write(&p, &gz).expect("write");
    let options = TarOptions {
        limits: TarLimits { max_entries: 100, cache_file_max: 8 << 20, cache_total_max: 16 << 20 },
        ..TarOptions::default()
    };
    let ev = TarEvidence::open_with(&p, AcquisitionKind::IosFs, &options).expect("opens");
    assert_eq!(ev.stats().cached_bytes, 0, "over-size entries are not cached");
    for f in all_files(&ev) {
        assert!(matches!(ev.read(&f, 1 << 20), Err(EvidenceError::TooLarge { .. })), "{}", f.path);
    }
    drop(ev);
    // entry-count limit on a stream of empty entries
    let mut many = Vec::new();
    for i in 0..200 {
        many.extend_from_slice(&tar_header(&format!("f{i}"), 0, b'0', ""));
    }
    many.extend_from_slice(&[0u8; 1024]);
    let pm = root.path().join("many.tar.gz");
    std::fs::write(&pm, gzip(&many)).expect("write");
    assert!(TarEvidence::open_with(&pm, AcquisitionKind::IosFs, &options).is_err());
    // a gzip stream of pure zeros (no tar structure)
    // is an empty archive (the first zero block ends it), and indexing stops reading there:
    // with the stream cut after 1 MiB of its 32 MiB, nothing past the end marker is inflated,
    // so the cut is never reached.
    let pz = root.path().join("zeros.tar.gz");
    let zeros = gzip(&vec![0u8; 32 << 20]);
    std::fs::write(&pz, &zeros).expect("write");
    let ev = TarEvidence::open(&pz, AcquisitionKind::IosFs).expect("an empty archive");
    assert!(all_files(&ev).is_empty());
    assert!(ev.links().is_empty());
    drop(ev);
    let cut_at = zeros.len() / 32;
    std::fs::write(&pz, &zeros[..cut_at]).expect("write");
    let ev = TarEvidence::open(&pz, AcquisitionKind::IosFs).expect("the cut is past the end marker: never read");
    assert!(all_files(&ev).is_empty());
    // while a stream cut before its end marker is read to the cut, and refused there
    let mut one = tar_header("private/var/a.db", 0, b'0', "").to_vec();
    one.extend_from_slice(&vec![0u8; 32 << 20]);
    let g = gzip(&one);
    std::fs::write(&pz, &g[..64]).expect("write");
    assert!(TarEvidence::open(&pz, AcquisitionKind::IosFs).is_err(), "cut inside the first header");
}

#[test]
fn folder_symlinks_pointing_out_are_not_followed() {
    let root = tempfile::tempdir().expect("tmp");
    let outside = root.path().join("outside");
    std::fs::create_dir(&outside).expect("mkdir");
    std::fs::write(outside.join("secret.db"), b"secret").expect("write");
    let ev_dir = root.path().join("dump");
    std::fs::create_dir_all(ev_dir.join("private/var")).expect("mkdir");
    std::fs::write(ev_dir.join("private/var/real.txt"), b"real").expect("write");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(outside.join("secret.db"), ev_dir.join("private/var/link.db")).expect("symlink");
        std::os::unix::fs::symlink(&outside, ev_dir.join("private/var/dirlink")).expect("symlink");
    }
    let ev = FolderEvidence::new(&ev_dir, AcquisitionKind::IosFs);
    let names: Vec<String> = all_files(&ev).into_iter().map(|f| f.path).collect();
    assert_eq!(names, ["private/var/real.txt"]);
    let found = ev.locate(&Locator { backup: &[], paths: &["**/*.db"] }).expect("locate");
    assert!(found.is_empty(), "{found:?}");
    assert!(ev.resolve("private/../../outside/secret.db").is_err());
    assert!(ev.open(&EvidenceFile::plain("../outside/secret.db")).is_err());
    #[cfg(unix)]
    assert!(ev.sqlite(&EvidenceFile::plain("private/var/link.db")).is_err(), "SQLite opens with NOFOLLOW");
}

// ---------------------------------------------------------------- WAL applied in memory

/// The `sqlite_wal` fuzz seeds (logs with valid checksums over a one-page database) and
/// deterministic mutations of them: never a panic, never a result over the limit.
#[test]
fn wal_seeds_replay_with_mutations() {
    let run = |data: &[u8]| -> Result<usize, ferret_core::wal::WalError> {
        let n = data.get(..4).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
        let rest = data.get(4..).unwrap_or_default();
        let (db, wal) = rest.split_at(n.min(rest.len()));
        let mut db = db.to_vec();
        let r = ferret_core::wal::apply(&mut db, wal, 1 << 20);
        assert!(db.len() as u64 <= (1 << 20) + 512 || r.is_err());
        r
    };
    let seeds = seeds::seeds("sqlite_wal");
    assert_eq!(run(&seeds[0]), Ok(2), "two valid frames, the second commits");
    assert_eq!(run(&seeds[1]), Ok(3));
    assert_eq!(run(&seeds[2]), Ok(1), "an empty database grows from the log");
    assert!(run(&seeds[3]).is_err(), "a commit size past the limit is refused");
    assert_eq!(run(&seeds[4]), Ok(0), "not a log: ignored");
    for (si, seed) in seeds.iter().enumerate() {
        for m in seeds::mutations(seed, 9100 + si as u64, 300) {
            let _ = run(&m);
        }
    }
}
