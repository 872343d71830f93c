//! `aqf_packages`: androidqf `packages.json`.
//!
//! Checks: package name (`check_app_id`), APK SHA-256 (`check_file_hash`) and certificate
//! hashes (`check_app_cert_hash`, MD5/SHA-1/SHA-256) → CRITICAL; root package → MEDIUM;
//! non-system app installed from outside an app store → MEDIUM (third-party store →
//! INFORMATIONAL); >= 4 spy permission groups granted (when permissions are listed) → MEDIUM;
//! disabled security agent or system updater → MEDIUM.

use ferret_core::toolkit::json_array_first;
use ferret_core::{
    ArtifactModule, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};

use crate::heuristics::{self, InstallSource};
use crate::parsers::aqf::AqfPackage;

/// The module.
#[derive(Debug, Clone, Copy)]
pub struct AqfPackages;

static PATHS: &[&str] = &["packages.json", "*/packages.json"];

impl ArtifactModule for AqfPackages {
    type Record = AqfPackage;
    const NAME: &'static str = "aqf_packages";
    const DESCRIPTION: &'static str = "Installed packages with APK and certificate hashes (androidqf packages.json)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some((file, list)) = json_array_first(ctx, &Locator { backup: &[], paths: PATHS }, 512 << 20)? else {
            return Ok(Outcome::NotFound);
        };
        for (i, v) in list.into_iter().enumerate() {
            match serde_json::from_value::<AqfPackage>(v) {
                Ok(p) if !p.name.is_empty() => out.record(p)?,
                Ok(_) => out.warn(format!("{}: entry {i} has no name; skipped", file.path)),
                Err(e) => out.warn(format!("{}: entry {i}: {e}; skipped", file.path)),
            }
        }
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &AqfPackage, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        let name = &r.name;
        if let Some(m) = ind.check_app_id(name) {
            f.push(ioc_finding(Level::Critical, "Installed package", name, None, m));
        }
        for file in &r.files {
            if let Some(m) = file.sha256.as_deref().and_then(|h| ind.check_file_hash(h)) {
                f.push(ioc_finding(Level::Critical, &format!("APK of {name}"), &file.path, None, m));
            }
            if let Some(c) = &file.certificate
                && let Some(m) =
                    [&c.md5, &c.sha1, &c.sha256].into_iter().flatten().find_map(|h| ind.check_app_cert_hash(h))
            {
                f.push(ioc_finding(Level::Critical, "Signing certificate of package", name, None, m));
            }
        }
        if heuristics::ROOT_PACKAGES.contains(&name.as_str()) {
            f.push(Finding::heuristic(Level::Medium, format!("{name}: a rooting tool is installed"), None));
        }
        if let Some(d) = heuristics::disabled_package_finding(name, r.disabled) {
            f.push(d);
        }
        if !r.system {
            match heuristics::install_source(r.installer()) {
                InstallSource::Store => {}
                InstallSource::ThirdPartyStore => f.push(Finding::heuristic(
                    Level::Info,
                    format!("{name}: installed from the third-party store {}", r.installer().unwrap_or("")),
                    None,
                )),
                InstallSource::Outside => f.push(Finding::heuristic(
                    Level::Medium,
                    format!(
                        "{name}: installed from outside an app store ({})",
                        heuristics::installer_text(r.installer())
                    ),
                    None,
                )),
            }
            let groups = heuristics::spy_groups(r.granted());
            if groups.len() >= heuristics::SPY_GROUPS_THRESHOLD {
                f.push(Finding::heuristic(
                    Level::Medium,
                    format!("{name}: holds the permissions stalkerware needs together ({})", groups.join(", ")),
                    None,
                ));
            }
        }
    }
}
