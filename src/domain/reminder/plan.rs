//! The reminder planner: for a set of appointments at `now`, which reminder texts go out now
//! and, for every appointment that gets none, why (SPEC §5.2, §5.5–§5.8; screen 4's preview
//! and the day view's reminder cells).
//!
//! Pure and fast: one pass with hash lookups. 1,000 appointments (800 patients, two zones,
//! history and message rows) plan in about 0.7 ms in a release build and 4 ms in a debug
//! build on the 2-core development VM (budget: 20 ms). The rules, in the order they apply:
//!
//! 1. Cancelled/arrived/completed/no-show → `NotOpen`; started → `Passed`.
//! 2. The patient: opted out, no consent, no mobile, number flagged (one reason, in that order).
//! 3. The patient's open appointments on one local day (patient's zone) form one group; the
//!    group's reminder moments are its first start minus each offset. With two or more still
//!    to be reminded, the text is one same-day-double covering them all.
//! 4. Of the offsets whose moment has passed, only the latest is sent; the earlier ones not
//!    yet sent are `Superseded`. An offset already under a message row is `AlreadySent`
//!    (whatever that row's status: the key is taken).
//! 5. Nothing within `min_lead_minutes` of an appointment's start (`TooClose`).
//! 6. Outside the allowed window → `QuietHours { until }`, the next allowed local minute
//!    (`TooClose` instead if that minute is already within the lead).
//! 7. Frequency caps per patient per local day and per rolling week, counting what this same
//!    plan sends as well → `FrequencyCap`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::key::ReminderKey;
use super::window::{Held, PatientFacts, RecentSend, cap_check, next_allowed, quiet_reason};
use super::{ReminderCell, ReminderState, SkipReason};
use crate::config::ReminderConfig;
use crate::domain::appointment::Appointment;
use crate::domain::ids::{AppointmentId, PatientId};
use crate::domain::message::{MessageKind, MessageStatus};
use crate::domain::template::{first_since_opt_in, wants_opt_out_notice};

/// Which question the plan answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanMode {
    /// `frontdesk remind`: send the reminders whose moment has come.
    #[default]
    Scheduled,
    /// The desk's reminder batch: send now, for every appointment, the latest due reminder
    /// or, when none is due, the next one early (its key then keeps the schedule from sending
    /// it again).
    DeskBatch,
}

/// A reminder message row as the planner needs it: the key it holds and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderMessage {
    pub key: String,
    pub status: MessageStatus,
    /// The provider's error code for a failure.
    pub error_code: Option<String>,
}

/// What the planner is given.
#[derive(Clone, Copy, Debug)]
pub struct PlanInput<'a> {
    /// The patients of `appointments` (an appointment whose patient is missing is treated as
    /// `NoConsent`: nothing is sent on a guess).
    pub patients: &'a [PatientFacts],
    /// Candidate appointments, each once, in the order lines should come back.
    pub appointments: &'a [Appointment],
    /// Every reminder message row (any status) of these appointments. Rows with other keys
    /// are ignored.
    pub messages: &'a [ReminderMessage],
}

/// One message to send now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedSend {
    /// The idempotency key; `key.to_string()` goes under the unique index.
    pub key: ReminderKey,
    /// `Reminder48h`/`Reminder24h` ([`kind_for_offset`]) or `SameDayDouble`.
    pub kind: MessageKind,
    pub patient_id: PatientId,
    /// Render times in this zone.
    pub zone: Tz,
    /// The reminder's moment (may be earlier than now: sent late, or deferred by quiet hours).
    pub due: DateTime<Utc>,
    /// Render `{opt_out}` with the notice (SPEC §5.9; `every` or first since opt-in).
    pub opt_out_notice: bool,
}

impl PlannedSend {
    /// The appointments this text reminds, in start order; the first gives `{date}`/`{time}`.
    pub fn appointments(&self) -> &[(AppointmentId, DateTime<Utc>)] {
        self.key.appointments()
    }
}

/// What happens to one appointment now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Goes out in `Plan::sends[send]` (shared by the appointments of a double booking).
    Send { send: usize },
    /// Nothing due yet; the next reminder goes at `next_due`.
    Waiting { next_due: DateTime<Utc> },
    /// Not sent now, and why.
    Skip(Held),
}

/// One appointment's line of the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanLine {
    pub appointment_id: AppointmentId,
    pub patient_id: PatientId,
    pub verdict: Verdict,
    /// One cell per configured offset, largest first.
    pub cells: Vec<ReminderCell>,
}

/// The planner's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Texts to send now, nearest appointment first.
    pub sends: Vec<PlannedSend>,
    /// One line per input appointment, in input order.
    pub lines: Vec<PlanLine>,
}

