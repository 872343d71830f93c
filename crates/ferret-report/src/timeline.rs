//! Timeline events in bounded memory: per-module buffers spilled as sorted runs, merged into
//! `timeline.csv` and `timeline.jsonl`.
//!
//! # Memory bound
//! Each live module sink buffers events until their estimated size (strings plus 96 bytes per
//! event) reaches [`crate::FolderOptions::timeline_buffer_bytes`] (default 16 MiB), then sorts
//! and deduplicates them and writes a *run* file into a private temporary folder (never inside
//! the results folder). The runner keeps at most one sink per worker thread alive, so buffered
//! events take at most `threads × buffer` bytes. The final k-way merge holds one event and a
//! 64 KiB read buffer per run, and merges at most [`MAX_FAN_IN`] runs at once (more runs are
//! first merged in groups), so it needs under 10 MiB plus the longest events. 3 million events on
//! 2 threads therefore stay under about 32 MiB of buffers + 10 MiB of merge, whatever the total.
//!
//! Measured (`examples/timeline_scale.rs`, release, 2 busy shared cores): 3,000,000 events →
//! 48 MiB peak RSS for the whole process, 5.7-7.3 s wall (382 MiB `timeline.csv` + 622 MiB
//! `timeline.jsonl`; the merge is I/O-bound: 1M events take 1.5 s of CPU, 2.5-4 s wall).
//!
//! # Run files hold no readable plaintext on disk
//! The events carry message text and URLs, which for an encrypted backup are decrypted
//! content. Each run is an *unnamed* file (`tempfile::tempfile_in`: `O_TMPFILE`, or created and
//! unlinked at once) in the private folder, reached only through its open descriptor: nothing
//! is left to read by name while the check runs or after it is killed.
//!
//! # Run file format (private)
//! Per event, little-endian: `i64` seconds, `i32` nanoseconds, then `module`, `event`, `data`
//! each as `u32` byte length + UTF-8 bytes. Runs are sorted by [`TimelineEvent`]'s order
//! (timestamp, module, event, data).

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex};

use ferret_core::{Alert, Level, TimelineEvent, TimelineSink};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::error::ReportError;

/// Most runs merged at once.
pub const MAX_FAN_IN: usize = 64;
const EVENT_OVERHEAD: usize = 96;

/// Shared state of all timeline sinks of one results folder.
pub(crate) struct Spill {
    dir: tempfile::TempDir,
    /// Run files (unnamed, see the module documentation) with their sequence numbers.
    runs: Mutex<Vec<(u64, File)>>,
    counter: AtomicU64,
    pub(crate) buffer_bytes: usize,
}

impl Spill {
    pub(crate) fn new(parent: Option<&Path>, buffer_bytes: usize) -> io::Result<Self> {
        let mut b = tempfile::Builder::new();
        b.prefix("ferret-timeline-");
        let dir = match parent {
            Some(p) => b.tempdir_in(p)?,
            None => b.tempdir()?,
        };
        Ok(Self { dir, runs: Mutex::new(Vec::new()), counter: AtomicU64::new(0), buffer_bytes: buffer_bytes.max(1) })
    }

    /// A new unnamed file in the private folder (removed when closed).
    pub(crate) fn temp_file(&self) -> io::Result<File> {
        tempfile::tempfile_in(self.dir.path())
    }

