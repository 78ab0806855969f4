//! `frontdesk remind` when something goes wrong, against the stateful fake Twilio: 429s and
//! 401s, Twilio's number codes, an opt-out between runs, the network down, a lost answer or
//! a create that timed out after Twilio took it — each text still goes exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fake_twilio;
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Duration;
use fake_twilio::{FakeTwilio, Fault, Target};
use frontdesk::domain::consent::ConsentState;
use frontdesk::domain::message::MessageStatus;
use frontdesk::provider::twilio::Twilio;
use frontdesk::provider::{
    OutboundSms, PollCursor, PollPage, ProviderFuture, SendReceipt, SentMessage, SentQuery,
    SmsProvider, StatusUpdate,
};
use frontdesk::store;
use support::remind::*;
use support::*;

#[test]
fn two_429s_are_retried_within_the_run_and_the_text_is_created_once() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    p.book(ada, ny(26, 9, 0));
    fake.fail(
        Target::Create,
        Fault::RateLimited {
            retry_after_secs: 0,
        },
        Some(2),
    );
    let d = dispatcher(fake.provider());
    let (r, _) = run_remind(&d, &mut p.store, &config, now(), false);
    assert_eq!((r.sent, r.deferred, r.failed), (1, 0, 0), "{r:#?}");
    assert_eq!(fake.create_attempts(), 3);
    assert_eq!(
        fake.create_count(&mobile(134), &reminder_24h("Ada", "Thu Nov 26 at 9:00 AM")),
        1
    );
    let row = &p.outbound_of(ada)[0];
    assert_eq!(row.status, MessageStatus::Queued);
    assert!(row.provider_id.is_some());
}

#[test]
fn a_401_stops_the_run_leaves_every_row_for_the_next_run_which_sends_each_once() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let mut who = Vec::new();
    for (i, name) in ["Ada", "Bea", "Cal", "Dee", "Eve", "Fay"]
        .iter()
        .enumerate()
    {
        let id = p.patient(name, Some(&mobile(200 + i as u32)), Consent::OptedIn);
        p.book(id, ny(26, 8, 0) + Duration::minutes(10 * i as i64));
        who.push(id);
    }
    fake.fail(Target::Any, Fault::Unauthorized, None);
    let d = dispatcher(fake.provider());
    let (r, _) = run_remind(&d, &mut p.store, &config, now(), false);
    let reason = r.stopped.clone().expect("the run stops");
    assert!(reason.contains("check your Twilio credentials"), "{reason}");
    assert_eq!((r.recorded, r.sent, r.failed), (6, 0, 0));
    assert!(fake.created().is_empty());
    for id in &who {
        let rows = p.outbound_of(*id);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0].status,
            MessageStatus::Queued,
            "left for the next run"
        );
        assert!(rows[0].provider_id.is_none());
    }

    fake.clear_failures();
    let (r, _) = run_remind(
        &d,
        &mut p.store,
        &config,
        now() + Duration::minutes(10),
        false,
    );
    assert_eq!(
        (r.outbox_sent, r.recorded, r.stopped.clone()),
        (6, 0, None),
        "{r:#?}"
    );
    let (r, _) = run_remind(
        &d,
        &mut p.store,
        &config,
        now() + Duration::minutes(20),
        false,
    );
    assert_eq!(r.outbox_sent + r.sent, 0);
    let six: Vec<Sent> = ["Ada", "Bea", "Cal", "Dee", "Eve", "Fay"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let when = format!("Thu Nov 26 at 8:{i}0 AM");
            (mobile(200 + i as u32), reminder_24h(name, &when))
        })
        .collect();
    assert_exactly_once_with_rows(&fake, &p.messages(), &six);
}

#[test]
fn a_21610_records_the_opt_out_and_nothing_more_is_texted_to_that_patient() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let first = p.book(ada, ny(26, 9, 0));
    let later = p.book(ada, ny(28, 9, 0));
    fake.fail_number(&mobile(134), 21610);
    let d = dispatcher(fake.provider());

    let (r, _) = run_remind(&d, &mut p.store, &config, now(), false);
    assert_eq!((r.sent, r.failed), (0, 1));
    let rows = p.outbound_of(ada);
    assert_eq!(rows[0].status, MessageStatus::Failed);
    assert_eq!(rows[0].error_code.as_deref(), Some("21610"));
    assert!(matches!(consent_of(&p, ada), ConsentState::OptedOut { .. }));
    assert!(
        p.audit_actions(&format!("patient:{ada}"))
            .contains(&"consent.opt_out".to_string())
    );
    let _ = first;

    // Friday: the Saturday visit's reminder is due, but she has opted out.
    let fri = ny(27, 9, 30);
    at_fake(&fake, fri);
    let attempts = fake.create_attempts();
    let (r, _) = run_remind(&d, &mut p.store, &config, fri, false);
    let l = line_for(&r, later);
    assert_eq!(
        (l.action.as_str(), l.reason.as_deref()),
        ("skip", Some("opted out"))
    );
    assert_eq!(fake.create_attempts(), attempts, "not even tried");
    assert_eq!(p.outbound_of(ada).len(), 1);
}

