use super::*;
use crate::store::appointments::tests::{fixture, t};

pub(super) fn outbound<'a>(key: &'a str, p: PatientId) -> NewOutbound<'a> {
    NewOutbound {
        kind: MessageKind::Reminder24h,
        patient_id: Some(p),
        appointment_id: None,
        idempotency_key: key,
        to: "+12015550134",
        body: "Hi Ada, see you tomorrow at 9:00. Reply STOP to opt out.",
        encoding: "gsm7",
        segments: 1,
        status: MessageStatus::Pending,
        provider: "twilio",
        findings: None,
        created_by: "system",
        now: t(9, 0),
        not_before: None,
        send_by: None,
    }
}

#[test]
fn the_idempotency_key_admits_one_row_only() {
    let (store, p, _, _) = fixture();
    let first = insert_outbound(store.test_conn(), &outbound("appt:1:1764000000:24", p)).unwrap();
    assert!(first.is_some());
    assert_eq!(
        insert_outbound(store.test_conn(), &outbound("appt:1:1764000000:24", p)).unwrap(),
        None
    );
    let row = by_key(store.test_conn(), "appt:1:1764000000:24")
        .unwrap()
        .unwrap();
    assert_eq!(Some(row.id), first);
    assert_eq!(row.status, MessageStatus::Pending);
}

#[test]
fn send_outcome_then_statuses_only_move_forward() {
    let (store, p, _, _) = fixture();
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
    let m = apply_provider_status(
        store.test_conn(),
        "twilio",
        "SM1",
        MessageStatus::Delivered,
        None,
        t(9, 2),
    )
    .unwrap()
    .unwrap();
    assert_eq!(m.status, MessageStatus::Delivered);
    let m = apply_provider_status(
        store.test_conn(),
        "twilio",
        "SM1",
        MessageStatus::Sent,
        None,
        t(9, 3),
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        m.status,
        MessageStatus::Delivered,
        "a late 'sent' does not undo 'delivered'"
    );
    assert_eq!(m.sent_at, Some(t(9, 1)));
    assert_eq!(m.attempts, 1);
    assert!(
        apply_provider_status(
            store.test_conn(),
            "twilio",
            "SM-unknown",
            MessageStatus::Sent,
            None,
            t(9, 3)
        )
        .unwrap()
        .is_none()
    );
}

#[test]
fn waiting_to_send_lists_pending_outbox_and_unsent_queued() {
    let (store, p, _, _) = fixture();
    let a = insert_outbound(store.test_conn(), &outbound("a", p))
        .unwrap()
        .unwrap();
    let b = insert_outbound(
        store.test_conn(),
        &NewOutbound {
            status: MessageStatus::Queued,
            provider: "outbox",
            ..outbound("b", p)
        },
    )
    .unwrap()
    .unwrap();
    let c = insert_outbound(store.test_conn(), &outbound("c", p))
        .unwrap()
        .unwrap();
    mark_attempt_failed(
        store.test_conn(),
        c,
        MessageStatus::Failed,
        Some("21211"),
        "invalid number",
        t(9, 1),
    )
    .unwrap();
    // Accepted by Twilio as "queued": it has left, so it is not waiting to be sent.
    let d = insert_outbound(store.test_conn(), &outbound("d", p))
        .unwrap()
        .unwrap();
    mark_handed_over(
        store.test_conn(),
        d,
        "twilio",
        "SMd",
        MessageStatus::Queued,
        t(9, 2),
    )
    .unwrap();
    assert_eq!(
        waiting_to_send(store.test_conn())
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect::<Vec<_>>(),
        vec![a, b]
    );
    assert_eq!(
        get(store.test_conn(), c).unwrap().error_code.as_deref(),
        Some("21211")
    );
}

#[test]
fn messages_cannot_be_deleted() {
    let (store, p, _, _) = fixture();
    insert_outbound(store.test_conn(), &outbound("a", p)).unwrap();
    assert!(
        store
            .test_conn()
            .execute("DELETE FROM messages", [])
            .is_err()
    );
}

#[test]
fn outbound_provider_ids_may_repeat_but_inbound_ones_dedupe() {
    let (store, p, _, _) = fixture();
    // A Twilio-compatible mock answers every create with the same sid: that must not fail.
    for key in ["a", "b"] {
        let id = insert_outbound(store.test_conn(), &outbound(key, p))
            .unwrap()
            .unwrap();
        mark_handed_over(
            store.test_conn(),
            id,
            "twilio",
            "SMsame",
            MessageStatus::Queued,
            t(9, 0),
        )
        .unwrap();
    }
    let first = insert_inbound(
        store.test_conn(),
        &NewInbound {
            patient: Some(p),
            from: "+12015550134",
            to: "+15555550123",
            body: "C",
            provider: "twilio",
            provider_id: "SMin",
            at: t(9, 1),
        },
    )
    .unwrap();
    let again = insert_inbound(
        store.test_conn(),
        &NewInbound {
            patient: Some(p),
            from: "+12015550134",
            to: "+15555550123",
            body: "C",
            provider: "twilio",
            provider_id: "SMin",
            at: t(9, 1),
        },
    )
    .unwrap();
    assert!(first.is_some() && again.is_none());
}

