use std::collections::BTreeMap;

use ferret_core::BackupPath;
use ferret_testdata::ArtifactFile;
use ferret_testdata::ios_backup::{DeviceSpec, file_id, write_backup};

use super::*;

fn file(domain: &str, rel: &str, bytes: &[u8]) -> ArtifactFile {
    ArtifactFile {
        domain: domain.into(),
        relative_path: rel.into(),
        fs_path: format!("private/var/mobile/{rel}"),
        bytes: bytes.to_vec(),
        mtime: 1_700_000_000,
    }
}

fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walkdir(dir) {
        out.insert(e.clone(), std::fs::read(&e).expect("read"));
    }
    out
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("ls") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn sample_files() -> Vec<ArtifactFile> {
    vec![
        file("HomeDomain", "Library/SMS/sms.db", b"not really sqlite"),
        file("HomeDomain", "Library/Safari/History.db", b"h0"),
        file("HomeDomain", "Library/Safari/Profiles/A1/History.db", b"h1"),
        file("HomeDomain", "Library/Safari/Profiles/B2/History.db", b"h2"),
        file("HomeDomain", "Library/Safari/Profiles/B2/Other.db", b"x"),
        file("AppDomain-com.example.one", "Library/Safari/History.db", b"a1"),
        file("AppDomain-com.example.two", "Documents/notes.txt", b"n"),
        file("RootDomain", "Library/Caches/locationd/clients.plist", b"c"),
    ]
}

const SAFARI: Locator = Locator {
    backup: &[
        BackupPath { domain: "HomeDomain", path: "Library/Safari/History.db" },
        BackupPath { domain: "HomeDomain", path: "Library/Safari/Profiles/*/History.db" },
    ],
    paths: &[],
};

#[test]
fn locate_by_literal_and_glob() {
    let dir = tempfile::tempdir().expect("dir");
    write_backup(dir.path(), &sample_files(), &DeviceSpec::default()).expect("write");
    let ev = BackupEvidence::open(dir.path()).expect("open");
    assert_eq!(ev.kind(), AcquisitionKind::IosBackup);
    let found = ev.locate(&SAFARI).expect("locate");
    let paths: Vec<&str> = found.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "HomeDomain/Library/Safari/History.db",
            "HomeDomain/Library/Safari/Profiles/A1/History.db",
            "HomeDomain/Library/Safari/Profiles/B2/History.db",
        ]
    );
    let f = &found[1];
    assert_eq!(f.domain.as_deref(), Some("HomeDomain"));
    assert_eq!(f.file_id.as_deref(), Some(file_id("HomeDomain", "Library/Safari/Profiles/A1/History.db").as_str()));
    assert_eq!(f.size, Some(2));
    assert_eq!(f.modified, ferret_core::time::from_unix(1_700_000_000));
    assert_eq!(ev.read(f, 100).expect("read"), b"h1");

    // domain glob, any path
    const APPS: Locator = Locator { backup: &[BackupPath { domain: "AppDomain-*", path: "**" }], paths: &[] };
    let apps: Vec<String> = ev.locate(&APPS).expect("locate").into_iter().map(|f| f.path).collect();
    assert_eq!(
        apps,
        vec!["AppDomain-com.example.one/Library/Safari/History.db", "AppDomain-com.example.two/Documents/notes.txt"]
    );
    // `*` on the domain with a literal path; directories are never returned
    const ANY: Locator = Locator {
        backup: &[
            BackupPath { domain: "*", path: "Library/Safari/History.db" },
            BackupPath { domain: "*", path: "Library/Safari" },
        ],
        paths: &[],
    };
    assert_eq!(ev.locate(&ANY).expect("locate").len(), 2);
    // root files through the empty domain
    const ROOT: Locator = Locator { backup: &[BackupPath { domain: "", path: "*.plist" }], paths: &[] };
    let roots: Vec<String> = ev.locate(&ROOT).expect("locate").into_iter().map(|f| f.path).collect();
    assert_eq!(roots, vec!["Info.plist", "Manifest.plist", "Status.plist"]);
    // nothing for FS-only locators
    assert!(ev.locate(&Locator { backup: &[], paths: &["private/var/**"] }).expect("locate").is_empty());
    // walk: regular files only, sorted by path
    let mut all = Vec::new();
    ev.walk(&mut |f| all.push((f.path.clone(), f.size))).expect("walk");
    assert_eq!(all.len(), 8);
    assert!(all.windows(2).all(|w| w[0].0 < w[1].0));
    assert!(all.iter().all(|(_, s)| s.is_some()));
    // raw rows include directories
    let mut rows = 0;
    ev.for_each_manifest_row(&mut |_| rows += 1).expect("rows");
    assert!(rows > 8);
    let d = ev.device_info();
    assert_eq!(d.product_name.as_deref(), Some("iPhone 13 Pro"));
    assert_eq!(d.ios_version.as_deref(), Some("17.5.1"));
    assert!(!d.encrypted);
    assert_eq!(d.is_full_backup, Some(false));
    assert!(ev.problems().is_empty(), "{:?}", ev.problems());
}