#[test]
fn invalid_and_landline_numbers_are_flagged_and_not_texted_again() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let bea = p.patient("Bea", Some(&mobile(135)), Consent::OptedIn);
    p.book(ada, ny(26, 9, 0));
    p.book(bea, ny(26, 9, 30));
    let ada_sat = p.book(ada, ny(28, 9, 0));
    let bea_sat = p.book(bea, ny(28, 9, 30));
    fake.fail_number(&mobile(134), 21211);
    fake.fail_number(&mobile(135), 21614);
    let d = dispatcher(fake.provider());

    let (r, _) = run_remind(&d, &mut p.store, &config, now(), false);
    assert_eq!((r.sent, r.failed), (0, 2));
    for (id, code) in [(ada, "21211"), (bea, "21614")] {
        let patient = store::patients::get(&p.store, id).unwrap();
        assert_eq!(
            patient.number_problem.map(|n| n.code).as_deref(),
            Some(code)
        );
        let rows = p.outbound_of(id);
        assert_eq!(rows[0].status, MessageStatus::Failed);
        assert_eq!(rows[0].error_code.as_deref(), Some(code));
    }
    let attempts = fake.create_attempts();
    let fri = ny(27, 9, 30);
    at_fake(&fake, fri);
    let (r, _) = run_remind(&d, &mut p.store, &config, fri, false);
    for (appt, code) in [(ada_sat, "21211"), (bea_sat, "21614")] {
        let l = line_for(&r, appt);
        assert_eq!(l.action.as_str(), "skip");
        assert_eq!(
            l.reason.clone().unwrap(),
            format!("number flagged ({code})")
        );
    }
    assert_eq!(fake.create_attempts(), attempts);
    assert!(fake.created().is_empty());
}

#[test]
fn an_opt_out_between_two_runs_stops_the_later_reminder_and_any_text_still_waiting() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let bea = p.patient("Bea", Some(&mobile(135)), Consent::OptedIn);
    p.book(ada, ny(26, 9, 0));
    let ada_sat = p.book(ada, ny(28, 9, 0));
    p.book(bea, ny(26, 9, 30));
    // Bea's text meets a rate limit all run long: it is left queued.
    fake.fail(
        Target::CreateTo(mobile(135)),
        Fault::RateLimited {
            retry_after_secs: 0,
        },
        None,
    );
    let d = dispatcher(fake.provider());
    let (r, _) = run_remind(&d, &mut p.store, &config, now(), false);
    assert_eq!((r.sent, r.deferred), (1, 1), "{r:#?}");
    assert_eq!(p.outbound_of(bea)[0].status, MessageStatus::Queued);
    fake.clear_failures();

    // Both opt out by phone at noon.
    p.opt_out(ada, ny(25, 12, 0));
    p.opt_out(bea, ny(25, 12, 0));

    let (r, _) = run_remind(&d, &mut p.store, &config, ny(25, 12, 30), false);
    assert_eq!((r.outbox_sent, r.outbox_withdrawn), (0, 1), "{r:#?}");
    let bea_row = &p.outbound_of(bea)[0];
    assert_eq!(bea_row.status, MessageStatus::Withdrawn);
    let fri = ny(27, 9, 30);
    at_fake(&fake, fri);
    let (r, _) = run_remind(&d, &mut p.store, &config, fri, false);
    let l = line_for(&r, ada_sat);
    assert_eq!(
        (l.action.as_str(), l.reason.as_deref()),
        ("skip", Some("opted out"))
    );
    let created = fake.created();
    assert_eq!(created.len(), 1, "only Ada's first reminder: {created:?}");
    assert_eq!(created[0].to, mobile(134));
}

