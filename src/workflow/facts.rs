//! Loading what the sending rules need to know about patients: consent, number, zone and
//! recent messages ([`PatientFacts`]), and the reminder rows the planner counts as taken.

use crate::store::Db;
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use crate::config::Config;
use crate::domain::appointment::Appointment;
use crate::domain::consent::ConsentState;
use crate::domain::ids::{MessageId, PatientId};
use crate::domain::message::{Message, MessageKind, MessageStatus};
use crate::domain::patient::Patient;
use crate::domain::reminder::{PatientFacts, RecentSend, ReminderMessage, part_needles};
use crate::store::{self, StoreError};

/// How far back message history is read for the caps (the weekly cap needs 7 days).
const HISTORY_DAYS: i64 = 8;

/// One patient with their facts and their recent outbound messages.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub patient: Patient,
    pub facts: PatientFacts,
    /// Outbound rows of the last [`HISTORY_DAYS`] days, oldest first.
    pub recent_rows: Vec<Message>,
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
    for u in &unreadable {
        tracing::warn!(patient = u.patient.0, "patient record unreadable; skipped");
    }
    Ok(loaded)
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
    let mut out = HashMap::with_capacity(patients.len());
    let mut unreadable: Vec<Unreadable> = Vec::new();
    for &id in patients {
        if out.contains_key(&id) || unreadable.iter().any(|u| u.patient == id) {
            continue;
        }
        let patient = match store::patients::get(conn, id) {
            Ok(p) => p,
            Err(e @ StoreError::Corrupt { .. }) => {
                unreadable.push(Unreadable::new(id, &e));
                continue;
            }
            Err(e) => return Err(e),
        };
        let consent = ConsentState::from_events(&store::consent::events(conn, id)?);
        let mut facts = PatientFacts::new(&patient, config.practice.time_zone, consent);
        let rows: Vec<Message> =
            store::messages::outbound_since(conn, id, now - Duration::days(HISTORY_DAYS))?
                .into_iter()
                .filter(|m| Some(m.id) != exclude)
                .collect();
        facts.recent = rows
            .iter()
            .filter(|m| counts_as_sent(m.status))
            .map(|m| RecentSend {
                at: m.sent_at.or(m.not_before).unwrap_or(m.created_at),
                kind: m.kind,
            })
            .collect();
        facts.last_outbound = store::messages::last_outbound_at(conn, id, exclude)?;
        out.insert(
            id,
            Loaded {
                patient,
                facts,
                recent_rows: rows,
            },
        );
    }
    Ok((out, unreadable))
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
    let mut needles: std::collections::BTreeMap<PatientId, Vec<String>> = Default::default();
    for a in appointments {
        needles
            .entry(a.patient_id)
            .or_default()
            .extend(part_needles(a.id, a.start));
    }
    let mut out = Vec::new();
    for (patient, needles) in needles {
        out.extend(store::messages::reminder_keys(conn, patient, &needles)?);
    }
    Ok(out)
}

/// The kinds that remind of an appointment.
pub const REMINDER_KINDS: &[MessageKind] = &[
    MessageKind::Reminder48h,
    MessageKind::Reminder24h,
    MessageKind::SameDayDouble,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The store's keys-only query names the reminder kinds in SQL (a partial index needs the
    /// literals): exactly the kinds the planner counts as reminders, no more, no fewer.
    #[test]
    fn the_reminder_keys_query_names_exactly_the_reminder_kinds() {
        let sql = store::messages::planner::REMINDER_KEYS;
        for &kind in MessageKind::ALL {
            assert_eq!(
                sql.contains(&format!("'{}'", kind.as_str())),
                REMINDER_KINDS.contains(&kind),
                "{kind:?}"
            );
        }
    }
}
