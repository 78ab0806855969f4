//! What the compliance and consent reviews and the audit export read: outbound bodies page
//! by page, the texts that left with their patients, and audit records in a period.

use crate::store::Db;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Result, StoreError, from_ts, ts};
use crate::domain::audit::AuditRecord;
use crate::domain::consent_history::SentText;
use crate::domain::ids::{MessageId, PatientId};
use crate::domain::message::{MessageKind, MessageStatus};

/// An outbound body as the compliance review re-scans it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboundBody {
    pub id: MessageId,
    pub kind: MessageKind,
    pub status: MessageStatus,
    pub patient_id: Option<PatientId>,
    /// When it left, or when it was written if it has not (yet).
    pub at: DateTime<Utc>,
    pub body: String,
}

/// Outbound bodies that left or may still leave (everything but blocked and withdrawn), in
/// id order after `after`, at most `limit`.
pub fn outbound_bodies(
    conn: &impl Db,
    after: MessageId,
    limit: usize,
) -> Result<Vec<OutboundBody>> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, status, patient_id, COALESCE(sent_at, created_at), body FROM messages
          WHERE id > ?1 AND direction = 'out' AND status NOT IN ('blocked', 'withdrawn')
          ORDER BY id LIMIT ?2",
    )?;
    let mut rows = stmt.query(params![after.0, limit as i64])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let (kind, status): (String, String) = (r.get(1)?, r.get(2)?);
        out.push(OutboundBody {
            id: MessageId(r.get(0)?),
            kind: MessageKind::parse(&kind).ok_or_else(|| StoreError::Corrupt {
                what: "messages.kind",
                value: kind.clone(),
            })?,
            status: MessageStatus::parse(&status).ok_or_else(|| StoreError::Corrupt {
                what: "messages.status",
                value: status.clone(),
            })?,
            patient_id: r.get::<_, Option<i64>>(3)?.map(PatientId),
            at: from_ts(r.get(4)?)?,
            body: r.get(5)?,
        });
    }
    Ok(out)
}

/// Every outbound text that was handed to a provider, per patient, oldest first.
pub fn sent_texts(conn: &impl Db) -> Result<HashMap<PatientId, Vec<SentText>>> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached(
        "SELECT patient_id, id, kind, sent_at FROM messages
          WHERE direction = 'out' AND sent_at IS NOT NULL AND patient_id IS NOT NULL
          ORDER BY patient_id, sent_at, id",
    )?;
    let mut rows = stmt.query([])?;
    let mut out: HashMap<PatientId, Vec<SentText>> = HashMap::new();
    while let Some(r) = rows.next()? {
        let kind: String = r.get(2)?;
        out.entry(PatientId(r.get(0)?)).or_default().push(SentText {
            id: MessageId(r.get(1)?),
            kind: MessageKind::parse(&kind).ok_or(StoreError::Corrupt {
                what: "messages.kind",
                value: kind,
            })?,
            sent_at: from_ts(r.get(3)?)?,
        });
    }
    Ok(out)
}

/// Audit records with `from <= at < to` (either bound optional) and id after `after`, in id
/// order, at most `limit`.
pub fn audit_records(
    conn: &impl Db,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    after: i64,
    limit: usize,
) -> Result<Vec<AuditRecord>> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, actor, actor_id, action, subject, detail, prev_hash, hash FROM audit
          WHERE id > ?1 AND at >= ?2 AND at < ?3 ORDER BY id LIMIT ?4",
    )?;
    let (lo, hi) = (from.map_or(i64::MIN, ts), to.map_or(i64::MAX, ts));
    super::audit::records(stmt.query(params![after, lo, hi, limit as i64])?)
}

/// The same, newest first, with id before `before`.
pub fn audit_records_before(
    conn: &impl Db,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    before: i64,
    limit: usize,
) -> Result<Vec<AuditRecord>> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, actor, actor_id, action, subject, detail, prev_hash, hash FROM audit
          WHERE id < ?1 AND at >= ?2 AND at < ?3 ORDER BY id DESC LIMIT ?4",
    )?;
    let (lo, hi) = (from.map_or(i64::MIN, ts), to.map_or(i64::MAX, ts));
    super::audit::records(stmt.query(params![before, lo, hi, limit as i64])?)
}
