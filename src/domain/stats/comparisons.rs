//! "Do reminders help?": no-show rates of reminded vs not reminded and confirmed vs
//! unconfirmed appointments, with a 95 % interval for the difference (Newcombe's hybrid
//! score interval from two Wilson intervals, see [`super::intervals`]), overall and per
//! clinician and appointment type where the counts allow.
//!
//! This is observational, not a trial: patients who consented to texts, or who answer them,
//! differ from those who do not (age, distance, how organised they are), so a difference
//! here is an association, not proof that the reminder caused it.

use serde::{Deserialize, Serialize};

use super::definitions::{Decided, ratio};
use super::intervals::{Interval, Z95, newcombe, wilson};

/// Fewer appointments with a known outcome than this in either group: too few to tell.
///
/// Why 30: at the no-show rates practices see (5–20 %), two groups of 30 give a 95 %
/// interval for the difference about ±17 percentage points wide — wider than the effect any
/// reminder policy could have — so below it the honest answer is "too few to tell".
pub const MIN_PER_GROUP: u64 = 30;

/// Fewer no-shows than this across both groups: too few to tell (one patient would move
/// each rate by a fifth or more).
pub const MIN_NO_SHOWS: u64 = 5;

/// How the intervals are made, said wherever they are shown.
pub const METHOD: &str = "95% interval for the difference in no-show rates: Newcombe's hybrid score interval (method 10, Newcombe 1998) built from the two groups' Wilson score intervals";

/// The caveat that goes with every comparison.
pub const CAVEAT: &str = "Observational, not a trial: patients who consented to texts or who confirm differ from those who do not, so a difference is an association, not proof that reminders caused it.";

/// One group's no-show counts (appointments with a known outcome only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArmCounts {
    pub appointments: u64,
    pub no_shows: u64,
}

impl ArmCounts {
    fn add(&mut self, no_show: bool) {
        self.appointments += 1;
        self.no_shows += u64::from(no_show);
    }
}

/// One side of a comparison, with its own rate and Wilson interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Arm {
    pub label: String,
    pub appointments: u64,
    pub no_shows: u64,
    pub no_show_rate: Option<f64>,
    pub interval: Option<Interval>,
}

/// What the interval says, in words a manager can act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Below [`MIN_PER_GROUP`] or [`MIN_NO_SHOWS`]: no interval is given.
    TooFewToTell,
    /// The whole interval is below zero: the first group had fewer no-shows.
    FewerNoShows,
    /// The whole interval is above zero: the first group had more no-shows.
    MoreNoShows,
    /// The interval includes zero.
    NoClearDifference,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Self::TooFewToTell => "too few to tell",
            Self::FewerNoShows => "fewer no-shows",
            Self::MoreNoShows => "more no-shows",
            Self::NoClearDifference => "no clear difference",
        }
    }
}

/// First group vs second group: rate difference (first − second) and its interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub with: Arm,
    pub without: Arm,
    /// First rate minus second; negative means fewer no-shows in the first group.
    pub difference: Option<f64>,
    /// 95 % interval for the difference; `None` when too few to tell.
    pub interval: Option<Interval>,
    pub verdict: Verdict,
}

/// Which grouping a comparison is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    Reminded,
    Confirmed,
}

impl Factor {
    fn labels(self) -> (&'static str, &'static str) {
        match self {
            Self::Reminded => ("reminded", "not reminded"),
            Self::Confirmed => ("confirmed", "unconfirmed"),
        }
    }

    fn holds(self, d: &Decided) -> bool {
        match self {
            Self::Reminded => d.reminded,
            Self::Confirmed => d.confirmed,
        }
    }
}

/// Counts for both comparisons of one group of appointments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PairCounts {
    /// [with, without] for reminded, then for confirmed.
    pub reminded: [ArmCounts; 2],
    pub confirmed: [ArmCounts; 2],
}

impl PairCounts {
    /// Count one appointment (only attended and no-show ones are compared).
    pub fn add(&mut self, d: &Decided) {
        if !d.outcome.is_known_visit() {
            return;
        }
        let no_show = d.outcome == super::definitions::Outcome::NoShow;
        self.reminded[usize::from(!Factor::Reminded.holds(d))].add(no_show);
        self.confirmed[usize::from(!Factor::Confirmed.holds(d))].add(no_show);
    }

    pub fn compare(&self, factor: Factor) -> Comparison {
        let [with, without] = match factor {
            Factor::Reminded => self.reminded,
            Factor::Confirmed => self.confirmed,
        };
        compare(factor, with, without)
    }
}

