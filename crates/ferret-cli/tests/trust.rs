//! The "false clean" suite: no input, flag or path shape yields a green verdict unless something
//! was read and indicators beyond the built-in set were loaded, or the verdict says plainly what
//! was missing; evidence is never written to. Everything runs through the binary.
//!
//! Each test asserts the exit code, the verdict text, that the evidence tree is unchanged, and
//! that nothing was written outside the output folder.

#![allow(clippy::print_stderr)] // the matrix and skipped cells are reported with --nocapture

use std::path::{Path, PathBuf};

use ferret_core::AcquisitionKind;
use ferret_testdata::android::androidqf::{AqfSpec, write_androidqf_dir};
use ferret_testdata::android::backup::{AbSpec, ab_bytes};
use ferret_testdata::android::bugreport::{BugreportSpec, write_bugreport_zip};
use ferret_testdata::scenario::{self, FsLayout, Scale};
use ferret_testdata::testkit::{Ferret, s, snapshot, snapshot_except, stderr, stdout};
use ferret_testdata::truth::Truth;

fn ferret() -> Ferret {
    Ferret::new(env!("CARGO_BIN_EXE_ferret"))
}

const SMALL: Scale = Scale { sms: 200, decoys: 500 };

fn bundle(dir: &Path, name: &str, truth: &Truth) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, ferret_testdata::stix::bundle(&truth.indicators, 300, 3)).expect("bundle");
    p
}

fn info(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("info.json")).expect("info.json")).expect("json")
}

/// One acquisition of the matrix.
struct Case {
    kind: AcquisitionKind,
    path: PathBuf,
    iocs: PathBuf,
    /// Extra arguments (a password).
    extra: Vec<&'static str>,
    /// Exit code of a check of the right type (1: planted alerts; `None`: 0 or 1, real data).
    exit: Option<i32>,
}

fn real_fs_dump() -> Option<PathBuf> {
    ferret_testdata::testkit::shared("real/ios-fs/josh_ios17")
}

