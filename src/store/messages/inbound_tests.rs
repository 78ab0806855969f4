//! Inbound texts: deduplicated by provider id, filed as replies (with their text's patient and
//! time, migration 20), the inbox, and the look-ups by mobile and recent replies. Split from
//! `tests.rs` by what it owns.

use super::tests::outbound;
use super::*;
use crate::domain::reply::ReplyKind;
use crate::store::appointments::tests::{fixture, t};

#[test]
fn inbound_is_deduplicated_by_provider_id_and_lands_in_the_inbox() {
    let (store, p, _, _) = fixture();
    let text = NewInbound {
        patient: Some(p),
        from: "+12015550134",
        to: "+15555550123",
        body: "running late",
        provider: "twilio",
        provider_id: "SMin1",
        at: t(9, 0),
    };
    let id = insert_inbound(store.test_conn(), &text).unwrap().unwrap();
    // The provider delivers the same text again (a webhook retried): nothing new.
    assert_eq!(insert_inbound(store.test_conn(), &text).unwrap(), None);
    classify_reply(store.test_conn(), id, ReplyKind::Other, None).unwrap();
    assert_eq!(inbox_count(store.test_conn()).unwrap(), 1);
    assert_eq!(
        inbox(store.test_conn(), 10).unwrap()[0].body,
        "running late"
    );
    mark_reply_handled(store.test_conn(), id, "desk", t(9, 5)).unwrap();
    assert_eq!(inbox_count(store.test_conn()).unwrap(), 0);
    // The reply carries its text's patient and time (migration 20); filing a text that was
    // never recorded is refused, not a reply to nothing.
    let copy: (i64, i64) = store
        .test_conn()
        .query_row(
            "SELECT patient_id, received_at FROM replies WHERE message_id = ?1",
            [id.0],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(copy, (p.0, t(9, 0).timestamp()));
    let missing = classify_reply(
        store.test_conn(),
        MessageId(id.0 + 99),
        ReplyKind::Other,
        None,
    );
    assert!(
        matches!(
            missing,
            Err(StoreError::NotFound {
                what: "message",
                ..
            })
        ),
        "{missing:?}"
    );
}

#[test]
fn lookups_by_mobile_provider_id_and_recent_replies() {
    let (store, p, _, _) = fixture();
    let mobile = "+12015550134";
    store
        .test_conn()
        .execute("UPDATE patients SET mobile = ?1", params![mobile])
        .unwrap();
    assert_eq!(
        patients_by_mobile(store.test_conn(), mobile).unwrap(),
        vec![p]
    );
    assert!(
        patients_by_mobile(store.test_conn(), "+12015550999")
            .unwrap()
            .is_empty()
    );

    let id = insert_outbound(store.test_conn(), &outbound("k", p))
        .unwrap()
        .unwrap();
    mark_handed_over(
        store.test_conn(),
        id,
        "twilio",
        "SM1",
        MessageStatus::Queued,
        t(9, 1),
    )
    .unwrap();
    assert_eq!(
        by_provider_id(store.test_conn(), Direction::Outbound, "twilio", "SM1")
            .unwrap()
            .unwrap()
            .id,
        id
    );
    assert!(
        by_provider_id(store.test_conn(), Direction::Outbound, "outbox", "SM1")
            .unwrap()
            .is_none()
    );
    assert!(
        by_provider_id(store.test_conn(), Direction::Inbound, "twilio", "SM1")
            .unwrap()
            .is_none(),
        "an outbound id is not an inbound one"
    );

    let early = insert_inbound(
        store.test_conn(),
        &NewInbound {
            patient: Some(p),
            from: mobile,
            to: "+1",
            body: "C",
            provider: "twilio",
            provider_id: "SMa",
            at: t(9, 0),
        },
    )
    .unwrap()
    .unwrap();
    let late = insert_inbound(
        store.test_conn(),
        &NewInbound {
            patient: Some(p),
            from: mobile,
            to: "+1",
            body: "?",
            provider: "twilio",
            provider_id: "SMb",
            at: t(10, 0),
        },
    )
    .unwrap()
    .unwrap();
    classify_reply(store.test_conn(), early, ReplyKind::Confirm, None).unwrap();
    classify_reply(store.test_conn(), late, ReplyKind::Other, None).unwrap();
    assert_eq!(
        replies_since(store.test_conn(), p, t(9, 0)).unwrap(),
        vec![(early, ReplyKind::Confirm), (late, ReplyKind::Other)]
    );
    assert_eq!(
        replies_since(store.test_conn(), p, t(9, 30)).unwrap(),
        vec![(late, ReplyKind::Other)]
    );
}
