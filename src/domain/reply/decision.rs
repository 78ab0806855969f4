//! What a patient's reply does (SPEC §5.3–§5.4), decided from what it was read as and what
//! was loaded about its sender: which reminder it can answer ("open reminder"), what to act
//! on, what to file it as, and which answer to send back.
//!
//! Pure: std, chrono. `workflow::sync::reply` loads the sender's patients, their reminders
//! and appointments, asks here, then writes and audits what comes back.

use chrono::{DateTime, Duration, Utc};

use super::ReplyKind;
use crate::domain::appointment::Appointment;
use crate::domain::message::{MessageKind, MessageStatus};

/// A reply can answer a reminder sent at most this long before it.
pub const REMINDER_ANSWER_WINDOW: Duration = Duration::days(7);

/// An opt-out confirmation goes only within this long of the STOP (FCC 2024); older, none.
pub const OPT_OUT_CONFIRMATION_WINDOW: Duration = Duration::minutes(5);

/// A reminder row can still be answered by a reply received at `at`: it left (or is on its
/// way) and went at most [`REMINDER_ANSWER_WINDOW`] before.
pub fn reminder_answerable(
    status: MessageStatus,
    sent_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> bool {
    matches!(
        status,
        MessageStatus::Queued | MessageStatus::Sent | MessageStatus::Delivered
    ) && sent_at <= at
        && at - sent_at <= REMINDER_ANSWER_WINDOW
}

/// An appointment a reminder named is still worth answering about at `at`: open, not
/// started, and still at the time the reminder gave (a reschedule earns its own reminder).
pub fn is_live(a: &Appointment, reminded_start: DateTime<Utc>, at: DateTime<Utc>) -> bool {
    a.start == reminded_start && a.status.is_open() && a.start > at
}

/// A "C" confirms a visit its reminder named only while reminders still go for it: a closure
/// notice took a to-rebook visit away, and "confirmed" would tell the desk the patient is
/// coming to a day the practice is closed. Such a reply waits in the inbox for a person.
pub fn confirmable(a: &Appointment) -> bool {
    a.expects_reminders()
}

/// Replies that answer a reminder: after one, the reminder is no longer open.
pub fn answers_reminder(kind: ReplyKind) -> bool {
    matches!(
        kind,
        ReplyKind::Confirm | ReplyKind::Reschedule | ReplyKind::Cancel
    )
}

/// An opt-out confirmation may still go for a STOP received at `received_at`.
pub fn within_confirmation_window(received_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - received_at <= OPT_OUT_CONFIRMATION_WINDOW
}

/// What the sender's number tells about a reply before it is acted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sender {
    /// Some patient has this number.
    pub known: bool,
    /// How many of the number's patients have a reminder waiting for an answer.
    pub open_reminders: usize,
}

/// What to do with a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    /// Nothing: file it as `filed`, with a note for the person who reads it.
    File {
        filed: ReplyKind,
        note: Option<&'static str>,
    },
    /// Opt out everyone on the number; a CANCEL also asks for a call-back.
    OptOut { callback: bool },
    /// Opt in everyone on the number.
    OptIn,
    /// Answer with the HELP text.
    Help,
    /// Confirm the one open reminder's live appointments.
    Confirm,
    /// Ask for a call-back about the open reminder's appointments (or the next one).
    Callback,
}

/// The reply decision. A confirmation needs exactly one open reminder on the number (with
/// two, whose visit it confirms is a guess): otherwise a person reads it. An unknown sender
/// is only filed. `read_as` already counts the open reminder: without one, YES is an opt-in
/// and C/R are `other` ([`super::classify`]).
pub fn decide(read_as: ReplyKind, sender: Sender) -> Act {
    if !sender.known {
        return Act::File {
            filed: ReplyKind::Other,
            note: Some("unknown sender"),
        };
    }
    match read_as {
        ReplyKind::OptOut => Act::OptOut { callback: false },
        ReplyKind::Cancel => Act::OptOut { callback: true },
        ReplyKind::OptIn => Act::OptIn,
        ReplyKind::Help => Act::Help,
        ReplyKind::Confirm if sender.open_reminders == 1 => Act::Confirm,
        ReplyKind::Confirm => Act::File {
            filed: ReplyKind::Other,
            note: Some("shared number with several open reminders"),
        },
        ReplyKind::Reschedule => Act::Callback,
        ReplyKind::Other => Act::File {
            filed: ReplyKind::Other,
            note: None,
        },
    }
}

