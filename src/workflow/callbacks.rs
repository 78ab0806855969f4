//! Putting a patient on the call-back list (SPEC §5.6) when a text that had to arrive in time
//! cannot — a closure notice that cannot reach them before the closure begins — with its
//! audit record. The reception screen reads the list from `store::callbacks`.

use crate::domain::audit::DeskEvent;
use crate::store::Write;
use chrono::{DateTime, Utc};

use crate::domain::deadline;
use crate::domain::message::Message;
use crate::store::callbacks::NewCallback;
use crate::store::{self, StoreError};

/// Add an entry (once per text) and audit it. Returns whether it is new.
pub fn add(c: &impl Write, entry: &NewCallback<'_>, actor: &str) -> Result<bool, StoreError> {
    let new = store::callbacks::add(c, entry)?;
    if new {
        let event = DeskEvent::CallbackAdded {
            patient: entry.patient_id,
            appointment: entry.appointment_id,
            message: entry.message_id,
            reason: entry.reason,
        };
        store::audit::append(c, &event.entry(entry.now, actor))?;
        tracing::info!(
            patient = entry.patient_id.0,
            "patient put on the call-back list"
        );
    }
    Ok(new)
}

/// A recorded text `m` will not go, for `why` (a skip reason or the provider's failure, in
/// words): when its kind calls back, put its patient on the list. Returns whether an entry
/// was added.
pub fn for_message(
    c: &impl Write,
    m: &Message,
    why: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let (Some(patient), Some(key)) = (m.patient_id, m.idempotency_key.as_deref()) else {
        return Ok(false);
    };
    if !deadline::calls_back(m.kind) {
        return Ok(false);
    }
    let reason = deadline::callback_reason(m.kind, why);
    add(
        c,
        &NewCallback {
            key,
            patient_id: patient,
            appointment_id: m.appointment_id,
            message_id: Some(m.id),
            reason: &reason,
            now,
        },
        actor,
    )
}
