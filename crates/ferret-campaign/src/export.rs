//! `ferret export`: the observables of many cases as a dataset for engines beyond one machine.
//!
//! Layout under the output folder (one folder per case, so each scan job can write its own part
//! and engines read `observables/*/*`):
//! * `cases.<ext>`: `case_id`, `dir`, `acquisition`, `rebuilt`;
//! * `observables/<case>/part-0.<ext>`: `case_id`, `kind`, `value`, `first_seen_us`,
//!   `last_seen_us` (microseconds since 1970, UTC; null when unknown), `count`, `modules`
//!   (comma-separated);
//! * `alerts/<case>/part-0.<ext>`: `case_id`, `time_us` (null when the alert has no time), `level`,
//!   `level_rank` (0 informational … 4 critical), `indicator` (the matched indicator's value, or
//!   null).
//!
//! `<ext>` is `jsonl` (one object per line), `csv` (RFC 4180 with a header) or, with the
//! `parquet` feature, `parquet` (snappy). `sql/correlate.sql` ranks the same leads as
//! `ferret correlate` from these tables.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use ferret_core::{Alert, Level};
use serde::Serialize;

use crate::CampaignError;
use crate::case::{Case, load};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header.
    Csv,
    /// Apache Parquet (needs the `parquet` feature).
    Parquet,
}

impl Format {
    fn ext(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }
}

/// One row of `cases`.
#[derive(Debug, Clone, Serialize)]
pub struct CaseRow {
    /// Case name.
    pub case_id: String,
    /// Results folder.
    pub dir: String,
    /// Acquisition type.
    pub acquisition: Option<String>,
    /// Observables rebuilt from module JSON.
    pub rebuilt: bool,
}

/// One row of `observables`.
#[derive(Debug, Clone, Serialize)]
pub struct ObservableRow {
    /// Case name.
    pub case_id: String,
    /// Kind.
    pub kind: String,
    /// Value.
    pub value: String,
    /// First seen, µs since 1970.
    pub first_seen_us: Option<i64>,
    /// Last seen, µs since 1970.
    pub last_seen_us: Option<i64>,
    /// Times checked.
    pub count: u64,
    /// Modules, comma-separated.
    pub modules: String,
}

/// One row of `alerts`.
#[derive(Debug, Clone, Serialize)]
pub struct AlertRow {
    /// Case name.
    pub case_id: String,
    /// When, µs since 1970.
    pub time_us: Option<i64>,
    /// Level name.
    pub level: String,
    /// 0 informational … 4 critical.
    pub level_rank: u8,
    /// The matched indicator's value.
    pub indicator: Option<String>,
}

fn level_rank(l: Level) -> u8 {
    match l {
        Level::Info => 0,
        Level::Low => 1,
        Level::Medium => 2,
        Level::High => 3,
        Level::Critical => 4,
    }
}

/// A case name as a folder name: characters other than letters, digits, `.`, `_` and `-`
/// become `_`, and a hash of the name is appended when that changed it (names stay distinct).
pub fn part_name(id: &str) -> String {
    let safe: String =
        id.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' }).collect();
    let safe = safe.trim_start_matches('.').to_string();
    if safe == id && !safe.is_empty() {
        return safe;
    }
    use sha2::Digest as _;
    let h = hex::encode(&sha2::Sha256::digest(id.as_bytes())[..4]);
    format!("{safe}-{h}")
}

/// What an export wrote.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExportSummary {
    /// Cases exported.
    pub cases: usize,
    /// Observable rows.
    pub observables: u64,
    /// Alert rows.
    pub alerts: u64,
    /// Cases whose observables were rebuilt from module JSON.
    pub rebuilt: usize,
}

