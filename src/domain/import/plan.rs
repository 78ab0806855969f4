//! What an import does to the practice's data, decided without touching it: which patients
//! and appointments are added, changed or left alone, which clinicians and appointment types
//! are created, which consent events are recorded, which earlier-imported appointments the
//! file no longer has.
//!
//! The rules a careful practice expects:
//! * upsert by external id: the same file twice changes nothing the second time;
//! * a moved appointment is changed in place (its reminders are keyed by start, so it earns
//!   fresh ones) and a confirmation given for the old time no longer counts;
//! * the desk's own record wins over an export that has not caught up: an arrival or no-show
//!   is not turned back into "booked", and an SMS confirmation is not lost to "Scheduled";
//! * an import never turns an opt-out into an opt-in; a "no" newer than an opt-in opts out;
//! * a new appointment type's patient-facing label is the neutral [`NEUTRAL_TYPE_LABEL`]:
//!   type names from a practice-management system can be clinical ("Chemo infusion").

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{
    AppointmentRecord, ConsentAnswer, Origin, Parsed, PatientRecord, RecordError, Warning,
};
use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent::{ConsentKind, ConsentState};
use crate::domain::ids::{AppointmentId, AppointmentTypeId, ClinicianId, PatientId};

mod appointments;
mod patients;

/// What a patient reads for any appointment type an import creates. Staff may give a type a
/// more specific label later; the import never guesses one from the system's name.
pub const NEUTRAL_TYPE_LABEL: &str = "Appointment";
/// The type used when the file names none.
pub const DEFAULT_TYPE_NAME: &str = "Appointment";
/// Length used when neither the file nor the type says.
pub const DEFAULT_MINUTES: u32 = 30;

/// A patient already in the practice's database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownPatient {
    pub id: PatientId,
    pub first_name: String,
    pub last_name: String,
    pub birth_date: Option<chrono::NaiveDate>,
    pub mobile: Option<crate::domain::phone::E164>,
    pub consent: ConsentState,
}

/// An appointment already in the practice's database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownAppointment {
    pub id: AppointmentId,
    pub external_id: Option<String>,
    pub patient_id: PatientId,
    pub clinician_id: ClinicianId,
    pub type_id: AppointmentTypeId,
    pub start: DateTime<Utc>,
    pub minutes: u32,
    pub status: AppointmentStatus,
}

/// What the database holds that the file's records may match.
#[derive(Clone, Debug, Default)]
pub struct Known {
    /// By every external id stored for them.
    pub patients: HashMap<String, KnownPatient>,
    pub appointments: HashMap<String, KnownAppointment>,
    pub clinicians: Vec<(ClinicianId, String)>,
    /// (id, name, default minutes).
    pub types: Vec<(AppointmentTypeId, String, u32)>,
    /// Appointments an earlier import brought, still open, in the file's date range.
    pub imported_in_range: Vec<KnownAppointment>,
}

/// A patient, a clinician or a type: already stored, or the n-th one this plan creates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ref<T> {
    Known(T),
    New(usize),
}

/// Added, changed, unchanged, rejected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub rejected: usize,
}

/// Changes to a stored patient (only what the file states and differs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatientChange {
    pub id: PatientId,
    pub first_name: String,
    pub last_name: String,
    pub birth_date: Option<chrono::NaiveDate>,
    /// A new number (clears a flagged number's problem).
    pub mobile: Option<crate::domain::phone::E164>,
}

/// An appointment to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAppointment {
    pub origin: Origin,
    pub keys: Vec<String>,
    pub patient: Ref<PatientId>,
    pub clinician: Ref<ClinicianId>,
    pub type_ref: Ref<AppointmentTypeId>,
    pub start: DateTime<Utc>,
    pub minutes: u32,
    pub status: AppointmentStatus,
}

/// Changes to a stored appointment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppointmentChange {
    pub id: AppointmentId,
    pub clinician: Ref<ClinicianId>,
    pub type_ref: Ref<AppointmentTypeId>,
    pub start: DateTime<Utc>,
    pub minutes: u32,
    /// The status to set, when it changes.
    pub status: Option<(AppointmentStatus, AppointmentStatus)>,
    /// The old start, when the appointment moved.
    pub moved_from: Option<DateTime<Utc>>,
}

/// A consent event to record, with where in the file it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsentChange {
    pub patient: Ref<PatientId>,
    pub kind: ConsentKind,
    pub given: Option<DateTime<Utc>>,
    pub origin: Origin,
}

