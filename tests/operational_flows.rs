//! Operational texts (SPEC §5.6, issue 8 item 2): closure notices and portal prompts are not
//! held by the reminder caps; they are withdrawn — never sent late — once the closure they
//! announce (or the visit they concern) has begun, on every path: when recorded, when the
//! outbox is re-checked after a time offline, and at the last moment of a batch; and a patient
//! a closure notice cannot reach in time goes on the call-back list. Waits are written in the
//! practice's local time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fake_twilio;
mod support;

use frontdesk::workflow::send::Sending;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use fake_twilio::FakeTwilio;
use frontdesk::clock::Clock;
use frontdesk::config::Config;
use frontdesk::domain::ids::PatientId;
use frontdesk::domain::message::{MessageKind, MessageStatus};
use frontdesk::domain::report::SendOutcome;
use frontdesk::phi::Gate;
use frontdesk::provider::offline::Outbox;
use frontdesk::store;
use frontdesk::workflow::dispatch::{self, Dispatcher};
use frontdesk::workflow::send::{self, SendReport};
use frontdesk::workflow::sync;
use support::*;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A closure notice to everyone booked in `[from, to)`, sent at `now`.
fn closure(
    d: &Dispatcher,
    p: &mut Practice,
    config: &Config,
    now: DateTime<Utc>,
    window: (DateTime<Utc>, DateTime<Utc>),
) -> SendReport {
    let gate = Gate::with_allow_list(&[]);
    rt().block_on(send::closure(
        &Sending {
            dispatcher: d,
            config,
            gate: &gate,
            clock: &Clock::Fixed(now),
            actor: "desk",
        },
        &mut p.store,
        &send::ClosureNotice {
            from: window.0,
            to: window.1,
            clinician: None,
            text: None,
        },
        false,
    ))
    .unwrap()
}

fn callbacks(p: &Practice) -> Vec<(PatientId, String)> {
    store::callbacks::open(&p.store)
        .unwrap()
        .into_iter()
        .map(|c| (c.patient_id, c.reason))
        .collect()
}

/// Three reminders this week, one of them today: the reminder caps are full.
fn capped_patient(p: &mut Practice, first: &str, n: u32) -> PatientId {
    let id = p.patient(first, Some(&mobile(n)), Consent::OptedIn);
    for (i, days) in [0, 2, 4].into_iter().enumerate() {
        let at = ny(25, 9, 0) - Duration::days(days);
        p.store
            .write(|tx| {
                store::messages::insert_outbound(
                    tx,
                    &store::messages::NewOutbound {
                        kind: MessageKind::Reminder24h,
                        patient_id: Some(id),
                        appointment_id: None,
                        idempotency_key: &format!("earlier:{id}:{i}"),
                        to: &mobile(n),
                        body: "an earlier reminder",
                        encoding: "gsm7",
                        segments: 1,
                        status: MessageStatus::Delivered,
                        provider: "twilio",
                        findings: None,
                        created_by: "system",
                        now: at,
                        not_before: None,
                        send_by: None,
                    },
                )
            })
            .unwrap();
    }
    id
}

#[test]
fn closure_notices_and_portal_prompts_are_not_held_by_the_reminder_caps() {
    let fake = FakeTwilio::start_at(ny(25, 10, 0));
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = capped_patient(&mut p, "Ada", 134);
    p.book(ada, ny(27, 10, 0));
    let d = dispatcher(fake.provider());
    let r = closure(
        &d,
        &mut p,
        &config,
        ny(25, 10, 0),
        (ny(27, 0, 0), ny(28, 0, 0)),
    );
    assert_eq!(r.lines[0].outcome, SendOutcome::Sent, "{r:?}");
    let gate = Gate::with_allow_list(&[]);
    let r = rt()
        .block_on(send::portal_prompt(
            &Sending {
                dispatcher: &d,
                config: &config,
                gate: &gate,
                clock: &Clock::Fixed(ny(25, 10, 5)),
                actor: "desk",
            },
            &mut p.store,
            ada,
            MessageKind::PortalResultsReady,
            false,
        ))
        .unwrap();
    assert_eq!(r.lines[0].outcome, SendOutcome::Sent, "{r:?}");
    assert_eq!(fake.created().len(), 2);
}

