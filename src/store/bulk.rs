//! Writing many rows at once: an import's appointments, the clinic-group generator's whole
//! practice. The rows are the same as the one-row writers' (`appointments::insert`,
//! `messages::insert_outbound` …); only the way they reach SQLite differs.
//!
//! Why it is faster: SQLite must be able to undo a statement alone when it writes several
//! rows (a multi-row insert, or one with an `AFTER INSERT` trigger, as appointments and
//! replies have) and may fail half way (a UNIQUE or CHECK constraint, an immediate foreign
//! key): before changing a page it copies it into a statement journal — a 4 KB copy for the
//! table page and each index page a row touches (a fifth of a 100,000-row import, a quarter
//! of the clinic-group load). Here the statements are `INSERT OR FAIL` (a failing row stops
//! the statement without undoing the rows before it) and foreign keys are checked at the
//! commit (`defer_foreign_keys`), so no statement journal is kept; an error still ends the
//! caller's whole transaction, so it stays all-or-nothing. Rows go [`values::CHUNK`] to a statement,
//! carry their own ids (the caller holds the write transaction, so [`next_id`] cannot be
//! raced), and come with the columns the insert triggers would fill (`confirmed_at`,
//! `cancelled_at`), so the triggers find nothing to do. Must not import workflow.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::{Result, Write, ts};
use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent::{ConsentKind, ConsentMethod};
use crate::domain::ids::{AppointmentId, AppointmentTypeId, ClinicianId, MessageId, PatientId};
use crate::domain::message::{Direction, MessageKind, MessageStatus};
use crate::domain::name_search::fold;
use crate::domain::reply::ReplyKind;

mod load;
mod release;
mod values;
pub use load::LoadSettings;
use values::{Col, Dict, Shape, bind, bound};

/// Tables whose next id [`next_id`] may be asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    Patients,
    Appointments,
    Messages,
    ConsentEvents,
}

impl Table {
    fn sql(self) -> &'static str {
        match self {
            Self::Patients => "SELECT COALESCE(MAX(id), 0) + 1 FROM patients",
            Self::Appointments => "SELECT COALESCE(MAX(id), 0) + 1 FROM appointments",
            Self::Messages => "SELECT COALESCE(MAX(id), 0) + 1 FROM messages",
            Self::ConsentEvents => "SELECT COALESCE(MAX(id), 0) + 1 FROM consent_events",
        }
    }
}

/// The id the next row of `table` gets (what SQLite would choose: one past the largest).
/// Only meaningful inside the write transaction that then inserts the rows.
pub fn next_id(conn: &impl Write, table: Table) -> Result<i64> {
    Ok(super::sql(conn)
        .prepare_cached(table.sql())?
        .query_row([], |r| r.get(0))?)
}

/// An appointment with its id and, where known, the moments the statistics read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BulkAppointment<'a> {
    pub id: AppointmentId,
    pub external_id: Option<&'a str>,
    pub patient_id: PatientId,
    pub clinician_id: ClinicianId,
    pub type_id: AppointmentTypeId,
    pub start: DateTime<Utc>,
    pub duration_minutes: u32,
    pub status: AppointmentStatus,
    pub booked_at: DateTime<Utc>,
    /// Who changed the status last, and when (`None`: as booked or imported).
    pub status_changed: Option<(&'a str, DateTime<Utc>)>,
    /// When it was confirmed (by reply or at the desk); required for a confirmed row.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// When it was cancelled, if known.
    pub cancelled_at: Option<DateTime<Utc>>,
    pub callback_requested: bool,
}

impl BulkAppointment<'_> {
    /// What the insert triggers of migration 8 would have set: a confirmed row without a
    /// confirmation time is confirmed as of its status change, else its booking.
    fn confirmed(&self) -> Option<i64> {
        self.confirmed_at
            .or_else(|| {
                (self.status == AppointmentStatus::Confirmed)
                    .then(|| self.status_changed.map_or(self.booked_at, |(_, at)| at))
            })
            .map(ts)
    }
}

