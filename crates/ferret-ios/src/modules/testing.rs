//! Test helpers of the iOS modules: lay generated artifacts out as a filesystem dump and run a
//! module on it; and the tests every module of a group shares (a real backup layout, hostile
//! plists through a module).

use ferret_core::evidence::FolderEvidence;
use ferret_core::module::testing::{RunResult, run_one};
use ferret_core::{AcquisitionKind, ArtifactModule, Context, Indicators, RunOptions, Typed};
use ferret_testdata::ArtifactFile;
use ferret_testdata::truth::{Truth, compare};

/// A temp folder holding `files` at their `fs_path`.
pub(crate) fn fs_tree(files: &[ArtifactFile]) -> (tempfile::TempDir, FolderEvidence) {
    let dir = tempfile::tempdir().expect("tempdir");
    for f in files {
        let p = dir.path().join(&f.fs_path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, &f.bytes).expect("write");
    }
    let ev = FolderEvidence::new(dir.path(), AcquisitionKind::IosFs);
    (dir, ev)
}

/// Writes one file at `rel` under the evidence root.
pub(crate) fn put(dir: &tempfile::TempDir, rel: &str, bytes: &[u8]) {
    let p = dir.path().join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(&p, bytes).expect("write");
}

/// Runs module `m` on `ev` with `ind`.
pub(crate) fn run<M: ArtifactModule>(m: M, ev: &FolderEvidence, ind: &dyn Indicators) -> RunResult {
    let opts = RunOptions::default();
    let ctx = Context { evidence: ev, indicators: ind, options: &opts };
    run_one(&Typed(m), &ctx)
}

/// Asserts exact recall and precision for `module`.
pub(crate) fn assert_exact(truth: &Truth, r: &RunResult, module: &str) {
    let cmp = compare(&truth.alerts, &r.alerts, Some(&[module]));
    assert!(
        cmp.is_exact(),
        "missed: {:#?}\nunexpected: {:#?}",
        cmp.missed,
        cmp.unexpected.iter().map(|a| (&a.level, &a.message)).collect::<Vec<_>>()
    );
}

/// Builds a small SQLite file from SQL text.
pub(crate) fn sqlite_bytes(sql: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("t.db");
    let c = rusqlite::Connection::open(&p).expect("open");
    c.execute_batch(sql).expect("sql");
    drop(c);
    std::fs::read(&p).expect("read")
}

#[cfg(test)]
mod plist_guard {
    /// A plist nested 100,000 levels deep and the 283-byte "billion laughs" (2^60 leaves) are
    /// refused by the ferret-formats guard before the `plist` crate sees them, through a module
    /// reading them from a filesystem dump (the module fails alone, naming the file).
    #[test]
    fn deep_and_billion_laughs_plists_fail_their_module_alone() {
        let depth = 100_000;
        let mut xml = String::from("<?xml version=\"1.0\"?><plist version=\"1.0\">");
        xml.push_str(&"<array>".repeat(depth));
        xml.push_str(&"</array>".repeat(depth));
        xml.push_str("</plist>");
        let laughs = ferret_testdata::hostile::billion_laughs_bplist();
        for (bytes, why) in [(xml.as_bytes(), "nests deeper than"), (laughs.as_slice(), "expands to more than")] {
            let (dir, ev) = super::fs_tree(&[]);
            super::put(&dir, "private/var/mobile/Library/Preferences/.GlobalPreferences.plist", bytes);
            let r = super::run(crate::modules::global_preferences::GlobalPreferences, &ev, &ferret_core::NoIndicators);
            let err = r.outcome.expect_err("the module fails alone");
            assert!(err.contains("private/var/mobile/Library/Preferences/.GlobalPreferences.plist"), "{err}");
            assert!(err.contains(why), "{err}");
            assert!(r.records.is_empty() && r.alerts.is_empty());
        }
    }
}

/// Every module of this group run through a real backup layout (Manifest.db, hashed file ids):
/// proves the backup locators and exact recall/precision there too.
#[cfg(test)]
mod backup_tests {
    use ferret_core::module::testing::run_one;
    use ferret_core::{Context, Module, NoIndicators, Outcome, RunOptions, Typed};
    use ferret_testdata::fake::TruthIndicators;
    use ferret_testdata::ios;
    use ferret_testdata::truth::{Truth, compare};

    use crate::modules::*;

