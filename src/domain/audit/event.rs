//! Typed audit events for the sending and reply paths: each constructor takes ids, kinds,
//! statuses and provider codes — never a name, a phone number or a message body — and
//! writes the action, subject and detail exactly as the free-form records before it did
//! (same action names, same JSON), so exports and the chain read old and new alike.
//!
//! Pure: serde_json for the detail.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::AuditEntry;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::ids::{AppointmentId, MessageId, PatientId};
use crate::domain::message::{MessageKind, MessageStatus};
use crate::domain::reminder::SkipReason;
use crate::domain::reply::ReplyKind;

/// One event of the sending and reply paths.
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
    /// The provider refused the text for good.
    MessageFailed {
        message: MessageId,
        kind: MessageKind,
        patient: Option<PatientId>,
        code: Option<&'a str>,
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
    /// Blocked by the gate when a waiting text was checked again before it left.
    MessageBlockedOnRecheck {
        message: MessageId,
        kind: MessageKind,
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
    /// An appointment confirmed by the patient's reply.
    ConfirmedBySms {
        appointment: AppointmentId,
        from: AppointmentStatus,
        reply: MessageId,
    },
    /// A reply asked for a call-back about an appointment.
    CallbackBySms {
        appointment: AppointmentId,
        reply: MessageId,
        read_as: ReplyKind,
    },
    /// A reply recorded, filed, and what it did.
    ReplyReceived {
        message: MessageId,
        filed: ReplyKind,
        read_as: ReplyKind,
        patient: Option<PatientId>,
        provider_id: &'a str,
        appointments: &'a [AppointmentId],
        answer: Option<MessageId>,
        note: Option<&'static str>,
    },
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
            Self::MessageBlockedOnRecheck { message, kind } => (
                "message.blocked",
                format!("message:{message}"),
                json!({ "kind": kind.as_str(), "on": "recheck" }),
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
            Self::ConfirmedBySms {
                appointment,
                from,
                reply,
            } => (
                "appointment.status",
                format!("appointment:{appointment}"),
                json!({ "from": from.as_str(), "to": "confirmed", "via": "sms", "reply": reply.0 }),
            ),
            Self::CallbackBySms {
                appointment,
                reply,
                read_as,
            } => (
                "appointment.callback",
                format!("appointment:{appointment}"),
                json!({ "requested": true, "via": "sms", "reply": reply.0,
                        "read_as": read_as.as_str() }),
            ),
            Self::ReplyReceived {
                message,
                filed,
                read_as,
                patient,
                provider_id,
                appointments,
                answer,
                note,
            } => (
                "reply.received",
                format!("message:{message}"),
                json!({ "classification": filed.as_str(), "read_as": read_as.as_str(),
                        "patient": patient.map(|p| p.0), "provider_id": provider_id,
                        "appointments": appointments.iter().map(|a| a.0).collect::<Vec<_>>(),
                        "answer": answer.map(|m| m.0), "note": note }),
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
        let reason = SkipReason::TooLate;
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
                Event::MessageBlocked {
                    message: MessageId(7),
                    kind: MessageKind::Custom,
                    patient: PatientId(3),
                    key: "custom:3:1",
                    segments: 1,
                    findings: &[("vocabulary", "diagnosis")],
                },
                "message.blocked",
                "message:7",
                r#"{"findings":[{"category":"diagnosis","rule":"vocabulary"}],"key":"custom:3:1","kind":"custom","patient":3,"segments":1}"#,
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
                Event::MessageWithdrawnOnDispatch {
                    message: MessageId(7),
                    kind: MessageKind::Closure,
                    reason: &reason,
                },
                "message.withdrawn",
                "message:7",
                r#"{"kind":"closure","on":"dispatch","reason":{"reason":"too_late"}}"#,
            ),
            (
                Event::MessageWithdrawnOnRecheck {
                    message: MessageId(7),
                    kind: MessageKind::Reminder24h,
                    reason: &reason,
                },
                "message.withdrawn",
                "message:7",
                r#"{"kind":"reminder-24h","reason":{"reason":"too_late"}}"#,
            ),
            (
                Event::MessageBlockedOnRecheck {
                    message: MessageId(7),
                    kind: MessageKind::Reminder24h,
                },
                "message.blocked",
                "message:7",
                r#"{"kind":"reminder-24h","on":"recheck"}"#,
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
            (
                Event::ConfirmedBySms {
                    appointment: AppointmentId(5),
                    from: AppointmentStatus::Booked,
                    reply: MessageId(9),
                },
                "appointment.status",
                "appointment:5",
                r#"{"from":"booked","reply":9,"to":"confirmed","via":"sms"}"#,
            ),
            (
                Event::CallbackBySms {
                    appointment: AppointmentId(5),
                    reply: MessageId(9),
                    read_as: ReplyKind::Reschedule,
                },
                "appointment.callback",
                "appointment:5",
                r#"{"read_as":"reschedule","reply":9,"requested":true,"via":"sms"}"#,
            ),
            (
                Event::ReplyReceived {
                    message: MessageId(9),
                    filed: ReplyKind::Confirm,
                    read_as: ReplyKind::Confirm,
                    patient: Some(PatientId(3)),
                    provider_id: "SMin",
                    appointments: &[AppointmentId(5)],
                    answer: None,
                    note: None,
                },
                "reply.received",
                "message:9",
                r#"{"answer":null,"appointments":[5],"classification":"confirm","note":null,"patient":3,"provider_id":"SMin","read_as":"confirm"}"#,
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
