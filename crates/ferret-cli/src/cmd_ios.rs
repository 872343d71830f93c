//! `ferret ios decrypt-backup`, `ferret ios extract-key`, and the password/key options of
//! every command that reads an encrypted iOS backup.
//!
//! Secret sources, in this order of precedence (at most one may be given on the command line):
//! `--key-file` (a key from `extract-key`: 64 hex characters, surrounding whitespace and a
//! trailing newline accepted), `--password-file` (first line), `--password-env VAR`,
//! `-p/--password` (MVT compatibility; warned about, it leaks into shell history and `ps`),
//! then the `MVT_IOS_BACKUP_PASSWORD` environment variable, then an interactive prompt without
//! echo when stdin is a terminal. A wrong password is reported as "wrong password" (exit 2).

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use ferret_ios::backup::crypto::{self, CryptoError, KeySource};
use ferret_ios::backup::{BackupError, BackupEvidence};

use crate::exit;

/// Environment variable MVT reads the backup password from (also honoured here).
pub const MVT_PASSWORD_ENV: &str = "MVT_IOS_BACKUP_PASSWORD";

/// Largest key or password file read.
const MAX_SECRET_FILE: u64 = 64 * 1024;

/// Password or key of an encrypted iOS backup.
#[derive(Debug, Clone, Default, clap::Args)]
#[group(multiple = false)]
pub struct SecretArgs {
    /// Read the backup password from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Read the backup password from the first line of this file.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Use a key derived earlier by `ferret ios extract-key` (64 hex characters).
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// The backup password on the command line (MVT compatibility; it leaks into shell history).
    #[arg(short = 'p', long, value_name = "PASSWORD")]
    pub password: Option<String>,
}

/// Password-only sources (for `extract-key`, whose `--key-file` is the output).
#[derive(Debug, Clone, Default, clap::Args)]
#[group(multiple = false)]
pub struct PasswordArgs {
    /// Read the backup password from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Read the backup password from the first line of this file.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// The backup password on the command line (MVT compatibility; it leaks into shell history).
    #[arg(short = 'p', long, value_name = "PASSWORD")]
    pub password: Option<String>,
}

fn read_secret_file(path: &Path, what: &str) -> anyhow::Result<String> {
    let f = std::fs::File::open(path).with_context(|| format!("cannot open {what} {}", path.display()))?;
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

fn password_from(
    env: Option<&str>,
    file: Option<&Path>,
    cli: Option<&str>,
    interactive: bool,
) -> anyhow::Result<Option<String>> {
    if let Some(p) = file {
        let text = read_secret_file(p, "password file")?;
        let line = text.lines().next().unwrap_or_default().to_string();
        if line.is_empty() {
            bail!("password file {} is empty", p.display());
        }
        return Ok(Some(line));
    }
    if let Some(var) = env {
        let v = std::env::var(var)
            .map_err(|_| anyhow!("environment variable {var} (from --password-env) is not set or not UTF-8"))?;
        if v.is_empty() {
            bail!("environment variable {var} (from --password-env) is empty");
        }
        return Ok(Some(v));
    }
    if let Some(p) = cli {
        tracing::warn!(
            "a password given with -p/--password is visible in shell history and the process list; prefer --password-env or --password-file"
        );
        return Ok(Some(p.to_string()));
    }
    if let Ok(v) = std::env::var(MVT_PASSWORD_ENV)
        && !v.is_empty()
    {
        tracing::info!("using the backup password from {MVT_PASSWORD_ENV}");
        return Ok(Some(v));
    }
    if interactive && std::io::stdin().is_terminal() {
        let pw =
            rpassword::prompt_password("Backup password: ").context("cannot read the password from the terminal")?;
        if pw.is_empty() {
            bail!("no password entered");
        }
        return Ok(Some(pw));
    }
    Ok(None)
}

impl SecretArgs {
    /// The key source the user gave, or `None` (then the backup can only be opened if it is not
    /// encrypted). With `interactive`, prompts without echo when nothing is given and stdin is
    /// a terminal.
    pub fn key_source(&self, interactive: bool) -> anyhow::Result<Option<KeySource>> {
        if let Some(p) = &self.key_file {
            let text = read_secret_file(p, "key file")?;
            let key = parse_key_text(&text).with_context(|| format!("invalid key file {}", p.display()))?;
            return Ok(Some(KeySource::Key(key)));
        }
        Ok(password_from(
            self.password_env.as_deref(),
            self.password_file.as_deref(),
            self.password.as_deref(),
            interactive,
        )?
        .map(KeySource::Password))
    }
}

impl PasswordArgs {
    /// The password the user gave (prompting as [`SecretArgs::key_source`] does).
    pub fn password(&self, interactive: bool) -> anyhow::Result<Option<String>> {
        password_from(
            self.password_env.as_deref(),
            self.password_file.as_deref(),
            self.password.as_deref(),
            interactive,
        )
    }
}

/// Turns a crypto error into the user-facing error ("wrong password" for a failed unlock).
pub fn crypto_error(e: CryptoError) -> anyhow::Error {
    match e {
        CryptoError::WrongPassword => {
            anyhow!("wrong password: the given password (or key file) does not unlock this backup")
        }
        other => anyhow::Error::new(other),
    }
}

/// Opens a backup for checking: plain backups directly; encrypted ones with the user's secret
/// (prompting on a terminal), decrypting in memory (nothing is written next to the evidence).
pub fn open_backup(path: &Path, secrets: &SecretArgs) -> anyhow::Result<BackupEvidence> {
    match BackupEvidence::open(path) {
        Ok(ev) => {
            if secrets.key_file.is_some()
                || secrets.password.is_some()
                || secrets.password_env.is_some()
                || secrets.password_file.is_some()
            {
                tracing::info!("the backup is not encrypted; the password/key is not used");
            }
            Ok(ev)
        }
        Err(BackupError::Encrypted { path: root }) => {
            let Some(src) = secrets.key_source(true)? else {
                bail!(
                    "{}: this backup is encrypted: give its password (--password-env VAR, --password-file FILE, or a --key-file from `ferret ios extract-key`)",
                    root.display()
                );
            };
            tracing::info!("decrypting the backup in memory");
            crypto::open_encrypted(path, &src).map_err(crypto_error)
        }
        Err(e) => Err(e.into()),
    }
}

/// `ferret ios decrypt-backup`.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Examples:\n  ferret ios decrypt-backup --password-file pw.txt --destination decrypted/ BACKUP\n  ferret ios decrypt-backup --key-file key.txt -d decrypted/ BACKUP"
)]
pub struct DecryptBackupArgs {
    #[command(flatten)]
    pub secrets: SecretArgs,
    /// Folder to write the decrypted backup to (created; must be empty unless --force; never
    /// inside the source backup).
    #[arg(short = 'd', long, value_name = "FOLDER")]
    pub destination: PathBuf,
    /// Write into a non-empty destination.
    #[arg(long)]
    pub force: bool,
    /// The encrypted backup folder.
    pub backup: PathBuf,
}

