//! Indicator loading and lookup benchmark (plain `Instant`, median of several runs).
//!
//! `cargo bench -p ferret-indicators --bench load` (release profile). Targets from the brief:
//! 20,000 indicators ≤ 50 ms; every shared bundle + a 100,000-indicator bundle ≤ 100 ms (met when
//! the large files have prepared copies, see `src/prepared.rs`; parsing them takes ~190 ms here).
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ferret_core::Indicators;
use ferret_indicators::{IndicatorSources, load};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// User + system CPU time of this process so far (Linux `/proc/self/stat`, clock ticks of 10 ms;
/// `None` elsewhere).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

fn time_load(src: &IndicatorSources, runs: usize) -> (Duration, usize, Option<Duration>) {
    let mut times = Vec::new();
    let mut total = 0;
    let cpu0 = cpu_time();
    for _ in 0..runs {
        let t = Instant::now();
        let (idx, report) = load(src).expect("load");
        times.push(t.elapsed());
        total = report.total;
        assert!(report.rejected_patterns.is_empty());
        std::hint::black_box(&idx);
    }
    let cpu = cpu0.zip(cpu_time()).map(|(a, b)| (b - a) / runs as u32);
    (median(times), total, cpu)
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
    let mut rows: Vec<(String, usize, Duration, Option<Duration>, &str)> = Vec::new();

    for (n, target) in [(20_000usize, "<= 50 ms"), (100_000, "-")] {
        let path = tmp.path().join(format!("gen-{n}.stix2"));
        std::fs::write(&path, ferret_testdata::stix::bundle(&[], n, 1)).expect("write");
        let mb = std::fs::metadata(&path).expect("meta").len() as f64 / 1e6;
        let (d, total, cpu) = time_load(&IndicatorSources { paths: vec![path], ..Default::default() }, 7);
        rows.push((format!("generated bundle, {n} indicators ({mb:.1} MB)"), total, d, cpu, target));
    }
    // the 100k bundle with nested objects in every indicator (as external_references and
    // kill_chain_phases are in many published bundles): `},{` inside elements, where the
    // parallel reader must not cut
    {
        let path = tmp.path().join("gen-100000-nested.stix2");
        let text = std::fs::read_to_string(tmp.path().join("gen-100000.stix2")).expect("read");
        let nested = text.replace(
            "\"pattern_type\":\"stix\"",
            "\"external_references\":[{\"source_name\":\"lab\",\"url\":\"https://lab.example/r\"},{\"source_name\":\"x\"}],\"pattern_type\":\"stix\"",
        );
        std::fs::write(&path, &nested).expect("write");
        let mb = nested.len() as f64 / 1e6;
        let (d, total, cpu) = time_load(&IndicatorSources { paths: vec![path], ..Default::default() }, 7);
        rows.push((format!("same, nested objects in each ({mb:.1} MB)"), total, d, cpu, "-"));
    }
    let shared = shared_bundles();
    if !shared.is_empty() {
        let (d, total, cpu) = time_load(&IndicatorSources { paths: shared.clone(), ..Default::default() }, 7);
        rows.push((format!("{} shared bundles", shared.len()), total, d, cpu, "-"));
        let mut all = shared.clone();
        all.push(tmp.path().join("gen-100000.stix2"));
        let (d, total, cpu) =
            time_load(&IndicatorSources { paths: all.clone(), include_builtin: true, ..Default::default() }, 7);
        rows.push((format!("{} shared bundles + 100k + builtin", shared.len()), total, d, cpu, "-"));
        // with prepared copies (crate::prepared): the first load parses and writes the copy of
        // the 100k bundle; later loads read it back (SHA-256 of the bundle still verified)
        let prepared = tmp.path().join("prepared");
        std::fs::create_dir_all(&prepared).expect("mkdir");
        let src = IndicatorSources {
            paths: all,
            include_builtin: true,
            prepared_dir: Some(prepared.clone()),
            ..Default::default()
        };
        let (d, total, cpu) = time_load(&src, 1);
        rows.push(("same, first load writing the prepared copy".to_string(), total, d, cpu, "-"));
        let (d, total, cpu) = time_load(&src, 7);
        rows.push(("same, from the prepared copy".to_string(), total, d, cpu, "<= 100 ms"));
        let copies: u64 = std::fs::read_dir(&prepared)
            .expect("ls")
            .flatten()
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum();
        println!("prepared copies: {:.1} MB", copies as f64 / 1e6);
    }

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("{:<48} {:>10} {:>11} {:>12} {:>10}", "load", "indicators", "median", "CPU/load", "target");
    for (what, n, d, cpu, target) in &rows {
        let cpu = cpu.map_or("?".to_string(), |c| format!("{:.0} ms", c.as_secs_f64() * 1e3));
        println!("{what:<48} {n:>10} {:>8.1} ms {cpu:>12} {target:>10}", d.as_secs_f64() * 1e3);
    }
    println!("({cores} cores; CPU/load = user + system time per load, all threads, 10 ms ticks over 7 loads)");

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
