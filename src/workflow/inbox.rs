//! The reply inbox and the call-back list for the console (SPEC §5.3–§5.4, §5.6): load both,
//! and mark a line handled — a reply read, a patient phoned — with an audit record naming
//! who did it. Call-backs for appointments that already started drop off the list by
//! themselves (there is nothing left to call about).

use crate::domain::audit::DeskEvent;
use chrono::{DateTime, Duration, Utc};

use crate::domain::inbox::{Inbox, InboxEntry, InboxItem};
use crate::store::{self, Store, StoreError};

/// Most replies listed at once (the count in the footer is exact).
pub const MAX_REPLIES: usize = 200;

/// Both lists at `now`.
pub fn load(store: &Store, now: DateTime<Utc>) -> Result<Inbox, StoreError> {
    let conn = store;
    let mut replies = Vec::new();
    for m in store::messages::inbox(conn, MAX_REPLIES)?.into_iter().rev() {
        let name = match m.patient_id {
            Some(p) => store::inbox::name(conn, p)?,
            None => None,
        };
        let visit = match m.patient_id {
            Some(p) => {
                crate::workflow::inbox_reply::visit_of(conn, m.id, p, now)?.map(|a| (a.id, a.start))
            }
            None => None,
        };
        replies.push(InboxItem {
            visit,
            patient: m.patient_id,
            name: name.unwrap_or_else(|| m.from.clone().unwrap_or_default()),
            at: m.created_at,
            entry: InboxEntry::Reply {
                message: m.id,
                body: m.body,
            },
        });
    }
    let mut callbacks = Vec::new();
    // Until an hour after it started: the desk may still reach someone waiting.
    for (appointment, patient, name, start) in
        store::inbox::call_me(conn, now - Duration::hours(1))?
    {
        callbacks.push(InboxItem {
            visit: Some((appointment, start)),
            entry: InboxEntry::CallMe { appointment, start },
            patient: Some(patient),
            name,
            at: start,
        });
    }
    for c in store::callbacks::open(conn)? {
        let visit = match c.appointment_id {
            Some(a) => Some((a, store::appointments::get(conn, a)?.start)),
            None => None,
        };
        callbacks.push(InboxItem {
            visit,
            name: store::inbox::name(conn, c.patient_id)?.unwrap_or_default(),
            patient: Some(c.patient_id),
            at: c.created_at,
            entry: InboxEntry::Callback {
                id: c.id,
                reason: c.reason,
            },
        });
    }
    Ok(Inbox { replies, callbacks })
}

/// Unread replies and open call-backs, for the footer.
pub fn counts(store: &Store, now: DateTime<Utc>) -> Result<(i64, usize), StoreError> {
    let conn = store;
    let calls = store::inbox::call_me(conn, now - Duration::hours(1))?.len()
        + store::callbacks::open(conn)?.len();
    Ok((store::messages::inbox_count(conn)?, calls))
}

/// Mark one line handled, audited as `actor`.
pub fn handle(
    store: &mut Store,
    entry: &InboxEntry,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    store.write(|c| {
        let event = match entry {
            InboxEntry::Reply { message, .. } => {
                store::messages::mark_reply_handled(c, *message, actor, now)?;
                DeskEvent::ReplyHandled {
                    message: *message,
                    action: None,
                }
            }
            InboxEntry::CallMe { appointment, .. } => {
                store::appointments::set_callback(c, *appointment, false)?;
                DeskEvent::CallMeHandled {
                    appointment: *appointment,
                }
            }
            InboxEntry::Callback { id, .. } => {
                store::callbacks::mark_handled(c, *id, actor, now)?;
                DeskEvent::CallbackHandled { callback: *id }
            }
        };
        store::audit::append(c, &event.entry(now, actor))?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::reply::ReplyKind;
    use crate::store::appointments::tests::{booking, fixture, t};

    #[test]
    fn replies_and_call_backs_are_listed_and_handled_with_an_audit_record() {
        let (mut store, p, c, ty) = fixture();
        let conn = store.test_conn();
        let m = store::messages::insert_inbound(
            conn,
            &store::messages::NewInbound {
                patient: Some(p),
                from: "+12015550134",
                to: "+1",
                body: "What floor?",
                provider: "outbox",
                provider_id: "SM1",
                at: t(8, 0),
            },
        )
        .unwrap()
        .unwrap();
        store::messages::classify_reply(conn, m, ReplyKind::Other, None).unwrap();
        let a = store::appointments::insert(conn, &booking(p, c, ty, t(15, 0))).unwrap();
        store::appointments::set_callback(conn, a, true).unwrap();
        let inbox = load(&store, t(9, 0)).unwrap();
        assert_eq!(inbox.replies.len(), 1);
        assert_eq!(inbox.replies[0].name, "Lovelace, Ada");
        assert!(
            matches!(inbox.callbacks[0].entry, InboxEntry::CallMe { appointment, .. } if appointment == a)
        );
        assert_eq!(counts(&store, t(9, 0)).unwrap(), (1, 1));
        // Once the visit is well past, there is nothing left to call about.
        assert_eq!(counts(&store, t(17, 0)).unwrap(), (1, 0));
        for item in inbox.items() {
            handle(&mut store, &item.entry, "desk", t(9, 5)).unwrap();
        }
        assert!(load(&store, t(9, 6)).unwrap().is_empty());
        let audit = store::audit::for_subject(store.test_conn(), &format!("message:{m}")).unwrap();
        assert_eq!(
            (audit[0].action.as_str(), audit[0].actor.as_str()),
            ("reply.handled", "desk")
        );
    }
}
