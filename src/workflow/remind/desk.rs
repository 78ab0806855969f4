//! The desk's reminder batch for a chosen day or window (SPEC §3.4): the same planner,
//! renderer, gate, recording and dispatch as `remind`, under the same send lock, planned in
//! the desk's mode (every appointment of the window gets its latest due reminder, or its
//! next one early) and sent in small slices so that staff can cancel.
//!
//! Cancelling is only ever honoured between slices: a slice is recorded and handed over
//! whole, so when a batch stops every line is final — sent (or held by the offline outbox),
//! left queued for the next run by the provider's answer, or *not attempted*: never recorded,
//! its key free, so the schedule sends it in its own time. Nothing is left half-way.

use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};

use super::{Planning, RemindReport, Scope, Text, finish, record_texts};
use crate::domain::batch::window::LocalWindow;
use crate::domain::batch::{BatchEvent, BatchItem};
use crate::domain::ids::MessageId;
use crate::domain::reminder::SkipReason;
use crate::domain::report::LineAction;
use crate::store::{self, Store};
use crate::workflow::dispatch;
use crate::workflow::send::Sending;
use crate::workflow::waiting::{self, FlushContext};
use crate::workflow::{WorkflowError, lock, templates};

/// The reason a line that a cancelled batch never reached carries.
pub const NOT_ATTEMPTED: &str = "not attempted: the batch was cancelled";

/// The window `[from, to)` of appointments the batch is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Sending<'_> {
    fn planning<'s>(&'s self, store: &'s Store, w: Window, dry_run: bool) -> Planning<'s> {
        Planning {
            c: store,
            config: self.config,
            gate: self.gate,
            now: self.clock.now(),
            dry_run,
            scope: Scope::Desk {
                from: w.from,
                to: w.to,
            },
        }
    }

    fn report(&self, dry_run: bool) -> RemindReport {
        RemindReport {
            now: self.clock.now(),
            dry_run,
            provider: self.dispatcher.provider.name().to_string(),
            ..RemindReport::default()
        }
    }
}

/// What the batch would do now for every appointment of the window: writes nothing.
pub fn preview(run: &Sending<'_>, store: &Store, w: Window) -> Result<RemindReport, WorkflowError> {
    let planned = run.planning(store, w, true).plan_all()?;
    let mut report = run.report(true);
    report.plan = planned.counts;
    report.lines = planned.lines;
    report.total();
    Ok(report)
}

/// Send the batch for the window, re-planned under the send lock (a cron run may have sent
/// some meanwhile: their keys are taken). Stops between slices once `cancel` is set.
pub async fn send(
    run: &Sending<'_>,
    store: &mut Store,
    w: Window,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(BatchEvent),
) -> Result<RemindReport, WorkflowError> {
    let _lock = lock::acquire(store)?;
    let now = run.clock.now();
    store.write(|c| templates::ensure_defaults(c, now))?;
    let planned = run.planning(store, w, false).plan_all()?;
    let mut report = run.report(false);
    report.plan = planned.counts;
    report.lines = planned.lines;
    on_event(BatchEvent::Started {
        total: planned.texts.len(),
    });
    let slice = (run.config.sms.concurrency as usize).max(1);
    let mut pace = Pace::new(run.config.sms.rate_per_second);
    let mut slices = planned.texts.chunks(slice);
    let mut cancelled = false;
    for texts in slices.by_ref() {
        pace.wait_for(texts.len()).await;
        send_slice(run, store, &mut report, texts, on_event).await?;
        if report.stopped.is_some() {
            break;
        }
        if cancel.load(Ordering::SeqCst) {
            cancelled = true;
            break;
        }
    }
    let rest: Vec<&Text> = slices.flatten().collect();
    let cancelled = cancelled && !rest.is_empty();
    for t in &rest {
        for &i in &t.lines {
            report.lines[i].action = LineAction::Skip;
            report.lines[i].reason = Some(NOT_ATTEMPTED.into());
        }
    }
    if cancelled {
        report.stopped = Some(format!(
            "cancelled at the desk: {} text(s) not attempted; the schedule sends them in their own time",
            rest.len()
        ));
    }
    // What the desk's run decided about the reminders it held back, as `remind` records it.
    super::decisions::record(store, &planned.decisions, &report.lines, now)?;
    match &report.stopped {
        Some(reason) => on_event(BatchEvent::Stopped {
            reason: reason.clone(),
        }),
        None => on_event(BatchEvent::Finished),
    }
    finish(store, report, run.clock)
}

