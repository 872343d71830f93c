//! Synthetic iOS full-filesystem dumps with ground truth.
//!
//! Artifacts are [`ArtifactFile`]s placed at their `fs_path`. This module generates the
//! filesystem-only artifacts (what a backup never holds) and writes any set of artifacts (also
//! the mixed ones from [`crate::ios`]) as a dump folder or a `.tar.gz`, optionally nested one
//! folder deep as extraction tools do. Planted cases per module:
//!
//! * `filesystem`: a file whose name is a file-name indicator, a file under a file-path
//!   indicator folder, a folder named like a process indicator (each HIGH); near misses.
//! * `netusage` (`private/var/networkd/db/netusage.sqlite`): a process named like a process
//!   indicator (CRITICAL), a live-usage row whose process row was deleted (HIGH), a gap in the
//!   process ids (LOW).
//! * `cache_files` (`Cache.db` in an app container): a cached response from an indicator domain.
//! * `webkit_indexeddb`, `webkit_local_storage`, `webkit_safari_view_service`: an origin on an
//!   indicator domain in each store.
//! * `safari_favicon`: a page and an icon URL on indicator domains (two CRITICAL).
//! * `shutdown_log` at `private/var/db/diagnostics/`: the sysdiagnose shutdown logs (same cases).
//! * `ios_version_history` (`private/var/db/analyticsd/Analytics-Journal-*.ips`): no checks.
//! * `analytics` (`private/var/Keychains/Analytics/*.db`): an event naming a process indicator
//!   and a nested event value on an indicator domain (two CRITICAL); near misses (the process
//!   name as a prefix of a longer word, the domain inside a longer label); three builds, two of
//!   which the analytics journals of [`version_history`] name (`analytics_ios_versions`).

use std::io::Write;
use std::path::{Path, PathBuf};

use ferret_core::Level;
use rand::Rng;

use crate::ArtifactFile;
use crate::ios::files::db;
use crate::ios::values::{evil_domain, mac};
use crate::rng::{TestRng, rng_for, uuid, word};
use crate::truth::{IndicatorKind, Truth};

const MALWARE: &str = crate::sysdiagnose::MALWARE;

fn file(fs: String, bytes: Vec<u8>, mtime: i64) -> ArtifactFile {
    ArtifactFile { domain: String::new(), relative_path: String::new(), fs_path: fs, bytes, mtime }
}

fn app_container(rng: &mut TestRng) -> String {
    format!("private/var/mobile/Containers/Data/Application/{}", uuid(rng))
}

/// Ordinary files (`count`) plus the `filesystem` module's planted cases.
pub fn filesystem(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let m = "filesystem";
    let mut rng = rng_for(seed, "ios_fs/filesystem");
    let t0 = 1_750_000_000i64;
    let mut out = Vec::new();
    for i in 0..count {
        let dir = match i % 4 {
            0 => format!("{}/Library/Caches", app_container(&mut rng)),
            1 => format!("private/var/mobile/Media/DCIM/{}APPLE", 100 + i % 7),
            2 => "private/var/mobile/Library/Preferences".to_string(),
            _ => format!("private/var/containers/Bundle/Application/{}/{}.app", uuid(&mut rng), word(&mut rng, 6)),
        };
        out.push(file(format!("{dir}/{}.dat", word(&mut rng, 8)), vec![b'x'; i % 50], t0 + i as i64));
    }
    let bad_name = format!("{}.dylib", word(&mut rng, 9));
    truth.plant(IndicatorKind::FileName, bad_name.clone(), MALWARE);
    let bad_dir = format!("/private/var/db/{}", word(&mut rng, 10));
    truth.plant(IndicatorKind::FilePath, bad_dir.clone(), MALWARE);
    let bad_proc = word(&mut rng, 11);
    truth.plant(IndicatorKind::Process, bad_proc.clone(), MALWARE);
    let f1 = format!("private/var/mobile/Library/{bad_name}");
    let f2 = format!("{}/state.plist", bad_dir.trim_start_matches('/'));
    let f3 = format!("private/var/tmp/{bad_proc}/cfg.bin");
    truth.expect(m, Level::High, Some(&bad_name), f1.clone());
    truth.expect(m, Level::High, Some(&bad_dir), f2.clone());
    truth.expect(m, Level::High, Some(&bad_proc), f3.clone());
    out.push(file(f1, b"MZ".to_vec(), t0 + 1000));
    out.push(file(f2, b"<plist/>".to_vec(), t0 + 1001));
    out.push(file(f3, b"\x00\x01".to_vec(), t0 + 1002));
    // near misses: name that only contains the indicator, sibling folder sharing a prefix
    out.push(file(format!("private/var/mobile/Library/x{bad_name}"), b"-".to_vec(), t0 + 1003));
    out.push(file(format!("{}x/state.plist", bad_dir.trim_start_matches('/')), b"-".to_vec(), t0 + 1004));
    out
}

