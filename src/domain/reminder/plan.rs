//! The reminder planner: for a set of appointments at `now`, which reminder texts go out now
//! and, for every appointment that gets none, why (SPEC §5.2, §5.5–§5.8; screen 4's preview
//! and the day view's reminder cells).
//!
//! Pure and fast: one pass per patient with hash lookups (1,000 appointments plan in well
//! under the 20 ms budget; `benches/messaging.rs` measures it). The rules, in the order they
//! apply:
//!
//! 1. Cancelled/arrived/completed/no-show → `NotOpen`; started → `Passed` (whatever is known
//!    of the patient: [`plannable`]).
//! 2. The patient: opted out, no consent, no mobile, number flagged (one reason, in that order).
//! 3. Each appointment's reminder moments are its start minus each offset; a moment in quiet
//!    hours moves to the next allowed minute, and one that would then fall within
//!    `min_lead_minutes` of the start is `TooClose`. An appointment's *last* reminder is its
//!    smallest offset that can still be sent in time.
//! 4. Of the moments that have passed, only the latest is sent, and only while it is still
//!    in its window: once more than half the time to the next reminder has gone by, a late
//!    reminder is dropped (`Superseded`) and the next one goes at its own moment — a missed
//!    48-hour reminder is not sent an hour before the 24-hour one. An offset already under a
//!    message row is `AlreadySent` (whatever that row's status: the key is taken).
//! 5. One text per patient per run: every appointment of the patient with a reminder due now
//!    goes in it, and so does every other one whose next reminder would fall later the same
//!    local day (it would otherwise be a second text that day) — several appointments within
//!    the reminder window become one text listing them. Each keeps its own offset in the key.
//! 6. Nothing within `min_lead_minutes` of an appointment's start (`TooClose`).
//! 7. Outside the allowed window → `QuietHours { until }`, the next allowed local minute
//!    (`TooClose` instead if that minute is already within the lead).
//! 8. The caps (per patient per local day and per rolling week) hold only the *earlier*
//!    reminders: a text that carries some appointment's last reminder goes whatever the caps
//!    say, and an earlier reminder goes only if it leaves room, in every day and week it
//!    touches, for the last reminders still to come (`later` appointments included) — the
//!    earlier ones give way (`FrequencyCap`). So every appointment of a consenting patient
//!    gets at least its last reminder.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::key::ReminderKey;
use super::window::{Held, PatientFacts};
use super::{Basis, ReminderCell, ReminderState, SkipReason};
use crate::domain::appointment::Appointment;
use crate::domain::ids::{AppointmentId, PatientId};
use crate::domain::message::{MessageKind, MessageStatus};
use crate::domain::reminder::rules::ReminderRules;

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
    /// Every reminder message row (any status) of these patients. Rows with other keys are
    /// ignored.
    pub messages: &'a [ReminderMessage],
    /// The same patients' open appointments beyond `appointments` (the rest of the coming
    /// week): no lines of their own; their last reminders are kept room for under the caps.
    pub later: &'a [Appointment],
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

/// Can `a` still be reminded at `now` (open, not started)? Rule 1 settles every other visit
/// from the visit and its recorded rows alone, so only these visits' patients need facts: a
/// reader may leave the others' out ([`PlanInput::patients`]).
pub fn plannable(a: &Appointment, now: DateTime<Utc>) -> bool {
    a.expects_reminders() && a.start > now
}

/// Plan reminders at `now`; see the module docs for the rules.
pub fn plan(
    rules: &ReminderRules,
    now: DateTime<Utc>,
    mode: PlanMode,
    input: &PlanInput<'_>,
) -> Plan {
    plan_noting_history(rules, now, mode, input).0
}

/// [`plan`], and the patients whose plan looked at their outbound history (`recent`,
/// `last_outbound`): those with a reminder due now that is neither too close nor in quiet
/// hours, which meets the caps or goes.
fn plan_noting_history(
    rules: &ReminderRules,
    now: DateTime<Utc>,
    mode: PlanMode,
    input: &PlanInput<'_>,
) -> (Plan, Vec<PatientId>) {
    let offsets = offsets_longest_first(rules);
    let patients: HashMap<PatientId, &PatientFacts> =
        input.patients.iter().map(|p| (p.id, p)).collect();
    let sent = best_recorded(input.messages);
    let mut planner = Planner {
        rules,
        now,
        mode,
        offsets: &offsets,
        sent: &sent,
        appointments: input.appointments,
        lines: Vec::with_capacity(input.appointments.len()),
        sends: Vec::new(),
        history_read: Vec::new(),
    };
    let by_patient = planner.first_lines(&patients);
    let appts = input.appointments;
    let mut groups: Vec<Vec<usize>> = by_patient.into_values().collect();
    for g in &mut groups {
        g.sort_by_key(|&i| (appts[i].start, appts[i].id));
    }
    groups.sort_by_key(|g| g.first().map(|&i| (appts[i].start, appts[i].patient_id)));
    for g in &groups {
        if let Some(facts) = g.first().and_then(|&i| patients.get(&appts[i].patient_id)) {
            let later: Vec<&Appointment> = input
                .later
                .iter()
                .filter(|a| a.patient_id == facts.id && a.expects_reminders() && a.start > now)
                .collect();
            planner.patient(facts, g, &later);
        }
    }
    copy_repeated_lines(&mut planner.lines);
    let plan = Plan {
        sends: planner.sends,
        lines: planner.lines,
    };
    (plan, planner.history_read)
}

/// The rules' offsets, positive, without repeats, longest first.
fn offsets_longest_first(rules: &ReminderRules) -> Vec<u32> {
    let mut offsets: Vec<u32> = rules
        .offsets_hours
        .iter()
        .copied()
        .filter(|&o| o > 0)
        .collect();
    offsets.sort_unstable_by(|a, b| b.cmp(a));
    offsets.dedup();
    offsets
}

