//! Prepared copies of large indicator files: what a file parsed and compiled into, kept in
//! ferret's own cache folder so that the next load skips JSON parsing, name resolution and
//! pattern compilation (most of the time of a 100,000-indicator bundle).
//!
//! * **Only ever a shortcut**: a prepared copy is used only if the file's SHA-256, computed on
//!   every load (on a second thread, while the copy is decoded), equals the one the copy was made
//!   from, and the copy was written by a build of the same code ([`CODE_ID`]), for the same path
//!   as given, file name and explicitness. Otherwise (or if the copy is damaged in any way) the
//!   file is parsed as usual and the copy rewritten. Results are identical either way.
//! * **Where**: `$FERRET_DATA_DIR/prepared`, else `$XDG_CACHE_HOME/ferret/prepared`, else
//!   `~/.cache/ferret/prepared` ([`default_prepared_dir`]); created only inside a base folder
//!   that exists. `FERRET_NO_PREPARED=1` turns the feature off. Nothing is ever
//!   written next to the indicator files. Files smaller than [`PREPARE_MIN_SIZE`] are not
//!   prepared (parsing them is as fast as reading a copy). At most [`MAX_COPIES`] copies are
//!   kept; the oldest are removed.
//! * **Format**: `MAGIC`, then a postcard-encoded `Header` (identity, SHA-256 of the source,
//!   CRC-32 of the rest), then the postcard-encoded `Payload`. Exact entries are stored as
//!   their prepared keys; slow rules (LIKE, MATCHES, ranges...) as their canonical text, compiled
//!   again on load (they hold regexes), and a file whose slow rules do not compile back to the
//!   same rule is not prepared at all.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::compile::{Compiled, Rule, compile_text_into};
use crate::index::{FastMap, Key};
use crate::kind::Kind;
use crate::load::{Format, MAX_FILE_SIZE, Parsed, RejectedPattern};

/// Smallest indicator file that gets a prepared copy, in bytes.
pub const PREPARE_MIN_SIZE: u64 = 1 << 20;
/// Most prepared copies kept in the folder.
pub const MAX_COPIES: usize = 32;
/// Fingerprint of the code that parses and compiles indicator files (see `build.rs`).
pub const CODE_ID: &str = env!("FERRET_INDICATORS_CODE_ID");
const MAGIC: &[u8; 8] = b"FRTPREP\x01";
const EXTENSION: &str = "prep";

/// The prepared-copy folder: `$FERRET_DATA_DIR/prepared`, `$XDG_CACHE_HOME/ferret/prepared` or
/// `~/.cache/ferret/prepared`. `None` when `FERRET_NO_PREPARED` is set (non-empty), or when the
/// base folder (`$FERRET_DATA_DIR`, `$XDG_CACHE_HOME`, `~/.cache`) does not exist: ferret creates
/// its own folders inside it, never the base itself.
pub fn default_prepared_dir() -> Option<PathBuf> {
    if crate::update::nonempty("FERRET_NO_PREPARED").is_some() {
        return None;
    }
    cache_dir("prepared")
}

/// A folder of ferret's cache: `$FERRET_DATA_DIR/<name>`, `$XDG_CACHE_HOME/ferret/<name>` or
/// `~/.cache/ferret/<name>`; `None` when that base folder does not exist (ferret creates its own
/// folders inside it, never the base itself). Prepared indicator copies and `hunt`'s indexes
/// live there.
pub fn cache_dir(name: &str) -> Option<PathBuf> {
    use crate::update::nonempty;
    let (base, below): (PathBuf, Vec<&str>) = if let Some(d) = nonempty("FERRET_DATA_DIR") {
        (d, vec![name])
    } else if let Some(d) = nonempty("XDG_CACHE_HOME") {
        (d, vec!["ferret", name])
    } else {
        (nonempty("HOME")?.join(".cache"), vec!["ferret", name])
    };
    base.is_dir().then(|| below.iter().fold(base, |p, c| p.join(c)))
}

