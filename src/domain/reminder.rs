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
pub mod recorded;
pub mod rules;
pub mod window;

pub use key::{
    ReminderKey, closure_key, holds_part, key_part, reminder_key, survey_key, welcome_key,
};
pub use plan::{
    CellsBeforeHistory, Plan, PlanCounts, PlanInput, PlanLine, PlanMode, PlannedSend,
    ReminderMessage, Verdict, kind_for_offset, plan, plannable, recheck, reminder_cells,
    reminder_cells_before_history,
};
pub use recorded::{Decided, GateFinding, ReminderDecision, due_decision, merge_recorded};
pub use rules::{OptOutNotice, QuietHours, ReminderRules};
pub use window::{
    Held, PatientFacts, RecentSend, RecordFacts, allowed_until, cap_check, cap_check_ahead,
    in_allowed_window, next_allowed, reach_check, send_check,
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
    /// Due, but held until `until` (quiet hours, or an earlier reminder giving way under the
    /// caps): it goes then unless something changes.
    Waiting {
        until: DateTime<Utc>,
        reason: SkipReason,
    },
    /// Refused by the PHI gate: never sent. The finding is the gate's category and rule as
    /// recorded when it decided (`None`: not recorded, e.g. a row from before decisions were
    /// kept, or a text refused for its length).
    Blocked {
        finding: Option<GateFinding>,
    },
}

impl ReminderState {
    /// States only a message row gives (the text was recorded: queued or further, blocked,
    /// withdrawn).
    pub fn is_from_message(&self) -> bool {
        matches!(
            self,
            Self::Queued
                | Self::Sent
                | Self::Delivered
                | Self::Failed { .. }
                | Self::Blocked { .. }
                | Self::Skipped(SkipReason::Withdrawn)
        )
    }
}

/// Where a cell's state comes from: what happened, or what the schedule will do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "basis", rename_all = "snake_case")]
pub enum Basis {
    /// Nothing was decided yet: what `remind` will do (or would do now), computed at `now`.
    #[default]
    Forecast,
    /// A message row, or a decision `remind` recorded when the reminder was due (`at`: when
    /// it decided; `None` for a message row, whose own times are on the patient screen).
    Recorded { at: Option<DateTime<Utc>> },
}

/// One reminder cell: which offset, and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderCell {
    pub offset_hours: u32,
    pub state: ReminderState,
    #[serde(default)]
    pub basis: Basis,
}