#[test]
fn wal_sidecar_from_manifest_entries_and_evidence_untouched() {
    let mut wal_step = |c: &rusqlite::Connection| c.execute_batch("INSERT INTO t VALUES ('in-wal')");
    let dbf = ferret_testdata::sqlite::build(
        |c| c.execute_batch("CREATE TABLE t(x TEXT); INSERT INTO t VALUES ('in-main');"),
        Some(&mut wal_step),
    )
    .expect("db");
    let mut files = sample_files();
    files.push(file("HomeDomain", "Library/Test/t.db", &dbf.db));
    files.push(file("HomeDomain", "Library/Test/t.db-wal", dbf.wal.as_ref().expect("wal")));
    files.push(file("HomeDomain", "Library/Test/plain.db", &dbf.db));
    let dir = tempfile::tempdir().expect("dir");
    write_backup(dir.path(), &files, &DeviceSpec::default()).expect("write");
    let before = snapshot(dir.path());
    let ev = BackupEvidence::open(dir.path()).expect("open");
    const T: Locator =
        Locator { backup: &[BackupPath { domain: "HomeDomain", path: "Library/Test/*.db" }], paths: &[] };
    let found = ev.locate(&T).expect("locate");
    assert_eq!(found.len(), 2);
    for f in &found {
        let db = ev.sqlite(f).expect("sqlite");
        let mut stmt = db.prepare("SELECT x FROM t ORDER BY x").expect("prep");
        let rows: Vec<String> = stmt.query_map([], |r| r.get(0)).expect("q").map(|r| r.expect("row")).collect();
        if f.relative_path.ends_with("t.db") {
            assert_eq!(rows, vec!["in-main", "in-wal"], "WAL content read");
        } else {
            assert_eq!(rows, vec!["in-main"]);
        }
    }
    // Manifest.db itself through the evidence
    const M: Locator = Locator { backup: &[BackupPath { domain: "", path: "Manifest.db" }], paths: &[] };
    let m = ev.locate(&M).expect("locate");
    let mdb = ev.sqlite(&m[0]).expect("manifest");
    let n: i64 = mdb.query_row("SELECT count(*) FROM Files WHERE flags = 1", [], |r| r.get(0)).expect("q");
    assert_eq!(n, 11);
    drop(mdb);
    drop(ev);
    assert_eq!(before, snapshot(dir.path()), "no file created or changed in the backup");
}

#[test]
fn missing_content_is_an_error_for_that_file_only() {
    let dir = tempfile::tempdir().expect("dir");
    write_backup(dir.path(), &sample_files(), &DeviceSpec::default()).expect("write");
    let id = file_id("HomeDomain", "Library/Safari/History.db");
    std::fs::remove_file(dir.path().join(&id[..2]).join(&id)).expect("rm");
    let ev = BackupEvidence::open(dir.path()).expect("open");
    let found = ev.locate(&SAFARI).expect("locate");
    let err = ev.read(&found[0], 100).expect_err("missing");
    assert!(matches!(err, EvidenceError::Missing { .. }), "{err}");
    assert!(err.to_string().contains("HomeDomain/Library/Safari/History.db"), "{err}");
    assert!(matches!(ev.sqlite(&found[0]), Err(EvidenceError::Missing { .. })));
    assert_eq!(ev.read(&found[1], 100).expect("other file"), b"h1");
}

