//! The artifact modules' toolkit: one way to do each kind of evidence access, so a module is
//! its format knowledge and nothing else.
//!
//! * locating: [`first_file`], [`read_first`], [`json_array_first`], [`each_file`] (the
//!   artifact's files, [`Outcome::NotFound`] when there are none), [`each_sqlite`] and
//!   [`each_plist`] on top of it;
//! * property lists: [`read_plist`] (size-bounded, through `ferret_formats`' guard against deep
//!   and "billion laughs" plists), [`plist_to_json`] and [`plist_date`] (the one conversion:
//!   keys sorted, data as base64, dates as `YYYY-MM-DD HH:MM:SS.ffffff`, UIDs as
//!   `{"$uid": n}`);
//! * SQLite rows: [`cell`] (lossy, never-failing readers of one cell), [`Columns`] (a `SELECT`
//!   list in which the columns an older schema lacks read as `NULL`, with one warning naming
//!   them) and [`for_each_row`].

pub use ferret_formats::{plist_date, plist_to_json};

use crate::evidence::{Evidence, EvidenceFile, Locator};
use crate::module::{ArtifactModule, Context, ModuleError, Out, Outcome};
use crate::sqlite::SqliteDb;

/// Largest property list a module reads (bytes).
pub const PLIST_LIMIT: u64 = 32 * 1024 * 1024;

/// The first file of `locator` (in path order), if any.
pub fn first_file(ctx: &Context<'_>, locator: &Locator) -> Result<Option<EvidenceFile>, ModuleError> {
    Ok(ctx.evidence.locate(locator)?.into_iter().next())
}

/// The first file of `locator` and its bytes (at most `limit`; a larger file is this module's
/// error), if any.
pub fn read_first(
    ctx: &Context<'_>,
    locator: &Locator,
    limit: u64,
) -> Result<Option<(EvidenceFile, Vec<u8>)>, ModuleError> {
    let Some(file) = first_file(ctx, locator)? else { return Ok(None) };
    let bytes = ctx.evidence.read(&file, limit)?;
    Ok(Some((file, bytes)))
}

/// The first file of `locator` read (at most `limit` bytes) as a JSON array, if any; anything
/// else is this module's error ("not a JSON array", naming the file).
pub fn json_array_first(
    ctx: &Context<'_>,
    locator: &Locator,
    limit: u64,
) -> Result<Option<(EvidenceFile, Vec<serde_json::Value>)>, ModuleError> {
    let Some((file, bytes)) = read_first(ctx, locator, limit)? else { return Ok(None) };
    let list = serde_json::from_slice(&bytes)
        .map_err(|e| ModuleError::format(&file.path, format!("not a JSON array: {e}")))?;
    Ok(Some((file, list)))
}

/// The usual `extract` of a module: every file of `locator`, in path order, through `read`;
/// [`Outcome::NotFound`] when there is none. An error of `read` is this module's error.
pub fn each_file<M: ArtifactModule>(
    ctx: &Context<'_>,
    locator: &Locator,
    out: &mut Out<'_, '_, M>,
    mut read: impl FnMut(&EvidenceFile, &mut Out<'_, '_, M>) -> Result<(), ModuleError>,
) -> Result<Outcome, ModuleError> {
    let files = ctx.evidence.locate(locator)?;
    if files.is_empty() {
        return Ok(Outcome::NotFound);
    }
    for f in &files {
        read(f, out)?;
    }
    Ok(Outcome::Completed)
}

/// [`each_file`] for databases: each one opened read-only (WAL applied on a private copy) and
/// given to `read` with its path. A database with no table at all (0 bytes, header only, empty
/// schema) is skipped with the same warning in every module ([`ModuleError::EmptyDatabase`]).
pub fn each_sqlite<M: ArtifactModule>(
    ctx: &Context<'_>,
    locator: &Locator,
    out: &mut Out<'_, '_, M>,
    mut read: impl FnMut(&SqliteDb, &str, &mut Out<'_, '_, M>) -> Result<(), ModuleError>,
) -> Result<Outcome, ModuleError> {
    each_file(ctx, locator, out, |f, out| {
        let db = ctx.evidence.sqlite(f)?;
        if db.is_empty_schema() {
            out.warn(ModuleError::EmptyDatabase { path: f.path.clone() }.to_string());
            return Ok(());
        }
        read(&db, &f.path, out)
    })
}