/// Everything the import will do.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub new_patients: Vec<PatientRecord>,
    pub patient_changes: Vec<PatientChange>,
    /// External ids to remember for stored patients / appointments (no visible change).
    pub patient_keys: Vec<(Ref<PatientId>, String)>,
    pub appointment_keys: Vec<(AppointmentId, String)>,
    pub new_clinicians: Vec<String>,
    /// (name, default minutes); each gets [`NEUTRAL_TYPE_LABEL`].
    pub new_types: Vec<(String, u32)>,
    pub new_appointments: Vec<NewAppointment>,
    pub appointment_changes: Vec<AppointmentChange>,
    pub consents: Vec<ConsentChange>,
    /// Imported earlier, in the file's range, absent now.
    pub missing: Vec<KnownAppointment>,
    /// Whether `missing` is cancelled (only with the explicit flag).
    pub cancel_missing: bool,
    pub patients: Tally,
    pub appointments: Tally,
    pub errors: Vec<RecordError>,
    pub warnings: Vec<Warning>,
}

impl Plan {
    /// Nothing to write: every record matched what is stored.
    pub fn is_noop(&self) -> bool {
        self.new_patients.is_empty()
            && self.patient_changes.is_empty()
            && self.patient_keys.is_empty()
            && self.appointment_keys.is_empty()
            && self.new_appointments.is_empty()
            && self.appointment_changes.is_empty()
            && self.consents.is_empty()
            && (self.missing.is_empty() || !self.cancel_missing)
    }
}

/// Decide what importing `parsed` does, given what is `known`.
pub fn plan(parsed: Parsed, known: &Known, cancel_missing: bool) -> Plan {
    let mut p = Plan {
        errors: parsed.errors,
        warnings: parsed.warnings,
        cancel_missing,
        ..Plan::default()
    };
    p.patients.rejected = parsed.rejected_patients;
    p.appointments.rejected = parsed.rejected_appointments;
    let by_key = patients::decide(parsed.patients, known, &mut p);
    appointments::decide(parsed.appointments, &by_key, known, &mut p);
    p
}

/// The file's date range: from the start of its first appointment's day to the end of its
/// last appointment's day, in the practice's zone. `None` for a file without appointments.
pub fn date_range(
    records: &[AppointmentRecord],
    tz: chrono_tz::Tz,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let first = records.iter().map(|r| r.start).min()?;
    let last = records.iter().map(|r| r.start).max()?;
    let day = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
    let midnight = |d: chrono::NaiveDate| {
        super::fields::local_instant(d, chrono::NaiveTime::MIN, tz)
            .unwrap_or_else(|_| d.and_time(chrono::NaiveTime::MIN).and_utc())
    };
    let end_day = day(last).succ_opt()?;
    Some((midnight(day(first)), midnight(end_day)))
}

/// How a consent answer from the file meets the patient's current state. `None`: nothing to
/// record (already so, or refused with the warning returned).
pub fn consent_decision(
    answer: ConsentAnswer,
    given: Option<DateTime<Utc>>,
    current: &ConsentState,
) -> Result<Option<ConsentKind>, &'static str> {
    match (answer, current) {
        (ConsentAnswer::Yes, ConsentState::OptedOut { .. }) => Err(
            "the patient opted out of texts; the file's consent was not applied (an import never \
             turns an opt-out into an opt-in — record a new written consent at the desk)",
        ),
        (ConsentAnswer::Yes, ConsentState::OptedIn { .. }) => Ok(None),
        (ConsentAnswer::Yes, _) => Ok(Some(ConsentKind::OptIn)),
        (ConsentAnswer::No, ConsentState::OptedOut { .. }) => Ok(None),
        (ConsentAnswer::No, ConsentState::OptedIn { since, .. })
            if given.is_some_and(|g| g < *since) =>
        {
            Err("the file's \"no\" is older than the patient's opt-in; the opt-in stands")
        }
        (ConsentAnswer::No, _) => Ok(Some(ConsentKind::OptOut)),
    }
}

/// How the file's status meets the stored one. Returns the status to keep and, when the
/// desk's record wins, why.
pub fn merge_status(
    stored: AppointmentStatus,
    file: AppointmentStatus,
    moved: bool,
) -> (AppointmentStatus, Option<&'static str>) {
    use AppointmentStatus::*;
    match (stored, file) {
        (s, f) if s == f => (s, None),
        (Confirmed, Booked) if moved => (Booked, None),
        (Confirmed, Booked) => (Confirmed, None),
        (Arrived | Completed | NoShow, Booked | Confirmed) => (
            stored,
            Some("the desk recorded a later status than the file's; the desk's is kept"),
        ),
        (_, f) => (f, None),
    }
}

#[cfg(test)]
mod tests;
