//! QUIC v1 Initial packets (RFC 9000/9001): the client's Initial is protected with keys every
//! observer can derive from the packet's Destination Connection ID and a public salt, so its
//! CRYPTO frames (the TLS ClientHello: SNI, ALPN, JA4) are readable from the wire.
//!
//! Steps: parse the long header, derive the client keys (HKDF-SHA256, written here over
//! `sha2`), remove header protection (AES-128 on a 16-byte sample), decrypt the payload with
//! AES-128-GCM and check its tag, then collect CRYPTO frame data by offset. Only version 1 is
//! read; everything is bounds-checked and capped at [`MAX_CRYPTO`] bytes per connection.

use aes::Aes128;
use aes::cipher::{BlockCipherEncrypt, KeyInit};
use sha2::{Digest, Sha256};

/// CRYPTO bytes collected per connection (a post-quantum ClientHello spans two Initials).
pub const MAX_CRYPTO: usize = 16 << 10;

const INITIAL_SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f,
    0x0a,
];

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
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

/// HKDF-Expand-Label of TLS 1.3 with an empty context, for outputs up to 32 bytes.
fn expand_label(secret: &[u8], label: &str, len: usize) -> Vec<u8> {
    let full = format!("tls13 {label}");
    let mut info = Vec::with_capacity(4 + full.len());
    info.extend_from_slice(&(len as u16).to_be_bytes());
    info.push(full.len() as u8);
    info.extend_from_slice(full.as_bytes());
    info.push(0);
    let t = hmac(secret, &[&info, &[1]]);
    t[..len.min(32)].to_vec()
}

/// The client's Initial keys for a Destination Connection ID: (key, iv, header-protection key).
pub fn client_keys(dcid: &[u8]) -> ([u8; 16], [u8; 12], [u8; 16]) {
    let initial = hmac(&INITIAL_SALT_V1, &[dcid]);
    let client = expand_label(&initial, "client in", 32);
    let mut key = [0u8; 16];
    let mut iv = [0u8; 12];
    let mut hp = [0u8; 16];
    key.copy_from_slice(&expand_label(&client, "quic key", 16));
    iv.copy_from_slice(&expand_label(&client, "quic iv", 12));
    hp.copy_from_slice(&expand_label(&client, "quic hp", 16));
    (key, iv, hp)
}

fn aes_block(cipher: &Aes128, input: &[u8; 16]) -> [u8; 16] {
    let mut b = aes::Block::from(*input);
    cipher.encrypt_block(&mut b);
    b.into()
}

/// GF(2^128) multiplication of GHASH.
fn gf_mul(x: u128, y: u128) -> u128 {
    let mut z = 0u128;
    let mut v = y;
    for i in 0..128 {
        if (x >> (127 - i)) & 1 == 1 {
            z ^= v;
        }
        v = if v & 1 == 1 { (v >> 1) ^ (0xe1 << 120) } else { v >> 1 };
    }
    z
}

fn ghash(h: u128, aad: &[u8], ct: &[u8]) -> u128 {
    let mut y = 0u128;
    for data in [aad, ct] {
        for chunk in data.chunks(16) {
            let mut b = [0u8; 16];
            b[..chunk.len()].copy_from_slice(chunk);
            y = gf_mul(y ^ u128::from_be_bytes(b), h);
        }
    }
    let lens = ((aad.len() as u128 * 8) << 64) | (ct.len() as u128 * 8);
    gf_mul(y ^ lens, h)
}

