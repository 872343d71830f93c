//! Prepared copies (`ferret_indicators::prepared`): a load that uses them gives exactly what
//! parsing gives (report and every match), they are used only while the file is unchanged, and
//! a damaged, foreign or missing copy only costs the shortcut.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use ferret_core::{Indicators, MatchedIndicator};
use ferret_indicators::{IndicatorIndex, IndicatorSources, LoadReport, load};
use ferret_testdata::stix::bundle;
use ferret_testdata::truth::{IndicatorKind, PlantedIndicator};

/// Objects covering every kind of stored entry: slow rules (LIKE, MATCHES, ISSUBSET), a CIDR
/// key, a value repaired with a note, rejected patterns, and names through relationships.
const EXTRA: &str = r#"{"type":"malware","id":"malware--e1","name":"Extra"},
{"type":"indicator","id":"indicator--e1","pattern":"[domain-name:value LIKE '%.slow.example']","pattern_type":"stix"},
{"type":"indicator","id":"indicator--e2","pattern":"[url:value MATCHES '^https://re\\\\.example/[0-9]+$']","pattern_type":"stix"},
{"type":"indicator","id":"indicator--e3","pattern":"[ipv4-addr:value = '198.51.100.0/24']","pattern_type":"stix"},
{"type":"indicator","id":"indicator--e4","pattern":"[ipv4-addr:value ISSUBSET '192.0.2.0/25' AND ipv4-addr:value != '192.0.2.9']","pattern_type":"stix"},
{"type":"indicator","id":"indicator--e5","pattern":"[domain-name:value = 'noted.example/with/path']","pattern_type":"stix"},
{"type":"indicator","id":"indicator--e6","pattern":"[x-thing:y = 'z']","pattern_type":"stix"},
{"type":"indicator","id":"indicator--e7","pattern":"rule x { condition: true }","pattern_type":"yara"},
{"type":"indicator","id":"indicator--e8","pattern":"[process:name = 'extraproc' OR domain-name:value LIKE 'x%.other.example']","pattern_type":"stix"},
{"type":"relationship","id":"relationship--e1","relationship_type":"indicates","source_ref":"indicator--e1","target_ref":"malware--e1"},
{"type":"relationship","id":"relationship--e2","relationship_type":"indicates","source_ref":"indicator--e3","target_ref":"malware--e1"},
"#;

fn planted() -> Vec<PlantedIndicator> {
    let p = |kind, value: &str| PlantedIndicator { kind, value: value.to_string(), malware: "Planted".to_string() };
    vec![
        p(IndicatorKind::Domain, "evil-c2.example"),
        p(IndicatorKind::Url, "https://drop.example/a?b=c"),
        p(IndicatorKind::Ipv4, "203.0.113.77"),
        p(IndicatorKind::Process, "verylongspyprocessname"),
        p(IndicatorKind::FileSha256, &"a1".repeat(32)),
        p(IndicatorKind::AppId, "com.spy.agent"),
    ]
}

/// A bundle of ~1.3 MB (above the 1 MiB preparation threshold) and a ~1.2 MB `domains.txt`.
fn write_sources(dir: &Path) -> (PathBuf, PathBuf) {
    let text = bundle(&planted(), 2_000, 7).replacen("\"objects\":[\n", &format!("\"objects\":[\n{EXTRA}"), 1);
    assert!(text.len() > 1 << 20);
    let stix = dir.join("big.stix2");
    std::fs::write(&stix, text).unwrap();
    let lists = dir.join("lists");
    std::fs::create_dir_all(&lists).unwrap();
    let mut domains: String = (0..60_000).map(|i| format!("d{i}.list.example\n")).collect();
    domains.push_str("com\n"); // a public suffix: rejected
    let list = lists.join("domains.txt");
    std::fs::write(&list, domains).unwrap();
    (stix, list)
}

fn load_with(paths: &[PathBuf], prepared: Option<&Path>) -> (IndicatorIndex, LoadReport) {
    load(&IndicatorSources {
        paths: paths.to_vec(),
        prepared_dir: prepared.map(Path::to_path_buf),
        ..Default::default()
    })
    .unwrap()
}

