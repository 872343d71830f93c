//! # ferret-net
//!
//! Network captures as an acquisition type: a capture box's pcap or pcapng file (also gzipped),
//! checked against the same indicators as phones, with records that join the same timeline.
//!
//! The facade every platform crate offers: [`detect()`], [`open()`], [`modules()`] and the one
//! error type [`NetError`].
//!
//! * [`capture`]: the file is read **once**, streamed through a fixed buffer (`pcap-parser`),
//!   whatever its size; link layers Ethernet (with VLAN tags), raw IP, Linux cooked v1/v2,
//!   BSD loopback, 802.11 data frames with or without radiotap (unprotected only);
//! * [`decode`]: one pass shared by every module ([`CaptureCache`], like the Android dumpstate
//!   cache): IPv4/IPv6 (`etherparse`), TCP with just enough reassembly for a ClientHello or an
//!   HTTP request head split over segments (bounded per flow and in flow count; retransmissions
//!   and reordering handled), UDP DNS (`simple-dns`), a flow table;
//! * [`tls`]: a small, bounded ClientHello reader (SNI, ALPN, versions) and JA4;
//! * [`http`]: HTTP/1 request heads (method, Host, URL, User-Agent);
//! * [`quic`]: QUIC v1 client Initials decrypted with the keys derived from their connection ID
//!   (RFC 9001), their CRYPTO frames put together into the ClientHello;
//! * [`mod@modules`]: `net_dns`, `net_tls`, `net_quic`, `net_http`, `net_flows`, `net_beacons`.
//!
//! ## Checks and levels
//! | check | record | level |
//! |---|---|---|
//! | queried name, answer address or CNAME target matches an indicator | `net_dns` | CRITICAL |
//! | TLS server name (SNI) matches | `net_tls` | CRITICAL |
//! | QUIC Initial's server name matches | `net_quic` | CRITICAL |
//! | HTTP URL or Host matches | `net_http` | CRITICAL |
//! | flow's server (or client) address matches an IP/CIDR indicator | `net_flows` | CRITICAL |
//! | flow without SNI/Host to an address DNS gave for an indicator name | `net_flows` | CRITICAL |
//! | TLS connection to a public address without SNI and without any DNS name for it | `net_flows` | MEDIUM |
//! | regular series of small connections (beacon: ≥ 6 connections, each ≤ 16 KiB, median period ≥ 10 s, ≥ 80% of intervals within 10% of it) | `net_beacons` | MEDIUM |
//! | DNS over TLS (TCP 853) or DNS over HTTPS (TLS naming a public DoH service) to a server that is not the resolver the device sends plain DNS to | `net_flows` | LOW |
//! | a name resolved to addresses that no later connection used and no TLS/HTTP request named | `net_dns` | LOW |
//!
//! Every alert comes from a record's own fields, so `ferret check-iocs` repeats them from the
//! stored records. JA4 fingerprints are recorded (`ja4`) but not matched: the indicator index has
//! no JA4 or certificate-hash type for network observables yet.
//!
//! `--device-ip` ([`ferret_core::RunOptions::device_ips`]) keeps only packets to or from those
//! addresses.
//!
//! Memory is bounded by [`decode::Limits`] whatever the capture. Past a bound the pass goes on:
//! records and flows matching a loaded indicator are still kept, DNS messages and single-packet
//! ClientHellos/request heads of untracked connections are still read, and a warning names the
//! bound; the heuristics lose their input past it.

pub mod capture;
pub mod decode;
pub mod http;
pub mod modules;
pub mod quic;
pub mod records;
pub mod tls;

use std::io::Read;
use std::path::{Path, PathBuf};

use ferret_core::evidence::compile_glob;
use ferret_core::{
    AcquisitionKind, Detection, Evidence, EvidenceError, EvidenceFile, Locator, Opened, Secrets, SqliteDb,
};

pub use modules::{CaptureCache, modules};

/// Errors opening a capture. Every variant names the path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// The file is not a capture.
    #[error("{path}: not a pcap or pcapng capture (gzipped or not)")]
    NotCapture {
        /// The file.
        path: String,
    },
    /// An I/O error.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The kind is not a network capture.
    #[error("{0:?} is not a network capture kind")]
    NotNet(AcquisitionKind),
    /// Reading the evidence failed.
    #[error(transparent)]
    Evidence(#[from] EvidenceError),
}

