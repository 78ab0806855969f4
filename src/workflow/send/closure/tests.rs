//! The desk-typed closure notice: refused words send nothing, the unreachable go on the
//! call-back list, every visit in the window is marked for rebooking, a second send is
//! recognised.

use std::sync::Arc;

use chrono::{Duration, TimeZone};

use super::*;
use crate::clock::Clock;
use crate::config::Config;
use crate::domain::ids::PatientId;
use crate::domain::phone::E164;
use crate::domain::report::SendOutcome;
use crate::phi::Gate;
use crate::provider::offline::Outbox;
use crate::store::appointments::tests::{booking, fixture, opt_in, t};
use crate::workflow::dispatch::Dispatcher;

/// Ada (opted in, mobile) and Bea (mobile, no consent), each booked on Friday 27 November
/// 2026 (10:00 and 11:00 in New York); the desk writes on Wednesday at 10:00.
struct Setup {
    store: Store,
    ada: PatientId,
    bea: PatientId,
    visits: Vec<crate::domain::ids::AppointmentId>,
    d: Dispatcher,
    config: Config,
}

fn setup() -> Setup {
    let (store, ada, c, ty) = fixture();
    let conn = store.test_conn();
    let mobile = |n: &str| E164::parse(n, "US").unwrap();
    store::patients::set_mobile(conn, ada, Some(&mobile("2015550134"))).unwrap();
    opt_in(&store, ada, t(8, 0));
    let bea = store::patients::insert(
        conn,
        &store::patients::NewPatient {
            external_id: None,
            first_name: "Bea".into(),
            last_name: "Nakamura".into(),
            birth_date: None,
            mobile: Some(mobile("2015550177")),
            time_zone: None,
            portal_active: false,
        },
        t(8, 0),
    )
    .unwrap();
    let friday = |h| t(h, 0) + Duration::days(2);
    let visits = vec![
        store::appointments::insert(conn, &booking(ada, c, ty, friday(15))).unwrap(),
        store::appointments::insert(conn, &booking(bea, c, ty, friday(16))).unwrap(),
    ];
    let config = Config::default();
    let d = Dispatcher::from_config(&config, Arc::new(Outbox::new()));
    Setup {
        store,
        ada,
        bea,
        visits,
        d,
        config,
    }
}

/// Friday from 08:00 to 18:00 in New York.
fn window(text: Option<&str>) -> ClosureNotice<'_> {
    let ny = chrono_tz::America::New_York;
    let at = |h| {
        ny.with_ymd_and_hms(2026, 11, 27, h, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    };
    ClosureNotice {
        from: at(8),
        to: at(18),
        clinician: None,
        text,
    }
}

fn send_at(
    s: &mut Setup,
    now: DateTime<Utc>,
    notice: &ClosureNotice<'_>,
) -> Result<SendReport, WorkflowError> {
    let gate = Gate::with_allow_list(&[]);
    let ctx = Sending {
        dispatcher: &s.d,
        config: &s.config,
        gate: &gate,
        clock: &Clock::Fixed(now),
        actor: "omar",
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(closure(&ctx, &mut s.store, notice, false))
}

const WORDS: &str =
    "The office is closed on Friday because of the storm. We will call you to rebook.";

#[test]
fn typed_words_go_behind_the_practice_name_and_the_unreachable_are_called_back() {
    let mut s = setup();
    let r = send_at(&mut s, t(15, 0), &window(Some(WORDS))).unwrap();
    let by_patient = |p| r.lines.iter().find(|l| l.patient_id == p).unwrap();
    assert_eq!(by_patient(s.ada).outcome, SendOutcome::InOutbox, "{r:?}");
    let bea = by_patient(s.bea);
    assert_eq!(bea.outcome, SendOutcome::Skipped);
    assert!(bea.callback, "{bea:?}");
    assert!(
        bea.reason.as_deref().unwrap().contains("no consent"),
        "{bea:?}"
    );
    // What Ada got is the practice's name, the desk's words and the opt-out notice.
    let sent = store::messages::for_patient(s.store.test_conn(), s.ada).unwrap();
    assert_eq!(sent.len(), 1);
    let practice = &s.config.practice.name;
    assert!(
        sent[0]
            .body
            .starts_with(&format!("{practice}: The office is closed")),
        "{}",
        sent[0].body
    );
    assert!(sent[0].body.contains("Reply STOP"), "{}", sent[0].body);
    // Bea is on the call-back list with the reason in words.
    let calls = store::callbacks::open(s.store.test_conn()).unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].patient_id, s.bea);
    assert_eq!(
        calls[0].reason,
        "closure could not reach the patient in time: no consent"
    );
    // Both visits are marked for rebooking, each audited once.
    for &a in &s.visits {
        assert!(store::rebookings::is_marked(s.store.test_conn(), a).unwrap());
        let audit =
            store::audit::for_subject(s.store.test_conn(), &format!("appointment:{a}")).unwrap();
        let marks: Vec<_> = audit
            .iter()
            .filter(|e| e.action == "appointment.rebook")
            .collect();
        assert_eq!((marks.len(), marks[0].actor.as_str()), (1, "omar"));
    }
}

