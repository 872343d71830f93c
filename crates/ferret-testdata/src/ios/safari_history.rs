//! Safari `History.db` generator (default profile with a `-wal` sidecar, plus one Safari
//! profile database under `Library/Safari/Profiles/<UUID>/`), for the `safari_history` module.
//!
//! Schema as iOS 17 writes it: `history_items`, `history_visits` (`visit_time` REAL, Mac absolute
//! seconds; `redirect_source`/`redirect_destination` point at other visits), `history_tombstones`,
//! `metadata`.

use ferret_core::Level;
use rand::Rng;
use rusqlite::{Connection, params};

use super::sms::{BENIGN_HOSTS, artifact_files};
use crate::ArtifactFile;
use crate::rng::{TestRng, hex_string, rng_for, uuid, word};
use crate::sqlite::build;
use crate::truth::{IndicatorKind, Truth};

const SCHEMA: &str = "
CREATE TABLE history_items (id INTEGER PRIMARY KEY AUTOINCREMENT, url TEXT NOT NULL UNIQUE, domain_expansion TEXT NULL, visit_count INTEGER NOT NULL, daily_visit_counts BLOB NOT NULL, weekly_visit_counts BLOB NULL, autocomplete_triggers BLOB NULL, should_recompute_derived_visit_counts INTEGER NOT NULL, visit_count_score INTEGER NOT NULL, status_code INTEGER NOT NULL DEFAULT 0);
CREATE TABLE history_visits (id INTEGER PRIMARY KEY AUTOINCREMENT, history_item INTEGER NOT NULL REFERENCES history_items(id) ON DELETE CASCADE, visit_time REAL NOT NULL, title TEXT NULL, load_successful BOOLEAN NOT NULL DEFAULT 1, http_non_get BOOLEAN NOT NULL DEFAULT 0, synthesized BOOLEAN NOT NULL DEFAULT 0, redirect_source INTEGER NULL UNIQUE REFERENCES history_visits(id) ON DELETE CASCADE, redirect_destination INTEGER NULL UNIQUE REFERENCES history_visits(id) ON DELETE CASCADE, origin INTEGER NOT NULL DEFAULT 0, generation INTEGER NOT NULL DEFAULT 0, attributes INTEGER NOT NULL DEFAULT 0, score INTEGER NOT NULL DEFAULT 0);
CREATE TABLE history_tombstones (id INTEGER PRIMARY KEY AUTOINCREMENT, start_time REAL NOT NULL, end_time REAL NOT NULL, url TEXT, generation INTEGER NOT NULL DEFAULT 0);
CREATE TABLE metadata (key TEXT NOT NULL UNIQUE, value);
CREATE INDEX history_item__domain_expansion ON history_items (domain_expansion);
CREATE INDEX history_visits__last_visit ON history_visits (history_item, visit_time DESC, synthesized ASC);
CREATE INDEX history_visits__origin ON history_visits (origin, generation);
";

fn mac(unix: f64) -> f64 {
    unix - ferret_core::time::MAC_EPOCH_OFFSET as f64
}

/// Inserts (or reuses) an item for `url` and returns its id.
fn item(c: &Connection, url: &str) -> rusqlite::Result<i64> {
    c.prepare_cached(
        "INSERT INTO history_items (url, domain_expansion, visit_count, daily_visit_counts, should_recompute_derived_visit_counts, visit_count_score) VALUES (?1, NULL, 1, X'', 0, 100) ON CONFLICT(url) DO UPDATE SET visit_count = visit_count + 1",
    )?
    .execute([url])?;
    c.prepare_cached("SELECT id FROM history_items WHERE url = ?1")?.query_row([url], |r| r.get(0))
}

fn visit(c: &Connection, url: &str, unix: f64, title: &str) -> rusqlite::Result<i64> {
    let it = item(c, url)?;
    c.prepare_cached(
        "INSERT INTO history_visits (history_item, visit_time, title, load_successful) VALUES (?1, ?2, ?3, 1)",
    )?
    .execute(params![it, mac(unix), title])?;
    Ok(c.last_insert_rowid())
}

/// A redirect from `a` (at `t`) to `b` (at `t + delta`).
fn redirect(c: &Connection, a: &str, b: &str, t: f64, delta: f64) -> rusqlite::Result<()> {
    let va = visit(c, a, t, "")?;
    let vb = visit(c, b, t + delta, "landing")?;
    c.prepare_cached("UPDATE history_visits SET redirect_destination = ?2 WHERE id = ?1")?.execute(params![va, vb])?;
    c.prepare_cached("UPDATE history_visits SET redirect_source = ?1 WHERE id = ?2")?.execute(params![va, vb])?;
    Ok(())
}

