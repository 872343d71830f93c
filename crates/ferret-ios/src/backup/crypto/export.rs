//! `ferret ios decrypt-backup`: writes a decrypted copy of an encrypted backup into a separate
//! destination (never next to the source), file by file, listing what could not be written.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{
    BackupKeys, CryptoError, KeySource, MAX_MANIFEST_DB, MAX_MANIFEST_PLIST, STREAM_THRESHOLD, corrupt, is_encrypted,
    manifest_plist, read_bounded,
};
use crate::backup::{ManifestFile, ManifestRow, find_backup_root, read_manifest_rows};

/// One file `decrypt_backup` could not write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFailure {
    /// `domain/relativePath (fileID)`.
    pub file: String,
    /// Why.
    pub reason: String,
}

/// What [`decrypt_backup`] did.
#[derive(Debug, Clone, Default)]
pub struct DecryptReport {
    /// Destination root.
    pub destination: PathBuf,
    /// Content files written.
    pub files_written: usize,
    /// Plaintext bytes written (content files).
    pub bytes_written: u64,
    /// Manifest rows whose content file is absent from the source (directories excluded).
    pub missing: usize,
    /// Files that could not be decrypted (the others are still written).
    pub failed: Vec<FileFailure>,
}

fn is_empty_dir(p: &Path) -> Result<bool, CryptoError> {
    let mut rd = std::fs::read_dir(p).map_err(|source| CryptoError::Io { path: p.to_path_buf(), source })?;
    Ok(rd.next().is_none())
}

fn check_destination(root: &Path, dest: &Path, force: bool) -> Result<(), CryptoError> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| CryptoError::Io { path: p, source }
    };
    let root_c = root.canonicalize().map_err(io(root))?;
    // Canonicalize the deepest existing ancestor of the destination.
    let mut existing = dest.to_path_buf();
    let mut tail: Vec<std::ffi::OsString> = Vec::new();
    while !existing.exists() {
        match (existing.file_name().map(|n| n.to_os_string()), existing.parent()) {
            (Some(n), Some(parent)) => {
                tail.push(n);
                existing = if parent.as_os_str().is_empty() { PathBuf::from(".") } else { parent.to_path_buf() };
            }
            _ => break,
        }
    }
    let mut dest_c = existing.canonicalize().map_err(io(&existing))?;
    for n in tail.iter().rev() {
        dest_c.push(n);
    }
    if dest_c.starts_with(&root_c) {
        return Err(CryptoError::Destination {
            path: dest.to_path_buf(),
            reason: "is inside the source backup; refusing to write plaintext next to the evidence".into(),
        });
    }
    if root_c.starts_with(&dest_c) {
        return Err(CryptoError::Destination {
            path: dest.to_path_buf(),
            reason: "contains the source backup; choose a separate folder".into(),
        });
    }
    if dest.exists() {
        if !dest.is_dir() {
            return Err(CryptoError::Destination {
                path: dest.to_path_buf(),
                reason: "exists and is not a folder".into(),
            });
        }
        if !force && !is_empty_dir(dest)? {
            return Err(CryptoError::Destination {
                path: dest.to_path_buf(),
                reason: "is not empty (use --force to write into it anyway)".into(),
            });
        }
    }
    Ok(())
}

fn create_private_dir(p: &Path) -> Result<(), CryptoError> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(p).map_err(|source| CryptoError::Io { path: p.to_path_buf(), source })
}