/// Runs `decrypt-backup`. Exit 0 when every file was written, 2 on error or when some files
/// could not be decrypted (they are listed; the others are written).
pub fn decrypt_backup(args: DecryptBackupArgs) -> anyhow::Result<u8> {
    let Some(src) = args.secrets.key_source(true)? else {
        bail!("give the backup password (--password-env VAR, --password-file FILE, -p) or a --key-file");
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
        Ok(exit::CLEAN)
    } else {
        crate::console::error(&format!(
            "{} files could not be decrypted (listed above); the others were written",
            rep.failed.len()
        ));
        Ok(exit::ERROR)
    }
}

/// `ferret ios extract-key`.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Examples:\n  ferret ios extract-key --password-env BACKUP_PW BACKUP\n  ferret ios extract-key --password-env BACKUP_PW --key-file key.txt BACKUP\n  ferret ios check-backup --key-file key.txt -o results/ BACKUP\n\nThe key is equivalent to the password: protect it like the password."
)]
pub struct ExtractKeyArgs {
    #[command(flatten)]
    pub password: PasswordArgs,
    /// Write the key (exactly 64 hex characters, as MVT expects) to this file, mode 0600,
    /// instead of printing it.
    #[arg(short = 'k', long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// The encrypted backup folder.
    pub backup: PathBuf,
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
pub fn extract_key(args: ExtractKeyArgs) -> anyhow::Result<u8> {
    let Some(pw) = args.password.password(true)? else {
        bail!("give the backup password (--password-env VAR, --password-file FILE, or -p)");
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
    Ok(exit::CLEAN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferret_testdata::ios_backup::{DeviceSpec, write_encrypted_backup};

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
    fn secrets_sources_and_commands() {
        let dir = tempfile::tempdir().expect("dir");
        let backup = dir.path().join("b");
        write_encrypted_backup(&backup, &[], &DeviceSpec::default(), "pw1", 100, 1).expect("backup");
        let pwf = dir.path().join("pw.txt");
        std::fs::write(&pwf, "pw1\nsecond line ignored\n").expect("write");
        let s = SecretArgs { password_file: Some(pwf.clone()), ..Default::default() };
        assert!(matches!(s.key_source(false).expect("src"), Some(KeySource::Password(p)) if p == "pw1"));
        assert!(
            SecretArgs { password_env: Some("FERRET_H8_TEST_UNSET_VAR".into()), ..Default::default() }
                .key_source(false)
                .is_err()
        );

        // extract-key writes a 0600 key file that check/decrypt accept
        let kf = dir.path().join("key.txt");
        let code = extract_key(ExtractKeyArgs {
            password: PasswordArgs { password_file: Some(pwf), ..Default::default() },
            key_file: Some(kf.clone()),
            backup: backup.clone(),
        })
        .expect("extract");
        assert_eq!(code, exit::CLEAN);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&kf).expect("meta").permissions().mode() & 0o777, 0o600);
        }
        let s = SecretArgs { key_file: Some(kf.clone()), ..Default::default() };
        assert!(open_backup(&backup, &s).expect("opens").is_encrypted());

        // wrong password: "wrong password", nothing written
        let s = SecretArgs { password: Some("nope".into()), ..Default::default() };
        let e = open_backup(&backup, &s).expect_err("wrong");
        assert!(e.to_string().starts_with("wrong password"), "{e}");
        let out = dir.path().join("out");
        let e = decrypt_backup(DecryptBackupArgs {
            secrets: s,
            destination: out.clone(),
            force: false,
            backup: backup.clone(),
        })
        .expect_err("wrong");
        assert!(e.to_string().starts_with("wrong password"), "{e}");
        assert!(!out.exists());
        let code = decrypt_backup(DecryptBackupArgs {
            secrets: SecretArgs { key_file: Some(kf), ..Default::default() },
            destination: out.clone(),
            force: false,
            backup: backup.clone(),
        })
        .expect("decrypt");
        assert_eq!(code, exit::CLEAN);
        assert!(!BackupEvidence::open(&out).expect("plain").is_encrypted());

        // an encrypted backup without any secret (non-interactive test) is a clear error
        let e = open_backup(&backup, &SecretArgs::default());
        if std::env::var(MVT_PASSWORD_ENV).is_err() && !std::io::stdin().is_terminal() {
            let e = e.expect_err("needs a password");
            assert!(e.to_string().contains("encrypted"), "{e}");
        }
    }
}
