//! One-off sends through the same rules as everything else (SPEC §4 `send`, §5): a portal
//! prompt to one patient ("please log in: you have a new message / your results are ready /
//! …"), and a closure or schedule-change notice to everyone booked in a window.
//!
//! Each text gets consent, number, quiet-hours and cap checks, the PHI gate, a row under its
//! idempotency key before the provider is called, and an audit record. A text held by quiet
//! hours or a cap is recorded and waits (`not_before`) for the next `remind`/`sync` run.

use crate::store::Db;
use crate::store::Write;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::appointment::Appointment;
use crate::domain::batch::BatchEvent;
use crate::domain::deadline;
use crate::domain::ids::{AppointmentId, MessageId, PatientId};
use crate::domain::message::{Message, MessageKind};
use crate::domain::reminder::{self, Held, SkipReason};
use crate::domain::report::SendOutcome;
use crate::domain::template::{first_since_opt_in, wants_opt_out_notice};
use crate::phi::Gate;
use crate::store::callbacks::NewCallback;
use crate::store::{self, Store};
use crate::workflow::dispatch::{self, Dispatcher};
use crate::workflow::record_text::{self, Outgoing, Recorded};
use crate::workflow::render::{self, RenderInput};
use crate::workflow::{WorkflowError, callbacks, lock, rebook, templates, typed, waiting};
use crate::workflow::{facts, outcome};

/// What happened to one text of a one-off send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SendLine {
    pub patient_id: PatientId,
    pub appointment_id: Option<AppointmentId>,
    /// `sent`, `in_outbox` (held by the offline outbox), `failed`, `queued` (waits for the
    /// provider or the next run), `deferred`
    /// (quiet hours or cap), `skipped`, `blocked`, `already_sent`, `would_send`.
    pub outcome: SendOutcome,
    pub reason: Option<String>,
    pub message_id: Option<MessageId>,
    /// The patient went on the call-back list: the text cannot reach them in time.
    pub callback: bool,
    /// The provider's error code of a failure (its meaning is in `reason`).
    pub code: Option<String>,
    /// A dry run's rendered text, as it would go out (for the desk's preview; never printed
    /// by the commands).
    #[serde(skip)]
    pub body: Option<String>,
}

/// What a one-off send did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SendReport {
    pub kind: Option<MessageKind>,
    pub dry_run: bool,
    pub lines: Vec<SendLine>,
    pub stopped: Option<String>,
}

impl SendReport {
    /// How many lines ended with this outcome.
    pub fn count(&self, outcome: SendOutcome) -> usize {
        self.lines.iter().filter(|l| l.outcome == outcome).count()
    }

    /// Some text could not be sent and will not go by itself (exit code 3).
    pub fn partly_failed(&self) -> bool {
        self.lines.iter().any(|l| l.outcome.is_failure())
    }
}

/// What every send from the desk (portal prompt, closure notice, custom text, a reminder
/// batch: `remind::desk`) goes out with: the provider, the practice's config and gate, the
/// one clock, and who sends it (the member at the desk, for the audit).
#[derive(Clone, Copy)]
pub struct Sending<'a> {
    pub dispatcher: &'a Dispatcher,
    pub config: &'a Config,
    pub gate: &'a Gate,
    pub clock: &'a Clock,
    pub actor: &'a str,
}

/// A "please log in to the portal" prompt to one patient. At most one of a kind per patient
/// per local day: a second click the same day is recognised and not sent again.
pub async fn portal_prompt(
    ctx: &Sending<'_>,
    store: &mut Store,
    patient: PatientId,
    kind: MessageKind,
    dry_run: bool,
) -> Result<SendReport, WorkflowError> {
    portal_prompts(ctx, store, &[patient], kind, dry_run).await
}

/// The same prompt to several patients at once (the desk's portal prompt screen, SPEC §3.5):
/// one line each, under one send lock, through the same path as a single prompt. A dry run
/// carries each rendered text (`SendLine::body`) as the gate judged it.
pub async fn portal_prompts(
    ctx: &Sending<'_>,
    store: &mut Store,
    patients: &[PatientId],
    kind: MessageKind,
    dry_run: bool,
) -> Result<SendReport, WorkflowError> {
    if !MessageKind::PORTAL_PROMPTS.contains(&kind) {
        return Err(WorkflowError::Invalid(format!(
            "{kind} is not a portal prompt"
        )));
    }
    let day = ctx
        .clock
        .now()
        .with_timezone(&ctx.config.practice.time_zone)
        .date_naive();
    let mut seen = std::collections::HashSet::new();
    let targets = patients
        .iter()
        .filter(|p| seen.insert(**p))
        .map(|&patient| Target {
            patient,
            appointment: None,
            key: format!("portal:{kind}:{patient}:{day}"),
            send_by: None,
        })
        .collect();
    let job = Job {
        kind,
        targets,
        typed: None,
    };
    one_off(ctx, store, job, dry_run).await
}

