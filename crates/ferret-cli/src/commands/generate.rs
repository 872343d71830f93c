//! `ferret gen` (hidden): writes synthetic acquisitions for benchmarks and cross-checks.

use anyhow::Context as _;
use ferret_report::ExitStatus;
use ferret_testdata::scenario::{self, Scale};

use crate::cli::GenArgs;

/// Writes the scenario.
pub fn run(args: GenArgs) -> anyhow::Result<ExitStatus> {
    std::fs::create_dir_all(&args.dir)?;
    let g = scenario::ios_backup(&args.dir, args.seed, Scale { sms: args.sms, decoys: args.decoys })
        .with_context(|| format!("cannot generate into {}", args.dir.display()))?;
    crate::console::out(&format!("{} planted alerts; backup at {}", g.truth.alerts.len(), g.acquisition.display()));
    Ok(ExitStatus::Clean)
}
