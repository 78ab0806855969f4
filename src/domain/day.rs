//! The day sheet: what the day view shows, already joined and decided.
//!
//! Pure data built by `workflow::day` and drawn by the console; the console never queries.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::appointment::AppointmentStatus;
use super::consent::ConsentFlag;
use super::ids::{AppointmentId, MessageId, PatientId};
use super::reminder::ReminderCell;
use super::reply::ReplyKind;

/// One day's appointments in start order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DaySheet {
    pub date: NaiveDate,
    pub tz: Tz,
    pub rows: Vec<DayRow>,
    /// The reminder cells are still being worked out: the console shows the visits at once
    /// and marks the cells as loading until the full sheet follows (a clinic group's busy day
    /// takes ~25 ms of the ~45 for its cells warm, more on a first visit).
    #[serde(skip)]
    pub cells_pending: bool,
}

/// One appointment line of the day view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DayRow {
    pub appointment_id: AppointmentId,
    pub patient_id: PatientId,
    pub start: DateTime<Utc>,
    pub duration_minutes: u32,
    /// "Last, First".
    pub patient_name: String,
    pub clinician: String,
    /// The neutral label (never the internal, possibly clinical, type name).
    pub type_label: String,
    pub status: AppointmentStatus,
    /// One cell per configured reminder offset; empty until messaging is planned.
    pub reminders: Vec<ReminderCell>,
    pub last_reply: Option<ReplyKind>,
    pub consent: ConsentFlag,
    pub portal: bool,
    pub has_mobile: bool,
    pub number_flagged: bool,
    pub callback_requested: bool,
    /// A closure or schedule-change notice took this visit away: the desk must rebook it.
    pub rebook: bool,
}

/// What a day row shows of its patient, from the patient's own record alone: the same for
/// every visit of theirs on any day, so a console can keep it for every patient and read a
/// day's visits without a patient row per visit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatientLine {
    /// "Last, First" (boxed: a console keeps one for every patient).
    pub name: Box<str>,
    pub has_mobile: bool,
    pub portal: bool,
    pub number_flagged: bool,
    pub consent: ConsentFlag,
    /// The patient's replies filed against no visit (a row shows the latest sent since its
    /// visit was booked and by the day's end): a few at most for most patients.
    pub unfiled: Box<[UnfiledReply]>,
}

/// A reply filed against no visit, as a [`PatientLine`] keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnfiledReply {
    /// `None`: a class this version cannot read (it still hides any older reply).
    pub kind: Option<ReplyKind>,
    pub at: DateTime<Utc>,
    pub message: MessageId,
}

/// Put rows in the day view's order: by start, then clinician, then visit. Every way a
/// sheet is made (a whole load, a kept day patched patient by patient) sorts with this one
/// order, so the two cannot drift apart; visit ids make it total.
pub fn in_sheet_order(rows: &mut [DayRow]) {
    rows.sort_unstable_by(|a, b| {
        (a.start, &a.clinician, a.appointment_id).cmp(&(b.start, &b.clinician, b.appointment_id))
    });
}

impl DaySheet {
    /// Appointments still waiting for the patient to confirm.
    pub fn unconfirmed(&self) -> impl Iterator<Item = &DayRow> {
        self.rows
            .iter()
            .filter(|r| r.status == AppointmentStatus::Booked)
    }
}

/// A patient found by the desk's search.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientHit {
    pub patient_id: PatientId,
    /// "Last, First".
    pub name: String,
    pub birth_date: Option<NaiveDate>,
    /// Last four digits only; the full number is on the patient screen.
    pub mobile_last4: Option<String>,
    /// The next open appointment, if any.
    pub next_appointment: Option<DateTime<Utc>>,
    pub consent: ConsentFlag,
}
