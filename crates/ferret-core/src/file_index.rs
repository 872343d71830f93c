//! The compact, sorted index of files that tar, zip and folder evidence share.
//!
//! A full-filesystem dump has millions of files, and their paths repeat the same directories: at
//! 1.8 million files, whole paths held once each cost about 200 MB. The index holds each
//! directory once (`private/var/mobile/Library/SMS/`) and, per file, the directory's number and
//! the file's last component in a string arena of 4 MiB chunks, plus a 48-byte row (size, mtime,
//! caller data, copy number). Names are put back together when they are asked for: a lookup
//! compares a name piece by piece without building it, and a search ([`FileIndex::locate`]) builds
//! each name in one reused buffer.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use jiff::Timestamp;

use crate::evidence::{EvidenceError, EvidenceFile, Locator, compile_glob, copy_of, copy_path};

/// One indexed file, as returned by [`FileIndex::get`] and [`FileIndex::iter`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexItem {
    /// Normalised path.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time (Unix seconds), if known.
    pub mtime: Option<i64>,
    /// Caller data (for tar: the data offset in the decompressed stream).
    pub data: u64,
    /// For an earlier copy of a duplicated name: `(k, n)`, copy `k` (archive order) of `n`;
    /// `None` for the only or the last copy.
    pub copy: Option<(usize, usize)>,
}

impl IndexItem {
    /// The item as an [`EvidenceFile`] of a plain tree (an earlier copy of a duplicated name has
    /// the path `<name> (copy k of n)`); the name built for the item becomes its path, not
    /// copied once more.
    pub fn into_file(self) -> EvidenceFile {
        let modified = self.mtime.and_then(|s| Timestamp::from_second(s).ok());
        let path = self.copy.map(|(k, n)| copy_path(&self.name, k, n));
        let mut f = EvidenceFile { size: Some(self.size), modified, ..EvidenceFile::plain(self.name) };
        if let Some(path) = path {
            f.path = path;
        }
        f
    }
}

/// One file: 48 bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row {
    /// Where the last component is: arena chunk in the high half, offset in the low half.
    base: u64,
    pub(crate) size: u64,
    mtime: i64,
    pub(crate) data: u64,
    /// Directory number ([`FileIndex::dirs`]).
    dir: u32,
    base_len: u32,
    /// Free for the caller while the index is built (tar keeps its cache numbers there).
    pub(crate) flags: u32,
    /// The only or last copy of a name: its number of copies `n`. An earlier copy: `k` with
    /// [`EARLIER`] set (the group's plain row, which holds `n`, is `k` rows before it).
    dup: u32,
}

const NO_MTIME: i64 = i64::MIN;
const EARLIER: u32 = 1 << 31;

/// Size of a chunk of the name arena (a longer name gets a chunk of its own).
pub(crate) const NAME_CHUNK: usize = 4 << 20;

/// A compact, sorted list of file paths with size, mtime and one caller value each (see the
/// module docs).
///
/// The arena is a list of 4 MiB chunks, never one growing string: a growing string doubles (and
/// copies) itself, which held up to twice the names while the index was built.
#[derive(Debug, Clone)]
pub struct FileIndex {
    /// Last components, in push order.
    pub(crate) names: Vec<String>,
    /// Directories with their trailing `/`; number 0 is the top (`""`).
    dirs: Vec<Arc<str>>,
    /// Directory numbers, while the index is built (dropped by [`FileIndex::finish`]).
    dir_ids: HashMap<Arc<str>, u32>,
    /// Directory of the last push (archives list a directory's files together).
    last_dir: u32,
    pub(crate) rows: Vec<Row>,
}

impl Default for FileIndex {
    fn default() -> Self {
        Self { names: Vec::new(), dirs: vec![Arc::from("")], dir_ids: HashMap::new(), last_dir: 0, rows: Vec::new() }
    }
}

/// `a1 + a2` compared with `b1 + b2`, byte by byte, without building either.
fn cmp_joined(a: [&[u8]; 2], b: [&[u8]; 2]) -> Ordering {
    let (mut a, mut b) = (a.into_iter().filter(|s| !s.is_empty()), b.into_iter().filter(|s| !s.is_empty()));
    let (mut x, mut y) = (a.next().unwrap_or_default(), b.next().unwrap_or_default());
    loop {
        match (x.is_empty(), y.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            (false, false) => {}
        }
        let n = x.len().min(y.len());
        let (xh, xt) = x.split_at(n);
        let (yh, yt) = y.split_at(n);
        match xh.cmp(yh) {
            Ordering::Equal => {}
            o => return o,
        }
        x = if xt.is_empty() { a.next().unwrap_or_default() } else { xt };
        y = if yt.is_empty() { b.next().unwrap_or_default() } else { yt };
    }
}

