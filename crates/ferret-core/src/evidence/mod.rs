//! Read-only views of acquisitions.
//!
//! An [`Evidence`] answers "where is artifact X in this acquisition?" ([`Evidence::locate`] with
//! a [`Locator`]) and "give me its bytes / open it as SQLite" without ever writing next to the
//! evidence. Implementations: [`FolderEvidence`] here (a plain folder: filesystem dumps,
//! extracted collections); iOS backups, archives and encrypted containers live in their crates.
//!
//! # Duplicate entries in archives
//! A tar, zip or `.ab` may hold several entries with the same (normalised) name. Extraction tools
//! keep one (`tar -x` and `unzip` the last), so an attacker can hide an artifact behind an
//! innocent twin. Archive evidences therefore list **every copy** as its own [`EvidenceFile`]:
//! all copies share the `relative_path` (so locators match each of them), and their `path`
//! tells them apart:
//! * the copy an extraction would leave (the **last** one in archive order) keeps the plain path,
//!   so a module that reads only the first located file reads what it always read;
//! * each earlier copy `k` of `n` gets the path `<name> (copy k of n)` ([`copy_path`]).
//!
//! `open`, `read` and `sqlite` read exactly the copy named by the path ([`copy_of`]); an earlier
//! copy of a database is opened with the sidecar (`-wal`, `-journal`) copy of the same number
//! when the sidecar has as many copies, else without sidecars. Each duplicated name is reported
//! with `tracing::warn!` when the archive is opened, with a total.

use std::io::Read;
use std::path::{Path, PathBuf};

mod folder;
mod views;

pub use folder::{FolderEvidence, IndexedFolder};
pub use views::{Mounted, Prefixed, Recorder};

use globset::{GlobBuilder, GlobMatcher};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::sqlite::{SqliteDb, SqliteError};

/// What kind of acquisition an [`Evidence`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AcquisitionKind {
    /// iTunes/Finder/idevicebackup2 backup folder.
    IosBackup,
    /// iOS full-filesystem dump (folder or archive).
    IosFs,
    /// iOS sysdiagnose (folder or `.tar.gz`).
    IosSysdiagnose,
    /// Android bugreport (zip or folder).
    AndroidBugreport,
    /// androidqf collection (folder or zip).
    AndroidQf,
    /// Android `adb backup` file (`.ab`) or its extracted tree.
    AndroidBackup,
    /// Network capture: pcap or pcapng, possibly gzipped (`ferret-net`).
    NetCapture,
    /// Android 16 intrusion logs (Advanced Protection): a folder or zip of newline-delimited
    /// JSON files of `connect_event` / `dns_event` / `security_event` records.
    AndroidIntrusionLogs,
}

/// Which platform crate reads an [`AcquisitionKind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Platform {
    /// `ferret-ios`.
    Ios,
    /// `ferret-android`.
    Android,
    /// `ferret-net` (network captures).
    Net,
}

impl AcquisitionKind {
    /// Every kind, in the order `ferret check --list-modules` shows them.
    pub const ALL: [AcquisitionKind; 8] = [
        Self::IosBackup,
        Self::IosFs,
        Self::IosSysdiagnose,
        Self::AndroidBugreport,
        Self::AndroidQf,
        Self::AndroidBackup,
        Self::AndroidIntrusionLogs,
        Self::NetCapture,
    ];

    /// Whether it is an iOS acquisition.
    pub fn is_ios(self) -> bool {
        self.platform() == Platform::Ios
    }

    /// The platform crate that reads it.
    pub fn platform(self) -> Platform {
        match self {
            Self::IosBackup | Self::IosFs | Self::IosSysdiagnose => Platform::Ios,
            Self::AndroidBugreport | Self::AndroidQf | Self::AndroidBackup | Self::AndroidIntrusionLogs => {
                Platform::Android
            }
            Self::NetCapture => Platform::Net,
        }
    }

