//! Hostile input for every parser: random bytes, invalid UTF-8, truncated and huge lines,
//! deep nesting. Nothing may panic.

use ferret_android::dumpstate::Dumpstate;
use ferret_android::parsers::{aqf, dumpsys, misc};
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

#[test]
fn parsers_survive_noise() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(55);
    for _ in 0..3000 {
        let bytes = noise(&mut rng);
        let text = String::from_utf8_lossy(&bytes);
        let _ = dumpsys::parse_packages(&text);
        let _ = dumpsys::parse_resolver(&text, "Activity Resolver Table:");
        let _ = dumpsys::parse_accessibility(&text);
        let _ = dumpsys::parse_appops(&text);
        let _ = dumpsys::parse_device_admins(&text);
        let _ = dumpsys::parse_notification_listeners(&text);
        let _ = dumpsys::parse_battery_daily(&text);
        let _ = dumpsys::parse_dbinfo(&text);
        let _ = dumpsys::parse_adb(&text);
        let _ = dumpsys::parse_platform_compat(&text);
        let _ = misc::parse_getprop(&text);
        let _ = misc::parse_settings(&text);
        let _ = misc::parse_ps(&text);
        let _ = misc::parse_tombstone(&text);
        let _ = aqf::parse_files_json(&bytes);
        let _ = aqf::parse_hashes_csv(&text);
        let _ = text.lines().map(aqf::parse_mount).count();
        let _ = Dumpstate::from_text(&text);
        let _ = ferret_android::parsers::protobuf::parse_tombstone_pb(&bytes);
        let _ = ferret_android::backup::open_stream(&bytes[..], Some("pw"), "noise.ab")
            .map(|(_, mut r)| std::io::copy(&mut r, &mut std::io::sink()));
    }
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
