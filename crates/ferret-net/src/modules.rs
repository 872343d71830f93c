//! The capture's modules. They share one [`CaptureCache`]: the first module to run decodes the
//! capture (one pass), the others wait for it and emit their records from the result.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use ferret_core::{
    AcquisitionKind, ArtifactModule, Context, Finding, Indicators, Level, Locator, Module, ModuleError, Out, Outcome,
    Typed, ioc_finding,
};
use jiff::Timestamp;

use crate::capture::{maybe_gunzip, read_frames};
use crate::decode::{Decoded, Decoder, Limits};
use crate::records::{BeaconRecord, DnsRecord, FlowRecord, HttpRecord, TlsRecord};

type Key = (PathBuf, Vec<IpAddr>);

/// One decoding per capture (and `--device-ip`), shared by the modules: the first module to
/// ask decodes the capture; each module then takes its own record list out of the result
/// ([`CaptureCache::take`]), so the records' memory is freed as they are written.
#[derive(Default)]
pub struct CaptureCache {
    inner: Mutex<HashMap<Key, Result<Decoded, String>>>,
    limits: Option<Limits>,
}

impl CaptureCache {
    /// A new, empty cache.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// A cache decoding with other bounds (tests).
    pub fn with_limits(limits: Limits) -> Arc<Self> {
        Arc::new(Self { inner: Mutex::default(), limits: Some(limits) })
    }

    /// Runs `f` on the decoded capture of this evidence (decoded once; concurrent callers wait
    /// for the first). An unreadable capture is an error of every module, naming the file.
    pub fn take<T>(&self, ctx: &Context<'_>, f: impl FnOnce(&mut Decoded) -> T) -> Result<T, ModuleError> {
        let key = (ctx.evidence.source().to_path_buf(), ctx.options.device_ips.clone());
        let mut map = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !map.contains_key(&key) {
            let d = self.decode(ctx)?;
            map.insert(key.clone(), d);
        }
        match map.get_mut(&key) {
            Some(Ok(d)) => Ok(f(d)),
            Some(Err(e)) => {
                let name =
                    ctx.evidence.source().file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                Err(ModuleError::format(&name, e.clone()))
            }
            None => Err(ModuleError::format(&key.0.display().to_string(), "the capture was not decoded")),
        }
    }

    fn decode(&self, ctx: &Context<'_>) -> Result<Result<Decoded, String>, ModuleError> {
        let files = ctx.evidence.locate(&Locator { backup: &[], paths: &["**"] })?;
        let Some(file) = files.into_iter().next() else {
            let shown = ctx.evidence.source().display().to_string();
            return Err(ModuleError::format(&shown, "the capture file is missing"));
        };
        let r = ctx.evidence.open(&file)?;
        Ok(maybe_gunzip(r).map_err(|e| format!("cannot read: {e}")).and_then(|r| {
            let mut dec = Decoder::new(ctx.options.device_ips.clone(), self.limits.unwrap_or_default())
                .keeping_hits_of(ctx.indicators);
            let stats = read_frames(r, &mut |f| dec.frame(f)).map_err(|e| e.to_string())?;
            let d = dec.finish(stats);
            tracing::info!(
                "{}: {} {} frames, {} IP packets, {} flows, {} DNS, {} TLS, {} QUIC, {} HTTP records",
                file.path,
                d.stats.format,
                d.stats.frames,
                d.counters.ip_packets,
                d.flows.len(),
                d.dns.len(),
                d.tls.len(),
                d.quic.len(),
                d.http.len()
            );
            Ok(d)
        }))
    }
}

/// Every module of a network capture, sharing one cache.
pub fn modules(kind: AcquisitionKind) -> Vec<Box<dyn Module>> {
    if kind != AcquisitionKind::NetCapture {
        return Vec::new();
    }
    modules_with(CaptureCache::new())
}

/// The modules over a given cache.
pub fn modules_with(c: Arc<CaptureCache>) -> Vec<Box<dyn Module>> {
    vec![
        Box::new(Typed(NetFlows(Arc::clone(&c)))),
        Box::new(Typed(NetDns(Arc::clone(&c)))),
        Box::new(Typed(NetTls(Arc::clone(&c)))),
        Box::new(Typed(NetQuic(Arc::clone(&c)))),
        Box::new(Typed(NetHttp(Arc::clone(&c)))),
        Box::new(Typed(NetBeacons(c))),
    ]
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => {
            !(v.is_private()
                || v.is_loopback()
                || v.is_link_local()
                || v.is_broadcast()
                || v.is_unspecified()
                || v.is_multicast()
                || v.octets()[0] == 100 && (v.octets()[1] & 0xc0) == 64)
        }
        IpAddr::V6(v) => {
            !(v.is_loopback()
                || v.is_unspecified()
                || v.is_multicast()
                || v.is_unique_local()
                || v.is_unicast_link_local())
        }
    }
}

fn t(ts: Timestamp) -> Option<Timestamp> {
    Some(ts)
}

/// `net_flows`: the flow table.
pub struct NetFlows(pub Arc<CaptureCache>);

