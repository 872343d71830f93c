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
