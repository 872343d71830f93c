//! Result folders can come from anyone (a case shared by another lab): the campaign readers
//! refuse malformed files with a reason, never panic, and bound what one line may cost.
#![allow(clippy::unwrap_used)]

use std::io::Cursor;
use std::path::Path;

use ferret_campaign::CampaignError;
use ferret_campaign::case::{MAX_LINE, scan_observables_from};
use ferret_campaign::hunt::read_from;

fn scan(bytes: &[u8]) -> Result<Vec<(String, String)>, CampaignError> {
    let mut out = Vec::new();
    scan_observables_from(Cursor::new(bytes.to_vec()), Path::new("x/observables.jsonl"), &mut |k, v, _| {
        out.push((k.as_str().to_string(), v.to_string()));
        Ok(())
    })?;
    Ok(out)
}

#[test]
fn observables_lines_are_read_or_refused_with_the_line_number() {
    assert_eq!(scan(b"").unwrap(), Vec::<(String, String)>::new());
    assert_eq!(scan(b"\n\n").unwrap(), Vec::<(String, String)>::new());
    let good = br#"{"kind":"domain","value":"a.example","first_seen":null,"last_seen":null,"count":1,"modules":["sms"],"extra":[1,{"x":2}]}
{"kind":"phone","value":"+39\u0031"}
"#;
    assert_eq!(
        scan(good).unwrap(),
        vec![("domain".into(), "a.example".into()), ("phone".into(), "+391".into())],
        "unknown fields are ignored, escapes decoded"
    );
    for (bad, why) in [
        (&b"{\"kind\":\"domain\""[..], "line 1"),
        (&b"{\"kind\":\"nonsense\",\"value\":\"x\"}\n"[..], "line 1"),
        (&b"\n{\"value\":\"x\"}\n"[..], "line 2"),
        (&b"[1,2,3]\n"[..], "line 1"),
        (&b"{\"kind\":\"url\",\"value\":\"\xff\xfe\"}\n"[..], "not UTF-8"),
    ] {
        let e = scan(bad).unwrap_err().to_string();
        assert!(e.starts_with("x/observables.jsonl: ") && e.contains(why), "{e}");
    }
    let mut long = br#"{"kind":"url","value":""#.to_vec();
    long.extend(std::iter::repeat_n(b'a', MAX_LINE + 10));
    long.extend(b"\"}\n");
    let e = scan(&long).unwrap_err().to_string();
    assert!(e.contains("longer than"), "{e}");
}

#[test]
fn hunt_indexes_are_read_or_refused() {
    let p = Path::new("cache/hunt/0123.idx");
    let header = r#"{"format":"ferret-hunt-index/1","cases":[{"id":"a","dir":"/c/a","stamp":"s"},{"id":"b","dir":"/c/b","stamp":"s"}]}"#;
    let ok = format!("{header}\ndomain\tx.example\t0,1\nphone\t+1\t1\n");
    let idx = read_from(Cursor::new(ok), p).unwrap();
    assert_eq!(idx.cases.len(), 2);
    assert_eq!(idx.values.len(), 2);
    assert_eq!(idx.values[0].2, vec![0, 1]);
    for (bad, why) in [
        (String::new(), "empty"),
        ("not json\n".to_string(), "header"),
        (r#"{"format":"other/9","cases":[]}"#.to_string() + "\n", "format"),
        (format!("{header}\ndomain\tx.example\t0,2\n"), "bad case list"),
        (format!("{header}\ndomain\tx.example\n"), "not kind, value and cases"),
        (format!("{header}\nweird\tx\t0\n"), "unknown kind"),
        (format!("{header}\ndomain\tx\t-1\n"), "bad case list"),
    ] {
        let e = read_from(Cursor::new(bad.clone()), p).unwrap_err().to_string();
        assert!(e.contains(why), "{bad:?}: {e}");
    }
}

#[test]
fn runs_refuse_lines_they_did_not_write() {
    use ferret_core::observe::read_run;
    for bad in ["domain\t1\t2\n", "domain\tx\t1\t1\tv\n", "nokind\t1\t1\t1\tv\n", "domain\t1\t1\t-5\tv\n"] {
        let r: Vec<_> = read_run(Cursor::new(bad.as_bytes().to_vec())).collect();
        assert!(r.iter().all(Result::is_err), "{bad:?}");
    }
    let ok: Vec<_> = read_run(Cursor::new(b"domain\t-9223372036854775808\t5\t2\ta\tb\n".to_vec())).collect();
    assert_eq!(ok.len(), 1);
    let e = ok.into_iter().next().unwrap().unwrap();
    assert_eq!((&*e.value, e.stat.count), ("a\tb", 2), "the value is the rest of the line");
}

#[allow(dead_code)]
#[path = "../../../fuzz/src/seeds.rs"]
mod seeds;

fn outcome(data: &[u8]) -> String {
    match ferret_campaign::fuzz_files(data) {
        Ok(n) => format!("{n} items"),
        Err(e) => format!("refused: {e}"),
    }
}

/// The `campaign_files` fuzz target's seeds replayed with their outcomes, then every truncation
/// and byte flip of each: a count or a reason, never a panic.
#[test]
fn campaign_files_seeds_have_their_outcomes() {
    let got: Vec<String> = seeds::seeds("campaign_files").iter().map(|s| outcome(s)).collect();
    assert_eq!(got.len(), 7);
    assert_eq!(got[0], "2 items");
    assert!(got[1].starts_with("refused: fuzz: missing field"), "{}", got[1]);
    assert!(got[2].starts_with("refused: fuzz: line 1: unknown variant"), "{}", got[2]);
    assert_eq!(got[3], "2 items");
    assert_eq!(got[4], "refused: fuzz: line 2: bad case list");
    assert_eq!(got[5], "2 items");
    assert!(got[6].starts_with("refused: fuzz: not an observables run line"), "{}", got[6]);
    let mut checked = 0;
    for seed in seeds::seeds("campaign_files") {
        for cut in 0..seed.len() {
            let _ = outcome(&seed[..cut]);
            checked += 1;
        }
        for i in 0..seed.len() {
            for flip in [0x01u8, 0x20, 0x80] {
                let mut m = seed.clone();
                m[i] ^= flip;
                let _ = outcome(&m);
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "{checked} mutations");
}