impl FileIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes room for `n` more files at once (when the count is known, as from a zip's central
    /// directory: the row table then never grows by doubling, which held the old and the new
    /// table at once).
    pub fn reserve(&mut self, n: usize) {
        self.rows.reserve_exact(n);
    }

    /// Adds a file (call [`FileIndex::finish`] before looking anything up). Empty names and
    /// names longer than 4 GiB are ignored.
    pub fn push(&mut self, name: &str, size: u64, mtime: Option<i64>, data: u64) {
        if name.is_empty() {
            return;
        }
        let (dir, base) = match name.rfind('/') {
            Some(i) if i + 1 < name.len() => name.split_at(i + 1),
            _ => ("", name),
        };
        let Ok(base_len) = u32::try_from(base.len()) else { return };
        let Some(dir) = self.intern(dir) else { return };
        if self.names.last().is_none_or(|c| c.capacity() - c.len() < base.len()) {
            self.names.push(String::with_capacity(NAME_CHUNK.max(base.len())));
        }
        let chunk = self.names.len() - 1;
        let Some(arena) = self.names.last_mut() else { return };
        // chunk number in the high half, offset in the low half: grows with every push, as no
        // last component is empty
        let base_at = ((chunk as u64) << 32) | arena.len() as u64;
        arena.push_str(base);
        self.rows.push(Row {
            base: base_at,
            size,
            mtime: mtime.unwrap_or(NO_MTIME),
            data,
            dir,
            base_len,
            flags: 0,
            dup: 1,
        });
    }

    /// The number of directory `dir` (with its trailing `/`), added if new.
    fn intern(&mut self, dir: &str) -> Option<u32> {
        if dir.is_empty() {
            return Some(0);
        }
        if self.dirs.get(self.last_dir as usize).is_some_and(|d| &**d == dir) {
            return Some(self.last_dir);
        }
        let id = match self.dir_ids.get(dir) {
            Some(&id) => id,
            None => {
                let id = u32::try_from(self.dirs.len()).ok().filter(|&id| id < u32::MAX)?;
                let d: Arc<str> = Arc::from(dir);
                self.dirs.push(Arc::clone(&d));
                self.dir_ids.insert(d, id);
                id
            }
        };
        self.last_dir = id;
        Some(id)
    }

    fn dir_of(&self, r: &Row) -> &str {
        self.dirs.get(r.dir as usize).map_or("", |d| d)
    }

    fn base_of(&self, r: &Row) -> &str {
        let chunk = usize::try_from(r.base >> 32).unwrap_or(usize::MAX);
        let start = (r.base & u64::from(u32::MAX)) as usize;
        let end = start.saturating_add(r.base_len as usize);
        self.names.get(chunk).and_then(|c| c.get(start..end)).unwrap_or("")
    }

    /// A row's whole name, built.
    fn name_of(&self, r: &Row) -> String {
        let (dir, base) = (self.dir_of(r), self.base_of(r));
        let mut s = String::with_capacity(dir.len() + base.len());
        s.push_str(dir);
        s.push_str(base);
        s
    }

    fn cmp_rows(&self, a: &Row, b: &Row) -> Ordering {
        if a.dir == b.dir {
            return self.base_of(a).cmp(self.base_of(b));
        }
        let (da, db) = (self.dir_of(a).as_bytes(), self.dir_of(b).as_bytes());
        // Mostly the directories differ at a byte both have: that byte decides.
        let n = da.len().min(db.len());
        if let (Some(x), Some(y)) = (da.get(..n), db.get(..n))
            && x != y
        {
            return x.cmp(y);
        }
        cmp_joined([da, self.base_of(a).as_bytes()], [db, self.base_of(b).as_bytes()])
    }

    fn cmp_name(&self, r: &Row, name: &str) -> Ordering {
        cmp_joined([self.dir_of(r).as_bytes(), self.base_of(r).as_bytes()], [name.as_bytes(), &[]])
    }

    /// Sorts by name. Every copy of a duplicated name is kept: within a name, the copy pushed
    /// last comes first (it keeps the plain name), then the earlier ones in push order.
    pub fn finish(&mut self) {
        self.dir_ids = HashMap::new();
        let mut rows = std::mem::take(&mut self.rows);
        // Equal names keep their push order through the arena offset, which grows with every
        // push: no merge buffer (half the table) is needed, as a stable sort would take.
        rows.sort_unstable_by(|a, b| self.cmp_rows(a, b).then(a.base.cmp(&b.base)));
        let mut i = 0;
        while i < rows.len() {
            let mut j = i + 1;
            while rows.get(j).is_some_and(|r| rows.get(i).is_some_and(|first| self.cmp_rows(r, first).is_eq())) {
                j += 1;
            }
            let n = u32::try_from(j - i).unwrap_or(u32::MAX).min(EARLIER - 1);
            if let Some(group) = rows.get_mut(i..j) {
                group.rotate_right(1);
                for (k, r) in group.iter_mut().enumerate() {
                    r.dup = if k == 0 { n } else { EARLIER | u32::try_from(k).unwrap_or(EARLIER - 1) };
                }
            }
            i = j;
        }
        rows.shrink_to_fit();
        self.rows = rows;
        tracing::debug!(
            "file index: {} files in {} directories, {} bytes of names",
            self.rows.len(),
            self.dirs.len(),
            self.name_bytes()
        );
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there is no file.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Number of distinct directories holding files (the top counts as one).
    pub fn dir_count(&self) -> usize {
        self.dirs.len()
    }

    /// Bytes of names held: every file's last component and every directory once (the arena's
    /// unused room and per-directory overhead not counted).
    pub fn name_bytes(&self) -> usize {
        self.names.iter().map(String::len).sum::<usize>() + self.dirs.iter().map(|d| d.len()).sum::<usize>()
    }

    /// `(k, n)` for the earlier copy at position `pos`.
    fn copy_at(&self, pos: usize, r: &Row) -> Option<(usize, usize)> {
        if r.dup & EARLIER == 0 {
            return None;
        }
        let k = (r.dup & !EARLIER) as usize;
        let n = self.rows.get(pos.checked_sub(k)?)?.dup;
        Some((k, n as usize))
    }

    fn item(&self, pos: usize, r: &Row, name: String) -> IndexItem {
        IndexItem {
            name,
            size: r.size,
            mtime: (r.mtime != NO_MTIME).then_some(r.mtime),
            data: r.data,
            copy: self.copy_at(pos, r),
        }
    }

    /// Position of `name`'s plain (last) copy, or of its earlier copy `(k, n)`.
    pub(crate) fn position_copy(&self, name: &str, copy: Option<(usize, usize)>) -> Option<usize> {
        let first = self.rows.partition_point(|r| self.cmp_name(r, name).is_lt());
        let i = first + copy.map_or(0, |(k, _)| k);
        let r = self.rows.get(i).filter(|r| self.cmp_name(r, name).is_eq())?;
        let ok = match copy {
            None => r.dup & EARLIER == 0,
            Some((k, n)) => self.copy_at(i, r) == Some((k, n)),
        };
        ok.then_some(i)
    }

    /// Looks up the plain (last) copy of `name`, or its earlier copy `(k, n)`.
    pub(crate) fn get_copy(&self, name: &str, copy: Option<(usize, usize)>) -> Option<IndexItem> {
        let i = self.position_copy(name, copy)?;
        self.rows.get(i).map(|r| self.item(i, r, name.to_string()))
    }

    /// Looks a name up (after [`FileIndex::finish`]); of duplicated names, the last copy.
    pub fn get(&self, name: &str) -> Option<IndexItem> {
        self.get_copy(name, None)
    }

    /// Looks up the copy of a name a located file designates (see [`crate::evidence::copy_of`]).
    pub fn get_file(&self, file: &EvidenceFile) -> Option<IndexItem> {
        self.get_copy(&file.relative_path, copy_of(file))
    }

    /// Names that occur more than once, with their number of copies, in name order.
    pub fn duplicates(&self) -> Vec<(String, usize)> {
        self.rows
            .iter()
            .filter(|r| r.dup & EARLIER == 0 && r.dup > 1)
            .map(|r| (self.name_of(r), r.dup as usize))
            .collect()
    }

    /// Every file in name order (after [`FileIndex::finish`]); each name is built as it comes.
    pub fn iter(&self) -> impl Iterator<Item = IndexItem> + '_ {
        self.rows.iter().enumerate().map(|(i, r)| self.item(i, r, self.name_of(r)))
    }

    /// Calls `f` with every name in name order, built in one reused buffer (nothing allocated
    /// per file): a directory is copied in when it changes, then each last component after it.
    pub fn for_each_name(&self, mut f: impl FnMut(&str)) {
        let mut buf = String::new();
        let mut dir = u32::MAX;
        let mut dir_len = 0;
        for r in &self.rows {
            if r.dir != dir {
                dir = r.dir;
                buf.clear();
                buf.push_str(self.dir_of(r));
                dir_len = buf.len();
            }
            buf.truncate(dir_len);
            buf.push_str(self.base_of(r));
            f(&buf);
        }
    }

    /// Every file matching one of the locator's path globs, in name order.
    pub fn locate(&self, locator: &Locator) -> Result<Vec<EvidenceFile>, EvidenceError> {
        if locator.paths.is_empty() {
            return Ok(Vec::new());
        }
        let globs = locator.paths.iter().map(|p| compile_glob(p)).collect::<Result<Vec<_>, _>>()?;
        let mut out: Vec<EvidenceFile> = Vec::new();
        let mut name = String::new();
        for (i, r) in self.rows.iter().enumerate() {
            // Most names fail every glob's literal tail, checked without building the name.
            let (dir, base) = (self.dir_of(r), self.base_of(r));
            if !globs.iter().any(|g| g.tail_matches(dir, base)) {
                continue;
            }
            name.clear();
            name.push_str(dir);
            name.push_str(base);
            if globs.iter().any(|g| g.is_match(&name)) {
                out.push(self.item(i, r, name.clone()).into_file());
            }
        }
        // Copies' paths can sort after other names (`a (copy 1 of 2)` > `a!`): keep path order.
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Names across the arena's chunk boundaries, and one longer than a chunk, come back whole.
    #[test]
    fn file_index_names_span_chunks() {
        let mut idx = FileIndex::new();
        let long = "d/".to_string() + &"x".repeat(NAME_CHUNK + 10);
        let names: Vec<String> = (0..60_000).map(|i| format!("private/var/mobile/d{}/f{i:0>90}", i % 7)).collect();
        for (i, n) in names.iter().enumerate() {
            idx.push(n, i as u64, None, 0);
            if i == 30_000 {
                idx.push(&long, 1, None, 0);
            }
        }
        idx.finish();
        assert!(idx.names.len() >= 3, "{} chunks", idx.names.len());
        assert_eq!(idx.len(), 60_001);
        assert_eq!(idx.dir_count(), 9, "the top, 7 directories and d/");
        for (i, n) in names.iter().enumerate().step_by(997) {
            assert_eq!(idx.get(n).map(|it| it.size), Some(i as u64), "{n}");
        }
        assert_eq!(idx.get(&long).map(|it| it.name.len()), Some(long.len()));
        let mut sorted = names.clone();
        sorted.push(long.clone());
        sorted.sort();
        assert!(idx.iter().map(|it| it.name).eq(sorted.iter().cloned()));
        let mut scanned = Vec::new();
        idx.for_each_name(|n| scanned.push(n.to_string()));
        assert_eq!(scanned, sorted);
    }

    /// The order is the byte order of whole names, also where a directory's name is a prefix of
    /// another's (`a/` against `a-b/`: `-` sorts before `/`) and for files at the top.
    #[test]
    fn order_is_that_of_whole_names() {
        let names =
            ["a/b", "a-b/c", "a", "a/b/c", "a/b-c", "a.txt", "b", "a/", "ab/x", "a/a", "z/y/x", "z/y", "z/y!", "é/x"];
        let mut idx = FileIndex::new();
        for (i, n) in names.iter().enumerate() {
            idx.push(n, i as u64, Some(i as i64), 7);
        }
        idx.finish();
        let mut sorted: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        sorted.sort();
        let got: Vec<String> = idx.iter().map(|it| it.name).collect();
        assert_eq!(got, sorted);
        for (i, n) in names.iter().enumerate() {
            let it = idx.get(n).unwrap();
            assert_eq!((it.name.as_str(), it.size, it.mtime, it.data), (*n, i as u64, Some(i as i64), 7));
        }
        for absent in ["", "a/b/", "a-", "z/", "z/y/", "zz", "a/b/c/d", "0"] {
            assert!(idx.get(absent).is_none(), "{absent:?}");
        }
    }

    #[test]
    fn joined_comparison_agrees_with_whole_strings() {
        let parts = ["", "a", "a/", "ab", "a/b", "b", "/", "a-", "ä"];
        for a1 in parts {
            for a2 in parts {
                for b1 in parts {
                    for b2 in parts {
                        let (a, b) = (format!("{a1}{a2}"), format!("{b1}{b2}"));
                        let got = cmp_joined([a1.as_bytes(), a2.as_bytes()], [b1.as_bytes(), b2.as_bytes()]);
                        assert_eq!(got, a.cmp(&b), "{a1:?}+{a2:?} vs {b1:?}+{b2:?}");
                    }
                }
            }
        }
    }

    /// Copies of a duplicated name: the last pushed is the plain one, the earlier ones follow in
    /// push order as `(k, n)`, and each is found by its own copy number only.
    #[test]
    fn duplicates_keep_every_copy() {
        let mut idx = FileIndex::new();
        for (i, n) in ["d/x", "d/a", "e/a", "d/a", "d/b", "d/a"].iter().enumerate() {
            idx.push(n, i as u64, None, 0);
        }
        idx.finish();
        assert_eq!(idx.duplicates(), vec![("d/a".to_string(), 3)]);
        type Listed = (String, u64, Option<(usize, usize)>);
        let listed: Vec<Listed> = idx.iter().map(|it| (it.name, it.size, it.copy)).collect();
        assert_eq!(
            listed,
            vec![
                ("d/a".into(), 5, None),
                ("d/a".into(), 1, Some((1, 3))),
                ("d/a".into(), 3, Some((2, 3))),
                ("d/b".into(), 4, None),
                ("d/x".into(), 0, None),
                ("e/a".into(), 2, None),
            ]
        );
        assert_eq!(idx.get_copy("d/a", Some((2, 3))).map(|i| i.size), Some(3));
        assert_eq!(idx.get_copy("d/a", Some((1, 3))).map(|i| i.size), Some(1));
        for wrong in [Some((2, 2)), Some((3, 3)), Some((1, 2)), Some((0, 3))] {
            assert!(idx.get_copy("d/a", wrong).is_none(), "{wrong:?}");
        }
        assert!(idx.get_copy("d/b", Some((1, 2))).is_none());
        let files = idx.locate(&Locator { backup: &[], paths: &["d/a"] }).unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["d/a", "d/a (copy 1 of 3)", "d/a (copy 2 of 3)"]);
        assert_eq!(idx.get_file(&files[2]).map(|i| i.size), Some(3));
    }

    /// `locate` finds exactly what each glob matches on whole names, also where a glob's literal
    /// tail reaches into the directory (`SMS/sms.db`).
    #[test]
    fn locate_matches_whole_names() {
        let names = [
            "private/var/mobile/Library/SMS/sms.db",
            "private/var/mobile/Library/SMS/sms.db-wal",
            "private/var/mobile/Library/XSMS/sms.db",
            "sms.db",
            "a/Library/Preferences/com.apple.x.plist",
            "Library/Preferences/x.plist",
            "x.plist",
            "logs/1/system_logs.logarchive/Persist/0.tracev3",
            "logs/1/system_logs.logarchive/0.tracev3",
        ];
        static PATTERNS: &[&str] = &[
            "private/var/mobile/Library/SMS/sms.db",
            "**/SMS/sms.db",
            "**/sms.db",
            "**/Library/Preferences/*.plist",
            "*.plist",
            "logs/**/system_logs.logarchive/*/*.tracev3",
            "**",
        ];
        let mut idx = FileIndex::new();
        for n in names {
            idx.push(n, 0, None, 0);
        }
        idx.finish();
        for p in PATTERNS {
            let g = compile_glob(p).unwrap();
            let mut want: Vec<&str> = names.iter().copied().filter(|n| g.is_match(n)).collect();
            want.sort_unstable();
            let paths: Vec<String> = idx
                .locate(&Locator { backup: &[], paths: std::slice::from_ref(p) })
                .unwrap()
                .into_iter()
                .map(|f| f.path)
                .collect();
            assert_eq!(paths, want, "{p}");
            assert!(!want.is_empty(), "{p} matches something");
        }
    }

    /// Names that end with `/` or hold only slashes are kept whole, and the empty name is not
    /// indexed.
    #[test]
    fn odd_names() {
        let mut idx = FileIndex::new();
        for n in ["x/", "/", "//", "", "x/y", "z"] {
            idx.push(n, 1, None, 0);
        }
        idx.finish();
        let got: Vec<String> = idx.iter().map(|it| it.name).collect();
        assert_eq!(got, ["/", "//", "x/", "x/y", "z"]);
        assert!(idx.get("").is_none());
        // the top is one directory, also when a top-level name follows another directory's
        assert_eq!(idx.dir_count(), 2);
    }
}
