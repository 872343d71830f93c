//! End-to-end: generated acquisitions → open → all modules → alerts, compared with the truth
//! (recall and precision), plus error cases.
#![allow(clippy::print_stderr)]

use std::path::Path;

use ferret_android::{AndroidError, detect, modules, open};
use ferret_core::Secrets;
use ferret_core::module::testing::run_one;
use ferret_core::{AcquisitionKind, Alert, Context, Evidence, Outcome, RunOptions};
use ferret_testdata::android::androidqf::{
    AqfSpec, age_identity_string, write_androidqf_age, write_androidqf_dir, write_androidqf_zip,
};
use ferret_testdata::android::backup::{AbSpec, ab_bytes};
use ferret_testdata::android::bugreport::{BugreportSpec, write_bugreport_zip};
use ferret_testdata::fake::TruthIndicators;
use ferret_testdata::truth::{Truth, compare};

struct Run {
    alerts: Vec<Alert>,
    outcomes: Vec<(String, Result<Outcome, String>)>,
    warnings: Vec<String>,
}

fn run_all(ev: &dyn Evidence, kind: AcquisitionKind, truth: &Truth) -> Run {
    let ind = TruthIndicators::new(truth);
    let opts = RunOptions::default();
    let ctx = Context { evidence: ev, indicators: &ind, options: &opts };
    let mut run = Run { alerts: Vec::new(), outcomes: Vec::new(), warnings: Vec::new() };
    for m in modules(kind) {
        let r = run_one(m.as_ref(), &ctx);
        run.outcomes.push((m.info().name.to_string(), r.outcome.clone()));
        run.alerts.extend(r.alerts);
        run.warnings.extend(r.warnings);
    }
    run
}

fn assert_exact(run: &Run, truth: &Truth) {
    eprintln!("truth: {} expected alerts; run: {} alerts", truth.alerts.len(), run.alerts.len());
    assert!(!truth.alerts.is_empty());
    for (m, o) in &run.outcomes {
        assert!(o.is_ok(), "module {m} failed: {o:?}");
    }
    let cmp = compare(&truth.alerts, &run.alerts, None);
    if !cmp.is_exact() {
        for m in &cmp.missed {
            eprintln!("MISSED {m:?}");
        }
        for u in &cmp.unexpected {
            eprintln!("UNEXPECTED {} {} {}", u.module, u.level, u.message);
        }
        panic!("{} missed, {} unexpected", cmp.missed.len(), cmp.unexpected.len());
    }
}

fn err<T>(r: Result<T, AndroidError>) -> AndroidError {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

fn outcome<'a>(run: &'a Run, module: &str) -> &'a Result<Outcome, String> {
    &run.outcomes.iter().find(|(m, _)| m == module).expect("module ran").1
}

#[test]
fn bugreport_zip_recall_and_precision() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("bugreport.zip");
    let (truth, cast) = write_bugreport_zip(&p, &BugreportSpec::default()).expect("generate");
    assert_eq!(detect(&p).map(|d| d.kind), Some(AcquisitionKind::AndroidBugreport));
    let ev = open(&p, AcquisitionKind::AndroidBugreport, &Secrets::default()).expect("open").evidence;
    let run = run_all(ev.as_ref(), AcquisitionKind::AndroidBugreport, &truth);
    assert_exact(&run, &truth);
    assert!(run.warnings.iter().any(|w| w.contains("malformed protobuf tombstone")), "{:?}", run.warnings);
    // the likely stalkerware is named by the summary alert
    assert!(
        run.alerts.iter().any(|a| a.module == "stalkerware_score" && a.message.starts_with(&cast.stalker)),
        "{:?}",
        run.alerts.iter().map(|a| &a.message).collect::<Vec<_>>()
    );
    // nothing was written next to the evidence
    assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);
}

