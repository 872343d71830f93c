//! Campaign mode: `ferret correlate`, `ferret hunt`, `ferret export` (see [`ferret_campaign`]).
//! They read result folders only, never acquisitions.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use ferret_campaign::case::ModuleTable;
use ferret_campaign::{Case, Params, export, hunt as hunting};
use ferret_core::{Module, NoIndicators};
use ferret_report::ExitStatus;

use crate::cli::{CorrelateArgs, ExportArgs, ExportFormat, HuntArgs, IocArgs};
use crate::console::{self, Verbosity};
use crate::{acquisition, output};

fn cases(paths: &[PathBuf]) -> anyhow::Result<Vec<Case>> {
    let cases = ferret_campaign::discover(paths)?;
    if cases.is_empty() {
        bail!(
            "no results folder found in {}",
            paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        );
    }
    Ok(cases)
}

/// The module table over every acquisition type's modules (owned by the caller, from
/// [`acquisition::modules_by_kind`]).
fn table(owned: &[(String, Vec<Box<dyn Module>>)]) -> ModuleTable<'_> {
    let mut t = ModuleTable::new();
    for (kind, ms) in owned {
        t.add(kind, ms.iter().map(AsRef::as_ref).collect());
    }
    t
}

fn refuse_inside_cases(out: &Path, what: &str, cases: &[Case]) -> anyhow::Result<()> {
    let dirs: Vec<&Path> = cases.iter().map(|c| c.dir.as_path()).collect();
    output::refuse_inside_inputs(out, what, &dirs)
}

/// `ferret correlate`.
pub fn correlate(args: CorrelateArgs) -> anyhow::Result<ExitStatus> {
    if !(0.0..=1.0).contains(&args.max_share) || !args.window_hours.is_finite() || args.window_hours <= 0.0 {
        bail!("--max-share must be between 0 and 1 and --window-hours above 0");
    }
    let cases = cases(&args.results)?;
    refuse_inside_cases(&args.output, "the correlation's output folder", &cases)?;
    let owned = acquisition::modules_by_kind();
    let modules = table(&owned);
    let loaded;
    let indicators: &dyn ferret_core::Indicators = if args.iocs.is_empty() {
        &NoIndicators
    } else {
        loaded = IocArgs { iocs: args.iocs.clone(), no_default_iocs: true }.load()?.0;
        &loaded
    };
    let params = Params { max_share: args.max_share, window_hours: args.window_hours, ..Params::default() };
    let (c, errors) = ferret_campaign::correlate_cases(&cases, &modules, indicators, params, args.threads);
    for e in &errors {
        console::error(&format!("left out: {e}"));
    }
    ferret_campaign::write_outputs(&c, &args.output, args.share)
        .with_context(|| format!("cannot write the correlation into {}", args.output.display()))?;
    if c.device_count < 2 {
        tracing::warn!("only {} device could be read: correlation needs at least two devices' results", c.device_count);
    }
    let leads: Vec<&ferret_campaign::correlate::Lead> = c.leads.iter().filter(|l| l.lead).collect();
    console::out(&format!(
        "{} devices correlated ({} left out), {} shared values ranked, {} leads in {} group(s).",
        c.device_count,
        errors.len(),
        c.leads.len(),
        leads.len(),
        c.clusters.len()
    ));
    for cl in &c.clusters {
        console::out(&format!("  {}: {} devices: {}", cl.id, cl.devices.len(), cl.devices.join(", ")));
        for &rank in cl.leads.iter().take(5) {
            if let Some(l) = c.leads.get(rank - 1) {
                console::out(&format!(
                    "    #{rank} {} {} (score {:.2}: {})",
                    l.kind.as_str(),
                    ferret_report::terminal_safe(&l.value),
                    l.score,
                    l.why
                ));
            }
        }
    }
    console::out(&format!("Results: {}", args.output.display()));
    if !errors.is_empty() && c.device_count == 0 {
        return Ok(ExitStatus::Error);
    }
    Ok(if leads.is_empty() { ExitStatus::Clean } else { ExitStatus::Alerts })
}

