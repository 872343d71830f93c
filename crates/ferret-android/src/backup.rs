//! Android `adb backup` files (`.ab`): header, optional AES-256 encryption, optional zlib, tar.
//!
//! Format facts (AOSP `BackupManagerService`):
//! * header lines: `ANDROID BACKUP`, version (1-5), compressed flag (`0`/`1`), encryption
//!   (`none` or `AES-256`);
//! * when encrypted, five more lines: user-password salt (hex), master-key checksum salt (hex),
//!   PBKDF2 rounds, user IV (hex), encrypted master-key blob (hex);
//! * key = PBKDF2-HMAC-SHA1(password, user salt, rounds, 32 bytes); AES-256-CBC(key, user IV) with
//!   PKCS#7 decrypts the blob = `len | master IV | len | master key | len | checksum`
//!   (1-byte lengths);
//! * the checksum is PBKDF2-HMAC-SHA1(master key', checksum salt, rounds, 32) where, from version
//!   2 on, master key' is Java's UTF-8 encoding of the key bytes taken as sign-extended `char`s
//!   (each byte of 0x80 or more becomes `EF, BC | b>>6, 80 | b&0x3F`); version 1 uses the raw
//!   bytes. A mismatch (or bad padding) means a wrong password;
//! * the payload is AES-256-CBC(master key, master IV) with PKCS#7 at the end, then zlib when
//!   compressed, then a tar archive.
//!
//! Decryption is streamed ([`CbcReader`]: block-wise, the last block held back until EOF to strip
//! the padding); the tar entries are copied into a private temporary folder (0700, files 0600)
//! with sanitised names and no links, removed when the [`AbEvidence`] is dropped. The archive is
//! never held in memory. Sizes are bounded ([`UnpackLimits`]): an entry whose header announces
//! more than the per-artifact budget (`FERRET_ARTIFACT_LIMIT`) is skipped before any byte is
//! copied, and entries that would take the total past the scratch budget
//! (`FERRET_SCRATCH_LIMIT`) are skipped too; each skip is a warning naming the entry.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use aes::Aes256;
use cbc::cipher::{BlockModeDecrypt, KeyIvInit, block_padding::Pkcs7};
use ferret_core::evidence::FolderEvidence;
use ferret_core::{AcquisitionKind, Evidence, EvidenceError, EvidenceFile, Locator, SqliteDb};
use zeroize::Zeroizing;

use crate::AndroidError;

/// Most PBKDF2 rounds accepted (a hostile header could ask for billions).
pub const MAX_ROUNDS: u32 = 10_000_000;
/// Most entries extracted.
pub const MAX_ENTRIES: u64 = 1_000_000;
/// Skipped entries named one by one in warnings; the rest are only counted.
const WARN_EACH: usize = 20;

/// Budgets of the unpacking of one backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnpackLimits {
    /// Largest single entry, checked from its tar header before anything is copied.
    pub entry_max: u64,
    /// Most entries.
    pub max_entries: u64,
}

impl UnpackLimits {
    /// The process's artifact-size budget per entry ([`ferret_core::budget::artifact_limit`],
    /// `FERRET_ARTIFACT_LIMIT`), [`MAX_ENTRIES`] entries. The total is reserved entry by entry
    /// from the process's one scratch budget ([`ferret_core::budget`], `FERRET_SCRATCH_LIMIT`).
    pub fn from_env() -> Self {
        Self { entry_max: ferret_core::budget::artifact_limit(), max_entries: MAX_ENTRIES }
    }
}

/// The backup header.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AbHeader {
    /// Format version.
    pub version: u32,
    /// zlib-compressed payload.
    pub compressed: bool,
    /// AES-256 encrypted.
    pub encrypted: bool,
}

fn header_line(r: &mut impl BufRead, path: &str, what: &str) -> Result<String, AndroidError> {
    let mut buf = Vec::new();
    r.take(4096).read_until(b'\n', &mut buf).map_err(|source| AndroidError::Io { path: path.to_string(), source })?;
    if buf.last() != Some(&b'\n') {
        return Err(AndroidError::corrupt(path, format!("header truncated before the {what} line")));
    }
    buf.pop();
    String::from_utf8(buf).map_err(|_| AndroidError::corrupt(path, format!("the {what} line is not text")))
}

