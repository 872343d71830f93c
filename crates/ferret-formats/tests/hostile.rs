//! Hostile input for the format parsers (issue 8): the fuzz seeds of `fuzz/` replayed with
//! deterministic mutations, plus hand-built attacks (100,000-deep nesting, cyclic keyed archives,
//! lying binary-plist trailers, invalid UTF-8, huge length claims). Every case must return
//! (`Ok` or `Err`), never panic or abort; expected outcomes are asserted where they are defined.

use ferret_formats::keyed::MAX_ARCHIVE_NODES;
use ferret_formats::plist_load::NODE_COST;
use ferret_formats::{
    FormatError, MAX_DEPTH, expansion_limit, parse_keyed_archive, parse_mbfile, parse_plist, plist_to_json, typedstream,
};
use serde_json::{Value as Json, json};

#[allow(dead_code)]
#[path = "../../../fuzz/src/seeds.rs"]
mod seeds;

use seeds::{P, bplist, keyed, mutations};

/// What one parser made of one input.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    /// Parsed into this many items: values in the tree (plist, keyed archive), fields present
    /// (MBFile), characters (typedstream).
    Parsed(usize),
    /// Refused, with the error's message.
    Refused(String),
}

/// Values in a JSON tree (every array, object and scalar counts one), without recursion.
fn json_nodes(j: &Json) -> usize {
    let mut n = 0;
    let mut stack = vec![j];
    while let Some(v) = stack.pop() {
        n += 1;
        match v {
            Json::Array(a) => stack.extend(a),
            Json::Object(m) => stack.extend(m.values()),
            _ => {}
        }
    }
    n
}

fn run(target: &str, data: &[u8]) -> Outcome {
    let refused = |e: &dyn std::fmt::Display| Outcome::Refused(e.to_string());
    match target {
        "plist" => parse_plist(data).map_or_else(|e| refused(&e), |v| Outcome::Parsed(json_nodes(&plist_to_json(&v)))),
        "keyed_archive" => parse_keyed_archive(data).map_or_else(|e| refused(&e), |j| Outcome::Parsed(json_nodes(&j))),
        "mbfile" => parse_mbfile(data).map_or_else(
            |e| refused(&e),
            |m| {
                let v = serde_json::to_value(&m).expect("MbFile serialises");
                let fields = v.as_object().map_or(0, |o| o.values().filter(|x| !x.is_null()).count());
                Outcome::Parsed(fields + usize::from(m.encryption_key.is_some()))
            },
        ),
        "typedstream" => {
            typedstream::decode_text(data).map_or_else(|e| refused(&e), |t| Outcome::Parsed(t.chars().count()))
        }
        other => panic!("no runner for {other}"),
    }
}

/// `text` was read from `data`, not made up: its UTF-8 or UTF-16BE bytes are in the input.
fn read_from_input(data: &[u8], text: &str) -> bool {
    let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    text.is_empty()
        || text.contains('\u{fffd}')
        || data.windows(text.len()).any(|w| w == text.as_bytes())
        || data.windows(utf16.len()).any(|w| w == utf16.as_slice())
}

