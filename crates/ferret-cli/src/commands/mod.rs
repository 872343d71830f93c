//! One file per command; [`run`] is the table from parsed arguments to them.

pub mod campaign;
pub mod check;
pub mod check_iocs;
pub mod demo;
pub mod generate;
pub mod iocs;
pub mod ios;
pub mod net;
pub mod report;

use clap::CommandFactory;
use ferret_core::AcquisitionKind;
use ferret_report::ExitStatus;

use crate::cli::{AndroidCommand, Cli, Command, IosCommand, NetCommand};
use crate::console::{self, Verbosity};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    let verbosity = Verbosity::from_flags(cli.verbose, cli.quiet);
    let check = |kind, args| check::run(Some(kind), args, verbosity);
    match cli.command {
        Command::Check(args) => check::run(None, args, verbosity),
        Command::Ios(IosCommand::CheckBackup(args)) => check(AcquisitionKind::IosBackup, args),
        Command::Ios(IosCommand::CheckFs(args)) => check(AcquisitionKind::IosFs, args),
        Command::Ios(IosCommand::CheckSysdiagnose(args)) => check(AcquisitionKind::IosSysdiagnose, args),
        Command::Android(AndroidCommand::CheckBugreport(args)) => check(AcquisitionKind::AndroidBugreport, args),
        Command::Android(AndroidCommand::CheckAndroidqf(args)) => check(AcquisitionKind::AndroidQf, args),
        Command::Android(AndroidCommand::CheckBackup(args)) => check(AcquisitionKind::AndroidBackup, args),
        Command::CheckIntrusionLogs(args) | Command::Android(AndroidCommand::CheckIntrusionLogs(args)) => {
            check(AcquisitionKind::AndroidIntrusionLogs, args)
        }
        Command::Net(NetCommand::CheckPcap(args)) => net::check_pcap(args, verbosity),
        Command::Ios(IosCommand::DecryptBackup(args)) => {
            console::init_logging(verbosity)?;
            ios::decrypt_backup(args)
        }
        Command::Ios(IosCommand::ExtractKey(args)) => {
            console::init_logging(verbosity)?;
            ios::extract_key(args)
        }
        Command::CheckIocs(args) => check_iocs::run(args, verbosity),
        Command::Correlate(args) => {
            console::init_logging(verbosity)?;
            campaign::correlate(args)
        }
        Command::Hunt(args) => campaign::hunt(args, verbosity),
        Command::Export(args) => {
            console::init_logging(verbosity)?;
            campaign::export(args)
        }
        Command::Iocs(cmd) => {
            console::init_logging(verbosity)?;
            iocs::run(cmd)
        }
        Command::Report { results, lang, pdf } => {
            console::init_logging(verbosity)?;
            report::run(&results, lang, pdf)
        }
        Command::Demo(args) => demo::run(args, verbosity),
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "ferret", &mut buf);
            console::out_bytes(&buf);
            Ok(ExitStatus::Clean)
        }
        Command::Gen(args) => generate::run(args),
    }
}
