//! Plain text out of Apple's legacy `typedstream` (`NSArchiver`) encoding, as used by the
//! `attributedBody` column of iOS `sms.db` (iOS 16+ often leaves `message.text` NULL and keeps the
//! message only here, as an archived `NSAttributedString`).
//!
//! # Format facts (learned from public descriptions of `typedstream.h` / `archive.c`, and checked
//! against the layout `sms.db` uses)
//!
//! * Header: one byte, the stream version (`4` in every iOS/macOS sample), then the signature as a
//!   length-prefixed string: `0x0B "streamtyped"` (little-endian stream; a big-endian stream would
//!   say `"typedstream"`, never seen on iOS), then the system version as an integer
//!   (`0x81 0xE8 0x03` = 1000).
//! * Integers: one signed byte, unless it is a tag: `0x81` → an `i16` follows (little-endian),
//!   `0x82` → an `i32` follows, `0x83` → a float/double follows. Bytes `0x84` (*new*: a new object,
//!   class or shared string follows), `0x85` (*nil*), `0x86` (*end of object*) are tags; bytes
//!   `>= 0x92` are back-references to the n-th shared item (`byte - 0x92`).
//! * An object is `0x84` + its class chain: each class is `0x84` + class name as a *shared
//!   string* (`0x84 <len> <bytes>`) + class version integer, then the superclass (another class,
//!   a back-reference, or `0x85` for the root).
//! * An `NSAttributedString` archive starts with the object of class `NSAttributedString`
//!   (superclass `NSObject`), whose first member is an `NSString` (or `NSMutableString`) object
//!   encoded with the type string `"+"` (`0x84 0x01 0x2B`, a new shared string of length 1)
//!   followed by the length integer and the UTF-8 bytes of the text. Attribute runs
//!   (`NSDictionary`, `__kIMMessagePartAttributeName`, ...) follow; they are not needed for text.
//!
//! # What this decoder does
//! It validates the header, finds the first `NSString`/`NSMutableString` class definition, then the
//! `"+"` type string within a short window after it, reads the length integer and returns the text
//! (invalid UTF-8 is replaced, never rejected). It never indexes out of bounds, never allocates more
//! than the input length, and never loops more than the input length: any byte string is safe to
//! feed it.

use std::borrow::Cow;

/// Largest input accepted (bytes). `attributedBody` blobs are a few KiB; a bound keeps hostile
/// values from costing time.
pub const MAX_INPUT: usize = 16 * 1024 * 1024;

/// How far after the class name the `"+"` type string may appear (class version, superclass
/// reference or chain, and the type tag fit comfortably).
const TYPE_WINDOW: usize = 64;

const TAG_I16: u8 = 0x81;
const TAG_I32: u8 = 0x82;
const TAG_NEW: u8 = 0x84;

/// Why a blob is not a decodable `typedstream` string. Every variant says where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TypedStreamError {
    /// The input is empty.
    #[error("typedstream: empty input")]
    Empty,
    /// The input is larger than [`MAX_INPUT`].
    #[error("typedstream: input of {0} bytes exceeds the {MAX_INPUT}-byte limit")]
    TooLarge(usize),
    /// The header (version byte + `streamtyped` signature) is missing or wrong.
    #[error("typedstream: bad header at offset {offset}: {reason}")]
    BadHeader {
        /// Byte offset.
        offset: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// No `NSString`/`NSMutableString` object with a `"+"` string value was found.
    #[error("typedstream: no NSString value found")]
    NoString,
    /// The data ends inside a value.
    #[error("typedstream: truncated at offset {offset} (needed {needed} more bytes)")]
    Truncated {
        /// Byte offset where the value starts.
        offset: usize,
        /// Bytes missing.
        needed: usize,
    },
    /// A length integer is negative.
    #[error("typedstream: invalid string length {length} at offset {offset}")]
    BadLength {
        /// Byte offset of the length.
        offset: usize,
        /// The value read.
        length: i64,
    },
}

/// A bounds-checked reader over a byte slice.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, TypedStreamError> {
        let b = *self.data.get(self.pos).ok_or(TypedStreamError::Truncated { offset: self.pos, needed: 1 })?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], TypedStreamError> {
        let end = self.pos.checked_add(n).ok_or(TypedStreamError::Truncated { offset: self.pos, needed: n })?;
        let have = self.data.len().saturating_sub(self.pos);
        let s = self
            .data
            .get(self.pos..end)
            .ok_or(TypedStreamError::Truncated { offset: self.pos, needed: n.saturating_sub(have) })?;
        self.pos = end;
        Ok(s)
    }

    /// A typedstream integer: a signed byte, or a tag announcing a wider little-endian value.
    fn int(&mut self) -> Result<i64, TypedStreamError> {
        match self.byte()? {
            TAG_I16 => {
                let b = self.take(2)?;
                Ok(i64::from(i16::from_le_bytes([b[0], b[1]])))
            }
            TAG_I32 => {
                let b = self.take(4)?;
                Ok(i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])))
            }
            b => Ok(i64::from(b as i8)),
        }
    }
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from >= hay.len() {
        return None;
    }
    hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

