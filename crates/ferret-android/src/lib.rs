//! # ferret-android
//!
//! Android acquisitions and their artifact modules:
//! * bugreport zip (or folder): the dumpstate text split into sections once
//!   ([`dumpstate::DumpstateCache`]) and parsed by the `dumpsys_*`, `getprop`, `processes`,
//!   `logcat`, `tombstones` and `stalkerware_score` modules;
//! * androidqf collection (folder, zip, or age-encrypted `.zip.age` with the `age` feature): its
//!   own files (`aqf_*`, `root_binaries`, `mounts`, `acquisition_hashes`), plus the nested
//!   `bugreport.zip` and `backup.ab`, mounted inside the evidence ([`ferret_core::evidence::Mounted`]);
//! * `adb backup` files (`.ab`, plain or AES-256 encrypted) ([`backup`]): the `sms` module;
//! * intrusion logs (Android 16 Advanced Protection; a folder or zip of newline-delimited JSON,
//!   or the `intrusion_logs/` folder of an androidqf collection) ([`intrusion`]): the
//!   `connect_event`, `dns_event` and `security_event` modules.
//!
//! The facade every platform crate offers: [`detect()`], [`open()`] with the user's
//! [`ferret_core::Secrets`] (password: `.ab`; key file: the age identity), [`modules()`], and
//! the one error type [`AndroidError`]. Heuristics and their levels are listed in [`heuristics`].
//!
//! Design notes:
//! * evidence is never extracted: zips are read in place ([`ferret_core::zip::ZipEvidence`]); a
//!   nested `bugreport.zip` is copied (bounded) to a private temporary file; a `.ab` backup is
//!   decrypted as a stream and its tar entries are copied (bounded, names sanitised, links
//!   skipped) into a private 0700 temporary folder; an age-encrypted collection is decrypted to a
//!   0600 file in a private temporary folder. All are removed when the evidence is dropped;
//! * the dumpstate is read once per run and split into the sections modules need; the logs are
//!   streamed separately, line by line with a line cap, so a multi-gigabyte log costs no memory;
//! * every alert comes from a module's per-record `check`, so `ferret check-iocs` repeats all of
//!   them from the stored records; cross-record facts (the acquisition's ADB key and date, the
//!   first app-op of a package, per-package signal sets) are stored in the records themselves.

pub mod backup;
pub mod detect;
pub mod dumpstate;
pub mod heuristics;
pub mod intrusion;
pub mod modules;
pub mod parsers;
pub mod text;

#[cfg(feature = "age")]
mod age_support;

use std::io::Read;
use std::path::Path;

use ferret_core::evidence::FolderEvidence;
use ferret_core::zip::ZipEvidence;
use ferret_core::{AcquisitionKind, Evidence, EvidenceError, Locator, Opened, Secrets};

pub use detect::detect;
pub use modules::modules;

/// Largest nested `bugreport.zip` copied out of an androidqf collection.
pub const NESTED_ZIP_LIMIT: u64 = 64 << 30;

