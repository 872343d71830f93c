//! `ferret ios decrypt-backup` and `ferret ios extract-key`.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use ferret_core::AcquisitionKind;
use ferret_ios::backup::crypto::{self, CryptoError};
use ferret_report::ExitStatus;

use crate::cli::{DecryptBackupArgs, ExtractKeyArgs};
use crate::output;
use crate::secrets::{MVT_IOS_PASSWORD_ENV, SecretFlags};

/// Turns a crypto error into the user-facing error ("wrong password" for a failed unlock).
fn crypto_error(e: CryptoError) -> anyhow::Error {
    anyhow::Error::new(ferret_ios::IosError::from(e))
}

/// Runs `decrypt-backup`. Exit 0 when every file was written, 2 on error or when some files
/// could not be decrypted (they are listed; the others are written).
pub fn decrypt_backup(args: DecryptBackupArgs) -> anyhow::Result<ExitStatus> {
    let inputs: &[&Path] = &[&args.backup];
    output::refuse_inside_inputs(&args.destination, "the destination", inputs)?;
    output::refuse_containing_inputs(&args.destination, "the destination", inputs)?;
    let secrets = SecretFlags::new(&args.secrets).resolve(AcquisitionKind::IosBackup)?;
    let src = match ferret_ios::key_source(&secrets)? {
        Some(s) => s,
        None => match SecretFlags::prompt("Backup")? {
            Some(pw) => crypto::KeySource::password(pw),
            None => bail!("give the backup password (-p, --password-env VAR, --password-file FILE) or a --key-file"),
        },
    };
    let t = std::time::Instant::now();
    let rep = crypto::decrypt_backup(&args.backup, &args.destination, &src, args.force).map_err(crypto_error)?;
    for f in &rep.failed {
        tracing::warn!("{}: not decrypted: {}", ferret_report::terminal_safe(&f.file), f.reason);
    }
    if rep.missing > 0 {
        tracing::info!(
            "{} Manifest.db entries have no content file in the backup (skipped, as in the source)",
            rep.missing
        );
    }
    crate::console::out(&format!(
        "Decrypted {} files ({:.1} MB) to {} in {:.1?}",
        rep.files_written,
        rep.bytes_written as f64 / 1e6,
        rep.destination.display(),
        t.elapsed()
    ));
    if rep.failed.is_empty() {
        Ok(ExitStatus::Clean)
    } else {
        crate::console::error(&format!(
            "{} files could not be decrypted (listed above); the others were written",
            rep.failed.len()
        ));
        Ok(ExitStatus::Error)
    }
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(path).with_context(|| format!("cannot create {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot restrict {}", path.display()))?;
    }
    f.write_all(text.as_bytes()).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Runs `extract-key`: derives the backup key once (checking it unlocks the keybag) and prints
/// it or writes it to `--key-file`.
pub fn extract_key(args: ExtractKeyArgs) -> anyhow::Result<ExitStatus> {
    if let Some(k) = &args.key_file {
        output::refuse_inside_inputs(k, "the key file", &[&args.backup])?;
    }
    let secrets = SecretFlags::password_only(&args.password);
    let pw = match secrets.password(MVT_IOS_PASSWORD_ENV)? {
        Some(p) => p,
        None => match SecretFlags::prompt("Backup")? {
            Some(p) => p,
            None => bail!("give the backup password (-p, --password-env VAR or --password-file FILE)"),
        },
    };
    let t = std::time::Instant::now();
    let key = crypto::derive_backup_key(&args.backup, &pw).map_err(crypto_error)?;
    tracing::info!("key derived in {:.1?}", t.elapsed());
    let hex_key = hex::encode(key);
    tracing::warn!("the backup key is equivalent to the password: anyone holding it can decrypt the backup");
    match &args.key_file {
        Some(p) => {
            write_private(p, &hex_key)?; // no newline: MVT accepts exactly 64 bytes
            crate::console::out(&format!("Backup key written to {} (mode 0600)", p.display()));
        }
        None => crate::console::out(&hex_key),
    }
    Ok(ExitStatus::Clean)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{PasswordArgs, SecretArgs};
    use ferret_ios::backup::BackupEvidence;
    use ferret_testdata::ios_backup::{DeviceSpec, write_encrypted_backup};

    #[test]
    fn extract_key_then_decrypt_and_refusals() {
        let dir = tempfile::tempdir().expect("dir");
        let backup = dir.path().join("b");
        write_encrypted_backup(&backup, &[], &DeviceSpec::default(), "pw1", 100, 1).expect("backup");
        let pwf = dir.path().join("pw.txt");
        std::fs::write(&pwf, "pw1\n").expect("write");

        // extract-key writes a 0600 key file that decrypt accepts
        let kf = dir.path().join("key.txt");
        let code = extract_key(ExtractKeyArgs {
            password: PasswordArgs { password_file: Some(pwf.clone()), ..Default::default() },
            key_file: Some(kf.clone()),
            backup: backup.clone(),
        })
        .expect("extract");
        assert_eq!(code, ExitStatus::Clean);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&kf).expect("meta").permissions().mode() & 0o777, 0o600);
        }
        // a key file inside the backup is refused
        let e = extract_key(ExtractKeyArgs {
            password: PasswordArgs { password_file: Some(pwf), ..Default::default() },
            key_file: Some(backup.join("key.txt")),
            backup: backup.clone(),
        })
        .expect_err("inside");
        assert!(e.to_string().contains("inside the input"), "{e}");
        assert!(!backup.join("key.txt").exists());

        // wrong password: "wrong password", nothing written
        let wrong = SecretArgs {
            password: PasswordArgs { password: Some("nope".into()), ..Default::default() },
            key_file: None,
        };
        let out = dir.path().join("out");
        let e = decrypt_backup(DecryptBackupArgs {
            secrets: wrong,
            destination: out.clone(),
            force: false,
            backup: backup.clone(),
        })
        .expect_err("wrong");
        assert!(e.to_string().starts_with("wrong password"), "{e}");
        assert!(!out.exists());
        // a destination inside the backup, or holding it, is refused even with --force
        for (dest, force) in [(backup.join("plain"), true), (dir.path().to_path_buf(), true)] {
            let e = decrypt_backup(DecryptBackupArgs {
                secrets: SecretArgs { key_file: Some(kf.clone()), ..Default::default() },
                destination: dest.clone(),
                force,
                backup: backup.clone(),
            })
            .expect_err("refused");
            assert!(e.to_string().contains("the input"), "{e}");
        }
        assert!(!backup.join("plain").exists());
        let code = decrypt_backup(DecryptBackupArgs {
            secrets: SecretArgs { key_file: Some(kf), ..Default::default() },
            destination: out.clone(),
            force: false,
            backup: backup.clone(),
        })
        .expect("decrypt");
        assert_eq!(code, ExitStatus::Clean);
        assert!(!BackupEvidence::open(&out).expect("plain").is_encrypted());
    }
}
