//! Network captures (pcap and pcapng) with benign app traffic and planted spyware traffic, with
//! ground truth.
//!
//! The phone is `10.8.0.2` (and `2001:db8:8::2` over IPv6) behind a capture box that is also its
//! resolver (`10.8.0.1`). Benign traffic: apps resolve their services' names (A and AAAA) and
//! talk TLS (or QUIC) to them (downloads of 20–200 KB), some plain HTTP, irregular gaps. Planted:
//!
//! | case | expected alert |
//! |---|---|
//! | `sync.kestrel-updates.net` (domain indicator) resolved, then TLS over IPv6 with the ClientHello split in three segments sent out of order plus a retransmission | `net_dns` (A and AAAA) and `net_tls` CRITICAL |
//! | the same name over QUIC, the ClientHello split over two Initials sent in reverse order | `net_quic` CRITICAL |
//! | plain HTTP GET of an indicator URL | `net_http` CRITICAL |
//! | TCP to `192.0.2.70:5222`, inside the CIDR indicator `192.0.2.64/27` | `net_flows` CRITICAL |
//! | 10 small TLS connections to `203.0.113.50:443` every 60 s (± 1 s) | `net_beacons` MEDIUM |
//! | TLS without SNI to `198.51.100.77:8443`, never resolved | `net_flows` MEDIUM |
//! | DNS over TLS to `9.9.9.9:853` | `net_flows` LOW |
//! | `x7f3.nightjar-relay.example` resolved and never contacted | `net_dns` LOW |
//!
//! With `other_host`, a second phone (`10.8.0.3`) also looks up the indicator domain: one more
//! `net_dns` alert, which `--device-ip 10.8.0.2` leaves out ([`NetCapture::truth_device`]).
//! Edge cases in every capture: server packets cut by a 96-byte snap length, retransmitted
//! segments, IPv6, and (pcapng) a second interface of link type raw IP.

use std::io::Write;
use std::net::IpAddr;

use ferret_core::Level;
use rand::Rng;

use crate::rng::{TestRng, rng_for};
use crate::truth::{IndicatorKind, Truth};

/// Malware name of the planted indicators.
pub const MALWARE: &str = "KestrelNet";
/// The planted indicator domain.
pub const IOC_DOMAIN: &str = "sync.kestrel-updates.net";
/// The planted indicator URL.
pub const IOC_URL: &str = "http://files.orbitcdn-mirror.example/s2/loader.bin";
/// The planted CIDR indicator.
pub const IOC_CIDR: &str = "192.0.2.64/27";
/// The phone.
pub const DEVICE: &str = "10.8.0.2";

/// Capture file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Legacy pcap, Ethernet, microseconds.
    Pcap,
    /// pcapng: interface 0 Ethernet, interface 1 raw IP (IPv6 traffic), nanoseconds.
    Pcapng,
}

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct NetSpec {
    /// File format.
    pub format: Format,
    /// Benign app sessions (each a DNS lookup and one or more connections).
    pub sessions: usize,
    /// Plant the spyware traffic.
    pub planted: bool,
    /// A second phone on the same capture (see the module docs).
    pub other_host: bool,
    /// Seed.
    pub seed: u64,
    /// Bytes of each server data packet kept (a capture box's snap length): 96 keeps captures
    /// small; `usize::MAX` writes full packets (the size of real captures, for benchmarks).
    pub server_snap: usize,
}

impl Default for NetSpec {
    fn default() -> Self {
        Self { format: Format::Pcapng, sessions: 200, planted: true, other_host: false, seed: 1, server_snap: 96 }
    }
}

/// A generated capture's ground truth.
#[derive(Debug, Clone, Default)]
pub struct NetCapture {
    /// Every alert a correct checker raises on the whole capture.
    pub truth: Truth,
    /// The alerts with `--device-ip 10.8.0.2`.
    pub truth_device: Truth,
    /// Packets written.
    pub packets: u64,
}

const START_S: i64 = 1_795_000_000; // 2026-11-17

