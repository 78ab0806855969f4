//! What the statistics screen holds: the period, the report the worker computed, which
//! number (tile) and chart (view) are selected, the custom period being typed, and the
//! drill-down. Plain data and pure helpers; no drawing, no IO.

use chrono::{Duration, NaiveDate};

use crate::domain::ids::AppointmentId;
use crate::domain::stats::period::parse_date;
use crate::domain::stats::{Dimension, Measure, Period, Preset, Rates, StatsReport, Tally};
use crate::workflow::manager_views::DrillLine;

/// The numbers across the top. The bars below show the selected one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tile {
    NoShow,
    LateCancel,
    Confirmation,
    Coverage,
    Failures,
    OptOuts,
}

impl Tile {
    pub const ALL: [Self; 6] = [
        Self::NoShow,
        Self::LateCancel,
        Self::Confirmation,
        Self::Coverage,
        Self::Failures,
        Self::OptOuts,
    ];

    /// The tile's heading (fits 12 cells).
    pub fn label(self) -> &'static str {
        match self {
            Self::NoShow => "no-show",
            Self::LateCancel => "late cancel",
            Self::Confirmation => "confirmed",
            Self::Coverage => "coverage",
            Self::Failures => "failures",
            Self::OptOuts => "opt-outs",
        }
    }

    /// What the number is, in full.
    pub fn long(self) -> &'static str {
        match self {
            Self::NoShow => "no-show rate",
            Self::LateCancel => "late-cancellation rate",
            Self::Confirmation => "confirmation rate",
            Self::Coverage => "reminder coverage",
            Self::Failures => "delivery failure rate",
            Self::OptOuts => "opt-outs",
        }
    }

    /// "9 of 60 attended or no-show" — what the fraction counts.
    pub fn fraction_words(self) -> (&'static str, &'static str) {
        match self {
            Self::NoShow => ("no-shows", "attended or no-show"),
            Self::LateCancel => ("late cancellations", "booked"),
            Self::Confirmation => ("confirmed", "reminded"),
            Self::Coverage => ("reminder delivered", "eligible for one"),
            Self::Failures => ("reminders failed", "handed to the provider"),
            Self::OptOuts => ("opt-outs", "patients"),
        }
    }

    /// How it is counted (SPEC §7, docs/STATISTICS.md), shown under the bars when there is
    /// room.
    pub fn definition(self) -> &'static str {
        match self {
            Self::NoShow => {
                "No-show rate: no-shows ÷ (attended + no-shows), appointments that started in the period. Never-marked ones count nowhere."
            }
            Self::LateCancel => {
                "Late-cancellation rate: cancelled with under 24 hours' notice ÷ every appointment that started in the period, cancelled ones included."
            }
            Self::Confirmation => {
                "Confirmation rate: confirmed before the start (reply or desk) ÷ reminded, among appointments not cancelled."
            }
            Self::Coverage => {
                "Reminder coverage: a reminder delivered ÷ eligible for one (consent, mobile number, booked in time). Enter lists the gap."
            }
            Self::Failures => {
                "Delivery failures: reminders failed or undelivered ÷ handed to the provider. Blocked or withdrawn texts never left."
            }
            Self::OptOuts => {
                "Opt-outs: patients who opted out in the period (STOP, desk or provider); per week in the weekly trend."
            }
        }
    }

    pub fn rate(self, r: &Rates) -> Option<f64> {
        match self {
            Self::NoShow => r.no_show_rate,
            Self::LateCancel => r.late_cancellation_rate,
            Self::Confirmation => r.confirmation_rate,
            Self::Coverage => r.reminder_coverage,
            Self::Failures => r.delivery_failure_rate,
            Self::OptOuts => None,
        }
    }

    /// The rate's numerator and denominator.
    pub fn counts(self, t: &Tally) -> (u64, u64) {
        match self {
            Self::NoShow => (t.no_shows, t.attended + t.no_shows),
            Self::LateCancel => (t.late_cancellations, t.appointments),
            Self::Confirmation => (t.confirmed_of_reminded, t.reminded),
            Self::Coverage => (t.covered, t.eligible),
            Self::Failures => (t.reminders_failed, t.reminders_handed_over),
            Self::OptOuts => (0, 0),
        }
    }

    /// Which appointments the drill-down lists: the ones a manager acts on (the no-shows,
    /// the late cancellations, the confirmed, the coverage gap, the failures). Opt-outs are
    /// patients, not appointments.
    pub fn measure(self) -> Option<Measure> {
        match self {
            Self::NoShow => Some(Measure::NoShows),
            Self::LateCancel => Some(Measure::LateCancellations),
            Self::Confirmation => Some(Measure::Confirmed),
            Self::Coverage => Some(Measure::NotCovered),
            Self::Failures => Some(Measure::DeliveryFailures),
            Self::OptOuts => None,
        }
    }
}

