//! Exit codes (ClamAV convention), documented in `--help` and the README.

/// Finished; no HIGH or CRITICAL alert.
pub const CLEAN: u8 = 0;
/// Finished with at least one HIGH or CRITICAL alert (returned through
/// `ferret_report::Verdict::exit_code`, which must agree with this value).
#[allow(dead_code)]
pub const DETECTIONS: u8 = 1;
/// Error, bad usage, or nothing could be read.
pub const ERROR: u8 = 2;
