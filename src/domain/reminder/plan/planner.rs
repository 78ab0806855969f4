//! The planner's per-patient work (rules 3–8 of [`super`]): each appointment's reminder
//! moments, what is due now, which appointments share the run's text, and whether the caps
//! let an earlier reminder through. Pure, like the rest of the planner.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::{PlanLine, PlanMode, PlannedSend, ReminderMessage, Slot, Verdict, kind_for_offset};
use crate::domain::appointment::Appointment;
use crate::domain::ids::PatientId;
use crate::domain::message::{MessageKind, MessageStatus};
use crate::domain::reminder::key::ReminderKey;
use crate::domain::reminder::rules::ReminderRules;
use crate::domain::reminder::window::{
    Held, PatientFacts, cap_check_ahead, next_allowed, quiet_reason,
};
use crate::domain::reminder::{Basis, ReminderCell, ReminderState, SkipReason};
use crate::domain::template::{first_since_opt_in, wants_opt_out_notice};

fn recorded_state(m: &ReminderMessage) -> ReminderState {
    match m.status {
        MessageStatus::Pending | MessageStatus::Queued => ReminderState::Queued,
        MessageStatus::Sent | MessageStatus::Received => ReminderState::Sent,
        MessageStatus::Delivered => ReminderState::Delivered,
        MessageStatus::Failed | MessageStatus::Undelivered => ReminderState::Failed {
            code: m.error_code.clone(),
        },
        MessageStatus::Blocked => ReminderState::Blocked { finding: None },
        MessageStatus::Withdrawn => ReminderState::Skipped(SkipReason::Withdrawn),
    }
}

pub(super) struct Planner<'a> {
    pub(super) rules: &'a ReminderRules,
    pub(super) now: DateTime<Utc>,
    pub(super) mode: PlanMode,
    pub(super) offsets: &'a [u32],
    pub(super) sent: &'a HashMap<Slot, &'a ReminderMessage>,
    pub(super) appointments: &'a [Appointment],
    pub(super) lines: Vec<PlanLine>,
    pub(super) sends: Vec<PlannedSend>,
    /// Patients whose `recent` or `last_outbound` was looked at (see `held_back`).
    pub(super) history_read: Vec<PatientId>,
}

/// What an appointment does now.
#[derive(Clone)]
enum Now {
    Send(usize),
    Hold(Held),
}

/// An appointment's reminder to go in this run's text, and whether it was due of its own or
/// joins because it would otherwise be a second text later the same day.
#[derive(Clone, Copy)]
struct Chosen {
    offset: u32,
    joined: bool,
}

