//! `MBFile`: the per-file metadata archived in the `file` column of a backup's `Manifest.db`.
//!
//! The blob is a binary-plist NSKeyedArchiver archive whose root object (`$objects[1]`) is of
//! class `MBFile` with integer fields `LastModified`, `Birth`, `LastStatusChange` (Unix
//! seconds), `Size`, `Mode` (`st_mode`: file type + permission bits), `UserID`, `GroupID`,
//! `InodeNumber`, `Flags`, `ProtectionClass` (data-protection class, 1..=11), and UID references
//! `RelativePath` (string), `Target` (symlink target, optional), `EncryptionKey`
//! (`NSMutableData` whose `NS.data` is a 4-byte little-endian protection class followed by the
//! 40-byte AES-wrapped per-file key; only in encrypted backups) and `ExtendedAttributes`
//! (optional).

use plist::Value;
use serde::Serialize;

use crate::{FormatError, KeyedArchive};

/// The decoded `MBFile` record. Absent fields are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MbFile {
    /// Modification time, Unix seconds.
    pub last_modified: Option<i64>,
    /// Creation (birth) time, Unix seconds.
    pub birth: Option<i64>,
    /// Inode change time, Unix seconds.
    pub last_status_change: Option<i64>,
    /// Size in bytes (of the plaintext, for encrypted backups).
    pub size: Option<u64>,
    /// `st_mode` (type and permission bits).
    pub mode: Option<u64>,
    /// Owner user id.
    pub user_id: Option<u64>,
    /// Owner group id.
    pub group_id: Option<u64>,
    /// Inode number.
    pub inode_number: Option<u64>,
    /// BSD flags.
    pub flags: Option<u64>,
    /// Data-protection class (selects the class key in encrypted backups).
    pub protection_class: Option<u64>,
    /// Relative path as archived (normally equal to the Manifest row's `relativePath`).
    pub relative_path: Option<String>,
    /// Symlink target, for links.
    pub target: Option<String>,
    /// Raw `EncryptionKey` bytes: 4-byte little-endian class + 40-byte wrapped key.
    #[serde(skip)]
    pub encryption_key: Option<Vec<u8>>,
}

impl MbFile {
    /// The wrapped per-file key (the `EncryptionKey` bytes after the 4-byte class), if present.
    pub fn wrapped_key(&self) -> Option<&[u8]> {
        self.encryption_key.as_deref().and_then(|k| k.get(4..))
    }
}

/// Decodes a `Manifest.db` `file` blob.
pub fn parse_mbfile(bytes: &[u8]) -> Result<MbFile, FormatError> {
    let v = crate::parse_plist(bytes)?;
    mbfile_from_value(&v)
}