const APPOINTMENT_COLUMNS: &str = "INSERT OR FAIL INTO appointments (id, external_id, patient_id, \
     clinician_id, type_id, start_at, duration_minutes, status, status_changed_by, \
     status_changed_at, booked_at, confirmed_at, cancelled_at, callback_requested) VALUES ";

/// Insert appointments whose ids are free (from [`next_id`]); `status` and who changed it are
/// coded ([`values`]).
pub fn insert_appointments(conn: &impl Write, rows: &[BulkAppointment<'_>]) -> Result<()> {
    let dicts = [
        Dict::all(AppointmentStatus::ALL.iter().map(|s| s.as_str())),
        Dict::of(rows.iter().map(|a| a.status_changed.map(|(by, _)| by))),
    ];
    let mut cols = bound::<14>();
    cols[7] = Col::Coded(0);
    cols[8] = Col::Coded(1);
    let shape = Shape {
        head: APPOINTMENT_COLUMNS,
        cols: &cols,
        dicts: &dicts,
    };
    values::insert(super::sql(conn), &shape, rows, |s, i, a| {
        bind(s, i, a.id.0)?;
        bind(s, i + 1, a.external_id)?;
        bind(s, i + 2, a.patient_id.0)?;
        bind(s, i + 3, a.clinician_id.0)?;
        bind(s, i + 4, a.type_id.0)?;
        bind(s, i + 5, ts(a.start))?;
        bind(s, i + 6, a.duration_minutes)?;
        bind(s, i + 7, dicts[0].code(Some(a.status.as_str())))?;
        bind(s, i + 8, dicts[1].code(a.status_changed.map(|(by, _)| by)))?;
        bind(s, i + 9, a.status_changed.map(|(_, at)| ts(at)))?;
        bind(s, i + 10, ts(a.booked_at))?;
        bind(s, i + 11, a.confirmed())?;
        bind(s, i + 12, a.cancelled_at.map(ts))?;
        bind(s, i + 13, a.callback_requested)
    })
}

/// A patient with its id; `mobile` is already E.164.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BulkPatient {
    pub id: PatientId,
    pub external_id: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub birth_date: Option<NaiveDate>,
    pub mobile: Option<String>,
    pub time_zone: Option<Tz>,
    pub portal_active: bool,
    pub created_at: DateTime<Utc>,
}

/// Insert patients whose ids are free.
pub fn insert_patients(conn: &impl Write, rows: &[BulkPatient]) -> Result<()> {
    const HEAD: &str = "INSERT OR FAIL INTO patients (id, external_id, first_name, last_name, birth_date, \
         mobile, time_zone, portal_active, created_at, search_last, search_first) VALUES ";
    let shape = Shape {
        head: HEAD,
        cols: &bound::<11>(),
        dicts: &[],
    };
    values::insert(super::sql(conn), &shape, rows, |s, i, p| {
        bind(s, i, p.id.0)?;
        bind(s, i + 1, p.external_id.as_deref())?;
        bind(s, i + 2, p.first_name.as_str())?;
        bind(s, i + 3, p.last_name.as_str())?;
        bind(
            s,
            i + 4,
            p.birth_date.map(|d| d.format("%Y-%m-%d").to_string()),
        )?;
        bind(s, i + 5, p.mobile.as_deref())?;
        bind(s, i + 6, p.time_zone.map(|z| z.name()))?;
        bind(s, i + 7, p.portal_active)?;
        bind(s, i + 8, ts(p.created_at))?;
        // The search's folded names (migration 12), as `patients::insert` writes them.
        bind(s, i + 9, fold(&p.last_name))?;
        bind(s, i + 10, fold(&p.first_name))
    })
}

/// A consent event (the table hands out its ids).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BulkConsent {
    pub patient_id: PatientId,
    pub kind: ConsentKind,
    pub method: ConsentMethod,
    pub evidence: Option<String>,
    pub recorded_by: &'static str,
    pub at: DateTime<Utc>,
}

