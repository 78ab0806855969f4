//! The worker's day switch: a kept day shown at once (checked against the change log first,
//! and the rows of the patients it names read again: a patch), the neighbours of the day
//! shown loaded ahead (or patched) while idle, and a day not kept shown in two
//! steps — its sheet first, then (on `LoadCells`, which the day screen asks for when the
//! sheet says its cells are pending) the same sheet with its reminder cells, kept for the
//! next switch. Logs carry dates and timings only.

use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};

use super::{Runner, log_safe};
use crate::domain::day::DaySheet;
use crate::tui::msg::Msg;
use crate::workflow::day;

/// A sheet shown before its cells: which load it answered, and when it was read.
#[derive(Debug)]
pub(super) struct Filling {
    generation: u64,
    sheet: DaySheet,
    stamp: day::Stamp,
}

impl Runner {
    /// Load one day ahead if one is due; `false` when there is nothing to load.
    pub(in crate::tui) fn load_ahead(&mut self) -> bool {
        let now = self.clock.now();
        let Some(version) = self.catch_up() else {
            return false;
        };
        self.days.today(self.today(now));
        if let Some(patch) = self.days.next_patch(version, now) {
            self.patch_kept(&patch, now);
            return true;
        }
        let Some(date) = self.days.next_ahead(version, now) else {
            return false;
        };
        let known = self.days.known();
        match day::load_marked(&self.store, &self.config, date, now, known) {
            Ok((sheet, mark)) => self.days.keep(
                sheet,
                day::Stamp {
                    version,
                    mark,
                    at: now,
                },
            ),
            Err(e) => {
                tracing::warn!(%date, error = %log_safe(&e), "loading a day ahead failed");
                // Not again until the desk moves: the shown day's own load reports errors.
                self.days.shown_none();
            }
        }
        true
    }

    /// Once, while the sign-in screen waits: read today as the first switch after sign-in
    /// will, and keep nothing (nobody is signed in to be shown it), so that switch finds its
    /// pages in the connection's cache instead of decrypting each from the file. `false`
    /// when there is nothing to do.
    pub(in crate::tui) fn warm_up(&mut self) -> bool {
        if self.warmed || self.actor.is_some() {
            return false;
        }
        self.warmed = true;
        let started = Instant::now();
        let now = self.clock.now();
        match day::warm(&self.store, &self.config, self.today(now), now) {
            Ok(visits) => tracing::debug!(
                visits,
                ms = started.elapsed().as_millis() as u64,
                "today read ahead of sign-in, kept nothing"
            ),
            Err(e) => {
                tracing::warn!(error = %log_safe(&e), "reading today ahead of sign-in failed")
            }
        }
        true
    }

    /// While a member is signed in, a day is shown and the worker is idle: read every
    /// patient's line, then every patient's record facts, a share at a time
    /// (`day::PATIENTS_PER_STEP`), when they are due (never read, or dropped by the change
    /// log) — so a day not kept reads its visits alone, and its cells no patient row
    /// (`workflow::day::Known`), and a key pressed meanwhile waits for one share at most.
    /// `false` when there is nothing to do; a read that fails is not tried again (days are then
    /// read with their patients' rows).
    pub(in crate::tui) fn learn_patients(&mut self) -> bool {
        if self.actor.is_none() || self.patients_failed || !self.days.known_due() {
            return false;
        }
        let started = Instant::now();
        let known = self.days.known_mut();
        match day::learn_step(&self.store, &self.config, known, day::PATIENTS_PER_STEP) {
            Ok(read) => tracing::debug!(
                patients = read.unwrap_or(0),
                ms = started.elapsed().as_millis() as u64,
                step = ?known.next_read(),
                "patients read (one idle step)"
            ),
            Err(e) => {
                tracing::warn!(error = %log_safe(&e), "reading every patient failed");
                self.patients_failed = true;
            }
        }
        true
    }

