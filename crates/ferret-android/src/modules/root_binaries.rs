//! `root_binaries`: androidqf `root_binaries.json` (paths of root tools found on the phone).
//!
//! Checks: every entry → HIGH (the phone is rooted: any app may have full access).

use ferret_core::toolkit::json_array_first;
use ferret_core::{ArtifactModule, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome};
use serde::{Deserialize, Serialize};

use crate::heuristics::ROOT_BINARIES;

/// One root binary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootBinary {
    /// Path.
    pub path: String,
    /// Lower-case basename.
    pub binary_name: String,
    /// Whether the name is a known root tool.
    pub known: bool,
}

/// The module.
#[derive(Debug, Clone, Copy)]
pub struct RootBinaries;

static PATHS: &[&str] = &["root_binaries.json", "*/root_binaries.json"];

impl ArtifactModule for RootBinaries {
    type Record = RootBinary;
    const NAME: &'static str = "root_binaries";
    const DESCRIPTION: &'static str = "Root tools (su, Magisk...) found on the phone";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some((file, list)) = json_array_first(ctx, &Locator { backup: &[], paths: PATHS }, 16 << 20)? else {
            return Ok(Outcome::NotFound);
        };
        for v in list {
            let Some(path) = v.as_str().map(str::to_string) else {
                out.warn(format!("{}: non-string entry skipped", file.path));
                continue;
            };
            let binary_name = path.rsplit('/').next().unwrap_or(&path).to_lowercase();
            let known = ROOT_BINARIES.contains(&binary_name.as_str());
            out.record(RootBinary { path, binary_name, known })?;
        }
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &RootBinary, _ind: &dyn Indicators, f: &mut Vec<Finding>) {
        f.push(Finding::heuristic(Level::High, format!("{}: root binary found; the phone is rooted", r.path), None));
    }
}
