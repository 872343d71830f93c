//! Android intrusion logs end to end: generated exports (folder, zip) → detection by content →
//! open (the acquisition's problems) → the three modules → alerts against the truth (recall and
//! precision); hostile zips; no confusion with bugreports and androidqf collections.
#![allow(clippy::print_stderr)]

use std::io::Write;

use ferret_android::intrusion::{self, EventType, Item, LineError, is_log_head, parse_line};
use ferret_android::{detect, modules, open};
use ferret_core::module::testing::run_one;
use ferret_core::{AcquisitionKind, Alert, Context, Evidence, Outcome, RunOptions, Secrets};
use ferret_testdata::android::androidqf::{AqfSpec, write_androidqf_dir};
use ferret_testdata::android::bugreport::{BugreportSpec, write_bugreport_zip};
use ferret_testdata::android::intrusion::{IntrusionSpec, write_intrusion_dir, write_intrusion_zip};
use ferret_testdata::fake::TruthIndicators;
use ferret_testdata::truth::{Truth, compare};

const KIND: AcquisitionKind = AcquisitionKind::AndroidIntrusionLogs;

struct Run {
    alerts: Vec<Alert>,
    records: Vec<(String, usize)>,
    outcomes: Vec<(String, Result<Outcome, String>)>,
}

fn run_all(ev: &dyn Evidence, kind: AcquisitionKind, truth: &Truth) -> Run {
    let ind = TruthIndicators::new(truth);
    let opts = RunOptions::default();
    let ctx = Context { evidence: ev, indicators: &ind, options: &opts };
    let mut run = Run { alerts: Vec::new(), records: Vec::new(), outcomes: Vec::new() };
    for m in modules(kind) {
        let r = run_one(m.as_ref(), &ctx);
        run.outcomes.push((m.info().name.to_string(), r.outcome.clone()));
        run.records.push((m.info().name.to_string(), r.records.len()));
        run.alerts.extend(r.alerts);
    }
    run
}

fn assert_exact(run: &Run, truth: &Truth) {
    for (m, o) in &run.outcomes {
        assert_eq!(o, &Ok(Outcome::Completed), "module {m}");
    }
    let cmp = compare(&truth.alerts, &run.alerts, None);
    for m in &cmp.missed {
        eprintln!("MISSED {m:?}");
    }
    for u in &cmp.unexpected {
        eprintln!("UNEXPECTED {} {} {}", u.module, u.level, u.message);
    }
    cmp.assert_exact();
}

fn records(run: &Run, module: &str) -> usize {
    run.records.iter().find(|(m, _)| m == module).map(|(_, n)| *n).expect("module ran")
}

#[test]
fn folder_export_recall_and_precision() {
    let dir = tempfile::tempdir().expect("tmp");
    let spec = IntrusionSpec::default();
    let truth = write_intrusion_dir(dir.path(), &spec).expect("generate");
    let d = detect(dir.path()).expect("detected");
    assert_eq!(d.kind, KIND);
    assert!(
        d.reason.starts_with("intrusion-log events in intrusion-logs/intrusion-log-2026-05-20.txt and 6 more files"),
        "{}",
        d.reason
    );
    let opened = open(dir.path(), KIND, &Secrets::default()).expect("open");
    assert!(opened.problems.is_empty(), "{:?}", opened.problems);
    let run = run_all(opened.evidence.as_ref(), KIND, &truth);
    assert_eq!(truth.alerts.len(), 10);
    assert_exact(&run, &truth);
    // every line is one record: noise + 2 unlock attempts a day + 15 planted
    let total: usize = run.records.iter().map(|(_, n)| n).sum();
    assert_eq!(total, spec.events + 2 * spec.days + 15);
    assert!(records(&run, "dns_event") > 1000 && records(&run, "connect_event") > 1000, "{:?}", run.records);
}

