//! `check-iocs`: re-check stored results against (newer) indicators, without the acquisition.
//!
//! # What is re-checked
//! For each module, `<module>.json` is streamed record by record ([`crate::for_each_record`])
//! into [`Module::recheck`], which runs the module's per-record checks (indicator checks and
//! per-record heuristics) exactly as during extraction. Cross-record heuristics (sequence gaps,
//! redirect timing...) need the whole artifact and cannot re-run; since they never depend on
//! indicators, their alerts are **carried over** from the original `alerts.json`: every original
//! alert without a matched indicator that the re-check did not reproduce is kept. The result is
//! what a full run with the new indicators finds, except indicator hits raised outside the
//! per-record `check()` (none in ferret's modules by design). A module whose records cannot be
//! re-checked (`recheck` returns `false`) keeps only its heuristic alerts and says so in its
//! warnings.
//!
//! # Custody window
//! The stored records keep their times, so `--custody` applies to a re-check exactly as to a
//! check ([`ferret_core::custody`]); without it, the window of the re-checked run (its
//! `info.json`) is used. Custody alerts of the original run are never carried over.
//!
//! # What is checked, and where the results go
//! Only the modules the original run reported (its `info.json`), in its order; a module whose
//! `<module>.json` is absent keeps the original status (read with no record, not in the
//! acquisition, or failed with its error), so the re-check's verdict is as complete as the
//! original check was, never more. The acquisition problems of the original run are kept too.
//!
//! Into a results folder of its own, given by the caller (never inside the re-checked folder):
//! `alerts.json`, `<module>_detected.json`, `alerts_timeline.csv`, `info.json` (with
//! `recheck_of` naming the re-checked folder and the new indicator report) and `report.html`,
//! whose timeline comes from the original `timeline.csv`. The original files are never
//! touched. MVT only logs re-check alerts; ferret writes them.

use std::collections::HashMap;
use std::path::Path;

use ferret_core::observe::Observing;
use ferret_core::{Alert, Indicators, Module, ModuleReport, ModuleStatus, Output, PostRun};

use crate::error::ReportError;
use crate::folder::ResultsFolder;
use crate::info::{InfoFile, RunInfo, Summary};
use crate::records::NullRecords;
use crate::timeline::NullTimeline;

/// Re-checks the results folder `results` with `indicators` (see the module docs) and writes
/// the new alerts into `out` (created by the caller with [`ResultsFolder::create_with`]).
/// `run` describes this re-check (command line, indicator report, times); its target, device
/// and acquisition problems are taken from the original `info.json`. Returns the summary.
pub fn check_iocs(
    results: &Path,
    out: ResultsFolder,
    modules: &[&dyn Module],
    indicators: &dyn Indicators,
    run: &RunInfo,
) -> Result<Summary, ReportError> {
    check_iocs_with(results, out, modules, &[], &[], indicators, run)
}