fn benign_url(rng: &mut TestRng, pool: usize) -> String {
    let host = BENIGN_HOSTS[rng.random_range(0..BENIGN_HOSTS.len())];
    format!("https://{host}/page/{}", rng.random_range(0..pool.max(1)))
}

/// Generates the History.db files with `count` benign visits in total and the planted cases.
pub fn generate(seed: u64, count: usize, truth: &mut Truth) -> Vec<ArtifactFile> {
    let mut rng = rng_for(seed, "ios/safari_history");
    let t0 = 1_704_067_200.0 + f64::from(rng.random_range(0..20_000_000u32));
    const M: &str = "safari-test";
    let evil_a = format!("{}-{}.com", word(&mut rng, 7), word(&mut rng, 6));
    let evil_wal = format!("{}-{}.net", word(&mut rng, 7), word(&mut rng, 6));
    let evil_prof = format!("{}-{}.org", word(&mut rng, 7), word(&mut rng, 6));
    for v in [&evil_a, &evil_wal, &evil_prof] {
        truth.plant(IndicatorKind::Domain, v.clone(), M);
    }
    let mk = |rng: &mut TestRng| format!("mk{}", hex_string(rng, 12));
    let mk_evil = mk(&mut rng);
    let mk_redirect = mk(&mut rng);
    let mk_wal = mk(&mut rng);
    let mk_prof = mk(&mut rng);
    let redir_src = format!("http://{}-news.com/article/{mk_redirect}", word(&mut rng, 6));
    let redir_dst = format!("https://{}-cdn.net/x/{}", word(&mut rng, 6), hex_string(&mut rng, 8));
    truth.expect("safari_history", Level::Critical, Some(&evil_a), mk_evil.clone());
    truth.expect("safari_history", Level::Medium, None, mk_redirect.clone());
    truth.expect("safari_history", Level::Critical, Some(&evil_wal), mk_wal.clone());
    truth.expect("safari_history", Level::Critical, Some(&evil_prof), mk_prof.clone());

    let wal_count = (count / 10).min(1000);
    let main_count = count.saturating_sub(wal_count);
    let pool = (count / 5).max(1);
    let mut rm = rng_for(seed, "ios/safari_history/main");
    let mut rw = rng_for(seed, "ios/safari_history/wal");
    let files = build(
        |c| {
            c.execute_batch(SCHEMA)?;
            c.execute_batch("INSERT INTO metadata VALUES ('version', 20);")?;
            for i in 0..main_count {
                let u = benign_url(&mut rm, pool);
                visit(c, &u, t0 + i as f64 * 7.5, "Page")?;
            }
            visit(c, &format!("https://{evil_a}/landing/{mk_evil}"), t0 + 1.0, "")?;
            // planted fast cross-domain redirect (0.3 s)
            redirect(c, &redir_src, &redir_dst, t0 + 100.0, 0.3)?;
            // same registrable domain, fast: no alert
            redirect(c, "http://example.org/a", "https://www.example.org/a", t0 + 200.0, 0.2)?;
            // cross-domain but slow (3 s): no alert
            redirect(c, "https://en.wikipedia.org/x", "https://www.example.com/y", t0 + 300.0, 3.0)?;
            // cross-domain, one day and 0.4 s later (MVT's timedelta.seconds bug): no alert
            redirect(c, "https://support.apple.com/r", "https://example.net/r", t0 + 400.0, 86_400.4)?;
            // near miss domain
            visit(c, &format!("https://not{evil_a}/p"), t0 + 500.0, "")?;
            Ok(())
        },
        Some(&mut |c: &Connection| {
            for i in 0..wal_count {
                let u = benign_url(&mut rw, pool);
                visit(c, &u, t0 + 50_000_000.0 + i as f64, "Later")?;
            }
            visit(c, &format!("https://a.b.{evil_wal}/{mk_wal}"), t0 + 60_000_000.0, "")?;
            Ok(())
        }),
    )
    .expect("History.db fixture builds");
    let mtime = t0 as i64 + 70_000_000;
    let mut out = artifact_files(
        "HomeDomain",
        "Library/Safari/History.db",
        "private/var/mobile/Library/Safari/History.db",
        files,
        mtime,
    );

    let profile = uuid(&mut rng);
    let prof = build(
        |c| {
            c.execute_batch(SCHEMA)?;
            visit(c, "https://example.com/work", t0 + 10.0, "Work")?;
            visit(c, &format!("https://{evil_prof}/{mk_prof}"), t0 + 20.0, "")?;
            Ok(())
        },
        None,
    )
    .expect("profile History.db builds");
    out.extend(artifact_files(
        "HomeDomain",
        &format!("Library/Safari/Profiles/{profile}/History.db"),
        &format!("private/var/mobile/Library/Safari/Profiles/{profile}/History.db"),
        prof,
        mtime,
    ));
    out
}
