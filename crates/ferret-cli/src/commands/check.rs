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
    fn new(command: Option<AcquisitionKind>, args: &CheckArgs) -> anyhow::Result<Self> {
        let Some(path) = args.path.clone() else { bail!("no acquisition path given") };
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
        if let Some(dir) = &args.output {
            let mut inputs: Vec<&Path> = vec![&path];
            inputs.extend(args.indicators.iocs.iter().map(PathBuf::as_path));
            output::refuse_inside_inputs(dir, "the results folder", &inputs)?;
        }
        Ok(Self { path, detection, modules, output: args.output.clone(), secrets: SecretFlags::new(&args.secrets) })
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

/// MVT names that differ from ferret's beyond case and prefixes.
const MVT_ALIASES: [(&str, &str); 1] = [("locationdclients", "locationd")];

fn matches(slug: &str, wanted: &str) -> bool {
    let (s, w) = (norm(slug), norm(wanted));
    s == w
        || SLUG_PREFIXES.iter().any(|p| s.strip_prefix(p) == Some(w.as_str()) || w.strip_prefix(p) == Some(s.as_str()))
        || MVT_ALIASES.iter().any(|(a, target)| *a == w && *target == slug)
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

/// Runs a check command; `command` is `None` for `ferret check` (type detected).
pub fn run(command: Option<AcquisitionKind>, args: CheckArgs, verbosity: Verbosity) -> anyhow::Result<ExitStatus> {
    if args.list_modules {
        return list_modules(command, args.path.as_deref());
    }
    let started = jiff::Timestamp::now();
    console::init_logging(verbosity)?;
    let plan = Plan::new(command, &args)?;
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
    // end. (An error below returns without waiting for it: the process ends.)
    let early_hash = (plan.output.is_some() && plan.path.is_file()).then(|| {
        let path = plan.path.clone();
        std::thread::spawn(move || ferret_core::evidence::sha256_file(&path).map(|h| (path, h)))
    });
    let Opened { evidence, device, problems } = acquisition::open(kind, &plan.path, &plan.secrets)?;
    for p in &problems {
        tracing::warn!("{}", ferret_report::terminal_safe(p));
    }
    let (index, load_report) = args.indicators.load()?;

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
    let options = RunOptions { fast: args.fast };
    let ctx = Context { evidence: &recorder, indicators: &index, options: &options };
    let refs: Vec<&dyn Module> = plan.modules.iter().map(AsRef::as_ref).collect();
    let progress = ModuleProgress::new(refs.len(), verbosity);
    let reports = match &results {
        Some(r) => ferret_core::run_modules(&refs, &ctx, r, &progress, args.threads),
        None => ferret_core::run_modules(&refs, &ctx, &NullSinks, &progress, args.threads),
    };
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
        indicators: serde_json::to_value(&load_report).unwrap_or_default(),
        recheck_of: None,
        problems,
    };
    let summary = match &results {
        // the other inputs are hashed on a second thread while the timeline is merged
        Some(r) => std::thread::scope(|scope| {
            let hashing = scope.spawn(|| {
                let known: Vec<(PathBuf, String)> =
                    early_hash.and_then(|h| h.join().ok()).and_then(Result::ok).into_iter().collect();
                recorder.input_hashes_with(&known)
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
    print_summary(&summary, plan.output.as_deref());
    Ok(summary.verdict.exit_status())
}

fn kind_name(kind: AcquisitionKind) -> String {
    serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
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
    }
}
