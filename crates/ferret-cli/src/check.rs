//! The `check*` commands: open an acquisition, load indicators, run its modules, write results.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use ferret_core::{AcquisitionKind, Context, Evidence, Module, ModuleStatus, Recorder, RunOptions};
use ferret_indicators::{IndicatorIndex, IndicatorSources, LoadReport};
use ferret_report::{DeviceInfo, FileHash, NullSinks, ResultsFolder, RunInfo, Summary, TargetInfo};

use crate::console::{self, ModuleProgress, Verbosity};
use crate::exit;

/// Options shared by every `check-*` command.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    /// Indicator files or folders: STIX 2.1 bundles, ioc.yaml, plain lists (repeatable).
    /// The local cache (`ferret iocs update`), the built-in sets and FERRET_IOCS / MVT_STIX2
    /// are added unless --no-default-iocs.
    #[arg(short = 'i', long = "iocs", value_name = "PATH")]
    pub iocs: Vec<PathBuf>,
    /// Do not load the indicator cache, the built-in sets or FERRET_IOCS/MVT_STIX2.
    #[arg(long)]
    pub no_default_iocs: bool,
    /// Results folder (created if missing). Without it, nothing is written and only the summary
    /// is printed.
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// List the modules of this command and exit.
    #[arg(short, long)]
    pub list_modules: bool,
    /// Run only these modules (repeatable; names from --list-modules).
    #[arg(short, long = "module", value_name = "NAME")]
    pub modules: Vec<String>,
    /// Skip slow optional checks.
    #[arg(short, long)]
    pub fast: bool,
    /// Worker threads (0 = one per core). Results do not depend on it.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,
    /// The acquisition (folder or file).
    #[arg(required_unless_present = "list_modules", value_name = "PATH")]
    pub path: Option<PathBuf>,
}

/// Secrets for encrypted iOS backups.
pub type IosSecretArgs = crate::cmd_ios::SecretArgs;

/// Secrets for encrypted Android acquisitions.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AndroidSecretArgs {
    /// Read the `.ab` backup password from this environment variable.
    #[arg(long = "backup-password-env", value_name = "VAR")]
    pub backup_password_env: Option<String>,
    /// The `.ab` backup password on the command line (leaks into shell history).
    #[arg(long = "backup-password", value_name = "PASSWORD")]
    pub backup_password: Option<String>,
    /// age identity file to decrypt an androidqf `.zip.age`.
    #[arg(long, value_name = "FILE")]
    pub age_identity: Option<PathBuf>,
}

impl AndroidSecretArgs {
    fn secrets(&self) -> anyhow::Result<ferret_android::AndroidSecrets> {
        let mut pw = self.backup_password.clone();
        if pw.is_some() {
            tracing::warn!(
                "a password given on the command line is saved in your shell history; prefer --backup-password-env"
            );
        }
        if let Some(var) = &self.backup_password_env {
            pw = Some(std::env::var(var).with_context(|| format!("environment variable {var} is not set"))?);
        }
        if pw.is_none() {
            pw = std::env::var("MVT_ANDROID_BACKUP_PASSWORD").ok();
        }
        Ok(ferret_android::AndroidSecrets { backup_password: pw, age_identity: self.age_identity.clone() })
    }
}

/// Modules of an acquisition type.
pub fn modules_for(kind: AcquisitionKind) -> Vec<Box<dyn Module>> {
    match kind {
        AcquisitionKind::IosBackup => ferret_ios::modules::backup_modules(),
        AcquisitionKind::IosFs => ferret_ios::modules::fs_modules(),
        AcquisitionKind::IosSysdiagnose => ferret_ios::modules::sysdiagnose_modules(),
        k => ferret_android::modules(k),
    }
}

/// Every module of every acquisition type, once each (for `check-iocs`), sorted by name.
pub fn all_modules() -> Vec<Box<dyn Module>> {
    let kinds = [
        AcquisitionKind::IosBackup,
        AcquisitionKind::IosFs,
        AcquisitionKind::IosSysdiagnose,
        AcquisitionKind::AndroidBugreport,
        AcquisitionKind::AndroidQf,
        AcquisitionKind::AndroidBackup,
    ];
    let mut out: Vec<Box<dyn Module>> = Vec::new();
    for k in kinds {
        for m in modules_for(k) {
            if !out.iter().any(|o| o.info().name == m.info().name) {
                out.push(m);
            }
        }
    }
    out.sort_by_key(|m| m.info().name);
    out
}

