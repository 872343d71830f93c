//! `dumpsys_packages`: installed packages from `dumpsys package` (bugreport).
//!
//! Checks (levels in [`crate::heuristics`]): package name (`check_app_id`) and signature digests
//! (`check_app_cert_hash`) → CRITICAL; root package → MEDIUM; non-system app installed from
//! outside an app store → MEDIUM (third-party store → INFORMATIONAL); >= 4 spy permission groups
//! granted on a non-system app → MEDIUM; hidden launcher icon → MEDIUM; system app updated from
//! `/data` by an installer outside the trusted stores → MEDIUM; disabled security agent or system
//! updater → MEDIUM.
//! Timeline: `package_install` (firstInstallTime), `package_update` (lastUpdateTime, when later).

use std::sync::Arc;

use ferret_core::{ArtifactModule, Context, Finding, Indicators, Level, ModuleError, Out, Outcome, ioc_finding};
use jiff::Timestamp;

use crate::dumpstate::DumpstateCache;
use crate::heuristics::{self, InstallSource};
use crate::parsers::dumpsys::{Package, parse_packages};

/// The module.
#[derive(Debug, Clone)]
pub struct DumpsysPackages(pub Arc<DumpstateCache>);

/// Heuristic findings for one package (shared with `stalkerware_score`).
pub fn package_findings(r: &Package, f: &mut Vec<Finding>) {
    let name = &r.package_name;
    let t = r.first_install_time;
    if heuristics::ROOT_PACKAGES.contains(&name.as_str()) {
        f.push(Finding::heuristic(Level::Medium, format!("{name}: a rooting tool is installed"), t));
    }
    if !r.system {
        match heuristics::install_source(r.installer.as_deref()) {
            InstallSource::Store => {}
            InstallSource::ThirdPartyStore => f.push(Finding::heuristic(
                Level::Info,
                format!("{name}: installed from the third-party store {}", r.installer.as_deref().unwrap_or("")),
                t,
            )),
            InstallSource::Outside => f.push(Finding::heuristic(
                Level::Medium,
                format!(
                    "{name}: installed from outside an app store ({})",
                    heuristics::installer_text(r.installer.as_deref())
                ),
                t,
            )),
        }
        let groups = heuristics::spy_groups(r.granted_permissions.iter().map(String::as_str));
        if groups.len() >= heuristics::SPY_GROUPS_THRESHOLD {
            f.push(Finding::heuristic(
                Level::Medium,
                format!("{name}: holds the permissions stalkerware needs together ({})", groups.join(", ")),
                t,
            ));
        }
    } else if r.updated_system_app
        && r.code_path.as_deref().is_some_and(|p| p.starts_with("/data/"))
        && heuristics::install_source(r.installer.as_deref()) != InstallSource::Store
    {
        f.push(Finding::heuristic(
            Level::Medium,
            format!(
                "{name}: system app replaced by an update from outside the system image ({})",
                heuristics::installer_text(r.installer.as_deref())
            ),
            t,
        ));
    }
    if let Some(d) = heuristics::disabled_package_finding(name, r.disabled) {
        f.push(d);
    }
    if r.hidden_launcher {
        f.push(Finding::heuristic(
            Level::Medium,
            format!("{name}: hides its launcher icon (launcher activity disabled)"),
            t,
        ));
    }
}

impl ArtifactModule for DumpsysPackages {
    type Record = Package;
    const NAME: &'static str = "dumpsys_packages";
    const DESCRIPTION: &'static str = "Installed packages, installers, permissions and flags from dumpsys package";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some(ds) = self.0.get(ctx)? else { return Ok(Outcome::NotFound) };
        for w in &ds.warnings {
            out.warn(format!("{}: {w}", ds.path()));
        }
        let Some(text) = ds.dumpsys("package") else { return Ok(Outcome::NotFound) };
        for p in parse_packages(text) {
            out.record(p)?;
        }
        Ok(Outcome::Completed)
    }

    fn timeline(&self, r: &Package, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.first_install_time {
            events.push((
                t,
                "package_install".into(),
                format!("{} installed ({})", r.package_name, heuristics::installer_text(r.installer.as_deref())),
            ));
        }
        if let Some(u) = r.last_update_time
            && Some(u) > r.first_install_time
        {
            events.push((
                u,
                "package_update".into(),
                format!("{} updated to {}", r.package_name, r.version_name.as_deref().unwrap_or("?")),
            ));
        }
    }

    fn changes(&self, r: &Package, changes: &mut Vec<(Timestamp, String)>) {
        if let Some(t) = r.first_install_time {
            let by = r.installer.as_deref().map(|i| format!(" by {i:?}")).unwrap_or_default();
            changes.push((t, format!("App {:?} installed{by}", r.package_name)));
        }
        if let Some(u) = r.last_update_time.filter(|u| Some(*u) != r.first_install_time) {
            changes.push((u, format!("App {:?} updated", r.package_name)));
        }
    }

    fn check(&self, r: &Package, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if let Some(m) = ind.check_app_id(&r.package_name) {
            f.push(ioc_finding(Level::Critical, "Installed package", &r.package_name, r.first_install_time, m));
        }
        for s in &r.signatures {
            if let Some(m) = ind.check_app_cert_hash(s) {
                f.push(ioc_finding(
                    Level::Critical,
                    "Signing certificate of package",
                    &r.package_name,
                    r.first_install_time,
                    m,
                ));
            }
        }
        package_findings(r, f);
    }
}
