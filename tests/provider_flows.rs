//! The provider flows against the stateful fake Twilio in `tests/fake_twilio`: send, status
//! progression, inbound keywords through the poll cursor, 21610, number errors, 429 retried,
//! 401 stops, network down, reconciliation after a lost answer, paging with a page cap.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fake_twilio;
mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::TimeDelta;
use fake_twilio::{FROM, FakeTwilio, Fault, Progression, SERVICE_SID, Target};
use frontdesk::domain::message::MessageStatus;
use frontdesk::domain::phone::E164;
use frontdesk::provider::retry::{FixedJitter, RetryPolicy, send_with_retry};
use frontdesk::provider::twilio::{Twilio, TwilioSettings};
use frontdesk::provider::{
    Disposition, OutboundSms, PollCursor, ProviderError, SentQuery, SmsProvider,
};
use support::assert_exactly_once;

const ANA: &str = "+12015550134";
const BEN: &str = "+12015550177";
const CARL: &str = "+12015550188";

fn sms(to: &str, body: &str) -> OutboundSms {
    OutboundSms {
        to: E164::try_from(to.to_string()).unwrap(),
        body: body.to_string(),
        idempotency_key: format!("test:{to}:{body}"),
    }
}

fn fast_policy(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(10),
        max_retry_after: Duration::from_secs(5),
    }
}

/// Poll `cond` until it holds; fails after 10 s (a deadline, not a timing: it only bounds a
/// hang).
async fn wait_for(mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "still not true after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn no_claims(_: &str) -> bool {
    false
}

/// Persist and restore the cursor between polls, as the workflow does.
fn stored(cursor: &PollCursor) -> PollCursor {
    PollCursor::decode(&cursor.encode()).unwrap()
}

#[tokio::test]
async fn send_then_status_progresses_queued_sent_delivered() {
    let fake = FakeTwilio::start();
    let twilio = fake.provider();
    assert_eq!(twilio.name(), "twilio");
    assert!(!twilio.is_offline());

    let receipt = twilio
        .send(&sms(ANA, "Riverside: see you Fri 10:00"))
        .await
        .unwrap();
    assert!(receipt.provider_id.starts_with("SM") && receipt.provider_id.len() == 34);
    assert_eq!(receipt.status, MessageStatus::Queued);
    assert_eq!(receipt.segments, Some(1));
    let created = fake.created();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].to, ANA);
    assert_eq!(created[0].from.as_deref(), Some(FROM));
    assert_eq!(created[0].messaging_service_sid, None);
    assert_eq!(created[0].body, "Riverside: see you Fri 10:00");

    let id = receipt.provider_id.as_str();
    assert_eq!(
        twilio.fetch_status(id).await.unwrap().status,
        MessageStatus::Queued
    );
    fake.advance_all();
    let sent = twilio.fetch_status(id).await.unwrap();
    assert_eq!(sent.status, MessageStatus::Sent);
    assert_eq!(sent.sent_at, Some(fake.now()));
    fake.deliver_all();
    let done = twilio.fetch_status(id).await.unwrap();
    assert_eq!(done.status, MessageStatus::Delivered);
    assert_eq!(done.error_code, None);

    // One step per fetch.
    fake.set_progression(Progression::OnFetch);
    let r = twilio
        .send(&sms(BEN, "Riverside: see you Mon 9:00"))
        .await
        .unwrap();
    assert_eq!(
        twilio.fetch_status(&r.provider_id).await.unwrap().status,
        MessageStatus::Sent
    );
    assert_eq!(
        twilio.fetch_status(&r.provider_id).await.unwrap().status,
        MessageStatus::Delivered
    );

    // Unknown ids are a permanent 404, and ids that would change the path never leave.
    let missing = twilio
        .fetch_status("SM00000000000000000000000000000999")
        .await
        .unwrap_err();
    assert!(matches!(
        missing,
        ProviderError::Rejected {
            status: 404,
            code: Some(20404),
            ..
        }
    ));
    let before = fake.requests().len();
    assert!(twilio.fetch_status("SM1/../../Calls").await.is_err());
    assert_eq!(fake.requests().len(), before);
}

