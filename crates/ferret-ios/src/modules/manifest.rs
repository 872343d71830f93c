//! `manifest`: every row of the backup's `Manifest.db` `Files` table (`manifest.json`).
//!
//! Reads `Manifest.db` through the evidence (root file, empty backup domain; decrypted for
//! encrypted backups) and streams one record per row, ordered by domain and relative path, with
//! the `MBFile` metadata decoded from the `file` blob (see [`ferret_formats::mbfile`]):
//! `created` = `Birth`, `modified` = `LastModified`, `status_changed` = `LastStatusChange`
//! (Unix seconds), `mode` as an octal string (`0o100644`), `owner` = `UserID`, `size`.
//! A blob that cannot be decoded is a warning; the row is still emitted without metadata.
//!
//! Timeline: one event per *distinct* timestamp among modified/status-changed/created, with a
//! MACB-style kind (`M` modified, `-` access time not recorded, `C` status changed, `B` born):
//! e.g. `M-CB` when all three are equal, `---B` for a birth time alone. Description:
//! `"<relative_path> - <domain>"`.
//!
//! Checks (MVT levels):
//! * HIGH: `"/" + relative_path` matches a file path / file name indicator;
//! * HIGH: otherwise, the lower-cased relative path is split on `_`, and each part that is a
//!   host name with a known public suffix (e.g. WebKit's `https_<host>_0.localstorage`) is
//!   checked as a domain: "Found mention of domain ... in a backup file with path ...".
//!   At most one domain alert per row.

use ferret_core::{
    ArtifactModule, BackupPath, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::backup::{ManifestRow, read_manifest_rows};

/// The `manifest` module.
#[derive(Debug, Clone, Copy, Default)]
pub struct Manifest;

/// One `Files` row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestRecord {
    /// SHA-1 of `domain-relativePath`.
    pub file_id: String,
    /// Backup domain.
    pub domain: String,
    /// Path relative to the domain.
    pub relative_path: String,
    /// 1 = file, 2 = directory, 4 = symlink.
    pub flags: i64,
    /// Birth time.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub created: Option<Timestamp>,
    /// Modification time.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub modified: Option<Timestamp>,
    /// Inode change time.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub status_changed: Option<Timestamp>,
    /// `st_mode` in octal, e.g. `0o100644`.
    pub mode: Option<String>,
    /// Owner user id.
    pub owner: Option<u64>,
    /// Size in bytes.
    pub size: Option<u64>,
}

const LOCATOR: Locator = Locator { backup: &[BackupPath { domain: "", path: "Manifest.db" }], paths: &[] };

impl ManifestRecord {
    fn from_row(row: ManifestRow, warn: &mut dyn FnMut(String)) -> Self {
        let meta = row.file.as_deref().and_then(|b| match ferret_formats::parse_mbfile(b) {
            Ok(m) => Some(m),
            Err(e) => {
                warn(format!(
                    "Manifest.db row {}/{} ({}): unreadable file metadata: {e}",
                    row.domain, row.relative_path, row.file_id
                ));
                None
            }
        });
        let ts = |v: Option<i64>| v.and_then(ferret_core::time::from_unix);
        Self {
            created: ts(meta.as_ref().and_then(|m| m.birth)),
            modified: ts(meta.as_ref().and_then(|m| m.last_modified)),
            status_changed: ts(meta.as_ref().and_then(|m| m.last_status_change)),
            mode: meta.as_ref().and_then(|m| m.mode).map(|m| format!("{m:#o}")),
            owner: meta.as_ref().and_then(|m| m.user_id),
            size: meta.as_ref().and_then(|m| m.size),
            file_id: row.file_id,
            domain: row.domain,
            relative_path: row.relative_path,
            flags: row.flags,
        }
    }
}

/// Whether a path part looks like a host with a known public suffix.
fn is_host(part: &str) -> bool {
    part.len() <= 253
        && part.contains('.')
        && !part.starts_with('.')
        && !part.ends_with('.')
        && !part.contains("..")
        && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && psl::domain(part.as_bytes()).is_some_and(|d| d.suffix().is_known())
}

