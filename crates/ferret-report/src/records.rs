//! `<module>.json`: a module's records, streamed to disk and streamed back.
//!
//! # Format
//! * [`OutputShape::List`]: a JSON array with one compact record per line:
//!   `[\n{..},\n{..}\n]\n`. Records are written as the module emits them (the module's own
//!   `ORDER BY` makes that order deterministic), never held in memory.
//! * [`OutputShape::Object`]: the single record, compact, followed by `\n`. A second record is an
//!   error (the module's contract says it emits at most one).
//! * A module that emits no record gets **no file** (as MVT does). Its status and record count
//!   (0) are in `info.json`, so "ran and found nothing" and "did not run" stay distinguishable.
//!
//! [`for_each_record`] reads either shape back one record at a time (any JSON formatting,
//! including MVT's indented files), so `check-iocs` never loads a whole file.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use ferret_core::{OutputShape, RecordSink};
use serde::de::{DeserializeSeed, SeqAccess, Visitor};

use crate::error::ReportError;

/// Writes one module's `<module>.json`; the file is created at the first record.
pub(crate) struct JsonRecordSink {
    path: PathBuf,
    shape: OutputShape,
    file: Option<BufWriter<File>>,
    count: u64,
    finished: bool,
}

impl JsonRecordSink {
    pub(crate) fn new(path: PathBuf, shape: OutputShape) -> Self {
        Self { path, shape, file: None, count: 0, finished: false }
    }

    fn close(&mut self) -> std::io::Result<()> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        if let Some(mut f) = self.file.take() {
            match self.shape {
                OutputShape::List => f.write_all(b"\n]\n")?,
                OutputShape::Object => f.write_all(b"\n")?,
            }
            f.flush()?;
        }
        Ok(())
    }
}

impl RecordSink for JsonRecordSink {
    fn record(&mut self, json: &[u8]) -> std::io::Result<()> {
        if self.finished {
            return Err(std::io::Error::other(format!("{}: record after finish", self.path.display())));
        }
        if self.shape == OutputShape::Object && self.count > 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: a single-object module emitted a second record", self.path.display()),
            ));
        }
        let f = match &mut self.file {
            Some(f) => {
                f.write_all(b",\n")?;
                f
            }
            None => {
                let mut f = BufWriter::with_capacity(64 * 1024, File::create(&self.path)?);
                if self.shape == OutputShape::List {
                    f.write_all(b"[\n")?;
                }
                self.file.insert(f)
            }
        };
        f.write_all(json)?;
        self.count += 1;
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.close()
    }
}

impl Drop for JsonRecordSink {
    fn drop(&mut self) {
        // Best effort: keep the file valid JSON if the runner never called finish.
        let _ = self.close();
    }
}

/// Discards records (runs without `--output`, and `check-iocs`).
pub(crate) struct NullRecords;

impl RecordSink for NullRecords {
    fn record(&mut self, _json: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
}

/// Calls `f` with every record of a stored `<module>.json`, in file order, without loading the
/// file at once. Accepts a JSON array of records or a single object (which counts as one
/// record). Returns the number of records seen. `f` returning `Err` stops the walk.
pub fn for_each_record(
    path: &Path,
    f: &mut dyn FnMut(serde_json::Value) -> Result<(), ReportError>,
) -> Result<u64, ReportError> {
    let file = File::open(path).map_err(|e| ReportError::io("open", path, e))?;
    let reader = BufReader::with_capacity(256 * 1024, file);
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut state = Walk { f, count: 0, user_error: None };
    let result = DeserializeSeed::deserialize(&mut state, &mut de).and_then(|()| de.end());
    if let Some(e) = state.user_error.take() {
        return Err(e);
    }
    result.map_err(|e| ReportError::json(path, e))?;
    Ok(state.count)
}

struct Walk<'f> {
    f: &'f mut dyn FnMut(serde_json::Value) -> Result<(), ReportError>,
    count: u64,
    user_error: Option<ReportError>,
}

impl Walk<'_> {
    fn give<E: serde::de::Error>(&mut self, v: serde_json::Value) -> Result<(), E> {
        self.count += 1;
        (self.f)(v).map_err(|e| {
            self.user_error = Some(e);
            E::custom("stopped")
        })
    }
}

impl<'de> DeserializeSeed<'de> for &mut Walk<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for &mut Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON array of records or one record object")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<serde_json::Value>()? {
            self.give(v)?;
        }
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        use serde::Deserialize;
        let v = serde_json::Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        self.give(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(path: &Path) -> Result<Vec<serde_json::Value>, ReportError> {
        let mut v = Vec::new();
        for_each_record(path, &mut |r| {
            v.push(r);
            Ok(())
        })?;
        Ok(v)
    }

    #[test]
    fn list_shape_one_record_per_line_and_streams_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("m.json");
        let mut s = JsonRecordSink::new(p.clone(), OutputShape::List);
        s.record(br#"{"a":1}"#).expect("write");
        s.record(br#"{"a":"x\ny"}"#).expect("write");
        s.finish().expect("finish");
        let text = std::fs::read_to_string(&p).expect("read");
        assert_eq!(text, "[\n{\"a\":1},\n{\"a\":\"x\\ny\"}\n]\n");
        let back = collect(&p).expect("parse");
        assert_eq!(back, vec![serde_json::json!({"a":1}), serde_json::json!({"a":"x\ny"})]);
    }

    #[test]
    fn empty_module_writes_no_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("m.json");
        let mut s = JsonRecordSink::new(p.clone(), OutputShape::List);
        s.finish().expect("finish");
        drop(s);
        assert!(!p.exists());
    }

    #[test]
    fn object_shape_and_second_record_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("o.json");
        let mut s = JsonRecordSink::new(p.clone(), OutputShape::Object);
        s.record(br#"{"k":"v"}"#).expect("write");
        assert!(s.record(br#"{"k":"w"}"#).is_err());
        s.finish().expect("finish");
        assert_eq!(std::fs::read_to_string(&p).expect("read"), "{\"k\":\"v\"}\n");
        assert_eq!(collect(&p).expect("parse"), vec![serde_json::json!({"k":"v"})]);
    }

    #[test]
    fn reads_indented_mvt_style_and_rejects_garbage() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("m.json");
        std::fs::write(&p, "[\n    {\n        \"a\": 1\n    },\n    {\"a\": 2}\n]").expect("write");
        assert_eq!(collect(&p).expect("parse").len(), 2);
        std::fs::write(&p, "[{\"a\": 1},").expect("write");
        let e = collect(&p).expect_err("truncated");
        assert!(e.to_string().contains("m.json"), "{e}");
        std::fs::write(&p, "42").expect("write");
        assert!(collect(&p).is_err());
        std::fs::write(&p, "[] trailing").expect("write");
        assert!(collect(&p).is_err());
        std::fs::write(&p, "").expect("write");
        assert!(collect(&p).is_err());
        let deep = format!("[{}{}]", "[".repeat(10_000), "]".repeat(10_000));
        std::fs::write(&p, deep).expect("write");
        assert!(collect(&p).is_err(), "recursion limit reached, no stack overflow");
    }

    #[test]
    fn callback_error_stops_walk() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("m.json");
        std::fs::write(&p, "[1,2,3]").expect("write");
        let mut n = 0;
        let r = for_each_record(&p, &mut |_| {
            n += 1;
            if n == 2 { Err(ReportError::Format { path: "x".into(), reason: "stop".into() }) } else { Ok(()) }
        });
        assert!(matches!(r, Err(ReportError::Format { .. })));
        assert_eq!(n, 2);
    }
}
