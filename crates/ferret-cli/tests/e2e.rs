//! End-to-end tests of the `ferret` binary on generated acquisitions: exact recall and
//! precision, determinism across runs and thread counts, check-iocs parity, evidence
//! immutability, and bad-input exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ferret_core::Alert;
use ferret_testdata::scenario::{self, Generated, Scale};
use ferret_testdata::testkit::{Ferret, s, snapshot, tree};
use ferret_testdata::truth::compare;

fn ferret(args: &[&str]) -> Output {
    Ferret::new(env!("CARGO_BIN_EXE_ferret")).run(args)
}

fn generate(dir: &Path) -> Generated {
    scenario::ios_backup(dir, 11, Scale { sms: 300, decoys: 2_000 }).expect("generates")
}

fn alerts(dir: &Path) -> Vec<Alert> {
    serde_json::from_slice(&std::fs::read(dir.join("alerts.json")).expect("alerts.json")).expect("parses")
}

#[test]
fn backup_check_is_exact_deterministic_and_read_only() {
    let work = tempfile::tempdir().expect("tmp");
    let g = generate(work.path());
    let before = snapshot(&g.acquisition);

    let out1 = work.path().join("r1");
    let o = ferret(&[
        "ios",
        "check-backup",
        "--no-default-iocs",
        "--iocs",
        s(&g.iocs),
        "-o",
        s(&out1),
        "--threads",
        "1",
        s(&g.acquisition),
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "HIGH/CRITICAL alerts -> exit 1; stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );

    // Recall and precision against the ground truth, over every module.
    let got = alerts(&out1);
    let cmp = compare(&g.truth.alerts, &got, None);
    assert!(cmp.missed.is_empty(), "missed: {:#?}", cmp.missed);
    assert!(
        cmp.unexpected.is_empty(),
        "unexpected: {:#?}",
        cmp.unexpected.iter().map(|a| (&a.module, &a.message)).collect::<Vec<_>>()
    );
    assert_eq!(got.len(), g.truth.alerts.len());

    // Determinism: a second run with two threads, through auto-detection, gives identical files
    // except the documented time fields (info.json) and the log (command.log).
    let out2 = work.path().join("r2");
    let o = ferret(&[
        "check",
        "--no-default-iocs",
        "--iocs",
        s(&g.iocs),
        "-o",
        s(&out2),
        "--threads",
        "2",
        s(&g.acquisition),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let (t1, t2) = (tree(&out1), tree(&out2));
    assert_eq!(t1.keys().collect::<Vec<_>>(), t2.keys().collect::<Vec<_>>());
    for (name, bytes) in &t1 {
        let n = name.to_string_lossy();
        if n == "info.json" || n == "command.log" {
            continue;
        }
        if n == "report.html" {
            // The report quotes the command line, which differs on purpose between the two runs.
            let strip = |b: &[u8]| {
                let t = String::from_utf8_lossy(b).into_owned();
                t.lines().filter(|l| !l.contains("Command: <code>")).collect::<Vec<_>>().join("\n")
            };
            assert!(strip(bytes) == strip(&t2[name]), "report.html differs beyond the command line");
            continue;
        }
        assert!(bytes == &t2[name], "{n} differs between runs");
    }
    for required in [
        "alerts.json",
        "alerts_timeline.csv",
        "timeline.csv",
        "timeline.jsonl",
        "info.json",
        "command.log",
        "report.html",
        "sms.json",
        "sms_detected.json",
        "urls.json",
    ] {
        assert!(t1.contains_key(Path::new(required)), "{required} missing");
    }
    // urls.json: exactly the distinct links of the stored messages (SMS and WhatsApp), sorted
    let mut want = std::collections::BTreeSet::new();
    for m in ["sms.json", "whatsapp.json"] {
        let Some(bytes) = t1.get(Path::new(m)) else { continue };
        let recs: Vec<serde_json::Value> = serde_json::from_slice(bytes).expect(m);
        for r in recs {
            want.extend(r["links"].as_array().expect("links").iter().map(|l| l.as_str().expect("str").to_string()));
        }
    }
    let urls: Vec<serde_json::Value> = serde_json::from_slice(&t1[Path::new("urls.json")]).expect("urls.json");
    let got: Vec<String> = urls.iter().map(|u| u["url"].as_str().expect("url").to_string()).collect();
    assert!(!got.is_empty());
    assert_eq!(got, want.into_iter().collect::<Vec<_>>());

    // The evidence is untouched: same files, bytes, sizes, modes and mtimes; no -wal/-shm created.
    assert_eq!(before, snapshot(&g.acquisition));
}

#[test]
fn check_iocs_on_stored_results_finds_what_a_full_run_finds() {
    let work = tempfile::tempdir().expect("tmp");
    let g = generate(work.path());
    // A run with no indicators: heuristics only.
    let first = work.path().join("first");
    let o = ferret(&["ios", "check-backup", "--no-default-iocs", "-o", s(&first), s(&g.acquisition)]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&o.stderr));
    // A full run with the indicators.
    let full = work.path().join("full");
    ferret(&["ios", "check-backup", "--no-default-iocs", "--iocs", s(&g.iocs), "-o", s(&full), s(&g.acquisition)]);
    // Re-check the stored results of the first run with the indicators.
    let before = snapshot(&first);
    let recheck = work.path().join("recheck");
    let o = ferret(&["check-iocs", "--no-default-iocs", "--iocs", s(&g.iocs), "-o", s(&recheck), s(&first)]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(before, snapshot(&first), "the re-checked folder is not written to");
    let rechecked = alerts(&recheck);
    let full_alerts = alerts(&full);
    let key = |a: &Alert| (a.module.clone(), a.level, a.message.clone(), a.matched_indicator.clone());
    let mut x: Vec<_> = rechecked.iter().map(key).collect();
    let mut y: Vec<_> = full_alerts.iter().map(key).collect();
    x.sort();
    y.sort();
    assert_eq!(x, y);
}

#[test]
fn prepared_indicator_copies_live_in_the_data_folder_and_change_nothing() {
    let work = tempfile::tempdir().expect("tmp");
    let g = generate(work.path());
    assert!(std::fs::metadata(&g.iocs).expect("iocs").len() > 1 << 20, "large enough to be prepared");
    let data = work.path().join("data");
    std::fs::create_dir(&data).expect("mkdir");
    let run = |out: &Path, env: &[(&str, &Path)]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ferret"));
        c.args(["ios", "check-backup", "--no-default-iocs", "--iocs", s(&g.iocs), "-o", s(out), s(&g.acquisition)])
            .env_remove("FERRET_IOCS")
            .env_remove("MVT_STIX2")
            .env_remove("FERRET_NO_PREPARED");
        for (k, v) in env {
            c.env(k, v);
        }
        let o = c.output().expect("runs");
        assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
        let info: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("info.json")).expect("info.json")).expect("json");
        (alerts(out), info["run"]["indicators"].clone())
    };
    let copies = || -> Vec<PathBuf> {
        std::fs::read_dir(data.join("prepared")).map(|rd| rd.flatten().map(|e| e.path()).collect()).unwrap_or_default()
    };
    // first run writes the copy, the second reads it: same alerts, same indicator report
    let first = run(&work.path().join("r1"), &[("FERRET_DATA_DIR", &data)]);
    assert!(first.1["files"].is_array(), "{}", first.1);
    assert_eq!(copies().len(), 1, "{:?}", copies());
    let second = run(&work.path().join("r2"), &[("FERRET_DATA_DIR", &data)]);
    assert_eq!(first, second);
    assert_eq!(copies().len(), 1);
    let off = run(&work.path().join("r3"), &[("FERRET_DATA_DIR", &data), ("FERRET_NO_PREPARED", Path::new("1"))]);
    assert_eq!(first, off);
    // a data folder that does not exist is not created
    let missing = work.path().join("missing");
    let third = run(&work.path().join("r4"), &[("FERRET_DATA_DIR", &missing)]);
    assert_eq!(first, third);
    assert!(!missing.exists());
}

#[test]
fn bad_inputs_exit_2_with_a_reason() {
    let work = tempfile::tempdir().expect("tmp");
    let o = ferret(&["ios", "check-backup", s(&work.path().join("missing"))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no such file"));

    let o = ferret(&["check", s(work.path())]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("not a recognised acquisition"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    let o = ferret(&["ios", "check-backup", "--no-default-iocs", s(work.path())]);
    assert_eq!(o.status.code(), Some(2), "an empty folder is not a backup");

    let o = ferret(&["ios", "check-backup", "--module", "nope", "--no-default-iocs", s(work.path())]);
    assert_eq!(o.status.code(), Some(2));

    let o = ferret(&["ios", "check-backup", "--list-modules"]);
    assert_eq!(o.status.code(), Some(0));
    let listed = String::from_utf8_lossy(&o.stdout);
    for m in ["sms", "safari_history", "datausage", "manifest", "backup_info", "tcc", "whatsapp"] {
        assert!(listed.lines().any(|l| l.trim_start().starts_with(&format!("{m} "))), "{m} not listed");
    }
}

#[test]
fn demo_runs_and_matches_its_ground_truth() {
    let work = tempfile::tempdir().expect("tmp");
    let dir = work.path().join("demo");
    let o = ferret(&["demo", "--dir", s(&dir), "--sms", "200"]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("missed 0, unexpected alerts 0"), "{stdout}");
    assert!(dir.join("results/report.html").is_file());
    // the demo's planted cases lie days apart: no incident window
    let windows = std::fs::read_to_string(dir.join("results/incidents.json")).expect("incidents.json");
    assert_eq!(windows.trim(), "[]");
}

#[test]
fn filesystem_dump_folder_and_tar_gz_exact_and_identical() {
    use ferret_testdata::scenario::FsLayout;
    let mut records = Vec::new();
    for layout in [FsLayout::Folder, FsLayout::TarGz] {
        let work = tempfile::tempdir().expect("tmp");
        let g = scenario::ios_fs(work.path(), 12, Scale { sms: 300, decoys: 2_000 }, layout).expect("gen");
        let out = work.path().join("r");
        let o = ferret(&["check", "--no-default-iocs", "--iocs", s(&g.iocs), "-o", s(&out), s(&g.acquisition)]);
        assert_eq!(o.status.code(), Some(1), "{layout:?}: {}", String::from_utf8_lossy(&o.stderr));
        let got = alerts(&out);
        let cmp = compare(&g.truth.alerts, &got, None);
        assert!(cmp.missed.is_empty(), "{layout:?} missed: {:#?}", cmp.missed);
        assert!(
            cmp.unexpected.is_empty(),
            "{layout:?} unexpected: {:#?}",
            cmp.unexpected.iter().map(|a| (&a.module, a.level, &a.message)).collect::<Vec<_>>()
        );
        records.push(std::fs::read(out.join("alerts.json")).expect("alerts"));
    }
    assert!(records[0] == records[1], "folder and tar.gz dumps give the same alerts");
}

#[test]
fn encrypted_backup_password_key_and_decrypt() {
    let work = tempfile::tempdir().expect("tmp");
    let g = scenario::ios_encrypted_backup(work.path(), 13, Scale { sms: 200, decoys: 1_000 }, "hunter2 pw", 1_000)
        .expect("gen");
    let before = snapshot(&g.acquisition);
    let run = |extra: &[&str], out: &Path, env: &[(&str, &str)]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ferret"));
        c.args(["ios", "check-backup", "--no-default-iocs", "--iocs", s(&g.iocs), "-o", s(out)])
            .args(extra)
            .arg(s(&g.acquisition));
        for (k, v) in env {
            c.env(k, v);
        }
        c.env_remove("MVT_IOS_BACKUP_PASSWORD").output().expect("runs")
    };
    // No password: a clear message, exit 2.
    let o = run(&[], &work.path().join("r0"), &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("encrypted"), "{}", String::from_utf8_lossy(&o.stderr));
    // Wrong password: "wrong password", exit 2.
    let o = run(&["--password-env", "PW"], &work.path().join("r1"), &[("PW", "nope")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("wrong password"));
    // Right password: exact recall and precision.
    let out = work.path().join("r2");
    let o = run(&["--password-env", "PW"], &out, &[("PW", "hunter2 pw")]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let cmp = compare(&g.truth.alerts, &alerts(&out), None);
    assert!(
        cmp.is_exact(),
        "missed {:#?} unexpected {:#?}",
        cmp.missed,
        cmp.unexpected.iter().map(|a| &a.message).collect::<Vec<_>>()
    );
    // Key derived once, reused.
    let key = work.path().join("key.txt");
    let o = ferret(&[
        "ios",
        "extract-key",
        "--password-file",
        s(&write_pw(work.path())),
        "--key-file",
        s(&key),
        s(&g.acquisition),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let out3 = work.path().join("r3");
    let o = run(&["--key-file", s(&key)], &out3, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read(out.join("alerts.json")).expect("a"), std::fs::read(out3.join("alerts.json")).expect("b"));
    // decrypt-backup writes a plain backup that checks the same.
    let dec = work.path().join("dec");
    let o = ferret(&["ios", "decrypt-backup", "--key-file", s(&key), "-d", s(&dec), s(&g.acquisition)]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let out4 = work.path().join("r4");
    let o = ferret(&["ios", "check-backup", "--no-default-iocs", "--iocs", s(&g.iocs), "-o", s(&out4), s(&dec)]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read(out.join("alerts.json")).expect("a"), std::fs::read(out4.join("alerts.json")).expect("b"));
    // The encrypted evidence is untouched and no plaintext was left next to it.
    assert_eq!(before, snapshot(&g.acquisition));
}

fn write_pw(dir: &Path) -> PathBuf {
    let p = dir.join("pw.txt");
    std::fs::write(&p, "hunter2 pw\n").expect("pw");
    p
}

#[test]
fn wrong_password_writes_nothing_and_interrupt_leaves_no_plaintext() {
    let work = tempfile::tempdir().expect("tmp");
    let g =
        scenario::ios_encrypted_backup(work.path(), 14, Scale { sms: 3_000, decoys: 100 }, "pw", 1_000).expect("gen");
    let out = work.path().join("results");
    let o = Command::new(env!("CARGO_BIN_EXE_ferret"))
        .args(["ios", "check-backup", "--no-default-iocs", "-p", "wrong", "-o", s(&out), s(&g.acquisition)])
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(!out.exists(), "nothing written on a wrong password");

    // Interrupt a check while decrypted copies exist: the private temp folder must be gone.
    let tmp = work.path().join("tmp");
    std::fs::create_dir(&tmp).expect("tmp");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferret"))
        .args(["-q", "ios", "check-backup", "--no-default-iocs", "-p", "pw", "--threads", "1", s(&g.acquisition)])
        .env("TMPDIR", &tmp)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    // Wait until the run's scratch folder exists, then interrupt. (Decrypted databases are kept
    // in memory, never copied to scratch: see hostile_budgets.rs for the plaintext checks.)
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut saw_copy = false;
    while std::time::Instant::now() < deadline {
        if std::fs::read_dir(&tmp).map(|mut d| d.next().is_some()).unwrap_or(false) {
            saw_copy = true;
            break;
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let status = child.wait().expect("wait");
    assert!(saw_copy, "the check never started");
    assert_eq!(status.code(), Some(130), "interrupted exit status");
    assert!(tree(&tmp).is_empty(), "temporary plaintext left behind: {:?}", tree(&tmp).keys().collect::<Vec<_>>());
    assert_eq!(std::fs::read_dir(&tmp).expect("ls").count(), 0, "no scratch folder left");
}

#[test]
fn builtin_curated_sets_find_planted_implant_files_without_any_indicator_file() {
    use ferret_testdata::scenario::FsLayout;
    let work = tempfile::tempdir().expect("tmp");
    let g = scenario::ios_fs(work.path(), 13, Scale { sms: 50, decoys: 200 }, FsLayout::Folder).expect("gen");
    // built-in sets only: the generated dump's own files match none of them
    let builtin_hits = |out: &Path| -> Vec<(String, String, String)> {
        let mut v: Vec<_> = alerts(out)
            .into_iter()
            .filter_map(|a| a.matched_indicator)
            .filter(|m| {
                m.stix2_file_name == "mercenary-implants.stix2" || m.stix2_file_name == "paragon-graphite.stix2"
            })
            .map(|m| (m.name, m.kind, m.value))
            .collect();
        v.sort();
        v
    };
    let clean = work.path().join("clean");
    let o = ferret(&["check", "-o", s(&clean), s(&g.acquisition)]);
    assert!(o.status.code().is_some_and(|c| c < 2), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(builtin_hits(&clean), vec![]);
    // two implant files planted: exactly those two, named after their families
    for planted in ["private/var/tmp/pl.core.lock", "private/var/tmp/keychain_dump.txt"] {
        let p = g.acquisition.join(planted);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, b"x").expect("plant");
    }
    let out = work.path().join("planted");
    let o = ferret(&["check", "-o", s(&out), s(&g.acquisition)]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let names: Vec<(String, String, String)> = builtin_hits(&out);
    assert_eq!(
        names,
        vec![
            (
                "Coruna exploit kit (PLASMAGRID implant)".into(),
                "file_paths".into(),
                "/private/var/tmp/pl.core.lock".into()
            ),
            (
                "DarkSword (GHOSTBLADE / GHOSTKNIFE / GHOSTSABER payloads)".into(),
                "file_paths".into(),
                "/private/var/tmp/keychain_dump.txt".into()
            ),
        ]
    );
}
