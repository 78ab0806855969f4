//! Typed audit events for texts that never left: refused by the PHI gate (when written, when
//! checked again before leaving, or a whole closure notice) or taken back at the last moment.
//! The rules and categories that fired, ids, kinds and reasons — never the matched words, the
//! body, a name or a number — and the action names and JSON the records have always had.
//!
//! Pure: serde_json for the detail.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::AuditEntry;
use crate::domain::ids::{MessageId, PatientId};
use crate::domain::message::MessageKind;
use crate::domain::reminder::SkipReason;

/// A text (or a closure notice) that did not go out.
#[derive(Clone, Debug, PartialEq)]
pub enum NotSentEvent<'a> {
    /// Refused by the PHI gate before it was ever sent: the rules and categories that fired
    /// (never the matched words or the body).
    MessageBlocked {
        message: MessageId,
        kind: MessageKind,
        patient: PatientId,
        /// The text's idempotency key (ids and kinds only).
        key: &'a str,
        segments: u32,
        /// (rule, category) of each finding that blocked.
        findings: &'a [(&'static str, &'static str)],
    },
    /// Blocked by the gate when a waiting text was checked again before it left.
    MessageBlockedOnRecheck {
        message: MessageId,
        kind: MessageKind,
    },
    /// Taken back at the last moment, on dispatch.
    MessageWithdrawnOnDispatch {
        message: MessageId,
        kind: MessageKind,
        reason: &'a SkipReason,
    },
    /// Taken back when a waiting text was checked again before it left (the rules changed).
    MessageWithdrawnOnRecheck {
        message: MessageId,
        kind: MessageKind,
        reason: &'a SkipReason,
    },
    /// A closure notice refused by the PHI gate before anyone was texted: the rules and the
    /// categories (in staff words) that fired, never the notice's words.
    ClosureBlocked {
        /// The closure's window.
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        /// (rule, category label) of each finding that blocked.
        findings: &'a [(&'static str, &'static str)],
        segments: u32,
    },
}

impl NotSentEvent<'_> {
    /// The record, at `at`, by `actor` (a staff username or [`super::SYSTEM`]).
    pub fn entry(&self, at: DateTime<Utc>, actor: &str) -> AuditEntry {
        let (action, subject, detail) = self.parts();
        AuditEntry::new(at, actor, action, subject, detail)
    }

    fn parts(&self) -> (&'static str, String, serde_json::Value) {
        match *self {
            Self::MessageBlocked {
                message,
                kind,
                patient,
                key,
                segments,
                findings,
            } => (
                "message.blocked",
                format!("message:{message}"),
                json!({ "kind": kind.as_str(), "patient": patient.0, "key": key,
                        "segments": segments,
                        "findings": findings.iter()
                            .map(|(rule, category)| json!({ "rule": rule, "category": category }))
                            .collect::<Vec<_>>() }),
            ),
            Self::MessageBlockedOnRecheck { message, kind } => (
                "message.blocked",
                format!("message:{message}"),
                json!({ "kind": kind.as_str(), "on": "recheck" }),
            ),
            Self::MessageWithdrawnOnDispatch {
                message,
                kind,
                reason,
            } => (
                "message.withdrawn",
                format!("message:{message}"),
                json!({ "kind": kind.as_str(), "reason": reason, "on": "dispatch" }),
            ),
            Self::MessageWithdrawnOnRecheck {
                message,
                kind,
                reason,
            } => (
                "message.withdrawn",
                format!("message:{message}"),
                json!({ "kind": kind.as_str(), "reason": reason }),
            ),
            Self::ClosureBlocked {
                from,
                to,
                findings,
                segments,
            } => (
                "closure.blocked",
                format!("closure:{}..{}", from.to_rfc3339(), to.to_rfc3339()),
                json!({ "findings": findings.iter()
                            .map(|(rule, category)| json!({ "category": category, "rule": rule }))
                            .collect::<Vec<_>>(),
                        "segments": segments }),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 25, 9, 0, 0).unwrap()
    }

    const REASON: SkipReason = SkipReason::TooLate;

    /// The detail strings as the records written before the typed events read: a change
    /// here would make new records differ from old ones in exports and reviews.
    #[rstest::rstest]
    #[case(NotSentEvent::MessageBlocked { message: MessageId(7), kind: MessageKind::Custom, patient: PatientId(3), key: "custom:3:1", segments: 1, findings: &[("vocabulary", "diagnosis")] },
           "message.blocked", "message:7",
           r#"{"findings":[{"category":"diagnosis","rule":"vocabulary"}],"key":"custom:3:1","kind":"custom","patient":3,"segments":1}"#)]
    #[case(NotSentEvent::MessageBlockedOnRecheck { message: MessageId(7), kind: MessageKind::Reminder24h },
           "message.blocked", "message:7", r#"{"kind":"reminder-24h","on":"recheck"}"#)]
    #[case(NotSentEvent::MessageWithdrawnOnDispatch { message: MessageId(7), kind: MessageKind::Closure, reason: &REASON },
           "message.withdrawn", "message:7",
           r#"{"kind":"closure","on":"dispatch","reason":{"reason":"too_late"}}"#)]
    #[case(NotSentEvent::MessageWithdrawnOnRecheck { message: MessageId(7), kind: MessageKind::Reminder24h, reason: &REASON },
           "message.withdrawn", "message:7", r#"{"kind":"reminder-24h","reason":{"reason":"too_late"}}"#)]
    #[case(NotSentEvent::ClosureBlocked { from: at(), to: at() + chrono::Duration::days(1), findings: &[("vocabulary", "a diagnosis/condition"), ("dose", "a medication")], segments: 2 },
           "closure.blocked", "closure:2026-03-25T09:00:00+00:00..2026-03-26T09:00:00+00:00",
           r#"{"findings":[{"category":"a diagnosis/condition","rule":"vocabulary"},{"category":"a medication","rule":"dose"}],"segments":2}"#)]
    #[case(NotSentEvent::ClosureBlocked { from: at(), to: at(), findings: &[], segments: 1 },
           "closure.blocked", "closure:2026-03-25T09:00:00+00:00..2026-03-25T09:00:00+00:00",
           r#"{"findings":[],"segments":1}"#)]
    fn the_records_are_those_written_before(
        #[case] event: NotSentEvent<'_>,
        #[case] action: &str,
        #[case] subject: &str,
        #[case] detail: &str,
    ) {
        let e = event.entry(at(), "system");
        assert_eq!(
            (e.action.as_str(), e.subject.as_str(), e.detail.as_str()),
            (action, subject, detail)
        );
    }
}
