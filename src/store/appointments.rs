//! Appointments: insert, read, range queries, and status changes.

use crate::store::{Db, Write};
use chrono::{DateTime, Utc};
use rusqlite::{Row, params};

use super::{Result, StoreError, found, from_ts, ts};
use crate::domain::appointment::{Appointment, AppointmentStatus};
use crate::domain::ids::{AppointmentId, AppointmentTypeId, ClinicianId, PatientId};

/// An appointment to be created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAppointment {
    pub external_id: Option<String>,
    pub patient_id: PatientId,
    pub clinician_id: ClinicianId,
    pub type_id: AppointmentTypeId,
    pub start: DateTime<Utc>,
    pub duration_minutes: u32,
    pub status: AppointmentStatus,
    pub booked_at: DateTime<Utc>,
}

pub fn insert(conn: &impl Write, a: &NewAppointment) -> Result<AppointmentId> {
    let conn = super::sql(conn);
    conn.prepare_cached(
        "INSERT INTO appointments (external_id, patient_id, clinician_id, type_id, start_at,
                                   duration_minutes, status, booked_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        a.external_id,
        a.patient_id.0,
        a.clinician_id.0,
        a.type_id.0,
        ts(a.start),
        a.duration_minutes,
        a.status.as_str(),
        ts(a.booked_at),
    ])?;
    Ok(AppointmentId(conn.last_insert_rowid()))
}

const COLUMNS: &str = "id, patient_id, clinician_id, type_id, start_at, duration_minutes, status, booked_at, callback_requested,
     EXISTS (SELECT 1 FROM rebookings rb
              WHERE rb.appointment_id = appointments.id AND rb.start_at = appointments.start_at)";

fn from_row(r: &Row<'_>) -> rusqlite::Result<(Appointment, String, i64, i64)> {
    let status: String = r.get(6)?;
    let start: i64 = r.get(4)?;
    let booked: i64 = r.get(7)?;
    Ok((
        Appointment {
            id: AppointmentId(r.get(0)?),
            patient_id: PatientId(r.get(1)?),
            clinician_id: ClinicianId(r.get(2)?),
            type_id: AppointmentTypeId(r.get(3)?),
            start: DateTime::UNIX_EPOCH,
            duration_minutes: r.get(5)?,
            status: AppointmentStatus::Booked,
            booked_at: DateTime::UNIX_EPOCH,
            callback_requested: r.get(8)?,
            to_rebook: r.get(9)?,
        },
        status,
        start,
        booked,
    ))
}

fn check((mut a, status, start, booked): (Appointment, String, i64, i64)) -> Result<Appointment> {
    a.status = AppointmentStatus::parse(&status).ok_or(StoreError::Corrupt {
        what: "appointments.status",
        value: status,
    })?;
    a.start = from_ts(start)?;
    a.booked_at = from_ts(booked)?;
    Ok(a)
}

pub fn get(conn: &impl Db, id: AppointmentId) -> Result<Appointment> {
    let conn = super::sql(conn);
    let sql = format!("SELECT {COLUMNS} FROM appointments WHERE id = ?1");
    check(found(
        conn.prepare_cached(&sql)?
            .query_row(params![id.0], from_row),
        "appointment",
        id,
    )?)
}

