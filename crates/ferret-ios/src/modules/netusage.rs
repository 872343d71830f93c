//! `netusage`: per-process network usage from `netusage.sqlite` (filesystem dumps only).
//!
//! Format facts: `private/var/networkd/netusage.sqlite` (older iOS) or
//! `private/var/networkd/db/netusage.sqlite`; the same Core Data schema as `DataUsage.sqlite`
//! (`ZPROCESS`, `ZLIVEUSAGE`), see [`super::datausage`]. MVT reads both with one parser.
//!
//! This module therefore runs the `datausage` parser, checks and heuristics unchanged
//! (CRITICAL process indicator, HIGH "process record deleted", LOW missing process ids) on the
//! netusage databases ([`Datausage::at`] this module's [`LOCATOR`]). Records have the
//! `datausage` schema and alerts are attributed to `netusage`.
//!
//! Not implemented: MVT's filesystem-only MEDIUM "could not find the binary" heuristic (a
//! process without bundle id whose name matches no file of the dump).

use ferret_core::{Context, Indicators, Locator, Module, ModuleError, ModuleInfo, Outcome, Output, OutputShape, Typed};

use super::datausage::Datausage;

/// Where `netusage.sqlite` lives in a filesystem dump.
pub static LOCATOR: Locator = Locator {
    backup: &[],
    paths: &["private/var/networkd/netusage.sqlite", "private/var/networkd/db/netusage.sqlite"],
};

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct Netusage;

impl Module for Netusage {
    fn info(&self) -> ModuleInfo {
        ModuleInfo {
            name: "netusage",
            description: "Per-process network usage (netusage.sqlite): process names vs indicators, deleted process records",
            shape: OutputShape::List,
        }
    }

    fn run(&self, ctx: &Context<'_>, out: &mut Output<'_>) -> Result<Outcome, ModuleError> {
        Typed(Datausage::at(&LOCATOR)).run(ctx, out)
    }

    fn recheck(
        &self,
        record: serde_json::Value,
        indicators: &dyn Indicators,
        out: &mut Output<'_>,
    ) -> Result<bool, ModuleError> {
        Typed(Datausage::at(&LOCATOR)).recheck(record, indicators, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::webkit_stores::testing::both_fs;
    use ferret_core::RunOptions;
    use ferret_core::module::testing::run_one;
    use ferret_testdata::fake::TruthIndicators;
    use ferret_testdata::truth::{Truth, compare};

    #[test]
    fn recall_and_precision_folder_and_targz() {
        let mut truth = Truth::default();
        let files = ferret_testdata::ios_fs::netusage(6, 40, &mut truth);
        let (_d, evs) = both_fs(&files);
        let ind = TruthIndicators::new(&truth);
        let opts = RunOptions::default();
        let mut all = Vec::new();
        for ev in &evs {
            let ctx = Context { evidence: ev.as_ref(), indicators: &ind, options: &opts };
            let r = run_one(&Netusage, &ctx);
            assert_eq!(r.outcome, Ok(Outcome::Completed));
            assert!(r.alerts.iter().all(|a| a.module == "netusage"));
            let cmp = compare(&truth.alerts, &r.alerts, Some(&["netusage"]));
            assert!(cmp.is_exact(), "missed {:#?} unexpected {:#?}", cmp.missed, cmp.unexpected);
            assert_eq!(r.records.len(), 43);
            all.push(r.records);
        }
        assert_eq!(all[0], all[1]);
        // DataUsage.sqlite is not read by this module.
        let (_d, evs) = both_fs(&ferret_testdata::ios::datausage::generate(1, 5, &mut Truth::default()));
        let ctx = Context { evidence: evs[0].as_ref(), indicators: &ind, options: &opts };
        assert_eq!(run_one(&Netusage, &ctx).outcome, Ok(Outcome::NotFound));
    }
}
