//! The rows the statistics are computed from, each read by one indexed range query (see
//! `docs/BENCHMARKS.md` for the query plans): a period's appointments by start time, the
//! reminder rows that may cover them by creation time, opt-outs by recording time, and the
//! consent events and mobile numbers eligibility is judged on.

use crate::store::Db;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::{Result, StoreError, from_ts, ts};
use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent::{ConsentEvent, ConsentKind, ConsentMethod};
use crate::domain::consent_history::ConsentTimelines;
use crate::domain::ids::{AppointmentId, AppointmentTypeId, ClinicianId, PatientId};
use crate::domain::message::MessageStatus;
use crate::domain::stats::{AppointmentFacts, PatientSet, ReminderCover};

fn corrupt(what: &'static str, value: &str) -> StoreError {
    StoreError::Corrupt {
        what,
        value: value.to_string(),
    }
}

/// Appointments starting in `[from, to)`, any status. Answered from the covering index
/// `appointments_by_start` alone.
pub fn appointments(
    conn: &impl Db,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<AppointmentFacts>> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached(
        "SELECT id, patient_id, clinician_id, type_id, start_at, status, booked_at,
                cancelled_at, confirmed_at
           FROM appointments WHERE start_at >= ?1 AND start_at < ?2",
    )?;
    let mut rows = stmt.query(params![ts(from), ts(to)])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let status = r.get_ref(5)?.as_str().map_err(rusqlite::Error::from)?;
        let opt_ts = |i| -> Result<Option<DateTime<Utc>>> {
            r.get::<_, Option<i64>>(i)?.map(from_ts).transpose()
        };
        out.push(AppointmentFacts {
            id: AppointmentId(r.get(0)?),
            patient_id: PatientId(r.get(1)?),
            clinician_id: ClinicianId(r.get(2)?),
            type_id: AppointmentTypeId(r.get(3)?),
            start: from_ts(r.get(4)?)?,
            status: AppointmentStatus::parse(status)
                .ok_or_else(|| corrupt("appointments.status", status))?,
            booked_at: from_ts(r.get(6)?)?,
            cancelled_at: opt_ts(7)?,
            confirmed_at: opt_ts(8)?,
        });
    }
    Ok(out)
}

/// What the outbound reminder rows created in `[from, to)` cover (the caller widens the
/// window by the earliest reminder offset: a reminder is written before the appointment it
/// covers). Reminder keys start with `reminder:`; the partial index
/// `messages_reminders_by_created` (migration 13) holds exactly those rows. It is named:
/// without statistics SQLite rates it no better than `messages_by_created`, which would walk
/// every message of the period, replies included — twice the pages. Keys are read in place,
/// not copied.
pub fn reminder_covers(
    conn: &impl Db,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<ReminderCover>> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached(REMINDER_ROWS)?;
    let mut rows = stmt.query(params![ts(from), ts(to)])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let status = r.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
        let status =
            MessageStatus::parse(status).ok_or_else(|| corrupt("messages.status", status))?;
        let key = r.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
        out.extend(ReminderCover::from_key(key, status));
    }
    Ok(out)
}

/// The reminder rows created in `[?1, ?2)`: key and status (see [`reminder_covers`]).
pub(crate) const REMINDER_ROWS: &str = "SELECT idempotency_key, status
       FROM messages INDEXED BY messages_reminders_by_created
      WHERE created_at >= ?1 AND created_at < ?2 AND direction = 'out'
        AND idempotency_key >= 'reminder:' AND idempotency_key < 'reminder;'";

/// When each opt-out recorded in `[from, to)` was recorded (index `consent_by_recorded`).
pub fn opt_outs(
    conn: &impl Db,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached(
        "SELECT recorded_at FROM consent_events
          WHERE recorded_at >= ?1 AND recorded_at < ?2 AND kind = 'opt_out'",
    )?;
    let rows = stmt.query_map(params![ts(from), ts(to)], |r| r.get::<_, i64>(0))?;
    rows.map(|r| from_ts(r?)).collect()
}

