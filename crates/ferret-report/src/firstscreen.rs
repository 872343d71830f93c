//! The first screen: the verdict in plain words, *what* was found (one line per spyware family
//! or campaign, with its likely infection window and strongest evidence), and *what to do now*.
//!
//! # Families
//! Alerts are grouped by the name of the indicator they matched (`matched_indicator.name`: the
//! malware, campaign or report the indicator set names). Alerts without an indicator
//! (heuristics: deleted records, suspicious settings...) form one group of their own. A
//! family's window is the first and last time of its HIGH/CRITICAL alerts (of all its timed
//! alerts when it has none); the report's *likely infection window* is the first and last time
//! of every HIGH/CRITICAL alert. The strongest evidence is the family's highest-level alert,
//! an indicator match before a heuristic, a timed alert before an untimed one, then the
//! earliest.
//!
//! Families are ordered by highest level, indicator families before the heuristic group, then
//! by HIGH/CRITICAL count, alert count and name. The first screen lists those with a HIGH or
//! CRITICAL alert (at most [`FIRST_SCREEN_FAMILIES`]); all are listed under "Evidence".

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ferret_core::{Alert, Level};
use jiff::Timestamp;
use serde_json::Value;

use crate::changes::Changes;
use crate::html::{esc, push_text};
use crate::i18n::{Text, num};
use crate::info::{InfoFile, LevelCounts};
use crate::labels;
use crate::verdict::{IndicatorCoverage, Verdict, VerdictState};

/// Families listed on the first screen (the rest are counted there and listed under Evidence).
pub const FIRST_SCREEN_FAMILIES: usize = 6;
/// Longest strongest-evidence sentence on the first screen (characters).
const SENTENCE: usize = 150;

/// Where to get help: (name key, description key, URL, e-mail).
pub(crate) const HELP: [(&str, &str, &str, &str); 2] = [
    ("todo.accessnow", "todo.accessnow_about", "https://www.accessnow.org/help/", "help@accessnow.org"),
    ("todo.amnesty", "todo.amnesty_about", "https://securitylab.amnesty.org/", ""),
];

/// `YYYY-MM-DD HH:MM` (UTC).
pub(crate) fn fmt_minute(t: Timestamp) -> String {
    let s = ferret_core::time::format(t);
    s.get(..16).map_or_else(|| s.clone(), str::to_string)
}

/// `YYYY-MM-DD` (UTC).
pub(crate) fn fmt_day(t: Timestamp) -> String {
    let s = ferret_core::time::format(t);
    s.get(..10).map_or_else(|| s.clone(), str::to_string)
}

/// A public write-up named by an indicator set.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct WriteUp {
    /// Who published it (`source_name`).
    pub(crate) source: String,
    /// `http(s)` URL.
    pub(crate) url: String,
}

/// Write-ups per family name, from the indicator load report stored in `info.json`
/// (`files[].references[{name, source, url}]`); only `http`/`https` URLs are kept.
pub(crate) fn write_ups(info: &InfoFile) -> BTreeMap<String, Vec<WriteUp>> {
    let mut out: BTreeMap<String, Vec<WriteUp>> = BTreeMap::new();
    let files = info.run.indicators.get("files").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    for f in files {
        let refs = f.get("references").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        for r in refs {
            let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or_default();
            let (name, url) = (s("name"), s("url"));
            let lower = url.to_ascii_lowercase();
            if name.is_empty() || !(lower.starts_with("https://") || lower.starts_with("http://")) || url.len() > 2000 {
                continue;
            }
            let source = if s("source").is_empty() { url } else { s("source") };
            let list = out.entry(name.to_string()).or_default();
            let w = WriteUp { source: source.to_string(), url: url.to_string() };
            if !list.iter().any(|x| x.url == w.url) && list.len() < 5 {
                list.push(w);
            }
        }
    }
    out
}

