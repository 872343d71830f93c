//! Synthetic iOS sysdiagnose archives with ground truth.
//!
//! Files are produced by code from a seed (no real device data). Paths are relative to the
//! `sysdiagnose_*` folder. Generated artifacts and what is planted in each:
//!
//! * `system_logs.logarchive/Extra/shutdown.log` and the iOS 26 rotation `shutdown.0.log`
//!   (module `shutdown_log`): a process named like a process indicator (CRITICAL), an app under
//!   an indicator path prefix (CRITICAL), a binary under `/private/var/db/` delaying three reboots
//!   (HIGH per reboot + MEDIUM "repeated"), a binary under `/private/var/tmp/` (HIGH), a binary
//!   in an unusual but not suspicious folder delaying four reboots (MEDIUM "repeated"); decoys:
//!   system daemons delaying many reboots, an unusual binary delaying only two.
//! * `ps.txt`, `ps_thread.txt` (module `ps`): a process named like a process indicator, one
//!   under an indicator path, one under `/private/var/tmp/` (HIGH), one in an unusual folder
//!   (MEDIUM); everything in `ps.txt` also appears in `ps_thread.txt`, so every case is expected
//!   twice.
//! * `crashes_and_spins/*.ips` (module `crash_logs`): a crash of an indicator process, of an app
//!   with an indicator bundle id, of a binary under `/private/var/db/` (HIGH).
//! * `logs/MobileInstallation/mobile_installation.log.0` (module `mobile_installation`): install
//!   (container made live, install successful) and uninstall of an indicator bundle id (three
//!   CRITICAL).

use std::io::Write;
use std::path::{Path, PathBuf};

use ferret_core::Level;
use rand::Rng;

use crate::rng::{TestRng, rng_for, uuid, word};
use crate::truth::{IndicatorKind, Truth};

/// Malware name used for planted indicators.
pub const MALWARE: &str = "TestSpy";

/// The folder name a generated sysdiagnose uses.
pub const DEFAULT_NAME: &str = "sysdiagnose_2026.11.20_10-00-00+0100_iPhone-OS_iPhone_22B83";

/// One generated sysdiagnose file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SysFile {
    /// Path relative to the `sysdiagnose_*` folder.
    pub path: String,
    /// Content.
    pub bytes: Vec<u8>,
    /// Modification time (Unix seconds).
    pub mtime: i64,
}

/// Standard-location daemons used as benign clients/processes.
const SYSTEM_BINARIES: &[&str] = &[
    "/usr/libexec/locationd",
    "/usr/libexec/mediaserverd",
    "/usr/sbin/mDNSResponder",
    "/System/Library/CoreServices/SpringBoard.app/SpringBoard",
    "/System/Library/PrivateFrameworks/CloudKitDaemon.framework/Support/cloudd",
    "/usr/libexec/backboardd",
    "/System/Library/Frameworks/Contacts.framework/Support/contactsd",
    "/private/preboot/Cryptexes/OS/System/Library/Frameworks/WebKit.framework/XPCServices/com.apple.WebKit.WebContent.xpc/com.apple.WebKit.WebContent",
    "/Applications/MobileSafari.app/MobileSafari",
    "/sbin/launchd",
];

fn benign(rng: &mut TestRng) -> String {
    SYSTEM_BINARIES[rng.random_range(0..SYSTEM_BINARIES.len())].to_string()
}

fn app_path(rng: &mut TestRng, name: &str) -> String {
    format!("/private/var/containers/Bundle/Application/{}/{name}.app/{name}", uuid(rng))
}

