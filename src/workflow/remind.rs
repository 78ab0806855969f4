//! The automatic work behind `frontdesk remind` (SPEC §4, §5): the reminders due now (48 h /
//! 24 h by default), the onboarding welcome to newly added patients with consent (once), and
//! post-visit survey links when enabled — every rule applied, each text exactly once.
//!
//! Order of a run: take the send lock → send what waits (re-checked, crash leftovers
//! reconciled) → plan (pure) → render, gate and record every new text in one transaction →
//! dispatch → read every text's row back into its report line → audit the run with every
//! skip, failure and unreadable record and its reason.
//!
//! One bad row never stops the others: an appointment or patient whose record cannot be read
//! gets an `unreadable` line naming the patient id, and the run goes on.

mod decisions;
pub mod desk;
mod extras;
mod report;

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::appointment::Appointment;
use crate::domain::audit::SYSTEM;
use crate::domain::batch::BatchEvent;
use crate::domain::deadline::local_label;
use crate::domain::ids::{AppointmentId, ClinicianId, PatientId};
use crate::domain::message::{MessageKind, MessageStatus};
use crate::domain::reminder::{
    self, Held, PlanCounts, PlanInput, PlanMode, PlannedSend, RecentSend, ReminderKey, SkipReason,
    Verdict,
};
use crate::domain::report::LineAction;
use crate::domain::template::Rendered;
use crate::phi::Gate;
use crate::store::{self, Store, StoreError};
use crate::workflow::dispatch::{self, Dispatcher};
use crate::workflow::facts::{self, Loaded};
use crate::workflow::record_text::{self, Outgoing, Recorded};
use crate::workflow::render::{self, RenderInput};
use crate::workflow::templates::{self, TemplateFlowError};
use crate::workflow::waiting;
use crate::workflow::{WorkflowError, lock};

pub use report::{RemindReport, ReportLine};

/// Run the automatic work at `clock.now()`.
pub async fn run(
    d: &Dispatcher,
    store: &mut Store,
    config: &Config,
    gate: &Gate,
    clock: &Clock,
    dry_run: bool,
    on_event: &mut dyn FnMut(BatchEvent),
) -> Result<RemindReport, WorkflowError> {
    let _lock = if dry_run { None } else { lock::acquire(store)? };
    let tz = config.practice.time_zone;
    let mut report = RemindReport {
        now: clock.now(),
        dry_run,
        provider: d.provider.name().to_string(),
        ..RemindReport::default()
    };
    if !dry_run {
        let now = clock.now();
        store.write(|c| templates::ensure_defaults(c, now))?;
        let ctx = waiting::FlushContext {
            config,
            gate,
            actor: SYSTEM,
            clock,
        };
        let flushed = waiting::flush(d, store, &ctx, on_event).await?;
        report.add_flush(&store, &flushed, tz)?;
        if let Some(reason) = flushed.dispatch.stopped {
            report.stopped = Some(reason);
            return finish(store, report, clock);
        }
    }

    let now = clock.now();
    let planning = Planning {
        c: store,
        config,
        gate,
        now,
        dry_run,
        scope: Scope::DueNow,
    };
    let planned = planning.plan_all()?;
    report.plan = planned.counts;
    let first = report.lines.len();
    report.lines.extend(planned.lines);
    if dry_run {
        report.total();
        return Ok(report);
    }
    let ready = record_texts(store, &mut report, &planned.texts, first, (gate, SYSTEM))?;
    // Texts that waited and were refused on their re-check count too (the flush's lines).
    decisions::record(store, &planned.decisions, &report.lines, now)?;

    on_event(BatchEvent::Started { total: ready.len() });
    let sent = dispatch::dispatch(d, store, &ready, SYSTEM, clock, on_event).await?;
    report.sent = sent.sent;
    report.failed += sent.failed;
    report.deferred += sent.deferred;
    report.unknown += sent.unknown;
    report.waiting_reason = sent.waiting_reason.or(report.waiting_reason.take());
    report.stopped = report.stopped.take().or(sent.stopped);
    if report.stopped.is_none() {
        on_event(BatchEvent::Finished);
    }
    // Every line whose text was handed over now says what became of it.
    let end = clock.now();
    for line in &mut report.lines[first..] {
        if let Some(id) = line.message_id.filter(|id| ready.contains(id)) {
            line.settle(&store::messages::get(&store, id)?, end, tz);
        }
    }
    finish(store, report, clock)
}