fn build_cases(work: &Path) -> Vec<Case> {
    use AcquisitionKind::*;
    let acq = work.join("acq");
    let iocs = work.join("iocs");
    std::fs::create_dir_all(&acq).expect("mkdir");
    std::fs::create_dir_all(&iocs).expect("mkdir");
    let mut cases = Vec::new();
    let g = scenario::ios_backup(&acq.join("plain"), 31, SMALL).expect("backup");
    cases.push(Case { kind: IosBackup, path: g.acquisition, iocs: g.iocs, extra: vec![], exit: Some(1) });
    let g = scenario::ios_encrypted_backup(&acq.join("enc"), 32, SMALL, "pw 1", 10).expect("encrypted");
    cases.push(Case {
        kind: IosBackup,
        path: g.acquisition,
        iocs: g.iocs,
        extra: vec!["--password-env", "FERRET_TEST_PW"],
        exit: Some(1),
    });
    for (name, layout) in [("fsdir", FsLayout::Folder), ("fstgz", FsLayout::TarGz)] {
        std::fs::create_dir_all(acq.join(name)).expect("mkdir");
        let g = scenario::ios_fs(&acq.join(name), 33, SMALL, layout).expect("fs");
        cases.push(Case { kind: IosFs, path: g.acquisition, iocs: g.iocs, extra: vec![], exit: Some(1) });
    }
    let mut truth = Truth::default();
    let files = ferret_testdata::sysdiagnose::generate(34, 20, &mut truth);
    let name = ferret_testdata::sysdiagnose::DEFAULT_NAME;
    let folder = ferret_testdata::sysdiagnose::write_folder(&acq.join("sysdir"), name, &files).expect("sys");
    let tgz = acq.join(format!("{name}.tar.gz"));
    ferret_testdata::sysdiagnose::write_tar_gz(&tgz, name, &files).expect("sys tgz");
    let sys_iocs = bundle(&iocs, "sys.stix2", &truth);
    cases.push(Case { kind: IosSysdiagnose, path: folder, iocs: sys_iocs.clone(), extra: vec![], exit: Some(1) });
    cases.push(Case { kind: IosSysdiagnose, path: tgz, iocs: sys_iocs, extra: vec![], exit: Some(1) });
    let zip = acq.join("bugreport-x.zip");
    let (truth, _) = write_bugreport_zip(&zip, &BugreportSpec::default()).expect("bugreport");
    cases.push(Case {
        kind: AndroidBugreport,
        path: zip,
        iocs: bundle(&iocs, "br.stix2", &truth),
        extra: vec![],
        exit: Some(1),
    });
    // androidqf writes a ps.txt at its top: it must not pass for a sysdiagnose
    let qf = acq.join("androidqf");
    let truth = write_androidqf_dir(&qf, &AqfSpec::default()).expect("androidqf");
    assert!(qf.join("ps.txt").is_file());
    cases.push(Case {
        kind: AndroidQf,
        path: qf,
        iocs: bundle(&iocs, "qf.stix2", &truth),
        extra: vec![],
        exit: Some(1),
    });
    let (bytes, truth) = ab_bytes(&AbSpec::default()).expect("ab");
    let ab = acq.join("phone.ab");
    std::fs::write(&ab, bytes).expect("write");
    cases.push(Case {
        kind: AndroidBackup,
        path: ab,
        iocs: bundle(&iocs, "ab.stix2", &truth),
        extra: vec![],
        exit: Some(1),
    });
    let il = acq.join("intrusion-logs.zip");
    let spec = ferret_testdata::android::intrusion::IntrusionSpec { events: 500, ..Default::default() };
    let truth = ferret_testdata::android::intrusion::write_intrusion_zip(&il, &spec, &[]).expect("intrusion logs");
    cases.push(Case {
        kind: AndroidIntrusionLogs,
        path: il,
        iocs: bundle(&iocs, "il.stix2", &truth),
        extra: vec![],
        exit: Some(1),
    });
    let pcap = acq.join("capture.pcapng.gz");
    let net =
        ferret_testdata::pcap::write_capture_file(&pcap, &ferret_testdata::pcap::NetSpec::default()).expect("pcap");
    cases.push(Case {
        kind: NetCapture,
        path: pcap,
        iocs: bundle(&iocs, "net.stix2", &net.truth),
        extra: vec![],
        exit: Some(1),
    });
    if let Some(real) = real_fs_dump() {
        let plain_iocs = cases[0].iocs.clone();
        cases.push(Case { kind: IosFs, path: real, iocs: plain_iocs, extra: vec![], exit: None });
    }
    cases
}

fn command_words(kind: Option<AcquisitionKind>) -> Vec<&'static str> {
    match kind {
        None => vec!["check"],
        Some(k) => k.command().split(' ').collect(),
    }
}

