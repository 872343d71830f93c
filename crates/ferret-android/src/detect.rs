//! Which Android acquisition a path is, from content each type must have.
//!
//! * **bugreport**: a zip or folder with a dumpstate text at its top or one folder down
//!   (`bugreport-*.txt`, `dumpstate*.txt`, `dumpState_*.log`, `main_entry.txt`);
//! * **androidqf**: a folder or zip holding at least two of the files androidqf writes
//!   ([`QF_MARKERS`]) at its top or one folder down, or an age-encrypted file (androidqf
//!   encrypts its collections with age; recognised by the age header, not the name);
//! * **backup**: a file starting with the `ANDROID BACKUP` magic (not merely named `.ab`), or an
//!   extracted tree with `apps/<package>/_manifest`;
//! * **intrusion logs**: a folder or zip, none of the above, with a `.txt`/`.json` file (at most
//!   three folders down) whose first non-blank line is an intrusion-log event
//!   ([`crate::intrusion::is_log_head`]): the content decides, not the names. An androidqf
//!   collection holding an `intrusion_logs/` folder stays an androidqf collection (its
//!   intrusion logs are read by the same modules).
//!
//! Each [`Detection`] names the content it relied on. [`detect_all`] returns every match, so a
//! path crafted to look like two types is refused rather than guessed.

use std::io::Read;
use std::path::Path;

use ferret_core::{AcquisitionKind, Detection};

use crate::intrusion;

/// Files androidqf writes at the top of a collection (two of them mark one).
pub const QF_MARKERS: [&str; 14] = [
    "acquisition.json",
    "packages.json",
    "getprop.txt",
    "processes.json",
    "hashes.csv",
    "root_binaries.json",
    "settings_global.txt",
    "settings_secure.txt",
    "settings_system.txt",
    "dumpsys.txt",
    "mounts.json",
    "files.json",
    "logcat.txt",
    "sms.json",
];

/// First bytes of an `adb backup` file.
pub const AB_MAGIC: &[u8] = b"ANDROID BACKUP\n";
/// First bytes of an age-encrypted file.
pub const AGE_MAGIC: &[u8] = b"age-encryption.org/v1\n";

fn bugreport_marker(base: &str) -> bool {
    base == "main_entry.txt"
        || (base.starts_with("bugreport-") && base.ends_with(".txt"))
        || (base.starts_with("dumpState_") && base.ends_with(".log"))
        || ((base.starts_with("dumpstate-") || base == "dumpstate.txt") && base.ends_with(".txt"))
}

