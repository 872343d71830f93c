//! Budgets through the iOS modules and the runner: a crafted `sms.db` (the hostile recipe's
//! recursive view over `message`) fails the modules reading it with a budget error, and only
//! them; every other module completes and the run ends.

use ferret_core::{Context, Module, ModuleStatus, NoIndicators, NoProgress, RunOptions, run_modules};
use ferret_testdata::hostile::{RECURSIVE_MESSAGE_VIEW, rewrite_backup_sms};
use ferret_testdata::scenario::{self, Scale};

struct Null;
impl ferret_core::SinkFactory for Null {
    fn records(&self, _: &ferret_core::ModuleInfo) -> std::io::Result<Box<dyn ferret_core::RecordSink>> {
        Ok(Box::new(Sink))
    }
    fn timeline(&self, _: &ferret_core::ModuleInfo) -> std::io::Result<Box<dyn ferret_core::TimelineSink>> {
        Ok(Box::new(Sink))
    }
}
struct Sink;
impl ferret_core::RecordSink for Sink {
    fn record(&mut self, _: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
}
impl ferret_core::TimelineSink for Sink {
    fn event(&mut self, _: ferret_core::TimelineEvent) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn recursive_view_fails_its_modules_alone() {
    let work = tempfile::tempdir().expect("tmp");
    let g = scenario::ios_backup(work.path(), 5, Scale { sms: 50, decoys: 10 }).expect("gen");
    rewrite_backup_sms(&g.acquisition, RECURSIVE_MESSAGE_VIEW).expect("plant view");
    let ev = ferret_ios::backup::BackupEvidence::open(&g.acquisition).expect("open");
    let modules = ferret_ios::modules::backup_modules();
    let refs: Vec<&dyn Module> = modules.iter().map(AsRef::as_ref).collect();
    let opts = RunOptions::default();
    let ctx = Context { evidence: &ev, indicators: &NoIndicators, options: &opts };
    let reports = run_modules(&refs, &ctx, &Null, &NoProgress, 2);
    let mut failed = Vec::new();
    for r in &reports {
        match &r.status {
            ModuleStatus::Failed { error, .. } => failed.push((r.module.clone(), error.clone())),
            ModuleStatus::Completed { .. } | ModuleStatus::NotFound => {}
        }
    }
    assert!(!failed.is_empty());
    for (m, e) in &failed {
        assert!(m.starts_with("sms"), "only the modules reading sms.db fail: {m}: {e}");
        assert!(
            e.starts_with("SQLite work budget exceeded on HomeDomain/Library/SMS/sms.db (more than ")
                && e.ends_with("steps): the database may be crafted, e.g. a recursive view"),
            "{m}: {e}"
        );
    }
    assert!(failed.iter().any(|(m, _)| m == "sms"), "{failed:?}");
    let completed = reports.iter().filter(|r| matches!(r.status, ModuleStatus::Completed { .. })).count();
    assert!(completed > 10, "the other modules complete: {completed}");
}
