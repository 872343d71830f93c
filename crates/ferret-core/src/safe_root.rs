//! Only regular files inside the acquisition are read.
//!
//! An acquisition folder is made by whoever controls the phone, maybe the attacker. A FIFO in
//! place of `sms.db` blocks the first `open()` forever; a link to `/dev/zero` is an endless file;
//! a content file or a whole `3d/` folder of a backup linked to a file outside the acquisition
//! plants (or hides) evidence. [`SafeRoot`] is the one way ferret reads a file of an on-disk
//! acquisition:
//!
//! * the path the user gave is **canonicalised once** ([`SafeRoot::new`]): symlinks *in it* are
//!   fine (backups moved to another disk behind a link are common), and SQLite, which refuses
//!   any link in a path with `SQLITE_OPEN_NOFOLLOW`, is given canonical paths;
//! * **inside** the acquisition nothing is followed: every folder on the way to a file is
//!   checked with `lstat` to be a real folder, the file itself must be a regular file, and it is
//!   opened with `O_NOFOLLOW | O_NONBLOCK` (so a FIFO swapped in after the check cannot block)
//!   and checked again with `fstat` on the open descriptor. `O_NONBLOCK` has no effect on reads
//!   of regular files, so it is left set;
//! * anything else — FIFO, socket, device, symbolic link, a folder where a file is expected — is
//!   refused with [`EvidenceError::NotRegular`], which names the entry and what it is
//!   ("sms.db is a FIFO, not a regular file: refused").
//!
//! Limits: the folders are checked before the file is opened, so a folder swapped for a link
//! *during* the run (by someone with write access to the analyst's disk) is not detected; the
//! file itself is always checked on the descriptor that is read. Acquisitions are static copies:
//! the threat is what they contain, not concurrent changes.

use std::fs::{File, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::evidence::EvidenceError;

/// What a directory entry is, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A folder.
    Folder,
    /// A symbolic link.
    Symlink,
    /// A FIFO (named pipe).
    Fifo,
    /// A UNIX socket.
    Socket,
    /// A block device.
    BlockDevice,
    /// A character device.
    CharDevice,
    /// Anything else.
    Other,
}

impl EntryKind {
    /// Classifies a file type (from `lstat`/`symlink_metadata` or a directory walk).
    pub fn of(t: &std::fs::FileType) -> Self {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if t.is_fifo() {
                return Self::Fifo;
            }
            if t.is_socket() {
                return Self::Socket;
            }
            if t.is_block_device() {
                return Self::BlockDevice;
            }
            if t.is_char_device() {
                return Self::CharDevice;
            }
        }
        if t.is_symlink() {
            Self::Symlink
        } else if t.is_dir() {
            Self::Folder
        } else if t.is_file() {
            Self::File
        } else {
            Self::Other
        }
    }

    /// "a FIFO", "a symbolic link", ...
    pub fn describe(self) -> &'static str {
        match self {
            Self::File => "a regular file",
            Self::Folder => "a folder",
            Self::Symlink => "a symbolic link",
            Self::Fifo => "a FIFO",
            Self::Socket => "a socket",
            Self::BlockDevice => "a block device",
            Self::CharDevice => "a character device",
            Self::Other => "not a regular file or folder",
        }
    }
}

/// The canonical root of an on-disk acquisition; every read of a file inside it goes through
/// here (see the module documentation).
#[derive(Debug, Clone)]
pub struct SafeRoot {
    root: PathBuf,
}

fn io_err(shown: &str, source: std::io::Error) -> EvidenceError {
    if source.kind() == std::io::ErrorKind::NotFound {
        EvidenceError::Missing { path: shown.to_string() }
    } else {
        EvidenceError::Io { path: shown.to_string(), source }
    }
}

fn refused(shown: &str, entry: &str, kind: EntryKind, expected: &'static str) -> EvidenceError {
    EvidenceError::NotRegular { path: shown.to_string(), entry: entry.to_string(), what: kind.describe(), expected }
}

