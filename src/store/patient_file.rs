//! The patient screen's appointment list: one patient's appointments with clinician and
//! neutral type label, in start order. Reads only.

use rusqlite::params;

use super::{Result, StoreError, from_ts};
use crate::domain::appointment::AppointmentStatus;
use crate::domain::ids::{AppointmentId, PatientId};
use crate::domain::patient_file::PatientAppointment;

/// At most this many appointments are read for one patient (years of visits are plenty).
pub const MAX_APPOINTMENTS: usize = 500;

/// One patient's appointments, oldest first (the newest [`MAX_APPOINTMENTS`]).
pub fn appointments(conn: &impl super::Db, patient: PatientId) -> Result<Vec<PatientAppointment>> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached(
        "SELECT * FROM (
            SELECT a.id, a.start_at, a.duration_minutes, a.status, c.display_name, t.sms_label
              FROM appointments a
              JOIN clinicians c ON c.id = a.clinician_id
              JOIN appointment_types t ON t.id = a.type_id
             WHERE a.patient_id = ?1
             ORDER BY a.start_at DESC, a.id DESC LIMIT ?2)
          ORDER BY start_at, id",
    )?;
    let raw = stmt
        .query_map(params![patient.0, MAX_APPOINTMENTS as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, u32>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    raw.into_iter()
        .map(|(id, start, dur, status, clinician, label)| {
            Ok(PatientAppointment {
                id: AppointmentId(id),
                start: from_ts(start)?,
                duration_minutes: dur,
                status: AppointmentStatus::parse(&status).ok_or(StoreError::Corrupt {
                    what: "appointments.status",
                    value: status,
                })?,
                clinician,
                type_label: label,
                reminders: Vec::new(),
            })
        })
        .collect()
}
