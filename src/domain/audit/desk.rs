//! Typed audit events for what the front desk works through: replies handled and acted on,
//! the call-back list, visits a closure notice took away, consent recorded. Ids, kinds,
//! methods and times only — consent evidence is a reference (a form id, `message:N`), never a
//! reply's words — and the action names and JSON the records have always had.
//!
//! Pure: serde_json for the detail.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::AuditEntry;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent::{ConsentKind, ConsentMethod};
use crate::domain::ids::{AppointmentId, MessageId, PatientId};

/// One thing the desk (or the engine on its behalf) did with a reply, a call-back or a visit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeskEvent<'a> {
    /// A reply read and marked handled; `action` names what was done with it, if anything.
    ReplyHandled {
        message: MessageId,
        action: Option<&'static str>,
    },
    /// A visit confirmed at the desk because of a reply.
    ConfirmedFromReply {
        appointment: AppointmentId,
        from: AppointmentStatus,
        reply: MessageId,
    },
    /// A visit put on the call-back list at the desk because of a reply.
    FlaggedFromReply {
        appointment: AppointmentId,
        reply: MessageId,
    },
    /// An R reply's call-back done.
    CallMeHandled { appointment: AppointmentId },
    /// A call-back-list entry (a notice that could not reach the patient) done.
    CallbackHandled { callback: i64 },
    /// A patient put on the call-back list (`reason` in staff words, e.g. "no consent").
    CallbackAdded {
        patient: PatientId,
        appointment: Option<AppointmentId>,
        message: Option<MessageId>,
        reason: &'a str,
    },
    /// A visit a closure notice took away: to rebook.
    MarkedToRebook {
        appointment: AppointmentId,
        start: DateTime<Utc>,
        /// The notice's idempotency key (ids and times only).
        notice: &'a str,
    },
    /// A consent event recorded; `evidence` is its reference.
    ConsentRecorded {
        patient: PatientId,
        kind: ConsentKind,
        event: i64,
        method: ConsentMethod,
        evidence: Option<&'a str>,
    },
}

impl DeskEvent<'_> {
    /// The record, at `at`, by `actor` (a staff username or [`super::SYSTEM`]).
    pub fn entry(&self, at: DateTime<Utc>, actor: &str) -> AuditEntry {
        let (action, subject, detail) = self.parts();
        AuditEntry::new(at, actor, action, subject, detail)
    }

    fn parts(&self) -> (&'static str, String, serde_json::Value) {
        match *self {
            Self::ReplyHandled { message, action } => {
                let detail = match action {
                    Some(a) => json!({ "action": a }),
                    None => json!({}),
                };
                ("reply.handled", format!("message:{message}"), detail)
            }
            Self::ConfirmedFromReply {
                appointment,
                from,
                reply,
            } => (
                "appointment.status",
                format!("appointment:{appointment}"),
                json!({ "from": from.as_str(), "to": "confirmed", "via": "reply",
                        "reply": reply.0 }),
            ),
            Self::FlaggedFromReply { appointment, reply } => (
                "callback.flagged",
                format!("appointment:{appointment}"),
                json!({ "via": "desk", "reply": reply.0 }),
            ),
            Self::CallMeHandled { appointment } => (
                "callback.handled",
                format!("appointment:{appointment}"),
                json!({ "kind": "reply" }),
            ),
            Self::CallbackHandled { callback } => (
                "callback.handled",
                format!("callback:{callback}"),
                json!({ "kind": "notice" }),
            ),
            Self::CallbackAdded {
                patient,
                appointment,
                message,
                reason,
            } => (
                "callback.added",
                format!("patient:{patient}"),
                json!({ "appointment": appointment.map(|a| a.0),
                        "message": message.map(|m| m.0), "reason": reason }),
            ),
            Self::MarkedToRebook {
                appointment,
                start,
                notice,
            } => (
                "appointment.rebook",
                format!("appointment:{appointment}"),
                json!({ "start": start.to_rfc3339(), "notice": notice }),
            ),
            Self::ConsentRecorded {
                patient,
                kind,
                event,
                method,
                evidence,
            } => (
                match kind {
                    ConsentKind::OptIn => "consent.opt_in",
                    ConsentKind::OptOut => "consent.opt_out",
                },
                format!("patient:{patient}"),
                json!({ "consent_event": event, "method": method.as_str(), "evidence": evidence }),
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

    /// The records as the free-form calls wrote them, key for key.
    #[rstest::rstest]
    #[case(DeskEvent::ReplyHandled { message: MessageId(9), action: None },
           "reply.handled", "message:9", "{}")]
    #[case(DeskEvent::ReplyHandled { message: MessageId(9), action: Some("opt-out") },
           "reply.handled", "message:9", r#"{"action":"opt-out"}"#)]
    #[case(DeskEvent::ConfirmedFromReply { appointment: AppointmentId(5), from: AppointmentStatus::Booked, reply: MessageId(9) },
           "appointment.status", "appointment:5", r#"{"from":"booked","reply":9,"to":"confirmed","via":"reply"}"#)]
    #[case(DeskEvent::FlaggedFromReply { appointment: AppointmentId(5), reply: MessageId(9) },
           "callback.flagged", "appointment:5", r#"{"reply":9,"via":"desk"}"#)]
    #[case(DeskEvent::CallMeHandled { appointment: AppointmentId(5) },
           "callback.handled", "appointment:5", r#"{"kind":"reply"}"#)]
    #[case(DeskEvent::CallbackHandled { callback: 2 },
           "callback.handled", "callback:2", r#"{"kind":"notice"}"#)]
    #[case(DeskEvent::CallbackAdded { patient: PatientId(3), appointment: Some(AppointmentId(5)), message: None, reason: "no consent" },
           "callback.added", "patient:3", r#"{"appointment":5,"message":null,"reason":"no consent"}"#)]
    #[case(DeskEvent::MarkedToRebook { appointment: AppointmentId(5), start: at(), notice: "closure:5:x" },
           "appointment.rebook", "appointment:5", r#"{"notice":"closure:5:x","start":"2026-03-25T09:00:00+00:00"}"#)]
    #[case(DeskEvent::ConsentRecorded { patient: PatientId(3), kind: ConsentKind::OptOut, event: 4, method: ConsentMethod::Verbal, evidence: Some("message:9") },
           "consent.opt_out", "patient:3", r#"{"consent_event":4,"evidence":"message:9","method":"verbal"}"#)]
    fn the_records_are_those_written_before(
        #[case] event: DeskEvent<'_>,
        #[case] action: &str,
        #[case] subject: &str,
        #[case] detail: &str,
    ) {
        let e = event.entry(at(), "maya");
        assert_eq!(
            (e.action.as_str(), e.subject.as_str(), e.detail.as_str()),
            (action, subject, detail)
        );
    }
}
