//! Synthetic bugreports: a dumpstate text with the sections ferret parses, tombstones, and the
//! zip layout (`main_entry.txt` naming the dumpstate file).
//!
//! The cast (every planted case and its control is listed here, with the alert it must cause):
//! * `com.stalker.<w>`: sideloaded (installer null), all five spy permission groups, launcher
//!   icon hidden, accessibility service enabled, device admin, notification listener →
//!   MEDIUM sideload, MEDIUM permissions, MEDIUM hidden icon, MEDIUM accessibility, MEDIUM admin,
//!   LOW listener, HIGH `stalkerware_score` (no indicator needed);
//! * `com.quietspy.<w>`: sideloaded, accessibility service enabled, SMS + fine location +
//!   microphone, nothing else (icon visible, no admin, no listener) → MEDIUM sideload, MEDIUM
//!   accessibility, HIGH `stalkerware_score` (spytrap-adb's rating of real stalkerware);
//! * benign sideloaded controls, all below HIGH: the F-Droid client `org.fdroid.fdroid` (no spy
//!   permission) → MEDIUM sideload; `com.gpstest.<w>` (fine + background location) → MEDIUM
//!   sideload; `com.videocall.<w>` (microphone, camera, SMS, call log, overlay, notification
//!   listener) → MEDIUM sideload, MEDIUM permissions, LOW listener, MEDIUM `stalkerware_score`
//!   "several stalkerware signals"; `com.autoclick.<w>` (accessibility service, no spy
//!   permission) → MEDIUM sideload, MEDIUM accessibility;
//! * TalkBack (system, Play) with accessibility enabled → MEDIUM accessibility only;
//! * `com.a11yoff.<w>` with an installed but disabled accessibility service → nothing;
//! * `com.sideload.<w>` installed by the package installer (a browser download) → MEDIUM;
//! * `org.fdroidapp.<w>` installed from F-Droid → INFORMATIONAL;
//! * `com.topjohnwu.magisk` sideloaded → MEDIUM root + MEDIUM sideload;
//! * `com.android.upd<w>` system app updated from /data by an unknown installer → MEDIUM;
//!   `com.android.okupd<w>` updated by the Play Store → nothing;
//! * `com.threeperm.<w>` with 3 of 5 spy groups → nothing;
//! * `com.google.android.gms` disabled → MEDIUM; `com.disabledbenign.<w>` disabled → nothing;
//! * `com.ioc.<w>` (app-id indicator, Play) in packages, activities, receivers (two receivers:
//!   one alert), appops, battery, dbinfo, platform_compat, processes and `stalkerware_score` →
//!   CRITICAL in each;
//! * `com.mdm.<w>` device admin (Play) → MEDIUM; `com.watch.<w>` notification listener → LOW;
//! * `com.filemgr.<w>` allowed REQUEST_INSTALL_PACKAGES → LOW (a denied one → nothing);
//! * battery: `com.gone.<w>` uninstalled → LOW; `com.down.<w>` 20 → 10 → MEDIUM;
//! * getprop: indicator property → CRITICAL; `ro.debuggable=1`, `ro.boot.verifiedbootstate=orange`
//!   → MEDIUM each (controls `ro.secure=1`, `ro.build.tags=release-keys`);
//! * processes: process indicator `spyd<w>` → CRITICAL;
//! * logcat: one URL on a planted domain and one start of the app-id indicator's process →
//!   CRITICAL each, among benign URLs and process starts;
//! * tombstones: `system_server` (uid 1000) → MEDIUM; process indicator `crashd<w>` (uid 10300)
//!   → CRITICAL; an app crash (uid 10200) → nothing; a protobuf tombstone of the process indicator
//!   `pbspy<w>` running as root → CRITICAL + MEDIUM; a malformed protobuf one → a warning.
//!
//! Benign packages are Play-installed with at most two spy permission groups.

use std::io::Write;

use ferret_core::Level;
use rand::Rng;

use crate::rng::{TestRng, hex_string, rng_for, word};
use crate::truth::{IndicatorKind, Truth};

/// What to generate.
#[derive(Debug, Clone)]
pub struct BugreportSpec {
    /// Seed.
    pub seed: u64,
    /// Benign Play-installed packages (plus 10 % system packages).
    pub benign_packages: usize,
    /// Approximate size of the SYSTEM LOG section in bytes.
    pub logcat_bytes: u64,
    /// `dumpsys` services left out (an older Android without them), e.g. `"accessibility"`.
    pub omit_services: Vec<&'static str>,
    /// Prefix of module slugs in the truth (empty; the nested bugreport of an androidqf uses the
    /// same slugs).
    pub malware: &'static str,
}

impl Default for BugreportSpec {
    fn default() -> Self {
        Self { seed: 5, benign_packages: 40, logcat_bytes: 200_000, omit_services: Vec::new(), malware: "TestStalker" }
    }
}

#[derive(Debug, Clone, Default)]
struct Pkg {
    name: String,
    uid: u32,
    installer: Option<String>,
    system: bool,
    updated_system: bool,
    code_path: String,
    granted: Vec<&'static str>,
    hidden: bool,
    disabled: bool,
    version: i64,
}

const SPY: [&str; 5] = [
    "android.permission.READ_SMS",
    "android.permission.READ_CALL_LOG",
    "android.permission.ACCESS_BACKGROUND_LOCATION",
    "android.permission.SYSTEM_ALERT_WINDOW",
    "android.permission.RECORD_AUDIO",
];
const BENIGN_PERMS: [&str; 4] = [
    "android.permission.INTERNET",
    "android.permission.CAMERA",
    "android.permission.VIBRATE",
    "android.permission.WAKE_LOCK",
];

