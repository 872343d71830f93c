//! `ferret iocs update` / `iocs list`: the local indicator cache.
//!
//! * **Index format**: the mvt-indicators `indicators.yaml` — a top-level `indicators:` list of
//!   entries with `name`, and either `type: github` + `github: {owner, repo, branch (default
//!   main), path}` (fetched from [`UpdateOptions::github_raw_base`]) or a `download_url`. A
//!   ferret extension: an optional `sha256:` on an entry pins the expected file hash.
//! * **Cache folder**: `$FERRET_DATA_DIR/iocs`, else `$XDG_DATA_HOME/ferret/iocs`, else
//!   `~/.local/share/ferret/iocs`. It holds the downloaded files and `manifest.json`
//!   ([`Manifest`]: per set its name, source URL, SHA-256, size, download time and counts).
//! * **Atomic**: a new cache is assembled in a temporary sibling folder and swapped in with
//!   renames; if the index cannot be fetched, nothing changes. An entry that fails (HTTP error,
//!   timeout, malformed file, hash mismatch) is reported and its previous copy, if any, is
//!   carried over unchanged.
//! * **Network policy**: HTTPS only, except `http://127.0.0.1`, `http://localhost` and
//!   `http://[::1]` (loopback, for tests and local mirrors). Timeouts on every request; a size
//!   bound on every download; connection failures are reported as [`UpdateError::Offline`].
//!   Only `update` touches the network.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The public mvt-indicators index.
pub const DEFAULT_INDEX_URL: &str = "https://raw.githubusercontent.com/mvt-project/mvt-indicators/main/indicators.yaml";
/// Manifest file name inside the cache folder.
pub const MANIFEST_NAME: &str = "manifest.json";
/// A cache older than this many days is reported as stale.
pub const STALE_DAYS: u64 = 30;

/// Options for [`update`].
#[derive(Debug, Clone)]
pub struct UpdateOptions {
    /// Timeout of each request, connect to last byte.
    pub timeout: Duration,
    /// Largest file accepted, in bytes.
    pub max_size: u64,
    /// Base URL for `type: github` entries.
    pub github_raw_base: String,
}

impl Default for UpdateOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(15),
            max_size: 64 * 1024 * 1024,
            github_raw_base: "https://raw.githubusercontent.com".to_string(),
        }
    }
}

/// The cache manifest (`manifest.json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Index the cache was filled from.
    pub index_url: String,
    /// Unix time of the last successful update.
    pub updated_at: i64,
    /// Cached sets.
    pub sets: Vec<CachedSet>,
}

/// One cached indicator file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedSet {
    /// Name from the index.
    pub name: String,
    /// Source URL.
    pub url: String,
    /// File name inside the cache folder.
    pub file: String,
    /// SHA-256 of the file.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Unix time it was downloaded.
    pub downloaded_at: i64,
    /// Indicator counts per kind label.
    pub counts: BTreeMap<String, usize>,
    /// Total indicators.
    pub total: usize,
}

/// What happened to one index entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum SetStatus {
    /// New in the cache.
    Added,
    /// Content changed.
    Updated,
    /// Same bytes as before.
    Unchanged,
    /// Not updated (the previous copy, if any, was kept).
    Failed {
        /// Why.
        reason: String,
        /// A previous copy is still in the cache.
        kept_previous: bool,
    },
}

/// One index entry's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetOutcome {
    /// Name from the index.
    pub name: String,
    /// URL it was fetched from.
    pub url: String,
    /// Outcome.
    #[serde(flatten)]
    pub status: SetStatus,
    /// SHA-256 of the file now cached, if any.
    pub sha256: Option<String>,
}

/// Result of [`update`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpdateReport {
    /// Index URL.
    pub index_url: String,
    /// Cache folder.
    pub cache_dir: PathBuf,
    /// Per entry.
    pub sets: Vec<SetOutcome>,
}

impl UpdateReport {
    /// Entries that failed.
    pub fn failures(&self) -> usize {
        self.sets.iter().filter(|s| matches!(s.status, SetStatus::Failed { .. })).count()
    }

