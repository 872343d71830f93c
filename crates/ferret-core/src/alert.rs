//! Alerts: what ferret tells an analyst, with the record that caused it.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// How serious an alert is. Ordered: `Info < Low < Medium < High < Critical`.
///
/// Serialized in upper case as MVT does (`"INFORMATIONAL"`, `"LOW"`, ...). Exit code 1 is
/// returned when any alert is `High` or `Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Level {
    /// Context for the analyst; never a sign of compromise by itself.
    #[serde(rename = "INFORMATIONAL", alias = "INFO")]
    Info,
    /// Worth a look; commonly benign.
    #[serde(rename = "LOW")]
    Low,
    /// Suspicious; needs expert review.
    #[serde(rename = "MEDIUM")]
    Medium,
    /// Strong sign of compromise or of tampering.
    #[serde(rename = "HIGH")]
    High,
    /// A match with a known spyware indicator.
    #[serde(rename = "CRITICAL")]
    Critical,
}

impl Level {
    /// All levels, lowest first.
    pub const ALL: [Level; 5] = [Level::Info, Level::Low, Level::Medium, Level::High, Level::Critical];

    /// The upper-case name used in files and on the console.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "INFORMATIONAL",
            Level::Low => "LOW",
            Level::Medium => "MEDIUM",
            Level::High => "HIGH",
            Level::Critical => "CRITICAL",
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The indicator an alert matched (MVT's `matched_indicator`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MatchedIndicator {
    /// The indicator value as written in the indicator file (e.g. `evil.example`).
    pub value: String,
    /// The indicator bucket: `domains`, `urls`, `processes`, `emails`, `file_names`, `file_paths`,
    /// `files_sha256`, `app_ids`, `app_cert_hashes`, `ios_profile_ids`, `android_property_names`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Malware, campaign or report name the indicator belongs to (e.g. `Pegasus`).
    pub name: String,
    /// File name of the indicator file it came from.
    pub stix2_file_name: String,
}

/// A finding produced by a check on one record, before it is attached to that record.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Severity.
    pub level: Level,
    /// Plain-language explanation, naming the evidence value.
    pub message: String,
    /// When the underlying event happened, if known.
    pub event_time: Option<Timestamp>,
    /// The indicator that matched, for indicator hits.
    pub matched_indicator: Option<MatchedIndicator>,
}

impl Finding {
    /// A heuristic finding (no indicator).
    pub fn heuristic(level: Level, message: impl Into<String>, event_time: Option<Timestamp>) -> Self {
        Self { level, message: message.into(), event_time, matched_indicator: None }
    }

    /// An indicator hit.
    pub fn indicator(
        level: Level,
        message: impl Into<String>,
        event_time: Option<Timestamp>,
        matched: MatchedIndicator,
    ) -> Self {
        Self { level, message: message.into(), event_time, matched_indicator: Some(matched) }
    }
}

/// One alert as written to `alerts.json` and `<module>_detected.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Severity.
    pub level: Level,
    /// Slug of the module that raised it.
    pub module: String,
    /// Plain-language explanation.
    pub message: String,
    /// When the underlying event happened (UTC, `isodate` form), if known.
    #[serde(with = "crate::time::serde_opt_ts", default)]
    pub event_time: Option<Timestamp>,
    /// The full record that caused the alert.
    pub event: serde_json::Value,
    /// The indicator that matched, if any.
    #[serde(default)]
    pub matched_indicator: Option<MatchedIndicator>,
}

impl Alert {
    /// A total, deterministic order: time (unknown first), module, level (highest first),
    /// message, then the record's JSON text.
    pub fn sort_key(&self) -> (Option<Timestamp>, &str, std::cmp::Reverse<Level>, &str, String) {
        (
            self.event_time,
            self.module.as_str(),
            std::cmp::Reverse(self.level),
            self.message.as_str(),
            self.event.to_string(),
        )
    }
}

/// Sorts alerts into their canonical, deterministic order.
pub fn sort_alerts(alerts: &mut [Alert]) {
    alerts.sort_by_cached_key(|a| {
        let (t, m, l, msg, ev) = a.sort_key();
        (t, m.to_owned(), l, msg.to_owned(), ev)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_order_and_names() {
        assert!(Level::Critical > Level::High && Level::High > Level::Medium);
        assert!(Level::Low > Level::Info);
        let s = serde_json::to_string(&Level::Info).expect("serializes");
        assert_eq!(s, "\"INFORMATIONAL\"");
        let l: Level = serde_json::from_str("\"CRITICAL\"").expect("parses");
        assert_eq!(l, Level::Critical);
    }
}
