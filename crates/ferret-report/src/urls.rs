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
//! from run to run. Memory is one entry per distinct URL.
//!
//! The file is written when at least one messaging module stored records (`[]` when they hold
//! no URL), and is absent otherwise (e.g. a `check-iocs` folder, which stores no records).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use ferret_core::RecordSink;
use serde::{Deserialize, Serialize};

use crate::error::ReportError;

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

#[derive(Default)]
struct Acc {
    /// Bit i: `MESSAGING_MODULES[i]` holds the URL (a set of `&str` costs a node per URL).
    modules: u8,
    count: u64,
    first: Option<String>,
    last: Option<String>,
}

impl Acc {
    fn merge(&mut self, other: Acc) {
        self.modules |= other.modules;
        self.count += other.count;
        if let Some(t) = other.first {
            self.seen(&t);
        }
        if let Some(t) = other.last {
            self.seen(&t);
        }
    }

    fn seen(&mut self, t: &str) {
        if self.first.as_deref().is_none_or(|f| t < f) {
            self.first = Some(t.to_string());
        }
        if self.last.as_deref().is_none_or(|l| t > l) {
            self.last = Some(t.to_string());
        }
    }
}

/// The URLs of every messaging module's records, filled by the [`UrlTap`]s of one run.
#[derive(Default)]
pub(crate) struct UrlTable {
    map: BTreeMap<String, Acc>,
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
    /// The module's bit in [`Acc::modules`].
    bit: u8,
    local: UrlTable,
    shared: Arc<Mutex<UrlTable>>,
}

impl UrlTap {
    /// Wraps `inner`, the record sink of messaging module `module`.
    pub(crate) fn new(inner: Box<dyn RecordSink>, module: &'static str, shared: Arc<Mutex<UrlTable>>) -> Self {
        let i = MESSAGING_MODULES.iter().position(|m| *m == module).unwrap_or(MESSAGING_MODULES.len());
        Self { inner, bit: 1 << i, local: UrlTable::default(), shared }
    }

    fn note(&mut self, json: &[u8]) {
        self.local.any = true;
        // the compact JSON of a record with no link has no `"links":["` at all
        if memchr::memmem::find(json, b"\"links\":[\"").is_none() {
            return;
        }
        let Ok(msg) = serde_json::from_slice::<Message<'_>>(json) else { return };
        let t = msg.isodate.as_deref().filter(|t| !t.is_empty());
        let mut distinct: Vec<&str> = msg.links.iter().map(AsRef::as_ref).collect();
        distinct.sort_unstable();
        distinct.dedup();
        for url in distinct {
            let a = match self.local.map.get_mut(url) {
                Some(a) => a,
                None => self.local.map.entry(url.to_string()).or_default(),
            };
            a.modules |= self.bit;
            a.count += 1;
            if let Some(t) = t {
                a.seen(t);
            }
        }
    }

    fn hand_over(&mut self) {
        let local = std::mem::take(&mut self.local);
        let mut shared = self.shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        shared.any |= local.any;
        for (url, acc) in local.map {
            shared.map.entry(url).or_default().merge(acc);
        }
    }
}

impl RecordSink for UrlTap {
    fn record(&mut self, json: &[u8]) -> std::io::Result<()> {
        self.inner.record(json)?;
        self.note(json);
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.hand_over();
        self.inner.finish()
    }
}

impl Drop for UrlTap {
    fn drop(&mut self) {
        self.hand_over();
    }
}

/// Writes `dir/urls.json` from `table` (or removes a stale one when no messaging module stored
/// records). Returns the number of distinct URLs.
pub(crate) fn write_urls(dir: &Path, table: &Mutex<UrlTable>) -> Result<usize, ReportError> {
    let table = std::mem::take(&mut *table.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    let path = dir.join(URLS_FILE);
    if !table.any {
        if path.is_file() {
            std::fs::remove_file(&path).map_err(|e| ReportError::io("remove stale", &path, e))?;
        }
        return Ok(0);
    }
    let list: Vec<MessageUrl> = table
        .map
        .into_iter()
        .map(|(url, a)| MessageUrl {
            url,
            modules: MESSAGING_MODULES
                .iter()
                .enumerate()
                .filter(|(i, _)| a.modules & (1 << i) != 0)
                .map(|(_, m)| (*m).to_string())
                .collect(),
            count: a.count,
            first_seen: a.first,
            last_seen: a.last,
        })
        .collect();
    crate::folder::write_json(&path, &list)?;
    Ok(list.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `records` of `module` through a tap into `table`, as the results folder does.
    fn feed(table: &Arc<Mutex<UrlTable>>, module: &'static str, records: &[serde_json::Value]) {
        let mut tap = UrlTap::new(Box::new(crate::records::NullRecords), module, Arc::clone(table));
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
        assert_eq!(bytes(&[("whatsapp", &whatsapp), ("sms", &sms)]), (3, first));
        // `modules` lists them in this order: sorted
        assert!(MESSAGING_MODULES.is_sorted());
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

    /// Bytes that are not a message record are passed on to the file and add nothing.
    #[test]
    fn hostile_record_bytes_are_passed_on_and_skipped() {
        let d = tempfile::tempdir().expect("tmp");
        let table = Arc::new(Mutex::new(UrlTable::default()));
        let mut tap = UrlTap::new(Box::new(crate::records::NullRecords), "sms", Arc::clone(&table));
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
