//! `dumpsys_platform_compat`: packages named in compatibility overrides (`dumpsys
//! platform_compat`, bugreport); overrides outlive uninstalled packages.
//!
//! Checks: package matching an indicator → CRITICAL.

use std::sync::Arc;

use ferret_core::{ArtifactModule, Context, Finding, Indicators, Level, ModuleError, Out, Outcome, ioc_finding};

use crate::dumpstate::DumpstateCache;
use crate::parsers::dumpsys::{CompatOverride, parse_platform_compat};

/// The module.
#[derive(Debug, Clone)]
pub struct DumpsysPlatformCompat(pub Arc<DumpstateCache>);

impl ArtifactModule for DumpsysPlatformCompat {
    type Record = CompatOverride;
    const NAME: &'static str = "dumpsys_platform_compat";
    const DESCRIPTION: &'static str = "Packages named in platform compatibility overrides";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some(ds) = self.0.get(ctx)? else { return Ok(Outcome::NotFound) };
        let Some(text) = ds.dumpsys("platform_compat") else { return Ok(Outcome::NotFound) };
        for r in parse_platform_compat(text) {
            out.record(r)?;
        }
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &CompatOverride, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if let Some(m) = ind.check_app_id(&r.package_name) {
            f.push(ioc_finding(Level::Critical, "Compatibility override for package", &r.package_name, None, m));
        }
    }
}
