//! The one decoding pass over a capture: frames → IP → TCP/UDP → flows, DNS, TLS ClientHello,
//! HTTP request heads; then the cross-record facts the checks need (which names were contacted,
//! which resolvers the device uses, beacon series).
//!
//! Memory is bounded whatever the capture: the flow table holds at most [`Limits::max_flows`]
//! flows (later new flows are counted, not tracked), at most [`Limits::max_streams`] TCP streams
//! are reassembled at once, each only up to [`Limits::stream_bytes`] of the client's first bytes
//! (enough for a ClientHello or a request head) with at most [`Limits::max_pending`]
//! out-of-order segments; idle streams are dropped after five minutes of capture time; each
//! record list stops at [`Limits::max_records`] (with a warning).

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;

use etherparse::{LaxNetSlice, LaxSlicedPacket, TransportSlice};
use jiff::Timestamp;

use crate::capture::{Frame, ReadStats, link_payload, supported_link};
use crate::http::{self, Head};
use crate::quic;
use crate::records::{BeaconRecord, DnsAnswer, DnsRecord, FlowRecord, HttpRecord, TlsRecord};
use crate::tls::{self, Hello};

type Map<K, V> = HashMap<K, V, foldhash::fast::FixedState>;
type Set<K> = HashSet<K, foldhash::fast::FixedState>;

/// Bounds of one decoding pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Flows tracked.
    pub max_flows: usize,
    /// TCP streams reassembled at once.
    pub max_streams: usize,
    /// Client bytes kept per stream.
    pub stream_bytes: usize,
    /// Out-of-order segments kept per stream.
    pub max_pending: usize,
    /// DNS records kept.
    pub max_dns: usize,
    /// Records kept per kind (TLS, QUIC, HTTP).
    pub max_records: usize,
    /// Address → name entries learnt from DNS.
    pub max_names: usize,
    /// DNS queries waiting for their response.
    pub max_pending_dns: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_flows: 300_000,
            max_streams: 65_536,
            stream_bytes: 16 << 10,
            max_pending: 16,
            max_dns: 200_000,
            max_records: 100_000,
            max_names: 300_000,
            max_pending_dns: 65_536,
        }
    }
}

/// Names of public DNS-over-HTTPS services (a TLS connection naming one is DoH).
pub const DOH_NAMES: &[&str] = &[
    "dns.google",
    "dns.google.com",
    "cloudflare-dns.com",
    "mozilla.cloudflare-dns.com",
    "chrome.cloudflare-dns.com",
    "one.one.one.one",
    "1dot1dot1dot1.cloudflare-dns.com",
    "dns.quad9.net",
    "dns9.quad9.net",
    "dns10.quad9.net",
    "dns11.quad9.net",
    "doh.opendns.com",
    "dns.adguard.com",
    "dns.adguard-dns.com",
    "dns.nextdns.io",
    "doh.cleanbrowsing.org",
    "dns.mullvad.net",
    "doh.mullvad.net",
    "dns0.eu",
    "doh.dns.sb",
];

/// TCP/UDP ports on which TLS is expected.
pub const TLS_PORTS: &[u16] = &[443, 853, 993, 995, 465, 5223, 8443];

/// Everything one pass produced.
#[derive(Debug, Default)]
pub struct Decoded {
    /// The capture reader's counters.
    pub stats: ReadStats,
    /// DNS exchanges, by time.
    pub dns: Vec<DnsRecord>,
    /// TLS ClientHellos, by time.
    pub tls: Vec<TlsRecord>,
    /// QUIC Initial ClientHellos, by time.
    pub quic: Vec<TlsRecord>,
    /// HTTP requests, by time.
    pub http: Vec<HttpRecord>,
    /// Flows, by first packet.
    pub flows: Flows,
    /// Beacon series, by first connection.
    pub beacons: Vec<BeaconRecord>,
    /// Packet counters.
    pub counters: Counters,
    /// Problems worth telling (bounds hit, truncated capture).
    pub warnings: Vec<String>,
}

/// The flow table of a pass, turned into [`FlowRecord`]s only as they are written (a record
/// takes twice the memory of a table entry).
#[derive(Default)]
pub struct Flows {
    raw: Vec<Flow>,
    resolvers: Set<IpAddr>,
}

impl std::fmt::Debug for Flows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flows").field("len", &self.raw.len()).finish()
    }
}

impl Flows {
    /// Number of flows.
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// No flow.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The records, in first-packet order.
    pub fn records(self) -> impl Iterator<Item = FlowRecord> {
        let resolvers = self.resolvers;
        self.raw.into_iter().map(move |f| flow_record(f, &resolvers))
    }
}

fn flow_record(f: Flow, resolvers: &Set<IpAddr>) -> FlowRecord {
    let doh = f.sni.as_deref().is_some_and(|s| DOH_NAMES.contains(&s.to_ascii_lowercase().as_str()));
    let encrypted_dns = if f.key.proto == 6 && f.key.sport == 853 {
        Some("dot".to_string())
    } else if doh {
        Some("doh".to_string())
    } else {
        None
    };
    FlowRecord {
        first_seen: ts(f.first_ns),
        last_seen: ts(f.last_ns),
        proto: proto_name(f.key.proto).to_string(),
        src_ip: f.key.client.to_string(),
        src_port: f.key.cport,
        dst_ip: f.key.server.to_string(),
        dst_port: f.key.sport,
        domain: f.domain.as_deref().map(str::to_string),
        domain_source: f.domain_source.map(str::to_string),
        packets_out: f.pk_out,
        packets_in: f.pk_in,
        bytes_out: f.b_out,
        bytes_in: f.b_in,
        tls: f.tls,
        system_resolver: resolvers.contains(&f.key.server),
        sni: f.sni,
        ja4: f.ja4,
        encrypted_dns,
    }
}

