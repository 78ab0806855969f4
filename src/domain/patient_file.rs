//! The patient screen's record (SPEC §3.3): the patient, their consent timeline, their
//! messages both ways and their appointments, as one value built by `workflow::desk_patient`
//! and drawn by the console. Pure data and small readings of it; no IO.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::appointment::AppointmentStatus;
use super::consent::{ConsentEvent, ConsentState};
use super::ids::AppointmentId;
use super::message::Message;
use super::patient::Patient;
use super::reminder::ReminderCell;

/// One appointment of the patient, with the names the desk reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientAppointment {
    pub id: AppointmentId,
    pub start: DateTime<Utc>,
    pub duration_minutes: u32,
    pub status: AppointmentStatus,
    pub clinician: String,
    /// The neutral label (never the internal type name).
    pub type_label: String,
    /// One cell per reminder offset: recorded states, and for a visit still to come the
    /// forecast of the rest (empty until the workflow fills them).
    #[serde(default)]
    pub reminders: Vec<ReminderCell>,
}

/// Everything the patient screen shows about one patient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientFile {
    pub patient: Patient,
    /// Consent events, oldest first.
    pub consent: Vec<ConsentEvent>,
    /// Messages both ways, newest first.
    pub messages: Vec<Message>,
    /// Appointments in start order.
    pub appointments: Vec<PatientAppointment>,
}

impl PatientFile {
    /// The consent state the sending rules read now.
    pub fn consent_state(&self) -> ConsentState {
        ConsentState::from_events(&self.consent)
    }

    /// Appointments that have not started by `now`, soonest first.
    pub fn upcoming(&self, now: DateTime<Utc>) -> impl Iterator<Item = &PatientAppointment> {
        self.appointments.iter().filter(move |a| a.start >= now)
    }

    /// Appointments that started before `now`, latest first.
    pub fn past(&self, now: DateTime<Utc>) -> impl Iterator<Item = &PatientAppointment> {
        self.appointments
            .iter()
            .rev()
            .filter(move |a| a.start < now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::PatientId;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 4, h, 0, 0).unwrap()
    }

    fn appt(id: i64, h: u32) -> PatientAppointment {
        PatientAppointment {
            id: AppointmentId(id),
            start: at(h),
            duration_minutes: 20,
            status: AppointmentStatus::Booked,
            clinician: "Dr. Okafor".into(),
            type_label: "Check-up".into(),
            reminders: Vec::new(),
        }
    }

    #[test]
    fn upcoming_soonest_first_and_past_latest_first() {
        let file = PatientFile {
            patient: Patient {
                id: PatientId(1),
                external_id: None,
                first_name: "Ada".into(),
                last_name: "Lovelace".into(),
                birth_date: None,
                mobile: None,
                time_zone: None,
                portal_active: false,
                number_problem: None,
                created_at: at(0),
            },
            consent: Vec::new(),
            messages: Vec::new(),
            appointments: vec![appt(1, 8), appt(2, 10), appt(3, 12), appt(4, 14)],
        };
        let up: Vec<i64> = file.upcoming(at(10)).map(|a| a.id.0).collect();
        let past: Vec<i64> = file.past(at(10)).map(|a| a.id.0).collect();
        assert_eq!(
            up,
            [2, 3, 4],
            "an appointment starting now is still upcoming"
        );
        assert_eq!(past, [1]);
        assert_eq!(file.consent_state(), ConsentState::None);
    }
}
