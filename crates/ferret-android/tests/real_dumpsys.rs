//! Real `dumpsys` output (`../shared/real/android-dumpsys/`, captured from phones by
//! spytrap-adb's authors; read in place): a system contacts app, the F-Droid client (sideloaded)
//! and an accessibility dump with no service enabled, saved as an androidqf `dumpsys.txt` (no
//! bugreport) and as a bugreport folder's (the two `dumpsys package <pkg>` outputs one after the
//! other in one package section). Benign apps: nothing reaches HIGH.

use std::path::Path;

use ferret_android::{modules, open};
use ferret_core::module::testing::run_one;
use ferret_core::{AcquisitionKind, Context, Level, NoIndicators, Outcome, RunOptions, Secrets};
use ferret_testdata::testkit::shared;

fn dumpsys_txt(real: &Path) -> String {
    let dashes = "-".repeat(79);
    let read = |p: &str| String::from_utf8_lossy(&std::fs::read(real.join(p)).expect("read real dumpsys")).into_owned();
    format!(
        "Currently running services:\n  accessibility\n  package\n{dashes}\nDUMP OF SERVICE package:\n{}{}{dashes}\nDUMP OF SERVICE accessibility:\n{}{dashes}\n",
        read("package/contacts.txt"),
        read("package/fdroid.txt"),
        read("accessibility/plain.txt"),
    )
}

#[test]
fn real_benign_dumpsys_stays_below_high_in_androidqf_and_bugreport() {
    let Some(real) = shared("real/android-dumpsys") else { return };
    let dir = tempfile::tempdir().expect("tmp");
    let text = dumpsys_txt(&real);
    for kind in [AcquisitionKind::AndroidQf, AcquisitionKind::AndroidBugreport] {
        let root = dir.path().join(format!("{kind:?}"));
        std::fs::create_dir_all(&root).expect("mkdir");
        std::fs::write(root.join("dumpsys.txt"), &text).expect("write");
        let ev = open(&root, kind, &Secrets::default()).expect("open").evidence;
        let opts = RunOptions::default();
        let ctx = Context { evidence: ev.as_ref(), indicators: &NoIndicators, options: &opts };
        let mut alerts = Vec::new();
        let mut records = std::collections::BTreeMap::new();
        for m in modules(kind) {
            let r = run_one(m.as_ref(), &ctx);
            let name = m.info().name.to_string();
            assert!(r.outcome.is_ok(), "{kind:?} {name}: {:?}", r.outcome);
            if ["dumpsys_packages", "dumpsys_accessibility", "stalkerware_score"].contains(&name.as_str()) {
                assert_eq!(r.outcome, Ok(Outcome::Completed), "{kind:?} {name} reads dumpsys.txt");
            }
            alerts.extend(r.alerts);
            records.insert(name, r.records);
        }
        // Both packages are read, the system one flagged as such.
        let pkgs = &records["dumpsys_packages"];
        let names: Vec<&str> = pkgs.iter().filter_map(|p| p["package_name"].as_str()).collect();
        assert!(names.contains(&"org.fdroid.fdroid") && names.contains(&"com.android.contacts"), "{names:?}");
        // The F-Droid client was installed by the package installer (sideloaded): one MEDIUM, and
        // stalkerware_score lists that single signal; the system contacts app has no record.
        let score = &records["stalkerware_score"];
        assert_eq!(score.len(), 1, "{score:?}");
        assert_eq!(score[0]["package_name"], "org.fdroid.fdroid");
        assert_eq!(score[0]["signals"], serde_json::json!(["installed outside an app store"]));
        let got: Vec<(String, Level, String)> =
            alerts.iter().map(|a| (a.module.clone(), a.level, a.message.clone())).collect();
        assert_eq!(got.len(), 1, "{kind:?}: {got:#?}");
        assert_eq!(got[0].0, "dumpsys_packages");
        assert_eq!(got[0].1, Level::Medium);
        assert!(got[0].2.starts_with("org.fdroid.fdroid: installed from outside an app store"), "{got:?}");
    }
}
