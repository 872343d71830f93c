//! `getprop` (bugreport: the `SYSTEM PROPERTIES` section) and `aqf_getprop` (androidqf
//! `getprop.txt`): system properties.
//!
//! Checks: property name matching an `android-property:name` indicator → CRITICAL; values that
//! weaken security ([`crate::heuristics::suspicious_property`]: debuggable or insecure build,
//! test keys, unlocked bootloader) → MEDIUM. The "security patch older than six months" check of
//! MVT is not done: it depends on the current date, and results must be reproducible.

use std::sync::Arc;

use ferret_core::{ArtifactModule, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding};

use crate::dumpstate::DumpstateCache;
use crate::heuristics::suspicious_property;
use crate::parsers::misc::{Property, parse_getprop};

fn check_prop(r: &Property, ind: &dyn Indicators, f: &mut Vec<Finding>) {
    if let Some(m) = ind.check_android_property(&r.name) {
        f.push(ioc_finding(Level::Critical, "System property", &r.name, None, m));
    }
    if let Some(why) = suspicious_property(&r.name, &r.value) {
        f.push(Finding::heuristic(Level::Medium, format!("{}={}: the phone runs {why}", r.name, r.value), None));
    }
}

/// Bugreport form.
#[derive(Debug, Clone)]
pub struct GetProp(pub Arc<DumpstateCache>);

impl ArtifactModule for GetProp {
    type Record = Property;
    const NAME: &'static str = "getprop";
    const DESCRIPTION: &'static str = "System properties (bugreport)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some(ds) = self.0.get(ctx)? else { return Ok(Outcome::NotFound) };
        let Some(text) = ds.section("SYSTEM PROPERTIES") else { return Ok(Outcome::NotFound) };
        for p in parse_getprop(text) {
            out.record(p)?;
        }
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &Property, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        check_prop(r, ind, f);
    }
}

/// androidqf form.
#[derive(Debug, Clone, Copy)]
pub struct AqfGetProp;

static PATHS: &[&str] = &["getprop.txt", "*/getprop.txt"];

impl ArtifactModule for AqfGetProp {
    type Record = Property;
    const NAME: &'static str = "aqf_getprop";
    const DESCRIPTION: &'static str = "System properties (androidqf getprop.txt)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some(file) = ctx.evidence.locate(&Locator { backup: &[], paths: PATHS })?.into_iter().next() else {
            return Ok(Outcome::NotFound);
        };
        let bytes = ctx.evidence.read(&file, 64 << 20)?;
        for p in parse_getprop(&String::from_utf8_lossy(&bytes)) {
            out.record(p)?;
        }
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &Property, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        check_prop(r, ind, f);
    }
}