/// Names chosen for one scenario (so androidqf/backup generators can reuse them).
#[derive(Debug, Clone)]
pub struct Cast {
    /// The stalkerware package.
    pub stalker: String,
    /// The app-id indicator package.
    pub ioc_app: String,
    /// The planted domain.
    pub evil_domain: String,
}

struct Gen {
    rng: TestRng,
    truth: Truth,
    spec: BugreportSpec,
    pkgs: Vec<Pkg>,
    w: String,
    extra: Extra,
}

#[derive(Debug, Clone, Default)]
struct Extra {
    a11yoff: String,
    mdm: String,
    watch: String,
    fm: String,
    side: String,
    quiet: String,
    videocall: String,
    autoclick: String,
}

const DASHES: &str = "-------------------------------------------------------------------------------";

impl Gen {
    fn has(&self, svc: &str) -> bool {
        !self.spec.omit_services.contains(&svc)
    }

    fn expect(&mut self, module: &str, level: Level, ind: Option<&str>, marker: &str) {
        let section = match module {
            "dumpsys_packages" | "dumpsys_activities" | "dumpsys_receivers" | "stalkerware_score" => Some("package"),
            "dumpsys_accessibility" => Some("accessibility"),
            "dumpsys_device_admins" => Some("device_policy"),
            "dumpsys_notification_listeners" => Some("notification"),
            "dumpsys_appops" => Some("appops"),
            "dumpsys_battery_daily" | "dumpsys_battery_history" => Some("batterystats"),
            "dumpsys_dbinfo" => Some("dbinfo"),
            "dumpsys_platform_compat" => Some("platform_compat"),
            _ => None,
        };
        if section.is_none_or(|s| self.has(s)) {
            self.truth.expect(module, level, ind, marker);
        }
    }
}

fn pkg_name(rng: &mut TestRng, prefix: &str) -> String {
    format!("{prefix}.{}{}", word(rng, 5), word(rng, 4))
}

/// Generates the bugreport entries and their truth. `write_dumpstate` is called with a writer for
/// the main text (so a 500 MB logcat is streamed, never held in memory).
pub fn generate(
    spec: &BugreportSpec,
    zip: &mut zip::ZipWriter<impl Write + std::io::Seek>,
) -> std::io::Result<(Truth, Cast)> {
    let mut rng = rng_for(spec.seed, "android-bugreport");
    let w = word(&mut rng, 6);
    let mut g = Gen { rng, truth: Truth::default(), spec: spec.clone(), pkgs: Vec::new(), w, extra: Extra::default() };
    let cast = g.cast();
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(spec.logcat_bytes > (1 << 30));
    let name = format!("bugreport-synthetic-{}.txt", g.w);
    zip.start_file("main_entry.txt", opts)?;
    zip.write_all(name.as_bytes())?;
    zip.start_file("version.txt", opts)?;
    zip.write_all(b"2.0")?;
    zip.start_file(name.as_str(), opts)?;
    g.dumpstate(zip, &cast)?;
    g.tombstones(zip, opts)?;
    Ok((g.truth, cast))
}

/// Writes a bugreport zip at `path`.
pub fn write_bugreport_zip(path: &std::path::Path, spec: &BugreportSpec) -> std::io::Result<(Truth, Cast)> {
    let f = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut z = zip::ZipWriter::new(f);
    let r = generate(spec, &mut z)?;
    z.finish().map_err(std::io::Error::other)?;
    Ok(r)
}

/// A bugreport zip in memory.
pub fn bugreport_zip_bytes(spec: &BugreportSpec) -> std::io::Result<(Vec<u8>, Truth, Cast)> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let (t, c) = generate(spec, &mut z)?;
    let bytes = z.finish().map_err(std::io::Error::other)?.into_inner();
    Ok((bytes, t, c))
}

