//! Writing a provider's answer back to a row, each with its audit record: handed over (with
//! the provider's id), failed (with its code, and what the code means for the patient's
//! record), withdrawn at the last moment, or adopted after the answer was lost.

use chrono::{DateTime, Utc};

use crate::domain::audit::{Event, NotSentEvent, SYSTEM};
use crate::domain::consent::{ConsentEvent, ConsentKind, ConsentMethod};
use crate::domain::ids::{MessageId, PatientId};
use crate::domain::message::{Message, MessageStatus};
use crate::domain::provider_outcome::{
    Fate, Holder, Recipient, RecordChange, Refusal, Refused, on_refusal,
};
use crate::domain::reminder::SkipReason;
use crate::provider::{Disposition, SendReceipt};
use crate::store::{self, Db, StoreError, Write};
use crate::workflow::callbacks;

/// Record on row `m` a message the provider already had (found by reconciliation or listed by
/// a poll), as if the lost send call had answered.
pub(crate) fn adopt(
    c: &impl Write,
    m: &Message,
    provider: &str,
    receipt: &SendReceipt,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let taken = Taken {
        provider,
        receipt,
        attempts: 0,
        reconciled: true,
    };
    handed_over(c, m, &taken, SYSTEM, now)
}

/// How a provider took a text: its answer, after how many attempts, and whether it was
/// found by reconciliation rather than answered.
pub(super) struct Taken<'a> {
    pub provider: &'a str,
    pub receipt: &'a SendReceipt,
    pub attempts: u32,
    pub reconciled: bool,
}

pub(super) fn handed_over(
    c: &impl Write,
    m: &Message,
    taken: &Taken<'_>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Taken {
        provider,
        receipt,
        attempts,
        reconciled,
    } = *taken;
    // A provider that answers "pending" has still taken the message.
    let status = match receipt.status {
        MessageStatus::Pending => MessageStatus::Queued,
        s => s,
    };
    store::messages::mark_handed_over(c, m.id, provider, &receipt.provider_id, status, now)?;
    store::audit::append(
        c,
        &Event::MessageSent {
            message: m.id,
            kind: m.kind,
            patient: m.patient_id,
            provider,
            provider_id: &receipt.provider_id,
            status,
            attempts,
            reconciled,
        }
        .entry(now, actor),
    )?;
    Ok(())
}

/// A text whose closure or visit has begun (or would have by its next allowed minute):
/// withdrawn, never sent late; a closure notice puts its patient on the call-back list.
pub(super) fn too_late(
    c: &impl Write,
    m: &Message,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let reason = SkipReason::TooLate;
    store::messages::set_status(
        c,
        m.id,
        MessageStatus::Withdrawn,
        Some(&reason.label()),
        now,
    )?;
    store::audit::append(
        c,
        &NotSentEvent::MessageWithdrawnOnDispatch {
            message: m.id,
            kind: m.kind,
            reason: &reason,
        }
        .entry(now, actor),
    )?;
    callbacks::for_message(c, m, &reason.label(), actor, now)?;
    Ok(())
}

pub(super) fn fail(
    c: &impl Write,
    m: &Message,
    code: Option<&str>,
    reason: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    store::messages::mark_attempt_failed(c, m.id, MessageStatus::Failed, code, reason, now)?;
    store::audit::append(
        c,
        &Event::MessageFailed {
            message: m.id,
            kind: m.kind,
            patient: m.patient_id,
            code,
        }
        .entry(now, actor),
    )?;
    Ok(())
}

/// What a provider's disposition means for the records ([`crate::domain::provider_outcome`]).
pub(crate) fn refusal_of(d: Disposition) -> Refusal {
    match d {
        Disposition::RecordOptOut => Refusal::Unsubscribed,
        Disposition::FlagNumber => Refusal::NumberProblem,
        _ => Refusal::Other,
    }
}

/// The one policy's decision about a refused row, with the facts loaded for it.
pub(crate) struct Decided {
    pub fate: Fate,
    pub changes: Vec<RecordChange>,
}

/// What [`Decided::write`] changed, for the reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Written {
    pub opt_outs: usize,
    pub numbers_flagged: usize,
}

/// Load what the refusal policy needs about row `m` — who holds its number and whether each
/// is opted out already, the patient's number as it is now — and ask it. Every send path
/// and `sync` decide here.
pub(crate) fn decide_refusal(
    c: &impl Db,
    refusal: Refusal,
    m: &Message,
) -> Result<Decided, StoreError> {
    let mut holders = Vec::new();
    if refusal == Refusal::Unsubscribed {
        for patient in store::messages::patients_by_mobile(c, &m.to)? {
            let opted_out = crate::workflow::consent::state(c, patient)?.is_opted_out();
            holders.push(Holder { patient, opted_out });
        }
    }
    let number = match m.patient_id {
        Some(p) if refusal == Refusal::NumberProblem => {
            Some((p, store::patients::number_state(c, p)?))
        }
        _ => None,
    };
    let patient = number.as_ref().map(|(id, (mobile, flagged))| Recipient {
        id: *id,
        mobile: mobile.as_deref(),
        number_flagged: *flagged,
    });
    let text = Refused {
        kind: m.kind,
        to: &m.to,
        patient,
    };
    let d = on_refusal(refusal, &text, &holders);
    Ok(Decided {
        fate: d.fate,
        changes: d.changes,
    })
}

impl Decided {
    /// Write the record changes, each with its audit record.
    pub(crate) fn write(
        &self,
        c: &impl Write,
        m: &Message,
        code: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Written, StoreError> {
        let mut written = Written::default();
        for change in &self.changes {
            match *change {
                RecordChange::OptOut(p) => {
                    record_provider_opt_out(c, p, m.id, now)?;
                    written.opt_outs += 1;
                }
                RecordChange::FlagNumber(p) => {
                    flag_number(c, p, code.unwrap_or("unknown"), now)?;
                    written.numbers_flagged += 1;
                }
            }
        }
        Ok(written)
    }
}

/// The provider says the recipient unsubscribed (Twilio 21610): record an opt-out at once.
/// Whether one is needed is [`decide_refusal`]'s to say.
fn record_provider_opt_out(
    c: &impl Write,
    patient: PatientId,
    message: MessageId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let event = ConsentEvent {
        kind: ConsentKind::OptOut,
        method: ConsentMethod::ProviderReport,
        evidence: Some(format!("message:{message}")),
        recorded_by: SYSTEM.into(),
        at: now,
    };
    crate::workflow::consent::record_in(c, patient, &event).map_err(|e| match e {
        crate::workflow::consent::ConsentFlowError::Store(s) => s,
        other => StoreError::Conflict(other.to_string()),
    })
}

/// The number failed as invalid, not mobile or unreachable: no texts until staff fix it.
fn flag_number(
    c: &impl Write,
    patient: PatientId,
    code: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    store::patients::flag_number(c, patient, code, now)?;
    store::audit::append(
        c,
        &Event::NumberFlagged { patient, code }.entry(now, SYSTEM),
    )?;
    Ok(())
}
