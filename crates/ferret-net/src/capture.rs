//! Streaming capture reading: pcap or pcapng (possibly gzipped) into link-layer frames with
//! their time and link type, and link layers down to IP.
//!
//! The file is read once, through a fixed buffer (`pcap-parser`'s circular reader); a block
//! larger than the buffer grows it up to [`MAX_BLOCK`], beyond which the capture is refused as
//! damaged. Memory does not depend on the capture's size.

use std::io::Read;

use pcap_parser::pcapng::Block;
use pcap_parser::{PcapBlockOwned, PcapError};

/// Reader buffer.
const BUFFER: usize = 1 << 20;
/// Largest block accepted (a jumbo frame in pcapng is ~64 KiB; 16 MiB leaves room for odd
/// snaplens and big name-resolution blocks).
pub const MAX_BLOCK: usize = 16 << 20;

/// The gzip magic.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Link types ferret decodes.
pub mod link {
    /// Ethernet.
    pub const ETHERNET: i32 = 1;
    /// Raw IP (DLT_RAW as written by some systems).
    pub const RAW_BSD: i32 = 12;
    /// Raw IP (LINKTYPE_RAW).
    pub const RAW: i32 = 101;
    /// Linux cooked capture v1.
    pub const LINUX_SLL: i32 = 113;
    /// 802.11 without radio header.
    pub const IEEE802_11: i32 = 105;
    /// 802.11 with radiotap.
    pub const RADIOTAP: i32 = 127;
    /// Raw IPv4.
    pub const IPV4: i32 = 228;
    /// Raw IPv6.
    pub const IPV6: i32 = 229;
    /// Linux cooked capture v2.
    pub const LINUX_SLL2: i32 = 276;
    /// BSD loopback (4-byte address family, host order).
    pub const NULL: i32 = 0;
    /// OpenBSD loopback (4-byte address family, network order).
    pub const LOOP: i32 = 108;
}

/// One captured frame.
#[derive(Debug)]
pub struct Frame<'a> {
    /// Capture time, nanoseconds since the Unix epoch.
    pub ts_ns: i64,
    /// Link type.
    pub linktype: i32,
    /// Captured bytes.
    pub data: &'a [u8],
    /// Length on the wire.
    pub orig_len: u32,
}

/// What the reading pass met besides frames.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReadStats {
    /// `pcap` or `pcapng`.
    pub format: String,
    /// Frames read.
    pub frames: u64,
    /// Bytes of the (decompressed) capture consumed.
    pub bytes: u64,
    /// Link types seen, sorted.
    pub linktypes: Vec<i32>,
    /// Frames of a link type ferret does not decode.
    pub unsupported_link: u64,
    /// Packets whose interface was never described.
    pub unknown_interface: u64,
    /// The capture ended inside a block (a truncated file): what was before it was read.
    pub truncated_tail: bool,
}

/// Why a capture could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Not a pcap or pcapng.
    #[error("not a pcap or pcapng capture")]
    NotCapture,
    /// A block is damaged or larger than the bound.
    #[error("damaged capture at byte {offset}: {reason}")]
    Damaged {
        /// Offset of the block in the (decompressed) stream.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// I/O error.
    #[error("read error: {0}")]
    Io(String),
}

/// A reader that fills whole buffers and remembers its I/O error (pcap-parser turns errors into
/// `ReadError`).
struct Remember<R> {
    inner: R,
    error: Option<std::io::Error>,
}

impl<R: Read> Read for Remember<R> {
    /// Fills `buf` as far as the source allows (pcap-parser checks the file header on its first
    /// read, and a chained or decompressing source may return a few bytes at a time).
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            match self.inner.read(buf.get_mut(n..).unwrap_or_default()) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let e2 = std::io::Error::new(e.kind(), e.to_string());
                    self.error = Some(e);
                    return Err(e2);
                }
            }
        }
        Ok(n)
    }
}

