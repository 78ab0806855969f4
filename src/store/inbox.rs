//! The call-back list's appointment side: appointments whose patient asked to be called
//! back (an R / "call me" / CANCEL reply), with the patient's name, and clearing that flag.
//! The reply inbox itself is `messages::inbox`; closure call-backs are `callbacks`.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Result, from_ts, ts};
use crate::domain::ids::{AppointmentId, PatientId};

/// An appointment whose patient asked to be called back: (appointment, patient,
/// "Last, First", start).
pub type CallMe = (AppointmentId, PatientId, String, DateTime<Utc>);

/// Appointments flagged for a call-back that start at or after `since`, soonest first.
pub fn call_me(conn: &impl super::Db, since: DateTime<Utc>) -> Result<Vec<CallMe>> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, a.patient_id, p.last_name || ', ' || p.first_name, a.start_at
           FROM appointments a JOIN patients p ON p.id = a.patient_id
          WHERE a.callback_requested = 1 AND a.start_at >= ?1
          ORDER BY a.start_at, a.id",
    )?;
    let rows = stmt
        .query_map(params![ts(since)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(a, p, name, start)| Ok((AppointmentId(a), PatientId(p), name, from_ts(start)?)))
        .collect()
}

/// The appointment a reply was filed against, if any.
pub fn reply_appointment(
    conn: &impl super::Db,
    message: crate::domain::ids::MessageId,
) -> Result<Option<AppointmentId>> {
    let conn = super::sql(conn);
    let mut stmt =
        conn.prepare_cached("SELECT appointment_id FROM replies WHERE message_id = ?1")?;
    let mut rows = stmt.query(params![message.0])?;
    Ok(match rows.next()? {
        Some(r) => r.get::<_, Option<i64>>(0)?.map(AppointmentId),
        None => None,
    })
}

/// "Last, First" of a patient, if they exist.
pub fn name(conn: &impl super::Db, patient: PatientId) -> Result<Option<String>> {
    let conn = super::sql(conn);
    let mut stmt =
        conn.prepare_cached("SELECT last_name || ', ' || first_name FROM patients WHERE id = ?1")?;
    let mut rows = stmt.query(params![patient.0])?;
    Ok(match rows.next()? {
        Some(r) => Some(r.get(0)?),
        None => None,
    })
}
