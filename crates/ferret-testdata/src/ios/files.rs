//! Artifact files of the iOS generators: SQLite databases and binary plists, with the plist
//! value builders they are made of.

use crate::ArtifactFile;
use crate::sqlite;

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
