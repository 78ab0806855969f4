//! Marking a visit for rebooking when a closure or schedule-change notice takes it away
//! (SPEC §5.6), with its audit record; the day view shows the mark (`store::day`) until the
//! visit is moved. Once per visit and start, however often the notice is sent.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::domain::appointment::Appointment;
use crate::domain::audit::AuditEntry;
use crate::store::rebookings::NewRebooking;
use crate::store::{self, StoreError, Write};

/// Mark `a` for rebooking because of the notice keyed `key`. Returns whether it is new.
pub fn mark(
    c: &impl Write,
    a: &Appointment,
    key: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let new = store::rebookings::mark(
        c,
        &NewRebooking {
            appointment_id: a.id,
            start: a.start,
            key,
            by: actor,
            now,
        },
    )?;
    if new {
        store::audit::append(
            c,
            &AuditEntry::new(
                now,
                actor,
                "appointment.rebook",
                format!("appointment:{}", a.id),
                json!({ "start": a.start.to_rfc3339(), "notice": key }),
            ),
        )?;
        tracing::info!(appointment = a.id.0, "appointment marked for rebooking");
    }
    Ok(new)
}
