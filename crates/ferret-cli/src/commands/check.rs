//! `ferret check` and the `ios`/`android` `check-*` commands.
//!
//! Everything the user typed is validated into a [`Plan`] before any work starts (the path
//! exists, its type is known and matches the command, the modules exist, the results folder is
//! not inside an input); then the acquisition is opened, indicators are loaded, and only then
//! is anything written.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use ferret_core::{AcquisitionKind, Context, Detection, Module, Opened, Recorder, RunOptions};
use ferret_report::{ExitStatus, NullSinks, RunInfo, Summary, TargetInfo};

use crate::acquisition;
use crate::cli::CheckArgs;
use crate::console::{self, ModuleProgress, Verbosity};
use crate::output;
use crate::secrets::{SecretFlags, command_line};

/// A check, validated.
struct Plan {
    path: PathBuf,
    detection: Detection,
    modules: Vec<Box<dyn Module>>,
    output: Option<PathBuf>,
    secrets: SecretFlags,
}

impl Plan {
    fn new(
        command: Option<AcquisitionKind>,
        args: &CheckArgs,
        path: PathBuf,
        output: Option<PathBuf>,
    ) -> anyhow::Result<Self> {
        let Ok(meta) = std::fs::metadata(&path) else { bail!("{}: no such file or folder", path.display()) };
        // nothing opens a FIFO, socket or device the user names (it could block or never end)
        if !meta.is_file() && !meta.is_dir() {
            bail!(
                "{} is not a regular file or a folder: ferret reads acquisitions from files and folders only",
                path.display()
            );
        }
        let detection = match command {
            Some(kind) => acquisition::expect(&path, kind)?,
            None => acquisition::detect(&path)?,
        };
        let modules = select_modules(detection.kind, &args.modules)?;
        if let Some(dir) = &output {
            let mut inputs: Vec<&Path> = vec![&path];
            inputs.extend(args.indicators.iocs.iter().map(PathBuf::as_path));
            output::refuse_inside_inputs(dir, "the results folder", &inputs)?;
        }
        Ok(Self { path, detection, modules, output, secrets: SecretFlags::new(&args.secrets) })
    }
}