fn kind_name(kind: AcquisitionKind) -> String {
    serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// Detects the acquisition type of `path`.
pub fn detect(path: &Path) -> Option<AcquisitionKind> {
    ferret_ios::detect(path).or_else(|| ferret_ios::fs::detect(path)).or_else(|| ferret_android::detect(path))
}

struct Opened {
    evidence: Box<dyn Evidence>,
    device: DeviceInfo,
}

fn open(
    kind: AcquisitionKind,
    path: &Path,
    ios: &IosSecretArgs,
    android: &AndroidSecretArgs,
) -> anyhow::Result<Opened> {
    let generic = |evidence: Box<dyn Evidence>| Opened { evidence, device: DeviceInfo::default() };
    match kind {
        AcquisitionKind::IosBackup => crate::check::open_backup(path, ios),
        AcquisitionKind::IosFs => Ok(generic(ferret_ios::fs::open(path)?)),
        AcquisitionKind::IosSysdiagnose => Ok(generic(ferret_ios::sysdiagnose::open(path)?)),
        k => {
            let (ev, notes) = ferret_android::open_with_notes(path, k, &android.secrets()?)?;
            for n in notes {
                tracing::info!("{n}");
            }
            Ok(generic(ev))
        }
    }
}

fn backup_device(d: &ferret_ios::backup::device::DeviceInfo) -> DeviceInfo {
    let v = serde_json::to_value(d).unwrap_or_default();
    let mut other = std::collections::BTreeMap::new();
    if let Some(map) = v.as_object() {
        for (k, v) in map {
            let s = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => continue,
                other => other.to_string(),
            };
            other.insert(k.clone(), s);
        }
    }
    let model = match (&d.product_type, &d.product_name) {
        (Some(t), Some(m)) => Some(format!("{m} ({t})")),
        (Some(t), None) => Some(t.clone()),
        _ => None,
    };
    DeviceInfo { model, os_version: d.ios_version.as_ref().map(|v| format!("iOS {v}")), other }
}

fn open_backup(path: &Path, ios: &IosSecretArgs) -> anyhow::Result<Opened> {
    let ev = crate::cmd_ios::open_backup(path, ios)?;
    for p in ev.problems() {
        tracing::warn!("{}", ferret_report::terminal_safe(p));
    }
    let device = backup_device(ev.device_info());
    Ok(Opened { evidence: Box::new(ev), device })
}

/// Loads indicators for a run and logs the load summary.
pub fn load_indicators(paths: &[PathBuf], no_default: bool) -> anyhow::Result<(IndicatorIndex, LoadReport)> {
    let src = IndicatorSources {
        paths: paths.to_vec(),
        use_env: !no_default,
        use_cache: !no_default,
        include_builtin: !no_default,
        prepared_dir: ferret_indicators::default_prepared_dir(),
        ..Default::default()
    };
    let (index, report) = ferret_indicators::load(&src).context("cannot load indicators")?;
    for line in report.summary_lines() {
        tracing::info!("{}", ferret_report::terminal_safe(&line));
    }
    Ok((index, report))
}

fn command_line() -> Vec<String> {
    let mut out = Vec::new();
    let mut redact_next = false;
    for a in std::env::args() {
        if redact_next {
            out.push("<redacted>".to_string());
            redact_next = false;
        } else if a == "-p" || a == "--password" || a == "--backup-password" {
            out.push(a);
            redact_next = true;
        } else if a.starts_with("--password=") || a.starts_with("--backup-password=") {
            let key = a.split('=').next().unwrap_or_default().to_string();
            out.push(format!("{key}=<redacted>"));
        } else {
            out.push(a);
        }
    }
    out
}

