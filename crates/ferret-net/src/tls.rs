//! A small, bounded TLS ClientHello reader and its JA4 fingerprint.
//!
//! The input is the start of a client's byte stream as reassembled from TCP segments (or the
//! CRYPTO data of a QUIC Initial). Only what ferret uses is read: the offered version, cipher
//! suites, extension types, SNI, ALPN and signature algorithms. Every length is checked against
//! the bytes present; nothing is allocated beyond the hello's own size (at most [`MAX_HELLO`]).

use sha2::{Digest, Sha256};

/// Largest ClientHello handshake message read (a post-quantum key share makes hellos of ~2 KiB;
/// 64 KiB leaves room for padding and many extensions).
pub const MAX_HELLO: usize = 64 << 10;

/// What a ClientHello offers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientHello {
    /// `legacy_version` of the hello.
    pub legacy_version: u16,
    /// Cipher suites, in order (GREASE included).
    pub ciphers: Vec<u16>,
    /// Extension types, in order (GREASE included).
    pub extensions: Vec<u16>,
    /// The server name (`server_name`, host_name entry), if any.
    pub sni: Option<String>,
    /// ALPN protocols, in order.
    pub alpn: Vec<String>,
    /// `supported_versions`, in order.
    pub versions: Vec<u16>,
    /// `signature_algorithms`, in order.
    pub sig_algs: Vec<u16>,
}

/// Result of trying to read a ClientHello from the start of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hello {
    /// The bytes so far are a valid prefix: more are needed.
    NeedMore,
    /// The stream does not start with a TLS handshake record holding a ClientHello.
    NotTls,
    /// A ClientHello.
    Parsed(ClientHello),
    /// It starts like TLS but is malformed (the reason).
    Malformed(&'static str),
}

/// Whether a 16-bit value is a GREASE value (RFC 8701).
pub fn is_grease(v: u16) -> bool {
    (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff)
}

/// Reads a ClientHello from TLS records at the start of `stream` (the handshake message may
/// span several records).
pub fn read_client_hello(stream: &[u8]) -> Hello {
    let mut hs: Vec<u8> = Vec::new();
    let mut rest = stream;
    loop {
        let Some(&[ct, major, _minor, l1, l2]) = rest.get(..5) else {
            return if rest.is_empty() || rest.first() == Some(&0x16) { Hello::NeedMore } else { Hello::NotTls };
        };
        if ct != 0x16 || major != 3 {
            return if hs.is_empty() {
                Hello::NotTls
            } else {
                Hello::Malformed("handshake interrupted by another record")
            };
        }
        let len = usize::from(u16::from_be_bytes([l1, l2]));
        if len == 0 || len > (16 << 10) + 2048 {
            return Hello::Malformed("bad TLS record length");
        }
        let Some(frag) = rest.get(5..5 + len) else { return Hello::NeedMore };
        if hs.len() + frag.len() > MAX_HELLO + 4 {
            return Hello::Malformed("ClientHello larger than the limit");
        }
        hs.extend_from_slice(frag);
        rest = rest.get(5 + len..).unwrap_or_default();
        if let Some(&[t, a, b, c]) = hs.get(..4) {
            if t != 1 {
                return Hello::NotTls;
            }
            let hlen = usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c);
            if hlen > MAX_HELLO {
                return Hello::Malformed("ClientHello larger than the limit");
            }
            if hs.len() >= 4 + hlen {
                let body = hs.get(4..4 + hlen).unwrap_or_default();
                return match parse_hello_body(body) {
                    Some(h) => Hello::Parsed(h),
                    None => Hello::Malformed("truncated or inconsistent ClientHello"),
                };
            }
        }
    }
}

/// Reads a ClientHello handshake message (type, 24-bit length, body) from the start of `data`
/// (QUIC CRYPTO data). `None` when incomplete or malformed.
pub fn read_handshake(data: &[u8]) -> Option<ClientHello> {
    let (&t, rest) = data.split_first()?;
    if t != 1 {
        return None;
    }
    let l = rest.get(..3)?;
    let hlen = usize::from(l[0]) << 16 | usize::from(l[1]) << 8 | usize::from(l[2]);
    if hlen > MAX_HELLO {
        return None;
    }
    parse_hello_body(rest.get(3..3 + hlen)?)
}

/// A bounds-checked reader.
struct R<'a>(&'a [u8]);

impl<'a> R<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (a, b) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = b;
        Some(a)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).and_then(|b| b.first().copied())
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
    fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()?;
        self.take(usize::from(n))
    }
    fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }
}

fn u16s(b: &[u8]) -> Vec<u16> {
    b.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect()
}

