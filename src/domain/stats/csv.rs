//! The statistics as one CSV table: a `total` row, then one row per bar of each chosen
//! breakdown. The statistics screen's "export CSV" and `frontdesk stats --format csv` both
//! write this. Rates are fractions 0–1; an empty cell is "no rate" (nothing to divide).

use super::breakdowns::{Bucket, Dimension};
use super::definitions::{Rates, Tally};
use super::report::StatsReport;
use crate::domain::csv::{self, Cell};

pub const COLUMNS: [&str; 22] = [
    "dimension",
    "key",
    "label",
    "appointments",
    "attended",
    "no_shows",
    "unrecorded",
    "cancelled",
    "late_cancellations",
    "cancellation_time_unknown",
    "reminded",
    "confirmed",
    "confirmed_of_reminded",
    "eligible",
    "covered",
    "reminders_handed_over",
    "reminders_failed",
    "no_show_rate",
    "late_cancellation_rate",
    "confirmation_rate",
    "reminder_coverage",
    "delivery_failure_rate",
];

fn row(dimension: &str, key: String, label: &str, t: &Tally, r: &Rates) -> String {
    let n = |v: u64| Cell::raw(v.to_string());
    csv::record(&[
        Cell::raw(dimension),
        Cell::text(key),
        Cell::text(label),
        n(t.appointments),
        n(t.attended),
        n(t.no_shows),
        n(t.unrecorded),
        n(t.cancelled),
        n(t.late_cancellations),
        n(t.cancellation_time_unknown),
        n(t.reminded),
        n(t.confirmed),
        n(t.confirmed_of_reminded),
        n(t.eligible),
        n(t.covered),
        n(t.reminders_handed_over),
        n(t.reminders_failed),
        Cell::num(r.no_show_rate),
        Cell::num(r.late_cancellation_rate),
        Cell::num(r.confirmation_rate),
        Cell::num(r.reminder_coverage),
        Cell::num(r.delivery_failure_rate),
    ])
}

fn key(b: &Bucket) -> String {
    serde_json::to_value(b.key)
        .map(|v| match v {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        })
        .unwrap_or_default()
}

/// The totals and the bars of `dimensions`, as CSV text.
pub fn to_csv(report: &StatsReport, dimensions: &[Dimension]) -> String {
    let mut out = csv::header(&COLUMNS);
    let period = format!("{} to {}", report.period.from, report.period.to);
    out.push_str(&row(
        "total",
        String::new(),
        &period,
        &report.totals,
        &report.rates,
    ));
    for d in dimensions {
        for b in report.breakdowns.get(*d) {
            out.push_str(&row(d.as_str(), key(b), &b.label, &b.tally, &b.rates));
        }
    }
    out
}