/// For each (appointment, start, offset) a recorded text covers, the row that stands best
/// (a delivered one over a failed retry of the same reminder).
fn best_recorded(messages: &[ReminderMessage]) -> HashMap<Slot, &ReminderMessage> {
    let mut sent: HashMap<Slot, &ReminderMessage> = HashMap::new();
    for m in messages {
        let Some(key) = ReminderKey::parse(&m.key) else {
            continue;
        };
        for slot in key.each() {
            match sent.get(&slot) {
                Some(old) if rank(old.status) >= rank(m.status) => {}
                _ => {
                    sent.insert(slot, m);
                }
            }
        }
    }
    sent
}

/// A repeated appointment's later lines say what its first line says.
fn copy_repeated_lines(lines: &mut [PlanLine]) {
    let mut first_line: HashMap<AppointmentId, usize> = HashMap::new();
    for i in 0..lines.len() {
        let id = lines[i].appointment_id;
        match first_line.get(&id) {
            Some(&first) => lines[i] = lines[first].clone(),
            None => {
                first_line.insert(id, i);
            }
        }
    }
}

impl Planner<'_> {
    /// One line per appointment, final for those that cannot be reminded (no consent,
    /// closed, passed…); the others are grouped by patient, to be filled in per patient.
    fn first_lines(
        &mut self,
        patients: &HashMap<PatientId, &PatientFacts>,
    ) -> HashMap<PatientId, Vec<usize>> {
        let mut by_patient: HashMap<PatientId, Vec<usize>> = HashMap::new();
        let mut seen = std::collections::HashSet::new();
        for (i, a) in self.appointments.iter().enumerate() {
            // Rule 1 first: a closed or started visit needs no facts (see `plannable`).
            let reason = if !a.expects_reminders() {
                Some(SkipReason::NotOpen {
                    status: a.closed_status(),
                })
            } else if a.start <= self.now {
                Some(SkipReason::Passed)
            } else {
                match patients.get(&a.patient_id).copied() {
                    None => Some(SkipReason::NoConsent),
                    Some(f) => f.blocked(),
                }
            };
            let held = reason.clone().unwrap_or(SkipReason::AlreadySent);
            let cells = self
                .offsets
                .iter()
                .map(|&o| ReminderCell {
                    offset_hours: o,
                    state: self
                        .recorded(a, o)
                        .unwrap_or_else(|| ReminderState::Skipped(held.clone())),
                    basis: Basis::Forecast,
                })
                .collect();
            self.lines.push(PlanLine {
                appointment_id: a.id,
                patient_id: a.patient_id,
                verdict: Verdict::Skip(Held {
                    reason: held,
                    retry_at: None,
                }),
                cells,
            });
            // An appointment listed twice is planned once; its second line follows the first.
            if reason.is_none() && seen.insert(a.id) {
                by_patient.entry(a.patient_id).or_default().push(i);
            }
        }
        by_patient
    }
}

/// The day view's reminder cells: per appointment (input order), one cell per offset —
/// recorded message states where a row exists, otherwise what the schedule will do.
pub fn reminder_cells(
    rules: &ReminderRules,
    now: DateTime<Utc>,
    input: &PlanInput<'_>,
) -> Vec<(AppointmentId, Vec<ReminderCell>)> {
    cells_of(plan(rules, now, PlanMode::Scheduled, input))
}

/// The day view's cells from facts read without outbound history (`recent` empty,
/// `last_outbound` none), or the patients whose cells turn on it.
#[derive(Clone, Debug, PartialEq)]
pub enum CellsBeforeHistory {
    /// No patient's plan looked at their history: these are the cells whatever it holds.
    Ready(Vec<(AppointmentId, Vec<ReminderCell>)>),
    /// These patients' plans do (a reminder due now meets the caps, or goes): read their
    /// history and ask [`reminder_cells`]. Most days' visits have none — a reminder is
    /// written as soon as it is due — so a reader rarely reads history for the cells.
    NeedHistory(Vec<PatientId>),
}

/// [`reminder_cells`] for facts without history: [`CellsBeforeHistory`].
pub fn reminder_cells_before_history(
    rules: &ReminderRules,
    now: DateTime<Utc>,
    input: &PlanInput<'_>,
) -> CellsBeforeHistory {
    let (plan, history_read) = plan_noting_history(rules, now, PlanMode::Scheduled, input);
    if history_read.is_empty() {
        CellsBeforeHistory::Ready(cells_of(plan))
    } else {
        CellsBeforeHistory::NeedHistory(history_read)
    }
}

fn cells_of(plan: Plan) -> Vec<(AppointmentId, Vec<ReminderCell>)> {
    plan.lines
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

/// SPEC §5.7: re-check a reminder that waited (in the offline outbox, or deferred) just
/// before it goes — its appointments, consent, number and quiet hours; not the caps, which
/// were applied when it was planned. `appointments` are the rows its key covers, as they are now; `patient`'s
/// `recent` must not include this message itself. `Ok` means it may go now; a `Held` with
/// `retry_at` means wait (quiet hours, cap); without, withdraw it.
pub fn recheck(
    rules: &ReminderRules,
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
        if !a.expects_reminders() {
            return held(SkipReason::NotOpen {
                status: a.closed_status(),
            });
        }
        if a.start <= now {
            return held(SkipReason::Passed);
        }
        if now > a.start - Duration::minutes(i64::from(rules.min_lead_minutes)) {
            return held(SkipReason::TooClose);
        }
    }
    super::window::reach_check(rules, now, patient, kind_for_offset(key.offset_hours()))
}

mod planner;
use planner::Planner;

#[cfg(test)]
mod tests;