/// Schema of `netusage.sqlite` / `DataUsage.sqlite` (the columns the modules read).
pub const NETUSAGE_SCHEMA: &str = "CREATE TABLE ZPROCESS (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, \
    ZFIRSTTIMESTAMP TIMESTAMP, ZTIMESTAMP TIMESTAMP, ZPROCNAME VARCHAR, ZBUNDLENAME VARCHAR); \
    CREATE TABLE ZLIVEUSAGE (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZKIND INTEGER, \
    ZHASPROCESS INTEGER, ZTIMESTAMP TIMESTAMP, ZWIFIIN FLOAT, ZWIFIOUT FLOAT, ZWWANIN FLOAT, ZWWANOUT FLOAT);";

/// `private/var/networkd/db/netusage.sqlite` with `count` processes.
pub fn netusage(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let m = "netusage";
    let mut rng = rng_for(seed, "ios_fs/netusage");
    let t0 = 1_751_000_000i64;
    let bad = word(&mut rng, 10);
    truth.plant(IndicatorKind::Process, bad.clone(), MALWARE);
    let mut procs: Vec<(i64, String, String)> = Vec::new();
    // Apple's daemons, named as netusage keeps them (16 characters at most)
    for i in 0..count {
        let name: String = crate::apple::daemon(&mut rng).chars().take(16).collect();
        procs.push((i as i64 + 1, name.clone(), format!("com.apple.{name}")));
    }
    let n = procs.len() as i64;
    procs.push((n + 1, bad.clone(), format!("com.apple.{bad}")));
    truth.expect_census(Level::Medium, &bad);
    // A gap: id n+2 is missing (deleted process) -> LOW.
    let after_gap: String = crate::apple::daemon(&mut rng).chars().take(16).collect();
    procs.push((n + 3, after_gap.clone(), format!("com.apple.{after_gap}")));
    let missing_live = n + 40; // live usage points at a process id that does not exist
    truth.expect(m, Level::Critical, Some(&bad), bad.clone());
    truth.expect(m, Level::Low, None, format!("Missing process id {} ", n + 2));
    truth.expect(m, Level::High, None, format!("points to missing process id {missing_live}"));
    let path = "private/var/networkd/db/netusage.sqlite";
    let mut lrng = rng_for(seed, "ios_fs/netusage/db");
    vec![db("", "", path, t0, |c| {
        c.execute_batch(NETUSAGE_SCHEMA)?;
        for (pk, name, bundle) in &procs {
            c.execute(
                "INSERT INTO ZPROCESS (Z_PK, Z_ENT, Z_OPT, ZFIRSTTIMESTAMP, ZTIMESTAMP, ZPROCNAME, ZBUNDLENAME) VALUES (?1, 1, 1, ?2, ?3, ?4, ?5)",
                rusqlite::params![pk, mac(t0 + pk * 60), mac(t0 + pk * 60 + 3600), name, bundle],
            )?;
        }
        let mut live = 1i64;
        for (pk, _, _) in &procs {
            c.execute(
                "INSERT INTO ZLIVEUSAGE (Z_PK, Z_ENT, Z_OPT, ZKIND, ZHASPROCESS, ZTIMESTAMP, ZWIFIIN, ZWIFIOUT, ZWWANIN, ZWWANOUT) VALUES (?1, 2, 1, 0, ?2, ?3, ?4, ?5, 0, 0)",
                rusqlite::params![live, pk, mac(t0 + pk * 60 + 7200), f64::from(lrng.random_range(0..100_000u32)), f64::from(lrng.random_range(0..100_000u32))],
            )?;
            live += 1;
        }
        c.execute(
            "INSERT INTO ZLIVEUSAGE (Z_PK, Z_ENT, Z_OPT, ZKIND, ZHASPROCESS, ZTIMESTAMP, ZWIFIIN, ZWIFIOUT, ZWWANIN, ZWWANOUT) VALUES (?1, 2, 1, 0, ?2, ?3, 1, 1, 0, 0)",
            rusqlite::params![live, missing_live, mac(t0 + 99_999)],
        )?;
        Ok(())
    })]
}

