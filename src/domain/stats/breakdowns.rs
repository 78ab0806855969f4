//! Breakdowns: which bar of which chart an appointment falls in — clinician, type, weekday,
//! hour of day, booking lead time and week — all in the practice's local time (an 08:00
//! appointment is in the 08:00 bar in summer and in winter; a Monday 00:00 start is Monday).

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike, Utc, Weekday};
use serde::{Deserialize, Serialize};

use super::AppointmentFacts;
use super::definitions::{Rates, Tally};
use super::period::{Period, week_of};
use crate::domain::ids::{AppointmentTypeId, ClinicianId};

/// What a breakdown is by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Clinician,
    Type,
    Weekday,
    Hour,
    /// Booking lead time: from booking to start.
    Lead,
    /// The weekly trend.
    Week,
}

impl Dimension {
    pub const ALL: [Self; 6] = [
        Self::Clinician,
        Self::Type,
        Self::Weekday,
        Self::Hour,
        Self::Lead,
        Self::Week,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Clinician => "clinician",
            Self::Type => "type",
            Self::Weekday => "weekday",
            Self::Hour => "hour",
            Self::Lead => "lead",
            Self::Week => "week",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// Heading for a table or chart.
    pub fn title(self) -> &'static str {
        match self {
            Self::Clinician => "by clinician",
            Self::Type => "by appointment type",
            Self::Weekday => "by weekday",
            Self::Hour => "by hour of day",
            Self::Lead => "by booking lead time",
            Self::Week => "weekly trend",
        }
    }
}

/// How long before the start an appointment was booked, in whole days elapsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadTime {
    /// Under 24 hours (same-day and next-morning bookings; a walk-in recorded late too).
    UnderOneDay,
    OneToTwoDays,
    ThreeToSevenDays,
    EightToFourteenDays,
    FifteenToThirtyDays,
    OverThirtyDays,
}

impl LeadTime {
    pub const ALL: [Self; 6] = [
        Self::UnderOneDay,
        Self::OneToTwoDays,
        Self::ThreeToSevenDays,
        Self::EightToFourteenDays,
        Self::FifteenToThirtyDays,
        Self::OverThirtyDays,
    ];

    /// Bucket of a booking made `booked_at` for `start`.
    pub fn of(booked_at: DateTime<Utc>, start: DateTime<Utc>) -> Self {
        match (start - booked_at).num_days() {
            ..=0 => Self::UnderOneDay,
            1..=2 => Self::OneToTwoDays,
            3..=7 => Self::ThreeToSevenDays,
            8..=14 => Self::EightToFourteenDays,
            15..=30 => Self::FifteenToThirtyDays,
            _ => Self::OverThirtyDays,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::UnderOneDay => "< 1 day",
            Self::OneToTwoDays => "1-2 days",
            Self::ThreeToSevenDays => "3-7 days",
            Self::EightToFourteenDays => "8-14 days",
            Self::FifteenToThirtyDays => "15-30 days",
            Self::OverThirtyDays => "> 30 days",
        }
    }
}

/// One bar's identity within its dimension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BucketKey {
    Clinician(ClinicianId),
    Type(AppointmentTypeId),
    /// Monday = 0 … Sunday = 6.
    Weekday(u8),
    /// Local hour 0–23.
    Hour(u8),
    Lead(LeadTime),
    /// The Monday the local week starts on.
    Week(NaiveDate),
}

/// Where one appointment falls in every dimension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keys {
    pub clinician: ClinicianId,
    pub type_id: AppointmentTypeId,
    pub weekday: Weekday,
    pub hour: u8,
    pub lead: LeadTime,
    pub week: NaiveDate,
}

impl Keys {
    /// Where `a` falls, its start read as `local` wall-clock time.
    pub fn new(a: &AppointmentFacts, local: NaiveDateTime) -> Self {
        Self {
            clinician: a.clinician_id,
            type_id: a.type_id,
            weekday: local.weekday(),
            hour: local.hour() as u8,
            lead: LeadTime::of(a.booked_at, a.start),
            week: week_of(local.date()),
        }
    }

