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
/// covers). Reminder keys start with `reminder:`; the range test on the key keeps this
/// inside the covering index `messages_by_created`. Keys are read in place, not copied.
pub fn reminder_covers(
    conn: &impl Db,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<ReminderCover>> {
    let conn = super::sql(conn);
    let mut stmt = conn.prepare_cached(
        "SELECT idempotency_key, status FROM messages
          WHERE created_at >= ?1 AND created_at < ?2 AND direction = 'out'
            AND idempotency_key >= 'reminder:' AND idempotency_key < 'reminder;'",
    )?;
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
/// index step and one table lookup per row).
fn all_consent_events(conn: &Connection) -> Result<Vec<(PatientId, ConsentEvent)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT patient_id, kind, method, evidence, recorded_by, recorded_at, id
           FROM consent_events",
    )?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
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
        out.push((PatientId(r.get(0)?), r.get::<_, i64>(6)?, event));
    }
    out.sort_unstable_by_key(|(p, id, e)| (*p, e.at, *id));
    Ok(out.into_iter().map(|(p, _, e)| (p, e)).collect())
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
/// before the appointment it covers). On a file database the reminder rows, consent and
/// mobile numbers are read on a second, read-only connection while this one reads the
/// appointments: two cores, about half the wait at clinic-group scale. (Each connection
/// reads its own snapshot; a text sent in between may be counted or not, as at any moment.)
/// An in-memory database reads them in turn.
pub fn period_rows(
    conn: &impl Db,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    reminders_from: DateTime<Utc>,
) -> Result<PeriodRows> {
    let conn = super::sql(conn);
    let side = |c: &Connection| -> Result<_> {
        Ok((
            reminder_covers(c, reminders_from, to)?,
            consent_timelines(c)?,
            patients_with_mobile(c)?,
        ))
    };
    let Some(path) = conn
        .path()
        .filter(|p| !p.is_empty())
        .map(std::path::PathBuf::from)
    else {
        let (reminders, consent, mobiles) = side(conn)?;
        return Ok(PeriodRows {
            appointments: appointments(conn, from, to)?,
            opt_outs: opt_outs(conn, from, to)?,
            reminders,
            consent,
            mobiles,
        });
    };
    std::thread::scope(|s| {
        let other = s.spawn(move || -> Result<_> {
            let c = Connection::open_with_flags(
                &path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            super::cipher::key_like_before(&c, &path)?;
            c.busy_timeout(std::time::Duration::from_secs(5))?;
            c.pragma_update(None, "mmap_size", 256 * 1024 * 1024)?;
            side(&c)
        });
        let appointments = appointments(conn, from, to)?;
        let opt_outs = opt_outs(conn, from, to)?;
        let (reminders, consent, mobiles) = other.join().map_err(|_| {
            StoreError::Conflict("the statistics reader stopped unexpectedly".into())
        })??;
        Ok(PeriodRows {
            appointments,
            reminders,
            opt_outs,
            consent,
            mobiles,
        })
    })
}

/// Every patient's consent over time, as the statistics read it.
pub fn consent_timelines(conn: &impl Db) -> Result<ConsentTimelines> {
    let conn = super::sql(conn);
    let events = all_consent_events(conn)?;
    let mut out = ConsentTimelines::default();
    let mut buffer: Vec<ConsentEvent> = Vec::new();
    let mut current = None;
    for (p, e) in events {
        if current.is_some_and(|c| c != p) {
            if let Some(c) = current {
                out.push(c, &buffer);
            }
            buffer.clear();
        }
        current = Some(p);
        buffer.push(e);
    }
    if let Some(c) = current {
        out.push(c, &buffer);
    }
    Ok(out)
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
