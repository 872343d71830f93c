//! Runs modules in parallel, isolates their failures, and reports what each did.
//!
//! Each module gets its own record and timeline sinks from a [`SinkFactory`], so modules never
//! share a lock on the hot path; alerts are kept per module (they are few) and returned in the
//! [`ModuleReport`]s, in registration order, whatever the thread count. A panicking module
//! becomes that module's error.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::alert::Alert;
use crate::module::{Context, Module, ModuleError, ModuleInfo, Outcome, Output, RecordSink, TimelineSink};

/// Creates per-module sinks (implemented by the results folder).
pub trait SinkFactory: Sync {
    /// The sink for `<module>.json`.
    fn records(&self, info: &ModuleInfo) -> std::io::Result<Box<dyn RecordSink>>;
    /// The sink for the module's timeline events.
    fn timeline(&self, info: &ModuleInfo) -> std::io::Result<Box<dyn TimelineSink>>;
    /// Whether the values each module checks are wanted ([`crate::observe`]); when `true` the
    /// runner observes every module and hands its table to [`SinkFactory::observations`].
    fn observes(&self) -> bool {
        false
    }
    /// One module's observed values, when it finished.
    fn observations(&self, _table: crate::observe::ObservationTable) {}
}

/// Progress callbacks (the CLI shows them; libraries never print).
pub trait Progress: Sync {
    /// A module started.
    fn module_started(&self, _name: &str) {}
    /// A module finished.
    fn module_finished(&self, _report: &ModuleReport) {}
}

/// A progress reporter that says nothing.
#[derive(Debug, Default)]
pub struct NoProgress;
impl Progress for NoProgress {}

/// What happened to a module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ModuleStatus {
    /// Ran; `records` written.
    Completed {
        /// Records written.
        records: u64,
    },
    /// Its artifact is not in this acquisition.
    NotFound,
    /// Failed; other modules were not affected.
    Failed {
        /// The error, with its location.
        error: String,
        /// Records written before the failure.
        records: u64,
    },
}

