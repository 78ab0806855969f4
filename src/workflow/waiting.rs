//! Sending what waits (SPEC §5.7): texts held by the offline outbox, texts a transient error
//! left queued, and rows a crash left `pending` (reconciled with the provider first). Each is
//! re-checked before it goes — consent, number, quiet hours, its deadline, the appointment's
//! current status and the current PHI gate — because the world may have changed while it
//! waited. Not the caps: they were applied when the text was planned (a reminder planned as an
//! appointment's last must not be lost to them afterwards).

use crate::store::Db;
use crate::store::Write;
use chrono::{DateTime, Utc};

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::audit::NotSentEvent;
use crate::domain::batch::{BatchEvent, BatchItem};
use crate::domain::deadline;
use crate::domain::ids::{MessageId, PatientId};
use crate::domain::message::{Direction, Message, MessageKind, MessageStatus};
use crate::domain::reminder::{self, Held, PatientFacts, ReminderKey, ReminderRules, SkipReason};
use crate::domain::template::spans_of_values;
use crate::phi::Gate;
use crate::store::{self, Store, StoreError};
use crate::workflow::callbacks;
use crate::workflow::dispatch::{self, DispatchReport, Dispatcher};
use crate::workflow::facts::{self, REMINDER_KINDS};

/// An opt-out confirmation older than this is not sent at all (FCC: within 5 minutes).
pub use crate::domain::reply::decision::OPT_OUT_CONFIRMATION_WINDOW;

/// What a flush did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlushReport {
    /// Found already at the provider (a crash had hidden the answer).
    pub reconciled: usize,
    /// Left `pending`: the provider could not be asked whether they reached it (e.g. the
    /// network is down). Asked again next run; never sent before it answers.
    pub unresolved: usize,
    /// Withdrawn by the re-check (no longer allowed, appointment cancelled or passed).
    pub withdrawn: usize,
    /// Still waiting (quiet hours, cap, or the provider is the offline outbox).
    pub waiting: usize,
    pub blocked: usize,
    pub dispatch: DispatchReport,
    /// Every row this flush looked at (for the run's report lines).
    pub handled: Vec<MessageId>,
    /// Rows left waiting because their patient's record cannot be read, with the reason.
    pub unreadable: Vec<(MessageId, String)>,
}

/// Re-check and send every waiting text. With the offline outbox as provider nothing leaves.
pub async fn flush(
    d: &Dispatcher,
    store: &mut Store,
    ctx: &FlushContext<'_>,
    on_event: &mut dyn FnMut(BatchEvent),
) -> Result<FlushReport, StoreError> {
    flush_these(d, store, ctx, None, on_event).await
}

/// What a flush checks with and who it acts as.
pub struct FlushContext<'a> {
    pub config: &'a Config,
    pub gate: &'a Gate,
    pub actor: &'a str,
    pub clock: &'a Clock,
}

/// [`flush`], limited to `only` these rows when given (the desk's "retry the failures" of
/// one batch): the same re-check, the same reconciliation, the same dispatch.
pub async fn flush_these(
    d: &Dispatcher,
    store: &mut Store,
    ctx: &FlushContext<'_>,
    only: Option<&[MessageId]>,
    on_event: &mut dyn FnMut(BatchEvent),
) -> Result<FlushReport, StoreError> {
    let (actor, clock) = (ctx.actor, ctx.clock);
    let mut report = FlushReport::default();
    let now = clock.now();
    let mut unfinished = store::messages::waiting_to_send(&store)?;
    if let Some(only) = only {
        unfinished.retain(|m| only.contains(&m.id));
    }
    if d.provider.is_offline() {
        // Held by the outbox: they go out only through a real provider.
        report.waiting = unfinished.len();
        return Ok(report);
    }
    let waiting: Vec<Message> = unfinished
        .into_iter()
        .filter(|m| m.not_before.is_none_or(|t| t <= now))
        .collect();
    let before = waiting.len();
    report.handled = waiting.iter().map(|m| m.id).collect();
    let safe = dispatch::reconcile_pending(d, store, waiting.clone(), actor, clock).await?;
    for m in waiting.iter().filter(|m| !safe.contains(&m.id)) {
        if store::messages::get(&store, m.id)?.may_be_at_provider() {
            report.unresolved += 1;
        }
    }
    report.reconciled = before - safe.len() - report.unresolved;

    let mut ready = Vec::new();
    for m in waiting.into_iter().filter(|m| safe.contains(&m.id)) {
        let verdict = recheck_in(store, ctx, &m)?;
        if report.count(verdict, &m, on_event) {
            ready.push(m.id);
        }
    }
    if !ready.is_empty() {
        report.dispatch = dispatch::dispatch(d, store, &ready, actor, clock, on_event).await?;
    }
    Ok(report)
}

