//! What the desk does to an appointment: confirm, arrive, complete, no-show, cancel.

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::domain::appointment::{
    Appointment, AppointmentStatus, TransitionError, check_transition,
};
use crate::domain::audit::AppointmentEvent;
use crate::domain::ids::AppointmentId;
use crate::domain::staff::Actor;
use crate::store::{self, Store, StoreError};

/// Why a desk action did not happen. The text is shown to staff as is.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("{0}")]
    Transition(#[from] TransitionError),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// Move an appointment to `to` as `actor`, persisting the change and its audit record together
/// (the record names the member by username and id).
pub fn set_status(
    store: &mut Store,
    config: &Config,
    id: AppointmentId,
    to: AppointmentStatus,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Appointment, DeskError> {
    let tz = config.practice.time_zone;
    let name = actor.audit_name();
    store.write(|conn| {
        let appt = store::appointments::get(conn, id)?;
        check_transition(appt.status, to, appt.start, now, tz)?;
        store::appointments::set_status(conn, id, appt.status, to, name, now)?;
        let event = AppointmentEvent::DeskStatusChanged {
            appointment: id,
            from: appt.status,
            to,
        };
        let entry = event.attributed(now, actor.audit_name(), actor.staff_id());
        store::audit::append(conn, &entry)?;
        Ok(Appointment { status: to, ..appt })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::appointments::tests::{booking, fixture, t};

    /// The member the console signs in (an account in `store`, as audit ids must be).
    fn desk_in(store: &mut Store) -> Actor {
        use crate::domain::staff::{Member, Secret, Username};
        let new = crate::workflow::staff::NewMember {
            username: Username::parse("dana").unwrap(),
            display_name: String::new(),
            role: crate::domain::staff::Role::Admin,
            secret: Secret::new("correct horse battery"),
        };
        let m = crate::workflow::staff::add_first_admin(store, &new, t(8, 0)).unwrap();
        Actor::Member(Member {
            id: m.id,
            username: m.username,
            role: m.role,
        })
    }

    #[test]
    fn arrival_is_persisted_and_audited_with_the_actor() {
        let (mut store, p, c, ty) = fixture();
        let desk = desk_in(&mut store);
        let id =
            store::appointments::insert(store.test_conn(), &booking(p, c, ty, t(15, 0))).unwrap();
        let cfg = Config::default();
        let a = set_status(
            &mut store,
            &cfg,
            id,
            AppointmentStatus::Arrived,
            &desk,
            t(14, 50),
        )
        .unwrap();
        assert_eq!(a.status, AppointmentStatus::Arrived);
        let audit =
            store::audit::for_subject(store.test_conn(), &format!("appointment:{id}")).unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].actor, "dana");
        assert_eq!(
            audit[0].actor_id,
            desk.staff_id().map(|id| id.0),
            "the record names the member's id"
        );
        assert!(audit[0].detail.contains("\"to\":\"arrived\""));
    }

    #[test]
    fn refused_change_writes_nothing() {
        let (mut store, p, c, ty) = fixture();
        let desk = desk_in(&mut store);
        let id =
            store::appointments::insert(store.test_conn(), &booking(p, c, ty, t(15, 0))).unwrap();
        let cfg = Config::default();
        set_status(
            &mut store,
            &cfg,
            id,
            AppointmentStatus::Cancelled,
            &desk,
            t(9, 0),
        )
        .unwrap();
        let err = set_status(
            &mut store,
            &cfg,
            id,
            AppointmentStatus::Arrived,
            &desk,
            t(15, 0),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "a cancelled appointment cannot be marked arrived"
        );
        assert_eq!(
            store::appointments::get(store.test_conn(), id)
                .unwrap()
                .status,
            AppointmentStatus::Cancelled
        );
        assert_eq!(
            store::audit::for_subject(store.test_conn(), &format!("appointment:{id}"))
                .unwrap()
                .len(),
            1
        );
    }
}
