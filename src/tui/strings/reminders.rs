//! The words and symbols of a reminder cell: the day view's symbol or word, its detail line,
//! and the patient screen's line (with when a recorded decision was taken). Forecasts say
//! what *will* happen; recorded states say what happened. No IO; must not import `workflow`.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{EMPTY_CELL, offset_header, short_when};
use crate::domain::reminder::{Basis, ReminderCell, ReminderState, SkipReason};

/// One reminder cell: a symbol when narrow, a word when wide.
/// A reminder cell still being worked out (the sheet is shown first). Not "…": that is a
/// queued text's narrow cell.
pub fn reminder_loading(wide: bool) -> &'static str {
    if wide { "loading" } else { "⋯" }
}

pub fn reminder(state: Option<&ReminderState>, wide: bool) -> &'static str {
    let Some(state) = state else {
        return EMPTY_CELL;
    };
    match (state, wide) {
        (ReminderState::Planned { .. }, false) => "·",
        (ReminderState::Planned { .. }, true) => "planned",
        (ReminderState::Queued, false) => "…",
        (ReminderState::Queued, true) => "queued",
        (ReminderState::Sent, false) => "✓",
        (ReminderState::Sent, true) => "sent",
        (ReminderState::Delivered, false) => "✓✓",
        (ReminderState::Delivered, true) => "delivered",
        (ReminderState::Failed { .. }, false) => "✗",
        (ReminderState::Failed { .. }, true) => "failed",
        // reception: stopped by the PHI gate is not an ordinary skip.
        (ReminderState::Waiting { .. }, false) => "»",
        (ReminderState::Waiting { .. }, true) => "waits",
        (
            ReminderState::Blocked { .. } | ReminderState::Skipped(SkipReason::BlockedByGate),
            false,
        ) => "⊘",
        (
            ReminderState::Blocked { .. } | ReminderState::Skipped(SkipReason::BlockedByGate),
            true,
        ) => "blocked",
        (ReminderState::Skipped(_), false) => "–",
        (ReminderState::Skipped(_), true) => "skipped",
    }
}

/// One reminder in words for the detail line: "48h skipped: no consent" when it was decided,
/// "24h will skip: no consent" / "24h will send Thu Mar 5 10:00" when it is a forecast.
pub fn reminder_detail(cell: &ReminderCell, tz: Tz) -> String {
    let offset = offset_header(cell.offset_hours);
    let forecast = cell.basis == Basis::Forecast;
    match &cell.state {
        ReminderState::Planned { due } => format!("{offset} will send {}", short_when(*due, tz)),
        ReminderState::Failed { code: Some(code) } => format!("{offset} failed ({code})"),
        ReminderState::Blocked { finding: Some(f) } => {
            format!(
                "{offset} blocked by the PHI gate: {} — see the patient (p)",
                f.category
            )
        }
        ReminderState::Blocked { finding: None }
        | ReminderState::Skipped(SkipReason::BlockedByGate) => {
            format!("{offset} blocked by the PHI gate — see the patient (p)")
        }
        ReminderState::Waiting { until, reason } => waiting(&offset, *until, reason, tz),
        // Nothing will happen to a reminder whose moment has gone or whose visit is closed:
        // it was not sent. The others are what `remind` will decide when it is due.
        ReminderState::Skipped(
            reason @ (SkipReason::Superseded | SkipReason::Passed | SkipReason::NotOpen { .. }),
        ) if forecast => format!("{offset} not sent: {}", reason.label()),
        ReminderState::Skipped(reason) if forecast => {
            format!("{offset} will skip: {}", reason.label())
        }
        ReminderState::Skipped(reason) => format!("{offset} skipped: {}", reason.label()),
        other => format!("{offset} {}", reminder(Some(other), true)),
    }
}

/// "24h waits: quiet hours → deferred to 08:00" or "24h waits until Thu Mar 5 08:00:
/// frequency cap".
fn waiting(offset: &str, until: DateTime<Utc>, reason: &SkipReason, tz: Tz) -> String {
    match reason {
        SkipReason::QuietHours { .. } => format!("{offset} waits: {}", reason.label()),
        _ => format!(
            "{offset} waits until {}: {}",
            short_when(until, tz),
            reason.label()
        ),
    }
}

