//! `os_version`: the device's iOS version, compared with versions known to have been exploited
//! by mercenary spyware.
//!
//! Where the version is:
//! * backups: `Product Version` / `Build Version` / `Product Type` in the backup's root
//!   `Info.plist`, reached through the evidence with the empty domain
//!   (`BackupPath { domain: "", path: "Info.plist" }`, see `crate::backup`);
//! * filesystem dumps: `ProductVersion` / `ProductBuildVersion` in
//!   `System/Library/CoreServices/SystemVersion.plist` (also under `private/`-less roots).
//!
//! The table of exploited vulnerabilities is data: `crates/ferret-ios/data/exploited_ios_versions.json`
//! (embedded at build time), one row per exploit with CVEs, spyware, the iOS versions that fixed
//! it on each release branch, and public sources (Apple security notes, Citizen Lab, Google TAG,
//! Kaspersky).
//!
//! Exposure rule for a device version `v` and a row with fixed versions `F`: if some fix in `F`
//! has the same major version as `v`, `v` is exposed when `v` is lower than that fix; otherwise
//! `v` is exposed when its major version is below the highest fixed major (an older branch that
//! never received the fix), and not exposed when it is above. Versions compare numerically
//! component by component (`18.10 > 18.9`, `16.7 == 16.7.0`); suffixes such as a Rapid Security
//! Response letter are ignored.
//!
//! Alerts: INFORMATIONAL, one per exposed row, naming the CVEs, the spyware and the fixed
//! version, with the sources in the message. Being exposed is not a sign of infection: it tells
//! the analyst which exploit chains the device was open to and when.

use std::cmp::Ordering;
use std::sync::OnceLock;

use ferret_core::{
    ArtifactModule, BackupPath, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome,
};
use serde::{Deserialize, Serialize};

use ferret_core::toolkit::{plist_text, read_plist};

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsVersion;

/// The device's OS version as found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OsVersionRecord {
    /// e.g. `17.5.1`.
    pub product_version: Option<String>,
    /// e.g. `21F90`.
    pub build_version: Option<String>,
    /// e.g. `iPhone14,2` (backups only).
    pub product_type: Option<String>,
    /// File the version came from.
    pub source: String,
}

/// One row of the exploited-versions table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExploitedRange {
    /// Stable id.
    pub id: String,
    /// Exploit name.
    pub name: String,
    /// CVE identifiers.
    pub cves: Vec<String>,
    /// Spyware that used it.
    pub spyware: String,
    /// iOS versions that fixed it, one per release branch.
    pub fixed_in: Vec<String>,
    /// Public sources.
    pub sources: Vec<String>,
    /// Context.
    pub note: String,
    /// When public reports date the exploit's use in the wild (absent when no report dates it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_the_wild: Option<InTheWild>,
}

/// A dated period of exploitation in the wild, inclusive, in UTC days (`YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InTheWild {
    /// First day.
    pub from: String,
    /// Last day.
    pub until: String,
    /// What dates it, from the sources of the row.
    pub note: String,
}

impl InTheWild {
    /// Whether `t` falls within the period (`false` if a bound does not parse).
    pub fn contains(&self, t: jiff::Timestamp) -> bool {
        let day = |s: &str| s.parse::<jiff::civil::Date>().ok();
        let (Some(from), Some(until)) = (day(&self.from), day(&self.until)) else { return false };
        let d = t.to_zoned(jiff::tz::TimeZone::UTC).date();
        from <= d && d <= until
    }
}

#[derive(Debug, Deserialize)]
struct Table {
    entries: Vec<ExploitedRange>,
}

const TABLE_JSON: &str = include_str!("../../data/exploited_ios_versions.json");

/// The embedded table (empty if it failed to parse, which a unit test rules out).
pub fn exploited_table() -> &'static [ExploitedRange] {
    static T: OnceLock<Vec<ExploitedRange>> = OnceLock::new();
    T.get_or_init(|| serde_json::from_str::<Table>(TABLE_JSON).map(|t| t.entries).unwrap_or_default())
}

/// Numeric components of a version string (`"16.5.1 (c)"` → `[16, 5, 1]`); `None` if it does
/// not start with a number.
pub fn parse_version(v: &str) -> Option<Vec<u64>> {
    let head = v.trim().split(|c: char| !(c.is_ascii_digit() || c == '.')).next()?;
    let parts: Vec<u64> = head.split('.').filter(|p| !p.is_empty()).map(|p| p.parse().ok()).collect::<Option<_>>()?;
    if parts.is_empty() { None } else { Some(parts) }
}