    /// A new unnamed run file in the private folder, with its sequence number.
    fn next_run(&self) -> io::Result<(u64, File)> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        Ok((n, tempfile::tempfile_in(self.dir.path())?))
    }

    /// Sorts, deduplicates and writes `events` as a new run.
    fn write_run(&self, events: &mut Vec<TimelineEvent>) -> io::Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        events.sort_unstable();
        events.dedup();
        let (n, file) = self.next_run()?;
        let mut w = BufWriter::with_capacity(64 * 1024, &file);
        for e in events.drain(..) {
            write_event(&mut w, &e)?;
        }
        w.flush()?;
        drop(w);
        self.lock_runs().push((n, file));
        Ok(())
    }

    fn lock_runs(&self) -> std::sync::MutexGuard<'_, Vec<(u64, File)>> {
        self.runs.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Number of run files currently registered (for tests).
    #[cfg(test)]
    pub(crate) fn run_count(&self) -> usize {
        self.lock_runs().len()
    }

    /// Reduces the runs to at most [`MAX_FAN_IN`] and returns them (sorted by name, so the merge
    /// is independent of which thread spilled first).
    fn final_runs(&self) -> io::Result<Vec<File>> {
        let mut runs = self.lock_runs();
        runs.sort_by_key(|(n, _)| *n);
        while runs.len() > MAX_FAN_IN {
            let group: Vec<File> = runs.drain(..MAX_FAN_IN).map(|(_, f)| f).collect();
            let (n, file) = self.next_run()?;
            let mut w = BufWriter::with_capacity(64 * 1024, &file);
            merge_runs(&group, &mut |e| write_event(&mut w, e))?;
            w.flush()?;
            drop(w);
            runs.push((n, file));
        }
        runs.iter().map(|(_, f)| f.try_clone()).collect()
    }
}

/// A module's timeline sink: buffers, spills sorted runs.
pub(crate) struct SpillingTimeline {
    spill: Arc<Spill>,
    buf: Vec<TimelineEvent>,
    bytes: usize,
}

impl SpillingTimeline {
    pub(crate) fn new(spill: Arc<Spill>) -> Self {
        Self { spill, buf: Vec::new(), bytes: 0 }
    }
}

impl TimelineSink for SpillingTimeline {
    fn event(&mut self, event: TimelineEvent) -> io::Result<()> {
        self.bytes += EVENT_OVERHEAD + event.module.len() + event.event.len() + event.data.len();
        self.buf.push(event);
        if self.bytes >= self.spill.buffer_bytes {
            self.spill.write_run(&mut self.buf)?;
            self.bytes = 0;
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.bytes = 0;
        let r = self.spill.write_run(&mut self.buf);
        self.buf = Vec::new();
        r
    }
}

impl Drop for SpillingTimeline {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

/// Discards timeline events.
pub(crate) struct NullTimeline;

impl TimelineSink for NullTimeline {
    fn event(&mut self, _event: TimelineEvent) -> io::Result<()> {
        Ok(())
    }
}

fn write_str(w: &mut impl Write, s: &str) -> io::Result<()> {
    let len = u32::try_from(s.len()).map_err(|_| io::Error::other("timeline string longer than 4 GiB"))?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(s.as_bytes())
}

fn write_event(w: &mut impl Write, e: &TimelineEvent) -> io::Result<()> {
    w.write_all(&e.timestamp.as_second().to_le_bytes())?;
    w.write_all(&e.timestamp.subsec_nanosecond().to_le_bytes())?;
    write_str(w, &e.module)?;
    write_str(w, &e.event)?;
    write_str(w, &e.data)
}

fn read_array<const N: usize>(r: &mut impl Read) -> io::Result<[u8; N]> {
    let mut b = [0u8; N];
    r.read_exact(&mut b)?;
    Ok(b)
}

fn read_str_into(r: &mut impl Read, out: &mut String) -> io::Result<()> {
    let len = u32::from_le_bytes(read_array::<4>(r)?) as usize;
    let mut v = std::mem::take(out).into_bytes();
    v.clear();
    if len <= 1 << 20 {
        // the usual case, read at once (`read_to_end` probes in small steps)
        v.resize(len, 0);
        r.read_exact(&mut v)?;
    } else {
        // a long string grows only as its bytes arrive (a corrupt length cannot allocate 4 GiB)
        r.take(len as u64).read_to_end(&mut v)?;
    }
    if v.len() != len {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "truncated timeline run"));
    }
    *out = String::from_utf8(v).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    Ok(())
}

/// Reads the next event into `slot`, reusing its string buffers. `Ok(false)` at the end.
fn read_event_into(r: &mut BufReader<File>, slot: &mut TimelineEvent) -> io::Result<bool> {
    if r.fill_buf()?.is_empty() {
        return Ok(false);
    }
    let secs = i64::from_le_bytes(read_array::<8>(r)?);
    let nanos = i32::from_le_bytes(read_array::<4>(r)?);
    slot.timestamp = Timestamp::new(secs, nanos).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    read_str_into(r, &mut slot.module)?;
    read_str_into(r, &mut slot.event)?;
    read_str_into(r, &mut slot.data)?;
    Ok(true)
}