#[test]
fn sending_again_is_recognised_and_changes_nothing() {
    let mut s = setup();
    send_at(&mut s, t(15, 0), &window(Some(WORDS))).unwrap();
    let audit_before = store::audit::page(s.store.test_conn(), 0, 500)
        .unwrap()
        .len();
    // A second press, and the same window with other words: one notice per visit.
    let again = send_at(&mut s, t(15, 5), &window(Some(WORDS))).unwrap();
    let other = send_at(
        &mut s,
        t(15, 6),
        &window(Some("Closed Friday. We will call you.")),
    )
    .unwrap();
    for r in [&again, &other] {
        let ada = r.lines.iter().find(|l| l.patient_id == s.ada).unwrap();
        assert_eq!(ada.outcome, SendOutcome::AlreadySent, "{r:?}");
    }
    assert_eq!(
        store::messages::for_patient(s.store.test_conn(), s.ada)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store::callbacks::open(s.store.test_conn()).unwrap().len(),
        1
    );
    let rebooks = store::audit::page(s.store.test_conn(), 0, 500)
        .unwrap()
        .iter()
        .filter(|e| e.entry.action == "appointment.rebook")
        .count();
    assert_eq!(rebooks, 2);
    // Bea's skip is decided again (nothing recorded for her) but adds no second call-back.
    let after = store::audit::page(s.store.test_conn(), 0, 500)
        .unwrap()
        .len();
    assert_eq!(after, audit_before, "a re-send writes no new audit records");
}

#[test]
fn clinical_words_are_refused_before_anything_is_recorded() {
    let mut s = setup();
    let words = "Closed Friday. Your chemotherapy infusion will be rebooked.";
    let err = send_at(&mut s, t(15, 0), &window(Some(words))).unwrap_err();
    assert!(err.to_string().contains("not sent to anyone"), "{err}");
    let conn = s.store.test_conn();
    assert!(
        store::messages::for_patient(conn, s.ada)
            .unwrap()
            .is_empty()
    );
    assert!(store::callbacks::open(conn).unwrap().is_empty());
    assert!(!store::rebookings::is_marked(conn, s.visits[0]).unwrap());
    // The refusal is audited with the finding's category, never the words.
    let audit = store::audit::page(conn, 0, 10).unwrap();
    let blocked = audit
        .iter()
        .find(|e| e.entry.action == "closure.blocked")
        .unwrap();
    let detail = blocked.entry.detail.to_string();
    assert!(!detail.to_lowercase().contains("chemo"), "{detail}");
    assert!(detail.contains("category"), "{detail}");
    // The words, fixed, then go: the refusal took no key.
    let r = send_at(&mut s, t(15, 5), &window(Some(WORDS))).unwrap();
    assert!(
        r.lines.iter().any(|l| l.outcome == SendOutcome::InOutbox),
        "{r:?}"
    );
    // Empty words and a window the wrong way round are refused too.
    assert!(send_at(&mut s, t(15, 6), &window(Some("   "))).is_err());
    let mut backwards = window(Some(WORDS));
    std::mem::swap(&mut backwards.from, &mut backwards.to);
    assert!(send_at(&mut s, t(15, 6), &backwards).is_err());
}

#[test]
fn a_notice_that_would_wait_past_the_start_is_withdrawn_and_called_back() {
    let mut s = setup();
    // Thursday 21:30 in New York: quiet hours until 08:00 Friday, when the closure begins.
    let ny = chrono_tz::America::New_York;
    let late = ny
        .with_ymd_and_hms(2026, 11, 26, 21, 30, 0)
        .unwrap()
        .with_timezone(&Utc);
    let r = send_at(&mut s, late, &window(Some(WORDS))).unwrap();
    let ada = r.lines.iter().find(|l| l.patient_id == s.ada).unwrap();
    assert_eq!(ada.outcome, SendOutcome::Skipped, "{r:?}");
    assert!(ada.callback);
    let calls = store::callbacks::open(s.store.test_conn()).unwrap();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(
        store::messages::for_patient(s.store.test_conn(), s.ada)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn no_reminder_goes_for_a_visit_the_closure_took_until_it_is_moved() {
    use crate::domain::reminder::{ReminderState, SkipReason};
    let mut s = setup();
    send_at(&mut s, t(15, 0), &window(Some(WORDS))).unwrap();
    // Thursday noon: Friday's 24 h reminders would be due.
    let thursday = t(17, 0) + Duration::days(1);
    let friday = thursday
        .with_timezone(&s.config.practice.time_zone)
        .date_naive()
        .succ_opt()
        .unwrap();
    let sheet = crate::workflow::day::load(&s.store, &s.config, friday, thursday).unwrap();
    let ada = sheet.rows.iter().find(|r| r.patient_id == s.ada).unwrap();
    assert!(ada.rebook);
    assert!(
        ada.reminders.iter().all(|c| c.state
            == ReminderState::Skipped(SkipReason::NotOpen {
                status: "to rebook (closure)".into()
            })),
        "{:?}",
        ada.reminders
    );
    let gate = Gate::with_allow_list(&[]);
    let report = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(crate::workflow::remind::run(
            &s.d,
            &mut s.store,
            &s.config,
            &gate,
            &Clock::Fixed(thursday),
            false,
            &mut |_| {},
        ))
        .unwrap();
    let visits: Vec<_> = report
        .lines
        .iter()
        .filter(|l| l.appointment_id.is_some())
        .collect();
    assert_eq!(visits.len(), 2, "{report:?}");
    for l in visits {
        assert_eq!(l.action, crate::domain::report::LineAction::Skip, "{l:?}");
        assert_eq!(l.reason.as_deref(), Some("to rebook (closure)"));
    }
}