/// Count the lines, audit the run, log it.
fn finish(
    store: &mut Store,
    mut report: RemindReport,
    clock: &Clock,
) -> Result<RemindReport, WorkflowError> {
    report.total();
    let end = clock.now();
    store.write(|c| report::audit_run(c, &report, end))?;
    tracing::info!(
        recorded = report.recorded,
        sent = report.sent,
        failed = report.totals.failed,
        unreadable = report.totals.unreadable,
        "remind run finished"
    );
    Ok(report)
}

/// Gate and record every planned text in one transaction; each line its text covers learns
/// its fate. Returns the rows to dispatch.
fn record_texts(
    store: &mut Store,
    report: &mut RemindReport,
    texts: &[Text],
    first: usize,
    (gate, actor): (&Gate, &str),
) -> Result<Vec<crate::domain::ids::MessageId>, WorkflowError> {
    let (provider, now) = (report.provider.clone(), report.now);
    let outcomes = store.write(|c| {
        texts
            .iter()
            .map(|t| record_text::record(c, &t.outgoing, gate, &provider, actor, now))
            .collect::<Result<Vec<_>, StoreError>>()
    })?;
    let mut ready = Vec::new();
    for (t, outcome) in texts.iter().zip(outcomes) {
        match &outcome {
            Recorded::Ready(id) => {
                ready.push(*id);
                report.recorded += 1;
            }
            Recorded::Duplicate(_) => {}
            Recorded::Blocked { .. } => report.blocked += 1,
        }
        // Every line the text covers (both appointments of a double booking) tells its fate.
        for &i in &t.lines {
            let line = &mut report.lines[first + i];
            match &outcome {
                Recorded::Ready(id) => line.message_id = Some(*id),
                Recorded::Duplicate(m) => {
                    line.action = LineAction::AlreadyRecorded;
                    line.message_id = Some(m.id);
                }
                Recorded::Blocked { id, reason } => {
                    line.action = LineAction::Blocked;
                    line.reason = Some(reason.clone());
                    line.message_id = Some(*id);
                }
            }
        }
    }
    Ok(ready)
}

/// A text the run will record.
struct Text {
    outgoing: Outgoing,
    /// Its lines in the report: one, or one per appointment of a double booking.
    lines: Vec<usize>,
}

struct Planned {
    counts: PlanCounts,
    lines: Vec<ReportLine>,
    texts: Vec<Text>,
    /// Due reminders held back (skipped, waiting): recorded as decided.
    decisions: Vec<reminder::ReminderDecision>,
}

/// What the reminders will send counts against the caps of the texts planned after them
/// (welcomes, surveys): each patient's facts gain a send at `now`.
fn count_against_caps(texts: &[Text], loaded: &mut HashMap<PatientId, Loaded>, now: DateTime<Utc>) {
    for t in texts {
        if let Some(l) = loaded.get_mut(&t.outgoing.patient_id) {
            l.facts.recent.push(RecentSend {
                at: now,
                kind: t.outgoing.kind,
            });
            l.facts.last_outbound = Some(now);
        }
    }
}

/// Which appointments a run plans for, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    /// `remind`: the reminders whose moment has come (the schedule).
    DueNow,
    /// The desk's batch (SPEC §3.4): appointments starting in `[from, to)`, each with its
    /// latest due reminder or its next one early; no welcomes or surveys.
    Desk {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
}

