//! `MCProfileEvents.plist` (`Library/ConfigurationProfiles/MCProfileEvents.plist` in the
//! configuration-profiles system-group domain): `{ProfileEvents: [{<profile id>: {timestamp,
//! operation, process}}]}`.
//!
//! Every event yields a LOW alert (marker: its unique profile id). Planted: one event whose
//! `process` is a process indicator and one whose profile id is a profile indicator → CRITICAL
//! each (in addition to their LOW).

use plist::{Dictionary, Value};
use rand::Rng;

use crate::ArtifactFile;
use crate::rng::{rng_for, word};
use crate::truth::{IndicatorKind, Truth};
use ferret_core::Level;

/// Relative path of the events file.
pub const PATH: &str = "Library/ConfigurationProfiles/MCProfileEvents.plist";

fn event(profile: &str, op: &str, process: &str, t: i64) -> Value {
    let mut inner = Dictionary::new();
    let st = std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(t).unwrap_or(0));
    inner.insert("timestamp".into(), Value::Date(st.into()));
    inner.insert("operation".into(), Value::String(op.into()));
    inner.insert("process".into(), Value::String(process.into()));
    let mut d = Dictionary::new();
    d.insert(profile.into(), Value::Dictionary(inner));
    Value::Dictionary(d)
}

/// Generates the events file with `scale` benign events plus the planted ones.
pub fn generate(seed: u64, scale: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios-profile-events");
    let mut events = Vec::new();
    let procs = [
        "/usr/libexec/mdmd",
        "/System/Library/PrivateFrameworks/ManagedConfiguration.framework/profiled",
        "/Applications/Preferences.app/Preferences",
    ];
    for i in 0..scale {
        let id = format!("com.example.profile.ferretevent{i}{}", word(&mut rng, 5));
        let op = if i % 3 == 0 { "remove" } else { "install" };
        events.push(event(&id, op, procs[i % procs.len()], 1_700_000_000 + rng.random_range(0..9_000_000)));
        truth.expect("profile_events", Level::Low, None, id);
    }
    let proc_name = format!("ferretspyd{}", word(&mut rng, 4));
    truth.plant(IndicatorKind::Process, proc_name.clone(), "TestSpyware");
    let id = format!("com.example.profile.ferreteventproc{}", word(&mut rng, 5));
    events.push(event(&id, "install", &format!("/private/var/tmp/{proc_name}"), 1_712_300_000));
    truth.expect("profile_events", Level::Low, None, id.clone());
    truth.expect("profile_events", Level::Critical, Some(&proc_name), id);
    // a program in a temporary folder: the process census's HIGH
    truth.expect_census(Level::High, &proc_name);
    let bad_profile = format!("com.example.profile.ferreteventioc{}", word(&mut rng, 5));
    truth.plant(IndicatorKind::ProfileId, bad_profile.clone(), "TestSpyware");
    events.push(event(&bad_profile, "install", procs[0], 1_712_400_000));
    truth.expect("profile_events", Level::Low, None, bad_profile.clone());
    truth.expect("profile_events", Level::Critical, Some(&bad_profile), bad_profile.clone());
    let mut root = Dictionary::new();
    root.insert("ProfileEvents".into(), Value::Array(events));
    vec![ArtifactFile {
        domain: super::configuration_profiles::DOMAIN.into(),
        relative_path: PATH.into(),
        fs_path: format!(
            "private/var/containers/Shared/SystemGroup/systemgroup.com.apple.configurationprofiles/{PATH}"
        ),
        bytes: crate::ios_backup::encode_bplist(&Value::Dictionary(root)),
        mtime: 1_712_500_000,
    }]
}