/// Wraps `r` in a gzip decoder when it starts with the gzip magic.
pub fn maybe_gunzip<'a>(mut r: Box<dyn Read + Send + 'a>) -> std::io::Result<Box<dyn Read + Send + 'a>> {
    let mut head = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        let n = r.read(head.get_mut(got..).unwrap_or_default())?;
        if n == 0 {
            break;
        }
        got += n;
    }
    let prefix = std::io::Cursor::new(head.get(..got).unwrap_or_default().to_vec());
    let chained: Box<dyn Read + Send + 'a> = Box::new(prefix.chain(r));
    if got == 2 && head == GZIP_MAGIC {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(256 << 10, chained))))
    } else {
        Ok(chained)
    }
}

#[derive(Clone, Copy)]
struct Interface {
    linktype: i32,
    /// ticks per second
    resolution: u64,
    offset_s: i64,
}

fn ts_ns(ticks: u64, iface: &Interface) -> i64 {
    let res = iface.resolution.max(1);
    let secs = ticks / res;
    let frac = ticks % res;
    let ns = if res >= 1_000_000_000 { frac / (res / 1_000_000_000) } else { frac.saturating_mul(1_000_000_000 / res) };
    let secs = i64::try_from(secs).unwrap_or(i64::MAX / 2_000_000_000).saturating_add(iface.offset_s);
    secs.saturating_mul(1_000_000_000).saturating_add(ns as i64)
}

/// Reads every frame of the capture in `r` (already decompressed) and hands it to `visit`.
pub fn read_frames(r: impl Read + Send, visit: &mut dyn FnMut(&Frame<'_>)) -> Result<ReadStats, ReadError> {
    let mut src = Remember { inner: r, error: None };
    let mut stats = ReadStats::default();
    let mut reader = match pcap_parser::create_reader(BUFFER, &mut src) {
        Ok(r) => r,
        Err(PcapError::Eof) => return Err(ReadError::NotCapture),
        Err(PcapError::ReadError) => return Err(ReadError::Io("cannot read the capture".into())),
        Err(_) => return Err(ReadError::NotCapture),
    };
    let mut ifaces: Vec<Interface> = Vec::new();
    let mut legacy = Interface { linktype: 1, resolution: 1_000_000, offset_s: 0 };
    let mut links = std::collections::BTreeSet::new();
    let mut capacity = BUFFER;
    let mut failure = None;
    let mut stalled: Option<usize> = None;
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        stats.format = "pcap".into();
                        legacy.linktype = h.network.0;
                        legacy.resolution = if h.is_nanosecond_precision() { 1_000_000_000 } else { 1_000_000 };
                        legacy.offset_s = i64::from(h.thiszone);
                    }
                    PcapBlockOwned::Legacy(b) => {
                        let ticks = u64::from(b.ts_sec) * legacy.resolution + u64::from(b.ts_usec);
                        links.insert(legacy.linktype);
                        stats.frames += 1;
                        let data = b.data.get(..b.caplen as usize).unwrap_or(b.data);
                        visit(&Frame {
                            ts_ns: ts_ns(ticks, &legacy),
                            linktype: legacy.linktype,
                            data,
                            orig_len: b.origlen,
                        });
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => {
                        stats.format = "pcapng".into();
                        ifaces.clear();
                    }
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        ifaces.push(Interface {
                            linktype: idb.linktype.0,
                            resolution: idb.ts_resolution().unwrap_or(1_000_000),
                            offset_s: idb.ts_offset(),
                        });
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        stats.frames += 1;
                        match ifaces.get(epb.if_id as usize) {
                            Some(iface) => {
                                links.insert(iface.linktype);
                                let ticks = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                                let data = epb.data.get(..epb.caplen as usize).unwrap_or(epb.data);
                                visit(&Frame {
                                    ts_ns: ts_ns(ticks, iface),
                                    linktype: iface.linktype,
                                    data,
                                    orig_len: epb.origlen,
                                });
                            }
                            None => stats.unknown_interface += 1,
                        }
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        stats.frames += 1;
                        match ifaces.first() {
                            Some(iface) => {
                                links.insert(iface.linktype);
                                let n = (spb.origlen as usize).min(spb.data.len());
                                visit(&Frame {
                                    ts_ns: 0,
                                    linktype: iface.linktype,
                                    data: spb.data.get(..n).unwrap_or(spb.data),
                                    orig_len: spb.origlen,
                                });
                            }
                            None => stats.unknown_interface += 1,
                        }
                    }
                    PcapBlockOwned::NG(_) => {}
                }
                stats.bytes += offset as u64;
                stalled = None;
                reader.consume(offset);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                if reader.reader_exhausted() {
                    stats.truncated_tail = !reader.data().is_empty();
                    break;
                }
                // a refill that brought nothing new twice in a row cannot complete the block
                let have = reader.data().len();
                if stalled == Some(have) {
                    failure =
                        Some(ReadError::Damaged { offset: stats.bytes, reason: "a block that never completes".into() });
                    break;
                }
                stalled = Some(have);
                if reader.refill().is_err() {
                    failure = Some(ReadError::Io("cannot read the capture".into()));
                    break;
                }
            }
            Err(PcapError::BufferTooSmall) => {
                if capacity >= MAX_BLOCK || !reader.grow(capacity * 2) {
                    return Err(ReadError::Damaged {
                        offset: stats.bytes,
                        reason: format!("a block larger than {} MiB", MAX_BLOCK >> 20),
                    });
                }
                capacity *= 2;
                if reader.refill().is_err() {
                    failure = Some(ReadError::Io("cannot read the capture".into()));
                    break;
                }
            }
            Err(PcapError::UnexpectedEof) => {
                stats.truncated_tail = true;
                break;
            }
            Err(PcapError::ReadError) => {
                failure = Some(ReadError::Io("cannot read the capture".into()));
                break;
            }
            Err(e) => {
                let reason = format!("{e:?}").chars().take(200).collect();
                failure = Some(ReadError::Damaged { offset: stats.bytes, reason });
                break;
            }
        }
    }
    drop(reader);
    if let Some(e) = src.error {
        return Err(ReadError::Io(e.to_string()));
    }
    if let Some(e) = failure {
        return Err(e);
    }
    stats.linktypes = links.into_iter().collect();
    Ok(stats)
}