/// Packet counters of a pass.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
    /// IP packets decoded.
    pub ip_packets: u64,
    /// Frames that were not IP (ARP, 802.11 management, unsupported links...).
    pub not_ip: u64,
    /// Packets cut short by the capture's snap length or damaged.
    pub truncated: u64,
    /// Packets left out by `--device-ip`.
    pub filtered: u64,
    /// Packets of flows not tracked because the flow table was full.
    pub untracked: u64,
    /// DNS messages that did not parse.
    pub bad_dns: u64,
    /// TCP streams whose start was malformed TLS.
    pub bad_tls: u64,
    /// Times a stream's start was read (bounded work: not once per tiny segment).
    pub stream_reads: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct FlowKey {
    proto: u8,
    client: IpAddr,
    cport: u16,
    server: IpAddr,
    sport: u16,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum StreamState {
    None,
    Active,
    Done,
}

struct Flow {
    key: FlowKey,
    first_ns: i64,
    last_ns: i64,
    pk_out: u64,
    pk_in: u64,
    b_out: u64,
    b_in: u64,
    domain: Option<Arc<str>>,
    domain_source: Option<&'static str>,
    tls: bool,
    sni: Option<String>,
    ja4: Option<String>,
    stream: StreamState,
    /// The client sent payload bytes.
    client_data: bool,
}

#[derive(Default)]
struct Stream {
    base: Option<u32>,
    buf: Vec<u8>,
    pending: Vec<(u32, Vec<u8>)>,
    last_ns: i64,
    /// Bytes needed before the start is worth reading again (a hello's declared length, or
    /// one byte more): a stream of tiny segments is not re-read at every segment.
    need: usize,
}

struct PendingQuery {
    ts_ns: i64,
    resolver: IpAddr,
    transport: &'static str,
    name: String,
    qtype: String,
}

/// The decoder: feed it frames ([`Decoder::frame`]), then [`Decoder::finish`].
pub struct Decoder<'i> {
    /// Past a bound, records and flows that match these indicators are still kept.
    indicators: Option<&'i dyn ferret_core::Indicators>,
    limits: Limits,
    device: Vec<IpAddr>,
    flows: Vec<Flow>,
    index: Map<FlowKey, u32>,
    streams: Map<u32, Stream>,
    quic_streams: Map<u32, (quic::CryptoStream, u8)>,
    names: Map<IpAddr, Arc<str>>,
    pending_dns: Map<(IpAddr, u16, u16), PendingQuery>,
    resolvers: Set<IpAddr>,
    contacted_names: Set<String>,
    dns: Vec<DnsRecord>,
    tls: Vec<TlsRecord>,
    quic: Vec<TlsRecord>,
    http: Vec<HttpRecord>,
    counters: Counters,
    capped: Set<&'static str>,
    frames: u64,
    streams_full: u64,
}

fn ts(ns: i64) -> Timestamp {
    ferret_core::time::from_unix_ns(i128::from(ns)).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// A transport packet, as the decoder sees it.
struct Pkt<'a> {
    ts_ns: i64,
    src: IpAddr,
    dst: IpAddr,
    ip_len: u64,
    proto: u8,
    sport: u16,
    dport: u16,
    tcp: Option<TcpInfo>,
    payload: &'a [u8],
}

#[derive(Clone, Copy)]
struct TcpInfo {
    seq: u32,
    syn: bool,
    ack: bool,
    fin: bool,
    rst: bool,
}

impl<'i> Decoder<'i> {
    /// A decoder keeping only packets to or from the addresses in `device` (all when empty).
    pub fn new(device: Vec<IpAddr>, limits: Limits) -> Self {
        Self {
            indicators: None,
            limits,
            device,
            flows: Vec::new(),
            index: Map::default(),
            streams: Map::default(),
            quic_streams: Map::default(),
            names: Map::default(),
            pending_dns: Map::default(),
            resolvers: Set::default(),
            contacted_names: Set::default(),
            dns: Vec::new(),
            tls: Vec::new(),
            quic: Vec::new(),
            http: Vec::new(),
            counters: Counters::default(),
            capped: Set::default(),
            frames: 0,
            streams_full: 0,
        }
    }

    /// Keeps, past every bound, the records and flows whose names, URLs or addresses match
    /// `indicators` (so a capture bigger than the bounds loses no indicator hit; memory then
    /// grows only with the hits).
    pub fn keeping_hits_of(mut self, indicators: &'i dyn ferret_core::Indicators) -> Self {
        self.indicators = Some(indicators);
        self
    }

    fn hit(&self, values: &[&str]) -> bool {
        self.indicators.is_some_and(|ind| {
            values
                .iter()
                .filter(|v| !v.is_empty())
                .any(|v| if v.contains("://") { ind.check_url(v).is_some() } else { ind.check_domain(v).is_some() })
        })
    }

    /// A flow worth keeping past the bound: an address matches, or DNS gave the server's
    /// address for a name that matches.
    fn hit_flow(&self, key: &FlowKey) -> bool {
        let name = self.names.get(&key.server).map(|n| n.to_string()).unwrap_or_default();
        self.hit(&[&key.server.to_string(), &key.client.to_string(), &name])
    }

    /// Decodes one frame.
    pub fn frame(&mut self, f: &Frame<'_>) {
        self.frames += 1;
        if self.frames.is_multiple_of(1 << 16) {
            self.prune_streams(f.ts_ns);
        }
        if !supported_link(f.linktype) {
            self.counters.not_ip += 1;
            return;
        }
        let Some((ethertype, l3)) = link_payload(f.linktype, f.data) else {
            self.counters.not_ip += 1;
            return;
        };
        self.ip(f.ts_ns, ethertype, l3);
    }

