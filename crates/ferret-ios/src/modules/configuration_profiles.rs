//! `configuration_profiles`: installed configuration profiles (`configuration_profiles.json`).
//!
//! Location: backup domain `SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles`,
//! files whose name starts with `profile-` (iOS keeps `Library/ConfigurationProfiles/
//! profile-<hash>.stub`, a plist copy of the installed profile: `PayloadUUID`,
//! `PayloadIdentifier`, `PayloadDisplayName`, `PayloadContent` [payload dicts with
//! `PayloadType`], `InstallDate`, `SignerCerts` when the profile was signed). The whole plist is
//! kept in `plist` (binary values base64).
//!
//! Timeline: `configuration_profile_install` at `InstallDate`.
//!
//! Checks and levels:
//! * CRITICAL: `PayloadUUID` or `PayloadIdentifier` matches a configuration-profile indicator;
//! * MEDIUM: a payload installs a root/trusted certificate (`com.apple.security.root`,
//!   `com.apple.security.pkcs1`): it lets its owner intercept TLS traffic;
//! * MEDIUM: a payload sets a global HTTP proxy (`com.apple.proxy.http.global`);
//! * MEDIUM: a payload installs a managed VPN (`com.apple.vpn.managed`);
//! * MEDIUM: a payload changes notification settings (`com.apple.notificationsettings`), which
//!   can hide an app's notifications (MVT raises this one only for the first payload and only
//!   with indicators loaded; ferret checks every payload, always);
//! * LOW: the profile is not signed (no `SignerCerts`).
//!
//! The heuristics run without indicators. One alert per category per profile.

use ferret_core::{
    ArtifactModule, BackupPath, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// Largest profile stub read.
const LIMIT: u64 = 16 * 1024 * 1024;

/// The `configuration_profiles` module.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConfigurationProfiles;

/// One installed profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileRecord {
    /// Backup file ID (absent outside backups).
    pub file_id: Option<String>,
    /// Path relative to the domain.
    pub relative_path: String,
    /// Backup domain.
    pub domain: Option<String>,
    /// `PayloadUUID`.
    pub profile_uuid: Option<String>,
    /// `PayloadIdentifier`.
    pub profile_identifier: Option<String>,
    /// `PayloadDisplayName`.
    pub display_name: Option<String>,
    /// `PayloadType` of every payload in `PayloadContent`.
    pub payload_types: Vec<String>,
    /// Whether `SignerCerts` is present and non-empty.
    pub signed: bool,
    /// `InstallDate`.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub install_date: Option<Timestamp>,
    /// The whole plist.
    pub plist: Json,
}

const LOCATOR: Locator = Locator {
    backup: &[BackupPath {
        domain: "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles",
        path: "**/profile-*",
    }],
    paths: &[],
};

fn payload_types(plist: &Json) -> Vec<String> {
    match plist.get("PayloadContent") {
        Some(Json::Array(items)) => {
            items.iter().filter_map(|p| p.get("PayloadType").and_then(Json::as_str).map(str::to_string)).collect()
        }
        _ => Vec::new(),
    }
}

impl ProfileRecord {
    /// Builds a record from a parsed stub.
    pub fn from_plist(v: &plist::Value, file: &ferret_core::EvidenceFile) -> Self {
        let plist = ferret_formats::plist_to_json(v);
        let text = |k: &str| plist.get(k).and_then(Json::as_str).map(str::to_string);
        let signed = match v.as_dictionary().and_then(|d| d.get("SignerCerts")) {
            Some(plist::Value::Array(a)) => !a.is_empty(),
            Some(plist::Value::Data(d)) => !d.is_empty(),
            _ => false,
        };
        Self {
            file_id: file.file_id.clone(),
            relative_path: file.relative_path.clone(),
            domain: file.domain.clone(),
            profile_uuid: text("PayloadUUID"),
            profile_identifier: text("PayloadIdentifier"),
            display_name: text("PayloadDisplayName"),
            payload_types: payload_types(&plist),
            signed,
            install_date: v
                .as_dictionary()
                .and_then(|d| d.get("InstallDate"))
                .and_then(plist::Value::as_date)
                .and_then(ferret_formats::plist_date),
            plist,
        }
    }

    fn label(&self) -> String {
        let name = self.display_name.as_deref().unwrap_or("(no name)");
        let id = self.profile_identifier.as_deref().or(self.profile_uuid.as_deref()).unwrap_or("(no identifier)");
        format!("{name:?} ({id})")
    }
}