/// k-way merges sorted runs, dropping duplicates, calling `visit` in order. Each run has one
/// reusable event slot; a binary min-heap of run indices orders them (ties by run index, so
/// the output is fully determined by the runs).
fn merge_runs(runs: &[File], visit: &mut dyn FnMut(&TimelineEvent) -> io::Result<()>) -> io::Result<()> {
    let empty = || TimelineEvent {
        timestamp: Timestamp::UNIX_EPOCH,
        module: String::new(),
        event: String::new(),
        data: String::new(),
    };
    let mut readers = Vec::with_capacity(runs.len());
    let mut slots = Vec::with_capacity(runs.len());
    let mut heap: Vec<usize> = Vec::with_capacity(runs.len());
    for f in runs {
        // a run is read once, from its start, through its own descriptor
        let mut f = f.try_clone()?;
        f.seek(io::SeekFrom::Start(0))?;
        let mut r = BufReader::with_capacity(64 * 1024, f);
        let mut slot = empty();
        if read_event_into(&mut r, &mut slot)? {
            heap.push(readers.len());
        }
        readers.push(r);
        slots.push(slot);
    }
    let less = |slots: &[TimelineEvent], a: usize, b: usize| match (slots.get(a), slots.get(b)) {
        (Some(x), Some(y)) => (x, a) < (y, b),
        _ => a < b,
    };
    let sift_down = |heap: &mut [usize], slots: &[TimelineEvent], mut i: usize| {
        loop {
            let l = 2 * i + 1;
            let r = l + 1;
            let mut m = i;
            if let (Some(&hl), Some(&hm)) = (heap.get(l), heap.get(m))
                && less(slots, hl, hm)
            {
                m = l;
            }
            if let (Some(&hr), Some(&hm)) = (heap.get(r), heap.get(m))
                && less(slots, hr, hm)
            {
                m = r;
            }
            if m == i {
                break;
            }
            heap.swap(i, m);
            i = m;
        }
    };
    for i in (0..heap.len() / 2).rev() {
        sift_down(&mut heap, &slots, i);
    }
    let mut last = empty();
    let mut have_last = false;
    while let Some(&top) = heap.first() {
        let (Some(slot), Some(reader)) = (slots.get_mut(top), readers.get_mut(top)) else { break };
        if !have_last || *slot != last {
            visit(slot)?;
            last.clone_from(slot);
            have_last = true;
        }
        if !read_event_into(reader, slot)? {
            heap.swap_remove(0);
        }
        sift_down(&mut heap, &slots, 0);
    }
    Ok(())
}

/// Alert levels by (module, time), to mark timeline events that alerts share. Keyed by time
/// first: it is asked about every timeline event, and almost none has an alert at its time.
#[derive(Debug, Default)]
pub(crate) struct AlertIndex {
    map: HashMap<Timestamp, Vec<ModuleMark>>,
}

/// A module and the (level, message) its events at one time are marked with.
type ModuleMark = (String, (Level, String));

impl AlertIndex {
    /// Indexes timed alerts; for one (module, time) the highest level wins, then the first
    /// message in canonical order.
    pub(crate) fn new(alerts: &[Alert]) -> Self {
        let mut map: HashMap<Timestamp, Vec<ModuleMark>> = HashMap::new();
        for a in alerts {
            let Some(t) = a.event_time else { continue };
            let at = map.entry(t).or_default();
            match at.iter_mut().find(|(m, _)| *m == a.module) {
                Some((_, v)) => {
                    if a.level > v.0 {
                        *v = (a.level, a.message.clone());
                    }
                }
                None => at.push((a.module.clone(), (a.level, a.message.clone()))),
            }
        }
        Self { map }
    }

    pub(crate) fn get(&self, module: &str, t: Timestamp) -> Option<&(Level, String)> {
        if self.map.is_empty() {
            return None;
        }
        self.map.get(&t)?.iter().find(|(m, _)| m == module).map(|(_, v)| v)
    }
}