/// What holds for any input, mutated or not: the same input gives the same outcome; a refusal
/// names the format it refused; a result is bounded by the input (a property list by its
/// expansion budget, a keyed archive by its node budget, text by the input's bytes) and its
/// text comes from the input.
fn check_invariants(target: &str, data: &[u8], out: &Outcome) {
    assert_eq!(&run(target, data), out, "{target}: same input, same outcome");
    let len = data.len();
    match out {
        Outcome::Refused(msg) => {
            let named = match target {
                "typedstream" => msg.starts_with("typedstream: "),
                _ => msg.contains("property list") || msg.contains("keyed archive"),
            };
            assert!(named, "{target}: a refusal names the format: {msg}");
        }
        Outcome::Parsed(n) => match target {
            "plist" => {
                assert!(*n as u64 * NODE_COST <= expansion_limit(len), "{target}: {n} values from {len} bytes");
                if !data.starts_with(b"bplist") {
                    // XML and ASCII cannot share objects: every value costs at least one byte
                    assert!(*n <= len, "{target}: {n} values from {len} bytes of text");
                }
            }
            "keyed_archive" => assert!(*n <= MAX_ARCHIVE_NODES, "{target}: {n} values"),
            "mbfile" => {
                let m = parse_mbfile(data).expect("parsed above");
                for text in m.relative_path.iter().chain(&m.target) {
                    assert!(read_from_input(data, text), "{target}: {text:?} is not in the input");
                }
                if let Some(k) = m.encryption_key.as_ref().filter(|k| !k.is_empty()) {
                    assert!(data.windows(k.len()).any(|w| w == k.as_slice()), "{target}: key not in the input");
                }
            }
            "typedstream" => {
                assert!(*n <= len, "{target}: {n} characters from {len} bytes");
                let text = typedstream::decode_text(data).expect("parsed above");
                assert!(read_from_input(data, &text), "{target}: {text:?} is not in the input");
                assert!(matches!(data.first(), Some(3 | 4)), "{target}: only stream versions 3 and 4 are read");
            }
            _ => {}
        },
    }
}

/// The outcome each fuzz seed is built to have, decided from what the seed is (see
/// `fuzz/src/seeds.rs`), in seed order. A new seed needs a line here.
fn seed_expectations(target: &str) -> Vec<Result<usize, &'static str>> {
    match target {
        // dict of 3; XML dict of 4; ASCII dict {a, c = (1, 2, "three"), d}; 64 nested XML
        // arrays; 65 nested binary arrays; an MBFile archive read as a plain plist (top dict,
        // `$archiver`, `$version`, `$top` holding one UID, `$objects` of `$null`, the 11-field
        // MBFile with 2 UIDs, its path, its class; a UID is an object of one number); the
        // billion laughs, refused for its expansion
        "plist" => vec![
            Ok(4),
            Ok(5),
            Ok(7),
            Ok(64),
            Ok(65),
            Ok(1 + 2 + (1 + 2) + (1 + 1 + (1 + 9 + 2 * 2) + 1 + (1 + 1 + 3))),
            Err("expands to more than 67108864 bytes"),
        ],
        // an MBFile with its key (class + 11 fields), a cycle resolved with `$ref`s, an NSArray
        // of 2, an NSDictionary of 1, a dangling UID
        "keyed_archive" => vec![Ok(13), Ok(9), Ok(3), Ok(2), Err("invalid keyed archive at UID 99: out of range")],
        // every MBFile seed is a well-formed record: 10 fields (+ the key for the second)
        "mbfile" => vec![Ok(10), Ok(11), Ok(10), Ok(10)],
        // the text of each seed, in characters
        "typedstream" => vec![Ok(28), Ok(0), Ok(400), Ok(6)],
        other => panic!("no expectations for {other}"),
    }
}

