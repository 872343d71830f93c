//! androidqf collections encrypted with age (`<uuid>.zip.age`, X25519 recipients).
//!
//! The identity file holds `AGE-SECRET-KEY-1...` lines (comments allowed). The archive is
//! decrypted, streamed, into a file readable only by the user (0600) in a private temporary
//! folder (0700); the folder is removed when the evidence is dropped. The plaintext never lands
//! next to the evidence.

use std::io::BufReader;
use std::path::Path;

use ferret_core::zip::{ZipEvidence, create_private_file, private_tempdir};
use ferret_core::{AcquisitionKind, Evidence};

use ferret_core::Secrets;

use crate::AndroidError;

pub(crate) fn open_age_zip(path: &Path, secrets: &Secrets) -> Result<Box<dyn Evidence>, AndroidError> {
    let name = path.display().to_string();
    let Some(id_path) = &secrets.key_file else {
        return Err(AndroidError::AgeIdentityNeeded { path: name });
    };
    let id_name = id_path.display().to_string();
    let bad_id = |reason: String| AndroidError::BadAgeIdentity { path: id_name.clone(), reason };
    let ids = age::IdentityFile::from_file(id_name.clone())
        .map_err(|e| bad_id(e.to_string()))?
        .into_identities()
        .map_err(|e| bad_id(e.to_string()))?;
    if ids.is_empty() {
        return Err(bad_id("no identity in the file".into()));
    }
    // the user's path may be a link, but only a regular file is opened (a FIFO cannot block)
    let (f, _) = ferret_core::safe_root::open_user_file(path).map_err(|e| match e {
        ferret_core::EvidenceError::Io { source, .. } => AndroidError::Io { path: name.clone(), source },
        other => AndroidError::corrupt(&name, other.to_string()),
    })?;
    let dec = age::Decryptor::new_buffered(BufReader::new(f))
        .map_err(|e| AndroidError::corrupt(&name, format!("not an age file: {e}")))?;
    let mut reader = dec.decrypt(ids.iter().map(|i| i.as_ref() as &dyn age::Identity)).map_err(|e| match e {
        age::DecryptError::NoMatchingKeys => {
            AndroidError::WrongAgeIdentity { path: name.clone(), identity: id_name.clone() }
        }
        other => AndroidError::corrupt(&name, format!("cannot decrypt: {other}")),
    })?;
    let dir = private_tempdir().map_err(|source| AndroidError::Io { path: name.clone(), source })?;
    let target = dir.path().join("androidqf.zip");
    let out = create_private_file(&target)
        .map_err(|source| AndroidError::Io { path: target.display().to_string(), source })?;
    // Scratch space is budgeted (ferret_core::budget): a decryption bomb cannot fill the disk.
    let mut out = ferret_core::budget::ScratchWriter::whole_acquisition(out);
    std::io::copy(&mut reader, &mut out)
        .map_err(|e| AndroidError::corrupt(&name, format!("decryption failed: {e}")))?;
    let (out, reservation) = out.into_parts();
    drop(out);
    let z = ZipEvidence::open(&target, AcquisitionKind::AndroidQf)
        .map_err(|e| AndroidError::corrupt(&name, format!("decrypted content: {e}")))?;
    Ok(Box::new(z.keep_scratch(dir, reservation, path)))
}
