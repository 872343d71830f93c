//! "What changed since the original check", for the report of a re-check (`check-iocs`).
//!
//! Derived, when the page is rendered, from the re-checked folder that `info.json` names
//! (`run.recheck_of`): its `alerts.json` and `info.json`. The re-check's report already takes
//! its timeline from that folder, so nothing new is stored. Alerts are compared as a multiset
//! on everything but the indicator file name (the same indicator loaded from another file is
//! the same finding); indicator sets by name (an *updated* set has other bytes).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use ferret_core::Alert;
use serde_json::Value;

use crate::firstscreen::fmt_minute;
use crate::html::{cut, esc, push_text};
use crate::i18n::{Text, num};
use crate::info::InfoFile;
use crate::labels;

/// Alerts listed per kind of change (the rest are counted).
const MAX_LISTED: usize = 50;

/// The differences between a re-check and the check it re-checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct Changes {
    /// The re-checked folder, as `info.json` names it.
    pub(crate) original: String,
    /// Whether its files could be read.
    pub(crate) found: bool,
    /// Alerts the re-check has and the original had not.
    pub(crate) new: Vec<Alert>,
    /// Alerts the original had and the re-check has not (an indicator removed or changed).
    pub(crate) gone: Vec<Alert>,
    /// Alerts in both.
    pub(crate) same: usize,
    /// Indicator sets loaded now but not by the original check (`name (N indicators)`).
    pub(crate) sets_added: Vec<String>,
    /// Sets the original check loaded and this one did not.
    pub(crate) sets_removed: Vec<String>,
    /// Sets of the same name with other content.
    pub(crate) sets_updated: Vec<String>,
}

fn key(a: &Alert) -> String {
    let mut a = a.clone();
    if let Some(m) = &mut a.matched_indicator {
        m.stix2_file_name.clear();
    }
    serde_json::to_string(&a).unwrap_or_default()
}

/// `set name` → (sha256, indicators) of a load report.
fn sets(indicators: &Value) -> BTreeMap<String, (String, u64)> {
    let mut out = BTreeMap::new();
    for f in indicators.get("files").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
        let s = |k: &str| f.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        let name = if s("set_name").is_empty() { s("path") } else { s("set_name") };
        out.insert(name, (s("sha256"), f.get("total").and_then(Value::as_u64).unwrap_or(0)));
    }
    out
}

/// The changes of a re-check; `None` for a report that is not one.
pub(crate) fn load(info: &InfoFile, alerts: &[Alert]) -> Option<Changes> {
    let original = info.run.recheck_of.clone()?;
    let dir = Path::new(&original);
    let old_info: Option<InfoFile> = crate::html::read_json(&dir.join("info.json")).ok();
    let old_alerts: Option<Vec<Alert>> = crate::html::read_json(&dir.join("alerts.json")).ok();
    let (Some(old_info), Some(old_alerts)) = (old_info, old_alerts) else {
        return Some(Changes { original, found: false, ..Changes::default() });
    };
    let mut before: BTreeMap<String, usize> = BTreeMap::new();
    for a in &old_alerts {
        *before.entry(key(a)).or_default() += 1;
    }
    let mut new = Vec::new();
    let mut same = 0;
    for a in alerts {
        match before.get_mut(&key(a)) {
            Some(n) if *n > 0 => {
                *n -= 1;
                same += 1;
            }
            _ => new.push(a.clone()),
        }
    }
    let mut now: BTreeMap<String, usize> = BTreeMap::new();
    for a in alerts {
        *now.entry(key(a)).or_default() += 1;
    }
    let mut gone = Vec::new();
    for a in &old_alerts {
        match now.get_mut(&key(a)) {
            Some(n) if *n > 0 => *n -= 1,
            _ => gone.push(a.clone()),
        }
    }
    let (old_sets, new_sets) = (sets(&old_info.run.indicators), sets(&info.run.indicators));
    let describe = |name: &str, n: u64| format!("{name} ({n})");
    let sets_added =
        new_sets.iter().filter(|(k, _)| !old_sets.contains_key(*k)).map(|(k, (_, n))| describe(k, *n)).collect();
    let sets_removed =
        old_sets.iter().filter(|(k, _)| !new_sets.contains_key(*k)).map(|(k, (_, n))| describe(k, *n)).collect();
    let sets_updated = new_sets
        .iter()
        .filter(|(k, (sha, _))| old_sets.get(*k).is_some_and(|(old, _)| old != sha))
        .map(|(k, (_, n))| describe(k, *n))
        .collect();
    Some(Changes { original, found: true, new, gone, same, sets_added, sets_removed, sets_updated })
}

