//! Encrypted iTunes/Finder backups: keybag, password → key, class keys, and the
//! [`BackupCipher`] that decrypts `Manifest.db` and file contents on access.
//!
//! Format facts (Apple's scheme; see the shared `artifacts.md` §5):
//! * `Manifest.plist` holds `IsEncrypted`, `BackupKeyBag` (a TLV keybag) and `ManifestKey`
//!   (4-byte **little-endian** protection class followed by the 40-byte RFC 3394-wrapped key
//!   of `Manifest.db`).
//! * Keybag TLV: 4-byte ASCII tag, 4-byte **big-endian** length, value. The header carries
//!   `VERS`, `TYPE`, `UUID`, `HMCK`, `WRAP`, `SALT`, `ITER`, `DPWT`, `DPIC`, `DPSL`; every later
//!   `UUID` opens a class-key record whose `CLAS`, `WRAP`, `KTYP`, `WPKY` (and `PBKY`) follow.
//!   Integer tags are 4-byte big-endian values.
//! * Backup key = `PBKDF2-HMAC-SHA1(PBKDF2-HMAC-SHA256(password, DPSL, DPIC, 32), SALT, ITER, 32)`
//!   (iOS ≥ 10.2); keybags without `DPSL` (iOS < 10.2) use `PBKDF2-HMAC-SHA1(password, SALT, ITER)`.
//!   DPIC is about 10 million rounds, so the key can be exported once ([`derive_backup_key`]) and
//!   reused ([`KeySource::Key`]).
//! * A class record whose `WRAP` has bit 2 set holds in `WPKY` its class key wrapped (AES key
//!   wrap, RFC 3394, default IV `A6A6…`) under the backup key. A failed integrity check of that
//!   unwrap means the password (or key) is wrong: [`CryptoError::WrongPassword`].
//! * `Manifest.db` is AES-256-CBC with a zero IV under the key unwrapped from `ManifestKey`
//!   with its class key. Backups made by iOS < 10.2 leave it in clear (SQLite header).
//! * Each file row's `MBFile` carries `ProtectionClass` and `EncryptionKey` (4-byte LE class +
//!   40-byte wrapped per-file key). The content file is AES-256-CBC, zero IV, PKCS#7-padded.
//!   Unlike MVT/iOSbackup (which truncates to `Size`, corrupting files whose `Size` is stale),
//!   the padding is trusted: it is validated and removed, and a disagreeing `Size` is only
//!   logged. Only when the padding is invalid is `Size` used (if it fits), with a warning.
//!
//! Key material (the password-derived key and its intermediate, the class keys, the
//! `Manifest.db` key and each per-file key) lives in [`Zeroizing`] buffers, wiped when dropped;
//! the AES key schedules inside the `aes`/`cbc`/`aes-kw` ciphers are wiped by those crates'
//! `zeroize` feature. Not wiped: the password or key inside [`KeySource`] (owned by the caller),
//! and the HMAC/SHA states inside `pbkdf2`.
//!
//! Plaintext never touches the evidence folder: [`open_encrypted`] decrypts in memory (SQLite
//! databases go to the container's private 0700 temporary copy, removed on drop);
//! [`decrypt_backup`] writes only into a separate destination.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use aes_kw::KwAes256;
use aes_kw::cipher::KeyInit;
use cbc::cipher::BlockModeDecrypt;
use cbc::cipher::KeyIvInit;
use cbc::cipher::block_padding::NoPadding;
use zeroize::Zeroizing;

use super::{BackupCipher, BackupError, BackupEvidence, CipherError, ManifestFile, find_backup_root};

/// Largest `Manifest.plist` read to find the keybag.
const MAX_MANIFEST_PLIST: u64 = 256 * 1024 * 1024;
/// Largest encrypted `Manifest.db` decrypted.
const MAX_MANIFEST_DB: u64 = 4 * 1024 * 1024 * 1024;