/// A `Cache.db` (CFNetwork URL cache) in an app container with `count` responses.
pub fn cache_files(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios_fs/cache_files");
    let evil = evil_domain(&mut rng);
    truth.plant(IndicatorKind::Domain, evil.clone(), MALWARE);
    let bad_url = format!("https://cdn.{evil}/{}/payload.js", word(&mut rng, 6));
    truth.expect("cache_files", Level::Critical, Some(&evil), bad_url.clone());
    let mut urls: Vec<String> = (0..count).map(|_| crate::ios::values::benign_url(&mut rng)).collect();
    urls.insert(urls.len() / 2, bad_url);
    urls.push(format!("https://{evil}.example.org/not-the-domain"));
    let path = format!("{}/Library/Caches/com.example.app/Cache.db", app_container(&mut rng));
    vec![db("", "", &path, 1_752_000_000, |c| {
        c.execute_batch(
            "CREATE TABLE cfurl_cache_response(entry_ID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, version INTEGER, hash_value INTEGER, \
             storage_policy INTEGER, request_key TEXT UNIQUE, time_stamp NOT NULL DEFAULT CURRENT_TIMESTAMP, partition TEXT);",
        )?;
        for (i, u) in urls.iter().enumerate() {
            c.execute(
                "INSERT INTO cfurl_cache_response (version, hash_value, storage_policy, request_key, time_stamp) VALUES (0, ?1, 0, ?2, ?3)",
                rusqlite::params![i as i64 * 7919, u, format!("2025-07-0{} 10:00:{:02}", 1 + i % 9, i % 60)],
            )?;
        }
        Ok(())
    })]
}

/// WebKit IndexedDB, LocalStorage and SafariViewService stores with `count` benign origins each.
pub fn webkit_stores(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios_fs/webkit");
    let mut out = Vec::new();
    let t = 1_753_000_000i64;
    let hosts = crate::ios::values::BENIGN_HOSTS;
    let app = app_container(&mut rng);
    let svc = format!("{}/SystemData/com.apple.SafariViewService/Library/WebKit/WebsiteData", app_container(&mut rng));
    for (module, base, leaf) in [
        ("webkit_indexeddb", format!("{app}/Library/WebKit/WebsiteData/IndexedDB"), "/IndexedDB.sqlite3"),
        ("webkit_local_storage", format!("{app}/Library/WebKit/WebsiteData/LocalStorage"), ".localstorage"),
        ("webkit_safari_view_service", svc.clone(), "/data.bin"),
    ] {
        let evil = evil_domain(&mut rng);
        truth.plant(IndicatorKind::Domain, evil.clone(), MALWARE);
        truth.expect(module, Level::Critical, Some(&evil), format!("https://{evil}"));
        let mut origins: Vec<String> = (0..count).map(|i| format!("https_{}_0", hosts[i % hosts.len()])).collect();
        origins.push(format!("https_{evil}_0"));
        origins.push(format!("http_{}.{}_0", word(&mut rng, 5), hosts[0]));
        origins.sort();
        origins.dedup();
        for o in origins {
            out.push(file(format!("{base}/{o}{leaf}"), b"store".to_vec(), t));
        }
        // Not an origin entry: ignored by the modules.
        out.push(file(format!("{base}/Databases.db"), b"x".to_vec(), t));
    }
    out
}