fn unhex(s: &str, path: &str, what: &str) -> Result<Vec<u8>, AndroidError> {
    hex::decode(s.trim()).map_err(|_| AndroidError::corrupt(path, format!("the {what} is not hex")))
}

/// Java's UTF-8 encoding of bytes taken as sign-extended chars (the version >= 2 quirk).
pub fn java_utf8(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 3);
    for &b in bytes {
        if b < 0x80 {
            out.push(b);
        } else {
            out.extend_from_slice(&[0xEF, 0xBC | (b >> 6), 0x80 | (b & 0x3F)]);
        }
    }
    out
}

/// Decrypts AES-256-CBC block-wise, stripping PKCS#7 padding at the end of the stream.
pub struct CbcReader<R> {
    inner: R,
    dec: cbc::Decryptor<Aes256>,
    out: Vec<u8>,
    pos: usize,
    held: Option<[u8; 16]>,
    inbuf: Vec<u8>,
    done: bool,
}

impl<R: Read> CbcReader<R> {
    /// Wraps `inner` (ciphertext).
    pub fn new(inner: R, key: &[u8; 32], iv: &[u8; 16]) -> Self {
        Self {
            inner,
            dec: cbc::Decryptor::<Aes256>::new(key.into(), iv.into()),
            out: Vec::new(),
            pos: 0,
            held: None,
            inbuf: vec![0; 64 * 1024],
            done: false,
        }
    }

    fn refill(&mut self) -> std::io::Result<()> {
        let mut n = 0;
        let mut eof = false;
        while n < self.inbuf.len() {
            match self.inner.read(&mut self.inbuf[n..]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if eof && n % 16 != 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "encrypted data is not a whole number of AES blocks",
            ));
        }
        for chunk in self.inbuf[..n].chunks_exact_mut(16) {
            if let Ok(block) = <&mut aes::Block>::try_from(chunk) {
                self.dec.decrypt_block(block);
            }
        }
        self.out.clear();
        self.pos = 0;
        if let Some(h) = self.held.take() {
            self.out.extend_from_slice(&h);
        }
        self.out.extend_from_slice(&self.inbuf[..n]);
        if eof {
            self.done = true;
            let pad = usize::from(self.out.last().copied().unwrap_or(0));
            let ok = (1..=16).contains(&pad)
                && self.out.len() >= pad
                && self.out[self.out.len() - pad..].iter().all(|b| usize::from(*b) == pad);
            if !ok {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "bad PKCS#7 padding at the end of the encrypted data",
                ));
            }
            self.out.truncate(self.out.len() - pad);
        } else if self.out.len() >= 16 {
            let cut = self.out.len() - 16;
            let mut h = [0u8; 16];
            h.copy_from_slice(&self.out[cut..]);
            self.held = Some(h);
            self.out.truncate(cut);
        }
        Ok(())
    }
}

impl<R: Read> Read for CbcReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if self.pos < self.out.len() {
                let n = buf.len().min(self.out.len() - self.pos);
                buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            if self.done {
                return Ok(0);
            }
            self.refill()?;
        }
    }
}