/// What the index answers for values of every stored entry type, matching or not.
fn probes(idx: &IndicatorIndex) -> Vec<Option<MatchedIndicator>> {
    let mut out = vec![
        idx.check_url("https://sub.evil-c2.example/x"),
        idx.check_url("https://drop.example/a?b=c"),
        idx.check_url("http://203.0.113.77/"),
        idx.check_process("verylongspyprocessname"),
        idx.check_file_hash(&"a1".repeat(32)),
        idx.check_app_id("com.spy.agent"),
        idx.check_url("https://a.slow.example/"),
        idx.check_url("https://re.example/123"),
        idx.check_url("https://re.example/abc"),
        idx.check_url("http://198.51.100.200/"),
        idx.check_url("http://192.0.2.5/"),
        idx.check_url("http://192.0.2.9/"),
        idx.check_url("http://192.0.2.200/"),
        idx.check_url("https://noted.example/"),
        idx.check_process("extraproc"),
        idx.check_url("https://xy.other.example/"),
        idx.check_url("https://d59999.list.example/"),
        idx.check_url("https://com/"),
        idx.check_url("https://benign.example/"),
    ];
    out.extend((0..60_000).step_by(997).map(|i| idx.check_url(&format!("https://d{i}.list.example/"))));
    out
}

fn copies(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "prep")).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn age(paths: &[PathBuf]) {
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    for p in paths {
        std::fs::File::options().write(true).open(p).unwrap().set_modified(old).unwrap();
    }
}

fn untouched(paths: &[PathBuf]) -> bool {
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    paths.iter().all(|p| std::fs::metadata(p).unwrap().modified().unwrap() == old)
}

#[test]
fn prepared_copies_give_exactly_what_parsing_gives() {
    let tmp = tempfile::tempdir().unwrap();
    let (stix, list) = write_sources(tmp.path());
    let paths = vec![stix.clone(), list.clone()];
    let prepared = tmp.path().join("prepared");

    let (plain_idx, plain) = load_with(&paths, None);
    // the fixture really holds every entry type
    assert_eq!(plain.rejected_patterns.len(), 3, "{:?}", plain.rejected_patterns);
    assert!(plain.warnings.iter().any(|w| w.contains("noted.example")), "{:?}", plain.warnings);
    let expected = probes(&plain_idx);
    let found = expected.iter().filter(|m| m.is_some()).count();
    assert_eq!(found, 14 + 61, "{expected:?}");
    assert_eq!(expected[6].as_ref().map(|m| m.name.as_str()), Some("Extra"));
    assert!(expected[8].is_none() && expected[11].is_none() && expected[12].is_none());

    // first load: parses and writes one copy per large file
    let (idx, report) = load_with(&paths, Some(&prepared));
    assert_eq!(report, plain);
    assert_eq!(probes(&idx), expected);
    let written = copies(&prepared);
    assert_eq!(written.len(), 2, "{written:?}");

    // second load: from the copies (not rewritten), same answers
    age(&written);
    let (idx, report) = load_with(&paths, Some(&prepared));
    assert!(untouched(&written), "the copies were used, not rewritten");
    assert_eq!(report, plain);
    assert_eq!(probes(&idx), expected);
    assert_eq!(copies(&prepared), written);

    // the same file named another way is another identity (its path is in the report)
    let other = vec![tmp.path().join(".").join("big.stix2"), tmp.path().join("lists/./domains.txt")];
    let (idx, report) = load_with(&other, Some(&prepared));
    let (plain_other_idx, plain_other) = load_with(&other, None);
    assert_eq!(report, plain_other);
    assert_eq!(probes(&idx), probes(&plain_other_idx));
    assert!(report.files.iter().all(|f| f.path.contains("/./")), "{:?}", report.files);
    assert!(report.rejected_patterns.iter().any(|r| r.file.ends_with("lists/./domains.txt")), "{report:?}");
}

