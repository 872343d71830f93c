//! `unified_log`: processes and URLs/domains in the Apple unified log (tracev3), parsed natively
//! with Mandiant's `macos-unifiedlogs` (feature `unified-log`).
//!
//! # Format facts
//! * A sysdiagnose holds the log as `system_logs.logarchive/`: `Persist/`, `Special/`,
//!   `Signpost/`, `HighVolume/` folders of `*.tracev3` files (chunked, LZ4-compressed firehose
//!   entries, ~10 MB each), `timesync/*.timesync` (boot/continuous-time to wall-clock mapping),
//!   `XX/<30 hex>` UUIDText files (format strings of each binary; the UUID is folder + file name)
//!   and `dsc/<32 hex>` shared-cache string files. A filesystem dump has the same content split
//!   between `private/var/db/diagnostics/` (tracev3, timesync) and `private/var/db/uuidtext/`.
//! * Each entry names its process (executable path from the UUIDText footer), pid, subsystem,
//!   category and the formatted message; time is nanoseconds since the Unix epoch.
//!
//! # How it is read (bounded memory)
//! The crate is fed through its `FileProvider` trait from the evidence (folder, tar or tar.gz
//! alike), one tracev3 file at a time: a file is read whole (bounded to 256 MiB; real files are
//! ~10 MB), its entries are built, checked and dropped before the next file. Format strings are
//! loaded on demand per UUID and cached for the run (bounded by the logarchive's own UUIDText and
//! dsc files). Per-process summaries are kept in memory (one per distinct executable, capped at
//! [`MAX_PROCESSES`]). A tracev3 file the parser cannot read (or that makes it panic) is skipped
//! with a warning naming it.
//!
//! # Records
//! * `record_type: "process"`: one per distinct process path: first/last time seen, entry count,
//!   up to 16 pids.
//! * `record_type: "message"`: a log entry whose message contains a URL or host matching an
//!   indicator (only those are written; a 1 GB log has millions of entries).
//!
//! # Checks (levels)
//! * process records: CRITICAL when the path matches a file-path indicator or a component a
//!   process indicator; HIGH when it ran from a data/temporary folder (`/private/var/db/`,
//!   `/private/var/tmp/`, `/tmp/`), MEDIUM from another non-standard location (see
//!   [`super::executable_paths`]);
//! * message records: CRITICAL for every URL/domain indicator in the message (`check_text`).
//!
//! # Not covered by tests
//! No real-format tracev3 can be generated here: the tests cover discovery, missing and damaged
//! input only. A real `system_logs.logarchive` (any iOS 15+ sysdiagnose) is needed to test entry
//! decoding end to end; see the module tests.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::sync::Mutex;

use ferret_core::{
    ArtifactModule, Context, Evidence, EvidenceFile, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome,
    ioc_finding,
};
use jiff::Timestamp;
use macos_unifiedlogs::cache::MemoryStringCache;
use macos_unifiedlogs::dsc::SharedCacheStrings;
use macos_unifiedlogs::parser::{build_log, collect_timesync, parse_log};
use macos_unifiedlogs::traits::{FileProvider, SourceFile};
use macos_unifiedlogs::uuidtext::UUIDText;
use serde::{Deserialize, Serialize};

use super::executable_paths::{PathClass, check_path_or_process, classify};

/// Most distinct processes summarised.
pub const MAX_PROCESSES: usize = 100_000;
const TRACEV3_LIMIT: u64 = 256 * 1024 * 1024;
const UUIDTEXT_LIMIT: u64 = 64 * 1024 * 1024;
const DSC_LIMIT: u64 = 512 * 1024 * 1024;

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnifiedLog;

/// A process summary or a matching log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnifiedLogRecord {
    /// `process` or `message`.
    pub record_type: String,
    /// Executable path of the logging process.
    pub process: String,
    /// Entry time (message) or first time seen (process).
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub isodate: Option<Timestamp>,
    /// Last time seen (process records).
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub last_seen: Option<Timestamp>,
    /// Entries logged (process records).
    pub entries: Option<u64>,
    /// Pids seen (process records, at most 16) or the entry's pid.
    pub pids: Vec<u64>,
    /// Subsystem (message records).
    pub subsystem: Option<String>,
    /// Category (message records).
    pub category: Option<String>,
    /// Message text, truncated to 4000 characters (message records).
    pub message: Option<String>,
    /// The tracev3 file (message records).
    pub log_file: Option<String>,
}