/// Line counts for the batch preview.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanCounts {
    /// Texts that go out (a double booking is one text for two lines).
    pub texts: usize,
    /// Appointments reminded by those texts.
    pub sending: usize,
    /// Appointments with nothing due yet.
    pub waiting: usize,
    /// Appointments skipped now, with a reason.
    pub skipped: usize,
}

impl Plan {
    pub fn counts(&self) -> PlanCounts {
        let mut c = PlanCounts {
            texts: self.sends.len(),
            ..PlanCounts::default()
        };
        for line in &self.lines {
            match line.verdict {
                Verdict::Send { .. } => c.sending += 1,
                Verdict::Waiting { .. } => c.waiting += 1,
                Verdict::Skip(_) => c.skipped += 1,
            }
        }
        c
    }
}

/// The template kind of a single-appointment reminder: above 24 hours the 48-hour wording,
/// otherwise the 24-hour one (the defaults name the date, never "tomorrow", so any offset
/// reads right).
pub fn kind_for_offset(offset_hours: u32) -> MessageKind {
    if offset_hours > 24 {
        MessageKind::Reminder48h
    } else {
        MessageKind::Reminder24h
    }
}

type Slot = (AppointmentId, DateTime<Utc>, u32);

/// Plan reminders at `now`; see the module docs for the rules.
pub fn plan(
    rules: &ReminderConfig,
    now: DateTime<Utc>,
    mode: PlanMode,
    input: &PlanInput<'_>,
) -> Plan {
    let mut offsets: Vec<u32> = rules
        .offsets_hours
        .iter()
        .copied()
        .filter(|&o| o > 0)
        .collect();
    offsets.sort_unstable_by(|a, b| b.cmp(a));
    offsets.dedup();
    let patients: HashMap<PatientId, &PatientFacts> =
        input.patients.iter().map(|p| (p.id, p)).collect();
    let mut sent: HashMap<Slot, &ReminderMessage> = HashMap::new();
    for m in input.messages {
        let Some(key) = ReminderKey::parse(&m.key) else {
            continue;
        };
        for &(id, start) in key.appointments() {
            let slot = (id, start, key.offset_hours());
            match sent.get(&slot) {
                Some(old) if rank(old.status) >= rank(m.status) => {}
                _ => {
                    sent.insert(slot, m);
                }
            }
        }
    }

    let mut planner = Planner {
        rules,
        now,
        mode,
        offsets: &offsets,
        sent: &sent,
        appointments: input.appointments,
        lines: Vec::with_capacity(input.appointments.len()),
        sends: Vec::new(),
        planned: HashMap::new(),
    };
    let mut groups: HashMap<(PatientId, NaiveDate), Vec<usize>> = HashMap::new();
    for (i, a) in input.appointments.iter().enumerate() {
        let facts = patients.get(&a.patient_id).copied();
        let reason = match facts {
            None => Some(SkipReason::NoConsent),
            Some(_) if !a.status.is_open() => Some(SkipReason::NotOpen {
                status: a.status.label().to_string(),
            }),
            Some(_) if a.start <= now => Some(SkipReason::Passed),
            Some(f) => f.blocked(),
        };
        // Lines of appointments that can still be reminded are filled in by `group` below;
        // the others are final here.
        let cells = offsets
            .iter()
            .map(|&o| ReminderCell {
                offset_hours: o,
                state: planner.recorded(a, o).unwrap_or_else(|| {
                    ReminderState::Skipped(reason.clone().unwrap_or(SkipReason::AlreadySent))
                }),
            })
            .collect();
        planner.lines.push(PlanLine {
            appointment_id: a.id,
            patient_id: a.patient_id,
            verdict: Verdict::Skip(Held {
                reason: reason.clone().unwrap_or(SkipReason::AlreadySent),
                retry_at: None,
            }),
            cells,
        });
        if let (None, Some(f)) = (reason, facts) {
            let day = a.start.with_timezone(&f.zone).date_naive();
            groups.entry((f.id, day)).or_default().push(i);
        }
    }
    let mut groups: Vec<Vec<usize>> = groups.into_values().collect();
    let appts = input.appointments;
    for g in &mut groups {
        g.sort_by_key(|&i| (appts[i].start, appts[i].id));
    }
    groups.sort_by_key(|g| g.first().map(|&i| (appts[i].start, appts[i].patient_id)));
    for g in &groups {
        if let Some(facts) = g.first().and_then(|&i| patients.get(&appts[i].patient_id)) {
            planner.group(facts, g);
        }
    }
    Plan {
        sends: planner.sends,
        lines: planner.lines,
    }
}

