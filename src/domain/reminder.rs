//! Reminder planning vocabulary: the state of one reminder and why one was skipped.
//!
//! Pure. The planner that decides these (due times, quiet hours, caps) lives here too once the
//! messaging engine lands; the day view already shows these states.

use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

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