/// Whether a link type is decoded.
pub fn supported_link(linktype: i32) -> bool {
    use link::*;
    matches!(
        linktype,
        ETHERNET | RAW_BSD | RAW | LINUX_SLL | IEEE802_11 | RADIOTAP | IPV4 | IPV6 | LINUX_SLL2 | NULL | LOOP
    )
}

/// The link layer of a frame, down to an EtherType and its payload (or raw IP: EtherType
/// 0x0800 / 0x86dd chosen from the IP version nibble). `None` when undecodable (802.11 control
/// or management frames, protected data, unsupported link types).
pub fn link_payload(linktype: i32, data: &[u8]) -> Option<(u16, &[u8])> {
    use link::*;
    let be16 = |d: &[u8], at: usize| d.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    match linktype {
        ETHERNET => {
            let mut et = be16(data, 12)?;
            let mut at = 14;
            // VLAN tags (802.1Q, 802.1ad, QinQ)
            let mut tags = 0;
            while matches!(et, 0x8100 | 0x88a8 | 0x9100) && tags < 3 {
                et = be16(data, at + 2)?;
                at += 4;
                tags += 1;
            }
            Some((et, data.get(at..)?))
        }
        RAW | RAW_BSD | IPV4 | IPV6 => raw_ip(data),
        LINUX_SLL => Some((be16(data, 14)?, data.get(16..)?)),
        LINUX_SLL2 => Some((be16(data, 0)?, data.get(20..)?)),
        NULL | LOOP => {
            let af = data.get(..4)?;
            let v = if linktype == LOOP {
                u32::from_be_bytes([af[0], af[1], af[2], af[3]])
            } else {
                u32::from_le_bytes([af[0], af[1], af[2], af[3]]).min(u32::from_be_bytes([af[0], af[1], af[2], af[3]]))
            };
            match v {
                2 => Some((0x0800, data.get(4..)?)),
                10 | 24 | 28 | 30 => Some((0x86dd, data.get(4..)?)),
                _ => None,
            }
        }
        RADIOTAP => {
            let len = usize::from(u16::from_le_bytes([*data.get(2)?, *data.get(3)?]));
            // radiotap flags field (bit 1 of present word 0) may say the frame ends in an FCS;
            // the IP layer's own lengths make trailing bytes harmless
            dot11(data.get(len..)?)
        }
        IEEE802_11 => dot11(data),
        _ => None,
    }
}