/// Alerts of one spyware family or campaign (or the heuristic group).
#[derive(Debug, Clone)]
pub(crate) struct Family<'a> {
    /// The indicator's name; `None` for alerts without an indicator.
    pub(crate) name: Option<&'a str>,
    /// Its alerts, canonical order.
    pub(crate) alerts: Vec<&'a Alert>,
    /// Per level.
    pub(crate) counts: LevelCounts,
    /// First time of its HIGH/CRITICAL alerts (of all when none is).
    pub(crate) first: Option<Timestamp>,
    /// Last such time.
    pub(crate) last: Option<Timestamp>,
    /// Its strongest alert.
    pub(crate) strongest: &'a Alert,
    /// Public write-ups the indicator sets name for it.
    pub(crate) write_ups: Vec<WriteUp>,
}

impl Family<'_> {
    /// Highest level.
    pub(crate) fn max_level(&self) -> Level {
        self.strongest.level
    }

    /// The name shown (the heuristic group's is translated).
    pub(crate) fn display_name(&self, t: &Text) -> String {
        match self.name {
            Some("") => t.s("found.unnamed").to_string(),
            Some(n) => n.to_string(),
            None => t.s("found.heuristic").to_string(),
        }
    }

    /// Alerts per module, modules by highest level then name.
    pub(crate) fn by_module(&self) -> Vec<(&str, Vec<&Alert>)> {
        let mut map: BTreeMap<&str, Vec<&Alert>> = BTreeMap::new();
        for a in &self.alerts {
            map.entry(a.module.as_str()).or_default().push(a);
        }
        let mut v: Vec<(&str, Vec<&Alert>)> = map.into_iter().collect();
        v.sort_by_key(|(m, alerts)| {
            (std::cmp::Reverse(alerts.iter().map(|a| a.level).max()), std::cmp::Reverse(alerts.len()), *m)
        });
        v
    }

    /// An HTML id for the family's evidence group.
    pub(crate) fn anchor(&self, index: usize) -> String {
        format!("fam-{}", index + 1)
    }
}

/// Groups alerts into families (see the module docs).
pub(crate) fn families<'a>(alerts: &'a [Alert], write_ups: &BTreeMap<String, Vec<WriteUp>>) -> Vec<Family<'a>> {
    let mut groups: BTreeMap<Option<&'a str>, Vec<&'a Alert>> = BTreeMap::new();
    for a in alerts {
        groups.entry(a.matched_indicator.as_ref().map(|m| m.name.as_str())).or_default().push(a);
    }
    let mut out: Vec<Family<'a>> = Vec::with_capacity(groups.len());
    for (name, list) in groups {
        let mut counts = LevelCounts::default();
        for a in &list {
            counts.add(a.level);
        }
        let min = if counts.serious() > 0 { Level::High } else { Level::Info };
        let times: Vec<Timestamp> = list.iter().filter(|a| a.level >= min).filter_map(|a| a.event_time).collect();
        let strongest = list
            .iter()
            .enumerate()
            .max_by_key(|(i, a)| {
                (a.level, a.matched_indicator.is_some(), a.event_time.is_some(), std::cmp::Reverse(*i))
            })
            .map(|(_, a)| *a);
        let Some(strongest) = strongest else { continue };
        out.push(Family {
            name,
            first: times.iter().min().copied(),
            last: times.iter().max().copied(),
            strongest,
            write_ups: name.and_then(|n| write_ups.get(n)).cloned().unwrap_or_default(),
            counts,
            alerts: list,
        });
    }
    out.sort_by(|a, b| {
        (std::cmp::Reverse(a.max_level()), a.name.is_none(), std::cmp::Reverse(a.counts.serious()))
            .cmp(&(std::cmp::Reverse(b.max_level()), b.name.is_none(), std::cmp::Reverse(b.counts.serious())))
            .then_with(|| b.counts.total().cmp(&a.counts.total()))
            .then_with(|| a.name.cmp(&b.name))
    });
    out
}

/// First and last time of the HIGH/CRITICAL alerts: the likely infection window.
pub(crate) fn infection_window(alerts: &[Alert]) -> Option<(Timestamp, Timestamp)> {
    let mut times = alerts.iter().filter(|a| a.level >= Level::High).filter_map(|a| a.event_time);
    let first = times.next()?;
    Some(times.fold((first, first), |(lo, hi), t| (lo.min(t), hi.max(t))))
}

