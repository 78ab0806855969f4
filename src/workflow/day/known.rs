//! What the console keeps of every patient, so a day it has not kept reads only its own
//! visits: each patient's line (name, mobile, portal, number flag, consent: what a day row
//! shows of its patient) for the sheet, and each patient's record facts (zone, mobile, number
//! flag code, consent, or why the record cannot be read: what the planner reads of a patient
//! without history) for the reminder cells.
//!
//! Why: SQLite empties a connection's page cache whenever another connection has committed
//! (`pagerBeginReadTransaction` resets the pager when the WAL changed), and four desks and a
//! cron job commit about once a second at a clinic group. A day's visits are a few
//! consecutive index pages, but its 2,000 patients are scattered over the whole patients
//! table, about one page each, and each page read again is decrypted again: 1,270 pages,
//! 17 ms, for a day of 2,000 after any other desk's commit, once for the sheet and once more
//! for the cells of a day to come (docs/BENCHMARKS.md, "Eighth session", "Tenth session").
//! Both depend on their patient's own row alone, and every write to a patient's row is in the
//! change log under that patient (migrations 17 and 19), so they are kept true the way kept
//! days are: the log's rows since the mark drop the patients they name (line and record
//! together); a row naming nothing, or a log that went back or lost rows, drops them all, and
//! they are read again when the worker is idle. A patient not known (new since, or dropped) is
//! read by `store::day::sheet_knowing` or `workflow::facts::record_facts` and added.
//!
//! They are read in idle steps of a share of the patients each ([`Reading`]: the lines in id
//! order, then the records), so a key pressed just after sign-in waits for one share at most
//! (`workflow::day::PATIENTS_PER_STEP`); each share's read first brings what is already kept
//! to its own log head. The lines are used once all are read; the records as they come (the
//! cells read the rows of the patients still missing, and keep them).
//!
//! Each read that uses them first brings them to its own log head ([`Known::behind`]): the
//! worker checks them against the log before a switch, but another desk may commit between
//! that check and the read. Pure bookkeeping, like `DaysAhead`.

use std::collections::HashMap;

use crate::domain::day::PatientLine;
use crate::domain::ids::PatientId;
use crate::store::changes::Log;
use crate::workflow::facts::Record;

/// Every patient's line and record facts, and the log's head and change counter they are
/// known true at.
#[derive(Clone, Debug, Default)]
pub struct Known {
    lines: HashMap<PatientId, PatientLine>,
    records: HashMap<PatientId, Record>,
    reading: Reading,
    mark: i64,
    /// The change counter they are known true at (`None`: to be checked against the log).
    version: Option<i64>,
}

/// How far every patient has been read since last dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reading {
    /// Nothing read yet.
    #[default]
    Lines,
    /// The lines of the patients after this id are still to read.
    LinesAfter(PatientId),
    /// Every line read: a patient missing is one not known (new, or dropped by the log), not
    /// one without a row. The records of the patients after this id are still to read.
    RecordsAfter(PatientId),
    /// Every line and record read.
    Done,
}

impl Known {
    /// What to read next: the lines or the records of the patients after an id, or nothing
    /// ([`Reading::Done`], the same as [`Known::records_whole`]).
    pub fn next_read(&self) -> Reading {
        self.reading
    }

    /// Start or go on at log head `head` (after [`Known::behind`]'s catch up): when nothing
    /// is kept, it is marked at it.
    pub(super) fn at_head(&mut self, head: i64) {
        if self.reading == Reading::Lines {
            self.mark = head;
        }
    }

    /// A share of lines read in a read at the mark, and the id to go on after (`None`: all
    /// read).
    pub(super) fn add_lines(
        &mut self,
        lines: HashMap<PatientId, PatientLine>,
        next: Option<PatientId>,
    ) {
        self.lines.extend(lines);
        self.reading = match next {
            Some(id) => Reading::LinesAfter(id),
            None => Reading::RecordsAfter(PatientId(0)),
        };
    }

    /// A share of records read in a read at the mark, and the id to go on after (`None`: all
    /// read).
    pub(super) fn add_records(
        &mut self,
        records: HashMap<PatientId, Record>,
        next: Option<PatientId>,
    ) {
        if !self.is_whole() {
            return;
        }
        self.records.extend(records);
        self.reading = next.map_or(Reading::Done, Reading::RecordsAfter);
    }

    /// How many patients' lines are known.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// None known.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Every patient's line and record read, and not all dropped since (a patient the log
    /// named is read again when needed).
    pub fn records_whole(&self) -> bool {
        self.reading == Reading::Done
    }

    /// The mark to read the log from before they can be used at `version`.
    pub(super) fn to_check(&self, version: i64) -> Option<i64> {
        (self.is_whole() && self.version != Some(version)).then_some(self.mark)
    }

