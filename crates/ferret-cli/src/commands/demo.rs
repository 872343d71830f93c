//! `ferret demo`: a synthetic iOS backup with planted spyware traces, checked end to end.
//!
//! Generates the backup, a STIX bundle (planted indicators + 20,000 decoys) and its ground truth
//! into a folder (default `./ferret-demo`), checks it like `ferret ios check-backup` would, then
//! compares the alerts with the ground truth and prints where `report.html` is. No network.
//!
//! The folder must be new or empty, or one an earlier `ferret demo` made: demo writes the marker
//! [`DEMO_MARKER`] first and only ever removes a folder holding it (a folder that merely looks
//! like a demo, e.g. with a `truth.json`, is refused).

use anyhow::{Context as _, bail};
use ferret_core::AcquisitionKind;
use ferret_report::ExitStatus;
use ferret_testdata::scenario::{self, Scale};

use crate::cli::{CheckArgs, DemoArgs, IocArgs};
use crate::console::{self, Verbosity};

/// The marker file `ferret demo` writes in its folder.
pub const DEMO_MARKER: &str = ".ferret-demo";

/// Runs the demo.
pub fn run(args: DemoArgs, verbosity: Verbosity) -> anyhow::Result<ExitStatus> {
    let dir = &args.dir;
    if let Ok(meta) = std::fs::symlink_metadata(dir) {
        if !meta.is_dir() {
            bail!("{} exists and is not a folder; choose another --dir", dir.display());
        }
        let empty = std::fs::read_dir(dir).map(|mut d| d.next().is_none()).unwrap_or(false);
        let ours = std::fs::symlink_metadata(dir.join(DEMO_MARKER)).is_ok_and(|m| m.is_file());
        if !empty && !ours {
            bail!(
                "{} exists and was not made by `ferret demo` (no {DEMO_MARKER} in it); choose another --dir",
                dir.display()
            );
        }
        if ours {
            std::fs::remove_dir_all(dir).with_context(|| format!("cannot clear {}", dir.display()))?;
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(dir.join(DEMO_MARKER), "made by `ferret demo`; the whole folder is replaced by the next demo\n")
        .with_context(|| format!("cannot write into {}", dir.display()))?;
    console::out(&format!("Generating a synthetic iPhone backup with planted spyware traces in {} ...", dir.display()));
    let generated =
        scenario::ios_backup(dir, args.seed, Scale::sms(args.sms)).context("cannot generate the demo backup")?;
    let results = dir.join("results");
    let check = CheckArgs {
        indicators: IocArgs { iocs: vec![generated.iocs.clone()], no_default_iocs: true },
        output: Some(results.clone()),
        paths: vec![generated.acquisition.clone()],
        ..CheckArgs::default()
    };
    super::check::run(Some(AcquisitionKind::IosBackup), check, verbosity)?;
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
    if cmp.is_exact() { Ok(ExitStatus::Clean) } else { Ok(ExitStatus::Error) }
}
