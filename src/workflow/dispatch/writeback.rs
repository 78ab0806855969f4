//! Writing a provider's answer back to a row, each with its audit record: handed over (with
//! the provider's id), failed (with its code, and what the code means for the patient's
//! record), withdrawn at the last moment, or adopted after the answer was lost.

use crate::store::Write;
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::domain::audit::{AuditEntry, SYSTEM};
use crate::domain::consent::{ConsentEvent, ConsentKind, ConsentMethod};
use crate::domain::ids::{MessageId, PatientId};
use crate::domain::message::{Message, MessageStatus};
use crate::domain::reminder::SkipReason;
use crate::provider::SendReceipt;
use crate::store::{self, StoreError};
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
    handed_over(c, m, provider, receipt, 0, true, SYSTEM, now)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn handed_over(
    c: &impl Write,
    m: &Message,
    provider: &str,
    receipt: &SendReceipt,
    attempts: u32,
    reconciled: bool,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    // A provider that answers "pending" has still taken the message.
    let status = match receipt.status {
        MessageStatus::Pending => MessageStatus::Queued,
        s => s,
    };
    store::messages::mark_handed_over(c, m.id, provider, &receipt.provider_id, status, now)?;
    store::audit::append(
        c,
        &AuditEntry::new(
            now,
            actor,
            "message.sent",
            format!("message:{}", m.id),
            json!({ "kind": m.kind.as_str(), "patient": m.patient_id.map(|p| p.0), "provider": provider,
                    "provider_id": receipt.provider_id, "status": status.as_str(), "attempts": attempts,
                    "reconciled": reconciled }),
        ),
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
        &AuditEntry::new(
            now,
            actor,
            "message.withdrawn",
            format!("message:{}", m.id),
            json!({ "kind": m.kind.as_str(), "reason": reason, "on": "dispatch" }),
        ),
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
        &AuditEntry::new(
            now,
            actor,
            "message.failed",
            format!("message:{}", m.id),
            json!({ "kind": m.kind.as_str(), "patient": m.patient_id.map(|p| p.0), "code": code }),
        ),
    )?;
    Ok(())
}

/// The provider says the recipient unsubscribed (Twilio 21610): record an opt-out at once.
pub(crate) fn record_provider_opt_out(
    c: &impl Write,
    patient: PatientId,
    message: MessageId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let state =
        crate::domain::consent::ConsentState::from_events(&store::consent::events(c, patient)?);
    if matches!(state, crate::domain::consent::ConsentState::OptedOut { .. }) {
        return Ok(());
    }
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
pub(crate) fn flag_number(
    c: &impl Write,
    patient: PatientId,
    code: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    store::patients::flag_number(c, patient, code, now)?;
    store::audit::append(
        c,
        &AuditEntry::new(
            now,
            SYSTEM,
            "patient.number_flagged",
            format!("patient:{patient}"),
            json!({ "code": code }),
        ),
    )?;
    Ok(())
}
