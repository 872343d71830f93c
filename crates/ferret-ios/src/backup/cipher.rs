//! The decryption seam for encrypted backups.
//!
//! [`BackupEvidence::open_with_cipher`](super::BackupEvidence::open_with_cipher) takes a
//! [`BackupCipher`]; the evidence then calls it for `Manifest.db` (once, at open) and for every
//! file content it reads (`open`, `read`, `sqlite`, including `-wal`/`-journal` sidecars).
//! Plaintext stays in memory or in the private temporary copy `SqliteDb::open_copy` makes; it is
//! never written next to the evidence. The cipher needs, per file, the `MBFile` metadata of its
//! Manifest row ([`ManifestFile::info`]: `ProtectionClass` selects the class key,
//! [`MbFile::wrapped_key`] is the wrapped per-file key, `Size` the plaintext length).

use ferret_formats::MbFile;

/// Error type returned by a cipher (wrong password, unwrap failure, bad padding, ...).
pub type CipherError = Box<dyn std::error::Error + Send + Sync>;

/// Decrypts an encrypted backup's `Manifest.db` and file contents.
pub trait BackupCipher: Send + Sync {
    /// Decrypts the whole `Manifest.db` (its bytes as stored in the backup root).
    fn manifest_db(&self, encrypted: &[u8]) -> Result<Vec<u8>, CipherError>;

    /// Decrypts one file's content (`<root>/<id[0..2]>/<id>`), given its Manifest row.
    fn file(&self, meta: &ManifestFile, ciphertext: Vec<u8>) -> Result<Vec<u8>, CipherError>;
}

/// One `Files` row of `Manifest.db` with its decoded `MBFile` blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestFile {
    /// SHA-1 of `domain-relativePath`, 40 lowercase hex characters.
    pub file_id: String,
    /// Backup domain.
    pub domain: String,
    /// Path relative to the domain.
    pub relative_path: String,
    /// 1 = regular file, 2 = directory, 4 = symlink.
    pub flags: i64,
    /// The decoded `file` blob (`None` when the blob is absent or unreadable).
    pub info: Option<MbFile>,
}
