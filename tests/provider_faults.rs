//! The provider when something goes wrong, against the stateful fake Twilio: 21610 and
//! number errors, 429 retried (and Retry-After), 5xx, 401 stops, network down, a timeout or
//! a lost answer reconciled before any resend, the match by recipient, body and time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fake_twilio;
mod support;

use std::time::Duration;

use chrono::TimeDelta;
use fake_twilio::{FakeTwilio, Fault, Target};
use frontdesk::domain::message::MessageStatus;
use frontdesk::provider::retry::{FixedJitter, send_with_retry};
use frontdesk::provider::twilio::{Twilio, TwilioSettings};
use frontdesk::provider::{Disposition, PollCursor, ProviderError, SentQuery, SmsProvider};
use support::assert_exactly_once;
use support::provider::*;

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
