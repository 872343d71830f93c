//! `id_status_cache`: Apple identity-services lookups (which iMessage/FaceTime accounts the
//! phone looked up, and when).
//!
//! Format facts:
//! * Property list `{service: {account: {LookupDate, IDStatus}}}` at HomeDomain
//!   `Library/Preferences/com.apple.identityservices.idstatuscache.plist` (backups of iOS < 14.7)
//!   or `Library/IdentityServices/idstatuscache.plist` (newer; FS paths under
//!   `private/var/mobile/`). `service` is e.g. `com.apple.madrid` (iMessage) or `com.apple.ess`
//!   (FaceTime); `account` is `mailto:<address>` or `tel:<number>`; `LookupDate` is Mac absolute
//!   seconds; `IDStatus` 1 = registered, 2 = not registered.
//! * Records: `{package (service), user (account, NUL characters written as the text \x00),
//!   isodate, idstatus, occurrences (how many services looked the account up)}`.
//!
//! Checks:
//! * CRITICAL: `mailto:` accounts (`check_email`), `tel:` accounts (`check_phone`).
//! * HIGH, always (with or without indicators): an account containing two consecutive NUL
//!   characters. Pegasus-era exploit deliveries left malformed look-ups of this shape (MVT flags
//!   the same pattern as "suspicious patterns").
//!
//! Timeline: `lookup` at `LookupDate`.

use std::collections::HashMap;

use ferret_core::{
    ArtifactModule, BackupPath, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use ferret_core::toolkit::{each_plist, plist_time};

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdStatusCache;

/// One account look-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdStatusRecord {
    /// Service.
    pub package: String,
    /// Account (`mailto:`/`tel:`), NULs written as `\x00`.
    pub user: String,
    /// Look-up date.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub isodate: Option<Timestamp>,
    /// `IDStatus`.
    pub idstatus: Option<i64>,
    /// Services that looked this account up.
    pub occurrences: u64,
}

static LOCATOR: Locator = Locator {
    backup: &[
        BackupPath { domain: "HomeDomain", path: "Library/Preferences/com.apple.identityservices.idstatuscache.plist" },
        BackupPath { domain: "HomeDomain", path: "Library/IdentityServices/idstatuscache.plist" },
    ],
    paths: &[
        "private/var/mobile/Library/Preferences/com.apple.identityservices.idstatuscache.plist",
        "private/var/mobile/Library/IdentityServices/idstatuscache.plist",
    ],
};

impl ArtifactModule for IdStatusCache {
    type Record = IdStatusRecord;
    const NAME: &'static str = "id_status_cache";
    const DESCRIPTION: &'static str = "iMessage/FaceTime identity look-ups (IDStatusCache)";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        each_plist(ctx, &LOCATOR, out, |root, file, out| {
            let mut recs = Vec::new();
            let mut services: Vec<&String> = root.keys().collect();
            services.sort();
            for service in services {
                let Some(accounts) = root.get(service).and_then(|x| x.as_dictionary()) else {
                    out.warn(format!("{}: {service}: not a dictionary, skipped", file.path));
                    continue;
                };
                let mut names: Vec<&String> = accounts.keys().collect();
                names.sort();
                for acct in names {
                    let entry = accounts.get(acct).and_then(|x| x.as_dictionary());
                    let isodate = entry.and_then(|e| e.get("LookupDate")).and_then(plist_time);
                    let idstatus = entry.and_then(|e| e.get("IDStatus")).and_then(|x| {
                        x.as_signed_integer().or_else(|| x.as_unsigned_integer().and_then(|u| i64::try_from(u).ok()))
                    });
                    recs.push(IdStatusRecord {
                        package: service.clone(),
                        user: acct.replace('\u{0}', "\\x00"),
                        isodate,
                        idstatus,
                        occurrences: 0,
                    });
                }
            }
            let mut counts: HashMap<String, u64> = HashMap::new();
            for r in &recs {
                *counts.entry(r.user.clone()).or_default() += 1;
            }
            for mut r in recs {
                r.occurrences = counts.get(&r.user).copied().unwrap_or(1);
                out.record(r)?;
            }
            Ok(())
        })
    }

    fn timeline(&self, r: &IdStatusRecord, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.isodate {
            events.push((
                t,
                "lookup".into(),
                format!("Lookup of {} within {} (status {})", r.user, r.package, r.idstatus.unwrap_or(0)),
            ));
        }
    }

    fn check(&self, r: &IdStatusRecord, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        if let Some(mail) = r.user.strip_prefix("mailto:")
            && let Some(m) = ind.check_email(mail)
        {
            f.push(ioc_finding(Level::Critical, "Identity look-up of", mail, r.isodate, m));
        }
        if let Some(tel) = r.user.strip_prefix("tel:")
            && let Some(m) = ind.check_phone(tel)
        {
            f.push(ioc_finding(Level::Critical, "Identity look-up of", tel, r.isodate, m));
        }
        if r.user.contains("\\x00\\x00") {
            f.push(Finding::heuristic(
                Level::High,
                format!(
                    "Suspicious identity look-up {:?} in {}: the account contains consecutive NUL characters, a pattern left by exploit deliveries",
                    r.user, r.package
                ),
                r.isodate,
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
        let files = ferret_testdata::ios::id_status_cache::generate(4, 20, &mut truth);
        let (_d, ev) = fs_tree(&files);
        let r = run(IdStatusCache, &ev, &TruthIndicators::new(&truth));
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 26);
        assert_eq!(r.records.iter().filter(|x| x["occurrences"] == 2).count(), 4);
        assert_exact(&truth, &r, "id_status_cache");
    }

    #[test]
    fn nul_heuristic_runs_without_indicators() {
        let mut truth = Truth::default();
        let files = ferret_testdata::ios::id_status_cache::generate(4, 3, &mut truth);
        let (_d, ev) = fs_tree(&files);
        let r = run(IdStatusCache, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.alerts.len(), 1);
        assert_eq!(r.alerts[0].level, Level::High);
    }

    #[test]
    fn corrupt_and_odd_shapes() {
        let p = "private/var/mobile/Library/IdentityServices/idstatuscache.plist";
        let (d, ev) = fs_tree(&[]);
        assert_eq!(run(IdStatusCache, &ev, &ferret_core::NoIndicators).outcome, Ok(Outcome::NotFound));
        put(&d, p, br#"<?xml version="1.0"?><plist version="1.0"><dict><key>svc</key><string>x</string><key>ok</key><dict><key>tel:+1</key><string>odd</string></dict></dict></plist>"#);
        let r = run(IdStatusCache, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 1);
        assert!(r.warnings[0].contains("svc"));
        put(&d, p, b"<plist><dict><key>");
        assert!(
            run(IdStatusCache, &ev, &ferret_core::NoIndicators)
                .outcome
                .expect_err("bad")
                .contains("idstatuscache.plist")
        );
    }
}