#[test]
fn seeds_are_valid_inputs() {
    for target in ["plist", "keyed_archive", "mbfile", "typedstream"] {
        let seeds = seeds::seeds(target);
        let expected = seed_expectations(target);
        assert_eq!(seeds.len(), expected.len(), "{target}: decide the outcome of every seed");
        for (i, (seed, want)) in seeds.iter().zip(expected).enumerate() {
            let got = run(target, seed);
            match (&got, want) {
                (Outcome::Parsed(n), Ok(m)) => assert_eq!(*n, m, "{target} seed {i}"),
                (Outcome::Refused(msg), Err(reason)) => assert!(msg.contains(reason), "{target} seed {i}: {msg}"),
                _ => panic!("{target} seed {i}: expected {want:?}, got {got:?}"),
            }
            check_invariants(target, seed, &got);
        }
    }
    // and what they parse to
    let json = |target: &str, i: usize| match target {
        "plist" => plist_to_json(&parse_plist(&seeds::seeds(target)[i]).expect("seed")),
        _ => parse_keyed_archive(&seeds::seeds(target)[i]).expect("seed"),
    };
    assert_eq!(json("plist", 0), json!({"Count": 3, "On": true, "ProductVersion": "17.4"}));
    assert_eq!(json("plist", 1), json!({"a": "b", "d": "2024-01-01 00:00:00.000000", "n": 5, "x": "AAEC"}));
    let ascii = json("plist", 2);
    assert_eq!((&ascii["a"], &ascii["c"]), (&json!("b"), &json!([1, 2, "three"])), "{ascii}");
    assert_eq!(
        json("keyed_archive", 1),
        json!({"$class": "Node", "name": "loop",
        "next": {"$class": "Node", "next": {"$ref": 1}, "self": {"$ref": 2}}})
    );
    assert_eq!(json("keyed_archive", 2), json!(["a", "b"]));
    assert_eq!(json("keyed_archive", 3), json!({"k": "v"}));
    let m = parse_mbfile(&seeds::seeds("mbfile")[1]).expect("seed");
    assert_eq!(m.relative_path.as_deref(), Some("Media/DCIM/100APPLE/IMG_0001.HEIC"));
    assert_eq!((m.size, m.mode, m.wrapped_key().map(<[u8]>::len)), (Some(1 << 33), Some(0o100644), Some(40)));
    let text = typedstream::decode_text(&seeds::typedstream("Hello https://evil.example/x")).expect("seed");
    assert_eq!(text, "Hello https://evil.example/x");
    let long = "long text ".repeat(40);
    assert_eq!(typedstream::decode_text(&seeds::typedstream(&long)).expect("long typedstream"), long);
}

#[test]
fn corpus_replay_with_mutations() {
    for (ti, target) in ["plist", "keyed_archive", "mbfile", "typedstream"].into_iter().enumerate() {
        let mut outcomes = [0usize; 2];
        for (si, seed) in seeds::seeds(target).iter().enumerate() {
            check_invariants(target, seed, &run(target, seed));
            for m in mutations(seed, (ti * 100 + si) as u64, 300) {
                let out = run(target, &m);
                check_invariants(target, &m, &out);
                outcomes[usize::from(matches!(out, Outcome::Refused(_)))] += 1;
            }
        }
        // the mutations reach both sides: some still parse, some are refused
        assert!(outcomes[0] > 0 && outcomes[1] > 0, "{target}: parsed/refused {outcomes:?}");
    }
}

#[test]
fn plists_nested_100k_deep_are_errors_not_aborts() {
    let depth = 100_000;
    let xml = format!(
        "<?xml version=\"1.0\"?><plist version=\"1.0\">{}{}</plist>",
        "<array>".repeat(depth),
        "</array>".repeat(depth)
    );
    let ascii = format!("{}{}", "(".repeat(depth), ")".repeat(depth));
    let dict_ascii = format!("{}x{}", "{a=".repeat(depth), ";}".repeat(depth));
    // A binary plist whose array objects each hold the next one (100,000 objects, 4-byte refs).
    let n = depth as u32;
    let mut b = b"bplist00".to_vec();
    let mut offsets = Vec::new();
    for i in 0..n {
        offsets.push(b.len() as u32);
        if i + 1 < n {
            b.push(0xa1);
            b.extend_from_slice(&(i + 1).to_be_bytes());
        } else {
            b.push(0xa0);
        }
    }
    let table = b.len();
    for o in offsets {
        b.extend_from_slice(&o.to_be_bytes());
    }
    b.extend_from_slice(&[0, 0, 0, 0, 0, 0, 4, 4]);
    b.extend_from_slice(&u64::from(n).to_be_bytes());
    b.extend_from_slice(&0u64.to_be_bytes());
    b.extend_from_slice(&(table as u64).to_be_bytes());
    // And one whose single array refers to itself (a cycle, infinitely deep).
    let selfref = bplist(&P::Array(vec![P::Int(1)]));
    let mut selfref = selfref.clone();
    // object 0 is `a1 01`: point its element at object 0 itself
    selfref[9] = 0;

    for (name, data) in [
        ("xml", xml.into_bytes()),
        ("ascii", ascii.into_bytes()),
        ("ascii dict", dict_ascii.into_bytes()),
        ("binary", b),
        ("self-ref", selfref),
    ] {
        match (name, parse_plist(&data)) {
            ("self-ref", Err(FormatError::Invalid { reason, .. })) => {
                assert_eq!(reason, "object 0 contains itself", "{name}")
            }
            (_, Err(FormatError::TooDeep { limit, .. })) if name != "self-ref" => {
                assert_eq!(limit, MAX_DEPTH, "{name}")
            }
            (_, other) => panic!("{name}: a 100,000-deep / cyclic plist must be refused as such, got {other:?}"),
        }
        // the keyed-archive and MBFile entry points go through the same loader
        assert!(parse_keyed_archive(&data).is_err(), "{name}");
        assert!(parse_mbfile(&data).is_err(), "{name}");
    }
}