/// Every consent event with its patient, in (patient, time, recording) order. Read in
/// table order and sorted here: a sequential scan beats SQLite's plan for the ORDER BY (one
/// index step and one table lookup per row). Only the small keys are sorted (93,000 events
/// in a group); each event then moves once into place.
fn all_consent_events(conn: &Connection) -> Result<Vec<(PatientId, ConsentEvent)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT patient_id, kind, method, evidence, recorded_by, recorded_at, id
           FROM consent_events",
    )?;
    let mut rows = stmt.query([])?;
    let mut events: Vec<Option<(PatientId, ConsentEvent)>> = Vec::new();
    let mut order: Vec<(PatientId, DateTime<Utc>, i64, usize)> = Vec::new();
    while let Some(r) = rows.next()? {
        let kind = r.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
        let method = r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
        let event = ConsentEvent {
            kind: ConsentKind::parse(kind).ok_or_else(|| corrupt("consent_events.kind", kind))?,
            method: ConsentMethod::parse(method)
                .ok_or_else(|| corrupt("consent_events.method", method))?,
            evidence: r.get(3)?,
            recorded_by: r.get(4)?,
            at: from_ts(r.get(5)?)?,
        };
        let patient = PatientId(r.get(0)?);
        order.push((patient, event.at, r.get(6)?, events.len()));
        events.push(Some((patient, event)));
    }
    order.sort_unstable();
    Ok(order
        .into_iter()
        .filter_map(|(.., i)| events.get_mut(i).and_then(Option::take))
        .collect())
}

/// Every patient's consent events, oldest first (ties in recording order).
pub fn consent_events(conn: &impl Db) -> Result<HashMap<PatientId, Vec<ConsentEvent>>> {
    let conn = super::sql(conn);
    let mut out: HashMap<PatientId, Vec<ConsentEvent>> = HashMap::new();
    for (p, e) in all_consent_events(conn)? {
        out.entry(p).or_default().push(e);
    }
    Ok(out)
}

/// Everything the statistics read for the appointments starting in `[from, to)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeriodRows {
    pub appointments: Vec<AppointmentFacts>,
    pub reminders: Vec<ReminderCover>,
    pub opt_outs: Vec<DateTime<Utc>>,
    pub consent: ConsentTimelines,
    pub mobiles: PatientSet,
}

/// Read a period's rows; reminders are read from `reminders_from` (a reminder is written
/// before the appointment it covers). On a file database three connections read at once:
/// this one the appointments and opt-outs, a read-only one the reminder rows, another the
/// consent and mobile numbers — at clinic-group scale the three are about even for 12
/// weeks (40–70 ms each), and the two cores share them. (Each connection reads its own
/// snapshot; a text sent in between may be counted or not, as at any moment.) An in-memory
/// database reads them in turn.
pub fn period_rows(
    conn: &impl Db,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    reminders_from: DateTime<Utc>,
) -> Result<PeriodRows> {
    let conn = super::sql(conn);
    let people =
        |c: &Connection| -> Result<_> { Ok((consent_timelines(c)?, patients_with_mobile(c)?)) };
    let Some(path) = conn
        .path()
        .filter(|p| !p.is_empty())
        .map(std::path::PathBuf::from)
    else {
        let (consent, mobiles) = people(conn)?;
        return Ok(PeriodRows {
            appointments: appointments(conn, from, to)?,
            reminders: reminder_covers(conn, reminders_from, to)?,
            opt_outs: opt_outs(conn, from, to)?,
            consent,
            mobiles,
        });
    };
    std::thread::scope(|s| {
        let path = path.as_path();
        let reminders =
            s.spawn(move || read_aside(path, |c| reminder_covers(c, reminders_from, to)));
        let people = s.spawn(move || read_aside(path, people));
        let appointments = appointments(conn, from, to)?;
        let opt_outs = opt_outs(conn, from, to)?;
        let reminders = joined(reminders)?;
        let (consent, mobiles) = joined(people)?;
        Ok(PeriodRows {
            appointments,
            reminders,
            opt_outs,
            consent,
            mobiles,
        })
    })
}

/// `read` on a new read-only connection to the same (keyed) file.
fn read_aside<T>(path: &std::path::Path, read: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    let c = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    super::cipher::key_like_before(&c, path)?;
    c.busy_timeout(std::time::Duration::from_secs(5))?;
    c.pragma_update(None, "mmap_size", 256 * 1024 * 1024)?;
    read(&c)
}

fn joined<T>(reader: std::thread::ScopedJoinHandle<'_, Result<T>>) -> Result<T> {
    reader
        .join()
        .map_err(|_| StoreError::Conflict("the statistics reader stopped unexpectedly".into()))?
}

