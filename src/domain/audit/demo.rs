//! The typed audit event of seeding the demo practice: the seed and what it wrote, counted —
//! never one of the invented names — with the action name and JSON the record has always had.
//!
//! Pure: serde_json for the detail.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::AuditEntry;

/// How big a practice was seeded, as the record names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DemoScale {
    /// One practice (the detail has no `scale`, as it never had).
    Practice,
    /// A group of sites (`"scale": "group"`).
    Group,
}

/// The demo practice seeded into an empty database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoSeeded {
    pub seed: u64,
    pub scale: DemoScale,
    pub patients: usize,
    pub appointments: usize,
    pub messages: usize,
}

impl DemoSeeded {
    /// The record, at `at`, by `actor` (the seed's own name).
    pub fn entry(&self, at: DateTime<Utc>, actor: &str) -> AuditEntry {
        let mut detail = json!({ "seed": self.seed, "patients": self.patients,
                                 "appointments": self.appointments, "messages": self.messages });
        if self.scale == DemoScale::Group {
            detail["scale"] = json!("group");
        }
        AuditEntry::new(at, actor, "demo.seed", "practice", detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[rstest::rstest]
    #[case(
        DemoScale::Practice,
        r#"{"appointments":40,"messages":12,"patients":30,"seed":7}"#
    )]
    #[case(
        DemoScale::Group,
        r#"{"appointments":40,"messages":12,"patients":30,"scale":"group","seed":7}"#
    )]
    fn the_record_is_the_one_written_before(#[case] scale: DemoScale, #[case] detail: &str) {
        let at = Utc.with_ymd_and_hms(2026, 3, 25, 9, 0, 0).unwrap();
        let e = DemoSeeded {
            seed: 7,
            scale,
            patients: 30,
            appointments: 40,
            messages: 12,
        }
        .entry(at, "demo-seed");
        assert_eq!(
            (e.action.as_str(), e.subject.as_str(), e.detail.as_str()),
            ("demo.seed", "practice", detail)
        );
    }
}