    /// The log read from at most [`Known::to_check`]'s mark, at `version`: see
    /// [`Known::apply`].
    pub(super) fn check(&mut self, version: i64, log: &Log) {
        if !self.is_whole() || self.version == Some(version) {
            return;
        }
        self.apply(log);
        if self.is_whole() {
            self.version = Some(version);
        }
    }

    /// In a read whose log head is `head`: the mark to read the log from (in that read) before
    /// what is kept is used or added to in it, when it is behind. `None`: true at `head`, or
    /// nothing kept.
    pub(super) fn behind(&self, head: i64) -> Option<i64> {
        (self.reading != Reading::Lines && self.mark != head).then_some(self.mark)
    }

    /// The log from [`Known::behind`]'s mark, read in the same read: brought to its head (see [`Known::apply`]); checked against the log again at the
    /// next change counter.
    pub(super) fn catch_up(&mut self, log: &Log) {
        self.apply(log);
        self.version = None;
    }

    /// The patients the log names since the mark are dropped (read again when next
    /// needed); a row naming nothing, or a log that went back or lost rows since the mark,
    /// drops every patient.
    fn apply(&mut self, log: &Log) {
        let Some(changes) = log.since(self.mark) else {
            return self.drop_all();
        };
        for c in changes {
            if c.everything() {
                return self.drop_all();
            }
            if let Some(p) = c.patient {
                self.lines.remove(&p);
                self.records.remove(&p);
            }
        }
        self.mark = log.head;
    }

    /// The worker wrote itself: check against the log before the next use.
    pub(super) fn unchecked(&mut self) {
        self.version = None;
    }

    pub(super) fn drop_all(&mut self) {
        *self = Self::default();
    }

    /// Every line read, and not all dropped since: usable once brought to a read's head.
    pub fn is_whole(&self) -> bool {
        matches!(self.reading, Reading::RecordsAfter(_) | Reading::Done)
    }

    /// The lines, to use and add to (in a read they were brought to the head of).
    pub(super) fn lines(&mut self) -> &mut HashMap<PatientId, PatientLine> {
        &mut self.lines
    }

