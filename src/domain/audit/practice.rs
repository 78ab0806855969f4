//! Typed audit events for the practice's own records: setting it up, backups and restores,
//! templates, patients and appointments entered by hand, a mobile number fixed at the desk.
//! Each constructor takes ids, kinds, times, paths and counts — a mobile number only as its
//! last four digits — and writes the action names and JSON the records have always had.
//!
//! Pure: serde_json for the detail.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::AuditEntry;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::ids::{AppointmentId, PatientId, StaffId};
use crate::domain::message::MessageKind;

/// One change to the practice's records.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PracticeEvent<'a> {
    /// `init` wrote a new practice database.
    Initialised { time_zone: &'a str, region: &'a str },
    BackupWritten {
        file: &'a str,
        bytes: u64,
        audit_records: usize,
    },
    Restored {
        from: &'a str,
        /// Where the replaced database was kept, if there was one.
        kept: Option<&'a str>,
        schema: i64,
        audit_records: usize,
    },
    /// A template saved; a template passed the gate, so its old and new text are kept for
    /// the audit screen to show what changed.
    TemplateSaved {
        kind: MessageKind,
        old: &'a str,
        new: &'a str,
    },
    /// A patient added with `patients add`.
    PatientAdded { patient: PatientId },
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
    /// A mobile number corrected at the desk (last four digits only).
    MobileFixed {
        patient: PatientId,
        old_last4: Option<&'a str>,
        new_last4: &'a str,
        cleared_number_problem: bool,
    },
}

impl PracticeEvent<'_> {
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
            Self::Initialised { time_zone, region } => (
                "practice.init",
                "practice".into(),
                json!({ "time_zone": time_zone, "region": region }),
            ),
            Self::BackupWritten {
                file,
                bytes,
                audit_records,
            } => (
                "database.backup",
                "database".into(),
                json!({ "file": file, "bytes": bytes, "audit_records": audit_records }),
            ),
            Self::Restored {
                from,
                kept,
                schema,
                audit_records,
            } => (
                "database.restore",
                "database".into(),
                json!({ "from": from, "kept": kept, "schema": schema,
                        "audit_records": audit_records }),
            ),
            Self::TemplateSaved { kind, old, new } => (
                "template.saved",
                format!("template:{kind}"),
                json!({ "length": new.len(), "old": old, "new": new }),
            ),
            Self::PatientAdded { patient } => (
                "patient.add",
                format!("patient:{patient}"),
                json!({ "via": "command" }),
            ),
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
            Self::MobileFixed {
                patient,
                old_last4,
                new_last4,
                cleared_number_problem,
            } => (
                "patient.mobile_fixed",
                format!("patient:{patient}"),
                json!({ "old_last4": old_last4, "new_last4": new_last4,
                        "cleared_number_problem": cleared_number_problem }),
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
    #[case(PracticeEvent::Initialised { time_zone: "America/New_York", region: "US" },
           "practice.init", "practice", r#"{"region":"US","time_zone":"America/New_York"}"#)]
    #[case(PracticeEvent::BackupWritten { file: "/b/x.db", bytes: 4096, audit_records: 3 },
           "database.backup", "database", r#"{"audit_records":3,"bytes":4096,"file":"/b/x.db"}"#)]
    #[case(PracticeEvent::Restored { from: "/b/x.db", kept: None, schema: 8, audit_records: 3 },
           "database.restore", "database",
           r#"{"audit_records":3,"from":"/b/x.db","kept":null,"schema":8}"#)]
    #[case(PracticeEvent::TemplateSaved { kind: MessageKind::Reminder24h, old: "Hello", new: "Hi" },
           "template.saved", "template:reminder-24h", r#"{"length":2,"new":"Hi","old":"Hello"}"#)]
    #[case(PracticeEvent::PatientAdded { patient: PatientId(3) },
           "patient.add", "patient:3", r#"{"via":"command"}"#)]
    #[case(PracticeEvent::AppointmentAdded { appointment: AppointmentId(5), patient: PatientId(3), start: at() },
           "appointment.add", "appointment:5",
           r#"{"patient":3,"start":"2026-03-25T09:00:00+00:00","via":"command"}"#)]
    #[case(PracticeEvent::AppointmentMoved { appointment: AppointmentId(5), from: at(), to: at() },
           "appointment.move", "appointment:5",
           r#"{"from":"2026-03-25T09:00:00+00:00","to":"2026-03-25T09:00:00+00:00","via":"command"}"#)]
    #[case(PracticeEvent::DeskStatusChanged { appointment: AppointmentId(5), from: AppointmentStatus::Booked, to: AppointmentStatus::Arrived },
           "appointment.status", "appointment:5", r#"{"from":"booked","to":"arrived","via":"desk"}"#)]
    #[case(PracticeEvent::DeskStatusUndone { appointment: AppointmentId(5), from: AppointmentStatus::Arrived, to: AppointmentStatus::Booked },
           "appointment.status_undone", "appointment:5", r#"{"from":"arrived","to":"booked","via":"desk"}"#)]
    #[case(PracticeEvent::MobileFixed { patient: PatientId(3), old_last4: Some("0134"), new_last4: "0199", cleared_number_problem: true },
           "patient.mobile_fixed", "patient:3",
           r#"{"cleared_number_problem":true,"new_last4":"0199","old_last4":"0134"}"#)]
    fn the_records_are_those_written_before(
        #[case] event: PracticeEvent<'_>,
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
}
