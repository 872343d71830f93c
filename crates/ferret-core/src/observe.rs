//! Campaign observables: the distinct values a check saw, for correlation across devices.
//!
//! Every value a module checks against indicators is, by definition, a value worth
//! correlating: a domain, a URL, an IP, an e-mail address, a phone number or messaging handle, a
//! process name, a file path, an app id, a certificate hash, a profile id. So observables are not
//! extracted by a second reading of the records: the runner wraps the loaded indicators in an
//! [`Observing`] view for each module, which answers exactly as the indicators do and notes each
//! question it is asked, with the time range of the record being checked ([`Observer::set_time`],
//! called by [`crate::Out::record`]). `ferret check` then writes the module tables as
//! `observables.jsonl`, and the same path applied to stored records (`Module::recheck`) rebuilds
//! them for older result folders. What `hunt` later matches against new indicators is therefore
//! exactly what a full check with those indicators would have asked about.
//!
//! Never in an observable: message text (only the URLs found in it, as the indicator check sees
//! them), file content. File-listing modules (`manifest`, `filesystem`, `aqf_files`: every file of
//! an acquisition) contribute only the domains and URLs they check, not their millions of paths
//! and path components.
//!
//! Values are normalised so that two devices' copies compare equal: host names and e-mail
//! addresses in lower case without a trailing dot or `mailto:`, phone numbers as `+` and digits,
//! hashes and app ids in lower case, process names as their basename. A URL also counts its host
//! (as a domain, or an IP when it is one).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::alert::MatchedIndicator;
use crate::indicators::Indicators;

/// What an observable is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObservableKind {
    /// A host name.
    Domain,
    /// A URL.
    Url,
    /// An IPv4 or IPv6 address.
    Ip,
    /// An e-mail address (also an iMessage account).
    Email,
    /// A phone number or messaging handle (SMS, iMessage, WhatsApp sender).
    Phone,
    /// A process name.
    Process,
    /// A file path.
    FilePath,
    /// A file name.
    FileName,
    /// An MD5, SHA-1 or SHA-256 of a file.
    FileHash,
    /// An iOS bundle id or Android package name.
    AppId,
    /// An app signing-certificate hash.
    CertHash,
    /// A configuration-profile identifier.
    Profile,
    /// An Android system property name.
    AndroidProperty,
}

impl ObservableKind {
    /// Every kind, in output order.
    pub const ALL: [ObservableKind; 13] = [
        Self::Domain,
        Self::Url,
        Self::Ip,
        Self::Email,
        Self::Phone,
        Self::Process,
        Self::FilePath,
        Self::FileName,
        Self::FileHash,
        Self::AppId,
        Self::CertHash,
        Self::Profile,
        Self::AndroidProperty,
    ];

    /// The name used in `observables.jsonl`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Domain => "domain",
            Self::Url => "url",
            Self::Ip => "ip",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Process => "process",
            Self::FilePath => "file_path",
            Self::FileName => "file_name",
            Self::FileHash => "file_hash",
            Self::AppId => "app_id",
            Self::CertHash => "cert_hash",
            Self::Profile => "profile",
            Self::AndroidProperty => "android_property",
        }
    }

    /// The kind named `s` ([`ObservableKind::as_str`]).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One line of `observables.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observable {
    /// What the value is.
    pub kind: ObservableKind,
    /// The normalised value.
    pub value: String,
    /// Earliest time of a record it was seen in (`null`: only in records without a time).
    #[serde(with = "crate::time::serde_opt_ts")]
    pub first_seen: Option<Timestamp>,
    /// Latest such time.
    #[serde(with = "crate::time::serde_opt_ts")]
    pub last_seen: Option<Timestamp>,
    /// How many times a module checked it.
    pub count: u64,
    /// The modules that saw it, sorted.
    pub modules: Vec<String>,
}

/// Most values one module contributes (counted per run when its table is flushed in parts);
/// further new values are counted in [`ObservationTable::dropped`], so a crafted artifact cannot
/// make the observables grow without bound.
pub const MAX_PER_MODULE: usize = 5_000_000;

/// Distinct values a module's table holds before the runner flushes it as a sorted run
/// ([`Observing::with_flush`]): about 30 MB, so memory does not grow with the artifact.
pub const FLUSH_AT: usize = 262_144;

/// Modules that list every file of an acquisition: only their domains and URLs are kept.
const FILE_LISTINGS: [&str; 3] = ["manifest", "filesystem", "aqf_files"];

/// What is known of one value: first and last time as microseconds since 1970 ([`NONE`]: no
/// time), and how many times it was checked. Small, so a table of millions stays compact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// Earliest time, µs (or [`NONE`]).
    pub first: i64,
    /// Latest time, µs (or [`NONE`]).
    pub last: i64,
    /// Times checked.
    pub count: u64,
}

/// No time.
pub const NONE: i64 = i64::MIN;

impl PartialOrd for Stat {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for Stat {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.first, self.last, self.count).cmp(&(o.first, o.last, o.count))
    }
}

impl Default for Stat {
    fn default() -> Self {
        Self { first: NONE, last: NONE, count: 0 }
    }
}

fn us(t: Timestamp) -> i64 {
    t.as_microsecond()
}

fn from_us(v: i64) -> Option<Timestamp> {
    if v == NONE { None } else { Timestamp::from_microsecond(v).ok() }
}

