//! WebKit `observations.db` generator (`ObservedDomains`), one for Safari and one for another
//! app's web view.
//!
//! Planted: an indicator registrable domain in each database. Near misses: look-alike domains.

use ferret_core::Level;

use super::files::db;
use super::values::{BENIGN_HOSTS, base_time, evil_domain};
use crate::ArtifactFile;
use crate::rng::{rng_for, word};
use crate::truth::{IndicatorKind, Truth};

/// Relative path inside an app domain / container.
pub const REL: &str = "Library/WebKit/WebsiteData/ResourceLoadStatistics/observations.db";

/// Schema (subset of WebKit's).
pub const SCHEMA: &str = "CREATE TABLE ObservedDomains (domainID INTEGER PRIMARY KEY, registrableDomain TEXT NOT NULL UNIQUE ON CONFLICT FAIL, \
    lastSeen REAL NOT NULL, hadUserInteraction INTEGER NOT NULL, mostRecentUserInteractionTime REAL NOT NULL, \
    grandfathered INTEGER NOT NULL, isPrevalent INTEGER NOT NULL, isVeryPrevalent INTEGER NOT NULL, \
    dataRecordsRemoved INTEGER NOT NULL, timesAccessedAsFirstPartyDueToUserInteraction INTEGER NOT NULL, \
    timesAccessedAsFirstPartyDueToStorageAccessAPI INTEGER NOT NULL, isScheduledForAllButCookieDataRemoval INTEGER NOT NULL, \
    mostRecentWebPushInteractionTime REAL NOT NULL);";

/// Generates two databases with `count` benign domains each plus the planted cases.
pub fn generate(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios/webkit_resource_load_statistics");
    let t0 = base_time(&mut rng);
    let apps = [
        ("AppDomain-com.apple.mobilesafari", "3A4B5C6D-7E8F-9011-A2B3-C4D5E6F70819"),
        ("AppDomain-com.example.reader", "4B5C6D7E-8F90-1A2B-3C4D-5E6F70819A2B"),
    ];
    let mut out = Vec::new();
    for (app, container) in apps {
        let dom = evil_domain(&mut rng);
        truth.plant(IndicatorKind::Domain, dom.clone(), "TestSpy");
        truth.expect("webkit_resource_load_statistics", Level::Critical, Some(&dom), dom.clone());
        let mut doms: Vec<String> = BENIGN_HOSTS.iter().map(|h| h.trim_start_matches("www.").to_string()).collect();
        doms.sort();
        doms.dedup();
        doms.extend((0..count).map(|i| format!("{}{i}.example.org", word(&mut rng, 6))));
        doms.push(dom.clone());
        doms.push(format!("{}{dom}", word(&mut rng, 2)));
        let fs = format!("private/var/mobile/Containers/Data/Application/{container}/{REL}");
        out.push(db(app, REL, &fs, t0, |c| {
            c.execute_batch(SCHEMA)?;
            for (i, d) in doms.iter().enumerate() {
                let t = (t0 + i as i64 * 77) as f64;
                let interaction = if i % 2 == 0 { t } else { -1.0 };
                c.execute(
                    "INSERT INTO ObservedDomains VALUES (NULL, ?1, ?2, ?3, ?4, 0, 0, 0, 0, 0, 0, 0, -1)",
                    rusqlite::params![d, t, i64::from(i % 2 == 0), interaction],
                )?;
            }
            Ok(())
        }));
    }
    out
}
