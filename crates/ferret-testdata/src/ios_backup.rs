//! Writes generated artifacts as an iTunes/Finder-style backup folder.
//!
//! Output of [`write_backup`], all format-correct (readable by MVT):
//! * `Info.plist` (XML, as iTunes writes it): device facts, `Installed Applications`,
//!   `Applications{bundle: {iTunesMetadata}}`;
//! * `Manifest.plist` (binary): `IsEncrypted` false, `Version`, `Date`, `WasPasscodeSet`,
//!   `Lockdown{DeviceName, ProductType, ProductVersion, BuildVersion, SerialNumber,
//!   UniqueDeviceID}`, `Applications{bundle: {CFBundleIdentifier, CFBundleVersion, Path,
//!   ContainerContentClass}}`;
//! * `Status.plist` (binary): `IsFullBackup`, `SnapshotState` = `finished`, `Date`, `UUID`;
//! * `Manifest.db`: `Files(fileID TEXT PRIMARY KEY, domain, relativePath, flags, file BLOB)`
//!   plus `Properties(key TEXT PRIMARY KEY, value BLOB)`; one row per file (flags 1), one per
//!   parent folder and per domain root (flags 2); `file` is a binary-plist NSKeyedArchiver
//!   archive of an `MBFile` (`$version` 100000, `$archiver`, `$top{root: UID 1}`, `$objects`);
//! * each file at `<id[0..2]>/<id>`, `id = SHA-1("<domain>-<relativePath>")`.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io;
use std::path::Path;

use plist::{Dictionary, Uid, Value};
use sha1::Digest;

use crate::ArtifactFile;

/// One installed app, as the backup records it.
#[derive(Debug, Clone, PartialEq)]
pub struct AppSpec {
    /// Bundle identifier.
    pub bundle_id: String,
    /// Version string.
    pub version: String,
    /// Binary plist bytes of the app's `iTunesMetadata.plist` (absent for apps without one).
    pub itunes_metadata: Option<Vec<u8>>,
    /// Bundle container UUID (used for the on-device path).
    pub container: String,
}

/// The device a backup is written for.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceSpec {
    /// `Device Name`.
    pub device_name: String,
    /// e.g. `iPhone14,2`.
    pub product_type: String,
    /// e.g. `17.5.1`.
    pub product_version: String,
    /// e.g. `21F90`.
    pub build_version: String,
    /// Serial number (synthetic).
    pub serial_number: String,
    /// UDID (synthetic).
    pub udid: String,
    /// IMEI (synthetic, not a valid one).
    pub imei: String,
    /// Phone number (fictional).
    pub phone_number: String,
    /// ICCID (synthetic).
    pub iccid: String,
    /// Backup time, Unix seconds.
    pub last_backup: i64,
    /// Value of `IsEncrypted` in Manifest.plist (content is never actually encrypted here).
    pub is_encrypted_flag: bool,
    /// Installed apps.
    pub apps: Vec<AppSpec>,
}

impl Default for DeviceSpec {
    fn default() -> Self {
        Self {
            device_name: "Test iPhone".into(),
            product_type: "iPhone14,2".into(),
            product_version: "17.5.1".into(),
            build_version: "21F90".into(),
            serial_number: "FERRET0SERIAL".into(),
            udid: "00008110-000000000000FE00".into(),
            imei: "000000000000000".into(),
            phone_number: "+1 555 0100".into(),
            iccid: "0000000000000000000".into(),
            last_backup: 1_735_689_600,
            is_encrypted_flag: false,
            apps: Vec::new(),
        }
    }
}

/// SHA-1 of `domain-relativePath`, lowercase hex: the backup file ID.
pub fn file_id(domain: &str, relative_path: &str) -> String {
    let mut h = sha1::Sha1::new();
    h.update(domain.as_bytes());
    h.update(b"-");
    h.update(relative_path.as_bytes());
    hex::encode(h.finalize())
}

