//! MVT's result file names where ferret's module names differ.
//!
//! MVT names a module's results `<slug>.json` and its alerts `<slug>_detected.json`, the slug
//! being the module's class name in snake case (`AQFGetProp` → `aqf_get_prop`). For 60 of the
//! modules both tools have, ferret's module name already is that slug (`sms`, `safari_history`,
//! `dumpsys_appops`, `analytics_ios_versions`...). For the seven below it is not; ferret writes
//! both names: its own (which `check-iocs`, `correlate` and the report read) and, with the same
//! bytes, MVT's, so jq scripts written for MVT's results folders keep working.
//!
//! `timeline.csv`'s Plugin column holds a module's MVT class name, as MVT's does
//! ([`plugin_name`]): `SMS`, `SafariHistory`, `DumpsysGetProp`... For ferret's own modules
//! (none in MVT) it is the module name in the same style (`whatsapp_group_delivery` →
//! `WhatsappGroupDelivery`). [`module_of_plugin`] turns it back, for `ferret report`.

use std::borrow::Cow;
use std::path::Path;

use crate::error::ReportError;

/// `(ferret module, MVT file stem)`, where they differ (MVT class in the comment).
pub const MVT_FILE_NAMES: [(&str, &str); 7] = [
    ("aqf_getprop", "aqf_get_prop"),                   // AQFGetProp (androidqf)
    ("getprop", "dumpsys_get_prop"),                   // DumpsysGetProp (bugreport)
    ("dumpsys_dbinfo", "dumpsys_db_info"),             // DumpsysDBInfo
    ("bugreport_timestamps", "bug_report_timestamps"), // BugReportTimestamps
    ("locationd", "locationd_clients"),                // LocationdClients
    ("os_analytics_addaily", "os_analytics_ad_daily"), // OSAnalyticsADDaily
    ("webkit_indexeddb", "webkit_indexed_db"),         // WebkitIndexedDB
];

/// MVT's file stem for `module`, when it differs from the module's name.
pub fn mvt_file_stem(module: &str) -> Option<&'static str> {
    MVT_FILE_NAMES.iter().find(|(m, _)| *m == module).map(|(_, s)| *s)
}

/// `(ferret module, MVT class)` for every module both tools have whose class name is not the
/// module name in upper camel case (`safari_history` → `SafariHistory` needs no entry).
pub const MVT_CLASS_NAMES: [(&str, &str); 20] = [
    ("aqf_files", "AQFFiles"),
    ("aqf_getprop", "AQFGetProp"),
    ("aqf_log_timestamps", "AQFLogTimestamps"),
    ("aqf_packages", "AQFPackages"),
    ("aqf_processes", "AQFProcesses"),
    ("aqf_settings", "AQFSettings"),
    ("bugreport_timestamps", "BugReportTimestamps"),
    ("dumpsys_adb_state", "DumpsysADBState"),
    ("dumpsys_dbinfo", "DumpsysDBInfo"),
    ("getprop", "DumpsysGetProp"),
    ("id_status_cache", "IDStatusCache"),
    ("ios_version_history", "IOSVersionHistory"),
    ("analytics_ios_versions", "AnalyticsIOSVersions"),
    ("locationd", "LocationdClients"),
    ("os_analytics_addaily", "OSAnalyticsADDaily"),
    ("sms", "SMS"),
    ("sms_attachments", "SMSAttachments"),
    ("tcc", "TCC"),
    ("webkit_indexeddb", "WebkitIndexedDB"),
    ("interaction_c", "InteractionC"),
];

/// The Plugin name of `module` in `timeline.csv`: MVT's class name (see [`MVT_CLASS_NAMES`]),
/// else the module name in upper camel case.
pub fn plugin_name(module: &str) -> Cow<'static, str> {
    if let Some((_, class)) = MVT_CLASS_NAMES.iter().find(|(m, _)| *m == module) {
        return Cow::Borrowed(class);
    }
    let mut out = String::with_capacity(module.len());
    for part in module.split('_') {
        let mut c = part.chars();
        if let Some(first) = c.next() {
            out.extend(first.to_uppercase());
            out.push_str(c.as_str());
        }
    }
    Cow::Owned(out)
}

/// The module a `timeline.csv` Plugin name stands for: the inverse of [`plugin_name`] for every
/// module name made of lower-case words joined by `_`. A name with no upper-case letter is
/// taken as a module name already (timelines written before Plugin names were MVT's).
pub fn module_of_plugin(plugin: &str) -> Cow<'_, str> {
    if let Some((m, _)) = MVT_CLASS_NAMES.iter().find(|(_, c)| *c == plugin) {
        return Cow::Borrowed(m);
    }
    if !plugin.bytes().any(|b| b.is_ascii_uppercase()) {
        return Cow::Borrowed(plugin);
    }
    let mut out = String::with_capacity(plugin.len() + 4);
    for (i, ch) in plugin.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    Cow::Owned(out)
}

/// The files a results folder may hold under MVT's names for `module`.
pub(crate) fn alias_files(module: &str) -> Vec<String> {
    mvt_file_stem(module).map(|s| vec![format!("{s}.json"), format!("{s}_detected.json")]).unwrap_or_default()
}

