//! Complete synthetic acquisitions with ground truth, at a chosen scale.
//!
//! [`ios_backup`] writes a plain iTunes-style backup holding every iOS artifact generator's
//! output, a matching STIX 2.1 bundle (planted indicators + decoys) and `truth.json`. It is what
//! `ferret demo`, the end-to-end tests and the benchmark use.
//!
//! Scale: `sms` messages; the other artifacts follow the proportions of the foundation issue's
//! benchmark (Safari visits and WhatsApp messages = sms/2, DataUsage processes = sms/20, Manifest
//! rows ≈ sms/4 through extra folder rows), the small artifacts stay small.

use std::path::{Path, PathBuf};

use crate::ios;
use crate::ios_backup::{DeviceSpec, write_backup_with};
use crate::truth::Truth;
use crate::{ArtifactFile, stix};

/// Sizes of one generated acquisition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    /// SMS/iMessage messages.
    pub sms: usize,
    /// Decoy indicators in the bundle.
    pub decoys: usize,
}

impl Scale {
    /// A scale from the SMS count with the default 20,000 decoys.
    pub fn sms(sms: usize) -> Self {
        Self { sms, decoys: 20_000 }
    }
}

/// What [`ios_backup`] wrote.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The acquisition (backup folder).
    pub acquisition: PathBuf,
    /// The STIX bundle.
    pub iocs: PathBuf,
    /// `truth.json`.
    pub truth_file: PathBuf,
    /// The ground truth.
    pub truth: Truth,
}

/// Every iOS artifact file of a scenario (shared by backup and filesystem-dump layouts) and the
/// device it belongs to.
pub fn ios_artifacts(seed: u64, scale: Scale, truth: &mut Truth) -> (Vec<ArtifactFile>, DeviceSpec) {
    let n = scale.sms;
    let small = (n / 100).clamp(10, 5_000);
    let mut files = Vec::new();
    files.extend(ios::sms::generate(seed, n, truth));
    files.extend(ios::safari_history::generate(seed, n / 2, truth));
    files.extend(ios::whatsapp::generate(seed, n / 2, truth));
    files.extend(ios::datausage::generate(seed, (n / 20).max(10), truth));
    files.extend(ios::tcc::generate(seed, small, truth));
    files.extend(ios::calls::generate(seed, small, truth));
    files.extend(ios::contacts::generate(seed, small, truth));
    files.extend(ios::calendar::generate(seed, small, truth));
    files.extend(ios::chrome_history::generate(seed, small, truth));
    files.extend(ios::chrome_favicon::generate(seed, small, truth));
    // firefox_history and firefox_favicon write the same browser.db: one of them per scenario.
    files.extend(ios::firefox_favicon::generate(seed, small, truth));
    files.extend(ios::global_preferences::generate(seed, 3, truth));
    files.extend(ios::id_status_cache::generate(seed, small, truth));
    files.extend(ios::interaction_c::generate(seed, small, truth));
    files.extend(ios::locationd::generate(seed, small, truth));
    files.extend(ios::os_analytics_addaily::generate(seed, small, truth));
    files.extend(ios::safari_browser_state::generate(seed, small, truth));
    files.extend(ios::shortcuts::generate(seed, small, truth));
    files.extend(ios::webkit_resource_load_statistics::generate(seed, small, truth));
    files.extend(ios::webkit_session_resource_log::generate(seed, small, truth));
    files.extend(ios::whatsapp_contacts::generate(seed, small, truth));
    let mut device = ios::device::device(seed);
    device.product_version = ios::os_version::VERSION.into();
    device.build_version = ios::os_version::BUILD.into();
    (files, device)
}

/// The artifacts that only exist in backups (profiles store, Manifest-only files, the app list
/// of Info.plist).
fn backup_only_artifacts(seed: u64, scale: Scale, device: &mut DeviceSpec, truth: &mut Truth) -> Vec<ArtifactFile> {
    let small = (scale.sms / 100).clamp(10, 5_000);
    let mut files = ios::configuration_profiles::generate(seed, 4, truth);
    files.extend(ios::profile_events::generate(seed, 4, truth));
    files.extend(ios::manifest::generate(seed, small, truth));
    device.apps = ios::applications::generate(seed, ios::applications::ORDINARY_APPS, truth);
    files
}

/// Writes a plain iOS backup scenario under `dir` (`backup/`, `iocs.stix2`, `truth.json`).
pub fn ios_backup(dir: &Path, seed: u64, scale: Scale) -> std::io::Result<Generated> {
    let mut truth = Truth::default();
    let (mut files, mut device) = ios_artifacts(seed, scale, &mut truth);
    files.extend(backup_only_artifacts(seed, scale, &mut device, &mut truth));
    ios::os_version::expect_for_planted_version(&mut truth);
    // The manifest module sees every planted path: expect its hits once all files exist.
    ios::manifest::expect_hits(&files, &mut truth);
    let acquisition = dir.join("backup");
    std::fs::create_dir_all(&acquisition)?;
    write_backup_with(&acquisition, &files, &device, scale.sms / 4)?;
    finish(dir, acquisition, seed, scale, truth)
}