#[tokio::test]
async fn messaging_service_sender_is_used_instead_of_from() {
    let fake = FakeTwilio::start();
    let twilio = Twilio::new(fake.service_settings()).unwrap();
    let r = twilio.send(&sms(ANA, "Riverside: hello")).await.unwrap();
    assert_eq!(r.status, MessageStatus::Queued); // Twilio says "accepted"
    let c = &fake.created()[0];
    assert_eq!(c.messaging_service_sid.as_deref(), Some(SERVICE_SID));
    assert_eq!(c.from, None);
}

#[tokio::test]
async fn inbound_keywords_appear_once_each_and_in_order() {
    let fake = FakeTwilio::start();
    let twilio = fake.provider();
    let mut cursor = PollCursor::starting_at(fake.now() - TimeDelta::days(1));

    let words = [
        "STOP",
        "HELP",
        "START",
        "C",
        "R",
        "Can I come at 3 instead?",
    ];
    let mut sids = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let from = [ANA, BEN, CARL][i % 3];
        sids.push(fake.inject_inbound(from, w));
        fake.advance_clock(TimeDelta::seconds(10));
    }
    // Someone else's number on the same account: not ours.
    fake.inject_inbound_to(ANA, "+15555550999", "not for us");

    let page = twilio.poll(&cursor).await.unwrap();
    assert!(page.complete);
    let bodies: Vec<&str> = page.inbound.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, words, "oldest first, nothing else");
    assert_eq!(
        page.inbound
            .iter()
            .map(|m| m.provider_id.clone())
            .collect::<Vec<_>>(),
        sids
    );
    assert_eq!(page.inbound[0].from, ANA);
    assert_eq!(page.inbound[0].from_e164().unwrap().as_str(), ANA);
    assert!(page.statuses.is_empty());
    cursor = stored(&page.cursor);

    // The list was filtered by day, sent as a date-time at midnight.
    let list = fake.requests().into_iter().rfind(|r| r.is_list()).unwrap();
    assert_eq!(list.param("DateSent>"), Some("2026-11-24T00:00:00Z"));

    // Polling again reports nothing twice.
    let again = twilio.poll(&cursor).await.unwrap();
    assert!(again.inbound.is_empty() && again.statuses.is_empty());
    cursor = stored(&again.cursor);

    // A new reply shows up alone.
    fake.advance_clock(TimeDelta::minutes(5));
    let late = fake.inject_inbound(BEN, "stop texting me");
    let next = twilio.poll(&cursor).await.unwrap();
    assert_eq!(next.inbound.len(), 1);
    assert_eq!(next.inbound[0].provider_id, late);
    assert_eq!(next.inbound[0].received_at, fake.now());
}

