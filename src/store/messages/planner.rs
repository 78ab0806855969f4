//! What the reminder planner reads of its patients' outbound history, for many patients in one
//! statement each (a day of a clinic group is ~1,400 patients; one statement per patient and
//! read cost ~6 µs of preparing, binding and resetting alone): the reminder rows naming the
//! visits planned and where each stands (by `reminder_parts`, migration 15), the texts of
//! the last days that count against the caps, and when the last text that left (or may still
//! leave) was written or sent — both from one range of `messages_out_by_patient` (migration
//! 16), or for a patient with nothing recent from its newest entries (one or two).
//! On a clinic group's five years a patient has ~45 outbound rows, each on its own page of a
//! multi-GB table (docs/BENCHMARKS.md).
//!
//! The patients are bound as one JSON array (`json_each`): SQLite walks it in order and seeks
//! each patient in the index, so the rows come grouped by patient.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rusqlite::params;

use crate::domain::ids::{AppointmentId, MessageId, PatientId};
use crate::domain::message::{MessageKind, MessageStatus};
use crate::domain::reminder::{ReminderMessage, holds_part};
use crate::store::{Db, Result, StoreError, from_ts, id_list, ts};

/// [`reminder_keys`]: the reminder rows listed under the visits (migration 15's
/// `reminder_parts`, written with every reminder row), each read by its id. The visits are walked in id
/// order, each one's entries together; a row naming two of them comes twice.
pub(crate) const REMINDER_KEYS: &str =
    "SELECT m.patient_id, m.id, m.idempotency_key, m.status, m.error_code
       FROM json_each(?1) v
      CROSS JOIN reminder_parts r ON r.appointment_id = v.value
      CROSS JOIN messages m ON m.id = r.message_id
      WHERE m.direction = 'out' AND m.kind IN ('reminder-48h', 'reminder-24h', 'same-day-double')
        AND m.idempotency_key IS NOT NULL AND m.patient_id IS NOT NULL";

/// [`last_outbound`]: per patient the newest first from its index (ordered by the same
/// expression), so one or two entries are read rather than the patient's whole history.
pub(crate) const LAST_OUTBOUND: &str = "SELECT p.value,
      (SELECT COALESCE(sent_at, created_at) FROM messages INDEXED BY messages_out_by_patient
        WHERE patient_id = p.value AND direction = 'out' AND id != ?2
          AND status NOT IN ('blocked', 'withdrawn', 'failed', 'undelivered')
        ORDER BY COALESCE(sent_at, created_at) DESC
        LIMIT 1)
     FROM json_each(?1) p";

/// The reminder rows (48 h, 24 h, same-day double; any status) of each patient of `parts`
/// whose key holds one of that patient's parts ([`key_part`] of the visits being planned, see
/// [`holds_part`]), as the planner's taken keys: by patient, each patient's oldest first.
/// `visits` are the ids of those visits: a row can only hold a visit's part if its key names
/// the visit's id right behind a `:` or `+`, and every such row is listed under that id in
/// `reminder_parts` (migration 15), so only the rows naming the visits are read — ~2 per
/// visit, where a patient's five years of reminders are ~25.
///
/// [`key_part`]: crate::domain::reminder::key_part
pub fn reminder_keys(
    conn: &impl Db,
    parts: &BTreeMap<PatientId, Vec<String>>,
    visits: &[AppointmentId],
) -> Result<Vec<ReminderMessage>> {
    let conn = crate::store::sql(conn);
    let mut ids: Vec<i64> = visits.iter().map(|a| a.0).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut stmt = conn.prepare_cached(REMINDER_KEYS)?;
    let mut rows = stmt.query(params![id_list(ids.into_iter())])?;
    let mut kept: Vec<(i64, i64, ReminderMessage)> = Vec::new();
    while let Some(r) = rows.next()? {
        let patient: i64 = r.get(0)?;
        let Some(wanted) = parts.get(&PatientId(patient)) else {
            continue;
        };
        // Looked at in place: only the rows that may matter become strings.
        let key = r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
        if !holds_part(key, wanted) {
            continue;
        }
        let key = key.to_string();
        let status: String = r.get(3)?;
        let status = MessageStatus::parse(&status).ok_or_else(|| StoreError::Corrupt {
            what: "messages.status",
            value: status.clone(),
        })?;
        let message = ReminderMessage {
            key,
            status,
            error_code: r.get(4)?,
        };
        kept.push((patient, r.get(1)?, message));
    }
    kept.sort_by_key(|(patient, id, _)| (*patient, *id));
    // A row naming two of the visits came once for each.
    kept.dedup_by_key(|(_, id, _)| *id);
    Ok(kept.into_iter().map(|(_, _, m)| m).collect())
}