/// A reminder on the patient screen: the words of [`reminder_detail`], and when a recorded
/// decision was taken ("48h skipped: no consent · decided Mon Mar 2 10:00"); a block names
/// what the gate found.
pub fn reminder_on_file(cell: &ReminderCell, tz: Tz) -> String {
    let words = match &cell.state {
        ReminderState::Blocked { finding: Some(f) } => format!(
            "{} blocked by the PHI gate: {} ({}); send a portal prompt instead",
            offset_header(cell.offset_hours),
            f.explanation,
            f.category
        ),
        ReminderState::Blocked { finding: None }
        | ReminderState::Skipped(SkipReason::BlockedByGate) => format!(
            "{} blocked by the PHI gate; send a portal prompt instead",
            offset_header(cell.offset_hours)
        ),
        _ => reminder_detail(cell, tz),
    };
    match cell.basis {
        Basis::Recorded { at: Some(at) } => format!("{words} · decided {}", short_when(at, tz)),
        _ => words,
    }
}

/// Reminder states whose cell symbol does not tell the whole story (a reason, a code, a time).
pub fn reminder_needs_words(state: &ReminderState) -> bool {
    matches!(
        state,
        ReminderState::Planned { .. }
            | ReminderState::Failed { .. }
            | ReminderState::Skipped(_)
            | ReminderState::Waiting { .. }
            | ReminderState::Blocked { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::reminder::GateFinding;

    #[test]
    fn reminder_words_for_the_detail_line() {
        let tz = chrono_tz::America::New_York;
        let mut skipped = ReminderCell {
            offset_hours: 48,
            state: ReminderState::Skipped(SkipReason::NoConsent),
            basis: Basis::Recorded { at: None },
        };
        assert_eq!(reminder_detail(&skipped, tz), "48h skipped: no consent");
        skipped.basis = Basis::Forecast;
        assert_eq!(
            reminder_detail(&skipped, tz),
            "48h will skip: no consent",
            "a forecast says what will happen"
        );
        let sent = ReminderCell {
            offset_hours: 24,
            state: ReminderState::Delivered,
            basis: Basis::Recorded { at: None },
        };
        assert_eq!(reminder_detail(&sent, tz), "24h delivered");
        assert_eq!(reminder(None, false), EMPTY_CELL);
        assert_eq!(reminder(Some(&ReminderState::Delivered), false), "✓✓");
        // A gate block is not shown like any skip.
        let blocked = ReminderState::Blocked { finding: None };
        assert_eq!(reminder(Some(&blocked), false), "⊘");
        assert_ne!(
            reminder(Some(&blocked), false),
            reminder(Some(&skipped.state), false)
        );
        let mut cell = ReminderCell {
            offset_hours: 24,
            state: blocked,
            basis: Basis::Recorded { at: None },
        };
        assert!(reminder_detail(&cell, tz).starts_with("24h blocked by the PHI gate"));
        cell.state = ReminderState::Blocked {
            finding: Some(GateFinding {
                category: "medication".into(),
                explanation: "looks like a medication or dose".into(),
            }),
        };
        assert_eq!(
            reminder_on_file(&cell, tz),
            "24h blocked by the PHI gate: looks like a medication or dose (medication); \
             send a portal prompt instead"
        );
    }

    #[test]
    fn a_wait_is_neither_planned_nor_skipped_and_a_decision_says_when() {
        let tz = chrono_tz::America::New_York;
        let at = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 3, 5, 13, 0, 0).unwrap();
        let cell = ReminderCell {
            offset_hours: 24,
            state: ReminderState::Waiting {
                until: at,
                reason: SkipReason::FrequencyCap,
            },
            basis: Basis::Recorded { at: Some(at) },
        };
        assert_eq!(reminder(Some(&cell.state), false), "»");
        assert_eq!(
            reminder_on_file(&cell, tz),
            "24h waits until Thu Mar 5 08:00: frequency cap · decided Thu Mar 5 08:00"
        );
    }
}
