//! `iocs update` against a real HTTP server on 127.0.0.1 started inside the test: update,
//! re-update with no change, partial failure (404, malformed bundle, slow response), hash
//! mismatch, index failure leaving the cache intact, insecure URLs, and offline.

#![allow(clippy::print_stderr, clippy::unwrap_used)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferret_core::Indicators;
use ferret_indicators::update::{read_manifest, url_allowed};
use ferret_indicators::{
    IndicatorSources, SetStatus, UpdateError, UpdateOptions, cache_status, list_cache, load, update,
};

#[derive(Clone)]
struct Route {
    status: u16,
    body: Vec<u8>,
    delay: Duration,
}

type Routes = Arc<Mutex<HashMap<String, Route>>>;

/// A minimal HTTP/1.1 server: one thread per connection, `Connection: close`.
fn serve() -> (String, Routes) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://127.0.0.1:{}", listener.local_addr().expect("addr").port());
    let routes: Routes = Arc::new(Mutex::new(HashMap::new()));
    let r = routes.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let routes = r.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    return;
                }
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).map_or(true, |n| n == 0) || h == "\r\n" {
                        break;
                    }
                }
                let route = routes.lock().expect("lock").get(&path).cloned();
                let route = route.unwrap_or(Route { status: 404, body: b"not found".to_vec(), delay: Duration::ZERO });
                std::thread::sleep(route.delay);
                let head = format!(
                    "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    route.status,
                    route.body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&route.body);
            });
        }
    });
    (base, routes)
}

fn set(routes: &Routes, path: &str, status: u16, body: impl Into<Vec<u8>>, delay_ms: u64) {
    routes
        .lock()
        .expect("lock")
        .insert(path.to_string(), Route { status, body: body.into(), delay: Duration::from_millis(delay_ms) });
}

fn bundle(domain: &str, malware: &str) -> String {
    format!(
        r#"{{"type":"bundle","id":"bundle--1","objects":[
        {{"type":"malware","id":"malware--1","name":"{malware}"}},
        {{"type":"indicator","id":"indicator--1","pattern":"[domain-name:value = '{domain}']","pattern_type":"stix"}},
        {{"type":"relationship","id":"relationship--1","relationship_type":"indicates","source_ref":"indicator--1","target_ref":"malware--1"}}]}}"#
    )
}

fn opts(base: &str) -> UpdateOptions {
    UpdateOptions { timeout: Duration::from_millis(1500), github_raw_base: format!("{base}/gh"), ..Default::default() }
}

fn status_of<'a>(r: &'a ferret_indicators::UpdateReport, name: &str) -> &'a SetStatus {
    &r.sets.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("{name} in report")).status
}

