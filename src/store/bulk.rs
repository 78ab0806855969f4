//! Writing many rows at once: an import's appointments, the clinic-group generator's whole
//! practice. The rows are the same as the one-row writers' (`appointments::insert`,
//! `messages::insert_outbound` …); only the way they reach SQLite differs.
//!
//! Why it is faster: SQLite must be able to undo a statement alone when it writes several
//! rows (a multi-row insert, or one with an `AFTER INSERT` trigger, as appointments and
//! replies have) and may fail half way (a UNIQUE or CHECK constraint, an immediate foreign
//! key): before changing a page it copies it into a statement journal — a 4 KB copy for the
//! table page and each index page a row touches (a fifth of a 100,000-row import, a quarter
//! of the clinic-group load). Here the statements are `INSERT OR FAIL` (a failing row stops
//! the statement without undoing the rows before it) and foreign keys are checked at the
//! commit (`defer_foreign_keys`), so no statement journal is kept; an error still ends the
//! caller's whole transaction, so it stays all-or-nothing. Rows go [`CHUNK`] to a statement,
//! carry their own ids (the caller holds the write transaction, so [`next_id`] cannot be
//! raced), and come with the columns the insert triggers would fill (`confirmed_at`,
//! `cancelled_at`), so the triggers find nothing to do. Must not import workflow.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rusqlite::{Connection, Statement, ToSql};

use super::{Result, Write, ts};
use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent::{ConsentKind, ConsentMethod};
use crate::domain::ids::{AppointmentId, AppointmentTypeId, ClinicianId, MessageId, PatientId};
use crate::domain::message::{Direction, MessageKind, MessageStatus};
use crate::domain::name_search::fold;
use crate::domain::reply::ReplyKind;

/// Rows per multi-row `INSERT`: large enough that the per-statement cost vanishes, small
/// enough to stay far under SQLite's limit of 32,766 bound parameters.
const CHUNK: usize = 128;

mod load;
pub use load::LoadSettings;

/// Tables whose next id [`next_id`] may be asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    Patients,
    Appointments,
    Messages,
    ConsentEvents,
}

impl Table {
    fn sql(self) -> &'static str {
        match self {
            Self::Patients => "SELECT COALESCE(MAX(id), 0) + 1 FROM patients",
            Self::Appointments => "SELECT COALESCE(MAX(id), 0) + 1 FROM appointments",
            Self::Messages => "SELECT COALESCE(MAX(id), 0) + 1 FROM messages",
            Self::ConsentEvents => "SELECT COALESCE(MAX(id), 0) + 1 FROM consent_events",
        }
    }
}

/// The id the next row of `table` gets (what SQLite would choose: one past the largest).
/// Only meaningful inside the write transaction that then inserts the rows.
pub fn next_id(conn: &impl Write, table: Table) -> Result<i64> {
    Ok(super::sql(conn)
        .prepare_cached(table.sql())?
        .query_row([], |r| r.get(0))?)
}

/// An appointment with its id and, where known, the moments the statistics read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BulkAppointment<'a> {
    pub id: AppointmentId,
    pub external_id: Option<&'a str>,
    pub patient_id: PatientId,
    pub clinician_id: ClinicianId,
    pub type_id: AppointmentTypeId,
    pub start: DateTime<Utc>,
    pub duration_minutes: u32,
    pub status: AppointmentStatus,
    pub booked_at: DateTime<Utc>,
    /// Who changed the status last, and when (`None`: as booked or imported).
    pub status_changed: Option<(&'a str, DateTime<Utc>)>,
    /// When it was confirmed (by reply or at the desk); required for a confirmed row.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// When it was cancelled, if known.
    pub cancelled_at: Option<DateTime<Utc>>,
    pub callback_requested: bool,
}

impl BulkAppointment<'_> {
    /// What the insert triggers of migration 8 would have set: a confirmed row without a
    /// confirmation time is confirmed as of its status change, else its booking.
    fn confirmed(&self) -> Option<i64> {
        self.confirmed_at
            .or_else(|| {
                (self.status == AppointmentStatus::Confirmed)
                    .then(|| self.status_changed.map_or(self.booked_at, |(_, at)| at))
            })
            .map(ts)
    }
}

const APPOINTMENT_COLUMNS: &str = "INSERT OR FAIL INTO appointments (id, external_id, patient_id, \
     clinician_id, type_id, start_at, duration_minutes, status, status_changed_by, \
     status_changed_at, booked_at, confirmed_at, cancelled_at, callback_requested) VALUES ";