    fn ip(&mut self, ts_ns: i64, ethertype: u16, l3: &[u8]) {
        if ethertype != 0x0800 && ethertype != 0x86dd {
            self.counters.not_ip += 1;
            return;
        }
        let Ok(p) = LaxSlicedPacket::from_ip(l3) else {
            self.counters.truncated += 1;
            return;
        };
        let (src, dst, ip_len, incomplete) = match &p.net {
            Some(LaxNetSlice::Ipv4(v4)) => {
                let h = v4.header();
                (
                    IpAddr::V4(h.source_addr()),
                    IpAddr::V4(h.destination_addr()),
                    u64::from(h.total_len()),
                    v4.payload().incomplete || v4.payload().fragmented,
                )
            }
            Some(LaxNetSlice::Ipv6(v6)) => {
                let h = v6.header();
                (
                    IpAddr::V6(h.source_addr()),
                    IpAddr::V6(h.destination_addr()),
                    u64::from(h.payload_length()) + 40,
                    v6.payload().incomplete || v6.payload().fragmented,
                )
            }
            _ => {
                self.counters.not_ip += 1;
                return;
            }
        };
        self.counters.ip_packets += 1;
        if incomplete || p.stop_err.is_some() {
            self.counters.truncated += 1;
        }
        if !self.device.is_empty() && !self.device.contains(&src) && !self.device.contains(&dst) {
            self.counters.filtered += 1;
            return;
        }
        let pkt = match &p.transport {
            Some(TransportSlice::Tcp(t)) => Pkt {
                ts_ns,
                src,
                dst,
                ip_len,
                proto: 6,
                sport: t.source_port(),
                dport: t.destination_port(),
                tcp: Some(TcpInfo { seq: t.sequence_number(), syn: t.syn(), ack: t.ack(), fin: t.fin(), rst: t.rst() }),
                payload: t.payload(),
            },
            Some(TransportSlice::Udp(u)) => Pkt {
                ts_ns,
                src,
                dst,
                ip_len,
                proto: 17,
                sport: u.source_port(),
                dport: u.destination_port(),
                tcp: None,
                payload: u.payload(),
            },
            _ => return,
        };
        self.transport(&pkt);
    }

    fn cap(&mut self, what: &'static str) {
        self.capped.insert(what);
    }

    /// The flow of a packet and whether the packet goes client → server. A 5-tuple used again
    /// starts a new flow: a SYN after the first connection's data (or a second after its last
    /// packet), or a UDP packet after two minutes of silence.
    fn flow_of(&mut self, p: &Pkt<'_>) -> Option<(u32, bool)> {
        const SYN_AGAIN_NS: i64 = 1_000_000_000;
        const UDP_IDLE_NS: i64 = 120 * 1_000_000_000;
        let fwd = FlowKey { proto: p.proto, client: p.src, cport: p.sport, server: p.dst, sport: p.dport };
        let rev = FlowKey { proto: p.proto, client: p.dst, cport: p.dport, server: p.src, sport: p.sport };
        let found = match self.index.get(&fwd) {
            Some(&i) => Some((i, true)),
            None => self.index.get(&rev).map(|&i| (i, false)),
        };
        if let Some((i, out)) = found {
            let f = self.flows.get(i as usize)?;
            let idle = p.ts_ns.saturating_sub(f.last_ns);
            let again = match p.tcp {
                Some(t) => {
                    out && t.syn && !t.ack && (f.client_data || f.stream == StreamState::Done || idle > SYN_AGAIN_NS)
                }
                None => idle > UDP_IDLE_NS,
            };
            if !again {
                return Some((i, out));
            }
            let key = f.key;
            self.close_stream(i);
            self.quic_streams.remove(&i);
            return self.new_flow(key, p).map(|n| (n, out));
        }
        // who is the client: the sender of a SYN, the receiver of a SYN-ACK, else the side on
        // the higher port (the ephemeral one), else the sender of the first packet seen
        let src_is_client = match p.tcp {
            Some(t) if t.syn && !t.ack => true,
            Some(t) if t.syn && t.ack => false,
            _ => p.sport >= p.dport,
        };
        let key = if src_is_client { fwd } else { rev };
        self.new_flow(key, p).map(|n| (n, src_is_client))
    }

    fn new_flow(&mut self, key: FlowKey, p: &Pkt<'_>) -> Option<u32> {
        if self.flows.len() >= self.limits.max_flows && !self.hit_flow(&key) {
            self.cap("flows");
            self.counters.untracked += 1;
            return None;
        }
        let (domain, domain_source) = match self.names.get(&key.server) {
            Some(n) => (Some(n.clone()), Some("dns")),
            None => (None, None),
        };
        let i = self.flows.len() as u32;
        self.flows.push(Flow {
            key,
            first_ns: p.ts_ns,
            last_ns: p.ts_ns,
            pk_out: 0,
            pk_in: 0,
            b_out: 0,
            b_in: 0,
            domain,
            domain_source,
            tls: false,
            sni: None,
            ja4: None,
            stream: StreamState::None,
            client_data: false,
        });
        self.index.insert(key, i);
        Some(i)
    }

    /// A packet of a connection the full flow table does not track: DNS messages, and
    /// ClientHellos or request heads whole in one packet, are still read (no flow record).
    fn untracked(&mut self, p: &Pkt<'_>) {
        const NO_FLOW: u32 = u32::MAX;
        if p.proto == 17 && (p.sport == 53 || p.dport == 53) {
            self.dns_message(p, "udp");
            return;
        }
        // the client is the side on the higher port
        if p.payload.is_empty() || p.sport < p.dport {
            return;
        }
        let key = FlowKey { proto: p.proto, client: p.src, cport: p.sport, server: p.dst, sport: p.dport };
        if p.proto == 17 {
            if quic::is_initial(p.payload)
                && let Some(frames) = quic::initial_crypto(p.payload)
                && let Some(h) = tls::read_handshake(quic::CryptoStream::default().add(frames))
            {
                self.tls_hello(NO_FLOW, key, p.ts_ns, &h, true);
            }
            return;
        }
        match examine(p.payload, self.limits.stream_bytes) {
            Examined::Hello(h) => self.tls_hello(NO_FLOW, key, p.ts_ns, &h, false),
            Examined::Http(r) => self.http_request(NO_FLOW, key, p.ts_ns, r),
            _ => {}
        }
    }