    /// The kind in words, with its article: "an iOS backup".
    pub fn describe(self) -> &'static str {
        match self {
            Self::IosBackup => "an iOS backup",
            Self::IosFs => "an iOS full-filesystem dump",
            Self::IosSysdiagnose => "an iOS sysdiagnose",
            Self::AndroidBugreport => "an Android bugreport",
            Self::AndroidQf => "an androidqf collection",
            Self::AndroidBackup => "an Android backup (.ab)",
            Self::NetCapture => "a network capture (pcap/pcapng)",
            Self::AndroidIntrusionLogs => "Android intrusion logs (Advanced Protection)",
        }
    }

    /// What an acquisition of this kind must contain to be recognised (for error messages).
    pub fn expected_content(self) -> &'static str {
        match self {
            Self::IosBackup => {
                "a folder with Manifest.db beside Info.plist or Manifest.plist (as iTunes, Finder or \
                 idevicebackup2 write it), or the folder holding exactly one such backup"
            }
            Self::IosFs => {
                "a private/var/ tree with iOS folders (private/var/mobile, private/var/containers, ...) at \
                 the top or one folder down, as a folder, .tar, .tar.gz or .zip"
            }
            Self::IosSysdiagnose => {
                "a sysdiagnose_* folder or archive, or a folder with its content (system_logs.logarchive/, \
                 sysdiagnose.log, ps_thread.txt, crashes_and_spins/, ...)"
            }
            Self::AndroidBugreport => {
                "a zip or folder with a dumpstate text at its top (bugreport-*.txt, dumpstate*.txt, \
                 main_entry.txt)"
            }
            Self::AndroidQf => {
                "a folder or zip with androidqf's files (at least two of acquisition.json, packages.json, \
                 getprop.txt, processes.json, settings_*.txt, dumpsys.txt...), or an age-encrypted .zip.age"
            }
            Self::AndroidBackup => {
                "a file made by `adb backup` (it starts with \"ANDROID BACKUP\"), or its extracted apps/<package>/_manifest tree"
            }
            Self::NetCapture => {
                "a pcap or pcapng file (as tcpdump, Wireshark, PiRogue or SpyGuard write it), also gzipped (.pcap.gz)"
            }
            Self::AndroidIntrusionLogs => {
                "a folder or .zip of Android intrusion-log exports: .txt or .json files of one JSON object a line \
                 with a connect_event, dns_event or security_event key"
            }
        }
    }

    /// The `check-*` command name for this kind.
    pub fn command(self) -> &'static str {
        match self {
            Self::IosBackup => "ios check-backup",
            Self::IosFs => "ios check-fs",
            Self::IosSysdiagnose => "ios check-sysdiagnose",
            Self::AndroidBugreport => "android check-bugreport",
            Self::AndroidQf => "android check-androidqf",
            Self::AndroidBackup => "android check-backup",
            Self::NetCapture => "net check-pcap",
            Self::AndroidIntrusionLogs => "check-intrusion-logs",
        }
    }
}

/// What type detection found, and the content it relied on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// The kind.
    pub kind: AcquisitionKind,
    /// The content the decision rests on, e.g. `Manifest.db and Info.plist`.
    pub reason: String,
}

impl Detection {
    /// A detection of `kind` because of `reason`.
    pub fn new(kind: AcquisitionKind, reason: impl Into<String>) -> Self {
        Self { kind, reason: reason.into() }
    }
}