/// The strongest evidence as one plain-text sentence: the check, the alert's message (cut at
/// `max` characters) and its time.
pub(crate) fn evidence_sentence(t: &Text, a: &Alert, max: usize) -> String {
    let (msg, more) = crate::html::cut(&a.message, max);
    let msg = if more > 0 { format!("{msg}…") } else { msg.to_string() };
    let when = a.event_time.map_or_else(|| t.s("found.no_time").to_string(), |ts| format!("{} UTC", fmt_minute(ts)));
    t.f("found.sentence", &[("check", &labels::module(t, &a.module)), ("message", &msg), ("when", &when)])
}

/// [`evidence_sentence`] without the time (the first screen shows it beside), as HTML: the
/// message isolated (`<bdi>`) so that right-to-left text around it does not reorder it.
fn evidence_short_html(t: &Text, a: &Alert, max: usize) -> String {
    let (msg, more) = crate::html::cut(&a.message, max);
    let msg = format!("<bdi>{}{}</bdi>", esc(msg), if more > 0 { "…" } else { "" });
    t.h("found.sentence_short", &[("check", &esc(&labels::module(t, &a.module))), ("message", &msg)])
}

/// The translated state line (English: the verdict's own headline, as in the terminal).
pub(crate) fn state_line(t: &Text, v: &Verdict) -> String {
    if t.lang == crate::i18n::Lang::En {
        return v.headline();
    }
    match v.state {
        VerdictState::AlertsFound => t.f("verdict.state_alerts", &[("n", &num(v.serious_alerts + v.raised_incidents))]),
        VerdictState::Incomplete => t.s("verdict.state_incomplete").to_string(),
        VerdictState::NothingFound if v.builtin_indicators_only => t.s("verdict.state_nothing_builtin").to_string(),
        VerdictState::NothingFound => t.s("verdict.state_nothing").to_string(),
    }
}

fn state_code(v: &Verdict) -> &'static str {
    match v.state {
        VerdictState::AlertsFound => "alerts_found",
        VerdictState::NothingFound => "nothing_found",
        VerdictState::Incomplete => "incomplete",
    }
}

fn level_badge(out: &mut String, t: &Text, level: Level, n: u64) {
    let _ = write!(
        out,
        "<span class=\"badge lvl-{l}\" title=\"{l}\">{} {}</span>",
        t.e(&format!("level.{}", level.as_str())),
        num(n),
        l = level.as_str()
    );
}

/// Per-level badges of the non-zero counts, highest first.
pub(crate) fn level_badges(out: &mut String, t: &Text, c: &LevelCounts) {
    for l in Level::ALL.iter().rev() {
        if c.get(*l) > 0 {
            level_badge(out, t, *l, c.get(*l));
            out.push(' ');
        }
    }
}

