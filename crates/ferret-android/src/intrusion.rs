//! Android intrusion logs (Android 16 Advanced Protection "intrusion logging").
//!
//! The phone uploads its security and network logs; the owner exports them as a folder (or a
//! zip) of text files holding **one JSON object a line**, each object wrapping one event under
//! a key naming its type:
//!
//! * `connect_event`: `event_time` (Unix **milliseconds**), `package_name`, `ip_address`
//!   (Java's `InetAddress` text: `/203.0.113.10`, or `host/203.0.113.10`), `port`;
//! * `dns_event`: `event_time` (Unix **milliseconds**), `package_name`, `hostname`,
//!   `ip_addresses` (same text form), `ip_addresses_count` (also `total_resolved_address_count`);
//! * `security_event`: `event_time` (Unix **nanoseconds**), `event_id`, and one more key, the
//!   `SecurityLog` tag in snake case (`adb_shell_cmd`, `app_process_start`, `logging_stopped`,
//!   `cert_authority_installed`...), whose value holds the tag's fields.
//!
//! Sources: MVT's `check-intrusion-logs` documentation and modules (field names, units), the
//! AOSP `SecurityLog` tag list (developer.android.com). androidqf copies the exported files into
//! an `intrusion_logs/` (or `intrusion-logs/`) folder of its collection.
//!
//! Reading rules (the export is made by whoever controls the phone):
//! * every file is read as a stream, line by line, with a [`LINE_CAP`] per line; a longer line
//!   is skipped (counted), never buffered whole;
//! * a file is an intrusion log when its first non-blank line is an event object
//!   ([`is_log_head`]); other files are counted and skipped;
//! * a line that is not a JSON object, has a field of the wrong type, or is not UTF-8, is
//!   counted and skipped; an object whose key is not a known type is counted by type name;
//! * [`scan`] does this over the whole acquisition once, when it is opened, and its
//!   [`Scan::problems`] are the acquisition's problems (listed once, with counts); the modules
//!   then read only the lines of their own type ([`read_events`]).

use std::collections::BTreeMap;
use std::fmt;

use ferret_core::{AcquisitionKind, Evidence, EvidenceError, EvidenceFile};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::text::capped_lines;

/// Longest line read (256 KiB); longer lines are skipped and counted.
pub const LINE_CAP: usize = 256 << 10;
/// How much of a file type detection reads to find its first line.
pub const HEAD_BYTES: usize = 64 << 10;
/// Most files type detection looks into.
pub const DETECT_FILES: usize = 64;

/// The three event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventType {
    /// `connect_event`.
    Connect,
    /// `dns_event`.
    Dns,
    /// `security_event`.
    Security,
}

impl EventType {
    /// Every type.
    pub const ALL: [EventType; 3] = [Self::Connect, Self::Dns, Self::Security];

    /// The key of the JSON object.
    pub fn key(self) -> &'static str {
        match self {
            Self::Connect => "connect_event",
            Self::Dns => "dns_event",
            Self::Security => "security_event",
        }
    }

    fn from_key(k: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.key() == k)
    }
}

/// A `connect_event` as logged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct WireConnect {
    /// Unix milliseconds.
    pub event_time: Option<i64>,
    /// Event id, when present.
    pub event_id: Option<i64>,
    /// The app.
    pub package_name: Option<String>,
    /// Remote address, `InetAddress` text.
    pub ip_address: Option<String>,
    /// Remote port.
    pub port: Option<u16>,
}

/// A `dns_event` as logged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct WireDns {
    /// Unix milliseconds.
    pub event_time: Option<i64>,
    /// Event id, when present.
    pub event_id: Option<i64>,
    /// The app.
    pub package_name: Option<String>,
    /// The name looked up.
    pub hostname: Option<String>,
    /// Addresses returned (at most the first ones), `InetAddress` text.
    pub ip_addresses: Option<Vec<String>>,
    /// Number of addresses returned.
    #[serde(alias = "total_resolved_address_count")]
    pub ip_addresses_count: Option<i64>,
}

