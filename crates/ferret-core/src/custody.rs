//! The custody window (`--custody FROM..TO`): when the phone was out of its owner's hands
//! (held by police, at a border, in a repair shop). Everything that changed the phone's
//! software or trust inside that window is listed and raised to `HIGH`.
//!
//! One helper decides, for every module: a module lists the software or trust changes a record
//! describes ([`crate::ArtifactModule::changes`]: an app installed or updated, a configuration
//! profile or root certificate installed, a privacy or accessibility grant, a device-admin
//! grant, a VPN added), and the framework turns each change whose time lies in the window into a
//! `HIGH` finding ([`Custody::finding`]), during a check and during `check-iocs` alike.
//!
//! # Format
//! `FROM..TO`, each side either an RFC 3339 time (`2025-03-01T08:00:00Z`,
//! `2025-03-01T09:00:00+01:00`; a space may replace the `T`) or a date `YYYY-MM-DD` (UTC: a
//! date as `FROM` means its first second, as `TO` its last microsecond). Both ends are included; `FROM`
//! must not be after `TO`.

use std::str::FromStr;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{Alert, Finding, Level};

/// The words every custody finding carries (and that tell a custody alert apart).
pub const REASON: &str = "changed while the phone was out of the owner's hands";

/// A malformed `--custody` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid custody window {given:?}: {reason} (expected FROM..TO, each an RFC 3339 time such as 2025-03-01T08:00:00Z or a date such as 2025-03-01)"
)]
pub struct CustodyError {
    /// The value given.
    pub given: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A custody window: from `from` to `to`, both included (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Custody {
    /// Start (included).
    #[serde(with = "crate::time::serde_ts")]
    pub from: Timestamp,
    /// End (included).
    #[serde(with = "crate::time::serde_ts")]
    pub to: Timestamp,
}

fn parse_end(s: &str, end_of_day: bool) -> Result<Timestamp, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("an end is empty".into());
    }
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    if let Ok(d) = s.parse::<jiff::civil::Date>()
        && s.len() == 10
    {
        let time = if end_of_day {
            jiff::civil::Time::new(23, 59, 59, 999_999_000).map_err(|e| e.to_string())?
        } else {
            jiff::civil::Time::midnight()
        };
        return d.to_datetime(time).to_zoned(jiff::tz::TimeZone::UTC).map(|z| z.timestamp()).map_err(|e| e.to_string());
    }
    Err(format!("{s:?} is neither an RFC 3339 time with a zone (Z or +01:00) nor a date YYYY-MM-DD"))
}

impl FromStr for Custody {
    type Err = CustodyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: String| CustodyError { given: s.to_string(), reason };
        let (a, b) = s.split_once("..").ok_or_else(|| err("no `..` between FROM and TO".into()))?;
        if b.contains("..") {
            return Err(err("more than one `..`".into()));
        }
        let from = parse_end(a, false).map_err(err)?;
        let to = parse_end(b, true).map_err(err)?;
        if from > to {
            return Err(err("FROM is after TO".into()));
        }
        Ok(Self { from, to })
    }
}

impl std::fmt::Display for Custody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rfc = |t: Timestamp| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
        write!(f, "{}..{}", rfc(self.from), rfc(self.to))
    }
}

impl Custody {
    /// Whether `t` lies in the window (both ends included).
    pub fn contains(&self, t: Timestamp) -> bool {
        self.from <= t && t <= self.to
    }

    /// The `HIGH` finding for `change` (what changed, e.g. `App "com.x" installed`) at `when`,
    /// or `None` when `when` is outside the window.
    pub fn finding(&self, change: &str, when: Timestamp) -> Option<Finding> {
        self.contains(when).then(|| {
            Finding::heuristic(
                Level::High,
                format!("{change} at {} UTC: {REASON} (custody {self})", crate::time::format(when)),
                Some(when),
            )
        })
    }
}

/// Whether `alert` was raised by a custody window (such alerts depend on the run's
/// `--custody`, so a re-check never carries them over from the original run).
pub fn is_custody_alert(alert: &Alert) -> bool {
    alert.matched_indicator.is_none() && alert.message.contains(REASON) && alert.message.contains("(custody ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("ts")
    }

    #[test]
    fn dates_and_rfc3339_times_parse() {
        let c: Custody = "2025-03-01..2025-03-02".parse().expect("dates");
        assert_eq!(c.from, ts("2025-03-01T00:00:00Z"));
        assert_eq!(c.to, ts("2025-03-02T23:59:59.999999Z"));
        assert_eq!(c.to_string(), "2025-03-01T00:00:00Z..2025-03-02T23:59:59Z");
        let c: Custody = "2025-03-01T09:00:00+01:00..2025-03-01T10:30:00Z".parse().expect("times");
        assert_eq!((c.from, c.to), (ts("2025-03-01T08:00:00Z"), ts("2025-03-01T10:30:00Z")));
        assert!(c.contains(ts("2025-03-01T08:00:00Z")) && c.contains(ts("2025-03-01T10:30:00Z")), "ends included");
        assert!(!c.contains(ts("2025-03-01T07:59:59Z")) && !c.contains(ts("2025-03-01T10:30:01Z")));
        let f = c.finding("App \"com.x\" installed", ts("2025-03-01T09:00:00Z")).expect("inside");
        assert_eq!(f.level, Level::High);
        assert_eq!(
            f.message,
            "App \"com.x\" installed at 2025-03-01 09:00:00.000000 UTC: changed while the phone was out of the owner's hands (custody 2025-03-01T08:00:00Z..2025-03-01T10:30:00Z)"
        );
        assert_eq!(c.finding("x", ts("2025-03-02T09:00:00Z")), None);
    }

    #[test]
    fn malformed_windows_are_errors() {
        for (given, why) in [
            ("2025-03-01", "no `..`"),
            ("2025-03-02..2025-03-01", "FROM is after TO"),
            ("..2025-03-01", "an end is empty"),
            ("2025-03-01..", "an end is empty"),
            ("2025-03-01..2025-03-02..2025-03-03", "more than one"),
            ("yesterday..today", "neither an RFC 3339 time"),
            ("2025-03-01T08:00:00..2025-03-02", "neither an RFC 3339 time"),
            ("2025-13-01..2025-12-02", "neither an RFC 3339 time"),
        ] {
            let e = given.parse::<Custody>().expect_err(given);
            assert!(e.reason.contains(why), "{given}: {e}");
            assert!(e.to_string().contains("expected FROM..TO"), "{e}");
        }
    }
}
