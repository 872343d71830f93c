//! `report.html`: one self-contained page a non-expert can read.
//!
//! * No external resource of any kind: CSS and JS are inlined, no image, font or link to
//!   fetch. A Content-Security-Policy `<meta>` allows only the exact inline style and script
//!   (by SHA-256), no network, no forms: even a missed escape could not run code.
//! * Every string that comes from evidence, indicators or the command line goes through
//!   [`esc`] (HTML-escapes `& < > " ' /`), in text and in (always quoted) attributes. No
//!   evidence value is ever placed inside `<script>` or `<style>`.
//! * Deterministic: the page depends only on `info.json` (without its two wall-clock times),
//!   `alerts.json` and the timeline, so it is byte-identical across identical runs.
//! * Bounded: at most [`MAX_ALERT_CARDS`] alert cards (all alerts stay in `alerts.json`),
//!   evidence strings cut at [`MAX_STRING`] characters, and the timeline rows chosen by
//!   [`Selector`] (first events and ±1 h around each alert, at most [`Selector::CAP`] rows).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use ferret_core::{Alert, Level, ModuleStatus};
use jiff::Timestamp;
use serde_json::Value;
use sha2::Digest as _;

use crate::error::ReportError;
use crate::info::{InfoFile, LevelCounts};
use crate::timeline::{AlertIndex, Selector};
use crate::verdict::{Verdict, VerdictState};

/// Alert cards rendered (the rest are counted and left to `alerts.json`).
pub const MAX_ALERT_CARDS: usize = 2000;
/// Longest evidence string shown in full (characters).
pub const MAX_STRING: usize = 2000;
const MAX_DEPTH: usize = 8;
const MAX_ITEMS: usize = 200;

const CSS: &str = include_str!("report.css");
const JS: &str = include_str!("report.js");

/// HTML-escapes text for element content and quoted attribute values.
pub fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_safe(s)
}

fn csp_hash(s: &str) -> String {
    let d = sha2::Sha256::digest(s.as_bytes());
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(d.as_slice()))
}

fn cut(s: &str, max: usize) -> (&str, usize) {
    match s.char_indices().nth(max) {
        Some((i, _)) => (s.get(..i).unwrap_or(s), s.chars().count() - max),
        None => (s, 0),
    }
}

fn push_text(out: &mut String, s: &str, max: usize) {
    let (shown, more) = cut(s, max);
    out.push_str(&esc(shown));
    if more > 0 {
        let _ = write!(out, "<span class=\"muted\"> … ({more} more characters)</span>");
    }
}

fn ts(t: Option<Timestamp>) -> String {
    t.map(ferret_core::time::format).unwrap_or_default()
}

/// Renders any JSON value as nested key/value tables, escaped and bounded.
fn json_html(out: &mut String, v: &Value, depth: usize) {
    if depth >= MAX_DEPTH {
        out.push_str("<code>");
        push_text(out, &v.to_string(), MAX_STRING);
        out.push_str("</code>");
        return;
    }
    match v {
        Value::Null => out.push_str("<span class=\"muted\">(empty)</span>"),
        Value::Bool(b) => out.push_str(if *b { "yes" } else { "no" }),
        Value::Number(n) => out.push_str(&esc(&n.to_string())),
        Value::String(s) => {
            out.push_str("<pre>");
            push_text(out, s, MAX_STRING);
            out.push_str("</pre>");
        }
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("<span class=\"muted\">(none)</span>");
                return;
            }
            out.push_str("<ol start=\"0\">");
            for item in items.iter().take(MAX_ITEMS) {
                out.push_str("<li>");
                json_html(out, item, depth + 1);
                out.push_str("</li>");
            }
            out.push_str("</ol>");
            if items.len() > MAX_ITEMS {
                let _ = write!(out, "<p class=\"muted\">… {} more items</p>", items.len() - MAX_ITEMS);
            }
        }
        Value::Object(map) => {
            out.push_str("<table class=\"kv\">");
            for (k, v) in map.iter().take(MAX_ITEMS) {
                out.push_str("<tr><th>");
                push_text(out, k, 200);
                out.push_str("</th><td>");
                json_html(out, v, depth + 1);
                out.push_str("</td></tr>");
            }
            out.push_str("</table>");
            if map.len() > MAX_ITEMS {
                let _ = write!(out, "<p class=\"muted\">… {} more fields</p>", map.len() - MAX_ITEMS);
            }
        }
    }
}

