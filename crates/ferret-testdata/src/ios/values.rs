//! What generated rows hold: benign hosts and URLs, fresh indicator-looking domains, and times
//! in each epoch the artifacts use (Unix, Mac absolute, WebKit/Chrome).

use rand::Rng;

use crate::rng::{TestRng, word};

/// Benign hosts used for ordinary browsing rows (never planted as indicators).
pub const BENIGN_HOSTS: &[&str] = &[
    "example.org",
    "www.example.com",
    "example.net",
    "en.wikipedia.org",
    "www.apple.com",
    "support.apple.com",
    "docs.example.org",
];

/// A random benign URL.
pub fn benign_url(rng: &mut TestRng) -> String {
    let host = BENIGN_HOSTS[rng.random_range(0..BENIGN_HOSTS.len())];
    format!("https://{host}/{}/{}", word(rng, 5), word(rng, 7))
}

/// A fresh indicator-looking domain (fictional, unique per call thanks to the random words).
pub fn evil_domain(rng: &mut TestRng) -> String {
    format!("{}-{}.com", word(rng, 7), word(rng, 6))
}

/// A Unix time in 2024–2025.
pub fn base_time(rng: &mut TestRng) -> i64 {
    1_704_067_200 + rng.random_range(0..60_000_000)
}

/// Unix seconds → Mac absolute seconds.
pub fn mac(unix: i64) -> f64 {
    (unix - ferret_core::time::MAC_EPOCH_OFFSET) as f64
}

/// Unix seconds → WebKit/Chrome microseconds.
pub fn webkit(unix: i64) -> i64 {
    unix * 1_000_000 + ferret_core::time::WEBKIT_EPOCH_OFFSET_US
}