#[test]
fn file_id_path_escape_is_rejected() {
    let dir = tempfile::tempdir().expect("dir");
    write_backup(dir.path(), &sample_files(), &DeviceSpec::default()).expect("write");
    std::fs::write(dir.path().join("secret.txt"), b"outside").expect("w");
    {
        let c = rusqlite::Connection::open(dir.path().join("Manifest.db")).expect("db");
        c.execute("INSERT INTO Files VALUES ('../secret.txt', 'HomeDomain', 'Library/evil.db', 1, NULL)", [])
            .expect("insert");
    }
    {
        let c = rusqlite::Connection::open(dir.path().join("Manifest.db")).expect("db");
        c.execute(
            "INSERT INTO Files VALUES ('00000000000000000000000000000000000000bb', X'FF00', 'Library/x', 1, NULL)",
            [],
        )
        .expect("insert non-text domain");
    }
    let ev = BackupEvidence::open(dir.path()).expect("open");
    assert!(ev.problems().iter().any(|p| p.contains("invalid fileID")), "{:?}", ev.problems());
    assert!(ev.problems().iter().any(|p| p.contains("non-text")), "{:?}", ev.problems());
    const EVIL: Locator =
        Locator { backup: &[BackupPath { domain: "HomeDomain", path: "Library/evil.db" }], paths: &[] };
    assert!(ev.locate(&EVIL).expect("locate").is_empty());
    let crafted = EvidenceFile {
        path: "HomeDomain/Library/evil.db".into(),
        domain: Some("HomeDomain".into()),
        relative_path: "Library/evil.db".into(),
        file_id: Some("../secret.txt".into()),
        size: None,
        modified: None,
    };
    let err = ev.read(&crafted, 100).expect_err("escape");
    assert!(err.to_string().contains("invalid file ID"), "{err}");
    assert!(ev.sqlite(&crafted).is_err());
    // a plain relative path posing as a root file is refused unless it is one of the four
    let fake_root = EvidenceFile::plain("secret.txt");
    assert!(ev.read(&fake_root, 100).is_err());
}

#[test]
fn encrypted_backups_are_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("dir");
    let dev = DeviceSpec { is_encrypted_flag: true, ..DeviceSpec::default() };
    write_backup(dir.path(), &sample_files(), &dev).expect("write");
    let err = BackupEvidence::open(dir.path()).expect_err("encrypted");
    assert!(matches!(err, BackupError::Encrypted { .. }));
    assert!(
        err.to_string().contains("this backup is encrypted: give its password (--password-env / --key-file)"),
        "{err}"
    );
    // IsEncrypted = false but Manifest.db is random bytes: damaged, not "encrypted"
    let dir2 = tempfile::tempdir().expect("dir");
    write_backup(dir2.path(), &sample_files(), &DeviceSpec::default()).expect("write");
    std::fs::write(dir2.path().join("Manifest.db"), [0x5Au8; 4096]).expect("w");
    let err = BackupEvidence::open(dir2.path()).expect_err("damaged");
    assert!(matches!(err, BackupError::ManifestNotSqlite { .. }), "{err}");
    assert!(err.to_string().contains("Manifest.db is not a SQLite database"), "{err}");
    let e: EvidenceError = err.into();
    assert!(matches!(e, EvidenceError::Corrupt { .. }));
    // the same without a readable Manifest.plist: most likely an encrypted backup
    std::fs::write(dir2.path().join("Manifest.plist"), b"junk").expect("w");
    let e: EvidenceError = BackupEvidence::open(dir2.path()).expect_err("enc").into();
    assert!(matches!(e, EvidenceError::Encrypted(_)));
}

