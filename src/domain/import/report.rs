//! The import report: counts, every error, and what staff should know.
//!
//! As JSON it is exactly `{"patients":{"added","changed","unchanged","rejected"},
//! "appointments":{…},"errors":[{"line" or "entry","field","value","problem"}],
//! "warnings":[{"line" or "entry"?,"message"}]}`. Appointments an earlier import brought that
//! the file no longer has are warnings (and cancelled only with `--cancel-missing`).

use std::fmt::Write as _;

use serde::Serialize;

use super::plan::{NEUTRAL_TYPE_LABEL, Plan, Tally};
use super::{RecordError, Warning};
use crate::domain::consent::ConsentKind;

/// What an import did, or would do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub patients: Tally,
    pub appointments: Tally,
    pub errors: Vec<RecordError>,
    pub warnings: Vec<Warning>,
}

impl Report {
    /// The report of a plan; `tz` writes the missing appointments' times as the desk reads them.
    pub fn new(plan: &Plan, tz: chrono_tz::Tz) -> Self {
        let mut warnings = plan.warnings.clone();
        for name in &plan.new_clinicians {
            warnings.push(Warning::file(format!("new clinician: {name}")));
        }
        for (name, minutes) in &plan.new_types {
            warnings.push(Warning::file(format!(
                "new appointment type {name:?} ({minutes} min); texts call it \"{NEUTRAL_TYPE_LABEL}\""
            )));
        }
        let (ins, outs) = plan.consents.iter().fold((0, 0), |(i, o), c| match c.kind {
            ConsentKind::OptIn => (i + 1, o),
            ConsentKind::OptOut => (i, o + 1),
        });
        if ins + outs > 0 {
            warnings.push(Warning::file(format!(
                "SMS consent from the file: {ins} opt-in(s), {outs} opt-out(s) recorded with the file as evidence"
            )));
        }
        for a in &plan.missing {
            let at = a.start.with_timezone(&tz).format("%a %b %-d %Y %-I:%M %p");
            let id = a.external_id.as_deref().unwrap_or("?");
            let what = if plan.cancel_missing {
                "cancelled (--cancel-missing)"
            } else {
                "left as it is; --cancel-missing would cancel it"
            };
            warnings.push(Warning::file(format!(
                "appointment {id} ({at}) came with an earlier import and is not in this file: {what}"
            )));
        }
        let mut appointments = plan.appointments;
        if plan.cancel_missing {
            appointments.changed += plan.missing.len();
        }
        Self {
            patients: plan.patients,
            appointments,
            errors: plan.errors.clone(),
            warnings,
        }
    }

    pub fn rejected(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Nothing would change.
    pub fn unchanged(&self) -> bool {
        let quiet = |t: &Tally| t.added + t.changed + t.rejected == 0;
        quiet(&self.patients) && quiet(&self.appointments) && self.errors.is_empty()
    }

    /// The report for people: counts, then errors (all of them), then warnings.
    pub fn human(&self, source: &str, dry_run: bool) -> String {
        let mut out = String::new();
        let verdict = if self.rejected() {
            "REJECTED — nothing was written; fix the lines below and import again"
        } else if self.unchanged() {
            "nothing changed: everything in the file is already in frontdesk"
        } else if dry_run {
            "dry run — nothing was written"
        } else {
            "imported"
        };
        let _ = writeln!(out, "Import of {source}: {verdict}");
        for (what, t) in [
            ("patients", self.patients),
            ("appointments", self.appointments),
        ] {
            let _ = writeln!(
                out,
                "  {what:<13} added {}, changed {}, unchanged {}, rejected {}",
                t.added, t.changed, t.unchanged, t.rejected
            );
        }
        if !self.errors.is_empty() {
            let _ = writeln!(out, "Errors ({}):", self.errors.len());
            for e in &self.errors {
                let _ = writeln!(
                    out,
                    "  {} {}: {:?}: {}",
                    e.origin.describe(),
                    e.field,
                    e.value,
                    e.problem
                );
            }
        }
        if !self.warnings.is_empty() {
            let _ = writeln!(out, "Notes ({}):", self.warnings.len());
            for w in &self.warnings {
                match w.origin {
                    Some(o) => {
                        let _ = writeln!(out, "  {}: {}", o.describe(), w.message);
                    }
                    None => {
                        let _ = writeln!(out, "  {}", w.message);
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::import::Origin;

    #[test]
    fn json_has_exactly_the_documented_shape() {
        let mut plan = Plan::default();
        plan.patients.added = 2;
        plan.appointments.rejected = 1;
        plan.errors.push(RecordError::new(
            Origin::Line(7),
            "Appt Date",
            "02/30/2026",
            "February has no day 30 in 2026",
        ));
        plan.errors.push(RecordError::new(
            Origin::Entry(3),
            "status",
            "maybe",
            "unknown",
        ));
        plan.warnings.push(Warning::file("note"));
        let json = serde_json::to_value(Report::new(&plan, chrono_tz::UTC)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "patients": {"added": 2, "changed": 0, "unchanged": 0, "rejected": 0},
                "appointments": {"added": 0, "changed": 0, "unchanged": 0, "rejected": 1},
                "errors": [
                    {"line": 7, "field": "Appt Date", "value": "02/30/2026",
                     "problem": "February has no day 30 in 2026"},
                    {"entry": 3, "field": "status", "value": "maybe", "problem": "unknown"}
                ],
                "warnings": [{"message": "note"}]
            })
        );
    }

    #[test]
    fn the_human_report_lists_every_error() {
        let mut plan = Plan::default();
        for line in 2..40 {
            plan.errors.push(RecordError::new(
                Origin::Line(line),
                "Mobile",
                "12",
                "too short",
            ));
        }
        let text = Report::new(&plan, chrono_tz::UTC).human("x.csv", false);
        assert!(text.contains("REJECTED"));
        assert_eq!(text.matches("too short").count(), 38);
        assert!(text.contains("line 39 Mobile: \"12\": too short"));
    }
}