fn kv_row(out: &mut String, key: &str, value: &str) {
    let _ = write!(out, "<tr><th>{}</th><td>", esc(key));
    push_text(out, value, MAX_STRING);
    out.push_str("</td></tr>");
}

fn counts_text(c: &LevelCounts) -> String {
    let parts: Vec<String> =
        Level::ALL.iter().rev().map(|l| format!("{} {}", c.get(*l), l.as_str().to_lowercase())).collect();
    parts.join(", ")
}

fn verdict_section(out: &mut String, verdict: &Verdict, counts: &LevelCounts) {
    let (class, explain) = match verdict.state {
        VerdictState::AlertsFound => (
            "alert",
            "ferret found traces that match known spyware or stalkerware, or strong signs of tampering. \
             This is a warning, not a final answer: ask an expert in digital security (for example a \
             helpline for journalists or human-rights defenders) to review the alerts below before \
             acting. Until then, assume the phone may be monitored and do not discuss this check on it.",
        ),
        VerdictState::Incomplete => (
            "incomplete",
            "This check could not do its job, so its result says nothing about whether the phone is \
             clean. The reasons are listed below: fix them (the right acquisition, a complete copy, \
             working indicator files) and check again.",
        ),
        VerdictState::NothingFound if verdict.builtin_indicators_only => (
            "partial",
            "ferret read the data listed below and found no high or critical alert, but it searched only \
             for the few traces it ships with: the public indicators of Pegasus, Predator and stalkerware \
             were not loaded. Update the indicators (ferret iocs update) and check again before relying on it.",
        ),
        VerdictState::NothingFound => (
            "ok",
            "ferret found no trace of the spyware and stalkerware it knows about. This does not prove \
             that the phone is clean: read “What this result does and does not prove” below.",
        ),
    };
    let _ = write!(
        out,
        "<section class=\"verdict {class}\" data-state=\"{}\"><p class=\"headline\" id=\"verdict\">{}</p><p>{}</p>",
        match verdict.state {
            VerdictState::AlertsFound => "alerts_found",
            VerdictState::NothingFound => "nothing_found",
            VerdictState::Incomplete => "incomplete",
        },
        esc(&verdict.headline()),
        esc(explain)
    );
    if !verdict.incomplete.is_empty() {
        out.push_str("<p><strong>Why this check is incomplete:</strong></p><ul class=\"incomplete\">");
        for r in &verdict.incomplete {
            out.push_str("<li>");
            push_text(out, r, 500);
            out.push_str("</li>");
        }
        out.push_str("</ul>");
    }
    let _ = write!(
        out,
        "<p id=\"coverage\">{} kind{} of data read; {} not in this acquisition (not checked); {} could not be read \
         (see “Checks run”).</p>",
        verdict.artifacts_read,
        if verdict.artifacts_read == 1 { "" } else { "s" },
        verdict.artifacts_not_present,
        verdict.checks_failed
    );
    if !verdict.caveats.is_empty() {
        out.push_str("<p><strong>What this answer does not cover:</strong></p><ul class=\"caveats\">");
        for c in &verdict.caveats {
            out.push_str("<li>");
            push_text(out, c, 500);
            out.push_str("</li>");
        }
        out.push_str("</ul>");
    }
    let lower = counts.medium + counts.low + counts.informational;
    if lower > 0 {
        let _ = write!(
            out,
            "<p>{lower} lower-level alert{} (medium, low or informational) {} listed for context; they are often harmless.</p>",
            if lower == 1 { "" } else { "s" },
            if lower == 1 { "is" } else { "are" }
        );
    }
    let _ = write!(
        out,
        "<p id=\"alert-count\" data-total=\"{}\">{} alert{} in total: {}.</p></section>",
        counts.total(),
        counts.total(),
        if counts.total() == 1 { "" } else { "s" },
        esc(&counts_text(counts))
    );
}

