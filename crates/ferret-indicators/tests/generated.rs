//! Bundles from `ferret_testdata::stix::bundle`: every planted indicator is found through the
//! method a module would use (recall) and benign values never match the decoys (precision).

#![allow(clippy::print_stderr, clippy::unwrap_used)]

use ferret_core::{Indicators, MatchedIndicator};
use ferret_indicators::load_bytes;
use ferret_testdata::stix::{DECOY_MALWARE, bundle};
use ferret_testdata::truth::{IndicatorKind, PlantedIndicator};

fn ask(i: &dyn Indicators, kind: IndicatorKind, value: &str) -> Option<MatchedIndicator> {
    match kind {
        IndicatorKind::Domain => i.check_url(&format!("https://sub.{value}/path")),
        IndicatorKind::Url => i.check_url(value),
        IndicatorKind::Ipv4 => i.check_url(&format!("http://{value}:8080/x")),
        IndicatorKind::Process => i.check_process(&format!("/usr/libexec/{value}")),
        IndicatorKind::Email => i.check_email(&format!("mailto:{}", value.to_uppercase())),
        IndicatorKind::FileName => i.check_file_path(&format!("/private/var/mobile/{value}")),
        IndicatorKind::FilePath => i.check_file_path(&format!("{value}/inner.db")),
        IndicatorKind::FileSha256 => i.check_file_hash(&value.to_uppercase()),
        IndicatorKind::AppId => i.check_app_id(value),
        IndicatorKind::AppCertSha256 => i.check_app_cert_hash(value),
        IndicatorKind::ProfileId => i.check_profile(&value.to_lowercase()),
        IndicatorKind::AndroidProperty => i.check_android_property(value),
    }
}

#[test]
fn planted_found_decoys_silent() {
    let p = |kind, value: &str, malware: &str| PlantedIndicator {
        kind,
        value: value.to_string(),
        malware: malware.to_string(),
    };
    let planted = vec![
        p(IndicatorKind::Domain, "evil-c2.example", "Pegasus-like"),
        p(IndicatorKind::Url, "https://drop.example/a?b=c=d", "Pegasus-like"),
        p(IndicatorKind::Ipv4, "203.0.113.77", "Graphite-like"),
        p(IndicatorKind::Process, "verylongspyprocessname", "Pegasus-like"),
        p(IndicatorKind::Email, "op@mail.example", "Pegasus-like"),
        p(IndicatorKind::FileName, "it's.plist", "Pegasus-like"),
        p(IndicatorKind::FilePath, "/private/var/db/spy.staging", "Pegasus-like"),
        p(IndicatorKind::FileSha256, &"a1".repeat(32), "Predator-like"),
        p(IndicatorKind::AppId, "com.spy.agent", "Stalker"),
        p(IndicatorKind::AppCertSha256, &"b2".repeat(32), "Stalker"),
        p(IndicatorKind::ProfileId, "0A1B2C3D-0000-4000-8000-000000000001", "Predator-like"),
        p(IndicatorKind::AndroidProperty, "persist.spy.enabled", "Stalker"),
    ];
    let text = bundle(&planted, 5_000, 42);
    let (idx, report) = load_bytes(text.as_bytes(), "generated.stix2");
    assert!(
        report.rejected_patterns.is_empty(),
        "{:?}",
        &report.rejected_patterns[..report.rejected_patterns.len().min(5)]
    );
    assert!(report.total >= 5_000 + planted.len());
    for pi in &planted {
        let m = ask(&idx, pi.kind, &pi.value).unwrap_or_else(|| panic!("planted {pi:?} not found"));
        assert_eq!(m.name, pi.malware, "{pi:?}");
        assert_eq!(m.stix2_file_name, "generated.stix2");
    }
    // 16-character truncation of the planted process
    assert!(idx.check_process("verylongspyproce").is_some());
    // benign values of the kinds the generators use never match
    for benign in [
        "https://www.apple.com/",
        "https://en.wikipedia.org/wiki/Ferret",
        "example.com",
        "https://example.org/x",
        "http://198.51.100.1/",
    ] {
        assert_eq!(idx.check_url(benign), None, "{benign}");
    }
    for proc_ in ["launchd", "SpringBoard", "com.apple.WebKit.Networking", "mediaserverd"] {
        assert_eq!(idx.check_process(proc_), None);
    }
    assert_eq!(idx.check_email("alice@example.com"), None);
    assert_eq!(idx.check_app_id("com.apple.mobilesafari"), None);
    assert_eq!(idx.check_file_path("/private/var/mobile/Library/SMS/sms.db"), None);
    // every planted kind has its own decoys elsewhere in the bundle, attributed to the decoy set
    assert!(text.contains(DECOY_MALWARE));
}

/// Files are read with their size as a hint only: a pipe (`--iocs <(curl …)`, size 0) and a file
/// larger than that size load whole, with the SHA-256 of every byte read.
#[test]
fn pipes_and_unsized_files_load_whole() {
    use sha2::{Digest, Sha256};
    let text = bundle(&[], 3_000, 9);
    let want = hex::encode(Sha256::digest(text.as_bytes()));
    let (plain, _) = load_bytes(text.as_bytes(), "b.stix2");
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("mkfifo unavailable; skipping");
        return;
    }
    let writer = {
        let (fifo, text) = (fifo.clone(), text.clone());
        std::thread::spawn(move || std::fs::write(fifo, text))
    };
    let (index, report) = ferret_indicators::load_files(std::slice::from_ref(&fifo)).unwrap();
    writer.join().unwrap().unwrap();
    assert!(report.rejected_files.is_empty(), "{:?}", report.rejected_files);
    assert_eq!(report.files.len(), 1);
    assert_eq!(report.files[0].sha256, want);
    assert_eq!(index.len(), plain.len());
}