    pub fn key(&self, d: Dimension) -> BucketKey {
        match d {
            Dimension::Clinician => BucketKey::Clinician(self.clinician),
            Dimension::Type => BucketKey::Type(self.type_id),
            Dimension::Weekday => BucketKey::Weekday(self.weekday.num_days_from_monday() as u8),
            Dimension::Hour => BucketKey::Hour(self.hour),
            Dimension::Lead => BucketKey::Lead(self.lead),
            Dimension::Week => BucketKey::Week(self.week),
        }
    }
}

/// One bar: its key, its label, its counts and rates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub key: BucketKey,
    pub label: String,
    #[serde(flatten)]
    pub tally: Tally,
    #[serde(flatten)]
    pub rates: Rates,
    /// Opt-outs recorded in the week (weekly trend only: opt-outs belong to no appointment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opt_outs: Option<u64>,
}

/// The names behind clinician and type ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Names {
    pub clinicians: HashMap<ClinicianId, String>,
    pub types: HashMap<AppointmentTypeId, String>,
}

impl Names {
    pub fn label(&self, key: BucketKey) -> String {
        match key {
            BucketKey::Clinician(id) => self
                .clinicians
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("clinician {id}")),
            BucketKey::Type(id) => self
                .types
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("type {id}")),
            BucketKey::Weekday(d) => WEEKDAYS
                .get(usize::from(d))
                .copied()
                .unwrap_or("?")
                .to_string(),
            BucketKey::Hour(h) => format!("{h:02}:00"),
            BucketKey::Lead(l) => l.label().to_string(),
            BucketKey::Week(monday) => format!("week of {monday}"),
        }
    }
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// The keys a dimension shows even when empty, in display order: every weekday, every lead
/// time, every week of the period, and the hours from the first to the last one used.
pub fn fixed_keys(d: Dimension, period: &Period, used: &[BucketKey]) -> Vec<BucketKey> {
    match d {
        Dimension::Weekday => (0..7).map(BucketKey::Weekday).collect(),
        Dimension::Lead => LeadTime::ALL.into_iter().map(BucketKey::Lead).collect(),
        Dimension::Week => {
            let mut out = Vec::new();
            let mut w = week_of(period.from);
            while w <= period.to {
                out.push(BucketKey::Week(w));
                w += Duration::days(7);
            }
            out
        }
        Dimension::Hour => {
            let hours = used.iter().filter_map(|k| match k {
                BucketKey::Hour(h) => Some(*h),
                _ => None,
            });
            let (lo, hi) = hours.fold((u8::MAX, 0), |(lo, hi), h| (lo.min(h), hi.max(h)));
            (lo..=hi).map(BucketKey::Hour).collect()
        }
        Dimension::Clinician | Dimension::Type => Vec::new(),
    }
}

