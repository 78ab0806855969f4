//! No-show statistics (SPEC §7) as one pure computation: rows in, [`StatsReport`] out.
//!
//! Pure: no IO, no clock. `workflow::stats` fetches the rows (`store::stats`) and calls
//! [`compute`]; the console's statistics screen and `frontdesk stats` both show its result,
//! so they cannot disagree. May import std, chrono(-tz), serde and the other domain modules.
//!
//! - [`period`]: the local days a statistic covers, presets.
//! - [`definitions`]: what counts as a no-show, a late cancellation, reminded, confirmed,
//!   eligible; counts ([`Tally`]) and rates ([`Rates`]).
//! - [`breakdowns`]: clinician, type, weekday, hour, booking lead time, week (local time).
//! - [`comparisons`] and [`intervals`]: reminded vs not, confirmed vs not, with 95 % intervals.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent::ConsentEvent;
use crate::domain::ids::{AppointmentId, AppointmentTypeId, ClinicianId, PatientId};
use crate::domain::message::MessageStatus;

pub mod breakdowns;
pub mod comparisons;
pub mod csv;
pub mod definitions;
pub mod intervals;
pub mod period;
mod report;

#[cfg(test)]
mod tests;

pub use breakdowns::{Bucket, BucketKey, Dimension, Keys, LeadTime, Names};
pub use comparisons::{Arm, Comparison, Factor, Verdict};
pub use definitions::{Decided, Lateness, Outcome, Rates, ReminderSummary, Tally};
pub use intervals::Interval;
pub use period::{Period, PeriodError, Preset};
pub use report::{Breakdowns, Comparisons, GroupComparison, Measure, StatsReport, Visit, compute};

/// One appointment as the statistics need it (`store::stats` reads these by start time).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppointmentFacts {
    pub id: AppointmentId,
    pub patient_id: PatientId,
    pub clinician_id: ClinicianId,
    pub type_id: AppointmentTypeId,
    /// The current (final) start: a rescheduled appointment counts once, here.
    pub start: DateTime<Utc>,
    pub status: AppointmentStatus,
    pub booked_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// First confirmation (SMS reply or desk); kept after arrival.
    pub confirmed_at: Option<DateTime<Utc>>,
}

/// One outbound reminder row: the appointments and starts it covers are in its key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderRow {
    pub key: String,
    pub status: MessageStatus,
}

/// The parts of the reminder rules eligibility depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    /// The earliest reminder offset (e.g. 48 h).
    pub max_offset_hours: u32,
    /// Nothing goes within this many minutes of the start.
    pub min_lead_minutes: u32,
}

/// Everything one computation reads.
#[derive(Clone, Copy, Debug)]
pub struct StatsInput<'a> {
    pub period: Period,
    pub tz: Tz,
    pub now: DateTime<Utc>,
    pub rules: Rules,
    /// Appointments starting in the period (any order).
    pub appointments: &'a [AppointmentFacts],
    /// Reminder rows that may cover them.
    pub reminders: &'a [ReminderRow],
    /// Consent events per patient, oldest first.
    pub consent: &'a HashMap<PatientId, Vec<ConsentEvent>>,
    /// Patients with a mobile number.
    pub mobiles: &'a HashSet<PatientId>,
    /// When each opt-out in the period was recorded.
    pub opt_outs: &'a [DateTime<Utc>],
    pub names: &'a Names,
}
