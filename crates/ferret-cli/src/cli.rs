//! The command line: clap definitions only (no work is done here).
//!
//! Shared groups are flattened into each command: [`CheckArgs`] (indicators, output, modules,
//! the acquisition path) and [`SecretArgs`] (passwords and key files, the same flags on every
//! command that may need one). MVT's spellings are accepted (`-i/--iocs`, `-o/--output`,
//! `-m/--module`, `-p/--password` or `--backup-password`, `-k/--key-file`, `-l/--list-modules`).

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Exit codes, printed under `--help`.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  checked, nothing found: no HIGH or CRITICAL alert, and at least one artifact was read
  1  at least one HIGH or CRITICAL alert (see the results)
  2  error, bad usage, or an incomplete check (nothing could be read, an indicator file failed)";

/// Find traces of mercenary spyware (Pegasus, Predator, Graphite...) and stalkerware in iOS and
/// Android acquisitions, offline. Evidence is only ever read.
#[derive(Debug, Parser)]
#[command(name = "ferret", version, max_term_width = 100, after_help = EXIT_CODES)]
pub struct Cli {
    /// More output (-v: debug, -vv: trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors and the final summary (the verdict is always printed).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check an acquisition of any supported type (detected from its content).
    #[command(
        after_help = "Examples:\n  ferret check ~/Backup/00008030-XXXX --iocs ./iocs/ -o results/\n  ferret check bugreport-2026.zip -o results/\n  ferret check --list-modules\n\nExit codes: 0 checked, nothing found; 1 HIGH/CRITICAL alerts; 2 error or incomplete check."
    )]
    Check(CheckArgs),
    /// iOS acquisitions.
    #[command(subcommand)]
    Ios(IosCommand),
    /// Android acquisitions.
    #[command(subcommand)]
    Android(AndroidCommand),
    /// Network captures (pcap, pcapng).
    #[command(subcommand)]
    Net(NetCommand),
    /// Check Android intrusion logs (Android 16 Advanced Protection export: folder or .zip of
    /// newline-delimited JSON events), as MVT's `check-intrusion-logs`.
    #[command(
        after_help = "Examples:\n  ferret check-intrusion-logs --iocs iocs/ -o results/ ./intrusion-logs/\n  ferret check-intrusion-logs -o results/ intrusion-logs.zip\n\nExit codes: 0 checked, nothing found; 1 HIGH/CRITICAL alerts; 2 error or incomplete check."
    )]
    CheckIntrusionLogs(CheckArgs),
    /// Re-check a results folder against (new) indicators, without the acquisition.
    #[command(
        after_help = "Examples:\n  ferret check-iocs --iocs new-iocs.stix2 results/\n  ferret check-iocs --iocs new-iocs.stix2 -o recheck/ results/\n\nWrites into -o DIR, by default a new folder check-iocs-<name> in the current folder; never into RESULTS.\nExit codes: 0 nothing found; 1 HIGH/CRITICAL alerts; 2 error or incomplete."
    )]
    CheckIocs(CheckIocsArgs),
    /// Campaign mode: rank the values several devices' results share, rare among them and close
    /// in time to their alerts, and group the devices they link.
    #[command(
        after_help = "Examples:\n  ferret correlate cases/*/results -o campaign/\n  ferret correlate --share -o campaign/ cases/\n\nWrites correlation.json and clusters.json (devices named by their results folders), candidates.stix2 and campaign.html (no device names in the bundle; with --share, none in the page either).\nExit codes: 0 no lead; 1 leads found; 2 error."
    )]
    Correlate(CorrelateArgs),
    /// Campaign mode: check every stored case against new indicators at once, without the
    /// acquisitions, and list the cases that now match.
    #[command(
        after_help = "Examples:\n  ferret hunt --iocs new-campaign.stix2 cases/\n  ferret hunt --iocs new-campaign.stix2 -o hunt/ cases/\n\nKeeps an index of the cases' values in ferret's cache (~/.cache/ferret/hunt; rebuilt when a case changes). With -o, each matching case is also re-checked (check-iocs) into -o/<case>/.\nExit codes: 0 no case matches; 1 cases match; 2 error."
    )]
    Hunt(HuntArgs),
    /// Campaign mode: export the observables and alerts of many cases (JSONL, CSV or Parquet)
    /// for engines beyond one machine (see sql/correlate.sql).
    #[command(
        after_help = "Examples:\n  ferret export --format parquet cases/ -o lake/\n  ferret export --format csv cases/*/results -o lake/"
    )]
    Export(ExportArgs),
    /// Manage indicator sets.
    #[command(subcommand)]
    Iocs(IocsCommand),
    /// (Re)build report.html from a results folder, optionally also as report.pdf.
    #[command(
        after_help = "Examples:\n  ferret report results/\n  ferret report --lang ar --pdf results/\n\n--pdf needs Chromium or Google Chrome (set FERRET_CHROMIUM=/path/to/chromium if it is not on PATH)."
    )]
    Report {
        /// Language of the report: en, it, es, fr or ar. Default: the language the report was
        /// written in, else the locale's (LC_ALL, LC_MESSAGES, LANG), else English.
        #[arg(long, value_name = "CODE")]
        lang: Option<ferret_report::Lang>,
        /// Also print the report to report.pdf with a headless Chromium (no network).
        #[arg(long)]
        pdf: bool,
        /// A results folder.
        results: PathBuf,
    },
    /// Generate a synthetic backup with planted spyware traces, check it, and show the report.
    #[command(after_help = "Example:\n  ferret demo\n  ferret demo --dir /tmp/demo --sms 100000")]
    Demo(DemoArgs),
    /// Print shell completions.
    Completions {
        /// Shell.
        shell: clap_complete::Shell,
    },
    /// Generate synthetic acquisitions (for benchmarks and tests).
    #[command(hide = true)]
    Gen(GenArgs),
}

