//! The iOS facade: [`open`] any iOS acquisition with the user's [`Secrets`], the [`modules`]
//! of each type, and the one error type [`IosError`]. Detection is [`crate::detect()`].

use std::io::Read;
use std::path::{Path, PathBuf};

use ferret_core::{AcquisitionKind, DeviceInfo, Module, Opened, Secrets};

use crate::backup::crypto::{self, CryptoError, KeySource};
use crate::backup::{BackupError, BackupEvidence};
use crate::fs::FsError;

/// Largest key file read.
const MAX_KEY_FILE: u64 = 64 * 1024;

/// Why an iOS acquisition could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IosError {
    /// The backup is encrypted and neither a password nor a key was given.
    #[error(
        "{}: this backup is encrypted: give its password (-p/--password, --password-env VAR, --password-file FILE) or a --key-file from `ferret ios extract-key`",
        path.display()
    )]
    PasswordNeeded {
        /// The backup root.
        path: PathBuf,
    },
    /// The password or key does not unlock the backup.
    #[error("wrong password: the given password (or key file) does not unlock this backup")]
    WrongPassword,
    /// The key file is not a key.
    #[error("invalid key file {}: {reason}", path.display())]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The backup could not be opened.
    #[error(transparent)]
    Backup(#[from] BackupError),
    /// Decryption failed.
    #[error(transparent)]
    Crypto(CryptoError),
    /// A filesystem dump or sysdiagnose could not be opened.
    #[error(transparent)]
    Fs(#[from] FsError),
    /// The kind is not an iOS kind.
    #[error("{0:?} is not an iOS acquisition kind")]
    NotIos(AcquisitionKind),
}

impl From<CryptoError> for IosError {
    fn from(e: CryptoError) -> Self {
        match e {
            CryptoError::WrongPassword => Self::WrongPassword,
            other => Self::Crypto(other),
        }
    }
}

/// Parses the text of a key file: 64 hex characters; surrounding whitespace (a trailing
/// newline) is accepted (MVT requires exactly 64 bytes).
pub fn parse_key_text(text: &str) -> Result<[u8; 32], String> {
    let t = text.trim();
    if t.len() != 64 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "expected 64 hexadecimal characters (the output of `ferret ios extract-key`), found {} characters",
            t.chars().count()
        ));
    }
    let mut key = [0u8; 32];
    hex::decode_to_slice(t, &mut key).map_err(|e| format!("invalid key: {e}"))?;
    Ok(key)
}

fn read_key_file(path: &Path) -> Result<[u8; 32], IosError> {
    let bad = |reason: String| IosError::KeyFile { path: path.to_path_buf(), reason };
    let f = std::fs::File::open(path).map_err(|e| bad(e.to_string()))?;
    if !f.metadata().is_ok_and(|m| m.is_file()) {
        return Err(bad("not a regular file".into()));
    }
    let mut buf = Vec::new();
    f.take(MAX_KEY_FILE + 1).read_to_end(&mut buf).map_err(|e| bad(e.to_string()))?;
    if buf.len() as u64 > MAX_KEY_FILE {
        return Err(bad(format!("larger than {MAX_KEY_FILE} bytes")));
    }
    let text = String::from_utf8(buf).map_err(|_| bad("not UTF-8 text".into()))?;
    parse_key_text(&text).map_err(bad)
}

/// The key source the secrets give for an encrypted backup: the key file first, then the
/// password; `None` when neither was given.
pub fn key_source(secrets: &Secrets) -> Result<Option<KeySource>, IosError> {
    if let Some(p) = &secrets.key_file {
        return Ok(Some(KeySource::Key(zeroize::Zeroizing::new(read_key_file(p)?))));
    }
    Ok(secrets.password.clone().map(KeySource::Password))
}