/// Who a prepared copy is for: everything besides the content that changes what parsing gives.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Identity<'a> {
    /// The path as given (it appears in rejected patterns and warnings).
    pub(crate) label: &'a str,
    /// The file name (chooses the format; names the indicators' file).
    pub(crate) file_name: &'a str,
    /// Given explicitly (a `.json` that is not a bundle is an error, not skipped).
    pub(crate) explicit: bool,
    /// Size in bytes.
    pub(crate) len: u64,
}

#[derive(Serialize, Deserialize)]
struct Header<'a> {
    code_id: &'a str,
    label: &'a str,
    file_name: &'a str,
    explicit: bool,
    len: u64,
    sha256: &'a str,
    crc32: u32,
}

#[derive(Serialize, Deserialize)]
enum Payload<'a> {
    /// A `.json` found in a folder that is not a STIX bundle.
    NotIndicators,
    /// The file was rejected.
    Rejected(&'a str),
    #[serde(borrow)]
    Parsed(WireParsed<'a>),
}

#[derive(Serialize, Deserialize)]
struct WireParsed<'a> {
    format: u8,
    set_name: &'a str,
    #[serde(borrow)]
    names: Vec<&'a str>,
    #[serde(borrow)]
    entries: Vec<Entry<'a>>,
    #[serde(borrow)]
    rejected: Vec<[&'a str; 4]>,
    #[serde(borrow)]
    warnings: Vec<&'a str>,
    /// `[name, source, url]` of each write-up reference.
    #[serde(borrow)]
    references: Vec<[&'a str; 3]>,
}

#[derive(Serialize, Deserialize)]
enum Entry<'a> {
    Exact { kind: u8, key_kind: u8, key: &'a str, value: &'a str, name: u32 },
    Net { kind: u8, net: String, value: &'a str, name: u32 },
    Slow { kind: u8, text: &'a str, name: u32 },
}

fn format_code(f: Format) -> u8 {
    match f {
        Format::Stix2 => 0,
        Format::IocYaml => 1,
        Format::List => 2,
    }
}

fn format_from(n: u8) -> Option<Format> {
    [Format::Stix2, Format::IocYaml, Format::List].into_iter().find(|f| format_code(*f) == n)
}

fn kind_from(n: u8) -> Option<Kind> {
    Kind::ALL.into_iter().find(|k| *k as u8 == n)
}

/// Where the prepared copy of `source` lives in `dir` (named by the SHA-256 of its canonical
/// path).
pub(crate) fn copy_path(dir: &Path, source: &Path) -> PathBuf {
    let canonical = std::fs::canonicalize(source).unwrap_or_else(|_| source.to_path_buf());
    let digest = Sha256::digest(canonical.as_os_str().as_encoded_bytes());
    dir.join(format!("{}.{EXTENSION}", hex::encode(digest.get(..20).unwrap_or_default())))
}

/// SHA-256 and size of a file, read in 1 MiB pieces (no buffer the size of the file).
fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    use std::io::Read;
    let f = std::fs::File::open(path)?;
    let mut f = f.take(MAX_FILE_SIZE + 1);
    let mut buf = vec![0u8; 1 << 20];
    let mut h = Sha256::new();
    let mut total = 0u64;
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        h.update(buf.get(..n).unwrap_or_default());
        total += n as u64;
    }
    Ok((hex::encode(h.finalize()), total))
}

/// A prepared copy being checked against its source file: the source is hashed on its own thread
/// while the caller goes on (decoding the copy, adding it to the index).
#[derive(Debug)]
pub(crate) struct Verification {
    expected: String,
    len: u64,
    hashing: Option<std::thread::JoinHandle<std::io::Result<(String, u64)>>>,
    source: PathBuf,
}

impl Verification {
    fn start(source: &Path, expected: &str, len: u64) -> Self {
        let path = source.to_path_buf();
        let hashing = std::thread::Builder::new().name("ferret-verify".into()).spawn(move || hash_file(&path)).ok();
        Self { expected: expected.to_string(), len, hashing, source: source.to_path_buf() }
    }

    /// Waits for the hash: `Ok` if the source is still exactly what the copy was made from, else
    /// `Err(source path)` (parse it instead).
    pub(crate) fn check(self) -> Result<(), PathBuf> {
        let hashed = match self.hashing {
            Some(h) => h.join().unwrap_or_else(|_| Err(std::io::Error::other("hashing thread failed"))),
            None => hash_file(&self.source),
        };
        match hashed {
            Ok((sha, len)) if sha == self.expected && len == self.len => {
                tracing::debug!(file = %self.source.display(), "indicators read from their prepared copy (SHA-256 verified)");
                Ok(())
            }
            _ => {
                tracing::debug!(file = %self.source.display(), "prepared copy is stale; parsing the file");
                Err(self.source)
            }
        }
    }
}

/// The prepared copy at `copy` for `source`, if it is usable: returns the SHA-256 the copy was
/// made from, what parsing the file gives, and the [`Verification`] that must pass before the
/// result is used. `None` (parse the file instead) for a missing, damaged, foreign or outdated
/// copy.
pub(crate) fn load(
    copy: &Path,
    source: &Path,
    id: Identity<'_>,
) -> Option<(String, Result<Option<Parsed>, String>, Verification)> {
    let bytes = read_copy(copy)?;
    let (header, payload) = open_copy(&bytes)?;
    if header.code_id != CODE_ID
        || header.label != id.label
        || header.file_name != id.file_name
        || header.explicit != id.explicit
        || header.len != id.len
    {
        return None;
    }
    let verification = Verification::start(source, header.sha256, id.len);
    // (a copy that fails to decode leaves its verification thread to finish on its own)
    let outcome = decode(payload)?;
    Some((header.sha256.to_string(), outcome, verification))
}

/// The header and payload of a copy's bytes, if the magic is there and the payload's CRC-32 is
/// the one in the header.
fn open_copy(bytes: &[u8]) -> Option<(Header<'_>, &[u8])> {
    let rest = bytes.strip_prefix(MAGIC.as_slice())?;
    let (header, payload) = postcard::take_from_bytes::<Header<'_>>(rest).ok()?;
    (crc32fast::hash(payload) == header.crc32).then_some((header, payload))
}

fn read_copy(copy: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let f = std::fs::File::open(copy).ok()?;
    let len = f.metadata().ok()?.len();
    if len > MAX_FILE_SIZE {
        return None;
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).ok()?);
    f.take(MAX_FILE_SIZE).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// Decodes a payload into what parsing the file gave; `None` if anything is off.
fn decode(payload: &[u8]) -> Option<Result<Option<Parsed>, String>> {
    let parsed = match postcard::from_bytes::<Payload<'_>>(payload).ok()? {
        Payload::NotIndicators => return Some(Ok(None)),
        Payload::Rejected(reason) => return Some(Err(reason.to_string())),
        Payload::Parsed(p) => p,
    };
    let mut out = Parsed::new(format_from(parsed.format)?, parsed.set_name.to_string());
    let names: Vec<Arc<str>> = parsed.names.iter().map(|n| Arc::from(*n)).collect();
    let name = |i: u32| names.get(usize::try_from(i).ok()?).cloned();
    out.entries.reserve_exact(parsed.entries.len());
    let mut scratch = Compiled::default();
    for e in parsed.entries {
        match e {
            Entry::Exact { kind, key_kind, key, value, name: n } => {
                let rule = Rule::Exact {
                    kind: kind_from(kind)?,
                    key: Key::Exact(kind_from(key_kind)?, key.to_string()),
                    value: Arc::from(value),
                };
                out.push(rule, name(n)?);
            }
            Entry::Net { kind, net, value, name: n } => {
                let rule =
                    Rule::Exact { kind: kind_from(kind)?, key: Key::Net(net.parse().ok()?), value: Arc::from(value) };
                out.push(rule, name(n)?);
            }
            Entry::Slow { kind, text, name: n } => {
                out.push(recompile_slow(kind_from(kind)?, text, &mut scratch)?, name(n)?)
            }
        }
    }
    out.rejected = parsed
        .rejected
        .into_iter()
        .map(|[file, indicator_id, pattern, reason]| RejectedPattern {
            file: file.to_string(),
            indicator_id: indicator_id.to_string(),
            pattern: pattern.to_string(),
            reason: reason.to_string(),
        })
        .collect();
    out.warnings = parsed.warnings.into_iter().map(str::to_string).collect();
    out.references = parsed
        .references
        .into_iter()
        .map(|[name, source, url]| crate::load::Reference {
            name: name.to_string(),
            source: source.to_string(),
            url: url.to_string(),
        })
        .collect();
    Some(Ok(Some(out)))
}