#[test]
fn recheck_of_stored_records_gives_the_same_alerts() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("acq");
    let truth = write_androidqf_dir(&p, &AqfSpec::default()).expect("generate");
    let ev = open(&p, AcquisitionKind::AndroidQf, &Secrets::default()).expect("open").evidence;
    let ind = TruthIndicators::new(&truth);
    let opts = RunOptions::default();
    let ctx = Context { evidence: ev.as_ref(), indicators: &ind, options: &opts };
    let mut all = Vec::new();
    for m in modules(AcquisitionKind::AndroidQf) {
        let r = run_one(m.as_ref(), &ctx);
        let mut sink = ferret_core::module::testing::MemorySink::default();
        let mut tl = ferret_core::module::testing::MemoryTimeline::default();
        let mut out = ferret_core::Output::new(m.info().name, &mut sink, &mut tl);
        for rec in r.records {
            assert!(m.recheck(rec, &ind, &mut out).expect("recheck"), "{}", m.info().name);
        }
        let (again, _, _) = out.into_parts();
        let key = |a: &Alert| (a.level, a.message.clone(), a.event.to_string());
        let mut x: Vec<_> = r.alerts.iter().map(key).collect();
        let mut y: Vec<_> = again.iter().map(key).collect();
        x.sort();
        y.sort();
        assert_eq!(x, y, "module {}", m.info().name);
        all.extend(again);
    }
    assert!(compare(&truth.alerts, &all, None).is_exact());
}

#[test]
fn bugreport_folder_works_like_the_zip() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("bugreport.zip");
    let (truth, _) = write_bugreport_zip(&p, &BugreportSpec { seed: 9, ..BugreportSpec::default() }).expect("generate");
    let out = dir.path().join("extracted");
    let z = ferret_core::zip::ZipEvidence::open(&p, AcquisitionKind::AndroidBugreport).expect("zip");
    z.walk(&mut |f| {
        let target = out.join(&f.path);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::write(&target, z.read(f, 1 << 30).expect("read")).expect("write");
    })
    .expect("walk");
    assert_eq!(detect(&out).map(|d| d.kind), Some(AcquisitionKind::AndroidBugreport));
    let ev = open(&out, AcquisitionKind::AndroidBugreport, &Secrets::default()).expect("open").evidence;
    assert_exact(&run_all(ev.as_ref(), AcquisitionKind::AndroidBugreport, &truth), &truth);
}

#[test]
fn older_bugreport_without_sections_says_not_found() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("bugreport.zip");
    let spec =
        BugreportSpec { omit_services: vec!["accessibility", "platform_compat", "dbinfo"], ..BugreportSpec::default() };
    let (truth, _) = write_bugreport_zip(&p, &spec).expect("generate");
    let ev = open(&p, AcquisitionKind::AndroidBugreport, &Secrets::default()).expect("open").evidence;
    let run = run_all(ev.as_ref(), AcquisitionKind::AndroidBugreport, &truth);
    for m in ["dumpsys_accessibility", "dumpsys_platform_compat", "dumpsys_dbinfo"] {
        assert_eq!(outcome(&run, m), &Ok(Outcome::NotFound), "{m}");
    }
    assert_eq!(outcome(&run, "dumpsys_packages"), &Ok(Outcome::Completed));
    assert_exact(&run, &truth);
}

#[test]
fn a_zip_that_is_not_a_bugreport_gives_not_found() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("x.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&p).expect("create"));
    z.start_file("readme.txt", zip::write::SimpleFileOptions::default()).expect("start");
    std::io::Write::write_all(&mut z, b"hello").expect("write");
    z.finish().expect("finish");
    assert_eq!(detect(&p).map(|d| d.kind), None);
    let ev = open(&p, AcquisitionKind::AndroidBugreport, &Secrets::default()).expect("open").evidence;
    let run = run_all(ev.as_ref(), AcquisitionKind::AndroidBugreport, &Truth::default());
    assert!(run.outcomes.iter().all(|(_, o)| o == &Ok(Outcome::NotFound)), "{:?}", run.outcomes);
    assert!(run.alerts.is_empty());
}

