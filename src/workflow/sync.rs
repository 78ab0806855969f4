//! `frontdesk sync` (SPEC §4, §5.3–§5.4, §5.7): fetch patients' replies and delivery statuses
//! from the provider, apply them, answer what needs an answer, then send what waits.
//!
//! Owns the poll loop and its persisted cursor (settings key `sync.cursor.<provider>`), the
//! application of delivery statuses, and the report. What one reply means and does lives in
//! [`reply`]. Each polled page is applied in one transaction together with the cursor that
//! follows it, so a crash replays a page rather than losing it — and replaying is harmless:
//! inbound rows are unique per provider id and statuses only move forward.
//!
//! Answers (HELP reply, opt-out and opt-in confirmations) are recorded through
//! [`record_text::record`](super::record_text::record) inside the page's transaction and sent with
//! [`dispatch`] afterwards; then [`waiting::flush`] re-checks and sends everything that waited.
//! Logs carry ids only — never a phone number or a body.

mod reply;

use crate::store::Write;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::audit::{Event, SYSTEM};
use crate::domain::batch::BatchEvent;
use crate::domain::ids::MessageId;
use crate::domain::message::{Direction, Message, MessageStatus};
use crate::domain::reply::ReplyKind;
use crate::domain::report::Totals;
use crate::phi::Gate;
use crate::provider::retry::{self, Jitter, SeededJitter};
use crate::provider::{Disposition, PollCursor, PollPage, SendReceipt, StatusUpdate, same_body};
use crate::store::{self, Store, StoreError};
use crate::workflow::consent::ConsentFlowError;
use crate::workflow::dispatch::{self, DispatchReport, Dispatcher};
use crate::workflow::outcome::{self, ReportLine};
use crate::workflow::templates::TemplateFlowError;
use crate::workflow::waiting::{self, FlushReport};
use crate::workflow::{WorkflowError, lock};

/// How far back the very first sync of a provider looks for replies and statuses.
pub const FIRST_POLL_WINDOW: Duration = Duration::days(3);

/// Poll calls per sync at most (each lists up to the provider's own page cap); whatever is
/// left is picked up by the next sync from the stored cursor.
pub const MAX_POLLS: usize = 20;

/// Why a sync could not finish. Provider refusals are not errors: they stop the run and are
/// reported in [`SyncReport::stopped`].
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Template(#[from] TemplateFlowError),
    #[error("{0}")]
    Consent(#[from] ConsentFlowError),
    /// The send lock could not be taken.
    #[error("{0}")]
    Workflow(#[from] WorkflowError),
}

/// Replies by how they were filed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReplyCounts {
    pub confirm: usize,
    pub reschedule: usize,
    pub opt_out: usize,
    pub cancel: usize,
    pub opt_in: usize,
    pub help: usize,
    /// Kept for a person in the reply inbox.
    pub other: usize,
}

impl ReplyCounts {
    fn add(&mut self, kind: ReplyKind) {
        *match kind {
            ReplyKind::Confirm => &mut self.confirm,
            ReplyKind::Reschedule => &mut self.reschedule,
            ReplyKind::OptOut => &mut self.opt_out,
            ReplyKind::Cancel => &mut self.cancel,
            ReplyKind::OptIn => &mut self.opt_in,
            ReplyKind::Help => &mut self.help,
            ReplyKind::Other => &mut self.other,
        } += 1;
    }

    /// Replies filed in all.
    pub fn total(&self) -> usize {
        self.confirm
            + self.reschedule
            + self.opt_out
            + self.cancel
            + self.opt_in
            + self.help
            + self.other
    }
}

/// The answers to patients' keywords (HELP reply, opt-out and opt-in confirmations).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AnswerCounts {
    /// New rows written (each under a key derived from the reply it answers).
    pub recorded: usize,
    /// Refused by the PHI gate or the length rule (a template edited badly).
    pub blocked: usize,
    /// Opt-out confirmations not sent because the STOP is more than 5 minutes old.
    pub too_late: usize,
    pub sent: usize,
    pub failed: usize,
    /// Left for the next run (transient errors).
    pub deferred: usize,
    /// Outcome unknown; reconciled with the provider before any retry.
    pub unknown: usize,
}

/// What the outbox flush at the end of a sync did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FlushCounts {
    pub reconciled: usize,
    pub withdrawn: usize,
    pub waiting: usize,
    pub blocked: usize,
    pub sent: usize,
    pub failed: usize,
    pub deferred: usize,
    pub unknown: usize,
}

impl From<&FlushReport> for FlushCounts {
    fn from(r: &FlushReport) -> Self {
        Self {
            reconciled: r.reconciled,
            withdrawn: r.withdrawn,
            waiting: r.waiting,
            blocked: r.blocked,
            sent: r.dispatch.sent,
            failed: r.dispatch.failed,
            deferred: r.dispatch.deferred,
            unknown: r.dispatch.unknown,
        }
    }
}

