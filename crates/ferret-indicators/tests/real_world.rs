//! Loads every public `.stix2` bundle under `shared/iocs/` (test input kept outside the
//! repository) and pins what was measured: zero rejected patterns and exact per-type counts.

#![allow(clippy::print_stderr, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use ferret_core::Indicators;
use ferret_indicators::{IndicatorSources, load};

/// `../shared/iocs`; skipped outside CI when absent, a failure under CI.
fn shared_iocs() -> Option<PathBuf> {
    ferret_testdata::testkit::shared("iocs")
}

fn stix_files(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).expect("list").map(|e| e.expect("entry").path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            stix_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "stix2") {
            out.push(p);
        }
    }
}

#[test]
fn every_shared_bundle_loads_without_rejections() {
    let Some(dir) = shared_iocs() else { return };
    let mut files = Vec::new();
    stix_files(&dir, &mut files);
    assert_eq!(files.len(), 16, "bundles under shared/iocs");
    let (index, report) = load(&IndicatorSources { paths: files.clone(), ..Default::default() }).expect("loads");
    assert!(report.rejected_files.is_empty(), "{:?}", report.rejected_files);
    assert!(
        report.rejected_patterns.is_empty(),
        "{:#?}",
        &report.rejected_patterns[..report.rejected_patterns.len().min(10)]
    );
    assert_eq!(report.files.len(), 16);

    let per_file: BTreeMap<String, (String, usize)> = report
        .files
        .iter()
        .map(|f| {
            let name = PathBuf::from(&f.path).file_name().expect("name").to_string_lossy().into_owned();
            (name, (f.set_name.clone(), f.total))
        })
        .collect();
    let expected_totals: BTreeMap<String, usize> =
        EXPECTED_TOTALS.iter().map(|(k, v)| ((*k).to_string(), *v)).collect();
    assert_eq!(report.totals, expected_totals);
    assert_eq!(report.total, EXPECTED_TOTALS.iter().map(|(_, v)| v).sum::<usize>());
    for (file, set, total) in EXPECTED_FILES {
        assert_eq!(per_file.get(*file), Some(&((*set).to_string(), *total)), "{file}");
    }
    assert!(!index.is_empty());
}

/// Distinct values in the index per kind (measured 2026-11-23 on the 2026-04-08 snapshot).
const EXPECTED_TOTALS: &[(&str, usize)] = &[
    ("android_property_names", 3),
    ("app_cert_hashes", 11),
    ("app_ids", 25),
    ("domains", 4961),
    ("emails", 65),
    ("file_names", 15),
    ("file_paths", 52),
    ("files_sha256", 101),
    ("ios_profile_ids", 1),
    ("ipv4_addrs", 52),
    ("processes", 83),
];

/// (file, set name, accepted values) per bundle.
const EXPECTED_FILES: &[(&str, &str, usize)] = &[
    ("candiru.stix2", "Candiru", 125),
    ("cellebrite.stix2", "Cellebrite", 1),
    ("coruna.stix2", "Coruna", 216),
    ("cytrox.stix2", "Predator", 343),
    ("darksword.stix2", "DarkSword", 43),
    ("eaglemsgspy.stix2", "EagleMsgSpy", 51),
    ("kingspawn.stix2", "KingSpawn", 167),
    ("malware.stix2", "MercenarySpywareCampaign", 2187),
    ("novispy.stix2", "NoviSpy", 18),
    ("operation_triangulation.stix2", "OperationTriangulation", 112),
    ("pegasus.stix2", "Pegasus", 1549),
    ("predator.stix2", "Predator", 585),
    ("rcs.stix2", "RCSLab", 40),
    ("residentbat.stix2", "ResidentBat", 48),
    ("wintego_helios.stix2", "Wintego Helios", 175),
    ("wyrmspy_dragonegg.stix2", "WyrmSpy_DragonEgg", 53),
];

#[test]
fn per_type_counts_of_the_pegasus_bundle() {
    let Some(dir) = shared_iocs() else { return };
    let (_, report) = ferret_indicators::load_files(&[dir.join("amnesty-investigations/2021-07-18_nso/pegasus.stix2")])
        .expect("loads");
    let f = &report.files[0];
    let counts: Vec<(&str, usize)> = f.counts.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(counts, vec![("domains", 1438), ("emails", 29), ("file_names", 1), ("processes", 81)]);
    assert_eq!(f.sha256.len(), 64);
}

#[test]
fn whole_shared_folder_with_plain_lists_and_real_matches() {
    let Some(dir) = shared_iocs() else { return };
    let (index, report) =
        load(&IndicatorSources { paths: vec![dir.clone()], include_builtin: true, ..Default::default() })
            .expect("loads");
    assert!(report.rejected_files.is_empty(), "{:?}", report.rejected_files);
    assert!(report.rejected_patterns.is_empty(), "{:?}", report.rejected_patterns);
    let lists: Vec<(&str, usize)> = report
        .files
        .iter()
        .filter(|f| f.format == ferret_indicators::Format::List)
        .map(|f| (f.path.rsplit('/').next().unwrap_or(""), f.total))
        .collect();
    eprintln!("{lists:?}");
    assert_eq!(lists, EXPECTED_LISTS);
    // the built-in Paragon set is there
    let hit = index.check_url("https://46.183.184.91/").expect("Paragon IP");
    assert_eq!(hit.name, "Paragon Graphite");
    // a Pegasus process from the real bundle, and its 16-character truncation
    assert_eq!(index.check_process("/usr/libexec/bh").map(|m| m.name), Some("Pegasus".to_string()));
}

const EXPECTED_LISTS: &[(&str, usize)] =
    &[("domains.txt", 1438), ("emails.txt", 29), ("files.txt", 1), ("processes.txt", 81)];
