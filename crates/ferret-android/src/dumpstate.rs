//! The bugreport's main text (the "dumpstate"), located once and split into sections.
//!
//! Format facts (AOSP `dumpstate`):
//! * the zip's `main_entry.txt` holds the name of the main text file (`bugreport-<build>-<date>.txt`);
//!   older bugreports have `bugreport-*.txt`, `dumpstate-*.txt` or `dumpState_*.log` instead;
//! * `------ TITLE (command) ------` starts a dumpstate section (`SYSTEM PROPERTIES`,
//!   `SYSTEM LOG`, `PROCESSES AND THREADS`...), ended by `------ N s was the duration of 'TITLE' ------`;
//! * `DUMP OF SERVICE [CRITICAL|HIGH|NORMAL ]<name>:` starts a `dumpsys <name>` section, ended
//!   by a line starting with 78 dashes.
//!
//! [`DumpstateCache`] splits the text in one pass and keeps only the sections modules ask for
//! ([`WANTED`]), each bounded ([`SECTION_LIMIT`]); huge sections (logs) are skipped and streamed
//! by the logcat module instead. All modules of one [`crate::modules()`] list share the cache, so a
//! 500 MB dumpstate is read once for all dumpsys modules.

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use ferret_core::{AcquisitionKind, Context, Evidence, EvidenceError, EvidenceFile, Locator, ModuleError};

use crate::text::{capped_lines, lossy};

/// Longest line kept (longer lines are truncated).
pub const LINE_CAP: usize = 1 << 20;
/// Largest section kept in memory, in bytes.
pub const SECTION_LIMIT: usize = 256 << 20;
/// Largest dumpstate read, in bytes.
pub const DUMPSTATE_LIMIT: u64 = 64 << 30;

/// Section keys kept: `dumpsys:<service>` and `section:<TITLE>`.
pub const WANTED: &[&str] = &[
    "dumpsys:package",
    "dumpsys:accessibility",
    "dumpsys:appops",
    "dumpsys:batterystats",
    "dumpsys:dbinfo",
    "dumpsys:adb",
    "dumpsys:platform_compat",
    "dumpsys:device_policy",
    "dumpsys:notification",
    "section:SYSTEM PROPERTIES",
    "section:PROCESSES AND THREADS",
    "section:PROCESSES",
];

/// One split dumpstate.
#[derive(Debug, Default)]
pub struct Dumpstate {
    /// The file it came from.
    pub file: Option<EvidenceFile>,
    sections: HashMap<String, String>,
    /// Problems met while splitting (truncated lines/sections).
    pub warnings: Vec<String>,
    /// When the bugreport was taken (`== dumpstate: YYYY-MM-DD HH:MM:SS`, device wall clock).
    pub date: Option<jiff::Timestamp>,
}

impl Dumpstate {
    /// The text of `dumpsys <service>`, if present.
    pub fn dumpsys(&self, service: &str) -> Option<&str> {
        self.sections.get(&format!("dumpsys:{service}")).map(String::as_str)
    }

    /// The text of a `------ TITLE (...) ------` section, if present.
    pub fn section(&self, title: &str) -> Option<&str> {
        self.sections.get(&format!("section:{title}")).map(String::as_str)
    }

    /// The path of the dumpstate file.
    pub fn path(&self) -> &str {
        self.file.as_ref().map_or("dumpstate", |f| f.path.as_str())
    }

    /// Splits dumpstate text (for tests and small inputs).
    pub fn from_text(text: &str) -> Self {
        let mut d = Self::default();
        let _ = split(text.as_bytes(), &mut d);
        d
    }
}

/// What kind of line opens or closes a section.
#[derive(Debug, PartialEq, Eq)]
pub enum Marker {
    /// `DUMP OF SERVICE name:`.
    Service(String),
    /// `------ TITLE (cmd) ------`.
    Section(String),
    /// A line of 78+ dashes, or `------ ... was the duration of ...`.
    End,
    /// Anything else.
    None,
}

/// Classifies one line.
pub fn marker(line: &str) -> Marker {
    if let Some(rest) = line.strip_prefix("DUMP OF SERVICE ") {
        let rest = rest.trim_end();
        let rest = rest.strip_suffix(':').unwrap_or(rest);
        let rest = ["CRITICAL ", "HIGH ", "NORMAL "].iter().fold(rest, |r, p| r.strip_prefix(p).unwrap_or(r));
        return Marker::Service(rest.trim().to_string());
    }
    if line.len() >= 78 && line.bytes().take(78).all(|b| b == b'-') {
        return Marker::End;
    }
    if let Some(rest) = line.strip_prefix("------ ")
        && let Some(body) = rest.trim_end().strip_suffix(" ------")
    {
        if body.contains(" was the duration of ") {
            return Marker::End;
        }
        let title = match body.find(" (") {
            Some(i) => &body[..i],
            None => body,
        };
        return Marker::Section(title.trim().to_string());
    }
    Marker::None
}

