//! `sms`: SMS/MMS from an Android backup (`apps/com.android.providers.telephony/d_f/*_sms_backup`
//! and `*_mms_backup`: zlib-compressed JSON arrays of message objects).
//!
//! Fields: `address`, `body` (`mms_body` in MMS backups), `date` and `date_sent` (Unix ms);
//! `direction` is `sent` when `date_sent` is non-zero, else `received`. Links are found in the
//! body. Checks: a link matching a URL/domain indicator → CRITICAL (one alert per matching link);
//! the other party (`address`) matching a phone-number indicator, or an e-mail indicator when it
//! is an address → CRITICAL, as on iOS.
//! Timeline: `sms_received` / `sms_sent`.
//!
//! The JSON is parsed streaming ([`parse_backup_json`]): one array element at a time, each
//! bounded ([`MAX_ELEMENT`]), the whole bounded by a budget (`FERRET_ARTIFACT_LIMIT`, default
//! [`DEFAULT_JSON_LIMIT`] of decompressed JSON), so a few kilobytes of `.ab` expanding to
//! gigabytes of `[0,0,…]` cost bounded time and no memory. Elements that are not objects are
//! skipped: the first ten are named in warnings, all are counted in one warning.

use std::io::Read;

use ferret_core::{
    ArtifactModule, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sms {
    /// Backup file.
    pub file: String,
    /// Other party.
    pub address: Option<String>,
    /// Text.
    pub body: Option<String>,
    /// When (UTC).
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub isodate: Option<Timestamp>,
    /// `sent` or `received`.
    pub direction: String,
    /// Links in the body.
    pub links: Vec<String>,
}

/// The module.
#[derive(Debug, Clone, Copy)]
pub struct SmsBackup;

static PATHS: &[&str] = &[
    "apps/com.android.providers.telephony/d_f/*_sms_backup",
    "apps/com.android.providers.telephony/d_f/*_mms_backup",
    "**/apps/com.android.providers.telephony/d_f/*_sms_backup",
    "**/apps/com.android.providers.telephony/d_f/*_mms_backup",
];

/// Most bytes one element of the JSON array may span (a message object; far more than any real
/// SMS or MMS text).
pub const MAX_ELEMENT: u64 = 8 << 20;
/// Read-ahead buffer of the parser: bytes are counted as they enter it, so an element may span
/// up to twice this much more than its bound before the bound is noticed.
const READ_BUFFER: usize = 64 * 1024;
/// Non-object elements warned about one by one; the rest are only counted.
const WARN_EACH: u64 = 10;

/// Budgets of [`parse_backup_json`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonLimits {
    /// Most decompressed JSON bytes read (the per-artifact budget).
    pub max_bytes: u64,
    /// Most bytes one array element may span.
    pub max_element: u64,
}

/// Default budget of decompressed JSON per file: 64 MiB. Android's telephony backup agent writes
/// at most a thousand messages per `*_sms_backup` file (a few hundred kilobytes of JSON); the
/// budget bounds the time a "JSON bomb" costs (streaming keeps its memory flat anyway).
pub const DEFAULT_JSON_LIMIT: u64 = 64 << 20;

impl JsonLimits {
    /// The smaller of the process artifact budget (`FERRET_ARTIFACT_LIMIT`) and
    /// [`DEFAULT_JSON_LIMIT`]; [`MAX_ELEMENT`] per element
    /// (or the budget, if smaller).
    pub fn from_env() -> Self {
        // the process's artifact budget, but never more than a real message export needs
        let max_bytes = ferret_core::budget::artifact_limit().min(DEFAULT_JSON_LIMIT);
        Self { max_bytes, max_element: max_bytes.min(MAX_ELEMENT) }
    }
}

/// The fields of one message object the module uses (other fields are skipped unread).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawMessage {
    /// `address`, when a string.
    pub address: Option<String>,
    /// `body` when present (as a string, else none); otherwise `mms_body`.
    pub body: Option<String>,
    /// `date` (Unix ms; a number or a numeric string, else 0).
    pub date: i64,
    /// `date_sent` (same rules).
    pub date_sent: i64,
}

