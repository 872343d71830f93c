//! NSKeyedArchiver archives, resolved without recursion.
//!
//! An archive is a property list `{ $archiver: "NSKeyedArchiver", $version: 100000,
//! $top: { root: UID(1), ... }, $objects: [ "$null", ... ] }`. Objects refer to each other by
//! `UID` (an index into `$objects`); index 0 is the `$null` placeholder. A class-tagged object
//! is a dictionary with `$class: UID(k)` where `$objects[k] = { $classname, $classes }`.
//!
//! [`KeyedArchive::to_json`] turns an archive into plain JSON:
//! * `NSDictionary`/`NSMutableDictionary` (`NS.keys` + `NS.objects`) → object;
//! * `NSArray`/`NSMutableArray`/`NSSet`/`NSMutableSet`/`NSOrderedSet` (`NS.objects`) → array;
//! * `NSString`/`NSMutableString` (`NS.string`, or UTF-8 `NS.bytes`) → string;
//! * `NSData`/`NSMutableData` (`NS.data`) and plain `<data>` → base64 string (use
//!   [`KeyedArchive::data`] for the bytes);
//! * `NSDate` (`NS.time`, seconds since 2001-01-01 UTC) and plist dates → `YYYY-MM-DD
//!   HH:MM:SS.ffffff` (UTC);
//! * `NSUUID` (`NS.uuidbytes`) → `XXXXXXXX-XXXX-...` (upper case);
//! * `NSURL` (`NS.base` + `NS.relative`) → string; `NSNull` → `null`;
//! * any other class → object of its fields plus `"$class": "<name>"`.
//!
//! Hostile archives are handled: the walk uses an explicit stack capped at
//! [`MAX_ARCHIVE_DEPTH`]; an object already being expanded on the current path (a cycle, which
//! Cocoa allows) becomes `{"$ref": <uid>}`; the total output is capped at
//! [`MAX_ARCHIVE_NODES`] values and [`MAX_ARCHIVE_BYTES`] bytes of text (shared objects are
//! expanded each time they are referenced, so this bounds "billion laughs" archives, of many
//! small objects or of one big shared string); every UID is bounds-checked.

use base64::Engine as _;
use plist::{Dictionary, Value};
use serde_json::{Map, Value as Json};

use crate::FormatError;

/// Deepest object nesting expanded.
pub const MAX_ARCHIVE_DEPTH: usize = 256;
/// Most JSON values produced from one archive.
pub const MAX_ARCHIVE_NODES: usize = 2_000_000;
/// Most bytes of JSON text (strings, base64 data, object keys) produced from one archive: a
/// shared object is expanded at each reference, so a 1 MB string referenced a million times by
/// UID (a few megabytes of archive) would otherwise become a terabyte.
pub const MAX_ARCHIVE_BYTES: u64 = 512 << 20;

/// Parses bytes as a property list and resolves it as a keyed archive.
pub fn parse_keyed_archive(bytes: &[u8]) -> Result<Json, FormatError> {
    let v = crate::parse_plist(bytes)?;
    KeyedArchive::new(&v)?.to_json()
}

/// Whether a property list looks like an NSKeyedArchiver archive.
pub fn is_keyed_archive(v: &Value) -> bool {
    v.as_dictionary().is_some_and(|d| d.contains_key("$objects") && d.contains_key("$top"))
}

/// A validated view of an archive's `$top` and `$objects`.
#[derive(Debug, Clone, Copy)]
pub struct KeyedArchive<'a> {
    objects: &'a [Value],
    top: &'a Dictionary,
}

/// Formats Unix seconds (with fraction) like ferret result files.
pub(crate) fn format_unix(secs: f64) -> Option<String> {
    if !secs.is_finite() {
        return None;
    }
    let d = jiff::SignedDuration::try_from_secs_f64(secs).ok()?;
    let t = jiff::Timestamp::UNIX_EPOCH.checked_add(d).ok()?;
    Some(t.strftime("%Y-%m-%d %H:%M:%S%.6f").to_string())
}

const MAC_EPOCH: f64 = 978_307_200.0;

fn plist_date(d: plist::Date) -> Option<String> {
    let st: std::time::SystemTime = d.into();
    let t = jiff::Timestamp::try_from(st).ok()?;
    Some(t.strftime("%Y-%m-%d %H:%M:%S%.6f").to_string())
}