impl SafeRoot {
    /// Canonicalises `path` (resolving links in it, once). Errors when it does not exist.
    pub fn new(path: &Path) -> Result<Self, EvidenceError> {
        let root = std::fs::canonicalize(path)
            .map_err(|source| EvidenceError::Io { path: path.display().to_string(), source })?;
        Ok(Self { root })
    }

    /// Like [`SafeRoot::new`], but keeps `path` as given when it cannot be canonicalised (it does
    /// not exist yet or is unreadable: every read will then fail with that error).
    pub fn lenient(path: &Path) -> Self {
        Self::new(path).unwrap_or_else(|_| Self { root: path.to_path_buf() })
    }

    /// The canonical root.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The relative path split in components; `..`, absolute paths and empty names are refused.
    fn components<'r>(&self, relative: &'r str, shown: &str) -> Result<Vec<&'r str>, EvidenceError> {
        let mut out = Vec::new();
        for comp in relative.split('/') {
            match comp {
                "" | "." => {}
                ".." => {
                    return Err(EvidenceError::Corrupt {
                        path: shown.to_string(),
                        reason: "path escapes the acquisition".into(),
                    });
                }
                c => out.push(c),
            }
        }
        if out.is_empty() {
            return Err(EvidenceError::Corrupt { path: shown.to_string(), reason: "empty path".into() });
        }
        Ok(out)
    }

    /// The on-disk path of `relative` (lexical join under the canonical root; `..` refused). Says
    /// nothing about what is there: use [`SafeRoot::check`] or [`SafeRoot::open`] to read.
    pub fn join(&self, relative: &str) -> Result<PathBuf, EvidenceError> {
        let mut p = self.root.clone();
        for c in self.components(relative, relative)? {
            p.push(c);
        }
        Ok(p)
    }

    /// Checks that every folder on the way to `relative` is a real folder; returns the on-disk
    /// path of `relative` itself (not checked) and the components.
    fn walk_parents<'r>(&self, relative: &'r str, shown: &str) -> Result<(PathBuf, Vec<&'r str>), EvidenceError> {
        let comps = self.components(relative, shown)?;
        let mut p = self.root.clone();
        let last = comps.len() - 1;
        for (i, c) in comps.iter().enumerate() {
            p.push(c);
            if i == last {
                break;
            }
            let meta = std::fs::symlink_metadata(&p).map_err(|e| io_err(shown, e))?;
            let kind = EntryKind::of(&meta.file_type());
            if kind != EntryKind::Folder {
                let entry = comps.get(..=i).map(|s| s.join("/")).unwrap_or_default();
                return Err(refused(shown, &entry, kind, "a folder"));
            }
        }
        Ok((p, comps))
    }

    /// Checks that every folder on the way to `relative` is a real folder and that `relative` is
    /// a regular file; returns its canonical on-disk path and metadata (from `lstat`). `shown`
    /// is the name used in messages (the logical path in the acquisition).
    pub fn check(&self, relative: &str, shown: &str) -> Result<(PathBuf, Metadata), EvidenceError> {
        let (p, comps) = self.walk_parents(relative, shown)?;
        let meta = std::fs::symlink_metadata(&p).map_err(|e| io_err(shown, e))?;
        let kind = EntryKind::of(&meta.file_type());
        if kind != EntryKind::File {
            return Err(refused(shown, &comps.join("/"), kind, "a regular file"));
        }
        Ok((p, meta))
    }

    /// What `relative` is, without following a link at its end: `None` when it does not exist.
    /// Folders on the way must be real folders.
    pub fn kind(&self, relative: &str, shown: &str) -> Result<Option<EntryKind>, EvidenceError> {
        let (p, _) = match self.walk_parents(relative, shown) {
            Ok(x) => x,
            Err(EvidenceError::Missing { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        match std::fs::symlink_metadata(&p) {
            Ok(m) => Ok(Some(EntryKind::of(&m.file_type()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(shown, e)),
        }
    }

    /// Opens a regular file inside the acquisition for reading (see the module documentation);
    /// returns it with its `fstat` metadata, so callers check sizes before reading.
    pub fn open(&self, relative: &str, shown: &str) -> Result<(File, Metadata), EvidenceError> {
        let (p, _) = self.check(relative, shown)?;
        let entry = || self.components(relative, shown).map(|c| c.join("/")).unwrap_or_default();
        let f = open_nofollow(&p).map_err(|e| {
            // a link swapped in after the check: O_NOFOLLOW fails with ELOOP
            match std::fs::symlink_metadata(&p) {
                Ok(m) if !m.is_file() => refused(shown, &entry(), EntryKind::of(&m.file_type()), "a regular file"),
                _ => io_err(shown, e),
            }
        })?;
        let meta = f.metadata().map_err(|e| io_err(shown, e))?;
        if !meta.is_file() {
            return Err(refused(shown, &entry(), EntryKind::of(&meta.file_type()), "a regular file"));
        }
        Ok((f, meta))
    }

    /// Reads a whole regular file, refusing it from its size before reading when it is larger
    /// than `limit` bytes (and while reading, should it grow).
    pub fn read(&self, relative: &str, shown: &str, limit: u64) -> Result<Vec<u8>, EvidenceError> {
        let (f, meta) = self.open(relative, shown)?;
        read_bounded(f, &meta, shown, limit)
    }
}

/// Reads an opened file whole, refusing it before reading when `meta` says it is larger than
/// `limit` (and while reading, should it grow).
pub fn read_bounded(f: File, meta: &Metadata, shown: &str, limit: u64) -> Result<Vec<u8>, EvidenceError> {
    if meta.len() > limit {
        return Err(EvidenceError::TooLarge { path: shown.to_string(), limit });
    }
    let mut buf = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    f.take(limit.saturating_add(1)).read_to_end(&mut buf).map_err(|e| io_err(shown, e))?;
    if buf.len() as u64 > limit {
        return Err(EvidenceError::TooLarge { path: shown.to_string(), limit });
    }
    Ok(buf)
}

/// Opens `path` read-only without following a link at its end and without blocking on a FIFO.
pub fn open_nofollow(path: &Path) -> std::io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    o.open(path)
}

/// Opens a file given by the user (an archive, a key file) for reading: links are followed
/// (the user chose the path) but only a regular file is opened, and a FIFO cannot block.
pub fn open_user_file(path: &Path) -> Result<(File, Metadata), EvidenceError> {
    let shown = path.display().to_string();
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NONBLOCK);
    }
    let io = |source| EvidenceError::Io { path: shown.clone(), source };
    let f = o.open(path).map_err(io)?;
    let meta = f.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(refused(&shown, &shown, EntryKind::of(&meta.file_type()), "a regular file"));
    }
    Ok((f, meta))
}

