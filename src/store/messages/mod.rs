//! Messages in both directions, and replies.
//!
//! Exactly once (SPEC §5.8): an outbound row is inserted under its UNIQUE idempotency key
//! *before* the provider is called; a second insert with the same key is a no-op that reports
//! the existing row, so a retry or a concurrent run can never create a second message.
//! Inbound messages and the reply inbox are in [`inbound`].

use crate::store::{Db, Write};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, Row, params};

use super::{Result, StoreError, from_ts, ts};
use crate::domain::ids::{AppointmentId, MessageId, PatientId};
use crate::domain::message::{Direction, Message, MessageKind, MessageStatus};

mod inbound;
pub(crate) mod parts;
pub(crate) mod planner;
pub use inbound::*;
pub use planner::{
    OutboundHistory, RecentOutbound, last_outbound, outbound_history, reminder_keys,
};

#[cfg(test)]
mod inbound_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod write_tests;

/// An outbound message about to be recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOutbound<'a> {
    pub kind: MessageKind,
    pub patient_id: Option<PatientId>,
    pub appointment_id: Option<AppointmentId>,
    pub idempotency_key: &'a str,
    pub to: &'a str,
    pub body: &'a str,
    pub encoding: &'a str,
    pub segments: u32,
    /// `Pending` (about to be sent), `Queued` (outbox), `Blocked` (PHI gate).
    pub status: MessageStatus,
    pub provider: &'a str,
    pub findings: Option<&'a str>,
    pub created_by: &'a str,
    pub now: DateTime<Utc>,
    pub not_before: Option<DateTime<Utc>>,
    /// Withdrawn, never sent, at or after this instant.
    pub send_by: Option<DateTime<Utc>>,
}

/// Insert an outbound row. Returns `Ok(Some(id))` when new, `Ok(None)` when a row with the same
/// idempotency key already exists (nothing is written).
pub fn insert_outbound(conn: &impl Write, m: &NewOutbound<'_>) -> Result<Option<MessageId>> {
    insert_row(conn, m, &Start::recorded(m))
}

/// What a new outbound row holds beyond [`NewOutbound`]: nothing handed over yet
/// ([`Start::recorded`]), or already handed over and answered ([`insert_settled`]).
struct Start<'a> {
    status: MessageStatus,
    updated_at: DateTime<Utc>,
    provider_id: Option<&'a str>,
    sent_at: Option<DateTime<Utc>>,
    attempts: u32,
    error_code: Option<&'a str>,
    delivered_at: Option<DateTime<Utc>>,
}

impl Start<'_> {
    fn recorded(m: &NewOutbound<'_>) -> Self {
        Start {
            status: m.status,
            updated_at: m.now,
            provider_id: None,
            sent_at: None,
            attempts: 0,
            error_code: None,
            delivered_at: None,
        }
    }
}

/// The one outbound insert: the row, then its reminder listing (`parts`).
fn insert_row(conn: &impl Write, m: &NewOutbound<'_>, s: &Start<'_>) -> Result<Option<MessageId>> {
    let conn = crate::store::sql(conn);
    // ON CONFLICT DO NOTHING on the key: the unique index is the arbiter, not a prior SELECT,
    // so two processes racing on the same reminder cannot both insert.
    let n = conn
        .prepare_cached(
            "INSERT INTO messages (direction, kind, patient_id, appointment_id, idempotency_key, to_number,
                                   body, encoding, segments, status, provider, findings, created_by,
                                   created_at, not_before, updated_at, send_by, provider_id, sent_at,
                                   attempts, error_code, delivered_at)
             VALUES ('out', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17, ?18, ?19, ?20, ?21)
             ON CONFLICT (idempotency_key) DO NOTHING",
        )?
        .execute(params![
            m.kind.as_str(),
            m.patient_id.map(|p| p.0),
            m.appointment_id.map(|a| a.0),
            m.idempotency_key,
            m.to,
            m.body,
            m.encoding,
            m.segments,
            s.status.as_str(),
            m.provider,
            m.findings,
            m.created_by,
            ts(m.now),
            m.not_before.map(ts),
            ts(s.updated_at),
            m.send_by.map(ts),
            s.provider_id,
            s.sent_at.map(ts),
            s.attempts,
            s.error_code,
            s.delivered_at.map(ts),
        ])?;
    if n != 1 {
        return Ok(None);
    }
    let id = MessageId(conn.last_insert_rowid());
    parts::list(conn, id, m.kind, m.idempotency_key)?;
    Ok(Some(id))
}

const COLUMNS: &str = "id, direction, kind, patient_id, appointment_id, idempotency_key, to_number, from_number,
    body, status, provider, provider_id, error_code, error_message, findings, created_by, created_at,
    not_before, sent_at, updated_at, attempts, send_by";

