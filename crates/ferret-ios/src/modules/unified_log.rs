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
    /// Boot session of the entry (message records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_uuid: Option<String>,
    /// Nanoseconds since that boot, when the acquisition holds no timesync record of the boot
    /// and the wall-clock time is therefore unknown (`isodate` is then empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_boot_ns: Option<u64>,
    /// The URLs and hosts of the message that matched an indicator (message records; the
    /// message itself is truncated and may not hold them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matched_urls: Vec<String>,
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

/// Texts the parser puts in place of a process path it could not resolve (its UUIDText file is
/// not in the acquisition). Pinned crate version: the real-data test fails if they change.
const UNRESOLVED_PROCESS: &str = "Failed to get path string";
/// Texts the parser puts in place of a message whose format string it could not find.
const UNRESOLVED_MESSAGE: [&str; 4] = [
    "Failed to get string message from",
    "Unknown shared string message",
    "Error: Invalid shared string offset",
    "Error: Invalid offset ",
];
/// Most UUIDs named in a warning.
const NAMED_UUIDS: usize = 8;
/// Most distinct UUIDs and boots remembered for the warnings.
const GAP_KEYS: usize = 10_000;

/// What the acquisition could not resolve: counted, and said once in a warning each.
#[derive(Debug, Default)]
struct Gaps {
    entries: u64,
    /// Entries whose boot has no timesync record → their wall-clock time is unknown.
    untimed: BTreeMap<String, u64>,
    /// Entries whose executable's UUIDText file is missing, by executable UUID.
    unnamed: BTreeMap<String, u64>,
    unnamed_entries: u64,
    /// Entries whose message format string is missing.
    unformatted: u64,
}

impl Gaps {
    fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        let untimed: u64 = self.untimed.values().sum();
        if untimed > 0 {
            let boots: Vec<&str> = self.untimed.keys().map(String::as_str).collect();
            w.push(format!(
                "unified log: {untimed} of {} entries belong to a boot with no timesync record in the acquisition ({}); their wall-clock times are unknown and left empty (time since boot kept)",
                self.entries,
                name_some(&boots),
            ));
        }
        if self.unnamed_entries > 0 {
            let uuids: Vec<&str> = self.unnamed.keys().map(String::as_str).collect();
            w.push(format!(
                "unified log: {} of {} entries come from {} executables whose UUIDText file is not in the acquisition ({}); their process is unknown",
                self.unnamed_entries,
                self.entries,
                self.unnamed.len(),
                name_some(&uuids),
            ));
        }
        if self.unformatted > 0 {
            w.push(format!(
                "unified log: {} of {} entries have no format string in the acquisition (UUIDText or shared-cache file missing); their messages cannot be read or checked",
                self.unformatted, self.entries
            ));
        }
        w
    }
}

fn name_some(keys: &[&str]) -> String {
    let mut s = keys.iter().take(NAMED_UUIDS).copied().collect::<Vec<_>>().join(", ");
    if keys.len() > NAMED_UUIDS {
        s.push_str(&format!(" and {} more", keys.len() - NAMED_UUIDS));
    }
    s
}

fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    if let Some(n) = map.get_mut(key) {
        *n += 1;
    } else if map.len() < GAP_KEYS {
        map.insert(key.to_string(), 1);
    }
}

/// One entry as evidence: only what the parser really resolved.
struct Resolved<'e> {
    process: Option<&'e str>,
    message: Option<&'e str>,
    time: Option<Timestamp>,
    since_boot_ns: Option<u64>,
}

