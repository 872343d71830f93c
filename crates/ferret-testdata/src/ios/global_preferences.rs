//! `.GlobalPreferences.plist` generator (Lockdown Mode flag `LDMGlobalEnabled`).
//!
//! Odd seeds enable Lockdown Mode, even seeds disable it; either way one INFO alert states it.

use ferret_core::Level;
use plist::Value;

use super::files::{dict, plist_file, pstr};
use super::values::base_time;
use crate::ArtifactFile;
use crate::rng::{rng_for, word};
use crate::truth::Truth;

/// Backup domain.
pub const DOMAIN: &str = "HomeDomain";
/// Backup relative path.
pub const REL: &str = "Library/Preferences/.GlobalPreferences.plist";
/// Filesystem-dump path.
pub const FS: &str = "private/var/mobile/Library/Preferences/.GlobalPreferences.plist";

/// Generates the preferences with `count` extra benign keys.
pub fn generate(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios/global_preferences");
    let t0 = base_time(&mut rng);
    let enabled = seed % 2 == 1;
    let mut pairs = vec![
        ("AppleLanguages", Value::Array(vec![pstr("en-US"), pstr("fr-FR")])),
        ("AppleLocale", pstr("en_US")),
        ("LDMGlobalEnabled", Value::Boolean(enabled)),
    ];
    let keys: Vec<String> = (0..count).map(|_| format!("com.example.{}", word(&mut rng, 8))).collect();
    for k in &keys {
        pairs.push((k.as_str(), Value::Integer(1.into())));
    }
    truth.expect(
        "global_preferences",
        Level::Info,
        None,
        if enabled { "Lockdown Mode is enabled" } else { "Lockdown Mode is disabled" },
    );
    vec![plist_file(DOMAIN, REL, FS, t0, &dict(pairs))]
}