/// A fileID as Apple writes it: exactly 40 lower-case hexadecimal characters. Anything else is
/// refused by `decrypt_backup`: an upper-case twin (`3D0D7E5F…` beside `3d0d7e5f…`) would map to
/// the same output file as the genuine row and overwrite it.
fn valid_file_id(id: &str) -> bool {
    id.len() == 40 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn row_label(r: &ManifestRow) -> String {
    format!("{}/{} ({})", r.domain, r.relative_path, r.file_id)
}

/// Which content rows `decrypt_backup` writes: indices into `rows` of the file rows (flags 1)
/// with a valid fileID that no other file row shares, plus a failure for every refused row (an
/// invalid fileID; two rows mapping to one output path, each naming the other).
pub(super) fn plan_rows(rows: &[ManifestRow]) -> (Vec<usize>, Vec<FileFailure>) {
    let mut failed = Vec::new();
    let mut by_id: std::collections::HashMap<&str, Vec<usize>> = std::collections::HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        if r.flags != 1 {
            continue; // folders and symlinks have no content file
        }
        if valid_file_id(&r.file_id) {
            by_id.entry(r.file_id.as_str()).or_default().push(i);
        } else {
            failed.push(FileFailure {
                file: row_label(r),
                reason: "invalid fileID (expected exactly 40 lower-case hexadecimal characters); not written".into(),
            });
        }
    }
    let mut ok = Vec::new();
    for ids in by_id.into_values() {
        if let [one] = ids.as_slice() {
            ok.push(*one);
            continue;
        }
        for &i in &ids {
            let others: Vec<String> =
                ids.iter().filter(|&&j| j != i).filter_map(|&j| rows.get(j)).map(row_label).collect();
            if let Some(r) = rows.get(i) {
                failed.push(FileFailure {
                    file: row_label(r),
                    reason: format!(
                        "maps to the same output file as Manifest row {}; none of them is written",
                        others.join(", ")
                    ),
                });
            }
        }
    }
    ok.sort_unstable();
    failed.sort_by(|a, b| a.file.cmp(&b.file));
    (ok, failed)
}

