//! Small helpers shared by the iOS artifact modules: bounded plist parsing that survives hostile
//! nesting, column probing for older SQLite schemas, and lossy cell readers.
//!
//! * Plists are parsed on a worker thread with a large stack: `plist` 1.10 recurses once per
//!   nesting level and a 50 000-deep array aborts the process on a normal 8 MiB stack (measured,
//!   see the shared `crates.md` §2). Inputs are always size-bounded before parsing.
//! * [`Columns`] builds `SELECT` lists in which a column missing from an older schema becomes
//!   `NULL`, and remembers which columns were missing so the module can say so in a warning.

use ferret_core::{Evidence, EvidenceFile, ModuleError, SqliteDb};
use rusqlite::types::ValueRef;

/// Largest plist a module reads (bytes).
pub(crate) const PLIST_LIMIT: u64 = 32 * 1024 * 1024;

/// Stack size of the plist worker thread. Virtual memory only; touched pages are what a deep
/// input actually uses.
const PLIST_STACK: usize = 1024 * 1024 * 1024;

/// Deepest plist nesting accepted (real iOS plists stay far below this).
const MAX_PLIST_DEPTH: usize = 256;

fn depth_exceeds(v: &plist::Value, max: usize) -> bool {
    let mut stack: Vec<(&plist::Value, usize)> = vec![(v, 0)];
    while let Some((v, d)) = stack.pop() {
        if d > max {
            return true;
        }
        match v {
            plist::Value::Array(a) => stack.extend(a.iter().map(|x| (x, d + 1))),
            plist::Value::Dictionary(m) => stack.extend(m.values().map(|x| (x, d + 1))),
            _ => {}
        }
    }
    false
}