#[test]
fn with_the_network_down_rows_wait_with_a_clear_reason_and_a_later_run_delivers_each_once() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let bea = p.patient("Bea", Some(&mobile(135)), Consent::OptedIn);
    p.book(ada, ny(26, 9, 0));
    p.book(bea, ny(26, 9, 30));

    let down = dispatcher(offline_twilio(&fake));
    let (r, _) = run_remind(&down, &mut p.store, &config, now(), false);
    assert_eq!(r.sent, 0);
    assert_eq!(r.deferred + r.unknown, 2, "{r:#?}");
    for id in [ada, bea] {
        let row = &p.outbound_of(id)[0];
        assert!(
            matches!(row.status, MessageStatus::Queued | MessageStatus::Pending),
            "{row:?}"
        );
        let why = row.error_message.clone().unwrap_or_default();
        assert!(why.contains("cannot reach Twilio"), "{why}");
    }
    // A second run while still offline changes nothing and loses nothing.
    let (r, _) = run_remind(
        &down,
        &mut p.store,
        &config,
        now() + Duration::minutes(5),
        false,
    );
    assert_eq!(r.sent + r.outbox_sent, 0);

    let up = dispatcher(fake.provider());
    let (r, _) = run_remind(
        &up,
        &mut p.store,
        &config,
        now() + Duration::minutes(10),
        false,
    );
    assert_eq!(r.outbox_sent, 2, "{r:#?}");
    let (r, _) = run_remind(
        &up,
        &mut p.store,
        &config,
        now() + Duration::minutes(20),
        false,
    );
    assert_eq!(r.outbox_sent + r.sent, 0);
    assert_eq!(fake.created().len(), 2);
    assert!(fake.duplicates().is_empty());
    assert!(unsent(&p.messages()).is_empty());
}

/// Counts send calls and passes them on.
struct Counting {
    inner: Twilio,
    sends: Arc<AtomicUsize>,
}

impl SmsProvider for Counting {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn send<'a>(&'a self, sms: &'a OutboundSms) -> ProviderFuture<'a, SendReceipt> {
        self.sends.fetch_add(1, Ordering::SeqCst);
        self.inner.send(sms)
    }
    fn fetch_status<'a>(&'a self, id: &'a str) -> ProviderFuture<'a, StatusUpdate> {
        self.inner.fetch_status(id)
    }
    fn poll<'a>(&'a self, cursor: &'a PollCursor) -> ProviderFuture<'a, PollPage> {
        self.inner.poll(cursor)
    }
    fn find_sent<'a>(&'a self, q: &'a SentQuery) -> ProviderFuture<'a, Vec<SentMessage>> {
        self.inner.find_sent(q)
    }
}

#[test]
fn with_the_network_down_a_batch_gives_up_once_twilio_is_unreachable_instead_of_per_text() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    for i in 0..12 {
        let id = p.patient(&format!("P{i}"), Some(&mobile(300 + i)), Consent::OptedIn);
        p.book(id, ny(26, 8, 0) + Duration::minutes(5 * i64::from(i)));
    }
    let sends = Arc::new(AtomicUsize::new(0));
    let mut d = dispatcher(Counting {
        inner: offline_twilio(&fake),
        sends: sends.clone(),
    });
    d.concurrency = 2;
    let (r, _) = run_remind(&d, &mut p.store, &config, now(), false);
    assert_eq!((r.recorded, r.sent), (12, 0));
    assert_eq!(r.deferred + r.unknown, 12, "{r:#?}");
    // The texts being sent when the network proved down used their attempts; the others were
    // not tried one by one (4 attempts each would be 48 calls).
    let calls = sends.load(Ordering::SeqCst);
    assert!(calls <= 2 * 4, "{calls} send calls");
    assert!(unsent(&p.messages()).len() == 12);

    let up = dispatcher(fake.provider());
    let (r, _) = run_remind(
        &up,
        &mut p.store,
        &config,
        now() + Duration::minutes(10),
        false,
    );
    assert_eq!(r.outbox_sent, 12, "{r:#?}");
    assert_eq!(fake.created().len(), 12);
    assert!(fake.duplicates().is_empty());
}

