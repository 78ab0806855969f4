//! Loading the day view and the desk's patient search.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::{Config, ProviderKind};
use crate::domain::appointment::Appointment;
use crate::domain::day::{DayRow, DaySheet, PatientHit};
use crate::domain::ids::{AppointmentId, PatientId};
use crate::domain::reminder::{
    self, CellsBeforeHistory, PatientFacts, PlanInput, ReminderCell, ReminderMessage,
};
use crate::store::{self, Db, Store, StoreError};
use crate::workflow::facts;

mod ahead;
mod known;
pub use ahead::{DaysAhead, PATCH_AT_MOST, Patch, Stamp};
pub use known::{Known, Reading};
pub use store::changes::Log;

/// The day sheet for the practice's local `date`, with each appointment's reminder cells:
/// what was recorded (message rows, and the decisions `remind` kept when a due reminder was
/// skipped, held or blocked), otherwise what the planner forecasts at `now`.
pub fn load(
    store: &Store,
    config: &Config,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> Result<DaySheet, StoreError> {
    store.read(|conn| load_in(conn, config, date, now))
}

/// Read `date` as a switch to it would — its sheet and reminder cells — and keep nothing:
/// the pages it needs are then in the connection's page cache, decrypted, so the first
/// switch after sign-in is a warm one (a freshly opened connection decrypts every page it
/// reads: 110–280 ms for a clinic group's day of 2,000, against ~16 ms warm). The visits
/// read: for the log.
pub fn warm(
    store: &Store,
    config: &Config,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    Ok(load(store, config, date, now)?.rows.len())
}

/// [`load`], with the change log's head in the same read: the mark the sheet is true at.
/// `known`: what is kept of every patient, as for [`load_sheet_marked`] and [`fill_cells`]
/// (the console's worker loading a day ahead: just after another desk's commit, a day of
/// 2,000 then reads its visits rather than a page per patient, twice).
pub fn load_marked(
    store: &Store,
    config: &Config,
    date: NaiveDate,
    now: DateTime<Utc>,
    known: Option<&mut Known>,
) -> Result<(DaySheet, i64), StoreError> {
    store.read(|conn| {
        let mark = store::changes::head(conn)?;
        let mut known = known_in_read(conn, known, mark)?;
        let mut sheet = sheet_in(conn, config, date, known.as_deref_mut())?;
        fill_in(conn, config, &mut sheet, now, known.map(Known::records))?;
        Ok((sheet, mark))
    })
}

/// `known` brought to the read's log head `head` (the log since its mark read in the same
/// read: another desk may have committed since the worker last checked it), or `None` when it
/// is not whole (then, or once the log has dropped it).
fn known_in_read<'k>(
    conn: &impl Db,
    known: Option<&'k mut Known>,
    head: i64,
) -> Result<Option<&'k mut Known>, StoreError> {
    let Some(known) = known else {
        return Ok(None);
    };
    bring_to_head(conn, known, head)?;
    Ok(if known.is_whole() { Some(known) } else { None })
}

/// `known` brought to the read's log head `head`: the log since its mark, read in the same
/// read, drops the patients changed since (or everything); with nothing kept, marked at it.
fn bring_to_head(conn: &impl Db, known: &mut Known, head: i64) -> Result<(), StoreError> {
    if let Some(mark) = known.behind(head) {
        known.catch_up(&store::changes::log_since(conn, mark)?);
    }
    known.at_head(head);
    Ok(())
}

/// A day's sheet, its cells empty: the patients' lines from `known` (brought to this read)
/// where it has them, else each visit's patient row read with it.
fn sheet_in(
    conn: &impl Db,
    config: &Config,
    date: NaiveDate,
    known: Option<&mut Known>,
) -> Result<DaySheet, StoreError> {
    let tz = config.practice.time_zone;
    match known {
        Some(known) => store::day::sheet_knowing(conn, date, tz, known.lines()),
        None => store::day::sheet(conn, date, tz),
    }
}

/// The change log after `mark` (what other desks, cron and this console wrote since).
pub fn changes_since(store: &Store, mark: i64) -> Result<Log, StoreError> {
    store.read(|conn| store::changes::log_since(conn, mark))
}

/// A day's sheet alone, its reminder cells pending (the day screen asks for them next), with
/// the change log's head read in the same transaction. A reader that keeps every patient
/// (the console's worker, `DaysAhead::known`) passes it as `known`: the day's visits are read
/// alone and the patients' lines taken from it (a patient not in it is read and added);
/// without, each visit's patient row is read with it.
pub fn load_sheet_marked(
    store: &Store,
    config: &Config,
    date: NaiveDate,
    known: Option<&mut Known>,
) -> Result<(DaySheet, i64), StoreError> {
    store.read(|conn| {
        let mark = store::changes::head(conn)?;
        let known = known_in_read(conn, known, mark)?;
        let mut sheet = sheet_in(conn, config, date, known)?;
        sheet.cells_pending = !sheet.rows.is_empty();
        Ok((sheet, mark))
    })
}

