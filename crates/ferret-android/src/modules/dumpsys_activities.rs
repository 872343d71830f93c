//! `dumpsys_activities`: activities per intent action (Activity Resolver Table of `dumpsys
//! package`, bugreport).
//!
//! Checks: activity package matching an app indicator → CRITICAL.

use std::sync::Arc;

use ferret_core::{ArtifactModule, Context, Finding, Indicators, Level, ModuleError, Out, Outcome, ioc_finding};

use crate::dumpstate::DumpstateCache;
use crate::parsers::dumpsys::{ResolverEntry, parse_resolver};

/// The module.
#[derive(Debug, Clone)]
pub struct DumpsysActivities(pub Arc<DumpstateCache>);

impl ArtifactModule for DumpsysActivities {
    type Record = ResolverEntry;
    const NAME: &'static str = "dumpsys_activities";
    const DESCRIPTION: &'static str = "Activities per intent action";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some(ds) = self.0.get(ctx)? else { return Ok(Outcome::NotFound) };
        let Some(text) = ds.dumpsys("package") else { return Ok(Outcome::NotFound) };
        for e in parse_resolver(text, "Activity Resolver Table:") {
            out.record(e)?;
        }
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &ResolverEntry, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if let Some(m) = ind.check_app_id(&r.package_name) {
            f.push(ioc_finding(
                Level::Critical,
                &format!("Activity for {} in package", r.intent),
                &r.package_name,
                None,
                m,
            ));
        }
    }
}
