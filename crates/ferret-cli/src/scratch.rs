//! One private scratch folder per run, removed on exit, on error and on SIGINT, SIGTERM and
//! SIGHUP.
//!
//! Every temporary file ferret makes (copies of databases with WAL sidecars, decrypted
//! androidqf archives, spilled timeline runs) goes through the `tempfile` crate. At start-up
//! the CLI creates a 0700 folder `ferret-run-<pid>-*` in the system temp folder and makes it the
//! `tempfile` default, so all of them land inside it; the signal handler removes that folder
//! before exiting with status 130, so no plaintext survives an interrupted check of an encrypted
//! backup. A `kill -9` cannot be caught: the next run removes the folders of runs whose process
//! no longer exists (same user only).

use std::path::{Path, PathBuf};

/// Prefix of scratch folder names.
const PREFIX: &str = "ferret-run-";

/// The run's scratch folder; removed when dropped.
pub struct Scratch {
    dir: Option<tempfile::TempDir>,
}

/// Removes scratch folders left by runs that were killed (their pid is gone).
fn sweep_stale(tmp: &Path) {
    let Ok(rd) = std::fs::read_dir(tmp) else { return };
    #[cfg(unix)]
    let me = {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self").map(|m| m.uid()).ok()
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(PREFIX) else { continue };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else { continue };
        if pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists() || !Path::new("/proc/self").exists()
        {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(e.path()) else { continue };
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            if me != Some(meta.uid()) {
                continue;
            }
        }
        if meta.is_dir() {
            tracing::debug!("removing the scratch folder of an ended run: {}", e.path().display());
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// The folder the signal handler removes (set once it exists).
static HANDLER_DIR: std::sync::Mutex<Option<PathBuf>> = std::sync::Mutex::new(None);

impl Scratch {
    /// Installs the signal handler, then creates the folder and makes it the temp default (so a
    /// signal that arrives once the folder exists always finds the handler in place). Failure to
    /// do so is not fatal (temporary files then go to the system temp folder).
    pub fn install() -> Self {
        // with ctrlc's `termination` feature this handles SIGINT, SIGTERM and SIGHUP
        let tmp = std::env::temp_dir();
        let own_prefix = format!("{PREFIX}{}-", std::process::id());
        let for_handler = (tmp.clone(), own_prefix.clone());
        let _ = ctrlc::set_handler(move || {
            let dir = HANDLER_DIR.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
            if let Some(d) = dir {
                let _ = std::fs::remove_dir_all(d);
            }
            // a signal right after the folder was made, before it was recorded
            if let Ok(rd) = std::fs::read_dir(&for_handler.0) {
                for e in rd.flatten() {
                    if e.file_name().to_string_lossy().starts_with(&for_handler.1) {
                        let _ = std::fs::remove_dir_all(e.path());
                    }
                }
            }
            crate::console::error("interrupted: temporary files removed");
            #[allow(clippy::exit)]
            std::process::exit(130);
        });
        sweep_stale(&tmp);
        let dir = match tempfile::Builder::new().prefix(&own_prefix).tempdir_in(&tmp) {
            Ok(d) => d,
            Err(e) => {
                tracing::debug!("no private scratch folder: {e}");
                return Self { dir: None };
            }
        };
        *HANDLER_DIR.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(dir.path().to_path_buf());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700));
        }
        let _ = tempfile::env::override_temp_dir(dir.path());
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
