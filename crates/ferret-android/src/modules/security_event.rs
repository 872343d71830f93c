//! `security_event` (intrusion logs): Android `SecurityLog` events (ADB activity, app process
//! starts, keyguard, OS start-up, logging, certificates, packages...). MVT's `SecurityEvent`.
//!
//! Indicator checks (CRITICAL): an app process name (whole, before its first `:`, and each
//! `:` part after it, as MVT does) against app then process indicators, and its APK SHA-256
//! against hash indicators; the package of `package_installed` / `_updated` / `_uninstalled`
//! against app indicators; package names in an ADB shell command against app indicators; the
//! path of an `adb pull` / `adb push` against file-path indicators.
//!
//! Heuristics, without indicators (each rule is in `docs/detections.md`):
//! * `logging_stopped` → MEDIUM (events after it may be missing: possible tampering);
//! * `log_buffer_size_critical` → LOW (the log was close to full: older events may be lost);
//! * `adb_shell_cmd` that installs or grants an app, enables an accessibility service,
//!   notification listener or device admin, hides or disables an app, turns off app
//!   verification, or runs a program from `/data/local/tmp` → MEDIUM; `adb_shell_interactive`
//!   → LOW; `adb_sync_send_file` (adb push) → LOW, MEDIUM into `/data/local/tmp` (androidqf's own
//!   `/data/local/tmp/collector` excepted);
//! * `cert_authority_installed` → MEDIUM (LOW when the install failed);
//! * `app_process_start` of a process named by a path in a writable place (`/data/local/tmp`,
//!   `/sdcard`, `/data/data`, `/tmp`) → MEDIUM;
//! * five failed `keyguard_dismiss_auth_attempt`s within ten minutes → MEDIUM, once per burst
//!   (the record that completes the burst carries `failed_auth_burst`);
//! * `os_startup` with verified boot `orange` (unlocked bootloader) or dm-verity not
//!   `enforcing` → MEDIUM;
//! * as MVT: `key_integrity_violation`, `wipe_failure`, and a failed
//!   `crypto_self_test_completed` → MEDIUM.

use std::collections::{BTreeMap, VecDeque};

use ferret_core::{ArtifactModule, Context, Finding, Indicators, Level, ModuleError, Out, Outcome, ioc_finding};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::intrusion::{self, EventType, Item, WireSecurity};

/// Failed unlock attempts that make a burst.
pub const AUTH_BURST: u32 = 5;
/// The window they must fall in (nanoseconds: ten minutes).
pub const AUTH_WINDOW_NS: i64 = 600 * 1_000_000_000;

/// One `security_event`, as MVT writes it: `event_time`, `event_id`, the tag as a key holding
/// its fields (`"adb_shell_cmd": {"command": "..."}`), and `timestamp` (`event_time` in UTC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityEvent {
    /// Unix nanoseconds, as logged.
    pub event_time: Option<i64>,
    /// Event id, when logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<i64>,
    /// The `SecurityLog` tag in snake case (empty when the event has none).
    pub tag: String,
    /// The tag and its fields (one entry).
    #[serde(flatten)]
    pub event: BTreeMap<String, Value>,
    /// `event_time` in UTC.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub timestamp: Option<Timestamp>,
    /// Export file the event is in.
    pub file: String,
    /// Its line (1-based).
    pub line: u64,
    /// On the failed unlock attempt that completes a burst: how many failed attempts fell within
    /// ten minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_auth_burst: Option<u32>,
}

impl SecurityEvent {
    /// The record of a logged event at `file:line`.
    pub fn from_wire(w: WireSecurity, file: &str, line: u64) -> Self {
        let mut event = BTreeMap::new();
        if !w.tag.is_empty() {
            event.insert(w.tag.clone(), w.data);
        }
        Self {
            timestamp: w.event_time.and_then(|ns| ferret_core::time::from_unix_ns(i128::from(ns))),
            event_time: w.event_time,
            event_id: w.event_id,
            tag: w.tag,
            event,
            file: file.to_string(),
            line,
            failed_auth_burst: None,
        }
    }

    /// The tag's value (`null` when absent).
    pub fn data(&self) -> &Value {
        self.event.get(&self.tag).unwrap_or(&Value::Null)
    }

    /// A string field of the tag's value.
    pub fn str_field(&self, key: &str) -> Option<&str> {
        self.data().get(key).and_then(Value::as_str)
    }

