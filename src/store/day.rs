//! The day sheet's reads: one day's appointments with patient, clinician, type, consent and
//! latest reply, as a few set reads over the day (the day view must switch days in 5 ms at a
//! clinic group's busiest day).

use crate::store::Db;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use rusqlite::params;

use super::{Result, StoreError, consent, from_ts, ts};
use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent::ConsentFlag;
use crate::domain::day::{DayRow, DaySheet, PatientHit, PatientLine, in_sheet_order};
use crate::domain::ids::{AppointmentId, PatientId};
use crate::domain::reply::ReplyKind;

/// The UTC bounds of a local calendar day (DST-safe: 23 or 25 hours long when clocks change).
pub fn day_bounds(date: NaiveDate, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let start_of = |d: NaiveDate| {
        let midnight = d.and_hms_opt(0, 0, 0).unwrap_or_default();
        // A zone may skip midnight; take the earliest valid local time at or after it.
        tz.from_local_datetime(&midnight)
            .earliest()
            .or_else(|| {
                tz.from_local_datetime(&(midnight + chrono::Duration::hours(1)))
                    .earliest()
            })
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
    };
    (start_of(date), start_of(date.succ_opt().unwrap_or(date)))
}

/// One query over a day's visits as a pair: `[0]` reads the whole day (`?1`..`?2`), `[1]` one
/// patient's visits that day (`?3`, through `appointments_by_patient`). A kept day patched
/// patient by patient reads with `[1]` exactly what a whole load reads with `[0]`.
macro_rules! day_and_patient {
    ($head:expr, $a:literal, $rest:literal) => {
        [
            concat!(
                $head,
                " WHERE ",
                $a,
                ".start_at >= ?1 AND ",
                $a,
                ".start_at < ?2",
                $rest
            ),
            concat!(
                $head,
                " WHERE ",
                $a,
                ".patient_id = ?3 AND ",
                $a,
                ".start_at >= ?1 AND ",
                $a,
                ".start_at < ?2",
                $rest
            ),
        ]
    };
}

/// A day's visit as the sheet reads it, in [`VisitRow`]'s column order.
macro_rules! visit_columns {
    () => {
        "a.id, a.patient_id, a.start_at, a.duration_minutes, a.status, a.callback_requested,
         a.clinician_id, a.type_id, a.booked_at,
         -- A closure notice took this visit away (at this start): to rebook.
         EXISTS (SELECT 1 FROM rebookings rb
                  WHERE rb.appointment_id = a.id AND rb.start_at = a.start_at)"
    };
}

/// A patient's [`PatientLine`] from their row `p`, with their last consent event from the
/// row itself (migration 19) rather than `consent_events`.
macro_rules! line_columns {
    () => {
        "p.last_name || ', ' || p.first_name, p.mobile IS NOT NULL, p.portal_active,
         p.number_problem_code IS NOT NULL, p.consent_kind, p.consent_method, p.consent_evidence"
    };
}

// After the macros: textual scope.
mod lines;
mod replies;

use lines::{line_of, read_line};
pub use lines::{patient_lines, patient_lines_after};

/// The visits and their patients' lines. Clinician and type names come from [`Names`] (a few
/// dozen rows read once) rather than two joins per visit, and the latest reply from
/// [`replies::Latest`]'s two set reads rather than a correlated subquery per visit: the three
/// were most of the sheet's time at a clinic group's busiest day (docs/BENCHMARKS.md,
/// "Seventh session").
pub(crate) const SHEET: [&str; 2] = day_and_patient!(
    concat!(
        "SELECT ",
        visit_columns!(),
        ", ",
        line_columns!(),
        " FROM appointments a JOIN patients p ON p.id = a.patient_id"
    ),
    "a",
    ""
);