fn device_section(out: &mut String, info: &InfoFile) {
    let run = &info.run;
    out.push_str("<h2 id=\"device\">The phone and the data checked</h2><table class=\"kv\">");
    kv_row(out, "Device model", run.device.model.as_deref().unwrap_or("unknown"));
    kv_row(out, "Operating system", run.device.os_version.as_deref().unwrap_or("unknown"));
    for (k, v) in &run.device.other {
        kv_row(out, k, v);
    }
    kv_row(out, "Acquisition type", &run.target.kind.replace('_', " "));
    kv_row(out, "Checked path", &run.target.path);
    match run.target.hashes.as_slice() {
        [] => kv_row(out, "Input SHA-256", "not computed"),
        [one] => kv_row(out, "Input SHA-256", &format!("{} ({})", one.sha256, one.path)),
        many => {
            let _ = write!(
                out,
                "<tr><th>Input SHA-256</th><td>{} files hashed (all listed in info.json)<details><summary>show</summary><table>",
                many.len()
            );
            for h in many.iter().take(MAX_ITEMS) {
                let _ = write!(out, "<tr><td class=\"mono\">{}</td><td>", esc(&h.sha256));
                push_text(out, &h.path, 500);
                out.push_str("</td></tr>");
            }
            out.push_str("</table></details></td></tr>");
        }
    }
    out.push_str("</table>");
}

fn indicators_section(out: &mut String, info: &InfoFile) {
    out.push_str("<h2 id=\"indicators\">Indicator sets used</h2>");
    let ind = &info.run.indicators;
    let files = ind.get("files").and_then(Value::as_array);
    match files {
        Some(files) if !files.is_empty() => {
            out.push_str("<p>Indicators are traces published by researchers (domains, file names, app ids…) of known spyware.</p>");
            out.push_str(
                "<table><thead><tr><th>Set</th><th>File</th><th>Indicators</th><th>SHA-256</th></tr></thead><tbody>",
            );
            for f in files.iter().take(MAX_ITEMS) {
                let s = |k: &str| {
                    f.get(k).map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string)).unwrap_or_default()
                };
                out.push_str("<tr><td>");
                push_text(out, &s("set_name"), 300);
                out.push_str("</td><td>");
                push_text(out, &s("path"), 500);
                out.push_str("</td><td>");
                push_text(out, &s("total"), 50);
                out.push_str("</td><td class=\"mono\">");
                push_text(out, &s("sha256"), 100);
                out.push_str("</td></tr>");
            }
            out.push_str("</tbody></table>");
            if let Some(total) = ind.get("total").and_then(Value::as_u64) {
                let _ = write!(out, "<p>{total} distinct indicators in all.</p>");
            }
            if let Some(rej) = ind.get("rejected_patterns").and_then(Value::as_array).filter(|r| !r.is_empty()) {
                let _ =
                    write!(out, "<p>{} indicator pattern(s) could not be used (listed in info.json).</p>", rej.len());
            }
        }
        _ if ind.is_null() => out.push_str("<p><strong>None.</strong> No indicator file was loaded.</p>"),
        _ => {
            out.push_str("<details><summary>Indicator load report</summary>");
            json_html(out, ind, 0);
            out.push_str("</details>");
        }
    }
}

fn alerts_section(out: &mut String, alerts: &[Alert]) {
    out.push_str("<h2 id=\"alerts\">Alerts</h2>");
    if alerts.is_empty() {
        out.push_str("<p>No alert.</p>");
        return;
    }
    out.push_str(
        "<p>Most serious first. Each alert shows the record from the phone that caused it and the check \
         (module) that raised it. <b>CRITICAL</b>: matches a known spyware indicator. <b>HIGH</b>: strong sign \
         of compromise or tampering. <b>MEDIUM</b>: suspicious, needs review. <b>LOW</b>/<b>INFORMATIONAL</b>: \
         context, commonly harmless.</p>",
    );
    let mut order: Vec<&Alert> = alerts.iter().collect();
    order.sort_by_key(|a| std::cmp::Reverse(a.level)); // stable: canonical order within a level
    for (i, a) in order.iter().take(MAX_ALERT_CARDS).enumerate() {
        let lvl = a.level.as_str();
        let _ = write!(
            out,
            "<article class=\"alert-card l-{lvl}\" id=\"alert-{i}\"><div><span class=\"badge lvl-{lvl}\">{lvl}</span> \
             <span class=\"muted\">module</span> <code>{}</code>",
            esc(&a.module)
        );
        if let Some(t) = a.event_time {
            let _ = write!(out, " <span class=\"muted\">at</span> {} UTC", esc(&ferret_core::time::format(t)));
        }
        out.push_str("</div><p class=\"msg\">");
        push_text(out, &a.message, MAX_STRING);
        out.push_str("</p>");
        if let Some(m) = &a.matched_indicator {
            out.push_str("<p class=\"ioc\">Matched indicator <code>");
            push_text(out, &m.value, 500);
            out.push_str("</code> (");
            push_text(out, &m.kind, 100);
            out.push_str(") of <strong>");
            push_text(out, &m.name, 300);
            out.push_str("</strong>, from ");
            push_text(out, &m.stix2_file_name, 300);
            out.push_str("</p>");
        }
        // Serious alerts show their record unfolded (also when printed).
        out.push_str(if a.level >= Level::High { "<details open>" } else { "<details>" });
        out.push_str("<summary>Evidence record</summary>");
        json_html(out, &a.event, 0);
        out.push_str("</details></article>");
    }
    if alerts.len() > MAX_ALERT_CARDS {
        let _ = write!(
            out,
            "<p><strong>{} more alerts are not shown here</strong>; all alerts are in alerts.json.</p>",
            alerts.len() - MAX_ALERT_CARDS
        );
    }
}

