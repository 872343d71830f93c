//! `urls.json`: every URL found in the messages of a check, one entry per distinct URL.
//!
//! Gathered while the messaging modules' records are written to `<module>.json` (a `UrlTap`
//! around their record sink, set up by the results folder, so one place does it for both
//! platforms and every messaging module), and written once at the end of the run. The
//! messaging modules are [`MESSAGING_MODULES`] (iOS `sms` and `whatsapp`, Android `sms` from
//! androidqf or a backup); each of their records carries the links found in it (`links`, a list
//! of strings) and its time (`isodate`). The tap reads those two fields from the record's JSON
//! as it passes, on the module's own thread; nothing is read back from disk (reading 1.5M
//! stored records back cost 2-3 s of CPU at the end of a 1M-message check).
//!
//! Entry: `{url, modules, count, first_seen, last_seen}`: the modules whose messages hold the
//! URL (sorted), how many messages hold it, and the earliest and latest message time (`null`
//! when no message holding it has a time). Entries are sorted by URL, so the file is the same
//! from run to run. Memory is bounded: each tap holds at most 65,536 URLs, then writes them as a
//! sorted run into the private spill folder; the runs are merged once at the end.
//!
//! The file is written when at least one messaging module stored records (`[]` when they hold
//! no URL), and is absent otherwise (e.g. a `check-iocs` folder, which stores no records).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use ferret_core::RecordSink;
use ferret_core::observe::{NONE, ObservableKind, RunEntry, Stat};
use serde::{Deserialize, Serialize};

use crate::error::ReportError;
use crate::timeline::Spill;

/// File name.
pub const URLS_FILE: &str = "urls.json";

/// Modules whose records are messages with a `links` list.
pub const MESSAGING_MODULES: [&str; 2] = ["sms", "whatsapp"];

/// One entry of `urls.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageUrl {
    /// The URL as found.
    pub url: String,
    /// Messaging modules whose messages hold it.
    pub modules: Vec<String>,
    /// Messages holding it.
    pub count: u64,
    /// Earliest message time.
    pub first_seen: Option<String>,
    /// Latest message time.
    pub last_seen: Option<String>,
}

/// URLs a tap holds before it writes them to disk as a sorted run (about 10 MiB).
const TAP_BUFFER: usize = 65_536;

/// The URLs of every messaging module's records, filled by the [`UrlTap`]s of one run: sorted
/// runs on disk (in the results folder's private spill folder, as the observables'), merged once
/// at the end, so memory stays bounded however many distinct URLs the messages hold.
#[derive(Default)]
pub(crate) struct UrlTable {
    /// `(module, run file)`, each run sorted by URL (`ferret_core::observe`'s run format).
    runs: Vec<(String, File)>,
    /// Whether a messaging module stored at least one record.
    any: bool,
}

/// The two fields of a message record the table needs; the other fields are skipped unread.
#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow, default)]
    links: Vec<Cow<'a, str>>,
    #[serde(borrow, default)]
    isodate: Option<Cow<'a, str>>,
}

/// A messaging module's record sink: passes every record on, and notes its links.
pub(crate) struct UrlTap {
    inner: Box<dyn RecordSink>,
    module: &'static str,
    local: BTreeMap<Box<str>, Stat>,
    /// URLs held before a run is written ([`TAP_BUFFER`]; smaller in tests).
    cap: usize,
    any: bool,
    spill: Arc<Spill>,
    shared: Arc<Mutex<UrlTable>>,
}

impl UrlTap {
    /// Wraps `inner`, the record sink of messaging module `module`; its runs go to `spill`.
    pub(crate) fn new(
        inner: Box<dyn RecordSink>,
        module: &'static str,
        spill: Arc<Spill>,
        shared: Arc<Mutex<UrlTable>>,
    ) -> Self {
        Self { inner, module, local: BTreeMap::new(), cap: TAP_BUFFER, any: false, spill, shared }
    }