/// A `security_event` as logged: its time, id, and the one tag key with its value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WireSecurity {
    /// Unix nanoseconds.
    pub event_time: Option<i64>,
    /// Event id, when present.
    pub event_id: Option<i64>,
    /// The tag (`adb_shell_cmd`...); empty when the event has none.
    pub tag: String,
    /// The tag's value (usually an object of the tag's fields).
    pub data: serde_json::Value,
}

/// Keys of a security event that are not its tag (MVT's metadata keys, and the names ferret's
/// records use for their own fields, so a crafted key cannot collide with them).
const SECURITY_RESERVED: [&str; 8] =
    ["event_id", "event_time", "event_type", "timestamp", "tag", "file", "line", "failed_auth_burst"];

/// Whether `k` may be a security event tag: 1 to 64 characters of `[a-z0-9_]`, not reserved.
fn is_tag_name(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 64
        && k.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !SECURITY_RESERVED.contains(&k)
}

impl<'de> Deserialize<'de> for WireSecurity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = WireSecurity;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a security event object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<WireSecurity, A::Error> {
                let mut w = WireSecurity::default();
                let mut has_tag = false;
                while let Some(k) = m.next_key::<String>()? {
                    match k.as_str() {
                        "event_time" => w.event_time = m.next_value()?,
                        "event_id" => w.event_id = m.next_value()?,
                        k if !has_tag && is_tag_name(k) => {
                            w.data = m.next_value()?;
                            w.tag = k.to_string();
                            has_tag = true;
                        }
                        _ => {
                            m.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(w)
            }
        }
        d.deserialize_map(V)
    }
}

/// One event of a line.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A `connect_event`.
    Connect(WireConnect),
    /// A `dns_event`.
    Dns(WireDns),
    /// A `security_event`.
    Security(WireSecurity),
    /// An object under a key ferret does not read (the key, at most 64 bytes).
    Unknown(String),
}

/// A parsed line: its events (usually one).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Envelope(pub Vec<Item>);

/// Most keys read from one line's top object.
const MAX_KEYS: usize = 16;

impl<'de> Deserialize<'de> for Envelope {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Envelope;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object with a connect_event, dns_event or security_event key")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Envelope, A::Error> {
                let mut items = Vec::new();
                let mut keys = 0usize;
                while let Some(k) = m.next_key::<String>()? {
                    keys += 1;
                    if keys > MAX_KEYS {
                        return Err(de::Error::custom(format!("more than {MAX_KEYS} keys")));
                    }
                    match EventType::from_key(&k) {
                        Some(EventType::Connect) => items.push(Item::Connect(m.next_value()?)),
                        Some(EventType::Dns) => items.push(Item::Dns(m.next_value()?)),
                        Some(EventType::Security) => items.push(Item::Security(m.next_value()?)),
                        None => {
                            m.next_value::<IgnoredAny>()?;
                            let mut name = k;
                            if name.len() > 64 {
                                let mut cut = 64;
                                while !name.is_char_boundary(cut) {
                                    cut -= 1;
                                }
                                name.truncate(cut);
                            }
                            items.push(Item::Unknown(name));
                        }
                    }
                }
                Ok(Envelope(items))
            }
        }
        d.deserialize_map(V)
    }
}

/// Why a line was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineError {
    /// Longer than [`LINE_CAP`].
    TooLong,
    /// Not an event object: the parser's reason.
    Malformed(String),
}

/// Parses one line (without its newline). `Ok(None)` for a blank line.
pub fn parse_line(line: &[u8]) -> Result<Option<Envelope>, LineError> {
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    if line.trim_ascii().is_empty() {
        return Ok(None);
    }
    if line.len() > LINE_CAP {
        return Err(LineError::TooLong);
    }
    let env: Envelope = serde_json::from_slice(line).map_err(|e| LineError::Malformed(e.to_string()))?;
    if env.0.is_empty() {
        return Err(LineError::Malformed("an object with no event".into()));
    }
    Ok(Some(env))
}

