//! The in-memory index of `Manifest.db`'s Files table, held compactly.
//!
//! Every row is kept (modules locate their files by domain and path glob, without a query per
//! lookup), so at millions of rows its size is most of a backup check's memory. Rows are sorted
//! by (domain, relative path) in byte order; file IDs and flags sit in parallel vectors, and the
//! paths are front-coded in blocks of [`BLOCK`] rows: the first path of a block whole, each next
//! one as the number of bytes it shares with the previous path and the rest. Sorted neighbours
//! share most of their path (`Library/SMS/Attachments/0a/10/...`), so a row costs its 21 bytes of
//! ID and flags plus a few bytes of path, instead of an allocation per path.
//!
//! `Manifest.db` is device-supplied: its rows normally arrive in order (`ORDER BY domain,
//! relativePath`), and are then encoded as they come; if they do not (a crafted schema can give
//! the columns another collation), the builder falls back to collecting and sorting them.

use std::collections::HashMap;
use std::ops::Range;

/// Rows per front-coding block: a path is decoded from at most this many.
pub(crate) const BLOCK: usize = 16;

/// The Files table, sorted by (domain, relative path).
#[derive(Debug, Default)]
pub(crate) struct Index {
    /// Domain names, sorted.
    domains: Vec<String>,
    /// Row range of each domain.
    ranges: Vec<Range<usize>>,
    /// File ID of each row.
    ids: Vec<[u8; 20]>,
    /// `flags` of each row (1: regular file).
    flags: Vec<u8>,
    /// Offset in `data` of each block's first row.
    blocks: Vec<usize>,
    /// Encoded paths: per row, `shared` and `suffix length` as LEB128, then the suffix bytes.
    data: Vec<u8>,
}

