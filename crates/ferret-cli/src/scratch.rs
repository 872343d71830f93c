//! One private scratch folder per run, removed on exit, on error and on Ctrl-C.
//!
//! Every temporary file ferret makes (decrypted databases, copies of databases with WAL
//! sidecars, decrypted androidqf archives, spilled timeline runs) goes through the `tempfile`
//! crate. At start-up the CLI creates a 0700 folder `ferret-run-*` in the system temp folder and
//! makes it the `tempfile` default, so all of them land inside it; a SIGINT/SIGTERM handler
//! removes that folder before exiting with status 130, so no plaintext survives an interrupted
//! check of an encrypted backup.

use std::path::PathBuf;

/// The run's scratch folder; removed when dropped.
pub struct Scratch {
    dir: Option<tempfile::TempDir>,
}

impl Scratch {
    /// Creates the folder, makes it the temp default and installs the interrupt handler.
    /// Failure to do so is not fatal (temporary files then go to the system temp folder).
    pub fn install() -> Self {
        let dir = match tempfile::Builder::new().prefix("ferret-run-").tempdir() {
            Ok(d) => d,
            Err(e) => {
                tracing::debug!("no private scratch folder: {e}");
                return Self { dir: None };
            }
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700));
        }
        let path: PathBuf = dir.path().to_path_buf();
        let _ = tempfile::env::override_temp_dir(&path);
        let for_handler = path.clone();
        let _ = ctrlc::set_handler(move || {
            let _ = std::fs::remove_dir_all(&for_handler);
            crate::console::error("interrupted: temporary files removed");
            #[allow(clippy::exit)]
            std::process::exit(130);
        });
        Self { dir: Some(dir) }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(d) = self.dir.take() {
            let _ = d.close();
        }
    }
}