/// What [`parse_backup_json`] read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JsonStats {
    /// Message objects.
    pub messages: u64,
    /// Elements that are not objects (numbers, strings, arrays, null...), skipped.
    pub non_messages: u64,
    /// Decompressed bytes read.
    pub bytes: u64,
}

/// Byte accounting shared by the reader and the parser: the parser marks where each element
/// starts, the reader refuses to go past the total budget or past one element's budget.
struct Budget {
    limits: JsonLimits,
    consumed: std::cell::Cell<u64>,
    mark: std::cell::Cell<u64>,
    exceeded: std::cell::RefCell<Option<String>>,
    read_error: std::cell::RefCell<Option<String>>,
}

struct Counted<'a, R> {
    inner: R,
    budget: &'a Budget,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let b = self.budget;
        let n = self.inner.read(buf).inspect_err(|e| *b.read_error.borrow_mut() = Some(e.to_string()))?;
        let consumed = b.consumed.get().saturating_add(n as u64);
        b.consumed.set(consumed);
        let over = if consumed > b.limits.max_bytes {
            Some(format!(
                "decompressed JSON is larger than the {}-byte budget (FERRET_ARTIFACT_LIMIT)",
                b.limits.max_bytes,
            ))
        } else if consumed.saturating_sub(b.mark.get()) > b.limits.max_element.saturating_add(READ_BUFFER as u64) {
            Some(format!("an element of the JSON array is larger than the {}-byte limit", b.limits.max_element))
        } else {
            None
        };
        match over {
            Some(msg) => {
                *b.exceeded.borrow_mut() = Some(msg.clone());
                Err(std::io::Error::other(msg))
            }
            None => Ok(n),
        }
    }
}

/// A JSON scalar as the module reads it (containers are skipped without being kept).
enum Scalar {
    Str(String),
    Int(i64),
    Other,
}

impl Scalar {
    fn into_str(self) -> Option<String> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Unix ms: an integer that fits `i64`, or a string holding one; anything else is 0.
    fn num(&self) -> i64 {
        match self {
            Self::Int(n) => *n,
            Self::Str(s) => s.trim().parse().unwrap_or(0),
            Self::Other => 0,
        }
    }
}

/// Drains what a visitor does not keep.
macro_rules! skip_containers {
    ($value:expr) => {
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
            Ok($value)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?.is_some() {}
            Ok($value)
        }
    };
}

/// Drains what a visitor does not keep (scalars).
macro_rules! skip_scalars {
    ($value:expr) => {
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Str(v.to_string()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar::Str(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(i64::try_from(v).map_or(Scalar::Other, Scalar::Int))
            }
            skip_scalars!(Scalar::Other);
            skip_containers!(Scalar::Other);
        }
        d.deserialize_any(V)
    }
}

