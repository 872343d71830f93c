//! Hostile input for the format parsers (issue 8): the fuzz seeds of `fuzz/` replayed with
//! deterministic mutations, plus hand-built attacks (100,000-deep nesting, cyclic keyed archives,
//! lying binary-plist trailers, invalid UTF-8, huge length claims). Every case must return
//! (`Ok` or `Err`), never panic or abort; expected outcomes are asserted where they are defined.

use ferret_formats::{
    FormatError, MAX_DEPTH, parse_keyed_archive, parse_mbfile, parse_plist, plist_to_json, typedstream,
};

#[allow(dead_code)]
#[path = "../../../fuzz/src/seeds.rs"]
mod seeds;

use seeds::{P, bplist, keyed, mutations};

fn run(target: &str, data: &[u8]) {
    match target {
        "plist" => {
            if let Ok(v) = parse_plist(data) {
                let _ = plist_to_json(&v);
            }
        }
        "keyed_archive" => {
            let _ = parse_keyed_archive(data);
        }
        "mbfile" => {
            let _ = parse_mbfile(data);
        }
        "typedstream" => {
            let _ = typedstream::decode_text(data);
        }
        other => panic!("no runner for {other}"),
    }
}

#[test]
fn seeds_are_valid_inputs() {
    for s in seeds::seeds("plist") {
        if s == seeds::billion_laughs() {
            // the one hostile seed: refused by counting its expansion, never built
            assert!(matches!(parse_plist(&s), Err(FormatError::TooExpanded { .. })));
            continue;
        }
        parse_plist(&s).expect("plist seed parses");
    }
    for s in seeds::seeds("mbfile") {
        parse_mbfile(&s).expect("MBFile seed parses");
    }
    let first = &seeds::seeds("keyed_archive")[0];
    parse_keyed_archive(first).expect("keyed archive seed decodes");
    let text = typedstream::decode_text(&seeds::typedstream("Hello https://evil.example/x"))
        .expect("typedstream seed decodes");
    assert_eq!(text, "Hello https://evil.example/x");
    let long = "long text ".repeat(40);
    assert_eq!(typedstream::decode_text(&seeds::typedstream(&long)).expect("long typedstream"), long);
}

#[test]
fn corpus_replay_with_mutations() {
    for (ti, target) in ["plist", "keyed_archive", "mbfile", "typedstream"].into_iter().enumerate() {
        for (si, seed) in seeds::seeds(target).iter().enumerate() {
            run(target, seed);
            for m in mutations(seed, (ti * 100 + si) as u64, 300) {
                run(target, &m);
            }
        }
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
        match parse_plist(&data) {
            Err(FormatError::TooDeep { limit, .. }) => assert_eq!(limit, MAX_DEPTH, "{name}"),
            Err(_) => {}
            Ok(_) => panic!("{name}: a 100,000-deep / cyclic plist must be refused"),
        }
        // the keyed-archive and MBFile entry points go through the same loader
        assert!(parse_keyed_archive(&data).is_err(), "{name}");
        assert!(parse_mbfile(&data).is_err(), "{name}");
    }
}

#[test]
fn keyed_archive_cycles_and_dangling_uids_terminate() {
    // A -> B -> A, and an object whose field refers to itself.
    let r = parse_keyed_archive(&seeds::cyclic_archive());
    if let Ok(json) = &r {
        assert!(json.to_string().len() < 1 << 20, "a cycle must not be expanded without bound");
    }
    let self_loop = keyed(vec![
        P::Dict(vec![("$class", P::Uid(2)), ("me", P::Uid(1)), ("NS.objects", P::Array(vec![P::Uid(1), P::Uid(1)]))]),
        P::Dict(vec![("$classname", P::Str("NSArray".into()))]),
    ]);
    if let Ok(json) = parse_keyed_archive(&self_loop) {
        assert!(json.to_string().len() < 1 << 20);
    }
    // A diamond that doubles at each level: 2^40 paths if expanded naively.
    let mut objs = Vec::new();
    for i in 0..40u64 {
        objs.push(P::Dict(vec![("a", P::Uid(i + 2)), ("b", P::Uid(i + 2))]));
    }
    objs.push(P::Str("leaf".into()));
    let diamond = keyed(objs);
    let started = std::time::Instant::now();
    if let Ok(json) = parse_keyed_archive(&diamond) {
        assert!(json.to_string().len() < 64 << 20, "shared sub-graphs must be bounded");
    }
    assert!(started.elapsed().as_secs() < 30, "diamond graph took {:?}", started.elapsed());
    // UIDs past the object table, and a missing $top.
    let dangling = keyed(vec![P::Dict(vec![("$class", P::Uid(200)), ("x", P::Uid(99))])]);
    let _ = parse_keyed_archive(&dangling);
    let no_top =
        bplist(&P::Dict(vec![("$archiver", P::Str("NSKeyedArchiver".into())), ("$objects", P::Array(vec![]))]));
    assert!(parse_keyed_archive(&no_top).is_err());
    assert!(parse_mbfile(&no_top).is_err());
}

#[test]
fn lying_binary_plist_trailers_are_errors() {
    let good = bplist(&P::Dict(vec![("k", P::Str("v".into()))]));
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
            cases.push((field, b));
        }
    }
    // a string object claiming a 2^62-byte length
    let mut huge = good.clone();
    let pos = huge.iter().position(|&c| c == 0x51).expect("a 1-char string object");
    huge.splice(pos..pos + 1, [0x5f, 0x13, 0x40, 0, 0, 0, 0, 0, 0, 0]);
    cases.push(("huge string length", huge));
    for (field, b) in cases {
        let _ = parse_plist(&b).map(|v| plist_to_json(&v));
        let _ = parse_mbfile(&b);
        let _ = field;
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
    let _ = parse_plist(&xml);
    // binary plist ASCII strings holding non-ASCII bytes
    let mut b = bplist(&P::Dict(vec![("RelativePath", P::Str("ab".into()))]));
    let pos = b.windows(2).position(|w| w == b"ab").expect("string");
    b[pos] = 0xff;
    b[pos + 1] = 0xc3;
    let _ = parse_plist(&b);
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
    let _ = parse_plist(&u16s);
    u16s[9] = 0xd8; // high surrogate followed by a high surrogate
    u16s[11] = 0xd8;
    let _ = parse_plist(&u16s);
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
    // every truncation of a valid stream is an error, never a panic
    for n in 0..base.len() {
        let _ = typedstream::decode_text(&base[..n]);
    }
}
