//! iOS full-filesystem dumps.
//!
//! [`open`] accepts the forms extraction tools produce: a folder, a `.tar`, a `.tar.gz`/`.tgz`
//! or a `.zip` (the format is recognised by content, not by extension). Archives are read in
//! place ([`ferret_core::tar::TarEvidence`], [`ferret_core::zip::ZipEvidence`]); nothing is
//! extracted. The returned evidence has kind [`AcquisitionKind::IosFs`] and paths relative to the
//! dump root, so module locators such as `private/var/mobile/Library/SMS/sms.db` match.
//!
//! **Layouts** ([`Layout`]). Modules see every dump as the phone's tree, `private/var/...`.
//! The data partition is found by its content (a folder iOS keeps there,
//! [`crate::detect::FS_MARKERS`]: `mobile/`, `containers/`, ...), in the layouts tools write:
//! * `private/var/...` (absolute zip members `/private/var/...` are normalised to it, with one
//!   warning and a count), or one folder down (a tool's top folder, `dump/private/var/...`);
//! * `var/...`, or one folder down: shown as `private/var/...`, the rest as it is;
//! * split per partition: two top folders, one holding the data partition whose root *is*
//!   `/private/var` (`filesystem2/mobile/...`), the other the system partition
//!   (`filesystem1/System/...`, `usr/`...): both are read, the data partition shown under
//!   `private/var/`.
//!
//! A dump in which no data partition can be placed is an error naming what was expected, never
//! a silent partial check.
//!
//! **Folders** are indexed once ([`ferret_core::evidence::IndexedFolder`]): one directory walk builds a compact
//! [`ferret_core::tar::FileIndex`], so the 40-odd modules that each `locate` their artifact do not each walk a
//! million files again.
//!
//! Which type an acquisition is, is decided in [`mod@crate::detect`].

use std::io::Read;
use std::path::{Path, PathBuf};

use ferret_core::evidence::{IndexedFolder, Prefixed};
use ferret_core::tar::{TarEvidence, TarOptions};
use ferret_core::zip::ZipEvidence;
use ferret_core::{AcquisitionKind, Evidence, EvidenceError};

/// Errors opening a filesystem dump or a sysdiagnose.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FsError {
    /// The path does not exist.
    #[error("{path}: no such file or folder")]
    NotFound {
        /// The path given.
        path: PathBuf,
    },
    /// The path is not a folder, tar, tar.gz or zip.
    #[error("{path}: {reason}")]
    Unsupported {
        /// The path given.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Reading the acquisition failed.
    #[error(transparent)]
    Evidence(#[from] EvidenceError),
}

/// Container format of an acquisition path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// A plain folder.
    Folder,
    /// A tar archive, compressed or not.
    Tar,
    /// A zip archive.
    Zip,
}

/// Recognises the container of `path` by content (gzip/tar/zip magic bytes).
pub fn container_of(path: &Path) -> Result<Container, FsError> {
    if !path.exists() {
        return Err(FsError::NotFound { path: path.to_path_buf() });
    }
    if path.is_dir() {
        return Ok(Container::Folder);
    }
    let mut head = [0u8; 512];
    let mut f =
        std::fs::File::open(path).map_err(|source| EvidenceError::Io { path: path.display().to_string(), source })?;
    let mut got = 0;
    while got < head.len() {
        let n = f
            .read(&mut head[got..])
            .map_err(|source| EvidenceError::Io { path: path.display().to_string(), source })?;
        if n == 0 {
            break;
        }
        got += n;
    }
    let head = &head[..got];
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Ok(Container::Zip);
    }
    if head.starts_with(&[0x1f, 0x8b]) || head.get(257..262) == Some(b"ustar".as_slice()) {
        return Ok(Container::Tar);
    }
    Err(FsError::Unsupported { path: path.to_path_buf(), reason: "not a folder, tar, tar.gz or zip archive".into() })
}

/// Opens a filesystem dump (folder, `.tar`, `.tar.gz`, `.zip`) as [`AcquisitionKind::IosFs`]
/// evidence rooted at the dump root.
pub fn open(path: &Path) -> Result<Box<dyn Evidence>, FsError> {
    open_noting(path, &mut Vec::new())
}

