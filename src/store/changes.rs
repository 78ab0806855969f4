//! Whether another process changed the database: SQLite's `PRAGMA data_version`, which moves
//! when another connection commits (never for this connection's own writes). The console
//! polls it so a cron `remind`/`sync` or a second desk shows within seconds.
//!
//! And *what* changed: the change log (migration 17), one row per write that a day sheet or
//! its reminder cells can depend on, appended by triggers, read here after `data_version`
//! moved. Must not import workflow, tui or cli.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Result, from_ts};
use crate::domain::ids::{AppointmentId, PatientId};

/// One logged write: whom and when it concerned. All three empty: every day (a clinician,
/// type, template or setting changed, an import or restore, or a text naming no patient).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    pub seq: i64,
    pub patient: Option<PatientId>,
    pub appointment: Option<AppointmentId>,
    pub start: Option<DateTime<Utc>>,
}

impl Change {
    /// Whether it says nothing narrower than "everything".
    pub fn everything(&self) -> bool {
        self.patient.is_none() && self.appointment.is_none() && self.start.is_none()
    }
}

/// The log after a mark: what it still holds, and what was written since.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Log {
    /// The oldest row still kept (`None`: the log is empty). A mark before `first - 1` lost
    /// rows to pruning: nothing can be said about it.
    pub first: Option<i64>,
    /// The newest row (0 when empty): the mark a reader has seen everything up to.
    pub head: i64,
    /// Rows after the mark, oldest first.
    pub changes: Vec<Change>,
}

impl Log {
    /// The rows written after `mark`, oldest first; `None` when nothing can be said about
    /// what changed since `mark`: the log went back (another file in its place) or lost rows
    /// after it (pruned). What every reader that keeps something true at a mark asks first.
    pub fn since(&self, mark: i64) -> Option<impl Iterator<Item = &Change>> {
        let lost = self.head < mark || self.first.is_some_and(|f| f > mark + 1);
        (!lost).then(|| self.changes.iter().filter(move |c| c.seq > mark))
    }
}

/// The newest row of the log (0 when empty): read in the same transaction as a day's load,
/// it is the mark that day is true at.
pub fn head(conn: &impl super::Db) -> Result<i64> {
    let conn = super::sql(conn);
    Ok(conn.query_row(HEAD, [], |r| r.get(0))?)
}

/// The log's newest row, 0 when empty.
const HEAD: &str = "SELECT COALESCE(MAX(seq), 0) FROM change_log";

/// The log's oldest and newest rows.
const BOUNDS: &str = "SELECT (SELECT MIN(seq) FROM change_log), (SELECT MAX(seq) FROM change_log)";