/// Insert appointments whose ids are free (from [`next_id`]).
pub fn insert_appointments(conn: &impl Write, rows: &[BulkAppointment<'_>]) -> Result<()> {
    insert_chunked(
        super::sql(conn),
        APPOINTMENT_COLUMNS,
        14,
        rows,
        |s, i, a| {
            bind(s, i, a.id.0)?;
            bind(s, i + 1, a.external_id)?;
            bind(s, i + 2, a.patient_id.0)?;
            bind(s, i + 3, a.clinician_id.0)?;
            bind(s, i + 4, a.type_id.0)?;
            bind(s, i + 5, ts(a.start))?;
            bind(s, i + 6, a.duration_minutes)?;
            bind(s, i + 7, a.status.as_str())?;
            bind(s, i + 8, a.status_changed.map(|(by, _)| by))?;
            bind(s, i + 9, a.status_changed.map(|(_, at)| ts(at)))?;
            bind(s, i + 10, ts(a.booked_at))?;
            bind(s, i + 11, a.confirmed())?;
            bind(s, i + 12, a.cancelled_at.map(ts))?;
            bind(s, i + 13, a.callback_requested)
        },
    )
}

/// A patient with its id; `mobile` is already E.164.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BulkPatient {
    pub id: PatientId,
    pub external_id: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub birth_date: Option<NaiveDate>,
    pub mobile: Option<String>,
    pub time_zone: Option<Tz>,
    pub portal_active: bool,
    pub created_at: DateTime<Utc>,
}

/// Insert patients whose ids are free.
pub fn insert_patients(conn: &impl Write, rows: &[BulkPatient]) -> Result<()> {
    const HEAD: &str = "INSERT OR FAIL INTO patients (id, external_id, first_name, last_name, birth_date, \
         mobile, time_zone, portal_active, created_at, search_last, search_first) VALUES ";
    insert_chunked(super::sql(conn), HEAD, 11, rows, |s, i, p| {
        bind(s, i, p.id.0)?;
        bind(s, i + 1, p.external_id.as_deref())?;
        bind(s, i + 2, p.first_name.as_str())?;
        bind(s, i + 3, p.last_name.as_str())?;
        bind(
            s,
            i + 4,
            p.birth_date.map(|d| d.format("%Y-%m-%d").to_string()),
        )?;
        bind(s, i + 5, p.mobile.as_deref())?;
        bind(s, i + 6, p.time_zone.map(|z| z.name()))?;
        bind(s, i + 7, p.portal_active)?;
        bind(s, i + 8, ts(p.created_at))?;
        // The search's folded names (migration 12), as `patients::insert` writes them.
        bind(s, i + 9, fold(&p.last_name))?;
        bind(s, i + 10, fold(&p.first_name))
    })
}

/// A consent event (the table hands out its ids).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BulkConsent {
    pub patient_id: PatientId,
    pub kind: ConsentKind,
    pub method: ConsentMethod,
    pub evidence: Option<String>,
    pub recorded_by: &'static str,
    pub at: DateTime<Utc>,
}

/// Append consent events.
pub fn insert_consent(conn: &impl Write, rows: &[BulkConsent]) -> Result<()> {
    const HEAD: &str = "INSERT OR FAIL INTO consent_events (patient_id, kind, method, evidence, \
         recorded_by, recorded_at) VALUES ";
    insert_chunked(super::sql(conn), HEAD, 6, rows, |s, i, c| {
        bind(s, i, c.patient_id.0)?;
        bind(s, i + 1, c.kind.as_str())?;
        bind(s, i + 2, c.method.as_str())?;
        bind(s, i + 3, c.evidence.as_deref())?;
        bind(s, i + 4, c.recorded_by)?;
        bind(s, i + 5, ts(c.at))
    })
}

/// A message in either direction, as it stands after its history (sent, delivered …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BulkMessage {
    pub id: MessageId,
    pub direction: Direction,
    pub kind: MessageKind,
    pub patient_id: PatientId,
    pub appointment_id: Option<AppointmentId>,
    /// Outbound only: the idempotency key (SPEC §5.8).
    pub idempotency_key: Option<String>,
    pub to: String,
    pub from: Option<String>,
    pub body: String,
    /// Outbound only: `gsm7` or `ucs2`, and the segments billed.
    pub encoding: Option<&'static str>,
    pub segments: Option<u32>,
    pub status: MessageStatus,
    pub provider: &'static str,
    pub provider_id: Option<String>,
    pub error_code: Option<&'static str>,
    pub created_by: &'static str,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// Insert messages whose ids are free.
