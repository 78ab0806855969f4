//! Sending recorded rows through the provider (SPEC §5.7–§5.8): bounded concurrency, a rate
//! limit, retries with backoff and jitter, reconciliation after an unknown outcome, and every
//! answer written back with its audit record.
//!
//! The provider calls run as tokio tasks; the database is touched only here, in the driving
//! task, one small transaction per answer — so a crash at any point leaves each row either
//! `pending` (reconciled before any retry) or final.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Semaphore, mpsc};

use chrono_tz::Tz;

use crate::clock::Clock;
use crate::config::{Config, QuietHours};
use crate::domain::batch::{BatchEvent, BatchItem};
use crate::domain::ids::{MessageId, PatientId};
use crate::domain::message::{Message, MessageStatus};
use crate::domain::phone::E164;
use crate::domain::reminder::{allowed_until, next_allowed};
use crate::provider::retry::{Jitter, RetryPolicy, SeededJitter, send_with_retry};
use crate::provider::{
    Disposition, OutboundSms, ProviderError, SendReceipt, SentQuery, SmsProvider,
};
use crate::store::{self, Store, StoreError};

/// How a batch is sent.
#[derive(Clone)]
pub struct Dispatcher {
    pub provider: Arc<dyn SmsProvider>,
    pub policy: RetryPolicy,
    /// Numbers being sent to at once (texts to one number always go one after another).
    pub concurrency: usize,
    /// At most this many provider sends per second across the batch (`None`: no limit).
    pub rate_per_second: Option<f64>,
    /// Fixed jitter seed for repeatable tests; `None` draws from the OS.
    pub jitter_seed: Option<u64>,
    /// The allowed window and the practice zone: an automated text whose patient's window
    /// closes while the batch runs is held for the next allowed minute, not sent late.
    pub quiet: Option<(QuietHours, Tz)>,
}

impl Dispatcher {
    /// The dispatcher the config describes.
    pub fn from_config(config: &Config, provider: Arc<dyn SmsProvider>) -> Self {
        Self {
            provider,
            policy: RetryPolicy::default(),
            concurrency: config.sms.concurrency as usize,
            rate_per_second: Some(config.sms.rate_per_second),
            jitter_seed: None,
            quiet: Some((config.reminders.quiet_hours, config.practice.time_zone)),
        }
    }
}

/// What a dispatch did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DispatchReport {
    pub sent: usize,
    pub failed: usize,
    /// Not sent this run (transient errors outlasted the retries, or the run stopped): queued
    /// for the next run.
    pub deferred: usize,
    /// The outcome is unknown (e.g. a timeout after the provider may have taken it): left
    /// `pending`, to be reconciled before any retry.
    pub unknown: usize,
    /// Withdrawn at the last moment: what they are about had begun (SPEC §5.6).
    pub withdrawn: usize,
    /// Why the run stopped early (bad credentials).
    pub stopped: Option<String>,
    /// Why texts were left waiting (deferred or unknown): the last transient error, in the
    /// provider's words for staff ("cannot reach Twilio … check the internet connection").
    pub waiting_reason: Option<String>,
}

/// One text waiting in a task's queue.
struct Pending {
    id: MessageId,
    sms: OutboundSms,
    /// When its row was written (the reconciliation window starts there).
    since: DateTime<Utc>,
    /// The window it must go in, when it is an automated text.
    zone: Option<(QuietHours, Tz)>,
    /// Never sent at or after this instant (SPEC §5.6).
    send_by: Option<DateTime<Utc>>,
}

enum TaskResult {
    Done(MessageId, Result<(SendReceipt, u32, bool), ProviderError>),
    /// Not sent: the run stopped (`None`), or the patient's allowed window closed (`Some`:
    /// the next allowed minute).
    NotAttempted(MessageId, Option<DateTime<Utc>>),
    /// Not sent: what it is about has begun, or would have by the next allowed minute.
    TooLate(MessageId),
}