#[tokio::test]
async fn poll_reports_each_status_change_once_and_moves_the_window() {
    let fake = FakeTwilio::start();
    let twilio = fake.provider();
    let day1 = fake.now();
    let mut cursor = PollCursor::starting_at(day1);
    let a = twilio
        .send(&sms(ANA, "Riverside: Fri 10:00"))
        .await
        .unwrap();
    let b = twilio
        .send(&sms(BEN, "Riverside: Fri 11:00"))
        .await
        .unwrap();
    fake.undeliverable(BEN, 30003);

    // Queued messages have no date_sent yet, so Twilio's day filter does not list them.
    let page = twilio.poll(&cursor).await.unwrap();
    assert!(page.statuses.is_empty());
    cursor = stored(&page.cursor);

    fake.advance_all(); // both sent
    let page = twilio.poll(&cursor).await.unwrap();
    let mut got: Vec<(String, MessageStatus)> = page
        .statuses
        .iter()
        .map(|s| (s.provider_id.clone(), s.status))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (a.provider_id.clone(), MessageStatus::Sent),
            (b.provider_id.clone(), MessageStatus::Sent)
        ]
    );
    cursor = stored(&page.cursor);
    assert!(twilio.poll(&cursor).await.unwrap().statuses.is_empty());

    // Next day: final statuses arrive, and the window moves on past day 1.
    fake.advance_clock(TimeDelta::days(1));
    fake.advance_all();
    fake.inject_inbound(ANA, "C");
    let page = twilio.poll(&cursor).await.unwrap();
    assert_eq!(page.inbound.len(), 1);
    let delivered = page
        .statuses
        .iter()
        .find(|s| s.provider_id == a.provider_id)
        .unwrap();
    assert_eq!(delivered.status, MessageStatus::Delivered);
    let failed = page
        .statuses
        .iter()
        .find(|s| s.provider_id == b.provider_id)
        .unwrap();
    assert_eq!(failed.status, MessageStatus::Undelivered);
    assert_eq!(failed.error_code, Some(30003));
    assert_eq!(failed.disposition(), Some(Disposition::FlagNumber));
    cursor = stored(&page.cursor);
    assert_eq!(cursor.window_start(), Some(fake.now().date_naive()));
    assert_eq!(
        cursor.seen_count(),
        1,
        "day 1 forgotten once nothing there can change"
    );
    let last = twilio.poll(&cursor).await.unwrap();
    assert!(last.inbound.is_empty() && last.statuses.is_empty());
}

#[tokio::test]
async fn an_open_status_keeps_the_window_open() {
    let fake = FakeTwilio::start();
    let twilio = fake.provider();
    let mut cursor = PollCursor::starting_at(fake.now());
    let a = twilio
        .send(&sms(ANA, "Riverside: Fri 10:00"))
        .await
        .unwrap();
    fake.advance_all(); // sent, not yet delivered
    cursor = stored(&twilio.poll(&cursor).await.unwrap().cursor);
    let day1 = fake.now().date_naive();

    fake.advance_clock(TimeDelta::days(1));
    fake.inject_inbound(BEN, "HELP");
    let page = twilio.poll(&cursor).await.unwrap();
    assert_eq!(page.inbound.len(), 1);
    cursor = stored(&page.cursor);
    assert_eq!(
        cursor.window_start(),
        Some(day1),
        "a sent message may still be delivered"
    );

    fake.deliver_all();
    let page = twilio.poll(&cursor).await.unwrap();
    assert_eq!(page.statuses.len(), 1);
    assert_eq!(page.statuses[0].provider_id, a.provider_id);
    assert_eq!(page.statuses[0].status, MessageStatus::Delivered);
}

#[tokio::test]
async fn unsubscribed_recipient_maps_to_opt_out() {
    let fake = FakeTwilio::start();
    let twilio = fake.provider();
    fake.fail_number(ANA, 21610);
    let err = twilio.send(&sms(ANA, "Riverside: hi")).await.unwrap_err();
    assert_eq!(err, ProviderError::Unsubscribed);
    assert_eq!(err.disposition(), Disposition::RecordOptOut);
    assert!(!err.retryable());
    assert!(fake.created().is_empty());

    // Twilio's own STOP handling: after STOP, creates answer 21610 until START.
    fake.inject_inbound(BEN, "Stop");
    let err = twilio.send(&sms(BEN, "Riverside: hi")).await.unwrap_err();
    assert_eq!(err, ProviderError::Unsubscribed);
    let outcome = send_with_retry(
        &twilio,
        &sms(BEN, "Riverside: hi"),
        fake.now(),
        &fast_policy(4),
        &mut FixedJitter(0.0),
        &no_claims,
    )
    .await;
    assert_eq!(outcome, Err(ProviderError::Unsubscribed), "never retried");
    fake.inject_inbound(BEN, "START");
    assert!(twilio.send(&sms(BEN, "Riverside: hi")).await.is_ok());
}