/// Exports `cases` into `out` (which must be new or empty) in `format`.
pub fn export(
    cases: &[Case],
    modules: &crate::case::ModuleTable<'_>,
    out: &Path,
    format: Format,
) -> Result<ExportSummary, CampaignError> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| CampaignError::Io { path: p.clone(), source }
    };
    if format == Format::Parquet && !cfg!(feature = "parquet") {
        return Err(CampaignError::Unsupported {
            what: "Parquet export: this ferret was built without the `parquet` feature (use --format jsonl or csv, or build with --features parquet)".into(),
        });
    }
    std::fs::create_dir_all(out).map_err(io(out))?;
    if std::fs::read_dir(out).map_err(io(out))?.next().is_some() {
        return Err(CampaignError::NotEmpty { path: out.to_path_buf() });
    }
    let mut summary = ExportSummary::default();
    let mut case_rows = Vec::with_capacity(cases.len());
    for c in cases {
        let data = load(c, modules)?;
        let part = part_name(&c.id);
        let obs: Vec<ObservableRow> = data
            .observables
            .iter()
            .map(|o| ObservableRow {
                case_id: c.id.clone(),
                kind: o.kind.as_str().to_string(),
                value: o.value.clone(),
                first_seen_us: o.first_seen.map(|t| t.as_microsecond()),
                last_seen_us: o.last_seen.map(|t| t.as_microsecond()),
                count: o.count,
                modules: o.modules.join(","),
            })
            .collect();
        let alerts_path = c.dir.join("alerts.json");
        let alerts: Vec<Alert> = if alerts_path.is_file() { crate::case::read_json(&alerts_path)? } else { Vec::new() };
        let arows: Vec<AlertRow> = alerts
            .iter()
            .map(|a| AlertRow {
                case_id: c.id.clone(),
                time_us: a.event_time.map(|t| t.as_microsecond()),
                level: a.level.as_str().to_string(),
                level_rank: level_rank(a.level),
                indicator: a.matched_indicator.as_ref().map(|m| m.value.clone()),
            })
            .collect();
        summary.observables += obs.len() as u64;
        summary.alerts += arows.len() as u64;
        summary.rebuilt += usize::from(data.rebuilt);
        let od = out.join("observables").join(&part);
        let ad = out.join("alerts").join(&part);
        std::fs::create_dir_all(&od).map_err(io(&od))?;
        std::fs::create_dir_all(&ad).map_err(io(&ad))?;
        write_rows(&od.join(format!("part-0.{}", format.ext())), &obs, format)?;
        write_rows(&ad.join(format!("part-0.{}", format.ext())), &arows, format)?;
        case_rows.push(CaseRow {
            case_id: c.id.clone(),
            dir: c.dir.display().to_string(),
            acquisition: data.acquisition,
            rebuilt: data.rebuilt,
        });
        summary.cases += 1;
    }
    write_rows(&out.join(format!("cases.{}", format.ext())), &case_rows, format)?;
    Ok(summary)
}

/// Rows a table can hold, in every format.
pub trait Row: Serialize {
    /// Column names and types, for Parquet.
    #[cfg(feature = "parquet")]
    fn batch(rows: &[Self]) -> Result<arrow_array::RecordBatch, arrow_schema::ArrowError>
    where
        Self: Sized;
}

fn write_rows<R: Row>(path: &PathBuf, rows: &[R], format: Format) -> Result<(), CampaignError> {
    let io = |source| CampaignError::Io { path: path.clone(), source };
    match format {
        Format::Jsonl => {
            let mut w = BufWriter::with_capacity(1 << 16, std::fs::File::create(path).map_err(io)?);
            for r in rows {
                serde_json::to_writer(&mut w, r).map_err(|e| io(std::io::Error::other(e)))?;
                w.write_all(b"\n").map_err(io)?;
            }
            w.flush().map_err(io)
        }
        Format::Csv => {
            let mut w = csv::WriterBuilder::new()
                .has_headers(true)
                .from_writer(BufWriter::with_capacity(1 << 16, std::fs::File::create(path).map_err(io)?));
            for r in rows {
                w.serialize(r).map_err(|e| io(std::io::Error::other(e)))?;
            }
            w.flush().map_err(io)
        }
        #[cfg(feature = "parquet")]
        Format::Parquet => crate::parquet_out::write(path, rows),
        #[cfg(not(feature = "parquet"))]
        Format::Parquet => {
            Err(CampaignError::Unsupported { what: "Parquet export (built without the `parquet` feature)".into() })
        }
    }
}

#[cfg(not(feature = "parquet"))]
impl Row for CaseRow {}
#[cfg(not(feature = "parquet"))]
impl Row for ObservableRow {}
#[cfg(not(feature = "parquet"))]
impl Row for AlertRow {}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn part_names_are_safe_and_distinct() {
        assert_eq!(part_name("dev-001"), "dev-001");
        assert_eq!(part_name("dev-003.ab"), "dev-003.ab");
        let a = part_name("alice/results");
        let b = part_name("alice_results");
        assert!(a.starts_with("alice_results-") && a != b, "{a} {b}");
        assert!(!part_name("../x").contains('/'));
        assert!(!part_name("..").starts_with('.'));
        assert!(!part_name("").is_empty());
    }
}