/// `ferret ios ...`.
#[derive(Debug, Subcommand)]
pub enum IosCommand {
    /// Check an iTunes/Finder backup folder (plain or encrypted).
    #[command(
        after_help = "Examples:\n  ferret ios check-backup --iocs pegasus.stix2 -o results/ ~/Backup/00008030-XXXX\n  ferret ios check-backup --password-env BACKUP_PW -o results/ BACKUP\n  ferret ios check-backup --list-modules"
    )]
    CheckBackup(CheckArgs),
    /// Check a full-filesystem dump (folder, .tar, .tar.gz or .zip).
    #[command(after_help = "Example:\n  ferret ios check-fs --iocs iocs/ -o results/ dump.tar.gz")]
    CheckFs(CheckArgs),
    /// Check a sysdiagnose (folder or .tar.gz).
    #[command(
        after_help = "Example:\n  ferret ios check-sysdiagnose -o results/ sysdiagnose_2026.11.20_10-00-00+0100_iPhone-OS_iPhone_22B83.tar.gz"
    )]
    CheckSysdiagnose(CheckArgs),
    /// Decrypt an encrypted backup into a normal, unencrypted backup folder.
    #[command(
        after_help = "Examples:\n  ferret ios decrypt-backup --password-file pw.txt --destination decrypted/ BACKUP\n  ferret ios decrypt-backup --key-file key.txt -d decrypted/ BACKUP"
    )]
    DecryptBackup(DecryptBackupArgs),
    /// Derive an encrypted backup's key once (the slow step) for reuse with --key-file.
    #[command(
        after_help = "Examples:\n  ferret ios extract-key --password-env BACKUP_PW BACKUP\n  ferret ios extract-key --password-env BACKUP_PW --key-file key.txt BACKUP\n  ferret ios check-backup --key-file key.txt -o results/ BACKUP\n\nThe key is equivalent to the password: protect it like the password."
    )]
    ExtractKey(ExtractKeyArgs),
}

