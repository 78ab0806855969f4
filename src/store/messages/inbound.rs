//! Inbound messages (patients' replies, deduplicated by provider id) and the reply inbox.

use crate::store::{Db, Write};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::super::{Result, StoreError, ts};
use super::query;
use crate::domain::ids::{AppointmentId, MessageId, PatientId};
use crate::domain::message::Message;
use crate::domain::reply::ReplyKind;

/// An inbound text as the provider reported it.
#[derive(Clone, Copy, Debug)]
pub struct NewInbound<'a> {
    /// The patient it is filed under (`None` for an unknown sender).
    pub patient: Option<PatientId>,
    pub from: &'a str,
    pub to: &'a str,
    pub body: &'a str,
    pub provider: &'a str,
    pub provider_id: &'a str,
    pub at: DateTime<Utc>,
}

/// Record an inbound message; `None` if this provider id was already recorded (polls overlap).
pub fn insert_inbound(conn: &impl Write, m: &NewInbound<'_>) -> Result<Option<MessageId>> {
    let conn = crate::store::sql(conn);
    let n = conn
        .prepare_cached(
            "INSERT INTO messages (direction, kind, patient_id, to_number, from_number, body, status, provider,
                                   provider_id, created_by, created_at, updated_at)
             VALUES ('in', 'reply', ?1, ?2, ?3, ?4, 'received', ?5, ?6, 'patient', ?7, ?7)
             ON CONFLICT (provider, provider_id) WHERE provider_id IS NOT NULL AND direction = 'in' DO NOTHING",
        )?
        .execute(params![
            m.patient.map(|p| p.0),
            m.to,
            m.from,
            m.body,
            m.provider,
            m.provider_id,
            ts(m.at)
        ])?;
    Ok((n == 1).then(|| MessageId(conn.last_insert_rowid())))
}

/// File an inbound message under a classification (and the appointment it answers). The
/// reply carries its text's patient and time of receipt (migration 20: the day sheet reads
/// them without the text).
pub fn classify_reply(
    conn: &impl Write,
    message: MessageId,
    kind: ReplyKind,
    appointment: Option<AppointmentId>,
) -> Result<()> {
    let conn = crate::store::sql(conn);
    conn.prepare_cached(
        "INSERT INTO replies (message_id, classification, appointment_id, patient_id, received_at)
         SELECT ?1, ?2, ?3, m.patient_id, m.created_at FROM messages m WHERE m.id = ?1
         ON CONFLICT (message_id) DO UPDATE SET classification = excluded.classification",
    )?
    .execute(params![message.0, kind.as_str(), appointment.map(|a| a.0)])
    .map_err(StoreError::from)
    .and_then(|n| match n {
        0 => Err(StoreError::NotFound {
            what: "message",
            id: message.0.to_string(),
        }),
        _ => Ok(()),
    })
}

/// Unhandled replies that need a person (classification `other`), newest first.
pub fn inbox(conn: &impl Db, limit: usize) -> Result<Vec<Message>> {
    let conn = crate::store::sql(conn);
    query(
        conn,
        "WHERE id IN (SELECT message_id FROM replies WHERE handled_at IS NULL AND classification = 'other')
         ORDER BY created_at DESC, id DESC LIMIT ?1",
        params![limit as i64],
    )
}

pub fn inbox_count(conn: &impl Db) -> Result<i64> {
    let conn = crate::store::sql(conn);
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM replies WHERE handled_at IS NULL AND classification = 'other'",
        [],
        |r| r.get(0),
    )?)
}

/// Mark a reply as dealt with.
pub fn mark_reply_handled(
    conn: &impl Write,
    message: MessageId,
    by: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let conn = crate::store::sql(conn);
    conn.execute(
        "UPDATE replies SET handled_by = ?2, handled_at = ?3 WHERE message_id = ?1",
        params![message.0, by, ts(now)],
    )?;
    Ok(())
}

/// A patient by mobile number (inbound replies arrive by number).
pub fn patient_by_mobile(conn: &impl Db, mobile: &str) -> Result<Option<PatientId>> {
    let conn = crate::store::sql(conn);
    Ok(conn
        .query_row(
            "SELECT id FROM patients WHERE mobile = ?1 ORDER BY id LIMIT 1",
            params![mobile],
            |r| r.get(0),
        )
        .optional()?
        .map(PatientId))
}

/// Every patient with this mobile number, lowest id first (a family may share one phone).
pub fn patients_by_mobile(conn: &impl Db, mobile: &str) -> Result<Vec<PatientId>> {
    let conn = crate::store::sql(conn);
    let mut stmt = conn.prepare_cached("SELECT id FROM patients WHERE mobile = ?1 ORDER BY id")?;
    let rows = stmt.query_map(params![mobile], |r| r.get(0))?;
    Ok(rows
        .collect::<rusqlite::Result<Vec<i64>>>()?
        .into_iter()
        .map(PatientId)
        .collect())
}

/// How a patient's replies received at or after `since` were filed, oldest first.
pub fn replies_since(
    conn: &impl Db,
    patient: PatientId,
    since: DateTime<Utc>,
) -> Result<Vec<(MessageId, ReplyKind)>> {
    let conn = crate::store::sql(conn);
    // Inbound rows carry the time they were received in created_at.
    let mut stmt = conn.prepare_cached(
        "SELECT m.id, r.classification FROM replies r JOIN messages m ON m.id = r.message_id
          WHERE m.patient_id = ?1 AND m.direction = 'in' AND m.created_at >= ?2
          ORDER BY m.created_at, m.id",
    )?;
    let rows = stmt.query_map(params![patient.0, ts(since)], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
    })?;
    rows.map(|r| {
        let (id, kind) = r?;
        let kind = ReplyKind::parse(&kind).ok_or(StoreError::Corrupt {
            what: "replies.classification",
            value: kind,
        })?;
        Ok((MessageId(id), kind))
    })
    .collect()
}