/// What one one-off send sends: its kind, to whom, and the words typed at the desk (`None`:
/// the practice's template for the kind).
struct Job<'t> {
    kind: MessageKind,
    targets: Vec<Target>,
    typed: Option<&'t str>,
}

struct Target {
    patient: PatientId,
    appointment: Option<Appointment>,
    key: String,
    /// Never sent at or after this instant (a closure's start).
    send_by: Option<DateTime<Utc>>,
}

async fn one_off(
    sending: &Sending<'_>,
    store: &mut Store,
    job: Job<'_>,
    dry_run: bool,
) -> Result<SendReport, WorkflowError> {
    let Sending {
        dispatcher: d,
        config,
        gate,
        clock,
        actor,
    } = *sending;
    let _lock = if dry_run { None } else { lock::acquire(store)? };
    let now = clock.now();
    if !dry_run {
        store.write(|c| templates::ensure_defaults(c, now))?;
    }
    let ctx = OneOff {
        config,
        gate,
        provider: d.provider.name(),
        actor,
        now,
        kind: job.kind,
        typed: job.typed,
    };
    let (lines, ready) = ctx.record_all(store, &job.targets, dry_run)?;
    let mut report = SendReport {
        kind: Some(job.kind),
        dry_run,
        lines,
        ..SendReport::default()
    };
    if dry_run {
        return Ok(report);
    }
    // The offline outbox holds waiting texts until a real provider takes them: nothing to
    // finish here, and a second click of the same send is recognised as before.
    let unfinished = if d.provider.is_offline() {
        Vec::new()
    } else {
        unfinished_of(store, &report.lines)?
    };
    let mut events: Vec<BatchEvent> = Vec::new();
    if !unfinished.is_empty() {
        // The same send started before and was cut short (a crash, a kill, a lost network):
        // its texts are recorded but never went, or went without our knowing. Finished now,
        // through the outbox's path — reconciled with the provider first, so none goes twice.
        let flush = waiting::FlushContext {
            config,
            gate,
            actor,
            clock,
        };
        let only = Some(&unfinished[..]);
        waiting::flush_these(d, store, &flush, only, &mut |e| events.push(e)).await?;
    }
    if !ready.is_empty() {
        let sent =
            dispatch::dispatch(d, store, &ready, actor, clock, &mut |e| events.push(e)).await?;
        report.stopped = sent.stopped;
    }
    for line in &mut report.lines {
        let Some(id) = line
            .message_id
            .filter(|id| ready.contains(id) || unfinished.contains(id))
        else {
            continue;
        };
        line.settle(&store::messages::get(&store, id)?, job.kind);
    }
    Ok(report)
}

/// The texts of `lines` an earlier run of the same send recorded but did not finish: rows
/// still waiting to be handed over (`pending` after a crash, `queued` without a provider id).
fn unfinished_of(store: &Store, lines: &[SendLine]) -> Result<Vec<MessageId>, WorkflowError> {
    let earlier: std::collections::HashSet<MessageId> = lines
        .iter()
        .filter(|l| l.outcome == SendOutcome::AlreadySent)
        .filter_map(|l| l.message_id)
        .collect();
    if earlier.is_empty() {
        return Ok(Vec::new());
    }
    Ok(store::messages::waiting_to_send(&store)?
        .into_iter()
        .map(|m| m.id)
        .filter(|id| earlier.contains(id))
        .collect())
}

impl SendLine {
    /// Bring a line whose text was just dispatched up to date with its row: the outcome, why,
    /// the provider's code of a failure, and whether the patient went on the call-back list
    /// (dispatch puts a closure notice that failed or came too late there).
    fn settle(&mut self, m: &Message, kind: MessageKind) {
        self.outcome = SendOutcome::of_row(m);
        self.reason = match self.outcome {
            SendOutcome::Sent | SendOutcome::InOutbox => None,
            SendOutcome::Failed => Some(outcome::failure_words(m)),
            _ => m.error_message.clone(),
        };
        self.code = m
            .error_code
            .clone()
            .filter(|_| self.outcome == SendOutcome::Failed);
        self.callback = matches!(self.outcome, SendOutcome::Failed | SendOutcome::Withdrawn)
            && deadline::calls_back(kind);
    }
}

/// What every line of one one-off send shares.
struct OneOff<'a> {
    config: &'a Config,
    gate: &'a Gate,
    provider: &'a str,
    actor: &'a str,
    now: DateTime<Utc>,
    kind: MessageKind,
    /// The words typed at the desk, instead of the kind's template.
    typed: Option<&'a str>,
}