/// Numeric version comparison; missing components count as 0.
pub fn compare_versions(a: &[u64], b: &[u64]) -> Ordering {
    let n = a.len().max(b.len());
    for i in 0..n {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        match x.cmp(&y) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    Ordering::Equal
}

/// Whether version `v` is exposed to `row` (rule in the module docs), with the relevant fix.
pub fn exposure<'a>(v: &[u64], row: &'a ExploitedRange) -> Option<&'a str> {
    let fixes: Vec<(Vec<u64>, &str)> =
        row.fixed_in.iter().filter_map(|f| parse_version(f).map(|p| (p, f.as_str()))).collect();
    let major = *v.first()?;
    if let Some((p, s)) = fixes.iter().find(|(p, _)| p.first() == Some(&major)) {
        return (compare_versions(v, p) == Ordering::Less).then_some(*s);
    }
    let (p, s) = fixes.iter().max_by(|a, b| compare_versions(&a.0, &b.0))?;
    (major < *p.first()?).then_some(*s)
}

static LOCATOR: Locator = Locator {
    backup: &[BackupPath { domain: "", path: "Info.plist" }],
    paths: &["System/Library/CoreServices/SystemVersion.plist"],
};

impl ArtifactModule for OsVersion {
    type Record = OsVersionRecord;
    const NAME: &'static str = "os_version";
    const DESCRIPTION: &'static str = "Device iOS version and the spyware-exploited vulnerabilities it was exposed to";
    const SHAPE: ferret_core::OutputShape = ferret_core::OutputShape::Object;

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let files = ctx.evidence.locate(&LOCATOR)?;
        let Some(file) = files.first() else { return Ok(Outcome::NotFound) };
        let v = read_plist(ctx.evidence, file)?;
        let Some(d) = v.as_dictionary() else {
            return Err(ModuleError::format(&file.path, "top level is not a dictionary"));
        };
        let get = |keys: &[&str]| keys.iter().find_map(|k| d.get(k).and_then(plist_text));
        let rec = OsVersionRecord {
            product_version: get(&["Product Version", "ProductVersion"]),
            build_version: get(&["Build Version", "ProductBuildVersion"]),
            product_type: get(&["Product Type"]),
            source: file.path.clone(),
        };
        match rec.product_version.as_deref() {
            None => out.warn(format!("{}: no product version", file.path)),
            Some(pv) if parse_version(pv).is_none() => {
                out.warn(format!("{}: unparseable product version {pv:?}", file.path))
            }
            Some(_) => {}
        }
        out.record(rec)?;
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &OsVersionRecord, _ind: &dyn Indicators, f: &mut Vec<Finding>) {
        let Some(pv) = r.product_version.as_deref() else { return };
        let Some(v) = parse_version(pv) else { return };
        for row in exploited_table() {
            if let Some(fix) = exposure(&v, row) {
                f.push(Finding::heuristic(
                    Level::Info,
                    format!(
                        "iOS {pv} is older than {fix}, which fixed {} ({}), exploited in the wild by {}. The device was exposed to this exploit while it ran this version; this alone is not a sign of infection. Sources: {}",
                        row.cves.join(", "),
                        row.name,
                        row.spyware,
                        row.sources.join(" ")
                    ),
                    None,
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::testing::*;
    use ferret_testdata::truth::Truth;

    fn exposed_ids(v: &str) -> Vec<&'static str> {
        let p = parse_version(v).expect("parses");
        exploited_table().iter().filter(|r| exposure(&p, r).is_some()).map(|r| r.id.as_str()).collect()
    }

    #[test]
    fn table_is_valid_and_sourced() {
        let t = exploited_table();
        assert!(t.len() >= 6);
        for r in t {
            assert!(!r.cves.is_empty() && !r.sources.is_empty() && !r.fixed_in.is_empty(), "{}", r.id);
            assert!(r.fixed_in.iter().all(|f| parse_version(f).is_some()));
            assert!(r.sources.iter().all(|s| s.starts_with("https://")));
            if let Some(p) = &r.in_the_wild {
                let day = |s: &str| s.parse::<jiff::civil::Date>().expect("a YYYY-MM-DD day");
                assert!(day(&p.from) <= day(&p.until) && !p.note.is_empty(), "{}", r.id);
            }
        }
        for cve in [
            "CVE-2025-43200",
            "CVE-2023-41064",
            "CVE-2023-41061",
            "CVE-2021-30860",
            "CVE-2023-32434",
            "CVE-2023-32435",
            "CVE-2023-41991",
            "CVE-2023-41992",
            "CVE-2023-41993",
        ] {
            assert!(t.iter().any(|r| r.cves.iter().any(|c| c == cve)), "{cve}");
        }
    }

    #[test]
    fn numeric_comparison() {
        let p = |s| parse_version(s).expect("parses");
        assert_eq!(compare_versions(&p("18.10"), &p("18.9")), Ordering::Greater);
        assert_eq!(compare_versions(&p("16.7"), &p("16.7.0")), Ordering::Equal);
        assert_eq!(compare_versions(&p("16.5.1 (c)"), &p("16.5.1")), Ordering::Equal);
        assert!(parse_version("beta").is_none());
        assert!(parse_version("").is_none());
        assert!(parse_version("99999999999999999999999.1").is_none());
    }

    #[test]
    fn below_at_above_each_fix() {
        let has = |v: &str, id: &str| exposed_ids(v).contains(&id);
        // Graphite, fixed 18.3.1
        assert!(has("18.3", "paragon-graphite-2025") && has("18.2.1", "paragon-graphite-2025"));
        assert!(
            !has("18.3.1", "paragon-graphite-2025")
                && !has("18.10", "paragon-graphite-2025")
                && !has("26.0", "paragon-graphite-2025")
        );
        assert!(has("17.7.2", "paragon-graphite-2025"));
        // BLASTPASS, fixed 16.6.1 / 15.7.9
        assert!(has("16.6", "blastpass-2023") && !has("16.6.1", "blastpass-2023") && !has("16.7", "blastpass-2023"));
        assert!(has("15.7.8", "blastpass-2023") && !has("15.7.9", "blastpass-2023") && !has("17.0", "blastpass-2023"));
        assert!(has("14.8", "blastpass-2023"));
        // FORCEDENTRY, fixed 14.8 / 12.5.5
        assert!(
            has("14.7.1", "forcedentry-2021") && !has("14.8", "forcedentry-2021") && !has("15.0", "forcedentry-2021")
        );
        assert!(
            has("12.5.4", "forcedentry-2021") && !has("12.5.5", "forcedentry-2021") && has("13.7", "forcedentry-2021")
        );
        // Triangulation, fixed 16.5.1 / 15.7.7
        assert!(
            has("16.5", "triangulation-2023")
                && !has("16.5.1", "triangulation-2023")
                && !has("16.6", "triangulation-2023")
        );
        assert!(has("15.7.6", "triangulation-2023") && !has("15.7.7", "triangulation-2023"));
        // Predator, fixed 16.7 / 17.0.1
        assert!(has("16.6.1", "predator-2023") && !has("16.7", "predator-2023") && !has("16.7.1", "predator-2023"));
        assert!(has("17.0", "predator-2023") && !has("17.0.1", "predator-2023") && !has("18.0", "predator-2023"));
        // Trident
        assert!(has("9.3.4", "trident-2016") && !has("9.3.5", "trident-2016") && !has("10.0", "trident-2016"));
        assert!(exposed_ids("26.1").is_empty());
    }

    #[test]
    fn filesystem_dump_recall_and_precision() {
        let mut truth = Truth::default();
        let files = ferret_testdata::ios::os_version::generate(1, 0, &mut truth);
        let (_d, ev) = fs_tree(&files);
        let r = run(OsVersion, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 1);
        assert_eq!(r.records[0]["product_version"], "16.6");
        assert_exact(&truth, &r, "os_version");
        assert!(r.alerts.iter().all(|a| a.message.contains("https://")));
    }

    #[test]
    fn backup_info_plist() {
        let dir = tempfile::tempdir().expect("tempdir");
        let device = ferret_testdata::ios_backup::DeviceSpec {
            product_version: ferret_testdata::ios::os_version::VERSION.into(),
            ..Default::default()
        };
        ferret_testdata::ios_backup::write_backup(dir.path(), &[], &device).expect("backup written");
        let ev = crate::backup::BackupEvidence::open(dir.path()).expect("opens");
        let opts = ferret_core::RunOptions::default();
        let ctx = Context { evidence: &ev, indicators: &ferret_core::NoIndicators, options: &opts };
        let r = ferret_core::module::testing::run_one(&ferret_core::Typed(OsVersion), &ctx);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records[0]["product_type"], "iPhone14,2");
        let mut truth = Truth::default();
        ferret_testdata::ios::os_version::expect_for_planted_version(&mut truth);
        assert_exact(&truth, &r, "os_version");
    }

    #[test]
    fn missing_and_bad_versions() {
        let (d, ev) = fs_tree(&[]);
        assert_eq!(run(OsVersion, &ev, &ferret_core::NoIndicators).outcome, Ok(Outcome::NotFound));
        put(&d, "System/Library/CoreServices/SystemVersion.plist", br#"<?xml version="1.0"?><plist version="1.0"><dict><key>ProductVersion</key><string>banana</string></dict></plist>"#);
        let r = run(OsVersion, &ev, &ferret_core::NoIndicators);
        assert!(r.alerts.is_empty());
        assert!(r.warnings[0].contains("unparseable"));
        put(&d, "System/Library/CoreServices/SystemVersion.plist", b"\0\0\0");
        assert!(run(OsVersion, &ev, &ferret_core::NoIndicators).outcome.is_err());
    }
}
