use super::*;
use crate::domain::message::MessageStatus;
use crate::domain::phone::E164;
use crate::provider::offline::Outbox;
use crate::store::appointments::tests::{booking, fixture, t};
use crate::workflow::send::Sending;
use std::sync::Arc;

fn setup(opted_in: bool) -> (Store, PatientId, Dispatcher, Config) {
    let (store, p, c, ty) = fixture();
    store::patients::set_mobile(
        store.test_conn(),
        p,
        Some(&E164::parse("2015550134", "US").unwrap()),
    )
    .unwrap();
    if opted_in {
        crate::store::appointments::tests::opt_in(&store, p, t(8, 0));
    }
    store::appointments::insert(
        store.test_conn(),
        &booking(p, c, ty, t(15, 0) + chrono::Duration::days(2)),
    )
    .unwrap();
    let config = Config::default();
    let d = Dispatcher::from_config(&config, Arc::new(Outbox::new()));
    (store, p, d, config)
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn portal_prompt_goes_once_a_day_and_is_audited() {
    let (mut store, p, d, config) = setup(true);
    let gate = Gate::with_allow_list(&[]);
    let clock = Clock::Fixed(t(15, 0)); // 10:00 in New York
    let r = rt()
        .block_on(portal_prompt(
            &Sending {
                dispatcher: &d,
                config: &config,
                gate: &gate,
                clock: &clock,
                actor: "desk",
            },
            &mut store,
            p,
            MessageKind::PortalResultsReady,
            false,
        ))
        .unwrap();
    assert_eq!(r.lines[0].outcome, SendOutcome::InOutbox, "{r:?}");
    let id = r.lines[0].message_id.unwrap();
    let m = store::messages::get(store.test_conn(), id).unwrap();
    assert!(
        m.body.contains("results are ready") && m.body.contains("Riverside Family Practice"),
        "{}",
        m.body
    );
    assert!(
        !store::audit::for_subject(store.test_conn(), &format!("message:{id}"))
            .unwrap()
            .is_empty()
    );
    let again = rt()
        .block_on(portal_prompt(
            &Sending {
                dispatcher: &d,
                config: &config,
                gate: &gate,
                clock: &clock,
                actor: "desk",
            },
            &mut store,
            p,
            MessageKind::PortalResultsReady,
            false,
        ))
        .unwrap();
    assert_eq!(again.lines[0].outcome, SendOutcome::AlreadySent);
}

#[test]
fn no_consent_is_skipped_with_the_reason_and_writes_nothing() {
    let (mut store, p, d, config) = setup(false);
    let gate = Gate::with_allow_list(&[]);
    let r = rt()
        .block_on(portal_prompt(
            &Sending {
                dispatcher: &d,
                config: &config,
                gate: &gate,
                clock: &Clock::Fixed(t(15, 0)),
                actor: "desk",
            },
            &mut store,
            p,
            MessageKind::PortalNewMessage,
            false,
        ))
        .unwrap();
    assert_eq!(
        (r.lines[0].outcome, r.lines[0].reason.as_deref()),
        (SendOutcome::Skipped, Some("no consent"))
    );
    assert!(
        store::messages::for_patient(store.test_conn(), p)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn quiet_hours_defer_to_the_next_allowed_minute() {
    let (mut store, p, d, config) = setup(true);
    let gate = Gate::with_allow_list(&[]);
    // 22:00 in New York.
    let clock = Clock::Fixed(t(3, 0) + chrono::Duration::days(1));
    let r = rt()
        .block_on(portal_prompt(
            &Sending {
                dispatcher: &d,
                config: &config,
                gate: &gate,
                clock: &clock,
                actor: "desk",
            },
            &mut store,
            p,
            MessageKind::PortalIntakeForms,
            false,
        ))
        .unwrap();
    assert_eq!(r.lines[0].outcome, SendOutcome::Deferred);
    let m = store::messages::get(store.test_conn(), r.lines[0].message_id.unwrap()).unwrap();
    assert_eq!(m.status, MessageStatus::Queued);
    assert_eq!(
        m.not_before,
        Some(t(13, 0) + chrono::Duration::days(1)),
        "08:00 New York"
    );
}

#[test]
fn closure_dry_run_writes_nothing_and_lists_each_appointment() {
    let (mut store, p, d, config) = setup(true);
    let gate = Gate::with_allow_list(&[]);
    let from = t(0, 0) + chrono::Duration::days(2);
    let r = rt()
        .block_on(closure(
            &Sending {
                dispatcher: &d,
                config: &config,
                gate: &gate,
                clock: &Clock::Fixed(t(15, 0)),
                actor: "desk",
            },
            &mut store,
            &ClosureNotice {
                from,
                to: from + chrono::Duration::days(1),
                clinician: None,
                text: None,
            },
            true,
        ))
        .unwrap();
    assert_eq!(r.lines.len(), 1);
    assert_eq!(r.lines[0].outcome, SendOutcome::WouldSend);
    assert!(
        store::messages::for_patient(store.test_conn(), p)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn window_bounds_parse_in_the_practice_zone() {
    let c = Config::default();
    assert_eq!(parse_local("2026-11-25", &c).unwrap(), t(5, 0));
    assert_eq!(parse_local("2026-11-25T13:00", &c).unwrap(), t(18, 0));
    assert_eq!(parse_local(" 2026-11-25 13:00 ", &c).unwrap(), t(18, 0));
    assert!(parse_local("2026-11-25 25:00", &c).is_err());
    assert!(
        parse_local("2026-03-08 02:30", &c).is_err(),
        "skipped by the clocks"
    );
    assert!(parse_local("next tuesday", &c).is_err());
}
