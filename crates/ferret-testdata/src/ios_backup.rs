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
use crate::ios::files::{dict, pdate, pstr};

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

/// A backup file whose content is produced only when it is written, for backups too big to
/// hold in memory (benches with tens of GB of media): the manifest needs only its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LazyFile {
    /// Backup domain, e.g. `CameraRollDomain`.
    pub domain: String,
    /// Path relative to the domain.
    pub relative_path: String,
    /// Size of the content `fill` writes, in bytes.
    pub size: u64,
    /// Modification time (Unix seconds).
    pub mtime: i64,
}

/// Writes the content of one [`LazyFile`]: called once per file, in the order of the slice, from
/// the backup writer's file thread; it must write exactly `file.size` bytes.
pub type FillContent<'a> = dyn FnMut(&LazyFile, &mut dyn io::Write) -> io::Result<()> + Send + 'a;

/// Files of a backup: generated ones held in memory, then lazy ones (written in this order).
struct Entries<'a> {
    files: &'a [ArtifactFile],
    lazy: &'a [LazyFile],
}

impl<'a> Entries<'a> {
    /// `(domain, relative_path, size, mtime)` of every file, in order.
    fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str, u64, i64)> + use<'a> {
        let files =
            self.files.iter().map(|f| (f.domain.as_str(), f.relative_path.as_str(), f.bytes.len() as u64, f.mtime));
        let lazy = self.lazy.iter().map(|f| (f.domain.as_str(), f.relative_path.as_str(), f.size, f.mtime));
        files.chain(lazy)
    }
}

/// Counts what passes through, to check a [`FillContent`] wrote the size it announced.
struct Counting<W> {
    inner: W,
    written: u64,
}

impl<W: io::Write> io::Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
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

/// The `MBFile` NSKeyedArchiver archive as a plist value, laid out as Apple writes it.
pub fn mbfile_value(m: &MbFileSpec<'_>) -> Value {
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
    dict(vec![
        ("$version", int(100_000)),
        ("$archiver", pstr("NSKeyedArchiver")),
        ("$top", dict(vec![("root", Value::Uid(Uid::new(1)))])),
        (
            "$objects",
            Value::Array(vec![
                pstr("$null"),
                mbfile,
                pstr(m.relative_path),
                dict(vec![
                    ("$classname", pstr("MBFile")),
                    ("$classes", Value::Array(vec![pstr("MBFile"), pstr("NSObject")])),
                ]),
            ]),
        ),
    ])
}

/// The `MBFile` archive as binary-plist bytes: the same bytes as
/// `encode_bplist(&mbfile_value(m))`, written directly (no value tree) because a large backup
/// has hundreds of thousands of rows.
pub fn mbfile_blob(m: &MbFileSpec<'_>) -> Vec<u8> {
    const KEYS: [&str; 12] = [
        "LastModified",
        "Flags",
        "GroupID",
        "LastStatusChange",
        "Birth",
        "Size",
        "InodeNumber",
        "Mode",
        "UserID",
        "ProtectionClass",
        "RelativePath",
        "$class",
    ];
    let mut out = Vec::with_capacity(480);
    out.extend_from_slice(b"bplist00");
    let mut offs: Vec<u64> = Vec::with_capacity(45);
    let mut mark = |out: &Vec<u8>| offs.push(out.len() as u64);
    // objects numbered breadth-first: 0 archive dict, 1-4 its keys, 5-8 its values, 9-10 $top's
    // key/value, 11-14 $objects items, 15-38 MBFile keys/values, 39-44 the class dict's parts
    mark(&out);
    out.extend_from_slice(&[0xD4, 1, 2, 3, 4, 5, 6, 7, 8]);
    for k in ["$version", "$archiver", "$top", "$objects"] {
        mark(&out);
        push_str(&mut out, k);
    }
    mark(&out);
    push_uint(&mut out, 100_000);
    mark(&out);
    push_str(&mut out, "NSKeyedArchiver");
    mark(&out);
    out.extend_from_slice(&[0xD1, 9, 10]);
    mark(&out);
    out.extend_from_slice(&[0xA4, 11, 12, 13, 14]);
    mark(&out);
    push_str(&mut out, "root");
    mark(&out);
    out.extend_from_slice(&[0x80, 1]);
    mark(&out);
    push_str(&mut out, "$null");
    mark(&out);
    out.extend_from_slice(&[0xDC]);
    out.extend(15u8..=38);
    mark(&out);
    push_str(&mut out, m.relative_path);
    mark(&out);
    out.extend_from_slice(&[0xD2, 39, 40, 41, 42]);
    for k in KEYS {
        mark(&out);
        push_str(&mut out, k);
    }
    for v in [m.modified, 0, 501, m.status_changed, m.birth] {
        mark(&out);
        push_int(&mut out, v);
    }
    for v in [m.size, m.inode, m.mode, 501, m.protection_class] {
        mark(&out);
        push_u64(&mut out, v);
    }
    mark(&out);
    out.extend_from_slice(&[0x80, 2]);
    mark(&out);
    out.extend_from_slice(&[0x80, 3]);
    mark(&out);
    push_str(&mut out, "$classname");
    mark(&out);
    push_str(&mut out, "$classes");
    mark(&out);
    push_str(&mut out, "MBFile");
    mark(&out);
    out.extend_from_slice(&[0xA2, 43, 44]);
    mark(&out);
    push_str(&mut out, "MBFile");
    mark(&out);
    push_str(&mut out, "NSObject");
    finish_bplist(out, &offs, 1)
}

