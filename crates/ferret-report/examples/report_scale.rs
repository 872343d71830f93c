//! How `report.html` scales with the timeline: `cargo run --release -p ferret-report --example
//! report_scale -- [N ...]` (default 10000 100000 1000000).
//!
//! For each N it writes a results folder with N timeline events (4 modules, times spread over
//! about 3 years) and 40 alerts, then measures:
//! * the run's `finish` (timeline merge + every file + report.html) and a `ferret report`
//!   rebuild from `timeline.csv`;
//! * the size of `report.html`;
//! * in headless Chromium (when `/usr/bin/chromium` exists), median of 5 runs: the page's own
//!   timings (DOMContentLoaded end and load start, from the Navigation Timing API, read by a
//!   probe script added to a copy of the page without its CSP; headless Chromium reports no
//!   first-contentful-paint before `load`) and the wall time of a 1280×800 screenshot, beside
//!   the wall time of the same screenshot of an empty page (Chromium's start-up).
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ferret_core::{Alert, Level, ModuleInfo, ModuleReport, ModuleStatus, OutputShape, SinkFactory, TimelineEvent};
use ferret_report::{ResultsFolder, RunInfo};
use jiff::Timestamp;

const NAMES: [&str; 4] = ["sms", "safari_history", "whatsapp", "manifest"];
const PROBE: &str = "<script>window.addEventListener('load',function(){\
var n=performance.getEntriesByType('navigation')[0];\
document.body.setAttribute('data-probe',[n.domContentLoadedEventEnd,n.loadEventStart].join(','));});</script>";

fn time(x: &mut u64) -> i64 {
    *x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    1_640_000_000 + (*x >> 33) as i64 % 100_000_000
}

fn build(dir: &Path, n: u64) -> Duration {
    let folder = ResultsFolder::create(dir).expect("folder");
    let mut alert_times = Vec::new();
    std::thread::scope(|s| {
        let handles: Vec<_> = NAMES
            .iter()
            .enumerate()
            .map(|(t, name)| {
                let folder = &folder;
                s.spawn(move || {
                    let info = ModuleInfo { name, description: "", shape: OutputShape::List };
                    let mut tl = folder.timeline(&info).expect("sink");
                    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ t as u64;
                    let mut picked = Vec::new();
                    for i in 0..n / NAMES.len() as u64 {
                        let secs = time(&mut x);
                        let data =
                            format!("Message {i} from +1555{:07}: https://example.com/path/{x:x}", x % 10_000_000);
                        if i % (n / 40).max(1) == 7 {
                            picked.push((secs, data.clone()));
                        }
                        tl.event(TimelineEvent {
                            timestamp: Timestamp::from_second(secs).expect("ts"),
                            module: name.to_string(),
                            event: "sms_received".into(),
                            data,
                        })
                        .expect("event");
                    }
                    tl.finish().expect("finish");
                    (name, picked)
                })
            })
            .collect();
        for h in handles {
            alert_times.push(h.join().expect("thread"));
        }
    });
    let reports: Vec<ModuleReport> = alert_times
        .into_iter()
        .map(|(name, picked)| ModuleReport {
            module: name.to_string(),
            status: ModuleStatus::Completed { records: n / 4 },
            warnings: vec![],
            alerts: picked
                .into_iter()
                .take(10)
                .enumerate()
                .map(|(i, (secs, data))| Alert {
                    level: if i % 3 == 0 { Level::Critical } else { Level::Medium },
                    module: name.to_string(),
                    message: format!("Message link matches indicator of \"Pegasus\": {data}"),
                    event_time: Timestamp::from_second(secs).ok(),
                    event: serde_json::json!({"isodate": secs, "text": data}),
                    matched_indicator: (i % 3 == 0).then(|| ferret_core::MatchedIndicator {
                        value: "example.com".into(),
                        kind: "domains".into(),
                        name: "Pegasus".into(),
                        stix2_file_name: "pegasus.stix2".into(),
                    }),
                })
                .collect(),
            elapsed_ms: 0,
            sightings: Default::default(),
        })
        .collect();
    let run = RunInfo {
        indicators: serde_json::json!({"files": [{"path": "/iocs/pegasus.stix2", "set_name": "Pegasus", "total": 1000}], "total": 1000}),
        ..RunInfo::default()
    };
    let start = Instant::now();
    folder.finish(reports, &run).expect("finish");
    start.elapsed()
}