/// AES-128-GCM: encrypts or decrypts `data` in place (CTR mode) and returns the tag computed
/// over `aad` and the ciphertext (`ciphertext_in` says whether `data` holds the ciphertext).
pub fn gcm(key: &[u8; 16], nonce: &[u8; 12], aad: &[u8], data: &mut [u8], ciphertext_in: bool) -> [u8; 16] {
    let cipher = Aes128::new(&(*key).into());
    let h = u128::from_be_bytes(aes_block(&cipher, &[0u8; 16]));
    let mut j0 = [0u8; 16];
    j0[..12].copy_from_slice(nonce);
    j0[15] = 1;
    let tag_mask = aes_block(&cipher, &j0);
    let ghash_before = if ciphertext_in { Some(ghash(h, aad, data)) } else { None };
    for (i, chunk) in data.chunks_mut(16).enumerate() {
        let mut ctr = j0;
        let c = 2u32.wrapping_add(i as u32);
        ctr[12..].copy_from_slice(&c.to_be_bytes());
        let ks = aes_block(&cipher, &ctr);
        for (b, k) in chunk.iter_mut().zip(ks) {
            *b ^= k;
        }
    }
    let g = ghash_before.unwrap_or_else(|| ghash(h, aad, data));
    (g ^ u128::from_be_bytes(tag_mask)).to_be_bytes()
}

/// A QUIC variable-length integer.
fn varint(d: &[u8], at: &mut usize) -> Option<u64> {
    let first = *d.get(*at)?;
    let len = 1usize << (first >> 6);
    let bytes = d.get(*at..*at + len)?;
    let mut v = u64::from(first & 0x3f);
    for b in bytes.iter().skip(1) {
        v = (v << 8) | u64::from(*b);
    }
    *at += len;
    Some(v)
}

/// Whether a UDP payload looks like a QUIC v1 Initial (long header, type Initial, version 1).
pub fn is_initial(d: &[u8]) -> bool {
    d.len() >= 1200 - 64 && d.first().is_some_and(|b| b & 0xf0 == 0xc0) && d.get(1..5) == Some(&[0, 0, 0, 1])
}

/// The CRYPTO frames of a client Initial: `(offset, data)` each, or `None` when the packet is
/// not a decryptable v1 Initial (wrong tag, malformed header). Only the first packet of a
/// coalesced datagram is read.
pub fn initial_crypto(datagram: &[u8]) -> Option<Vec<(u64, Vec<u8>)>> {
    if !is_initial(datagram) {
        return None;
    }
    let mut at = 5;
    let dcid_len = usize::from(*datagram.get(at)?);
    if dcid_len > 20 {
        return None;
    }
    let dcid = datagram.get(at + 1..at + 1 + dcid_len)?;
    at += 1 + dcid_len;
    let scid_len = usize::from(*datagram.get(at)?);
    at += 1 + scid_len;
    let token_len = varint(datagram, &mut at)? as usize;
    at = at.checked_add(token_len)?;
    let length = varint(datagram, &mut at)? as usize;
    let pn_offset = at;
    let end = pn_offset.checked_add(length)?;
    if end > datagram.len() || length < 20 {
        return None;
    }
    let (key, iv, hp) = client_keys(dcid);
    let sample: [u8; 16] = datagram.get(pn_offset + 4..pn_offset + 20)?.try_into().ok()?;
    let hp_cipher = Aes128::new(&hp.into());
    let mask = aes_block(&hp_cipher, &sample);
    let mut header = datagram.get(..pn_offset + 4)?.to_vec();
    header[0] ^= mask[0] & 0x0f;
    let pn_len = usize::from(header[0] & 0x03) + 1;
    let mut pn: u64 = 0;
    for i in 0..pn_len {
        let b = header.get_mut(pn_offset + i)?;
        *b ^= mask[1 + i];
        pn = (pn << 8) | u64::from(*b);
    }
    header.truncate(pn_offset + pn_len);
    let payload_start = pn_offset + pn_len;
    let body = datagram.get(payload_start..end)?;
    let (ct, tag) = body.split_at(body.len().checked_sub(16)?);
    let mut nonce = iv;
    for (i, b) in pn.to_be_bytes().iter().enumerate() {
        nonce[4 + i] ^= b;
    }
    let mut plain = ct.to_vec();
    let computed = gcm(&key, &nonce, &header, &mut plain, true);
    if computed.as_slice() != tag {
        return None;
    }
    parse_frames(&plain)
}

