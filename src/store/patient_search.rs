//! The desk's patient search (SPEC §3.2): by any part of a name, ignoring accents and case
//! (`domain::name_search`), or by digits anywhere in the mobile number.
//!
//! Names are compared folded by `name_search::fold` in Rust (SQLite's NOCASE knows ASCII
//! only); the folded names are stored beside the names (migration 12) so a search reads only
//! the patients that can match, not all of them (docs/BENCHMARKS.md, "Clinic group"):
//! 1. the start of a surname: its range of `patients_by_folded_name`, already in the
//!    result's order — when it fills the page, nothing else can come before it;
//! 2. otherwise the trigram index `patient_search` finds the patients whose folded names
//!    contain every 3+ character run of the query (every match does), and `name_search::rank`
//!    decides and orders, exactly as over the whole practice;
//! 3. patients whose folded names were cleared by a rename nobody re-folded are folded here.
//!
//! Digits: the trigram index's mobile column when few numbers match; when many do, the
//! name-ordered index (which carries the mobile) stops at the first page of matches.

use rusqlite::{Connection, params};

use super::Result;
use crate::domain::ids::PatientId;
use crate::domain::name_search::{INFIX_MIN, fold, phone_digits, query_words, rank};
use crate::domain::patient::Patient;

/// The search's insert trigger, set aside for one large change that adds many patients (an
/// import); [`index_deferred`] indexes the patients added meanwhile and puts it back.
#[must_use = "index_deferred must run before the transaction commits"]
pub struct Deferred {
    trigger_sql: String,
    /// The highest patient id before the change: every id above it is new.
    after: i64,
}

/// Set the trigger that indexes each new patient aside until [`index_deferred`].
///
/// Why: FTS5 writes its pending entries to disk at every statement savepoint, and an insert
/// that fires the trigger opens one — so 36,790 new patients were 36,790 one-row segments,
/// merged again and again: a fifth of a 100,000-row import into a clinic group. One
/// `INSERT … SELECT` at the end hands FTS5 all of them in one statement. It happens inside the
/// caller's transaction (SQLite's schema changes are transactional): no other connection ever
/// sees the trigger missing, and a change that fails rolls the trigger back with everything.
pub fn defer_indexing(tx: &impl super::Write) -> Result<Deferred> {
    let conn = super::sql(tx);
    let trigger_sql: String = conn.query_row(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'patient_search_added'",
        [],
        |r| r.get(0),
    )?;
    let after: i64 = conn.query_row("SELECT COALESCE(MAX(id), 0) FROM patients", [], |r| {
        r.get(0)
    })?;
    conn.execute_batch("DROP TRIGGER patient_search_added")?;
    Ok(Deferred { trigger_sql, after })
}

/// Index every patient added since [`defer_indexing`], as they are now (a new patient renamed
/// in the same change is indexed by its last name), and put the trigger back exactly as the
/// migration wrote it.
pub fn index_deferred(tx: &impl super::Write, deferred: Deferred) -> Result<()> {
    let conn = super::sql(tx);
    conn.execute(
        "INSERT INTO patient_search (rowid, last, first, mobile)
         SELECT id, search_last, search_first, mobile FROM patients WHERE id > ?1 ORDER BY id",
        params![deferred.after],
    )?;
    conn.execute_batch(&deferred.trigger_sql)?;
    Ok(())
}

/// Up to `limit` patients matching `query`: best matches first (`name_search::rank`), then
/// by name (folded). Ask for one more than
/// you show to know whether there are more.
pub fn search(conn: &impl super::Db, query: &str, limit: usize) -> Result<Vec<Patient>> {
    let conn = super::sql(conn);
    let q = query.trim();
    if q.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let ids: Vec<PatientId> = match phone_digits(q) {
        Some(digits) => by_phone(conn, &digits, limit)?,
        None => by_name(conn, &query_words(q), limit)?,
    };
    ids.into_iter()
        .map(|id| super::patients::get(conn, id))
        .collect()
}

/// Numbers matched by more patients than this are found by walking the names in order.
const FEW_NUMBERS: usize = 200;

