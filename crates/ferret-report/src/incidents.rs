//! Incident windows: alerts from different artifacts that fall within a few minutes of each
//! other on one device, reported as one finding (the triangle_check idea, generalised).
//!
//! Computed in one place, [`incidents`], from the final, sorted list of alerts of a run,
//! whatever module raised them; `ferret check` (with and without `-o`), `ferret check-iocs`
//! and `ferret report` all call it on the alerts they hold, so they give the same windows.
//!
//! # The rule
//! * **Openers.** Only alerts of level `MEDIUM` or above with an `event_time` open or extend a
//!   window. Openers are chained: an opener whose time lies within [`WINDOW_GAP_SECONDS`]
//!   (5 minutes) of the previous opener of the chain belongs to the same chain.
//! * **Joiners.** A timed `LOW` alert joins a chain when its time lies within
//!   [`WINDOW_GAP_SECONDS`] of one of the chain's openers; it never extends the chain and never
//!   opens one, so LOW signals cannot chain into a window by proximity alone. `INFORMATIONAL`
//!   alerts and alerts without `event_time` never join.
//! * **A window** is a chain whose members come from at least two different artifacts: an
//!   opener alone, or several alerts of one artifact (often one record that raised two alerts),
//!   stay plain alerts.
//! * **Level.** The highest member level. When at least two *independent artifacts* each
//!   contribute an opener (a member of level `MEDIUM` or above), the window is **raised one
//!   level**, but never above `HIGH`: `CRITICAL` stays reserved for matches with a known
//!   indicator, so in practice the raise turns agreeing `MEDIUM` signals into a `HIGH` window.
//!   A `LOW` joiner never counts towards agreement. A window raised to `HIGH` counts in the
//!   verdict like a `HIGH` alert (exit code 1).
//! * **Independent artifacts** are different on-device data stores ([`artifact_of`]): two
//!   alerts of one module are one artifact, and modules that read the same store are grouped
//!   (`sms` and `sms_attachments` both read `sms.db`; the pcap modules read one capture;
//!   `dumpsys_packages` and `aqf_packages` read the package manager's state). `DataUsage.sqlite`
//!   and `netusage.sqlite` are different artifacts. A derived pass that re-reads other modules'
//!   records may name the module whose record it flags in its record's `source_module` field;
//!   its alert then counts as that module's artifact.
//!
//! Order and ids are deterministic: windows are sorted by start time then by their first
//! member, members in the canonical alert order; ids are `W1`, `W2`, ... in that order.

use std::collections::BTreeSet;

use ferret_core::{Alert, Level, MatchedIndicator};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The largest gap, in seconds, between an opener and the previous opener of its window (and
/// between a `LOW` joiner and the nearest opener).
pub const WINDOW_GAP_SECONDS: i64 = 5 * 60;

/// File name of the windows in a results folder.
pub const INCIDENTS_FILE: &str = "incidents.json";

/// One member of a window: the alert, shortened to what a reader needs, and its artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentMember {
    /// The alert's level.
    pub level: Level,
    /// The module that raised it.
    pub module: String,
    /// The artifact it counts as ([`artifact_of`]).
    pub artifact: String,
    /// When it happened.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub event_time: Option<Timestamp>,
    /// The alert's message.
    pub message: String,
    /// The indicator it matched, if any.
    #[serde(default)]
    pub matched_indicator: Option<MatchedIndicator>,
}

/// An incident window, as written to `incidents.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Incident {
    /// `W1`, `W2`, ... in time order.
    pub id: String,
    /// The window's level (see the module docs).
    pub level: Level,
    /// The highest level of its members.
    pub max_member_level: Level,
    /// Whether the level was raised because independent artifacts agree.
    pub raised: bool,
    /// Time of the first member.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub start: Option<Timestamp>,
    /// Time of the last member.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub end: Option<Timestamp>,
    /// Artifacts with at least one `MEDIUM`-or-above member, sorted.
    pub agreeing_artifacts: Vec<String>,
    /// Every artifact with a member, sorted.
    pub artifacts: Vec<String>,
    /// Why the window has its level, in plain words.
    pub reason: String,
    /// The members, in canonical alert order.
    pub members: Vec<IncidentMember>,
}