#[test]
fn a_lost_answer_stays_pending_until_twilio_can_be_asked_and_is_then_reconciled_not_resent() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    p.book(ada, ny(26, 9, 0));
    // Twilio creates the text but the answer is lost, and the lookups fail too.
    fake.fail(Target::Create, Fault::DropAfterCreate, Some(1));
    fake.fail(Target::List, Fault::Server(500), None);
    let d = dispatcher(fake.provider());
    let (r, _) = run_remind(&d, &mut p.store, &config, now(), false);
    assert_eq!((r.sent, r.unknown), (0, 1), "{r:#?}");
    assert!(r.waiting_reason.is_some());
    assert_eq!(p.outbound_of(ada)[0].status, MessageStatus::Pending);
    assert_eq!(fake.created().len(), 1, "it did reach Twilio");

    // Next run with the network down: still pending, and the report says why.
    let down = dispatcher(offline_twilio(&fake));
    let (r, _) = run_remind(
        &down,
        &mut p.store,
        &config,
        now() + Duration::minutes(5),
        false,
    );
    assert_eq!((r.outbox_sent, r.unknown), (0, 1), "{r:#?}");
    let why = r.waiting_reason.clone().unwrap_or_default();
    assert!(why.contains("could not be checked with twilio"), "{why}");
    assert_eq!(p.outbound_of(ada)[0].status, MessageStatus::Pending);

    // Back online: the lookup finds it, the row takes Twilio's id, nothing is sent again.
    fake.clear_failures();
    let (r, _) = run_remind(
        &d,
        &mut p.store,
        &config,
        now() + Duration::minutes(10),
        false,
    );
    assert_eq!((r.outbox_sent, r.unknown, r.deferred), (0, 0, 0), "{r:#?}");
    let row = &p.outbound_of(ada)[0];
    assert_eq!(row.status, MessageStatus::Queued);
    assert_eq!(
        row.provider_id.as_deref(),
        Some(fake.created()[0].sid.as_str())
    );
    assert_eq!(fake.created().len(), 1);
    assert!(fake.duplicates().is_empty());
}

#[test]
fn a_create_that_times_out_after_twilio_took_it_is_reconciled_not_sent_again() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    p.book(ada, ny(26, 9, 0));
    // Twilio creates the message at once but answers after our client has given up.
    fake.fail(
        Target::Create,
        Fault::Delay(std::time::Duration::from_millis(600)),
        Some(1),
    );
    let mut settings = fake.settings();
    settings.timeout = std::time::Duration::from_millis(150);
    let d = dispatcher(Twilio::new(settings).unwrap());
    let (r, _) = run_remind(&d, &mut p.store, &config, now(), false);
    assert_eq!((r.sent, r.unknown, r.deferred), (1, 0, 0), "{r:#?}");
    assert_eq!(fake.create_attempts(), 1, "no second create");
    let row = &p.outbound_of(ada)[0];
    assert_eq!(
        row.provider_id.as_deref(),
        Some(fake.created()[0].sid.as_str())
    );
    let audit = store::audit::for_subject(&p.store, &format!("message:{}", row.id)).unwrap();
    let sent = audit.iter().find(|a| a.action == "message.sent").unwrap();
    assert!(
        sent.detail.contains("\"reconciled\":true"),
        "{}",
        sent.detail
    );
}

#[test]
fn a_text_left_waiting_does_not_go_in_quiet_hours_either() {
    // A 401 at 19:55 leaves the text queued; the credentials are fixed at 21:30, but the
    // waiting text must still wait for 08:00 (SPEC §5.5, §5.7).
    let fake = FakeTwilio::start_at(ny(25, 19, 55));
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    p.book(ada, ny(26, 15, 0));
    let d = dispatcher(fake.provider());
    fake.fail(Target::Create, Fault::Unauthorized, None);
    let (r, _) = run_remind(&d, &mut p.store, &config, ny(25, 19, 55), false);
    assert!(r.stopped.is_some());
    assert_eq!(p.outbound_of(ada)[0].status, MessageStatus::Queued);
    fake.clear_failures();

    let late = ny(25, 21, 30);
    at_fake(&fake, late);
    let attempts = fake.create_attempts();
    let (r, _) = run_remind(&d, &mut p.store, &config, late, false);
    assert_eq!(
        (r.sent, r.outbox_sent, r.outbox_waiting),
        (0, 0, 1),
        "{r:#?}"
    );
    assert_eq!(
        fake.create_attempts(),
        attempts,
        "nothing tried in quiet hours"
    );
    let row = &p.outbound_of(ada)[0];
    assert_eq!(row.status, MessageStatus::Queued);
    assert_eq!(row.not_before, Some(ny(26, 8, 0)));

    let eight = ny(26, 8, 0);
    at_fake(&fake, eight);
    let (r, _) = run_remind(&d, &mut p.store, &config, eight, false);
    assert_eq!(r.outbox_sent, 1, "{r:#?}");
    let (r, _) = run_remind(&d, &mut p.store, &config, ny(26, 9, 0), false);
    assert_eq!(r.outbox_sent + r.sent, 0);
    assert_eq!(fake.created().len(), 1);
    assert!(fake.duplicates().is_empty());
}
