//! `connect_event` (intrusion logs): the network connections apps made (remote address, port,
//! app). MVT's `ConnectEvent`.
//!
//! Checks: the remote address (Java's `/1.2.3.4` form cleaned, loopback skipped) against IP
//! indicators → CRITICAL; the app against app indicators → CRITICAL.

use ferret_core::{ArtifactModule, Context, Finding, Indicators, Level, ModuleError, Out, Outcome, ioc_finding};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::intrusion::{self, EventType, Item, WireConnect, clean_ip, is_local_ip};

/// One `connect_event`, with MVT's field names (`timestamp` is `event_time` in UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectEvent {
    /// Unix milliseconds, as logged.
    pub event_time: Option<i64>,
    /// Event id, when logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<i64>,
    /// The app that connected.
    pub package_name: Option<String>,
    /// Remote address as logged (`/203.0.113.10`).
    pub ip_address: Option<String>,
    /// Remote port.
    pub port: Option<u16>,
    /// `event_time` in UTC.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub timestamp: Option<Timestamp>,
    /// Export file the event is in.
    pub file: String,
    /// Its line (1-based).
    pub line: u64,
}

impl ConnectEvent {
    /// The record of a logged event at `file:line`.
    pub fn from_wire(w: WireConnect, file: &str, line: u64) -> Self {
        Self {
            timestamp: w.event_time.and_then(ferret_core::time::from_unix_ms),
            event_time: w.event_time,
            event_id: w.event_id,
            package_name: w.package_name,
            ip_address: w.ip_address,
            port: w.port,
            file: file.to_string(),
            line,
        }
    }

    /// The remote address without the `host/` prefix.
    pub fn ip(&self) -> &str {
        self.ip_address.as_deref().map(clean_ip).unwrap_or("")
    }
}

/// The module.
#[derive(Debug, Clone, Copy)]
pub struct ConnectEvents;

impl ArtifactModule for ConnectEvents {
    type Record = ConnectEvent;
    const NAME: &'static str = "connect_event";
    const DESCRIPTION: &'static str = "Intrusion logs: network connections by app (address, port)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let scan =
            intrusion::read_events::<ModuleError>(ctx.evidence, Some(EventType::Connect), &mut |l| match l.item {
                Item::Connect(w) => out.record(ConnectEvent::from_wire(w, l.file, l.line)),
                _ => Ok(()),
            })?;
        for e in &scan.read_errors {
            out.warn(e.clone());
        }
        Ok(if scan.log_files == 0 { Outcome::NotFound } else { Outcome::Completed })
    }

    fn timeline(&self, r: &ConnectEvent, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.timestamp {
            let port = r.port.map(|p| format!(":{p}")).unwrap_or_default();
            let by = r.package_name.as_deref().unwrap_or("?");
            events.push((t, "network_connection".into(), format!("Connection to {}{port} by {by}", r.ip())));
        }
    }

    fn check(&self, r: &ConnectEvent, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        let ip = r.ip();
        if !is_local_ip(ip)
            && let Some(m) = ind.check_domain(ip)
        {
            f.push(ioc_finding(Level::Critical, "Connection to address", ip, r.timestamp, m));
        }
        if let Some(p) = r.package_name.as_deref().filter(|p| !p.is_empty())
            && let Some(m) = ind.check_app_id(p)
        {
            f.push(ioc_finding(Level::Critical, "Network connection by app", p, r.timestamp, m));
        }
    }
}