fn verdict_box(out: &mut String, t: &Text, v: &Verdict, counts: &LevelCounts, changes: Option<&Changes>) {
    let (class, head, explain) = match v.state {
        VerdictState::AlertsFound => ("alert", "verdict.alerts_headline", "verdict.alerts_explain"),
        VerdictState::Incomplete => ("incomplete", "verdict.incomplete_headline", "verdict.incomplete_explain"),
        VerdictState::NothingFound if v.builtin_indicators_only => {
            ("partial", "verdict.builtin_headline", "verdict.builtin_explain")
        }
        VerdictState::NothingFound => ("ok", "verdict.nothing_headline", "verdict.nothing_explain"),
    };
    let _ = write!(
        out,
        "<section class=\"verdict {class}\" data-state=\"{}\"><p class=\"state\" id=\"verdict\">{}</p>\
         <p class=\"headline\">{}</p><p class=\"explain\">{}</p>",
        state_code(v),
        esc(&state_line(t, v)),
        t.e(head),
        t.e(explain)
    );
    let _ = write!(
        out,
        "<p class=\"facts\"><span id=\"alert-count\" data-total=\"{}\">{}</span> ",
        counts.total(),
        t.h("verdict.alert_count", &[("n", &num(counts.total()))])
    );
    level_badges(out, t, counts);
    let _ = write!(
        out,
        "<br><span id=\"coverage\">{}</span></p>",
        t.h(
            "verdict.coverage",
            &[
                ("read", &num(v.artifacts_read)),
                ("absent", &num(v.artifacts_not_present)),
                ("failed", &num(v.checks_failed))
            ]
        )
    );
    if let Some(c) = changes {
        let _ = write!(
            out,
            "<p class=\"changes-line\"><a href=\"#changes\">{}</a></p>",
            crate::changes::summary_line(t, c)
        );
    }
    // The reasons are the verdict's own words (English, as in info.json and the terminal).
    if !v.incomplete.is_empty() {
        let _ = write!(
            out,
            "<p class=\"why\"><strong>{}</strong></p><ul class=\"incomplete\">",
            t.e("verdict.why_incomplete")
        );
        for r in &v.incomplete {
            out.push_str("<li>");
            push_text(out, r, 500);
            out.push_str("</li>");
        }
        out.push_str("</ul>");
    }
    if !v.caveats.is_empty() {
        // open unless alerts were found (then the first screen needs the room)
        let open = if v.state == VerdictState::AlertsFound { "" } else { " open" };
        let _ = write!(
            out,
            "<details class=\"caveats\"{open}><summary>{}</summary><ul class=\"caveats\">",
            t.h("verdict.caveats", &[("n", &num(v.caveats.len()))])
        );
        for c in &v.caveats {
            out.push_str("<li>");
            push_text(out, c, 500);
            out.push_str("</li>");
        }
        out.push_str("</ul></details>");
    }
    out.push_str("</section>");
}

fn when_cell(out: &mut String, t: &Text, f: &Family<'_>) {
    match (f.first, f.last) {
        (Some(a), Some(b)) if fmt_day(a) == fmt_day(b) => {
            let (x, y) = (fmt_minute(a), fmt_minute(b));
            let range = if x == y { x } else { format!("{x}–{}", y.get(11..).unwrap_or_default()) };
            let _ = write!(out, "<bdi class=\"mono\">{}</bdi>", esc(&range));
        }
        (Some(a), Some(b)) => {
            let _ = write!(
                out,
                "<bdi class=\"mono\" title=\"{} UTC\">{}</bdi><br><span class=\"muted\">{}</span> <bdi class=\"mono\" title=\"{} UTC\">{}</bdi>",
                esc(&fmt_minute(a)),
                esc(&fmt_day(a)),
                t.e("found.until"),
                esc(&fmt_minute(b)),
                esc(&fmt_day(b))
            );
        }
        _ => {
            let _ = write!(out, "<span class=\"muted\">{}</span>", t.e("found.no_time"));
        }
    }
}

/// Renders a family's public write-up links (plain links: never fetched by the page).
pub(crate) fn write_up_links(out: &mut String, t: &Text, f: &Family<'_>) {
    for w in &f.write_ups {
        let _ = write!(
            out,
            "<br><a class=\"writeup\" href=\"{}\" rel=\"noopener noreferrer\" target=\"_blank\">{}: <bdi>{}</bdi></a>",
            esc(&w.url),
            t.e("found.writeup"),
            esc(crate::html::cut(&w.source, 120).0)
        );
    }
}

