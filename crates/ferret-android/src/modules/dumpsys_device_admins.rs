//! `dumpsys_device_admins`: enabled device-admin apps (`dumpsys device_policy`, bugreport).
//!
//! Checks: package matching an indicator → CRITICAL; otherwise every device admin → MEDIUM
//! (device admin rights let an app lock or wipe the phone and resist uninstallation).

use std::sync::Arc;

use ferret_core::{ArtifactModule, Context, Finding, Indicators, Level, ModuleError, Out, Outcome, ioc_finding};

use crate::dumpstate::DumpstateCache;
use crate::parsers::dumpsys::{DeviceAdmin, parse_device_admins};

/// The module.
#[derive(Debug, Clone)]
pub struct DumpsysDeviceAdmins(pub Arc<DumpstateCache>);

impl ArtifactModule for DumpsysDeviceAdmins {
    type Record = DeviceAdmin;
    const NAME: &'static str = "dumpsys_device_admins";
    const DESCRIPTION: &'static str = "Apps with device-administrator rights";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some(ds) = self.0.get(ctx)? else { return Ok(Outcome::NotFound) };
        let Some(text) = ds.dumpsys("device_policy") else { return Ok(Outcome::NotFound) };
        for a in parse_device_admins(text) {
            out.record(a)?;
        }
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &DeviceAdmin, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if let Some(m) = ind.check_app_id(&r.package_name) {
            f.push(ioc_finding(Level::Critical, "Device admin package", &r.package_name, None, m));
            return;
        }
        f.push(Finding::heuristic(
            Level::Medium,
            format!(
                "{}: is a device administrator ({}); it can lock or wipe the phone and resist removal",
                r.package_name, r.component
            ),
            None,
        ));
    }
}
