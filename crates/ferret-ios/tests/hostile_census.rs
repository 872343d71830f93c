//! The `process_census` fuzz target's seeds (`fuzz/src/seeds.rs`) replayed: each seed's outcome,
//! then deterministic mutations (every cut, every byte replaced by `/`, a NUL, a line break or a
//! non-ASCII byte) whose census must keep its invariants, never panic.

use ferret_core::Level;
use ferret_ios::census::{CensusRecord, Class, ProcessCensus};

#[allow(dead_code)]
#[path = "../../../fuzz/src/seeds.rs"]
mod seeds;

fn census(bytes: &[u8]) -> Vec<CensusRecord> {
    let text = String::from_utf8_lossy(bytes).into_owned();
    ProcessCensus::census_of_values(text.lines(), ["com.example.Chat"]).0
}

fn invariants(records: &[CensusRecord]) {
    let names: Vec<&str> = records.iter().map(|r| r.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(names, sorted, "one record per name, sorted");
    for r in records {
        assert!(!r.reason.is_empty() && !r.reason.chars().any(char::is_control), "{r:?}");
        match r.classification {
            Class::Unknown => assert!(matches!(r.level, Some(Level::Medium | Level::High)), "{r:?}"),
            Class::InstalledApp | Class::App => assert_eq!(r.level, None),
            Class::Apple => panic!("Apple's own processes get no record: {r:?}"),
        }
    }
}

#[test]
fn process_census_seeds_and_mutations() {
    let seeds = seeds::seeds("process_census");
    let got: Vec<Vec<(String, Option<Level>)>> =
        seeds.iter().map(|s| census(s).into_iter().map(|r| (r.name, r.level)).collect()).collect();
    let want = |v: &[(&str, Option<Level>)]| v.iter().map(|(n, l)| ((*n).to_string(), *l)).collect::<Vec<_>>();
    assert_eq!(
        got,
        vec![
            want(&[]),
            want(&[
                ("Diagnosticd", Some(Level::High)),
                ("bh", Some(Level::High)),
                ("mediaserverdd", Some(Level::High)),
                ("roleaboutd", Some(Level::Medium)),
            ]),
            want(&[("Chat", None), ("locationd", Some(Level::High))]),
            want(&[
                ("abcdefghijklmnopqrstuvwxyz0123456789", Some(Level::Medium)),
                ("\u{e9}\u{1f600}", Some(Level::High)),
                ("\u{202e}dnoitacol", Some(Level::Medium)),
            ]),
        ]
    );
    let mut mutated = 0usize;
    for s in &seeds {
        for cut in 0..=s.len() {
            invariants(&census(&s[..cut]));
            mutated += 1;
        }
        for i in 0..s.len() {
            for b in [b'/', 0, b'\n', 0xe9] {
                let mut m = s.clone();
                m[i] = b;
                invariants(&census(&m));
                mutated += 1;
            }
        }
    }
    assert!(mutated > 1000, "{mutated}");
}
