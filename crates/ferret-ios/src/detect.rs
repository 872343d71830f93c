//! Which iOS acquisition a path is, from content each type must have.
//!
//! Every type is recognised by what it contains, never by the absence of another type's
//! markers, and the [`Detection`] says which content the decision rests on:
//!
//! * **backup**: a folder with `Manifest.db` (a regular file) beside `Info.plist` or
//!   `Manifest.plist`, or the folder holding exactly one such backup;
//! * **filesystem dump**: a `private/var/` tree holding at least one folder iOS has there
//!   ([`FS_MARKERS`]: `mobile`, `containers`, `root`, ...), at the top or one folder down; as a
//!   folder, or a tar/tar.gz/zip whose entry names show it;
//! * **sysdiagnose**: a `sysdiagnose_*` folder (or single top folder of an archive) with content,
//!   or a folder/archive holding one of the files only a sysdiagnose has ([`SYSDIAGNOSE_MARKERS`]:
//!   `system_logs.logarchive/`, `sysdiagnose.log`, `ps_thread.txt`, `crashes_and_spins/`, ...).
//!   A `ps.txt` alone is not one: androidqf writes one too.
//!
//! A path can match more than one type only if it was made to; [`detect_all`] returns every
//! match so the caller can refuse to guess.

use std::path::{Path, PathBuf};

use ferret_core::tar::peek_names;
use ferret_core::{AcquisitionKind, Detection};

use crate::fs::{Container, container_of};

/// Folders iOS keeps under `private/var/` (any one of them marks a filesystem dump).
pub const FS_MARKERS: [&str; 11] = [
    "mobile",
    "containers",
    "root",
    "db",
    "preferences",
    "wireless",
    "installd",
    "MobileDevice",
    "networkd",
    "Keychains",
    "MobileSoftwareUpdate",
];

/// Entries only a sysdiagnose has at its top (any one of them marks one). Folders end with `/`.
pub const SYSDIAGNOSE_MARKERS: [&str; 9] = [
    "system_logs.logarchive/",
    "sysdiagnose.log",
    "ps_thread.txt",
    "crashes_and_spins/",
    "spindump-nosymbols.txt",
    "remotectl_dumpstate.txt",
    "summaries/",
    "taskinfo.txt",
    "brctl/",
];

/// Entry names read from the start of an archive to recognise it.
const PEEK_ENTRIES: usize = 5000;

/// The iOS acquisition `path` is, if exactly one type matches; see [`detect_all`].
pub fn detect(path: &Path) -> Option<Detection> {
    let mut all = detect_all(path);
    if all.len() == 1 { all.pop() } else { None }
}

/// Every iOS acquisition type `path` matches (usually none or one).
pub fn detect_all(path: &Path) -> Vec<Detection> {
    if path.is_dir() {
        let mut out = Vec::new();
        out.extend(backup_folder(path));
        out.extend(sysdiagnose_folder(path));
        out.extend(fs_folder(path));
        out
    } else {
        archive(path)
    }
}

fn backup_folder(path: &Path) -> Option<Detection> {
    let root = crate::backup::find_backup_root(path).ok()?;
    if !root.join("Manifest.db").is_file() {
        return None;
    }
    let plists: Vec<&str> =
        ["Info.plist", "Manifest.plist", "Status.plist"].into_iter().filter(|p| root.join(p).is_file()).collect();
    if !plists.iter().any(|p| *p != "Status.plist") {
        return None;
    }
    let whose = if root == path { String::new() } else { format!(" in {}", root.display()) };
    Some(Detection::new(AcquisitionKind::IosBackup, format!("Manifest.db and {}{whose}", plists.join(", "))))
}

/// The sysdiagnose markers present in a folder, as `SYSDIAGNOSE_MARKERS` spell them.
fn markers_in(dir: &Path) -> Vec<&'static str> {
    SYSDIAGNOSE_MARKERS
        .into_iter()
        .filter(|m| match m.strip_suffix('/') {
            Some(d) => dir.join(d).is_dir(),
            None => dir.join(m).is_file(),
        })
        .collect()
}

fn sysdiagnose_folder(path: &Path) -> Option<Detection> {
    let here = markers_in(path);
    if !here.is_empty() {
        return Some(Detection::new(AcquisitionKind::IosSysdiagnose, here.join(", ")));
    }
    // one `sysdiagnose_*` child folder (the archive's top folder, extracted)
    let children: Vec<PathBuf> = std::fs::read_dir(path)
        .ok()?
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("sysdiagnose_")))
        .collect();
    let [child] = children.as_slice() else { return None };
    let inner = markers_in(child);
    let name = child.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    (!inner.is_empty())
        .then(|| Detection::new(AcquisitionKind::IosSysdiagnose, format!("{name}/ with {}", inner.join(", "))))
}