fn put_varint(out: &mut Vec<u8>, mut v: usize) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(data: &[u8], pos: &mut usize) -> Option<usize> {
    let mut v = 0usize;
    for shift in (0..usize::BITS).step_by(7) {
        let b = *data.get(*pos)?;
        *pos += 1;
        v |= usize::from(b & 0x7f).checked_shl(shift)?;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// Length of the common prefix of `a` and `b`, on a `char` boundary of both.
fn shared_prefix(a: &str, b: &str) -> usize {
    let n = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    (0..=n).rev().find(|&i| a.is_char_boundary(i) && b.is_char_boundary(i)).unwrap_or(0)
}

impl Index {
    /// Number of rows.
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Domain names, sorted.
    pub(crate) fn domains(&self) -> &[String] {
        &self.domains
    }

    /// Row range of domain number `d` (empty if there is none).
    pub(crate) fn range(&self, d: usize) -> Range<usize> {
        self.ranges.get(d).cloned().unwrap_or(0..0)
    }

    /// The domain of row `i`.
    pub(crate) fn domain_of(&self, i: usize) -> Option<&str> {
        if i >= self.len() {
            return None;
        }
        let d = self.ranges.partition_point(|r| r.end <= i);
        self.domains.get(d).map(String::as_str)
    }

    /// File ID of row `i`.
    pub(crate) fn id(&self, i: usize) -> Option<&[u8; 20]> {
        self.ids.get(i)
    }

    /// `flags` of row `i`.
    pub(crate) fn flags(&self, i: usize) -> Option<u8> {
        self.flags.get(i).copied()
    }

    /// Relative path of row `i`.
    pub(crate) fn path(&self, i: usize) -> Option<String> {
        if i >= self.len() {
            return None;
        }
        let start = i - i % BLOCK;
        let mut last = None;
        self.walk(start..i + 1, &mut |_, p| last = Some(p.to_string()));
        last
    }

    /// Calls `visit(row, path)` for every row of `rows`, in order, decoding each path once.
    pub(crate) fn walk(&self, rows: Range<usize>, visit: &mut dyn FnMut(usize, &str)) {
        let end = rows.end.min(self.len());
        if rows.start >= end {
            return;
        }
        let first = rows.start - rows.start % BLOCK;
        let Some(mut pos) = self.blocks.get(first / BLOCK).copied() else { return };
        let mut path = String::new();
        for i in first..end {
            let (Some(shared), Some(len)) = (get_varint(&self.data, &mut pos), get_varint(&self.data, &mut pos)) else {
                return;
            };
            let Some(suffix) = self.data.get(pos..pos.saturating_add(len)) else { return };
            pos += len;
            // written by the builder from `str`s, cut on char boundaries: always valid
            let Ok(suffix) = std::str::from_utf8(suffix) else { return };
            path.truncate(shared.min(path.len()));
            path.push_str(suffix);
            if i >= rows.start {
                visit(i, &path);
            }
        }
    }

    /// The row `domain`/`rel` (any flags), by binary search.
    pub(crate) fn find(&self, domain: &str, rel: &str) -> Option<usize> {
        let d = self.domains.binary_search_by(|x| x.as_str().cmp(domain)).ok()?;
        let range = self.range(d);
        // binary search over the blocks' first rows within the range, then a scan of one block
        let (mut lo, mut hi) = (range.start, range.end);
        while hi - lo > BLOCK {
            let mid = lo + (hi - lo) / 2;
            let p = self.path(mid)?;
            match p.as_str().cmp(rel) {
                std::cmp::Ordering::Greater => hi = mid,
                _ => lo = mid,
            }
        }
        let mut hit = None;
        self.walk(lo..hi, &mut |i, p| {
            if hit.is_none() && p == rel {
                hit = Some(i);
            }
        });
        hit
    }

    /// Gives back the vectors' unused capacity (they grew by doubling while rows came in).
    fn shrink(&mut self) {
        self.ids.shrink_to_fit();
        self.flags.shrink_to_fit();
        self.blocks.shrink_to_fit();
        self.data.shrink_to_fit();
        self.ranges.shrink_to_fit();
    }

    /// Bytes held (for the memory report in the bench notes and tests).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.domains.iter().map(String::capacity).sum::<usize>()
            + self.ranges.capacity() * std::mem::size_of::<Range<usize>>()
            + self.ids.capacity() * 20
            + self.flags.capacity()
            + self.blocks.capacity() * std::mem::size_of::<usize>()
            + self.data.capacity()
    }
}

/// A row collected for sorting: domain number, path, file ID, flags.
type Row = (u32, Box<str>, [u8; 20], u8);

/// Builds an [`Index`] from rows in any order (fast when they come sorted).
#[derive(Debug, Default)]
pub(crate) struct IndexBuilder {
    index: Index,
    domain_ids: HashMap<String, u32>,
    /// Domain number and path of the last row encoded.
    prev: Option<(u32, String)>,
    /// Rows collected once the input turned out unsorted: (domain number, path, ID, flags).
    unsorted: Option<Vec<Row>>,
    /// Domain names in first-seen order (while `unsorted`).
    seen: Vec<String>,
}

impl IndexBuilder {
    /// Adds one row.
    pub(crate) fn push(&mut self, domain: &str, rel: &str, id: [u8; 20], flags: u8) {
        let d = match self.domain_ids.get(domain) {
            Some(d) => *d,
            None => {
                let d = u32::try_from(self.seen.len()).unwrap_or(u32::MAX);
                self.seen.push(domain.to_string());
                self.domain_ids.insert(domain.to_string(), d);
                d
            }
        };
        if let Some(rows) = &mut self.unsorted {
            rows.push((d, rel.into(), id, flags));
            return;
        }
        let in_order = match &self.prev {
            None => true,
            Some((pd, pp)) if *pd == d => pp.as_str() <= rel,
            // a new domain must sort after the previous one, and not have been seen before
            Some((pd, _)) => d as usize == self.seen.len() - 1 && self.seen[*pd as usize].as_str() < domain,
        };
        if in_order {
            self.encode(d, rel, id, flags);
        } else {
            self.spill();
            if let Some(rows) = &mut self.unsorted {
                rows.push((d, rel.into(), id, flags));
            }
        }
    }

    /// Appends a row in order to the index.
    fn encode(&mut self, d: u32, rel: &str, id: [u8; 20], flags: u8) {
        let ix = &mut self.index;
        let i = ix.ids.len();
        let prev_path = self.prev.as_ref().map(|(_, p)| p.as_str()).unwrap_or_default();
        let shared = if i.is_multiple_of(BLOCK) {
            ix.blocks.push(ix.data.len());
            0
        } else {
            shared_prefix(prev_path, rel)
        };
        put_varint(&mut ix.data, shared);
        put_varint(&mut ix.data, rel.len() - shared);
        ix.data.extend_from_slice(&rel.as_bytes()[shared..]);
        ix.ids.push(id);
        ix.flags.push(flags);
        match ix.ranges.get_mut(d as usize) {
            Some(r) => r.end = i + 1,
            None => ix.ranges.push(i..i + 1),
        }
        match &mut self.prev {
            Some((pd, pp)) => {
                *pd = d;
                pp.clear();
                pp.push_str(rel);
            }
            None => self.prev = Some((d, rel.to_string())),
        }
    }

    /// Moves the rows encoded so far into the unsorted collection.
    fn spill(&mut self) {
        let old = std::mem::take(&mut self.index);
        let mut rows = Vec::with_capacity(old.len() + 1);
        for (d, r) in old.ranges.iter().enumerate() {
            old.walk(r.clone(), &mut |i, p| {
                rows.push((d as u32, p.into(), old.ids[i], old.flags[i]));
            });
        }
        self.unsorted = Some(rows);
        self.prev = None;
    }

    /// The index: domains in name order, rows by (domain, path) in byte order.
    pub(crate) fn finish(mut self) -> Index {
        let Some(mut rows) = self.unsorted.take() else {
            let mut ix = self.index;
            ix.domains = self.seen;
            ix.shrink();
            return ix;
        };
        let mut order: Vec<u32> = (0..self.seen.len() as u32).collect();
        order.sort_by(|a, b| self.seen[*a as usize].cmp(&self.seen[*b as usize]));
        let mut remap = vec![0u32; self.seen.len()];
        for (new, old) in order.iter().enumerate() {
            remap[*old as usize] = new as u32;
        }
        for r in &mut rows {
            r.0 = remap[r.0 as usize];
        }
        rows.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        let mut sorted = IndexBuilder::default();
        for (d, rel, id, flags) in rows {
            sorted.encode(d, &rel, id, flags);
        }
        let mut ix = sorted.index;
        ix.domains = order.iter().map(|o| self.seen[*o as usize].clone()).collect();
        ix.shrink();
        ix
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn id(n: usize) -> [u8; 20] {
        let mut a = [0u8; 20];
        a[..8].copy_from_slice(&(n as u64).to_le_bytes());
        a
    }

    /// The same rows as plain tuples, sorted as the index must hold them.
    fn naive(rows: &[(&str, String, u8)]) -> Vec<(String, String, [u8; 20], u8)> {
        let mut v: Vec<_> =
            rows.iter().enumerate().map(|(n, (d, p, f))| (d.to_string(), p.clone(), id(n), *f)).collect();
        v.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        v
    }

    fn build(rows: &[(&str, String, u8)]) -> Index {
        let mut b = IndexBuilder::default();
        for (n, (d, p, f)) in rows.iter().enumerate() {
            b.push(d, p, id(n), *f);
        }
        b.finish()
    }

    fn contents(ix: &Index) -> Vec<(String, String, [u8; 20], u8)> {
        let mut out = Vec::new();
        ix.walk(0..ix.len(), &mut |i, p| {
            out.push((ix.domain_of(i).unwrap().to_string(), p.to_string(), *ix.id(i).unwrap(), ix.flags(i).unwrap()))
        });
        out
    }

    fn sample() -> Vec<(&'static str, String, u8)> {
        let mut rows = Vec::new();
        for d in ["AppDomain-com.example.a", "HomeDomain", "MediaDomain"] {
            for n in 0..57 {
                rows.push((
                    d,
                    format!("Library/SMS/Attachments/{:02x}/{n:03}/IMG_{n}.jpeg", n % 7),
                    (n % 3 == 0) as u8,
                ));
            }
            rows.push((d, "Library".to_string(), 2));
            rows.push((d, "Library/Préférences/é".to_string(), 1));
            rows.push((d, "Library/Préférences/è".to_string(), 1));
            rows.push((d, String::new(), 2));
        }
        rows
    }

    #[test]
    fn sorted_and_unsorted_input_give_the_same_index() {
        let mut rows = sample();
        rows.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let sorted = build(&rows);
        assert_eq!(contents(&sorted), naive(&rows));
        // shuffled deterministically (reverse, then interleave): falls back to sorting
        rows.reverse();
        let (a, b) = rows.split_at(rows.len() / 2);
        let mixed: Vec<_> = a.iter().zip(b).flat_map(|(x, y)| [x.clone(), y.clone()]).collect();
        let unsorted = build(&mixed);
        assert_eq!(contents(&unsorted), naive(&mixed));
        assert_eq!(unsorted.domains(), ["AppDomain-com.example.a", "HomeDomain", "MediaDomain"]);
    }

    #[test]
    fn find_path_and_domain_of_every_row() {
        let mut rows = sample();
        rows.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let ix = build(&rows);
        for (i, (d, p, _, _)) in naive(&rows).iter().enumerate() {
            assert_eq!(ix.find(d, p), Some(i), "{d}/{p}");
            assert_eq!(ix.path(i).as_deref(), Some(p.as_str()));
            assert_eq!(ix.domain_of(i), Some(d.as_str()));
        }
        assert_eq!(ix.find("HomeDomain", "Library/SMS/Attachments/00/000/IMG_0.jpe"), None);
        assert_eq!(ix.find("HomeDomain", "Library/SMS/Attachments/00/000/IMG_0.jpeg2"), None);
        assert_eq!(ix.find("NoDomain", "Library"), None);
        assert_eq!(ix.path(ix.len()), None);
        assert_eq!(ix.domain_of(ix.len()), None);
        let mut seen = Vec::new();
        ix.walk(5..40, &mut |i, _| seen.push(i));
        assert_eq!(seen, (5..40).collect::<Vec<_>>());
        ix.walk(ix.len() + 3..ix.len() + 9, &mut |_, _| panic!("no row"));
    }

    #[test]
    fn duplicates_empty_input_and_long_paths() {
        assert_eq!(build(&[]).len(), 0);
        assert_eq!(build(&[]).find("HomeDomain", ""), None);
        let long = "x/".repeat(40_000);
        let rows = vec![("D", long.clone(), 1), ("D", long.clone(), 1), ("D", format!("{long}y"), 1)];
        let ix = build(&rows);
        assert_eq!(contents(&ix), naive(&rows));
        assert!(ix.find("D", &long).is_some_and(|i| i < 2));
    }

    #[test]
    fn front_coding_keeps_the_index_small() {
        let mut rows: Vec<(&str, String, u8)> = (0..20_000)
            .map(|n| {
                (
                    "MediaDomain",
                    format!("Library/SMS/Attachments/{:02x}/{:02}/{n:08}/IMG_{n:04}.HEIC", n % 256, n % 16),
                    1,
                )
            })
            .collect();
        rows.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let ix = build(&rows);
        let plain: usize = rows.iter().map(|r| r.1.len()).sum();
        // 21 bytes of ID and flags per row, and well under half of the plain path bytes
        assert!(ix.heap_bytes() < rows.len() * 21 + plain / 2, "{} vs {plain}", ix.heap_bytes());
        assert_eq!(contents(&ix), naive(&rows));
    }
}