/// Reads the header and returns it with a reader of the plain tar stream.
pub fn open_stream<'a>(
    input: impl Read + Send + 'a,
    password: Option<&str>,
    path: &str,
) -> Result<(AbHeader, Box<dyn Read + Send + 'a>), AndroidError> {
    let mut r = BufReader::new(input);
    let magic = header_line(&mut r, path, "magic")?;
    if magic != "ANDROID BACKUP" {
        return Err(AndroidError::corrupt(path, "not an Android backup (no ANDROID BACKUP magic)"));
    }
    let version: u32 =
        header_line(&mut r, path, "version")?.trim().parse().map_err(|_| AndroidError::corrupt(path, "bad version"))?;
    if !(1..=10).contains(&version) {
        return Err(AndroidError::corrupt(path, format!("unsupported backup version {version}")));
    }
    let compressed = match header_line(&mut r, path, "compression")?.trim() {
        "0" => false,
        "1" => true,
        other => return Err(AndroidError::corrupt(path, format!("bad compression flag {other:?}"))),
    };
    let enc = header_line(&mut r, path, "encryption")?;
    let header = AbHeader { version, compressed, encrypted: enc.trim() != "none" };
    let payload: Box<dyn Read + Send + 'a> = match enc.trim() {
        "none" => Box::new(r),
        "AES-256" => {
            let user_salt = unhex(&header_line(&mut r, path, "user salt")?, path, "user salt")?;
            let ck_salt = unhex(&header_line(&mut r, path, "checksum salt")?, path, "checksum salt")?;
            let rounds: u32 = header_line(&mut r, path, "rounds")?
                .trim()
                .parse()
                .map_err(|_| AndroidError::corrupt(path, "bad PBKDF2 rounds"))?;
            if rounds == 0 || rounds > MAX_ROUNDS {
                return Err(AndroidError::corrupt(path, format!("PBKDF2 rounds {rounds} out of range")));
            }
            let user_iv = unhex(&header_line(&mut r, path, "user IV")?, path, "user IV")?;
            let blob = unhex(&header_line(&mut r, path, "master key blob")?, path, "master key blob")?;
            // AES-CBC ciphertext: whole 16-byte blocks. Anything else is a damaged header, not a
            // wrong password (whatever password is tried).
            if blob.is_empty() || blob.len() % 16 != 0 {
                return Err(AndroidError::corrupt(
                    path,
                    format!("the master key blob is {} bytes, not whole 16-byte blocks", blob.len()),
                ));
            }
            let Some(password) = password else {
                return Err(AndroidError::PasswordNeeded { path: path.to_string() });
            };
            let (key, iv) = unlock(password, &user_salt, &ck_salt, rounds, &user_iv, &blob, version, path)?;
            Box::new(CbcReader::new(r, &key, &iv))
        }
        other => return Err(AndroidError::corrupt(path, format!("unsupported encryption {other:?}"))),
    };
    let payload: Box<dyn Read + Send + 'a> =
        if compressed { Box::new(flate2::read::ZlibDecoder::new(payload)) } else { payload };
    Ok((header, payload))
}

/// Unlocks the master key. Every buffer holding key material (the password-derived key, the
/// decrypted blob, the master key and its checksum input) is a [`Zeroizing`] buffer, wiped when
/// dropped; the AES key schedules are wiped by the `aes`/`cbc` crates' `zeroize` feature. The
/// password itself belongs to the caller.
#[allow(clippy::too_many_arguments)]
fn unlock(
    password: &str,
    user_salt: &[u8],
    ck_salt: &[u8],
    rounds: u32,
    user_iv: &[u8],
    blob: &[u8],
    version: u32,
    path: &str,
) -> Result<(Zeroizing<[u8; 32]>, [u8; 16]), AndroidError> {
    let mut key = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password.as_bytes(), user_salt, rounds, &mut *key);
    let dec = cbc::Decryptor::<Aes256>::new_from_slices(&key[..], user_iv)
        .map_err(|_| AndroidError::corrupt(path, "user IV has the wrong length"))?;
    let plain = Zeroizing::new(
        dec.decrypt_padded_vec::<Pkcs7>(blob).map_err(|_| AndroidError::WrongPassword { path: path.to_string() })?,
    );
    // `len | master IV | len | master key | len | checksum`, 1-byte lengths
    let mut cur = ferret_formats::Cursor::new(&plain);
    let mut field = |what| -> Option<Zeroizing<Vec<u8>>> {
        let len = cur.u8(what).ok()?;
        Some(Zeroizing::new(cur.take(usize::from(len), what).ok()?.to_vec()))
    };
    let (Some(iv), Some(mk), Some(ck)) = (field("master IV"), field("master key"), field("checksum")) else {
        return Err(AndroidError::WrongPassword { path: path.to_string() });
    };
    let mk_for_ck = Zeroizing::new(if version >= 2 { java_utf8(&mk) } else { mk.to_vec() });
    let mut calc = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(&mk_for_ck, ck_salt, rounds, &mut *calc);
    if calc[..] != ck[..] {
        return Err(AndroidError::WrongPassword { path: path.to_string() });
    }
    let mut master = Zeroizing::new([0u8; 32]);
    if mk.len() != master.len() {
        return Err(AndroidError::corrupt(path, "master key is not 32 bytes"));
    }
    master.copy_from_slice(&mk);
    let iv: [u8; 16] =
        iv.as_slice().try_into().map_err(|_| AndroidError::corrupt(path, "master IV is not 16 bytes"))?;
    Ok((master, iv))
}

