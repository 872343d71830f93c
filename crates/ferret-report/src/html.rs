//! `report.html`: one self-contained page a non-expert can read, in their language.
//!
//! # What the page holds, top to bottom
//! 1. **The first screen** ([`crate::firstscreen`]): the verdict in plain words, what was found
//!    (one line per spyware family or campaign: alerts, likely infection window, strongest
//!    evidence, public write-up) and what to do now (keep the phone as it is, where to get
//!    help, what this check cannot prove). Printed, it is page one.
//! 2. For a re-check (`check-iocs`), what changed since the original check ([`crate::changes`]).
//! 3. **Activity over time** ([`crate::chart`]): an inline SVG of events per hour/day/week,
//!    alerts marked, the infection window shaded, with a text alternative.
//! 4. **Evidence** ([`crate::evidence`]): alerts by family then check, each a one-line summary
//!    opening to its record (collapsed), fields with human labels, a legend for codes.
//! 5. **Timeline**: the events kept by [`Selector`] (collapsed); with JavaScript paginated and
//!    filtered (text, check, level, time range; alerts ±1 h highlighted), without it listed.
//! 6. The phone and data checked, indicator sets, checks run, what the result does and does
//!    not prove, the command line.
//!
//! # Rules
//! * No external resource of any kind: CSS and JS are inlined, no image, font or script to
//!   fetch. A Content-Security-Policy `<meta>` allows only the exact inline style and script
//!   (by SHA-256), no network, no forms: even a missed escape could not run code. DNS
//!   prefetching is off; the only links out (write-ups, helplines) are plain `<a>` that nothing
//!   fetches unless the reader follows them.
//! * Every string that comes from evidence, indicators or the command line goes through
//!   [`esc`] (HTML-escapes `& < > " ' /`), in text and in (always quoted) attributes. No
//!   evidence value is ever placed inside `<script>` or `<style>`; the script reads its few
//!   words from `data-` attributes.
//! * Deterministic: the page depends only on `info.json` (without its two wall-clock times),
//!   `alerts.json`, the timeline, the language and, for a re-check, the re-checked folder's
//!   `alerts.json` and `info.json`; it is byte-identical across identical runs.
//! * Bounded: at most [`MAX_ALERT_CARDS`] alerts rendered (all stay in `alerts.json`), evidence
//!   strings cut at [`MAX_STRING`] characters, the timeline rows chosen by [`Selector`] (at most
//!   [`Selector::CAP`]), the chart at most a few hundred bars whatever the number of events.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use ferret_core::{Alert, Level, ModuleStatus};
use jiff::Timestamp;
use serde_json::Value;
use sha2::Digest as _;

use crate::error::ReportError;
use crate::evidence::{Ctx, MAX_ITEMS, json_html};
use crate::i18n::{Lang, Text, num};
use crate::info::{InfoFile, LevelCounts};
use crate::labels;
use crate::timeline::{AlertIndex, Selector};

/// Alerts rendered (the rest are counted and left to `alerts.json`).
pub const MAX_ALERT_CARDS: usize = 2000;
/// Longest evidence string shown in full (characters).
pub const MAX_STRING: usize = 2000;
/// Timeline rows per page when JavaScript paginates.
pub const TIMELINE_PAGE: usize = 100;

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

/// `s` cut at `max` characters, and how many were cut.
pub(crate) fn cut(s: &str, max: usize) -> (&str, usize) {
    match s.char_indices().nth(max) {
        Some((i, _)) => (s.get(..i).unwrap_or(s), s.chars().count() - max),
        None => (s, 0),
    }
}

/// Escaped text cut at `max` characters (an ellipsis marks the cut).
pub(crate) fn push_text(out: &mut String, s: &str, max: usize) {
    let (shown, more) = cut(s, max);
    out.push_str(&esc(shown));
    if more > 0 {
        out.push('…');
    }
}

