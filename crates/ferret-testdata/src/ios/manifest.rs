//! Files whose Manifest rows the `manifest` module checks: ordinary files across domains, plus
//! planted cases:
//! * a file under a folder named by a `file:path` indicator → HIGH twice (the folder's own
//!   directory row and the file row);
//! * a WebKit-style `https_<host>_0.localstorage` file whose host part is a domain indicator →
//!   HIGH (marker: the host);
//! * decoys: the same shapes with benign hosts and paths.

use rand::Rng;

use crate::ArtifactFile;
use crate::rng::{rng_for, word};
use crate::truth::{IndicatorKind, Truth};
use ferret_core::Level;

const DOMAINS: &[(&str, &str)] = &[
    ("HomeDomain", "private/var/mobile"),
    ("MediaDomain", "private/var/mobile"),
    ("RootDomain", "private/var/root"),
    ("AppDomain-com.example.notes", "private/var/mobile/Containers/Data/Application/0000-NOTES"),
    ("AppDomainGroup-group.com.example.shared", "private/var/mobile/Containers/Shared/AppGroup/0000-SHARED"),
];

fn f(domain: &str, fs_root: &str, rel: String, mtime: i64, bytes: Vec<u8>) -> ArtifactFile {
    ArtifactFile { domain: domain.into(), fs_path: format!("{fs_root}/{rel}"), relative_path: rel, bytes, mtime }
}

/// Generates `scale` ordinary files plus the planted cases (recorded in `truth`).
pub fn generate(seed: u64, scale: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios-manifest");
    let mut out = Vec::with_capacity(scale + 8);
    for i in 0..scale {
        let (domain, root) = DOMAINS[i % DOMAINS.len()];
        let rel = match rng.random_range(0..4) {
            0 => format!("Library/Caches/{}/{}-{i}.cache", word(&mut rng, 6), word(&mut rng, 5)),
            1 => format!("Library/Preferences/com.example.{}-{i}.plist", word(&mut rng, 6)),
            2 => format!("Library/WebKit/WebsiteData/LocalStorage/https_www.example.org_{i}.localstorage"),
            _ => format!("Documents/{}_{i}.txt", word(&mut rng, 8)),
        };
        let t = 1_700_000_000 + rng.random_range(0..20_000_000);
        out.push(f(domain, root, rel, t, vec![b'x'; rng.random_range(0..64)]));
    }
    // planted: file path indicator (a folder) → HIGH
    let folder = format!("ferretimplant{}", word(&mut rng, 6));
    truth.plant(IndicatorKind::FilePath, format!("/Library/{folder}"), "TestSpyware");
    out.push(f("RootDomain", "private/var/root", format!("Library/{folder}/agent.db"), 1_710_000_000, b"db".to_vec()));
    // the folder's own (directory) row and the file row both match
    truth.expect("manifest", Level::High, Some(&format!("/Library/{folder}")), crate::ios_backup::file_id("RootDomain", &format!("Library/{folder}")));
    truth.expect("manifest", Level::High, Some(&format!("/Library/{folder}")), format!("Library/{folder}/agent.db"));
    // decoy: similar folder name that only shares a prefix (component-aware matching)
    out.push(f("RootDomain", "private/var/root", format!("Library/{folder}x/agent.db"), 1_710_000_000, b"db".to_vec()));
    // planted: domain mention in a WebKit-style file name → HIGH
    let host = format!("{}-{}.com", word(&mut rng, 7), word(&mut rng, 5));
    truth.plant(IndicatorKind::Domain, host.clone(), "TestSpyware");
    out.push(f(
        "AppDomain-com.example.notes",
        "private/var/mobile/Containers/Data/Application/0000-NOTES",
        format!("Library/WebKit/WebsiteData/LocalStorage/https_{host}_0.localstorage"),
        1_711_000_000,
        b"ls".to_vec(),
    ));
    truth.expect("manifest", Level::High, Some(&host), host.clone());
    out
}