/// For each of `patients` who has one, when the newest outbound message that left (or may
/// still leave) was written or sent; `exclude` leaves out the one being re-checked before it
/// goes.
pub fn last_outbound(
    conn: &impl Db,
    patients: &[PatientId],
    exclude: Option<MessageId>,
) -> Result<HashMap<PatientId, DateTime<Utc>>> {
    let conn = crate::store::sql(conn);
    let mut stmt = conn.prepare_cached(LAST_OUTBOUND)?;
    let mut rows = stmt.query(params![
        id_list(patients.iter().map(|p| p.0)),
        exclude.map_or(-1, |m| m.0)
    ])?;
    let mut out = HashMap::with_capacity(patients.len());
    while let Some(r) = rows.next()? {
        if let Some(t) = r.get::<_, Option<i64>>(1)? {
            out.insert(PatientId(r.get(0)?), from_ts(t)?);
        }
    }
    Ok(out)
}

/// [`outbound_history`]: the patients' outbound rows from `COALESCE(sent_at, created_at) >=
/// ?2` up, from migration 16's `messages_out_by_patient` alone (no table row).
pub(crate) const OUTBOUND_SINCE: &str =
    "SELECT patient_id, id, kind, status, COALESCE(sent_at, not_before, created_at), created_at,
            COALESCE(sent_at, created_at)
       FROM messages INDEXED BY messages_out_by_patient
      WHERE patient_id IN (SELECT value FROM json_each(?1)) AND direction = 'out'
        AND COALESCE(sent_at, created_at) >= ?2";

/// [`outbound_history`]: the patients' outbound rows written since `?2` whose recorded
/// sending is before their writing (a clock moved back), which [`OUTBOUND_SINCE`] may miss.
pub(crate) const SENT_BEFORE_WRITTEN: &str =
    "SELECT patient_id, id, kind, status, COALESCE(sent_at, not_before, created_at), created_at,
            COALESCE(sent_at, created_at)
       FROM messages INDEXED BY messages_sent_before_written
      WHERE patient_id IN (SELECT value FROM json_each(?1)) AND direction = 'out'
        AND sent_at < created_at AND created_at >= ?2";

/// What the planner reads of each patient's outbound history: the caps' recent rows and
/// [`last_outbound`] in one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutboundHistory {
    /// Each patient's outbound rows written since `since`, any status, oldest first.
    pub recent: HashMap<PatientId, Vec<RecentOutbound>>,
    /// For each patient who has one, when the newest outbound text that counts was sent or
    /// written (`exclude` left out).
    pub last: HashMap<PatientId, DateTime<Utc>>,
}