    fn transport(&mut self, p: &Pkt<'_>) {
        let Some((fi, out)) = self.flow_of(p) else {
            self.untracked(p);
            return;
        };
        let Some(flow) = self.flows.get_mut(fi as usize) else { return };
        flow.last_ns = flow.last_ns.max(p.ts_ns);
        flow.first_ns = flow.first_ns.min(p.ts_ns);
        if out {
            flow.pk_out += 1;
            flow.b_out += p.ip_len;
            flow.client_data |= !p.payload.is_empty();
        } else {
            flow.pk_in += 1;
            flow.b_in += p.ip_len;
        }
        let key = flow.key;
        let state = flow.stream;
        if p.proto == 17 {
            if p.sport == 53 || p.dport == 53 {
                self.dns_message(p, "udp");
            } else if out && state != StreamState::Done && quic::is_initial(p.payload) {
                self.quic_initial(fi, key, p);
            }
            return;
        }
        let Some(t) = p.tcp else { return };
        if !out {
            return; // only the client's first bytes are read
        }
        if state == StreamState::Done {
            return;
        }
        if state == StreamState::None {
            if self.streams.len() >= self.limits.max_streams {
                self.streams_full += 1;
                self.cap("streams");
                if let Some(f) = self.flows.get_mut(fi as usize) {
                    f.stream = StreamState::Done;
                }
                return;
            }
            if let Some(f) = self.flows.get_mut(fi as usize) {
                f.stream = StreamState::Active;
            }
            self.streams.insert(fi, Stream::default());
        }
        let Some(s) = self.streams.get_mut(&fi) else { return };
        s.last_ns = p.ts_ns;
        if t.syn {
            s.base = Some(t.seq.wrapping_add(1));
        }
        let before = s.buf.len();
        if !p.payload.is_empty() {
            let base = *s.base.get_or_insert(t.seq);
            add_segment(s, base, t.seq, p.payload, self.limits);
        }
        let finished = t.fin || t.rst;
        let full = s.buf.len() >= self.limits.stream_bytes;
        // a request head is read again only when a line may have ended (the segment holds a
        // line feed, or waiting segments were joined); a hello once its declared size is there
        let joined = s.buf.len() - before > p.payload.len();
        let ready = if http::looks_like_request(&s.buf) {
            s.buf.len() > before && (p.payload.contains(&b'\n') || joined)
        } else {
            s.buf.len() >= s.need.max(1)
        };
        let worth = ready || full || finished;
        let outcome = if s.buf.is_empty() || !worth {
            None
        } else {
            self.counters.stream_reads += 1;
            let e = examine(&s.buf, self.limits.stream_bytes);
            if matches!(e, Examined::NeedMore) {
                s.need = needed(&s.buf);
            }
            Some(e)
        };
        match outcome {
            None | Some(Examined::NeedMore) if !finished => {}
            None | Some(Examined::NeedMore) | Some(Examined::Nothing) => self.close_stream(fi),
            Some(Examined::Hello(h)) => {
                self.close_stream(fi);
                self.tls_hello(fi, key, p.ts_ns, &h, false);
            }
            Some(Examined::BadTls) => {
                self.counters.bad_tls += 1;
                self.close_stream(fi);
            }
            Some(Examined::Http(r)) => {
                self.close_stream(fi);
                self.http_request(fi, key, p.ts_ns, r);
            }
        }
    }

    /// A client QUIC Initial: its CRYPTO data is collected until a whole ClientHello is there
    /// (at most 4 Initials per connection are tried).
    fn quic_initial(&mut self, fi: u32, key: FlowKey, p: &Pkt<'_>) {
        let Some(frames) = quic::initial_crypto(p.payload) else { return };
        if !self.quic_streams.contains_key(&fi) && self.quic_streams.len() >= self.limits.max_streams {
            self.cap("QUIC connections");
            return;
        }
        let entry = self.quic_streams.entry(fi).or_default();
        entry.1 += 1;
        let tries = entry.1;
        let hello = tls::read_handshake(entry.0.add(frames));
        match hello {
            Some(h) => {
                self.quic_streams.remove(&fi);
                if let Some(f) = self.flows.get_mut(fi as usize) {
                    f.stream = StreamState::Done;
                }
                self.tls_hello(fi, key, p.ts_ns, &h, true);
            }
            None if tries >= 4 => {
                self.quic_streams.remove(&fi);
                if let Some(f) = self.flows.get_mut(fi as usize) {
                    f.stream = StreamState::Done;
                }
            }
            None => {}
        }
    }

    fn close_stream(&mut self, fi: u32) {
        self.streams.remove(&fi);
        if let Some(f) = self.flows.get_mut(fi as usize) {
            f.stream = StreamState::Done;
        }
    }

    fn prune_streams(&mut self, now: i64) {
        const IDLE_NS: i64 = 300 * 1_000_000_000;
        let idle: Vec<u32> =
            self.streams.iter().filter(|(_, s)| now.saturating_sub(s.last_ns) > IDLE_NS).map(|(k, _)| *k).collect();
        for k in idle {
            self.close_stream(k);
        }
    }

