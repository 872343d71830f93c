//! Bounded line reading and small text helpers shared by the parsers.
//!
//! Android text artifacts (dumpstate, logcat) can hold multi-gigabyte "lines" (a binary blob
//! dumped without newlines). [`CappedLines`] reads line by line with a per-line cap: the first
//! `cap` bytes are kept, the rest of the line is skipped without being buffered.

use std::io::{BufRead, Read};

use jiff::Timestamp;

/// A line reader with a per-line length cap.
pub struct CappedLines<R> {
    inner: R,
    cap: usize,
    buf: Vec<u8>,
    truncated: u64,
    line_no: u64,
}

impl<R: BufRead> CappedLines<R> {
    /// Reads `inner`, keeping at most `cap` bytes of each line.
    pub fn new(inner: R, cap: usize) -> Self {
        Self { inner, cap, buf: Vec::new(), truncated: 0, line_no: 0 }
    }

    /// Number of lines that were longer than the cap.
    pub fn truncated(&self) -> u64 {
        self.truncated
    }

    /// 1-based number of the line last returned.
    pub fn line_no(&self) -> u64 {
        self.line_no
    }

    /// The next line without its `\n` / `\r\n`, or `None` at end of input.
    pub fn next_line(&mut self) -> std::io::Result<Option<&[u8]>> {
        self.buf.clear();
        let mut any = false;
        let mut over = false;
        loop {
            let avail = match self.inner.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                break;
            }
            any = true;
            let (chunk, used, done) = match memchr::memchr(b'\n', avail) {
                Some(i) => (&avail[..i], i + 1, true),
                None => (avail, avail.len(), false),
            };
            let room = self.cap.saturating_sub(self.buf.len());
            if chunk.len() > room {
                over = true;
            }
            self.buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
            self.inner.consume(used);
            if done {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        if over {
            self.truncated += 1;
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        self.line_no += 1;
        Ok(Some(&self.buf))
    }
}

impl<R: BufRead> CappedLines<R> {
    /// [`Self::next_line`] with the line's 1-based number and whether it was longer than the
    /// cap (then only its first `cap` bytes are returned).
    pub fn next_line_info(&mut self) -> std::io::Result<Option<(&[u8], u64, bool)>> {
        let before = self.truncated;
        if self.next_line()?.is_none() {
            return Ok(None);
        }
        Ok(Some((&self.buf, self.line_no, self.truncated != before)))
    }
}

/// Wraps any reader in a large buffer and a [`CappedLines`].
pub fn capped_lines<'a>(r: impl Read + 'a, cap: usize) -> CappedLines<std::io::BufReader<Box<dyn Read + 'a>>> {
    let boxed: Box<dyn Read + 'a> = Box::new(r);
    CappedLines::new(std::io::BufReader::with_capacity(1 << 20, boxed), cap)
}

/// Lossy UTF-8.
pub fn lossy(b: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(b)
}

/// Parses a device wall-clock time `YYYY-MM-DD HH:MM:SS[.fff]` (kept as written, labelled UTC,
/// as MVT does for dumpsys times).
pub fn parse_wallclock(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(dt) = jiff::civil::DateTime::strptime(fmt, s) {
            return dt.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp());
        }
    }
    None
}

/// Number of leading spaces.
pub fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// The value after `key=` in a space-separated `a=1 b=2` line.
pub fn kv<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let mut start = 0;
    while let Some(pos) = line[start..].find(key) {
        let at = start + pos;
        let before_ok = at == 0 || line.as_bytes().get(at - 1).is_some_and(|b| *b == b' ' || *b == b',' || *b == b'{');
        let after = at + key.len();
        if before_ok && line.as_bytes().get(after) == Some(&b'=') {
            let rest = &line[after + 1..];
            let end = rest.find([' ', ',', '}']).unwrap_or(rest.len());
            return Some(&rest[..end]);
        }
        start = after;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_long_lines_and_handles_crlf() {
        let mut data = b"short\r\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', 100_000));
        data.extend_from_slice(b"\nlast");
        let mut r = CappedLines::new(std::io::BufReader::with_capacity(64, &data[..]), 10);
        assert_eq!(r.next_line().expect("io"), Some(&b"short"[..]));
        assert_eq!(r.next_line().expect("io"), Some(&b"xxxxxxxxxx"[..]));
        assert_eq!(r.next_line().expect("io"), Some(&b"last"[..]));
        assert_eq!(r.next_line().expect("io"), None);
        assert_eq!(r.truncated(), 1);
        let mut e = CappedLines::new(&b""[..], 10);
        assert_eq!(e.next_line().expect("io"), None);
    }

    #[test]
    fn helpers() {
        assert_eq!(kv("userId=10123 gids=[1]", "userId"), Some("10123"));
        assert_eq!(kv("xuserId=1 userId=2", "userId"), Some("2"));
        assert_eq!(kv("nothing", "userId"), None);
        assert!(parse_wallclock("2024-01-02 03:04:05").is_some());
        assert!(parse_wallclock("garbage").is_none());
        assert_eq!(indent("    x"), 4);
    }
}
