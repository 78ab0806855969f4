//! Marking a visit for rebooking when a closure or schedule-change notice takes it away
//! (SPEC §5.6), with its audit record; the day view shows the mark (`store::day`) until the
//! visit is moved. Once per visit and start, however often the notice is sent.

use crate::domain::audit::DeskEvent;
use chrono::{DateTime, Utc};

use crate::domain::appointment::Appointment;
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
        let event = DeskEvent::MarkedToRebook {
            appointment: a.id,
            start: a.start,
            notice: key,
        };
        store::audit::append(c, &event.entry(now, actor))?;
        tracing::info!(appointment = a.id.0, "appointment marked for rebooking");
    }
    Ok(new)
}
