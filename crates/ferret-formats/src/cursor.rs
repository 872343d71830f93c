//! A bounds-checked byte cursor for binary and TLV formats.
//!
//! Every read names what it reads, so a truncated input yields
//! [`FormatError::Truncated`] with the label, the offset, the bytes needed and the bytes left,
//! instead of a panic.

use crate::FormatError;

/// A read position over a byte slice. Reads never panic.
#[derive(Debug, Clone)]
pub struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

macro_rules! int_reads {
    ($($be:ident, $le:ident, $t:ty, $n:expr;)*) => {$(
        #[doc = concat!("Reads a big-endian `", stringify!($t), "`.")]
        pub fn $be(&mut self, what: &'static str) -> Result<$t, FormatError> {
            Ok(<$t>::from_be_bytes(self.array::<$n>(what)?))
        }
        #[doc = concat!("Reads a little-endian `", stringify!($t), "`.")]
        pub fn $le(&mut self, what: &'static str) -> Result<$t, FormatError> {
            Ok(<$t>::from_le_bytes(self.array::<$n>(what)?))
        }
    )*};
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    /// Current offset from the start.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// No bytes left.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The unread rest, without consuming it.
    pub fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or(&[])
    }

    fn truncated(&self, what: &'static str, need: usize) -> FormatError {
        FormatError::Truncated { what, offset: self.pos, need, have: self.remaining() }
    }

    /// Takes the next `n` bytes.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], FormatError> {
        let end = self.pos.checked_add(n).ok_or_else(|| self.truncated(what, n))?;
        let out = self.data.get(self.pos..end).ok_or_else(|| self.truncated(what, n))?;
        self.pos = end;
        Ok(out)
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize, what: &'static str) -> Result<(), FormatError> {
        self.take(n, what).map(|_| ())
    }

    /// Looks at the next `n` bytes without consuming them.
    pub fn peek(&self, n: usize, what: &'static str) -> Result<&'a [u8], FormatError> {
        self.clone().take(n, what)
    }

    /// Moves to an absolute offset (at most the end).
    pub fn seek(&mut self, offset: usize, what: &'static str) -> Result<(), FormatError> {
        if offset > self.data.len() {
            return Err(FormatError::Truncated { what, offset, need: offset - self.data.len(), have: 0 });
        }
        self.pos = offset;
        Ok(())
    }

    /// Reads a fixed-size array.
    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], FormatError> {
        let s = self.take(N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// Reads one byte.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, FormatError> {
        Ok(self.array::<1>(what)?[0])
    }

    int_reads! {
        u16_be, u16_le, u16, 2;
        u32_be, u32_le, u32, 4;
        u64_be, u64_le, u64, 8;
        i32_be, i32_le, i32, 4;
        i64_be, i64_le, i64, 8;
    }

    /// Reads a little-endian base-128 varint (protobuf, at most 10 bytes); the position does not
    /// move when it fails.
    pub fn varint(&mut self, what: &'static str) -> Result<u64, FormatError> {
        let start = self.pos;
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = match self.u8(what) {
                Ok(b) => b,
                Err(e) => {
                    self.pos = start;
                    return Err(e);
                }
            };
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        self.pos = start;
        Err(FormatError::Invalid { what, offset: start, reason: "varint longer than 10 bytes".into() })
    }

    /// Reads a big-endian unsigned integer of `width` bytes (1..=8), as in binary plists.
    pub fn uint_be(&mut self, width: usize, what: &'static str) -> Result<u64, FormatError> {
        if width == 0 || width > 8 {
            return Err(FormatError::Invalid { what, offset: self.pos, reason: format!("integer width {width}") });
        }
        let s = self.take(width, what)?;
        Ok(s.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        let mut c = Cursor::new(&[0x96, 0x01, 0x00, 0xff]);
        assert_eq!(c.varint("a").expect("150"), 150);
        assert_eq!(c.varint("b").expect("0"), 0);
        let e = c.varint("c").expect_err("truncated");
        assert!(matches!(e, FormatError::Truncated { what: "c", offset: 4, .. }), "{e:?}");
        assert_eq!(c.position(), 3, "a failed read does not move");
        let mut c = Cursor::new(&[0xff; 11]);
        assert!(matches!(c.varint("d"), Err(FormatError::Invalid { offset: 0, .. })));
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(Cursor::new(&max).varint("max").expect("u64::MAX"), u64::MAX);
    }

    #[test]
    fn reads_and_truncation() {
        let mut c = Cursor::new(&[0, 0, 0, 5, 1, 2, 3]);
        assert_eq!(c.u32_be("len").expect("len"), 5);
        assert_eq!(c.take(2, "body").expect("body"), &[1, 2]);
        let err = c.take(5, "value").expect_err("short");
        assert_eq!(err, FormatError::Truncated { what: "value", offset: 6, need: 5, have: 1 });
        assert_eq!(c.position(), 6, "a failed read does not move");
        assert_eq!(c.u8("last").expect("u8"), 3);
        assert!(c.is_empty());
        assert!(c.u16_le("x").is_err());
        assert!(c.take(usize::MAX, "huge").is_err());
        assert!(c.seek(100, "seek").is_err());
        c.seek(1, "seek").expect("seek");
        assert_eq!(c.uint_be(3, "int").expect("int"), 5);
        assert!(c.uint_be(9, "int").is_err());
        let mut le = Cursor::new(&[1, 0, 0, 0]);
        assert_eq!(le.u32_le("class").expect("le"), 1);
    }
}
