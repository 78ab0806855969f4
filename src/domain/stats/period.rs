//! The period a statistic covers: whole local days in the practice's zone, from and to
//! inclusive, and the presets the statistics screen offers.
//!
//! Pure: dates and zones only; "today" is passed in.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Local calendar days `from..=to` in the practice's zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Why a period cannot be used; the text is shown as is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("the period starts ({from}) after it ends ({to})")]
    Reversed { from: NaiveDate, to: NaiveDate },
    #[error("{0:?} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-02")]
    NotADate(String),
}

/// The periods the statistics screen offers besides a custom one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// Monday of this week to today.
    ThisWeek,
    /// The 28 days ending today (the command's default).
    Last4Weeks,
    /// The 84 days ending today.
    Last12Weeks,
    /// 1 January to today.
    ThisYear,
}

impl Preset {
    pub const ALL: [Self; 4] = [
        Self::ThisWeek,
        Self::Last4Weeks,
        Self::Last12Weeks,
        Self::ThisYear,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::ThisWeek => "this week",
            Self::Last4Weeks => "last 4 weeks",
            Self::Last12Weeks => "last 12 weeks",
            Self::ThisYear => "this year",
        }
    }
}

impl Period {
    /// A period from two dates, refused when reversed.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, PeriodError> {
        if from > to {
            return Err(PeriodError::Reversed { from, to });
        }
        Ok(Self { from, to })
    }

    /// A preset period ending `today` (the practice's local date).
    pub fn preset(preset: Preset, today: NaiveDate) -> Self {
        let from = match preset {
            Preset::ThisWeek => {
                today - Duration::days(i64::from(today.weekday().num_days_from_monday()))
            }
            Preset::Last4Weeks => today - Duration::days(27),
            Preset::Last12Weeks => today - Duration::days(83),
            Preset::ThisYear => NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
        };
        Self { from, to: today }
    }

    /// From optional `--from`/`--to` texts: a missing end is today, a missing start is 27
    /// days before the end (four weeks ending on it).
    pub fn from_args(
        from: Option<&str>,
        to: Option<&str>,
        today: NaiveDate,
    ) -> Result<Self, PeriodError> {
        let to = to.map(parse_date).transpose()?.unwrap_or(today);
        let from = from
            .map(parse_date)
            .transpose()?
            .unwrap_or(to - Duration::days(27));
        Self::new(from, to)
    }

    /// Number of days covered.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The UTC instants `[start, end)` of the period in `tz`. A day is 23 or 25 hours long
    /// when the clocks change; the bounds are local midnights all the same.
    pub fn bounds(&self, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        let end = self.to.succ_opt().unwrap_or(self.to);
        (local_midnight(self.from, tz), local_midnight(end, tz))
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        (self.from..=self.to).contains(&date)
    }
}

/// Parse a YYYY-MM-DD date.
pub fn parse_date(text: &str) -> Result<NaiveDate, PeriodError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| PeriodError::NotADate(text.to_string()))
}

/// The first instant of a local day. A zone that skips midnight (some do, for DST) starts
/// the day at the first local time that exists.
pub fn local_midnight(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut t = date.and_time(NaiveTime::MIN);
    for _ in 0..4 {
        if let Some(x) = tz.from_local_datetime(&t).earliest() {
            return x.with_timezone(&Utc);
        }
        t += Duration::minutes(30);
    }
    Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN))
}

/// The practice zone's UTC offset over a span of time, as the few segments between clock
/// changes: reading a local time is then one comparison or two instead of a search of the
/// zone's whole history (the statistics read one per appointment).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneOffsets {
    /// (first UTC second, offset in seconds), in time order; the first covers all before.
    segments: Vec<(i64, i32)>,
}

impl ZoneOffsets {
    /// Offsets of `tz` from `from` to `to`, found day by day and then to the second.
    pub fn new(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        let offset = |t: i64| -> i32 {
            DateTime::from_timestamp(t, 0)
                .map(|t| t.with_timezone(&tz).offset().fix().local_minus_utc())
                .unwrap_or(0)
        };
        let (from, to) = (from.timestamp(), to.timestamp().max(from.timestamp()));
        let mut segments = vec![(i64::MIN, offset(from))];
        let mut day = from;
        while day < to {
            let next = (day + 86_400).min(to);
            let (a, b) = (offset(day), offset(next));
            if a != b {
                // The change is in (day, next]: find its first second.
                let (mut lo, mut hi) = (day, next);
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    if offset(mid) == a { lo = mid } else { hi = mid }
                }
                segments.push((hi, b));
            }
            day = next;
        }
        Self { segments }
    }

    /// `t` as local wall-clock time.
    pub fn local(&self, t: DateTime<Utc>) -> chrono::NaiveDateTime {
        let secs = t.timestamp();
        let offset = self
            .segments
            .iter()
            .rev()
            .find(|(start, _)| *start <= secs)
            .map_or(0, |(_, o)| *o);
        t.naive_utc() + Duration::seconds(i64::from(offset))
    }
}