fn hash_inputs(path: &Path, recorder: &Recorder<'_>) -> Vec<FileHash> {
    let mut out = Vec::new();
    if path.is_file() {
        match ferret_core::evidence::sha256_file(path) {
            Ok(h) => out.push(FileHash { path: path.display().to_string(), sha256: h }),
            Err(e) => tracing::warn!("cannot hash {}: {e}", path.display()),
        }
    }
    if recorder.kind() == AcquisitionKind::IosBackup {
        static ROOTS: &[ferret_core::BackupPath] = &[ferret_core::BackupPath { domain: "", path: "*" }];
        if let Ok(files) = recorder.locate(&ferret_core::Locator { backup: ROOTS, paths: &[] }) {
            for f in files {
                if let Some(h) = recorder.disk_path(&f).and_then(|d| ferret_core::evidence::sha256_file(&d).ok()) {
                    out.push(FileHash { path: f.path, sha256: h });
                }
            }
        }
    }
    for (logical, disk) in recorder.disk_paths() {
        let Some(disk) = disk else { continue };
        match ferret_core::evidence::sha256_file(&disk) {
            Ok(h) => out.push(FileHash { path: logical, sha256: h }),
            Err(e) => tracing::warn!("cannot hash {logical}: {e}"),
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Runs a check command.
pub fn run(
    kind: Option<AcquisitionKind>,
    args: CheckArgs,
    ios: &IosSecretArgs,
    android: &AndroidSecretArgs,
    verbosity: Verbosity,
) -> anyhow::Result<u8> {
    if args.list_modules {
        let kinds: Vec<AcquisitionKind> = match kind {
            Some(k) => vec![k],
            None => match args.path.as_deref().and_then(detect) {
                Some(k) => vec![k],
                None => bail!("--list-modules with `ferret check` needs a recognisable acquisition path"),
            },
        };
        for k in kinds {
            console::out(&format!("Modules of `ferret {}`:", k.command()));
            for m in modules_for(k) {
                let info = m.info();
                console::out(&format!("  {:<34} {}", info.name, info.description));
            }
        }
        return Ok(exit::CLEAN);
    }
    let Some(path) = args.path.clone() else { bail!("no acquisition path given") };
    let started = jiff::Timestamp::now();
    console::init_logging(verbosity, None)?;
    if !path.exists() {
        bail!("{}: no such file or folder", path.display());
    }
    let kind = match kind {
        Some(k) => k,
        None => detect(&path).with_context(|| {
            format!("{}: not a recognised acquisition (iOS backup, filesystem dump, sysdiagnose, Android bugreport, androidqf or .ab backup)", path.display())
        })?,
    };
    tracing::info!("checking {} as `ferret {}`", path.display(), kind.command());
    let opened = open(kind, &path, ios, android).with_context(|| format!("cannot open {}", path.display()))?;
    let (index, load_report) = load_indicators(&args.iocs, args.no_default_iocs)?;
    if index_is_empty(&index) {
        tracing::warn!("no indicator loaded: only heuristics will run (give --iocs or run `ferret iocs update`)");
    }

    let mut modules = modules_for(kind);
    if !args.modules.is_empty() {
        for name in &args.modules {
            if !modules.iter().any(|m| m.info().name == name) {
                bail!("unknown module {name:?} for `ferret {}` (see --list-modules)", kind.command());
            }
        }
        modules.retain(|m| args.modules.iter().any(|n| n == m.info().name));
    }
    // Only now, with the acquisition open and indicators loaded, is anything written.
    let results = match &args.output {
        Some(dir) => {
            let r = ResultsFolder::create(dir)
                .with_context(|| format!("cannot create the results folder {}", dir.display()))?;
            console::attach_command_log(&dir.join("command.log")).context("cannot write command.log")?;
            Some(r)
        }
        None => None,
    };
    let recorder = Recorder::new(opened.evidence.as_ref());
    let options = RunOptions { fast: args.fast };
    let ctx = Context { evidence: &recorder, indicators: &index, options: &options };
    let refs: Vec<&dyn Module> = modules.iter().map(AsRef::as_ref).collect();
    let progress = ModuleProgress::new(refs.len(), verbosity);
    let reports = match &results {
        Some(r) => ferret_core::run_modules(&refs, &ctx, r, &progress, args.threads),
        None => ferret_core::run_modules(&refs, &ctx, &NullSinks, &progress, args.threads),
    };
    progress.finish();
    let nothing_read = reports.iter().all(|r| !matches!(r.status, ModuleStatus::Completed { .. }));
    let failed = reports.iter().filter(|r| matches!(r.status, ModuleStatus::Failed { .. })).count();

    let summary = match &results {
        Some(r) => {
            let run = RunInfo {
                ferret_version: env!("CARGO_PKG_VERSION").to_string(),
                command_line: command_line(),
                started_at: Some(started),
                finished_at: None,
                target: TargetInfo {
                    path: std::path::absolute(&path).unwrap_or(path.clone()).display().to_string(),
                    kind: kind_name(kind),
                    hashes: hash_inputs(&path, &recorder),
                },
                device: opened.device.clone(),
                indicators: serde_json::to_value(&load_report).unwrap_or_default(),
                recheck_of: None,
            };
            r.finish(reports, &run).context("cannot write the results")?
        }
        None => Summary::from_reports(&reports),
    };
    print_summary(&summary, args.output.as_deref());
    if failed > 0 {
        tracing::warn!("{failed} module(s) failed; see info.json");
    }
    if nothing_read && failed > 0 {
        console::error("nothing could be read from this acquisition");
        return Ok(exit::ERROR);
    }
    Ok(summary.verdict.exit_code())
}

fn index_is_empty(index: &IndicatorIndex) -> bool {
    ferret_core::Indicators::is_empty(index)
}

fn print_summary(summary: &Summary, output: Option<&Path>) {
    for line in summary.console_lines() {
        console::out(&line);
    }
    match output {
        Some(dir) => {
            let report = dir.join("report.html");
            console::out(&format!("Results: {}", dir.display()));
            if report.exists() {
                console::out(&format!("Report:  {}", report.display()));
            }
        }
        None => console::out("No results folder given (-o DIR): nothing was written."),
    }
}

/// `ferret check-iocs`.
pub fn check_iocs(results: &Path, iocs: &[PathBuf], no_default: bool) -> anyhow::Result<u8> {
    let (index, load_report) = load_indicators(iocs, no_default)?;
    let modules = all_modules();
    let run = RunInfo {
        ferret_version: env!("CARGO_PKG_VERSION").to_string(),
        command_line: command_line(),
        started_at: Some(jiff::Timestamp::now()),
        indicators: serde_json::to_value(&load_report).unwrap_or_default(),
        ..Default::default()
    };
    let (out, summary) = crate::cmd_report::check_iocs_summary(results, &modules, &index, &run)?;
    print_summary(&summary, Some(&out));
    Ok(summary.verdict.exit_code())
}
