//! `ferret demo`: a synthetic iOS backup with planted spyware traces, checked end to end.
//!
//! Generates the backup, a STIX bundle (planted indicators + 20,000 decoys) and its ground truth
//! into a folder (default `./ferret-demo`), checks it like `ferret ios check-backup` would, then
//! compares the alerts with the ground truth and prints where `report.html` is. No network.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use ferret_core::AcquisitionKind;
use ferret_testdata::scenario::{self, Scale};

use crate::check::{AndroidSecretArgs, CheckArgs, IosSecretArgs};
use crate::console::{self, Verbosity};
use crate::exit;

/// `ferret demo` options.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Folder for the generated backup, indicators, ground truth and results. Replaced if it
    /// holds an earlier demo; refused if it holds anything else.
    #[arg(long, default_value = "ferret-demo", value_name = "DIR")]
    pub dir: PathBuf,
    /// Number of SMS messages (other artifacts scale with it).
    #[arg(long, default_value_t = 2_000)]
    pub sms: usize,
    /// Random seed (same seed, same bytes).
    #[arg(long, default_value_t = 2025)]
    pub seed: u64,
}

/// Runs the demo.
pub fn run(args: DemoArgs, verbosity: Verbosity) -> anyhow::Result<u8> {
    let marker = args.dir.join("truth.json");
    if args.dir.exists() {
        let empty = std::fs::read_dir(&args.dir).map(|mut d| d.next().is_none()).unwrap_or(false);
        if !empty && !marker.exists() {
            bail!("{} exists and is not an earlier ferret demo; choose another --dir", args.dir.display());
        }
        if !empty {
            std::fs::remove_dir_all(&args.dir).with_context(|| format!("cannot clear {}", args.dir.display()))?;
        }
    }
    std::fs::create_dir_all(&args.dir)?;
    console::out(&format!(
        "Generating a synthetic iPhone backup with planted spyware traces in {} ...",
        args.dir.display()
    ));
    let generated =
        scenario::ios_backup(&args.dir, args.seed, Scale::sms(args.sms)).context("cannot generate the demo backup")?;
    let results = args.dir.join("results");
    let check = CheckArgs {
        iocs: vec![generated.iocs.clone()],
        no_default_iocs: true,
        output: Some(results.clone()),
        list_modules: false,
        modules: Vec::new(),
        fast: false,
        threads: 0,
        path: Some(generated.acquisition.clone()),
    };
    crate::check::run(
        Some(AcquisitionKind::IosBackup),
        check,
        &IosSecretArgs::default(),
        &AndroidSecretArgs::default(),
        verbosity,
    )?;
    let alerts: Vec<ferret_core::Alert> = serde_json::from_slice(&std::fs::read(results.join("alerts.json"))?)?;
    let cmp = ferret_testdata::truth::compare(&generated.truth.alerts, &alerts, None);
    console::out(&format!(
        "Ground truth: {} planted cases; found {}, missed {}, unexpected alerts {}.",
        generated.truth.alerts.len(),
        generated.truth.alerts.len() - cmp.missed.len(),
        cmp.missed.len(),
        cmp.unexpected.len()
    ));
    for m in &cmp.missed {
        console::out(&format!("  missed: {} {} {:?} {}", m.module, m.level, m.indicator, m.marker));
    }
    for a in &cmp.unexpected {
        console::out(&format!("  unexpected: {} {} {}", a.module, a.level, ferret_report::terminal_safe(&a.message)));
    }
    console::out(&format!("Open the report: {}", results.join("report.html").display()));
    if cmp.is_exact() { Ok(exit::CLEAN) } else { Ok(exit::ERROR) }
}