    fn note(&mut self, json: &[u8]) -> std::io::Result<()> {
        self.any = true;
        // the compact JSON of a record with no link has no `"links":["` at all
        if memchr::memmem::find(json, b"\"links\":[\"").is_none() {
            return Ok(());
        }
        let Ok(msg) = serde_json::from_slice::<Message<'_>>(json) else { return Ok(()) };
        let t = msg.isodate.as_deref().and_then(ferret_core::time::parse).map_or(NONE, |t| t.as_microsecond());
        let seen = Stat { first: t, last: t, count: 1 };
        let mut distinct: Vec<&str> = msg.links.iter().map(AsRef::as_ref).collect();
        distinct.sort_unstable();
        distinct.dedup();
        for url in distinct {
            match self.local.get_mut(url) {
                Some(s) => s.merge(seen),
                None => {
                    self.local.insert(url.into(), seen);
                }
            }
        }
        if self.local.len() >= self.cap {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the held URLs as one sorted run and hands it to the table.
    fn flush(&mut self) -> std::io::Result<()> {
        let any = std::mem::take(&mut self.any);
        let run = if self.local.is_empty() {
            None
        } else {
            let entries: Vec<RunEntry> = std::mem::take(&mut self.local)
                .into_iter()
                .map(|(value, stat)| RunEntry { kind: ObservableKind::Url, value, stat })
                .collect();
            let mut w = BufWriter::with_capacity(1 << 16, self.spill.temp_file()?);
            ferret_core::observe::write_run(&mut w, &entries)?;
            Some(w.into_inner().map_err(std::io::IntoInnerError::into_error)?)
        };
        let mut shared = self.shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        shared.any |= any;
        if let Some(f) = run {
            shared.runs.push((self.module.to_string(), f));
        }
        Ok(())
    }
}

impl RecordSink for UrlTap {
    fn record(&mut self, json: &[u8]) -> std::io::Result<()> {
        self.inner.record(json)?;
        self.note(json)
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.flush()?;
        self.inner.finish()
    }
}

impl Drop for UrlTap {
    fn drop(&mut self) {
        // the runner always calls `finish`; this keeps what a module stored before it stopped
        let _ = self.flush();
    }
}

/// Writes `dir/urls.json` from `table`'s runs (or removes a stale one when no messaging module
/// stored records), streaming: one entry per run in memory. Returns the number of distinct URLs.
pub(crate) fn write_urls(dir: &Path, table: &Mutex<UrlTable>) -> Result<usize, ReportError> {
    let table = std::mem::take(&mut *table.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    let path = dir.join(URLS_FILE);
    if !table.any {
        if path.is_file() {
            std::fs::remove_file(&path).map_err(|e| ReportError::io("remove stale", &path, e))?;
        }
        return Ok(0);
    }
    let mut runs: Vec<(String, File)> = table.runs;
    // the same input order whichever module finished first
    runs.sort_by(|a, b| a.0.cmp(&b.0));
    let mut iters: Vec<ferret_core::observe::Run<'static>> = Vec::with_capacity(runs.len());
    for (module, mut f) in runs {
        f.seek(SeekFrom::Start(0)).map_err(|e| ReportError::io("read back", &path, e))?;
        iters.push((module, Box::new(ferret_core::observe::read_run(BufReader::with_capacity(1 << 16, f)))));
    }
    let file = File::create(&path).map_err(|e| ReportError::io("create", &path, e))?;
    let mut w = BufWriter::with_capacity(256 * 1024, file);
    // a JSON array as `write_json` pretty-prints it (4-space indent), one entry at a time
    let mut n = 0usize;
    let mut buf = Vec::with_capacity(512);
    w.write_all(b"[").map_err(|e| ReportError::io("write", &path, e))?;
    ferret_core::observe::merge_runs(iters, |o| {
        let entry = MessageUrl {
            url: o.value.to_string(),
            modules: o.modules.iter().map(|m| (*m).to_string()).collect(),
            count: o.count,
            first_seen: o.first_seen.map(ferret_core::time::format),
            last_seen: o.last_seen.map(ferret_core::time::format),
        };
        buf.clear();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        entry.serialize(&mut serde_json::Serializer::with_formatter(&mut buf, fmt)).map_err(std::io::Error::other)?;
        w.write_all(if n == 0 { b"\n    " } else { b",\n    " })?;
        // JSON strings hold no raw line break: each one here is the entry's own layout
        for (i, line) in buf.split(|b| *b == b'\n').enumerate() {
            if i > 0 {
                w.write_all(b"\n    ")?;
            }
            w.write_all(line)?;
        }
        n += 1;
        Ok(())
    })
    .map_err(|e| ReportError::io("write", &path, e))?;
    w.write_all(if n == 0 { b"]\n" } else { b"\n]\n" }).map_err(|e| ReportError::io("write", &path, e))?;
    w.flush().map_err(|e| ReportError::io("write", &path, e))?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `records` of `module` through a tap into `table`, as the results folder does.
    fn feed(table: &Arc<Mutex<UrlTable>>, module: &'static str, records: &[serde_json::Value]) {
        let spill = Arc::new(Spill::new(None, 1).expect("spill"));
        let mut tap = UrlTap::new(Box::new(crate::records::NullRecords), module, spill, Arc::clone(table));
        for r in records {
            tap.record(&serde_json::to_vec(r).expect("json")).expect("record");
        }
        tap.finish().expect("finish");
    }

    fn read(dir: &Path) -> Vec<MessageUrl> {
        serde_json::from_slice(&std::fs::read(dir.join(URLS_FILE)).expect("urls.json")).expect("json")
    }

    /// Recall: every link of every message of both messaging modules; precision: non-link
    /// fields are not listed; a URL twice in one message counts once; times are the extremes;
    /// order is by URL.
    #[test]
    fn every_message_url_once_sorted_with_counts_and_times() {
        let d = tempfile::tempdir().expect("tmp");
        let sms = [
            serde_json::json!({"isodate": "2025-01-02 10:00:00.000000", "text": "see https://b.example/x", "links": ["https://b.example/x", "https://b.example/x"]}),
            serde_json::json!({"isodate": "2025-01-01 09:00:00.000000", "links": ["https://b.example/x", "http://a.example/"]}),
            serde_json::json!({"isodate": null, "links": ["https://c.example/only-untimed"]}),
            serde_json::json!({"isodate": "2025-01-03 00:00:00.000000", "links": []}),
            // a nested `links` is not the message's
            serde_json::json!({"isodate": "2025-01-04 00:00:00.000000", "attachment": {"links": ["https://nested.example/"]}, "links": []}),
        ];
        let whatsapp = [
            serde_json::json!({"isodate": "2025-02-01 00:00:00.000000", "links": ["https://b.example/x"], "media_url": "https://not-a-link.example/"}),
        ];
        let bytes = |order: &[(&'static str, &[serde_json::Value])]| {
            let table = Arc::new(Mutex::new(UrlTable::default()));
            for (m, recs) in order {
                feed(&table, m, recs);
            }
            let n = write_urls(d.path(), &table).expect("write");
            (n, std::fs::read(d.path().join(URLS_FILE)).expect("r"))
        };
        let (n, first) = bytes(&[("sms", &sms), ("whatsapp", &whatsapp)]);
        assert_eq!(n, 3);
        let got = read(d.path());
        let urls: Vec<&str> = got.iter().map(|u| u.url.as_str()).collect();
        assert_eq!(urls, ["http://a.example/", "https://b.example/x", "https://c.example/only-untimed"]);
        let b = &got[1];
        assert_eq!(b.modules, ["sms", "whatsapp"]);
        assert_eq!(b.count, 3);
        assert_eq!(b.first_seen.as_deref(), Some("2025-01-01 09:00:00.000000"));
        assert_eq!(b.last_seen.as_deref(), Some("2025-02-01 00:00:00.000000"));
        assert_eq!(got[2].first_seen, None);
        // deterministic: the modules finishing in the other order give the same bytes
        assert_eq!(bytes(&[("whatsapp", &whatsapp), ("sms", &sms)]), (3, first.clone()));
        // the same bytes as the whole list pretty-printed at once
        let mut want = Vec::new();
        {
            let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
            got.serialize(&mut serde_json::Serializer::with_formatter(&mut want, fmt)).expect("json");
        }
        want.push(b'\n');
        assert_eq!(first, want);
    }

    #[test]
    fn absent_without_messaging_records_and_stale_one_removed() {
        let d = tempfile::tempdir().expect("tmp");
        let table = Arc::new(Mutex::new(UrlTable::default()));
        assert_eq!(write_urls(d.path(), &table).expect("none"), 0);
        assert!(!d.path().join(URLS_FILE).exists());
        std::fs::write(d.path().join(URLS_FILE), b"[]").expect("stale");
        feed(&table, "sms", &[]);
        write_urls(d.path(), &table).expect("none");
        assert!(!d.path().join(URLS_FILE).exists());
        // records without links: an empty list
        feed(&table, "sms", &[serde_json::json!({"isodate": "2025-01-01 00:00:00.000000", "links": []})]);
        assert_eq!(write_urls(d.path(), &table).expect("empty"), 0);
        assert!(read(d.path()).is_empty());
    }

    /// Runs written every 2 URLs merge to the same bytes as one run per module: a URL split
    /// across runs of one module and across modules is one entry with its total count and times.
    #[test]
    fn runs_on_disk_merge_to_the_same_file() {
        let msgs = |m: u32| -> Vec<serde_json::Value> {
            (0..40)
                .map(|i| {
                    serde_json::json!({
                        "isodate": format!("2025-01-{:02} 00:00:{:02}.000000", 1 + (i * 7 + m) % 28, i % 60),
                        "links": [format!("https://h{}.example/{}", i % 9, i % 4), format!("https://shared.example/{}", i % 3)]
                    })
                })
                .collect()
        };
        let (sms, wa) = (msgs(1), msgs(5));
        let run = |cap: usize| {
            let d = tempfile::tempdir().expect("tmp");
            let table = Arc::new(Mutex::new(UrlTable::default()));
            let spill = Arc::new(Spill::new(None, 1).expect("spill"));
            for (m, recs) in [("whatsapp", &wa), ("sms", &sms)] {
                let mut tap =
                    UrlTap::new(Box::new(crate::records::NullRecords), m, Arc::clone(&spill), Arc::clone(&table));
                tap.cap = cap;
                for r in recs {
                    tap.record(&serde_json::to_vec(r).expect("json")).expect("record");
                }
                tap.finish().expect("finish");
            }
            let runs = table.lock().expect("lock").runs.len();
            let n = write_urls(d.path(), &table).expect("write");
            (runs, n, std::fs::read(d.path().join(URLS_FILE)).expect("r"))
        };
        let (runs_small, n_small, small) = run(2);
        let (runs_big, n_big, big) = run(TAP_BUFFER);
        assert!(runs_small > 10 && runs_big == 2, "{runs_small} {runs_big}");
        assert_eq!((n_small, small), (n_big, big));
        assert_eq!(n_big, 9 * 4 + 3, "distinct URLs");
    }

    /// Bytes that are not a message record are passed on to the file and add nothing.
    #[test]
    fn hostile_record_bytes_are_passed_on_and_skipped() {
        let d = tempfile::tempdir().expect("tmp");
        let table = Arc::new(Mutex::new(UrlTable::default()));
        let spill = Arc::new(Spill::new(None, 1).expect("spill"));
        let mut tap = UrlTap::new(Box::new(crate::records::NullRecords), "sms", spill, Arc::clone(&table));
        for bad in [
            &b"{\"links\":[\"https://x.example/\""[..],
            b"{\"links\":[\"a\", 5]}",
            b"{\"links\":[\"\\ud800\"]}",
            b"\xff\xfe",
            b"",
        ] {
            tap.record(bad).expect("passed on");
        }
        tap.finish().expect("finish");
        assert_eq!(write_urls(d.path(), &table).expect("write"), 0);
        assert!(read(d.path()).is_empty());
    }
}
