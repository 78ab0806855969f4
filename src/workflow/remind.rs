//! The automatic work behind `frontdesk remind` (SPEC §4, §5): the reminders due now (48 h /
//! 24 h by default), the onboarding welcome to newly added patients with consent (once), and
//! post-visit survey links when enabled — every rule applied, each text exactly once.
//!
//! Order of a run: take the send lock → send what waits (re-checked, crash leftovers
//! reconciled) → plan (pure) → render, gate and record every new text in one transaction →
//! dispatch → audit the run with every skip and its reason.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::json;

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::appointment::{Appointment, AppointmentStatus};
use crate::domain::audit::{AuditEntry, SYSTEM};
use crate::domain::batch::BatchEvent;
use crate::domain::ids::{AppointmentId, ClinicianId, MessageId, PatientId};
use crate::domain::message::{MessageKind, MessageStatus};
use crate::domain::reminder::{
    self, Held, PlanCounts, PlanInput, PlanMode, RecentSend, ReminderKey, SkipReason, Verdict,
};
use crate::domain::template::{Rendered, first_since_opt_in, wants_opt_out_notice};
use crate::phi::Gate;
use crate::store::{self, Conn, Store, StoreError};
use crate::workflow::dispatch::{self, Dispatcher};
use crate::workflow::facts::{self, Loaded};
use crate::workflow::outbound::{self, Outgoing, Recorded};
use crate::workflow::outbox::{self, FlushReport};
use crate::workflow::render::{self, RenderInput};
use crate::workflow::templates::{self, TemplateFlowError};
use crate::workflow::{WorkflowError, lock};

/// Patients added this recently (and opted in) get the onboarding welcome.
const WELCOME_WITHIN: Duration = Duration::days(14);
/// Survey links are not sent for visits older than this after their delay.
const SURVEY_WITHIN: Duration = Duration::days(2);

/// One line of the run's report: what happens to one appointment or one patient text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReportLine {
    pub kind: MessageKind,
    pub patient_id: PatientId,
    pub appointment_id: Option<AppointmentId>,
    /// `send`, `blocked`, `already_recorded`, `skip` or `wait`.
    pub action: &'static str,
    /// The skip, wait or block reason, in words.
    pub reason: Option<String>,
    pub message_id: Option<MessageId>,
}

/// What `remind` did (or, with `dry_run`, would do).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RemindReport {
    pub now: DateTime<Utc>,
    pub dry_run: bool,
    pub provider: String,
    /// Reminder plan counts (texts, appointments reminded, waiting, skipped).
    pub plan: PlanCounts,
    pub welcomes: usize,
    pub surveys: usize,
    /// New rows written (sent or about to be).
    pub recorded: usize,
    pub blocked: usize,
    pub sent: usize,
    pub failed: usize,
    /// Left queued for the next run (transient errors, stopped run).
    pub deferred: usize,
    /// Outcome unknown: left pending, reconciled before any retry.
    pub unknown: usize,
    /// Texts that had waited and went out, were withdrawn or still wait.
    pub outbox_sent: usize,
    pub outbox_withdrawn: usize,
    pub outbox_waiting: usize,
    /// The run stopped early (e.g. bad Twilio credentials).
    pub stopped: Option<String>,
    /// Why texts were left waiting for the next run (`deferred`, `unknown`), when known.
    pub waiting_reason: Option<String>,
    pub lines: Vec<ReportLine>,
}

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
    let now = clock.now();
    let mut report = RemindReport {
        now,
        dry_run,
        provider: d.provider.name().to_string(),
        ..RemindReport::default()
    };
    if !dry_run {
        store.write(|c| templates::ensure_defaults(c, now))?;
        let flushed: FlushReport =
            outbox::flush(d, store, config, gate, SYSTEM, clock, on_event).await?;
        report.outbox_sent = flushed.dispatch.sent;
        report.outbox_withdrawn = flushed.withdrawn;
        report.outbox_waiting = flushed.waiting;
        // Waiting texts that failed or still could not go count with this run's own.
        report.failed = flushed.dispatch.failed;
        report.deferred = flushed.dispatch.deferred;
        report.unknown = flushed.dispatch.unknown + flushed.unresolved;
        report.waiting_reason = flushed.dispatch.waiting_reason.or_else(|| {
            (flushed.unresolved > 0).then(|| {
                format!(
                    "{} earlier text(s) could not be checked with {} (did they arrive?); \
                     they stay unsent until it answers, next run",
                    flushed.unresolved,
                    d.provider.name()
                )
            })
        });
        if let Some(reason) = flushed.dispatch.stopped {
            report.stopped = Some(reason);
            let end = clock.now();
            store.write(|c| audit_run(c, &report, end))?;
            return Ok(report);
        }
    }

    let now = clock.now();
    let planned = plan_all(store.conn(), config, gate, now, dry_run)?;
    report.plan = planned.counts;
    report.lines = planned.lines;
    let mut ready = Vec::new();
    if !dry_run {
        let texts = planned.texts;
        let provider = d.provider.name();
        let outcomes = store.write(|c| {
            texts
                .iter()
                .map(|t| outbound::record(c, &t.outgoing, gate, provider, SYSTEM, now))
                .collect::<Result<Vec<_>, StoreError>>()
        })?;
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
                let line = &mut report.lines[i];
                match &outcome {
                    Recorded::Ready(id) => line.message_id = Some(*id),
                    Recorded::Duplicate(m) => {
                        line.action = "already_recorded";
                        line.message_id = Some(m.id);
                    }
                    Recorded::Blocked { id, reason } => {
                        line.action = "blocked";
                        line.reason = Some(reason.clone());
                        line.message_id = Some(*id);
                    }
                }
            }
        }
    }
    report.welcomes = report
        .lines
        .iter()
        .filter(|l| l.kind == MessageKind::Welcome && l.action == "send")
        .count();
    report.surveys = report
        .lines
        .iter()
        .filter(|l| l.kind == MessageKind::Survey && l.action == "send")
        .count();
    if dry_run {
        return Ok(report);
    }

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
    let end = clock.now();
    store.write(|c| audit_run(c, &report, end))?;
    tracing::info!(
        recorded = report.recorded,
        sent = report.sent,
        failed = report.failed,
        "remind run finished"
    );
    Ok(report)
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
}