impl OneOff<'_> {
    /// Every target read and checked first, then each recorded in its own transaction — or
    /// only previewed on a dry run: one line per target, and the texts ready to dispatch.
    fn record_all(
        &self,
        store: &mut Store,
        targets: &[Target],
        dry_run: bool,
    ) -> Result<(Vec<SendLine>, Vec<MessageId>), WorkflowError> {
        let planned = {
            let conn = &store;
            let mut out = Vec::new();
            for t in targets {
                out.push(prepare(conn, self, t)?);
            }
            out
        };
        let (mut lines, mut ready) = (Vec::new(), Vec::new());
        for (t, prep) in targets.iter().zip(planned) {
            let line = if dry_run {
                self.preview(t, prep)
            } else {
                store.write(|c| self.record(c, t, prep))?
            };
            if line.outcome == SendOutcome::Queued
                && let Some(id) = line.message_id
            {
                ready.push(id);
            }
            lines.push(line);
        }
        Ok((lines, ready))
    }

    fn line(&self, t: &Target, outcome: SendOutcome) -> SendLine {
        SendLine {
            patient_id: t.patient,
            appointment_id: t.appointment.as_ref().map(|a| a.id),
            outcome,
            reason: None,
            message_id: None,
            callback: false,
            code: None,
            body: None,
        }
    }

    /// "goes Thu Nov 26 08:00 EST", in the practice's zone.
    fn wait_words(&self, until: DateTime<Utc>) -> String {
        format!(
            "quiet hours: goes {}",
            deadline::local_label(until, self.config.practice.time_zone)
        )
    }

    /// A dry run's line: what would happen, writing nothing.
    fn preview(&self, t: &Target, prep: Prepared) -> SendLine {
        match prep {
            Prepared::NotSent(n) => SendLine {
                reason: Some(n.words()),
                callback: n.callback,
                ..self.line(t, n.outcome)
            },
            Prepared::AlreadySent(id) => SendLine {
                message_id: Some(id),
                ..self.line(t, SendOutcome::AlreadySent)
            },
            Prepared::Text {
                outgoing,
                wait_until,
            } => {
                let s = record_text::screen_rendered(self.gate, &outgoing.body, &outgoing.trusted);
                let outcome = if s.refusal.is_some() {
                    SendOutcome::Blocked
                } else {
                    SendOutcome::WouldSend
                };
                SendLine {
                    reason: s.refusal.or(wait_until.map(|w| self.wait_words(w))),
                    body: Some(outgoing.body),
                    ..self.line(t, outcome)
                }
            }
        }
    }

    /// A target that gets no text; with `callback`, its patient goes on the call-back list.
    fn not_sent(&self, c: &impl Write, t: &Target, n: NotSent) -> Result<SendLine, WorkflowError> {
        if n.callback {
            callbacks::add(
                c,
                &NewCallback {
                    key: &t.key,
                    patient_id: t.patient,
                    appointment_id: t.appointment.as_ref().map(|a| a.id),
                    message_id: None,
                    reason: &deadline::callback_reason(self.kind, &n.reason),
                    now: self.now,
                },
                self.actor,
            )?;
        }
        Ok(SendLine {
            reason: Some(n.words()),
            callback: n.callback,
            ..self.line(t, n.outcome)
        })
    }

    /// Record one target's text (or its skip, and a call-back when it cannot reach the
    /// patient in time) inside the caller's transaction.
    fn record(
        &self,
        c: &impl Write,
        t: &Target,
        prep: Prepared,
    ) -> Result<SendLine, WorkflowError> {
        // A closure takes the visit away whether or not its notice reaches the patient.
        if let (true, Some(a)) = (deadline::calls_back(self.kind), &t.appointment) {
            rebook::mark(c, a, &t.key, self.actor, self.now)?;
        }
        let (outgoing, wait_until) = match prep {
            Prepared::NotSent(n) => return self.not_sent(c, t, n),
            Prepared::AlreadySent(id) => {
                return Ok(SendLine {
                    message_id: Some(id),
                    ..self.line(t, SendOutcome::AlreadySent)
                });
            }
            Prepared::Text {
                outgoing,
                wait_until,
            } => (outgoing, wait_until),
        };
        let r = record_text::record(c, &outgoing, self.gate, self.provider, self.actor, self.now)?;
        Ok(match r {
            Recorded::Ready(id) => match wait_until {
                Some(at) => {
                    store::messages::defer(c, id, at, self.now)?;
                    SendLine {
                        reason: Some(self.wait_words(at)),
                        message_id: Some(id),
                        ..self.line(t, SendOutcome::Deferred)
                    }
                }
                None => SendLine {
                    message_id: Some(id),
                    ..self.line(t, SendOutcome::Queued)
                },
            },
            Recorded::Duplicate(m) => SendLine {
                message_id: Some(m.id),
                ..self.line(t, SendOutcome::AlreadySent)
            },
            Recorded::Blocked { id, reason } => SendLine {
                reason: Some(format!("{reason}; send a portal prompt instead")),
                message_id: Some(id),
                ..self.line(t, SendOutcome::Blocked)
            },
        })
    }
}