pub fn insert_messages(conn: &impl Write, rows: &[BulkMessage]) -> Result<()> {
    const HEAD: &str = "INSERT OR FAIL INTO messages (id, direction, kind, patient_id, appointment_id, \
         idempotency_key, to_number, from_number, body, encoding, segments, status, provider, \
         provider_id, error_code, created_by, created_at, sent_at, updated_at, attempts, \
         delivered_at) VALUES ";
    insert_chunked(super::sql(conn), HEAD, 21, rows, |s, i, m| {
        bind(s, i, m.id.0)?;
        bind(s, i + 1, m.direction.as_str())?;
        bind(s, i + 2, m.kind.as_str())?;
        bind(s, i + 3, m.patient_id.0)?;
        bind(s, i + 4, m.appointment_id.map(|a| a.0))?;
        bind(s, i + 5, m.idempotency_key.as_deref())?;
        bind(s, i + 6, m.to.as_str())?;
        bind(s, i + 7, m.from.as_deref())?;
        bind(s, i + 8, m.body.as_str())?;
        bind(s, i + 9, m.encoding)?;
        bind(s, i + 10, m.segments)?;
        bind(s, i + 11, m.status.as_str())?;
        bind(s, i + 12, m.provider)?;
        bind(s, i + 13, m.provider_id.as_deref())?;
        bind(s, i + 14, m.error_code)?;
        bind(s, i + 15, m.created_by)?;
        bind(s, i + 16, ts(m.created_at))?;
        bind(s, i + 17, m.sent_at.map(ts))?;
        bind(s, i + 18, ts(m.updated_at))?;
        bind(s, i + 19, i64::from(m.direction == Direction::Outbound))?;
        bind(s, i + 20, m.delivered_at.map(ts))
    })?;
    for m in rows {
        if let (Direction::Outbound, Some(key)) = (m.direction, &m.idempotency_key) {
            super::messages::parts::list(conn, m.id, m.kind, key)?;
        }
    }
    Ok(())
}

/// How an inbound message was read, and whether staff dealt with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BulkReply {
    pub message_id: MessageId,
    pub kind: ReplyKind,
    pub appointment_id: Option<AppointmentId>,
    pub handled: Option<(&'static str, DateTime<Utc>)>,
}

/// File inbound messages as replies (the confirm trigger of migration 8 runs for each).
pub fn insert_replies(conn: &impl Write, rows: &[BulkReply]) -> Result<()> {
    const HEAD: &str = "INSERT OR FAIL INTO replies (message_id, classification, appointment_id, \
         handled_by, handled_at) VALUES ";
    insert_chunked(super::sql(conn), HEAD, 5, rows, |s, i, r| {
        bind(s, i, r.message_id.0)?;
        bind(s, i + 1, r.kind.as_str())?;
        bind(s, i + 2, r.appointment_id.map(|a| a.0))?;
        bind(s, i + 3, r.handled.map(|(by, _)| by))?;
        bind(s, i + 4, r.handled.map(|(_, at)| ts(at)))
    })
}

fn bind<T: ToSql>(stmt: &mut Statement<'_>, index: usize, value: T) -> rusqlite::Result<()> {
    stmt.raw_bind_parameter(index, value)
}

/// `head` followed by `rows` groups of `columns` placeholders.
fn values_sql(head: &str, columns: usize, rows: usize) -> String {
    let group = format!("({})", vec!["?"; columns].join(","));
    let mut sql = String::with_capacity(head.len() + rows * (group.len() + 1));
    sql.push_str(head);
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&group);
    }
    sql
}

