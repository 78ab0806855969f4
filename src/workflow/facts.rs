//! Loading what the sending rules need to know about patients: consent, number, zone and
//! recent messages ([`PatientFacts`]), and the reminder rows the planner counts as taken.

use crate::store::Db;
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use crate::config::Config;
use crate::domain::appointment::Appointment;
use crate::domain::consent::ConsentState;
use crate::domain::ids::{MessageId, PatientId};
use crate::domain::message::{MessageKind, MessageStatus};
use crate::domain::patient::Patient;
use crate::domain::reminder::{PatientFacts, RecentSend, RecordFacts, ReminderMessage, key_part};
use crate::store::{self, StoreError};

/// How far back message history is read for the caps (the weekly cap needs 7 days).
const HISTORY_DAYS: i64 = 8;

/// One patient with their facts.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub patient: Patient,
    pub facts: PatientFacts,
}

/// A patient whose record cannot be read (a value frontdesk does not understand, such as a
/// time zone "Mars/Olympus"): skipped with the reason, so one bad row never stops the others.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreadable {
    pub patient: PatientId,
    /// In words for staff, naming the patient id and what to fix.
    pub reason: String,
}

impl Unreadable {
    /// The words for a record that failed to read with `e`.
    pub fn new(patient: PatientId, e: &StoreError) -> Self {
        Self {
            patient,
            reason: format!(
                "patient {patient}'s record cannot be read ({e}); fix it in the patient's details"
            ),
        }
    }
}

/// Load facts for these patients (each once). `exclude` leaves one message out of the history
/// (the one being re-checked before it goes). A patient whose record cannot be read is left
/// out; see [`load_each`] to learn who and why.
pub fn load(
    conn: &impl Db,
    config: &Config,
    patients: &[PatientId],
    now: DateTime<Utc>,
    exclude: Option<MessageId>,
) -> Result<HashMap<PatientId, Loaded>, StoreError> {
    let (loaded, unreadable) = load_each(conn, config, patients, now, exclude)?;
    warn_unreadable(&unreadable);
    Ok(loaded)
}

/// Note in the log whose record was skipped (the id alone: the reason may quote the record).
pub fn warn_unreadable(unreadable: &[Unreadable]) {
    for u in unreadable {
        tracing::warn!(patient = u.patient.0, "patient record unreadable; skipped");
    }
}

/// [`load`], also returning the patients whose record cannot be read. Any other database
/// error is returned as an error.
pub fn load_each(
    conn: &impl Db,
    config: &Config,
    patients: &[PatientId],
    now: DateTime<Utc>,
    exclude: Option<MessageId>,
) -> Result<(HashMap<PatientId, Loaded>, Vec<Unreadable>), StoreError> {
    let (mut out, unreadable) = load_records(conn, config, patients)?;
    add_history(conn, out.values_mut().map(|l| &mut l.facts), now, exclude)?;
    Ok((out, unreadable))
}

/// The facts of these patients' records alone (each once): row and consent, with no
/// outbound history yet (`recent` empty, `last_outbound` none; see [`add_history`]).
pub fn load_records(
    conn: &impl Db,
    config: &Config,
    patients: &[PatientId],
) -> Result<(HashMap<PatientId, Loaded>, Vec<Unreadable>), StoreError> {
    // Each read is one statement for all the patients (a clinic group's day is ~2,000); the
    // consent comes from the rows the first read just brought in (migration 19).
    let mut records = store::patients::get_many(conn, patients)?;
    let mut consent = store::consent::last_words(conn, patients)?;
    let mut out = HashMap::with_capacity(patients.len());
    let mut unreadable: Vec<Unreadable> = Vec::new();
    for &id in patients {
        let read = records.remove(&id).map(|p| {
            let word = consent.remove(&id).map_or(Ok(None), |w| w);
            record_of(id, p, word)
        });
        let (patient, consent) = match read {
            Some(Ok(p)) => p,
            Some(Err(u)) => {
                unreadable.push(u);
                continue;
            }
            // Given twice: the first took it.
            None if out.contains_key(&id) || unreadable.iter().any(|u| u.patient == id) => {
                continue;
            }
            None => {
                return Err(StoreError::NotFound {
                    what: "patient",
                    id: id.to_string(),
                });
            }
        };
        let facts = PatientFacts::new(&patient, config.practice.time_zone, consent);
        out.insert(id, Loaded { patient, facts });
    }
    Ok((out, unreadable))
}

/// A patient's record as the rules read it: its facts, or why it cannot be read.
pub type Record = Result<RecordFacts, Unreadable>;

/// One patient's row and consent word, as read: the record, or why it cannot be read (the
/// row's fault first). The one reading of a record for [`load_records`] and [`records_after`],
/// so a kept record skips a patient exactly when a fresh read does.
fn record_of(
    id: PatientId,
    patient: Result<Patient, StoreError>,
    word: Result<Option<ConsentState>, StoreError>,
) -> Result<(Patient, ConsentState), Unreadable> {
    let patient = patient.map_err(|e| Unreadable::new(id, &e))?;
    let word = word.map_err(|e| Unreadable::new(id, &e))?;
    Ok((patient, word.unwrap_or(ConsentState::None)))
}

