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
//!   have children. The same walk measures the *expanded* size — what the parser would build,
//!   since it copies a shared object at each reference — and refuses inputs beyond
//!   [`expansion_limit`] ([`FormatError::TooExpanded`]): a 283-byte "billion laughs" file would
//!   otherwise expand to 2^60 objects and abort the process on allocation failure;
//! * XML plists: element nesting is counted by a tag scanner (comments, CDATA, processing
//!   instructions and `<x/>` are skipped);
//! * OpenStep/ASCII plists: `(`/`{` nesting is counted outside quoted strings.

use crate::{Cursor, FormatError};

/// Deepest nesting accepted (Apple's own files stay far below 50).
pub const MAX_DEPTH: usize = 512;
/// Largest property list accepted.
pub const MAX_PLIST_SIZE: usize = 256 * 1024 * 1024;

/// Weight of one object in the expanded size: the size of a parsed `plist::Value` node (what
/// the parser allocates per object besides its payload).
pub const NODE_COST: u64 = std::mem::size_of::<plist::Value>() as u64;

/// Expanded size always accepted, whatever the input size (64 MiB).
pub const EXPANSION_FLOOR: u64 = 64 << 20;
/// Expanded size accepted per input byte above the floor.
///
/// The expanded size of a binary plist is what the parsed tree would weigh: [`NODE_COST`] bytes
/// per object plus its decoded payload, counted once per *reference* (the `plist` crate copies a
/// shared object at every reference, so a 283-byte file whose 61 objects each hold the next one
/// twice is 2^60 objects). Real files barely share anything but strings and numbers, which
/// Apple's and Python's writers deduplicate. Measured with `expansion_ratios` (tests below, run
/// with `FERRET_PLIST_DIRS=dir1:dir2`): the 20 binary plists among the 22 real iOS 17 / CTF
/// files in `shared/real/ios-fs`: expanded/input at most 13.1 (a cached Twitter DM plist),
/// median 5.0; generated acquisitions: filesystem-dump plists at most 19.4
/// (`full_browsing_session_resourceLog.plist`), a 100k-SMS backup's plists at most 17.0, its
/// 29,367 `Manifest.db` `MBFile` blobs at most 8.5. A flat array of one-byte references to one
/// shared `true` — the worst a file can do without sharing *containers*, which real writers do
/// not — is about [`NODE_COST`] (80 with `plist` 1.10) per byte. 128 is 1.5 times that and 6.6
/// times the largest measured ratio: a real file never reaches it, and a crafted one can make
/// the parser build at most `max(64 MiB, 128 × size)`, never more than [`EXPANSION_CAP`].
pub const EXPANSION_PER_BYTE: u64 = 128;
/// Expanded size never accepted, whatever the input size (2 GiB).
pub const EXPANSION_CAP: u64 = 2 << 30;

/// The expanded-size budget for an input of `len` bytes: `max(EXPANSION_FLOOR,
/// EXPANSION_PER_BYTE × len)`, at most [`EXPANSION_CAP`].
pub fn expansion_limit(len: usize) -> u64 {
    (len as u64).saturating_mul(EXPANSION_PER_BYTE).clamp(EXPANSION_FLOOR, EXPANSION_CAP)
}

/// Parses a binary, XML or ASCII property list from untrusted bytes. Never panics or aborts:
/// inputs nesting deeper than [`MAX_DEPTH`], larger than [`MAX_PLIST_SIZE`] or expanding beyond
/// [`expansion_limit`] are errors.
pub fn parse_plist(bytes: &[u8]) -> Result<plist::Value, FormatError> {
    check_plist(bytes)?;
    plist::Value::from_reader(std::io::Cursor::new(bytes)).map_err(|e| FormatError::Plist(e.to_string()))
}

