//! iOS full-filesystem dumps.
//!
//! [`open`] accepts the forms extraction tools produce: a folder, a `.tar`, a `.tar.gz`/`.tgz`
//! or a `.zip` (the format is recognised by content, not by extension). Archives are read in
//! place ([`ferret_core::tar::TarEvidence`], [`ferret_core::zip::ZipEvidence`]); nothing is
//! extracted. The returned evidence has kind [`AcquisitionKind::IosFs`] and paths relative to the
//! dump root, so module locators such as `private/var/mobile/Library/SMS/sms.db` match.
//!
//! **Dump root.** The root is the folder holding `private/var/`. Tools often wrap the tree in
//! one extra folder (`dump/private/var/...`, `filesystem1/private/var/...`); a root nested one
//! level deep is found automatically. When no `private/var/` exists at depth 0 or 1 the given
//! folder/archive root is used as is (modules then simply find nothing).
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
    match container_of(path)? {
        Container::Folder => {
            let root = folder_root(path);
            Ok(Box::new(IndexedFolder::new(&root, path, AcquisitionKind::IosFs)?))
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
            let prefix = archive_root(t.index().iter().map(|i| i.name));
            Ok(Prefixed::subtree(Box::new(t), &prefix))
        }
        Container::Zip => {
            let z = ZipEvidence::open(path, AcquisitionKind::IosFs)?;
            let prefix = archive_root(z.index().iter().map(|i| i.name));
            Ok(Prefixed::subtree(Box::new(z), &prefix))
        }
    }
}

/// The dump root inside a folder: the folder itself if it holds `private/var`, else its only
/// child holding `private/var`, else the folder itself.
fn folder_root(path: &Path) -> PathBuf {
    if path.join("private/var").is_dir() {
        return path.to_path_buf();
    }
    let mut found = Vec::new();
    if let Ok(rd) = std::fs::read_dir(path) {
        for e in rd.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) && e.path().join("private/var").is_dir() {
                found.push(e.path());
            }
        }
    }
    found.sort();
    match found.as_slice() {
        [one] => one.clone(),
        _ => path.to_path_buf(),
    }
}

/// The prefix (`""` or `"dir/"`) under which an archive holds `private/var/`.
fn archive_root<'a>(names: impl Iterator<Item = &'a str>) -> String {
    for n in names {
        if n.starts_with("private/var/") {
            return String::new();
        }
        if let Some((first, rest)) = n.split_once('/')
            && rest.starts_with("private/var/")
        {
            return format!("{first}/");
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_roots() {
        assert_eq!(archive_root(["x/private/var/a"].into_iter()), "x/");
        assert_eq!(archive_root(["private/var/a"].into_iter()), "");
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