/// Classifies entry names (`/`-separated, relative to the acquisition): every type they match.
pub fn classify_names<'a>(names: impl Iterator<Item = &'a str>) -> Vec<Detection> {
    let mut bug: Vec<&str> = Vec::new();
    // androidqf markers per folder ("" = top), so two markers must sit side by side
    let mut qf: std::collections::BTreeMap<&str, Vec<&str>> = std::collections::BTreeMap::new();
    let mut ab: Option<&str> = None;
    for n in names {
        let parts: Vec<&str> = n.split('/').collect();
        match parts.as_slice() {
            [base] | [_, base] => {
                let dir = if parts.len() == 2 { parts[0] } else { "" };
                if bugreport_marker(base) && bug.len() < 3 {
                    bug.push(n);
                }
                if QF_MARKERS.contains(base) {
                    let v = qf.entry(dir).or_default();
                    if !v.contains(base) {
                        v.push(base);
                    }
                }
            }
            ["apps", _, "_manifest"] => ab = ab.or(Some(n)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if !bug.is_empty() {
        out.push(Detection::new(AcquisitionKind::AndroidBugreport, format!("dumpstate text {}", bug.join(", "))));
    }
    if let Some((dir, files)) = qf.iter().filter(|(_, v)| v.len() >= 2).max_by_key(|(_, v)| v.len()) {
        let at = if dir.is_empty() { String::new() } else { format!(" in {dir}/") };
        out.push(Detection::new(AcquisitionKind::AndroidQf, format!("androidqf files {}{at}", files.join(", "))));
    }
    if let Some(m) = ab {
        out.push(Detection::new(AcquisitionKind::AndroidBackup, format!("extracted backup tree ({m})")));
    }
    out
}

/// The Android acquisition `path` is, if exactly one type matches; see [`detect_all`].
pub fn detect(path: &Path) -> Option<Detection> {
    let mut all = detect_all(path);
    if all.len() == 1 { all.pop() } else { None }
}

/// Every Android acquisition type `path` matches (usually none or one).
pub fn detect_all(path: &Path) -> Vec<Detection> {
    if path.is_dir() {
        let names = walk_shallow(path);
        let found = classify_names(names.iter().map(String::as_str));
        if !found.is_empty() {
            return found;
        }
        let heads: Vec<(String, Vec<u8>)> = names
            .iter()
            .filter(|n| intrusion::detect_name(n))
            .take(intrusion::DETECT_FILES)
            .map(|n| {
                let head = std::fs::File::open(path.join(n))
                    .and_then(|f| read_up_to(f, intrusion::HEAD_BYTES))
                    .unwrap_or_default();
                (n.clone(), head)
            })
            .collect();
        return intrusion_detection(&heads).into_iter().collect();
    }
    let mut magic = [0u8; 32];
    let n = match std::fs::File::open(path).and_then(|mut f| read_head(&mut f, &mut magic)) {
        Ok(n) => n,
        Err(_) => return Vec::new(),
    };
    let head = magic.get(..n).unwrap_or_default();
    if head.starts_with(AB_MAGIC) {
        return vec![Detection::new(AcquisitionKind::AndroidBackup, "an `adb backup` file (ANDROID BACKUP header)")];
    }
    if head.starts_with(AGE_MAGIC) {
        return vec![Detection::new(
            AcquisitionKind::AndroidQf,
            "an age-encrypted file (androidqf encrypts its collections with age)",
        )];
    }
    if head.starts_with(b"PK") {
        // every entry name, links included: an archive holding only links is recognised, then
        // refused at open with a message saying so
        let names = ferret_core::zip::peek_names(path, usize::MAX).unwrap_or_default();
        let found = classify_names(names.iter().map(String::as_str));
        if !found.is_empty() || !names.iter().any(|n| shallow(n) && intrusion::detect_name(n)) {
            return found;
        }
        return intrusion_in_zip(path).into_iter().collect();
    }
    Vec::new()
}

/// At most three folders down (as [`walk_shallow`] looks into a folder).
fn shallow(name: &str) -> bool {
    name.trim_start_matches('/').split('/').count() <= 4
}

/// The intrusion-log detection from `(name, first bytes)` of candidate files.
fn intrusion_detection(heads: &[(String, Vec<u8>)]) -> Option<Detection> {
    let logs: Vec<&str> = heads.iter().filter(|(_, h)| intrusion::is_log_head(h)).map(|(n, _)| n.as_str()).collect();
    let first = logs.first()?;
    let more = match logs.len() {
        1 => String::new(),
        n => format!(" and {} more file{}", n - 1, if n == 2 { "" } else { "s" }),
    };
    Some(Detection::new(AcquisitionKind::AndroidIntrusionLogs, format!("intrusion-log events in {first}{more}")))
}

/// [`intrusion_detection`] on the members of a zip: the first bytes of at most
/// [`intrusion::DETECT_FILES`] regular members, read in place with the plain zip reader (no
/// evidence is opened, so opening it later warns about odd names once); members whose name
/// escapes the archive, links and encrypted members are passed over.
fn intrusion_in_zip(path: &Path) -> Option<Detection> {
    let f = std::fs::File::open(path).ok()?;
    let mut z = zip::ZipArchive::new(std::io::BufReader::new(f)).ok()?;
    let mut heads: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..z.len() {
        if heads.len() >= intrusion::DETECT_FILES {
            break;
        }
        let Ok(e) = z.by_index(i) else { continue };
        if !e.is_file() || e.is_symlink() || e.encrypted() {
            continue;
        }
        let name = ferret_core::zip::normalize_name(&String::from_utf8_lossy(e.name_raw()));
        if name.is_empty() || !shallow(&name) || !intrusion::detect_name(&name) {
            continue;
        }
        let head = read_up_to(e, intrusion::HEAD_BYTES).unwrap_or_default();
        heads.push((name, head));
    }
    intrusion_detection(&heads)
}

/// The first `max` bytes of a reader (fewer at its end).
fn read_up_to(r: impl Read, max: usize) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    r.take(max as u64).read_to_end(&mut out)?;
    Ok(out)
}

fn read_head(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        let Some(rest) = buf.get_mut(got..) else { break };
        let n = f.read(rest)?;
        if n == 0 {
            break;
        }
        got += n;
    }
    Ok(got)
}

/// Relative paths of the regular files of a folder, to depth 3 (enough to find markers), sorted.
fn walk_shallow(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new(), 0usize)];
    while let Some((dir, rel, depth)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else { continue };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let r = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
            match e.file_type() {
                Ok(t) if t.is_dir() && depth < 3 => stack.push((e.path(), r, depth + 1)),
                Ok(t) if t.is_file() => out.push(r),
                _ => {}
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use AcquisitionKind::*;

    fn kinds(names: &[&str]) -> Vec<AcquisitionKind> {
        classify_names(names.iter().copied()).into_iter().map(|d| d.kind).collect()
    }

    #[test]
    fn names() {
        assert_eq!(kinds(&["bugreport-x-2026.txt", "FS/data/x"]), vec![AndroidBugreport]);
        assert_eq!(kinds(&["bugreport-x/main_entry.txt"]), vec![AndroidBugreport]);
        assert_eq!(kinds(&["packages.json", "getprop.txt", "ps.txt"]), vec![AndroidQf]);
        assert_eq!(kinds(&["uuid/packages.json", "uuid/getprop.txt"]), vec![AndroidQf]);
        assert!(kinds(&["getprop.txt"]).is_empty(), "one androidqf file is not a collection");
        assert!(kinds(&["a/packages.json", "b/getprop.txt"]).is_empty(), "markers must sit together");
        assert_eq!(kinds(&["apps/com.x/_manifest", "apps/com.x/db/x.db"]), vec![AndroidBackup]);
        assert!(kinds(&["ps.txt", "logs/dmesg.txt"]).is_empty());
        assert!(kinds(&[]).is_empty());
        let d = classify_names(["packages.json", "getprop.txt"].into_iter());
        assert_eq!(d[0].reason, "androidqf files packages.json, getprop.txt");
    }

    #[test]
    fn files_by_content_not_name() {
        let d = tempfile::tempdir().expect("tmp");
        let named_ab = d.path().join("backup.ab");
        std::fs::write(&named_ab, b"just text").expect("write");
        assert!(detect_all(&named_ab).is_empty(), "a .ab name is not a backup");
        let ab = d.path().join("x.bin");
        std::fs::write(&ab, b"ANDROID BACKUP\n5\n1\nnone\n").expect("write");
        assert_eq!(detect(&ab).map(|d| d.kind), Some(AndroidBackup));
        let age = d.path().join("c.zip.age");
        std::fs::write(&age, b"not age at all").expect("write");
        assert!(detect_all(&age).is_empty(), "a .age name is not an age file");
        std::fs::write(&age, b"age-encryption.org/v1\n-> X25519 abc\n").expect("write");
        assert_eq!(detect(&age).map(|d| d.kind), Some(AndroidQf));
        assert!(detect_all(&d.path().join("missing")).is_empty());
    }
}
