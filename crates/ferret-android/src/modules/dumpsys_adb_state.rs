//! `dumpsys_adb_state`: computers trusted for ADB debugging (`dumpsys adb`, bugreport).
//!
//! Without acquisition context, records only: a trusted key is normal for anyone who ever enabled
//! USB debugging. Inside an androidqf collection whose `acquisition.json` names the acquiring
//! computer's key (`adb_host_public_key`), every other trusted key → LOW ("another computer is
//! trusted for ADB"), since a stalker with physical access may have installed apps over ADB.

use std::sync::Arc;

use ferret_core::{ArtifactModule, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome};
use serde::{Deserialize, Serialize};

use crate::dumpstate::DumpstateCache;
use crate::parsers::dumpsys::{AdbKey, parse_adb};

/// A trusted key, compared with the acquiring computer's key when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdbKeyRecord {
    /// The key.
    #[serde(flatten)]
    pub key: AdbKey,
    /// `Some(true)` when it is the acquiring computer's key, `Some(false)` when not, `None` when
    /// the acquisition did not record its key.
    pub acquisition_key_match: Option<bool>,
}

static ACQ: &[&str] = &["acquisition.json", "*/acquisition.json"];

/// The base64 ADB public key of the computer that made an androidqf acquisition.
fn acquisition_key(ctx: &Context<'_>) -> Option<String> {
    let f = ctx.evidence.locate(&Locator { backup: &[], paths: ACQ }).ok()?.into_iter().next()?;
    let v: serde_json::Value = serde_json::from_slice(&ctx.evidence.read(&f, 1 << 20).ok()?).ok()?;
    let k = v.get("adb_host_public_key")?.as_str()?;
    k.split_whitespace().next().map(str::to_string)
}

/// The module.
#[derive(Debug, Clone)]
pub struct DumpsysAdbState(pub Arc<DumpstateCache>);

impl ArtifactModule for DumpsysAdbState {
    type Record = AdbKeyRecord;
    const NAME: &'static str = "dumpsys_adb_state";
    const DESCRIPTION: &'static str = "ADB keys trusted by the phone";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some(ds) = self.0.get(ctx)? else { return Ok(Outcome::NotFound) };
        let Some(text) = ds.dumpsys("adb") else { return Ok(Outcome::NotFound) };
        let acq = acquisition_key(ctx);
        for key in parse_adb(text) {
            let acquisition_key_match = acq.as_ref().map(|a| *a == key.key);
            out.record(AdbKeyRecord { key, acquisition_key_match })?;
        }
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &AdbKeyRecord, _ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if r.acquisition_key_match == Some(false) {
            f.push(Finding::heuristic(
                Level::Low,
                format!("ADB key {:?} is trusted but is not the key of the computer that made this acquisition; another computer can debug this phone", r.key.user),
                None,
            ));
        }
    }
}
