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
use crate::compile::{Compiled, compile_text};
use crate::index::FastMap;
use crate::load::{Parsed, RejectedPattern};

#[derive(Deserialize)]
struct RawObject<'a> {
    #[serde(rename = "type", borrow, default)]
    ty: Cow<'a, str>,
    #[serde(borrow, default)]
    id: Cow<'a, str>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pattern: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pattern_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    source_ref: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    target_ref: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    relationship_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    object_refs: Option<Vec<Cow<'a, str>>>,
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
    },
    Report {
        name: Cow<'a, str>,
        refs: Vec<Cow<'a, str>>,
    },
    Relationship {
        source: Cow<'a, str>,
        target: Cow<'a, str>,
        rel: Cow<'a, str>,
    },
}

fn typed(o: RawObject<'_>) -> Option<StixObject<'_>> {
    let name = o.name.unwrap_or_default();
    Some(match o.ty.as_ref() {
        "indicator" => StixObject::Indicator { id: o.id, pattern: o.pattern, pattern_type: o.pattern_type },
        "malware" => StixObject::Named { id: o.id, name, rank: 0 },
        "campaign" | "intrusion-set" | "threat-actor" | "tool" => StixObject::Named { id: o.id, name, rank: 1 },
        "report" => StixObject::Report { name, refs: o.object_refs.unwrap_or_default() },
        "relationship" => StixObject::Relationship {
            source: o.source_ref.unwrap_or_default(),
            target: o.target_ref.unwrap_or_default(),
            rel: o.relationship_type.unwrap_or_default(),
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
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "type" => b.is_bundle = map.next_value::<Cow<'de, str>>()? == "bundle",
                "objects" => map.next_value_seed(ObjectsSeed(&mut b.objects))?,
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(b)
    }
}

/// Parses one bundle. `Err` = the whole file is rejected (invalid JSON, not a bundle).
pub(crate) fn parse_bundle(bytes: &[u8], file_label: &str, stem: &str) -> Result<Parsed, String> {
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
    let objs = bundle.objects;

    // named objects by id
    let mut named: FastMap<&str, (&str, u8)> = FastMap::default();
    let mut malware_names: Vec<&str> = Vec::new();
    for o in &objs {
        if let StixObject::Named { id, name, rank } = o
            && !name.is_empty()
        {
            named.insert(id, (name, *rank));
            if *rank == 0 {
                malware_names.push(name);
            }
        }
    }
    // indicator id -> (rank, name), first best relationship wins
    let mut via_rel: FastMap<&str, (u8, &str)> = FastMap::default();
    for o in &objs {
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
    let mut via_report: FastMap<&str, &str> = FastMap::default();
    for o in &objs {
        if let StixObject::Report { name, refs } = o {
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

    let mut interned: FastMap<&str, Arc<str>> = FastMap::default();
    let mut parsed = Parsed::new(crate::load::Format::Stix2, set_name.clone());
    let default_name: Arc<str> = Arc::from(set_name.as_str());
    // compile patterns in parallel chunks (pure work), then merge in bundle order
    let indicators: Vec<(&str, Option<&str>, Option<&str>)> = objs
        .iter()
        .filter_map(|o| match o {
            StixObject::Indicator { id, pattern, pattern_type } => {
                Some((id.as_ref(), pattern.as_deref(), pattern_type.as_deref()))
            }
            _ => None,
        })
        .collect();
    let check = |(_, pat, pattern_type): &(&str, Option<&str>, Option<&str>)| -> Result<Compiled, String> {
        let Some(pat) = pat else { return Err("indicator has no pattern".into()) };
        if let Some(pt) = pattern_type
            && !pt.eq_ignore_ascii_case("stix")
        {
            return Err(format!("pattern_type {pt:?} is not supported (only \"stix\")"));
        }
        compile_text(pat)
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
    let results: Vec<Result<Compiled, String>> = if threads > 1 && indicators.len() >= 4096 {
        let chunk = indicators.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = indicators
                .chunks(chunk)
                .map(|part| (part.len(), scope.spawn(move || part.iter().map(check).collect::<Vec<_>>())))
                .collect();
            handles
                .into_iter()
                .flat_map(|(len, h)| {
                    h.join()
                        .unwrap_or_else(|_| (0..len).map(|_| Err("internal error while compiling".into())).collect())
                })
                .collect()
        })
    } else {
        indicators.iter().map(check).collect()
    };
    for ((id, pat, _), result) in indicators.iter().zip(results) {
        let compiled = match result {
            Ok(c) => c,
            Err(reason) => {
                parsed.rejected.push(RejectedPattern {
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
        for note in compiled.notes {
            parsed.warnings.push(format!("{file_label} {id}: {note}"));
        }
        for r in compiled.rules {
            parsed.push(r, name.clone());
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::Kind;

    fn bundle(objects: &str) -> String {
        format!(r#"{{"type":"bundle","id":"bundle--1","objects":[{objects}]}}"#)
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
    fn escaped_json_strings_work() {
        let b = bundle(r#"{"type":"indicator","id":"indicator--1","pattern":"[file:name = 'a\u0027b\\\\c']"}"#);
        // JSON \u0027 is a raw quote inside the pattern: a syntax error, reported not panicking
        let p = parse_bundle(b.as_bytes(), "t", "t").expect("loads");
        assert_eq!(p.rejected.len() + p.entries.len(), 1);
    }
}
