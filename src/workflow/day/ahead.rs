//! Days the console has loaded, kept for the next switch: the day before and the day after
//! the one shown are loaded ahead while the desk reads it, so moving one day along shows a
//! sheet that is already there. A clinic group's busy day (1,400 appointments, each patient's
//! consent, caps and reminder history) takes ~100 ms to load; a kept one is a copy.
//!
//! A kept day is shown only while it is still true: nothing committed to the database since
//! (SQLite's `data_version` for other connections; the worker forgets every day after a change
//! of its own) and loaded less than [`FRESH_FOR`] ago, because the reminder cells forecast from
//! "now" (a reminder becomes due, a visit passes). Pure bookkeeping: the worker loads and asks.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::domain::day::DaySheet;

/// How long a kept day's forecasts stay good enough to show.
pub const FRESH_FOR: Duration = Duration::seconds(60);

/// A kept day that went stale is loaded ahead again at most this often. Four desks and a
/// cron job commit every second or so at a clinic group, and each commit makes every kept day
/// stale: reloading both neighbours after each one kept every idle console busy (two loads of
/// ~100 ms a second each, on a host its desks share) for sheets the next commit made stale
/// again. A day never loaded, or forgotten after the worker's own change, loads at once.
pub const RELOAD_AFTER: Duration = Duration::seconds(15);

/// How many days are kept (the shown one, its neighbours, and a few visited).
const KEPT: usize = 7;

/// One kept day.
#[derive(Clone, Debug)]
struct Kept {
    date: NaiveDate,
    /// The database's change counter when it was loaded.
    version: i64,
    loaded_at: DateTime<Utc>,
    sheet: DaySheet,
}

/// The days kept, and the day whose neighbours are to be loaded ahead.
#[derive(Clone, Debug, Default)]
pub struct DaysAhead {
    kept: Vec<Kept>,
    /// The day last shown: its neighbours are loaded when the worker is idle.
    shown: Option<NaiveDate>,
}

impl DaysAhead {
    /// The kept sheet for `date`, if nothing changed since and it is fresh at `now`.
    pub fn get(&self, date: NaiveDate, version: i64, now: DateTime<Utc>) -> Option<&DaySheet> {
        self.kept
            .iter()
            .find(|k| k.date == date && fresh(k, version, now))
            .map(|k| &k.sheet)
    }

    /// Keep `sheet` for `date`, loaded at `now` when the database stood at `version`; the
    /// oldest kept day goes when more than [`KEPT`] are.
    pub fn keep(&mut self, date: NaiveDate, version: i64, now: DateTime<Utc>, sheet: DaySheet) {
        self.kept.retain(|k| k.date != date);
        self.kept.push(Kept {
            date,
            version,
            loaded_at: now,
            sheet,
        });
        if self.kept.len() > KEPT {
            self.kept.remove(0);
        }
    }

    /// The desk is looking at `date` now.
    pub fn shown(&mut self, date: NaiveDate) {
        self.shown = Some(date);
    }

    /// The next day to load ahead at `now` (the day after the one shown, then the day before),
    /// or `None` when both are kept and fresh, or were loaded under [`RELOAD_AFTER`] ago.
    pub fn next_ahead(&self, version: i64, now: DateTime<Utc>) -> Option<NaiveDate> {
        let shown = self.shown?;
        [shown.succ_opt(), shown.pred_opt()]
            .into_iter()
            .flatten()
            .find(|&d| self.due(d, version, now))
    }

    /// Whether `date` is to be loaded ahead at `now`.
    fn due(&self, date: NaiveDate, version: i64, now: DateTime<Utc>) -> bool {
        match self.kept.iter().find(|k| k.date == date) {
            None => true,
            Some(k) if fresh(k, version, now) => false,
            Some(k) => now < k.loaded_at || now - k.loaded_at >= RELOAD_AFTER,
        }
    }

    /// Stop loading ahead until the desk shows a day again (a load ahead failed).
    pub fn shown_none(&mut self) {
        self.shown = None;
    }