/// Decodes an already parsed `MBFile` archive.
pub fn mbfile_from_value(v: &Value) -> Result<MbFile, FormatError> {
    let a = KeyedArchive::new(v)?;
    let root = a
        .root()?
        .as_dictionary()
        .ok_or_else(|| FormatError::archive("$top.root", "MBFile root is not a dictionary"))?;
    let int = |key: &str| -> Result<Option<i64>, FormatError> {
        Ok(match a.field(root, key)? {
            Some(Value::Integer(i)) => i.as_signed().or_else(|| i.as_unsigned().map(|u| i64::try_from(u).unwrap_or(i64::MAX))),
            Some(Value::Real(r)) if r.is_finite() => Some(*r as i64),
            _ => None,
        })
    };
    let uint = |key: &str| -> Result<Option<u64>, FormatError> {
        Ok(match a.field(root, key)? {
            Some(Value::Integer(i)) => i.as_unsigned().or_else(|| i.as_signed().and_then(|s| u64::try_from(s).ok())),
            Some(Value::Real(r)) if r.is_finite() && *r >= 0.0 => Some(*r as u64),
            _ => None,
        })
    };
    let text = |key: &str| -> Result<Option<String>, FormatError> {
        match root.get(key) {
            Some(v) => a.string(v),
            None => Ok(None),
        }
    };
    Ok(MbFile {
        last_modified: int("LastModified")?,
        birth: int("Birth")?,
        last_status_change: int("LastStatusChange")?,
        size: uint("Size")?,
        mode: uint("Mode")?,
        user_id: uint("UserID")?,
        group_id: uint("GroupID")?,
        inode_number: uint("InodeNumber")?,
        flags: uint("Flags")?,
        protection_class: uint("ProtectionClass")?,
        relative_path: text("RelativePath")?,
        target: text("Target")?,
        encryption_key: match root.get("EncryptionKey") {
            Some(v) => a.data(v)?.map(<[u8]>::to_vec),
            None => None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use plist::{Dictionary, Uid};

    fn blob(with_key: bool) -> Vec<u8> {
        let mut f = Dictionary::new();
        f.insert("LastModified".into(), Value::Integer(1_700_000_000.into()));
        f.insert("Birth".into(), Value::Integer(1_699_000_000.into()));
        f.insert("LastStatusChange".into(), Value::Integer(1_700_000_001.into()));
        f.insert("Size".into(), Value::Integer(42.into()));
        f.insert("Mode".into(), Value::Integer(0o100_644.into()));
        f.insert("UserID".into(), Value::Integer(501.into()));
        f.insert("GroupID".into(), Value::Integer(501.into()));
        f.insert("InodeNumber".into(), Value::Integer(12345.into()));
        f.insert("Flags".into(), Value::Integer(0.into()));
        f.insert("ProtectionClass".into(), Value::Integer(3.into()));
        f.insert("RelativePath".into(), Value::Uid(Uid::new(2)));
        f.insert("$class".into(), Value::Uid(Uid::new(3)));
        let mut class = Dictionary::new();
        class.insert("$classname".into(), Value::String("MBFile".into()));
        class.insert("$classes".into(), Value::Array(vec![Value::String("MBFile".into()), Value::String("NSObject".into())]));
        let mut objects = vec![Value::String("$null".into()), Value::Dictionary(f), Value::String("Library/SMS/sms.db".into()), Value::Dictionary(class)];
        if with_key {
            let mut key = vec![3u8, 0, 0, 0];
            key.extend((0..40).map(|i| i as u8));
            let mut data = Dictionary::new();
            data.insert("NS.data".into(), Value::Data(key));
            data.insert("$class".into(), Value::Uid(Uid::new(5)));
            objects.push(Value::Dictionary(data));
            let mut c = Dictionary::new();
            c.insert("$classname".into(), Value::String("NSMutableData".into()));
            objects.push(Value::Dictionary(c));
            if let Some(Value::Dictionary(f)) = objects.get_mut(1) {
                f.insert("EncryptionKey".into(), Value::Uid(Uid::new(4)));
            }
        }
        let mut top = Dictionary::new();
        top.insert("root".into(), Value::Uid(Uid::new(1)));
        let mut a = Dictionary::new();
        a.insert("$version".into(), Value::Integer(100_000.into()));
        a.insert("$archiver".into(), Value::String("NSKeyedArchiver".into()));
        a.insert("$top".into(), Value::Dictionary(top));
        a.insert("$objects".into(), Value::Array(objects));
        let mut out = Vec::new();
        Value::Dictionary(a).to_writer_binary(&mut out).expect("write");
        out
    }

    #[test]
    fn decodes_fields_and_key() {
        let m = parse_mbfile(&blob(true)).expect("mbfile");
        assert_eq!(m.size, Some(42));
        assert_eq!(m.mode, Some(0o100_644));
        assert_eq!(m.birth, Some(1_699_000_000));
        assert_eq!(m.protection_class, Some(3));
        assert_eq!(m.relative_path.as_deref(), Some("Library/SMS/sms.db"));
        assert_eq!(m.encryption_key.as_ref().map(Vec::len), Some(44));
        assert_eq!(m.wrapped_key().map(<[u8]>::len), Some(40));
        let plain = parse_mbfile(&blob(false)).expect("mbfile");
        assert!(plain.encryption_key.is_none() && plain.wrapped_key().is_none());
    }

    #[test]
    fn mutated_blobs_never_panic() {
        let good = blob(true);
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for cut in 0..good.len() {
            let _ = parse_mbfile(&good[..cut]);
        }
        for _ in 0..3000 {
            let mut b = good.clone();
            for _ in 0..(next() % 4 + 1) {
                let i = (next() as usize) % b.len();
                b[i] = next() as u8;
            }
            let _ = parse_mbfile(&b);
            let _ = crate::parse_keyed_archive(&b);
        }
        assert!(parse_mbfile(b"").is_err());
        assert!(parse_mbfile(b"<plist><string>x</string></plist>").is_err());
    }
}
