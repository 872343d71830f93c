//! Folders on disk: [`FolderEvidence`] (walked on demand) and [`IndexedFolder`] (walked once
//! into an in-memory index, for large dumps that 40-odd modules each `locate` in). Every read
//! goes through [`SafeRoot`].

use std::io::Read;
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::{AcquisitionKind, Evidence, EvidenceError, EvidenceFile, Locator, compile_glob};
use crate::safe_root::{EntryKind, SafeRoot, Skipped};
use crate::sqlite::SqliteDb;
use crate::tar::FileIndex;

/// A plain folder of evidence (filesystem dump, extracted collection). Every read goes through
/// [`SafeRoot`]: the root is canonicalised once, only regular files reached without following
/// links are read; the walk skips links, FIFOs, sockets and devices and reports them once.
#[derive(Debug, Clone)]
pub struct FolderEvidence {
    given: PathBuf,
    root: SafeRoot,
    kind: AcquisitionKind,
    reported: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl FolderEvidence {
    /// Views `root` as an acquisition of `kind`.
    pub fn new(root: impl Into<PathBuf>, kind: AcquisitionKind) -> Self {
        let given = root.into();
        Self { root: SafeRoot::lenient(&given), given, kind, reported: Default::default() }
    }

    /// The on-disk path of a relative path (under the canonical root), refusing anything that
    /// escapes the root. Says nothing about what is there.
    pub fn resolve(&self, relative: &str) -> Result<PathBuf, EvidenceError> {
        self.root.join(relative)
    }

    /// The canonical root every read goes through.
    pub fn safe_root(&self) -> &SafeRoot {
        &self.root
    }

    fn entry(&self, rel: String, meta: &std::fs::Metadata) -> EvidenceFile {
        let modified = meta.modified().ok().and_then(|m| Timestamp::try_from(m).ok());
        EvidenceFile { size: Some(meta.len()), modified, ..EvidenceFile::plain(rel) }
    }
}

fn rel_of(root: &Path, p: &Path) -> Option<String> {
    let rel = p.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    Some(parts.join("/"))
}

impl Evidence for FolderEvidence {
    fn kind(&self) -> AcquisitionKind {
        self.kind
    }

    fn source(&self) -> &Path {
        &self.given
    }

    fn locate(&self, locator: &Locator) -> Result<Vec<EvidenceFile>, EvidenceError> {
        let globs = locator.paths.iter().map(|p| compile_glob(p)).collect::<Result<Vec<_>, _>>()?;
        if globs.is_empty() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        self.walk(&mut |f| {
            if globs.iter().any(|g| g.is_match(&f.relative_path)) {
                out.push(f.clone());
            }
        })?;
        Ok(out)
    }

    fn open(&self, file: &EvidenceFile) -> Result<Box<dyn Read + Send + '_>, EvidenceError> {
        let (f, _) = self.root.open(&file.relative_path, &file.path)?;
        Ok(Box::new(std::io::BufReader::new(f)))
    }

    fn read(&self, file: &EvidenceFile, limit: u64) -> Result<Vec<u8>, EvidenceError> {
        self.root.read(&file.relative_path, &file.path, limit)
    }

    fn sqlite(&self, file: &EvidenceFile) -> Result<SqliteDb, EvidenceError> {
        SqliteDb::open_in(&self.root, &file.relative_path, &file.path)
    }

    fn disk_path(&self, file: &EvidenceFile) -> Option<PathBuf> {
        self.root.check(&file.relative_path, &file.path).ok().map(|(p, _)| p)
    }

    fn walk(&self, visit: &mut dyn FnMut(&EvidenceFile)) -> Result<(), EvidenceError> {
        let root = self.root.path();
        let walker = walkdir::WalkDir::new(root).follow_links(false).sort_by_file_name();
        let mut skipped = Skipped::default();
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    tracing::warn!("skipping unreadable entry: {e}");
                    continue;
                }
            };
            let kind = EntryKind::of(&entry.file_type());
            if kind == EntryKind::Folder {
                continue;
            }
            let Some(rel) = rel_of(root, entry.path()) else { continue };
            if kind != EntryKind::File {
                skipped.add(&rel, kind);
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            visit(&self.entry(rel, &meta));
        }
        if let Some(msg) = skipped.message(&self.given)
            && !self.reported.swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            tracing::warn!("{msg}");
        }
        Ok(())
    }
}

/// A plain folder indexed once: locating artifacts searches an in-memory [`FileIndex`] instead
/// of walking the disk for every module.
#[derive(Debug)]
pub struct IndexedFolder {
    inner: FolderEvidence,
    source: PathBuf,
    index: FileIndex,
}

impl IndexedFolder {
    /// Walks `root` once (links are not followed; only regular files are listed). `source` is
    /// the path the user gave (shown in messages).
    pub fn new(root: &Path, source: &Path, kind: AcquisitionKind) -> Result<Self, EvidenceError> {
        let inner = FolderEvidence::new(root, kind);
        let mut index = FileIndex::new();
        inner.walk(&mut |f| {
            index.push(&f.relative_path, f.size.unwrap_or(0), f.modified.map(|t| t.as_second()), 0);
        })?;
        index.finish();
        Ok(Self { inner, source: source.to_path_buf(), index })
    }

