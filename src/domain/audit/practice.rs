//! Typed audit events for the practice's own records: setting it up, backups and restores,
//! templates, patients entered by hand, a mobile number fixed at the desk (appointments
//! entered or changed by hand are [`super::AppointmentEvent`]s).
//! Each constructor takes ids, kinds, times, paths and counts — a mobile number only as its
//! last four digits — and writes the action names and JSON the records have always had.
//!
//! Pure: serde_json for the detail.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::AuditEntry;
use crate::domain::ids::PatientId;
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
