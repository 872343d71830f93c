//! `applications`: installed apps and their App Store metadata (`applications.json`).
//!
//! Sources:
//! * backups: the root `Info.plist` (`Installed Applications` list; `Applications` dict of
//!   bundle id → `{iTunesMetadata: <plist bytes>, PlaceholderIcon, ...}`) and the root
//!   `Manifest.plist` (`Applications` dict of bundle id → `{CFBundleIdentifier,
//!   CFBundleVersion, Path, ContainerContentClass}`); one record per distinct bundle id,
//!   sorted, with `sources` saying where it was listed;
//! * filesystem dumps: `private/var/containers/Bundle/Application/*/iTunesMetadata.plist`.
//!
//! `iTunesMetadata` facts: `softwareVersionBundleId`, `itemName`, `artistName`,
//! `bundleShortVersionString`, `sourceApp` (who installed it; absent for App Store installs),
//! `com.apple.iTunesStore.downloadInfo.purchaseDate` (`%Y-%m-%dT%H:%M:%SZ`, UTC: ferret reads
//! it as UTC, where MVT reads it as local time). The whole metadata dict is kept in `metadata`.
//!
//! Timeline: `app_purchase` at the purchase date.
//!
//! Checks and levels:
//! * CRITICAL: the bundle id (or `softwareVersionBundleId`) matches an app indicator;
//! * MEDIUM: `sourceApp` is not the App Store (`com.apple.AppStore`,
//!   `com.apple.AppStore.ProductPageExtension`) nor MDM (`com.apple.dmd`, `dmd`): the app was
//!   installed outside the App Store (enterprise/developer sideloading);
//! * MEDIUM: the metadata has no `softwareVersionBundleId`.

use std::collections::BTreeMap;

use ferret_core::{
    ArtifactModule, BackupPath, Context, EvidenceFile, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome,
    ioc_finding,
};
use jiff::Timestamp;
use plist::Value;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// Largest root plist / metadata file read.
const LIMIT: u64 = 256 * 1024 * 1024;

/// Installers that are the App Store or MDM.
pub const TRUSTED_SOURCES: [&str; 4] =
    ["com.apple.AppStore", "com.apple.AppStore.ProductPageExtension", "com.apple.dmd", "dmd"];

/// The `applications` module.
#[derive(Debug, Clone, Copy, Default)]
pub struct Applications;

/// One installed app.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AppRecord {
    /// Bundle identifier as listed.
    pub bundle_id: String,
    /// `itemName`.
    pub name: Option<String>,
    /// `artistName`.
    pub artist_name: Option<String>,
    /// `bundleShortVersionString` (or `CFBundleVersion`).
    pub version: Option<String>,
    /// `sourceApp`: the installer (absent = App Store).
    pub source_app: Option<String>,
    /// `softwareVersionBundleId` from the metadata.
    pub metadata_bundle_id: Option<String>,
    /// Purchase date.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub isodate: Option<Timestamp>,
    /// On-device bundle path (Manifest.plist `Path`) or metadata file path (FS dumps).
    pub path: Option<String>,
    /// Where the app was listed: `Info.plist:Installed Applications`, `Info.plist:Applications`,
    /// `Manifest.plist:Applications`, or the metadata file path.
    pub sources: Vec<String>,
    /// The whole `iTunesMetadata` dict, when present.
    pub metadata: Option<Json>,
}

const LOCATOR: Locator = Locator {
    backup: &[BackupPath { domain: "", path: "Info.plist" }, BackupPath { domain: "", path: "Manifest.plist" }],
    paths: &["private/var/containers/Bundle/Application/*/iTunesMetadata.plist"],
};

fn dict_text(d: &plist::Dictionary, k: &str) -> Option<String> {
    d.get(k).and_then(Value::as_string).map(str::to_string)
}

fn purchase_date(d: &plist::Dictionary) -> Option<Timestamp> {
    let s = d.get("com.apple.iTunesStore.downloadInfo")?.as_dictionary()?.get("purchaseDate")?.as_string()?;
    jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M:%SZ", s)
        .ok()
        .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .or_else(|| s.parse::<Timestamp>().ok())
}

impl AppRecord {
    fn apply_metadata(&mut self, meta: &Value) {
        let Some(d) = meta.as_dictionary() else { return };
        self.name = dict_text(d, "itemName");
        self.artist_name = dict_text(d, "artistName");
        if let Some(v) = dict_text(d, "bundleShortVersionString") {
            self.version = Some(v);
        }
        self.source_app = dict_text(d, "sourceApp");
        self.metadata_bundle_id = dict_text(d, "softwareVersionBundleId");
        self.isodate = purchase_date(d);
        self.metadata = Some(ferret_formats::plist_to_json(meta));
    }
}