/// [`each_sqlite`] for artifacts that come by the hundred (app caches, per-app WebKit stores): a
/// database that cannot be opened is skipped with a warning naming it, so one damaged file does
/// not hide the others.
pub fn each_sqlite_skipping_damaged<M: ArtifactModule>(
    ctx: &Context<'_>,
    locator: &Locator,
    out: &mut Out<'_, '_, M>,
    mut read: impl FnMut(&SqliteDb, &EvidenceFile, &mut Out<'_, '_, M>) -> Result<(), ModuleError>,
) -> Result<Outcome, ModuleError> {
    each_file(ctx, locator, out, |f, out| match ctx.evidence.sqlite(f) {
        Ok(db) if db.is_empty_schema() => {
            out.warn(ModuleError::EmptyDatabase { path: f.path.clone() }.to_string());
            Ok(())
        }
        Ok(db) => read(&db, f, out),
        Err(e) => {
            out.warn(format!("{}: skipped: {e}", f.path));
            Ok(())
        }
    })
}

/// [`each_file`] for property lists whose top level is a dictionary (anything else is this
/// module's error, naming the file).
pub fn each_plist<M: ArtifactModule>(
    ctx: &Context<'_>,
    locator: &Locator,
    out: &mut Out<'_, '_, M>,
    mut read: impl FnMut(&plist::Dictionary, &EvidenceFile, &mut Out<'_, '_, M>) -> Result<(), ModuleError>,
) -> Result<Outcome, ModuleError> {
    each_file(ctx, locator, out, |f, out| {
        let v = read_plist(ctx.evidence, f)?;
        let Some(d) = v.as_dictionary() else {
            return Err(ModuleError::format(&f.path, "top level is not a dictionary"));
        };
        read(d, f, out)
    })
}

/// Reads a located property list (at most [`PLIST_LIMIT`] bytes) and parses it (binary, XML or
/// ASCII) through [`ferret_formats::parse_plist`]; errors name the file.
pub fn read_plist(ev: &dyn Evidence, file: &EvidenceFile) -> Result<plist::Value, ModuleError> {
    let bytes = ev.read(file, PLIST_LIMIT)?;
    ferret_formats::parse_plist(&bytes)
        .map_err(|e| ModuleError::format(&file.path, format!("not a property list: {e}")))
}

/// A plist value read as a time: a `<date>`, or a number of Mac absolute seconds.
pub fn plist_time(v: &plist::Value) -> Option<jiff::Timestamp> {
    match v {
        plist::Value::Date(d) => plist_date(*d),
        plist::Value::Real(r) => crate::time::from_mac_absolute(*r),
        plist::Value::Integer(i) => i.as_signed().and_then(|x| crate::time::from_mac_absolute(x as f64)),
        _ => None,
    }
}

/// A plist value read as text (strings; numbers and booleans rendered).
pub fn plist_text(v: &plist::Value) -> Option<String> {
    match v {
        plist::Value::String(s) => Some(s.clone()),
        plist::Value::Integer(i) => Some(i.to_string()),
        plist::Value::Real(r) => Some(r.to_string()),
        plist::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Every string anywhere inside a plist value, in document order (dictionary keys sorted),
/// appended to `out`; values are bounded in depth by the parser's guard.
pub fn plist_strings(v: &plist::Value, out: &mut Vec<String>) {
    let mut stack: Vec<&plist::Value> = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            plist::Value::String(s) => out.push(s.clone()),
            plist::Value::Array(a) => stack.extend(a.iter().rev()),
            plist::Value::Dictionary(d) => {
                let mut keys: Vec<&String> = d.keys().collect();
                keys.sort();
                stack.extend(keys.into_iter().rev().filter_map(|k| d.get(k)));
            }
            _ => {}
        }
    }
}