/// pcap magics (micro- and nanosecond, both byte orders) and the pcapng section header.
const MAGICS: [([u8; 4], &str); 5] = [
    ([0xd4, 0xc3, 0xb2, 0xa1], "pcap"),
    ([0xa1, 0xb2, 0xc3, 0xd4], "pcap"),
    ([0x4d, 0x3c, 0xb2, 0xa1], "pcap (nanosecond)"),
    ([0xa1, 0xb2, 0x3c, 0x4d], "pcap (nanosecond)"),
    ([0x0a, 0x0d, 0x0d, 0x0a], "pcapng"),
];

/// What the first bytes of a file say: `Some("pcapng")`, `Some("gzipped pcap")`...
pub fn sniff(head: &[u8]) -> Option<String> {
    if head.starts_with(&capture::GZIP_MAGIC) {
        let mut inner = [0u8; 4];
        let mut d = flate2::read::GzDecoder::new(head);
        let mut got = 0;
        while got < 4 {
            match d.read(inner.get_mut(got..).unwrap_or_default()) {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
        }
        return MAGICS.iter().find(|(m, _)| got == 4 && inner == *m).map(|(_, n)| format!("gzipped {n}"));
    }
    let m = head.get(..4)?;
    MAGICS.iter().find(|(magic, _)| m == magic).map(|(_, n)| (*n).to_string())
}

/// Every network-capture type `path` matches (none or one): a regular file whose content starts
/// with a pcap or pcapng magic, directly or inside gzip.
pub fn detect_all(path: &Path) -> Vec<Detection> {
    if !path.is_file() {
        return Vec::new();
    }
    let mut head = vec![0u8; 64 << 10];
    let n = match std::fs::File::open(path) {
        Ok(mut f) => {
            let mut n = 0;
            while n < head.len() {
                match f.read(head.get_mut(n..).unwrap_or_default()) {
                    Ok(0) | Err(_) => break,
                    Ok(k) => n += k,
                }
            }
            n
        }
        Err(_) => return Vec::new(),
    };
    match sniff(head.get(..n).unwrap_or_default()) {
        Some(what) => vec![Detection::new(AcquisitionKind::NetCapture, format!("a {what} file"))],
        None => Vec::new(),
    }
}

/// The one type `path` is, if it is a capture.
pub fn detect(path: &Path) -> Option<Detection> {
    detect_all(path).pop()
}

/// Opens a capture: a read-only evidence of one file (no secrets are ever needed).
///
/// Errors: [`NetError::NotCapture`], [`NetError::NotNet`], [`NetError::Io`].
pub fn open(path: &Path, kind: AcquisitionKind, _secrets: &Secrets) -> Result<Opened, NetError> {
    if kind != AcquisitionKind::NetCapture {
        return Err(NetError::NotNet(kind));
    }
    let ev = CaptureEvidence::open(path)?;
    Ok(Opened::plain(Box::new(ev)))
}

/// A capture file as evidence: one file, named by its file name.
#[derive(Debug)]
pub struct CaptureEvidence {
    path: PathBuf,
    file: EvidenceFile,
}

impl CaptureEvidence {
    /// Opens `path` (a regular file starting with a capture magic).
    pub fn open(path: &Path) -> Result<Self, NetError> {
        let shown = path.display().to_string();
        let (mut f, meta) = ferret_core::safe_root::open_user_file(path)?;
        let mut head = vec![0u8; 64 << 10];
        let mut n = 0;
        while n < head.len() {
            match f.read(head.get_mut(n..).unwrap_or_default()) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(source) => return Err(NetError::Io { path: shown, source }),
            }
        }
        if sniff(head.get(..n).unwrap_or_default()).is_none() {
            return Err(NetError::NotCapture { path: shown });
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "capture".into());
        let mut file = EvidenceFile::plain(name);
        file.size = Some(meta.len());
        Ok(Self { path: path.to_path_buf(), file })
    }

    /// The capture as a located file.
    pub fn file(&self) -> &EvidenceFile {
        &self.file
    }
}

impl Evidence for CaptureEvidence {
    fn kind(&self) -> AcquisitionKind {
        AcquisitionKind::NetCapture
    }

    fn source(&self) -> &Path {
        &self.path
    }