/// Writes a capture to `out` (wrap it in a gzip encoder for `.gz`).
pub fn write_capture(out: &mut dyn Write, spec: &NetSpec) -> std::io::Result<NetCapture> {
    let mut w = Writer { out, format: spec.format, packets: 0 };
    w.header()?;
    let mut g = Gen {
        rng: rng_for(spec.seed, "pcap"),
        now_ns: START_S * 1_000_000_000,
        w,
        port: 49152,
        snap: spec.server_snap,
    };
    let mut truth = Truth::default();
    let mut truth_device = Truth::default();
    let dev = ip("10.8.0.2");
    let dev6 = ip("2001:db8:8::2");
    let resolver = ip("10.8.0.1");
    let benign = BENIGN;
    let total = spec.sessions;
    // the planted cases are spread through the benign traffic
    let plant_at = |k: usize| (total * (k + 1)) / 8;
    for s in 0..total.max(8) {
        if s < total {
            let (name, base4, base6) = benign[g.rng.random_range(0..benign.len())];
            let a = ip(&format!("{base4}.{}", g.rng.random_range(1..250)));
            let a6 = ip(&format!("{base6}::{:x}", g.rng.random_range(1..250)));
            g.dns(dev, resolver, name, &[a], 1)?;
            g.dns(dev, resolver, name, &[a6], 28)?;
            let conns = g.rng.random_range(1..3);
            for _ in 0..conns {
                let split = g.rng.random_bool(0.2);
                if g.rng.random_bool(0.15) {
                    let path = format!("/v{}/items?id={}", g.rng.random_range(1..4), g.rng.random_range(1..100_000));
                    let req = format!("GET {path} HTTP/1.1\r\nHost: {name}\r\nUser-Agent: NewsApp/3.2\r\n\r\n");
                    let resp = g.rng.random_range(2_000..60_000);
                    g.tcp(dev, a, 80, &[req.as_bytes()], resp, false)?;
                } else if g.rng.random_bool(0.15) {
                    let hello = client_hello(Some(name), &["h3"], true);
                    let resp = g.rng.random_range(3..40);
                    g.quic(dev, a, &hello[5..], false, resp)?;
                } else {
                    let hello = client_hello(Some(name), &["h2", "http/1.1"], true);
                    let resp = g.rng.random_range(20_000..200_000);
                    let (src, dst) = if g.rng.random_bool(0.3) { (dev6, a6) } else { (dev, a) };
                    let parts = if split { split3(&hello) } else { vec![hello.as_slice()] };
                    g.tcp(src, dst, 443, &parts, resp, split)?;
                }
                g.gap(1, 40);
            }
            g.gap(1, 90);
        }
        if !spec.planted {
            continue;
        }
        if s == plant_at(0) {
            // the indicator domain, resolved (A and AAAA) and contacted over IPv6 with a split,
            // reordered and retransmitted ClientHello
            let a = ip("198.51.100.10");
            let a6 = ip("2001:db8:66::10");
            g.dns(dev, resolver, IOC_DOMAIN, &[a], 1)?;
            g.dns(dev, resolver, IOC_DOMAIN, &[a6], 28)?;
            let hello = client_hello(Some(IOC_DOMAIN), &["h2"], true);
            g.tcp(dev6, a6, 443, &split3(&hello), 30_000, true)?;
            for t in [&mut truth, &mut truth_device] {
                t.plant(IndicatorKind::Domain, IOC_DOMAIN, MALWARE);
                t.expect("net_dns", Level::Critical, Some(IOC_DOMAIN), IOC_DOMAIN);
                t.expect("net_dns", Level::Critical, Some(IOC_DOMAIN), IOC_DOMAIN);
                t.expect("net_tls", Level::Critical, Some(IOC_DOMAIN), IOC_DOMAIN);
            }
        }
        if s == plant_at(0) + 1 {
            // the indicator domain again, over QUIC: the ClientHello split over two Initials
            // sent in reverse order
            let hello = client_hello(Some(IOC_DOMAIN), &["h3"], true);
            g.quic(dev, ip("198.51.100.10"), &hello[5..], true, 12)?;
            for t in [&mut truth, &mut truth_device] {
                t.expect("net_quic", Level::Critical, Some(IOC_DOMAIN), IOC_DOMAIN);
            }
        }
        if s == plant_at(1) {
            let a = ip("198.51.100.20");
            g.dns(dev, resolver, "files.orbitcdn-mirror.example", &[a], 1)?;
            let req = "GET /s2/loader.bin HTTP/1.1\r\nHost: files.orbitcdn-mirror.example\r\nUser-Agent: Dalvik/2.1.0\r\n\r\n";
            // the request line split in two segments
            let (p1, p2) = req.as_bytes().split_at(9);
            g.tcp(dev, a, 80, &[p1, p2], 80_000, false)?;
            for t in [&mut truth, &mut truth_device] {
                t.plant(IndicatorKind::Url, IOC_URL, MALWARE);
                t.expect("net_http", Level::Critical, Some(IOC_URL), IOC_URL);
            }
        }
        if s == plant_at(2) {
            g.tcp(dev, ip("192.0.2.70"), 5222, &[b"\x00\x00\x00\x10kestrel-hello"], 400, false)?;
            for t in [&mut truth, &mut truth_device] {
                t.plant(IndicatorKind::Ipv4, IOC_CIDR, MALWARE);
                t.expect("net_flows", Level::Critical, Some(IOC_CIDR), "192.0.2.70");
            }
        }
        if s == plant_at(3) {
            // ten small connections, one every 60 s (± 1 s)
            g.dns(dev, resolver, "metrics.lumen-sync.example", &[ip("203.0.113.50")], 1)?;
            let hello = client_hello(Some("metrics.lumen-sync.example"), &["http/1.1"], false);
            for _ in 0..10 {
                let start = g.now_ns;
                g.tcp(dev, ip("203.0.113.50"), 443, &[&hello], 900, false)?;
                g.now_ns = start + 60_000_000_000 + g.rng.random_range(-1_000_000_000..1_000_000_000);
            }
            for t in [&mut truth, &mut truth_device] {
                t.expect("net_beacons", Level::Medium, None, "203.0.113.50");
            }
        }
        if s == plant_at(4) {
            let hello = client_hello(None, &[], false);
            g.tcp(dev, ip("198.51.100.77"), 8443, &[&hello], 5_000, false)?;
            for t in [&mut truth, &mut truth_device] {
                t.expect("net_flows", Level::Medium, None, "198.51.100.77");
            }
        }
        if s == plant_at(5) {
            let hello = client_hello(Some("dns.quad9.net"), &["dot"], false);
            g.tcp(dev, ip("9.9.9.9"), 853, &[&hello], 3_000, false)?;
            for t in [&mut truth, &mut truth_device] {
                t.expect("net_flows", Level::Low, None, "9.9.9.9");
            }
        }
        if s == plant_at(6) {
            g.dns(dev, resolver, "x7f3.nightjar-relay.example", &[ip("198.51.100.99")], 1)?;
            for t in [&mut truth, &mut truth_device] {
                t.expect("net_dns", Level::Low, None, "x7f3.nightjar-relay.example");
            }
            if spec.other_host {
                g.dns(ip("10.8.0.3"), resolver, IOC_DOMAIN, &[ip("198.51.100.10")], 1)?;
                g.tcp(
                    ip("10.8.0.3"),
                    ip("198.51.100.10"),
                    443,
                    &[&client_hello(Some("x.invalid"), &[], false)],
                    2000,
                    false,
                )?;
                truth.expect("net_dns", Level::Critical, Some(IOC_DOMAIN), "10.8.0.3");
            }
        }
    }
    let packets = g.w.packets;
    Ok(NetCapture { truth, truth_device, packets })
}

