//! Messages in both directions, and replies.
//!
//! Exactly once (SPEC §5.8): an outbound row is inserted under its UNIQUE idempotency key
//! *before* the provider is called; a second insert with the same key is a no-op that reports
//! the existing row, so a retry or a concurrent run can never create a second message.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Result, StoreError, from_ts, ts};
use crate::domain::ids::{AppointmentId, MessageId, PatientId};
use crate::domain::message::{Direction, Message, MessageKind, MessageStatus};
use crate::domain::reply::ReplyKind;

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
}

/// Insert an outbound row. Returns `Ok(Some(id))` when new, `Ok(None)` when a row with the same
/// idempotency key already exists (nothing is written).
pub fn insert_outbound(conn: &Connection, m: &NewOutbound<'_>) -> Result<Option<MessageId>> {
    // ON CONFLICT DO NOTHING on the key: the unique index is the arbiter, not a prior SELECT,
    // so two processes racing on the same reminder cannot both insert.
    let n = conn
        .prepare_cached(
            "INSERT INTO messages (direction, kind, patient_id, appointment_id, idempotency_key, to_number,
                                   body, encoding, segments, status, provider, findings, created_by,
                                   created_at, not_before, updated_at)
             VALUES ('out', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?13)
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
            m.status.as_str(),
            m.provider,
            m.findings,
            m.created_by,
            ts(m.now),
            m.not_before.map(ts),
        ])?;
    Ok((n == 1).then(|| MessageId(conn.last_insert_rowid())))
}

const COLUMNS: &str = "id, direction, kind, patient_id, appointment_id, idempotency_key, to_number, from_number,
    body, status, provider, provider_id, error_code, error_message, findings, created_by, created_at,
    not_before, sent_at, updated_at, attempts";

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
    (String, i64, Option<i64>, Option<i64>, i64, u32),
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
        ),
    ))
}

fn check(raw: Raw) -> Result<Message> {
    let (
        (id, direction, kind, patient, appt, key, to, from),
        (body, status, provider, pid, code, emsg, findings),
        rest,
    ) = raw;
    let (created_by, created_at, not_before, sent_at, updated_at, attempts) = rest;
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
        provider,
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
    })
}

fn query(conn: &Connection, filter: &str, args: impl rusqlite::Params) -> Result<Vec<Message>> {
    let sql = format!("SELECT {COLUMNS} FROM messages {filter}");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(args, from_row)?;
    rows.map(|r| check(r?)).collect()
}

pub fn get(conn: &Connection, id: MessageId) -> Result<Message> {
    query(conn, "WHERE id = ?1", params![id.0])?
        .pop()
        .ok_or(StoreError::NotFound {
            what: "message",
            id: id.to_string(),
        })
}

pub fn by_key(conn: &Connection, key: &str) -> Result<Option<Message>> {
    Ok(query(conn, "WHERE idempotency_key = ?1", params![key])?.pop())
}

/// Record the provider's answer to a send: its id and the status it reported.
pub fn mark_handed_over(
    conn: &Connection,
    id: MessageId,
    provider: &str,
    provider_id: &str,
    status: MessageStatus,
    now: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE messages SET provider = ?2, provider_id = ?3, status = ?4, sent_at = COALESCE(sent_at, ?5),
                updated_at = ?5, attempts = attempts + 1, error_code = NULL, error_message = NULL
          WHERE id = ?1",
    )?
    .execute(params![id.0, provider, provider_id, status.as_str(), ts(now)])?;
    Ok(())
}

/// Record a failed attempt. `status` is `Failed` for a permanent error, or stays `Pending`/
/// `Queued` for a transient one that will be retried.
pub fn mark_attempt_failed(
    conn: &Connection,
    id: MessageId,
    status: MessageStatus,
    code: Option<&str>,
    message: &str,
    now: DateTime<Utc>,
) -> Result<()> {
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
    conn: &Connection,
    id: MessageId,
    status: MessageStatus,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached("UPDATE messages SET status = ?2, error_message = COALESCE(?3, error_message), updated_at = ?4 WHERE id = ?1")?
        .execute(params![id.0, status.as_str(), reason, ts(now)])?;
    Ok(())
}