/// What planning one run reads and decides with (reads only).
struct Planning<'a> {
    c: &'a Store,
    config: &'a Config,
    gate: &'a Gate,
    now: DateTime<Utc>,
    dry_run: bool,
    scope: Scope,
}

impl Planning<'_> {
    fn tz(&self) -> Tz {
        self.config.practice.time_zone
    }

    /// Everything the run would send now, and every skip with its reason.
    fn plan_all(&self) -> Result<Planned, WorkflowError> {
        let mut out = Planned {
            counts: PlanCounts::default(),
            lines: Vec::new(),
            texts: Vec::new(),
            decisions: Vec::new(),
        };
        let (from, to) = self.window();
        let (appointments, mut loaded) = self.readable(from, to, &mut out)?;
        // The rest of these patients' coming week: their last reminders keep room under the
        // caps (the planner's rule 8).
        let (later, _) =
            store::appointments::starting_between_each(self.c, to, to + Duration::days(7))?;
        let later: Vec<Appointment> = later
            .into_iter()
            .filter(|a| loaded.contains_key(&a.patient_id))
            .collect();
        self.plan_reminders(&appointments, &later, &loaded, &mut out)?;
        count_against_caps(&out.texts, &mut loaded, self.now);
        if matches!(self.scope, Scope::Desk { .. }) {
            return Ok(out);
        }
        extras::welcomes(self, &mut loaded, &mut out)?;
        if self.config.survey.enabled {
            extras::surveys(self, &mut loaded, &mut out)?;
        }
        Ok(out)
    }

    /// The appointments a run plans for: from now to a day past the longest reminder offset,
    /// or every appointment of the desk's window (passed ones too: they say so).
    fn window(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let horizon = self
            .config
            .reminders
            .offsets_hours
            .iter()
            .copied()
            .max()
            .unwrap_or(48);
        match self.scope {
            Scope::DueNow => (
                self.now,
                self.now + Duration::hours(i64::from(horizon) + 24),
            ),
            Scope::Desk { from, to } => (from, to),
        }
    }

    /// The appointments starting in `[from, to)` whose records and patients can be read, and
    /// those patients' facts. Each appointment or patient that cannot be read is reported as
    /// an unreadable line instead of planned; the run goes on.
    fn readable(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        out: &mut Planned,
    ) -> Result<(Vec<Appointment>, HashMap<PatientId, Loaded>), WorkflowError> {
        let (appointments, bad) = store::appointments::starting_between_each(self.c, from, to)?;
        for b in bad {
            out.lines.push(report::unreadable_line(
                MessageKind::Reminder24h,
                b.patient_id,
                Some(b.id),
                format!(
                    "appointment {} of patient {} cannot be read ({}); fix it in the schedule",
                    b.id, b.patient_id, b.error
                ),
            ));
        }
        let patient_ids: Vec<PatientId> = appointments.iter().map(|a| a.patient_id).collect();
        let (loaded, unreadable) =
            facts::load_each(self.c, self.config, &patient_ids, self.now, None)?;
        let (appointments, skipped): (Vec<Appointment>, Vec<Appointment>) = appointments
            .into_iter()
            .partition(|a| loaded.contains_key(&a.patient_id));
        for a in skipped {
            let reason = unreadable
                .iter()
                .find(|u| u.patient == a.patient_id)
                .map_or_else(
                    || format!("patient {} not found", a.patient_id),
                    |u| u.reason.clone(),
                );
            out.lines.push(report::unreadable_line(
                MessageKind::Reminder24h,
                a.patient_id,
                Some(a.id),
                reason,
            ));
        }
        Ok((appointments, loaded))
    }

    /// The reminder plan (pure) for readable appointments, one line each, one text per send.
    fn plan_reminders(
        &self,
        appointments: &[Appointment],
        later: &[Appointment],
        loaded: &HashMap<PatientId, Loaded>,
        out: &mut Planned,
    ) -> Result<(), WorkflowError> {
        let patient_ids: Vec<PatientId> = appointments.iter().map(|a| a.patient_id).collect();
        let facts_list: Vec<_> = patient_ids
            .iter()
            .filter_map(|p| loaded.get(p).map(|l| l.facts.clone()))
            .collect();
        let messages = self.recorded_reminders(appointments, later)?;
        let mode = match self.scope {
            Scope::DueNow => PlanMode::Scheduled,
            Scope::Desk { .. } => PlanMode::DeskBatch,
        };
        let plan = reminder::plan(
            &self.config.reminders,
            self.now,
            mode,
            &PlanInput {
                patients: &facts_list,
                appointments,
                messages: &messages,
                later,
            },
        );
        out.counts = plan.counts();
        let by_id: HashMap<AppointmentId, &Appointment> =
            appointments.iter().map(|a| (a.id, a)).collect();
        let offsets = &self.config.reminders.offsets_hours;
        out.decisions.extend(plan.lines.iter().filter_map(|l| {
            let a = by_id.get(&l.appointment_id)?;
            reminder::due_decision(offsets, self.now, a, l)
        }));
        self.write_texts(&plan, &by_id, loaded, out)
    }

    /// The reminder rows that still hold their keys. A text for several visits withdrawn
    /// before it went because one of them was cancelled or moved no longer speaks for the
    /// visits that remain: they earn a text of their own, under a key of their own. Any other
    /// row keeps its key taken (planning the same key again would only find it taken).
    fn recorded_reminders(
        &self,
        appointments: &[Appointment],
        later: &[Appointment],
    ) -> Result<Vec<reminder::ReminderMessage>, WorkflowError> {
        let live: std::collections::HashSet<(AppointmentId, DateTime<Utc>)> = appointments
            .iter()
            .filter(|a| a.status.is_open())
            .map(|a| (a.id, a.start))
            .collect();
        Ok(
            facts::reminder_rows(self.c, appointments.iter().chain(later))?
                .into_iter()
                .filter(|m| {
                    m.status != MessageStatus::Withdrawn
                        || ReminderKey::parse(&m.key).is_none_or(|k| {
                            k.appointments().len() < 2
                                || k.appointments().iter().all(|part| live.contains(part))
                        })
                })
                .collect(),
        )
    }

    /// One report line per plan line, and one text per send (written once for a double
    /// booking, whose later line follows the first).
    fn write_texts(
        &self,
        plan: &reminder::Plan,
        by_id: &HashMap<AppointmentId, &Appointment>,
        loaded: &HashMap<PatientId, Loaded>,
        out: &mut Planned,
    ) -> Result<(), WorkflowError> {
        let clinicians: HashMap<ClinicianId, String> = store::reference::clinicians(self.c)?
            .into_iter()
            .map(|cl| (cl.id, cl.display_name))
            .collect();
        // Each send's text, by index into `out.texts`.
        let mut written: HashMap<usize, usize> = HashMap::new();
        for line in &plan.lines {
            let send = match line.verdict {
                Verdict::Send { send } => plan.sends.get(send).map(|s| (send, s)),
                _ => None,
            };
            out.lines.push(self.plan_line(line, send.map(|(_, s)| s)));
            let Some((send, s)) = send else {
                continue;
            };
            // A double booking's appointments share one text: write it once, and let the
            // later appointment's line follow it.
            if let Some(&t) = written.get(&send) {
                let line = out.lines.len() - 1;
                if let Some(text) = out.texts.get_mut(t) {
                    text.lines.push(line);
                    let first = text.lines[0];
                    out.lines[line].action = out.lines[first].action;
                    out.lines[line].reason = out.lines[first].reason.clone();
                }
                continue;
            }
            let Some(l) = loaded.get(&s.patient_id) else {
                continue;
            };
            let first = s.appointments().first().and_then(|(id, _)| by_id.get(id));
            let clinician = first
                .and_then(|a| clinicians.get(&a.clinician_id))
                .map(String::as_str);
            let Some(outgoing) = self.reminder_text(l, s, first.copied(), clinician)? else {
                if let Some(line) = out.lines.last_mut() {
                    line.action = LineAction::Skip;
                    line.reason = Some(SkipReason::NoMobile.label());
                }
                continue;
            };
            if self.dry_run {
                preview(self.gate, &outgoing, out.lines.last_mut());
            }
            written.insert(send, out.texts.len());
            out.texts.push(Text {
                outgoing,
                lines: vec![out.lines.len() - 1],
            });
        }
        Ok(())
    }

    /// The report line of one appointment's plan line.
    fn plan_line(&self, line: &reminder::PlanLine, send: Option<&PlannedSend>) -> ReportLine {
        let (action, reason) = match &line.verdict {
            Verdict::Send { .. } => (LineAction::Send, None),
            Verdict::Waiting { next_due } => (
                LineAction::Wait,
                Some(format!(
                    "next reminder due {}",
                    local_label(*next_due, self.tz())
                )),
            ),
            // The desk's batch leaves a reminder held by quiet hours to the schedule, which
            // sends it when the window opens: it waits, it is not skipped.
            Verdict::Skip(Held {
                reason: SkipReason::QuietHours { .. },
                retry_at: Some(at),
            }) if self.scope != Scope::DueNow => (
                LineAction::Wait,
                Some(format!(
                    "until {} (local)",
                    at.with_timezone(&self.tz()).format("%H:%M")
                )),
            ),
            Verdict::Skip(held) => (LineAction::Skip, Some(held_words(held, self.tz()))),
        };
        ReportLine {
            kind: send.map_or(MessageKind::Reminder24h, |s| s.kind),
            patient_id: line.patient_id,
            appointment_id: Some(line.appointment_id),
            action,
            reason,
            code: None,
            message_id: None,
            waited: false,
        }
    }

    /// Render one planned reminder; `None` when the patient has no mobile number to send to.
    fn reminder_text(
        &self,
        l: &Loaded,
        s: &PlannedSend,
        first: Option<&Appointment>,
        clinician: Option<&str>,
    ) -> Result<Option<Outgoing>, WorkflowError> {
        let starts: Vec<DateTime<Utc>> = s.appointments().iter().map(|(_, t)| *t).collect();
        let r = self.render_for(&RenderInput {
            kind: s.kind,
            patient: &l.patient,
            starts: &starts,
            clinician,
            opt_out_notice: s.opt_out_notice,
        })?;
        let Some(to) = render::mobile(&l.patient).cloned() else {
            return Ok(None);
        };
        Ok(Some(Outgoing {
            kind: s.kind,
            patient_id: s.patient_id,
            appointment_id: first.map(|a| a.id),
            key: s.key.to_string(),
            to,
            body: r.body,
            trusted: r.trusted,
            // Never sent once the first visit it names has begun.
            send_by: starts.first().copied(),
        }))
    }

    fn render_for(&self, input: &RenderInput<'_>) -> Result<Rendered, TemplateFlowError> {
        let template = templates::load(self.c, input.kind)?;
        render::render_trusted(self.config, &template, input)
    }
}

/// A skip or hold in words, any time in the practice's zone.
fn held_words(held: &Held, tz: Tz) -> String {
    match (&held.reason, held.retry_at) {
        (SkipReason::QuietHours { .. }, Some(at)) => {
            format!("quiet hours: goes {}", local_label(at, tz))
        }
        (_, None) => held.reason.label(),
        (reason, Some(at)) => format!("{} (until {})", reason.label(), local_label(at, tz)),
    }
}

/// In a dry run, say which texts the gate would refuse.
fn preview(gate: &Gate, o: &Outgoing, line: Option<&mut ReportLine>) {
    let refusal = record_text::screen_rendered(gate, &o.body, &o.trusted).refusal;
    if let (Some(reason), Some(line)) = (refusal, line) {
        line.action = LineAction::Blocked;
        line.reason = Some(reason);
    }
}