/// What a sync did. Serialised as the `--json` output of `frontdesk sync`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// "twilio" or "outbox".
    pub provider: String,
    /// Poll calls made.
    pub polls: usize,
    /// True when the provider listed everything; false when [`MAX_POLLS`] (or a stop) cut it
    /// short — the next sync continues from the stored cursor.
    pub complete: bool,
    /// The stored cursor was unreadable and polling started over from the first window
    /// (nothing is applied twice).
    pub cursor_reset: bool,
    /// Delivery statuses that moved a message of ours forward.
    pub statuses_applied: usize,
    /// Statuses about messages we do not know, or that would move one backwards.
    pub statuses_ignored: usize,
    /// Messages the provider had that no row knew, adopted by the row they came from (its
    /// send's answer was lost in a crash).
    pub adopted: usize,
    /// Replies by how they were filed.
    pub replies: ReplyCounts,
    /// Replies already applied by an earlier sync (a replayed page).
    pub replies_repeated: usize,
    /// Replies from numbers no patient has (kept in the inbox).
    pub unknown_senders: usize,
    /// Patients opted out by their reply (STOP, plain wording, CANCEL).
    pub opt_outs: usize,
    /// Patients opted back in by START/UNSTOP/YES.
    pub opt_ins: usize,
    /// Patients the provider reported as unsubscribed (Twilio 21610).
    pub provider_opt_outs: usize,
    /// Appointments confirmed by reply.
    pub confirmed: usize,
    /// Appointments newly flagged for a call-back.
    pub callbacks: usize,
    /// Numbers flagged as unable to receive texts (30003/30005/30006…).
    pub numbers_flagged: usize,
    /// Unread replies in the reply inbox after this sync.
    pub inbox_unread: i64,
    pub answers: AnswerCounts,
    pub flush: FlushCounts,
    /// Why the run stopped early, in words for staff (e.g. "check your Twilio credentials").
    pub stopped: Option<String>,
    /// The stop will repeat on every later run until someone fixes the setup (the provider
    /// refused the credentials or the configuration); a network failure is not one.
    pub stopped_for_good: bool,
    /// One line per text this sync sent or tried to send: the answers to patients' keywords,
    /// then the texts that waited (`waited`), each with what became of it — a failure with
    /// the provider's code and meaning.
    pub lines: Vec<ReportLine>,
    /// The lines counted by action (the summary is computed from these lines only).
    pub totals: Totals,
}

impl SyncReport {
    /// Some text could not be sent and will not go by itself (exit code 3).
    pub fn partly_failed(&self) -> bool {
        self.totals.partly_failed()
    }
}

/// The settings key under which a provider's poll cursor is kept.
pub fn cursor_key(provider: &str) -> String {
    format!("sync.cursor.{provider}")
}

/// Where polling starts when nothing is stored yet.
pub fn first_cursor(now: DateTime<Utc>) -> PollCursor {
    PollCursor::starting_at(now - FIRST_POLL_WINDOW)
}

/// Fetch and apply replies and delivery statuses, answer keywords, then flush the outbox.
pub async fn sync(
    d: &Dispatcher,
    store: &mut Store,
    config: &Config,
    gate: &Gate,
    clock: &Clock,
    on_event: &mut dyn FnMut(BatchEvent),
) -> Result<SyncReport, SyncError> {
    // One sender at a time: a `remind` running alongside must not take this run's fresh
    // answers for crash leftovers, nor this run's flush its reminders.
    let _lock = lock::acquire(store)?;
    let provider = d.provider.name();
    let run = Run {
        d,
        config,
        gate,
        clock,
        key: cursor_key(provider),
    };
    let mut report = SyncReport {
        provider: provider.to_string(),
        ..SyncReport::default()
    };
    let cursor = run.stored_cursor(store, &mut report)?;
    let answers = run.poll_all(store, cursor, &mut report).await?;
    if let Some(reason) = &report.stopped {
        // Nothing can reach the provider now: the answers stay recorded and go with the next
        // sync's flush (an opt-out confirmation only while it is still within 5 minutes).
        on_event(BatchEvent::Stopped {
            reason: reason.clone(),
        });
    } else {
        run.answer_and_flush(store, &answers, &mut report, on_event)
            .await?;
    }
    run.finish(store, &answers, &mut report)?;
    Ok(report)
}

/// One sync's fixed inputs.
struct Run<'a> {
    d: &'a Dispatcher,
    config: &'a Config,
    gate: &'a Gate,
    clock: &'a Clock,
    /// The settings key of this provider's poll cursor.
    key: String,
}

