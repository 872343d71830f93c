//! Size budgets of the Android readers, overridable by environment variable (so tests can use
//! small bombs, never gigabytes).
//!
//! * [`artifact_limit`] (`FERRET_ARTIFACT_LIMIT`, bytes, default [`DEFAULT_ARTIFACT_LIMIT`]):
//!   the largest single artifact: a tar entry of an `.ab` (checked from its header, before
//!   copying) and the decompressed JSON of an `sms_backup`/`mms_backup` (whose own default is
//!   smaller: [`crate::modules::sms::DEFAULT_JSON_LIMIT`]);
//! * [`scratch_limit`] (`FERRET_SCRATCH_LIMIT`, bytes, default [`DEFAULT_SCRATCH_LIMIT`]): the
//!   total unpacked from one `.ab` into its private temporary folder.
//!
//! The same variable names are used by the evidence layer's budgets; they are read here by a
//! small helper of this crate until one shared budget module exists.

/// Environment variable overriding [`artifact_limit`].
pub const ARTIFACT_LIMIT_ENV: &str = "FERRET_ARTIFACT_LIMIT";
/// Environment variable overriding [`scratch_limit`].
pub const SCRATCH_LIMIT_ENV: &str = "FERRET_SCRATCH_LIMIT";
/// Default per-artifact budget: 1 GiB.
pub const DEFAULT_ARTIFACT_LIMIT: u64 = 1 << 30;
/// Default total unpacked from one `.ab`: 16 GiB of scratch disk.
pub const DEFAULT_SCRATCH_LIMIT: u64 = 16 << 30;

fn from_env(var: &str, default: u64) -> u64 {
    match std::env::var(var) {
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(n) if n > 0 => n,
            _ => {
                tracing::warn!("{var}={v:?} is not a positive number of bytes; using {default}");
                default
            }
        },
        Err(_) => default,
    }
}

/// The per-artifact budget in bytes (`FERRET_ARTIFACT_LIMIT`).
pub fn artifact_limit() -> u64 {
    from_env(ARTIFACT_LIMIT_ENV, DEFAULT_ARTIFACT_LIMIT)
}

/// The per-artifact budget with an artifact-specific default (when `FERRET_ARTIFACT_LIMIT` is
/// not set).
pub fn artifact_limit_or(default: u64) -> u64 {
    from_env(ARTIFACT_LIMIT_ENV, default)
}

/// The total scratch budget of one `.ab` in bytes (`FERRET_SCRATCH_LIMIT`).
pub fn scratch_limit() -> u64 {
    from_env(SCRATCH_LIMIT_ENV, DEFAULT_SCRATCH_LIMIT)
}