/// Checks the stream header and returns the offset just after it.
fn header(data: &[u8]) -> Result<usize, TypedStreamError> {
    let mut r = Reader { data, pos: 0 };
    let version = r.byte()?;
    if !(3..=4).contains(&version) {
        return Err(TypedStreamError::BadHeader { offset: 0, reason: "unsupported stream version" });
    }
    let len = r.byte()?;
    let sig = r
        .take(usize::from(len))
        .map_err(|_| TypedStreamError::BadHeader { offset: 1, reason: "truncated signature" })?;
    if sig != b"streamtyped" {
        return Err(TypedStreamError::BadHeader { offset: 2, reason: "signature is not \"streamtyped\"" });
    }
    r.int()?; // system version
    Ok(r.pos)
}

/// Extracts the text of an archived `NSAttributedString` / `NSString` (e.g. `sms.db`
/// `message.attributedBody`). Invalid UTF-8 is replaced with U+FFFD.
pub fn decode_text(data: &[u8]) -> Result<String, TypedStreamError> {
    decode_text_cow(data).map(Cow::into_owned)
}

/// As [`decode_text`], borrowing from `data` when the text is valid UTF-8.
pub fn decode_text_cow(data: &[u8]) -> Result<Cow<'_, str>, TypedStreamError> {
    if data.is_empty() {
        return Err(TypedStreamError::Empty);
    }
    if data.len() > MAX_INPUT {
        return Err(TypedStreamError::TooLarge(data.len()));
    }
    let start = header(data)?;
    // Try each NSString-like class definition in order; the first with a "+" value wins.
    let mut search = start;
    loop {
        let a = find(data, b"\x08NSString", search);
        let b = find(data, b"\x0FNSMutableString", search);
        let (name_at, name_len) = match (a, b) {
            (Some(x), Some(y)) if y < x => (y, 16),
            (Some(x), _) => (x, 9),
            (None, Some(y)) => (y, 16),
            (None, None) => return Err(TypedStreamError::NoString),
        };
        let after = name_at + name_len;
        let window_end = after.saturating_add(TYPE_WINDOW).min(data.len());
        let window = data.get(after..window_end).unwrap_or_default();
        if let Some(p) = window.windows(3).position(|w| w == [TAG_NEW, 0x01, b'+']) {
            let mut r = Reader { data, pos: after + p + 3 };
            let len_at = r.pos;
            let len = r.int()?;
            let n = usize::try_from(len).map_err(|_| TypedStreamError::BadLength { offset: len_at, length: len })?;
            let bytes = r.take(n)?;
            return Ok(String::from_utf8_lossy(bytes));
        }
        search = after;
    }
}

