//! Synthetic androidqf collections (folder, zip with a top folder, age-encrypted zip) with a
//! nested `bugreport.zip` ([`super::bugreport`]) and `backup.ab` ([`super::backup`]).
//!
//! Planted in androidqf's own files (and the alert each must cause):
//! * `packages.json`: app-id indicator `com.aqfioc.<w>`, APK SHA-256 indicator on
//!   `com.apkhash.<w>`, certificate SHA-256 indicator on `com.certioc.<w>` → CRITICAL each;
//!   `com.aqfside.<w>` (installer "null") and `com.browserdl.<w>` (package installer) → MEDIUM;
//!   `com.aqfspy.<w>` (installer "null", five spy groups) → MEDIUM + HIGH; F-Droid app → INFO;
//!   Magisk → MEDIUM root + MEDIUM sideload; system apps with no installer → nothing; the
//!   Samsung security agent disabled → MEDIUM (a disabled benign app → nothing);
//! * `getprop.txt`: property indicator → CRITICAL; `ro.secure=0` → MEDIUM; security patch
//!   2023-06-05, nine months before the acquisition → MEDIUM;
//! * `settings_global.txt`: `package_verifier_enable=0`, `verifier_verify_adb_installs=0` → MEDIUM each;
//! * `ps.txt`: process indicator and the app-id indicator's process → CRITICAL each;
//! * `files.json`: a file under a path indicator, a file with a hash indicator → CRITICAL each;
//!   an executable in `/data/local/tmp/` → HIGH (`/data/local/tmp/collector` → nothing);
//! * `root_binaries.json`: `su` → HIGH; `mounts.json`: `/system` read-write → HIGH;
//! * `logcat.txt`: a URL on a planted domain → CRITICAL;
//! * `hashes.csv`: `settings_system.txt` changed after hashing → HIGH;
//! * `acquisition.json` names an ADB host key other than the one the nested bugreport trusts →
//!   LOW `dumpsys_adb_state`;
//! * `dumpsys.txt` (androidqf's own dumpsys output, another generated phone): read by the same
//!   dumpsys modules only when there is no `bugreport.zip`, with that phone's alerts.

use std::io::Write;
use std::path::Path;

use ferret_core::Level;

use super::backup::{AbSpec, ab_bytes};
use super::bugreport::{BugreportSpec, bugreport_zip_bytes, dumpsys_txt_bytes};
use crate::rng::{hex_string, rng_for, word};
use crate::truth::{IndicatorKind, Truth};

/// What to generate.
#[derive(Debug, Clone)]
pub struct AqfSpec {
    /// Seed.
    pub seed: u64,
    /// Benign packages in `packages.json`.
    pub benign_packages: usize,
    /// The nested bugreport (`None`: no bugreport.zip).
    pub bugreport: Option<BugreportSpec>,
    /// The nested backup (`None`: no backup.ab).
    pub backup: Option<AbSpec>,
    /// androidqf's own `dumpsys.txt` (always written by androidqf): generated from this spec's
    /// seed + 1, so a reader that takes it while a `bugreport.zip` is present gives alerts the
    /// truth does not hold. Its truth counts only when there is no bugreport.
    pub dumpsys_txt: Option<BugreportSpec>,
    /// Malware name for planted indicators.
    pub malware: &'static str,
}

impl Default for AqfSpec {
    fn default() -> Self {
        Self {
            seed: 5,
            benign_packages: 30,
            bugreport: Some(BugreportSpec::default()),
            backup: Some(AbSpec::default()),
            dumpsys_txt: Some(BugreportSpec { seed: 6, malware: "TestQfDumpsys", ..BugreportSpec::default() }),
            malware: "TestQf",
        }
    }
}