#[test]
fn keyed_archive_cycles_and_dangling_uids_terminate() {
    // A -> B -> A, and an object whose field refers to itself: a cycle becomes a `$ref` to the
    // object already being expanded.
    let r = parse_keyed_archive(&seeds::cyclic_archive()).expect("a cycle is resolved, not refused");
    assert_eq!(
        r,
        json!({"$class": "Node", "name": "loop", "next": {"$class": "Node", "next": {"$ref": 1}, "self": {"$ref": 2}}})
    );
    let self_loop = keyed(vec![
        P::Dict(vec![("$class", P::Uid(2)), ("me", P::Uid(1)), ("NS.objects", P::Array(vec![P::Uid(1), P::Uid(1)]))]),
        P::Dict(vec![("$classname", P::Str("NSArray".into()))]),
    ]);
    assert_eq!(parse_keyed_archive(&self_loop).expect("resolved"), json!([{"$ref": 1}, {"$ref": 1}]));
    // A diamond that doubles at each level: 2^40 paths if expanded naively. The expansion stops
    // at the node budget: the counter of expanded values is exactly one past it.
    let mut objs = Vec::new();
    for i in 0..40u64 {
        objs.push(P::Dict(vec![("a", P::Uid(i + 2)), ("b", P::Uid(i + 2))]));
    }
    objs.push(P::Str("leaf".into()));
    let diamond = keyed(objs);
    match parse_keyed_archive(&diamond) {
        Err(FormatError::TooLarge { what, size, limit }) => {
            assert_eq!(what, "keyed archive expansion");
            assert_eq!(limit, MAX_ARCHIVE_NODES as u64);
            assert_eq!(size, limit + 1, "expansion stops at the first value past the budget");
        }
        other => panic!("diamond: expected the node budget to stop it, got {other:?}"),
    }
    // A smaller diamond (2^10 leaves) fits and is expanded in full: 2^11 - 1 objects + 1 leaf
    // level of strings, every one counted.
    let mut small = Vec::new();
    for i in 0..10u64 {
        small.push(P::Dict(vec![("a", P::Uid(i + 2)), ("b", P::Uid(i + 2))]));
    }
    small.push(P::Str("leaf".into()));
    let j = parse_keyed_archive(&keyed(small)).expect("small diamond");
    assert_eq!(json_nodes(&j), (1 << 11) - 1);
    // UIDs past the object table: an error naming the UID.
    let dangling = keyed(vec![P::Dict(vec![("$class", P::Uid(200)), ("x", P::Uid(99))])]);
    match parse_keyed_archive(&dangling) {
        Err(FormatError::Archive { at, reason }) => {
            assert_eq!((at.as_str(), reason.as_str()), ("UID 99", "out of range (2 objects)"))
        }
        other => panic!("dangling UID: expected an error naming it, got {other:?}"),
    }
    // and a missing $top
    let no_top =
        bplist(&P::Dict(vec![("$archiver", P::Str("NSKeyedArchiver".into())), ("$objects", P::Array(vec![]))]));
    assert!(parse_keyed_archive(&no_top).is_err());
    assert!(parse_mbfile(&no_top).is_err());
}