/// [`open`], adding to `notes` what the user should know about the archive as a whole (entry
/// names normalised or skipped, one line per kind with its count): they become the run's
/// acquisition problems (`info.json` `problems`, the report's verdict caveats).
pub fn open_noting(path: &Path, notes: &mut Vec<String>) -> Result<Box<dyn Evidence>, FsError> {
    match container_of(path)? {
        Container::Folder => {
            let layout = folder_layout(path);
            if let Some(Layout::Root(prefix)) = &layout {
                let root = path.join(prefix.trim_end_matches('/'));
                return Ok(Box::new(IndexedFolder::new(&root, path, AcquisitionKind::IosFs)?));
            }
            place(Box::new(IndexedFolder::new(path, path, AcquisitionKind::IosFs)?), layout, path)
        }
        Container::Tar => {
            #[allow(unused_mut)]
            let mut options = TarOptions::default();
            // The unified-log parser reads these in its own order: cache them in the index pass.
            #[cfg(feature = "unified-log")]
            options.cache_patterns.extend(
                [
                    "**/private/var/db/diagnostics/**",
                    "**/private/var/db/uuidtext/**",
                    "private/var/db/diagnostics/**",
                    "private/var/db/uuidtext/**",
                ]
                .iter()
                .map(|s| s.to_string()),
            );
            let t = TarEvidence::open_with(path, AcquisitionKind::IosFs, &options)?;
            notes.extend(t.odd_name_warnings());
            let layout = index_layout(t.index());
            place(Box::new(t), layout, path)
        }
        Container::Zip => {
            let z = ZipEvidence::open(path, AcquisitionKind::IosFs)?;
            notes.extend(z.odd_name_warnings());
            let layout = index_layout(z.index());
            place(Box::new(z), layout, path)
        }
    }
}

/// Where a dump's partitions are: `(inner prefix, shown as)` pairs for
/// [`Prefixed::remap`], or a plain top folder to strip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// `private/var/...` under this prefix (`""` or `"dump/"`).
    Root(String),
    /// Prefix pairs (a `var/` dump, or one split per partition), most specific first.
    Map(Vec<(String, String)>),
}

/// What [`Layout`] expects, for the error when nothing matches.
pub const LAYOUT_EXPECTED: &str = "an iOS data partition: private/var/<mobile|containers|root|db|...>/ or var/<...>/, at the top or one folder down, or a partition folder whose root holds mobile/, containers/... (with the system partition in another top folder)";

fn is_marker(c: &str) -> bool {
    crate::detect::FS_MARKERS.contains(&c)
}

fn is_system(c: &str) -> bool {
    matches!(c, "System" | "usr" | "Applications" | "bin" | "sbin" | "Library")
}

/// Collects layout evidence from entry names (`/`-separated, normalised).
#[derive(Debug, Default)]
struct LayoutScan {
    private_var: std::collections::BTreeSet<String>,
    var: std::collections::BTreeSet<String>,
    partition: std::collections::BTreeSet<String>,
    system: std::collections::BTreeSet<String>,
}

impl LayoutScan {
    fn add(&mut self, name: &str) {
        // empty components (a leading `/`, `a//b`) are no folder: skipped, as archive readers do
        let c: Vec<&str> = name.split('/').filter(|c| !c.is_empty()).take(5).collect();
        let at = |i: usize| c.get(i).copied().unwrap_or("");
        // depth 0 and 1 (one top folder)
        for (d, top) in [(0usize, String::new()), (1, format!("{}/", at(0)))] {
            if d == 1 && c.len() < 3 {
                break;
            }
            // any folder under private/var (the dump was named one; a lone file is not enough)
            if at(d) == "private" && at(d + 1) == "var" && !at(d + 2).is_empty() && c.len() > d + 3 {
                self.private_var.insert(top.clone());
            }
            if at(d) == "var" && is_marker(at(d + 1)) && c.len() > d + 2 {
                self.var.insert(top.clone());
            }
        }
        if c.len() > 2 && is_marker(at(1)) {
            self.partition.insert(format!("{}/", at(0)));
        }
        if c.len() > 2 && is_system(at(1)) {
            self.system.insert(format!("{}/", at(0)));
        }
    }