/// Check a waiting text again, in its own transaction. A patient record that cannot be read
/// leaves that text waiting (reported as unreadable); the others go on.
fn recheck_in(
    store: &mut Store,
    ctx: &FlushContext<'_>,
    m: &Message,
) -> Result<Recheck, StoreError> {
    let now = ctx.clock.now();
    match store.write(|c| recheck(c, ctx.config, ctx.gate, m, ctx.actor, now)) {
        Err(e @ StoreError::Corrupt { .. }) => {
            let patient = m.patient_id.unwrap_or(PatientId(0));
            Ok(Recheck::Unreadable(
                facts::Unreadable::new(patient, &e).reason,
            ))
        }
        other => other,
    }
}

impl FlushReport {
    /// Count what the re-check decided about `m` and tell the desk; `true`: it goes now.
    fn count(
        &mut self,
        verdict: Recheck,
        m: &Message,
        on_event: &mut dyn FnMut(BatchEvent),
    ) -> bool {
        let item = BatchItem {
            patient_id: m.patient_id.unwrap_or(PatientId(0)),
            appointment_id: m.appointment_id,
            message_id: Some(m.id),
        };
        match verdict {
            Recheck::Go => return true,
            Recheck::Unreadable(reason) => self.unreadable.push((m.id, reason)),
            Recheck::Wait(until) => {
                self.waiting += 1;
                on_event(BatchEvent::Deferred { item, until });
            }
            Recheck::Withdrawn(reason) => {
                self.withdrawn += 1;
                on_event(BatchEvent::Skipped { item, reason });
            }
            Recheck::Blocked => {
                self.blocked += 1;
                on_event(BatchEvent::Skipped {
                    item,
                    reason: SkipReason::BlockedByGate,
                });
            }
        }
        false
    }
}

/// What checking a waiting text again decided.
enum Recheck {
    Go,
    /// The patient's record cannot be read: left waiting, reported.
    Unreadable(String),
    Wait(Option<DateTime<Utc>>),
    Withdrawn(SkipReason),
    Blocked,
}