/// The `dumpsys` output alone (what androidqf saves as `dumpsys.txt`: the `DUMP OF SERVICE`
/// blocks of the same generated phone, without the dumpstate's own sections) and the truth of
/// the modules that read it (`dumpsys_*`, `stalkerware_score`).
pub fn dumpsys_txt_bytes(spec: &BugreportSpec) -> std::io::Result<(Vec<u8>, Truth, Cast)> {
    let small = BugreportSpec { logcat_bytes: 0, ..spec.clone() };
    let mut rng = rng_for(small.seed, "android-bugreport");
    let w = word(&mut rng, 6);
    let mut g = Gen { rng, truth: Truth::default(), spec: small, pkgs: Vec::new(), w, extra: Extra::default() };
    let cast = g.cast();
    let mut text = Vec::new();
    g.dumpstate(&mut text, &cast)?;
    let text = String::from_utf8_lossy(&text).into_owned();
    let mut out = String::from("Currently running services:\n  package\n  accessibility\n");
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("DUMP OF SERVICE ") {
            inside = true;
            out.push_str(DASHES);
            out.push('\n');
        } else if line.starts_with(DASHES) || line.starts_with("------ ") {
            inside = false;
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    let mut truth = g.truth;
    truth.alerts.retain(|a| a.module.starts_with("dumpsys_") || a.module == "stalkerware_score");
    Ok((out.into_bytes(), truth, cast))
}

impl Gen {
    fn cast(&mut self) -> Cast {
        let malware = self.spec.malware;
        let rng = &mut self.rng;
        let mut uid = 10_100;
        let mut next_uid = || {
            uid += 1;
            uid
        };
        let play = Some("com.android.vending".to_string());
        // benign
        for i in 0..self.spec.benign_packages {
            let system = i % 10 == 9;
            let name = if system { pkg_name(rng, "com.android.sys") } else { pkg_name(rng, "com.benign") };
            let mut granted: Vec<&'static str> =
                BENIGN_PERMS.iter().copied().filter(|_| rng.random_bool(0.5)).collect();
            let k = rng.random_range(0..3usize);
            for p in SPY.iter().take(k) {
                granted.push(p);
            }
            self.pkgs.push(Pkg {
                code_path: if system {
                    format!("/system/app/{name}")
                } else {
                    format!("/data/app/~~{}/{name}-1", hex_string(rng, 8))
                },
                name,
                uid: next_uid(),
                installer: if system { None } else { play.clone() },
                system,
                granted,
                version: rng.random_range(1..500),
                ..Pkg::default()
            });
        }
        let stalker = pkg_name(rng, "com.stalker");
        let ioc_app = pkg_name(rng, "com.ioc");
        let evil_domain = format!("{}.evil{}.com", word(rng, 4), word(rng, 6));
        let mk = |name: &str, installer: Option<&str>, system: bool, granted: Vec<&'static str>, uid: u32| Pkg {
            name: name.to_string(),
            uid,
            installer: installer.map(str::to_string),
            system,
            code_path: if system { format!("/system/priv-app/{name}") } else { format!("/data/app/{name}-1") },
            granted,
            version: 7,
            ..Pkg::default()
        };
        let mut st = mk(&stalker, None, false, SPY.to_vec(), next_uid());
        st.hidden = true;
        self.pkgs.push(st);
        self.pkgs.push(mk("com.google.android.marvin.talkback", Some("com.android.vending"), true, vec![], next_uid()));
        let a11yoff = pkg_name(rng, "com.a11yoff");
        self.pkgs.push(mk(&a11yoff, Some("com.android.vending"), false, vec![], next_uid()));
        let side = pkg_name(rng, "com.sideload");
        self.pkgs.push(mk(&side, Some("com.google.android.packageinstaller"), false, vec![SPY[0]], next_uid()));
        let fd = pkg_name(rng, "org.fdroidapp");
        self.pkgs.push(mk(&fd, Some("org.fdroid.fdroid"), false, vec![], next_uid()));
        self.pkgs.push(mk("com.topjohnwu.magisk", None, false, vec![], next_uid()));
        let upd = pkg_name(rng, "com.android.upd");
        let mut p = mk(&upd, Some("com.unknown.updater"), true, vec![], next_uid());
        p.updated_system = true;
        p.code_path = format!("/data/app/{upd}-2");
        self.pkgs.push(p);
        let okupd = pkg_name(rng, "com.android.okupd");
        let mut p = mk(&okupd, Some("com.android.vending"), true, vec![], next_uid());
        p.updated_system = true;
        p.code_path = format!("/data/app/{okupd}-2");
        self.pkgs.push(p);
        let three = pkg_name(rng, "com.threeperm");
        self.pkgs.push(mk(&three, Some("com.android.vending"), false, SPY[..3].to_vec(), next_uid()));
        self.pkgs.push(mk(&ioc_app, Some("com.android.vending"), false, vec![], next_uid()));
        let mdm = pkg_name(rng, "com.mdm");
        self.pkgs.push(mk(&mdm, Some("com.android.vending"), false, vec![], next_uid()));
        let watch = pkg_name(rng, "com.watch");
        self.pkgs.push(mk(&watch, Some("com.android.vending"), false, vec![], next_uid()));
        let fm = pkg_name(rng, "com.filemgr");
        self.pkgs.push(mk(&fm, Some("com.android.vending"), false, vec![], next_uid()));
        let mut gms = mk("com.google.android.gms", None, true, vec![], next_uid());
        gms.disabled = true;
        self.pkgs.push(gms);
        let off = pkg_name(rng, "com.disabledbenign");
        let mut p = mk(&off, Some("com.android.vending"), false, vec![], next_uid());
        p.disabled = true;
        self.pkgs.push(p);
        // Stalkerware with no indicator and the benign sideloaded controls (all after the
        // packages above so their names do not shift).
        let quiet = pkg_name(rng, "com.quietspy");
        self.pkgs.push(mk(
            &quiet,
            None,
            false,
            vec!["android.permission.READ_SMS", "android.permission.ACCESS_FINE_LOCATION", SPY[4]],
            next_uid(),
        ));
        self.pkgs.push(mk("org.fdroid.fdroid", Some("com.google.android.packageinstaller"), false, vec![], next_uid()));
        let gps = pkg_name(rng, "com.gpstest");
        self.pkgs.push(mk(
            &gps,
            Some("com.google.android.packageinstaller"),
            false,
            vec!["android.permission.ACCESS_FINE_LOCATION", SPY[2]],
            next_uid(),
        ));
        let videocall = pkg_name(rng, "com.videocall");
        self.pkgs.push(mk(
            &videocall,
            None,
            false,
            vec![SPY[4], "android.permission.CAMERA", SPY[0], SPY[1], SPY[3]],
            next_uid(),
        ));
        let autoclick = pkg_name(rng, "com.autoclick");
        self.pkgs.push(mk(&autoclick, Some("com.android.chrome"), false, vec![], next_uid()));
        self.expect(
            "dumpsys_packages",
            Level::Medium,
            None,
            "com.google.android.gms: a system-update component is disabled",
        );
        for (p, how) in [
            (&quiet, "no installer recorded"),
            (&"org.fdroid.fdroid".to_string(), "installer com.google.android.packageinstaller"),
            (&gps, "installer com.google.android.packageinstaller"),
            (&videocall, "no installer recorded"),
            (&autoclick, "installer com.android.chrome"),
        ] {
            self.expect(
                "dumpsys_packages",
                Level::Medium,
                None,
                &format!("{p}: installed from outside an app store ({how}"),
            );
        }
        self.expect("dumpsys_accessibility", Level::Medium, None, &format!("{quiet}: accessibility service"));
        self.expect("dumpsys_accessibility", Level::Medium, None, &format!("{autoclick}: accessibility service"));
        if self.has("accessibility") {
            self.expect("stalkerware_score", Level::High, None, &format!("{quiet}: likely stalkerware"));
        }
        self.expect("dumpsys_packages", Level::Medium, None, &format!("{videocall}: holds the permissions"));
        self.expect(
            "dumpsys_notification_listeners",
            Level::Low,
            None,
            &format!("{videocall}: can read every notification"),
        );
        if self.has("notification") {
            self.expect("stalkerware_score", Level::Medium, None, &format!("{videocall}: several stalkerware signals"));
        }

        // truth
        self.truth.plant(IndicatorKind::AppId, &ioc_app, malware);
        self.truth.plant(IndicatorKind::Domain, &evil_domain, malware);
        let s = stalker.as_str();
        self.expect("dumpsys_packages", Level::Medium, None, &format!("{s}: installed from outside"));
        self.expect("dumpsys_packages", Level::Medium, None, &format!("{s}: holds the permissions"));
        self.expect("dumpsys_packages", Level::Medium, None, &format!("{s}: hides its launcher"));
        self.expect("dumpsys_accessibility", Level::Medium, None, &format!("{s}: accessibility service"));
        self.expect("dumpsys_device_admins", Level::Medium, None, &format!("{s}: is a device administrator"));
        self.expect("dumpsys_notification_listeners", Level::Low, None, &format!("{s}: can read every notification"));
        // Without an accessibility dump (older Android) the accessibility service cannot be
        // seen: the same package is then only "several stalkerware signals".
        if self.has("accessibility") {
            self.expect("stalkerware_score", Level::High, None, &format!("{s}: likely stalkerware"));
        } else {
            self.expect("stalkerware_score", Level::Medium, None, &format!("{s}: several stalkerware signals"));
        }
        self.expect(
            "dumpsys_accessibility",
            Level::Medium,
            None,
            "com.google.android.marvin.talkback: accessibility service",
        );
        self.expect(
            "dumpsys_packages",
            Level::Medium,
            None,
            &format!("{side}: installed from outside an app store (installer com.google.android.packageinstaller"),
        );
        self.expect("dumpsys_packages", Level::Info, None, &format!("{fd}: installed from the third-party store"));
        self.expect("dumpsys_packages", Level::Medium, None, "com.topjohnwu.magisk: a rooting tool");
        self.expect("dumpsys_packages", Level::Medium, None, "com.topjohnwu.magisk: installed from outside");
        self.expect("dumpsys_packages", Level::Medium, None, &format!("{upd}: system app replaced"));
        for m in [
            "dumpsys_packages",
            "dumpsys_activities",
            "dumpsys_receivers",
            "dumpsys_appops",
            "dumpsys_battery_daily",
            "dumpsys_dbinfo",
            "dumpsys_platform_compat",
            "stalkerware_score",
        ] {
            self.expect(m, Level::Critical, Some(&ioc_app), &ioc_app);
        }
        self.truth.expect("processes", Level::Critical, Some(&ioc_app), format!("{ioc_app}:remote"));
        self.expect("dumpsys_device_admins", Level::Medium, None, &format!("{mdm}: is a device administrator"));
        self.expect(
            "dumpsys_notification_listeners",
            Level::Low,
            None,
            &format!("{watch}: can read every notification"),
        );
        self.expect("dumpsys_appops", Level::Low, None, &format!("{fm}: allowed to install other apps"));
        self.extra = Extra { a11yoff, mdm, watch, fm, side, quiet, videocall, autoclick };
        Cast { stalker, ioc_app, evil_domain }
    }
}

