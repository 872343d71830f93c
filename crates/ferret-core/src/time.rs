//! Timestamps as phones store them, and as ferret writes them.
//!
//! Every conversion returns `None` for values that are out of range or not finite: evidence is
//! hostile and a garbage epoch must never panic. Result files render times in UTC as
//! `YYYY-MM-DD HH:MM:SS.ffffff` (MVT's `isodate` form); [`serde_ts`] and [`serde_opt_ts`] do that
//! for record fields.

use jiff::{SignedDuration, Timestamp};

/// Seconds between 1970-01-01 and 2001-01-01 (the Mac absolute time / Cocoa epoch).
pub const MAC_EPOCH_OFFSET: i64 = 978_307_200;
/// Microseconds between 1601-01-01 and 1970-01-01 (the WebKit / Chrome / Windows epoch).
pub const WEBKIT_EPOCH_OFFSET_US: i64 = 11_644_473_600_000_000;

/// Unix seconds (integer).
pub fn from_unix(secs: i64) -> Option<Timestamp> {
    Timestamp::from_second(secs).ok()
}

/// Unix seconds with a fraction.
pub fn from_unix_f64(secs: f64) -> Option<Timestamp> {
    if !secs.is_finite() {
        return None;
    }
    let d = SignedDuration::try_from_secs_f64(secs).ok()?;
    Timestamp::UNIX_EPOCH.checked_add(d).ok()
}

/// Unix milliseconds (Android).
pub fn from_unix_ms(ms: i64) -> Option<Timestamp> {
    Timestamp::from_millisecond(ms).ok()
}

/// Unix microseconds.
pub fn from_unix_us(us: i64) -> Option<Timestamp> {
    Timestamp::from_microsecond(us).ok()
}

/// Unix nanoseconds.
pub fn from_unix_ns(ns: i128) -> Option<Timestamp> {
    Timestamp::from_nanosecond(ns).ok()
}

/// Mac absolute time: seconds since 2001-01-01 UTC, possibly fractional.
pub fn from_mac_absolute(secs: f64) -> Option<Timestamp> {
    if !secs.is_finite() {
        return None;
    }
    let d = SignedDuration::try_from_secs_f64(secs).ok()?;
    Timestamp::from_second(MAC_EPOCH_OFFSET).ok()?.checked_add(d).ok()
}

/// Mac absolute time stored as an integer that may be seconds or nanoseconds (iOS 11+ `sms.db`
/// stores nanoseconds). Values whose magnitude exceeds 10^11 are taken as nanoseconds.
pub fn from_mac_absolute_auto(value: i64) -> Option<Timestamp> {
    if value.unsigned_abs() > 100_000_000_000 {
        let ns = i128::from(MAC_EPOCH_OFFSET) * 1_000_000_000 + i128::from(value);
        from_unix_ns(ns)
    } else {
        from_unix(value.checked_add(MAC_EPOCH_OFFSET)?)
    }
}

/// WebKit / Chrome time: microseconds since 1601-01-01 UTC.
pub fn from_webkit(us: i64) -> Option<Timestamp> {
    from_unix_us(us.checked_sub(WEBKIT_EPOCH_OFFSET_US)?)
}

/// To Mac absolute seconds (used by generators and tests).
pub fn to_mac_absolute(ts: Timestamp) -> f64 {
    ts.as_duration().as_secs_f64() - MAC_EPOCH_OFFSET as f64
}

/// To WebKit microseconds.
pub fn to_webkit(ts: Timestamp) -> i64 {
    ts.as_microsecond() + WEBKIT_EPOCH_OFFSET_US
}

/// MVT's `isodate` form, in UTC, microsecond precision: `2025-01-31 10:11:12.000000`.
pub fn format(ts: Timestamp) -> String {
    let mut s = String::with_capacity(26);
    format_into(ts, ' ', &mut s);
    s
}

/// Appends `ts` in UTC as `YYYY-MM-DD<sep>HH:MM:SS.ffffff` (microseconds truncated): [`format()`]
/// with `' '`, RFC 3339 without offset with `'T'`.
///
/// Hot path (every timestamp of every record and timeline event): computed directly from the
/// Unix seconds for years 0-9999, `strftime` otherwise.
pub fn format_into(ts: Timestamp, sep: char, out: &mut String) {
    match u8::try_from(sep).ok().filter(u8::is_ascii).and_then(|sep| digits(ts, sep)) {
        Some(b) => out.push_str(ascii(&b)),
        None => {
            let fmt = "%Y-%m-%d %H:%M:%S%.6f";
            let text = ts.strftime(fmt).to_string();
            let (date, time) = text.split_once(' ').unwrap_or((&text, ""));
            out.push_str(date);
            out.push(sep);
            out.push_str(time);
        }
    }
}

/// Calls `f` with `ts` as [`format()`] writes it, built on the stack for years 0-9999 (the
/// serialisers of every record's timestamps use it: no allocation per timestamp).
pub fn with_formatted<R>(ts: Timestamp, f: impl FnOnce(&str) -> R) -> R {
    match digits(ts, b' ') {
        Some(b) => f(ascii(&b)),
        None => f(&format(ts)),
    }
}

