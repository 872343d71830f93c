//! `webkit_indexeddb`, `webkit_local_storage`, `webkit_safari_view_service`: web origins that
//! stored data through WebKit (Safari, in-app browsers), read from the store folder names.
//!
//! Format facts (MVT's WebkitIndexedDB/WebkitLocalStorage/WebkitSafariViewService; WebKit
//! source `SecurityOriginData::databaseIdentifier`):
//! * Stores live under an app data container,
//!   `private/var/mobile/Containers/Data/Application/<UUID>/Library/WebKit/WebsiteData/`:
//!   `IndexedDB/<origin>/...` (one folder per origin), `LocalStorage/<origin>.localstorage` (one
//!   SQLite file per origin); SafariViewService keeps its stores in
//!   `.../SystemData/com.apple.SafariViewService/Library/WebKit/WebsiteData/<origin>...`.
//! * An origin name is `<scheme>_<host>_<port>` (`https_example.com_0`, port 0 = default), so the
//!   origin URL is `<scheme>://<host>`. Only names starting with `http` are origins
//!   (`Databases.db`, `StorageTracker.db`... are bookkeeping).
//! * Newer WebKit (iOS 17+) also keeps salted-hash folders (`Default/<hash>/<hash>/origin`) whose
//!   names carry no origin; those are not decoded here.
//!
//! The evidence views list files only, so an origin folder is recognised from the paths of the
//! files inside it; its time is the newest modification time among them.
//!
//! Record: `{url, folder, isodate}`, one per origin entry. Check: `check_url(url)` → CRITICAL.
//! Timeline: `indexeddb` / `local_storage` (none for SafariViewService, as MVT).

use std::collections::BTreeMap;

use ferret_core::{
    ArtifactModule, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One web origin with a WebKit store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebkitOrigin {
    /// Origin as a URL (`https://example.com`).
    pub url: String,
    /// The store entry (folder or file) path inside the acquisition.
    pub folder: String,
    /// Newest modification time of the entry's files.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub isodate: Option<Timestamp>,
}

/// Decodes a WebKit origin entry name (`https_example.com_0`, `http_a.b_8080.localstorage`).
pub fn origin_url(name: &str) -> Option<String> {
    let name = name.strip_suffix(".localstorage").unwrap_or(name);
    let (scheme, rest) = if let Some(r) = name.strip_prefix("https_") {
        ("https", r)
    } else if let Some(r) = name.strip_prefix("http_") {
        ("http", r)
    } else {
        return None;
    };
    let host = rest.split('_').next().filter(|h| !h.is_empty())?;
    Some(format!("{scheme}://{host}"))
}

fn collect(ctx: &Context<'_>, locator: &Locator, marker: &str) -> Result<Option<Vec<WebkitOrigin>>, ModuleError> {
    let files = ctx.evidence.locate(locator)?;
    if files.is_empty() {
        return Ok(None);
    }
    let mut found: BTreeMap<String, WebkitOrigin> = BTreeMap::new();
    for f in &files {
        let Some(i) = f.path.find(marker) else { continue };
        let base_end = i + marker.len();
        let rest = f.path.get(base_end..).unwrap_or("");
        let entry = rest.split('/').next().unwrap_or("");
        let Some(url) = origin_url(entry) else { continue };
        let folder = format!("{}{entry}", f.path.get(..base_end).unwrap_or(""));
        let e = found.entry(folder.clone()).or_insert_with(|| WebkitOrigin { url, folder, isodate: None });
        if f.modified > e.isodate {
            e.isodate = f.modified;
        }
    }
    Ok(Some(found.into_values().collect()))
}

fn check_origin(r: &WebkitOrigin, ind: &dyn Indicators, what: &str, f: &mut Vec<Finding>) {
    if let Some(m) = ind.check_url(&r.url) {
        f.push(ioc_finding(Level::Critical, what, &r.url, r.isodate, m));
    }
}

macro_rules! webkit_module {
    ($ty:ident, $name:literal, $desc:literal, $paths:expr, $marker:literal, $event:expr, $what:literal) => {
        #[doc = concat!("The `", $name, "` module.")]
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $ty;

        impl ArtifactModule for $ty {
            type Record = WebkitOrigin;
            const NAME: &'static str = $name;
            const DESCRIPTION: &'static str = $desc;

            fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
                static LOCATOR: Locator = Locator { backup: &[], paths: $paths };
                let Some(recs) = collect(ctx, &LOCATOR, $marker)? else { return Ok(Outcome::NotFound) };
                for r in recs {
                    out.record(r)?;
                }
                Ok(Outcome::Completed)
            }

            fn timeline(&self, r: &WebkitOrigin, events: &mut Vec<(Timestamp, String, String)>) {
                let event: Option<&str> = $event;
                if let (Some(e), Some(t)) = (event, r.isodate) {
                    events.push((t, e.to_string(), format!("{} ({})", r.url, r.folder)));
                }
            }

            fn check(&self, r: &WebkitOrigin, ind: &dyn Indicators, f: &mut Vec<Finding>) {
                check_origin(r, ind, $what, f);
            }
        }
    };
}

