//! Days the console has loaded, kept for the next switch: the day before and the day after
//! the one shown are loaded ahead while the desk reads it, so moving one day along shows a
//! sheet that is already there. A clinic group's busy day (1,400 appointments, each patient's
//! consent, caps and reminder history) takes ~100 ms to load; a kept one is a copy.
//!
//! A kept day is shown only while it is still true and loaded less than [`FRESH_FOR`] ago
//! (the reminder cells forecast from "now": a reminder becomes due, a visit passes). "Still
//! true" is decided from the change log (migration 17): when SQLite's `data_version` moved
//! (another connection committed) or the worker wrote something itself, the log's rows since
//! the day's load are read, and the day goes stale if one names one of its patients or
//! appointments, falls within its hours, or names nothing (everything). Four desks and a cron
//! job commit about once a second at a clinic group; most commits concern a few patients, so
//! most kept days survive them. If in doubt the day is stale: the log went back (another file)
//! or lost rows since the load (pruned), or could not be read. Pure bookkeeping: the worker
//! loads, reads the log and asks.

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::domain::day::DaySheet;
use crate::domain::ids::{AppointmentId, PatientId};
use crate::store::changes::{Change, Log};
use crate::store::day::day_bounds;

/// How long a kept day's forecasts stay good enough to show.
pub const FRESH_FOR: Duration = Duration::seconds(60);

/// A kept day that went stale is loaded ahead again at most this often. Each commit touching
/// a kept day makes it stale; a busy day (1,400 patients) is touched often at a group, and
/// reloading it after each one kept every idle console busy (loads of ~100 ms, on a host its
/// desks share) for sheets the next such commit made stale again. A day never loaded, or
/// forgotten, loads at once.
pub const RELOAD_AFTER: Duration = Duration::seconds(15);

/// How many days are kept (the shown one, its neighbours, and a few visited).
const KEPT: usize = 7;

/// When a day was loaded: the database's change counter read before, the change log's head
/// read in the load's own transaction, and the clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub version: i64,
    pub mark: i64,
    pub at: DateTime<Utc>,
}

/// One kept day.
#[derive(Clone, Debug)]
struct Kept {
    /// The change counter this day is known true at (`None`: to be checked against the log).
    version: Option<i64>,
    /// The log's head this day is known true at.
    mark: i64,
    /// A logged change concerned it: never shown; loaded ahead again after [`RELOAD_AFTER`].
    stale: bool,
    loaded_at: DateTime<Utc>,
    sheet: DaySheet,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    patients: HashSet<PatientId>,
    appointments: HashSet<AppointmentId>,
}

impl Kept {
    fn new(sheet: DaySheet, stamp: Stamp) -> Self {
        let (from, to) = day_bounds(sheet.date, sheet.tz);
        Kept {
            version: Some(stamp.version),
            mark: stamp.mark,
            stale: false,
            loaded_at: stamp.at,
            from,
            to,
            patients: sheet.rows.iter().map(|r| r.patient_id).collect(),
            appointments: sheet.rows.iter().map(|r| r.appointment_id).collect(),
            sheet,
        }
    }

    /// Whether a logged change may alter what this day shows. Conservative: a change naming
    /// nothing concerns every day.
    fn concerned_by(&self, c: &Change) -> bool {
        c.everything()
            || c.patient.is_some_and(|p| self.patients.contains(&p))
            || c.appointment
                .is_some_and(|a| self.appointments.contains(&a))
            || c.start.is_some_and(|t| self.from <= t && t < self.to)
    }

    /// Whether the log since this day's mark says it is still true.
    fn survives(&self, log: &Log) -> bool {
        // The log went back (another file in its place) or lost rows since (pruned).
        if log.head < self.mark || log.first.is_some_and(|f| f > self.mark + 1) {
            return false;
        }
        !log.changes
            .iter()
            .any(|c| c.seq > self.mark && self.concerned_by(c))
    }
}

/// The days kept, and the day whose neighbours are to be loaded ahead.
#[derive(Clone, Debug, Default)]
pub struct DaysAhead {
    kept: Vec<Kept>,
    /// The day last shown: its neighbours are loaded when the worker is idle.
    shown: Option<NaiveDate>,
}

impl DaysAhead {
    /// The kept sheet for `date`, if it is known true at `version` and fresh at `now`. Ask
    /// after [`DaysAhead::check`]ing the log at `version`.
    pub fn get(&self, date: NaiveDate, version: i64, now: DateTime<Utc>) -> Option<&DaySheet> {
        self.kept
            .iter()
            .find(|k| k.sheet.date == date && fresh(k, version, now))
            .map(|k| &k.sheet)
    }

