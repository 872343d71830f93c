//! The report in a real browser: headless Chromium, with JavaScript on and off.
//!
//! * the first screen of each verdict state (alerts found / nothing found / built-in indicators
//!   only / incomplete): headline, what was found, what to do;
//! * the chart has one mark per time bin holding alerts;
//! * evidence is collapsed by default; fields have human labels (raw key in `title`); the legend
//!   is there;
//! * the timeline is paginated and its filters work (JS on), every row is listed (JS off);
//! * nothing is fetched (Chromium's network log holds no request of the page, and no link of it);
//! * injected HTML in evidence stays text;
//! * the Arabic report renders right to left;
//! * the PDF has the first screen on page one.
//!
//! Screenshots are kept under `target/tmp/ferret-report-browser/` (not committed).
//!
//! Needs Chromium (`/usr/bin/chromium`, Debian package `chromium`). Without it the tests fail
//! when `CI` is set and are skipped (with a note on stderr) otherwise.

#![allow(clippy::print_stderr)] // the skip note and screenshot paths are meant for the tester

mod common;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use ferret_core::{ArtifactModule, Context, Finding, Indicators, Level, ModuleError, Out, Outcome, Typed, ioc_finding};
use ferret_report::{Lang, ResultsFolder, RunInfo, Summary};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

const SCRIPT: &str = "<script>document.title='pwned'</script>";
const IMG: &str = "\"><img src=\"http://attacker.example/x.png\" onerror=\"document.title='pwned2'\">";
/// Day-aligned start of the dated records (2023-11-15 00:00 UTC).
const T0: i64 = 1_700_006_400;

// ---------------------------------------------------------------------------------------------
// Chromium

struct Browser {
    bin: PathBuf,
}

fn browser() -> Option<Browser> {
    let bin = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].iter().map(PathBuf::from).find(|p| p.is_file());
    if bin.is_none() {
        assert!(std::env::var_os("CI").is_none(), "CI: chromium missing (apt-get install -y chromium)");
        eprintln!("SKIP: /usr/bin/chromium not installed (apt-get install -y chromium)");
    }
    bin.map(|bin| Browser { bin })
}

fn artefacts() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ferret-report-browser");
    std::fs::create_dir_all(&d).expect("artefact folder");
    d
}

fn url(dir: &Path) -> String {
    format!("file://{}", dir.join("report.html").display())
}

