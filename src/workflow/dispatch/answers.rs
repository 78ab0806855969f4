//! The driving task's side of a dispatch: the answers from the sending tasks written back to
//! their rows (those that arrived together in one transaction), with their batch events and
//! their counts in the report. What a
//! final refusal does to the patient's record is `domain::provider_outcome`'s decision.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use super::writeback::{Taken, decide_refusal, fail, handed_over, refusal_of, too_late};
use super::{DispatchReport, TaskResult};
use crate::domain::batch::{BatchEvent, BatchItem};
use crate::domain::ids::MessageId;
use crate::domain::message::{Message, MessageStatus};
use crate::domain::provider_outcome::Fate;
use crate::domain::reminder::SkipReason;
use crate::provider::{Disposition, ProviderError};
use crate::store::{self, Store, StoreError, Tx};
use crate::workflow::callbacks;

/// Everything the write-back of one batch needs.
pub(super) struct Answers<'a> {
    pub store: &'a mut Store,
    /// The provider's name, stored with each row it took.
    pub provider: &'static str,
    pub actor: &'a str,
    pub rows: HashMap<MessageId, &'a Message>,
    pub items: &'a HashMap<MessageId, BatchItem>,
    pub report: DispatchReport,
    pub on_event: &'a mut dyn FnMut(BatchEvent),
}

/// At most this many answers share one transaction: enough that a fast provider's batch is not
/// a commit per text, few enough that another desk waiting to write is held for milliseconds.
const MAX_PER_COMMIT: usize = 64;
/// How long the first answer of a transaction waits for others to join it. A text's row says
/// `sent` at most this much later; a provider answering slower than this gets a commit per
/// text, as before.
const GATHER: Duration = Duration::from_millis(20);

/// `first` and the answers that arrive within [`GATHER`] of it, up to [`MAX_PER_COMMIT`].
pub(super) async fn gather(
    first: TaskResult,
    rx: &mut mpsc::UnboundedReceiver<TaskResult>,
) -> Vec<TaskResult> {
    let until = tokio::time::Instant::now() + GATHER;
    let mut arrived = vec![first];
    while arrived.len() < MAX_PER_COMMIT {
        match tokio::time::timeout_at(until, rx.recv()).await {
            Ok(Some(more)) => arrived.push(more),
            Ok(None) | Err(_) => break,
        }
    }
    arrived
}

impl Answers<'_> {
    /// Write the answers that arrived together back to their rows in one transaction, then
    /// tell the screen. One commit per text wrote every page the row's indexes and the audit
    /// chain touch into the WAL for each text; a run of them shares those pages. Safe for
    /// exactly once: every row was committed `pending` before its hand-over, so a crash before
    /// this commit leaves rows the next run reconciles with the provider, as before.
    pub fn take_all(
        &mut self,
        results: Vec<TaskResult>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut side = Side {
            provider: self.provider,
            actor: self.actor,
            report: &mut self.report,
            told: Vec::with_capacity(results.len()),
            now,
        };
        let (rows, items) = (&self.rows, self.items);
        self.store.write(|c| {
            for result in results {
                let id = result.id();
                if let (Some(m), Some(it)) = (rows.get(&id).copied(), items.get(&id).cloned()) {
                    side.take(c, m, it, result)?;
                }
            }
            Ok::<_, StoreError>(())
        })?;
        for event in side.told {
            (self.on_event)(event);
        }
        Ok(())
    }
}

/// One transaction's write-back: the rows' changes, the report's counts, and the events to
/// tell once the transaction has landed.
struct Side<'a> {
    provider: &'static str,
    actor: &'a str,
    report: &'a mut DispatchReport,
    told: Vec<BatchEvent>,
    now: DateTime<Utc>,
}