impl Gen {
    fn service(&self, out: &mut dyn Write, name: &str, body: &str) -> std::io::Result<()> {
        if !self.has(name) {
            return Ok(());
        }
        writeln!(out, "{DASHES}")?;
        writeln!(out, "DUMP OF SERVICE {name}:")?;
        out.write_all(body.as_bytes())?;
        writeln!(out, "--------- 0.012s was the duration of dumpsys {name}, ending at: 2024-03-01 10:00:00")?;
        Ok(())
    }

    fn dumpstate(&mut self, out: &mut dyn Write, cast: &Cast) -> std::io::Result<()> {
        let malware = self.spec.malware;
        writeln!(out, "========================================================")?;
        writeln!(out, "== dumpstate: 2024-03-01 10:00:00")?;
        writeln!(out, "========================================================")?;
        writeln!(out)?;
        writeln!(out, "Build: synthetic.{}", self.w)?;
        // properties
        let prop = format!("persist.sys.{}.spy", word(&mut self.rng, 6));
        self.truth.plant(IndicatorKind::AndroidProperty, &prop, malware);
        self.truth.expect("getprop", Level::Critical, Some(&prop), &prop);
        self.truth.expect("getprop", Level::Medium, None, "ro.debuggable=1");
        self.truth.expect("getprop", Level::Medium, None, "ro.boot.verifiedbootstate=orange");
        writeln!(out, "------ SYSTEM PROPERTIES (getprop) ------")?;
        for (k, v) in [
            ("ro.build.version.sdk", "34"),
            ("ro.build.version.security_patch", "2024-02-05"),
            ("ro.secure", "1"),
            ("ro.build.tags", "release-keys"),
            ("ro.debuggable", "1"),
            ("ro.boot.verifiedbootstate", "orange"),
            ("persist.sys.timezone", "Europe/Paris"),
            (prop.as_str(), "1"),
        ] {
            writeln!(out, "[{k}]: [{v}]")?;
        }
        writeln!(out, "------ 0.045s was the duration of 'SYSTEM PROPERTIES' ------")?;
        self.logcat(out, cast)?;
        self.processes(out, cast)?;
        // dumpsys sections
        let pkg = self.package_section(cast);
        self.service(out, "package", &pkg)?;
        let acc = self.accessibility(cast);
        self.service(out, "accessibility", &acc)?;
        let dp = format!(
            "Current Device Policy Manager state:\n  Immutable state:\n    mHasFeature=true\n  Enabled Device Admins (User 0, provisioningState: 0):\n    {}/.AdminReceiver:\n      uid=10150\n      policies:\n        wipe-data\n    {}/{}.MdmAdmin:\n      uid=10160\n  Device Owner: none\n",
            cast.stalker, self.extra.mdm, self.extra.mdm
        );
        self.service(out, "device_policy", &dp)?;
        let nl = format!(
            "Notification Manager state:\n  Notification listeners:\n    Allowed user sets: [0]\n    All notification listeners (3) enabled for current profiles:\n      {}/{}.NotifService\n      {}/.WatchListener\n      {}/.CallNotifications\n    Live notification listeners (2):\n      ManagedServiceInfo[component={}/{}.NotifService,userid=0,isSystem=false,targetSdk=30]\n  Policy access:\n",
            cast.stalker, cast.stalker, self.extra.watch, self.extra.videocall, cast.stalker, cast.stalker
        );
        self.service(out, "notification", &nl)?;
        let ops = self.appops(cast);
        self.service(out, "appops", &ops)?;
        let bs = self.battery(cast);
        self.service(out, "batterystats", &bs)?;
        let db = self.dbinfo(cast);
        self.service(out, "dbinfo", &db)?;
        let key: String = (0..540)
            .map(|i| char::from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"[(i * 7 + 3) % 62]))
            .collect();
        self.service(
            out,
            "adb",
            &format!("  debugging_manager={{\n    connected_to_adb=true\n    user_keys={key} analyst@lab\n  }}\n"),
        )?;
        let benign0 = self.pkgs.first().map(|p| p.name.clone()).unwrap_or_default();
        self.service(
            out,
            "platform_compat",
            &format!("ChangeIds:\n  ChangeId(168419799; name=DOWNSCALED; disabled; rawOverrides={{{}=false, {benign0}=true}})\n  ChangeId(1; name=OTHER; enabled)\n", cast.ioc_app),
        )?;
        self.service(out, "other_service", "nothing to see\n")?;
        writeln!(out, "{DASHES}")?;
        writeln!(out, "== dumpstate: done (id 1)")?;
        Ok(())
    }

    fn logcat(&mut self, out: &mut dyn Write, cast: &Cast) -> std::io::Result<()> {
        writeln!(out, "------ SYSTEM LOG (logcat -v threadtime -v printable -v uid -d *:v) ------")?;
        writeln!(out, "--------- beginning of main")?;
        let target = self.spec.logcat_bytes;
        let mut written = 0u64;
        let mut i = 0u64;
        let planted_at = (target / 2) / 110;
        let evil = format!("https://{}/c/{}", cast.evil_domain, hex_string(&mut self.rng, 10));
        self.truth.expect("logcat", Level::Critical, Some(&cast.evil_domain), &evil);
        self.truth.expect("logcat", Level::Critical, Some(&cast.ioc_app), format!("{}:svc", cast.ioc_app));
        let tags = ["ActivityManager", "WifiService", "chromium", "PackageManager", "SyncManager"];
        let mut line = String::with_capacity(256);
        while written < target || i <= planted_at {
            line.clear();
            use std::fmt::Write as _;
            let _ = write!(
                line,
                "03-01 09:{:02}:{:02}.{:03}  {:5} {:5} {:5} I {}: ",
                (i / 60_000) % 60,
                (i / 1000) % 60,
                i % 1000,
                1000 + i % 50,
                1200 + i % 977,
                1200 + i % 977,
                tags[(i % 5) as usize]
            );
            if i == planted_at {
                line.push_str("loading ");
                line.push_str(&evil);
            } else if i == planted_at + 3 {
                let _ = write!(line, "Start proc 4242:{}:svc/u0a150 for service", cast.ioc_app);
            } else if i % 50 == 7 {
                let _ = write!(line, "fetch https://cdn{}.benignsite.com/assets/{}.js done", i % 13, i % 1000);
            } else {
                let _ =
                    write!(line, "Start proc {}:com.benign.app{}/u0a{} for service", 1200 + i % 977, i % 31, i % 200);
            }
            line.push('\n');
            out.write_all(line.as_bytes())?;
            written += line.len() as u64;
            i += 1;
        }
        writeln!(out, "------ 0.731s was the duration of 'SYSTEM LOG' ------")?;
        writeln!(out, "------ EVENT LOG (logcat -b events -v threadtime -v printable -v uid -d *:v) ------")?;
        writeln!(
            out,
            "03-01 09:00:00.000  1000  1200  1200 I am_proc_start: [0,1234,10100,com.benign.x,activity,{{com.benign.x/.Main}}]"
        )?;
        writeln!(out, "------ 0.010s was the duration of 'EVENT LOG' ------")?;
        Ok(())
    }

    fn processes(&mut self, out: &mut dyn Write, cast: &Cast) -> std::io::Result<()> {
        let spyd = format!("spyd{}", word(&mut self.rng, 5));
        self.truth.plant(IndicatorKind::Process, &spyd, self.spec.malware);
        self.truth.expect("processes", Level::Critical, Some(&spyd), &spyd);
        writeln!(out, "------ PROCESSES AND THREADS (ps -A -T -Z -O pri,nice,rtprio,sched,pcy,time) ------")?;
        writeln!(
            out,
            "LABEL                          USER           PID   TID  PPID     VSZ    RSS WCHAN            ADDR S CMD"
        )?;
        let mut pid = 1;
        let row = |out: &mut dyn Write, label: &str, user: &str, pid: u32, tid: u32, name: &str| {
            writeln!(out, "{label:30} {user:10} {pid:5} {tid:5}     1  100000  20000 0                   0 S {name}")
        };
        row(out, "u:r:init:s0", "root", pid, pid, "init")?;
        row(out, "u:r:init:s0", "root", pid, pid + 1, "init_thread")?;
        pid += 10;
        for p in self.pkgs.iter().take(30) {
            row(out, "u:r:untrusted_app:s0", "u0_a100", pid, pid, &p.name)?;
            pid += 1;
        }
        row(out, "u:r:untrusted_app:s0", "u0_a150", pid, pid, &format!("{}:remote", cast.ioc_app))?;
        row(out, "u:r:su:s0", "root", pid + 1, pid + 1, &spyd)?;
        row(out, "u:r:gatekeeperd:s0", "system", pid + 2, pid + 2, "gatekeeperd")?;
        writeln!(out, "------ 0.201s was the duration of 'PROCESSES AND THREADS' ------")?;
        Ok(())
    }

    fn package_section(&mut self, cast: &Cast) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let _ = writeln!(s, "Activity Resolver Table:\n  Non-Data Actions:\n      android.intent.action.MAIN:");
        for p in &self.pkgs {
            let _ = writeln!(
                s,
                "        {} {}/.MainActivity filter {}",
                hex_string(&mut self.rng, 7),
                p.name,
                hex_string(&mut self.rng, 7)
            );
        }
        let _ = writeln!(
            s,
            "      android.intent.action.VIEW:\n        {} {}/.ViewActivity filter 1",
            hex_string(&mut self.rng, 7),
            self.extra.side
        );
        let _ = writeln!(
            s,
            "\nReceiver Resolver Table:\n  Non-Data Actions:\n      android.provider.Telephony.SMS_RECEIVED:"
        );
        let _ = writeln!(s, "        1a2b3c4 {}/.SmsReceiver filter 5d6e7f8", cast.stalker);
        let _ = writeln!(s, "        2a2b3c4 {}/.SmsReceiver filter 5d6e7f9", cast.ioc_app);
        let _ = writeln!(s, "      android.intent.action.PHONE_STATE:");
        let _ = writeln!(s, "        4a2b3c4 {}/.CallReceiver filter 5d6e7fb", cast.ioc_app);
        let _ = writeln!(s, "      android.intent.action.BOOT_COMPLETED:");
        for p in self.pkgs.iter().take(10) {
            let _ = writeln!(s, "        3a2b3c4 {}/.BootReceiver filter 5d6e7fa", p.name);
        }
        let _ = writeln!(s, "\nKey Set Manager:\n  [com.x]\n\nPackages:");
        for p in &self.pkgs {
            let _ = writeln!(s, "  Package [{}] ({}):", p.name, hex_string(&mut self.rng, 7));
            let _ = writeln!(s, "    userId={}", p.uid);
            let _ = writeln!(s, "    pkg=Package{{{} {}}}", hex_string(&mut self.rng, 7), p.name);
            let _ = writeln!(s, "    codePath={}", p.code_path);
            let _ = writeln!(s, "    versionCode={} minSdk=26 targetSdk=33", p.version);
            let _ = writeln!(s, "    versionName={}.0", p.version);
            let _ = writeln!(s, "    flags=[ HAS_CODE ALLOW_CLEAR_USER_DATA ]");
            let _ = writeln!(s, "    timeStamp=2024-01-{:02} 10:00:00", 1 + p.uid % 28);
            let _ = writeln!(s, "    firstInstallTime=2024-01-{:02} 10:00:01", 1 + p.uid % 28);
            let _ = writeln!(s, "    lastUpdateTime=2024-02-{:02} 11:00:00", 1 + p.uid % 28);
            let _ = writeln!(s, "    installerPackageName={}", p.installer.as_deref().unwrap_or("null"));
            let _ = writeln!(
                s,
                "    signatures=PackageSignatures{{{} version:2, signatures:[{}], past signatures:[]}}",
                hex_string(&mut self.rng, 7),
                hex_string(&mut self.rng, 8)
            );
            let mut flags = vec!["HAS_CODE", "ALLOW_CLEAR_USER_DATA"];
            if p.system {
                flags.insert(0, "SYSTEM");
            }
            if p.updated_system {
                flags.push("UPDATED_SYSTEM_APP");
            }
            let _ = writeln!(s, "    pkgFlags=[ {} ]", flags.join(" "));
            let _ = writeln!(s, "    requested permissions:");
            for perm in BENIGN_PERMS.iter().chain(p.granted.iter()) {
                let _ = writeln!(s, "      {perm}");
            }
            let _ = writeln!(s, "    install permissions:");
            let _ = writeln!(s, "      android.permission.INTERNET: granted=true");
            let _ =
                writeln!(s, "      android.permission.SYSTEM_ALERT_WINDOW: granted={}", p.granted.contains(&SPY[3]));
            let _ = writeln!(
                s,
                "    User 0: ceDataInode=1234 installed=true hidden=false suspended=false stopped=false notLaunched=false enabled={}",
                if p.disabled { 3 } else { 0 }
            );
            let _ = writeln!(s, "      runtime permissions:");
            for perm in &p.granted {
                if *perm != SPY[3] {
                    let _ = writeln!(s, "        {perm}: granted=true, flags=[ USER_SET ]");
                }
            }
            let _ = writeln!(s, "        android.permission.READ_CONTACTS: granted=false, flags=[ ]");
            if p.hidden {
                let _ = writeln!(s, "      disabledComponents:\n        {}.MainActivity", p.name);
            } else if p.uid % 7 == 0 {
                let _ = writeln!(s, "      disabledComponents:\n        {}.SomeService", p.name);
            }
            let _ = writeln!(s, "    User 10: ceDataInode=0 installed=false");
            let _ = writeln!(s, "      runtime permissions:\n        android.permission.READ_SMS: granted=true");
        }
        let _ = writeln!(
            s,
            "\nHidden system packages:\n  Package [com.android.hiddenold] (1):\n    userId=1000\n    pkgFlags=[ SYSTEM ]\n    installerPackageName=null"
        );
        s
    }

