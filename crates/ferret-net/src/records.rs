//! The records of a capture (the schemas of `net_*.json`).
//!
//! Field names shared with the other platforms' records, which campaign correlation reads:
//! `domain` (a host name), `url`, `ip` / `src_ip` / `dst_ip`, `ja4`. In a flow, `src` is the side
//! that opened it (the client: the sender of the TCP SYN, else the side on the higher port).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One DNS answer record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsAnswer {
    /// Owner name.
    pub name: String,
    /// Type (`A`, `AAAA`, `CNAME`, or the number).
    #[serde(rename = "type")]
    pub kind: String,
    /// The address or target name.
    pub value: String,
    /// TTL in seconds.
    pub ttl: u32,
}

/// A DNS exchange (`net_dns.json`): a response with its question, or a query that got no
/// response in the capture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsRecord {
    /// Time of the response (of the query when unanswered).
    #[serde(with = "ferret_core::time::serde_ts")]
    pub timestamp: Timestamp,
    /// The client (the querier).
    pub src_ip: String,
    /// The resolver.
    pub dst_ip: String,
    /// Transport (`udp`, `tcp`).
    pub transport: String,
    /// The queried name.
    pub domain: String,
    /// The query type (`A`, `AAAA`, `HTTPS`...).
    pub query_type: String,
    /// Whether a response was seen.
    pub answered: bool,
    /// Response code (`NOERROR`, `NXDOMAIN`...), when answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rcode: Option<String>,
    /// Answer records other than addresses (CNAME, HTTPS...; of the first 32 answers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<DnsAnswer>,
    /// Addresses returned (A/AAAA answers), for matching and for tying later connections to
    /// the name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ip: Vec<String>,
    /// Smallest TTL of the address answers, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u32>,
    /// Set on the first response for a name that returned addresses when no later connection in
    /// the capture went to any of them and no TLS/HTTP request named it (heuristic input).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub never_contacted: bool,
}

/// A TLS ClientHello (`net_tls.json`; QUIC Initials in `net_quic.json` use the same shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsRecord {
    /// When the hello was complete.
    #[serde(with = "ferret_core::time::serde_ts")]
    pub timestamp: Timestamp,
    /// Client address.
    pub src_ip: String,
    /// Client port.
    pub src_port: u16,
    /// Server address.
    pub dst_ip: String,
    /// Server port.
    pub dst_port: u16,
    /// Server name indication (absent: the client named no server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The name DNS gave for the server address earlier in the capture, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_name: Option<String>,
    /// ALPN protocols offered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alpn: Vec<String>,
    /// Highest version offered (`TLS 1.3`).
    pub tls_version: String,
    /// JA4 fingerprint.
    pub ja4: String,
}

/// An HTTP/1 request (`net_http.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRecord {
    /// When the request head was complete.
    #[serde(with = "ferret_core::time::serde_ts")]
    pub timestamp: Timestamp,
    /// Client address.
    pub src_ip: String,
    /// Client port.
    pub src_port: u16,
    /// Server address.
    pub dst_ip: String,
    /// Server port.
    pub dst_port: u16,
    /// Method.
    pub method: String,
    /// `Host` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The URL (`http://host/target`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `User-Agent` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

/// A flow (`net_flows.json`): one TCP connection or UDP conversation by 5-tuple.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowRecord {
    /// First packet.
    #[serde(with = "ferret_core::time::serde_ts")]
    pub first_seen: Timestamp,
    /// Last packet.
    #[serde(with = "ferret_core::time::serde_ts")]
    pub last_seen: Timestamp,
    /// `tcp` or `udp`.
    pub proto: String,
    /// Client address.
    pub src_ip: String,
    /// Client port.
    pub src_port: u16,
    /// Server address.
    pub dst_ip: String,
    /// Server port.
    pub dst_port: u16,
    /// Server name: the TLS SNI, the HTTP Host, else the name DNS returned the address for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Where `domain` comes from: `sni`, `http`, `dns`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_source: Option<String>,
    /// Packets client → server.
    pub packets_out: u64,
    /// Packets server → client.
    pub packets_in: u64,
    /// IP bytes client → server.
    pub bytes_out: u64,
    /// IP bytes server → client.
    pub bytes_in: u64,
    /// A TLS ClientHello was read on this flow.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tls: bool,
    /// Its SNI, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sni: Option<String>,
    /// JA4 of the ClientHello.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ja4: Option<String>,
    /// `dot` (TCP port 853) or `doh` (TLS to a known DNS-over-HTTPS name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted_dns: Option<String>,
    /// The server is a resolver the device also sent plain DNS (port 53) to.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub system_resolver: bool,
}

/// A series of regular, small connections from one client to one server port
/// (`net_beacons.json`): the input of the beacon heuristic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BeaconRecord {
    /// First connection.
    #[serde(with = "ferret_core::time::serde_ts")]
    pub first_seen: Timestamp,
    /// Last connection.
    #[serde(with = "ferret_core::time::serde_ts")]
    pub last_seen: Timestamp,
    /// `tcp` or `udp`.
    pub proto: String,
    /// Client.
    pub src_ip: String,
    /// Server.
    pub dst_ip: String,
    /// Server port.
    pub dst_port: u16,
    /// Server name, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Connections in the series.
    pub connections: u64,
    /// Median interval between connection starts, seconds.
    pub period_s: f64,
    /// Share of intervals within 10% of the median (0..1).
    pub regularity: f64,
    /// Largest connection (bytes both ways).
    pub max_bytes: u64,
}
