//! Parallel parsing of a large JSON object's array member with serde_json.
//!
//! A 100,000-indicator bundle is one `objects` array of ~60 MB; serde_json parses it at
//! ~650 MB/s on one core. This module drives serde_json element by element
//! ([`serde_json::StreamDeserializer`] gives the end offset of each value) so that the array can
//! be cut into parts parsed on several threads:
//!
//! * a cut is *guessed* near each part boundary (a `{` preceded by `}` and `,`, whitespace
//!   allowed), which may fall inside a string;
//! * part `i` parses elements from its start until it lands **exactly** on the next cut (then it
//!   stops) or reaches the closing `]`;
//! * part `i + 1` is kept only if part `i` landed on its start. Part `i` started at a genuine
//!   element boundary (by induction), so a cut it lands on is one too; a guess inside a string
//!   can never be landed on, and part `i` then simply runs to the end of the array.
//!
//! So the result is always the sequential parse's, whatever the guesses; a bad guess only costs
//! the work of the part that started there. Every value is parsed by serde_json (nesting limit,
//! validation); this module only steps over whitespace, `,`, `:` and the brackets between them.
//! Errors carry no position: callers re-parse sequentially to report where the JSON is invalid.
//! One documented difference: serde_json's nesting limit (128) counts from where a parse starts,
//! so an element parsed on its own may nest two levels deeper than inside the whole document.
//! The `stix_split` fuzz target checks that both readers otherwise agree on any input.

use serde::Deserialize;

/// Something went wrong; the caller re-parses sequentially for a precise message.
#[derive(Debug)]
pub(crate) struct Invalid;

fn skip_ws(b: &[u8], mut pos: usize) -> usize {
    while let Some(c) = b.get(pos) {
        if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
            break;
        }
        pos += 1;
    }
    pos
}

/// Parses one value of type `T` starting at `pos`; returns it and the offset just past it.
fn one<'a, T: Deserialize<'a>>(text: &'a str, pos: usize) -> Result<(T, usize), Invalid> {
    let rest = text.get(pos..).ok_or(Invalid)?;
    let mut it = serde_json::Deserializer::from_str(rest).into_iter::<T>();
    match it.next() {
        Some(Ok(v)) => Ok((v, pos + it.byte_offset())),
        _ => Err(Invalid),
    }
}

/// How a part ended.
enum End {
    /// Landed exactly on the start of the next part.
    AtCut,
    /// Reached the closing `]`; the offset just past it.
    AtClose(usize),
}

/// Parses array elements from `pos` (an element start, or the `]`) until `cut` or `]`.
fn part<'a, T, U>(
    text: &'a str,
    mut pos: usize,
    cut: Option<usize>,
    map: &(impl Fn(T) -> Option<U> + Sync),
) -> Result<(Vec<U>, End), Invalid>
where
    T: Deserialize<'a>,
{
    let b = text.as_bytes();
    let mut out = Vec::new();
    pos = skip_ws(b, pos);
    if b.get(pos) == Some(&b']') {
        return Ok((out, End::AtClose(pos + 1)));
    }
    loop {
        if cut == Some(pos) {
            return Ok((out, End::AtCut));
        }
        let (v, end) = one::<T>(text, pos)?;
        out.extend(map(v));
        pos = skip_ws(b, end);
        match b.get(pos) {
            Some(b',') => pos = skip_ws(b, pos + 1),
            Some(b']') => return Ok((out, End::AtClose(pos + 1))),
            _ => return Err(Invalid),
        }
    }
}

/// How the array's first element begins: the whitespace between `[` and its `{`, and the bytes
/// after the `{` up to the end of its first key (`\n    "type"`). Elements written by one
/// serialiser look alike, nested objects usually do not (other first key, deeper indent).
struct Shape<'t> {
    indent: &'t [u8],
    head: &'t [u8],
}

fn shape(b: &[u8], start: usize) -> Option<Shape<'_>> {
    let open = skip_ws(b, start);
    if b.get(open) != Some(&b'{') {
        return None;
    }
    let key = skip_ws(b, open + 1);
    if b.get(key) != Some(&b'"') {
        return None;
    }
    let len = b.get(key + 1..)?.iter().take(64).position(|&c| c == b'"' || c == b'\\')?;
    if b.get(key + 1 + len) != Some(&b'"') {
        return None;
    }
    Some(Shape { indent: b.get(start..open)?, head: b.get(open + 1..key + 2 + len)? })
}

/// Whether the `{` at `at` follows `}` and `,` (whitespace allowed around the comma).
fn after_separator(b: &[u8], at: usize) -> bool {
    let back = |mut j: usize| {
        while j > 0 && matches!(b.get(j - 1), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            j -= 1;
        }
        j
    };
    let j = back(at);
    j > 0 && b.get(j - 1) == Some(&b',') && {
        let k = back(j - 1);
        k > 0 && b.get(k - 1) == Some(&b'}')
    }
}

