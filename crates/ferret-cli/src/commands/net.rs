//! `ferret net check-pcap`: a network capture checked like any acquisition (the same results
//! folder, timeline and report), optionally restricted to one phone's addresses.

use ferret_core::AcquisitionKind;
use ferret_report::ExitStatus;

use crate::cli::NetCheckArgs;
use crate::console::Verbosity;

/// Runs `check-pcap`: the check command of [`AcquisitionKind::NetCapture`] with the device's
/// addresses passed to the modules.
pub fn check_pcap(args: NetCheckArgs, verbosity: Verbosity) -> anyhow::Result<ExitStatus> {
    let mut check = args.check;
    check.device_ips = args.device_ip;
    super::check::run(Some(AcquisitionKind::NetCapture), check, verbosity)
}
