//! Days the console has loaded, kept for the next switch: the day before and the day after
//! the one shown are loaded ahead while the desk reads it, so moving one day along shows a
//! sheet that is already there. A clinic group's busy day (1,400 appointments, each patient's
//! consent, caps and reminder history) takes ~100 ms to load; a kept one is a copy.
//!
//! A kept day is shown only while it is still true and loaded less than [`FRESH_FOR`] ago
//! (the reminder cells forecast from "now": a reminder becomes due, a visit passes). "Still
//! true" is decided from the change log (migration 17): when SQLite's `data_version` moved
//! (another connection committed) or the worker wrote something itself, the log's rows since
//! the day's load are read. A row naming one of its patients or appointments, or a patient
//! booked into its hours, marks those patients' rows to read again (a *patch*: their rows
//! depend on their own records only, so the rest of the day stays as loaded); a row naming
//! nothing (everything), or one within its hours whose patient is unknown, makes the day
//! stale, to be loaded whole. Four desks and a cron job commit about once a second at a
//! clinic group; most commits concern a few patients, so most kept days survive them, and
//! the others cost a few patients' reads instead of the whole day's. If in doubt the day is
//! stale: the log went back (another file) or lost rows since the load (pruned), or could not
//! be read, or the patients to read again are more than [`PATCH_AT_MOST`] allows. Pure
//! bookkeeping: the worker loads, reads the log and asks.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::known::Known;
use crate::domain::day::{DayRow, DaySheet, in_sheet_order};
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

/// A kept day is patched while the patients to read again are at most this many, or a
/// quarter of its patients if more; past that (a reminder batch through the day) it is
/// loaded whole, which reads each patient once in one pass.
pub const PATCH_AT_MOST: usize = 16;

/// A kept day's patients whose rows are to be read again before it is shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Patch {
    pub date: NaiveDate,
    /// Each once, in id order.
    pub patients: Vec<PatientId>,
}

/// What the log since a kept day's mark means for it.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Intact,
    Patch(HashSet<PatientId>),
    Stale,
}

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
    /// Patients whose rows are to be read again before it is shown (see [`Patch`]).
    dirty: HashSet<PatientId>,
    loaded_at: DateTime<Utc>,
    sheet: DaySheet,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    patients: HashSet<PatientId>,
    /// Each visit on it, and whose it is.
    owners: HashMap<AppointmentId, PatientId>,
}

impl Kept {
    fn new(sheet: DaySheet, stamp: Stamp) -> Self {
        let (from, to) = day_bounds(sheet.date, sheet.tz);
        let mut kept = Kept {
            version: Some(stamp.version),
            mark: stamp.mark,
            stale: false,
            dirty: HashSet::new(),
            loaded_at: stamp.at,
            from,
            to,
            patients: HashSet::new(),
            owners: HashMap::new(),
            sheet,
        };
        kept.index();
        kept
    }

    /// Its patients and visits, from its rows as they are now.
    fn index(&mut self) {
        self.patients = self.sheet.rows.iter().map(|r| r.patient_id).collect();
        self.owners = self
            .sheet
            .rows
            .iter()
            .map(|r| (r.appointment_id, r.patient_id))
            .collect();
    }

    /// Whose rows a logged change may alter on this day: `Err(())` when it may alter the
    /// whole day — a change naming nothing, or one within its hours naming no patient (a
    /// decision or rebooking about a visit not on it: whose is not known here).
    fn whose(&self, c: &Change) -> Result<Vec<PatientId>, ()> {
        if c.everything() {
            return Err(());
        }
        let in_hours = c.start.is_some_and(|t| self.from <= t && t < self.to);
        let owner = c.appointment.and_then(|a| self.owners.get(&a)).copied();
        let mut whose: Vec<PatientId> = owner.into_iter().collect();
        // Booked or moved into it, given to another patient, or one of its patients' records.
        if let Some(p) = c
            .patient
            .filter(|p| in_hours || owner.is_some() || self.patients.contains(p))
        {
            whose.push(p);
        }
        if whose.is_empty() && in_hours {
            return Err(());
        }
        Ok(whose)
    }

