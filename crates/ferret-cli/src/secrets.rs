//! Passwords and keys: from the flags of [`SecretArgs`] to the [`ferret_core::Secrets`] the
//! platform crates take, and out of every record of the command line.
//!
//! Sources, in this order: `--password-file` (first line), `--password-env VAR`, `-p/--password`
//! (warned about: it leaks into shell history and `ps`), then MVT's environment variable for the
//! platform (`MVT_IOS_BACKUP_PASSWORD`, `MVT_ANDROID_BACKUP_PASSWORD`), then a prompt without
//! echo when a password is needed and stdin is a terminal. `-k/--key-file` is passed as it is
//! (iOS: a key from `extract-key`; androidqf: the age identity). The command line stored in
//! `info.json` and the report is redacted from the parsed value of `-p`, whatever its spelling
//! (`-p pw`, `-ppw`, `-qppw`, `--password=pw`, `--backup-password pw`).

use std::io::{IsTerminal, Read};
use std::path::Path;

use anyhow::{Context as _, anyhow, bail};
use ferret_core::{AcquisitionKind, Secrets};

use crate::cli::{PasswordArgs, SecretArgs};

/// Environment variable MVT reads the iOS backup password from (also honoured here).
pub const MVT_IOS_PASSWORD_ENV: &str = "MVT_IOS_BACKUP_PASSWORD";
/// Environment variable MVT reads the Android backup password from (also honoured here).
pub const MVT_ANDROID_PASSWORD_ENV: &str = "MVT_ANDROID_BACKUP_PASSWORD";

/// Largest password file read.
const MAX_SECRET_FILE: u64 = 64 * 1024;

fn read_secret_file(path: &Path, what: &str) -> anyhow::Result<String> {
    let f = std::fs::File::open(path).with_context(|| format!("cannot open {what} {}", path.display()))?;
    if !f.metadata().is_ok_and(|m| m.is_file()) {
        bail!("{what} {} is not a regular file", path.display());
    }
    let mut buf = Vec::new();
    f.take(MAX_SECRET_FILE + 1)
        .read_to_end(&mut buf)
        .with_context(|| format!("cannot read {what} {}", path.display()))?;
    if buf.len() as u64 > MAX_SECRET_FILE {
        bail!("{what} {} is larger than {MAX_SECRET_FILE} bytes", path.display());
    }
    String::from_utf8(buf).map_err(|_| anyhow!("{what} {} is not UTF-8 text", path.display()))
}

/// The secret flags of one command.
#[derive(Debug, Clone, Default)]
pub struct SecretFlags {
    args: SecretArgs,
}

impl SecretFlags {
    /// The secrets named by these flags (nothing is read yet).
    pub fn new(args: &SecretArgs) -> Self {
        Self { args: args.clone() }
    }

    /// The secrets of password flags alone.
    pub fn password_only(args: &PasswordArgs) -> Self {
        Self { args: SecretArgs { password: args.clone(), key_file: None } }
    }

    /// The password given by a flag or by `mvt_env`, without prompting.
    pub fn password(&self, mvt_env: &str) -> anyhow::Result<Option<String>> {
        let a = &self.args.password;
        if let Some(p) = &a.password_file {
            let text = read_secret_file(p, "password file")?;
            let line = text.lines().next().unwrap_or_default().to_string();
            if line.is_empty() {
                bail!("password file {} is empty", p.display());
            }
            return Ok(Some(line));
        }
        if let Some(var) = &a.password_env {
            let v = std::env::var(var)
                .map_err(|_| anyhow!("environment variable {var} (from --password-env) is not set or not UTF-8"))?;
            if v.is_empty() {
                bail!("environment variable {var} (from --password-env) is empty");
            }
            return Ok(Some(v));
        }
        if let Some(p) = &a.password {
            tracing::warn!(
                "a password given with -p/--password is visible in shell history and the process list; prefer --password-env or --password-file"
            );
            return Ok(Some(p.clone()));
        }
        if let Ok(v) = std::env::var(mvt_env)
            && !v.is_empty()
        {
            tracing::info!("using the backup password from {mvt_env}");
            return Ok(Some(v));
        }
        Ok(None)
    }

