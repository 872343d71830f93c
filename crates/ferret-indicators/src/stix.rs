//! Lenient STIX 2.1 bundle loading.
//!
//! Only `objects[]` is read; each object is dispatched on its `type`. Typed views exist for
//! `indicator` (id, name, pattern, pattern_type), `malware`, `campaign`, `intrusion-set`,
//! `threat-actor`, `tool` (id, name), `report` (name, `object_refs`) and `relationship`
//! (`source_ref`, `relationship_type`, `target_ref`). Unknown types and fields are ignored.
//! Strings are borrowed from the input where possible (fast path for large bundles).
//!
//! The name an indicator is reported under (`matched_indicator.name`) is, in order:
//! 1. a `malware` it `indicates` (relationship indicator → malware, or the reverse
//!    `indicated-by` direction);
//! 2. a `campaign`, `intrusion-set`, `threat-actor` or `tool` it `indicates` / is
//!    `attributed-to`;
//! 3. the first `report` whose `object_refs` lists it;
//! 4. the bundle's only `malware`, when there is exactly one;
//! 5. the set name (bundle file name without extension).
//!
//! MVT puts reports first; ferret prefers the malware name, which is what analysts search for.
//! All lookups are hash maps built in one pass, so resolution is linear in the bundle size.
//! `pattern_type` other than `stix` (YARA, Sigma, Snort...) is rejected with a reason.

use std::borrow::Cow;
use std::sync::Arc;

use serde::Deserialize;

#[cfg(test)]
use crate::compile::Rule;
use crate::compile::{Compiled, compile_text_into};
use crate::index::FastMap;
use crate::load::{Parsed, RejectedPattern};

/// A JSON string, borrowed from the input when it holds no escape. (serde's `Cow<str>` only
/// borrows as a direct `#[serde(borrow)]` field; inside `Option` or `Vec` it always allocates:
/// five strings per object, ~25 ms of frees alone on a 100,000-indicator bundle.)
#[derive(Debug, Default)]
struct Str<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = Str<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Str<'a>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Str<'a>, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Str<'a>, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
struct RawObject<'a> {
    #[serde(rename = "type", borrow, default)]
    ty: Str<'a>,
    #[serde(borrow, default)]
    id: Str<'a>,
    #[serde(borrow, default)]
    name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pattern: Option<Str<'a>>,
    #[serde(borrow, default)]
    pattern_type: Option<Str<'a>>,
    #[serde(borrow, default)]
    source_ref: Option<Str<'a>>,
    #[serde(borrow, default)]
    target_ref: Option<Str<'a>>,
    #[serde(borrow, default)]
    relationship_type: Option<Str<'a>>,
    #[serde(borrow, default)]
    object_refs: Option<Vec<Str<'a>>>,
    #[serde(borrow, default)]
    external_references: Option<Vec<ExtRef<'a>>>,
}

/// One STIX `external_references` entry (only what the report's write-up links need).
#[derive(Deserialize)]
struct ExtRef<'a> {
    #[serde(borrow, default)]
    source_name: Option<Str<'a>>,
    #[serde(borrow, default)]
    url: Option<Str<'a>>,
}

/// `(source_name, url)` of the entries that have a URL.
type Refs<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

fn refs(v: Option<Vec<ExtRef<'_>>>) -> Refs<'_> {
    v.unwrap_or_default()
        .into_iter()
        .filter_map(|r| Some((r.source_name.map(|s| s.0).unwrap_or_default(), r.url?.0)))
        .collect()
}

/// The typed view of one bundle object (only what naming and matching need is kept).
#[derive(Debug)]
enum StixObject<'a> {
    Indicator {
        id: Cow<'a, str>,
        pattern: Option<Cow<'a, str>>,
        pattern_type: Option<Cow<'a, str>>,
    },
    /// malware / campaign / intrusion-set / threat-actor / tool; `rank` orders them for naming
    Named {
        id: Cow<'a, str>,
        name: Cow<'a, str>,
        rank: u8,
        links: Refs<'a>,
    },
    Report {
        name: Cow<'a, str>,
        refs: Vec<Cow<'a, str>>,
        links: Refs<'a>,
    },
    Relationship {
        source: Cow<'a, str>,
        target: Cow<'a, str>,
        rel: Cow<'a, str>,
    },
}

