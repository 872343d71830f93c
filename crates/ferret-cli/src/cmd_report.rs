//! `ferret report RESULTS` and `ferret check-iocs RESULTS`.
//!
//! Both work on a results folder alone (the acquisition may be gone).
//! * `report` rebuilds `RESULTS/report.html` from `info.json`, `alerts.json` and `timeline.csv`
//!   and prints its path on stdout.
//! * `check-iocs` streams every stored `<module>.json` through the module's per-record checks
//!   with the given indicators and writes the new `alerts.json`, `<module>_detected.json`,
//!   `alerts_timeline.csv`, `info.json` and `report.html` into `RESULTS/check-iocs/` (the
//!   original files are not modified); heuristic alerts that need the whole artifact are carried
//!   over from the original run (see `ferret_report::recheck`).
//!
//! Exit codes: 0 = no HIGH/CRITICAL alert, 1 = HIGH/CRITICAL alerts, errors → `Err` (exit 2).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use ferret_core::{Indicators, Module};
use ferret_report::{RunInfo, Summary};

/// `ferret report RESULTS`: rebuilds `report.html`, prints its path, returns exit code 0.
#[allow(clippy::print_stdout)] // the path is the command's output
pub fn report(dir: &Path) -> anyhow::Result<u8> {
    let path =
        ferret_report::write_report(dir).with_context(|| format!("cannot rebuild the report in {}", dir.display()))?;
    println!("{}", path.display());
    Ok(0)
}

/// Same as [`check_iocs`] without printing: returns the folder written and the summary.
pub fn check_iocs_summary(
    dir: &Path,
    modules: &[Box<dyn Module>],
    indicators: &dyn Indicators,
    run: &RunInfo,
) -> anyhow::Result<(PathBuf, Summary)> {
    let refs: Vec<&dyn Module> = modules.iter().map(|m| m.as_ref()).collect();
    ferret_report::check_iocs(dir, &refs, indicators, run)
        .with_context(|| format!("cannot re-check the results in {}", dir.display()))
}