#[test]
fn update_reupdate_partial_failure_and_mismatch() {
    let (base, routes) = serve();
    let tmp = tempfile::tempdir().expect("tmp");
    let cache = tmp.path().join("data").join("iocs");

    set(&routes, "/a.stix2", 200, bundle("alpha.example", "Alpha"), 0);
    set(&routes, "/gh/lab/repo/main/sets/beta.stix2", 200, bundle("beta.example", "Beta"), 0);
    set(&routes, "/stalk/ioc.yaml", 200, "- name: Stalk\n  packages: [com.stalk.app]\n", 0);
    let index = format!(
        "indicators:\n  - name: A\n    type: download\n    download_url: {base}/a.stix2\n  - name: B\n    type: github\n    github:\n      owner: lab\n      repo: repo\n      path: sets/beta.stix2\n  - name: S\n    download_url: {base}/stalk/ioc.yaml\n"
    );
    set(&routes, "/indicators.yaml", 200, index.clone(), 0);
    let url = format!("{base}/indicators.yaml");

    // 1. first update: everything added
    let r = update(Some(&url), &cache, &opts(&base)).expect("update");
    assert_eq!(r.failures(), 0, "{:?}", r.sets);
    for n in ["A", "B", "S"] {
        assert_eq!(status_of(&r, n), &SetStatus::Added);
    }
    let sets = list_cache(&cache).expect("list");
    assert_eq!(sets.len(), 3);
    assert!(sets.iter().all(|s| s.sha256.len() == 64 && s.url.starts_with(&base) && s.total == 1));
    let st = cache_status(&cache);
    assert!(!st.empty && !st.stale && st.age_days == Some(0));
    let from_cache = IndicatorSources { use_cache: true, cache_dir: Some(cache.clone()), ..Default::default() };
    let (idx, report) = load(&from_cache).expect("load");
    assert!(report.rejected_files.is_empty(), "{:?}", report.rejected_files);
    assert_eq!(report.files.len(), 3);
    assert_eq!(report.cache.as_ref().map(|c| c.sets), Some(3));
    assert_eq!(idx.check_domain("x.beta.example").map(|m| m.name), Some("Beta".into()));
    assert!(idx.check_app_id("com.stalk.app").is_some());

    // 2. re-update, nothing changed
    let before = read_manifest(&cache).expect("manifest");
    let r = update(Some(&url), &cache, &opts(&base)).expect("update");
    for n in ["A", "B", "S"] {
        assert_eq!(status_of(&r, n), &SetStatus::Unchanged);
    }
    let after = read_manifest(&cache).expect("manifest");
    assert_eq!(before.sets, after.sets);

    // 3. partial failure: A changes, B 404, a malformed bundle, a slow response
    set(&routes, "/a.stix2", 200, bundle("alpha2.example", "Alpha"), 0);
    routes.lock().expect("lock").remove("/gh/lab/repo/main/sets/beta.stix2");
    set(&routes, "/bad.stix2", 200, "{\"type\":\"bundle\",\"objects\":[", 0);
    set(&routes, "/slow.stix2", 200, bundle("slow.example", "Slow"), 4000);
    let wrong = "0".repeat(64);
    let index2 = format!(
        "{index}  - name: Bad\n    download_url: {base}/bad.stix2\n  - name: Slow\n    download_url: {base}/slow.stix2\n  - name: Pinned\n    download_url: {base}/a.stix2\n    sha256: {wrong}\n  - name: Plain\n    download_url: http://example.org/x.stix2\n"
    );
    set(&routes, "/indicators.yaml", 200, index2, 0);
    let r = update(Some(&url), &cache, &opts(&base)).expect("update");
    assert_eq!(status_of(&r, "A"), &SetStatus::Updated);
    assert!(matches!(status_of(&r, "B"), SetStatus::Failed { reason, kept_previous: true } if reason.contains("404")));
    assert!(
        matches!(status_of(&r, "Bad"), SetStatus::Failed { reason, kept_previous: false } if reason.contains("malformed"))
    );
    assert!(
        matches!(status_of(&r, "Slow"), SetStatus::Failed { reason, .. } if reason.contains("timed out")),
        "{:?}",
        status_of(&r, "Slow")
    );
    assert!(
        matches!(status_of(&r, "Pinned"), SetStatus::Failed { reason, kept_previous: false } if reason.contains("hash mismatch"))
    );
    assert!(matches!(status_of(&r, "Plain"), SetStatus::Failed { reason, .. } if reason.contains("https")));
    assert_eq!(r.failures(), 5);
    assert!(r.summary_lines().iter().any(|l| l.contains("previous copy kept")));
    // B's previous copy is still cached and loads
    let (idx, _) = load(&from_cache).expect("load");
    assert!(idx.check_domain("beta.example").is_some());
    assert!(idx.check_domain("alpha2.example").is_some());
    assert!(idx.check_domain("alpha.example").is_none());
    assert!(idx.check_domain("slow.example").is_none());
    assert_eq!(list_cache(&cache).expect("list").len(), 3);

    // 4. the index itself fails: the cache is left exactly as it was
    let before = read_manifest(&cache).expect("manifest");
    set(&routes, "/indicators.yaml", 500, "oops", 0);
    assert!(matches!(update(Some(&url), &cache, &opts(&base)), Err(UpdateError::Index { .. })));
    set(&routes, "/indicators.yaml", 200, "indicators: [[[", 0);
    assert!(matches!(update(Some(&url), &cache, &opts(&base)), Err(UpdateError::BadIndex { .. })));
    assert_eq!(read_manifest(&cache).expect("manifest"), before);
    // no temporary folders left behind
    let leftovers: Vec<_> = std::fs::read_dir(cache.parent().expect("parent"))
        .expect("ls")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".ferret-iocs"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn offline_and_insecure() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let cache = tmp.path().join("iocs");
    let err = update(Some(&format!("http://127.0.0.1:{port}/indicators.yaml")), &cache, &UpdateOptions::default())
        .expect_err("offline");
    assert!(matches!(err, UpdateError::Offline { .. }), "{err}");
    assert!(err.to_string().contains("offline"));
    assert!(!cache.exists(), "nothing written when offline");
    let err =
        update(Some("http://example.org/indicators.yaml"), &cache, &UpdateOptions::default()).expect_err("insecure");
    assert!(matches!(err, UpdateError::InsecureUrl { .. }));
    assert!(url_allowed("https://example.org/"));
    // an empty cache folder is reported as empty
    let st = cache_status(&cache);
    assert!(st.empty && st.age_days.is_none());
    assert!(list_cache(&cache).expect("missing cache = empty").is_empty());
}