#[test]
fn lying_binary_plist_trailers_are_errors() {
    let good = bplist(&P::Dict(vec![("k", P::Str("v".into()))]));
    assert_eq!(plist_to_json(&parse_plist(&good).expect("good")), json!({"k": "v"}));
    let t = good.len() - 32;
    let mut cases = Vec::new();
    for (field, at, width) in [
        ("offset size", t + 6, 1),
        ("ref size", t + 7, 1),
        ("object count", t + 8, 8),
        ("top object", t + 16, 8),
        ("table offset", t + 24, 8),
    ] {
        for v in [0u64, 3, 0xff, u64::MAX, u64::MAX / 2, 1 << 40] {
            let mut b = good.clone();
            let bytes = v.to_be_bytes();
            b[at..at + width].copy_from_slice(&bytes[8 - width..]);
            cases.push((format!("{field} = {v:#x}"), b));
        }
    }
    let mut refused = 0;
    for (case, b) in &cases {
        if *b == good {
            // the two values that are the truth (3 objects, top object 0) are not lies: they
            // parse to exactly the original
            assert!(case == "object count = 0x3" || case == "top object = 0x0", "{case}");
            assert_eq!(parse_plist(b).map(|v| plist_to_json(&v)), Ok(json!({"k": "v"})), "{case}");
        } else {
            // every lie is caught by the trailer and offset-table checks, before the plist crate
            match parse_plist(b) {
                Err(FormatError::Invalid { .. } | FormatError::Truncated { .. }) => refused += 1,
                other => panic!("{case}: expected the trailer check to refuse it, got {other:?}"),
            }
        }
        // not a keyed archive, lie or not
        assert!(parse_mbfile(b).is_err(), "{case}");
    }
    assert_eq!(refused, cases.len() - 2);
    // a string object claiming a 2^62-byte (or 1000-byte, or 2^63-1-byte) length, the offset
    // table kept consistent: refused at the string's offset
    for claim in [1u64 << 62, 1000, u64::MAX >> 1] {
        let mut b = b"bplist00".to_vec();
        b.extend_from_slice(&[0xd1, 0x01, 0x02, 0x51, b'k', 0x5f, 0x13]);
        b.extend_from_slice(&claim.to_be_bytes());
        b.push(b'v');
        let table = b.len() as u64;
        b.extend_from_slice(&[8, 11, 13, 0, 0, 0, 0, 0, 0, 1, 1]);
        b.extend_from_slice(&3u64.to_be_bytes());
        b.extend_from_slice(&0u64.to_be_bytes());
        b.extend_from_slice(&table.to_be_bytes());
        match parse_plist(&b) {
            Err(FormatError::Plist(msg)) => assert!(msg.contains("(offset 13)"), "{claim}: {msg}"),
            other => panic!("string length {claim}: expected an error at offset 13, got {other:?}"),
        }
        assert!(parse_mbfile(&b).is_err());
    }
    assert!(parse_plist(b"bplist00").is_err());
    assert!(parse_plist(b"").is_err());
}