/// Why an encrypted backup could not be unlocked, opened or decrypted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The password or key does not unlock the keybag (AES key-unwrap integrity failure).
    #[error("wrong password (or key): the backup keybag could not be unlocked")]
    WrongPassword,
    /// The keybag in `Manifest.plist` is unusable.
    #[error("{}: BackupKeyBag: {source}", path.display())]
    Keybag {
        /// `Manifest.plist` path.
        path: PathBuf,
        /// What is wrong.
        source: KeybagError,
    },
    /// A backup file (Manifest.plist, Manifest.db, a content file) is corrupt or truncated.
    #[error("{file}: {reason}")]
    Corrupt {
        /// Path of the file (on disk, or `domain/relativePath`).
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// The backup is not encrypted (for `decrypt-backup` / `extract-key`).
    #[error("{}: this backup is not encrypted", path.display())]
    NotEncrypted {
        /// Backup root.
        path: PathBuf,
    },
    /// The destination of `decrypt-backup` is refused.
    #[error("{}: {reason}", path.display())]
    Destination {
        /// Destination path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// I/O error.
    #[error("{}: {source}", path.display())]
    Io {
        /// Path.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The backup container could not be opened.
    #[error(transparent)]
    Backup(BackupError),
}

impl From<BackupError> for CryptoError {
    fn from(e: BackupError) -> Self {
        match e {
            BackupError::Decrypt { path, source } => match source.downcast::<CryptoError>() {
                Ok(c) => *c,
                Err(source) => CryptoError::Corrupt { file: path, reason: source.to_string() },
            },
            other => CryptoError::Backup(other),
        }
    }
}

/// Where the backup key comes from.
#[derive(Clone)]
pub enum KeySource {
    /// The backup password (the key is derived: about a second at DPIC = 10 M); wiped when
    /// dropped.
    Password(Zeroizing<String>),
    /// The already derived 32-byte backup key (`extract-key` output); wiped when dropped.
    Key(Zeroizing<[u8; 32]>),
}

impl KeySource {
    /// A password source.
    pub fn password(p: impl Into<String>) -> Self {
        Self::Password(Zeroizing::new(p.into()))
    }
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Password(_) => f.write_str("KeySource::Password(<redacted>)"),
            Self::Key(_) => f.write_str("KeySource::Key(<redacted>)"),
        }
    }
}

/// RFC 3394 unwrap of a 40-byte wrapped 32-byte key. `None` on integrity failure or bad sizes.
fn unwrap32(kek: &[u8; 32], wrapped: &[u8]) -> Option<Zeroizing<[u8; 32]>> {
    if wrapped.len() != 40 {
        return None;
    }
    let kw = KwAes256::new_from_slice(kek).ok()?;
    let mut out = Zeroizing::new([0u8; 32]);
    kw.unwrap_key(wrapped, &mut *out).ok()?;
    Some(out)
}

/// Unwraps every passcode-wrapped class key (`WRAP` bit 2) with the backup key.
/// Any integrity failure, or no unwrappable class at all, is [`CryptoError::WrongPassword`]
/// (resp. a corrupt keybag).
pub fn unlock_class_keys(
    keybag: &Keybag,
    key: &[u8; 32],
    path: &Path,
) -> Result<BTreeMap<u32, Zeroizing<[u8; 32]>>, CryptoError> {
    let mut out = BTreeMap::new();
    for rec in &keybag.classes {
        let (Some(class), Some(wrap), Some(wpky)) = (rec.class, rec.wrap, rec.wrapped_key.as_deref()) else { continue };
        if wrap & 2 == 0 {
            tracing::debug!(class, wrap, "class key not wrapped with the backup key; skipped");
            continue;
        }
        if wpky.len() != 40 {
            return Err(CryptoError::Keybag {
                path: path.to_path_buf(),
                source: KeybagError::BadValue {
                    tag: "WPKY".into(),
                    offset: 0,
                    reason: format!("class {class}: {} bytes, expected 40", wpky.len()),
                },
            });
        }
        let k = unwrap32(key, wpky).ok_or(CryptoError::WrongPassword)?;
        out.insert(class, k);
    }
    if out.is_empty() {
        return Err(CryptoError::Keybag { path: path.to_path_buf(), source: KeybagError::Missing { tag: "WPKY" } });
    }
    Ok(out)
}

/// Unlocked keys of one backup; the [`BackupCipher`] for [`BackupEvidence::open_with_cipher`].
pub struct BackupKeys {
    class_keys: BTreeMap<u32, Zeroizing<[u8; 32]>>,
    manifest_key: Option<Zeroizing<[u8; 32]>>,
}

