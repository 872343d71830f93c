//! "Evidence": every alert, grouped by family then by check, each a one-line summary that opens
//! to the record from the phone (collapsed by default), with human labels for record fields and
//! a legend for codes.

use std::fmt::Write as _;

use ferret_core::{Alert, Level};
use serde_json::Value;

use crate::firstscreen::{Family, fmt_minute, level_badges, write_up_links};
use crate::html::{MAX_ALERT_CARDS, MAX_STRING, cut, esc, push_text};
use crate::i18n::{Text, num};
use crate::labels;

const MAX_DEPTH: usize = 8;
pub(crate) const MAX_ITEMS: usize = 200;
/// Characters of an alert message on its one-line summary.
const SUMMARY: usize = 220;

/// What the renderer of a record knows besides the value.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub(crate) t: &'a Text,
    /// The module whose record this is (for module-specific glosses).
    pub(crate) module: &'a str,
}

fn push_more_chars(out: &mut String, t: &Text, s: &str, max: usize) {
    let (shown, more) = cut(s, max);
    out.push_str(&esc(shown));
    if more > 0 {
        let _ = write!(out, "<span class=\"muted\"> {}</span>", t.h("evidence.more_chars", &[("n", &num(more))]));
    }
}

/// A gloss for a value, when the key and module make it a known code.
fn gloss(c: Ctx<'_>, key: &str, v: &Value) -> Option<String> {
    match (key, v) {
        ("service", Value::String(s)) => labels::tcc_service(c.t, s).map(str::to_string),
        ("flags", Value::Number(n)) if c.module == "manifest" => match n.as_i64() {
            Some(1) => Some(c.t.s("legend.flag_file").to_string()),
            Some(2) => Some(c.t.s("legend.flag_dir").to_string()),
            Some(4) => Some(c.t.s("legend.flag_link").to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// Renders any JSON value as nested key/value tables, escaped and bounded; object keys get
/// their human label (the raw key in `title`), arrays are numbered from 1.
pub(crate) fn json_html(out: &mut String, c: Ctx<'_>, v: &Value, depth: usize) {
    if depth >= MAX_DEPTH {
        out.push_str("<code>");
        push_more_chars(out, c.t, &v.to_string(), MAX_STRING);
        out.push_str("</code>");
        return;
    }
    match v {
        Value::Null => {
            let _ = write!(out, "<span class=\"muted\">{}</span>", c.t.e("evidence.empty"));
        }
        Value::Bool(b) => out.push_str(&c.t.e(if *b { "evidence.yes" } else { "evidence.no" })),
        Value::Number(n) => out.push_str(&esc(&n.to_string())),
        Value::String(s) => {
            out.push_str("<pre dir=\"auto\">");
            push_more_chars(out, c.t, s, MAX_STRING);
            out.push_str("</pre>");
        }
        Value::Array(items) => {
            if items.is_empty() {
                let _ = write!(out, "<span class=\"muted\">{}</span>", c.t.e("evidence.none"));
                return;
            }
            out.push_str("<ol>");
            for item in items.iter().take(MAX_ITEMS) {
                out.push_str("<li>");
                json_html(out, c, item, depth + 1);
                out.push_str("</li>");
            }
            out.push_str("</ol>");
            if items.len() > MAX_ITEMS {
                let _ = write!(
                    out,
                    "<p class=\"muted\">{}</p>",
                    c.t.h("evidence.more_items", &[("n", &num(items.len() - MAX_ITEMS))])
                );
            }
        }
        Value::Object(map) => {
            out.push_str("<table class=\"kv\">");
            for (k, v) in map.iter().take(MAX_ITEMS) {
                let label = labels::field(c.t, k);
                let _ = write!(out, "<tr><th title=\"{}\">", esc(cut(k, 200).0));
                push_more_chars(out, c.t, &label, 200);
                out.push_str("</th><td>");
                json_html(out, c, v, depth + 1);
                if let Some(g) = gloss(c, k, v) {
                    let _ = write!(out, " <span class=\"gloss\">({})</span>", esc(&g));
                }
                out.push_str("</td></tr>");
            }
            out.push_str("</table>");
            if map.len() > MAX_ITEMS {
                let _ = write!(
                    out,
                    "<p class=\"muted\">{}</p>",
                    c.t.h("evidence.more_fields", &[("n", &num(map.len() - MAX_ITEMS))])
                );
            }
        }
    }
}

fn alert_item(out: &mut String, t: &Text, a: &Alert, id: usize) {
    let lvl = a.level.as_str();
    let _ = write!(
        out,
        "<li><details class=\"alert-card l-{lvl}\" id=\"alert-{id}\"><summary><span class=\"badge lvl-{lvl}\" title=\"{lvl}\">{}</span> ",
        t.e(&format!("level.{lvl}"))
    );
    match a.event_time {
        Some(ts) => {
            let _ = write!(out, "<bdi class=\"mono when\">{}</bdi> ", esc(&fmt_minute(ts)));
        }
        None => {
            let _ = write!(out, "<span class=\"muted when\">{}</span> ", t.e("found.no_time"));
        }
    }
    out.push_str("<bdi class=\"msg\">");
    push_more_chars(out, t, &a.message, SUMMARY);
    out.push_str("</bdi></summary><div class=\"body\">");
    if cut(&a.message, SUMMARY).1 > 0 {
        out.push_str("<p class=\"msg-full\" dir=\"auto\">");
        push_text(out, &a.message, MAX_STRING);
        out.push_str("</p>");
    }
    if let Some(ts) = a.event_time {
        let _ = write!(
            out,
            "<p class=\"muted\">{} <bdi class=\"mono\">{} UTC</bdi></p>",
            t.e("evidence.time"),
            esc(&ferret_core::time::format(ts))
        );
    }
    if let Some(m) = &a.matched_indicator {
        let code = |s: &str, max: usize| format!("<code>{}</code>", esc(cut(s, max).0));
        let _ = write!(
            out,
            "<p class=\"ioc\">{}</p>",
            t.h(
                "evidence.matched",
                &[
                    ("value", &code(&m.value, 500)),
                    ("kind", &esc(cut(&m.kind, 100).0)),
                    ("name", &format!("<strong>{}</strong>", esc(cut(&m.name, 300).0))),
                    ("file", &esc(cut(&m.stix2_file_name, 300).0))
                ]
            )
        );
    }
    let _ = write!(out, "<p class=\"rec-title\">{}</p>", t.e("evidence.record"));
    json_html(out, Ctx { t, module: &a.module }, &a.event, 0);
    out.push_str("</div></details></li>");
}

/// Renders the evidence section: the legend, then each family (collapsed) with its alerts per
/// check.
pub(crate) fn section(out: &mut String, t: &Text, fams: &[Family<'_>], total: usize) {
    let _ = write!(out, "<section id=\"evidence\"><h2>{}</h2>", t.e("evidence.title"));
    if total == 0 {
        let _ = write!(out, "<p>{}</p>", t.e("evidence.no_alerts"));
        legend(out, t);
        out.push_str("</section>");
        return;
    }
    let _ = write!(out, "<p>{}</p>", t.e("evidence.intro"));
    legend(out, t);
    let mut shown = 0usize;
    for (i, f) in fams.iter().enumerate() {
        if shown >= MAX_ALERT_CARDS {
            break;
        }
        let _ = write!(
            out,
            "<details class=\"family\" id=\"{}\"><summary><strong>{}</strong> ",
            f.anchor(i),
            esc(cut(&f.display_name(t), 200).0)
        );
        level_badges(out, t, &f.counts);
        if let (Some(a), Some(b)) = (f.first, f.last) {
            let _ = write!(
                out,
                " <span class=\"muted\">{}</span>",
                t.h(
                    "evidence.window",
                    &[
                        ("first", &format!("<bdi>{}</bdi>", esc(&fmt_minute(a)))),
                        ("last", &format!("<bdi>{}</bdi>", esc(&fmt_minute(b))))
                    ]
                )
            );
        }
        out.push_str("</summary><div class=\"fam-body\">");
        if !f.write_ups.is_empty() {
            out.push_str("<p class=\"writeups\">");
            write_up_links(out, t, f);
            out.push_str("</p>");
        }
        for (module, alerts) in f.by_module() {
            let _ = write!(
                out,
                "<h3 class=\"module\"><span title=\"{}\">{}</span> <code class=\"slug\">{}</code> <span class=\"muted\">{}</span></h3><ol class=\"alerts\">",
                esc(module),
                esc(&labels::module(t, module)),
                esc(module),
                t.h("evidence.count", &[("n", &num(alerts.len()))])
            );
            for a in alerts {
                if shown >= MAX_ALERT_CARDS {
                    break;
                }
                shown += 1;
                alert_item(out, t, a, shown);
            }
            out.push_str("</ol>");
        }
        out.push_str("</div></details>");
    }
    if total > MAX_ALERT_CARDS {
        let _ = write!(
            out,
            "<p><strong>{}</strong></p>",
            t.h("evidence.more_cards", &[("n", &num(total - MAX_ALERT_CARDS))])
        );
    }
    out.push_str("</section>");
}

/// TCC services explained in the legend (the `[tcc]` table names more).
const LEGEND_TCC: [&str; 10] = [
    "Microphone",
    "Camera",
    "AddressBook",
    "Photos",
    "Calendar",
    "MediaLibrary",
    "Motion",
    "BluetoothAlways",
    "UserTracking",
    "SpeechRecognition",
];

/// The legend: levels, file-time codes, Manifest flags, TCC services and decisions.
pub(crate) fn legend(out: &mut String, t: &Text) {
    let _ = write!(out, "<details id=\"legend\" class=\"legend\"><summary>{}</summary><dl>", t.e("legend.title"));
    let _ = write!(out, "<dt>{}</dt><dd><ul class=\"levels\">", t.e("legend.levels"));
    for l in Level::ALL.iter().rev() {
        let _ = write!(
            out,
            "<li><span class=\"badge lvl-{l}\">{}</span> <code>{l}</code>: {}</li>",
            t.e(&format!("level.{}", l.as_str())),
            t.e(&format!("level_about.{}", l.as_str())),
            l = l.as_str()
        );
    }
    out.push_str("</ul></dd>");
    let _ = write!(
        out,
        "<dt>{}</dt><dd>{}<ul><li><code>M</code> {}</li><li><code>A</code> {}</li><li><code>C</code> {}</li><li><code>B</code> {}</li></ul>{}</dd>",
        t.e("legend.macb_title"),
        t.e("legend.macb"),
        t.e("macb.M"),
        t.e("macb.A"),
        t.e("macb.C"),
        t.e("macb.B"),
        t.e("legend.macb_example")
    );
    let _ = write!(
        out,
        "<dt>{}</dt><dd><code>1</code> {} · <code>2</code> {} · <code>4</code> {}</dd>",
        t.e("legend.flags_title"),
        t.e("legend.flag_file"),
        t.e("legend.flag_dir"),
        t.e("legend.flag_link")
    );
    let _ = write!(out, "<dt>{}</dt><dd>{}<ul class=\"tcc\">", t.e("legend.tcc_title"), t.e("legend.tcc"));
    for s in LEGEND_TCC {
        let _ = write!(out, "<li><code>kTCCService{s}</code>: {}</li>", esc(t.s(&format!("tcc.{s}"))));
    }
    let _ = write!(out, "</ul>{}</dd>", t.e("legend.tcc_auth"));
    let _ = write!(out, "<dt>{}</dt><dd>{}</dd></dl></details>", t.e("legend.times_title"), t.e("legend.times"));
}