impl Stat {
    fn add(&mut self, time: Option<(Timestamp, Timestamp)>) {
        self.count += 1;
        if let Some((lo, hi)) = time {
            self.widen(us(lo));
            self.widen(us(hi));
        }
    }

    fn widen(&mut self, t: i64) {
        if self.first == NONE || t < self.first {
            self.first = t;
        }
        if self.last == NONE || t > self.last {
            self.last = t;
        }
    }

    /// Adds another module's or run's knowledge of the same value.
    pub fn merge(&mut self, o: Stat) {
        self.count += o.count;
        for t in [o.first, o.last] {
            if t != NONE {
                self.widen(t);
            }
        }
    }
}

/// The hash map of a module's table: keys come from evidence, so the hasher is seeded at random
/// per process (foldhash's quality variant: a crafted artifact cannot aim at collisions it
/// cannot compute), and about 3x cheaper than the standard SipHash on these short keys.
type ValueMap = HashMap<Box<str>, Stat, foldhash::quality::RandomState>;

/// One module's distinct observed values.
#[derive(Debug)]
pub struct ObservationTable {
    module: String,
    /// The module lists every file of an acquisition ([`FILE_LISTINGS`]).
    listing: bool,
    by_kind: [ValueMap; 13],
    len: usize,
    cap: usize,
    /// New values refused once [`MAX_PER_MODULE`] was reached.
    pub dropped: u64,
}

impl Default for ObservationTable {
    fn default() -> Self {
        Self {
            module: String::new(),
            listing: false,
            by_kind: Default::default(),
            len: 0,
            cap: MAX_PER_MODULE,
            dropped: 0,
        }
    }
}

impl ObservationTable {
    /// An empty table for `module`.
    pub fn new(module: &str) -> Self {
        Self::with_cap(module, MAX_PER_MODULE)
    }

    /// An empty table that keeps at most `cap` distinct values.
    pub fn with_cap(module: &str, cap: usize) -> Self {
        Self { module: module.to_string(), listing: FILE_LISTINGS.contains(&module), cap, ..Self::default() }
    }

    /// The module it belongs to.
    pub fn module(&self) -> &str {
        &self.module
    }

    /// Distinct values held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Nothing held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Notes `raw` (normalised first) as seen at `time`.
    pub fn add(&mut self, kind: ObservableKind, raw: &str, time: Option<(Timestamp, Timestamp)>) {
        if self.listing && !matches!(kind, ObservableKind::Domain | ObservableKind::Url | ObservableKind::Ip) {
            return;
        }
        if kind == ObservableKind::Url {
            let host = crate::urls::host_of(raw.trim());
            if !host.is_empty() {
                self.add_one(ObservableKind::Domain, host, time);
            }
        }
        self.add_one(kind, raw, time);
    }

    fn add_one(&mut self, kind: ObservableKind, raw: &str, time: Option<(Timestamp, Timestamp)>) {
        let Some((kind, value)) = normalise(kind, raw) else { return };
        let map = &mut self.by_kind[kind.index()];
        if let Some(s) = map.get_mut(value.as_ref()) {
            s.add(time);
            return;
        }
        if self.len >= self.cap {
            self.dropped += 1;
            return;
        }
        let mut s = Stat::default();
        s.add(time);
        map.insert(value.into_owned().into_boxed_str(), s);
        self.len += 1;
    }
}

/// Normalises a value of `kind`; `None` for a value not worth keeping (empty, absurdly long).
/// A domain that is an IP literal becomes an [`ObservableKind::Ip`].
pub fn normalise(kind: ObservableKind, raw: &str) -> Option<(ObservableKind, Cow<'_, str>)> {
    const MAX_LEN: usize = 2048;
    let v = raw.trim();
    if v.is_empty() || v.len() > MAX_LEN || has_control(v) {
        return None;
    }
    Some(match kind {
        ObservableKind::Domain | ObservableKind::Ip => {
            let host = v.trim_end_matches('.');
            let bare = host.trim_start_matches('[').trim_end_matches(']');
            if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
                (ObservableKind::Ip, Cow::Owned(ip.to_string()))
            } else if kind == ObservableKind::Ip || host.is_empty() {
                return None;
            } else {
                (ObservableKind::Domain, lower(host))
            }
        }
        ObservableKind::Email => {
            let v = v.strip_prefix("mailto:").or_else(|| v.strip_prefix("MAILTO:")).unwrap_or(v);
            (kind, lower(v))
        }
        ObservableKind::Phone => {
            if v.contains('@') {
                return Some((ObservableKind::Email, lower(v)));
            }
            // `+` (only as the first character) and the ASCII digits, on bytes: every other
            // byte belongs to a character that is dropped
            let keep = |i: usize, b: u8| b.is_ascii_digit() || (i == 0 && b == b'+');
            let bytes = v.as_bytes();
            // no digit at all: kept as it is (a handle); only `+` and digits: already normal
            if !bytes.iter().any(u8::is_ascii_digit) || bytes.iter().enumerate().all(|(i, &b)| keep(i, b)) {
                (kind, Cow::Borrowed(v))
            } else {
                let digits: String =
                    bytes.iter().enumerate().filter(|&(i, &b)| keep(i, b)).map(|(_, &b)| char::from(b)).collect();
                (kind, Cow::Owned(digits))
            }
        }
        ObservableKind::Process => {
            let base = v.rsplit('/').next().unwrap_or(v);
            if base.is_empty() {
                return None;
            }
            (kind, Cow::Borrowed(base))
        }
        ObservableKind::FileHash | ObservableKind::CertHash | ObservableKind::AppId => (kind, lower(v)),
        ObservableKind::Url
        | ObservableKind::FilePath
        | ObservableKind::FileName
        | ObservableKind::Profile
        | ObservableKind::AndroidProperty => (kind, Cow::Borrowed(v)),
    })
}

