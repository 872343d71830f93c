//! `locationd`: apps and daemons that asked for the device location (locationd `clients.plist`).
//!
//! Format facts:
//! * Property list at RootDomain `Library/Caches/locationd/clients.plist` (FS
//!   `private/var/mobile/Library/Caches/locationd/clients.plist` or
//!   `private/var/root/Library/Caches/locationd/clients.plist`): a dictionary keyed by client —
//!   a bundle id for apps, an executable path ending in `:` for daemons (the trailing `:` is
//!   removed into `package`). Each entry may hold `BundleId`, `BundlePath`, `Executable`,
//!   `Registered` (a path, or a boolean), `Authorization`, `Whitelisted`, and Mac-absolute-time
//!   fields `ConsumptionPeriodBegin`, `ReceivingLocationInformationTimeStopped`,
//!   `VisitTimeStopped`, `LocationTimeStopped`, `BackgroundLocationTimeStopped`,
//!   `SignificantTimeStopped`, `NonPersistentSignificantTimeStopped`, `FenceTimeStopped`,
//!   `BeaconRegionTimeStopped`. `ClientStorageToken` (data) is kept as base64.
//!
//! Checks (HIGH, as MVT grades location-client hits): last path component of `package` and
//! `BundleId` as processes (`check_process`), `BundleId` as an app id (`check_app_id`),
//! `BundlePath` and `Registered` as file paths (`check_file_path`), `Executable` as an executable
//! (`check_executable`: its path, and its components as processes). A record gets
//! at most one alert per matched indicator.
//!
//! Timeline: one event per time field, named after the field.

use std::collections::BTreeMap;

use ferret_core::{
    ArtifactModule, BackupPath, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use ferret_core::toolkit::{each_plist, plist_time, plist_to_json};

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct Locationd;

/// Time fields of a client entry.
pub const TIME_FIELDS: &[&str] = &[
    "ConsumptionPeriodBegin",
    "ReceivingLocationInformationTimeStopped",
    "VisitTimeStopped",
    "LocationTimeStopped",
    "BackgroundLocationTimeStopped",
    "SignificantTimeStopped",
    "NonPersistentSignificantTimeStopped",
    "FenceTimeStopped",
    "BeaconRegionTimeStopped",
];

/// One location client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationClient {
    /// Client key without the trailing `:`.
    pub package: String,
    /// `BundleId`.
    pub bundle_id: Option<String>,
    /// `BundlePath`.
    pub bundle_path: Option<String>,
    /// `Executable`.
    pub executable: Option<String>,
    /// `Registered` when it is a path.
    pub registered: Option<String>,
    /// `Authorization`.
    pub authorization: Option<i64>,
    /// Time fields present, by name (`isodate` form).
    pub times: BTreeMap<String, String>,
    /// Every other field, as JSON.
    pub other: BTreeMap<String, serde_json::Value>,
}

static LOCATOR: Locator = Locator {
    backup: &[BackupPath { domain: "RootDomain", path: "Library/Caches/locationd/clients.plist" }],
    paths: &[
        "private/var/mobile/Library/Caches/locationd/clients.plist",
        "private/var/root/Library/Caches/locationd/clients.plist",
    ],
};

fn first_time(r: &LocationClient) -> Option<Timestamp> {
    TIME_FIELDS.iter().find_map(|k| r.times.get(*k)).and_then(|s| ferret_core::time::parse(s))
}

