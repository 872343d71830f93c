//! Resource budgets: the size of one artifact, and one scratch-space budget for the process.
//!
//! A crafted acquisition can hold a 10 GiB member of zeros named `sms.db` that compresses to a few
//! megabytes, or a 2 GiB `-wal`. Two budgets bound what reading it can cost:
//!
//! * **artifact size** ([`artifact_limit`], `FERRET_ARTIFACT_LIMIT`, default 8 GiB): the largest
//!   single file copied to scratch space or read whole. It is checked *before* reading or
//!   inflating, from the file's size or the archive header, and enforced while streaming (zip
//!   headers can lie);
//! * **scratch space** ([`scratch_limit`], `FERRET_SCRATCH_LIMIT`, default the smaller of 16 GiB
//!   and half the free space of the temporary folder when first needed): every byte written to
//!   scratch (private SQLite copies and their sidecars, the tar cache, nested archives copied
//!   out of an acquisition, decrypted archives) is reserved from one process-wide counter
//!   first, and released when the scratch file is removed. A write that would go beyond fails
//!   with [`BudgetError`], which fails that module alone.
//!
//! Values are bytes, with an optional `K`, `M`, `G` or `T` suffix (powers of 1024). The counter
//! also keeps its high-water mark ([`scratch_peak`]).

use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Default of [`artifact_limit`].
pub const DEFAULT_ARTIFACT_LIMIT: u64 = 8 << 30;
/// Largest default of [`scratch_limit`] (it is also at most half the free space).
pub const DEFAULT_SCRATCH_LIMIT: u64 = 16 << 30;

static USED: AtomicU64 = AtomicU64::new(0);
static PEAK: AtomicU64 = AtomicU64::new(0);

/// A budget would be exceeded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BudgetError {
    /// One artifact is larger than the artifact-size budget.
    #[error(
        "{size} bytes, over the {limit}-byte budget for one artifact (FERRET_ARTIFACT_LIMIT): not read, the acquisition may be crafted (a zip or gzip bomb)"
    )]
    Artifact {
        /// Its size (declared, or read so far).
        size: u64,
        /// The budget.
        limit: u64,
    },
    /// Scratch space would go over the process's budget.
    #[error(
        "scratch space budget exhausted: {want} more bytes needed, {used} of {limit} in use (FERRET_SCRATCH_LIMIT)"
    )]
    Scratch {
        /// Bytes asked for.
        want: u64,
        /// Bytes in use.
        used: u64,
        /// The budget.
        limit: u64,
    },
}

/// Parses `8G`, `512M`, `1048576`, ...
fn parse_size(v: &str) -> Option<u64> {
    let v = v.trim();
    let (num, mult) = match v.char_indices().last()? {
        (i, 'k' | 'K') => (v.get(..i)?, 1u64 << 10),
        (i, 'm' | 'M') => (v.get(..i)?, 1 << 20),
        (i, 'g' | 'G') => (v.get(..i)?, 1 << 30),
        (i, 't' | 'T') => (v.get(..i)?, 1 << 40),
        _ => (v, 1),
    };
    num.trim().parse::<u64>().ok()?.checked_mul(mult)
}

fn env_size(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let parsed = parse_size(&v);
    if parsed.is_none() {
        tracing::warn!("{name}={v:?} is not a size (bytes, or with a K/M/G/T suffix); using the default");
    }
    parsed
}

static ARTIFACT: OnceLock<u64> = OnceLock::new();
static SCRATCH: OnceLock<u64> = OnceLock::new();

/// Sets both budgets programmatically (for programs embedding ferret, and tests), instead of
/// the environment and defaults. Only before either is first used: returns `false` (and
/// changes nothing) for a budget already fixed.
pub fn configure(artifact: u64, scratch: u64) -> bool {
    let a = ARTIFACT.set(artifact).is_ok();
    let s = SCRATCH.set(scratch).is_ok();
    a && s
}

/// The largest single artifact copied to scratch or read whole (bytes).
pub fn artifact_limit() -> u64 {
    *ARTIFACT.get_or_init(|| env_size("FERRET_ARTIFACT_LIMIT").unwrap_or(DEFAULT_ARTIFACT_LIMIT))
}