/// The Monday of the local week containing `date` (weeks run Monday to Sunday, ISO 8601).
pub fn week_of(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const NY: Tz = chrono_tz::America::New_York;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[rstest]
    #[case(Preset::ThisWeek, "2026-11-25", "2026-11-23")] // a Wednesday
    #[case(Preset::ThisWeek, "2026-11-23", "2026-11-23")] // a Monday
    #[case(Preset::ThisWeek, "2026-11-29", "2026-11-23")] // a Sunday
    #[case(Preset::Last4Weeks, "2026-11-25", "2026-10-29")]
    #[case(Preset::Last12Weeks, "2026-11-25", "2026-09-03")]
    #[case(Preset::ThisYear, "2026-11-25", "2026-01-01")]
    #[case(Preset::ThisYear, "2026-01-01", "2026-01-01")]
    fn presets_end_today(#[case] p: Preset, #[case] today: &str, #[case] from: &str) {
        let period = Period::preset(p, d(today));
        assert_eq!((period.from, period.to), (d(from), d(today)));
    }

    #[test]
    fn four_weeks_are_28_days_and_twelve_are_84() {
        assert_eq!(
            Period::preset(Preset::Last4Weeks, d("2026-11-25")).days(),
            28
        );
        assert_eq!(
            Period::preset(Preset::Last12Weeks, d("2026-11-25")).days(),
            84
        );
    }

    #[test]
    fn arguments_default_to_four_weeks_ending_today_or_on_to() {
        let today = d("2026-11-25");
        assert_eq!(
            Period::from_args(None, None, today).unwrap(),
            Period::new(d("2026-10-29"), today).unwrap()
        );
        assert_eq!(
            Period::from_args(None, Some("2026-06-30"), today).unwrap(),
            Period::new(d("2026-06-03"), d("2026-06-30")).unwrap()
        );
        assert_eq!(
            Period::from_args(Some("2026-11-01"), None, today)
                .unwrap()
                .from,
            d("2026-11-01")
        );
    }

    #[rstest]
    #[case(Some("2026-13-01"), None)]
    #[case(Some("yesterday"), None)]
    #[case(None, Some("25/11/2026"))]
    #[case(Some(""), None)]
    fn bad_dates_say_how_to_write_them(#[case] from: Option<&str>, #[case] to: Option<&str>) {
        let err = Period::from_args(from, to, d("2026-11-25")).unwrap_err();
        assert!(err.to_string().contains("YYYY-MM-DD"), "{err}");
    }

    #[test]
    fn reversed_period_is_refused() {
        let err =
            Period::from_args(Some("2026-11-30"), Some("2026-11-01"), d("2026-11-25")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the period starts (2026-11-30) after it ends (2026-11-01)"
        );
        // One day is fine.
        assert_eq!(
            Period::new(d("2026-11-01"), d("2026-11-01"))
                .unwrap()
                .days(),
            1
        );
    }

    #[test]
    fn bounds_are_local_midnights_across_both_clock_changes() {
        // 2026-03-08 is 23 hours long in New York, 2026-11-01 is 25.
        let spring = Period::new(d("2026-03-08"), d("2026-03-08")).unwrap();
        let (a, b) = spring.bounds(NY);
        assert_eq!(a.to_rfc3339(), "2026-03-08T05:00:00+00:00");
        assert_eq!((b - a).num_hours(), 23);
        let fall = Period::new(d("2026-11-01"), d("2026-11-01")).unwrap();
        let (a, b) = fall.bounds(NY);
        assert_eq!(a.to_rfc3339(), "2026-11-01T04:00:00+00:00");
        assert_eq!((b - a).num_hours(), 25);
    }

    #[test]
    fn a_zone_that_skips_midnight_starts_the_day_at_one() {
        // Santiago moved its clocks from 00:00 to 01:00 on 2022-09-11.
        let tz: Tz = chrono_tz::America::Santiago;
        let start = local_midnight(d("2022-09-11"), tz);
        assert_eq!(
            start.with_timezone(&tz).format("%H:%M").to_string(),
            "01:00"
        );
    }

    #[test]
    fn zone_offsets_read_local_time_as_chrono_tz_does_all_year() {
        let (from, to) = (
            Utc.with_ymd_and_hms(2025, 12, 25, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2027, 1, 5, 0, 0, 0).unwrap(),
        );
        for tz in [
            NY,
            chrono_tz::Europe::London,
            chrono_tz::Australia::Lord_Howe,
            chrono_tz::UTC,
        ] {
            let offsets = ZoneOffsets::new(tz, from, to);
            let mut t = from;
            while t < to {
                assert_eq!(
                    offsets.local(t),
                    t.with_timezone(&tz).naive_local(),
                    "{tz} {t}"
                );
                t += Duration::minutes(7);
            }
        }
    }

    #[test]
    fn weeks_start_on_monday() {
        assert_eq!(week_of(d("2026-11-29")), d("2026-11-23"));
        assert_eq!(week_of(d("2026-11-23")), d("2026-11-23"));
        assert_eq!(week_of(d("2027-01-01")), d("2026-12-28"));
    }
}