    fn tls_hello(&mut self, fi: u32, key: FlowKey, ts_ns: i64, h: &tls::ClientHello, quic: bool) {
        let ja4 = h.ja4(quic);
        let sni = h.sni.clone().filter(|s| !s.is_empty());
        let dns_name = self.names.get(&key.server).map(|n| n.to_string());
        if let Some(f) = self.flows.get_mut(fi as usize) {
            f.tls = true;
            f.sni = sni.clone();
            f.ja4 = Some(ja4.clone());
            if let Some(s) = &sni {
                f.domain = Some(Arc::from(s.as_str()));
                f.domain_source = Some("sni");
            }
        }
        if let Some(s) = &sni {
            self.contacted_names.insert(s.to_ascii_lowercase());
        }
        let full = if quic { self.quic.len() } else { self.tls.len() } >= self.limits.max_records;
        if full && !sni.as_deref().is_some_and(|s| self.hit(&[s])) {
            self.cap(if quic { "QUIC records" } else { "TLS records" });
            return;
        }
        let list = if quic { &mut self.quic } else { &mut self.tls };
        list.push(TlsRecord {
            timestamp: ts(ts_ns),
            src_ip: key.client.to_string(),
            src_port: key.cport,
            dst_ip: key.server.to_string(),
            dst_port: key.sport,
            domain: sni,
            dns_name,
            alpn: h.alpn.iter().take(16).cloned().collect(),
            tls_version: h.version_name(),
            ja4,
        });
    }

    fn http_request(&mut self, fi: u32, key: FlowKey, ts_ns: i64, r: http::Request) {
        let host = r.host.as_deref().map(|h| strip_port(h).to_string());
        if let Some(f) = self.flows.get_mut(fi as usize)
            && let Some(h) = &host
            && f.domain_source != Some("sni")
        {
            f.domain = Some(Arc::from(h.as_str()));
            f.domain_source = Some("http");
        }
        if let Some(h) = &host {
            self.contacted_names.insert(h.to_ascii_lowercase());
        }
        let url = r.url();
        if self.http.len() >= self.limits.max_records
            && !self.hit(&[url.as_deref().unwrap_or_default(), host.as_deref().unwrap_or_default()])
        {
            self.cap("HTTP records");
            return;
        }
        self.http.push(HttpRecord {
            timestamp: ts(ts_ns),
            src_ip: key.client.to_string(),
            src_port: key.cport,
            dst_ip: key.server.to_string(),
            dst_port: key.sport,
            method: r.method.clone(),
            url,
            domain: host,
            user_agent: r.user_agent,
        });
    }

    fn dns_message(&mut self, p: &Pkt<'_>, transport: &'static str) {
        let Ok(msg) = simple_dns::Packet::parse(p.payload) else {
            self.counters.bad_dns += 1;
            return;
        };
        let Some(q) = msg.questions.first() else { return };
        let name = q.qname.to_string().to_ascii_lowercase();
        let qtype = qtype_name(u16::from(q.qtype));
        let response = msg.has_flags(simple_dns::PacketFlag::RESPONSE);
        if !response {
            if p.dport == 53 {
                self.resolvers.insert(p.dst);
            }
            let key = (p.src, p.sport, msg.id());
            if self.pending_dns.len() >= self.limits.max_pending_dns {
                self.cap("pending DNS queries");
                return;
            }
            self.pending_dns.entry(key).or_insert(PendingQuery {
                ts_ns: p.ts_ns,
                resolver: p.dst,
                transport,
                name,
                qtype,
            });
            return;
        }
        self.pending_dns.remove(&(p.dst, p.dport, msg.id()));
        let mut answers = Vec::new();
        let mut ips = Vec::new();
        let mut ttl: Option<u32> = None;
        for a in msg.answers.iter().take(32) {
            let (kind, value) = match &a.rdata {
                simple_dns::rdata::RData::A(x) => {
                    ips.push(IpAddr::V4(std::net::Ipv4Addr::from(x.address)));
                    ttl = Some(ttl.map_or(a.ttl, |t| t.min(a.ttl)));
                    continue;
                }
                simple_dns::rdata::RData::AAAA(x) => {
                    ips.push(IpAddr::V6(std::net::Ipv6Addr::from(x.address)));
                    ttl = Some(ttl.map_or(a.ttl, |t| t.min(a.ttl)));
                    continue;
                }
                simple_dns::rdata::RData::CNAME(c) => ("CNAME".to_string(), c.0.to_string().to_ascii_lowercase()),
                other => (qtype_name(u16::from(other.type_code())), String::new()),
            };
            answers.push(DnsAnswer { name: a.name.to_string().to_ascii_lowercase(), kind, value, ttl: a.ttl });
        }
        let shared: Arc<str> = Arc::from(name.as_str());
        for ip in &ips {
            if self.names.len() < self.limits.max_names || self.names.contains_key(ip) {
                self.names.insert(*ip, shared.clone());
            } else {
                self.cap("address-to-name table");
            }
        }
        let ip_text: Vec<String> = ips.iter().map(IpAddr::to_string).collect();
        if self.dns.len() >= self.limits.max_dns {
            let mut values: Vec<&str> = vec![&name];
            values.extend(ip_text.iter().map(String::as_str));
            values.extend(answers.iter().map(|a| a.value.as_str()));
            if !self.hit(&values) {
                self.cap("DNS records");
                return;
            }
        }
        self.dns.push(DnsRecord {
            timestamp: ts(p.ts_ns),
            src_ip: p.dst.to_string(),
            dst_ip: p.src.to_string(),
            transport: transport.to_string(),
            domain: name,
            query_type: qtype,
            answered: true,
            rcode: Some(format!("{:?}", msg.rcode()).to_ascii_uppercase()),
            answers,
            ip: ip_text,
            ttl,
            never_contacted: false,
        });
    }

