//! `processes` (bugreport: `PROCESSES AND THREADS` / `PROCESSES` sections) and `aqf_processes`
//! (androidqf `ps.txt`, or `processes.json`): running processes.
//!
//! Checks: the name (before any `:` suffix) matching an app indicator, else the name matching a
//! process indicator → CRITICAL. `gatekeeperd` is skipped (a common false positive in MVT).

use ferret_core::toolkit::json_array_first;
use std::sync::Arc;

use ferret_core::{
    ArtifactModule, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};

use crate::dumpstate::DumpstateCache;
use crate::parsers::ps::{Process, parse_ps};

fn check_proc(r: &Process, ind: &dyn Indicators, f: &mut Vec<Finding>) {
    if r.proc_name == "gatekeeperd" {
        return;
    }
    let app = r.proc_name.split(':').next().unwrap_or(&r.proc_name);
    if let Some(m) = ind.check_app_id(app) {
        f.push(ioc_finding(Level::Critical, "Running process of package", &r.proc_name, None, m));
    } else if let Some(m) = ind.check_process(&r.proc_name) {
        f.push(ioc_finding(Level::Critical, "Running process", &r.proc_name, None, m));
    }
}

/// Bugreport form.
#[derive(Debug, Clone)]
pub struct Processes(pub Arc<DumpstateCache>);

impl ArtifactModule for Processes {
    type Record = Process;
    const NAME: &'static str = "processes";
    const DESCRIPTION: &'static str = "Running processes (bugreport)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some(ds) = self.0.get(ctx)? else { return Ok(Outcome::NotFound) };
        let Some(text) = ds.section("PROCESSES AND THREADS").or_else(|| ds.section("PROCESSES")) else {
            return Ok(Outcome::NotFound);
        };
        for p in parse_ps(text) {
            out.record(p)?;
        }
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &Process, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        check_proc(r, ind, f);
    }
}

/// androidqf form.
#[derive(Debug, Clone, Copy)]
pub struct AqfProcesses;

static PS: &[&str] = &["ps.txt", "*/ps.txt"];
static JSON: &[&str] = &["processes.json", "*/processes.json"];

#[derive(serde::Deserialize)]
struct JsonProc {
    #[serde(default)]
    pid: Option<u32>,
    #[serde(default)]
    ppid: Option<u32>,
    #[serde(default, alias = "process_name", alias = "cmdline")]
    name: Option<String>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    label: Option<String>,
}

impl ArtifactModule for AqfProcesses {
    type Record = Process;
    const NAME: &'static str = "aqf_processes";
    const DESCRIPTION: &'static str = "Running processes (androidqf ps.txt / processes.json)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        if let Some(file) = ctx.evidence.locate(&Locator { backup: &[], paths: PS })?.into_iter().next() {
            let bytes = ctx.evidence.read(&file, 256 << 20)?;
            for p in parse_ps(&String::from_utf8_lossy(&bytes)) {
                out.record(p)?;
            }
            return Ok(Outcome::Completed);
        }
        let Some((file, list)) = json_array_first(ctx, &Locator { backup: &[], paths: JSON }, 256 << 20)? else {
            return Ok(Outcome::NotFound);
        };
        for (i, v) in list.into_iter().enumerate() {
            match serde_json::from_value::<JsonProc>(v) {
                Ok(JsonProc { pid: Some(pid), ppid, name: Some(name), user, label }) => out.record(Process {
                    label,
                    user: user.unwrap_or_default(),
                    pid,
                    ppid,
                    proc_name: name.trim_start_matches('[').trim_end_matches(']').to_string(),
                })?,
                _ => out.warn(format!("{}: entry {i} has no pid/name; skipped", file.path)),
            }
        }
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &Process, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        check_proc(r, ind, f);
    }
}
