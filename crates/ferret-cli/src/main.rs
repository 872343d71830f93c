//! `ferret`: find traces of mercenary spyware and stalkerware in phone acquisitions.
//!
//! This binary is thin wiring: the command line ([`cli`]), one file per command
//! ([`commands`]), the table over the platform crates ([`acquisition`]), where output may go
//! ([`output`]), secrets ([`secrets`]), console, progress and the scratch folder. All parsing
//! and checking lives in the library crates; exit codes are [`ferret_report::ExitStatus`].

mod acquisition;
mod cli;
mod commands;
mod console;
mod output;
mod scratch;
mod secrets;

use std::process::ExitCode;

use clap::Parser;
use ferret_report::ExitStatus;

/// mimalloc instead of the system allocator: a check allocates a few strings per record, and
/// glibc's malloc and free were a sixth of a 1M-record check's CPU time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match cli::Cli::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => {
            let usage = e.use_stderr();
            let _ = e.print();
            if usage && let Some(hint) = cli::mvt_hint(&args) {
                console::error(&format!("hint: {hint}"));
            }
            return if usage { ExitStatus::Error.into() } else { ExitStatus::Clean.into() };
        }
    };
    let scratch = scratch::Scratch::install();
    let result = commands::run(cli);
    drop(scratch);
    match result {
        Ok(status) => status.into(),
        Err(e) => {
            console::error(&error_text(&e));
            ExitStatus::Error.into()
        }
    }
}

/// The error and its causes, each said once: library errors often quote their cause in their
/// own text, so a cause already contained in the text before it is skipped. Control characters
/// are escaped, except that a line break starts an indented continuation line: a list in
/// ferret's own message stays readable, and text from evidence cannot start a line of its own.
fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let c = cause.to_string();
        if text.contains(&c) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&c);
    }
    text.split('\n').map(ferret_report::terminal_safe).collect::<Vec<_>>().join("\n  ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn causes_are_said_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "unable to open database file");
        let inner =
            anyhow::Error::new(io).context("Manifest.db: not a readable SQLite database: unable to open database file");
        let e = inner.context("cannot open /b");
        assert_eq!(
            super::error_text(&e),
            "cannot open /b: Manifest.db: not a readable SQLite database: unable to open database file"
        );
        let e = anyhow::anyhow!("a\u{1b}[2Jb");
        assert_eq!(super::error_text(&e), "a\\u{1b}[2Jb");
        // a line break: an indented continuation line, never a line of its own
        let e = anyhow::anyhow!("reads:\n  x\r\nverdict: clean");
        assert_eq!(super::error_text(&e), "reads:\n    x\\r\n  verdict: clean");
    }
}