    /// Ends the pass: unanswered queries become records, cross-record facts are filled in,
    /// beacon series are found.
    pub fn finish(mut self, stats: ReadStats) -> Decoded {
        let mut warnings = Vec::new();
        // unanswered queries, in a deterministic order
        let mut pending: Vec<((IpAddr, u16, u16), PendingQuery)> = self.pending_dns.drain().collect();
        pending.sort_by_key(|a| (a.1.ts_ns, a.0));
        for ((client, _, _), q) in pending {
            if self.dns.len() >= self.limits.max_dns {
                self.capped.insert("DNS records");
                break;
            }
            self.dns.push(DnsRecord {
                timestamp: ts(q.ts_ns),
                src_ip: client.to_string(),
                dst_ip: q.resolver.to_string(),
                transport: q.transport.to_string(),
                domain: q.name,
                query_type: q.qtype,
                answered: false,
                rcode: None,
                answers: Vec::new(),
                ip: Vec::new(),
                ttl: None,
                never_contacted: false,
            });
        }
        self.dns.sort_by_key(|r| r.timestamp);
        // servers contacted (other than for plain DNS)
        let servers: Set<IpAddr> =
            self.flows.iter().filter(|f| f.key.sport != 53 && f.pk_out > 0).map(|f| f.key.server).collect();
        let mut seen: Set<String> = Set::default();
        for r in &mut self.dns {
            if !r.answered || r.ip.is_empty() || !seen.insert(r.domain.clone()) {
                continue;
            }
            let contacted = self.contacted_names.contains(&r.domain)
                || r.ip.iter().any(|ip| ip.parse::<IpAddr>().is_ok_and(|ip| servers.contains(&ip)));
            r.never_contacted = !contacted;
        }
        // later responses for a name only count once: a name resolved twice and never
        // contacted is flagged on its first response only (done by `seen`)
        let beacons = find_beacons(&self.flows);
        // the tables are not needed any more: freed before the flow records are built
        drop(std::mem::take(&mut self.index));
        drop(std::mem::take(&mut self.names));
        drop(std::mem::take(&mut self.streams));
        drop(std::mem::take(&mut self.quic_streams));
        drop(servers);
        let flows = Flows { raw: std::mem::take(&mut self.flows), resolvers: std::mem::take(&mut self.resolvers) };
        self.tls.sort_by_key(|r| r.timestamp);
        self.quic.sort_by_key(|r| r.timestamp);
        self.http.sort_by_key(|r| r.timestamp);
        let mut capped: Vec<&str> = self.capped.iter().copied().collect();
        capped.sort_unstable();
        for c in capped {
            warnings.push(format!("{c}: bound reached, later ones were not kept (see ferret-net's Limits)"));
        }
        if self.counters.untracked > 0 {
            warnings.push(format!(
                "{} packets of untracked flows (flow table full): their DNS messages, and ClientHellos and request heads whole in one packet, were still read",
                self.counters.untracked
            ));
        }
        if stats.truncated_tail {
            warnings.push("the capture ends inside a block (truncated file): everything before it was read".into());
        }
        if stats.unknown_interface > 0 {
            warnings.push(format!("{} packets name an interface the capture never described", stats.unknown_interface));
        }
        let unsupported: Vec<String> =
            stats.linktypes.iter().filter(|l| !supported_link(**l)).map(|l| l.to_string()).collect();
        if !unsupported.is_empty() {
            warnings.push(format!("link types not decoded: {}", unsupported.join(", ")));
        }
        Decoded {
            stats,
            dns: self.dns,
            tls: self.tls,
            quic: self.quic,
            http: self.http,
            flows,
            beacons,
            counters: self.counters,
            warnings,
        }
    }
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split(']').next().map(|h| h.trim_start_matches('[')).unwrap_or(host);
    }
    match host.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

fn proto_name(p: u8) -> &'static str {
    match p {
        6 => "tcp",
        17 => "udp",
        _ => "other",
    }
}

/// DNS type names ferret shows (others as their number).
pub fn qtype_name(t: u16) -> String {
    match t {
        1 => "A".into(),
        2 => "NS".into(),
        5 => "CNAME".into(),
        6 => "SOA".into(),
        12 => "PTR".into(),
        15 => "MX".into(),
        16 => "TXT".into(),
        28 => "AAAA".into(),
        33 => "SRV".into(),
        64 => "SVCB".into(),
        65 => "HTTPS".into(),
        255 => "ANY".into(),
        n => n.to_string(),
    }
}

/// Adds a client segment at sequence number `seq` to the stream whose first byte is `base`.
/// Retransmitted and overlapping bytes are ignored; a segment beyond the contiguous bytes waits
/// (at most `max_pending` of them); nothing past `stream_bytes` is kept.
fn add_segment(s: &mut Stream, base: u32, seq: u32, data: &[u8], limits: Limits) {
    let off = seq.wrapping_sub(base) as usize;
    let cap = limits.stream_bytes;
    if off >= cap {
        // beyond what is kept, or before the base (wrapped): a retransmission of earlier bytes
        // or a segment far ahead
        if seq.wrapping_sub(base) > u32::MAX / 2 {
            let back = base.wrapping_sub(seq) as usize;
            if back < data.len() {
                add_segment(s, base, base, data.get(back..).unwrap_or_default(), limits);
            }
        }
        return;
    }
    if off <= s.buf.len() {
        let skip = s.buf.len() - off;
        if let Some(new) = data.get(skip..) {
            let room = cap.saturating_sub(s.buf.len());
            s.buf.extend_from_slice(new.get(..new.len().min(room)).unwrap_or_default());
        }
        // pending segments that now fit
        loop {
            let end = s.buf.len();
            let Some(pos) = s.pending.iter().position(|(o, _)| (*o as usize) <= end) else { break };
            let (o, d) = s.pending.swap_remove(pos);
            let skip = end - o as usize;
            if let Some(new) = d.get(skip..) {
                let room = cap.saturating_sub(s.buf.len());
                s.buf.extend_from_slice(new.get(..new.len().min(room)).unwrap_or_default());
            }
        }
    } else if s.pending.len() < limits.max_pending {
        let keep = data.len().min(cap - off);
        s.pending.push((off as u32, data.get(..keep).unwrap_or_default().to_vec()));
    }
}

