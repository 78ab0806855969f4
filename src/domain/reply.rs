//! What a patient's reply means (SPEC §5.3–§5.4).
//!
//! Pure. The classifier that maps text to a [`ReplyKind`] lands with the messaging engine;
//! the day view already shows the latest reply's kind.

use serde::{Deserialize, Serialize};

/// The meaning of an inbound SMS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyKind {
    /// C, 1, CONFIRM, YES answering a reminder.
    Confirm,
    /// R, 2, RESCHEDULE, "call me": flag for call-back.
    Reschedule,
    /// STOP and every other opt-out wording.
    OptOut,
    /// CANCEL: an opt-out *and* a call-back flag (they may have meant the appointment).
    Cancel,
    /// START, UNSTOP, YES when not answering a reminder.
    OptIn,
    /// HELP, INFO.
    Help,
    /// Anything else: kept for the reply inbox.
    Other,
}

impl ReplyKind {
    pub const ALL: [Self; 7] = [
        Self::Confirm,
        Self::Reschedule,
        Self::OptOut,
        Self::Cancel,
        Self::OptIn,
        Self::Help,
        Self::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirm => "confirm",
            Self::Reschedule => "reschedule",
            Self::OptOut => "opt_out",
            Self::Cancel => "cancel",
            Self::OptIn => "opt_in",
            Self::Help => "help",
            Self::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
    /// The day view's short tag: C, R, STOP, other.
    pub fn tag(self) -> &'static str {
        match self {
            Self::Confirm => "C",
            Self::Reschedule => "R",
            Self::OptOut | Self::Cancel => "STOP",
            Self::OptIn => "START",
            Self::Help => "HELP",
            Self::Other => "other",
        }
    }
}