/// The slow rule whose canonical text is `text`, compiled again; `None` unless it compiles to
/// exactly that one rule.
fn recompile_slow(kind: Kind, text: &str, scratch: &mut Compiled) -> Option<Rule> {
    scratch.rules.clear();
    scratch.notes.clear();
    compile_text_into(&format!("[{text}]"), scratch).ok()?;
    let rule = scratch.rules.pop()?;
    match &rule {
        Rule::Slow { kind: k, text: t, .. } if scratch.rules.is_empty() && *k == kind && t == text => Some(rule),
        _ => None,
    }
}

fn encode(outcome: &Result<Option<Parsed>, String>) -> Option<Vec<u8>> {
    let parsed = match outcome {
        Ok(None) => return postcard::to_stdvec(&Payload::NotIndicators).ok(),
        Err(reason) => return postcard::to_stdvec(&Payload::Rejected(reason)).ok(),
        Ok(Some(p)) => p,
    };
    let mut names: Vec<&str> = Vec::new();
    let mut name_ids: FastMap<&str, u32> = FastMap::default();
    let mut entries = Vec::with_capacity(parsed.entries.len());
    let mut scratch = Compiled::default();
    for (rule, name) in &parsed.entries {
        let next = u32::try_from(names.len()).ok()?;
        let n = *name_ids.entry(name.as_ref()).or_insert_with(|| {
            names.push(name);
            next
        });
        entries.push(match rule {
            Rule::Exact { kind, key: Key::Exact(key_kind, key), value } => {
                Entry::Exact { kind: *kind as u8, key_kind: *key_kind as u8, key, value, name: n }
            }
            Rule::Exact { kind, key: Key::Net(net), value } => {
                Entry::Net { kind: *kind as u8, net: net.to_string(), value, name: n }
            }
            Rule::Slow { kind, text, .. } => {
                // kept only if it compiles back to itself
                recompile_slow(*kind, text, &mut scratch)?;
                Entry::Slow { kind: *kind as u8, text, name: n }
            }
        });
    }
    let rejected: Vec<[&str; 4]> = parsed
        .rejected
        .iter()
        .map(|r| [r.file.as_str(), r.indicator_id.as_str(), r.pattern.as_str(), r.reason.as_str()])
        .collect();
    let wire = WireParsed {
        format: format_code(parsed.format),
        set_name: &parsed.set_name,
        names,
        entries,
        rejected,
        warnings: parsed.warnings.iter().map(String::as_str).collect(),
        references: parsed.references.iter().map(|r| [r.name.as_str(), r.source.as_str(), r.url.as_str()]).collect(),
    };
    postcard::to_stdvec(&Payload::Parsed(wire)).ok()
}