/// Safari `Favicons.db` with `count` benign pages.
pub fn safari_favicon(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios_fs/safari_favicon");
    let page_evil = evil_domain(&mut rng);
    let icon_evil = evil_domain(&mut rng);
    truth.plant(IndicatorKind::Domain, page_evil.clone(), MALWARE);
    truth.plant(IndicatorKind::Domain, icon_evil.clone(), MALWARE);
    truth.expect("safari_favicon", Level::Critical, Some(&page_evil), page_evil.clone());
    truth.expect("safari_favicon", Level::Critical, Some(&icon_evil), icon_evil.clone());
    let mut rows: Vec<(String, String)> = (0..count)
        .map(|_| {
            let u = crate::ios::values::benign_url(&mut rng);
            (u.clone(), format!("{u}/favicon.ico"))
        })
        .collect();
    rows.push((format!("https://{page_evil}/landing"), "https://www.example.com/favicon.ico".into()));
    let t0 = 1_754_000_000i64;
    let mut urng = rng_for(seed, "ios_fs/safari_favicon/db");
    vec![db("", "", "private/var/mobile/Library/Image Cache/Favicons/Favicons.db", t0, |c| {
        c.execute_batch(
            "CREATE TABLE page_url (id INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT, url TEXT NOT NULL UNIQUE);
             CREATE TABLE icon_info (id INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE, url TEXT NOT NULL, timestamp REAL NOT NULL, width REAL, height REAL, has_generated_representations INTEGER);
             CREATE TABLE rejected_resources (id INTEGER PRIMARY KEY AUTOINCREMENT, page_url TEXT NOT NULL, icon_url TEXT NOT NULL, timestamp REAL NOT NULL);",
        )?;
        for (i, (p, icon)) in rows.iter().enumerate() {
            let u = uuid(&mut urng);
            c.execute("INSERT INTO page_url (uuid, url) VALUES (?1, ?2)", rusqlite::params![u, p])?;
            c.execute(
                "INSERT INTO icon_info (uuid, url, timestamp, width, height) VALUES (?1, ?2, ?3, 32, 32)",
                rusqlite::params![u, icon, mac(t0 + i as i64)],
            )?;
        }
        c.execute(
            "INSERT INTO rejected_resources (page_url, icon_url, timestamp) VALUES ('https://www.example.org/a', ?1, ?2)",
            rusqlite::params![format!("https://img.{icon_evil}/i.png"), mac(t0 + 5000)],
        )?;
        Ok(())
    })]
}

/// `private/var/db/analyticsd/Analytics-Journal-*.ips` files recording iOS updates.
pub fn version_history(seed: u64) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios_fs/version_history");
    let mut out = Vec::new();
    for (i, v) in ["iPhone OS 17.5.1 (21F90)", "iPhone OS 18.0 (22A3354)", "iPhone OS 18.1 (22B83)"].iter().enumerate()
    {
        let t = 1_720_000_000 + i as i64 * 5_000_000 + rng.random_range(0..1000i64);
        let ts = jiff::Timestamp::from_second(t).expect("t").strftime("%Y-%m-%d %H:%M:%S.00 +0000").to_string();
        let header =
            serde_json::json!({"timestamp": ts, "os_version": v, "bug_type": "211", "incident_id": uuid(&mut rng)});
        let mut bytes = serde_json::to_vec(&header).expect("json");
        bytes.extend_from_slice(b"\n{\"_marker\":\"<metadata>\"}\n");
        out.push(file(
            format!(
                "private/var/db/analyticsd/Analytics-Journal-{}.ips",
                jiff::Timestamp::from_second(t).expect("t").strftime("%Y-%m-%d-%H%M%S")
            ),
            bytes,
            t,
        ));
    }
    out
}

