//! `shortcuts`: user Shortcuts (automation workflows) and the URLs their actions use.
//!
//! Format facts:
//! * Core Data SQLite at HomeDomain `Library/Shortcuts/Shortcuts.sqlite`
//!   (FS `private/var/mobile/Library/Shortcuts/Shortcuts.sqlite`).
//! * `ZSHORTCUT` (`Z_PK`, `ZNAME`, `ZCREATIONDATE`, `ZMODIFICATIONDATE` — Mac absolute,
//!   `ZACTIONSDESCRIPTION`) ⟕ `ZSHORTCUTACTIONS` (`ZSHORTCUT` → `ZSHORTCUT.Z_PK`, `ZDATA`).
//! * `ZDATA` is a binary plist array of actions, each a dictionary with
//!   `WFWorkflowActionIdentifier` (e.g. `is.workflow.actions.downloadurl`) and
//!   `WFWorkflowActionParameters` (any nesting). URLs are every URL found in any string of the
//!   parameters. Plists are parsed on a big-stack thread with a depth cap (hostile input).
//!
//! Checks: each distinct action URL (`check_url`) → CRITICAL. Timeline: `shortcut_created`,
//! `shortcut_modified`.

use ferret_core::{
    ArtifactModule, BackupPath, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, ioc_finding,
};
use jiff::Timestamp;
use rusqlite::types::ValueRef;
use serde::{Deserialize, Serialize};

use ferret_core::toolkit::{Columns, cell, each_sqlite, for_each_row, plist_strings};

/// The module.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shortcuts;

/// One shortcut.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShortcutRecord {
    /// `Z_PK`.
    pub id: Option<i64>,
    /// Name.
    pub shortcut_name: Option<String>,
    /// Created.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub created_date: Option<Timestamp>,
    /// Modified.
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub modified_date: Option<Timestamp>,
    /// `ZACTIONSDESCRIPTION`.
    pub description: Option<String>,
    /// Action identifiers, in order.
    pub actions: Vec<String>,
    /// URLs found in action parameters (distinct, in order).
    pub action_urls: Vec<String>,
}

static LOCATOR: Locator = Locator {
    backup: &[BackupPath { domain: "HomeDomain", path: "Library/Shortcuts/Shortcuts.sqlite" }],
    paths: &["private/var/mobile/Library/Shortcuts/Shortcuts.sqlite"],
};

/// Largest `ZDATA` parsed.
const MAX_ACTIONS_BLOB: usize = 16 * 1024 * 1024;

fn parse_actions(blob: &[u8], actions: &mut Vec<String>, urls: &mut Vec<String>) -> Result<(), String> {
    if blob.len() > MAX_ACTIONS_BLOB {
        return Err(format!("{} bytes, over the {MAX_ACTIONS_BLOB}-byte limit", blob.len()));
    }
    let v = ferret_formats::parse_plist(blob).map_err(|e| e.to_string())?;
    let list = v.as_array().ok_or("not an array of actions")?;
    for a in list {
        let Some(d) = a.as_dictionary() else { continue };
        if let Some(id) = d.get("WFWorkflowActionIdentifier").and_then(|x| x.as_string()) {
            actions.push(id.to_string());
        }
        if let Some(p) = d.get("WFWorkflowActionParameters") {
            let mut strings = Vec::new();
            plist_strings(p, &mut strings);
            for s in strings {
                for u in ferret_core::urls::find_urls(&s) {
                    if !urls.contains(&u) {
                        urls.push(u);
                    }
                }
            }
        }
    }
    Ok(())
}

