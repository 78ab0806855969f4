//! The bulk writer's tests: rows read back like single inserts, a load ends with the
//! migrations' schema, and a failing row keeps nothing.

use super::*;
use crate::store::Store;
use crate::store::appointments::tests::{fixture, t};
use crate::store::appointments::{self, NewAppointment};

fn row(id: i64, p: PatientId, c: ClinicianId, ty: AppointmentTypeId) -> BulkAppointment<'static> {
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
    release_written: false,
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
            .any(|(ty, name, ..)| ty == "index" && name == "messages_in_by_patient"),
        "the migrations made the indexes the load drops"
    );
    let mut loaded = Store::open_in_memory().unwrap();
    loaded
        .load_new(SMALL_KEEPING_ONE, |tx| {
            // Mid-load the secondary indexes but the live one are gone …
            let during: Vec<String> = super::super::sql(tx)
                .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")?
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
    let n = 2 * values::CHUNK + 3;
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
    let taken = store.write(|tx| insert_appointments(tx, &[row(6, p, c, ty), row(5, p, c, ty)]));
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

/// A load needs the new file alone (it leaves WAL for a rollback journal): with another
/// connection open on it, it says the file is in use — not "database is locked" — writes
/// nothing, and runs once that connection has gone.
#[test]
fn a_load_on_a_file_another_connection_has_open_says_it_is_in_use_and_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.db");
    let mut store = Store::open(&path).unwrap();
    let other = Store::open(&path).unwrap();
    let patients = |s: &Store| -> i64 {
        s.test_conn()
            .query_row("SELECT COUNT(*) FROM patients", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(patients(&other), 0);
    let load = |store: &mut Store| {
        store.load_new(SMALL_KEEPING_ONE, |tx| {
            insert_patients(tx, &[patient(1, "+15551230001")])
        })
    };
    let err = load(&mut store).unwrap_err();
    assert!(matches!(err, crate::store::StoreError::InUse(_)), "{err}");
    assert!(
        err.to_string().contains("in use by another program"),
        "{err}"
    );
    assert_eq!(patients(&other), 0);
    drop(other);
    load(&mut store).unwrap();
    assert_eq!(patients(&store), 1);
}