/// Append consent events.
pub fn insert_consent(conn: &impl Write, rows: &[BulkConsent]) -> Result<()> {
    const HEAD: &str = "INSERT OR FAIL INTO consent_events (patient_id, kind, method, evidence, \
         recorded_by, recorded_at) VALUES ";
    let shape = Shape {
        head: HEAD,
        cols: &bound::<6>(),
        dicts: &[],
    };
    values::insert(super::sql(conn), &shape, rows, |s, i, c| {
        bind(s, i, c.patient_id.0)?;
        bind(s, i + 1, c.kind.as_str())?;
        bind(s, i + 2, c.method.as_str())?;
        bind(s, i + 3, c.evidence.as_deref())?;
        bind(s, i + 4, c.recorded_by)?;
        bind(s, i + 5, ts(c.at))
    })
}

/// A message in either direction, as it stands after its history (sent, delivered …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BulkMessage {
    pub id: MessageId,
    pub direction: Direction,
    pub kind: MessageKind,
    pub patient_id: PatientId,
    pub appointment_id: Option<AppointmentId>,
    /// Outbound only: the idempotency key (SPEC §5.8).
    pub idempotency_key: Option<String>,
    pub to: String,
    pub from: Option<String>,
    pub body: String,
    /// Outbound only: `gsm7` or `ucs2`, and the segments billed.
    pub encoding: Option<&'static str>,
    pub segments: Option<u32>,
    pub status: MessageStatus,
    pub provider: &'static str,
    pub provider_id: Option<String>,
    pub error_code: Option<&'static str>,
    pub created_by: &'static str,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// Insert messages whose ids are free, and list the reminders under the visits their keys
/// name (`reminder_parts`, as `messages::insert_outbound` does). The seven columns that repeat
/// a few values are coded ([`values`]); the listing goes in multi-row statements too.
pub fn insert_messages(conn: &impl Write, rows: &[BulkMessage]) -> Result<()> {
    const HEAD: &str = "INSERT OR FAIL INTO messages (id, direction, kind, patient_id, appointment_id, \
         idempotency_key, to_number, from_number, body, encoding, segments, status, provider, \
         provider_id, error_code, created_by, created_at, sent_at, updated_at, attempts, \
         delivered_at) VALUES ";
    let dicts = message_dicts(rows);
    let mut cols = bound::<21>();
    for (d, c) in [1, 2, 9, 11, 12, 14, 15].into_iter().enumerate() {
        cols[c] = Col::Coded(d);
    }
    let shape = Shape {
        head: HEAD,
        cols: &cols,
        dicts: &dicts,
    };
    let code = |d: usize, v: Option<&'static str>| dicts[d].code(v);
    values::insert(super::sql(conn), &shape, rows, |s, i, m| {
        bind(s, i, m.id.0)?;
        bind(s, i + 1, code(0, Some(m.direction.as_str())))?;
        bind(s, i + 2, code(1, Some(m.kind.as_str())))?;
        bind(s, i + 3, m.patient_id.0)?;
        bind(s, i + 4, m.appointment_id.map(|a| a.0))?;
        bind(s, i + 5, m.idempotency_key.as_deref())?;
        bind(s, i + 6, m.to.as_str())?;
        bind(s, i + 7, m.from.as_deref())?;
        bind(s, i + 8, m.body.as_str())?;
        bind(s, i + 9, code(2, m.encoding))?;
        bind(s, i + 10, m.segments)?;
        bind(s, i + 11, code(3, Some(m.status.as_str())))?;
        bind(s, i + 12, code(4, Some(m.provider)))?;
        bind(s, i + 13, m.provider_id.as_deref())?;
        bind(s, i + 14, code(5, m.error_code))?;
        bind(s, i + 15, code(6, Some(m.created_by)))?;
        bind(s, i + 16, ts(m.created_at))?;
        bind(s, i + 17, m.sent_at.map(ts))?;
        bind(s, i + 18, ts(m.updated_at))?;
        bind(s, i + 19, i64::from(m.direction == Direction::Outbound))?;
        bind(s, i + 20, m.delivered_at.map(ts))
    })?;
    list_reminders(conn, rows)
}

