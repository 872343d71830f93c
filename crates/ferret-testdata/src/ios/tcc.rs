//! `TCC.db` generator (privacy permissions), for the `tcc` module.
//!
//! The `access` table in its iOS 14+ ("v3") form: `service, client, client_type, auth_value,
//! auth_reason, auth_version, csreq, policy_id, indirect_object_identifier_type,
//! indirect_object_identifier, indirect_object_code_identity, flags, last_modified` (Unix
//! seconds), plus `admin` and `policies`.

use ferret_core::Level;
use rand::Rng;
use rusqlite::params;

use super::sms::artifact_files;
use crate::ArtifactFile;
use crate::rng::{rng_for, word};
use crate::sqlite::build;
use crate::truth::{IndicatorKind, Truth};

const SCHEMA: &str = "
CREATE TABLE admin (key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL);
CREATE TABLE policies (id INTEGER NOT NULL PRIMARY KEY, bundle_id TEXT NOT NULL, uuid TEXT NOT NULL, display TEXT NOT NULL, UNIQUE (bundle_id, uuid));
CREATE TABLE access (service TEXT NOT NULL, client TEXT NOT NULL, client_type INTEGER NOT NULL, auth_value INTEGER NOT NULL, auth_reason INTEGER NOT NULL, auth_version INTEGER NOT NULL, csreq BLOB, policy_id INTEGER, indirect_object_identifier_type INTEGER, indirect_object_identifier TEXT NOT NULL DEFAULT 'UNUSED', indirect_object_code_identity BLOB, flags INTEGER, last_modified INTEGER NOT NULL DEFAULT (CAST(strftime('%s','now') AS INTEGER)), PRIMARY KEY (service, client, client_type, indirect_object_identifier), FOREIGN KEY (policy_id) REFERENCES policies(id) ON DELETE CASCADE ON UPDATE CASCADE);
INSERT INTO admin VALUES ('version', 22);
";

const SERVICES: &[&str] = &[
    "kTCCServiceAddressBook",
    "kTCCServiceCalendar",
    "kTCCServiceCamera",
    "kTCCServiceMicrophone",
    "kTCCServicePhotos",
    "kTCCServiceMotion",
    "kTCCServiceBluetoothAlways",
];

/// Generates `TCC.db` with `count` benign grants and the planted clients.
pub fn generate(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios/tcc");
    let t0 = 1_704_067_200 + rng.random_range(0..20_000_000i64);
    const M: &str = "tcc-test";
    let evil_app = format!("com.{}.{}", word(&mut rng, 7), word(&mut rng, 6));
    let evil_proc = format!("{}d", word(&mut rng, 10));
    truth.plant(IndicatorKind::AppId, evil_app.clone(), M);
    truth.plant(IndicatorKind::Process, evil_proc.clone(), M);
    truth.expect("tcc", Level::Critical, Some(&evil_app), format!("\"{evil_app}\""));
    let evil_path = format!("/private/var/containers/Bundle/Application/X/{evil_proc}");
    truth.expect("tcc", Level::Critical, Some(&evil_proc), format!("\"{evil_path}\""));
    let mut r = rng_for(seed, "ios/tcc/rows");
    let files = build(
        |c| {
            c.execute_batch(SCHEMA)?;
            let mut ins = c.prepare(
                "INSERT INTO access (service, client, client_type, auth_value, auth_reason, auth_version, flags, last_modified) VALUES (?1, ?2, ?3, ?4, ?5, 1, 0, ?6)",
            )?;
            // the clients: the phone's installed apps (bundle ids), then Apple's own programs
            // (from a seeded place in the catalogue), each with every service in turn
            let apps = super::applications::installed_ids(seed);
            let ids = crate::apple::ids();
            let first = r.random_range(0..ids.len().max(1));
            for i in 0..count {
                let svc = SERVICES[i % SERVICES.len()];
                let k = i / SERVICES.len();
                let client = match apps.get(k) {
                    Some(a) => a.clone(),
                    None => ids.get((first + k - apps.len()) % ids.len().max(1)).copied().unwrap_or_default().into(),
                };
                ins.execute(params![svc, client, 0, r.random_range(0..4), r.random_range(2..5), t0 + i as i64 * 100])?;
            }
            ins.execute(params!["kTCCServiceMicrophone", evil_app, 0, 2, 2, t0 + 50])?;
            ins.execute(params!["kTCCServiceCamera", evil_path, 1, 2, 4, t0 + 60])?;
            ins.execute(params!["kTCCServicePhotos", format!("com.not{}", &evil_app[4..]), 0, 3, 3, t0 + 70])?;
            Ok(())
        },
        None,
    )
    .expect("TCC.db fixture builds");
    artifact_files("HomeDomain", "Library/TCC/TCC.db", "private/var/mobile/Library/TCC/TCC.db", files, t0 + 1_000_000)
}