/// `shutdown.log` + `shutdown.0.log` with `reboots` shutdown blocks spread over both files.
pub fn shutdown_logs(seed: u64, reboots: usize, truth: &mut Truth) -> Vec<SysFile> {
    let m = "shutdown_log";
    let mut rng = rng_for(seed, "sysdiagnose/shutdown");
    let reboots = reboots.max(6);
    let t0 = 1_760_000_000 + rng.random_range(0..1_000_000i64);

    let ioc_proc = format!("{}d", word(&mut rng, 9));
    let proc_client = format!("/usr/libexec/{ioc_proc}");
    truth.plant(IndicatorKind::Process, ioc_proc.clone(), MALWARE);
    let app_uuid = uuid(&mut rng);
    let ioc_dir = format!("/private/var/containers/Bundle/Application/{app_uuid}");
    let app_name = word(&mut rng, 8);
    let path_client = format!("{ioc_dir}/{app_name}.app/{app_name}");
    truth.plant(IndicatorKind::FilePath, ioc_dir.clone(), MALWARE);
    let db_client = format!("/private/var/db/com.apple.xpc.roleaccountd.staging/{}", word(&mut rng, 10));
    let tmp_client = format!("/private/var/tmp/{}", word(&mut rng, 10));
    let odd_client = format!("/private/var/mobile/Library/{}/{}", word(&mut rng, 7), word(&mut rng, 7));
    let odd_decoy = format!("/private/var/mobile/Library/{}/{}", word(&mut rng, 7), word(&mut rng, 7));

    // Which blocks each planted client appears in.
    let mut plan: Vec<Vec<String>> = vec![Vec::new(); reboots];
    plan[0].push(proc_client.clone());
    plan[1].push(path_client.clone());
    for b in [1, 3, reboots - 1] {
        plan[b].push(db_client.clone());
    }
    plan[2].push(tmp_client.clone());
    for b in [0, 2, 4, reboots - 2] {
        plan[b].push(odd_client.clone());
    }
    for b in [3, 5] {
        plan[b].push(odd_decoy.clone());
    }
    truth.expect(m, Level::Critical, Some(&ioc_proc), proc_client.clone());
    truth.expect(m, Level::Critical, Some(&ioc_dir), path_client.clone());
    for _ in 0..3 {
        truth.expect(m, Level::High, None, db_client.clone());
    }
    truth.expect(m, Level::Medium, None, db_client.clone());
    truth.expect(m, Level::High, None, tmp_client.clone());
    truth.expect(m, Level::Medium, None, odd_client.clone());
    // the process census: the unknown daemon, and every program in a data or temporary folder
    // (the decoy too: too rare for the shutdown log, still no program of iOS's)
    truth.expect_census(Level::Medium, &ioc_proc);
    for p in [&db_client, &tmp_client, &odd_client, &odd_decoy] {
        truth.expect_census(Level::High, p.rsplit('/').next().unwrap_or_default());
    }

    let split = reboots / 2;
    let mut older = String::new();
    let mut newer = String::new();
    for (b, planted) in plan.iter().enumerate() {
        let text = if b < split { &mut older } else { &mut newer };
        let t = t0 + b as i64 * 86_400 + rng.random_range(0..3600i64);
        text.push_str(&format!("\n{}: shutdown requested by SpringBoard\n", t - 5));
        let mut clients: Vec<(u32, String)> =
            (0..rng.random_range(2..6usize)).map(|_| (rng.random_range(100..9000u32), benign(&mut rng))).collect();
        // An App Store app that delays shutdown is ordinary.
        let w = word(&mut rng, 6);
        let pid = rng.random_range(100..9000u32);
        clients.push((pid, app_path(&mut rng, &w)));
        for p in planted {
            clients.push((rng.random_range(100..9000u32), p.clone()));
        }
        let rounds = rng.random_range(1..4usize);
        for r in 0..rounds {
            text.push_str(&format!("After {}.{:02}s, these clients are still here:\n", r, rng.random_range(1..99u32)));
            for (pid, path) in clients.iter().skip(r) {
                text.push_str(&format!("\t\tremaining client pid: {pid} ({path})\n"));
            }
        }
        text.push_str(&format!("SIGTERM: [{t}] (unresponsive clients terminated)\n"));
    }
    vec![
        SysFile { path: "system_logs.logarchive/Extra/shutdown.0.log".into(), bytes: older.into_bytes(), mtime: t0 },
        SysFile { path: "system_logs.logarchive/Extra/shutdown.log".into(), bytes: newer.into_bytes(), mtime: t0 + 1 },
    ]
}

