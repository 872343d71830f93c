//! `global_preferences`: device-wide preferences, for the Lockdown Mode state.
//!
//! Format facts:
//! * Property list at HomeDomain `Library/Preferences/.GlobalPreferences.plist`
//!   (FS `private/var/mobile/Library/Preferences/.GlobalPreferences.plist`), a dictionary of
//!   settings; `LDMGlobalEnabled` (boolean) is true while Lockdown Mode is on (iOS 16+).
//!
//! Records: one `{entry, value}` per top-level key, sorted by key (values as JSON; dates in the
//! `isodate` form, data as base64).
//!
//! Alerts (INFORMATIONAL, always): "Lockdown Mode is enabled" or "Lockdown Mode is disabled"
//! from `LDMGlobalEnabled`; when the key is absent, "Lockdown Mode is disabled (never turned
//! on: LDMGlobalEnabled is not set)". Lockdown Mode blocks most zero-click delivery paths used by
//! mercenary spyware, so its state is context for every other finding. (MVT reports "disabled"
//! as LOW; ferret keeps both states informational.)

use ferret_core::{
    ArtifactModule, BackupPath, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome,
};
use serde::{Deserialize, Serialize};

use ferret_core::toolkit::{each_plist, plist_to_json};

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct GlobalPreferences;

/// One preference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreferenceRecord {
    /// Key.
    pub entry: String,
    /// Value.
    pub value: serde_json::Value,
}

static LOCATOR: Locator = Locator {
    backup: &[BackupPath { domain: "HomeDomain", path: "Library/Preferences/.GlobalPreferences.plist" }],
    paths: &["private/var/mobile/Library/Preferences/.GlobalPreferences.plist"],
};

const LDM_KEY: &str = "LDMGlobalEnabled";

impl ArtifactModule for GlobalPreferences {
    type Record = PreferenceRecord;
    const NAME: &'static str = "global_preferences";
    const DESCRIPTION: &'static str = "Global preferences; reports whether Lockdown Mode is on";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        each_plist(ctx, &LOCATOR, out, |d, file, out| {
            let mut keys: Vec<&String> = d.keys().collect();
            keys.sort();
            let mut seen_ldm = false;
            for k in keys {
                let Some(val) = d.get(k) else { continue };
                seen_ldm |= k == LDM_KEY;
                out.record(PreferenceRecord { entry: k.clone(), value: plist_to_json(val) })?;
            }
            if !seen_ldm {
                out.heuristic(
                    Level::Info,
                    format!("Lockdown Mode is disabled (never turned on: {LDM_KEY} is not set in {})", file.path),
                    None,
                    &serde_json::json!({ "entry": LDM_KEY, "value": null, "file": file.path }),
                );
            }
            Ok(())
        })
    }

    fn check(&self, r: &PreferenceRecord, _ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if r.entry != LDM_KEY {
            return;
        }
        let on = match &r.value {
            serde_json::Value::Bool(b) => *b,
            serde_json::Value::Number(n) => n.as_i64().is_some_and(|x| x != 0),
            _ => false,
        };
        let msg = if on {
            "Lockdown Mode is enabled on this device (LDMGlobalEnabled = true)"
        } else {
            "Lockdown Mode is disabled on this device (LDMGlobalEnabled = false)"
        };
        f.push(Finding::heuristic(Level::Info, msg, None));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::testing::*;
    use ferret_testdata::truth::Truth;

    #[test]
    fn enabled_and_disabled() {
        for seed in [1, 2] {
            let mut truth = Truth::default();
            let files = ferret_testdata::ios::global_preferences::generate(seed, 5, &mut truth);
            let (_d, ev) = fs_tree(&files);
            let r = run(GlobalPreferences, &ev, &ferret_core::NoIndicators);
            assert_eq!(r.outcome, Ok(Outcome::Completed));
            assert_eq!(r.records.len(), 8);
            assert_exact(&truth, &r, "global_preferences");
        }
    }

    #[test]
    fn absent_key_corrupt_and_hostile() {
        let p = "private/var/mobile/Library/Preferences/.GlobalPreferences.plist";
        let (d, ev) = fs_tree(&[]);
        assert_eq!(run(GlobalPreferences, &ev, &ferret_core::NoIndicators).outcome, Ok(Outcome::NotFound));
        put(&d, p, br#"<?xml version="1.0"?><plist version="1.0"><dict><key>AppleLocale</key><string>en_US</string></dict></plist>"#);
        let r = run(GlobalPreferences, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.alerts.len(), 1);
        assert!(r.alerts[0].message.contains("never turned on"));
        put(&d, p, b"bplist00\xff\xff\xff truncated");
        assert!(
            run(GlobalPreferences, &ev, &ferret_core::NoIndicators)
                .outcome
                .expect_err("corrupt")
                .contains(".GlobalPreferences.plist")
        );
        put(&d, p, br#"<?xml version="1.0"?><plist version="1.0"><array/></plist>"#);
        assert!(run(GlobalPreferences, &ev, &ferret_core::NoIndicators).outcome.is_err());
    }
}
