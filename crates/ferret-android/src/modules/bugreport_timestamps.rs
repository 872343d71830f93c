//! `bugreport_timestamps`: modification times of the files copied into a bugreport (`FS/...`
//! entries), for the timeline. No checks.
//!
//! Zip entry times are the device's wall clock without a zone; they are kept as written
//! (labelled UTC), as MVT does.

use ferret_core::{ArtifactModule, Context, Locator, ModuleError, Out, Outcome};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileTime {
    /// Path inside the bugreport.
    pub path: String,
    /// Modification time.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub modified_time: Option<Timestamp>,
}

impl FileTime {
    /// One record per file matching `paths`, with its modification time (the timestamp
    /// modules of bugreports and androidqf collections).
    pub(crate) fn record_all<M: ArtifactModule<Record = Self>>(
        ctx: &Context<'_>,
        paths: &'static [&'static str],
        out: &mut Out<'_, '_, M>,
    ) -> Result<Outcome, ModuleError> {
        let files = ctx.evidence.locate(&Locator { backup: &[], paths })?;
        if files.is_empty() {
            return Ok(Outcome::NotFound);
        }
        for f in files {
            out.record(Self { path: f.path, modified_time: f.modified })?;
        }
        Ok(Outcome::Completed)
    }
}

/// The module.
#[derive(Debug, Clone, Copy)]
pub struct BugreportTimestamps;

static PATHS: &[&str] = &["FS/**", "**/FS/**"];

impl ArtifactModule for BugreportTimestamps {
    type Record = FileTime;
    const NAME: &'static str = "bugreport_timestamps";
    const DESCRIPTION: &'static str = "Modification times of the files in a bugreport's FS/ folder";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        FileTime::record_all(ctx, PATHS, out)
    }

    fn timeline(&self, r: &FileTime, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.modified_time {
            events.push((t, "file_modified".into(), r.path.clone()));
        }
    }
}