/// Errors opening an Android acquisition. Every variant names the path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AndroidError {
    /// The backup is encrypted and no password was given.
    #[error("{path}: the backup is encrypted; give its password")]
    PasswordNeeded {
        /// The backup.
        path: String,
    },
    /// The password does not decrypt the backup.
    #[error("{path}: wrong backup password (the master key checksum does not match)")]
    WrongPassword {
        /// The backup.
        path: String,
    },
    /// The file is age-encrypted and no identity was given.
    #[error("{path}: the acquisition is encrypted with age; give the identity (key) file")]
    AgeIdentityNeeded {
        /// The file.
        path: String,
    },
    /// None of the identities decrypts the file.
    #[error("{path}: the age identity in {identity} cannot decrypt this file (wrong key)")]
    WrongAgeIdentity {
        /// The file.
        path: String,
        /// The identity file.
        identity: String,
    },
    /// The identity file is unreadable or invalid.
    #[error("{path}: not a usable age identity file: {reason}")]
    BadAgeIdentity {
        /// The identity file.
        path: String,
        /// Why.
        reason: String,
    },
    /// age support is not compiled in.
    #[error("{path}: this build of ferret has no age support (cargo feature `age`)")]
    AgeUnsupported {
        /// The file.
        path: String,
    },
    /// The acquisition is damaged or not of the expected kind.
    #[error("{path}: {reason}")]
    Corrupt {
        /// The path.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// An I/O error.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The kind is not an Android acquisition.
    #[error("{0:?} is not an Android acquisition kind")]
    NotAndroid(AcquisitionKind),
    /// Reading the evidence failed.
    #[error(transparent)]
    Evidence(#[from] EvidenceError),
}

impl AndroidError {
    pub(crate) fn corrupt(path: &str, reason: impl Into<String>) -> Self {
        Self::Corrupt { path: path.to_string(), reason: reason.into() }
    }
}

static NESTED_BUGREPORT: &[&str] = &["bugreport.zip", "*/bugreport.zip", "**/*bugreport*.zip"];
static NESTED_BACKUP: &[&str] = &["backup.ab", "*/backup.ab", "**/*.ab"];

/// Opens an Android acquisition; its problems are what the user should know (a nested backup
/// skipped because it is encrypted and no password was given, or because it is damaged).
///
/// * bugreport: a zip (read in place) or a folder;
/// * backup: an `.ab` file (decrypted with `secrets.password` when encrypted, unpacked into a
///   private temporary folder) or an extracted folder;
/// * androidqf: a folder, a zip, or an age-encrypted zip (recognised by its header; the identity
///   is `secrets.key_file`); its `bugreport.zip` and `backup.ab` are mounted at `<their path>/`;
/// * intrusion logs: a folder or a zip (read in place); every line is read once here
///   ([`intrusion::scan`]) and what the modules will skip (files that are not logs, malformed or
///   oversized lines, unknown event types) becomes the acquisition's problems, with counts.
///
/// Errors: [`AndroidError::PasswordNeeded`], [`AndroidError::WrongPassword`],
/// [`AndroidError::AgeIdentityNeeded`], [`AndroidError::WrongAgeIdentity`], [`AndroidError::Corrupt`].
pub fn open(path: &Path, kind: AcquisitionKind, secrets: &Secrets) -> Result<Opened, AndroidError> {
    let mut notes = Vec::new();
    let pw = secrets.password.as_ref().map(|p| p.as_str());
    let ev: Box<dyn Evidence> = match kind {
        AcquisitionKind::AndroidBugreport => {
            if path.is_dir() {
                Box::new(FolderEvidence::new(path, kind))
            } else {
                let z = ZipEvidence::open(path, kind)?;
                notes.extend(z.odd_name_warnings());
                Box::new(z)
            }
        }
        AcquisitionKind::AndroidBackup => {
            if path.is_dir() {
                Box::new(FolderEvidence::new(path, kind))
            } else {
                Box::new(backup::AbEvidence::open(path, pw)?)
            }
        }
        AcquisitionKind::AndroidQf => {
            let root: Box<dyn Evidence> = if path.is_dir() {
                Box::new(FolderEvidence::new(path, kind))
            } else if is_age(path) {
                open_age(path, secrets)?
            } else {
                let z = ZipEvidence::open(path, kind)?;
                notes.extend(z.odd_name_warnings());
                Box::new(z)
            };
            let mut m = ferret_core::evidence::Mounted::new(root);
            let root = &m;
            let br = root.locate(&Locator { backup: &[], paths: NESTED_BUGREPORT })?.into_iter().next();
            let ab = root.locate(&Locator { backup: &[], paths: NESTED_BACKUP })?.into_iter().next();
            let mut mounts: Vec<(String, Box<dyn Evidence>)> = Vec::new();
            if let Some(f) = br {
                match ZipEvidence::open_nested(root, &f, AcquisitionKind::AndroidBugreport, NESTED_ZIP_LIMIT) {
                    Ok(z) => mounts.push((f.path.clone(), Box::new(z))),
                    Err(e) => notes.push(format!("nested bugreport skipped: {e}")),
                }
            }
            if let Some(f) = ab {
                match backup::AbEvidence::open_nested(root, &f, pw) {
                    Ok(b) => mounts.push((f.path.clone(), Box::new(b))),
                    Err(e @ AndroidError::WrongPassword { .. }) => return Err(e),
                    Err(e) => notes.push(format!("nested backup skipped: {e}")),
                }
            }
            for (p, e) in mounts {
                m.mount(&p, e);
            }
            notes.extend(intrusion::scan(&m)?.problems());
            Box::new(m)
        }
        AcquisitionKind::AndroidIntrusionLogs => {
            let ev: Box<dyn Evidence> = if path.is_dir() {
                Box::new(FolderEvidence::new(path, kind))
            } else {
                let z = ZipEvidence::open(path, kind)?;
                notes.extend(z.odd_name_warnings());
                Box::new(z)
            };
            // one pass over every line: what the modules will skip is said once, here
            let scan = intrusion::scan(ev.as_ref())?;
            if scan.log_files == 0 {
                return Err(AndroidError::corrupt(
                    &path.display().to_string(),
                    "no intrusion-log file in it (a .txt or .json file of one JSON event a line)",
                ));
            }
            notes.extend(scan.problems());
            ev
        }
        other => return Err(AndroidError::NotAndroid(other)),
    };
    Ok(Opened { evidence: ev, device: ferret_core::DeviceInfo::default(), problems: notes })
}

/// Whether a file starts with the age header.
fn is_age(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 22];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head)).is_ok() && head.as_slice() == detect::AGE_MAGIC
}