fn push_int(out: &mut Vec<u8>, v: i64) {
    if v >= 0 {
        push_uint(out, v as u64);
    } else {
        out.push(0x13);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

fn push_u64(out: &mut Vec<u8>, v: u64) {
    if v <= i64::MAX as u64 {
        push_uint(out, v);
    } else {
        out.push(0x14);
        out.extend_from_slice(&[0u8; 8]);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

fn finish_bplist(mut out: Vec<u8>, offsets: &[u64], ref_size: u8) -> Vec<u8> {
    let table = out.len() as u64;
    let off_size = width(table);
    for o in offsets {
        push_ref(&mut out, *o as usize, off_size);
    }
    out.extend_from_slice(&[0, 0, 0, 0, 0, 0, off_size, ref_size]);
    out.extend_from_slice(&(offsets.len() as u64).to_be_bytes());
    out.extend_from_slice(&0u64.to_be_bytes());
    out.extend_from_slice(&table.to_be_bytes());
    out
}

enum Obj<'a> {
    Val(&'a Value),
    Key(&'a str),
}

fn push_len(out: &mut Vec<u8>, marker: u8, len: usize) {
    if len < 15 {
        out.push(marker | len as u8);
    } else {
        out.push(marker | 0x0F);
        push_uint(out, len as u64);
    }
}

fn push_uint(out: &mut Vec<u8>, v: u64) {
    if v <= 0xFF {
        out.extend_from_slice(&[0x10, v as u8]);
    } else if v <= 0xFFFF {
        out.push(0x11);
        out.extend_from_slice(&(v as u16).to_be_bytes());
    } else if v <= 0xFFFF_FFFF {
        out.push(0x12);
        out.extend_from_slice(&(v as u32).to_be_bytes());
    } else {
        out.push(0x13);
        out.extend_from_slice(&v.to_be_bytes());
    }
}

fn push_str(out: &mut Vec<u8>, s: &str) {
    if s.is_ascii() {
        push_len(out, 0x50, s.len());
        out.extend_from_slice(s.as_bytes());
    } else {
        let units: Vec<u16> = s.encode_utf16().collect();
        push_len(out, 0x60, units.len());
        for u in units {
            out.extend_from_slice(&u.to_be_bytes());
        }
    }
}

fn width(max: u64) -> u8 {
    if max <= 0xFF {
        1
    } else if max <= 0xFFFF {
        2
    } else if max <= 0xFFFF_FFFF {
        4
    } else {
        8
    }
}

fn push_ref(out: &mut Vec<u8>, r: usize, size: u8) {
    let b = (r as u64).to_be_bytes();
    out.extend_from_slice(&b[8 - size as usize..]);
}

/// A fast binary-plist (`bplist00`) encoder without object de-duplication (the `plist` crate's
/// writer hashes every object, which dominates when writing 250k Manifest rows).
pub fn encode_bplist(root: &Value) -> Vec<u8> {
    // Pass 1: number the objects breadth-first and record each container's children.
    let mut objs: Vec<Obj<'_>> = vec![Obj::Val(root)];
    let mut children: Vec<Vec<usize>> = vec![Vec::new()];
    let mut i = 0;
    while i < objs.len() {
        let mut kids = Vec::new();
        if let Obj::Val(v) = objs[i] {
            match v {
                Value::Array(a) => {
                    for x in a {
                        kids.push(objs.len());
                        objs.push(Obj::Val(x));
                        children.push(Vec::new());
                    }
                }
                Value::Dictionary(d) => {
                    for k in d.keys() {
                        kids.push(objs.len());
                        objs.push(Obj::Key(k));
                        children.push(Vec::new());
                    }
                    for x in d.values() {
                        kids.push(objs.len());
                        objs.push(Obj::Val(x));
                        children.push(Vec::new());
                    }
                }
                _ => {}
            }
        }
        children[i] = kids;
        i += 1;
    }
    let ref_size = width(objs.len() as u64);
    // Pass 2: write.
    let mut out = Vec::with_capacity(64 + objs.len() * 12);
    out.extend_from_slice(b"bplist00");
    let mut offsets = Vec::with_capacity(objs.len());
    for (n, o) in objs.iter().enumerate() {
        offsets.push(out.len() as u64);
        match o {
            Obj::Key(k) => push_str(&mut out, k),
            Obj::Val(v) => match v {
                Value::Array(_) => {
                    push_len(&mut out, 0xA0, children[n].len());
                    for c in &children[n] {
                        push_ref(&mut out, *c, ref_size);
                    }
                }
                Value::Dictionary(_) => {
                    push_len(&mut out, 0xD0, children[n].len() / 2);
                    for c in &children[n] {
                        push_ref(&mut out, *c, ref_size);
                    }
                }
                Value::Boolean(b) => out.push(if *b { 0x09 } else { 0x08 }),
                Value::Data(d) => {
                    push_len(&mut out, 0x40, d.len());
                    out.extend_from_slice(d);
                }
                Value::Date(d) => {
                    let st: std::time::SystemTime = (*d).into();
                    let secs = match st.duration_since(std::time::UNIX_EPOCH) {
                        Ok(x) => x.as_secs_f64(),
                        Err(e) => -e.duration().as_secs_f64(),
                    } - 978_307_200.0;
                    out.push(0x33);
                    out.extend_from_slice(&secs.to_be_bytes());
                }
                Value::Real(r) => {
                    out.push(0x23);
                    out.extend_from_slice(&r.to_be_bytes());
                }
                Value::Integer(i) => match i.as_unsigned() {
                    Some(u) => push_u64(&mut out, u),
                    None => push_int(&mut out, i.as_signed().unwrap_or(0)),
                },
                Value::String(s) => push_str(&mut out, s),
                Value::Uid(u) => {
                    let w = width(u.get());
                    out.push(0x80 | (w - 1));
                    push_ref(&mut out, u.get() as usize, w);
                }
                _ => out.push(0x00),
            },
        }
    }
    finish_bplist(out, &offsets, ref_size)
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
        ("Build Version", pstr(&device.build_version)),
        ("Device Name", pstr(&device.device_name)),
        ("Display Name", pstr(&device.device_name)),
        ("GUID", pstr("00000000000000000000000000000000")),
        ("ICCID", pstr(&device.iccid)),
        ("IMEI", pstr(&device.imei)),
        ("Installed Applications", Value::Array(device.apps.iter().map(|a| pstr(&a.bundle_id)).collect())),
        ("Last Backup Date", pdate(device.last_backup)),
        ("Phone Number", pstr(&device.phone_number)),
        ("Product Name", pstr(product_name)),
        ("Product Type", pstr(&device.product_type)),
        ("Product Version", pstr(&device.product_version)),
        ("Serial Number", pstr(&device.serial_number)),
        ("Target Identifier", pstr(&device.udid)),
        ("Target Type", pstr("Device")),
        ("Unique Identifier", pstr(&device.udid)),
        ("iTunes Files", Value::Dictionary(Dictionary::new())),
        ("iTunes Settings", Value::Dictionary(Dictionary::new())),
        ("iTunes Version", pstr("12.13.2.3")),
    ])
}

fn manifest_plist(device: &DeviceSpec) -> Value {
    let mut apps = Dictionary::new();
    for a in &device.apps {
        apps.insert(
            a.bundle_id.clone(),
            dict(vec![
                ("CFBundleIdentifier", pstr(&a.bundle_id)),
                ("CFBundleVersion", pstr(&a.version)),
                ("ContainerContentClass", pstr("Data/Application")),
                ("Path", pstr(&format!("/private/var/containers/Bundle/Application/{}/App.app", a.container))),
            ]),
        );
    }
    dict(vec![
        ("Applications", Value::Dictionary(apps)),
        ("BackupKeyBag", Value::Data(Vec::new())),
        ("Date", pdate(device.last_backup)),
        ("IsEncrypted", Value::Boolean(device.is_encrypted_flag)),
        (
            "Lockdown",
            dict(vec![
                ("BuildVersion", pstr(&device.build_version)),
                ("DeviceName", pstr(&device.device_name)),
                ("ProductType", pstr(&device.product_type)),
                ("ProductVersion", pstr(&device.product_version)),
                ("SerialNumber", pstr(&device.serial_number)),
                ("UniqueDeviceID", pstr(&device.udid)),
            ]),
        ),
        ("SystemDomainsVersion", pstr("24.0")),
        ("Version", pstr("10.0")),
        ("WasPasscodeSet", Value::Boolean(false)),
    ])
}

fn status_plist(device: &DeviceSpec) -> Value {
    dict(vec![
        ("BackupState", pstr("new")),
        ("Date", pdate(device.last_backup)),
        ("IsFullBackup", Value::Boolean(false)),
        ("SnapshotState", pstr("finished")),
        ("UUID", pstr("00000000-0000-0000-0000-000000000000")),
        ("Version", pstr("3.3")),
    ])
}

fn plist_err(e: plist::Error) -> io::Error {
    io::Error::other(e.to_string())
}

/// Writes a complete, format-correct backup of `files` for `device` into `dir` (created).
pub fn write_backup(dir: &Path, files: &[ArtifactFile], device: &DeviceSpec) -> io::Result<()> {
    write_backup_with(dir, files, device, 0)
}

/// As [`write_backup`], plus `extra_directories` empty folder rows (flags 2, no content file)
/// spread over the files' domains. Real backups hold about two folder rows per file; benches
/// use this to reach large Manifest sizes without creating hundreds of thousands of files
/// (file creation, about 100 µs per file on a typical disk, dominates writing time).
pub fn write_backup_with(
    dir: &Path,
    files: &[ArtifactFile],
    device: &DeviceSpec,
    extra_directories: usize,
) -> io::Result<()> {
    write_entries(dir, &Entries { files, lazy: &[] }, &mut |_, _| Ok(()), device, extra_directories)
}

/// As [`write_backup_with`], plus `lazy` files after `files` whose content `fill` writes one file
/// at a time: the backup is the one [`write_backup_with`] writes when each lazy file is given as
/// an [`ArtifactFile`] holding the bytes `fill` writes, but memory holds only `files`.
pub fn write_backup_streamed(
    dir: &Path,
    files: &[ArtifactFile],
    lazy: &[LazyFile],
    fill: &mut FillContent<'_>,
    device: &DeviceSpec,
    extra_directories: usize,
) -> io::Result<()> {
    write_entries(dir, &Entries { files, lazy }, fill, device, extra_directories)
}

fn write_entries(
    dir: &Path,
    entries: &Entries<'_>,
    fill: &mut FillContent<'_>,
    device: &DeviceSpec,
    extra_directories: usize,
) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    info_plist(device).to_file_xml(dir.join("Info.plist")).map_err(plist_err)?;
    manifest_plist(device).to_file_binary(dir.join("Manifest.plist")).map_err(plist_err)?;
    status_plist(device).to_file_binary(dir.join("Status.plist")).map_err(plist_err)?;

    // Directory rows: every parent folder and each domain root ("").
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    let mut dirs: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (domain, relative_path, _, _) in entries.iter() {
        if !seen.insert((domain, relative_path)) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("duplicate backup file {domain}/{relative_path}"),
            ));
        }
        let set = dirs.entry(domain).or_default();
        set.insert("");
        let mut p = relative_path;
        while let Some(i) = p.rfind('/') {
            p = &p[..i];
            if !set.insert(p) {
                break;
            }
        }
    }

    let domain_names: Vec<&str> = if dirs.is_empty() { vec!["HomeDomain"] } else { dirs.keys().copied().collect() };
    let extra: Vec<(usize, String)> = (0..extra_directories)
        .map(|i| (i % domain_names.len(), format!("Library/Caches/ferret-folder-{:03}/{i:07}", i % 1000)))
        .collect();
    for (d, rel) in &extra {
        let set = dirs.entry(domain_names[*d]).or_default();
        set.insert("");
        set.insert("Library");
        set.insert("Library/Caches");
        if let Some(i) = rel.rfind('/') {
            set.insert(&rel[..i]);
        }
        set.insert(rel.as_str());
    }

    let db_path = dir.join("Manifest.db");
    if db_path.exists() {
        std::fs::remove_file(&db_path)?;
    }
    let conn = rusqlite::Connection::open(&db_path).map_err(io::Error::other)?;
    let sql = |e: rusqlite::Error| io::Error::other(e.to_string());
    conn.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE;
         PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;
         CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT, relativePath TEXT, flags INTEGER, file BLOB);
         CREATE TABLE Properties (key TEXT PRIMARY KEY, value BLOB);
         BEGIN;",
    )
    .map_err(sql)?;
    // Content files are written on a second thread while this one fills Manifest.db.
    let ids: Vec<String> = entries.iter().map(|(domain, rel, _, _)| file_id(domain, rel)).collect();
    let prefixes: BTreeSet<&str> = ids.iter().map(|id| &id[..2]).collect();
    for p in prefixes {
        std::fs::create_dir_all(dir.join(p))?;
    }
    std::thread::scope(|scope| -> io::Result<()> {
        let writer = scope.spawn(|| -> io::Result<()> {
            let (file_ids, lazy_ids) = ids.split_at(entries.files.len());
            for (f, id) in entries.files.iter().zip(file_ids) {
                std::fs::write(dir.join(&id[..2]).join(id), &f.bytes)?;
            }
            for (f, id) in entries.lazy.iter().zip(lazy_ids) {
                let out = std::fs::File::create(dir.join(&id[..2]).join(id))?;
                let mut out = Counting { inner: io::BufWriter::with_capacity(1 << 20, out), written: 0 };
                fill(f, &mut out)?;
                io::Write::flush(&mut out)?;
                if out.written != f.size {
                    return Err(io::Error::other(format!(
                        "{}/{}: {} bytes written for a size of {}",
                        f.domain, f.relative_path, out.written, f.size
                    )));
                }
            }
            Ok(())
        });
        let db_result = (|| -> io::Result<()> {
            let mut ins = conn
                .prepare("INSERT INTO Files (fileID, domain, relativePath, flags, file) VALUES (?1, ?2, ?3, ?4, ?5)")
                .map_err(sql)?;
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
            for ((domain, relative_path, size, mtime), id) in entries.iter().zip(&ids) {
                inode += 1;
                let blob = mbfile_blob(&MbFileSpec {
                    relative_path,
                    mode: 0o100_644,
                    size,
                    modified: mtime,
                    birth: mtime - 3_600,
                    status_changed: mtime,
                    inode,
                    protection_class: 3,
                });
                ins.execute(rusqlite::params![id, domain, relative_path, 1, blob]).map_err(sql)?;
            }
            Ok(())
        })();
        let files_result = writer.join().unwrap_or_else(|_| Err(io::Error::other("file writer thread panicked")));
        db_result.and(files_result)
    })?;
    // Secondary indexes as in Apple's schema, built once after the bulk insert.
    conn.execute_batch(
        "CREATE INDEX FilesDomainIdx ON Files(domain);
         CREATE INDEX FilesRelativePathIdx ON Files(relativePath);
         CREATE INDEX FilesFlagsIdx ON Files(flags);
         COMMIT;",
    )
    .map_err(sql)?;
    drop(conn);
    Ok(())
}