/// Whether `head` (the first bytes of a file) starts, after blank lines, with an intrusion-log
/// event: an object with a `connect_event`, `dns_event` or `security_event` key (or another
/// `*_event` key, a type added after this reader). A first line cut by the end of `head` does
/// not count.
pub fn is_log_head(head: &[u8]) -> bool {
    for line in head.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let stripped = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        if stripped.trim_ascii().is_empty() {
            continue;
        }
        return match parse_line(line) {
            Ok(Some(env)) => env.0.iter().any(|i| match i {
                Item::Unknown(k) => k.ends_with("_event"),
                _ => true,
            }),
            _ => false,
        };
    }
    false
}

/// The address in Java's `InetAddress` text: what follows the last `/` (`host/1.2.3.4` →
/// `1.2.3.4`, `/::1` → `::1`), trimmed.
pub fn clean_ip(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s).trim()
}

/// Whether an address is loopback or unspecified (never checked against indicators).
pub fn is_local_ip(ip: &str) -> bool {
    match ip.parse::<std::net::IpAddr>() {
        Ok(a) => a.is_loopback() || a.is_unspecified(),
        Err(_) => ip.is_empty() || ip == "localhost",
    }
}

/// Counts of what a pass over the logs skipped, with the first example of each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// Intrusion-log files read.
    pub log_files: u64,
    /// Events read, per type (`connect`, `dns`, `security`).
    pub events: [u64; 3],
    /// Files that are not intrusion logs, and the first few.
    pub other_files: u64,
    /// Their names (at most 5).
    pub other_examples: Vec<String>,
    /// Malformed lines, and the first (`file:line: reason`).
    pub malformed: u64,
    /// The first malformed line.
    pub malformed_first: Option<String>,
    /// Lines over [`LINE_CAP`], and the first (`file:line`).
    pub too_long: u64,
    /// The first too-long line.
    pub too_long_first: Option<String>,
    /// Events of types ferret does not read, by type (at most 32 names).
    pub unknown: BTreeMap<String, u64>,
    /// Files that could not be read to the end (`file: error`).
    pub read_errors: Vec<String>,
}

impl Scan {
    /// Total events read.
    pub fn total_events(&self) -> u64 {
        self.events.iter().sum()
    }

    /// The acquisition problems this scan found, one line each kind, with counts.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.other_files > 0 {
            out.push(format!(
                "{} {} not intrusion logs, skipped (first: {})",
                self.other_files,
                if self.other_files == 1 { "file is" } else { "files are" },
                self.other_examples.join(", ")
            ));
        }
        if self.malformed > 0 {
            out.push(format!(
                "{} {} not a valid event, skipped (first: {})",
                self.malformed,
                if self.malformed == 1 { "line of the intrusion logs is" } else { "lines of the intrusion logs are" },
                self.malformed_first.as_deref().unwrap_or("?")
            ));
        }
        if self.too_long > 0 {
            out.push(format!(
                "{} {} longer than {} KiB, skipped (first: {})",
                self.too_long,
                if self.too_long == 1 { "line of the intrusion logs is" } else { "lines of the intrusion logs are" },
                LINE_CAP >> 10,
                self.too_long_first.as_deref().unwrap_or("?")
            ));
        }
        if !self.unknown.is_empty() {
            let list: Vec<String> = self.unknown.iter().map(|(k, n)| format!("{k} ({n})")).collect();
            out.push(format!("intrusion-log events of types ferret does not read, skipped: {}", list.join(", ")));
        }
        for e in &self.read_errors {
            out.push(format!("intrusion log not read to the end: {e}"));
        }
        out
    }
}

/// The files of an acquisition that may hold intrusion logs, sorted by path: every regular
/// file of an intrusion-log export; in an androidqf collection, those inside its
/// `intrusion_logs/` or `intrusion-logs/` folder.
pub fn candidate_files(ev: &dyn Evidence) -> Result<Vec<EvidenceFile>, EvidenceError> {
    let qf = ev.kind() == AcquisitionKind::AndroidQf;
    let mut files = Vec::new();
    ev.walk(&mut |f| {
        if !qf || f.path.split('/').any(|s| s == "intrusion_logs" || s == "intrusion-logs") {
            files.push(f.clone());
        }
    })?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// One event read, with where it was.
#[derive(Debug)]
pub struct Located<'a> {
    /// The file (path inside the acquisition).
    pub file: &'a str,
    /// 1-based line number.
    pub line: u64,
    /// The event.
    pub item: Item,
}