/// Encodes `text` as a minimal archived `NSAttributedString` in the layout iOS writes to
/// `sms.db` (header, `NSAttributedString` → `NSObject` class chain, `NSString` value, one empty
/// attribute run). For test-data generators and tests; the decoder above reads it back.
pub fn encode_attributed_string(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 96);
    out.push(4);
    out.push(11);
    out.extend_from_slice(b"streamtyped");
    out.extend_from_slice(&[TAG_I16, 0xE8, 0x03]);
    // object of class NSAttributedString : NSObject
    out.extend_from_slice(&[TAG_NEW, 0x01, b'@']);
    out.extend_from_slice(&[TAG_NEW, TAG_NEW, TAG_NEW, 18]);
    out.extend_from_slice(b"NSAttributedString");
    out.push(0);
    out.extend_from_slice(&[TAG_NEW, TAG_NEW, 8]);
    out.extend_from_slice(b"NSObject");
    out.push(0);
    out.push(0x85);
    // member: NSString : NSObject (back-reference), type "+", length, bytes
    out.push(0x92);
    out.extend_from_slice(&[TAG_NEW, TAG_NEW, TAG_NEW, 8]);
    out.extend_from_slice(b"NSString");
    out.extend_from_slice(&[1, 0x94]);
    out.extend_from_slice(&[TAG_NEW, 0x01, b'+']);
    let n = text.len();
    if n < 0x80 {
        out.push(n as u8);
    } else if let Ok(v) = i16::try_from(n) {
        out.push(TAG_I16);
        out.extend_from_slice(&v.to_le_bytes());
    } else {
        out.push(TAG_I32);
        out.extend_from_slice(&i32::try_from(n).unwrap_or(i32::MAX).to_le_bytes());
    }
    out.extend_from_slice(text.as_bytes());
    out.push(0x86);
    // attribute run: "iI" one run covering the text, then end
    out.extend_from_slice(&[TAG_NEW, 0x02, b'i', b'I', 0x01]);
    out.push(0x86);
    out.push(0x86);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_short_and_long() {
        for t in ["", "hello", "Visit https://a.example/x now", &"ü".repeat(200), &"x".repeat(40_000)] {
            let blob = encode_attributed_string(t);
            assert_eq!(decode_text(&blob).expect("decodes"), t);
        }
    }

    #[test]
    fn mutable_string_and_invalid_utf8() {
        let mut blob = encode_attributed_string("abc");
        let at = find(&blob, b"\x08NSString", 0).expect("present");
        blob.splice(at..at + 9, b"\x0FNSMutableString".iter().copied());
        assert_eq!(decode_text(&blob).expect("decodes"), "abc");
        let mut bad = encode_attributed_string("abcd");
        let p = find(&bad, b"abcd", 20).expect("text");
        bad[p + 1] = 0xFF;
        assert_eq!(decode_text(&bad).expect("lossy"), "a\u{FFFD}cd");
    }

    #[test]
    fn errors() {
        assert_eq!(decode_text(b""), Err(TypedStreamError::Empty));
        assert!(matches!(decode_text(b"\x04\x0bstreamtypo"), Err(TypedStreamError::BadHeader { .. })));
        assert!(matches!(decode_text(b"bplist00"), Err(TypedStreamError::BadHeader { .. })));
        assert!(matches!(decode_text(b"\x04\x0bstreamtyped\x81\xe8\x03"), Err(TypedStreamError::NoString)));
        let blob = encode_attributed_string("a long enough text");
        let p = find(&blob, b"a long", 0).expect("text");
        assert!(matches!(decode_text(&blob[..p + 3]), Err(TypedStreamError::Truncated { .. })));
        // negative length
        let mut neg = encode_attributed_string("abc");
        let p = find(&neg, b"abc", 20).expect("text");
        neg[p - 1] = 0xF0;
        assert!(matches!(decode_text(&neg), Err(TypedStreamError::BadLength { .. })));
        // huge i32 length
        let mut huge = encode_attributed_string("abc");
        let p = find(&huge, b"abc", 20).expect("text");
        huge.splice(p - 1..p, [TAG_I32, 0xFF, 0xFF, 0xFF, 0x7F]);
        assert!(matches!(decode_text(&huge), Err(TypedStreamError::Truncated { .. })));
    }

    #[test]
    fn never_panics_on_mutations() {
        // Deterministic xorshift mutation fuzzing around a valid blob and pure noise.
        let base = encode_attributed_string("fuzz me https://x.example/a");
        let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let mut seen = [false; 5];
        check(&base, &mut seen);
        assert_eq!(decode_text(&base).as_deref(), Ok("fuzz me https://x.example/a"));
        for i in 0..20_000 {
            let mut b = base.clone();
            let flips = (next() % 6) as usize + 1;
            for _ in 0..flips {
                let at = (next() as usize) % b.len();
                b[at] = next() as u8;
            }
            if i % 3 == 0 {
                let cut = (next() as usize) % (b.len() + 1);
                b.truncate(cut);
            }
            check(&b, &mut seen);
            let noise: Vec<u8> = (0..(next() % 64)).map(|_| next() as u8).collect();
            check(&noise, &mut seen);
        }
        // the mutations reach every outcome: text, and each kind of refusal
        assert_eq!(seen, [true; 5], "text, bad header, no string, truncated, bad length");
    }

    /// Classifies one outcome (`seen[k]`: text, bad header, no string, truncated, bad length)
    /// and checks what holds for any input: the same input gives the same outcome; only
    /// stream versions 3 and 4 are read (anything else is refused at offset 0); decoded text is
    /// a slice of the input (its bytes are there, unless replaced as invalid UTF-8) and has at
    /// most one character per input byte; a refusal points inside the input.
    fn check(b: &[u8], seen: &mut [bool; 5]) {
        let r = decode_text(b);
        assert_eq!(r, decode_text(b), "same input, same outcome");
        if !b.is_empty() && !matches!(b[0], 3 | 4) {
            assert_eq!(r, Err(TypedStreamError::BadHeader { offset: 0, reason: "unsupported stream version" }));
        }
        match r {
            Ok(text) => {
                seen[0] = true;
                assert!(text.chars().count() <= b.len(), "{text:?} from {} bytes", b.len());
                if !text.is_empty() && !text.contains('\u{fffd}') {
                    assert!(find(b, text.as_bytes(), 0).is_some(), "{text:?} is not in the input");
                }
            }
            Err(TypedStreamError::BadHeader { offset, .. }) => {
                seen[1] = true;
                assert!(offset <= 2, "{offset}");
            }
            Err(TypedStreamError::NoString) => seen[2] = true,
            Err(TypedStreamError::Truncated { offset, needed }) => {
                seen[3] = true;
                assert!(offset <= b.len() && needed > 0, "{offset} {needed} of {}", b.len());
            }
            Err(TypedStreamError::BadLength { offset, length }) => {
                seen[4] = true;
                assert!(offset < b.len() && length < 0, "{offset} {length}");
            }
            Err(TypedStreamError::Empty) => assert!(b.is_empty()),
            Err(e) => panic!("unexpected refusal for {} bytes: {e}", b.len()),
        }
    }
}
