//! `mounts`: androidqf `mounts.json`.
//!
//! Checks: mount point or device matching a file-path indicator → CRITICAL; a system partition
//! (`/system`, `/vendor`, `/product`, `/system_ext`) mounted read-write → HIGH (root or tampering).

use ferret_core::toolkit::json_array_first;
use ferret_core::{
    ArtifactModule, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};

use crate::parsers::aqf::{Mount, parse_mount};

/// The module.
#[derive(Debug, Clone, Copy)]
pub struct Mounts;

static PATHS: &[&str] = &["mounts.json", "*/mounts.json"];

impl ArtifactModule for Mounts {
    type Record = Mount;
    const NAME: &'static str = "mounts";
    const DESCRIPTION: &'static str = "Mounted file systems (androidqf mounts.json)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some((file, list)) = json_array_first(ctx, &Locator { backup: &[], paths: PATHS }, 16 << 20)? else {
            return Ok(Outcome::NotFound);
        };
        for v in list {
            match v.as_str().and_then(parse_mount) {
                Some(m) => out.record(m)?,
                None => out.warn(format!("{}: unparseable mount {v}", file.path)),
            }
        }
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &Mount, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if let Some(m) = ind.check_file_path(&r.mount_point).or_else(|| ind.check_file_path(&r.device)) {
            f.push(ioc_finding(Level::Critical, "Mount", &r.mount_point, None, m));
        }
        if r.is_system_partition && r.is_read_write {
            f.push(Finding::heuristic(
                Level::High,
                format!(
                    "{}: system partition mounted read-write ({}); a sign of root or tampering",
                    r.mount_point, r.device
                ),
                None,
            ));
        }
    }
}