    fn layout(&self) -> Option<Layout> {
        if self.private_var.contains("") {
            return Some(Layout::Root(String::new()));
        }
        if let [one] = self.private_var.iter().collect::<Vec<_>>().as_slice() {
            return Some(Layout::Root((*one).clone()));
        }
        if !self.private_var.is_empty() {
            return None;
        }
        if let [top] = self.var.iter().collect::<Vec<_>>().as_slice() {
            return Some(Layout::Map(vec![
                (format!("{top}var/"), "private/var/".into()),
                ((*top).clone(), String::new()),
            ]));
        }
        if !self.var.is_empty() {
            return None;
        }
        let data: Vec<&String> = self.partition.iter().filter(|p| !self.system.contains(*p)).collect();
        let [data] = data.as_slice() else { return None };
        let mut maps = vec![((*data).clone(), "private/var/".to_string())];
        let systems: Vec<&String> = self.system.iter().filter(|s| s != data).collect();
        if let [sys] = systems.as_slice() {
            maps.push(((*sys).clone(), String::new()));
        }
        Some(Layout::Map(maps))
    }
}

/// The layout of an archive from its (normalised) entry names.
pub fn layout_of<'a>(names: impl Iterator<Item = &'a str>) -> Option<Layout> {
    let mut scan = LayoutScan::default();
    for n in names {
        scan.add(n);
    }
    scan.layout()
}

/// The layout of an archive's indexed names (built one by one, none copied).
fn index_layout(index: &ferret_core::tar::FileIndex) -> Option<Layout> {
    let mut scan = LayoutScan::default();
    index.for_each_name(|n| scan.add(n));
    scan.layout()
}

