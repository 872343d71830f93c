//! Crafted acquisitions through the binary (issues 14 and 20, `hostile-recipes.md`): a "billion
//! laughs" plist, a recursive SQLite view, FIFOs, `/dev/zero` and links out of a backup, a link
//! in the user's path, oversized plists and WALs, zip and gzip bombs, and plaintext of encrypted
//! backups in scratch space.
//!
//! Every run here goes through [`run`]: a fresh, not-yet-existing `-o` folder, its own `TMPDIR`
//! and working folder, and a watchdog that kills the child after 120 s and fails the test (a
//! hang), never a timing assertion on success. Each test asserts the exit code, the message, that
//! the evidence tree is unchanged, that nothing was written outside `-o` (the working folder
//! holds only `-o`, `TMPDIR` is empty again) and, for resource cases, the peak memory of the
//! child (`VmHWM`, polled) and the most scratch bytes seen under its `TMPDIR` (polled).

#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use ferret_testdata::hostile;
use ferret_testdata::scenario::{self, FsLayout, Generated, Scale};
use ferret_testdata::testkit::{Ferret, s, snapshot};

const SCALE: Scale = Scale { sms: 300, decoys: 2_000 };
const WATCHDOG: Duration = Duration::from_secs(120);
const MIB: u64 = 1 << 20;

/// What a run of the binary did, with the peaks the kit polled.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    /// Peak resident memory of the child (KiB, `VmHWM`), as last polled.
    peak_rss_kb: u64,
    /// Most bytes seen at once under the child's `TMPDIR`.
    peak_scratch: u64,
    /// The results folder.
    out: PathBuf,
}

