//! iOS sysdiagnose archives.
//!
//! A sysdiagnose is what iOS writes when the user presses both volume buttons and the side
//! button for about a second: `sysdiagnose_YYYY.MM.DD_HH-MM-SS±ZZZZ_<OS>_<device>_<build>.tar.gz`
//! (in Settings › Privacy › Analytics Data). The archive holds exactly one top folder of the same
//! name; inside it, among others:
//!
//! * `system_logs.logarchive/` — the unified log (tracev3) and `Extra/shutdown.log` (iOS 26 also
//!   writes rotated `Extra/shutdown.0.log`, `shutdown.1.log`, …);
//! * `ps.txt`, `ps_thread.txt` — process lists at collection time;
//! * `crashes_and_spins/*.ips` — crash, jetsam and stackshot reports (JSON header line + body);
//! * `logs/MobileInstallation/mobile_installation.log.*` — app install/uninstall log;
//! * `logs/` plists and databases (network usage, configuration profiles, ...).
//!
//! [`open`] accepts the archive (`.tar.gz`, also plain `.tar`; read in place, never extracted)
//! or an extracted folder, and returns [`AcquisitionKind::IosSysdiagnose`] evidence whose paths
//! are relative to the `sysdiagnose_*` folder (so `ps.txt`, `system_logs.logarchive/Extra/...`).

use std::path::{Path, PathBuf};

use ferret_core::tar::{TarEvidence, TarOptions};
use ferret_core::zip::ZipEvidence;
use ferret_core::{AcquisitionKind, Evidence};

use ferret_core::evidence::{IndexedFolder, Prefixed};

use crate::fs::{Container, FsError, container_of};

/// Opens a sysdiagnose (archive or folder) rooted at its `sysdiagnose_*` folder.
pub fn open(path: &Path) -> Result<Box<dyn Evidence>, FsError> {
    open_noting(path, &mut Vec::new())
}

/// [`open`], adding the archive's odd entry-name summaries to `notes` (see
/// [`crate::fs::open_noting`]).
pub fn open_noting(path: &Path, notes: &mut Vec<String>) -> Result<Box<dyn Evidence>, FsError> {
    let kind = AcquisitionKind::IosSysdiagnose;
    match container_of(path)? {
        Container::Folder => {
            let root = folder_root(path);
            Ok(Box::new(IndexedFolder::new(&root, path, kind)?))
        }
        Container::Tar => {
            let t = TarEvidence::open_with(path, kind, &tar_options())?;
            notes.extend(t.odd_name_warnings());
            let prefix = archive_root(t.index().iter().map(|i| i.name));
            Ok(Prefixed::subtree(Box::new(t), &prefix))
        }
        Container::Zip => {
            let z = ZipEvidence::open(path, kind)?;
            notes.extend(z.odd_name_warnings());
            let prefix = archive_root(z.index().iter().map(|i| i.name));
            Ok(Prefixed::subtree(Box::new(z), &prefix))
        }
    }
}

/// Tar options: the default artifact cache, plus (with the `unified-log` feature) the
/// logarchive's tracev3, timesync, UUIDText and dsc files, which the unified-log parser reads
/// in an order unrelated to the archive's.
fn tar_options() -> TarOptions {
    #[allow(unused_mut)]
    let mut o = TarOptions::default();
    #[cfg(feature = "unified-log")]
    o.cache_patterns
        .extend(["**/system_logs.logarchive/**", "system_logs.logarchive/**"].iter().map(|s| s.to_string()));
    o
}

fn looks_like_root(p: &Path) -> bool {
    p.join("system_logs.logarchive").exists() || p.join("ps.txt").is_file() || p.join("crashes_and_spins").is_dir()
}

/// The sysdiagnose folder: `path` itself when it holds sysdiagnose content, else its single
/// `sysdiagnose_*` child (or single child folder holding sysdiagnose content).
fn folder_root(path: &Path) -> PathBuf {
    if looks_like_root(path) {
        return path.to_path_buf();
    }
    let mut found = Vec::new();
    if let Ok(rd) = std::fs::read_dir(path) {
        for e in rd.flatten() {
            let p = e.path();
            let named = e.file_name().to_string_lossy().starts_with("sysdiagnose_");
            if e.file_type().is_ok_and(|t| t.is_dir()) && (named || looks_like_root(&p)) {
                found.push(p);
            }
        }
    }
    found.sort();
    match found.as_slice() {
        [one] => one.clone(),
        _ => path.to_path_buf(),
    }
}

