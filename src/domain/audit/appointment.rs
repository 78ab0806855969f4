//! Typed audit events for appointments entered or changed by hand: added or moved with the
//! `appointments` commands, a status changed at the desk or taken back the same day. Ids,
//! times and statuses only, and the action names and JSON the records have always had.
//!
//! Pure: serde_json for the detail.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::AuditEntry;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::ids::{AppointmentId, PatientId, StaffId};

/// One appointment entered or changed by hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppointmentEvent {
    /// An appointment added with `appointments add`.
    AppointmentAdded {
        appointment: AppointmentId,
        patient: PatientId,
        start: DateTime<Utc>,
    },
    /// An appointment moved with `appointments move`.
    AppointmentMoved {
        appointment: AppointmentId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
    /// An appointment's status changed at the desk (arrived, confirmed, cancelled…).
    DeskStatusChanged {
        appointment: AppointmentId,
        from: AppointmentStatus,
        to: AppointmentStatus,
    },
    /// A status change the desk took back the same day.
    DeskStatusUndone {
        appointment: AppointmentId,
        from: AppointmentStatus,
        to: AppointmentStatus,
    },
}

impl AppointmentEvent {
    /// The record, at `at`, by `actor` (a staff username or [`super::SYSTEM`]).
    pub fn entry(&self, at: DateTime<Utc>, actor: &str) -> AuditEntry {
        let (action, subject, detail) = self.parts();
        AuditEntry::new(at, actor, action, subject, detail)
    }

    /// The record by a staff member (`member`: their id) or the system (`None`): a member's
    /// record carries their id, so no change made at a desk is unattributed.
    pub fn attributed(
        &self,
        at: DateTime<Utc>,
        actor: &str,
        member: Option<StaffId>,
    ) -> AuditEntry {
        let entry = self.entry(at, actor);
        match member {
            Some(id) => entry.by_member(id.0),
            None => entry,
        }
    }

    fn parts(&self) -> (&'static str, String, serde_json::Value) {
        match *self {
            Self::AppointmentAdded {
                appointment,
                patient,
                start,
            } => (
                "appointment.add",
                format!("appointment:{appointment}"),
                json!({ "via": "command", "patient": patient.0, "start": start.to_rfc3339() }),
            ),
            Self::AppointmentMoved {
                appointment,
                from,
                to,
            } => (
                "appointment.move",
                format!("appointment:{appointment}"),
                json!({ "via": "command", "from": from.to_rfc3339(), "to": to.to_rfc3339() }),
            ),
            Self::DeskStatusChanged {
                appointment,
                from,
                to,
            } => (
                "appointment.status",
                format!("appointment:{appointment}"),
                json!({ "from": from.as_str(), "to": to.as_str(), "via": "desk" }),
            ),
            Self::DeskStatusUndone {
                appointment,
                from,
                to,
            } => (
                "appointment.status_undone",
                format!("appointment:{appointment}"),
                json!({ "from": from.as_str(), "to": to.as_str(), "via": "desk" }),
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
    #[case(AppointmentEvent::AppointmentAdded { appointment: AppointmentId(5), patient: PatientId(3), start: at() },
           "appointment.add", "appointment:5",
           r#"{"patient":3,"start":"2026-03-25T09:00:00+00:00","via":"command"}"#)]
    #[case(AppointmentEvent::AppointmentMoved { appointment: AppointmentId(5), from: at(), to: at() },
           "appointment.move", "appointment:5",
           r#"{"from":"2026-03-25T09:00:00+00:00","to":"2026-03-25T09:00:00+00:00","via":"command"}"#)]
    #[case(AppointmentEvent::DeskStatusChanged { appointment: AppointmentId(5), from: AppointmentStatus::Booked, to: AppointmentStatus::Arrived },
           "appointment.status", "appointment:5", r#"{"from":"booked","to":"arrived","via":"desk"}"#)]
    #[case(AppointmentEvent::DeskStatusUndone { appointment: AppointmentId(5), from: AppointmentStatus::Arrived, to: AppointmentStatus::Booked },
           "appointment.status_undone", "appointment:5", r#"{"from":"arrived","to":"booked","via":"desk"}"#)]
    fn the_records_are_those_written_before(
        #[case] event: AppointmentEvent,
        #[case] action: &str,
        #[case] subject: &str,
        #[case] detail: &str,
    ) {
        let e = event.entry(at(), "lee");
        assert_eq!(
            (e.action.as_str(), e.subject.as_str(), e.detail.as_str()),
            (action, subject, detail)
        );
    }

    #[test]
    fn a_change_at_the_desk_carries_the_member_id() {
        let event = AppointmentEvent::DeskStatusChanged {
            appointment: AppointmentId(5),
            from: AppointmentStatus::Booked,
            to: AppointmentStatus::Arrived,
        };
        assert_eq!(
            event.attributed(at(), "lee", Some(StaffId(4))).actor_id,
            Some(4)
        );
        assert_eq!(event.attributed(at(), "system", None).actor_id, None);
    }
}
