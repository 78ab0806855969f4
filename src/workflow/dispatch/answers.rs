//! The driving task's side of a dispatch: each answer from the sending tasks written back to
//! its row in one small transaction, with its batch event and its count in the report. What a
//! final refusal does to the patient's record is `domain::provider_outcome`'s decision.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::writeback::{Taken, decide_refusal, fail, handed_over, refusal_of, too_late};
use super::{DispatchReport, TaskResult};
use crate::domain::batch::{BatchEvent, BatchItem};
use crate::domain::ids::MessageId;
use crate::domain::message::{Message, MessageStatus};
use crate::domain::provider_outcome::Fate;
use crate::domain::reminder::SkipReason;
use crate::provider::{Disposition, ProviderError, SendReceipt};
use crate::store::{self, Store, StoreError};
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

impl Answers<'_> {
    /// Write one task's answer back to its row.
    pub fn take(&mut self, result: TaskResult, now: DateTime<Utc>) -> Result<(), StoreError> {
        let id = match &result {
            TaskResult::Done(id, _) | TaskResult::NotAttempted(id, _) | TaskResult::TooLate(id) => {
                *id
            }
        };
        let (Some(m), Some(it)) = (self.rows.get(&id).copied(), self.items.get(&id).cloned())
        else {
            return Ok(());
        };
        match result {
            TaskResult::TooLate(_) => {
                self.store.write(|c| too_late(c, m, self.actor, now))?;
                (self.on_event)(BatchEvent::Skipped {
                    item: it,
                    reason: SkipReason::TooLate,
                });
                self.report.withdrawn += 1;
            }
            TaskResult::NotAttempted(_, until) => self.not_attempted(id, it, until, now)?,
            TaskResult::Done(_, Ok((receipt, attempts, reconciled))) => {
                self.sent(m, it, &receipt, (attempts, reconciled), now)?;
            }
            TaskResult::Done(_, Err(e)) => self.not_sent(m, it, &e, now)?,
        }
        Ok(())
    }

    /// Not tried this run (stopped, or the patient's window closed): queued, or deferred to
    /// the next allowed minute.
    fn not_attempted(
        &mut self,
        id: MessageId,
        item: BatchItem,
        until: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.store.write(|c| match until {
            Some(at) => store::messages::defer(c, id, at, now),
            None => store::messages::set_status(c, id, MessageStatus::Queued, None, now),
        })?;
        (self.on_event)(BatchEvent::Deferred { item, until });
        self.report.deferred += 1;
        Ok(())
    }

    fn sent(
        &mut self,
        m: &Message,
        item: BatchItem,
        receipt: &SendReceipt,
        (attempts, reconciled): (u32, bool),
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (provider, actor) = (self.provider, self.actor);
        self.store.write(|c| {
            let taken = Taken {
                provider,
                receipt,
                attempts,
                reconciled,
            };
            handed_over(c, m, &taken, actor, now)
        })?;
        (self.on_event)(BatchEvent::Sent { item });
        self.report.sent += 1;
        Ok(())
    }

    /// The provider did not take it: waiting for the next run, or refused for good.
    fn not_sent(
        &mut self,
        m: &Message,
        item: BatchItem,
        e: &ProviderError,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let code = e.code().map(|c| c.to_string());
        let reason = e.to_string();
        let d = e.disposition();
        match d {
            Disposition::Retry | Disposition::ReconcileThenRetry | Disposition::StopRun => {
                self.waiting(m, item, d, code.as_deref(), &reason, now)
            }
            Disposition::RecordOptOut | Disposition::FlagNumber | Disposition::Fail => {
                self.refused(m, item, d, code, reason, now)
            }
        }
    }

    /// Not sent this run: queued (known not to have left) or pending (may have left:
    /// reconciled before any retry).
    fn waiting(
        &mut self,
        m: &Message,
        item: BatchItem,
        d: Disposition,
        code: Option<&str>,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let status = if d == Disposition::ReconcileThenRetry {
            MessageStatus::Pending
        } else {
            MessageStatus::Queued
        };
        self.store
            .write(|c| store::messages::mark_attempt_failed(c, m.id, status, code, reason, now))?;
        (self.on_event)(BatchEvent::Deferred { item, until: None });
        let report = &mut self.report;
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
    /// means — all in one transaction.
    fn refused(
        &mut self,
        m: &Message,
        item: BatchItem,
        d: Disposition,
        code: Option<String>,
        reason: String,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let actor = self.actor;
        let fate = self.store.write(|c| {
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
            Ok::<_, StoreError>(decided.fate)
        })?;
        match fate {
            Fate::Withdrawn => {
                (self.on_event)(BatchEvent::Skipped {
                    item,
                    reason: SkipReason::Withdrawn,
                });
                self.report.withdrawn += 1;
            }
            Fate::Failed => {
                (self.on_event)(BatchEvent::Failed { item, code, reason });
                self.report.failed += 1;
            }
        }
        Ok(())
    }
}
