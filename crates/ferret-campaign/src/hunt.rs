//! `ferret hunt`: which stored cases match new indicators, without their acquisitions.
//!
//! Every case's observables are the values its modules checked against indicators (see
//! [`ferret_core::observe`]), so checking each distinct value of all cases once against the new
//! indicators finds exactly the cases a full re-check would flag. The distinct values and the
//! cases holding them are kept in an index file in ferret's cache (one per set of case folders,
//! [`index_file_in`]; never among the cases, which are the command's input), rebuilt when a case
//! was added, removed or re-checked; a hunt then reads only the index. For the matched cases, the CLI runs `check-iocs` to give the full alerts with levels.
//!
//! Index format (text, one record per line): a JSON header
//! `{"format":"ferret-hunt-index/1","cases":[{"id","dir","stamp"}]}`, then one line per distinct
//! value, `kind<TAB>value<TAB>case,case,...` (case numbers index the header's list; values never
//! hold a tab or a line break: observables with control characters are not kept).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use ferret_core::observe::ObservableKind;
use ferret_core::{Indicators, MatchedIndicator};
use serde::{Deserialize, Serialize};

use crate::CampaignError;
use crate::case::Case;

/// The index of `cases` in the cache folder `dir`: one file per set of case folders.
pub fn index_file_in(dir: &Path, cases: &[Case]) -> PathBuf {
    use sha2::Digest as _;
    let key: Vec<String> = cases.iter().map(|c| c.dir.display().to_string()).collect();
    let digest = sha2::Sha256::digest(key.join("\n").as_bytes());
    dir.join(format!("{}.idx", hex::encode(&digest[..12])))
}
const FORMAT: &str = "ferret-hunt-index/1";

/// One case in the index header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedCase {
    /// Name.
    pub id: String,
    /// Folder.
    pub dir: PathBuf,
    /// Size and modification time of what its values were read from.
    pub stamp: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: String,
    cases: Vec<IndexedCase>,
}

/// The distinct values of many cases.
#[derive(Debug, Default)]
pub struct HuntIndex {
    /// The cases.
    pub cases: Vec<IndexedCase>,
    /// `(kind, value, cases holding it)`, sorted by kind and value.
    pub values: Vec<(ObservableKind, String, Vec<u32>)>,
}

/// How the index was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexState {
    /// Read from the index file: nothing changed since it was written.
    Loaded,
    /// Built (no index file, or it was out of date) and written.
    Built,
    /// Built in memory only (no place to write it, or writing failed).
    InMemory,
}

fn stamp(case: &Case) -> String {
    let p = case.dir.join(ferret_report::OBSERVABLES);
    let p = if p.is_file() { p } else { case.dir.join("info.json") };
    match std::fs::metadata(&p) {
        Ok(m) => {
            let mtime = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!(
                "{}:{}:{mtime}",
                p.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                m.len()
            )
        }
        Err(_) => "missing".into(),
    }
}

/// Builds the index of `cases` (observables of older folders rebuilt with `modules`).
pub fn build(cases: &[Case], modules: &crate::case::ModuleTable<'_>) -> Result<HuntIndex, CampaignError> {
    let mut map: BTreeMap<(ObservableKind, String), Vec<u32>> = BTreeMap::new();
    let mut indexed = Vec::with_capacity(cases.len());
    for (i, c) in cases.iter().enumerate() {
        let st = stamp(c);
        // kind and value only (alerts and the acquisition are not needed)
        crate::case::case_observables(c, modules, None, &mut |k, v| {
            let e = map.entry((k, v.to_string())).or_default();
            if e.last() != Some(&(i as u32)) {
                e.push(i as u32);
            }
            false
        })?;
        indexed.push(IndexedCase { id: c.id.clone(), dir: c.dir.clone(), stamp: st });
    }
    Ok(HuntIndex { cases: indexed, values: map.into_iter().map(|((k, v), c)| (k, v, c)).collect() })
}

/// Writes the index to `path` (through a temporary file renamed into place).
pub fn write(index: &HuntIndex, path: &Path) -> Result<(), CampaignError> {
    let io = |source| CampaignError::Io { path: path.to_path_buf(), source };
    let tmp = path.with_extension("tmp");
    let mut w = BufWriter::with_capacity(1 << 16, std::fs::File::create(&tmp).map_err(io)?);
    let header = Header { format: FORMAT.into(), cases: index.cases.clone() };
    serde_json::to_writer(&mut w, &header).map_err(|e| io(std::io::Error::other(e)))?;
    w.write_all(b"\n").map_err(io)?;
    let mut line = String::new();
    for (k, v, cases) in &index.values {
        line.clear();
        line.push_str(k.as_str());
        line.push('\t');
        line.push_str(v);
        line.push('\t');
        for (j, c) in cases.iter().enumerate() {
            if j > 0 {
                line.push(',');
            }
            line.push_str(&c.to_string());
        }
        line.push('\n');
        w.write_all(line.as_bytes()).map_err(io)?;
    }
    w.flush().map_err(io)?;
    drop(w);
    std::fs::rename(&tmp, path).map_err(io)
}