enum Field {
    Address,
    Body,
    MmsBody,
    Date,
    DateSent,
    Other,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Field;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Field, E> {
                Ok(match v {
                    "address" => Field::Address,
                    "body" => Field::Body,
                    "mms_body" => Field::MmsBody,
                    "date" => Field::Date,
                    "date_sent" => Field::DateSent,
                    _ => Field::Other,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

/// One array element: `Some` for a message object, `None` for anything else (drained).
struct Element;

impl<'de> serde::de::DeserializeSeed<'de> for Element {
    type Value = Option<RawMessage>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Option<RawMessage>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a message object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                // Duplicate keys: the last one wins (as with a parsed JSON object).
                let mut m = RawMessage::default();
                let (mut body, mut mms_body) = (None, None);
                while let Some(key) = map.next_key::<Field>()? {
                    match key {
                        Field::Address => m.address = map.next_value::<Scalar>()?.into_str(),
                        Field::Body => body = Some(map.next_value::<Scalar>()?.into_str()),
                        Field::MmsBody => mms_body = Some(map.next_value::<Scalar>()?.into_str()),
                        Field::Date => m.date = map.next_value::<Scalar>()?.num(),
                        Field::DateSent => m.date_sent = map.next_value::<Scalar>()?.num(),
                        Field::Other => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                m.body = match body {
                    Some(b) => b,
                    None => mms_body.flatten(),
                };
                Ok(Some(m))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(None)
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(None)
            }
            skip_scalars!(None);
        }
        d.deserialize_any(V)
    }
}

type Visit<'a> = &'a mut dyn FnMut(u64, Option<RawMessage>) -> Result<(), ModuleError>;

/// The top-level array, one element at a time.
struct Array<'a, 'b> {
    budget: &'a Budget,
    visit: Visit<'b>,
    stats: &'a mut JsonStats,
    stopped: &'a mut Option<ModuleError>,
}

impl<'de> serde::de::Visitor<'de> for Array<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON array of message objects")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0u64;
        loop {
            self.budget.mark.set(self.budget.consumed.get());
            let Some(element) = seq.next_element_seed(Element)? else { break };
            match &element {
                Some(_) => self.stats.messages += 1,
                None => self.stats.non_messages += 1,
            }
            if let Err(e) = (self.visit)(i, element) {
                *self.stopped = Some(e);
                return Err(serde::de::Error::custom("stopped by the caller"));
            }
            i += 1;
        }
        Ok(())
    }
}

/// Parses a decompressed `sms_backup`/`mms_backup` JSON array from `input` **streaming**: one
/// element at a time is read and handed to `visit` (`Some` for a message object, `None` for any
/// other element, which is skipped), so memory stays flat whatever the array's size. At most
/// `limits.max_bytes` are read in total and `limits.max_element` per element (plus up to twice
/// the 64 KiB read buffer); beyond, the parse fails with a message naming the budget. Errors name `path`.
pub fn parse_backup_json(
    input: impl Read,
    limits: JsonLimits,
    path: &str,
    visit: Visit<'_>,
) -> Result<JsonStats, ModuleError> {
    use serde::Deserializer as _;
    let budget = Budget {
        limits,
        consumed: std::cell::Cell::new(0),
        mark: std::cell::Cell::new(0),
        exceeded: std::cell::RefCell::new(None),
        read_error: std::cell::RefCell::new(None),
    };
    let reader = std::io::BufReader::with_capacity(READ_BUFFER, Counted { inner: input, budget: &budget });
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut stats = JsonStats::default();
    let mut stopped = None;
    let result = (&mut de)
        .deserialize_seq(Array { budget: &budget, visit, stats: &mut stats, stopped: &mut stopped })
        .and_then(|()| de.end());
    stats.bytes = budget.consumed.get();
    if let Some(e) = stopped {
        return Err(e);
    }
    if let Err(e) = result {
        if let Some(msg) = budget.exceeded.borrow_mut().take() {
            return Err(ModuleError::format(path, msg));
        }
        if let Some(msg) = budget.read_error.borrow_mut().take() {
            return Err(ModuleError::format(path, format!("not zlib data: {msg}")));
        }
        return Err(ModuleError::format(path, format!("not a JSON array: {e}")));
    }
    Ok(stats)
}

impl ArtifactModule for SmsBackup {
    type Record = Sms;
    const NAME: &'static str = "sms";
    const DESCRIPTION: &'static str = "SMS and MMS from an Android backup";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let mut files = ctx.evidence.locate(&Locator { backup: &[], paths: PATHS })?;
        files.dedup_by(|a, b| a.path == b.path);
        if files.is_empty() {
            return Ok(Outcome::NotFound);
        }
        let limits = JsonLimits::from_env();
        for f in files {
            let r = ctx.evidence.open(&f)?.take(256 << 20);
            let mut warned = 0u64;
            let stats = parse_backup_json(flate2::read::ZlibDecoder::new(r), limits, &f.path, &mut |i, m| {
                let Some(m) = m else {
                    if warned < WARN_EACH {
                        warned += 1;
                        out.warn(format!("{}: message {i} is not an object", f.path));
                    }
                    return Ok(());
                };
                let links = m.body.as_deref().map(ferret_core::urls::find_urls).unwrap_or_default();
                out.record(Sms {
                    file: f.path.clone(),
                    address: m.address,
                    isodate: ferret_core::time::from_unix_ms(m.date),
                    direction: if m.date_sent != 0 { "sent".into() } else { "received".into() },
                    body: m.body,
                    links,
                })
            })?;
            if stats.non_messages > 0 {
                out.warn(format!("{}: {} elements are not message objects (skipped)", f.path, stats.non_messages));
            }
        }
        Ok(Outcome::Completed)
    }

