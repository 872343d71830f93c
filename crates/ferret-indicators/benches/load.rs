//! Indicator loading and lookup benchmark (plain `Instant`, median of several runs).
//!
//! `cargo bench -p ferret-indicators --bench load` (release profile). Targets from the brief:
//! 20,000 indicators ≤ 50 ms; every shared bundle + a 100,000-indicator bundle ≤ 100 ms.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ferret_core::Indicators;
use ferret_indicators::{IndicatorSources, load};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time_load(src: &IndicatorSources, runs: usize) -> (Duration, usize) {
    let mut times = Vec::new();
    let mut total = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let (idx, report) = load(src).expect("load");
        times.push(t.elapsed());
        total = report.total;
        assert!(report.rejected_patterns.is_empty());
        std::hint::black_box(&idx);
    }
    (median(times), total)
}

fn shared_bundles() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/iocs");
    let mut out = Vec::new();
    fn walk(d: &std::path::Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "stix2") {
                out.push(p);
            }
        }
    }
    walk(&dir, &mut out);
    out.sort();
    out
}

fn main() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut rows: Vec<(String, usize, Duration, &str)> = Vec::new();

    for (n, target) in [(20_000usize, "<= 50 ms"), (100_000, "-")] {
        let path = tmp.path().join(format!("gen-{n}.stix2"));
        std::fs::write(&path, ferret_testdata::stix::bundle(&[], n, 1)).expect("write");
        let mb = std::fs::metadata(&path).expect("meta").len() as f64 / 1e6;
        let (d, total) = time_load(&IndicatorSources { paths: vec![path], ..Default::default() }, 7);
        rows.push((format!("generated bundle, {n} indicators ({mb:.1} MB)"), total, d, target));
    }
    let shared = shared_bundles();
    if !shared.is_empty() {
        let (d, total) = time_load(&IndicatorSources { paths: shared.clone(), ..Default::default() }, 7);
        rows.push((format!("{} shared bundles", shared.len()), total, d, "-"));
        let mut all = shared.clone();
        all.push(tmp.path().join("gen-100000.stix2"));
        let (d, total) = time_load(&IndicatorSources { paths: all, include_builtin: true, ..Default::default() }, 7);
        rows.push((format!("{} shared bundles + 100k + builtin", shared.len()), total, d, "<= 100 ms"));
    }

    println!("{:<52} {:>10} {:>12} {:>10}", "load", "indicators", "median", "target");
    for (what, n, d, target) in &rows {
        println!("{what:<52} {n:>10} {:>9.1} ms {target:>10}", d.as_secs_f64() * 1e3);
    }

    // lookups
    let (idx, _) =
        load(&IndicatorSources { paths: vec![tmp.path().join("gen-100000.stix2")], ..Default::default() }).unwrap();
    let urls: Vec<String> = (0..100_000).map(|i| format!("https://a{i}.b.c.benign{i}.example/path?q={i}")).collect();
    let t = Instant::now();
    let hits = urls.iter().filter(|u| idx.check_url(u).is_some()).count();
    let d = t.elapsed();
    println!(
        "check_url on 100k 5-label URLs against 100k indicators: {:.0} ns/lookup ({hits} hits)",
        d.as_nanos() as f64 / 1e5
    );
    let t = Instant::now();
    let hits = (0..100_000).filter(|i| idx.check_process(&format!("/usr/bin/proc{i}")).is_some()).count();
    let d = t.elapsed();
    println!("check_process: {:.0} ns/lookup ({hits} hits)", d.as_nanos() as f64 / 1e5);
}