/// Benign services: name, IPv4 /24 prefix, IPv6 /48 prefix.
const BENIGN: &[(&str, &str, &str)] = &[
    ("api.chatter-app.example", "93.184.216", "2606:2800:220"),
    ("cdn.photostream.example", "151.101.1", "2a04:4e42:1"),
    ("www.wikipedia.org", "185.15.58", "2a02:ec80:600"),
    ("news.dailypaper.example", "104.16.132", "2606:4700:10"),
    ("maps.routefinder.example", "142.250.180", "2a00:1450:4002"),
    ("push.notify-service.example", "17.57.146", "2620:149:a44"),
    ("weather.skycast.example", "13.107.42", "2620:1ec:21"),
    ("music.tunebox.example", "35.186.224", "2600:1901:1"),
];

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

fn split3(b: &[u8]) -> Vec<&[u8]> {
    let n = b.len();
    let (a, rest) = b.split_at(n / 3);
    let (c, d) = rest.split_at(n / 3);
    vec![a, c, d]
}

struct Writer<'a> {
    out: &'a mut dyn Write,
    format: Format,
    packets: u64,
}

impl Writer<'_> {
    fn header(&mut self) -> std::io::Result<()> {
        match self.format {
            Format::Pcap => {
                self.out.write_all(&0xa1b2_c3d4u32.to_le_bytes())?;
                self.out.write_all(&2u16.to_le_bytes())?;
                self.out.write_all(&4u16.to_le_bytes())?;
                self.out.write_all(&[0; 8])?;
                self.out.write_all(&65535u32.to_le_bytes())?;
                self.out.write_all(&1u32.to_le_bytes())
            }
            Format::Pcapng => {
                // section header
                let mut shb = Vec::new();
                shb.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
                shb.extend_from_slice(&1u16.to_le_bytes());
                shb.extend_from_slice(&0u16.to_le_bytes());
                shb.extend_from_slice(&(-1i64).to_le_bytes());
                self.block(0x0a0d_0d0a, &shb)?;
                for link in [1u16, 101] {
                    let mut idb = Vec::new();
                    idb.extend_from_slice(&link.to_le_bytes());
                    idb.extend_from_slice(&0u16.to_le_bytes());
                    idb.extend_from_slice(&0u32.to_le_bytes());
                    // if_tsresol = 9 (nanoseconds), end of options
                    idb.extend_from_slice(&[9, 0, 1, 0, 9, 0, 0, 0]);
                    idb.extend_from_slice(&[0, 0, 0, 0]);
                    self.block(1, &idb)?;
                }
                Ok(())
            }
        }
    }

    fn block(&mut self, kind: u32, body: &[u8]) -> std::io::Result<()> {
        let pad = (4 - body.len() % 4) % 4;
        let len = (12 + body.len() + pad) as u32;
        self.out.write_all(&kind.to_le_bytes())?;
        self.out.write_all(&len.to_le_bytes())?;
        self.out.write_all(body)?;
        self.out.write_all(&[0u8; 3][..pad])?;
        self.out.write_all(&len.to_le_bytes())
    }

    /// One IP packet, captured at most `snap` bytes.
    fn packet(&mut self, ts_ns: i64, ip_packet: &[u8], snap: usize) -> std::io::Result<()> {
        self.packets += 1;
        let v6 = ip_packet.first().is_some_and(|b| b >> 4 == 6);
        match self.format {
            Format::Pcap => {
                let mut frame = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2];
                frame.extend_from_slice(if v6 { &[0x86, 0xdd] } else { &[0x08, 0x00] });
                frame.extend_from_slice(ip_packet);
                let cap = frame.len().min(snap.saturating_add(14));
                let us = ts_ns / 1000;
                self.out.write_all(&((us / 1_000_000) as u32).to_le_bytes())?;
                self.out.write_all(&((us % 1_000_000) as u32).to_le_bytes())?;
                self.out.write_all(&(cap as u32).to_le_bytes())?;
                self.out.write_all(&(frame.len() as u32).to_le_bytes())?;
                self.out.write_all(&frame[..cap])
            }
            Format::Pcapng => {
                let (iface, frame) = if v6 {
                    (1u32, ip_packet.to_vec())
                } else {
                    let mut f = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00];
                    f.extend_from_slice(ip_packet);
                    (0u32, f)
                };
                let hdr = if v6 { 0 } else { 14 };
                let cap = frame.len().min(snap.saturating_add(hdr));
                let t = ts_ns as u64;
                let mut body = Vec::with_capacity(20 + cap);
                body.extend_from_slice(&iface.to_le_bytes());
                body.extend_from_slice(&((t >> 32) as u32).to_le_bytes());
                body.extend_from_slice(&(t as u32).to_le_bytes());
                body.extend_from_slice(&(cap as u32).to_le_bytes());
                body.extend_from_slice(&(frame.len() as u32).to_le_bytes());
                body.extend_from_slice(&frame[..cap]);
                self.block(6, &body)
            }
        }
    }
}