#[test]
fn begin_attempt_makes_any_waiting_row_pending_and_drops_another_providers_id() {
    let (store, p, _, _) = fixture();
    let c = store.test_conn();
    // Held by the offline outbox, then sent through Twilio.
    let held = insert_outbound(c, &outbound("held", p)).unwrap().unwrap();
    mark_handed_over(c, held, "outbox", "OB1", MessageStatus::Queued, t(9, 0)).unwrap();
    // Queued after a 429 (its provider already twilio).
    let limited = insert_outbound(c, &outbound("limited", p))
        .unwrap()
        .unwrap();
    mark_attempt_failed(
        c,
        limited,
        MessageStatus::Queued,
        Some("20429"),
        "slow",
        t(9, 0),
    )
    .unwrap();
    // Already delivered: untouched.
    let done = insert_outbound(c, &outbound("done", p)).unwrap().unwrap();
    mark_handed_over(c, done, "twilio", "SM9", MessageStatus::Delivered, t(9, 0)).unwrap();
    for id in [held, limited, done] {
        begin_attempt(c, id, "twilio", t(9, 5)).unwrap();
    }
    let held = get(c, held).unwrap();
    assert_eq!(
        (
            held.status,
            held.provider.as_str(),
            held.provider_id.as_deref()
        ),
        (MessageStatus::Pending, "twilio", None)
    );
    assert!(held.may_be_at_provider());
    let limited = get(c, limited).unwrap();
    assert_eq!(limited.status, MessageStatus::Pending);
    assert_eq!(get(c, done).unwrap().status, MessageStatus::Delivered);
    let unsent: Vec<_> = unsent_to(c, "+12015550134")
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(unsent, vec![held.id, limited.id]);
}

/// What a batch and the day view ask of the messages table per text, per number or per
/// patient reads an index, never the whole table: at a clinic group's 5 M messages one scan
/// is ~20 s (a batch's outbox query once did that before its first text went).
#[test]
fn the_hot_message_queries_never_scan_the_table() {
    let store = crate::store::Store::open_in_memory().unwrap();
    let plan = |sql: &str| -> String {
        let mut stmt = store
            .test_conn()
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap();
        let n = stmt.parameter_count();
        stmt.query_map(rusqlite::params_from_iter([0, 1].iter().take(n)), |r| {
            r.get::<_, String>(3)
        })
        .unwrap()
        .map(Result::unwrap)
        .collect::<Vec<_>>()
        .join("; ")
    };
    for (sql, index) in [
        (
            format!("SELECT id FROM messages {WAITING_TO_SEND}"),
            "messages_waiting",
        ),
        (
            format!("SELECT id FROM messages {UNSENT_TO}"),
            "messages_waiting",
        ),
        (
            crate::store::day::OUTBOX_COUNT.to_string(),
            "messages_waiting",
        ),
        (
            PROVIDER_IDS_TO.to_string(),
            "messages_provider_ids_by_number",
        ),
        (
            planner::REMINDER_KEYS.to_string(),
            "SEARCH r USING PRIMARY KEY (appointment_id=?)",
        ),
        (
            planner::REMINDER_KEYS.to_string(),
            "SEARCH m USING INTEGER PRIMARY KEY (rowid=?)",
        ),
        (
            planner::LAST_OUTBOUND.to_string(),
            "messages_out_by_patient",
        ),
        (
            planner::OUTBOUND_SINCE.to_string(),
            "SEARCH messages USING COVERING INDEX messages_out_by_patient (patient_id=? AND <expr>>?)",
        ),
        (
            planner::SENT_BEFORE_WRITTEN.to_string(),
            "SEARCH messages USING INDEX messages_sent_before_written (patient_id=? AND created_at>?)",
        ),
        (
            format!("SELECT {COLUMNS} FROM messages {FOR_PATIENT}").replace("{COLUMNS}", COLUMNS),
            "SEARCH messages USING INDEX messages_out_by_patient (patient_id=?)",
        ),
        (
            format!("SELECT {COLUMNS} FROM messages {FOR_PATIENT}").replace("{COLUMNS}", COLUMNS),
            "SEARCH messages USING INDEX messages_in_by_patient (patient_id=?)",
        ),
        (
            format!("SELECT id FROM messages {BY_PROVIDER_ID_OUT}"),
            "outbound_by_provider_id",
        ),
        (
            format!("SELECT id FROM messages {BY_PROVIDER_ID_IN}"),
            "inbound_by_provider_id",
        ),
    ] {
        let p = plan(&sql);
        assert!(p.contains(index), "{index}: {p}");
        assert!(!p.contains("SCAN messages"), "{index}: {p}");
    }
}