    /// A boolean field of the tag's value (`true`/`false`, or a number: non-zero is true).
    pub fn bool_field(&self, key: &str) -> Option<bool> {
        match self.data().get(key)? {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => n.as_i64().map(|v| v != 0),
            _ => None,
        }
    }

    /// Whether this is a failed keyguard unlock attempt.
    pub fn is_failed_auth(&self) -> bool {
        self.tag == "keyguard_dismiss_auth_attempt" && self.bool_field("success") == Some(false)
    }
}

/// ADB shell command fragments that set up an app to spy or hide (lower case, single spaces).
const ADB_SUSPICIOUS: [&str; 16] = [
    "pm install",
    "cmd package install",
    "pm grant",
    "appops set",
    "dpm set-device-owner",
    "dpm set-profile-owner",
    "dpm set-active-admin",
    "enabled_accessibility_services",
    "enabled_notification_listeners",
    "package_verifier_enable 0",
    "verifier_verify_adb_installs 0",
    "pm hide",
    "pm disable",
    "pm suspend",
    "/data/local/tmp/",
    "install-existing",
];

/// androidqf's own collector: pushed to and run from `/data/local/tmp` by every androidqf
/// acquisition, not a sign of anything.
const ANDROIDQF_COLLECTOR: &str = "/data/local/tmp/collector";

/// The suspicious fragment of an ADB shell command, if any.
pub fn suspicious_adb_command(cmd: &str) -> Option<&'static str> {
    let norm = cmd.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_lowercase();
    let without_collector = norm.replace(ANDROIDQF_COLLECTOR, "");
    ADB_SUSPICIOUS.into_iter().find(|f| without_collector.contains(f))
}

/// Writable places a program should not start from.
const WRITABLE_PLACES: [&str; 5] = ["/data/local/tmp/", "/sdcard/", "/storage/", "/data/data/", "/tmp/"];

/// Words of an ADB command that look like package names (`a.b` or longer, letters, digits,
/// `_` and `.`; a `/component` suffix removed).
fn package_words(cmd: &str) -> impl Iterator<Item = &str> {
    cmd.split(|c: char| c.is_whitespace() || c == '\'' || c == '"' || c == ':' || c == ',' || c == ';')
        .map(|w| w.split('/').next().unwrap_or(w))
        .filter(|w| {
            w.contains('.')
                && !w.starts_with('.')
                && !w.ends_with('.')
                && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                && w.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        })
}