/// The CRYPTO frames of a decrypted Initial payload (PADDING, PING and ACK skipped; reading
/// stops at any other frame type). `None` when a frame is cut short.
pub fn parse_frames(plain: &[u8]) -> Option<Vec<(u64, Vec<u8>)>> {
    let mut frames = Vec::new();
    let mut i = 0;
    while i < plain.len() {
        match plain[i] {
            0x00 | 0x01 => i += 1,
            0x02 | 0x03 => {
                let ecn = plain[i] == 0x03;
                i += 1;
                varint(plain, &mut i)?; // largest acknowledged
                varint(plain, &mut i)?; // delay
                let ranges = varint(plain, &mut i)?;
                varint(plain, &mut i)?; // first range
                for _ in 0..ranges.min(1024) {
                    varint(plain, &mut i)?;
                    varint(plain, &mut i)?;
                }
                if ecn {
                    for _ in 0..3 {
                        varint(plain, &mut i)?;
                    }
                }
            }
            0x06 => {
                i += 1;
                let off = varint(plain, &mut i)?;
                let len = varint(plain, &mut i)? as usize;
                let data = plain.get(i..i.checked_add(len)?)?;
                frames.push((off, data.to_vec()));
                i += len;
            }
            0x1c => break, // CONNECTION_CLOSE: nothing more of interest
            _ => break,    // frames not allowed in Initial packets: stop reading
        }
    }
    Some(frames)
}

/// CRYPTO data of one connection, put together by offset (bounded).
#[derive(Debug, Default)]
pub struct CryptoStream {
    buf: Vec<u8>,
    pending: Vec<(u64, Vec<u8>)>,
}

impl CryptoStream {
    /// Adds frames; returns the contiguous bytes from offset 0 so far.
    pub fn add(&mut self, frames: Vec<(u64, Vec<u8>)>) -> &[u8] {
        self.pending.extend(frames.into_iter().filter(|(o, _)| (*o as usize) < MAX_CRYPTO).take(32));
        self.pending.truncate(64);
        loop {
            let end = self.buf.len() as u64;
            let Some(pos) = self.pending.iter().position(|(o, d)| *o <= end && *o + d.len() as u64 > end) else {
                break;
            };
            let (o, d) = self.pending.swap_remove(pos);
            let skip = (end - o) as usize;
            let room = MAX_CRYPTO - self.buf.len();
            let new = d.get(skip..).unwrap_or_default();
            self.buf.extend_from_slice(new.get(..new.len().min(room)).unwrap_or_default());
        }
        self.pending.retain(|(o, d)| *o + d.len() as u64 > self.buf.len() as u64);
        &self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9001, Appendix A.1: keys of the Destination Connection ID 0x8394c8f03e515708.
    #[test]
    fn rfc9001_client_initial_keys() {
        let (key, iv, hp) = client_keys(&[0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08]);
        assert_eq!(hex::encode(key), "1f369613dd76d5467730efcbe3b1a22d");
        assert_eq!(hex::encode(iv), "fa044b2f42a3fd3b46fb255c");
        assert_eq!(hex::encode(hp), "9f50449e04a0e810283a1e9933adedd2");
    }

    /// GCM against a NIST test vector (AES-128, 96-bit IV, no AAD, one block: test case 2 of
    /// the GCM specification).
    #[test]
    fn gcm_test_vector() {
        let mut data = [0u8; 16];
        let tag = gcm(&[0; 16], &[0; 12], &[], &mut data, false);
        assert_eq!(hex::encode(data), "0388dace60b6a392f328c2b971b2fe78");
        assert_eq!(hex::encode(tag), "ab6e47d42cec13bdf53a67b21257bddf");
        // and back
        let tag2 = gcm(&[0; 16], &[0; 12], &[], &mut data, true);
        assert_eq!(data, [0u8; 16]);
        assert_eq!(tag, tag2);
    }

    #[test]
    fn crypto_stream_reorders_and_bounds() {
        let mut s = CryptoStream::default();
        assert!(s.add(vec![(3, b"def".to_vec())]).is_empty());
        assert_eq!(s.add(vec![(0, b"abc".to_vec()), (1, b"bc".to_vec())]), b"abcdef");
        assert_eq!(s.add(vec![(MAX_CRYPTO as u64 + 5, b"x".to_vec())]), b"abcdef");
    }
}