#[test]
fn zip_export_with_hostile_members() {
    let dir = tempfile::tempdir().expect("tmp");
    let inner = dir.path().join("inner");
    std::fs::create_dir(&inner).expect("mkdir");
    let p = inner.join("export.zip");
    let escaped = "{\"dns_event\": {\"event_time\": 1779235200000, \"package_name\": \"com.android.chrome\", \"hostname\": \"escape.example\"}}\n";
    let extra: [(&str, &[u8]); 2] =
        [("../../escaped-logs.txt", escaped.as_bytes()), ("/abs/also.txt", escaped.as_bytes())];
    let truth =
        write_intrusion_zip(&p, &IntrusionSpec { events: 1500, ..IntrusionSpec::default() }, &extra).expect("generate");
    assert_eq!(detect(&p).map(|d| d.kind), Some(KIND));
    let opened = open(&p, KIND, &Secrets::default()).expect("open");
    let p = &opened.problems;
    assert!(
        p.iter().any(|p| p.contains("1 entries skipped with no usable name") && p.contains("../../escaped-logs.txt")),
        "{p:?}"
    );
    assert!(p.iter().any(|p| p.contains("1 entry names normalised") && p.contains("/abs/also.txt")), "{p:?}");
    let run = run_all(opened.evidence.as_ref(), KIND, &truth);
    assert_exact(&run, &truth);
    // the hostile members are read in place, under their normalised names, nothing extracted
    let ind = TruthIndicators::new(&truth);
    let opts = RunOptions::default();
    let ctx = Context { evidence: opened.evidence.as_ref(), indicators: &ind, options: &opts };
    let dns = modules(KIND).into_iter().find(|m| m.info().name == "dns_event").expect("dns");
    let r = run_one(dns.as_ref(), &ctx);
    let escapes: Vec<&str> =
        r.records.iter().filter(|v| v["hostname"] == "escape.example").filter_map(|v| v["file"].as_str()).collect();
    // the `..` member is skipped (never read, never written); the absolute one is read in place
    assert_eq!(escapes, vec!["abs/also.txt"]);
    assert!(!dir.path().join("escaped-logs.txt").exists() && !inner.join("escaped-logs.txt").exists());
    let listed: Vec<String> = std::fs::read_dir(&inner)
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(listed, vec!["export.zip".to_string()], "nothing written next to the evidence");
}

#[test]
fn damaged_export_counts_its_problems_once_and_keeps_the_rest() {
    let dir = tempfile::tempdir().expect("tmp");
    let spec = IntrusionSpec { events: 1200, damaged: true, ..IntrusionSpec::default() };
    let truth = write_intrusion_dir(dir.path(), &spec).expect("generate");
    assert_eq!(detect(dir.path()).map(|d| d.kind), Some(KIND));
    let opened = open(dir.path(), KIND, &Secrets::default()).expect("open");
    let p = &opened.problems;
    assert_eq!(p.len(), 4, "{p:?}");
    assert!(p[0].starts_with("1 file is not intrusion logs, skipped (first: intrusion-logs/README.md)"), "{p:?}");
    assert!(p[1].starts_with("2 lines of the intrusion logs are not a valid event, skipped (first: intrusion-logs/intrusion-log-2026-05-20.txt:176: invalid type: string \"yesterday\""), "{p:?}");
    assert!(p[1].contains("intrusion-log-2026-05-20.txt:"), "{p:?}");
    assert!(p[2].starts_with("1 line of the intrusion logs is longer than 256 KiB"), "{p:?}");
    assert_eq!(p[3], "intrusion-log events of types ferret does not read, skipped: future_event (1)");
    let run = run_all(opened.evidence.as_ref(), KIND, &truth);
    assert_exact(&run, &truth);
    let total: usize = run.records.iter().map(|(_, n)| n).sum();
    assert_eq!(total, spec.events + 2 * spec.days + 15, "the good lines are all read");
}

#[test]
fn an_export_of_only_bad_lines_yields_no_record() {
    let dir = tempfile::tempdir().expect("tmp");
    let head = "{\"security_event\": {\"event_time\": 1779235200000000000, \"event_id\": 1, \"os_startup\": {}}}\n";
    let mut text = String::from(head);
    text.push_str("{\"connect_event\": {\"port\": 99999}}\n{\"dns_event\": []}\n\u{0}\u{1}garbage\n");
    // the first line decides: a log; its own event is a security event
    std::fs::write(dir.path().join("log.txt"), &text).expect("write");
    let opened = open(dir.path(), KIND, &Secrets::default()).expect("open");
    assert!(
        opened.problems[0].starts_with("3 lines of the intrusion logs are not a valid event"),
        "{:?}",
        opened.problems
    );
    let run = run_all(opened.evidence.as_ref(), KIND, &Truth::default());
    assert_eq!(records(&run, "connect_event") + records(&run, "dns_event"), 0);
    assert_eq!(records(&run, "security_event"), 1);
    assert!(run.alerts.is_empty(), "{:?}", run.alerts);
}