fn security_findings(r: &SecurityEvent, ind: &dyn Indicators, f: &mut Vec<Finding>) {
    let t = r.timestamp;
    let heur = |f: &mut Vec<Finding>, level: Level, msg: String| f.push(Finding::heuristic(level, msg, t));
    match r.tag.as_str() {
        "app_process_start" => {
            if let Some(p) = r.str_field("process").filter(|p| !p.is_empty()) {
                let base = p.split(':').next().unwrap_or(p);
                let hit = ind
                    .check_app_id(p)
                    .or_else(|| ind.check_app_id(base))
                    .or_else(|| p.split(':').skip(1).filter(|c| !c.is_empty()).find_map(|c| ind.check_app_id(c)))
                    .or_else(|| ind.check_process(p))
                    .or_else(|| ind.check_process(base));
                if let Some(m) = hit {
                    f.push(ioc_finding(Level::Critical, "App process started:", p, t, m));
                }
                if p.starts_with('/') && WRITABLE_PLACES.iter().any(|w| p.starts_with(w)) {
                    heur(f, Level::Medium, format!("App process {p:?} started from a writable folder"));
                }
            }
            if let Some(h) = r.str_field("sha256").or_else(|| r.str_field("apk_hash")).filter(|h| !h.is_empty())
                && let Some(m) = ind.check_file_hash(h)
            {
                f.push(ioc_finding(Level::Critical, "APK of a started app process has SHA-256", h, t, m));
            }
        }
        "package_installed" | "package_updated" | "package_uninstalled" => {
            if let Some(p) = r.str_field("package_name").filter(|p| !p.is_empty())
                && let Some(m) = ind.check_app_id(p)
            {
                let what = match r.tag.as_str() {
                    "package_installed" => "App installed:",
                    "package_updated" => "App updated:",
                    _ => "App uninstalled:",
                };
                f.push(ioc_finding(Level::Critical, what, p, t, m));
            }
        }
        "adb_shell_cmd" => {
            let cmd = r.str_field("command").unwrap_or("");
            let mut seen: Vec<&str> = Vec::new();
            for w in package_words(cmd) {
                if seen.contains(&w) || seen.len() >= 64 {
                    continue;
                }
                seen.push(w);
                if let Some(m) = ind.check_app_id(w) {
                    f.push(ioc_finding(Level::Critical, "ADB shell command names app", w, t, m));
                }
            }
            if let Some(frag) = suspicious_adb_command(cmd) {
                heur(
                    f,
                    Level::Medium,
                    format!("ADB shell command that sets up or hides an app ({frag:?}): {:?}", clip(cmd)),
                );
            }
        }
        "adb_shell_interactive" => heur(f, Level::Low, "An interactive ADB shell was opened on the phone".into()),
        "adb_sync_send_file" | "adb_sync_recv_file" => {
            let path = r.str_field("path").unwrap_or("");
            if !path.is_empty()
                && let Some(m) = ind.check_file_path(path)
            {
                f.push(ioc_finding(Level::Critical, "File copied over ADB:", path, t, m));
            }
            if r.tag == "adb_sync_send_file" && path != ANDROIDQF_COLLECTOR {
                if path.starts_with("/data/local/tmp/") {
                    heur(f, Level::Medium, format!("File pushed over ADB into /data/local/tmp: {:?}", clip(path)));
                } else {
                    heur(f, Level::Low, format!("File pushed over ADB: {:?}", clip(path)));
                }
            }
        }
        "logging_stopped" => heur(
            f,
            Level::Medium,
            "Security logging was stopped: events after this may be missing (possible tampering)".into(),
        ),
        "log_buffer_size_critical" => {
            heur(f, Level::Low, "The security log buffer was nearly full: older events may have been lost".into())
        }
        "cert_authority_installed" => {
            let subject = r.str_field("subject").unwrap_or("?");
            if r.bool_field("success") == Some(false) {
                heur(f, Level::Low, format!("Attempt to install a root certificate failed: {:?}", clip(subject)));
            } else {
                heur(
                    f,
                    Level::Medium,
                    format!("Root certificate installed (its holder can read encrypted traffic): {:?}", clip(subject)),
                );
            }
        }
        "keyguard_dismiss_auth_attempt" => {
            if let Some(n) = r.failed_auth_burst {
                heur(
                    f,
                    Level::Medium,
                    format!("{n} failed unlock attempts within ten minutes (someone guessing the PIN?)"),
                );
            }
        }
        "os_startup" => {
            let boot = r.str_field("verified_boot_state").unwrap_or("");
            let verity = r.str_field("dm_verity_mode").unwrap_or("");
            if boot.eq_ignore_ascii_case("orange") {
                heur(f, Level::Medium, "Phone started with an unlocked bootloader (verified boot state orange)".into());
            } else if !verity.is_empty() && !verity.eq_ignore_ascii_case("enforcing") {
                heur(
                    f,
                    Level::Medium,
                    format!("Phone started with dm-verity {:?} (system integrity not enforced)", clip(verity)),
                );
            }
        }
        "key_integrity_violation" => heur(f, Level::Medium, "Key integrity violation".into()),
        "wipe_failure" => heur(f, Level::Medium, "A wipe of the phone or a user failed".into()),
        "crypto_self_test_completed" => {
            let ok = match r.data() {
                Value::Object(_) => r.bool_field("success"),
                Value::Bool(b) => Some(*b),
                Value::Number(n) => n.as_i64().map(|v| v != 0),
                _ => None,
            };
            if ok == Some(false) {
                heur(f, Level::Medium, "Cryptographic self-test failed".into());
            }
        }
        _ => {}
    }
}

/// At most 200 characters of a value for a message.
fn clip(s: &str) -> String {
    if s.chars().count() <= 200 { s.to_string() } else { format!("{}...", s.chars().take(200).collect::<String>()) }
}