/// [`check_iocs`], with the post-run passes of the acquisition type ([`PostRun`], e.g. the
/// process census): every pass of `posts` runs over the re-checked modules (their records give
/// the same sightings as the acquisition did), after all of them: in the original run's place
/// when it reported the pass, else after its modules. The original run's reports of the passes
/// named in `dropped` (turned off for this re-check) are left out, with their alerts.
pub fn check_iocs_with(
    results: &Path,
    out: ResultsFolder,
    modules: &[&dyn Module],
    posts: &[&dyn PostRun],
    dropped: &[&str],
    indicators: &dyn Indicators,
    run: &RunInfo,
) -> Result<Summary, ReportError> {
    if !results.exists() {
        return Err(ReportError::Format { path: results.to_path_buf(), reason: "no such results folder".into() });
    }
    if !results.is_dir() {
        return Err(ReportError::NotAFolder { path: results.to_path_buf() });
    }
    let info_path = results.join("info.json");
    if !info_path.is_file() {
        return Err(ReportError::Format {
            path: results.to_path_buf(),
            reason: "not a ferret results folder (no info.json): give the folder a `ferret check ... -o DIR` wrote"
                .into(),
        });
    }
    let original: InfoFile = crate::html::read_json(&info_path)?;
    let alerts_path = results.join("alerts.json");
    let old_alerts: Vec<Alert> = if alerts_path.is_file() { crate::html::read_json(&alerts_path)? } else { Vec::new() };

    let mut run = run.clone();
    if run.custody.is_none() {
        run.custody = original.run.custody;
    }
    // Custody alerts depend on the window of the run that raised them: never carried over,
    // raised again from the stored records when this re-check has a window.
    let old_alerts: Vec<Alert> =
        old_alerts.into_iter().filter(|a| !ferret_core::custody::is_custody_alert(a)).collect();
    let mut reports = Vec::with_capacity(original.modules.len());
    let mut post_at = Vec::new();
    for before in &original.modules {
        if dropped.contains(&before.module.as_str()) {
            continue;
        }
        if let Some(p) = posts.iter().find(|p| p.info().name == before.module) {
            post_at.push((reports.len(), *p));
            reports.push(before.clone());
            continue;
        }
        match modules.iter().find(|m| m.info().name == before.module) {
            Some(m) => reports.push(recheck_module(results, *m, indicators, &old_alerts, before, run.custody)?),
            None => reports.push(ModuleReport {
                warnings: vec!["this version of ferret has no such module: kept as it was".into()],
                ..before.clone()
            }),
        }
    }

    for p in posts {
        if !post_at.iter().any(|(_, q)| q.info().name == p.info().name) {
            post_at.push((reports.len(), *p));
            reports.push(ModuleReport {
                module: p.info().name.to_string(),
                status: ModuleStatus::Completed { records: 0 },
                warnings: Vec::new(),
                alerts: Vec::new(),
                elapsed_ms: 0,
                sightings: Default::default(),
            });
        }
    }
    for (i, p) in post_at {
        let others: Vec<ModuleReport> =
            reports.iter().filter(|r| !posts.iter().any(|q| q.info().name == r.module)).cloned().collect();
        let again = ferret_core::run_post(p, &others, &crate::folder::NullSinks);
        if let Some(slot) = reports.get_mut(i) {
            *slot = again;
        }
    }
    run.target = original.run.target.clone();
    run.device = original.run.device.clone();
    run.problems = original.run.problems.clone();
    run.recheck_of = Some(std::path::absolute(results).unwrap_or_else(|_| results.to_path_buf()).display().to_string());
    let folder = out.with_report_timeline_source(results.join("timeline.csv"));
    folder.finish(reports, &run)
}

fn alert_key(a: &Alert) -> String {
    serde_json::to_string(a).unwrap_or_default()
}

fn recheck_module(
    results: &Path,
    module: &dyn Module,
    indicators: &dyn Indicators,
    old_alerts: &[Alert],
    before: &ModuleReport,
    custody: Option<ferret_core::Custody>,
) -> Result<ModuleReport, ReportError> {
    let info = module.info();
    let path = results.join(format!("{}.json", info.name));
    if !path.is_file() {
        // nothing stored to re-check: the original outcome stands (with its heuristic alerts)
        let alerts = old_alerts.iter().filter(|a| a.module == info.name && a.matched_indicator.is_none()).cloned();
        return Ok(ModuleReport { alerts: alerts.collect(), ..before.clone() });
    }
    let mut sink = NullRecords;
    let mut tl = NullTimeline;
    // the values the module checks are noted as a check notes them, for the post-run passes
    let observing = Observing::sightings_only(info.name, indicators);
    let indicators: &dyn Indicators = &observing;
    let mut out = Output::new(info.name, &mut sink, &mut tl).with_observer(&observing).with_custody(custody);
    let mut supported = true;
    let mut n = 0u64;
    let walked = crate::records::for_each_record(&path, &mut |rec| {
        n += 1;
        match module.recheck(rec, indicators, &mut out) {
            Ok(true) => Ok(()),
            Ok(false) => {
                supported = false;
                Err(ReportError::Format { path: path.clone(), reason: "cannot be re-checked".into() })
            }
            Err(e) => {
                out.warn(format!("record {n}: {e}"));
                Ok(())
            }
        }
    });
    let (mut alerts, mut warnings, _) = out.into_parts();
    let status = match walked {
        Ok(records) => ModuleStatus::Completed { records },
        Err(_) if !supported => {
            warnings.push(
                "this module's records cannot be re-checked; only its heuristic alerts from the original run are kept"
                    .into(),
            );
            ModuleStatus::Completed { records: 0 }
        }
        Err(e) => ModuleStatus::Failed { error: e.to_string(), records: n },
    };
    // Carry over indicator-independent alerts the re-check could not reproduce.
    let mut reproduced: HashMap<String, usize> = HashMap::new();
    for a in &alerts {
        *reproduced.entry(alert_key(a)).or_default() += 1;
    }
    for a in old_alerts.iter().filter(|a| a.module == info.name && a.matched_indicator.is_none()) {
        match reproduced.get_mut(&alert_key(a)) {
            Some(c) if *c > 0 => *c -= 1,
            _ => alerts.push(a.clone()),
        }
    }

    Ok(ModuleReport {
        module: info.name.to_string(),
        status,
        warnings,
        alerts,
        elapsed_ms: 0,
        sightings: observing.take_sightings(),
    })
}