/// Keep a waiting text queued until `until` (quiet hours or a cap).
pub fn defer(
    conn: &Connection,
    id: MessageId,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE messages SET status = 'queued', not_before = ?2, updated_at = ?3 WHERE id = ?1",
    )?
    .execute(params![id.0, ts(until), ts(now)])?;
    Ok(())
}

/// Apply a delivery status reported by the provider. Returns the message, if it is ours.
/// A status never moves backwards (a late "sent" after "delivered" is ignored).
pub fn apply_provider_status(
    conn: &Connection,
    provider: &str,
    provider_id: &str,
    status: MessageStatus,
    error_code: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<Message>> {
    let Some(current) = query(
        conn,
        "WHERE provider = ?1 AND provider_id = ?2",
        params![provider, provider_id],
    )?
    .pop() else {
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

/// Record an inbound message; `None` if this provider id was already recorded (polls overlap).
#[allow(clippy::too_many_arguments)]
pub fn insert_inbound(
    conn: &Connection,
    patient: Option<PatientId>,
    from: &str,
    to: &str,
    body: &str,
    provider: &str,
    provider_id: &str,
    at: DateTime<Utc>,
) -> Result<Option<MessageId>> {
    let n = conn
        .prepare_cached(
            "INSERT INTO messages (direction, kind, patient_id, to_number, from_number, body, status, provider,
                                   provider_id, created_by, created_at, updated_at)
             VALUES ('in', 'reply', ?1, ?2, ?3, ?4, 'received', ?5, ?6, 'patient', ?7, ?7)
             ON CONFLICT (provider, provider_id) WHERE provider_id IS NOT NULL DO NOTHING",
        )?
        .execute(params![patient.map(|p| p.0), to, from, body, provider, provider_id, ts(at)])?;
    Ok((n == 1).then(|| MessageId(conn.last_insert_rowid())))
}

/// File an inbound message under a classification (and the appointment it answers).
pub fn classify_reply(
    conn: &Connection,
    message: MessageId,
    kind: ReplyKind,
    appointment: Option<AppointmentId>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO replies (message_id, classification, appointment_id) VALUES (?1, ?2, ?3)
         ON CONFLICT (message_id) DO UPDATE SET classification = excluded.classification",
    )?
    .execute(params![message.0, kind.as_str(), appointment.map(|a| a.0)])?;
    Ok(())
}

/// Unhandled replies that need a person (classification `other`), newest first.
pub fn inbox(conn: &Connection, limit: usize) -> Result<Vec<Message>> {
    query(
        conn,
        "WHERE id IN (SELECT message_id FROM replies WHERE handled_at IS NULL AND classification = 'other')
         ORDER BY created_at DESC, id DESC LIMIT ?1",
        params![limit as i64],
    )
}

pub fn inbox_count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM replies WHERE handled_at IS NULL AND classification = 'other'",
        [],
        |r| r.get(0),
    )?)
}

/// Mark a reply as dealt with.
pub fn mark_reply_handled(
    conn: &Connection,
    message: MessageId,
    by: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    conn.execute(
        "UPDATE replies SET handled_by = ?2, handled_at = ?3 WHERE message_id = ?1",
        params![message.0, by, ts(now)],
    )?;
    Ok(())
}

/// Outbound messages not yet final: the outbox and rows a crash may have left `pending`.
pub fn unfinished(conn: &Connection) -> Result<Vec<Message>> {
    query(
        conn,
        "WHERE direction = 'out' AND status IN ('pending', 'queued') ORDER BY id",
        [],
    )
}

/// Sent but not yet delivered or failed (for status polling).
pub fn awaiting_delivery(conn: &Connection, provider: &str) -> Result<Vec<Message>> {
    query(
        conn,
        "WHERE direction = 'out' AND provider = ?1 AND status = 'sent' AND provider_id IS NOT NULL ORDER BY id",
        params![provider],
    )
}

/// One patient's messages, both directions, oldest first.
pub fn for_patient(conn: &Connection, patient: PatientId) -> Result<Vec<Message>> {
    query(
        conn,
        "WHERE patient_id = ?1 ORDER BY created_at, id",
        params![patient.0],
    )
}