/// A short description of an event for the timeline.
fn describe(r: &SecurityEvent) -> String {
    let s = |k: &str| clip(r.str_field(k).unwrap_or(""));
    match r.tag.as_str() {
        "adb_shell_cmd" => format!("ADB shell command: {}", s("command")),
        "adb_shell_interactive" => "ADB interactive shell opened".into(),
        "adb_sync_recv_file" => format!("File pulled over ADB: {}", s("path")),
        "adb_sync_send_file" => format!("File pushed over ADB: {}", s("path")),
        "app_process_start" => {
            let uid = r.data().get("uid").map(Value::to_string).unwrap_or_default();
            format!("App process started: {} (uid {uid})", s("process"))
        }
        "package_installed" | "package_updated" | "package_uninstalled" => {
            format!("{}: {}", r.tag.replace('_', " "), s("package_name"))
        }
        "cert_authority_installed" | "cert_authority_removed" => {
            let ok = if r.bool_field("success") == Some(false) { " (failed)" } else { "" };
            format!("{}{ok}: {}", r.tag.replace('_', " "), s("subject"))
        }
        "keyguard_dismiss_auth_attempt" => {
            format!("Unlock attempt {}", if r.bool_field("success") == Some(true) { "succeeded" } else { "failed" })
        }
        "os_startup" => {
            format!("OS startup (verified boot {}, dm-verity {})", s("verified_boot_state"), s("dm_verity_mode"))
        }
        "" => "security event without a tag".into(),
        tag => {
            let mut d = r.data().to_string();
            if d == "null" || d == "{}" {
                d.clear();
            }
            let d = clip(&d);
            if d.is_empty() { tag.replace('_', " ") } else { format!("{}: {d}", tag.replace('_', " ")) }
        }
    }
}

/// Keeps the times of the last failed unlock attempts to find bursts.
#[derive(Debug, Default)]
struct AuthBursts {
    recent: VecDeque<i64>,
    in_burst: bool,
}

impl AuthBursts {
    /// Notes a failed attempt at `t` (ns); returns the burst size when this attempt completes one.
    fn failed(&mut self, t: i64) -> Option<u32> {
        if self.recent.back().is_some_and(|b| t < *b) {
            // time went backwards (another file): start over
            self.recent.clear();
            self.in_burst = false;
        }
        self.recent.push_back(t);
        while self.recent.front().is_some_and(|f| t.saturating_sub(*f) > AUTH_WINDOW_NS) {
            self.recent.pop_front();
        }
        while self.recent.len() > AUTH_BURST as usize {
            self.recent.pop_front();
        }
        let n = u32::try_from(self.recent.len()).unwrap_or(u32::MAX);
        if n >= AUTH_BURST {
            let first = !self.in_burst;
            self.in_burst = true;
            return first.then_some(n);
        }
        self.in_burst = false;
        None
    }

    /// A successful unlock ends a burst.
    fn succeeded(&mut self) {
        self.recent.clear();
        self.in_burst = false;
    }
}

/// The module.
#[derive(Debug, Clone, Copy)]
pub struct SecurityEvents;

