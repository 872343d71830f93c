//! `dns_event` (intrusion logs): the names apps looked up and the addresses returned. MVT's
//! `DnsEvent`.
//!
//! Checks: the name against domain indicators → CRITICAL; each returned address (cleaned,
//! loopback and unspecified skipped) against IP indicators → CRITICAL; the app against app
//! indicators → CRITICAL.

use ferret_core::{ArtifactModule, Context, Finding, Indicators, Level, ModuleError, Out, Outcome, ioc_finding};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::intrusion::{self, EventType, Item, WireDns, clean_ip, is_local_ip};

/// One `dns_event`, with MVT's field names (`timestamp` is `event_time` in UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsEvent {
    /// Unix milliseconds, as logged.
    pub event_time: Option<i64>,
    /// Event id, when logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<i64>,
    /// The app that looked the name up.
    pub package_name: Option<String>,
    /// The name.
    pub hostname: Option<String>,
    /// Addresses returned, as logged (`/203.0.113.10`).
    #[serde(default)]
    pub ip_addresses: Vec<String>,
    /// How many addresses the lookup returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_addresses_count: Option<i64>,
    /// `event_time` in UTC.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub timestamp: Option<Timestamp>,
    /// Export file the event is in.
    pub file: String,
    /// Its line (1-based).
    pub line: u64,
}

impl DnsEvent {
    /// The record of a logged event at `file:line`.
    pub fn from_wire(w: WireDns, file: &str, line: u64) -> Self {
        Self {
            timestamp: w.event_time.and_then(ferret_core::time::from_unix_ms),
            event_time: w.event_time,
            event_id: w.event_id,
            package_name: w.package_name,
            hostname: w.hostname,
            ip_addresses: w.ip_addresses.unwrap_or_default(),
            ip_addresses_count: w.ip_addresses_count,
            file: file.to_string(),
            line,
        }
    }

    /// The returned addresses without their `host/` prefix.
    pub fn ips(&self) -> impl Iterator<Item = &str> {
        self.ip_addresses.iter().map(|s| clean_ip(s))
    }
}

/// The module.
#[derive(Debug, Clone, Copy)]
pub struct DnsEvents;

impl ArtifactModule for DnsEvents {
    type Record = DnsEvent;
    const NAME: &'static str = "dns_event";
    const DESCRIPTION: &'static str = "Intrusion logs: DNS lookups by app (name, returned addresses)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let scan = intrusion::read_events::<ModuleError>(ctx.evidence, Some(EventType::Dns), &mut |l| match l.item {
            Item::Dns(w) => out.record(DnsEvent::from_wire(w, l.file, l.line)),
            _ => Ok(()),
        })?;
        for e in &scan.read_errors {
            out.warn(e.clone());
        }
        Ok(if scan.log_files == 0 { Outcome::NotFound } else { Outcome::Completed })
    }

    fn timeline(&self, r: &DnsEvent, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.timestamp {
            let host = r.hostname.as_deref().unwrap_or("?");
            let by = r.package_name.as_deref().unwrap_or("?");
            let ips: Vec<&str> = r.ips().filter(|i| !i.is_empty()).take(8).collect();
            let tail = if ips.is_empty() { String::new() } else { format!(" [IPs: {}]", ips.join(", ")) };
            events.push((t, "dns_query".into(), format!("DNS query for {host} by {by}{tail}")));
        }
    }

    fn check(&self, r: &DnsEvent, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if let Some(h) = r.hostname.as_deref().filter(|h| !h.is_empty())
            && let Some(m) = ind.check_domain(h)
        {
            f.push(ioc_finding(Level::Critical, "DNS lookup of", h, r.timestamp, m));
        }
        let mut seen: Vec<&str> = Vec::new();
        for ip in r.ips() {
            if is_local_ip(ip) || seen.contains(&ip) {
                continue;
            }
            seen.push(ip);
            if let Some(m) = ind.check_domain(ip) {
                f.push(ioc_finding(Level::Critical, "DNS answer", ip, r.timestamp, m));
            }
        }
        if let Some(p) = r.package_name.as_deref().filter(|p| !p.is_empty())
            && let Some(m) = ind.check_app_id(p)
        {
            f.push(ioc_finding(Level::Critical, "DNS lookup by app", p, r.timestamp, m));
        }
    }
}