#[test]
fn invalid_utf8_everywhere() {
    let bad: &[u8] = b"\xff\xfe\xc3\x28\xed\xa0\x80\xf4\x90\x80\x80";
    let mut xml = b"<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>".to_vec();
    xml.extend_from_slice(bad);
    xml.extend_from_slice(b"</key><string>");
    xml.extend_from_slice(bad);
    xml.extend_from_slice(b"</string></dict></plist>");
    // XML must be UTF-8: refused, at the offset of the first bad byte
    assert_eq!(parse_plist(&xml), Err(FormatError::Plist("InvalidXmlUtf8 (offset 64)".into())));
    // binary plist ASCII strings holding non-ASCII bytes
    let mut b = bplist(&P::Dict(vec![("RelativePath", P::Str("ab".into()))]));
    let pos = b.windows(2).position(|w| w == b"ab").expect("string");
    b[pos] = 0xff;
    b[pos + 1] = 0xc3;
    assert_eq!(parse_plist(&b), Err(FormatError::Plist(format!("InvalidUtf8String (offset {})", pos - 1))));
    // typedstream text with invalid UTF-8 decodes lossily
    let mut ts = seeds::typedstream("abcd");
    let pos = ts.windows(4).position(|w| w == b"abcd").expect("text");
    ts[pos] = 0xff;
    let text = typedstream::decode_text(&ts).expect("lossy decode");
    assert!(text.contains('\u{fffd}') && text.ends_with("bcd"), "{text:?}");
    // UTF-16 string objects with lone surrogates
    let mut u16s = b"bplist00".to_vec();
    u16s.extend_from_slice(&[0x62, 0xd8, 0x00, 0xdc, 0x00]);
    u16s.extend_from_slice(&[8]);
    u16s.extend_from_slice(&[0, 0, 0, 0, 0, 0, 1, 1]);
    u16s.extend_from_slice(&1u64.to_be_bytes());
    u16s.extend_from_slice(&0u64.to_be_bytes());
    u16s.extend_from_slice(&13u64.to_be_bytes());
    // (a high surrogate then a low one is a valid pair: U+10000)
    assert_eq!(parse_plist(&u16s), Ok(plist::Value::String("\u{10000}".into())));
    u16s[9] = 0xd8; // high surrogate followed by a high surrogate
    u16s[11] = 0xd8;
    assert_eq!(parse_plist(&u16s), Err(FormatError::Plist("InvalidUtf16String (offset 8)".into())));
    u16s[11] = 0x00; // a lone high surrogate followed by 'U+0000'
    assert_eq!(parse_plist(&u16s), Err(FormatError::Plist("InvalidUtf16String (offset 8)".into())));
}

#[test]
fn typedstream_huge_length_claims_are_errors() {
    let base = seeds::typedstream("xy");
    let pos = base.windows(2).position(|w| w == b"xy").expect("text") - 1;
    for claim in [
        [0x81, 0xff, 0xff].as_slice(),
        &[0x82, 0xff, 0xff, 0xff, 0x7f],
        &[0x82, 0xff, 0xff, 0xff, 0xff],
        &[0x83, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    ] {
        let mut b = base[..pos].to_vec();
        b.extend_from_slice(claim);
        b.extend_from_slice(b"xy\x86");
        assert!(typedstream::decode_text(&b).is_err(), "claim {claim:x?}");
    }
    assert!(typedstream::decode_text(b"").is_err());
    assert!(typedstream::decode_text(&[0x04]).is_err());
    // every truncation of a valid stream before the end of its text is an error; the decoder
    // reads nothing after the text (the attribute runs are not needed), so a cut after it still
    // gives the whole text
    let text_end = pos + 1 + 2;
    assert_eq!(typedstream::decode_text(&base), Ok("xy".to_string()));
    for n in 0..base.len() {
        let r = typedstream::decode_text(&base[..n]);
        if n < text_end {
            assert!(r.is_err(), "cut at {n}: {r:?}");
        } else {
            assert_eq!(r, Ok("xy".to_string()), "cut at {n}");
        }
    }
    // cut inside the text itself: truncated, at the text's offset, by the missing bytes
    assert_eq!(
        typedstream::decode_text(&base[..text_end - 1]),
        Err(typedstream::TypedStreamError::Truncated { offset: pos + 1, needed: 1 })
    );
}
