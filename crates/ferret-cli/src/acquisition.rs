//! The table over the platform crates: which type an acquisition is, how it opens, which modules
//! run on it. All format knowledge stays in `ferret-ios` and `ferret-android`; this only
//! dispatches, combines their answers and asks for a password when one is needed.

use std::path::Path;

use anyhow::{Context as _, anyhow, bail};
use ferret_core::{AcquisitionKind, Detection, Evidence, Module};
use ferret_ios::backup::BackupError;
use ferret_report::DeviceInfo;

use crate::secrets::Secrets;

/// Every type `path` matches, iOS and Android.
fn detect_all(path: &Path) -> Vec<Detection> {
    let mut all = ferret_ios::detect::detect_all(path);
    all.extend(ferret_android::detect::detect_all(path));
    all
}

fn list(all: &[Detection]) -> String {
    all.iter().map(|d| format!("{} ({})", d.kind.describe(), d.reason)).collect::<Vec<_>>().join(" and ")
}

/// `ferret check`: the one type `path` is, from its content.
pub fn detect(path: &Path) -> anyhow::Result<Detection> {
    let mut all = detect_all(path);
    match all.len() {
        1 => Ok(all.remove(0)),
        0 => {
            let expected: Vec<String> =
                AcquisitionKind::ALL.iter().map(|k| format!("  {}: {}", k.describe(), k.expected_content())).collect();
            bail!("{}: not a recognised acquisition. ferret reads:\n{}", path.display(), expected.join("\n"))
        }
        _ => bail!(
            "{}: looks like {}; ferret will not guess: run the command of the type you mean (`ferret {}`, `ferret {}`...)",
            path.display(),
            list(&all),
            all[0].kind.command(),
            all[1].kind.command()
        ),
    }
}

/// An explicit `check-*` command: `path` must be of `kind`, or the error says what it is and
/// which command reads it.
pub fn expect(path: &Path, kind: AcquisitionKind) -> anyhow::Result<Detection> {
    let all = detect_all(path);
    if let Some(d) = all.iter().find(|d| d.kind == kind) {
        return Ok(d.clone());
    }
    if let [other] = all.as_slice() {
        bail!(
            "{} is {} ({}), not {}: run `ferret {} {}`",
            path.display(),
            other.kind.describe(),
            other.reason,
            kind.describe(),
            other.kind.command(),
            path.display()
        );
    }
    if !all.is_empty() {
        bail!("{} looks like {}, not {}", path.display(), list(&all), kind.describe());
    }
    // what opening it would say is often the most precise reason (several backups in a folder)
    if kind == AcquisitionKind::IosBackup
        && let Err(e @ BackupError::Ambiguous { .. }) = ferret_ios::backup::find_backup_root(path)
    {
        bail!(e);
    }
    bail!("{} is not {}: expected {}", path.display(), kind.describe(), kind.expected_content())
}

/// Modules of an acquisition type, in run order.
pub fn modules_for(kind: AcquisitionKind) -> Vec<Box<dyn Module>> {
    match kind {
        AcquisitionKind::IosBackup => ferret_ios::modules::backup_modules(),
        AcquisitionKind::IosFs => ferret_ios::modules::fs_modules(),
        AcquisitionKind::IosSysdiagnose => ferret_ios::modules::sysdiagnose_modules(),
        k => ferret_android::modules(k),
    }
}

/// Every module of every acquisition type, once each, sorted by name.
pub fn all_modules() -> Vec<Box<dyn Module>> {
    let mut out: Vec<Box<dyn Module>> = Vec::new();
    for k in AcquisitionKind::ALL {
        for m in modules_for(k) {
            if !out.iter().any(|o| o.info().name == m.info().name) {
                out.push(m);
            }
        }
    }
    out.sort_by_key(|m| m.info().name);
    out
}

/// An opened acquisition.
pub struct Opened {
    /// The read-only view.
    pub evidence: Box<dyn Evidence>,
    /// Device facts for the report.
    pub device: DeviceInfo,
    /// Problems of the acquisition as a whole (listed with the verdict).
    pub problems: Vec<String>,
}

/// Opens `path` as `kind`, asking for a password on a terminal when it is encrypted and none
/// was given.
pub fn open(kind: AcquisitionKind, path: &Path, secrets: &Secrets) -> anyhow::Result<Opened> {
    let plain = |evidence: Box<dyn Evidence>| Opened { evidence, device: DeviceInfo::default(), problems: Vec::new() };
    match kind {
        AcquisitionKind::IosBackup => open_backup(path, secrets),
        AcquisitionKind::IosFs => Ok(plain(ferret_ios::fs::open(path)?)),
        AcquisitionKind::IosSysdiagnose => Ok(plain(ferret_ios::sysdiagnose::open(path)?)),
        k => {
            let mut android = secrets.android()?;
            let opened = match ferret_android::open_with_notes(path, k, &android) {
                Err(ferret_android::AndroidError::PasswordNeeded { path: p }) => {
                    match Secrets::prompt("Android backup")? {
                        Some(pw) => {
                            android.backup_password = Some(pw);
                            ferret_android::open_with_notes(path, k, &android)
                        }
                        None => Err(ferret_android::AndroidError::PasswordNeeded { path: p }),
                    }
                }
                other => other,
            };
            let (evidence, notes) = opened.map_err(|e| match e {
                ferret_android::AndroidError::PasswordNeeded { .. } => anyhow!(
                    "{e}: -p/--backup-password, --password-env VAR or --password-file FILE (or MVT_ANDROID_BACKUP_PASSWORD)"
                ),
                other => anyhow!(other),
            })?;
            Ok(Opened { evidence, device: DeviceInfo::default(), problems: notes })
        }
    }
}

fn open_backup(path: &Path, secrets: &Secrets) -> anyhow::Result<Opened> {
    let ev = match ferret_ios::backup::BackupEvidence::open(path) {
        Ok(ev) => {
            if secrets.any_given() {
                tracing::info!("the backup is not encrypted; the password/key is not used");
            }
            ev
        }
        Err(BackupError::Encrypted { path: root }) => {
            let src = match secrets.ios_key_source()? {
                Some(s) => s,
                None => match Secrets::prompt("Backup")? {
                    Some(pw) => ferret_ios::backup::crypto::KeySource::Password(pw),
                    None => bail!(
                        "{}: this backup is encrypted: give its password (-p/--password, --password-env VAR, --password-file FILE) or a --key-file from `ferret ios extract-key`",
                        root.display()
                    ),
                },
            };
            tracing::info!("decrypting the backup in memory");
            ferret_ios::backup::crypto::open_encrypted(path, &src).map_err(crate::commands::ios::crypto_error)?
        }
        Err(e) => return Err(e).with_context(|| format!("cannot open {}", path.display())),
    };
    let facts = ev.device_info().report_facts();
    let device = DeviceInfo { model: facts.model, os_version: facts.os_version, other: facts.other };
    let problems = ev.problems().to_vec();
    Ok(Opened { evidence: Box::new(ev), device, problems })
}
