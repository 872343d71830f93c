//! Small fake modules and a run helper shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;

use ferret_core::evidence::FolderEvidence;
use ferret_core::{
    AcquisitionKind, ArtifactModule, Context, Finding, Indicators, Level, ModuleError, ModuleReport, NoProgress, Out,
    Outcome, OutputShape, RunOptions, SinkFactory, Typed, ioc_finding, run_modules,
};
use ferret_report::{DeviceInfo, FileHash, RunInfo, TargetInfo};
use ferret_testdata::fake::TruthIndicators;
use ferret_testdata::truth::{IndicatorKind, Truth};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A record with attacker-controlled strings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rec {
    pub id: u64,
    pub host: String,
    pub note: String,
    #[serde(with = "ferret_core::time::serde_opt_ts")]
    pub time: Option<Timestamp>,
}

pub const HOSTILE: &str = "a \"quoted\", b\nnew line\r\n\u{fffd} <b>x</b> \\ end";

fn lcg(x: &mut u64) -> u64 {
    *x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    *x >> 33
}

/// Records of a seeded fake artifact: every 17th host is evil, every 29th note an "ALERT".
pub fn records(n: u64, seed: u64) -> Vec<Rec> {
    let mut x = seed;
    (0..n)
        .map(|id| {
            let secs = 1_700_000_000 + (lcg(&mut x) % 500_000) as i64;
            Rec {
                id,
                host: if id % 17 == 3 {
                    format!("h{id}.evil.example")
                } else if id % 19 == 5 {
                    format!("h{id}.later.example")
                } else {
                    format!("h{id}.fine.example")
                },
                note: if id % 29 == 7 {
                    format!("ALERT {HOSTILE} {id}")
                } else if id % 5 == 0 {
                    HOSTILE.to_string()
                } else {
                    format!("note {id}")
                },
                time: if id % 11 == 10 { None } else { Timestamp::from_second(secs).ok() },
            }
        })
        .collect()
}

fn check(rec: &Rec, ind: &dyn Indicators, findings: &mut Vec<Finding>) {
    if let Some(m) = ind.check_domain(&rec.host) {
        findings.push(ioc_finding(Level::Critical, "Host", &rec.host, rec.time, m));
    }
    if rec.note.starts_with("ALERT") {
        findings.push(Finding::heuristic(Level::Medium, format!("Suspicious note {:?}", rec.note), rec.time));
    }
}

fn timeline(rec: &Rec, events: &mut Vec<(Timestamp, String, String)>) {
    if let Some(t) = rec.time {
        events.push((t, "seen".into(), rec.note.clone()));
        // Identical duplicate: must appear once in timeline.csv.
        events.push((t, "seen".into(), rec.note.clone()));
    }
}

macro_rules! fake_module {
    ($ty:ident, $name:literal, $seed:literal) => {
        /// A fake list module.
        pub struct $ty(pub u64);
        impl ArtifactModule for $ty {
            type Record = Rec;
            const NAME: &'static str = $name;
            const DESCRIPTION: &'static str = "fake";
            fn extract(&self, _ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
                if self.0 == 0 {
                    return Ok(Outcome::NotFound);
                }
                let recs = records(self.0, $seed);
                let evil = recs.iter().filter(|r| r.host.contains("evil")).count();
                for r in recs {
                    out.record(r)?;
                }
                // A cross-record heuristic (cannot be re-checked from one record).
                if evil > 2 {
                    out.heuristic(Level::Low, format!("{evil} evil hosts in one artifact"), None, &serde_json::json!({"evil": evil}));
                }
                Ok(Outcome::Completed)
            }
            fn timeline(&self, r: &Rec, ev: &mut Vec<(Timestamp, String, String)>) {
                timeline(r, ev)
            }
            fn check(&self, r: &Rec, ind: &dyn Indicators, f: &mut Vec<Finding>) {
                check(r, ind, f)
            }
        }
    };
}

fake_module!(FakeA, "fake_a", 1);
fake_module!(FakeB, "fake_b", 2);
fake_module!(Absent, "absent", 3);

/// A single-object module.
pub struct FakeInfo;
impl ArtifactModule for FakeInfo {
    type Record = Rec;
    const NAME: &'static str = "fake_info";
    const DESCRIPTION: &'static str = "fake object";
    const SHAPE: OutputShape = OutputShape::Object;
    fn extract(&self, _ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        out.record(Rec { id: 0, host: "device.example".into(), note: HOSTILE.into(), time: None })?;
        Ok(Outcome::Completed)
    }
}

/// A module that fails after two records.
pub struct Broken;
impl ArtifactModule for Broken {
    type Record = Rec;
    const NAME: &'static str = "broken";
    const DESCRIPTION: &'static str = "fails";
    fn extract(&self, _ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        for r in records(2, 9) {
            out.record(r)?;
        }
        Err(ModuleError::format("Library/broken.db", "table `t`: truncated page at offset 4096"))
    }
}

pub fn truth(domains: &[&str]) -> Truth {
    let mut t = Truth::default();
    for d in domains {
        t.plant(IndicatorKind::Domain, *d, "Pegasus");
    }
    t
}

pub fn modules(n: u64) -> Vec<Box<dyn ferret_core::Module>> {
    vec![
        Box::new(Typed(FakeA(n))),
        Box::new(Typed(FakeB(n / 2))),
        Box::new(Typed(FakeInfo)),
        Box::new(Typed(Absent(0))),
        Box::new(Typed(Broken)),
    ]
}

/// Runs `mods` with `indicators` into `sinks`.
pub fn run(
    mods: &[Box<dyn ferret_core::Module>],
    indicators: &dyn Indicators,
    sinks: &dyn SinkFactory,
    threads: usize,
) -> Vec<ModuleReport> {
    let tmp = tempfile::tempdir().expect("tmp");
    let ev = FolderEvidence::new(tmp.path(), AcquisitionKind::IosBackup);
    let opts = RunOptions::default();
    let ctx = Context { evidence: &ev, indicators, options: &opts };
    let refs: Vec<&dyn ferret_core::Module> = mods.iter().map(|m| m.as_ref()).collect();
    run_modules(&refs, &ctx, sinks, &NoProgress, threads)
}

pub fn run_info() -> RunInfo {
    RunInfo {
        ferret_version: "0.1.0".into(),
        command_line: vec!["ferret".into(), "check".into(), "/evidence/<b>".into()],
        started_at: Timestamp::from_second(1_800_000_000).ok(),
        finished_at: Timestamp::from_second(1_800_000_060).ok(),
        target: TargetInfo {
            path: "/evidence/backup".into(),
            kind: "ios_backup".into(),
            hashes: vec![FileHash { path: "Manifest.db".into(), sha256: "ab".repeat(32), bytes: 1024 }],
        },
        device: DeviceInfo {
            model: Some("iPhone14,2".into()),
            os_version: Some("iOS 17.4.1".into()),
            ..Default::default()
        },
        indicators: serde_json::json!({"files": [{"path": "/iocs/pegasus.stix2", "sha256": "cd".repeat(32), "set_name": "Pegasus", "total": 1234}], "total": 1234}),
        recheck_of: None,
        problems: Vec::new(),
        custody: None,
    }
}

/// Reads every file of a folder (name → bytes), sorted.
pub fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("read_dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).expect("read")))
        .collect();
    v.sort();
    v
}

pub fn indicators(domains: &[&str]) -> TruthIndicators {
    TruthIndicators::new(&truth(domains))
}