struct Gen<'a> {
    rng: TestRng,
    now_ns: i64,
    w: Writer<'a>,
    port: u16,
    snap: usize,
}

fn checksum(data: &[u8], mut sum: u32) -> u16 {
    for c in data.chunks(2) {
        let v = if c.len() == 2 { u16::from_be_bytes([c[0], c[1]]) } else { u16::from(c[0]) << 8 };
        sum += u32::from(v);
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An IP packet around a transport segment (`proto` 6 or 17), with checksums.
fn ip_packet(src: IpAddr, dst: IpAddr, proto: u8, mut l4: Vec<u8>) -> Vec<u8> {
    let mut pseudo = Vec::new();
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            pseudo.extend_from_slice(&s.octets());
            pseudo.extend_from_slice(&d.octets());
            pseudo.extend_from_slice(&[0, proto]);
            pseudo.extend_from_slice(&(l4.len() as u16).to_be_bytes());
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            pseudo.extend_from_slice(&s.octets());
            pseudo.extend_from_slice(&d.octets());
            pseudo.extend_from_slice(&(l4.len() as u32).to_be_bytes());
            pseudo.extend_from_slice(&[0, 0, 0, proto]);
        }
        _ => {}
    }
    let at = if proto == 6 { 16 } else { 6 };
    let mut sum_input = pseudo;
    sum_input.extend_from_slice(&l4);
    let mut c = checksum(&sum_input, 0);
    if proto == 17 && c == 0 {
        c = 0xffff;
    }
    l4[at..at + 2].copy_from_slice(&c.to_be_bytes());
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let mut h = vec![0x45, 0];
            h.extend_from_slice(&((20 + l4.len()) as u16).to_be_bytes());
            h.extend_from_slice(&[0, 1, 0x40, 0, 64, proto, 0, 0]);
            h.extend_from_slice(&s.octets());
            h.extend_from_slice(&d.octets());
            let c = checksum(&h, 0);
            h[10..12].copy_from_slice(&c.to_be_bytes());
            h.extend_from_slice(&l4);
            h
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let mut h = vec![0x60, 0, 0, 0];
            h.extend_from_slice(&(l4.len() as u16).to_be_bytes());
            h.extend_from_slice(&[proto, 64]);
            h.extend_from_slice(&s.octets());
            h.extend_from_slice(&d.octets());
            h.extend_from_slice(&l4);
            h
        }
        _ => Vec::new(),
    }
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH: u8 = 0x08;
const FIN: u8 = 0x01;