impl ArtifactModule for NetFlows {
    type Record = FlowRecord;
    const NAME: &'static str = "net_flows";
    const DESCRIPTION: &'static str =
        "Network capture: flows (5-tuple, bytes each way, first/last seen, name from SNI, HTTP or DNS)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let (warnings, flows) = self.0.take(ctx, |d| (d.warnings.clone(), std::mem::take(&mut d.flows)))?;
        for w in warnings {
            out.warn(w);
        }
        for r in flows.records() {
            out.record(r)?;
        }
        Ok(Outcome::Completed)
    }

    fn timeline(&self, r: &FlowRecord, events: &mut Vec<(Timestamp, String, String)>) {
        let name = r.domain.as_deref().map(|d| format!(" ({d})")).unwrap_or_default();
        events.push((
            r.first_seen,
            "flow".into(),
            format!(
                "{} {}:{} -> {}:{}{name}, {} bytes out, {} in",
                r.proto, r.src_ip, r.src_port, r.dst_ip, r.dst_port, r.bytes_out, r.bytes_in
            ),
        ));
    }

    fn check(&self, r: &FlowRecord, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        let when = t(r.first_seen);
        let mut ip_hit = false;
        for ip in [&r.dst_ip, &r.src_ip] {
            if let Some(m) = ind.check_domain(ip) {
                f.push(ioc_finding(Level::Critical, "Network connection with address", ip, when, m));
                ip_hit = true;
                break;
            }
        }
        if !ip_hit
            && r.sni.is_none()
            && r.domain_source.as_deref() == Some("dns")
            && let Some(d) = &r.domain
            && let Some(m) = ind.check_domain(d)
        {
            f.push(ioc_finding(
                Level::Critical,
                &format!("Network connection to {} ({}), an address DNS gave for", r.dst_ip, r.dst_port),
                d,
                when,
                m,
            ));
        }
        let public = r.dst_ip.parse::<IpAddr>().is_ok_and(is_public);
        if r.tls && r.sni.is_none() && r.domain.is_none() && public {
            f.push(Finding::heuristic(
                Level::Medium,
                format!(
                    "TLS connection to the bare address {}:{} without a server name (no SNI, no DNS name for it in the capture): software that avoids naming its server",
                    r.dst_ip, r.dst_port
                ),
                when,
            ));
        }
        if let Some(kind) = &r.encrypted_dns
            && !r.system_resolver
        {
            let what = if kind == "dot" { "DNS over TLS" } else { "DNS over HTTPS" };
            let server = r.sni.as_deref().map(|s| format!("{s}, ")).unwrap_or_default();
            f.push(Finding::heuristic(
                Level::Low,
                format!(
                    "{what} to {server}{}:{}, not the resolver the device uses for plain DNS: name lookups hidden from the network",
                    r.dst_ip, r.dst_port
                ),
                when,
            ));
        }
    }
}

/// `net_dns`: DNS exchanges.
pub struct NetDns(pub Arc<CaptureCache>);

impl ArtifactModule for NetDns {
    type Record = DnsRecord;
    const NAME: &'static str = "net_dns";
    const DESCRIPTION: &'static str = "Network capture: DNS queries and answers (names, types, returned addresses)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        for r in self.0.take(ctx, |d| std::mem::take(&mut d.dns))? {
            out.record(r)?;
        }
        Ok(Outcome::Completed)
    }

    fn timeline(&self, r: &DnsRecord, events: &mut Vec<(Timestamp, String, String)>) {
        let (event, data) = if r.answered {
            let answers = if r.ip.is_empty() { r.rcode.clone().unwrap_or_default() } else { r.ip.join(", ") };
            ("dns_response", format!("{} {} -> {answers}", r.query_type, r.domain))
        } else {
            ("dns_query", format!("{} {} (no response)", r.query_type, r.domain))
        };
        events.push((r.timestamp, event.into(), data));
    }

    fn check(&self, r: &DnsRecord, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        let when = t(r.timestamp);
        if let Some(m) = ind.check_domain(&r.domain) {
            f.push(ioc_finding(Level::Critical, "DNS lookup of", &r.domain, when, m));
            return;
        }
        for a in &r.answers {
            if a.kind == "CNAME"
                && let Some(m) = ind.check_domain(&a.value)
            {
                f.push(ioc_finding(Level::Critical, &format!("DNS answer for {} names", r.domain), &a.value, when, m));
                return;
            }
        }
        for ip in &r.ip {
            if let Some(m) = ind.check_domain(ip) {
                f.push(ioc_finding(
                    Level::Critical,
                    &format!("DNS answer for {} is the address", r.domain),
                    ip,
                    when,
                    m,
                ));
                return;
            }
        }
        if r.never_contacted {
            f.push(Finding::heuristic(
                Level::Low,
                format!(
                    "{} was resolved to {} but nothing in the capture connected to it afterwards (a lookup used as a signal, or a connection made elsewhere)",
                    r.domain,
                    r.ip.join(", ")
                ),
                when,
            ));
        }
    }
}

/// `net_tls`: TLS ClientHellos.
pub struct NetTls(pub Arc<CaptureCache>);

