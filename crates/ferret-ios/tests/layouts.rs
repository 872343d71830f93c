//! Filesystem dumps as real tools lay them out, built from the same files: `private/var/...`,
//! absolute zip members `/private/var/...`, `var/...`, a tool's top folder, and the dump split
//! per partition (`filesystem1/` the system partition, `filesystem2/` the data partition whose
//! root *is* `/private/var`). Every layout is detected as a filesystem dump and gives the same
//! records and alerts (exact recall and precision on the generated scenario); the real iOS 17
//! pieces give the same records in every layout too.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use ferret_core::module::testing::run_one;
use ferret_core::{AcquisitionKind, Context, Indicators, NoIndicators, RunOptions};
use ferret_testdata::fake::TruthIndicators;
use ferret_testdata::scenario::{Scale, ios_fs_artifacts};
use ferret_testdata::truth::{Truth, compare};

/// (path in the dump, bytes)
type Files = Vec<(String, Vec<u8>)>;

/// The same files in one layout: each `private/var/x` becomes `data(x)`, anything else `sys(p)`.
fn lay(files: &Files, data: impl Fn(&str) -> String, sys: impl Fn(&str) -> String) -> Files {
    files.iter().map(|(p, b)| (p.strip_prefix("private/var/").map_or_else(|| sys(p), &data), b.clone())).collect()
}

/// One modification time for every file of every layout (2025-06-01 12:00:00 UTC; even seconds
/// as zip stores them), so records holding file times compare equal.
const MTIME: u64 = 1_748_779_200;

fn write_folder(dir: &Path, files: &Files) -> PathBuf {
    for (p, b) in files {
        let t = dir.join(p);
        std::fs::create_dir_all(t.parent().expect("parent")).expect("mkdir");
        std::fs::write(&t, b).expect("write");
        let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(MTIME);
        std::fs::File::options().write(true).open(&t).expect("open").set_modified(when).expect("mtime");
    }
    dir.to_path_buf()
}

fn write_zip(path: &Path, files: &Files) -> PathBuf {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).expect("create"));
    let when = zip::DateTime::from_date_and_time(2025, 6, 1, 12, 0, 0).expect("date");
    let o = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(when);
    for (p, b) in files {
        z.start_file(p.as_str(), o).expect("entry");
        z.write_all(b).expect("write");
    }
    z.finish().expect("finish");
    path.to_path_buf()
}

/// Module → (records, alert messages) of every filesystem module on `path`.
fn run(path: &Path, ind: &dyn Indicators) -> (BTreeMap<String, Vec<serde_json::Value>>, Vec<ferret_core::Alert>) {
    let d = ferret_ios::detect::detect(path).unwrap_or_else(|| panic!("{} not detected", path.display()));
    assert_eq!(d.kind, AcquisitionKind::IosFs, "{}", path.display());
    let ev = ferret_ios::fs::open(path).expect("open");
    let opts = RunOptions::default();
    let ctx = Context { evidence: ev.as_ref(), indicators: ind, options: &opts };
    let mut records = BTreeMap::new();
    let mut alerts = Vec::new();
    for m in ferret_ios::modules::fs_modules() {
        let r = run_one(m.as_ref(), &ctx);
        assert!(r.outcome.is_ok(), "{}: {}: {:?}", path.display(), m.info().name, r.outcome);
        alerts.extend(r.alerts);
        records.insert(m.info().name.to_string(), r.records);
    }
    (records, alerts)
}

fn variants(dir: &Path, files: &Files) -> Vec<PathBuf> {
    let same = |p: &str| p.to_string();
    vec![
        write_folder(&dir.join("plain"), files),
        write_zip(&dir.join("absolute.zip"), &lay(files, |x| format!("/private/var/{x}"), |p| format!("/{p}"))),
        write_folder(&dir.join("var"), &lay(files, |x| format!("var/{x}"), same)),
        write_zip(&dir.join("var-top.zip"), &lay(files, |x| format!("Image/var/{x}"), |p| format!("Image/{p}"))),
        write_folder(
            &dir.join("top"),
            &lay(files, |x| format!("Extraction 2026-11-20/private/var/{x}"), |p| format!("Extraction 2026-11-20/{p}")),
        ),
        write_folder(&dir.join("parts"), &lay(files, |x| format!("filesystem2/{x}"), |p| format!("filesystem1/{p}"))),
        write_zip(&dir.join("parts.zip"), &lay(files, |x| format!("filesystem2/{x}"), |p| format!("filesystem1/{p}"))),
    ]
}

#[test]
fn every_layout_gives_the_same_records_and_exact_alerts() {
    let mut truth = Truth::default();
    let generated = ios_fs_artifacts(21, Scale { sms: 60, decoys: 0 }, &mut truth);
    let files: Files = generated.iter().map(|a| (a.fs_path.clone(), a.bytes.clone())).collect();
    assert!(files.iter().any(|(p, _)| !p.starts_with("private/var/")), "a system-partition file too");
    let d = tempfile::tempdir().expect("tmp");
    let ind = TruthIndicators::new(&truth);
    let mut first: Option<BTreeMap<String, Vec<serde_json::Value>>> = None;
    for path in variants(d.path(), &files) {
        let (records, alerts) = run(&path, &ind);
        let cmp = compare(&truth.without_census().alerts, &alerts, None); // modules alone
        assert!(cmp.is_exact(), "{}: missed {:#?} unexpected {:#?}", path.display(), cmp.missed, cmp.unexpected);
        // the modules that keep file paths or times of the container itself aside, all equal
        match &first {
            None => first = Some(records),
            Some(f) => {
                for (m, recs) in &records {
                    if m == "filesystem" {
                        assert_eq!(recs.len(), f[m].len(), "{}: {m}", path.display());
                        continue;
                    }
                    assert_eq!(recs, &f[m], "{}: {m}", path.display());
                }
            }
        }
    }
}