/// Reads an index file.
pub fn read(path: &Path) -> Result<HuntIndex, CampaignError> {
    let file = std::fs::File::open(path).map_err(|source| CampaignError::Io { path: path.to_path_buf(), source })?;
    read_from(BufReader::with_capacity(1 << 20, file), path)
}

/// [`read`] on any reader; `path` names it in errors.
pub fn read_from(r: impl BufRead, path: &Path) -> Result<HuntIndex, CampaignError> {
    let bad = |reason: String| CampaignError::Format { path: path.to_path_buf(), reason };
    let mut lines = r.lines();
    let header: Header = match lines.next() {
        Some(Ok(l)) => serde_json::from_str(&l).map_err(|e| bad(format!("header: {e}")))?,
        _ => return Err(bad("empty".into())),
    };
    if header.format != FORMAT {
        return Err(bad(format!("format {:?}, expected {FORMAT:?}", header.format)));
    }
    let n = header.cases.len() as u32;
    let mut values = Vec::new();
    for (i, l) in lines.enumerate() {
        let l = l.map_err(|source| CampaignError::Io { path: path.to_path_buf(), source })?;
        let mut parts = l.splitn(3, '\t');
        let (Some(k), Some(v), Some(c)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad(format!("line {}: not kind, value and cases", i + 2)));
        };
        let kind = ObservableKind::parse(k).ok_or_else(|| bad(format!("line {}: unknown kind {k:?}", i + 2)))?;
        let cases: Vec<u32> = c
            .split(',')
            .map(|x| x.parse::<u32>().ok().filter(|&x| x < n))
            .collect::<Option<Vec<u32>>>()
            .ok_or_else(|| bad(format!("line {}: bad case list", i + 2)))?;
        values.push((kind, v.to_string(), cases));
    }
    Ok(HuntIndex { cases: header.cases, values })
}

/// The index of `cases`: read from `path` when it lists exactly these cases with the same
/// stamps, else built (and written to `path` when given).
pub fn open(
    cases: &[Case],
    path: Option<&Path>,
    modules: &crate::case::ModuleTable<'_>,
) -> Result<(HuntIndex, IndexState), CampaignError> {
    if let Some(p) = path
        && p.is_file()
        && let Ok(idx) = read(p)
    {
        let same = idx.cases.len() == cases.len()
            && idx.cases.iter().zip(cases).all(|(a, b)| a.dir == b.dir && a.id == b.id && a.stamp == stamp(b));
        if same {
            return Ok((idx, IndexState::Loaded));
        }
    }
    let idx = build(cases, modules)?;
    let state = match path {
        Some(p) if write(&idx, p).is_ok() => IndexState::Built,
        _ => IndexState::InMemory,
    };
    Ok((idx, state))
}

/// One value of a case that matches an indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HuntMatch {
    /// Kind.
    pub kind: ObservableKind,
    /// Value.
    pub value: String,
    /// The indicator.
    pub indicator: MatchedIndicator,
}

/// A case with matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseHits {
    /// Name.
    pub id: String,
    /// Folder.
    pub dir: PathBuf,
    /// Its matching values, by kind and value.
    pub matches: Vec<HuntMatch>,
}

/// Checks every distinct value once against `indicators` (on `threads` threads; 0 = one per
/// core) and returns the cases that match, in index order.
pub fn hunt(index: &HuntIndex, indicators: &dyn Indicators, threads: usize) -> Vec<CaseHits> {
    let threads = match threads {
        0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        n => n,
    }
    .clamp(1, 64);
    let chunk = index.values.len().div_ceil(threads).max(1);
    let found: Vec<Vec<(usize, MatchedIndicator)>> = std::thread::scope(|s| {
        let handles: Vec<_> = index
            .values
            .chunks(chunk)
            .enumerate()
            .map(|(ci, part)| {
                s.spawn(move || {
                    part.iter()
                        .enumerate()
                        .filter_map(|(i, (k, v, _))| crate::check(indicators, *k, v).map(|m| (ci * chunk + i, m)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
    });
    let mut per_case: BTreeMap<u32, Vec<HuntMatch>> = BTreeMap::new();
    for (i, m) in found.into_iter().flatten() {
        let Some((k, v, cases)) = index.values.get(i) else { continue };
        for &c in cases {
            per_case.entry(c).or_default().push(HuntMatch { kind: *k, value: v.clone(), indicator: m.clone() });
        }
    }
    per_case
        .into_iter()
        .filter_map(|(c, matches)| {
            let case = index.cases.get(c as usize)?;
            Some(CaseHits { id: case.id.clone(), dir: case.dir.clone(), matches })
        })
        .collect()
}
