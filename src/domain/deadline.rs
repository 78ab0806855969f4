//! Texts that must arrive before something begins (SPEC §5.6): a closure notice before the
//! closure, anything about an appointment before the appointment. Such a text carries its
//! deadline (`send_by`) and is withdrawn — never sent late — once the deadline has passed, or
//! as soon as the earliest moment it could go (quiet hours) is already too late. A closure
//! notice that cannot reach a patient in time puts that patient on the call-back list.
//!
//! Also owns how a moment is written for staff: in the practice's local time, never UTC.
//!
//! Pure: std, chrono(-tz); `now` is a parameter.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::message::MessageKind;
use super::reminder::{Held, SkipReason};

/// Apply a text's deadline to what the other sending rules said (`checked`, e.g. from
/// `reminder::send_check`): at or after `send_by` the text is too late; a wait (quiet hours)
/// that would end at or after `send_by` is too late as well, at once — there is no point in
/// holding a text that can only go late. Without a deadline, `checked` stands.
pub fn apply(
    now: DateTime<Utc>,
    send_by: Option<DateTime<Utc>>,
    checked: Result<(), Held>,
) -> Result<(), Held> {
    let Some(by) = send_by else {
        return checked;
    };
    let too_late = Err(Held {
        reason: SkipReason::TooLate,
        retry_at: None,
    });
    if now >= by {
        return too_late;
    }
    match checked {
        Err(Held {
            retry_at: Some(at), ..
        }) if at >= by => too_late,
        other => other,
    }
}

/// Does a text of this kind that cannot reach its patient in time put them on the call-back
/// list? Closure and schedule-change notices do: the patient must learn of the closure some
/// other way. (A reminder that cannot go is covered by the schedule; a portal prompt waits in
/// the portal.)
pub fn calls_back(kind: MessageKind) -> bool {
    kind == MessageKind::Closure
}

/// Why a patient goes on the call-back list when a closure notice cannot reach them in time
/// (`why`: the skip reason or the provider's failure, in words).
pub fn callback_reason(kind: MessageKind, why: &str) -> String {
    format!("{kind} could not reach the patient in time: {why}")
}

/// A moment as staff read it: in the practice's zone, with the day and the zone's
/// abbreviation — "Thu Nov 26 08:00 EST".
pub fn local_label(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz)
        .format("%a %b %-d %H:%M %Z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::America::{Los_Angeles, New_York};
    use rstest::rstest;

    fn t(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        New_York
            .with_ymd_and_hms(2026, 3, d, h, m, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn wait(at: DateTime<Utc>) -> Result<(), Held> {
        Err(Held {
            reason: SkipReason::QuietHours {
                until: at.with_timezone(&New_York).time(),
            },
            retry_at: Some(at),
        })
    }

    fn held(reason: SkipReason) -> Result<(), Held> {
        Err(Held {
            reason,
            retry_at: None,
        })
    }

    #[rstest]
    // No deadline: whatever the rules said.
    #[case(t(4, 9, 0), None, Ok(()), Ok(()))]
    #[case(t(4, 22, 0), None, wait(t(5, 8, 0)), wait(t(5, 8, 0)))]
    // Before the deadline: as the rules said.
    #[case(t(4, 9, 0), Some(t(4, 13, 0)), Ok(()), Ok(()))]
    #[case(t(4, 7, 0), Some(t(4, 13, 0)), wait(t(4, 8, 0)), wait(t(4, 8, 0)))]
    #[case(
        t(4, 9, 0),
        Some(t(4, 13, 0)),
        held(SkipReason::OptedOut),
        held(SkipReason::OptedOut)
    )]
    // At or after it: too late, even if the rules say go.
    #[case(t(4, 13, 0), Some(t(4, 13, 0)), Ok(()), held(SkipReason::TooLate))]
    #[case(t(5, 9, 0), Some(t(4, 16, 10)), Ok(()), held(SkipReason::TooLate))]
    // A wait that ends at or after it: too late now, not held.
    #[case(
        t(4, 21, 0),
        Some(t(5, 8, 0)),
        wait(t(5, 8, 0)),
        held(SkipReason::TooLate)
    )]
    #[case(
        t(4, 21, 0),
        Some(t(5, 7, 30)),
        wait(t(5, 8, 0)),
        held(SkipReason::TooLate)
    )]
    #[case(t(4, 21, 0), Some(t(5, 8, 1)), wait(t(5, 8, 0)), wait(t(5, 8, 0)))]
    fn a_deadline_withdraws_rather_than_sends_late(
        #[case] now: DateTime<Utc>,
        #[case] send_by: Option<DateTime<Utc>>,
        #[case] checked: Result<(), Held>,
        #[case] expected: Result<(), Held>,
    ) {
        assert_eq!(apply(now, send_by, checked), expected);
    }

    #[test]
    fn only_closure_notices_call_back() {
        for k in MessageKind::ALL {
            assert_eq!(calls_back(*k), *k == MessageKind::Closure, "{k}");
        }
        assert_eq!(
            callback_reason(MessageKind::Closure, &SkipReason::NoConsent.label()),
            "closure could not reach the patient in time: no consent"
        );
    }

    #[rstest]
    #[case(Utc.with_ymd_and_hms(2026, 3, 11, 17, 0, 0).unwrap(), New_York, "Wed Mar 11 13:00 EDT")]
    #[case(Utc.with_ymd_and_hms(2026, 3, 5, 13, 0, 0).unwrap(), New_York, "Thu Mar 5 08:00 EST")]
    #[case(Utc.with_ymd_and_hms(2026, 11, 26, 16, 0, 0).unwrap(), Los_Angeles, "Thu Nov 26 08:00 PST")]
    fn moments_are_written_in_the_practice_zone(
        #[case] at: DateTime<Utc>,
        #[case] tz: Tz,
        #[case] expected: &str,
    ) {
        assert_eq!(local_label(at, tz), expected);
    }
}