/// Writes the prepared copy of a file that was just parsed (atomically: a temporary file renamed
/// into place), then removes the oldest copies beyond [`MAX_COPIES`]. Failures only cost the
/// next load its shortcut, so they are logged, not reported.
pub(crate) fn store(dir: &Path, copy: &Path, id: Identity<'_>, sha256: &str, outcome: &Result<Option<Parsed>, String>) {
    if let Err(e) = try_store(dir, copy, id, sha256, outcome) {
        tracing::debug!(file = id.label, "no prepared copy written: {e}");
    }
}

fn try_store(
    dir: &Path,
    copy: &Path,
    id: Identity<'_>,
    sha256: &str,
    outcome: &Result<Option<Parsed>, String>,
) -> Result<(), String> {
    use std::io::Write;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let payload = encode(outcome).ok_or("a rule does not survive encoding")?;
    let header = Header {
        code_id: CODE_ID,
        label: id.label,
        file_name: id.file_name,
        explicit: id.explicit,
        len: id.len,
        sha256,
        crc32: crc32fast::hash(&payload),
    };
    let header = postcard::to_stdvec(&header).map_err(|e| e.to_string())?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".prep-")
        .tempfile_in(dir)
        .map_err(|e| format!("cannot create a temporary file: {e}"))?;
    let io = |e: std::io::Error| e.to_string();
    tmp.write_all(MAGIC).map_err(io)?;
    tmp.write_all(&header).map_err(io)?;
    tmp.write_all(&payload).map_err(io)?;
    tmp.persist(copy).map_err(|e| e.to_string())?;
    prune(dir, copy);
    Ok(())
}