/// Readers of one SQLite cell that never fail: a missing column, a NULL or a value of the wrong
/// kind is `None`. The same rules in every module:
/// * text: TEXT and BLOB decoded as UTF-8 (invalid bytes replaced), numbers rendered;
/// * integer: INTEGER, a REAL with no fractional part, or numeric TEXT (a REAL with a fraction
///   is `None`: truncating an id or a count would silently link to the wrong row);
/// * float: INTEGER, a finite REAL, or numeric TEXT (NaN and infinities are `None`).
pub mod cell {
    use rusqlite::types::ValueRef;

    /// Cell `idx` as text.
    pub fn text(row: &rusqlite::Row<'_>, idx: usize) -> Option<String> {
        match row.get_ref(idx).ok()? {
            ValueRef::Null => None,
            ValueRef::Integer(i) => Some(i.to_string()),
            ValueRef::Real(r) => Some(r.to_string()),
            ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
        }
    }

    /// Cell `idx` as a float.
    pub fn f64(row: &rusqlite::Row<'_>, idx: usize) -> Option<f64> {
        match row.get_ref(idx).ok()? {
            ValueRef::Integer(i) => Some(i as f64),
            ValueRef::Real(r) => Some(r),
            ValueRef::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
            _ => None,
        }
        .filter(|f: &f64| f.is_finite())
    }

    /// Cell `idx` as an integer.
    pub fn i64(row: &rusqlite::Row<'_>, idx: usize) -> Option<i64> {
        match row.get_ref(idx).ok()? {
            ValueRef::Integer(i) => Some(i),
            ValueRef::Real(r) if r.is_finite() && r.fract() == 0.0 && r.abs() < 9.0e18 => Some(r as i64),
            ValueRef::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
            _ => None,
        }
    }

    /// Cell `idx` as a Mac absolute time (seconds since 2001, possibly fractional; 0 means
    /// unset).
    pub fn mac_time(row: &rusqlite::Row<'_>, idx: usize) -> Option<jiff::Timestamp> {
        f64(row, idx).filter(|v| *v != 0.0).and_then(crate::time::from_mac_absolute)
    }
}

/// A `SELECT` list for tables whose older schemas lack some columns: a missing column reads as
/// `NULL`, and [`Columns::warning`] names them all once.
#[derive(Debug, Default)]
pub struct Columns {
    /// `table.col` of every wanted column the schema lacks (modules may add their own entries,
    /// e.g. a missing table, to be named in the same warning).
    pub missing: Vec<String>,
}

impl Columns {
    /// [`Columns::select`] as one comma-separated string.
    pub fn select_list(&mut self, db: &SqliteDb, table: &str, alias: &str, wanted: &[&str]) -> String {
        self.select(db, table, alias, wanted).join(", ")
    }

    /// `alias."col"` (or `NULL`) for each wanted column of `table`.
    pub fn select(&mut self, db: &SqliteDb, table: &str, alias: &str, wanted: &[&str]) -> Vec<String> {
        let present = db.columns(table);
        wanted
            .iter()
            .map(|c| {
                if present.iter().any(|p| p.eq_ignore_ascii_case(c)) {
                    format!("{alias}.\"{c}\"")
                } else {
                    self.missing.push(format!("{table}.{c}"));
                    "NULL".to_string()
                }
            })
            .collect()
    }

    /// Whether `table.col` was missing.
    pub fn is_missing(&self, table: &str, col: &str) -> bool {
        let key = format!("{table}.{col}");
        self.missing.iter().any(|m| m.eq_ignore_ascii_case(&key))
    }

    /// The one warning to emit, if any column was missing.
    pub fn warning(&self, path: &str) -> Option<String> {
        (!self.missing.is_empty())
            .then(|| format!("{path}: older schema, columns missing (read as null): {}", self.missing.join(", ")))
    }

    /// Emits [`Columns::warning`] on `out`, if any.
    pub fn warn<M: ArtifactModule>(&self, out: &mut Out<'_, '_, M>, path: &str) {
        if let Some(w) = self.warning(path) {
            out.warn(w);
        }
    }
}

