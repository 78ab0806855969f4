//! What the appointment export says about each reminder of an appointment: what became of
//! it, and why when it did not go.
//!
//! Pure. A reminder with a message row reports that row's status (and the provider's code
//! when it failed); one without a row is explained from what is kept — cancelled before its
//! time, booked after it, no mobile number, consent at that moment — or is still planned.
//! Skip reasons use the planner's words (`SkipReason::label`).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::consent::ConsentEvent;
use super::consent_history::{ConsentAtSend, at_send};
use super::message::{MessageKind, MessageStatus};
use super::reminder::SkipReason;
use super::stats::AppointmentFacts;

/// What became of one reminder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fate {
    Delivered,
    /// Handed to the provider; no delivery receipt (yet).
    Sent,
    /// Waiting: the offline outbox, a retry, quiet hours.
    Queued,
    Failed,
    Undelivered,
    /// Refused by the PHI gate; never left.
    Blocked,
    /// Taken back before it left.
    Withdrawn,
    /// No message was written.
    NotSent,
    /// Its time has not come.
    Planned,
}

impl Fate {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Sent => "sent",
            Self::Queued => "queued",
            Self::Failed => "failed",
            Self::Undelivered => "undelivered",
            Self::Blocked => "blocked",
            Self::Withdrawn => "withdrawn",
            Self::NotSent => "not_sent",
            Self::Planned => "planned",
        }
    }
}

/// One reminder of one appointment, as exported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderOutcome {
    pub offset_hours: u32,
    pub outcome: Fate,
    pub reason: Option<String>,
}

/// A message row recorded for this appointment at its current start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedReminder {
    pub offset_hours: u32,
    pub status: MessageStatus,
    pub error_code: Option<String>,
    /// Our own reason for a withdrawal (never the provider's text, which may quote a number).
    pub withdrawn_reason: Option<String>,
}

/// What the explanation of one appointment's reminders reads.
#[derive(Clone, Copy, Debug)]
pub struct ReminderContext<'a> {
    pub appointment: &'a AppointmentFacts,
    /// The configured offsets (any order).
    pub offsets: &'a [u32],
    pub recorded: &'a [RecordedReminder],
    pub has_mobile: bool,
    /// The patient's consent events, oldest first.
    pub consent: &'a [ConsentEvent],
    pub min_lead_minutes: u32,
    pub now: DateTime<Utc>,
}

/// One outcome per offset, largest offset first: the configured ones and any other a row
/// was recorded for (the offsets may have changed since).
pub fn reminder_outcomes(ctx: &ReminderContext<'_>) -> Vec<ReminderOutcome> {
    let mut offsets: Vec<u32> = ctx.offsets.to_vec();
    offsets.extend(ctx.recorded.iter().map(|r| r.offset_hours));
    offsets.sort_unstable_by(|a, b| b.cmp(a));
    offsets.dedup();
    offsets
        .iter()
        .map(|&offset| match best_row(ctx.recorded, offset) {
            Some(row) => from_row(row),
            None => unrecorded(ctx, offset),
        })
        .collect()
}

/// Of several rows for one offset, the one that got furthest.
fn best_row(rows: &[RecordedReminder], offset: u32) -> Option<&RecordedReminder> {
    let rank = |s: MessageStatus| match s {
        MessageStatus::Delivered => 6,
        MessageStatus::Sent | MessageStatus::Received => 5,
        MessageStatus::Queued | MessageStatus::Pending => 4,
        MessageStatus::Failed | MessageStatus::Undelivered => 3,
        MessageStatus::Blocked => 2,
        MessageStatus::Withdrawn => 1,
    };
    rows.iter()
        .filter(|r| r.offset_hours == offset)
        .max_by_key(|r| rank(r.status))
}

fn from_row(row: &RecordedReminder) -> ReminderOutcome {
    let (outcome, reason) = match row.status {
        MessageStatus::Delivered => (Fate::Delivered, None),
        MessageStatus::Sent | MessageStatus::Received => (Fate::Sent, None),
        MessageStatus::Pending | MessageStatus::Queued => (Fate::Queued, row.error_code.clone()),
        MessageStatus::Failed => (Fate::Failed, row.error_code.clone()),
        MessageStatus::Undelivered => (Fate::Undelivered, row.error_code.clone()),
        MessageStatus::Blocked => (Fate::Blocked, Some(SkipReason::BlockedByGate.label())),
        MessageStatus::Withdrawn => (
            Fate::Withdrawn,
            row.withdrawn_reason
                .clone()
                .or_else(|| Some(SkipReason::Withdrawn.label())),
        ),
    };
    ReminderOutcome {
        offset_hours: row.offset_hours,
        outcome,
        reason,
    }
}

