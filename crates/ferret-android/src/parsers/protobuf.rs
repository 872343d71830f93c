//! A minimal, panic-free protobuf wire-format reader on the bounds-checked
//! [`ferret_formats::Cursor`] (errors carry what was read and the offset), and the AOSP tombstone message
//! (`system/core/debuggerd/proto/tombstone.proto`) decoded with it.
//!
//! Only the fields ferret reports are read; unknown fields are skipped by wire type. Tombstone
//! field numbers: `arch`=1 (enum ARM32/ARM64/X86/X86_64), `build_fingerprint`=2, `revision`=3,
//! `timestamp`=4, `pid`=5, `tid`=6, `uid`=7, `selinux_label`=8, `command_line`=9 (repeated; a
//! single `process_name` string in the first proto version), `signal_info`=10 (`Signal`:
//! `number`=1, `name`=2, `code`=3, `code_name`=4), `abort_message`=14, `causes`=15 (`Cause`:
//! `human_readable`=1), `threads`=16 (map entries: key=1, value=2 `Thread`: `id`=1, `name`=2),
//! `process_uptime`=20. The process name is the name of the thread whose id is `tid`.

use ferret_formats::{Cursor, FormatError};

use super::tombstone::Tombstone;

/// One field value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 1.
    Fixed64(u64),
    /// Wire type 2.
    Bytes(&'a [u8]),
    /// Wire type 5.
    Fixed32(u32),
}

/// Decodes the top-level fields of one message, in order. Errors name what was read and the
/// offset in `buf`.
pub fn fields(buf: &[u8]) -> Result<Vec<(u32, Value<'_>)>, FormatError> {
    let mut out = Vec::new();
    let mut c = Cursor::new(buf);
    while !c.is_empty() {
        let at = c.position();
        let key = c.varint("protobuf field key")?;
        let field = u32::try_from(key >> 3).map_err(|_| FormatError::Invalid {
            what: "protobuf field key",
            offset: at,
            reason: format!("field number {} too large", key >> 3),
        })?;
        let v = match key & 7 {
            0 => Value::Varint(c.varint("protobuf varint")?),
            1 => Value::Fixed64(c.u64_le("protobuf fixed64")?),
            2 => {
                let len_at = c.position();
                let len = c.varint("protobuf length")?;
                let len = usize::try_from(len).map_err(|_| FormatError::Invalid {
                    what: "protobuf length",
                    offset: len_at,
                    reason: format!("length {len} too large"),
                })?;
                Value::Bytes(c.take(len, "protobuf bytes field")?)
            }
            5 => Value::Fixed32(c.u32_le("protobuf fixed32")?),
            w => {
                return Err(FormatError::Invalid {
                    what: "protobuf field key",
                    offset: at,
                    reason: format!("unsupported wire type {w} (field {field})"),
                });
            }
        };
        out.push((field, v));
    }
    Ok(out)
}

fn text(v: &Value<'_>) -> Option<String> {
    match v {
        Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    }
}

fn num(v: &Value<'_>) -> Option<u64> {
    match v {
        Value::Varint(n) | Value::Fixed64(n) => Some(*n),
        Value::Fixed32(n) => Some(u64::from(*n)),
        Value::Bytes(_) => None,
    }
}