enum Row<'a> {
    Alert(&'a Alert),
    Event(&'a crate::timeline::ReportRow),
}

fn timeline_section(out: &mut String, alerts: &[Alert], sel: &Selector) {
    out.push_str("<h2 id=\"timeline\">Timeline</h2>");
    if sel.total == 0 {
        out.push_str("<p>No timeline events were recorded.</p>");
        if alerts.iter().all(|a| a.event_time.is_none()) {
            return;
        }
    } else {
        let _ = write!(
            out,
            "<p>The timeline has {} events (all in timeline.csv and timeline.jsonl). Shown here: the first {} events and every \
             event within one hour of an alert, at most {} rows ({} shown{}). Alerts are red rows; events of the same check at \
             the same moment as an alert are highlighted. Times are UTC.</p>",
            sel.total,
            Selector::HEAD,
            Selector::CAP,
            sel.rows.len(),
            if sel.omitted > 0 { format!("; {} nearby events left out", sel.omitted) } else { String::new() }
        );
    }
    let timed: Vec<&Alert> = alerts.iter().filter(|a| a.event_time.is_some()).collect();
    let mut rows: Vec<Row<'_>> = Vec::with_capacity(sel.rows.len() + timed.len());
    let (mut i, mut j) = (0, 0);
    while i < timed.len() || j < sel.rows.len() {
        let take_alert = match (timed.get(i), sel.rows.get(j)) {
            (Some(a), Some(r)) => a.event_time.is_some_and(|t| t <= r.event.timestamp),
            (Some(_), None) => true,
            _ => false,
        };
        if take_alert {
            if let Some(a) = timed.get(i) {
                rows.push(Row::Alert(a));
            }
            i += 1;
        } else {
            if let Some(r) = sel.rows.get(j) {
                rows.push(Row::Event(r));
            }
            j += 1;
        }
    }
    let modules: BTreeSet<&str> = rows
        .iter()
        .map(|r| match r {
            Row::Alert(a) => a.module.as_str(),
            Row::Event(e) => e.event.module.as_str(),
        })
        .collect();
    out.push_str(
        "<div class=\"controls\"><label>Search <input type=\"search\" id=\"tl-q\"></label>\
         <label><input type=\"checkbox\" id=\"tl-only\"> alerts only</label><label>Check <select id=\"tl-mod\"><option value=\"\">all</option>",
    );
    for m in &modules {
        let _ = write!(out, "<option value=\"{0}\">{0}</option>", esc(m));
    }
    let _ = write!(
        out,
        "</select></label><span class=\"muted\"><span id=\"tl-shown\">{}</span> rows</span></div>",
        rows.len()
    );
    out.push_str("<table id=\"tl-table\"><thead><tr><th>Time (UTC)</th><th>Check</th><th>Event</th><th>Description</th></tr></thead><tbody>");
    for r in rows {
        match r {
            Row::Alert(a) => {
                let _ = write!(
                    out,
                    "<tr class=\"alert-row\" data-m=\"{m}\"><td class=\"mono\">{t}</td><td>{m}</td><td><span class=\"badge lvl-{l}\">{l}</span></td><td>",
                    m = esc(&a.module),
                    t = esc(&ts(a.event_time)),
                    l = a.level.as_str()
                );
                push_text(out, &a.message, 500);
                out.push_str("</td></tr>");
            }
            Row::Event(e) => {
                let class = if e.alert.is_some() { " class=\"hit\"" } else { "" };
                let _ = write!(
                    out,
                    "<tr{class} data-m=\"{m}\"><td class=\"mono\">{t}</td><td>{m}</td><td>{ev}</td><td>",
                    m = esc(&e.event.module),
                    t = esc(&ferret_core::time::format(e.event.timestamp)),
                    ev = esc(&e.event.event)
                );
                push_text(out, &e.event.data, 500);
                out.push_str("</td></tr>");
            }
        }
    }
    out.push_str("</tbody></table>");
}

fn modules_section(out: &mut String, info: &InfoFile) {
    out.push_str("<h2 id=\"modules\">Checks run</h2>");
    out.push_str(
        "<p>Each check reads one kind of data. “Not in this acquisition” means that data was absent, so it \
         was <strong>not checked</strong> (normal: each type of acquisition holds only some of them); it is not \
         a clean result for that data. A failed check could not read its data; its traces were not searched.</p>",
    );
    out.push_str(
        "<table><thead><tr><th>Check</th><th>Result</th><th>Records</th><th>Problems</th></tr></thead><tbody>",
    );
    for m in &info.modules {
        let (class, text, records, error) = match &m.status {
            ModuleStatus::Completed { records } => ("completed", "read and checked", records.to_string(), None),
            ModuleStatus::NotFound => ("not_found", "not in this acquisition: not checked", String::new(), None),
            ModuleStatus::Failed { error, records } => ("failed", "FAILED", records.to_string(), Some(error.as_str())),
        };
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td class=\"st-{class}\">{text}</td><td>{records}</td><td>",
            esc(&m.module)
        );
        if let Some(e) = error {
            out.push_str("<pre>");
            push_text(out, e, MAX_STRING);
            out.push_str("</pre>");
        }
        if !m.warnings.is_empty() {
            let _ = write!(out, "<details><summary>{} warning(s)</summary><ul>", m.warnings.len());
            for w in m.warnings.iter().take(MAX_ITEMS) {
                out.push_str("<li>");
                push_text(out, w, 500);
                out.push_str("</li>");
            }
            out.push_str("</ul></details>");
        }
        out.push_str("</td></tr>");
    }
    out.push_str("</tbody></table>");
}