/// The visits alone, for a reader that keeps its patients' lines ([`sheet_knowing`]): from
/// `appointments_by_start` only, which covers them (migration 20).
pub(crate) const VISITS: [&str; 2] = day_and_patient!(
    concat!("SELECT ", visit_columns!(), " FROM appointments a"),
    "a",
    ""
);

/// Every query a day sheet reads (for the tests that check what the sheet depends on).
#[cfg(test)]
pub(crate) const SHEET_READS: &[&str] = &[
    SHEET[0],
    SHEET[1],
    VISITS[0],
    VISITS[1],
    replies::FILED[0],
    replies::FILED[1],
    replies::UNFILED[0],
    replies::UNFILED[1],
    lines::LINES_AFTER,
    lines::LINE_OF,
    replies::UNFILED_BETWEEN,
    replies::UNFILED_OF,
];

/// Which of a day's visits a read covers: all of them, or one patient's.
#[derive(Clone, Copy, Debug)]
struct Scope {
    from: i64,
    to: i64,
    patient: Option<i64>,
}

impl Scope {
    fn day(date: NaiveDate, tz: Tz) -> Self {
        let (from, to) = day_bounds(date, tz);
        Self {
            from: ts(from),
            to: ts(to),
            patient: None,
        }
    }

    fn of(self, patient: PatientId) -> Self {
        Self {
            patient: Some(patient.0),
            ..self
        }
    }

