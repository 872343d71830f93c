//! Evidence integrity and hostile acquisitions for the iOS side (issue 8):
//! * immutability: a plain backup (with `-wal` sidecars), a folder filesystem dump, and the same
//!   dump as a zip and a tar.gz are hashed (SHA-256 + size + mode + mtime, and the file list)
//!   before and after running every module through `ferret_core::runner::run_modules`; nothing
//!   may change and no file (`-wal`, `-shm`, `-journal`) may appear;
//! * a backup whose `Manifest.db` points to deleted content files: partial results for the rest,
//!   an error naming the missing file for the affected modules, no panic;
//! * truncated and bit-flipped databases and plists inside a backup: the affected module fails
//!   with an error naming the file; the others complete;
//! * a corrupt `Manifest.db`: opening the backup is an error naming it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use ferret_core::module::{ModuleInfo, RecordSink, TimelineEvent, TimelineSink};
use ferret_core::runner::{ModuleReport, ModuleStatus, NoProgress, SinkFactory, run_modules};
use ferret_core::{Context, Evidence, Module, RunOptions};
use ferret_ios::backup::BackupEvidence;
use ferret_ios::modules::{backup_modules, fs_modules};
use ferret_testdata::ArtifactFile;
use ferret_testdata::fake::TruthIndicators;
use ferret_testdata::ios_backup::{DeviceSpec, file_id, write_backup};
use ferret_testdata::scenario::{Scale, ios_artifacts};
use ferret_testdata::truth::Truth;

struct Null;
impl RecordSink for Null {
    fn record(&mut self, _json: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
}
impl TimelineSink for Null {
    fn event(&mut self, _e: TimelineEvent) -> std::io::Result<()> {
        Ok(())
    }
}
struct NullSinks;
impl SinkFactory for NullSinks {
    fn records(&self, _info: &ModuleInfo) -> std::io::Result<Box<dyn RecordSink>> {
        Ok(Box::new(Null))
    }
    fn timeline(&self, _info: &ModuleInfo) -> std::io::Result<Box<dyn TimelineSink>> {
        Ok(Box::new(Null))
    }
}

/// path → (sha256, size, mode, mtime ns); symlinks and folders included.
type Snapshot = BTreeMap<String, (String, u64, u32, i128)>;

fn snapshot(root: &Path) -> Snapshot {
    use sha2::Digest;
    use std::os::unix::fs::MetadataExt;
    let mut out = Snapshot::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            let m = std::fs::symlink_metadata(&p).expect("meta");
            let rel = p.strip_prefix(root).expect("prefix").to_string_lossy().into_owned();
            let hash = if m.is_file() {
                hex::encode(sha2::Sha256::digest(std::fs::read(&p).expect("read")))
            } else {
                String::new()
            };
            let mtime = i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec());
            out.insert(rel, (hash, m.len(), m.mode(), mtime));
            if m.is_dir() {
                stack.push(p);
            }
        }
    }
    out
}

fn run_all(ev: &dyn Evidence, modules: &[Box<dyn Module>], truth: &Truth, threads: usize) -> Vec<ModuleReport> {
    let ind = TruthIndicators::new(truth);
    let opts = RunOptions::default();
    let ctx = Context { evidence: ev, indicators: &ind, options: &opts };
    let refs: Vec<&dyn Module> = modules.iter().map(|m| m.as_ref()).collect();
    let reports = run_modules(&refs, &ctx, &NullSinks, &NoProgress, threads);
    for r in &reports {
        if let ModuleStatus::Failed { error, .. } = &r.status {
            assert!(!error.contains("module crashed"), "{}: panicked: {error}", r.module);
        }
    }
    reports
}

fn status<'a>(reports: &'a [ModuleReport], name: &str) -> &'a ModuleStatus {
    &reports.iter().find(|r| r.module == name).unwrap_or_else(|| panic!("module {name} not registered")).status
}