    /// The records, to use and add to (in a read they were brought to the head of).
    pub(super) fn records(&mut self) -> &mut HashMap<PatientId, Record> {
        &mut self.records
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::consent::{ConsentFlag, ConsentState};
    use crate::domain::patient::Patient;
    use crate::domain::reminder::RecordFacts;
    use crate::store::changes::Change;
    use crate::workflow::facts::Unreadable;

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

    fn record(id: i64) -> Record {
        if id == 3 {
            return Err(Unreadable {
                patient: PatientId(id),
                reason: "a zone on Mars".into(),
            });
        }
        let patient = Patient {
            id: PatientId(id),
            external_id: None,
            first_name: "A".into(),
            last_name: "B".into(),
            birth_date: None,
            mobile: None,
            time_zone: None,
            portal_active: false,
            number_problem: None,
            created_at: chrono::DateTime::UNIX_EPOCH,
        };
        Ok(RecordFacts::new(
            &patient,
            chrono_tz::America::New_York,
            ConsentState::None,
        ))
    }

    /// The lines, then the records, of `patients`, read `per` a step at log head `head`.
    fn read_in_steps(k: &mut Known, patients: &[i64], per: usize, head: i64) {
        for share in patients.chunks(per) {
            assert_eq!(k.behind(head), None, "nothing to catch up");
            k.at_head(head);
            let last = share.last().map(|p| PatientId(*p));
            let more = share.len() == per;
            let lines = share.iter().map(|p| (PatientId(*p), line("A"))).collect();
            k.add_lines(lines, last.filter(|_| more));
            assert_eq!(k.is_whole(), !more, "the lines are used once all are in");
        }
        for share in patients.chunks(per) {
            assert!(k.is_whole() && !k.records_whole());
            let last = share.last().map(|p| PatientId(*p));
            let more = share.len() == per;
            let records = share.iter().map(|p| (PatientId(*p), record(*p))).collect();
            k.add_records(records, last.filter(|_| more));
        }
    }

    /// Patients 1..=3 (3's record unreadable), read at version 7 with the log's head at 10.
    fn read() -> Known {
        let mut k = Known::default();
        read_in_steps(&mut k, &[1, 2, 3], 2, 10);
        assert!(k.records_whole() && k.next_read() == Reading::Done);
        k.check(7, &log(Some(1), 10, vec![]));
        k
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

    /// The patients known, by line and by record (they must agree), if whole.
    fn known(k: &mut Known) -> Option<Vec<i64>> {
        if !k.is_whole() {
            return None;
        }
        let ids = |keys: Vec<&PatientId>| {
            let mut ids: Vec<i64> = keys.into_iter().map(|p| p.0).collect();
            ids.sort_unstable();
            ids
        };
        let lines = ids(k.lines().keys().collect());
        assert_eq!(
            ids(k.records().keys().collect()),
            lines,
            "lines and records"
        );
        Some(lines)
    }

    fn cases() -> Vec<(&'static str, Log, Option<Vec<i64>>)> {
        vec![
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
                "patient 3, whose record could not be read",
                log(Some(1), 11, vec![change(11, Some(3))]),
                Some(vec![1, 2]),
            ),
            (
                "rows seen before",
                log(Some(1), 12, vec![change(9, Some(1))]),
                Some(vec![1, 2, 3]),
            ),
            ("pruned past the mark", log(Some(12), 20, vec![]), None),
            ("went back", log(Some(1), 5, vec![]), None),
        ]
    }

    #[test]
    fn the_log_drops_whom_it_names_line_and_record_and_everyone_when_it_cannot_say() {
        for (what, log, want) in cases() {
            let mut k = read();
            assert_eq!(k.to_check(8), Some(10), "{what}");
            k.check(8, &log);
            assert_eq!(known(&mut k), want, "{what}");
            assert_eq!(k.next_read() != Reading::Done, want.is_none(), "{what}");
            if want.is_none() {
                assert_eq!(k.next_read(), Reading::Lines, "{what}: from the start");
            }
            assert_eq!(k.to_check(8), None, "{what}: checked at 8, or dropped");
        }
    }

    #[test]
    fn a_read_brings_them_to_its_own_head_first_and_the_next_version_checks_again() {
        for (what, log, want) in cases() {
            let mut k = read();
            let head = log.head;
            assert_eq!(k.behind(head), (head != 10).then_some(10), "{what}");
            k.catch_up(&log);
            assert_eq!(known(&mut k), want, "{what}");
            if want.is_some() {
                assert_eq!(k.behind(head), None, "{what}: at the read's head now");
                assert_eq!(
                    k.to_check(7),
                    Some(head),
                    "{what}: the counter is not known"
                );
            }
        }
    }

    #[test]
    fn they_are_checked_at_each_new_version_and_after_the_desk_wrote() {
        let mut k = read();
        assert_eq!(k.to_check(7), None, "as read");
        assert_eq!(
            k.to_check(8),
            Some(10),
            "another desk committed: check first"
        );
        k.check(8, &log(Some(1), 10, vec![]));
        assert_eq!(k.to_check(8), None);
        k.unchecked();
        assert_eq!(k.to_check(8), Some(10), "the desk wrote: check first");
        let mut never = Known::default();
        assert_eq!(never.next_read(), Reading::Lines);
        assert!(never.to_check(1).is_none() && known(&mut never).is_none());
        never.add_records(HashMap::from([(PatientId(1), record(1))]), None);
        assert!(never.records().is_empty(), "no records before every line");
        assert_eq!(never.behind(3), None, "nothing to bring up");
    }

    /// Read a share at a time, with another desk's commits between the shares: each share's
    /// read first brings what is kept to its head (the patients the log names dropped, or
    /// everything, then read from the start), and the lines are used only once all are in.
    #[test]
    fn shares_read_between_commits_are_brought_to_each_read_s_head() {
        let mut k = Known::default();
        k.at_head(10);
        let lines = |ids: &[i64]| ids.iter().map(|p| (PatientId(*p), line("A"))).collect();
        k.add_lines(lines(&[1, 2]), Some(PatientId(2)));
        assert_eq!(k.next_read(), Reading::LinesAfter(PatientId(2)));
        assert!(!k.is_whole() && k.to_check(8).is_none(), "not used yet");
        // Another desk changed patient 1 before the next share's read (head 11).
        assert_eq!(k.behind(11), Some(10));
        k.catch_up(&log(Some(1), 11, vec![change(11, Some(1))]));
        k.at_head(11);
        k.add_lines(lines(&[3]), None);
        let ids = |m: Vec<&PatientId>| {
            let mut ids: Vec<i64> = m.into_iter().map(|p| p.0).collect();
            ids.sort_unstable();
            ids
        };
        assert!(k.is_whole() && !k.records_whole());
        assert_eq!(k.next_read(), Reading::RecordsAfter(PatientId(0)));
        assert_eq!(
            ids(k.lines().keys().collect()),
            [2, 3],
            "1 is read when needed"
        );
        assert_eq!(k.behind(11), None);
        let records = [1, 2].map(|p| (PatientId(p), record(p))).into();
        k.add_records(records, Some(PatientId(2)));
        assert_eq!(ids(k.records().keys().collect()), [1, 2]);
        assert_eq!(k.next_read(), Reading::RecordsAfter(PatientId(2)));
        // A change naming nobody before the last share: everything is read again.
        assert_eq!(k.behind(12), Some(11));
        k.catch_up(&log(Some(1), 12, vec![change(12, None)]));
        assert_eq!(k.next_read(), Reading::Lines);
        assert!(!k.is_whole() && k.is_empty() && k.records().is_empty());
        assert_eq!(k.behind(12), None, "nothing kept to bring up");
    }
}