#[tokio::test]
async fn number_problems_flag_the_number() {
    let fake = FakeTwilio::start();
    let twilio = fake.provider();
    fake.fail_number(ANA, 21211);
    fake.fail_number(BEN, 21614);
    for (to, code) in [(ANA, 21211), (BEN, 21614)] {
        let err = twilio.send(&sms(to, "Riverside: hi")).await.unwrap_err();
        assert_eq!(err, ProviderError::InvalidNumber { code });
        assert_eq!(err.disposition(), Disposition::FlagNumber);
        assert_eq!(err.code(), Some(code));
        let text = err.to_string();
        assert!(
            text.contains("flagged") && !text.contains(&to[2..]),
            "{text}"
        );
    }
    // 30003 comes later, as the error code of an undelivered message.
    fake.undeliverable(CARL, 30003);
    let r = twilio.send(&sms(CARL, "Riverside: hi")).await.unwrap();
    fake.deliver_all();
    let s = twilio.fetch_status(&r.provider_id).await.unwrap();
    assert_eq!(s.status, MessageStatus::Undelivered);
    assert_eq!(s.error_code, Some(30003));
    assert_eq!(s.disposition(), Some(Disposition::FlagNumber));
}

#[tokio::test]
async fn rate_limit_is_retried_with_backoff_then_succeeds_once() {
    let fake = FakeTwilio::start();
    let twilio = fake.provider();
    fake.fail(
        Target::Create,
        Fault::RateLimited {
            retry_after_secs: 0,
        },
        Some(2),
    );
    let m = sms(ANA, "Riverside: Fri 10:00");
    let out = send_with_retry(
        &twilio,
        &m,
        fake.now(),
        &fast_policy(4),
        &mut FixedJitter(0.5),
        &no_claims,
    )
    .await
    .unwrap();
    assert_eq!(out.attempts, 3);
    assert!(!out.reconciled);
    assert_eq!(fake.create_attempts(), 3);
    assert_eq!(fake.create_count(ANA, &m.body), 1);

    // Out of attempts: the error, retryable, for the workflow to leave the message queued.
    fake.fail(
        Target::Create,
        Fault::RateLimited {
            retry_after_secs: 0,
        },
        Some(5),
    );
    let err = send_with_retry(
        &twilio,
        &sms(BEN, "x"),
        fake.now(),
        &fast_policy(3),
        &mut FixedJitter(0.0),
        &no_claims,
    )
    .await
    .unwrap_err();
    assert!(matches!(
        err,
        ProviderError::RateLimited {
            code: Some(20429),
            ..
        }
    ));
    assert!(err.retryable());
    assert_eq!(fake.create_count(BEN, "x"), 0);
}

#[tokio::test]
async fn retry_after_is_honoured_and_a_long_one_ends_the_attempts() {
    let fake = FakeTwilio::start();
    let twilio = fake.provider();
    fake.fail(
        Target::Create,
        Fault::RateLimited {
            retry_after_secs: 1,
        },
        Some(1),
    );
    // The client reads Twilio's Retry-After, and the wait the policy plans from it is never
    // shorter (the wait itself is `RetryPolicy::delay`, tested by table in provider::retry;
    // a test does not time it).
    let err = twilio.send(&sms(ANA, "a")).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));
    let wait = fast_policy(3).delay(1, err.retry_after(), 0.0).unwrap();
    assert!(wait >= Duration::from_secs(1), "planned {wait:?}");
    fake.fail(
        Target::Create,
        Fault::RateLimited {
            retry_after_secs: 1,
        },
        Some(1),
    );
    let out = send_with_retry(
        &twilio,
        &sms(ANA, "a"),
        fake.now(),
        &fast_policy(3),
        &mut FixedJitter(0.0),
        &no_claims,
    )
    .await
    .unwrap();
    assert_eq!(out.attempts, 2);
    assert_eq!(fake.create_count(ANA, "a"), 1);

    fake.fail(
        Target::Create,
        Fault::RateLimited {
            retry_after_secs: 600,
        },
        Some(1),
    );
    let err = send_with_retry(
        &twilio,
        &sms(ANA, "b"),
        fake.now(),
        &fast_policy(3),
        &mut FixedJitter(0.0),
        &no_claims,
    )
    .await
    .unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(600)));
    assert_eq!(fake.create_count(ANA, "b"), 0);
}