    /// Console lines.
    pub fn summary_lines(&self) -> Vec<String> {
        let mut out = vec![format!("Indicator index {} → {}", self.index_url, self.cache_dir.display())];
        for s in &self.sets {
            let st = match &s.status {
                SetStatus::Added => "added".to_string(),
                SetStatus::Updated => "updated".to_string(),
                SetStatus::Unchanged => "unchanged".to_string(),
                SetStatus::Failed { reason, kept_previous } => {
                    format!("FAILED ({reason}){}", if *kept_previous { "; previous copy kept" } else { "" })
                }
            };
            out.push(format!("  {}: {st} [{}]", s.name, s.url));
        }
        out
    }
}

/// State of the cache, for load reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CacheStatus {
    /// Folder.
    pub dir: String,
    /// Number of cached sets.
    pub sets: usize,
    /// Days since the last update, if ever updated.
    pub age_days: Option<u64>,
    /// No sets cached.
    pub empty: bool,
    /// Older than [`STALE_DAYS`].
    pub stale: bool,
}

impl CacheStatus {
    /// One console line.
    pub fn summary(&self) -> String {
        match self.age_days {
            _ if self.empty => format!("Indicator cache {}: empty (run `ferret iocs update`)", self.dir),
            Some(d) => format!(
                "Indicator cache {}: {} set(s), updated {d} day(s) ago{}",
                self.dir,
                self.sets,
                if self.stale { " (STALE: run `ferret iocs update`)" } else { "" }
            ),
            None => format!("Indicator cache {}: {} set(s)", self.dir, self.sets),
        }
    }
}

/// Update and cache errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpdateError {
    /// A URL that is neither HTTPS nor loopback HTTP.
    #[error("refusing {url}: only https:// URLs (or http:// on 127.0.0.1/localhost) are allowed")]
    InsecureUrl {
        /// The URL.
        url: String,
    },
    /// No network connection to the host.
    #[error("cannot reach {url} (offline?): {reason}")]
    Offline {
        /// The URL.
        url: String,
        /// Details.
        reason: String,
    },
    /// The index could not be fetched.
    #[error("cannot fetch the indicator index {url}: {reason}")]
    Index {
        /// The URL.
        url: String,
        /// Details.
        reason: String,
    },
    /// The index is not an `indicators.yaml`.
    #[error("the indicator index {url} is malformed: {reason}")]
    BadIndex {
        /// The URL.
        url: String,
        /// Details.
        reason: String,
    },
    /// Cache folder I/O.
    #[error("indicator cache {path}: {source}")]
    Io {
        /// Path involved.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Manifest unreadable.
    #[error("indicator cache manifest {path} is corrupt: {reason}")]
    BadManifest {
        /// Path.
        path: PathBuf,
        /// Details.
        reason: String,
    },
    /// No cache folder could be determined.
    #[error("no data folder for the indicator cache: set FERRET_DATA_DIR or HOME")]
    NoDataDir,
}

/// The folder an environment variable names, if it is set and not empty.
pub(crate) fn nonempty(var: &str) -> Option<PathBuf> {
    std::env::var_os(var).filter(|s| !s.is_empty()).map(PathBuf::from)
}

/// The cache folder: `$FERRET_DATA_DIR/iocs`, `$XDG_DATA_HOME/ferret/iocs` or
/// `~/.local/share/ferret/iocs`.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(d) = nonempty("FERRET_DATA_DIR") {
        return Some(d.join("iocs"));
    }
    if let Some(d) = nonempty("XDG_DATA_HOME") {
        return Some(d.join("ferret").join("iocs"));
    }
    nonempty("HOME").map(|h| h.join(".local").join("share").join("ferret").join("iocs"))
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Reads the manifest; a missing cache is an empty manifest.
pub fn read_manifest(dir: &Path) -> Result<Manifest, UpdateError> {
    let path = dir.join(MANIFEST_NAME);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| UpdateError::BadManifest { path: path.clone(), reason: e.to_string() }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::default()),
        Err(e) => Err(UpdateError::Io { path, source: e }),
    }
}