fn typed(o: RawObject<'_>) -> Option<StixObject<'_>> {
    let name = o.name.unwrap_or_default().0;
    let id = o.id.0;
    Some(match o.ty.0.as_ref() {
        "indicator" => {
            StixObject::Indicator { id, pattern: o.pattern.map(|s| s.0), pattern_type: o.pattern_type.map(|s| s.0) }
        }
        "malware" => StixObject::Named { id, name, rank: 0, links: refs(o.external_references) },
        "campaign" | "intrusion-set" | "threat-actor" | "tool" => {
            StixObject::Named { id, name, rank: 1, links: refs(o.external_references) }
        }
        "report" => StixObject::Report {
            name,
            refs: o.object_refs.unwrap_or_default().into_iter().map(|s| s.0).collect(),
            links: refs(o.external_references),
        },
        "relationship" => StixObject::Relationship {
            source: o.source_ref.unwrap_or_default().0,
            target: o.target_ref.unwrap_or_default().0,
            rel: o.relationship_type.unwrap_or_default().0,
        },
        _ => return None,
    })
}

/// Streams the bundle: each element of `objects[]` is deserialized and reduced to its typed
/// view at once, so a 100,000-indicator bundle never holds a vector of full objects.
struct BundleVisitor {
    /// Expected number of objects (capacity hint).
    cap: usize,
}

struct Bundle<'a> {
    is_bundle: bool,
    objects: Vec<StixObject<'a>>,
}

struct ObjectsSeed<'v, 'a>(&'v mut Vec<StixObject<'a>>);

impl<'de, 'v> serde::de::DeserializeSeed<'de> for ObjectsSeed<'v, 'de> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, 'v> serde::de::Visitor<'de> for ObjectsSeed<'v, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of STIX objects")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(o) = seq.next_element::<RawObject<'de>>()? {
            if let Some(t) = typed(o) {
                self.0.push(t);
            }
        }
        Ok(())
    }
}

impl<'de> serde::de::Visitor<'de> for BundleVisitor {
    type Value = Bundle<'de>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a STIX bundle object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Bundle<'de>, A::Error> {
        let mut b = Bundle { is_bundle: false, objects: Vec::with_capacity(self.cap) };
        while let Some(key) = map.next_key::<Str<'de>>()? {
            match key.0.as_ref() {
                "type" => b.is_bundle = map.next_value::<Str<'de>>()?.0 == "bundle",
                "objects" => map.next_value_seed(ObjectsSeed(&mut b.objects))?,
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(b)
    }
}

/// Reads `objects[]` of a bundle. Valid UTF-8 input takes the fast path: the top-level object is
/// walked member by member and the `objects` array is parsed in parallel parts
/// ([`crate::split`]); strings are not re-validated (the whole text was, once). Anything the fast
/// path does not accept is parsed again sequentially, which gives the precise error.
fn read_objects(bytes: &[u8], parts: usize, min_split: usize) -> Result<Vec<Vec<StixObject<'_>>>, String> {
    match std::str::from_utf8(bytes).ok().and_then(|text| read_objects_fast(text, parts, min_split)) {
        Some(r) => r,
        None => read_objects_sequential(bytes),
    }
}

/// The fast path of [`read_objects`]; `None` when it does not accept the text.
fn read_objects_fast(text: &str, parts: usize, min_split: usize) -> Option<Result<Vec<Vec<StixObject<'_>>>, String>> {
    let mut is_bundle = false;
    let mut objects = Vec::new();
    let walked = crate::split::walk_object(text, |key, pos| match key {
        "type" => {
            let (v, end) = crate::split::value::<Str<'_>>(text, pos)?;
            is_bundle = v.0 == "bundle";
            Ok(end)
        }
        "objects" => {
            let (runs, end) = crate::split::parse_array(text, pos, parts, min_split, &typed)?;
            objects.extend(runs);
            Ok(end)
        }
        _ => crate::split::skip_value(text, pos),
    });
    walked.ok()?;
    if !is_bundle {
        return Some(Err("not a STIX bundle (top-level \"type\" is not \"bundle\")".into()));
    }
    Some(Ok(objects))
}

