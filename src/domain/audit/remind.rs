//! Typed audit events of the reminder engine: a `remind` run's summary (its counters, the
//! totals counted from its lines, and every line that did not go out) and a recorded decision
//! about a due reminder that changed. Ids, kinds, actions, counts and reasons in staff words,
//! never a name, a number or a body; the action names and JSON the records have always had.
//!
//! A line's reason is the one staff read, and it may quote: the gate quotes the words it
//! matched in the body, a provider's error quotes the number, a damaged record's reason
//! quotes the value. The record keeps the reason without the quotes' contents and with every
//! number masked ([`kept_reason`]).
//!
//! Pure: serde_json for the detail.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{AuditEntry, SYSTEM};
use crate::domain::ids::{AppointmentId, PatientId};
use crate::domain::message::MessageKind;
use crate::domain::phone::mask_numbers;
use crate::domain::reminder::Decided;
use crate::domain::report::{LineAction, Totals};

/// One line of a run, as the run's record lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunLine<'a> {
    pub appointment: Option<AppointmentId>,
    pub patient: PatientId,
    pub kind: MessageKind,
    pub action: LineAction,
    /// Why, in staff words (the engine's, or a provider's with numbers masked).
    pub reason: Option<&'a str>,
    /// The provider's error code of a failure.
    pub code: Option<&'a str>,
}

impl RunLine<'_> {
    /// Lines that did not go out are listed in the run's record (SPEC §5.10); sends, waits
    /// and texts already recorded are only counted.
    pub fn is_noted(&self) -> bool {
        matches!(
            self.action,
            LineAction::Skip
                | LineAction::Blocked
                | LineAction::Failed
                | LineAction::Unreadable
                | LineAction::Withdrawn
        )
    }
}

/// A reason as the run's record keeps it: what is quoted (`"…"`, `“…”`) is left out — the
/// gate quotes the words of the body it matched — and runs of six or more digits become
/// `[number]`; codes ("21610") and the reason's own words stay.
pub fn kept_reason(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len());
    let mut rest = reason;
    while let Some(open) = rest.find(['"', '“']) {
        let (before, from) = rest.split_at(open);
        let quote = from.chars().next().unwrap_or('"');
        let close = if quote == '“' { '”' } else { '"' };
        let inner = &from[quote.len_utf8()..];
        let Some(end) = inner.find(close) else {
            break;
        };
        out.push_str(before);
        out.push(quote);
        out.push('…');
        out.push(close);
        rest = &inner[end + close.len_utf8()..];
    }
    out.push_str(rest);
    mask_numbers(&out)
}

/// What a `remind` run did, counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunSummary<'a> {
    /// Texts the plan sends (a double booking is one text).
    pub texts: usize,
    pub recorded: usize,
    pub sent: usize,
    pub failed: usize,
    pub deferred: usize,
    pub blocked: usize,
    pub welcomes: usize,
    pub surveys: usize,
    /// Why the run stopped early, in staff words ("bad Twilio credentials"); kept as a
    /// line's reason is ([`kept_reason`]).
    pub stopped: Option<&'a str>,
    pub totals: Totals,
}

/// One event of the reminder engine, always by the system.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RemindEvent<'a> {
    /// A run: its summary and every line that did not go out (the others are only counted).
    Run {
        summary: RunSummary<'a>,
        lines: &'a [RunLine<'a>],
    },
    /// The recorded decision about a due reminder changed (the run's record lists the skip).
    DecisionChanged {
        appointment: AppointmentId,
        offset_hours: u32,
        /// `None`: the one recorded before could not be read (edited outside frontdesk), so
        /// the record says only that it was replaced (`"from": null`).
        from: Option<&'a Decided>,
        to: &'a Decided,
    },
}