    fn accessibility(&mut self, cast: &Cast) -> String {
        format!(
            "ACCESSIBILITY MANAGER (dumpsys accessibility)\n\ncurrentUserId=0\nUser state[\n  attributes:{{id=0, touchExplorationEnabled=false}}\n  installed services: {{\n    0 : com.google.android.marvin.talkback/com.google.android.marvin.talkback.TalkBackService\n    1 : {s}/{s}.KeyService\n    2 : {off}/.OffService\n    3 : {q}/.ReadService\n    4 : {ac}/.ClickService\n  }}\n  Bound services:{{Service[label=TalkBack]}}\n  Enabled services:{{{{com.google.android.marvin.talkback/com.google.android.marvin.talkback.TalkBackService}}, {{{s}/{s}.KeyService}}, {{{q}/.ReadService}}, {{{ac}/.ClickService}}}}\n  Binding services:{{}}\n]\n",
            s = cast.stalker,
            off = self.extra.a11yoff,
            q = self.extra.quiet,
            ac = self.extra.autoclick,
        )
    }

    fn appops(&mut self, cast: &Cast) -> String {
        use std::fmt::Write as _;
        let mut s = String::from("Current AppOps Service state:\n  Settings:\n    top_state_settle_time=+5s0ms\n");
        let mut pkgs: Vec<(String, u32)> = self.pkgs.iter().take(15).map(|p| (p.name.clone(), p.uid)).collect();
        pkgs.push((cast.ioc_app.clone(), 10_900));
        pkgs.push((self.extra.fm.clone(), 10_901));
        for (name, uid) in pkgs {
            let _ = writeln!(s, "  Uid u0a{}:\n    state=cch\n    Package {name}:", uid % 1000);
            if name == self.extra.fm {
                let _ = writeln!(
                    s,
                    "      REQUEST_INSTALL_PACKAGES (allow):\n        null=[\n          Access: [fg-s] 2024-02-10 12:00:00.000 (-20d)\n        ]"
                );
            } else if name == cast.ioc_app {
                let _ = writeln!(
                    s,
                    "      CAMERA (allow):\n          Access: [top-s] 2024-02-11 08:30:00.000 (-19d)\n      RECORD_AUDIO (allow):\n          Access: [bg-s] 2024-02-11 08:31:00.000 (-19d)"
                );
            } else {
                let _ = writeln!(
                    s,
                    "      REQUEST_INSTALL_PACKAGES (deny):\n      WAKE_LOCK (allow):\n          Access: [bg-s] 2024-02-0{} 01:00:00.000",
                    1 + uid % 9
                );
            }
        }
        s
    }