fn split(data: impl std::io::Read, d: &mut Dumpstate) -> std::io::Result<()> {
    let mut lines = capped_lines(data, LINE_CAP);
    let mut current: Option<(String, String)> = None;
    let mut over = false;
    let flush = |cur: &mut Option<(String, String)>, d: &mut Dumpstate| {
        if let Some((k, v)) = cur.take() {
            d.sections.entry(k).or_insert(v);
        }
    };
    while let Some(raw) = lines.next_line()? {
        let line = lossy(raw);
        match marker(&line) {
            Marker::Service(name) => {
                flush(&mut current, d);
                let key = format!("dumpsys:{name}");
                over = false;
                if WANTED.contains(&key.as_str()) {
                    current = Some((key, String::new()));
                }
            }
            Marker::Section(title) => {
                flush(&mut current, d);
                let key = format!("section:{title}");
                over = false;
                if WANTED.contains(&key.as_str()) {
                    current = Some((key, String::new()));
                }
            }
            Marker::End => flush(&mut current, d),
            Marker::None => {
                if d.date.is_none()
                    && let Some(rest) = line.strip_prefix("== dumpstate: ")
                {
                    d.date = crate::text::parse_wallclock(rest);
                }
                if let Some((k, v)) = current.as_mut() {
                    if v.len() + line.len() < SECTION_LIMIT {
                        v.push_str(&line);
                        v.push('\n');
                    } else if !over {
                        over = true;
                        d.warnings.push(format!("section {k} truncated at {SECTION_LIMIT} bytes"));
                    }
                }
            }
        }
    }
    flush(&mut current, d);
    if lines.truncated() > 0 {
        d.warnings.push(format!("{} lines longer than {LINE_CAP} bytes were truncated", lines.truncated()));
    }
    Ok(())
}

static MAIN_ENTRY: &[&str] = &["main_entry.txt", "**/main_entry.txt"];
static CANDIDATES: &[&str] = &["**/bugreport-*.txt", "**/dumpState_*.log", "**/dumpstate-*.txt", "**/dumpstate.txt"];
static DUMPSYS_TXT: &[&str] = &["dumpsys.txt", "*/dumpsys.txt"];

fn shallowest(mut v: Vec<EvidenceFile>) -> Option<EvidenceFile> {
    v.sort_by(|a, b| (a.path.matches('/').count(), &a.path).cmp(&(b.path.matches('/').count(), &b.path)));
    v.into_iter().next()
}

/// Finds the dumpstate text of a bugreport (also one mounted inside an androidqf collection).
/// Without one, the `dumpsys.txt` of a bugreport folder or of an androidqf collection (androidqf
/// saves the full `dumpsys` output there) is read instead: the same `DUMP OF SERVICE` blocks.
pub fn find_dumpstate(ev: &dyn Evidence) -> Result<Option<EvidenceFile>, EvidenceError> {
    if let Some(me) = shallowest(ev.locate(&Locator { backup: &[], paths: MAIN_ENTRY })?) {
        let name = ev.read(&me, 4096)?;
        let name = lossy(&name).trim().to_string();
        let dir = me.path.rsplit_once('/').map(|(d, _)| format!("{d}/")).unwrap_or_default();
        let target = format!("{dir}{}", name.trim_start_matches('/'));
        let mut found = None;
        ev.walk(&mut |f| {
            if found.is_none() && f.path == target {
                found = Some(f.clone());
            }
        })?;
        if found.is_some() {
            return Ok(found);
        }
        tracing::warn!("{}: names {name:?}, which is not in the bugreport", me.path);
    }
    let c = ev
        .locate(&Locator { backup: &[], paths: CANDIDATES })?
        .into_iter()
        .filter(|f| !f.path.ends_with("dumpstate_log.txt") && !f.path.ends_with("dumpstate_board.txt"))
        .collect::<Vec<_>>();
    if let Some(f) = shallowest(c) {
        return Ok(Some(f));
    }
    if matches!(ev.kind(), AcquisitionKind::AndroidBugreport | AcquisitionKind::AndroidQf) {
        return Ok(shallowest(ev.locate(&Locator { backup: &[], paths: DUMPSYS_TXT })?));
    }
    Ok(None)
}

/// Shares one split dumpstate among all modules of a run.
#[derive(Debug, Default)]
pub struct DumpstateCache {
    inner: Mutex<HashMap<PathBuf, Arc<Dumpstate>>>,
}

