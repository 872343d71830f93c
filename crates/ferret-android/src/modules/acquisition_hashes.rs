//! `acquisition_hashes`: verifies the androidqf `hashes.csv` (SHA-256 of every collected file).
//!
//! Paths in `hashes.csv` are taken relative to the folder holding it. Checks: a file whose
//! SHA-256 differs → HIGH "acquisition file modified" (the evidence was altered after
//! collection); a listed file that is missing → LOW.

use ferret_core::{
    ArtifactModule, Context, EvidenceFile, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome,
};
use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::parsers::aqf::parse_hashes_csv;

/// One verified file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashCheck {
    /// Path as listed.
    pub path: String,
    /// Listed SHA-256.
    pub expected: String,
    /// Computed SHA-256 (`None` when missing).
    pub actual: Option<String>,
    /// `ok`, `modified` or `missing`.
    pub status: String,
}

/// The module.
#[derive(Debug, Clone, Copy)]
pub struct AcquisitionHashes;

static PATHS: &[&str] = &["hashes.csv", "*/hashes.csv"];

impl ArtifactModule for AcquisitionHashes {
    type Record = HashCheck;
    const NAME: &'static str = "acquisition_hashes";
    const DESCRIPTION: &'static str = "Verifies the SHA-256 of collected files against hashes.csv";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some(file) = ctx.evidence.locate(&Locator { backup: &[], paths: PATHS })?.into_iter().next() else {
            return Ok(Outcome::NotFound);
        };
        let dir = file.path.rsplit_once('/').map(|(d, _)| format!("{d}/")).unwrap_or_default();
        let bytes = ctx.evidence.read(&file, 64 << 20)?;
        let mut all = std::collections::HashMap::new();
        ctx.evidence.walk(&mut |f: &EvidenceFile| {
            all.insert(f.path.clone(), f.clone());
        })?;
        for (path, expected) in parse_hashes_csv(&String::from_utf8_lossy(&bytes)) {
            let full = format!("{dir}{}", path.trim_start_matches("./"));
            let actual = match all.get(&full).or_else(|| all.get(&path)) {
                None => None,
                Some(f) => {
                    let mut h = sha2::Sha256::new();
                    let mut r = ctx.evidence.open(f)?;
                    let mut buf = vec![0u8; 1 << 20];
                    loop {
                        let n =
                            r.read(&mut buf).map_err(|e| ModuleError::format(&f.path, format!("cannot read: {e}")))?;
                        if n == 0 {
                            break;
                        }
                        h.update(&buf[..n]);
                    }
                    Some(hex::encode(h.finalize()))
                }
            };
            let status = match &actual {
                None => "missing",
                Some(a) if *a == expected => "ok",
                Some(_) => "modified",
            };
            out.record(HashCheck { path, expected, actual, status: status.into() })?;
        }
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &HashCheck, _ind: &dyn Indicators, f: &mut Vec<Finding>) {
        match r.status.as_str() {
            "modified" => f.push(Finding::heuristic(
                Level::High,
                format!("{}: acquisition file modified after collection (SHA-256 differs from hashes.csv)", r.path),
                None,
            )),
            "missing" => f.push(Finding::heuristic(
                Level::Low,
                format!("{}: listed in hashes.csv but missing from the acquisition", r.path),
                None,
            )),
            _ => {}
        }
    }
}

use std::io::Read;
