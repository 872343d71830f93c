//! `ferret gen` (hidden): writes synthetic acquisitions for benchmarks and cross-checks.

use std::path::PathBuf;

use anyhow::Context as _;
use ferret_testdata::scenario::{self, Scale};

use crate::exit;

/// `ferret gen` options.
#[derive(Debug, clap::Args)]
pub struct GenArgs {
    /// SMS messages (other artifacts scale with it).
    #[arg(long, default_value_t = 10_000)]
    pub sms: usize,
    /// Decoy indicators in the bundle.
    #[arg(long, default_value_t = 20_000)]
    pub decoys: usize,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output folder (gets `backup/`, `iocs.stix2`, `truth.json`).
    pub dir: PathBuf,
}

/// Writes the scenario.
pub fn run(args: GenArgs) -> anyhow::Result<u8> {
    std::fs::create_dir_all(&args.dir)?;
    let g = scenario::ios_backup(&args.dir, args.seed, Scale { sms: args.sms, decoys: args.decoys })
        .with_context(|| format!("cannot generate into {}", args.dir.display()))?;
    crate::console::out(&format!("{} planted alerts; backup at {}", g.truth.alerts.len(), g.acquisition.display()));
    Ok(exit::CLEAN)
}