impl std::fmt::Debug for BackupKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupKeys")
            .field("classes", &self.class_keys.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

fn corrupt(file: impl Into<String>, reason: impl Into<String>) -> CryptoError {
    CryptoError::Corrupt { file: file.into(), reason: reason.into() }
}

/// AES-256-CBC, zero IV, in place, without padding removal. `buf.len()` must be a multiple of 16.
fn cbc_decrypt_in_place(key: &[u8; 32], buf: &mut [u8]) -> Result<(), String> {
    if !buf.len().is_multiple_of(16) {
        return Err(format!("{} bytes is not a multiple of the AES block size (truncated?)", buf.len()));
    }
    let dec = cbc::Decryptor::<aes::Aes256>::new_from_slices(key, &[0u8; 16]).map_err(|e| e.to_string())?;
    dec.decrypt_padded::<NoPadding>(buf).map_err(|e| e.to_string())?;
    Ok(())
}

/// Length without a valid PKCS#7 padding, if the padding is valid.
fn pkcs7_len(buf: &[u8]) -> Option<usize> {
    let p = *buf.last()? as usize;
    if p == 0 || p > 16 || p > buf.len() {
        return None;
    }
    let start = buf.len() - p;
    buf.get(start..)?.iter().all(|b| *b as usize == p).then_some(start)
}

impl BackupKeys {
    /// Unlocks the keys of a backup from its parsed `Manifest.plist`.
    pub fn unlock(manifest_plist: &plist::Dictionary, plist_path: &Path, src: &KeySource) -> Result<Self, CryptoError> {
        let bag = manifest_plist.get("BackupKeyBag").and_then(plist::Value::as_data).ok_or_else(|| {
            CryptoError::Keybag { path: plist_path.to_path_buf(), source: KeybagError::Missing { tag: "BackupKeyBag" } }
        })?;
        let keybag =
            parse_keybag(bag).map_err(|source| CryptoError::Keybag { path: plist_path.to_path_buf(), source })?;
        let key = match src {
            KeySource::Key(k) => Zeroizing::new(**k),
            KeySource::Password(pw) => derive_key(pw, &keybag)
                .map_err(|source| CryptoError::Keybag { path: plist_path.to_path_buf(), source })?,
        };
        Self::from_key(&keybag, &key, manifest_plist.get("ManifestKey").and_then(plist::Value::as_data), plist_path)
    }

    /// Unlocks with an already derived backup key, given the keybag and the raw `ManifestKey`.
    pub fn from_key(
        keybag: &Keybag,
        key: &[u8; 32],
        manifest_key: Option<&[u8]>,
        plist_path: &Path,
    ) -> Result<Self, CryptoError> {
        let class_keys = unlock_class_keys(keybag, key, plist_path)?;
        let manifest_key = match manifest_key {
            None => None,
            Some(mk) => {
                let (Some(class), Some(wrapped)) = (mk.get(..4), mk.get(4..)) else {
                    return Err(corrupt(
                        plist_path.display().to_string(),
                        format!("ManifestKey is {} bytes, expected 44", mk.len()),
                    ));
                };
                if wrapped.len() != 40 {
                    return Err(corrupt(
                        plist_path.display().to_string(),
                        format!("ManifestKey is {} bytes, expected 44", mk.len()),
                    ));
                }
                let class = u32::from_le_bytes([class[0], class[1], class[2], class[3]]);
                let ck = class_keys.get(&class).ok_or_else(|| {
                    corrupt(
                        plist_path.display().to_string(),
                        format!("ManifestKey uses protection class {class}, which the keybag does not unlock"),
                    )
                })?;
                Some(unwrap32(ck, wrapped).ok_or(CryptoError::WrongPassword)?)
            }
        };
        Ok(Self { class_keys, manifest_key })
    }

    /// Decrypts the whole `Manifest.db`.
    pub fn decrypt_manifest(&self, encrypted: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let key = self
            .manifest_key
            .as_ref()
            .ok_or_else(|| corrupt("Manifest.plist", "no ManifestKey, but Manifest.db is not SQLite"))?;
        let mut buf = encrypted.to_vec();
        cbc_decrypt_in_place(key, &mut buf).map_err(|r| corrupt("Manifest.db", r))?;
        if !buf.starts_with(b"SQLite format 3\0") {
            return Err(corrupt("Manifest.db", "decrypted content is not an SQLite database (corrupt file)"));
        }
        if let Some(l) = pkcs7_len(&buf) {
            buf.truncate(l);
        }
        Ok(buf)
    }

    /// The per-file key of a Manifest row: `Ok(None)` when the row has no `EncryptionKey`.
    fn file_key(&self, meta: &ManifestFile, name: &str) -> Result<Option<Zeroizing<[u8; 32]>>, CryptoError> {
        let info = meta.info.as_ref().ok_or_else(|| corrupt(name, "no readable MBFile metadata in Manifest.db"))?;
        let Some(ek) = info.encryption_key.as_deref() else { return Ok(None) };
        let class = match (info.protection_class, ek.get(..4)) {
            (Some(c), _) => u32::try_from(c).unwrap_or(u32::MAX),
            (None, Some(p)) => u32::from_le_bytes([p[0], p[1], p[2], p[3]]),
            (None, None) => return Err(corrupt(name, "EncryptionKey shorter than 4 bytes")),
        };
        let ck = self
            .class_keys
            .get(&class)
            .ok_or_else(|| corrupt(name, format!("protection class {class} is not unlocked by the keybag")))?;
        let wrapped = info.wrapped_key().unwrap_or_default();
        let fk = unwrap32(ck, wrapped)
            .ok_or_else(|| corrupt(name, format!("per-file key does not unwrap ({} wrapped bytes)", wrapped.len())))?;
        Ok(Some(fk))
    }

    /// Decrypts one content file given its Manifest row.
    pub fn decrypt_file(&self, meta: &ManifestFile, mut data: Vec<u8>) -> Result<Vec<u8>, CryptoError> {
        let name = format!("{}/{} ({})", meta.domain, meta.relative_path, meta.file_id);
        let Some(fk) = self.file_key(meta, &name)? else {
            if data.is_empty() {
                return Ok(data);
            }
            return Err(corrupt(&name, "no EncryptionKey in its Manifest.db metadata"));
        };
        cbc_decrypt_in_place(&fk, &mut data).map_err(|r| corrupt(&name, r))?;
        let size = meta.info.as_ref().and_then(|i| i.size);
        let keep = plain_len(&data, data.len() as u64, size, &name)?;
        data.truncate(keep);
        Ok(data)
    }

    /// Decrypts `source` into `output` (the file at `out`, already created) in bounded memory
    /// (for large files). Returns the plaintext length written.
    fn decrypt_file_streaming(
        &self,
        meta: &ManifestFile,
        source: &Path,
        output: &std::fs::File,
        out: &Path,
    ) -> Result<u64, CryptoError> {
        use std::io::Write;
        let name = format!("{}/{} ({})", meta.domain, meta.relative_path, meta.file_id);
        let fk = self
            .file_key(meta, &name)?
            .ok_or_else(|| corrupt(&name, "no EncryptionKey in its Manifest.db metadata"))?;
        let io = |p: &Path| {
            let p = p.to_path_buf();
            move |source| CryptoError::Io { path: p, source }
        };
        let mut input = std::fs::File::open(source).map_err(io(source))?;
        let total = input.metadata().map_err(io(source))?.len();
        if total == 0 || total % 16 != 0 {
            return Err(corrupt(&name, format!("{total} bytes is not a multiple of the AES block size (truncated?)")));
        }
        let mut dec = cbc::Decryptor::<aes::Aes256>::new_from_slices(&fk[..], &[0u8; 16])
            .map_err(|e| corrupt(&name, e.to_string()))?;
        let mut output = std::io::BufWriter::new(output);
        let mut buf = vec![0u8; STREAM_CHUNK];
        let mut left = total;
        let mut written = 0u64;
        while left > 0 {
            let n = usize::try_from(left.min(STREAM_CHUNK as u64)).unwrap_or(STREAM_CHUNK);
            let chunk = buf.get_mut(..n).ok_or_else(|| corrupt(&name, "chunk size"))?;
            input.read_exact(chunk).map_err(io(source))?;
            let (blocks, rest) = cbc::cipher::array::Array::slice_as_chunks_mut(chunk);
            debug_assert!(rest.is_empty());
            dec.decrypt_blocks(blocks);
            left -= n as u64;
            let keep = if left == 0 {
                let size = meta.info.as_ref().and_then(|i| i.size).map(|s| s.saturating_sub(total - n as u64));
                plain_len(chunk, total, size, &name)?
            } else {
                n
            };
            let part = chunk.get(..keep).unwrap_or_default();
            output.write_all(part).map_err(io(out))?;
            written += part.len() as u64;
        }
        output.flush().map_err(io(out))?;
        Ok(written)
    }
}

/// Size of a streamed decryption chunk (a multiple of the AES block size).
const STREAM_CHUNK: usize = 8 * 1024 * 1024;
/// Files at least this large are decrypted by streaming in `decrypt_backup`.
const STREAM_THRESHOLD: u64 = 64 * 1024 * 1024;

/// Plaintext length of the decrypted tail `last` (the final chunk, or the whole file): PKCS#7
/// padding is trusted; `size` (the `MBFile` Size, relative to `last`) is only a fallback when
/// the padding is invalid. `total` is the ciphertext length, for messages.
fn plain_len(last: &[u8], total: u64, size: Option<u64>, name: &str) -> Result<usize, CryptoError> {
    match (pkcs7_len(last), size.and_then(|s| usize::try_from(s).ok())) {
        (Some(l), s) => {
            if s.is_some_and(|s| s != l) {
                tracing::debug!(file = %name, "MBFile Size differs from the PKCS#7 length; keeping the padding-stripped length");
            }
            Ok(l)
        }
        (None, Some(s)) if s <= last.len() && last.len() - s <= 16 => {
            tracing::warn!(file = %name, "invalid PKCS#7 padding; truncating to the MBFile Size");
            Ok(s)
        }
        (None, _) => Err(corrupt(
            name,
            format!("invalid PKCS#7 padding after decryption of {total} bytes (truncated or corrupt file)"),
        )),
    }
}

impl BackupCipher for BackupKeys {
    fn manifest_db(&self, encrypted: &[u8]) -> Result<Vec<u8>, CipherError> {
        self.decrypt_manifest(encrypted).map_err(|e| Box::new(e) as CipherError)
    }

    fn file(&self, meta: &ManifestFile, ciphertext: Vec<u8>) -> Result<Vec<u8>, CipherError> {
        self.decrypt_file(meta, ciphertext).map_err(|e| Box::new(e) as CipherError)
    }
}

fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, CryptoError> {
    let io = |source| CryptoError::Io { path: path.to_path_buf(), source };
    let f = std::fs::File::open(path).map_err(io)?;
    let mut buf = Vec::new();
    f.take(limit.saturating_add(1)).read_to_end(&mut buf).map_err(io)?;
    if buf.len() as u64 > limit {
        return Err(corrupt(path.display().to_string(), format!("larger than {limit} bytes")));
    }
    Ok(buf)
}

/// `Manifest.plist` of a backup root, as a dictionary.
fn manifest_plist(root: &Path) -> Result<(PathBuf, plist::Dictionary), CryptoError> {
    let p = root.join("Manifest.plist");
    let bytes = read_bounded(&p, MAX_MANIFEST_PLIST)?;
    let v = ferret_formats::parse_plist(&bytes).map_err(|e| corrupt(p.display().to_string(), e.to_string()))?;
    match v {
        plist::Value::Dictionary(d) => Ok((p, d)),
        _ => Err(corrupt(p.display().to_string(), "not a dictionary")),
    }
}

fn is_encrypted(root: &Path, manifest: &plist::Dictionary) -> bool {
    let flag = manifest.get("IsEncrypted").and_then(plist::Value::as_boolean).unwrap_or(false);
    flag || !super::has_sqlite_header(&root.join("Manifest.db"))
}

/// Opens an encrypted backup, decrypting on access (nothing is written next to the evidence).
/// A backup that turns out not to be encrypted is opened as a plain one.
pub fn open_encrypted(path: &Path, src: &KeySource) -> Result<BackupEvidence, CryptoError> {
    let root = find_backup_root(path)?;
    let (plist_path, manifest) = manifest_plist(&root)?;
    if !is_encrypted(&root, &manifest) {
        tracing::info!(path = %root.display(), "backup is not encrypted; the password is not needed");
        return Ok(BackupEvidence::open(path)?);
    }
    let keys = BackupKeys::unlock(&manifest, &plist_path, src)?;
    Ok(BackupEvidence::open_with_cipher(path, Box::new(keys))?)
}

/// Derives the backup key from the password and checks it unlocks the keybag (for
/// `extract-key`: the slow derivation is then paid once per case).
pub fn derive_backup_key(path: &Path, password: &str) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let root = find_backup_root(path)?;
    let (plist_path, manifest) = manifest_plist(&root)?;
    if !is_encrypted(&root, &manifest) {
        return Err(CryptoError::NotEncrypted { path: root });
    }
    let bag = manifest.get("BackupKeyBag").and_then(plist::Value::as_data).ok_or_else(|| CryptoError::Keybag {
        path: plist_path.clone(),
        source: KeybagError::Missing { tag: "BackupKeyBag" },
    })?;
    let keybag = parse_keybag(bag).map_err(|source| CryptoError::Keybag { path: plist_path.clone(), source })?;
    let key =
        derive_key(password, &keybag).map_err(|source| CryptoError::Keybag { path: plist_path.clone(), source })?;
    BackupKeys::from_key(&keybag, &key, manifest.get("ManifestKey").and_then(plist::Value::as_data), &plist_path)?;
    Ok(key)
}

mod dest;
mod export;
mod keybag;

#[cfg(test)]
use export::plan_rows;
pub use export::{DecryptReport, FileFailure, decrypt_backup};
pub use keybag::{ClassRecord, Keybag, KeybagError, MAX_KEYBAG, derive_key, parse_keybag};

#[cfg(test)]
mod tests;