fn found(
    out: &mut String,
    t: &Text,
    v: &Verdict,
    coverage: &IndicatorCoverage,
    fams: &[Family<'_>],
    window: Option<(Timestamp, Timestamp)>,
) {
    let _ = write!(out, "<section id=\"found\" class=\"found\"><h2>{}</h2>", t.e("found.title"));
    let serious: Vec<(usize, &Family<'_>)> = fams.iter().enumerate().filter(|(_, f)| f.counts.serious() > 0).collect();
    if serious.is_empty() {
        let key = if v.state == VerdictState::Incomplete { "found.none_incomplete" } else { "found.none" };
        let _ = write!(out, "<p class=\"none\">{}</p>", t.e(key));
        let mut sets = coverage.sets.clone();
        sets.extend(coverage.builtin.iter().cloned());
        if !sets.is_empty() {
            let _ = write!(out, "<p class=\"searched\">{} <bdi>", t.e("found.searched"));
            push_text(out, &sets.join(" · "), 1000);
            out.push_str("</bdi></p>");
        }
    } else {
        if let Some((a, b)) = window {
            let _ = write!(
                out,
                "<p class=\"window\">{}</p>",
                t.h(
                    "found.window",
                    &[
                        ("first", &format!("<bdi class=\"mono\">{}</bdi>", esc(&fmt_minute(a)))),
                        ("last", &format!("<bdi class=\"mono\">{}</bdi>", esc(&fmt_minute(b))))
                    ]
                )
            );
        }
        let _ = write!(
            out,
            "<table class=\"families\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            t.e("found.col_name"),
            t.e("found.col_alerts"),
            t.e("found.col_when"),
            t.e("found.col_evidence")
        );
        for (i, f) in serious.iter().take(FIRST_SCREEN_FAMILIES) {
            let _ = write!(
                out,
                "<tr class=\"family\" data-family=\"{}\"><td class=\"name\"><a class=\"fam\" href=\"#{}\">{}</a>",
                esc(&f.display_name(t)),
                f.anchor(*i),
                esc(crate::html::cut(&f.display_name(t), 80).0)
            );
            write_up_links(out, t, f);
            out.push_str("</td><td class=\"n\">");
            level_badges(out, t, &f.counts);
            out.push_str("</td><td class=\"when\">");
            when_cell(out, t, f);
            out.push_str("</td><td class=\"ev\">");
            out.push_str(&evidence_short_html(t, f.strongest, SENTENCE));
            out.push_str("</td></tr>");
        }
        out.push_str("</tbody></table>");
        if serious.len() > FIRST_SCREEN_FAMILIES {
            let _ = write!(
                out,
                "<p class=\"more\">{}</p>",
                t.h("found.more", &[("n", &num(serious.len() - FIRST_SCREEN_FAMILIES))])
            );
        }
    }
    let lower: u64 = fams.iter().map(|f| f.counts.medium + f.counts.low + f.counts.informational).sum();
    if lower > 0 {
        let _ = write!(out, "<p class=\"lower\">{}</p>", t.h("found.lower", &[("n", &num(lower))]));
    }
    out.push_str("</section>");
}

fn help_list(out: &mut String, t: &Text) {
    out.push_str("<ul class=\"help\">");
    for (name, about, url, mail) in HELP {
        let _ = write!(
            out,
            "<li><a href=\"{url}\" rel=\"noopener noreferrer\" target=\"_blank\"><strong>{}</strong></a> <bdi class=\"url\">{}</bdi>",
            t.e(name),
            esc(url)
        );
        if !mail.is_empty() {
            let _ = write!(out, " · <bdi class=\"url\">{}</bdi>", esc(mail));
        }
        let _ = write!(out, "<br><span class=\"muted\">{}</span></li>", t.e(about));
    }
    out.push_str("</ul>");
}

fn todo(out: &mut String, t: &Text, v: &Verdict) {
    let _ = write!(out, "<section id=\"todo\" class=\"todo\"><h2>{}</h2><ol>", t.e("todo.title"));
    let li = |out: &mut String, key: &str| {
        let _ = write!(out, "<li>{}</li>", t.e(key));
    };
    match v.state {
        VerdictState::AlertsFound => {
            li(out, "todo.keep");
            li(out, "todo.assume");
            let _ = write!(out, "<li>{}", t.e("todo.help"));
            help_list(out, t);
            out.push_str("</li>");
        }
        VerdictState::Incomplete => {
            let _ = write!(out, "<li>{}<ul>", t.e("todo.fix"));
            if v.artifacts_read == 0 || v.incomplete.iter().any(|r| !r.starts_with("indicator input failed")) {
                li(out, "todo.fix_data");
            }
            if v.incomplete.iter().any(|r| r.starts_with("indicator input failed")) {
                li(out, "todo.fix_indicators");
            }
            out.push_str("</ul></li>");
            li(out, "todo.keep_until");
            let _ = write!(out, "<li>{}", t.e("todo.help_incomplete"));
            help_list(out, t);
            out.push_str("</li>");
        }
        VerdictState::NothingFound => {
            if v.builtin_indicators_only {
                li(out, "todo.update_indicators");
            }
            li(out, "todo.keep_results");
            let _ = write!(out, "<li>{}", t.e("todo.worry"));
            help_list(out, t);
            out.push_str("</li>");
            li(out, "todo.protect");
        }
    }
    let _ = write!(
        out,
        "</ol><p class=\"cannot\"><strong>{}</strong> {} <a href=\"#meaning\">{}</a></p></section>",
        t.e("todo.cannot_title"),
        t.e("todo.cannot"),
        t.e("todo.cannot_more")
    );
}

/// What the first screen shows, computed once by the page.
pub(crate) struct Facts<'a> {
    pub(crate) verdict: &'a Verdict,
    pub(crate) coverage: IndicatorCoverage,
    pub(crate) counts: &'a LevelCounts,
    pub(crate) families: &'a [Family<'a>],
    pub(crate) window: Option<(Timestamp, Timestamp)>,
    pub(crate) changes: Option<&'a Changes>,
}