impl DumpstateCache {
    /// A new, empty cache.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// The split dumpstate of this evidence (`None` when it has none). Computed once per
    /// evidence; concurrent callers wait for the first.
    pub fn get(&self, ctx: &Context<'_>) -> Result<Option<Arc<Dumpstate>>, ModuleError> {
        let key = ctx.evidence.source().to_path_buf();
        let mut map = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(d) = map.get(&key) {
            return Ok(if d.file.is_some() { Some(d.clone()) } else { None });
        }
        let d = match find_dumpstate(ctx.evidence)? {
            None => Dumpstate::default(),
            Some(file) => {
                let mut d = Dumpstate { file: Some(file.clone()), ..Dumpstate::default() };
                let r = ctx.evidence.open(&file)?.take(DUMPSTATE_LIMIT);
                split(r, &mut d).map_err(|e| ModuleError::format(&file.path, format!("cannot read: {e}")))?;
                d
            }
        };
        let d = Arc::new(d);
        map.insert(key, d.clone());
        Ok(if d.file.is_some() { Some(d) } else { None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_sections() {
        let dashes = "-".repeat(78);
        let text = format!(
            "== dumpstate\n------ SYSTEM PROPERTIES (getprop) ------\n[a]: [b]\n------ 0.01s was the duration of 'SYSTEM PROPERTIES' ------\n\
             {dashes}\nDUMP OF SERVICE package:\nPackages:\n  Package [x] (1):\n{dashes}\nDUMP OF SERVICE CRITICAL accessibility:\nacc\n\
             --------- 0.1s was the duration of dumpsys accessibility\n{dashes}\nDUMP OF SERVICE other:\nignored\n"
        );
        let d = Dumpstate::from_text(&text);
        assert_eq!(d.section("SYSTEM PROPERTIES"), Some("[a]: [b]\n"));
        assert_eq!(d.dumpsys("package"), Some("Packages:\n  Package [x] (1):\n"));
        assert!(d.dumpsys("accessibility").is_some_and(|s| s.starts_with("acc\n")));
        assert_eq!(d.dumpsys("other"), None);
        assert_eq!(marker("DUMP OF SERVICE HIGH connectivity:"), Marker::Service("connectivity".into()));
        let empty = Dumpstate::from_text("");
        assert!(empty.dumpsys("package").is_none());
    }

    /// `main_entry.txt` is device-supplied: a name with `../` or an absolute path cannot make
    /// ferret read a file outside the bugreport (folder or zip). The name is only compared with
    /// the acquisition's own entries; when none matches, the bugreport's own dumpstate file is
    /// used, and a file of the same name outside the acquisition is never opened.
    #[test]
    fn crafted_main_entry_cannot_leave_the_acquisition() {
        use std::io::Write;
        let outer = tempfile::tempdir().expect("tmp");
        // the bait: a dumpstate beside (outside) the bugreport, and one at an absolute path
        std::fs::write(outer.path().join("outside.txt"), "== dumpstate\nOUTSIDE\n").expect("w");
        let abs = outer.path().join("abs.txt");
        std::fs::write(&abs, "== dumpstate\nOUTSIDE\n").expect("w");
        let inside = "bugreport-x-2026.txt";
        let hostile = [
            "../outside.txt".to_string(),
            "../../outside.txt".to_string(),
            "sub/../../outside.txt".to_string(),
            abs.display().to_string(),
            format!("/{inside}/../../outside.txt"),
        ];
        for name in &hostile {
            // folder
            let dir = outer.path().join("br");
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join("sub")).expect("mkdir");
            std::fs::write(dir.join("main_entry.txt"), name).expect("w");
            std::fs::write(dir.join(inside), "== dumpstate\nINSIDE\n").expect("w");
            let ev = ferret_core::evidence::FolderEvidence::new(&dir, AcquisitionKind::AndroidBugreport);
            let f = find_dumpstate(&ev).expect("find").expect("the bugreport's own file");
            assert_eq!(f.path, inside, "{name}");
            assert_eq!(ev.read(&f, 1000).expect("read"), b"== dumpstate\nINSIDE\n", "{name}");
            // zip
            let zp = outer.path().join("br.zip");
            let mut z = zip::ZipWriter::new(std::fs::File::create(&zp).expect("create"));
            let o = zip::write::SimpleFileOptions::default();
            z.start_file("main_entry.txt", o).expect("entry");
            z.write_all(name.as_bytes()).expect("w");
            z.start_file(inside, o).expect("entry");
            z.write_all(b"== dumpstate\nINSIDE\n").expect("w");
            z.finish().expect("finish");
            let ev = ferret_core::zip::ZipEvidence::open(&zp, AcquisitionKind::AndroidBugreport).expect("zip");
            let f = find_dumpstate(&ev).expect("find").expect("the bugreport's own file");
            assert_eq!(f.path, inside, "{name}");
            assert_eq!(ev.read(&f, 1000).expect("read"), b"== dumpstate\nINSIDE\n", "{name}");
        }
        // and with nothing else inside, a crafted name finds nothing rather than the bait
        let dir = outer.path().join("only");
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("main_entry.txt"), "../outside.txt").expect("w");
        let ev = ferret_core::evidence::FolderEvidence::new(&dir, AcquisitionKind::AndroidBugreport);
        assert!(find_dumpstate(&ev).expect("find").is_none());
    }
}
