//! Appointments and their status machine.
//!
//! Pure. The desk may move an appointment only along the edges below; anything else is a
//! [`TransitionError`] that says why, in words a receptionist understands.
//!
//! ```text
//! booked ──► confirmed ──► arrived ──► completed
//!   │  └──────────┬──────────▲
//!   │             ├──► no-show ─┘ (patient turned up late)
//!   └─────────────┴──► cancelled
//! ```

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::ids::{AppointmentId, AppointmentTypeId, ClinicianId, PatientId};

/// Where an appointment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentStatus {
    Booked,
    Confirmed,
    Arrived,
    Completed,
    NoShow,
    Cancelled,
}

impl AppointmentStatus {
    pub const ALL: [Self; 6] = [
        Self::Booked,
        Self::Confirmed,
        Self::Arrived,
        Self::Completed,
        Self::NoShow,
        Self::Cancelled,
    ];

    /// The stored (and exported) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Booked => "booked",
            Self::Confirmed => "confirmed",
            Self::Arrived => "arrived",
            Self::Completed => "completed",
            Self::NoShow => "no_show",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parse a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The label staff see.
    pub fn label(self) -> &'static str {
        match self {
            Self::Booked => "booked",
            Self::Confirmed => "confirmed",
            Self::Arrived => "arrived",
            Self::Completed => "completed",
            Self::NoShow => "no-show",
            Self::Cancelled => "cancelled",
        }
    }

    /// Still expected to happen: reminders may go out.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Booked | Self::Confirmed)
    }

    /// Changes that lose information and so ask the desk to confirm first.
    pub fn is_destructive(self) -> bool {
        matches!(self, Self::Cancelled | Self::NoShow)
    }
}

impl fmt::Display for AppointmentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Why a status change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("already {0}")]
    Unchanged(AppointmentStatus),
    #[error("{} {from} appointment cannot be marked {to}", article(*from))]
    NotAllowed {
        from: AppointmentStatus,
        to: AppointmentStatus,
    },
    #[error("cannot mark {to} before the appointment's day")]
    TooEarly { to: AppointmentStatus },
    #[error("cannot mark no-show before the appointment has started")]
    NotStartedYet,
    #[error("the appointment has already started; it can no longer be confirmed")]
    AlreadyStarted,
}

/// "a" or "an" before a status label, so the refusal reads right ("an arrived appointment").
fn article(s: AppointmentStatus) -> &'static str {
    if s.label().starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// Check a status change at `now` for an appointment starting at `start` (day taken in `tz`).
pub fn check_transition(
    from: AppointmentStatus,
    to: AppointmentStatus,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<(), TransitionError> {
    use AppointmentStatus::*;
    if from == to {
        return Err(TransitionError::Unchanged(from));
    }
    let allowed = matches!(
        (from, to),
        (Booked, Confirmed | Arrived | NoShow | Cancelled)
            | (Confirmed, Arrived | NoShow | Cancelled)
            | (Arrived, Completed)
            | (NoShow, Arrived)
    );
    if !allowed {
        return Err(TransitionError::NotAllowed { from, to });
    }
    let start_day = start.with_timezone(&tz).date_naive();
    let today = now.with_timezone(&tz).date_naive();
    match to {
        Arrived | Completed if today < start_day => Err(TransitionError::TooEarly { to }),
        NoShow if now < start => Err(TransitionError::NotStartedYet),
        Confirmed if now >= start => Err(TransitionError::AlreadyStarted),
        _ => Ok(()),
    }
}

/// One appointment as the domain sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appointment {
    pub id: AppointmentId,
    pub patient_id: PatientId,
    pub clinician_id: ClinicianId,
    pub type_id: AppointmentTypeId,
    pub start: DateTime<Utc>,
    pub duration_minutes: u32,
    pub status: AppointmentStatus,
    /// When the appointment was booked (for lead-time statistics).
    pub booked_at: DateTime<Utc>,
    /// A patient asked to be called back (reply R, "call me", or CANCEL).
    pub callback_requested: bool,
    /// A closure or schedule-change notice took this visit away at this start (SPEC §5.6):
    /// it is to be rebooked, and no reminder goes for it until it is moved.
    pub to_rebook: bool,
}