const PS_HEADER: &str = "USER               UID PRSNA   PID  PPID        F  %CPU %MEM PRI NI      VSZ    RSS WCHAN    TT  STAT STARTED      TIME COMMAND";
const PST_HEADER: &str = "USER              PID   TT  %CPU STAT PRI     STIME     UTIME COMMAND";

/// `ps.txt` and `ps_thread.txt` with `count` benign processes plus the planted ones.
pub fn ps(seed: u64, count: usize, truth: &mut Truth) -> Vec<SysFile> {
    let m = "ps";
    let mut rng = rng_for(seed, "sysdiagnose/ps");
    let ioc_proc = word(&mut rng, 11);
    truth.plant(IndicatorKind::Process, ioc_proc.clone(), MALWARE);
    let proc_cmd = format!("/usr/libexec/{ioc_proc} --daemon");
    let ioc_dir = format!("/private/var/containers/Bundle/Application/{}", uuid(&mut rng));
    truth.plant(IndicatorKind::FilePath, ioc_dir.clone(), MALWARE);
    let an = word(&mut rng, 7);
    let path_cmd = format!("{ioc_dir}/{an}.app/{an}");
    let tmp_cmd = format!("/private/var/tmp/{} -x", word(&mut rng, 9));
    let odd_cmd = format!("/private/var/mobile/Media/{}/{}", word(&mut rng, 6), word(&mut rng, 8));
    // near miss: a process whose name only starts with the indicator (not 16 chars long)
    let near = format!("/usr/libexec/{ioc_proc}x");
    for _ in 0..2 {
        truth.expect(m, Level::Critical, Some(&ioc_proc), ioc_proc.clone());
        truth.expect(m, Level::Critical, Some(&ioc_dir), an.clone());
        truth.expect(m, Level::High, None, tmp_cmd.split(' ').next().unwrap_or_default().to_string());
        truth.expect(m, Level::Medium, None, odd_cmd.clone());
    }
    truth.expect_census(Level::Medium, &ioc_proc);
    truth.expect_census(Level::Medium, &format!("{ioc_proc}x"));
    for p in [tmp_cmd.split(' ').next().unwrap_or_default(), odd_cmd.as_str()] {
        truth.expect_census(Level::High, p.rsplit('/').next().unwrap_or_default());
    }
    let mut procs: Vec<(String, u32, String)> = vec![("root".into(), 0, "/sbin/launchd".into())];
    for _ in 0..count {
        let cmd = if rng.random_bool(0.2) {
            let w = word(&mut rng, 6);
            app_path(&mut rng, &w)
        } else {
            benign(&mut rng)
        };
        procs.push(("mobile".into(), 501, cmd));
    }
    procs.push(("kernel".into(), 0, "kernel_task".into()));
    for c in [proc_cmd, path_cmd, tmp_cmd, odd_cmd, near] {
        procs.push(("mobile".into(), 501, c));
    }
    ps_files(&mut rng, &procs)
}

/// `ps.txt` and `ps_thread.txt` listing `procs` (user, uid, command line).
fn ps_files(rng: &mut TestRng, procs: &[(String, u32, String)]) -> Vec<SysFile> {
    let mut ps_txt = format!("{PS_HEADER}\n");
    let mut pst = format!("{PST_HEADER}\n");
    for (i, (user, uid, cmd)) in procs.iter().enumerate() {
        let pid = i + 1;
        ps_txt.push_str(&format!(
            "{user:<16} {uid:>5} {:>5} {pid:>5} {:>5} {:>8}   0.0  0.1  31  0  {:>8} {:>6} -        ??  Ss    7:47AM   0:00.{:02} {cmd}\n",
            if *uid == 0 { "-".to_string() } else { "1000".to_string() },
            if pid == 1 { 0 } else { 1 },
            4004,
            rng.random_range(100_000..900_000u32),
            rng.random_range(1000..90_000u32),
            rng.random_range(0..99u32),
        ));
        pst.push_str(&format!("{user:<16} {pid:>5}   ??   0.0 S     31T   0:00.01   0:00.02 {cmd}\n"));
        for _ in 0..rng.random_range(0..4usize) {
            pst.push_str("                        0.0 S     31T   0:00.00   0:00.00 \n");
        }
    }
    vec![
        SysFile { path: "ps.txt".into(), bytes: ps_txt.into_bytes(), mtime: 1_763_629_200 },
        SysFile { path: "ps_thread.txt".into(), bytes: pst.into_bytes(), mtime: 1_763_629_200 },
    ]
}

