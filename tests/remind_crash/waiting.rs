//! Texts that waited before they went (issue 8, item 1): rows left `queued` by an offline
//! first run, by 429s that ran out of retries, by a credentials stop, or by a quiet-hours
//! deferral in the middle of a batch. Each path is then recovered by `remind` against a slow
//! Twilio that is killed (SIGKILL) while texts are in flight, killed again in the middle of
//! the next run's reconciliation, and finally left to finish: every text reached Twilio
//! exactly once, every row is final, and every message at Twilio is known to a row.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::*;
use fake_twilio::{FakeTwilio, Fault, Target};
use frontdesk::config::QuietHours;
use support::remind::closed_port_url;

/// Kill the child with SIGKILL once the fake has answered `lists` list requests since the
/// requests were last cleared (reconciliation lists by number).
fn kill_after_lists(child: &mut Child, fake: &FakeTwilio, lists: usize) {
    let count = || fake.requests().iter().filter(|r| r.is_list()).count();
    let reached = wait_until(Duration::from_secs(120), || {
        count() >= lists || matches!(child.try_wait(), Ok(Some(_)))
    });
    assert!(reached, "the fake never saw {lists} list requests");
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run ended before it could be killed mid-recovery ({} lists)",
        count()
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Every row carries the sid of a message Twilio holds, and every message Twilio holds is
/// carried by exactly one row.
fn assert_every_provider_message_known(fake: &FakeTwilio, p: &Practice) {
    let mut on_rows: Vec<String> = rows(p).into_iter().filter_map(|m| m.provider_id).collect();
    on_rows.sort();
    let mut at_twilio: Vec<String> = fake.created().into_iter().map(|c| c.sid).collect();
    at_twilio.sort();
    assert_eq!(on_rows, at_twilio, "rows and Twilio know the same messages");
}

/// After the waiting path left every row unsent: recover with a slow Twilio killed mid-batch,
/// again killed mid-reconciliation, then an undisturbed run; assert exactly once.
fn recover_through_kills(
    fake: &FakeTwilio,
    p: &Practice,
    cfg: &std::path::Path,
    expected: &[(String, String)],
    at: DateTime<Utc>,
) {
    let unsent_before = unsent(&rows(p)).len();
    assert_eq!(unsent_before, expected.len(), "every text is left waiting");
    assert!(fake.created().is_empty(), "nothing reached Twilio yet");

    // Recovery 1: Twilio creates each text at once but answers 300 ms later; killed with
    // texts in flight.
    fake.clear_failures();
    fake.fail(
        Target::Create,
        Fault::Delay(Duration::from_millis(300)),
        None,
    );
    let mut first = spawn_remind(p, cfg, at);
    kill_after(&mut first, fake, 6);
    let rows_now = rows(p);
    let created: Vec<String> = fake.created().into_iter().map(|c| c.body).collect();
    let limbo = rows_now
        .iter()
        .filter(|m| m.provider_id.is_none() && created.contains(&m.body))
        .count();
    assert!(limbo >= 1, "some texts reached Twilio without their answer");

    // Recovery 2: reconciliation is slow (each list answers late) and the run is killed in
    // the middle of it; a few creates lose their answers outright.
    fake.clear_failures();
    fake.clear_requests();
    fake.fail(Target::List, Fault::Delay(Duration::from_millis(150)), None);
    fake.fail(Target::Create, Fault::DropAfterCreate, Some(2));
    fake.fail(
        Target::Create,
        Fault::Delay(Duration::from_millis(200)),
        None,
    );
    let mut second = spawn_remind(p, cfg, at + chrono::Duration::minutes(1));
    kill_after_lists(&mut second, fake, 3);

    // Recovery 3: undisturbed, to the end.
    fake.clear_failures();
    let out = remind_bin(p, cfg, at + chrono::Duration::minutes(2), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_exactly_once_with_rows(fake, &p.messages(), expected);
    assert_every_provider_message_known(fake, p);

    // A later run finds nothing to send and sends nothing.
    let out = remind_bin(p, cfg, at + chrono::Duration::minutes(3), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_exactly_once_with_rows(fake, &p.messages(), expected);
}

#[test]
fn offline_first_then_a_slow_twilio_killed_twice_texts_each_once() {
    let fake = FakeTwilio::start_at(now());
    let (toml, _) = config_for(&fake, "rate_per_second = 1000");
    let mut p = Practice::new();
    let expected = batch(&mut p, 30);
    // Nothing listens where Twilio should be: every text waits.
    let offline = p.write_config(&toml.replace(fake.base_url(), &closed_port_url()));
    let out = remind_bin(&p, &offline, now(), &[]);
    assert!(
        text(&out.stdout).contains("cannot reach Twilio"),
        "{}",
        text(&out.stdout)
    );
    let cfg = p.write_config(&toml);
    recover_through_kills(
        &fake,
        &p,
        &cfg,
        &expected,
        now() + chrono::Duration::minutes(5),
    );
}

#[test]
fn a_429_that_ran_out_of_retries_then_a_slow_twilio_killed_twice_texts_each_once() {
    let fake = FakeTwilio::start_at(now());
    let (toml, _) = config_for(&fake, "rate_per_second = 1000");
    let mut p = Practice::new();
    let expected = batch(&mut p, 30);
    let cfg = p.write_config(&toml);
    // Retry-After longer than a run waits: each text gives up at once and stays queued.
    fake.fail(
        Target::Create,
        Fault::RateLimited {
            retry_after_secs: 120,
        },
        None,
    );
    let out = remind_bin(&p, &cfg, now(), &[]);
    assert!(out.status.code().is_some(), "{}", text(&out.stderr));
    fake.clear_failures();
    assert!(fake.create_attempts() >= expected.len());
    recover_through_kills(
        &fake,
        &p,
        &cfg,
        &expected,
        now() + chrono::Duration::minutes(5),
    );
}

#[test]
fn a_credentials_stop_then_a_slow_twilio_killed_twice_texts_each_once() {
    let fake = FakeTwilio::start_at(now());
    let (toml, _) = config_for(&fake, "rate_per_second = 1000");
    let mut p = Practice::new();
    let expected = batch(&mut p, 30);
    let cfg = p.write_config(&toml);
    fake.fail(Target::Create, Fault::Unauthorized, None);
    let out = remind_bin(&p, &cfg, now(), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    recover_through_kills(
        &fake,
        &p,
        &cfg,
        &expected,
        now() + chrono::Duration::minutes(5),
    );
}

#[test]
fn a_quiet_hours_deferral_mid_batch_then_a_slow_twilio_killed_twice_texts_each_once() {
    let afternoon = ny(25, 15, 0);
    let fake = FakeTwilio::start_at(afternoon);
    let (toml, config) = config_for(&fake, "rate_per_second = 1000");
    let mut p = Practice::new();
    // Tomorrow from noon: the 24-hour reminders are due this afternoon.
    let expected = batch_from(&mut p, 30, ny(26, 12, 0));
    let cfg = p.write_config(&toml);
    // The plan (08:00-20:00) lets the batch start; the window closes while it runs: the
    // dispatcher's window has already ended, so every text is deferred to 08:00 tomorrow.
    let mut d = dispatcher(fake.provider());
    d.quiet = Some((
        QuietHours {
            start: chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            end: chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        },
        chrono_tz::America::New_York,
    ));
    let (r, _) = run_remind(&d, &mut p.store, &config, afternoon, false);
    assert_eq!(r.deferred, expected.len(), "{r:#?}");
    assert!(rows(&p).iter().all(|m| m.not_before == Some(ny(26, 8, 0))));
    // The next morning the deferred texts go (their appointments are later that day).
    let morning = ny(26, 8, 5);
    fake.set_now(morning);
    recover_through_kills(&fake, &p, &cfg, &expected, morning);
}
