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
///
/// Binary archives laid out the usual way are decoded directly from the bytes (no value tree;
/// every read bounds-checked, no recursion: the archive is only three levels deep); anything
/// else falls back to [`crate::parse_plist`] + [`mbfile_from_value`].
pub fn parse_mbfile(bytes: &[u8]) -> Result<MbFile, FormatError> {
    if let Some(m) = fast::mbfile(bytes) {
        return Ok(m);
    }
    let v = crate::parse_plist(bytes)?;
    mbfile_from_value(&v)
}

/// Direct decoding of binary `MBFile` archives (hot path: one call per Manifest row).
mod fast {
    use super::MbFile;
    use crate::Cursor;

    struct Bp<'a> {
        data: &'a [u8],
        off_size: usize,
        ref_size: usize,
        count: usize,
        table: usize,
    }

    enum Obj<'a> {
        Int(i128),
        Uid(u64),
        Ascii(&'a [u8]),
        Utf16(&'a [u8]),
        Data(&'a [u8]),
        /// refs start, element count (dict: key count)
        Array(usize, usize),
        Dict(usize, usize),
        Other,
    }

    impl<'a> Bp<'a> {
        fn new(data: &'a [u8]) -> Option<Self> {
            if !data.starts_with(b"bplist00") || data.len() < 40 {
                return None;
            }
            let mut c = Cursor::new(data);
            c.seek(data.len() - 26, "trailer").ok()?;
            let off_size = usize::from(c.u8("t").ok()?);
            let ref_size = usize::from(c.u8("t").ok()?);
            let count = usize::try_from(c.u64_be("t").ok()?).ok()?;
            let _top = c.u64_be("t").ok()?;
            let table = usize::try_from(c.u64_be("t").ok()?).ok()?;
            if !(1..=8).contains(&off_size) || !(1..=8).contains(&ref_size) {
                return None;
            }
            let end = table.checked_add(count.checked_mul(off_size)?)?;
            if end > data.len() {
                return None;
            }
            Some(Self { data, off_size, ref_size, count, table })
        }

        fn top(&self) -> Option<usize> {
            let mut c = Cursor::new(self.data);
            c.seek(self.data.len() - 16, "top").ok()?;
            usize::try_from(c.u64_be("top").ok()?).ok().filter(|t| *t < self.count)
        }

        fn obj(&self, i: usize) -> Option<Obj<'a>> {
            if i >= self.count {
                return None;
            }
            let mut c = Cursor::new(self.data);
            c.seek(self.table + i * self.off_size, "offset").ok()?;
            let off = usize::try_from(c.uint_be(self.off_size, "offset").ok()?).ok()?;
            c.seek(off, "object").ok()?;
            let m = c.u8("marker").ok()?;
            let (hi, lo) = (m >> 4, m & 0x0F);
            let len = |c: &mut Cursor<'a>| -> Option<usize> {
                if lo != 0x0F {
                    return Some(usize::from(lo));
                }
                let im = c.u8("len marker").ok()?;
                if im >> 4 != 1 {
                    return None;
                }
                usize::try_from(c.uint_be(1 << (im & 3), "len").ok()?).ok()
            };
            Some(match hi {
                0x1 => match lo {
                    0..=2 => Obj::Int(i128::from(c.uint_be(1 << lo, "int").ok()?)),
                    3 => Obj::Int(i128::from(c.i64_be("int").ok()?)),
                    4 => {
                        let b = c.array::<16>("int").ok()?;
                        Obj::Int(i128::from_be_bytes(b))
                    }
                    _ => return None,
                },
                0x8 => Obj::Uid(c.uint_be(usize::from(lo) + 1, "uid").ok()?),
                0x4 => {
                    let n = len(&mut c)?;
                    Obj::Data(c.take(n, "data").ok()?)
                }
                0x5 => {
                    let n = len(&mut c)?;
                    Obj::Ascii(c.take(n, "ascii").ok()?)
                }
                0x6 => {
                    let n = len(&mut c)?;
                    Obj::Utf16(c.take(n.checked_mul(2)?, "utf16").ok()?)
                }
                0xA => {
                    let n = len(&mut c)?;
                    c.peek(n.checked_mul(self.ref_size)?, "refs").ok()?;
                    Obj::Array(c.position(), n)
                }
                0xD => {
                    let n = len(&mut c)?;
                    c.peek(n.checked_mul(2 * self.ref_size)?, "refs").ok()?;
                    Obj::Dict(c.position(), n)
                }
                _ => Obj::Other,
            })
        }

        fn refn(&self, at: usize, i: usize) -> Option<usize> {
            let mut c = Cursor::new(self.data);
            c.seek(at.checked_add(i.checked_mul(self.ref_size)?)?, "ref").ok()?;
            usize::try_from(c.uint_be(self.ref_size, "ref").ok()?).ok()
        }

        fn text(&self, i: usize) -> Option<String> {
            match self.obj(i)? {
                Obj::Ascii(b) => Some(String::from_utf8_lossy(b).into_owned()),
                Obj::Utf16(b) => {
                    let units: Vec<u16> = b.chunks_exact(2).map(|p| u16::from_be_bytes([p[0], p[1]])).collect();
                    Some(String::from_utf16_lossy(&units))
                }
                _ => None,
            }
        }

        fn key_is(&self, i: usize, key: &[u8]) -> bool {
            matches!(self.obj(i), Some(Obj::Ascii(b)) if b == key)
        }

        /// Value object index of `key` in dictionary object `d`.
        fn get(&self, d: usize, key: &[u8]) -> Option<usize> {
            let Obj::Dict(at, n) = self.obj(d)? else { return None };
            (0..n).find_map(|k| {
                let kr = self.refn(at, k)?;
                self.key_is(kr, key).then(|| self.refn(at, n + k)).flatten()
            })
        }
    }

    pub(super) fn mbfile(bytes: &[u8]) -> Option<MbFile> {
        let bp = Bp::new(bytes)?;
        let top = bp.top()?;
        let objects = bp.get(top, b"$objects")?;
        let Obj::Array(obj_at, obj_n) = bp.obj(objects)? else { return None };
        let uid_obj = |u: u64| -> Option<usize> {
            let u = usize::try_from(u).ok().filter(|u| *u < obj_n)?;
            bp.refn(obj_at, u)
        };
        let top_dict = bp.get(top, b"$top")?;
        let Obj::Uid(root_uid) = bp.obj(bp.get(top_dict, b"root")?)? else { return None };
        let root = uid_obj(root_uid)?;
        let Obj::Dict(at, n) = bp.obj(root)? else { return None };
        let mut m = MbFile::default();
        for k in 0..n {
            let key = match bp.obj(bp.refn(at, k)?)? {
                Obj::Ascii(b) => b,
                _ => continue,
            };
            let vi = bp.refn(at, n + k)?;
            let v = bp.obj(vi)?;
            let int = match &v {
                Obj::Int(i) => Some(*i),
                _ => None,
            };
            let signed = int.map(|i| i64::try_from(i).unwrap_or(if i < 0 { i64::MIN } else { i64::MAX }));
            let unsigned = int.and_then(|i| u64::try_from(i).ok());
            // A path that is not a UID of a string (an inline value, a dangling UID, an
            // `NSString` object) is not the usual layout: the generic path decides.
            let uid_text = || -> Option<Option<String>> {
                let Obj::Uid(u) = &v else { return None };
                let t = bp.text(uid_obj(*u)?)?;
                Some((t != "$null").then_some(t))
            };
            match key {
                b"LastModified" => m.last_modified = signed,
                b"Birth" => m.birth = signed,
                b"LastStatusChange" => m.last_status_change = signed,
                b"Size" => m.size = unsigned,
                b"Mode" => m.mode = unsigned,
                b"UserID" => m.user_id = unsigned,
                b"GroupID" => m.group_id = unsigned,
                b"InodeNumber" => m.inode_number = unsigned,
                b"Flags" => m.flags = unsigned,
                b"ProtectionClass" => m.protection_class = unsigned,
                b"RelativePath" => m.relative_path = uid_text()?,
                b"Target" => m.target = uid_text()?,
                b"EncryptionKey" => {
                    let Obj::Uid(u) = v else { return None };
                    let o = uid_obj(u)?;
                    m.encryption_key = match bp.obj(o)? {
                        Obj::Data(d) => Some(d.to_vec()),
                        Obj::Dict(..) => match bp.obj(bp.get(o, b"NS.data")?)? {
                            Obj::Data(d) => Some(d.to_vec()),
                            _ => None,
                        },
                        _ => None,
                    };
                }
                _ => {}
            }
        }
        Some(m)
    }
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
            Some(Value::Integer(i)) => {
                i.as_signed().or_else(|| i.as_unsigned().map(|u| i64::try_from(u).unwrap_or(i64::MAX)))
            }
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
        class.insert(
            "$classes".into(),
            Value::Array(vec![Value::String("MBFile".into()), Value::String("NSObject".into())]),
        );
        let mut objects = vec![
            Value::String("$null".into()),
            Value::Dictionary(f),
            Value::String("Library/SMS/sms.db".into()),
            Value::Dictionary(class),
        ];
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
    fn fast_path_agrees_with_the_generic_path() {
        for b in [blob(true), blob(false)] {
            let fast = fast::mbfile(&b).expect("fast path taken");
            let slow = mbfile_from_value(&crate::parse_plist(&b).expect("plist")).expect("slow");
            assert_eq!(fast, slow);
        }
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
        // a cut blob has lost its trailer: always an error, on both paths
        for cut in 0..good.len() {
            assert!(parse_mbfile(&good[..cut]).is_err(), "cut at {cut}");
            assert!(fast::mbfile(&good[..cut]).is_none(), "cut at {cut}");
        }
        let (mut ok, mut fast_taken, mut disagree) = (0, 0, Vec::new());
        for _ in 0..3000 {
            let mut b = good.clone();
            for _ in 0..(next() % 4 + 1) {
                let i = (next() as usize) % b.len();
                b[i] = next() as u8;
            }
            let r = parse_mbfile(&b);
            assert_eq!(r, parse_mbfile(&b), "same input, same outcome");
            let slow = crate::parse_plist(&b).and_then(|v| mbfile_from_value(&v));
            match fast::mbfile(&b) {
                // the generic path decides whatever the fast path declines
                None => assert_eq!(r, slow),
                Some(f) => {
                    fast_taken += 1;
                    assert_eq!(r.as_ref(), Ok(&f));
                    if let Ok(s) = &slow
                        && *s != f
                    {
                        disagree.push((f, s.clone()));
                    }
                }
            }
            if let Ok(m) = &r {
                ok += 1;
                // what is decoded was read from the blob
                if let Some(p) = m.relative_path.as_deref().filter(|p| !p.is_empty() && !p.contains('\u{fffd}')) {
                    let utf16: Vec<u8> = p.encode_utf16().flat_map(u16::to_be_bytes).collect();
                    assert!(
                        b.windows(p.len()).any(|w| w == p.as_bytes()) || b.windows(utf16.len()).any(|w| w == utf16),
                        "{p:?} is not in the blob"
                    );
                }
                if let Some(k) = m.encryption_key.as_ref().filter(|k| !k.is_empty()) {
                    assert!(b.windows(k.len()).any(|w| w == k.as_slice()), "the key is not in the blob");
                }
            } else if let Err(e) = &r {
                let msg = e.to_string();
                assert!(msg.contains("property list") || msg.contains("keyed archive"), "{msg}");
            }
        }
        assert!(ok > 0 && ok < 3000 && fast_taken > 0, "{ok} decoded, {fast_taken} by the fast path");
        assert!(disagree.is_empty(), "fast and generic paths disagree: {disagree:#?}");
        assert!(parse_mbfile(b"").is_err());
        assert!(parse_mbfile(b"<plist><string>x</string></plist>").is_err());
    }
}
