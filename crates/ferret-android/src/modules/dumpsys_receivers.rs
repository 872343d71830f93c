//! `dumpsys_receivers`: broadcast receivers per intent (Receiver Resolver Table of
//! `dumpsys package`, bugreport).
//!
//! One record per package (its receivers and their intents), so a package matching an indicator
//! gives one CRITICAL alert listing the intents it listens to, not one per receiver. Receivers of
//! SMS and call intents are listed in the record (`sensitive_intents`) but not alerted alone
//! (messaging and dialer apps have them); they count toward nothing else.

use std::collections::{BTreeMap, BTreeSet};
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

/// One receiver of a package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ReceiverEntry {
    /// Intent action.
    pub intent: String,
    /// Receiver class.
    pub receiver: String,
}

/// The receivers of one package.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Receiver {
    /// Package.
    pub package_name: String,
    /// Its receivers, sorted by intent then class.
    pub receivers: Vec<ReceiverEntry>,
    /// The intents among them that are [`SENSITIVE_INTENTS`], sorted.
    pub sensitive_intents: Vec<String>,
}

/// The module.
#[derive(Debug, Clone)]
pub struct DumpsysReceivers(pub Arc<DumpstateCache>);

impl ArtifactModule for DumpsysReceivers {
    type Record = Receiver;
    const NAME: &'static str = "dumpsys_receivers";
    const DESCRIPTION: &'static str = "Broadcast receivers per package";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some(ds) = self.0.get(ctx)? else { return Ok(Outcome::NotFound) };
        let Some(text) = ds.dumpsys("package") else { return Ok(Outcome::NotFound) };
        let mut by_pkg: BTreeMap<String, BTreeSet<ReceiverEntry>> = BTreeMap::new();
        for e in parse_resolver(text, "Receiver Resolver Table:") {
            by_pkg.entry(e.package_name).or_default().insert(ReceiverEntry { intent: e.intent, receiver: e.component });
        }
        for (package_name, receivers) in by_pkg {
            let sensitive_intents: BTreeSet<String> = receivers
                .iter()
                .filter(|r| SENSITIVE_INTENTS.contains(&r.intent.as_str()))
                .map(|r| r.intent.clone())
                .collect();
            out.record(Receiver {
                package_name,
                receivers: receivers.into_iter().collect(),
                sensitive_intents: sensitive_intents.into_iter().collect(),
            })?;
        }
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &Receiver, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if let Some(m) = ind.check_app_id(&r.package_name) {
            let mut intents: Vec<&str> = r.receivers.iter().map(|e| e.intent.as_str()).collect();
            intents.dedup();
            f.push(ioc_finding(
                Level::Critical,
                &format!("Receivers of {} in package", intents.join(", ")),
                &r.package_name,
                None,
                m,
            ));
        }
    }
}