impl ArtifactModule for Manifest {
    type Record = ManifestRecord;
    const NAME: &'static str = "manifest";
    const DESCRIPTION: &'static str = "Every file and folder listed in the backup's Manifest.db, with its times";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some(file) = ctx.evidence.locate(&LOCATOR)?.into_iter().next() else {
            return Ok(Outcome::NotFound);
        };
        let db = ctx.evidence.sqlite(&file)?;
        let mut first_err: Option<ModuleError> = None;
        let mut warnings: Vec<String> = Vec::new();
        read_manifest_rows(&db, &mut |row| {
            if first_err.is_some() {
                return;
            }
            let rec = ManifestRecord::from_row(row, &mut |w| warnings.push(w));
            for w in warnings.drain(..) {
                out.warn(w);
            }
            if let Err(e) = out.record(rec) {
                first_err = Some(e);
            }
        })
        .map_err(|e| ModuleError::query(&file.path, e))?;
        match first_err {
            Some(e) => Err(e),
            None => Ok(Outcome::Completed),
        }
    }

    fn timeline(&self, r: &ManifestRecord, events: &mut Vec<(Timestamp, String, String)>) {
        let mut times: Vec<Timestamp> = [r.modified, r.status_changed, r.created].into_iter().flatten().collect();
        times.sort();
        times.dedup();
        for t in times {
            let kind: String = [
                if r.modified == Some(t) { 'M' } else { '-' },
                '-',
                if r.status_changed == Some(t) { 'C' } else { '-' },
                if r.created == Some(t) { 'B' } else { '-' },
            ]
            .into_iter()
            .collect();
            events.push((t, kind, format!("{} - {}", r.relative_path, r.domain)));
        }
    }

    fn check(&self, r: &ManifestRecord, ind: &dyn Indicators, findings: &mut Vec<Finding>) {
        if ind.is_empty() {
            return;
        }
        let time = r.modified.or(r.created);
        let path = format!("/{}", r.relative_path);
        if let Some(m) = ind.check_file_path(&path) {
            findings.push(ioc_finding(Level::High, &format!("Backup file ({})", r.domain), &path, time, m));
            return;
        }
        let lower = r.relative_path.to_lowercase();
        for part in lower.split('_') {
            if !is_host(part) {
                continue;
            }
            if let Some(m) = ind.check_url(part) {
                let message = format!(
                    "Found mention of domain {part:?} (indicator {:?} of {:?}) in a backup file with path {path:?} ({})",
                    m.value, m.name, r.domain
                );
                findings.push(Finding::indicator(Level::High, message, time, m));
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::testing::{assert_exact, backup, run};
    use ferret_testdata::fake::TruthIndicators;
    use ferret_testdata::ios_backup::DeviceSpec;
    use ferret_testdata::truth::Truth;

    #[test]
    fn recall_precision_and_timeline() {
        let mut truth = Truth::default();
        let files = ferret_testdata::ios::manifest::generate(11, 300, &mut truth);
        let n_files = files.len();
        let (_d, ev) = backup(&files, &DeviceSpec::default());
        let r = run(Manifest, &ev, &TruthIndicators::new(&truth));
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        let files_seen = r.records.iter().filter(|x| x["flags"] == 1).count();
        assert_eq!(files_seen, n_files);
        assert!(r.records.iter().any(|x| x["flags"] == 2 && x["mode"] == "0o40755"));
        assert_exact(&truth, &r, "manifest");
        // every file row has created one hour before modified/status change: two events
        let rec = r.records.iter().find(|x| x["flags"] == 1).expect("a file");
        let rel = rec["relative_path"].as_str().expect("rel");
        let kinds: Vec<&str> =
            r.timeline.iter().filter(|e| e.data.starts_with(&format!("{rel} - "))).map(|e| e.event.as_str()).collect();
        assert_eq!(kinds, vec!["---B", "M-C-"]);
        // without indicators: no alerts at all
        let r = run(Manifest, &ev, &ferret_core::NoIndicators);
        assert!(r.alerts.is_empty());
    }

    #[test]
    fn bad_blobs_warn_and_missing_db_is_not_found() {
        let files = vec![ferret_testdata::ArtifactFile {
            domain: "HomeDomain".into(),
            relative_path: "Library/a.txt".into(),
            fs_path: String::new(),
            bytes: b"a".to_vec(),
            mtime: 1_700_000_000,
        }];
        let (dir, _ev) = backup(&files, &DeviceSpec::default());
        {
            let c = rusqlite::Connection::open(dir.path().join("Manifest.db")).expect("db");
            c.execute("UPDATE Files SET file = X'62706C6973743030FFFF' WHERE relativePath = 'Library/a.txt'", [])
                .expect("u");
            c.execute(
                "INSERT INTO Files VALUES ('00000000000000000000000000000000000000aa', NULL, NULL, NULL, NULL)",
                [],
            )
            .expect("i");
        }
        let ev = crate::backup::BackupEvidence::open(dir.path()).expect("open");
        let r = run(Manifest, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        assert!(r.warnings[0].contains("Library/a.txt"));
        let a = r.records.iter().find(|x| x["relative_path"] == "Library/a.txt").expect("row kept");
        assert!(a["modified"].is_null());
        assert!(r.records.iter().any(|x| x["domain"] == ""), "NULL row still listed");
        // plain folder evidence has no Manifest.db
        let fe = ferret_core::evidence::FolderEvidence::new(dir.path(), ferret_core::AcquisitionKind::IosFs);
        assert_eq!(run(Manifest, &fe, &ferret_core::NoIndicators).outcome, Ok(Outcome::NotFound));
    }

    #[test]
    fn host_parts() {
        assert!(is_host("evil-domain.com"));
        assert!(is_host("www.example.co.uk"));
        assert!(!is_host("0.localstorage"));
        assert!(!is_host("library/caches/x.com"));
        assert!(!is_host("com"));
        assert!(!is_host("a..com"), "an empty label is not a host");
    }
}
