//! `tombstones`: native crash reports (`FS/data/tombstones/tombstone_*` in a bugreport).
//!
//! Text tombstones and protobuf ones (`.pb`, [`crate::parsers::protobuf`]) are parsed; a
//! malformed protobuf is a warning and is skipped. Checks: process name or the basename of the command
//! line matching a process indicator → CRITICAL; a crash of a process running as uid 0 (root),
//! 1000 (system) or 2000 (shell) → MEDIUM (exploits crash privileged processes).
//! Timeline: `crash` at the file's modification time.

use ferret_core::{
    ArtifactModule, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;

use crate::parsers::protobuf::parse_tombstone_pb;
use crate::parsers::tombstone::{Tombstone, parse_tombstone};

/// The module.
#[derive(Debug, Clone, Copy)]
pub struct Tombstones;

static PATHS: &[&str] = &["**/tombstones/tombstone_*", "**/tombstone_[0-9]*"];

impl ArtifactModule for Tombstones {
    type Record = Tombstone;
    const NAME: &'static str = "tombstones";
    const DESCRIPTION: &'static str = "Native crash reports";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let mut files = ctx.evidence.locate(&Locator { backup: &[], paths: PATHS })?;
        files.dedup_by(|a, b| a.path == b.path);
        if files.is_empty() {
            return Ok(Outcome::NotFound);
        }
        for f in files {
            let bytes = match ctx.evidence.read(&f, 16 << 20) {
                Ok(b) => b,
                Err(e) => {
                    out.warn(e.to_string());
                    continue;
                }
            };
            let mut t = if f.path.ends_with(".pb") {
                match parse_tombstone_pb(&bytes) {
                    Ok(t) => t,
                    Err(e) => {
                        out.warn(format!("{}: malformed protobuf tombstone: {e}", f.path));
                        continue;
                    }
                }
            } else {
                parse_tombstone(&String::from_utf8_lossy(&bytes))
            };
            t.file_name = f.path.rsplit('/').next().unwrap_or(&f.path).to_string();
            t.file_timestamp = f.modified;
            out.record(t)?;
        }
        Ok(Outcome::Completed)
    }

    fn timeline(&self, r: &Tombstone, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.file_timestamp {
            events.push((
                t,
                "crash".into(),
                format!(
                    "{} crashed ({})",
                    r.process_name.as_deref().unwrap_or("?"),
                    r.signal.as_deref().unwrap_or("?")
                ),
            ));
        }
    }

    fn check(&self, r: &Tombstone, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        let cmd = r.command_line.first().map(|c| c.rsplit('/').next().unwrap_or(c));
        if let Some((v, m)) =
            r.process_name.as_deref().into_iter().chain(cmd).find_map(|n| ind.check_process(n).map(|m| (n, m)))
        {
            f.push(ioc_finding(Level::Critical, "Crashed process", v, r.file_timestamp, m));
        }
        if let Some(uid @ (0 | 1000 | 2000)) = r.uid {
            f.push(Finding::heuristic(
                Level::Medium,
                format!(
                    "{}: a privileged process (uid {uid}) crashed; exploits often crash such processes",
                    r.process_name.as_deref().unwrap_or(&r.file_name)
                ),
                r.file_timestamp,
            ));
        }
    }
}
