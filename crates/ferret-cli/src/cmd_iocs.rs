//! `ferret iocs update | list | check`: the indicator cache and indicator-file validation.
//!
//! Exit codes: 0 = success; 2 = error (index unreachable, a set failed to update, or a checked
//! file/pattern was rejected: `iocs check` is a validator, so any rejection is a failure).

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use ferret_indicators::{IndicatorSources, UpdateOptions};

/// `ferret iocs ...` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum IocsCommand {
    /// Download the indicator index and every set it lists into the local cache.
    ///
    /// The index uses the mvt-indicators `indicators.yaml` format. The cache is replaced
    /// atomically; a set that fails to download keeps its previous copy.
    #[command(
        after_help = "Examples:\n  ferret iocs update\n  ferret iocs update --index https://lab.example/indicators.yaml"
    )]
    Update {
        /// Index URL (default: the public mvt-indicators index).
        #[arg(long, value_name = "URL")]
        index: Option<String>,
        /// Cache folder (default: $FERRET_DATA_DIR/iocs, $XDG_DATA_HOME/ferret/iocs or
        /// ~/.local/share/ferret/iocs).
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
        /// Timeout of each download, in seconds.
        #[arg(long, default_value_t = 15, value_name = "SECONDS")]
        timeout: u64,
        /// Print the update report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the indicator sets in the cache: name, source, date, SHA-256, counts per type.
    #[command(after_help = "Example:\n  ferret iocs list")]
    List {
        /// Cache folder (default as for `update`).
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Validate indicator files: what loads, what is rejected and why.
    #[command(after_help = "Examples:\n  ferret iocs check pegasus.stix2\n  ferret iocs check ./my-iocs/ --json")]
    Check {
        /// STIX 2.1 bundles, ioc.yaml files, plain lists, or folders of them.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Print the load report as JSON.
        #[arg(long)]
        json: bool,
    },
}

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

/// Runs one `iocs` subcommand; returns the process exit code.
pub fn run(cmd: IocsCommand) -> anyhow::Result<u8> {
    let mut out = std::io::stdout().lock();
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
                writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
            } else {
                for line in report.summary_lines() {
                    writeln!(out, "{line}")?;
                }
            }
            Ok(if report.failures() > 0 { 2 } else { 0 })
        }
        IocsCommand::List { cache_dir, json } => {
            let dir = cache_dir_or_default(cache_dir)?;
            let sets = ferret_indicators::list_cache(&dir)?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&sets)?)?;
                return Ok(0);
            }
            writeln!(out, "{}", ferret_indicators::cache_status(&dir).summary())?;
            for s in &sets {
                let counts: Vec<String> = s.counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
                writeln!(out, "  {}  ({} indicators: {})", s.name, s.total, counts.join(", "))?;
                writeln!(out, "    source  {}", s.url)?;
                writeln!(out, "    fetched {}   sha256 {}", fmt_time(s.downloaded_at), s.sha256)?;
            }
            Ok(0)
        }
        IocsCommand::Check { files, json } => {
            let (_, report) = ferret_indicators::load(&IndicatorSources { paths: files, ..Default::default() })?;
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
            } else {
                for line in report.summary_lines() {
                    writeln!(out, "{line}")?;
                }
                if report.rejected_patterns.len() > 20 {
                    writeln!(out, "(use --json for every rejected pattern)")?;
                }
            }
            let clean = report.rejected_files.is_empty() && report.rejected_patterns.is_empty();
            Ok(if clean { 0 } else { 2 })
        }
    }
}