#[test]
fn discovery_one_level_down_and_detect() {
    let parent = tempfile::tempdir().expect("dir");
    let b1 = parent.path().join("00008110-000000000000FE00");
    write_backup(&b1, &sample_files(), &DeviceSpec::default()).expect("write");
    std::fs::create_dir(parent.path().join("not-a-backup")).expect("mkdir");
    let ev = BackupEvidence::open(parent.path()).expect("open parent");
    assert_eq!(ev.root(), b1.as_path());
    assert_eq!(ev.source(), parent.path());
    assert_eq!(crate::detect(parent.path()).map(|d| d.kind), Some(AcquisitionKind::IosBackup));
    assert_eq!(crate::detect(&b1).map(|d| d.kind), Some(AcquisitionKind::IosBackup));
    write_backup(&parent.path().join("second"), &sample_files(), &DeviceSpec::default()).expect("write");
    assert!(matches!(BackupEvidence::open(parent.path()), Err(BackupError::Ambiguous { count: 2, .. })));
    assert_eq!(crate::detect(parent.path()), None);
    let fs = tempfile::tempdir().expect("dir");
    std::fs::create_dir_all(fs.path().join("private/var/mobile")).expect("mkdir");
    assert_eq!(crate::detect(fs.path()).map(|d| d.kind), Some(AcquisitionKind::IosFs));
    let empty = tempfile::tempdir().expect("dir");
    assert!(matches!(BackupEvidence::open(empty.path()), Err(BackupError::NotABackup { .. })));
    assert!(matches!(BackupEvidence::open(&empty.path().join("nope")), Err(BackupError::NotFound { .. })));
    assert_eq!(crate::detect(empty.path()), None);
}

#[test]
fn corrupt_plists_are_recorded_not_fatal() {
    let dir = tempfile::tempdir().expect("dir");
    write_backup(dir.path(), &sample_files(), &DeviceSpec::default()).expect("write");
    std::fs::write(dir.path().join("Info.plist"), b"<?xml version=\"1.0\"?><plist><dict><key>x").expect("w");
    std::fs::remove_file(dir.path().join("Status.plist")).expect("rm");
    let ev = BackupEvidence::open(dir.path()).expect("open");
    assert_eq!(ev.problems().len(), 2, "{:?}", ev.problems());
    assert!(ev.info_plist().is_none());
    assert_eq!(ev.device_info().product_type.as_deref(), Some("iPhone14,2"), "from Manifest.plist Lockdown");
    // an unreadable Files table is fatal
    let c = rusqlite::Connection::open(dir.path().join("Manifest.db")).expect("db");
    c.execute_batch("DROP TABLE Files").expect("drop");
    drop(c);
    assert!(matches!(BackupEvidence::open(dir.path()), Err(BackupError::ManifestQuery { .. })));
}

/// A toy cipher (XOR 0x5A) standing in for real backup encryption, to exercise the seam.
struct Xor;

fn xor(mut b: Vec<u8>) -> Vec<u8> {
    for x in &mut b {
        *x ^= 0x5A;
    }
    b
}

impl BackupCipher for Xor {
    fn manifest_db(&self, encrypted: &[u8]) -> Result<Vec<u8>, CipherError> {
        Ok(xor(encrypted.to_vec()))
    }
    fn file(&self, meta: &ManifestFile, ciphertext: Vec<u8>) -> Result<Vec<u8>, CipherError> {
        let info = meta.info.as_ref().ok_or("no MBFile")?;
        let mut plain = xor(ciphertext);
        plain.truncate(usize::try_from(info.size.unwrap_or(0)).unwrap_or(0));
        Ok(plain)
    }
}

