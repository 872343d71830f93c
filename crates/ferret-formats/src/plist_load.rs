//! Property lists that can never abort the process.
//!
//! The `plist` crate parses nested arrays/dictionaries recursively, so a small hostile file
//! (50 000 nested arrays in 350 KB) overflows the stack and aborts the whole process: that
//! cannot be caught. [`parse_plist`] therefore measures the nesting depth first, without
//! recursion, and only hands inputs within [`MAX_DEPTH`] levels and [`MAX_PLIST_SIZE`] bytes to
//! the parser:
//!
//! * binary plists (`bplist0?`): the trailer (last 32 bytes: offset-int size, object-ref size,
//!   object count, top object, offset-table offset) and offset table are read with a checked
//!   [`Cursor`]; the height of the object graph from the top object is computed with an explicit
//!   stack and memoisation (shared sub-objects are measured once, so a "billion laughs" DAG is
//!   linear), and reference cycles are rejected. Only arrays (`0xA_`) and dictionaries (`0xD_`)
//!   have children;
//! * XML plists: element nesting is counted by a tag scanner (comments, CDATA, processing
//!   instructions and `<x/>` are skipped);
//! * OpenStep/ASCII plists: `(`/`{` nesting is counted outside quoted strings.

use crate::{Cursor, FormatError};

/// Deepest nesting accepted (Apple's own files stay far below 50).
pub const MAX_DEPTH: usize = 512;
/// Largest property list accepted.
pub const MAX_PLIST_SIZE: usize = 256 * 1024 * 1024;

/// Parses a binary, XML or ASCII property list from untrusted bytes. Never panics or aborts:
/// inputs nesting deeper than [`MAX_DEPTH`] or larger than [`MAX_PLIST_SIZE`] are errors.
pub fn parse_plist(bytes: &[u8]) -> Result<plist::Value, FormatError> {
    if bytes.len() > MAX_PLIST_SIZE {
        return Err(FormatError::TooLarge {
            what: "property list",
            size: bytes.len() as u64,
            limit: MAX_PLIST_SIZE as u64,
        });
    }
    check_depth(bytes, MAX_DEPTH)?;
    plist::Value::from_reader(std::io::Cursor::new(bytes)).map_err(|e| FormatError::Plist(e.to_string()))
}

/// Measures nesting without parsing; `Err(TooDeep)` when deeper than `limit`.
pub fn check_depth(bytes: &[u8], limit: usize) -> Result<(), FormatError> {
    if bytes.starts_with(b"bplist") {
        return binary_depth(bytes, limit);
    }
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
    let body = bytes.get(start..).unwrap_or(&[]);
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if body.first() == Some(&b'<') { xml_depth(bytes, limit) } else { ascii_depth(bytes, limit) }
}

fn too_deep(limit: usize, offset: usize) -> FormatError {
    FormatError::TooDeep { what: "property list", limit, offset }
}

fn xml_depth(bytes: &[u8], limit: usize) -> Result<(), FormatError> {
    let mut depth = 0usize;
    let mut i = 0usize;
    while let Some(rel) = bytes.get(i..).and_then(|s| s.iter().position(|&b| b == b'<')) {
        let at = i + rel;
        let rest = bytes.get(at..).unwrap_or(&[]);
        let skip_to = |needle: &[u8]| -> usize {
            rest.windows(needle.len()).position(|w| w == needle).map_or(bytes.len(), |p| at + p + needle.len())
        };
        if rest.starts_with(b"<!--") {
            i = skip_to(b"-->");
            continue;
        }
        if rest.starts_with(b"<![CDATA[") {
            i = skip_to(b"]]>");
            continue;
        }
        if rest.starts_with(b"<?") {
            i = skip_to(b"?>");
            continue;
        }
        let end = rest.iter().position(|&b| b == b'>').map_or(bytes.len(), |p| at + p + 1);
        let tag = bytes.get(at..end).unwrap_or(&[]);
        if tag.starts_with(b"<!") {
            // DOCTYPE
        } else if tag.starts_with(b"</") {
            depth = depth.saturating_sub(1);
        } else if !tag.ends_with(b"/>") {
            depth += 1;
            if depth > limit {
                return Err(too_deep(limit, at));
            }
        }
        i = end;
    }
    Ok(())
}

