//! Synthetic Android intrusion-log exports (Android 16 Advanced Protection): one
//! newline-delimited JSON file a day of `dns_event`, `connect_event` and `security_event`
//! records, as a folder or a zip.
//!
//! Noise: [`IntrusionSpec::events`] ordinary events from real-looking apps (lookups and
//! connections to the services those apps use, app process starts, unlocks, locks, start-ups,
//! app updates, benign ADB commands an acquisition tool runs, one mistyped PIN now and then).
//!
//! Planted (and the alert each must cause):
//! * Chrome looks up a Predator domain (domain indicator) that resolves to an address (IPv4
//!   indicator) → `dns_event` CRITICAL twice (name, address); Chrome then connects to the
//!   address → `connect_event` CRITICAL;
//! * a spyware app (app-id indicator) is installed and its process starts → `security_event`
//!   CRITICAL twice;
//! * a tamper sequence: the log buffer nearly full → LOW, then security logging stopped → MEDIUM
//!   (and started again → nothing);
//! * an ADB shell command enabling an accessibility service → MEDIUM;
//! * a root certificate installed → MEDIUM;
//! * six failed unlock attempts within three minutes → one MEDIUM.
//!
//! With [`IntrusionSpec::damaged`], a file that is not a log, a malformed line, a line of
//! 300 KiB and an event of an unknown type are added: acquisition problems, no alert.

use std::io::Write;
use std::path::Path;

use ferret_core::Level;
use rand::Rng;
use serde_json::json;

use crate::rng::{TestRng, hex_string, rng_for, word};
use crate::truth::{IndicatorKind, Truth};

/// What to generate.
#[derive(Debug, Clone)]
pub struct IntrusionSpec {
    /// Seed.
    pub seed: u64,
    /// Ordinary events (noise), spread over [`Self::days`].
    pub events: usize,
    /// Days, one file each.
    pub days: usize,
    /// Add a non-log file, a malformed line, an oversized line and an unknown event type.
    pub damaged: bool,
}

impl Default for IntrusionSpec {
    fn default() -> Self {
        Self { seed: 16, events: 5_000, days: 7, damaged: false }
    }
}

/// Files of an export: (path relative to its folder, bytes).
pub type Files = Vec<(String, Vec<u8>)>;

/// 2026-05-20T00:00:00Z, the first day, in Unix milliseconds.
pub const START_MS: i64 = 1_779_235_200_000;
const DAY_MS: i64 = 86_400_000;

/// Apps of the noise, with the names they look up.
const APPS: [(&str, &[&str]); 10] = [
    ("com.android.chrome", &["www.google.com", "en.wikipedia.org", "www.bbc.co.uk", "fonts.gstatic.com"]),
    ("com.whatsapp", &["g.whatsapp.net", "mmg.whatsapp.net", "static.whatsapp.net"]),
    ("com.google.android.gms", &["play.googleapis.com", "android.clients.google.com", "mtalk.google.com"]),
    ("org.telegram.messenger", &["telegram.org", "cdn4.telesco.pe"]),
    ("com.instagram.android", &["i.instagram.com", "scontent.cdninstagram.com", "graph.instagram.com"]),
    ("com.spotify.music", &["spclient.wg.spotify.com", "audio-ak.spotifycdn.com"]),
    ("com.google.android.youtube", &["youtubei.googleapis.com", "rr3---sn-4g5e6nsz.googlevideo.com"]),
    ("com.google.android.apps.maps", &["maps.googleapis.com", "www.googleapis.com"]),
    ("org.thoughtcrime.securesms", &["chat.signal.org", "cdn.signal.org"]),
    ("com.android.vending", &["play-fe.googleapis.com", "play-lh.googleusercontent.com"]),
];

/// Benign commands an acquisition tool runs over ADB.
const BENIGN_ADB: [&str; 5] =
    ["pm list packages -u -i -U", "getprop", "dumpsys package", "ps -A", "settings list global"];