/// [`other_fs_layout`] for a folder: its two first levels, as names.
fn folder_other_layout(path: &Path) -> Option<String> {
    let mut names = Vec::new();
    let dirs = |p: &Path| -> Vec<String> {
        std::fs::read_dir(p)
            .map(|rd| {
                rd.flatten()
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    for a in dirs(path) {
        for b in dirs(&path.join(&a)) {
            for c in dirs(&path.join(&a).join(&b)) {
                names.push(format!("{a}/{b}/{c}/x"));
            }
            names.push(format!("{a}/{b}/x"));
        }
    }
    names.sort();
    other_fs_layout(names.iter().map(String::as_str))
}

/// The `private/var/<marker>` folders under `root`.
fn fs_markers_in(root: &Path) -> Vec<&'static str> {
    FS_MARKERS.into_iter().filter(|m| root.join("private/var").join(m).is_dir()).collect()
}

fn fs_folder(path: &Path) -> Option<Detection> {
    if let Some(reason) = folder_other_layout(path) {
        return Some(Detection::new(AcquisitionKind::IosFs, reason));
    }
    let here = fs_markers_in(path);
    if !here.is_empty() {
        return Some(Detection::new(AcquisitionKind::IosFs, format!("private/var/ with {}", here.join(", "))));
    }
    let mut found: Vec<(String, Vec<&'static str>)> = std::fs::read_dir(path)
        .ok()?
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), fs_markers_in(&e.path())))
        .filter(|(_, m)| !m.is_empty())
        .collect();
    found.sort();
    match found.as_slice() {
        [(name, m)] => {
            Some(Detection::new(AcquisitionKind::IosFs, format!("{name}/private/var/ with {}", m.join(", "))))
        }
        _ => None,
    }
}

/// Classifies an archive (tar, tar.gz or zip) by its first entry names.
fn archive(path: &Path) -> Vec<Detection> {
    let names: Vec<String> = match container_of(path) {
        Ok(Container::Tar) => peek_names(path, PEEK_ENTRIES).unwrap_or_default(),
        // every entry name, links included: an archive holding only links is recognised, then
        // refused at open with a message saying so
        Ok(Container::Zip) => ferret_core::zip::peek_names(path, PEEK_ENTRIES).unwrap_or_default(),
        _ => return Vec::new(),
    };
    classify_names(names.iter().map(String::as_str))
}

/// Classifies archive entry names (`/`-separated, no leading `/`): every type they match.
pub fn classify_names<'a>(names: impl Iterator<Item = &'a str>) -> Vec<Detection> {
    let mut sys: Vec<String> = Vec::new();
    let mut fs: Vec<String> = Vec::new();
    // absolute member names (`/private/var/...`) are read as relative ones
    let names: Vec<&str> = names.map(|n| n.trim_start_matches('/')).collect();
    let other_layout = other_fs_layout(names.iter().copied());
    for n in names {
        // sysdiagnose: a marker at the top, or inside a single `sysdiagnose_*` top folder
        let (top, rest) = n.split_once('/').unwrap_or(("", n));
        let (prefix, inner) =
            if top.starts_with("sysdiagnose_") { (format!("{top}/"), rest) } else { (String::new(), n) };
        for m in SYSDIAGNOSE_MARKERS {
            let hit = match m.strip_suffix('/') {
                Some(d) => inner.starts_with(m) || inner == d,
                None => inner == m,
            };
            if hit && !sys.iter().any(|s| s.ends_with(m)) {
                sys.push(format!("{prefix}{m}"));
            }
        }
        // filesystem dump: private/var/<marker>/ at the top or one folder down
        let under = n.strip_prefix("private/var/").or_else(|| rest.strip_prefix("private/var/"));
        if let Some(under) = under {
            let first = under.split('/').next().unwrap_or("");
            if let Some(m) = FS_MARKERS.iter().find(|m| **m == first)
                && !fs.iter().any(|f| f == m)
            {
                fs.push((*m).to_string());
            }
        }
    }
    let mut out = Vec::new();
    if !sys.is_empty() {
        out.push(Detection::new(AcquisitionKind::IosSysdiagnose, sys.join(", ")));
    }
    if !fs.is_empty() {
        out.push(Detection::new(AcquisitionKind::IosFs, format!("private/var/ with {}", fs.join(", "))));
    } else if let Some(reason) = other_layout {
        out.push(Detection::new(AcquisitionKind::IosFs, reason));
    }
    out
}