/// Errors reading evidence. Every variant says where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceError {
    /// An I/O error on an evidence path.
    #[error("cannot read {path}: {source}")]
    Io {
        /// Path inside the acquisition (or on disk).
        path: String,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The file is larger than the caller's bound.
    #[error("{path} is larger than the {limit}-byte limit for this artifact")]
    TooLarge {
        /// Path inside the acquisition.
        path: String,
        /// The bound in bytes.
        limit: u64,
    },
    /// An entry of the acquisition is not what may be read: a FIFO, socket, device or symbolic
    /// link where a regular file (or a folder on the way to one) is expected. Never followed,
    /// never opened.
    #[error("{}", not_regular(path, entry, what, expected))]
    NotRegular {
        /// Logical path that was asked for.
        path: String,
        /// The offending entry, relative to the acquisition root (on disk).
        entry: String,
        /// What it is ("a FIFO", "a symbolic link", ...).
        what: &'static str,
        /// What was expected ("a regular file", "a folder").
        expected: &'static str,
    },
    /// Reading an artifact would exceed a resource budget (artifact size, scratch space).
    #[error("{path}: {reason}")]
    Budget {
        /// Path inside the acquisition.
        path: String,
        /// Which budget, its size and how to change it.
        reason: String,
    },
    /// An SQLite database could not be opened.
    #[error("{path}: {source}")]
    Sqlite {
        /// Path inside the acquisition.
        path: String,
        /// Underlying error.
        source: SqliteError,
    },
    /// The acquisition's own structure is damaged (e.g. Manifest.db unreadable).
    #[error("{path}: {reason}")]
    Corrupt {
        /// Path inside the acquisition.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The file is listed but its content is absent.
    #[error("{path} is listed but its content is missing")]
    Missing {
        /// Path inside the acquisition.
        path: String,
    },
    /// A glob in a locator is invalid (a programming error in a module).
    #[error("bad locator pattern {pattern:?}: {reason}")]
    BadPattern {
        /// The pattern.
        pattern: String,
        /// Why.
        reason: String,
    },
    /// The acquisition is encrypted and no key was given.
    #[error("{0}")]
    Encrypted(String),
    /// An archive holds link entries but no regular file: links are never followed, so there
    /// is nothing to check.
    #[error("{path}: the archive holds only {what}, skipped because links are never followed: nothing to check")]
    OnlyLinks {
        /// The archive.
        path: String,
        /// What it holds (`a symbolic link entry (name)`, `3 link entries (first: name)`).
        what: String,
    },
}

/// The [`EvidenceError::OnlyLinks`] error of the archive `path` whose only entries are the links
/// `names` (`None` when `names` is empty: the archive is not "only links").
pub fn only_links(path: &Path, names: &[&str], hard: bool) -> Option<EvidenceError> {
    let kind = if hard { "link" } else { "symbolic link" };
    let what = match names {
        [] => return None,
        [one] => format!("a {kind} entry ({one})"),
        [first, ..] => format!("{} {kind} entries (first: {first})", names.len()),
    };
    Some(EvidenceError::OnlyLinks { path: path.display().to_string(), what })
}

impl EvidenceError {
    /// A budget error about `path`.
    pub fn budget(path: &str, e: &crate::budget::BudgetError) -> Self {
        Self::Budget { path: path.to_string(), reason: e.to_string() }
    }
}

fn not_regular(path: &str, entry: &str, what: &str, expected: &str) -> String {
    if path == entry {
        format!("{entry} is {what}, not {expected}: refused")
    } else {
        format!("{path}: {entry} is {what}, not {expected}: refused")
    }
}

/// One file of an acquisition, as located.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EvidenceFile {
    /// Stable logical path used in records and messages: for backups `Domain/relative/path`,
    /// elsewhere the path relative to the acquisition root with `/` separators.
    pub path: String,
    /// Backup domain (`HomeDomain`, `AppDomain-com.example`), when the acquisition has domains.
    pub domain: Option<String>,
    /// Path relative to the domain (backups) or to the acquisition root.
    pub relative_path: String,
    /// Backup file ID (SHA-1 of `domain-relativePath`), for backups.
    pub file_id: Option<String>,
    /// Size in bytes, if known.
    pub size: Option<u64>,
    /// Last modification time, if known.
    #[serde(with = "crate::time::serde_opt_ts", default)]
    pub modified: Option<Timestamp>,
}

impl EvidenceFile {
    /// A file of a plain tree (no domain).
    pub fn plain(relative_path: impl Into<String>) -> Self {
        let relative_path = relative_path.into();
        Self { path: relative_path.clone(), domain: None, relative_path, file_id: None, size: None, modified: None }
    }
}

/// The logical path of the earlier copy `copy` (1-based, archive order) of `of` copies of the
/// archive entry `name`: `name (copy 1 of 2)`. The last copy keeps the plain `name`.
pub fn copy_path(name: &str, copy: usize, of: usize) -> String {
    format!("{name} ({})", copy_label(copy, of))
}

fn copy_label(copy: usize, of: usize) -> String {
    format!("copy {copy} of {of}")
}

/// Which copy a located file is, from its `path` (see the module docs): `Some((k, n))` for the
/// earlier copy `k` of `n` (`path` is `relative_path` plus ` (copy k of n)`), `None` for a plain
/// path (the only or the last copy). Prefixes added to both paths by wrapping evidences (mounts)
/// do not change the answer.
pub fn copy_of(file: &EvidenceFile) -> Option<(usize, usize)> {
    let label = file.path.strip_prefix(file.relative_path.as_str())?.strip_prefix(" (")?.strip_suffix(')')?;
    let (k, n) = label.strip_prefix("copy ")?.split_once(" of ")?;
    let (k, n): (usize, usize) = (k.parse().ok()?, n.parse().ok()?);
    // Only the canonical spelling counts (no `+1`, `01`, ...).
    (k >= 1 && k < n && copy_label(k, n) == label).then_some((k, n))
}

/// A place an artifact lives in a backup: domain and relative path, both globs
/// (`*` does not cross `/`, `**` does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupPath {
    /// Domain glob, e.g. `HomeDomain`, `AppDomain-*`, `*`.
    pub domain: &'static str,
    /// Relative-path glob, e.g. `Library/SMS/sms.db`, `Library/Safari/Profiles/*/History.db`.
    pub path: &'static str,
}