/// Settings of an encrypted backup written by [`write_encrypted_backup_with`].
#[derive(Debug, Clone)]
pub struct EncryptionSpec<'a> {
    /// Backup password.
    pub password: &'a str,
    /// `DPIC`: PBKDF2-HMAC-SHA256 rounds (Apple uses about 10,000,000; tests use ~1000).
    pub dpic: u32,
    /// `ITER`: PBKDF2-HMAC-SHA1 rounds (Apple: 10,000).
    pub iter: u32,
    /// Seed for the salts, class keys and per-file keys.
    pub seed: u64,
    /// `ProtectionClass` of content files (Apple uses several; 3 is the most common).
    pub file_class: u32,
    /// Protection class of `ManifestKey` (Apple: 4).
    pub manifest_class: u32,
}

/// The backup key (`PBKDF2-HMAC-SHA1(PBKDF2-HMAC-SHA256(pw, DPSL, DPIC), SALT, ITER)`).
pub fn backup_key(password: &str, dpsl: &[u8], dpic: u32, salt: &[u8], iter: u32) -> [u8; 32] {
    let mut k1 = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password.as_bytes(), dpsl, dpic, &mut k1);
    let mut key = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(&k1, salt, iter, &mut key);
    key
}

fn wrap32(kek: &[u8; 32], key: &[u8; 32]) -> io::Result<[u8; 40]> {
    use aes_kw::KeyInit;
    let kw = aes_kw::KwAes256::new_from_slice(kek).map_err(|e| io::Error::other(e.to_string()))?;
    let mut out = [0u8; 40];
    kw.wrap_key(key, &mut out).map_err(|e| io::Error::other(e.to_string()))?;
    Ok(out)
}