type Raw = (
    (
        i64,
        String,
        String,
        Option<i64>,
        Option<i64>,
        Option<String>,
        String,
        Option<String>,
    ),
    (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    ),
    (String, i64, Option<i64>, Option<i64>, i64, u32, Option<i64>),
);

fn from_row(r: &Row<'_>) -> rusqlite::Result<Raw> {
    Ok((
        (
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
            r.get(7)?,
        ),
        (
            r.get(8)?,
            r.get(9)?,
            r.get(10)?,
            r.get(11)?,
            r.get(12)?,
            r.get(13)?,
            r.get(14)?,
        ),
        (
            r.get(15)?,
            r.get(16)?,
            r.get(17)?,
            r.get(18)?,
            r.get(19)?,
            r.get(20)?,
            r.get(21)?,
        ),
    ))
}

fn check(raw: Raw) -> Result<Message> {
    let (
        (id, direction, kind, patient, appt, key, to, from),
        (body, status, provider, pid, code, emsg, findings),
        rest,
    ) = raw;
    let (created_by, created_at, not_before, sent_at, updated_at, attempts, send_by) = rest;
    let corrupt = |what, value: &str| StoreError::Corrupt {
        what,
        value: value.to_string(),
    };
    Ok(Message {
        id: MessageId(id),
        direction: Direction::parse(&direction)
            .ok_or_else(|| corrupt("messages.direction", &direction))?,
        kind: MessageKind::parse(&kind).ok_or_else(|| corrupt("messages.kind", &kind))?,
        patient_id: patient.map(PatientId),
        appointment_id: appt.map(AppointmentId),
        idempotency_key: key,
        to,
        from,
        body,
        status: MessageStatus::parse(&status).ok_or_else(|| corrupt("messages.status", &status))?,
        provider: provider.into(),
        provider_id: pid,
        error_code: code,
        error_message: emsg,
        findings,
        created_by,
        created_at: from_ts(created_at)?,
        not_before: not_before.map(from_ts).transpose()?,
        sent_at: sent_at.map(from_ts).transpose()?,
        updated_at: from_ts(updated_at)?,
        attempts,
        send_by: send_by.map(from_ts).transpose()?,
    })
}

fn query(conn: &Connection, filter: &str, args: impl rusqlite::Params) -> Result<Vec<Message>> {
    let sql = format!("SELECT {COLUMNS} FROM messages {filter}");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(args, from_row)?;
    rows.map(|r| check(r?)).collect()
}

pub fn get(conn: &impl Db, id: MessageId) -> Result<Message> {
    let conn = crate::store::sql(conn);
    query(conn, "WHERE id = ?1", params![id.0])?
        .pop()
        .ok_or(StoreError::NotFound {
            what: "message",
            id: id.to_string(),
        })
}

pub fn by_key(conn: &impl Db, key: &str) -> Result<Option<Message>> {
    let conn = crate::store::sql(conn);
    Ok(query(conn, "WHERE idempotency_key = ?1", params![key])?.pop())
}

/// Record the provider's answer to a send: its id and the status it reported.
pub fn mark_handed_over(
    conn: &impl Write,
    id: MessageId,
    provider: &str,
    provider_id: &str,
    status: MessageStatus,
    now: DateTime<Utc>,
) -> Result<()> {
    let conn = crate::store::sql(conn);
    conn.prepare_cached(
        "UPDATE messages SET provider = ?2, provider_id = ?3, status = ?4, sent_at = COALESCE(sent_at, ?5),
                updated_at = ?5, attempts = attempts + 1, error_code = NULL, error_message = NULL
          WHERE id = ?1",
    )?
    .execute(params![id.0, provider, provider_id, status.as_str(), ts(now)])?;
    Ok(())
}

/// How a text of the demo's history ended: handed over as `provider_id` at `handed_over`,
/// answered with `status` (and `error_code`) at `answered`.
#[derive(Clone, Copy, Debug)]
pub struct Settled<'a> {
    pub provider_id: &'a str,
    pub status: MessageStatus,
    pub error_code: Option<&'a str>,
    pub handed_over: DateTime<Utc>,
    pub answered: DateTime<Utc>,
}

