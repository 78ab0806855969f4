//! What was decided is what is shown (issue 9 item 7): the decision `remind` took about a due
//! reminder that did not go out — skipped, waiting, or blocked by the PHI gate — kept as it
//! was when it was taken, and the rule that merges those decisions with the planner's
//! forecast for the day view and the patient screen.
//!
//! Pure: std, chrono, serde. `workflow::remind` records decisions; `workflow::day` and
//! `workflow::desk_patient` merge them. Must not import `phi` (a finding arrives here as its
//! category's name and words).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::plan::{PlanLine, Verdict};
use super::{Basis, ReminderCell, ReminderState, SkipReason};
use crate::domain::appointment::Appointment;
use crate::domain::ids::AppointmentId;

/// The PHI gate's finding for a blocked reminder: its category and what that means, never
/// the matched words or the body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateFinding {
    /// The category's stable name (`medication`, `procedure`, …).
    pub category: String,
    /// The category in words for staff ("looks like a medication name or dose").
    pub explanation: String,
}

/// What was decided about one due reminder that did not go out when it was due.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decided", rename_all = "snake_case")]
pub enum Decided {
    /// Not sent, and not going to be unless something changes.
    Skipped { reason: SkipReason },
    /// Held until `until` (quiet hours; the caps).
    Waiting {
        until: DateTime<Utc>,
        reason: SkipReason,
    },
    /// Refused by the PHI gate.
    Blocked { finding: Option<GateFinding> },
}

impl Decided {
    /// The cell state this decision shows as.
    pub fn state(&self) -> ReminderState {
        match self {
            Self::Skipped { reason } => ReminderState::Skipped(reason.clone()),
            Self::Waiting { until, reason } => ReminderState::Waiting {
                until: *until,
                reason: reason.clone(),
            },
            Self::Blocked { finding } => ReminderState::Blocked {
                finding: finding.clone(),
            },
        }
    }
}

/// One recorded decision: which reminder (appointment, the start it was decided for, offset),
/// what, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderDecision {
    pub appointment_id: AppointmentId,
    /// The start the reminder was about: a rescheduled appointment's old decisions no longer
    /// speak for its new time (it earns fresh reminders).
    pub start: DateTime<Utc>,
    pub offset_hours: u32,
    pub decided: Decided,
    pub decided_at: DateTime<Utc>,
}

/// The decision `remind` takes at `now` about appointment `a` from its plan line, if it is
/// one to record: the line holds its *due* reminder (the latest offset whose moment has come)
/// back — skipped or waiting — and no message row stands for that reminder. Sends are
/// recorded as message rows; "already sent" and "superseded" decide nothing new; a reminder
/// whose moment has not come is a forecast, not a decision.
pub fn due_decision(
    offsets: &[u32],
    now: DateTime<Utc>,
    a: &Appointment,
    line: &PlanLine,
) -> Option<ReminderDecision> {
    let Verdict::Skip(held) = &line.verdict else {
        return None;
    };
    if matches!(
        held.reason,
        SkipReason::AlreadySent | SkipReason::Superseded
    ) {
        return None;
    }
    let due = offsets
        .iter()
        .copied()
        .filter(|&o| o > 0 && a.start - Duration::hours(i64::from(o)) <= now)
        .min()?;
    let cell = line.cells.iter().find(|c| c.offset_hours == due);
    if cell.is_some_and(|c| c.state.is_from_message()) {
        return None;
    }
    let decided = match held.retry_at {
        Some(until) => Decided::Waiting {
            until,
            reason: held.reason.clone(),
        },
        None => Decided::Skipped {
            reason: held.reason.clone(),
        },
    };
    Some(ReminderDecision {
        appointment_id: a.id,
        start: a.start,
        offset_hours: due,
        decided,
        decided_at: now,
    })
}

/// The cells the desk sees for an appointment starting at `start`: recorded states win over
/// forecasts. A message row is what happened (a blocked row takes the gate's finding from
/// its decision); else a decision recorded for this reminder at this start is what was
/// decided; else the planner's forecast stays, marked as one.
pub fn merge_recorded(
    cells: Vec<ReminderCell>,
    appointment: AppointmentId,
    start: DateTime<Utc>,
    decisions: &[ReminderDecision],
) -> Vec<ReminderCell> {
    let decision = |offset: u32| {
        decisions.iter().find(|d| {
            d.appointment_id == appointment && d.start == start && d.offset_hours == offset
        })
    };
    cells
        .into_iter()
        .map(|cell| {
            let d = decision(cell.offset_hours);
            let (state, basis) = match (cell.state, d) {
                (ReminderState::Blocked { finding: None }, Some(d)) => {
                    let state = match &d.decided {
                        Decided::Blocked { .. } => d.decided.state(),
                        _ => ReminderState::Blocked { finding: None },
                    };
                    (state, Basis::Recorded { at: None })
                }
                (state, _) if state.is_from_message() => (state, Basis::Recorded { at: None }),
                (_, Some(d)) => (
                    d.decided.state(),
                    Basis::Recorded {
                        at: Some(d.decided_at),
                    },
                ),
                (state, None) => (state, Basis::Forecast),
            };
            ReminderCell {
                offset_hours: cell.offset_hours,
                state,
                basis,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