    /// Number of regular files.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the folder holds no file.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

impl Evidence for IndexedFolder {
    fn kind(&self) -> AcquisitionKind {
        self.inner.kind()
    }
    fn source(&self) -> &Path {
        &self.source
    }
    fn locate(&self, locator: &Locator) -> Result<Vec<EvidenceFile>, EvidenceError> {
        self.index.locate(locator)
    }
    fn open(&self, file: &EvidenceFile) -> Result<Box<dyn Read + Send + '_>, EvidenceError> {
        self.inner.open(file)
    }
    fn sqlite(&self, file: &EvidenceFile) -> Result<SqliteDb, EvidenceError> {
        self.inner.sqlite(file)
    }
    fn disk_path(&self, file: &EvidenceFile) -> Option<PathBuf> {
        Evidence::disk_path(&self.inner, file)
    }
    fn walk(&self, visit: &mut dyn FnMut(&EvidenceFile)) -> Result<(), EvidenceError> {
        for it in self.index.iter() {
            visit(&it.into_file());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_locate_and_escape() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("private/var/mobile/Library/SMS")).expect("mkdir");
        std::fs::write(dir.path().join("private/var/mobile/Library/SMS/sms.db"), b"x").expect("write");
        std::fs::write(dir.path().join("other.txt"), b"y").expect("write");
        let ev = FolderEvidence::new(dir.path(), AcquisitionKind::IosFs);
        static PATHS: &[&str] = &["private/var/mobile/Library/SMS/*.db"];
        let found = ev.locate(&Locator { backup: &[], paths: PATHS }).expect("locate");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, "private/var/mobile/Library/SMS/sms.db");
        assert_eq!(ev.read(&found[0], 10).expect("read"), b"x");
        assert!(matches!(ev.read(&found[0], 0), Err(EvidenceError::TooLarge { .. })));
        assert!(ev.resolve("../etc/passwd").is_err());
        let mut all = Vec::new();
        ev.walk(&mut |f| all.push(f.path.clone())).expect("walk");
        assert_eq!(all, vec!["other.txt", "private/var/mobile/Library/SMS/sms.db"]);
    }

    /// A folder acquisition with a FIFO, a socket, a link to /dev/zero and a link out: the walk
    /// lists regular files only, reads of the others are refused without blocking, a FIFO `-wal`
    /// beside a database refuses the database, and a link in the user's path is fine.
    #[cfg(unix)]
    #[test]
    fn folder_reads_regular_files_only() {
        use std::os::unix::fs::symlink;
        let d = tempfile::tempdir().expect("tempdir");
        let root = d.path().join("dump");
        let sms = root.join("private/var/mobile/Library/SMS");
        std::fs::create_dir_all(&sms).expect("mkdir");
        let c = rusqlite::Connection::open(sms.join("sms.db")).expect("db");
        c.execute_batch("CREATE TABLE message(x); INSERT INTO message VALUES (1);").expect("sql");
        drop(c);
        std::fs::write(d.path().join("outside.db"), b"PLANTED").expect("w");
        assert!(std::process::Command::new("mkfifo").arg(sms.join("fifo.db")).status().expect("mkfifo").success());
        let _sock = std::os::unix::net::UnixListener::bind(sms.join("s.sock")).expect("socket");
        symlink("/dev/zero", sms.join("zero.db")).expect("ln");
        symlink(d.path().join("outside.db"), sms.join("out.db")).expect("ln");
        symlink(&root, d.path().join("link-to-dump")).expect("ln");
        let ev = FolderEvidence::new(d.path().join("link-to-dump"), AcquisitionKind::IosFs);
        assert_eq!(ev.source(), d.path().join("link-to-dump"));
        let mut all = Vec::new();
        ev.walk(&mut |f| all.push(f.path.clone())).expect("walk");
        assert_eq!(all, vec!["private/var/mobile/Library/SMS/sms.db"]);
        static DBS: &[&str] = &["**/*.db"];
        let found = ev.locate(&Locator { backup: &[], paths: DBS }).expect("locate");
        assert_eq!(found.len(), 1);
        let db = ev.sqlite(&found[0]).expect("opens through the user's link");
        assert_eq!(db.query_row("SELECT count(*) FROM message", [], |r| r.get::<_, i64>(0)).expect("q"), 1);
        drop(db);
        for (name, what) in [
            ("fifo.db", "a FIFO"),
            ("zero.db", "a symbolic link"),
            ("out.db", "a symbolic link"),
            ("s.sock", "a socket"),
        ] {
            let f = EvidenceFile::plain(format!("private/var/mobile/Library/SMS/{name}"));
            let err = ev.read(&f, 100).expect_err("refused").to_string();
            assert_eq!(err, format!("{} is {what}, not a regular file: refused", f.path));
            assert!(ev.open(&f).is_err() && ev.sqlite(&f).is_err());
        }
        // a FIFO in place of the WAL refuses the database instead of blocking on it
        std::fs::rename(sms.join("fifo.db"), sms.join("sms.db-wal")).expect("mv");
        let err = ev.sqlite(&found[0]).expect_err("fifo wal").to_string();
        assert!(err.contains("sms.db-wal is a FIFO, not a regular file: refused"), "{err}");
    }
}