/// Decide, inside a transaction, whether a waiting text may still go now.
fn recheck(
    c: &impl Write,
    config: &Config,
    gate: &Gate,
    m: &Message,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Recheck, StoreError> {
    let Some(patient) = m.patient_id else {
        return Ok(Recheck::Go);
    };
    let (loaded, unreadable) = facts::load_each(c, config, &[patient], now, Some(m.id))?;
    let Some(l) = loaded.get(&patient) else {
        // Nothing goes on a guess: without the patient's record, the text waits.
        let reason = unreadable
            .into_iter()
            .next()
            .map_or_else(|| format!("patient {patient} not found"), |u| u.reason);
        return Ok(Recheck::Unreadable(reason));
    };
    let held = rules_check(c, &config.reminders, &l.facts, m, now)?;
    // A text about a closure or a visit is withdrawn once that has begun, or as soon as its
    // next allowed minute would be too late (SPEC §5.6).
    let held = deadline::apply(now, m.send_by, held);
    match held {
        Ok(()) => {}
        Err(Held {
            retry_at: Some(at), ..
        }) => {
            store::messages::defer(c, m.id, at, now)?;
            return Ok(Recheck::Wait(Some(at)));
        }
        Err(Held {
            reason,
            retry_at: None,
        }) => {
            withdraw(c, m, &reason, actor, now)?;
            callbacks::for_message(c, m, &reason.label(), actor, now)?;
            return Ok(Recheck::Withdrawn(reason));
        }
    }
    // The gate may have learnt new words since the text was written. The stored body has
    // no spans: the values the renderer filled from the database are found in it again.
    let trusted = spans_of_values(
        &m.body,
        &[
            &l.patient.first_name,
            &config.practice.name,
            &config.practice.location,
        ],
    );
    let verdict = gate.check_with(&m.body, &trusted);
    if verdict.blocked {
        let closing = Closing {
            message: m.id,
            status: MessageStatus::Blocked,
            reason: &verdict.summary(),
            event: NotSentEvent::MessageBlockedOnRecheck {
                message: m.id,
                kind: m.kind,
            },
        };
        close(c, &closing, actor, now)?;
        return Ok(Recheck::Blocked);
    }
    Ok(Recheck::Go)
}

/// What the practice's rules say about a waiting text now, before its deadline: a reminder
/// is checked against its appointments as they are now, an opt-out confirmation against the
/// five minutes since the STOP, answers to the patient's own keywords always go.
fn rules_check(
    c: &impl Db,
    rules: &ReminderRules,
    facts: &PatientFacts,
    m: &Message,
    now: DateTime<Utc>,
) -> Result<Result<(), Held>, StoreError> {
    Ok(match m.kind {
        k if REMINDER_KINDS.contains(&k) => {
            match m.idempotency_key.as_deref().and_then(ReminderKey::parse) {
                Some(key) => {
                    let mut appts = Vec::new();
                    for (id, _) in key.appointments() {
                        appts.push(store::appointments::get(c, *id)?);
                    }
                    reminder::recheck(rules, now, facts, &key, &appts)
                }
                None => reminder::reach_check(rules, now, facts, m.kind),
            }
        }
        MessageKind::OptOutConfirmation
            if now - stop_received(c, m)? > OPT_OUT_CONFIRMATION_WINDOW =>
        {
            Err(Held {
                reason: SkipReason::Withdrawn,
                retry_at: None,
            })
        }
        // Answers to the patient's own keywords go whatever the consent state.
        MessageKind::OptOutConfirmation
        | MessageKind::HelpReply
        | MessageKind::OptInConfirmation => Ok(()),
        kind => reminder::reach_check(rules, now, facts, kind),
    })
}

/// When the STOP an opt-out confirmation answers arrived (its key names the inbound
/// message), so the five minutes run from the patient's STOP, not from when the answer was
/// written. Falls back to the answer's own creation.
fn stop_received(c: &impl Db, m: &Message) -> Result<DateTime<Utc>, StoreError> {
    let inbound_id = m
        .idempotency_key
        .as_deref()
        .and_then(|k| k.rsplit(':').next());
    Ok(match inbound_id {
        Some(pid) => {
            store::messages::by_provider_id(c, Direction::Inbound, m.provider.as_str(), pid)?
                .map_or(m.created_at, |stop| stop.created_at)
        }
        None => m.created_at,
    })
}

fn withdraw(
    c: &impl Write,
    m: &Message,
    reason: &SkipReason,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let closing = Closing {
        message: m.id,
        status: MessageStatus::Withdrawn,
        reason: &reason.label(),
        event: NotSentEvent::MessageWithdrawnOnRecheck {
            message: m.id,
            kind: m.kind,
            reason,
        },
    };
    close(c, &closing, actor, now)
}

/// How a text that will not be sent ends: its final status, the reason staff read, and the
/// audit event.
struct Closing<'a> {
    message: MessageId,
    status: MessageStatus,
    reason: &'a str,
    event: NotSentEvent<'a>,
}

