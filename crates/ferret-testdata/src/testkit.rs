//! The test kit every crate's integration tests share: run the `ferret` binary in a controlled
//! environment, and snapshot trees to prove evidence is untouched and nothing was written
//! elsewhere.
//!
//! The binary's path is given by the caller (`env!("CARGO_BIN_EXE_ferret")` exists only in the
//! CLI's own tests).

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

/// A `ferret` invocation with a clean environment: no indicator sets from the environment, a
/// data folder that does not exist (so no cache and no prepared copies), no MVT password
/// variables.
#[derive(Debug, Clone)]
pub struct Ferret {
    bin: PathBuf,
    env: Vec<(OsString, OsString)>,
    cwd: Option<PathBuf>,
}

impl Ferret {
    /// The binary at `bin`.
    pub fn new(bin: impl Into<PathBuf>) -> Self {
        let env = vec![("FERRET_DATA_DIR".into(), "/nonexistent-ferret-test-data".into())];
        Self { bin: bin.into(), env, cwd: None }
    }

    /// Sets an environment variable.
    pub fn env(mut self, k: impl AsRef<OsStr>, v: impl AsRef<OsStr>) -> Self {
        self.env.push((k.as_ref().to_owned(), v.as_ref().to_owned()));
        self
    }

    /// Runs in `dir`.
    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    /// The command, ready to run or spawn.
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut c = Command::new(&self.bin);
        c.args(args);
        // the locale chooses the report's language: tests get English unless they set one
        for k in [
            "FERRET_IOCS",
            "MVT_STIX2",
            "MVT_IOS_BACKUP_PASSWORD",
            "MVT_ANDROID_BACKUP_PASSWORD",
            "FERRET_ARTIFACT_LIMIT",
            "FERRET_SCRATCH_LIMIT",
            "FERRET_SQLITE_STEPS_PER_BYTE",
            "FERRET_SQLITE_STEP_FLOOR",
            "FERRET_NO_PREPARED",
            "LC_ALL",
            "LC_MESSAGES",
            "LANG",
        ] {
            c.env_remove(k);
        }
        for (k, v) in &self.env {
            c.env(k, v);
        }
        if let Some(d) = &self.cwd {
            c.current_dir(d);
        }
        c
    }

    /// Runs to completion.
    pub fn run<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        #[allow(clippy::expect_used)]
        self.command(args).output().expect("runs ferret")
    }
}

/// What a watched run did: its output and the peaks polled while it ran.
#[derive(Debug)]
pub struct Watched {
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Peak resident memory of the child in KiB (`VmHWM`, as last polled).
    pub peak_rss_kib: u64,
    /// Most bytes seen at once under the child's `TMPDIR`.
    pub peak_scratch_bytes: u64,
}

impl Watched {
    /// Standard output and error together.
    pub fn text(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Bytes of the regular files under `dir` (0 when it does not exist; links not followed).
pub fn bytes_under(dir: &Path) -> u64 {
    let mut n = 0;
    walk(dir, &mut |_, _, meta| {
        if meta.is_file() {
            n += meta.len();
        }
    });
    n
}

impl Ferret {
    /// Runs with `TMPDIR=tmp` (created), polling the child's peak memory (its own `VmHWM`, not
    /// the test process's other children) and the bytes under `tmp` until it ends; a child
    /// still running after `watchdog` is killed and the test fails (a hang, not a speed bound).
    pub fn run_watched<I, S>(&self, args: I, tmp: &Path, watchdog: std::time::Duration) -> Watched
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        #![allow(clippy::expect_used, clippy::panic)]
        std::fs::create_dir_all(tmp).expect("tmp");
        let out = tempfile::tempdir().expect("capture");
        let (so, se) = (out.path().join("stdout"), out.path().join("stderr"));
        let mut child = self
            .command(args)
            .env("TMPDIR", tmp)
            .stdin(std::process::Stdio::null())
            .stdout(std::fs::File::create(&so).expect("stdout"))
            .stderr(std::fs::File::create(&se).expect("stderr"))
            .spawn()
            .expect("spawn ferret");
        let start = std::time::Instant::now();
        let (mut peak_rss_kib, mut peak_scratch_bytes) = (0u64, 0u64);
        let status = loop {
            if let Some(st) = child.try_wait().expect("wait") {
                break st;
            }
            if let Some(kib) = vm_hwm_kib(child.id()) {
                peak_rss_kib = peak_rss_kib.max(kib);
            }
            peak_scratch_bytes = peak_scratch_bytes.max(bytes_under(tmp));
            if start.elapsed() > watchdog {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "ferret did not end within {watchdog:?} (hang); stderr: {}",
                    std::fs::read_to_string(&se).unwrap_or_default()
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        Watched {
            code: status.code(),
            stdout: std::fs::read_to_string(&so).unwrap_or_default(),
            stderr: std::fs::read_to_string(&se).unwrap_or_default(),
            peak_rss_kib,
            peak_scratch_bytes,
        }
    }
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A path as `&str` (tests use UTF-8 paths unless they test otherwise).
pub fn s(p: &Path) -> &str {
    #[allow(clippy::expect_used)]
    p.to_str().expect("utf-8 path")
}

/// What a snapshot keeps of one entry: bytes (or link target), length, mode, mtime.
pub type Entry = (Vec<u8>, u64, u32, Option<SystemTime>);

/// Visits every entry under `dir` without following links: (path relative to `dir`, its
/// `lstat` metadata).
fn walk(dir: &Path, visit: &mut dyn FnMut(PathBuf, &Path, &std::fs::Metadata)) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            let Ok(meta) = std::fs::symlink_metadata(&p) else { continue };
            let rel = p.strip_prefix(dir).map(Path::to_path_buf).unwrap_or_else(|_| p.clone());
            visit(rel, &p, &meta);
            if meta.is_dir() {
                stack.push(p);
            }
        }
    }
}

/// Every entry under `dir` (files, links, folders), without following links: path relative to
/// `dir` → (bytes or link target, length, mode, mtime). Equal snapshots mean nothing was
/// created, removed or changed.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Entry> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = BTreeMap::new();
    walk(dir, &mut |rel, p, meta| {
        let bytes = if meta.file_type().is_symlink() {
            std::fs::read_link(p).map(|t| t.into_os_string().into_encoded_bytes()).unwrap_or_default()
        } else if meta.is_file() {
            std::fs::read(p).unwrap_or_default()
        } else {
            Vec::new()
        };
        out.insert(rel, (bytes, meta.len(), meta.permissions().mode(), meta.modified().ok()));
    });
    out
}