fn kv_row(out: &mut String, t: &Text, label: &str, raw: Option<&str>, value: &str) {
    match raw {
        Some(k) => {
            let _ = write!(out, "<tr><th title=\"{}\">{}</th><td>", esc(k), esc(label));
        }
        None => {
            let _ = write!(out, "<tr><th>{}</th><td>", esc(label));
        }
    }
    match value {
        "true" => out.push_str(&t.e("evidence.yes")),
        "false" => out.push_str(&t.e("evidence.no")),
        _ => {
            out.push_str("<bdi>");
            push_text(out, value, MAX_STRING);
            out.push_str("</bdi>");
        }
    }
    out.push_str("</td></tr>");
}

fn device_section(out: &mut String, t: &Text, info: &InfoFile) {
    let run = &info.run;
    let _ = write!(out, "<section id=\"device\"><h2>{}</h2><table class=\"kv\">", t.e("device.title"));
    let unknown = t.s("device.unknown");
    kv_row(out, t, t.s("device.model"), None, run.device.model.as_deref().unwrap_or(unknown));
    kv_row(out, t, t.s("device.os"), None, run.device.os_version.as_deref().unwrap_or(unknown));
    for (k, v) in &run.device.other {
        kv_row(out, t, &labels::field(t, k), Some(k), v);
    }
    let kind =
        t.get(&format!("kind.{}", run.target.kind)).map_or_else(|| run.target.kind.replace('_', " "), str::to_string);
    kv_row(out, t, t.s("device.kind"), Some(&run.target.kind), &kind);
    kv_row(out, t, t.s("device.path"), None, &run.target.path);
    match run.target.hashes.as_slice() {
        [] => kv_row(out, t, t.s("device.hash"), None, t.s("device.not_computed")),
        [one] => kv_row(out, t, t.s("device.hash"), None, &format!("{} ({})", one.sha256, one.path)),
        many => {
            let _ = write!(
                out,
                "<tr><th>{}</th><td>{}<details><summary>{}</summary><table>",
                t.e("device.hash"),
                t.h("device.hashes", &[("n", &num(many.len()))]),
                t.e("device.show")
            );
            for h in many.iter().take(MAX_ITEMS) {
                let _ = write!(out, "<tr><td class=\"mono\">{}</td><td><bdi>", esc(&h.sha256));
                push_text(out, &h.path, 500);
                out.push_str("</bdi></td></tr>");
            }
            out.push_str("</table></details></td></tr>");
        }
    }
    out.push_str("</table></section>");
}

fn indicators_section(out: &mut String, t: &Text, info: &InfoFile) {
    let _ = write!(out, "<section id=\"indicators\"><h2>{}</h2>", t.e("indicators.title"));
    let ind = &info.run.indicators;
    let files = ind.get("files").and_then(Value::as_array);
    match files {
        Some(files) if !files.is_empty() => {
            let _ = write!(
                out,
                "<p>{}</p><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
                t.e("indicators.intro"),
                t.e("indicators.col_set"),
                t.e("indicators.col_file"),
                t.e("indicators.col_count"),
                t.e("indicators.col_sha")
            );
            for f in files.iter().take(MAX_ITEMS) {
                let s = |k: &str| {
                    f.get(k).map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string)).unwrap_or_default()
                };
                out.push_str("<tr><td>");
                push_text(out, &s("set_name"), 300);
                out.push_str("</td><td><bdi>");
                push_text(out, &s("path"), 500);
                out.push_str("</bdi></td><td>");
                push_text(out, &s("total"), 50);
                out.push_str("</td><td class=\"mono\">");
                push_text(out, &s("sha256"), 100);
                out.push_str("</td></tr>");
            }
            out.push_str("</tbody></table>");
            if let Some(total) = ind.get("total").and_then(Value::as_u64) {
                let _ = write!(out, "<p>{}</p>", t.h("indicators.total", &[("n", &num(total))]));
            }
            if let Some(rej) = ind.get("rejected_patterns").and_then(Value::as_array).filter(|r| !r.is_empty()) {
                let _ = write!(out, "<p>{}</p>", t.h("indicators.rejected", &[("n", &num(rej.len()))]));
            }
        }
        _ if ind.is_null() => {
            let _ = write!(out, "<p><strong>{}</strong></p>", t.e("indicators.none"));
        }
        _ => {
            let _ = write!(out, "<details><summary>{}</summary>", t.e("indicators.report"));
            json_html(out, Ctx { t, module: "" }, ind, 0);
            out.push_str("</details>");
        }
    }
    out.push_str("</section>");
}

