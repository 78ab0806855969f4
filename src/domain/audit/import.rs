//! Typed audit events of a schedule import: the import itself (counts and the file's hash),
//! an appointment it moved or whose status it changed, and one it cancelled because the file
//! no longer lists it. Ids, times, statuses, counts and the SHA-256 of the bytes read — never
//! a name, a number, the file's name or its contents — and the action names and JSON the
//! records have always had.
//!
//! Pure: serde_json for the detail.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::AuditEntry;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::ids::AppointmentId;
use crate::domain::import::SourceKind;
use crate::domain::import::plan::Plan;

/// One thing an import wrote.
#[derive(Clone, Copy, Debug)]
pub enum ImportEvent<'a> {
    /// The import, written: what the plan held, counted (its names are not read).
    Applied {
        source: SourceKind,
        /// SHA-256 of the bytes read, hex.
        sha256: &'a str,
        plan: &'a Plan,
        /// Appointments cancelled because the file no longer lists them.
        cancelled_missing: usize,
    },
    /// An imported appointment moved (`moved_from`) or changed status.
    AppointmentChanged {
        appointment: AppointmentId,
        start: DateTime<Utc>,
        moved_from: Option<DateTime<Utc>>,
        /// (from, to) when the status changed.
        status: Option<(AppointmentStatus, AppointmentStatus)>,
    },
    /// An appointment an earlier import stored, absent from this file: cancelled (only with
    /// the explicit flag).
    MissingCancelled {
        appointment: AppointmentId,
        from: AppointmentStatus,
        sha256: &'a str,
    },
}

impl ImportEvent<'_> {
    /// The record, at `at`, by `actor` (a staff username or [`super::SYSTEM`]).
    pub fn entry(&self, at: DateTime<Utc>, actor: &str) -> AuditEntry {
        let (action, subject, detail) = self.parts();
        AuditEntry::new(at, actor, action, subject, detail)
    }

    fn parts(&self) -> (&'static str, String, serde_json::Value) {
        match *self {
            Self::Applied {
                source,
                sha256,
                plan,
                cancelled_missing,
            } => (
                "import",
                format!("import:{}", sha256.get(..16).unwrap_or(sha256)),
                json!({
                    "source": source.as_str(),
                    "sha256": sha256,
                    "patients": plan.patients,
                    "appointments": plan.appointments,
                    "moved": plan.appointment_changes.iter().filter(|c| c.moved_from.is_some()).count(),
                    "consent_events": plan.consents.len(),
                    "new_clinicians": plan.new_clinicians.len(),
                    "new_types": plan.new_types.len(),
                    "missing": plan.missing.len(),
                    "cancelled_missing": cancelled_missing,
                    "unchanged": plan.is_noop(),
                }),
            ),
            Self::AppointmentChanged {
                appointment,
                start,
                moved_from,
                status,
            } => (
                "appointment.import_change",
                format!("appointment:{appointment}"),
                json!({
                    "via": "import",
                    "moved_from": moved_from.map(|t| t.to_rfc3339()),
                    "start": start.to_rfc3339(),
                    "status_from": status.map(|s| s.0.as_str()),
                    "status_to": status.map(|s| s.1.as_str()),
                }),
            ),
            Self::MissingCancelled {
                appointment,
                from,
                sha256,
            } => (
                "appointment.status",
                format!("appointment:{appointment}"),
                json!({
                    "from": from.as_str(), "to": "cancelled", "via": "import",
                    "reason": "missing_from_import", "sha256": sha256,
                }),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::import::Origin;
    use crate::domain::import::plan::{ConsentChange, Ref};
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 25, 9, 0, 0).unwrap()
    }

    const SHA: &str = "1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a7988";

    /// The import's record as the free-form call wrote it: counts only — the new patient's
    /// and clinician's names in the plan never reach it.
    #[test]
    fn the_import_record_is_the_one_written_before() {
        let mut plan = Plan {
            new_types: vec![("Annual physical".into(), 30)],
            new_clinicians: vec!["Dr. Amara Okafor".into()],
            consents: vec![ConsentChange {
                patient: Ref::New(0),
                kind: crate::domain::consent::ConsentKind::OptIn,
                given: None,
                origin: Origin::Line(3),
            }],
            ..Plan::default()
        };
        plan.patients.added = 1;
        plan.appointments.rejected = 2;
        let e = ImportEvent::Applied {
            source: SourceKind::Csv,
            sha256: SHA,
            plan: &plan,
            cancelled_missing: 0,
        }
        .entry(at(), "lee");
        assert_eq!(
            (e.actor.as_str(), e.action.as_str(), e.subject.as_str()),
            ("lee", "import", "import:1f2e3d4c5b6a7988")
        );
        assert_eq!(
            e.detail,
            format!(
                "{}{SHA}{}",
                r#"{"appointments":{"added":0,"changed":0,"rejected":2,"unchanged":0},"cancelled_missing":0,"consent_events":1,"missing":0,"moved":0,"new_clinicians":1,"new_types":1,"patients":{"added":1,"changed":0,"rejected":0,"unchanged":0},"sha256":""#,
                r#"","source":"csv","unchanged":false}"#
            )
        );
        assert!(!e.detail.contains("Okafor"));
    }

    #[rstest::rstest]
    #[case(ImportEvent::AppointmentChanged { appointment: AppointmentId(5), start: at(), moved_from: Some(at() - chrono::Duration::hours(1)), status: None },
           "appointment.import_change", "appointment:5",
           r#"{"moved_from":"2026-03-25T08:00:00+00:00","start":"2026-03-25T09:00:00+00:00","status_from":null,"status_to":null,"via":"import"}"#)]
    #[case(ImportEvent::AppointmentChanged { appointment: AppointmentId(5), start: at(), moved_from: None, status: Some((AppointmentStatus::Booked, AppointmentStatus::Cancelled)) },
           "appointment.import_change", "appointment:5",
           r#"{"moved_from":null,"start":"2026-03-25T09:00:00+00:00","status_from":"booked","status_to":"cancelled","via":"import"}"#)]
    #[case(ImportEvent::MissingCancelled { appointment: AppointmentId(5), from: AppointmentStatus::Confirmed, sha256: "ab12" },
           "appointment.status", "appointment:5",
           r#"{"from":"confirmed","reason":"missing_from_import","sha256":"ab12","to":"cancelled","via":"import"}"#)]
    fn the_records_are_those_written_before(
        #[case] event: ImportEvent<'_>,
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