#[test]
fn a_closure_notice_that_quiet_hours_would_deliver_after_the_closure_begins_is_never_sent() {
    // 21:00 the evening before a closure that starts at 08:00: the next allowed minute is
    // 08:00, when the closure has begun. The notice is not recorded to wait; the patient goes
    // on the call-back list at once.
    let fake = FakeTwilio::start_at(ny(25, 21, 0));
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let ben = p.patient("Ben", Some(&mobile(135)), Consent::None);
    p.book(ada, ny(26, 10, 0));
    p.book(ben, ny(26, 11, 0));
    let d = dispatcher(fake.provider());
    let r = closure(
        &d,
        &mut p,
        &config,
        ny(25, 21, 0),
        (ny(26, 8, 0), ny(27, 0, 0)),
    );
    assert!(fake.created().is_empty());
    assert!(
        r.lines
            .iter()
            .all(|l| l.outcome == SendOutcome::Skipped && l.callback),
        "{r:?}"
    );
    assert!(
        r.lines[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("Thu Nov 26 08:00 EST"),
        "{r:?}"
    );
    let list = callbacks(&p);
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].0, ada);
    assert!(list[1].1.contains("no consent"), "{list:?}");
    // Running the notice again adds nobody twice.
    closure(
        &d,
        &mut p,
        &config,
        ny(25, 21, 5),
        (ny(26, 8, 0), ny(27, 0, 0)),
    );
    assert_eq!(callbacks(&p).len(), 2);
}

#[test]
fn a_closure_notice_deferred_by_quiet_hours_goes_at_eight_written_in_local_time() {
    // 21:00 the evening before a closure that starts at 13:00: the notice waits until 08:00.
    let fake = FakeTwilio::start_at(ny(25, 21, 0));
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    p.book(ada, ny(26, 15, 0));
    let d = dispatcher(fake.provider());
    let r = closure(
        &d,
        &mut p,
        &config,
        ny(25, 21, 0),
        (ny(26, 13, 0), ny(27, 0, 0)),
    );
    assert_eq!(r.lines[0].outcome, SendOutcome::Deferred);
    assert_eq!(
        r.lines[0].reason.as_deref(),
        Some("quiet hours: goes Thu Nov 26 08:00 EST"),
        "the wait is in the practice's time, not UTC"
    );
    assert!(callbacks(&p).is_empty());
}

#[test]
fn a_closure_notice_left_in_the_outbox_is_withdrawn_once_the_closure_began_and_called_back() {
    // Written while offline on Tue; Twilio reachable again only on Thu, after Wednesday's
    // closure (13:00-17:00) with a 16:10 visit: the re-check withdraws it, sends nothing, and
    // puts the patient on the call-back list.
    let fake = FakeTwilio::start_at(ny(24, 10, 0));
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let visit = p.book(ada, ny(25, 16, 10));
    let offline = Dispatcher::from_config(&config, Arc::new(Outbox::new()));
    let r = closure(
        &offline,
        &mut p,
        &config,
        ny(24, 10, 0),
        (ny(25, 13, 0), ny(25, 17, 0)),
    );
    assert_eq!(r.lines[0].outcome, SendOutcome::InOutbox, "{r:?}");
    let row = &p.outbound_of(ada)[0];
    assert_eq!(row.send_by, Some(ny(25, 13, 0)));

    let thursday = ny(26, 9, 0);
    fake.set_now(thursday);
    let d = dispatcher(fake.provider());
    let gate = Gate::with_allow_list(&[]);
    let report = rt()
        .block_on(sync::sync(
            &d,
            &mut p.store,
            &config,
            &gate,
            &Clock::Fixed(thursday),
            &mut |_| {},
        ))
        .unwrap();
    assert_eq!(report.flush.withdrawn, 1, "{report:?}");
    assert!(
        fake.created().is_empty(),
        "no closure notice after the closure"
    );
    assert_eq!(p.outbound_of(ada)[0].status, MessageStatus::Withdrawn);
    let list = store::callbacks::open(&p.store).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].patient_id, list[0].appointment_id),
        (ada, Some(visit))
    );
    assert!(
        p.audit_actions(&format!("patient:{ada}"))
            .contains(&"callback.added".to_string())
    );
}

