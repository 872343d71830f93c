//! `com.apple.identityservices.idstatuscache.plist` generator.
//!
//! Layout: `{service: {account: {LookupDate: <Mac seconds>, IDStatus: <int>}}}`.
//! Planted: an indicator e-mail account (CRITICAL) and an account containing two NUL characters
//! (HIGH, the MVT pattern). Near misses: a single NUL, look-alike e-mail.

use ferret_core::Level;
use plist::Value;
use rand::Rng;

use super::files::{dict, plist_file};
use super::values::{base_time, mac};
use crate::ArtifactFile;
use crate::rng::{rng_for, word};
use crate::truth::{IndicatorKind, Truth};

/// Backup domain.
pub const DOMAIN: &str = "HomeDomain";
/// Backup relative path (iOS < 14.7 location in backups).
pub const REL: &str = "Library/Preferences/com.apple.identityservices.idstatuscache.plist";
/// Filesystem-dump path.
pub const FS: &str = "private/var/mobile/Library/Preferences/com.apple.identityservices.idstatuscache.plist";

/// Generates `count` benign lookups plus the planted cases.
pub fn generate(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios/id_status_cache");
    let t0 = base_time(&mut rng);
    let bad = format!("{}@{}.com", word(&mut rng, 7), word(&mut rng, 7));
    truth.plant(IndicatorKind::Email, bad.clone(), "TestSpy");
    truth.expect("id_status_cache", Level::Critical, Some(&bad), bad.clone());
    let marker = format!("h7nul{}", word(&mut rng, 4));
    let nul_user = format!("mailto:{marker}\u{0}\u{0}@example.com");
    truth.expect("id_status_cache", Level::High, None, marker);
    let mut madrid: Vec<(String, i64)> = Vec::new();
    for i in 0..count {
        let acct = if i % 2 == 0 {
            format!("tel:+1555{:07}", rng.random_range(0..10_000_000u32))
        } else {
            format!("mailto:{}@example.org", word(&mut rng, 7))
        };
        madrid.push((acct, t0 + i as i64 * 600));
    }
    madrid.push((format!("mailto:{bad}"), t0 + 5));
    madrid.push((nul_user, t0 + 6));
    madrid.push((format!("mailto:one\u{0}nul{}@example.com", word(&mut rng, 3)), t0 + 7));
    madrid.push((format!("mailto:{bad}.example.org"), t0 + 8));
    let entries = |list: &[(String, i64)]| {
        let mut d = plist::Dictionary::new();
        for (a, t) in list {
            d.insert(
                a.clone(),
                dict(vec![("LookupDate", Value::Real(mac(*t))), ("IDStatus", Value::Integer(1.into()))]),
            );
        }
        Value::Dictionary(d)
    };
    // the same benign account looked up by a second service (occurrences = 2)
    let facetime: Vec<(String, i64)> = madrid.iter().take(2).cloned().collect();
    let root = dict(vec![("com.apple.madrid", entries(&madrid)), ("com.apple.ess", entries(&facetime))]);
    vec![plist_file(DOMAIN, REL, FS, t0, &root)]
}