/// Counts of windows, for `info.json`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentCounts {
    /// Windows found.
    pub windows: u64,
    /// Windows whose level was raised by agreement.
    pub raised: u64,
    /// Windows raised to `HIGH` from members that are all below `HIGH`: the ones that change
    /// the verdict.
    pub raised_to_high: u64,
}

impl IncidentCounts {
    /// Counts `windows`.
    pub fn of(windows: &[Incident]) -> Self {
        let mut c = Self::default();
        for w in windows {
            c.windows += 1;
            if w.raised {
                c.raised += 1;
            }
            if w.raises_verdict() {
                c.raised_to_high += 1;
            }
        }
        c
    }
}

impl Incident {
    /// Whether this window is serious (`HIGH` or above) only because of the raise: no member
    /// is serious by itself, so the verdict must count the window.
    pub fn raises_verdict(&self) -> bool {
        self.level >= Level::High && self.max_member_level < Level::High
    }
}

/// The artifact (on-device data store) an alert comes from: see the module docs. Modules not
/// listed are their own artifact.
pub fn artifact_of(alert: &Alert) -> String {
    let module = alert
        .event
        .get("source_module")
        .and_then(serde_json::Value::as_str)
        .filter(|m| !m.is_empty())
        .unwrap_or(alert.module.as_str());
    artifact_of_module(module).to_string()
}

/// The artifact group of a module name.
pub fn artifact_of_module(module: &str) -> &str {
    match module {
        "sms" | "sms_attachments" => "sms.db",
        "whatsapp" | "whatsapp_chat_sessions" | "whatsapp_group_delivery" => "ChatStorage.sqlite",
        "whatsapp_contacts" => "ContactsV2.sqlite",
        "datausage" => "DataUsage.sqlite",
        "netusage" => "netusage.sqlite",
        "tcc" => "TCC.db",
        "manifest" => "Manifest.db",
        "dumpsys_packages" | "aqf_packages" => "package manager",
        "getprop" | "aqf_getprop" => "system properties",
        "logcat" | "aqf_logcat" => "logcat",
        "processes" | "aqf_processes" => "process list",
        m if m.starts_with("net_") => "network capture",
        "dns_event" | "connect_event" | "security_event" => "intrusion logs",
        m => m,
    }
}

/// The incident windows of `alerts` (any order; see the module docs for the rule).
pub fn incidents(alerts: &[Alert]) -> Vec<Incident> {
    let mut timed: Vec<&Alert> = alerts.iter().filter(|a| a.event_time.is_some() && a.level >= Level::Low).collect();
    timed.sort_by_cached_key(|a| {
        let (t, m, l, msg, ev) = a.sort_key();
        (t, m.to_owned(), l, msg.to_owned(), ev)
    });
    let time = |a: &Alert| a.event_time.map_or(0, Timestamp::as_second);
    // chains of openers: (first opener time, last opener time, opener times)
    let mut chains: Vec<Vec<i64>> = Vec::new();
    for a in timed.iter().filter(|a| a.level >= Level::Medium) {
        let t = time(a);
        match chains.last_mut() {
            Some(c) if c.last().is_some_and(|last| t - last <= WINDOW_GAP_SECONDS) => c.push(t),
            _ => chains.push(vec![t]),
        }
    }
    let mut out = Vec::new();
    for chain in chains {
        let (Some(&first), Some(&last)) = (chain.first(), chain.last()) else { continue };
        let near = |t: i64| {
            // the nearest opener: the chain is sorted, so look around the insertion point
            let i = chain.partition_point(|&o| o < t);
            let after = chain.get(i).is_some_and(|&o| o - t <= WINDOW_GAP_SECONDS);
            let before = i.checked_sub(1).and_then(|j| chain.get(j)).is_some_and(|&o| t - o <= WINDOW_GAP_SECONDS);
            after || before
        };
        // `timed` is in time order: only the alerts within the gap of the chain's span can join
        let lo = timed.partition_point(|a| time(a) < first - WINDOW_GAP_SECONDS);
        let hi = timed.partition_point(|a| time(a) <= last + WINDOW_GAP_SECONDS);
        let members: Vec<&Alert> = timed
            .get(lo..hi)
            .unwrap_or_default()
            .iter()
            .copied()
            .filter(|a| {
                let t = time(a);
                if a.level >= Level::Medium { (first..=last).contains(&t) } else { near(t) }
            })
            .collect();
        let artifacts: BTreeSet<String> = members.iter().map(|a| artifact_of(a)).collect();
        if artifacts.len() < 2 {
            continue;
        }
        out.push(window(&members));
    }
    out.sort_by(|a, b| (a.start, &a.members[0].module).cmp(&(b.start, &b.members[0].module)));
    for (i, w) in out.iter_mut().enumerate() {
        w.id = format!("W{}", i + 1);
    }
    out
}