/// The [`Record`]s, by id, of up to `most` patients with ids after `after` (one range of the
/// patients table), and the id to go on after (`None`: no patient left): what a reader keeps,
/// a share at a time, so a day's reminder cells read no patient row (`workflow::day::Known`).
pub fn records_after(
    conn: &impl Db,
    config: &Config,
    after: PatientId,
    most: usize,
) -> Result<(HashMap<PatientId, Record>, Option<PatientId>), StoreError> {
    let zone = config.practice.time_zone;
    let mut out = HashMap::new();
    let next = store::patients::each_with_consent(conn, after, most, |id, patient, word| {
        let record = record_of(id, patient, word).map(|(p, c)| RecordFacts::new(&p, zone, c));
        out.insert(id, record);
    })?;
    Ok((out, next))
}

/// The facts, without history, of `patients` (each once) and the patients whose record cannot
/// be read: from `known` where it has them, the others read with [`load_records`] and added to
/// it. `known` must be true at the caller's read (`workflow::day::Known`).
pub fn record_facts(
    conn: &impl Db,
    config: &Config,
    patients: &[PatientId],
    known: Option<&mut HashMap<PatientId, Record>>,
) -> Result<(HashMap<PatientId, PatientFacts>, Vec<Unreadable>), StoreError> {
    let mut read_now = HashMap::new();
    let known = known.unwrap_or(&mut read_now);
    let mut missing: Vec<PatientId> = patients
        .iter()
        .filter(|p| !known.contains_key(p))
        .copied()
        .collect();
    missing.sort_unstable();
    missing.dedup();
    let zone = config.practice.time_zone;
    let (loaded, unreadable) = load_records(conn, config, &missing)?;
    for (id, l) in loaded {
        let consent = l.facts.consent;
        known.insert(id, Ok(RecordFacts::new(&l.patient, zone, consent)));
    }
    for u in unreadable {
        known.insert(u.patient, Err(u));
    }
    let mut facts = HashMap::with_capacity(patients.len());
    let mut unreadable = Vec::new();
    for &id in patients {
        match known.get(&id) {
            _ if facts.contains_key(&id) => {}
            Some(Ok(record)) => {
                facts.insert(id, record.facts(id));
            }
            Some(Err(u)) if !unreadable.contains(u) => unreadable.push(u.clone()),
            _ => {}
        }
    }
    Ok((facts, unreadable))
}

/// Read the outbound history of `which` into their facts: the texts of the last days that
/// count against the caps, and the newest that left. `exclude` leaves one message out (the
/// one being re-checked before it goes).
pub fn add_history<'a>(
    conn: &impl Db,
    which: impl IntoIterator<Item = &'a mut PatientFacts>,
    now: DateTime<Utc>,
    exclude: Option<MessageId>,
) -> Result<(), StoreError> {
    let which: Vec<&mut PatientFacts> = which.into_iter().collect();
    let ids: Vec<PatientId> = which.iter().map(|f| f.id).collect();
    let since = now - Duration::days(HISTORY_DAYS);
    let store::messages::OutboundHistory { mut recent, last } =
        store::messages::outbound_history(conn, &ids, since, exclude)?;
    for facts in which {
        facts.recent = recent
            .remove(&facts.id)
            .unwrap_or_default()
            .into_iter()
            .filter(|m| Some(m.id) != exclude && counts_as_sent(m.status))
            .map(|m| RecentSend {
                at: m.at,
                kind: m.kind,
            })
            .collect();
        facts.last_outbound = last.get(&facts.id).copied();
    }
    Ok(())
}

/// Rows that left, or may still leave, count against the caps; refused ones do not.
fn counts_as_sent(s: MessageStatus) -> bool {
    !matches!(
        s,
        MessageStatus::Blocked
            | MessageStatus::Withdrawn
            | MessageStatus::Failed
            | MessageStatus::Undelivered
    )
}

/// The reminder rows (any status) that may speak for these appointments at their current
/// start, as the planner's "taken keys". The planner looks up only the visits it is given, so
/// a patient's reminders about other visits (five years of them at a clinic group) and about
/// a moved visit's old start are left in the database.
pub fn reminder_rows<'a>(
    conn: &impl Db,
    appointments: impl IntoIterator<Item = &'a Appointment>,
) -> Result<Vec<ReminderMessage>, StoreError> {
    let mut parts: std::collections::BTreeMap<PatientId, Vec<String>> = Default::default();
    let mut visits = Vec::new();
    for a in appointments {
        parts
            .entry(a.patient_id)
            .or_default()
            .push(key_part(a.id, a.start));
        visits.push(a.id);
    }
    store::messages::reminder_keys(conn, &parts, &visits)
}

/// The kinds that remind of an appointment.
pub const REMINDER_KINDS: &[MessageKind] = &[
    MessageKind::Reminder48h,
    MessageKind::Reminder24h,
    MessageKind::SameDayDouble,
];

#[cfg(test)]
mod tests;