fn check_qf(path: &Path, truth: &Truth) {
    assert_eq!(detect(path).map(|d| d.kind), Some(AcquisitionKind::AndroidQf));
    let opened = open(path, AcquisitionKind::AndroidQf, &Secrets::default()).expect("open");
    let (ev, notes) = (opened.evidence, opened.problems);
    assert!(notes.is_empty(), "{notes:?}");
    let run = run_all(ev.as_ref(), AcquisitionKind::AndroidQf, truth);
    assert_exact(&run, truth);
    // the nested bugreport and backup modules did run
    assert_eq!(outcome(&run, "dumpsys_packages"), &Ok(Outcome::Completed));
    assert_eq!(outcome(&run, "sms"), &Ok(Outcome::Completed));
    assert_eq!(outcome(&run, "aqf_log_timestamps"), &Ok(Outcome::Completed));
}

#[test]
fn androidqf_folder_recall_and_precision() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("acq");
    let truth = write_androidqf_dir(&root, &AqfSpec::default()).expect("generate");
    check_qf(&root, &truth);
}

#[test]
fn androidqf_without_bugreport_reads_its_dumpsys_txt() {
    // androidqf's own dumpsys.txt feeds the same dumpsys modules (and stalkerware_score) when
    // there is no bugreport.zip: exact recall and precision over every module, folder and zip.
    let dir = tempfile::tempdir().expect("tmp");
    let spec = AqfSpec { bugreport: None, ..AqfSpec::default() };
    let root = dir.path().join("acq");
    let truth = write_androidqf_dir(&root, &spec).expect("generate");
    for m in ["dumpsys_packages", "dumpsys_receivers", "dumpsys_accessibility", "stalkerware_score"] {
        assert!(truth.alerts.iter().any(|a| a.module == m), "the dumpsys.txt truth has {m} alerts");
    }
    check_qf(&root, &truth);
    let p = dir.path().join("acq.zip");
    let truth = write_androidqf_zip(&p, &spec).expect("generate");
    check_qf(&p, &truth);
    // Without dumpsys.txt either, the dumpsys modules say "not found".
    let none = dir.path().join("none");
    let spec = AqfSpec { bugreport: None, dumpsys_txt: None, ..AqfSpec::default() };
    let truth = write_androidqf_dir(&none, &spec).expect("generate");
    let ev = open(&none, AcquisitionKind::AndroidQf, &Secrets::default()).expect("open").evidence;
    let run = run_all(ev.as_ref(), AcquisitionKind::AndroidQf, &truth);
    for m in ["dumpsys_packages", "stalkerware_score"] {
        assert_eq!(outcome(&run, m), &Ok(Outcome::NotFound), "{m}");
    }
    assert_exact(&run, &truth);
}

#[test]
fn androidqf_zip_recall_and_precision() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("acq.zip");
    let truth = write_androidqf_zip(&p, &AqfSpec::default()).expect("generate");
    check_qf(&p, &truth);
    assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);
}