/// A plausible element start at or after `from`: a `{` after `}` `,` that looks like the first
/// element ([`Shape`]) within the next 4 MiB, else the first `{` after `}` `,` at all. Only a
/// guess: [`parse_array`] verifies it.
fn guess_cut(b: &[u8], from: usize, limit: usize, like: Option<&Shape<'_>>) -> Option<usize> {
    let braces = |lo: usize, hi: usize| {
        let mut i = lo;
        std::iter::from_fn(move || {
            let rel = b.get(i..hi)?.iter().position(|&c| c == b'{')?;
            let at = i + rel;
            i = at + 1;
            Some(at)
        })
    };
    if let Some(sh) = like {
        let window = limit.min(from.saturating_add(4 << 20));
        let strong = braces(from, window).find(|&at| {
            b.get(at + 1..).is_some_and(|r| r.starts_with(sh.head))
                && b.get(..at).is_some_and(|l| l.ends_with(sh.indent))
                && after_separator(b, at)
        });
        if strong.is_some() {
            return strong;
        }
    }
    braces(from, limit).find(|&at| after_separator(b, at))
}

/// Arrays shorter than this are parsed in one part (threads cost more than they save).
pub(crate) const MIN_SPLIT: usize = 4 << 20;

/// Parses the array starting at `pos` (which must hold `[`) in up to `parts` parallel parts
/// (only when the rest of the text is at least `min_split` bytes long, normally [`MIN_SPLIT`]);
/// each element is deserialized as `T` and mapped by `map` (dropped when `None`). Returns the
/// mapped elements in array order, as consecutive runs (one per part, not concatenated: that
/// would copy them once more), and the offset just past the `]`.
pub(crate) fn parse_array<'a, T, U>(
    text: &'a str,
    pos: usize,
    parts: usize,
    min_split: usize,
    map: &(impl Fn(T) -> Option<U> + Sync),
) -> Result<(Vec<Vec<U>>, usize), Invalid>
where
    T: Deserialize<'a>,
    U: Send,
{
    let b = text.as_bytes();
    if b.get(pos) != Some(&b'[') {
        return Err(Invalid);
    }
    let start = pos + 1;
    let parts = if text.len() - start < min_split { 1 } else { parts.clamp(1, 16) };
    let span = (text.len() - start) / parts;
    let like = shape(b, start);
    let mut starts = vec![start];
    for p in 1..parts {
        let from = start + p * span;
        let prev = starts.last().copied().unwrap_or(start);
        if let Some(c) = guess_cut(b, from.max(prev + 1), text.len(), like.as_ref()) {
            starts.push(c);
        }
    }
    let starts = &starts;
    let cut_after = |i: usize| starts.get(i + 1).copied();
    let results: Vec<Result<(Vec<U>, End), Invalid>> = if starts.len() == 1 {
        vec![part(text, start, None, map)]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> =
                (0..starts.len()).map(|i| scope.spawn(move || part(text, starts[i], cut_after(i), map))).collect();
            handles.into_iter().map(|h| h.join().unwrap_or(Err(Invalid))).collect()
        })
    };
    let mut out = Vec::new();
    for r in results {
        let (items, end) = r?;
        out.push(items);
        match end {
            End::AtCut => continue,
            End::AtClose(after) => return Ok((out, after)),
        }
    }
    Err(Invalid)
}

/// Walks the members of the JSON object at the start of `text`: `on_member(key, value_pos)`
/// must consume the value and return the offset just past it. Fails unless the whole text is
/// that one object (whitespace allowed around it).
pub(crate) fn walk_object<'a>(
    text: &'a str,
    mut on_member: impl FnMut(&str, usize) -> Result<usize, Invalid>,
) -> Result<(), Invalid> {
    let b = text.as_bytes();
    let mut pos = skip_ws(b, 0);
    if b.get(pos) != Some(&b'{') {
        return Err(Invalid);
    }
    pos = skip_ws(b, pos + 1);
    if b.get(pos) == Some(&b'}') {
        pos += 1;
    } else {
        loop {
            let (key, end) = one::<std::borrow::Cow<'a, str>>(text, pos)?;
            pos = skip_ws(b, end);
            if b.get(pos) != Some(&b':') {
                return Err(Invalid);
            }
            pos = on_member(&key, skip_ws(b, pos + 1))?;
            pos = skip_ws(b, pos);
            match b.get(pos) {
                Some(b',') => pos = skip_ws(b, pos + 1),
                Some(b'}') => {
                    pos += 1;
                    break;
                }
                _ => return Err(Invalid),
            }
        }
    }
    if skip_ws(b, pos) == b.len() { Ok(()) } else { Err(Invalid) }
}

