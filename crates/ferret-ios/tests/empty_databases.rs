//! Every iOS module treats an empty (0-byte) or header-only database alike: "completed" with the
//! same warning naming the file, never "failed" in some modules and silently empty in others.

use std::collections::BTreeSet;

use ferret_core::module::testing::run_one;
use ferret_core::{Context, NoIndicators, Outcome, RunOptions};
use ferret_testdata::scenario::{Scale, ios_fs_artifacts};
use ferret_testdata::truth::Truth;

fn is_sqlite(b: &[u8]) -> bool {
    b.starts_with(b"SQLite format 3\0")
}

/// A database SQLite created and never wrote a table to: one page, empty schema.
fn empty_schema_page() -> Vec<u8> {
    let d = tempfile::tempdir().expect("tmp");
    let p = d.path().join("e.db");
    let c = rusqlite::Connection::open(&p).expect("create");
    c.pragma_update(None, "user_version", 7).expect("write page 1");
    drop(c);
    std::fs::read(&p).expect("read")
}

/// Modules whose artifact is a database (all of them must report the empty one).
const DATABASE_MODULES: [&str; 22] = [
    "whatsapp_chat_sessions",
    "sms",
    "sms_attachments",
    "whatsapp",
    "whatsapp_contacts",
    "safari_history",
    "safari_favicon",
    "safari_browser_state",
    "netusage",
    "datausage",
    "cache_files",
    "tcc",
    "calls",
    "contacts",
    "calendar",
    "chrome_history",
    "chrome_favicon",
    "firefox_history",
    "firefox_favicon",
    "shortcuts",
    "interaction_c",
    "webkit_resource_load_statistics",
];

#[test]
fn empty_and_header_only_databases_complete_with_one_warning_in_every_module() {
    let mut truth = Truth::default();
    let files = ios_fs_artifacts(3, Scale { sms: 50, decoys: 0 }, &mut truth);
    let page = empty_schema_page();
    assert!(page.len() >= 512 && is_sqlite(&page));
    let mut seen: Vec<BTreeSet<String>> = Vec::new();
    for (variant, content) in [("0 bytes", Vec::new()), ("header only", page[..100].to_vec()), ("empty schema", page)] {
        // Every database replaced, and its -wal/-shm/-journal removed (they would hold data).
        let dbs: BTreeSet<String> = files.iter().filter(|a| is_sqlite(&a.bytes)).map(|a| a.fs_path.clone()).collect();
        let fs: Vec<_> = files
            .iter()
            .filter(|a| {
                !["-wal", "-shm", "-journal"]
                    .iter()
                    .any(|s| a.fs_path.ends_with(s) && dbs.contains(a.fs_path.trim_end_matches(s)))
            })
            .cloned()
            .map(|mut a| {
                if dbs.contains(&a.fs_path) {
                    a.bytes = content.clone();
                }
                a
            })
            .collect();
        let d = tempfile::tempdir().expect("tmp");
        let root = ferret_testdata::ios_fs::write_folder(d.path(), "fs", &fs).expect("write");
        let ev = ferret_ios::fs::open(&root).expect("open");
        let opts = RunOptions::default();
        let ctx = Context { evidence: ev.as_ref(), indicators: &NoIndicators, options: &opts };
        let mut warned = BTreeSet::new();
        for m in ferret_ios::modules::fs_modules() {
            let name = m.info().name.to_string();
            let r = run_one(m.as_ref(), &ctx);
            if DATABASE_MODULES.contains(&name.as_str()) {
                assert_eq!(r.outcome, Ok(Outcome::Completed), "{variant}: {name}");
                assert!(r.records.is_empty(), "{variant}: {name}");
                let empty: Vec<&String> =
                    r.warnings.iter().filter(|w| w.contains(": empty database (no table")).collect();
                assert!(!empty.is_empty(), "{variant}: {name} says the database is empty: {:?}", r.warnings);
                assert!(
                    empty.iter().all(|w| dbs.iter().any(|p| w.contains(p.as_str()))),
                    "{variant}: {name} names the file: {empty:?}"
                );
                warned.insert(name);
            } else {
                assert!(r.outcome.is_ok(), "{variant}: {name}: {:?}", r.outcome);
            }
        }
        seen.push(warned);
    }
    assert_eq!(seen[0].len(), DATABASE_MODULES.len());
    assert!(seen.iter().all(|s| s == &seen[0]), "the same modules, the same way, for all three: {seen:?}");
}