/// The ASCII bytes [`digits`] wrote, as text.
fn ascii(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or_default()
}

/// `ts` as `YYYY-MM-DD<sep>HH:MM:SS.ffffff` in a fixed buffer, for years 0-9999 (`None`
/// otherwise). Digits are written straight into the buffer: `write!` with padding was a tenth
/// of a 1M-record check's CPU time.
fn digits(ts: Timestamp, sep: u8) -> Option<[u8; 26]> {
    let mut secs = ts.as_second();
    let mut nanos = ts.subsec_nanosecond();
    if nanos < 0 {
        secs -= 1;
        nanos += 1_000_000_000;
    }
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    if !(0..=9999).contains(&y) {
        return None;
    }
    let sod = secs.rem_euclid(86_400);
    let mut b = *b"0000-00-00 00:00:00.000000";
    let mut put = |at: usize, width: usize, mut v: u64| {
        for i in (at..at + width).rev() {
            if let Some(c) = b.get_mut(i) {
                *c = b'0' + (v % 10) as u8;
            }
            v /= 10;
        }
    };
    // in range: y in 0..=9999, the rest bounded by construction
    put(0, 4, y.unsigned_abs());
    put(5, 2, u64::from(m));
    put(8, 2, u64::from(d));
    put(11, 2, sod.unsigned_abs() / 3600);
    put(14, 2, (sod.unsigned_abs() / 60) % 60);
    put(17, 2, sod.unsigned_abs() % 60);
    put(20, 6, nanos.unsigned_abs() as u64 / 1000);
    if let Some(c) = b.get_mut(10) {
        *c = sep;
    }
    Some(b)
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Parses [`format()`]'s output (and RFC 3339 as a fallback).
pub fn parse(s: &str) -> Option<Timestamp> {
    if let Ok(dt) = jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S%.f", s) {
        return dt.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp());
    }
    if let Ok(dt) = jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", s) {
        return dt.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp());
    }
    s.parse::<Timestamp>().ok()
}

/// Serde helpers for a required timestamp field in the `isodate` form.
pub mod serde_ts {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes as `YYYY-MM-DD HH:MM:SS.ffffff`.
    pub fn serialize<S: Serializer>(ts: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        super::with_formatted(*ts, |t| s.serialize_str(t))
    }

    /// Parses the `isodate` form or RFC 3339.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let s = String::deserialize(d)?;
        super::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("bad timestamp {s:?}")))
    }
}

/// Serde helpers for an optional timestamp field (`null` when absent).
pub mod serde_opt_ts {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes as `YYYY-MM-DD HH:MM:SS.ffffff` or `null`.
    pub fn serialize<S: Serializer>(ts: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match ts {
            Some(t) => super::with_formatted(*t, |t| s.serialize_str(t)),
            None => s.serialize_none(),
        }
    }

    /// Parses the `isodate` form, RFC 3339 or `null`; unparseable text becomes `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        let s = Option::<String>::deserialize(d)?;
        Ok(s.as_deref().and_then(super::parse))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs() {
        let t = from_mac_absolute(700_000_000.5).expect("in range");
        assert_eq!(format(t), "2023-03-08 20:26:40.500000");
        let w = from_webkit(13_300_000_000_000_000).expect("in range");
        assert_eq!(format(w), "2022-06-18 04:26:40.000000");
        assert_eq!(from_mac_absolute_auto(700_000_000), from_mac_absolute(700_000_000.0));
        assert_eq!(from_mac_absolute_auto(700_000_000_000_000_000), from_mac_absolute(700_000_000.0));
        assert_eq!(parse(&format(t)), Some(t));
        assert!((to_mac_absolute(t) - 700_000_000.5).abs() < 1e-6);
        assert_eq!(to_webkit(w), 13_300_000_000_000_000);
    }

    #[test]
    fn fast_format_matches_strftime() {
        let mut t = -62_135_596_800i64; // 0001-01-01
        while t < 253_402_300_799 {
            for frac in [0i64, 1, 999_999, 123_456_789] {
                if let Ok(ts) = Timestamp::new(t, frac as i32) {
                    assert_eq!(format(ts), ts.strftime("%Y-%m-%d %H:%M:%S%.6f").to_string(), "{t}.{frac}");
                }
            }
            t += 86_399 * 37 + 12_345;
        }
        let neg = Timestamp::new(-1, -500_000_000).expect("valid");
        assert_eq!(format(neg), neg.strftime("%Y-%m-%d %H:%M:%S%.6f").to_string());
    }

    #[test]
    fn garbage_is_none() {
        assert!(from_mac_absolute(f64::NAN).is_none());
        assert!(from_mac_absolute(1e300).is_none());
        assert!(from_unix(i64::MAX).is_none());
        assert!(from_webkit(i64::MIN).is_none());
        let _ = from_mac_absolute_auto(i64::MAX); // year 2293: valid, must not panic
        let _ = from_mac_absolute_auto(i64::MIN);
        assert!(parse("yesterday").is_none());
    }
}