fn raw_ip(data: &[u8]) -> Option<(u16, &[u8])> {
    match data.first()? >> 4 {
        4 => Some((0x0800, data)),
        6 => Some((0x86dd, data)),
        _ => None,
    }
}

/// An 802.11 data frame with an LLC/SNAP header, unprotected.
fn dot11(data: &[u8]) -> Option<(u16, &[u8])> {
    let fc0 = *data.first()?;
    let fc1 = *data.get(1)?;
    let ftype = (fc0 >> 2) & 0x3;
    let subtype = fc0 >> 4;
    if ftype != 2 || fc1 & 0x40 != 0 {
        return None; // not data, or protected
    }
    if subtype & 0x4 != 0 {
        return None; // null (no data) frames
    }
    let mut hdr = 24;
    if fc1 & 0x03 == 0x03 {
        hdr += 6; // four addresses (WDS)
    }
    if subtype & 0x8 != 0 {
        hdr += 2; // QoS control
        if fc1 & 0x80 != 0 {
            hdr += 4; // HT control
        }
    }
    let llc = data.get(hdr..hdr + 8)?;
    if llc.get(..6)? != [0xaa, 0xaa, 0x03, 0, 0, 0] {
        return None;
    }
    Some((u16::from_be_bytes([llc[6], llc[7]]), data.get(hdr + 8..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_layers_down_to_ip() {
        let ip4 = [0x45u8, 0, 0, 20];
        let mut eth = vec![0u8; 12];
        eth.extend_from_slice(&[0x81, 0x00, 0, 5, 0x08, 0x00]);
        eth.extend_from_slice(&ip4);
        assert_eq!(link_payload(link::ETHERNET, &eth), Some((0x0800, &ip4[..])));
        let mut sll = vec![0u8; 14];
        sll.extend_from_slice(&[0x86, 0xdd, 0x60]);
        assert_eq!(link_payload(link::LINUX_SLL, &sll), Some((0x86dd, &[0x60u8][..])));
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend_from_slice(&[0u8; 18]);
        sll2.extend_from_slice(&ip4);
        assert_eq!(link_payload(link::LINUX_SLL2, &sll2), Some((0x0800, &ip4[..])));
        assert_eq!(link_payload(link::RAW, &ip4), Some((0x0800, &ip4[..])));
        assert_eq!(link_payload(link::RAW, &[0x10]), None);
        // radiotap (8 bytes) + QoS data frame + LLC/SNAP + IPv4
        let mut rt = vec![0, 0, 8, 0, 0, 0, 0, 0];
        rt.extend_from_slice(&[0x88, 0x01]);
        rt.extend_from_slice(&[0u8; 22]);
        rt.extend_from_slice(&[0, 0]);
        rt.extend_from_slice(&[0xaa, 0xaa, 3, 0, 0, 0, 0x08, 0x00]);
        rt.extend_from_slice(&ip4);
        assert_eq!(link_payload(link::RADIOTAP, &rt), Some((0x0800, &ip4[..])));
        // protected data is not decodable
        rt[9] |= 0x40;
        assert_eq!(link_payload(link::RADIOTAP, &rt), None);
        // truncated headers
        assert_eq!(link_payload(link::ETHERNET, &[0u8; 13]), None);
        assert_eq!(link_payload(link::LINUX_SLL2, &[0u8; 3]), None);
        assert_eq!(link_payload(9999, &ip4), None);
    }
}
