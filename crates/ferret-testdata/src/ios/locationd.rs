//! locationd `clients.plist` generator.
//!
//! Layout: `{client key: {BundleId?, BundlePath?, Executable?, Registered?, Authorization, ...
//! Mac-time fields}}`; keys are bundle ids, or executable paths ending in `:` for daemons.
//! Planted (HIGH): a daemon whose name is an indicator process; a bundle id indicator; an
//! executable under an indicator path. Near misses: look-alike names and sibling paths.

use ferret_core::Level;
use plist::Value;

use super::files::{dict, plist_file, pstr};
use super::values::{base_time, mac};
use crate::ArtifactFile;
use crate::rng::{rng_for, word};
use crate::truth::{IndicatorKind, Truth};

/// Backup domain.
pub const DOMAIN: &str = "RootDomain";
/// Backup relative path.
pub const REL: &str = "Library/Caches/locationd/clients.plist";
/// Filesystem-dump path.
pub const FS: &str = "private/var/root/Library/Caches/locationd/clients.plist";

/// Generates `count` benign clients plus the planted cases.
pub fn generate(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios/locationd");
    let t0 = base_time(&mut rng);
    let proc_ioc = format!("{}agentd", word(&mut rng, 6));
    let app_ioc = format!("com.{}.{}", word(&mut rng, 7), word(&mut rng, 5));
    let dir_ioc = format!("/private/var/db/{}", word(&mut rng, 8));
    truth.plant(IndicatorKind::Process, proc_ioc.clone(), "TestSpy");
    truth.plant(IndicatorKind::AppId, app_ioc.clone(), "TestSpy");
    truth.plant(IndicatorKind::FilePath, dir_ioc.clone(), "TestSpy");
    truth.expect("locationd", Level::High, Some(&proc_ioc), proc_ioc.clone());
    truth.expect("locationd", Level::High, Some(&app_ioc), app_ioc.clone());
    truth.expect("locationd", Level::High, Some(&dir_ioc), format!("{dir_ioc}/runner"));
    // the process census: the two unknown daemons, and the program in a data folder (`runner`,
    // in two folders: one process)
    truth.expect_census(Level::Medium, &proc_ioc);
    truth.expect_census(Level::Medium, &format!("{proc_ioc}2"));
    truth.expect_census(Level::High, "runner");
    let client = |bundle: Option<&str>, path: Option<&str>, exe: Option<&str>, t: i64| {
        let mut p = vec![
            ("Authorization", Value::Integer(2.into())),
            ("LocationTimeStopped", Value::Real(mac(t))),
            ("ConsumptionPeriodBegin", Value::Real(mac(t - 86_400))),
            ("Registered", Value::Boolean(true)),
        ];
        if let Some(b) = bundle {
            p.push(("BundleId", pstr(b)));
        }
        if let Some(b) = path {
            p.push(("BundlePath", pstr(b)));
        }
        if let Some(e) = exe {
            p.push(("Executable", pstr(e)));
        }
        dict(p)
    };
    let mut d = plist::Dictionary::new();
    // the phone's installed apps, then Apple's daemons (one more than `count`: a daemon client
    // always exists)
    let apps = super::applications::installed_ids(seed);
    let daemons = crate::apple::distinct_daemon_paths(&mut rng, (count + 1).saturating_sub(apps.len().min(count)));
    for i in 0..=count {
        let t = t0 + i as i64 * 900;
        if let Some(b) = apps.get(i).filter(|_| i < count) {
            let exe = b.rsplit('.').next().unwrap_or(b);
            let path = format!("/private/var/containers/Bundle/Application/{}/{exe}.app", crate::rng::uuid(&mut rng));
            d.insert(b.clone(), client(Some(b), Some(&path), None, t));
        } else if let Some(exe) = daemons.get(i - apps.len().min(count)) {
            d.insert(format!("{exe}:"), client(None, None, Some(exe), t));
        }
    }
    d.insert(
        format!("/usr/libexec/{proc_ioc}:"),
        client(None, None, Some(&format!("/usr/libexec/{proc_ioc}")), t0 + 1),
    );
    d.insert(app_ioc.clone(), client(Some(&app_ioc), None, None, t0 + 2));
    d.insert(
        "com.example.runner".into(),
        client(Some("com.example.runner"), None, Some(&format!("{dir_ioc}/runner")), t0 + 3),
    );
    // near misses
    d.insert(
        format!("/usr/libexec/{proc_ioc}2:"),
        client(None, None, Some(&format!("/usr/libexec/{proc_ioc}2")), t0 + 4),
    );
    d.insert(format!("{app_ioc}.widget"), client(Some(&format!("{app_ioc}.widget")), None, None, t0 + 5));
    d.insert(
        "com.example.sibling".into(),
        client(Some("com.example.sibling"), None, Some(&format!("{dir_ioc}x/runner")), t0 + 6),
    );
    vec![plist_file(DOMAIN, REL, FS, t0, &Value::Dictionary(d))]
}
