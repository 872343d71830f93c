//! `dumpsys_dbinfo`: recently executed database operations (`dumpsys dbinfo`, bugreport).
//!
//! Checks: any `/`-component of the database path matching an app indicator → CRITICAL.

use std::sync::Arc;

use ferret_core::{ArtifactModule, Context, Finding, Indicators, Level, ModuleError, Out, Outcome, ioc_finding};

use crate::dumpstate::DumpstateCache;
use crate::parsers::dumpsys::{DbOperation, parse_dbinfo};

/// The module.
#[derive(Debug, Clone)]
pub struct DumpsysDbinfo(pub Arc<DumpstateCache>);

impl ArtifactModule for DumpsysDbinfo {
    type Record = DbOperation;
    const NAME: &'static str = "dumpsys_dbinfo";
    const DESCRIPTION: &'static str = "Recently executed database operations";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some(ds) = self.0.get(ctx)? else { return Ok(Outcome::NotFound) };
        let Some(text) = ds.dumpsys("dbinfo") else { return Ok(Outcome::NotFound) };
        for r in parse_dbinfo(text) {
            out.record(r)?;
        }
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &DbOperation, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if let Some(m) = r.path.split('/').filter(|c| c.contains('.')).find_map(|c| ind.check_app_id(c)) {
            f.push(ioc_finding(Level::Critical, "Database of package", &r.path, None, m));
        }
    }
}
