//! Files whose Manifest rows the `manifest` module checks: ordinary files across domains, plus
//! planted cases:
//! * a file under a folder named by a `file:path` indicator → HIGH twice (the folder's own
//!   directory row and the file row);
//!
//! Expectations come from [`expect_hits`], which scenarios also call over *all* generated files
//! (other generators' planted file paths and domains in file names also hit here).
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
    // planted: file path indicator (a folder): the folder's own row and the file row → HIGH
    let folder = format!("ferretimplant{}", word(&mut rng, 6));
    truth.plant(IndicatorKind::FilePath, format!("/Library/{folder}"), "TestSpyware");
    out.push(f("RootDomain", "private/var/root", format!("Library/{folder}/agent.db"), 1_710_000_000, b"db".to_vec()));
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
    expect_hits(&out, truth);
    out
}

/// Adds the `manifest` alerts a correct checker raises for the Manifest rows of `files` (each
/// file row and each parent-folder row) given the indicators planted in `truth` so far: HIGH
/// when `"/" + relative_path` has a planted file name as basename or a planted file path as a
/// component-aware prefix; otherwise HIGH when a `_`-separated part of the lower-cased path is
/// a planted domain or a subdomain of one. Marker: the row's file ID. Idempotent, so a scenario
/// can call it once over all generated files after every generator planted its indicators.
pub fn expect_hits(files: &[ArtifactFile], truth: &mut Truth) {
    use std::collections::BTreeSet;
    let mut rows: BTreeSet<(&str, &str)> = BTreeSet::new();
    for f in files {
        rows.insert((f.domain.as_str(), f.relative_path.as_str()));
        let mut p = f.relative_path.as_str();
        while let Some(i) = p.rfind('/') {
            p = &p[..i];
            rows.insert((f.domain.as_str(), p));
        }
    }
    let of = |k: IndicatorKind| -> Vec<String> {
        let mut v: Vec<String> = truth.indicators.iter().filter(|i| i.kind == k).map(|i| i.value.clone()).collect();
        v.sort();
        v
    };
    let (names, paths, domains) = (of(IndicatorKind::FileName), of(IndicatorKind::FilePath), of(IndicatorKind::Domain));
    let mut new = Vec::new();
    for (domain, rel) in rows {
        let path = format!("/{rel}");
        let base = path.rsplit('/').next().unwrap_or_default();
        let hit = names.iter().find(|n| n.as_str() == base).or_else(|| {
            paths.iter().find(|p| {
                let p = p.trim_end_matches('/');
                path == p || path.starts_with(&format!("{p}/"))
            })
        });
        let hit = hit.cloned().or_else(|| {
            rel.to_lowercase().split('_').find_map(|part| {
                if !part.contains('.') || part.contains('/') {
                    return None;
                }
                domains
                    .iter()
                    .find(|d| {
                        let d = d.to_lowercase();
                        part == d || part.ends_with(&format!(".{d}"))
                    })
                    .cloned()
            })
        });
        if let Some(ind) = hit {
            new.push((ind, crate::ios_backup::file_id(domain, rel)));
        }
    }
    for (ind, marker) in new {
        if !truth.alerts.iter().any(|a| a.module == "manifest" && a.marker == marker) {
            truth.expect("manifest", Level::High, Some(&ind), marker);
        }
    }
}