fn date(unix: i64) -> Value {
    let st = std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(unix).unwrap_or(0));
    Value::Date(st.into())
}

fn dict(pairs: Vec<(&str, Value)>) -> Value {
    let mut d = Dictionary::new();
    for (k, v) in pairs {
        d.insert(k.to_string(), v);
    }
    Value::Dictionary(d)
}

fn s(v: &str) -> Value {
    Value::String(v.to_string())
}

fn int(v: i64) -> Value {
    Value::Integer(v.into())
}

/// Metadata archived for one Manifest row.
#[derive(Debug, Clone, Copy)]
pub struct MbFileSpec<'a> {
    /// Relative path.
    pub relative_path: &'a str,
    /// `st_mode`.
    pub mode: u64,
    /// Size in bytes.
    pub size: u64,
    /// Unix times.
    pub modified: i64,
    /// Birth time.
    pub birth: i64,
    /// Status change time.
    pub status_changed: i64,
    /// Inode number.
    pub inode: u64,
    /// Protection class.
    pub protection_class: u64,
}

/// The `MBFile` NSKeyedArchiver archive (binary plist bytes), laid out as Apple writes it.
pub fn mbfile_blob(m: &MbFileSpec<'_>) -> Vec<u8> {
    let mbfile = dict(vec![
        ("LastModified", int(m.modified)),
        ("Flags", int(0)),
        ("GroupID", int(501)),
        ("LastStatusChange", int(m.status_changed)),
        ("Birth", int(m.birth)),
        ("Size", Value::Integer(m.size.into())),
        ("InodeNumber", Value::Integer(m.inode.into())),
        ("Mode", Value::Integer(m.mode.into())),
        ("UserID", int(501)),
        ("ProtectionClass", Value::Integer(m.protection_class.into())),
        ("RelativePath", Value::Uid(Uid::new(2))),
        ("$class", Value::Uid(Uid::new(3))),
    ]);
    let archive = dict(vec![
        ("$version", int(100_000)),
        ("$archiver", s("NSKeyedArchiver")),
        ("$top", dict(vec![("root", Value::Uid(Uid::new(1)))])),
        (
            "$objects",
            Value::Array(vec![
                s("$null"),
                mbfile,
                s(m.relative_path),
                dict(vec![("$classname", s("MBFile")), ("$classes", Value::Array(vec![s("MBFile"), s("NSObject")]))]),
            ]),
        ),
    ]);
    let mut out = Vec::with_capacity(400);
    // Writing to a Vec cannot fail for a well-formed Value.
    let _ = archive.to_writer_binary(&mut out);
    out
}

fn info_plist(device: &DeviceSpec) -> Value {
    let mut apps = Dictionary::new();
    for a in &device.apps {
        let mut d = Dictionary::new();
        if let Some(m) = &a.itunes_metadata {
            d.insert("iTunesMetadata".into(), Value::Data(m.clone()));
        }
        d.insert("PlaceholderIcon".into(), Value::Data(b"\x89PNG synthetic icon".to_vec()));
        apps.insert(a.bundle_id.clone(), Value::Dictionary(d));
    }
    let product_name = match device.product_type.as_str() {
        t if t.starts_with("iPad") => "iPad",
        _ => "iPhone",
    };
    dict(vec![
        ("Applications", Value::Dictionary(apps)),
        ("Build Version", s(&device.build_version)),
        ("Device Name", s(&device.device_name)),
        ("Display Name", s(&device.device_name)),
        ("GUID", s("00000000000000000000000000000000")),
        ("ICCID", s(&device.iccid)),
        ("IMEI", s(&device.imei)),
        ("Installed Applications", Value::Array(device.apps.iter().map(|a| s(&a.bundle_id)).collect())),
        ("Last Backup Date", date(device.last_backup)),
        ("Phone Number", s(&device.phone_number)),
        ("Product Name", s(product_name)),
        ("Product Type", s(&device.product_type)),
        ("Product Version", s(&device.product_version)),
        ("Serial Number", s(&device.serial_number)),
        ("Target Identifier", s(&device.udid)),
        ("Target Type", s("Device")),
        ("Unique Identifier", s(&device.udid)),
        ("iTunes Files", Value::Dictionary(Dictionary::new())),
        ("iTunes Settings", Value::Dictionary(Dictionary::new())),
        ("iTunes Version", s("12.13.2.3")),
    ])
}