fn ips(header: &serde_json::Value, body: &serde_json::Value) -> Vec<u8> {
    let mut out = serde_json::to_vec(header).expect("json");
    out.push(b'\n');
    out.extend(serde_json::to_vec_pretty(body).expect("json"));
    out
}

/// `crashes_and_spins/*.ips` reports: `count` benign ones plus the planted ones.
pub fn crash_logs(seed: u64, count: usize, truth: &mut Truth) -> Vec<SysFile> {
    let m = "crash_logs";
    let mut rng = rng_for(seed, "sysdiagnose/crash");
    let ioc_proc = word(&mut rng, 10);
    truth.plant(IndicatorKind::Process, ioc_proc.clone(), MALWARE);
    let ioc_app = format!("com.{}.{}", word(&mut rng, 6), word(&mut rng, 6));
    truth.plant(IndicatorKind::AppId, ioc_app.clone(), MALWARE);
    let db_bin = format!("/private/var/db/{}/{}", word(&mut rng, 8), word(&mut rng, 8));
    truth.expect(m, Level::Critical, Some(&ioc_proc), ioc_proc.clone());
    truth.expect(m, Level::Critical, Some(&ioc_app), ioc_app.clone());
    truth.expect(m, Level::High, None, db_bin.clone());
    truth.expect_census(Level::Medium, &ioc_proc);
    truth.expect_census(Level::High, db_bin.rsplit('/').next().unwrap_or_default());
    let mut cases: Vec<(String, String, Option<String>, &str)> = Vec::new();
    for _ in 0..count {
        let path = benign(&mut rng);
        let name = path.rsplit('/').next().unwrap_or_default().to_string();
        cases.push((name, path, None, "309"));
    }
    cases.push((ioc_proc.clone(), format!("/usr/libexec/{ioc_proc}"), None, "309"));
    let an = word(&mut rng, 7);
    cases.push((an.clone(), app_path(&mut rng, &an), Some(ioc_app.clone()), "309"));
    let dbn = db_bin.rsplit('/').next().unwrap_or_default().to_string();
    cases.push((dbn, db_bin.clone(), None, "309"));
    let t0 = 1_763_000_000i64;
    let mut files = Vec::new();
    for (i, (name, path, bundle, bug)) in cases.into_iter().enumerate() {
        let t = t0 + i as i64 * 3671;
        let when = jiff::Timestamp::from_second(t).expect("time").strftime("%Y-%m-%d %H:%M:%S.00 +0000").to_string();
        let header = serde_json::json!({
            "app_name": name, "timestamp": when, "app_version": "1.0", "slice_uuid": uuid(&mut rng),
            "build_version": "1", "platform": 2, "bundleID": bundle.clone().unwrap_or_else(|| format!("com.apple.{name}")),
            "share_with_app_devs": 0, "is_first_party": 1, "bug_type": bug,
            "os_version": "iPhone OS 18.1 (22B83)", "incident_id": uuid(&mut rng), "name": name,
        });
        let body = serde_json::json!({
            "uptime": 1000 + i, "procRole": "Background", "pid": 300 + i, "procName": name, "procPath": path,
            "parentProc": "launchd", "parentPid": 1, "coalitionName": bundle.clone().unwrap_or_else(|| format!("com.apple.{name}")),
            "captureTime": when, "exception": {"type": "EXC_CRASH", "signal": "SIGABRT"},
        });
        let fname = format!(
            "crashes_and_spins/{name}-{}.ips",
            jiff::Timestamp::from_second(t).expect("t").strftime("%Y-%m-%d-%H%M%S")
        );
        files.push(SysFile { path: fname, bytes: ips(&header, &body), mtime: t });
    }
    files
}