/// Every acquisition type against every command: the right command (and `ferret check`) reads it
/// and gives its verdict; every other command stops with exit 2 naming the type and the command
/// to run, and writes nothing.
#[test]
fn type_by_command_matrix() {
    let work = tempfile::tempdir().expect("tmp");
    let cases = build_cases(work.path());
    let outs = work.path().join("out");
    std::fs::create_dir(&outs).expect("mkdir");
    let evidence: Vec<_> = cases.iter().map(|c| snapshot(&c.path)).collect();
    let around = snapshot_except(work.path(), &[Path::new("out")]);
    let f = ferret().env("FERRET_TEST_PW", "pw 1");
    let mut table = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let mut commands: Vec<Option<AcquisitionKind>> = vec![None];
        commands.extend(AcquisitionKind::ALL.iter().copied().map(Some));
        for (j, command) in commands.into_iter().enumerate() {
            let out = outs.join(format!("{i}-{j}"));
            let mut args: Vec<&str> = command_words(command);
            args.extend(["--no-default-iocs", "--iocs", s(&case.iocs), "-o", s(&out)]);
            args.extend(case.extra.iter().copied());
            args.push(s(&case.path));
            let o = f.run(&args);
            let code = o.status.code();
            let right = command.is_none_or(|k| k == case.kind);
            let cell = format!("{:?} × {}", case.kind, command_words(command).join(" "));
            if right {
                match case.exit {
                    Some(e) => assert_eq!(code, Some(e), "{cell}: {}", stderr(&o)),
                    None => assert!(matches!(code, Some(0 | 1)), "{cell}: {code:?} {}", stderr(&o)),
                }
                let info = info(&out);
                assert_eq!(info["run"]["target"]["kind"], serde_json::to_value(case.kind).expect("kind"), "{cell}");
                assert_ne!(info["verdict"]["state"], "incomplete", "{cell}");
                assert!(stdout(&o).contains(if code == Some(1) { "ALERTS FOUND" } else { "CHECKED, NOTHING FOUND" }));
                if command.is_none() {
                    custody_hashes_verify(case, &info, &cell);
                }
            } else {
                assert_eq!(code, Some(2), "{cell}: {}", stdout(&o));
                let err = stderr(&o);
                assert!(
                    err.contains(&format!("is {}", case.kind.describe()))
                        && err.contains(&format!("run `ferret {}", case.kind.command())),
                    "{cell}: {err}"
                );
                assert!(!out.exists(), "{cell}: nothing written on a refused command");
            }
            table.push(format!("{cell}: {code:?}"));
        }
    }
    for (c, before) in cases.iter().zip(&evidence) {
        assert_eq!(before, &snapshot(&c.path), "{} changed", c.path.display());
    }
    assert_eq!(around, snapshot_except(work.path(), &[Path::new("out")]), "written outside -o");
    eprintln!("{}", table.join("\n"));
}

/// `info.json` lists the SHA-256 of the inputs the run depended on, and each one is the hash of
/// the file on disk: the acquisition file itself, or (for a folder) the files read from it, and
/// always an iOS backup's manifest files.
fn custody_hashes_verify(case: &Case, info: &serde_json::Value, cell: &str) {
    let hashes: Vec<(String, String)> = info["run"]["target"]["hashes"]
        .as_array()
        .expect("hashes")
        .iter()
        .map(|h| (h["path"].as_str().expect("path").to_string(), h["sha256"].as_str().expect("sha").to_string()))
        .collect();
    let sha = |p: &Path| ferret_core::evidence::sha256_file(p).expect("hash");
    if case.path.is_file() {
        assert_eq!(hashes, vec![(case.path.display().to_string(), sha(&case.path))], "{cell}");
        return;
    }
    assert!(!hashes.is_empty(), "{cell}");
    if case.kind == AcquisitionKind::IosBackup {
        assert!(hashes.len() > 4, "{cell}: manifest files and the artifacts read: {hashes:?}");
        let roots: Vec<_> = hashes.iter().filter(|(p, _)| !p.contains('/')).collect();
        assert_eq!(roots.len(), 4, "{cell}: Info, Manifest.db/.plist, Status: {roots:?}");
        for (p, h) in roots {
            assert_eq!(&sha(&case.path.join(p)), h, "{cell}: {p}");
        }
    } else {
        for (p, h) in &hashes {
            assert_eq!(&sha(&case.path.join(p)), h, "{cell}: {p}");
        }
    }
}

/// A generated backup, and a valid indicator file none of whose indicators is on it: a check of
/// its contacts module with these reads records and raises no alert.
fn quiet_backup(work: &Path) -> (PathBuf, PathBuf) {
    let g = scenario::ios_backup(&work.join("b"), 41, SMALL).expect("backup");
    let decoys = work.join("decoys.stix2");
    std::fs::write(&decoys, ferret_testdata::stix::bundle(&[], 200, 7)).expect("bundle");
    (g.acquisition, decoys)
}

