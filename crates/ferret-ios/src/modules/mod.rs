//! Artifact modules, one file each. Registering a module is one line in the lists below.

#[allow(unused_imports)]
use ferret_core::{Module, Typed};

pub mod analytics;
pub mod applications;
pub mod backup_info;
pub mod cache_files;
pub mod calendar;
pub mod calls;
pub mod chrome_favicon;
pub mod chrome_history;
pub mod configuration_profiles;
pub mod contacts;
pub mod crash_logs;
pub mod datausage;
pub mod executable_paths;
pub mod filesystem;
pub mod firefox_favicon;
pub mod firefox_history;
pub mod global_preferences;
pub mod id_status_cache;
pub mod interaction_c;
pub mod ios_version_history;
pub mod locationd;
pub mod manifest;
pub mod mobile_installation;
pub mod netusage;
pub mod os_analytics_addaily;
pub mod os_version;
pub mod profile_events;
pub mod ps;
pub mod safari_browser_state;
pub mod safari_favicon;
pub mod safari_history;
pub mod shortcuts;
pub mod shutdown_log;
pub mod sms;
pub mod sms_attachments;
pub mod tcc;
#[cfg(feature = "unified-log")]
pub mod unified_log;
pub mod webkit_resource_load_statistics;
pub mod webkit_session_resource_log;
pub mod webkit_stores;
pub mod whatsapp;
pub mod whatsapp_chat_sessions;
pub mod whatsapp_contacts;
pub mod whatsapp_group_delivery;

#[cfg(test)]
pub(crate) mod testing;

/// Modules that read artifacts present in both backups and filesystem dumps ("mixed").
/// Each has both `backup` and `paths` in its locator.
pub fn mixed_modules() -> Vec<Box<dyn Module>> {
    vec![
        // one registration line per module, e.g. Box::new(Typed(sms::Sms)),
        Box::new(Typed(applications::Applications)),
        Box::new(Typed(sms::Sms)),
        Box::new(Typed(sms_attachments::SmsAttachments)),
        Box::new(Typed(safari_history::SafariHistory)),
        Box::new(Typed(datausage::Datausage::default())),
        Box::new(Typed(tcc::Tcc)),
        Box::new(Typed(whatsapp::Whatsapp)),
        Box::new(Typed(whatsapp_chat_sessions::WhatsappChatSessions)),
        Box::new(Typed(whatsapp_group_delivery::WhatsappGroupDelivery)),
        Box::new(Typed(calls::Calls)),
        Box::new(Typed(contacts::Contacts)),
        Box::new(Typed(calendar::Calendar)),
        Box::new(Typed(chrome_history::ChromeHistory)),
        Box::new(Typed(chrome_favicon::ChromeFavicon)),
        Box::new(Typed(firefox_history::FirefoxHistory)),
        Box::new(Typed(firefox_favicon::FirefoxFavicon)),
        Box::new(Typed(global_preferences::GlobalPreferences)),
        Box::new(Typed(id_status_cache::IdStatusCache)),
        Box::new(Typed(locationd::Locationd)),
        Box::new(Typed(os_analytics_addaily::OsAnalyticsAdDaily)),
        Box::new(Typed(whatsapp_contacts::WhatsappContacts)),
        Box::new(Typed(webkit_resource_load_statistics::WebkitResourceLoadStatistics)),
        Box::new(Typed(webkit_session_resource_log::WebkitSessionResourceLog)),
        Box::new(Typed(shortcuts::Shortcuts)),
        Box::new(Typed(safari_browser_state::SafariBrowserState)),
        Box::new(Typed(interaction_c::InteractionC)),
        // Info.plist in backups, SystemVersion.plist in filesystem dumps.
        Box::new(Typed(os_version::OsVersion)),
    ]
}

/// Modules that only exist in backups (Info.plist, Manifest.db, ...).
pub fn backup_only_modules() -> Vec<Box<dyn Module>> {
    vec![
        Box::new(Typed(backup_info::BackupInfo)),
        Box::new(Typed(manifest::Manifest)),
        Box::new(Typed(configuration_profiles::ConfigurationProfiles)),
        Box::new(Typed(profile_events::ProfileEvents)),
    ]
}

/// Modules that only exist in filesystem dumps.
pub fn fs_only_modules() -> Vec<Box<dyn Module>> {
    vec![
        Box::new(Typed(shutdown_log::ShutdownLog)),
        Box::new(Typed(crash_logs::CrashLogs)),
        Box::new(Typed(mobile_installation::MobileInstallation)),
        Box::new(Typed(filesystem::Filesystem)),
        Box::new(netusage::Netusage),
        Box::new(Typed(cache_files::CacheFiles)),
        Box::new(Typed(webkit_stores::WebkitIndexedDb)),
        Box::new(Typed(webkit_stores::WebkitLocalStorage)),
        Box::new(Typed(webkit_stores::WebkitSafariViewService)),
        Box::new(Typed(safari_favicon::SafariFavicon)),
        Box::new(Typed(ios_version_history::IosVersionHistory)),
        Box::new(Typed(analytics::Analytics)),
        Box::new(Typed(analytics::AnalyticsIosVersions)),
        #[cfg(feature = "unified-log")]
        Box::new(Typed(unified_log::UnifiedLog)),
    ]
}

/// Modules run by `ferret ios check-backup`: the runner starts them in this order, so the
/// largest artifacts (messages, browsing history, the manifest) come first.
pub fn backup_modules() -> Vec<Box<dyn Module>> {
    largest_first(backup_only_modules().into_iter().chain(mixed_modules()).collect())
}

/// Typically largest artifacts first (by row count on real phones), the rest in list order.
const LARGEST: [&str; 6] = ["sms", "whatsapp", "safari_history", "manifest", "filesystem", "sms_attachments"];

fn largest_first(mut m: Vec<Box<dyn Module>>) -> Vec<Box<dyn Module>> {
    m.sort_by_key(|x| LARGEST.iter().position(|n| *n == x.info().name).unwrap_or(LARGEST.len()));
    m
}

/// Modules run by `ferret ios check-fs`.
pub fn fs_modules() -> Vec<Box<dyn Module>> {
    largest_first(fs_only_modules().into_iter().chain(mixed_modules()).collect())
}

/// Modules run by `ferret ios check-sysdiagnose`.
pub fn sysdiagnose_modules() -> Vec<Box<dyn Module>> {
    vec![
        Box::new(Typed(shutdown_log::ShutdownLog)),
        Box::new(Typed(ps::Ps)),
        Box::new(Typed(crash_logs::CrashLogs)),
        Box::new(Typed(mobile_installation::MobileInstallation)),
        #[cfg(feature = "unified-log")]
        Box::new(Typed(unified_log::UnifiedLog)),
    ]
}