    fn battery(&mut self, cast: &Cast) -> String {
        use std::fmt::Write as _;
        let gone = pkg_name(&mut self.rng, "com.gone");
        let down = pkg_name(&mut self.rng, "com.down");
        self.expect("dumpsys_battery_daily", Level::Low, None, &format!("{gone}: uninstalled"));
        self.expect("dumpsys_battery_daily", Level::Medium, None, &format!("{down}: downgraded from version 20 to 10"));
        // history events: jobs and foreground periods of benign apps and of the indicator app
        // (its start events alert, once each; the end events do not)
        let mut s = String::from(
            "Battery History (1% used):\n                    0 (15) RESET:TIME: 2024-03-01-09:00:00\n                    0 (2) 100 status=discharging +running +wake_lock\n",
        );
        for (i, p) in self.pkgs.iter().take(4).enumerate() {
            let _ = writeln!(s, "     +{}s (2) 100 +job=u0a{}:\"{}/.SyncJob\"", 2 * i + 1, p.uid % 1000, p.name);
            let _ = writeln!(
                s,
                "     +{}s (2) 100 -job=u0a{}:\"{}/.SyncJob\" +top=u0a{}:\"{}\"",
                2 * i + 2,
                p.uid % 1000,
                p.name,
                p.uid % 1000,
                p.name
            );
        }
        let _ = writeln!(s, "     +1m5s (2) 99 +job=u0a900:\"{}/.UploadJob\"", cast.ioc_app);
        let _ = writeln!(
            s,
            "     +1m9s (2) 99 -job=u0a900:\"{}/.UploadJob\" +top=u0a900:\"{}\"",
            cast.ioc_app, cast.ioc_app
        );
        let _ = writeln!(s, "     +1m30s (2) 99 -top=u0a900:\"{}\"", cast.ioc_app);
        let ioc = cast.ioc_app.clone();
        self.expect("dumpsys_battery_history", Level::Critical, Some(&ioc), "Battery history: job of package");
        self.expect("dumpsys_battery_history", Level::Critical, Some(&ioc), "Battery history: foreground app");
        s.push_str("  Daily stats:\n    Current start time: 2024-03-01-03-00-00\n");
        let _ = writeln!(
            s,
            "    Daily from 2024-02-29-03-00-00 to 2024-03-01-03-00-00:\n      Update {gone} vers=0\n      Update {down} vers=10\n      Update {} vers=5",
            cast.ioc_app
        );
        let _ = writeln!(s, "    Daily from 2024-02-28-03-00-00 to 2024-02-29-03-00-00:\n      Update {down} vers=20");
        for p in self.pkgs.iter().take(5) {
            let _ = writeln!(s, "      Update {} vers={}", p.name, p.version);
        }
        s
    }

