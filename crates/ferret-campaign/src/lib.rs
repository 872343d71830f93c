//! # ferret-campaign
//!
//! Campaign mode: from one phone to every target of a campaign. Works on result folders only,
//! never on acquisitions.
//!
//! * [`case`]: finding result folders and naming them (a device is named by its folder), reading
//!   their `observables.jsonl` (or rebuilding it for folders written before it existed), alerts
//!   and acquisition type;
//! * [`correlate`]: ranks the values several devices share, rare in the population and close in
//!   time to the devices' alerts, and groups devices linked by them into clusters;
//! * [`stix`]: the clusters' leads as a STIX 2.1 bundle (`candidates.stix2`), without device
//!   names;
//! * [`html`]: the page `campaign.html`;
//! * [`hunt`]: every stored case against new indicators, through an index of distinct values;
//! * [`export`]: the observables and alerts as JSONL, CSV or Parquet for engines beyond one
//!   machine (`sql/correlate.sql` ranks the same leads there).
//!
//! Observables are the values modules check against indicators (see
//! [`ferret_core::observe`]), so `hunt` finds what a full re-check would, and `correlate` sees
//! the same values an indicator could name.

pub mod case;
pub mod correlate;
pub mod export;
pub mod html;
pub mod hunt;
#[cfg(feature = "parquet")]
mod parquet_out;
pub mod stix;

use std::path::{Path, PathBuf};

use ferret_core::observe::ObservableKind;
use ferret_core::{Indicators, MatchedIndicator};

pub use case::{Case, CaseData, discover};
pub use correlate::{Correlation, Correlator, Params};

/// Errors of campaign mode. Every variant names the path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CampaignError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is not what ferret writes.
    #[error("{path}: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A path that should be a folder is not.
    #[error("{path}: no such folder")]
    NotAFolder {
        /// The path.
        path: PathBuf,
    },
    /// A folder holds no results folder (no `info.json` up to 4 levels down).
    #[error(
        "{path}: no ferret results folder in it (looked for info.json up to 4 folders down); give folders written by `ferret check ... -o DIR`"
    )]
    NoResults {
        /// The folder.
        path: PathBuf,
    },
    /// The output folder already holds files.
    #[error("{path}: the output folder is not empty")]
    NotEmpty {
        /// The folder.
        path: PathBuf,
    },
    /// Something this build cannot do.
    #[error("{what}")]
    Unsupported {
        /// What.
        what: String,
    },
}

/// The fuzz entry point for the files campaign mode reads from result folders and its cache:
/// the first byte picks the reader (0 `observables.jsonl`, 1 a hunt index, 2 an observation
/// run), the rest is the file. Returns how many items were read.
pub fn fuzz_files(data: &[u8]) -> Result<usize, CampaignError> {
    let (&mode, rest) = data.split_first().ok_or_else(|| CampaignError::Unsupported { what: "empty input".into() })?;
    let name = Path::new("fuzz");
    match mode % 3 {
        0 => {
            let mut n = 0;
            case::scan_observables_from(std::io::Cursor::new(rest), name, &mut |_, _, line| {
                let _: ferret_core::observe::Observable = serde_json::from_str(line)
                    .map_err(|e| CampaignError::Format { path: name.to_path_buf(), reason: e.to_string() })?;
                n += 1;
                Ok(())
            })?;
            Ok(n)
        }
        1 => Ok(hunt::read_from(std::io::Cursor::new(rest), name)?.values.len()),
        _ => ferret_core::observe::read_run(std::io::Cursor::new(rest))
            .try_fold(0, |n, e| e.map(|_| n + 1))
            .map_err(|source| CampaignError::Io { path: name.to_path_buf(), source }),
    }
}

/// Asks `indicators` about one observable, with the question its kind calls for.
pub fn check(indicators: &dyn Indicators, kind: ObservableKind, value: &str) -> Option<MatchedIndicator> {
    match kind {
        ObservableKind::Domain | ObservableKind::Ip => indicators.check_domain(value),
        ObservableKind::Url => indicators.check_url(value),
        ObservableKind::Email => indicators.check_email(value),
        ObservableKind::Phone => indicators.check_phone(value),
        ObservableKind::Process => indicators.check_process(value),
        ObservableKind::FilePath => indicators.check_file_path(value),
        ObservableKind::FileName => indicators.check_file_name(value),
        ObservableKind::FileHash => indicators.check_file_hash(value),
        ObservableKind::AppId => indicators.check_app_id(value),
        ObservableKind::CertHash => indicators.check_app_cert_hash(value),
        ObservableKind::Profile => indicators.check_profile(value),
        ObservableKind::AndroidProperty => indicators.check_android_property(value),
    }
}

