//! # ferret-ios
//!
//! iOS acquisitions and their artifact modules:
//! * [`backup`]: iTunes/Finder backup folders (Manifest.db, Info/Status/Manifest plists,
//!   `xx/<fileID>` layout), plain and encrypted;
//! * [`fs`]: full-filesystem dumps (folder, tar, tar.gz, zip);
//! * [`sysdiagnose`]: sysdiagnose archives;
//! * [`mod@detect`]: which of these a path is, from content each type must have;
//! * [`modules`]: one file per artifact module, registered in [`modules::backup_modules`],
//!   [`modules::fs_modules`] and [`modules::sysdiagnose_modules`].

pub mod backup;
pub mod detect;
pub mod fs;
pub mod modules;
pub mod sysdiagnose;

pub use detect::detect;