/// Record `m` as already handed over to `m.provider` and answered (`m.status` is not used):
/// the row [`insert_outbound`], [`mark_handed_over`] with `sent` and [`apply_provider_status`]
/// would leave — a `sent` answer changes nothing, and `delivered_at` is the answer's time as
/// the `messages_delivered_at` trigger sets it — in one write instead of three, each of which
/// moved the row in seven indexes. The demo's history writes its texts this way (issue 7: the
/// demo seed's cost). `None` when the key is taken, as [`insert_outbound`].
pub fn insert_settled(
    conn: &impl Write,
    m: &NewOutbound<'_>,
    s: &Settled<'_>,
) -> Result<Option<MessageId>> {
    let moved = rank(s.status) > rank(MessageStatus::Sent);
    let (status, updated_at) = if moved {
        (s.status, s.answered)
    } else {
        (MessageStatus::Sent, s.handed_over)
    };
    let start = Start {
        status,
        updated_at,
        provider_id: Some(s.provider_id),
        sent_at: Some(s.handed_over),
        attempts: 1,
        error_code: s.error_code.filter(|_| moved),
        delivered_at: (status == MessageStatus::Delivered).then_some(updated_at),
    };
    insert_row(conn, m, &start)
}

/// Mark a row `pending` for a send through `provider`, committed by the caller *before* the
/// provider is called (SPEC §5.8): whatever state it waited in (offline outbox, a transient
/// error, a quiet-hours deferral), a crash during the call then leaves it `pending`, and it is
/// reconciled before any retry. An id given by another provider (the offline outbox's `OB…`)
/// is cleared: it says nothing about what `provider` holds.
pub fn begin_attempt(
    conn: &impl Write,
    id: MessageId,
    provider: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let conn = crate::store::sql(conn);
    conn.prepare_cached(
        "UPDATE messages SET status = 'pending', updated_at = ?3,
                provider_id = CASE WHEN provider = ?2 THEN provider_id END, provider = ?2
          WHERE id = ?1 AND direction = 'out' AND status IN ('pending', 'queued')",
    )?
    .execute(params![id.0, provider, ts(now)])?;
    Ok(())
}

/// The filter of [`unsent_to`], through `messages_waiting` (as [`WAITING_TO_SEND`]).
const UNSENT_TO: &str = "WHERE direction = 'out' AND to_number = ?1 AND provider_id IS NULL
   AND status IN ('pending', 'queued')
 ORDER BY created_at, id";

/// Outbound rows to `to` that are not sent and have no provider id, oldest first: the rows a
/// message found at the provider may belong to.
pub fn unsent_to(conn: &impl Db, to: &str) -> Result<Vec<Message>> {
    let conn = crate::store::sql(conn);
    query(conn, UNSENT_TO, params![to])
}

/// Record a failed attempt. `status` is `Failed` for a permanent error, or stays `Pending`/
/// `Queued` for a transient one that will be retried.
pub fn mark_attempt_failed(
    conn: &impl Write,
    id: MessageId,
    status: MessageStatus,
    code: Option<&str>,
    message: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let conn = crate::store::sql(conn);
    conn.prepare_cached(
        "UPDATE messages SET status = ?2, error_code = ?3, error_message = ?4, updated_at = ?5,
                attempts = attempts + 1
          WHERE id = ?1",
    )?
    .execute(params![id.0, status.as_str(), code, message, ts(now)])?;
    Ok(())
}

/// Set the status of an unsent message (e.g. `Withdrawn` after a re-check), with the reason.
pub fn set_status(
    conn: &impl Write,
    id: MessageId,
    status: MessageStatus,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let conn = crate::store::sql(conn);
    conn.prepare_cached("UPDATE messages SET status = ?2, error_message = COALESCE(?3, error_message), updated_at = ?4 WHERE id = ?1")?
        .execute(params![id.0, status.as_str(), reason, ts(now)])?;
    Ok(())
}

/// Keep a waiting text queued until `until` (quiet hours or a cap).
pub fn defer(
    conn: &impl Write,
    id: MessageId,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    let conn = crate::store::sql(conn);
    conn.prepare_cached(
        "UPDATE messages SET status = 'queued', not_before = ?2, updated_at = ?3 WHERE id = ?1",
    )?
    .execute(params![id.0, ts(until), ts(now)])?;
    Ok(())
}