#[tokio::test]
async fn server_errors_are_retried() {
    let fake = FakeTwilio::start();
    let twilio = fake.provider();
    fake.fail(Target::Create, Fault::Server(503), Some(1));
    fake.fail(Target::Create, Fault::Server(500), Some(1));
    let out = send_with_retry(
        &twilio,
        &sms(ANA, "a"),
        fake.now(),
        &fast_policy(4),
        &mut FixedJitter(0.0),
        &no_claims,
    )
    .await
    .unwrap();
    assert_eq!(out.attempts, 3);
    assert_eq!(fake.create_count(ANA, "a"), 1);
    // Reads retry every transient error.
    fake.fail(Target::List, Fault::Server(502), Some(2));
    let cursor = PollCursor::starting_at(fake.now());
    let page = frontdesk::provider::retry::retry(&fast_policy(3), &mut FixedJitter(0.0), || {
        twilio.poll(&cursor)
    })
    .await
    .unwrap();
    assert!(page.complete);
}

#[tokio::test]
async fn bad_credentials_stop_the_run_without_retrying() {
    let fake = FakeTwilio::start();
    let wrong = Twilio::new(TwilioSettings {
        auth_token: "not-the-token".into(),
        ..fake.settings()
    })
    .unwrap();
    let err = send_with_retry(
        &wrong,
        &sms(ANA, "a"),
        fake.now(),
        &fast_policy(4),
        &mut FixedJitter(0.0),
        &no_claims,
    )
    .await
    .unwrap_err();
    assert_eq!(err, ProviderError::Unauthorized { code: Some(20003) });
    assert_eq!(err.disposition(), Disposition::StopRun);
    assert!(
        err.to_string().contains("check your Twilio credentials"),
        "{err}"
    );
    assert_eq!(fake.create_attempts(), 1);
    assert!(fake.created().is_empty());

    // A revoked token (scripted) on every kind of call.
    let twilio = fake.provider();
    fake.set_failure(Target::Any, Fault::Unauthorized);
    let cursor = PollCursor::starting_at(fake.now());
    assert!(matches!(
        twilio.poll(&cursor).await,
        Err(ProviderError::Unauthorized { .. })
    ));
    assert!(matches!(
        twilio
            .fetch_status("SM00000000000000000000000000000001")
            .await,
        Err(ProviderError::Unauthorized { .. })
    ));
    fake.clear_failures();
    assert!(twilio.poll(&cursor).await.is_ok());
}

#[tokio::test]
async fn network_down_is_retryable_and_names_no_number() {
    // A port nothing listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let fake = FakeTwilio::start();
    let twilio = Twilio::new(TwilioSettings {
        base_url: format!("http://127.0.0.1:{port}"),
        ..fake.settings()
    })
    .unwrap();
    let err = twilio.send(&sms(ANA, "Riverside: a")).await.unwrap_err();
    assert!(matches!(err, ProviderError::Unreachable(_)), "{err:?}");
    assert!(err.retryable());
    assert_eq!(err.disposition(), Disposition::Retry);
    let text = err.to_string();
    assert!(text.contains("check the internet connection"), "{text}");
    let cursor = PollCursor::starting_at(fake.now());
    let q = SentQuery {
        to: sms(ANA, "").to,
        body: "a".into(),
        since: fake.now(),
    };
    let lookup = twilio.find_sent(&q).await.unwrap_err();
    assert!(
        !format!("{lookup} {lookup:?}").contains("5550134"),
        "{lookup:?}"
    );
    assert!(twilio.poll(&cursor).await.unwrap_err().retryable());
}

