//! Progress of a send batch as events and the reducer that folds them (SPEC §3 screen 4, the
//! `remind`/`send` commands' stderr): counts, the gauge's ratio, and the failures a "retry
//! just the failures" run takes as its input.
//!
//! Pure: std, chrono, serde. The sending workflow emits [`BatchEvent`]s; the console and the
//! commands each fold them with [`BatchProgress::apply`], so both show the same numbers.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{AppointmentId, MessageId, PatientId};
use super::reminder::SkipReason;

pub mod window;

/// One unit of work in a batch. Events with equal items are about the same message.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BatchItem {
    pub patient_id: PatientId,
    /// The appointment it is about, if any (a double booking names the first).
    pub appointment_id: Option<AppointmentId>,
    /// The message row, once written (SPEC §5.8: before the provider is called).
    pub message_id: Option<MessageId>,
}

/// Something that happened in a batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum BatchEvent {
    /// A new batch of `total` items begins; earlier counts are forgotten.
    Started { total: usize },
    /// The provider accepted the message (or the outbox took it).
    Sent { item: BatchItem },
    /// A permanent failure, with the provider's code when there is one.
    Failed {
        item: BatchItem,
        code: Option<String>,
        /// What staff should know or do, in words.
        reason: String,
    },
    /// Not sent, by a rule (consent, quiet hours, cap, PHI gate…).
    Skipped { item: BatchItem, reason: SkipReason },
    /// Left waiting: transient errors outlasted the run's retries, or it was deferred.
    Deferred {
        item: BatchItem,
        until: Option<DateTime<Utc>>,
    },
    /// A transient error; trying again (`attempt` counts from 2).
    Retrying { item: BatchItem, attempt: u32 },
    /// The run ended normally.
    Finished,
    /// The run ended early and the rest was not attempted (e.g. "check your Twilio
    /// credentials").
    Stopped { reason: String },
}

/// A failure as the results list shows it and a retry run takes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchFailure {
    pub item: BatchItem,
    pub code: Option<String>,
    pub reason: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Sent,
    Failed,
    Skipped,
    Deferred,
}

/// The folded state of a batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchProgress {
    pub total: usize,
    pub sent: usize,
    pub failed: usize,
    pub skipped: usize,
    pub deferred: usize,
    /// Retry attempts made so far (transient errors).
    pub retries: usize,
    pub finished: bool,
    /// Why the run stopped early, if it did.
    pub stopped: Option<String>,
    /// Each item's latest outcome: an item retried to success no longer counts as failed.
    outcomes: HashMap<BatchItem, Outcome>,
    failures: Vec<BatchFailure>,
}

impl BatchProgress {
    pub fn new() -> Self {
        Self::default()
    }

    /// Fold one event.
    pub fn apply(&mut self, event: &BatchEvent) {
        match event {
            BatchEvent::Started { total } => {
                *self = Self {
                    total: *total,
                    ..Self::default()
                };
            }
            BatchEvent::Sent { item } => self.record(item, Outcome::Sent),
            BatchEvent::Failed { item, code, reason } => {
                self.record(item, Outcome::Failed);
                self.failures.push(BatchFailure {
                    item: item.clone(),
                    code: code.clone(),
                    reason: reason.clone(),
                });
            }
            BatchEvent::Skipped { item, .. } => self.record(item, Outcome::Skipped),
            BatchEvent::Deferred { item, .. } => self.record(item, Outcome::Deferred),
            BatchEvent::Retrying { .. } => self.retries += 1,
            BatchEvent::Finished => self.finished = true,
            BatchEvent::Stopped { reason } => {
                self.finished = true;
                self.stopped = Some(reason.clone());
            }
        }
    }

    /// Fold many events (a test, or replaying a log).
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a BatchEvent>) -> Self {
        let mut p = Self::new();
        for e in events {
            p.apply(e);
        }
        p
    }

    fn record(&mut self, item: &BatchItem, outcome: Outcome) {
        if let Some(old) = self.outcomes.insert(item.clone(), outcome) {
            *self.counter(old) -= 1;
            if old == Outcome::Failed {
                self.failures.retain(|f| &f.item != item);
            }
        }
        *self.counter(outcome) += 1;
    }

    fn counter(&mut self, outcome: Outcome) -> &mut usize {
        match outcome {
            Outcome::Sent => &mut self.sent,
            Outcome::Failed => &mut self.failed,
            Outcome::Skipped => &mut self.skipped,
            Outcome::Deferred => &mut self.deferred,
        }
    }

    /// Items with an outcome.
    pub fn done(&self) -> usize {
        self.sent + self.failed + self.skipped + self.deferred
    }

    /// Items a stopped run never reached.
    pub fn not_attempted(&self) -> usize {
        self.total.saturating_sub(self.done())
    }

    /// For the gauge: 0.0..=1.0. An empty batch that finished is complete.
    pub fn ratio(&self) -> f64 {
        if self.total == 0 {
            return if self.finished { 1.0 } else { 0.0 };
        }
        (self.done() as f64 / self.total as f64).min(1.0)
    }

    /// The failures still standing, in the order they happened.
    pub fn failures(&self) -> &[BatchFailure] {
        &self.failures
    }

    /// What a "retry just the failures" run takes.
    pub fn retry_items(&self) -> Vec<BatchItem> {
        self.failures.iter().map(|f| f.item.clone()).collect()
    }
}