/// A target that gets no text.
struct NotSent {
    /// `skipped`, or `unreadable` when the patient's record cannot be read.
    outcome: SendOutcome,
    reason: String,
    /// The patient goes on the call-back list for it.
    callback: bool,
}

impl NotSent {
    /// The line's words: the reason, and the call-back when there is one.
    fn words(&self) -> String {
        if self.callback {
            format!("{}; on the call-back list", self.reason)
        } else {
            self.reason.clone()
        }
    }
}

enum Prepared {
    NotSent(NotSent),
    AlreadySent(MessageId),
    Text {
        outgoing: Outgoing,
        wait_until: Option<DateTime<Utc>>,
    },
}

/// Checks and renders one text (reads only).
fn prepare(c: &impl Db, ctx: &OneOff<'_>, t: &Target) -> Result<Prepared, WorkflowError> {
    let (config, now, kind) = (ctx.config, ctx.now, ctx.kind);
    if let Some(m) = store::messages::by_key(c, &t.key)? {
        return Ok(Prepared::AlreadySent(m.id));
    }
    let (loaded, unreadable) = facts::load_each(c, config, &[t.patient], now, None)?;
    let Some(l) = loaded.get(&t.patient) else {
        // One patient's unreadable record: reported, and for a closure a call-back.
        let reason = unreadable
            .into_iter()
            .next()
            .map_or_else(|| format!("patient {} not found", t.patient), |u| u.reason);
        return Ok(Prepared::NotSent(NotSent {
            outcome: SendOutcome::Unreadable,
            callback: deadline::calls_back(kind),
            reason,
        }));
    };
    let checked = deadline::apply(
        now,
        t.send_by,
        reminder::send_check(&config.reminders, now, &l.facts, kind),
    );
    let wait_until = match checked {
        Ok(()) => None,
        Err(Held {
            retry_at: Some(at), ..
        }) => Some(at),
        Err(Held {
            reason,
            retry_at: None,
        }) => return Ok(skip(kind, &reason, t.send_by, config)),
    };
    let Some(to) = render::mobile(&l.patient).cloned() else {
        return Ok(skip(kind, &SkipReason::NoMobile, t.send_by, config));
    };
    let notice = wants_opt_out_notice(
        kind,
        config.reminders.opt_out_notice,
        first_since_opt_in(&l.facts.consent, l.facts.last_outbound),
    );
    let r = match ctx.typed {
        Some(words) => {
            let composed = typed::compose(&config.practice.name, words, notice);
            crate::domain::template::Rendered {
                body: composed.body,
                trusted: composed.trusted,
            }
        }
        None => {
            let starts: Vec<DateTime<Utc>> = t.appointment.iter().map(|a| a.start).collect();
            let template = templates::load(c, kind)?;
            render::render_trusted(
                config,
                &template,
                &RenderInput {
                    kind,
                    patient: &l.patient,
                    starts: &starts,
                    clinician: None,
                    opt_out_notice: notice,
                },
            )?
        }
    };
    Ok(Prepared::Text {
        outgoing: Outgoing {
            kind,
            patient_id: t.patient,
            appointment_id: t.appointment.as_ref().map(|a| a.id),
            key: t.key.clone(),
            to,
            body: r.body,
            trusted: r.trusted,
            send_by: t.send_by,
        },
        wait_until,
    })
}

/// A text that will not go: its reason in words, and whether its patient goes on the
/// call-back list (a closure notice that cannot reach them before the closure begins).
fn skip(
    kind: MessageKind,
    why: &SkipReason,
    send_by: Option<DateTime<Utc>>,
    config: &Config,
) -> Prepared {
    let callback = deadline::calls_back(kind);
    let mut reason = why.label();
    if let (SkipReason::TooLate, Some(by)) = (why, send_by) {
        reason = format!(
            "{reason} ({})",
            deadline::local_label(by, config.practice.time_zone)
        );
    }
    Prepared::NotSent(NotSent {
        outcome: SendOutcome::Skipped,
        reason,
        callback,
    })
}

mod closure;
mod window;
pub use closure::{ClosureNotice, closure};
pub use window::{parse_local, parse_local_in};

#[cfg(test)]
mod tests;