/// Every check [`parse_plist`] makes before handing bytes to the `plist` crate: size, nesting
/// depth and expanded size. For callers that parse with the `plist` crate themselves (e.g. on
/// a big-stack thread): call this first, then parse.
pub fn check_plist(bytes: &[u8]) -> Result<(), FormatError> {
    if bytes.len() > MAX_PLIST_SIZE {
        return Err(FormatError::TooLarge {
            what: "property list",
            size: bytes.len() as u64,
            limit: MAX_PLIST_SIZE as u64,
        });
    }
    if bytes.starts_with(b"bplist") {
        return binary_check(bytes, MAX_DEPTH, expansion_limit(bytes.len())).map(|_| ());
    }
    check_depth(bytes, MAX_DEPTH)
}

/// The expanded size of a binary plist (see [`EXPANSION_PER_BYTE`]), measured without
/// parsing, or the error [`check_plist`] would give. XML and ASCII plists have no shared
/// objects: their expanded size is not measured (`Ok(None)`).
pub fn expanded_size(bytes: &[u8]) -> Result<Option<u64>, FormatError> {
    if bytes.starts_with(b"bplist") {
        return binary_check(bytes, MAX_DEPTH, u64::MAX).map(|m| Some(m.expanded));
    }
    check_depth(bytes, MAX_DEPTH).map(|()| None)
}

