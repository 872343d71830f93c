//! The file index on the file-path lists of three real iPhones (`../shared/real/ios-filepath-lists/`,
//! 65,624 to 474,145 paths): every path is found again, the order is the byte order of whole
//! paths, directories are held once, and a search finds what its glob matches on whole paths.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::collections::{BTreeSet, HashMap};

use ferret_core::evidence::{Locator, compile_glob};
use ferret_core::file_index::FileIndex;

/// The paths of one real list, without the leading `/` (as archive names are normalised).
fn real_paths(name: &str) -> Option<Vec<String>> {
    let listed = ferret_testdata::testkit::real_path_list(name)?;
    Some(listed.iter().map(|p| p.trim_start_matches('/').to_string()).filter(|p| !p.is_empty()).collect())
}

static GLOBS: &[&str] = &[
    "private/var/mobile/Library/SMS/sms.db",
    "**/Library/Preferences/*.plist",
    "**/*.sqlite*",
    "**/Caches/**",
    "private/var/containers/Bundle/Application/*/*.app/Info.plist",
];

#[test]
fn real_path_lists_index_whole() {
    for list in ["belkasoft-ctf6-ios-dev1.csv.zip", "josh-hickman-ios15.csv.zip", "magnet-mvs-2023-ios.csv.zip"] {
        let Some(paths) = real_paths(list) else { continue };
        assert!(paths.len() > 60_000, "{list}: {} paths", paths.len());
        let mut idx = FileIndex::new();
        for (i, p) in paths.iter().enumerate() {
            idx.push(p, i as u64, None, 0);
        }
        idx.finish();
        assert_eq!(idx.len(), paths.len(), "{list}");

        let mut sorted = paths.clone();
        sorted.sort();
        assert!(idx.iter().map(|it| it.name).eq(sorted.iter().cloned()), "{list}: order");
        // a name listed twice: the last one is the plain copy
        let last: HashMap<&str, usize> = paths.iter().enumerate().map(|(i, p)| (p.as_str(), i)).collect();
        for p in &paths {
            assert_eq!(idx.get(p).map(|f| f.size), last.get(p.as_str()).map(|&i| i as u64), "{list}: {p}");
            let longer = format!("{p}~");
            assert_eq!(idx.get(&longer).is_some(), last.contains_key(longer.as_str()), "{list}: {longer}");
        }

        // each directory once: the names held are the last components plus the distinct folders
        let dirs: BTreeSet<&str> =
            paths.iter().map(|p| p.rfind('/').filter(|&i| i + 1 < p.len()).map_or("", |i| &p[..=i])).collect();
        let bases: usize = paths.iter().map(|p| p.len()).sum::<usize>()
            - paths.iter().map(|p| p.rfind('/').filter(|&i| i + 1 < p.len()).map_or(0, |i| i + 1)).sum::<usize>();
        let whole: usize = paths.iter().map(String::len).sum();
        assert_eq!(idx.dir_count(), dirs.len() + usize::from(!dirs.contains("")), "{list}");
        assert_eq!(idx.name_bytes(), bases + dirs.iter().map(|d| d.len()).sum::<usize>(), "{list}");
        eprintln!(
            "{list}: {} paths in {} folders, {whole} bytes of whole names held in {} ({:.0} %)",
            paths.len(),
            dirs.len(),
            idx.name_bytes(),
            100.0 * idx.name_bytes() as f64 / whole as f64
        );

        for g in GLOBS {
            let glob = compile_glob(g).unwrap();
            let want: Vec<&str> = sorted.iter().map(String::as_str).filter(|p| glob.is_match(p)).collect();
            let got = idx.locate(&Locator { backup: &[], paths: std::slice::from_ref(g) }).unwrap();
            let got: Vec<&str> = got.iter().map(|f| f.relative_path.as_str()).collect();
            assert_eq!(got, want, "{list}: {g}");
        }
    }
}
