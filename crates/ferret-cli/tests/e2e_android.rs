//! End-to-end tests of the Android commands through the binary: auto-detection, exact recall and
//! precision against the generators' ground truth, passwords, and read-only evidence.

use std::process::Output;

use ferret_testdata::android::androidqf::{AqfSpec, write_androidqf_dir};
use ferret_testdata::android::backup::{AbSpec, ab_bytes};
use ferret_testdata::android::bugreport::{BugreportSpec, write_bugreport_zip};
use ferret_testdata::testkit::{Ferret, assert_results_exact, bundle_file, s};

fn ferret(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut f = Ferret::new(env!("CARGO_BIN_EXE_ferret"));
    for (k, v) in env {
        f = f.env(k, v);
    }
    f.run(args)
}

#[test]
fn bugreport_zip_auto_detected_exact() {
    let work = tempfile::tempdir().expect("tmp");
    let zip = work.path().join("bugreport-test.zip");
    let (truth, _) = write_bugreport_zip(&zip, &BugreportSpec::default()).expect("gen");
    let iocs = bundle_file(work.path(), &truth);
    let before = std::fs::read(&zip).expect("read");
    let out = work.path().join("r");
    let o = ferret(&["check", "--no-default-iocs", "--iocs", s(&iocs), "-o", s(&out), s(&zip)], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    assert_results_exact(&out, &truth);
    assert_eq!(before, std::fs::read(&zip).expect("read"), "evidence unchanged");
    // the process census is on by default for iOS: on Android, not asked for, it says nothing
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("census"), "{err}");
    assert!(!out.join("process_census.json").exists());
    // MVT's file names next to ferret's, same bytes (DumpsysGetProp, BugReportTimestamps)
    for (ours, mvt) in [("getprop", "dumpsys_get_prop"), ("bugreport_timestamps", "bug_report_timestamps")] {
        let a = std::fs::read(out.join(format!("{ours}.json"))).expect(ours);
        assert_eq!(a, std::fs::read(out.join(format!("{mvt}.json"))).expect(mvt), "{mvt}");
    }
    // the process census reads iOS only: asked for on Android, it says so and changes nothing
    let census = work.path().join("census");
    let o =
        ferret(&["check", "--no-default-iocs", "--process-census", "--iocs", s(&iocs), "-o", s(&census), s(&zip)], &[]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--process-census reads iOS acquisitions only"), "{err}");
    assert_eq!(std::fs::read(census.join("alerts.json")).ok(), std::fs::read(out.join("alerts.json")).ok());
    assert!(!census.join("process_census.json").exists());
}

#[test]
fn androidqf_folder_exact() {
    let work = tempfile::tempdir().expect("tmp");
    let dir = work.path().join("acq");
    let truth = write_androidqf_dir(&dir, &AqfSpec::default()).expect("gen");
    let iocs = bundle_file(work.path(), &truth);
    let out = work.path().join("r");
    let o =
        ferret(&["android", "check-androidqf", "--no-default-iocs", "--iocs", s(&iocs), "-o", s(&out), s(&dir)], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    assert_results_exact(&out, &truth);
    // androidqf's getprop under MVT's name too (AQFGetProp), same bytes
    let ours = std::fs::read(out.join("aqf_getprop.json")).expect("aqf_getprop.json");
    assert_eq!(ours, std::fs::read(out.join("aqf_get_prop.json")).expect("aqf_get_prop.json"));
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("info.json")).expect("info")).expect("json");
    assert_eq!(info["target_path"], info["run"]["target"]["path"]);
    assert!(info["ioc_files"].as_array().is_some_and(|f| f.len() == 1), "{}", info["ioc_files"]);
}

#[test]
fn encrypted_ab_password_handling() {
    let work = tempfile::tempdir().expect("tmp");
    let spec = AbSpec { password: Some("correct horse".into()), rounds: 1000, ..AbSpec::default() };
    let (bytes, truth) = ab_bytes(&spec).expect("gen");
    let ab = work.path().join("backup.ab");
    std::fs::write(&ab, bytes).expect("write");
    let iocs = bundle_file(work.path(), &truth);

    let o = ferret(&["android", "check-backup", "--no-default-iocs", s(&ab)], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("password"));

    let o = ferret(
        &["android", "check-backup", "--no-default-iocs", "--backup-password-env", "AB_PW", s(&ab)],
        &[("AB_PW", "wrong")],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("wrong backup password"));

    let out = work.path().join("r");
    let o = ferret(
        &[
            "android",
            "check-backup",
            "--no-default-iocs",
            "--iocs",
            s(&iocs),
            "--backup-password-env",
            "AB_PW",
            "-o",
            s(&out),
            s(&ab),
        ],
        &[("AB_PW", "correct horse")],
    );
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    assert_results_exact(&out, &truth);
}