    /// Keep `sheet`, loaded as `stamp` says; the oldest kept day goes when more than [`KEPT`]
    /// are.
    pub fn keep(&mut self, sheet: DaySheet, stamp: Stamp) {
        self.kept.retain(|k| k.sheet.date != sheet.date);
        self.kept.push(Kept::new(sheet, stamp));
        if self.kept.len() > KEPT {
            self.kept.remove(0);
        }
    }

    /// The mark to read the log from before a day can be shown at `version`: the oldest of
    /// the kept days not yet known true at it. `None`: nothing to check.
    pub fn to_check(&self, version: i64) -> Option<i64> {
        self.kept
            .iter()
            .filter(|k| !k.stale && k.version != Some(version))
            .map(|k| k.mark)
            .min()
    }

    /// The log read from [`DaysAhead::to_check`]'s mark, at `version` (read before the log):
    /// a kept day it concerns goes stale, every other is known true up to its head.
    pub fn check(&mut self, version: i64, log: &Log) {
        for k in self
            .kept
            .iter_mut()
            .filter(|k| !k.stale && k.version != Some(version))
        {
            if k.survives(log) {
                k.version = Some(version);
                k.mark = log.head;
            } else {
                k.stale = true;
            }
        }
    }

    /// The worker wrote something itself (its own commits do not move its `data_version`):
    /// every kept day is checked against the log before it is shown again.
    pub fn unchecked(&mut self) {
        for k in &mut self.kept {
            k.version = None;
        }
    }

    /// The desk is looking at `date` now.
    pub fn shown(&mut self, date: NaiveDate) {
        self.shown = Some(date);
    }

    /// The next day to load ahead at `now` (the day after the one shown, then the day before),
    /// or `None` when both are kept and fresh, or went stale under [`RELOAD_AFTER`] ago.
    pub fn next_ahead(&self, version: i64, now: DateTime<Utc>) -> Option<NaiveDate> {
        let shown = self.shown?;
        [shown.succ_opt(), shown.pred_opt()]
            .into_iter()
            .flatten()
            .find(|&d| self.due(d, version, now))
    }

    /// Whether `date` is to be loaded ahead at `now`.
    fn due(&self, date: NaiveDate, version: i64, now: DateTime<Utc>) -> bool {
        match self.kept.iter().find(|k| k.sheet.date == date) {
            None => true,
            Some(k) if fresh(k, version, now) => false,
            Some(k) => now < k.loaded_at || now - k.loaded_at >= RELOAD_AFTER,
        }
    }

    /// Stop loading ahead until the desk shows a day again (a load ahead failed).
    pub fn shown_none(&mut self) {
        self.shown = None;
    }

    /// The log could not be read: no kept day can be trusted.
    pub fn forget(&mut self) {
        self.kept.clear();
    }
}