const PROVES: &str = "<h2 id=\"meaning\">What this result does and does not prove</h2><ul>\
<li><strong>An alert is a lead, not a verdict.</strong> A CRITICAL alert means a value on the phone matches a trace \
that researchers linked to spyware. Matches can have innocent explanations (a shared web service, an old \
indicator); an expert should confirm them.</li>\
<li><strong>No alert does not mean the phone is clean.</strong> ferret only finds traces it has indicators or \
checks for. New or unknown spyware, spyware that cleaned up after itself, and data that this kind of acquisition \
does not contain are not seen.</li>\
<li><strong>The result is only as recent as the indicators.</strong> Re-check later with newer indicators \
(<code>ferret check-iocs</code>) even if nothing was found today.</li>\
<li><strong>The check reads a copy.</strong> It looked at the acquisition listed above, made at one moment; \
later changes on the phone are not covered.</li>\
<li>If the alerts worry you, contact a digital-security helpline for journalists, activists or human-rights \
defenders, and share this report and the results folder with them.</li></ul>";

/// Renders the page.
pub(crate) fn render(info: &InfoFile, alerts: &[Alert], sel: &Selector) -> String {
    let mut counts = LevelCounts::default();
    for a in alerts {
        counts.add(a.level);
    }
    let verdict = info.verdict();
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src {}; script-src {}; \
         img-src 'none'; font-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\"><title>ferret report</title><style>{CSS}</style></head><body>\n",
        csp_hash(CSS),
        csp_hash(JS)
    );
    out.push_str("<h1>ferret: spyware check report</h1>\n");
    verdict_section(&mut out, &verdict, &counts);
    out.push('\n');
    device_section(&mut out, info);
    out.push('\n');
    indicators_section(&mut out, info);
    out.push('\n');
    alerts_section(&mut out, alerts);
    out.push('\n');
    timeline_section(&mut out, alerts, sel);
    out.push('\n');
    modules_section(&mut out, info);
    out.push('\n');
    out.push_str(PROVES);
    out.push_str("\n<footer><p>Made by ferret ");
    out.push_str(&esc(&info.run.ferret_version));
    out.push_str(". Command: <code>");
    push_text(&mut out, &info.run.command_line.join(" "), MAX_STRING);
    out.push_str("</code>. The start and end times of the check are in info.json.");
    if let Some(r) = &info.run.recheck_of {
        out.push_str(" This is a re-check of the stored results in <code>");
        push_text(&mut out, r, 500);
        out.push_str("</code> with the indicators listed above (no new data was read from the phone).");
    }
    let _ = write!(out, "</p></footer>\n<script>{JS}</script>\n</body></html>\n");
    out
}