/// The answer to a consent change, or why none goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsentAnswer {
    Send(MessageKind),
    AlreadyOptedOut,
    AlreadyOptedIn,
    /// The STOP was read more than five minutes after it came: no confirmation at all.
    WindowPassed,
}

impl ConsentAnswer {
    /// The note filed with the reply when no answer goes.
    pub fn note(self) -> Option<&'static str> {
        match self {
            Self::Send(_) => None,
            Self::AlreadyOptedOut => Some("already opted out"),
            Self::AlreadyOptedIn => Some("already opted in"),
            Self::WindowPassed => Some("opt-out confirmation window passed"),
        }
    }
}

/// After an opt-out or opt-in changed `changed` patients' consent: one confirmation (an
/// opt-out's only within five minutes of the STOP), none when nothing changed.
pub fn consent_answer(
    kind: ReplyKind,
    changed: usize,
    received_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ConsentAnswer {
    let opt_out = matches!(kind, ReplyKind::OptOut | ReplyKind::Cancel);
    match (opt_out, changed) {
        (true, 0) => ConsentAnswer::AlreadyOptedOut,
        (false, 0) => ConsentAnswer::AlreadyOptedIn,
        (true, _) if !within_confirmation_window(received_at, now) => ConsentAnswer::WindowPassed,
        (true, _) => ConsentAnswer::Send(MessageKind::OptOutConfirmation),
        (false, _) => ConsentAnswer::Send(MessageKind::OptInConfirmation),
    }
}

/// How a confirm or call-back request is filed once its appointments are known: with none
/// left to act on, as `other` with the reason, so a person reads it.
pub fn filed_after(act: Act, appointments: usize) -> (ReplyKind, Option<&'static str>) {
    match (act, appointments) {
        (Act::Confirm, 0) => (ReplyKind::Other, Some("nothing left to confirm")),
        (Act::Confirm, _) => (ReplyKind::Confirm, None),
        (Act::Callback, 0) => (
            ReplyKind::Other,
            Some("no upcoming appointment to call back about"),
        ),
        (Act::Callback, _) => (ReplyKind::Reschedule, None),
        (Act::OptOut { callback: true }, _) => (ReplyKind::Cancel, None),
        (Act::OptOut { callback: false }, _) => (ReplyKind::OptOut, None),
        (Act::OptIn, _) => (ReplyKind::OptIn, None),
        (Act::Help, _) => (ReplyKind::Help, None),
        (Act::File { filed, note }, _) => (filed, note),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::appointment::AppointmentStatus;
    use crate::domain::ids::{AppointmentId, AppointmentTypeId, ClinicianId, PatientId};
    use chrono::TimeZone;
    use rstest::rstest;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 25, h, m, 0).unwrap()
    }

    fn appt(start: DateTime<Utc>, status: AppointmentStatus) -> Appointment {
        Appointment {
            id: AppointmentId(1),
            patient_id: PatientId(1),
            clinician_id: ClinicianId(1),
            type_id: AppointmentTypeId(1),
            start,
            duration_minutes: 30,
            status,
            booked_at: t(8, 0),
            callback_requested: false,
            to_rebook: false,
        }
    }

    const ONE: Sender = Sender {
        known: true,
        open_reminders: 1,
    };
    const NONE_OPEN: Sender = Sender {
        known: true,
        open_reminders: 0,
    };
    const TWO: Sender = Sender {
        known: true,
        open_reminders: 2,
    };
    const STRANGER: Sender = Sender {
        known: false,
        open_reminders: 0,
    };

    #[rstest]
    #[case::stop(ReplyKind::OptOut, ONE, Act::OptOut { callback: false })]
    #[case::stop_without_a_reminder(ReplyKind::OptOut, NONE_OPEN, Act::OptOut { callback: false })]
    #[case::cancel_opts_out_and_asks_a_call(ReplyKind::Cancel, ONE, Act::OptOut { callback: true })]
    #[case::start(ReplyKind::OptIn, NONE_OPEN, Act::OptIn)]
    #[case::help(ReplyKind::Help, TWO, Act::Help)]
    #[case::confirm_one_open(ReplyKind::Confirm, ONE, Act::Confirm)]
    #[case::confirm_shared_number(
        ReplyKind::Confirm, TWO,
        Act::File { filed: ReplyKind::Other, note: Some("shared number with several open reminders") }
    )]
    #[case::reschedule(ReplyKind::Reschedule, ONE, Act::Callback)]
    #[case::reschedule_without_a_reminder(ReplyKind::Reschedule, NONE_OPEN, Act::Callback)]
    #[case::other(ReplyKind::Other, ONE, Act::File { filed: ReplyKind::Other, note: None })]
    #[case::stop_from_a_stranger(
        ReplyKind::OptOut, STRANGER,
        Act::File { filed: ReplyKind::Other, note: Some("unknown sender") }
    )]
    #[case::yes_from_a_stranger(
        ReplyKind::OptIn, STRANGER,
        Act::File { filed: ReplyKind::Other, note: Some("unknown sender") }
    )]
    fn what_a_reply_does(#[case] read_as: ReplyKind, #[case] sender: Sender, #[case] act: Act) {
        assert_eq!(decide(read_as, sender), act);
    }

    #[rstest]
    #[case::first_stop(
        ReplyKind::OptOut,
        1,
        2,
        ConsentAnswer::Send(MessageKind::OptOutConfirmation)
    )]
    #[case::stop_for_a_family(
        ReplyKind::OptOut,
        3,
        0,
        ConsentAnswer::Send(MessageKind::OptOutConfirmation)
    )]
    #[case::stop_at_five_minutes(
        ReplyKind::OptOut,
        1,
        5,
        ConsentAnswer::Send(MessageKind::OptOutConfirmation)
    )]
    #[case::stop_read_six_minutes_late(ReplyKind::OptOut, 1, 6, ConsentAnswer::WindowPassed)]
    #[case::second_stop(ReplyKind::OptOut, 0, 0, ConsentAnswer::AlreadyOptedOut)]
    #[case::cancel(
        ReplyKind::Cancel,
        1,
        0,
        ConsentAnswer::Send(MessageKind::OptOutConfirmation)
    )]
    #[case::start(
        ReplyKind::OptIn,
        1,
        60,
        ConsentAnswer::Send(MessageKind::OptInConfirmation)
    )]
    #[case::second_start(ReplyKind::OptIn, 0, 0, ConsentAnswer::AlreadyOptedIn)]
    fn the_answer_to_a_consent_change(
        #[case] kind: ReplyKind,
        #[case] changed: usize,
        #[case] minutes_later: i64,
        #[case] answer: ConsentAnswer,
    ) {
        let received = t(9, 0);
        let now = received + Duration::minutes(minutes_later);
        assert_eq!(consent_answer(kind, changed, received, now), answer);
    }

    #[test]
    fn every_unanswered_change_has_a_note_and_an_answer_has_none() {
        let kind = MessageKind::OptOutConfirmation;
        assert_eq!(ConsentAnswer::Send(kind).note(), None);
        for a in [
            ConsentAnswer::AlreadyOptedOut,
            ConsentAnswer::AlreadyOptedIn,
            ConsentAnswer::WindowPassed,
        ] {
            assert!(a.note().is_some(), "{a:?}");
        }
    }

    #[rstest]
    #[case::confirmed(Act::Confirm, 1, ReplyKind::Confirm, None)]
    #[case::nothing_left(Act::Confirm, 0, ReplyKind::Other, Some("nothing left to confirm"))]
    #[case::callback(Act::Callback, 2, ReplyKind::Reschedule, None)]
    #[case::no_visit_to_call_about(
        Act::Callback,
        0,
        ReplyKind::Other,
        Some("no upcoming appointment to call back about")
    )]
    #[case::cancel_without_a_visit(Act::OptOut { callback: true }, 0, ReplyKind::Cancel, None)]
    fn how_a_reply_is_filed(
        #[case] act: Act,
        #[case] appointments: usize,
        #[case] filed: ReplyKind,
        #[case] note: Option<&'static str>,
    ) {
        assert_eq!(filed_after(act, appointments), (filed, note));
    }

    #[rstest]
    #[case::upcoming_open(t(10, 0), AppointmentStatus::Booked, t(10, 0), t(9, 0), true)]
    #[case::confirmed_still_open(t(10, 0), AppointmentStatus::Confirmed, t(10, 0), t(9, 0), true)]
    #[case::started(t(10, 0), AppointmentStatus::Booked, t(10, 0), t(10, 0), false)]
    #[case::moved_since(t(11, 0), AppointmentStatus::Booked, t(10, 0), t(9, 0), false)]
    #[case::cancelled(t(10, 0), AppointmentStatus::Cancelled, t(10, 0), t(9, 0), false)]
    #[case::arrived(t(10, 0), AppointmentStatus::Arrived, t(10, 0), t(9, 0), false)]
    fn an_appointment_is_live_while_open_upcoming_and_unmoved(
        #[case] start: DateTime<Utc>,
        #[case] status: AppointmentStatus,
        #[case] reminded: DateTime<Utc>,
        #[case] at: DateTime<Utc>,
        #[case] live: bool,
    ) {
        assert_eq!(is_live(&appt(start, status), reminded, at), live);
    }

    #[rstest]
    #[case::booked(AppointmentStatus::Booked, false, true)]
    #[case::confirmed_again(AppointmentStatus::Confirmed, false, true)]
    #[case::taken_away_by_a_closure(AppointmentStatus::Booked, true, false)]
    #[case::cancelled(AppointmentStatus::Cancelled, false, false)]
    fn a_c_confirms_only_a_visit_still_expected(
        #[case] status: AppointmentStatus,
        #[case] to_rebook: bool,
        #[case] confirms: bool,
    ) {
        let a = Appointment {
            to_rebook,
            ..appt(t(10, 0), status)
        };
        assert_eq!(confirmable(&a), confirms);
    }

    #[rstest]
    #[case::delivered_yesterday(MessageStatus::Delivered, 24, true)]
    #[case::sent_a_week_ago(MessageStatus::Sent, 24 * 7, true)]
    #[case::older_than_a_week(MessageStatus::Delivered, 24 * 7 + 1, false)]
    #[case::queued(MessageStatus::Queued, 1, true)]
    #[case::failed(MessageStatus::Failed, 1, false)]
    #[case::withdrawn(MessageStatus::Withdrawn, 1, false)]
    #[case::still_pending(MessageStatus::Pending, 1, false)]
    #[case::after_the_reply(MessageStatus::Delivered, -1, false)]
    fn which_reminders_a_reply_can_answer(
        #[case] status: MessageStatus,
        #[case] hours_before: i64,
        #[case] answerable: bool,
    ) {
        let at = t(12, 0);
        let sent = at - Duration::hours(hours_before);
        assert_eq!(reminder_answerable(status, sent, at), answerable);
    }

    #[rstest]
    #[case(ReplyKind::Confirm, true)]
    #[case(ReplyKind::Reschedule, true)]
    #[case(ReplyKind::Cancel, true)]
    #[case(ReplyKind::OptOut, false)]
    #[case(ReplyKind::OptIn, false)]
    #[case(ReplyKind::Help, false)]
    #[case(ReplyKind::Other, false)]
    fn only_appointment_answers_close_a_reminder(#[case] kind: ReplyKind, #[case] closes: bool) {
        assert_eq!(answers_reminder(kind), closes);
    }
}