fn records(reports: &[ModuleReport], name: &str) -> u64 {
    match status(reports, name) {
        ModuleStatus::Completed { records } => *records,
        _ => 0,
    }
}

fn scenario(seed: u64) -> (Vec<ArtifactFile>, DeviceSpec, Truth) {
    let mut truth = Truth::default();
    let (files, device) = ios_artifacts(seed, Scale { sms: 300, decoys: 0 }, &mut truth);
    (files, device, truth)
}

fn content_path(backup: &Path, f: &ArtifactFile) -> PathBuf {
    let id = file_id(&f.domain, &f.relative_path);
    backup.join(&id[..2]).join(&id)
}

#[test]
fn plain_backup_is_unchanged_by_a_full_run() {
    let (files, device, truth) = scenario(901);
    assert!(files.iter().any(|f| f.relative_path.ends_with("-wal")), "the scenario has WAL sidecars");
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("backup");
    write_backup(&dir, &files, &device).expect("backup");
    let before = snapshot(tmp.path());
    let ev = BackupEvidence::open(&dir).expect("open");
    for threads in [1, 2] {
        let reports = run_all(&ev, &backup_modules(), &truth, threads);
        assert!(records(&reports, "sms") > 0 && records(&reports, "safari_history") > 0);
    }
    drop(ev);
    let after = snapshot(tmp.path());
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>(), "no file appeared or vanished");
    assert_eq!(before, after, "hash, size, mode and mtime unchanged");
}

fn fs_files(seed: u64) -> (Vec<ArtifactFile>, Truth) {
    let (mut files, _, mut truth) = scenario(seed);
    files.extend(ferret_testdata::ios_fs::generate(seed, 20, &mut truth));
    files.sort_by(|a, b| a.fs_path.cmp(&b.fs_path));
    files.dedup_by(|a, b| a.fs_path == b.fs_path);
    (files, truth)
}

#[test]
fn filesystem_dumps_are_unchanged_by_a_full_run() {
    let (files, truth) = fs_files(902);
    let tmp = tempfile::tempdir().expect("tmp");
    let folder = tmp.path().join("dump");
    ferret_testdata::ios_fs::write_folder(&folder, "", &files).expect("folder");
    let zip_path = tmp.path().join("dump.zip");
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(&zip_path).expect("zip"));
        let o = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for f in &files {
            z.start_file(f.fs_path.as_str(), o).expect("entry");
            z.write_all(&f.bytes).expect("write");
        }
        z.finish().expect("finish");
    }
    let tgz = tmp.path().join("dump.tar.gz");
    ferret_testdata::ios_fs::write_tar_gz(&tgz, "", &files).expect("tar.gz");
    let before = snapshot(tmp.path());
    let mut counts = Vec::new();
    for input in [&folder, &zip_path, &tgz] {
        let ev = ferret_ios::fs::open(input).expect("open dump");
        let reports = run_all(ev.as_ref(), &fs_modules(), &truth, 2);
        counts.push((records(&reports, "sms"), records(&reports, "safari_history"), records(&reports, "whatsapp")));
    }
    assert!(counts[0].0 > 0, "{counts:?}");
    assert!(counts.iter().all(|c| *c == counts[0]), "folder, zip and tar.gz give the same counts: {counts:?}");
    let after = snapshot(tmp.path());
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>(), "no file appeared or vanished");
    assert_eq!(before, after, "hash, size, mode and mtime unchanged");
}