/// Every patient's consent over time, as the statistics read it: one ordered walk of the
/// covering index `consent_by_patient` (migration 13), each patient's events gathered in a
/// buffer whose strings are reused, so a practice's 93,000 events cost no allocation each.
pub fn consent_timelines(conn: &impl Db) -> Result<ConsentTimelines> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached(
        "SELECT patient_id, kind, method, evidence, recorded_by, recorded_at FROM consent_events
          ORDER BY patient_id, recorded_at, id",
    )?;
    let mut rows = stmt.query([])?;
    let mut out = ConsentTimelines::default();
    let mut buffer: Vec<ConsentEvent> = Vec::new();
    let mut used = 0;
    let mut current = None;
    while let Some(r) = rows.next()? {
        let patient = PatientId(r.get(0)?);
        if current != Some(patient) {
            if let Some(c) = current {
                out.push(c, &buffer[..used]);
            }
            current = Some(patient);
            used = 0;
        }
        if used == buffer.len() {
            buffer.push(ConsentEvent {
                kind: ConsentKind::OptOut,
                method: ConsentMethod::WrittenForm,
                evidence: None,
                recorded_by: String::new(),
                at: DateTime::UNIX_EPOCH,
            });
        }
        if let Some(event) = buffer.get_mut(used) {
            read_event_into(r, event)?;
        }
        used += 1;
    }
    if let Some(c) = current {
        out.push(c, &buffer[..used]);
    }
    Ok(out)
}

/// Overwrite `e` with the row (columns 1–5 of [`consent_timelines`]' query), reusing its
/// strings' memory.
fn read_event_into(r: &rusqlite::Row<'_>, e: &mut ConsentEvent) -> Result<()> {
    let text = |i| -> Result<Option<&str>> {
        Ok(r.get_ref(i)?
            .as_str_or_null()
            .map_err(rusqlite::Error::from)?)
    };
    let kind = text(1)?.unwrap_or_default();
    e.kind = ConsentKind::parse(kind).ok_or_else(|| corrupt("consent_events.kind", kind))?;
    let method = text(2)?.unwrap_or_default();
    e.method =
        ConsentMethod::parse(method).ok_or_else(|| corrupt("consent_events.method", method))?;
    match (text(3)?, &mut e.evidence) {
        (None, evidence) => *evidence = None,
        (Some(t), Some(kept)) => {
            kept.clear();
            kept.push_str(t);
        }
        (Some(t), evidence) => *evidence = Some(t.to_string()),
    }
    e.recorded_by.clear();
    e.recorded_by.push_str(text(4)?.unwrap_or_default());
    e.at = from_ts(r.get(5)?)?;
    Ok(())
}

/// Patients who have a mobile number (index `patients_by_mobile`).
pub fn patients_with_mobile(conn: &impl Db) -> Result<PatientSet> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached("SELECT id FROM patients WHERE mobile IS NOT NULL")?;
    let rows = stmt.query_map([], |r| r.get::<_, i64>(0))?;
    rows.map(|r| Ok(PatientId(r?))).collect()
}

pub use crate::domain::stats::DrillLine;

/// The drill-down's lines for these appointments, in the order given (unknown ids skipped).
pub fn drill_lines(conn: &impl Db, ids: &[AppointmentId]) -> Result<Vec<DrillLine>> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached(
        "SELECT a.patient_id, p.last_name || ', ' || p.first_name, a.start_at, c.display_name,
                t.name, a.status
           FROM appointments a
           JOIN patients p ON p.id = a.patient_id
           JOIN clinicians c ON c.id = a.clinician_id
           JOIN appointment_types t ON t.id = a.type_id
          WHERE a.id = ?1",
    )?;
    let mut out = Vec::with_capacity(ids.len());
    for &id in ids {
        let mut rows = stmt.query(params![id.0])?;
        if let Some(r) = rows.next()? {
            let status: String = r.get(5)?;
            out.push(DrillLine {
                id,
                patient_id: PatientId(r.get(0)?),
                patient: r.get(1)?,
                start: from_ts(r.get(2)?)?,
                clinician: r.get(3)?,
                type_name: r.get(4)?,
                status: AppointmentStatus::parse(&status)
                    .ok_or_else(|| corrupt("appointments.status", &status))?,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