    /// The secrets for an acquisition of `kind` (MVT's variable of its platform included).
    pub fn resolve(&self, kind: AcquisitionKind) -> anyhow::Result<Secrets> {
        let env = if kind.is_ios() { MVT_IOS_PASSWORD_ENV } else { MVT_ANDROID_PASSWORD_ENV };
        Ok(Secrets { password: self.password(env)?.map(zeroize::Zeroizing::new), key_file: self.args.key_file.clone() })
    }

    /// Asks for a password without echo when stdin is a terminal; `None` otherwise.
    pub fn prompt(what: &str) -> anyhow::Result<Option<String>> {
        if !std::io::stdin().is_terminal() {
            return Ok(None);
        }
        let pw = rpassword::prompt_password(format!("{what} password: "))
            .context("cannot read the password from the terminal")?;
        if pw.is_empty() {
            bail!("no password entered");
        }
        Ok(Some(pw))
    }

    /// Values that must never appear in a stored command line.
    pub fn redactions(&self) -> Vec<String> {
        self.args.password.password.iter().filter(|p| !p.is_empty()).cloned().collect()
    }
}

/// The command line as given, one argument per entry (non-UTF-8 bytes replaced), with every
/// occurrence of a secret value replaced by `<redacted>`: an argument equal to it, or an option
/// ending with it (`-ppw`, `-qppw`, `--password=pw`).
pub fn command_line(redact: &[String]) -> Vec<String> {
    redact_args(std::env::args_os().map(|a| a.to_string_lossy().into_owned()), redact)
}

fn redact_args(args: impl Iterator<Item = String>, redact: &[String]) -> Vec<String> {
    args.map(|a| {
        for s in redact {
            if a == *s {
                return "<redacted>".to_string();
            }
            if a.starts_with('-')
                && let Some(prefix) = a.strip_suffix(s.as_str())
            {
                return format!("{prefix}<redacted>");
            }
        }
        a
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_a_password_is_redacted() {
        let args = [
            "ferret",
            "-qppw123",
            "ios",
            "check-backup",
            "-p",
            "pw123",
            "--password=pw123",
            "--backup-password",
            "pw123",
            "-o",
            "out",
            "b",
        ];
        let got = redact_args(args.iter().map(|s| s.to_string()), &["pw123".to_string()]);
        assert_eq!(
            got,
            vec![
                "ferret",
                "-qp<redacted>",
                "ios",
                "check-backup",
                "-p",
                "<redacted>",
                "--password=<redacted>",
                "--backup-password",
                "<redacted>",
                "-o",
                "out",
                "b"
            ]
        );
        assert!(!got.iter().any(|a| a.contains("pw123")));
    }

    #[test]
    fn sources_in_order() {
        let dir = tempfile::tempdir().expect("dir");
        let pwf = dir.path().join("pw.txt");
        std::fs::write(&pwf, "pw1\nsecond line ignored\n").expect("write");
        let s = SecretFlags::password_only(&PasswordArgs { password_file: Some(pwf), ..Default::default() });
        assert_eq!(s.password("FERRET_TEST_UNSET_1").expect("pw").as_deref(), Some("pw1"));
        let s = SecretFlags::password_only(&PasswordArgs {
            password_env: Some("FERRET_TEST_UNSET_2".into()),
            ..Default::default()
        });
        assert!(s.password("FERRET_TEST_UNSET_1").is_err(), "a named variable that is not set is an error");
        let s = SecretFlags::new(&SecretArgs::default());
        assert_eq!(s.password("FERRET_TEST_UNSET_1").expect("none"), None);
        let kf = dir.path().join("key.txt");
        let s = SecretFlags::new(&SecretArgs { key_file: Some(kf.clone()), ..Default::default() });
        assert_eq!(s.resolve(AcquisitionKind::AndroidQf).expect("secrets").key_file, Some(kf));
    }
}