/// Removes the least recently written copies beyond [`MAX_COPIES`] (never `keep`).
fn prune(dir: &Path, keep: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut copies: Vec<(std::time::SystemTime, PathBuf)> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == EXTENSION) && p != keep)
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
        .collect();
    if copies.len() < MAX_COPIES {
        return;
    }
    copies.sort();
    for (_, p) in copies.iter().take(copies.len() + 1 - MAX_COPIES) {
        let _ = std::fs::remove_file(p);
    }
}

/// Fuzzing entry point. `data` is `[n] [n × (position u32 LE, xor u8)] [indicator file]`: the
/// file (read as `fuzz.stix2`, or as a list when it starts with `#`) is parsed and encoded as a
/// prepared copy; with no flips the copy must decode to exactly what parsing gave, with flips
/// the damaged copy must decode to something or nothing, never panic. The raw input is also
/// decoded as a copy.
#[doc(hidden)]
pub fn fuzz_prepared(data: &[u8]) {
    decode_copy(data);
    let Some((&n, rest)) = data.split_first() else { return };
    let flips_len = usize::from(n) * 5;
    let (Some(flips), Some(file)) = (rest.get(..flips_len), rest.get(flips_len..)) else { return };
    let name = if file.first() == Some(&b'#') { "domains.txt" } else { "fuzz.stix2" };
    let parsed = crate::load::parse_bytes(file, "fuzz", name, None, true);
    let Some(payload) = encode(&parsed) else { return };
    let header = Header {
        code_id: CODE_ID,
        label: "fuzz",
        file_name: name,
        explicit: true,
        len: file.len() as u64,
        sha256: "",
        crc32: crc32fast::hash(&payload),
    };
    let Ok(header) = postcard::to_stdvec(&header) else { return };
    let mut copy = [MAGIC.as_slice(), &header, &payload].concat();
    if flips.is_empty() {
        let decoded = decode_copy(&copy).unwrap_or_else(|| panic!("a fresh copy does not decode"));
        assert_eq!(format!("{decoded:?}"), format!("{parsed:?}"), "copy and parse differ");
        return;
    }
    let len = copy.len();
    for f in flips.chunks_exact(5) {
        let pos = u32::from_le_bytes([f[0], f[1], f[2], f[3]]) as usize % len;
        if let Some(b) = copy.get_mut(pos) {
            *b ^= f[4];
        }
    }
    decode_copy(&copy);
}

