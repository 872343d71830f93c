//! `campaign.html`: one self-contained page (no script, no external resource) with, per
//! cluster, the devices × leads matrix and the devices' timelines aligned on their first shared
//! trace, then every ranked value with the reason it ranks.
//!
//! With `share`, devices are called "device 1", "device 2"... (numbered in the page's order), so
//! the page can leave the lab; the values themselves are the campaign's, not the owners'.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ferret_report::esc;
use jiff::Timestamp;

use crate::correlate::Correlation;

const STYLE: &str = "body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1d1d1f;max-width:80rem}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ddd}h3{font-size:1.05rem}
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ddd;padding:.25rem .5rem;font-size:.9rem;text-align:left;vertical-align:top}
th{background:#f5f5f7}.hit{background:#ffe2e0;text-align:center}.miss{color:#bbb;text-align:center}
.note{color:#555;font-size:.9rem}.known{font-weight:bold;color:#b3261e}code{font-size:.85rem;word-break:break-all}";

fn t(ts: Option<Timestamp>) -> String {
    ts.map_or_else(|| "-".into(), |t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
}

fn offset(from: Option<Timestamp>, to: Option<Timestamp>) -> String {
    match (from, to) {
        (Some(a), Some(b)) => {
            let h = (b.as_second() - a.as_second()) as f64 / 3600.0;
            if h.abs() < 48.0 { format!("{h:+.1} h") } else { format!("{:+.1} d", h / 24.0) }
        }
        _ => "-".into(),
    }
}

/// The page.
pub fn page(c: &Correlation, share: bool) -> String {
    let mut names: BTreeMap<&str, String> = BTreeMap::new();
    for (i, d) in c.devices.iter().enumerate() {
        let shown = if share { format!("device {}", i + 1) } else { d.id.clone() };
        names.insert(d.id.as_str(), shown);
    }
    let name = |id: &str| esc(names.get(id).map_or(id, String::as_str)).to_string();
    let leads_n = c.leads.iter().filter(|l| l.lead).count();
    let mut h = String::with_capacity(64 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>ferret campaign correlation</title><style>{STYLE}</style></head><body><h1>Campaign correlation</h1>\
         <p>{} devices checked; {} values shared by several devices and rare among them; <b>{leads_n} leads</b> \
         (shared values close in time to alerts on the same devices, or already known indicators) linking \
         <b>{} group(s) of devices</b>.</p><p class=\"note\">A lead is a reason to look closer, not a verdict: confirm each \
         group with a forensic expert before telling anyone they were targeted.{}</p>",
        c.device_count,
        c.leads.len(),
        c.clusters.len(),
        if share { " Device names are replaced by numbers in this copy." } else { "" }
    );
    for cl in &c.clusters {
        let _ = write!(
            h,
            "<h2>Group {}: {} devices, {} leads, {} to {}</h2><h3>Who shares what</h3><table><tr><th>device</th>",
            esc(cl.id.trim_start_matches("cluster-")),
            cl.devices.len(),
            cl.leads.len(),
            t(cl.first_seen),
            t(cl.last_seen)
        );
        for &rank in &cl.leads {
            if let Some(l) = c.leads.get(rank - 1) {
                let _ = write!(h, "<th>#{rank} {}<br><code>{}</code></th>", esc(l.kind.as_str()), esc(&l.value));
            }
        }
        h.push_str("</tr>");
        let rows = c.traces.get(&cl.id).map_or(&[][..], Vec::as_slice);
        for row in rows {
            let _ = write!(h, "<tr><td>{}</td>", name(&row.device));
            for &rank in &cl.leads {
                match row.leads.iter().find(|x| x.0 == rank) {
                    Some((_, when)) => {
                        let _ = write!(h, "<td class=\"hit\">● {}</td>", t(*when));
                    }
                    None => h.push_str("<td class=\"miss\">·</td>"),
                }
            }
            h.push_str("</tr>");
        }
        h.push_str("</table><h3>Timelines aligned on each device's first shared trace</h3><table><tr><th>device</th><th>first shared trace</th><th>then (offset: what)</th></tr>");
        for row in rows {
            let anchor = row.leads.iter().filter_map(|x| x.1).min();
            let mut events: Vec<(Option<Timestamp>, String)> = row
                .leads
                .iter()
                .filter_map(|(rank, when)| {
                    c.leads.get(rank - 1).map(|l| (*when, format!("#{rank} {} {}", l.kind.as_str(), l.value)))
                })
                .collect();
            events.extend(row.signals.iter().map(|s| (Some(s.time), format!("{} alert", s.level.as_str()))));
            events.sort();
            let list: Vec<String> =
                events.iter().map(|(w, what)| format!("{}: {}", offset(anchor, *w), esc(what))).collect();
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                name(&row.device),
                t(anchor),
                list.join("<br>")
            );
        }
        h.push_str("</table>");
    }
    h.push_str("<h2>Every ranked value</h2><table><tr><th>#</th><th>kind</th><th>value</th><th>devices</th><th>score</th><th>why</th></tr>");
    for l in c.leads.iter().take(500) {
        let devices: Vec<String> = l.devices.iter().map(|d| name(d)).collect();
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td><code{}>{}</code></td><td>{}</td><td>{:.3}{}</td><td>{}</td></tr>",
            l.rank,
            esc(l.kind.as_str()),
            if l.known_indicator { " class=\"known\"" } else { "" },
            esc(&l.value),
            devices.join(", "),
            l.score,
            if l.lead { " (lead)" } else { "" },
            esc(&l.why)
        );
    }
    if c.leads.len() > 500 {
        let _ = write!(h, "</table><p class=\"note\">{} more in correlation.json.</p>", c.leads.len() - 500);
    } else {
        h.push_str("</table>");
    }
    h.push_str("<p class=\"note\">How values rank: rarity ln(N/devices) × ln(1+devices) × (0.25 + closeness to the devices' alerts) + 2 when already a known indicator; a lead sits within hours of an alert on at least two devices, or is a known indicator. Written by ferret correlate.</p></body></html>\n");
    h
}
