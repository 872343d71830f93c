//! Hostile and broken indicator files: each is rejected (or partially loaded) with a reason,
//! never a panic or stack overflow, and other files still load.

#![allow(clippy::print_stderr, clippy::unwrap_used)]

use std::path::PathBuf;

use ferret_core::Indicators;
use ferret_indicators::{IndicatorSources, LoadError, load, load_bytes};

const GOOD: &str = r#"{"type":"bundle","id":"bundle--1","objects":[
  {"type":"indicator","id":"indicator--1","pattern":"[domain-name:value = 'good.example']"}]}"#;

#[test]
fn broken_files_are_rejected_with_reasons_and_others_load() {
    let dir = tempfile::tempdir().expect("tmp");
    let w = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).expect("write");
        p
    };
    let deep_json = format!("{{\"type\":\"bundle\",\"x\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_yaml = format!("{}x", "- ".repeat(10_000));
    let files: Vec<PathBuf> = vec![
        w("good.stix2", GOOD.as_bytes()),
        w("truncated.stix2", &GOOD.as_bytes()[..GOOD.len() / 2]),
        w("empty.stix2", b""),
        w("binary.stix2", &[0xff, 0xfe, 0x00, 0x80, 0x7b]),
        w("deep.stix2", deep_json.as_bytes()),
        w("not-bundle.json", br#"{"type":"report","objects":[]}"#),
        w("objects-not-list.stix2", br#"{"type":"bundle","objects":{"a":1}}"#),
        w("bad_utf8_domains.txt", b"ok.example\n\xff\xfe.example\n"),
        w("notes.txt", b"hello\n"),
        w("ioc.yaml", deep_yaml.as_bytes()),
        w(
            "weird-objects.stix2",
            br#"{"type":"bundle","objects":[{"type":5},{"id":null,"type":"indicator","pattern":7}]}"#,
        ),
    ];
    let (idx, report) = load(&IndicatorSources { paths: files, ..Default::default() }).expect("load");
    assert!(idx.check_domain("good.example").is_some());
    let rejected: Vec<(&str, &str)> =
        report.rejected_files.iter().map(|r| (r.path.rsplit('/').next().unwrap_or(""), r.reason.as_str())).collect();
    for name in [
        "truncated.stix2",
        "empty.stix2",
        "binary.stix2",
        "not-bundle.json",
        "objects-not-list.stix2",
        "notes.txt",
        "ioc.yaml",
        "weird-objects.stix2",
    ] {
        let r = rejected.iter().find(|(n, _)| *n == name);
        assert!(r.is_some_and(|(_, why)| !why.is_empty()), "{name} not rejected: {rejected:?}");
    }
    // deep nesting inside an ignored field is skipped without recursion: an empty bundle
    let loaded: Vec<&str> = report.files.iter().map(|f| f.path.rsplit('/').next().unwrap_or("")).collect();
    assert_eq!(loaded, vec!["good.stix2", "deep.stix2", "bad_utf8_domains.txt"]);
    // the list loads its good line and rejects the broken one
    assert!(idx.check_domain("ok.example").is_some());
    assert!(
        report.rejected_patterns.iter().any(|r| r.file.ends_with("bad_utf8_domains.txt") && r.indicator_id == "line 2")
    );
    assert!(report.summary_lines().iter().any(|l| l.contains("REJECTED FILE")));
}

#[test]
fn missing_explicit_path_is_an_error() {
    let err = load(&IndicatorSources { paths: vec!["/nonexistent/iocs.stix2".into()], ..Default::default() })
        .expect_err("missing path");
    assert!(matches!(err, LoadError::NotFound { .. }));
}

#[test]
fn hostile_patterns_are_rejected_not_fatal() {
    let deep = format!("{}[domain-name:value = 'x.example']{}", "(".repeat(5000), ")".repeat(5000));
    let huge = format!("[domain-name:value = '{}.example']", "a".repeat(70_000));
    let redos = "[domain-name:value MATCHES '(a+)+$']";
    let big_regex = format!("[domain-name:value MATCHES '{}']", "(a|b|c|d){1000}".repeat(20));
    let patterns = [deep.as_str(), huge.as_str(), redos, big_regex.as_str(), "[domain-name:value = '\u{0}']"];
    let objs: Vec<String> = patterns
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                r#"{{"type":"indicator","id":"indicator--{i}","pattern":{}}}"#,
                serde_json::to_string(p).expect("json")
            )
        })
        .collect();
    let text = format!(r#"{{"type":"bundle","objects":[{}]}}"#, objs.join(","));
    let (idx, report) = load_bytes(text.as_bytes(), "hostile.stix2");
    let ids: Vec<&str> = report.rejected_patterns.iter().map(|r| r.indicator_id.as_str()).collect();
    assert!(ids.contains(&"indicator--0") && ids.contains(&"indicator--1"), "{ids:?}");
    assert!(ids.contains(&"indicator--3"), "oversized regex rejected: {ids:?}");
    assert!(ids.contains(&"indicator--4"), "NUL is not a host name: {ids:?}");
    // the regex crate has no backtracking, so a classic ReDoS pattern is an ordinary rule: it
    // loads and answers correctly on the input that makes backtracking engines explode (its cost
    // is linear by construction; speed is measured by the bench, not here)
    assert!(!ids.contains(&"indicator--2"), "the ReDoS pattern is a valid rule: {ids:?}");
    assert!(idx.check_domain(&format!("{}b.example", "a".repeat(10_000))).is_none());
    assert!(idx.check_domain(&format!("b.example{}", "a".repeat(10_000))).is_some(), "it still matches");
    assert!(report.rejected_patterns.iter().all(|r| r.pattern.chars().count() <= 300));
}