    fn timeline(&self, r: &Sms, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.isodate {
            events.push((
                t,
                format!("sms_{}", r.direction),
                format!("{}: {}", r.address.as_deref().unwrap_or("?"), r.body.as_deref().unwrap_or("")),
            ));
        }
    }

    fn check(&self, r: &Sms, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        let mut seen = std::collections::HashSet::new();
        for l in &r.links {
            if seen.insert(l.as_str())
                && let Some(m) = ind.check_url(l)
            {
                f.push(ioc_finding(Level::Critical, "Link in SMS", l, r.isodate, m));
            }
        }
        // the other party, as on iOS: a phone number, or an e-mail address (SMS from e-mail
        // gateways, RCS)
        if let Some(a) = r.address.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            let m = if a.contains('@') { ind.check_email(a) } else { ind.check_phone(a) };
            if let Some(m) = m {
                let what = if r.direction == "sent" { "SMS to" } else { "SMS from" };
                f.push(ioc_finding(Level::Critical, what, a, r.isodate, m));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BIG: JsonLimits = JsonLimits { max_bytes: 1 << 30, max_element: MAX_ELEMENT };

    fn parse(json: &str, limits: JsonLimits) -> Result<(Vec<Option<RawMessage>>, JsonStats), ModuleError> {
        let mut got = Vec::new();
        let stats = parse_backup_json(json.as_bytes(), limits, "f", &mut |_, m| {
            got.push(m);
            Ok(())
        })?;
        Ok((got, stats))
    }

    /// The other party is checked as on iOS: phone numbers whatever their formatting, e-mail
    /// addresses as e-mail indicators; nothing else matches.
    #[test]
    fn the_other_party_is_checked() {
        let bundle = r#"{"type":"bundle","id":"bundle--1","objects":[
            {"type":"malware","id":"malware--1","name":"Smish"},
            {"type":"indicator","id":"indicator--1","pattern":"[phone-number:value = '+447700900123']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"},
            {"type":"indicator","id":"indicator--2","pattern":"[email-addr:value = 'bad@evil.example']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"},
            {"type":"relationship","id":"relationship--1","relationship_type":"indicates","source_ref":"indicator--1","target_ref":"malware--1"},
            {"type":"relationship","id":"relationship--2","relationship_type":"indicates","source_ref":"indicator--2","target_ref":"malware--1"}]}"#;
        let (ind, report) = ferret_indicators::load_bytes(bundle.as_bytes(), "t.stix2");
        assert!(report.rejected_patterns.is_empty(), "{:?}", report.rejected_patterns);
        let check = |address: &str, direction: &str| {
            let r = Sms {
                file: "f".into(),
                address: Some(address.into()),
                body: None,
                isodate: None,
                direction: direction.into(),
                links: Vec::new(),
            };
            let mut f = Vec::new();
            SmsBackup.check(&r, &ind, &mut f);
            f.into_iter().map(|x| (x.level, x.message)).collect::<Vec<_>>()
        };
        let hit = check("+44 7700 900123", "received");
        assert_eq!(hit.len(), 1, "{hit:?}");
        assert_eq!(hit[0].0, Level::Critical);
        assert!(hit[0].1.starts_with("SMS from \"+44 7700 900123\""), "{}", hit[0].1);
        let sent = check("BAD@evil.example", "sent");
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert!(sent[0].1.starts_with("SMS to"), "{}", sent[0].1);
        for other in ["+447700900124", "good@evil.example", "evil.example", "", "  "] {
            assert_eq!(check(other, "received"), Vec::new(), "{other:?}");
        }
    }

