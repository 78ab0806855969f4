//! Migration 12: what makes the desk's patient search instant at clinic-group scale
//! (issue 14, docs/BENCHMARKS.md "Clinic group"). Owns the migration's SQL and its Rust
//! back-fill; imports only `domain::name_search` (the one fold the search compares with).
//!
//! - `patients.search_last` / `search_first`: the names as `name_search::fold` writes them.
//!   SQLite cannot fold (NFKD, ł → l, ß → ss …), so the store writes them from Rust on every
//!   insert and rename (`store::patients`, `store::bulk`, `store::imports`), and this
//!   migration's hook back-fills existing rows with the same function. A name changed without
//!   them (a path that forgot, a hand-written `UPDATE`) has them cleared by a trigger: the
//!   search folds such rows itself (found as `search_last IS NULL` in the index below), so it
//!   never matches a stale name.
//! - `patients_by_folded_name`: a prefix of the last name, in the search's own order, answers
//!   the common query (the start of a surname) from the first 51 entries.
//! - `patient_search`: an FTS5 trigram table over the folded names and the mobile number,
//!   kept by triggers; any 3 characters of a name part or digits of a number find their
//!   patients without reading the others.
//! - `patients_by_name` gains the mobile, so a digits query that matches many numbers walks
//!   the names in order without a table look-up per patient.

use rusqlite::Transaction;
use rusqlite_migration::HookResult;

use crate::domain::name_search::fold;

pub const SQL: &str = r#"
ALTER TABLE patients ADD COLUMN search_last TEXT;
-- Both or neither: `search_last IS NULL` alone marks a patient whose names are not folded.
ALTER TABLE patients ADD COLUMN search_first TEXT
    CHECK ((search_first IS NULL) = (search_last IS NULL));
-- Also finds the unfolded patients (search_last IS NULL) without a scan.
CREATE INDEX patients_by_folded_name ON patients (search_last, search_first);
DROP INDEX patients_by_name;
CREATE INDEX patients_by_name ON patients
    (last_name COLLATE NOCASE, first_name COLLATE NOCASE, mobile);

CREATE VIRTUAL TABLE patient_search USING fts5
    (last, first, mobile, tokenize = 'trigram case_sensitive 1');
CREATE TRIGGER patient_search_added AFTER INSERT ON patients BEGIN
    INSERT INTO patient_search (rowid, last, first, mobile)
    VALUES (NEW.id, NEW.search_last, NEW.search_first, NEW.mobile);
END;
CREATE TRIGGER patient_search_changed AFTER UPDATE OF search_last, search_first, mobile ON patients
BEGIN
    UPDATE patient_search SET last = NEW.search_last, first = NEW.search_first, mobile = NEW.mobile
     WHERE rowid = NEW.id;
END;
CREATE TRIGGER patient_search_removed AFTER DELETE ON patients BEGIN
    DELETE FROM patient_search WHERE rowid = OLD.id;
END;
-- A name written without its folded form loses the old folded form (found by the new name,
-- folded by the search itself, never by the old one).
CREATE TRIGGER patients_renamed AFTER UPDATE OF first_name, last_name ON patients
WHEN NEW.first_name IS NOT OLD.first_name OR NEW.last_name IS NOT OLD.last_name
BEGIN
    UPDATE patients SET search_last = NULL, search_first = NULL WHERE id = NEW.id;
END;
"#;

/// Run after [`SQL`], in its transaction: fold every existing name, then index them all at
/// once (one sorted FTS insert instead of 100,000 trigger updates). Pinned with the SQL.
pub const FILL: &str = "INSERT INTO patient_search (rowid, last, first, mobile)
     SELECT id, search_last, search_first, mobile FROM patients";

/// The back-fill: every patient's folded names, written with the Rust fold.
pub fn fill(tx: &Transaction<'_>) -> HookResult {
    let rows: Vec<(i64, String, String)> = {
        let mut stmt = tx.prepare("SELECT id, first_name, last_name FROM patients")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    // The rows are not in `patient_search` yet: the change trigger finds nothing to update.
    let mut set =
        tx.prepare("UPDATE patients SET search_last = ?2, search_first = ?3 WHERE id = ?1")?;
    for (id, first, last) in rows {
        set.execute(rusqlite::params![id, fold(&last), fold(&first)])?;
    }
    tx.execute_batch(FILL)?;
    Ok(())
}