/// The report of one module run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModuleReport {
    /// Module slug.
    pub module: String,
    /// Outcome.
    #[serde(flatten)]
    pub status: ModuleStatus,
    /// Recoverable problems (skipped rows...).
    pub warnings: Vec<String>,
    /// Alerts raised, in emission order.
    #[serde(skip)]
    pub alerts: Vec<Alert>,
    /// Wall time in milliseconds (not part of deterministic results).
    #[serde(skip)]
    pub elapsed_ms: u128,
    /// The process names and executable paths the module checked, when the run keeps them
    /// ([`crate::RunOptions::sightings`]).
    #[serde(skip)]
    pub sightings: crate::observe::Sightings,
}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// Runs one module against its sinks.
pub fn run_module(
    module: &dyn Module,
    ctx: &Context<'_>,
    sinks: &dyn SinkFactory,
    progress: &dyn Progress,
) -> ModuleReport {
    let info = module.info();
    progress.module_started(info.name);
    let start = Instant::now();
    let report = match (sinks.records(&info), sinks.timeline(&info)) {
        (Ok(mut rec), Ok(mut tl)) => {
            let observing = if sinks.observes() {
                Some(crate::observe::Observing::with_flush(info.name, ctx.indicators, crate::observe::FLUSH_AT, |t| {
                    sinks.observations(t);
                }))
            } else {
                ctx.options.sightings.then(|| crate::observe::Observing::sightings_only(info.name, ctx.indicators))
            };
            let observed_ctx = observing.as_ref().map(|o| Context { indicators: o, ..*ctx });
            let mut out = Output::new(info.name, rec.as_mut(), tl.as_mut()).with_custody(ctx.options.custody);
            if let Some(o) = &observing {
                out = out.with_observer(o);
            }
            let _ = crate::sqlite::take_budget_exceeded();
            let result = catch_unwind(AssertUnwindSafe(|| module.run(observed_ctx.as_ref().unwrap_or(ctx), &mut out)))
                .unwrap_or_else(|p| Err(ModuleError::Panic(panic_text(p))));
            // A query stopped by its step budget fails the module, even when the module went on
            // without that query's rows (a partial read is not "completed").
            let result = match (result, crate::sqlite::take_budget_exceeded()) {
                (Ok(_), Some(b)) => Err(ModuleError::SqliteBudget { path: b.path, steps: b.steps }),
                (r, _) => r,
            };
            let (alerts, mut warnings, count) = out.into_parts();
            let sightings = observing.as_ref().map(crate::observe::Observing::take_sightings).unwrap_or_default();
            if let Some(o) = observing.as_ref().filter(|o| o.keeps_observables()) {
                let table = crate::observe::Observer::take(o);
                if table.dropped > 0 {
                    warnings.push(format!(
                        "{} further distinct values were not kept in observables.jsonl (at most {} per module)",
                        table.dropped,
                        crate::observe::MAX_PER_MODULE
                    ));
                }
                sinks.observations(table);
            }
            let fin = rec.finish().and_then(|()| tl.finish());
            let status = status_of(result, fin, count);
            if sightings.dropped > 0 {
                warnings.push(format!(
                    "{} further distinct process names were not kept for the process census (at most {} per module)",
                    sightings.dropped,
                    crate::observe::MAX_SIGHTINGS
                ));
            }
            warnings.truncate(1001);
            let sightings = if ctx.options.sightings { sightings } else { Default::default() };
            ModuleReport { module: info.name.to_string(), status, warnings, alerts, elapsed_ms: 0, sightings }
        }
        (Err(e), _) | (_, Err(e)) => ModuleReport {
            module: info.name.to_string(),
            status: ModuleStatus::Failed { error: format!("cannot create result files: {e}"), records: 0 },
            warnings: Vec::new(),
            alerts: Vec::new(),
            elapsed_ms: 0,
            sightings: Default::default(),
        },
    };
    let report = ModuleReport { elapsed_ms: start.elapsed().as_millis(), ..report };
    progress.module_finished(&report);
    report
}

/// The status of a module or pass from what it returned, whether its result files were closed,
/// and how many records it wrote: "not found" only when it said so and wrote nothing.
fn status_of(result: Result<Outcome, ModuleError>, fin: std::io::Result<()>, count: u64) -> ModuleStatus {
    match (result, fin) {
        (Ok(Outcome::NotFound), Ok(())) if count == 0 => ModuleStatus::NotFound,
        (Ok(_), Ok(())) => ModuleStatus::Completed { records: count },
        (Err(e), _) => ModuleStatus::Failed { error: e.to_string(), records: count },
        (Ok(_), Err(e)) => ModuleStatus::Failed { error: format!("cannot write results: {e}"), records: count },
    }
}