/// How many bytes a stream that needs more should have before it is read again: the declared
/// size of a ClientHello in its first record, else one byte more.
fn needed(buf: &[u8]) -> usize {
    if let Some(&[0x16, _, _, _, _, 1, a, b, c]) = buf.get(..9) {
        let hs = usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c);
        return (9 + hs).max(buf.len() + 1);
    }
    if buf.first() == Some(&0x16) && buf.len() < 9 {
        return 9; // the record and handshake headers first
    }
    buf.len() + 1
}

enum Examined {
    NeedMore,
    Nothing,
    BadTls,
    Hello(tls::ClientHello),
    Http(http::Request),
}

fn examine(buf: &[u8], cap: usize) -> Examined {
    match tls::read_client_hello(buf) {
        Hello::Parsed(h) => return Examined::Hello(h),
        Hello::Malformed(_) => return Examined::BadTls,
        Hello::NeedMore => {
            return if buf.len() >= cap { Examined::BadTls } else { Examined::NeedMore };
        }
        Hello::NotTls => {}
    }
    match http::read_request(buf) {
        Head::Parsed(r) => Examined::Http(r),
        Head::NeedMore if buf.len() < cap => Examined::NeedMore,
        _ => Examined::Nothing,
    }
}

/// Beacon series: for every (client, server, port) with at least [`BEACON_MIN`] TCP connections,
/// each at most [`BEACON_MAX_BYTES`] both ways, whose start intervals have a median of at
/// least [`BEACON_MIN_PERIOD_S`] and at least 80% of intervals within 10% of that median.
fn find_beacons(flows: &[Flow]) -> Vec<BeaconRecord> {
    let mut groups: Map<(IpAddr, IpAddr, u16), Vec<u32>> = Map::default();
    for (i, f) in flows.iter().enumerate() {
        if f.key.proto == 6 && f.key.sport != 53 {
            let g = groups.entry((f.key.client, f.key.server, f.key.sport)).or_default();
            if g.len() < 100_000 {
                g.push(i as u32);
            }
        }
    }
    let mut out: Vec<(u32, BeaconRecord)> = Vec::new();
    for ((client, server, port), idx) in groups {
        if idx.len() < BEACON_MIN {
            continue;
        }
        let fl: Vec<&Flow> = idx.iter().filter_map(|i| flows.get(*i as usize)).collect();
        let max_bytes = fl.iter().map(|f| f.b_out + f.b_in).max().unwrap_or(0);
        if max_bytes > BEACON_MAX_BYTES {
            continue;
        }
        let mut starts: Vec<i64> = fl.iter().map(|f| f.first_ns).collect();
        starts.sort_unstable();
        let mut gaps: Vec<i64> = starts.windows(2).map(|w| w[1] - w[0]).collect();
        gaps.sort_unstable();
        let Some(&median) = gaps.get(gaps.len() / 2) else { continue };
        if median < BEACON_MIN_PERIOD_S * 1_000_000_000 {
            continue;
        }
        let tol = median / 10;
        let regular = gaps.iter().filter(|g| (**g - median).abs() <= tol).count();
        let regularity = regular as f64 / gaps.len() as f64;
        if regularity < 0.8 {
            continue;
        }
        let domain = fl.iter().find_map(|f| f.domain.as_deref().map(str::to_string));
        let first = starts.first().copied().unwrap_or(0);
        let last = fl.iter().map(|f| f.last_ns).max().unwrap_or(first);
        out.push((
            idx.first().copied().unwrap_or(0),
            BeaconRecord {
                first_seen: ts(first),
                last_seen: ts(last),
                proto: "tcp".into(),
                src_ip: client.to_string(),
                dst_ip: server.to_string(),
                dst_port: port,
                domain,
                connections: fl.len() as u64,
                period_s: (median as f64 / 1e9 * 1000.0).round() / 1000.0,
                regularity: (regularity * 1000.0).round() / 1000.0,
                max_bytes,
            },
        ));
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, b)| b).collect()
}

/// Fewest connections in a beacon series.
pub const BEACON_MIN: usize = 6;
/// Largest connection (both ways, IP bytes) in a beacon series.
pub const BEACON_MAX_BYTES: u64 = 16 << 10;
/// Shortest beacon period, seconds.
pub const BEACON_MIN_PERIOD_S: i64 = 10;