/// `logs/MobileInstallation/mobile_installation.log.0` with `count` benign installs.
pub fn mobile_installation(seed: u64, count: usize, truth: &mut Truth) -> Vec<SysFile> {
    let m = "mobile_installation";
    let mut rng = rng_for(seed, "sysdiagnose/mobile_installation");
    let ioc_app = format!("com.{}.{}", word(&mut rng, 7), word(&mut rng, 5));
    truth.plant(IndicatorKind::AppId, ioc_app.clone(), MALWARE);
    truth.expect(m, Level::Critical, Some(&ioc_app), format!("Customer:{ioc_app}"));
    truth.expect(m, Level::Critical, Some(&ioc_app), format!("Made container live for {ioc_app} "));
    truth.expect(m, Level::Critical, Some(&ioc_app), format!("Uninstalling identifier {ioc_app}"));
    let mut apps: Vec<String> =
        (0..count).map(|_| format!("com.{}.{}", word(&mut rng, 6), word(&mut rng, 6))).collect();
    apps.insert(apps.len() / 2, ioc_app.clone());
    let mut text = String::new();
    let mut t = 1_762_000_000i64;
    let stamp = |t: i64| jiff::Timestamp::from_second(t).expect("t").strftime("%a %b %e %H:%M:%S %Y").to_string();
    for a in &apps {
        t += rng.random_range(60..86_400i64);
        let pid = rng.random_range(100..999u32);
        text.push_str(&format!(
            "{} [{pid}] <notice> (0x16b48f000) -[MIClientConnection installURL:identity:targetingDomain:options:completion:]: Install of \"/var/mobile/Media/PublicStaging/{a}.ipa\" type Customer requested by appstored (pid 120)\n",
            stamp(t)
        ));
        text.push_str(&format!(
            "{} [{pid}] <notice> (0x16b48f000) -[MIContainer makeContainerLiveReplacingContainer:reason:waitForDeletion:withError:]: Made container live for {a} at /private/var/containers/Bundle/Application/{}\n",
            stamp(t),
            uuid(&mut rng)
        ));
        text.push_str(&format!(
            "{} [{pid}] <notice> (0x16b48f000) -[MIInstaller performInstallationWithError:]: Install Successful for (Customer:{a}); Staging: 0.03s; Waiting: 0.00s; Preflight/Patch: 0.06s, Verifying: 1.03s; Overall: 1.27s\n",
            stamp(t)
        ));
    }
    t += 3600;
    text.push_str(&format!(
        "{} [446] <notice> (0x16fc9b000) -[MIUninstaller _uninstallBundleWithIdentity:linkedToChildren:waitForDeletion:uninstallReason:temporaryReference:wasLastReference:error:]: Uninstalling identifier {ioc_app}\n",
        stamp(t)
    ));
    text.push_str("a line that is not a log entry at all \u{fffd}\n");
    vec![SysFile {
        path: "logs/MobileInstallation/mobile_installation.log.0".into(),
        bytes: text.into_bytes(),
        mtime: t,
    }]
}

/// The data folder Pegasus ran from (Amnesty's 2021 forensic methodology report).
pub const IMPLANT_FOLDER: &str = "/private/var/db/com.apple.xpc.roleaccountd.staging";