/// Decrypts an encrypted backup into `dest` as a normal unencrypted backup tree (decrypted
/// `Manifest.db`, `Manifest.plist` with `IsEncrypted` false and no `ManifestKey`, `Info.plist`
/// and `Status.plist` copied, every content file at `<id[0..2]>/<id>` with its `LastModified`
/// mtime), in parallel. Refuses to write into (or around) the source folder, even with `force`,
/// and into a non-empty destination unless `force`. A wrong password fails before anything is
/// written.
///
/// Nothing is written through a link (`dest`): folders are created one by one, an existing
/// component that is a link (or not a folder) is an error naming it; files are created
/// exclusively without following links (0600), and `force` only replaces regular files. Rows
/// with a fileID that is not exactly 40 lower-case hex characters, and rows sharing one fileID
/// (they would write the same output file), are not written and are listed as failures naming
/// the rows. Files that do not decrypt are listed too; the others are still written.
pub fn decrypt_backup(src: &Path, dest: &Path, key_src: &KeySource, force: bool) -> Result<DecryptReport, CryptoError> {
    use std::io::Write;
    let root = find_backup_root(src)?;
    check_destination(&root, dest, force)?;
    let (plist_path, mut manifest) = manifest_plist(&root)?;
    if !is_encrypted(&root, &manifest) {
        return Err(CryptoError::NotEncrypted { path: root });
    }
    let keys = BackupKeys::unlock(&manifest, &plist_path, key_src)?;
    let db_path = root.join("Manifest.db");
    let enc = read_bounded(&db_path, MAX_MANIFEST_DB)?;
    let plain_db = if enc.starts_with(b"SQLite format 3\0") { enc } else { keys.decrypt_manifest(&enc)? };
    let mut rows = Vec::new();
    {
        let db = ferret_core::SqliteDb::open_copy(&mut plain_db.as_slice(), &mut [])
            .map_err(|e| corrupt(db_path.display().to_string(), format!("decrypted Manifest.db does not open: {e}")))?;
        read_manifest_rows(&db, &mut |r| rows.push(r))
            .map_err(|e| corrupt(db_path.display().to_string(), format!("decrypted Manifest.db: {e}")))?;
    }
    let (wanted, refused) = plan_rows(&rows);
    create_private_dir(dest)?;
    let out_dir = super::dest::Destination::new(dest, force);
    // Every prefix folder first: a planted link fails the run before any plaintext is written.
    let mut prefixes: Vec<&str> = wanted.iter().filter_map(|&i| rows.get(i)).map(|r| &r.file_id[..2]).collect();
    prefixes.sort_unstable();
    prefixes.dedup();
    for p in prefixes {
        out_dir.folder(p)?;
    }
    let write_top = |name: &str, bytes: &[u8]| -> Result<(), CryptoError> {
        let (mut f, p) = out_dir.file(name)?;
        f.write_all(bytes).map_err(|source| CryptoError::Io { path: p, source })
    };
    write_top("Manifest.db", &plain_db)?;
    drop(plain_db);
    for name in ["Info.plist", "Status.plist"] {
        let s = root.join(name);
        if s.is_file() {
            write_top(name, &read_bounded(&s, MAX_MANIFEST_PLIST)?)?;
        }
    }
    manifest.insert("IsEncrypted".into(), plist::Value::Boolean(false));
    manifest.remove("ManifestKey");
    let mut mp = Vec::new();
    plist::Value::Dictionary(manifest).to_writer_binary(&mut mp).map_err(|e| CryptoError::Io {
        path: dest.join("Manifest.plist"),
        source: std::io::Error::other(e.to_string()),
    })?;
    write_top("Manifest.plist", &mp)?;

    enum Done {
        Written(u64),
        Missing,
        Failed(FileFailure),
    }
    let results: Vec<Done> = wanted
        .par_iter()
        .filter_map(|&i| rows.get(i))
        .map(|r| {
            let label = row_label(r);
            let id = r.file_id.as_str();
            let source = root.join(&id[..2]).join(id);
            if !source.is_file() {
                return Done::Missing;
            }
            let fail = |e: CryptoError| {
                let reason = match e {
                    CryptoError::Corrupt { reason, .. } => reason,
                    other => other.to_string(),
                };
                Done::Failed(FileFailure { file: label.clone(), reason })
            };
            let info = r.file.as_deref().and_then(|b| ferret_formats::parse_mbfile(b).ok());
            let mtime = info.as_ref().and_then(|i| i.last_modified);
            let meta = ManifestFile {
                file_id: r.file_id.clone(),
                domain: r.domain.clone(),
                relative_path: r.relative_path.clone(),
                flags: r.flags,
                info,
            };
            let big = std::fs::metadata(&source).is_ok_and(|m| m.len() >= STREAM_THRESHOLD);
            // Decrypt small files before creating the output, so a failure leaves nothing.
            let plain = if big {
                None
            } else {
                let data = match read_bounded(&source, STREAM_THRESHOLD) {
                    Ok(d) => d,
                    Err(e) => return fail(e),
                };
                match keys.decrypt_file(&meta, data) {
                    Ok(p) => Some(p),
                    Err(e) => return fail(e),
                }
            };
            let (file, out) = match out_dir.file(&format!("{}/{id}", &id[..2])) {
                Ok(f) => f,
                Err(e) => return fail(e),
            };
            let written = match plain {
                None => match keys.decrypt_file_streaming(&meta, &source, &file, &out) {
                    Ok(n) => n,
                    Err(e) => {
                        drop(file);
                        let _ = std::fs::remove_file(&out);
                        return fail(e);
                    }
                },
                Some(plain) => {
                    if let Err(source) = (&file).write_all(&plain) {
                        return fail(CryptoError::Io { path: out, source });
                    }
                    plain.len() as u64
                }
            };
            if let Some(t) = mtime.and_then(|t| u64::try_from(t).ok()) {
                let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(t);
                if let Err(e) = file.set_modified(when) {
                    tracing::debug!(file = %out.display(), "cannot set mtime: {e}");
                }
            }
            Done::Written(written)
        })
        .collect();
    let mut report = DecryptReport { destination: dest.to_path_buf(), ..DecryptReport::default() };
    for f in refused {
        tracing::warn!(file = %f.file, "not decrypted: {}", f.reason);
        report.failed.push(f);
    }
    for d in results {
        match d {
            Done::Written(n) => {
                report.files_written += 1;
                report.bytes_written += n;
            }
            Done::Missing => report.missing += 1,
            Done::Failed(f) => {
                tracing::warn!(file = %f.file, "not decrypted: {}", f.reason);
                report.failed.push(f);
            }
        }
    }
    Ok(report)
}