/// serde_json over the whole input with [`BundleVisitor`]: the slow path, and the one that
/// reports where invalid JSON is invalid.
fn read_objects_sequential(bytes: &[u8]) -> Result<Vec<Vec<StixObject<'_>>>, String> {
    // ~700 bytes per indicator + relationship pair in real bundles
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed_bundle =
        serde::Deserializer::deserialize_map(&mut de, BundleVisitor { cap: (bytes.len() / 350).min(1 << 21) })
            .and_then(|b| de.end().map(|()| b));
    let bundle: Bundle<'_> = parsed_bundle.map_err(|e| {
        if e.is_data() && e.to_string().contains("expected a STIX bundle object") {
            "not a STIX bundle (not a JSON object)".to_string()
        } else {
            format!("invalid JSON: {e}")
        }
    })?;
    if !bundle.is_bundle {
        return Err("not a STIX bundle (top-level \"type\" is not \"bundle\")".into());
    }
    Ok(vec![bundle.objects])
}

/// Parses one bundle. `Err` = the whole file is rejected (invalid JSON, not a bundle).
pub(crate) fn parse_bundle(bytes: &[u8], file_label: &str, stem: &str) -> Result<Parsed, String> {
    let parts = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    parse_bundle_with(bytes, file_label, stem, parts, crate::split::MIN_SPLIT)
}

/// [`parse_bundle`] with the split settings of [`crate::split::parse_array`] (tests force them).
fn parse_bundle_with(
    bytes: &[u8],
    file_label: &str,
    stem: &str,
    parts: usize,
    min_split: usize,
) -> Result<Parsed, String> {
    let runs = read_objects(bytes, parts, min_split)?;
    let objs = || runs.iter().flatten();

    // named objects by id
    let mut named: FastMap<&str, (&str, u8)> = FastMap::default();
    let mut malware_names: Vec<&str> = Vec::new();
    for o in objs() {
        if let StixObject::Named { id, name, rank, .. } = o
            && !name.is_empty()
        {
            named.insert(id, (name, *rank));
            if *rank == 0 {
                malware_names.push(name);
            }
        }
    }
    // indicator id -> (rank, name), first best relationship wins (measured: building one map per
    // parsed part on its own thread gained nothing, so this stays sequential)
    let via_rel = rel_map(objs(), &named);
    let mut via_report: FastMap<&str, &str> = FastMap::default();
    for o in objs() {
        if let StixObject::Report { name, refs, .. } = o {
            if name.is_empty() {
                continue;
            }
            for r in refs.iter() {
                via_report.entry(r.as_ref()).or_insert(name);
            }
        }
    }
    let sole_malware = if malware_names.len() == 1 { malware_names.first().copied() } else { None };
    let set_name = sole_malware.unwrap_or(stem).to_string();

    let mut parsed = Parsed::new(crate::load::Format::Stix2, set_name.clone());
    // public write-ups named by the malware, campaign... and report objects (for report links)
    for o in objs() {
        let (name, links) = match o {
            StixObject::Named { name, links, .. } | StixObject::Report { name, links, .. } => (name, links),
            _ => continue,
        };
        for (source, url) in links {
            let lower = url.to_ascii_lowercase();
            if name.is_empty() || !(lower.starts_with("https://") || lower.starts_with("http://")) {
                continue;
            }
            if parsed.references.len() >= crate::load::MAX_REFERENCES {
                break;
            }
            let r = crate::load::Reference {
                name: name.chars().take(300).collect(),
                source: source.chars().take(300).collect(),
                url: url.chars().take(2000).collect(),
            };
            if !parsed.references.contains(&r) {
                parsed.references.push(r);
            }
        }
    }
    let default_name: Arc<str> = Arc::from(set_name.as_str());
    let indicators: Vec<(&str, Option<&str>, Option<&str>)> = objs()
        .filter_map(|o| match o {
            StixObject::Indicator { id, pattern, pattern_type } => {
                Some((id.as_ref(), pattern.as_deref(), pattern_type.as_deref()))
            }
            _ => None,
        })
        .collect();
    // compile patterns and resolve names in parallel chunks (pure work), then concatenate in
    // bundle order
    let compile_chunk = |part: &[(&str, Option<&str>, Option<&str>)]| -> Chunk {
        let mut out = Chunk { entries: Vec::with_capacity(part.len() + part.len() / 16), ..Chunk::default() };
        let mut interned: FastMap<&str, Arc<str>> = FastMap::default();
        let mut compiled = Compiled::default();
        for (id, pat, pattern_type) in part {
            compiled.rules.clear();
            compiled.notes.clear();
            let result = match pat {
                None => Err("indicator has no pattern".to_string()),
                Some(_) if pattern_type.is_some_and(|pt| !pt.eq_ignore_ascii_case("stix")) => {
                    Err(format!("pattern_type {:?} is not supported (only \"stix\")", pattern_type.unwrap_or_default()))
                }
                Some(p) => compile_text_into(p, &mut compiled),
            };
            match result {
                Ok(()) => {}
                Err(reason) => {
                    out.rejected.push(RejectedPattern {
                        file: file_label.to_string(),
                        indicator_id: (*id).to_string(),
                        pattern: pat.unwrap_or("").chars().take(300).collect(),
                        reason,
                    });
                    continue;
                }
            };
            let name_str = via_rel.get(id).map(|(_, n)| *n).or_else(|| via_report.get(id).copied()).or(sole_malware);
            let name = match name_str {
                Some(n) => interned.entry(n).or_insert_with(|| Arc::from(n)).clone(),
                None => default_name.clone(),
            };
            for note in compiled.notes.drain(..) {
                out.warnings.push(format!("{file_label} {id}: {note}"));
            }
            for r in compiled.rules.drain(..) {
                out.entries.push((r, name.clone()));
            }
        }
        out
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let chunks: Vec<Chunk> = if threads > 1 && indicators.len() >= 4096 {
        let size = indicators.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> =
                indicators.chunks(size).map(|part| (part, scope.spawn(move || compile_chunk(part)))).collect();
            // a chunk whose thread panicked is compiled again here (and panics again: a bug)
            handles.into_iter().map(|(part, h)| h.join().unwrap_or_else(|_| compile_chunk(part))).collect()
        })
    } else {
        vec![compile_chunk(&indicators)]
    };
    parsed.entries.reserve_exact(chunks.iter().map(|c| c.entries.len()).sum());
    for c in chunks {
        parsed.entries.extend(c.entries);
        parsed.rejected.extend(c.rejected);
        parsed.warnings.extend(c.warnings);
    }
    drop(runs);
    Ok(parsed)
}