/// Renders the first screen.
pub(crate) fn section(out: &mut String, t: &Text, f: &Facts<'_>) {
    out.push_str("<div id=\"first\" class=\"first\">");
    verdict_box(out, t, f.verdict, f.counts, f.changes);
    out.push_str("<div class=\"cols\">");
    found(out, t, f.verdict, &f.coverage, f.families, f.window);
    todo(out, t, f.verdict);
    out.push_str("</div></div>");
}

/// The first screen as plain lines for the terminal: one line per family with a HIGH or
/// CRITICAL alert (name, counts, window, strongest evidence), the likely infection window,
/// then what to do now. English; evidence text escaped with [`crate::terminal_safe`].
pub(crate) fn console_lines(alerts: &[Alert], v: &Verdict) -> Vec<String> {
    let t = Text::new(crate::i18n::Lang::En);
    let fams = families(alerts, &BTreeMap::new());
    let mut out = Vec::new();
    let serious: Vec<&Family<'_>> = fams.iter().filter(|f| f.counts.serious() > 0).collect();
    if !serious.is_empty() {
        out.push(t.s("console.found").to_string());
        for f in serious.iter().take(FIRST_SCREEN_FAMILIES) {
            let counts: Vec<String> = Level::ALL
                .iter()
                .rev()
                .filter(|l| f.counts.get(**l) > 0)
                .map(|l| format!("{} {}", f.counts.get(*l), l.as_str()))
                .collect();
            let when = match (f.first, f.last) {
                (Some(a), Some(b)) if a == b => format!(", {} UTC", fmt_minute(a)),
                (Some(a), Some(b)) => format!(", {} to {} UTC", fmt_minute(a), fmt_minute(b)),
                _ => String::new(),
            };
            out.push(format!("  {}: {}{}", crate::terminal_safe(&f.display_name(&t)), counts.join(", "), when));
            out.push(format!("    {}", crate::terminal_safe(&evidence_sentence(&t, f.strongest, SENTENCE))));
        }
        if serious.len() > FIRST_SCREEN_FAMILIES {
            out.push(format!("  {}", t.f("found.more", &[("n", &num(serious.len() - FIRST_SCREEN_FAMILIES))])));
        }
        if let Some((a, b)) = infection_window(alerts) {
            out.push(format!("  {}", t.f("found.window", &[("first", &fmt_minute(a)), ("last", &fmt_minute(b))])));
        }
    }
    out.push(t.s("console.todo").to_string());
    let keys: &[&str] = match v.state {
        VerdictState::AlertsFound => &["todo.keep", "todo.assume", "console.help"],
        VerdictState::Incomplete => &["console.fix", "todo.keep_until", "console.help"],
        VerdictState::NothingFound if v.builtin_indicators_only => &["todo.update_indicators", "todo.keep_results"],
        VerdictState::NothingFound => &["todo.keep_results", "console.help_worry"],
    };
    for (i, k) in keys.iter().enumerate() {
        out.push(format!("  {}. {}", i + 1, t.s(k)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferret_core::MatchedIndicator;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(s).expect("ts")
    }

    fn alert(level: Level, module: &str, time: Option<i64>, family: Option<&str>) -> Alert {
        Alert {
            level,
            module: module.into(),
            message: format!("{module} {level:?} {time:?}"),
            event_time: time.map(at),
            event: serde_json::Value::Null,
            matched_indicator: family.map(|f| MatchedIndicator {
                value: "v".into(),
                kind: "domains".into(),
                name: f.into(),
                stix2_file_name: "x.stix2".into(),
            }),
        }
    }

    #[test]
    fn grouping_windows_and_strongest_evidence() {
        let mut alerts = vec![
            alert(Level::Critical, "sms", Some(2_000), Some("Pegasus")),
            alert(Level::Critical, "safari_history", Some(1_000), Some("Pegasus")),
            alert(Level::Low, "sms", Some(100), Some("Pegasus")), // not serious: outside the window
            alert(Level::High, "manifest", Some(5_000), Some("Predator")),
            alert(Level::High, "datausage", None, None),
            alert(Level::Medium, "tcc", Some(50), None),
            alert(Level::Info, "os_version", None, Some("Quiet")),
        ];
        ferret_core::alert::sort_alerts(&mut alerts);
        let fams = families(&alerts, &BTreeMap::new());
        let names: Vec<Option<&str>> = fams.iter().map(|f| f.name).collect();
        assert_eq!(names, vec![Some("Pegasus"), Some("Predator"), None, Some("Quiet")]);
        let peg = &fams[0];
        assert_eq!(peg.counts.total(), 3);
        assert_eq!((peg.first, peg.last), (Some(at(1_000)), Some(at(2_000))), "window of the serious alerts only");
        assert_eq!(peg.strongest.module, "safari_history", "highest level, then earliest");
        let heur = &fams[2];
        assert_eq!(heur.strongest.module, "datausage", "HIGH beats a timed MEDIUM");
        assert_eq!((heur.first, heur.last), (None, None), "its serious alert has no time");
        let quiet = &fams[3];
        assert_eq!((quiet.first, quiet.counts.serious()), (None, 0));
        assert_eq!(infection_window(&alerts), Some((at(1_000), at(5_000))));
        assert_eq!(infection_window(&alerts[..0]), None);
        let t = Text::new(crate::i18n::Lang::En);
        let s = evidence_sentence(&t, peg.strongest, 10);
        assert!(s.starts_with("Safari history: safari_his…"), "{s}");
        assert!(s.contains("1970-01-01 00:16 UTC"), "{s}");
        let by = peg.by_module();
        assert_eq!(by.iter().map(|(m, v)| (*m, v.len())).collect::<Vec<_>>(), vec![("sms", 2), ("safari_history", 1)]);
    }

    #[test]
    fn write_ups_come_from_the_load_report_and_only_web_links_are_kept() {
        let info = InfoFile {
            run: crate::RunInfo {
                indicators: serde_json::json!({"files": [{"path": "p.stix2", "references": [
                    {"name": "Pegasus", "source": "Amnesty, Forensic Methodology", "url": "https://www.amnesty.org/en/latest/research/2021/07/forensic-methodology-report-how-to-catch-nso-groups-pegasus/"},
                    {"name": "Pegasus", "source": "dup", "url": "https://www.amnesty.org/en/latest/research/2021/07/forensic-methodology-report-how-to-catch-nso-groups-pegasus/"},
                    {"name": "Evil", "source": "x", "url": "javascript:alert(1)"},
                    {"name": "Evil", "source": "y", "url": "file:///etc/passwd"}
                ]}]}),
                ..Default::default()
            },
            modules: vec![],
            alerts: LevelCounts::default(),
            timeline_events: 0,
            verdict: None,
            ..InfoFile::default()
        };
        let w = write_ups(&info);
        assert_eq!(w.len(), 1);
        assert_eq!(w.get("Pegasus").map(Vec::len), Some(1), "one link per URL");
        assert!(!w.contains_key("Evil"));
    }
}