/// The dictionaries of [`insert_messages`]' coded columns, in the order its `cols` names them:
/// the enums' whole lists, the free texts as the call has them.
fn message_dicts(rows: &[BulkMessage]) -> [Dict<'static>; 7] {
    let directions = [Direction::Outbound, Direction::Inbound];
    [
        Dict::all(directions.iter().map(|d| d.as_str())),
        Dict::all(MessageKind::ALL.iter().map(|k| k.as_str())),
        Dict::of(rows.iter().map(|m| m.encoding)),
        Dict::all(MessageStatus::ALL.iter().map(|s| s.as_str())),
        Dict::of(rows.iter().map(|m| Some(m.provider))),
        Dict::of(rows.iter().map(|m| m.error_code)),
        Dict::of(rows.iter().map(|m| Some(m.created_by))),
    ]
}

/// Every outbound reminder of `rows` under each visit its key names (`messages::parts`), many
/// pairs a statement: one single-row statement per reminder was ~3 M statements in a clinic
/// group's load.
fn list_reminders(conn: &impl Write, rows: &[BulkMessage]) -> Result<()> {
    const HEAD: &str = "INSERT OR IGNORE INTO reminder_parts (appointment_id, message_id) VALUES ";
    let mut pairs = Vec::new();
    for m in rows {
        if let (Direction::Outbound, Some(key)) = (m.direction, &m.idempotency_key) {
            let visits = super::messages::parts::visits(m.kind, key);
            pairs.extend(visits.into_iter().map(|v| (v, m.id.0)));
        }
    }
    let shape = Shape {
        head: HEAD,
        cols: &bound::<2>(),
        dicts: &[],
    };
    values::insert(super::sql(conn), &shape, &pairs, |s, i, (visit, id)| {
        bind(s, i, visit)?;
        bind(s, i + 1, id)
    })
}

/// How an inbound message was read, and whether staff dealt with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BulkReply {
    pub message_id: MessageId,
    /// The text's patient and time of receipt, copied (migration 20): the caller has them at
    /// hand, and a trigger filling them would read the text again for every row.
    pub patient_id: Option<PatientId>,
    pub received_at: DateTime<Utc>,
    pub kind: ReplyKind,
    pub appointment_id: Option<AppointmentId>,
    pub handled: Option<(&'static str, DateTime<Utc>)>,
}

/// File inbound messages as replies (the confirm trigger of migration 8 runs for each).
pub fn insert_replies(conn: &impl Write, rows: &[BulkReply]) -> Result<()> {
    const HEAD: &str = "INSERT OR FAIL INTO replies (message_id, classification, appointment_id, \
         handled_by, handled_at, patient_id, received_at) VALUES ";
    let dicts = [
        Dict::all(ReplyKind::ALL.iter().map(|k| k.as_str())),
        Dict::of(rows.iter().map(|r| r.handled.map(|(by, _)| by))),
    ];
    let cols = [
        Col::Bound,
        Col::Coded(0),
        Col::Bound,
        Col::Coded(1),
        Col::Bound,
        Col::Bound,
        Col::Bound,
    ];
    let shape = Shape {
        head: HEAD,
        cols: &cols,
        dicts: &dicts,
    };
    values::insert(super::sql(conn), &shape, rows, |s, i, r| {
        bind(s, i, r.message_id.0)?;
        bind(s, i + 1, dicts[0].code(Some(r.kind.as_str())))?;
        bind(s, i + 2, r.appointment_id.map(|a| a.0))?;
        bind(s, i + 3, dicts[1].code(r.handled.map(|(by, _)| by)))?;
        bind(s, i + 4, r.handled.map(|(_, at)| ts(at)))?;
        bind(s, i + 5, r.patient_id.map(|p| p.0))?;
        bind(s, i + 6, ts(r.received_at))
    })
}

#[cfg(test)]
mod tests;