impl Applications {
    fn backup_apps(
        &self,
        info: Option<&Value>,
        manifest: Option<&Value>,
        out: &mut Out<'_, '_, Self>,
    ) -> Result<(), ModuleError> {
        let mut apps: BTreeMap<String, AppRecord> = BTreeMap::new();
        let entry = |apps: &mut BTreeMap<String, AppRecord>, id: &str| {
            apps.entry(id.to_string())
                .or_insert_with(|| AppRecord { bundle_id: id.to_string(), ..AppRecord::default() });
        };
        let info_d = info.and_then(Value::as_dictionary);
        if let Some(list) = info_d.and_then(|d| d.get("Installed Applications")).and_then(Value::as_array) {
            for id in list.iter().filter_map(Value::as_string) {
                entry(&mut apps, id);
                if let Some(a) = apps.get_mut(id) {
                    a.sources.push("Info.plist:Installed Applications".into());
                }
            }
        }
        if let Some(m) =
            manifest.and_then(Value::as_dictionary).and_then(|d| d.get("Applications")).and_then(Value::as_dictionary)
        {
            for (id, v) in m {
                entry(&mut apps, id);
                if let Some(a) = apps.get_mut(id) {
                    a.sources.push("Manifest.plist:Applications".into());
                    if let Some(d) = v.as_dictionary() {
                        a.path = dict_text(d, "Path");
                        if a.version.is_none() {
                            a.version = dict_text(d, "CFBundleVersion");
                        }
                    }
                }
            }
        }
        if let Some(m) = info_d.and_then(|d| d.get("Applications")).and_then(Value::as_dictionary) {
            for (id, v) in m {
                entry(&mut apps, id);
                let Some(a) = apps.get_mut(id) else { continue };
                a.sources.push("Info.plist:Applications".into());
                let Some(bytes) = v.as_dictionary().and_then(|d| d.get("iTunesMetadata")).and_then(Value::as_data)
                else {
                    continue;
                };
                match ferret_formats::parse_plist(bytes) {
                    Ok(meta) => a.apply_metadata(&meta),
                    Err(e) => out.warn(format!("Info.plist: Applications.{id}.iTunesMetadata: {e}")),
                }
            }
        }
        for (_, rec) in apps {
            out.record(rec)?;
        }
        Ok(())
    }
}