/// Outbound messages about these appointments (for reminder cells).
pub fn for_appointments(conn: &Connection, ids: &[AppointmentId]) -> Result<Vec<Message>> {
    let mut out = Vec::new();
    for id in ids {
        out.extend(query(
            conn,
            "WHERE appointment_id = ?1 AND direction = 'out' ORDER BY id",
            params![id.0],
        )?);
    }
    Ok(out)
}

/// When automated messages that count against the caps went (or will go) to this patient
/// since `since` — anything not blocked or withdrawn.
pub fn automated_since(
    conn: &Connection,
    patient: PatientId,
    since: DateTime<Utc>,
) -> Result<Vec<(MessageKind, DateTime<Utc>)>> {
    let rows = query(
        conn,
        "WHERE patient_id = ?1 AND direction = 'out' AND COALESCE(sent_at, not_before, created_at) >= ?2
           AND status NOT IN ('blocked', 'withdrawn', 'failed') ORDER BY id",
        params![patient.0, ts(since)],
    )?;
    Ok(rows
        .into_iter()
        .filter(|m| m.kind.counts_against_cap())
        .map(|m| (m.kind, m.sent_at.or(m.not_before).unwrap_or(m.created_at)))
        .collect())
}

/// The most recent outbound message to a patient of these kinds (e.g. the open reminder a
/// reply answers).
pub fn latest_outbound(
    conn: &Connection,
    patient: PatientId,
    kinds: &[MessageKind],
) -> Result<Option<Message>> {
    let all = query(
        conn,
        "WHERE patient_id = ?1 AND direction = 'out' AND status NOT IN ('blocked', 'withdrawn') ORDER BY id DESC LIMIT 50",
        params![patient.0],
    )?;
    Ok(all.into_iter().find(|m| kinds.contains(&m.kind)))
}

/// A patient's outbound rows since `since` (by creation), oldest first, any status.
pub fn outbound_since(
    conn: &Connection,
    patient: PatientId,
    since: DateTime<Utc>,
) -> Result<Vec<Message>> {
    query(
        conn,
        "WHERE patient_id = ?1 AND direction = 'out' AND created_at >= ?2 ORDER BY created_at, id",
        params![patient.0, ts(since)],
    )
}

/// When the newest outbound message that left (or may still leave) was written or sent.
pub fn last_outbound_at(
    conn: &Connection,
    patient: PatientId,
    exclude: Option<MessageId>,
) -> Result<Option<DateTime<Utc>>> {
    let t: Option<i64> = conn.query_row(
        "SELECT MAX(COALESCE(sent_at, created_at)) FROM messages
          WHERE patient_id = ?1 AND direction = 'out' AND id != ?2
            AND status NOT IN ('blocked', 'withdrawn', 'failed', 'undelivered')",
        params![patient.0, exclude.map_or(-1, |m| m.0)],
        |r| r.get(0),
    )?;
    t.map(from_ts).transpose()
}

/// A patient's outbound rows of these kinds, any status, oldest first.
pub fn of_kinds(
    conn: &Connection,
    patient: PatientId,
    kinds: &[MessageKind],
) -> Result<Vec<Message>> {
    Ok(query(
        conn,
        "WHERE patient_id = ?1 AND direction = 'out' ORDER BY id",
        params![patient.0],
    )?
    .into_iter()
    .filter(|m| kinds.contains(&m.kind))
    .collect())
}