/// Free bytes of the filesystem holding `dir`, if known.
fn free_space(dir: &std::path::Path) -> Option<u64> {
    #[cfg(unix)]
    {
        let s = nix::sys::statvfs::statvfs(dir).ok()?;
        // the field types differ between platforms (u32 on some)
        #[allow(clippy::useless_conversion)]
        Some(u64::from(s.blocks_available()).saturating_mul(u64::from(s.fragment_size())))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
}

/// The process's scratch-space budget (bytes).
pub fn scratch_limit() -> u64 {
    *SCRATCH.get_or_init(|| {
        if let Some(v) = env_size("FERRET_SCRATCH_LIMIT") {
            return v;
        }
        let tmp = std::env::temp_dir();
        let limit = match free_space(&tmp) {
            Some(free) => (free / 2).min(DEFAULT_SCRATCH_LIMIT),
            None => DEFAULT_SCRATCH_LIMIT,
        };
        tracing::debug!("scratch space budget: {limit} bytes in {}", tmp.display());
        limit
    })
}

/// Scratch bytes reserved now.
pub fn scratch_used() -> u64 {
    USED.load(Ordering::Relaxed)
}

/// The most scratch bytes ever reserved at once by this process.
pub fn scratch_peak() -> u64 {
    PEAK.load(Ordering::Relaxed)
}

/// Checks a size known before reading (file size, archive header) against [`artifact_limit`].
pub fn check_artifact(size: u64) -> Result<(), BudgetError> {
    let limit = artifact_limit();
    if size > limit { Err(BudgetError::Artifact { size, limit }) } else { Ok(()) }
}

/// Scratch bytes held; released when dropped (drop it after the scratch file is removed).
#[derive(Debug, Default)]
pub struct Reservation {
    bytes: u64,
}

impl Reservation {
    /// Reserves `n` more bytes from the process's scratch budget.
    pub fn grow(&mut self, n: u64) -> Result<(), BudgetError> {
        let limit = scratch_limit();
        let mut cur = USED.load(Ordering::Relaxed);
        loop {
            let next = cur.saturating_add(n);
            if next > limit {
                return Err(BudgetError::Scratch { want: n, used: cur, limit });
            }
            match USED.compare_exchange_weak(cur, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => {
                    PEAK.fetch_max(next, Ordering::Relaxed);
                    self.bytes += n;
                    return Ok(());
                }
                Err(actual) => cur = actual,
            }
        }
    }

    /// Bytes held.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Moves `other`'s bytes into this reservation.
    pub fn absorb(&mut self, mut other: Reservation) {
        self.bytes += std::mem::take(&mut other.bytes);
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.bytes > 0 {
            USED.fetch_sub(self.bytes, Ordering::Relaxed);
        }
    }
}

/// Reserves `n` bytes of scratch space.
pub fn reserve(n: u64) -> Result<Reservation, BudgetError> {
    let mut r = Reservation::default();
    r.grow(n)?;
    Ok(r)
}

/// A writer into scratch space: every byte is reserved from the process's budget before it is
/// written, and one file may not exceed [`artifact_limit`]. Errors are `io::Error`s wrapping a
/// [`BudgetError`] (see [`budget_error`]).
#[derive(Debug)]
pub struct ScratchWriter<W> {
    inner: W,
    reservation: Reservation,
    written: u64,
    limit: u64,
}

impl<W: Write> ScratchWriter<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        Self { inner, reservation: Reservation::default(), written: 0, limit: artifact_limit() }
    }

    /// Wraps `inner` for a copy of a whole acquisition (e.g. a decrypted archive): only the
    /// scratch budget applies, not the artifact-size budget.
    pub fn whole_acquisition(inner: W) -> Self {
        Self { inner, reservation: Reservation::default(), written: 0, limit: u64::MAX }
    }

    /// Bytes written.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The reservation for the bytes written, and the inner writer.
    pub fn into_parts(self) -> (W, Reservation) {
        (self.inner, self.reservation)
    }
}

impl<W: Write> Write for ScratchWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = buf.len() as u64;
        let after = self.written.saturating_add(n);
        if after > self.limit {
            return Err(std::io::Error::other(BudgetError::Artifact { size: after, limit: self.limit }));
        }
        self.reservation.grow(n).map_err(std::io::Error::other)?;
        let w = self.inner.write(buf)?;
        self.written += w as u64;
        Ok(w)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The budget error inside an I/O error made by [`ScratchWriter`], if any.
pub fn budget_error(e: &std::io::Error) -> Option<&BudgetError> {
    e.get_ref().and_then(|inner| inner.downcast_ref::<BudgetError>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("1048576"), Some(1 << 20));
        assert_eq!(parse_size("8G"), Some(8 << 30));
        assert_eq!(parse_size(" 512m "), Some(512 << 20));
        assert_eq!(parse_size("x"), None);
        assert_eq!(parse_size("99999999999T"), None);
    }

    #[test]
    fn reservations_are_counted_and_released() {
        let base = scratch_used();
        let mut r = reserve(1000).expect("reserve");
        assert!(scratch_used() >= base + 1000);
        assert!(scratch_peak() >= base + 1000);
        r.grow(24).expect("grow");
        assert_eq!(r.bytes(), 1024);
        let too_much = reserve(u64::MAX).expect_err("over budget");
        assert!(matches!(too_much, BudgetError::Scratch { .. }), "{too_much}");
        drop(r);
        assert!(check_artifact(u64::MAX).is_err());
        let mut w = ScratchWriter::new(Vec::new());
        w.write_all(b"hello").expect("write");
        assert_eq!(w.written(), 5);
        let (v, res) = w.into_parts();
        assert_eq!((v.len() as u64, res.bytes()), (5, 5));
    }
}