#[test]
fn androidqf_age_right_and_wrong_identity() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("acq.zip.age");
    let spec = AqfSpec { backup: None, ..AqfSpec::default() };
    let truth = write_androidqf_age(&p, &spec, 1).expect("generate");
    let good = dir.path().join("key.txt");
    std::fs::write(&good, format!("# created: synthetic\n{}\n", age_identity_string(1))).expect("w");
    let bad = dir.path().join("other.txt");
    std::fs::write(&bad, format!("{}\n", age_identity_string(2))).expect("w");
    assert_eq!(detect(&p).map(|d| d.kind), Some(AcquisitionKind::AndroidQf));
    let s = Secrets { key_file: Some(good), ..Secrets::default() };
    let ev = open(&p, AcquisitionKind::AndroidQf, &s).expect("open").evidence;
    let run = run_all(ev.as_ref(), AcquisitionKind::AndroidQf, &truth);
    assert_exact(&run, &truth);
    drop(ev);
    let s = Secrets { key_file: Some(bad), ..Secrets::default() };
    let e = err(open(&p, AcquisitionKind::AndroidQf, &s));
    assert!(matches!(e, AndroidError::WrongAgeIdentity { .. }), "{e}");
    let e = err(open(&p, AcquisitionKind::AndroidQf, &Secrets::default()));
    assert!(matches!(e, AndroidError::AgeIdentityNeeded { .. }), "{e}");
    let junk = dir.path().join("junk.txt");
    std::fs::write(&junk, "not a key\n").expect("w");
    let s = Secrets { key_file: Some(junk), ..Secrets::default() };
    assert!(matches!(open(&p, AcquisitionKind::AndroidQf, &s), Err(AndroidError::BadAgeIdentity { .. })));
}

fn check_ab(spec: &AbSpec, password: Option<&str>) {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("backup.ab");
    let (bytes, truth) = ab_bytes(spec).expect("generate");
    std::fs::write(&p, bytes).expect("write");
    assert_eq!(detect(&p).map(|d| d.kind), Some(AcquisitionKind::AndroidBackup));
    let s = Secrets { password: password.map(|p| zeroize::Zeroizing::new(p.to_string())), ..Secrets::default() };
    let ev = open(&p, AcquisitionKind::AndroidBackup, &s).expect("open").evidence;
    let run = run_all(ev.as_ref(), AcquisitionKind::AndroidBackup, &truth);
    assert_exact(&run, &truth);
    let mut n = 0;
    ev.walk(&mut |_| n += 1).expect("walk");
    assert_eq!(n, 4);
}

#[test]
fn backup_plain_and_encrypted() {
    check_ab(&AbSpec::default(), None);
    check_ab(&AbSpec { compressed: false, version: 1, ..AbSpec::default() }, None);
    let enc = AbSpec { password: Some("correct horse".into()), rounds: 1000, ..AbSpec::default() };
    check_ab(&enc, Some("correct horse"));
    check_ab(&AbSpec { version: 1, ..enc.clone() }, Some("correct horse"));
    check_ab(&AbSpec { version: 3, compressed: false, ..enc }, Some("correct horse"));
}

#[test]
fn extracted_backup_tree() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("backup.ab");
    let (bytes, truth) = ab_bytes(&AbSpec::default()).expect("generate");
    std::fs::write(&p, bytes).expect("write");
    let ev = open(&p, AcquisitionKind::AndroidBackup, &Secrets::default()).expect("open").evidence;
    let out = dir.path().join("tree");
    ev.walk(&mut |f| {
        let t = out.join(&f.path);
        std::fs::create_dir_all(t.parent().expect("parent")).expect("mkdir");
        std::fs::write(&t, ev.read(f, 1 << 20).expect("read")).expect("write");
    })
    .expect("walk");
    assert_eq!(detect(&out).map(|d| d.kind), Some(AcquisitionKind::AndroidBackup));
    let tree = open(&out, AcquisitionKind::AndroidBackup, &Secrets::default()).expect("open tree").evidence;
    assert_exact(&run_all(tree.as_ref(), AcquisitionKind::AndroidBackup, &truth), &truth);
}

#[test]
fn backup_wrong_or_missing_password() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("backup.ab");
    let spec = AbSpec { password: Some("right".into()), rounds: 500, ..AbSpec::default() };
    std::fs::write(&p, ab_bytes(&spec).expect("gen").0).expect("write");
    let s = Secrets::with_password("wrong");
    let e = err(open(&p, AcquisitionKind::AndroidBackup, &s));
    assert!(matches!(e, AndroidError::WrongPassword { .. }), "{e}");
    assert!(e.to_string().contains("backup.ab"));
    let e = err(open(&p, AcquisitionKind::AndroidBackup, &Secrets::default()));
    assert!(matches!(e, AndroidError::PasswordNeeded { .. }), "{e}");
    // truncated ciphertext → corrupt, not a panic
    let full = ab_bytes(&spec).expect("gen").0;
    std::fs::write(&p, &full[..full.len() - 7]).expect("write");
    let s = Secrets::with_password("right");
    assert!(open(&p, AcquisitionKind::AndroidBackup, &s).is_err());
}