/// Record, gate and hand over one slice; every line it covers learns its fate.
async fn send_slice(
    run: &Sending<'_>,
    store: &mut Store,
    report: &mut RemindReport,
    texts: &[Text],
    on_event: &mut dyn FnMut(BatchEvent),
) -> Result<(), WorkflowError> {
    let ready = record_texts(store, report, texts, 0, (run.gate, run.actor))?;
    // A text the gate refused or an earlier run recorded is done with, for the gauge too.
    for t in texts {
        let Some(line) = t.lines.first().map(|&i| &report.lines[i]) else {
            continue;
        };
        let reason = match line.action {
            LineAction::Blocked => SkipReason::BlockedByGate,
            LineAction::AlreadyRecorded => SkipReason::AlreadySent,
            _ => continue,
        };
        on_event(BatchEvent::Skipped {
            item: BatchItem {
                patient_id: line.patient_id,
                appointment_id: line.appointment_id,
                message_id: line.message_id,
            },
            reason,
        });
    }
    let sent = dispatch::dispatch(
        run.dispatcher,
        store,
        &ready,
        run.actor,
        run.clock,
        on_event,
    )
    .await?;
    report.sent += sent.sent;
    report.failed += sent.failed;
    report.deferred += sent.deferred;
    report.unknown += sent.unknown;
    report.waiting_reason = sent.waiting_reason.or(report.waiting_reason.take());
    report.stopped = report.stopped.take().or(sent.stopped);
    let (end, tz) = (run.clock.now(), run.config.practice.time_zone);
    for t in texts {
        for &i in &t.lines {
            if let Some(id) = report.lines[i].message_id.filter(|id| ready.contains(id)) {
                report.lines[i].settle(&store::messages::get(&*store, id)?, end, tz);
            }
        }
    }
    Ok(())
}

/// "Retry only the failures": send again the rows of a batch that were left waiting
/// (transient errors, a stopped run), through the outbox's re-check — consent, number,
/// quiet hours and the appointment may have changed since. A refusal the provider made for
/// good is not retried (its number is flagged until staff fix it).
pub async fn retry(
    run: &Sending<'_>,
    store: &mut Store,
    ids: &[MessageId],
    on_event: &mut dyn FnMut(BatchEvent),
) -> Result<RemindReport, WorkflowError> {
    let _lock = lock::acquire(store)?;
    let mut report = run.report(false);
    on_event(BatchEvent::Started { total: ids.len() });
    let ctx = FlushContext {
        config: run.config,
        gate: run.gate,
        actor: run.actor,
        clock: run.clock,
    };
    let flushed = waiting::flush_these(run.dispatcher, store, &ctx, Some(ids), on_event).await?;
    report.add_flush(&*store, &flushed, run.config.practice.time_zone)?;
    report.stopped = flushed.dispatch.stopped.clone();
    match &report.stopped {
        Some(reason) => on_event(BatchEvent::Stopped {
            reason: reason.clone(),
        }),
        None => on_event(BatchEvent::Finished),
    }
    finish(store, report, run.clock)
}

/// The provider's rate across slices: each slice starts no sooner than the previous one's
/// texts could have gone at `rate_per_second`.
struct Pace {
    per_text: std::time::Duration,
    next: Option<tokio::time::Instant>,
}

impl Pace {
    fn new(rate_per_second: f64) -> Self {
        let per_text = if rate_per_second > 0.0 {
            std::time::Duration::from_secs_f64(1.0 / rate_per_second)
        } else {
            std::time::Duration::ZERO
        };
        Self {
            per_text,
            next: None,
        }
    }

    async fn wait_for(&mut self, texts: usize) {
        if let Some(at) = self.next {
            tokio::time::sleep_until(at).await;
        }
        let n = u32::try_from(texts).unwrap_or(u32::MAX);
        self.next = Some(tokio::time::Instant::now() + self.per_text * n);
    }
}

/// The window of one local day in the practice's zone.
pub fn day_window(day: chrono::NaiveDate, tz: chrono_tz::Tz) -> Window {
    Window::local(LocalWindow::day(day), tz)
}

impl Window {
    /// A window staff typed (local time), in the practice's zone.
    pub fn local(w: LocalWindow, tz: chrono_tz::Tz) -> Self {
        let (from, to) = w.in_zone(tz);
        Self { from, to }
    }
}

#[cfg(test)]
mod tests;
