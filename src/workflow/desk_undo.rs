//! Undoing the desk's last status change (SPEC §3.2; issue 9): the wrong key was pressed —
//! confirmed, arrived, cancelled — and the appointment goes back to what it was. Allowed the
//! same local day the change was made, only while nobody changed it since, and audited as
//! its own event (`appointment.status_undone`), so the log shows both the slip and the fix.

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::audit::AppointmentEvent;
use crate::domain::ids::AppointmentId;
use crate::domain::staff::Actor;
use crate::store::{self, Store, StoreError};

/// Why an undo did not happen; the text is shown to staff.
#[derive(Debug, thiserror::Error)]
pub enum UndoError {
    #[error("the change was made on another day; change the status instead")]
    NotToday,
    #[error("it is no longer {0} (changed elsewhere); reload and look again")]
    ChangedSince(AppointmentStatus),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// One change the desk takes back: appointment `id`, which is `now_is`, goes back to `back_to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Undo {
    pub id: AppointmentId,
    pub now_is: AppointmentStatus,
    pub back_to: AppointmentStatus,
}

/// Put an appointment back as `actor` (the record names the member by username and id).
pub fn undo(
    store: &mut Store,
    config: &Config,
    change: Undo,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), UndoError> {
    let Undo {
        id,
        now_is,
        back_to,
    } = change;
    let tz = config.practice.time_zone;
    store.write(|conn| {
        let appt = store::appointments::get(conn, id)?;
        if appt.status != now_is {
            return Err(UndoError::ChangedSince(now_is));
        }
        let changed = store::appointments::status_change(conn, id)?;
        let today = now.with_timezone(&tz).date_naive();
        if changed.is_none_or(|(_, at)| at.with_timezone(&tz).date_naive() != today) {
            return Err(UndoError::NotToday);
        }
        store::appointments::set_status(conn, id, now_is, back_to, actor.audit_name(), now)?;
        let event = AppointmentEvent::DeskStatusUndone {
            appointment: id,
            from: now_is,
            to: back_to,
        };
        let entry = event.attributed(now, actor.audit_name(), actor.staff_id());
        store::audit::append(conn, &entry)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::appointments::tests::{booking, fixture, t};
    use crate::workflow::desk;

    #[test]
    fn a_cancel_pressed_by_mistake_goes_back_and_both_are_audited() {
        let (mut store, p, c, ty) = fixture();
        let id =
            store::appointments::insert(store.test_conn(), &booking(p, c, ty, t(15, 0))).unwrap();
        let cfg = Config::default();
        desk::set_status(
            &mut store,
            &cfg,
            id,
            AppointmentStatus::Cancelled,
            &crate::domain::staff::Actor::System,
            t(14, 0),
        )
        .unwrap();
        undo(
            &mut store,
            &cfg,
            Undo {
                id,
                now_is: AppointmentStatus::Cancelled,
                back_to: AppointmentStatus::Booked,
            },
            &Actor::System,
            t(14, 1),
        )
        .unwrap();
        assert_eq!(
            store::appointments::get(store.test_conn(), id)
                .unwrap()
                .status,
            AppointmentStatus::Booked
        );
        let audit =
            store::audit::for_subject(store.test_conn(), &format!("appointment:{id}")).unwrap();
        let actions: Vec<_> = audit.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(actions, ["appointment.status", "appointment.status_undone"]);
        // Undoing again: it is no longer cancelled.
        let again = undo(
            &mut store,
            &cfg,
            Undo {
                id,
                now_is: AppointmentStatus::Cancelled,
                back_to: AppointmentStatus::Booked,
            },
            &Actor::System,
            t(14, 2),
        );
        assert!(
            matches!(again, Err(UndoError::ChangedSince(_))),
            "{again:?}"
        );
    }

    #[test]
    fn the_next_day_is_too_late() {
        let (mut store, p, c, ty) = fixture();
        let id =
            store::appointments::insert(store.test_conn(), &booking(p, c, ty, t(15, 0))).unwrap();
        let cfg = Config::default();
        desk::set_status(
            &mut store,
            &cfg,
            id,
            AppointmentStatus::Confirmed,
            &crate::domain::staff::Actor::System,
            t(14, 0),
        )
        .unwrap();
        let tomorrow = t(14, 0) + chrono::Duration::days(1);
        let r = undo(
            &mut store,
            &cfg,
            Undo {
                id,
                now_is: AppointmentStatus::Confirmed,
                back_to: AppointmentStatus::Booked,
            },
            &Actor::System,
            tomorrow,
        );
        assert!(matches!(r, Err(UndoError::NotToday)), "{r:?}");
        assert_eq!(
            store::appointments::get(store.test_conn(), id)
                .unwrap()
                .status,
            AppointmentStatus::Confirmed
        );
    }
}
