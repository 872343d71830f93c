//! Matching semantics of the IndicatorIndex: every rule in `index.rs` docs, with near misses
//! that must NOT match (precision) next to the cases that must (recall).

#![allow(clippy::print_stderr, clippy::unwrap_used)]

use ferret_core::{Indicators, MatchedIndicator};
use ferret_indicators::{IndicatorIndex, load_bytes};

fn bundle(patterns: &[(&str, &str)]) -> String {
    // (pattern, malware name)
    let mut objs = Vec::new();
    let mut names: Vec<&str> = patterns.iter().map(|(_, m)| *m).collect();
    names.sort();
    names.dedup();
    for (n, m) in names.iter().enumerate() {
        objs.push(format!(r#"{{"type":"malware","id":"malware--{n}","name":"{m}","is_family":true}}"#));
    }
    for (i, (p, m)) in patterns.iter().enumerate() {
        let n = names.iter().position(|x| x == m).expect("name");
        let p = serde_json::to_string(p).expect("json");
        objs.push(format!(r#"{{"type":"indicator","id":"indicator--{i}","pattern":{p},"pattern_type":"stix"}}"#));
        objs.push(format!(
            r#"{{"type":"relationship","id":"relationship--{i}","relationship_type":"indicates","source_ref":"indicator--{i}","target_ref":"malware--{n}"}}"#
        ));
    }
    format!(r#"{{"type":"bundle","id":"bundle--x","objects":[{}]}}"#, objs.join(","))
}

fn index(patterns: &[&str]) -> IndicatorIndex {
    let with_names: Vec<(&str, &str)> = patterns.iter().map(|p| (*p, "Spy")).collect();
    let (idx, report) = load_bytes(bundle(&with_names).as_bytes(), "test.stix2");
    assert!(report.rejected_patterns.is_empty(), "{:?}", report.rejected_patterns);
    assert!(report.rejected_files.is_empty(), "{:?}", report.rejected_files);
    idx
}

fn v(m: Option<MatchedIndicator>) -> Option<String> {
    m.map(|m| m.value)
}

#[test]
fn domain_suffix_walk_and_no_substrings() {
    let i = index(&["[domain-name:value = 'x.evil.example']", "[domain-name:value = 'Bad.Example.']"]);
    for hit in [
        "x.evil.example",
        "a.b.x.evil.example",
        "X.EVIL.EXAMPLE.",
        "https://a.x.evil.example:8443/p?q=1",
        "user:pw@x.evil.example",
    ] {
        assert_eq!(v(i.check_url(hit)), Some("x.evil.example".into()), "{hit}");
    }
    for miss in [
        "notx.evil.example",
        "evil.example",
        "x.evil.example.com",
        "x-evil.example",
        "https://good.example/?u=x.evil.example",
        "https://good.example/x.evil.example",
        "xevil.example",
    ] {
        assert_eq!(i.check_url(miss), None, "{miss}");
    }
    assert_eq!(v(i.check_domain("bad.example")), Some("Bad.Example.".into()));
    let m = i.check_domain("www.bad.example").expect("hit");
    assert_eq!((m.kind.as_str(), m.name.as_str(), m.stix2_file_name.as_str()), ("domains", "Spy", "test.stix2"));
}

#[test]
fn www_handling() {
    let i = index(&["[domain-name:value = 'www.site.example']", "[domain-name:value = 'web.example']"]);
    // an indicator written with www. covers the bare site, but not its other subdomains
    assert!(i.check_domain("www.site.example").is_some());
    assert!(i.check_domain("site.example").is_some());
    assert!(i.check_domain("mail.site.example").is_none());
    // no character-set strip (MVT A1): web.example stays web.example
    assert!(i.check_domain("web.example").is_some());
    assert!(i.check_domain("eb.example").is_none());
    assert!(i.check_domain("www.web.example").is_some());
}

#[test]
fn ips_and_cidrs_compare_as_addresses() {
    let i = index(&[
        "[ipv4-addr:value = '198.51.100.7']",
        "[ipv4-addr:value = '203.0.113.0/24']",
        "[ipv6-addr:value = '2001:db8::1']",
        "[ipv6-addr:value = '2001:db8:ff::/48']",
        "[domain-name:value = '192.0.2.5']",
    ]);
    for hit in [
        "198.51.100.7",
        "http://198.51.100.7:8080/x",
        "203.0.113.200",
        "https://[2001:db8::1]/",
        "[2001:DB8:0:0::1]:443",
        "2001:db8:ff:1::9",
        "192.0.2.5",
        "::ffff:198.51.100.7",
    ] {
        assert!(i.check_url(hit).is_some(), "{hit}");
    }
    for miss in [
        "198.51.100.70",
        "198.51.100.7.example",
        "1198.51.100.7",
        "203.0.114.1",
        "2001:db8::2",
        "http://x.example/?ip=198.51.100.7",
    ] {
        assert!(i.check_url(miss).is_none(), "{miss}");
    }
    assert_eq!(v(i.check_domain("203.0.113.9")), Some("203.0.113.0/24".into()));
}

#[test]
fn urls_exact_and_their_host_is_not_a_domain_indicator() {
    let i = index(&["[url:value = 'https://Drop.Example/payload?id=1&x==2']"]);
    assert!(i.check_url("https://drop.example/payload?id=1&x==2").is_some());
    assert!(i.check_url("HTTPS://DROP.EXAMPLE/payload?id=1&x==2").is_some());
    assert!(i.check_url("https://drop.example/payload?id=2").is_none());
    assert!(i.check_url("https://drop.example/PAYLOAD?id=1&x==2").is_none());
    assert!(i.check_url("https://drop.example/").is_none());
    assert!(i.check_domain("drop.example").is_none());
    let i = index(&["[url:value = 'https://root.example']"]);
    assert!(i.check_url("https://root.example/").is_some());
}

#[test]
fn processes_basename_and_16_char_rule() {
    let i = index(&["[process:name = 'averyveryverylongproc']", "[process:name = 'bh']"]);
    assert!(i.check_process("bh").is_some());
    assert!(i.check_process("/usr/libexec/bh").is_some());
    assert!(i.check_process("averyveryverylon").is_some(), "16-char truncation");
    assert!(i.check_process("/x/averyveryverylon").is_some());
    assert!(i.check_process("averyveryverylo").is_none(), "15 chars is not a truncation");
    assert!(i.check_process("averyveryverylonX").is_none());
    assert!(i.check_process("bhh").is_none());
    assert!(i.check_process("BH").is_none(), "process names are case-sensitive");
    assert!(i.check_process("").is_none());
}

#[test]
fn file_paths_are_component_aware() {
    let i = index(&[
        "[file:path = '/private/var/db/com.apple.xpc.roleaccountd.staging/']",
        "[file:path = '/var/foo']",
        "[file:name = 'evil.plist']",
    ]);
    assert!(i.check_file_path("/var/foo").is_some());
    assert!(i.check_file_path("/var/foo/bar").is_some());
    assert!(i.check_file_path("/private/var/foo/bar").is_some());
    assert!(i.check_file_path("private/var/foo/bar").is_some(), "relative FS paths (MVT A19)");
    assert!(i.check_file_path("/var/foobar").is_none());
    assert!(i.check_file_path("/var/fo").is_none());
    assert!(i.check_file_path("/var").is_none());
    assert!(i.check_file_path("/var/db/com.apple.xpc.roleaccountd.staging/x").is_some());
    assert_eq!(v(i.check_file_path("/a/b/evil.plist")), Some("evil.plist".into()));
    assert!(i.check_file_path("/a/b/evil.plist.bak").is_none());
    assert!(i.check_file_name("evil.plist").is_some());
    assert!(i.check_file_name("Evil.plist").is_none());
}

#[test]
fn hashes_by_length_and_case() {
    let sha256 = "AB".repeat(32);
    let sha1 = "cd".repeat(20);
    let md5 = "ef".repeat(16);
    let i = index(&[
        &format!("[file:hashes.'SHA-256' = '{sha256}']"),
        &format!("[file:hashes.sha1 = '{sha1}']"),
        &format!("[file:hashes.MD5 = '{md5}']"),
        &format!("[app:cert.sha256 = '{}']", "12".repeat(32)),
    ]);
    assert!(i.check_file_hash(&sha256.to_lowercase()).is_some());
    assert!(i.check_file_hash(&sha1.to_uppercase()).is_some());
    assert!(i.check_file_hash(&md5).is_some());
    assert!(i.check_file_hash(&sha256[..63]).is_none());
    assert!(i.check_file_hash(&"ab".repeat(31)).is_none());
    assert_eq!(i.check_file_hash(&sha256).map(|m| m.kind), Some("files_sha256".into()));
    let colon: Vec<String> = (0..32).map(|_| "12".to_string()).collect();
    assert!(i.check_app_cert_hash(&colon.join(":")).is_some());
    assert!(i.check_app_cert_hash(&"13".repeat(32)).is_none());
    assert!(i.check_file_hash(&"12".repeat(32)).is_none(), "cert hashes are not file hashes");
}

#[test]
fn emails_phones_ids_profiles_properties() {
    let i = index(&[
        "[email-addr:value = 'Spy@Example.org']",
        "[phone-number:value = '+41 79 123 45 67']",
        "[app:id = 'com.Evil.App']",
        "[configuration-profile:id = 'ABCD-1234']",
        "[android-property:name = 'persist.evil.flag']",
    ]);
    assert!(i.check_email("spy@example.org").is_some());
    assert!(i.check_email("mailto:SPY@example.org").is_some());
    assert!(i.check_email("xspy@example.org").is_none());
    assert!(i.check_email("spy@example.org.evil").is_none());
    assert!(i.check_phone("0041791234567").is_some());
    assert!(i.check_phone("+41 (79) 123-45-67").is_some());
    assert!(i.check_phone("+41791234568").is_none());
    assert!(i.check_phone("mailto:spy@example.org").is_some(), "handles with @ are e-mails");
    assert!(i.check_app_id("com.evil.app").is_some());
    assert!(i.check_app_id("com.evil.app2").is_none());
    assert!(i.check_profile("abcd-1234").is_some());
    assert!(i.check_profile("ABCD").is_none(), "no substring match (MVT A5)");
    assert!(i.check_android_property("PERSIST.EVIL.FLAG").is_some());
    assert!(i.check_android_property("persist.evil").is_none());
}

#[test]
fn slow_rules_like_matches_issubset() {
    let i = index(&[
        "[domain-name:value LIKE '%.cdn-evil.example' AND domain-name:value != 'ok.cdn-evil.example']",
        "[domain-name:value MATCHES '^tr[0-9]+\\\\.track\\\\.example$']",
        "[ipv4-addr:value ISSUBSET '100.64.0.0/16']",
        "[url:value LIKE 'https://pay.example/%/invoice']",
    ]);
    assert!(i.check_domain("a.cdn-evil.example").is_some());
    assert!(i.check_domain("OK.cdn-evil.example").is_none());
    assert!(i.check_domain("cdn-evil.example").is_none());
    assert!(i.check_domain("tr42.track.example").is_some());
    assert!(i.check_domain("tr.track.example").is_none());
    assert!(i.check_domain("100.64.3.4").is_some());
    assert!(i.check_domain("100.65.3.4").is_none());
    assert!(i.check_url("https://pay.example/abc/invoice").is_some());
    assert!(i.check_url("https://pay.example/abc/invoice2").is_none());
}

#[test]
fn text_search_and_determinism() {
    let (idx, _) = load_bytes(
        bundle(&[
            ("[domain-name:value = 'evil.example']", "Zeta"),
            ("[domain-name:value = 'a.evil.example']", "Alpha"),
        ])
        .as_bytes(),
        "b.stix2",
    );
    // several indicators match: the lowest (file, value, name) wins, every time
    for _ in 0..10 {
        assert_eq!(v(idx.check_domain("x.a.evil.example")), Some("a.evil.example".into()));
    }
    let found = idx.check_text("see https://x.evil.example/p and evil.example, not notevil.example");
    let urls: Vec<&str> = found.iter().map(|(u, _)| u.as_str()).collect();
    assert_eq!(urls, vec!["https://x.evil.example/p", "evil.example"]);
}

#[test]
fn shared_across_threads() {
    let i = std::sync::Arc::new(index(&["[domain-name:value = 'evil.example']"]));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let i = i.clone();
            std::thread::spawn(move || {
                (0..1000).filter(|n| i.check_domain(&format!("h{n}.evil.example")).is_some()).count()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().expect("thread"), 1000);
    }
}

#[test]
fn empty_index() {
    let (i, r) = load_bytes(br#"{"type":"bundle","id":"bundle--1","objects":[]}"#, "e.stix2");
    assert!(i.is_empty());
    assert_eq!(r.total, 0);
    assert!(r.summary_lines().iter().any(|l| l.contains("no indicators loaded")));
}