/// Absolute member names are summarised in one line with their count, and that line is an
/// acquisition problem of the run (`info.json` `problems`, the report's caveats), not only a log
/// line; a dump with ordinary names has none.
#[test]
fn odd_member_names_are_one_acquisition_problem_with_a_count() {
    let files: Files = (0..5).map(|i| (format!("private/var/mobile/Library/f{i}.txt"), b"x".to_vec())).collect();
    let d = tempfile::tempdir().expect("tmp");
    let abs =
        write_zip(&d.path().join("absolute.zip"), &lay(&files, |x| format!("/private/var/{x}"), |p| format!("/{p}")));
    let secrets = ferret_core::Secrets::default();
    let opened = ferret_ios::open(&abs, AcquisitionKind::IosFs, &secrets).expect("open");
    assert_eq!(opened.problems.len(), 1, "{:?}", opened.problems);
    assert!(opened.problems[0].contains(": 5 entry names normalised"), "{}", opened.problems[0]);
    assert!(opened.problems[0].contains("\"/private/var/mobile/Library/f0.txt\""), "{}", opened.problems[0]);
    let plain = write_zip(&d.path().join("plain.zip"), &files);
    assert!(ferret_ios::open(&plain, AcquisitionKind::IosFs, &secrets).expect("open").problems.is_empty());
}

#[test]
fn real_ios17_pieces_read_the_same_in_every_layout() {
    let Some(root) = ferret_testdata::testkit::shared("real/ios-fs/josh_ios17") else { return };
    let mut files: Files = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(&root).expect("under root").to_string_lossy().into_owned();
                files.push((rel, std::fs::read(&p).expect("read")));
            }
        }
    }
    // The pieces hold the data partition only: a generated system-partition file stands for
    // the other partition (the split layout is recognised by its two partitions).
    files.extend(
        ferret_testdata::ios::os_version::generate(1, 1, &mut Truth::default())
            .into_iter()
            .map(|a| (a.fs_path, a.bytes)),
    );
    files.sort();
    let d = tempfile::tempdir().expect("tmp");
    let (base, _) = run(&write_folder(&d.path().join("base"), &files), &NoIndicators);
    assert!(base["cache_files"].len() == 6, "{:?}", base["cache_files"].len());
    for path in variants(d.path(), &files) {
        let (records, alerts) = run(&path, &NoIndicators);
        assert!(alerts.iter().all(|a| a.level < ferret_core::Level::High), "{}", path.display());
        for (m, recs) in &records {
            if m == "filesystem" {
                assert_eq!(recs.len(), base[m].len(), "{}: {m}", path.display());
            } else {
                assert_eq!(recs, &base[m], "{}: {m}", path.display());
            }
        }
    }
}

#[test]
fn a_dump_that_cannot_be_placed_is_an_error_naming_what_was_expected() {
    let d = tempfile::tempdir().expect("tmp");
    let files: Files = vec![("photos/a.jpg".into(), b"x".to_vec()), ("notes/b.txt".into(), b"y".to_vec())];
    for path in [write_folder(&d.path().join("f"), &files), write_zip(&d.path().join("f.zip"), &files)] {
        match ferret_ios::fs::open(&path) {
            Err(e) => {
                let text = e.to_string();
                assert!(text.contains("cannot place this filesystem dump") && text.contains("private/var/"), "{text}");
            }
            Ok(_) => panic!("{} must not open as a filesystem dump", path.display()),
        }
    }
}

#[allow(dead_code)]
#[path = "../../../fuzz/src/seeds.rs"]
mod seeds;

/// The `fs_layout` fuzz target's seeds: each one's outcome, then deterministic mutations
/// (every cut, every byte replaced by `/`, a NUL or a non-ASCII byte) that must place a dump
/// with well-formed prefixes or refuse it, never panic.
#[test]
fn fs_layout_seeds_and_mutations() {
    use ferret_ios::fs::{Layout, layout_of};
    let outcome = |b: &[u8]| {
        let t = String::from_utf8_lossy(b).into_owned();
        layout_of(t.lines())
    };
    let got: Vec<String> = seeds::seeds("fs_layout")
        .iter()
        .map(|s| match outcome(s) {
            Some(Layout::Root(p)) => format!("root {p:?}"),
            Some(Layout::Map(m)) => format!("map {m:?}"),
            None => "refused".into(),
        })
        .collect();
    assert_eq!(
        got,
        [
            "root \"\"",
            "root \"Extraction/\"",
            "root \"\"", // absolute names read as relative ones
            "map [(\"var/\", \"private/var/\"), (\"\", \"\")]",
            "map [(\"filesystem2/\", \"private/var/\"), (\"filesystem1/\", \"\")]",
            "refused",
            "refused",
        ]
    );
    let mut checked = 0;
    for s in seeds::seeds("fs_layout") {
        for i in 0..s.len() {
            for m in [
                &s[..i],
                &[&s[..i], b"/", &s[i + 1..]].concat(),
                &[&s[..i], b"\0", &s[i + 1..]].concat(),
                &[&s[..i], b"\xff", &s[i + 1..]].concat(),
            ] {
                let well_formed =
                    |p: &String| p.is_empty() || (p.ends_with('/') && !p.starts_with('/') && !p.contains("//"));
                match outcome(m) {
                    Some(Layout::Root(p)) => assert!(well_formed(&p)),
                    Some(Layout::Map(maps)) => {
                        assert!(!maps.is_empty() && maps.iter().all(|(a, b)| well_formed(a) && well_formed(b)))
                    }
                    None => {}
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "{checked}");
}