/// Turn per-key tallies into bars in display order (names sort clinicians and types).
pub fn buckets(
    d: Dimension,
    tallies: &HashMap<BucketKey, Tally>,
    period: &Period,
    names: &Names,
) -> Vec<Bucket> {
    let used: Vec<BucketKey> = tallies.keys().copied().collect();
    let mut keys = fixed_keys(d, period, &used);
    for k in &used {
        if !keys.contains(k) {
            keys.push(*k);
        }
    }
    let mut out: Vec<Bucket> = keys
        .into_iter()
        .map(|key| {
            let tally = tallies.get(&key).copied().unwrap_or_default();
            Bucket {
                key,
                label: names.label(key),
                rates: tally.rates(),
                tally,
                opt_outs: None,
            }
        })
        .collect();
    if matches!(d, Dimension::Clinician | Dimension::Type) {
        out.sort_by(|a, b| a.label.cmp(&b.label));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Tz;
    use rstest::rstest;

    const NY: Tz = chrono_tz::America::New_York;

    fn local(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        NY.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .earliest()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn keys(start: DateTime<Utc>) -> Keys {
        let a = AppointmentFacts {
            id: crate::domain::ids::AppointmentId(1),
            patient_id: crate::domain::ids::PatientId(1),
            clinician_id: ClinicianId(1),
            type_id: AppointmentTypeId(1),
            start,
            status: crate::domain::appointment::AppointmentStatus::Completed,
            booked_at: start,
            cancelled_at: None,
            confirmed_at: None,
        };
        Keys::new(&a, start.with_timezone(&NY).naive_local())
    }

    #[rstest]
    #[case(0, LeadTime::UnderOneDay)]
    #[case(23, LeadTime::UnderOneDay)]
    #[case(24, LeadTime::OneToTwoDays)]
    #[case(71, LeadTime::OneToTwoDays)]
    #[case(72, LeadTime::ThreeToSevenDays)]
    #[case(8 * 24 - 1, LeadTime::ThreeToSevenDays)]
    #[case(8 * 24, LeadTime::EightToFourteenDays)]
    #[case(15 * 24, LeadTime::FifteenToThirtyDays)]
    #[case(31 * 24 - 1, LeadTime::FifteenToThirtyDays)]
    #[case(31 * 24, LeadTime::OverThirtyDays)]
    #[case(-5, LeadTime::UnderOneDay)] // recorded after it started
    fn lead_time_buckets(#[case] hours: i64, #[case] want: LeadTime) {
        let start = local(2026, 11, 25, 9, 0);
        assert_eq!(LeadTime::of(start - Duration::hours(hours), start), want);
    }

    #[test]
    fn midnight_belongs_to_the_day_it_starts() {
        let k = keys(local(2026, 11, 23, 0, 0)); // Monday 00:00
        assert_eq!((k.weekday, k.hour), (Weekday::Mon, 0));
        assert_eq!(k.week, NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        let k = keys(local(2026, 11, 22, 23, 59)); // Sunday 23:59, the week before
        assert_eq!((k.weekday, k.hour), (Weekday::Sun, 23));
        assert_eq!(k.week, NaiveDate::from_ymd_opt(2026, 11, 16).unwrap());
    }

    #[test]
    fn hours_are_local_on_both_sides_of_each_clock_change() {
        // Spring forward 2026-03-08 02:00 → 03:00; fall back 2026-11-01 02:00 → 01:00.
        assert_eq!(keys(local(2026, 3, 7, 8, 0)).hour, 8);
        assert_eq!(keys(local(2026, 3, 9, 8, 0)).hour, 8);
        assert_eq!(keys(local(2026, 3, 8, 3, 30)).hour, 3);
        assert_eq!(keys(local(2026, 3, 8, 1, 30)).hour, 1);
        let first = NY
            .with_ymd_and_hms(2026, 11, 1, 1, 30, 0)
            .earliest()
            .unwrap();
        let second = NY.with_ymd_and_hms(2026, 11, 1, 1, 30, 0).latest().unwrap();
        assert_eq!(
            (second - first).num_hours(),
            1,
            "the 01:30 that happens twice"
        );
        for t in [first, second] {
            let k = keys(t.with_timezone(&Utc));
            assert_eq!((k.weekday, k.hour), (Weekday::Sun, 1));
        }
    }

    #[test]
    fn every_week_of_the_period_is_shown_and_hours_span_the_used_range() {
        let p = Period::new(
            NaiveDate::from_ymd_opt(2026, 11, 4).unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        )
        .unwrap();
        let weeks = fixed_keys(Dimension::Week, &p, &[]);
        assert_eq!(weeks.len(), 4);
        assert_eq!(
            weeks[0],
            BucketKey::Week(NaiveDate::from_ymd_opt(2026, 11, 2).unwrap())
        );
        let hours = fixed_keys(
            Dimension::Hour,
            &p,
            &[BucketKey::Hour(9), BucketKey::Hour(7)],
        );
        assert_eq!(hours, (7..=9).map(BucketKey::Hour).collect::<Vec<_>>());
        assert!(fixed_keys(Dimension::Hour, &p, &[]).is_empty());
    }

    #[test]
    fn dimensions_round_trip_their_names() {
        for d in Dimension::ALL {
            assert_eq!(Dimension::parse(d.as_str()), Some(d));
        }
        assert_eq!(Dimension::parse("month"), None);
    }
}