/// Writes an encrypted iOS backup scenario under `dir` (`backup/`, `iocs.stix2`, `truth.json`)
/// with `password` and a small `dpic` so tests stay fast; same content as [`ios_backup`].
pub fn ios_encrypted_backup(
    dir: &Path,
    seed: u64,
    scale: Scale,
    password: &str,
    dpic: u32,
) -> std::io::Result<Generated> {
    let mut truth = Truth::default();
    let (mut files, mut device) = ios_artifacts(seed, scale, &mut truth);
    files.extend(backup_only_artifacts(seed, scale, &mut device, &mut truth));
    ios::os_version::expect_for_planted_version(&mut truth);
    ios::manifest::expect_hits(&files, &mut truth);
    let acquisition = dir.join("backup");
    std::fs::create_dir_all(&acquisition)?;
    crate::ios_backup::write_encrypted_backup(&acquisition, &files, &device, password, dpic, seed)?;
    finish(dir, acquisition, seed, scale, truth)
}

/// Layout of a generated filesystem dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsLayout {
    /// A folder.
    Folder,
    /// A `.tar.gz` with one top-level folder.
    TarGz,
}

/// Writes an iOS full-filesystem dump scenario under `dir` (`fs/` or `fs.tar.gz`, `iocs.stix2`,
/// `truth.json`): every mixed artifact at its filesystem path plus the filesystem-only ones.
pub fn ios_fs(dir: &Path, seed: u64, scale: Scale, layout: FsLayout) -> std::io::Result<Generated> {
    let mut truth = Truth::default();
    let files = ios_fs_artifacts(seed, scale, &mut truth);
    let acquisition = match layout {
        FsLayout::Folder => crate::ios_fs::write_folder(&dir.join("fs"), "", &files)?,
        FsLayout::TarGz => {
            let p = dir.join("fs.tar.gz");
            crate::ios_fs::write_tar_gz(&p, "dump", &files)?;
            p
        }
    };
    finish(dir, acquisition, seed, scale, truth)
}

/// The files of an iOS full-filesystem dump scenario, sorted by path: every mixed artifact at
/// its filesystem path plus the filesystem-only ones.
pub fn ios_fs_artifacts(seed: u64, scale: Scale, truth: &mut Truth) -> Vec<ArtifactFile> {
    let (mut files, _device) = ios_artifacts(seed, scale, truth);
    files.extend(ios::os_version::generate(seed, 1, truth));
    // the installed apps, as a filesystem dump holds them (the other artifacts name them)
    let mut app_truth = Truth::default();
    let apps = ios::applications::generate(seed, ios::applications::ORDINARY_APPS, &mut app_truth);
    for e in &mut app_truth.alerts {
        // without `softwareVersionBundleId` a dump's metadata names no bundle id at all
        if e.marker.contains("ferretnobundle") {
            e.marker = "without a bundle identifier".into();
        }
    }
    truth.extend(app_truth);
    files.extend(ios::applications::fs_files(&apps));
    files.extend(crate::ios_fs::generate(seed, (scale.sms / 10).clamp(20, 100_000), truth));
    files.sort_by(|a, b| a.fs_path.cmp(&b.fs_path));
    files
}

/// Writes the bundle and truth of a scenario whose acquisition is already in place.
pub fn finish(
    dir: &Path,
    acquisition: PathBuf,
    seed: u64,
    scale: Scale,
    mut truth: Truth,
) -> std::io::Result<Generated> {
    truth.indicators.sort();
    truth.alerts.sort();
    let iocs = dir.join("iocs.stix2");
    std::fs::write(&iocs, stix::bundle(&truth.indicators, scale.decoys, seed))?;
    let truth_file = dir.join("truth.json");
    let json = serde_json::to_vec_pretty(&truth).map_err(std::io::Error::other)?;
    std::fs::write(&truth_file, json)?;
    Ok(Generated { acquisition, iocs, truth_file, truth })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic() {
        let a = tempfile::tempdir().expect("dir");
        let b = tempfile::tempdir().expect("dir");
        let ga = ios_backup(a.path(), 7, Scale { sms: 50, decoys: 100 }).expect("gen");
        let gb = ios_backup(b.path(), 7, Scale { sms: 50, decoys: 100 }).expect("gen");
        assert_eq!(ga.truth, gb.truth);
        assert!(!ga.truth.alerts.is_empty());
        for name in ["Manifest.db", "Info.plist"] {
            assert_eq!(
                std::fs::read(ga.acquisition.join(name)).expect("a"),
                std::fs::read(gb.acquisition.join(name)).expect("b"),
                "{name}"
            );
        }
        assert_eq!(std::fs::read(&ga.iocs).expect("a"), std::fs::read(&gb.iocs).expect("b"));
    }
}