impl BatchProgress {
    /// The progress line for texts handed to the offline outbox: what the outbox took is
    /// waiting there, not sent — `37/120 · to outbox 30 · failed 2 · …`.
    pub fn outbox_line(&self) -> String {
        self.line("to outbox")
    }

    fn line(&self, handed: &str) -> String {
        let mut line = format!(
            "{}/{} · {handed} {} · failed {} · skipped {} · deferred {}",
            self.done(),
            self.total,
            self.sent,
            self.failed,
            self.skipped,
            self.deferred
        );
        if let Some(reason) = &self.stopped {
            line.push_str(&format!(" · stopped: {reason}"));
        }
        line
    }
}

impl fmt::Display for BatchProgress {
    /// One line for stderr: `37/120 · sent 30 · failed 2 · skipped 4 · deferred 1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line("sent"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;

    fn item(n: i64) -> BatchItem {
        BatchItem {
            patient_id: PatientId(n),
            appointment_id: Some(AppointmentId(100 + n)),
            message_id: Some(MessageId(1000 + n)),
        }
    }

    fn failed(n: i64, code: &str) -> BatchEvent {
        BatchEvent::Failed {
            item: item(n),
            code: Some(code.into()),
            reason: "invalid number".into(),
        }
    }

    #[test]
    fn counts_and_ratio_follow_the_events() {
        let mut p = BatchProgress::new();
        assert_eq!(p.ratio(), 0.0);
        p.apply(&BatchEvent::Started { total: 5 });
        p.apply(&BatchEvent::Sent { item: item(1) });
        p.apply(&BatchEvent::Skipped {
            item: item(2),
            reason: SkipReason::QuietHours {
                until: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            },
        });
        assert_eq!(p.ratio(), 0.4);
        p.apply(&failed(3, "21211"));
        p.apply(&BatchEvent::Retrying {
            item: item(4),
            attempt: 2,
        });
        assert_eq!((p.done(), p.retries), (3, 1), "a retry is not an outcome");
        p.apply(&BatchEvent::Deferred {
            item: item(4),
            until: None,
        });
        p.apply(&BatchEvent::Sent { item: item(5) });
        p.apply(&BatchEvent::Finished);
        assert_eq!(
            (p.sent, p.failed, p.skipped, p.deferred, p.done()),
            (2, 1, 1, 1, 5)
        );
        assert_eq!(p.ratio(), 1.0);
        assert!(p.finished && p.stopped.is_none());
        assert_eq!(p.failures().len(), 1);
        assert_eq!(p.failures()[0].code.as_deref(), Some("21211"));
        assert_eq!(p.retry_items(), vec![item(3)]);
        assert_eq!(
            p.to_string(),
            "5/5 · sent 2 · failed 1 · skipped 1 · deferred 1"
        );
    }

    #[test]
    fn an_item_counts_once_with_its_latest_outcome() {
        let p = BatchProgress::from_events(&[
            BatchEvent::Started { total: 2 },
            failed(1, "30003"),
            BatchEvent::Sent { item: item(1) },
            BatchEvent::Sent { item: item(2) },
            BatchEvent::Sent { item: item(2) },
        ]);
        assert_eq!((p.sent, p.failed, p.done()), (2, 0, 2));
        assert!(p.failures().is_empty());
        assert_eq!(p.ratio(), 1.0);
    }

    #[test]
    fn a_retry_run_starts_from_the_failures_and_resets_the_counts() {
        let first = BatchProgress::from_events(&[
            BatchEvent::Started { total: 3 },
            BatchEvent::Sent { item: item(1) },
            failed(2, "30005"),
            failed(3, "30006"),
            BatchEvent::Finished,
        ]);
        let retry = first.retry_items();
        assert_eq!(retry, vec![item(2), item(3)]);
        let mut p = first.clone();
        p.apply(&BatchEvent::Started { total: retry.len() });
        assert_eq!((p.total, p.done(), p.finished), (2, 0, false));
        assert!(p.failures().is_empty());
        p.apply(&BatchEvent::Sent { item: item(2) });
        assert_eq!(p.ratio(), 0.5);
    }

    #[test]
    fn a_stopped_run_says_why_and_what_was_not_attempted() {
        let p = BatchProgress::from_events(&[
            BatchEvent::Started { total: 10 },
            BatchEvent::Sent { item: item(1) },
            BatchEvent::Stopped {
                reason: "check your Twilio credentials".into(),
            },
        ]);
        assert!(p.finished);
        assert_eq!(p.not_attempted(), 9);
        assert_eq!(p.ratio(), 0.1);
        assert!(
            p.to_string()
                .ends_with("· stopped: check your Twilio credentials"),
            "{p}"
        );
    }

    #[test]
    fn an_empty_batch_is_complete_once_finished() {
        let p =
            BatchProgress::from_events(&[BatchEvent::Started { total: 0 }, BatchEvent::Finished]);
        assert_eq!(p.ratio(), 1.0);
        // Events beyond the announced total never push the gauge past full.
        let p = BatchProgress::from_events(&[
            BatchEvent::Started { total: 1 },
            BatchEvent::Sent { item: item(1) },
            BatchEvent::Sent { item: item(2) },
        ]);
        assert_eq!(p.ratio(), 1.0);
    }

    #[test]
    fn events_serialise_for_json_output() {
        let e = BatchEvent::Retrying {
            item: item(1),
            attempt: 2,
        };
        let json = serde_json::to_string(&e).unwrap();
        assert!(json.contains("\"event\":\"retrying\""), "{json}");
        assert_eq!(serde_json::from_str::<BatchEvent>(&json).unwrap(), e);
    }
}