    /// The streamed reader gives what reading the parsed `serde_json::Value` gave.
    #[test]
    fn fields_follow_the_value_rules() {
        let json = r#"[
            {"address":"+1","body":"hi","date":"1709000000000","date_sent":"0","type":"1"},
            {"address":5,"body":null,"mms_body":"ignored: body is present","date":1709000000001,"date_sent":-3},
            {"mms_body":"photo","date":1.5e12,"date_sent":" 7 "},
            {"address":"a","address":"b","date":18446744073709551615,"x":{"y":[1,2,{"z":null}]}},
            0, "s", [1, [2]], null, true, {}
        ]"#;
        let (got, stats) = parse(json, BIG).expect("parses");
        let m = |a: Option<&str>, b: Option<&str>, d: i64, s: i64| {
            Some(RawMessage { address: a.map(str::to_string), body: b.map(str::to_string), date: d, date_sent: s })
        };
        assert_eq!(
            got,
            vec![
                m(Some("+1"), Some("hi"), 1_709_000_000_000, 0),
                m(None, None, 1_709_000_000_001, -3),
                m(None, Some("photo"), 0, 7),
                m(Some("b"), None, 0, 0),
                None,
                None,
                None,
                None,
                None,
                m(None, None, 0, 0),
            ]
        );
        assert_eq!((stats.messages, stats.non_messages), (5, 5));
    }

    #[test]
    fn errors_name_the_file_and_the_budget() {
        for bad in ["{}", "[1,2", "[1] x", "", "[{\"a\":}]"] {
            let e = parse(bad, BIG).expect_err(bad).to_string();
            assert!(e.starts_with("f: not a JSON array"), "{bad}: {e}");
        }
        // total budget
        let json = format!("[{}]", vec!["0"; 10_000].join(","));
        let e = parse(&json, JsonLimits { max_bytes: 1000, max_element: 1000 }).expect_err("budget").to_string();
        assert!(e.contains("larger than the 1000-byte budget") && e.contains("FERRET_ARTIFACT_LIMIT"), "{e}");
        // one element over its bound, although the total is within budget
        let long = format!(r#"[{{"body":"{}"}}]"#, "x".repeat(400_000));
        let limits = JsonLimits { max_bytes: 1 << 20, max_element: 100_000 };
        let Err(e) = parse(&long, limits) else { panic!("the element bound is not enforced") };
        let e = e.to_string();
        assert!(e.contains("element of the JSON array is larger than the 100000-byte limit"), "{e}");
        // many small elements are fine under the same per-element bound
        let many = format!("[{}]", vec![r#"{"body":"x"}"#; 20_000].join(","));
        let (_, stats) = parse(&many, limits).expect("small elements");
        assert_eq!(stats.messages, 20_000);
        // a caller error stops the parse and is returned as is
        let e = parse_backup_json("[0,0]".as_bytes(), BIG, "f", &mut |_, _| Err(ModuleError::format("g", "stop")))
            .expect_err("stopped");
        assert_eq!(e.to_string(), ModuleError::format("g", "stop").to_string());
    }

    /// Memory does not depend on the array's length: a long `[0,0,…]` is read through a
    /// bounded element budget and only counted.
    #[test]
    fn long_arrays_are_counted_not_kept() {
        struct Zeros(u64);
        impl Read for Zeros {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = buf.len().min(usize::try_from(self.0).unwrap_or(usize::MAX));
                for (i, b) in buf.iter_mut().take(n).enumerate() {
                    *b = if (self.0 - i as u64).is_multiple_of(2) { b',' } else { b'0' };
                }
                self.0 -= n as u64;
                Ok(n)
            }
        }
        // "[" + "0,0,...,0" + "]" as a chained reader: 4 MiB, elements of 2 bytes.
        let body = Zeros(4 << 20 | 1);
        let input = std::io::Read::chain(std::io::Read::chain(&b"["[..], body), &b"]"[..]);
        let mut seen = 0u64;
        let stats = parse_backup_json(input, JsonLimits { max_bytes: 8 << 20, max_element: 1024 }, "f", &mut |_, m| {
            assert!(m.is_none());
            seen += 1;
            Ok(())
        })
        .expect("parses");
        assert_eq!(stats.non_messages, (4 << 20) / 2 + 1);
        assert_eq!(seen, stats.non_messages);
    }
}
