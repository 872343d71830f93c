//! `aqf_settings`: androidqf `settings_<namespace>.txt` (`key=value`).
//!
//! Checks: a security setting with a value other than its safe one
//! ([`crate::heuristics::SAFE_SETTINGS`]: Play Protect / package verifier disabled, adb installs
//! not verified, accessibility enabled...) → MEDIUM.

use ferret_core::{ArtifactModule, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome};
use serde::{Deserialize, Serialize};

use crate::heuristics::SAFE_SETTINGS;
use crate::parsers::props::parse_settings;

/// One setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setting {
    /// Namespace (`global`, `secure`, `system`).
    pub namespace: String,
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
}

/// The module.
#[derive(Debug, Clone, Copy)]
pub struct AqfSettings;

static PATHS: &[&str] = &["settings_*.txt", "*/settings_*.txt"];

impl ArtifactModule for AqfSettings {
    type Record = Setting;
    const NAME: &'static str = "aqf_settings";
    const DESCRIPTION: &'static str = "Android settings (androidqf settings_*.txt)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let files = ctx.evidence.locate(&Locator { backup: &[], paths: PATHS })?;
        if files.is_empty() {
            return Ok(Outcome::NotFound);
        }
        for f in files {
            let base = f.path.rsplit('/').next().unwrap_or(&f.path);
            let ns = base.trim_end_matches(".txt").rsplit('_').next().unwrap_or("").to_string();
            let bytes = ctx.evidence.read(&f, 64 << 20)?;
            for (key, value) in parse_settings(&String::from_utf8_lossy(&bytes)) {
                out.record(Setting { namespace: ns.clone(), key, value })?;
            }
        }
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &Setting, _ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if let Some((_, safe)) = SAFE_SETTINGS.iter().find(|(k, _)| *k == r.key)
            && r.value.trim() != *safe
        {
            f.push(Finding::heuristic(
                Level::Medium,
                format!(
                    "setting {}={} ({}) weakens protection; the safe value is {safe}",
                    r.key,
                    r.value.trim(),
                    r.namespace
                ),
                None,
            ));
        }
    }
}
