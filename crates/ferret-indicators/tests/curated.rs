//! The built-in curated sets: every one loads without a rejected pattern, every indicator cites
//! its public sources, every value matches what it names (recall), and no file of three real
//! ordinary iPhones matches any of them (precision, on the real file-path lists in
//! `../shared/real/ios-filepath-lists/`).
#![allow(clippy::unwrap_used)]

use ferret_core::Indicators;
use ferret_indicators::{BUILTIN_SETS, IndicatorSources, load};
use serde_json::Value;

fn builtin_only() -> (ferret_indicators::IndicatorIndex, ferret_indicators::LoadReport) {
    load(&IndicatorSources { include_builtin: true, ..Default::default() }).expect("loads")
}

/// `(malware name, STIX object path, value)` of every indicator of a built-in set.
fn values(text: &str) -> Vec<(String, String, String)> {
    let b: Value = serde_json::from_str(text).unwrap();
    let objects = b["objects"].as_array().unwrap();
    let name_of = |id: &str| {
        objects.iter().find(|o| o["id"] == id).and_then(|o| o["name"].as_str()).unwrap_or_default().to_string()
    };
    let target = |id: &str| {
        objects
            .iter()
            .find(|o| o["type"] == "relationship" && o["source_ref"] == id)
            .and_then(|o| o["target_ref"].as_str())
            .map(name_of)
            .unwrap_or_default()
    };
    let re = regex::Regex::new(r"^\[([a-z0-9-]+:[a-z0-9_.]+) = '([^']+)'\]$").unwrap();
    objects
        .iter()
        .filter(|o| o["type"] == "indicator")
        .map(|o| {
            let caps = re.captures(o["pattern"].as_str().unwrap()).expect("a simple equality pattern");
            (target(o["id"].as_str().unwrap()), caps[1].to_string(), caps[2].to_string())
        })
        .collect()
}

#[test]
fn every_builtin_set_loads_cites_its_sources_and_matches_its_values() {
    let (index, report) = builtin_only();
    assert!(report.rejected_patterns.is_empty(), "{:?}", report.rejected_patterns);
    assert!(report.rejected_files.is_empty(), "{:?}", report.rejected_files);
    let mut kinds = std::collections::BTreeMap::new();
    for (name, text) in BUILTIN_SETS {
        let file = report.files.iter().find(|f| f.path == format!("builtin:{name}")).expect("reported");
        let b: Value = serde_json::from_str(text).unwrap();
        for o in b["objects"].as_array().unwrap().iter().filter(|o| o["type"] == "indicator" || o["type"] == "malware")
        {
            let refs = o["external_references"].as_array().map(Vec::as_slice).unwrap_or_default();
            assert!(!refs.is_empty(), "{name}: {} has no source", o["id"]);
            assert!(
                refs.iter().all(|r| r["url"].as_str().is_some_and(|u| u.starts_with("https://"))),
                "{name}: {}",
                o["id"]
            );
            assert!(o["description"].as_str().is_some_and(|d| d.len() > 40), "{name}: {} says nothing", o["id"]);
        }
        let vals = values(text);
        assert_eq!(file.total, vals.len(), "{name}: every indicator is loaded");
        for (malware, path, v) in &vals {
            *kinds.entry(path.clone()).or_insert(0) += 1;
            let hit = match path.as_str() {
                "file:path" if v.ends_with('/') => index.check_file_path(&format!("{v}payload.bin")),
                "file:path" => index.check_file_path(v),
                "configuration-profile:id" => index.check_profile(v),
                "ipv4-addr:value" => index.check_url(&format!("https://{v}/")),
                other => panic!("{name}: no recall check for {other}"),
            };
            let hit = hit.unwrap_or_else(|| panic!("{name}: {v} does not match"));
            assert_eq!(&hit.name, malware, "{v}");
        }
    }
    // the families of the 2025-26 set, and a sibling path that is not in it
    let names: std::collections::BTreeSet<String> =
        BUILTIN_SETS.iter().flat_map(|(_, t)| values(t)).map(|(m, _, _)| m).collect();
    assert_eq!(
        names.iter().map(|n| n.split(" (").next().unwrap_or_default()).collect::<Vec<_>>(),
        ["Coruna exploit kit", "DarkSword", "Paragon Graphite", "Predator"]
    );
    assert_eq!(
        kinds,
        [("configuration-profile:id".into(), 1), ("file:path".into(), 39), ("ipv4-addr:value".into(), 1)].into()
    );
    assert!(index.check_file_path("/private/var/tmp/keychain_dump.txt.bak").is_none());
    assert!(index.check_file_path("/private/var/tmp/lock").is_none());
}

/// The paths of one real file-path list, as the device saw them: the tool's top folder is taken
/// off, and a data partition exported as its own top folder is put back under `/private/var`.
fn device_paths(name: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for listed in ferret_testdata::testkit::real_path_list(name)? {
        let p = listed.trim_start_matches('/');
        let rest = p.split_once('/').map(|(_, r)| r).unwrap_or(p);
        out.push(format!("/{p}"));
        out.push(format!("/{rest}"));
        out.push(format!("/private/var/{rest}"));
    }
    Some(out)
}

#[test]
fn no_file_of_three_real_iphones_matches_a_builtin_set() {
    let (index, _) = builtin_only();
    for list in ["josh-hickman-ios15.csv.zip", "magnet-mvs-2023-ios.csv.zip", "belkasoft-ctf6-ios-dev1.csv.zip"] {
        let Some(paths) = device_paths(list) else { return };
        assert!(paths.len() > 100_000, "{list}: {} paths", paths.len());
        let hits: Vec<&String> = paths.iter().filter(|p| index.check_file_path(p).is_some()).collect();
        assert!(hits.is_empty(), "{list}: {hits:?}");
    }
}