/// No row for this offset: still to come, or why it never went.
fn unrecorded(ctx: &ReminderContext<'_>, offset: u32) -> ReminderOutcome {
    let a = ctx.appointment;
    let due = a.start - Duration::hours(i64::from(offset));
    let not_sent = |reason: String| ReminderOutcome {
        offset_hours: offset,
        outcome: Fate::NotSent,
        reason: Some(reason),
    };
    if a.cancelled_at.is_some_and(|c| c <= due) {
        return not_sent("cancelled".into());
    }
    if due > ctx.now {
        return if a.status.is_open() {
            ReminderOutcome {
                offset_hours: offset,
                outcome: Fate::Planned,
                reason: None,
            }
        } else {
            not_sent(a.status.label().into())
        };
    }
    let later_offset = ctx.offsets.iter().any(|&o| o < offset);
    if a.booked_at > due && later_offset {
        return not_sent(SkipReason::Superseded.label());
    }
    if a.booked_at > a.start - Duration::minutes(i64::from(ctx.min_lead_minutes)) {
        return not_sent(SkipReason::TooClose.label());
    }
    if !ctx.has_mobile {
        return not_sent(SkipReason::NoMobile.label());
    }
    if let ConsentAtSend::Missing { state } =
        at_send(ctx.consent, MessageKind::Reminder24h, due.max(a.booked_at))
    {
        return not_sent(state);
    }
    if ctx.recorded.iter().any(|r| r.offset_hours < offset) {
        return not_sent(SkipReason::Superseded.label());
    }
    not_sent("no record of why (reminders not run, or held by a frequency cap)".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::appointment::AppointmentStatus;
    use crate::domain::consent::{ConsentEvent, ConsentKind, ConsentMethod};
    use crate::domain::ids::{AppointmentId, AppointmentTypeId, ClinicianId, PatientId};
    use chrono::TimeZone;

    fn t(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap()
    }

    fn appt() -> AppointmentFacts {
        AppointmentFacts {
            id: AppointmentId(1),
            patient_id: PatientId(1),
            clinician_id: ClinicianId(1),
            type_id: AppointmentTypeId(1),
            start: t(20, 14),
            status: AppointmentStatus::Completed,
            booked_at: t(1, 14),
            cancelled_at: None,
            confirmed_at: None,
        }
    }

    fn opted_in() -> Vec<ConsentEvent> {
        vec![ConsentEvent {
            kind: ConsentKind::OptIn,
            method: ConsentMethod::WrittenForm,
            evidence: Some("F".into()),
            recorded_by: "desk".into(),
            at: t(1, 0),
        }]
    }

    fn row(offset_hours: u32, status: MessageStatus, code: Option<&str>) -> RecordedReminder {
        RecordedReminder {
            offset_hours,
            status,
            error_code: code.map(str::to_string),
            withdrawn_reason: None,
        }
    }

    fn run(
        a: &AppointmentFacts,
        recorded: &[RecordedReminder],
        consent: &[ConsentEvent],
        now: DateTime<Utc>,
    ) -> Vec<(u32, &'static str, Option<String>)> {
        reminder_outcomes(&ReminderContext {
            appointment: a,
            offsets: &[24, 48],
            recorded,
            has_mobile: true,
            consent,
            min_lead_minutes: 120,
            now,
        })
        .into_iter()
        .map(|o| (o.offset_hours, o.outcome.as_str(), o.reason))
        .collect()
    }

    #[test]
    fn recorded_rows_report_their_status_and_code() {
        let rows = [
            row(48, MessageStatus::Failed, Some("30005")),
            row(24, MessageStatus::Delivered, None),
        ];
        assert_eq!(
            run(&appt(), &rows, &opted_in(), t(25, 0)),
            vec![
                (48, "failed", Some("30005".into())),
                (24, "delivered", None)
            ]
        );
        let blocked = [row(24, MessageStatus::Blocked, None)];
        assert_eq!(
            run(&appt(), &blocked, &opted_in(), t(25, 0))[1],
            (24, "blocked", Some("blocked by PHI gate".into()))
        );
    }

    #[test]
    fn missing_reminders_are_explained() {
        let now = t(25, 0);
        // No consent at all.
        assert_eq!(
            run(&appt(), &[], &[], now)[0].2.as_deref(),
            Some("no consent recorded")
        );
        // Cancelled two days ahead: both reminders' times came after.
        let mut a = appt();
        a.status = AppointmentStatus::Cancelled;
        a.cancelled_at = Some(t(17, 0));
        assert!(
            run(&a, &[], &opted_in(), now)
                .iter()
                .all(|o| o.2.as_deref() == Some("cancelled"))
        );
        // Booked 30 hours ahead: the 48 h moment had passed, the 24 h one went.
        let mut a = appt();
        a.booked_at = a.start - Duration::hours(30);
        let got = run(
            &a,
            &[row(24, MessageStatus::Delivered, None)],
            &opted_in(),
            now,
        );
        assert_eq!(got[0], (48, "not_sent", Some("later reminder due".into())));
        // Booked an hour ahead: nothing may go within 2 hours.
        a.booked_at = a.start - Duration::hours(1);
        assert_eq!(
            run(&a, &[], &opted_in(), now)[1].2.as_deref(),
            Some("too close to start")
        );
    }

    #[test]
    fn future_reminders_are_planned_unless_the_appointment_is_closed() {
        let mut a = appt();
        a.status = AppointmentStatus::Booked;
        let now = t(18, 0); // before both moments
        assert_eq!(run(&a, &[], &opted_in(), now)[0].1, "planned");
        a.status = AppointmentStatus::Cancelled;
        a.cancelled_at = Some(t(17, 0));
        assert_eq!(run(&a, &[], &opted_in(), now)[0].1, "not_sent");
    }

    #[test]
    fn an_offset_no_longer_configured_still_shows_its_row() {
        let got = run(
            &appt(),
            &[row(72, MessageStatus::Delivered, None)],
            &opted_in(),
            t(25, 0),
        );
        assert_eq!(
            got.iter().map(|o| o.0).collect::<Vec<_>>(),
            vec![72, 48, 24]
        );
    }
}