/// Entries of a folder walk that are not regular files or folders (skipped, never read),
/// reported once as one warning with the first few names and a count.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// `(relative path, what it is)` of the first [`Skipped::KEEP`] entries.
    pub first: Vec<(String, &'static str)>,
    /// How many in total.
    pub count: u64,
}

impl Skipped {
    /// Names kept for the message.
    pub const KEEP: usize = 5;

    /// Notes one skipped entry.
    pub fn add(&mut self, rel: &str, kind: EntryKind) {
        self.count += 1;
        if self.first.len() < Self::KEEP {
            self.first.push((rel.to_string(), kind.describe()));
        }
    }

    /// The warning, or `None` when nothing was skipped.
    pub fn message(&self, root: &Path) -> Option<String> {
        if self.count == 0 {
            return None;
        }
        let names: Vec<String> = self.first.iter().map(|(n, w)| format!("{n} ({w})")).collect();
        let more = if self.count > self.first.len() as u64 {
            format!(", and {} more", self.count - self.first.len() as u64)
        } else {
            String::new()
        };
        Some(format!(
            "{}: {} entr{} not regular files or folders, not read (links are never followed): {}{more}",
            root.display(),
            self.count,
            if self.count == 1 { "y is" } else { "ies are" },
            names.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mkfifo(p: &Path) {
        let ok = std::process::Command::new("mkfifo").arg(p).status().expect("mkfifo").success();
        assert!(ok, "mkfifo");
    }

    #[cfg(unix)]
    #[test]
    fn only_regular_files_inside_are_read() {
        use std::os::unix::fs::symlink;
        let d = tempfile::tempdir().expect("tmp");
        let root = d.path().join("acq");
        std::fs::create_dir_all(root.join("a/b")).expect("mkdir");
        std::fs::write(root.join("a/b/ok.txt"), b"hello").expect("w");
        std::fs::write(d.path().join("outside.txt"), b"planted").expect("w");
        mkfifo(&root.join("a/fifo"));
        symlink("/dev/zero", root.join("a/zero")).expect("ln");
        symlink(d.path().join("outside.txt"), root.join("a/out.txt")).expect("ln");
        symlink(root.join("a/b"), root.join("linked")).expect("ln");
        // A link in the user's path to the acquisition is fine.
        symlink(&root, d.path().join("via-link")).expect("ln");
        let safe = SafeRoot::new(&d.path().join("via-link")).expect("root");
        assert_eq!(safe.path(), std::fs::canonicalize(&root).expect("canon"));
        assert_eq!(safe.read("a/b/ok.txt", "a/b/ok.txt", 100).expect("read"), b"hello");
        let msg = |r: Result<Vec<u8>, EvidenceError>| r.expect_err("refused").to_string();
        // a FIFO is refused at once (a blocking open would hang this test)
        assert_eq!(msg(safe.read("a/fifo", "a/fifo", 100)), "a/fifo is a FIFO, not a regular file: refused");
        assert_eq!(
            msg(safe.read("a/zero", "HomeDomain/zero", 100)),
            "HomeDomain/zero: a/zero is a symbolic link, not a regular file: refused"
        );
        assert!(msg(safe.read("a/out.txt", "a/out.txt", 100)).contains("symbolic link"));
        assert_eq!(
            msg(safe.read("linked/ok.txt", "linked/ok.txt", 100)),
            "linked/ok.txt: linked is a symbolic link, not a folder: refused"
        );
        assert!(msg(safe.read("a/b", "a/b", 100)).contains("a folder, not a regular file"));
        assert!(matches!(safe.read("a/none", "a/none", 100), Err(EvidenceError::Missing { .. })));
        assert!(matches!(safe.read("a/../../x", "x", 100), Err(EvidenceError::Corrupt { .. })));
        // sizes are checked from fstat before reading
        assert!(matches!(safe.read("a/b/ok.txt", "ok", 4), Err(EvidenceError::TooLarge { limit: 4, .. })));
        assert_eq!(safe.kind("a/fifo", "a/fifo").expect("kind"), Some(EntryKind::Fifo));
        assert_eq!(safe.kind("a/zero", "a/zero").expect("kind"), Some(EntryKind::Symlink));
        assert_eq!(safe.kind("a/nothing", "a/nothing").expect("kind"), None);
        assert_eq!(safe.kind("a/b/ok.txt", "x").expect("kind"), Some(EntryKind::File));
        // a user-given path may be a link, but must be a regular file
        assert!(open_user_file(&root.join("a/out.txt")).is_ok());
        assert!(open_user_file(&root.join("a/fifo")).is_err());
        assert!(open_user_file(&root.join("a/zero")).is_err());
    }

    #[test]
    fn skipped_summary() {
        let mut s = Skipped::default();
        assert_eq!(s.message(Path::new("/r")), None);
        for i in 0..7 {
            s.add(&format!("f{i}"), EntryKind::Fifo);
        }
        assert_eq!(
            s.message(Path::new("/r")).expect("msg"),
            "/r: 7 entries are not regular files or folders, not read (links are never followed): f0 (a FIFO), f1 (a FIFO), f2 (a FIFO), f3 (a FIFO), f4 (a FIFO), and 2 more"
        );
    }
}
