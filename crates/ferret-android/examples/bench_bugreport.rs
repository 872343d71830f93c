//! Bench: a generated bugreport with N packages and an M-byte logcat, checked with every
//! bugreport module on the real runner (2 threads by default).
//!
//! `cargo run --release -p ferret-android --example bench_bugreport -- [packages] [logcat_mb] [threads] [dir]`
//! (defaults: 2000 packages, 500 MB, 2 threads, a temporary folder). Prints the timings.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use ferret_android::{modules, open};
use ferret_core::Secrets;
use ferret_core::{
    AcquisitionKind, Context, Evidence, ModuleInfo, NoProgress, RecordSink, RunOptions, SinkFactory, TimelineEvent,
    TimelineSink, run_modules,
};
use ferret_testdata::android::bugreport::{BugreportSpec, write_bugreport_zip};
use ferret_testdata::fake::TruthIndicators;

struct Discard;
impl RecordSink for Discard {
    fn record(&mut self, _json: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
}
impl TimelineSink for Discard {
    fn event(&mut self, _e: TimelineEvent) -> std::io::Result<()> {
        Ok(())
    }
}
struct Sinks;
impl SinkFactory for Sinks {
    fn records(&self, _: &ModuleInfo) -> std::io::Result<Box<dyn RecordSink>> {
        Ok(Box::new(Discard))
    }
    fn timeline(&self, _: &ModuleInfo) -> std::io::Result<Box<dyn TimelineSink>> {
        Ok(Box::new(Discard))
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let packages: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let mb: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(500);
    let threads: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(2);
    let tmp = tempfile::tempdir()?;
    let dir = args.get(4).map_or_else(|| tmp.path().to_path_buf(), std::path::PathBuf::from);
    let path = dir.join("bench-bugreport.zip");
    let t0 = Instant::now();
    let spec = BugreportSpec { benign_packages: packages, logcat_bytes: mb << 20, ..BugreportSpec::default() };
    let (truth, _) = write_bugreport_zip(&path, &spec)?;
    let size = std::fs::metadata(&path)?.len();
    println!(
        "generated {} ({} packages, {mb} MB logcat, zip {:.1} MB) in {:.2?}",
        path.display(),
        packages,
        size as f64 / 1e6,
        t0.elapsed()
    );
    let ind = TruthIndicators::new(&truth);
    let t1 = Instant::now();
    let ev = open(&path, AcquisitionKind::AndroidBugreport, &Secrets::default())?.evidence;
    let opts = RunOptions::default();
    let ctx = Context { evidence: ev.as_ref(), indicators: &ind, options: &opts };
    let mods = modules(AcquisitionKind::AndroidBugreport);
    let refs: Vec<&dyn ferret_core::Module> = mods.iter().map(|m| m.as_ref()).collect();
    let reports = run_modules(&refs, &ctx, &Sinks, &NoProgress, threads);
    let total = t1.elapsed();
    let alerts: usize = reports.iter().map(|r| r.alerts.len()).sum();
    for r in &reports {
        println!("  {:32} {:>7} ms  {:?}", r.module, r.elapsed_ms, r.status);
    }
    println!("checked in {total:.2?} on {threads} threads: {alerts} alerts (expected {})", truth.alerts.len());
    // ZipEvidence::open cost: every open re-opens the archive file (no shared lock)
    let z = ferret_core::zip::ZipEvidence::open(&path, AcquisitionKind::AndroidBugreport)?;
    let f = ferret_core::EvidenceFile::plain("main_entry.txt");
    for n in [1usize, 2] {
        let t = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..n {
                s.spawn(|| {
                    for _ in 0..10_000 {
                        let _ = z.read(&f, 4096);
                    }
                });
            }
        });
        let per = t.elapsed().as_secs_f64() * 1e6 / 10_000.0;
        println!("zip entry open+read: {per:.1} us per call per thread with {n} thread(s)");
    }
    Ok(())
}
