//! Scale check of the timeline writer: `cargo run --release -p ferret-report --example
//! timeline_scale -- 3000000 [threads]` pushes N events from `threads` concurrent module sinks
//! through a results folder and writes timeline.csv/jsonl. Measure peak RSS with
//! `/usr/bin/time -v`.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use ferret_core::{ModuleInfo, OutputShape, SinkFactory, TimelineEvent};
use ferret_report::{ResultsFolder, RunInfo};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(3_000_000);
    let threads: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(2);
    let dir = tempfile::tempdir()?;
    let folder = ResultsFolder::create(dir.path())?;
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let folder = &folder;
            s.spawn(move || {
                let names = ["sms", "safari_history", "whatsapp", "manifest"];
                let name = names.get(t as usize % names.len()).copied().unwrap_or("m");
                let info = ModuleInfo { name, description: "", shape: OutputShape::List };
                let mut tl = folder.timeline(&info).expect("sink");
                let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ t;
                for i in 0..n / threads {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    let secs = 1_600_000_000 + (x >> 33) as i64 % 100_000_000;
                    tl.event(TimelineEvent {
                        timestamp: jiff::Timestamp::from_second(secs).expect("ts"),
                        module: name.to_string(),
                        event: "sms_received".to_string(),
                        data: format!("Message {i} from +1555{:07}: https://example.com/path/{x:x}", x % 10_000_000),
                    })
                    .expect("event");
                }
                tl.finish().expect("finish");
            });
        }
    });
    let spilled = start.elapsed();
    let summary = folder.finish(Vec::new(), &RunInfo::default())?;
    let csv = std::fs::metadata(dir.path().join("timeline.csv"))?.len();
    let jsonl = std::fs::metadata(dir.path().join("timeline.jsonl"))?.len();
    println!(
        "{n} events, {threads} threads: spill {:.2} s, total {:.2} s, timeline.csv {} MiB, timeline.jsonl {} MiB, alerts {}",
        spilled.as_secs_f64(),
        start.elapsed().as_secs_f64(),
        csv >> 20,
        jsonl >> 20,
        summary.counts.total()
    );
    Ok(())
}
