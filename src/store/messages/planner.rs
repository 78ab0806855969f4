//! What the reminder planner reads of a patient's outbound history, from the two partial
//! indexes of migration 11 alone (no table row, no body): the reminder rows' keys and where
//! each stands, and when the last text that left (or may still leave) was written or sent.
//! On a clinic group's five years a patient has ~45 outbound rows, each on its own page of a
//! multi-GB table; these answer from a few adjacent index entries (docs/BENCHMARKS.md).

use chrono::{DateTime, Utc};
use rusqlite::params;

use crate::domain::ids::{MessageId, PatientId};
use crate::domain::message::MessageStatus;
use crate::domain::reminder::ReminderMessage;
use crate::store::{Db, Result, StoreError, from_ts};

/// Every reminder row of `patient` (48 h, 24 h, same-day double; any status) as the planner's
/// taken keys, oldest first. Same rows as `of_kinds` with the reminder kinds, keys only.
pub fn reminder_keys(conn: &impl Db, patient: PatientId) -> Result<Vec<ReminderMessage>> {
    let conn = crate::store::sql(conn);
    // The WHERE repeats the index's own (direction, kinds) so SQLite may use it.
    let mut stmt = conn.prepare_cached(
        "SELECT idempotency_key, status, error_code FROM messages INDEXED BY messages_reminder_keys
          WHERE patient_id = ?1 AND direction = 'out'
            AND kind IN ('reminder-48h', 'reminder-24h', 'same-day-double')
            AND idempotency_key IS NOT NULL
          ORDER BY id",
    )?;
    let rows = stmt.query_map(params![patient.0], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?))
    })?;
    rows.map(|row| {
        let (key, status, error_code) = row?;
        let status = MessageStatus::parse(&status).ok_or_else(|| StoreError::Corrupt {
            what: "messages.status",
            value: status.clone(),
        })?;
        Ok(ReminderMessage {
            key,
            status,
            error_code,
        })
    })
    .collect()
}

/// When the newest outbound message that left (or may still leave) was written or sent;
/// `exclude` leaves out the one being re-checked before it goes.
pub fn last_outbound_at(
    conn: &impl Db,
    patient: PatientId,
    exclude: Option<MessageId>,
) -> Result<Option<DateTime<Utc>>> {
    let conn = crate::store::sql(conn);
    let mut stmt = conn.prepare_cached(
        "SELECT MAX(COALESCE(sent_at, created_at)) FROM messages INDEXED BY messages_out_by_patient
          WHERE patient_id = ?1 AND direction = 'out' AND id != ?2
            AND status NOT IN ('blocked', 'withdrawn', 'failed', 'undelivered')",
    )?;
    let t: Option<i64> = stmt.query_row(params![patient.0, exclude.map_or(-1, |m| m.0)], |r| {
        r.get(0)
    })?;
    t.map(from_ts).transpose()
}