#[test]
fn indicator_coverage_decides_the_verdict() {
    let work = tempfile::tempdir().expect("tmp");
    let (backup, iocs) = quiet_backup(work.path());
    let bad = work.path().join("bad.json");
    std::fs::write(&bad, r#"{"x": 1}"#).expect("write");
    let empty = work.path().join("empty.stix2");
    std::fs::write(&empty, r#"{"type": "bundle", "id": "bundle--1", "objects": []}"#).expect("write");
    let before = snapshot(&backup);
    let run = |args: &[&str], out: &str| {
        let out = work.path().join(out);
        let mut a = vec!["-q", "ios", "check-backup", "-m", "contacts", "-o", s(&out)];
        a.extend_from_slice(args);
        a.push(s(&backup));
        (ferret().run(&a), out)
    };
    // a good indicator file, nothing found: green
    let (o, out) = run(&["--no-default-iocs", "--iocs", s(&iocs)], "good");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("CHECKED, NOTHING FOUND: no high or critical alert"), "{}", stdout(&o));
    assert_eq!(info(&out)["verdict"]["state"], "nothing_found");
    // an indicator file that is not one: incomplete, exit 2, said even with -q, in info.json and
    // at the top of the report
    for (file, why) in [(&bad, "not a STIX bundle"), (&empty, "no indicator could be loaded")] {
        let (o, out) = run(&["--iocs", s(file)], &format!("bad-{}", file.file_name().expect("n").to_string_lossy()));
        assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
        let text = stdout(&o);
        assert!(text.contains("INCOMPLETE") && text.contains(why), "{text}");
        assert_eq!(info(&out)["verdict"]["state"], "incomplete");
        let html = std::fs::read_to_string(out.join("report.html")).expect("report");
        let top = &html[..html.find("id=\"device\"").expect("device section")];
        assert!(top.contains("INCOMPLETE") && top.contains(why), "verdict at the top of the report");
    }
    // only the built-in set (no cache, no --iocs): exit 0, but the verdict names it
    let (o, out) = run(&[], "builtin");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("CHECKED, NOTHING FOUND, but with the built-in indicators only"), "{}", stdout(&o));
    assert_eq!(info(&out)["verdict"]["builtin_indicators_only"], true);
    let html = std::fs::read_to_string(out.join("report.html")).expect("report");
    assert!(html.contains("built-in indicators only"));
    // no indicator at all
    let (o, _) = run(&["--no-default-iocs"], "none");
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("no indicator was loaded"), "{}", stdout(&o));
    assert_eq!(before, snapshot(&backup));
}

#[test]
fn nothing_read_is_never_clean() {
    let work = tempfile::tempdir().expect("tmp");
    let (backup, iocs) = quiet_backup(work.path());
    // an FS dump with the folders iOS has but no artifact in them
    let dump = work.path().join("dump");
    std::fs::create_dir_all(dump.join("private/var/mobile/Library")).expect("mkdir");
    std::fs::create_dir_all(dump.join("private/var/root")).expect("mkdir");
    // an androidqf collection whose files are empty
    let qf = work.path().join("qf");
    std::fs::create_dir(&qf).expect("mkdir");
    for f in ["packages.json", "getprop.txt", "processes.json"] {
        std::fs::write(qf.join(f), "").expect("write");
    }
    for (path, command) in [(&dump, "check-fs"), (&qf, "check-androidqf")] {
        let family = if command == "check-fs" { "ios" } else { "android" };
        let out = work.path().join(format!("r-{command}"));
        let o = ferret().run([family, command, "--no-default-iocs", "--iocs", s(&iocs), "-o", s(&out), s(path)]);
        assert_eq!(o.status.code(), Some(2), "{command}: {}", stdout(&o));
        assert!(stdout(&o).contains("INCOMPLETE: this check cannot tell whether the phone is clean"), "{}", stdout(&o));
        assert_eq!(info(&out)["verdict"]["state"], "incomplete");
    }
    let _ = backup;
}