impl ArtifactModule for ConfigurationProfiles {
    type Record = ProfileRecord;
    const NAME: &'static str = "configuration_profiles";
    const DESCRIPTION: &'static str =
        "Installed configuration profiles: root certificates, proxies, VPNs, unsigned profiles";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let files = ctx.evidence.locate(&LOCATOR)?;
        let files: Vec<_> = files
            .into_iter()
            .filter(|f| f.relative_path.rsplit('/').next().is_some_and(|n| n.starts_with("profile-")))
            .collect();
        if files.is_empty() {
            return Ok(Outcome::NotFound);
        }
        for f in &files {
            let bytes = match ctx.evidence.read(f, LIMIT) {
                Ok(b) => b,
                Err(e) => {
                    out.warn(format!("{}: {e}", f.path));
                    continue;
                }
            };
            match ferret_formats::parse_plist(&bytes) {
                Ok(v) if v.as_dictionary().is_some() => out.record(ProfileRecord::from_plist(&v, f))?,
                Ok(_) => out.warn(format!("{}: not a dictionary plist; skipped", f.path)),
                Err(e) => out.warn(format!("{}: {e}; skipped", f.path)),
            }
        }
        Ok(Outcome::Completed)
    }

    fn timeline(&self, r: &ProfileRecord, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.install_date {
            events.push((
                t,
                "configuration_profile_install".into(),
                format!("Configuration profile {} installed", r.label()),
            ));
        }
    }

    fn changes(&self, r: &ProfileRecord, changes: &mut Vec<(Timestamp, String)>) {
        let Some(t) = r.install_date else { return };
        let has = |kinds: &[&str]| r.payload_types.iter().any(|p| kinds.contains(&p.as_str()));
        let mut what = Vec::new();
        if has(&["com.apple.security.root", "com.apple.security.pkcs1"]) {
            what.push("a root certificate");
        }
        if has(&["com.apple.vpn.managed", "com.apple.vpn.managed.applayer"]) {
            what.push("a VPN");
        }
        if has(&["com.apple.mdm"]) {
            what.push("device management (MDM)");
        }
        let with = if what.is_empty() { String::new() } else { format!(" with {}", what.join(", ")) };
        changes.push((t, format!("Configuration profile {} installed{with}", r.label())));
    }

    fn check(&self, r: &ProfileRecord, ind: &dyn Indicators, findings: &mut Vec<Finding>) {
        let t = r.install_date;
        for id in [r.profile_uuid.as_deref(), r.profile_identifier.as_deref()].into_iter().flatten() {
            if let Some(m) = ind.check_profile(id) {
                findings.push(ioc_finding(
                    Level::Critical,
                    &format!("Known malicious configuration profile {}:", r.label()),
                    id,
                    t,
                    m,
                ));
                break;
            }
        }
        let has = |kinds: &[&str]| r.payload_types.iter().any(|p| kinds.contains(&p.as_str()));
        let label = r.label();
        if has(&["com.apple.security.root", "com.apple.security.pkcs1"]) {
            findings.push(Finding::heuristic(Level::Medium, format!("Configuration profile {label} installs a certificate that can be trusted as a root: it can intercept encrypted traffic"), t));
        }
        if has(&["com.apple.proxy.http.global"]) {
            findings.push(Finding::heuristic(
                Level::Medium,
                format!("Configuration profile {label} routes all web traffic through a global HTTP proxy"),
                t,
            ));
        }
        if has(&["com.apple.vpn.managed"]) {
            findings.push(Finding::heuristic(
                Level::Medium,
                format!("Configuration profile {label} installs a managed VPN"),
                t,
            ));
        }
        if has(&["com.apple.notificationsettings"]) {
            findings.push(Finding::heuristic(
                Level::Medium,
                format!(
                    "Configuration profile {label} changes notification settings: it may hide an app's notifications"
                ),
                t,
            ));
        }
        if !r.signed {
            findings.push(Finding::heuristic(Level::Low, format!("Configuration profile {label} is not signed"), t));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::testing::{assert_exact, backup, run};
    use ferret_testdata::fake::TruthIndicators;
    use ferret_testdata::ios_backup::DeviceSpec;
    use ferret_testdata::truth::Truth;

    #[test]
    fn recall_and_precision() {
        let mut truth = Truth::default();
        let mut files = ferret_testdata::ios::configuration_profiles::generate(5, 20, &mut truth);
        // a non-profile file in the same domain is ignored; a corrupt stub is a warning
        files.push(ferret_testdata::ArtifactFile {
            domain: ferret_testdata::ios::configuration_profiles::DOMAIN.into(),
            relative_path: "Library/ConfigurationProfiles/CloudConfigurationDetails.plist".into(),
            fs_path: String::new(),
            bytes: b"<plist><dict/></plist>".to_vec(),
            mtime: 0,
        });
        files.push(ferret_testdata::ArtifactFile {
            domain: ferret_testdata::ios::configuration_profiles::DOMAIN.into(),
            relative_path: "Library/ConfigurationProfiles/profile-broken.stub".into(),
            fs_path: String::new(),
            bytes: b"bplist00\x00\x01".to_vec(),
            mtime: 0,
        });
        let (_d, ev) = backup(&files, &DeviceSpec::default());
        let r = run(ConfigurationProfiles, &ev, &TruthIndicators::new(&truth));
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 26);
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        assert!(r.warnings[0].contains("profile-broken.stub"));
        assert_eq!(r.timeline.len(), 26);
        assert!(r.records.iter().all(|x| x["plist"]["PayloadUUID"].is_string()));
        assert_exact(&truth, &r, "configuration_profiles");
        // heuristics still run without indicators; the CRITICAL needs them
        let r = run(ConfigurationProfiles, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.alerts.len(), truth.alerts.len() - 1);
    }

    #[test]
    fn hostile_stub_is_a_warning_not_a_crash() {
        let mut deep = b"<?xml version=\"1.0\"?><plist><dict><key>PayloadContent</key>".to_vec();
        deep.extend(std::iter::repeat_n(b"<array>".as_slice(), 100_000).flatten());
        let f = ferret_testdata::ArtifactFile {
            domain: ferret_testdata::ios::configuration_profiles::DOMAIN.into(),
            relative_path: "Library/ConfigurationProfiles/profile-deep.stub".into(),
            fs_path: String::new(),
            bytes: deep,
            mtime: 0,
        };
        let (_d, ev) = backup(&[f], &DeviceSpec::default());
        let r = run(ConfigurationProfiles, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert!(r.records.is_empty());
        assert!(r.warnings[0].contains("nests deeper"), "{:?}", r.warnings);
    }

    #[test]
    fn not_found_when_no_profiles() {
        let (_d, ev) = backup(&[], &DeviceSpec::default());
        assert_eq!(run(ConfigurationProfiles, &ev, &ferret_core::NoIndicators).outcome, Ok(Outcome::NotFound));
    }
}