/// Where an artifact lives, for every acquisition type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Locator {
    /// Places in an iOS backup.
    pub backup: &'static [BackupPath],
    /// Globs relative to the root of any other tree (FS dump: `private/var/mobile/...`;
    /// sysdiagnose or Android: paths inside the collection). A leading `**/` is allowed.
    pub paths: &'static [&'static str],
}

/// Compiles a locator glob: `*` does not cross `/`, `**` does, matching is case-sensitive.
pub fn compile_glob(pattern: &str) -> Result<PathGlob, EvidenceError> {
    let matcher = GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| EvidenceError::BadPattern { pattern: pattern.to_string(), reason: e.to_string() })?;
    Ok(PathGlob { tail: literal_tail(pattern).to_string(), matcher })
}

/// A compiled locator glob ([`compile_glob`]).
///
/// Locating runs every module's globs over every name of an archive or folder (30 modules ×
/// 185,000 names for a 2 GB dump), so a name is first checked against the literal text the
/// glob ends with (`**/sms.db` → `sms.db`, `*.plist` → `.plist`): a plain `ends_with` that
/// turns away almost every name before the glob's automaton runs. Results are the glob's own.
#[derive(Debug, Clone)]
pub struct PathGlob {
    tail: String,
    matcher: GlobMatcher,
}

impl PathGlob {
    /// Whether `name` matches.
    pub fn is_match(&self, name: &str) -> bool {
        name.ends_with(self.tail.as_str()) && self.matcher.is_match(name)
    }

    /// Whether `dir + base` ends with the glob's literal tail (a match needs it), without
    /// building the name.
    pub fn tail_matches(&self, dir: &str, base: &str) -> bool {
        match self.tail.len().checked_sub(base.len()) {
            None | Some(0) => base.ends_with(self.tail.as_str()),
            Some(n) => {
                let (head, rest) = self.tail.as_bytes().split_at(n);
                rest == base.as_bytes() && dir.as_bytes().ends_with(head)
            }
        }
    }
}

/// The literal text every match of `pattern` ends with: what follows its last glob
/// metacharacter, without a leading `/` (`**/x` also matches `x` at the root).
fn literal_tail(pattern: &str) -> &str {
    let tail = match pattern.rfind(['*', '?', '[', ']', '{', '}', '\\']) {
        Some(i) => pattern.get(i + 1..).unwrap_or_default(),
        None => pattern,
    };
    tail.trim_start_matches('/')
}

/// A read-only acquisition.
pub trait Evidence: Send + Sync {
    /// The acquisition type.
    fn kind(&self) -> AcquisitionKind;

    /// The path the user gave (for messages and `info.json`).
    fn source(&self) -> &Path;

    /// Every file matching the locator, sorted by [`EvidenceFile::path`].
    fn locate(&self, locator: &Locator) -> Result<Vec<EvidenceFile>, EvidenceError>;

    /// Opens a located file for streaming reads.
    fn open(&self, file: &EvidenceFile) -> Result<Box<dyn Read + Send + '_>, EvidenceError>;

    /// Reads a whole located file, refusing files over `limit` bytes.
    fn read(&self, file: &EvidenceFile, limit: u64) -> Result<Vec<u8>, EvidenceError> {
        let mut reader = self.open(file)?.take(limit.saturating_add(1));
        let mut buf = Vec::new();
        reader.read_to_end(&mut buf).map_err(|source| EvidenceError::Io { path: file.path.clone(), source })?;
        if buf.len() as u64 > limit {
            return Err(EvidenceError::TooLarge { path: file.path.clone(), limit });
        }
        Ok(buf)
    }

    /// Opens a located SQLite database read-only, with its `-wal`/`-journal` sidecars applied
    /// on a private copy when they exist. Never writes next to the evidence.
    fn sqlite(&self, file: &EvidenceFile) -> Result<SqliteDb, EvidenceError>;

    /// Visits every regular file of the acquisition in sorted path order.
    fn walk(&self, visit: &mut dyn FnMut(&EvidenceFile)) -> Result<(), EvidenceError>;

    /// Where a located file's bytes are on disk, as stored in the acquisition (ciphertext for
    /// encrypted backups), when it is a file of its own (not inside an archive). Used to hash
    /// the inputs a run read, for chain of custody.
    fn disk_path(&self, _file: &EvidenceFile) -> Option<PathBuf> {
        None
    }