impl Run {
    fn text(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// `info.json`'s module entry.
    fn module(&self, name: &str) -> serde_json::Value {
        let info: serde_json::Value =
            serde_json::from_slice(&std::fs::read(self.out.join("info.json")).expect("info.json")).expect("json");
        info["modules"].as_array().expect("modules").iter().find(|m| m["module"] == name).cloned().unwrap_or_default()
    }
}

/// Runs `ferret ARGS... -o <work>/cwd/out ACQ` with `TMPDIR=<work>/tmp` and `<work>/cwd` as
/// working folder, watched ([`Ferret::run_watched`]); asserts that nothing was written outside
/// `-o`.
fn run(work: &Path, tag: &str, args: &[&str], acquisition: &Path, env: &[(&str, &str)]) -> Run {
    let base = work.join(format!("run-{tag}"));
    let (tmp, cwd) = (base.join("tmp"), base.join("cwd"));
    std::fs::create_dir_all(&cwd).expect("cwd");
    let out = cwd.join("out");
    assert!(!out.exists(), "a fresh -o folder per run");
    let mut f = Ferret::new(env!("CARGO_BIN_EXE_ferret")).cwd(&cwd);
    for (k, v) in env {
        f = f.env(k, v);
    }
    let mut all: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    all.extend([std::ffi::OsStr::new("-o"), out.as_os_str(), acquisition.as_os_str()]);
    let w = f.run_watched(all, &tmp, WATCHDOG);
    let r = Run {
        code: w.code,
        stdout: w.stdout,
        stderr: w.stderr,
        peak_rss_kb: w.peak_rss_kib,
        peak_scratch: w.peak_scratch_bytes,
        out,
    };
    // Nothing outside -o: the scratch folder is gone, the working folder holds -o only.
    let left: Vec<_> = std::fs::read_dir(&tmp).expect("ls tmp").flatten().map(|e| e.path()).collect();
    assert!(left.is_empty(), "scratch left behind: {left:?}\n{}", r.text());
    let here: Vec<_> = std::fs::read_dir(&cwd).expect("ls cwd").flatten().map(|e| e.file_name()).collect();
    assert!(here.iter().all(|n| n == "out"), "written outside -o: {here:?}");
    r
}

fn backup(work: &Path, seed: u64) -> Generated {
    scenario::ios_backup(work, seed, SCALE).expect("generate backup")
}

fn check_backup(g: &Generated) -> Vec<String> {
    ["ios", "check-backup", "--no-default-iocs", "--iocs", s(&g.iocs)].iter().map(|x| x.to_string()).collect()
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn mkfifo(p: &Path) {
    assert!(Command::new("mkfifo").arg(p).status().expect("mkfifo").success());
}

fn replace_with_fifo(p: &Path) {
    std::fs::remove_file(p).expect("rm");
    mkfifo(p);
}

fn replace_with_link(p: &Path, target: &Path) {
    std::fs::remove_file(p).expect("rm");
    std::os::unix::fs::symlink(target, p).expect("ln");
}

// ------------------------------------------------------------------ 1. billion laughs

#[test]
fn billion_laughs_in_a_backup_info_plist() {
    let work = tempfile::tempdir().expect("tmp");
    let g = backup(work.path(), 31);
    std::fs::write(g.acquisition.join("Info.plist"), hostile::billion_laughs_bplist()).expect("w");
    let before = snapshot(&g.acquisition);
    let r = run(work.path(), "laughs", &args(&check_backup(&g)), &g.acquisition, &[]);
    // The other artifacts are read and their planted alerts found: exit 1, no abort (134).
    assert_eq!(r.code, Some(1), "{}", r.text());
    let text = r.text();
    assert!(text.contains("Info.plist: binary property list expands to more than"), "{text}");
    let info = r.module("backup_info");
    assert_eq!(info["status"], "failed", "{info}");
    let err = info["error"].as_str().unwrap_or_default();
    assert!(err.contains("Info.plist") && err.contains("expands to more than 67108864 bytes"), "{err}");
    assert!(r.peak_rss_kb < 512 * 1024, "bounded memory: {} kB", r.peak_rss_kb);
    assert_eq!(before, snapshot(&g.acquisition), "evidence unchanged");
}

#[test]
fn billion_laughs_in_a_filesystem_dumps_global_preferences() {
    let work = tempfile::tempdir().expect("tmp");
    let g = scenario::ios_fs(work.path(), 32, SCALE, FsLayout::Folder).expect("gen");
    let p = g.acquisition.join("private/var/mobile/Library/Preferences/.GlobalPreferences.plist");
    assert!(p.is_file(), "the generated dump has global preferences");
    std::fs::write(&p, hostile::billion_laughs_bplist()).expect("w");
    let before = snapshot(&g.acquisition);
    let r = run(
        work.path(),
        "laughs-fs",
        &["ios", "check-fs", "--no-default-iocs", "--iocs", s(&g.iocs)],
        &g.acquisition,
        &[],
    );
    assert_eq!(r.code, Some(1), "{}", r.text());
    let m = r.module("global_preferences");
    assert_eq!(m["status"], "failed", "{m}");
    let err = m["error"].as_str().unwrap_or_default();
    assert!(
        err.contains("private/var/mobile/Library/Preferences/.GlobalPreferences.plist")
            && err.contains("expands to more than"),
        "{err}"
    );
    assert!(r.peak_rss_kb < 512 * 1024, "bounded memory: {} kB", r.peak_rss_kb);
    assert_eq!(before, snapshot(&g.acquisition), "evidence unchanged");
}

// ------------------------------------------------------------------ 2. recursive view

#[test]
fn recursive_view_in_sms_db_fails_its_modules_alone() {
    let work = tempfile::tempdir().expect("tmp");
    let g = backup(work.path(), 33);
    hostile::rewrite_backup_sms(&g.acquisition, hostile::RECURSIVE_MESSAGE_VIEW).expect("plant view");
    let before = snapshot(&g.acquisition);
    // A smaller floor than the default 10^8 steps keeps the test short; the mechanism is the same.
    let r =
        run(work.path(), "view", &args(&check_backup(&g)), &g.acquisition, &[("FERRET_SQLITE_STEP_FLOOR", "20000000")]);
    assert_eq!(r.code, Some(1), "other modules' alerts are found: {}", r.text());
    for m in ["sms", "sms_attachments"] {
        let e = r.module(m);
        assert_eq!(e["status"], "failed", "{m}: {e}");
        assert_eq!(
            e["error"],
            "SQLite work budget exceeded on HomeDomain/Library/SMS/sms.db (more than 20000000 steps): the database may \
             be crafted, e.g. a recursive view"
        );
    }
    assert!(r.text().contains("Check sms could not read its data: SQLite work budget exceeded"), "{}", r.text());
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(r.out.join("info.json")).expect("info")).expect("json");
    let failed: Vec<&str> = info["modules"]
        .as_array()
        .expect("modules")
        .iter()
        .filter(|m| m["status"] == "failed")
        .filter_map(|m| m["module"].as_str())
        .collect();
    assert_eq!(failed, vec!["sms", "sms_attachments"], "only the modules reading sms.db fail");
    assert_eq!(before, snapshot(&g.acquisition), "evidence unchanged");
}

// ------------------------------------------------------------------ 3. only regular files

#[test]
fn fifos_and_dev_zero_in_a_backup_are_refused_and_the_run_ends() {
    let work = tempfile::tempdir().expect("tmp");
    let sms = |b: &Path| hostile::content_path(b, hostile::SMS_DB_ID);
    let wal = |b: &Path| hostile::content_path(b, hostile::SMS_WAL_ID);
    type Plant = Box<dyn Fn(&Path)>;
    let cases: Vec<(&str, Plant, &str)> = vec![
        (
            "fifo-sms",
            Box::new(move |b: &Path| replace_with_fifo(&sms(b))),
            "3d0d7e5fb2ce288813306e4d4636395e047a3d28 is a FIFO, not a regular file: refused",
        ),
        (
            "fifo-wal",
            Box::new(move |b: &Path| replace_with_fifo(&wal(b))),
            "cd47480f213dba9bc38ee792775d17e3f5a73a59 is a FIFO, not a regular file: refused",
        ),
        (
            "fifo-info",
            Box::new(|b: &Path| replace_with_fifo(&b.join("Info.plist"))),
            "Info.plist is a FIFO, not a regular file: refused",
        ),
        (
            "fifo-manifest",
            Box::new(|b: &Path| replace_with_fifo(&b.join("Manifest.plist"))),
            "Manifest.plist is a FIFO, not a regular file: refused",
        ),
        (
            "zero-info",
            Box::new(|b: &Path| replace_with_link(&b.join("Info.plist"), Path::new("/dev/zero"))),
            "Info.plist is a symbolic link, not a regular file: refused",
        ),
        (
            "zero-sms",
            Box::new(move |b: &Path| replace_with_link(&sms(b), Path::new("/dev/zero"))),
            "3d0d7e5fb2ce288813306e4d4636395e047a3d28 is a symbolic link, not a regular file: refused",
        ),
        (
            "zero-sms-no-wal",
            Box::new(move |b: &Path| {
                std::fs::write(wal(b), b"").expect("empty wal");
                replace_with_link(&sms(b), Path::new("/dev/zero"));
            }),
            "3d0d7e5fb2ce288813306e4d4636395e047a3d28 is a symbolic link, not a regular file: refused",
        ),
    ];
    for (i, (tag, plant, message)) in cases.iter().enumerate() {
        let dir = work.path().join(tag);
        let g = backup(&dir, 40 + i as u64);
        plant(&g.acquisition);
        let before = snapshot(&g.acquisition);
        let r = run(work.path(), tag, &args(&check_backup(&g)), &g.acquisition, &[]);
        assert_eq!(r.code, Some(1), "{tag}: the rest of the backup is checked: {}", r.text());
        assert!(r.text().contains(message), "{tag}: {}", r.text());
        if tag.contains("sms") || tag.contains("wal") {
            let e = r.module("sms");
            assert_eq!(e["status"], "failed", "{tag}: {e}");
            assert!(e["error"].as_str().unwrap_or_default().contains(message), "{tag}: {e}");
        }
        assert!(r.peak_rss_kb < 512 * 1024, "{tag}: bounded memory: {} kB", r.peak_rss_kb);
        assert_eq!(before, snapshot(&g.acquisition), "{tag}: evidence unchanged");
    }
}

#[test]
fn links_out_of_a_backup_are_never_followed() {
    let work = tempfile::tempdir().expect("tmp");
    // The outside "sms.db": another generated backup's, with its own planted alerts.
    let other = backup(&work.path().join("other"), 51);
    let outside_db = hostile::content_path(&other.acquisition, hostile::SMS_DB_ID);
    for (tag, whole_folder) in [("link-file", false), ("link-folder", true)] {
        let g = backup(&work.path().join(tag), 50);
        let s_path = hostile::content_path(&g.acquisition, hostile::SMS_DB_ID);
        if whole_folder {
            let planted = work.path().join(format!("{tag}-planted"));
            std::fs::create_dir_all(&planted).expect("mkdir");
            std::fs::copy(&outside_db, planted.join(hostile::SMS_DB_ID)).expect("cp");
            std::fs::remove_dir_all(g.acquisition.join("3d")).expect("rm 3d");
            std::os::unix::fs::symlink(&planted, g.acquisition.join("3d")).expect("ln 3d");
        } else {
            replace_with_link(&s_path, &outside_db);
        }
        let before = snapshot(&g.acquisition);
        let r = run(work.path(), tag, &args(&check_backup(&g)), &g.acquisition, &[]);
        assert_eq!(r.code, Some(1), "{tag}: {}", r.text());
        let e = r.module("sms");
        assert_eq!(e["status"], "failed", "{tag}: {e}");
        let err = e["error"].as_str().unwrap_or_default();
        let want = if whole_folder { "3d is a symbolic link, not a folder: refused" } else { "is a symbolic link" };
        assert!(err.contains(want), "{tag}: {err}");
        if whole_folder {
            assert!(r.text().contains("3d (a symbolic link)"), "reported at open: {}", r.text());
        }
        // No alert of the outside database (the other backup's planted SMS) shows up.
        let alerts: Vec<serde_json::Value> =
            serde_json::from_slice(&std::fs::read(r.out.join("alerts.json")).expect("alerts")).expect("json");
        assert!(alerts.iter().all(|a| !a["module"].as_str().unwrap_or_default().starts_with("sms")), "{tag}");
        assert_eq!(before, snapshot(&g.acquisition), "{tag}: evidence unchanged");
    }
}

#[test]
fn a_filesystem_dump_folder_is_walked_without_fifos_and_links_and_says_so() {
    let work = tempfile::tempdir().expect("tmp");
    let g = scenario::ios_fs(work.path(), 53, SCALE, FsLayout::Folder).expect("gen");
    let root = &g.acquisition;
    let sms = root.join("private/var/mobile/Library/SMS/sms.db");
    replace_with_fifo(&sms);
    let prefs = root.join("private/var/mobile/Library/Preferences/.GlobalPreferences.plist");
    let outside = work.path().join("planted.plist");
    std::fs::copy(&prefs, &outside).expect("cp");
    replace_with_link(&prefs, &outside);
    std::os::unix::fs::symlink("/dev/zero", root.join("private/var/zero")).expect("ln");
    let before = snapshot(root);
    let r = run(work.path(), "fs-walk", &["ios", "check-fs", "--no-default-iocs", "--iocs", s(&g.iocs)], root, &[]);
    assert_eq!(r.code, Some(1), "{}", r.text());
    let text = r.text();
    assert!(
        text.contains("3 entries are not regular files or folders, not read (links are never followed): "),
        "{text}"
    );
    for entry in [
        "private/var/mobile/Library/Preferences/.GlobalPreferences.plist (a symbolic link)",
        "private/var/mobile/Library/SMS/sms.db (a FIFO)",
        "private/var/zero (a symbolic link)",
    ] {
        assert!(text.contains(entry), "{entry}: {text}");
    }
    assert_eq!(text.matches("entries are not regular files").count(), 1, "reported once: {text}");
    for m in ["sms", "global_preferences"] {
        assert_eq!(r.module(m)["status"], "not_found", "{m}: never read");
    }
    assert_eq!(before, snapshot(root), "evidence unchanged");
}

#[test]
fn a_link_in_the_users_path_to_a_backup_works() {
    let work = tempfile::tempdir().expect("tmp");
    let g = backup(&work.path().join("data/case"), 52);
    std::os::unix::fs::symlink(work.path().join("data"), work.path().join("lnk")).expect("ln");
    let via = work.path().join("lnk/case/backup");
    let direct = run(work.path(), "direct", &args(&check_backup(&g)), &g.acquisition, &[]);
    let linked = run(work.path(), "linked", &args(&check_backup(&g)), &via, &[]);
    assert_eq!(linked.code, Some(1), "{}", linked.text());
    assert!(!linked.text().contains("SQLite"), "no SQLite URI error: {}", linked.text());
    assert!(!linked.text().contains("failed"), "{}", linked.text());
    assert_eq!(
        std::fs::read(direct.out.join("alerts.json")).expect("a"),
        std::fs::read(linked.out.join("alerts.json")).expect("b"),
        "same results through the link"
    );
}

// ------------------------------------------------------------------ 4. sizes and scratch

#[test]
fn an_oversized_info_plist_is_refused_from_its_size() {
    let work = tempfile::tempdir().expect("tmp");
    let g = backup(work.path(), 60);
    // 300 MiB, sparse: over the 256 MiB plist limit, costs no disk
    let f =
        std::fs::OpenOptions::new().write(true).truncate(true).open(g.acquisition.join("Info.plist")).expect("open");
    f.set_len(300 * MIB).expect("truncate");
    drop(f);
    let before = snapshot(&g.acquisition);
    let r = run(work.path(), "bigplist", &args(&check_backup(&g)), &g.acquisition, &[]);
    assert_eq!(r.code, Some(1), "{}", r.text());
    assert!(r.text().contains("Info.plist is larger than the 268435456-byte limit"), "{}", r.text());
    assert!(r.peak_rss_kb < 200 * 1024, "not read into memory: {} kB", r.peak_rss_kb);
    assert_eq!(before, snapshot(&g.acquisition), "evidence unchanged");
}

#[test]
fn a_huge_wal_is_refused_from_its_size_or_streamed_never_read_into_memory() {
    let work = tempfile::tempdir().expect("tmp");
    // (a) 2 GiB (sparse) WAL, artifact budget 64 MiB: refused before reading.
    let g = backup(&work.path().join("a"), 61);
    let w = hostile::content_path(&g.acquisition, hostile::SMS_WAL_ID);
    std::fs::OpenOptions::new().write(true).open(&w).expect("open").set_len(2 << 30).expect("truncate");
    let before = snapshot(&g.acquisition);
    let r = run(work.path(), "wal-2g", &args(&check_backup(&g)), &g.acquisition, &[("FERRET_ARTIFACT_LIMIT", "64M")]);
    assert_eq!(r.code, Some(1), "{}", r.text());
    let e = r.module("sms");
    assert_eq!(e["status"], "failed", "{e}");
    assert_eq!(
        e["error"],
        "HomeDomain/Library/SMS/sms.db-wal: 2147483648 bytes, over the 67108864-byte budget for one artifact \
         (FERRET_ARTIFACT_LIMIT): not read, the acquisition may be crafted (a zip or gzip bomb)"
    );
    assert!(r.peak_rss_kb < 200 * 1024, "{} kB", r.peak_rss_kb);
    assert!(r.peak_scratch < MIB, "nothing copied: {}", r.peak_scratch);
    assert_eq!(before, snapshot(&g.acquisition), "evidence unchanged");
    drop(before);
    // (b) a 256 MiB WAL (zeros: SQLite ignores it) under the default budgets: streamed into one
    // shared private copy, not read into memory.
    let g = backup(&work.path().join("b"), 62);
    let w = hostile::content_path(&g.acquisition, hostile::SMS_WAL_ID);
    let f = std::fs::OpenOptions::new().write(true).truncate(true).open(&w).expect("open");
    hostile::write_zeros(&mut std::io::BufWriter::new(f), 256 * MIB).expect("zeros");
    let r = run(work.path(), "wal-256m", &args(&check_backup(&g)), &g.acquisition, &[]);
    assert_eq!(r.code, Some(1), "{}", r.text());
    assert!(r.peak_rss_kb < 200 * 1024, "the WAL is streamed, not held in memory: {} kB", r.peak_rss_kb);
    assert!(r.peak_scratch < 2 * 256 * MIB + 64 * MIB, "copied once: {} bytes", r.peak_scratch);
}

#[test]
fn zip_and_tar_gz_bombs_are_refused_before_inflating_and_scratch_is_bounded() {
    let work = tempfile::tempdir().expect("tmp");
    // A generated filesystem dump whose sms.db is 512 MiB of zeros (and no WAL), as a tar.gz, a
    // zip, and a zip whose header claims 16 MiB; budgets: 32 MiB per artifact, 64 MiB of scratch.
    let g = scenario::ios_fs(work.path(), 63, SCALE, FsLayout::Folder).expect("gen");
    let member = "private/var/mobile/Library/SMS/sms.db";
    let limits = [("FERRET_ARTIFACT_LIMIT", "32M"), ("FERRET_SCRATCH_LIMIT", "64M")];
    let tgz = work.path().join("bomb.tar.gz");
    hostile::tar_gz_bomb(&tgz, Some(&g.acquisition), member, 512 * MIB).expect("tar bomb");
    let zip = work.path().join("bomb.zip");
    hostile::zip_bomb(&zip, Some(&g.acquisition), member, 512 * MIB, None).expect("zip bomb");
    let liar = work.path().join("liar.zip");
    hostile::zip_bomb(&liar, Some(&g.acquisition), member, 512 * MIB, Some(16 * MIB as u32)).expect("lying zip");
    for p in [&tgz, &zip, &liar] {
        assert!(std::fs::metadata(p).expect("meta").len() < 16 * MIB, "{}: a bomb", p.display());
    }
    let over = "private/var/mobile/Library/SMS/sms.db: 536870912 bytes, over the 33554432-byte budget for one artifact \
                (FERRET_ARTIFACT_LIMIT): not read";
    for (tag, path, message) in [
        ("tgz", &tgz, over),
        ("zip", &zip, over),
        (
            "liar",
            &liar,
            "zip entry private/var/mobile/Library/SMS/sms.db inflates beyond its declared size of 16777216 bytes",
        ),
    ] {
        let before = std::fs::read(path).expect("read");
        let r = run(work.path(), tag, &["ios", "check-fs", "--no-default-iocs", "--iocs", s(&g.iocs)], path, &limits);
        assert_eq!(r.code, Some(1), "{tag}: the rest of the dump is checked: {}", r.text());
        for m in ["sms", "sms_attachments"] {
            let e = r.module(m);
            assert_eq!(e["status"], "failed", "{tag} {m}: {e}");
            assert!(e["error"].as_str().unwrap_or_default().contains(message), "{tag} {m}: {e}");
        }
        assert!(r.peak_scratch <= 64 * MIB, "{tag}: scratch within its budget: {} bytes", r.peak_scratch);
        assert!(r.peak_rss_kb < 300 * 1024, "{tag}: bounded memory: {} kB", r.peak_rss_kb);
        assert_eq!(before, std::fs::read(path).expect("read"), "{tag}: evidence unchanged");
    }
}

// ------------------------------------------------------------------ 5. plaintext

/// Plaintext of the generated SMS: a planted message in `sms.db` and one only in its WAL.
const MARKERS: [&[u8]; 2] = [b"Your parcel: https://", b"late https://x."];

fn files_with_markers(dir: &Path) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            let Ok(m) = p.symlink_metadata() else { continue };
            if m.is_dir() {
                stack.push(p);
            } else if m.is_file()
                && let Ok(b) = std::fs::read(&p)
                && MARKERS.iter().any(|mk| b.windows(mk.len()).any(|w| w == *mk))
            {
                hits.push(p);
            }
        }
    }
    hits
}