impl Side<'_> {
    /// Write one task's answer back to its row.
    fn take(
        &mut self,
        c: &Tx<'_>,
        m: &Message,
        it: BatchItem,
        result: TaskResult,
    ) -> Result<(), StoreError> {
        match result {
            TaskResult::TooLate(_) => {
                too_late(c, m, self.actor, self.now)?;
                self.told.push(BatchEvent::Skipped {
                    item: it,
                    reason: SkipReason::TooLate,
                });
                self.report.withdrawn += 1;
            }
            TaskResult::NotAttempted(_, until) => self.not_attempted(c, m.id, it, until)?,
            TaskResult::Done(_, Ok((receipt, attempts, reconciled))) => {
                let taken = Taken {
                    provider: self.provider,
                    receipt: &receipt,
                    attempts,
                    reconciled,
                };
                handed_over(c, m, &taken, self.actor, self.now)?;
                self.told.push(BatchEvent::Sent { item: it });
                self.report.sent += 1;
            }
            TaskResult::Done(_, Err(e)) => self.not_sent(c, m, it, &e)?,
        }
        Ok(())
    }

    /// Not tried this run (stopped, or the patient's window closed): queued, or deferred to
    /// the next allowed minute.
    fn not_attempted(
        &mut self,
        c: &Tx<'_>,
        id: MessageId,
        item: BatchItem,
        until: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        match until {
            Some(at) => store::messages::defer(c, id, at, self.now)?,
            None => store::messages::set_status(c, id, MessageStatus::Queued, None, self.now)?,
        }
        self.told.push(BatchEvent::Deferred { item, until });
        self.report.deferred += 1;
        Ok(())
    }

    /// The provider did not take it: waiting for the next run, or refused for good.
    fn not_sent(
        &mut self,
        c: &Tx<'_>,
        m: &Message,
        item: BatchItem,
        e: &ProviderError,
    ) -> Result<(), StoreError> {
        let code = e.code().map(|c| c.to_string());
        let reason = e.to_string();
        let d = e.disposition();
        match d {
            Disposition::Retry | Disposition::ReconcileThenRetry | Disposition::StopRun => {
                self.waiting(c, m, item, d, (code.as_deref(), &reason))
            }
            Disposition::RecordOptOut | Disposition::FlagNumber | Disposition::Fail => {
                self.refused(c, m, item, d, (code, reason))
            }
        }
    }

    /// Not sent this run: queued (known not to have left) or pending (may have left:
    /// reconciled before any retry).
    fn waiting(
        &mut self,
        c: &Tx<'_>,
        m: &Message,
        item: BatchItem,
        d: Disposition,
        (code, reason): (Option<&str>, &str),
    ) -> Result<(), StoreError> {
        let status = if d == Disposition::ReconcileThenRetry {
            MessageStatus::Pending
        } else {
            MessageStatus::Queued
        };
        store::messages::mark_attempt_failed(c, m.id, status, code, reason, self.now)?;
        self.told.push(BatchEvent::Deferred { item, until: None });
        let report = &mut *self.report;
        match d {
            Disposition::StopRun => {
                report.deferred += 1;
                report.stopped.get_or_insert_with(|| reason.to_string());
            }
            Disposition::ReconcileThenRetry => {
                report.unknown += 1;
                report.waiting_reason = Some(reason.to_string());
            }
            _ => {
                report.deferred += 1;
                report.waiting_reason = Some(reason.to_string());
            }
        }
        Ok(())
    }

    /// Refused for good: the row fails with the provider's code (or is withdrawn, when the
    /// provider already did what it was for), and the patients' records learn what the code
    /// means — in the same transaction as the row.
    fn refused(
        &mut self,
        c: &Tx<'_>,
        m: &Message,
        item: BatchItem,
        d: Disposition,
        (code, reason): (Option<String>, String),
    ) -> Result<(), StoreError> {
        let (actor, now) = (self.actor, self.now);
        let decided = decide_refusal(c, refusal_of(d), m)?;
        match decided.fate {
            Fate::Withdrawn => {
                let why = "the provider confirmed the opt-out itself";
                store::messages::set_status(c, m.id, MessageStatus::Withdrawn, Some(why), now)?;
            }
            Fate::Failed => {
                fail(c, m, code.as_deref(), &reason, actor, now)?;
                callbacks::for_message(c, m, &reason, actor, now)?;
            }
        }
        decided.write(c, m, code.as_deref(), now)?;
        match decided.fate {
            Fate::Withdrawn => {
                self.told.push(BatchEvent::Skipped {
                    item,
                    reason: SkipReason::Withdrawn,
                });
                self.report.withdrawn += 1;
            }
            Fate::Failed => {
                self.told.push(BatchEvent::Failed { item, code, reason });
                self.report.failed += 1;
            }
        }
        Ok(())
    }
}