/// Measures nesting without parsing; `Err(TooDeep)` when deeper than `limit`.
pub fn check_depth(bytes: &[u8], limit: usize) -> Result<(), FormatError> {
    if bytes.starts_with(b"bplist") {
        return binary_check(bytes, limit, u64::MAX).map(|_| ());
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
    /// An object's container references (offset of its first child reference and number of
    /// references; `None` for scalars) and its own expanded weight ([`NODE_COST`] plus the bytes
    /// its payload decodes to; children are weighed separately).
    fn object(&self, obj: usize) -> Result<(Option<(usize, usize)>, u64), FormatError> {
        let off = *self.offsets.get(obj).ok_or_else(|| invalid(0, format!("object {obj} out of range")))?;
        let mut c = Cursor::new(self.data);
        c.seek(off, "binary property list object")?;
        let marker = c.u8("binary property list object marker")?;
        let ty = marker >> 4;
        let low = marker & 0x0F;
        let mut len = u64::from(low);
        if matches!(ty, 0x4..=0x7 | 0xA..=0xD) && low == 0x0F {
            let int_marker = c.u8("binary property list length marker")?;
            let width = 1usize << (int_marker & 0x03);
            len = c.uint_be(width, "binary property list length")?;
        }
        let payload = match ty {
            0x1 | 0x2 => 1u64 << low.min(4),
            0x3 => 8,
            0x4 | 0x5 | 0x7 => len,
            0x6 => len.saturating_mul(2),
            0x8 => len + 1,
            _ => 0,
        };
        // What the parser can allocate for the payload is bounded by the bytes present.
        let weight = NODE_COST.saturating_add(payload.min(c.remaining() as u64));
        if ty != 0xA && ty != 0xD {
            return Ok((None, weight));
        }
        let n = if ty == 0xD { len.checked_mul(2) } else { Some(len) };
        let n = n.and_then(|n| usize::try_from(n).ok()).ok_or_else(|| invalid(off, "container length overflows"))?;
        let need = n.checked_mul(self.ref_size).ok_or_else(|| invalid(off, "container length overflows"))?;
        if need > c.remaining() {
            return Err(FormatError::Truncated {
                what: "binary property list container references",
                offset: c.position(),
                need,
                have: c.remaining(),
            });
        }
        Ok((Some((c.position(), n)), weight))
    }

    fn child(&self, refs_at: usize, i: usize) -> Result<usize, FormatError> {
        let mut c = Cursor::new(self.data);
        c.seek(refs_at + i * self.ref_size, "binary property list object reference")?;
        let r = c.uint_be(self.ref_size, "binary property list object reference")?;
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

/// Walks the object graph of a binary plist from its top object, without recursion, measuring
/// the height (refused beyond `depth_limit`) and the expanded size of every object (memoised:
/// a shared object is measured once, its size added at each reference, saturating), refused
/// beyond `expand_limit`. Cycles are refused. The work is one step per reference in the file.
fn binary_check(data: &[u8], depth_limit: usize, expand_limit: u64) -> Result<Measure, FormatError> {
    if data.len() < 8 + 32 {
        return Err(FormatError::Truncated {
            what: "binary property list trailer",
            offset: 0,
            need: 40,
            have: data.len(),
        });
    }
    let mut c = Cursor::new(data);
    c.seek(data.len() - 32 + 6, "binary property list trailer")?;
    let offset_size = usize::from(c.u8("binary property list trailer offset size")?);
    let ref_size = usize::from(c.u8("binary property list trailer reference size")?);
    let num_objects = c.u64_be("binary property list trailer object count")?;
    let top = c.u64_be("binary property list trailer top object")?;
    let table = c.u64_be("binary property list trailer offset table")?;
    if !matches!(offset_size, 1..=8) || !matches!(ref_size, 1..=8) {
        return Err(invalid(data.len() - 26, "bad integer sizes in trailer"));
    }
    let table = usize::try_from(table).map_err(|_| invalid(data.len() - 8, "offset table out of range"))?;
    let num = usize::try_from(num_objects)
        .ok()
        .filter(|n| n.checked_mul(offset_size).is_some_and(|b| b <= data.len()))
        .ok_or_else(|| invalid(data.len() - 24, format!("object count {num_objects} too large for the file")))?;
    let mut t = Cursor::new(data);
    t.seek(table, "binary property list offset table")?;
    let mut offsets = Vec::with_capacity(num);
    for _ in 0..num {
        let o = t.uint_be(offset_size, "binary property list offset table entry")?;
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

    // 0 = unvisited, 1 = on the stack, 2 = done (height and size known)
    let mut state = vec![0u8; num];
    let mut height = vec![0u32; num];
    let mut size = vec![0u64; num];
    struct Frame {
        obj: usize,
        refs_at: usize,
        count: usize,
        next: usize,
        max_child: u32,
        size: u64,
    }
    let too_big = |size: u64, obj: usize, bin: &Binary<'_>| FormatError::TooExpanded {
        what: "binary property list",
        size,
        limit: expand_limit,
        offset: bin.offsets.get(obj).copied().unwrap_or(0),
    };
    let mut stack: Vec<Frame> = Vec::new();
    let mut steps = 0u64;
    // Starts visiting `obj`: a scalar is done at once, a container is pushed.
    let push = |obj: usize,
                stack: &mut Vec<Frame>,
                state: &mut [u8],
                height: &mut [u32],
                size: &mut [u64]|
     -> Result<(), FormatError> {
        match bin.object(obj)? {
            (None, weight) => {
                state[obj] = 2;
                height[obj] = 1;
                size[obj] = weight;
            }
            (Some((refs_at, count)), weight) => {
                if stack.len() >= depth_limit {
                    return Err(too_deep(depth_limit, bin.offsets[obj]));
                }
                state[obj] = 1;
                stack.push(Frame { obj, refs_at, count, next: 0, max_child: 0, size: weight });
            }
        }
        Ok(())
    };
    push(top, &mut stack, &mut state, &mut height, &mut size)?;
    while let Some(frame) = stack.last_mut() {
        if frame.next == frame.count {
            let h = frame.max_child.saturating_add(1);
            let (obj, total) = (frame.obj, frame.size);
            stack.pop();
            if h as usize > depth_limit {
                return Err(too_deep(depth_limit, bin.offsets[obj]));
            }
            state[obj] = 2;
            height[obj] = h;
            size[obj] = total;
            if let Some(parent) = stack.last_mut() {
                parent.max_child = parent.max_child.max(h);
                parent.size = parent.size.saturating_add(total);
                if parent.size > expand_limit {
                    return Err(too_big(parent.size, parent.obj, &bin));
                }
            }
            continue;
        }
        let child = bin.child(frame.refs_at, frame.next)?;
        frame.next += 1;
        steps += 1;
        match state[child] {
            2 => {
                frame.max_child = frame.max_child.max(height[child]);
                frame.size = frame.size.saturating_add(size[child]);
                if frame.size > expand_limit {
                    return Err(too_big(frame.size, frame.obj, &bin));
                }
            }
            1 => return Err(invalid(bin.offsets[child], format!("object {child} contains itself"))),
            _ => {
                push(child, &mut stack, &mut state, &mut height, &mut size)?;
                if state[child] == 2
                    && let Some(f) = stack.last_mut()
                {
                    f.max_child = f.max_child.max(height[child]);
                    f.size = f.size.saturating_add(size[child]);
                    if f.size > expand_limit {
                        return Err(too_big(f.size, f.obj, &bin));
                    }
                }
            }
        }
    }
    let total = size[top];
    if total > expand_limit {
        return Err(too_big(total, top, &bin));
    }
    Ok(Measure { expanded: total, steps })
}

/// What [`binary_check`] measured.
#[derive(Debug, Clone, Copy)]
struct Measure {
    /// Expanded size of the top object (saturating).
    expanded: u64,
    /// References followed (the walk's work; asserted by the tests).
    #[cfg_attr(not(test), allow(dead_code))]
    steps: u64,
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

    /// The hostile-recipes "billion laughs": 61 objects, object i (0..59) = [i+1, i+1], object 60
    /// = "x"; 1-byte offsets and references: 283 bytes, 2^60 leaves once expanded.
    fn laughs() -> Vec<u8> {
        let n = 61usize;
        let mut data = b"bplist00".to_vec();
        let mut offsets = Vec::new();
        for i in 0..n {
            offsets.push(data.len());
            if i + 1 < n {
                data.extend_from_slice(&[0xA2, (i + 1) as u8, (i + 1) as u8]);
            } else {
                data.extend_from_slice(&[0x51, b'x']);
            }
        }
        let table = data.len();
        data.extend(offsets.iter().map(|o| *o as u8));
        data.extend_from_slice(&[0, 0, 0, 0, 0, 0, 1, 1]);
        data.extend_from_slice(&(n as u64).to_be_bytes());
        data.extend_from_slice(&0u64.to_be_bytes());
        data.extend_from_slice(&(table as u64).to_be_bytes());
        data
    }

    #[test]
    fn billion_laughs_is_refused_before_parsing_with_linear_work() {
        let data = laughs();
        assert_eq!(data.len(), 283);
        // The walk follows each of the 120 references once (memoised), whatever the expansion.
        let m = binary_check(&data, MAX_DEPTH, u64::MAX).expect("measured");
        assert_eq!(m.steps, 120);
        assert_eq!(m.expanded, u64::MAX, "2^60 objects saturate the counter");
        // parse_plist refuses it: the error names the limit and the offset of the object that
        // crossed it (the walk stops as soon as the budget is crossed, deep in the chain).
        match parse_plist(&data) {
            Err(FormatError::TooExpanded { limit, size, offset, .. }) => {
                assert_eq!(limit, EXPANSION_FLOOR);
                assert!(size > limit);
                assert!((8..8 + 60 * 3).contains(&offset), "offset {offset} is an array object");
            }
            other => panic!("expected TooExpanded, got {other:?}"),
        }
        assert!(matches!(check_plist(&data), Err(FormatError::TooExpanded { .. })));
        // A smaller chain (2^15 leaves) is under the floor and parses.
        let mut small = plist::Value::String("x".into());
        for _ in 0..15 {
            small = plist::Value::Array(vec![small.clone(), small]);
        }
        assert!(parse_plist(&to_binary(&small)).is_ok());
    }

    #[test]
    fn expansion_budget_scales_with_input_and_counts_shared_payloads() {
        assert_eq!(NODE_COST, 80, "the documented ratios assume an 80-byte plist::Value");
        assert_eq!(expansion_limit(0), EXPANSION_FLOOR);
        assert_eq!(expansion_limit(10 << 20), 1280 << 20);
        assert_eq!(expansion_limit(usize::MAX), EXPANSION_CAP);
        // One 1 MiB data object referenced by an array 200 times: 200 MiB expanded from ~1 MiB.
        let n_refs = 200usize;
        let mut data = b"bplist00".to_vec();
        let blob_at = data.len();
        data.extend_from_slice(&[0x4F, 0x12]);
        data.extend_from_slice(&(1u32 << 20).to_be_bytes());
        data.extend(std::iter::repeat_n(7u8, 1 << 20));
        let arr_at = data.len();
        data.extend_from_slice(&[0xAF, 0x10, n_refs as u8]);
        data.extend(std::iter::repeat_n(0u8, n_refs));
        let table = data.len();
        for o in [blob_at, arr_at] {
            data.extend_from_slice(&(o as u32).to_be_bytes());
        }
        data.extend_from_slice(&[0, 0, 0, 0, 0, 0, 4, 1]);
        data.extend_from_slice(&2u64.to_be_bytes());
        data.extend_from_slice(&1u64.to_be_bytes());
        data.extend_from_slice(&(table as u64).to_be_bytes());
        let expanded = expanded_size(&data).expect("measured").expect("binary");
        assert_eq!(expanded, NODE_COST * (n_refs as u64 + 1) + (n_refs as u64) * (1 << 20));
        assert!(matches!(parse_plist(&data), Err(FormatError::TooExpanded { .. })));
        // 20 references stay under the 64 MiB floor and parse.
        let arr_len_at = arr_at + 2;
        let mut ok = data.clone();
        ok[arr_len_at] = 20;
        assert!(parse_plist(&ok).is_ok());
        // XML cannot share: not measured.
        assert_eq!(expanded_size(b"<plist><array/></plist>").expect("xml"), None);
    }

    /// Measures expanded size / input size on every binary plist under the folders in
    /// `FERRET_PLIST_DIRS` (`:`-separated), to choose [`EXPANSION_PER_BYTE`]:
    /// `FERRET_PLIST_DIRS=/work/shared/real/ios-fs cargo test -p ferret-formats expansion_ratios
    /// -- --ignored --nocapture`.
    #[test]
    #[ignore = "measurement"]
    #[allow(clippy::print_stderr)]
    fn expansion_ratios() {
        let dirs = std::env::var("FERRET_PLIST_DIRS").unwrap_or_default();
        let mut ratios: Vec<(f64, u64, u64, String)> = Vec::new();
        let mut stack: Vec<std::path::PathBuf> = dirs.split(':').filter(|d| !d.is_empty()).map(Into::into).collect();
        while let Some(p) = stack.pop() {
            let Ok(meta) = std::fs::symlink_metadata(&p) else { continue };
            if meta.is_dir() {
                for e in std::fs::read_dir(&p).expect("ls").flatten() {
                    stack.push(e.path());
                }
                continue;
            }
            if !meta.is_file() {
                continue;
            }
            let Ok(bytes) = std::fs::read(&p) else { continue };
            if !bytes.starts_with(b"bplist") {
                continue;
            }
            if let Ok(Some(e)) = expanded_size(&bytes) {
                ratios.push((e as f64 / bytes.len() as f64, e, bytes.len() as u64, p.display().to_string()));
            }
        }
        ratios.sort_by(|a, b| a.0.total_cmp(&b.0));
        for r in &ratios {
            eprintln!("{:8.2} {:>12} {:>10} {}", r.0, r.1, r.2, r.3);
        }
        if let Some(max) = ratios.last() {
            eprintln!("files {} median {:.2} max {:.2}", ratios.len(), ratios[ratios.len() / 2].0, max.0);
            assert!(max.0 < EXPANSION_PER_BYTE as f64);
        }
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
        // no bytes (or only white space) is not a property list: refused, never an empty value
        for empty in [&b""[..], b" \n\t "] {
            let e = parse_plist(empty).expect_err("an empty input is not a property list");
            assert!(e.to_string().starts_with("invalid property list: "), "{e}");
        }
        assert!(parse_plist(&[0xff, 0xfe, 0x00, 0x80]).is_err());
    }
}
