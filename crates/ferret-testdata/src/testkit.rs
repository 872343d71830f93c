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