/// `ferret android ...`.
#[derive(Debug, Subcommand)]
#[allow(clippy::enum_variant_names)] // the names are the MVT command names
pub enum AndroidCommand {
    /// Check a bugreport (zip or folder).
    #[command(after_help = "Example:\n  ferret android check-bugreport --iocs iocs/ -o results/ bugreport-XXXX.zip")]
    CheckBugreport(CheckArgs),
    /// Check an androidqf collection (folder, zip, or age-encrypted zip).
    #[command(
        after_help = "Examples:\n  ferret android check-androidqf -o results/ ./acquisition-uuid/\n  ferret android check-androidqf -k key.txt -o results/ UUID.zip.age"
    )]
    CheckAndroidqf(CheckArgs),
    /// Check an `adb backup` file (.ab, plain or encrypted).
    #[command(after_help = "Example:\n  ferret android check-backup --password-env AB_PW -o results/ backup.ab")]
    CheckBackup(CheckArgs),
    /// Check Android intrusion logs (folder or .zip); the same as `ferret check-intrusion-logs`.
    #[command(after_help = "Example:\n  ferret android check-intrusion-logs -o results/ ./intrusion-logs/")]
    CheckIntrusionLogs(CheckArgs),
}

/// `ferret net ...`.
#[derive(Debug, Subcommand)]
pub enum NetCommand {
    /// Check a network capture (pcap or pcapng, also gzipped) of a phone's traffic.
    #[command(
        after_help = "Examples:\n  ferret net check-pcap capture.pcapng --iocs ./iocs/ -o results/\n  ferret net check-pcap --device-ip 10.8.0.2 capture.pcap.gz -o results/\n\nExit codes: 0 checked, nothing found; 1 HIGH/CRITICAL alerts; 2 error or incomplete check."
    )]
    CheckPcap(NetCheckArgs),
}

/// `ferret net check-pcap`.
#[derive(Debug, Clone, Args)]
pub struct NetCheckArgs {
    /// Keep only the traffic of the phone at this address (repeatable or comma-separated, e.g.
    /// its IPv4 and IPv6 addresses); all traffic when absent.
    #[arg(long = "device-ip", value_name = "IP", value_delimiter = ',')]
    pub device_ip: Vec<std::net::IpAddr>,
    /// The usual check options.
    #[command(flatten)]
    pub check: CheckArgs,
}