/// A decrypted, unpacked backup (a private temporary folder: `tree/` holds the entries, `copies/`
/// the earlier copies of duplicated entries).
///
/// Every copy of a name the tar holds more than once is kept and checked: the last one (what a
/// restore leaves) under the plain path, each earlier one as `<name> (copy k of n)`, as for the
/// other archives (see [`ferret_core::evidence`], "Duplicate entries in archives"); each
/// duplicated name is reported with a warning.
#[derive(Debug)]
pub struct AbEvidence {
    folder: FolderEvidence,
    source: PathBuf,
    /// The header.
    pub header: AbHeader,
    /// Entries skipped (links, devices, bad names, over budget).
    pub skipped: Vec<String>,
    /// Earlier copies of duplicated entries, by name, in archive order.
    copies: std::collections::BTreeMap<String, Vec<PathBuf>>,
    _dir: tempfile::TempDir,
    /// The scratch bytes the unpacked entries hold (released after the folder is removed).
    _reservation: ferret_core::budget::Reservation,
}

impl AbEvidence {
    /// Opens a `.ab` file on disk.
    pub fn open(path: &Path, password: Option<&str>) -> Result<Self, AndroidError> {
        let f = std::fs::File::open(path)
            .map_err(|source| AndroidError::Io { path: path.display().to_string(), source })?;
        Self::from_reader(f, password, path)
    }

    /// Opens a `.ab` held in another evidence (androidqf `backup.ab`).
    pub fn open_nested(
        outer: &dyn Evidence,
        file: &EvidenceFile,
        password: Option<&str>,
    ) -> Result<Self, AndroidError> {
        let r = outer.open(file)?;
        Self::from_reader(r, password, &outer.source().join(&file.path))
    }

    /// Decrypts and unpacks from a reader; `source` names it in messages.
    pub fn from_reader(input: impl Read + Send, password: Option<&str>, source: &Path) -> Result<Self, AndroidError> {
        let name = source.display().to_string();
        let (header, payload) = open_stream(input, password, &name)?;
        let dir =
            ferret_core::zip::private_tempdir().map_err(|source| AndroidError::Io { path: name.clone(), source })?;
        let tree = dir.path().join("tree");
        let u = unpack(payload, &tree, &dir.path().join("copies"), &name, UnpackLimits::from_env())?;
        ferret_core::zip::warn_duplicates(source, u.copies.iter().map(|(n, v)| (n.as_str(), v.len() + 1)));
        Ok(Self {
            folder: FolderEvidence::new(tree, AcquisitionKind::AndroidBackup),
            source: source.to_path_buf(),
            header,
            skipped: u.skipped,
            copies: u.copies,
            _dir: dir,
            _reservation: u.reservation,
        })
    }

    /// Names the backup holds more than once, with their number of copies (every copy is
    /// checked).
    pub fn duplicates(&self) -> Vec<(&str, usize)> {
        self.copies.iter().map(|(n, v)| (n.as_str(), v.len() + 1)).collect()
    }

    /// The earlier copies of the located files among `files`, as located files of their own.
    fn with_copies(&self, mut files: Vec<EvidenceFile>) -> Vec<EvidenceFile> {
        if self.copies.is_empty() {
            return files;
        }
        let mut extra = Vec::new();
        for f in &files {
            let Some(earlier) = self.copies.get(&f.relative_path) else { continue };
            let n = earlier.len() + 1;
            for (k, p) in earlier.iter().enumerate() {
                let meta = std::fs::metadata(p).ok();
                extra.push(EvidenceFile {
                    path: ferret_core::evidence::copy_path(&f.relative_path, k + 1, n),
                    size: meta.as_ref().map(std::fs::Metadata::len),
                    modified: meta.and_then(|m| m.modified().ok()).and_then(|t| jiff::Timestamp::try_from(t).ok()),
                    ..f.clone()
                });
            }
        }
        files.extend(extra);
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files
    }