    /// What the log since this day's mark says about it.
    fn verdict(&self, log: &Log) -> Verdict {
        let Some(changes) = log.since(self.mark) else {
            return Verdict::Stale;
        };
        let mut patients = HashSet::new();
        for c in changes {
            match self.whose(c) {
                Ok(whose) => patients.extend(whose),
                Err(()) => return Verdict::Stale,
            }
        }
        if patients.is_empty() {
            Verdict::Intact
        } else {
            Verdict::Patch(patients)
        }
    }

    /// True at `version` and the log's `head`, but for its dirty patients.
    fn known_at(&mut self, version: i64, head: i64) {
        self.version = Some(version);
        self.mark = head;
    }

    /// More patients to read again than a patch is worth.
    fn too_dirty(&self) -> bool {
        self.dirty.len() > PATCH_AT_MOST.max(self.patients.len() / 4)
    }

    /// Its rows for `patch`'s patients replaced by `rows` (theirs, read since), in the order
    /// a whole load gives: start, clinician, visit.
    fn patch(&mut self, patch: &Patch, rows: Vec<DayRow>) {
        let redone: HashSet<PatientId> = patch.patients.iter().copied().collect();
        let sheet = &mut self.sheet;
        sheet.rows.retain(|r| !redone.contains(&r.patient_id));
        sheet.rows.extend(rows);
        in_sheet_order(&mut sheet.rows);
        self.dirty.retain(|p| !redone.contains(p));
        self.index();
    }
}

/// The days kept, and the days to load ahead: every day the desk can reach from the one
/// shown with one key.
#[derive(Clone, Debug, Default)]
pub struct DaysAhead {
    kept: Vec<Kept>,
    /// Every patient's line and record, for a day not kept (`super::known`).
    known: Known,
    /// The day last shown: its neighbours are loaded when the worker is idle (← →).
    shown: Option<NaiveDate>,
    /// The practice's today (`t`).
    today: Option<NaiveDate>,
    /// The selected search hit's day (Enter), while the search is open.
    expected: Option<NaiveDate>,
}

impl DaysAhead {
    /// The kept sheet for `date`, if it is known true at `version` and fresh at `now`. Ask
    /// after [`DaysAhead::check`]ing the log at `version`.
    pub fn get(&self, date: NaiveDate, version: i64, now: DateTime<Utc>) -> Option<&DaySheet> {
        self.kept
            .iter()
            .find(|k| k.sheet.date == date && fresh(k, version, now) && k.dirty.is_empty())
            .map(|k| &k.sheet)
    }

    /// The patients to read again before kept `date` can be shown at `version` and `now`
    /// (then [`DaysAhead::patched`]); `None` when it is not kept, stale, or needs nothing.
    pub fn to_patch(&self, date: NaiveDate, version: i64, now: DateTime<Utc>) -> Option<Patch> {
        self.kept
            .iter()
            .find(|k| k.sheet.date == date && fresh(k, version, now) && !k.dirty.is_empty())
            .map(|k| {
                let mut patients: Vec<PatientId> = k.dirty.iter().copied().collect();
                patients.sort();
                Patch { date, patients }
            })
    }

    /// `rows`, read for `patch`'s patients after [`DaysAhead::to_patch`], in place of theirs.
    /// The day stays true at the mark it was checked to: what was committed since is read
    /// again at the next check (a patient read twice is read right twice).
    pub fn patched(&mut self, patch: &Patch, rows: Vec<DayRow>) {
        if let Some(k) = self.kept.iter_mut().find(|k| k.sheet.date == patch.date) {
            k.patch(patch, rows);
        }
    }

    /// The day shown or one reached from it with one key, with patients to read again,
    /// while the worker is idle.
    pub fn next_patch(&self, version: i64, now: DateTime<Utc>) -> Option<Patch> {
        let shown = self.shown?;
        std::iter::once(shown)
            .chain(self.reachable(shown))
            .find_map(|d| self.to_patch(d, version, now))
    }