#[test]
fn cipher_seam_decrypts_manifest_and_files() {
    let mut wal_step = |c: &rusqlite::Connection| c.execute_batch("INSERT INTO t VALUES ('in-wal')");
    let dbf = ferret_testdata::sqlite::build(
        |c| c.execute_batch("CREATE TABLE t(x TEXT); INSERT INTO t VALUES ('in-main');"),
        Some(&mut wal_step),
    )
    .expect("db");
    let mut files = sample_files();
    files.push(file("HomeDomain", "Library/Test/t.db", &dbf.db));
    files.push(file("HomeDomain", "Library/Test/t.db-wal", dbf.wal.as_ref().expect("wal")));
    let dir = tempfile::tempdir().expect("dir");
    let dev = DeviceSpec { is_encrypted_flag: true, ..DeviceSpec::default() };
    write_backup(dir.path(), &files, &dev).expect("write");
    for p in walkdir(dir.path()) {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if name.len() == 40 || name == "Manifest.db" {
            let b = std::fs::read(&p).expect("r");
            let mut enc = xor(b);
            if name.len() == 40 {
                enc.extend_from_slice(&[0u8; 7]); // padding the cipher must remove
            }
            std::fs::write(&p, enc).expect("w");
        }
    }
    assert!(matches!(BackupEvidence::open(dir.path()), Err(BackupError::Encrypted { .. })));
    let ev = BackupEvidence::open_with_cipher(dir.path(), Box::new(Xor)).expect("open with cipher");
    assert!(ev.is_encrypted());
    let found = ev.locate(&SAFARI).expect("locate");
    assert_eq!(found.len(), 3);
    assert_eq!(ev.read(&found[1], 100).expect("read"), b"h1");
    let mut s = String::new();
    ev.open(&found[2]).expect("open").read_to_string(&mut s).expect("read");
    assert_eq!(s, "h2");
    const T: Locator =
        Locator { backup: &[BackupPath { domain: "HomeDomain", path: "Library/Test/t.db" }], paths: &[] };
    let t = ev.locate(&T).expect("locate");
    let db = ev.sqlite(&t[0]).expect("sqlite");
    let n: i64 = db.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).expect("q");
    assert_eq!(n, 2);
}

/// Scale check (run with `--ignored --nocapture`): writes 250k Manifest rows and opens them.
#[test]
#[ignore = "benchmark"]
fn scale_250k_rows() {
    // about 60k files and 190k folder rows: 250k Manifest rows (real backups have ~2 folders per file)
    let env = |k: &str, d: usize| std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d);
    let n = env("FERRET_SCALE_FILES", 60_000);
    let extra = env("FERRET_SCALE_FOLDERS", 190_000);
    let files: Vec<ArtifactFile> = (0..n)
        .map(|i| {
            file(
                &format!("AppDomain-com.example.app{}", i % 2000),
                &format!("Library/Caches/d{}/f{i}.bin", i % 50),
                b"x",
            )
        })
        .collect();
    let dir = tempfile::tempdir().expect("dir");
    let t0 = std::time::Instant::now();
    ferret_testdata::ios_backup::write_backup_with(dir.path(), &files, &DeviceSpec::default(), extra).expect("write");
    let t_write = t0.elapsed();
    let t1 = std::time::Instant::now();
    let ev = BackupEvidence::open(dir.path()).expect("open");
    let t_open = t1.elapsed();
    let t2 = std::time::Instant::now();
    const L: Locator = Locator {
        backup: &[BackupPath { domain: "AppDomain-com.example.app7", path: "Library/Caches/d7/*.bin" }],
        paths: &[],
    };
    let found = ev.locate(&L).expect("locate");
    let t_glob = t2.elapsed();
    let t3 = std::time::Instant::now();
    const L2: Locator = Locator { backup: &[BackupPath { domain: "*", path: "Library/Caches/d7/f7.bin" }], paths: &[] };
    let found2 = ev.locate(&L2).expect("locate");
    let t_lit = t3.elapsed();
    let t4 = std::time::Instant::now();
    let r = crate::backup::testing::run(crate::modules::manifest::Manifest, &ev, &ferret_core::NoIndicators);
    let t_manifest = t4.elapsed();
    assert_eq!(r.records.len(), ev.row_count());
    let t5 = std::time::Instant::now();
    let mut walked = 0usize;
    ev.walk(&mut |_| walked += 1).expect("walk");
    let t_walk = t5.elapsed();
    #[allow(clippy::print_stdout)]
    {
        println!(
            "rows={} write={t_write:?} open={t_open:?} glob-locate={t_glob:?} ({} hits) literal-any-domain={t_lit:?} ({} hits) manifest-module={t_manifest:?} walk={t_walk:?} ({walked} files)",
            ev.row_count(),
            found.len(),
            found2.len()
        );
    }
}