#[test]
fn manifest_pointing_to_missing_files_gives_partial_results() {
    let (files, device, truth) = scenario(903);
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("backup");
    write_backup(&dir, &files, &device).expect("backup");
    let mut removed = Vec::new();
    for f in &files {
        if f.relative_path.starts_with("Library/SMS/sms.db") || f.relative_path.ends_with("History.db") {
            std::fs::remove_file(content_path(&dir, f)).expect("delete content file");
            removed.push(f.relative_path.clone());
        }
    }
    assert!(removed.iter().any(|p| p == "Library/SMS/sms.db"), "{removed:?}");
    let ev = BackupEvidence::open(&dir).expect("the backup still opens");
    let reports = run_all(&ev, &backup_modules(), &truth, 2);
    // listed in Manifest.db but gone from the folder: an error naming the missing file, never
    // "not found" (that would say the phone has no such database)
    for (name, file) in [("sms", "HomeDomain/Library/SMS/sms.db"), ("safari_history", "History.db")] {
        match status(&reports, name) {
            ModuleStatus::Failed { error, .. } => {
                let missing = error.strip_suffix(" is listed but its content is missing").unwrap_or_default();
                assert!(missing.contains(file), "{name}: the error names the missing file: {error}");
                assert!(removed.iter().any(|r| missing.ends_with(r.as_str())), "{name}: {missing} was removed");
            }
            other => panic!("{name}: its file is gone, expected an error naming it, got {other:?}"),
        }
    }
    assert!(records(&reports, "whatsapp") > 0, "unaffected modules still produce results");
    assert!(records(&reports, "datausage") > 0);
}

#[test]
fn corrupt_artifacts_inside_a_backup_fail_only_their_module() {
    let (mut files, device, truth) = scenario(904);
    for f in &mut files {
        match f.relative_path.as_str() {
            // truncated mid-database, sidecar dropped below
            "Library/SMS/sms.db" => f.bytes.truncate(f.bytes.len() / 3),
            "Library/SMS/sms.db-wal" => f.bytes.truncate(37),
            // bit flips all over a database
            p if p.ends_with("ChatStorage.sqlite") => {
                for i in (0..f.bytes.len()).step_by(97) {
                    f.bytes[i] ^= 0x5a;
                }
            }
            // invalid UTF-8 / garbage where a plist is expected
            p if p.ends_with(".plist") => f.bytes = b"bplist00\xff\xfe\xfd garbage \xc3\x28".to_vec(),
            _ => {}
        }
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("backup");
    write_backup(&dir, &files, &device).expect("backup");
    let before = snapshot(tmp.path());
    let ev = BackupEvidence::open(&dir).expect("open");
    let reports = run_all(&ev, &backup_modules(), &truth, 2);
    match status(&reports, "sms") {
        ModuleStatus::Failed { error, .. } => assert!(error.contains("sms.db"), "{error}"),
        other => panic!("sms: expected an error naming sms.db, got {other:?}"),
    }
    if let ModuleStatus::Failed { error, .. } = status(&reports, "whatsapp") {
        assert!(error.contains("ChatStorage"), "{error}");
    }
    assert!(records(&reports, "datausage") > 0, "unaffected modules still produce results");
    assert!(records(&reports, "safari_history") > 0);
    drop(ev);
    assert_eq!(before, snapshot(tmp.path()), "evidence unchanged");
}

#[test]
fn corrupt_manifest_db_is_an_error_naming_it() {
    let (files, device, _) = scenario(905);
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("backup");
    write_backup(&dir, &files, &device).expect("backup");
    let manifest = dir.join("Manifest.db");
    let good = std::fs::read(&manifest).expect("read");
    for (what, bytes, reason) in [
        ("truncated", good[..good.len() / 2].to_vec(), "cannot open Manifest.db: not a readable SQLite database"),
        ("header", good[..50].to_vec(), "cannot open Manifest.db: not a readable SQLite database"),
        // not SQLite at all, while Manifest.plist says IsEncrypted = false: damaged, not encrypted
        (
            "garbage",
            vec![0xa5; 8192],
            "Manifest.db is not a SQLite database, and Manifest.plist says the backup is not encrypted",
        ),
        (
            "empty",
            Vec::new(),
            "Manifest.db is not a SQLite database, and Manifest.plist says the backup is not encrypted",
        ),
    ] {
        std::fs::write(&manifest, &bytes).expect("write");
        match BackupEvidence::open(&dir) {
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.starts_with(&format!("{}: ", manifest.display())), "{what}: names the file: {msg}");
                assert!(msg.contains(reason), "{what}: says why: {msg}");
            }
            Ok(_) => panic!("{what}: a corrupt Manifest.db must be refused when the backup is opened"),
        }
    }
}