#[test]
fn detection_by_content_never_confuses_other_android_acquisitions() {
    let dir = tempfile::tempdir().expect("tmp");
    // a bugreport and an androidqf collection are not intrusion logs
    let br = dir.path().join("bugreport.zip");
    write_bugreport_zip(&br, &BugreportSpec::default()).expect("bugreport");
    let kinds: Vec<AcquisitionKind> = ferret_android::detect::detect_all(&br).into_iter().map(|d| d.kind).collect();
    assert_eq!(kinds, vec![AcquisitionKind::AndroidBugreport]);
    let qf = dir.path().join("qf");
    write_androidqf_dir(&qf, &AqfSpec { bugreport: None, backup: None, ..AqfSpec::default() }).expect("qf");
    let kinds: Vec<AcquisitionKind> = ferret_android::detect::detect_all(&qf).into_iter().map(|d| d.kind).collect();
    assert_eq!(kinds, vec![AcquisitionKind::AndroidQf]);
    // androidqf with its intrusion_logs/ folder stays androidqf, and its logs are read
    let truth =
        write_intrusion_dir(&qf.join("intrusion_logs_tmp"), &IntrusionSpec { events: 800, ..IntrusionSpec::default() })
            .expect("logs");
    std::fs::rename(qf.join("intrusion_logs_tmp/intrusion-logs"), qf.join("intrusion_logs")).expect("mv");
    std::fs::remove_dir(qf.join("intrusion_logs_tmp")).expect("rmdir");
    let kinds: Vec<AcquisitionKind> = ferret_android::detect::detect_all(&qf).into_iter().map(|d| d.kind).collect();
    assert_eq!(kinds, vec![AcquisitionKind::AndroidQf]);
    let opened = open(&qf, AcquisitionKind::AndroidQf, &Secrets::default()).expect("open qf");
    let run = run_all(opened.evidence.as_ref(), AcquisitionKind::AndroidQf, &truth);
    let intrusion_alerts: Vec<Alert> = run
        .alerts
        .into_iter()
        .filter(|a| ["dns_event", "connect_event", "security_event"].contains(&a.module.as_str()))
        .collect();
    let cmp = compare(&truth.alerts, &intrusion_alerts, None);
    cmp.assert_exact();
    // an intrusion-log export is neither a bugreport nor androidqf; a text that is not a log is
    // nothing; a folder of logs whose first line is cut by the head limit is not claimed
    let logs = dir.path().join("logs");
    write_intrusion_dir(&logs, &IntrusionSpec { events: 100, ..IntrusionSpec::default() }).expect("logs");
    let kinds: Vec<AcquisitionKind> = ferret_android::detect::detect_all(&logs).into_iter().map(|d| d.kind).collect();
    assert_eq!(kinds, vec![KIND]);
    let plain = dir.path().join("plain");
    std::fs::create_dir(&plain).expect("mkdir");
    std::fs::write(plain.join("notes.txt"), "{\"name\": \"not an event\"}\n").expect("write");
    std::fs::write(plain.join("data.json"), "[{\"dns_event\": {}}]").expect("write");
    assert!(ferret_android::detect::detect_all(&plain).is_empty());
    // a bugreport-named text holding events is a bugreport by its name, never both
    let both = dir.path().join("both");
    std::fs::create_dir(&both).expect("mkdir");
    std::fs::write(both.join("bugreport-x.txt"), "{\"dns_event\": {\"hostname\": \"a.b\"}}\n").expect("write");
    let kinds: Vec<AcquisitionKind> = ferret_android::detect::detect_all(&both).into_iter().map(|d| d.kind).collect();
    assert_eq!(kinds, vec![AcquisitionKind::AndroidBugreport]);
}

