//! `getprop` (bugreport: the `SYSTEM PROPERTIES` section) and `aqf_getprop` (androidqf
//! `getprop.txt`): system properties.
//!
//! Checks: property name matching an `android-property:name` indicator → CRITICAL; values that
//! weaken security ([`crate::heuristics::suspicious_property`]: debuggable or insecure build,
//! test keys, unlocked bootloader) → MEDIUM; `ro.build.version.security_patch` more than six
//! months older than the acquisition (the dumpstate's own date, or androidqf `acquisition.json`
//! `started`) → MEDIUM. MVT compares with today's date; ferret uses the acquisition date so the
//! same input always gives the same result. The acquisition date is stored in the record
//! (`acquired`) so `check-iocs` repeats the check.

use std::sync::Arc;

use ferret_core::{
    ArtifactModule, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};

use crate::dumpstate::DumpstateCache;
use crate::heuristics::{patch_age_finding, suspicious_property};
use crate::parsers::props::{Property, parse_getprop};

fn check_prop(r: &Property, ind: &dyn Indicators, f: &mut Vec<Finding>) {
    if let Some(m) = ind.check_android_property(&r.name) {
        f.push(ioc_finding(Level::Critical, "System property", &r.name, None, m));
    }
    if let Some(w) = r.acquired
        && let Some(p) = patch_age_finding(&r.value, w)
    {
        f.push(p);
    }
    if let Some(why) = suspicious_property(&r.name, &r.value) {
        f.push(Finding::heuristic(Level::Medium, format!("{}={}: the phone runs {why}", r.name, r.value), None));
    }
}

fn emit<M: ArtifactModule<Record = Property>>(
    props: Vec<Property>,
    when: Option<jiff::Timestamp>,
    out: &mut Out<'_, '_, M>,
) -> Result<Outcome, ModuleError> {
    for mut p in props {
        if p.name == "ro.build.version.security_patch" {
            p.acquired = when;
        }
        out.record(p)?;
    }
    Ok(Outcome::Completed)
}

static ACQ: &[&str] = &["acquisition.json", "*/acquisition.json"];

/// `started` of androidqf's `acquisition.json`.
fn acquisition_started(ctx: &Context<'_>) -> Option<jiff::Timestamp> {
    let f = ctx.evidence.locate(&Locator { backup: &[], paths: ACQ }).ok()?.into_iter().next()?;
    let v: serde_json::Value = serde_json::from_slice(&ctx.evidence.read(&f, 1 << 20).ok()?).ok()?;
    let s = v.get("started")?.as_str()?;
    s.parse::<jiff::Timestamp>().ok().or_else(|| crate::text::parse_wallclock(s))
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
        emit(parse_getprop(text), ds.date, out)
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
        emit(parse_getprop(&String::from_utf8_lossy(&bytes)), acquisition_started(ctx), out)
    }

    fn check(&self, r: &Property, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        check_prop(r, ind, f);
    }
}
