//! `DataUsage.sqlite` generator (Core Data store of per-process network usage), for the
//! `datausage` module.
//!
//! Tables as iOS writes them: `ZPROCESS(Z_PK, Z_ENT, Z_OPT, ZFIRSTTIMESTAMP, ZTIMESTAMP,
//! ZBUNDLENAME, ZPROCNAME)`, `ZLIVEUSAGE(Z_PK, Z_ENT, Z_OPT, ZKIND, ZMETADATA, ZTAG, ZHASPROCESS,
//! ZBILLCYCLEEND, ZTIMESTAMP, ZWIFIIN, ZWIFIOUT, ZWWANIN, ZWWANOUT)`, `Z_PRIMARYKEY`,
//! `Z_METADATA`. Times are Mac absolute seconds (REAL).

use ferret_core::Level;
use rand::Rng;
use rusqlite::{Connection, params};

use super::sms::artifact_files;
use super::values::mac;
use crate::ArtifactFile;
use crate::rng::{rng_for, word};

use crate::sqlite::build;
use crate::truth::{IndicatorKind, Truth};

pub(crate) const SCHEMA: &str = "
CREATE TABLE ZPROCESS (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZFIRSTTIMESTAMP TIMESTAMP, ZTIMESTAMP TIMESTAMP, ZBUNDLENAME VARCHAR, ZPROCNAME VARCHAR);
CREATE TABLE ZLIVEUSAGE (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZKIND INTEGER, ZMETADATA INTEGER, ZTAG INTEGER, ZHASPROCESS INTEGER, ZBILLCYCLEEND TIMESTAMP, ZTIMESTAMP TIMESTAMP, ZWIFIIN FLOAT, ZWIFIOUT FLOAT, ZWWANIN FLOAT, ZWWANOUT FLOAT);
CREATE TABLE Z_PRIMARYKEY (Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER);
CREATE TABLE Z_METADATA (Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB);
CREATE INDEX ZLIVEUSAGE_ZHASPROCESS_INDEX ON ZLIVEUSAGE (ZHASPROCESS);
";

pub(crate) fn proc_row(c: &Connection, pk: i64, name: &str, bundle: Option<&str>, t: i64) -> rusqlite::Result<()> {
    c.prepare_cached("INSERT INTO ZPROCESS VALUES (?1, 7, 1, ?2, ?3, ?4, ?5)")?.execute(params![
        pk,
        mac(t),
        mac(t + 3600),
        bundle,
        name
    ])?;
    Ok(())
}

pub(crate) fn live_row(c: &Connection, pk: i64, proc_id: i64, t: i64, bytes: f64) -> rusqlite::Result<()> {
    c.prepare_cached("INSERT INTO ZLIVEUSAGE VALUES (?1, 5, 1, 0, 1, 0, ?2, NULL, ?3, ?4, ?5, ?6, ?7)")?
        .execute(params![pk, proc_id, mac(t), bytes, bytes / 3.0, bytes / 7.0, bytes / 11.0])?;
    Ok(())
}

/// Generates `DataUsage.sqlite` (+ `-wal`) with `count` benign processes and the planted cases.
pub fn generate(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios/datausage");
    let t0 = 1_704_067_200 + rng.random_range(0..20_000_000i64);
    const M: &str = "datausage-test";
    let count = count.max(300) as i64;
    let evil = format!("{}d", word(&mut rng, 9));
    let evil_long = format!("{}helperagentd", word(&mut rng, 8)); // 21 chars, truncated to 16 on the phone
    let evil_trunc: String = evil_long.chars().take(16).collect();
    let evil_wal = format!("{}xd", word(&mut rng, 8));
    for v in [&evil, &evil_long, &evil_wal] {
        truth.plant(IndicatorKind::Process, v.clone(), M);
    }
    truth.expect("datausage", Level::Critical, Some(&evil), format!("\"{evil}\""));
    truth.expect("datausage", Level::Critical, Some(&evil_long), format!("\"{evil_trunc}\""));
    truth.expect("datausage", Level::Critical, Some(&evil_wal), format!("\"{evil_wal}\""));
    // neither Apple's nor an installed app's: the process census names each once
    for v in [&evil, &evil_trunc, &evil_wal] {
        truth.expect_census(Level::Medium, v);
    }
    let apps = super::applications::installed_ids(seed);
    // Deleted records: one single id with two live rows, and a large range.
    let single_gap = count / 2;
    let range = (count / 3, count / 3 + 40);
    truth.expect("datausage", Level::Low, None, format!("Missing process id {single_gap} ("));
    truth.expect("datausage", Level::Low, None, format!("Missing process ids {}-{} (", range.0, range.1));
    let orphan_live = [count * 10 + 1, count * 10 + 2];
    for l in orphan_live {
        truth.expect("datausage", Level::High, None, format!("row #{l} points"));
    }

    let mut r = rng_for(seed, "ios/datausage/rows");
    let files = build(
        |c| {
            c.execute_batch(SCHEMA)?;
            let mut live_pk = 1i64;
            for pk in 1..=count {
                if pk == single_gap || (range.0..=range.1).contains(&pk) {
                    continue;
                }
                // every third process an installed app's (with its bundle id), the others
                // Apple's, named as the phone keeps them (16 characters at most)
                let (name, bundle) = match pk {
                    5 => (evil.clone(), None),
                    6 => (evil_trunc.clone(), None),
                    _ if pk % 3 == 0 => {
                        let (id, exe) = super::applications::installed_app(&apps, &mut r);
                        (exe, Some(id))
                    }
                    _ => (crate::apple::process(&mut r).chars().take(16).collect(), None),
                };
                let t = t0 + pk * 60;
                proc_row(c, pk, &name, bundle.as_deref(), t)?;
                // planted processes get exactly one live row; others 0..2
                let n = if pk == 5 || pk == 6 { 1 } else { r.random_range(0..3) };
                for _ in 0..n {
                    live_row(c, live_pk, pk, t + 10, f64::from(r.random_range(100..1_000_000u32)))?;
                    live_pk += 1;
                }
            }
            for l in orphan_live {
                live_row(c, l, single_gap, t0 + 99, 4096.0)?;
            }
            // a live row with no process link at all (not evidence of deletion: no alert)
            c.execute(
                "INSERT INTO ZLIVEUSAGE (Z_PK, Z_ENT, Z_OPT, ZHASPROCESS, ZTIMESTAMP) VALUES (?1, 5, 1, NULL, NULL)",
                [count * 10 + 3],
            )?;
            c.execute(
                "INSERT INTO Z_PRIMARYKEY VALUES (7, 'Process', 0, ?1), (5, 'LiveUsage', 0, ?2)",
                params![count, count * 10 + 3],
            )?;
            Ok(())
        },
        Some(&mut |c: &Connection| {
            proc_row(c, count + 1, &evil_wal, None, t0 + 1_000_000)?;
            live_row(c, count * 10 + 4, count + 1, t0 + 1_000_010, 1.0e6)?;
            Ok(())
        }),
    )
    .expect("DataUsage.sqlite fixture builds");
    artifact_files(
        "WirelessDomain",
        "Library/Databases/DataUsage.sqlite",
        "private/var/wireless/Library/Databases/DataUsage.sqlite",
        files,
        t0 + 2_000_000,
    )
}
