//! # ferret-ios
//!
//! iOS acquisitions and their artifact modules:
//! * [`backup`]: iTunes/Finder backup folders (Manifest.db, Info/Status/Manifest plists,
//!   `xx/<fileID>` layout), plain and encrypted;
//! * [`fs`]: full-filesystem dumps (folder, tar, tar.gz, zip);
//! * [`sysdiagnose`]: sysdiagnose archives;
//! * the facade every platform crate offers: [`detect()`], [`open()`] with the user's
//!   [`ferret_core::Secrets`], [`modules()`], and the one error type [`IosError`];
//! * [`census`]: the process census, a pass after the modules that classifies every process
//!   name they read against a known-good catalogue of Apple's executables;
//! * [`mod@detect`]: which of these a path is, from content each type must have;
//! * [`mod@modules`]: one file per artifact module, registered in [`modules::backup_modules`],
//!   [`modules::fs_modules`] and [`modules::sysdiagnose_modules`].

pub mod backup;
pub mod census;
pub mod detect;
pub mod fs;
pub mod modules;
mod open;
pub mod sysdiagnose;

pub use detect::detect;
pub use open::{IosError, key_source, modules, open, parse_key_text, post_runs};