pub(crate) fn write(dir: &Path, info: &InfoFile, alerts: &[Alert], sel: &Selector) -> Result<(), ReportError> {
    let path = dir.join("report.html");
    std::fs::write(&path, render(info, alerts, sel)).map_err(|e| ReportError::io("write", &path, e))
}

/// Rebuilds `report.html` from an existing results folder (`ferret report RESULTS`): reads
/// `info.json`, `alerts.json` and streams `timeline.csv` (for a `check-iocs` folder, the
/// re-checked folder's). Returns the path written. The page is byte-identical to the one the
/// run wrote.
pub fn write_report(dir: &Path) -> Result<PathBuf, ReportError> {
    let info_path = dir.join("info.json");
    if !info_path.is_file() {
        return Err(ReportError::Format {
            path: dir.to_path_buf(),
            reason: "not a ferret results folder (no info.json)".into(),
        });
    }
    let info: InfoFile = read_json(&info_path)?;
    let alerts_path = dir.join("alerts.json");
    let alerts: Vec<Alert> = if alerts_path.is_file() { read_json(&alerts_path)? } else { Vec::new() };
    let index = AlertIndex::new(&alerts);
    let times: Vec<Timestamp> =
        alerts.iter().filter_map(|a| a.event_time).collect::<BTreeSet<_>>().into_iter().collect();
    let mut sel = Selector::new(&times);
    let mut tl = dir.join("timeline.csv");
    if !tl.is_file()
        && let Some(r) = &info.run.recheck_of
    {
        tl = dir.join(r).join("timeline.csv");
    }
    if tl.is_file() {
        crate::timeline::select_from_csv(&tl, &index, &mut sel)?;
    }
    write(dir, &info, &alerts, &sel)?;
    Ok(dir.join("report.html"))
}

pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ReportError> {
    let f = std::fs::File::open(path).map_err(|e| ReportError::io("open", path, e))?;
    serde_json::from_reader(std::io::BufReader::new(f)).map_err(|e| ReportError::json(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_cuts() {
        assert_eq!(esc("<script>\"'&/"), "&lt;script&gt;&quot;&#x27;&amp;&#x2F;");
        let (s, more) = cut("ééé", 2);
        assert_eq!((s, more), ("éé", 1));
        let mut o = String::new();
        json_html(&mut o, &serde_json::json!({"<k>": ["<v>", 1, null, {"x": true}]}), 0);
        assert!(o.contains("&lt;k&gt;") && o.contains("&lt;v&gt;") && !o.contains("<v>"));
        let mut deep = serde_json::json!("</script>");
        for _ in 0..50 {
            deep = serde_json::json!([deep]);
        }
        let mut o = String::new();
        json_html(&mut o, &deep, 0);
        assert!(!o.contains("</script>"));
    }

    fn info(indicators: Value) -> InfoFile {
        InfoFile {
            run: crate::RunInfo { indicators, ..Default::default() },
            modules: Vec::new(),
            alerts: LevelCounts::default(),
            timeline_events: 0,
            verdict: None,
        }
    }

    #[test]
    fn caps_alert_cards_and_warns_without_indicators() {
        let alerts: Vec<Alert> = (0..MAX_ALERT_CARDS + 5)
            .map(|i| Alert {
                level: Level::Low,
                module: "m".into(),
                message: format!("a{i}"),
                event_time: None,
                event: serde_json::json!({"s": "x".repeat(MAX_STRING + 10)}),
                matched_indicator: None,
            })
            .collect();
        let html = render(&info(Value::Null), &alerts, &Selector::new(&[]));
        assert!(html.contains("5 more alerts are not shown here"));
        assert!(html.contains("(10 more characters)"));
        assert!(html.contains("no indicator was loaded: known spyware was not searched for"), "{html}");
        // no module ran: the verdict is incomplete, never "clean"
        assert!(html.contains("data-state=\"incomplete\""));
        assert!(html.contains("INCOMPLETE: this check cannot tell whether the phone is clean"));
        assert_eq!(html.matches("class=\"alert-card ").count(), MAX_ALERT_CARDS);
        let html = render(&info(serde_json::json!({"files": [], "total": 0})), &[], &Selector::new(&[]));
        assert!(html.contains("no indicator was loaded") && html.contains("0 alerts in total"));
    }

    #[test]
    fn csp_hashes_match_inline_blocks() {
        let h = csp_hash("x");
        assert!(h.starts_with("'sha256-") && h.ends_with("='"));
    }
}