/// Everything the run would send now, and every skip with its reason. Reads only.
fn plan_all(
    c: &Conn,
    config: &Config,
    gate: &Gate,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<Planned, WorkflowError> {
    let horizon = config
        .reminders
        .offsets_hours
        .iter()
        .copied()
        .max()
        .unwrap_or(48);
    let appointments = store::appointments::starting_between(
        c,
        now,
        now + Duration::hours(i64::from(horizon) + 24),
    )?;
    let patient_ids: Vec<PatientId> = appointments.iter().map(|a| a.patient_id).collect();
    let mut loaded = facts::load(c, config, &patient_ids, now, None)?;
    let facts_list: Vec<_> = patient_ids
        .iter()
        .filter_map(|p| loaded.get(p).map(|l| l.facts.clone()))
        .collect();
    // A double booking's text withdrawn before it went (one of its visits was cancelled or
    // moved) no longer speaks for the visits that remain: they earn a text of their own, under
    // a key of their own. Any other row keeps its key taken.
    let messages: Vec<_> = facts::reminder_rows(c, &patient_ids)?
        .into_iter()
        .filter(|m| {
            m.status != MessageStatus::Withdrawn
                || ReminderKey::parse(&m.key).is_none_or(|k| k.appointments().len() < 2)
        })
        .collect();
    let plan = reminder::plan(
        &config.reminders,
        now,
        PlanMode::Scheduled,
        &PlanInput {
            patients: &facts_list,
            appointments: &appointments,
            messages: &messages,
        },
    );
    let by_id: HashMap<AppointmentId, &Appointment> =
        appointments.iter().map(|a| (a.id, a)).collect();
    let clinicians: HashMap<ClinicianId, String> = store::reference::clinicians(c)?
        .into_iter()
        .map(|cl| (cl.id, cl.display_name))
        .collect();

    let mut out = Planned {
        counts: plan.counts(),
        lines: Vec::new(),
        texts: Vec::new(),
    };
    // Each send's text, by index into `out.texts`.
    let mut written: HashMap<usize, usize> = HashMap::new();
    for line in &plan.lines {
        let (action, reason) = match &line.verdict {
            Verdict::Send { .. } => ("send", None),
            Verdict::Waiting { next_due } => (
                "wait",
                Some(format!("next reminder due {}", next_due.to_rfc3339())),
            ),
            Verdict::Skip(held) => ("skip", Some(held_words(held))),
        };
        let kind = match &line.verdict {
            Verdict::Send { send } => plan
                .sends
                .get(*send)
                .map_or(MessageKind::Reminder24h, |s| s.kind),
            _ => MessageKind::Reminder24h,
        };
        out.lines.push(ReportLine {
            kind,
            patient_id: line.patient_id,
            appointment_id: Some(line.appointment_id),
            action,
            reason,
            message_id: None,
        });
        let Verdict::Send { send } = line.verdict else {
            continue;
        };
        // A double booking's appointments share one text: write it once, and let the later
        // appointment's line follow it.
        if let Some(&t) = written.get(&send) {
            let line = out.lines.len() - 1;
            if let Some(text) = out.texts.get_mut(t) {
                text.lines.push(line);
                let first = text.lines[0];
                let (action, reason) = (out.lines[first].action, out.lines[first].reason.clone());
                out.lines[line].action = action;
                out.lines[line].reason = reason;
            }
            continue;
        }
        let Some(s) = plan.sends.get(send) else {
            continue;
        };
        let Some(l) = loaded.get(&s.patient_id) else {
            continue;
        };
        let starts: Vec<DateTime<Utc>> = s.appointments().iter().map(|(_, t)| *t).collect();
        let first = s.appointments().first().and_then(|(id, _)| by_id.get(id));
        let clinician = first
            .and_then(|a| clinicians.get(&a.clinician_id))
            .map(String::as_str);
        let r = render_for(c, config, l, s.kind, &starts, clinician, s.opt_out_notice)?;
        let Some(to) = render::mobile(&l.patient).cloned() else {
            continue;
        };
        let outgoing = Outgoing {
            kind: s.kind,
            patient_id: s.patient_id,
            appointment_id: first.map(|a| a.id),
            key: s.key.to_string(),
            to,
            body: r.body,
            trusted: r.trusted,
        };
        if dry_run {
            preview(gate, &outgoing, out.lines.last_mut());
        }
        written.insert(send, out.texts.len());
        out.texts.push(Text {
            outgoing,
            lines: vec![out.lines.len() - 1],
        });
    }
    // What the reminders will send counts against the caps of the texts below.
    for t in &out.texts {
        if let Some(l) = loaded.get_mut(&t.outgoing.patient_id) {
            l.facts.recent.push(RecentSend {
                at: now,
                kind: t.outgoing.kind,
            });
            l.facts.last_outbound = Some(now);
        }
    }
    welcomes(c, config, gate, now, dry_run, &mut loaded, &mut out)?;
    if config.survey.enabled {
        surveys(c, config, gate, now, dry_run, &mut loaded, &mut out)?;
    }
    Ok(out)
}

fn held_words(held: &Held) -> String {
    match (&held.reason, held.retry_at) {
        (SkipReason::QuietHours { .. }, _) | (_, None) => held.reason.label(),
        (reason, Some(at)) => format!("{} (until {})", reason.label(), at.to_rfc3339()),
    }
}

fn render_for(
    c: &Conn,
    config: &Config,
    l: &Loaded,
    kind: MessageKind,
    starts: &[DateTime<Utc>],
    clinician: Option<&str>,
    opt_out_notice: bool,
) -> Result<Rendered, TemplateFlowError> {
    let template = templates::load(c, kind)?;
    render::render_trusted(
        config,
        &template,
        &RenderInput {
            kind,
            patient: &l.patient,
            starts,
            clinician,
            opt_out_notice,
        },
    )
}

/// In a dry run, say which texts the gate would refuse.
fn preview(gate: &Gate, o: &Outgoing, line: Option<&mut ReportLine>) {
    let refusal = outbound::screen_rendered(gate, &o.body, &o.trusted).refusal;
    if let (Some(reason), Some(line)) = (refusal, line) {
        line.action = "blocked";
        line.reason = Some(reason);
    }
}

/// One kind of patient text (welcome, survey) through the shared checks.
#[allow(clippy::too_many_arguments)]
fn patient_text(
    c: &Conn,
    config: &Config,
    gate: &Gate,
    now: DateTime<Utc>,
    dry_run: bool,
    l: &mut Loaded,
    kind: MessageKind,
    key: String,
    appointment: Option<&Appointment>,
    out: &mut Planned,
) -> Result<(), WorkflowError> {
    if store::messages::by_key(c, &key)?.is_some() {
        return Ok(());
    }
    let mut line = ReportLine {
        kind,
        patient_id: l.patient.id,
        appointment_id: appointment.map(|a| a.id),
        action: "send",
        reason: None,
        message_id: None,
    };
    if let Err(held) = reminder::send_check(&config.reminders, now, &l.facts, kind) {
        line.action = if held.retry_at.is_some() {
            "wait"
        } else {
            "skip"
        };
        line.reason = Some(held_words(&held));
        out.lines.push(line);
        return Ok(());
    }
    let Some(to) = render::mobile(&l.patient).cloned() else {
        return Ok(());
    };
    let notice = wants_opt_out_notice(
        kind,
        config.reminders.opt_out_notice,
        first_since_opt_in(&l.facts.consent, l.facts.last_outbound),
    );
    let starts: Vec<DateTime<Utc>> = appointment.map(|a| vec![a.start]).unwrap_or_default();
    let r = render_for(c, config, l, kind, &starts, None, notice)?;
    let outgoing = Outgoing {
        kind,
        patient_id: l.patient.id,
        appointment_id: appointment.map(|a| a.id),
        key,
        to,
        body: r.body,
        trusted: r.trusted,
    };
    out.lines.push(line);
    if dry_run {
        preview(gate, &outgoing, out.lines.last_mut());
    }
    out.texts.push(Text {
        outgoing,
        lines: vec![out.lines.len() - 1],
    });
    l.facts.recent.push(RecentSend { at: now, kind });
    l.facts.last_outbound = Some(now);
    Ok(())
}

/// The onboarding welcome, once, to patients added recently who have opted in.
fn welcomes(
    c: &Conn,
    config: &Config,
    gate: &Gate,
    now: DateTime<Utc>,
    dry_run: bool,
    loaded: &mut HashMap<PatientId, Loaded>,
    out: &mut Planned,
) -> Result<(), WorkflowError> {
    for id in store::patients::created_since(c, now - WELCOME_WITHIN)? {
        let key = reminder::welcome_key(id);
        offer(
            c,
            config,
            gate,
            now,
            dry_run,
            loaded,
            out,
            id,
            MessageKind::Welcome,
            key,
            None,
        )?;
    }
    Ok(())
}

/// Offer one patient text (welcome, survey) to a patient who can be texted at all; the
/// others are not "skipped", the text simply is not for them.
#[allow(clippy::too_many_arguments)]
fn offer(
    c: &Conn,
    config: &Config,
    gate: &Gate,
    now: DateTime<Utc>,
    dry_run: bool,
    loaded: &mut HashMap<PatientId, Loaded>,
    out: &mut Planned,
    patient: PatientId,
    kind: MessageKind,
    key: String,
    appointment: Option<&Appointment>,
) -> Result<(), WorkflowError> {
    if !loaded.contains_key(&patient) {
        loaded.extend(facts::load(c, config, &[patient], now, None)?);
    }
    let Some(l) = loaded.get_mut(&patient) else {
        return Ok(());
    };
    if l.facts.blocked().is_some() {
        return Ok(());
    }
    patient_text(
        c,
        config,
        gate,
        now,
        dry_run,
        l,
        kind,
        key,
        appointment,
        out,
    )
}

/// The post-visit survey link, once per completed visit, `delay_hours` after it ended.
fn surveys(
    c: &Conn,
    config: &Config,
    gate: &Gate,
    now: DateTime<Utc>,
    dry_run: bool,
    loaded: &mut HashMap<PatientId, Loaded>,
    out: &mut Planned,
) -> Result<(), WorkflowError> {
    let delay = Duration::hours(i64::from(config.survey.delay_hours));
    let visits = store::appointments::starting_between(
        c,
        now - delay - SURVEY_WITHIN - Duration::days(1),
        now,
    )?;
    for a in visits
        .iter()
        .filter(|a| a.status == AppointmentStatus::Completed)
    {
        let ended = a.start + Duration::minutes(i64::from(a.duration_minutes));
        if ended + delay > now || ended + delay + SURVEY_WITHIN < now {
            continue;
        }
        let key = reminder::survey_key(a.id);
        offer(
            c,
            config,
            gate,
            now,
            dry_run,
            loaded,
            out,
            a.patient_id,
            MessageKind::Survey,
            key,
            Some(a),
        )?;
    }
    Ok(())
}

/// One audit record per run, listing every skip with its reason (SPEC §5.10).
fn audit_run(c: &Conn, r: &RemindReport, now: DateTime<Utc>) -> Result<(), StoreError> {
    let skips: Vec<_> = r
        .lines
        .iter()
        .filter(|l| matches!(l.action, "skip" | "blocked"))
        .map(|l| json!({ "appointment": l.appointment_id.map(|a| a.0), "patient": l.patient_id.0, "kind": l.kind.as_str(), "reason": l.reason }))
        .collect();
    store::audit::append(
        c,
        &AuditEntry::new(
            now,
            SYSTEM,
            "remind.run",
            "reminders",
            json!({ "texts": r.plan.texts, "recorded": r.recorded, "sent": r.sent, "failed": r.failed,
                    "deferred": r.deferred, "blocked": r.blocked, "welcomes": r.welcomes, "surveys": r.surveys,
                    "stopped": r.stopped, "skipped": skips }),
        ),
    )?;
    Ok(())
}
