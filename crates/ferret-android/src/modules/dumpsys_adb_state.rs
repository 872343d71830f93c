//! `dumpsys_adb_state`: computers trusted for ADB debugging (`dumpsys adb`, bugreport).
//!
//! Records only (no alert): a trusted key is normal for anyone who ever enabled USB debugging;
//! the analyst compares the `user@host` comments and fingerprints with the acquiring computer.

use std::sync::Arc;

use ferret_core::{ArtifactModule, Context, ModuleError, Out, Outcome};

use crate::dumpstate::DumpstateCache;
use crate::parsers::dumpsys::{AdbKey, parse_adb};

/// The module.
#[derive(Debug, Clone)]
pub struct DumpsysAdbState(pub Arc<DumpstateCache>);

impl ArtifactModule for DumpsysAdbState {
    type Record = AdbKey;
    const NAME: &'static str = "dumpsys_adb_state";
    const DESCRIPTION: &'static str = "ADB keys trusted by the phone";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some(ds) = self.0.get(ctx)? else { return Ok(Outcome::NotFound) };
        let Some(text) = ds.dumpsys("adb") else { return Ok(Outcome::NotFound) };
        for k in parse_adb(text) {
            out.record(k)?;
        }
        Ok(Outcome::Completed)
    }
}