/// AES-256-CBC, zero IV, PKCS#7 padding (as Apple encrypts backup files).
pub fn cbc_encrypt(key: &[u8; 32], plain: &[u8]) -> Vec<u8> {
    use cbc::cipher::{BlockModeEncrypt, KeyIvInit, block_padding::Pkcs7};
    cbc::Encryptor::<aes::Aes256>::new(key.into(), &[0u8; 16].into()).encrypt_padded_vec::<Pkcs7>(plain)
}

/// Encrypts the file at `path` in place into what [`cbc_encrypt`] returns for its content, a
/// chunk at a time (memory stays bounded whatever the file's size).
pub fn cbc_encrypt_file(key: &[u8; 32], path: &Path) -> io::Result<()> {
    use cbc::cipher::{BlockModeEncrypt, KeyIvInit, array::Array, block_padding::Pkcs7};
    use std::io::{Read, Seek, SeekFrom, Write};
    const CHUNK: usize = 1 << 20;
    let mut file = std::fs::OpenOptions::new().read(true).write(true).open(path)?;
    let mut left = file.metadata()?.len();
    let mut enc = cbc::Encryptor::<aes::Aes256>::new(key.into(), &[0u8; 16].into());
    let mut buf = vec![0u8; CHUNK + 16];
    let mut pos = 0u64;
    // Whole chunks but the last: ciphertext as long as the plaintext, written over it.
    while left > CHUNK as u64 {
        let chunk = &mut buf[..CHUNK];
        file.seek(SeekFrom::Start(pos))?;
        file.read_exact(chunk)?;
        let (blocks, _) = Array::slice_as_chunks_mut(chunk);
        enc.encrypt_blocks(blocks);
        file.seek(SeekFrom::Start(pos))?;
        file.write_all(chunk)?;
        pos += CHUNK as u64;
        left -= CHUNK as u64;
    }
    // The last chunk, PKCS#7-padded: the file grows by 1 to 16 bytes.
    let n = left as usize;
    file.seek(SeekFrom::Start(pos))?;
    file.read_exact(&mut buf[..n])?;
    let ct = enc.encrypt_padded::<Pkcs7>(&mut buf, n).map_err(|e| io::Error::other(e.to_string()))?;
    file.seek(SeekFrom::Start(pos))?;
    file.write_all(ct)?;
    Ok(())
}