#[cfg(feature = "age")]
fn open_age(path: &Path, secrets: &Secrets) -> Result<Box<dyn Evidence>, AndroidError> {
    age_support::open_age_zip(path, secrets)
}

#[cfg(not(feature = "age"))]
fn open_age(path: &Path, _secrets: &Secrets) -> Result<Box<dyn Evidence>, AndroidError> {
    Err(AndroidError::AgeUnsupported { path: path.display().to_string() })
}

/// Fuzz entry point (the `ab_header` target): reads an `.ab` from `data` (password `pw`), then,
/// without touching the disk, every `*_sms_backup`/`*_mms_backup` entry of its tar (at most 64
/// entries, 4 MiB of tar) through the streaming JSON parser with small budgets (1 MiB per file,
/// 64 KiB per element). Returns the parse result of each such entry.
pub fn fuzz_ab(data: &[u8]) -> Vec<Result<modules::sms::JsonStats, String>> {
    let mut out = Vec::new();
    let Ok((_, payload)) = backup::open_stream(data, Some("pw"), "fuzz.ab") else { return out };
    let mut ar = tar::Archive::new(payload.take(4 << 20));
    let Ok(entries) = ar.entries() else { return out };
    for entry in entries.take(64) {
        let Ok(entry) = entry else { break };
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if !(name.ends_with("_sms_backup") || name.ends_with("_mms_backup")) {
            continue;
        }
        let limits = modules::sms::JsonLimits { max_bytes: 1 << 20, max_element: 64 << 10 };
        let r = modules::sms::parse_backup_json(
            flate2::read::ZlibDecoder::new(entry.take(1 << 20)),
            limits,
            "fuzz",
            &mut |_, _| Ok(()),
        );
        out.push(r.map_err(|e| e.to_string()));
    }
    out
}

/// What [`fuzz_intrusion`] read: events, malformed lines, lines over the cap, findings raised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IntrusionFuzz {
    /// Events parsed (every type).
    pub events: u64,
    /// Lines refused as malformed.
    pub malformed: u64,
    /// Lines over [`intrusion::LINE_CAP`].
    pub too_long: u64,
    /// Findings the three modules' checks raised (no indicators: heuristics only).
    pub findings: u64,
    /// Whether the input's head marks an intrusion log ([`intrusion::is_log_head`]).
    pub is_log: bool,
}

/// Fuzz entry point (the `intrusion_logs` target): every line of `data` through the line
/// parser with the line cap, each event into its module's record, timeline and checks (with no
/// indicators), as a check reads an export.
pub fn fuzz_intrusion(data: &[u8]) -> IntrusionFuzz {
    use ferret_core::ArtifactModule;
    use intrusion::{Item, LineError};
    let mut out = IntrusionFuzz { is_log: intrusion::is_log_head(data), ..IntrusionFuzz::default() };
    let ind = ferret_core::indicators::NoIndicators;
    let mut lines = text::capped_lines(data, intrusion::LINE_CAP);
    let mut findings = Vec::new();
    let mut events = Vec::new();
    while let Ok(Some((line, no, cut))) = lines.next_line_info() {
        if cut {
            out.too_long += 1;
            continue;
        }
        let env = match intrusion::parse_line(line) {
            Ok(Some(env)) => env,
            Ok(None) => continue,
            Err(LineError::TooLong) => {
                out.too_long += 1;
                continue;
            }
            Err(LineError::Malformed(_)) => {
                out.malformed += 1;
                continue;
            }
        };
        for item in env.0 {
            findings.clear();
            events.clear();
            match item {
                Item::Connect(w) => {
                    let r = modules::connect_event::ConnectEvent::from_wire(w, "fuzz", no);
                    modules::connect_event::ConnectEvents.timeline(&r, &mut events);
                    modules::connect_event::ConnectEvents.check(&r, &ind, &mut findings);
                }
                Item::Dns(w) => {
                    let r = modules::dns_event::DnsEvent::from_wire(w, "fuzz", no);
                    modules::dns_event::DnsEvents.timeline(&r, &mut events);
                    modules::dns_event::DnsEvents.check(&r, &ind, &mut findings);
                }
                Item::Security(w) => {
                    let r = modules::security_event::SecurityEvent::from_wire(w, "fuzz", no);
                    modules::security_event::SecurityEvents.timeline(&r, &mut events);
                    modules::security_event::SecurityEvents.check(&r, &ind, &mut findings);
                }
                Item::Unknown(_) => continue,
            }
            out.events += 1;
            out.findings += findings.len() as u64;
        }
    }
    out
}