impl Run<'_> {
    /// The cursor the last sync stored, or the first window when there is none or it
    /// cannot be read (said in the report).
    fn stored_cursor(
        &self,
        store: &Store,
        report: &mut SyncReport,
    ) -> Result<PollCursor, SyncError> {
        let now = self.clock.now();
        Ok(match store::settings::get(&store, &self.key)? {
            None => first_cursor(now),
            Some(text) => PollCursor::decode(&text).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "stored poll cursor unreadable; polling from the first window");
                report.cursor_reset = true;
                first_cursor(now)
            }),
        })
    }

    /// Poll page after page, applying each in its own transaction, until the provider has
    /// no more or a poll fails. Returns the keyword answers recorded.
    async fn poll_all(
        &self,
        store: &mut Store,
        mut cursor: PollCursor,
        report: &mut SyncReport,
    ) -> Result<Vec<MessageId>, SyncError> {
        let d = self.d;
        let mut jitter: Box<dyn Jitter> = match d.jitter_seed {
            Some(seed) => Box::new(SeededJitter::new(seed)),
            None => Box::new(SeededJitter::from_entropy()),
        };
        let mut answers: Vec<MessageId> = Vec::new();
        while report.polls < MAX_POLLS {
            let polled =
                retry::retry(&d.policy, jitter.as_mut(), || d.provider.poll(&cursor)).await;
            report.polls += 1;
            let page = match polled {
                Ok(page) => page,
                Err(e) => {
                    tracing::warn!(code = ?e.code(), disposition = ?e.disposition(), "poll failed; sync stopped");
                    report.stopped = Some(e.to_string());
                    report.stopped_for_good = e.disposition() == Disposition::StopRun;
                    break;
                }
            };
            let applier = reply::Applier {
                config: self.config,
                gate: self.gate,
                provider: d.provider.name(),
                now: self.clock.now(),
            };
            let key = &self.key;
            let new_answers = store.write(|c| apply_page(c, &applier, key, &page, report))?;
            answers.extend(new_answers);
            cursor = page.cursor;
            if page.complete {
                report.complete = true;
                break;
            }
        }
        Ok(answers)
    }

    /// Send the keyword answers, then what waits in the outbox, while the provider answers.
    async fn answer_and_flush(
        &self,
        store: &mut Store,
        answers: &[MessageId],
        report: &mut SyncReport,
        on_event: &mut dyn FnMut(BatchEvent),
    ) -> Result<(), SyncError> {
        let (d, clock) = (self.d, self.clock);
        if !answers.is_empty() {
            let sent = dispatch::dispatch(d, store, answers, SYSTEM, clock, on_event).await?;
            add_dispatch(&mut report.answers, &sent);
            // A dispatch stops only on refused credentials or setup.
            report.stopped_for_good = sent.stopped.is_some();
            report.stopped = sent.stopped;
        }
        if report.stopped.is_none() {
            let ctx = waiting::FlushContext {
                config: self.config,
                gate: self.gate,
                actor: SYSTEM,
                clock,
            };
            let flushed = waiting::flush(d, store, &ctx, on_event).await?;
            report.flush = FlushCounts::from(&flushed);
            report.stopped = flushed.dispatch.stopped.clone();
            report.stopped_for_good = report.stopped.is_some();
            let tz = self.config.practice.time_zone;
            let lines = outcome::flush_lines(&store, &flushed, clock.now(), tz)?;
            report.lines.extend(lines);
        }
        Ok(())
    }

    /// The answers' lines first, the totals and the inbox count.
    fn finish(
        &self,
        store: &Store,
        answers: &[MessageId],
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let tz = self.config.practice.time_zone;
        let answer_lines = outcome::rows_lines(&store, answers, self.clock.now(), tz)?;
        report.lines.splice(0..0, answer_lines);
        report.totals = Totals::of(report.lines.iter().map(|l| l.action));
        report.inbox_unread = store::messages::inbox_count(&store)?;
        tracing::info!(
            polls = report.polls,
            statuses = report.statuses_applied,
            replies = report.replies.total(),
            answers = report.answers.sent,
            stopped = report.stopped.is_some(),
            "sync done"
        );
        Ok(())
    }
}

fn add_dispatch(counts: &mut AnswerCounts, r: &DispatchReport) {
    counts.sent += r.sent;
    counts.failed += r.failed;
    counts.deferred += r.deferred;
    counts.unknown += r.unknown;
}

