//! `dumpsys_receivers`: broadcast receivers per intent (Receiver Resolver Table of
//! `dumpsys package`, bugreport).
//!
//! Checks: receiver package matching an indicator → CRITICAL. Receivers of SMS and call intents
//! are flagged in the record (`sensitive`) but not alerted alone (messaging and dialer apps have
//! them); they count toward nothing else.

use std::sync::Arc;

use ferret_core::{ArtifactModule, Context, Finding, Indicators, Level, ModuleError, Out, Outcome, ioc_finding};
use serde::{Deserialize, Serialize};

use crate::dumpstate::DumpstateCache;
use crate::parsers::dumpsys::parse_resolver;

/// Intents that reveal SMS/call interception.
pub const SENSITIVE_INTENTS: &[&str] = &[
    "android.provider.Telephony.SMS_RECEIVED",
    "android.provider.Telephony.NEW_OUTGOING_SMS",
    "android.intent.action.DATA_SMS_RECEIVED",
    "android.intent.action.PHONE_STATE",
    "android.intent.action.NEW_OUTGOING_CALL",
];

/// One receiver.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Receiver {
    /// Intent action.
    pub intent: String,
    /// Package.
    pub package_name: String,
    /// Receiver class.
    pub receiver: String,
    /// The intent is one of [`SENSITIVE_INTENTS`].
    pub sensitive: bool,
}

/// The module.
#[derive(Debug, Clone)]
pub struct DumpsysReceivers(pub Arc<DumpstateCache>);

impl ArtifactModule for DumpsysReceivers {
    type Record = Receiver;
    const NAME: &'static str = "dumpsys_receivers";
    const DESCRIPTION: &'static str = "Broadcast receivers per intent action";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some(ds) = self.0.get(ctx)? else { return Ok(Outcome::NotFound) };
        let Some(text) = ds.dumpsys("package") else { return Ok(Outcome::NotFound) };
        for e in parse_resolver(text, "Receiver Resolver Table:") {
            let sensitive = SENSITIVE_INTENTS.contains(&e.intent.as_str());
            out.record(Receiver { intent: e.intent, package_name: e.package_name, receiver: e.component, sensitive })?;
        }
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &Receiver, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if let Some(m) = ind.check_app_id(&r.package_name) {
            f.push(ioc_finding(
                Level::Critical,
                &format!("Receiver of {} in package", r.intent),
                &r.package_name,
                None,
                m,
            ));
        }
    }
}