fn tlv(out: &mut Vec<u8>, tag: &[u8; 4], value: &[u8]) {
    out.extend_from_slice(tag);
    out.extend_from_slice(&(value.len() as u32).to_be_bytes());
    out.extend_from_slice(value);
}

/// Builds a backup keybag (TLV) whose class keys `keys` (class → key) are wrapped under
/// `backup_key`; header salts and counts as given.
pub fn build_keybag(
    rng: &mut crate::rng::TestRng,
    backup_key: &[u8; 32],
    keys: &BTreeMap<u32, [u8; 32]>,
    salt: &[u8],
    iter: u32,
    dpsl: &[u8],
    dpic: u32,
) -> io::Result<Vec<u8>> {
    use rand::RngCore;
    let mut rand_bytes = |n: usize| {
        let mut v = vec![0u8; n];
        rng.fill_bytes(&mut v);
        v
    };
    let mut kb = Vec::with_capacity(2048);
    tlv(&mut kb, b"VERS", &4u32.to_be_bytes());
    tlv(&mut kb, b"TYPE", &1u32.to_be_bytes());
    tlv(&mut kb, b"UUID", &rand_bytes(16));
    tlv(&mut kb, b"HMCK", &rand_bytes(40));
    tlv(&mut kb, b"WRAP", &0u32.to_be_bytes());
    tlv(&mut kb, b"SALT", salt);
    tlv(&mut kb, b"ITER", &iter.to_be_bytes());
    tlv(&mut kb, b"DPWT", &1u32.to_be_bytes());
    tlv(&mut kb, b"DPIC", &dpic.to_be_bytes());
    tlv(&mut kb, b"DPSL", dpsl);
    for (class, key) in keys {
        tlv(&mut kb, b"UUID", &rand_bytes(16));
        tlv(&mut kb, b"CLAS", &class.to_be_bytes());
        tlv(&mut kb, b"WRAP", &2u32.to_be_bytes());
        tlv(&mut kb, b"KTYP", &0u32.to_be_bytes());
        tlv(&mut kb, b"WPKY", &wrap32(backup_key, key)?);
    }
    Ok(kb)
}