impl Browser {
    /// Runs Chromium on `url` and returns its stdout.
    fn run(&self, extra: &[String], url: &str, js: bool) -> String {
        let profile = tempfile::tempdir().expect("profile");
        let mut cmd = Command::new(&self.bin);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--host-resolver-rules=MAP * ~NOTFOUND",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()));
        if !js {
            cmd.arg("--blink-settings=scriptEnabled=false");
        }
        let mut child =
            cmd.args(extra).arg(url).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("start chromium");
        let mut stdout = child.stdout.take().expect("stdout");
        let reader = std::thread::spawn(move || {
            let mut s = String::new();
            stdout.read_to_string(&mut s).expect("read dom");
            s
        });
        let start = Instant::now();
        while child.try_wait().expect("wait").is_none() {
            if start.elapsed() > Duration::from_secs(120) {
                let _ = child.kill();
                panic!("chromium did not finish in 120 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        reader.join().expect("reader")
    }

    /// The DOM after load. With `js` off, the page is loaded without its (only) script: Chromium
    /// cannot dump the DOM with scripting disabled, and removing the script is what turning
    /// JavaScript off does to this page. (Screenshots use Chromium's own switch.)
    fn dom(&self, url: &str, js: bool) -> String {
        let copy = tempfile::tempdir().expect("tmp");
        let url = if js {
            url.to_string()
        } else {
            let (path, frag) =
                url.trim_start_matches("file://").split_once('#').unwrap_or((url.trim_start_matches("file://"), ""));
            let html = std::fs::read_to_string(path).expect("report");
            let start = html.find("<script>").expect("one script");
            let end = html.find("</script>").expect("script end") + "</script>".len();
            let p = copy.path().join("report.html");
            std::fs::write(&p, format!("{}{}", &html[..start], &html[end..])).expect("copy");
            if frag.is_empty() { format!("file://{}", p.display()) } else { format!("file://{}#{frag}", p.display()) }
        };
        // Chromium on a busy machine sometimes exits without dumping: try again
        for _ in 0..3 {
            let dom = self.run(&["--dump-dom".into()], &url, true);
            if !dom.is_empty() {
                return dom;
            }
        }
        panic!("chromium dumped no DOM for {url} three times");
    }

    fn screenshot(&self, url: &str, name: &str, js: bool) -> PathBuf {
        let shot = artefacts().join(name);
        let _ = std::fs::remove_file(&shot);
        self.run(
            &[format!("--screenshot={}", shot.display()), "--window-size=1280,800".into(), "--hide-scrollbars".into()],
            url,
            js,
        );
        let png = std::fs::read(&shot).expect("screenshot written");
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "a real screenshot");
        eprintln!("screenshot: {}", shot.display());
        shot
    }
}

// ---------------------------------------------------------------------------------------------
// Results folders

/// A record with fields the label table knows.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Visit {
    #[serde(with = "ferret_core::time::serde_ts")]
    isodate: Timestamp,
    url: String,
    host: String,
    service: String,
    text_from_attributed_body: String,
}

/// 1440 records, one every 10 minutes over 10 days from [`T0`]: evil hosts (indicator hits) at
/// records 200, 650, 700 and 1300 (days 1, 4, 4, 9), a HIGH heuristic on record 1000 (day 6)
/// whose message carries injected HTML; `quiet` leaves out the heuristic.
struct Dated {
    quiet: bool,
}

fn visit(i: i64) -> Visit {
    let evil = [200, 650, 700, 1300].contains(&i);
    let host = if evil { format!("h{i}.evil.example") } else { format!("h{i}.fine.example") };
    Visit {
        isodate: Timestamp::from_second(T0 + i * 600).expect("ts"),
        url: format!("https://{host}/page"),
        host,
        service: "kTCCServiceMicrophone".into(),
        text_from_attributed_body: if i % 100 == 7 { format!("{SCRIPT}{IMG} {i}") } else { format!("text {i}") },
    }
}

impl ArtifactModule for Dated {
    type Record = Visit;
    const NAME: &'static str = "safari_history";
    const DESCRIPTION: &'static str = "dated visits";
    fn extract(&self, _ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        for i in 0..1440 {
            out.record(visit(i))?;
        }
        Ok(Outcome::Completed)
    }
    fn timeline(&self, r: &Visit, ev: &mut Vec<(Timestamp, String, String)>) {
        ev.push((r.isodate, "safari_visit".into(), format!("{} {}", r.url, r.text_from_attributed_body)));
    }
    fn check(&self, r: &Visit, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if let Some(m) = ind.check_domain(&r.host) {
            f.push(ioc_finding(Level::Critical, "Safari visit", &r.url, Some(r.isodate), m));
        }
        if !self.quiet && r.text_from_attributed_body == "text 1000" {
            f.push(Finding::heuristic(Level::High, format!("Suspicious page {SCRIPT}{IMG}"), Some(r.isodate)));
        }
    }
}

/// A module whose artifact is never there.
struct Missing;
impl ArtifactModule for Missing {
    type Record = Visit;
    const NAME: &'static str = "sms";
    const DESCRIPTION: &'static str = "absent";
    fn extract(&self, _ctx: &Context<'_>, _out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        Ok(Outcome::NotFound)
    }
}

fn run_info_with(indicators: serde_json::Value) -> RunInfo {
    let mut ri = run_info();
    ri.indicators = indicators;
    ri.device.model = Some(format!("{SCRIPT}{IMG}"));
    ri.command_line.push(IMG.into());
    ri
}

fn pegasus_set() -> serde_json::Value {
    serde_json::json!({"files": [{"path": "/iocs/pegasus.stix2", "sha256": "cd".repeat(32), "set_name": "Pegasus", "total": 1234,
        "references": [
            {"name": "Pegasus", "source": "Lab report <b>on Pegasus</b>", "url": "https://writeup.example/pegasus"},
            {"name": "Pegasus", "source": "bad", "url": "javascript:alert(1)"}
        ]}], "total": 1234})
}

enum State {
    Alerts,
    Nothing,
    BuiltinOnly,
    Incomplete,
}

fn folder(state: &State, lang: Lang) -> (tempfile::TempDir, Summary) {
    let dir = tempfile::tempdir().expect("tmp");
    let options = ferret_report::FolderOptions { lang, ..Default::default() };
    let f = ResultsFolder::create_with(dir.path(), options).expect("create");
    let mods: Vec<Box<dyn ferret_core::Module>> = match state {
        State::Alerts => vec![Box::new(Typed(Dated { quiet: false })), Box::new(Typed(Missing))],
        State::Nothing | State::BuiltinOnly => vec![Box::new(Typed(Dated { quiet: true })), Box::new(Typed(Missing))],
        State::Incomplete => vec![Box::new(Typed(Missing))],
    };
    let ind = match state {
        State::Alerts => indicators(&["evil.example"]),
        _ => indicators(&["nothing.example"]),
    };
    let ri = match state {
        State::BuiltinOnly => run_info_with(serde_json::json!({"files": [{"path": "builtin:paragon-graphite.stix2",
            "sha256": "ab".repeat(32), "set_name": "Paragon Graphite", "total": 1}], "total": 1})),
        _ => run_info_with(pegasus_set()),
    };
    let summary = f.finish(run(&mods, &ind, &f, 1), &ri).expect("finish");
    (dir, summary)
}

fn section<'a>(dom: &'a str, start: &str, end: &str) -> &'a str {
    let from = dom.find(start).unwrap_or_else(|| panic!("{start} in the page"));
    let rest = dom.get(from..).unwrap_or_default();
    rest.get(..rest.find(end).unwrap_or(rest.len())).unwrap_or_default()
}