fn tcp_segment(sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut t = Vec::with_capacity(20 + payload.len());
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.extend_from_slice(&[0x50, flags]);
    t.extend_from_slice(&65535u16.to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 0]);
    t.extend_from_slice(payload);
    t
}

impl Gen<'_> {
    fn gap(&mut self, min_s: i64, max_s: i64) {
        self.now_ns += self.rng.random_range(min_s * 1_000_000_000..max_s * 1_000_000_000);
    }

    fn tick(&mut self) -> i64 {
        self.now_ns += self.rng.random_range(200_000..20_000_000);
        self.now_ns
    }

    fn next_port(&mut self) -> u16 {
        // the dynamic range (RFC 6335): no registered port a dissector would claim
        self.port = if self.port == u16::MAX { 49152 } else { self.port + 1 };
        self.port
    }

    fn send(&mut self, src: IpAddr, dst: IpAddr, proto: u8, l4: Vec<u8>, snap: usize) -> std::io::Result<()> {
        let t = self.tick();
        let p = ip_packet(src, dst, proto, l4);
        self.w.packet(t, &p, snap)
    }

    /// A DNS lookup of `name` (type `qtype`) answered with `addrs`.
    fn dns(
        &mut self,
        client: IpAddr,
        resolver: IpAddr,
        name: &str,
        addrs: &[IpAddr],
        qtype: u16,
    ) -> std::io::Result<()> {
        let id: u16 = self.rng.random();
        let port = self.next_port();
        let mut q = Vec::new();
        q.extend_from_slice(&id.to_be_bytes());
        q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
        for label in name.split('.') {
            q.push(label.len() as u8);
            q.extend_from_slice(label.as_bytes());
        }
        q.push(0);
        q.extend_from_slice(&qtype.to_be_bytes());
        q.extend_from_slice(&[0, 1]);
        let udp = |sport: u16, dport: u16, payload: &[u8]| {
            let mut u = Vec::new();
            u.extend_from_slice(&sport.to_be_bytes());
            u.extend_from_slice(&dport.to_be_bytes());
            u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
            u.extend_from_slice(&[0, 0]);
            u.extend_from_slice(payload);
            u
        };
        self.send(client, resolver, 17, udp(port, 53, &q), usize::MAX)?;
        let answers: Vec<&IpAddr> =
            addrs.iter().filter(|a| matches!((a, qtype), (IpAddr::V4(_), 1) | (IpAddr::V6(_), 28))).collect();
        let mut r = q.clone();
        r[2] = 0x81;
        r[3] = 0x80;
        r[6..8].copy_from_slice(&(answers.len() as u16).to_be_bytes());
        for a in answers {
            r.extend_from_slice(&[0xc0, 12]);
            r.extend_from_slice(&qtype.to_be_bytes());
            r.extend_from_slice(&[0, 1, 0, 0, 1, 0x2c]);
            match a {
                IpAddr::V4(v) => {
                    r.extend_from_slice(&[0, 4]);
                    r.extend_from_slice(&v.octets());
                }
                IpAddr::V6(v) => {
                    r.extend_from_slice(&[0, 16]);
                    r.extend_from_slice(&v.octets());
                }
            }
        }
        self.send(resolver, client, 17, udp(53, port, &r), usize::MAX)
    }

    /// A TCP connection: handshake, the client's `parts` (in order, or reordered `[2, 0, 1]`
    /// with part 0 retransmitted when `shuffle`), `resp` bytes back (server packets cut by the
    /// snap length), close.
    fn tcp(
        &mut self,
        c: IpAddr,
        s: IpAddr,
        sport: u16,
        parts: &[&[u8]],
        resp: usize,
        shuffle: bool,
    ) -> std::io::Result<()> {
        let cport = self.next_port();
        let (mut cs, mut ss): (u32, u32) = (self.rng.random(), self.rng.random());
        let all = usize::MAX;
        self.send(c, s, 6, tcp_segment(cport, sport, cs, 0, SYN, &[]), all)?;
        self.send(s, c, 6, tcp_segment(sport, cport, ss, cs.wrapping_add(1), SYN | ACK, &[]), all)?;
        cs = cs.wrapping_add(1);
        ss = ss.wrapping_add(1);
        self.send(c, s, 6, tcp_segment(cport, sport, cs, ss, ACK, &[]), all)?;
        let mut offsets = Vec::new();
        let mut off = 0u32;
        for p in parts {
            offsets.push(off);
            off += p.len() as u32;
        }
        let order: Vec<usize> = if shuffle && parts.len() == 3 { vec![2, 0, 1, 0] } else { (0..parts.len()).collect() };
        for i in order {
            let seg = tcp_segment(cport, sport, cs.wrapping_add(offsets[i]), ss, ACK | PSH, parts[i]);
            self.send(c, s, 6, seg, all)?;
        }
        cs = cs.wrapping_add(off);
        let mut left = resp;
        while left > 0 {
            let n = left.min(1400);
            let payload = vec![0x17u8; n];
            self.send(s, c, 6, tcp_segment(sport, cport, ss, cs, ACK, &payload), self.snap)?;
            ss = ss.wrapping_add(n as u32);
            left -= n;
        }
        self.send(c, s, 6, tcp_segment(cport, sport, cs, ss, ACK | FIN, &[]), all)?;
        self.send(s, c, 6, tcp_segment(sport, cport, ss, cs.wrapping_add(1), ACK | FIN, &[]), all)?;
        self.send(c, s, 6, tcp_segment(cport, sport, cs.wrapping_add(1), ss.wrapping_add(1), ACK, &[]), all)
    }
}