/// End a text that will not be sent, with its reason and an audit record.
fn close(
    c: &impl Write,
    closing: &Closing<'_>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Closing {
        message,
        status,
        reason,
        ..
    } = *closing;
    store::messages::set_status(c, message, status, Some(reason), now)?;
    store::audit::append(c, &closing.event.entry(now, actor))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::phone::E164;
    use crate::store::appointments::tests::{fixture, t};
    use crate::store::messages::NewOutbound;

    #[test]
    fn an_opt_out_confirmation_goes_only_within_five_minutes_of_the_stop() {
        let (store, p, _, _) = fixture();
        store::patients::set_mobile(
            store.test_conn(),
            p,
            Some(&E164::parse("2015550134", "US").unwrap()),
        )
        .unwrap();
        store::messages::insert_inbound(
            store.test_conn(),
            &store::messages::NewInbound {
                patient: Some(p),
                from: "+12015550134",
                to: "+15555550123",
                body: "STOP",
                provider: "twilio",
                provider_id: "SMstop",
                at: t(9, 0),
            },
        )
        .unwrap();
        // Written three minutes after the STOP (a slow sync), left waiting by a network error.
        let id = store::messages::insert_outbound(
            store.test_conn(),
            &NewOutbound {
                kind: MessageKind::OptOutConfirmation,
                patient_id: Some(p),
                appointment_id: None,
                idempotency_key: "answer:opt-out-confirmation:SMstop",
                to: "+12015550134",
                body: "Riverside Family Practice: you are unsubscribed. Reply START to resubscribe. 555-555-0100",
                encoding: "gsm7",
                segments: 1,
                status: MessageStatus::Queued,
                provider: "twilio",
                findings: None,
                created_by: "system",
                now: t(9, 3),
                not_before: None,
                send_by: None,
            },
        )
        .unwrap()
        .unwrap();
        let m = store::messages::get(store.test_conn(), id).unwrap();
        let gate = Gate::with_allow_list(&[]);
        let config = Config::default();
        assert!(matches!(
            recheck(store.test_conn(), &config, &gate, &m, "system", t(9, 4)).unwrap(),
            Recheck::Go
        ));
        // Six minutes after the STOP (three after the row): too late, withdrawn.
        assert!(matches!(
            recheck(store.test_conn(), &config, &gate, &m, "system", t(9, 6)).unwrap(),
            Recheck::Withdrawn(_)
        ));
        assert_eq!(
            store::messages::get(store.test_conn(), id).unwrap().status,
            MessageStatus::Withdrawn
        );
    }

    #[test]
    fn the_recheck_trusts_the_practices_name_but_reads_the_rest() {
        let (store, p, _, _) = fixture();
        let mut config = Config::default();
        config.practice.name = "Cancer Care Partners".into();
        let gate = Gate::with_allow_list(&[]);
        let waiting = |key: &str, body: &str| {
            let id = store::messages::insert_outbound(
                store.test_conn(),
                &NewOutbound {
                    kind: MessageKind::OptOutConfirmation,
                    patient_id: Some(p),
                    appointment_id: None,
                    idempotency_key: key,
                    to: "+12015550134",
                    body,
                    encoding: "gsm7",
                    segments: 1,
                    status: MessageStatus::Queued,
                    provider: "twilio",
                    findings: None,
                    created_by: "system",
                    now: t(9, 0),
                    not_before: None,
                    send_by: None,
                },
            )
            .unwrap()
            .unwrap();
            store::messages::get(store.test_conn(), id).unwrap()
        };
        let fine = waiting(
            "answer:opt-out-confirmation:SMa",
            "Cancer Care Partners: you are unsubscribed. Reply START to resubscribe.",
        );
        assert!(matches!(
            recheck(store.test_conn(), &config, &gate, &fine, "system", t(9, 1)).unwrap(),
            Recheck::Go
        ));
        let clinical = waiting(
            "answer:opt-out-confirmation:SMb",
            "Cancer Care Partners: your chemotherapy is moved. Reply START to resubscribe.",
        );
        assert!(matches!(
            recheck(
                store.test_conn(),
                &config,
                &gate,
                &clinical,
                "system",
                t(9, 1)
            )
            .unwrap(),
            Recheck::Blocked
        ));
    }
}
