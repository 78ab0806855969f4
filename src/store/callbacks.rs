//! The call-back list (SPEC §5.6): patients to phone because a text could not do its job in
//! time — a closure notice that cannot reach them before the closure begins. Each entry is
//! kept once per text (its idempotency key), with the reason in words for staff; the
//! reception screen lists the open ones and marks them handled.

use crate::store::{Db, Write};
use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Result, from_ts, ts};
use crate::domain::ids::{AppointmentId, MessageId, PatientId};

/// An entry about to be added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCallback<'a> {
    /// The text's idempotency key: one entry per text, however often it is re-checked.
    pub key: &'a str,
    pub patient_id: PatientId,
    pub appointment_id: Option<AppointmentId>,
    /// The text's row, when one was written.
    pub message_id: Option<MessageId>,
    pub reason: &'a str,
    pub now: DateTime<Utc>,
}

/// One entry of the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Callback {
    pub id: i64,
    pub key: String,
    pub patient_id: PatientId,
    pub appointment_id: Option<AppointmentId>,
    pub message_id: Option<MessageId>,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

/// Add an entry; `false` when this text already has one (nothing written).
pub fn add(conn: &impl Write, c: &NewCallback<'_>) -> Result<bool> {
    let conn = super::sql(conn);
    let n = conn
        .prepare_cached(
            "INSERT INTO callbacks (key, patient_id, appointment_id, message_id, reason, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (key) DO NOTHING",
        )?
        .execute(params![
            c.key,
            c.patient_id.0,
            c.appointment_id.map(|a| a.0),
            c.message_id.map(|m| m.0),
            c.reason,
            ts(c.now),
        ])?;
    Ok(n == 1)
}

/// Entries nobody has handled yet, oldest first.
pub fn open(conn: &impl Db) -> Result<Vec<Callback>> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached(
        "SELECT id, key, patient_id, appointment_id, message_id, reason, created_at
           FROM callbacks WHERE handled_at IS NULL ORDER BY created_at, id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, Option<i64>>(3)?,
            r.get::<_, Option<i64>>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, i64>(6)?,
        ))
    })?;
    rows.map(|r| {
        let (id, key, patient, appointment, message, reason, at) = r?;
        Ok(Callback {
            id,
            key,
            patient_id: PatientId(patient),
            appointment_id: appointment.map(AppointmentId),
            message_id: message.map(MessageId),
            reason,
            created_at: from_ts(at)?,
        })
    })
    .collect()
}

/// Mark an entry dealt with.
pub fn mark_handled(conn: &impl Write, id: i64, by: &str, now: DateTime<Utc>) -> Result<()> {
    let conn = super::sql(conn);
    conn.execute(
        "UPDATE callbacks SET handled_by = ?2, handled_at = ?3 WHERE id = ?1",
        params![id, by, ts(now)],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::appointments::tests::{fixture, t};

    #[test]
    fn one_entry_per_text_listed_until_handled() {
        let (store, p, _, _) = fixture();
        let c = store.test_conn();
        let entry = NewCallback {
            key: "closure:1@2026-11-25T15:00:00Z",
            patient_id: p,
            appointment_id: None,
            message_id: None,
            reason: "closure could not reach the patient in time: no consent",
            now: t(9, 0),
        };
        assert!(add(c, &entry).unwrap());
        assert!(
            !add(
                c,
                &NewCallback {
                    now: t(9, 5),
                    ..entry.clone()
                }
            )
            .unwrap()
        );
        let list = open(c).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!((list[0].patient_id, list[0].created_at), (p, t(9, 0)));
        assert!(list[0].reason.contains("no consent"));
        mark_handled(c, list[0].id, "desk", t(10, 0)).unwrap();
        assert!(open(c).unwrap().is_empty());
    }
}