/// A pass that runs once every module finished, over what they saw (e.g. the iOS process
/// census over every module's [`ModuleReport::sightings`]). It reports like a module: records
/// in `<name>.json`, alerts in `alerts.json`, a line in `info.json`; `check-iocs` runs it again
/// over the re-checked modules, so its result is the same on every path.
pub trait PostRun: Sync {
    /// Its name and description, as a module's.
    fn info(&self) -> ModuleInfo;
    /// Runs over the modules' reports (in run order), writing into `out`.
    fn run(&self, reports: &[ModuleReport], out: &mut Output<'_>) -> Result<Outcome, ModuleError>;
}

/// Runs a [`PostRun`] pass with its own sinks; a panic becomes its error.
pub fn run_post(post: &dyn PostRun, reports: &[ModuleReport], sinks: &dyn SinkFactory) -> ModuleReport {
    let info = post.info();
    let failed = |error: String| ModuleReport {
        module: info.name.to_string(),
        status: ModuleStatus::Failed { error, records: 0 },
        warnings: Vec::new(),
        alerts: Vec::new(),
        elapsed_ms: 0,
        sightings: Default::default(),
    };
    let (mut rec, mut tl) = match (sinks.records(&info), sinks.timeline(&info)) {
        (Ok(r), Ok(t)) => (r, t),
        (Err(e), _) | (_, Err(e)) => return failed(format!("cannot create result files: {e}")),
    };
    let mut out = Output::new(info.name, rec.as_mut(), tl.as_mut());
    let result = catch_unwind(AssertUnwindSafe(|| post.run(reports, &mut out)))
        .unwrap_or_else(|p| Err(ModuleError::Panic(panic_text(p))));
    let (alerts, warnings, count) = out.into_parts();
    let fin = rec.finish().and_then(|()| tl.finish());
    let status = status_of(result, fin, count);
    ModuleReport {
        module: info.name.to_string(),
        status,
        warnings,
        alerts,
        elapsed_ms: 0,
        sightings: Default::default(),
    }
}

/// The order modules start in: the given order, except that a module that shares its
/// database with another ([`Module::shares_database_with`]) starts right after it.
pub fn start_order(modules: &[&dyn Module]) -> Vec<usize> {
    let names: Vec<&str> = modules.iter().map(|m| m.info().name).collect();
    let partner = |i: usize| {
        modules
            .get(i)
            .and_then(|m| m.shares_database_with())
            .and_then(|p| names.iter().position(|n| *n == p))
            .filter(|&p| p != i)
    };
    let mut order = Vec::with_capacity(modules.len());
    for i in 0..modules.len() {
        if partner(i).is_some() {
            continue; // placed after its partner
        }
        order.push(i);
        order.extend((0..modules.len()).filter(|&j| partner(j) == Some(i)));
    }
    // a module whose partner is itself placed after another (a chain) is not left out
    order.extend((0..modules.len()).filter(|j| !order.contains(j)).collect::<Vec<_>>());
    order
}

/// Runs modules on `threads` worker threads (0 = one per core). Modules START in the given
/// order (each worker takes the next one from a shared queue), so callers list the largest
/// artifacts first, except that modules sharing a database start together ([`start_order`]);
/// reports come back in the modules' order whatever the thread count. Worker threads get a
/// 64 MiB stack (deeply nested plists).
pub fn run_modules(
    modules: &[&dyn Module],
    ctx: &Context<'_>,
    sinks: &dyn SinkFactory,
    progress: &dyn Progress,
    threads: usize,
) -> Vec<ModuleReport> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let threads = match threads {
        0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        n => n,
    }
    .min(modules.len().max(1));
    let next = AtomicUsize::new(0);
    let order = start_order(modules);
    let slots: Vec<Mutex<Option<ModuleReport>>> = modules.iter().map(|_| Mutex::new(None)).collect();
    let work = || {
        while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            let Some(m) = modules.get(i) else { break };
            let report = run_module(*m, ctx, sinks, progress);
            if let Some(slot) = slots.get(i) {
                *slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(report);
            }
        }
    };
    std::thread::scope(|scope| {
        let mut spawned = 0;
        for t in 0..threads {
            let builder = std::thread::Builder::new().name(format!("ferret-module-{t}")).stack_size(64 * 1024 * 1024);
            if builder.spawn_scoped(scope, work).is_ok() {
                spawned += 1;
            }
        }
        if spawned == 0 {
            work();
        }
    });
    modules
        .iter()
        .zip(slots)
        .map(|(m, slot)| {
            slot.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner).unwrap_or_else(|| ModuleReport {
                module: m.info().name.to_string(),
                status: ModuleStatus::Failed { error: "module did not run".into(), records: 0 },
                warnings: Vec::new(),
                alerts: Vec::new(),
                elapsed_ms: 0,
                sightings: Default::default(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{AcquisitionKind, EvidenceFile, FolderEvidence};
    use crate::module::{ModuleInfo, OutputShape};

    struct Sinks;
    impl SinkFactory for Sinks {
        fn records(&self, _: &ModuleInfo) -> std::io::Result<Box<dyn RecordSink>> {
            Ok(Box::new(crate::module::testing::MemorySink::default()))
        }
        fn timeline(&self, _: &ModuleInfo) -> std::io::Result<Box<dyn TimelineSink>> {
            Ok(Box::new(crate::module::testing::MemoryTimeline::default()))
        }
    }

    /// Reads `v.db` through a view that never ends and *ignores* the query's error (as a
    /// careless module might); `quiet` reads a normal table.
    struct Careless {
        quiet: bool,
    }
    impl Module for Careless {
        fn info(&self) -> ModuleInfo {
            ModuleInfo {
                name: if self.quiet { "quiet" } else { "careless" },
                description: "test",
                shape: OutputShape::List,
            }
        }
        fn run(&self, ctx: &Context<'_>, _out: &mut Output<'_>) -> Result<Outcome, ModuleError> {
            let db = ctx.evidence.sqlite(&EvidenceFile::plain("v.db"))?;
            db.set_step_budget(2_000_000);
            let sql = if self.quiet { "SELECT count(*) FROM t" } else { "SELECT count(*) FROM endless" };
            let _ignored = db.query_row(sql, [], |r| r.get::<_, i64>(0));
            Ok(Outcome::Completed)
        }
    }

    #[test]
    fn a_budget_stop_fails_the_module_even_if_it_ignores_the_error() {
        let dir = tempfile::tempdir().expect("tmp");
        let c = rusqlite::Connection::open(dir.path().join("v.db")).expect("db");
        c.execute_batch(
            "CREATE TABLE t(x); INSERT INTO t VALUES (1); CREATE VIEW endless AS WITH RECURSIVE c(x) AS \
             (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT x FROM c;",
        )
        .expect("sql");
        drop(c);
        let ev = FolderEvidence::new(dir.path(), AcquisitionKind::IosFs);
        let opts = crate::module::RunOptions::default();
        let ctx = Context { evidence: &ev, indicators: &crate::indicators::NoIndicators, options: &opts };
        let (a, b) = (Careless { quiet: false }, Careless { quiet: true });
        let reports = run_modules(&[&a, &b], &ctx, &Sinks, &NoProgress, 1);
        match &reports[0].status {
            ModuleStatus::Failed { error, .. } => assert_eq!(
                error,
                "SQLite work budget exceeded on v.db (more than 2000000 steps): the database may be crafted, e.g. a \
                 recursive view"
            ),
            other => panic!("careless: {other:?}"),
        }
        assert!(matches!(reports[1].status, ModuleStatus::Completed { .. }), "{:?}", reports[1].status);
    }

    struct Named(&'static str, Option<&'static str>);
    impl Module for Named {
        fn info(&self) -> ModuleInfo {
            ModuleInfo { name: self.0, description: "test", shape: OutputShape::List }
        }
        fn shares_database_with(&self) -> Option<&'static str> {
            self.1
        }
        fn run(&self, _ctx: &Context<'_>, _out: &mut Output<'_>) -> Result<Outcome, ModuleError> {
            Ok(Outcome::NotFound)
        }
    }

    /// A module sharing a database starts right after its partner; a partner that is absent, a
    /// module naming itself, or a chain leave no module out and start none twice.
    #[test]
    fn partners_start_together() {
        let names = |ms: &[Named]| {
            let refs: Vec<&dyn Module> = ms.iter().map(|m| m as &dyn Module).collect();
            start_order(&refs).into_iter().map(|i| ms[i].0).collect::<Vec<_>>()
        };
        let ms = [
            Named("sms", None),
            Named("whatsapp", None),
            Named("safari", None),
            Named("attachments", Some("sms")),
            Named("favicon", Some("absent")),
            Named("me", Some("me")),
        ];
        assert_eq!(names(&ms), ["sms", "attachments", "whatsapp", "safari", "favicon", "me"]);
        let chain = [Named("c", Some("b")), Named("a", None), Named("b", Some("a"))];
        let order = names(&chain);
        assert_eq!(order.len(), 3);
        assert_eq!(order[..2], ["a", "b"]);
        assert!(order.contains(&"c"));
    }
}
