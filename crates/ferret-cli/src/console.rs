//! Console output: log lines, progress bars (TTY only), `command.log`, the final summary.
//!
//! Logs go to stderr (plain lines when stderr is not a terminal; colour only on a terminal and
//! when `NO_COLOR` is unset); results summaries go to stdout. `command.log` in the results folder
//! gets every log line at debug level.
#![allow(clippy::print_stderr, clippy::print_stdout)]

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Mutex;

use ferret_core::{ModuleReport, ModuleStatus, Progress};
use indicatif::{ProgressBar, ProgressStyle};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, fmt};

/// How much to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// Errors and the summary only.
    Quiet,
    /// Info lines.
    Normal,
    /// Debug lines.
    Debug,
    /// Trace lines.
    Trace,
}

impl Verbosity {
    /// From `-v` count and `-q`.
    pub fn from_flags(verbose: u8, quiet: bool) -> Self {
        match (quiet, verbose) {
            (true, _) => Self::Quiet,
            (false, 0) => Self::Normal,
            (false, 1) => Self::Debug,
            _ => Self::Trace,
        }
    }

    fn level(self) -> LevelFilter {
        match self {
            Self::Quiet => LevelFilter::ERROR,
            Self::Normal => LevelFilter::INFO,
            Self::Debug => LevelFilter::DEBUG,
            Self::Trace => LevelFilter::TRACE,
        }
    }
}

/// Whether colour may be used on stderr.
pub fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// `command.log`: log lines are buffered in memory (bounded) until the results folder exists,
/// then written to it, so a run that fails before writing results leaves nothing on disk.
#[derive(Default)]
enum LogState {
    #[default]
    Buffer,
    File(std::fs::File),
}

#[derive(Default)]
struct CommandLog {
    state: LogState,
    buffer: Vec<u8>,
}

static COMMAND_LOG: Mutex<CommandLog> = Mutex::new(CommandLog { state: LogState::Buffer, buffer: Vec::new() });
const MAX_EARLY_LOG: usize = 4 << 20;

struct CommandLogWriter;

impl std::io::Write for CommandLogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut log = COMMAND_LOG.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let log = &mut *log;
        match &mut log.state {
            LogState::File(f) => f.write_all(buf)?,
            LogState::Buffer => {
                if log.buffer.len() + buf.len() <= MAX_EARLY_LOG {
                    log.buffer.extend_from_slice(buf);
                }
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Starts writing `command.log` at `path` (with the lines logged so far).
pub fn attach_command_log(path: &Path) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::File::create(path)?;
    let mut log = COMMAND_LOG.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    f.write_all(&log.buffer)?;
    log.buffer = Vec::new();
    log.state = LogState::File(f);
    Ok(())
}

/// The lines logged so far and not yet written to a `command.log` (a batch gives each of its
/// acquisitions' logs the lines of its common start, see [`restart_command_log`]).
pub fn early_log() -> Vec<u8> {
    COMMAND_LOG.lock().unwrap_or_else(std::sync::PoisonError::into_inner).buffer.clone()
}

/// Stops writing to the current `command.log` and buffers again, starting with `preamble`:
/// the next [`attach_command_log`] begins a new file (the next acquisition of a batch).
pub fn restart_command_log(preamble: &[u8]) {
    let mut log = COMMAND_LOG.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    log.state = LogState::Buffer;
    log.buffer = preamble.to_vec();
}

/// Sets up logging to stderr (and to `command.log` once [`attach_command_log`] is called).
pub fn init_logging(verbosity: Verbosity) -> anyhow::Result<()> {
    let stderr_layer = fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(color())
        .with_target(false)
        .without_time()
        .with_filter(verbosity.level());
    let file_layer = fmt::layer().with_writer(|| CommandLogWriter).with_ansi(false).with_filter(LevelFilter::DEBUG);
    // A second initialisation (tests calling run twice) is harmless: keep the first.
    let _ = tracing_subscriber::registry().with(stderr_layer).with(file_layer).try_init();
    Ok(())
}

/// Prints an error line on stderr (a closed stderr is ignored).
pub fn error(msg: &str) {
    use std::io::Write;
    let mut e = std::io::stderr().lock();
    let _ = if color() { writeln!(e, "\x1b[1;31merror:\x1b[0m {msg}") } else { writeln!(e, "error: {msg}") };
}

/// Prints a summary/result line on stdout. A closed stdout (`ferret ... | head -1`) is not an
/// error: the run goes on quietly and still ends with the exit status of its verdict.
pub fn out(line: &str) {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    let _ = writeln!(o, "{line}");
}

/// Writes bytes on stdout, ignoring a closed stdout like [`out`].
pub fn out_bytes(bytes: &[u8]) {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(bytes).and_then(|()| o.flush());
}

/// Module progress: a bar on a terminal, log lines otherwise.
pub struct ModuleProgress {
    bar: Option<ProgressBar>,
}

impl ModuleProgress {
    /// A progress reporter for `total` modules.
    pub fn new(total: usize, verbosity: Verbosity) -> Self {
        let bar = (verbosity != Verbosity::Quiet && std::io::stderr().is_terminal()).then(|| {
            let b = ProgressBar::new(total as u64);
            if let Ok(style) =
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} modules  {wide_msg}")
            {
                b.set_style(style);
            }
            b.enable_steady_tick(std::time::Duration::from_millis(200));
            b
        });
        Self { bar }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Progress for ModuleProgress {
    fn module_started(&self, name: &str) {
        tracing::debug!("module {name}: started");
        if let Some(b) = &self.bar {
            b.set_message(name.to_string());
        }
    }

    fn module_finished(&self, r: &ModuleReport) {
        let line = match &r.status {
            ModuleStatus::Completed { records } => {
                format!("{}: {records} records, {} alerts ({} ms)", r.module, r.alerts.len(), r.elapsed_ms)
            }
            ModuleStatus::NotFound => format!("{}: artifact not found", r.module),
            ModuleStatus::Failed { error, records } => {
                format!("{}: FAILED after {records} records: {}", r.module, ferret_report::terminal_safe(error))
            }
        };
        match (&self.bar, &r.status) {
            (Some(b), ModuleStatus::Failed { .. }) => b.suspend(|| tracing::warn!("{line}")),
            (Some(b), _) => {
                b.suspend(|| tracing::debug!("{line}"));
            }
            (None, ModuleStatus::Failed { .. }) => tracing::warn!("{line}"),
            (None, _) => tracing::info!("{line}"),
        }
        for w in r.warnings.iter().take(5) {
            tracing::debug!("{}: {}", r.module, ferret_report::terminal_safe(w));
        }
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }
}