/// The sets in the cache (`ferret iocs list`).
pub fn list_cache(dir: &Path) -> Result<Vec<CachedSet>, UpdateError> {
    Ok(read_manifest(dir)?.sets)
}

/// Cache state for the load report.
pub fn cache_status(dir: &Path) -> CacheStatus {
    let m = read_manifest(dir).unwrap_or_default();
    let age_days = (m.updated_at > 0).then(|| u64::try_from((now() - m.updated_at).max(0) / 86_400).unwrap_or(0));
    CacheStatus {
        dir: dir.display().to_string(),
        sets: m.sets.len(),
        age_days,
        empty: m.sets.is_empty(),
        stale: age_days.is_some_and(|d| d > STALE_DAYS),
    }
}

/// Files listed in the cache manifest that exist.
pub fn cached_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(m) = read_manifest(dir) else { return Vec::new() };
    m.sets.iter().map(|s| dir.join(&s.file)).filter(|p| p.is_file()).collect()
}

/// Whether `url` may be fetched (HTTPS, or HTTP to loopback).
pub fn url_allowed(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("https://") {
        return true;
    }
    let Some(rest) = lower.strip_prefix("http://") else { return false };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = if authority.starts_with("[::1]") { "[::1]" } else { authority.split(':').next().unwrap_or("") };
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

#[derive(Debug, Deserialize)]
struct IndexFile {
    #[serde(default)]
    indicators: Vec<IndexEntry>,
}

#[derive(Debug, Deserialize)]
struct IndexEntry {
    #[serde(default)]
    name: Option<String>,
    #[serde(rename = "type", default)]
    ty: Option<String>,
    #[serde(default)]
    github: Option<GithubRef>,
    #[serde(default)]
    download_url: Option<String>,
    #[serde(default)]
    sha256: Option<String>,
}

#[derive(Debug, Deserialize)]
struct GithubRef {
    owner: String,
    repo: String,
    #[serde(default)]
    branch: Option<String>,
    path: String,
}

enum FetchError {
    Offline(String),
    Other(String),
}

fn agent(opts: &UpdateOptions) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(opts.timeout))
        .http_status_as_error(false)
        .max_redirects(5)
        .build()
        .into()
}

fn fetch(agent: &ureq::Agent, url: &str, max: u64) -> Result<Vec<u8>, FetchError> {
    if !url_allowed(url) {
        return Err(FetchError::Other("not an https:// URL".into()));
    }
    let classify = |e: ureq::Error| match e {
        // refused, unreachable, DNS lookup failure: the network or the host is not there
        ureq::Error::ConnectionFailed | ureq::Error::HostNotFound | ureq::Error::Io(_) => {
            FetchError::Offline(e.to_string())
        }
        ureq::Error::Timeout(_) => FetchError::Other(format!("timed out: {e}")),
        other => FetchError::Other(other.to_string()),
    };
    let mut resp = agent.get(url).call().map_err(classify)?;
    let status = resp.status().as_u16();
    if status != 200 {
        return Err(FetchError::Other(format!("HTTP status {status}")));
    }
    resp.body_mut().with_config().limit(max).read_to_vec().map_err(classify)
}

/// A safe cache file name from a URL (MVT style: scheme removed, `/` → `_`).
fn cache_file_name(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let mut name: String =
        rest.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' }).collect();
    name = name.trim_start_matches('.').to_string();
    if name.len() > 200 {
        let h = hex::encode(Sha256::digest(url.as_bytes()));
        let keep: String = name.chars().rev().take(100).collect::<Vec<_>>().into_iter().rev().collect();
        name = format!("{}-{keep}", &h[..16]);
    }
    if name.is_empty() { "indicators.stix2".into() } else { name }
}

