//! `webkit_session_resource_log`: WebKit's per-session resource log (which origins loaded which,
//! and the top-frame redirects between them).
//!
//! Format facts:
//! * Property list `full_browsing_session_resourceLog.plist` at
//!   `Library/WebKit/WebsiteData/ResourceLoadStatistics/` in any app domain of a backup (Safari:
//!   AppDomain-com.apple.mobilesafari); FS: app containers, the SafariViewService system-data
//!   container, and `private/var/mobile/Library/WebClips/*/Storage/`.
//! * `browsingStatistics` is an array of dictionaries: `PrevalentResourceOrigin` (a domain),
//!   `topFrameUniqueRedirectsFrom` / `topFrameUniqueRedirectsTo` (domains redirected from/to),
//!   `subframeUnderTopFrameOrigins`, `subresourceUnderTopFrameOrigins` (domains), and
//!   `hadUserInteraction`, `mostRecentUserInteraction`, `lastSeen` (dates).
//!
//! Checks:
//! * CRITICAL: every distinct domain of an entry (origin, redirect sources/destinations,
//!   sub-frame and sub-resource origins) matching an indicator (`check_url`);
//! * HIGH: an entry with top-frame redirects where the origin or a redirect end matches an
//!   indicator: "HTTP redirect between suspicious domains", with the `SOURCE → ORIGIN →
//!   DESTINATION` chains (exploit delivery often bounces through such redirects).
//!
//! Timeline: `session_resource` at `lastSeen`.

use ferret_core::{
    ArtifactModule, BackupPath, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use ferret_core::toolkit::{plist_time, read_plist};

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct WebkitSessionResourceLog;

/// One `browsingStatistics` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionResourceEntry {
    /// File inside the acquisition.
    pub file: String,
    /// `PrevalentResourceOrigin`.
    pub origin: Option<String>,
    /// `topFrameUniqueRedirectsFrom`.
    pub redirect_source: Vec<String>,
    /// `topFrameUniqueRedirectsTo`.
    pub redirect_destination: Vec<String>,
    /// `subframeUnderTopFrameOrigins`.
    pub subframe_origins: Vec<String>,
    /// `subresourceUnderTopFrameOrigins`.
    pub subresource_origins: Vec<String>,
    /// `hadUserInteraction`.
    pub had_user_interaction: Option<bool>,
    /// `mostRecentUserInteraction`.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub most_recent_interaction: Option<Timestamp>,
    /// `lastSeen`.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub last_seen: Option<Timestamp>,
}

const FILE: &str = "full_browsing_session_resourceLog.plist";

static LOCATOR: Locator = Locator {
    backup: &[BackupPath {
        domain: "*",
        path: "Library/WebKit/WebsiteData/ResourceLoadStatistics/full_browsing_session_resourceLog.plist",
    }],
    paths: &[
        "private/var/mobile/Containers/Data/Application/*/Library/WebKit/WebsiteData/ResourceLoadStatistics/full_browsing_session_resourceLog.plist",
        "private/var/mobile/Containers/Data/Application/*/SystemData/com.apple.SafariViewService/Library/WebKit/WebsiteData/full_browsing_session_resourceLog.plist",
        "private/var/mobile/Library/WebClips/*/Storage/full_browsing_session_resourceLog.plist",
    ],
};

fn strings(d: &plist::Dictionary, key: &str) -> Vec<String> {
    d.get(key)
        .and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|x| x.as_string().map(str::to_string)).collect())
        .unwrap_or_default()
}

