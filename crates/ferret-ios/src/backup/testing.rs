//! Test helpers: generated backups opened as evidence, and one-module runs.

use ferret_core::module::testing::{RunResult, run_one};
use ferret_core::{ArtifactModule, Context, Evidence, Indicators, RunOptions, Typed};
use ferret_testdata::ArtifactFile;
use ferret_testdata::ios_backup::{DeviceSpec, write_backup};
use ferret_testdata::truth::{Truth, compare};

use super::BackupEvidence;

/// Writes `files` as a backup in a temp folder and opens it.
pub(crate) fn backup(files: &[ArtifactFile], device: &DeviceSpec) -> (tempfile::TempDir, BackupEvidence) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_backup(dir.path(), files, device).expect("write backup");
    let ev = BackupEvidence::open(dir.path()).expect("open backup");
    (dir, ev)
}

/// Runs one typed module.
pub(crate) fn run<M: ArtifactModule>(m: M, ev: &dyn Evidence, ind: &dyn Indicators) -> RunResult {
    let options = RunOptions::default();
    let ctx = Context { evidence: ev, indicators: ind, options: &options };
    run_one(&Typed(m), &ctx)
}

/// Asserts recall and precision against the truth for one module.
pub(crate) fn assert_exact(truth: &Truth, r: &RunResult, module: &str) {
    let cmp = compare(&truth.alerts, &r.alerts, Some(&[module]));
    assert!(cmp.missed.is_empty(), "missed: {:#?}", cmp.missed);
    assert!(cmp.unexpected.is_empty(), "unexpected: {:#?}", cmp.unexpected);
}