#[test]
fn a_changed_file_is_parsed_again() {
    let tmp = tempfile::tempdir().unwrap();
    let (stix, _) = write_sources(tmp.path());
    let prepared = tmp.path().join("prepared");
    let paths = vec![stix.clone()];
    load_with(&paths, Some(&prepared));
    let written = copies(&prepared);
    assert_eq!(written.len(), 1);
    age(&written);

    // same size, one indicator changed: the copy no longer matches
    let text = std::fs::read_to_string(&stix).unwrap().replace("evil-c2.example", "evil-c3.example");
    std::fs::write(&stix, &text).unwrap();
    let (idx, report) = load_with(&paths, Some(&prepared));
    assert!(idx.check_url("https://evil-c3.example/").is_some());
    assert!(idx.check_url("https://evil-c2.example/").is_none());
    let (_, plain) = load_with(&paths, None);
    assert_eq!(report, plain);
    assert!(!untouched(&written), "the copy was rewritten");

    // and the new copy is used next time
    age(&written);
    let (idx, report) = load_with(&paths, Some(&prepared));
    assert!(untouched(&written));
    assert_eq!(report, plain);
    assert!(idx.check_url("https://evil-c3.example/").is_some());

    // grown or shrunk: parsed again too
    std::fs::write(&stix, format!("{text} ")).unwrap();
    let (idx, report) = load_with(&paths, Some(&prepared));
    assert_eq!(report, load_with(&paths, None).1);
    assert!(idx.check_url("https://evil-c3.example/").is_some());
}

/// Turns a good copy (and the other file's good copy) into a damaged one.
type Damage = dyn Fn(&[u8], &[u8]) -> Vec<u8>;

#[test]
fn damaged_or_foreign_copies_only_cost_the_shortcut() {
    let tmp = tempfile::tempdir().unwrap();
    let (stix, list) = write_sources(tmp.path());
    let prepared = tmp.path().join("prepared");
    let paths = vec![stix.clone(), list.clone()];
    let (plain_idx, plain) = load_with(&paths, None);
    let expected = probes(&plain_idx);
    load_with(&paths, Some(&prepared));
    let written = copies(&prepared);
    assert_eq!(written.len(), 2);
    let good: Vec<Vec<u8>> = written.iter().map(|p| std::fs::read(p).unwrap()).collect();

    let damages: Vec<(&str, Box<Damage>)> = vec![
        ("empty", Box::new(|_, _| Vec::new())),
        ("truncated header", Box::new(|b, _| b[..20].to_vec())),
        ("truncated payload", Box::new(|b, _| b[..b.len() / 2].to_vec())),
        (
            "byte flipped in the payload",
            Box::new(|b, _| {
                let mut v = b.to_vec();
                let i = v.len() * 2 / 3;
                v[i] ^= 0x20;
                v
            }),
        ),
        (
            "last byte flipped",
            Box::new(|b, _| {
                let mut v = b.to_vec();
                *v.last_mut().unwrap() ^= 1;
                v
            }),
        ),
        (
            "byte flipped in the header",
            Box::new(|b, _| {
                let mut v = b.to_vec();
                v[12] ^= 1;
                v
            }),
        ),
        ("garbage", Box::new(|b, _| (0..b.len()).map(|i| (i * 7919 % 251) as u8).collect())),
        ("the other file's copy", Box::new(|_, other| other.to_vec())),
    ];
    for (what, damage) in &damages {
        for (i, copy) in written.iter().enumerate() {
            std::fs::write(copy, damage(&good[i], &good[1 - i])).unwrap();
        }
        let (idx, report) = load_with(&paths, Some(&prepared));
        assert_eq!(report, plain, "{what}");
        assert_eq!(probes(&idx), expected, "{what}");
        // rewritten whole
        for (i, copy) in written.iter().enumerate() {
            assert_eq!(std::fs::read(copy).unwrap(), good[i], "{what}: rewritten");
        }
    }
}

#[test]
fn small_files_and_missing_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let small = tmp.path().join("small.stix2");
    std::fs::write(&small, bundle(&planted(), 10, 1)).unwrap();
    let prepared = tmp.path().join("prepared");
    let (_, report) = load_with(std::slice::from_ref(&small), Some(&prepared));
    assert_eq!(report.total, 16);
    assert!(!prepared.exists(), "no copy for a file under 1 MiB");

    // a prepared folder that cannot be created: the load works, nothing is written
    let (stix, _) = write_sources(tmp.path());
    let blocker = tmp.path().join("not-a-folder");
    std::fs::write(&blocker, "x").unwrap();
    let (_, report) = load_with(std::slice::from_ref(&stix), Some(&blocker.join("prepared")));
    assert_eq!(report, load_with(&[stix], None).1);
    assert!(blocker.is_file());
}