/// One timeline row kept for the HTML report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    /// The event.
    pub event: TimelineEvent,
    /// Level of the alert sharing module and time, if any.
    pub alert: Option<Level>,
    /// Within [`Selector::WINDOW`] of a timed alert.
    pub near: bool,
}

/// Chooses the timeline rows embedded in `report.html`: the first [`Selector::HEAD`] events, and
/// every event within one hour of a timed alert, at most [`Selector::CAP`] rows in all. It also
/// counts every event it is offered per time bin, for the report's chart.
#[derive(Debug)]
pub struct Selector {
    windows: Vec<(Timestamp, Timestamp)>,
    /// Rows kept, in timeline order.
    pub rows: Vec<ReportRow>,
    /// Events seen.
    pub total: u64,
    /// Events in an alert window that were dropped because of the cap.
    pub omitted: u64,
    /// Every event seen, per time bin.
    pub(crate) hist: crate::chart::Histogram,
}

impl Selector {
    /// Events always shown from the start of the timeline.
    pub const HEAD: u64 = 100;
    /// Most rows embedded.
    pub const CAP: usize = 5000;
    /// Width of the window around each alert.
    pub const WINDOW: SignedDuration = SignedDuration::from_hours(1);

    pub(crate) fn new(alert_times: &[Timestamp]) -> Self {
        let mut windows: Vec<(Timestamp, Timestamp)> = Vec::new();
        for &t in alert_times {
            let lo = t.checked_sub(Self::WINDOW).unwrap_or(t);
            let hi = t.checked_add(Self::WINDOW).unwrap_or(t);
            match windows.last_mut() {
                Some(w) if lo <= w.1 => w.1 = w.1.max(hi),
                _ => windows.push((lo, hi)),
            }
        }
        Self { windows, rows: Vec::new(), total: 0, omitted: 0, hist: crate::chart::Histogram::default() }
    }

    fn in_window(&self, t: Timestamp) -> bool {
        let i = self.windows.partition_point(|w| w.0 <= t);
        i > 0 && self.windows.get(i - 1).is_some_and(|w| t <= w.1)
    }

    pub(crate) fn offer(&mut self, e: &TimelineEvent, alert: Option<Level>) {
        self.total += 1;
        self.hist.add(e.timestamp);
        let near = alert.is_some() || self.in_window(e.timestamp);
        if !(self.total <= Self::HEAD || near) {
            return;
        }
        if self.rows.len() >= Self::CAP {
            self.omitted += 1;
            return;
        }
        self.rows.push(ReportRow { event: e.clone(), alert, near });
    }
}

/// The `timeline.jsonl` line (Timesketch).
#[derive(Serialize)]
struct JsonlLine<'a> {
    message: &'a str,
    datetime: &'a str,
    timestamp: i64,
    timestamp_desc: &'a str,
    module: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    alert: Option<Level>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alert_message: Option<&'a str>,
}

/// Appends RFC 3339 UTC with microseconds, as Timesketch expects.
pub(crate) fn rfc3339_into(t: Timestamp, out: &mut String) {
    ferret_core::time::format_into(t, 'T', out);
    out.push_str("+00:00");
}