/// Patients read in one of the worker's idle steps (their lines, or their records): about
/// 7–10 ms at a clinic group, so a key pressed while every patient is being read hardly waits
/// (docs/BENCHMARKS.md, "Tenth session").
pub const PATIENTS_PER_STEP: usize = 10_000;

/// One step of reading every patient into `known` — the lines of up to `most` patients in id
/// order, and once all lines are in, their records — in a read of its own, what is already
/// kept brought to its log head first. How many patients it read; `None` when nothing is left
/// to read.
pub fn learn_step(
    store: &Store,
    config: &Config,
    known: &mut Known,
    most: usize,
) -> Result<Option<usize>, StoreError> {
    if known.records_whole() {
        return Ok(None);
    }
    store.read(|conn| {
        bring_to_head(conn, known, store::changes::head(conn)?)?;
        let lines_from = match known.next_read() {
            Reading::Done => return Ok(None),
            Reading::Lines => PatientId(0),
            Reading::LinesAfter(id) => id,
            Reading::RecordsAfter(from) => {
                let (records, next) = facts::records_after(conn, config, from, most)?;
                let read = records.len();
                known.add_records(records, next);
                return Ok(Some(read));
            }
        };
        let (lines, next) = store::day::patient_lines_after(conn, lines_from, most)?;
        let read = lines.len();
        known.add_lines(lines, next);
        Ok(Some(read))
    })
}

/// Every patient's line and record, read whole ([`learn_step`] until nothing is left).
pub fn read_known(store: &Store, config: &Config) -> Result<Known, StoreError> {
    let mut known = Known::default();
    while learn_step(store, config, &mut known, usize::MAX)?.is_some() {}
    Ok(known)
}

/// Fill a sheet's reminder cells (after [`load_sheet_marked`]), in a read of its own: a visit
/// booked since the sheet was read has no row to fill, and one gone keeps its cells empty —
/// the change log makes the console load the day again either way. `known`: what is kept of
/// every patient (the patients' record facts are then taken from it, not read).
pub fn fill_cells(
    store: &Store,
    config: &Config,
    sheet: &mut DaySheet,
    now: DateTime<Utc>,
    known: Option<&mut Known>,
) -> Result<(), StoreError> {
    store.read(|conn| {
        let known = match known {
            Some(known) => known_in_read(conn, Some(known), store::changes::head(conn)?)?,
            None => None,
        };
        fill_in(conn, config, sheet, now, known.map(Known::records))
    })
}

