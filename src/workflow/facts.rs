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
use crate::domain::reminder::{PatientFacts, RecentSend, ReminderMessage, key_part};
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
    let found: Vec<PatientId> = out.keys().copied().collect();
    add_history(conn, &mut out, &found, now, exclude)?;
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
            let word = consent.remove(&id).transpose()?.flatten();
            Ok((p?, word.unwrap_or(ConsentState::None)))
        });
        let (patient, consent) = match read {
            Some(Ok(p)) => p,
            Some(Err(e)) => {
                unreadable.push(Unreadable::new(id, &e));
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

/// Read the outbound history of `which` (of `loaded`) into their facts: the texts of the
/// last days that count against the caps, and the newest that left. `exclude` leaves one
/// message out (the one being re-checked before it goes).
pub fn add_history(
    conn: &impl Db,
    loaded: &mut HashMap<PatientId, Loaded>,
    which: &[PatientId],
    now: DateTime<Utc>,
    exclude: Option<MessageId>,
) -> Result<(), StoreError> {
    let since = now - Duration::days(HISTORY_DAYS);
    let store::messages::OutboundHistory { mut recent, last } =
        store::messages::outbound_history(conn, which, since, exclude)?;
    for id in which {
        let Some(facts) = loaded.get_mut(id).map(|l| &mut l.facts) else {
            continue;
        };
        facts.recent = recent
            .remove(id)
            .unwrap_or_default()
            .into_iter()
            .filter(|m| Some(m.id) != exclude && counts_as_sent(m.status))
            .map(|m| RecentSend {
                at: m.at,
                kind: m.kind,
            })
            .collect();
        facts.last_outbound = last.get(id).copied();
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