/// Adds `EncryptionKey` (an `NSMutableData` object, `NS.data` = 4-byte LE class + wrapped key)
/// to an `MBFile` archive value as Apple lays it out.
pub fn add_encryption_key(archive: &mut Value, encryption_key: Vec<u8>) -> io::Result<()> {
    let bad = || io::Error::other("not an MBFile archive");
    let objects = archive
        .as_dictionary_mut()
        .and_then(|d| d.get_mut("$objects"))
        .and_then(Value::as_array_mut)
        .ok_or_else(bad)?;
    let data_idx = objects.len() as u64;
    objects.push(dict(vec![("NS.data", Value::Data(encryption_key)), ("$class", Value::Uid(Uid::new(data_idx + 1)))]));
    objects.push(dict(vec![
        ("$classname", pstr("NSMutableData")),
        ("$classes", Value::Array(vec![pstr("NSMutableData"), pstr("NSData"), pstr("NSObject")])),
    ]));
    let mb = objects.get_mut(1).and_then(Value::as_dictionary_mut).ok_or_else(bad)?;
    mb.insert("EncryptionKey".into(), Value::Uid(Uid::new(data_idx)));
    Ok(())
}

/// Writes an encrypted backup of `files` in exactly Apple's format: random class keys in a
/// keybag wrapped under the password-derived key, `ManifestKey` (class 4), an AES-CBC encrypted
/// `Manifest.db`, per-file keys in each `MBFile`'s `EncryptionKey` (class 3) and PKCS#7-padded
/// AES-CBC content files. `dpic` is configurable so tests stay fast. Returns the backup key.
pub fn write_encrypted_backup(
    dir: &Path,
    files: &[ArtifactFile],
    device: &DeviceSpec,
    password: &str,
    dpic: u32,
    seed: u64,
) -> io::Result<[u8; 32]> {
    let spec = EncryptionSpec { password, dpic, iter: 10_000, seed, file_class: 3, manifest_class: 4 };
    write_encrypted_backup_with(dir, files, device, &spec, 0)
}

/// As [`write_encrypted_backup`], with every setting and `extra_directories` as in
/// [`write_backup_with`].
pub fn write_encrypted_backup_with(
    dir: &Path,
    files: &[ArtifactFile],
    device: &DeviceSpec,
    spec: &EncryptionSpec<'_>,
    extra_directories: usize,
) -> io::Result<[u8; 32]> {
    write_encrypted_backup_edited(dir, files, device, spec, extra_directories, &mut |_| Ok(()))
}