/// [`load`] inside one read transaction.
fn load_in(
    conn: &impl Db,
    config: &Config,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> Result<DaySheet, StoreError> {
    let mut sheet = store::day::sheet(conn, date, config.practice.time_zone)?;
    fill_in(conn, config, &mut sheet, now, None)?;
    Ok(sheet)
}

/// The reminder cells of `sheet`'s visits, read in `conn`'s transaction (`known`: kept record
/// facts true at it).
fn fill_in(
    conn: &impl Db,
    config: &Config,
    sheet: &mut DaySheet,
    now: DateTime<Utc>,
    known: Option<&mut HashMap<PatientId, facts::Record>>,
) -> Result<(), StoreError> {
    sheet.cells_pending = false;
    if sheet.rows.is_empty() {
        return Ok(());
    }
    let (from, to) = store::day::day_bounds(sheet.date, config.practice.time_zone);
    let appointments = store::appointments::starting_between(conn, from, to)?;
    put_cells(
        &mut sheet.rows,
        cells_in(conn, config, &appointments, now, known)?,
    );
    Ok(())
}

/// Each row's reminder cells from `cells` by visit (a row with none keeps its own).
fn put_cells(rows: &mut [DayRow], mut cells: HashMap<AppointmentId, Vec<ReminderCell>>) {
    for row in rows {
        if let Some(c) = cells.remove(&row.appointment_id) {
            row.reminders = c;
        }
    }
}

/// The rows of `patch`'s patients on its day, with their reminder cells, in one read: what a
/// kept day takes in place of theirs ([`DaysAhead::patched`]). A patient's rows and cells
/// depend on that patient's records alone (their visits, texts, replies, consent, caps), so
/// they come out as a whole load of the day would give them — which
/// `tests/kept_days.rs` and `a_patient_s_rows_are_read_alike_alone_or_with_the_day` check.
pub fn read_patch(
    store: &Store,
    config: &Config,
    patch: &Patch,
    now: DateTime<Utc>,
) -> Result<Vec<DayRow>, StoreError> {
    store.read(|conn| {
        let tz = config.practice.time_zone;
        let mut rows = store::day::rows_of(conn, patch.date, tz, &patch.patients)?;
        let (from, to) = store::day::day_bounds(patch.date, tz);
        let mut appointments = Vec::new();
        for p in &patch.patients {
            appointments.extend(store::appointments::of_patient_between(conn, *p, from, to)?);
        }
        if !appointments.is_empty() {
            put_cells(&mut rows, cells_in(conn, config, &appointments, now, None)?);
        }
        Ok(rows)
    })
}

/// Each appointment's reminder cells: recorded states (message rows, and the decisions
/// `remind` kept) win over the planner's forecast at `now`, which stays marked as one.
pub fn reminder_cells(
    store: &Store,
    config: &Config,
    appointments: &[Appointment],
    now: DateTime<Utc>,
) -> Result<HashMap<AppointmentId, Vec<ReminderCell>>, StoreError> {
    store.read(|conn| cells_in(conn, config, appointments, now, None))
}

/// [`reminder_cells`] inside one read transaction (`known`: kept record facts true at it).
fn cells_in(
    conn: &impl Db,
    config: &Config,
    appointments: &[Appointment],
    now: DateTime<Utc>,
    known: Option<&mut HashMap<PatientId, facts::Record>>,
) -> Result<HashMap<AppointmentId, Vec<ReminderCell>>, StoreError> {
    let cells = planned_cells(conn, config, appointments, now, known)?;
    let ids: Vec<AppointmentId> = appointments.iter().map(|a| a.id).collect();
    let decisions = store::reminder_decisions::for_appointments(conn, &ids)?;
    let starts: HashMap<AppointmentId, DateTime<Utc>> =
        appointments.iter().map(|a| (a.id, a.start)).collect();
    Ok(cells
        .into_iter()
        .map(|(id, c)| {
            let start = starts.get(&id).copied().unwrap_or(now);
            (id, reminder::merge_recorded(c, id, start, &decisions))
        })
        .collect())
}

/// The planner's cells for `appointments`, reading only what they turn on: the records of
/// the patients of visits still to come, and the outbound history of those the planner names
/// ([`reminder::reminder_cells_before_history`]). A past day reads no patient, and most days
/// to come no history; each of those reads is a random page per patient of a large table or
/// index, read again after any other desk's commit (docs/BENCHMARKS.md, "Ninth session"). A
/// reader that keeps every patient's record facts (`known`) reads no patient row at all
/// ("Tenth session").
fn planned_cells(
    conn: &impl Db,
    config: &Config,
    appointments: &[Appointment],
    now: DateTime<Utc>,
    known: Option<&mut HashMap<PatientId, facts::Record>>,
) -> Result<Vec<(AppointmentId, Vec<ReminderCell>)>, StoreError> {
    let to_come: Vec<PatientId> = appointments
        .iter()
        .filter(|a| reminder::plannable(a, now))
        .map(|a| a.patient_id)
        .collect();
    let (facts, unreadable) = facts::record_facts(conn, config, &to_come, known)?;
    facts::warn_unreadable(&unreadable);
    let messages = facts::reminder_rows(conn, appointments)?;
    let rules = &config.reminders;
    let mut facts: Vec<PatientFacts> = facts.into_values().collect();
    let input = cells_input(&facts, appointments, &messages);
    Ok(
        match reminder::reminder_cells_before_history(rules, now, &input) {
            CellsBeforeHistory::Ready(cells) => cells,
            CellsBeforeHistory::NeedHistory(patients) => {
                let wanted: std::collections::HashSet<PatientId> = patients.into_iter().collect();
                let which = facts.iter_mut().filter(|f| wanted.contains(&f.id));
                facts::add_history(conn, which, now, None)?;
                reminder::reminder_cells(rules, now, &cells_input(&facts, appointments, &messages))
            }
        },
    )
}

/// The planner's input for the cells: each reminder's own plan (the caps' look ahead over
/// the coming week is `remind`'s).
fn cells_input<'a>(
    patients: &'a [PatientFacts],
    appointments: &'a [Appointment],
    messages: &'a [ReminderMessage],
) -> PlanInput<'a> {
    PlanInput {
        patients,
        appointments,
        messages,
        later: &[],
    }
}

/// Most search hits the desk is shown; one more is fetched to know there are more.
pub const SEARCH_SHOWN: usize = 50;

/// Patients matching any part of a name (accents and case ignored) or digits of the mobile
/// number, with their next appointment: at most [`SEARCH_SHOWN`] + 1 (the extra one only
/// says "there are more").
pub fn search(
    store: &Store,
    query: &str,
    now: DateTime<Utc>,
) -> Result<Vec<PatientHit>, StoreError> {
    store::day::patient_hits(store, query, now, SEARCH_SHOWN + 1)
}

/// What the footer shows about sending: which provider, and how many texts wait in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderStatus {
    pub provider: ProviderKind,
    /// Whether the last contact with the provider worked (`None` before any contact).
    pub online: Option<bool>,
    pub outbox: i64,
}

/// The provider line of the footer.
pub fn provider_status(store: &Store, config: &Config) -> Result<ProviderStatus, StoreError> {
    Ok(ProviderStatus {
        provider: config.sms.provider,
        online: match config.sms.provider {
            ProviderKind::Outbox => Some(false),
            ProviderKind::Twilio => None,
        },
        outbox: store::day::outbox_count(&store)?,
    })
}

// reception
/// A number that moves whenever another process (cron `remind`/`sync`, a second console)
/// commits to the database; the console polls it to refresh what it shows.
pub fn data_version(store: &Store) -> Result<i64, StoreError> {
    store::changes::data_version(store)
}

#[cfg(test)]
mod tests;