    /// Run the member of `sql` (a [`day_and_patient`] pair) for this scope.
    fn query<T>(
        self,
        conn: &rusqlite::Connection,
        sql: &[&str; 2],
        read: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let bound = [self.from, self.to, self.patient.unwrap_or_default()];
        let (sql, bound) = match self.patient {
            None => (sql[0], &bound[..2]),
            Some(_) => (sql[1], &bound[..]),
        };
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(bound), read)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// Every appointment of the local day `date`, in the day view's order, with reminder cells
/// empty (the messaging planner fills them).
pub fn sheet(conn: &impl Db, date: NaiveDate, tz: Tz) -> Result<DaySheet> {
    let rows = read_rows(super::sql(conn), &[Scope::day(date, tz)])?;
    Ok(in_order(date, tz, rows))
}

/// [`sheet`], for a reader that keeps patients' lines: the day's visits from their index
/// alone, each patient's line — and their unfiled replies — from `known`, and only a patient
/// not in it from their rows (then added to it). A day's visits are a few consecutive pages;
/// their patients, and their unfiled replies, are scattered over a table and an index, a
/// page each, and every page is read and decrypted again after any other connection commits
/// (SQLite empties a connection's page cache when the file changed under it). `known` must
/// hold lines as they are now: the caller drops the patients the change log names
/// (`workflow::day::DaysAhead`).
pub fn sheet_knowing(
    conn: &impl Db,
    date: NaiveDate,
    tz: Tz,
    known: &mut HashMap<PatientId, PatientLine>,
) -> Result<DaySheet> {
    let conn = super::sql(conn);
    let scope = Scope::day(date, tz);
    let visits = scope.query(conn, &VISITS, VisitRow::read)?;
    for visit in &visits {
        if let Entry::Vacant(e) = known.entry(PatientId(visit.patient)) {
            e.insert(line_of(conn, visit.patient)?);
        }
    }
    let mut latest = replies::Latest::default();
    latest.read_filed(conn, scope)?;
    let mut raw = Vec::with_capacity(visits.len());
    for visit in visits {
        let line = known.get(&PatientId(visit.patient));
        let line = line.ok_or_else(|| corrupt("patients.id", None))?;
        // The unfiled replies a row shows: sent since the visit was booked, by the day's end.
        for u in line.unfiled.iter() {
            let at = ts(u.at);
            if visit.booked <= at && at <= scope.to {
                let class = u.kind.map_or("", ReplyKind::as_str);
                latest.unfiled(visit.id, class, (at, u.message.0));
            }
        }
        // The row's copy of the line: its name, not the replies taken in above.
        let shown = PatientLine {
            name: line.name.clone(),
            unfiled: Box::new([]),
            ..*line
        };
        raw.push((visit, Ok(shown)));
    }
    let rows = assemble(conn, &latest, raw)?;
    Ok(in_order(date, tz, rows))
}

fn in_order(date: NaiveDate, tz: Tz, mut rows: Vec<DayRow>) -> DaySheet {
    in_sheet_order(&mut rows);
    DaySheet {
        date,
        tz,
        rows,
        cells_pending: false,
    }
}

/// The rows [`sheet`] would give for these patients' visits on `date` (each patient once),
/// in no particular order, reminder cells empty: what a kept day re-reads when the change
/// log names a few of its patients.
pub fn rows_of(
    conn: &impl Db,
    date: NaiveDate,
    tz: Tz,
    patients: &[PatientId],
) -> Result<Vec<DayRow>> {
    let day = Scope::day(date, tz);
    let scopes: Vec<Scope> = patients.iter().map(|p| day.of(*p)).collect();
    read_rows(super::sql(conn), &scopes)
}

/// The day rows of `scopes`' visits, with their patients' rows and latest replies.
fn read_rows(conn: &rusqlite::Connection, scopes: &[Scope]) -> Result<Vec<DayRow>> {
    let mut raw = Vec::new();
    let mut latest = replies::Latest::default();
    for scope in scopes {
        raw.extend(scope.query(conn, &SHEET, |r| {
            Ok((VisitRow::read(r)?, read_line(r, VisitRow::COLUMNS)?))
        })?);
        latest.read(conn, *scope)?;
    }
    assemble(conn, &latest, raw)
}

/// Day rows from visits, their patients' lines and the latest replies about them, with the
/// clinicians' and types' names.
fn assemble(
    conn: &rusqlite::Connection,
    latest: &replies::Latest,
    raw: Vec<(VisitRow, Result<PatientLine>)>,
) -> Result<Vec<DayRow>> {
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    let names = Names::read(conn)?;
    raw.into_iter()
        .map(|(visit, line)| {
            let reply = latest
                .of(visit.id, visit.patient)
                .and_then(ReplyKind::parse);
            visit.into_day_row(line?, reply, &names)
        })
        .collect()
}

/// Clinicians' display names and appointment types' neutral labels, by id: a practice has a
/// few dozen of each, so reading them whole is cheaper than a join per visit.
struct Names {
    clinicians: HashMap<i64, String>,
    types: HashMap<i64, String>,
}

impl Names {
    fn read(conn: &rusqlite::Connection) -> Result<Self> {
        let pairs = |sql: &str| -> Result<HashMap<i64, String>> {
            let mut stmt = conn.prepare_cached(sql)?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        };
        Ok(Self {
            clinicians: pairs("SELECT id, display_name FROM clinicians")?,
            types: pairs("SELECT id, sms_label FROM appointment_types")?,
        })
    }

    fn clinician(&self, id: i64) -> Result<String> {
        Self::named(&self.clinicians, id, "clinicians.id")
    }

    fn type_label(&self, id: i64) -> Result<String> {
        Self::named(&self.types, id, "appointment_types.id")
    }

