//! `com.apple.osanalytics.addaily.plist` generator.
//!
//! Layout: `{netUsageBaseline: {process: [<date>, wifi_in, wifi_out, wwan_in, wwan_out]}}`.
//! Planted: an indicator process, and a 16-character truncated name of a longer indicator
//! process. Near miss: a 15-character prefix.

use ferret_core::Level;
use plist::Value;
use rand::Rng;

use super::files::{dict, pdate, plist_file};
use super::values::base_time;
use crate::ArtifactFile;
use crate::rng::{rng_for, word};
use crate::truth::{IndicatorKind, Truth};

/// Backup domain.
pub const DOMAIN: &str = "HomeDomain";
/// Backup relative path.
pub const REL: &str = "Library/Preferences/com.apple.osanalytics.addaily.plist";
/// Filesystem-dump path.
pub const FS: &str = "private/var/mobile/Library/Preferences/com.apple.osanalytics.addaily.plist";

/// Generates `count` benign processes plus the planted cases.
pub fn generate(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios/os_analytics_addaily");
    let t0 = base_time(&mut rng);
    let bad = format!("{}d", word(&mut rng, 9));
    let long = format!("{}helperdaemon", word(&mut rng, 10));
    truth.plant(IndicatorKind::Process, bad.clone(), "TestSpy");
    truth.plant(IndicatorKind::Process, long.clone(), "TestSpy");
    let trunc: String = long.chars().take(16).collect();
    truth.expect("os_analytics_addaily", Level::Critical, Some(&bad), format!("\"{bad}\""));
    truth.expect("os_analytics_addaily", Level::Critical, Some(&long), format!("\"{trunc}\""));
    // neither Apple's nor an installed app's: the census names each process once (the 16- and
    // 15-character cuts of `long` are one process)
    truth.expect_census(Level::Medium, &bad);
    truth.expect_census(Level::Medium, &trunc);
    truth.expect_census(Level::Medium, &format!("{bad}x"));
    // Apple's daemons and the installed apps' executables (16 characters at most, as stored)
    // (distinct: the apps, then Apple's from a seeded place in the catalogue)
    let apps = super::applications::installed_ids(seed);
    let mut procs: Vec<String> =
        apps.iter().take(count).map(|a| a.rsplit('.').next().unwrap_or(a).chars().take(16).collect()).collect();
    for p in crate::apple::distinct_processes(&mut rng, count.saturating_sub(procs.len())) {
        let p: String = p.chars().take(16).collect();
        if !procs.contains(&p) {
            procs.push(p);
        }
    }
    procs.extend([bad.clone(), trunc.clone(), long.chars().take(15).collect(), format!("{bad}x")]);
    let mut d = plist::Dictionary::new();
    for (i, p) in procs.iter().enumerate() {
        let n = |rng: &mut crate::rng::TestRng| Value::Integer(rng.random_range(0..10_000_000i64).into());
        d.insert(
            p.clone(),
            Value::Array(vec![pdate(t0 + i as i64 * 3600), n(&mut rng), n(&mut rng), n(&mut rng), n(&mut rng)]),
        );
    }
    let root = dict(vec![("netUsageBaseline", Value::Dictionary(d)), ("lastSubmissionDate", pdate(t0))]);
    vec![plist_file(DOMAIN, REL, FS, t0, &root)]
}