impl ArtifactModule for Shortcuts {
    type Record = ShortcutRecord;
    const NAME: &'static str = "shortcuts";
    const DESCRIPTION: &'static str = "Shortcuts (automation workflows), their actions and the URLs they use";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        each_sqlite(ctx, &LOCATOR, out, |db, path, out| {
            if !db.has_table("ZSHORTCUT") {
                return Err(ModuleError::missing_tables(path, db, "table ZSHORTCUT"));
            }
            let mut cols = Columns::default();
            let s = cols.select(
                db,
                "ZSHORTCUT",
                "s",
                &["Z_PK", "ZNAME", "ZCREATIONDATE", "ZMODIFICATIONDATE", "ZACTIONSDESCRIPTION"],
            );
            let has_actions = db.has_table("ZSHORTCUTACTIONS");
            let a =
                if has_actions { cols.select(db, "ZSHORTCUTACTIONS", "a", &["ZDATA"]) } else { vec!["NULL".into()] };
            if !has_actions {
                out.warn(format!("{}: table ZSHORTCUTACTIONS missing; no actions read", path));
            }
            if let Some(w) = cols.warning(path) {
                out.warn(w);
            }
            let join = if has_actions && !cols.is_missing("ZSHORTCUTACTIONS", "ZDATA") {
                "LEFT JOIN ZSHORTCUTACTIONS a ON a.ZSHORTCUT = s.Z_PK"
            } else {
                ""
            };
            let a = if join.is_empty() { vec!["NULL".to_string()] } else { a };
            let sql = format!("SELECT {}, {} FROM ZSHORTCUT s {join} ORDER BY s.Z_PK", s.join(", "), a.join(", "));
            let mut bad = Vec::new();
            for_each_row(db, path, &sql, |r| {
                let mut rec = ShortcutRecord {
                    id: cell::i64(r, 0),
                    shortcut_name: cell::text(r, 1),
                    created_date: cell::mac_time(r, 2),
                    modified_date: cell::mac_time(r, 3),
                    description: cell::text(r, 4),
                    actions: Vec::new(),
                    action_urls: Vec::new(),
                };
                if let Ok(ValueRef::Blob(b)) = r.get_ref(5)
                    && let Err(e) = parse_actions(b, &mut rec.actions, &mut rec.action_urls)
                {
                    bad.push(format!("{}: ZSHORTCUTACTIONS.ZDATA of shortcut {}: {e}", path, rec.id.unwrap_or(-1)));
                }
                out.record(rec)
            })?;
            for w in bad {
                out.warn(w);
            }
            Ok(())
        })
    }

    fn timeline(&self, r: &ShortcutRecord, events: &mut Vec<(Timestamp, String, String)>) {
        let name = r.shortcut_name.as_deref().unwrap_or("(unnamed)");
        if let Some(t) = r.created_date {
            events.push((
                t,
                "shortcut_created".into(),
                format!("Shortcut {name:?} created ({} actions)", r.actions.len()),
            ));
        }
        if let Some(t) = r.modified_date {
            events.push((
                t,
                "shortcut_modified".into(),
                format!("Shortcut {name:?} modified; URLs: {}", r.action_urls.join(" ")),
            ));
        }
    }

    fn check(&self, r: &ShortcutRecord, ind: &dyn Indicators, f: &mut Vec<Finding>) {
        for u in &r.action_urls {
            if let Some(m) = ind.check_url(u) {
                f.push(ioc_finding(
                    Level::Critical,
                    "URL in a Shortcut action",
                    u,
                    r.modified_date.or(r.created_date),
                    m,
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::testing::*;
    use ferret_testdata::fake::TruthIndicators;
    use ferret_testdata::truth::Truth;

    const P: &str = "private/var/mobile/Library/Shortcuts/Shortcuts.sqlite";

    #[test]
    fn recall_and_precision() {
        let mut truth = Truth::default();
        let files = ferret_testdata::ios::shortcuts::generate(13, 20, &mut truth);
        let (_d, ev) = fs_tree(&files);
        let r = run(Shortcuts, &ev, &TruthIndicators::new(&truth));
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 23);
        assert_eq!(r.records[0]["actions"].as_array().map(Vec::len), Some(3));
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_exact(&truth, &r, "shortcuts");
    }

    #[test]
    fn older_schema_and_bad_blobs() {
        let (d, ev) = fs_tree(&[]);
        assert_eq!(run(Shortcuts, &ev, &ferret_core::NoIndicators).outcome, Ok(Outcome::NotFound));
        put(
            &d,
            P,
            &sqlite_bytes(
                "CREATE TABLE ZSHORTCUT (Z_PK INTEGER PRIMARY KEY, ZNAME VARCHAR);
            CREATE TABLE ZSHORTCUTACTIONS (Z_PK INTEGER PRIMARY KEY, ZSHORTCUT INTEGER, ZDATA BLOB);
            INSERT INTO ZSHORTCUT VALUES (1, 'a'), (2, 'b');
            INSERT INTO ZSHORTCUTACTIONS VALUES (1, 1, X'62706C6973743030FFFF'), (2, 2, NULL);",
            ),
        );
        let r = run(Shortcuts, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 2);
        assert!(r.warnings.iter().any(|w| w.contains("ZSHORTCUT.ZCREATIONDATE")));
        assert!(r.warnings.iter().any(|w| w.contains("ZDATA of shortcut 1")));
        put(
            &d,
            P,
            &sqlite_bytes(
                "CREATE TABLE ZSHORTCUT (Z_PK INTEGER PRIMARY KEY, ZNAME VARCHAR); INSERT INTO ZSHORTCUT VALUES (1, 'only');",
            ),
        );
        let r = run(Shortcuts, &ev, &ferret_core::NoIndicators);
        assert_eq!(r.records.len(), 1);
        assert!(r.warnings.iter().any(|w| w.contains("ZSHORTCUTACTIONS missing")));
    }
}