fn parse_hello_body(body: &[u8]) -> Option<ClientHello> {
    let mut r = R(body);
    let mut h = ClientHello { legacy_version: r.u16()?, ..ClientHello::default() };
    r.take(32)?; // random
    r.vec8()?; // session id
    let cs = r.vec16()?;
    if cs.len() % 2 != 0 {
        return None;
    }
    h.ciphers = u16s(cs);
    r.vec8()?; // compression methods
    if r.0.is_empty() {
        return Some(h); // no extensions (old clients)
    }
    let mut ext = R(r.vec16()?);
    while !ext.0.is_empty() {
        let t = ext.u16()?;
        let data = ext.vec16()?;
        h.extensions.push(t);
        let mut d = R(data);
        match t {
            0 => {
                let mut list = R(d.vec16()?);
                while !list.0.is_empty() {
                    let kind = list.u8()?;
                    let name = list.vec16()?;
                    if kind == 0 && h.sni.is_none() {
                        h.sni = Some(String::from_utf8_lossy(name).into_owned());
                    }
                }
            }
            16 => {
                let mut list = R(d.vec16()?);
                while !list.0.is_empty() {
                    let p = list.vec8()?;
                    h.alpn.push(String::from_utf8_lossy(p).into_owned());
                }
            }
            43 => {
                let v = d.vec8()?;
                h.versions = u16s(v);
            }
            13 => {
                let v = d.vec16()?;
                h.sig_algs = u16s(v);
            }
            _ => {}
        }
    }
    Some(h)
}

fn version_code(v: u16) -> &'static str {
    match v {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    }
}

fn hash12(s: &str) -> String {
    if s.is_empty() {
        return "000000000000".into();
    }
    let d = Sha256::digest(s.as_bytes());
    hex::encode(d).chars().take(12).collect()
}

fn hex_list(v: impl Iterator<Item = u16>) -> String {
    v.map(|x| format!("{x:04x}")).collect::<Vec<_>>().join(",")
}

impl ClientHello {
    /// The highest version offered (from `supported_versions`, else `legacy_version`), GREASE
    /// ignored.
    pub fn best_version(&self) -> u16 {
        self.versions.iter().copied().filter(|v| !is_grease(*v)).max().unwrap_or(self.legacy_version)
    }

    /// The version in words (`TLS 1.3`).
    pub fn version_name(&self) -> String {
        match self.best_version() {
            0x0304 => "TLS 1.3".into(),
            0x0303 => "TLS 1.2".into(),
            0x0302 => "TLS 1.1".into(),
            0x0301 => "TLS 1.0".into(),
            0x0300 => "SSL 3.0".into(),
            v => format!("0x{v:04x}"),
        }
    }