/// The day view's reminder cells: per appointment (input order), one cell per offset —
/// recorded message states where a row exists, otherwise what the schedule will do.
pub fn reminder_cells(
    rules: &ReminderConfig,
    now: DateTime<Utc>,
    input: &PlanInput<'_>,
) -> Vec<(AppointmentId, Vec<ReminderCell>)> {
    plan(rules, now, PlanMode::Scheduled, input)
        .lines
        .into_iter()
        .map(|l| (l.appointment_id, l.cells))
        .collect()
}

/// Which of two rows for the same reminder tells its story best.
fn rank(status: MessageStatus) -> u8 {
    match status {
        MessageStatus::Delivered => 6,
        MessageStatus::Sent | MessageStatus::Received => 5,
        MessageStatus::Queued | MessageStatus::Pending => 4,
        MessageStatus::Failed | MessageStatus::Undelivered => 3,
        MessageStatus::Blocked => 2,
        MessageStatus::Withdrawn => 1,
    }
}

fn recorded_state(m: &ReminderMessage) -> ReminderState {
    match m.status {
        MessageStatus::Pending | MessageStatus::Queued => ReminderState::Queued,
        MessageStatus::Sent | MessageStatus::Received => ReminderState::Sent,
        MessageStatus::Delivered => ReminderState::Delivered,
        MessageStatus::Failed | MessageStatus::Undelivered => ReminderState::Failed {
            code: m.error_code.clone(),
        },
        MessageStatus::Blocked => ReminderState::Skipped(SkipReason::BlockedByGate),
        MessageStatus::Withdrawn => ReminderState::Skipped(SkipReason::Withdrawn),
    }
}

struct Planner<'a> {
    rules: &'a ReminderConfig,
    now: DateTime<Utc>,
    mode: PlanMode,
    offsets: &'a [u32],
    sent: &'a HashMap<Slot, &'a ReminderMessage>,
    appointments: &'a [Appointment],
    lines: Vec<PlanLine>,
    sends: Vec<PlannedSend>,
    /// Sends planned in this run, per patient (they count against the caps).
    planned: HashMap<PatientId, Vec<RecentSend>>,
}

/// What the group does at the chosen offset, per appointment.
#[derive(Clone)]
enum Now {
    Send(usize),
    Hold(Held),
}