/// A filesystem dump laid out without `private/`: `var/<marker>/` (at the top or one folder
/// down), or split per partition (a data-partition folder holding `<marker>/` beside a
/// system-partition folder). A lone folder holding `mobile/` is not enough to call it a dump.
fn other_fs_layout<'a>(names: impl Iterator<Item = &'a str>) -> Option<String> {
    match crate::fs::layout_of(names)? {
        crate::fs::Layout::Map(maps) if maps.len() == 2 => Some(match maps[0].0.as_str() {
            v if v.ends_with("var/") => format!("{v} (the data partition without private/)"),
            data => format!("{data} (data partition) and {} (system partition)", maps[1].0),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AcquisitionKind::*;

    fn kinds(d: &[Detection]) -> Vec<AcquisitionKind> {
        d.iter().map(|d| d.kind).collect()
    }

    #[test]
    fn names_are_classified_by_what_they_hold() {
        let sys = ["sysdiagnose_2026.11.20_10-00-00+0100_iPhone-OS_iPhone_22B83/ps_thread.txt"];
        let d = classify_names(sys.into_iter());
        assert_eq!(kinds(&d), vec![IosSysdiagnose]);
        assert_eq!(d[0].reason, "sysdiagnose_2026.11.20_10-00-00+0100_iPhone-OS_iPhone_22B83/ps_thread.txt");
        assert_eq!(
            kinds(&classify_names(["system_logs.logarchive/Persist/0.tracev3"].into_iter())),
            vec![IosSysdiagnose]
        );
        // ps.txt alone (androidqf writes one) is not a sysdiagnose
        assert!(classify_names(["ps.txt", "packages.json"].into_iter()).is_empty());
        assert!(classify_names(["sysdiagnose_x/readme.txt"].into_iter()).is_empty(), "a name is not content");
        let d = classify_names(["dump/private/var/mobile/x", "dump/private/var/root/y"].into_iter());
        assert_eq!(kinds(&d), vec![IosFs]);
        assert_eq!(d[0].reason, "private/var/ with mobile, root");
        assert_eq!(kinds(&classify_names(["private/var/mobile/x"].into_iter())), vec![IosFs]);
        assert!(classify_names(["private/var/folders/x"].into_iter()).is_empty(), "macOS private/var");
        assert!(classify_names(["a/b/private/var/mobile/x", "readme.txt"].into_iter()).is_empty());
        // crafted to be both: both are reported, the caller refuses to guess
        assert_eq!(
            kinds(&classify_names(["sysdiagnose.log", "private/var/mobile/x"].into_iter())),
            vec![IosSysdiagnose, IosFs]
        );
    }

    #[test]
    fn folders() {
        let d = tempfile::tempdir().expect("tmp");
        assert!(detect_all(d.path()).is_empty(), "empty folder");
        std::fs::create_dir_all(d.path().join("dump/private/var/mobile")).expect("mkdir");
        let got = detect_all(d.path());
        assert_eq!(kinds(&got), vec![IosFs]);
        assert_eq!(got[0].reason, "dump/private/var/ with mobile");
        std::fs::create_dir_all(d.path().join("dump2/private/var/root")).expect("mkdir");
        assert!(detect_all(d.path()).is_empty(), "two dumps side by side: not one acquisition");

        let s = tempfile::tempdir().expect("tmp");
        std::fs::write(s.path().join("ps.txt"), "PID\n").expect("write");
        std::fs::create_dir(s.path().join("logs")).expect("mkdir");
        assert!(detect_all(s.path()).is_empty(), "ps.txt and logs/ are not enough");
        let inner = s.path().join("sysdiagnose_2026.01.01_00-00-00+0000_iPhone-OS_iPhone_1");
        std::fs::create_dir_all(inner.join("crashes_and_spins")).expect("mkdir");
        let got = detect_all(s.path());
        assert_eq!(kinds(&got), vec![IosSysdiagnose]);
        assert!(got[0].reason.ends_with("/ with crashes_and_spins/"), "{}", got[0].reason);
        assert_eq!(detect(&inner).map(|d| d.kind), Some(IosSysdiagnose));
        assert!(detect(&s.path().join("missing")).is_none());
    }
}