/// Normalises a module name for matching: lower case, without `_`, `-` and spaces, so MVT's
/// class names (`SafariHistory`, `IDStatusCache`) meet ferret's slugs (`safari_history`).
fn norm(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// Prefixes ferret puts before a name MVT spells without (`dumpsys_accessibility` is MVT's
/// `Accessibility`/`DumpsysAccessibility`, `aqf_packages` its `Packages`).
const SLUG_PREFIXES: [&str; 3] = ["dumpsys", "aqf", "sysdiag"];

fn matches(slug: &str, wanted: &str) -> bool {
    let (s, w) = (norm(slug), norm(wanted));
    s == w
        || SLUG_PREFIXES.iter().any(|p| s.strip_prefix(p) == Some(w.as_str()) || w.strip_prefix(p) == Some(s.as_str()))
        // MVT's class name, also where it differs beyond case and prefixes (`LocationdClients`)
        || norm(&ferret_report::mvt::plugin_name(slug)) == w
}

/// The modules of `kind` the user named with `-m` (all of them when none was named): ferret's
/// slugs or MVT's names, in run order. An unknown name is an error with a suggestion.
fn select_modules(kind: AcquisitionKind, wanted: &[String]) -> anyhow::Result<Vec<Box<dyn Module>>> {
    let mut modules = acquisition::modules_for(kind);
    let wanted: Vec<&str> = wanted.iter().map(|w| w.trim()).filter(|w| !w.is_empty()).collect();
    if wanted.is_empty() {
        return Ok(modules);
    }
    for w in &wanted {
        if modules.iter().any(|m| matches(m.info().name, w)) {
            continue;
        }
        if let Some(other) = acquisition::all_modules().into_iter().find(|m| matches(m.info().name, w)) {
            bail!(
                "module {w:?} ({}) does not run on {}; see `ferret {} --list-modules`",
                other.info().name,
                kind.describe(),
                kind.command()
            );
        }
        let best = modules
            .iter()
            .map(|m| (strsim::jaro_winkler(&norm(m.info().name), &norm(w)), m.info().name))
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let hint = match best {
            Some((score, name)) if score > 0.8 => format!("; did you mean {name}?"),
            _ => String::new(),
        };
        bail!("unknown module {w:?} for `ferret {}`{hint} (see --list-modules)", kind.command());
    }
    modules.retain(|m| wanted.iter().any(|w| matches(m.info().name, w)));
    Ok(modules)
}

fn list_modules(command: Option<AcquisitionKind>, path: Option<&Path>) -> anyhow::Result<ExitStatus> {
    let kinds: Vec<AcquisitionKind> = match (command, path) {
        (Some(k), _) => vec![k],
        (None, Some(p)) => vec![acquisition::detect(p)?.kind],
        (None, None) => AcquisitionKind::ALL.to_vec(),
    };
    for (i, k) in kinds.iter().enumerate() {
        if i > 0 {
            console::out("");
        }
        console::out(&format!("Modules of `ferret {}` ({}):", k.command(), k.describe()));
        for m in acquisition::modules_for(*k) {
            let info = m.info();
            console::out(&format!("  {:<34} {}", info.name, info.description));
        }
    }
    Ok(ExitStatus::Clean)
}

/// Runs a check command; `command` is `None` for `ferret check` (type detected). Several
/// acquisitions make a batch ([`run_batch`]).
pub fn run(command: Option<AcquisitionKind>, args: CheckArgs, verbosity: Verbosity) -> anyhow::Result<ExitStatus> {
    if args.list_modules {
        return list_modules(command, args.paths.first().map(PathBuf::as_path));
    }
    console::init_logging(verbosity)?;
    if args.paths.len() > 1 {
        return run_batch(command, &args, verbosity);
    }
    let Some(path) = args.paths.first().cloned() else { bail!("no acquisition path given") };
    let started = jiff::Timestamp::now();
    let plan = Plan::new(command, &args, path, args.output.clone())?;
    let summary = check_one(&plan, &args, None, verbosity, started)?;
    print_summary(&summary, plan.output.as_deref());
    Ok(summary.verdict.exit_status())
}

/// Indicators loaded once for several acquisitions.
type Loaded = (ferret_indicators::IndicatorIndex, ferret_indicators::LoadReport);

/// Checks one planned acquisition: opens it, loads the indicators (or takes `loaded`), writes
/// the results folder if there is one, and returns the summary.
fn check_one(
    plan: &Plan,
    args: &CheckArgs,
    loaded: Option<&Loaded>,
    verbosity: Verbosity,
    started: jiff::Timestamp,
) -> anyhow::Result<Summary> {
    let kind = plan.detection.kind;
    tracing::info!(
        "checking {} as {} ({}): `ferret {}`",
        plan.path.display(),
        kind.describe(),
        ferret_report::terminal_safe(&plan.detection.reason),
        kind.command()
    );
    // An acquisition that is one file (an archive) is hashed for info.json from the start, on a
    // thread of its own, while it is indexed and checked: it is read once, not once more at the
    // end. A backup folder's Manifest.db likewise: opening the backup reads it whole on one
    // thread, and the other core would otherwise wait (a regular file only, never what a link
    // points to). (An error below returns without waiting for it: the process ends.)
    let early_path = if plan.path.is_file() {
        Some(plan.path.clone())
    } else if kind == AcquisitionKind::IosBackup {
        let db = plan.path.join("Manifest.db");
        std::fs::symlink_metadata(&db).is_ok_and(|m| m.file_type().is_file()).then_some(db)
    } else {
        None
    };
    let early_hash = early_path
        .filter(|_| plan.output.is_some())
        .map(|path| std::thread::spawn(move || ferret_core::evidence::sha256_file(&path).map(|h| (path, h))));
    let Opened { evidence, device, problems } = acquisition::open(kind, &plan.path, &plan.secrets)?;
    for p in &problems {
        tracing::warn!("{}", ferret_report::terminal_safe(p));
    }
    let own;
    let (index, load_report) = match loaded {
        Some((index, report)) => {
            tracing::info!("{} indicators, loaded once for the batch", index.len());
            (index, report)
        }
        None => {
            own = args.indicators.load()?;
            (&own.0, &own.1)
        }
    };

    // Only now, with the acquisition open and indicators loaded, is anything written.
    let results = match &plan.output {
        Some(dir) => {
            let mut inputs: Vec<&Path> = vec![&plan.path];
            inputs.extend(args.indicators.iocs.iter().map(PathBuf::as_path));
            let r = output::results_folder(dir, &inputs, args.force, args.lang)?;
            console::attach_command_log(&dir.join("command.log")).context("cannot write command.log")?;
            Some(r)
        }
        None => None,
    };
    let recorder = Recorder::new(evidence.as_ref());
    // the process census runs by default (iOS), unless `-m` picked modules (then only when asked
    // for); said only when asked for on another type
    let census = !args.no_process_census && (args.modules.is_empty() || args.process_census);
    let posts = if census { acquisition::post_runs_for(kind) } else { Vec::new() };
    if args.process_census && posts.is_empty() {
        tracing::warn!("--process-census reads iOS acquisitions only: this {} is checked without it", kind.describe());
    }
    let options = RunOptions {
        fast: args.fast,
        device_ips: args.device_ips.clone(),
        sightings: !posts.is_empty(),
        custody: args.custody,
    };
    let ctx = Context { evidence: &recorder, indicators: index, options: &options };
    let refs: Vec<&dyn Module> = plan.modules.iter().map(AsRef::as_ref).collect();
    let progress = ModuleProgress::new(refs.len(), verbosity);
    let sinks: &dyn ferret_core::SinkFactory = match &results {
        Some(r) => r,
        None => &NullSinks,
    };
    let mut reports = ferret_core::run_modules(&refs, &ctx, sinks, &progress, args.threads);
    // the passes over what every module read (iOS: the process census), after all of them
    for post in &posts {
        let started = std::time::Instant::now();
        let report = ferret_core::run_post(post.as_ref(), &reports, sinks);
        let records = match report.status {
            ferret_core::ModuleStatus::Completed { records } => records,
            _ => 0,
        };
        tracing::info!(
            "{}: {records} records, {} alerts ({} ms)",
            report.module,
            report.alerts.len(),
            started.elapsed().as_millis()
        );
        reports.push(report);
    }
    for r in &mut reports {
        r.sightings = Default::default();
    }
    progress.finish();

    let run = RunInfo {
        ferret_version: env!("CARGO_PKG_VERSION").to_string(),
        command_line: command_line(&plan.secrets.redactions()),
        started_at: Some(started),
        finished_at: None,
        target: TargetInfo {
            path: std::path::absolute(&plan.path).unwrap_or(plan.path.clone()).display().to_string(),
            kind: kind_name(kind),
            hashes: Vec::new(),
        },
        device,
        indicators: serde_json::to_value(load_report).unwrap_or_default(),
        recheck_of: None,
        problems,
        custody: args.custody,
    };
    let summary = match &results {
        // the other inputs are hashed on a second thread while the timeline is merged
        Some(r) => std::thread::scope(|scope| {
            let hashing = scope.spawn(|| {
                let known: Vec<(PathBuf, String)> =
                    early_hash.and_then(|h| h.join().ok()).and_then(Result::ok).into_iter().collect();
                let hashes = recorder.input_hashes_with(&known);
                tracing::info!(
                    files = hashes.len(),
                    bytes = hashes.iter().map(|h| h.bytes).sum::<u64>(),
                    "inputs read and hashed (info.json run.target.hashes)"
                );
                hashes
            });
            r.finish_hashing(reports, &run, || {
                hashing.join().unwrap_or_else(|_| {
                    tracing::warn!("hashing the inputs failed: info.json lists no input hashes");
                    Vec::new()
                })
            })
        })
        .context("cannot write the results")?,
        None => Summary::from_reports(&reports, &run),
    };
    Ok(summary)
}

/// One acquisition of a batch, as `batch.json` lists it.
#[derive(Debug, serde::Serialize)]
struct BatchEntry {
    /// The acquisition as given.
    input: String,
    /// Its results folder (absent without `--output`, or when it could not be checked).
    #[serde(skip_serializing_if = "Option::is_none")]
    results: Option<String>,
    /// `alerts_found`, `nothing_found`, `incomplete`, or `error` when it could not be checked.
    verdict: String,
    /// Alerts per level.
    #[serde(skip_serializing_if = "Option::is_none")]
    alerts: Option<ferret_report::LevelCounts>,
    /// Why it could not be checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Checks several acquisitions one after the other with one load of the indicators (a lab's
/// batch, or a campaign's devices): each gets its own results folder `OUTPUT/<name>` (the file
/// or folder name, numbered when two are alike) and `OUTPUT/batch.json` lists every
/// acquisition with its verdict. An acquisition that cannot be checked is reported and the
/// others go on. Exit status: 1 if any acquisition has alerts, else 2 if any could not be
/// checked or is incomplete, else 0.
fn run_batch(command: Option<AcquisitionKind>, args: &CheckArgs, verbosity: Verbosity) -> anyhow::Result<ExitStatus> {
    let Some(out) = &args.output else {
        bail!("several acquisitions need --output DIR: each gets its own results folder in it")
    };
    let mut plans: Vec<(PathBuf, anyhow::Result<Plan>)> = Vec::new();
    let mut used: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for path in &args.paths {
        let base = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| !n.is_empty() && n != "." && n != "..")
            .unwrap_or_else(|| "acquisition".into());
        let mut name = base.clone();
        let mut k = 2;
        while !used.insert(name.clone()) {
            name = format!("{base}-{k}");
            k += 1;
        }
        let plan = Plan::new(command, args, path.clone(), Some(out.join(&name)));
        plans.push((path.clone(), plan));
    }
    if plans.iter().all(|(_, p)| p.is_err()) {
        for (path, p) in &plans {
            if let Err(e) = p {
                console::error(&format!("{}: {e:#}", path.display()));
            }
        }
        bail!("none of the {} acquisitions can be checked", plans.len());
    }
    let loaded = args.indicators.load()?;
    let preamble = console::early_log();
    let mut entries = Vec::new();
    let mut status = ExitStatus::Clean;
    let worse = |a: ExitStatus, b: ExitStatus| match (a, b) {
        (ExitStatus::Alerts, _) | (_, ExitStatus::Alerts) => ExitStatus::Alerts,
        (ExitStatus::Error, _) | (_, ExitStatus::Error) => ExitStatus::Error,
        _ => ExitStatus::Clean,
    };
    let total = plans.len();
    for (i, (path, plan)) in plans.into_iter().enumerate() {
        let input = path.display().to_string();
        console::out(&format!("[{}/{total}] {}", i + 1, ferret_report::terminal_safe(&input)));
        console::restart_command_log(&preamble);
        let result = plan.and_then(|plan| {
            let summary = check_one(&plan, args, Some(&loaded), verbosity, jiff::Timestamp::now())?;
            Ok((plan, summary))
        });
        match result {
            Ok((plan, summary)) => {
                print_summary(&summary, plan.output.as_deref());
                status = worse(status, summary.verdict.exit_status());
                entries.push(BatchEntry {
                    input,
                    results: plan.output.as_ref().map(|o| o.display().to_string()),
                    verdict: serde_name(&summary.verdict.state),
                    alerts: Some(summary.counts),
                    error: None,
                });
            }
            Err(e) => {
                console::error(&format!("{}: {e:#}", ferret_report::terminal_safe(&input)));
                status = worse(status, ExitStatus::Error);
                entries.push(BatchEntry {
                    input,
                    results: None,
                    verdict: "error".into(),
                    alerts: None,
                    error: Some(format!("{e:#}")),
                });
            }
        }
    }
    console::restart_command_log(&[]);
    let list = out.join("batch.json");
    let json = serde_json::to_vec_pretty(&entries).context("cannot write batch.json")?;
    std::fs::write(&list, json).with_context(|| format!("cannot write {}", list.display()))?;
    let (alerted, failed) = entries.iter().fold((0, 0), |(a, f), e| match e.verdict.as_str() {
        "alerts_found" => (a + 1, f),
        "incomplete" | "error" => (a, f + 1),
        _ => (a, f),
    });
    console::out(&format!(
        "Batch: {total} acquisitions, {alerted} with alerts, {failed} not fully checked; the list is in {}",
        list.display()
    ));
    Ok(status)
}

/// The name a unit enum value serialises to (`AlertsFound` → `alerts_found`).
fn serde_name(v: &impl serde::Serialize) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

fn kind_name(kind: AcquisitionKind) -> String {
    serde_name(&kind)
}

/// Prints the end-of-run summary and where the results are (or that none were written).
pub fn print_summary(summary: &Summary, output: Option<&Path>) {
    for line in summary.console_lines() {
        console::out(&line);
    }
    console::out("");
    match output {
        Some(dir) => {
            console::out(&format!("Results: {}", dir.display()));
            let report = dir.join("report.html");
            if report.exists() {
                console::out(&format!("Report:  {}", report.display()));
            }
        }
        None => console::out(
            "Nothing was written (no -o DIR): add -o DIR to keep the records, the timeline and the report.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(kind: AcquisitionKind, wanted: &[&str]) -> anyhow::Result<Vec<&'static str>> {
        let w: Vec<String> = wanted.iter().map(|s| s.to_string()).collect();
        Ok(select_modules(kind, &w)?.iter().map(|m| m.info().name).collect())
    }

    #[test]
    fn mvt_module_names_and_suggestions() {
        use AcquisitionKind::*;
        assert_eq!(
            names(IosBackup, &["SMS", "SafariHistory", "IDStatusCache"]).expect("ok"),
            vec!["sms", "safari_history", "id_status_cache"]
        );
        assert_eq!(names(IosBackup, &["sms_attachments"]).expect("ok"), vec!["sms_attachments"]);
        assert_eq!(names(IosBackup, &["LocationdClients"]).expect("ok"), vec!["locationd"]);
        assert_eq!(names(AndroidQf, &["Packages"]).expect("ok"), vec!["aqf_packages", "dumpsys_packages"]);
        assert_eq!(names(AndroidBugreport, &["Accessibility"]).expect("ok"), vec!["dumpsys_accessibility"]);
        let e = names(IosBackup, &["SafariHistroy"]).expect_err("typo").to_string();
        assert!(e.contains("did you mean safari_history?"), "{e}");
        let e = names(IosFs, &["Manifest"]).expect_err("backup only").to_string();
        assert!(e.contains("does not run on an iOS full-filesystem dump"), "{e}");
        let e = names(IosBackup, &["frobnicate"]).expect_err("unknown").to_string();
        assert!(e.contains("unknown module") && !e.contains("did you mean"), "{e}");
        assert_eq!(names(IosBackup, &[]).expect("all").len(), acquisition::modules_for(IosBackup).len());
        // every MVT class name given to `timeline.csv`'s Plugin column selects its module
        assert_eq!(names(AndroidBugreport, &["DumpsysGetProp"]).expect("ok"), vec!["getprop"]);
    }

    /// Every module's Plugin name in `timeline.csv` is its own (no two modules share one) and
    /// `ferret report` turns it back into the module, which finds the module's alerts.
    #[test]
    fn every_module_has_its_own_plugin_name_and_back() {
        use ferret_report::mvt::{module_of_plugin, plugin_name};
        let mut seen = std::collections::BTreeMap::new();
        for m in acquisition::all_modules() {
            let name = m.info().name;
            let plugin = plugin_name(name).into_owned();
            assert_eq!(module_of_plugin(&plugin), name, "{plugin}");
            if let Some(other) = seen.insert(plugin.clone(), name) {
                assert_eq!(other, name, "{plugin} names two modules");
            }
        }
        assert!(seen.len() > 60, "{}", seen.len());
    }
}
