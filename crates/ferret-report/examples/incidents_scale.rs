//! How incident windows scale with the number of alerts: `cargo run --release -p
//! ferret-report --example incidents_scale -- [N ...]` (default 10000 100000 1000000).
//!
//! For each N: N timed alerts from 12 modules (levels LOW 70 %, MEDIUM 25 %, HIGH 5 %) spread
//! over about a year, then the median of 5 runs of [`ferret_report::incidents`], and the number
//! of windows and raised windows it finds.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use ferret_core::{Alert, Level};
use jiff::Timestamp;

const MODULES: [&str; 12] = [
    "sms",
    "safari_history",
    "whatsapp",
    "datausage",
    "netusage",
    "shutdown_log",
    "crash_logs",
    "tcc",
    "applications",
    "profile_events",
    "calendar",
    "ps",
];

fn next(x: &mut u64) -> u64 {
    *x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    *x >> 33
}

fn alerts(n: usize) -> Vec<Alert> {
    let mut x = 7u64;
    (0..n)
        .map(|i| {
            let r = next(&mut x);
            let level = match r % 100 {
                0..70 => Level::Low,
                70..95 => Level::Medium,
                _ => Level::High,
            };
            Alert {
                level,
                module: MODULES[i % MODULES.len()].to_string(),
                message: format!("alert {i}"),
                event_time: Timestamp::from_second(1_700_000_000 + (next(&mut x) % 31_536_000) as i64).ok(),
                event: serde_json::json!({"i": i}),
                matched_indicator: None,
            }
        })
        .collect()
}

fn main() {
    let ns: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let ns = if ns.is_empty() { vec![10_000, 100_000, 1_000_000] } else { ns };
    println!("| alerts | incidents() median of 5 | windows | raised |");
    println!("|---:|---:|---:|---:|");
    for n in ns {
        let a = alerts(n);
        let mut times: Vec<Duration> = Vec::new();
        let mut found = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            found = ferret_report::incidents(&a);
            times.push(t.elapsed());
        }
        times.sort();
        let c = ferret_report::IncidentCounts::of(&found);
        println!("| {n} | {:.1} ms | {} | {} |", times[2].as_secs_f64() * 1000.0, c.windows, c.raised);
    }
}
