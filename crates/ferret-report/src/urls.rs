//! `urls.json`: every URL found in the messages of a check, one entry per distinct URL.
//!
//! Written by the results folder at the end of a run, from the records the messaging modules
//! stored (not by the modules: one place, the same for both platforms and for every messaging
//! module). The messaging modules are [`MESSAGING_MODULES`] (iOS `sms` and `whatsapp`, Android
//! `sms` from androidqf or a backup); each of their records carries the links found in it
//! (`links`) and its time (`isodate`).
//!
//! Entry: `{url, modules, count, first_seen, last_seen}`: the modules whose messages hold the
//! URL (sorted), how many messages hold it, and the earliest and latest message time (`null`
//! when no message holding it has a time). Entries are sorted by URL, so the file is the same
//! from run to run. Memory is one entry per distinct URL; the records are streamed.
//!
//! The file is written when at least one messaging module stored records (`[]` when they hold
//! no URL), and is absent otherwise (e.g. a `check-iocs` folder, which stores no records).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

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
    modules: BTreeSet<String>,
    count: u64,
    first: Option<String>,
    last: Option<String>,
}

/// Writes `dir/urls.json` from the stored records of the messaging modules among `modules`
/// (or removes a stale one when none stored records). Returns the number of distinct URLs.
pub(crate) fn write_urls<'a>(dir: &Path, modules: impl IntoIterator<Item = &'a str>) -> Result<usize, ReportError> {
    let mut map: BTreeMap<String, Acc> = BTreeMap::new();
    let mut any = false;
    let mut seen = BTreeSet::new();
    for m in modules {
        if !MESSAGING_MODULES.contains(&m) || !seen.insert(m) {
            continue;
        }
        let path = dir.join(format!("{m}.json"));
        if !path.is_file() {
            continue;
        }
        any = true;
        crate::records::for_each_record(&path, &mut |v| {
            let Some(links) = v.get("links").and_then(|l| l.as_array()) else { return Ok(()) };
            let t = v.get("isodate").and_then(|t| t.as_str()).filter(|t| !t.is_empty());
            let mut distinct: Vec<&str> = links.iter().filter_map(|l| l.as_str()).collect();
            distinct.sort_unstable();
            distinct.dedup();
            for url in distinct {
                let a = map.entry(url.to_string()).or_default();
                if !a.modules.contains(m) {
                    a.modules.insert(m.to_string());
                }
                a.count += 1;
                if let Some(t) = t {
                    if a.first.as_deref().is_none_or(|f| t < f) {
                        a.first = Some(t.to_string());
                    }
                    if a.last.as_deref().is_none_or(|l| t > l) {
                        a.last = Some(t.to_string());
                    }
                }
            }
            Ok(())
        })?;
    }
    let path = dir.join(URLS_FILE);
    if !any {
        if path.is_file() {
            std::fs::remove_file(&path).map_err(|e| ReportError::io("remove stale", &path, e))?;
        }
        return Ok(0);
    }
    let list: Vec<MessageUrl> = map
        .into_iter()
        .map(|(url, a)| MessageUrl {
            url,
            modules: a.modules.into_iter().collect(),
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

    fn put(dir: &Path, name: &str, v: serde_json::Value) {
        std::fs::write(dir.join(name), serde_json::to_vec_pretty(&v).expect("json")).expect("write");
    }

    fn read(dir: &Path) -> Vec<MessageUrl> {
        serde_json::from_slice(&std::fs::read(dir.join(URLS_FILE)).expect("urls.json")).expect("json")
    }

    /// Recall: every link of every message of both messaging modules; precision: links of other
    /// modules (browser history) and non-link fields are not listed; a URL twice in one message
    /// counts once; times are the extremes; order is by URL.
    #[test]
    fn every_message_url_once_sorted_with_counts_and_times() {
        let d = tempfile::tempdir().expect("tmp");
        put(
            d.path(),
            "sms.json",
            serde_json::json!([
                {"isodate": "2025-01-02 10:00:00.000000", "text": "see https://b.example/x", "links": ["https://b.example/x", "https://b.example/x"]},
                {"isodate": "2025-01-01 09:00:00.000000", "links": ["https://b.example/x", "http://a.example/"]},
                {"isodate": null, "links": ["https://c.example/only-untimed"]},
                {"isodate": "2025-01-03 00:00:00.000000", "links": []}
            ]),
        );
        put(
            d.path(),
            "whatsapp.json",
            serde_json::json!([{"isodate": "2025-02-01 00:00:00.000000", "links": ["https://b.example/x"], "media_url": "https://not-a-link.example/"}]),
        );
        put(
            d.path(),
            "safari_history.json",
            serde_json::json!([{"url": "https://browser.example/", "links": ["https://browser.example/"]}]),
        );
        let n = write_urls(d.path(), ["safari_history", "sms", "whatsapp", "sms"]).expect("write");
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
        // deterministic: a second write gives the same bytes
        let first = std::fs::read(d.path().join(URLS_FILE)).expect("r");
        write_urls(d.path(), ["whatsapp", "sms"]).expect("again");
        assert_eq!(first, std::fs::read(d.path().join(URLS_FILE)).expect("r"));
    }

    #[test]
    fn absent_without_messaging_records_and_stale_one_removed() {
        let d = tempfile::tempdir().expect("tmp");
        assert_eq!(write_urls(d.path(), ["sms", "whatsapp"]).expect("none"), 0);
        assert!(!d.path().join(URLS_FILE).exists());
        std::fs::write(d.path().join(URLS_FILE), b"[]").expect("stale");
        write_urls(d.path(), ["sms"]).expect("none");
        assert!(!d.path().join(URLS_FILE).exists());
        // records without links: an empty list
        put(d.path(), "sms.json", serde_json::json!([{"isodate": "2025-01-01 00:00:00.000000", "links": []}]));
        assert_eq!(write_urls(d.path(), ["sms"]).expect("empty"), 0);
        assert!(read(d.path()).is_empty());
        // a damaged records file is an error naming it
        std::fs::write(d.path().join("sms.json"), b"[{\"links\": [").expect("w");
        let e = write_urls(d.path(), ["sms"]).expect_err("damaged").to_string();
        assert!(e.contains("sms.json"), "{e}");
    }
}