fn ascii_depth(bytes: &[u8], limit: usize) -> Result<(), FormatError> {
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    for (at, &b) in bytes.iter().enumerate() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == q {
                quote = None;
            }
            continue;
        }
        match b {
            b'"' | b'\'' => quote = Some(b),
            b'(' | b'{' => {
                depth += 1;
                if depth > limit {
                    return Err(too_deep(limit, at));
                }
            }
            b')' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn invalid(offset: usize, reason: impl Into<String>) -> FormatError {
    FormatError::Invalid { what: "binary property list", offset, reason: reason.into() }
}

struct Binary<'a> {
    data: &'a [u8],
    offsets: Vec<usize>,
    ref_size: usize,
}

impl Binary<'_> {
    /// For a container object: (offset of its first child reference, number of references).
    fn children(&self, obj: usize) -> Result<Option<(usize, usize)>, FormatError> {
        let off = *self.offsets.get(obj).ok_or_else(|| invalid(0, format!("object {obj} out of range")))?;
        let mut c = Cursor::new(self.data);
        c.seek(off, "object")?;
        let marker = c.u8("object marker")?;
        let ty = marker >> 4;
        if ty != 0xA && ty != 0xD {
            return Ok(None);
        }
        let mut len = u64::from(marker & 0x0F);
        if len == 0x0F {
            let int_marker = c.u8("container length marker")?;
            let width = 1usize << (int_marker & 0x03);
            len = c.uint_be(width, "container length")?;
        }
        let n = if ty == 0xD { len.checked_mul(2) } else { Some(len) };
        let n = n.and_then(|n| usize::try_from(n).ok()).ok_or_else(|| invalid(off, "container length overflows"))?;
        let need = n.checked_mul(self.ref_size).ok_or_else(|| invalid(off, "container length overflows"))?;
        if need > c.remaining() {
            return Err(FormatError::Truncated {
                what: "container references",
                offset: c.position(),
                need,
                have: c.remaining(),
            });
        }
        Ok(Some((c.position(), n)))
    }

    fn child(&self, refs_at: usize, i: usize) -> Result<usize, FormatError> {
        let mut c = Cursor::new(self.data);
        c.seek(refs_at + i * self.ref_size, "object reference")?;
        let r = c.uint_be(self.ref_size, "object reference")?;
        let r = usize::try_from(r).map_err(|_| invalid(refs_at, "object reference overflows"))?;
        if r >= self.offsets.len() {
            return Err(invalid(
                refs_at,
                format!("object reference {r} out of range ({} objects)", self.offsets.len()),
            ));
        }
        Ok(r)
    }
}

