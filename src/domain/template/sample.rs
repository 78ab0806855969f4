//! Sample values for the template editor's live preview and the save check (no clock here:
//! the sample times are fixed).

use chrono::{DateTime, Utc};

use super::RenderContext;
use crate::domain::message::MessageKind;

/// How long the sample values are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleSize {
    /// Typical names: what most patients will receive.
    Typical,
    /// Long-ish names: the limit check on save.
    Long,
}

/// Sample times: Wed Nov 25 2026, 10:30 and 14:45 in New York (fixed: no clock here).
const SAMPLE_STARTS: [DateTime<Utc>; 2] = [
    match DateTime::from_timestamp(1_795_620_600, 0) {
        Some(t) => t,
        None => DateTime::UNIX_EPOCH,
    },
    match DateTime::from_timestamp(1_795_635_900, 0) {
        Some(t) => t,
        None => DateTime::UNIX_EPOCH,
    },
];

/// A sample context for `kind`, for the template editor's live preview and the save check:
/// kinds about an appointment get one (two for a double booking), the survey gets its link.
pub fn sample_context(kind: MessageKind, size: SampleSize) -> RenderContext<'static> {
    let long = size == SampleSize::Long;
    let starts: &'static [DateTime<Utc>] = match kind {
        MessageKind::SameDayDouble => &SAMPLE_STARTS,
        MessageKind::Reminder48h
        | MessageKind::Reminder24h
        | MessageKind::Closure
        | MessageKind::Survey => &SAMPLE_STARTS[..1],
        _ => &[],
    };
    RenderContext {
        first_name: if long { "Maximiliano" } else { "Jennifer" },
        practice_name: if long {
            "Riverside Family Practice of Greenfield"
        } else {
            "Riverside Family Practice"
        },
        practice_phone: "555-555-0100",
        portal_url: if long {
            "https://portal.riversidefamilypractice.org"
        } else {
            "https://portal.example.org"
        },
        location: if long {
            "1200 Riverside Avenue, Suite 200"
        } else {
            "12 Main St, Suite 200"
        },
        tz: chrono_tz::America::New_York,
        starts,
        clinician: Some(if long {
            "Dr. Oluwaseun Okafor"
        } else {
            "Dr. Okafor"
        }),
        survey_url: Some(if long {
            "https://survey.riversidefamilypractice.org/v"
        } else {
            "https://example.org/s/4kq"
        }),
        opt_out_notice: true,
    }
}
