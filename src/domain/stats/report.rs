//! The computation itself: decide every started appointment of the period once, then fold
//! the decisions into totals, bars and comparisons; keep them for the drill-down.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::breakdowns::{Bucket, BucketKey, Dimension, Keys, LeadTime, buckets};
use super::comparisons::{
    CAVEAT, Comparison, Factor, METHOD, MIN_NO_SHOWS, MIN_PER_GROUP, PairCounts,
};
use super::definitions::{self, Decided, Outcome, Rates, Reach, ReminderSummary, Tally};
use super::period::{Period, ZoneOffsets, week_of};
use super::{AppointmentFacts, ReminderCover, StatsInput};
use crate::domain::ids::{AppointmentId, AppointmentTypeId, ClinicianId};
use crate::domain::message::MessageStatus;

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
    // The store reads them in start order already; this is then one pass.
    started.sort_by_key(|a| (a.start, a.id));
    let summaries = attach_reminders(&started, input.reminders);
    let offsets = ZoneOffsets::new(input.tz, from, to);
    let mut folded = Folded::new(&input.period);
    let mut visits = Vec::with_capacity(started.len());
    for (a, r) in started.iter().zip(summaries) {
        let v = Visit {
            id: a.id,
            start: a.start,
            keys: Keys::new(a, offsets.local(a.start)),
            decided: decide(a, r, input),
        };
        folded.add(&v);
        visits.push(v);
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
/// A merge of the two lists sorted by appointment id: sequential, so it stays fast at a
/// few hundred thousand appointments.
fn attach_reminders(
    started: &[&AppointmentFacts],
    covers: &[ReminderCover],
) -> Vec<ReminderSummary> {
    // (id, start, index) and (id, start, status) by value: the sorts and the merge stay
    // in cache instead of chasing pointers.
    let mut by_id: Vec<(AppointmentId, DateTime<Utc>, usize)> = started
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id, a.start, i))
        .collect();
    by_id.sort_unstable_by_key(|x| x.0);
    let mut covers: Vec<(AppointmentId, DateTime<Utc>, MessageStatus)> = covers
        .iter()
        .map(|c| (c.appointment_id, c.start, c.status))
        .collect();
    covers.sort_unstable_by_key(|c| c.0);
    let mut out = vec![ReminderSummary::default(); started.len()];
    let mut j = 0;
    for (id, start, status) in covers {
        while j < by_id.len() && by_id[j].0 < id {
            j += 1;
        }
        match by_id.get(j) {
            Some(&(a, s, i)) if a == id && s == start => out[i].add(status),
            Some(_) => {}
            None => break,
        }
    }
    out
}

fn decide(a: &AppointmentFacts, reminders: ReminderSummary, input: &StatsInput<'_>) -> Decided {
    let outcome = definitions::outcome(a);
    // Eligibility is only looked up for appointments no reminder went to.
    let eligible = reminders.handed_over > 0 || {
        let reach = Reach {
            has_mobile: input.mobiles.contains(a.patient_id),
            consent: input.consent.get(a.patient_id),
        };
        definitions::eligible(a, &reminders, reach, &input.rules)
    };
    Decided {
        outcome,
        reminded: reminders.reminded(),
        confirmed: a.confirmed_at.is_some_and(|t| t < a.start),
        eligible,
        reminders,
    }
}

/// Counts per group (a tally for the bars, the comparison counts for clinicians and types).
#[derive(Clone, Copy, Default)]
struct Group {
    tally: Tally,
    pairs: PairCounts,
}

/// Groups by a small id (clinician, type): a practice has tens of them, numbered from 1, so
/// a table indexed by id; any id past 4,096 goes to an ordered map.
#[derive(Default)]
struct Groups {
    table: Vec<Option<Group>>,
    other: BTreeMap<i64, Group>,
}

impl Groups {
    fn entry(&mut self, id: i64) -> &mut Group {
        match usize::try_from(id).ok().filter(|&i| i < 4096) {
            Some(i) => {
                if self.table.len() <= i {
                    self.table.resize(i + 1, None);
                }
                self.table[i].get_or_insert_default()
            }
            None => self.other.entry(id).or_default(),
        }
    }

    fn get(&self, id: i64) -> Option<&Group> {
        match usize::try_from(id).ok().filter(|&i| i < 4096) {
            Some(i) => self.table.get(i).and_then(Option::as_ref),
            None => self.other.get(&id),
        }
    }

    fn iter(&self) -> impl Iterator<Item = (i64, &Group)> {
        (0i64..)
            .zip(&self.table)
            .filter_map(|(i, g)| g.as_ref().map(|g| (i, g)))
            .chain(self.other.iter().map(|(k, g)| (*k, g)))
    }
}

