//! Writing the output of `decrypt-backup` without following links.
//!
//! The destination may already hold entries (with `--force`), and whoever prepared it may have
//! planted symbolic links (`3d` → a folder elsewhere, or into the source backup). Every folder
//! under the destination is created with `create_dir` (mode 0700); an existing component is only
//! reused when `lstat` says it is a real folder, never a link. Files are created with
//! `O_CREAT | O_EXCL | O_NOFOLLOW` (mode 0600): an existing entry is never opened; with
//! `--force`, an existing *regular file* is unlinked first, anything else (link, folder, FIFO)
//! is refused with an error naming it.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::CryptoError;

/// The destination folder of `decrypt-backup`.
#[derive(Debug)]
pub(super) struct Destination {
    root: PathBuf,
    force: bool,
}

fn refused(path: &Path, reason: impl Into<String>) -> CryptoError {
    CryptoError::Destination { path: path.to_path_buf(), reason: reason.into() }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CryptoError + '_ {
    move |source| CryptoError::Io { path: path.to_path_buf(), source }
}

/// What an existing entry is, for messages.
fn describe(path: &Path, meta: &std::fs::Metadata) -> String {
    let t = meta.file_type();
    if t.is_symlink() {
        match std::fs::read_link(path) {
            Ok(target) => format!("is a symbolic link (to {}); refusing to write through it", target.display()),
            Err(_) => "is a symbolic link; refusing to write through it".into(),
        }
    } else if t.is_dir() {
        "is a folder, not a file".into()
    } else if t.is_file() {
        "already exists (use --force to replace it)".into()
    } else {
        "exists and is not a regular file (device, FIFO or socket)".into()
    }
}

impl Destination {
    /// The destination `root` (already checked by `check_destination` and created).
    pub(super) fn new(root: &Path, force: bool) -> Self {
        Self { root: root.to_path_buf(), force }
    }

    /// Creates (or, when it is already a real folder, reuses) the folder `name` directly under
    /// the destination. A link, a file or anything else at that name is refused.
    pub(super) fn folder(&self, name: &str) -> Result<PathBuf, CryptoError> {
        let p = self.root.join(name);
        let mut b = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        match b.create(&p) {
            Ok(()) => Ok(p),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let meta = std::fs::symlink_metadata(&p).map_err(io(&p))?;
                if meta.file_type().is_dir() {
                    Ok(p)
                } else if meta.file_type().is_symlink() {
                    Err(refused(&p, describe(&p, &meta)))
                } else {
                    Err(refused(&p, "exists and is not a folder"))
                }
            }
            Err(e) => Err(io(&p)(e)),
        }
    }

    /// Creates the file `rel` (a name, or `folder/name` under a folder made by
    /// [`Destination::folder`]) for writing, never following a link. With `force`, an existing
    /// regular file is replaced; any other existing entry is refused.
    pub(super) fn file(&self, rel: &str) -> Result<(File, PathBuf), CryptoError> {
        let p = self.root.join(rel);
        match create_new(&p) {
            Ok(f) => return Ok((f, p)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(&p)(e)),
        }
        let meta = std::fs::symlink_metadata(&p).map_err(io(&p))?;
        if !(self.force && meta.file_type().is_file()) {
            return Err(refused(&p, describe(&p, &meta)));
        }
        std::fs::remove_file(&p).map_err(io(&p))?;
        // Still exclusive and no-follow: whatever appeared in between is refused, not opened.
        create_new(&p).map(|f| (f, p.clone())).map_err(io(&p))
    }
}

/// `open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600)`.
fn create_new(path: &Path) -> std::io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    o.open(path)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn links_and_non_files_are_refused_regular_files_replaced_with_force() {
        let d = tempfile::tempdir().expect("tmp");
        let outside = d.path().join("outside");
        std::fs::create_dir(&outside).expect("mkdir");
        let root = d.path().join("dest");
        std::fs::create_dir(&root).expect("mkdir");
        std::os::unix::fs::symlink(&outside, root.join("3d")).expect("link");
        std::os::unix::fs::symlink(outside.join("f"), root.join("Manifest.db")).expect("link");
        std::fs::write(root.join("Info.plist"), b"old").expect("write");
        std::fs::create_dir(root.join("ab")).expect("mkdir");
        std::fs::write(root.join("cd"), b"file").expect("write");

        for force in [false, true] {
            let dest = Destination::new(&root, force);
            let e = dest.folder("3d").expect_err("link");
            assert!(e.to_string().contains("symbolic link") && e.to_string().contains("3d"), "{e}");
            assert!(dest.folder("cd").expect_err("a file").to_string().contains("not a folder"));
            assert!(dest.folder("ab").is_ok(), "a real folder is reused");
            assert!(dest.folder("ef").is_ok());
            let e = dest.file("Manifest.db").expect_err("link");
            assert!(e.to_string().contains("symbolic link"), "{e}");
            assert!(dest.file("ab").expect_err("folder").to_string().contains("folder"));
            let r = dest.file("Info.plist");
            assert_eq!(r.is_ok(), force, "a regular file is replaced only with --force");
        }
        assert_eq!(std::fs::read_dir(&outside).expect("ls").count(), 0, "nothing written outside");
        assert!(std::fs::read(root.join("Info.plist")).expect("read").is_empty(), "replaced, not appended");
    }
}