/// Builds named in [`analytics`] events, oldest first (the first two are in [`version_history`]).
pub const ANALYTICS_BUILDS: [&str; 3] = ["21F90", "22B83", "22C5125e"];

/// `private/var/Keychains/Analytics/{ckks,trust}_analytics.db` with `count` benign events each
/// (rows spread over `hard_failures`, `soft_failures`, `all_events`; the trust database has no
/// `all_events` table, as on older versions), plus the planted ones.
pub fn analytics(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let m = "analytics";
    let mut rng = rng_for(seed, "ios_fs/analytics");
    let bad_proc = word(&mut rng, 11);
    let evil = evil_domain(&mut rng);
    truth.plant(IndicatorKind::Process, bad_proc.clone(), MALWARE);
    truth.plant(IndicatorKind::Domain, evil.clone(), MALWARE);
    truth.expect(m, Level::Critical, Some(&bad_proc), format!("process \"{bad_proc}\""));
    truth.expect(m, Level::Critical, Some(&evil), format!("domain \"api.{evil}\""));
    let t0 = 1_720_000_000i64;
    let mut out = Vec::new();
    for (d, name) in ["ckks_analytics.db", "trust_analytics.db"].iter().enumerate() {
        let tables: &[&str] = if d == 0 {
            &["hard_failures", "soft_failures", "all_events"]
        } else {
            &["hard_failures", "soft_failures"]
        };
        let mut rows: Vec<(usize, f64, Vec<u8>)> = Vec::new();
        for i in 0..count {
            let mut ev = plist::Dictionary::new();
            let build = ANALYTICS_BUILDS[(i * ANALYTICS_BUILDS.len()) / count.max(1)];
            ev.insert("build".into(), plist::Value::String(build.into()));
            ev.insert("process".into(), plist::Value::String(format!("{}d", word(&mut rng, 6))));
            ev.insert("errorCode".into(), plist::Value::Integer((rng.random_range(0..400i64)).into()));
            let t = t0 + (i as i64) * 86_400 * 30 + rng.random_range(0..3600i64);
            rows.push((
                i % tables.len(),
                t as f64 + 0.25,
                crate::ios::files::plist_bytes(&plist::Value::Dictionary(ev)),
            ));
        }
        if d == 0 {
            let mut ev = plist::Dictionary::new();
            ev.insert("process".into(), plist::Value::String(bad_proc.clone()));
            ev.insert("build".into(), plist::Value::String(ANALYTICS_BUILDS[1].into()));
            rows.push((1, (t0 + 5_000_000) as f64, crate::ios::files::plist_bytes(&plist::Value::Dictionary(ev))));
            // near misses
            let mut ev = plist::Dictionary::new();
            ev.insert("process".into(), plist::Value::String(format!("{bad_proc}helper")));
            ev.insert("note".into(), plist::Value::String(format!("api.{evil}x.net")));
            rows.push((0, (t0 + 5_000_100) as f64, crate::ios::files::plist_bytes(&plist::Value::Dictionary(ev))));
            // a row with no data and one whose data is not a property list
            rows.push((0, (t0 + 10) as f64, Vec::new()));
            rows.push((2, (t0 + 11) as f64, b"not a plist".to_vec()));
        } else {
            let mut inner = plist::Dictionary::new();
            inner.insert("host".into(), plist::Value::String(format!("api.{evil}")));
            let mut ev = plist::Dictionary::new();
            ev.insert("networkAttempt".into(), plist::Value::Array(vec![plist::Value::Dictionary(inner)]));
            rows.push((0, (t0 + 6_000_000) as f64, crate::ios::files::plist_bytes(&plist::Value::Dictionary(ev))));
        }
        out.push(db("", "", &format!("private/var/Keychains/Analytics/{name}"), t0, |c| {
            for t in tables {
                c.execute_batch(&format!(
                    "CREATE TABLE {t} (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp REAL, data BLOB);"
                ))?;
            }
            for (ti, ts, data) in &rows {
                let data: Option<&[u8]> = if data.is_empty() { None } else { Some(data) };
                c.execute(
                    &format!("INSERT INTO {} (timestamp, data) VALUES (?1, ?2)", tables[*ti]),
                    rusqlite::params![ts, data],
                )?;
            }
            Ok(())
        }));
    }
    out
}

