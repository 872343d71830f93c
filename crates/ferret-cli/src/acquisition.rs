//! The table over the platform crates, which all offer `detect`, `open` and `modules`: which
//! type an acquisition is, how it opens, which modules run on it. All format knowledge stays in
//! `ferret-ios`, `ferret-android` and `ferret-net`; this only dispatches, combines their answers and asks for
//! a password when one is needed.

use std::path::Path;

use anyhow::{Context as _, bail};
use ferret_core::{AcquisitionKind, Detection, Module, Opened, Platform, Secrets};
use ferret_ios::backup::BackupError;

use crate::secrets::SecretFlags;

/// Every type `path` matches, iOS, Android and network capture. The path must exist and be a regular file or a
/// folder: nothing opens a FIFO, socket or device the user names (it could block or never end).
fn detect_all(path: &Path) -> anyhow::Result<Vec<Detection>> {
    let Ok(meta) = std::fs::metadata(path) else { bail!("{}: no such file or folder", path.display()) };
    if !meta.is_file() && !meta.is_dir() {
        bail!(
            "{} is not a regular file or a folder: ferret reads acquisitions from files and folders only",
            path.display()
        );
    }
    let mut all = ferret_ios::detect::detect_all(path);
    all.extend(ferret_android::detect::detect_all(path));
    all.extend(ferret_net::detect_all(path));
    Ok(all)
}

fn list(all: &[Detection]) -> String {
    all.iter().map(|d| format!("{} ({})", d.kind.describe(), d.reason)).collect::<Vec<_>>().join(" and ")
}

/// `ferret check`: the one type `path` is, from its content.
pub fn detect(path: &Path) -> anyhow::Result<Detection> {
    let mut all = detect_all(path)?;
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
    let all = detect_all(path)?;
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
    match kind.platform() {
        Platform::Ios => ferret_ios::modules(kind),
        Platform::Android => ferret_android::modules(kind),
        Platform::Net => ferret_net::modules(kind),
    }
}

/// The passes that run after the modules of `kind` ([`ferret_core::PostRun`]: the iOS process
/// census), when the check keeps the modules' sightings.
pub fn post_runs_for(kind: AcquisitionKind) -> Vec<Box<dyn ferret_core::PostRun>> {
    match kind.platform() {
        Platform::Ios => ferret_ios::post_runs(kind),
        Platform::Android | Platform::Net => Vec::new(),
    }
}

/// The post-run passes of the acquisition type a results folder's `info.json` names.
pub fn post_runs_for_results(results: &Path) -> Vec<Box<dyn ferret_core::PostRun>> {
    results_kind(results).map(post_runs_for).unwrap_or_default()
}

fn results_kind(results: &Path) -> Option<AcquisitionKind> {
    std::fs::read(results.join("info.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v.pointer("/run/target/kind").and_then(|k| k.as_str()).and_then(kind_named))
}

/// The acquisition type a results folder's `info.json` names (`target.kind`, its serde name).
pub fn kind_named(name: &str) -> Option<AcquisitionKind> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
}

/// The modules that wrote a results folder: those of the type its `info.json` names. Two types
/// can have modules of the same name reading different records (`sms` on iOS and on Android),
/// so stored records go back to the modules of their own type; every module when the type is
/// unknown.
pub fn modules_for_results(results: &Path) -> Vec<Box<dyn Module>> {
    match results_kind(results) {
        Some(k) => modules_for(k),
        None => all_modules(),
    }
}

/// Every acquisition type's modules, for campaign mode's module table (by the type's serde
/// name, as `info.json` writes it).
pub fn modules_by_kind() -> Vec<(String, Vec<Box<dyn Module>>)> {
    AcquisitionKind::ALL
        .iter()
        .map(|&k| {
            let name = serde_json::to_value(k).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            (name, modules_for(k))
        })
        .collect()
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

/// The platform crate's `open`; `Ok(None)` when a password is needed and none was given.
fn platform_open(kind: AcquisitionKind, path: &Path, secrets: &Secrets) -> anyhow::Result<Option<Opened>> {
    match kind.platform() {
        Platform::Ios => match ferret_ios::open(path, kind, secrets) {
            Ok(o) => Ok(Some(o)),
            Err(ferret_ios::IosError::PasswordNeeded { .. }) if secrets.password.is_none() => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot open {}", path.display())),
        },
        Platform::Android => match ferret_android::open(path, kind, secrets) {
            Ok(o) => Ok(Some(o)),
            Err(ferret_android::AndroidError::PasswordNeeded { .. }) if secrets.password.is_none() => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot open {}", path.display())),
        },
        // a capture is never encrypted
        Platform::Net => {
            Ok(Some(ferret_net::open(path, kind, secrets).with_context(|| format!("cannot open {}", path.display()))?))
        }
    }
}

/// Opens `path` as `kind`, asking for a password without echo on a terminal when it is
/// encrypted and none was given.
pub fn open(kind: AcquisitionKind, path: &Path, args: &SecretFlags) -> anyhow::Result<Opened> {
    let mut secrets = args.resolve(kind)?;
    if let Some(o) = platform_open(kind, path, &secrets)? {
        return Ok(o);
    }
    secrets.password =
        SecretFlags::prompt(if kind.is_ios() { "Backup" } else { "Android backup" })?.map(zeroize::Zeroizing::new);
    if secrets.password.is_none() {
        bail!(
            "{}: the acquisition is encrypted: give its password (-p/--password, --password-env VAR, --password-file FILE){}",
            path.display(),
            if kind.is_ios() { " or a --key-file from `ferret ios extract-key`" } else { "" }
        );
    }
    platform_open(kind, path, &secrets)?.with_context(|| format!("{}: the password was not accepted", path.display()))
}