impl Gen<'_> {
    /// A QUIC v1 connection: the client's Initial(s) carrying `hello` (a handshake message; in
    /// two Initials sent in reverse order when `split`), then `resp` server datagrams.
    fn quic(&mut self, c: IpAddr, s: IpAddr, hello: &[u8], split: bool, resp: usize) -> std::io::Result<()> {
        let cport = self.next_port();
        let dcid: [u8; 8] = self.rng.random();
        let scid: [u8; 8] = self.rng.random();
        let parts: Vec<(u64, &[u8])> = if split {
            let (a, b) = hello.split_at(hello.len() / 2);
            vec![(a.len() as u64, b), (0, a)]
        } else {
            vec![(0, hello)]
        };
        let udp = |sport: u16, dport: u16, payload: &[u8]| {
            let mut u = Vec::new();
            u.extend_from_slice(&sport.to_be_bytes());
            u.extend_from_slice(&dport.to_be_bytes());
            u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
            u.extend_from_slice(&[0, 0]);
            u.extend_from_slice(payload);
            u
        };
        for (pn, (off, data)) in parts.into_iter().enumerate() {
            let pkt = quic_initial(&dcid, &scid, pn as u16, off, data);
            self.send(c, s, 17, udp(cport, 443, &pkt), usize::MAX)?;
        }
        for _ in 0..resp {
            let mut d = vec![0x40u8];
            d.extend(std::iter::repeat_n(0x5a, 1199));
            self.send(s, c, 17, udp(443, cport, &d), self.snap)?;
        }
        Ok(())
    }
}