/// Whether `s` holds a control character (`char::is_control`: U+0000-U+001F, U+007F-U+009F),
/// on its UTF-8 bytes: the first two ranges are the bytes below 0x20 and 0x7F, the third is 0xC2
/// followed by 0x80-0x9F. Every value checked passes here, so it does not decode characters.
pub(crate) fn has_control(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter()
        .enumerate()
        .any(|(i, &c)| c < 0x20 || c == 0x7F || (c == 0xC2 && b.get(i + 1).is_some_and(|n| (0x80..=0x9F).contains(n))))
}

fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) { Cow::Owned(s.to_ascii_lowercase()) } else { Cow::Borrowed(s) }
}

/// Most distinct process names and executable paths one module's [`Sightings`] keep; further
/// new values are counted in [`Sightings::dropped`].
pub const MAX_SIGHTINGS: usize = 20_000;

/// Longest value a sighting keeps, in bytes (a longer one is cut at a character boundary).
pub const MAX_SIGHTING_LEN: usize = 512;

/// The process names and executable paths one module checked, exactly as the module read them
/// (not normalised to a basename as observables are: a post-run pass such as the iOS process
/// census needs the folder an executable ran from), with their times. Bounded: at most
/// [`MAX_SIGHTINGS`] values of at most [`MAX_SIGHTING_LEN`] bytes, about 12 MB at worst.
#[derive(Debug, Clone, Default)]
pub struct Sightings {
    values: HashMap<Box<str>, Stat>,
    /// App ids (bundle ids) the module checked, as read; counted in the same bound.
    app_ids: std::collections::HashSet<Box<str>>,
    /// New values refused once [`MAX_SIGHTINGS`] was reached.
    pub dropped: u64,
}

impl Sightings {
    /// Notes `raw` (trimmed; values with control characters are kept with them escaped, so an
    /// odd name is still seen) at `time`.
    pub fn add(&mut self, raw: &str, time: Option<(Timestamp, Timestamp)>) {
        let v = raw.trim();
        if v.is_empty() {
            return;
        }
        let mut cut = v.len().min(MAX_SIGHTING_LEN);
        while !v.is_char_boundary(cut) {
            cut -= 1;
        }
        let v = &v[..cut];
        let escaped: Cow<'_, str> =
            if has_control(v) { Cow::Owned(v.escape_default().to_string()) } else { Cow::Borrowed(v) };
        if let Some(s) = self.values.get_mut(escaped.as_ref()) {
            s.add(time);
            return;
        }
        if self.len() >= MAX_SIGHTINGS {
            self.dropped += 1;
            return;
        }
        let mut s = Stat::default();
        s.add(time);
        self.values.insert(escaped.into_owned().into_boxed_str(), s);
    }

    /// Notes an app id (bundle id) the module checked.
    pub fn add_app_id(&mut self, raw: &str) {
        let v = raw.trim();
        if v.is_empty() || v.len() > MAX_SIGHTING_LEN || has_control(v) || self.app_ids.contains(v) {
            return;
        }
        if self.len() >= MAX_SIGHTINGS {
            self.dropped += 1;
            return;
        }
        self.app_ids.insert(v.into());
    }

    /// The app ids noted, in no order.
    pub fn app_ids(&self) -> impl Iterator<Item = &str> {
        self.app_ids.iter().map(AsRef::as_ref)
    }

    /// Distinct values held (process names, paths and app ids).
    pub fn len(&self) -> usize {
        self.values.len() + self.app_ids.len()
    }

    /// Nothing held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values with their first and last time (µs, or [`NONE`]) and count, in no order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Stat)> {
        self.values.iter().map(|(k, v)| (k.as_ref(), *v))
    }
}

/// The time of a [`Stat`] bound as a timestamp (`None` for [`NONE`]).
pub fn stat_time(us: i64) -> Option<Timestamp> {
    from_us(us)
}

/// One line of `observables.jsonl`, borrowed while runs are merged ([`merge_runs`]); serialises
/// exactly as [`Observable`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObservableRef<'a> {
    /// What the value is.
    pub kind: ObservableKind,
    /// The normalised value.
    pub value: &'a str,
    /// Earliest time.
    #[serde(with = "crate::time::serde_opt_ts")]
    pub first_seen: Option<Timestamp>,
    /// Latest time.
    #[serde(with = "crate::time::serde_opt_ts")]
    pub last_seen: Option<Timestamp>,
    /// How many times a module checked it.
    pub count: u64,
    /// The modules that saw it, sorted.
    pub modules: Vec<&'a str>,
}

impl ObservableRef<'_> {
    /// An owned copy.
    pub fn to_owned(&self) -> Observable {
        Observable {
            kind: self.kind,
            value: self.value.to_string(),
            first_seen: self.first_seen,
            last_seen: self.last_seen,
            count: self.count,
            modules: self.modules.iter().map(|m| (*m).to_string()).collect(),
        }
    }
}

