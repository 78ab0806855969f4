//! Patients and the clinic's reference data (clinicians, appointment types).
//!
//! Pure data. An appointment type has an internal name (may be clinical, staff only) and a
//! neutral SMS label: only the label ever reaches a patient's phone.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::ids::{AppointmentTypeId, ClinicianId, PatientId};
use super::phone::E164;

/// A number that failed at the provider as invalid, not mobile or unreachable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberProblem {
    /// The provider's error code (e.g. "21614").
    pub code: String,
    pub at: DateTime<Utc>,
}

/// One patient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Patient {
    pub id: PatientId,
    /// The id in the practice-management system that exported it, if any.
    pub external_id: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub birth_date: Option<NaiveDate>,
    pub mobile: Option<E164>,
    /// The patient's own zone when it differs from the practice's.
    pub time_zone: Option<Tz>,
    /// Has an active patient-portal account.
    pub portal_active: bool,
    /// Set when the number failed; no texts until staff fix or re-verify it.
    pub number_problem: Option<NumberProblem>,
    pub created_at: DateTime<Utc>,
}

impl Patient {
    /// "Last, First" as the desk lists patients.
    pub fn list_name(&self) -> String {
        format!("{}, {}", self.last_name, self.first_name)
    }

    /// The zone reminders are rendered and quiet hours are judged in.
    pub fn zone(&self, practice: Tz) -> Tz {
        self.time_zone.unwrap_or(practice)
    }
}

/// A clinician who sees patients.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clinician {
    pub id: ClinicianId,
    /// As patients know them, e.g. "Dr. Okafor".
    pub display_name: String,
    pub active: bool,
}

/// A kind of appointment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppointmentType {
    pub id: AppointmentTypeId,
    /// Internal name, staff only (may be clinical: "Diabetes follow-up").
    pub name: String,
    /// What a patient may read: neutral ("Follow-up visit").
    pub sms_label: String,
    pub default_minutes: u32,
}