    #[test]
    fn all_modules_through_a_backup() {
        let seed = 21;
        let mut truth = Truth::default();
        let mut files = Vec::new();
        files.extend(ios::calls::generate(seed, 10, &mut truth));
        files.extend(ios::contacts::generate(seed, 10, &mut truth));
        files.extend(ios::calendar::generate(seed, 10, &mut truth));
        files.extend(ios::chrome_history::generate(seed, 10, &mut truth));
        files.extend(ios::chrome_favicon::generate(seed, 10, &mut truth));
        files.extend(ios::firefox_favicon::generate(seed, 10, &mut truth));
        files.extend(ios::global_preferences::generate(seed, 3, &mut truth));
        files.extend(ios::id_status_cache::generate(seed, 10, &mut truth));
        files.extend(ios::interaction_c::generate(seed, 10, &mut truth));
        files.extend(ios::locationd::generate(seed, 10, &mut truth));
        files.extend(ios::os_analytics_addaily::generate(seed, 10, &mut truth));
        files.extend(ios::safari_browser_state::generate(seed, 10, &mut truth));
        files.extend(ios::shortcuts::generate(seed, 10, &mut truth));
        files.extend(ios::webkit_resource_load_statistics::generate(seed, 10, &mut truth));
        files.extend(ios::webkit_session_resource_log::generate(seed, 10, &mut truth));
        files.extend(ios::whatsapp_contacts::generate(seed, 10, &mut truth));
        ios::os_version::expect_for_planted_version(&mut truth);
        let dir = tempfile::tempdir().expect("tempdir");
        let device = ferret_testdata::ios_backup::DeviceSpec {
            product_version: ios::os_version::VERSION.into(),
            ..Default::default()
        };
        ferret_testdata::ios_backup::write_backup(dir.path(), &files, &device).expect("backup");
        let ev = crate::backup::BackupEvidence::open(dir.path()).expect("opens");
        let ind = TruthIndicators::new(&truth);
        let opts = RunOptions::default();
        let ctx = Context { evidence: &ev, indicators: &ind, options: &opts };
        let modules: Vec<Box<dyn Module>> = vec![
            Box::new(Typed(calls::Calls)),
            Box::new(Typed(contacts::Contacts)),
            Box::new(Typed(calendar::Calendar)),
            Box::new(Typed(chrome_history::ChromeHistory)),
            Box::new(Typed(chrome_favicon::ChromeFavicon)),
            Box::new(Typed(firefox_favicon::FirefoxFavicon)),
            Box::new(Typed(global_preferences::GlobalPreferences)),
            Box::new(Typed(id_status_cache::IdStatusCache)),
            Box::new(Typed(interaction_c::InteractionC)),
            Box::new(Typed(locationd::Locationd)),
            Box::new(Typed(os_analytics_addaily::OsAnalyticsAdDaily)),
            Box::new(Typed(safari_browser_state::SafariBrowserState)),
            Box::new(Typed(shortcuts::Shortcuts)),
            Box::new(Typed(webkit_resource_load_statistics::WebkitResourceLoadStatistics)),
            Box::new(Typed(webkit_session_resource_log::WebkitSessionResourceLog)),
            Box::new(Typed(whatsapp_contacts::WhatsappContacts)),
            Box::new(Typed(os_version::OsVersion)),
        ];
        let mut alerts = Vec::new();
        let mut names = Vec::new();
        for m in &modules {
            let r = run_one(m.as_ref(), &ctx);
            assert_eq!(r.outcome, Ok(Outcome::Completed), "{}", m.info().name);
            assert!(!r.records.is_empty(), "{}", m.info().name);
            alerts.extend(r.alerts);
            names.push(m.info().name);
        }
        let cmp = compare(&truth.alerts, &alerts, Some(&names));
        assert!(cmp.is_exact(), "missed {:#?}\nunexpected {:#?}", cmp.missed, cmp.unexpected);
        // and every module reports NotFound on an empty backup
        let empty = tempfile::tempdir().expect("tempdir");
        ferret_testdata::ios_backup::write_backup(empty.path(), &[], &device).expect("backup");
        let ev = crate::backup::BackupEvidence::open(empty.path()).expect("opens");
        let ctx = Context { evidence: &ev, indicators: &NoIndicators, options: &opts };
        for m in modules.iter().filter(|m| m.info().name != "os_version") {
            assert_eq!(run_one(m.as_ref(), &ctx).outcome, Ok(Outcome::NotFound), "{}", m.info().name);
        }
    }
}