fn noise_ip(rng: &mut TestRng, app: usize) -> String {
    let prefix =
        ["142.250", "157.240", "172.217", "149.154", "31.13", "35.186", "74.125", "216.58", "13.248", "34.104"]
            [app % 10];
    format!("{prefix}.{}.{}", rng.random_range(0..=255), rng.random_range(1..=254))
}

/// One line of the export.
fn line(key: &str, event: serde_json::Value) -> String {
    let mut s = json!({ key: event }).to_string();
    s.push('\n');
    s
}

fn ns(ms: i64, rng: &mut TestRng) -> i64 {
    ms * 1_000_000 + rng.random_range(0..1_000_000)
}

/// The export's files and truth.
pub fn intrusion_files(spec: &IntrusionSpec) -> (Files, Truth) {
    let mut rng = rng_for(spec.seed, "intrusion");
    let mut t = Truth::default();
    let days = spec.days.max(1);
    let w = word(&mut rng, 6);
    let domain = format!("cdn-{w}-update.net");
    let ip = format!("45.{}.{}.{}", rng.random_range(100..=120), rng.random_range(0..=255), rng.random_range(1..=254));
    let spy = format!("com.{w}.sysupdate");
    let stalker = format!("com.sysmon.{}", word(&mut rng, 5));
    let subject = format!("CN=Secure Proxy CA {}", word(&mut rng, 4).to_uppercase());
    t.plant(IndicatorKind::Domain, domain.clone(), "Predator");
    t.plant(IndicatorKind::Ipv4, ip.clone(), "Predator");
    t.plant(IndicatorKind::AppId, spy.clone(), "Predator");

    // planted events by day and time of day (ms), each a full line
    let mut planted: Vec<(usize, i64, String)> = Vec::new();
    let mid = days / 2;
    let at = |h: i64, m: i64| (h * 60 + m) * 60_000;
    planted.push((
        mid,
        at(21, 14),
        line(
            "dns_event",
            json!({"event_time": START_MS + mid as i64 * DAY_MS + at(21, 14), "package_name": "com.android.chrome",
                   "hostname": domain, "ip_addresses": [format!("/{ip}")], "ip_addresses_count": 1}),
        ),
    ));
    planted.push((
        mid,
        at(21, 14) + 180,
        line(
            "connect_event",
            json!({"event_time": START_MS + mid as i64 * DAY_MS + at(21, 14) + 180, "package_name": "com.android.chrome",
                   "ip_address": format!("/{ip}"), "port": 443}),
        ),
    ));
    t.expect("dns_event", Level::Critical, Some(&domain), domain.clone());
    t.expect("dns_event", Level::Critical, Some(&ip), format!("DNS answer \"{ip}\""));
    t.expect("connect_event", Level::Critical, Some(&ip), ip.clone());
    let sec = |rng: &mut TestRng, day: usize, tod: i64, tag: &str, data: serde_json::Value| {
        let ms = START_MS + day as i64 * DAY_MS + tod;
        (
            day,
            tod,
            line(
                "security_event",
                json!({"event_time": ns(ms, rng), "event_id": rng.random_range(1000..99999), tag: data}),
            ),
        )
    };
    planted.push(sec(
        &mut rng,
        mid,
        at(21, 16),
        "package_installed",
        json!({"package_name": spy, "version_code": 12, "user_id": 0}),
    ));
    let apk = hex_string(&mut rng, 64);
    planted.push(sec(
        &mut rng,
        mid,
        at(21, 17),
        "app_process_start",
        json!({"process": format!("{spy}:remote"), "start_time": START_MS + mid as i64 * DAY_MS + at(21, 17),
               "uid": 10_311, "pid": 23_011, "seinfo": "default:targetSdkVersion=28:complete", "sha256": apk}),
    ));
    t.expect("security_event", Level::Critical, Some(&spy), "App installed:");
    t.expect("security_event", Level::Critical, Some(&spy), format!("{spy}:remote"));
    // tamper sequence, the day after
    let td = (mid + 1).min(days - 1);
    planted.push(sec(&mut rng, td, at(3, 2), "log_buffer_size_critical", json!({})));
    planted.push(sec(&mut rng, td, at(3, 5), "logging_stopped", json!({})));
    planted.push(sec(&mut rng, td, at(5, 40), "logging_started", json!({})));
    t.expect("security_event", Level::Low, None, "log buffer was nearly full");
    t.expect("security_event", Level::Medium, None, "logging was stopped");
    // stalkerware set-up over ADB, and a root certificate, on the first day
    let cmd = format!("settings put secure enabled_accessibility_services {stalker}/.AccessService");
    planted.push(sec(&mut rng, 0, at(14, 3), "adb_shell_cmd", json!({ "command": cmd })));
    t.expect("security_event", Level::Medium, None, stalker.clone());
    planted.push(sec(
        &mut rng,
        0,
        at(14, 9),
        "cert_authority_installed",
        json!({"success": true, "subject": subject, "user_id": 0}),
    ));
    t.expect("security_event", Level::Medium, None, subject.clone());
    // someone guessing the PIN: six failures in three minutes
    let gd = days - 1;
    for k in 0..6 {
        planted.push(sec(
            &mut rng,
            gd,
            at(2, 30) + k * 30_000,
            "keyguard_dismiss_auth_attempt",
            json!({"success": false, "method_strength": 1}),
        ));
    }
    t.expect("security_event", Level::Medium, None, "failed unlock attempts");

    // noise, by day, sorted by time with the planted events
    let mut files = Vec::new();
    let per_day = spec.events / days;
    for day in 0..days {
        let n = if day + 1 == days { spec.events - per_day * (days - 1) } else { per_day };
        let mut lines: Vec<(i64, String)> = Vec::with_capacity(n + 16);
        for _ in 0..n {
            let mut tod = rng.random_range(0..DAY_MS);
            // keep noise away from the burst of failed unlocks (a success would end it)
            if day == gd && (at(2, 25)..at(2, 40)).contains(&tod) {
                tod += at(0, 20);
            }
            let ms = START_MS + day as i64 * DAY_MS + tod;
            let app = rng.random_range(0..APPS.len());
            let (pkg, names) = APPS[app];
            let roll = rng.random_range(0..100);
            let l = if roll < 45 {
                let host = names[rng.random_range(0..names.len())];
                let k = rng.random_range(1..=3);
                let ips: Vec<String> = (0..k).map(|_| format!("/{}", noise_ip(&mut rng, app))).collect();
                line(
                    "dns_event",
                    json!({"event_time": ms, "package_name": pkg, "hostname": host, "ip_addresses": ips, "ip_addresses_count": k}),
                )
            } else if roll < 85 {
                let port = if rng.random_range(0..10) == 0 { 5228 } else { 443 };
                line(
                    "connect_event",
                    json!({"event_time": ms, "package_name": pkg, "ip_address": format!("/{}", noise_ip(&mut rng, app)), "port": port}),
                )
            } else {
                let id = rng.random_range(1000..99999);
                let (tag, data) = match rng.random_range(0..20) {
                    0..=8 => (
                        "app_process_start",
                        json!({"process": pkg, "start_time": ms, "uid": 10_100 + app, "pid": rng.random_range(2000..32000),
                               "seinfo": "default:privapp:targetSdkVersion=35:complete", "sha256": hex_string(&mut rng, 64)}),
                    ),
                    9..=11 => ("keyguard_dismissed", json!({})),
                    12..=13 => ("keyguard_secured", json!({})),
                    14 => ("keyguard_dismiss_auth_attempt", json!({"success": true, "method_strength": 1})),
                    15 => (
                        "package_updated",
                        json!({"package_name": pkg, "version_code": rng.random_range(100..9000), "user_id": 0}),
                    ),
                    16 => ("os_startup", json!({"verified_boot_state": "green", "dm_verity_mode": "enforcing"})),
                    17 => ("media_mount", json!({"mount_point": "/mnt/media_rw/1A2B-3C4D", "volume_label": "SD"})),
                    18 => ("adb_shell_cmd", json!({"command": BENIGN_ADB[rng.random_range(0..BENIGN_ADB.len())]})),
                    _ => (
                        "key_generated",
                        json!({"success": true, "key_id": format!("USRPKEY_{}", word(&mut rng, 6)), "uid": 10_100 + app}),
                    ),
                };
                line("security_event", json!({"event_time": ns(ms, &mut rng), "event_id": id, tag: data}))
            };
            lines.push((tod, l));
        }
        // a mistyped PIN then the right one, once a day (never a burst)
        let tod = 8 * 3_600_000 + rng.random_range(0..3_600_000);
        for (k, ok) in [(0, false), (4_000, true)] {
            let ms = START_MS + day as i64 * DAY_MS + tod + k;
            lines.push((
                tod + k,
                line(
                    "security_event",
                    json!({"event_time": ns(ms, &mut rng), "event_id": 1, "keyguard_dismiss_auth_attempt": {"success": ok, "method_strength": 1}}),
                ),
            ));
        }
        for (d, tod, l) in &planted {
            if *d == day {
                lines.push((*tod, l.clone()));
            }
        }
        lines.sort_by_key(|(tod, _)| *tod);
        let mut text = String::with_capacity(lines.iter().map(|(_, l)| l.len()).sum());
        for (_, l) in &lines {
            text.push_str(l);
        }
        if spec.damaged && day == 0 {
            text.push_str("{\"dns_event\": {\"event_time\": \"yesterday\", \"hostname\": 5}}\n");
            text.push_str("not json at all\n");
            text.push_str(&format!(
                "{{\"connect_event\": {{\"event_time\": 1, \"package_name\": \"{}\"}}}}\n",
                "x".repeat(300 << 10)
            ));
            text.push_str("{\"future_event\": {\"event_time\": 1779235200000}}\n");
        }
        files.push((format!("intrusion-logs/{}.txt", day_name(day)), text.into_bytes()));
    }
    if spec.damaged {
        files.push(("intrusion-logs/README.md".into(), b"# Exported by the owner\n".to_vec()));
    }
    (files, t)
}

