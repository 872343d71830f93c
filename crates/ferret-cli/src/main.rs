//! `ferret`: find traces of mercenary spyware and stalkerware in phone acquisitions.
//!
//! This binary is thin wiring: argument parsing, console, progress and exit codes. All parsing
//! and checking lives in the library crates.

mod check;
mod cmd_iocs;
mod cmd_ios;
mod cmd_report;
mod console;
mod demo;
mod exit;
mod gen_cmd;
mod scratch;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::check::{AndroidSecretArgs, CheckArgs, IosSecretArgs};
use ferret_core::AcquisitionKind;

const EXIT_CODES: &str = "\
Exit codes:
  0  finished; no HIGH or CRITICAL alert
  1  finished; at least one HIGH or CRITICAL alert (see the results)
  2  error, bad usage, or nothing could be read";

/// Find traces of mercenary spyware (Pegasus, Predator, Graphite...) and stalkerware in iOS and
/// Android acquisitions, offline. Evidence is only ever read.
#[derive(Debug, Parser)]
#[command(name = "ferret", version, max_term_width = 100, after_help = EXIT_CODES)]
struct Cli {
    /// More output (-v: debug, -vv: trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Only errors and the final summary.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check an acquisition of any supported type (detected from its content).
    #[command(
        after_help = "Examples:\n  ferret check ~/Backup/00008030-XXXX --iocs ./iocs/ -o results/\n  ferret check bugreport-2026.zip -o results/\n\nExit codes: 0 clean, 1 HIGH/CRITICAL alerts, 2 error."
    )]
    Check {
        #[command(flatten)]
        args: CheckArgs,
        #[command(flatten)]
        ios: IosSecretArgs,
        #[command(flatten)]
        android: AndroidSecretArgs,
    },
    /// iOS acquisitions.
    #[command(subcommand)]
    Ios(IosCommand),
    /// Android acquisitions.
    #[command(subcommand)]
    Android(AndroidCommand),
    /// Re-check a results folder against (new) indicators, without the acquisition.
    #[command(
        after_help = "Example:\n  ferret check-iocs --iocs new-iocs.stix2 results/\n\nWrites its alerts to RESULTS/check-iocs/. Exit codes: 0 clean, 1 HIGH/CRITICAL alerts, 2 error."
    )]
    CheckIocs {
        /// Indicator files or folders (repeatable).
        #[arg(short = 'i', long = "iocs", value_name = "PATH")]
        iocs: Vec<PathBuf>,
        /// Do not load the indicator cache, the built-in sets or FERRET_IOCS/MVT_STIX2.
        #[arg(long)]
        no_default_iocs: bool,
        /// A results folder written by a `check` command.
        results: PathBuf,
    },
    /// Manage indicator sets.
    #[command(subcommand)]
    Iocs(cmd_iocs::IocsCommand),
    /// (Re)build report.html from a results folder.
    #[command(after_help = "Example:\n  ferret report results/")]
    Report {
        /// A results folder.
        results: PathBuf,
    },
    /// Generate a synthetic backup with planted spyware traces, check it, and show the report.
    #[command(after_help = "Example:\n  ferret demo\n  ferret demo --dir /tmp/demo --sms 100000")]
    Demo(demo::DemoArgs),
    /// Print shell completions.
    Completions {
        /// Shell.
        shell: clap_complete::Shell,
    },
    /// Generate synthetic acquisitions (for benchmarks and tests).
    #[command(hide = true)]
    Gen(gen_cmd::GenArgs),
}

#[derive(Debug, Subcommand)]
enum IosCommand {
    /// Check an iTunes/Finder backup folder (plain or encrypted).
    #[command(
        after_help = "Examples:\n  ferret ios check-backup --iocs pegasus.stix2 -o results/ ~/Backup/00008030-XXXX\n  ferret ios check-backup --password-env BACKUP_PW -o results/ BACKUP\n  ferret ios check-backup --list-modules"
    )]
    CheckBackup {
        #[command(flatten)]
        args: CheckArgs,
        #[command(flatten)]
        secrets: IosSecretArgs,
    },
    /// Check a full-filesystem dump (folder, .tar, .tar.gz or .zip).
    #[command(after_help = "Example:\n  ferret ios check-fs --iocs iocs/ -o results/ dump.tar.gz")]
    CheckFs {
        #[command(flatten)]
        args: CheckArgs,
    },
    /// Decrypt an encrypted backup into a normal, unencrypted backup folder.
    DecryptBackup(cmd_ios::DecryptBackupArgs),
    /// Derive an encrypted backup's key once (the slow step) for reuse with --key-file.
    ExtractKey(cmd_ios::ExtractKeyArgs),
    /// Check a sysdiagnose (folder or .tar.gz).
    #[command(
        after_help = "Example:\n  ferret ios check-sysdiagnose -o results/ sysdiagnose_2026.11.20_10-00-00+0100_iPhone-OS_iPhone_22B83.tar.gz"
    )]
    CheckSysdiagnose {
        #[command(flatten)]
        args: CheckArgs,
    },
}

