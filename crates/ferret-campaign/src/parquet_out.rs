//! Parquet tables for `ferret export --format parquet` (feature `parquet`): one snappy-compressed
//! file per table part, the same columns as the JSONL and CSV forms.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray, UInt8Array, UInt64Array};
use arrow_schema::ArrowError;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::CampaignError;
use crate::export::{AlertRow, CaseRow, ObservableRow, Row};

fn strings<'a>(it: impl Iterator<Item = &'a str>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(it))
}

fn opt_strings<'a>(it: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(StringArray::from_iter(it))
}

impl Row for CaseRow {
    fn batch(rows: &[Self]) -> Result<RecordBatch, ArrowError> {
        RecordBatch::try_from_iter([
            ("case_id", strings(rows.iter().map(|r| r.case_id.as_str()))),
            ("dir", strings(rows.iter().map(|r| r.dir.as_str()))),
            ("acquisition", opt_strings(rows.iter().map(|r| r.acquisition.as_deref()))),
            ("rebuilt", Arc::new(BooleanArray::from_iter(rows.iter().map(|r| Some(r.rebuilt)))) as ArrayRef),
        ])
    }
}

impl Row for ObservableRow {
    fn batch(rows: &[Self]) -> Result<RecordBatch, ArrowError> {
        RecordBatch::try_from_iter([
            ("case_id", strings(rows.iter().map(|r| r.case_id.as_str()))),
            ("kind", strings(rows.iter().map(|r| r.kind.as_str()))),
            ("value", strings(rows.iter().map(|r| r.value.as_str()))),
            ("first_seen_us", Arc::new(Int64Array::from_iter(rows.iter().map(|r| r.first_seen_us))) as ArrayRef),
            ("last_seen_us", Arc::new(Int64Array::from_iter(rows.iter().map(|r| r.last_seen_us))) as ArrayRef),
            ("count", Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.count))) as ArrayRef),
            ("modules", strings(rows.iter().map(|r| r.modules.as_str()))),
        ])
    }
}

impl Row for AlertRow {
    fn batch(rows: &[Self]) -> Result<RecordBatch, ArrowError> {
        RecordBatch::try_from_iter([
            ("case_id", strings(rows.iter().map(|r| r.case_id.as_str()))),
            ("time_us", Arc::new(Int64Array::from_iter(rows.iter().map(|r| r.time_us))) as ArrayRef),
            ("level", strings(rows.iter().map(|r| r.level.as_str()))),
            ("level_rank", Arc::new(UInt8Array::from_iter_values(rows.iter().map(|r| r.level_rank))) as ArrayRef),
            ("indicator", opt_strings(rows.iter().map(|r| r.indicator.as_deref()))),
        ])
    }
}

/// Writes `rows` as one Parquet file.
pub(crate) fn write<R: Row>(path: &Path, rows: &[R]) -> Result<(), CampaignError> {
    let err = |reason: String| CampaignError::Format { path: path.to_path_buf(), reason };
    let batch = R::batch(rows).map_err(|e| err(e.to_string()))?;
    let file = std::fs::File::create(path).map_err(|source| CampaignError::Io { path: path.to_path_buf(), source })?;
    let props = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
    let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props)).map_err(|e| err(e.to_string()))?;
    w.write(&batch).map_err(|e| err(e.to_string()))?;
    w.close().map_err(|e| err(e.to_string()))?;
    Ok(())
}