/// As [`write_encrypted_backup_with`], calling `edit` on the plain backup (its `Manifest.db`
/// still in clear, content files not yet encrypted) before encrypting it: hostile-input tests add
/// rows or files there. Every `flags = 1` row is then encrypted, with the content file at
/// `<fileID[0..2]>/<fileID>` (as written, case preserved).
pub fn write_encrypted_backup_edited(
    dir: &Path,
    files: &[ArtifactFile],
    device: &DeviceSpec,
    spec: &EncryptionSpec<'_>,
    extra_directories: usize,
    edit: &mut dyn FnMut(&Path) -> io::Result<()>,
) -> io::Result<[u8; 32]> {
    let mut dev = device.clone();
    dev.is_encrypted_flag = true;
    write_backup_with(dir, files, &dev, extra_directories)?;
    edit(dir)?;
    encrypt_in_place(dir, spec)
}

/// As [`write_encrypted_backup_with`], plus `lazy` files whose content `fill` writes one file at
/// a time (see [`write_backup_streamed`]): the same backup as with every file in memory, written
/// in memory bounded by `files` and a chunk of a file.
pub fn write_encrypted_backup_streamed(
    dir: &Path,
    files: &[ArtifactFile],
    lazy: &[LazyFile],
    fill: &mut FillContent<'_>,
    device: &DeviceSpec,
    spec: &EncryptionSpec<'_>,
    extra_directories: usize,
) -> io::Result<[u8; 32]> {
    let mut dev = device.clone();
    dev.is_encrypted_flag = true;
    write_backup_streamed(dir, files, lazy, fill, &dev, extra_directories)?;
    encrypt_in_place(dir, spec)
}

