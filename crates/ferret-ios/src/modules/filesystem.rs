//! `filesystem`: the full file list of a filesystem dump.
//!
//! Every regular file of the dump becomes one record `{path, size, modified}` (`path` relative
//! to the dump root, no leading `/`, as MVT writes it). Records are streamed straight from the
//! evidence walk, so a 1M-file dump is listed in bounded memory (the evidence's own index aside).
//! Directories, symbolic links and special files are not listed (the evidence views only show
//! regular files); file content is never read, so no hashes are computed.
//!
//! Checks (HIGH, indicator hits, as MVT):
//! * `check_file_path("/" + path)`: file-name indicators on the basename, file-path indicators as
//!   component-aware prefixes;
//! * otherwise, each `/`-separated component of the path against process indicators (a folder or
//!   file named like a known spyware process). MVT skips this in `--fast` mode; here it is a hash
//!   lookup per component, cheap enough to always run.
//!
//! Timeline: `entry_modified` at each file's modification time.

use ferret_core::{ArtifactModule, Context, Finding, Indicators, Level, ModuleError, Out, Outcome, ioc_finding};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filesystem;

/// One file of the dump.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Path relative to the dump root.
    pub path: String,
    /// Size in bytes, if known.
    pub size: Option<u64>,
    /// Modification time, if known.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub modified: Option<Timestamp>,
}

impl ArtifactModule for Filesystem {
    type Record = FileEntry;
    const NAME: &'static str = "filesystem";
    const DESCRIPTION: &'static str =
        "Every file of a filesystem dump: names and paths vs file indicators, modification times";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let mut failed: Option<ModuleError> = None;
        ctx.evidence.walk(&mut |f| {
            if failed.is_some() {
                return;
            }
            let rec = FileEntry { path: f.path.clone(), size: f.size, modified: f.modified };
            if let Err(e) = out.record(rec) {
                failed = Some(e);
            }
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        Ok(if out.count() == 0 { Outcome::NotFound } else { Outcome::Completed })
    }

    fn timeline(&self, r: &FileEntry, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.modified {
            events.push((t, "entry_modified".into(), r.path.clone()));
        }
    }

    fn check(&self, r: &FileEntry, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        let abs = format!("/{}", r.path.trim_start_matches('/'));
        if let Some(m) = ind.check_file_path(&abs) {
            f.push(ioc_finding(Level::High, "File", &abs, r.modified, m));
            return;
        }
        if let Some(m) = r.path.split('/').filter(|c| !c.is_empty()).find_map(|c| ind.check_process(c)) {
            f.push(ioc_finding(Level::High, "File path naming a known process", &abs, r.modified, m));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::executable_paths::testing::run_on;
    use crate::modules::webkit_stores::testing::both_fs;
    use ferret_testdata::fake::TruthIndicators;
    use ferret_testdata::truth::{Truth, compare};

    #[test]
    fn recall_and_precision_folder_and_targz() {
        let mut truth = Truth::default();
        let files = ferret_testdata::ios_fs::filesystem(4, 300, &mut truth);
        let (_d, evs) = both_fs(&files);
        let ind = TruthIndicators::new(&truth);
        let mut all = Vec::new();
        for ev in &evs {
            let r = run_on(Filesystem, ev.as_ref(), &ind);
            assert_eq!(r.outcome, Ok(Outcome::Completed));
            let cmp = compare(&truth.alerts, &r.alerts, Some(&["filesystem"]));
            assert!(cmp.is_exact(), "missed {:#?} unexpected {:#?}", cmp.missed, cmp.unexpected);
            assert_eq!(r.records.len(), 305);
            assert_eq!(r.timeline.len(), 305);
            all.push(r.records);
        }
        assert_eq!(all[0], all[1], "folder and tar.gz list the same files");
    }
}