/// "First text since opting in" asks when the newest text that left (or may still leave) was
/// sent, or written when it has not been: a text written early and sent late counts at its
/// sending; refused ones and the one being re-checked do not count.
#[test]
fn the_last_outbound_is_the_latest_sending_or_writing_of_a_text_that_counts() {
    let (store, p, _, _) = fixture();
    let c = store.test_conn();
    let at = |h, m| Some(t(h, m));
    // Asked with another patient who has a text of their own: each gets their own answer.
    let other = crate::store::patients::insert(c, &second_patient(), t(8, 0)).unwrap();
    insert_outbound(
        c,
        &NewOutbound {
            now: t(23, 0),
            ..outbound("other", other)
        },
    )
    .unwrap();
    let last_outbound_at = |c, p: PatientId, exclude| {
        let both = last_outbound(c, &[other, p], exclude).unwrap();
        assert_eq!(both.get(&other), Some(&t(23, 0)));
        Ok::<_, StoreError>(both.get(&p).copied())
    };
    assert_eq!(last_outbound_at(c, p, None).unwrap(), None, "never texted");
    let write = |key: &str, h, status| {
        insert_outbound(
            c,
            &NewOutbound {
                now: t(h, 0),
                status,
                ..outbound(key, p)
            },
        )
        .unwrap()
        .unwrap()
    };
    let early = write("early", 9, MessageStatus::Pending);
    let sent = write("sent", 10, MessageStatus::Pending);
    let _blocked = write("blocked", 11, MessageStatus::Blocked);
    assert_eq!(
        last_outbound_at(c, p, None).unwrap(),
        at(10, 0),
        "written, not sent"
    );
    mark_handed_over(c, sent, "twilio", "SM1", MessageStatus::Sent, t(10, 5)).unwrap();
    assert_eq!(last_outbound_at(c, p, None).unwrap(), at(10, 5));
    // Written first, sent last (it waited for quiet hours to end).
    mark_handed_over(c, early, "twilio", "SM2", MessageStatus::Sent, t(12, 30)).unwrap();
    assert_eq!(last_outbound_at(c, p, None).unwrap(), at(12, 30));
    assert_eq!(
        last_outbound_at(c, p, Some(early)).unwrap(),
        at(10, 5),
        "the one re-checked"
    );
}

/// A second patient for the batched reads' tests.
fn second_patient() -> crate::store::patients::NewPatient {
    crate::store::patients::NewPatient {
        external_id: None,
        first_name: "Grace".into(),
        last_name: "Hopper".into(),
        birth_date: None,
        mobile: None,
        time_zone: None,
        portal_active: false,
    }
}

/// A patient's thread, both directions, in writing order — an outbound text written after a
/// reply comes after it, a text written in the same second after it by id — and no other
/// patient's texts (read through the two by-direction indexes since migration 18).
#[test]
fn a_patients_thread_merges_both_directions_in_writing_order() {
    let (store, p, _, _) = fixture();
    let c = store.test_conn();
    let other = crate::store::patients::insert(c, &second_patient(), t(8, 0)).unwrap();
    let reply = |id: &str, patient, at| {
        insert_inbound(
            c,
            &NewInbound {
                patient: Some(patient),
                from: "+12015550134",
                to: "+15555550123",
                body: "C",
                provider: "twilio",
                provider_id: id,
                at,
            },
        )
        .unwrap()
        .unwrap()
    };
    let text = |key: &str, patient, at| {
        let m = NewOutbound {
            now: at,
            ..outbound(key, patient)
        };
        insert_outbound(c, &m).unwrap().unwrap()
    };
    let late = text("late", p, t(11, 0));
    let first = reply("SM1", p, t(9, 0));
    let same_second = text("same", p, t(9, 0));
    reply("SM2", other, t(9, 30));
    text("theirs", other, t(10, 0));
    let middle = reply("SM3", p, t(10, 0));
    let thread: Vec<MessageId> = for_patient(c, p).unwrap().iter().map(|m| m.id).collect();
    assert_eq!(thread, [first, same_second, middle, late]);
}
