//! Android artifact modules, one file each, and the per-acquisition lists.
//!
//! Slugs follow MVT where a module exists there (`dumpsys_*`, `getprop`, `processes`,
//! `tombstones`, `root_binaries`, `mounts`, `sms`); androidqf's own files use the `aqf_` prefix
//! (as MVT's `aqf_packages` etc.), so the androidqf modules and the modules of its nested
//! bugreport never write the same `<slug>.json`.

use std::sync::Arc;

use ferret_core::{AcquisitionKind, Module, Typed};

use crate::dumpstate::DumpstateCache;

pub mod acquisition_hashes;
pub mod aqf_files;
pub mod aqf_log_timestamps;
pub mod aqf_packages;
pub mod aqf_settings;
pub mod bugreport_timestamps;
pub mod connect_event;
pub mod dns_event;
pub mod dumpsys_accessibility;
pub mod dumpsys_activities;
pub mod dumpsys_adb_state;
pub mod dumpsys_appops;
pub mod dumpsys_battery_daily;
pub mod dumpsys_battery_history;
pub mod dumpsys_dbinfo;
pub mod dumpsys_device_admins;
pub mod dumpsys_notification_listeners;
pub mod dumpsys_packages;
pub mod dumpsys_platform_compat;
pub mod dumpsys_receivers;
pub mod getprop;
pub mod logcat;
pub mod mounts;
pub mod processes;
pub mod root_binaries;
pub mod security_event;
pub mod sms;
pub mod stalkerware_score;
pub mod tombstones;

/// Modules reading a bugreport (also run on the bugreport nested in an androidqf collection).
/// They share one [`DumpstateCache`].
pub fn bugreport_modules() -> Vec<Box<dyn Module>> {
    let c = DumpstateCache::new();
    vec![
        Box::new(Typed(stalkerware_score::StalkerwareScore(Arc::clone(&c)))),
        Box::new(Typed(dumpsys_packages::DumpsysPackages(Arc::clone(&c)))),
        Box::new(Typed(dumpsys_accessibility::DumpsysAccessibility(Arc::clone(&c)))),
        Box::new(Typed(dumpsys_device_admins::DumpsysDeviceAdmins(Arc::clone(&c)))),
        Box::new(Typed(dumpsys_notification_listeners::DumpsysNotificationListeners(Arc::clone(&c)))),
        Box::new(Typed(dumpsys_receivers::DumpsysReceivers(Arc::clone(&c)))),
        Box::new(Typed(dumpsys_activities::DumpsysActivities(Arc::clone(&c)))),
        Box::new(Typed(dumpsys_appops::DumpsysAppops(Arc::clone(&c)))),
        Box::new(Typed(dumpsys_battery_daily::DumpsysBatteryDaily(Arc::clone(&c)))),
        Box::new(Typed(dumpsys_battery_history::DumpsysBatteryHistory(Arc::clone(&c)))),
        Box::new(Typed(dumpsys_dbinfo::DumpsysDbinfo(Arc::clone(&c)))),
        Box::new(Typed(dumpsys_adb_state::DumpsysAdbState(Arc::clone(&c)))),
        Box::new(Typed(dumpsys_platform_compat::DumpsysPlatformCompat(Arc::clone(&c)))),
        Box::new(Typed(getprop::GetProp(Arc::clone(&c)))),
        Box::new(Typed(processes::Processes(Arc::clone(&c)))),
        Box::new(Typed(logcat::Logcat)),
        Box::new(Typed(tombstones::Tombstones)),
        Box::new(Typed(bugreport_timestamps::BugreportTimestamps)),
    ]
}

/// Modules reading androidqf's own files.
pub fn androidqf_modules() -> Vec<Box<dyn Module>> {
    vec![
        Box::new(Typed(aqf_packages::AqfPackages)),
        Box::new(Typed(processes::AqfProcesses)),
        Box::new(Typed(getprop::AqfGetProp)),
        Box::new(Typed(aqf_settings::AqfSettings)),
        Box::new(Typed(aqf_files::AqfFiles)),
        Box::new(Typed(root_binaries::RootBinaries)),
        Box::new(Typed(mounts::Mounts)),
        Box::new(Typed(logcat::AqfLogcat)),
        Box::new(Typed(acquisition_hashes::AcquisitionHashes)),
        Box::new(Typed(aqf_log_timestamps::AqfLogTimestamps)),
    ]
}

/// Modules reading an Android backup.
pub fn backup_modules() -> Vec<Box<dyn Module>> {
    vec![Box::new(Typed(sms::SmsBackup))]
}

/// Modules reading Android intrusion logs (an export, or the `intrusion_logs/` folder of an
/// androidqf collection), in MVT's order.
pub fn intrusion_modules() -> Vec<Box<dyn Module>> {
    vec![
        Box::new(Typed(dns_event::DnsEvents)),
        Box::new(Typed(connect_event::ConnectEvents)),
        Box::new(Typed(security_event::SecurityEvents)),
    ]
}

/// Every module to run on an acquisition of `kind` (androidqf: its own, then those of the nested
/// bugreport and backup, which [`crate::open`] mounts inside the evidence, then the intrusion-log
/// modules on its `intrusion_logs/` folder).
pub fn modules(kind: AcquisitionKind) -> Vec<Box<dyn Module>> {
    match kind {
        AcquisitionKind::AndroidBugreport => bugreport_modules(),
        AcquisitionKind::AndroidBackup => backup_modules(),
        AcquisitionKind::AndroidIntrusionLogs => intrusion_modules(),
        AcquisitionKind::AndroidQf => {
            let mut v = androidqf_modules();
            v.extend(bugreport_modules());
            v.extend(backup_modules());
            v.extend(intrusion_modules());
            v
        }
        _ => Vec::new(),
    }
}