/// Provider ids already recorded for texts to this number (reconciliation must not reuse one).
pub fn provider_ids_to(conn: &Connection, to: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT provider_id FROM messages WHERE direction = 'out' AND to_number = ?1 AND provider_id IS NOT NULL",
    )?;
    let rows = stmt.query_map(params![to], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A patient by mobile number (inbound replies arrive by number).
pub fn patient_by_mobile(conn: &Connection, mobile: &str) -> Result<Option<PatientId>> {
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
pub fn patients_by_mobile(conn: &Connection, mobile: &str) -> Result<Vec<PatientId>> {
    let mut stmt = conn.prepare_cached("SELECT id FROM patients WHERE mobile = ?1 ORDER BY id")?;
    let rows = stmt.query_map(params![mobile], |r| r.get(0))?;
    Ok(rows
        .collect::<rusqlite::Result<Vec<i64>>>()?
        .into_iter()
        .map(PatientId)
        .collect())
}

/// The message a provider knows by this id, if it is ours.
pub fn by_provider_id(
    conn: &Connection,
    provider: &str,
    provider_id: &str,
) -> Result<Option<Message>> {
    Ok(query(
        conn,
        "WHERE provider = ?1 AND provider_id = ?2",
        params![provider, provider_id],
    )?
    .pop())
}

/// How a patient's replies received at or after `since` were filed, oldest first.
pub fn replies_since(
    conn: &Connection,
    patient: PatientId,
    since: DateTime<Utc>,
) -> Result<Vec<(MessageId, ReplyKind)>> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::appointments::tests::{fixture, t};

    fn outbound<'a>(key: &'a str, p: PatientId) -> NewOutbound<'a> {
        NewOutbound {
            kind: MessageKind::Reminder24h,
            patient_id: Some(p),
            appointment_id: None,
            idempotency_key: key,
            to: "+12015550134",
            body: "Hi Ada, see you tomorrow at 9:00. Reply STOP to opt out.",
            encoding: "gsm7",
            segments: 1,
            status: MessageStatus::Pending,
            provider: "twilio",
            findings: None,
            created_by: "system",
            now: t(9, 0),
            not_before: None,
        }
    }

    #[test]
    fn the_idempotency_key_admits_one_row_only() {
        let (store, p, _, _) = fixture();
        let first = insert_outbound(store.conn(), &outbound("appt:1:1764000000:24", p)).unwrap();
        assert!(first.is_some());
        assert_eq!(
            insert_outbound(store.conn(), &outbound("appt:1:1764000000:24", p)).unwrap(),
            None
        );
        let row = by_key(store.conn(), "appt:1:1764000000:24")
            .unwrap()
            .unwrap();
        assert_eq!(Some(row.id), first);
        assert_eq!(row.status, MessageStatus::Pending);
    }

    #[test]
    fn send_outcome_then_statuses_only_move_forward() {
        let (store, p, _, _) = fixture();
        let id = insert_outbound(store.conn(), &outbound("k", p))
            .unwrap()
            .unwrap();
        mark_handed_over(
            store.conn(),
            id,
            "twilio",
            "SM1",
            MessageStatus::Queued,
            t(9, 1),
        )
        .unwrap();
        let m = apply_provider_status(
            store.conn(),
            "twilio",
            "SM1",
            MessageStatus::Delivered,
            None,
            t(9, 2),
        )
        .unwrap()
        .unwrap();
        assert_eq!(m.status, MessageStatus::Delivered);
        let m = apply_provider_status(
            store.conn(),
            "twilio",
            "SM1",
            MessageStatus::Sent,
            None,
            t(9, 3),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            m.status,
            MessageStatus::Delivered,
            "a late 'sent' does not undo 'delivered'"
        );
        assert_eq!(m.sent_at, Some(t(9, 1)));
        assert_eq!(m.attempts, 1);
        assert!(
            apply_provider_status(
                store.conn(),
                "twilio",
                "SM-unknown",
                MessageStatus::Sent,
                None,
                t(9, 3)
            )
            .unwrap()
            .is_none()
        );
    }

    #[test]
    fn inbound_is_deduplicated_by_provider_id_and_lands_in_the_inbox() {
        let (store, p, _, _) = fixture();
        let id = insert_inbound(
            store.conn(),
            Some(p),
            "+12015550134",
            "+15555550123",
            "running late",
            "twilio",
            "SMin1",
            t(9, 0),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            insert_inbound(
                store.conn(),
                Some(p),
                "+12015550134",
                "+15555550123",
                "running late",
                "twilio",
                "SMin1",
                t(9, 0)
            )
            .unwrap(),
            None
        );
        classify_reply(store.conn(), id, ReplyKind::Other, None).unwrap();
        assert_eq!(inbox_count(store.conn()).unwrap(), 1);
        assert_eq!(inbox(store.conn(), 10).unwrap()[0].body, "running late");
        mark_reply_handled(store.conn(), id, "desk", t(9, 5)).unwrap();
        assert_eq!(inbox_count(store.conn()).unwrap(), 0);
    }

    #[test]
    fn caps_count_automated_messages_but_not_keyword_answers() {
        let (store, p, _, _) = fixture();
        insert_outbound(store.conn(), &outbound("a", p)).unwrap();
        insert_outbound(
            store.conn(),
            &NewOutbound {
                kind: MessageKind::OptOutConfirmation,
                ..outbound("b", p)
            },
        )
        .unwrap();
        insert_outbound(
            store.conn(),
            &NewOutbound {
                status: MessageStatus::Blocked,
                ..outbound("c", p)
            },
        )
        .unwrap();
        let sent = automated_since(store.conn(), p, t(0, 0)).unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].0, MessageKind::Reminder24h);
    }

    #[test]
    fn unfinished_lists_pending_and_queued() {
        let (store, p, _, _) = fixture();
        let a = insert_outbound(store.conn(), &outbound("a", p))
            .unwrap()
            .unwrap();
        let b = insert_outbound(
            store.conn(),
            &NewOutbound {
                status: MessageStatus::Queued,
                provider: "outbox",
                ..outbound("b", p)
            },
        )
        .unwrap()
        .unwrap();
        let c = insert_outbound(store.conn(), &outbound("c", p))
            .unwrap()
            .unwrap();
        mark_attempt_failed(
            store.conn(),
            c,
            MessageStatus::Failed,
            Some("21211"),
            "invalid number",
            t(9, 1),
        )
        .unwrap();
        assert_eq!(
            unfinished(store.conn())
                .unwrap()
                .iter()
                .map(|m| m.id)
                .collect::<Vec<_>>(),
            vec![a, b]
        );
        assert_eq!(
            get(store.conn(), c).unwrap().error_code.as_deref(),
            Some("21211")
        );
    }

    #[test]
    fn lookups_by_mobile_provider_id_and_recent_replies() {
        let (store, p, _, _) = fixture();
        let mobile = "+12015550134";
        store
            .conn()
            .execute("UPDATE patients SET mobile = ?1", params![mobile])
            .unwrap();
        assert_eq!(patients_by_mobile(store.conn(), mobile).unwrap(), vec![p]);
        assert!(
            patients_by_mobile(store.conn(), "+12015550999")
                .unwrap()
                .is_empty()
        );

        let id = insert_outbound(store.conn(), &outbound("k", p))
            .unwrap()
            .unwrap();
        mark_handed_over(
            store.conn(),
            id,
            "twilio",
            "SM1",
            MessageStatus::Queued,
            t(9, 1),
        )
        .unwrap();
        assert_eq!(
            by_provider_id(store.conn(), "twilio", "SM1")
                .unwrap()
                .unwrap()
                .id,
            id
        );
        assert!(
            by_provider_id(store.conn(), "outbox", "SM1")
                .unwrap()
                .is_none()
        );

        let early = insert_inbound(
            store.conn(),
            Some(p),
            mobile,
            "+1",
            "C",
            "twilio",
            "SMa",
            t(9, 0),
        )
        .unwrap()
        .unwrap();
        let late = insert_inbound(
            store.conn(),
            Some(p),
            mobile,
            "+1",
            "?",
            "twilio",
            "SMb",
            t(10, 0),
        )
        .unwrap()
        .unwrap();
        classify_reply(store.conn(), early, ReplyKind::Confirm, None).unwrap();
        classify_reply(store.conn(), late, ReplyKind::Other, None).unwrap();
        assert_eq!(
            replies_since(store.conn(), p, t(9, 0)).unwrap(),
            vec![(early, ReplyKind::Confirm), (late, ReplyKind::Other)]
        );
        assert_eq!(
            replies_since(store.conn(), p, t(9, 30)).unwrap(),
            vec![(late, ReplyKind::Other)]
        );
    }

    #[test]
    fn messages_cannot_be_deleted() {
        let (store, p, _, _) = fixture();
        insert_outbound(store.conn(), &outbound("a", p)).unwrap();
        assert!(store.conn().execute("DELETE FROM messages", []).is_err());
    }
}