fn b64(data: &[u8]) -> Json {
    Json::String(base64::engine::general_purpose::STANDARD.encode(data))
}

/// A plain value (no children) to JSON.
fn scalar(v: &Value) -> Option<Json> {
    Some(match v {
        Value::String(s) if s == "$null" => Json::Null,
        Value::String(s) => Json::String(s.clone()),
        Value::Boolean(b) => Json::Bool(*b),
        Value::Integer(i) => match (i.as_signed(), i.as_unsigned()) {
            (Some(s), _) => Json::from(s),
            (None, Some(u)) => Json::from(u),
            _ => Json::Null,
        },
        Value::Real(r) => serde_json::Number::from_f64(*r).map_or(Json::Null, Json::Number),
        Value::Date(d) => plist_date(*d).map_or(Json::Null, Json::String),
        Value::Data(d) => b64(d),
        _ => return None,
    })
}

enum Build {
    Array(Vec<Json>),
    Object { keys: Vec<String>, map: Map<String, Json>, class: Option<String> },
}

struct Frame<'a> {
    build: Build,
    children: Vec<&'a Value>,
    next: usize,
    uid: Option<usize>,
}

enum Step<'a> {
    Done(Json),
    Open(Frame<'a>),
}

impl<'a> KeyedArchive<'a> {
    /// Checks the archive's shape (`$objects` array, `$top` dictionary).
    pub fn new(v: &'a Value) -> Result<Self, FormatError> {
        let d = v.as_dictionary().ok_or_else(|| FormatError::archive("archive", "not a dictionary"))?;
        let objects = d
            .get("$objects")
            .and_then(Value::as_array)
            .ok_or_else(|| FormatError::archive("$objects", "missing or not an array"))?;
        let top = d
            .get("$top")
            .and_then(Value::as_dictionary)
            .ok_or_else(|| FormatError::archive("$top", "missing or not a dictionary"))?;
        // `$archiver` is not checked: subclasses of NSKeyedArchiver use the same layout.
        Ok(Self { objects, top })
    }