/// Patients whose mobile contains `digits`, by name (NOCASE) and id.
fn by_phone(conn: &Connection, digits: &str, limit: usize) -> Result<Vec<PatientId>> {
    let phrase = format!("mobile : \"{digits}\"");
    let matching: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM (SELECT 1 FROM patient_search WHERE patient_search MATCH ?1
                                    LIMIT ?2)",
        )?
        .query_row(params![phrase, FEW_NUMBERS as i64 + 1], |r| r.get(0))?;
    let (sql, pattern) = if matching as usize <= FEW_NUMBERS {
        // The few matches looked up by id and sorted.
        (
            "SELECT id FROM patients
              WHERE id IN (SELECT rowid FROM patient_search WHERE patient_search MATCH ?1)
              ORDER BY last_name COLLATE NOCASE, first_name COLLATE NOCASE, id LIMIT ?2",
            phrase,
        )
    } else {
        // Many match: the first page lies near the start of the name order, and
        // `patients_by_name` carries the mobile, so the walk reads no table row.
        (
            "SELECT id FROM patients WHERE mobile LIKE ?1
              ORDER BY last_name COLLATE NOCASE, first_name COLLATE NOCASE, id LIMIT ?2",
            format!("%{digits}%"),
        )
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let ids = stmt
        .query_map(params![pattern, limit as i64], |r| r.get(0).map(PatientId))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// A candidate: rank, folded last and first name, id — sorted, this is the result's order.
type Hit = (u8, String, String, i64);

fn by_name(conn: &Connection, words: &[String], limit: usize) -> Result<Vec<PatientId>> {
    if words.is_empty() {
        return Ok(Vec::new());
    }
    if let Some(page) = surname_start(conn, words, limit)? {
        return Ok(page);
    }
    let mut found: Vec<Hit> = Vec::new();
    let mut keep = |id: i64, first: String, last: String| {
        if let Some(r) = rank(words, &first, &last) {
            found.push((r, last, first, id));
        }
    };
    let runs = trigram_runs(words);
    if runs.is_empty() {
        // Only one- and two-letter words that did not fill a page by surname: every name.
        let mut stmt = conn.prepare_cached(
            "SELECT id, search_first, search_last FROM patients WHERE search_last IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        for row in rows {
            let (id, first, last) = row?;
            keep(id, first, last);
        }
    } else {
        let mut stmt = conn.prepare_cached(
            "SELECT rowid, first, last FROM patient_search WHERE patient_search MATCH ?1",
        )?;
        let rows = stmt.query_map(params![runs], |r| {
            Ok((
                r.get(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?;
        for row in rows {
            if let (id, Some(first), Some(last)) = row? {
                keep(id, first, last);
            }
        }
    }
    let mut stmt = conn.prepare_cached(
        "SELECT id, first_name, last_name FROM patients WHERE search_last IS NULL",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
    })?;
    for row in rows {
        let (id, first, last) = row?;
        keep(id, fold(&first), fold(&last));
    }
    found.sort_unstable();
    Ok(found
        .into_iter()
        .take(limit)
        .map(|(_, _, _, id)| PatientId(id))
        .collect())
}

/// When every word starts the longest one and at least `limit` folded surnames start with
/// it, those are the page: rank 0 comes first, and the index hands them over in the result's
/// order (folded last name, first name, id). `None`: the page needs the general search.
fn surname_start(
    conn: &Connection,
    words: &[String],
    limit: usize,
) -> Result<Option<Vec<PatientId>>> {
    let Some(longest) = words.iter().max_by_key(|w| w.len()) else {
        return Ok(None);
    };
    if !words.iter().all(|w| longest.starts_with(w.as_str())) {
        return Ok(None);
    }
    // Every text starting with `longest` sorts before `longest` + U+10FFFF, except ones
    // continuing with that very (unassigned) code point, which sort after all the others:
    // they could only be missed from a page that is already full.
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM patients
          WHERE search_last >= ?1 AND search_last < ?2
          ORDER BY search_last, search_first, id LIMIT ?3",
    )?;
    let ids: Vec<PatientId> = stmt
        .query_map(
            params![longest, format!("{longest}\u{10FFFF}"), limit as i64],
            |r| r.get(0).map(PatientId),
        )?
        .collect::<rusqlite::Result<_>>()?;
    let unfolded: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM patients WHERE search_last IS NULL)")?
        .query_row([], |r| r.get(0))?;
    Ok((ids.len() == limit && !unfolded).then_some(ids))
}

/// The FTS5 query every match satisfies: each run of letters and digits (a name part's
/// separators split them as `rank` does) of three characters or more occurs in the folded
/// last or first name. A word matching a name starts it or a part of it, or lies inside a
/// part, so each of its runs lies inside one part. Empty: no run is long enough.
fn trigram_runs(words: &[String]) -> String {
    let runs: Vec<String> = words
        .iter()
        .flat_map(|w| w.split(|c: char| !c.is_alphanumeric()))
        .filter(|r| r.chars().count() >= INFIX_MIN)
        .map(|r| format!("\"{}\"", r.replace('"', "\"\"")))
        .collect();
    if runs.is_empty() {
        String::new()
    } else {
        format!("{{last first}} : ({})", runs.join(" AND "))
    }
}

/// Test check shared with the writers' tests: every patient's folded names are the Rust
/// fold of its names (or cleared), and the trigram index agrees with the table.
#[cfg(test)]
pub(crate) fn assert_consistent(conn: &Connection) {
    conn.execute(
        "INSERT INTO patient_search (patient_search) VALUES ('integrity-check')",
        [],
    )
    .expect("the trigram index matches its rows");
    let mut stmt = conn
        .prepare(
            "SELECT p.id, p.first_name, p.last_name, p.search_first, p.search_last, p.mobile,
                    s.first, s.last, s.mobile
               FROM patients p LEFT JOIN patient_search s ON s.rowid = p.id",
        )
        .expect("query");
    type Row = (
        i64,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    type Indexed = (Option<String>, Option<String>, Option<String>);
    let rows = stmt
        .query_map([], |r| {
            let row: Row = (
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            );
            let indexed: Indexed = (r.get(6)?, r.get(7)?, r.get(8)?);
            Ok((row, indexed))
        })
        .expect("rows");
    for row in rows {
        let ((id, first, last, sfirst, slast, mobile), indexed) = row.expect("row");
        if let (Some(f), Some(l)) = (&sfirst, &slast) {
            assert_eq!(
                (f.as_str(), l.as_str()),
                (fold(&first).as_str(), fold(&last).as_str()),
                "patient {id}"
            );
        }
        assert_eq!(
            indexed,
            (sfirst, slast, mobile),
            "patient {id} in the trigram index"
        );
    }
}

#[cfg(test)]
mod tests;