/// One value in a sorted run: a module table, or its part, in `(kind, value)` order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunEntry {
    /// Kind.
    pub kind: ObservableKind,
    /// Normalised value (never holds a control character).
    pub value: Box<str>,
    /// Times and count.
    pub stat: Stat,
}

impl ObservationTable {
    /// The module and its values in `(kind, value)` order, the table consumed.
    pub fn into_sorted(self) -> (String, Vec<RunEntry>) {
        let ObservationTable { module, by_kind, len, .. } = self;
        let mut entries = Vec::with_capacity(len);
        for (kind, map) in ObservableKind::ALL.into_iter().zip(by_kind) {
            let start = entries.len();
            entries.extend(map.into_iter().map(|(value, stat)| RunEntry { kind, value, stat }));
            entries[start..].sort_unstable_by(|a, b| a.value.cmp(&b.value));
        }
        (module, entries)
    }
}

/// Writes a sorted run as text, one value per line: `kind<TAB>first<TAB>last<TAB>count<TAB>value`
/// (values never hold a line break: see [`normalise`]). Numbers are written without the
/// formatting machinery: a 1M-message check writes millions of these lines.
pub fn write_run(w: &mut impl std::io::Write, entries: &[RunEntry]) -> std::io::Result<()> {
    let mut line = Vec::with_capacity(256);
    let mut num = itoa::Buffer::new();
    for e in entries {
        line.clear();
        line.extend_from_slice(e.kind.as_str().as_bytes());
        for n in [e.stat.first, e.stat.last] {
            line.push(b'\t');
            line.extend_from_slice(num.format(n).as_bytes());
        }
        line.push(b'\t');
        line.extend_from_slice(num.format(e.stat.count).as_bytes());
        line.push(b'\t');
        line.extend_from_slice(e.value.as_bytes());
        line.push(b'\n');
        w.write_all(&line)?;
    }
    Ok(())
}

/// Reads a run [`write_run`] wrote (a line that does not have its form is an error; the value
/// is the rest of the line, tabs included).
pub fn read_run(mut r: impl std::io::BufRead) -> impl Iterator<Item = std::io::Result<RunEntry>> {
    let mut line = Vec::with_capacity(256);
    std::iter::from_fn(move || {
        line.clear();
        match r.read_until(b'\n', &mut line) {
            Ok(0) => None,
            Ok(_) => Some(parse_run_line(&line)),
            Err(e) => Some(Err(e)),
        }
    })
}

/// One line of a run, its `\n` (or `\r\n`) included.
fn parse_run_line(line: &[u8]) -> std::io::Result<RunEntry> {
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "not an observables run line");
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = std::str::from_utf8(line).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    let mut p = line.splitn(5, '\t');
    let kind = p.next().and_then(ObservableKind::parse).ok_or_else(bad)?;
    let first = p.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
    let last = p.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
    let count = p.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
    let value = p.next().ok_or_else(bad)?.into();
    Ok(RunEntry { kind, value, stat: Stat { first, last, count } })
}

/// A sorted run of one module.
pub type Run<'a> = (String, Box<dyn Iterator<Item = std::io::Result<RunEntry>> + 'a>);

/// Merges sorted runs (several may come from one module) into the lines of `observables.jsonl`,
/// in `(kind, value)` order, each with the sorted, distinct modules that saw it, and calls `f`
/// with each. Memory: one entry per run.
pub fn merge_runs(
    runs: Vec<Run<'_>>,
    mut f: impl FnMut(ObservableRef<'_>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let (names, mut iters): (Vec<String>, Vec<_>) = runs.into_iter().unzip();
    /// The next entry of run `.2`, ordered by kind, value, then run.
    type Head = Reverse<(ObservableKind, Box<str>, usize, Stat)>;
    let mut heap: BinaryHeap<Head> = BinaryHeap::new();
    // the run index breaks ties before the stat is compared
    for (i, it) in iters.iter_mut().enumerate() {
        if let Some(e) = it.next() {
            let e = e?;
            heap.push(Reverse((e.kind, e.value, i, e.stat)));
        }
    }
    while let Some(Reverse((kind, value, i, stat))) = heap.pop() {
        let mut total = stat;
        let mut modules: Vec<&str> = vec![names[i].as_str()];
        let mut advance = |i: usize, heap: &mut BinaryHeap<_>| -> std::io::Result<()> {
            if let Some(e) = iters[i].next() {
                let e = e?;
                heap.push(Reverse((e.kind, e.value, i, e.stat)));
            }
            Ok(())
        };
        advance(i, &mut heap)?;
        while let Some(Reverse(top)) = heap.peek() {
            if top.0 != kind || top.1 != value {
                break;
            }
            let Some(Reverse((_, _, j, st))) = heap.pop() else { break };
            total.merge(st);
            modules.push(names[j].as_str());
            advance(j, &mut heap)?;
        }
        modules.sort_unstable();
        modules.dedup();
        f(ObservableRef {
            kind,
            value: &value,
            first_seen: from_us(total.first),
            last_seen: from_us(total.last),
            count: total.count,
            modules,
        })?;
    }
    Ok(())
}

/// Merges whole module tables in memory (small sets: rebuilding an older folder's observables,
/// tests); checks flush tables to disk and merge the runs ([`merge_runs`]).
pub fn merge_tables(tables: impl IntoIterator<Item = ObservationTable>) -> Vec<Observable> {
    let runs: Vec<Run<'static>> = tables
        .into_iter()
        .map(|t| {
            let (module, entries) = t.into_sorted();
            let it: Box<dyn Iterator<Item = std::io::Result<RunEntry>>> = Box::new(entries.into_iter().map(Ok));
            (module, it)
        })
        .collect();
    let mut out = Vec::new();
    // in-memory runs cannot fail
    let _ = merge_runs(runs, |o| {
        out.push(o.to_owned());
        Ok(())
    });
    out
}

/// An [`Indicators`] view that notes every value it is asked about.
pub trait Observer: Indicators {
    /// The time range of the record whose checks follow (`None`: no time).
    fn set_time(&self, range: Option<(Timestamp, Timestamp)>);
    /// The values noted so far (the runner calls this once, when the module finished).
    fn take(&self) -> ObservationTable;
}

/// The [`Observer`] the runner puts in front of the loaded indicators for one module.
pub struct Observing<'a> {
    inner: &'a dyn Indicators,
    state: Mutex<State>,
    flush: Option<Flush<'a>>,
    /// Whether the observables table is kept (`false`: only the sightings).
    observables: bool,
}