/// The chart under the tiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Clinician,
    Type,
    Weekday,
    Hour,
    Trend,
    Reminders,
}

impl View {
    pub const ALL: [Self; 6] = [
        Self::Clinician,
        Self::Type,
        Self::Weekday,
        Self::Hour,
        Self::Trend,
        Self::Reminders,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Clinician => "clinician",
            Self::Type => "type",
            Self::Weekday => "weekday",
            Self::Hour => "hour",
            Self::Trend => "weekly trend",
            Self::Reminders => "do reminders help?",
        }
    }

    pub fn dimension(self) -> Option<Dimension> {
        match self {
            Self::Clinician => Some(Dimension::Clinician),
            Self::Type => Some(Dimension::Type),
            Self::Weekday => Some(Dimension::Weekday),
            Self::Hour => Some(Dimension::Hour),
            Self::Trend => Some(Dimension::Week),
            Self::Reminders => None,
        }
    }

    /// The next (`step` 1) or previous (`step` -1) chart, wrapping.
    pub fn step(self, step: isize) -> Self {
        let i = Self::ALL.iter().position(|v| *v == self).unwrap_or(0) as isize;
        Self::ALL[(i + step).rem_euclid(Self::ALL.len() as isize) as usize]
    }
}

/// The rows of "do reminders help?" the cursor moves over, with what each drills into.
pub const ARMS: [(&str, Measure); 4] = [
    ("reminded", Measure::Reminded),
    ("not reminded", Measure::NotReminded),
    ("confirmed", Measure::Confirmed),
    ("unconfirmed", Measure::Unconfirmed),
];

/// The appointments behind a number, listed over the charts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drill {
    /// "9 no-shows · Dr. Okafor".
    pub title: String,
    pub generation: u64,
    /// `None` while the worker reads them.
    pub lines: Option<Vec<DrillLine>>,
    pub error: Option<String>,
    pub selected: usize,
    pub offset: usize,
}

/// The statistics screen.
#[derive(Clone, Debug, PartialEq)]
pub struct StatsState {
    /// The preset in use; `None` for a custom period.
    pub preset: Option<Preset>,
    pub period: Period,
    pub generation: u64,
    pub loading: bool,
    pub report: Option<Box<StatsReport>>,
    pub error: Option<String>,
    pub tile: Tile,
    pub view: View,
    /// The selected bar (week, comparison row) of the view; `None`: the tile itself.
    pub bar: Option<usize>,
    /// The first bar shown when they do not all fit.
    pub bar_offset: usize,
    /// The custom period being typed.
    pub typing: Option<String>,
    pub typing_error: Option<String>,
    pub drill: Option<Drill>,
}

impl StatsState {
    /// The screen on the default period: the four weeks ending `today`.
    pub fn new(today: NaiveDate) -> Self {
        Self {
            preset: Some(Preset::Last4Weeks),
            period: Period::preset(Preset::Last4Weeks, today),
            generation: 0,
            loading: false,
            report: None,
            error: None,
            tile: Tile::NoShow,
            view: View::Clinician,
            bar: None,
            bar_offset: 0,
            typing: None,
            typing_error: None,
            drill: None,
        }
    }

