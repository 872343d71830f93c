//! Shared pieces of the iOS artifact generators: benign hosts, indicator-looking values,
//! SQLite and plist file builders.

use rand::Rng;

use crate::ArtifactFile;
use crate::rng::{TestRng, word};
use crate::sqlite;

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

/// A SQLite artifact built by `main`.
pub fn db(
    domain: &str,
    rel: &str,
    fs: &str,
    mtime: i64,
    main: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<()>,
) -> ArtifactFile {
    let files = sqlite::build(main, None).expect("fixture database builds");
    ArtifactFile { domain: domain.into(), relative_path: rel.into(), fs_path: fs.into(), bytes: files.db, mtime }
}

/// A binary plist artifact.
pub fn plist_file(domain: &str, rel: &str, fs: &str, mtime: i64, value: &plist::Value) -> ArtifactFile {
    ArtifactFile {
        domain: domain.into(),
        relative_path: rel.into(),
        fs_path: fs.into(),
        bytes: plist_bytes(value),
        mtime,
    }
}

/// Binary plist bytes of `value`.
pub fn plist_bytes(value: &plist::Value) -> Vec<u8> {
    let mut out = Vec::new();
    value.to_writer_binary(&mut out).expect("plist serializes");
    out
}

/// A plist dictionary from pairs.
pub fn dict(pairs: Vec<(&str, plist::Value)>) -> plist::Value {
    let mut d = plist::Dictionary::new();
    for (k, v) in pairs {
        d.insert(k.to_string(), v);
    }
    plist::Value::Dictionary(d)
}

/// A plist `<date>` from Unix seconds.
pub fn pdate(unix: i64) -> plist::Value {
    let st = std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix.max(0) as u64);
    plist::Value::Date(plist::Date::from(st))
}

/// A plist string.
pub fn pstr(s: &str) -> plist::Value {
    plist::Value::String(s.to_string())
}