fn manifest_plist(device: &DeviceSpec) -> Value {
    let mut apps = Dictionary::new();
    for a in &device.apps {
        apps.insert(
            a.bundle_id.clone(),
            dict(vec![
                ("CFBundleIdentifier", s(&a.bundle_id)),
                ("CFBundleVersion", s(&a.version)),
                ("ContainerContentClass", s("Data/Application")),
                ("Path", s(&format!("/private/var/containers/Bundle/Application/{}/App.app", a.container))),
            ]),
        );
    }
    dict(vec![
        ("Applications", Value::Dictionary(apps)),
        ("BackupKeyBag", Value::Data(Vec::new())),
        ("Date", date(device.last_backup)),
        ("IsEncrypted", Value::Boolean(device.is_encrypted_flag)),
        (
            "Lockdown",
            dict(vec![
                ("BuildVersion", s(&device.build_version)),
                ("DeviceName", s(&device.device_name)),
                ("ProductType", s(&device.product_type)),
                ("ProductVersion", s(&device.product_version)),
                ("SerialNumber", s(&device.serial_number)),
                ("UniqueDeviceID", s(&device.udid)),
            ]),
        ),
        ("SystemDomainsVersion", s("24.0")),
        ("Version", s("10.0")),
        ("WasPasscodeSet", Value::Boolean(false)),
    ])
}

fn status_plist(device: &DeviceSpec) -> Value {
    dict(vec![
        ("BackupState", s("new")),
        ("Date", date(device.last_backup)),
        ("IsFullBackup", Value::Boolean(false)),
        ("SnapshotState", s("finished")),
        ("UUID", s("00000000-0000-0000-0000-000000000000")),
        ("Version", s("3.3")),
    ])
}

fn plist_err(e: plist::Error) -> io::Error {
    io::Error::other(e.to_string())
}

