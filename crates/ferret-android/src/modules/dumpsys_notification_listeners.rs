//! `dumpsys_notification_listeners`: apps allowed to read all notifications (`dumpsys
//! notification`, bugreport).
//!
//! Checks: package matching an indicator → CRITICAL; otherwise every enabled listener → LOW
//! (wearable and automation apps use this legitimately; stalkerware uses it to read messages).

use std::sync::Arc;

use ferret_core::{ArtifactModule, Context, Finding, Indicators, Level, ModuleError, Out, Outcome, ioc_finding};

use crate::dumpstate::DumpstateCache;
use crate::parsers::dumpsys::{NotificationListener, parse_notification_listeners};

/// The module.
#[derive(Debug, Clone)]
pub struct DumpsysNotificationListeners(pub Arc<DumpstateCache>);

impl ArtifactModule for DumpsysNotificationListeners {
    type Record = NotificationListener;
    const NAME: &'static str = "dumpsys_notification_listeners";
    const DESCRIPTION: &'static str = "Apps allowed to read every notification";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some(ds) = self.0.get(ctx)? else { return Ok(Outcome::NotFound) };
        let Some(text) = ds.dumpsys("notification") else { return Ok(Outcome::NotFound) };
        for l in parse_notification_listeners(text) {
            out.record(l)?;
        }
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &NotificationListener, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if let Some(m) = ind.check_app_id(&r.package_name) {
            f.push(ioc_finding(Level::Critical, "Notification listener package", &r.package_name, None, m));
            return;
        }
        f.push(Finding::heuristic(
            Level::Low,
            format!("{}: can read every notification ({})", r.package_name, r.component),
            None,
        ));
    }
}