/// Writes a sample backup for external tools (`FERRET_SAMPLE_BACKUP=<dir>`, run with
/// `--ignored`), e.g. to check that `mvt-ios check-backup` reads it.
#[test]
#[ignore = "writes to a caller-chosen folder"]
fn write_sample_backup() {
    let Some(out) = std::env::var_os("FERRET_SAMPLE_BACKUP") else { return };
    let mut truth = ferret_testdata::truth::Truth::default();
    let mut files = ferret_testdata::ios::manifest::generate(1, 200, &mut truth);
    files.extend(ferret_testdata::ios::configuration_profiles::generate(1, 5, &mut truth));
    files.extend(ferret_testdata::ios::profile_events::generate(1, 5, &mut truth));
    let mut dev = ferret_testdata::ios::device::device(1);
    dev.apps = ferret_testdata::ios::applications::generate(1, 5, &mut truth);
    write_backup(Path::new(&out), &files, &dev).expect("write");
    std::fs::write(Path::new(&out).with_extension("truth.json"), serde_json::to_vec_pretty(&truth).expect("json"))
        .expect("truth");
}

fn mkfifo(p: &Path) {
    assert!(std::process::Command::new("mkfifo").arg(p).status().expect("mkfifo").success());
}

/// A backup with a real `t.db` + `t.db-wal` pair at `Library/Test/` and the sample files.
fn backup_with_wal(dir: &Path) {
    let mut wal_step = |c: &rusqlite::Connection| c.execute_batch("INSERT INTO t VALUES ('in-wal')");
    let dbf = ferret_testdata::sqlite::build(
        |c| c.execute_batch("CREATE TABLE t(x TEXT); INSERT INTO t VALUES ('in-main');"),
        Some(&mut wal_step),
    )
    .expect("db");
    let mut files = sample_files();
    files.push(file("HomeDomain", "Library/Test/t.db", &dbf.db));
    files.push(file("HomeDomain", "Library/Test/t.db-wal", dbf.wal.as_ref().expect("wal")));
    write_backup(dir, &files, &DeviceSpec::default()).expect("write");
}

const TDB: Locator = Locator { backup: &[BackupPath { domain: "HomeDomain", path: "Library/Test/t.db" }], paths: &[] };