fn binary_depth(data: &[u8], limit: usize) -> Result<(), FormatError> {
    if data.len() < 8 + 32 {
        return Err(FormatError::Truncated {
            what: "binary property list trailer",
            offset: 0,
            need: 40,
            have: data.len(),
        });
    }
    let mut c = Cursor::new(data);
    c.seek(data.len() - 32 + 6, "trailer")?;
    let offset_size = usize::from(c.u8("trailer offset size")?);
    let ref_size = usize::from(c.u8("trailer reference size")?);
    let num_objects = c.u64_be("trailer object count")?;
    let top = c.u64_be("trailer top object")?;
    let table = c.u64_be("trailer offset table")?;
    if !matches!(offset_size, 1..=8) || !matches!(ref_size, 1..=8) {
        return Err(invalid(data.len() - 26, "bad integer sizes in trailer"));
    }
    let table = usize::try_from(table).map_err(|_| invalid(data.len() - 8, "offset table out of range"))?;
    let num = usize::try_from(num_objects)
        .ok()
        .filter(|n| n.checked_mul(offset_size).is_some_and(|b| b <= data.len()))
        .ok_or_else(|| invalid(data.len() - 24, format!("object count {num_objects} too large for the file")))?;
    let mut t = Cursor::new(data);
    t.seek(table, "offset table")?;
    let mut offsets = Vec::with_capacity(num);
    for _ in 0..num {
        let o = t.uint_be(offset_size, "offset table entry")?;
        let o = usize::try_from(o)
            .ok()
            .filter(|o| *o < data.len())
            .ok_or_else(|| invalid(t.position(), "object offset out of range"))?;
        offsets.push(o);
    }
    let top = usize::try_from(top)
        .ok()
        .filter(|t| *t < num)
        .ok_or_else(|| invalid(data.len() - 16, "top object out of range"))?;
    let bin = Binary { data, offsets, ref_size };

    // 0 = unvisited, 1 = on the stack, 2 = done (height known)
    let mut state = vec![0u8; num];
    let mut height = vec![0u32; num];
    struct Frame {
        obj: usize,
        refs_at: usize,
        count: usize,
        next: usize,
        max_child: u32,
    }
    let mut stack: Vec<Frame> = Vec::new();
    let push = |obj: usize, stack: &mut Vec<Frame>, state: &mut [u8], height: &mut [u32]| -> Result<(), FormatError> {
        match bin.children(obj)? {
            None => {
                state[obj] = 2;
                height[obj] = 1;
            }
            Some((refs_at, count)) => {
                if stack.len() >= limit {
                    return Err(too_deep(limit, bin.offsets[obj]));
                }
                state[obj] = 1;
                stack.push(Frame { obj, refs_at, count, next: 0, max_child: 0 });
            }
        }
        Ok(())
    };
    push(top, &mut stack, &mut state, &mut height)?;
    while let Some(frame) = stack.last_mut() {
        if frame.next == frame.count {
            let h = frame.max_child.saturating_add(1);
            let obj = frame.obj;
            stack.pop();
            if h as usize > limit {
                return Err(too_deep(limit, bin.offsets[obj]));
            }
            state[obj] = 2;
            height[obj] = h;
            if let Some(parent) = stack.last_mut() {
                parent.max_child = parent.max_child.max(h);
            }
            continue;
        }
        let child = bin.child(frame.refs_at, frame.next)?;
        frame.next += 1;
        match state[child] {
            2 => frame.max_child = frame.max_child.max(height[child]),
            1 => return Err(invalid(bin.offsets[child], format!("object {child} contains itself"))),
            _ => {
                push(child, &mut stack, &mut state, &mut height)?;
                if state[child] == 2
                    && let Some(f) = stack.last_mut()
                {
                    f.max_child = f.max_child.max(height[child]);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested_array(depth: usize) -> plist::Value {
        let mut v = plist::Value::Array(vec![]);
        for _ in 0..depth {
            v = plist::Value::Array(vec![v]);
        }
        v
    }

    fn to_binary(v: &plist::Value) -> Vec<u8> {
        let mut out = Vec::new();
        v.to_writer_binary(&mut out).expect("write");
        out
    }

    #[test]
    fn normal_plists_parse() {
        let mut d = plist::Dictionary::new();
        d.insert("a".into(), plist::Value::Integer(1.into()));
        d.insert("b".into(), nested_array(20));
        let v = plist::Value::Dictionary(d);
        assert_eq!(parse_plist(&to_binary(&v)).expect("binary"), v);
        let mut xml = Vec::new();
        v.to_writer_xml(&mut xml).expect("xml");
        assert_eq!(parse_plist(&xml).expect("xml"), v);
        let ascii = br#"{ a = "x(((("; b = (1, 2, (3)); }"#;
        assert!(parse_plist(ascii).is_ok());
    }

    #[test]
    fn deep_binary_is_an_error_not_an_abort() {
        // Built by hand: a 100k-deep chain of one-element arrays, object i -> i+1.
        let n: usize = 100_000;
        let mut data = b"bplist00".to_vec();
        let mut offsets = Vec::with_capacity(n);
        for i in 0..n {
            offsets.push(data.len());
            if i + 1 < n {
                data.push(0xA1);
                data.extend_from_slice(&((i + 1) as u32).to_be_bytes());
            } else {
                data.push(0xA0);
            }
        }
        let table = data.len();
        for o in &offsets {
            data.extend_from_slice(&(*o as u32).to_be_bytes());
        }
        data.extend_from_slice(&[0; 6]);
        data.push(4);
        data.push(4);
        data.extend_from_slice(&(n as u64).to_be_bytes());
        data.extend_from_slice(&0u64.to_be_bytes());
        data.extend_from_slice(&(table as u64).to_be_bytes());
        assert!(matches!(parse_plist(&data), Err(FormatError::TooDeep { .. })));
    }

    #[test]
    fn deep_xml_and_ascii_are_errors() {
        let mut xml = b"<?xml version=\"1.0\"?><plist version=\"1.0\">".to_vec();
        for _ in 0..100_000 {
            xml.extend_from_slice(b"<array>");
        }
        for _ in 0..100_000 {
            xml.extend_from_slice(b"</array>");
        }
        xml.extend_from_slice(b"</plist>");
        assert!(matches!(parse_plist(&xml), Err(FormatError::TooDeep { .. })));
        let ascii = "(".repeat(100_000) + &")".repeat(100_000);
        assert!(matches!(parse_plist(ascii.as_bytes()), Err(FormatError::TooDeep { .. })));
    }

    #[test]
    fn shared_subtrees_are_measured_once() {
        // each level is an array holding the level below twice: 2^60 paths, 61 objects
        let n = 61usize;
        let mut data = b"bplist00".to_vec();
        let mut offsets = Vec::new();
        for i in 0..n {
            offsets.push(data.len());
            if i + 1 < n {
                data.push(0xA2);
                data.push((i + 1) as u8);
                data.push((i + 1) as u8);
            } else {
                data.push(0x09);
            }
        }
        let table = data.len();
        for o in &offsets {
            data.push(*o as u8);
        }
        data.extend_from_slice(&[0, 0, 0, 0, 0, 0, 1, 1]);
        data.extend_from_slice(&(n as u64).to_be_bytes());
        data.extend_from_slice(&0u64.to_be_bytes());
        data.extend_from_slice(&(table as u64).to_be_bytes());
        check_depth(&data, MAX_DEPTH).expect("shallow");
    }

    #[test]
    fn hostile_binary_inputs() {
        let v = nested_array(3);
        let good = to_binary(&v);
        for cut in [0, 5, 10, good.len() / 2, good.len() - 1] {
            assert!(parse_plist(&good[..cut]).is_err(), "truncated at {cut}");
        }
        // cycle: array 0 contains itself
        let mut data = b"bplist00".to_vec();
        data.extend_from_slice(&[0xA1, 0x00]);
        let table = data.len();
        data.push(8);
        data.extend_from_slice(&[0, 0, 0, 0, 0, 0, 1, 1]);
        data.extend_from_slice(&1u64.to_be_bytes());
        data.extend_from_slice(&0u64.to_be_bytes());
        data.extend_from_slice(&(table as u64).to_be_bytes());
        assert!(parse_plist(&data).is_err());
        // absurd object count
        let mut bad = good.clone();
        let l = bad.len();
        bad[l - 24..l - 16].copy_from_slice(&u64::MAX.to_be_bytes());
        assert!(parse_plist(&bad).is_err());
        assert!(parse_plist(b"").is_err() || parse_plist(b"").is_ok());
        assert!(parse_plist(&[0xff, 0xfe, 0x00, 0x80]).is_err());
    }
}
