//! `aqf_log_timestamps`: modification times of the log files androidqf copied (`logs/...`), for
//! the timeline. No checks.

use ferret_core::{ArtifactModule, Context, ModuleError, Out, Outcome};
use jiff::Timestamp;

use super::bugreport_timestamps::FileTime;

/// The module.
#[derive(Debug, Clone, Copy)]
pub struct AqfLogTimestamps;

static PATHS: &[&str] = &["logs/**", "*/logs/**"];

impl ArtifactModule for AqfLogTimestamps {
    type Record = FileTime;
    const NAME: &'static str = "aqf_log_timestamps";
    const DESCRIPTION: &'static str = "Modification times of the log files in an androidqf collection";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        FileTime::record_all(ctx, PATHS, out)
    }

    fn timeline(&self, r: &FileTime, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.modified_time {
            events.push((t, "log_modified".into(), r.path.clone()));
        }
    }
}