fn day_name(day: usize) -> String {
    let ts = jiff::Timestamp::from_millisecond(START_MS + day as i64 * DAY_MS).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    format!("intrusion-log-{}", ts.strftime("%Y-%m-%d"))
}

/// Writes the export as a folder (its files under `dir/intrusion-logs/`); returns `dir`'s truth.
pub fn write_intrusion_dir(dir: &Path, spec: &IntrusionSpec) -> std::io::Result<Truth> {
    let (files, truth) = intrusion_files(spec);
    for (name, bytes) in files {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(p, bytes)?;
    }
    Ok(truth)
}

/// Writes the export as a zip; `extra` members (name, bytes) are added as given (hostile names
/// included).
pub fn write_intrusion_zip(path: &Path, spec: &IntrusionSpec, extra: &[(&str, &[u8])]) -> std::io::Result<Truth> {
    let (files, truth) = intrusion_files(spec);
    let f = std::fs::File::create(path)?;
    let mut z = zip::ZipWriter::new(f);
    let o = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files.iter().map(|(n, b)| (n.as_str(), b.as_slice())).chain(extra.iter().copied()) {
        z.start_file(name, o).map_err(std::io::Error::other)?;
        z.write_all(bytes)?;
    }
    z.finish().map_err(std::io::Error::other)?;
    Ok(truth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_are_deterministic_and_hold_every_type() {
        let spec = IntrusionSpec { events: 400, ..IntrusionSpec::default() };
        let (a, ta) = intrusion_files(&spec);
        let (b, tb) = intrusion_files(&spec);
        assert_eq!((a.clone(), ta.clone()), (b, tb));
        assert_ne!(intrusion_files(&IntrusionSpec { seed: 17, ..spec.clone() }).0, a);
        assert_eq!(a.len(), 7);
        let text: String = a.iter().map(|(_, b)| String::from_utf8_lossy(b).into_owned()).collect();
        for key in ["\"dns_event\"", "\"connect_event\"", "\"security_event\""] {
            assert!(text.contains(key), "{key}");
        }
        // 400 noise events, 2 unlock lines a day, 15 planted
        assert_eq!(text.lines().count(), 400 + 14 + 15);
        assert_eq!(ta.alerts.len(), 10);
    }
}