/// What an [`Observing`] holds while its module runs.
struct State {
    table: ObservationTable,
    time: Option<(Timestamp, Timestamp)>,
    sightings: Sightings,
    /// Inside [`Indicators::check_executable`]: the path's components are not process names.
    in_executable: bool,
}

impl State {
    fn new(module: &str) -> Self {
        Self { table: ObservationTable::new(module), time: None, sightings: Sightings::default(), in_executable: false }
    }
}

/// Where a full table goes, and at what size.
struct Flush<'a> {
    at: usize,
    to: Box<dyn Fn(ObservationTable) + Send + Sync + 'a>,
}

impl std::fmt::Debug for Observing<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observing").finish_non_exhaustive()
    }
}

impl<'a> Observing<'a> {
    /// Observes the checks `module` makes against `inner`.
    pub fn new(module: &str, inner: &'a dyn Indicators) -> Self {
        Self { inner, state: Mutex::new(State::new(module)), flush: None, observables: true }
    }

    /// Notes only the process names and executable paths `module` checks ([`Sightings`]), for
    /// runs that write no observables.
    pub fn sightings_only(module: &str, inner: &'a dyn Indicators) -> Self {
        Self { observables: false, ..Self::new(module, inner) }
    }

    /// Whether the observables table is kept.
    pub fn keeps_observables(&self) -> bool {
        self.observables
    }

    /// The process names and executable paths noted so far, taken.
    pub fn take_sightings(&self) -> Sightings {
        std::mem::take(&mut self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).sightings)
    }

    /// As [`Observing::new`], handing the table to `to` whenever it holds `at` distinct values
    /// (the parts are merged later, see [`merge_runs`]); [`Observer::take`] gives the rest.
    pub fn with_flush(
        module: &str,
        inner: &'a dyn Indicators,
        at: usize,
        to: impl Fn(ObservationTable) + Send + Sync + 'a,
    ) -> Self {
        Self {
            inner,
            state: Mutex::new(State::new(module)),
            flush: Some(Flush { at: at.max(1), to: Box::new(to) }),
            observables: true,
        }
    }

    fn note(&self, kind: ObservableKind, value: &str) {
        let mut g = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let State { table, time, sightings, in_executable } = &mut *g;
        if !table.listing {
            match kind {
                ObservableKind::Process if !*in_executable => sightings.add(value, *time),
                ObservableKind::AppId => sightings.add_app_id(value),
                _ => {}
            }
        }
        if !self.observables {
            return;
        }
        table.add(kind, value, *time);
        if let Some(f) = &self.flush
            && table.len() >= f.at
        {
            // the next part may hold what the cap leaves; drops are carried to the end
            let mut fresh = ObservationTable::with_cap(&table.module, table.cap.saturating_sub(table.len()));
            fresh.dropped = table.dropped;
            let full = std::mem::replace(table, fresh);
            (f.to)(ObservationTable { dropped: 0, ..full });
        }
    }
}

impl Observer for Observing<'_> {
    fn set_time(&self, range: Option<(Timestamp, Timestamp)>) {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).time = range;
    }

    fn take(&self) -> ObservationTable {
        let mut g = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let fresh = ObservationTable::with_cap(&g.table.module, g.table.cap);
        std::mem::replace(&mut g.table, fresh)
    }
}