/// FIFOs, a link to /dev/zero and links out of the backup, in place of content files, their
/// sidecars, a whole `xx/` folder and the root plists: refused at once with an error naming the
/// entry and what it is (a blocking open of a FIFO would hang this test), reported at open, and
/// no byte of the outside file is ever returned.
#[test]
fn only_regular_files_inside_the_backup_are_read() {
    let work = tempfile::tempdir().expect("dir");
    let outside = work.path().join("outside.txt");
    std::fs::write(&outside, b"PLANTED").expect("w");
    let id = |rel: &str| file_id("HomeDomain", rel);
    let content = |dir: &Path, rel: &str| {
        let i = id(rel);
        dir.join(&i[..2]).join(i)
    };
    // 1. FIFO database, FIFO WAL, /dev/zero database
    for (victim, how) in
        [("Library/Test/t.db", "fifo"), ("Library/Test/t.db-wal", "fifo"), ("Library/Test/t.db", "zero")]
    {
        let dir = work.path().join(format!("b-{how}-{}", victim.len()));
        backup_with_wal(&dir);
        let p = content(&dir, victim);
        std::fs::remove_file(&p).expect("rm");
        if how == "fifo" {
            mkfifo(&p);
        } else {
            std::os::unix::fs::symlink("/dev/zero", &p).expect("ln");
        }
        let ev = BackupEvidence::open(&dir).expect("open");
        let f = ev.locate(&TDB).expect("locate");
        let err = ev.sqlite(&f[0]).expect_err("refused").to_string();
        let what = if how == "fifo" { "is a FIFO, not a regular file: refused" } else { "is a symbolic link" };
        assert!(err.contains(what), "{victim} {how}: {err}");
        assert!(err.contains(&format!("HomeDomain/{victim}")), "names the file: {err}");
        assert!(err.contains(&id(victim)), "names the entry on disk: {err}");
        if victim.ends_with(".db") {
            assert!(ev.read(&f[0], 1 << 20).expect_err("refused").to_string().contains(what));
            assert!(ev.open(&f[0]).is_err());
            assert_eq!(ev.disk_path(&f[0]), None, "not hashed either");
        }
    }
    // 2. A content file linked out, and a whole prefix folder linked out: never read.
    let dir = work.path().join("b-link");
    write_backup(&dir, &sample_files(), &DeviceSpec::default()).expect("write");
    let h = content(&dir, "Library/Safari/History.db");
    std::fs::remove_file(&h).expect("rm");
    std::os::unix::fs::symlink(&outside, &h).expect("ln");
    let sms = id("Library/SMS/sms.db");
    let planted = work.path().join("planted");
    std::fs::create_dir(&planted).expect("mkdir");
    std::fs::write(planted.join(&sms), b"PLANTED").expect("w");
    std::fs::remove_dir_all(dir.join(&sms[..2])).expect("rm");
    std::os::unix::fs::symlink(&planted, dir.join(&sms[..2])).expect("ln");
    let ev = BackupEvidence::open(&dir).expect("open");
    assert!(
        ev.problems().iter().any(|p| p.contains(&format!("{} (a symbolic link)", &sms[..2]))),
        "the linked prefix folder is reported at open: {:?}",
        ev.problems()
    );
    let found = ev.locate(&SAFARI).expect("locate");
    let err = ev.read(&found[0], 100).expect_err("link out");
    assert!(matches!(err, EvidenceError::NotRegular { what: "a symbolic link", .. }), "{err}");
    const SMS: Locator =
        Locator { backup: &[BackupPath { domain: "HomeDomain", path: "Library/SMS/sms.db" }], paths: &[] };
    let s = ev.locate(&SMS).expect("locate");
    let err = ev.read(&s[0], 100).expect_err("folder link out").to_string();
    assert_eq!(err, format!("HomeDomain/Library/SMS/sms.db: {} is a symbolic link, not a folder: refused", &sms[..2]));
    assert!(ev.sqlite(&s[0]).is_err());
    let mut all = Vec::new();
    for f in ev.locate(&Locator { backup: &[BackupPath { domain: "*", path: "**" }], paths: &[] }).expect("all") {
        if let Ok(b) = ev.read(&f, 1 << 20) {
            all.extend(b);
        }
    }
    assert!(!all.windows(7).any(|w| w == b"PLANTED"), "no byte of the outside files was read");
    // 3. Root plists: a FIFO Info.plist, a /dev/zero Manifest.plist: reported, open completes.
    let dir = work.path().join("b-root");
    write_backup(&dir, &sample_files(), &DeviceSpec::default()).expect("write");
    std::fs::remove_file(dir.join("Info.plist")).expect("rm");
    mkfifo(&dir.join("Info.plist"));
    std::fs::remove_file(dir.join("Manifest.plist")).expect("rm");
    std::os::unix::fs::symlink("/dev/zero", dir.join("Manifest.plist")).expect("ln");
    let ev = BackupEvidence::open(&dir).expect("open");
    let problems = ev.problems().join("\n");
    assert!(problems.contains("Info.plist is a FIFO, not a regular file: refused"), "{problems}");
    assert!(problems.contains("Manifest.plist is a symbolic link, not a regular file: refused"), "{problems}");
    assert!(problems.contains("2 entries are not regular files or folders"), "{problems}");
    const ROOTS: Locator = Locator { backup: &[BackupPath { domain: "", path: "*" }], paths: &[] };
    let roots: Vec<String> = ev.locate(&ROOTS).expect("roots").into_iter().map(|f| f.path).collect();
    assert_eq!(roots, vec!["Manifest.db", "Status.plist"], "only regular root files are listed");
}

/// A link anywhere in the user's path to the backup works (the root is canonicalised once; SQLite
/// gets canonical paths, so `SQLITE_OPEN_NOFOLLOW` does not refuse it), with and without WAL.
#[test]
fn a_link_in_the_users_path_is_fine() {
    let work = tempfile::tempdir().expect("dir");
    let real = work.path().join("data/case");
    std::fs::create_dir_all(&real).expect("mkdir");
    backup_with_wal(&real.join("backup"));
    std::os::unix::fs::symlink(work.path().join("data"), work.path().join("lnk")).expect("ln");
    let via = work.path().join("lnk/case/backup");
    let ev = BackupEvidence::open(&via).expect("opens through the link");
    assert_eq!(ev.source(), via.as_path());
    let f = ev.locate(&TDB).expect("locate");
    let db = ev.sqlite(&f[0]).expect("sqlite with WAL");
    let n: i64 = db.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).expect("q");
    assert_eq!(n, 2);
    let f = ev.locate(&SAFARI).expect("locate");
    assert_eq!(ev.read(&f[0], 100).expect("read"), b"h0");
    assert!(ev.problems().is_empty(), "{:?}", ev.problems());
}