impl ArtifactModule for Applications {
    type Record = AppRecord;
    const NAME: &'static str = "applications";
    const DESCRIPTION: &'static str = "Installed apps, their App Store metadata and who installed them";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let files = ctx.evidence.locate(&LOCATOR)?;
        if files.is_empty() {
            return Ok(Outcome::NotFound);
        }
        let read = |f: &EvidenceFile| -> Result<Value, ModuleError> {
            let bytes = ctx.evidence.read(f, LIMIT)?;
            ferret_formats::parse_plist(&bytes).map_err(|e| ModuleError::format(&f.path, e.to_string()))
        };
        let is_root =
            |f: &EvidenceFile, name: &str| f.domain.is_none() && f.file_id.is_none() && f.relative_path == name;
        let info_file = files.iter().find(|f| is_root(f, "Info.plist"));
        let manifest_file = files.iter().find(|f| is_root(f, "Manifest.plist"));
        if info_file.is_some() || manifest_file.is_some() {
            let info = info_file.map(read).transpose()?;
            let manifest = match manifest_file.map(read).transpose() {
                Ok(m) => m,
                Err(e) => {
                    out.warn(e.to_string());
                    None
                }
            };
            self.backup_apps(info.as_ref(), manifest.as_ref(), out)?;
        }
        for f in files.iter().filter(|f| f.relative_path.ends_with("iTunesMetadata.plist")) {
            let meta = match read(f) {
                Ok(m) => m,
                Err(e) => {
                    out.warn(e.to_string());
                    continue;
                }
            };
            let mut rec =
                AppRecord { path: Some(f.path.clone()), sources: vec![f.path.clone()], ..AppRecord::default() };
            rec.apply_metadata(&meta);
            rec.bundle_id = rec.metadata_bundle_id.clone().unwrap_or_default();
            out.record(rec)?;
        }
        Ok(Outcome::Completed)
    }

    fn timeline(&self, r: &AppRecord, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.isodate {
            let name = r.name.as_deref().unwrap_or("");
            events.push((t, "app_purchase".into(), format!("App {} {name:?} purchased/installed", r.bundle_id)));
        }
    }

    fn changes(&self, r: &AppRecord, changes: &mut Vec<(Timestamp, String)>) {
        if let Some(t) = r.isodate {
            changes.push((t, format!("App {:?} purchased or installed", r.bundle_id)));
        }
    }

    fn check(&self, r: &AppRecord, ind: &dyn Indicators, findings: &mut Vec<Finding>) {
        let t = r.isodate;
        let mut ids: Vec<&str> = vec![r.bundle_id.as_str()];
        if let Some(m) = r.metadata_bundle_id.as_deref().filter(|m| *m != r.bundle_id) {
            ids.push(m);
        }
        for id in ids.into_iter().filter(|s| !s.is_empty()) {
            if let Some(m) = ind.check_app_id(id) {
                findings.push(ioc_finding(Level::Critical, "Installed app", id, t, m));
                break;
            }
        }
        if r.metadata.is_none() {
            return;
        }
        if let Some(src) = r.source_app.as_deref().filter(|s| !TRUSTED_SOURCES.contains(s)) {
            findings.push(Finding::heuristic(
                Level::Medium,
                format!("App {} was not installed from the App Store or MDM (installed by {src:?})", r.bundle_id),
                t,
            ));
        }
        if r.metadata_bundle_id.as_deref().is_none_or(str::is_empty) {
            findings.push(Finding::heuristic(
                Level::Medium,
                format!("App {} has App Store metadata without a bundle identifier", r.bundle_id),
                t,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::testing::{assert_exact, backup, run};
    use ferret_testdata::fake::TruthIndicators;
    use ferret_testdata::truth::Truth;

    #[test]
    fn recall_and_precision_in_a_backup() {
        let mut truth = Truth::default();
        let apps = ferret_testdata::ios::applications::generate(9, 25, &mut truth);
        let mut dev = ferret_testdata::ios::device::device(9);
        dev.apps = apps;
        let (_d, ev) = backup(&[], &dev);
        let r = run(Applications, &ev, &TruthIndicators::new(&truth));
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_eq!(r.records.len(), 28);
        let first = &r.records[0];
        assert_eq!(first["sources"].as_array().map(Vec::len), Some(3));
        assert!(first["path"].as_str().is_some_and(|p| p.starts_with("/private/var/containers/Bundle/Application/")));
        assert_eq!(r.timeline.len(), 28);
        assert_exact(&truth, &r, "applications");
    }

    #[test]
    fn recall_and_precision_in_a_fs_dump() {
        let mut truth = Truth::default();
        let apps = ferret_testdata::ios::applications::generate(4, 10, &mut truth);
        let files = ferret_testdata::ios::applications::fs_files(&apps);
        let dir = tempfile::tempdir().expect("dir");
        for f in &files {
            let p = dir.path().join(&f.fs_path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, &f.bytes).expect("w");
        }
        let ev = ferret_core::evidence::FolderEvidence::new(dir.path(), ferret_core::AcquisitionKind::IosFs);
        let r = run(Applications, &ev, &TruthIndicators::new(&truth));
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 13);
        // the app without softwareVersionBundleId has no bundle id here: its marker is its name
        let mut truth_fs = truth.clone();
        for e in &mut truth_fs.alerts {
            if e.marker.contains("ferretnobundle") {
                e.marker = "without a bundle identifier".into();
            }
        }
        assert_exact(&truth_fs, &r, "applications");
    }

    #[test]
    fn edge_cases() {
        let mut dev = ferret_testdata::ios_backup::DeviceSpec::default();
        dev.apps.push(ferret_testdata::ios_backup::AppSpec {
            bundle_id: "com.example.broken".into(),
            version: "1".into(),
            itunes_metadata: Some(b"bplist00garbage".to_vec()),
            container: "X".into(),
        });
        dev.apps.push(ferret_testdata::ios_backup::AppSpec {
            bundle_id: "com.example.nometa".into(),
            version: "1".into(),
            itunes_metadata: None,
            container: "Y".into(),
        });
        let (_d, ev) = backup(&[], &dev);
        let r = run(Applications, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 2);
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        assert!(r.alerts.is_empty(), "apps without readable metadata are not judged");
        let fe =
            ferret_core::evidence::FolderEvidence::new(_d.path().join("nothing"), ferret_core::AcquisitionKind::IosFs);
        assert_eq!(run(Applications, &fe, &ferret_core::NoIndicators).outcome, Ok(Outcome::NotFound));
    }
}