#[derive(Debug, Subcommand)]
#[allow(clippy::enum_variant_names)] // the names are the MVT command names
enum AndroidCommand {
    /// Check a bugreport (zip or folder).
    #[command(after_help = "Example:\n  ferret android check-bugreport --iocs iocs/ -o results/ bugreport-XXXX.zip")]
    CheckBugreport {
        #[command(flatten)]
        args: CheckArgs,
    },
    /// Check an androidqf collection (folder, zip, or age-encrypted zip).
    #[command(
        after_help = "Examples:\n  ferret android check-androidqf -o results/ ./acquisition-uuid/\n  ferret android check-androidqf --age-identity key.txt -o results/ UUID.zip.age"
    )]
    CheckAndroidqf {
        #[command(flatten)]
        args: CheckArgs,
        #[command(flatten)]
        secrets: AndroidSecretArgs,
    },
    /// Check an `adb backup` file (.ab, plain or encrypted).
    #[command(after_help = "Example:\n  ferret android check-backup --password-env AB_PW -o results/ backup.ab")]
    CheckBackup {
        #[command(flatten)]
        args: CheckArgs,
        #[command(flatten)]
        secrets: AndroidSecretArgs,
    },
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    let verbosity = console::Verbosity::from_flags(cli.verbose, cli.quiet);
    match cli.command {
        Command::Check { args, ios, android } => check::run(None, args, &ios, &android, verbosity),
        Command::Ios(IosCommand::CheckBackup { args, secrets }) => {
            check::run(Some(AcquisitionKind::IosBackup), args, &secrets, &AndroidSecretArgs::default(), verbosity)
        }
        Command::Ios(IosCommand::CheckFs { args }) => check::run(
            Some(AcquisitionKind::IosFs),
            args,
            &IosSecretArgs::default(),
            &AndroidSecretArgs::default(),
            verbosity,
        ),
        Command::Ios(IosCommand::CheckSysdiagnose { args }) => check::run(
            Some(AcquisitionKind::IosSysdiagnose),
            args,
            &IosSecretArgs::default(),
            &AndroidSecretArgs::default(),
            verbosity,
        ),
        Command::Android(AndroidCommand::CheckBugreport { args }) => check::run(
            Some(AcquisitionKind::AndroidBugreport),
            args,
            &IosSecretArgs::default(),
            &AndroidSecretArgs::default(),
            verbosity,
        ),
        Command::Android(AndroidCommand::CheckAndroidqf { args, secrets }) => {
            check::run(Some(AcquisitionKind::AndroidQf), args, &IosSecretArgs::default(), &secrets, verbosity)
        }
        Command::Android(AndroidCommand::CheckBackup { args, secrets }) => {
            check::run(Some(AcquisitionKind::AndroidBackup), args, &IosSecretArgs::default(), &secrets, verbosity)
        }
        Command::Ios(IosCommand::DecryptBackup(args)) => {
            console::init_logging(verbosity, None)?;
            cmd_ios::decrypt_backup(args)
        }
        Command::Ios(IosCommand::ExtractKey(args)) => {
            console::init_logging(verbosity, None)?;
            cmd_ios::extract_key(args)
        }
        Command::CheckIocs { iocs, no_default_iocs, results } => {
            console::init_logging(verbosity, None)?;
            check::check_iocs(&results, &iocs, no_default_iocs)
        }
        Command::Iocs(cmd) => {
            console::init_logging(verbosity, None)?;
            cmd_iocs::run(cmd)
        }
        Command::Report { results } => {
            console::init_logging(verbosity, None)?;
            cmd_report::report(&results)
        }
        Command::Demo(args) => demo::run(args, verbosity),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "ferret", &mut std::io::stdout());
            Ok(exit::CLEAN)
        }
        Command::Gen(args) => gen_cmd::run(args),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let scratch = scratch::Scratch::install();
    let result = run(cli);
    drop(scratch);
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) {
                return ExitCode::from(exit::CLEAN);
            }
            console::error(&format!("{e:#}"));
            ExitCode::from(exit::ERROR)
        }
    }
}
