//! The audit log: append-only, each record chained to the one before by hash.
//!
//! Append inside the same transaction as the change it records, so a change without its
//! audit record (or the reverse) can never be committed.
//!
//! A record by a member of staff carries their id as well as their username: when the entry
//! does not name the id, it is looked up from the username here (usernames are unique, never
//! change, and staff rows are never deleted), so every use case that passes the acting
//! member's username records who acted without threading the id through.

use crate::store::{Db, Write};
use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, from_ts, ts};
use crate::domain::audit::{AuditEntry, AuditRecord, GENESIS};

/// Append one record after the current last one.
pub fn append(conn: &impl Write, entry: &AuditEntry) -> Result<i64> {
    let conn = super::sql(conn);
    let prev: String = conn
        .prepare_cached("SELECT hash FROM audit ORDER BY id DESC LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()?
        .unwrap_or_else(|| GENESIS.to_string());
    let actor_id = match entry.actor_id {
        Some(id) => Some(id),
        None => member_id(conn, &entry.actor)?,
    };
    let entry = AuditEntry {
        actor_id,
        ..entry.clone()
    };
    let hash = entry.chain_hash(&prev);
    conn.prepare_cached(
        "INSERT INTO audit (at, actor, actor_id, action, subject, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        ts(entry.at),
        entry.actor,
        entry.actor_id,
        entry.action,
        entry.subject,
        entry.detail,
        prev,
        hash
    ])?;
    Ok(conn.last_insert_rowid())
}

/// The staff id of the member with this username, if the actor is one.
fn member_id(conn: &Connection, actor: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT id FROM staff WHERE username = ?1")?
        .query_row(params![actor], |r| r.get(0))
        .optional()?)
}

/// Records after `after_id` in id order, at most `limit`.
pub fn page(conn: &impl Db, after_id: i64, limit: usize) -> Result<Vec<AuditRecord>> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, actor, actor_id, action, subject, detail, prev_hash, hash FROM audit
         WHERE id > ?1 ORDER BY id LIMIT ?2",
    )?;
    records(stmt.query(params![after_id, limit as i64])?)
}

/// Whole records from rows whose columns are, in order: id, at, actor, actor_id, action,
/// subject, detail, prev_hash, hash (what every record query in the store selects).
pub(super) fn records(mut rows: rusqlite::Rows<'_>) -> Result<Vec<AuditRecord>> {
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(AuditRecord {
            id: r.get(0)?,
            entry: raw_entry(r, 1)?.into_entry()?,
            prev_hash: r.get(7)?,
            hash: r.get(8)?,
        });
    }
    Ok(out)
}

/// Records about one subject (e.g. `appointment:42`), oldest first.
pub fn for_subject(conn: &impl Db, subject: &str) -> Result<Vec<AuditEntry>> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached(
        "SELECT at, actor, actor_id, action, subject, detail FROM audit WHERE subject = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map(params![subject], |r| raw_entry(r, 0))?;
    rows.map(|r| r?.into_entry()).collect()
}

/// Records by one member of staff (by id, so a disabled member's history is found too),
/// oldest first, at most `limit`.
pub fn by_member(conn: &impl Db, staff_id: i64, limit: usize) -> Result<Vec<AuditEntry>> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached(
        "SELECT at, actor, actor_id, action, subject, detail FROM audit
         WHERE actor_id = ?1 ORDER BY id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![staff_id, limit as i64], |r| raw_entry(r, 0))?;
    rows.map(|r| r?.into_entry()).collect()
}

/// The six entry columns (at, actor, actor_id, action, subject, detail) from `first` on.
struct RawEntry(i64, String, Option<i64>, String, String, String);

fn raw_entry(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<RawEntry> {
    Ok(RawEntry(
        r.get(first)?,
        r.get(first + 1)?,
        r.get(first + 2)?,
        r.get(first + 3)?,
        r.get(first + 4)?,
        r.get(first + 5)?,
    ))
}

impl RawEntry {
    fn into_entry(self) -> Result<AuditEntry> {
        let RawEntry(at, actor, actor_id, action, subject, detail) = self;
        Ok(AuditEntry {
            at: from_ts(at)?,
            actor,
            actor_id,
            action,
            subject,
            detail,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audit::verify_chain;
    use crate::store::Store;
    use crate::store::appointments::tests::t;

    #[test]
    fn appended_records_form_a_verifiable_chain() {
        let store = Store::open_in_memory().unwrap();
        for i in 0..3 {
            let e = AuditEntry::new(
                t(9, i),
                "desk",
                "appointment.status",
                format!("appointment:{i}"),
                serde_json::json!({}),
            );
            append(store.test_conn(), &e).unwrap();
        }
        let records = page(store.test_conn(), 0, 100).unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(records[0].prev_hash, GENESIS);
        assert_eq!(verify_chain(&records, GENESIS.into()), Ok(3));
        assert_eq!(
            for_subject(store.test_conn(), "appointment:1")
                .unwrap()
                .len(),
            1
        );
    }

    /// A trail written before records carried member ids (schema 4) still verifies after the
    /// upgrade, with records that carry ids appended after it.
    #[test]
    fn records_from_before_member_ids_and_after_form_one_chain() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            crate::store::migrations::migrations()
                .to_version(&mut conn, 4)
                .unwrap();
            conn.execute(
                "INSERT INTO staff (username, display_name, role, created_at) VALUES ('bo', 'Bo', 'reception', 0)",
                [],
            )
            .unwrap();
            let mut prev = GENESIS.to_string();
            for i in 0..3 {
                // What the code of schema 4 wrote: no id, even for a member's record.
                let e = AuditEntry::new(
                    t(9, i),
                    "bo",
                    "appointment.status",
                    "appointment:1",
                    serde_json::json!({}),
                );
                let hash = e.chain_hash(&prev);
                conn.execute(
                    "INSERT INTO audit (at, actor, action, subject, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![ts(e.at), e.actor, e.action, e.subject, e.detail, prev, hash],
                )
                .unwrap();
                prev = hash;
            }
        }
        let store = crate::store::Store::open(&path).unwrap();
        let by = |actor: &str| AuditEntry::new(t(10, 0), actor, "x", "s", serde_json::json!({}));
        append(store.test_conn(), &by("bo")).unwrap();
        append(store.test_conn(), &by("system")).unwrap();
        let records = page(store.test_conn(), 0, 100).unwrap();
        assert_eq!(verify_chain(&records, GENESIS.into()), Ok(5));
        let ids: Vec<Option<i64>> = records.iter().map(|r| r.entry.actor_id).collect();
        assert_eq!(ids, [None, None, None, Some(1), None]);
    }

    #[test]
    fn the_log_cannot_be_edited_or_trimmed() {
        let store = Store::open_in_memory().unwrap();
        append(
            store.test_conn(),
            &AuditEntry::new(t(9, 0), "desk", "x", "s", serde_json::json!({})),
        )
        .unwrap();
        assert!(
            store
                .test_conn()
                .execute("UPDATE audit SET actor = 'mallory'", [])
                .is_err()
        );
        assert!(store.test_conn().execute("DELETE FROM audit", []).is_err());
    }
}
