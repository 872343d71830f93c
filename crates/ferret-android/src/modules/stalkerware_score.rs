//! `stalkerware_score`: combines per-package signals of a bugreport (or an androidqf's dumpsys)
//! into one alert per package, so the likely stalkerware comes first.
//!
//! Signals per non-system package: enabled accessibility service, device admin, notification
//! listener, installed from outside an app store, >= 4 spy permission groups granted, hidden
//! launcher icon; capabilities ([`heuristics::SPY_CAPABILITIES`]): SMS, call log, location,
//! microphone, camera, notification access, device admin. One record per package with at least
//! one signal or capability, or matching an app-id indicator.
//!
//! Checks (one alert per package at most, listing what matched):
//! * the package matches an app-id indicator → CRITICAL (the indicator counts as a signal);
//! * enabled accessibility service + installed outside an app store + >= 3 capabilities → HIGH
//!   `"<package>: likely stalkerware: ..."` with no indicator loaded (how spytrap-adb rates
//!   real stalkerware: the accessibility service reads the screen, the rest is what it sends);
//! * otherwise >= 3 signals → MEDIUM `"<package>: several stalkerware signals: ..."`. A benign
//!   sideloaded app (an F-Droid client, a GPS test app, a video-call app with its microphone,
//!   camera and notification access) stays below HIGH: none of them holds an accessibility
//!   service.
//!
//! The individual signals are alerted by their own modules; this alert is the summary an analyst
//! should read first.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferret_core::{ArtifactModule, Context, Finding, Indicators, Level, ModuleError, Out, Outcome, ioc_finding};
use serde::{Deserialize, Serialize};

use crate::dumpstate::DumpstateCache;
use crate::heuristics::{self, InstallSource};
use crate::parsers::dumpsys::{parse_accessibility, parse_device_admins, parse_notification_listeners, parse_packages};

/// Signals of one package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageSignals {
    /// Package.
    pub package_name: String,
    /// Signal names, in a fixed order.
    pub signals: Vec<String>,
    /// What the package can spy on ([`heuristics::SPY_CAPABILITIES`], notification access,
    /// device admin), in a fixed order.
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// Installer, when known.
    pub installer: Option<String>,
}

const ACCESSIBILITY: &str = "accessibility service";
const OUTSIDE: &str = "installed outside an app store";

/// The module.
#[derive(Debug, Clone)]
pub struct StalkerwareScore(pub Arc<DumpstateCache>);

impl ArtifactModule for StalkerwareScore {
    type Record = PackageSignals;
    const NAME: &'static str = "stalkerware_score";
    const DESCRIPTION: &'static str = "Per-package stalkerware signals combined (likely stalkerware first)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let Some(ds) = self.0.get(ctx)? else { return Ok(Outcome::NotFound) };
        let Some(pkgs) = ds.dumpsys("package") else { return Ok(Outcome::NotFound) };
        let mut sig: BTreeMap<String, [bool; 6]> = BTreeMap::new();
        let mut caps: BTreeMap<String, Vec<&'static str>> = BTreeMap::new();
        let mut system = std::collections::HashSet::new();
        let mut installers = BTreeMap::new();
        let mut matched = std::collections::BTreeSet::new();
        let ind = ctx.indicators;
        for p in parse_packages(pkgs) {
            if !ind.is_empty() && ind.check_app_id(&p.package_name).is_some() {
                matched.insert(p.package_name.clone());
            }
            if p.system {
                system.insert(p.package_name.clone());
                continue;
            }
            let s = sig.entry(p.package_name.clone()).or_default();
            s[3] = heuristics::install_source(p.installer.as_deref()) == InstallSource::Outside;
            s[4] = heuristics::spy_groups(p.granted_permissions.iter().map(String::as_str)).len()
                >= heuristics::SPY_GROUPS_THRESHOLD;
            s[5] = p.hidden_launcher;
            caps.insert(
                p.package_name.clone(),
                heuristics::spy_capabilities(p.granted_permissions.iter().map(String::as_str)),
            );
            installers.insert(p.package_name.clone(), p.installer.clone());
        }
        let mut mark = |pkg: &str, i: usize| {
            if !system.contains(pkg) {
                sig.entry(pkg.to_string()).or_default()[i] = true;
            }
        };
        if let Some(t) = ds.dumpsys("accessibility") {
            for a in parse_accessibility(t).into_iter().filter(|a| a.enabled != Some(false)) {
                mark(&a.package_name, 0);
            }
        }
        if let Some(t) = ds.dumpsys("device_policy") {
            for a in parse_device_admins(t) {
                mark(&a.package_name, 1);
            }
        }
        if let Some(t) = ds.dumpsys("notification") {
            for a in parse_notification_listeners(t) {
                mark(&a.package_name, 2);
            }
        }
        const NAMES: [&str; 6] = [
            ACCESSIBILITY,
            "device admin",
            "notification listener",
            OUTSIDE,
            "spy permissions",
            "hidden launcher icon",
        ];
        for pkg in &matched {
            sig.entry(pkg.clone()).or_default();
        }
        for (pkg, s) in sig {
            let signals: Vec<String> =
                NAMES.iter().zip(s).filter(|(_, on)| *on).map(|(n, _)| (*n).to_string()).collect();
            let mut capabilities: Vec<String> =
                caps.get(&pkg).into_iter().flatten().map(|c| (*c).to_string()).collect();
            if s[2] {
                capabilities.push(heuristics::CAPABILITY_NOTIFICATIONS.to_string());
            }
            if s[1] {
                capabilities.push(heuristics::CAPABILITY_DEVICE_ADMIN.to_string());
            }
            if signals.is_empty() && capabilities.is_empty() && !matched.contains(&pkg) {
                continue;
            }
            let installer = installers.get(&pkg).cloned().flatten();
            out.record(PackageSignals { package_name: pkg, signals, capabilities, installer })?;
        }
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &PackageSignals, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        let what = || {
            let mut parts = r.signals.clone();
            if !r.capabilities.is_empty() {
                parts.push(format!("can access {}", r.capabilities.join(", ")));
            }
            parts
        };
        if let Some(m) = ind.check_app_id(&r.package_name) {
            let parts = what();
            let label = if parts.is_empty() {
                "Stalkerware or spyware package".to_string()
            } else {
                format!("Stalkerware or spyware package ({})", parts.join(" + "))
            };
            f.push(ioc_finding(Level::Critical, &label, &r.package_name, None, m));
            return;
        }
        let has = |s: &str| r.signals.iter().any(|x| x == s);
        if has(ACCESSIBILITY) && has(OUTSIDE) && r.capabilities.len() >= heuristics::STALKERWARE_CAPABILITIES_THRESHOLD
        {
            f.push(Finding::heuristic(
                Level::High,
                format!("{}: likely stalkerware: {}", r.package_name, what().join(" + ")),
                None,
            ));
        } else if r.signals.len() >= heuristics::STALKERWARE_SIGNALS_THRESHOLD {
            f.push(Finding::heuristic(
                Level::Medium,
                format!("{}: several stalkerware signals: {}", r.package_name, what().join(" + ")),
                None,
            ));
        }
    }
}
