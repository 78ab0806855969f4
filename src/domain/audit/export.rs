//! Typed audit events for what left the practice or was reviewed: an export (what, which
//! period or patient, how many rows, in which format, bodies or not) and a compliance or
//! consent review (counts). Dates, ids and counts only — never a name, a number or a body.
//!
//! Pure: serde, serde_json for the detail.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::AuditEntry;
use crate::domain::ids::PatientId;

/// What was exported, for the audit record (SPEC §5.10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    Appointments,
    Messages,
    AuditLog,
    ConsentHistory,
}

impl ExportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Appointments => "appointments",
            Self::Messages => "messages",
            Self::AuditLog => "audit_log",
            Self::ConsentHistory => "consent_history",
        }
    }
}

/// An export, as the audit log records it: what, which period or patient, how many rows, in
/// which format, bodies or not. Typed, so the detail can only hold ids, dates and counts —
/// never a name, a number or a message body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExportEvent {
    pub kind: ExportKind,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub patient: Option<PatientId>,
    pub format: &'static str,
    pub rows: usize,
    pub with_bodies: bool,
}

impl ExportEvent {
    pub fn audit_entry(&self, actor: &str, now: DateTime<Utc>) -> AuditEntry {
        let subject = self
            .patient
            .map_or_else(|| "practice".to_string(), |p| format!("patient:{p}"));
        AuditEntry::new(
            now,
            actor,
            &format!("export.{}", self.kind.as_str()),
            subject,
            json!({
                "from": self.from.map(|d| d.to_string()),
                "to": self.to.map(|d| d.to_string()),
                "format": self.format,
                "rows": self.rows,
                "with_bodies": self.with_bodies,
            }),
        )
    }
}

/// A compliance or consent review, as the audit log records it: counts only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewEvent {
    /// Every template and sent body re-scanned with the current PHI gate.
    Compliance {
        templates: usize,
        messages: usize,
        findings: usize,
    },
    /// Stale and unverified opt-ins, texts sent without consent.
    Consent {
        patients: usize,
        texts: usize,
        findings: usize,
    },
}

impl ReviewEvent {
    pub fn audit_entry(&self, actor: &str, now: DateTime<Utc>) -> AuditEntry {
        let (action, detail) = match *self {
            Self::Compliance {
                templates,
                messages,
                findings,
            } => (
                "audit.review",
                json!({ "templates": templates, "messages": messages, "findings": findings }),
            ),
            Self::Consent {
                patients,
                texts,
                findings,
            } => (
                "consent.review",
                json!({ "patients": patients, "texts": texts, "findings": findings }),
            ),
        };
        AuditEntry::new(now, actor, action, "practice", detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap()
    }

    #[test]
    fn export_audit_records_carry_dates_and_counts_only() {
        let e = ExportEvent {
            kind: ExportKind::Messages,
            from: NaiveDate::from_ymd_opt(2026, 11, 1),
            to: NaiveDate::from_ymd_opt(2026, 11, 25),
            patient: None,
            format: "csv",
            rows: 42,
            with_bodies: true,
        };
        let a = e.audit_entry("manager", t(25, 0));
        assert_eq!(
            (a.action.as_str(), a.subject.as_str()),
            ("export.messages", "practice")
        );
        let detail: serde_json::Value = serde_json::from_str(&a.detail).unwrap();
        assert_eq!(
            detail,
            serde_json::json!({"from": "2026-11-01", "to": "2026-11-25", "format": "csv", "rows": 42, "with_bodies": true})
        );
        let c = ExportEvent {
            kind: ExportKind::ConsentHistory,
            patient: Some(PatientId(7)),
            from: None,
            to: None,
            ..e
        };
        assert_eq!(c.audit_entry("manager", t(25, 0)).subject, "patient:7");
        let r = ReviewEvent::Compliance {
            templates: 3,
            messages: 10,
            findings: 1,
        }
        .audit_entry("m", t(25, 0));
        assert_eq!(r.action, "audit.review");
        assert!(r.detail.contains("\"findings\":1"));
    }
}