#[tokio::test]
async fn a_timeout_is_an_unknown_outcome_reconciled_before_any_resend() {
    let fake = FakeTwilio::start();
    let twilio = Twilio::new(TwilioSettings {
        timeout: Duration::from_millis(300),
        ..fake.settings()
    })
    .unwrap();
    fake.fail(
        Target::Create,
        Fault::Delay(Duration::from_millis(800)),
        Some(1),
    );
    let m = sms(ANA, "Riverside: Fri 10:00");
    let err = twilio.send(&m).await.unwrap_err();
    assert!(matches!(err, ProviderError::OutcomeUnknown(_)), "{err:?}");
    assert_eq!(err.disposition(), Disposition::ReconcileThenRetry);
    // Twilio did create it (after its delay): reconciliation finds it, so the workflow does
    // not resend.
    wait_for(|| fake.created().len() == 1).await;
    let found = twilio
        .find_sent(&SentQuery {
            to: m.to.clone(),
            body: m.body.clone(),
            since: fake.now(),
        })
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].provider_id, fake.created()[0].sid);
    assert_eq!(found[0].status, MessageStatus::Queued);
}

#[tokio::test]
async fn lost_answer_after_create_is_reconciled_not_resent() {
    let fake = FakeTwilio::start();
    let twilio = fake.provider();
    fake.fail(Target::Create, Fault::DropAfterCreate, Some(1));
    let m = sms(ANA, "Riverside: Fri 10:00");
    let out = send_with_retry(
        &twilio,
        &m,
        fake.now(),
        &fast_policy(4),
        &mut FixedJitter(0.0),
        &no_claims,
    )
    .await
    .unwrap();
    assert!(out.reconciled);
    assert_eq!(out.receipt.provider_id, fake.created()[0].sid);
    assert_exactly_once(&fake, &[(ANA.to_string(), m.body.clone())]);
    assert_eq!(fake.create_attempts(), 1);
}

#[tokio::test]
async fn dropped_before_create_is_resent_once() {
    let fake = FakeTwilio::start();
    let twilio = fake.provider();
    fake.fail(Target::Create, Fault::DropConnection, Some(1));
    let m = sms(ANA, "Riverside: Fri 10:00");
    let out = send_with_retry(
        &twilio,
        &m,
        fake.now(),
        &fast_policy(4),
        &mut FixedJitter(0.0),
        &no_claims,
    )
    .await
    .unwrap();
    assert!(!out.reconciled);
    assert_eq!(out.attempts, 2);
    assert_exactly_once(&fake, &[(ANA.to_string(), m.body.clone())]);
}

#[tokio::test]
async fn reconciliation_skips_messages_claimed_by_other_rows() {
    // A family sharing one mobile: two rows, same To and Body.
    let fake = FakeTwilio::start();
    let twilio = fake.provider();
    let m = sms(ANA, "Riverside is closed Fri 28 Nov. Call 555-0100.");
    let first = twilio.send(&m).await.unwrap();
    fake.fail(Target::Create, Fault::DropConnection, Some(1));
    let claimed = first.provider_id.clone();
    let is_claimed = move |id: &str| id == claimed;
    let out = send_with_retry(
        &twilio,
        &m,
        fake.now(),
        &fast_policy(4),
        &mut FixedJitter(0.0),
        &is_claimed,
    )
    .await
    .unwrap();
    assert!(!out.reconciled);
    assert_ne!(out.receipt.provider_id, first.provider_id);
    assert_eq!(fake.create_count(ANA, &m.body), 2);
}

#[tokio::test]
async fn find_sent_matches_to_body_and_time_window() {
    let fake = FakeTwilio::start();
    let twilio = fake.provider();
    let old = twilio
        .send(&sms(ANA, "Riverside: Fri 10:00"))
        .await
        .unwrap();
    fake.advance_all();
    fake.advance_clock(TimeDelta::hours(2));
    let since = fake.now();
    let new = twilio
        .send(&sms(ANA, "Riverside: Fri 10:00"))
        .await
        .unwrap(); // still queued
    twilio
        .send(&sms(ANA, "Riverside: another text"))
        .await
        .unwrap();
    twilio
        .send(&sms(BEN, "Riverside: Fri 10:00"))
        .await
        .unwrap();
    fake.inject_inbound(ANA, "Riverside: Fri 10:00");

    let q = SentQuery {
        to: sms(ANA, "").to,
        body: "Riverside: Fri 10:00".into(),
        since,
    };
    let found = twilio.find_sent(&q).await.unwrap();
    let ids: Vec<&str> = found.iter().map(|m| m.provider_id.as_str()).collect();
    assert_eq!(
        ids,
        vec![new.provider_id.as_str()],
        "queued one found, old one outside the window"
    );
    let list = fake.requests().into_iter().rfind(|r| r.is_list()).unwrap();
    assert_eq!(list.param("To"), Some(ANA));
    assert_eq!(
        list.param("DateSent>"),
        None,
        "queued messages have no date_sent"
    );

    let wider = SentQuery {
        since: since - TimeDelta::hours(3),
        ..q
    };
    let found = twilio.find_sent(&wider).await.unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(found[1].provider_id, old.provider_id);
}