fn window(members: &[&Alert]) -> Incident {
    let max = members.iter().map(|a| a.level).max().unwrap_or(Level::Low);
    let agreeing: BTreeSet<String> =
        members.iter().filter(|a| a.level >= Level::Medium).map(|a| artifact_of(a)).collect();
    let artifacts: BTreeSet<String> = members.iter().map(|a| artifact_of(a)).collect();
    let raised = agreeing.len() >= 2 && max < Level::High;
    let level = if raised { Level::High } else { max };
    let list = |s: &BTreeSet<String>| s.iter().map(String::as_str).collect::<Vec<_>>().join(", ");
    let reason = if raised {
        format!(
            "raised from {} to {}: {} independent artifacts ({}) show suspicious activity within {} minutes of each other",
            max,
            level,
            agreeing.len(),
            list(&agreeing),
            WINDOW_GAP_SECONDS / 60
        )
    } else if agreeing.len() >= 2 {
        format!(
            "{level}: its strongest member is {max}; {} independent artifacts ({}) agree, which confirms it (the raise stops at HIGH: CRITICAL is for known indicators)",
            agreeing.len(),
            list(&agreeing)
        )
    } else {
        format!(
            "{level}: its strongest member; not raised, because only one artifact ({}) shows a medium-or-higher signal (the others add low signals only)",
            list(&agreeing)
        )
    };
    Incident {
        id: String::new(),
        level,
        max_member_level: max,
        raised,
        start: members.iter().filter_map(|a| a.event_time).min(),
        end: members.iter().filter_map(|a| a.event_time).max(),
        agreeing_artifacts: agreeing.into_iter().collect(),
        artifacts: artifacts.into_iter().collect(),
        reason,
        members: members
            .iter()
            .map(|a| IncidentMember {
                level: a.level,
                module: a.module.clone(),
                artifact: artifact_of(a),
                event_time: a.event_time,
                message: a.message.clone(),
                matched_indicator: a.matched_indicator.clone(),
            })
            .collect(),
    }
}

/// The windows as plain lines for the terminal (empty when there is none): a count, then one
/// line per window (the first [`MAX_CONSOLE_WINDOWS`]) with its level, span, artifacts and
/// reason. Evidence text is escaped with [`crate::terminal_safe`].
pub fn console_lines(windows: &[Incident]) -> Vec<String> {
    if windows.is_empty() {
        return Vec::new();
    }
    let c = IncidentCounts::of(windows);
    let mut out = vec![format!(
        "Incident windows (alerts from several checks within {} minutes): {}, {} raised because independent artifacts agree",
        WINDOW_GAP_SECONDS / 60,
        c.windows,
        c.raised
    )];
    for w in windows.iter().take(MAX_CONSOLE_WINDOWS) {
        out.push(format!(
            "  {} {} {} to {} UTC, {} members from {}: {}",
            w.id,
            w.level,
            w.start.map(ferret_core::time::format).unwrap_or_default(),
            w.end.map(ferret_core::time::format).unwrap_or_default(),
            w.members.len(),
            crate::terminal_safe(&w.artifacts.join(", ")),
            crate::terminal_safe(&w.reason)
        ));
    }
    if windows.len() > MAX_CONSOLE_WINDOWS {
        out.push(format!("  ... and {} more ({INCIDENTS_FILE} has them all)", windows.len() - MAX_CONSOLE_WINDOWS));
    }
    out
}

