//! Appointments a closure or schedule-change notice took away (SPEC §5.6): the desk must
//! rebook them. One mark per appointment and start, so a notice sent again marks nothing new;
//! a moved appointment no longer matches the start its mark names, so the mark lapses. The
//! day view reads the marks with the day (`store::day`).

use crate::store::{Db, Write};
use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Result, ts};
use crate::domain::ids::AppointmentId;

/// A mark about to be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRebooking<'a> {
    pub appointment_id: AppointmentId,
    /// The start the notice took away.
    pub start: DateTime<Utc>,
    /// The notice's idempotency key.
    pub key: &'a str,
    pub by: &'a str,
    pub now: DateTime<Utc>,
}

/// Mark an appointment for rebooking; `false` when it already was (nothing written).
pub fn mark(conn: &impl Write, r: &NewRebooking<'_>) -> Result<bool> {
    let conn = super::sql(conn);
    let n = conn
        .prepare_cached(
            "INSERT INTO rebookings (appointment_id, start_at, key, marked_by, marked_at)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (appointment_id, start_at) DO NOTHING",
        )?
        .execute(params![
            r.appointment_id.0,
            ts(r.start),
            r.key,
            r.by,
            ts(r.now)
        ])?;
    Ok(n == 1)
}

/// Whether the appointment, at its current start, is marked for rebooking.
pub fn is_marked(conn: &impl Db, appointment: AppointmentId) -> Result<bool> {
    let conn = super::sql(conn);
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM rebookings r JOIN appointments a ON a.id = r.appointment_id
                         WHERE r.appointment_id = ?1 AND r.start_at = a.start_at)",
        params![appointment.0],
        |r| r.get(0),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::appointments::tests::{booking, fixture, t};

    #[test]
    fn marked_once_per_start_and_lapses_when_the_visit_moves() {
        let (store, p, c, ty) = fixture();
        let conn = store.test_conn();
        let a = crate::store::appointments::insert(conn, &booking(p, c, ty, t(15, 0))).unwrap();
        let mark_at = |start| NewRebooking {
            appointment_id: a,
            start,
            key: "closure:1",
            by: "omar",
            now: t(9, 0),
        };
        assert!(!is_marked(conn, a).unwrap());
        assert!(mark(conn, &mark_at(t(15, 0))).unwrap());
        assert!(!mark(conn, &mark_at(t(15, 0))).unwrap(), "once per start");
        assert!(is_marked(conn, a).unwrap());
        let slot = crate::store::imports::Slot {
            clinician: c,
            type_id: ty,
            start: t(16, 0),
            minutes: 30,
        };
        crate::store::imports::reslot_appointment(conn, a, slot).unwrap();
        assert!(
            !is_marked(conn, a).unwrap(),
            "a moved visit is no longer to rebook"
        );
    }
}