impl<'e> Resolved<'e> {
    fn of(
        e: &'e macos_unifiedlogs::unified_log::LogData,
        timesync: &HashMap<String, macos_unifiedlogs::timesync::TimesyncBoot>,
        (numer, denom): (u64, u64),
        gaps: &mut Gaps,
    ) -> Self {
        let process = if e.process.is_empty() || e.process.starts_with(UNRESOLVED_PROCESS) {
            gaps.unnamed_entries += 1;
            let uuid = if e.process_uuid.is_empty() {
                e.process.rsplit(' ').next().unwrap_or("")
            } else {
                e.process_uuid.as_str()
            };
            if !uuid.is_empty() {
                bump(&mut gaps.unnamed, uuid);
            }
            None
        } else {
            Some(e.process.as_str())
        };
        let message = if UNRESOLVED_MESSAGE.iter().any(|p| e.message.starts_with(p)) {
            gaps.unformatted += 1;
            None
        } else {
            Some(e.message.as_str())
        };
        // Without the boot's timesync record the parser returns the raw continuous time (mach
        // ticks since boot) as if it were a date in 1970: keep it as time since boot instead.
        let (time, since_boot_ns) = if timesync.contains_key(&e.boot_uuid) {
            (ferret_core::time::from_unix_ns(e.time as i128), None)
        } else {
            bump(&mut gaps.untimed, &e.boot_uuid);
            let ticks = if e.time.is_finite() && e.time >= 0.0 { e.time as u64 } else { 0 };
            let ns = u128::from(ticks) * u128::from(numer) / u128::from(denom.max(1));
            (None, u64::try_from(ns).ok())
        };
        Self { process, message, time, since_boot_ns }
    }
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
        let mut gaps = Gaps::default();
        for file in &provider.tracev3 {
            let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let mut src = provider.source(file, TRACEV3_LIMIT);
                let data = parse_log(src.reader(), &file.path).ok()?;
                let timebase = data
                    .header
                    .first()
                    .filter(|h| h.mach_time_denominator != 0)
                    .map_or((1, 1), |h| (u64::from(h.mach_time_numerator), u64::from(h.mach_time_denominator)));
                Some((build_log(&data, &provider, &cache, &timesync, false).0, timebase))
            }));
            let (entries, timebase) = match parsed {
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
                gaps.entries += 1;
                let entry = Resolved::of(&e, &timesync, timebase, &mut gaps);
                if let Some(process) = entry.process {
                    if !procs.contains_key(process) && procs.len() >= MAX_PROCESSES {
                        capped = true;
                    } else {
                        let t = entry.time;
                        let s = procs.entry(process.to_string()).or_insert(ProcSummary {
                            first: t,
                            last: t,
                            entries: 0,
                            pids: Vec::new(),
                        });
                        s.entries += 1;
                        if t.is_some() && (s.first.is_none() || t < s.first) {
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
                let Some(message) = entry.message else { continue };
                let matched = if ctx.indicators.is_empty() { Vec::new() } else { ctx.indicators.check_text(message) };
                if !matched.is_empty() {
                    let mut matched_urls: Vec<String> = matched.into_iter().map(|(u, _)| u).collect();
                    matched_urls.sort();
                    matched_urls.dedup();
                    out.record(UnifiedLogRecord {
                        record_type: "message".into(),
                        process: entry.process.unwrap_or_default().to_string(),
                        isodate: entry.time,
                        last_seen: None,
                        entries: None,
                        pids: vec![e.pid],
                        subsystem: Some(e.subsystem.clone()),
                        category: Some(e.category.clone()),
                        message: Some(message.chars().take(4000).collect()),
                        log_file: Some(file.path.clone()),
                        boot_uuid: (!e.boot_uuid.is_empty()).then(|| e.boot_uuid.clone()),
                        since_boot_ns: entry.since_boot_ns,
                        matched_urls,
                    })?;
                }
            }
        }
        if let Ok(p) = provider.problems.lock() {
            for w in p.iter() {
                out.warn(format!("unified log: {w}"));
            }
        }
        for w in gaps.warnings() {
            out.warn(w);
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
                boot_uuid: None,
                since_boot_ns: None,
                matched_urls: Vec::new(),
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
            let mut hits: BTreeMap<String, ferret_core::MatchedIndicator> =
                ind.check_text(r.message.as_deref().unwrap_or("")).into_iter().collect();
            for u in &r.matched_urls {
                if !hits.contains_key(u)
                    && let Some(m) = ind.check_url(u)
                {
                    hits.insert(u.clone(), m);
                }
            }
            for (url, m) in hits {
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
            boot_uuid: None,
            since_boot_ns: None,
            matched_urls: Vec::new(),
        };
        let mut fs = Vec::new();
        UnifiedLog.check(&r, &ferret_core::NoIndicators, &mut fs);
        assert_eq!(fs.len(), 1);
        assert_eq!(fs[0].level, Level::High);
    }
}

/// End to end on real Apple files (`../shared/real/unified-logging/`, libyal/dtformats test data)
/// laid out as a sysdiagnose's `system_logs.logarchive/` and as a filesystem dump.
#[cfg(test)]
mod real {
    use super::*;
    use crate::modules::executable_paths::testing::{both, run_on};
    use ferret_testdata::sysdiagnose::SysFile;
    use ferret_testdata::truth::{IndicatorKind, Truth};

    /// Boot of `0000000000000f85.tracev3` (its header, as dtformats' tests read it).
    const BOOT_F85: &str = "A6EBC8E30A1C40E893B9DA3A7F671D19";
    /// Boot of `0000000000000030.tracev3`.
    const BOOT_030: &str = "E955FE07AB9D48ECA85197AC5C611182";

    /// (source under unified-logging/, logarchive path, filesystem-dump path)
    const FILES: [(&str, &str, &str); 6] = [
        (
            "0000000000000030.tracev3",
            "system_logs.logarchive/Persist/0000000000000030.tracev3",
            "private/var/db/diagnostics/Persist/0000000000000030.tracev3",
        ),
        (
            "0000000000000f85.tracev3",
            "system_logs.logarchive/Special/0000000000000f85.tracev3",
            "private/var/db/diagnostics/Special/0000000000000f85.tracev3",
        ),
        (
            "timesync/0000000000000002.timesync",
            "system_logs.logarchive/timesync/0000000000000002.timesync",
            "private/var/db/diagnostics/timesync/0000000000000002.timesync",
        ),
        (
            "uuidtext/00/7EF56328D53A78B59CCCE3E3189F57",
            "system_logs.logarchive/00/7EF56328D53A78B59CCCE3E3189F57",
            "private/var/db/uuidtext/00/7EF56328D53A78B59CCCE3E3189F57",
        ),
        (
            "uuidtext/22/0D3C2953A33917B333DD8366AC25F2",
            "system_logs.logarchive/22/0D3C2953A33917B333DD8366AC25F2",
            "private/var/db/uuidtext/22/0D3C2953A33917B333DD8366AC25F2",
        ),
        (
            "uuidtext/dsc/8E21CAB1DCF936B49F85CF860E6F34EC",
            "system_logs.logarchive/dsc/8E21CAB1DCF936B49F85CF860E6F34EC",
            "private/var/db/uuidtext/dsc/8E21CAB1DCF936B49F85CF860E6F34EC",
        ),
    ];

    fn real_files(fs_layout: bool) -> Option<Vec<SysFile>> {
        let root = ferret_testdata::testkit::shared("real/unified-logging")?;
        Some(
            FILES
                .iter()
                .map(|(src, sys, fs)| SysFile {
                    path: if fs_layout { (*fs).into() } else { (*sys).into() },
                    bytes: std::fs::read(root.join(src)).expect("read real unified-log file"),
                    mtime: 0,
                })
                .collect(),
        )
    }

    fn one_warning<'a>(warnings: &'a [String], needle: &str) -> &'a str {
        let hits: Vec<&String> = warnings.iter().filter(|w| w.contains(needle)).collect();
        assert_eq!(hits.len(), 1, "one warning with {needle:?}: {warnings:#?}");
        hits[0]
    }

    #[test]
    fn real_logarchive_decodes_entries_and_names_what_it_cannot_resolve() {
        let Some(files) = real_files(false) else { return };
        let mut truth = Truth::default();
        truth.plant(IndicatorKind::Domain, "ls.apple.com", "TestSpy");
        let ind = ferret_testdata::fake::TruthIndicators::new(&truth);
        let (_d, evs) = both(&files);
        let mut runs = Vec::new();
        for ev in &evs {
            let r = run_on(UnifiedLog, ev.as_ref(), &ind);
            assert_eq!(r.outcome, Ok(Outcome::Completed));
            // No parser error text becomes evidence, no 1970 date is shown.
            for rec in &r.records {
                let text = rec.to_string();
                assert!(!text.contains("Failed to get"), "{text}");
                assert!(!text.contains("Unknown shared string"), "{text}");
                assert!(!text.contains("\"isodate\":\"19"), "{text}");
            }
            // Every entry was decoded (5 + 8654, the two files' firehose, oversize and
            // statedump entries), and what could not be resolved is said once each, counted.
            let w = one_warning(&r.warnings, "no timesync record");
            assert!(w.contains("8659 of 8659 entries"), "{w}");
            assert!(w.contains(BOOT_F85) && w.contains(BOOT_030), "{w}");
            let w = one_warning(&r.warnings, "UUIDText file is not in the acquisition");
            assert!(w.contains("of 8659 entries come from"), "{w}");
            assert!(w.contains(" more)"), "names a few UUIDs and counts the rest: {w}");
            let w = one_warning(&r.warnings, "no format string");
            assert!(w.contains("of 8659 entries"), "{w}");
            assert_eq!(r.warnings.len(), 3, "{:#?}", r.warnings);
            runs.push(r);
        }
        assert_eq!(runs[0].records, runs[1].records, "folder and tar.gz give the same records");
        let recs: Vec<UnifiedLogRecord> =
            runs[0].records.iter().map(|v| serde_json::from_value(v.clone()).expect("record")).collect();
        // Only statedumps of boot A6EB... mention ls.apple.com (GeoServices' manifests).
        assert!(!recs.is_empty());
        for r in &recs {
            assert_eq!(r.record_type, "message");
            assert!(!r.matched_urls.is_empty() && r.matched_urls.iter().all(|u| u.contains("ls.apple.com")), "{r:?}");
            assert!(r.message.as_deref().is_some_and(|m| m.starts_with("title: ")), "a statedump: {r:?}");
            assert_eq!(r.boot_uuid.as_deref(), Some(BOOT_F85));
            assert_eq!(r.isodate, None, "unknown boot: no wall-clock time");
            // The timebase of this file's header is 125/3 (ARM): the device had been up
            // 48 days and 13 hours when it wrote these statedumps (its own SharingServices
            // statedump in the same file says "Up 48d 13h"); raw ticks would give 1.16 days.
            let up = r.since_boot_ns.expect("time since boot") / 1_000_000_000;
            assert!((48 * 86_400 + 12 * 3600..48 * 86_400 + 14 * 3600).contains(&up), "{up} s");
        }
        let sample = recs
            .iter()
            .find(|r| r.message.as_deref().is_some_and(|m| m.starts_with("title: Defaults+Configs")))
            .expect("the GeoServices Defaults+Configs statedump");
        assert_eq!(sample.pids, vec![448961]);
        assert!(sample.message.as_deref().is_some_and(|m| m.contains("https://gspe35-ssl.ls.apple.com/")));
        let urls: usize = recs.iter().map(|r| r.matched_urls.len()).sum();
        assert_eq!(runs[0].alerts.len(), urls, "one alert per matching URL, even past the truncation");
        assert!(runs[0].alerts.iter().all(|a| a.level == Level::Critical));
    }

    #[test]
    fn real_logarchive_as_filesystem_dump_gives_the_same_records() {
        let (Some(sys), Some(fs)) = (real_files(false), real_files(true)) else { return };
        let mut truth = Truth::default();
        truth.plant(IndicatorKind::Domain, "ls.apple.com", "TestSpy");
        let ind = ferret_testdata::fake::TruthIndicators::new(&truth);
        let (_d, evs) = both(&sys);
        let a = run_on(UnifiedLog, evs[0].as_ref(), &ind);
        let d = tempfile::tempdir().expect("tmp");
        for f in &fs {
            let p = d.path().join("dump").join(&f.path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, &f.bytes).expect("write");
        }
        let ev = crate::fs::open(&d.path().join("dump")).expect("open dump");
        let b = run_on(UnifiedLog, ev.as_ref(), &ind);
        assert_eq!(b.outcome, Ok(Outcome::Completed));
        assert!(!a.records.is_empty());
        let strip = |v: &serde_json::Value| {
            let mut v = v.clone();
            v.as_object_mut().map(|o| o.remove("log_file"));
            v
        };
        let ra: Vec<_> = a.records.iter().map(strip).collect();
        let rb: Vec<_> = b.records.iter().map(strip).collect();
        assert_eq!(ra, rb);
        assert_eq!(a.warnings, b.warnings);
    }

    #[test]
    fn real_uuidtext_and_dsc_files_parse() {
        let Some(files) = real_files(false) else { return };
        let (_d, evs) = both(&files);
        let p = EvidenceProvider::new(evs[0].as_ref()).expect("provider");
        // dtformats reads the image path of this UUIDText file as /usr/libexec/lsd.
        let u = p.read_uuidtext("220D3C2953A33917B333DD8366AC25F2").expect("lsd UUIDText");
        assert!(u.footer_data.windows(16).any(|w| w == b"/usr/libexec/lsd"));
        // The dsc file named by UUID here is a 205-byte slice (dtformats keeps only its header):
        // refused, not a panic. The two full shared-cache string files, one per format version,
        // parse with their ranges and image UUIDs.
        assert!(p.read_dsc_uuid("8E21CAB1DCF936B49F85CF860E6F34EC").is_err());
        let root = ferret_testdata::testkit::shared("real/unified-logging/uuidtext/dsc").expect("dsc");
        for (name, major) in [("dsc-version1", 1), ("dsc-version2", 2)] {
            let bytes = std::fs::read(root.join(name)).expect("read dsc");
            let (_, dsc) = SharedCacheStrings::parse_dsc(&bytes).expect("parse dsc");
            assert_eq!(dsc.major_version, major, "{name}");
            assert_eq!(dsc.ranges.len(), dsc.number_ranges as usize, "{name}");
            assert_eq!(dsc.uuids.len(), dsc.number_uuids as usize, "{name}");
            assert!(dsc.uuids.iter().any(|u| u.path_string.starts_with('/')), "{name}");
        }
        assert_eq!(collect_timesync(&p).expect("timesync").len(), 5, "five boots in the timesync file");
    }
}
