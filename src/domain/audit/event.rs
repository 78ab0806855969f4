//! Typed audit events for what became of a text at the provider: taken, refused for good, a
//! delivery status reported, a number flagged. Each constructor takes ids, kinds, statuses and
//! provider codes — never a name, a phone number or a message body — and writes the action,
//! subject and detail exactly as the free-form records before it did (same action names,
//! same JSON), so exports and the chain read old and new alike. Texts that never left are
//! [`super::NotSentEvent`]s; replies are [`super::ReplyEvent`]s.
//!
//! Pure: serde_json for the detail.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::AuditEntry;
use crate::domain::ids::{MessageId, PatientId};
use crate::domain::message::{MessageKind, MessageStatus};

/// One event of a text at its provider.
#[derive(Clone, Debug, PartialEq)]
pub enum Event<'a> {
    /// A provider (or the offline outbox) took the text.
    MessageSent {
        message: MessageId,
        kind: MessageKind,
        patient: Option<PatientId>,
        provider: &'a str,
        /// The provider's own id for the text (e.g. Twilio's `SM…`).
        provider_id: &'a str,
        status: MessageStatus,
        attempts: u32,
        reconciled: bool,
    },
    /// The provider refused the text for good.
    MessageFailed {
        message: MessageId,
        kind: MessageKind,
        patient: Option<PatientId>,
        code: Option<&'a str>,
    },
    /// A delivery status the provider reported.
    MessageStatus {
        message: MessageId,
        kind: MessageKind,
        patient: Option<PatientId>,
        from: MessageStatus,
        to: MessageStatus,
        code: Option<&'a str>,
    },
    /// A number the provider reports as invalid, not mobile or unreachable.
    NumberFlagged { patient: PatientId, code: &'a str },
}

impl Event<'_> {
    /// The record, at `at`, by `actor` (a staff username or [`super::SYSTEM`]).
    pub fn entry(&self, at: DateTime<Utc>, actor: &str) -> AuditEntry {
        let (action, subject, detail) = self.parts();
        AuditEntry::new(at, actor, action, subject, detail)
    }

    fn parts(&self) -> (&'static str, String, serde_json::Value) {
        match *self {
            Self::MessageSent {
                message,
                kind,
                patient,
                provider,
                provider_id,
                status,
                attempts,
                reconciled,
            } => (
                "message.sent",
                format!("message:{message}"),
                json!({ "kind": kind.as_str(), "patient": patient.map(|p| p.0), "provider": provider,
                        "provider_id": provider_id, "status": status.as_str(), "attempts": attempts,
                        "reconciled": reconciled }),
            ),
            Self::MessageFailed {
                message,
                kind,
                patient,
                code,
            } => (
                "message.failed",
                format!("message:{message}"),
                json!({ "kind": kind.as_str(), "patient": patient.map(|p| p.0), "code": code }),
            ),
            Self::MessageStatus {
                message,
                kind,
                patient,
                from,
                to,
                code,
            } => (
                "message.status",
                format!("message:{message}"),
                json!({ "kind": kind.as_str(), "patient": patient.map(|p| p.0),
                        "from": from.as_str(), "to": to.as_str(), "code": code }),
            ),
            Self::NumberFlagged { patient, code } => (
                "patient.number_flagged",
                format!("patient:{patient}"),
                json!({ "code": code }),
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

    /// The detail strings as the records written before the typed events read: a change
    /// here would make new records differ from old ones in exports and reviews.
    #[test]
    fn the_records_are_byte_for_byte_those_written_before() {
        let cases: Vec<(Event<'_>, &str, &str, &str)> = vec![
            (
                Event::MessageSent {
                    message: MessageId(7),
                    kind: MessageKind::Reminder24h,
                    patient: Some(PatientId(3)),
                    provider: "twilio",
                    provider_id: "SM1",
                    status: MessageStatus::Queued,
                    attempts: 2,
                    reconciled: false,
                },
                "message.sent",
                "message:7",
                r#"{"attempts":2,"kind":"reminder-24h","patient":3,"provider":"twilio","provider_id":"SM1","reconciled":false,"status":"queued"}"#,
            ),
            (
                Event::MessageFailed {
                    message: MessageId(7),
                    kind: MessageKind::Reminder24h,
                    patient: None,
                    code: Some("21610"),
                },
                "message.failed",
                "message:7",
                r#"{"code":"21610","kind":"reminder-24h","patient":null}"#,
            ),
            (
                Event::MessageStatus {
                    message: MessageId(7),
                    kind: MessageKind::Reminder24h,
                    patient: Some(PatientId(3)),
                    from: MessageStatus::Sent,
                    to: MessageStatus::Undelivered,
                    code: Some("30003"),
                },
                "message.status",
                "message:7",
                r#"{"code":"30003","from":"sent","kind":"reminder-24h","patient":3,"to":"undelivered"}"#,
            ),
            (
                Event::NumberFlagged {
                    patient: PatientId(3),
                    code: "21211",
                },
                "patient.number_flagged",
                "patient:3",
                r#"{"code":"21211"}"#,
            ),
        ];
        for (event, action, subject, detail) in cases {
            let e = event.entry(at(), "system");
            assert_eq!(
                (e.action.as_str(), e.subject.as_str(), e.detail.as_str()),
                (action, subject, detail),
                "{event:?}"
            );
        }
    }
}