#[test]
fn androidqf_with_encrypted_backup() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("acq");
    let spec = AqfSpec {
        backup: Some(AbSpec { password: Some("pw".into()), rounds: 200, ..AbSpec::default() }),
        ..AqfSpec::default()
    };
    let truth = write_androidqf_dir(&root, &spec).expect("generate");
    // without the password: the backup is skipped with a note, everything else runs
    let opened = open(&root, AcquisitionKind::AndroidQf, &Secrets::default()).expect("open");
    let (ev, notes) = (opened.evidence, opened.problems);
    assert_eq!(notes.len(), 1, "{notes:?}");
    let run = run_all(ev.as_ref(), AcquisitionKind::AndroidQf, &truth);
    assert_eq!(outcome(&run, "sms"), &Ok(Outcome::NotFound));
    let cmp = compare(&truth.alerts, &run.alerts, None);
    assert!(cmp.unexpected.is_empty() && cmp.missed.iter().all(|m| m.module == "sms"), "{cmp:?}");
    // wrong password: an error
    let s = Secrets::with_password("nope");
    assert!(matches!(open(&root, AcquisitionKind::AndroidQf, &s), Err(AndroidError::WrongPassword { .. })));
    // right password: exact
    let s = Secrets::with_password("pw");
    let ev = open(&root, AcquisitionKind::AndroidQf, &s).expect("open").evidence;
    assert_exact(&run_all(ev.as_ref(), AcquisitionKind::AndroidQf, &truth), &truth);
}

#[test]
fn hostile_zip_is_read_in_place() {
    let dir = tempfile::tempdir().expect("tmp");
    let inner = dir.path().join("inner");
    std::fs::create_dir(&inner).expect("mkdir");
    let p = inner.join("hostile.zip");
    ferret_testdata::android::hostile_zip(&p).expect("generate");
    assert_eq!(detect(&p).map(|d| d.kind), Some(AcquisitionKind::AndroidBugreport));
    let ev = open(&p, AcquisitionKind::AndroidBugreport, &Secrets::default()).expect("open").evidence;
    let mut names = Vec::new();
    ev.walk(&mut |f| names.push(f.path.clone())).expect("walk");
    assert!(!names.iter().any(|n| n.contains("escaped")) && names.contains(&"abs/olute.txt".to_string()), "{names:?}");
    assert!(!names.iter().any(|n| n.contains("tombstone_09")), "symlink listed: {names:?}");
    for n in &names {
        let f = ferret_core::EvidenceFile::plain(n.clone());
        let _ = ev.read(&f, 1 << 20); // never panics; the huge declared size is never trusted
    }
    let run = run_all(ev.as_ref(), AcquisitionKind::AndroidBugreport, &Truth::default());
    assert!(run.outcomes.iter().all(|(_, o)| o.is_ok()), "{:?}", run.outcomes);
    assert_eq!(run.alerts.len(), 1); // ro.debuggable=1
    // nothing was created outside
    assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);
    assert_eq!(std::fs::read_dir(&inner).expect("ls").count(), 1);
}

#[test]
fn detect_rejects_other_things() {
    let dir = tempfile::tempdir().expect("tmp");
    let f = dir.path().join("notes.txt");
    std::fs::write(&f, "hello").expect("w");
    assert_eq!(detect(&f).map(|d| d.kind), None);
    assert_eq!(detect(dir.path()), None);
    assert_eq!(detect(&dir.path().join("missing")), None);
}