/// A copy's bytes decoded as a load would (magic, CRC-32, payload); the fuzz target also decodes
/// payloads whose CRC-32 does not match (what a collision would let through).
fn decode_copy(bytes: &[u8]) -> Option<Result<Option<Parsed>, String>> {
    if let Some((_, payload)) = open_copy(bytes) {
        return decode(payload);
    }
    let rest = bytes.strip_prefix(MAGIC.as_slice())?;
    let (_, payload) = postcard::take_from_bytes::<Header<'_>>(rest).ok()?;
    let _ = decode(payload);
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    fn parsed(set_name: &str) -> Parsed {
        let mut p = Parsed::new(Format::List, set_name.to_string());
        let mut c = Compiled::default();
        compile_text_into("[domain-name:value = 'a.example' OR domain-name:value LIKE '%.b.example']", &mut c)
            .expect("compiles");
        for r in c.rules {
            p.push(r, Arc::from("name"));
        }
        p.references.push(crate::load::Reference {
            name: "name".into(),
            source: "Lab".into(),
            url: "https://lab.example/r".into(),
        });
        p
    }

    #[test]
    fn a_matching_copy_is_what_load_returns() {
        let tmp = tempfile::tempdir().expect("tmp");
        let source = tmp.path().join("domains.txt");
        std::fs::write(&source, "a.example\n").expect("write");
        let dir = tmp.path().join("prepared");
        let copy = copy_path(&dir, &source);
        let id = Identity { label: "L", file_name: "domains.txt", explicit: true, len: 10 };
        // a copy saying something parsing would never say: seeing it proves it was used
        store(&dir, &copy, id, &sha(b"a.example\n"), &Ok(Some(parsed("crafted"))));
        let (got_sha, outcome, verification) = load(&copy, &source, id).expect("usable");
        assert_eq!(got_sha, sha(b"a.example\n"));
        assert!(verification.check().is_ok());
        let p = outcome.expect("ok").expect("parsed");
        assert_eq!(p.set_name, "crafted");
        assert_eq!(p.entries.len(), 2);
        assert_eq!(p.references, parsed("crafted").references, "write-up references kept");
        assert!(matches!(p.entries[1].0, Rule::Slow { kind: Kind::Domain, .. }));

        // other identity, other code, other content: not used, or refused on verification
        for other in [
            Identity { label: "M", ..id },
            Identity { file_name: "x.txt", ..id },
            Identity { explicit: false, ..id },
            Identity { len: 11, ..id },
        ] {
            assert!(load(&copy, &source, other).is_none());
        }
        std::fs::write(&source, "b.example\n").expect("write");
        let (_, _, verification) = load(&copy, &source, id).expect("decodes");
        assert_eq!(verification.check(), Err(source.clone()));

        let mut bytes = std::fs::read(&copy).expect("read");
        let pos = bytes.windows(CODE_ID.len()).position(|w| w == CODE_ID.as_bytes()).expect("code id stored");
        bytes[pos] ^= 1;
        std::fs::write(&copy, &bytes).expect("write");
        assert!(load(&copy, &source, id).is_none(), "another build's copy");

        // rejected files and non-indicator files round-trip too
        for outcome in [Err("invalid JSON: x".to_string()), Ok(None)] {
            store(&dir, &copy, id, &sha(b"b.example\n"), &outcome);
            let (_, got, verification) = load(&copy, &source, id).expect("usable");
            assert!(verification.check().is_ok());
            assert_eq!(format!("{got:?}"), format!("{outcome:?}"));
        }
    }

    #[test]
    fn slow_rules_that_do_not_compile_back_are_not_stored() {
        let mut p = Parsed::new(Format::Stix2, "s".into());
        let mut c = Compiled::default();
        compile_text_into("[domain-name:value LIKE '%.b.example']", &mut c).expect("compiles");
        let Some(Rule::Slow { kind, cond, .. }) = c.rules.pop() else { panic!("slow") };
        p.push(Rule::Slow { kind, cond, text: "not a comparison".into() }, Arc::from("n"));
        assert!(encode(&Ok(Some(p))).is_none());
    }

    #[test]
    fn only_the_newest_copies_are_kept() {
        let tmp = tempfile::tempdir().expect("tmp");
        let base = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        let mut paths = Vec::new();
        for i in 0..MAX_COPIES + 5 {
            let p = tmp.path().join(format!("{i:02}.{EXTENSION}"));
            let f = std::fs::File::create(&p).expect("create");
            f.set_modified(base + std::time::Duration::from_secs(i as u64)).expect("mtime");
            paths.push(p);
        }
        std::fs::write(tmp.path().join("other.txt"), "x").expect("write");
        // the copy just written is kept even if it is the oldest
        prune(tmp.path(), &paths[0]);
        let left: Vec<bool> = paths.iter().map(|p| p.exists()).collect();
        assert!(left[0]);
        assert_eq!(left.iter().filter(|x| **x).count(), MAX_COPIES);
        assert!(!left[1] && !left[5] && left[6] && left[MAX_COPIES + 4]);
        assert!(tmp.path().join("other.txt").exists());
    }

    #[test]
    fn hostile_copies_do_not_panic() {
        let mut good = MAGIC.to_vec();
        let payload = encode(&Ok(Some(parsed("x")))).expect("encodes");
        let header = Header {
            code_id: CODE_ID,
            label: "L",
            file_name: "f",
            explicit: true,
            len: 1,
            sha256: "00",
            crc32: crc32fast::hash(&payload),
        };
        good.extend(postcard::to_stdvec(&header).expect("header"));
        good.extend(&payload);
        assert!(decode_copy(&good).is_some());
        for cut in 0..good.len() {
            assert!(decode_copy(&good[..cut]).is_none());
        }
        for i in 0..good.len() {
            for bit in [0x01, 0x80] {
                let mut b = good.clone();
                b[i] ^= bit;
                let _ = decode_copy(&b);
                let _ = decode(&b[MAGIC.len()..]);
            }
        }
        // the fuzz target's round trip, on a bundle with every entry type and on a list
        let bundle = br#"{"type":"bundle","objects":[{"type":"indicator","id":"indicator--1","pattern":"[domain-name:value = 'a.example' OR domain-name:value LIKE '%.b.example' OR ipv4-addr:value = '10.1.0.0/16']"},{"type":"indicator","id":"indicator--2","pattern":"[x:y = 'z']"}]}"#;
        fuzz_prepared(&[[0].as_slice(), bundle].concat());
        fuzz_prepared(b"\x00#\na.example\ncom\n");
        fuzz_prepared(b"\x00not json");
        fuzz_prepared(&[[1, 40, 0, 0, 0, 0xff].as_slice(), bundle].concat());
        // huge lengths and bad indexes are refused, not allocated or looked up
        assert!(decode(&[2, 0, 0xff, 0xff, 0xff, 0xff, 0x0f]).is_none());
        let bad_name = Payload::Parsed(WireParsed {
            format: 2,
            set_name: "s",
            names: vec![],
            entries: vec![Entry::Exact { kind: 0, key_kind: 0, key: "a.example", value: "a.example", name: 3 }],
            rejected: vec![],
            warnings: vec![],
            references: vec![],
        });
        assert!(decode(&postcard::to_stdvec(&bad_name).expect("enc")).is_none());
        let bad_kind = Payload::Parsed(WireParsed {
            format: 9,
            set_name: "s",
            names: vec![],
            entries: vec![],
            rejected: vec![],
            warnings: vec![],
            references: vec![],
        });
        assert!(decode(&postcard::to_stdvec(&bad_kind).expect("enc")).is_none());
    }
}