/// Each patient's outbound rows written since `since` (any status, oldest first) and
/// [`last_outbound`], mostly from one index range per patient (migration 16), exactly as a
/// read of the rows by writing time (`messages_by_patient`, before) and [`last_outbound`]
/// give them:
/// - a row written since `since` was sent after it was written, so it is in the range
///   `COALESCE(sent_at, created_at) >= since` — unless its sending is recorded before its
///   writing (a clock moved back), and those rows are read from their own small index;
/// - when a row of the range counts, the newest that counts is in the range (every row outside
///   it is older); only the patients with none are asked [`last_outbound`]'s query.
pub fn outbound_history(
    conn: &impl Db,
    patients: &[PatientId],
    since: DateTime<Utc>,
    exclude: Option<MessageId>,
) -> Result<OutboundHistory> {
    let mut ids: Vec<i64> = patients.iter().map(|p| p.0).collect();
    ids.sort_unstable();
    ids.dedup();
    let list = id_list(ids.iter().copied());
    let since = ts(since);
    let exclude = exclude.map_or(-1, |m| m.0);
    let mut out = OutboundHistory::default();
    let mut recent: HashMap<PatientId, Vec<(i64, RecentOutbound)>> = HashMap::new();
    let mut seen: std::collections::HashSet<i64> = std::collections::HashSet::new();
    let sql = crate::store::sql(conn);
    for query in [OUTBOUND_SINCE, SENT_BEFORE_WRITTEN] {
        let mut stmt = sql.prepare_cached(query)?;
        let mut rows = stmt.query(params![list, since])?;
        while let Some(r) = rows.next()? {
            let row = history_row(r)?;
            let patient = PatientId(row.patient);
            // Only the range says what the newest is: a row of the second query sent before
            // `since` may be older than a text outside both.
            if row.left_at >= since && counts(row.message.status) && row.message.id.0 != exclude {
                let at = from_ts(row.left_at)?;
                let last = out.last.entry(patient).or_insert(at);
                *last = (*last).max(at);
            }
            if row.written_at >= since && seen.insert(row.message.id.0) {
                recent
                    .entry(patient)
                    .or_default()
                    .push((row.written_at, row.message));
            }
        }
    }
    // Oldest first, as `recent_outbound` orders them (written, then id).
    out.recent = recent
        .into_iter()
        .map(|(p, mut rows)| {
            rows.sort_by_key(|(written, m)| (*written, m.id));
            (p, rows.into_iter().map(|(_, m)| m).collect())
        })
        .collect();
    let missing: Vec<PatientId> = ids
        .iter()
        .map(|&p| PatientId(p))
        .filter(|p| !out.last.contains_key(p))
        .collect();
    if !missing.is_empty() {
        let exclude = (exclude >= 0).then_some(MessageId(exclude));
        out.last.extend(last_outbound(conn, &missing, exclude)?);
    }
    Ok(out)
}

/// One row of [`OUTBOUND_SINCE`] or [`SENT_BEFORE_WRITTEN`].
struct HistoryRow {
    patient: i64,
    message: RecentOutbound,
    written_at: i64,
    /// `COALESCE(sent_at, created_at)`.
    left_at: i64,
}

fn history_row(r: &rusqlite::Row<'_>) -> Result<HistoryRow> {
    let corrupt = |what, value: &str| StoreError::Corrupt {
        what,
        value: value.to_string(),
    };
    let kind = r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
    let kind = MessageKind::parse(kind).ok_or_else(|| corrupt("messages.kind", kind))?;
    let status = r.get_ref(3)?.as_str().map_err(rusqlite::Error::from)?;
    let status = MessageStatus::parse(status).ok_or_else(|| corrupt("messages.status", status))?;
    Ok(HistoryRow {
        patient: r.get(0)?,
        message: RecentOutbound {
            id: MessageId(r.get(1)?),
            kind,
            status,
            at: from_ts(r.get(4)?)?,
        },
        written_at: r.get(5)?,
        left_at: r.get(6)?,
    })
}

/// The statuses [`LAST_OUTBOUND`] counts: a text that left, or may still leave.
fn counts(s: MessageStatus) -> bool {
    !matches!(
        s,
        MessageStatus::Blocked
            | MessageStatus::Withdrawn
            | MessageStatus::Failed
            | MessageStatus::Undelivered
    )
}

/// One outbound row of a patient's recent history, as the caps see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecentOutbound {
    pub id: MessageId,
    pub kind: MessageKind,
    pub status: MessageStatus,
    /// When it went: sent, else the time quiet hours held it to, else written.
    pub at: DateTime<Utc>,
}