/// Apply one page and store the cursor after it, inside one transaction. Returns the answers
/// recorded (to dispatch once the transaction has committed).
fn apply_page(
    c: &impl Write,
    applier: &reply::Applier<'_>,
    key: &str,
    page: &PollPage,
    report: &mut SyncReport,
) -> Result<Vec<MessageId>, SyncError> {
    for update in &page.statuses {
        apply_status(c, applier.provider, update, applier.now, report)?;
    }
    let mut answers = Vec::new();
    for sms in &page.inbound {
        if let Some(id) = applier.apply(c, sms, report)? {
            answers.push(id);
        }
    }
    store::settings::set(c, key, &page.cursor.encode())?;
    Ok(answers)
}

/// Apply one delivery status: forward only, unknown ids ignored; a number problem flags the
/// number, 21610 records an opt-out.
fn apply_status(
    c: &impl Write,
    provider: &str,
    update: &StatusUpdate,
    now: DateTime<Utc>,
    report: &mut SyncReport,
) -> Result<(), StoreError> {
    let known =
        store::messages::by_provider_id(c, Direction::Outbound, provider, &update.provider_id)?;
    let Some(before) = (match known {
        Some(m) => Some(m),
        None => adopt(c, provider, update, now, report)?,
    }) else {
        report.statuses_ignored += 1;
        return Ok(());
    };
    let code = update.error_code.map(|n| n.to_string());
    let after = store::messages::apply_provider_status(
        c,
        provider,
        &update.provider_id,
        update.status,
        code.as_deref(),
        now,
    )?;
    let Some(after) = after.filter(|m| m.status != before.status) else {
        report.statuses_ignored += 1;
        return Ok(());
    };
    report.statuses_applied += 1;
    store::audit::append(
        c,
        &Event::MessageStatus {
            message: after.id,
            kind: after.kind,
            patient: after.patient_id,
            from: before.status,
            to: after.status,
            code: code.as_deref(),
        }
        .entry(now, SYSTEM),
    )?;
    tracing::info!(message = after.id.0, status = after.status.as_str(), code = ?update.error_code, "delivery status applied");
    if !matches!(
        after.status,
        MessageStatus::Failed | MessageStatus::Undelivered
    ) {
        return Ok(());
    }
    // The same policy as a refusal on sending: what the code means for the records.
    if let Some(d) = update.disposition() {
        let decided = dispatch::decide_refusal(c, dispatch::refusal_of(d), &after)?;
        let written = decided.write(c, &after, code.as_deref(), now)?;
        report.numbers_flagged += written.numbers_flagged;
        report.provider_opt_outs += written.opt_outs;
    }
    Ok(())
}

/// A message the provider lists that no row knows: the row it came from is one whose send
/// outcome was lost (a crash between the provider taking it and the write-back). Matched by
/// recipient and body, created no earlier than the row was written (less the allowed clock
/// skew), oldest such row first — Twilio carries no key of ours on a message (SPEC §5.8,
/// docs/ARCHITECTURE.md). Returns the row, now carrying the provider's id.
fn adopt(
    c: &impl Write,
    provider: &str,
    update: &StatusUpdate,
    now: DateTime<Utc>,
    report: &mut SyncReport,
) -> Result<Option<Message>, StoreError> {
    let Some(copy) = &update.copy else {
        return Ok(None);
    };
    let row = store::messages::unsent_to(c, &copy.to)?
        .into_iter()
        .filter(|m| m.may_be_at_provider() && same_body(&m.body, &copy.body))
        .find(|m| {
            copy.created_at
                .is_none_or(|t| t >= m.created_at - crate::provider::twilio::CLOCK_SKEW)
        });
    let Some(row) = row else {
        return Ok(None);
    };
    let receipt = SendReceipt {
        provider_id: update.provider_id.clone(),
        status: MessageStatus::Queued,
        error_code: None,
        segments: None,
    };
    dispatch::adopt(c, &row, provider, &receipt, now)?;
    report.adopted += 1;
    tracing::info!(message = row.id.0, "adopted a message the provider had");
    store::messages::get(c, row.id).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn cursor_keys_are_per_provider() {
        assert_eq!(cursor_key("twilio"), "sync.cursor.twilio");
        assert_ne!(cursor_key("twilio"), cursor_key("outbox"));
    }

    #[test]
    fn the_first_poll_looks_three_days_back() {
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 14, 0, 0).unwrap();
        let c = first_cursor(now);
        assert_eq!(
            c.window_start(),
            chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
        );
        assert_eq!(c.seen_count(), 0);
    }

    #[test]
    fn reply_counts_add_up_by_filing() {
        let mut r = ReplyCounts::default();
        for k in ReplyKind::ALL {
            r.add(k);
        }
        r.add(ReplyKind::Other);
        assert_eq!(r.total(), 8);
        assert_eq!(r.other, 2);
        assert_eq!(r.cancel, 1);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["opt_out"], 1);
    }
}