/// Parses and drops one value at `pos`; returns the offset just past it.
pub(crate) fn skip_value(text: &str, pos: usize) -> Result<usize, Invalid> {
    one::<serde::de::IgnoredAny>(text, pos).map(|(_, end)| end)
}

/// Parses one value of type `T` at `pos`; returns it and the offset just past it.
pub(crate) fn value<'a, T: Deserialize<'a>>(text: &'a str, pos: usize) -> Result<(T, usize), Invalid> {
    one::<T>(text, pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str, parts: usize) -> Result<(Vec<u64>, usize), Invalid> {
        #[derive(Deserialize)]
        struct O {
            id: u64,
        }
        parse_array::<O, u64>(text, text.find('[').unwrap_or(0), parts, MIN_SPLIT, &|o: O| Some(o.id))
            .map(|(runs, end)| (runs.concat(), end))
    }

    /// A big array, pretty or compact, with strings that look like element boundaries.
    fn doc(n: u64, sep: &str, trap: bool) -> String {
        let mut s = String::from("[");
        for i in 0..n {
            if i > 0 {
                s.push(',');
                s.push_str(sep);
            }
            let pad = if trap { "x},{\\\"id\\\": 7}, {".repeat(40) } else { "y".repeat(300) };
            // nested objects in an array: `},{` at depth 3, where a cut may also be guessed
            s.push_str(&format!("{{\"id\":{i},\"pad\":\"{pad}\",\"n\":[1,{{\"a\":[]}},{{\"b\":2}}, {{\"c\":{{}}}}]}}"));
        }
        s.push(']');
        s
    }

    #[test]
    fn parts_give_the_sequential_result_whatever_the_cuts() {
        for (sep, trap) in [("", false), ("\n  ", false), ("", true), (" ", true)] {
            let text = doc(20_000, sep, trap);
            let (one_part, end1) = ids(&text, 1).expect("sequential");
            assert_eq!(one_part, (0..20_000).collect::<Vec<_>>());
            assert_eq!(end1, text.len());
            for parts in [2, 3, 7] {
                let (many, end) = ids(&text, parts).expect("parallel");
                assert_eq!((many, end), (one_part.clone(), end1), "sep {sep:?} trap {trap} parts {parts}");
            }
        }
    }

    #[test]
    fn cuts_follow_the_shape_of_the_first_element() {
        #[derive(Deserialize)]
        struct O {
            id: u64,
        }
        // every element holds nested objects after `},{`: the first-key shape still finds real
        // element starts, so every part is used
        for sep in ["", "\n  "] {
            let text = doc(20_000, sep, false);
            let (runs, _) = parse_array::<O, u64>(&text, 0, 4, 0, &|o: O| Some(o.id)).expect("parses");
            assert_eq!(runs.len(), 4, "sep {sep:?}: a cut fell on a nested object");
            assert_eq!(runs.concat(), (0..20_000).collect::<Vec<_>>());
        }
        let b = br#"[ {"type": 1}, {"x": {"type": 2}}]"#;
        let sh = shape(b, 1).expect("shape");
        assert_eq!((sh.indent, sh.head), (&b" "[..], &br#""type""#[..]));
        assert!(shape(b"[1,2]", 1).is_none() && shape(br#"[{"a\"b":1}]"#, 1).is_none());
    }

    #[test]
    fn invalid_arrays_fail_in_any_part() {
        let mut text = doc(20_000, "", false);
        // break an element in the second half: a missing comma
        let at = text.len() * 3 / 4;
        let cut = text[at..].find("},{").map(|i| at + i + 1).expect("boundary");
        text.replace_range(cut..cut + 1, " ");
        for parts in [1, 2, 4] {
            assert!(ids(&text, parts).is_err(), "parts {parts}");
        }
        assert!(ids("[", 1).is_err());
        assert!(ids("[{\"id\":1},]", 1).is_err());
        assert_eq!(ids("[ ]", 2).expect("empty").0, Vec::<u64>::new());
    }

    #[test]
    fn object_walk() {
        let mut seen = Vec::new();
        let text = r#" {"a": 1, "b" : [1, {"c": "}"}], "d\"": "x"} "#;
        walk_object(text, |k, pos| {
            seen.push(k.to_string());
            skip_value(text, pos)
        })
        .expect("walks");
        assert_eq!(seen, ["a", "b", "d\""]);
        for bad in ["", "[]", "{", "{\"a\" 1}", "{\"a\":1,}", "{\"a\":1} x", "{\"a\":1 \"b\":2}"] {
            assert!(walk_object(bad, |_, pos| skip_value(bad, pos)).is_err(), "{bad:?}");
        }
        assert!(walk_object(" {} ", |_, pos| Ok(pos)).is_ok());
    }
}
