//! # ferret-ios
//!
//! iOS acquisitions and their artifact modules:
//! * [`backup`]: iTunes/Finder backup folders (Manifest.db, Info/Status/Manifest plists,
//!   `xx/<fileID>` layout), plain and encrypted;
//! * [`fs`]: full-filesystem dumps (folder, tar, tar.gz, zip);
//! * [`sysdiagnose`]: sysdiagnose archives;
//! * [`modules`]: one file per artifact module, registered in [`modules::backup_modules`],
//!   [`modules::fs_modules`] and [`modules::sysdiagnose_modules`].

pub mod backup;
pub mod fs;
pub mod modules;
pub mod sysdiagnose;

use std::path::Path;

use ferret_core::AcquisitionKind;

/// Detects the iOS acquisition type of a folder: [`AcquisitionKind::IosBackup`] when it (or its
/// single child folder) holds `Manifest.db` and `Info.plist`/`Manifest.plist`;
/// [`AcquisitionKind::IosFs`] when it holds `private/var`; otherwise `None`. Archives are
/// detected elsewhere.
pub fn detect(path: &Path) -> Option<AcquisitionKind> {
    if !path.is_dir() {
        return None;
    }
    if backup::looks_like_backup(path) {
        return Some(AcquisitionKind::IosBackup);
    }
    if path.join("private").join("var").is_dir() {
        return Some(AcquisitionKind::IosFs);
    }
    None
}
