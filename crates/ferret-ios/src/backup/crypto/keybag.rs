//! The backup keybag (`BackupKeyBag` of `Manifest.plist`): its TLV stream, read on the
//! bounds-checked [`Cursor`], and the password → backup key derivation (scheme in the parent
//! module's docs).

use ferret_formats::Cursor;
use sha1::Sha1;
use sha2::Sha256;
use zeroize::Zeroizing;

/// Largest keybag accepted (real ones are about 2 KiB).
pub const MAX_KEYBAG: usize = 1024 * 1024;
/// Why a keybag could not be parsed. Every variant names the tag and its byte offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeybagError {
    /// The keybag is empty.
    #[error("keybag is empty")]
    Empty,
    /// The keybag is over [`MAX_KEYBAG`].
    #[error("keybag is {size} bytes, over the {MAX_KEYBAG}-byte limit")]
    TooLarge {
        /// Its size.
        size: usize,
    },
    /// A tag header or value runs past the end.
    #[error("keybag truncated at offset {offset} (tag {tag}): need {need} bytes, {have} left")]
    Truncated {
        /// Tag being read (`?` when the tag itself is cut).
        tag: String,
        /// Offset of the tag.
        offset: usize,
        /// Bytes needed.
        need: u64,
        /// Bytes left.
        have: usize,
    },
    /// A value has the wrong shape (e.g. an integer tag that is not 4 bytes).
    #[error("keybag tag {tag} at offset {offset}: {reason}")]
    BadValue {
        /// Tag.
        tag: String,
        /// Offset of the tag.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// A required header tag is absent.
    #[error("keybag has no {tag} tag")]
    Missing {
        /// Tag.
        tag: &'static str,
    },
}

/// One class-key record of a keybag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClassRecord {
    /// Record `UUID`.
    pub uuid: Vec<u8>,
    /// `CLAS`: protection class (1..=11).
    pub class: Option<u32>,
    /// `WRAP`: bit 1 = device key, bit 2 = passcode (backup) key.
    pub wrap: Option<u32>,
    /// `KTYP`: key type.
    pub key_type: Option<u32>,
    /// `WPKY`: the wrapped class key.
    pub wrapped_key: Option<Vec<u8>>,
    /// `PBKY`: public key (asymmetric classes), unused for backups.
    pub public_key: Option<Vec<u8>>,
}

/// A parsed backup keybag (`BackupKeyBag` of `Manifest.plist`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keybag {
    /// `VERS`.
    pub version: Option<u32>,
    /// `TYPE` (1 = backup).
    pub kind: Option<u32>,
    /// First `UUID`: the keybag's own.
    pub uuid: Option<Vec<u8>>,
    /// `HMCK`.
    pub hmck: Option<Vec<u8>>,
    /// First `WRAP` (before any class record).
    pub wrap: Option<u32>,
    /// `SALT` of the SHA-1 stage.
    pub salt: Option<Vec<u8>>,
    /// `ITER` of the SHA-1 stage.
    pub iter: Option<u32>,
    /// `DPWT`.
    pub dpwt: Option<u32>,
    /// `DPIC`: rounds of the SHA-256 stage.
    pub dpic: Option<u32>,
    /// `DPSL`: salt of the SHA-256 stage (absent before iOS 10.2).
    pub dpsl: Option<Vec<u8>>,
    /// Class-key records in keybag order.
    pub classes: Vec<ClassRecord>,
}

fn tag_name(t: &[u8]) -> String {
    t.iter().map(|b| if b.is_ascii_graphic() { *b as char } else { '?' }).collect()
}

/// Reads one item of the stream: a 4-byte ASCII tag, a 4-byte big-endian length and the value.
fn next_item<'a>(c: &mut Cursor<'a>) -> Result<(&'a [u8], &'a [u8]), KeybagError> {
    let offset = c.position();
    let at_tag = c.clone();
    let (Ok(tag), Ok(len)) = (c.take(4, "keybag tag"), c.u32_be("keybag length")) else {
        let tag = at_tag.peek(4, "keybag tag").map_or_else(|_| "?".into(), tag_name);
        return Err(KeybagError::Truncated { tag, offset, need: 8, have: at_tag.remaining() });
    };
    let value = usize::try_from(len).ok().and_then(|n| c.take(n, "keybag value").ok());
    let truncated = || KeybagError::Truncated { tag: tag_name(tag), offset, need: u64::from(len), have: c.remaining() };
    Ok((tag, value.ok_or_else(truncated)?))
}