impl ArtifactModule for Locationd {
    type Record = LocationClient;
    const NAME: &'static str = "locationd";
    const DESCRIPTION: &'static str = "Apps and daemons that used location services (locationd clients.plist)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        each_plist(ctx, &LOCATOR, out, |root, file, out| {
            let mut keys: Vec<&String> = root.keys().collect();
            keys.sort();
            for key in keys {
                let Some(entry) = root.get(key).and_then(|x| x.as_dictionary()) else {
                    out.warn(format!("{}: client {key:?} is not a dictionary, skipped", file.path));
                    continue;
                };
                let s = |k: &str| entry.get(k).and_then(|x| x.as_string()).map(str::to_string);
                let mut rec = LocationClient {
                    package: key.strip_suffix(':').unwrap_or(key).to_string(),
                    bundle_id: s("BundleId"),
                    bundle_path: s("BundlePath"),
                    executable: s("Executable"),
                    registered: s("Registered"),
                    authorization: entry.get("Authorization").and_then(|x| x.as_signed_integer()),
                    times: BTreeMap::new(),
                    other: BTreeMap::new(),
                };
                for (k, val) in entry {
                    if TIME_FIELDS.contains(&k.as_str()) {
                        if let Some(t) = plist_time(val) {
                            rec.times.insert(k.clone(), ferret_core::time::format(t));
                        }
                    } else {
                        let promoted = matches!(k.as_str(), "BundleId" | "BundlePath" | "Executable" | "Authorization")
                            || (k == "Registered" && rec.registered.is_some());
                        if promoted {
                            continue;
                        }
                        rec.other.insert(k.clone(), plist_to_json(val));
                    }
                }
                out.record(rec)?;
            }
            Ok(())
        })
    }

    fn timeline(&self, r: &LocationClient, events: &mut Vec<(Timestamp, String, String)>) {
        for (k, v) in &r.times {
            if let Some(t) = ferret_core::time::parse(v) {
                events.push((t, k.clone(), format!("{} {k}", r.package)));
            }
        }
    }

    fn check(&self, r: &LocationClient, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        let when = first_time(r);
        let mut seen: Vec<String> = Vec::new();
        let mut push = |what: &str, value: &str, m: ferret_core::MatchedIndicator, f: &mut Vec<Finding>| {
            if !seen.contains(&m.value) {
                seen.push(m.value.clone());
                f.push(ioc_finding(Level::High, what, value, when, m));
            }
        };
        let last = r.package.rsplit('/').next().unwrap_or(&r.package);
        if !last.is_empty()
            && let Some(m) = ind.check_process(last)
        {
            push("Location client process", last, m, f);
        }
        if let Some(b) = r.bundle_id.as_deref().filter(|b| !b.is_empty()) {
            if let Some(m) = ind.check_process(b) {
                push("Location client process", b, m, f);
            }
            if let Some(m) = ind.check_app_id(b) {
                push("Location client app", b, m, f);
            }
        }
        // the executable: its path and its components as process names (the process census
        // sees the program and the folder it runs from)
        if let Some(p) = r.executable.as_deref().filter(|p| !p.is_empty())
            && let Some(m) = ind.check_executable(p)
        {
            push("Location client executable", p, m, f);
        }
        for (what, p) in
            [("Location client bundle path", &r.bundle_path), ("Location client registered path", &r.registered)]
        {
            if let Some(p) = p.as_deref().filter(|p| !p.is_empty())
                && let Some(m) = ind.check_file_path(p)
            {
                push(what, p, m, f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::testing::*;
    use ferret_testdata::fake::TruthIndicators;
    use ferret_testdata::truth::Truth;

    #[test]
    fn recall_and_precision() {
        let mut truth = Truth::default();
        let files = ferret_testdata::ios::locationd::generate(8, 25, &mut truth);
        let (_d, ev) = fs_tree(&files);
        let r = run(Locationd, &ev, &TruthIndicators::new(&truth));
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 32);
        assert_eq!(r.timeline.len(), 64);
        assert_exact(&truth, &r, "locationd");
    }

    #[test]
    fn odd_shapes_and_corrupt() {
        let p = "private/var/mobile/Library/Caches/locationd/clients.plist";
        let (d, ev) = fs_tree(&[]);
        assert_eq!(run(Locationd, &ev, &ferret_core::NoIndicators).outcome, Ok(Outcome::NotFound));
        put(&d, p, br#"<?xml version="1.0"?><plist version="1.0"><dict><key>a:</key><string>x</string><key>b</key><dict><key>Registered</key><true/><key>LocationTimeStopped</key><string>bad</string></dict></dict></plist>"#);
        let r = run(Locationd, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.records.len(), 1);
        assert_eq!(r.records[0]["other"]["Registered"], true);
        assert!(r.warnings[0].contains("\"a:\""));
        put(&d, p, b"bplist00");
        assert!(run(Locationd, &ev, &ferret_core::NoIndicators).outcome.expect_err("bad").contains("clients.plist"));
    }
}