#[test]
fn a_closure_notice_whose_closure_begins_while_the_batch_runs_is_withdrawn_at_the_last_moment() {
    // Recorded at 12:58 for a closure at 13:00; the provider is slow and the batch reaches it
    // only at 13:01 (the clock the dispatcher reads): withdrawn, not sent.
    let fake = FakeTwilio::start_at(ny(25, 12, 58));
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    p.book(ada, ny(25, 15, 0));
    let offline = Dispatcher::from_config(&config, Arc::new(Outbox::new()));
    closure(
        &offline,
        &mut p,
        &config,
        ny(25, 12, 58),
        (ny(25, 13, 0), ny(25, 18, 0)),
    );
    let id = p.outbound_of(ada)[0].id;
    p.store
        .write(|tx| {
            store::messages::set_status(tx, id, MessageStatus::Pending, None, ny(25, 12, 58))
        })
        .unwrap();
    let d = dispatcher(fake.provider());
    let r = rt()
        .block_on(dispatch::dispatch(
            &d,
            &mut p.store,
            &[id],
            "system",
            &Clock::Fixed(ny(25, 13, 1)),
            &mut |_| {},
        ))
        .unwrap();
    assert_eq!((r.sent, r.withdrawn), (0, 1), "{r:?}");
    assert!(fake.created().is_empty());
    assert_eq!(callbacks(&p).len(), 1);
}

#[test]
fn a_closure_notice_twilio_refuses_for_good_puts_the_patient_on_the_call_back_list() {
    let fake = FakeTwilio::start_at(ny(25, 10, 0));
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    p.book(ada, ny(26, 15, 0));
    fake.fail_number(&mobile(134), 21614);
    let d = dispatcher(fake.provider());
    let r = closure(
        &d,
        &mut p,
        &config,
        ny(25, 10, 0),
        (ny(26, 13, 0), ny(27, 0, 0)),
    );
    assert_eq!(r.lines[0].outcome, SendOutcome::Failed);
    assert!(r.lines[0].callback);
    let list = callbacks(&p);
    assert_eq!(list.len(), 1);
    assert!(list[0].1.contains("21614"), "{list:?}");
}

#[test]
fn a_reminder_in_the_outbox_whose_visit_has_started_is_withdrawn_too() {
    // Recorded offline on Tue for a Wed 16:10 visit; online again on Wed at 16:30.
    let fake = FakeTwilio::start_at(ny(24, 16, 30));
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    p.book(ada, ny(25, 16, 10));
    let offline = Dispatcher::from_config(&config, Arc::new(Outbox::new()));
    let (r, _) = run_remind(&offline, &mut p.store, &config, ny(24, 16, 30), false);
    assert_eq!(r.recorded, 1, "{r:#?}");
    assert_eq!(p.outbound_of(ada)[0].send_by, Some(ny(25, 16, 10)));
    let d = dispatcher(fake.provider());
    let (r, _) = run_remind(&d, &mut p.store, &config, ny(25, 16, 30), false);
    assert_eq!(r.outbox_withdrawn, 1, "{r:#?}");
    assert!(fake.created().is_empty());
    assert!(callbacks(&p).is_empty(), "a reminder does not call back");
}