/// Windows printed one per line at the end of a run.
pub const MAX_CONSOLE_WINDOWS: usize = 10;

/// Windows rendered in `report.html` (the rest are counted; all are in `incidents.json`).
pub const MAX_HTML_WINDOWS: usize = 200;

/// The windows section at the top of `report.html` (nothing when there is no window): for each
/// window its level, time span, the reason for its level and its members. Evidence text is
/// escaped.
pub(crate) fn html_section(out: &mut String, t: &crate::i18n::Text, windows: &[Incident]) {
    use std::fmt::Write as _;

    use crate::html::{esc, push_text};
    use crate::i18n::num;
    if windows.is_empty() {
        return;
    }
    let c = IncidentCounts::of(windows);
    let _ = write!(
        out,
        "<section id=\"incidents\"><h2>{}</h2><p>{}</p>",
        t.e("incidents.title"),
        t.h(
            "incidents.intro",
            &[("minutes", &num(WINDOW_GAP_SECONDS / 60)), ("n", &num(c.windows)), ("raised", &num(c.raised))]
        )
    );
    for w in windows.iter().take(MAX_HTML_WINDOWS) {
        let span = |ts: Option<Timestamp>| ts.map(crate::firstscreen::fmt_minute).unwrap_or_default();
        let _ = write!(
            out,
            "<div class=\"incident l-{l}\" id=\"incident-{id}\"><h3><span class=\"badge lvl-{l}\">{}</span> {id} · {} – {} UTC</h3><p>",
            t.e(&format!("level.{}", w.level.as_str())),
            esc(&span(w.start)),
            esc(&span(w.end)),
            l = w.level.as_str(),
            id = esc(&w.id),
        );
        if w.raised {
            let _ = write!(out, "<strong>{}</strong> ", t.e("incidents.raised"));
        }
        push_text(out, &w.reason, 1000);
        let _ = write!(
            out,
            "</p><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            t.e("incidents.col_time"),
            t.e("incidents.col_level"),
            t.e("incidents.col_check"),
            t.e("incidents.col_artifact"),
            t.e("incidents.col_message")
        );
        for m in w.members.iter().take(crate::evidence::MAX_ITEMS) {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td><bdi>",
                esc(&m.event_time.map(ferret_core::time::format).unwrap_or_default()),
                t.e(&format!("level.{}", m.level.as_str())),
                esc(&crate::labels::module(t, &m.module))
            );
            push_text(out, &m.artifact, 200);
            out.push_str("</bdi></td><td><bdi>");
            push_text(out, &m.message, 500);
            out.push_str("</bdi></td></tr>");
        }
        if w.members.len() > crate::evidence::MAX_ITEMS {
            let _ = write!(
                out,
                "<tr><td colspan=\"5\">{}</td></tr>",
                t.h("incidents.more_members", &[("n", &num(w.members.len() - crate::evidence::MAX_ITEMS))])
            );
        }
        out.push_str("</tbody></table></div>");
    }
    if windows.len() > MAX_HTML_WINDOWS {
        let _ = write!(out, "<p>{}</p>", t.h("incidents.more", &[("n", &num(windows.len() - MAX_HTML_WINDOWS))]));
    }
    out.push_str("</section>");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Option<Timestamp> {
        Timestamp::from_second(1_760_000_000 + s).ok()
    }

    fn alert(level: Level, module: &str, t: Option<i64>) -> Alert {
        Alert {
            level,
            module: module.into(),
            message: format!("{module} {level} {t:?}"),
            event_time: t.and_then(at),
            event: serde_json::json!({}),
            matched_indicator: None,
        }
    }

    fn members(w: &Incident) -> Vec<(&str, Level)> {
        w.members.iter().map(|m| (m.module.as_str(), m.level)).collect()
    }

    #[test]
    fn two_artifacts_minutes_apart_form_one_raised_window() {
        let alerts = vec![
            alert(Level::Medium, "crash_logs", Some(0)),
            alert(Level::Medium, "shutdown_log", Some(180)),
            alert(Level::Low, "datausage", Some(400)), // within 5 min of the second opener: joins
            alert(Level::Low, "netusage", Some(481)),  // 301 s after the last opener: does not join
            alert(Level::Medium, "tcc", None),         // no time: never joins
            alert(Level::Info, "os_version", Some(60)), // informational: never joins
        ];
        let w = incidents(&alerts);
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].id, "W1");
        assert_eq!(
            members(&w[0]),
            vec![("crash_logs", Level::Medium), ("shutdown_log", Level::Medium), ("datausage", Level::Low)]
        );
        assert_eq!((w[0].level, w[0].raised, w[0].max_member_level), (Level::High, true, Level::Medium));
        assert_eq!(w[0].agreeing_artifacts, vec!["crash_logs", "shutdown_log"]);
        assert_eq!((w[0].start, w[0].end), (at(0), at(400)));
        assert!(w[0].reason.starts_with("raised from MEDIUM to HIGH: 2 independent artifacts"), "{}", w[0].reason);
        assert!(w[0].raises_verdict());
        assert_eq!(IncidentCounts::of(&w), IncidentCounts { windows: 1, raised: 1, raised_to_high: 1 });
    }

    #[test]
    fn the_same_traces_hours_apart_form_none() {
        let alerts =
            vec![alert(Level::Medium, "crash_logs", Some(0)), alert(Level::Medium, "shutdown_log", Some(3 * 3600))];
        assert_eq!(incidents(&alerts), vec![]);
        // one minute past the gap: none either
        let alerts = vec![
            alert(Level::Medium, "crash_logs", Some(0)),
            alert(Level::Medium, "shutdown_log", Some(WINDOW_GAP_SECONDS + 1)),
        ];
        assert_eq!(incidents(&alerts), vec![]);
    }

    #[test]
    fn one_artifact_alone_is_not_a_window_and_grouped_modules_are_one_artifact() {
        let alerts = vec![alert(Level::Medium, "crash_logs", Some(0)), alert(Level::Medium, "crash_logs", Some(60))];
        assert_eq!(incidents(&alerts), vec![]);
        // sms and sms_attachments read one database
        let alerts = vec![alert(Level::Medium, "sms", Some(0)), alert(Level::Medium, "sms_attachments", Some(60))];
        assert_eq!(incidents(&alerts), vec![]);
        // one artifact with medium signals and another with a low one: a window, not raised
        let alerts = vec![
            alert(Level::Medium, "sms", Some(0)),
            alert(Level::Medium, "sms_attachments", Some(60)),
            alert(Level::Low, "netusage", Some(90)),
        ];
        let w = incidents(&alerts);
        assert_eq!(w.len(), 1);
        assert_eq!(
            (w[0].level, w[0].raised, w[0].agreeing_artifacts.clone()),
            (Level::Medium, false, vec!["sms.db".into()])
        );
        assert!(!w[0].raises_verdict());
        // DataUsage and netusage are different files
        let alerts = vec![alert(Level::Medium, "datausage", Some(0)), alert(Level::Medium, "netusage", Some(60))];
        assert_eq!(incidents(&alerts)[0].level, Level::High);
    }

    #[test]
    fn low_signals_neither_open_nor_chain_nor_agree() {
        // two LOW alerts of different artifacts: no window
        let alerts = vec![alert(Level::Low, "datausage", Some(0)), alert(Level::Low, "netusage", Some(10))];
        assert_eq!(incidents(&alerts), vec![]);
        // a MEDIUM with a LOW of another artifact: a window, not raised
        let alerts = vec![alert(Level::Medium, "crash_logs", Some(0)), alert(Level::Low, "netusage", Some(10))];
        let w = incidents(&alerts);
        assert_eq!((w.len(), w[0].level, w[0].raised), (1, Level::Medium, false));
        // a chain of LOWs does not stretch a window: only those near an opener join
        let alerts: Vec<Alert> = std::iter::once(alert(Level::Medium, "crash_logs", Some(0)))
            .chain((1..10).map(|i| alert(Level::Low, "netusage", Some(i * 200))))
            .collect();
        let w = incidents(&alerts);
        assert_eq!(w[0].members.len(), 2, "{:?}", members(&w[0]));
        // a single opener is an alert, not a window
        assert_eq!(incidents(&[alert(Level::High, "crash_logs", Some(0))]), vec![]);
    }

    #[test]
    fn chains_high_and_critical_windows_and_ids_are_in_time_order() {
        let alerts = vec![
            // second window, later in time, listed first
            alert(Level::High, "shutdown_log", Some(10_000)),
            alert(Level::Medium, "ps", Some(10_100)),
            // first window: a chain of three openers 4 minutes apart spans 8 minutes
            alert(Level::Critical, "datausage", Some(0)),
            alert(Level::Medium, "crash_logs", Some(240)),
            alert(Level::Medium, "crash_logs", Some(480)),
        ];
        let w = incidents(&alerts);
        assert_eq!(w.iter().map(|w| w.id.as_str()).collect::<Vec<_>>(), vec!["W1", "W2"]);
        assert_eq!((w[0].start, w[0].end, w[0].members.len()), (at(0), at(480), 3));
        assert_eq!((w[0].level, w[0].raised), (Level::Critical, false), "never raised above what a member says");
        assert_eq!((w[1].level, w[1].raised), (Level::High, false), "the raise stops at HIGH");
        assert!(!w[1].raises_verdict(), "a HIGH member already counts in the verdict");
        // order of the input does not matter
        let mut rev = alerts.clone();
        rev.reverse();
        assert_eq!(incidents(&rev), w);
    }

    #[test]
    fn a_derived_pass_counts_as_the_artifact_it_names() {
        let mut census = alert(Level::Medium, "process_census", Some(30));
        census.event = serde_json::json!({"source_module": "datausage", "process": "x"});
        let alerts = vec![alert(Level::Medium, "datausage", Some(0)), census.clone()];
        assert_eq!(incidents(&alerts), vec![], "one artifact");
        census.event = serde_json::json!({"process": "x"});
        let w = incidents(&[alert(Level::Medium, "datausage", Some(0)), census]);
        assert_eq!(w[0].level, Level::High);
    }

    #[test]
    fn console_lines_name_the_windows() {
        assert!(console_lines(&[]).is_empty());
        let w =
            incidents(&[alert(Level::Medium, "crash_logs", Some(0)), alert(Level::Medium, "shutdown_log", Some(60))]);
        let lines = console_lines(&w);
        assert_eq!(lines.len(), 2);
        assert!(lines[0].contains(": 1, 1 raised"), "{lines:?}");
        assert!(lines[1].starts_with("  W1 HIGH 2025-10-09 08:53:20.000000 to 2025-10-09 08:54:20.000000 UTC, 2 members from crash_logs, shutdown_log: raised"), "{lines:?}");
    }

    #[test]
    fn the_intrusion_log_modules_are_one_artifact() {
        let a: Vec<&str> =
            ["dns_event", "connect_event", "security_event"].into_iter().map(artifact_of_module).collect();
        assert_eq!(a, ["intrusion logs"; 3]);
        assert_ne!(artifact_of_module("logcat"), artifact_of_module("security_event"));
    }
}