/// Reads `cases` in parallel windows (on `threads` threads), calling `f` in case order with
/// what `read` made of each (the result does not depend on the thread count).
fn in_windows<T: Send>(
    cases: &[Case],
    threads: usize,
    read: &(dyn Fn(&Case) -> Result<T, CampaignError> + Sync),
    mut f: impl FnMut(&Case, Result<T, CampaignError>),
) {
    let window = threads * 8;
    for group in cases.chunks(window) {
        let loaded: Vec<Result<T, CampaignError>> = std::thread::scope(|s| {
            let per = group.len().div_ceil(threads).max(1);
            let handles: Vec<_> =
                group.chunks(per).map(|part| s.spawn(move || part.iter().map(read).collect::<Vec<_>>())).collect();
            handles
                .into_iter()
                .flat_map(|h| {
                    h.join().unwrap_or_else(|_| {
                        vec![Err(CampaignError::Unsupported { what: "a reader thread panicked".into() })]
                    })
                })
                .collect()
        });
        for (c, data) in group.iter().zip(loaded) {
            f(c, data);
        }
    }
}

/// A hasher for keys that already are hashes ([`value_hash`]): the map uses them as they are.
#[derive(Default)]
struct Prehashed(u64);

impl std::hash::Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

fn value_hash(kind: ObservableKind, value: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    kind.hash(&mut h);
    value.hash(&mut h);
    h.finish()
}

/// Correlates `cases` (read on up to `threads` threads, 0 = one per core). A case that cannot
/// be read is returned in the error list and left out.
///
/// Two passes keep memory to what can rank: the first counts, per 64-bit hash of each
/// `(kind, value)`, how many devices hold it (most values are on one device only); the second
/// keeps exactly the values whose hash count makes them candidates, and the ranking counts
/// devices again on the exact values (a hash collision only lets a value through to be dropped
/// there).
pub fn correlate_cases(
    cases: &[Case],
    modules: &crate::case::ModuleTable<'_>,
    indicators: &dyn Indicators,
    params: Params,
    threads: usize,
) -> (Correlation, Vec<CampaignError>) {
    let threads = match threads {
        0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        n => n,
    }
    .clamp(1, 64);
    let mut counts: std::collections::HashMap<u64, u32, std::hash::BuildHasherDefault<Prehashed>> =
        std::collections::HashMap::default();
    let mut totals: Vec<Option<usize>> = Vec::with_capacity(cases.len());
    let mut errors = Vec::new();
    let hashes = |c: &Case| -> Result<Vec<u64>, CampaignError> {
        let mut h: Vec<u64> = Vec::new();
        case::case_observables(c, modules, None, &mut |k, v| {
            h.push(value_hash(k, v));
            false
        })?;
        h.sort_unstable();
        h.dedup();
        Ok(h)
    };
    in_windows(cases, threads, &hashes, |_, r| match r {
        Ok(h) => {
            totals.push(Some(h.len()));
            for x in h {
                *counts.entry(x).or_default() += 1;
            }
        }
        Err(e) => {
            totals.push(None);
            errors.push(e);
        }
    });
    let n = totals.iter().flatten().count();
    let max_df = (params.max_share * n as f64).floor() as u32;
    let keep = |k: ObservableKind, v: &str| counts.get(&value_hash(k, v)).is_some_and(|&c| c >= 2 && c <= max_df);
    let mut correlator = Correlator::new();
    let mut i = 0;
    let readable: Vec<Case> = cases.iter().zip(&totals).filter(|(_, t)| t.is_some()).map(|(c, _)| c.clone()).collect();
    let totals: Vec<usize> = totals.into_iter().flatten().collect();
    let load = |c: &Case| case::load_keeping(c, modules, &keep);
    in_windows(&readable, threads, &load, |c, r| {
        match r {
            Ok(d) => correlator.add(c, d, totals.get(i).copied().unwrap_or(0)),
            Err(e) => errors.push(e),
        }
        i += 1;
    });
    (correlator.finish(indicators, params), errors)
}

/// Writes `correlation.json`, `clusters.json`, `candidates.stix2` and `campaign.html` into `out`
/// (created; `share` numbers the devices in `campaign.html` instead of naming them).
pub fn write_outputs(c: &Correlation, out: &Path, share: bool) -> Result<(), CampaignError> {
    let io = |p: PathBuf| move |source| CampaignError::Io { path: p, source };
    std::fs::create_dir_all(out).map_err(io(out.to_path_buf()))?;
    let json = |name: &str, v: &dyn erased::Json| -> Result<(), CampaignError> {
        let p = out.join(name);
        let mut bytes = v.to_pretty().map_err(|e| CampaignError::Format { path: p.clone(), reason: e.to_string() })?;
        bytes.push(b'\n');
        std::fs::write(&p, bytes).map_err(io(p.clone()))
    };
    json("correlation.json", c)?;
    json("clusters.json", &c.clusters)?;
    json("candidates.stix2", &stix::bundle(c))?;
    let p = out.join("campaign.html");
    std::fs::write(&p, html::page(c, share)).map_err(io(p.clone()))
}

mod erased {
    /// Object-safe pretty JSON.
    pub trait Json {
        fn to_pretty(&self) -> serde_json::Result<Vec<u8>>;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_pretty(&self) -> serde_json::Result<Vec<u8>> {
            serde_json::to_vec_pretty(self)
        }
    }
}