/// The sysdiagnose shutdown logs placed where a filesystem dump holds them.
pub fn shutdown_logs(seed: u64, reboots: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    crate::sysdiagnose::shutdown_logs(seed, reboots, truth)
        .into_iter()
        .map(|f| {
            let name = f.path.rsplit('/').next().unwrap_or_default().to_string();
            file(format!("private/var/db/diagnostics/{name}"), f.bytes, f.mtime)
        })
        .collect()
}

/// Every filesystem-only artifact at `scale`, sorted by path. (Mixed artifacts from
/// [`crate::ios`] can be appended by the caller; their `fs_path` places them.)
pub fn generate(seed: u64, scale: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut v = filesystem(seed, scale, truth);
    v.extend(netusage(seed, scale.min(200), truth));
    v.extend(cache_files(seed, scale.min(200), truth));
    v.extend(webkit_stores(seed, scale.min(20), truth));
    v.extend(safari_favicon(seed, scale.min(200), truth));
    v.extend(version_history(seed));
    v.extend(analytics(seed, scale.clamp(3, 60), truth));
    v.extend(shutdown_logs(seed, 8, truth));
    v.sort_by(|a, b| a.fs_path.cmp(&b.fs_path));
    v
}

/// Writes `files` at their `fs_path` under `dir/prefix` (prefix may be empty); returns the
/// folder to give to `check-fs`.
pub fn write_folder(dir: &Path, prefix: &str, files: &[ArtifactFile]) -> std::io::Result<PathBuf> {
    let root = if prefix.is_empty() { dir.to_path_buf() } else { dir.join(prefix) };
    std::fs::create_dir_all(&root)?;
    for f in files {
        let p = root.join(&f.fs_path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&p, &f.bytes)?;
        let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(f.mtime.max(0).unsigned_abs());
        std::fs::File::options().write(true).open(&p)?.set_modified(when)?;
    }
    Ok(dir.to_path_buf())
}

/// Writes `files` as a `.tar.gz` (entries `prefix/fs_path`, or `fs_path` if prefix is empty).
pub fn write_tar_gz(path: &Path, prefix: &str, files: &[ArtifactFile]) -> std::io::Result<()> {
    let f = std::fs::File::create(path)?;
    let enc = flate2::write::GzEncoder::new(std::io::BufWriter::new(f), flate2::Compression::fast());
    let mut b = tar::Builder::new(enc);
    for f in files {
        let name = if prefix.is_empty() { f.fs_path.clone() } else { format!("{prefix}/{}", f.fs_path) };
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(f.bytes.len() as u64);
        h.set_mtime(f.mtime.max(0) as u64);
        b.append_data(&mut h, &name, f.bytes.as_slice())?;
    }
    b.into_inner()?.finish()?.flush()
}

/// Streams a plain `.tar` of `count` small synthetic files (for the 1M-entry benchmark) without
/// holding them in memory; one file in every 100 000 is named like `marker` so a check has
/// something to find.
pub fn write_large_tar(path: &Path, count: usize, marker: &str) -> std::io::Result<()> {
    let f = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut b = tar::Builder::new(f);
    let mut rng = rng_for(count as u64, "ios_fs/large");
    for i in 0..count {
        let name = if i % 100_000 == 99_999 {
            format!("private/var/mobile/Library/{i}/{marker}")
        } else {
            format!(
                "private/var/mobile/Containers/Data/Application/{:04}/Library/Caches/{}/{}.dat",
                i / 250,
                word(&mut rng, 6),
                word(&mut rng, 10)
            )
        };
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(8);
        h.set_mtime(1_700_000_000 + i as u64);
        b.append_data(&mut h, &name, &b"content!"[..])?;
    }
    b.into_inner()?.flush()
}