/// An unreadable Manifest.db says what happened (permission denied), not "not a SQLite database".
#[test]
fn unreadable_manifest_is_an_io_error() {
    let e = manifest_error(
        Path::new("/b/Manifest.db"),
        EvidenceError::Io {
            path: "Manifest.db".into(),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        },
    );
    assert!(matches!(e, BackupError::Io { .. }));
    let msg = e.to_string();
    assert!(msg.contains("permission denied") && !msg.contains("not a SQLite database"), "{msg}");
    // Through open(): chmod 000 denies reading except to root (tests may run as root, which reads
    // anything: then only the mapping above is checked).
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().expect("dir");
    write_backup(dir.path(), &sample_files(), &DeviceSpec::default()).expect("write");
    let m = dir.path().join("Manifest.db");
    std::fs::set_permissions(&m, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let root = std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(true);
    if !root {
        let msg = BackupEvidence::open(dir.path()).expect_err("unreadable").to_string();
        assert!(msg.to_lowercase().contains("permission denied"), "{msg}");
        assert!(!msg.contains("not a SQLite database"), "{msg}");
    }
    std::fs::set_permissions(&m, std::fs::Permissions::from_mode(0o644)).expect("chmod");
}

/// A Manifest.db whose columns compare without case returns its rows out of byte order: the
/// index must still sort them itself, and find the same files as with the plain schema.
#[test]
fn rows_out_of_byte_order_are_indexed_the_same() {
    let extra: Vec<(String, String)> =
        ["Zeta.txt", "alpha.txt", "Beta.txt", "beta.txt", "ALPHA.txt", "z/x.db", "Z/y.db"]
            .iter()
            .flat_map(|n| {
                ["HomeDomain", "homedomain", "AppDomain-com.example.one"]
                    .map(|d| (d.to_string(), format!("Documents/{n}")))
            })
            .collect();
    let locate_all = |nocase: bool| -> Vec<(String, Option<String>)> {
        let dir = tempfile::tempdir().expect("dir");
        write_backup(dir.path(), &sample_files(), &DeviceSpec::default()).expect("write");
        let db = rusqlite::Connection::open(dir.path().join("Manifest.db")).expect("db");
        for (d, p) in &extra {
            db.execute(
                "INSERT INTO Files (fileID, domain, relativePath, flags) VALUES (?1, ?2, ?3, 1)",
                [file_id(d, p), d.clone(), p.clone()],
            )
            .expect("insert");
        }
        if nocase {
            db.execute_batch(
                "CREATE TABLE F2 (fileID TEXT PRIMARY KEY, domain TEXT COLLATE NOCASE, relativePath TEXT COLLATE NOCASE, flags INTEGER, file BLOB);
                 INSERT INTO F2 SELECT * FROM Files ORDER BY random(); DROP TABLE Files; ALTER TABLE F2 RENAME TO Files;",
            )
            .expect("nocase schema");
        }
        drop(db);
        let ev = BackupEvidence::open(dir.path()).expect("open");
        const ALL: Locator = Locator {
            backup: &[
                BackupPath { domain: "*", path: "**" },
                BackupPath { domain: "HomeDomain", path: "Documents/beta.txt" },
                BackupPath { domain: "homedomain", path: "Documents/Z/y.db" },
            ],
            paths: &[],
        };
        ev.locate(&ALL).expect("locate").into_iter().map(|f| (f.path, f.file_id)).collect()
    };
    let plain = locate_all(false);
    assert_eq!(plain.len(), 8 + extra.len());
    assert!(plain.windows(2).all(|w| w[0].0 < w[1].0));
    assert_eq!(locate_all(true), plain);
}