fn chromium(args: &[String], url: &str) -> (Duration, String) {
    let profile = tempfile::tempdir().expect("profile");
    let start = Instant::now();
    let out = Command::new("/usr/bin/chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--window-size=1280,800",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .stderr(Stdio::null())
        .output()
        .expect("chromium");
    (start.elapsed(), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn median<T: PartialOrd + Copy>(mut v: Vec<T>) -> T {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v[v.len() / 2]
}

fn main() {
    let ns: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let ns = if ns.is_empty() { vec![10_000, 100_000, 1_000_000] } else { ns };
    let browser = Path::new("/usr/bin/chromium").is_file();
    let tmp = tempfile::tempdir().expect("tmp");
    let empty = tmp.path().join("empty.html");
    std::fs::write(&empty, "<!DOCTYPE html><title>x</title><p>x</p>").expect("write");
    let shot = tmp.path().join("shot.png");
    let shot_arg = format!("--screenshot={}", shot.display());
    let baseline = if browser {
        median(
            (0..3)
                .map(|_| chromium(std::slice::from_ref(&shot_arg), &format!("file://{}", empty.display())).0)
                .collect(),
        )
    } else {
        Duration::ZERO
    };
    println!(
        "| events | finish (merge + all files) | rebuild from timeline.csv | report.html | timeline rows in page | DOMContentLoaded | load | 1280×800 screenshot, wall |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for n in ns {
        let dir = tmp.path().join(format!("r{n}"));
        let finish = build(&dir, n);
        let html = std::fs::read_to_string(dir.join("report.html")).expect("html");
        std::fs::remove_file(dir.join("report.html")).expect("rm");
        let start = Instant::now();
        ferret_report::write_report(&dir, ferret_report::Lang::En).expect("rebuild");
        let rebuild = start.elapsed();
        assert_eq!(std::fs::read_to_string(dir.join("report.html")).expect("html"), html, "same page");
        let rows = html.matches("<tr class=").count() + html.matches("<tr data-m=").count();
        let (mut dcl, mut load, mut wall) = (String::new(), String::new(), String::new());
        if browser {
            let probe = dir.join("probe.html");
            let csp_start = html.find("<meta http-equiv=\"Content-Security-Policy\"").expect("csp");
            let csp_end = csp_start + html[csp_start..].find('>').expect("end") + 1;
            let probed =
                format!("{}{}", &html[..csp_start], &html[csp_end..]).replace("</body>", &format!("{PROBE}</body>"));
            std::fs::write(&probe, probed).expect("probe");
            let mut t = (Vec::new(), Vec::new());
            for _ in 0..5 {
                let (_, dom) = chromium(&["--dump-dom".into()], &format!("file://{}", probe.display()));
                let v: Vec<f64> = dom
                    .split("data-probe=\"")
                    .nth(1)
                    .and_then(|s| s.split('"').next())
                    .map(|s| s.split(',').filter_map(|x| x.parse().ok()).collect())
                    .unwrap_or_default();
                if let [a, b] = v[..] {
                    t.0.push(a);
                    t.1.push(b);
                }
            }
            if !t.0.is_empty() {
                dcl = format!("{:.0} ms", median(t.0));
                load = format!("{:.0} ms", median(t.1));
            }
            let w = median(
                (0..3)
                    .map(|_| {
                        chromium(
                            std::slice::from_ref(&shot_arg),
                            &format!("file://{}", dir.join("report.html").display()),
                        )
                        .0
                    })
                    .collect(),
            );
            wall = format!("{:.0} ms", w.as_secs_f64() * 1000.0);
        }
        println!(
            "| {n} | {:.2} s | {:.2} s | {:.0} KiB | {rows} | {dcl} | {load} | {wall} |",
            finish.as_secs_f64(),
            rebuild.as_secs_f64(),
            html.len() as f64 / 1024.0
        );
    }
    if browser {
        println!(
            "(the same screenshot of an empty page, i.e. Chromium starting and stopping: {:.0} ms)",
            baseline.as_secs_f64() * 1000.0
        );
    }
}