static TRACEV3: Locator = Locator {
    backup: &[],
    paths: &[
        "system_logs.logarchive/*/*.tracev3",
        "system_logs.logarchive/logdata.LiveData.tracev3",
        "private/var/db/diagnostics/*/*.tracev3",
    ],
};
static TIMESYNC: Locator = Locator {
    backup: &[],
    paths: &["system_logs.logarchive/timesync/*.timesync", "private/var/db/diagnostics/timesync/*.timesync"],
};
static STRINGS: Locator =
    Locator { backup: &[], paths: &["system_logs.logarchive/*/*", "private/var/db/uuidtext/*/*"] };

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Serves the logarchive's files to the parser from any [`Evidence`].
struct EvidenceProvider<'a> {
    ev: &'a dyn Evidence,
    tracev3: Vec<EvidenceFile>,
    timesync: Vec<EvidenceFile>,
    /// Upper-case UUID → UUIDText file.
    uuidtext: HashMap<String, EvidenceFile>,
    /// Upper-case UUID → dsc file.
    dsc: HashMap<String, EvidenceFile>,
    problems: Mutex<Vec<String>>,
}

struct EvidenceSource<'a> {
    ev: &'a dyn Evidence,
    file: EvidenceFile,
    limit: u64,
    problems: &'a Mutex<Vec<String>>,
}

impl SourceFile for EvidenceSource<'_> {
    fn reader(&mut self) -> impl Read {
        match self.ev.open(&self.file) {
            Ok(r) => Box::new(r.take(self.limit)) as Box<dyn Read + '_>,
            Err(e) => {
                if let Ok(mut p) = self.problems.lock() {
                    p.push(e.to_string());
                }
                Box::new(std::io::empty())
            }
        }
    }
    fn source_path(&self) -> &str {
        &self.file.path
    }
}

impl<'a> EvidenceProvider<'a> {
    fn new(ev: &'a dyn Evidence) -> Result<Self, ModuleError> {
        let tracev3 = ev.locate(&TRACEV3)?;
        let timesync = ev.locate(&TIMESYNC)?;
        let mut uuidtext = HashMap::new();
        let mut dsc = HashMap::new();
        for f in ev.locate(&STRINGS)? {
            let mut parts = f.path.rsplit('/');
            let (Some(name), Some(parent)) = (parts.next(), parts.next()) else { continue };
            if parent == "dsc" && name.len() == 32 && is_hex(name) {
                dsc.insert(name.to_ascii_uppercase(), f);
            } else if parent.len() == 2 && is_hex(parent) && name.len() == 30 && is_hex(name) {
                uuidtext.insert(format!("{parent}{name}").to_ascii_uppercase(), f);
            }
        }
        Ok(Self { ev, tracev3, timesync, uuidtext, dsc, problems: Mutex::new(Vec::new()) })
    }

    fn source(&self, f: &EvidenceFile, limit: u64) -> EvidenceSource<'_> {
        EvidenceSource { ev: self.ev, file: f.clone(), limit, problems: &self.problems }
    }

    fn bytes(&self, f: &EvidenceFile, limit: u64) -> std::io::Result<Vec<u8>> {
        self.ev.read(f, limit).map_err(std::io::Error::other)
    }
}

fn norm_uuid(uuid: &str) -> String {
    format!("{uuid:0>32}").to_ascii_uppercase()
}

impl FileProvider for EvidenceProvider<'_> {
    fn tracev3_files(&self) -> impl Iterator<Item = impl SourceFile> {
        self.tracev3.iter().map(|f| self.source(f, TRACEV3_LIMIT))
    }
    fn uuidtext_files(&self) -> impl Iterator<Item = impl SourceFile> {
        let mut v: Vec<&EvidenceFile> = self.uuidtext.values().collect();
        v.sort();
        v.into_iter().map(|f| self.source(f, UUIDTEXT_LIMIT))
    }
    fn read_uuidtext(&self, uuid: &str) -> std::io::Result<UUIDText> {
        let f = self
            .uuidtext
            .get(&norm_uuid(uuid))
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, format!("no UUIDText {uuid}")))?;
        let buf = self.bytes(f, UUIDTEXT_LIMIT)?;
        UUIDText::parse_uuidtext(&buf)
            .map(|(_, u)| u)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}: {e:?}", f.path)))
    }
    fn dsc_files(&self) -> impl Iterator<Item = impl SourceFile> {
        let mut v: Vec<&EvidenceFile> = self.dsc.values().collect();
        v.sort();
        v.into_iter().map(|f| self.source(f, DSC_LIMIT))
    }
    fn read_dsc_uuid(&self, uuid: &str) -> std::io::Result<SharedCacheStrings> {
        let f = self
            .dsc
            .get(&norm_uuid(uuid))
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, format!("no dsc {uuid}")))?;
        let buf = self.bytes(f, DSC_LIMIT)?;
        SharedCacheStrings::parse_dsc(&buf)
            .map(|(_, u)| u)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}: {e:?}", f.path)))
    }
    fn timesync_files(&self) -> impl Iterator<Item = impl SourceFile> {
        self.timesync.iter().map(|f| self.source(f, UUIDTEXT_LIMIT))
    }
}

