//! Confirm, flag and opt-out straight from a reply: through the status machine and the consent
//! rules, the reply handled in the same transaction, audited by id (never the words).

use super::*;
use crate::domain::consent::ConsentState;
use crate::domain::ids::AppointmentId;
use crate::domain::inbox::InboxEntry;
use crate::domain::phone::E164;
use crate::domain::reply::ReplyKind;
use crate::store::appointments::tests::{booking, fixture, t};
use crate::workflow::inbox;

/// Ada with a visit tomorrow and a reply waiting in the inbox.
fn setup(body: &str) -> (Store, PatientId, AppointmentId, MessageId) {
    let (store, p, c, ty) = fixture();
    let conn = store.test_conn();
    let mobile = E164::parse("2015550134", "US").unwrap();
    store::patients::set_mobile(conn, p, Some(&mobile)).unwrap();
    let a = store::appointments::insert(
        conn,
        &booking(p, c, ty, t(15, 0) + chrono::Duration::days(1)),
    )
    .unwrap();
    let m = store::messages::insert_inbound(
        conn,
        &store::messages::NewInbound {
            patient: Some(p),
            from: mobile.as_str(),
            to: "+1",
            body,
            provider: "outbox",
            provider_id: "SM9",
            at: t(8, 0),
        },
    )
    .unwrap()
    .unwrap();
    store::messages::classify_reply(conn, m, ReplyKind::Other, None).unwrap();
    (store, p, a, m)
}

fn at(config: &Config) -> DeskAct<'_> {
    DeskAct {
        config,
        actor: "rosa",
        now: t(9, 0),
    }
}

#[test]
fn confirm_from_a_reply_confirms_the_next_visit_and_handles_the_reply() {
    let (mut store, _, a, m) = setup("Yes I'll be there, thank you!");
    let config = Config::default();
    let line = &inbox::load(&store, t(9, 0)).unwrap().replies[0];
    assert_eq!(
        line.visit.map(|v| v.0),
        Some(a),
        "the line names the visit it acts on"
    );
    let done = act(&mut store, &at(&config), m, ReplyAction::Confirm).unwrap();
    assert!(
        done.starts_with("Confirmed the visit on Thu Nov 26"),
        "{done}"
    );
    let conn = store.test_conn();
    assert_eq!(
        store::appointments::get(conn, a).unwrap().status,
        AppointmentStatus::Confirmed
    );
    assert_eq!(store::messages::inbox_count(conn).unwrap(), 0);
    let audit = store::audit::for_subject(conn, &format!("appointment:{a}")).unwrap();
    assert_eq!(audit[0].actor, "rosa");
    assert!(audit[0].detail.to_string().contains("\"via\":\"reply\""));
    // Confirming again is refused by the status machine; the reply stays handled.
    assert!(act(&mut store, &at(&config), m, ReplyAction::Confirm).is_err());
}

#[test]
fn flag_puts_the_visit_on_the_call_back_list() {
    let (mut store, _, a, m) = setup("Can we make it later in the day?");
    let config = Config::default();
    act(&mut store, &at(&config), m, ReplyAction::Flag).unwrap();
    let lists = inbox::load(&store, t(9, 0)).unwrap();
    assert!(lists.replies.is_empty());
    assert!(
        matches!(lists.callbacks[0].entry, InboxEntry::CallMe { appointment, .. } if appointment == a)
    );
}

#[test]
fn an_opt_out_in_the_patients_own_words_keeps_the_words_as_evidence_not_in_the_audit() {
    let (mut store, p, _, m) = setup("please stop texting me, my son handles my visits");
    // A family member sharing the number is opted out with them, as a STOP would.
    let conn = store.test_conn();
    let kid = store::patients::insert(
        conn,
        &store::patients::NewPatient {
            external_id: None,
            first_name: "Tomás".into(),
            last_name: "Lovelace".into(),
            birth_date: None,
            mobile: Some(E164::parse("2015550134", "US").unwrap()),
            time_zone: None,
            portal_active: false,
        },
        t(8, 0),
    )
    .unwrap();
    let config = Config::default();
    let done = act(&mut store, &at(&config), m, ReplyAction::OptOut).unwrap();
    assert!(done.contains("2 patients"), "{done}");
    let conn = store.test_conn();
    for who in [p, kid] {
        let events = store::consent::events(conn, who).unwrap();
        let last = events.last().unwrap();
        assert_eq!(last.method, ConsentMethod::SmsReply);
        assert_eq!(last.recorded_by, "rosa");
        assert!(
            last.evidence
                .as_deref()
                .unwrap()
                .contains("\"please stop texting me, my son"),
            "{last:?}"
        );
        assert!(matches!(
            ConsentState::from_events(&events),
            ConsentState::OptedOut { .. }
        ));
        let audit = store::audit::for_subject(conn, &format!("patient:{who}")).unwrap();
        let detail = audit.last().unwrap().detail.to_string();
        assert!(!detail.contains("stop texting"), "{detail}");
    }
    // A second opt-out from the same reply records nothing more.
    assert!(
        act(&mut store, &at(&config), m, ReplyAction::OptOut)
            .unwrap()
            .starts_with("Already")
    );
    assert_eq!(
        store::consent::events(store.test_conn(), p).unwrap().len(),
        1
    );
}

#[test]
fn a_reply_from_an_unknown_number_or_without_a_visit_is_refused_and_left_unread() {
    let (mut store, p, a, m) = setup("ok");
    let config = Config::default();
    store::appointments::set_status(
        store.test_conn(),
        a,
        AppointmentStatus::Booked,
        AppointmentStatus::Cancelled,
        "desk",
        t(8, 30),
    )
    .unwrap();
    let err = act(&mut store, &at(&config), m, ReplyAction::Confirm).unwrap_err();
    assert!(err.to_string().contains("no upcoming visit"), "{err}");
    assert_eq!(store::messages::inbox_count(store.test_conn()).unwrap(), 1);
    let stranger = store::messages::insert_inbound(
        store.test_conn(),
        &store::messages::NewInbound {
            patient: None,
            from: "+14155550100",
            to: "+1",
            body: "who is this?",
            provider: "outbox",
            provider_id: "SM10",
            at: t(8, 0),
        },
    )
    .unwrap()
    .unwrap();
    assert!(act(&mut store, &at(&config), stranger, ReplyAction::OptOut).is_err());
    let _ = p;
}
