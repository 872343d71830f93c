//! MVT's result file names where ferret's module names differ.
//!
//! MVT names a module's results `<slug>.json` and its alerts `<slug>_detected.json`, the slug
//! being the module's class name in snake case (`AQFGetProp` → `aqf_get_prop`). For 60 of the
//! modules both tools have, ferret's module name already is that slug (`sms`, `safari_history`,
//! `dumpsys_appops`, `analytics_ios_versions`...). For the seven below it is not; ferret writes
//! both names: its own (which `check-iocs`, `correlate` and the report read) and, with the same
//! bytes, MVT's, so jq scripts written for MVT's results folders keep working.

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