/// A sysdiagnose of a phone running only Apple's processes and an App Store app (`ps.txt`,
/// `shutdown.log`), with, when `implant` is set, an unknown implant named after one of the
/// real daemons it runs beside, running from [`IMPLANT_FOLDER`] (in `ps.txt` and delaying one
/// reboot in `shutdown.log`). Returns the files, sorted, and the implant's path. No indicator is
/// planted: the process census must find the implant by itself.
pub fn census_phone(seed: u64, implant: bool) -> (Vec<SysFile>, Option<String>) {
    let mut rng = rng_for(seed, "sysdiagnose/census");
    let daemons: Vec<&str> = SYSTEM_BINARIES.iter().filter(|p| p.starts_with("/usr/")).copied().collect();
    let named_after = daemons[rng.random_range(0..daemons.len())].rsplit('/').next().unwrap_or("locationd");
    let implant_path = implant.then(|| format!("{IMPLANT_FOLDER}/{named_after}"));
    let mut procs: Vec<(String, u32, String)> = vec![("root".into(), 0, "/sbin/launchd".into())];
    for b in SYSTEM_BINARIES.iter().skip(1) {
        procs.push(("mobile".into(), 501, (*b).to_string()));
    }
    procs.push(("mobile".into(), 501, app_path(&mut rng, "Chat")));
    procs.push(("kernel".into(), 0, "kernel_task".into()));
    if let Some(p) = &implant_path {
        procs.push(("root".into(), 0, p.clone()));
    }
    let mut files = ps_files(&mut rng, &procs);
    let t0 = 1_763_000_000i64;
    let mut text = String::new();
    for b in 0..4i64 {
        let t = t0 + b * 86_400;
        text.push_str(&format!("\n{}: shutdown requested by SpringBoard\n", t - 5));
        text.push_str("After 0.50s, these clients are still here:\n");
        let mut clients: Vec<String> = (0..3).map(|_| benign(&mut rng)).collect();
        if b == 2
            && let Some(p) = &implant_path
        {
            clients.push(p.clone());
        }
        for c in clients {
            text.push_str(&format!("\t\tremaining client pid: {} ({c})\n", rng.random_range(100..9000u32)));
        }
        text.push_str(&format!("SIGTERM: [{t}] (unresponsive clients terminated)\n"));
    }
    files.push(SysFile {
        path: "system_logs.logarchive/Extra/shutdown.log".into(),
        bytes: text.into_bytes(),
        mtime: t0,
    });
    files.push(SysFile {
        path: "sysdiagnose.log".into(),
        bytes: format!("{DEFAULT_NAME}.tar.gz\n").into_bytes(),
        mtime: 1_763_629_200,
    });
    files.sort_by(|a, b| a.path.cmp(&b.path));
    (files, implant_path)
}

