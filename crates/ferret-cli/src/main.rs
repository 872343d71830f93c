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
            console::error(&format!("{e:#}"));
            ExitStatus::Error.into()
        }
    }
}