#[tokio::test]
async fn paging_follows_relative_next_page_uri_up_to_the_cap() {
    let fake = FakeTwilio::start();
    let twilio = Twilio::new(TwilioSettings {
        base_url: format!("{}/", fake.base_url()), // a trailing slash is fine
        page_size: 10,
        max_pages: 2,
        ..fake.settings()
    })
    .unwrap();
    let mut injected = Vec::new();
    for i in 0..25 {
        injected.push(fake.inject_inbound(ANA, &format!("reply {i}")));
        fake.advance_clock(TimeDelta::seconds(1));
    }
    let cursor = PollCursor::starting_at(fake.now());
    let first = twilio.poll(&cursor).await.unwrap();
    assert!(!first.complete);
    assert_eq!(first.inbound.len(), 20);
    assert!(first.cursor.is_resuming());
    let lists: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.is_list())
        .collect();
    assert_eq!(lists.len(), 2, "page cap");
    assert!(lists[1].param("PageToken").is_some());
    assert!(lists[1].path.starts_with("/2010-04-01/Accounts/"));

    let second = twilio.poll(&stored(&first.cursor)).await.unwrap();
    assert!(second.complete);
    assert_eq!(second.inbound.len(), 5);
    let mut all: Vec<String> = first
        .inbound
        .iter()
        .chain(&second.inbound)
        .map(|m| m.provider_id.clone())
        .collect();
    all.sort();
    injected.sort();
    assert_eq!(all, injected, "every reply exactly once");

    // A next page Twilio no longer honours: the listing starts over, nothing is repeated.
    let expired = PollCursor::decode(
        &first
            .cursor
            .encode()
            .replace("PageToken=PA", "PageToken=XX"),
    )
    .unwrap();
    assert!(expired.is_resuming());
    let restarted = twilio.poll(&expired).await.unwrap();
    assert_eq!(
        restarted.inbound.len(),
        0,
        "the 20 already reported stay reported"
    );
    assert!(!restarted.complete);

    fake.clear_requests();
    let third = twilio.poll(&stored(&second.cursor)).await.unwrap();
    assert!(third.inbound.is_empty());
    assert!(
        !third.complete,
        "the day still has 25 messages: 2 pages this time"
    );
    let fourth = twilio.poll(&stored(&third.cursor)).await.unwrap();
    assert!(fourth.inbound.is_empty() && fourth.complete);
}

#[tokio::test]
async fn built_from_the_config_file_with_an_owner_only_token_file() {
    use std::os::unix::fs::PermissionsExt;
    let fake = FakeTwilio::start();
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, fake_twilio::AUTH_TOKEN).unwrap();
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
    let text = format!(
        "[sms]\nprovider = \"twilio\"\n\n[sms.twilio]\naccount_sid = \"{}\"\nfrom = \"{FROM}\"\n\
         auth_token_file = \"{}\"\nbase_url = \"{}\"\n",
        fake_twilio::ACCOUNT_SID,
        token.display(),
        fake.base_url()
    );
    let config =
        frontdesk::config::Config::parse(&text, std::path::Path::new("config.toml")).unwrap();
    let provider = frontdesk::provider::from_config(&config).unwrap();
    assert_eq!(provider.name(), "twilio");
    provider.send(&sms(ANA, "Riverside: hi")).await.unwrap();
    assert_eq!(fake.created().len(), 1);

    let outbox = frontdesk::provider::from_config(&frontdesk::config::Config::default()).unwrap();
    assert_eq!(outbox.name(), "outbox");
    assert!(outbox.is_offline());
}