/// Opens an iOS acquisition of `kind`: a backup (decrypted in memory when encrypted:
/// [`IosError::PasswordNeeded`] when no secret was given), a filesystem dump or a sysdiagnose.
pub fn open(path: &Path, kind: AcquisitionKind, secrets: &Secrets) -> Result<Opened, IosError> {
    match kind {
        AcquisitionKind::IosBackup => open_backup(path, secrets),
        AcquisitionKind::IosFs => {
            let mut notes = Vec::new();
            let ev = crate::fs::open_noting(path, &mut notes)?;
            Ok(Opened { problems: notes, ..Opened::plain(ev) })
        }
        AcquisitionKind::IosSysdiagnose => {
            let mut notes = Vec::new();
            let ev = crate::sysdiagnose::open_noting(path, &mut notes)?;
            Ok(Opened { problems: notes, ..Opened::plain(ev) })
        }
        other => Err(IosError::NotIos(other)),
    }
}

fn open_backup(path: &Path, secrets: &Secrets) -> Result<Opened, IosError> {
    let ev = match BackupEvidence::open(path) {
        Ok(ev) => {
            if secrets.password.is_some() || secrets.key_file.is_some() {
                tracing::info!("the backup is not encrypted; the password/key is not used");
            }
            ev
        }
        Err(BackupError::Encrypted { path: root }) => {
            let Some(src) = key_source(secrets)? else { return Err(IosError::PasswordNeeded { path: root }) };
            tracing::info!("decrypting the backup in memory");
            crypto::open_encrypted(path, &src)?
        }
        Err(e) => return Err(e.into()),
    };
    let facts = ev.device_info().report_facts();
    let device = DeviceInfo { model: facts.model, os_version: facts.os_version, other: facts.other };
    let problems = ev.problems().to_vec();
    Ok(Opened { evidence: Box::new(ev), device, problems })
}

/// The modules of an iOS acquisition type, in run order (none for other kinds).
pub fn modules(kind: AcquisitionKind) -> Vec<Box<dyn Module>> {
    match kind {
        AcquisitionKind::IosBackup => crate::modules::backup_modules(),
        AcquisitionKind::IosFs => crate::modules::fs_modules(),
        AcquisitionKind::IosSysdiagnose => crate::modules::sysdiagnose_modules(),
        _ => Vec::new(),
    }
}

/// The passes that run after the modules of an iOS acquisition type (the process census; none
/// for other kinds).
pub fn post_runs(kind: AcquisitionKind) -> Vec<Box<dyn ferret_core::PostRun>> {
    match kind {
        AcquisitionKind::IosBackup | AcquisitionKind::IosFs | AcquisitionKind::IosSysdiagnose => {
            vec![Box::new(crate::census::ProcessCensus)]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_text_accepts_whitespace_and_rejects_garbage() {
        let k = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
        assert_eq!(parse_key_text(k).expect("key")[1], 0x11);
        assert!(parse_key_text(&format!("{k}\n")).is_ok());
        assert!(parse_key_text(&format!("  {k}\r\n")).is_ok());
        assert!(parse_key_text(&k[..63]).is_err());
        assert!(parse_key_text(&format!("{k}0")).is_err());
        assert!(parse_key_text(&k.replace('0', "g")).is_err());
        assert!(parse_key_text("").is_err());
        assert!(parse_key_text(&"é".repeat(32)).is_err());
    }

    #[test]
    fn key_files_are_bounded_regular_files() {
        let d = tempfile::tempdir().expect("tmp");
        let s = |p: &Path| Secrets { password: None, key_file: Some(p.to_path_buf()) };
        assert!(matches!(key_source(&s(d.path())), Err(IosError::KeyFile { .. })), "a folder");
        let big = d.path().join("big");
        std::fs::write(&big, vec![b'a'; 70_000]).expect("write");
        assert!(matches!(key_source(&s(&big)), Err(IosError::KeyFile { reason, .. }) if reason.contains("larger")));
        assert!(matches!(key_source(&Secrets::default()), Ok(None)));
        let pw = Secrets { password: Some(zeroize::Zeroizing::new("x".into())), key_file: None };
        assert!(matches!(key_source(&pw), Ok(Some(KeySource::Password(_)))));
        assert!(matches!(open(d.path(), AcquisitionKind::AndroidQf, &pw), Err(IosError::NotIos(_))));
    }
}