impl RemindEvent<'_> {
    /// The record, at `at`, by the system.
    pub fn entry(&self, at: DateTime<Utc>) -> AuditEntry {
        let (action, subject, detail) = self.parts();
        AuditEntry::new(at, SYSTEM, action, subject, detail)
    }

    fn parts(&self) -> (&'static str, String, serde_json::Value) {
        match *self {
            Self::Run { summary: s, lines } => {
                let noted: Vec<_> = lines
                    .iter()
                    .filter(|l| l.is_noted())
                    .map(|l| {
                        json!({ "appointment": l.appointment.map(|a| a.0), "patient": l.patient.0,
                                "kind": l.kind.as_str(), "action": l.action,
                                "reason": l.reason.map(kept_reason),
                                "code": l.code })
                    })
                    .collect();
                (
                    "remind.run",
                    "reminders".into(),
                    json!({ "texts": s.texts, "recorded": s.recorded, "sent": s.sent,
                            "failed": s.failed, "deferred": s.deferred, "blocked": s.blocked,
                            "welcomes": s.welcomes, "surveys": s.surveys, "stopped": s.stopped.map(kept_reason),
                            "totals": s.totals, "skipped": noted }),
                )
            }
            Self::DecisionChanged {
                appointment,
                offset_hours,
                from,
                to,
            } => (
                "reminder.decision_changed",
                format!("appointment:{}", appointment.0),
                json!({ "offset_hours": offset_hours, "from": from, "to": to }),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::reminder::{GateFinding, SkipReason};
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 25, 9, 0, 0).unwrap()
    }

    fn line(action: LineAction, reason: Option<&'static str>) -> RunLine<'static> {
        RunLine {
            appointment: Some(AppointmentId(5)),
            patient: PatientId(3),
            kind: MessageKind::Reminder24h,
            action,
            reason,
            code: None,
        }
    }

    /// The run's record as the free-form call wrote it: only lines that did not go out are
    /// listed, each key for key.
    #[test]
    fn the_run_record_is_the_one_written_before() {
        let lines = [
            line(LineAction::Sent, None),
            line(LineAction::Skip, Some("no consent")),
            RunLine {
                appointment: None,
                code: Some("21610"),
                ..line(LineAction::Failed, Some("twilio error 21610: opted out"))
            },
            line(LineAction::Wait, None),
        ];
        let summary = RunSummary {
            texts: 2,
            recorded: 1,
            sent: 1,
            failed: 1,
            deferred: 0,
            blocked: 0,
            welcomes: 0,
            surveys: 0,
            stopped: None,
            totals: Totals::of(lines.iter().map(|l| l.action)),
        };
        let e = RemindEvent::Run {
            summary,
            lines: &lines,
        }
        .entry(at());
        assert_eq!(
            (e.actor.as_str(), e.action.as_str(), e.subject.as_str()),
            ("system", "remind.run", "reminders")
        );
        assert_eq!(
            e.detail,
            concat!(
                r#"{"blocked":0,"deferred":0,"failed":1,"recorded":1,"sent":1,"#,
                r#""skipped":[{"action":"skip","appointment":5,"code":null,"kind":"reminder-24h","patient":3,"reason":"no consent"},"#,
                r#"{"action":"failed","appointment":null,"code":"21610","kind":"reminder-24h","patient":3,"reason":"twilio error 21610: opted out"}],"#,
                r#""stopped":null,"surveys":0,"texts":2,"#,
                r#""totals":{"already_recorded":0,"blocked":0,"failed":1,"in_outbox":0,"send":0,"sent":1,"skipped":1,"unreadable":0,"wait":1,"waiting":0,"withdrawn":0},"#,
                r#""welcomes":0}"#
            )
        );
    }

    /// What a reason may quote never reaches the record; its own words and codes do.
    #[rstest::rstest]
    #[case("no consent", "no consent")]
    #[case(
        r#"blocked: "metformin 500mg" looks like a medication name or dose (and 1 more)"#,
        r#"blocked: "…" looks like a medication name or dose (and 1 more)"#
    )]
    #[case(
        "blocked: “Dr. Okafor’s oncology” looks like a clinic name",
        "blocked: “…” looks like a clinic name"
    )]
    #[case(
        "twilio error 21211: The 'To' number +1 (555) 867-5310 is not valid",
        "twilio error 21211: The 'To' number [number] is not valid"
    )]
    #[case(r#"patient 7's record cannot be read (the database holds a value frontdesk cannot read: patients.mobile = "555-0134 x2"); fix it"#,
           r#"patient 7's record cannot be read (the database holds a value frontdesk cannot read: patients.mobile = "…"); fix it"#)]
    #[case("patients.mobile = 5550134 ext", "patients.mobile = [number] ext")]
    // An unclosed quote is kept as written (nothing to tell its end), numbers still masked.
    #[case(r#"said "5558675310"#, r#"said "[number]"#)]
    #[case("waits until Thu 27 Nov 09:00", "waits until Thu 27 Nov 09:00")]
    fn a_reason_is_kept_without_what_it_quotes(#[case] reason: &str, #[case] kept: &str) {
        assert_eq!(kept_reason(reason), kept);
    }

    #[test]
    fn a_blocked_line_never_carries_the_words_the_gate_matched() {
        let lines = [line(
            LineAction::Blocked,
            Some(r#"blocked: "chemotherapy" looks like a procedure"#),
        )];
        let summary = RunSummary {
            texts: 1,
            recorded: 1,
            sent: 0,
            failed: 0,
            deferred: 0,
            blocked: 1,
            welcomes: 0,
            surveys: 0,
            stopped: None,
            totals: Totals::of(lines.iter().map(|l| l.action)),
        };
        let e = RemindEvent::Run {
            summary,
            lines: &lines,
        }
        .entry(at());
        assert!(!e.detail.contains("chemotherapy"), "{}", e.detail);
        assert!(
            e.detail
                .contains(r#""reason":"blocked: \"…\" looks like a procedure""#),
            "{}",
            e.detail
        );
    }

    #[rstest::rstest]
    #[case(LineAction::Send, false)]
    #[case(LineAction::Sent, false)]
    #[case(LineAction::InOutbox, false)]
    #[case(LineAction::Waiting, false)]
    #[case(LineAction::AlreadyRecorded, false)]
    #[case(LineAction::Wait, false)]
    #[case(LineAction::Skip, true)]
    #[case(LineAction::Blocked, true)]
    #[case(LineAction::Failed, true)]
    #[case(LineAction::Unreadable, true)]
    #[case(LineAction::Withdrawn, true)]
    fn lines_that_did_not_go_out_are_listed(#[case] action: LineAction, #[case] noted: bool) {
        assert_eq!(line(action, None).is_noted(), noted);
    }

    /// A changed decision as the free-form call wrote it: both decisions whole, tagged.
    #[rstest::rstest]
    #[case(Decided::Skipped { reason: SkipReason::TooLate },
           Decided::Blocked { finding: Some(GateFinding { category: "medication".into(), explanation: "looks like a medication".into() }) },
           r#"{"from":{"decided":"skipped","reason":{"reason":"too_late"}},"offset_hours":24,"to":{"decided":"blocked","finding":{"category":"medication","explanation":"looks like a medication"}}}"#)]
    #[case(Decided::Waiting { until: at(), reason: SkipReason::TooLate },
           Decided::Blocked { finding: None },
           r#"{"from":{"decided":"waiting","reason":{"reason":"too_late"},"until":"2026-03-25T09:00:00Z"},"offset_hours":24,"to":{"decided":"blocked","finding":null}}"#)]
    fn a_changed_decision_reads_as_before(
        #[case] from: Decided,
        #[case] to: Decided,
        #[case] detail: &str,
    ) {
        let e = RemindEvent::DecisionChanged {
            appointment: AppointmentId(5),
            offset_hours: 24,
            from: Some(&from),
            to: &to,
        }
        .entry(at());
        assert_eq!(
            (
                e.actor.as_str(),
                e.action.as_str(),
                e.subject.as_str(),
                e.detail.as_str()
            ),
            (
                "system",
                "reminder.decision_changed",
                "appointment:5",
                detail
            )
        );
    }

    /// A decision that replaced one frontdesk could not read says so: `"from": null`.
    #[test]
    fn a_replaced_unreadable_decision_is_recorded_with_no_from() {
        let to = Decided::Blocked { finding: None };
        let e = RemindEvent::DecisionChanged {
            appointment: AppointmentId(5),
            offset_hours: 48,
            from: None,
            to: &to,
        }
        .entry(at());
        assert_eq!(e.action, "reminder.decision_changed");
        assert_eq!(
            e.detail,
            r#"{"from":null,"offset_hours":48,"to":{"decided":"blocked","finding":null}}"#
        );
    }
}