fn visible_rows(dom: &str) -> Vec<&str> {
    let table = section(dom, "id=\"tl-table\"", "</table>");
    table.split("<tr").skip(2).filter(|r| !r.split('>').next().unwrap_or_default().contains("hidden")).collect()
}

fn all_rows(dom: &str) -> usize {
    section(dom, "id=\"tl-table\"", "</table>").matches("<tr").count() - 1
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn first_screen_of_each_verdict_state_with_js_on_and_off() {
    let Some(b) = browser() else { return };
    for (state, name) in [
        (State::Alerts, "alerts"),
        (State::Nothing, "nothing"),
        (State::BuiltinOnly, "builtin"),
        (State::Incomplete, "incomplete"),
    ] {
        let (dir, summary) = folder(&state, Lang::En);
        for js in [true, false] {
            let dom = b.dom(&url(dir.path()), js);
            assert_eq!(dom.contains("data-js=\"ready\""), js, "{name}: our script runs exactly when JS is on");
            let first = section(&dom, "id=\"first\"", "id=\"time\"");
            let todo = section(first, "id=\"todo\"", "</section>");
            match state {
                State::Alerts => {
                    assert!(first.contains("data-state=\"alerts_found\""));
                    assert!(first.contains("ALERTS FOUND: 5 high or critical alerts need expert review"));
                    assert!(first.contains("This phone shows signs of spyware or stalkerware."));
                    // what: the family with its count, window and strongest evidence, and the write-up
                    let fam = section(first, "data-family=\"Pegasus\"", "</tr>");
                    assert!(fam.contains("critical 4"), "{fam}");
                    assert!(fam.contains(">2023-11-16<") && fam.contains(">2023-11-24<"), "window: {fam}");
                    assert!(fam.contains("Safari history: <bdi>Safari visit"), "strongest evidence: {fam}");
                    assert!(fam.contains("href=\"https://writeup.example/pegasus\""), "write-up link");
                    assert!(fam.contains("<bdi>Lab report &lt;b&gt;on Pegasus&lt;/b&gt;</bdi>"), "source name escaped");
                    assert!(!dom.contains("javascript:alert"), "only web links are linked");
                    let heur = section(first, "data-family=\"Suspicious signs (no known spyware indicator)\"", "</tr>");
                    assert!(heur.contains("high 1"), "{heur}");
                    assert!(first.contains("Likely infection window: <bdi class=\"mono\">2023-11-16 09:20</bdi> to <bdi class=\"mono\">2023-11-24 00:40</bdi> UTC"), "{first}");
                    // what to do
                    assert!(todo.contains("Keep the phone as it is."));
                    assert!(todo.contains("Assume the phone may be monitored"));
                    assert!(todo.contains("href=\"https://www.accessnow.org/help/\""));
                    assert!(todo.contains("href=\"https://securitylab.amnesty.org/\""));
                    assert!(todo.contains("What this check cannot prove:"));
                }
                State::Nothing => {
                    assert!(first.contains("data-state=\"nothing_found\""));
                    assert!(first.contains("CHECKED, NOTHING FOUND: no high or critical alert"));
                    assert!(first.contains("No sign of the spyware and stalkerware ferret knows about."));
                    assert!(first.contains("No high or critical alert."));
                    assert!(todo.contains("Keep the results folder") && todo.contains("accessnow.org"));
                    assert!(first.contains("1 of 2 artifacts are not in this acquisition"), "caveats shown");
                }
                State::BuiltinOnly => {
                    assert!(first.contains("data-state=\"nothing_found\""));
                    assert!(first.contains("CHECKED, NOTHING FOUND, but with the built-in indicators only"));
                    assert!(first.contains("Nothing found, but only a few traces were searched for."));
                    assert!(todo.contains("Update the indicators"));
                }
                State::Incomplete => {
                    assert!(first.contains("data-state=\"incomplete\""));
                    assert!(first.contains("INCOMPLETE: this check cannot tell whether the phone is clean"));
                    assert!(first.contains("This check could not be completed."));
                    assert!(first.contains("Why this check is incomplete:"));
                    assert!(first.contains("none of the 1 artifacts this command looks for is in this acquisition"));
                    assert!(todo.contains("Fix what stopped the check") && todo.contains("right kind of acquisition"));
                    assert!(first.contains("Nothing can be said yet"));
                }
            }
            assert_eq!(
                summary.verdict.state == ferret_report::VerdictState::AlertsFound,
                matches!(state, State::Alerts)
            );
        }
        b.screenshot(&url(dir.path()), &format!("first-screen-{name}.png"), true);
    }
}

#[test]
fn chart_marks_evidence_collapsed_labels_legend_and_injection_inert() {
    let Some(b) = browser() else { return };
    let (dir, summary) = folder(&State::Alerts, Lang::En);
    assert_eq!((summary.counts.critical, summary.counts.high), (4, 1));
    let html = std::fs::read_to_string(dir.path().join("report.html")).expect("html");
    assert!(!html.contains(SCRIPT) && !html.contains("<img"), "escaped in the file");
    assert_eq!(html.matches("<script").count(), 1);
    for js in [true, false] {
        let dom = b.dom(&url(dir.path()), js);
        // injected markup stays text
        assert!(dom.contains("<title>ferret report</title>"), "title unchanged");
        assert!(!dom.contains("pwned</title>") && !dom.contains("<title>pwned"));
        assert_eq!(dom.matches("<script").count(), usize::from(js), "no injected script element");
        assert!(!dom.contains("<img"), "no injected image element");
        assert!(dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"), "payload shown as text");
        // the chart: 10 days of events per day, one mark per day holding alerts (days 1, 4, 6, 9)
        let chart = section(&dom, "<svg id=\"chart\"", "</svg>");
        assert!(
            chart.contains("data-bins=\"10\"") && chart.contains("data-marks=\"4\""),
            "{}",
            chart.get(..400).unwrap_or(chart)
        );
        assert_eq!(chart.matches("<path class=\"mark ").count(), 4);
        assert_eq!(chart.matches("<path class=\"mark lvl-CRITICAL\"").count(), 3);
        assert_eq!(chart.matches("<rect class=\"window\"").count(), 1, "infection window shaded");
        assert!(
            chart.contains("<title id=\"chart-t\">Activity over time</title>")
                && chart.contains("<desc id=\"chart-d\">Events per day from 2023-11-15 to 2023-11-24")
        );
        assert!(
            dom.contains("class=\"chart-text\">Events per day from 2023-11-15 to 2023-11-24 (UTC)."),
            "text alternative"
        );
        // evidence: families and alerts collapsed, labels with the raw key, TCC gloss, legend
        let evidence = section(&dom, "<section id=\"evidence\"", "<section id=\"timeline\"");
        assert_eq!(evidence.matches("<details class=\"family\"").count(), 2);
        assert_eq!(evidence.matches("<details class=\"alert-card ").count(), 5);
        assert!(!evidence.contains(" open=\"\""), "evidence collapsed by default");
        assert!(evidence.contains("<th title=\"text_from_attributed_body\">Message text (rich format)</th>"));
        assert!(evidence.contains("<th title=\"url\">Web address (URL)</th>"));
        assert!(evidence.contains("<th title=\"host\">Host</th>"), "unknown keys humanised");
        assert!(evidence.contains("(microphone)"), "TCC service explained");
        assert!(evidence.contains("<details id=\"legend\" class=\"legend\">"));
        assert!(evidence.contains("Four letters, one per kind of file time") && evidence.contains("kTCCServiceCamera"));
        assert!(evidence.contains("<ol class=\"alerts\">"), "lists numbered from 1");
        assert!(!dom.contains("<ol start=\"0\""));
        // the first screen links to the families' evidence
        assert!(dom.contains("<a class=\"fam\" href=\"#fam-1\">Pegasus</a>") && evidence.contains("id=\"fam-1\""));
    }
    // following a link into the collapsed evidence opens it
    let dom = b.dom(&format!("{}#alert-2", url(dir.path())), true);
    assert!(section(&dom, "id=\"fam-1\"", ">").contains("open"), "family opened for #alert-2");
}

#[test]
fn timeline_is_paginated_and_filters_work() {
    let Some(b) = browser() else { return };
    let (dir, summary) = folder(&State::Alerts, Lang::En);
    let base = url(dir.path());
    let dom = b.dom(&base, true);
    let rows = all_rows(&dom);
    let counts = section(&dom, "id=\"tl-counts\"", "</p>");
    // counts that agree: events kept + alert rows = rows listed
    let kept: usize = counts
        .split("data-kept=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .and_then(|s| s.parse().ok())
        .expect("kept");
    assert_eq!(kept + 5, rows, "{counts}");
    assert!(counts.contains(&format!("rows in all: {rows}")), "{counts}");
    assert!(counts.contains("Dated events read from the phone: 1440"), "{counts}");
    assert!(rows > 100, "more than one page: {rows}");
    // JS on: page 1 of N
    assert_eq!(visible_rows(&dom).len(), 100);
    assert!(dom.contains(&format!("<span id=\"tl-shown\">{rows}</span>")));
    assert!(dom.contains(&format!("Rows 1–100 of {rows}")), "status");
    let dom2 = b.dom(&format!("{base}#tl?p=2"), true);
    assert_eq!(visible_rows(&dom2).len(), rows - 100, "page 2");
    assert!(section(&dom2, "<details id=\"tl\"", ">").contains("open"), "a timeline link opens it");
    // alerts and the events they share a time with
    let dom3 = b.dom(&format!("{base}#tl?l=alerts"), true);
    let v = visible_rows(&dom3);
    assert_eq!(v.len(), 10, "5 alert rows + 5 events of an alert");
    assert!(v.iter().all(|r| r.contains("class=\"alert-row\"") || r.contains("class=\"hit\"")));
    assert_eq!(v.iter().filter(|r| r.contains("class=\"alert-row\"")).count(), summary.alerts.len());
    // the legacy link
    assert_eq!(visible_rows(&b.dom(&format!("{base}#alerts-only"), true)).len(), 10);
    // a level
    let v = visible_rows(&b.dom(&format!("{base}#tl?l=HIGH"), true)).len();
    assert_eq!(v, 2, "the HIGH alert and its event");
    // text search
    let v = visible_rows(&b.dom(&format!("{base}#tl?q=h650.evil"), true)).len();
    assert_eq!(v, 2, "the event and its alert");
    // a time range: record 650 is at T0 + 390000 s = 2023-11-19 12:20; ±10 minutes
    let ranged = b.dom(&format!("{base}#tl?from=2023-11-19T12:10&to=2023-11-19T12:30"), true);
    let v = visible_rows(&ranged);
    assert_eq!(v.len(), 4, "3 events and 1 alert: {v:?}");
    // within one hour of an alert, one check
    let near = visible_rows(&b.dom(&format!("{base}#tl?l=near&m=safari_history"), true)).len();
    assert!(near > 10 && near < rows, "{near}");
    // nothing matches
    let dom4 = b.dom(&format!("{base}#tl?q=no-such-text-anywhere"), true);
    assert_eq!(visible_rows(&dom4).len(), 0);
    assert!(dom4.contains("No row matches."));
    // JS off: every row is listed, none hidden
    let dom5 = b.dom(&base, false);
    assert_eq!(visible_rows(&dom5).len(), rows);
    b.screenshot(&format!("{base}#tl?l=near"), "timeline-filtered.png", true);
}

#[test]
fn nothing_is_fetched() {
    let Some(b) = browser() else { return };
    let (dir, _) = folder(&State::Alerts, Lang::En);
    let log = tempfile::tempdir().expect("tmp");
    let net = log.path().join("net.json");
    b.run(&[format!("--log-net-log={}", net.display()), "--dump-dom".into()], &url(dir.path()), true);
    let text = std::fs::read_to_string(&net).expect("net log written");
    let log: serde_json::Value = serde_json::from_str(&text).expect("net log is JSON");
    let events = log.get("events").and_then(|e| e.as_array()).expect("events");
    let mut urls = Vec::new();
    for e in events {
        let p = e.get("params");
        if let Some(u) = p.and_then(|p| p.get("url")).and_then(|u| u.as_str()) {
            let initiator = p.and_then(|p| p.get("initiator")).and_then(|i| i.as_str()).unwrap_or_default();
            urls.push((u.to_string(), initiator.to_string()));
        }
    }
    for (u, initiator) in &urls {
        // Chromium's own background services may show up; nothing of the page may
        assert_ne!(initiator, "null", "the page (an opaque file origin) started {u}");
        for host in ["attacker.example", "writeup.example", "accessnow.org", "amnesty.org", "evil.example", "file://"] {
            assert!(!u.contains(host), "{u} was requested");
        }
    }
}

#[test]
fn arabic_report_renders_right_to_left() {
    let Some(b) = browser() else { return };
    let (dir, _) = folder(&State::Alerts, Lang::Ar);
    let dom = b.dom(&url(dir.path()), true);
    assert!(dom.contains("<html lang=\"ar\" dir=\"rtl\""), "{}", dom.get(..100).unwrap_or(&dom));
    let headline = ferret_report::i18n::text(Lang::Ar, "verdict.alerts_headline").expect("Arabic headline");
    assert_ne!(Some(headline), ferret_report::i18n::text(Lang::En, "verdict.alerts_headline"), "translated");
    assert!(dom.contains(headline), "Arabic text shown");
    assert!(!dom.contains("This phone shows signs of spyware"), "no English left in the fixed text");
    assert!(dom.contains("Pegasus"), "evidence names are shown as they are");
    b.screenshot(&url(dir.path()), "first-screen-ar.png", true);
    // the same folder rebuilt in English, then back in Arabic: byte-identical to the first page
    let first = std::fs::read(dir.path().join("report.html")).expect("html");
    ferret_report::write_report(dir.path(), Lang::En).expect("en");
    assert_eq!(ferret_report::report_language(dir.path()), Some(Lang::En));
    ferret_report::write_report(dir.path(), Lang::Ar).expect("ar");
    assert!(std::fs::read(dir.path().join("report.html")).expect("html") == first);
}

// ---------------------------------------------------------------------------------------------
// PDF

/// Page texts of a PDF as Chromium (Skia) writes it: Flate content streams showing glyph ids
/// (`<hex> Tj`, `[<hex> …] TJ`) of Type0 fonts with a `ToUnicode` CMap.
fn pdf_pages(pdf: &[u8]) -> Vec<String> {
    use std::collections::HashMap;
    let find = |from: usize, needle: &[u8]| -> Option<usize> {
        pdf.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|i| from + i)
    };
    // object number -> byte range of its body
    let mut objects: HashMap<u32, (usize, usize)> = HashMap::new();
    let mut pos = 0;
    while let Some(at) = find(pos, b" 0 obj") {
        let digits = pdf.get(..at).unwrap_or_default().iter().rev().take_while(|c| c.is_ascii_digit()).count();
        let end = find(at, b"endobj").unwrap_or(pdf.len());
        if let Some(n) =
            std::str::from_utf8(pdf.get(at - digits..at).unwrap_or_default()).ok().and_then(|n| n.parse().ok())
        {
            objects.insert(n, (at + 6, end));
        }
        pos = end;
    }
    let body = |n: u32| -> String {
        objects
            .get(&n)
            .and_then(|(a, b)| pdf.get(*a..*b))
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    };
    let stream = |n: u32| -> Vec<u8> {
        let Some((a, b)) = objects.get(&n) else { return Vec::new() };
        let raw = pdf.get(*a..*b).unwrap_or_default();
        let Some(s) = raw.windows(6).position(|w| w == b"stream") else { return Vec::new() };
        let mut start = s + 6;
        while raw.get(start).is_some_and(|c| *c == b'\r' || *c == b'\n') {
            start += 1;
        }
        let end = raw.windows(9).rposition(|w| w == b"endstream").unwrap_or(raw.len());
        let mut out = Vec::new();
        let _ = flate2::read::ZlibDecoder::new(raw.get(start..end).unwrap_or_default()).read_to_end(&mut out);
        out
    };
    let refs = |s: &str, key: &str| -> Option<u32> { s.split(key).nth(1)?.split_whitespace().next()?.parse().ok() };
    let hex = |h: &str| -> Vec<u8> {
        (0..h.len() / 2).filter_map(|i| h.get(2 * i..2 * i + 2).and_then(|b| u8::from_str_radix(b, 16).ok())).collect()
    };
    let utf16 = |b: &[u8]| -> String {
        char::decode_utf16(b.chunks(2).map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
            .map(|c| c.unwrap_or('?'))
            .collect()
    };
    // ToUnicode of a font object: code -> text
    let cmap = |font: u32| -> HashMap<u16, String> {
        let mut m = HashMap::new();
        let Some(tu) = refs(&body(font), "/ToUnicode") else { return m };
        let s = String::from_utf8_lossy(&stream(tu)).into_owned();
        let codes = |t: &str| -> Vec<String> {
            t.split('<').skip(1).filter_map(|x| x.split('>').next()).map(str::to_string).collect()
        };
        for block in s.split("beginbfchar").skip(1) {
            let c = codes(block.split("endbfchar").next().unwrap_or_default());
            for pair in c.chunks(2) {
                if let [k, v] = pair {
                    m.insert(u16::from_str_radix(k, 16).unwrap_or(0), utf16(&hex(v)));
                }
            }
        }
        for block in s.split("beginbfrange").skip(1) {
            let c = codes(block.split("endbfrange").next().unwrap_or_default());
            for tri in c.chunks(3) {
                if let [a, b, v] = tri {
                    let (a, b) = (u16::from_str_radix(a, 16).unwrap_or(0), u16::from_str_radix(b, 16).unwrap_or(0));
                    let base = u16::from_str_radix(v, 16).unwrap_or(0);
                    for k in a..=b {
                        m.insert(k, char::from_u32(u32::from(base + (k - a))).map(String::from).unwrap_or_default());
                    }
                }
            }
        }
        m
    };
    let mut kids: Vec<u32> = Vec::new();
    let mut ordered: Vec<u32> = objects.keys().copied().filter(|n| body(*n).contains("/Type /Pages")).collect();
    ordered.sort();
    if let Some(root) = ordered.first() {
        let k = body(*root).split("/Kids [").nth(1).and_then(|s| s.split(']').next()).unwrap_or_default().to_string();
        let parts: Vec<&str> = k.split_whitespace().collect();
        kids = parts.chunks(3).filter_map(|c| c.first()?.parse().ok()).collect();
    }
    let mut pages = Vec::new();
    for page in kids {
        let b = body(page);
        let b = b.as_str();
        let mut fonts: HashMap<String, HashMap<u16, String>> = HashMap::new();
        if let Some(f) = b.split("/Font <<").nth(1).and_then(|s| s.split(">>").next()) {
            let parts: Vec<&str> = f.split_whitespace().collect();
            for c in parts.chunks(4) {
                if let [name, n, _, _] = c {
                    fonts.insert(name.trim_start_matches('/').to_string(), n.parse().map(cmap).unwrap_or_default());
                }
            }
        }
        let content = refs(b, "/Contents").map(stream).unwrap_or_default();
        let content = String::from_utf8_lossy(&content).into_owned();
        let mut out = String::new();
        let mut font = String::new();
        let mut last = String::new();
        for tok in content.split_whitespace() {
            if tok == "Tf" {
                font = std::mem::take(&mut last);
            } else if tok == "BT" {
                out.push('\n');
            }
            if tok.starts_with('/') {
                last = tok.trim_start_matches('/').to_string();
            }
            for h in tok.split('<').skip(1) {
                let h = h.split('>').next().unwrap_or_default();
                for code in hex(h).chunks(2) {
                    if let [a, b2] = code {
                        let g = u16::from_be_bytes([*a, *b2]);
                        if let Some(s) = fonts.get(&font).and_then(|m| m.get(&g)) {
                            out.push_str(s);
                        }
                    }
                }
            }
        }
        pages.push(out);
    }
    pages
}

#[test]
fn pdf_has_the_first_screen_on_page_one() {
    let Some(_) = browser() else { return };
    let (dir, _) = folder(&State::Alerts, Lang::En);
    let pdf = ferret_report::write_pdf(dir.path()).expect("pdf");
    let bytes = std::fs::read(&pdf).expect("read");
    let _ = std::fs::copy(&pdf, artefacts().join("report-alerts.pdf"));
    assert!(bytes.starts_with(b"%PDF-"));
    let pages = pdf_pages(&bytes);
    assert!(pages.len() >= 2, "the first screen, then the rest: {} pages", pages.len());
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let one = squash(&pages[0].replace('\n', " "));
    for want in [
        "This phone shows signs of spyware or stalkerware.",
        "What was found",
        "Pegasus",
        "What to do now",
        "Access Now Digital Security Helpline",
        "What this check cannot prove:",
    ] {
        assert!(one.contains(want), "page 1 has {want:?}: {one}");
    }
    assert!(!one.contains("Activity over time"), "the chart starts on page 2: {one}");
    let rest = squash(&pages[1..].join(" ").replace('\n', " "));
    assert!(rest.contains("Activity over time") && rest.contains("Evidence"));
    // no browser: a clear error (FERRET_CHROMIUM pointing nowhere)
    let e = ferret_report::pdf::print_pdf(Path::new("/nonexistent/chromium"), dir.path()).expect_err("no browser");
    assert!(e.to_string().contains("cannot start"), "{e}");
}