/// Compare two groups' no-show rates.
pub fn compare(factor: Factor, with: ArmCounts, without: ArmCounts) -> Comparison {
    let (with_label, without_label) = factor.labels();
    let arm = |label: &str, c: ArmCounts| Arm {
        label: label.to_string(),
        appointments: c.appointments,
        no_shows: c.no_shows,
        no_show_rate: ratio(c.no_shows, c.appointments),
        interval: wilson(c.no_shows, c.appointments, Z95),
    };
    let (a, b) = (arm(with_label, with), arm(without_label, without));
    let difference = a.no_show_rate.zip(b.no_show_rate).map(|(x, y)| x - y);
    let enough = with.appointments >= MIN_PER_GROUP
        && without.appointments >= MIN_PER_GROUP
        && with.no_shows + without.no_shows >= MIN_NO_SHOWS;
    let interval = enough
        .then(|| {
            newcombe(
                with.no_shows,
                with.appointments,
                without.no_shows,
                without.appointments,
                Z95,
            )
        })
        .flatten();
    let verdict = match interval {
        None => Verdict::TooFewToTell,
        Some(ci) if ci.high < 0.0 => Verdict::FewerNoShows,
        Some(ci) if ci.low > 0.0 => Verdict::MoreNoShows,
        Some(_) => Verdict::NoClearDifference,
    };
    Comparison {
        with: a,
        without: b,
        difference,
        interval,
        verdict,
    }
}

impl Comparison {
    /// One line, e.g. "reminded 6.0% (12/200) vs not reminded 14.0% (14/100): −8.0 points,
    /// 95% CI −16.2 to −0.9 — fewer no-shows".
    pub fn summary(&self) -> String {
        let side = |a: &Arm| match a.no_show_rate {
            Some(r) => format!(
                "{} {:.1}% ({}/{})",
                a.label,
                r * 100.0,
                a.no_shows,
                a.appointments
            ),
            None => format!("{} — (0 appointments)", a.label),
        };
        let mut s = format!("{} vs {}", side(&self.with), side(&self.without));
        if let (Some(d), Some(ci)) = (self.difference, self.interval) {
            s.push_str(&format!(
                ": {:+.1} points, 95% CI {:+.1} to {:+.1}",
                d * 100.0,
                ci.low * 100.0,
                ci.high * 100.0
            ));
        }
        s.push_str(&format!(" — {}", self.verdict.label()));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(appointments: u64, no_shows: u64) -> ArmCounts {
        ArmCounts {
            appointments,
            no_shows,
        }
    }

    #[test]
    fn a_clear_difference_is_named_with_its_interval() {
        // Newcombe 1998 Table II (a), read as no-shows: 56/70 vs 48/80.
        let c = compare(Factor::Reminded, counts(70, 56), counts(80, 48));
        assert_eq!(c.verdict, Verdict::MoreNoShows);
        let ci = c.interval.unwrap();
        assert!((ci.low - 0.0524).abs() < 5e-5 && (ci.high - 0.3339).abs() < 5e-5);
        assert!((c.difference.unwrap() - 0.2).abs() < 1e-12);
        let flipped = compare(Factor::Reminded, counts(80, 48), counts(70, 56));
        assert_eq!(flipped.verdict, Verdict::FewerNoShows);
    }

    #[test]
    fn an_interval_across_zero_is_no_clear_difference() {
        let c = compare(Factor::Confirmed, counts(100, 8), counts(100, 11));
        assert_eq!(c.verdict, Verdict::NoClearDifference);
        assert!(c.interval.unwrap().contains(0.0));
    }

    #[test]
    fn small_groups_are_too_few_to_tell_and_say_so() {
        // 29 in one group: no interval, whatever the rates.
        let c = compare(Factor::Reminded, counts(29, 0), counts(300, 60));
        assert_eq!(c.verdict, Verdict::TooFewToTell);
        assert_eq!(c.interval, None);
        assert_eq!(c.with.no_show_rate, Some(0.0), "the rates are still shown");
        // Enough appointments but only 4 no-shows between them.
        let c = compare(Factor::Reminded, counts(200, 1), counts(200, 3));
        assert_eq!(c.verdict, Verdict::TooFewToTell);
        // At the thresholds exactly, an interval is given.
        let c = compare(Factor::Reminded, counts(30, 2), counts(30, 3));
        assert!(c.interval.is_some());
        assert!(
            c.summary().ends_with("no clear difference"),
            "{}",
            c.summary()
        );
    }

    #[test]
    fn an_empty_group_has_no_rate() {
        let c = compare(Factor::Reminded, counts(0, 0), counts(50, 5));
        assert_eq!(c.with.no_show_rate, None);
        assert_eq!(c.difference, None);
        assert_eq!(c.verdict, Verdict::TooFewToTell);
        assert!(c.summary().contains("(0 appointments)"));
    }

    #[test]
    fn summary_reads_in_points() {
        let c = compare(Factor::Reminded, counts(200, 12), counts(100, 14));
        let s = c.summary();
        assert!(
            s.starts_with(
                "reminded 6.0% (12/200) vs not reminded 14.0% (14/100): -8.0 points, 95% CI"
            ),
            "{s}"
        );
    }
}
