//! Reminders: the vocabulary (a reminder's state, why one was skipped), the idempotency keys
//! ([`key`]), when a patient may be texted ([`window`]: quiet hours, caps, shared checks) and
//! the planner ([`plan`]) that decides what goes out now.
//!
//! Pure: std, chrono(-tz), serde. The practice's rules are values ([`rules`]) that `config`
//! fills from the file; nothing here loads anything. `now` is always a parameter.

use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

pub mod extras;
pub mod key;
pub mod plan;
pub mod rules;
pub mod window;

pub use key::{ReminderKey, closure_key, reminder_key, survey_key, welcome_key};
pub use plan::{
    Plan, PlanCounts, PlanInput, PlanLine, PlanMode, PlannedSend, ReminderMessage, Verdict,
    kind_for_offset, plan, recheck, reminder_cells,
};
pub use rules::{OptOutNotice, QuietHours, ReminderRules};
pub use window::{
    Held, PatientFacts, RecentSend, allowed_until, cap_check, cap_check_ahead, in_allowed_window,
    next_allowed, reach_check, send_check,
};

/// Why a message was not (or not yet) sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    NoConsent,
    OptedOut,
    NoMobile,
    /// The number failed at the provider (code) and has not been fixed.
    NumberFlagged {
        code: String,
    },
    /// In quiet hours: deferred to this local time.
    QuietHours {
        until: NaiveTime,
    },
    FrequencyCap,
    AlreadySent,
    /// Within `min_lead_minutes` of the start.
    TooClose,
    /// A later reminder is also due, so this one is not sent late.
    Superseded,
    /// Cancelled, arrived, completed or no-show.
    NotOpen {
        status: String,
    },
    BlockedByGate,
    /// The appointment has already started or passed.
    Passed,
    /// Taken back before it left (the re-check after a time offline found it no longer
    /// allowed).
    Withdrawn,
    /// It could only arrive after what it is about has begun (a closure, an appointment):
    /// withdrawn, never sent late.
    TooLate,
}

impl SkipReason {
    /// Short words for the day view and the batch preview.
    pub fn label(&self) -> String {
        match self {
            Self::NoConsent => "no consent".into(),
            Self::OptedOut => "opted out".into(),
            Self::NoMobile => "no mobile number".into(),
            Self::NumberFlagged { code } => format!("number flagged ({code})"),
            Self::QuietHours { until } => {
                format!("quiet hours → deferred to {}", until.format("%H:%M"))
            }
            Self::FrequencyCap => "frequency cap".into(),
            Self::AlreadySent => "already sent".into(),
            Self::TooClose => "too close to start".into(),
            Self::Superseded => "later reminder due".into(),
            Self::NotOpen { status } => status.clone(),
            Self::BlockedByGate => "blocked by PHI gate".into(),
            Self::Passed => "appointment passed".into(),
            Self::Withdrawn => "withdrawn before sending".into(),
            Self::TooLate => "withdrawn: cannot arrive before the closure or visit begins".into(),
        }
    }
}

/// The state of one reminder (one offset) of one appointment, as the day view shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ReminderState {
    /// Will go out at this moment.
    Planned {
        due: DateTime<Utc>,
    },
    Queued,
    Sent,
    Delivered,
    Failed {
        code: Option<String>,
    },
    Skipped(SkipReason),
}

/// One reminder cell: which offset, and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderCell {
    pub offset_hours: u32,
    pub state: ReminderState,
}
