//! Passwords and keys: from the flags of [`SecretArgs`] to what the libraries take, and out of
//! every record of the command line.
//!
//! Sources, in this order: `--key-file` (iOS: a key from `extract-key`; androidqf: the age
//! identity), `--password-file` (first line), `--password-env VAR`, `-p/--password` (warned
//! about: it leaks into shell history and `ps`), then MVT's environment variables
//! (`MVT_IOS_BACKUP_PASSWORD`, `MVT_ANDROID_BACKUP_PASSWORD`), then a prompt without echo when a
//! password is needed and stdin is a terminal. The command line stored in `info.json` and the
//! report is redacted from the parsed value of `-p`, whatever its spelling (`-p pw`, `-ppw`,
//! `-qppw`, `--password=pw`, `--backup-password pw`).

use std::io::{IsTerminal, Read};
use std::path::Path;

use anyhow::{Context as _, anyhow, bail};
use ferret_ios::backup::crypto::KeySource;

use crate::cli::{PasswordArgs, SecretArgs};

/// Environment variable MVT reads the iOS backup password from (also honoured here).
pub const MVT_IOS_PASSWORD_ENV: &str = "MVT_IOS_BACKUP_PASSWORD";
/// Environment variable MVT reads the Android backup password from (also honoured here).
pub const MVT_ANDROID_PASSWORD_ENV: &str = "MVT_ANDROID_BACKUP_PASSWORD";

/// Largest key or password file read.
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

/// Parses a key file: 64 hex characters; surrounding whitespace (a trailing newline) is
/// accepted (MVT requires exactly 64 bytes).
pub fn parse_key_text(text: &str) -> anyhow::Result<[u8; 32]> {
    let t = text.trim();
    if t.len() != 64 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!(
            "expected 64 hexadecimal characters (the output of `ferret ios extract-key`), found {} characters",
            t.chars().count()
        );
    }
    let mut key = [0u8; 32];
    hex::decode_to_slice(t, &mut key).map_err(|e| anyhow!("invalid key: {e}"))?;
    Ok(key)
}

/// The secrets of one command.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    args: SecretArgs,
}

impl Secrets {
    /// The secrets named by these flags (nothing is read yet).
    pub fn new(args: &SecretArgs) -> Self {
        Self { args: args.clone() }
    }

    /// The secrets of password flags alone.
    pub fn password_only(args: &PasswordArgs) -> Self {
        Self { args: SecretArgs { password: args.clone(), key_file: None } }
    }

    /// Whether any password or key flag was given.
    pub fn any_given(&self) -> bool {
        let a = &self.args.password;
        a.password.is_some() || a.password_env.is_some() || a.password_file.is_some() || self.args.key_file.is_some()
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

    /// The key source for an encrypted iOS backup (`-k` key file first), without prompting.
    pub fn ios_key_source(&self) -> anyhow::Result<Option<KeySource>> {
        if let Some(p) = &self.args.key_file {
            let text = read_secret_file(p, "key file")?;
            let key = parse_key_text(&text).with_context(|| format!("invalid key file {}", p.display()))?;
            return Ok(Some(KeySource::Key(key)));
        }
        Ok(self.password(MVT_IOS_PASSWORD_ENV)?.map(KeySource::Password))
    }

    /// The secrets of an Android acquisition (`.ab` password; `-k` as the age identity).
    pub fn android(&self) -> anyhow::Result<ferret_android::AndroidSecrets> {
        Ok(ferret_android::AndroidSecrets {
            backup_password: self.password(MVT_ANDROID_PASSWORD_ENV)?,
            age_identity: self.args.key_file.clone(),
        })
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
        let s = Secrets::password_only(&PasswordArgs { password_file: Some(pwf), ..Default::default() });
        assert_eq!(s.password("FERRET_TEST_UNSET_1").expect("pw").as_deref(), Some("pw1"));
        let s = Secrets::password_only(&PasswordArgs {
            password_env: Some("FERRET_TEST_UNSET_2".into()),
            ..Default::default()
        });
        assert!(s.password("FERRET_TEST_UNSET_1").is_err(), "a named variable that is not set is an error");
        let s = Secrets::new(&SecretArgs::default());
        assert_eq!(s.password("FERRET_TEST_UNSET_1").expect("none"), None);
        assert!(!s.any_given());
        let kf = dir.path().join("key.txt");
        std::fs::write(&kf, "zz").expect("write");
        let s = Secrets::new(&SecretArgs { key_file: Some(kf), ..Default::default() });
        assert!(s.ios_key_source().is_err(), "a bad key file is an error, not ignored");
    }
}
