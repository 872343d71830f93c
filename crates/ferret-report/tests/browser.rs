//! Renders a report with hostile evidence and loads it in headless Chromium with JavaScript on:
//! the verdict and alert count render, our script runs, the injected markup does not.
//!
//! Needs `/usr/bin/chromium` (Debian package `chromium`). Without it the test fails when `CI` is
//! set and is skipped (with a note on stderr) otherwise.

#![allow(clippy::print_stderr)] // the skip note and screenshot path are meant for the tester

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use ferret_core::{ArtifactModule, Context, Finding, Indicators, Level, ModuleError, Out, Outcome, Typed};
use ferret_report::ResultsFolder;
use jiff::Timestamp;

const SCRIPT: &str = "<script>document.title='pwned'</script>";
const IMG: &str = "\"><img src=x onerror=\"document.title='pwned2'\">";

struct Hostile;
impl ArtifactModule for Hostile {
    type Record = Rec;
    const NAME: &'static str = "hostile";
    const DESCRIPTION: &'static str = "hostile strings";
    fn extract(&self, _ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        for id in 0..3 {
            out.record(Rec {
                id,
                host: format!("{IMG}.evil.example"),
                note: format!("{SCRIPT}{IMG} {id}"),
                time: Timestamp::from_second(1_700_000_000 + id as i64 * 60).ok(),
            })?;
        }
        Ok(Outcome::Completed)
    }
    fn timeline(&self, r: &Rec, ev: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.time {
            ev.push((t, format!("{SCRIPT}event"), r.note.clone()));
            if let Ok(later) = t.checked_add(jiff::SignedDuration::from_secs(1)) {
                ev.push((later, "other".into(), "an event without alert".into()));
            }
        }
    }
    fn check(&self, r: &Rec, _ind: &dyn Indicators, f: &mut Vec<Finding>) {
        let level = if r.id == 2 { Level::Medium } else { Level::High };
        f.push(Finding::heuristic(level, format!("Message {}", r.note), r.time));
    }
}

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"].iter().map(PathBuf::from).find(|p| p.is_file())
}

fn run_chromium(bin: &Path, profile: &Path, extra: &[String], url: &str) -> String {
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).expect("read dom");
        s
    });
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("chromium did not finish in 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    reader.join().expect("reader")
}

#[test]
fn report_renders_in_chromium_without_running_injected_code() {
    let Some(bin) = chromium() else {
        assert!(std::env::var_os("CI").is_none(), "CI: chromium missing (apt-get install -y chromium)");
        eprintln!("SKIP: /usr/bin/chromium not installed (apt-get install -y chromium)");
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let folder = ResultsFolder::create(dir.path()).expect("create");
    let mods: Vec<Box<dyn ferret_core::Module>> = vec![Box::new(Typed(Hostile)), Box::new(Typed(Broken))];
    let reports = run(&mods, &indicators(&[]), &folder, 1);
    let mut ri = run_info();
    ri.device.model = Some(format!("{SCRIPT}{IMG}"));
    ri.command_line.push(IMG.into());
    let summary = folder.finish(reports, &ri).expect("finish");
    assert_eq!(summary.counts.high, 2);
    assert_eq!(summary.counts.medium, 1);

    let html = std::fs::read_to_string(dir.path().join("report.html")).expect("html");
    assert!(!html.contains(SCRIPT) && !html.contains("<img"), "escaped in the file");
    assert_eq!(html.matches("<script").count(), 1);

    let url = format!("file://{}", dir.path().join("report.html").display());
    let profile = tempfile::tempdir().expect("profile");
    let dom = run_chromium(&bin, profile.path(), &["--dump-dom".into()], &url);
    assert!(
        dom.contains("data-js=\"ready\""),
        "our inline script ran (JS enabled, CSP hash right): {}",
        dom.get(..300).unwrap_or(&dom)
    );
    assert!(dom.contains("<title>ferret report</title>"), "title unchanged");
    assert!(!dom.contains("pwned</title>") && !dom.contains("<title>pwned"));
    assert_eq!(dom.matches("<script").count(), 1, "no injected script element");
    assert!(!dom.contains("<img"), "no injected image element");
    assert!(dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"), "payload shown as text");
    assert!(dom.contains("2 alerts need expert review"), "verdict");
    assert!(dom.contains("id=\"alert-count\" data-total=\"3\""), "alert count");
    assert!(dom.contains("3 alerts in total: 0 critical, 2 high, 1 medium, 0 low, 0 informational."));
    assert_eq!(dom.matches("class=\"alert-card ").count(), 3);
    assert!(dom.contains("FAILED"), "failed module listed");
    assert!(dom.contains("<span id=\"tl-shown\">9</span>"), "all 9 timeline rows shown without a filter");

    // The inline filter works: `#alerts-only` hides every row that is not an alert or a hit.
    let profile3 = tempfile::tempdir().expect("profile");
    let dom = run_chromium(&bin, profile3.path(), &["--dump-dom".into()], &format!("{url}#alerts-only"));
    let table = dom.split("id=\"tl-table\"").nth(1).and_then(|t| t.split("</table>").next()).unwrap_or("");
    assert_eq!(table.matches("<tr class=\"alert-row\"").count(), 3);
    assert_eq!(table.matches("<tr class=\"hit\"").count(), 3);
    assert_eq!(table.matches("<tr data-m=\"hostile\" hidden=\"\"").count(), 3, "plain rows hidden: {table}");
    assert!(dom.contains("<span id=\"tl-shown\">6</span>"), "3 alert rows + 3 highlighted events shown");

    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ferret-report-screenshot.png");
    let _ = std::fs::remove_file(&shot);
    let profile2 = tempfile::tempdir().expect("profile");
    run_chromium(
        &bin,
        profile2.path(),
        &[format!("--screenshot={}", shot.display()), "--window-size=1200,2400".into(), "--hide-scrollbars".into()],
        &url,
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "a real screenshot");
    eprintln!("screenshot: {}", shot.display());
}