fn alert_list(out: &mut String, t: &Text, alerts: &[Alert]) {
    out.push_str("<ol class=\"changed\">");
    for a in alerts.iter().take(MAX_LISTED) {
        let lvl = a.level.as_str();
        let _ = write!(
            out,
            "<li><span class=\"badge lvl-{lvl}\" title=\"{lvl}\">{}</span> <bdi class=\"mono\">{}</bdi> <span class=\"muted\">{}</span> <bdi>",
            t.e(&format!("level.{lvl}")),
            esc(&a.event_time.map(fmt_minute).unwrap_or_default()),
            esc(&labels::module(t, &a.module))
        );
        push_text(out, &a.message, 300);
        out.push_str("</bdi></li>");
    }
    out.push_str("</ol>");
    if alerts.len() > MAX_LISTED {
        let _ =
            write!(out, "<p class=\"muted\">{}</p>", t.h("changes.more", &[("n", &num(alerts.len() - MAX_LISTED))]));
    }
}

/// The one-line summary shown in the verdict box.
pub(crate) fn summary_line(t: &Text, c: &Changes) -> String {
    if !c.found {
        return t.h("changes.missing", &[("path", &format!("<code>{}</code>", esc(cut(&c.original, 500).0)))]);
    }
    t.h("changes.summary", &[("new", &num(c.new.len())), ("gone", &num(c.gone.len())), ("same", &num(c.same))])
}

/// Renders the section.
pub(crate) fn section(out: &mut String, t: &Text, c: &Changes) {
    let _ = write!(out, "<section id=\"changes\" class=\"changes\"><h2>{}</h2><p>", t.e("changes.title"));
    out.push_str(&t.h("changes.intro", &[("path", &format!("<code>{}</code>", esc(cut(&c.original, 500).0)))]));
    out.push_str("</p>");
    if !c.found {
        let _ = write!(out, "<p>{}</p></section>", summary_line(t, c));
        return;
    }
    let _ = write!(out, "<p class=\"summary\">{}</p>", summary_line(t, c));
    for (key, list) in [
        ("changes.sets_added", &c.sets_added),
        ("changes.sets_updated", &c.sets_updated),
        ("changes.sets_removed", &c.sets_removed),
    ] {
        if !list.is_empty() {
            let _ = write!(out, "<p>{} ", t.e(key));
            push_text(out, &list.join(", "), 2000);
            out.push_str("</p>");
        }
    }
    if c.sets_added.is_empty() && c.sets_updated.is_empty() && c.sets_removed.is_empty() {
        let _ = write!(out, "<p>{}</p>", t.e("changes.sets_same"));
    }
    if !c.new.is_empty() {
        let _ = write!(out, "<h3>{}</h3>", t.h("changes.new", &[("n", &num(c.new.len()))]));
        alert_list(out, t, &c.new);
    }
    if !c.gone.is_empty() {
        let _ = write!(
            out,
            "<h3>{}</h3><p class=\"muted\">{}</p>",
            t.h("changes.gone", &[("n", &num(c.gone.len()))]),
            t.e("changes.gone_about")
        );
        alert_list(out, t, &c.gone);
    }
    out.push_str("</section>");
}