/// Insert `rows` [`CHUNK`] at a time; `bind` binds one row's values from the 1-based
/// parameter index it is given.
fn insert_chunked<R>(
    conn: &Connection,
    head: &str,
    columns: usize,
    rows: &[R],
    bind: impl Fn(&mut Statement<'_>, usize, &R) -> rusqlite::Result<()>,
) -> Result<()> {
    // Until the end of the caller's transaction: a broken reference fails the commit.
    conn.pragma_update(None, "defer_foreign_keys", true)?;
    let full = values_sql(head, columns, CHUNK);
    for chunk in rows.chunks(CHUNK) {
        let short;
        let sql = if chunk.len() == CHUNK {
            &full
        } else {
            short = values_sql(head, columns, chunk.len());
            &short
        };
        let mut stmt = conn.prepare_cached(sql)?;
        for (n, row) in chunk.iter().enumerate() {
            bind(&mut stmt, n * columns + 1, row)?;
        }
        stmt.raw_execute()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use crate::store::appointments::tests::{fixture, t};
    use crate::store::appointments::{self, NewAppointment};

    fn row(
        id: i64,
        p: PatientId,
        c: ClinicianId,
        ty: AppointmentTypeId,
    ) -> BulkAppointment<'static> {
        BulkAppointment {
            id: AppointmentId(id),
            external_id: None,
            patient_id: p,
            clinician_id: c,
            type_id: ty,
            start: t(9, 0) + chrono::Duration::minutes(id),
            duration_minutes: 15,
            status: AppointmentStatus::Booked,
            booked_at: t(8, 0),
            status_changed: None,
            confirmed_at: None,
            cancelled_at: None,
            callback_requested: false,
        }
    }

    const SMALL_KEEPING_ONE: LoadSettings<'static> = LoadSettings {
        cache_mib: 8,
        live_indexes: &["messages_by_created"],
        sort_runs_mib: 0,
    };

    fn schema(store: &Store) -> Vec<(String, String, String, Option<String>)> {
        let conn = store.test_conn();
        let mut stmt = conn
            .prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    fn patient(id: i64, mobile: &str) -> BulkPatient {
        BulkPatient {
            id: PatientId(id),
            external_id: None,
            first_name: "Ngozi".into(),
            last_name: format!("Okafor-{id}"),
            birth_date: None,
            mobile: Some(mobile.into()),
            time_zone: None,
            portal_active: false,
            created_at: t(7, 0),
        }
    }

    fn inbound(id: i64, provider_id: &str) -> BulkMessage {
        BulkMessage {
            id: MessageId(id),
            direction: Direction::Inbound,
            kind: MessageKind::Reply,
            patient_id: PatientId(1),
            appointment_id: None,
            idempotency_key: None,
            to: "+15005550006".into(),
            from: Some("+15551230001".into()),
            body: "YES".into(),
            encoding: None,
            segments: None,
            status: MessageStatus::Received,
            provider: "twilio",
            provider_id: Some(provider_id.into()),
            error_code: None,
            created_by: "test",
            created_at: t(9, 0),
            sent_at: None,
            delivered_at: None,
            updated_at: t(9, 0),
        }
    }

    #[test]
    fn a_bulk_load_ends_with_the_schema_and_index_answers_a_new_database_has() {
        let fresh = Store::open_in_memory().unwrap();
        let want = schema(&fresh);
        assert!(
            want.iter()
                .any(|(ty, name, ..)| ty == "index" && name == "messages_by_patient"),
            "the migrations made the indexes the load drops"
        );
        let mut loaded = Store::open_in_memory().unwrap();
        loaded
            .load_new(SMALL_KEEPING_ONE, |tx| {
                // Mid-load the secondary indexes but the live one are gone …
                let during: Vec<String> = super::super::sql(tx)
                    .prepare(
                        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
                    )?
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                assert_eq!(during, ["messages_by_created"]);
                insert_patients(
                    tx,
                    &[patient(1, "+15551230001"), patient(2, "+15551230002")],
                )?;
                insert_messages(tx, &[inbound(1, "SM1"), inbound(2, "SM2")])
            })
            .unwrap();
        // … and after it the schema is byte for byte the migrations' one.
        assert_eq!(schema(&loaded), want);
        let conn = loaded.test_conn();
        let by_mobile: i64 = conn
            .query_row(
                "SELECT id FROM patients INDEXED BY patients_by_mobile WHERE mobile = '+15551230002'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(by_mobile, 2, "the rebuilt index holds the loaded rows");
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }

    #[test]
    fn indexes_sorted_in_runs_on_a_second_thread_hold_every_row_in_order() {
        // 1 MiB runs (SQLite's smallest) and 60,000 keys of ~40 bytes: several runs, sorted
        // apart and merged, as the clinic group's builds are.
        const RUNS: LoadSettings<'static> = LoadSettings {
            sort_runs_mib: 1,
            ..SMALL_KEEPING_ONE
        };
        let n = 60_000_i64;
        // Provider ids in scrambled order (7,919 is prime to n): the sort has work to do.
        let provider_id = |i: i64| format!("SM{:010}", (i * 7_919) % n);
        let want_schema = schema(&Store::open_in_memory().unwrap());
        let mut store = Store::open_in_memory().unwrap();
        store
            .load_new(RUNS, |tx| {
                insert_patients(tx, &[patient(1, "+15551230001")])?;
                let rows: Vec<_> = (1..=n).map(|i| inbound(i, &provider_id(i))).collect();
                insert_messages(tx, &rows)
            })
            .unwrap();
        assert_eq!(schema(&store), want_schema);
        let conn = store.test_conn();
        let read: Vec<String> = conn
            .prepare(
                "SELECT provider_id FROM messages INDEXED BY inbound_by_provider_id \
                 WHERE provider = 'twilio' AND provider_id IS NOT NULL AND direction = 'in' \
                 ORDER BY provider, provider_id",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut want: Vec<String> = (1..=n).map(provider_id).collect();
        want.sort();
        assert_eq!(read, want, "every key once, in order");
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        // The console after a load writes no temporary file and starts no sorting thread.
        let setting = |name: &str| -> i64 {
            conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(setting("temp_store"), 0);
        assert_eq!(setting("threads"), 0);
        assert_ne!(setting("cache_spill"), 0, "spilling is back on");
    }

    #[test]
    fn rows_that_break_a_unique_index_fail_the_load_when_it_is_rebuilt_and_keep_nothing() {
        let mut store = Store::open_in_memory().unwrap();
        let want = schema(&store);
        let out = store.load_new(SMALL_KEEPING_ONE, |tx| {
            insert_patients(tx, &[patient(1, "+15551230001")])?;
            // Two inbound rows with the same provider id: no index checks them during the
            // load; `messages_by_provider_id` refuses them when it is made again.
            insert_messages(tx, &[inbound(1, "SM1"), inbound(2, "SM1")])
        });
        assert!(out.is_err());
        assert_eq!(schema(&store), want, "the indexes are back");
        let patients: i64 = store
            .test_conn()
            .query_row("SELECT COUNT(*) FROM patients", [], |r| r.get(0))
            .unwrap();
        assert_eq!(patients, 0, "nothing of the load was kept");
    }

    #[test]
    fn bulk_rows_read_back_like_single_inserts_across_chunk_edges() {
        let (store, p, c, ty) = fixture();
        let conn = store.test_conn();
        let first = appointments::insert(
            conn,
            &NewAppointment {
                external_id: None,
                patient_id: p,
                clinician_id: c,
                type_id: ty,
                start: t(8, 0),
                duration_minutes: 15,
                status: AppointmentStatus::Booked,
                booked_at: t(7, 0),
            },
        )
        .unwrap();
        let next = next_id(conn, Table::Appointments).unwrap();
        assert_eq!(next, first.0 + 1);
        let n = 2 * CHUNK + 3;
        let rows: Vec<_> = (0..n as i64).map(|i| row(next + i, p, c, ty)).collect();
        insert_appointments(conn, &rows).unwrap();
        assert_eq!(appointments::count(conn).unwrap(), n as i64 + 1);
        let last = appointments::get(conn, AppointmentId(next + n as i64 - 1)).unwrap();
        assert_eq!(last.start, rows[n - 1].start);
        assert_eq!(next_id(conn, Table::Appointments).unwrap(), next + n as i64);
    }

    #[test]
    fn confirmed_rows_get_the_time_the_insert_trigger_would_give() {
        let (store, p, c, ty) = fixture();
        let conn = store.test_conn();
        let mut confirmed = row(10, p, c, ty);
        confirmed.status = AppointmentStatus::Confirmed;
        let mut by_reply = row(11, p, c, ty);
        by_reply.status = AppointmentStatus::Confirmed;
        by_reply.confirmed_at = Some(t(8, 30));
        insert_appointments(conn, &[confirmed, by_reply]).unwrap();
        let at = |id: i64| -> Option<i64> {
            conn.query_row(
                "SELECT confirmed_at FROM appointments WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(at(10), Some(ts(t(8, 0))));
        assert_eq!(at(11), Some(ts(t(8, 30))));
    }

    #[test]
    fn a_taken_id_or_a_broken_reference_fails_the_transaction_and_keeps_nothing() {
        let (mut store, p, c, ty) = fixture();
        store
            .write(|tx| insert_appointments(tx, &[row(5, p, c, ty)]))
            .unwrap();
        let taken =
            store.write(|tx| insert_appointments(tx, &[row(6, p, c, ty), row(5, p, c, ty)]));
        assert!(taken.is_err());
        let mut orphan = row(7, p, c, ty);
        orphan.patient_id = PatientId(999);
        // Checked at the commit (deferred), which then fails.
        let broken = store.write(|tx| insert_appointments(tx, &[orphan.clone()]));
        assert!(broken.is_err());
        assert_eq!(
            appointments::count(&store).unwrap(),
            1,
            "nothing of either landed"
        );
    }
}