    /// The practice's local date at `now`.
    fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.config.practice.time_zone)
            .date_naive()
    }

    /// Read again the rows of the patients the log named on a kept day; a read that fails
    /// forgets the day (it is loaded whole when next wanted).
    fn patch_kept(&mut self, patch: &day::Patch, now: DateTime<Utc>) {
        let started = Instant::now();
        match day::read_patch(&self.store, &self.config, patch, now) {
            Ok(rows) => self.days.patched(patch, rows),
            Err(e) => {
                tracing::warn!(date = %patch.date, error = %log_safe(&e), "patching a kept day failed");
                self.days.drop_day(patch.date);
            }
        }
        tracing::debug!(
            date = %patch.date,
            patients = patch.patients.len(),
            ms = started.elapsed().as_millis() as u64,
            "kept day patched"
        );
    }

    /// The database's change counter now, with every kept day checked against the change
    /// log written since it was loaded (when the counter moved or the worker wrote itself).
    /// `None` when the counter cannot be read; a log that cannot be read forgets every day.
    fn catch_up(&mut self) -> Option<i64> {
        let version = day::data_version(&self.store).ok()?;
        if let Some(mark) = self.days.to_check(version) {
            // The counter was read first: a commit after it moves it again, and is checked then.
            match day::changes_since(&self.store, mark) {
                Ok(log) => self.days.check(version, &log),
                Err(e) => {
                    tracing::warn!(error = %log_safe(&e), "reading the change log failed");
                    self.days.forget();
                }
            }
        }
        Some(version)
    }

    /// A switch to `date`: the kept copy when it is still true, else the sheet alone (its
    /// cells follow on `LoadCells`).
    pub(super) fn load_day(&mut self, generation: u64, date: NaiveDate, now: DateTime<Utc>) -> Msg {
        let started = Instant::now();
        self.days.shown(date);
        self.filling = None;
        let version = self.catch_up();
        if let Some(patch) = version.and_then(|v| self.days.to_patch(date, v, now)) {
            self.patch_kept(&patch, now);
        }
        if let Some(sheet) = version.and_then(|v| self.days.get(date, v, now)) {
            tracing::debug!(%date, "day shown from the days kept");
            return Msg::DayLoaded {
                generation,
                now,
                result: Ok(sheet.clone()),
            };
        }
        let known = version.and_then(|_| self.days.known());
        let result = day::load_sheet_marked(&self.store, &self.config, date, known).map_err(|e| {
            tracing::error!(%date, error = %log_safe(&e), "day load failed");
            e.to_string()
        });
        let result = match (result, version) {
            (Ok((sheet, mark)), Some(version)) => {
                let stamp = day::Stamp {
                    version,
                    mark,
                    at: now,
                };
                if sheet.cells_pending {
                    self.filling = Some(Filling {
                        generation,
                        sheet: sheet.clone(),
                        stamp,
                    });
                } else {
                    self.days.keep(sheet.clone(), stamp);
                }
                Ok(sheet)
            }
            // The counter unreadable: nothing is kept, so the sheet comes whole.
            (Ok((mut sheet, _)), None) => {
                day::fill_cells(&self.store, &self.config, &mut sheet, now, None)
                    .map(|()| sheet)
                    .map_err(|e| e.to_string())
            }
            (Err(e), _) => Err(e),
        };
        tracing::debug!(%date, ms = started.elapsed().as_millis() as u64, "day sheet loaded");
        Msg::DayLoaded {
            generation,
            now,
            result,
        }
    }

    /// The reminder cells of the sheet `LoadDay` answered first; nothing when a newer load
    /// came since (its own sheet is on the way).
    pub(super) fn load_cells(
        &mut self,
        generation: u64,
        date: NaiveDate,
        now: DateTime<Utc>,
    ) -> Option<Msg> {
        let started = Instant::now();
        let Filling {
            generation: g,
            mut sheet,
            stamp,
        } = self.filling.take()?;
        if g != generation || sheet.date != date {
            return None;
        }
        // Whether or not another desk committed since the sheet, the kept patients are
        // brought to the cells' own read.
        let known = self.days.known();
        let result = match day::fill_cells(&self.store, &self.config, &mut sheet, now, known) {
            Ok(()) => {
                // Kept at the sheet's mark: a change between the two reads is after it, so
                // the log makes the day stale rather than hiding it.
                self.days.keep(sheet.clone(), stamp);
                Ok(sheet)
            }
            Err(e) => {
                tracing::error!(%date, error = %log_safe(&e), "reminder cells failed");
                Err(e.to_string())
            }
        };
        tracing::debug!(%date, ms = started.elapsed().as_millis() as u64, "reminder cells loaded");
        Some(Msg::DayLoaded {
            generation,
            now,
            result,
        })
    }
}
