//! The demo practice as `remind` would have seen it at a moment of the past: who had consent,
//! which visits were booked and not yet cancelled, which texts had gone. Read once from the
//! seeded rows; the texts the replay writes are added as it goes.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::config::Config;
use crate::domain::appointment::{Appointment, AppointmentStatus};
use crate::domain::consent::{ConsentEvent, ConsentState};
use crate::domain::ids::{AppointmentId, ClinicianId, MessageId, PatientId};
use crate::domain::message::{MessageKind, MessageStatus};
use crate::domain::patient::Patient;
use crate::domain::phone::E164;
use crate::domain::reminder::{
    PatientFacts, PlannedSend, RecentSend, ReminderKey, ReminderMessage,
};
use crate::domain::template::Template;
use crate::store::{self, Db, StoreError};
use crate::workflow::templates::{self, TemplateFlowError};

/// A text the replay sent, and what became of it.
#[derive(Clone, Debug)]
pub(super) struct Sent {
    pub id: MessageId,
    pub patient: PatientId,
    pub key: ReminderKey,
    pub kind: MessageKind,
    pub at: DateTime<Utc>,
    pub status: MessageStatus,
    pub code: Option<String>,
    pub to: E164,
}

pub(super) struct World<'a> {
    config: &'a Config,
    /// In start order.
    appointments: Vec<Appointment>,
    by_patient: HashMap<PatientId, Vec<usize>>,
    cancelled_at: HashMap<AppointmentId, DateTime<Utc>>,
    patients: HashMap<PatientId, Patient>,
    consent: HashMap<PatientId, Vec<ConsentEvent>>,
    clinicians: HashMap<ClinicianId, String>,
    /// Per patient, oldest first.
    sent: BTreeMap<PatientId, Vec<Sent>>,
    /// Each kind's template, read and parsed once: the replay renders ~1,300 texts from a few.
    templates: HashMap<MessageKind, Template>,
    /// How many texts `sent` holds.
    sent_count: usize,
}

impl<'a> World<'a> {
    /// The seeded practice: visits from `since` to a week past the reminder window of `now`.
    pub fn load(
        conn: &impl Db,
        config: &'a Config,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Self, StoreError> {
        let mut appointments =
            store::appointments::starting_between(conn, since, now + Duration::days(14))?;
        appointments.sort_by_key(|a| (a.start, a.id));
        let mut w = World {
            config,
            appointments,
            by_patient: HashMap::new(),
            cancelled_at: HashMap::new(),
            patients: HashMap::new(),
            consent: HashMap::new(),
            clinicians: store::reference::clinicians(conn)?
                .into_iter()
                .map(|c| (c.id, c.display_name))
                .collect(),
            sent: BTreeMap::new(),
            templates: HashMap::new(),
            sent_count: 0,
        };
        for (i, a) in w.appointments.iter().enumerate() {
            w.by_patient.entry(a.patient_id).or_default().push(i);
            if a.status == AppointmentStatus::Cancelled
                && let Some((_, at)) = store::appointments::status_change(conn, a.id)?
            {
                w.cancelled_at.insert(a.id, at);
            }
            if let std::collections::hash_map::Entry::Vacant(e) = w.patients.entry(a.patient_id) {
                e.insert(store::patients::get(conn, a.patient_id)?);
                w.consent
                    .insert(a.patient_id, store::consent::events(conn, a.patient_id)?);
            }
        }
        Ok(w)
    }

    /// The template of `kind` as `remind` would load it (the seed saved the defaults first).
    pub fn template(
        &mut self,
        conn: &impl Db,
        kind: MessageKind,
    ) -> Result<Template, TemplateFlowError> {
        if let Some(t) = self.templates.get(&kind) {
            return Ok(t.clone());
        }
        let t = templates::load(conn, kind)?;
        self.templates.insert(kind, t.clone());
        Ok(t)
    }