struct ProcSummary {
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    entries: u64,
    pids: Vec<u64>,
}

impl ArtifactModule for UnifiedLog {
    type Record = UnifiedLogRecord;
    const NAME: &'static str = "unified_log";
    const DESCRIPTION: &'static str = "Unified log (tracev3): processes and indicator URLs/domains in log messages";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let provider = EvidenceProvider::new(ctx.evidence)?;
        if provider.tracev3.is_empty() {
            return Ok(Outcome::NotFound);
        }
        let timesync = match collect_timesync(&provider) {
            Ok(t) => t,
            Err(e) => {
                out.warn(format!("unified log: timesync files unreadable ({e:?}); times may be missing"));
                HashMap::new()
            }
        };
        let cache = MemoryStringCache::default();
        let mut procs: BTreeMap<String, ProcSummary> = BTreeMap::new();
        let mut capped = false;
        for file in &provider.tracev3 {
            let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let mut src = provider.source(file, TRACEV3_LIMIT);
                let data = parse_log(src.reader(), &file.path).ok()?;
                Some(build_log(&data, &provider, &cache, &timesync, false).0)
            }));
            let entries = match parsed {
                Ok(Some(e)) => e,
                Ok(None) => {
                    out.warn(format!("{}: not a readable tracev3 file, skipped", file.path));
                    continue;
                }
                Err(_) => {
                    out.warn(format!("{}: the tracev3 parser crashed on this file, skipped", file.path));
                    continue;
                }
            };
            for e in entries {
                let t = ferret_core::time::from_unix_ns(e.time as i128);
                if !e.process.is_empty() {
                    if !procs.contains_key(&e.process) && procs.len() >= MAX_PROCESSES {
                        capped = true;
                    } else {
                        let s = procs.entry(e.process.clone()).or_insert(ProcSummary {
                            first: t,
                            last: t,
                            entries: 0,
                            pids: Vec::new(),
                        });
                        s.entries += 1;
                        if t < s.first || s.first.is_none() {
                            s.first = t;
                        }
                        if t > s.last {
                            s.last = t;
                        }
                        if s.pids.len() < 16 && !s.pids.contains(&e.pid) {
                            s.pids.push(e.pid);
                        }
                    }
                }
                if !ctx.indicators.is_empty() && !ctx.indicators.check_text(&e.message).is_empty() {
                    out.record(UnifiedLogRecord {
                        record_type: "message".into(),
                        process: e.process.clone(),
                        isodate: t,
                        last_seen: None,
                        entries: None,
                        pids: vec![e.pid],
                        subsystem: Some(e.subsystem.clone()),
                        category: Some(e.category.clone()),
                        message: Some(e.message.chars().take(4000).collect()),
                        log_file: Some(file.path.clone()),
                    })?;
                }
            }
        }
        if let Ok(p) = provider.problems.lock() {
            for w in p.iter() {
                out.warn(format!("unified log: {w}"));
            }
        }
        if capped {
            out.warn(format!("unified log: more than {MAX_PROCESSES} distinct processes; the rest are not summarised"));
        }
        for (process, s) in procs {
            out.record(UnifiedLogRecord {
                record_type: "process".into(),
                process,
                isodate: s.first,
                last_seen: s.last,
                entries: Some(s.entries),
                pids: s.pids,
                subsystem: None,
                category: None,
                message: None,
                log_file: None,
            })?;
        }
        Ok(Outcome::Completed)
    }

    fn timeline(&self, r: &UnifiedLogRecord, events: &mut Vec<(Timestamp, String, String)>) {
        if r.record_type == "message"
            && let Some(t) = r.isodate
        {
            events.push((t, "log_message".into(), format!("{}: {}", r.process, r.message.as_deref().unwrap_or(""))));
        }
    }

    fn check(&self, r: &UnifiedLogRecord, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if r.record_type == "message" {
            for (url, m) in ind.check_text(r.message.as_deref().unwrap_or("")) {
                f.push(ioc_finding(Level::Critical, "Unified log message mentions", &url, r.isodate, m));
            }
            return;
        }
        if let Some(m) = check_path_or_process(ind, &r.process) {
            f.push(ioc_finding(Level::Critical, "Process in the unified log", &r.process, r.isodate, m));
        }
        match classify(&r.process) {
            PathClass::Suspicious => f.push(Finding::heuristic(
                Level::High,
                format!("Process {:?} logged while running from a data or temporary folder, where no legitimate iOS binary lives", r.process),
                r.isodate,
            )),
            PathClass::Unusual => f.push(Finding::heuristic(
                Level::Medium,
                format!("Process {:?} logged while running from an unusual location (outside the system volume and app bundles)", r.process),
                r.isodate,
            )),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::executable_paths::testing::{both, run_on};
    use ferret_testdata::sysdiagnose::SysFile;

    fn f(path: &str, bytes: &[u8]) -> SysFile {
        SysFile { path: path.into(), bytes: bytes.to_vec(), mtime: 0 }
    }

    #[test]
    fn missing_and_damaged_logarchive() {
        let (_d, evs) = both(&[f("ps.txt", b"USER PID COMMAND\n")]);
        for ev in &evs {
            assert_eq!(run_on(UnifiedLog, ev.as_ref(), &ferret_core::NoIndicators).outcome, Ok(Outcome::NotFound));
        }
        // Garbage in every file type: no panic, each bad tracev3 is skipped with a warning.
        let mut junk = vec![0u8; 4096];
        junk[0..4].copy_from_slice(&0x1000u32.to_le_bytes());
        junk[4..8].copy_from_slice(&0x11u32.to_le_bytes());
        junk[8..16].copy_from_slice(&4000u64.to_le_bytes());
        let files = vec![
            f("system_logs.logarchive/Persist/0000000000000001.tracev3", &junk),
            f("system_logs.logarchive/Special/0000000000000002.tracev3", b"\xff\xfe not a log"),
            f("system_logs.logarchive/timesync/0000000000000001.timesync", b"\x00\x01"),
            f("system_logs.logarchive/AB/CDEF0123456789ABCDEF0123456789", b"junk"),
            f("system_logs.logarchive/dsc/ABCDEF0123456789ABCDEF0123456789", b"junk"),
        ];
        let (_d, evs) = both(&files);
        for ev in &evs {
            let r = run_on(UnifiedLog, ev.as_ref(), &ferret_core::NoIndicators);
            assert_eq!(r.outcome, Ok(Outcome::Completed));
            assert!(r.alerts.is_empty());
            assert!(r.warnings.iter().filter(|w| w.contains(".tracev3")).count() <= 2, "{:?}", r.warnings);
        }
    }

    #[test]
    fn provider_discovers_strings() {
        let files = vec![
            f("system_logs.logarchive/Persist/0000000000000001.tracev3", b""),
            f("system_logs.logarchive/ab/cdef0123456789abcdef0123456789", b""),
            f("system_logs.logarchive/dsc/ABCDEF0123456789ABCDEF0123456789", b""),
            f("system_logs.logarchive/Extra/shutdown.log", b""),
        ];
        let (_d, evs) = both(&files);
        let p = EvidenceProvider::new(evs[1].as_ref()).expect("provider");
        assert_eq!(p.tracev3.len(), 1);
        assert!(p.uuidtext.contains_key("ABCDEF0123456789ABCDEF0123456789"));
        assert!(p.dsc.contains_key("ABCDEF0123456789ABCDEF0123456789"));
        assert!(p.read_uuidtext("abcdef0123456789abcdef0123456789").is_err());
        assert!(p.read_uuidtext("nope").is_err());
    }

    #[test]
    fn process_checks() {
        let r = UnifiedLogRecord {
            record_type: "process".into(),
            process: "/private/var/db/x/agent".into(),
            isodate: None,
            last_seen: None,
            entries: Some(3),
            pids: vec![1],
            subsystem: None,
            category: None,
            message: None,
            log_file: None,
        };
        let mut fs = Vec::new();
        UnifiedLog.check(&r, &ferret_core::NoIndicators, &mut fs);
        assert_eq!(fs.len(), 1);
        assert_eq!(fs[0].level, Level::High);
    }
}
