//! A text written at the desk to one patient (SPEC §3.3, §5): the typed words behind the
//! practice's name, through the same rules as every other send — consent, a working number,
//! quiet hours (it waits for the morning, it is not dropped), the PHI gate on the final body,
//! a row under its idempotency key before the provider is called, and the audit trail.
//!
//! [`compose`] is pure, so the console's live check runs it on every keystroke and checks
//! exactly the body that [`send`] would record.

use crate::domain::report::SendOutcome;
use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::domain::ids::PatientId;
use crate::domain::message::{MessageKind, MessageStatus};
use crate::domain::reminder::{self, Held};
use crate::domain::template::{first_since_opt_in, wants_opt_out_notice};
use crate::store::{self, Store};
use crate::workflow::dispatch::{self, Dispatcher};
use crate::workflow::record_text::{self, Outgoing, Recorded};
use crate::workflow::send::{SendLine, SendReport};
use crate::workflow::{WorkflowError, facts, lock, outcome, render};

pub use super::typed::{Composed, check, compose};

/// The exactly-once key: the same words to the same patient on the same local day are one
/// text (a second Ctrl-S is recognised, not sent again).
fn key(patient: PatientId, day: chrono::NaiveDate, typed: &str) -> String {
    // FNV-1a: stable across builds, unlike the std hasher.
    let hash = typed
        .trim()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    format!("custom:{patient}:{day}:{hash:016x}")
}

use super::send::Sending;

/// Send `typed` to `patient`. The report has one line: sent / in_outbox / queued / deferred
/// (quiet hours) / skipped (consent, number) / blocked (PHI gate) / already_sent / failed.
pub async fn send(
    ctx: &Sending<'_>,
    store: &mut Store,
    patient: PatientId,
    typed: &str,
) -> Result<SendReport, WorkflowError> {
    let _lock = lock::acquire(store)?;
    let now = ctx.clock.now();
    let mut line = SendLine {
        patient_id: patient,
        appointment_id: None,
        outcome: SendOutcome::Skipped,
        reason: None,
        message_id: None,
        callback: false,
        code: None,
        body: None,
    };
    let (out, wait_until) = match prepare(ctx, store, patient, typed, now)? {
        Ok(ready) => ready,
        Err((outcome, reason)) => {
            line.outcome = outcome;
            line.reason = reason;
            return Ok(report(line));
        }
    };
    let provider = ctx.dispatcher.provider.name();
    let recorded = store.write(|c| {
        let r = record_text::record(c, &out, ctx.gate, provider, ctx.actor, now)?;
        if let (Recorded::Ready(id), Some(at)) = (&r, wait_until) {
            store::messages::defer(c, *id, at, now)?;
        }
        Ok::<_, WorkflowError>(r)
    })?;
    match recorded {
        Recorded::Duplicate(m) => {
            line.outcome = SendOutcome::AlreadySent;
            line.message_id = Some(m.id);
        }
        Recorded::Blocked { id, reason } => {
            line.outcome = SendOutcome::Blocked;
            line.message_id = Some(id);
            line.reason = Some(format!("{reason}; send a portal prompt instead"));
        }
        Recorded::Ready(id) if wait_until.is_some() => {
            line.outcome = SendOutcome::Deferred;
            line.message_id = Some(id);
            line.reason = wait_until.map(|at| waits(at, ctx.config));
        }
        Recorded::Ready(id) => {
            line.message_id = Some(id);
            let sent = dispatch::dispatch(
                ctx.dispatcher,
                store,
                &[id],
                ctx.actor,
                ctx.clock,
                &mut |_| {},
            )
            .await?;
            finish(store, &mut line, id)?;
            let mut r = report(line);
            r.stopped = sent.stopped;
            return Ok(r);
        }
    }
    Ok(report(line))
}

/// The text to record for `patient` and when it may go (`None`: now), or why it will not
/// go at all (the line's outcome and reason).
type Prepared = Result<(Outgoing, Option<DateTime<Utc>>), (SendOutcome, Option<String>)>;

fn prepare(
    ctx: &Sending<'_>,
    store: &Store,
    patient: PatientId,
    typed: &str,
    now: DateTime<Utc>,
) -> Result<Prepared, WorkflowError> {
    let (loaded, unreadable) = facts::load_each(store, ctx.config, &[patient], now, None)?;
    let Some(l) = loaded.get(&patient) else {
        let reason = unreadable.into_iter().next().map(|u| u.reason);
        return Ok(Err((SendOutcome::Unreadable, reason)));
    };
    let wait_until =
        match reminder::send_check(&ctx.config.reminders, now, &l.facts, MessageKind::Custom) {
            Ok(()) => None,
            Err(Held {
                retry_at: Some(at), ..
            }) => Some(at),
            Err(Held {
                reason,
                retry_at: None,
            }) => return Ok(Err((SendOutcome::Skipped, Some(reason.label())))),
        };
    let Some(to) = render::mobile(&l.patient).cloned() else {
        let reason = reminder::SkipReason::NoMobile.label();
        return Ok(Err((SendOutcome::Skipped, Some(reason))));
    };
    let notice = wants_opt_out_notice(
        MessageKind::Custom,
        ctx.config.reminders.opt_out_notice,
        first_since_opt_in(&l.facts.consent, l.facts.last_outbound),
    );
    let composed = compose(&ctx.config.practice.name, typed, notice);
    let day = now
        .with_timezone(&ctx.config.practice.time_zone)
        .date_naive();
    let out = Outgoing {
        kind: MessageKind::Custom,
        patient_id: patient,
        appointment_id: None,
        key: key(patient, day, typed),
        to,
        body: composed.body,
        send_by: None,
        trusted: composed.trusted,
    };
    Ok(Ok((out, wait_until)))
}

fn report(line: SendLine) -> SendReport {
    SendReport {
        kind: Some(MessageKind::Custom),
        dry_run: false,
        lines: vec![line],
        stopped: None,
    }
}

fn waits(at: DateTime<Utc>, config: &Config) -> String {
    format!(
        "quiet hours: goes {}",
        crate::domain::deadline::local_label(at, config.practice.time_zone)
    )
}

/// Read back what dispatch made of the row.
fn finish(
    store: &Store,
    line: &mut SendLine,
    id: crate::domain::ids::MessageId,
) -> Result<(), WorkflowError> {
    let m = store::messages::get(store, id)?;
    line.outcome = match m.status {
        MessageStatus::Failed => SendOutcome::Failed,
        MessageStatus::Withdrawn => SendOutcome::Withdrawn,
        MessageStatus::Pending | MessageStatus::Queued if m.provider_id.is_none() => {
            SendOutcome::Queued
        }
        MessageStatus::Queued if m.went_to_outbox() => SendOutcome::InOutbox,
        _ => SendOutcome::Sent,
    };
    line.reason = match line.outcome {
        SendOutcome::Sent | SendOutcome::InOutbox => None,
        SendOutcome::Failed => Some(outcome::failure_words(&m)),
        _ => m.error_message.clone(),
    };
    line.code = m.error_code.filter(|_| line.outcome == SendOutcome::Failed);
    Ok(())
}

/// The provider the config names, for a console that sends (the commands build theirs in
/// `cli`). Errors name what to fix in the config.
pub fn dispatcher_for(config: &Config) -> Result<Dispatcher, WorkflowError> {
    let provider = crate::provider::from_config(config)
        .map_err(|e| WorkflowError::Invalid(format!("cannot set up the SMS provider: {e}")))?;
    Ok(Dispatcher::from_config(
        config,
        std::sync::Arc::from(provider),
    ))
}

#[cfg(test)]
mod tests;