/// `ferret hunt`.
pub fn hunt(args: HuntArgs, verbosity: Verbosity) -> anyhow::Result<ExitStatus> {
    console::init_logging(verbosity)?;
    let cases = cases(&args.cases)?;
    if let Some(out) = &args.output {
        // the re-checks it writes are result folders: inside CASES they would become cases
        let roots: Vec<&Path> = args.cases.iter().map(PathBuf::as_path).collect();
        output::refuse_inside_inputs(out, "the hunt's output folder", &roots)?;
        refuse_inside_cases(out, "the hunt's output folder", &cases)?;
    }
    let ioc_args = IocArgs { iocs: args.iocs.clone(), no_default_iocs: !args.with_default_iocs };
    let (index, load_report) = ioc_args.load()?;
    // a hunt with an indicator file that did not load would answer "no case matches" for
    // indicators it never had
    if let Some(f) = load_report.rejected_files.first() {
        bail!("indicator file {} not loaded: {}", ferret_report::terminal_safe(&f.path), f.reason);
    }
    if load_report.total == 0 {
        bail!(
            "no indicator loaded from {}: nothing to hunt for",
            args.iocs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        );
    }
    let owned = acquisition::modules_by_kind();
    let modules = table(&owned);
    // the index lives in ferret's cache, keyed by the cases' folders: nothing is written among
    // the cases (they are this command's input)
    let index_path = match &args.index {
        Some(p) => Some(p.clone()),
        None => ferret_indicators::cache_dir("hunt").and_then(|dir| {
            std::fs::create_dir_all(&dir).ok()?;
            Some(hunting::index_file_in(&dir, &cases))
        }),
    };
    if let Some(p) = &index_path {
        let roots: Vec<&Path> = args.cases.iter().map(PathBuf::as_path).collect();
        output::refuse_inside_inputs(p, "the hunt index", &roots)?;
    }
    let (idx, state) = hunting::open(&cases, index_path.as_deref(), &modules)?;
    tracing::info!(
        "index of {} cases, {} distinct values: {}",
        idx.cases.len(),
        idx.values.len(),
        match state {
            hunting::IndexState::Loaded => "up to date, read",
            hunting::IndexState::Built => "built and saved",
            hunting::IndexState::InMemory => "built in memory",
        }
    );
    let hits = hunting::hunt(&idx, &index, args.threads);
    console::out(&format!(
        "{} of {} cases match the indicators ({} distinct values checked).",
        hits.len(),
        idx.cases.len(),
        idx.values.len()
    ));
    for h in &hits {
        let what: Vec<String> = h
            .matches
            .iter()
            .take(3)
            .map(|m| format!("{} {} ({})", m.kind.as_str(), ferret_report::terminal_safe(&m.value), m.indicator.name))
            .collect();
        let more = if h.matches.len() > 3 { format!(" and {} more", h.matches.len() - 3) } else { String::new() };
        console::out(&format!("  {}: {}{more}", h.id, what.join(", ")));
    }
    if let Some(out) = &args.output {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        let report = serde_json::json!({
            "cases": idx.cases.len(),
            "values_checked": idx.values.len(),
            "indicators": serde_json::to_value(&load_report).unwrap_or_default(),
            "matching": hits,
        });
        std::fs::write(out.join("hunt.json"), serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("cannot write {}", out.join("hunt.json").display()))?;
        for h in &hits {
            let dir = out.join(export::part_name(&h.id));
            let folder = output::results_folder(&dir, &[h.dir.as_path()], false, None)?;
            super::check_iocs::recheck(&h.dir, folder, &index, &load_report, None, true)?;
        }
        console::out(&format!("Results: {} (hunt.json; a re-check per matching case)", out.display()));
    }
    Ok(if hits.is_empty() { ExitStatus::Clean } else { ExitStatus::Alerts })
}

/// `ferret export`.
pub fn export(args: ExportArgs) -> anyhow::Result<ExitStatus> {
    let cases = cases(&args.cases)?;
    refuse_inside_cases(&args.output, "the export folder", &cases)?;
    let owned = acquisition::modules_by_kind();
    let modules = table(&owned);
    let format = match args.format {
        ExportFormat::Jsonl => export::Format::Jsonl,
        ExportFormat::Csv => export::Format::Csv,
        ExportFormat::Parquet => export::Format::Parquet,
    };
    let s = export::export(&cases, &modules, &args.output, format)?;
    console::out(&format!(
        "{} cases exported: {} observables, {} alerts ({} cases' observables rebuilt from their module files). Results: {}",
        s.cases,
        s.observables,
        s.alerts,
        s.rebuilt,
        args.output.display()
    ));
    Ok(ExitStatus::Clean)
}
