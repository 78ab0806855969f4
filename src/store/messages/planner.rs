//! What the reminder planner reads of a patient's outbound history, through two partial
//! indexes of migration 11: the reminder rows' keys and where each stands (from the index
//! alone, no body), and when the last text that left (or may still leave) was written or sent
//! (the newest entries first; one or two rows read). On a clinic group's five years a patient
//! has ~45 outbound rows, each on its own page of a multi-GB table (docs/BENCHMARKS.md).

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use crate::domain::ids::{MessageId, PatientId};
use crate::domain::message::MessageStatus;
use crate::domain::reminder::ReminderMessage;
use crate::store::{Db, Result, StoreError, from_ts};

/// [`reminder_keys`]: the WHERE repeats the index's own (direction, kinds) so SQLite may use it.
pub(crate) const REMINDER_KEYS: &str =
    "SELECT idempotency_key, status, error_code FROM messages INDEXED BY messages_reminder_keys
          WHERE patient_id = ?1 AND direction = 'out'
            AND kind IN ('reminder-48h', 'reminder-24h', 'same-day-double')
            AND idempotency_key IS NOT NULL
          ORDER BY id";

/// [`last_outbound_at`]: the newest first from its index (ordered by the same expression), so
/// one or two entries are read rather than the patient's whole history.
pub(super) const LAST_OUTBOUND: &str = "SELECT COALESCE(sent_at, created_at)
     FROM messages INDEXED BY messages_out_by_patient
    WHERE patient_id = ?1 AND direction = 'out' AND id != ?2
      AND status NOT IN ('blocked', 'withdrawn', 'failed', 'undelivered')
    ORDER BY COALESCE(sent_at, created_at) DESC
    LIMIT 1";

/// The reminder rows of `patient` (48 h, 24 h, same-day double; any status) whose key holds
/// one of `needles` ([`part_needles`] of the visits being planned), as the planner's taken
/// keys, oldest first: five years of a patient's reminders are ~25 rows, of which the planner
/// only ever looks up the visits it plans, at their current start.
///
/// [`part_needles`]: crate::domain::reminder::part_needles
pub fn reminder_keys(
    conn: &impl Db,
    patient: PatientId,
    needles: &[String],
) -> Result<Vec<ReminderMessage>> {
    let conn = crate::store::sql(conn);
    let mut stmt = conn.prepare_cached(REMINDER_KEYS)?;
    let mut rows = stmt.query(params![patient.0])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        // Looked at in place: only the rows that may matter become strings.
        let key = r.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
        if !needles.iter().any(|n| key.contains(n.as_str())) {
            continue;
        }
        let key = key.to_string();
        let status: String = r.get(1)?;
        let status = MessageStatus::parse(&status).ok_or_else(|| StoreError::Corrupt {
            what: "messages.status",
            value: status.clone(),
        })?;
        out.push(ReminderMessage {
            key,
            status,
            error_code: r.get(2)?,
        });
    }
    Ok(out)
}

/// When the newest outbound message that left (or may still leave) was written or sent;
/// `exclude` leaves out the one being re-checked before it goes.
pub fn last_outbound_at(
    conn: &impl Db,
    patient: PatientId,
    exclude: Option<MessageId>,
) -> Result<Option<DateTime<Utc>>> {
    let conn = crate::store::sql(conn);
    let mut stmt = conn.prepare_cached(LAST_OUTBOUND)?;
    let t: Option<i64> = stmt
        .query_row(params![patient.0, exclude.map_or(-1, |m| m.0)], |r| {
            r.get(0)
        })
        .optional()?;
    t.map(from_ts).transpose()
}