    fn dbinfo(&mut self, cast: &Cast) -> String {
        use std::fmt::Write as _;
        let mut s = String::from("Applications Database Info:\n\n** Database info for pid 1234 [com.x] **\n\n");
        let _ = writeln!(
            s,
            "Connection pool for /data/user/0/{}/databases/c2.db:\n  Open: true\n  Most recently executed operations:\n    0: [2024-02-11 08:30:00.123] [Pid:(4321)] executeForCursorWindow took 1ms - succeeded, sql=\"SELECT * FROM cmds\"",
            cast.ioc_app
        );
        for p in self.pkgs.iter().take(5) {
            let _ = writeln!(
                s,
                "Connection pool for /data/user/0/{}/databases/app.db:\n  Most recently executed operations:\n    0: [2024-02-11 08:30:00.123] executeForLastInsertedRowId took 0ms - succeeded, sql=\"INSERT INTO t VALUES(?)\"",
                p.name
            );
        }
        s
    }

    fn tombstones(
        &mut self,
        zip: &mut zip::ZipWriter<impl Write + std::io::Seek>,
        opts: zip::write::SimpleFileOptions,
    ) -> std::io::Result<()> {
        let crashd = format!("crashd{}", word(&mut self.rng, 5));
        self.truth.plant(IndicatorKind::Process, &crashd, self.spec.malware);
        self.truth.expect("tombstones", Level::Critical, Some(&crashd), &crashd);
        self.truth.expect("tombstones", Level::Medium, None, "system_server: a privileged process (uid 1000)");
        let app = self.pkgs.first().map(|p| p.name.clone()).unwrap_or_else(|| "com.benign.app".into());
        for (i, (name, uid, bin)) in [
            ("system_server".to_string(), 1000, "/system/bin/app_process64".to_string()),
            (crashd.clone(), 10300, format!("/data/local/tmp/{crashd}")),
            (app, 10200, "/system/bin/app_process64".to_string()),
        ]
        .into_iter()
        .enumerate()
        {
            zip.start_file(format!("FS/data/tombstones/tombstone_0{i}"), opts)?;
            write!(
                zip,
                "*** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***\nBuild fingerprint: 'synthetic/phone/phone:14/AP1A/1:user/release-keys'\nRevision: '0'\nABI: 'arm64'\nTimestamp: 2024-02-2{i} 10:00:00.000000000+0100\nProcess uptime: 12s\nCmdline: {bin}\npid: 42{i}, tid: 42{i}, name: {name}  >>> {bin} <<<\nuid: {uid}\nsignal 11 (SIGSEGV), code 1 (SEGV_MAPERR), fault addr 0x0\n"
            )?;
        }
        let pbspy = format!("pbspy{}", word(&mut self.rng, 5));
        self.truth.plant(IndicatorKind::Process, &pbspy, self.spec.malware);
        self.truth.expect("tombstones", Level::Critical, Some(&pbspy), &pbspy);
        self.truth.expect("tombstones", Level::Medium, None, format!("{pbspy}: a privileged process (uid 0)"));
        zip.start_file("FS/data/tombstones/tombstone_03.pb", opts)?;
        zip.write_all(&pb_tombstone(&pbspy))?;
        zip.start_file("FS/data/tombstones/tombstone_04.pb", opts)?;
        zip.write_all(&[0x4a, 0x7f, b'x'])?; // field 9, length 127, 1 byte: malformed
        Ok(())
    }
}