/// Apply a delivery status reported by the provider. Returns the message, if it is ours.
/// A status never moves backwards (a late "sent" after "delivered" is ignored).
pub fn apply_provider_status(
    conn: &impl Write,
    provider: &str,
    provider_id: &str,
    status: MessageStatus,
    error_code: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<Message>> {
    let conn = crate::store::sql(conn);
    // Delivery statuses are about our outbound texts only.
    let Some(current) = by_provider_id(conn, Direction::Outbound, provider, provider_id)? else {
        return Ok(None);
    };
    if rank(status) > rank(current.status) {
        conn.prepare_cached("UPDATE messages SET status = ?2, error_code = COALESCE(?3, error_code), updated_at = ?4 WHERE id = ?1")?
            .execute(params![current.id.0, status.as_str(), error_code, ts(now)])?;
        return get(conn, current.id).map(Some);
    }
    Ok(Some(current))
}

/// Order of outbound progress; final failures outrank everything but delivery.
fn rank(s: MessageStatus) -> u8 {
    match s {
        MessageStatus::Pending => 0,
        MessageStatus::Queued => 1,
        MessageStatus::Sent => 2,
        MessageStatus::Failed | MessageStatus::Undelivered => 3,
        MessageStatus::Delivered => 4,
        MessageStatus::Blocked | MessageStatus::Withdrawn | MessageStatus::Received => 5,
    }
}

/// The filter of [`waiting_to_send`]. `status IN` as `messages_waiting` says it, word for word
/// — SQLite uses a partial index only for a query holding its WHERE term — so the few texts
/// not yet handed over are read through it instead of every message being scanned (20 s before
/// a clinic group's batch could start).
const WAITING_TO_SEND: &str = "WHERE direction = 'out' AND status IN ('pending', 'queued')
   AND (status = 'pending'
        OR (status = 'queued' AND (provider_id IS NULL OR provider = 'outbox')))
 ORDER BY id";

/// Outbound texts still to be handed to a provider: rows a crash (or an unknown outcome) left
/// `pending`, rows the offline outbox holds, and rows a transient error left `queued` without
/// a provider id. A row a real provider accepted as "queued" is *not* here — it has left, and
/// only its delivery status is to come (sending it again would text the patient twice).
pub fn waiting_to_send(conn: &impl Db) -> Result<Vec<Message>> {
    let conn = crate::store::sql(conn);
    query(conn, WAITING_TO_SEND, [])
}

/// The filter of [`for_patient`]: each direction through its own partial index
/// (`messages_out_by_patient`, `messages_in_by_patient`: migration 18 dropped the one index of
/// both), merged by a sort of the patient's rows.
pub(crate) const FOR_PATIENT: &str = "WHERE patient_id = ?1 AND direction = 'out'
 UNION ALL SELECT {COLUMNS} FROM messages WHERE patient_id = ?1 AND direction = 'in'
 ORDER BY created_at, id";

/// One patient's messages, both directions, oldest first.
pub fn for_patient(conn: &impl Db, patient: PatientId) -> Result<Vec<Message>> {
    let conn = crate::store::sql(conn);
    query(
        conn,
        &FOR_PATIENT.replace("{COLUMNS}", COLUMNS),
        params![patient.0],
    )
}

/// A patient's outbound rows of these kinds, any status, oldest first.
pub fn of_kinds(conn: &impl Db, patient: PatientId, kinds: &[MessageKind]) -> Result<Vec<Message>> {
    let conn = crate::store::sql(conn);
    Ok(query(
        conn,
        "WHERE patient_id = ?1 AND direction = 'out' ORDER BY id",
        params![patient.0],
    )?
    .into_iter()
    .filter(|m| kinds.contains(&m.kind))
    .collect())
}

/// Read by [`provider_ids_to`] through `messages_provider_ids_by_number` (migration 11).
const PROVIDER_IDS_TO: &str = "SELECT provider_id FROM messages
  WHERE direction = 'out' AND to_number = ?1 AND provider_id IS NOT NULL";

/// Provider ids already recorded for texts to this number (reconciliation must not reuse one).
pub fn provider_ids_to(conn: &impl Db, to: &str) -> Result<Vec<String>> {
    let conn = crate::store::sql(conn);
    let mut stmt = conn.prepare_cached(PROVIDER_IDS_TO)?;
    let rows = stmt.query_map(params![to], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The filters of [`by_provider_id`], one per direction. Each names its direction as a
/// literal, as its partial index (`outbound_by_provider_id`, `inbound_by_provider_id`,
/// migration 4) says it: with the direction bound as a parameter SQLite cannot use either, and
/// every delivery status `sync` applied read the whole messages table.
pub(crate) const BY_PROVIDER_ID_OUT: &str =
    "WHERE direction = 'out' AND provider = ?1 AND provider_id = ?2 ORDER BY id";
pub(crate) const BY_PROVIDER_ID_IN: &str =
    "WHERE direction = 'in' AND provider = ?1 AND provider_id = ?2 ORDER BY id";

/// The message a provider knows by this id in one direction, if it is ours. Outbound ids
/// may repeat (a mock answers every create with one sid): the newest row wins.
pub fn by_provider_id(
    conn: &impl Db,
    direction: Direction,
    provider: &str,
    provider_id: &str,
) -> Result<Option<Message>> {
    let conn = crate::store::sql(conn);
    let filter = match direction {
        Direction::Outbound => BY_PROVIDER_ID_OUT,
        Direction::Inbound => BY_PROVIDER_ID_IN,
    };
    Ok(query(conn, filter, params![provider, provider_id])?.pop())
}