    fn locate(&self, locator: &Locator) -> Result<Vec<EvidenceFile>, EvidenceError> {
        for p in locator.paths {
            if compile_glob(p)?.is_match(&self.file.relative_path) {
                return Ok(vec![self.file.clone()]);
            }
        }
        Ok(Vec::new())
    }

    fn open(&self, file: &EvidenceFile) -> Result<Box<dyn Read + Send + '_>, EvidenceError> {
        if file.path != self.file.path {
            return Err(EvidenceError::Missing { path: file.path.clone() });
        }
        let (f, _) = ferret_core::safe_root::open_user_file(&self.path)?;
        Ok(Box::new(std::io::BufReader::with_capacity(1 << 20, f)))
    }

    fn sqlite(&self, file: &EvidenceFile) -> Result<SqliteDb, EvidenceError> {
        Err(EvidenceError::Corrupt { path: file.path.clone(), reason: "a network capture holds no database".into() })
    }

    fn walk(&self, visit: &mut dyn FnMut(&EvidenceFile)) -> Result<(), EvidenceError> {
        visit(&self.file);
        Ok(())
    }
}

/// Link types the fuzz input's first byte selects (`1..=7`; `0` means "the rest is a capture
/// file").
pub const FUZZ_LINKS: [i32; 7] = [
    capture::link::ETHERNET,
    capture::link::RAW,
    capture::link::LINUX_SLL,
    capture::link::LINUX_SLL2,
    capture::link::RADIOTAP,
    capture::link::IEEE802_11,
    capture::link::NULL,
];

/// Fuzz entry point (the `net_packet` target). First byte `0`: the rest is a capture file
/// (plain or gzipped), read and decoded with small bounds; `1..=7`: the rest is one frame of
/// link type [`FUZZ_LINKS`]`[b - 1]`, decoded twice (a packet and its repeat); `8`: the rest is
/// the decrypted payload of a QUIC Initial (its frames, then the ClientHello they carry; the
/// fuzzer cannot forge the GCM tag in front of that path). Returns `(frames, records)` or the
/// reason of the refusal.
pub fn fuzz_packet(data: &[u8]) -> Result<(u64, usize), String> {
    let Some((&mode, rest)) = data.split_first() else { return Err("empty input".into()) };
    if mode == 8 {
        let frames = quic::parse_frames(rest).ok_or("cut QUIC frame")?;
        let n = frames.len() as u64;
        let mut s = quic::CryptoStream::default();
        let hello = tls::read_handshake(s.add(frames));
        return Ok((n, usize::from(hello.is_some())));
    }
    if mode == 0 {
        let limits = decode::Limits {
            max_flows: 256,
            max_streams: 16,
            stream_bytes: 4096,
            max_pending: 4,
            max_dns: 256,
            max_records: 256,
            max_names: 256,
            max_pending_dns: 64,
        };
        let r = capture::maybe_gunzip(Box::new(std::io::Cursor::new(rest.to_vec())))
            .map_err(|e| e.to_string())?
            .take(16 << 20);
        let mut dec = decode::Decoder::new(Vec::new(), limits);
        let stats = capture::read_frames(r, &mut |f| dec.frame(f)).map_err(|e| e.to_string())?;
        let d = dec.finish(stats);
        let n = d.dns.len() + d.tls.len() + d.quic.len() + d.http.len() + d.flows.len() + d.beacons.len();
        return Ok((d.stats.frames, n));
    }
    let link = *FUZZ_LINKS.get(usize::from(mode) - 1).ok_or("unknown link selector")?;
    Ok((2, decode::decode_one(link, rest)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_magics_plain_and_gzipped() {
        assert_eq!(sniff(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]).as_deref(), Some("pcap"));
        assert_eq!(sniff(&[0x0a, 0x0d, 0x0d, 0x0a]).as_deref(), Some("pcapng"));
        assert_eq!(sniff(&[0x4d, 0x3c, 0xb2, 0xa1]).as_deref(), Some("pcap (nanosecond)"));
        assert_eq!(sniff(b"PK\x03\x04"), None);
        assert_eq!(sniff(&[0xd4]), None);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &[0x0a, 0x0d, 0x0d, 0x0a, 1, 2, 3]).expect("gz");
        let gz = gz.finish().expect("gz");
        assert_eq!(sniff(&gz).as_deref(), Some("gzipped pcapng"));
        let mut other = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut other, b"hello world").expect("gz");
        assert_eq!(sniff(&other.finish().expect("gz")), None);
    }
}