fn pb_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn pb_bytes(out: &mut Vec<u8>, field: u64, data: &[u8]) {
    pb_varint(out, (field << 3) | 2);
    pb_varint(out, data.len() as u64);
    out.extend_from_slice(data);
}

fn pb_uint(out: &mut Vec<u8>, field: u64, v: u64) {
    pb_varint(out, field << 3);
    pb_varint(out, v);
}

/// A protobuf tombstone (AOSP `tombstone.proto` field numbers) of `name` crashing as root.
fn pb_tombstone(name: &str) -> Vec<u8> {
    let mut t = Vec::new();
    pb_uint(&mut t, 1, 1);
    pb_bytes(&mut t, 2, b"synthetic/phone/phone:14/AP1A/1:user/release-keys");
    pb_bytes(&mut t, 4, b"2024-02-25 10:00:00.000000000+0100");
    pb_uint(&mut t, 5, 777);
    pb_uint(&mut t, 6, 777);
    pb_uint(&mut t, 7, 0);
    pb_bytes(&mut t, 8, b"u:r:su:s0");
    pb_bytes(&mut t, 9, format!("/data/local/tmp/{name}").as_bytes());
    let mut sig = Vec::new();
    pb_uint(&mut sig, 1, 6);
    pb_bytes(&mut sig, 2, b"SIGABRT");
    pb_bytes(&mut t, 10, &sig);
    let mut thread = Vec::new();
    pb_uint(&mut thread, 1, 777);
    pb_bytes(&mut thread, 2, name.as_bytes());
    let mut entry = Vec::new();
    pb_uint(&mut entry, 1, 777);
    pb_bytes(&mut entry, 2, &thread);
    pb_bytes(&mut t, 16, &entry);
    pb_uint(&mut t, 20, 12);
    t
}
