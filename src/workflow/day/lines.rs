//! Every patient's line (name, mobile, portal, number flag, consent: what a day row shows of
//! its patient), kept by the console so a day it has not kept reads only its own visits.
//!
//! Why: SQLite empties a connection's page cache whenever another connection has committed
//! (`pagerBeginReadTransaction` resets the pager when the WAL changed), and four desks and a
//! cron job commit about once a second at a clinic group. A day's visits are a few
//! consecutive index pages, but its 2,000 patients are scattered over the whole patients
//! table, about one page each, and each page read again is decrypted again: 1,270 pages,
//! 17 ms, for a day of 2,000 after any other desk's commit (docs/BENCHMARKS.md, "Eighth
//! session"). A line depends on its patient's own row alone, and every write to a patient's
//! row is in the change log under that patient (migrations 17 and 19), so the lines are kept
//! true the way kept days are: the log's rows since the lines' mark drop the patients they
//! name; a row naming nothing, or a log that went back or lost rows, drops them all, and they
//! are read whole again when the worker is idle. A patient not known (new since) is read by
//! `store::day::sheet_knowing` and added. Pure bookkeeping, like `DaysAhead`.

use std::collections::HashMap;

use crate::domain::day::PatientLine;
use crate::domain::ids::PatientId;
use crate::store::changes::Log;

/// The lines known, and the log's head and change counter they are known true at.
#[derive(Clone, Debug, Default)]
pub(super) struct Lines {
    known: HashMap<PatientId, PatientLine>,
    /// Read whole since last dropped: a patient missing is one not known yet (new), not one
    /// dropped. `false`: to read whole again, and not used until then.
    whole: bool,
    mark: i64,
    /// The change counter they are known true at (`None`: to be checked against the log).
    version: Option<i64>,
}

impl Lines {
    /// Every patient's line, read whole at `version` in a transaction whose log head was `mark`.
    pub(super) fn read_whole(
        &mut self,
        known: HashMap<PatientId, PatientLine>,
        version: i64,
        mark: i64,
    ) {
        *self = Self {
            known,
            whole: true,
            mark,
            version: Some(version),
        };
    }

    /// The mark to read the log from before they can be used at `version`.
    pub(super) fn to_check(&self, version: i64) -> Option<i64> {
        (self.whole && self.version != Some(version)).then_some(self.mark)
    }

    /// The log read from at most [`Lines::to_check`]'s mark, at `version`: the patients it
    /// names are dropped (read again when next needed); a row naming nothing, or a log that
    /// went back or lost rows since the mark, drops every line.
    pub(super) fn check(&mut self, version: i64, log: &Log) {
        if !self.whole || self.version == Some(version) {
            return;
        }
        let Some(changes) = log.since(self.mark) else {
            return self.drop_all();
        };
        for c in changes {
            if c.everything() {
                return self.drop_all();
            }
            if let Some(p) = c.patient {
                self.known.remove(&p);
            }
        }
        self.version = Some(version);
        self.mark = log.head;
    }

    /// The worker wrote itself: check against the log before the next use.
    pub(super) fn unchecked(&mut self) {
        self.version = None;
    }

    pub(super) fn drop_all(&mut self) {
        *self = Self::default();
    }

    /// The lines, to use and add to, if they are known true at `version`.
    pub(super) fn at(&mut self, version: i64) -> Option<&mut HashMap<PatientId, PatientLine>> {
        (self.whole && self.version == Some(version)).then_some(&mut self.known)
    }

    /// Not read whole (never, or dropped since): the worker reads them when idle.
    pub(super) fn due(&self) -> bool {
        !self.whole
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::consent::ConsentFlag;
    use crate::store::changes::Change;

    fn line(name: &str) -> PatientLine {
        PatientLine {
            name: name.into(),
            has_mobile: true,
            portal: false,
            number_flagged: false,
            consent: ConsentFlag::OptedIn,
            unfiled: Box::new([]),
        }
    }

    /// Lines for patients 1..=3, read at version 7 with the log's head at 10.
    fn read() -> Lines {
        let mut l = Lines::default();
        let known = (1..=3).map(|p| (PatientId(p), line("A"))).collect();
        l.read_whole(known, 7, 10);
        l
    }

    fn change(seq: i64, patient: Option<i64>) -> Change {
        Change {
            seq,
            patient: patient.map(PatientId),
            appointment: None,
            start: None,
        }
    }

    fn log(first: Option<i64>, head: i64, changes: Vec<Change>) -> Log {
        Log {
            first,
            head,
            changes,
        }
    }

    fn known(l: &mut Lines, version: i64) -> Option<Vec<i64>> {
        let mut ids: Vec<i64> = l.at(version)?.keys().map(|p| p.0).collect();
        ids.sort_unstable();
        Some(ids)
    }

    #[test]
    fn the_log_drops_whom_it_names_and_everyone_when_it_cannot_say() {
        let cases = [
            (
                "nothing since",
                log(Some(1), 10, vec![]),
                Some(vec![1, 2, 3]),
            ),
            (
                "patient 2, then a change naming nobody",
                log(Some(1), 12, vec![change(11, Some(2)), change(12, None)]),
                None,
            ),
            (
                "patient 2, a visit",
                log(
                    Some(1),
                    12,
                    vec![change(11, Some(2)), {
                        let mut c = change(12, None);
                        c.appointment = Some(crate::domain::ids::AppointmentId(5));
                        c
                    }],
                ),
                Some(vec![1, 3]),
            ),
            (
                "rows seen before",
                log(Some(1), 12, vec![change(9, Some(1))]),
                Some(vec![1, 2, 3]),
            ),
            ("pruned past the mark", log(Some(12), 20, vec![]), None),
            ("went back", log(Some(1), 5, vec![]), None),
        ];
        for (what, log, want) in cases {
            let mut l = read();
            assert_eq!(l.to_check(8), Some(10), "{what}");
            l.check(8, &log);
            assert_eq!(known(&mut l, 8), want, "{what}");
            assert_eq!(l.due(), want.is_none(), "{what}");
        }
    }

    #[test]
    fn lines_are_used_only_at_the_version_they_were_checked_at() {
        let mut l = read();
        assert!(known(&mut l, 7).is_some(), "as read");
        assert!(
            known(&mut l, 8).is_none(),
            "another desk committed: check first"
        );
        l.check(8, &log(Some(1), 10, vec![]));
        assert!(known(&mut l, 8).is_some());
        l.unchecked();
        assert!(known(&mut l, 8).is_none(), "the desk wrote: check first");
        assert_eq!(l.to_check(8), Some(10));
        let mut never = Lines::default();
        assert!(never.due() && never.to_check(1).is_none() && known(&mut never, 1).is_none());
    }
}