/// Validates downloaded bytes as an indicator file; returns (counts, total).
fn validate(bytes: &[u8], file_name: &str) -> Result<(BTreeMap<String, usize>, usize), String> {
    let (_, report) = crate::load::load_bytes(bytes, file_name);
    if let Some(r) = report.rejected_files.first() {
        return Err(format!("malformed: {}", r.reason));
    }
    let f = report.files.first().ok_or_else(|| "not an indicator file".to_string())?;
    Ok((f.counts.clone(), f.total))
}

/// Fetches the index and every set it lists into `cache_dir` (see the module docs).
pub fn update(index_url: Option<&str>, cache_dir: &Path, opts: &UpdateOptions) -> Result<UpdateReport, UpdateError> {
    let index_url = index_url.unwrap_or(DEFAULT_INDEX_URL);
    if !url_allowed(index_url) {
        return Err(UpdateError::InsecureUrl { url: index_url.to_string() });
    }
    let agent = agent(opts);
    let index_bytes = fetch(&agent, index_url, 8 * 1024 * 1024).map_err(|e| match e {
        FetchError::Offline(reason) => UpdateError::Offline { url: index_url.to_string(), reason },
        FetchError::Other(reason) => UpdateError::Index { url: index_url.to_string(), reason },
    })?;
    let index: IndexFile = serde_yaml_ng::from_slice(&index_bytes)
        .map_err(|e| UpdateError::BadIndex { url: index_url.to_string(), reason: e.to_string() })?;
    let old = read_manifest(cache_dir).unwrap_or_default();

    let parent = cache_dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| UpdateError::Io { path: parent.to_path_buf(), source: e })?;
    let tmp = tempfile::Builder::new()
        .prefix(".ferret-iocs-new-")
        .tempdir_in(parent)
        .map_err(|e| UpdateError::Io { path: parent.to_path_buf(), source: e })?;

    let mut manifest = Manifest { index_url: index_url.to_string(), updated_at: now(), sets: Vec::new() };
    let mut outcomes = Vec::new();
    let mut used_names = std::collections::HashSet::new();
    for (n, entry) in index.indicators.iter().enumerate() {
        let name = entry.name.clone().unwrap_or_else(|| format!("entry {}", n + 1));
        let url = match (&entry.ty, &entry.github, &entry.download_url) {
            (_, _, Some(u)) => u.clone(),
            (Some(t), Some(g), None) if t == "github" => format!(
                "{}/{}/{}/{}/{}",
                opts.github_raw_base.trim_end_matches('/'),
                g.owner,
                g.repo,
                g.branch.as_deref().unwrap_or("main"),
                g.path.trim_start_matches('/')
            ),
            _ => {
                outcomes.push(SetOutcome {
                    name,
                    url: String::new(),
                    status: SetStatus::Failed {
                        reason: "entry has neither github nor download_url".into(),
                        kept_previous: false,
                    },
                    sha256: None,
                });
                continue;
            }
        };
        let mut file = cache_file_name(&url);
        while !used_names.insert(file.clone()) {
            file = format!("{n}-{file}");
        }
        let previous = old.sets.iter().find(|s| s.url == url && s.name == name);
        let result = fetch(&agent, &url, opts.max_size)
            .map_err(|e| match e {
                FetchError::Offline(r) => format!("offline: {r}"),
                FetchError::Other(r) => r,
            })
            .and_then(|bytes| {
                let sha = hex::encode(Sha256::digest(&bytes));
                if let Some(want) = &entry.sha256
                    && !want.trim().eq_ignore_ascii_case(&sha)
                {
                    return Err(format!("hash mismatch: expected SHA-256 {}, got {sha}", want.trim()));
                }
                let (counts, total) = validate(&bytes, &file)?;
                Ok((bytes, sha, counts, total))
            });
        match result {
            Ok((bytes, sha, counts, total)) => {
                let dest = tmp.path().join(&file);
                std::fs::write(&dest, &bytes).map_err(|e| UpdateError::Io { path: dest.clone(), source: e })?;
                let status = match previous {
                    Some(p) if p.sha256 == sha => SetStatus::Unchanged,
                    Some(_) => SetStatus::Updated,
                    None => SetStatus::Added,
                };
                let downloaded_at = match (&status, previous) {
                    (SetStatus::Unchanged, Some(p)) => p.downloaded_at,
                    _ => now(),
                };
                manifest.sets.push(CachedSet {
                    name: name.clone(),
                    url: url.clone(),
                    file,
                    sha256: sha.clone(),
                    size: bytes.len() as u64,
                    downloaded_at,
                    counts,
                    total,
                });
                outcomes.push(SetOutcome { name, url, status, sha256: Some(sha) });
            }
            Err(reason) => {
                let kept = previous.and_then(|p| {
                    let src = cache_dir.join(&p.file);
                    let dest = tmp.path().join(&file);
                    std::fs::copy(&src, &dest).ok().map(|_| CachedSet {
                        file: file.clone(),
                        name: name.clone(),
                        ..p.clone()
                    })
                });
                let kept_previous = kept.is_some();
                let sha256 = kept.as_ref().map(|k| k.sha256.clone());
                if let Some(k) = kept {
                    manifest.sets.push(k);
                }
                outcomes.push(SetOutcome { name, url, status: SetStatus::Failed { reason, kept_previous }, sha256 });
            }
        }
    }
    let mpath = tmp.path().join(MANIFEST_NAME);
    let text =
        serde_json::to_vec_pretty(&manifest).map_err(|e| UpdateError::Io { path: mpath.clone(), source: e.into() })?;
    std::fs::write(&mpath, text).map_err(|e| UpdateError::Io { path: mpath.clone(), source: e })?;
    swap_in(tmp, cache_dir)?;
    Ok(UpdateReport { index_url: index_url.to_string(), cache_dir: cache_dir.to_path_buf(), sets: outcomes })
}