/// A `tracing` writer that keeps everything in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_carry_ids_and_codes_never_numbers_bodies_or_the_token() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("frontdesk=trace,info")
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let fake = FakeTwilio::start();
    let twilio = fake.provider();
    let body = "Riverside: see you Friday at ten";
    let r = twilio.send(&sms(ANA, body)).await.unwrap();
    fake.fail_number(BEN, 21211);
    let _ = twilio.send(&sms(BEN, body)).await;
    fake.inject_inbound(CARL, "STOP please");
    fake.advance_all();
    let _ = twilio
        .poll(&PollCursor::starting_at(fake.now()))
        .await
        .unwrap();
    let q = SentQuery {
        to: sms(ANA, "").to,
        body: body.into(),
        since: fake.now(),
    };
    let _ = twilio.find_sent(&q).await.unwrap();

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains(&r.provider_id), "ids are logged: {log}");
    assert!(log.contains("21211"), "codes are logged");
    for secret in [
        "5550134",
        "5550177",
        "5550188",
        "see you Friday",
        "STOP please",
        fake_twilio::AUTH_TOKEN,
    ] {
        assert!(
            !log.contains(secret),
            "{secret:?} leaked into the log:\n{log}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_sends_arrive_exactly_once_and_poll_back() {
    let fake = FakeTwilio::start();
    fake.set_progression(Progression::SentOnCreate);
    let twilio = Arc::new(
        Twilio::new(TwilioSettings {
            page_size: 200,
            ..fake.settings()
        })
        .unwrap(),
    );
    let permits = Arc::new(tokio::sync::Semaphore::new(8));
    let mut tasks = Vec::new();
    for i in 0..1000u32 {
        let twilio = Arc::clone(&twilio);
        let permit = Arc::clone(&permits).acquire_owned().await.unwrap();
        tasks.push(tokio::spawn(async move {
            let to = format!("+1201555{:04}", i);
            let r = twilio
                .send(&sms(&to, &format!("Riverside: reminder {i}")))
                .await;
            drop(permit);
            r
        }));
    }
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap().unwrap().provider_id);
    }
    // How long this takes is a benchmark's question (benches/), not a test's.
    assert_eq!(ids.len(), 1000);
    assert_eq!(fake.created().len(), 1000);
    assert!(fake.duplicates().is_empty());

    let page = twilio
        .poll(&PollCursor::starting_at(fake.now()))
        .await
        .unwrap();
    assert!(page.complete);
    assert_eq!(page.statuses.len(), 1000);
    assert!(
        page.statuses
            .iter()
            .all(|s| s.status == MessageStatus::Sent)
    );
    let lists = fake.requests().iter().filter(|r| r.is_list()).count();
    assert_eq!(lists, 5, "1000 messages in pages of 200");
}

/// The fake as a process of its own, for poking at by hand or from another program:
/// `FAKE_TWILIO_SECONDS=600 cargo test --test provider_flows serve_fake_twilio -- --ignored --nocapture`
/// prints the base URL and credentials, then serves until the time is up.
#[test]
#[ignore = "runs a server for FAKE_TWILIO_SECONDS (default 60); start it by hand"]
fn serve_fake_twilio() {
    let seconds: u64 = std::env::var("FAKE_TWILIO_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let fake = FakeTwilio::start();
    println!(
        "fake Twilio at {} (account {}, token {}, from {FROM}) for {seconds} s",
        fake.base_url(),
        fake_twilio::ACCOUNT_SID,
        fake_twilio::AUTH_TOKEN
    );
    std::thread::sleep(Duration::from_secs(seconds));
    println!("created {} messages", fake.created().len());
}
