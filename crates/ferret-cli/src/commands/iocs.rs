//! `ferret iocs update | list | check`: the indicator cache and indicator-file validation.
//!
//! Exit codes: 0 = success; 2 = error (index unreachable, a set failed to update, or a checked
//! file/pattern was rejected: `iocs check` is a validator, so any rejection is a failure).
//! `list` loads exactly what a check would load without `--iocs` (built-in sets, the cache,
//! `FERRET_IOCS` / `MVT_STIX2`) and says where each set comes from.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use ferret_indicators::{IndicatorIndex, IndicatorSources, LoadReport, UpdateOptions};
use ferret_report::ExitStatus;
use serde::Serialize;

use crate::cli::{IocArgs, IocsCommand};
use crate::console::out;

fn cache_dir_or_default(dir: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    match dir.or_else(ferret_indicators::default_cache_dir) {
        Some(d) => Ok(d),
        None => Err(ferret_indicators::UpdateError::NoDataDir.into()),
    }
}

fn fmt_time(unix: i64) -> String {
    jiff::Timestamp::from_second(unix)
        .map_or_else(|_| unix.to_string(), |t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
}

/// One set a check would load, for `iocs list`.
#[derive(Debug, Serialize)]
struct ListedSet {
    /// `built-in`, `cache` or `environment`.
    origin: &'static str,
    name: String,
    path: String,
    total: usize,
    counts: std::collections::BTreeMap<String, usize>,
    sha256: String,
    /// Source URL and download time, for cached sets.
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fetched: Option<String>,
}

fn list(cache_dir: Option<PathBuf>, json: bool) -> anyhow::Result<ExitStatus> {
    let dir = cache_dir_or_default(cache_dir)?;
    let cached = ferret_indicators::list_cache(&dir).unwrap_or_default();
    let src = IndicatorSources {
        use_env: true,
        use_cache: true,
        include_builtin: true,
        cache_dir: Some(dir.clone()),
        ..Default::default()
    };
    let (_, report) = ferret_indicators::load(&src).context("cannot load the default indicator sets")?;
    let canon_dir = std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
    let in_cache = |p: &str| std::fs::canonicalize(Path::new(p)).is_ok_and(|c| c.starts_with(&canon_dir));
    let sets: Vec<ListedSet> = report
        .files
        .iter()
        .map(|f| {
            let origin = if f.path.starts_with("builtin:") {
                "built-in"
            } else if in_cache(&f.path) {
                "cache"
            } else {
                "environment"
            };
            let c = cached.iter().find(|c| c.sha256 == f.sha256 && origin == "cache");
            ListedSet {
                origin,
                name: f.set_name.clone(),
                path: f.path.clone(),
                total: f.total,
                counts: f.counts.clone(),
                sha256: f.sha256.clone(),
                source: c.map(|c| c.url.clone()),
                fetched: c.map(|c| fmt_time(c.downloaded_at)),
            }
        })
        .collect();
    if json {
        let v = serde_json::json!({"sets": sets, "rejected_files": report.rejected_files, "warnings": report.warnings, "total": report.total});
        out(&serde_json::to_string_pretty(&v)?);
    } else {
        out(&format!("A check without --iocs loads {} indicators from {} set(s):", report.total, sets.len()));
        for s in &sets {
            let counts: Vec<String> = s.counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
            out(&format!("  [{}] {}  ({} indicators: {})", s.origin, s.name, s.total, counts.join(", ")));
            out(&format!("    file    {}", s.path));
            if let (Some(src), Some(t)) = (&s.source, &s.fetched) {
                out(&format!("    source  {src}, fetched {t}"));
            }
            out(&format!("    sha256  {}", s.sha256));
        }
        for f in &report.rejected_files {
            out(&format!("  NOT LOADED {}: {}", f.path, f.reason));
        }
        out(&ferret_indicators::cache_status(&dir).summary());
        for w in &report.warnings {
            out(&format!("  warning: {w}"));
        }
    }
    Ok(if report.rejected_files.is_empty() { ExitStatus::Clean } else { ExitStatus::Error })
}

/// Runs one `iocs` subcommand.
pub fn run(cmd: IocsCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        IocsCommand::Update { index, cache_dir, timeout, json } => {
            let dir = cache_dir_or_default(cache_dir)?;
            let opts = UpdateOptions { timeout: Duration::from_secs(timeout.max(1)), ..Default::default() };
            let report = ferret_indicators::update(index.as_deref(), &dir, &opts)
                .with_context(|| format!("updating the indicator cache in {}", dir.display()))?;
            // prepare the large sets now, so the next check does not parse them
            if let Some(prepared_dir) = ferret_indicators::default_prepared_dir() {
                let src = IndicatorSources {
                    use_cache: true,
                    cache_dir: Some(dir.clone()),
                    prepared_dir: Some(prepared_dir),
                    ..Default::default()
                };
                if let Err(e) = ferret_indicators::load(&src) {
                    tracing::debug!("preparing the cached sets: {e}");
                }
            }
            if json {
                out(&serde_json::to_string_pretty(&report)?);
            } else {
                for line in report.summary_lines() {
                    out(&line);
                }
            }
            Ok(if report.failures() > 0 { ExitStatus::Error } else { ExitStatus::Clean })
        }
        IocsCommand::List { cache_dir, json } => list(cache_dir, json),
        IocsCommand::Check { files, json } => {
            let (_, report) = ferret_indicators::load(&IndicatorSources { paths: files, ..Default::default() })?;
            if json {
                out(&serde_json::to_string_pretty(&report)?);
            } else {
                for line in report.summary_lines() {
                    out(&line);
                }
                if report.rejected_patterns.len() > 20 {
                    out("(use --json for every rejected pattern)");
                }
            }
            let clean = report.rejected_files.is_empty() && report.rejected_patterns.is_empty();
            Ok(if clean { ExitStatus::Clean } else { ExitStatus::Error })
        }
    }
}

impl IocArgs {
    /// Loads the indicators of a run and logs the load summary (rejected files as warnings).
    pub fn load(&self) -> anyhow::Result<(IndicatorIndex, LoadReport)> {
        let default = !self.no_default_iocs;
        let src = IndicatorSources {
            paths: self.iocs.clone(),
            use_env: default,
            use_cache: default,
            include_builtin: default,
            prepared_dir: ferret_indicators::default_prepared_dir(),
            ..Default::default()
        };
        let (index, report) = ferret_indicators::load(&src).context("cannot load indicators")?;
        for line in report.summary_lines() {
            tracing::info!("{}", ferret_report::terminal_safe(&line));
        }
        for f in &report.rejected_files {
            tracing::warn!("indicator file {} not loaded: {}", ferret_report::terminal_safe(&f.path), f.reason);
        }
        Ok((index, report))
    }
}