/// Writes a complete, format-correct backup of `files` for `device` into `dir` (created).
pub fn write_backup(dir: &Path, files: &[ArtifactFile], device: &DeviceSpec) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    info_plist(device).to_file_xml(dir.join("Info.plist")).map_err(plist_err)?;
    manifest_plist(device).to_file_binary(dir.join("Manifest.plist")).map_err(plist_err)?;
    status_plist(device).to_file_binary(dir.join("Status.plist")).map_err(plist_err)?;

    // Directory rows: every parent folder and each domain root ("").
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    let mut dirs: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for f in files {
        if !seen.insert((f.domain.as_str(), f.relative_path.as_str())) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("duplicate backup file {}/{}", f.domain, f.relative_path)));
        }
        let set = dirs.entry(f.domain.as_str()).or_default();
        set.insert("");
        let mut p = f.relative_path.as_str();
        while let Some(i) = p.rfind('/') {
            p = &p[..i];
            if !set.insert(p) {
                break;
            }
        }
    }

    let db_path = dir.join("Manifest.db");
    if db_path.exists() {
        std::fs::remove_file(&db_path)?;
    }
    let conn = rusqlite::Connection::open(&db_path).map_err(io::Error::other)?;
    let sql = |e: rusqlite::Error| io::Error::other(e.to_string());
    conn.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
         CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT, relativePath TEXT, flags INTEGER, file BLOB);
         CREATE INDEX FilesDomainIdx ON Files(domain);
         CREATE INDEX FilesRelativePathIdx ON Files(relativePath);
         CREATE INDEX FilesFlagsIdx ON Files(flags);
         CREATE TABLE Properties (key TEXT PRIMARY KEY, value BLOB);
         BEGIN;",
    )
    .map_err(sql)?;
    let mut made_dirs: HashSet<String> = HashSet::new();
    {
        let mut ins = conn.prepare("INSERT INTO Files (fileID, domain, relativePath, flags, file) VALUES (?1, ?2, ?3, ?4, ?5)").map_err(sql)?;
        let mut inode: u64 = 100_000;
        let t = device.last_backup - 86_400 * 30;
        for (domain, set) in &dirs {
            for rel in set {
                inode += 1;
                let blob = mbfile_blob(&MbFileSpec {
                    relative_path: rel,
                    mode: 0o040_755,
                    size: 0,
                    modified: t,
                    birth: t,
                    status_changed: t,
                    inode,
                    protection_class: 0,
                });
                ins.execute(rusqlite::params![file_id(domain, rel), domain, rel, 2, blob]).map_err(sql)?;
            }
        }
        for f in files {
            inode += 1;
            let id = file_id(&f.domain, &f.relative_path);
            let blob = mbfile_blob(&MbFileSpec {
                relative_path: &f.relative_path,
                mode: 0o100_644,
                size: f.bytes.len() as u64,
                modified: f.mtime,
                birth: f.mtime - 3_600,
                status_changed: f.mtime,
                inode,
                protection_class: 3,
            });
            ins.execute(rusqlite::params![id, f.domain, f.relative_path, 1, blob]).map_err(sql)?;
            let sub = dir.join(&id[..2]);
            if made_dirs.insert(id[..2].to_string()) {
                std::fs::create_dir_all(&sub)?;
            }
            std::fs::write(sub.join(&id), &f.bytes)?;
        }
    }
    conn.execute_batch("COMMIT;").map_err(sql)?;
    drop(conn);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_id_is_sha1_of_domain_dash_path() {
        // SHA-1("HomeDomain-Library/SMS/sms.db"), the well-known sms.db backup ID
        assert_eq!(file_id("HomeDomain", "Library/SMS/sms.db"), "3d0d7e5fb2ce288813306e4d4636395e047a3d28");
    }

    #[test]
    fn writes_a_backup_and_mbfile_decodes() {
        let dir = tempfile::tempdir().expect("dir");
        let files = vec![ArtifactFile {
            domain: "HomeDomain".into(),
            relative_path: "Library/x/y.txt".into(),
            fs_path: "private/var/mobile/Library/x/y.txt".into(),
            bytes: b"hello".to_vec(),
            mtime: 1_700_000_000,
        }];
        write_backup(dir.path(), &files, &DeviceSpec::default()).expect("write");
        let id = file_id("HomeDomain", "Library/x/y.txt");
        assert_eq!(std::fs::read(dir.path().join(&id[..2]).join(&id)).expect("content"), b"hello");
        let conn = rusqlite::Connection::open(dir.path().join("Manifest.db")).expect("db");
        let n: i64 = conn.query_row("SELECT count(*) FROM Files WHERE flags = 2", [], |r| r.get(0)).expect("q");
        assert_eq!(n, 3, "domain root, Library, Library/x");
        let blob: Vec<u8> = conn.query_row("SELECT file FROM Files WHERE fileID = ?1", [&id], |r| r.get(0)).expect("blob");
        let m = ferret_formats::parse_mbfile(&blob).expect("mbfile");
        assert_eq!(m.size, Some(5));
        assert_eq!(m.last_modified, Some(1_700_000_000));
        assert_eq!(m.relative_path.as_deref(), Some("Library/x/y.txt"));
        assert_eq!(m.mode, Some(0o100_644));
        let dup = vec![files[0].clone(), files[0].clone()];
        assert!(write_backup(dir.path(), &dup, &DeviceSpec::default()).is_err());
    }
}
