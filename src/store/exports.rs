//! What the exports read: a period's appointments with their clinician and type names, the
//! reminder rows that may cover them, and a period's messages in both directions.

use crate::store::Db;
use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Result, StoreError, from_ts, ts};
use crate::domain::appointment::AppointmentStatus;
use crate::domain::ids::{AppointmentId, AppointmentTypeId, ClinicianId, MessageId, PatientId};
use crate::domain::message::{Direction, MessageKind, MessageStatus};
use crate::domain::stats::AppointmentFacts;

fn corrupt(what: &'static str, value: String) -> StoreError {
    StoreError::Corrupt { what, value }
}

fn opt_ts(v: Option<i64>) -> Result<Option<DateTime<Utc>>> {
    v.map(from_ts).transpose()
}

/// One appointment with the names an export shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportAppointment {
    pub facts: AppointmentFacts,
    pub external_id: Option<String>,
    pub clinician: String,
    /// The internal type name (managers read exports; patients never do).
    pub type_name: String,
}

/// Appointments starting in `[from, to)`, in start order.
pub fn appointments(
    conn: &impl Db,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<ExportAppointment>> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, a.patient_id, a.clinician_id, a.type_id, a.start_at, a.status, a.booked_at,
                a.cancelled_at, a.confirmed_at, a.external_id, c.display_name, t.name
           FROM appointments a
           JOIN clinicians c ON c.id = a.clinician_id
           JOIN appointment_types t ON t.id = a.type_id
          WHERE a.start_at >= ?1 AND a.start_at < ?2
          ORDER BY a.start_at, a.id",
    )?;
    let mut rows = stmt.query(params![ts(from), ts(to)])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let status: String = r.get(5)?;
        out.push(ExportAppointment {
            facts: AppointmentFacts {
                id: AppointmentId(r.get(0)?),
                patient_id: PatientId(r.get(1)?),
                clinician_id: ClinicianId(r.get(2)?),
                type_id: AppointmentTypeId(r.get(3)?),
                start: from_ts(r.get(4)?)?,
                status: AppointmentStatus::parse(&status)
                    .ok_or_else(|| corrupt("appointments.status", status.clone()))?,
                booked_at: from_ts(r.get(6)?)?,
                cancelled_at: opt_ts(r.get(7)?)?,
                confirmed_at: opt_ts(r.get(8)?)?,
            },
            external_id: r.get(9)?,
            clinician: r.get(10)?,
            type_name: r.get(11)?,
        });
    }
    Ok(out)
}

/// A reminder row as the appointment export explains it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReminderMessage {
    pub key: String,
    pub status: MessageStatus,
    pub error_code: Option<String>,
    /// Our reason when withdrawn (the column also holds provider texts for failures, which
    /// may quote a phone number: those are not read).
    pub withdrawn_reason: Option<String>,
}

/// Outbound reminder rows created in `[from, to)`.
pub fn reminder_messages(
    conn: &impl Db,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<ReminderMessage>> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached(
        "SELECT idempotency_key, status, error_code,
                CASE WHEN status = 'withdrawn' THEN error_message END
           FROM messages
          WHERE created_at >= ?1 AND created_at < ?2 AND direction = 'out'
            AND idempotency_key >= 'reminder:' AND idempotency_key < 'reminder;'",
    )?;
    let mut rows = stmt.query(params![ts(from), ts(to)])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let status: String = r.get(1)?;
        out.push(ReminderMessage {
            key: r.get(0)?,
            status: MessageStatus::parse(&status)
                .ok_or_else(|| corrupt("messages.status", status.clone()))?,
            error_code: r.get(2)?,
            withdrawn_reason: r.get(3)?,
        });
    }
    Ok(out)
}

/// One message as the message export shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportMessage {
    pub id: MessageId,
    pub direction: Direction,
    pub kind: MessageKind,
    pub status: MessageStatus,
    pub error_code: Option<String>,
    pub patient_id: Option<PatientId>,
    pub appointment_id: Option<AppointmentId>,
    pub provider: String,
    pub segments: Option<u32>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Only when asked for.
    pub body: Option<String>,
}

/// Messages (both directions) written in `[from, to)`, oldest first; bodies only when
/// `with_bodies` (otherwise they are not even read).
pub fn messages(
    conn: &impl Db,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    with_bodies: bool,
) -> Result<Vec<ExportMessage>> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached(
        "SELECT id, direction, kind, status, error_code, patient_id, appointment_id, provider,
                segments, created_at, sent_at, delivered_at, CASE WHEN ?3 THEN body END
           FROM messages WHERE created_at >= ?1 AND created_at < ?2 ORDER BY created_at, id",
    )?;
    let mut rows = stmt.query(params![ts(from), ts(to), with_bodies])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let (direction, kind, status): (String, String, String) = (r.get(1)?, r.get(2)?, r.get(3)?);
        out.push(ExportMessage {
            id: MessageId(r.get(0)?),
            direction: Direction::parse(&direction)
                .ok_or_else(|| corrupt("messages.direction", direction.clone()))?,
            kind: MessageKind::parse(&kind)
                .ok_or_else(|| corrupt("messages.kind", kind.clone()))?,
            status: MessageStatus::parse(&status)
                .ok_or_else(|| corrupt("messages.status", status.clone()))?,
            error_code: r.get(4)?,
            patient_id: r.get::<_, Option<i64>>(5)?.map(PatientId),
            appointment_id: r.get::<_, Option<i64>>(6)?.map(AppointmentId),
            provider: r.get(7)?,
            segments: r.get(8)?,
            created_at: from_ts(r.get(9)?)?,
            sent_at: opt_ts(r.get(10)?)?,
            delivered_at: opt_ts(r.get(11)?)?,
            body: r.get(12)?,
        });
    }
    Ok(out)
}
