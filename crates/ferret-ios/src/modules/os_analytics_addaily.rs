//! `os_analytics_addaily`: per-process daily network-usage baseline kept by OS analytics.
//!
//! Format facts:
//! * Property list at HomeDomain `Library/Preferences/com.apple.osanalytics.addaily.plist`
//!   (FS `private/var/mobile/Library/Preferences/com.apple.osanalytics.addaily.plist`).
//! * `netUsageBaseline` is a dictionary `{process name: [date, wifi_in, wifi_out, wwan_in,
//!   wwan_out]}` (byte counters); process names are truncated to 16 characters by the kernel.
//!
//! Checks: process name (`check_process`, with the 16-character truncation rule) → CRITICAL.
//! Timeline: `osanalytics_addaily` at the baseline date. Output file
//! `os_analytics_addaily.json` (MVT names its file `os_analytics_ad_daily.json`).

use ferret_core::{
    ArtifactModule, BackupPath, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use ferret_core::toolkit::{each_plist, plist_time};

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsAnalyticsAdDaily;

/// One process baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdDailyRecord {
    /// Process name.
    pub package: String,
    /// Baseline date.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub isodate: Option<Timestamp>,
    /// Wi-Fi bytes in.
    pub wifi_in: Option<i64>,
    /// Wi-Fi bytes out.
    pub wifi_out: Option<i64>,
    /// Cellular bytes in.
    pub wwan_in: Option<i64>,
    /// Cellular bytes out.
    pub wwan_out: Option<i64>,
}

static LOCATOR: Locator = Locator {
    backup: &[BackupPath { domain: "HomeDomain", path: "Library/Preferences/com.apple.osanalytics.addaily.plist" }],
    paths: &["private/var/mobile/Library/Preferences/com.apple.osanalytics.addaily.plist"],
};

fn int_at(a: &[plist::Value], i: usize) -> Option<i64> {
    let v = a.get(i)?;
    v.as_signed_integer()
        .or_else(|| v.as_unsigned_integer().and_then(|u| i64::try_from(u).ok()))
        .or_else(|| v.as_real().filter(|r| r.is_finite()).map(|r| r as i64))
}

impl ArtifactModule for OsAnalyticsAdDaily {
    type Record = AdDailyRecord;
    const NAME: &'static str = "os_analytics_addaily";
    const DESCRIPTION: &'static str = "Per-process network usage baseline (com.apple.osanalytics.addaily)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        each_plist(ctx, &LOCATOR, out, |root, file, out| {
            let Some(base) = root.get("netUsageBaseline").and_then(|x| x.as_dictionary()) else {
                out.warn(format!("{}: no netUsageBaseline dictionary", file.path));
                return Ok(());
            };
            let mut names: Vec<&String> = base.keys().collect();
            names.sort();
            for name in names {
                let Some(arr) = base.get(name).and_then(|x| x.as_array()) else {
                    out.warn(format!("{}: netUsageBaseline/{name}: not an array, skipped", file.path));
                    continue;
                };
                out.record(AdDailyRecord {
                    package: name.clone(),
                    isodate: arr.first().and_then(plist_time),
                    wifi_in: int_at(arr, 1),
                    wifi_out: int_at(arr, 2),
                    wwan_in: int_at(arr, 3),
                    wwan_out: int_at(arr, 4),
                })?;
            }
            Ok(())
        })
    }

    fn timeline(&self, r: &AdDailyRecord, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.isodate {
            events.push((
                t,
                "osanalytics_addaily".into(),
                format!(
                    "{} WIFI IN: {}, WIFI OUT: {} - WWAN IN: {}, WWAN OUT: {}",
                    r.package,
                    r.wifi_in.unwrap_or(0),
                    r.wifi_out.unwrap_or(0),
                    r.wwan_in.unwrap_or(0),
                    r.wwan_out.unwrap_or(0)
                ),
            ));
        }
    }

    fn check(&self, r: &AdDailyRecord, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if let Some(m) = ind.check_process(&r.package) {
            f.push(ioc_finding(Level::Critical, "Process with network usage", &r.package, r.isodate, m));
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
        let files = ferret_testdata::ios::os_analytics_addaily::generate(6, 30, &mut truth);
        let (_d, ev) = fs_tree(&files);
        let r = run(OsAnalyticsAdDaily, &ev, &TruthIndicators::new(&truth));
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 34);
        assert_eq!(r.timeline.len(), 34);
        assert_exact(&truth, &r, "os_analytics_addaily");
    }

    #[test]
    fn odd_shapes() {
        let p = "private/var/mobile/Library/Preferences/com.apple.osanalytics.addaily.plist";
        let (d, ev) = fs_tree(&[]);
        assert_eq!(run(OsAnalyticsAdDaily, &ev, &ferret_core::NoIndicators).outcome, Ok(Outcome::NotFound));
        put(&d, p, br#"<?xml version="1.0"?><plist version="1.0"><dict><key>netUsageBaseline</key><dict><key>a</key><array><string>x</string></array><key>b</key><integer>3</integer></dict></dict></plist>"#);
        let r = run(OsAnalyticsAdDaily, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.records.len(), 1);
        assert!(r.records[0]["isodate"].is_null());
        assert!(r.warnings[0].contains("netUsageBaseline/b"));
        put(&d, p, br#"<?xml version="1.0"?><plist version="1.0"><dict/></plist>"#);
        let r = run(OsAnalyticsAdDaily, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert!(r.warnings[0].contains("no netUsageBaseline"));
    }
}