/// The single top folder of an archive (`"sysdiagnose_.../"`), or `""` when entries sit at the
/// top or under several folders.
fn archive_root(names: impl Iterator<Item = impl AsRef<str>>) -> String {
    let mut top: Option<String> = None;
    for n in names {
        let Some((first, _)) = n.as_ref().split_once('/') else { return String::new() };
        match &top {
            None => top = Some(first.to_string()),
            Some(t) if t == first => {}
            Some(_) => return String::new(),
        }
    }
    top.map(|t| format!("{t}/")).unwrap_or_default()
}

/// The collection time and UTC offset encoded in a sysdiagnose folder or archive name
/// (`sysdiagnose_2026.11.20_10-00-00+0100_...`), as a UTC timestamp.
pub fn time_from_name(name: &str) -> Option<jiff::Timestamp> {
    let i = name.find("sysdiagnose_")?;
    let rest = name.get(i + "sysdiagnose_".len()..)?;
    let stamp = rest.get(..24)?; // 2026.11.20_10-00-00+0100
    let civil = format!(
        "{}-{}-{}T{}:{}:{}{}:{}",
        stamp.get(0..4)?,
        stamp.get(5..7)?,
        stamp.get(8..10)?,
        stamp.get(11..13)?,
        stamp.get(14..16)?,
        stamp.get(17..19)?,
        stamp.get(19..22)?,
        stamp.get(22..24)?
    );
    civil.parse::<jiff::Timestamp>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_and_names() {
        assert_eq!(archive_root(["sysdiagnose_x/ps.txt", "sysdiagnose_x/a/b"].into_iter()), "sysdiagnose_x/");
        assert_eq!(archive_root(["ps.txt"].into_iter()), "");
        assert_eq!(archive_root(["a/x", "b/y"].into_iter()), "");
        let t = time_from_name("sysdiagnose_2026.11.20_10-00-00+0100_iPhone-OS_iPhone_22B83.tar.gz").expect("time");
        assert_eq!(t.to_string(), "2026-11-20T09:00:00Z");
        assert!(time_from_name("nothing").is_none());
        assert!(time_from_name("sysdiagnose_short").is_none());
    }
}

#[cfg(test)]
mod end_to_end {
    use ferret_core::module::testing::run_one;
    use ferret_core::{Context, RunOptions};
    use ferret_testdata::fake::TruthIndicators;
    use ferret_testdata::sysdiagnose::{DEFAULT_NAME, generate, write_folder, write_tar_gz};
    use ferret_testdata::truth::{Truth, compare};

    /// Every sysdiagnose module on a generated sysdiagnose, as a folder and as a tar.gz: exact
    /// recall and precision over all modules, identical records in both containers.
    #[test]
    fn all_modules_folder_and_targz() {
        let mut truth = Truth::default();
        let files = generate(21, 40, &mut truth);
        let d = tempfile::tempdir().expect("tmp");
        let folder = write_folder(&d.path().join("x"), DEFAULT_NAME, &files).expect("folder");
        let kind = |p: &std::path::Path| crate::detect(p).map(|d| d.kind);
        assert_eq!(kind(folder.parent().expect("parent")), Some(ferret_core::AcquisitionKind::IosSysdiagnose));
        assert_eq!(kind(&folder), Some(ferret_core::AcquisitionKind::IosSysdiagnose));
        let tgz = d.path().join(format!("{DEFAULT_NAME}.tar.gz"));
        write_tar_gz(&tgz, DEFAULT_NAME, &files).expect("tgz");
        assert_eq!(kind(&tgz), Some(ferret_core::AcquisitionKind::IosSysdiagnose));
        let ind = TruthIndicators::new(&truth);
        let opts = RunOptions::default();
        let mut outputs = Vec::new();
        for path in [folder.parent().expect("parent").to_path_buf(), tgz] {
            let ev = super::open(&path).expect("open");
            assert_eq!(ev.kind(), ferret_core::AcquisitionKind::IosSysdiagnose);
            let ctx = Context { evidence: ev.as_ref(), indicators: &ind, options: &opts };
            let mut alerts = Vec::new();
            let mut records = Vec::new();
            for m in crate::modules::sysdiagnose_modules() {
                let r = run_one(m.as_ref(), &ctx);
                assert!(r.outcome.is_ok(), "{}: {:?}", m.info().name, r.outcome);
                alerts.extend(r.alerts);
                records.push((m.info().name, r.records));
            }
            // the modules alone (the process census is a pass after them)
            let cmp = compare(&truth.without_census().alerts, &alerts, None);
            assert!(cmp.is_exact(), "missed {:#?}\nunexpected {:#?}", cmp.missed, cmp.unexpected);
            outputs.push(records);
        }
        assert_eq!(outputs[0], outputs[1]);
    }
}
