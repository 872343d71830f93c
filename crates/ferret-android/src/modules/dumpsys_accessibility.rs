//! `dumpsys_accessibility`: accessibility services (bugreport).
//!
//! Checks: an enabled service → MEDIUM (accessibility lets an app read the screen and act for the
//! user; stalkerware relies on it). If the dump has no `Enabled services` line (old Android), every
//! installed service is alerted MEDIUM. A package matching an indicator → CRITICAL instead.

use std::sync::Arc;

use ferret_core::{ArtifactModule, Context, Finding, Indicators, Level, ModuleError, Out, Outcome, ioc_finding};

use crate::dumpstate::DumpstateCache;
use crate::parsers::dumpsys::{AccessibilityService, parse_accessibility};

/// The module.
#[derive(Debug, Clone)]
pub struct DumpsysAccessibility(pub Arc<DumpstateCache>);

impl ArtifactModule for DumpsysAccessibility {
    type Record = AccessibilityService;
    const NAME: &'static str = "dumpsys_accessibility";
    const DESCRIPTION: &'static str = "Installed and enabled accessibility services";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some(ds) = self.0.get(ctx)? else { return Ok(Outcome::NotFound) };
        let Some(text) = ds.dumpsys("accessibility") else { return Ok(Outcome::NotFound) };
        for s in parse_accessibility(text) {
            out.record(s)?;
        }
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &AccessibilityService, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if let Some(m) = ind.check_app_id(&r.package_name) {
            f.push(ioc_finding(Level::Critical, "Accessibility service of package", &r.package_name, None, m));
            return;
        }
        match r.enabled {
            Some(true) => f.push(Finding::heuristic(
                Level::Medium,
                format!(
                    "{}: accessibility service {} is enabled (it can read the screen and act for the user)",
                    r.package_name, r.service
                ),
                None,
            )),
            None => f.push(Finding::heuristic(
                Level::Medium,
                format!(
                    "{}: accessibility service {} is installed (enabled state not recorded)",
                    r.package_name, r.service
                ),
                None,
            )),
            Some(false) => {}
        }
    }
}