enum Row<'a> {
    Alert(&'a Alert),
    Event(&'a crate::timeline::ReportRow),
}

fn event_cell(out: &mut String, t: &Text, event: &str) {
    match labels::macb(t, event) {
        Some(g) => {
            let _ = write!(out, "<abbr title=\"{}\">{}</abbr>", esc(&g), esc(event));
        }
        None => out.push_str(&esc(event)),
    }
}

fn timeline_section(out: &mut String, t: &Text, alerts: &[Alert], sel: &Selector) {
    let _ = write!(out, "<section id=\"timeline\"><h2>{}</h2>", t.e("timeline.title"));
    let timed: Vec<&Alert> = alerts.iter().filter(|a| a.event_time.is_some()).collect();
    if sel.total == 0 {
        let _ = write!(out, "<p>{}</p>", t.e("timeline.none"));
        if timed.is_empty() {
            out.push_str("</section>");
            return;
        }
    }
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
    if sel.total > 0 {
        let _ = write!(
            out,
            "<p id=\"tl-counts\" data-total=\"{}\" data-kept=\"{}\" data-alerts=\"{}\">{}",
            sel.total,
            sel.rows.len(),
            timed.len(),
            t.h(
                "timeline.counts",
                &[
                    ("total", &num(sel.total)),
                    ("kept", &num(sel.rows.len())),
                    ("head", &num(Selector::HEAD)),
                    ("alerts", &num(timed.len())),
                    ("rows", &num(rows.len()))
                ]
            )
        );
        if sel.omitted > 0 {
            let _ =
                write!(out, " {}", t.h("timeline.capped", &[("n", &num(sel.omitted)), ("cap", &num(Selector::CAP))]));
        }
        out.push_str("</p>");
    }
    let modules: BTreeSet<&str> = rows
        .iter()
        .map(|r| match r {
            Row::Alert(a) => a.module.as_str(),
            Row::Event(e) => e.event.module.as_str(),
        })
        .collect();
    let _ = write!(
        out,
        "<details id=\"tl\" class=\"timeline\"><summary>{}</summary>",
        t.h("timeline.show", &[("n", &num(rows.len()))])
    );
    let _ = write!(
        out,
        "<div class=\"controls js-only\"><label>{} <input type=\"search\" id=\"tl-q\"></label>\
         <label>{} <select id=\"tl-mod\"><option value=\"\">{}</option>",
        t.e("timeline.search"),
        t.e("timeline.check"),
        t.e("timeline.all")
    );
    for m in &modules {
        let _ = write!(out, "<option value=\"{}\">{}</option>", esc(m), esc(&labels::module(t, m)));
    }
    let _ = write!(
        out,
        "</select></label><label>{} <select id=\"tl-lvl\"><option value=\"\">{}</option><option value=\"alerts\">{}</option><option value=\"near\">{}</option>",
        t.e("timeline.show_rows"),
        t.e("timeline.all_rows"),
        t.e("timeline.alerts_rows"),
        t.e("timeline.near_rows")
    );
    for l in Level::ALL.iter().rev() {
        let _ = write!(out, "<option value=\"{}\">{}</option>", l.as_str(), t.e(&format!("level.{}", l.as_str())));
    }
    let _ = write!(
        out,
        "</select></label><label>{} <input type=\"datetime-local\" id=\"tl-from\" step=\"1\"></label>\
         <label>{} <input type=\"datetime-local\" id=\"tl-to\" step=\"1\"></label><span class=\"muted\">UTC</span></div>\
         <div class=\"pager js-only\"><button type=\"button\" id=\"tl-prev\">{}</button> \
         <span id=\"tl-status\" data-fmt=\"{}\" data-none=\"{}\"></span> <button type=\"button\" id=\"tl-next\">{}</button> \
         <span class=\"muted\">{}</span></div>\
         <p class=\"nojs\">{}</p>",
        t.e("timeline.from"),
        t.e("timeline.to"),
        t.e("timeline.prev"),
        t.e("timeline.status"),
        t.e("timeline.no_match"),
        t.e("timeline.next"),
        t.h("timeline.matching", &[("n", &format!("<span id=\"tl-shown\">{}</span>", rows.len()))]),
        t.e("timeline.nojs")
    );
    let _ = write!(
        out,
        "<p class=\"tl-key\"><span class=\"key alert-row\"></span> {} <span class=\"key hit\"></span> {} <span class=\"key near\"></span> {}</p>",
        t.e("timeline.key_alert"),
        t.e("timeline.key_hit"),
        t.e("timeline.key_near")
    );
    let _ = write!(
        out,
        "<table id=\"tl-table\" data-page=\"{TIMELINE_PAGE}\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        t.e("timeline.col_time"),
        t.e("timeline.col_check"),
        t.e("timeline.col_event"),
        t.e("timeline.col_description")
    );
    for r in rows {
        match r {
            Row::Alert(a) => {
                let secs = a.event_time.map(|x| x.as_second()).unwrap_or_default();
                let _ = write!(
                    out,
                    "<tr class=\"alert-row\" data-m=\"{m}\" data-l=\"{l}\" data-t=\"{secs}\"><td class=\"mono\">{time}</td><td title=\"{m}\">{ml}</td>\
                     <td><span class=\"badge lvl-{l}\" title=\"{l}\">{ll}</span></td><td dir=\"auto\">",
                    m = esc(&a.module),
                    ml = esc(&labels::module(t, &a.module)),
                    time = esc(&a.event_time.map(ferret_core::time::format).unwrap_or_default()),
                    l = a.level.as_str(),
                    ll = t.e(&format!("level.{}", a.level.as_str()))
                );
                push_text(out, &a.message, 500);
                out.push_str("</td></tr>");
            }
            Row::Event(e) => {
                let class = match (e.alert, e.near) {
                    (Some(_), _) => " class=\"hit\"",
                    (None, true) => " class=\"near\"",
                    (None, false) => "",
                };
                let level = e.alert.map(|l| format!(" data-l=\"{}\"", l.as_str())).unwrap_or_default();
                let _ = write!(
                    out,
                    "<tr{class} data-m=\"{m}\"{level} data-t=\"{secs}\"><td class=\"mono\">{time}</td><td title=\"{m}\">{ml}</td><td>",
                    m = esc(&e.event.module),
                    ml = esc(&labels::module(t, &e.event.module)),
                    secs = e.event.timestamp.as_second(),
                    time = esc(&ferret_core::time::format(e.event.timestamp))
                );
                event_cell(out, t, &e.event.event);
                out.push_str("</td><td dir=\"auto\">");
                push_text(out, &e.event.data, 500);
                out.push_str("</td></tr>");
            }
        }
    }
    out.push_str("</tbody></table></details></section>");
}

fn modules_section(out: &mut String, t: &Text, info: &InfoFile) {
    let (mut read, mut absent, mut failed) = (0usize, 0usize, Vec::new());
    for m in &info.modules {
        match &m.status {
            ModuleStatus::Completed { .. } => read += 1,
            ModuleStatus::NotFound => absent += 1,
            ModuleStatus::Failed { error, .. } => failed.push((m.module.as_str(), error.as_str())),
        }
    }
    let _ = write!(out, "<section id=\"modules\"><h2>{}</h2><p>{}</p>", t.e("modules.title"), t.e("modules.intro"));
    if !failed.is_empty() {
        let _ = write!(out, "<p class=\"st-failed\">{}</p><ul class=\"failed\">", t.e("modules.failed_list"));
        for (m, e) in &failed {
            let _ = write!(out, "<li><strong>{}</strong> <code>{}</code>: <bdi>", esc(&labels::module(t, m)), esc(m));
            push_text(out, e, 500);
            out.push_str("</bdi></li>");
        }
        out.push_str("</ul>");
    }
    let _ = write!(
        out,
        "<details id=\"modules-table\"><summary>{}</summary>",
        t.h(
            "modules.summary",
            &[
                ("read", &num(read)),
                ("absent", &num(absent)),
                ("failed", &num(failed.len())),
                ("n", &num(info.modules.len()))
            ]
        )
    );
    let _ = write!(
        out,
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        t.e("modules.col_check"),
        t.e("modules.col_result"),
        t.e("modules.col_records"),
        t.e("modules.col_problems")
    );
    for m in &info.modules {
        let (class, text, records, error) = match &m.status {
            ModuleStatus::Completed { records } => ("completed", t.e("modules.completed"), records.to_string(), None),
            ModuleStatus::NotFound => ("not_found", t.e("modules.not_found"), String::new(), None),
            ModuleStatus::Failed { error, records } => {
                ("failed", t.e("modules.failed"), records.to_string(), Some(error.as_str()))
            }
        };
        let _ = write!(
            out,
            "<tr><td>{} <code>{}</code></td><td class=\"st-{class}\">{text}</td><td>{records}</td><td>",
            esc(&labels::module(t, &m.module)),
            esc(&m.module)
        );
        if let Some(e) = error {
            out.push_str("<pre dir=\"auto\">");
            push_text(out, e, MAX_STRING);
            out.push_str("</pre>");
        }
        if !m.warnings.is_empty() {
            let _ = write!(
                out,
                "<details><summary>{}</summary><ul>",
                t.h("modules.warnings", &[("n", &num(m.warnings.len()))])
            );
            for w in m.warnings.iter().take(MAX_ITEMS) {
                out.push_str("<li><bdi>");
                push_text(out, w, 500);
                out.push_str("</bdi></li>");
            }
            out.push_str("</ul></details>");
        }
        out.push_str("</td></tr>");
    }
    out.push_str("</tbody></table></details></section>");
}

fn meaning_section(out: &mut String, t: &Text) {
    let _ = write!(out, "<section id=\"meaning\"><h2>{}</h2><ul>", t.e("meaning.title"));
    for k in ["lead", "not_clean", "recent", "copy", "help"] {
        let _ = write!(
            out,
            "<li><strong>{}</strong> {}</li>",
            t.e(&format!("meaning.{k}_title")),
            t.e(&format!("meaning.{k}"))
        );
    }
    out.push_str("</ul></section>");
}

fn header(out: &mut String, t: &Text, info: &InfoFile, recheck: bool) {
    let _ = write!(out, "<header class=\"top\"><h1>{}</h1><p class=\"sub\">", t.e("page.h1"));
    let mut facts: Vec<String> = Vec::new();
    if let Some(m) = &info.run.device.model {
        facts.push(format!("<bdi>{}</bdi>", esc(cut(m, 100).0)));
    }
    if let Some(o) = &info.run.device.os_version {
        facts.push(format!("<bdi>{}</bdi>", esc(cut(o, 100).0)));
    }
    if recheck {
        facts.push(t.e("page.recheck").into_owned());
    }
    out.push_str(&facts.join(" · "));
    let _ = write!(
        out,
        "</p><nav><a href=\"#found\">{}</a> <a href=\"#todo\">{}</a> <a href=\"#time\">{}</a> <a href=\"#evidence\">{}</a> \
         <a href=\"#timeline\">{}</a> <a href=\"#device\">{}</a></nav></header>",
        t.e("page.nav_found"),
        t.e("page.nav_todo"),
        t.e("page.nav_time"),
        t.e("page.nav_evidence"),
        t.e("page.nav_timeline"),
        t.e("page.nav_details")
    );
}

/// Renders the page.
pub(crate) fn render(info: &InfoFile, alerts: &[Alert], sel: &Selector, lang: Lang) -> String {
    let t = Text::new(lang);
    let mut counts = LevelCounts::default();
    for a in alerts {
        counts.add(a.level);
    }
    let verdict = info.verdict();
    let write_ups = crate::firstscreen::write_ups(info);
    let fams = crate::firstscreen::families(alerts, &write_ups);
    let window = crate::firstscreen::infection_window(alerts);
    let changes = crate::changes::load(info, alerts);
    let mut out = String::with_capacity(64 * 1024 + sel.rows.len() * 256);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{lang}\" dir=\"{}\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src {}; script-src {}; \
         img-src 'none'; font-src 'none'; connect-src 'none'; media-src 'none'; object-src 'none'; frame-src 'none'; \
         base-uri 'none'; form-action 'none'\">\
         <meta http-equiv=\"x-dns-prefetch-control\" content=\"off\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\"><title>{}</title><style>{CSS}</style></head><body>\n",
        if lang.is_rtl() { "rtl" } else { "ltr" },
        csp_hash(CSS),
        csp_hash(JS),
        t.e("meta.title")
    );
    header(&mut out, &t, info, changes.is_some());
    out.push_str("\n<main>\n");
    let facts = crate::firstscreen::Facts {
        verdict: &verdict,
        coverage: crate::verdict::IndicatorCoverage::from_load_report(&info.run.indicators),
        counts: &counts,
        families: &fams,
        window,
        changes: changes.as_ref(),
    };
    crate::firstscreen::section(&mut out, &t, &facts);
    out.push('\n');
    crate::incidents::html_section(&mut out, &t, &crate::incidents::incidents(alerts));
    out.push('\n');
    if let Some(c) = &changes {
        crate::changes::section(&mut out, &t, c);
        out.push('\n');
    }
    crate::chart::section(&mut out, &t, &sel.hist, alerts, &fams, window);
    out.push('\n');
    crate::evidence::section(&mut out, &t, &fams, alerts.len());
    out.push('\n');
    timeline_section(&mut out, &t, alerts, sel);
    out.push('\n');
    device_section(&mut out, &t, info);
    out.push('\n');
    indicators_section(&mut out, &t, info);
    out.push('\n');
    modules_section(&mut out, &t, info);
    out.push('\n');
    meaning_section(&mut out, &t);
    out.push_str("\n</main>\n<footer><p>");
    out.push_str(&t.h("footer.made_by", &[("version", &esc(&info.run.ferret_version))]));
    // Keep the command line on this one line (tests compare reports line by line without it).
    let _ = write!(out, " {} <code>", t.e("footer.command"));
    push_text(&mut out, &info.run.command_line.join(" "), MAX_STRING);
    let _ = write!(out, "</code>. {}", t.e("footer.times"));
    if let Some(r) = &info.run.recheck_of {
        out.push_str("</p>\n<p>");
        out.push_str(&t.h("footer.recheck", &[("path", &format!("<code>{}</code>", esc(cut(r, 500).0)))]));
    }
    let _ = write!(out, "</p></footer>\n<script>{JS}</script>\n</body></html>\n");
    out
}