/// Decodes a protobuf tombstone.
pub fn parse_tombstone_pb(buf: &[u8]) -> Result<Tombstone, FormatError> {
    let mut t = Tombstone::default();
    let mut threads: Vec<(u64, String)> = Vec::new();
    for (f, v) in fields(buf)? {
        match f {
            1 => {
                t.arch = num(&v).map(|a| match a {
                    0 => "arm".to_string(),
                    1 => "arm64".to_string(),
                    2 => "x86".to_string(),
                    3 => "x86_64".to_string(),
                    n => format!("unknown({n})"),
                })
            }
            2 => t.build_fingerprint = text(&v),
            3 => t.revision = text(&v),
            4 => t.timestamp = text(&v),
            5 => t.pid = num(&v).and_then(|n| u32::try_from(n).ok()),
            6 => t.tid = num(&v).and_then(|n| u32::try_from(n).ok()),
            7 => t.uid = num(&v).and_then(|n| u32::try_from(n).ok()),
            8 => t.selinux_label = text(&v),
            9 => t.command_line.extend(text(&v)),
            10 => {
                if let Value::Bytes(b) = v {
                    for (sf, sv) in fields(b)? {
                        if sf == 2 {
                            t.signal = text(&sv);
                        }
                    }
                }
            }
            14 => t.abort_message = text(&v),
            15 => {
                if let Value::Bytes(b) = v
                    && t.cause.is_none()
                {
                    t.cause = fields(b)?.iter().find(|(cf, _)| *cf == 1).and_then(|(_, cv)| text(cv));
                }
            }
            16 => {
                if let Value::Bytes(b) = v {
                    for (ef, ev) in fields(b)? {
                        if ef == 2
                            && let Value::Bytes(tb) = ev
                        {
                            let tf = fields(tb)?;
                            let id = tf.iter().find(|(k, _)| *k == 1).and_then(|(_, x)| num(x));
                            let name = tf.iter().find(|(k, _)| *k == 2).and_then(|(_, x)| text(x));
                            if let (Some(id), Some(name)) = (id, name) {
                                threads.push((id, name));
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(tid) = t.tid {
        t.process_name = threads.iter().find(|(id, _)| *id == u64::from(tid)).map(|(_, n)| n.clone());
    }
    if t.process_name.is_none() && t.command_line.len() == 1 && !t.command_line[0].contains('/') {
        // first proto version: field 9 was `process_name`
        t.process_name = t.command_line.first().cloned();
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(f: u32, w: u8) -> u8 {
        u8::try_from(f << 3).expect("small") | w
    }

    #[test]
    fn decodes_and_rejects() {
        let thread = [key(1, 0), 42, key(2, 2), 3, b'f', b'o', b'o'];
        let mut entry = vec![key(1, 0), 42, key(2, 2), thread.len() as u8];
        entry.extend_from_slice(&thread);
        let mut msg = vec![key(1, 0), 1, key(6, 0), 42, key(7, 0), 0, key(9, 2), 4];
        msg.extend_from_slice(b"/bin");
        msg.extend_from_slice(&[key(10, 2), 11, key(1, 0), 11, key(2, 2), 7]);
        msg.extend_from_slice(b"SIGSEGV");
        msg.extend_from_slice(&[key(16, 2) | 0x80, 1, entry.len() as u8]);
        msg.extend_from_slice(&entry);
        msg.extend_from_slice(&[key(2, 5), 1, 2, 3, 4]); // unknown fixed32 on field 2: ignored
        let t = parse_tombstone_pb(&msg).expect("decodes");
        assert_eq!(t.arch.as_deref(), Some("arm64"));
        assert_eq!(t.uid, Some(0));
        assert_eq!(t.process_name.as_deref(), Some("foo"));
        assert_eq!(t.signal.as_deref(), Some("SIGSEGV"));
        assert_eq!(t.command_line, vec!["/bin"]);
        let e = parse_tombstone_pb(&[key(9, 2), 100, b'x']).expect_err("overrun");
        assert_eq!(e, FormatError::Truncated { what: "protobuf bytes field", offset: 2, need: 100, have: 1 });
        let e = parse_tombstone_pb(&[0xff; 11]).expect_err("long varint");
        assert!(matches!(e, FormatError::Invalid { what: "protobuf field key", offset: 0, .. }), "{e:?}");
        let e = parse_tombstone_pb(&[key(1, 0), 1, key(3, 3)]).expect_err("group wire type");
        assert!(
            e.to_string().contains("unsupported wire type 3 (field 3)") && e.to_string().contains("offset 2"),
            "{e}"
        );
        assert_eq!(parse_tombstone_pb(&[]).expect("empty"), Tombstone::default());
    }
}