fn fresh(k: &Kept, version: i64, now: DateTime<Utc>) -> bool {
    !k.stale && k.version == Some(version) && now >= k.loaded_at && now - k.loaded_at < FRESH_FOR
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::appointment::AppointmentStatus;
    use crate::domain::consent::ConsentFlag;
    use crate::domain::day::DayRow;
    use chrono::TimeZone;

    const TZ: chrono_tz::Tz = chrono_tz::America::New_York;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    /// 10:00 local on `d`.
    fn ten(d: u32) -> DateTime<Utc> {
        TZ.with_ymd_and_hms(2026, 12, d, 10, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn row(appointment: i64, patient: i64, d: u32) -> DayRow {
        DayRow {
            appointment_id: AppointmentId(appointment),
            patient_id: PatientId(patient),
            start: ten(d),
            duration_minutes: 15,
            patient_name: "Ngata, Aroha".into(),
            clinician: "Dr Okafor".into(),
            type_label: "Check-up".into(),
            status: AppointmentStatus::Booked,
            reminders: Vec::new(),
            last_reply: None,
            consent: ConsentFlag::None,
            portal: false,
            has_mobile: true,
            number_flagged: false,
            callback_requested: false,
            rebook: false,
        }
    }

    /// Day `d` with visit `100 + d` of patient `d`.
    fn sheet(d: u32) -> DaySheet {
        DaySheet {
            date: day(d),
            tz: TZ,
            rows: vec![row(100 + i64::from(d), i64::from(d), d)],
            cells_pending: false,
        }
    }

    fn stamp(version: i64, mark: i64, s: i64) -> Stamp {
        Stamp {
            version,
            mark,
            at: at(s),
        }
    }

    fn change(seq: i64) -> Change {
        Change {
            seq,
            patient: None,
            appointment: None,
            start: None,
        }
    }

    fn log(first: i64, changes: Vec<Change>) -> Log {
        Log {
            first: Some(first),
            head: changes.iter().map(|c| c.seq).max().unwrap_or(first),
            changes,
        }
    }

    #[test]
    fn a_kept_day_is_shown_only_while_known_true_and_fresh() {
        let mut days = DaysAhead::default();
        days.keep(sheet(1), stamp(7, 0, 0));
        for (date, version, now, kept) in [
            (day(1), 7, at(0), true),
            (day(1), 7, at(59), true),
            (day(1), 7, at(60), false), // the forecasts are a minute old
            (day(1), 8, at(1), false),  // committed elsewhere, not checked yet
            (day(2), 7, at(1), false),  // never loaded
            (day(1), 7, at(-1), false), // the clock went back: not trusted
        ] {
            assert_eq!(
                days.get(date, version, now).is_some(),
                kept,
                "{date} {version} {now}"
            );
        }
        days.unchecked();
        assert!(days.get(day(1), 7, at(0)).is_none(), "an own write");
        assert_eq!(days.to_check(7), Some(0));
        days.check(7, &log(1, Vec::new()));
        assert!(days.get(day(1), 7, at(0)).is_some(), "checked: nothing");
        days.forget();
        assert!(days.get(day(1), 7, at(0)).is_none(), "the log unreadable");
    }

    /// Each kind of logged change against day 5 (visit 105 of patient 5, 10:00 local): whom
    /// it names decides, and a change naming nothing concerns every day.
    #[test]
    fn a_kept_day_survives_the_changes_that_do_not_concern_it() {
        let d5_start = ten(5);
        let (d5_from, d5_to) = day_bounds(day(5), TZ);
        let cases: [(&str, Change, bool); 11] = [
            (
                "another patient's text",
                Change {
                    patient: Some(PatientId(6)),
                    ..change(11)
                },
                true,
            ),
            (
                "its patient's text",
                Change {
                    patient: Some(PatientId(5)),
                    ..change(11)
                },
                false,
            ),
            (
                "its visit by id",
                Change {
                    appointment: Some(AppointmentId(105)),
                    ..change(11)
                },
                false,
            ),
            (
                "a visit booked into it",
                Change {
                    patient: Some(PatientId(9)),
                    appointment: Some(AppointmentId(900)),
                    start: Some(d5_start),
                    ..change(11)
                },
                false,
            ),
            (
                "its first second",
                Change {
                    start: Some(d5_from),
                    ..change(11)
                },
                false,
            ),
            (
                "the next day's first second",
                Change {
                    start: Some(d5_to),
                    ..change(11)
                },
                true,
            ),
            (
                "the day before's last second",
                Change {
                    start: Some(d5_from - Duration::seconds(1)),
                    ..change(11)
                },
                true,
            ),
            (
                "another day's visit",
                Change {
                    patient: Some(PatientId(6)),
                    appointment: Some(AppointmentId(106)),
                    start: Some(ten(6)),
                    ..change(11)
                },
                true,
            ),
            ("everything (a clinician, a template)", change(11), false),
            (
                "a decision about another visit",
                Change {
                    appointment: Some(AppointmentId(106)),
                    start: Some(ten(6)),
                    ..change(11)
                },
                true,
            ),
            (
                "a change before its load",
                Change {
                    patient: Some(PatientId(5)),
                    ..change(10)
                },
                true,
            ),
        ];
        for (what, c, kept) in cases {
            let mut days = DaysAhead::default();
            days.keep(sheet(5), stamp(1, 10, 0));
            assert_eq!(days.to_check(2), Some(10), "{what}");
            days.check(2, &log(1, vec![c]));
            assert_eq!(days.get(day(5), 2, at(1)).is_some(), kept, "{what}");
        }
    }

    #[test]
    fn if_the_log_cannot_vouch_for_a_day_it_is_stale() {
        let cases = [
            (
                "pruned past its mark",
                Log {
                    first: Some(12),
                    head: 20,
                    changes: Vec::new(),
                },
                false,
            ),
            (
                "just kept",
                Log {
                    first: Some(11),
                    head: 20,
                    changes: Vec::new(),
                },
                true,
            ),
            (
                "another file: the log went back",
                Log {
                    first: Some(1),
                    head: 9,
                    changes: Vec::new(),
                },
                false,
            ),
            (
                "emptied",
                Log {
                    first: None,
                    head: 0,
                    changes: Vec::new(),
                },
                false,
            ),
            (
                "nothing new",
                Log {
                    first: Some(1),
                    head: 10,
                    changes: Vec::new(),
                },
                true,
            ),
        ];
        for (what, l, kept) in cases {
            let mut days = DaysAhead::default();
            days.keep(sheet(5), stamp(1, 10, 0));
            days.check(2, &l);
            assert_eq!(days.get(day(5), 2, at(1)).is_some(), kept, "{what}");
        }
    }

    #[test]
    fn a_surviving_day_is_checked_from_the_new_head_only() {
        let mut days = DaysAhead::default();
        days.keep(sheet(5), stamp(1, 10, 0));
        days.keep(sheet(6), stamp(1, 12, 0));
        assert_eq!(days.to_check(1), None, "nothing moved");
        assert_eq!(days.to_check(2), Some(10), "the oldest mark");
        // Seq 11 names patient 6 before day 6 was loaded (its mark is 12): day 6 stays.
        let c = Change {
            patient: Some(PatientId(6)),
            ..change(11)
        };
        days.check(2, &log(1, vec![c, change_for(13, 7)]));
        assert!(days.get(day(5), 2, at(1)).is_some());
        assert!(days.get(day(6), 2, at(1)).is_some());
        assert_eq!(days.to_check(2), None);
        assert_eq!(days.to_check(3), Some(13), "both now true at the head");
    }

    fn change_for(seq: i64, patient: i64) -> Change {
        Change {
            patient: Some(PatientId(patient)),
            ..change(seq)
        }
    }

    #[test]
    fn the_neighbours_of_the_shown_day_are_loaded_ahead_after_first() {
        let mut days = DaysAhead::default();
        assert_eq!(days.next_ahead(1, at(0)), None, "nothing shown yet");
        days.shown(day(10));
        assert_eq!(days.next_ahead(1, at(0)), Some(day(11)));
        days.keep(sheet(11), stamp(1, 0, 0));
        assert_eq!(days.next_ahead(1, at(0)), Some(day(9)));
        days.keep(sheet(9), stamp(1, 0, 0));
        assert_eq!(days.next_ahead(1, at(0)), None);
        // Another desk's commit about someone else: both stay, nothing to load.
        days.check(2, &log(1, vec![change_for(1, 42)]));
        assert_eq!(days.next_ahead(2, at(15)), None, "kept across the commit");
        // One about day 11's patient: day 11 is due, after the pacing.
        days.check(3, &log(1, vec![change_for(2, 11)]));
        assert_eq!(days.next_ahead(3, at(15)), Some(day(11)));
    }

    #[test]
    fn a_day_made_stale_by_others_is_loaded_again_at_most_every_fifteen_seconds() {
        let mut days = DaysAhead::default();
        days.shown(day(10));
        days.keep(sheet(11), stamp(1, 0, 0));
        days.keep(sheet(9), stamp(1, 0, 0));
        // Another desk changes day 11's patient every second: not reloaded each time.
        for s in 1..15 {
            days.check(1 + s, &log(1, vec![change_for(s, 11)]));
            assert_eq!(days.next_ahead(1 + s, at(s)), None, "{s} s after loading");
        }
        assert_eq!(
            days.to_check(16),
            Some(14),
            "day 9 checked up to the last head"
        );
        days.check(16, &log(1, vec![change_for(15, 11)]));
        assert_eq!(days.next_ahead(16, at(15)), Some(day(11)));
        // Stale days are never shown meanwhile: the switch loads the day itself.
        assert!(days.get(day(11), 16, at(15)).is_none());
        assert!(days.get(day(9), 16, at(15)).is_some(), "untouched");
        // A day not kept is loaded at once, whenever.
        days.shown(day(20));
        assert_eq!(days.next_ahead(16, at(16)), Some(day(21)));
        // The log unreadable: every day forgotten, loaded again at once.
        days.shown(day(10));
        days.forget();
        assert_eq!(days.next_ahead(16, at(16)), Some(day(11)));
        // The clock went back: the kept copy is not trusted, and is loaded again.
        days.keep(sheet(11), stamp(16, 15, 16));
        days.keep(sheet(9), stamp(16, 15, 16));
        assert_eq!(days.next_ahead(16, at(10)), Some(day(11)));
    }

    #[test]
    fn only_the_latest_days_are_kept() {
        let mut days = DaysAhead::default();
        for d in 1..=10 {
            days.keep(sheet(d), stamp(1, 0, 0));
        }
        assert!(days.get(day(3), 1, at(0)).is_none());
        assert!(days.get(day(4), 1, at(0)).is_some());
        days.keep(sheet(4), stamp(1, 0, 1));
        assert_eq!(
            days.kept.last().map(|k| k.sheet.date),
            Some(day(4)),
            "kept again as newest"
        );
        assert_eq!(days.kept.len(), KEPT);
    }
}