/// The layout of a folder, from its first two levels and the markers below them.
fn folder_layout(path: &Path) -> Option<Layout> {
    let mut scan = LayoutScan::default();
    let dirs = |p: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(p)
            .map(|rd| {
                rd.flatten()
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    // probe names shaped like archive entries: "<a>/<b>/<c>/x"
    let mut probe = |rel: &str| scan.add(&format!("{rel}/x"));
    for sub in dirs(&path.join("private/var")) {
        probe(&format!("private/var/{sub}"));
    }
    for m in crate::detect::FS_MARKERS {
        if path.join("var").join(m).is_dir() {
            probe(&format!("var/{m}"));
        }
    }
    for top in dirs(path) {
        let t = path.join(&top);
        for sub in dirs(&t.join("private/var")) {
            probe(&format!("{top}/private/var/{sub}"));
        }
        for m in crate::detect::FS_MARKERS {
            if t.join("var").join(m).is_dir() {
                probe(&format!("{top}/var/{m}"));
            }
            if t.join(m).is_dir() {
                probe(&format!("{top}/{m}"));
            }
        }
        for s in ["System", "usr", "Applications", "bin", "sbin", "Library"] {
            if t.join(s).is_dir() {
                probe(&format!("{top}/{s}"));
            }
        }
    }
    scan.layout()
}

fn place(ev: Box<dyn Evidence>, layout: Option<Layout>, path: &Path) -> Result<Box<dyn Evidence>, FsError> {
    match layout {
        Some(Layout::Root(prefix)) => Ok(Prefixed::subtree(ev, &prefix)),
        Some(Layout::Map(maps)) => {
            tracing::info!("{}: partitions read as {maps:?}", path.display());
            Ok(Box::new(Prefixed::remap(ev, maps)))
        }
        None => Err(FsError::Unsupported {
            path: path.to_path_buf(),
            reason: format!("cannot place this filesystem dump: expected {LAYOUT_EXPECTED}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_from_names() {
        let root = |p: &str| Some(Layout::Root(p.to_string()));
        let map =
            |m: &[(&str, &str)]| Some(Layout::Map(m.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()));
        assert_eq!(layout_of(["x/private/var/mobile/a"].into_iter()), root("x/"));
        assert_eq!(layout_of(["private/var/mobile/a", "System/x"].into_iter()), root(""));
        assert_eq!(
            layout_of(["var/mobile/a", "System/Library/x"].into_iter()),
            map(&[("var/", "private/var/"), ("", "")])
        );
        assert_eq!(layout_of(["t/var/db/a"].into_iter()), map(&[("t/var/", "private/var/"), ("t/", "")]));
        assert_eq!(
            layout_of(
                ["filesystem1/System/Library/x", "filesystem2/mobile/Library/a", "filesystem1/usr/lib/y"].into_iter()
            ),
            map(&[("filesystem2/", "private/var/"), ("filesystem1/", "")])
        );
        assert_eq!(layout_of(["data/containers/Shared/a"].into_iter()), map(&[("data/", "private/var/")]));
        // nothing to place, or two candidates: an error, not a guess
        assert_eq!(layout_of(["readme.txt", "photos/a.jpg"].into_iter()), None);
        assert_eq!(layout_of(["a/private/var/mobile/x", "b/private/var/root/y"].into_iter()), None);
        assert_eq!(layout_of(["a/mobile/x", "b/mobile/y"].into_iter()), None);
        // a private/var tree is placed whatever it holds (detection is what asks for iOS's
        // folders); a file directly in private/var is not a tree
        assert_eq!(layout_of(["private/var/networkd/db/x"].into_iter()), root(""));
        assert_eq!(layout_of(["private/var/x"].into_iter()), None);
    }

    #[test]
    fn folder_root_nested_once() {
        let d = tempfile::tempdir().expect("tmp");
        std::fs::create_dir_all(d.path().join("dump/private/var/mobile")).expect("mkdir");
        std::fs::write(d.path().join("dump/private/var/mobile/a.txt"), b"x").expect("w");
        let ev = open(d.path()).expect("open");
        let mut names = Vec::new();
        ev.walk(&mut |f| names.push(f.path.clone())).expect("walk");
        assert_eq!(names, vec!["private/var/mobile/a.txt"]);
        assert_eq!(ev.kind(), AcquisitionKind::IosFs);
        assert!(matches!(open(&d.path().join("nope")), Err(FsError::NotFound { .. })));
        let junk = d.path().join("junk.bin");
        std::fs::write(&junk, b"hello").expect("w");
        assert!(matches!(open(&junk), Err(FsError::Unsupported { .. })));
        assert!(crate::detect::detect_all(&junk).is_empty());
        assert_eq!(crate::detect(d.path()).map(|d| d.kind), Some(AcquisitionKind::IosFs));
        assert!(crate::detect(&d.path().join("nope")).is_none());
    }
}

#[cfg(test)]
mod end_to_end {
    use ferret_core::module::testing::run_one;
    use ferret_core::{Context, RunOptions};
    use ferret_testdata::fake::TruthIndicators;
    use ferret_testdata::ios_fs::{generate, write_folder, write_tar_gz};
    use ferret_testdata::truth::{Truth, compare};

    /// Every filesystem-only module on a generated dump, as a folder nested one level and as a
    /// tar.gz: exact recall and precision, identical records.
    #[test]
    fn fs_only_modules_folder_and_targz() {
        let mut truth = Truth::default();
        let files = generate(33, 120, &mut truth);
        let d = tempfile::tempdir().expect("tmp");
        let folder = write_folder(&d.path().join("f"), "dump", &files).expect("folder");
        let tgz = d.path().join("dump.tgz");
        write_tar_gz(&tgz, "", &files).expect("tgz");
        assert_eq!(crate::detect(&tgz).map(|d| d.kind), Some(ferret_core::AcquisitionKind::IosFs));
        let ind = TruthIndicators::new(&truth);
        let opts = RunOptions::default();
        let mut outputs = Vec::new();
        for path in [folder, tgz] {
            let ev = super::open(&path).expect("open");
            let ctx = Context { evidence: ev.as_ref(), indicators: &ind, options: &opts };
            let mut alerts = Vec::new();
            let mut records = Vec::new();
            for m in crate::modules::fs_only_modules() {
                let r = run_one(m.as_ref(), &ctx);
                assert!(r.outcome.is_ok(), "{}: {:?}", m.info().name, r.outcome);
                alerts.extend(r.alerts);
                records.push((m.info().name, r.records));
            }
            let names: Vec<&str> = records.iter().map(|(n, _)| *n).collect();
            let cmp = compare(&truth.alerts, &alerts, Some(&names));
            assert!(cmp.is_exact(), "missed {:#?}\nunexpected {:#?}", cmp.missed, cmp.unexpected);
            outputs.push(records);
        }
        assert_eq!(outputs[0], outputs[1]);
    }

    struct Count(u64);
    impl ferret_core::RecordSink for Count {
        fn record(&mut self, _: &[u8]) -> std::io::Result<()> {
            self.0 += 1;
            Ok(())
        }
    }
    impl ferret_core::TimelineSink for Count {
        fn event(&mut self, _: ferret_core::TimelineEvent) -> std::io::Result<()> {
            self.0 += 1;
            Ok(())
        }
    }

    /// Benchmark (ignored by default): a 1M-entry plain tar (and its gzip) through `fs::open` +
    /// the `filesystem` module, records discarded. Run with
    /// `FERRET_BENCH_ENTRIES=1000000 cargo test --release -p ferret-ios bench_large_file_list -- --ignored --nocapture`
    /// under `/usr/bin/time -v`. `FERRET_BENCH_GZIP=1` uses a `.tar.gz`.
    #[test]
    #[ignore = "benchmark"]
    #[allow(clippy::print_stderr)] // the benchmark's figures are its output
    fn bench_large_file_list() {
        use ferret_core::{Module, Output, Typed};
        let n: usize = std::env::var("FERRET_BENCH_ENTRIES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
        let gz = std::env::var("FERRET_BENCH_GZIP").is_ok();
        let dir =
            std::path::PathBuf::from(std::env::var("FERRET_BENCH_DIR").unwrap_or_else(|_| "/tmp/ferret-bench".into()));
        std::fs::create_dir_all(&dir).expect("dir");
        let tar = dir.join(format!("fs-{n}.tar"));
        if !tar.exists() {
            ferret_testdata::ios_fs::write_large_tar(&tar, n, "evil_implant.dylib").expect("tar");
        }
        let path = if gz {
            let p = dir.join(format!("fs-{n}.tar.gz"));
            if !p.exists() {
                let mut r = std::fs::File::open(&tar).expect("open");
                let mut w =
                    flate2::write::GzEncoder::new(std::fs::File::create(&p).expect("c"), flate2::Compression::fast());
                std::io::copy(&mut r, &mut w).expect("gz");
                w.finish().expect("fin");
            }
            p
        } else {
            tar
        };
        // FERRET_BENCH_PATH: a folder (e.g. the tar extracted) or archive to use instead.
        let path = std::env::var("FERRET_BENCH_PATH").map(std::path::PathBuf::from).unwrap_or(path);
        let mut truth = Truth::default();
        truth.plant(ferret_testdata::truth::IndicatorKind::FileName, "evil_implant.dylib", "X");
        let ind = TruthIndicators::new(&truth);
        let t0 = std::time::Instant::now();
        let ev = super::open(&path).expect("open");
        let t_open = t0.elapsed();
        let opts = RunOptions::default();
        let ctx = Context { evidence: ev.as_ref(), indicators: &ind, options: &opts };
        let (mut recs, mut tl) = (Count(0), Count(0));
        let mut out = Output::new("filesystem", &mut recs, &mut tl);
        let t1 = std::time::Instant::now();
        Typed(crate::modules::filesystem::Filesystem).run(&ctx, &mut out).expect("run");
        let (alerts, _, count) = out.into_parts();
        let t_run = t1.elapsed();
        eprintln!(
            "BENCH entries={n} gzip={gz} open={t_open:?} filesystem={t_run:?} records={count} alerts={}",
            alerts.len()
        );
        assert_eq!(count as usize, n);
        assert_eq!(alerts.len(), n / 100_000);
    }
}