impl Planner<'_> {
    pub(super) fn recorded(&self, a: &Appointment, offset: u32) -> Option<ReminderState> {
        self.sent
            .get(&(a.id, a.start, offset))
            .map(|m| recorded_state(m))
    }

    fn covered_at(&self, a: &Appointment, offset: u32) -> bool {
        self.sent.contains_key(&(a.id, a.start, offset))
    }

    fn cutoff(&self, a: &Appointment) -> DateTime<Utc> {
        a.start - Duration::minutes(i64::from(self.rules.min_lead_minutes))
    }

    fn moment(a: &Appointment, offset: u32) -> DateTime<Utc> {
        a.start - Duration::hours(i64::from(offset))
    }

    /// When the reminder at `offset` can go: its moment, or the next allowed minute after it.
    fn effective(&self, a: &Appointment, offset: u32, zone: Tz) -> DateTime<Utc> {
        next_allowed(Self::moment(a, offset), zone, &self.rules.quiet_hours)
    }

    /// Can the reminder at `offset` still go in time (its effective moment within the lead)?
    fn in_time(&self, a: &Appointment, offset: u32, zone: Tz) -> bool {
        self.effective(a, offset, zone) <= self.cutoff(a)
    }

    /// The appointment's last reminder: its smallest offset that can still go in time.
    fn last_offset(&self, a: &Appointment, zone: Tz) -> Option<u32> {
        self.offsets
            .iter()
            .rev()
            .copied()
            .find(|&o| self.in_time(a, o, zone))
    }

    /// The reminder due now of its own, if any (rule 4; the desk's batch sends the latest due
    /// one, or the next one early).
    fn due_now(&self, a: &Appointment, zone: Tz) -> Option<u32> {
        let now = self.now;
        let latest = self
            .offsets
            .iter()
            .copied()
            .rfind(|&o| Self::moment(a, o) <= now);
        // A later reminder already went (the desk sent it early): nothing more is due.
        let done_after = |o: u32| {
            self.offsets
                .iter()
                .any(|&q| q <= o && self.covered_at(a, q))
        };
        // Still in its window? Past half the way to the next feasible reminder, it gives way.
        let in_window = |o: u32| {
            let next = self
                .offsets
                .iter()
                .copied()
                .filter(|&q| q < o)
                .find(|&q| self.in_time(a, q, zone))
                .map(|q| self.effective(a, q, zone));
            !matches!(next, Some(next) if now >= Self::moment(a, o) + (next - Self::moment(a, o)) / 2)
        };
        if self.mode == PlanMode::DeskBatch {
            // A late reminder still in its window goes; past it, the next one goes early
            // (a 48 h reminder missed by a day is not sent beside the 24 h one).
            return latest
                .filter(|&o| !done_after(o) && in_window(o))
                .or_else(|| {
                    self.offsets.iter().copied().find(|&o| {
                        Self::moment(a, o) > now && !done_after(o) && !self.covered_at(a, o)
                    })
                });
        }
        latest.filter(|&o| !done_after(o) && in_window(o))
    }

    /// The next reminder still to come (moment after now, in time, not yet sent), with when
    /// it can go.
    fn upcoming(&self, a: &Appointment, zone: Tz) -> Option<(u32, DateTime<Utc>)> {
        self.offsets
            .iter()
            .copied()
            .filter(|&o| Self::moment(a, o) > self.now && !self.covered_at(a, o))
            .map(|o| (o, self.effective(a, o, zone)))
            .filter(|&(_, at)| at <= self.cutoff(a))
            .min_by_key(|&(_, at)| at)
    }

    /// Plan one patient's open appointments (sorted by start): rules 4–8.
    pub(super) fn patient(&mut self, facts: &PatientFacts, g: &[usize], later: &[&Appointment]) {
        let appts = self.appointments;
        let mut chosen: HashMap<usize, Chosen> = HashMap::new();
        for &i in g {
            if let Some(offset) = self.due_now(&appts[i], facts.zone) {
                chosen.insert(
                    i,
                    Chosen {
                        offset,
                        joined: false,
                    },
                );
            }
        }
        if !chosen.is_empty() && self.mode == PlanMode::Scheduled {
            let today = self.now.with_timezone(&facts.zone).date_naive();
            let joining: Vec<(usize, u32)> = g
                .iter()
                .filter(|i| !chosen.contains_key(i))
                .filter_map(|&i| {
                    let (offset, at) = self.upcoming(&appts[i], facts.zone)?;
                    (at.with_timezone(&facts.zone).date_naive() == today).then_some((i, offset))
                })
                .collect();
            for (i, offset) in joining {
                chosen.insert(
                    i,
                    Chosen {
                        offset,
                        joined: true,
                    },
                );
            }
        }
        let decided = self.decide(facts, g, &chosen, later);
        for &i in g {
            let now = decided.get(&i).cloned();
            let offset = chosen.get(&i).map(|c| c.offset).filter(|_| now.is_some());
            self.settle(facts, i, offset, now);
        }
    }

    /// Hold or send the chosen reminders (rules 6–8). Appointments that only joined are
    /// left to their own moment when the text is held.
    fn decide(
        &mut self,
        facts: &PatientFacts,
        g: &[usize],
        chosen: &HashMap<usize, Chosen>,
        later: &[&Appointment],
    ) -> HashMap<usize, Now> {
        let (now, appts) = (self.now, self.appointments);
        let hold = |reason, retry_at| Now::Hold(Held { reason, retry_at });
        let mut decided: HashMap<usize, Now> = HashMap::new();
        let mut targets: Vec<(usize, Chosen)> = Vec::new();
        for &i in g {
            let Some(&c) = chosen.get(&i) else { continue };
            if now > self.cutoff(&appts[i]) {
                decided.insert(i, hold(SkipReason::TooClose, None));
            } else {
                targets.push((i, c));
            }
        }
        if targets.iter().all(|(_, c)| c.joined) {
            return decided;
        }
        if let Some(held) = self.held_back(facts, g, later, &targets) {
            decided.extend(held);
            return decided;
        }
        if let Some(index) = self.push_send(facts, &targets) {
            for (i, _) in targets {
                decided.insert(i, Now::Send(index));
            }
        }
        decided
    }

    /// The due targets held back together: by quiet hours (until they end, unless that is
    /// too close to the visit) or by the caps (until room frees, when it does in time). A
    /// patient's last reminder is never held by the caps. `None`: the text goes now.
    fn held_back(
        &mut self,
        facts: &PatientFacts,
        g: &[usize],
        later: &[&Appointment],
        targets: &[(usize, Chosen)],
    ) -> Option<Vec<(usize, Now)>> {
        let (now, appts) = (self.now, self.appointments);
        let hold = |reason, retry_at| Now::Hold(Held { reason, retry_at });
        let due = targets.iter().filter(|(_, c)| !c.joined).map(|&(i, _)| i);
        let allowed = next_allowed(now, facts.zone, &self.rules.quiet_hours);
        if allowed > now {
            let held = due.map(|i| {
                let h = if allowed > self.cutoff(&appts[i]) {
                    hold(SkipReason::TooClose, None)
                } else {
                    hold(quiet_reason(allowed, facts.zone), Some(allowed))
                };
                (i, h)
            });
            return Some(held.collect());
        }
        // From here on the caps read `recent`, and the text `last_outbound`.
        self.history_read.push(facts.id);
        let essential = targets
            .iter()
            .any(|&(i, c)| self.last_offset(&appts[i], facts.zone) == Some(c.offset));
        if essential {
            return None;
        }
        let reserved = self.reserved(facts, g, later, targets);
        let caps = (self.rules.max_per_day, self.rules.max_per_week);
        let Err(free) = cap_check_ahead(now, facts.zone, &facts.recent, &reserved, caps) else {
            return None;
        };
        let retry = free.map(|f| next_allowed(f, facts.zone, &self.rules.quiet_hours));
        let held = due.map(|i| {
            let retry_at = retry.filter(|&r| r <= self.cutoff(&appts[i]));
            (i, hold(SkipReason::FrequencyCap, retry_at))
        });
        Some(held.collect())
    }

    /// One text for the targets (a same-day double when it covers several visits), due at the
    /// earliest of their moments. Returns its index among the sends.
    fn push_send(&mut self, facts: &PatientFacts, targets: &[(usize, Chosen)]) -> Option<usize> {
        let (now, appts) = (self.now, self.appointments);
        let key = ReminderKey::parts(
            targets
                .iter()
                .map(|&(i, c)| (appts[i].id, appts[i].start, c.offset)),
        )?;
        let kind = if key.appointments().len() > 1 {
            MessageKind::SameDayDouble
        } else {
            kind_for_offset(key.offset_hours())
        };
        let due_at = targets
            .iter()
            .map(|&(i, c)| Self::moment(&appts[i], c.offset))
            .min()
            .unwrap_or(now);
        let first = first_since_opt_in(&facts.consent, facts.last_outbound);
        let index = self.sends.len();
        self.sends.push(PlannedSend {
            key,
            kind,
            patient_id: facts.id,
            zone: facts.zone,
            due: due_at.min(now),
            opt_out_notice: wants_opt_out_notice(kind, self.rules.opt_out_notice, first),
        });
        Some(index)
    }

    /// When the patient's last reminders still to come will go (not those in this text):
    /// the room an earlier reminder must leave under the caps.
    fn reserved(
        &self,
        facts: &PatientFacts,
        g: &[usize],
        later: &[&Appointment],
        targets: &[(usize, Chosen)],
    ) -> Vec<DateTime<Utc>> {
        let appts = self.appointments;
        let week = self.now + Duration::days(7);
        let in_this_text = |a: &Appointment, last: u32| {
            targets
                .iter()
                .any(|&(t, c)| appts[t].id == a.id && c.offset == last)
        };
        let mut moments: Vec<DateTime<Utc>> = g
            .iter()
            .map(|&i| &appts[i])
            .chain(later.iter().copied())
            .filter_map(|a| {
                let last = self.last_offset(a, facts.zone)?;
                let at = self.effective(a, last, facts.zone);
                let to_come = !self.covered_at(a, last) && !in_this_text(a, last);
                (to_come && at > self.now && at <= week).then_some(at)
            })
            .collect();
        // Reminders due the same local day go as one text (rule 5): one reservation a day.
        moments.sort_unstable();
        moments.dedup_by_key(|t| t.with_timezone(&facts.zone).date_naive());
        moments
    }

    /// One appointment's cells and verdict, given what was decided for it now.
    fn settle(&mut self, facts: &PatientFacts, i: usize, offset: Option<u32>, now_d: Option<Now>) {
        let now = self.now;
        let a = &self.appointments[i];
        let cells: Vec<ReminderCell> = self
            .offsets
            .iter()
            .map(|&o| {
                let state = if let Some(s) = self.recorded(a, o) {
                    s
                } else if Some(o) == offset {
                    match &now_d {
                        Some(Now::Send(_)) => ReminderState::Planned { due: now },
                        Some(Now::Hold(h)) => ReminderState::Skipped(h.reason.clone()),
                        None => ReminderState::Skipped(SkipReason::AlreadySent),
                    }
                } else if Self::moment(a, o) <= now {
                    ReminderState::Skipped(SkipReason::Superseded)
                } else {
                    let at = self.effective(a, o, facts.zone);
                    if at > self.cutoff(a) {
                        ReminderState::Skipped(SkipReason::TooClose)
                    } else {
                        ReminderState::Planned { due: at }
                    }
                };
                ReminderCell {
                    offset_hours: o,
                    state,
                    basis: Basis::Forecast,
                }
            })
            .collect();
        let next_due = cells
            .iter()
            .filter_map(|c| match c.state {
                ReminderState::Planned { due } if due > now => Some(due),
                _ => None,
            })
            .min();
        let nothing_sent = self.offsets.iter().all(|&o| !self.covered_at(a, o));
        let too_close = now > self.cutoff(a)
            || cells
                .iter()
                .any(|c| c.state == ReminderState::Skipped(SkipReason::TooClose));
        let verdict = match (now_d, next_due) {
            (Some(Now::Send(send)), _) => Verdict::Send { send },
            (Some(Now::Hold(h)), _) => Verdict::Skip(h),
            (None, Some(next_due)) => Verdict::Waiting { next_due },
            (None, None) => Verdict::Skip(Held {
                reason: if too_close && nothing_sent {
                    SkipReason::TooClose
                } else {
                    SkipReason::AlreadySent
                },
                retry_at: None,
            }),
        };
        if let Some(line) = self.lines.get_mut(i) {
            line.verdict = verdict;
            line.cells = cells;
        }
    }
}