/// Differential oracle for the `stix_split` fuzz target: on any input, the parallel reader (cut
/// into 1 to 4 parts, even for tiny inputs) must give exactly what the sequential reader gives
/// whenever it accepts the text, and must accept every valid bundle. Panics on a disagreement.
#[doc(hidden)]
pub fn fuzz_split_agrees(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let seq = read_objects_sequential(data).map(|r| r.into_iter().flatten().collect::<Vec<_>>());
    // serde_json's nesting limit counts from where a parse starts: elements parsed one by one may
    // nest two levels deeper than inside the whole bundle (documented difference)
    if seq.as_ref().is_err_and(|e| e.contains("recursion limit")) {
        return;
    }
    let seq_text = format!("{seq:?}");
    for parts in 1..=4 {
        match read_objects_fast(text, parts, 0) {
            Some(fast) => {
                let fast = format!("{:?}", fast.map(|r| r.into_iter().flatten().collect::<Vec<_>>()));
                assert_eq!(fast, seq_text, "parts {parts}");
            }
            None => assert!(seq.is_err(), "fast path declined a bundle the sequential reader accepts"),
        }
    }
}

/// Indicator id → (rank, name) from the relationships among `objs`; the first best relationship
/// wins.
fn rel_map<'r, 'o: 'r>(
    objs: impl Iterator<Item = &'r StixObject<'o>> + Clone,
    named: &FastMap<&str, (&'r str, u8)>,
) -> FastMap<&'r str, (u8, &'r str)> {
    let count = objs.clone().filter(|o| matches!(o, StixObject::Relationship { .. })).count();
    let mut via_rel: FastMap<&str, (u8, &str)> = FastMap::with_capacity_and_hasher(count, Default::default());
    for o in objs {
        if let StixObject::Relationship { source, target, rel } = o {
            let (ind, other): (&str, &str) = match rel.as_ref() {
                "indicates" | "attributed-to" | "related-to" => (source, target),
                "indicated-by" => (target, source),
                _ => continue,
            };
            if !ind.starts_with("indicator--") {
                continue;
            }
            if let Some((name, rank)) = named.get(other) {
                match via_rel.get(ind) {
                    Some((r, _)) if *r <= *rank => {}
                    _ => {
                        via_rel.insert(ind, (*rank, name));
                    }
                }
            }
        }
    }
    via_rel
}

