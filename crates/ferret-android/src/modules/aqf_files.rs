//! `aqf_files`: androidqf `files.json` (file listing with hashes). JSON lines are streamed line
//! by line (1 MiB line cap); a JSON array is read whole (at most 2 GiB).
//!
//! Checks: path matching a file indicator, or SHA-256/SHA-1/MD5 matching a hash indicator →
//! CRITICAL; a file under `/data/local/tmp/` (a staging place for exploits; androidqf's own
//! `/data/local/tmp/collector` excepted) → HIGH. Timeline: `file_modified`.

use ferret_core::{
    ArtifactModule, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;

use crate::parsers::aqf::{AqfFsEntry, parse_files_json};

fn read_head(r: &mut dyn std::io::Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// The module.
#[derive(Debug, Clone, Copy)]
pub struct AqfFiles;

static PATHS: &[&str] = &["files.json", "*/files.json"];

impl ArtifactModule for AqfFiles {
    type Record = AqfFsEntry;
    const NAME: &'static str = "aqf_files";
    const DESCRIPTION: &'static str = "File listing with hashes (androidqf files.json)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some(file) = ctx.evidence.locate(&Locator { backup: &[], paths: PATHS })?.into_iter().next() else {
            return Ok(Outcome::NotFound);
        };
        // JSON lines (one object per line) are streamed; a JSON array is read whole (bounded).
        let mut head = [0u8; 64];
        let n = {
            let mut r = ctx.evidence.open(&file)?;
            read_head(&mut r, &mut head).map_err(|e| ModuleError::format(&file.path, format!("cannot read: {e}")))?
        };
        let is_array = head[..n].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
        if is_array {
            let bytes = ctx.evidence.read(&file, 2 << 30)?;
            let (entries, errors) = parse_files_json(&bytes);
            for e in errors {
                out.warn(format!("{}: {e}", file.path));
            }
            for e in entries {
                out.record(e)?;
            }
        } else {
            let mut lines = crate::text::capped_lines(ctx.evidence.open(&file)?, 1 << 20);
            while let Some(line) =
                lines.next_line().map_err(|e| ModuleError::format(&file.path, format!("cannot read: {e}")))?
            {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                match serde_json::from_slice::<AqfFsEntry>(line) {
                    Ok(e) => out.record(e)?,
                    Err(e) => out.warn(format!("{}: line {}: {e}", file.path, lines.line_no())),
                }
            }
        }
        Ok(Outcome::Completed)
    }

    fn timeline(&self, r: &AqfFsEntry, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.modified_time.and_then(ferret_core::time::from_unix) {
            events.push((t, "file_modified".into(), r.path.clone()));
        }
    }

    fn check(&self, r: &AqfFsEntry, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        let t = r.modified_time.and_then(ferret_core::time::from_unix);
        if let Some(m) = ind.check_file_path(&r.path) {
            f.push(ioc_finding(Level::Critical, "File", &r.path, t, m));
        }
        if let Some(m) = [&r.sha256, &r.sha1, &r.md5].into_iter().flatten().find_map(|h| ind.check_file_hash(h)) {
            f.push(ioc_finding(Level::Critical, "Hash of file", &r.path, t, m));
        }
        if r.path.starts_with("/data/local/tmp/") && !r.path.starts_with("/data/local/tmp/collector") {
            let exec = r.mode.as_deref().is_some_and(|m| m.contains('x'));
            f.push(Finding::heuristic(
                Level::High,
                format!(
                    "{}: {}file in /data/local/tmp, where exploits stage their payloads",
                    r.path,
                    if exec { "executable " } else { "" }
                ),
                t,
            ));
        }
    }
}