#[test]
fn every_plist_100k_deep_and_every_database_bit_flipped() {
    let (mut files, device, truth) = scenario(906);
    let deep = format!(
        "<?xml version=\"1.0\"?><plist version=\"1.0\">{}{}</plist>",
        "<dict><key>a</key>".repeat(100_000),
        "</dict>".repeat(100_000)
    );
    let mut x: u64 = 0x9e37_79b9;
    let mut plists = 0;
    for f in &mut files {
        if f.relative_path.ends_with(".plist") {
            f.bytes = deep.clone().into_bytes();
            plists += 1;
        } else if !f.relative_path.ends_with("-wal") && f.bytes.starts_with(b"SQLite format 3\0") {
            for _ in 0..24 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let at = 100 + (x % (f.bytes.len() as u64 - 100)) as usize;
                f.bytes[at] ^= 1 << ((x >> 40) % 8);
            }
        }
    }
    assert!(plists > 0);
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("backup");
    write_backup(&dir, &files, &device).expect("backup");
    let before = snapshot(tmp.path());
    let ev = BackupEvidence::open(&dir).expect("open");
    // a stack overflow here would abort the whole test process: reaching the end is the assertion
    let reports = run_all(&ev, &backup_modules(), &truth, 2);
    assert!(!reports.is_empty());
    drop(ev);
    assert_eq!(before, snapshot(tmp.path()), "evidence unchanged");
}

#[test]
fn sms_db_with_hostile_schema_is_refused_not_executed() {
    let (mut files, device, truth) = scenario(907);
    let tmp = tempfile::tempdir().expect("tmp");
    let marker = tmp.path().join("extension-was-loaded");
    let db_path = tmp.path().join("hostile-sms.db");
    {
        let c = rusqlite::Connection::open(&db_path).expect("create");
        c.execute_batch(&format!(
            "PRAGMA journal_mode=DELETE;
             CREATE TABLE handle(ROWID INTEGER PRIMARY KEY, id TEXT, service TEXT);
             INSERT INTO handle VALUES (1, 'https://evil.example', 'SMS');
             CREATE VIEW message AS SELECT load_extension('{0}') AS ROWID, 'x' AS guid, 'https://evil.example/a' AS text,
                 1 AS handle_id, 0 AS date, 0 AS date_read, 0 AS date_delivered, 0 AS is_from_me, 'SMS' AS service,
                 zeroblob(2000000000) AS attributedBody;
             CREATE TABLE chat(ROWID INTEGER PRIMARY KEY);
             CREATE TRIGGER t AFTER INSERT ON handle BEGIN SELECT load_extension('{0}'); END;",
            marker.display()
        ))
        .expect("hostile schema");
    }
    let hostile = std::fs::read(&db_path).expect("read");
    files.retain(|f| !f.relative_path.starts_with("Library/SMS/sms.db-"));
    for f in &mut files {
        if f.relative_path == "Library/SMS/sms.db" {
            f.bytes = hostile.clone();
        }
    }
    let dir = tmp.path().join("backup");
    write_backup(&dir, &files, &device).expect("backup");
    let before = snapshot(&dir);
    let ev = BackupEvidence::open(&dir).expect("open");
    let reports = run_all(&ev, &backup_modules(), &truth, 2);
    match status(&reports, "sms") {
        ModuleStatus::Failed { error, .. } => assert!(error.contains("sms.db"), "{error}"),
        ModuleStatus::Completed { records } => assert_eq!(*records, 0, "no row can come out of the refused view"),
        ModuleStatus::NotFound => {}
    }
    assert!(records(&reports, "whatsapp") > 0);
    drop(ev);
    assert!(!marker.exists());
    assert_eq!(before, snapshot(&dir), "evidence unchanged");
}