    /// The days one key reaches from `shown`: the day after, the day before, the search
    /// hit's, today (in the order they are loaded ahead).
    fn reachable(&self, shown: NaiveDate) -> impl Iterator<Item = NaiveDate> + use<> {
        [
            shown.succ_opt(),
            shown.pred_opt(),
            self.expected,
            self.today,
        ]
        .into_iter()
        .flatten()
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
            .chain(self.known.to_check(version))
            .min()
    }

    /// The log read from [`DaysAhead::to_check`]'s mark, at `version` (read before the log):
    /// a kept day it concerns has the patients it names to read again (or goes stale, see the
    /// module), and every day not stale is known true up to its head but for those.
    pub fn check(&mut self, version: i64, log: &Log) {
        for k in self
            .kept
            .iter_mut()
            .filter(|k| !k.stale && k.version != Some(version))
        {
            match k.verdict(log) {
                Verdict::Stale => k.stale = true,
                Verdict::Intact => k.known_at(version, log.head),
                Verdict::Patch(patients) => {
                    k.dirty.extend(patients);
                    k.known_at(version, log.head);
                    k.stale = k.too_dirty();
                }
            }
        }
        self.known.check(version, log);
    }

    /// What is kept of every patient, to read into ([`super::learn_step`]).
    pub fn known_mut(&mut self) -> &mut Known {
        &mut self.known
    }

    /// What is kept of every patient, to read a day not kept with (`super::load_sheet_marked`,
    /// `super::fill_cells`, which bring it to their own read first); `None`: not read whole
    /// (the day is then read with its patients' rows).
    pub fn known(&mut self) -> Option<&mut Known> {
        if self.known.is_whole() {
            Some(&mut self.known)
        } else {
            None
        }
    }

    /// Every patient is to be read, or read on (never read, part read, or dropped since), and
    /// a day is shown (not at the lock screen: a locked console reads nothing).
    pub fn known_due(&self) -> bool {
        self.shown.is_some() && !self.known.records_whole()
    }

    /// The worker wrote something itself (its own commits do not move its `data_version`):
    /// every kept day is checked against the log before it is shown again.
    pub fn unchecked(&mut self) {
        for k in &mut self.kept {
            k.version = None;
        }
        self.known.unchecked();
    }

    /// The desk is looking at `date` now.
    pub fn shown(&mut self, date: NaiveDate) {
        self.shown = Some(date);
    }

    /// The next day to load ahead at `now` (the day after the one shown, the day before, the
    /// search hit's, today), or `None` when each is kept and fresh, or went stale under
    /// [`RELOAD_AFTER`] ago. Nothing before a day is shown. At most four days besides the
    /// one shown, so all stay among the [`KEPT`].
    pub fn next_ahead(&self, version: i64, now: DateTime<Utc>) -> Option<NaiveDate> {
        let shown = self.shown?;
        self.reachable(shown).find(|&d| self.due(d, version, now))
    }

    /// The practice's local date now: `t` goes there, so it is loaded ahead too.
    pub fn today(&mut self, date: NaiveDate) {
        self.today = Some(date);
    }

    /// The day the desk may go to next besides the neighbours and today (the selected search
    /// hit's), loaded ahead too; `None`: none.
    pub fn expect(&mut self, date: Option<NaiveDate>) {
        self.expected = date;
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

    /// Forget kept `date` (its patch could not be read).
    pub fn drop_day(&mut self, date: NaiveDate) {
        self.kept.retain(|k| k.sheet.date != date);
    }

    /// The log could not be read: no kept day can be trusted.
    pub fn forget(&mut self) {
        self.kept.clear();
        self.known.drop_all();
    }
}

fn fresh(k: &Kept, version: i64, now: DateTime<Utc>) -> bool {
    !k.stale && k.version == Some(version) && now >= k.loaded_at && now - k.loaded_at < FRESH_FOR
}

#[cfg(test)]
mod tests;