impl Planner<'_> {
    fn recorded(&self, a: &Appointment, offset: u32) -> Option<ReminderState> {
        self.sent
            .get(&(a.id, a.start, offset))
            .map(|m| recorded_state(m))
    }

    fn covered(&self, i: usize, offset: u32) -> bool {
        let a = &self.appointments[i];
        self.sent.contains_key(&(a.id, a.start, offset))
    }

    fn cutoff(&self, i: usize) -> DateTime<Utc> {
        self.appointments[i].start - Duration::minutes(i64::from(self.rules.min_lead_minutes))
    }

    /// Plan one patient's open appointments of one local day (sorted by start).
    fn group(&mut self, facts: &PatientFacts, g: &[usize]) {
        let Some(&first) = g.first() else {
            return;
        };
        let now = self.now;
        let first_start = self.appointments[first].start;
        let due = |o: u32| first_start - Duration::hours(i64::from(o));
        let open_at = |o: u32| g.iter().any(|&i| !self.covered(i, o));
        // Offsets are largest first, so moments come in time order.
        let latest_due = self.offsets.iter().copied().rfind(|&o| due(o) <= now);
        let chosen = match self.mode {
            PlanMode::Scheduled => latest_due,
            PlanMode::DeskBatch => latest_due.filter(|&o| open_at(o)).or_else(|| {
                self.offsets
                    .iter()
                    .copied()
                    .find(|&o| due(o) > now && open_at(o))
            }),
        };
        let mut decided: HashMap<usize, Now> = HashMap::new();
        if let Some(o) = chosen {
            self.decide(facts, g, o, due(o), &mut decided);
        }
        for &i in g {
            let a = &self.appointments[i];
            let cells: Vec<ReminderCell> = self
                .offsets
                .iter()
                .map(|&o| {
                    let state = if let Some(s) = self.recorded(a, o) {
                        s
                    } else if Some(o) == chosen {
                        match decided.get(&i) {
                            Some(Now::Send(_)) => ReminderState::Planned { due: now },
                            Some(Now::Hold(h)) => ReminderState::Skipped(h.reason.clone()),
                            None => ReminderState::Skipped(SkipReason::AlreadySent),
                        }
                    } else if due(o) <= now {
                        ReminderState::Skipped(SkipReason::Superseded)
                    } else {
                        let at = next_allowed(due(o), facts.zone, &self.rules.quiet_hours);
                        if at > self.cutoff(i) {
                            ReminderState::Skipped(SkipReason::TooClose)
                        } else {
                            ReminderState::Planned { due: at }
                        }
                    };
                    ReminderCell {
                        offset_hours: o,
                        state,
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
            let too_close = cells
                .iter()
                .any(|c| c.state == ReminderState::Skipped(SkipReason::TooClose));
            let verdict = match (decided.remove(&i), next_due) {
                (Some(Now::Send(send)), _) => Verdict::Send { send },
                (Some(Now::Hold(h)), _) => Verdict::Skip(h),
                (None, Some(next_due)) => Verdict::Waiting { next_due },
                (None, None) => Verdict::Skip(Held {
                    reason: if too_close && !chosen.is_some_and(|o| self.covered(i, o)) {
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

    /// Decide the chosen offset for the group's appointments not yet reminded at it.
    fn decide(
        &mut self,
        facts: &PatientFacts,
        g: &[usize],
        offset: u32,
        due: DateTime<Utc>,
        decided: &mut HashMap<usize, Now>,
    ) {
        let now = self.now;
        let hold = |reason, retry_at| Now::Hold(Held { reason, retry_at });
        let mut targets: Vec<usize> = Vec::new();
        for &i in g.iter().filter(|&&i| !self.covered(i, offset)) {
            if now > self.cutoff(i) {
                decided.insert(i, hold(SkipReason::TooClose, None));
            } else {
                targets.push(i);
            }
        }
        if targets.is_empty() {
            return;
        }
        let quiet = &self.rules.quiet_hours;
        let allowed = next_allowed(now, facts.zone, quiet);
        if allowed > now {
            for i in targets {
                let h = if allowed > self.cutoff(i) {
                    hold(SkipReason::TooClose, None)
                } else {
                    hold(quiet_reason(allowed, facts.zone), Some(allowed))
                };
                decided.insert(i, h);
            }
            return;
        }
        let planned = self.planned.entry(facts.id).or_default();
        let history: Vec<RecentSend> = facts.recent.iter().chain(planned.iter()).copied().collect();
        let (per_day, per_week) = (self.rules.max_per_day, self.rules.max_per_week);
        if let Err(free) = cap_check(now, facts.zone, &history, per_day, per_week) {
            let retry = next_allowed(free, facts.zone, quiet);
            for i in targets {
                let retry_at = (retry <= self.cutoff(i)).then_some(retry);
                decided.insert(i, hold(SkipReason::FrequencyCap, retry_at));
            }
            return;
        }
        let appts = self.appointments;
        let Some(key) = ReminderKey::group(
            targets.iter().map(|&i| (appts[i].id, appts[i].start)),
            offset,
        ) else {
            return;
        };
        // Counted on the key, which holds each appointment once even if the input repeats it.
        let kind = if key.appointments().len() > 1 {
            MessageKind::SameDayDouble
        } else {
            kind_for_offset(offset)
        };
        let last_outbound = facts.last_outbound.max(planned.iter().map(|s| s.at).max());
        let first = first_since_opt_in(&facts.consent, last_outbound);
        planned.push(RecentSend { at: now, kind });
        let index = self.sends.len();
        self.sends.push(PlannedSend {
            key,
            kind,
            patient_id: facts.id,
            zone: facts.zone,
            due,
            opt_out_notice: wants_opt_out_notice(kind, self.rules.opt_out_notice, first),
        });
        for i in targets {
            decided.insert(i, Now::Send(index));
        }
    }
}

/// SPEC §5.7: re-check a reminder that waited (in the offline outbox, or deferred) just
/// before it goes. `appointments` are the rows its key covers, as they are now; `patient`'s
/// `recent` must not include this message itself. `Ok` means it may go now; a `Held` with
/// `retry_at` means wait (quiet hours, cap); without, withdraw it.
pub fn recheck(
    rules: &ReminderConfig,
    now: DateTime<Utc>,
    patient: &PatientFacts,
    key: &ReminderKey,
    appointments: &[Appointment],
) -> Result<(), Held> {
    let held = |reason| {
        Err(Held {
            reason,
            retry_at: None,
        })
    };
    for &(id, start) in key.appointments() {
        let Some(a) = appointments.iter().find(|a| a.id == id) else {
            return held(SkipReason::NotOpen {
                status: "removed".into(),
            });
        };
        if a.start != start {
            // Rescheduled: this text names the old time; the new time earns its own key.
            return held(SkipReason::NotOpen {
                status: "rescheduled".into(),
            });
        }
        if !a.status.is_open() {
            return held(SkipReason::NotOpen {
                status: a.status.label().to_string(),
            });
        }
        if a.start <= now {
            return held(SkipReason::Passed);
        }
        if now > a.start - Duration::minutes(i64::from(rules.min_lead_minutes)) {
            return held(SkipReason::TooClose);
        }
    }
    super::window::send_check(rules, now, patient, kind_for_offset(key.offset_hours()))
}

#[cfg(test)]
mod tests;