impl TaskResult {
    fn id(&self) -> MessageId {
        match self {
            TaskResult::Done(id, _) | TaskResult::NotAttempted(id, _) | TaskResult::TooLate(id) => {
                *id
            }
        }
    }
}

/// Whether a text may be handed over at `now`: `Ok`, or why not.
fn may_go_now(p: &Pending, now: DateTime<Utc>) -> Result<(), TaskResult> {
    let late = |at: DateTime<Utc>| p.send_by.is_some_and(|by| at >= by);
    if late(now) {
        return Err(TaskResult::TooLate(p.id));
    }
    if let Some((quiet, tz)) = p.zone
        && allowed_until(now, tz, &quiet).is_none_or(|end| now >= end)
    {
        let next = next_allowed(now, tz, &quiet);
        return Err(if late(next) {
            TaskResult::TooLate(p.id)
        } else {
            TaskResult::NotAttempted(p.id, Some(next))
        });
    }
    Ok(())
}

/// Paces sends to a rate: each caller gets the next free slot.
struct Pacer {
    interval: Duration,
    next: tokio::sync::Mutex<Option<tokio::time::Instant>>,
}

impl Pacer {
    async fn wait(&self) {
        if self.interval.is_zero() {
            return;
        }
        let slot = {
            let mut next = self.next.lock().await;
            let now = tokio::time::Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

/// Send these recorded rows. Rows no longer `pending`/`queued` are left alone.
pub async fn dispatch(
    d: &Dispatcher,
    store: &mut Store,
    ids: &[MessageId],
    actor: &str,
    clock: &Clock,
    on_event: &mut dyn FnMut(BatchEvent),
) -> Result<DispatchReport, StoreError> {
    let mut rows: Vec<Message> = Vec::with_capacity(ids.len());
    for id in ids {
        let m = store::messages::get(&store, *id)?;
        if matches!(m.status, MessageStatus::Pending | MessageStatus::Queued) {
            rows.push(m);
        }
    }
    let mut report = DispatchReport::default();
    if rows.is_empty() {
        return Ok(report);
    }
    // Provider ids already on our rows for these numbers: reconciliation must not take one of
    // them for another row (a family sharing a mobile may get two identical texts).
    let mut claimed = HashSet::new();
    for to in rows.iter().map(|m| m.to.as_str()).collect::<HashSet<_>>() {
        claimed.extend(store::messages::provider_ids_to(&store, to)?);
    }
    let items: HashMap<MessageId, BatchItem> = rows.iter().map(|m| (m.id, item(m))).collect();

    let (groups, bad_numbers) = group_by_number(d, store, &rows)?;
    for m in bad_numbers {
        let now = clock.now();
        let why = "the stored number is not E.164; fix the patient's number";
        store.write(|c| fail(c, m, None, why, actor, now))?;
        on_event(BatchEvent::Failed {
            item: item(m),
            code: None,
            reason: "invalid stored number".into(),
        });
        report.failed += 1;
    }

    // Every row about to be handed over is `pending` in a committed transaction before the
    // first provider call, whatever state it waited in: a crash from here on leaves it
    // `pending`, and the next run asks the provider about it before sending it again.
    let provider_name = d.provider.name();
    let begun = clock.now();
    store.write(|c| {
        for p in groups.values().flatten() {
            store::messages::begin_attempt(c, p.id, provider_name, begun)?;
        }
        Ok::<_, StoreError>(())
    })?;

    let (mut tasks, mut rx) = spawn_senders(d, groups, claimed, *clock);
    let mut answers = Answers {
        store,
        provider: d.provider.name(),
        actor,
        rows: rows.iter().map(|m| (m.id, m)).collect(),
        items: &items,
        report,
        on_event,
    };
    while let Some(first) = rx.recv().await {
        let arrived = answers::gather(first, &mut rx).await;
        answers.take_all(arrived, clock.now())?;
    }
    let Answers {
        report, on_event, ..
    } = answers;
    while tasks.join_next().await.is_some() {}
    if let Some(reason) = &report.stopped {
        on_event(BatchEvent::Stopped {
            reason: reason.clone(),
        });
    }
    Ok(report)
}

/// The rows by number (texts to one number go one after another), each with the window it
/// must go in; and the rows whose stored number cannot be sent to at all.
#[allow(clippy::type_complexity)]
fn group_by_number<'m>(
    d: &Dispatcher,
    store: &Store,
    rows: &'m [Message],
) -> Result<(HashMap<String, Vec<Pending>>, Vec<&'m Message>), StoreError> {
    let mut groups: HashMap<String, Vec<Pending>> = HashMap::new();
    let mut bad = Vec::new();
    for m in rows {
        // Automated texts may only go inside the patient's window; answers to the patient's
        // own keywords go at once.
        let zone = match (&d.quiet, m.patient_id) {
            // A zone that cannot be read (its text was checked when the row was recorded)
            // falls back to the practice's, the default for every patient.
            (Some((quiet, practice)), Some(p)) if m.kind.keeps_quiet_hours() => Some((
                *quiet,
                match store::patients::zone(store, p) {
                    Ok(z) => z.unwrap_or(*practice),
                    Err(StoreError::Corrupt { .. }) => *practice,
                    Err(e) => return Err(e),
                },
            )),
            _ => None,
        };
        match E164::try_from(m.to.clone()) {
            Ok(to) => groups.entry(m.to.clone()).or_default().push(Pending {
                id: m.id,
                sms: OutboundSms {
                    to,
                    body: m.body.clone(),
                    idempotency_key: m.idempotency_key.clone().unwrap_or_default(),
                },
                since: m.created_at,
                zone,
                send_by: m.send_by,
            }),
            Err(_) => bad.push(m),
        }
    }
    Ok((groups, bad))
}

/// What every sending task shares.
#[derive(Clone)]
struct Shared {
    tx: mpsc::UnboundedSender<TaskResult>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    gate: Arc<Semaphore>,
    pacer: Arc<Pacer>,
    claimed: Arc<Mutex<HashSet<String>>>,
    provider: Arc<dyn SmsProvider>,
    policy: RetryPolicy,
    clock: Clock,
}

/// One task per number, at most `concurrency` at once; their answers come back on the
/// channel, to be written by the driving task.
fn spawn_senders(
    d: &Dispatcher,
    groups: HashMap<String, Vec<Pending>>,
    claimed: HashSet<String>,
    clock: Clock,
) -> (
    tokio::task::JoinSet<()>,
    mpsc::UnboundedReceiver<TaskResult>,
) {
    let (tx, rx) = mpsc::unbounded_channel::<TaskResult>();
    let shared = Shared {
        tx,
        stop: Arc::new(std::sync::atomic::AtomicBool::new(false)),
        gate: Arc::new(Semaphore::new(d.concurrency.max(1))),
        pacer: Arc::new(Pacer {
            interval: d
                .rate_per_second
                .filter(|r| *r > 0.0)
                .map_or(Duration::ZERO, |r| Duration::from_secs_f64(1.0 / r)),
            next: tokio::sync::Mutex::new(None),
        }),
        claimed: Arc::new(Mutex::new(claimed)),
        provider: d.provider.clone(),
        policy: d.policy,
        clock,
    };
    let mut tasks = tokio::task::JoinSet::new();
    for (n, (_, group)) in groups.into_iter().enumerate() {
        let jitter: Box<dyn Jitter> = match d.jitter_seed {
            Some(seed) => Box::new(SeededJitter::new(seed.wrapping_add(n as u64))),
            None => Box::new(SeededJitter::from_entropy()),
        };
        tasks.spawn(send_group(shared.clone(), group, jitter));
    }
    (tasks, rx)
}

/// Send one number's texts one after another.
async fn send_group(s: Shared, group: Vec<Pending>, mut jitter: Box<dyn Jitter>) {
    let Ok(_permit) = s.gate.clone().acquire_owned().await else {
        return;
    };
    for p in group {
        let id = p.id;
        if s.stop.load(std::sync::atomic::Ordering::SeqCst) {
            let _ = s.tx.send(TaskResult::NotAttempted(id, None));
            continue;
        }
        s.pacer.wait().await;
        // Checked just before the call: a batch may run past a window's end or a closure's
        // start.
        if let Err(not_now) = may_go_now(&p, s.clock.now()) {
            let _ = s.tx.send(not_now);
            continue;
        }
        let claimed = &s.claimed;
        let is_claimed = |pid: &str| claimed.lock().map(|c| c.contains(pid)).unwrap_or(true);
        let result = send_with_retry(
            s.provider.as_ref(),
            &p.sms,
            p.since,
            &s.policy,
            jitter.as_mut(),
            &is_claimed,
        )
        .await
        .map(|o| (o.receipt, o.attempts, o.reconciled));
        if let Ok((receipt, ..)) = &result
            && let Ok(mut c) = claimed.lock()
        {
            c.insert(receipt.provider_id.clone());
        }
        // Bad credentials stop the run. So does a provider that cannot be reached at all
        // (connection refused, no route): this text has used its retries, and every other
        // text would only repeat them one after another — they wait for the next run instead
        // of holding a cron job for minutes.
        if matches!(&result, Err(e) if e.disposition() == Disposition::StopRun
            || matches!(e, ProviderError::Unreachable(_)))
        {
            s.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        let _ = s.tx.send(TaskResult::Done(id, result));
    }
}

/// Rows a provider may hold without the row knowing ([`Message::may_be_at_provider`]: left
/// `pending` by a crash or an unknown outcome, or attempted and still without a provider id):
/// ask the provider whether each reached it before anything is sent again; a match no other
/// row claims is adopted by the row. Returns the rows that are safe to send.
pub async fn reconcile_pending(
    d: &Dispatcher,
    store: &mut Store,
    rows: Vec<Message>,
    actor: &str,
    clock: &Clock,
) -> Result<Vec<MessageId>, StoreError> {
    let mut safe = Vec::new();
    let mut claimed: HashSet<String> = HashSet::new();
    for m in rows {
        if !m.may_be_at_provider() {
            safe.push(m.id);
            continue;
        }
        let Ok(to) = E164::try_from(m.to.clone()) else {
            safe.push(m.id);
            continue;
        };
        claimed.extend(store::messages::provider_ids_to(&store, &m.to)?);
        let query = SentQuery {
            to,
            body: m.body.clone(),
            since: m.created_at,
        };
        match d.provider.find_sent(&query).await {
            Ok(found) => match found
                .into_iter()
                .find(|s| !claimed.contains(&s.provider_id))
            {
                Some(sent) => {
                    let now = clock.now();
                    let receipt = sent.into_receipt();
                    claimed.insert(receipt.provider_id.clone());
                    let provider = d.provider.name();
                    let taken = Taken {
                        provider,
                        receipt: &receipt,
                        attempts: 0,
                        reconciled: true,
                    };
                    store.write(|c| handed_over(c, &m, &taken, actor, now))?;
                    tracing::info!(message = m.id.0, "reconciled: the provider already had it");
                }
                None => safe.push(m.id),
            },
            // Cannot tell: leave it pending for the next run rather than risk a second text.
            Err(e) => {
                tracing::warn!(message = m.id.0, error = %e, "reconciliation lookup failed; left pending")
            }
        }
    }
    Ok(safe)
}

fn item(m: &Message) -> BatchItem {
    BatchItem {
        patient_id: m.patient_id.unwrap_or(PatientId(0)),
        appointment_id: m.appointment_id,
        message_id: Some(m.id),
    }
}

mod answers;
mod writeback;
use answers::Answers;
use writeback::{Taken, fail, handed_over};
pub(crate) use writeback::{adopt, decide_refusal, refusal_of};

#[cfg(test)]
mod tests;
