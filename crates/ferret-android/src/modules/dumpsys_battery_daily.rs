//! `dumpsys_battery_daily`: package updates in the daily battery history (`dumpsys
//! batterystats`, bugreport).
//!
//! Checks: package matching an indicator → CRITICAL; `vers=0` (uninstall) → LOW; a version lower
//! than an earlier one (downgrade, used to re-open patched holes) → MEDIUM.

use std::sync::Arc;

use ferret_core::{ArtifactModule, Context, Finding, Indicators, Level, ModuleError, Out, Outcome, ioc_finding};

use crate::dumpstate::DumpstateCache;
use crate::parsers::dumpsys::{BatteryDaily, parse_battery_daily};

/// The module.
#[derive(Debug, Clone)]
pub struct DumpsysBatteryDaily(pub Arc<DumpstateCache>);

impl ArtifactModule for DumpsysBatteryDaily {
    type Record = BatteryDaily;
    const NAME: &'static str = "dumpsys_battery_daily";
    const DESCRIPTION: &'static str = "Package installs, uninstalls and downgrades from the daily battery history";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some(ds) = self.0.get(ctx)? else { return Ok(Outcome::NotFound) };
        let Some(text) = ds.dumpsys("batterystats") else { return Ok(Outcome::NotFound) };
        for r in parse_battery_daily(text) {
            out.record(r)?;
        }
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &BatteryDaily, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if let Some(m) = ind.check_app_id(&r.package_name) {
            f.push(ioc_finding(Level::Critical, "Battery history of package", &r.package_name, None, m));
        }
        match r.action.as_str() {
            "uninstall" => {
                f.push(Finding::heuristic(Level::Low, format!("{}: uninstalled on {}", r.package_name, r.to), None))
            }
            "downgrade" => f.push(Finding::heuristic(
                Level::Medium,
                format!(
                    "{}: downgraded from version {} to {} on {}",
                    r.package_name,
                    r.previous_vers.unwrap_or(0),
                    r.vers,
                    r.to
                ),
                None,
            )),
            _ => {}
        }
    }
}