impl ArtifactModule for SecurityEvents {
    type Record = SecurityEvent;
    const NAME: &'static str = "security_event";
    const DESCRIPTION: &'static str =
        "Intrusion logs: security events (ADB, app starts, unlocks, logging, certificates, packages)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let mut bursts = AuthBursts::default();
        let scan =
            intrusion::read_events::<ModuleError>(ctx.evidence, Some(EventType::Security), &mut |l| match l.item {
                Item::Security(w) => {
                    let mut r = SecurityEvent::from_wire(w, l.file, l.line);
                    if r.tag == "keyguard_dismiss_auth_attempt" {
                        match (r.bool_field("success"), r.event_time) {
                            (Some(false), Some(t)) => r.failed_auth_burst = bursts.failed(t),
                            (Some(true), _) => bursts.succeeded(),
                            _ => {}
                        }
                    }
                    out.record(r)
                }
                _ => Ok(()),
            })?;
        for e in &scan.read_errors {
            out.warn(e.clone());
        }
        Ok(if scan.log_files == 0 { Outcome::NotFound } else { Outcome::Completed })
    }

    fn timeline(&self, r: &SecurityEvent, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.timestamp {
            let kind = if r.tag.is_empty() { "security_event" } else { r.tag.as_str() };
            events.push((t, kind.to_string(), describe(r)));
        }
    }

    fn check(&self, r: &SecurityEvent, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        security_findings(r, ind, f);
    }

    fn changes(&self, r: &SecurityEvent, changes: &mut Vec<(Timestamp, String)>) {
        let Some(t) = r.timestamp else { return };
        match r.tag.as_str() {
            "package_installed" | "package_updated" => {
                if let Some(p) = r.str_field("package_name") {
                    let what = if r.tag == "package_installed" { "installed" } else { "updated" };
                    changes.push((t, format!("App {p:?} {what}")));
                }
            }
            "cert_authority_installed" if r.bool_field("success") != Some(false) => {
                changes
                    .push((t, format!("Root certificate {:?} installed", clip(r.str_field("subject").unwrap_or("?")))));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adb_commands_that_set_up_an_app_are_suspicious() {
        assert_eq!(suspicious_adb_command("pm  GRANT com.x android.permission.READ_SMS"), Some("pm grant"));
        assert_eq!(
            suspicious_adb_command("settings put secure enabled_accessibility_services com.x/.S"),
            Some("enabled_accessibility_services")
        );
        assert_eq!(suspicious_adb_command("/data/local/tmp/frida-server &"), Some("/data/local/tmp/"));
        assert_eq!(suspicious_adb_command("/data/local/tmp/collector -x"), None, "androidqf's collector");
        assert_eq!(suspicious_adb_command("pm list packages -f"), None);
        assert_eq!(suspicious_adb_command("dumpsys package"), None);
    }

    #[test]
    fn package_words_of_a_command() {
        let w: Vec<&str> = package_words("am start -n com.evil.app/.Main 'org.x_y.z' 1.2 /data/x a.").collect();
        assert_eq!(w, vec!["com.evil.app", "org.x_y.z"]);
    }

    #[test]
    fn a_burst_is_five_failures_in_ten_minutes_once() {
        let s = 1_000_000_000i64;
        let mut b = AuthBursts::default();
        let got: Vec<Option<u32>> = [0, 60, 120, 180, 240, 300, 360].iter().map(|t| b.failed(t * s)).collect();
        assert_eq!(got, vec![None, None, None, None, Some(5), None, None]);
        let mut b = AuthBursts::default();
        // spread over more than ten minutes: never five in the window
        let got: Vec<Option<u32>> = [0, 200, 400, 601, 800, 1000].iter().map(|t| b.failed(t * s)).collect();
        assert!(got.iter().all(Option::is_none), "{got:?}");
        let mut b = AuthBursts::default();
        for t in 0..4 {
            assert_eq!(b.failed(t * s), None);
        }
        b.succeeded();
        assert_eq!(b.failed(5 * s), None, "a success ends the burst");
    }

    fn event(line: &str) -> SecurityEvent {
        let env = crate::intrusion::parse_line(line.as_bytes()).expect("valid").expect("event");
        match env.0.into_iter().next() {
            Some(Item::Security(w)) => SecurityEvent::from_wire(w, "t.txt", 1),
            other => panic!("{other:?}"),
        }
    }

    fn levels(tag_and_data: &str) -> Vec<Level> {
        let r = event(&format!("{{\"security_event\": {{\"event_time\": 1779235200000000000, {tag_and_data}}}}}"));
        let mut f = Vec::new();
        security_findings(&r, &ferret_core::indicators::NoIndicators, &mut f);
        f.iter().map(|f| f.level).collect()
    }

    #[test]
    fn each_rule_without_indicators_and_what_it_leaves_alone() {
        use Level::*;
        let cases: &[(&str, &[Level])] = &[
            (r#""logging_stopped": {}"#, &[Medium]),
            (r#""logging_started": {}"#, &[]),
            (r#""log_buffer_size_critical": {}"#, &[Low]),
            (r#""adb_shell_interactive": {}"#, &[Low]),
            (r#""adb_shell_cmd": {"command": "pm install -r /sdcard/x.apk"}"#, &[Medium]),
            (r#""adb_shell_cmd": {"command": "getprop ro.build.fingerprint"}"#, &[]),
            (r#""adb_sync_send_file": {"path": "/sdcard/Download/a.pdf"}"#, &[Low]),
            (r#""adb_sync_send_file": {"path": "/data/local/tmp/frida-server"}"#, &[Medium]),
            (r#""adb_sync_send_file": {"path": "/data/local/tmp/collector"}"#, &[]),
            (r#""adb_sync_recv_file": {"path": "/sdcard/DCIM/a.jpg"}"#, &[]),
            (r#""cert_authority_installed": {"success": true, "subject": "CN=x"}"#, &[Medium]),
            (r#""cert_authority_installed": {"success": false, "subject": "CN=x"}"#, &[Low]),
            (r#""cert_authority_removed": {"success": true, "subject": "CN=x"}"#, &[]),
            (r#""app_process_start": {"process": "/data/local/tmp/implant", "uid": 10001}"#, &[Medium]),
            (r#""app_process_start": {"process": "com.android.chrome:sandboxed_process0"}"#, &[]),
            (r#""keyguard_dismiss_auth_attempt": {"success": false, "method_strength": 1}"#, &[]),
            (r#""os_startup": {"verified_boot_state": "orange", "dm_verity_mode": "enforcing"}"#, &[Medium]),
            (r#""os_startup": {"verified_boot_state": "green", "dm_verity_mode": "eio"}"#, &[Medium]),
            (r#""os_startup": {"verified_boot_state": "green", "dm_verity_mode": "enforcing"}"#, &[]),
            (r#""key_integrity_violation": {"key_id": "k"}"#, &[Medium]),
            (r#""wipe_failure": {}"#, &[Medium]),
            (r#""crypto_self_test_completed": {"success": false}"#, &[Medium]),
            (r#""crypto_self_test_completed": 1"#, &[]),
            (r#""crypto_self_test_completed": 0"#, &[Medium]),
            (r#""future_tag": {"x": 1}"#, &[]),
        ];
        for (data, want) in cases {
            assert_eq!(levels(data), *want, "{data}");
        }
    }

    #[test]
    fn indicators_match_processes_packages_commands_paths_and_hashes() {
        use ferret_testdata::truth::{IndicatorKind, Truth};
        let mut truth = Truth::default();
        truth.plant(IndicatorKind::Process, "spyd", "Test");
        truth.plant(IndicatorKind::FilePath, "/data/local/tmp/.x", "Test");
        truth.plant(IndicatorKind::FileSha256, "ab12", "Test");
        truth.plant(IndicatorKind::AppId, "com.spy.app", "Test");
        let ind = ferret_testdata::fake::TruthIndicators::new(&truth);
        let hits = |data: &str| {
            let r = event(&format!("{{\"security_event\": {{\"event_time\": 1, {data}}}}}"));
            let mut f = Vec::new();
            security_findings(&r, &ind, &mut f);
            f.iter().filter_map(|f| f.matched_indicator.as_ref().map(|m| m.value.clone())).collect::<Vec<_>>()
        };
        assert_eq!(hits(r#""app_process_start": {"process": "com.spy.app:remote"}"#), ["com.spy.app"]);
        assert_eq!(hits(r#""app_process_start": {"process": "com.other:com.spy.app"}"#), ["com.spy.app"]);
        assert_eq!(hits(r#""app_process_start": {"process": "spyd"}"#), ["spyd"]);
        assert_eq!(hits(r#""app_process_start": {"process": "com.ok", "sha256": "ab12"}"#), ["ab12"]);
        assert_eq!(hits(r#""package_uninstalled": {"package_name": "com.spy.app"}"#), ["com.spy.app"]);
        assert_eq!(hits(r#""adb_shell_cmd": {"command": "am start -n com.spy.app/.Main"}"#), ["com.spy.app"]);
        assert_eq!(hits(r#""adb_sync_recv_file": {"path": "/data/local/tmp/.x"}"#), ["/data/local/tmp/.x"]);
        assert!(hits(r#""app_process_start": {"process": "com.ok"}"#).is_empty());
    }

    #[test]
    fn installs_and_root_certificates_are_custody_changes() {
        let changes = |data: &str| {
            let r = event(&format!("{{\"security_event\": {{\"event_time\": 1779235200000000000, {data}}}}}"));
            let mut c = Vec::new();
            SecurityEvents.changes(&r, &mut c);
            c.into_iter().map(|(_, w)| w).collect::<Vec<_>>()
        };
        assert_eq!(changes(r#""package_installed": {"package_name": "com.x"}"#), ["App \"com.x\" installed"]);
        assert_eq!(changes(r#""package_updated": {"package_name": "com.x"}"#), ["App \"com.x\" updated"]);
        assert_eq!(
            changes(r#""cert_authority_installed": {"success": true, "subject": "CN=x"}"#),
            ["Root certificate \"CN=x\" installed"]
        );
        assert!(changes(r#""cert_authority_installed": {"success": false, "subject": "CN=x"}"#).is_empty());
        assert!(changes(r#""keyguard_secured": {}"#).is_empty());
    }

    #[test]
    fn records_round_trip_for_the_recheck() {
        let mut r = event(
            r#"{"security_event": {"event_time": 1779235200000000001, "event_id": 7, "keyguard_dismiss_auth_attempt": {"success": false}}}"#,
        );
        r.failed_auth_burst = Some(5);
        let v = serde_json::to_value(&r).expect("json");
        assert_eq!(v["keyguard_dismiss_auth_attempt"]["success"], false);
        let back: SecurityEvent = serde_json::from_value(v).expect("back");
        // `timestamp` is written to the microsecond; `event_time` keeps the nanoseconds
        assert_eq!(back.timestamp.map(|t| t.as_microsecond()), r.timestamp.map(|t| t.as_microsecond()));
        assert_eq!(SecurityEvent { timestamp: r.timestamp, ..back }, r);
    }
}