impl Appointment {
    /// Reminders may still go for it: open, and not taken away by a closure notice.
    pub fn expects_reminders(&self) -> bool {
        self.status.is_open() && !self.to_rebook
    }

    /// Why no reminder goes although the visit exists, in the planner's words.
    pub fn closed_status(&self) -> String {
        if self.to_rebook && self.status.is_open() {
            TO_REBOOK.to_string()
        } else {
            self.status.label().to_string()
        }
    }
}

/// The status words of a visit a closure notice took away.
pub const TO_REBOOK: &str = "to rebook (closure)";

impl Appointment {
    /// The local calendar day of the start in `tz`.
    pub fn local_day(&self, tz: Tz) -> NaiveDate {
        self.start.with_timezone(&tz).date_naive()
    }
}

#[cfg(test)]
mod tests {
    use super::AppointmentStatus::*;
    use super::*;
    use chrono::TimeZone;

    const TZ: Tz = chrono_tz::America::New_York;

    fn at(h: u32) -> DateTime<Utc> {
        TZ.with_ymd_and_hms(2026, 11, 25, h, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn stored_names_round_trip() {
        for s in AppointmentStatus::ALL {
            assert_eq!(AppointmentStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(AppointmentStatus::parse("done"), None);
    }

    #[test]
    fn the_desk_flow_is_allowed() {
        let (start, now) = (at(10), at(10));
        assert!(check_transition(Booked, Arrived, start, now, TZ).is_ok());
        assert!(check_transition(Confirmed, Arrived, start, now, TZ).is_ok());
        assert!(check_transition(Arrived, Completed, start, at(11), TZ).is_ok());
        assert!(check_transition(Booked, Confirmed, start, at(9), TZ).is_ok());
        assert!(check_transition(Booked, Cancelled, start, at(9), TZ).is_ok());
        assert!(check_transition(NoShow, Arrived, start, at(11), TZ).is_ok());
    }

    #[test]
    fn cancelled_appointment_cannot_be_marked_arrived() {
        let err = check_transition(Cancelled, Arrived, at(10), at(10), TZ).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a cancelled appointment cannot be marked arrived"
        );
    }

    #[test]
    fn refusals_read_as_english() {
        let err = check_transition(Arrived, Cancelled, at(10), at(10), TZ).unwrap_err();
        assert_eq!(
            err.to_string(),
            "an arrived appointment cannot be marked cancelled"
        );
    }

    #[test]
    fn terminal_and_backward_moves_are_refused() {
        for (from, to) in [
            (Completed, Arrived),
            (Completed, NoShow),
            (Arrived, Booked),
            (Arrived, NoShow),
            (Confirmed, Booked),
            (Booked, Completed),
            (Cancelled, Booked),
            (NoShow, Completed),
        ] {
            assert!(
                matches!(
                    check_transition(from, to, at(10), at(12), TZ),
                    Err(TransitionError::NotAllowed { .. })
                ),
                "{from} -> {to}"
            );
        }
        assert_eq!(
            check_transition(Booked, Booked, at(10), at(10), TZ),
            Err(TransitionError::Unchanged(Booked))
        );
    }

    #[test]
    fn timing_rules() {
        let tomorrow = at(10) + chrono::Duration::days(1);
        assert_eq!(
            check_transition(Booked, Arrived, tomorrow, at(10), TZ),
            Err(TransitionError::TooEarly { to: Arrived })
        );
        assert_eq!(
            check_transition(Booked, NoShow, at(10), at(9), TZ),
            Err(TransitionError::NotStartedYet)
        );
        assert_eq!(
            check_transition(Booked, Confirmed, at(10), at(10), TZ),
            Err(TransitionError::AlreadyStarted)
        );
        // Arriving early on the day is fine.
        assert!(check_transition(Booked, Arrived, at(16), at(8), TZ).is_ok());
    }

    #[test]
    fn open_and_destructive_flags() {
        assert!(Booked.is_open() && Confirmed.is_open() && !Arrived.is_open());
        assert!(Cancelled.is_destructive() && NoShow.is_destructive() && !Arrived.is_destructive());
    }
}