/// Options shared by every check command.
#[derive(Debug, Clone, Default, Args)]
pub struct CheckArgs {
    /// The indicators to check against.
    #[command(flatten)]
    pub indicators: IocArgs,
    /// Results folder (created; must be new or empty, never inside the acquisition). Without it
    /// nothing is written and only the summary is printed.
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Replace the results of an earlier ferret run in --output (only ferret's own files).
    #[arg(long)]
    pub force: bool,
    /// List the modules (of this command, or of every acquisition type) and exit.
    #[arg(short, long)]
    pub list_modules: bool,
    /// Run only these modules: names from --list-modules or MVT's (`SMS`, `SafariHistory`...);
    /// repeatable or comma-separated.
    #[arg(short, long = "module", value_name = "NAME", value_delimiter = ',')]
    pub modules: Vec<String>,
    /// Skip slow optional checks.
    #[arg(short, long)]
    pub fast: bool,
    /// Worker threads (0 = one per core). Results do not depend on it.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,
    /// iOS: skip the process census. By default (and with `-m` only when --process-census is
    /// given) every process name and executable path the modules read is classified against
    /// Apple's own executables and the phone's apps (the `process_census` pass): unknown
    /// processes are MEDIUM, lookalikes of Apple's and programs running from data or temporary
    /// folders HIGH, without indicators.
    #[arg(long, conflicts_with = "process_census")]
    pub no_process_census: bool,
    /// The process census, on by default on iOS acquisitions (accepted for older scripts; also
    /// runs it beside `-m`; on another acquisition type it says the pass reads iOS only).
    #[arg(long, hide = true)]
    pub process_census: bool,
    /// Language of report.html: en, it, es, fr or ar (default: the locale's, else English).
    #[arg(long, value_name = "CODE")]
    pub lang: Option<ferret_report::Lang>,
    /// Passwords and keys for encrypted acquisitions.
    #[command(flatten)]
    pub secrets: SecretArgs,
    /// The phone was out of its owner's hands from FROM to TO (police, border, repair): every
    /// change of its software or trust in that window (apps installed or updated, profiles,
    /// root certificates, privacy grants, VPNs) is raised to HIGH. FROM and TO are RFC 3339
    /// times (2025-03-01T08:00:00Z, 2025-03-01T09:00:00+01:00) or dates (2025-03-01, UTC, the
    /// whole day), both included: `--custody 2025-03-01T08:00:00Z..2025-03-02`.
    #[arg(long, value_name = "FROM..TO")]
    pub custody: Option<ferret_core::Custody>,
    /// Network captures: the device's addresses (set by `ferret net check-pcap --device-ip`).
    #[arg(skip)]
    pub device_ips: Vec<std::net::IpAddr>,
    /// The acquisition (folder or file). Several make a batch: indicators are loaded once,
    /// each acquisition gets its own results folder in --output, and `batch.json` lists them.
    #[arg(required_unless_present = "list_modules", value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

/// Which indicators a run loads, the same on `check` and `check-iocs`.
#[derive(Debug, Clone, Default, Args)]
pub struct IocArgs {
    /// Indicator files or folders: STIX 2.1 bundles, ioc.yaml, plain lists (repeatable).
    /// The local cache (`ferret iocs update`), the built-in sets and FERRET_IOCS / MVT_STIX2
    /// are added unless --no-default-iocs.
    #[arg(short = 'i', long = "iocs", value_name = "PATH")]
    pub iocs: Vec<PathBuf>,
    /// Do not load the indicator cache, the built-in sets or FERRET_IOCS/MVT_STIX2.
    #[arg(long)]
    pub no_default_iocs: bool,
}

/// Passwords and keys, the same on every command that may need one. At most one password
/// source; when none is given and the acquisition is encrypted, ferret asks without echo on a
/// terminal (and reads `MVT_IOS_BACKUP_PASSWORD` / `MVT_ANDROID_BACKUP_PASSWORD` as MVT does).
#[derive(Debug, Clone, Default, Args)]
pub struct SecretArgs {
    /// The password sources.
    #[command(flatten)]
    pub password: PasswordArgs,
    /// Key file: for an encrypted iOS backup the key from `ferret ios extract-key` (64 hex
    /// characters); for an androidqf `.zip.age` the age identity.
    #[arg(short = 'k', long, visible_alias = "age-identity", value_name = "FILE")]
    pub key_file: Option<PathBuf>,
}

/// Password sources (alone for `extract-key`, whose `--key-file` is its output).
#[derive(Debug, Clone, Default, Args)]
pub struct PasswordArgs {
    /// Backup password (iOS backup, Android .ab) on the command line: visible in shell history
    /// and the process list; prefer --password-env or --password-file.
    #[arg(short = 'p', long, visible_alias = "backup-password", value_name = "PASSWORD", group = "pw")]
    pub password: Option<String>,
    /// Read the backup password from this environment variable.
    #[arg(long, visible_alias = "backup-password-env", value_name = "VAR", group = "pw")]
    pub password_env: Option<String>,
    /// Read the backup password from the first line of this file.
    #[arg(long, value_name = "FILE", group = "pw")]
    pub password_file: Option<PathBuf>,
}

/// `ferret check-iocs`.
#[derive(Debug, Clone, Args)]
pub struct CheckIocsArgs {
    /// The indicators to re-check against.
    #[command(flatten)]
    pub indicators: IocArgs,
    /// Where to write the re-check (default: a new folder check-iocs-NAME here).
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Replace an earlier re-check's results in --output.
    #[arg(long)]
    pub force: bool,
    /// As on `check`: software and trust changes between FROM and TO are raised to HIGH. The
    /// stored records keep their times, so the re-check applies it (default: the custody
    /// window of the re-checked run, if it had one).
    #[arg(long, value_name = "FROM..TO")]
    pub custody: Option<ferret_core::Custody>,
    /// iOS results: skip the process census (on by default: it runs again over the stored
    /// records, also for results checked without it).
    #[arg(long)]
    pub no_process_census: bool,
    /// Language of report.html: en, it, es, fr or ar (default: the locale's, else English).
    #[arg(long, value_name = "CODE")]
    pub lang: Option<ferret_report::Lang>,
    /// A results folder written by a `check` command.
    pub results: PathBuf,
}

/// `ferret correlate`.
#[derive(Debug, Clone, Args)]
pub struct CorrelateArgs {
    /// Output folder (created; gets correlation.json, clusters.json, candidates.stix2,
    /// campaign.html).
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// Indicator files: shared values they match are marked as known (by default only values
    /// the devices' own alerts matched are).
    #[arg(short = 'i', long = "iocs", value_name = "PATH")]
    pub iocs: Vec<PathBuf>,
    /// Number the devices in campaign.html instead of naming them (a copy to share).
    #[arg(long)]
    pub share: bool,
    /// Largest share of the devices a value may be on and still rank (0..1).
    #[arg(long, default_value_t = 0.5, value_name = "FRACTION")]
    pub max_share: f64,
    /// Hours over which closeness to a device's alert decays.
    #[arg(long, default_value_t = 6.0, value_name = "HOURS")]
    pub window_hours: f64,
    /// Reader threads (0 = one per core). Results do not depend on it.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,
    /// Result folders, or folders holding them (up to 4 levels down).
    #[arg(required = true, value_name = "RESULTS")]
    pub results: Vec<PathBuf>,
}

/// `ferret hunt`.
#[derive(Debug, Clone, Args)]
pub struct HuntArgs {
    /// The new indicators (STIX 2.1 bundles, ioc.yaml, plain lists; repeatable).
    #[arg(short = 'i', long = "iocs", value_name = "PATH", required = true)]
    pub iocs: Vec<PathBuf>,
    /// Also load the cache, the built-in sets and FERRET_IOCS/MVT_STIX2.
    #[arg(long)]
    pub with_default_iocs: bool,
    /// Write hunt.json here, and re-check each matching case (check-iocs) into DIR/CASE/.
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Where the index of the cases' values is kept (default: ferret's cache folder,
    /// $FERRET_DATA_DIR/hunt or ~/.cache/ferret/hunt, one index per set of cases; never among
    /// the cases).
    #[arg(long, value_name = "FILE")]
    pub index: Option<PathBuf>,
    /// Threads (0 = one per core).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,
    /// Result folders, or folders holding them (up to 4 levels down).
    #[arg(required = true, value_name = "CASES")]
    pub cases: Vec<PathBuf>,
}

/// `ferret export` formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header row.
    Csv,
    /// Apache Parquet (builds with the `parquet` feature only).
    Parquet,
}

/// `ferret export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Format.
    #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
    pub format: ExportFormat,
    /// Output folder (created; must be new or empty).
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// Result folders, or folders holding them (up to 4 levels down).
    #[arg(required = true, value_name = "CASES")]
    pub cases: Vec<PathBuf>,
}