    /// The `$objects` array.
    pub fn objects(&self) -> &'a [Value] {
        self.objects
    }

    /// The object a UID designates (bounds-checked).
    pub fn object(&self, uid: u64) -> Result<&'a Value, FormatError> {
        usize::try_from(uid).ok().and_then(|i| self.objects.get(i)).ok_or_else(|| {
            FormatError::archive(format!("UID {uid}"), format!("out of range ({} objects)", self.objects.len()))
        })
    }

    /// Follows a UID (possibly a short chain of them) to a non-UID value.
    pub fn deref(&self, v: &'a Value) -> Result<&'a Value, FormatError> {
        let mut cur = v;
        for _ in 0..16 {
            match cur {
                Value::Uid(u) => cur = self.object(u.get())?,
                other => return Ok(other),
            }
        }
        Err(FormatError::archive("UID chain", "more than 16 UIDs in a row"))
    }

    /// The root object (`$top.root`), dereferenced.
    pub fn root(&self) -> Result<&'a Value, FormatError> {
        let r = self.top.get("root").ok_or_else(|| FormatError::archive("$top.root", "missing"))?;
        self.deref(r)
    }

    /// The class name of a class-tagged object dictionary.
    pub fn class_name(&self, obj: &'a Dictionary) -> Option<&'a str> {
        let class = self.deref(obj.get("$class")?).ok()?.as_dictionary()?;
        class.get("$classname")?.as_string()
    }

    /// A field of an object, dereferenced; `None` when absent or `$null`.
    pub fn field(&self, obj: &'a Dictionary, key: &str) -> Result<Option<&'a Value>, FormatError> {
        match obj.get(key) {
            None => Ok(None),
            Some(v) => {
                let v = self.deref(v)?;
                Ok(if v.as_string() == Some("$null") { None } else { Some(v) })
            }
        }
    }

    /// A string field (plain string or `NSString`).
    pub fn string(&self, v: &'a Value) -> Result<Option<String>, FormatError> {
        let v = self.deref(v)?;
        Ok(match v {
            Value::String(s) if s == "$null" => None,
            Value::String(s) => Some(s.clone()),
            Value::Dictionary(d) => match self.field(d, "NS.string")? {
                Some(Value::String(s)) => Some(s.clone()),
                _ => match self.field(d, "NS.bytes")? {
                    Some(Value::Data(b)) => Some(String::from_utf8_lossy(b).into_owned()),
                    _ => None,
                },
            },
            _ => None,
        })
    }

    /// The bytes of a data field (plain `<data>` or `NSData`/`NSMutableData`).
    pub fn data(&self, v: &'a Value) -> Result<Option<&'a [u8]>, FormatError> {
        let v = self.deref(v)?;
        Ok(match v {
            Value::Data(d) => Some(d.as_slice()),
            Value::Dictionary(d) => match self.field(d, "NS.data")? {
                Some(Value::Data(b)) => Some(b.as_slice()),
                _ => None,
            },
            _ => None,
        })
    }

    /// The whole archive as JSON: the root object, or an object of every `$top` key when the
    /// archive has several top-level keys.
    pub fn to_json(&self) -> Result<Json, FormatError> {
        if self.top.len() == 1
            && let Some(r) = self.top.get("root")
        {
            return self.decode(r);
        }
        let mut map = Map::new();
        for (k, v) in self.top {
            map.insert(k.clone(), self.decode(v)?);
        }
        Ok(Json::Object(map))
    }

    /// Resolves one value (UIDs followed) to JSON, iteratively.
    pub fn decode(&self, v: &'a Value) -> Result<Json, FormatError> {
        let mut on_path = vec![false; self.objects.len()];
        let mut nodes = 0usize;
        let mut bytes = 0u64;
        let mut stack: Vec<Frame<'a>> = Vec::new();
        let mut pending: Option<Json> = None;
        let mut step = self.step(v, &on_path)?;
        loop {
            nodes += 1;
            if nodes > MAX_ARCHIVE_NODES {
                return Err(FormatError::TooLarge {
                    what: "keyed archive expansion",
                    size: nodes as u64,
                    limit: MAX_ARCHIVE_NODES as u64,
                });
            }
            match step {
                Step::Done(j) => {
                    bytes = bytes.saturating_add(match &j {
                        Json::String(s) => s.len() as u64,
                        _ => 8,
                    });
                    if bytes > MAX_ARCHIVE_BYTES {
                        return Err(FormatError::TooLarge {
                            what: "keyed archive expansion (bytes of text)",
                            size: bytes,
                            limit: MAX_ARCHIVE_BYTES,
                        });
                    }
                    pending = Some(j);
                }
                Step::Open(frame) => {
                    if stack.len() >= MAX_ARCHIVE_DEPTH {
                        return Err(FormatError::TooDeep {
                            what: "keyed archive",
                            limit: MAX_ARCHIVE_DEPTH,
                            offset: frame.uid.unwrap_or(0),
                        });
                    }
                    if let Some(u) = frame.uid
                        && let Some(slot) = on_path.get_mut(u)
                    {
                        *slot = true;
                    }
                    stack.push(frame);
                }
            }
            // Deliver finished values upwards and find the next child to expand.
            loop {
                let Some(top) = stack.last_mut() else {
                    return Ok(pending.unwrap_or(Json::Null));
                };
                if let Some(j) = pending.take() {
                    match &mut top.build {
                        Build::Array(a) => a.push(j),
                        Build::Object { keys, map, .. } => {
                            let k = keys.get(top.next - 1).cloned().unwrap_or_default();
                            map.insert(k, j);
                        }
                    }
                }
                if top.next < top.children.len() {
                    let child = top.children[top.next];
                    top.next += 1;
                    step = self.step(child, &on_path)?;
                    break;
                }
                let Some(done) = stack.pop() else { continue };
                if let Some(u) = done.uid
                    && let Some(slot) = on_path.get_mut(u)
                {
                    *slot = false;
                }
                pending = Some(match done.build {
                    Build::Array(a) => Json::Array(a),
                    Build::Object { mut map, class, .. } => {
                        if let Some(c) = class {
                            map.insert("$class".into(), Json::String(c));
                        }
                        Json::Object(map)
                    }
                });
            }
        }
    }

    fn step(&self, v: &'a Value, on_path: &[bool]) -> Result<Step<'a>, FormatError> {
        let (v, uid) = match v {
            Value::Uid(u) => {
                let idx = usize::try_from(u.get()).unwrap_or(usize::MAX);
                if on_path.get(idx).copied().unwrap_or(false) {
                    let mut m = Map::new();
                    m.insert("$ref".into(), Json::from(u.get()));
                    return Ok(Step::Done(Json::Object(m)));
                }
                (self.deref(v)?, Some(idx))
            }
            other => (other, None),
        };
        if let Some(j) = scalar(v) {
            return Ok(Step::Done(j));
        }
        let at = || uid.map_or_else(|| "inline value".to_string(), |u| format!("$objects[{u}]"));
        match v {
            Value::Array(a) => Ok(Step::Open(Frame {
                build: Build::Array(Vec::with_capacity(a.len())),
                children: a.iter().collect(),
                next: 0,
                uid,
            })),
            Value::Dictionary(d) => {
                let class = self.class_name(d);
                let arr = |key: &str| -> Result<Vec<&'a Value>, FormatError> {
                    match self.field(d, key)? {
                        None => Ok(Vec::new()),
                        Some(Value::Array(a)) => Ok(a.iter().collect()),
                        Some(_) => Err(FormatError::archive(format!("{}.{key}", at()), "not an array")),
                    }
                };
                match class {
                    Some("NSDictionary" | "NSMutableDictionary") => {
                        let keys = arr("NS.keys")?;
                        let values = arr("NS.objects")?;
                        if keys.len() != values.len() {
                            return Err(FormatError::archive(
                                at(),
                                format!("{} keys but {} objects", keys.len(), values.len()),
                            ));
                        }
                        let keys = keys
                            .into_iter()
                            .enumerate()
                            .map(|(i, k)| self.key_text(k, i))
                            .collect::<Result<Vec<_>, _>>()?;
                        Ok(Step::Open(Frame {
                            build: Build::Object { keys, map: Map::new(), class: None },
                            children: values,
                            next: 0,
                            uid,
                        }))
                    }
                    Some(
                        "NSArray"
                        | "NSMutableArray"
                        | "NSSet"
                        | "NSMutableSet"
                        | "NSOrderedSet"
                        | "NSMutableOrderedSet",
                    ) => {
                        let items = arr("NS.objects")?;
                        Ok(Step::Open(Frame {
                            build: Build::Array(Vec::with_capacity(items.len())),
                            children: items,
                            next: 0,
                            uid,
                        }))
                    }
                    Some("NSString" | "NSMutableString") => {
                        Ok(Step::Done(self.string(v)?.map_or(Json::Null, Json::String)))
                    }
                    Some("NSData" | "NSMutableData") => Ok(Step::Done(self.data(v)?.map_or(Json::Null, b64))),
                    Some("NSDate") => {
                        let t = self
                            .field(d, "NS.time")?
                            .and_then(|t| t.as_real().or_else(|| t.as_signed_integer().map(|i| i as f64)));
                        Ok(Step::Done(t.and_then(|t| format_unix(t + MAC_EPOCH)).map_or(Json::Null, Json::String)))
                    }
                    Some("NSUUID") => {
                        let b = match self.field(d, "NS.uuidbytes")? {
                            Some(Value::Data(b)) => Some(b.as_slice()),
                            _ => None,
                        };
                        Ok(Step::Done(b.and_then(uuid_text).map_or(Json::Null, Json::String)))
                    }
                    Some("NSURL") => {
                        let base = match d.get("NS.base") {
                            Some(b) => self.string(b)?,
                            None => None,
                        };
                        let rel = match d.get("NS.relative") {
                            Some(r) => self.string(r)?,
                            None => None,
                        };
                        Ok(Step::Done(match (base, rel) {
                            (Some(b), Some(r)) => Json::String(format!("{b}{r}")),
                            (None, Some(r)) | (Some(r), None) => Json::String(r),
                            (None, None) => Json::Null,
                        }))
                    }
                    Some("NSNull") => Ok(Step::Done(Json::Null)),
                    other => {
                        let mut keys = Vec::with_capacity(d.len());
                        let mut children = Vec::with_capacity(d.len());
                        for (k, val) in d {
                            if k == "$class" {
                                continue;
                            }
                            keys.push(k.clone());
                            children.push(val);
                        }
                        let class = other.map(str::to_string);
                        Ok(Step::Open(Frame {
                            build: Build::Object { keys, map: Map::new(), class },
                            children,
                            next: 0,
                            uid,
                        }))
                    }
                }
            }
            Value::Uid(_) => Err(FormatError::archive(at(), "UID refers to a UID")),
            _ => Ok(Step::Done(Json::Null)),
        }
    }

    /// A dictionary key as text (strings, NSString, numbers); others get a positional name.
    fn key_text(&self, k: &'a Value, i: usize) -> Result<String, FormatError> {
        if let Some(s) = self.string(k)? {
            return Ok(s);
        }
        Ok(match scalar(self.deref(k)?) {
            Some(Json::String(s)) => s,
            Some(Json::Null) | None => format!("$key{i}"),
            Some(other) => other.to_string(),
        })
    }
}

fn uuid_text(b: &[u8]) -> Option<String> {
    if b.len() != 16 {
        return None;
    }
    let h: String = b.iter().map(|x| format!("{x:02X}")).collect();
    Some(format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use plist::Uid;

    fn dict(pairs: Vec<(&str, Value)>) -> Value {
        let mut d = Dictionary::new();
        for (k, v) in pairs {
            d.insert(k.to_string(), v);
        }
        Value::Dictionary(d)
    }
    fn uid(n: u64) -> Value {
        Value::Uid(Uid::new(n))
    }
    fn class(name: &str) -> Value {
        dict(vec![
            ("$classname", Value::String(name.into())),
            ("$classes", Value::Array(vec![Value::String(name.into()), Value::String("NSObject".into())])),
        ])
    }
    fn archive(objects: Vec<Value>) -> Value {
        dict(vec![
            ("$archiver", Value::String("NSKeyedArchiver".into())),
            ("$version", Value::Integer(100000.into())),
            ("$top", dict(vec![("root", uid(1))])),
            ("$objects", Value::Array(objects)),
        ])
    }

    #[test]
    fn resolves_common_classes() {
        let a = archive(vec![
            Value::String("$null".into()),
            // 1: NSDictionary {name: "x", when: NSDate, list: [1, data], id: NSUUID, url: NSURL}
            dict(vec![
                ("NS.keys", Value::Array(vec![uid(2), uid(3), uid(4), uid(5), uid(6)])),
                ("NS.objects", Value::Array(vec![uid(7), uid(8), uid(10), uid(13), uid(15)])),
                ("$class", uid(9)),
            ]),
            Value::String("name".into()),
            Value::String("when".into()),
            Value::String("list".into()),
            Value::String("id".into()),
            Value::String("url".into()),
            Value::String("x".into()),
            dict(vec![("NS.time", Value::Real(0.5)), ("$class", uid(11))]),
            class("NSMutableDictionary"),
            dict(vec![("NS.objects", Value::Array(vec![Value::Integer(1.into()), uid(12)])), ("$class", uid(14))]),
            class("NSDate"),
            dict(vec![("NS.data", Value::Data(vec![1, 2, 3])), ("$class", uid(16))]),
            dict(vec![("NS.uuidbytes", Value::Data((0u8..16).collect())), ("$class", uid(17))]),
            class("NSArray"),
            dict(vec![("NS.base", uid(0)), ("NS.relative", uid(18)), ("$class", uid(19))]),
            class("NSMutableData"),
            class("NSUUID"),
            Value::String("https://example.invalid/a".into()),
            class("NSURL"),
        ]);
        let j = KeyedArchive::new(&a).expect("archive").to_json().expect("json");
        assert_eq!(j["name"], "x");
        assert_eq!(j["when"], "2001-01-01 00:00:00.500000");
        assert_eq!(j["list"], serde_json::json!([1, "AQID"]));
        assert_eq!(j["id"], "00010203-0405-0607-0809-0A0B0C0D0E0F");
        assert_eq!(j["url"], "https://example.invalid/a");
    }

    #[test]
    fn cycles_become_refs() {
        // 1: NSArray containing itself and a custom object pointing back to 1
        let a = archive(vec![
            Value::String("$null".into()),
            dict(vec![("NS.objects", Value::Array(vec![uid(1), uid(3)])), ("$class", uid(2))]),
            class("NSArray"),
            dict(vec![("parent", uid(1)), ("$class", uid(4))]),
            class("Node"),
        ]);
        let j = KeyedArchive::new(&a).expect("archive").to_json().expect("json");
        assert_eq!(j[0], serde_json::json!({"$ref": 1}));
        assert_eq!(j[1]["parent"], serde_json::json!({"$ref": 1}));
        assert_eq!(j[1]["$class"], "Node");
    }

    #[test]
    fn uid_out_of_range_and_bad_shapes() {
        let a = archive(vec![Value::String("$null".into()), dict(vec![("x", uid(99))])]);
        let err = KeyedArchive::new(&a).expect("archive").to_json().expect_err("out of range");
        assert!(err.to_string().contains("UID 99"), "{err}");
        assert!(KeyedArchive::new(&Value::Array(vec![])).is_err());
        assert!(KeyedArchive::new(&dict(vec![("$objects", Value::Array(vec![]))])).is_err());
        let a = archive(vec![Value::String("$null".into())]);
        assert!(KeyedArchive::new(&a).expect("archive").to_json().is_err(), "root UID 1 missing");
        // keys/objects length mismatch
        let a = archive(vec![
            Value::String("$null".into()),
            dict(vec![
                ("NS.keys", Value::Array(vec![uid(0)])),
                ("NS.objects", Value::Array(vec![])),
                ("$class", uid(2)),
            ]),
            class("NSDictionary"),
        ]);
        assert!(KeyedArchive::new(&a).expect("archive").to_json().is_err());
    }

    #[test]
    fn deep_chain_is_an_error() {
        // 100k nested custom objects: object i has field "next" = UID(i+1)
        let n = 100_000u64;
        let mut objects = vec![Value::String("$null".into())];
        for i in 1..n {
            objects.push(dict(vec![("next", uid(i + 1))]));
        }
        objects.push(Value::String("end".into()));
        let a = archive(objects);
        let err = KeyedArchive::new(&a).expect("archive").to_json().expect_err("too deep");
        assert!(matches!(err, FormatError::TooDeep { .. }));
        // and through the byte-level entry point
        let mut bytes = Vec::new();
        a.to_writer_binary(&mut bytes).expect("write");
        assert!(parse_keyed_archive(&bytes).is_err());
    }

    #[test]
    fn exponential_sharing_is_bounded() {
        // object i = [UID(i+1), UID(i+1)] for 60 levels: 2^60 expansions without a budget
        let mut objects = vec![Value::String("$null".into())];
        for i in 1..60u64 {
            objects.push(Value::Array(vec![uid(i + 1), uid(i + 1)]));
        }
        objects.push(Value::Integer(1.into()));
        let a = archive(objects);
        let err = KeyedArchive::new(&a).expect("archive").to_json().expect_err("budget");
        assert!(matches!(err, FormatError::TooLarge { .. }));
    }

    #[test]
    fn one_big_shared_string_is_bounded_by_bytes() {
        // one 1 MiB string referenced 1000 times: 1000 nodes (under the node budget) but 1 GiB
        // of text without the byte budget
        let big = "x".repeat(1 << 20);
        let refs: Vec<Value> = (0..1000).map(|_| uid(2)).collect();
        let a = archive(vec![Value::String("$null".into()), Value::Array(refs), Value::String(big)]);
        let err = KeyedArchive::new(&a).expect("archive").to_json().expect_err("budget");
        assert!(
            matches!(err, FormatError::TooLarge { what: "keyed archive expansion (bytes of text)", limit, .. }
                if limit == MAX_ARCHIVE_BYTES),
            "{err}"
        );
    }

    #[test]
    fn truncated_archive_bytes() {
        let a = archive(vec![Value::String("$null".into()), Value::String("hello".into())]);
        let mut bytes = Vec::new();
        a.to_writer_binary(&mut bytes).expect("write");
        assert_eq!(parse_keyed_archive(&bytes).expect("ok"), Json::String("hello".into()));
        assert!(parse_keyed_archive(&bytes[..bytes.len() - 10]).is_err());
    }
}