/// Runs `sql` and calls `each` per row; a query error names the database.
pub fn for_each_row(
    db: &SqliteDb,
    path: &str,
    sql: &str,
    mut each: impl FnMut(&rusqlite::Row<'_>) -> Result<(), ModuleError>,
) -> Result<(), ModuleError> {
    let mut stmt = db.prepare(sql).map_err(|e| ModuleError::query(path, e))?;
    let mut rows = stmt.query([]).map_err(|e| ModuleError::query(path, e))?;
    loop {
        match rows.next() {
            Ok(Some(row)) => each(row)?,
            Ok(None) => return Ok(()),
            Err(e) => return Err(ModuleError::query(path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Through a folder evidence, as modules read them: the guard's depth bound is exact, and
    /// what is not a property list is refused naming the file.
    #[test]
    fn plists_are_read_through_the_one_guard() {
        let nested = |depth: usize| {
            format!(
                "<?xml version=\"1.0\"?><plist version=\"1.0\">{}{}</plist>",
                "<array>".repeat(depth),
                "</array>".repeat(depth)
            )
        };
        let dir = tempfile::tempdir().expect("tmp");
        let ev = crate::evidence::FolderEvidence::new(dir.path(), crate::AcquisitionKind::IosFs);
        let read = |name: &str, bytes: &[u8]| {
            std::fs::write(dir.path().join(name), bytes).expect("write");
            read_plist(&ev, &EvidenceFile::plain(name))
        };
        let e = read("deep.plist", nested(100_000).as_bytes()).expect_err("too deep").to_string();
        // `<plist>` is a level: the offset is the 512th `<array>` (42 + 511 x 7)
        assert_eq!(e, "deep.plist: not a property list: property list nests deeper than 512 levels (at offset 3619)");
        assert!(read("ok.plist", nested(500).as_bytes()).is_ok(), "500 levels are within the bound");
        for (name, bytes) in [("garbage.plist", &b"\xff\xfe garbage"[..]), ("empty.plist", b"")] {
            let e = read(name, bytes).expect_err("not a plist").to_string();
            assert!(e.starts_with(&format!("{name}: not a property list: ")), "{e}");
        }
    }

    #[test]
    fn cells_follow_one_rule() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("t.db");
        rusqlite::Connection::open(&path)
            .expect("create")
            .execute_batch(
                "CREATE TABLE t(a, b, c, d, e); INSERT INTO t VALUES (7, 7.0, 7.5, '42', x'ff41');
                 INSERT INTO t VALUES (NULL, 9e300 * 9e300, 'x', ' 3.5 ', 1e19);",
            )
            .expect("fill");
        let db = SqliteDb::open_evidence(&path).expect("open");
        let mut rows = Vec::new();
        for_each_row(&db, "t.db", "SELECT a, b, c, d, e FROM t", |r| {
            rows.push((
                (cell::i64(r, 0), cell::i64(r, 1), cell::i64(r, 2), cell::i64(r, 3), cell::i64(r, 4)),
                (cell::f64(r, 1), cell::f64(r, 2), cell::f64(r, 3)),
                (cell::text(r, 2), cell::text(r, 4), cell::text(r, 9)),
            ));
            Ok(())
        })
        .expect("rows");
        assert_eq!(rows[0].0, (Some(7), Some(7), None, Some(42), None), "a REAL with a fraction is no integer");
        assert_eq!(rows[0].1, (Some(7.0), Some(7.5), Some(42.0)));
        assert_eq!(rows[0].2, (Some("7.5".into()), Some("\u{fffd}A".into()), None));
        assert_eq!(rows[1].0, (None, None, None, None, None), "1e19 does not fit an i64");
        assert_eq!(rows[1].1, (None, None, Some(3.5)), "infinity is no float");
        let mut cols = Columns::default();
        assert_eq!(cols.select_list(&db, "t", "x", &["a", "zz"]), "x.\"a\", NULL");
        assert!(cols.is_missing("t", "ZZ"));
        assert_eq!(cols.warning("t.db").as_deref(), Some("t.db: older schema, columns missing (read as null): t.zz"));
        let e = for_each_row(&db, "t.db", "SELECT nope FROM t", |_| Ok(())).expect_err("bad query");
        assert!(e.to_string().starts_with("t.db: query failed"), "{e}");
    }
}
