//! `ferret report RESULTS`: rebuilds `RESULTS/report.html` from `info.json`, `alerts.json` and
//! `timeline.csv`, and prints its path.

use std::path::Path;

use anyhow::Context as _;
use ferret_report::ExitStatus;

/// Runs `report`.
pub fn run(dir: &Path) -> anyhow::Result<ExitStatus> {
    let path =
        ferret_report::write_report(dir).with_context(|| format!("cannot rebuild the report in {}", dir.display()))?;
    crate::console::out(&path.display().to_string());
    Ok(ExitStatus::Clean)
}
