//! Hostile input for every parser: random bytes, invalid UTF-8, truncated and huge lines,
//! deep nesting. Nothing may panic.

use ferret_android::dumpstate::Dumpstate;
use ferret_android::parsers::{aqf, dumpsys, props, ps, tombstone};
use ferret_android::text::CappedLines;
use rand::{Rng, SeedableRng};

const TOKENS: &[&str] = &[
    "Packages:\n",
    "  Package [",
    "]",
    " (x):\n",
    "    userId=",
    "pkgFlags=[ SYSTEM ",
    "signatures=PackageSignatures{",
    "signatures:[",
    "requested permissions:\n",
    "install permissions:\n",
    "      a: granted=true\n",
    "    User 0:",
    "disabledComponents:\n",
    "Activity Resolver Table:\n",
    "  Non-Data Actions:\n",
    "      android.intent.action.MAIN:\n",
    "        1 a/.B filter 2\n",
    "installed services: {\n",
    "0 : a/b\n",
    "}\n",
    "Enabled services:{{",
    "}, {",
    "Uid ",
    "    Package ",
    "      OP (allow):\n",
    "Access: [",
    "Daily from ",
    " to ",
    "Update ",
    " vers=",
    "Connection pool for ",
    "Most recently executed operations:\n",
    ": [",
    "[Pid:(",
    ")]",
    "sql=\"",
    "user_keys=",
    "<adbKey key=\"",
    "lastConnection=\"",
    "ChangeId(",
    "rawOverrides={",
    "=",
    ",",
    "Enabled Device Admins",
    "Notification listeners:\n",
    "All notification listeners (1) enabled for current profiles:\n",
    "ManagedServiceInfo[component=",
    "[ro.x]: [",
    "USER PID PPID NAME\n",
    "LABEL USER PID TID CMD\n",
    "u:r:x:s0 ",
    "pid: ",
    ", tid: ",
    ", name: ",
    ">>> ",
    " <<<",
    "signal ",
    "(",
    ")",
    "Cmdline:",
    "uid:",
    "DUMP OF SERVICE ",
    "------ ",
    " ------\n",
    "\n",
    "  ",
    "\u{fffd}",
    "é",
    "{",
    "[",
    "\"",
    ":",
    "/",
    ".",
    "-",
];

fn noise(rng: &mut rand_chacha::ChaCha8Rng) -> Vec<u8> {
    let mut v = Vec::new();
    for _ in 0..rng.random_range(0..400) {
        if rng.random_bool(0.1) {
            v.push(rng.random());
        } else {
            v.extend_from_slice(TOKENS[rng.random_range(0..TOKENS.len())].as_bytes());
        }
    }
    v
}

/// Items each parser made of `text` (line-based parsers first), then the refusals of the byte
/// parsers.
fn parse_all(bytes: &[u8]) -> (Vec<(&'static str, usize)>, Vec<String>) {
    let text = String::from_utf8_lossy(bytes);
    let (files, file_errors) = aqf::parse_files_json(bytes);
    let d = Dumpstate::from_text(&text);
    let items = vec![
        ("packages", dumpsys::parse_packages(&text).len()),
        ("resolver", dumpsys::parse_resolver(&text, "Activity Resolver Table:").len()),
        ("appops", dumpsys::parse_appops(&text).len()),
        ("device_admins", dumpsys::parse_device_admins(&text).len()),
        ("notification_listeners", dumpsys::parse_notification_listeners(&text).len()),
        ("battery_daily", dumpsys::parse_battery_daily(&text).len()),
        ("dbinfo", dumpsys::parse_dbinfo(&text).len()),
        ("adb", dumpsys::parse_adb(&text).len()),
        ("getprop", props::parse_getprop(&text).len()),
        ("settings", props::parse_settings(&text).len()),
        ("ps", ps::parse_ps(&text).len()),
        ("mounts", text.lines().filter_map(aqf::parse_mount).count()),
        ("hashes", aqf::parse_hashes_csv(&text).len()),
        ("files", files.len()),
        ("package_section_bytes", d.dumpsys("package").map_or(0, str::len)),
        // several per line: bounded by their separators below
        ("accessibility", dumpsys::parse_accessibility(&text).len()),
        ("platform_compat", dumpsys::parse_platform_compat(&text).len()),
        ("tombstone_cmdline", tombstone::parse_tombstone(&text).command_line.len()),
    ];
    let mut refusals: Vec<String> = file_errors;
    if let Err(e) = ferret_android::parsers::protobuf::parse_tombstone_pb(bytes) {
        refusals.push(e.to_string());
    }
    match ferret_android::backup::open_stream(bytes, Some("pw"), "noise.ab") {
        Ok((_, mut r)) => {
            if let Err(e) = std::io::copy(&mut r, &mut std::io::sink()) {
                refusals.push(format!("noise.ab: payload: {e}"));
            }
        }
        Err(e) => refusals.push(e.to_string()),
    }
    (items, refusals)
}

#[test]
fn parsers_survive_noise() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(55);
    let mut found = std::collections::BTreeMap::<&str, usize>::new();
    for i in 0..3000 {
        let bytes = noise(&mut rng);
        let text = String::from_utf8_lossy(&bytes);
        let (items, refusals) = parse_all(&bytes);
        // nothing out of nothing: one item per line at most (files.json: one per line or per
        // object), accessibility services and compat overrides by their separators
        let lines = text.lines().count();
        let count = |c: char| text.matches(c).count();
        for (name, n) in &items {
            let bound = match *name {
                "accessibility" => count('/'),
                "platform_compat" => count('='),
                "files" => lines.max(count('{')),
                "tombstone_cmdline" => text.split_whitespace().count(),
                "package_section_bytes" => text.len(),
                _ => lines,
            };
            assert!(*n <= bound, "{name}: {n} items from {lines} lines: {text:?}");
            *found.entry(name).or_default() += n;
        }
        // every refusal says what and where
        for e in &refusals {
            let specific = e.starts_with("noise.ab: ")
                || e.starts_with("line ")
                || e.starts_with("not a valid JSON array: ")
                || (e.contains("protobuf") && e.contains("offset"));
            assert!(specific, "not specific: {e}");
        }
        // the same input, the same outcome (one noise in ten)
        if i % 10 == 0 {
            assert_eq!(parse_all(&bytes), (items, refusals));
        }
    }
    // the noise is made of the parsers' own tokens: it reaches most of them
    let reached = found.values().filter(|&&n| n > 0).count();
    assert!(reached >= 10, "{found:?}");
}

#[test]
fn huge_lines_and_deep_nesting() {
    // a 64 MiB line without newline is capped, not buffered
    let big = vec![b'A'; 64 << 20];
    let mut r = CappedLines::new(std::io::BufReader::new(&big[..]), 1024);
    let l = r.next_line().expect("io").expect("line");
    assert_eq!(l.len(), 1024);
    assert!(r.next_line().expect("io").is_none());
    // deeply nested JSON is an error, not a stack overflow
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let (v, e) = aqf::parse_files_json(deep.as_bytes());
    assert!(v.is_empty() && e.len() == 1);
    // invalid UTF-8 in a dumpstate section survives splitting
    let mut d = b"DUMP OF SERVICE package:\nPackages:\n  Package [com.\xff\xfe] (1):\n    userId=10001\n".to_vec();
    d.extend_from_slice(b"------------------------------------------------------------------------------\n");
    let ds = Dumpstate::from_text(&String::from_utf8_lossy(&d));
    let p = dumpsys::parse_packages(ds.dumpsys("package").expect("section"));
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].uid, Some(10001));
}