#[test]
fn units_and_field_names_follow_the_format() {
    let dir = tempfile::tempdir().expect("tmp");
    let lines = [
        r#"{"dns_event": {"event_time": 1788000000000, "package_name": "com.example.chat", "hostname": "api.example.com", "ip_addresses": ["/203.0.113.10"], "ip_addresses_count": 1}}"#,
        r#"{"connect_event": {"event_time": 1788000000350, "package_name": "com.example.chat", "port": 443, "ip_address": "api.example.com/203.0.113.10"}}"#,
        r#"{"security_event": {"event_time": 1788000045123456789, "event_id": 4821, "adb_shell_cmd": {"command": "pm list packages"}}}"#,
    ];
    std::fs::write(dir.path().join("il.txt"), lines.join("\n")).expect("write");
    let opened = open(dir.path(), KIND, &Secrets::default()).expect("open");
    let ind = TruthIndicators::new(&Truth::default());
    let opts = RunOptions::default();
    let ctx = Context { evidence: opened.evidence.as_ref(), indicators: &ind, options: &opts };
    let mut got = Vec::new();
    for m in modules(KIND) {
        let r = run_one(m.as_ref(), &ctx);
        got.push((m.info().name, r.records, r.timeline));
    }
    let (_, dns, dtl) = &got[0];
    assert_eq!(dns[0]["timestamp"], "2026-08-29 10:40:00.000000");
    assert_eq!(dns[0]["hostname"], "api.example.com");
    assert_eq!(dns[0]["file"], "il.txt");
    assert_eq!(dtl[0].data, "DNS query for api.example.com by com.example.chat [IPs: 203.0.113.10]");
    let (_, conn, ctl) = &got[1];
    assert_eq!(conn[0]["timestamp"], "2026-08-29 10:40:00.350000");
    assert_eq!(ctl[0].data, "Connection to 203.0.113.10:443 by com.example.chat");
    let (_, sec, stl) = &got[2];
    assert_eq!(sec[0]["timestamp"], "2026-08-29 10:40:45.123456");
    assert_eq!(sec[0]["adb_shell_cmd"]["command"], "pm list packages", "MVT's shape: the tag is a key");
    assert_eq!(sec[0]["tag"], "adb_shell_cmd");
    assert_eq!(sec[0]["event_id"], 4821);
    assert_eq!((stl[0].event.as_str(), stl[0].data.as_str()), ("adb_shell_cmd", "ADB shell command: pm list packages"));
}

#[test]
fn lines_parse_or_are_refused_with_a_reason() {
    assert_eq!(parse_line(b"   "), Ok(None));
    assert_eq!(parse_line(b""), Ok(None));
    let ok =
        parse_line(b"\xEF\xBB\xBF{\"connect_event\": {\"port\": 443, \"extra\": [1, {\"x\": 2}]}}").expect("bom ok");
    assert!(matches!(ok.as_ref().map(|e| &e.0[0]), Some(Item::Connect(c)) if c.port == Some(443)), "{ok:?}");
    for (bad, why) in [
        (&b"{\"connect_event\": {\"port\": \"443\"}}"[..], "invalid type"),
        (b"{\"connect_event\": {\"port\": 70000}}", "invalid value"),
        (b"{\"dns_event\": {\"ip_addresses\": \"1.2.3.4\"}}", "invalid type"),
        (b"{\"security_event\": 5}", "invalid type"),
        (b"{}", "no event"),
        (b"[1,2]", "invalid type"),
        (b"{\"dns_event\": {\"hostname\": \"a", "EOF"),
        (b"{\"dns_event\": {\"hostname\": \"\xff\xfe\"}}", "invalid unicode"),
        (b"{\"dns_event\": {}} trailing", "trailing"),
    ] {
        match parse_line(bad) {
            Err(LineError::Malformed(m)) => assert!(m.contains(why), "{:?}: {m}", String::from_utf8_lossy(bad)),
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(bad)),
        }
    }
    let mut huge = b"{\"dns_event\": {\"hostname\": \"".to_vec();
    huge.extend(std::iter::repeat_n(b'a', intrusion::LINE_CAP));
    huge.extend(b"\"}}");
    assert_eq!(parse_line(&huge), Err(LineError::TooLong));
    // too many keys in one object (a flood of unknown types)
    let many: String = (0..20).map(|i| format!("\"k{i}\": 1")).collect::<Vec<_>>().join(",");
    assert!(
        matches!(parse_line(format!("{{{many}}}").as_bytes()), Err(LineError::Malformed(m)) if m.contains("more than 16 keys"))
    );
    // a security event keeps its first tag; reserved names cannot become tags
    let s =
        parse_line(br#"{"security_event": {"file": "x", "timestamp": 1, "os_startup": {"a": 1}, "wipe_failure": {}}}"#)
            .expect("ok")
            .expect("some");
    match &s.0[0] {
        Item::Security(w) => assert_eq!((w.tag.as_str(), w.data["a"].as_i64()), ("os_startup", Some(1))),
        other => panic!("{other:?}"),
    }
    assert_eq!(EventType::Security.key(), "security_event");
}