/// First characters that make a spreadsheet evaluate a cell as a formula (OWASP "CSV
/// injection": `=`, `+`, `-`, `@`, TAB, CR).
pub const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell as ferret writes it to CSV: a cell starting with a formula character
/// (`FORMULA_START`) gets a leading `'`, so a spreadsheet shows it as text (OWASP's advice);
/// a cell starting with `'` itself gets one more `'`, so [`csv_cell_value`] can undo exactly
/// that. Every other cell is unchanged (timestamps `YYYY-…`, names, JSON). A negative number at
/// the start of a cell (`-5`) is neutralised too; no numeric column ferret writes starts with a
/// sign (timestamps of years before 1 excepted).
pub fn csv_cell(value: &str) -> std::borrow::Cow<'_, str> {
    // every character of `FORMULA_START` (and `'`) is ASCII: the first byte decides (checked on
    // bytes, as this runs for every cell of every timeline row)
    let first = value.as_bytes().first().copied();
    if first.is_some_and(|b| b == b'\'' || FORMULA_START.iter().any(|&c| c as u32 == u32::from(b))) {
        std::borrow::Cow::Owned(format!("'{value}"))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

/// The value of a cell written by [`csv_cell`] (its leading `'`, if any, removed).
pub fn csv_cell_value(cell: &str) -> &str {
    cell.strip_prefix('\'').unwrap_or(cell)
}

/// A CSV file as ferret writes them: every field quoted (MVT's `QUOTE_ALL`; quotes doubled per
/// RFC 4180), `\n` line ends, and every cell passed through [`csv_cell`]. The only way ferret
/// writes CSV.
pub(crate) struct CsvOut {
    inner: csv::Writer<BufWriter<File>>,
}

impl CsvOut {
    /// Writes one row, neutralising each cell.
    pub(crate) fn write_record<const N: usize>(&mut self, cells: [&str; N]) -> csv::Result<()> {
        for c in cells {
            self.inner.write_field(csv_cell(c).as_bytes())?;
        }
        self.inner.write_record(std::iter::empty::<&[u8]>())
    }

    /// Flushes to the file.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Creates a CSV file (see [`CsvOut`]).
pub(crate) fn csv_writer(path: &Path) -> Result<CsvOut, ReportError> {
    let f = File::create(path).map_err(|e| ReportError::io("create", path, e))?;
    Ok(CsvOut {
        inner: csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::Always)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(BufWriter::with_capacity(256 * 1024, f)),
    })
}

/// Header of `timeline.csv`.
pub const TIMELINE_HEADER: [&str; 4] = ["UTC Timestamp", "Plugin", "Event", "Description"];

/// Merges all spilled runs into `timeline.csv` and `timeline.jsonl` in `dir`, feeding
/// `selector`. Returns the number of distinct events written (0: no file written).
pub(crate) fn write_timeline(
    spill: &Spill,
    dir: &Path,
    alerts: &AlertIndex,
    selector: &mut Selector,
) -> Result<u64, ReportError> {
    let tmp = spill.dir.path().to_path_buf();
    let runs = spill.final_runs().map_err(|e| ReportError::io("merge timeline runs in", &tmp, e))?;
    let csv_path = dir.join("timeline.csv");
    let jsonl_path = dir.join("timeline.jsonl");
    if runs.is_empty() {
        for p in [&csv_path, &jsonl_path] {
            if p.exists() {
                std::fs::remove_file(p).map_err(|e| ReportError::io("remove stale", p, e))?;
            }
        }
        return Ok(0);
    }
    let mut csv = csv_writer(&csv_path)?;
    csv.write_record(TIMELINE_HEADER).map_err(|e| ReportError::csv(&csv_path, e))?;
    let jf = File::create(&jsonl_path).map_err(|e| ReportError::io("create", &jsonl_path, e))?;
    // The merge runs on this thread (with the alert marks and the report's selection); the two
    // files are formatted and written on two more threads, each fed the same batches of merged
    // events in order through a bounded channel (at most 4 batches of 4096 events in flight per
    // writer), so the three run in parallel with bounded memory.
    const BATCH: usize = 4096;
    type Batch = Arc<Vec<(TimelineEvent, Option<(Level, String)>)>>;
    let (jsonl_tx, jsonl_rx) = sync_channel::<Batch>(4);
    let (csv_tx, csv_rx) = sync_channel::<Batch>(4);
    let mut count = 0u64;
    let (merged, jsonl_written, csv_written) = std::thread::scope(|scope| {
        let jsonl_writer = scope.spawn(move || -> io::Result<()> {
            let mut jsonl = BufWriter::with_capacity(256 * 1024, jf);
            let mut line = Vec::with_capacity(512);
            let mut datetime = String::with_capacity(40);
            for batch in jsonl_rx {
                for (e, hit) in batch.iter() {
                    line.clear();
                    datetime.clear();
                    rfc3339_into(e.timestamp, &mut datetime);
                    serde_json::to_writer(
                        &mut line,
                        &JsonlLine {
                            message: &e.data,
                            datetime: &datetime,
                            timestamp: e.timestamp.as_microsecond(),
                            timestamp_desc: &e.event,
                            module: &e.module,
                            alert: hit.as_ref().map(|h| h.0),
                            alert_message: hit.as_ref().map(|h| h.1.as_str()),
                        },
                    )
                    .map_err(io::Error::other)?;
                    line.push(b'\n');
                    jsonl.write_all(&line)?;
                }
            }
            jsonl.flush()
        });
        let csv_writer = scope.spawn(move || -> csv::Result<CsvOut> {
            let mut ts = String::with_capacity(32);
            // the Plugin column: MVT's class name of the module, computed once per module (and
            // the last one kept at hand: neighbouring events are mostly of one module)
            let mut plugins: HashMap<String, String> = HashMap::new();
            let mut last: Option<(String, String)> = None;
            for batch in csv_rx {
                for (e, _) in batch.iter() {
                    ts.clear();
                    ferret_core::time::format_into(e.timestamp, ' ', &mut ts);
                    if last.as_ref().is_none_or(|(module, _)| *module != e.module) {
                        let plugin = plugins
                            .entry(e.module.clone())
                            .or_insert_with(|| crate::mvt::plugin_name(&e.module).into_owned());
                        last = Some((e.module.clone(), plugin.clone()));
                    }
                    let plugin = last.as_ref().map_or("", |(_, plugin)| plugin.as_str());
                    csv.write_record([ts.as_str(), plugin, &e.event, &e.data])?;
                }
            }
            Ok(csv)
        });
        let mut batch = Vec::with_capacity(BATCH);
        let senders = (jsonl_tx, csv_tx);
        let send = |full: Batch| -> io::Result<()> {
            senders.0.send(Arc::clone(&full)).map_err(|_| io::Error::other("timeline.jsonl writer stopped"))?;
            senders.1.send(full).map_err(|_| io::Error::other("timeline.csv writer stopped"))
        };
        let merged = merge_runs(&runs, &mut |e| {
            let hit = alerts.get(&e.module, e.timestamp);
            selector.offer(e, hit.map(|h| h.0));
            batch.push((e.clone(), hit.cloned()));
            if batch.len() >= BATCH {
                send(Arc::new(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))))?;
            }
            count += 1;
            Ok(())
        });
        let merged = merged.and_then(|()| if batch.is_empty() { Ok(()) } else { send(Arc::new(batch)) });
        // closing both channels ends the writers' loops
        drop(senders);
        let jsonl_written =
            jsonl_writer.join().unwrap_or_else(|_| Err(io::Error::other("timeline.jsonl writer panicked")));
        let csv_written = csv_writer.join();
        (merged, jsonl_written, csv_written)
    });
    let mut csv = match csv_written {
        Ok(Ok(csv)) => csv,
        Ok(Err(e)) => return Err(ReportError::csv(&csv_path, e)),
        Err(_) => return Err(ReportError::io("write", &csv_path, io::Error::other("timeline.csv writer panicked"))),
    };
    jsonl_written.map_err(|e| ReportError::io("write", &jsonl_path, e))?;
    merged.map_err(|e| ReportError::io("merge timeline runs in", &tmp, e))?;
    csv.flush().map_err(|e| ReportError::io("write", &csv_path, e))?;
    Ok(count)
}