    /// How many bars (or rows) the current view has.
    pub fn items(&self) -> usize {
        let Some(r) = &self.report else { return 0 };
        match self.view.dimension() {
            Some(d) => r.breakdowns.get(d).len(),
            None => ARMS.len(),
        }
    }

    /// The appointments behind the selection, and a title for their list; `None` when the
    /// selection is not about appointments (opt-outs).
    pub fn drill_target(&self) -> Option<(String, Vec<AppointmentId>)> {
        let r = self.report.as_ref()?;
        if let (View::Reminders, Some(i)) = (self.view, self.bar) {
            let (label, measure) = ARMS.get(i)?;
            let ids = r.appointments_behind(None, *measure);
            return Some((format!("{} {label} (not cancelled)", ids.len()), ids));
        }
        let measure = self.tile.measure()?;
        let what = self.tile.fraction_words().0;
        match (self.view.dimension(), self.bar) {
            (Some(d), Some(i)) => {
                let bucket = r.breakdowns.get(d).get(i)?;
                let ids = r.appointments_behind(Some((d, bucket.key)), measure);
                Some((format!("{} {what} · {}", ids.len(), bucket.label), ids))
            }
            _ => {
                let ids = r.appointments_behind(None, measure);
                Some((format!("{} {what} · whole period", ids.len()), ids))
            }
        }
    }
}

/// The period a manager typed: two dates (`2026-01-05 2026-02-01`, `2026-01-05 to
/// 2026-02-01`, `2026-01-05..2026-02-01`), or one date for a single day.
pub fn parse_period(text: &str) -> Result<Period, String> {
    let cleaned = text.replace("..", " ").replace(" to ", " ");
    let words: Vec<&str> = cleaned
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty() && *w != "-" && *w != "–")
        .collect();
    let date = |w: &str| parse_date(w).map_err(|e| e.to_string());
    let (from, to) = match words.as_slice() {
        [one] => (date(one)?, date(one)?),
        [from, to] => (date(from)?, date(to)?),
        [] => return Err("type the first and the last day, e.g. 2026-01-05 2026-02-01".into()),
        _ => return Err("two dates only: the first and the last day".into()),
    };
    if (to - from) > Duration::days(3 * 366) {
        return Err("at most three years at a time".into());
    }
    Period::new(from, to).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[rstest]
    #[case("2026-01-05 2026-02-01", "2026-01-05", "2026-02-01")]
    #[case("2026-01-05 to 2026-02-01", "2026-01-05", "2026-02-01")]
    #[case("2026-01-05..2026-02-01", "2026-01-05", "2026-02-01")]
    #[case("  2026-01-05 ,  2026-02-01 ", "2026-01-05", "2026-02-01")]
    #[case("2026-03-08", "2026-03-08", "2026-03-08")]
    fn typed_periods_are_read(#[case] text: &str, #[case] from: &str, #[case] to: &str) {
        assert_eq!(parse_period(text), Ok(Period::new(d(from), d(to)).unwrap()));
    }

    #[rstest]
    #[case("", "first and the last day")]
    #[case("2026-02-01 2026-01-05", "after it ends")]
    #[case("5/1/2026 2026-02-01", "YYYY-MM-DD")]
    #[case("2026-01-01 2026-01-02 2026-01-03", "two dates only")]
    #[case("2020-01-01 2026-01-02", "three years")]
    fn bad_periods_say_why(#[case] text: &str, #[case] why: &str) {
        let e = parse_period(text).unwrap_err();
        assert!(e.contains(why), "{text:?}: {e}");
    }

    #[test]
    fn views_wrap_both_ways() {
        assert_eq!(View::Clinician.step(-1), View::Reminders);
        assert_eq!(View::Reminders.step(1), View::Clinician);
        assert_eq!(View::Weekday.step(1), View::Hour);
    }
}