#[test]
fn heads_that_are_and_are_not_logs() {
    assert!(is_log_head(b"\n\r\n{\"dns_event\": {\"hostname\": \"a.b\"}}\n"));
    assert!(is_log_head(b"{\"wifi_event\": {}}\n"), "a future *_event type still marks a log");
    assert!(!is_log_head(b"{\"name\": 1}\n"));
    assert!(!is_log_head(b"{\"dns_event\": {\"hostname\": 5}}\n"), "a first line of the wrong shape");
    assert!(!is_log_head(b"{\"dns_event\": {\"hostname\": \"cut"), "cut by the head limit");
    assert!(!is_log_head(b""));
    assert!(!is_log_head(b"\xff\xfe{\"dns_event\": {}}"));
}

#[test]
fn a_huge_line_costs_no_memory_and_is_counted() {
    // 64 MiB on one line: the reader keeps 256 KiB of it at most
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("big.txt");
    let mut f = std::fs::File::create(&p).expect("create");
    writeln!(f, "{{\"dns_event\": {{\"event_time\": 1779235200000, \"hostname\": \"first.example\"}}}}").expect("w");
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..64 {
        f.write_all(&chunk).expect("w");
    }
    writeln!(f).expect("w");
    writeln!(f, "{{\"dns_event\": {{\"event_time\": 1779235200001, \"hostname\": \"after.example\"}}}}").expect("w");
    drop(f);
    let opened = open(dir.path(), KIND, &Secrets::default()).expect("open");
    assert_eq!(opened.problems.len(), 1, "{:?}", opened.problems);
    assert!(
        opened.problems[0]
            .starts_with("1 line of the intrusion logs is longer than 256 KiB, skipped (first: big.txt:2)")
    );
    let mut names = Vec::new();
    let scan = intrusion::read_events::<ferret_core::EvidenceError>(
        opened.evidence.as_ref(),
        Some(EventType::Dns),
        &mut |l| {
            if let Item::Dns(d) = l.item {
                names.push((d.hostname.unwrap_or_default(), l.line));
            }
            Ok(())
        },
    )
    .expect("read");
    assert_eq!(names, vec![("first.example".to_string(), 1), ("after.example".to_string(), 3)]);
    assert_eq!((scan.too_long, scan.log_files), (1, 1));
}

#[test]
fn an_empty_or_logless_folder_is_refused_at_open() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("empty.txt"), "").expect("write");
    std::fs::write(dir.path().join("other.txt"), "hello\n").expect("write");
    assert!(detect(dir.path()).is_none());
    let e = open(dir.path(), KIND, &Secrets::default()).expect_err("no log");
    assert!(e.to_string().contains("no intrusion-log file in it"), "{e}");
}

#[path = "../../../fuzz/src/seeds.rs"]
#[allow(dead_code)]
mod seeds;

/// The `intrusion_logs` fuzz target's seeds replayed: each seed's outcome is asserted, then
/// deterministic mutations of each (cuts, byte flips, doubled lines) must keep the invariants.
#[test]
fn fuzz_seeds_replay_with_their_outcomes() {
    use ferret_android::{IntrusionFuzz, fuzz_intrusion};
    let seeds = seeds::seeds("intrusion_logs");
    let got: Vec<IntrusionFuzz> = seeds.iter().map(|s| fuzz_intrusion(s)).collect();
    let f =
        |events, malformed, too_long, findings, is_log| IntrusionFuzz { events, malformed, too_long, findings, is_log };
    assert_eq!(
        got,
        vec![
            f(3, 0, 0, 1, true),  // one of each type; `pm grant` over ADB
            f(5, 0, 0, 5, true),  // five heuristics without indicators
            f(0, 4, 0, 0, false), // wrong type, not an object, no event, not JSON (+ a future type)
            f(1, 0, 0, 0, true),  // BOM and blank lines, then local addresses only
            f(1, 1, 0, 1, false), // not UTF-8; a time out of range still checks
        ]
    );
    for (i, seed) in seeds.iter().enumerate() {
        let lines = seed.split(|b| *b == b'\n').count() as u64;
        for k in 0..64usize {
            let mut m = seed.clone();
            match k % 4 {
                0 => m.truncate(k * m.len() / 64),
                1 => {
                    let at = (k * 7919) % m.len().max(1);
                    if let Some(b) = m.get_mut(at) {
                        *b ^= 0x5a;
                    }
                }
                2 => m.extend_from_slice(&seed.clone()),
                _ => m.retain(|b| *b != b'"' || k % 3 == 0),
            }
            let r = fuzz_intrusion(&m);
            let n = m.split(|b| *b == b'\n').count() as u64;
            assert!(r.events + r.malformed + r.too_long <= n * 16, "seed {i} mutation {k}: {r:?}");
            assert!(r.findings <= r.events * 2, "seed {i} mutation {k}: {r:?}");
        }
        assert!(lines >= 1);
    }
}

