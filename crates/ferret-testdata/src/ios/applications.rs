//! Installed apps with their `iTunesMetadata.plist` (for `Info.plist` → `Applications` in a
//! backup, and `private/var/containers/Bundle/Application/<UUID>/iTunesMetadata.plist` in a
//! filesystem dump).
//!
//! Metadata keys written: `softwareVersionBundleId`, `itemName`, `artistName`,
//! `bundleShortVersionString`, `sourceApp` (`com.apple.AppStore` for ordinary apps),
//! `com.apple.iTunesStore.downloadInfo` → `purchaseDate` (`%Y-%m-%dT%H:%M:%SZ`).
//!
//! Planted (unique bundle ids as markers):
//! * an app whose bundle id is an `app:id` indicator → CRITICAL;
//! * an app installed by another source (`sourceApp` = an enterprise installer) → MEDIUM;
//! * an app whose metadata has no `softwareVersionBundleId` → MEDIUM.

use plist::{Dictionary, Value};
use rand::Rng;

use crate::ArtifactFile;
use crate::ios_backup::{AppSpec, encode_bplist};
use crate::rng::{rng_for, uuid, word};
use crate::truth::{IndicatorKind, Truth};
use ferret_core::Level;

fn metadata(bundle: Option<&str>, name: &str, source: Option<&str>, purchase: i64) -> Vec<u8> {
    let mut d = Dictionary::new();
    if let Some(b) = bundle {
        d.insert("softwareVersionBundleId".into(), Value::String(b.into()));
    }
    d.insert("itemName".into(), Value::String(name.into()));
    d.insert("artistName".into(), Value::String("Example Developer Ltd".into()));
    d.insert("bundleShortVersionString".into(), Value::String("1.2.3".into()));
    if let Some(s) = source {
        d.insert("sourceApp".into(), Value::String(s.into()));
    }
    let date = jiff::Timestamp::from_second(purchase)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default();
    let mut dl = Dictionary::new();
    dl.insert("purchaseDate".into(), Value::String(date));
    d.insert("com.apple.iTunesStore.downloadInfo".into(), Value::Dictionary(dl));
    encode_bplist(&Value::Dictionary(d))
}

/// Generates `scale` ordinary App Store apps plus the planted ones.
pub fn generate(seed: u64, scale: usize, truth: &mut Truth) -> Vec<AppSpec> {
    let mut rng = rng_for(seed, "ios-applications");
    let mut apps = Vec::new();
    let app = |rng: &mut crate::rng::TestRng, bundle: String, meta_bundle: Option<&str>, source: Option<&str>| {
        let t = 1_690_000_000 + rng.random_range(0..30_000_000);
        let name = format!("App {}", word(rng, 6));
        AppSpec {
            itunes_metadata: Some(metadata(
                meta_bundle.or(Some(bundle.as_str())).filter(|b| !b.is_empty()),
                &name,
                source,
                t,
            )),
            bundle_id: bundle,
            version: "123".into(),
            container: uuid(rng),
        }
    };
    for i in 0..scale {
        let b = format!("com.example.{}{i}", word(&mut rng, 6));
        let source = if i % 3 == 0 { None } else { Some("com.apple.AppStore") };
        apps.push(app(&mut rng, b, None, source));
    }
    let bad = format!("com.ferretspy.{}", word(&mut rng, 7));
    truth.plant(IndicatorKind::AppId, bad.clone(), "TestSpyware");
    truth.expect("applications", Level::Critical, Some(&bad), bad.clone());
    apps.push(app(&mut rng, bad, None, Some("com.apple.AppStore")));
    let side = format!("com.example.ferretsideload{}", word(&mut rng, 5));
    truth.expect("applications", Level::Medium, None, side.clone());
    apps.push(app(&mut rng, side, None, Some("com.example.enterprise.installer")));
    let nobundle = format!("com.example.ferretnobundle{}", word(&mut rng, 5));
    truth.expect("applications", Level::Medium, None, nobundle.clone());
    apps.push(app(&mut rng, nobundle, Some(""), Some("com.apple.AppStore")));
    apps.sort_by(|a, b| a.bundle_id.cmp(&b.bundle_id));
    apps
}

/// How many ordinary App Store apps a generated phone has installed.
pub const ORDINARY_APPS: usize = 8;

/// The bundle ids of the ordinary apps the phone generated from `seed` has installed (what
/// [`generate`] lists with [`ORDINARY_APPS`], without the planted ones), sorted: the generators of
/// other artifacts name these apps (and their executables, the ids' last components) so the
/// process census sees the same phone's apps.
pub fn installed_ids(seed: u64) -> Vec<String> {
    generate(seed, ORDINARY_APPS, &mut Truth::default())
        .into_iter()
        .map(|a| a.bundle_id)
        .filter(|b| b.starts_with("com.example.") && !b.contains("ferret"))
        .collect()
}

/// One of [`installed_ids`] drawn from `rng`: `(bundle id, executable name)`.
pub fn installed_app(ids: &[String], rng: &mut crate::rng::TestRng) -> (String, String) {
    let id = ids.get(rng.random_range(0..ids.len().max(1))).cloned().unwrap_or_else(|| "com.example.app".into());
    let exe = id.rsplit('.').next().unwrap_or(&id).to_string();
    (id, exe)
}

/// The apps' `iTunesMetadata.plist` files as a filesystem dump holds them.
pub fn fs_files(apps: &[AppSpec]) -> Vec<ArtifactFile> {
    apps.iter()
        .filter_map(|a| {
            let bytes = a.itunes_metadata.clone()?;
            let rel = format!("containers/Bundle/Application/{}/iTunesMetadata.plist", a.container);
            Some(ArtifactFile {
                domain: String::new(),
                fs_path: format!("private/var/{rel}"),
                relative_path: rel,
                bytes,
                mtime: 1_700_000_000,
            })
        })
        .collect()
}