/// `ferret ios decrypt-backup`.
#[derive(Debug, Clone, Args)]
pub struct DecryptBackupArgs {
    /// Password or key.
    #[command(flatten)]
    pub secrets: SecretArgs,
    /// Folder to write the decrypted backup to (created; must be empty unless --force; never
    /// inside the source backup).
    #[arg(short = 'd', long, value_name = "FOLDER")]
    pub destination: PathBuf,
    /// Write into a non-empty destination.
    #[arg(long)]
    pub force: bool,
    /// The encrypted backup folder.
    pub backup: PathBuf,
}

/// `ferret ios extract-key`.
#[derive(Debug, Clone, Args)]
pub struct ExtractKeyArgs {
    /// The password.
    #[command(flatten)]
    pub password: PasswordArgs,
    /// Write the key (exactly 64 hex characters, as MVT expects) to this file, mode 0600,
    /// instead of printing it.
    #[arg(short = 'k', long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// The encrypted backup folder.
    pub backup: PathBuf,
}

/// `ferret iocs ...`.
#[derive(Debug, Subcommand)]
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
    /// List every indicator set a check would load: built-in, cache, FERRET_IOCS / MVT_STIX2.
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

/// `ferret demo` options.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Folder for the generated backup, indicators, ground truth and results. Replaced only if
    /// an earlier `ferret demo` made it; refused if it holds anything else.
    #[arg(long, default_value = "ferret-demo", value_name = "DIR")]
    pub dir: PathBuf,
    /// Number of SMS messages (other artifacts scale with it).
    #[arg(long, default_value_t = 2_000)]
    pub sms: usize,
    /// Random seed (same seed, same bytes).
    #[arg(long, default_value_t = 2025)]
    pub seed: u64,
}

