//! `safari_history`: every Safari history visit, from every `History.db` (default profile and
//! Safari profiles).
//!
//! # Artifact
//! * backup: `HomeDomain` and `AppDomain-com.apple.mobilesafari`, relative paths
//!   `Library/Safari/History.db` and `Library/Safari/Profiles/*/History.db`;
//! * filesystem: `private/var/mobile/Library/Safari/History.db`, its `Profiles/*/` variant, and
//!   the same two under `private/var/mobile/Containers/Data/Application/*/` (iOS 17+ Safari
//!   container).
//!
//! # Schema facts
//! `history_items(id, url, visit_count, ...)` ⨝ `history_visits(id, history_item, visit_time
//! REAL, title, load_successful, redirect_source, redirect_destination, ...)`. `visit_time` is
//! Mac absolute seconds with a fraction. `redirect_destination` is the id of the visit this one
//! redirected to (in the same database); `redirect_source` the reverse link. Older schemas lack
//! `title`/`load_successful`/redirect columns: they read as null and are named in a warning.
//!
//! # Checks (level)
//! * `check_url(url)` — CRITICAL;
//! * heuristic, always (cross-record, in `extract`): a visit with a `redirect_destination` on a
//!   **different registrable domain** (public-suffix list via the `psl` crate; IP literals and
//!   hosts without a known suffix compare as the whole host) reached less than one second later
//!   (absolute difference of the two `visit_time`s, so MVT's `timedelta.seconds` quirk, which
//!   ignores whole days, is fixed) — MEDIUM "Redirect across domains in under a second". Unlike
//!   MVT it is not limited to `http://` sources. The alert is attached to the source visit.
//!
//! Timeline: `safari_visit` at `isodate`.

use ferret_core::evidence::BackupPath;
use ferret_core::time::from_mac_absolute;
use ferret_core::toolkit::{Columns, cell};
use ferret_core::{
    ArtifactModule, Context, Finding, Indicators, Level, Locator, ModuleError, Out, Outcome, SqliteDb, ioc_finding,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Where `History.db` files live.
pub const LOCATOR: Locator = Locator {
    backup: &[
        BackupPath { domain: "HomeDomain", path: "Library/Safari/History.db" },
        BackupPath { domain: "HomeDomain", path: "Library/Safari/Profiles/*/History.db" },
        BackupPath { domain: "AppDomain-com.apple.mobilesafari", path: "Library/Safari/History.db" },
        BackupPath { domain: "AppDomain-com.apple.mobilesafari", path: "Library/Safari/Profiles/*/History.db" },
    ],
    paths: &[
        "private/var/mobile/Library/Safari/History.db",
        "private/var/mobile/Library/Safari/Profiles/*/History.db",
        "private/var/mobile/Containers/Data/Application/*/Library/Safari/History.db",
        "private/var/mobile/Containers/Data/Application/*/Library/Safari/Profiles/*/History.db",
    ],
};

/// One visit (`safari_history.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SafariVisit {
    /// `history_items.id`.
    pub id: i64,
    /// Visited URL.
    pub url: Option<String>,
    /// `history_visits.id`.
    pub visit_id: i64,
    /// Visit time (UTC).
    #[serde(with = "ferret_core::time::serde_opt_ts", default)]
    pub isodate: Option<Timestamp>,
    /// Page title.
    pub title: Option<String>,
    /// Whether the page loaded.
    pub load_successful: Option<bool>,
    /// Visit that redirected here.
    pub redirect_source: Option<i64>,
    /// Visit this one redirected to.
    pub redirect_destination: Option<i64>,
    /// URL of the redirect destination visit.
    pub redirect_destination_url: Option<String>,
    /// Which database (path inside the acquisition).
    pub safari_history_db: String,
}

/// The `safari_history` module.
#[derive(Debug, Default, Clone, Copy)]
pub struct SafariHistory;