/// Decodes one packet in isolation (the fuzz target's entry point): link layer `linktype`, then
/// everything a capture's packet goes through. Returns the number of records it produced.
pub fn decode_one(linktype: i32, data: &[u8]) -> usize {
    let mut d = Decoder::new(Vec::new(), Limits { max_flows: 64, max_streams: 8, ..Limits::default() });
    let f = Frame { ts_ns: 1, linktype, data, orig_len: data.len() as u32 };
    d.frame(&f);
    // the same bytes again as a TCP continuation of the same flow
    d.frame(&f);
    let out = d.finish(ReadStats::default());
    out.dns.len() + out.tls.len() + out.http.len() + out.flows.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream_with(segments: &[(u32, &[u8])]) -> Vec<u8> {
        let mut s = Stream::default();
        let limits = Limits { stream_bytes: 64, max_pending: 4, ..Limits::default() };
        for (seq, d) in segments {
            add_segment(&mut s, 1000, *seq, d, limits);
        }
        s.buf
    }

    /// Raw IPv4 + TCP (checksums zero) from 10.0.0.2:40000 to 192.0.2.1:443.
    fn tcp_packet(seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
        let mut t = Vec::new();
        t.extend_from_slice(&40000u16.to_be_bytes());
        t.extend_from_slice(&443u16.to_be_bytes());
        t.extend_from_slice(&seq.to_be_bytes());
        t.extend_from_slice(&[0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        t.extend_from_slice(payload);
        let mut ip = vec![0x45, 0];
        ip.extend_from_slice(&((20 + t.len()) as u16).to_be_bytes());
        ip.extend_from_slice(&[0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 2, 192, 0, 2, 1]);
        ip.extend_from_slice(&t);
        ip
    }

    /// A stream sent one byte per segment: read a bounded number of times, still decoded.
    fn one_byte_segments(data: &[u8]) -> Decoded {
        let mut d = Decoder::new(Vec::new(), Limits::default());
        let mut feed = |p: Vec<u8>| {
            d.frame(&Frame { ts_ns: 1, linktype: crate::capture::link::RAW, data: &p, orig_len: p.len() as u32 })
        };
        feed(tcp_packet(99, 0x02, &[]));
        for (i, b) in data.iter().enumerate() {
            feed(tcp_packet(100 + i as u32, 0x18, &[*b]));
        }
        d.finish(ReadStats::default())
    }

    fn tls_hello_bytes(name: &[u8]) -> Vec<u8> {
        let n = name.len() as u8;
        let mut hello = vec![0x16, 3, 1, 0, 56 + n, 1, 0, 0, 52 + n, 3, 3];
        hello.extend_from_slice(&[0; 32]);
        hello.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0, 0, 9 + n, 0, 0, 0, 5 + n, 0, 3 + n, 0, 0, n]);
        hello.extend_from_slice(name);
        hello
    }

    /// The same 5-tuple used by a second connection (a new SYN after the first one's data) is a
    /// second flow with its own ClientHello; a retransmitted SYN is not.
    #[test]
    fn reused_ports_make_new_flows() {
        let mut d = Decoder::new(Vec::new(), Limits::default());
        let mut feed = |ts: i64, p: Vec<u8>| {
            d.frame(&Frame { ts_ns: ts, linktype: crate::capture::link::RAW, data: &p, orig_len: p.len() as u32 })
        };
        let s = 1_000_000_000;
        feed(s, tcp_packet(99, 0x02, &[]));
        feed(s + 1000, tcp_packet(99, 0x02, &[])); // retransmitted SYN
        feed(2 * s, tcp_packet(100, 0x18, &tls_hello_bytes(b"one.ex")));
        feed(3 * s, tcp_packet(500, 0x11, &[]));
        feed(400 * s, tcp_packet(7000, 0x02, &[]));
        feed(401 * s, tcp_packet(7001, 0x18, &tls_hello_bytes(b"two.ex")));
        let out = d.finish(ReadStats::default());
        let names: Vec<_> = out.tls.iter().map(|t| t.domain.clone().unwrap_or_default()).collect();
        assert_eq!(names, ["one.ex", "two.ex"]);
        let flows: Vec<FlowRecord> = out.flows.records().collect();
        assert_eq!(flows.len(), 2);
        assert_eq!((flows[0].packets_out, flows[1].packets_out), (4, 2));
    }

    #[test]
    fn tiny_segments_cost_bounded_reads() {
        let mut hello = vec![0x16, 3, 1, 0, 60, 1, 0, 0, 56, 3, 3];
        hello.extend_from_slice(&[0; 32]);
        hello.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0, 0, 13, 0, 0, 0, 9, 0, 7, 0, 0, 4]);
        hello.extend_from_slice(b"a.ex");
        let out = one_byte_segments(&hello);
        assert_eq!(out.tls.len(), 1, "{:?}", out.counters);
        assert_eq!(out.tls[0].domain.as_deref(), Some("a.ex"));
        // the first byte, the 9-byte header, then once the declared 60 bytes are there
        assert!(out.counters.stream_reads <= 3, "{:?}", out.counters);
        let req = b"GET /some/long/path?with=query HTTP/1.1\r\nUser-Agent: x\r\nHost: b.ex\r\n\r\n";
        let out = one_byte_segments(req);
        assert_eq!(out.http.len(), 1);
        assert_eq!(out.http[0].url.as_deref(), Some("http://b.ex/some/long/path?with=query"));
        // once per line end (and the first byte)
        assert!(out.counters.stream_reads <= 5, "{:?}", out.counters);
    }

    #[test]
    fn reassembly_orders_dedups_and_bounds() {
        assert_eq!(stream_with(&[(1000, b"abc"), (1003, b"def")]), b"abcdef");
        // out of order, then retransmitted and overlapping
        assert_eq!(stream_with(&[(1003, b"def"), (1000, b"abc"), (1001, b"bcdefg"), (1000, b"ab")]), b"abcdefg");
        // a gap never filled keeps only the prefix
        assert_eq!(stream_with(&[(1000, b"ab"), (1010, b"zz")]), b"ab");
        // bytes before the base (retransmitted SYN-time data) are cut to the base
        assert_eq!(stream_with(&[(998, b"xxab"), (1002, b"c")]), b"abc");
        // at most 64 bytes kept
        let big = vec![b'a'; 200];
        assert_eq!(stream_with(&[(1000, &big)]).len(), 64);
        // more waiting segments than allowed are dropped
        assert_eq!(
            stream_with(&[(1002, b"c"), (1003, b"d"), (1004, b"e"), (1005, b"f"), (1006, b"g"), (1000, b"ab")]),
            b"abcdef"
        );
        assert_eq!(strip_port("a.b:8080"), "a.b");
        assert_eq!(strip_port("[::1]:80"), "::1");
        assert_eq!(strip_port("a.b"), "a.b");
    }
}