fn sha(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

/// Files of a collection: (path relative to its folder, bytes).
pub type Files = Vec<(String, Vec<u8>)>;

/// The collection's files (paths relative to the collection folder) and truth.
pub fn androidqf_files(spec: &AqfSpec) -> std::io::Result<(Files, Truth)> {
    let mut rng = rng_for(spec.seed, "androidqf");
    let mut t = Truth::default();
    let m = spec.malware;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let n = |rng: &mut _, p: &str| format!("{p}.{}{}", word(rng, 5), word(rng, 3));

    // packages.json
    let ioc_app = n(&mut rng, "com.aqfioc");
    let apkhash = n(&mut rng, "com.apkhash");
    let certioc = n(&mut rng, "com.certioc");
    let side = n(&mut rng, "com.aqfside");
    let browser = n(&mut rng, "com.browserdl");
    let spy = n(&mut rng, "com.aqfspy");
    let fd = n(&mut rng, "org.fdroidaqf");
    let apk_sha = hex_string(&mut rng, 64);
    let cert_sha = hex_string(&mut rng, 64);
    t.plant(IndicatorKind::AppId, &ioc_app, m);
    t.plant(IndicatorKind::FileSha256, &apk_sha, m);
    t.plant(IndicatorKind::AppCertSha256, &cert_sha, m);
    t.expect("aqf_packages", Level::Critical, Some(&ioc_app), &ioc_app);
    t.expect("aqf_packages", Level::Critical, Some(&apk_sha), &apkhash);
    t.expect("aqf_packages", Level::Critical, Some(&cert_sha), &certioc);
    t.expect("aqf_packages", Level::Medium, None, format!("{side}: installed from outside"));
    t.expect(
        "aqf_packages",
        Level::Medium,
        None,
        format!("{browser}: installed from outside an app store (installer com.android.packageinstaller"),
    );
    t.expect("aqf_packages", Level::Medium, None, format!("{spy}: installed from outside"));
    t.expect("aqf_packages", Level::Medium, None, format!("{spy}: holds the permissions"));
    t.expect("aqf_packages", Level::Info, None, format!("{fd}: installed from the third-party store"));
    t.expect("aqf_packages", Level::Medium, None, "com.topjohnwu.magisk: a rooting tool");
    t.expect("aqf_packages", Level::Medium, None, "com.topjohnwu.magisk: installed from outside");
    let spy_perms = [
        "android.permission.READ_SMS",
        "android.permission.READ_CALL_LOG",
        "android.permission.ACCESS_BACKGROUND_LOCATION",
        "android.permission.SYSTEM_ALERT_WINDOW",
        "android.permission.RECORD_AUDIO",
    ];
    let pkg = |name: &str,
               installer: &str,
               system: bool,
               sha256: String,
               cert: String,
               perms: Vec<serde_json::Value>| {
        serde_json::json!({
            "name": name,
            "files": [{"path": format!("/data/app/{name}-1/base.apk"), "local_name": "", "md5": "", "sha1": "", "sha256": sha256,
                       "sha512": "", "error": "", "verified_certificate": true,
                       "certificate": {"Md5": "", "Sha1": "", "Sha256": cert, "ValidFrom": "2020-01-01T00:00:00Z", "ValidTo": "2050-01-01T00:00:00Z",
                                       "Issuer": "CN=Synthetic", "Subject": "CN=Synthetic", "SignatureAlgorithm": "SHA256-RSA", "SerialNumber": 1},
                       "certificate_error": "", "trusted_certificate": false}],
            "installer": installer, "uid": 10100, "disabled": false, "system": system, "third_party": !system,
            "permissions": perms,
        })
    };
    let mut list = Vec::new();
    for i in 0..spec.benign_packages {
        let system = i % 5 == 4;
        let name = n(&mut rng, if system { "com.android.aqfsys" } else { "com.aqfbenign" });
        let perms = spy_perms.iter().take(i % 3).map(|p| serde_json::json!({"name": p, "granted": true})).collect();
        let (h1, h2) = (hex_string(&mut rng, 64), hex_string(&mut rng, 64));
        list.push(pkg(&name, if system { "null" } else { "com.android.vending" }, system, h1, h2, perms));
    }
    let mut rh = || (hex_string(&mut rng, 64), hex_string(&mut rng, 64));
    let (a, b) = rh();
    list.push(pkg(&ioc_app, "com.android.vending", false, a, b, vec![]));
    let (_, b) = rh();
    list.push(pkg(&apkhash, "com.android.vending", false, apk_sha.clone(), b, vec![]));
    let (a, _) = rh();
    list.push(pkg(&certioc, "com.android.vending", false, a, cert_sha.clone(), vec![]));
    let (a, b) = rh();
    list.push(pkg(&side, "null", false, a, b, vec![]));
    let (a, b) = rh();
    list.push(pkg(&browser, "com.android.packageinstaller", false, a, b, vec![]));
    let (a, b) = rh();
    let perms = spy_perms.iter().map(|p| serde_json::json!({"name": p, "granted": true})).collect();
    list.push(pkg(&spy, "null", false, a, b, perms));
    let (a, b) = rh();
    list.push(pkg(&fd, "org.fdroid.fdroid", false, a, b, vec![]));
    let (a, b) = rh();
    list.push(pkg(
        "com.topjohnwu.magisk",
        "null",
        false,
        a,
        b,
        vec![serde_json::json!({"name": spy_perms[0], "granted": false})],
    ));
    let (a, b) = rh();
    let mut soagent = pkg("com.sec.android.soagent", "null", true, a, b, vec![]);
    soagent["disabled"] = serde_json::Value::Bool(true);
    list.push(soagent);
    let (a, b) = rh();
    let mut off = pkg("com.aqfdisabled.benign", "com.android.vending", false, a, b, vec![]);
    off["disabled"] = serde_json::Value::Bool(true);
    list.push(off);
    t.expect("aqf_packages", Level::Medium, None, "com.sec.android.soagent: a security agent is disabled");
    files.push(("packages.json".into(), serde_json::to_vec_pretty(&list)?));

    // getprop
    let prop = format!("persist.vendor.{}.hook", word(&mut rng, 6));
    t.plant(IndicatorKind::AndroidProperty, &prop, m);
    t.expect("aqf_getprop", Level::Critical, Some(&prop), &prop);
    t.expect("aqf_getprop", Level::Medium, None, "ro.secure=0");
    t.expect(
        "aqf_getprop",
        Level::Medium,
        None,
        "ro.build.version.security_patch=2023-06-05: the phone had not received security updates",
    );
    files.push((
        "getprop.txt".into(),
        format!("[ro.build.version.sdk]: [34]\n[ro.build.version.security_patch]: [2023-06-05]\n[ro.secure]: [0]\n[ro.debuggable]: [0]\n[persist.sys.timezone]: [Europe/Berlin]\n[{prop}]: [on]\n[ro.product.model]: [Synthetic 1]\n").into_bytes(),
    ));
    // settings
    t.expect("aqf_settings", Level::Medium, None, "package_verifier_enable=0");
    t.expect("aqf_settings", Level::Medium, None, "verifier_verify_adb_installs=0");
    files.push((
        "settings_global.txt".into(),
        b"adb_enabled=1\npackage_verifier_enable=0\nverifier_verify_adb_installs=0\nupload_apk_enable=1\n".to_vec(),
    ));
    files.push(("settings_secure.txt".into(), b"accessibility_enabled=0\nandroid_id=abcdef\n".to_vec()));
    files.push(("settings_system.txt".into(), b"screen_brightness=100\n".to_vec()));
    // ps
    let proc_ioc = format!("aqfspyd{}", word(&mut rng, 4));
    t.plant(IndicatorKind::Process, &proc_ioc, m);
    t.expect("aqf_processes", Level::Critical, Some(&proc_ioc), &proc_ioc);
    t.expect("aqf_processes", Level::Critical, Some(&ioc_app), &ioc_app);
    files.push((
        "ps.txt".into(),
        format!("USER           PID  PPID     VSZ    RSS WCHAN            ADDR S NAME\nroot             1     0  100000   5000 0                   0 S init\nroot             2     0       0      0 0                   0 S [kthreadd]\nu0_a10         300     1  100000   5000 0                   0 S {ioc_app}\nroot           301     1  100000   5000 0                   0 S {proc_ioc}\nsystem         302     1  100000   5000 0                   0 S gatekeeperd\n").into_bytes(),
    ));
    // files.json
    let spy_dir = format!("/data/local/spy{}", word(&mut rng, 5));
    let file_sha = hex_string(&mut rng, 64);
    t.plant(IndicatorKind::FilePath, &spy_dir, m);
    t.plant(IndicatorKind::FileSha256, &file_sha, m);
    let spy_file = format!("{spy_dir}/agent.so");
    let hashed = format!("/sdcard/Download/{}.apk", word(&mut rng, 7));
    let tmp = format!("/data/local/tmp/{}", word(&mut rng, 6));
    t.expect("aqf_files", Level::Critical, Some(&spy_dir), &spy_file);
    t.expect("aqf_files", Level::Critical, Some(&file_sha), &hashed);
    t.expect("aqf_files", Level::High, None, format!("{tmp}: executable file"));
    let mut fl = String::new();
    for (p, mode, h) in [
        ("/system/bin/sh".to_string(), "-rwxr-xr-x", hex_string(&mut rng, 64)),
        (spy_file.clone(), "-rw-------", hex_string(&mut rng, 64)),
        (hashed.clone(), "-rw-rw----", file_sha.clone()),
        (tmp.clone(), "-rwxr-xr-x", hex_string(&mut rng, 64)),
        ("/data/local/tmp/collector".to_string(), "-rwxr-xr-x", hex_string(&mut rng, 64)),
    ] {
        fl.push_str(&serde_json::to_string(&serde_json::json!({"path": p, "size": 1234, "mode": mode, "modified_time": 1_709_000_000, "sha256": h, "context": "u:object_r:shell_data_file:s0"}))?);
        fl.push('\n');
    }
    files.push(("files.json".into(), fl.into_bytes()));
    t.expect("root_binaries", Level::High, None, "/system/xbin/su: root binary");
    files.push(("root_binaries.json".into(), br#"["/system/xbin/su"]"#.to_vec()));
    t.expect("mounts", Level::High, None, "/system: system partition mounted read-write");
    files.push((
        "mounts.json".into(),
        br#"["/dev/block/dm-0 on /system type ext4 (rw,seclabel,relatime)","/dev/block/dm-1 on /vendor type ext4 (ro,seclabel,relatime)","tmpfs on /dev type tmpfs (rw,seclabel,nosuid)"]"#.to_vec(),
    ));
    let evil = format!("{}.c2{}.org", word(&mut rng, 4), word(&mut rng, 6));
    t.plant(IndicatorKind::Domain, &evil, m);
    let url = format!("http://{evil}/beacon?id={}", hex_string(&mut rng, 8));
    t.expect("aqf_logcat", Level::Critical, Some(&evil), &url);
    files.push((
        "logcat.txt".into(),
        format!("03-01 09:00:00.000  1000  1200  1200 I chromium: load https://www.benignsite.com/\n03-01 09:00:01.000 10100  1300  1300 I agent: posting to {url}\n").into_bytes(),
    ));
    let host_key: String = (0..540)
        .map(|i| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[(i * 11 + 5) % 62]))
        .collect();
    let acq = serde_json::json!({"uuid": "00000000-0000-4000-8000-000000000000", "androidqf_version": "synthetic",
        "started": "2024-03-01T10:00:00Z", "completed": "2024-03-01T10:05:00Z", "adb_host_public_key": format!("{host_key} ferret@acquisition")});
    files.push(("logs/dmesg.txt".into(), b"[    0.000000] Booting Linux\n".to_vec()));
    files.push(("acquisition.json".into(), serde_json::to_vec(&acq)?));
    if let Some(ds) = &spec.dumpsys_txt {
        let (bytes, dt, _) = dumpsys_txt_bytes(ds)?;
        files.push(("dumpsys.txt".into(), bytes));
        if spec.bugreport.is_none() {
            t.extend(dt);
        }
    }
    if spec.bugreport.is_some() || spec.dumpsys_txt.is_some() {
        // the nested bugreport (or dumpsys.txt) trusts "analyst@lab", which is not the acquiring computer
        t.expect("dumpsys_adb_state", Level::Low, None, "\"analyst@lab\" is trusted but is not the key");
    }
    if let Some(bs) = &spec.bugreport {
        let (bytes, bt, _) = bugreport_zip_bytes(bs)?;
        files.push(("bugreport.zip".into(), bytes));
        t.extend(bt);
    }
    if let Some(abs) = &spec.backup {
        let (bytes, at) = ab_bytes(abs)?;
        files.push(("backup.ab".into(), bytes));
        t.extend(at);
    }
    // hashes.csv, then tamper with settings_system.txt
    let mut csv = String::from("path,sha256\n");
    for (p, b) in &files {
        csv.push_str(&format!("{p},{}\n", sha(b)));
    }
    files.push(("hashes.csv".into(), csv.into_bytes()));
    for (p, b) in &mut files {
        if p == "settings_system.txt" {
            *b = b"screen_brightness=100\nlock_screen_owner_info=changed\n".to_vec();
        }
    }
    t.expect("acquisition_hashes", Level::High, None, "settings_system.txt: acquisition file modified");
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok((files, t))
}

/// Writes the collection as a folder at `dir` (created).
pub fn write_androidqf_dir(dir: &Path, spec: &AqfSpec) -> std::io::Result<Truth> {
    let (files, t) = androidqf_files(spec)?;
    std::fs::create_dir_all(dir)?;
    for (p, b) in files {
        let target = dir.join(p);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(target, b)?;
    }
    Ok(t)
}

/// The collection as zip bytes with a top folder `top/`.
pub fn androidqf_zip_bytes(spec: &AqfSpec, top: &str) -> std::io::Result<(Vec<u8>, Truth)> {
    let (files, t) = androidqf_files(spec)?;
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (p, b) in files {
        z.start_file(format!("{top}/{p}"), o)?;
        z.write_all(&b)?;
    }
    Ok((z.finish().map_err(std::io::Error::other)?.into_inner(), t))
}

/// Writes the collection as a zip at `path`.
pub fn write_androidqf_zip(path: &Path, spec: &AqfSpec) -> std::io::Result<Truth> {
    let (b, t) = androidqf_zip_bytes(spec, "acquisition")?;
    std::fs::write(path, b)?;
    Ok(t)
}

/// A deterministic age X25519 identity (`AGE-SECRET-KEY-1...`) from a seed.
pub fn age_identity_string(seed: u64) -> String {
    let mut rng = rng_for(seed, "age-identity");
    let mut key = [0u8; 32];
    rand::Rng::fill(&mut rng, &mut key[..]);
    bech32_encode("age-secret-key-", &key).to_uppercase()
}

fn bech32_encode(hrp: &str, data: &[u8]) -> String {
    const CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    let mut five = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in data {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            five.push(((acc >> bits) & 31) as u8);
        }
    }
    if bits > 0 {
        five.push(((acc << (5 - bits)) & 31) as u8);
    }
    let polymod = |values: &[u8]| {
        const GEN: [u32; 5] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3];
        let mut chk = 1u32;
        for &v in values {
            let top = chk >> 25;
            chk = ((chk & 0x1ff_ffff) << 5) ^ u32::from(v);
            for (i, g) in GEN.iter().enumerate() {
                if (top >> i) & 1 == 1 {
                    chk ^= g;
                }
            }
        }
        chk
    };
    let mut values: Vec<u8> = hrp.bytes().map(|c| c >> 5).collect();
    values.push(0);
    values.extend(hrp.bytes().map(|c| c & 31));
    values.extend_from_slice(&five);
    values.extend_from_slice(&[0; 6]);
    let pm = polymod(&values) ^ 1;
    let mut out = format!("{hrp}1");
    for &d in &five {
        out.push(char::from(CHARSET[usize::from(d)]));
    }
    for i in 0..6 {
        out.push(char::from(CHARSET[((pm >> (5 * (5 - i))) & 31) as usize]));
    }
    out
}

/// Writes the collection as an age-encrypted zip (`path`, usually `<uuid>.zip.age`) for the
/// identity [`age_identity_string`]`(seed)`, and returns the truth. The identity is
/// deterministic; the ciphertext is not (age draws its ephemeral key from the OS).
#[cfg(feature = "age")]
pub fn write_androidqf_age(path: &Path, spec: &AqfSpec, identity_seed: u64) -> std::io::Result<Truth> {
    use std::str::FromStr;
    let (zip, t) = androidqf_zip_bytes(spec, "acquisition")?;
    let id = age::x25519::Identity::from_str(&age_identity_string(identity_seed))
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let recipient = id.to_public();
    let enc = age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut out = Vec::new();
    let mut w = enc.wrap_output(&mut out)?;
    w.write_all(&zip)?;
    w.finish()?;
    std::fs::write(path, out)?;
    Ok(t)
}