/// Feeds `selector` from an existing `timeline.csv` (for `ferret report`).
pub(crate) fn select_from_csv(path: &Path, alerts: &AlertIndex, selector: &mut Selector) -> Result<(), ReportError> {
    let f = File::open(path).map_err(|e| ReportError::io("open", path, e))?;
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).from_reader(BufReader::with_capacity(256 * 1024, f));
    let mut rec = csv::StringRecord::new();
    let mut row = 1u64;
    while rdr.read_record(&mut rec).map_err(|e| ReportError::csv(path, e))? {
        row += 1;
        let (Some(ts), Some(module), Some(event), Some(data)) = (rec.get(0), rec.get(1), rec.get(2), rec.get(3)) else {
            return Err(ReportError::Format { path: path.into(), reason: format!("row {row}: fewer than 4 columns") });
        };
        // Undo exactly what the writer's `csv_cell` did.
        let (ts, module, event, data) =
            (csv_cell_value(ts), csv_cell_value(module), csv_cell_value(event), csv_cell_value(data));
        let Some(timestamp) = ferret_core::time::parse(ts) else {
            return Err(ReportError::Format { path: path.into(), reason: format!("row {row}: bad timestamp {ts:?}") });
        };
        let module = crate::mvt::module_of_plugin(module);
        let e = TimelineEvent { timestamp, module: module.into_owned(), event: event.into(), data: data.into() };
        let hit = alerts.get(&e.module, e.timestamp).map(|h| h.0);
        selector.offer(&e, hit);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(secs: i64, module: &str, data: &str) -> TimelineEvent {
        TimelineEvent {
            timestamp: Timestamp::from_second(secs).expect("ts"),
            module: module.into(),
            event: "e".into(),
            data: data.into(),
        }
    }

    #[test]
    fn csv_cells_are_neutralised_and_restored_exactly() {
        for (value, written) in [
            (r#"=HYPERLINK("http://x","y")"#, r#"'=HYPERLINK("http://x","y")"#),
            ("+1 555", "'+1 555"),
            ("-5", "'-5"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'quoted", "''quoted"),
            ("''", "'''"),
            ("'", "''"),
            ("", ""),
            ("2024-01-02 03:04:05.000000", "2024-01-02 03:04:05.000000"),
            ("sms_received", "sms_received"),
            ("{\"a\":1}", "{\"a\":1}"),
            ("a=b", "a=b"),
            (" =x", " =x"),
        ] {
            assert_eq!(csv_cell(value), written, "{value:?}");
            assert_eq!(csv_cell_value(&csv_cell(value)), value, "{value:?} round trip");
        }
        // through a file and the csv reader, quotes and newlines included
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("t.csv");
        let mut w = csv_writer(&p).expect("csv");
        let row = ["-0001-01-01 00:00:00.000000", "m", "=e", "'\"q\"\n=x"];
        w.write_record(row).expect("row");
        w.flush().expect("flush");
        drop(w);
        let text = std::fs::read_to_string(&p).expect("read");
        assert_eq!(text, "\"'-0001-01-01 00:00:00.000000\",\"m\",\"'=e\",\"''\"\"q\"\"\n=x\"\n");
        let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_path(&p).expect("reader");
        let rec = rdr.records().next().expect("one row").expect("row");
        let back: Vec<&str> = rec.iter().map(csv_cell_value).collect();
        assert_eq!(back, row);
    }

    #[test]
    fn run_roundtrip_and_merge_dedup_order() {
        let spill = Spill::new(None, 1).expect("spill"); // every event spills alone
        let mut a = SpillingTimeline::new(Arc::new(spill));
        // Using one Arc across sinks like the folder does:
        let spill = Arc::clone(&a.spill);
        let mut b = SpillingTimeline::new(Arc::clone(&spill));
        for (s, m, d) in [(5, "b", "x"), (1, "b", "y"), (5, "a", "z"), (1, "b", "y"), (3, "a", "ü\n\"q\"")] {
            a.event(ev(s, m, d)).expect("event");
            b.event(ev(s, m, d)).expect("event");
        }
        a.finish().expect("finish");
        b.finish().expect("finish");
        assert_eq!(spill.run_count(), 10);
        let runs = spill.final_runs().expect("runs");
        let mut got = Vec::new();
        merge_runs(&runs, &mut |e| {
            got.push(e.clone());
            Ok(())
        })
        .expect("merge");
        assert_eq!(got, vec![ev(1, "b", "y"), ev(3, "a", "ü\n\"q\""), ev(5, "a", "z"), ev(5, "b", "x")]);
    }

    #[test]
    fn fan_in_reduction_keeps_everything() {
        let spill = Arc::new(Spill::new(None, 1).expect("spill"));
        let mut s = SpillingTimeline::new(Arc::clone(&spill));
        for i in 0..(MAX_FAN_IN as i64 * 3 + 7) {
            s.event(ev(1000 - i, "m", &i.to_string())).expect("event");
        }
        s.finish().expect("finish");
        let runs = spill.final_runs().expect("runs");
        assert!(runs.len() <= MAX_FAN_IN);
        let mut n = 0;
        let mut prev: Option<TimelineEvent> = None;
        merge_runs(&runs, &mut |e| {
            assert!(prev.as_ref().is_none_or(|p| p < e));
            prev = Some(e.clone());
            n += 1;
            Ok(())
        })
        .expect("merge");
        assert_eq!(n, MAX_FAN_IN * 3 + 7);
    }

    /// Runs are unnamed files: the private folder lists nothing while events are spilled.
    #[test]
    fn spilled_runs_have_no_name_on_disk() {
        let parent = tempfile::tempdir().expect("tmp");
        let spill = Arc::new(Spill::new(Some(parent.path()), 1).expect("spill"));
        let mut a = SpillingTimeline::new(Arc::clone(&spill));
        for i in 0..5 {
            a.event(ev(i, "sms", "secret text")).expect("event");
        }
        a.finish().expect("finish");
        assert_eq!(spill.run_count(), 5);
        let names: Vec<_> = std::fs::read_dir(spill.dir.path()).expect("ls").flatten().map(|e| e.path()).collect();
        assert!(names.is_empty(), "{names:?}");
        let mut n = 0;
        merge_runs(&spill.final_runs().expect("runs"), &mut |_| {
            n += 1;
            Ok(())
        })
        .expect("merge");
        assert_eq!(n, 5);
    }

    #[test]
    fn truncated_run_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("r.bin");
        let mut buf = Vec::new();
        write_event(&mut buf, &ev(1, "m", "data")).expect("write");
        std::fs::write(&p, &buf[..buf.len() - 2]).expect("write");
        let open = |p: &Path| File::open(p).expect("open");
        assert!(merge_runs(&[open(&p)], &mut |_| Ok(())).is_err());
        let mut huge = buf.clone();
        huge[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        std::fs::write(&p, &huge).expect("write");
        assert!(merge_runs(&[open(&p)], &mut |_| Ok(())).is_err());
    }

    #[test]
    fn direct_formatting_matches_strftime() {
        let mut x = 12345u64;
        let mut samples = vec![
            i128::MIN,
            -62_135_596_800_000_000_000,
            -1,
            0,
            1,
            999_999,
            1_000_000,
            253_402_300_799_999_999_999,
            253_402_300_800_000_000_000,
        ];
        for _ in 0..20_000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            samples.push(((x as i64) >> 1) as i128 * 3);
        }
        for ns in samples {
            let Ok(t) = Timestamp::from_nanosecond(ns) else { continue };
            assert_eq!(ferret_core::time::format(t), t.strftime("%Y-%m-%d %H:%M:%S%.6f").to_string(), "{ns}");
            let mut rfc = String::from("x");
            rfc3339_into(t, &mut rfc);
            assert_eq!(rfc, format!("x{}+00:00", t.strftime("%Y-%m-%dT%H:%M:%S%.6f")));
        }
    }

    #[test]
    fn selector_windows_and_cap() {
        let t0 = 1_000_000;
        let alert_t = Timestamp::from_second(t0 + 100_000).expect("ts");
        let mut s = Selector::new(&[alert_t]);
        for i in 0..(Selector::HEAD as i64 + 50) {
            s.offer(&ev(t0 + i, "m", ""), None);
        }
        assert_eq!(s.rows.len(), Selector::HEAD as usize);
        s.offer(&ev(t0 + 100_000 - 3601, "m", ""), None);
        s.offer(&ev(t0 + 100_000 - 3600, "m", ""), None);
        s.offer(&ev(t0 + 100_000, "m", ""), Some(Level::High));
        s.offer(&ev(t0 + 100_000 + 3600, "m", ""), None);
        s.offer(&ev(t0 + 100_000 + 3601, "m", ""), None);
        assert_eq!(s.rows.len(), Selector::HEAD as usize + 3);
        for _ in 0..Selector::CAP {
            s.offer(&ev(t0 + 100_000, "m", ""), None);
        }
        assert_eq!(s.rows.len(), Selector::CAP);
        assert_eq!(s.omitted, 103);
    }
}