/// Encrypts the plain backup in `dir` (written with `IsEncrypted` set) as Apple does.
fn encrypt_in_place(dir: &Path, spec: &EncryptionSpec<'_>) -> io::Result<[u8; 32]> {
    use rand::RngCore;
    let mut rng = crate::rng::rng_for(spec.seed, "ios-backup-encryption");
    let mut salt = [0u8; 20];
    let mut dpsl = [0u8; 20];
    rng.fill_bytes(&mut salt);
    rng.fill_bytes(&mut dpsl);
    let key = backup_key(spec.password, &dpsl, spec.dpic, &salt, spec.iter);
    let mut class_keys: BTreeMap<u32, [u8; 32]> = BTreeMap::new();
    for class in 1..=11u32 {
        let mut k = [0u8; 32];
        rng.fill_bytes(&mut k);
        class_keys.insert(class, k);
    }
    let keybag = build_keybag(&mut rng, &key, &class_keys, &salt, spec.iter, &dpsl, spec.dpic)?;
    let missing = |c: u32| io::Error::other(format!("protection class {c} out of 1..=11"));
    let file_ck = *class_keys.get(&spec.file_class).ok_or_else(|| missing(spec.file_class))?;
    let manifest_ck = *class_keys.get(&spec.manifest_class).ok_or_else(|| missing(spec.manifest_class))?;

    // Per-file keys: rewrite each file row's MBFile and encrypt its content.
    let db_path = dir.join("Manifest.db");
    let sql = |e: rusqlite::Error| io::Error::other(e.to_string());
    {
        let conn = rusqlite::Connection::open(&db_path).map_err(sql)?;
        let rows: Vec<(String, Vec<u8>)> = {
            let mut stmt =
                conn.prepare("SELECT fileID, file FROM Files WHERE flags = 1 ORDER BY fileID").map_err(sql)?;
            let it = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))).map_err(sql)?;
            it.collect::<Result<_, _>>().map_err(sql)?
        };
        conn.execute_batch("BEGIN").map_err(sql)?;
        {
            let mut upd = conn.prepare("UPDATE Files SET file = ?1 WHERE fileID = ?2").map_err(sql)?;
            for (id, blob) in rows {
                let mut fk = [0u8; 32];
                rng.fill_bytes(&mut fk);
                let mut ek = spec.file_class.to_le_bytes().to_vec();
                ek.extend_from_slice(&wrap32(&file_ck, &fk)?);
                let mut v = Value::from_reader(io::Cursor::new(blob)).map_err(plist_err)?;
                if let Some(mb) = v
                    .as_dictionary_mut()
                    .and_then(|d| d.get_mut("$objects"))
                    .and_then(Value::as_array_mut)
                    .and_then(|o| o.get_mut(1))
                    .and_then(Value::as_dictionary_mut)
                {
                    mb.insert("ProtectionClass".into(), Value::Integer(u64::from(spec.file_class).into()));
                }
                add_encryption_key(&mut v, ek)?;
                upd.execute(rusqlite::params![encode_bplist(&v), id]).map_err(sql)?;
                cbc_encrypt_file(&fk, &dir.join(&id[..2]).join(&id))?;
            }
        }
        conn.execute_batch("COMMIT").map_err(sql)?;
    }
    let mut manifest_key = [0u8; 32];
    rng.fill_bytes(&mut manifest_key);
    cbc_encrypt_file(&manifest_key, &db_path)?;
    let mut mk = spec.manifest_class.to_le_bytes().to_vec();
    mk.extend_from_slice(&wrap32(&manifest_ck, &manifest_key)?);

    let mplist = dir.join("Manifest.plist");
    let mut v = Value::from_file(&mplist).map_err(plist_err)?;
    let d = v.as_dictionary_mut().ok_or_else(|| io::Error::other("Manifest.plist is not a dictionary"))?;
    d.insert("IsEncrypted".into(), Value::Boolean(true));
    d.insert("BackupKeyBag".into(), Value::Data(keybag));
    d.insert("ManifestKey".into(), Value::Data(mk));
    d.insert("WasPasscodeSet".into(), Value::Boolean(true));
    v.to_file_binary(&mplist).map_err(plist_err)?;
    Ok(key)
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
        let blob: Vec<u8> =
            conn.query_row("SELECT file FROM Files WHERE fileID = ?1", [&id], |r| r.get(0)).expect("blob");
        let m = ferret_formats::parse_mbfile(&blob).expect("mbfile");
        assert_eq!(m.size, Some(5));
        assert_eq!(m.last_modified, Some(1_700_000_000));
        assert_eq!(m.relative_path.as_deref(), Some("Library/x/y.txt"));
        assert_eq!(m.mode, Some(0o100_644));
        // the fast encoder round-trips through the plist crate
        let v = dict(vec![
            ("s", pstr("héllo wörld, a longer string")),
            ("i", int(-5)),
            ("big", Value::Integer(u64::MAX.into())),
            ("d", Value::Data((0..40u8).collect())),
            ("t", pdate(1_700_000_000)),
            ("u", Value::Uid(Uid::new(300))),
            ("a", Value::Array((0..300).map(int).collect())),
            ("b", Value::Boolean(true)),
            ("r", Value::Real(1.5)),
        ]);
        assert_eq!(plist::Value::from_reader(std::io::Cursor::new(encode_bplist(&v))).expect("parse"), v);
        for spec in [
            MbFileSpec {
                relative_path: "a/é.txt",
                mode: 0o100_644,
                size: 1 << 40,
                modified: -5,
                birth: 0,
                status_changed: 70_000,
                inode: 9,
                protection_class: 3,
            },
            MbFileSpec {
                relative_path: "",
                mode: 0o040_755,
                size: 0,
                modified: 1_700_000_000,
                birth: 1,
                status_changed: 2,
                inode: 3,
                protection_class: 0,
            },
        ] {
            assert_eq!(mbfile_blob(&spec), encode_bplist(&mbfile_value(&spec)));
        }
        // encrypted variant: nothing readable in clear, keys where Apple puts them
        let enc = tempfile::tempdir().expect("dir");
        let key = write_encrypted_backup(enc.path(), &files, &DeviceSpec::default(), "pw", 10, 1).expect("encrypted");
        assert_ne!(key, [0u8; 32]);
        let db = std::fs::read(enc.path().join("Manifest.db")).expect("db");
        assert!(!db.starts_with(b"SQLite format 3") && db.len().is_multiple_of(16));
        let ct = std::fs::read(enc.path().join(&id[..2]).join(&id)).expect("content");
        assert_eq!(ct.len(), 16, "5 bytes + PKCS#7 padding");
        assert_ne!(&ct[..5], b"hello");
        let m = Value::from_file(enc.path().join("Manifest.plist")).expect("plist");
        let m = m.as_dictionary().expect("dict");
        assert_eq!(m.get("IsEncrypted").and_then(Value::as_boolean), Some(true));
        assert_eq!(m.get("ManifestKey").and_then(Value::as_data).map(<[u8]>::len), Some(44));
        assert!(m.get("BackupKeyBag").and_then(Value::as_data).is_some_and(|b| b.starts_with(b"VERS")));
        // deterministic
        let enc2 = tempfile::tempdir().expect("dir");
        assert_eq!(
            write_encrypted_backup(enc2.path(), &files, &DeviceSpec::default(), "pw", 10, 1).expect("again"),
            key
        );
        assert_eq!(std::fs::read(enc2.path().join(&id[..2]).join(&id)).expect("content"), ct);
        // the in-place chunked encryption gives cbc_encrypt's bytes, on every size edge
        let f = dir.path().join("chunked");
        for n in [0, 1, 15, 16, 17, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, (2 << 20) + 33] {
            let plain: Vec<u8> = (0..n).map(|i| (i * 7 % 253) as u8).collect();
            std::fs::write(&f, &plain).expect("write");
            cbc_encrypt_file(&[5u8; 32], &f).expect("encrypt");
            assert!(std::fs::read(&f).expect("read") == cbc_encrypt(&[5u8; 32], &plain), "{n} bytes");
        }
        let dup = vec![files[0].clone(), files[0].clone()];
        assert!(write_backup(dir.path(), &dup, &DeviceSpec::default()).is_err());
    }
}
