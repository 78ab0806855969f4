//! The computation itself: decide every started appointment of the period once, then fold
//! the decisions into totals, bars and comparisons; keep them for the drill-down.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::breakdowns::{Bucket, BucketKey, Dimension, Keys, buckets};
use super::comparisons::{
    CAVEAT, Comparison, Factor, METHOD, MIN_NO_SHOWS, MIN_PER_GROUP, PairCounts,
};
use super::definitions::{self, Decided, Outcome, Rates, Reach, ReminderSummary, Tally};
use super::period::{Period, week_of};
use super::{AppointmentFacts, StatsInput};
use crate::domain::ids::AppointmentId;
use crate::domain::reminder::ReminderKey;

/// The statistics of one period. Serialises to the JSON of `frontdesk stats --format json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatsReport {
    pub period: Period,
    pub time_zone: Tz,
    /// The instant "started" was judged at.
    pub computed_at: DateTime<Utc>,
    #[serde(flatten)]
    pub totals: Tally,
    #[serde(flatten)]
    pub rates: Rates,
    /// Opt-outs recorded in the period (patients, not appointments).
    pub opt_outs: u64,
    /// Appointments of the period that have not started yet: counted nowhere.
    pub upcoming: u64,
    pub comparisons: Comparisons,
    pub breakdowns: Breakdowns,
    /// Every counted appointment, decided, in start order (for the drill-down).
    #[serde(skip)]
    pub visits: Vec<Visit>,
}

/// The bars of every dimension.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Breakdowns {
    pub clinician: Vec<Bucket>,
    #[serde(rename = "type")]
    pub type_: Vec<Bucket>,
    pub weekday: Vec<Bucket>,
    pub hour: Vec<Bucket>,
    pub lead: Vec<Bucket>,
    pub week: Vec<Bucket>,
}

impl Breakdowns {
    pub fn get(&self, d: Dimension) -> &[Bucket] {
        match d {
            Dimension::Clinician => &self.clinician,
            Dimension::Type => &self.type_,
            Dimension::Weekday => &self.weekday,
            Dimension::Hour => &self.hour,
            Dimension::Lead => &self.lead,
            Dimension::Week => &self.week,
        }
    }

    fn get_mut(&mut self, d: Dimension) -> &mut Vec<Bucket> {
        match d {
            Dimension::Clinician => &mut self.clinician,
            Dimension::Type => &mut self.type_,
            Dimension::Weekday => &mut self.weekday,
            Dimension::Hour => &mut self.hour,
            Dimension::Lead => &mut self.lead,
            Dimension::Week => &mut self.week,
        }
    }
}

/// Reminded vs not and confirmed vs not, overall and per clinician and type.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparisons {
    pub method: &'static str,
    pub caveat: &'static str,
    /// The "too few to tell" thresholds.
    pub min_per_group: u64,
    pub min_no_shows: u64,
    pub reminded: Comparison,
    pub confirmed: Comparison,
    pub by_clinician: Vec<GroupComparison>,
    pub by_type: Vec<GroupComparison>,
}

/// Both comparisons within one clinician's or one type's appointments.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupComparison {
    pub key: BucketKey,
    pub label: String,
    pub reminded: Comparison,
    pub confirmed: Comparison,
}

/// One counted appointment: where it falls and what was decided about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Visit {
    pub id: AppointmentId,
    pub start: DateTime<Utc>,
    pub keys: Keys,
    pub decided: Decided,
}

/// Which appointments behind a tile or a bar the drill-down lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    All,
    Attended,
    NoShows,
    /// Started, never marked.
    Unrecorded,
    Cancelled,
    LateCancellations,
    /// Not cancelled, reminded / not reminded.
    Reminded,
    NotReminded,
    /// Not cancelled, confirmed / not confirmed.
    Confirmed,
    Unconfirmed,
    /// Eligible for a reminder but none was delivered (the coverage gap).
    NotCovered,
    /// With at least one failed or undelivered reminder.
    DeliveryFailures,
}

impl Measure {
    pub fn includes(self, d: &Decided) -> bool {
        let live = !matches!(d.outcome, Outcome::Cancelled { .. });
        match self {
            Self::All => true,
            Self::Attended => d.outcome == Outcome::Attended,
            Self::NoShows => d.outcome == Outcome::NoShow,
            Self::Unrecorded => d.outcome == Outcome::Unrecorded,
            Self::Cancelled => !live,
            Self::LateCancellations => matches!(
                d.outcome,
                Outcome::Cancelled {
                    late: definitions::Lateness::Late
                }
            ),
            Self::Reminded => live && d.reminded,
            Self::NotReminded => live && !d.reminded,
            Self::Confirmed => live && d.confirmed,
            Self::Unconfirmed => live && !d.confirmed,
            Self::NotCovered => live && d.eligible && d.reminders.delivered == 0,
            Self::DeliveryFailures => d.reminders.failed > 0,
        }
    }
}

impl StatsReport {
    /// The appointments behind a tile (`bar: None`) or a bar, in start order.
    pub fn appointments_behind(
        &self,
        bar: Option<(Dimension, BucketKey)>,
        measure: Measure,
    ) -> Vec<AppointmentId> {
        self.visits
            .iter()
            .filter(|v| bar.is_none_or(|(d, k)| v.keys.key(d) == k))
            .filter(|v| measure.includes(&v.decided))
            .map(|v| v.id)
            .collect()
    }
}