#[test]
fn links_and_fifos_in_an_export_are_never_opened() {
    let dir = tempfile::tempdir().expect("tmp");
    let truth =
        write_intrusion_dir(dir.path(), &IntrusionSpec { events: 300, ..IntrusionSpec::default() }).expect("gen");
    let logs = dir.path().join("intrusion-logs");
    // a FIFO would block a reader forever; a link could point anywhere
    assert!(std::process::Command::new("mkfifo").arg(logs.join("fifo.txt")).status().expect("mkfifo").success());
    std::os::unix::fs::symlink("/etc/passwd", logs.join("link.txt")).expect("symlink");
    std::os::unix::fs::symlink(logs.join("intrusion-log-2026-05-20.txt"), logs.join("twin.txt")).expect("symlink");
    assert_eq!(detect(dir.path()).map(|d| d.kind), Some(KIND));
    let opened = open(dir.path(), KIND, &Secrets::default()).expect("open");
    assert!(opened.problems.is_empty(), "{:?}", opened.problems);
    let run = run_all(opened.evidence.as_ref(), KIND, &truth);
    assert_exact(&run, &truth);
    let total: usize = run.records.iter().map(|(_, n)| n).sum();
    assert_eq!(total, 300 + 14 + 15, "the linked twin is not read a second time");
}

#[test]
fn a_zip_whose_only_logs_escape_it_is_not_recognised() {
    let dir = tempfile::tempdir().expect("tmp");
    let line = b"{\"dns_event\": {\"event_time\": 1779235200000, \"hostname\": \"a.example\"}}\n";
    let write = |name: &str, entries: &[&str]| {
        let p = dir.path().join(name);
        let mut z = zip::ZipWriter::new(std::fs::File::create(&p).expect("create"));
        for e in entries {
            z.start_file(*e, zip::write::SimpleFileOptions::default()).expect("entry");
            z.write_all(line).expect("write");
        }
        z.finish().expect("finish");
        p
    };
    let escaping = write("escaping.zip", &["../../logs.txt", "a/../../b/logs.txt"]);
    assert!(ferret_android::detect::detect_all(&escaping).is_empty());
    let absolute = write("absolute.zip", &["/sdcard/Download/Intrusion Logging/logs.txt"]);
    let d = detect(&absolute).expect("detected");
    assert_eq!(
        (d.kind, d.reason.as_str()),
        (KIND, "intrusion-log events in sdcard/Download/Intrusion Logging/logs.txt")
    );
}

#[test]
fn addresses_are_cleaned_and_local_ones_never_checked() {
    use ferret_testdata::truth::IndicatorKind;
    assert_eq!(intrusion::clean_ip("api.example.com/203.0.113.10"), "203.0.113.10");
    assert_eq!(intrusion::clean_ip("/::1"), "::1");
    assert_eq!(intrusion::clean_ip("203.0.113.10"), "203.0.113.10");
    let dir = tempfile::tempdir().expect("tmp");
    let lines = [
        r#"{"dns_event": {"event_time": 1, "package_name": "com.a", "hostname": "x.example", "ip_addresses": ["localhost/127.0.0.1", "/0.0.0.0", "/198.51.100.7", "x/198.51.100.7"]}}"#,
        r#"{"connect_event": {"event_time": 2, "package_name": "com.a", "ip_address": "/127.0.0.1", "port": 80}}"#,
        r#"{"connect_event": {"event_time": 3, "package_name": "com.a", "ip_address": "cdn/198.51.100.7", "port": 443}}"#,
    ];
    std::fs::write(dir.path().join("l.txt"), lines.join("\n")).expect("write");
    let mut truth = Truth::default();
    for ip in ["127.0.0.1", "0.0.0.0", "198.51.100.7"] {
        truth.plant(IndicatorKind::Ipv4, ip, "Test");
    }
    let opened = open(dir.path(), KIND, &Secrets::default()).expect("open");
    let run = run_all(opened.evidence.as_ref(), KIND, &truth);
    let got: Vec<(&str, &str)> = run
        .alerts
        .iter()
        .map(|a| (a.module.as_str(), a.matched_indicator.as_ref().map(|m| m.value.as_str()).unwrap_or("")))
        .collect();
    // one alert per distinct address of a lookup; loopback and unspecified never checked
    assert_eq!(got, vec![("dns_event", "198.51.100.7"), ("connect_event", "198.51.100.7")]);
}