impl ArtifactModule for WebkitSessionResourceLog {
    type Record = SessionResourceEntry;
    const NAME: &'static str = "webkit_session_resource_log";
    const DESCRIPTION: &'static str =
        "WebKit session resource logs: origins, sub-resources and redirects between domains";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let files = ctx.evidence.locate(&LOCATOR)?;
        if files.is_empty() {
            return Ok(Outcome::NotFound);
        }
        for file in &files {
            let v = match read_plist(ctx.evidence, file) {
                Ok(v) => v,
                Err(e) if files.len() > 1 => {
                    out.warn(format!("skipped: {e}"));
                    continue;
                }
                Err(e) => return Err(e),
            };
            let Some(list) = v.as_dictionary().and_then(|d| d.get("browsingStatistics")).and_then(|x| x.as_array())
            else {
                out.warn(format!("{}: no browsingStatistics array in {FILE}", file.path));
                continue;
            };
            for (i, item) in list.iter().enumerate() {
                let Some(d) = item.as_dictionary() else {
                    out.warn(format!("{}: browsingStatistics[{i}] is not a dictionary, skipped", file.path));
                    continue;
                };
                out.record(SessionResourceEntry {
                    file: file.path.clone(),
                    origin: d.get("PrevalentResourceOrigin").and_then(|x| x.as_string()).map(str::to_string),
                    redirect_source: strings(d, "topFrameUniqueRedirectsFrom"),
                    redirect_destination: strings(d, "topFrameUniqueRedirectsTo"),
                    subframe_origins: strings(d, "subframeUnderTopFrameOrigins"),
                    subresource_origins: strings(d, "subresourceUnderTopFrameOrigins"),
                    had_user_interaction: d.get("hadUserInteraction").and_then(|x| x.as_boolean()),
                    most_recent_interaction: d.get("mostRecentUserInteraction").and_then(plist_time),
                    last_seen: d.get("lastSeen").and_then(plist_time),
                })?;
            }
        }
        Ok(Outcome::Completed)
    }

    fn timeline(&self, r: &SessionResourceEntry, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.last_seen {
            events.push((
                t,
                "session_resource".into(),
                format!("{} last seen ({})", r.origin.as_deref().unwrap_or(""), r.file),
            ));
        }
    }

    fn check(&self, r: &SessionResourceEntry, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        let mut seen: Vec<String> = Vec::new();
        let mut matched_ends = false;
        let all = r
            .origin
            .iter()
            .map(|o| (o, true))
            .chain(r.redirect_source.iter().chain(&r.redirect_destination).map(|d| (d, true)))
            .chain(r.subframe_origins.iter().chain(&r.subresource_origins).map(|d| (d, false)));
        for (d, is_chain) in all {
            if d.is_empty() {
                continue;
            }
            if let Some(m) = ind.check_url(d) {
                matched_ends |= is_chain;
                if !seen.contains(d) {
                    seen.push(d.clone());
                    f.push(ioc_finding(Level::Critical, "WebKit session resource domain", d, r.last_seen, m));
                }
            }
        }
        let has_redirects = !r.redirect_source.is_empty() || !r.redirect_destination.is_empty();
        if matched_ends && has_redirects {
            let origin = r.origin.as_deref().unwrap_or("?");
            let srcs: Vec<&str> = if r.redirect_source.is_empty() {
                vec!["(start)"]
            } else {
                r.redirect_source.iter().map(String::as_str).collect()
            };
            let dsts: Vec<&str> = if r.redirect_destination.is_empty() {
                vec!["(end)"]
            } else {
                r.redirect_destination.iter().map(String::as_str).collect()
            };
            let mut chains = Vec::new();
            for s in &srcs {
                for d in &dsts {
                    chains.push(format!("{s} → {origin} → {d}"));
                }
            }
            f.push(Finding::heuristic(
                Level::High,
                format!("HTTP redirect between suspicious domains: {}", chains.join("; ")),
                r.last_seen,
            ));
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
        let files = ferret_testdata::ios::webkit_session_resource_log::generate(2, 20, &mut truth);
        let (_d, ev) = fs_tree(&files);
        let r = run(WebkitSessionResourceLog, &ev, &TruthIndicators::new(&truth));
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 23);
        assert_exact(&truth, &r, "webkit_session_resource_log");
    }

    #[test]
    fn odd_shapes_and_corrupt() {
        let p = "private/var/mobile/Library/WebClips/X/Storage/full_browsing_session_resourceLog.plist";
        let (d, ev) = fs_tree(&[]);
        assert_eq!(run(WebkitSessionResourceLog, &ev, &ferret_core::NoIndicators).outcome, Ok(Outcome::NotFound));
        put(&d, p, br#"<?xml version="1.0"?><plist version="1.0"><dict><key>browsingStatistics</key><array><string>x</string><dict><key>topFrameUniqueRedirectsTo</key><array><integer>1</integer></array></dict></array></dict></plist>"#);
        let r = run(WebkitSessionResourceLog, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.records.len(), 1);
        assert!(r.warnings[0].contains("browsingStatistics[0]"));
        put(&d, p, b"bplist00garbage");
        assert!(
            run(WebkitSessionResourceLog, &ev, &ferret_core::NoIndicators)
                .outcome
                .expect_err("bad")
                .contains("resourceLog.plist")
        );
    }
}
