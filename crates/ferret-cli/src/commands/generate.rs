//! `ferret gen` (hidden): writes synthetic acquisitions of every type, with their indicator
//! bundle and ground truth, for benchmarks and cross-checks.

use anyhow::Context as _;
use ferret_report::ExitStatus;
use ferret_testdata::scenario::{self, FsLayout, Scale};
use ferret_testdata::truth::Truth;

use crate::cli::{GenArgs, GenKind};

/// Writes `truth.json` and the indicator bundle for generators that return only a truth.
fn finish(dir: &std::path::Path, truth: &Truth, decoys: usize, seed: u64) -> anyhow::Result<usize> {
    std::fs::write(dir.join("iocs.stix2"), ferret_testdata::stix::bundle(&truth.indicators, decoys, seed))?;
    std::fs::write(dir.join("truth.json"), serde_json::to_vec_pretty(truth)?)?;
    Ok(truth.alerts.len())
}

/// Writes the scenario.
pub fn run(args: GenArgs) -> anyhow::Result<ExitStatus> {
    let dir = &args.dir;
    std::fs::create_dir_all(dir)?;
    let scale = Scale { sms: args.sms, decoys: args.decoys };
    let ctx = || format!("cannot generate into {}", dir.display());
    if let Some(n) = args.fleet {
        let spec = ferret_testdata::fleet::FleetSpec { devices: n, seed: args.seed };
        let truth = ferret_testdata::fleet::write_fleet(dir, spec).with_context(ctx)?;
        let hit: usize = truth.campaigns.iter().map(|c| c.devices.len()).sum();
        crate::console::out(&format!(
            "{} devices ({hit} hit by {} campaigns) in {}; truth in fleet-truth.json",
            truth.devices.len(),
            truth.campaigns.len(),
            dir.join("devices").display()
        ));
        return Ok(ExitStatus::Clean);
    }
    let (planted, acquisition) = match args.kind {
        GenKind::Backup => {
            let g = scenario::ios_backup(dir, args.seed, scale).with_context(ctx)?;
            (g.truth.alerts.len(), g.acquisition)
        }
        GenKind::EncryptedBackup => {
            let g = scenario::ios_encrypted_backup(dir, args.seed, scale, "ferret", 10).with_context(ctx)?;
            (g.truth.alerts.len(), g.acquisition)
        }
        GenKind::Fs | GenKind::FsTgz => {
            let layout = if args.kind == GenKind::Fs { FsLayout::Folder } else { FsLayout::TarGz };
            let g = scenario::ios_fs(dir, args.seed, scale, layout).with_context(ctx)?;
            (g.truth.alerts.len(), g.acquisition)
        }
        GenKind::Sysdiagnose => {
            let mut truth = Truth::default();
            let files = ferret_testdata::sysdiagnose::generate(args.seed, args.sms.max(1), &mut truth);
            let name = ferret_testdata::sysdiagnose::DEFAULT_NAME;
            let p = dir.join(format!("{name}.tar.gz"));
            ferret_testdata::sysdiagnose::write_tar_gz(&p, name, &files).with_context(ctx)?;
            (finish(dir, &truth, args.decoys, args.seed)?, p)
        }
        GenKind::Bugreport => {
            let p = dir.join("bugreport-ferret-gen.zip");
            let (truth, _) =
                ferret_testdata::android::bugreport::write_bugreport_zip(&p, &Default::default()).with_context(ctx)?;
            (finish(dir, &truth, args.decoys, args.seed)?, p)
        }
        GenKind::Androidqf => {
            let p = dir.join("androidqf");
            let truth =
                ferret_testdata::android::androidqf::write_androidqf_dir(&p, &Default::default()).with_context(ctx)?;
            (finish(dir, &truth, args.decoys, args.seed)?, p)
        }
        GenKind::Ab => {
            let (bytes, truth) = ferret_testdata::android::backup::ab_bytes(&Default::default()).with_context(ctx)?;
            let p = dir.join("backup.ab");
            std::fs::write(&p, bytes).with_context(ctx)?;
            (finish(dir, &truth, args.decoys, args.seed)?, p)
        }
        GenKind::IntrusionLogs | GenKind::IntrusionLogsZip => {
            use ferret_testdata::android::intrusion::{IntrusionSpec, write_intrusion_dir, write_intrusion_zip};
            let spec = IntrusionSpec { seed: args.seed, events: args.sms, ..IntrusionSpec::default() };
            let (truth, p) = if args.kind == GenKind::IntrusionLogs {
                let p = dir.join("export");
                (write_intrusion_dir(&p, &spec).with_context(ctx)?, p)
            } else {
                let p = dir.join("intrusion-logs.zip");
                (write_intrusion_zip(&p, &spec, &[]).with_context(ctx)?, p)
            };
            (finish(dir, &truth, args.decoys, args.seed)?, p)
        }
        GenKind::Pcap | GenKind::Pcapng | GenKind::PcapngGz | GenKind::PcapngFull => {
            use ferret_testdata::pcap::{Format, NetSpec};
            let (name, format) = match args.kind {
                GenKind::Pcap => ("capture.pcap", Format::Pcap),
                GenKind::Pcapng | GenKind::PcapngFull => ("capture.pcapng", Format::Pcapng),
                _ => ("capture.pcapng.gz", Format::Pcapng),
            };
            let p = dir.join(name);
            let server_snap = if args.kind == GenKind::PcapngFull { usize::MAX } else { 96 };
            let spec = NetSpec { format, sessions: args.sms, seed: args.seed, server_snap, ..NetSpec::default() };
            let cap = ferret_testdata::pcap::write_capture_file(&p, &spec).with_context(ctx)?;
            (finish(dir, &cap.truth, args.decoys, args.seed)?, p)
        }
    };
    crate::console::out(&format!("{planted} planted alerts; acquisition at {}", acquisition.display()));
    Ok(ExitStatus::Clean)
}