/// A small sysdiagnose with one planted burst for incident windows, no indicator involved:
/// `shutdown.log` where a binary under `/private/var/mobile/Library/` (an unusual location)
/// delays three reboots, the first at `shutdown_at` (shutdown_log raises MEDIUM at that time),
/// and one crash report, at `crash_at`, of another binary from an unusual location (crash_logs
/// raises MEDIUM at that time). Two benign crashes and benign shutdown clients surround them.
/// Returns the files and the two planted paths (shutdown client, crashed binary).
pub fn incident_burst(seed: u64, shutdown_at: i64, crash_at: i64) -> (Vec<SysFile>, String, String) {
    let mut rng = rng_for(seed, "sysdiagnose/burst");
    let client = format!("/private/var/mobile/Library/{}/{}", word(&mut rng, 7), word(&mut rng, 7));
    let crashed = format!("/private/var/mobile/Library/{}/{}", word(&mut rng, 7), word(&mut rng, 7));
    let mut text = String::new();
    for (b, t) in [shutdown_at, shutdown_at + 86_400, shutdown_at + 2 * 86_400].into_iter().enumerate() {
        text.push_str(&format!("\n{}: shutdown requested by SpringBoard\n", t - 5));
        text.push_str("After 0.50s, these clients are still here:\n");
        text.push_str(&format!("\t\tremaining client pid: {} ({})\n", 200 + b, benign(&mut rng)));
        text.push_str(&format!("\t\tremaining client pid: {} ({client})\n", 900 + b));
        text.push_str(&format!("SIGTERM: [{t}] (unresponsive clients terminated)\n"));
    }
    let mut files = vec![
        SysFile {
            path: "sysdiagnose.log".into(),
            bytes: format!("{DEFAULT_NAME}.tar.gz\n").into_bytes(),
            mtime: shutdown_at,
        },
        SysFile {
            path: "system_logs.logarchive/Extra/shutdown.log".into(),
            bytes: text.into_bytes(),
            mtime: shutdown_at,
        },
    ];
    let cases = [(benign(&mut rng), crash_at - 7200), (crashed.clone(), crash_at), (benign(&mut rng), crash_at + 7200)];
    for (i, (path, t)) in cases.into_iter().enumerate() {
        let name = path.rsplit('/').next().unwrap_or_default().to_string();
        let when = jiff::Timestamp::from_second(t).expect("time").strftime("%Y-%m-%d %H:%M:%S.00 +0000").to_string();
        let header = serde_json::json!({
            "app_name": name, "timestamp": when, "app_version": "1.0", "slice_uuid": uuid(&mut rng),
            "build_version": "1", "platform": 2, "bundleID": format!("com.apple.{name}"),
            "share_with_app_devs": 0, "is_first_party": 1, "bug_type": "309",
            "os_version": "iPhone OS 18.1 (22B83)", "incident_id": uuid(&mut rng), "name": name,
        });
        let body = serde_json::json!({
            "uptime": 1000 + i, "procRole": "Background", "pid": 300 + i, "procName": name, "procPath": path,
            "parentProc": "launchd", "parentPid": 1, "coalitionName": format!("com.apple.{name}"),
            "captureTime": when, "exception": {"type": "EXC_CRASH", "signal": "SIGABRT"},
        });
        let fname = format!(
            "crashes_and_spins/{name}-{}.ips",
            jiff::Timestamp::from_second(t).expect("t").strftime("%Y-%m-%d-%H%M%S")
        );
        files.push(SysFile { path: fname, bytes: ips(&header, &body), mtime: t });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    (files, client, crashed)
}

/// Every sysdiagnose artifact at `scale` (records per artifact), sorted by path.
pub fn generate(seed: u64, scale: usize, truth: &mut Truth) -> Vec<SysFile> {
    let mut files = shutdown_logs(seed, scale.max(6), truth);
    files.extend(ps(seed, scale, truth));
    files.extend(crash_logs(seed, scale.min(50), truth));
    files.extend(mobile_installation(seed, scale, truth));
    files.push(SysFile {
        path: "sysdiagnose.log".into(),
        bytes: format!("{DEFAULT_NAME}.tar.gz\n").into_bytes(),
        mtime: 1_763_629_200,
    });
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// Writes `files` under `dir/<name>/`; returns that folder.
pub fn write_folder(dir: &Path, name: &str, files: &[SysFile]) -> std::io::Result<PathBuf> {
    let root = dir.join(name);
    std::fs::create_dir_all(&root)?;
    for f in files {
        let p = root.join(&f.path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&p, &f.bytes)?;
    }
    Ok(root)
}

/// Writes `files` as `path` (a `.tar.gz`) with one top folder `name/`, as iOS does.
pub fn write_tar_gz(path: &Path, name: &str, files: &[SysFile]) -> std::io::Result<()> {
    let f = std::fs::File::create(path)?;
    let enc = flate2::write::GzEncoder::new(std::io::BufWriter::new(f), flate2::Compression::fast());
    let mut b = tar::Builder::new(enc);
    let mut dirs: Vec<String> = Vec::new();
    for f in files {
        let full = format!("{name}/{}", f.path);
        let mut parts: Vec<&str> = full.split('/').collect();
        parts.pop();
        let mut acc = String::new();
        for p in parts {
            acc.push_str(p);
            acc.push('/');
            if !dirs.contains(&acc) {
                dirs.push(acc.clone());
                let mut h = tar::Header::new_gnu();
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
                h.set_mtime(f.mtime.max(0) as u64);
                b.append_data(&mut h, &acc, std::io::empty())?;
            }
        }
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(f.bytes.len() as u64);
        h.set_mtime(f.mtime.max(0) as u64);
        b.append_data(&mut h, &full, f.bytes.as_slice())?;
    }
    let enc = b.into_inner()?;
    enc.finish()?.flush()
}