impl Indicators for Observing<'_> {
    /// Never empty: modules that skip their checks when no indicator is loaded must still show
    /// what they would have checked (the answers stay the inner set's).
    fn is_empty(&self) -> bool {
        false
    }
    fn check_url(&self, url: &str) -> Option<MatchedIndicator> {
        self.note(ObservableKind::Url, url);
        self.inner.check_url(url)
    }
    fn check_domain(&self, host: &str) -> Option<MatchedIndicator> {
        self.note(ObservableKind::Domain, host);
        self.inner.check_domain(host)
    }
    fn check_text(&self, text: &str) -> Vec<(String, MatchedIndicator)> {
        // the trait's own definition, with each URL noted on the way
        let urls = crate::urls::find_urls(text);
        for u in &urls {
            self.note(ObservableKind::Url, u);
        }
        urls.into_iter().filter_map(|u| self.inner.check_url(&u).map(|m| (u, m))).collect()
    }
    fn check_process(&self, name: &str) -> Option<MatchedIndicator> {
        self.note(ObservableKind::Process, name);
        self.inner.check_process(name)
    }
    fn check_email(&self, email: &str) -> Option<MatchedIndicator> {
        self.note(ObservableKind::Email, email);
        self.inner.check_email(email)
    }
    fn check_phone(&self, number: &str) -> Option<MatchedIndicator> {
        self.note(ObservableKind::Phone, number);
        self.inner.check_phone(number)
    }
    fn check_file_path(&self, path: &str) -> Option<MatchedIndicator> {
        self.note(ObservableKind::FilePath, path);
        self.inner.check_file_path(path)
    }
    fn check_file_name(&self, name: &str) -> Option<MatchedIndicator> {
        self.note(ObservableKind::FileName, name);
        self.inner.check_file_name(name)
    }
    fn check_file_hash(&self, hash: &str) -> Option<MatchedIndicator> {
        self.note(ObservableKind::FileHash, hash);
        self.inner.check_file_hash(hash)
    }
    fn check_app_id(&self, id: &str) -> Option<MatchedIndicator> {
        self.note(ObservableKind::AppId, id);
        self.inner.check_app_id(id)
    }
    fn check_app_cert_hash(&self, hash: &str) -> Option<MatchedIndicator> {
        self.note(ObservableKind::CertHash, hash);
        self.inner.check_app_cert_hash(hash)
    }
    fn check_profile(&self, id: &str) -> Option<MatchedIndicator> {
        self.note(ObservableKind::Profile, id);
        self.inner.check_profile(id)
    }
    fn check_android_property(&self, name: &str) -> Option<MatchedIndicator> {
        self.note(ObservableKind::AndroidProperty, name);
        self.inner.check_android_property(name)
    }
    /// Noted as one sighting (the whole path); the path and its components are observed as
    /// the trait's definition checks them.
    fn check_executable(&self, path_or_name: &str) -> Option<MatchedIndicator> {
        {
            let mut g = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let State { table, time, sightings, in_executable } = &mut *g;
            if !table.listing {
                sightings.add(path_or_name, *time);
            }
            *in_executable = true;
        }
        let hit = crate::indicators::check_executable_parts(self, path_or_name);
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).in_executable = false;
        hit
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::NoIndicators;

    fn ts(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    #[test]
    fn values_are_normalised_so_devices_compare_equal() {
        let n = |k, v| normalise(k, v).map(|(k, v)| (k, v.into_owned()));
        assert_eq!(n(ObservableKind::Domain, " Evil.Example. "), Some((ObservableKind::Domain, "evil.example".into())));
        assert_eq!(n(ObservableKind::Domain, "[2001:DB8::1]"), Some((ObservableKind::Ip, "2001:db8::1".into())));
        assert_eq!(n(ObservableKind::Domain, "198.51.100.7"), Some((ObservableKind::Ip, "198.51.100.7".into())));
        assert_eq!(n(ObservableKind::Ip, "not-an-ip"), None);
        assert_eq!(n(ObservableKind::Email, "mailto:A@B.org"), Some((ObservableKind::Email, "a@b.org".into())));
        assert_eq!(
            n(ObservableKind::Phone, "+44 (7700) 900-123"),
            Some((ObservableKind::Phone, "+447700900123".into()))
        );
        assert_eq!(n(ObservableKind::Phone, "X@Y.net"), Some((ObservableKind::Email, "x@y.net".into())));
        assert_eq!(n(ObservableKind::Phone, "Apple"), Some((ObservableKind::Phone, "Apple".into())));
        assert_eq!(n(ObservableKind::Process, "/private/var/tmp/bh"), Some((ObservableKind::Process, "bh".into())));
        assert_eq!(n(ObservableKind::Process, "/tmp/"), None);
        assert_eq!(n(ObservableKind::FileHash, "ABCD"), Some((ObservableKind::FileHash, "abcd".into())));
        assert_eq!(n(ObservableKind::Url, "https://X.org/A"), Some((ObservableKind::Url, "https://X.org/A".into())));
        assert_eq!(n(ObservableKind::Url, ""), None);
        assert_eq!(n(ObservableKind::Url, "a\tb"), None, "control characters never enter the index");
        assert_eq!(n(ObservableKind::Url, &"a".repeat(3000)), None);
        // phone numbers on bytes keep what the rule on characters keeps
        let by_chars = |v: &str| -> String {
            let digits: String = v
                .chars()
                .enumerate()
                .filter(|&(i, c)| c.is_ascii_digit() || (i == 0 && c == '+'))
                .map(|(_, c)| c)
                .collect();
            if digits.trim_start_matches('+').is_empty() { v.to_string() } else { digits }
        };
        for v in ["+1", "+", "++1", "1+2", "٣+1", "+٣4", "é+5", "+33 6 12", "0033612", "x", "+x", "12\u{a0}34"] {
            let got = normalise(ObservableKind::Phone, v).map(|(k, v)| (k, v.into_owned()));
            assert_eq!(got, Some((ObservableKind::Phone, by_chars(v))), "{v:?}");
        }
    }

    #[test]
    fn observing_answers_as_the_inner_set_and_notes_each_question() {
        struct One;
        impl Indicators for One {
            fn is_empty(&self) -> bool {
                false
            }
            fn check_url(&self, u: &str) -> Option<MatchedIndicator> {
                self.check_domain(crate::urls::host_of(u))
            }
            fn check_domain(&self, h: &str) -> Option<MatchedIndicator> {
                (h == "evil.example").then(|| MatchedIndicator {
                    value: h.into(),
                    kind: "domains".into(),
                    name: "X".into(),
                    stix2_file_name: "x".into(),
                })
            }
            fn check_process(&self, _: &str) -> Option<MatchedIndicator> {
                None
            }
            fn check_email(&self, _: &str) -> Option<MatchedIndicator> {
                None
            }
            fn check_phone(&self, _: &str) -> Option<MatchedIndicator> {
                None
            }
            fn check_file_path(&self, _: &str) -> Option<MatchedIndicator> {
                None
            }
            fn check_file_name(&self, _: &str) -> Option<MatchedIndicator> {
                None
            }
            fn check_file_hash(&self, _: &str) -> Option<MatchedIndicator> {
                None
            }
            fn check_app_id(&self, _: &str) -> Option<MatchedIndicator> {
                None
            }
            fn check_app_cert_hash(&self, _: &str) -> Option<MatchedIndicator> {
                None
            }
            fn check_profile(&self, _: &str) -> Option<MatchedIndicator> {
                None
            }
            fn check_android_property(&self, _: &str) -> Option<MatchedIndicator> {
                None
            }
        }
        let o = Observing::new("sms", &One);
        o.set_time(Some((ts(100), ts(100))));
        let text = "go to https://evil.example/a and https://ok.example/b, then https://evil.example/a";
        assert_eq!(o.check_text(text), One.check_text(text), "same answers, duplicates included");
        o.set_time(Some((ts(50), ts(60))));
        assert!(o.check_process("/usr/libexec/bh").is_none());
        o.set_time(None);
        assert!(o.check_phone("+1 555").is_none());
        assert!(!o.is_empty(), "modules that skip checks without indicators must still ask");
        let obs = merge_tables([o.take()]);
        let got: Vec<(ObservableKind, &str, u64, Option<Timestamp>)> =
            obs.iter().map(|x| (x.kind, x.value.as_str(), x.count, x.first_seen)).collect();
        assert_eq!(
            got,
            vec![
                (ObservableKind::Domain, "evil.example", 2, Some(ts(100))),
                (ObservableKind::Domain, "ok.example", 1, Some(ts(100))),
                (ObservableKind::Url, "https://evil.example/a", 2, Some(ts(100))),
                (ObservableKind::Url, "https://ok.example/b", 1, Some(ts(100))),
                (ObservableKind::Phone, "+1555", 1, None),
                (ObservableKind::Process, "bh", 1, Some(ts(50))),
            ]
        );
        assert_eq!(obs[5].last_seen, Some(ts(60)));
        assert!(obs.iter().all(|x| x.modules == ["sms"]));
    }

    /// Sightings keep process names and executable paths as read (an executable's path once,
    /// not its components), app ids, and the record times; file listings give none; a
    /// sightings-only observer keeps no observables; the answers stay the inner set's.
    #[test]
    fn sightings_keep_what_was_read_as_read() {
        let o = Observing::sightings_only("ps", &NoIndicators);
        o.set_time(Some((ts(10), ts(20))));
        assert!(o.check_executable("/private/var/tmp/bh").is_none());
        assert!(o.check_process("/usr/libexec/locationd").is_none());
        o.set_time(Some((ts(5), ts(5))));
        assert!(o.check_process("bh").is_none());
        assert!(o.check_app_id("com.example.Chat").is_none());
        assert!(o.check_domain("evil.example").is_none());
        let s = o.take_sightings();
        let mut got: Vec<(&str, i64, i64, u64)> = s.iter().map(|(v, st)| (v, st.first, st.last, st.count)).collect();
        got.sort_unstable();
        let us = |x: i64| ts(x).as_microsecond();
        assert_eq!(
            got,
            vec![
                ("/private/var/tmp/bh", us(10), us(20), 1),
                ("/usr/libexec/locationd", us(10), us(20), 1),
                ("bh", us(5), us(5), 1),
            ]
        );
        assert_eq!(s.app_ids().collect::<Vec<_>>(), ["com.example.Chat"]);
        assert!(o.take().is_empty(), "no observables kept");
        let listing = Observing::new("filesystem", &NoIndicators);
        let _ = listing.check_executable("/private/var/tmp/bh");
        let _ = listing.check_process("bh");
        assert!(listing.take_sightings().is_empty());
        // an observer that keeps observables still sees the path and its components
        let full = Observing::new("ps", &NoIndicators);
        let _ = full.check_executable("/private/var/tmp/bh");
        let kept: Vec<(ObservableKind, String)> =
            merge_tables([full.take()]).into_iter().map(|o| (o.kind, o.value)).collect();
        assert_eq!(
            kept,
            vec![
                (ObservableKind::Process, "bh".to_string()),
                (ObservableKind::Process, "private".to_string()),
                (ObservableKind::Process, "tmp".to_string()),
                (ObservableKind::Process, "var".to_string()),
                (ObservableKind::FilePath, "/private/var/tmp/bh".to_string()),
            ]
        );
        assert_eq!(full.take_sightings().len(), 1);
    }

    /// The byte test finds exactly the characters `char::is_control` does: every character
    /// alone and between others, and cut-off or odd byte sequences around 0xC2.
    #[test]
    fn control_test_on_bytes_matches_char_is_control() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let alone = c.to_string();
            assert_eq!(has_control(&alone), c.is_control(), "{c:?}");
            let between = format!("a{c}\u{a2}");
            assert_eq!(has_control(&between), c.is_control(), "{between:?}");
        }
        for s in ["", "\u{a0}\u{a1}", "\u{c2}\u{80}", "x\u{80}y", "\u{9f}", "\u{7f}", "\u{7e}\u{a0}"] {
            assert_eq!(has_control(s), s.chars().any(char::is_control), "{s:?}");
        }
    }

    /// Run lines are written by hand (not `write!`): the same text as the formatted form.
    #[test]
    fn run_lines_are_the_formatted_text() {
        let entries = vec![
            RunEntry { kind: ObservableKind::Domain, value: "a.example".into(), stat: Stat::default() },
            RunEntry {
                kind: ObservableKind::FilePath,
                value: "/x\ty".into(),
                stat: Stat { first: -5, last: i64::MAX, count: u64::MAX },
            },
        ];
        let mut buf = Vec::new();
        write_run(&mut buf, &entries).unwrap();
        let expected: String = entries
            .iter()
            .map(|e| format!("{}\t{}\t{}\t{}\t{}\n", e.kind.as_str(), e.stat.first, e.stat.last, e.stat.count, e.value))
            .collect();
        assert_eq!(String::from_utf8(buf.clone()).unwrap(), expected);
        let back: Vec<RunEntry> = read_run(std::io::Cursor::new(buf)).map(Result::unwrap).collect();
        assert_eq!(back, entries);
        // a last line without its line break, and one ending in CR LF, read as well
        let crlf: Vec<RunEntry> =
            read_run(std::io::Cursor::new(b"url\t1\t2\t3\thttp://a\r\nip\t1\t1\t1\t10.0.0.1".to_vec()))
                .map(Result::unwrap)
                .collect();
        assert_eq!(crlf.iter().map(|e| &*e.value).collect::<Vec<_>>(), ["http://a", "10.0.0.1"]);
        assert!(read_run(std::io::Cursor::new(b"url\t1\t2\t3\t\xff\n".to_vec())).next().unwrap().is_err());
        assert!(read_run(std::io::Cursor::new(b"\n".to_vec())).next().unwrap().is_err());
    }

    #[test]
    fn file_listings_keep_only_domains_and_tables_are_bounded() {
        let mut t = ObservationTable::new("filesystem");
        t.add(ObservableKind::Process, "private", None);
        t.add(ObservableKind::FilePath, "/private/var/x", None);
        t.add(ObservableKind::Url, "evil.example", None);
        assert_eq!(t.len(), 2, "the URL and its domain only");
        let mut t = ObservationTable::with_cap("sms", 100);
        for i in 0..105 {
            t.add(ObservableKind::Phone, &format!("+{i}"), None);
        }
        t.add(ObservableKind::Phone, "+7", None); // known values are still counted
        assert_eq!((t.len(), t.dropped), (100, 5));
        let merged = merge_tables([t]);
        assert_eq!(merged.iter().find(|o| o.value == "+7").map(|o| o.count), Some(2));
    }

    /// A module flushed in parts gives the same lines as one held whole, whether the parts are
    /// merged in memory or through run files.
    #[test]
    fn flushed_parts_merge_to_the_same_lines() {
        let feed = |o: &Observing<'_>| {
            for i in 0..50u32 {
                o.set_time(Some((ts(i64::from(1000 - i)), ts(i64::from(1000 + i)))));
                let _ = o.check_domain(&format!("h{}.example", i % 17));
                let _ = o.check_phone(&format!("+39 {}", i % 5));
                let _ = o.check_process("bh");
            }
        };
        let whole = Observing::new("m", &NoIndicators);
        feed(&whole);
        let expected = merge_tables([whole.take()]);
        let parts = Mutex::new(Vec::new());
        let flushed = Observing::with_flush("m", &NoIndicators, 7, |t| parts.lock().unwrap().push(t));
        feed(&flushed);
        let last = flushed.take();
        drop(flushed);
        let mut tables = parts.into_inner().unwrap();
        assert!(tables.len() >= 3, "{} parts", tables.len());
        tables.push(last);
        // through run files
        let mut runs: Vec<Run<'static>> = Vec::new();
        let mut in_memory = Vec::new();
        for t in tables {
            let (module, entries) = t.into_sorted();
            let mut buf = Vec::new();
            write_run(&mut buf, &entries).unwrap();
            let back: Vec<RunEntry> = read_run(std::io::Cursor::new(buf.clone())).map(Result::unwrap).collect();
            assert_eq!(back, entries, "a run reads back as written");
            runs.push((module.clone(), Box::new(read_run(std::io::Cursor::new(buf)))));
            let mut t2 = ObservationTable::new(&module);
            for e in entries {
                t2.by_kind[e.kind.index()].insert(e.value, e.stat);
                t2.len += 1;
            }
            in_memory.push(t2);
        }
        let mut from_files = Vec::new();
        merge_runs(runs, |o| {
            from_files.push(o.to_owned());
            Ok(())
        })
        .unwrap();
        assert_eq!(from_files, expected);
        assert_eq!(merge_tables(in_memory), expected);
        let bh = expected.iter().find(|o| o.value == "bh").unwrap();
        assert_eq!((bh.count, bh.first_seen, bh.last_seen), (50, Some(ts(951)), Some(ts(1049))));
        assert!(read_run(std::io::Cursor::new(b"domain\tx\t1\t1\tv\n".to_vec())).next().unwrap().is_err());
    }
}