    /// Files that describe the acquisition as a whole and are hashed for chain of custody even
    /// when no module reads them (an iOS backup's `Manifest.db`, `Info.plist`, ...).
    fn custody_files(&self) -> Vec<EvidenceFile> {
        Vec::new()
    }
}

/// The SHA-256 of one input file, as listed in `info.json`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileHash {
    /// Path (the logical path inside the acquisition, or the path given for a single file).
    pub path: String,
    /// Lower-case hex SHA-256.
    pub sha256: String,
    /// Size of the file as stored on disk (ciphertext for an encrypted backup), in bytes: the
    /// sum over a run is how much of the acquisition it read.
    #[serde(default)]
    pub bytes: u64,
}

/// SHA-256 of a file on disk, streamed, as lower-case hex. Only a regular file is hashed (a
/// FIFO or device is refused, never opened for a blocking read).
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use sha2::Digest;
    let (mut f, _) = crate::safe_root::open_user_file(path).map_err(|e| match e {
        EvidenceError::Io { source, .. } => source,
        other => std::io::Error::other(other.to_string()),
    })?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(buf.get(..n).unwrap_or_default());
    }
    Ok(hex::encode(h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The literal-tail prefilter never changes what a glob matches: every pattern against
    /// every name gives the bare automaton's answer.
    #[test]
    fn glob_prefilter_keeps_results() {
        let patterns = [
            "**/sms.db",
            "private/var/mobile/Library/SMS/sms.db",
            "**/Library/Preferences/*.plist",
            "*.plist",
            "a/**",
            "**",
            "**/*.{db,sqlite}",
            "**/crash/[A-Z]*.ips",
            "x/?.log",
            "**/a\\*b",
            "/abs/path",
            "**/",
            "logs/**/system_logs.logarchive/*/*.tracev3",
        ];
        let names = [
            "sms.db",
            "private/var/mobile/Library/SMS/sms.db",
            "x/sms.db-wal",
            "a/b/Library/Preferences/com.apple.x.plist",
            "Library/Preferences/x.plist",
            "top.plist",
            "a/top.plist",
            "a",
            "a/b/c",
            "d/e.sqlite",
            "d/e.db",
            "f/crash/Zed.ips",
            "f/crash/zed.ips",
            "x/1.log",
            "x/12.log",
            "q/a*b",
            "abs/path",
            "logs/1/system_logs.logarchive/Persist/0.tracev3",
            "",
        ];
        for p in patterns {
            let ours = compile_glob(p).expect(p);
            let bare =
                GlobBuilder::new(p).literal_separator(true).backslash_escape(true).build().expect(p).compile_matcher();
            for n in names {
                assert_eq!(ours.is_match(n), bare.is_match(n), "{p} vs {n:?}");
                // the tail checked on a name split into a directory and a last component (as
                // the file index holds names) agrees with the whole name's
                let splits = n.match_indices('/').map(|(i, _)| i + 1).chain([0]);
                for at in splits {
                    let (dir, base) = n.split_at(at);
                    let whole = n.ends_with(ours.tail.as_str());
                    assert_eq!(ours.tail_matches(dir, base), whole, "{p} vs {dir:?} + {base:?}");
                }
            }
        }
    }

    #[test]
    fn copy_paths_round_trip() {
        let f = |path: &str, rel: &str| EvidenceFile { path: path.into(), ..EvidenceFile::plain(rel) };
        assert_eq!(copy_path("a/sms.db", 1, 3), "a/sms.db (copy 1 of 3)");
        assert_eq!(copy_of(&f("a/sms.db (copy 1 of 3)", "a/sms.db")), Some((1, 3)));
        assert_eq!(copy_of(&f("x/a/sms.db (copy 2 of 3)", "x/a/sms.db")), Some((2, 3)));
        assert_eq!(copy_of(&f("a/sms.db", "a/sms.db")), None);
        // an entry really named like a copy is a plain file of that name
        assert_eq!(copy_of(&f("a (copy 1 of 2)", "a (copy 1 of 2)")), None);
        for bad in ["a (copy 3 of 3)", "a (copy 0 of 3)", "a (copy 01 of 3)", "a (copy +1 of 3)", "a (copy 1 of 3) "] {
            assert_eq!(copy_of(&f(bad, "a")), None, "{bad}");
        }
        // backup paths (domain/relative) are never copies
        assert_eq!(copy_of(&f("HomeDomain/Library/SMS/sms.db", "Library/SMS/sms.db")), None);
    }
}