    /// Where the earlier copy a located file designates is on disk (`None` for a plain path).
    fn copy_on_disk(&self, file: &EvidenceFile) -> Result<Option<&Path>, EvidenceError> {
        let Some((k, n)) = ferret_core::evidence::copy_of(file) else { return Ok(None) };
        self.copies
            .get(&file.relative_path)
            .filter(|v| v.len() + 1 == n)
            .and_then(|v| v.get(k - 1))
            .map(|p| Some(p.as_path()))
            .ok_or_else(|| EvidenceError::Missing { path: file.path.clone() })
    }
}

/// What [`unpack`] left.
struct Unpacked {
    skipped: Vec<String>,
    copies: std::collections::BTreeMap<String, Vec<PathBuf>>,
    reservation: ferret_core::budget::Reservation,
}

fn unpack(
    payload: impl Read,
    root: &Path,
    copies_dir: &Path,
    name: &str,
    limits: UnpackLimits,
) -> Result<Unpacked, AndroidError> {
    let mut ar = tar::Archive::new(payload);
    let mut skipped = Vec::new();
    let mut copies: std::collections::BTreeMap<String, Vec<PathBuf>> = std::collections::BTreeMap::new();
    let mut copy_no = 0u64;
    let mut over_budget = 0usize;
    let mut skip_over = |skipped: &mut Vec<String>, what: String| {
        over_budget += 1;
        if over_budget <= WARN_EACH {
            tracing::warn!("{name}: entry skipped: {what}");
        }
        skipped.push(what);
    };
    let mut reservation = ferret_core::budget::Reservation::default();
    let io = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::InvalidData {
            AndroidError::corrupt(name, e.to_string())
        } else {
            AndroidError::Io { path: name.to_string(), source: e }
        }
    };
    std::fs::create_dir_all(root).map_err(io)?;
    let entries = ar.entries().map_err(io)?;
    for (i, entry) in entries.enumerate() {
        if i as u64 >= limits.max_entries {
            skip_over(&mut skipped, format!("more than {} entries: the rest is not unpacked", limits.max_entries));
            break;
        }
        let mut entry = entry.map_err(io)?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if !entry.header().entry_type().is_file() {
            if !entry.header().entry_type().is_dir() {
                skipped.push(raw);
            }
            continue;
        }
        let rel = ferret_core::zip::normalize_name(&raw);
        if rel.is_empty() {
            skipped.push(raw);
            continue;
        }
        // Budgets from the header, before anything is copied.
        let size = entry.size();
        if size > limits.entry_max {
            skip_over(
                &mut skipped,
                format!(
                    "{raw} ({size} bytes) is over the {}-byte per-artifact budget (FERRET_ARTIFACT_LIMIT)",
                    limits.entry_max,
                ),
            );
            continue;
        }
        if let Err(e) = reservation.grow(size) {
            skip_over(&mut skipped, format!("{raw} ({size} bytes) not unpacked: {e}"));
            continue;
        }
        let mut target = root.to_path_buf();
        for c in rel.split('/') {
            target.push(c);
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        if target.is_file() {
            // A duplicate: the earlier copy moves aside, the later one takes the plain name.
            copy_no += 1;
            std::fs::create_dir_all(copies_dir).map_err(io)?;
            let aside = copies_dir.join(copy_no.to_string());
            std::fs::rename(&target, &aside).map_err(io)?;
            copies.entry(rel.clone()).or_default().push(aside);
        } else if target.exists() {
            skipped.push(format!("{raw} (a folder of that name exists)"));
            continue;
        }
        let mut out = ferret_core::zip::create_private_file(&target).map_err(io)?;
        let n = std::io::copy(&mut (&mut entry).take(size), &mut out).map_err(io)?;
        if n != size {
            return Err(AndroidError::corrupt(name, format!("entry {raw} is truncated: {n} of {size} bytes")));
        }
    }
    if over_budget > WARN_EACH {
        tracing::warn!("{name}: {over_budget} entries skipped in total (over budget)");
    }
    Ok(Unpacked { skipped, copies, reservation })
}

