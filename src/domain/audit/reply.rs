//! Typed audit events for a patient's reply and what the engine did with it: recorded and
//! filed, an appointment confirmed, a call-back asked for. Ids, kinds and statuses — never
//! the reply's words, a name or a number — and the action names and JSON the records have
//! always had. What the desk then does with a reply is a [`super::DeskEvent`].
//!
//! Pure: serde_json for the detail.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::AuditEntry;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::ids::{AppointmentId, MessageId, PatientId};
use crate::domain::reply::ReplyKind;

/// One event of the reply path.
#[derive(Clone, Debug, PartialEq)]
pub enum ReplyEvent<'a> {
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
}

impl ReplyEvent<'_> {
    /// The record, at `at`, by `actor` (a staff username or [`super::SYSTEM`]).
    pub fn entry(&self, at: DateTime<Utc>, actor: &str) -> AuditEntry {
        let (action, subject, detail) = self.parts();
        AuditEntry::new(at, actor, action, subject, detail)
    }

    fn parts(&self) -> (&'static str, String, serde_json::Value) {
        match *self {
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
    #[case(ReplyEvent::ReplyReceived { message: MessageId(9), filed: ReplyKind::Confirm, read_as: ReplyKind::Confirm, patient: Some(PatientId(3)), provider_id: "SMin", appointments: &[AppointmentId(5)], answer: None, note: None },
           "reply.received", "message:9",
           r#"{"answer":null,"appointments":[5],"classification":"confirm","note":null,"patient":3,"provider_id":"SMin","read_as":"confirm"}"#)]
    #[case(ReplyEvent::ConfirmedBySms { appointment: AppointmentId(5), from: AppointmentStatus::Booked, reply: MessageId(9) },
           "appointment.status", "appointment:5",
           r#"{"from":"booked","reply":9,"to":"confirmed","via":"sms"}"#)]
    #[case(ReplyEvent::CallbackBySms { appointment: AppointmentId(5), reply: MessageId(9), read_as: ReplyKind::Reschedule },
           "appointment.callback", "appointment:5",
           r#"{"read_as":"reschedule","reply":9,"requested":true,"via":"sms"}"#)]
    fn the_records_are_those_written_before(
        #[case] event: ReplyEvent<'_>,
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