/// What one chunk of indicators compiled into.
#[derive(Default)]
struct Chunk {
    entries: Vec<(crate::compile::Rule, Arc<str>)>,
    rejected: Vec<RejectedPattern>,
    warnings: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::Kind;

    fn bundle(objects: &str) -> String {
        format!(r#"{{"type":"bundle","id":"bundle--1","objects":[{objects}]}}"#)
    }

    #[test]
    fn write_up_references_of_named_objects_and_reports_are_kept() {
        let b = bundle(
            r#"{"type":"malware","id":"malware--1","name":"Alpha","external_references":[
                   {"source_name":"Lab, Alpha report","url":"https://lab.example/alpha"},
                   {"source_name":"no url"},
                   {"source_name":"bad","url":"javascript:alert(1)"},
                   {"source_name":"dup","url":"https://lab.example/alpha"}]},
               {"type":"malware","id":"malware--2","name":"","external_references":[{"url":"https://lab.example/unnamed"}]},
               {"type":"report","id":"report--1","name":"Rep","object_refs":[],"external_references":[{"url":"http://lab.example/rep"}]},
               {"type":"indicator","id":"indicator--1","pattern":"[domain-name:value = 'a.example']",
                "external_references":[{"source_name":"per indicator","url":"https://lab.example/ind"}]}"#,
        );
        let p = parse_bundle(b.as_bytes(), "t.stix2", "t").expect("loads");
        let got: Vec<(&str, &str, &str)> =
            p.references.iter().map(|r| (r.name.as_str(), r.source.as_str(), r.url.as_str())).collect();
        assert_eq!(
            got,
            vec![
                ("Alpha", "Lab, Alpha report", "https://lab.example/alpha"),
                ("Alpha", "dup", "https://lab.example/alpha"),
                ("Rep", "", "http://lab.example/rep"),
            ],
            "web links of named objects and reports only"
        );
        // the built-in Paragon set names its Citizen Lab reports
        let p = parse_bundle(crate::load::PARAGON_GRAPHITE.as_bytes(), "builtin", "paragon").expect("loads");
        assert!(
            p.references.iter().any(|r| r.name == "Paragon Graphite" && r.url.starts_with("https://citizenlab.ca/"))
        );
    }

    #[test]
    fn names_resolve_through_relationships_reports_and_fallbacks() {
        let b = bundle(
            r#"{"type":"malware","id":"malware--1","name":"Alpha"},
               {"type":"malware","id":"malware--2","name":"Beta"},
               {"type":"campaign","id":"campaign--1","name":"Op C"},
               {"type":"report","id":"report--1","name":"Rep","object_refs":["indicator--4"]},
               {"type":"indicator","id":"indicator--1","pattern":"[domain-name:value = 'a.example']","pattern_type":"stix"},
               {"type":"indicator","id":"indicator--2","pattern":"[domain-name:value = 'b.example']","pattern_type":"stix"},
               {"type":"indicator","id":"indicator--3","pattern":"[domain-name:value = 'c.example']"},
               {"type":"indicator","id":"indicator--4","pattern":"[domain-name:value = 'd.example']"},
               {"type":"indicator","id":"indicator--5","pattern":"[domain-name:value = 'e.example']","unknown_field":{"x":[1,2]}},
               {"type":"relationship","id":"relationship--1","relationship_type":"indicates","source_ref":"indicator--1","target_ref":"malware--2"},
               {"type":"relationship","id":"relationship--2","relationship_type":"indicates","source_ref":"indicator--2","target_ref":"campaign--1"},
               {"type":"relationship","id":"relationship--3","relationship_type":"indicates","source_ref":"indicator--2","target_ref":"malware--1"},
               {"type":"relationship","id":"relationship--4","relationship_type":"indicated-by","source_ref":"campaign--1","target_ref":"indicator--3"},
               {"type":"x-unknown","id":"x--1","whatever":true}"#,
        );
        let p = parse_bundle(b.as_bytes(), "t.stix2", "t").expect("loads");
        let names: Vec<(String, String)> = p
            .entries
            .iter()
            .map(|(r, n)| match r {
                Rule::Exact { value, .. } => (value.to_string(), n.to_string()),
                Rule::Slow { text, .. } => (text.clone(), n.to_string()),
            })
            .collect();
        assert_eq!(
            names,
            vec![
                ("a.example".into(), "Beta".into()),
                ("b.example".into(), "Alpha".into()),
                ("c.example".into(), "Op C".into()),
                ("d.example".into(), "Rep".into()),
                ("e.example".into(), "t".into()),
            ]
        );
        assert!(p.rejected.is_empty());
        assert_eq!(p.entries[0].0.kind(), Kind::Domain);
    }

    #[test]
    fn rejects_files_and_patterns_with_reasons() {
        assert!(parse_bundle(b"{not json", "x", "x").expect_err("invalid").contains("invalid JSON"));
        assert!(parse_bundle(b"[]", "x", "x").is_err());
        assert!(
            parse_bundle(br#"{"type":"indicator"}"#, "x", "x").expect_err("not a bundle").contains("not a STIX bundle")
        );
        let b = bundle(
            r#"{"type":"indicator","id":"indicator--1","pattern":"rule x { condition: true }","pattern_type":"yara"},
               {"type":"indicator","id":"indicator--2","pattern":"[domain-name:value = "},
               {"type":"indicator","id":"indicator--3"},
               {"type":"indicator","id":"indicator--4","pattern":"[x-thing:y = 'z']"}"#,
        );
        let p = parse_bundle(b.as_bytes(), "t.stix2", "t").expect("file loads");
        assert!(p.entries.is_empty());
        let reasons: Vec<&str> = p.rejected.iter().map(|r| r.reason.as_str()).collect();
        assert_eq!(reasons.len(), 4, "{reasons:?}");
        assert!(reasons[0].contains("yara"));
        assert!(reasons[1].contains("syntax error"));
        assert!(reasons[2].contains("no pattern"));
        assert!(reasons[3].contains("unsupported object path"));
        assert_eq!(p.rejected[3].indicator_id, "indicator--4");
    }

    #[test]
    fn parallel_and_sequential_reading_agree() {
        let big = ferret_testdata::stix::bundle(&[], 20_000, 3);
        // pretty-printed, with escapes and `},{` inside strings, and with members after `objects`
        let tricky = big
            .replace(
                "\"pattern_type\":\"stix\"",
                "\"description\":\"a},{\\\"b\\u00e9\\\"}, {x\",\n  \"pattern_type\":\"stix\"",
            )
            .replacen("\n]}", "\n],\n \"spec_version\": \"2.1\", \"x\": {\"objects\": []}}", 1);
        let mut inputs = vec![big, tricky];
        if let Some(shared) = ferret_testdata::testkit::shared("iocs") {
            let files = walk(&shared);
            assert!(!files.is_empty(), "no bundle under {}", shared.display());
            for e in files {
                inputs.push(std::fs::read_to_string(&e).unwrap_or_else(|err| panic!("{}: {err}", e.display())));
            }
        }
        for text in &inputs {
            let seq = format!(
                "{:?}",
                read_objects_sequential(text.as_bytes()).map(|r| r.into_iter().flatten().collect::<Vec<_>>())
            );
            assert!(seq.starts_with("Ok("), "{}", &seq[..seq.len().min(200)]);
            for parts in [1, 2, 3, 8] {
                let fast =
                    read_objects_fast(text, parts, crate::split::MIN_SPLIT).expect("fast path accepts valid bundles");
                assert_eq!(
                    format!("{:?}", fast.map(|r| r.into_iter().flatten().collect::<Vec<_>>())),
                    seq,
                    "parts {parts}"
                );
                let fast = read_objects_fast(text, parts, 0).expect("fast path, always split");
                assert_eq!(
                    format!("{:?}", fast.map(|r| r.into_iter().flatten().collect::<Vec<_>>())),
                    seq,
                    "parts {parts}"
                );
            }
        }
        // the fast path declines what it cannot read; the sequential path then explains
        for bad in ["{\"type\":\"bundle\",\"objects\":[{}", "[]", "{\"type\":\"bundle\"} x"] {
            assert!(read_objects_fast(bad, 2, 0).is_none(), "{bad}");
            assert!(read_objects_sequential(bad.as_bytes()).is_err(), "{bad}");
        }
        assert_eq!(
            read_objects(br#"{"type":"x","objects":[]}"#, 2, 0).map(|r| r.len()),
            Err("not a STIX bundle (top-level \"type\" is not \"bundle\")".to_string())
        );
    }

    #[test]
    fn names_resolve_the_same_whatever_the_parts() {
        // relationships to the same indicators in every part of the array, with better and
        // equal ranks later on: the lowest rank wins, then the first in bundle order
        let mut o = vec![
            r#"{"type":"malware","id":"malware--a","name":"Alpha"}"#.to_string(),
            r#"{"type":"malware","id":"malware--b","name":"Beta"}"#.to_string(),
            r#"{"type":"campaign","id":"campaign--c","name":"Op C"}"#.to_string(),
            r#"{"type":"report","id":"report--r","name":"Rep","object_refs":["indicator--7","indicator--8"]}"#
                .to_string(),
        ];
        let n = 400;
        for i in 0..n {
            o.push(format!(
                r#"{{"type":"indicator","id":"indicator--{i}","pattern":"[domain-name:value = 'd{i}.example']"}}"#
            ));
        }
        let rel = |i: usize, target: &str| {
            format!(
                r#"{{"type":"relationship","relationship_type":"indicates","source_ref":"indicator--{i}","target_ref":"{target}"}}"#
            )
        };
        for i in 0..n {
            match i % 4 {
                0 => o.push(rel(i, "campaign--c")),
                1 => o.push(rel(i, "malware--b")),
                _ => {}
            }
        }
        for i in 0..n {
            match i % 4 {
                0 => o.push(rel(i, "malware--a")), // better rank, later: wins
                1 => o.push(rel(i, "malware--a")), // same rank, later: loses
                2 => o.push(rel(i, "campaign--c")),
                _ => {}
            }
        }
        let b = bundle(&o.join(",\n"));
        let names = |parts: usize, min_split: usize| -> Vec<(String, String)> {
            let p = parse_bundle_with(b.as_bytes(), "t.stix2", "t", parts, min_split).expect("loads");
            p.entries
                .iter()
                .map(|(r, n)| match r {
                    Rule::Exact { value, .. } => (value.to_string(), n.to_string()),
                    Rule::Slow { text, .. } => (text.clone(), n.to_string()),
                })
                .collect()
        };
        let one = names(1, usize::MAX);
        assert_eq!(one.len(), n);
        assert_eq!(one[0], ("d0.example".into(), "Alpha".into()));
        assert_eq!(one[1], ("d1.example".into(), "Beta".into()));
        assert_eq!(one[2], ("d2.example".into(), "Op C".into()));
        assert_eq!(one[3], ("d3.example".into(), "t".into()));
        assert_eq!(one[7], ("d7.example".into(), "Rep".into()));
        for parts in [2, 3, 5, 8] {
            assert_eq!(names(parts, 0), one, "parts {parts}");
        }
    }

    fn walk(d: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else if p.extension().is_some_and(|x| x == "stix2") {
                out.push(p);
            }
        }
        out
    }

    #[test]
    fn escaped_json_strings_work() {
        let b = bundle(r#"{"type":"indicator","id":"indicator--1","pattern":"[file:name = 'a\u0027b\\\\c']"}"#);
        // JSON \u0027 is a raw quote inside the pattern: a syntax error, reported not panicking
        let p = parse_bundle(b.as_bytes(), "t", "t").expect("loads");
        assert_eq!(p.rejected.len() + p.entries.len(), 1);
    }
}