/// What `ferret gen` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum GenKind {
    /// iOS backup (`backup/`).
    #[default]
    Backup,
    /// iOS encrypted backup (`backup/`, password `ferret`, cheap key derivation).
    EncryptedBackup,
    /// iOS filesystem dump as a folder (`fs/`).
    Fs,
    /// iOS filesystem dump as a `.tar.gz` (`fs.tar.gz`).
    FsTgz,
    /// iOS sysdiagnose as a `.tar.gz`.
    Sysdiagnose,
    /// Android bugreport zip.
    Bugreport,
    /// androidqf collection folder (`androidqf/`).
    Androidqf,
    /// Android `.ab` backup (`backup.ab`).
    Ab,
    /// Android intrusion-log export as a folder (`intrusion-logs/`; --sms = ordinary events).
    IntrusionLogs,
    /// Android intrusion-log export as a zip (`intrusion-logs.zip`; --sms = ordinary events).
    IntrusionLogsZip,
    /// Network capture, pcap (`capture.pcap`; --sms = benign app sessions).
    Pcap,
    /// Network capture, pcapng (`capture.pcapng`).
    Pcapng,
    /// Network capture, gzipped pcapng (`capture.pcapng.gz`).
    PcapngGz,
    /// Network capture, pcapng with full-size packets (benchmarks; the others keep 96 bytes of
    /// each server data packet).
    PcapngFull,
}

/// `ferret gen` options.
#[derive(Debug, Clone, Args)]
pub struct GenArgs {
    /// What to generate.
    #[arg(long, value_enum, default_value_t = GenKind::Backup)]
    pub kind: GenKind,
    /// SMS messages (other artifacts scale with it).
    #[arg(long, default_value_t = 10_000)]
    pub sms: usize,
    /// Decoy indicators in the bundle.
    #[arg(long, default_value_t = 20_000)]
    pub decoys: usize,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Instead of one acquisition, a fleet of N small ones (iOS backups and Android `.ab`) with
    /// two planted campaigns, noise and decoys (`devices/`, `fleet-truth.json`), for
    /// `ferret correlate` and `ferret hunt`.
    #[arg(long, value_name = "N", conflicts_with = "kind")]
    pub fleet: Option<usize>,
    /// Output folder (gets the acquisition, `iocs.stix2` and `truth.json`).
    pub dir: PathBuf,
}

