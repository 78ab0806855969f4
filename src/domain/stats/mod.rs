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

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent_history::ConsentTimelines;
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

/// One appointment, at one start, that an outbound reminder row covers (its idempotency key
/// names them: one, or two for a same-day double text).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderCover {
    pub appointment_id: AppointmentId,
    /// The start the reminder was for (before a reschedule, not the current one).
    pub start: DateTime<Utc>,
    pub status: MessageStatus,
}

impl ReminderCover {
    /// What a reminder row's key covers; nothing for a key that is not a reminder's.
    pub fn from_key(key: &str, status: MessageStatus) -> Vec<Self> {
        let mut out = Vec::new();
        Self::each_in_key(key, status, |c| out.push(c));
        out
    }

    /// Call `f` with each appointment a reminder row's key covers. A one-appointment key
    /// (nearly all of them) is read without allocating; anything else goes through
    /// [`ReminderKey::parse`](crate::domain::reminder::ReminderKey::parse), the format's
    /// owner — and a test holds the two to the same answers.
    pub fn each_in_key(key: &str, status: MessageStatus, mut f: impl FnMut(Self)) {
        if let Some((appointment_id, start)) = single_key(key) {
            return f(Self {
                appointment_id,
                start,
                status,
            });
        }
        if let Some(k) = crate::domain::reminder::ReminderKey::parse(key) {
            for &(appointment_id, start) in k.appointments() {
                f(Self {
                    appointment_id,
                    start,
                    status,
                });
            }
        }
    }
}

/// `reminder:{offset}h:{id}@{YYYY-MM-DDTHH:MM:SSZ}`, read in place; `None` for any other shape.
fn single_key(key: &str) -> Option<(AppointmentId, DateTime<Utc>)> {
    let (_, rest) = key.strip_prefix("reminder:")?.split_once("h:")?;
    let (id, ts) = rest.split_once('@')?;
    let b = ts.as_bytes();
    let shape = b.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z';
    if !shape || id.is_empty() || !id.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let date = chrono::NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 7)?, num(8, 10)?)?;
    let time = date.and_hms_opt(num(11, 13)?, num(14, 16)?, num(17, 19)?)?;
    Some((AppointmentId(id.parse().ok()?), time.and_utc()))
}

/// Patients with some property (a mobile number). Patient ids are row ids, nearly dense: a
/// bit per id answers in one step (12 KB for 100,000 patients); ids too sparse for that are
/// searched in a sorted list instead.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PatientSet {
    ids: Vec<PatientId>,
    bits: Vec<u64>,
}

impl PatientSet {
    pub fn contains(&self, p: PatientId) -> bool {
        if self.bits.is_empty() {
            return self.ids.binary_search(&p).is_ok();
        }
        usize::try_from(p.0)
            .ok()
            .and_then(|i| self.bits.get(i / 64).map(|w| w & (1 << (i % 64)) != 0))
            .unwrap_or(false)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

impl FromIterator<PatientId> for PatientSet {
    fn from_iter<I: IntoIterator<Item = PatientId>>(iter: I) -> Self {
        let mut ids: Vec<PatientId> = iter.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        let dense = |max: usize| max <= 4 * ids.len() + 65_536;
        let bits = match ids.first().zip(ids.last()) {
            Some((lo, hi)) if lo.0 >= 0 && dense(hi.0 as usize) => {
                let mut bits = vec![0u64; hi.0 as usize / 64 + 1];
                for p in &ids {
                    bits[p.0 as usize / 64] |= 1 << (p.0 as usize % 64);
                }
                bits
            }
            _ => Vec::new(),
        };
        Self { ids, bits }
    }
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
    /// What the reminder rows that may cover them cover.
    pub reminders: &'a [ReminderCover],
    /// Every patient's consent over time.
    pub consent: &'a ConsentTimelines,
    /// Patients with a mobile number.
    pub mobiles: &'a PatientSet,
    /// When each opt-out in the period was recorded.
    pub opt_outs: &'a [DateTime<Utc>],
    pub names: &'a Names,
}

/// One appointment behind a number, as the drill-down lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DrillLine {
    pub id: AppointmentId,
    pub patient_id: PatientId,
    /// "Last, First".
    pub patient: String,
    pub start: DateTime<Utc>,
    pub clinician: String,
    pub type_name: String,
    pub status: AppointmentStatus,
}
