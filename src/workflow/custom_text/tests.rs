use super::*;
use crate::clock::Clock;
use crate::domain::phone::E164;
use crate::domain::report::SendOutcome;
use crate::domain::template::OPT_OUT_NOTICE;
use crate::phi::Gate;
use crate::provider::offline::Outbox;
use crate::store::appointments::tests::{fixture, opt_in, t};
use std::sync::Arc;

fn setup(opted_in: bool) -> (Store, PatientId, Dispatcher, Config) {
    let (store, p, _, _) = fixture();
    let number = E164::parse("2015550134", "US").unwrap();
    store::patients::set_mobile(store.test_conn(), p, Some(&number)).unwrap();
    if opted_in {
        opt_in(&store, p, t(8, 0));
    }
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

fn send_at(
    store: &mut Store,
    d: &Dispatcher,
    config: &Config,
    p: PatientId,
    at: DateTime<Utc>,
    typed: &str,
) -> SendReport {
    let gate = Gate::with_allow_list(&[]);
    let clock = Clock::Fixed(at);
    let ctx = Sending {
        dispatcher: d,
        config,
        gate: &gate,
        clock: &clock,
        actor: "desk",
    };
    rt().block_on(send(&ctx, store, p, typed)).unwrap()
}

#[test]
fn compose_marks_the_practice_and_notice_trusted_and_points_at_the_typed_words() {
    let c = compose("Riverside Family Practice", "  Your ride is here.  ", true);
    assert_eq!(
        c.body,
        "Riverside Family Practice: Your ride is here. Reply STOP to opt out."
    );
    assert_eq!(&c.body[c.trusted[0].clone()], "Riverside Family Practice");
    assert_eq!(&c.body[c.trusted[1].clone()], OPT_OUT_NOTICE);
    assert!(c.body[c.typed_at..].starts_with("Your ride"));
}

#[test]
fn live_check_blocks_clinical_words_in_the_typed_text_only() {
    let gate = Gate::with_allow_list(&[]);
    let (c, s) = check(
        &gate,
        "Riverside Family Practice",
        "your chemotherapy starts monday",
    );
    assert!(s.refusal.is_some(), "{s:?}");
    let f = s.verdict.findings.iter().find(|f| !f.allowed).unwrap();
    assert!(f.start >= c.typed_at, "the finding is in the typed words");
    let (_, ok) = check(
        &gate,
        "Riverside Family Practice",
        "the office opens at 10 today",
    );
    assert_eq!(ok.refusal, None, "{ok:?}");
}

#[test]
fn an_opted_in_patient_gets_it_once_and_a_second_press_is_recognised() {
    let (mut store, p, d, config) = setup(true);
    let at = t(15, 0); // 10:00 in New York
    let r = send_at(&mut store, &d, &config, p, at, "Your ride is here.");
    assert_eq!(r.lines[0].outcome, SendOutcome::InOutbox, "{r:?}");
    let m = store::messages::get(store.test_conn(), r.lines[0].message_id.unwrap()).unwrap();
    assert_eq!(m.kind, MessageKind::Custom);
    assert!(
        m.body
            .starts_with("Riverside Family Practice: Your ride is here."),
        "{}",
        m.body
    );
    let again = send_at(&mut store, &d, &config, p, at, "Your ride is here. ");
    assert_eq!(again.lines[0].outcome, SendOutcome::AlreadySent);
}

#[test]
fn no_consent_is_skipped_and_clinical_detail_is_blocked_and_recorded() {
    let (mut store, p, d, config) = setup(false);
    let r = send_at(&mut store, &d, &config, p, t(15, 0), "Your ride is here.");
    assert_eq!(
        (r.lines[0].outcome, r.lines[0].reason.as_deref()),
        (SendOutcome::Skipped, Some("no consent"))
    );
    let (mut store, p, d, config) = setup(true);
    let r = send_at(
        &mut store,
        &d,
        &config,
        p,
        t(15, 0),
        "Your HIV test came back",
    );
    assert_eq!(r.lines[0].outcome, SendOutcome::Blocked, "{r:?}");
    assert!(
        r.lines[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("portal prompt")
    );
    let m = store::messages::get(store.test_conn(), r.lines[0].message_id.unwrap()).unwrap();
    assert_eq!(m.status, MessageStatus::Blocked);
}

#[test]
fn in_quiet_hours_it_waits_for_the_morning() {
    let (mut store, p, d, config) = setup(true);
    let late = t(23, 0) + chrono::Duration::hours(3); // 21:00 in New York
    let r = send_at(&mut store, &d, &config, p, late, "Your ride is here.");
    assert_eq!(r.lines[0].outcome, SendOutcome::Deferred, "{r:?}");
    assert!(
        r.lines[0].reason.as_deref().unwrap().contains("08:00"),
        "{r:?}"
    );
}