impl Evidence for AbEvidence {
    fn kind(&self) -> AcquisitionKind {
        AcquisitionKind::AndroidBackup
    }
    fn source(&self) -> &Path {
        &self.source
    }
    fn locate(&self, locator: &Locator) -> Result<Vec<EvidenceFile>, EvidenceError> {
        Ok(self.with_copies(self.folder.locate(locator)?))
    }
    fn open(&self, file: &EvidenceFile) -> Result<Box<dyn Read + Send + '_>, EvidenceError> {
        match self.copy_on_disk(file)? {
            Some(p) => {
                let f =
                    std::fs::File::open(p).map_err(|source| EvidenceError::Io { path: file.path.clone(), source })?;
                Ok(Box::new(BufReader::new(f)))
            }
            None => self.folder.open(file),
        }
    }
    fn sqlite(&self, file: &EvidenceFile) -> Result<SqliteDb, EvidenceError> {
        match self.copy_on_disk(file)? {
            // an earlier copy of a duplicated entry, kept in the private extraction folder
            Some(p) => SqliteDb::open_evidence(p).map(|d| d.labelled(&file.path)).map_err(|e| match e {
                EvidenceError::Sqlite { source, .. } => EvidenceError::Sqlite { path: file.path.clone(), source },
                other => other,
            }),
            None => self.folder.sqlite(file),
        }
    }
    fn walk(&self, visit: &mut dyn FnMut(&EvidenceFile)) -> Result<(), EvidenceError> {
        let mut all = Vec::new();
        self.folder.walk(&mut |f| all.push(f.clone()))?;
        for f in &self.with_copies(all) {
            visit(f);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The master key and the password-derived key are wiping types, and so are the cipher key
    /// schedules (a compile-time guard).
    #[test]
    fn key_material_is_zeroized_on_drop() {
        fn wipes_type<T: zeroize::ZeroizeOnDrop>() {}
        let r: Result<(Zeroizing<[u8; 32]>, [u8; 16]), AndroidError> =
            unlock("pw", &[0; 8], &[0; 8], 1, &[0; 16], &[0; 32], 5, "t.ab");
        assert!(matches!(r, Err(AndroidError::WrongPassword { .. })));
        wipes_type::<Zeroizing<[u8; 32]>>();
        wipes_type::<Aes256>();
        wipes_type::<cbc::Decryptor<Aes256>>();
    }

    #[test]
    fn quirk_and_bad_headers() {
        assert_eq!(java_utf8(&[0x41, 0x80, 0xFF]), vec![0x41, 0xEF, 0xBE, 0x80, 0xEF, 0xBF, 0xBF]);
        for bad in [
            &b""[..],
            b"ANDROID BACKUP",
            b"NOPE\n1\n0\nnone\n",
            b"ANDROID BACKUP\nx\n0\nnone\n",
            b"ANDROID BACKUP\n5\n2\nnone\n",
            b"ANDROID BACKUP\n5\n0\nROT13\n",
        ] {
            assert!(
                matches!(open_stream(bad, None, "t.ab"), Err(AndroidError::Corrupt { .. })),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let enc = b"ANDROID BACKUP\n5\n1\nAES-256\n00\n00\n4000000000\n00\n00\n";
        assert!(matches!(open_stream(&enc[..], Some("x"), "t.ab"), Err(AndroidError::Corrupt { .. })));
        // a well-formed encrypted header (one 16-byte block of key blob) needs the password...
        let enc = b"ANDROID BACKUP\n5\n1\nAES-256\n00\n00\n10\n00000000000000000000000000000000\n00000000000000000000000000000000\n";
        assert!(matches!(open_stream(&enc[..], None, "t.ab"), Err(AndroidError::PasswordNeeded { .. })));
        // ...a 1-byte blob is damaged whatever the password: said before asking for one
        let enc = b"ANDROID BACKUP\n5\n1\nAES-256\n00\n00\n10\n00000000000000000000000000000000\n00\n";
        assert!(matches!(open_stream(&enc[..], None, "t.ab"), Err(AndroidError::Corrupt { .. })));
    }
}