/// For each module of `modules` that MVT names differently: `<mvt>.json` and
/// `<mvt>_detected.json` as copies of ferret's two files, or removed when ferret's is absent
/// (so a re-check never leaves a stale copy).
pub(crate) fn write_aliases<'a>(dir: &Path, modules: impl IntoIterator<Item = &'a str>) -> Result<(), ReportError> {
    for m in modules {
        let Some(stem) = mvt_file_stem(m) else { continue };
        for suffix in [".json", "_detected.json"] {
            let src = dir.join(format!("{m}{suffix}"));
            let dst = dir.join(format!("{stem}{suffix}"));
            if dst.is_file() {
                std::fs::remove_file(&dst).map_err(|e| ReportError::io("remove stale", &dst, e))?;
            }
            if src.is_file() {
                std::fs::copy(&src, &dst).map_err(|e| ReportError::io("write", &dst, e))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MVT's slug rule (class name → snake case) applied to the classes of the table gives the
    /// stems it lists, and none of them is a ferret module name of its own.
    #[test]
    fn stems_follow_mvt_slug_rule() {
        fn slug(class: &str) -> String {
            // "(.)([A-Z][a-z]+)" → "\1_\2", then "([a-z0-9])([A-Z])" → "\1_\2", lower case
            let c: Vec<char> = class.chars().collect();
            let mut a = String::new();
            for i in 0..c.len() {
                if i > 0 && c[i].is_ascii_uppercase() && c.get(i + 1).is_some_and(|n| n.is_ascii_lowercase()) {
                    a.push('_');
                }
                a.push(c[i]);
            }
            let c: Vec<char> = a.chars().collect();
            let mut b = String::new();
            for i in 0..c.len() {
                if i > 0 && c[i].is_ascii_uppercase() && (c[i - 1].is_ascii_lowercase() || c[i - 1].is_ascii_digit()) {
                    b.push('_');
                }
                b.push(c[i]);
            }
            b.to_lowercase()
        }
        let classes = [
            "AQFGetProp",
            "DumpsysGetProp",
            "DumpsysDBInfo",
            "BugReportTimestamps",
            "LocationdClients",
            "OSAnalyticsADDaily",
            "WebkitIndexedDB",
        ];
        for (class, (_, stem)) in classes.iter().zip(MVT_FILE_NAMES) {
            assert_eq!(slug(class), stem, "{class}");
        }
        // classes whose slug is ferret's own name need no copy
        assert_eq!(slug("IDStatusCache"), "id_status_cache");
        assert_eq!(slug("AnalyticsIOSVersions"), "analytics_ios_versions");
        assert_eq!(mvt_file_stem("id_status_cache"), None);
    }

    /// MVT's class names, as its module classes are named (MVT 2.x, `mvt.ios.modules` and
    /// `mvt.android.modules`), for ferret modules of the same job, and the name each gives.
    #[test]
    fn plugin_names_are_mvt_class_names() {
        for (module, class) in [
            ("sms", "SMS"),
            ("safari_history", "SafariHistory"),
            ("whatsapp", "Whatsapp"),
            ("whatsapp_contacts", "WhatsappContacts"),
            ("datausage", "Datausage"),
            ("netusage", "Netusage"),
            ("shutdown_log", "ShutdownLog"),
            ("webkit_safari_view_service", "WebkitSafariViewService"),
            ("getprop", "DumpsysGetProp"),
            ("aqf_getprop", "AQFGetProp"),
            ("dumpsys_appops", "DumpsysAppops"),
            ("dumpsys_adb_state", "DumpsysADBState"),
            ("dumpsys_battery_history", "DumpsysBatteryHistory"),
            ("analytics_ios_versions", "AnalyticsIOSVersions"),
            ("locationd", "LocationdClients"),
            ("tcc", "TCC"),
            // ferret's own modules, in the same style
            ("whatsapp_group_delivery", "WhatsappGroupDelivery"),
            ("ps", "Ps"),
            ("net_dns", "NetDns"),
        ] {
            assert_eq!(plugin_name(module), class, "{module}");
            assert_eq!(module_of_plugin(class), module, "{class}");
        }
        // timelines written before: the module name itself
        assert_eq!(module_of_plugin("safari_history"), "safari_history");
        // MVT's file stems of the renamed modules follow from the same classes
        for (module, stem) in MVT_FILE_NAMES {
            let class = plugin_name(module);
            assert!(MVT_CLASS_NAMES.iter().any(|(m, c)| *m == module && *c == class), "{module} -> {stem}");
        }
    }

    #[test]
    fn copies_both_files_and_removes_stale_ones() {
        let d = tempfile::tempdir().expect("tmp");
        std::fs::write(d.path().join("aqf_getprop.json"), b"[1]").expect("w");
        std::fs::write(d.path().join("aqf_getprop_detected.json"), b"[2]").expect("w");
        std::fs::write(d.path().join("dumpsys_db_info_detected.json"), b"stale").expect("w");
        write_aliases(d.path(), ["aqf_getprop", "dumpsys_dbinfo", "sms"]).expect("aliases");
        assert_eq!(std::fs::read(d.path().join("aqf_get_prop.json")).expect("r"), b"[1]");
        assert_eq!(std::fs::read(d.path().join("aqf_get_prop_detected.json")).expect("r"), b"[2]");
        assert!(!d.path().join("dumpsys_db_info_detected.json").exists());
        assert!(!d.path().join("dumpsys_db_info.json").exists());
        let mut names: Vec<String> = std::fs::read_dir(d.path())
            .expect("ls")
            .map(|e| e.expect("e").file_name().to_string_lossy().into())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["aqf_get_prop.json", "aqf_get_prop_detected.json", "aqf_getprop.json", "aqf_getprop_detected.json"]
        );
    }
}