webkit_module!(
    WebkitIndexedDb,
    "webkit_indexeddb",
    "Web origins with WebKit IndexedDB stores (app data containers)",
    &["private/var/mobile/Containers/Data/Application/*/Library/WebKit/WebsiteData/IndexedDB/**"],
    "/WebsiteData/IndexedDB/",
    Some("indexeddb"),
    "WebKit IndexedDB store of origin"
);

webkit_module!(
    WebkitLocalStorage,
    "webkit_local_storage",
    "Web origins with WebKit LocalStorage stores (app data containers)",
    &["private/var/mobile/Containers/Data/Application/*/Library/WebKit/WebsiteData/LocalStorage/**"],
    "/WebsiteData/LocalStorage/",
    Some("local_storage"),
    "WebKit LocalStorage store of origin"
);

webkit_module!(
    WebkitSafariViewService,
    "webkit_safari_view_service",
    "Web origins with SafariViewService WebKit stores",
    &[
        "private/var/mobile/Containers/Data/Application/*/SystemData/com.apple.SafariViewService/Library/WebKit/WebsiteData/**"
    ],
    "/com.apple.SafariViewService/Library/WebKit/WebsiteData/",
    None,
    "SafariViewService WebKit store of origin"
);

#[cfg(test)]
pub(crate) mod testing {
    use ferret_core::Evidence;
    use ferret_testdata::ArtifactFile;

    /// A filesystem dump written as a folder (nested one level) and as a tar.gz (nested one
    /// level), both opened with [`crate::fs::open`].
    pub(crate) fn both_fs(files: &[ArtifactFile]) -> (tempfile::TempDir, Vec<Box<dyn Evidence>>) {
        let d = tempfile::tempdir().expect("tmp");
        let folder = ferret_testdata::ios_fs::write_folder(&d.path().join("folder"), "dump", files).expect("folder");
        let tgz = d.path().join("dump.tar.gz");
        ferret_testdata::ios_fs::write_tar_gz(&tgz, "fs_root", files).expect("tgz");
        let a = crate::fs::open(&folder).expect("open folder");
        let b = crate::fs::open(&tgz).expect("open tgz");
        (d, vec![a, b])
    }
}

#[cfg(test)]
mod tests {
    use super::testing::both_fs;
    use super::*;
    use crate::modules::executable_paths::testing::run_on;
    use ferret_testdata::fake::TruthIndicators;
    use ferret_testdata::truth::{Truth, compare};

    #[test]
    fn origins() {
        assert_eq!(origin_url("https_example.com_0").as_deref(), Some("https://example.com"));
        assert_eq!(origin_url("http_a.b_8080.localstorage").as_deref(), Some("http://a.b"));
        assert_eq!(origin_url("Databases.db"), None);
        assert_eq!(origin_url("https__0"), None);
        assert_eq!(origin_url(""), None);
    }

    #[test]
    fn recall_and_precision_folder_and_targz() {
        let mut truth = Truth::default();
        let files = ferret_testdata::ios_fs::webkit_stores(8, 10, &mut truth);
        let (_d, evs) = both_fs(&files);
        let ind = TruthIndicators::new(&truth);
        let mut all = Vec::new();
        for ev in &evs {
            let mut per = Vec::new();
            for (name, r) in [
                ("webkit_indexeddb", run_on(WebkitIndexedDb, ev.as_ref(), &ind)),
                ("webkit_local_storage", run_on(WebkitLocalStorage, ev.as_ref(), &ind)),
                ("webkit_safari_view_service", run_on(WebkitSafariViewService, ev.as_ref(), &ind)),
            ] {
                assert_eq!(r.outcome, Ok(Outcome::Completed), "{name}");
                let cmp = compare(&truth.alerts, &r.alerts, Some(&[name]));
                assert!(cmp.is_exact(), "{name}: missed {:#?} unexpected {:#?}", cmp.missed, cmp.unexpected);
                // 7 benign hosts + the indicator + one http origin
                assert_eq!(r.records.len(), 9, "{name}");
                per.push(r.records);
            }
            all.push(per);
        }
        assert_eq!(all[0], all[1]);
        // a dump without WebKit stores (an empty one cannot be placed at all: see fs::open)
        let other = ferret_testdata::ArtifactFile {
            domain: String::new(),
            relative_path: String::new(),
            fs_path: "private/var/mobile/Library/Preferences/x.plist".into(),
            bytes: b"x".to_vec(),
            mtime: 0,
        };
        let (_d, evs) = both_fs(&[other]);
        assert_eq!(run_on(WebkitIndexedDb, evs[0].as_ref(), &ferret_core::NoIndicators).outcome, Ok(Outcome::NotFound));
    }
}