/// The log's rows after `mark`, with its bounds, as one committed state (call inside a read).
pub fn log_since(conn: &impl super::Db, mark: i64) -> Result<Log> {
    let sql = super::sql(conn);
    let (first, head): (Option<i64>, Option<i64>) =
        // Two subqueries: SQLite reads a lone MIN or MAX from the ends of the key, but a
        // query with both scans every row (16,384 of them, decrypted again after any commit).
        sql.query_row(BOUNDS, [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let mut stmt = sql.prepare_cached(
        "SELECT seq, patient_id, appointment_id, start_at FROM change_log
          WHERE seq > ?1 ORDER BY seq",
    )?;
    let raw = stmt
        .query_map(params![mark], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, Option<i64>>(2)?,
                r.get::<_, Option<i64>>(3)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let changes = raw
        .into_iter()
        .map(|(seq, patient, appointment, start)| {
            Ok(Change {
                seq,
                patient: patient.map(PatientId),
                appointment: appointment.map(AppointmentId),
                start: start.map(from_ts).transpose()?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Log {
        first,
        head: head.unwrap_or(0),
        changes,
    })
}

/// Log a change to every day: for writers that change too much to name (an import, a
/// restore, a seed) and set the row triggers aside.
pub fn everything(tx: &impl super::Write) -> Result<()> {
    super::sql(tx).execute("INSERT INTO change_log (patient_id) VALUES (NULL)", [])?;
    Ok(())
}

/// The logging triggers set aside by [`pause_logging`], to put back as they were.
#[derive(Debug)]
#[must_use = "resume_logging puts the triggers back"]
pub struct Paused {
    triggers: Vec<String>,
}

/// Set the change log's row triggers aside for one bulk write (a seed, the group generator,
/// an import), which [`resume_logging`] ends with one row for every day.
///
/// Why: a seed or an import writes tens of thousands of rows (the group generator seven
/// million), each of which would append a log row for consoles that cannot have kept a day of
/// an empty database, or that would reload most of their days after an import anyway. One row
/// naming nobody says the same for the cost of one: every console reloads its days once. (The
/// demo seed measured 354 vs 215 ms with a row per write in one round and 226 vs 279 ms in the
/// next, on a loaded machine: docs/BENCHMARKS.md.) Inside the caller's transaction, as
/// `patient_search::defer_indexing`: no other connection ever sees the triggers missing, and
/// a change that fails rolls them back with everything.
pub fn pause_logging(tx: &impl super::Write) -> Result<Paused> {
    let conn = super::sql(tx);
    let mut stmt = conn.prepare(
        "SELECT name, sql FROM sqlite_master
          WHERE type = 'trigger' AND sql LIKE '%INSERT INTO change_log%' ORDER BY rowid",
    )?;
    let found = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (name, _) in &found {
        // A name from the schema itself (no value from outside), quoted as an identifier.
        conn.execute_batch(&format!("DROP TRIGGER \"{}\"", name.replace('"', "\"\"")))?;
    }
    Ok(Paused {
        triggers: found.into_iter().map(|(_, sql)| sql).collect(),
    })
}

/// Put back the triggers [`pause_logging`] set aside, exactly as the migration wrote them,
/// and log one change to every day.
pub fn resume_logging(tx: &impl super::Write, paused: Paused) -> Result<()> {
    let conn = super::sql(tx);
    for sql in &paused.triggers {
        conn.execute_batch(sql)?;
    }
    everything(tx)
}

/// The connection's current data version.
pub fn data_version(conn: &impl super::Db) -> Result<i64> {
    let conn = super::sql(conn);
    Ok(conn.query_row("PRAGMA data_version", [], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Store, StoreError};

    /// The log's bounds and head are read from the ends of its key, never by a scan: each
    /// kept day's and the kept patients' check reads them, just after another desk's commit,
    /// when every page read is decrypted again (16,384 rows).
    #[test]
    fn the_bounds_and_head_are_read_from_the_ends_of_the_key() {
        let store = Store::open_in_memory().unwrap();
        for sql in [BOUNDS, HEAD] {
            let plan: Vec<String> = store
                .test_conn()
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap()
                .query_map([], |r| r.get::<_, String>(3))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let plan = plan.join("; ");
            assert!(!plan.contains("SCAN change_log"), "{sql}: {plan}");
            assert!(plan.contains("SEARCH change_log"), "{sql}: {plan}");
        }
    }

    /// Tables no day sheet or reminder cell reads, so their writes are not logged: staff and
    /// the audit (who did what), imports' other ids, the log itself. A new table must be
    /// logged by a trigger of its own or listed here with its reason.
    const NO_DAY_READS: [&str; 4] = ["audit", "staff", "external_ids", "change_log"];

    /// Tables the cells read whose rows are only ever written with a logged write of another
    /// table: `reminder_parts` lists a reminder row under its visits when the message is
    /// inserted or its key changed (migration 15), both logged by the messages' triggers.
    const WRITTEN_WITH_A_LOGGED_ROW: [&str; 1] = ["reminder_parts"];

    #[test]
    fn every_table_a_day_may_read_is_logged() {
        let store = Store::open_in_memory().unwrap();
        let conn = store.test_conn();
        let names = |sql: &str| -> Vec<String> {
            let mut stmt = conn.prepare(sql).unwrap();
            stmt.query_map([], |r| r.get(0))
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        };
        let logged = names(
            "SELECT DISTINCT tbl_name FROM sqlite_master
              WHERE type = 'trigger' AND sql LIKE '%INSERT INTO change_log%'",
        );
        // The search's FTS5 tables only mirror patients' names (their writes follow them).
        let tables = names(
            "SELECT name FROM sqlite_master WHERE type = 'table'
               AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'patient_search%'",
        );
        for t in &tables {
            assert!(
                logged.contains(t)
                    || NO_DAY_READS.contains(&t.as_str())
                    || WRITTEN_WITH_A_LOGGED_ROW.contains(&t.as_str()),
                "table {t}: log its writes (migration 17) or say why no day reads it"
            );
        }
        for t in NO_DAY_READS {
            for sql in crate::store::day::SHEET_READS {
                assert!(!sql.contains(&format!(" {t} ")), "the sheet reads {t}");
            }
        }
        assert!(logged.len() >= 10, "{logged:?}");
    }

    #[test]
    fn the_log_keeps_itself_bounded_and_says_what_it_lost() {
        let mut store = Store::open_in_memory().unwrap();
        store
            .write(|tx| {
                for _ in 0..40_000 {
                    everything(tx)?;
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let rows: i64 = store
            .test_conn()
            .query_row("SELECT COUNT(*) FROM change_log", [], |r| r.get(0))
            .unwrap();
        assert!(rows <= 16_384 + 1_024, "{rows} rows kept");
        let log = log_since(store.test_conn(), 39_990).unwrap();
        assert_eq!(log.head, 40_000);
        assert_eq!(log.changes.len(), 10);
        assert!(log.changes.iter().all(Change::everything));
        // Pruned at 39,936 (the last multiple of 1,024): rows up to 23,552 are gone, so a
        // reader whose mark is older sees the gap.
        assert_eq!(log.first, Some(23_553));
        assert_eq!(head(store.test_conn()).unwrap(), 40_000);
    }

    #[test]
    fn a_bulk_write_logs_one_row_for_every_day_and_puts_the_triggers_back() {
        let mut store = Store::open_in_memory().unwrap();
        let schema = |store: &Store| -> Vec<(String, String)> {
            let mut stmt = store
                .test_conn()
                .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
                .unwrap();
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        };
        let before = schema(&store);
        let mark = head(store.test_conn()).unwrap();
        store
            .write(|tx| {
                let paused = pause_logging(tx)?;
                for name in ["Dr. Mwangi", "Dr. Øverby"] {
                    crate::store::reference::insert_clinician(tx, name)?;
                }
                crate::store::sql(tx).execute("UPDATE clinicians SET active = 0", [])?;
                resume_logging(tx, paused)
            })
            .unwrap();
        let log = log_since(store.test_conn(), mark).unwrap();
        assert_eq!(log.changes.len(), 1, "{log:?}");
        assert!(log.changes[0].everything());
        assert_eq!(schema(&store), before, "the triggers are back as they were");
        // And they log again.
        store
            .write(|tx| {
                crate::store::sql(tx)
                    .execute("UPDATE clinicians SET active = 1", [])
                    .map_err(StoreError::from)
            })
            .unwrap();
        assert_eq!(
            log_since(store.test_conn(), log.head)
                .unwrap()
                .changes
                .len(),
            2
        );
        // A failed bulk write rolls the triggers back with it.
        let failed = store.write(|tx| {
            let _paused = pause_logging(tx)?;
            Err::<(), _>(StoreError::Conflict("stopped".into()))
        });
        assert!(failed.is_err());
        assert_eq!(schema(&store), before);
    }

    #[test]
    fn an_empty_log_reads_as_head_zero() {
        let store = Store::open_in_memory().unwrap();
        let log = log_since(store.test_conn(), 0).unwrap();
        assert_eq!(log, Log::default());
    }

    #[test]
    fn moves_for_another_connections_commit_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.db");
        let mut a = Store::open(&path).unwrap();
        let b = Store::open(&path).unwrap();
        let before = data_version(&a.conn).unwrap();
        a.write(|c| {
            crate::store::sql(c)
                .execute_batch("CREATE TABLE scratch (x INTEGER)")
                .map_err(crate::store::StoreError::from)
        })
        .unwrap();
        assert_eq!(
            data_version(&a.conn).unwrap(),
            before,
            "own writes do not count"
        );
        let seen_by_b = data_version(&b.conn).unwrap();
        a.write(|c| {
            crate::store::sql(c)
                .execute("INSERT INTO scratch VALUES (1)", [])
                .map_err(crate::store::StoreError::from)
        })
        .unwrap();
        assert_ne!(
            data_version(&b.conn).unwrap(),
            seen_by_b,
            "b sees a's commit"
        );
    }
}