/// Compute the statistics of `input.period`.
pub fn compute(input: &StatsInput<'_>) -> StatsReport {
    let (from, to) = input.period.bounds(input.tz);
    let mut started: Vec<&AppointmentFacts> = Vec::with_capacity(input.appointments.len());
    let mut upcoming = 0;
    for a in input
        .appointments
        .iter()
        .filter(|a| a.start >= from && a.start < to)
    {
        if a.start < input.now {
            started.push(a);
        } else {
            upcoming += 1;
        }
    }
    started.sort_by_key(|a| (a.start, a.id));
    let summaries = attach_reminders(&started, input);
    let visits: Vec<Visit> = started
        .iter()
        .zip(summaries)
        .map(|(a, r)| Visit {
            id: a.id,
            start: a.start,
            keys: Keys::new(a.clinician_id, a.type_id, a.start, a.booked_at, input.tz),
            decided: decide(a, r, input),
        })
        .collect();
    let mut folded = Folded::default();
    for v in &visits {
        folded.add(v);
    }
    let opt_outs: Vec<NaiveDate> = input
        .opt_outs
        .iter()
        .filter(|t| **t >= from && **t < to)
        .map(|t| t.with_timezone(&input.tz).date_naive())
        .collect();
    folded.finish(input, visits, &opt_outs, upcoming)
}

/// Each started appointment's reminders at its current start (a reminder for the time it
/// had before a reschedule reminded the patient of the wrong time and does not count).
fn attach_reminders(started: &[&AppointmentFacts], input: &StatsInput<'_>) -> Vec<ReminderSummary> {
    let index: HashMap<AppointmentId, usize> =
        started.iter().enumerate().map(|(i, a)| (a.id, i)).collect();
    let mut out = vec![ReminderSummary::default(); started.len()];
    for row in input.reminders {
        let Some(key) = ReminderKey::parse(&row.key) else {
            continue;
        };
        for (id, start) in key.appointments() {
            if let Some(&i) = index.get(id)
                && started[i].start == *start
            {
                out[i].add(row.status);
            }
        }
    }
    out
}

fn decide(a: &AppointmentFacts, reminders: ReminderSummary, input: &StatsInput<'_>) -> Decided {
    let reach = Reach {
        has_mobile: input.mobiles.contains(&a.patient_id),
        consent: input
            .consent
            .get(&a.patient_id)
            .map_or(&[][..], Vec::as_slice),
    };
    Decided {
        outcome: definitions::outcome(a),
        reminded: reminders.reminded(),
        confirmed: a.confirmed_at.is_some_and(|t| t < a.start),
        eligible: definitions::eligible(a, &reminders, reach, &input.rules),
        reminders,
    }
}

/// Running totals while folding the visits.
#[derive(Default)]
struct Folded {
    totals: Tally,
    bars: HashMap<Dimension, HashMap<BucketKey, Tally>>,
    pairs: PairCounts,
    pairs_by: HashMap<(Dimension, BucketKey), PairCounts>,
}

impl Folded {
    fn add(&mut self, v: &Visit) {
        self.totals.add(&v.decided);
        self.pairs.add(&v.decided);
        for d in Dimension::ALL {
            let key = v.keys.key(d);
            self.bars
                .entry(d)
                .or_default()
                .entry(key)
                .or_default()
                .add(&v.decided);
            if matches!(d, Dimension::Clinician | Dimension::Type) {
                self.pairs_by.entry((d, key)).or_default().add(&v.decided);
            }
        }
    }

    fn finish(
        self,
        input: &StatsInput<'_>,
        visits: Vec<Visit>,
        opt_outs: &[NaiveDate],
        upcoming: u64,
    ) -> StatsReport {
        let mut breakdowns = Breakdowns::default();
        let empty = HashMap::new();
        for d in Dimension::ALL {
            let tallies = self.bars.get(&d).unwrap_or(&empty);
            *breakdowns.get_mut(d) = buckets(d, tallies, &input.period, input.names);
        }
        for bar in &mut breakdowns.week {
            if let BucketKey::Week(monday) = bar.key {
                bar.opt_outs =
                    Some(opt_outs.iter().filter(|d| week_of(**d) == monday).count() as u64);
            }
        }
        let group = |d: Dimension| -> Vec<GroupComparison> {
            breakdowns
                .get(d)
                .iter()
                .map(|bar| {
                    let pairs = self
                        .pairs_by
                        .get(&(d, bar.key))
                        .copied()
                        .unwrap_or_default();
                    GroupComparison {
                        key: bar.key,
                        label: bar.label.clone(),
                        reminded: pairs.compare(Factor::Reminded),
                        confirmed: pairs.compare(Factor::Confirmed),
                    }
                })
                .collect()
        };
        let comparisons = Comparisons {
            method: METHOD,
            caveat: CAVEAT,
            min_per_group: MIN_PER_GROUP,
            min_no_shows: MIN_NO_SHOWS,
            reminded: self.pairs.compare(Factor::Reminded),
            confirmed: self.pairs.compare(Factor::Confirmed),
            by_clinician: group(Dimension::Clinician),
            by_type: group(Dimension::Type),
        };
        StatsReport {
            period: input.period,
            time_zone: input.tz,
            computed_at: input.now,
            rates: self.totals.rates(),
            totals: self.totals,
            opt_outs: opt_outs.len() as u64,
            upcoming,
            comparisons,
            breakdowns,
            visits,
        }
    }
}