pub(crate) fn write(
    dir: &Path,
    info: &InfoFile,
    alerts: &[Alert],
    sel: &Selector,
    lang: Lang,
) -> Result<(), ReportError> {
    let path = dir.join("report.html");
    std::fs::write(&path, render(info, alerts, sel, lang)).map_err(|e| ReportError::io("write", &path, e))
}

/// The language an existing `report.html` in `dir` was written in (its `<html lang>`), so
/// that `ferret report` can rebuild the same page. `None` when there is no report or no
/// language ferret knows.
pub fn report_language(dir: &Path) -> Option<Lang> {
    use std::io::Read as _;
    let f = std::fs::File::open(dir.join("report.html")).ok()?;
    let mut head = Vec::with_capacity(512);
    f.take(512).read_to_end(&mut head).ok()?;
    let text = String::from_utf8_lossy(&head);
    let start = text.find("<html lang=\"")? + "<html lang=\"".len();
    let code = text.get(start..)?.split('"').next()?;
    Lang::from_code(code)
}

/// Rebuilds `report.html` from an existing results folder (`ferret report RESULTS`) in `lang`:
/// reads `info.json`, `alerts.json` and streams `timeline.csv` (for a `check-iocs` folder, the
/// re-checked folder's). Returns the path written. In the language the run used, the page is
/// byte-identical to the one the run wrote.
pub fn write_report(dir: &Path, lang: Lang) -> Result<PathBuf, ReportError> {
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
    write(dir, &info, &alerts, &sel, lang)?;
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
        let t = Text::new(Lang::En);
        let mut o = String::new();
        json_html(&mut o, Ctx { t: &t, module: "m" }, &serde_json::json!({"<k>": ["<v>", 1, null, {"x": true}]}), 0);
        assert!(o.contains("&lt;k&gt;") && o.contains("&lt;v&gt;") && !o.contains("<v>"));
        assert!(o.contains("<ol>") && !o.contains("start=\"0\""), "lists are numbered from 1: {o}");
        let mut deep = serde_json::json!("</script>");
        for _ in 0..50 {
            deep = serde_json::json!([deep]);
        }
        let mut o = String::new();
        json_html(&mut o, Ctx { t: &t, module: "m" }, &deep, 0);
        assert!(!o.contains("</script>"));
    }

    fn info(indicators: Value) -> InfoFile {
        InfoFile {
            run: crate::RunInfo { indicators, ..Default::default() },
            modules: Vec::new(),
            alerts: LevelCounts::default(),
            timeline_events: 0,
            verdict: None,
            ..InfoFile::default()
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
        let html = render(&info(Value::Null), &alerts, &Selector::new(&[]), Lang::En);
        assert!(html.contains("Alerts not shown here (all are in alerts.json): 5"), "capped");
        assert!(html.contains("(10 more characters)"));
        assert!(html.contains("no indicator was loaded: known spyware was not searched for"), "{html}");
        // no module ran: the verdict is incomplete, never "clean"
        assert!(html.contains("data-state=\"incomplete\""));
        assert!(html.contains("INCOMPLETE: this check cannot tell whether the phone is clean"));
        assert_eq!(html.matches("class=\"alert-card ").count(), MAX_ALERT_CARDS);
        let html = render(&info(serde_json::json!({"files": [], "total": 0})), &[], &Selector::new(&[]), Lang::En);
        assert!(html.contains("no indicator was loaded") && html.contains("data-total=\"0\""));
    }

    #[test]
    fn csp_hashes_match_inline_blocks() {
        let h = csp_hash("x");
        assert!(h.starts_with("'sha256-") && h.ends_with("='"));
        let html = render(&info(Value::Null), &[], &Selector::new(&[]), Lang::En);
        let style = html.split("<style>").nth(1).and_then(|s| s.split("</style>").next()).unwrap_or_default();
        let script = html.split("<script>").nth(1).and_then(|s| s.split("</script>").next()).unwrap_or_default();
        assert!(html.contains(&format!("style-src {};", csp_hash(style))));
        assert!(html.contains(&format!("script-src {};", csp_hash(script))));
        assert_eq!(html.matches("<script").count(), 1);
        assert_eq!(html.matches("<style").count(), 1);
    }

    #[test]
    fn language_is_recorded_and_read_back() {
        let dir = tempfile::tempdir().expect("tmp");
        assert_eq!(report_language(dir.path()), None);
        for lang in Lang::ALL {
            let html = render(&info(Value::Null), &[], &Selector::new(&[]), lang);
            std::fs::write(dir.path().join("report.html"), &html).expect("write");
            assert_eq!(report_language(dir.path()), Some(lang));
            assert_eq!(html.contains("dir=\"rtl\""), lang.is_rtl());
        }
    }
}
