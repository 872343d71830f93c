//! Real iPhone databases (`../shared/real/ios-fs/`, pieces of three public research and CTF
//! images, read in place): every module runs without failing, and every module with a database
//! there yields as many records as an independent count of the same rows (plain rusqlite on a
//! private copy with its WAL, not ferret's code path).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ferret_core::module::testing::run_one;
use ferret_core::{Context, NoIndicators, RunOptions};
use ferret_testdata::testkit::shared;

const DATASETS: [&str; 3] = ["josh_ios17", "mvs_2023", "belka6"];

/// Every file under `root` whose name ends with `name`, relative paths, sorted.
fn find(root: &Path, name: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().and_then(|n| n.to_str()) == Some(name) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// `sql` (a count) on a private copy of `db` with its -wal/-shm: SQLite itself applies the WAL.
fn independent_count(db: &Path, sql: &str) -> i64 {
    let d = tempfile::tempdir().expect("tmp");
    let name = db.file_name().expect("name").to_string_lossy().into_owned();
    for suffix in ["", "-wal", "-shm"] {
        let src = db.with_file_name(format!("{name}{suffix}"));
        if src.exists() {
            let dst = d.path().join(format!("{name}{suffix}"));
            std::fs::write(&dst, std::fs::read(&src).expect("read")).expect("copy");
        }
    }
    let c = rusqlite::Connection::open(d.path().join(&name)).expect("open copy");
    c.query_row(sql, [], |r| r.get(0)).expect("count")
}

/// Module → (outcome, records, warnings).
type Runs = BTreeMap<String, (Result<ferret_core::Outcome, String>, usize, Vec<String>)>;

fn run_all(root: &Path) -> Runs {
    let ev = ferret_ios::fs::open(root).expect("open");
    let opts = RunOptions::default();
    let ctx = Context { evidence: ev.as_ref(), indicators: &NoIndicators, options: &opts };
    ferret_ios::modules::fs_modules()
        .iter()
        .map(|m| {
            let r = run_one(m.as_ref(), &ctx);
            (m.info().name.to_string(), (r.outcome, r.records.len(), r.warnings))
        })
        .collect()
}

#[test]
fn real_databases_yield_every_row_and_no_module_fails() {
    let mut table = Vec::new();
    for ds in DATASETS {
        let Some(root) = shared(&format!("real/ios-fs/{ds}")) else { return };
        let runs = run_all(&root);
        for (name, (outcome, _, _)) in &runs {
            assert!(outcome.is_ok(), "{ds}: {name} failed: {outcome:?}");
        }
        // (module, database file name, count of the rows the module reads)
        let checks: [(&str, &str, &str); 3] = [
            ("contacts", "AddressBook.sqlitedb", "SELECT count(*) FROM ABMultiValue WHERE value IS NOT NULL"),
            ("cache_files", "Cache.db", "SELECT count(*) FROM cfurl_cache_response"),
            ("whatsapp_contacts", "ContactsV2.sqlite", "SELECT count(*) FROM ZWAADDRESSBOOKCONTACT"),
        ];
        for (module, file, sql) in checks {
            let dbs = find(&root, file);
            if dbs.is_empty() {
                continue;
            }
            let expected: i64 = dbs.iter().map(|db| independent_count(db, sql)).sum();
            let got = runs[module].1;
            assert_eq!(got as i64, expected, "{ds}: {module} records vs rows in {file}");
            table.push(format!("{module} × {ds}: {got} records = {expected} rows ({} file(s))", dbs.len()));
        }
        // The address books' main files hold no table at all: schema and rows are only in the
        // WAL. Read without it they would be "empty databases"; the module sees the WAL.
        for db in find(&root, "AddressBook.sqlitedb") {
            let uri = format!("file:{}?immutable=1", db.display());
            let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI;
            let c = rusqlite::Connection::open_with_flags(&uri, flags).expect("open main file alone");
            let tables: i64 = c.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0)).expect("count");
            assert_eq!(tables, 0, "{ds}: the main file alone has no schema");
            assert!(!runs["contacts"].2.iter().any(|w| w.contains("empty database")), "{ds}: {:?}", runs["contacts"].2);
        }
    }
    #[allow(clippy::print_stderr)]
    {
        eprintln!("{}", table.join("\n"));
    }
    if !table.is_empty() {
        // The WAL holds data the main file does not: mvs_2023's AddressBook.sqlitedb is one page.
        assert!(table.iter().any(|l| l.starts_with("cache_files × josh_ios17: 6 records")), "{table:#?}");
    }
}
