//! The provider against the stateful fake Twilio in `tests/fake_twilio`: send, status
//! progression, inbound keywords through the poll cursor, paging with a page cap, built from
//! the config file, a thousand concurrent sends. What goes wrong (Twilio's
//! codes, retries, network down, reconciliation) is in `provider_faults.rs`; what the provider
//! logs in `provider_logs.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fake_twilio;
mod support;

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use fake_twilio::{FROM, FakeTwilio, Progression, SERVICE_SID};
use frontdesk::domain::message::MessageStatus;
use frontdesk::provider::twilio::{Twilio, TwilioSettings};
use frontdesk::provider::{Disposition, PollCursor, ProviderError, SmsProvider};
use support::provider::*;

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