/// MVT commands ferret does not have under that name, with what to type instead.
const MVT_HINTS: &[(&str, &str)] = &[
    ("download-iocs", "ferret's equivalent of MVT's download-iocs is `ferret iocs update`"),
    (
        "check-adb",
        "ferret does not connect to phones: collect an acquisition with androidqf, then run `ferret android check-androidqf FOLDER`",
    ),
    ("download-apks", "ferret does not download apps from phones; androidqf can collect them"),
    (
        "check-backup",
        "use `ferret ios check-backup BACKUP`, `ferret android check-backup FILE.ab`, or `ferret check PATH` (detects the type)",
    ),
    ("check-fs", "use `ferret ios check-fs PATH` (or `ferret check PATH`)"),
    ("check-sysdiagnose", "use `ferret ios check-sysdiagnose PATH` (or `ferret check PATH`)"),
    ("check-bugreport", "use `ferret android check-bugreport PATH` (or `ferret check PATH`)"),
    ("check-androidqf", "use `ferret android check-androidqf PATH` (or `ferret check PATH`)"),
    ("decrypt-backup", "use `ferret ios decrypt-backup`"),
    ("extract-key", "use `ferret ios extract-key`"),
    ("version", "use `ferret --version`"),
    ("mvt-ios", "ferret's iOS commands are `ferret ios ...` (or `ferret check PATH`)"),
    ("mvt-android", "ferret's Android commands are `ferret android ...` (or `ferret check PATH`)"),
];

/// A hint for a command line clap refused, when it uses an MVT command name ferret spells
/// differently (`ferret download-iocs`, `ferret android check-adb`...).
pub fn mvt_hint(args: &[OsString]) -> Option<&'static str> {
    let words: Vec<String> = args
        .iter()
        .skip(1)
        .filter(|a| !a.to_string_lossy().starts_with('-'))
        .take(2)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let ios_or_android = words.first().is_some_and(|w| w == "ios" || w == "android");
    let candidate = if ios_or_android { words.get(1) } else { words.first() }?;
    if ios_or_android && candidate.starts_with("check-") && candidate != "check-adb" {
        return None; // a real subcommand in the wrong family; clap's own suggestion is better
    }
    MVT_HINTS.iter().find(|(name, _)| name == candidate).map(|(_, hint)| *hint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn mvt_names_get_hints() {
        assert!(mvt_hint(&os(&["ferret", "download-iocs"])).is_some_and(|h| h.contains("iocs update")));
        assert!(mvt_hint(&os(&["ferret", "android", "check-adb"])).is_some_and(|h| h.contains("androidqf")));
        assert!(mvt_hint(&os(&["ferret", "-v", "check-backup", "x"])).is_some_and(|h| h.contains("ios check-backup")));
        assert!(mvt_hint(&os(&["ferret", "frobnicate"])).is_none());
    }

    #[test]
    fn mvt_flags_parse() {
        let cli = Cli::try_parse_from([
            "ferret",
            "ios",
            "check-backup",
            "-i",
            "a.stix2",
            "-o",
            "out",
            "-m",
            "SMS,Calls",
            "-m",
            "TCC",
            "-ppw",
            "-k",
            "key.txt",
            "b",
        ])
        .expect("parses");
        let Command::Ios(IosCommand::CheckBackup(a)) = cli.command else { panic!("wrong command") };
        assert_eq!(a.modules, vec!["SMS", "Calls", "TCC"]);
        assert_eq!(a.secrets.password.password.as_deref(), Some("pw"));
        assert_eq!(a.secrets.key_file.as_deref(), Some(std::path::Path::new("key.txt")));
        let cli = Cli::try_parse_from(["ferret", "android", "check-backup", "--backup-password", "x", "f.ab"])
            .expect("alias");
        let Command::Android(AndroidCommand::CheckBackup(a)) = cli.command else { panic!("wrong command") };
        assert_eq!(a.secrets.password.password.as_deref(), Some("x"));
        assert!(
            Cli::try_parse_from(["ferret", "check", "-p", "a", "--password-env", "B", "x"]).is_err(),
            "one password source"
        );
        assert!(Cli::try_parse_from(["ferret", "check", "--list-modules"]).is_ok());
    }
}