    pub fn config(&self) -> &'a Config {
        self.config
    }

    pub fn appointments(&self) -> &[Appointment] {
        &self.appointments
    }

    pub fn appointment(&self, id: AppointmentId) -> Option<&Appointment> {
        self.appointments.iter().find(|a| a.id == id)
    }

    pub fn zone(&self, p: PatientId) -> Tz {
        let tz = self.config.practice.time_zone;
        self.patients.get(&p).map_or(tz, |patient| patient.zone(tz))
    }

    /// Every consent event of these patients: a moment a reminder may become sendable.
    pub fn consent_changes(&self) -> Vec<(PatientId, DateTime<Utc>)> {
        self.consent
            .iter()
            .flat_map(|(&p, events)| events.iter().map(move |e| (p, e.at)))
            .collect()
    }

    /// The appointment as it stood at `t`: cancelled only once it was; a visit that has
    /// since been seen (or missed) was still open before it began.
    pub fn as_of(&self, a: &Appointment, t: DateTime<Utc>) -> Appointment {
        let status = match a.status {
            AppointmentStatus::Cancelled
                if self.cancelled_at.get(&a.id).is_none_or(|&at| at <= t) =>
            {
                AppointmentStatus::Cancelled
            }
            s if s.is_open() => s,
            _ => AppointmentStatus::Booked,
        };
        Appointment {
            status,
            ..a.clone()
        }
    }

    /// What the planner knew about patient `p` at `t`.
    pub fn facts(&self, p: PatientId, t: DateTime<Utc>) -> Option<PatientFacts> {
        let patient = self.patients.get(&p)?;
        let events: Vec<ConsentEvent> = self
            .consent
            .get(&p)
            .map(|e| e.iter().filter(|e| e.at <= t).cloned().collect())
            .unwrap_or_default();
        let consent = ConsentState::from_events(&events);
        let mut facts = PatientFacts::new(patient, self.config.practice.time_zone, consent);
        let sent = self.sent.get(&p).map(Vec::as_slice).unwrap_or_default();
        facts.recent = sent
            .iter()
            .filter(|s| s.at > t - Duration::days(8) && counts(s.status))
            .map(|s| RecentSend {
                at: s.at,
                kind: s.kind,
            })
            .collect();
        facts.last_outbound = sent.last().map(|s| s.at);
        Some(facts)
    }

    /// The patient's visits `remind` would plan at `t` (booked by then, starting within the
    /// reminder window) and the week after them (room kept under the caps), as of `t`.
    pub fn candidates(
        &self,
        p: PatientId,
        t: DateTime<Utc>,
    ) -> (Vec<Appointment>, Vec<Appointment>) {
        let horizon = self
            .config
            .reminders
            .offsets_hours
            .iter()
            .copied()
            .max()
            .unwrap_or(48);
        let window_end = t + Duration::hours(i64::from(horizon) + 24);
        let mine = self
            .by_patient
            .get(&p)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let (mut now, mut later) = (Vec::new(), Vec::new());
        for a in mine.iter().map(|&i| &self.appointments[i]) {
            if a.booked_at > t || a.start <= t {
                continue;
            }
            if a.start <= window_end {
                now.push(self.as_of(a, t));
            } else if a.start <= window_end + Duration::days(7) {
                later.push(self.as_of(a, t));
            }
        }
        (now, later)
    }

    /// The patient's reminder rows so far: the keys already taken.
    pub fn reminder_rows(&self, p: PatientId) -> Vec<ReminderMessage> {
        self.sent
            .get(&p)
            .map(|s| {
                s.iter()
                    .map(|s| ReminderMessage {
                        key: s.key.to_string(),
                        status: s.status,
                        error_code: s.code.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Who a planned text goes to, and the clinician of its first visit.
    pub fn addressee(&self, s: &PlannedSend) -> Option<(Patient, Option<String>)> {
        let clinician = s
            .appointments()
            .first()
            .and_then(|(id, _)| self.appointment(*id))
            .and_then(|a| self.clinicians.get(&a.clinician_id).cloned());
        Some((self.patients.get(&s.patient_id)?.clone(), clinician))
    }

    pub fn record(&mut self, s: Sent) {
        self.sent.entry(s.patient).or_default().push(s);
        self.sent_count += 1;
    }

    pub fn sent_count(&self) -> usize {
        self.sent_count
    }

    /// Every patient's texts, patient by patient, each oldest first.
    pub fn texts(&self) -> impl Iterator<Item = &[Sent]> {
        self.sent.values().map(Vec::as_slice)
    }
}

/// Rows that left, or may still leave, count against the caps (as `workflow::facts`).
fn counts(s: MessageStatus) -> bool {
    !matches!(
        s,
        MessageStatus::Blocked
            | MessageStatus::Withdrawn
            | MessageStatus::Failed
            | MessageStatus::Undelivered
    )
}
