//! `dumpsys_appops`: app-ops per package (bugreport).
//!
//! Checks: package matching an indicator → CRITICAL (once per package: on its first op record);
//! `REQUEST_INSTALL_PACKAGES` with mode `allow` → LOW (the app may install other apps).
//! Timeline: `access` per recorded access time.

use std::sync::Arc;

use ferret_core::{ArtifactModule, Context, Finding, Indicators, Level, ModuleError, Out, Outcome, ioc_finding};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::dumpstate::DumpstateCache;
use crate::parsers::dumpsys::{AppOp, parse_appops};
use crate::text::parse_wallclock;

/// The module.
#[derive(Debug, Clone)]
pub struct DumpsysAppops(pub Arc<DumpstateCache>);

/// One op record, flagged when it is the package's first (so indicator hits fire once).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppOpRecord {
    /// The op.
    #[serde(flatten)]
    pub op: AppOp,
    /// First record of this package.
    pub first_of_package: bool,
}

impl ArtifactModule for DumpsysAppops {
    type Record = AppOpRecord;
    const NAME: &'static str = "dumpsys_appops";
    const DESCRIPTION: &'static str = "App-ops (permission uses) per package";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some(ds) = self.0.get(ctx)? else { return Ok(Outcome::NotFound) };
        let Some(text) = ds.dumpsys("appops") else { return Ok(Outcome::NotFound) };
        let mut seen = std::collections::HashSet::new();
        for op in parse_appops(text) {
            let first = seen.insert(op.package_name.clone());
            out.record(AppOpRecord { op, first_of_package: first })?;
        }
        Ok(Outcome::Completed)
    }

    fn timeline(&self, r: &AppOpRecord, events: &mut Vec<(Timestamp, String, String)>) {
        for a in &r.op.access {
            if let Some(t) = parse_wallclock(a) {
                events.push((
                    t,
                    "access".into(),
                    format!("{} used {} ({})", r.op.package_name, r.op.permission, r.op.mode),
                ));
            }
        }
    }

    fn check(&self, r: &AppOpRecord, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if r.first_of_package
            && let Some(m) = ind.check_app_id(&r.op.package_name)
        {
            f.push(ioc_finding(Level::Critical, "App-ops of package", &r.op.package_name, r.op.last_access, m));
        }
        if r.op.permission == "REQUEST_INSTALL_PACKAGES" && r.op.mode == "allow" {
            f.push(Finding::heuristic(
                Level::Low,
                format!("{}: allowed to install other apps (REQUEST_INSTALL_PACKAGES)", r.op.package_name),
                r.op.last_access,
            ));
        }
    }
}