    /// The name `id` has in `of`; a missing one is a row the foreign keys should have kept.
    fn named(of: &HashMap<i64, String>, id: i64, what: &'static str) -> Result<String> {
        of.get(&id).cloned().ok_or(StoreError::Corrupt {
            what,
            value: id.to_string(),
        })
    }
}

/// One visit of [`visit_columns`], in its column order.
struct VisitRow {
    id: i64,
    patient: i64,
    start: i64,
    duration: u32,
    status: Result<AppointmentStatus>,
    callback: bool,
    clinician: i64,
    type_id: i64,
    booked: i64,
    rebook: bool,
}

impl VisitRow {
    /// How many columns [`visit_columns`] has: a patient's line follows them in [`SHEET`].
    const COLUMNS: usize = 10;

    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            patient: r.get(1)?,
            start: r.get(2)?,
            duration: r.get(3)?,
            status: status(text(r, 4)?),
            callback: r.get(5)?,
            clinician: r.get(6)?,
            type_id: r.get(7)?,
            booked: r.get(8)?,
            rebook: r.get(9)?,
        })
    }

    /// The day view's row, reminder cells empty (the planner fills them).
    fn into_day_row(
        self,
        line: PatientLine,
        last_reply: Option<ReplyKind>,
        names: &Names,
    ) -> Result<DayRow> {
        Ok(DayRow {
            appointment_id: AppointmentId(self.id),
            patient_id: PatientId(self.patient),
            start: from_ts(self.start)?,
            duration_minutes: self.duration,
            patient_name: line.name.into_string(),
            clinician: names.clinician(self.clinician)?,
            type_label: names.type_label(self.type_id)?,
            status: self.status?,
            reminders: Vec::new(),
            last_reply,
            consent: line.consent,
            portal: line.portal,
            has_mobile: line.has_mobile,
            number_flagged: line.number_flagged,
            callback_requested: self.callback,
            rebook: self.rebook,
        })
    }
}

/// Column `i` as text, not copied (NULL: `None`).
fn text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<&'r str>> {
    r.get_ref(i)?.as_str_or_null().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// A value frontdesk cannot read in `what` (a row written outside it).
fn corrupt(what: &'static str, value: Option<&str>) -> StoreError {
    StoreError::Corrupt {
        what,
        value: value.unwrap_or("NULL").to_string(),
    }
}

fn status(value: Option<&str>) -> Result<AppointmentStatus> {
    value
        .and_then(AppointmentStatus::parse)
        .ok_or_else(|| corrupt("appointments.status", value))
}

/// Search hits with next open appointment and consent flag, for the desk's search list.
pub fn patient_hits(
    conn: &impl Db,
    query: &str,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<PatientHit>> {
    let conn = super::sql(conn);
    let found = super::patient_search::search(conn, query, limit)?;
    let ids: Vec<PatientId> = found.iter().map(|p| p.id).collect();
    let consent = consent::states(conn, &ids)?;
    let mut next: HashMap<PatientId, DateTime<Utc>> = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT MIN(start_at) FROM appointments
          WHERE patient_id = ?1 AND start_at >= ?2 AND status IN ('booked', 'confirmed')",
    )?;
    for id in &ids {
        let t: Option<i64> = stmt.query_row(params![id.0, ts(now)], |r| r.get(0))?;
        if let Some(t) = t {
            next.insert(*id, from_ts(t)?);
        }
    }
    Ok(found
        .into_iter()
        .map(|p| PatientHit {
            patient_id: p.id,
            name: p.list_name(),
            birth_date: p.birth_date,
            mobile_last4: p.mobile.as_ref().map(|m| m.last4().to_string()),
            next_appointment: next.get(&p.id).copied(),
            consent: consent
                .get(&p.id)
                .map(|s| s.flag())
                .unwrap_or(ConsentFlag::None),
        })
        .collect())
}

/// [`outbox_count`]'s query, through the partial index `messages_waiting` (its condition
/// word for word), not every message: the footer asks often.
pub(crate) const OUTBOX_COUNT: &str = "SELECT COUNT(*) FROM messages
  WHERE direction = 'out' AND status IN ('pending', 'queued')
    AND (provider_id IS NULL OR provider = 'outbox')";

/// Texts waiting to go out, for the footer's "outbox N": held by the offline outbox, or not
/// yet accepted by the provider (network down, crash before write-back).
pub fn outbox_count(conn: &impl Db) -> Result<i64> {
    let conn = super::sql(conn);
    Ok(conn.query_row(OUTBOX_COUNT, [], |r| r.get(0))?)
}

#[cfg(test)]
mod tests;