/// Replaces `cache_dir` with the assembled temporary folder using renames.
fn swap_in(tmp: tempfile::TempDir, cache_dir: &Path) -> Result<(), UpdateError> {
    let new_path = tmp.keep();
    let io = |path: &Path, e| UpdateError::Io { path: path.to_path_buf(), source: e };
    if cache_dir.exists() {
        let old = cache_dir.with_file_name(format!(
            ".ferret-iocs-old-{}-{}",
            std::process::id(),
            SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos())
        ));
        std::fs::rename(cache_dir, &old).map_err(|e| {
            let _ = std::fs::remove_dir_all(&new_path);
            io(cache_dir, e)
        })?;
        if let Err(e) = std::fs::rename(&new_path, cache_dir) {
            let _ = std::fs::rename(&old, cache_dir);
            let _ = std::fs::remove_dir_all(&new_path);
            return Err(io(cache_dir, e));
        }
        if let Err(e) = std::fs::remove_dir_all(&old) {
            tracing::warn!(path = %old.display(), error = %e, "could not remove the previous indicator cache");
        }
    } else if let Err(e) = std::fs::rename(&new_path, cache_dir) {
        let _ = std::fs::remove_dir_all(&new_path);
        return Err(io(cache_dir, e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_policy() {
        assert!(url_allowed("https://example.org/x"));
        assert!(url_allowed("http://127.0.0.1:8080/x"));
        assert!(url_allowed("http://localhost/x"));
        assert!(url_allowed("http://[::1]:80/x"));
        assert!(!url_allowed("http://example.org/x"));
        assert!(!url_allowed("http://127.0.0.1.evil.example/x"));
        assert!(!url_allowed("ftp://127.0.0.1/x"));
        assert!(!url_allowed("file:///etc/passwd"));
    }

    #[test]
    fn file_names() {
        assert_eq!(cache_file_name("https://raw.example/a/b/pegasus.stix2"), "raw.example_a_b_pegasus.stix2");
        assert!(!cache_file_name("https://x/../../etc").contains('/'));
        assert!(cache_file_name(&format!("https://x/{}", "a".repeat(500))).len() < 200);
    }
}