#[test]
fn encrypted_backup_plaintext_never_lands_in_scratch() {
    let work = tempfile::tempdir().expect("tmp");
    let seed = 70;
    let enc = scenario::ios_encrypted_backup(&work.path().join("enc"), seed, SCALE, "pw", 1_000).expect("gen");
    let plain = scenario::ios_backup(&work.path().join("plain"), seed, SCALE).expect("gen");
    // the markers are there in the plain backup's sms.db and WAL (so the grep can find them)
    let sms = std::fs::read(hostile::content_path(&plain.acquisition, hostile::SMS_DB_ID)).expect("sms");
    let wal = std::fs::read(hostile::content_path(&plain.acquisition, hostile::SMS_WAL_ID)).expect("wal");
    assert!(sms.windows(MARKERS[0].len()).any(|w| w == MARKERS[0]));
    assert!(wal.windows(MARKERS[1].len()).any(|w| w == MARKERS[1]));
    let before = snapshot(&enc.acquisition);
    // Grep the child's TMPDIR for plaintext while it runs, from another thread.
    let tmp = work.path().join("run-enc/tmp");
    std::fs::create_dir_all(&tmp).expect("tmp");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (tmp, stop) = (tmp.clone(), std::sync::Arc::clone(&stop));
        std::thread::spawn(move || {
            let (mut scans, mut seen) = (0u64, Vec::new());
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                seen.extend(files_with_markers(&tmp));
                scans += 1;
            }
            (scans, seen)
        })
    };
    let r = run(
        work.path(),
        "enc",
        &["ios", "check-backup", "--no-default-iocs", "--iocs", s(&enc.iocs), "--password-env", "PW"],
        &enc.acquisition,
        &[("PW", "pw")],
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (scans, seen) = watcher.join().expect("watcher");
    assert_eq!(r.code, Some(1), "{}", r.text());
    assert!(scans > 0);
    assert!(seen.is_empty(), "plaintext in scratch while the modules ran: {seen:?}");
    assert!(files_with_markers(&tmp).is_empty());
    // results identical to the plain backup's
    let p = run(work.path(), "plain", &args(&check_backup(&plain)), &plain.acquisition, &[]);
    assert_eq!(p.code, Some(1));
    assert_eq!(
        std::fs::read(r.out.join("alerts.json")).expect("enc alerts"),
        std::fs::read(p.out.join("alerts.json")).expect("plain alerts"),
        "same alerts as the plain backup"
    );
    // Every module's records are identical too, but the manifest's: the plain generator adds
    // decoy Manifest rows the encrypted one does not.
    let mut compared = 0;
    for e in std::fs::read_dir(&p.out).expect("ls").flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".json") || name == "info.json" || name.starts_with("manifest") {
            continue;
        }
        let enc_file = std::fs::read(r.out.join(&name)).unwrap_or_default();
        assert!(enc_file == std::fs::read(e.path()).expect("plain"), "{name} differs from the plain backup's");
        compared += 1;
    }
    assert!(compared > 20, "{compared}");
    for m in ["sms", "sms_attachments", "whatsapp", "safari_history"] {
        assert_eq!(r.module(m)["status"], "completed", "{m}");
    }
    assert_eq!(before, snapshot(&enc.acquisition), "evidence unchanged");
}