/// Parses a keybag TLV stream. Pure, bounded and panic-free (fuzzed).
pub fn parse_keybag(data: &[u8]) -> Result<Keybag, KeybagError> {
    if data.is_empty() {
        return Err(KeybagError::Empty);
    }
    if data.len() > MAX_KEYBAG {
        return Err(KeybagError::TooLarge { size: data.len() });
    }
    let mut kb = Keybag::default();
    let mut current: Option<ClassRecord> = None;
    let mut cur = Cursor::new(data);
    while !cur.is_empty() {
        let offset = cur.position();
        let (tag, value) = next_item(&mut cur)?;
        let name = tag_name(tag);
        let int = || -> Result<u32, KeybagError> {
            <[u8; 4]>::try_from(value).map(u32::from_be_bytes).map_err(|_| KeybagError::BadValue {
                tag: name.clone(),
                offset,
                reason: format!("expected a 4-byte integer, found {} bytes", value.len()),
            })
        };
        match tag {
            b"UUID" => {
                if kb.uuid.is_none() {
                    kb.uuid = Some(value.to_vec());
                } else {
                    if let Some(c) = current.take() {
                        kb.classes.push(c);
                    }
                    current = Some(ClassRecord { uuid: value.to_vec(), ..ClassRecord::default() });
                }
            }
            b"CLAS" | b"WRAP" | b"KTYP" | b"WPKY" | b"PBKY" if current.is_some() => {
                let Some(c) = current.as_mut() else { continue };
                match tag {
                    b"CLAS" => c.class = Some(int()?),
                    b"WRAP" => c.wrap = Some(int()?),
                    b"KTYP" => c.key_type = Some(int()?),
                    b"WPKY" => c.wrapped_key = Some(value.to_vec()),
                    _ => c.public_key = Some(value.to_vec()),
                }
            }
            b"WRAP" => {
                if kb.wrap.is_none() {
                    kb.wrap = Some(int()?);
                }
            }
            b"VERS" => kb.version = Some(int()?),
            b"TYPE" => kb.kind = Some(int()?),
            b"HMCK" => kb.hmck = Some(value.to_vec()),
            b"SALT" => kb.salt = Some(value.to_vec()),
            b"ITER" => kb.iter = Some(int()?),
            b"DPWT" => kb.dpwt = Some(int()?),
            b"DPIC" => kb.dpic = Some(int()?),
            b"DPSL" => kb.dpsl = Some(value.to_vec()),
            _ => tracing::debug!(tag = %name, offset, "unknown keybag tag ignored"),
        }
    }
    if let Some(c) = current.take() {
        kb.classes.push(c);
    }
    Ok(kb)
}

/// Derives the backup key from a password (see the module docs for the scheme).
pub fn derive_key(password: &str, keybag: &Keybag) -> Result<Zeroizing<[u8; 32]>, KeybagError> {
    let salt = keybag.salt.as_deref().ok_or(KeybagError::Missing { tag: "SALT" })?;
    let iter = keybag.iter.ok_or(KeybagError::Missing { tag: "ITER" })?;
    if iter == 0 {
        return Err(KeybagError::BadValue { tag: "ITER".into(), offset: 0, reason: "zero iterations".into() });
    }
    let mut key = Zeroizing::new([0u8; 32]);
    match &keybag.dpsl {
        Some(dpsl) => {
            let dpic = keybag.dpic.ok_or(KeybagError::Missing { tag: "DPIC" })?;
            if dpic == 0 {
                return Err(KeybagError::BadValue { tag: "DPIC".into(), offset: 0, reason: "zero iterations".into() });
            }
            let mut k1 = Zeroizing::new([0u8; 32]);
            pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), dpsl, dpic, &mut *k1);
            pbkdf2::pbkdf2_hmac::<Sha1>(&*k1, salt, iter, &mut *key);
        }
        None => pbkdf2::pbkdf2_hmac::<Sha1>(password.as_bytes(), salt, iter, &mut *key),
    }
    Ok(key)
}