    /// Something changed that the worker itself wrote: no kept day can be trusted.
    pub fn forget(&mut self) {
        self.kept.clear();
    }
}

fn fresh(k: &Kept, version: i64, now: DateTime<Utc>) -> bool {
    k.version == version && now >= k.loaded_at && now - k.loaded_at < FRESH_FOR
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    fn sheet(d: u32) -> DaySheet {
        DaySheet {
            date: day(d),
            tz: chrono_tz::America::New_York,
            rows: Vec::new(),
        }
    }

    #[test]
    fn a_kept_day_is_shown_only_while_nothing_changed_and_it_is_fresh() {
        let mut days = DaysAhead::default();
        days.keep(day(1), 7, at(0), sheet(1));
        for (date, version, now, kept) in [
            (day(1), 7, at(0), true),
            (day(1), 7, at(59), true),
            (day(1), 7, at(60), false), // the forecasts are a minute old
            (day(1), 8, at(1), false),  // another desk or a cron run committed
            (day(2), 7, at(1), false),  // never loaded
            (day(1), 7, at(-1), false), // the clock went back: not trusted
        ] {
            assert_eq!(
                days.get(date, version, now).is_some(),
                kept,
                "{date} {version} {now}"
            );
        }
        days.forget();
        assert!(
            days.get(day(1), 7, at(0)).is_none(),
            "a change of the worker's own"
        );
    }

    #[test]
    fn the_neighbours_of_the_shown_day_are_loaded_ahead_after_first() {
        let mut days = DaysAhead::default();
        assert_eq!(days.next_ahead(1, at(0)), None, "nothing shown yet");
        days.shown(day(10));
        assert_eq!(days.next_ahead(1, at(0)), Some(day(11)));
        days.keep(day(11), 1, at(0), sheet(11));
        assert_eq!(days.next_ahead(1, at(0)), Some(day(9)));
        days.keep(day(9), 1, at(0), sheet(9));
        assert_eq!(days.next_ahead(1, at(0)), None);
        assert_eq!(
            days.next_ahead(2, at(15)),
            Some(day(11)),
            "stale after a change"
        );
    }

    #[test]
    fn a_day_made_stale_by_others_is_loaded_again_at_most_every_fifteen_seconds() {
        let mut days = DaysAhead::default();
        days.shown(day(10));
        days.keep(day(11), 1, at(0), sheet(11));
        days.keep(day(9), 1, at(0), sheet(9));
        // Another desk commits every second: not reloaded each time.
        for s in 1..15 {
            assert_eq!(days.next_ahead(1 + s, at(s)), None, "{s} s after loading");
        }
        assert_eq!(days.next_ahead(16, at(15)), Some(day(11)));
        // Stale days are never shown meanwhile: the switch loads the day itself.
        assert!(days.get(day(11), 16, at(15)).is_none());
        // A day not kept is loaded at once, whenever.
        days.shown(day(20));
        assert_eq!(days.next_ahead(16, at(16)), Some(day(21)));
        // The worker's own change forgets every day: loaded again at once.
        days.shown(day(10));
        days.forget();
        assert_eq!(days.next_ahead(16, at(16)), Some(day(11)));
        // The clock went back: the kept copy is not trusted, and is loaded again.
        days.keep(day(11), 16, at(16), sheet(11));
        days.keep(day(9), 16, at(16), sheet(9));
        assert_eq!(days.next_ahead(16, at(10)), Some(day(11)));
    }

    #[test]
    fn only_the_latest_days_are_kept() {
        let mut days = DaysAhead::default();
        for d in 1..=10 {
            days.keep(day(d), 1, at(0), sheet(d));
        }
        assert!(days.get(day(3), 1, at(0)).is_none());
        assert!(days.get(day(4), 1, at(0)).is_some());
        days.keep(day(4), 1, at(1), sheet(4));
        assert_eq!(
            days.kept.last().map(|k| k.date),
            Some(day(4)),
            "kept again as newest"
        );
        assert_eq!(days.kept.len(), KEPT);
    }
}
