//! WebKit `full_browsing_session_resourceLog.plist` generator.
//!
//! Planted: an indicator origin reached through a redirect (CRITICAL + HIGH redirect chain), an
//! indicator sub-resource origin without redirects (CRITICAL only). Near miss: a look-alike.

use ferret_core::Level;
use plist::Value;

use super::files::{dict, pdate, plist_file, pstr};
use super::values::{base_time, evil_domain};
use crate::ArtifactFile;
use crate::rng::{rng_for, word};
use crate::truth::{IndicatorKind, Truth};

/// Backup domain.
pub const DOMAIN: &str = "AppDomain-com.apple.mobilesafari";
/// Backup relative path.
pub const REL: &str = "Library/WebKit/WebsiteData/ResourceLoadStatistics/full_browsing_session_resourceLog.plist";
/// Filesystem-dump path.
pub const FS: &str = "private/var/mobile/Containers/Data/Application/3A4B5C6D-7E8F-9011-A2B3-C4D5E6F70819/Library/WebKit/WebsiteData/ResourceLoadStatistics/full_browsing_session_resourceLog.plist";

fn arr(v: &[String]) -> Value {
    Value::Array(v.iter().map(|s| pstr(s)).collect())
}

/// Generates `count` benign entries plus the planted cases.
pub fn generate(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios/webkit_session_resource_log");
    let t0 = base_time(&mut rng);
    let d1 = evil_domain(&mut rng);
    let d2 = evil_domain(&mut rng);
    truth.plant(IndicatorKind::Domain, d1.clone(), "TestSpy");
    truth.plant(IndicatorKind::Domain, d2.clone(), "TestSpy");
    let entry = |origin: &str, from: &[String], to: &[String], sub: &[String], t: i64| {
        dict(vec![
            ("PrevalentResourceOrigin", pstr(origin)),
            ("topFrameUniqueRedirectsFrom", arr(from)),
            ("topFrameUniqueRedirectsTo", arr(to)),
            ("subframeUnderTopFrameOrigins", arr(&[])),
            ("subresourceUnderTopFrameOrigins", arr(sub)),
            ("hadUserInteraction", Value::Boolean(false)),
            ("mostRecentUserInteraction", pdate(t)),
            ("lastSeen", pdate(t)),
        ])
    };
    let mut list = Vec::new();
    for i in 0..count {
        let o = format!("{}.example.org", word(&mut rng, 6));
        let sub = vec!["example.com".to_string()];
        let from = if i % 4 == 0 { vec!["example.net".to_string()] } else { vec![] };
        list.push(entry(&o, &from, &[], &sub, t0 + i as i64 * 50));
    }
    // planted: redirect example.com -> d1 -> example.net
    list.push(entry(&d1, &["example.com".into()], &["example.net".into()], &[], t0 + 1));
    truth.expect("webkit_session_resource_log", Level::Critical, Some(&d1), d1.clone());
    truth.expect("webkit_session_resource_log", Level::High, None, format!("example.com → {d1} → example.net"));
    // planted: sub-resource only
    list.push(entry("news.example.org", &[], &[], std::slice::from_ref(&d2), t0 + 2));
    truth.expect("webkit_session_resource_log", Level::Critical, Some(&d2), d2.clone());
    // near miss
    list.push(entry(&format!("{}{d1}", word(&mut rng, 2)), &["example.com".into()], &[], &[], t0 + 3));
    let root = dict(vec![("browsingStatistics", Value::Array(list))]);
    vec![plist_file(DOMAIN, REL, FS, t0, &root)]
}
