//! Device OS version fixtures for the `os_version` module.
//!
//! Filesystem dumps carry `System/Library/CoreServices/SystemVersion.plist`
//! (`ProductVersion`, `ProductBuildVersion`); backups carry `Product Version` in the root
//! `Info.plist` (written by [`crate::ios_backup::write_backup`] from its `DeviceSpec`).
//! The planted version is iOS 16.6: exposed to CVE-2025-43200 (fixed 18.3.1), BLASTPASS (fixed
//! 16.6.1) and Predator (fixed 16.7); not to Operation Triangulation (fixed 16.5.1) nor older ones.

use ferret_core::Level;

use super::files::{dict, plist_file, pstr};
use crate::ArtifactFile;
use crate::truth::Truth;

/// The planted OS version.
pub const VERSION: &str = "16.6";
/// Its build.
pub const BUILD: &str = "20G75";
/// Filesystem-dump path.
pub const FS: &str = "System/Library/CoreServices/SystemVersion.plist";

/// Records the alerts a device on [`VERSION`] must raise.
pub fn expect_for_planted_version(truth: &mut Truth) {
    for cve in ["CVE-2025-43200", "CVE-2023-41064", "CVE-2023-41991"] {
        truth.expect("os_version", Level::Info, None, cve);
    }
}

/// Generates `SystemVersion.plist` for [`VERSION`] (`count` is unused: one file).
pub fn generate(_seed: u64, _count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    expect_for_planted_version(truth);
    let v = dict(vec![
        ("ProductName", pstr("iPhone OS")),
        ("ProductVersion", pstr(VERSION)),
        ("ProductBuildVersion", pstr(BUILD)),
    ]);
    vec![plist_file("", "SystemVersion.plist", FS, 1_700_000_000, &v)]
}