/// Reads every intrusion-log file of `ev` line by line; `visit` gets each event of the type
/// `only` (every type with `None`). Returns what was skipped. A file whose first non-blank line
/// is not an event is not a log (counted in [`Scan::other_files`]).
///
/// With `only` set, lines that do not contain the type's key are not parsed at all (they
/// cannot hold such an event), so a module pays only for its own lines.
pub fn read_events<E>(
    ev: &dyn Evidence,
    only: Option<EventType>,
    visit: &mut dyn FnMut(Located<'_>) -> Result<(), E>,
) -> Result<Scan, E>
where
    E: From<EvidenceError>,
{
    let mut scan = Scan::default();
    let key = only.map(|t| format!("\"{}\"", t.key()));
    for f in candidate_files(ev)? {
        let r = match ev.open(&f) {
            Ok(r) => r,
            Err(e) => {
                scan.read_errors.push(e.to_string());
                continue;
            }
        };
        let mut lines = capped_lines(r, LINE_CAP);
        // None: no non-blank line yet; Some(true): a log; Some(false): not a log
        let mut is_log: Option<bool> = None;
        loop {
            let (line, no, cut) = match lines.next_line_info() {
                Ok(Some(l)) => l,
                Ok(None) => break,
                Err(e) => {
                    scan.read_errors.push(format!("{}: {e}", f.path));
                    break;
                }
            };
            if is_log.is_none() {
                let stripped = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
                if !cut && stripped.trim_ascii().is_empty() {
                    continue;
                }
                if cut || !is_log_head(line) {
                    is_log = Some(false);
                    break;
                }
                is_log = Some(true);
                scan.log_files += 1;
            }
            if cut {
                scan.too_long += 1;
                scan.too_long_first.get_or_insert_with(|| format!("{}:{no}", f.path));
                continue;
            }
            if let Some(k) = &key
                && memchr::memmem::find(line, k.as_bytes()).is_none()
            {
                continue;
            }
            match parse_line(line) {
                Ok(None) => {}
                Ok(Some(env)) => {
                    for item in env.0 {
                        let t = match &item {
                            Item::Connect(_) => EventType::Connect,
                            Item::Dns(_) => EventType::Dns,
                            Item::Security(_) => EventType::Security,
                            Item::Unknown(name) => {
                                if only.is_none() && (scan.unknown.len() < 32 || scan.unknown.contains_key(name)) {
                                    *scan.unknown.entry(name.clone()).or_default() += 1;
                                }
                                continue;
                            }
                        };
                        if only.is_some_and(|o| o != t) {
                            continue;
                        }
                        scan.events[t as usize] += 1;
                        visit(Located { file: &f.path, line: no, item })?;
                    }
                }
                Err(LineError::TooLong) => {
                    scan.too_long += 1;
                    scan.too_long_first.get_or_insert_with(|| format!("{}:{no}", f.path));
                }
                Err(LineError::Malformed(why)) => {
                    scan.malformed += 1;
                    scan.malformed_first.get_or_insert_with(|| format!("{}:{no}: {why}", f.path));
                }
            }
        }
        if is_log != Some(true) {
            note_other(&mut scan, &f.path);
        }
    }
    Ok(scan)
}

fn note_other(scan: &mut Scan, path: &str) {
    scan.other_files += 1;
    if scan.other_examples.len() < 5 {
        scan.other_examples.push(path.to_string());
    }
}

/// Reads every event once, for the acquisition's problems ([`Scan::problems`]).
pub fn scan(ev: &dyn Evidence) -> Result<Scan, EvidenceError> {
    read_events::<EvidenceError>(ev, None, &mut |_| Ok(()))
}

/// Whether a file name may be an intrusion-log export for type detection (`.txt`, `.json`,
/// `.jsonl`, `.ndjson`, any case).
pub fn detect_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".txt", ".json", ".jsonl", ".ndjson"].iter().any(|e| lower.ends_with(e))
}