/// Running totals while folding the visits: fixed arrays for the fixed dimensions, small
/// maps for clinicians and types.
struct Folded {
    first_week: NaiveDate,
    totals: Tally,
    pairs: PairCounts,
    weekday: [Tally; 7],
    hour: [Tally; 24],
    lead: [Tally; 6],
    week: Vec<Tally>,
    clinician: Groups,
    type_: Groups,
}

impl Folded {
    fn new(period: &Period) -> Self {
        let first_week = week_of(period.from);
        let weeks = ((week_of(period.to) - first_week).num_days() / 7 + 1).max(1) as usize;
        Self {
            first_week,
            totals: Tally::default(),
            pairs: PairCounts::default(),
            weekday: [Tally::default(); 7],
            hour: [Tally::default(); 24],
            lead: [Tally::default(); 6],
            week: vec![Tally::default(); weeks],
            clinician: Groups::default(),
            type_: Groups::default(),
        }
    }

    fn add(&mut self, v: &Visit) {
        let d = &v.decided;
        let k = &v.keys;
        self.totals.add(d);
        self.pairs.add(d);
        self.weekday[k.weekday.num_days_from_monday() as usize].add(d);
        self.hour[usize::from(k.hour) % 24].add(d);
        self.lead[k.lead as usize].add(d);
        let w = ((k.week - self.first_week).num_days() / 7).max(0) as usize;
        if let Some(t) = self.week.get_mut(w) {
            t.add(d);
        }
        for g in [
            self.clinician.entry(k.clinician.0),
            self.type_.entry(k.type_id.0),
        ] {
            g.tally.add(d);
            g.pairs.add(d);
        }
    }

    /// The per-key tallies of one dimension (only keys with appointments).
    fn tallies(&self, d: Dimension) -> HashMap<BucketKey, Tally> {
        let used = |t: &&Tally| t.appointments > 0;
        match d {
            Dimension::Clinician => self
                .clinician
                .iter()
                .map(|(k, g)| (BucketKey::Clinician(ClinicianId(k)), g.tally))
                .collect(),
            Dimension::Type => self
                .type_
                .iter()
                .map(|(k, g)| (BucketKey::Type(AppointmentTypeId(k)), g.tally))
                .collect(),
            Dimension::Weekday => (0u8..)
                .zip(&self.weekday)
                .filter(|(_, t)| used(t))
                .map(|(i, t)| (BucketKey::Weekday(i), *t))
                .collect(),
            Dimension::Hour => (0u8..)
                .zip(&self.hour)
                .filter(|(_, t)| used(t))
                .map(|(i, t)| (BucketKey::Hour(i), *t))
                .collect(),
            Dimension::Lead => LeadTime::ALL
                .into_iter()
                .zip(&self.lead)
                .filter(|(_, t)| used(t))
                .map(|(l, t)| (BucketKey::Lead(l), *t))
                .collect(),
            Dimension::Week => (0i64..)
                .zip(&self.week)
                .filter(|(_, t)| used(t))
                .map(|(i, t)| (BucketKey::Week(self.first_week + Duration::weeks(i)), *t))
                .collect(),
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
        for d in Dimension::ALL {
            *breakdowns.get_mut(d) = buckets(d, &self.tallies(d), &input.period, input.names);
        }
        for bar in &mut breakdowns.week {
            if let BucketKey::Week(monday) = bar.key {
                bar.opt_outs =
                    Some(opt_outs.iter().filter(|d| week_of(**d) == monday).count() as u64);
            }
        }
        let group =
            |bars: &[Bucket], pairs_of: &dyn Fn(BucketKey) -> PairCounts| -> Vec<GroupComparison> {
                bars.iter()
                    .map(|bar| {
                        let pairs = pairs_of(bar.key);
                        GroupComparison {
                            key: bar.key,
                            label: bar.label.clone(),
                            reminded: pairs.compare(Factor::Reminded),
                            confirmed: pairs.compare(Factor::Confirmed),
                        }
                    })
                    .collect()
            };
        let by_clinician = group(&breakdowns.clinician, &|k| match k {
            BucketKey::Clinician(id) => self
                .clinician
                .get(id.0)
                .map(|g| g.pairs)
                .unwrap_or_default(),
            _ => PairCounts::default(),
        });
        let by_type = group(&breakdowns.type_, &|k| match k {
            BucketKey::Type(id) => self.type_.get(id.0).map(|g| g.pairs).unwrap_or_default(),
            _ => PairCounts::default(),
        });
        let comparisons = Comparisons {
            method: METHOD,
            caveat: CAVEAT,
            min_per_group: MIN_PER_GROUP,
            min_no_shows: MIN_NO_SHOWS,
            reminded: self.pairs.compare(Factor::Reminded),
            confirmed: self.pairs.compare(Factor::Confirmed),
            by_clinician,
            by_type,
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
