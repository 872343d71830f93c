//! The `analytics_event` fuzz target's seeds (`fuzz/src/seeds.rs`) replayed: each seed's outcome
//! (an event with these checked strings, or refused), then deterministic mutations of every
//! seed, which must give an event without the row's own keys and with a bounded number of
//! checked strings, or be refused, never panic.

#[allow(dead_code)]
#[path = "../../../fuzz/src/seeds.rs"]
mod seeds;

use ferret_ios::modules::analytics::{MAX_STRINGS, checked_strings, event_from_blob};

fn outcome(b: &[u8]) -> String {
    match event_from_blob(b) {
        Some(e) => format!("event {:?}", checked_strings(&e)),
        None => "refused".into(),
    }
}

#[test]
fn analytics_event_seeds_and_mutations() {
    let got: Vec<String> = seeds::seeds("analytics_event").iter().map(|s| outcome(s)).collect();
    assert_eq!(
        got,
        [
            "event [\"22B83\", \"mobilesafari\"]",
            "event [\"api.example.com\"]",
            "event []", // `artifact` is the row's own key: dropped, so not checked either
            "refused",  // an array, not a dictionary
            "refused",
            "refused",
        ]
    );
    let mut checked = 0;
    for (i, s) in seeds::seeds("analytics_event").iter().enumerate() {
        for m in seeds::mutations(s, i as u64, 300) {
            if let Some(e) = event_from_blob(&m) {
                assert!(!e.contains_key("artifact") && !e.contains_key("isodate") && !e.contains_key("table"));
                assert!(checked_strings(&e).len() <= MAX_STRINGS);
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 6 * 300);
}
