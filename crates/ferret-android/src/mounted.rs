//! An evidence with other evidences mounted under path prefixes.
//!
//! An androidqf collection holds a `bugreport.zip` and a `backup.ab`. [`crate::open`] opens them
//! (the zip copied to a private temporary file, the backup decrypted and unpacked into a private
//! temporary folder) and mounts them at `<path of the file>/`, e.g. `acq/bugreport.zip/main_entry.txt`.
//! The bugreport and backup modules then find their artifacts inside the mounts with ordinary
//! locators (`**/main_entry.txt`, `**/apps/...`), and paths in records say where they came from.

use std::io::Read;
use std::path::Path;

use ferret_core::{AcquisitionKind, Evidence, EvidenceError, EvidenceFile, Locator, SqliteDb, evidence::compile_glob};

/// A root evidence plus evidences mounted under prefixes.
pub struct MountedEvidence {
    root: Box<dyn Evidence>,
    mounts: Vec<(String, Box<dyn Evidence>)>,
}

impl std::fmt::Debug for MountedEvidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MountedEvidence")
            .field("source", &self.root.source())
            .field("mounts", &self.mounts.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>())
            .finish()
    }
}

fn prefixed(prefix: &str, f: &EvidenceFile) -> EvidenceFile {
    EvidenceFile {
        path: format!("{prefix}{}", f.path),
        relative_path: format!("{prefix}{}", f.relative_path),
        ..f.clone()
    }
}

impl MountedEvidence {
    /// Wraps `root`.
    pub fn new(root: Box<dyn Evidence>) -> Self {
        Self { root, mounts: Vec::new() }
    }

    /// Mounts `ev` at `prefix` (a trailing `/` is added).
    pub fn mount(&mut self, prefix: &str, ev: Box<dyn Evidence>) {
        let p = format!("{}/", prefix.trim_end_matches('/'));
        self.mounts.push((p, ev));
    }

    /// Prefixes of the mounts.
    pub fn mount_points(&self) -> Vec<&str> {
        self.mounts.iter().map(|(p, _)| p.as_str()).collect()
    }

    fn route(&self, file: &EvidenceFile) -> Option<(&dyn Evidence, EvidenceFile)> {
        self.mounts.iter().find_map(|(p, ev)| {
            let rel = file.relative_path.strip_prefix(p.as_str())?;
            let path = file.path.strip_prefix(p.as_str()).unwrap_or(rel);
            Some((ev.as_ref(), EvidenceFile { path: path.to_string(), relative_path: rel.to_string(), ..file.clone() }))
        })
    }
}

impl Evidence for MountedEvidence {
    fn kind(&self) -> AcquisitionKind {
        self.root.kind()
    }

    fn source(&self) -> &Path {
        self.root.source()
    }

    fn locate(&self, locator: &Locator) -> Result<Vec<EvidenceFile>, EvidenceError> {
        let mut out = self.root.locate(locator)?;
        if !self.mounts.is_empty() {
            let globs = locator.paths.iter().map(|p| compile_glob(p)).collect::<Result<Vec<_>, _>>()?;
            for (p, ev) in &self.mounts {
                ev.walk(&mut |f| {
                    let pf = prefixed(p, f);
                    if globs.iter().any(|g| g.is_match(&pf.relative_path)) {
                        out.push(pf);
                    }
                })?;
            }
            out.sort_by(|a, b| a.path.cmp(&b.path));
        }
        Ok(out)
    }

    fn open(&self, file: &EvidenceFile) -> Result<Box<dyn Read + Send + '_>, EvidenceError> {
        match self.route(file) {
            Some((ev, inner)) => ev.open(&inner),
            None => self.root.open(file),
        }
    }

    fn sqlite(&self, file: &EvidenceFile) -> Result<SqliteDb, EvidenceError> {
        match self.route(file) {
            Some((ev, inner)) => ev.sqlite(&inner),
            None => self.root.sqlite(file),
        }
    }

    fn walk(&self, visit: &mut dyn FnMut(&EvidenceFile)) -> Result<(), EvidenceError> {
        let mut all = Vec::new();
        self.root.walk(&mut |f| all.push(f.clone()))?;
        for (p, ev) in &self.mounts {
            ev.walk(&mut |f| all.push(prefixed(p, f)))?;
        }
        all.sort_by(|a, b| a.path.cmp(&b.path));
        for f in &all {
            visit(f);
        }
        Ok(())
    }
}