fn hmac256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut k = [0u8; 64];
    k[..key.len().min(64)].copy_from_slice(&key[..key.len().min(64)]);
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    for p in parts {
        inner.update(p);
    }
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

fn hkdf_label(secret: &[u8], label: &str, len: usize) -> Vec<u8> {
    let full = format!("tls13 {label}");
    let mut info = (len as u16).to_be_bytes().to_vec();
    info.push(full.len() as u8);
    info.extend_from_slice(full.as_bytes());
    info.push(0);
    hmac256(secret, &[&info, &[1]])[..len].to_vec()
}

fn aes128(key: &[u8], block: [u8; 16]) -> [u8; 16] {
    use aes::cipher::{BlockCipherEncrypt, KeyInit};
    let c = aes::Aes128::new_from_slice(key).unwrap_or_else(|_| aes::Aes128::new(&[0u8; 16].into()));
    let mut b = aes::Block::from(block);
    c.encrypt_block(&mut b);
    b.into()
}

fn ghash_mul(x: u128, y: u128) -> u128 {
    let (mut z, mut v) = (0u128, y);
    for i in 0..128 {
        if (x >> (127 - i)) & 1 == 1 {
            z ^= v;
        }
        v = if v & 1 == 1 { (v >> 1) ^ (0xe1 << 120) } else { v >> 1 };
    }
    z
}

/// A client Initial datagram of 1200 bytes (RFC 9001 protection) carrying one CRYPTO frame.
pub fn quic_initial(dcid: &[u8], scid: &[u8], pn: u16, offset: u64, crypto: &[u8]) -> Vec<u8> {
    const SALT: [u8; 20] = [
        0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb,
        0x7f, 0x0a,
    ];
    let initial = hmac256(&SALT, &[dcid]);
    let client = hkdf_label(&initial, "client in", 32);
    let key = hkdf_label(&client, "quic key", 16);
    let iv = hkdf_label(&client, "quic iv", 12);
    let hp = hkdf_label(&client, "quic hp", 16);
    // header up to the length field
    let mut h = vec![0xc1, 0, 0, 0, 1, dcid.len() as u8];
    h.extend_from_slice(dcid);
    h.push(scid.len() as u8);
    h.extend_from_slice(scid);
    h.push(0); // no token
    let fixed = h.len() + 2 + 2; // length (2-byte varint) and packet number (2 bytes)
    let payload_len = 1200 - fixed - 16;
    let mut payload = vec![0x06];
    payload.extend_from_slice(&(0x8000_0000u32 | offset as u32).to_be_bytes());
    payload.extend_from_slice(&(0x4000u16 | crypto.len() as u16).to_be_bytes());
    payload.extend_from_slice(crypto);
    payload.resize(payload_len, 0); // PADDING
    let length = (2 + payload_len + 16) as u16;
    h.extend_from_slice(&(0x4000 | length).to_be_bytes());
    let pn_offset = h.len();
    h.extend_from_slice(&pn.to_be_bytes());
    // AES-128-GCM
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(&iv);
    nonce[10] ^= (pn >> 8) as u8;
    nonce[11] ^= pn as u8;
    let hkey = u128::from_be_bytes(aes128(&key, [0; 16]));
    let mut j0 = [0u8; 16];
    j0[..12].copy_from_slice(&nonce);
    j0[15] = 1;
    for (i, chunk) in payload.chunks_mut(16).enumerate() {
        let mut ctr = j0;
        ctr[12..].copy_from_slice(&(2 + i as u32).to_be_bytes());
        for (b, k) in chunk.iter_mut().zip(aes128(&key, ctr)) {
            *b ^= k;
        }
    }
    let mut y = 0u128;
    for data in [&h[..], &payload[..]] {
        for chunk in data.chunks(16) {
            let mut b = [0u8; 16];
            b[..chunk.len()].copy_from_slice(chunk);
            y = ghash_mul(y ^ u128::from_be_bytes(b), hkey);
        }
    }
    y = ghash_mul(y ^ (((h.len() as u128 * 8) << 64) | (payload.len() as u128 * 8)), hkey);
    let tag = (y ^ u128::from_be_bytes(aes128(&key, j0))).to_be_bytes();
    let mut pkt = h;
    pkt.extend_from_slice(&payload);
    pkt.extend_from_slice(&tag);
    // header protection
    let mut sample = [0u8; 16];
    sample.copy_from_slice(&pkt[pn_offset + 4..pn_offset + 20]);
    let mask = aes128(&hp, sample);
    pkt[0] ^= mask[0] & 0x0f;
    pkt[pn_offset] ^= mask[1];
    pkt[pn_offset + 1] ^= mask[2];
    pkt
}