/// Parses plist bytes (binary, XML or ASCII) on a large-stack worker thread, after the
/// [`ferret_formats::check_plist`] guard (size, nesting, and the expanded size of shared
/// objects: a 283-byte "billion laughs" binary plist would otherwise grow until the process
/// aborts).
pub(crate) fn parse_plist_bytes(bytes: &[u8]) -> Result<plist::Value, String> {
    ferret_formats::check_plist(bytes).map_err(|e| e.to_string())?;
    std::thread::scope(|s| {
        let handle =
            std::thread::Builder::new().name("ferret-plist".into()).stack_size(PLIST_STACK).spawn_scoped(s, || {
                let v = plist::Value::from_reader(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
                // A too-deep value is dropped here, on the big stack (drop recurses too).
                if depth_exceeds(&v, MAX_PLIST_DEPTH) {
                    return Err(format!("nesting deeper than {MAX_PLIST_DEPTH} levels"));
                }
                Ok(v)
            });
        match handle {
            Ok(h) => h.join().unwrap_or_else(|_| Err("plist parser crashed".to_string())),
            Err(e) => Err(format!("cannot start the plist parser thread: {e}")),
        }
    })
}

/// Reads a located plist (bounded) and parses it; errors name the path.
pub(crate) fn read_plist(ev: &dyn Evidence, file: &EvidenceFile) -> Result<plist::Value, ModuleError> {
    let bytes = ev.read(file, PLIST_LIMIT)?;
    parse_plist_bytes(&bytes).map_err(|e| ModuleError::format(&file.path, format!("not a property list: {e}")))
}

/// Converts a plist value into JSON (dates as `isodate` strings, data as base64).
pub(crate) fn plist_to_json(v: &plist::Value) -> serde_json::Value {
    use base64::Engine;
    // Iterative would be nicer, but values reaching here were parsed on the big-stack thread and
    // are bounded by the plist size; cap depth anyway so a deep value cannot exhaust the stack.
    fn conv(v: &plist::Value, depth: usize) -> serde_json::Value {
        if depth > MAX_PLIST_DEPTH {
            return serde_json::Value::String("<nested too deep>".into());
        }
        match v {
            plist::Value::Array(a) => serde_json::Value::Array(a.iter().map(|x| conv(x, depth + 1)).collect()),
            plist::Value::Dictionary(d) => {
                let mut keys: Vec<&String> = d.keys().collect();
                keys.sort();
                let mut m = serde_json::Map::new();
                for k in keys {
                    if let Some(x) = d.get(k) {
                        m.insert(k.clone(), conv(x, depth + 1));
                    }
                }
                serde_json::Value::Object(m)
            }
            plist::Value::Boolean(b) => serde_json::Value::Bool(*b),
            plist::Value::Data(d) => serde_json::Value::String(base64::engine::general_purpose::STANDARD.encode(d)),
            plist::Value::Date(d) => match plist_date(d) {
                Some(t) => serde_json::Value::String(ferret_core::time::format(t)),
                None => serde_json::Value::Null,
            },
            plist::Value::Real(r) => {
                serde_json::Number::from_f64(*r).map_or(serde_json::Value::Null, serde_json::Value::Number)
            }
            plist::Value::Integer(i) => {
                if let Some(x) = i.as_signed() {
                    serde_json::Value::from(x)
                } else if let Some(x) = i.as_unsigned() {
                    serde_json::Value::from(x)
                } else {
                    serde_json::Value::Null
                }
            }
            plist::Value::String(s) => serde_json::Value::String(s.clone()),
            plist::Value::Uid(u) => serde_json::Value::from(u.get()),
            _ => serde_json::Value::Null,
        }
    }
    conv(v, 0)
}

/// A plist `<date>` as a timestamp.
pub(crate) fn plist_date(d: &plist::Date) -> Option<jiff::Timestamp> {
    let st: std::time::SystemTime = (*d).into();
    jiff::Timestamp::try_from(st).ok()
}

/// A plist value read as a time: a `<date>`, or a number of Mac absolute seconds.
pub(crate) fn plist_time(v: &plist::Value) -> Option<jiff::Timestamp> {
    match v {
        plist::Value::Date(d) => plist_date(d),
        plist::Value::Real(r) => ferret_core::time::from_mac_absolute(*r),
        plist::Value::Integer(i) => i.as_signed().and_then(|x| ferret_core::time::from_mac_absolute(x as f64)),
        _ => None,
    }
}

/// A plist value read as text (strings; numbers and booleans rendered).
pub(crate) fn plist_text(v: &plist::Value) -> Option<String> {
    match v {
        plist::Value::String(s) => Some(s.clone()),
        plist::Value::Integer(i) => Some(i.to_string()),
        plist::Value::Real(r) => Some(r.to_string()),
        plist::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Every string found anywhere inside a plist value (depth-capped), in document order.
pub(crate) fn plist_strings(v: &plist::Value, out: &mut Vec<String>) {
    let mut stack: Vec<(&plist::Value, usize)> = vec![(v, 0)];
    while let Some((v, depth)) = stack.pop() {
        if depth > 256 {
            continue;
        }
        match v {
            plist::Value::String(s) => out.push(s.clone()),
            plist::Value::Array(a) => stack.extend(a.iter().rev().map(|x| (x, depth + 1))),
            plist::Value::Dictionary(d) => {
                let mut keys: Vec<&String> = d.keys().collect();
                keys.sort();
                for k in keys.into_iter().rev() {
                    if let Some(x) = d.get(k) {
                        stack.push((x, depth + 1));
                    }
                }
            }
            _ => {}
        }
    }
}

/// A `SELECT` list for one table in which columns absent from this schema read as `NULL`.
#[derive(Debug, Default)]
pub(crate) struct Columns {
    missing: Vec<String>,
}

impl Columns {
    /// Builds `alias."col"` (or `NULL`) for each wanted column of `table`, recording the missing.
    pub(crate) fn select(&mut self, db: &SqliteDb, table: &str, alias: &str, wanted: &[&str]) -> Vec<String> {
        let present = db.columns(table);
        wanted
            .iter()
            .map(|c| {
                if present.iter().any(|p| p.eq_ignore_ascii_case(c)) {
                    format!("{alias}.\"{c}\"")
                } else {
                    self.missing.push(format!("{table}.{c}"));
                    "NULL".to_string()
                }
            })
            .collect()
    }

    /// Whether `table.col` was missing.
    pub(crate) fn is_missing(&self, table: &str, col: &str) -> bool {
        let key = format!("{table}.{col}");
        self.missing.iter().any(|m| m.eq_ignore_ascii_case(&key))
    }

    /// The warning to emit, if any column was missing.
    pub(crate) fn warning(&self, path: &str) -> Option<String> {
        if self.missing.is_empty() {
            None
        } else {
            Some(format!("{path}: older schema, columns missing (read as empty): {}", self.missing.join(", ")))
        }
    }
}

/// A cell as text: TEXT and BLOB are decoded as UTF-8 (invalid bytes replaced), numbers rendered.
pub(crate) fn cell_text(row: &rusqlite::Row<'_>, idx: usize) -> Option<String> {
    match row.get_ref(idx).ok()? {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(r) => Some(r.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

/// A cell as a float (numbers, or numeric text).
pub(crate) fn cell_f64(row: &rusqlite::Row<'_>, idx: usize) -> Option<f64> {
    match row.get_ref(idx).ok()? {
        ValueRef::Integer(i) => Some(i as f64),
        ValueRef::Real(r) => Some(r),
        ValueRef::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
        _ => None,
    }
}

/// A cell as an integer (integers, whole reals, or numeric text).
pub(crate) fn cell_i64(row: &rusqlite::Row<'_>, idx: usize) -> Option<i64> {
    match row.get_ref(idx).ok()? {
        ValueRef::Integer(i) => Some(i),
        ValueRef::Real(r) if r.is_finite() && r.fract() == 0.0 && r.abs() < 9.0e18 => Some(r as i64),
        ValueRef::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
        _ => None,
    }
}

/// A cell as Mac absolute time (seconds since 2001, possibly fractional; 0 means unset).
pub(crate) fn cell_mac_time(row: &rusqlite::Row<'_>, idx: usize) -> Option<jiff::Timestamp> {
    let v = cell_f64(row, idx)?;
    if v == 0.0 {
        return None;
    }
    ferret_core::time::from_mac_absolute(v)
}

/// Runs `sql` and calls `each` per row; a row callback error becomes a warning through `warn`.
pub(crate) fn for_each_row(
    db: &SqliteDb,
    path: &str,
    sql: &str,
    mut each: impl FnMut(&rusqlite::Row<'_>) -> Result<(), ModuleError>,
) -> Result<(), ModuleError> {
    let mut stmt = db.prepare(sql).map_err(|e| ModuleError::query(path, e))?;
    let mut rows = stmt.query([]).map_err(|e| ModuleError::query(path, e))?;
    loop {
        match rows.next() {
            Ok(Some(row)) => each(row)?,
            Ok(None) => return Ok(()),
            Err(e) => return Err(ModuleError::query(path, e)),
        }
    }
}

/// Test helpers: write generated files into a filesystem-dump-shaped temp folder and run a
/// module against it.
#[cfg(test)]
pub(crate) mod testing {
    use ferret_core::evidence::FolderEvidence;
    use ferret_core::module::testing::{RunResult, run_one};
    use ferret_core::{AcquisitionKind, ArtifactModule, Context, Indicators, RunOptions, Typed};
    use ferret_testdata::ArtifactFile;
    use ferret_testdata::truth::{Truth, compare};

    /// A temp folder holding `files` at their `fs_path`.
    pub(crate) fn fs_tree(files: &[ArtifactFile]) -> (tempfile::TempDir, FolderEvidence) {
        let dir = tempfile::tempdir().expect("tempdir");
        for f in files {
            let p = dir.path().join(&f.fs_path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, &f.bytes).expect("write");
        }
        let ev = FolderEvidence::new(dir.path(), AcquisitionKind::IosFs);
        (dir, ev)
    }

    /// Writes one file at `rel` under the evidence root.
    pub(crate) fn put(dir: &tempfile::TempDir, rel: &str, bytes: &[u8]) {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, bytes).expect("write");
    }

    /// Runs module `m` on `ev` with `ind`.
    pub(crate) fn run<M: ArtifactModule>(m: M, ev: &FolderEvidence, ind: &dyn Indicators) -> RunResult {
        let opts = RunOptions::default();
        let ctx = Context { evidence: ev, indicators: ind, options: &opts };
        run_one(&Typed(m), &ctx)
    }

    /// Asserts exact recall and precision for `module`.
    pub(crate) fn assert_exact(truth: &Truth, r: &RunResult, module: &str) {
        let cmp = compare(&truth.alerts, &r.alerts, Some(&[module]));
        assert!(
            cmp.is_exact(),
            "missed: {:#?}\nunexpected: {:#?}",
            cmp.missed,
            cmp.unexpected.iter().map(|a| (&a.level, &a.message)).collect::<Vec<_>>()
        );
    }

    /// Builds a small SQLite file from SQL text.
    pub(crate) fn sqlite_bytes(sql: &str) -> Vec<u8> {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("t.db");
        let c = rusqlite::Connection::open(&p).expect("open");
        c.execute_batch(sql).expect("sql");
        drop(c);
        std::fs::read(&p).expect("read")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_plist_does_not_abort() {
        let nested = |depth: usize| {
            format!(
                "<?xml version=\"1.0\"?><plist version=\"1.0\">{}{}</plist>",
                "<array>".repeat(depth),
                "</array>".repeat(depth)
            )
        };
        // refused by the ferret-formats guard before any parsing
        let err = parse_plist_bytes(nested(100_000).as_bytes()).expect_err("too deep");
        assert!(err.starts_with("property list nests deeper than 512 levels"), "{err}");
        // under the guard's 512 levels but over this module's 256: parsed, then refused
        let err = parse_plist_bytes(nested(300).as_bytes()).expect_err("too deep");
        assert_eq!(err, format!("nesting deeper than {MAX_PLIST_DEPTH} levels"));
        let v = parse_plist_bytes(nested(200).as_bytes()).expect("200 levels are fine");
        assert!(depth_exceeds(&v, 198) && !depth_exceeds(&v, 199), "the value is 200 levels deep");
        assert!(parse_plist_bytes(b"\xff\xfe garbage").is_err());
        assert!(parse_plist_bytes(b"").is_err());
    }

    /// The 283-byte "billion laughs" (2^60 leaves) is refused by the ferret-formats guard before
    /// the `plist` crate sees it, here and through a module reading it from a filesystem dump.
    #[test]
    fn billion_laughs_is_refused_not_expanded() {
        let laughs = ferret_testdata::hostile::billion_laughs_bplist();
        let err = parse_plist_bytes(&laughs).expect_err("refused");
        assert!(err.contains("expands to more than"), "{err}");
        let (dir, ev) = testing::fs_tree(&[]);
        testing::put(&dir, "private/var/mobile/Library/Preferences/.GlobalPreferences.plist", &laughs);
        let r = testing::run(crate::modules::global_preferences::GlobalPreferences, &ev, &ferret_core::NoIndicators);
        let err = r.outcome.expect_err("the module fails alone");
        assert!(err.contains("private/var/mobile/Library/Preferences/.GlobalPreferences.plist"), "{err}");
        assert!(err.contains("expands to more than"), "{err}");
        assert!(r.records.is_empty() && r.alerts.is_empty());
    }
}

/// Every module of this group run through a real backup layout (Manifest.db, hashed file ids):
/// proves the backup locators and exact recall/precision there too.
#[cfg(test)]
mod backup_tests {
    use ferret_core::module::testing::run_one;
    use ferret_core::{Context, Module, NoIndicators, Outcome, RunOptions, Typed};
    use ferret_testdata::fake::TruthIndicators;
    use ferret_testdata::ios;
    use ferret_testdata::truth::{Truth, compare};

    use crate::modules::*;

    #[test]
    fn all_modules_through_a_backup() {
        let seed = 21;
        let mut truth = Truth::default();
        let mut files = Vec::new();
        files.extend(ios::calls::generate(seed, 10, &mut truth));
        files.extend(ios::contacts::generate(seed, 10, &mut truth));
        files.extend(ios::calendar::generate(seed, 10, &mut truth));
        files.extend(ios::chrome_history::generate(seed, 10, &mut truth));
        files.extend(ios::chrome_favicon::generate(seed, 10, &mut truth));
        files.extend(ios::firefox_favicon::generate(seed, 10, &mut truth));
        files.extend(ios::global_preferences::generate(seed, 3, &mut truth));
        files.extend(ios::id_status_cache::generate(seed, 10, &mut truth));
        files.extend(ios::interaction_c::generate(seed, 10, &mut truth));
        files.extend(ios::locationd::generate(seed, 10, &mut truth));
        files.extend(ios::os_analytics_addaily::generate(seed, 10, &mut truth));
        files.extend(ios::safari_browser_state::generate(seed, 10, &mut truth));
        files.extend(ios::shortcuts::generate(seed, 10, &mut truth));
        files.extend(ios::webkit_resource_load_statistics::generate(seed, 10, &mut truth));
        files.extend(ios::webkit_session_resource_log::generate(seed, 10, &mut truth));
        files.extend(ios::whatsapp_contacts::generate(seed, 10, &mut truth));
        ios::os_version::expect_for_planted_version(&mut truth);
        let dir = tempfile::tempdir().expect("tempdir");
        let device = ferret_testdata::ios_backup::DeviceSpec {
            product_version: ios::os_version::VERSION.into(),
            ..Default::default()
        };
        ferret_testdata::ios_backup::write_backup(dir.path(), &files, &device).expect("backup");
        let ev = crate::backup::BackupEvidence::open(dir.path()).expect("opens");
        let ind = TruthIndicators::new(&truth);
        let opts = RunOptions::default();
        let ctx = Context { evidence: &ev, indicators: &ind, options: &opts };
        let modules: Vec<Box<dyn Module>> = vec![
            Box::new(Typed(calls::Calls)),
            Box::new(Typed(contacts::Contacts)),
            Box::new(Typed(calendar::Calendar)),
            Box::new(Typed(chrome_history::ChromeHistory)),
            Box::new(Typed(chrome_favicon::ChromeFavicon)),
            Box::new(Typed(firefox_favicon::FirefoxFavicon)),
            Box::new(Typed(global_preferences::GlobalPreferences)),
            Box::new(Typed(id_status_cache::IdStatusCache)),
            Box::new(Typed(interaction_c::InteractionC)),
            Box::new(Typed(locationd::Locationd)),
            Box::new(Typed(os_analytics_addaily::OsAnalyticsAdDaily)),
            Box::new(Typed(safari_browser_state::SafariBrowserState)),
            Box::new(Typed(shortcuts::Shortcuts)),
            Box::new(Typed(webkit_resource_load_statistics::WebkitResourceLoadStatistics)),
            Box::new(Typed(webkit_session_resource_log::WebkitSessionResourceLog)),
            Box::new(Typed(whatsapp_contacts::WhatsappContacts)),
            Box::new(Typed(os_version::OsVersion)),
        ];
        let mut alerts = Vec::new();
        let mut names = Vec::new();
        for m in &modules {
            let r = run_one(m.as_ref(), &ctx);
            assert_eq!(r.outcome, Ok(Outcome::Completed), "{}", m.info().name);
            assert!(!r.records.is_empty(), "{}", m.info().name);
            alerts.extend(r.alerts);
            names.push(m.info().name);
        }
        let cmp = compare(&truth.alerts, &alerts, Some(&names));
        assert!(cmp.is_exact(), "missed {:#?}\nunexpected {:#?}", cmp.missed, cmp.unexpected);
        // and every module reports NotFound on an empty backup
        let empty = tempfile::tempdir().expect("tempdir");
        ferret_testdata::ios_backup::write_backup(empty.path(), &[], &device).expect("backup");
        let ev = crate::backup::BackupEvidence::open(empty.path()).expect("opens");
        let ctx = Context { evidence: &ev, indicators: &NoIndicators, options: &opts };
        for m in modules.iter().filter(|m| m.info().name != "os_version") {
            assert_eq!(run_one(m.as_ref(), &ctx).outcome, Ok(Outcome::NotFound), "{}", m.info().name);
        }
    }
}