    /// The JA4 fingerprint (FoxIO's JA4 TLS client fingerprint): `t13d1516h2_<ciphers>_<exts>`;
    /// `quic` gives the `q` prefix.
    pub fn ja4(&self, quic: bool) -> String {
        let ciphers: Vec<u16> = self.ciphers.iter().copied().filter(|c| !is_grease(*c)).collect();
        let exts: Vec<u16> = self.extensions.iter().copied().filter(|e| !is_grease(*e)).collect();
        let alpn = match self.alpn.first().map(String::as_bytes) {
            Some([first, .., last]) if first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() => {
                format!("{}{}", char::from(*first), char::from(*last))
            }
            Some([one]) if one.is_ascii_alphanumeric() => format!("{0}{0}", char::from(*one)),
            Some(b @ [_, ..]) => {
                let h = hex::encode(b);
                let first = h.chars().next().unwrap_or('0');
                let last = h.chars().last().unwrap_or('0');
                format!("{first}{last}")
            }
            _ => "00".into(),
        };
        let a = format!(
            "{}{}{}{:02}{:02}{}",
            if quic { 'q' } else { 't' },
            version_code(self.best_version()),
            if self.sni.is_some() { 'd' } else { 'i' },
            ciphers.len().min(99),
            exts.len().min(99),
            alpn
        );
        let mut sc = ciphers.clone();
        sc.sort_unstable();
        let b = hash12(&hex_list(sc.into_iter()));
        let mut se: Vec<u16> = exts.iter().copied().filter(|e| *e != 0 && *e != 16).collect();
        se.sort_unstable();
        let mut c_text = hex_list(se.into_iter());
        if !self.sig_algs.is_empty() && !c_text.is_empty() {
            c_text.push('_');
            c_text.push_str(&hex_list(self.sig_algs.iter().copied()));
        }
        let c = hash12(&c_text);
        format!("{a}_{b}_{c}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-built ClientHello record: SNI, ALPN h2+http/1.1, TLS 1.3 + 1.2, two ciphers plus
    /// one GREASE, signature algorithms.
    fn hello_record() -> Vec<u8> {
        let mut exts = Vec::new();
        let mut push = |t: u16, d: &[u8]| {
            exts.extend_from_slice(&t.to_be_bytes());
            exts.extend_from_slice(&(d.len() as u16).to_be_bytes());
            exts.extend_from_slice(d);
        };
        push(0x0a0a, &[]);
        let name = b"example.org";
        let mut sni = Vec::new();
        sni.extend_from_slice(&((name.len() + 3) as u16).to_be_bytes());
        sni.push(0);
        sni.extend_from_slice(&(name.len() as u16).to_be_bytes());
        sni.extend_from_slice(name);
        push(0, &sni);
        push(16, &[0, 12, 2, b'h', b'2', 8, b'h', b't', b't', b'p', b'/', b'1', b'.', b'1']);
        push(43, &[4, 3, 4, 3, 3]);
        push(13, &[0, 4, 4, 3, 8, 4]);
        let mut body = vec![3, 3];
        body.extend_from_slice(&[7; 32]);
        body.push(0);
        body.extend_from_slice(&[0, 6, 0x1a, 0x1a, 0x13, 0x01, 0xc0, 0x2b]);
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

    #[test]
    fn reads_sni_alpn_and_ja4() {
        let rec = hello_record();
        let Hello::Parsed(h) = read_client_hello(&rec) else { panic!("not parsed") };
        assert_eq!(h.sni.as_deref(), Some("example.org"));
        assert_eq!(h.alpn, vec!["h2", "http/1.1"]);
        assert_eq!(h.best_version(), 0x0304);
        let ja4 = h.ja4(false);
        // 2 ciphers and 4 extensions without GREASE; ALPN h2
        assert!(ja4.starts_with("t13d0204h2_"), "{ja4}");
        let b = hash12("1301,c02b");
        let c = hash12("000d,002b_0403,0804");
        assert_eq!(ja4, format!("t13d0204h2_{b}_{c}"));
        // every strict prefix needs more bytes; a different first byte is not TLS
        for n in 0..rec.len() {
            assert_eq!(read_client_hello(&rec[..n]), Hello::NeedMore, "prefix {n}");
        }
        assert_eq!(read_client_hello(b"GET / HTTP/1.1\r\n"), Hello::NotTls);
    }

    /// The worked example of the JA4 specification (a Chrome hello): 15 ciphers, 16 extensions
    /// (with SNI and ALPN, left out of part c), ALPN h2, signature algorithms in offer order;
    /// GREASE values are ignored everywhere.
    #[test]
    fn ja4_of_the_specification_example() {
        let h = ClientHello {
            legacy_version: 0x0303,
            ciphers: vec![
                0x2a2a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c,
                0x009d, 0x002f, 0x0035,
            ],
            extensions: vec![
                0x0a0a, 0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b,
                0xff01, 0x000b, 0x000a, 0x0015, 0x1a1a,
            ],
            sni: Some("www.example.org".into()),
            alpn: vec!["h2".into(), "http/1.1".into()],
            versions: vec![0x7a7a, 0x0304, 0x0303],
            sig_algs: vec![0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601],
        };
        assert_eq!(h.ja4(false), "t13d1516h2_8daaf6152771_e5627efa2ab1");
        assert!(h.ja4(true).starts_with("q13d1516h2_"));
    }

    #[test]
    fn hello_split_over_two_records_and_hostile_lengths() {
        let rec = hello_record();
        let hs = &rec[5..];
        let (a, b) = hs.split_at(40);
        let mut two = Vec::new();
        for part in [a, b] {
            two.extend_from_slice(&[0x16, 3, 3]);
            two.extend_from_slice(&(part.len() as u16).to_be_bytes());
            two.extend_from_slice(part);
        }
        let Hello::Parsed(h) = read_client_hello(&two) else { panic!("not parsed") };
        assert_eq!(h.sni.as_deref(), Some("example.org"));
        // an extension length past the end
        let mut bad = rec.clone();
        let n = bad.len();
        bad[n - 7] = 0xff;
        assert!(matches!(read_client_hello(&bad), Hello::Malformed(_)), "{:?}", read_client_hello(&bad));
        // a record length of zero
        assert!(matches!(read_client_hello(&[0x16, 3, 1, 0, 0]), Hello::Malformed(_)));
        // a huge declared handshake length
        assert!(matches!(read_client_hello(&[0x16, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff]), Hello::Malformed(_)));
    }
}