/// Host of a URL (lower case, no port/userinfo), or `None`.
pub fn host_of(url: &str) -> Option<String> {
    let rest = url.find("://").map_or(url, |i| url.get(i + 3..).unwrap_or_default());
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let hp = rest.get(..end).unwrap_or_default();
    let hp = hp.rsplit('@').next().unwrap_or(hp);
    let host = if let Some(v6) = hp.strip_prefix('[') {
        v6.split(']').next().unwrap_or(v6)
    } else {
        hp.split(':').next().unwrap_or(hp)
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

/// Registrable domain of a host (`a.b.example.co.uk` → `example.co.uk`); IP literals and hosts
/// with no registrable part are returned whole.
pub fn registrable(host: &str) -> String {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return host.to_string();
    }
    match psl::domain_str(host) {
        Some(d) if d.contains('.') => d.to_string(),
        _ => host.to_string(),
    }
}

const VISIT_COLS: &[&str] = &["visit_time", "title", "load_successful", "redirect_source", "redirect_destination"];

fn read_db(db: &SqliteDb, path: &str, out: &mut Out<'_, '_, SafariHistory>) -> Result<(), ModuleError> {
    if db.is_empty_schema() {
        out.warn(ModuleError::EmptyDatabase { path: path.to_string() }.to_string());
        return Ok(());
    }
    if !db.has_table("history_visits") || !db.has_table("history_items") {
        out.warn(format!("{path}: no history_items/history_visits tables"));
        return Ok(());
    }
    let mut schema = Columns::default();
    let vcols = schema.select_list(db, "history_visits", "v", VISIT_COLS);
    let icols = schema.select_list(db, "history_items", "i", &["url"]);
    let has_dest = !schema.missing.iter().any(|m| m == "history_visits.redirect_destination");
    let has_time = !schema.missing.iter().any(|m| m == "history_visits.visit_time");
    schema.warn(out, path);
    let (dcols, djoin) = if has_dest {
        (
            if has_time { "d.visit_time, di.url" } else { "NULL, di.url" },
            " LEFT JOIN history_visits d ON d.id = v.redirect_destination LEFT JOIN history_items di ON di.id = d.history_item",
        )
    } else {
        ("NULL, NULL", "")
    };
    let sql = format!(
        "SELECT v.id, i.id, {icols}, {vcols}, {dcols} FROM history_visits v \
         JOIN history_items i ON i.id = v.history_item{djoin} ORDER BY v.id"
    );
    let mut stmt = db.prepare(&sql).map_err(|e| ModuleError::query(path, e))?;
    let mut rows = stmt.query([]).map_err(|e| ModuleError::query(path, e))?;
    while let Some(row) = rows.next().map_err(|e| ModuleError::query(path, e))? {
        let t = cell::f64(row, 3);
        let dest_t = cell::f64(row, 8);
        let rec = SafariVisit {
            id: cell::i64(row, 1).unwrap_or_default(),
            url: cell::text(row, 2),
            visit_id: cell::i64(row, 0).unwrap_or_default(),
            isodate: t.and_then(from_mac_absolute),
            title: cell::text(row, 4),
            load_successful: cell::i64(row, 5).map(|v| v != 0),
            redirect_source: cell::i64(row, 6),
            redirect_destination: cell::i64(row, 7),
            redirect_destination_url: cell::text(row, 9),
            safari_history_db: path.to_string(),
        };
        let fast_cross = match (t, dest_t, rec.url.as_deref(), rec.redirect_destination_url.as_deref()) {
            (Some(a), Some(b), Some(src), Some(dst)) if (b - a).abs() < 1.0 => match (host_of(src), host_of(dst)) {
                (Some(hs), Some(hd)) if registrable(&hs) != registrable(&hd) => Some((b - a).abs()),
                _ => None,
            },
            _ => None,
        };
        if let Some(delta) = fast_cross {
            let msg = format!(
                "Redirect across domains in under a second: {} -> {} ({delta:.3} s), a pattern of exploit-delivery redirect chains",
                rec.url.as_deref().unwrap_or(""),
                rec.redirect_destination_url.as_deref().unwrap_or(""),
            );
            out.heuristic(Level::Medium, msg, rec.isodate, &rec);
        }
        out.record(rec)?;
    }
    Ok(())
}

impl ArtifactModule for SafariHistory {
    type Record = SafariVisit;
    const NAME: &'static str = "safari_history";
    const DESCRIPTION: &'static str =
        "Safari history visits from every History.db: URLs vs indicators, fast cross-domain redirect chains";

    fn extract(&self, ctx: &Context<'_>, out: &mut Out<'_, '_, Self>) -> Result<Outcome, ModuleError> {
        let files = ctx.evidence.locate(&LOCATOR)?;
        if files.is_empty() {
            return Ok(Outcome::NotFound);
        }
        let mut last_err = None;
        let mut read_any = false;
        for f in &files {
            // One damaged profile database must not hide the others.
            match ctx.evidence.sqlite(f) {
                Ok(db) => {
                    read_db(&db, &f.path, out)?;
                    read_any = true;
                }
                Err(e) if files.len() > 1 => {
                    out.warn(format!("{}: cannot open: {e}", f.path));
                    last_err = Some(e);
                }
                Err(e) => return Err(e.into()),
            }
        }
        match (read_any, last_err) {
            (false, Some(e)) => Err(e.into()),
            _ => Ok(Outcome::Completed),
        }
    }

    fn timeline(&self, r: &SafariVisit, events: &mut Vec<(Timestamp, String, String)>) {
        if let Some(t) = r.isodate {
            events.push((t, "safari_visit".into(), format!("Safari visit to {}", r.url.as_deref().unwrap_or(""))));
        }
    }

    fn check(&self, r: &SafariVisit, ind: &dyn Indicators, findings: &mut Vec<Finding>) {
        if let Some(u) = r.url.as_deref().filter(|u| !u.is_empty())
            && let Some(m) = ind.check_url(u)
        {
            findings.push(ioc_finding(Level::Critical, "Safari visit to", u, r.isodate, m));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::sms::test_support::*;
    use super::*;
    use ferret_core::{NoIndicators, Typed};
    use ferret_testdata::fake::TruthIndicators;
    use ferret_testdata::truth::{Truth, compare};

    #[test]
    fn domains() {
        assert_eq!(host_of("HTTPS://User@A.Example.co.uk:8443/x").as_deref(), Some("a.example.co.uk"));
        assert_eq!(registrable("a.b.example.co.uk"), "example.co.uk");
        assert_eq!(registrable("10.0.0.1"), "10.0.0.1");
        assert_eq!(host_of("http://[::1]:80/").as_deref(), Some("::1"));
        assert_eq!(host_of("about:blank").as_deref(), Some("about"));
        assert!(host_of("").is_none());
    }

    #[test]
    fn planted_cases_exact() {
        let mut truth = Truth::default();
        let files = ferret_testdata::ios::safari_history::generate(3, 500, &mut truth);
        let dir = layout(&files);
        let ind = TruthIndicators::new(&truth);
        let r = run_dir(&Typed(SafariHistory), dir.path(), &ind);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        let cmp = compare(&truth.alerts, &r.alerts, Some(&["safari_history"]));
        assert!(cmp.is_exact(), "missed {:#?}\nunexpected {:#?}", cmp.missed, cmp.unexpected);
        assert!(r.records.iter().any(|v| v["safari_history_db"].as_str().is_some_and(|p| p.contains("/Profiles/"))));
        let r2 = run_dir(&Typed(SafariHistory), dir.path(), &NoIndicators);
        assert_eq!(r2.alerts.len(), 1);
    }

    #[test]
    fn old_schema_and_corrupt() {
        let p = "private/var/mobile/Library/Safari/History.db";
        let d = db_from_sql(
            p,
            "CREATE TABLE history_items (id INTEGER PRIMARY KEY, url TEXT);
             CREATE TABLE history_visits (id INTEGER PRIMARY KEY, history_item INTEGER, visit_time REAL);
             INSERT INTO history_items VALUES (1, 'https://example.org/');
             INSERT INTO history_visits VALUES (1, 1, 500000000.25), (2, 1, 'garbage'), (3, 7, NULL);",
        );
        let r = run_dir(&Typed(SafariHistory), d.path(), &NoIndicators);
        assert_eq!(r.outcome, Ok(Outcome::Completed));
        assert_eq!(r.records.len(), 2);
        assert!(r.warnings.iter().any(|w| w.contains("redirect_destination")));
        let d = single(p, b"SQLite format 3\0garbage garbage garbage");
        assert!(run_dir(&Typed(SafariHistory), d.path(), &NoIndicators).outcome.is_err());
    }
}