/// A TLS 1.3 ClientHello record offering `sni` (none: no `server_name` extension) and `alpn`,
/// with a GREASE cipher and extension when `grease`.
pub fn client_hello(sni: Option<&str>, alpn: &[&str], grease: bool) -> Vec<u8> {
    let mut exts = Vec::new();
    let mut push = |t: u16, d: &[u8]| {
        exts.extend_from_slice(&t.to_be_bytes());
        exts.extend_from_slice(&(d.len() as u16).to_be_bytes());
        exts.extend_from_slice(d);
    };
    if grease {
        push(0x2a2a, &[]);
    }
    if let Some(name) = sni {
        let n = name.as_bytes();
        let mut d = Vec::new();
        d.extend_from_slice(&((n.len() + 3) as u16).to_be_bytes());
        d.push(0);
        d.extend_from_slice(&(n.len() as u16).to_be_bytes());
        d.extend_from_slice(n);
        push(0, &d);
    }
    push(23, &[]);
    push(0xff01, &[0]);
    push(10, &[0, 4, 0, 0x1d, 0, 0x17]);
    push(11, &[1, 0]);
    if !alpn.is_empty() {
        let mut list = Vec::new();
        for a in alpn {
            list.push(a.len() as u8);
            list.extend_from_slice(a.as_bytes());
        }
        let mut d = (list.len() as u16).to_be_bytes().to_vec();
        d.extend_from_slice(&list);
        push(16, &d);
    }
    push(13, &[0, 8, 4, 3, 8, 4, 4, 1, 5, 3]);
    let mut ks = vec![0, 36, 0, 0x1d, 0, 32];
    ks.extend_from_slice(&[0x42; 32]);
    push(51, &ks);
    push(45, &[1, 1]);
    push(43, &[4, 3, 4, 3, 3]);
    let mut body = vec![3, 3];
    body.extend_from_slice(&[0x11; 32]);
    body.push(32);
    body.extend_from_slice(&[0x22; 32]);
    let mut ciphers: Vec<u16> = vec![0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8];
    if grease {
        ciphers.insert(0, 0x3a3a);
    }
    body.extend_from_slice(&((ciphers.len() * 2) as u16).to_be_bytes());
    for c in ciphers {
        body.extend_from_slice(&c.to_be_bytes());
    }
    body.extend_from_slice(&[1, 0]);
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend_from_slice(&exts);
    let mut hs = vec![1, 0];
    hs.extend_from_slice(&(body.len() as u16).to_be_bytes());
    hs.extend_from_slice(&body);
    let mut rec = vec![0x16, 3, 1];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

/// Writes a capture file at `path` (gzipped when the name ends in `.gz`) and returns its truth.
pub fn write_capture_file(path: &std::path::Path, spec: &NetSpec) -> std::io::Result<NetCapture> {
    let f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    if path.extension().is_some_and(|e| e == "gz") {
        let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
        let r = write_capture(&mut gz, spec)?;
        gz.finish()?.flush()?;
        Ok(r)
    } else {
        let mut f = f;
        let r = write_capture(&mut f, spec)?;
        f.flush()?;
        Ok(r)
    }
}
