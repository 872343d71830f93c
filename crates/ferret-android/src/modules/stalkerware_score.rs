//! `stalkerware_score`: combines per-package signals of a bugreport so the likely stalkerware
//! comes first.
//!
//! Signals per non-system package: enabled accessibility service, device admin, notification
//! listener, installed from outside an app store, >= 4 spy permission groups granted, hidden
//! launcher icon. One record per package with at least one signal. Check: >= 3 signals → HIGH
//! `"<package>: likely stalkerware: <signal> + <signal> + ..."`. The individual signals are
//! alerted by their own modules; this alert is the summary an analyst should read first.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferret_core::{ArtifactModule, Context, Finding, Indicators, Level, ModuleError, Out, Outcome};
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
    /// Installer, when known.
    pub installer: Option<String>,
}

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
        let mut system = std::collections::HashSet::new();
        let mut installers = BTreeMap::new();
        for p in parse_packages(pkgs) {
            if p.system {
                system.insert(p.package_name.clone());
                continue;
            }
            let s = sig.entry(p.package_name.clone()).or_default();
            s[3] = heuristics::install_source(p.installer.as_deref()) == InstallSource::Outside;
            s[4] = heuristics::spy_groups(p.granted_permissions.iter().map(String::as_str)).len()
                >= heuristics::SPY_GROUPS_THRESHOLD;
            s[5] = p.hidden_launcher;
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
            "accessibility service",
            "device admin",
            "notification listener",
            "installed outside an app store",
            "spy permissions",
            "hidden launcher icon",
        ];
        for (pkg, s) in sig {
            let signals: Vec<String> =
                NAMES.iter().zip(s).filter(|(_, on)| *on).map(|(n, _)| (*n).to_string()).collect();
            if signals.is_empty() {
                continue;
            }
            let installer = installers.get(&pkg).cloned().flatten();
            out.record(PackageSignals { package_name: pkg, signals, installer })?;
        }
        Ok(Outcome::Completed)
    }

    fn check(&self, r: &PackageSignals, _ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if r.signals.len() >= heuristics::STALKERWARE_SIGNALS_THRESHOLD {
            f.push(Finding::heuristic(
                Level::High,
                format!("{}: likely stalkerware: {}", r.package_name, r.signals.join(" + ")),
                None,
            ));
        }
    }
}