#[test]
fn outputs_never_land_inside_inputs() {
    let work = tempfile::tempdir().expect("tmp");
    let (backup, iocs) = quiet_backup(work.path());
    std::os::unix::fs::symlink(&backup, work.path().join("link")).expect("link");
    let before = snapshot(work.path());
    for out in [backup.join("results"), backup.clone(), work.path().join("link/results"), iocs.clone()] {
        let o = ferret().run(["check", "--iocs", s(&iocs), "-o", s(&out), s(&backup)]);
        assert_eq!(o.status.code(), Some(2), "{}: {}", out.display(), stdout(&o));
        assert!(stderr(&o).contains("inside the input"), "{}", stderr(&o));
    }
    // check-iocs: never into the results it re-checks, never into something that is not results
    assert_eq!(before, snapshot(work.path()));
    let results = work.path().join("results");
    let o =
        ferret().run(["ios", "check-backup", "--no-default-iocs", "--iocs", s(&iocs), "-o", s(&results), s(&backup)]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    let before = snapshot(work.path());
    let o = ferret().run([
        "check-iocs",
        "--no-default-iocs",
        "--iocs",
        s(&iocs),
        "-o",
        s(&results.join("recheck")),
        s(&results),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("inside the input"), "{}", stderr(&o));
    let etc = work.path().join("etc");
    std::fs::create_dir(&etc).expect("mkdir");
    std::fs::write(etc.join("passwd"), "root:x:0:0").expect("write");
    let before_etc = snapshot(work.path());
    let o = ferret().cwd(work.path()).run(["check-iocs", "--no-default-iocs", "--iocs", s(&iocs), s(&etc)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a ferret results folder"), "{}", stderr(&o));
    assert_eq!(before_etc, snapshot(work.path()), "nothing written anywhere");
    // the default output is a new folder in the current folder
    let cwd = tempfile::tempdir().expect("tmp");
    let o = ferret().cwd(cwd.path()).run(["check-iocs", "--no-default-iocs", "--iocs", s(&iocs), s(&results)]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    assert!(cwd.path().join("check-iocs-results/alerts.json").is_file());
    let o = ferret().cwd(cwd.path()).run(["check-iocs", "--no-default-iocs", "--iocs", s(&iocs), s(&results)]);
    assert!(matches!(o.status.code(), Some(0 | 1)));
    assert!(cwd.path().join("check-iocs-results-2/alerts.json").is_file(), "a second run gets a new folder");
    std::fs::remove_dir_all(etc).expect("rm");
    assert_eq!(before, snapshot(work.path()), "the re-checked results are untouched");
}

#[test]
fn another_runs_results_are_not_mixed_in() {
    let work = tempfile::tempdir().expect("tmp");
    let a = scenario::ios_backup(&work.path().join("a"), 51, SMALL).expect("a");
    let b = scenario::ios_backup(&work.path().join("b"), 52, SMALL).expect("b");
    let out = work.path().join("results");
    let run = |g: &scenario::Generated, extra: &[&str]| {
        let mut args = vec!["ios", "check-backup", "--no-default-iocs", "--iocs", s(&g.iocs), "-o", s(&out)];
        args.extend_from_slice(extra);
        args.push(s(&g.acquisition));
        ferret().run(args)
    };
    assert_eq!(run(&a, &[]).status.code(), Some(1));
    std::fs::write(out.join("analyst-notes.txt"), "mine").expect("write");
    let before = snapshot(&out);
    let o = run(&b, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("earlier ferret run on") && stderr(&o).contains("--force"), "{}", stderr(&o));
    assert_eq!(before, snapshot(&out), "refused run changed nothing");
    let o = run(&b, &["--force"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(info(&out)["run"]["target"]["path"], s(&b.acquisition));
    assert_eq!(std::fs::read_to_string(out.join("analyst-notes.txt")).expect("kept"), "mine");
    // a folder of someone else's files is refused even with --force
    let other = work.path().join("thesis");
    std::fs::create_dir(&other).expect("mkdir");
    std::fs::write(other.join("chapter1.docx"), "x").expect("write");
    let o = ferret().run(["ios", "check-backup", "--no-default-iocs", "-o", s(&other), "--force", s(&a.acquisition)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not ferret results"), "{}", stderr(&o));
}

#[test]
fn concurrent_runs_into_one_folder_do_not_mix() {
    let work = tempfile::tempdir().expect("tmp");
    let g = scenario::ios_backup(&work.path().join("a"), 53, Scale { sms: 2_000, decoys: 500 }).expect("a");
    let out = work.path().join("results");
    let spawn = || {
        ferret()
            .command([
                "-q",
                "ios",
                "check-backup",
                "--no-default-iocs",
                "--iocs",
                s(&g.iocs),
                "-o",
                s(&out),
                s(&g.acquisition),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn")
    };
    let (x, y) = (spawn(), spawn());
    let codes: Vec<Option<i32>> =
        [x, y].into_iter().map(|c| c.wait_with_output().expect("wait").status.code()).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(sorted, vec![Some(1), Some(2)], "one run wins, the other is refused: {codes:?}");
    let alerts: Vec<ferret_core::Alert> =
        serde_json::from_slice(&std::fs::read(out.join("alerts.json")).expect("alerts")).expect("valid JSON");
    assert!(!alerts.is_empty());
}

#[test]
fn paths_as_users_have_them() {
    use std::os::unix::ffi::OsStrExt;
    let work = tempfile::tempdir().expect("tmp");
    let g = scenario::ios_backup(&work.path().join("gen"), 61, SMALL).expect("backup");
    // spaces and non-ASCII
    let nice = work.path().join("Sauvegarde de Zoë (iPhone)");
    std::fs::rename(&g.acquisition, &nice).expect("rename");
    let out = work.path().join("résultats 1");
    let o = ferret().run(["check", "--no-default-iocs", "--iocs", s(&g.iocs), "-o", s(&out), s(&nice)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // relative paths
    let o = ferret().cwd(work.path()).run([
        "check",
        "--no-default-iocs",
        "--iocs",
        s(&g.iocs),
        "-o",
        "rel out",
        "Sauvegarde de Zoë (iPhone)",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(work.path().join("rel out/report.html").is_file());
    // not valid UTF-8: no panic
    let raw = work.path().join(std::ffi::OsStr::from_bytes(b"ev\xff"));
    std::fs::rename(&nice, &raw).expect("rename");
    let out = work.path().join(std::ffi::OsStr::from_bytes(b"r\xff"));
    let o = ferret().run([
        std::ffi::OsStr::new("check"),
        std::ffi::OsStr::new("--no-default-iocs"),
        std::ffi::OsStr::new("--iocs"),
        g.iocs.as_os_str(),
        std::ffi::OsStr::new("-o"),
        out.as_os_str(),
        raw.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"));
    assert!(info(&out)["run"]["command_line"].as_array().is_some_and(|a| a.len() == 8));
}

#[test]
fn the_terminal_tells_the_story() {
    let work = tempfile::tempdir().expect("tmp");
    let g = scenario::ios_backup(&work.path().join("a"), 71, SMALL).expect("a");
    let cwd = tempfile::tempdir().expect("tmp");
    let o = ferret().cwd(cwd.path()).run(["-q", "check", "--no-default-iocs", "--iocs", s(&g.iocs), s(&g.acquisition)]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    // each serious alert with level, module, time, message and indicator, then the verdict
    let crit = text.lines().find(|l| l.starts_with("  CRITICAL sms [")).unwrap_or_else(|| panic!("{text}"));
    assert!(crit.contains("UTC]: ") && crit.contains("(indicator "), "{crit}");
    let verdict_at = text.find("ALERTS FOUND").expect("verdict");
    assert!(text.find("  CRITICAL").expect("alert") < verdict_at, "alerts before the verdict");
    assert!(text.contains("Nothing was written (no -o DIR)"), "{text}");
    assert_eq!(std::fs::read_dir(cwd.path()).expect("ls").count(), 0, "nothing written without -o");
    // a closed pipe ends quietly with the verdict's code
    let mut child = ferret()
        .command(["check", "--no-default-iocs", "--iocs", s(&g.iocs), s(&g.acquisition)])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let o = child.wait_with_output().expect("wait");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
}

#[test]
fn mvt_habits_work() {
    let work = tempfile::tempdir().expect("tmp");
    let g = scenario::ios_backup(&work.path().join("a"), 81, SMALL).expect("a");
    let out = work.path().join("r");
    let o = ferret().run([
        "ios",
        "check-backup",
        "-i",
        s(&g.iocs),
        "--no-default-iocs",
        "-m",
        "SMS,Calls",
        "-o",
        s(&out),
        "-qppw123",
        s(&g.acquisition),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let modules: Vec<String> = info(&out)["modules"]
        .as_array()
        .expect("modules")
        .iter()
        .map(|m| m["module"].as_str().expect("name").to_string())
        .collect();
    assert_eq!(modules, vec!["sms", "calls"]);
    for f in ["info.json", "report.html", "command.log"] {
        let text = std::fs::read_to_string(out.join(f)).expect(f);
        assert!(!text.contains("pw123"), "password in {f}");
    }
    assert!(std::fs::read_to_string(out.join("info.json")).expect("info").contains("-qp<redacted>"));
    let o = ferret().run(["ios", "check-backup", "-m", "SafariHistroy", "--no-default-iocs", s(&g.acquisition)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean safari_history?"), "{}", stderr(&o));
    let o = ferret().run(["download-iocs"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("ferret iocs update"), "{}", stderr(&o));
    let o = ferret().run(["android", "check-adb"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("androidqf"), "{}", stderr(&o));
    let o = ferret().run(["check", "--list-modules"]);
    assert_eq!(o.status.code(), Some(0));
    for k in AcquisitionKind::ALL {
        assert!(stdout(&o).contains(&format!("Modules of `ferret {}`", k.command())), "{}", stdout(&o));
    }
}

#[test]
fn a_fifo_or_device_as_the_path_is_refused_at_once() {
    let work = tempfile::tempdir().expect("tmp");
    let fifo = work.path().join("acquisition.zip");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
    for path in [fifo.as_path(), Path::new("/dev/zero")] {
        for command in [&["check"][..], &["android", "check-bugreport"], &["ios", "check-fs"], &["check", "-l"]] {
            let mut args = command.to_vec();
            args.extend(["--no-default-iocs", s(path)]);
            let o = ferret().run(&args); // would block forever before the check
            assert_eq!(o.status.code(), Some(2), "{args:?}");
            assert!(stderr(&o).contains("is not a regular file or a folder"), "{}", stderr(&o));
        }
    }
}

#[test]
fn iocs_list_shows_every_set_a_check_loads() {
    let work = tempfile::tempdir().expect("tmp");
    let g = scenario::ios_backup(&work.path().join("a"), 91, SMALL).expect("a");
    let o = ferret().env("FERRET_IOCS", &g.iocs).run(["iocs", "list", "--cache-dir", s(&work.path().join("cache"))]);
    let text = stdout(&o);
    assert!(text.contains("[built-in] Paragon Graphite"), "{text}");
    assert!(text.contains("[environment]") && text.contains(s(&g.iocs)), "{text}");
    assert!(text.contains("the indicator cache is empty") || text.contains("empty"), "{text}");
}

#[test]
fn demo_only_replaces_its_own_folder() {
    let work = tempfile::tempdir().expect("tmp");
    let dir = work.path().join("d");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::write(dir.join("truth.json"), "{}").expect("write");
    std::fs::write(dir.join("thesis.docx"), "precious").expect("write");
    let o = ferret().run(["demo", "--dir", s(&dir), "--sms", "50"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("was not made by `ferret demo`"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(dir.join("thesis.docx")).expect("kept"), "precious");
    let fresh = work.path().join("demo");
    for _ in 0..2 {
        let o = ferret().run(["demo", "--dir", s(&fresh), "--sms", "50"]);
        assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    }
}

#[test]
fn sigterm_and_sighup_remove_the_scratch_folder() {
    let work = tempfile::tempdir().expect("tmp");
    let g = scenario::ios_backup(&work.path().join("a"), 95, Scale { sms: 20_000, decoys: 500 }).expect("a");
    for signal in ["-TERM", "-HUP"] {
        let tmp = work.path().join(format!("tmp{signal}"));
        std::fs::create_dir(&tmp).expect("mkdir");
        let mut child = ferret()
            .env("TMPDIR", &tmp)
            .command([
                "-q",
                "ios",
                "check-backup",
                "--no-default-iocs",
                "--threads",
                "1",
                "-o",
                s(&work.path().join(format!("r{signal}"))),
                s(&g.acquisition),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        // wait until the run's scratch folder exists, then send the signal
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::time::Instant::now() < deadline && std::fs::read_dir(&tmp).expect("ls").next().is_none() {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let _ = std::process::Command::new("kill").args([signal, &child.id().to_string()]).status();
        let status = child.wait().expect("wait");
        if status.code() == Some(130) {
            assert_eq!(std::fs::read_dir(&tmp).expect("ls").count(), 0, "{signal}: scratch folder left");
        } else {
            // the run finished before the signal arrived: it cleaned up on its own
            assert!(matches!(status.code(), Some(0..=2)), "{signal}: {status:?}");
            assert_eq!(std::fs::read_dir(&tmp).expect("ls").count(), 0);
        }
    }
}

/// A batch: indicators are loaded once; every acquisition gets its own results folder with its
/// own alerts (what was planted in it and nothing of the other's); an acquisition that cannot
/// be checked is listed with its error while the others are checked; batch.json lists all,
/// and the exit status is the worst case (alerts). Without --output a batch is refused.
#[test]
fn a_batch_checks_each_acquisition_on_its_own() {
    let work = tempfile::tempdir().expect("tmp");
    let a = scenario::ios_backup(&work.path().join("a"), 11, SMALL).expect("a");
    let b = scenario::ios_backup(&work.path().join("b"), 12, SMALL).expect("b");
    // one bundle with both phones' indicators
    let mut both = a.truth.indicators.clone();
    both.extend(b.truth.indicators.iter().cloned());
    let iocs = work.path().join("both.stix2");
    std::fs::write(&iocs, ferret_testdata::stix::bundle(&both, 300, 3)).expect("bundle");
    let missing = work.path().join("nowhere");
    let out = work.path().join("out");
    let before = (snapshot(&a.acquisition), snapshot(&b.acquisition));
    let o = ferret().run([
        "-q",
        "ios",
        "check-backup",
        "--no-default-iocs",
        "--iocs",
        s(&iocs),
        "-o",
        s(&out),
        s(&a.acquisition),
        s(&missing),
        s(&b.acquisition),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}\n{}", stdout(&o), stderr(&o));
    let list: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("batch.json")).expect("batch.json")).expect("json");
    let rows = list.as_array().expect("array");
    assert_eq!(rows.len(), 3);
    let verdicts: Vec<&str> = rows.iter().map(|r| r["verdict"].as_str().expect("verdict")).collect();
    assert_eq!(verdicts, ["alerts_found", "error", "alerts_found"]);
    assert!(rows[1]["error"].as_str().expect("error").contains("no such file"), "{}", rows[1]);
    // both backups are named `backup`: numbered folders, in order (the missing input took the
    // second name)
    let folders: Vec<&str> = rows.iter().filter_map(|r| r["results"].as_str()).collect();
    assert_eq!(folders, [s(&out.join("backup")), s(&out.join("backup-2"))]);
    // recall and precision per phone: each folder has exactly its own planted alerts
    for (folder, truth) in [(out.join("backup"), &a.truth), (out.join("backup-2"), &b.truth)] {
        let alerts: Vec<ferret_core::Alert> =
            serde_json::from_slice(&std::fs::read(folder.join("alerts.json")).expect("alerts")).expect("json");
        let cmp = ferret_testdata::truth::compare(&truth.alerts, &alerts, None);
        assert!(cmp.missed.is_empty(), "{}: missed {:?}", folder.display(), cmp.missed);
        assert!(cmp.unexpected.is_empty(), "{}: unexpected {:?}", folder.display(), cmp.unexpected);
        let log = std::fs::read_to_string(folder.join("command.log")).expect("log");
        assert!(log.contains("loaded once for the batch"), "{log}");
    }
    assert_eq!(before, (snapshot(&a.acquisition), snapshot(&b.acquisition)));
    // several acquisitions and no --output: refused before anything runs
    let o = ferret().run(["ios", "check-backup", "--no-default-iocs", s(&a.acquisition), s(&b.acquisition)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("several acquisitions need --output"), "{}", stderr(&o));
}