/// Every regular file under `dir` with its bytes (links not followed).
pub fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    walk(dir, &mut |rel, p, meta| {
        if meta.is_file() {
            out.insert(rel, std::fs::read(p).unwrap_or_default());
        }
    });
    out
}

/// [`snapshot`] of `dir` without the entries under `except` (relative paths): what a run may
/// not have touched.
pub fn snapshot_except(dir: &Path, except: &[&Path]) -> BTreeMap<PathBuf, Entry> {
    snapshot(dir).into_iter().filter(|(p, _)| !except.iter().any(|e| p.starts_with(e))).collect()
}

/// A folder of `../shared/` (public real data and indicator bundles, read in place, never copied
/// into the repository), e.g. `shared("real/ios-fs/josh_ios17")`. Outside CI a missing folder
/// skips the caller's test with a note (`None`); under CI (`CI` set) it fails the run, because a
/// skipped prerequisite there would hide a regression.
pub fn shared(relative: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared").join(relative);
    if p.exists() {
        return Some(p);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "../shared/{relative} is missing: under CI a missing prerequisite fails instead of skipping"
    );
    #[allow(clippy::print_stderr)]
    {
        eprintln!("note: ../shared/{relative} not found; the part of the test that reads it is skipped");
    }
    None
}

/// The paths (first column, as listed) of one real iPhone's file-path list in
/// `../shared/real/ios-filepath-lists/` (a zipped CSV), e.g. `real_path_list("josh-hickman-ios15.csv.zip")`;
/// `None` where [`shared`] skips.
pub fn real_path_list(name: &str) -> Option<Vec<String>> {
    use std::io::Read;
    let zipped = shared(&format!("real/ios-filepath-lists/{name}"))?;
    let mut archive = zip::ZipArchive::new(std::fs::File::open(zipped).expect("open the list")).expect("a zip");
    let member = archive
        .file_names()
        .filter_map(Result::ok)
        .find(|n| n.ends_with(".csv") && !n.starts_with("__MACOSX"))
        .expect("a CSV in the zip")
        .to_string();
    let mut text = String::new();
    archive.by_name(&member).expect("the CSV").read_to_string(&mut text).expect("UTF-8 CSV");
    let rows = csv::Reader::from_reader(text.as_bytes()).into_records();
    Some(rows.filter_map(Result::ok).map(|row| row.get(0).unwrap_or_default().to_string()).collect())
}

/// Writes the indicator bundle of `truth` (with 500 decoys) as `dir/iocs.stix2` for a CLI run.
pub fn bundle_file(dir: &Path, truth: &crate::truth::Truth) -> PathBuf {
    let p = dir.join("iocs.stix2");
    std::fs::write(&p, crate::stix::bundle(&truth.indicators, 500, 3)).expect("bundle");
    p
}

/// Asserts that `results/alerts.json` holds exactly the alerts `truth` expects: every planted
/// case, and nothing else.
pub fn assert_results_exact(results: &Path, truth: &crate::truth::Truth) {
    let alerts: Vec<ferret_core::Alert> =
        serde_json::from_slice(&std::fs::read(results.join("alerts.json")).expect("alerts")).expect("json");
    crate::truth::compare(&truth.alerts, &alerts, None).assert_exact();
}