/// Appointments starting in `[from, to)`, in start order.
pub fn starting_between(
    conn: &impl Db,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Appointment>> {
    let conn = super::sql(conn);
    let sql = format!(
        "SELECT {COLUMNS} FROM appointments WHERE start_at >= ?1 AND start_at < ?2 ORDER BY start_at, id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![ts(from), ts(to)], from_row)?;
    rows.map(|r| check(r?)).collect()
}

/// `patient`'s appointments starting in `[from, to)`, in start order (through
/// `appointments_by_patient`).
pub fn of_patient_between(
    conn: &impl Db,
    patient: PatientId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Appointment>> {
    let conn = super::sql(conn);
    let sql = format!(
        "SELECT {COLUMNS} FROM appointments
          WHERE patient_id = ?1 AND start_at >= ?2 AND start_at < ?3 ORDER BY start_at, id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![patient.0, ts(from), ts(to)], from_row)?;
    rows.map(|r| check(r?)).collect()
}

/// An appointment row that cannot be read, and whose it is.
#[derive(Debug)]
pub struct UnreadableAppointment {
    pub id: AppointmentId,
    pub patient_id: PatientId,
    pub error: StoreError,
}

/// [`starting_between`], reading each row on its own: the rows that cannot be read are
/// returned apart (one bad row never hides the others).
pub fn starting_between_each(
    conn: &impl Db,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(Vec<Appointment>, Vec<UnreadableAppointment>)> {
    let conn = super::sql(conn);
    let sql = format!(
        "SELECT {COLUMNS} FROM appointments WHERE start_at >= ?1 AND start_at < ?2 ORDER BY start_at, id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![ts(from), ts(to)], from_row)?;
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    for r in rows {
        let raw = r?;
        let (id, patient_id) = (raw.0.id, raw.0.patient_id);
        match check(raw) {
            Ok(a) => ok.push(a),
            Err(error) => bad.push(UnreadableAppointment {
                id,
                patient_id,
                error,
            }),
        }
    }
    Ok((ok, bad))
}

/// Record a status change (the caller has checked the transition). Fails with `Conflict` if
/// someone else changed the status first, so two desks cannot overwrite each other.
pub fn set_status(
    conn: &impl Write,
    id: AppointmentId,
    expected: AppointmentStatus,
    to: AppointmentStatus,
    by: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let conn = super::sql(conn);
    let n = conn.execute(
        "UPDATE appointments SET status = ?3, status_changed_by = ?4, status_changed_at = ?5
         WHERE id = ?1 AND status = ?2",
        params![id.0, expected.as_str(), to.as_str(), by, ts(now)],
    )?;
    if n == 0 {
        let current = get(conn, id)?;
        return Err(StoreError::Conflict(format!(
            "appointment {id} is now {} (changed elsewhere); reload and try again",
            current.status
        )));
    }
    Ok(())
}

/// Set or clear the "call the patient back" flag (reply R, "call me", CANCEL).
pub fn set_callback(conn: &impl Write, id: AppointmentId, on: bool) -> Result<()> {
    let conn = super::sql(conn);
    let n = conn.execute(
        "UPDATE appointments SET callback_requested = ?2 WHERE id = ?1",
        params![id.0, on],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound {
            what: "appointment",
            id: id.to_string(),
        });
    }
    Ok(())
}

/// Who last changed the status, and when.
pub fn status_change(conn: &impl Db, id: AppointmentId) -> Result<Option<(String, DateTime<Utc>)>> {
    let conn = super::sql(conn);
    let row: (Option<String>, Option<i64>) = found(
        conn.query_row(
            "SELECT status_changed_by, status_changed_at FROM appointments WHERE id = ?1",
            params![id.0],
            |r| Ok((r.get(0)?, r.get(1)?)),
        ),
        "appointment",
        id,
    )?;
    match row {
        (Some(by), Some(at)) => Ok(Some((by, from_ts(at)?))),
        _ => Ok(None),
    }
}

/// A patient's booked or confirmed appointments starting after `after`, soonest first.
pub fn open_for_patient_after(
    conn: &impl Db,
    patient: PatientId,
    after: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<Appointment>> {
    let conn = super::sql(conn);
    let sql = format!(
        "SELECT {COLUMNS} FROM appointments
          WHERE patient_id = ?1 AND start_at > ?2 AND status IN ('booked', 'confirmed')
          ORDER BY start_at, id LIMIT ?3"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![patient.0, ts(after), limit as i64], from_row)?;
    rows.map(|r| check(r?)).collect()
}

pub fn count(conn: &impl Db) -> Result<i64> {
    let conn = super::sql(conn);
    Ok(conn.query_row("SELECT COUNT(*) FROM appointments", [], |r| r.get(0))?)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::store::{Store, patients, reference};
    use chrono::TimeZone;

    pub(crate) fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, h, m, 0).unwrap()
    }

    /// A store with one clinician, one type and one patient; returns their ids.
    pub(crate) fn fixture() -> (Store, PatientId, ClinicianId, AppointmentTypeId) {
        let store = Store::open_in_memory().unwrap();
        let c = reference::insert_clinician(store.test_conn(), "Dr. Okafor").unwrap();
        let ty =
            reference::insert_type(store.test_conn(), "Annual physical", "Check-up", 30).unwrap();
        let p = patient(store.test_conn(), "Ada", "Lovelace");
        (store, p, c, ty)
    }

    /// Another patient, no mobile, no portal, added at 08:00 on the fixture's day.
    pub(crate) fn patient(conn: &impl crate::store::Write, first: &str, last: &str) -> PatientId {
        patients::insert(
            conn,
            &patients::NewPatient {
                external_id: None,
                first_name: first.into(),
                last_name: last.into(),
                birth_date: None,
                mobile: None,
                time_zone: None,
                portal_active: false,
            },
            t(8, 0),
        )
        .unwrap()
    }

    /// Record a written-form opt-in with evidence for `p` at `at`.
    pub(crate) fn opt_in(store: &Store, p: PatientId, at: DateTime<Utc>) {
        use crate::domain::consent::{ConsentEvent, ConsentKind, ConsentMethod};
        let event = ConsentEvent {
            kind: ConsentKind::OptIn,
            method: ConsentMethod::WrittenForm,
            evidence: Some("F1".into()),
            recorded_by: "desk".into(),
            at,
        };
        crate::store::consent::append(store.test_conn(), p, &event).unwrap();
    }

    pub(crate) fn booking(
        p: PatientId,
        c: ClinicianId,
        ty: AppointmentTypeId,
        start: DateTime<Utc>,
    ) -> NewAppointment {
        NewAppointment {
            external_id: None,
            patient_id: p,
            clinician_id: c,
            type_id: ty,
            start,
            duration_minutes: 30,
            status: AppointmentStatus::Booked,
            booked_at: t(8, 0),
        }
    }

    #[test]
    fn insert_get_and_range() {
        let (store, p, c, ty) = fixture();
        let late = insert(store.test_conn(), &booking(p, c, ty, t(16, 0))).unwrap();
        let early = insert(store.test_conn(), &booking(p, c, ty, t(9, 0))).unwrap();
        insert(
            store.test_conn(),
            &booking(p, c, ty, t(9, 0) + chrono::Duration::days(1)),
        )
        .unwrap();
        let day = starting_between(
            store.test_conn(),
            t(0, 0),
            t(0, 0) + chrono::Duration::days(1),
        )
        .unwrap();
        assert_eq!(
            day.iter().map(|a| a.id).collect::<Vec<_>>(),
            vec![early, late]
        );
        assert_eq!(get(store.test_conn(), late).unwrap().start, t(16, 0));
    }

    #[test]
    fn status_change_records_who_and_when_and_detects_conflicts() {
        let (store, p, c, ty) = fixture();
        let id = insert(store.test_conn(), &booking(p, c, ty, t(9, 0))).unwrap();
        set_status(
            store.test_conn(),
            id,
            AppointmentStatus::Booked,
            AppointmentStatus::Arrived,
            "desk",
            t(9, 5),
        )
        .unwrap();
        assert_eq!(
            get(store.test_conn(), id).unwrap().status,
            AppointmentStatus::Arrived
        );
        assert_eq!(
            status_change(store.test_conn(), id).unwrap(),
            Some(("desk".into(), t(9, 5)))
        );
        let err = set_status(
            store.test_conn(),
            id,
            AppointmentStatus::Booked,
            AppointmentStatus::Cancelled,
            "desk2",
            t(9, 6),
        )
        .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    }

    #[test]
    fn open_appointments_after_a_moment_soonest_first() {
        let (store, p, c, ty) = fixture();
        let past = insert(store.test_conn(), &booking(p, c, ty, t(8, 0))).unwrap();
        let late = insert(store.test_conn(), &booking(p, c, ty, t(16, 0))).unwrap();
        let soon = insert(store.test_conn(), &booking(p, c, ty, t(11, 0))).unwrap();
        let cancelled = insert(store.test_conn(), &booking(p, c, ty, t(10, 0))).unwrap();
        set_status(
            store.test_conn(),
            cancelled,
            AppointmentStatus::Booked,
            AppointmentStatus::Cancelled,
            "desk",
            t(9, 0),
        )
        .unwrap();
        let ids: Vec<_> = open_for_patient_after(store.test_conn(), p, t(9, 0), 10)
            .unwrap()
            .iter()
            .map(|a| a.id)
            .collect();
        assert_eq!(ids, vec![soon, late]);
        assert!(!ids.contains(&past));
        assert_eq!(
            open_for_patient_after(store.test_conn(), p, t(9, 0), 1)
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn database_refuses_unknown_status_and_dangling_patient() {
        let (store, p, c, ty) = fixture();
        let id = insert(store.test_conn(), &booking(p, c, ty, t(9, 0))).unwrap();
        assert!(
            store
                .test_conn()
                .execute(
                    "UPDATE appointments SET status = 'gone' WHERE id = ?1",
                    [id.0]
                )
                .is_err()
        );
        assert!(insert(store.test_conn(), &booking(PatientId(999), c, ty, t(9, 0))).is_err());
    }
}
