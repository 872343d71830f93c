//! `ferret check-iocs RESULTS`: re-check stored results against (new) indicators, without the
//! acquisition. Writes into `-o DIR`, by default a new folder `check-iocs-<name>` in the
//! current folder; never into RESULTS (see [`ferret_report::recheck`]).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use ferret_core::Module;
use ferret_report::{ExitStatus, RunInfo};

use crate::cli::CheckIocsArgs;
use crate::console::{self, Verbosity};
use crate::secrets::command_line;
use crate::{acquisition, output};

/// A folder name in the current folder that does not exist yet: `check-iocs-<name>`, then
/// `-2`, `-3`...
fn default_output(results: &Path) -> anyhow::Result<PathBuf> {
    let name = output::resolve(results)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "results".into());
    let base = format!("check-iocs-{name}");
    for i in 1..10_000 {
        let candidate = if i == 1 { PathBuf::from(&base) } else { PathBuf::from(format!("{base}-{i}")) };
        if std::fs::symlink_metadata(&candidate).is_err() {
            return Ok(candidate);
        }
    }
    bail!("no free folder name {base}-N here; give -o DIR")
}

/// Runs `check-iocs`.
pub fn run(args: CheckIocsArgs, verbosity: Verbosity) -> anyhow::Result<ExitStatus> {
    console::init_logging(verbosity)?;
    let results = &args.results;
    if !results.is_dir() {
        bail!("{}: no such results folder", results.display());
    }
    if !results.join("info.json").is_file() {
        bail!(
            "{} is not a ferret results folder (it has no info.json): give a folder written by `ferret check ... -o DIR`",
            results.display()
        );
    }
    let out = match &args.output {
        Some(o) => o.clone(),
        None => default_output(results)?,
    };
    let mut inputs: Vec<&Path> = vec![results];
    inputs.extend(args.indicators.iocs.iter().map(PathBuf::as_path));
    output::refuse_inside_inputs(&out, "the re-check's results folder", &inputs)?;
    let (index, load_report) = args.indicators.load()?;
    let folder = output::results_folder(&out, &inputs, args.force, args.lang)?;
    console::attach_command_log(&out.join("command.log")).context("cannot write command.log")?;
    let summary = recheck(results, folder, &index, &load_report, args.custody, !args.no_process_census)?;
    super::check::print_summary(&summary, Some(&out));
    Ok(summary.verdict.exit_status())
}

/// Re-checks the results folder `results` into `folder` with the modules of its own
/// acquisition type (`check-iocs`, and `hunt` for each matching case), with its post-run
/// passes (the iOS process census) unless `census` is off.
pub fn recheck(
    results: &Path,
    folder: ferret_report::ResultsFolder,
    index: &dyn ferret_core::Indicators,
    load_report: &ferret_indicators::LoadReport,
    custody: Option<ferret_core::Custody>,
    census: bool,
) -> anyhow::Result<ferret_report::Summary> {
    let modules = acquisition::modules_for_results(results);
    let refs: Vec<&dyn Module> = modules.iter().map(AsRef::as_ref).collect();
    // the iOS passes (the process census) run by default, also over results checked without them
    let posts = acquisition::post_runs_for_results(results);
    let names: Vec<&str> = posts.iter().map(|p| p.info().name).collect();
    let (post_refs, dropped): (Vec<&dyn ferret_core::PostRun>, Vec<&str>) =
        if census { (posts.iter().map(AsRef::as_ref).collect(), Vec::new()) } else { (Vec::new(), names) };
    let run = RunInfo {
        ferret_version: env!("CARGO_PKG_VERSION").to_string(),
        command_line: command_line(&[]),
        started_at: Some(jiff::Timestamp::now()),
        indicators: serde_json::to_value(load_report).unwrap_or_default(),
        custody,
        ..Default::default()
    };
    ferret_report::check_iocs_with(results, folder, &refs, &post_refs, &dropped, index, &run)
        .with_context(|| format!("cannot re-check the results in {}", results.display()))
}