impl ArtifactModule for NetTls {
    type Record = TlsRecord;
    const NAME: &'static str = "net_tls";
    const DESCRIPTION: &'static str = "Network capture: TLS ClientHellos (SNI, ALPN, version, JA4)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        for r in self.0.take(ctx, |d| std::mem::take(&mut d.tls))? {
            out.record(r)?;
        }
        Ok(Outcome::Completed)
    }

    fn timeline(&self, r: &TlsRecord, events: &mut Vec<(Timestamp, String, String)>) {
        let sni = r.domain.as_deref().unwrap_or("(no SNI)");
        events.push((
            r.timestamp,
            "tls_client_hello".into(),
            format!("{sni} -> {}:{} ({}, JA4 {})", r.dst_ip, r.dst_port, r.tls_version, r.ja4),
        ));
    }

    fn check(&self, r: &TlsRecord, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if let Some(sni) = &r.domain
            && let Some(m) = ind.check_domain(sni)
        {
            f.push(ioc_finding(Level::Critical, "TLS connection naming server", sni, t(r.timestamp), m));
        }
    }
}

/// `net_quic`: QUIC Initial ClientHellos (same record shape as `net_tls`).
pub struct NetQuic(pub Arc<CaptureCache>);

impl ArtifactModule for NetQuic {
    type Record = TlsRecord;
    const NAME: &'static str = "net_quic";
    const DESCRIPTION: &'static str =
        "Network capture: QUIC connections (the ClientHello of decrypted Initial packets: SNI, ALPN, JA4)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        for r in self.0.take(ctx, |d| std::mem::take(&mut d.quic))? {
            out.record(r)?;
        }
        Ok(Outcome::Completed)
    }

    fn timeline(&self, r: &TlsRecord, events: &mut Vec<(Timestamp, String, String)>) {
        let sni = r.domain.as_deref().unwrap_or("(no SNI)");
        events.push((
            r.timestamp,
            "quic_initial".into(),
            format!("{sni} -> {}:{} (JA4 {})", r.dst_ip, r.dst_port, r.ja4),
        ));
    }

    fn check(&self, r: &TlsRecord, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if let Some(sni) = &r.domain
            && let Some(m) = ind.check_domain(sni)
        {
            f.push(ioc_finding(Level::Critical, "QUIC connection naming server", sni, t(r.timestamp), m));
        }
    }
}

/// `net_http`: HTTP/1 requests.
pub struct NetHttp(pub Arc<CaptureCache>);

impl ArtifactModule for NetHttp {
    type Record = HttpRecord;
    const NAME: &'static str = "net_http";
    const DESCRIPTION: &'static str = "Network capture: plain HTTP requests (method, Host, URL, User-Agent)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        for r in self.0.take(ctx, |d| std::mem::take(&mut d.http))? {
            out.record(r)?;
        }
        Ok(Outcome::Completed)
    }

    fn timeline(&self, r: &HttpRecord, events: &mut Vec<(Timestamp, String, String)>) {
        let what = r.url.clone().unwrap_or_else(|| format!("{}:{}", r.dst_ip, r.dst_port));
        events.push((r.timestamp, "http_request".into(), format!("{} {what}", r.method)));
    }

    fn check(&self, r: &HttpRecord, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        let when = t(r.timestamp);
        if let Some(url) = &r.url
            && let Some(m) = ind.check_url(url)
        {
            f.push(ioc_finding(Level::Critical, "HTTP request to", url, when, m));
        } else if let Some(h) = &r.domain
            && let Some(m) = ind.check_domain(h)
        {
            f.push(ioc_finding(Level::Critical, "HTTP request to host", h, when, m));
        }
    }
}

/// `net_beacons`: regular series of small connections.
pub struct NetBeacons(pub Arc<CaptureCache>);

impl ArtifactModule for NetBeacons {
    type Record = BeaconRecord;
    const NAME: &'static str = "net_beacons";
    const DESCRIPTION: &'static str =
        "Network capture: regular series of small connections to one server (beacon candidates)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        for r in self.0.take(ctx, |d| std::mem::take(&mut d.beacons))? {
            out.record(r)?;
        }
        Ok(Outcome::Completed)
    }

    fn timeline(&self, r: &BeaconRecord, events: &mut Vec<(Timestamp, String, String)>) {
        events.push((
            r.first_seen,
            "beacon".into(),
            format!("{} connections to {}:{} every {:.0} s", r.connections, r.dst_ip, r.dst_port, r.period_s),
        ));
    }

    fn check(&self, r: &BeaconRecord, _ind: &dyn Indicators, f: &mut Vec<Finding>) {
        let name = r.domain.as_deref().map(|d| format!(" ({d})")).unwrap_or_default();
        f.push(Finding::heuristic(
            Level::Medium,
            format!(
                "Beacon: {} small connections from {} to {}:{}{name}, one every {:.0} s ({:.0}% regular), at most {} bytes each",
                r.connections,
                r.src_ip,
                r.dst_ip,
                r.dst_port,
                r.period_s,
                r.regularity * 100.0,
                r.max_bytes
            ),
            t(r.first_seen),
        ));
    }
}
