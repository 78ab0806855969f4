//! The definitions of SPEC §7, one appointment at a time: what happened to it ([`Outcome`]),
//! whether it was reminded, confirmed, eligible for a reminder; and the counts ([`Tally`])
//! and rates ([`Rates`]) every total, bar and tile is made of.
//!
//! Only appointments that have started (`start < now`) are counted. Rates are fractions
//! 0–1, `None` when their denominator is zero (an empty period has no rate, not a 0 % one).

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::{AppointmentFacts, Rules};
use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent_history::TimelineView;
use crate::domain::message::MessageStatus;

/// A cancellation with less than this notice is late. Exactly 24 h of notice is not late.
pub const LATE_CANCELLATION_NOTICE: Duration = Duration::hours(24);

/// What became of a past appointment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Arrived or completed.
    Attended,
    NoShow,
    Cancelled {
        late: Lateness,
    },
    /// Started, but the desk never marked it (still booked or confirmed).
    Unrecorded,
}

/// Whether a cancellation came late.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lateness {
    Late,
    InTime,
    /// Cancelled, but when is not known (e.g. imported already cancelled).
    Unknown,
}

impl Outcome {
    /// Attended or no-show: the outcomes the no-show rate is made of.
    pub fn is_known_visit(self) -> bool {
        matches!(self, Self::Attended | Self::NoShow)
    }
}

/// Classify one appointment's status (the caller has checked it started).
pub fn outcome(a: &AppointmentFacts) -> Outcome {
    match a.status {
        AppointmentStatus::Arrived | AppointmentStatus::Completed => Outcome::Attended,
        AppointmentStatus::NoShow => Outcome::NoShow,
        AppointmentStatus::Booked | AppointmentStatus::Confirmed => Outcome::Unrecorded,
        AppointmentStatus::Cancelled => Outcome::Cancelled {
            late: match a.cancelled_at {
                None => Lateness::Unknown,
                Some(at) if a.start - at < LATE_CANCELLATION_NOTICE => Lateness::Late,
                Some(_) => Lateness::InTime,
            },
        },
    }
}

/// What the reminder rows say about one appointment at its current start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderSummary {
    /// Reminders handed to the provider (sent, delivered, or reported failed after that).
    pub handed_over: u32,
    pub delivered: u32,
    /// Failed or undelivered.
    pub failed: u32,
}

impl ReminderSummary {
    pub fn add(&mut self, status: MessageStatus) {
        match status {
            MessageStatus::Sent => self.handed_over += 1,
            MessageStatus::Delivered => {
                self.handed_over += 1;
                self.delivered += 1;
            }
            MessageStatus::Failed | MessageStatus::Undelivered => {
                self.handed_over += 1;
                self.failed += 1;
            }
            // Never left (blocked, withdrawn) or not yet (pending, queued); not outbound.
            MessageStatus::Pending
            | MessageStatus::Queued
            | MessageStatus::Blocked
            | MessageStatus::Withdrawn
            | MessageStatus::Received => {}
        }
    }

    /// At least one reminder went out and was not reported failed: the patient was reminded.
    pub fn reminded(&self) -> bool {
        self.handed_over > self.failed
    }
}

/// What is known about reaching the patient: a mobile number today, and their consent over
/// time.
#[derive(Clone, Copy, Debug)]
pub struct Reach<'a> {
    pub has_mobile: bool,
    pub consent: TimelineView<'a>,
}

/// Could the rules have let a reminder go to this appointment? Booked at least
/// `min_lead` before the start, the patient has a mobile number, and their consent was
/// valid at some moment of the window reminders go out in: from the booking (or the
/// earliest offset, if later) to `min_lead` before the start. A reminder that went out
/// proves it. (Whether the number was there back then is not kept: today's record is used.)
pub fn eligible(
    a: &AppointmentFacts,
    reminders: &ReminderSummary,
    reach: Reach<'_>,
    rules: &Rules,
) -> bool {
    if reminders.handed_over > 0 {
        return true;
    }
    let last = a.start - Duration::minutes(i64::from(rules.min_lead_minutes));
    let first = a
        .booked_at
        .max(a.start - Duration::hours(i64::from(rules.max_offset_hours)));
    reach.has_mobile && first <= last && reach.consent.valid_during(first, last)
}

/// Counts for one group of appointments (a total, a bar, a comparison arm).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Every started appointment, cancelled ones included (late-cancellation denominator).
    pub appointments: u64,
    pub attended: u64,
    pub no_shows: u64,
    /// Started but never marked by the desk: in no rate, shown so the gap is visible.
    pub unrecorded: u64,
    pub cancelled: u64,
    pub late_cancellations: u64,
    pub cancellation_time_unknown: u64,
    /// Not cancelled, reminded (confirmation-rate denominator).
    pub reminded: u64,
    /// Not cancelled, reminded and confirmed.
    pub confirmed_of_reminded: u64,
    /// Not cancelled and confirmed, reminded or not.
    pub confirmed: u64,
    /// Not cancelled and eligible for a reminder (coverage denominator).
    pub eligible: u64,
    /// Eligible with at least one delivered reminder.
    pub covered: u64,
    pub reminders_handed_over: u64,
    pub reminders_failed: u64,
}

/// One appointment, decided: what the tallies and the drill-down are built from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decided {
    pub outcome: Outcome,
    pub reminders: ReminderSummary,
    pub reminded: bool,
    pub confirmed: bool,
    pub eligible: bool,
}

impl Tally {
    pub fn add(&mut self, d: &Decided) {
        self.appointments += 1;
        self.reminders_handed_over += u64::from(d.reminders.handed_over);
        self.reminders_failed += u64::from(d.reminders.failed);
        match d.outcome {
            Outcome::Attended => self.attended += 1,
            Outcome::NoShow => self.no_shows += 1,
            Outcome::Unrecorded => self.unrecorded += 1,
            Outcome::Cancelled { late } => {
                self.cancelled += 1;
                match late {
                    Lateness::Late => self.late_cancellations += 1,
                    Lateness::Unknown => self.cancellation_time_unknown += 1,
                    Lateness::InTime => {}
                }
                return;
            }
        }
        self.reminded += u64::from(d.reminded);
        self.confirmed += u64::from(d.confirmed);
        self.confirmed_of_reminded += u64::from(d.reminded && d.confirmed);
        self.eligible += u64::from(d.eligible);
        self.covered += u64::from(d.eligible && d.reminders.delivered > 0);
    }

    pub fn rates(&self) -> Rates {
        Rates {
            no_show_rate: ratio(self.no_shows, self.attended + self.no_shows),
            late_cancellation_rate: ratio(self.late_cancellations, self.appointments),
            confirmation_rate: ratio(self.confirmed_of_reminded, self.reminded),
            reminder_coverage: ratio(self.covered, self.eligible),
            delivery_failure_rate: ratio(self.reminders_failed, self.reminders_handed_over),
        }
    }
}

/// The rates of SPEC §7 for one tally; fractions 0–1, `None` when there is nothing to divide.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Rates {
    /// no-shows / (attended + no-shows).
    pub no_show_rate: Option<f64>,
    /// cancelled with under 24 h notice / every appointment booked for the period.
    pub late_cancellation_rate: Option<f64>,
    /// confirmed / reminded (not cancelled).
    pub confirmation_rate: Option<f64>,
    /// with a delivered reminder / eligible for one (not cancelled).
    pub reminder_coverage: Option<f64>,
    /// failed or undelivered / handed to the provider (these appointments' reminders).
    pub delivery_failure_rate: Option<f64>,
}

pub fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}
