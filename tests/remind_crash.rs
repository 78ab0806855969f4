//! `frontdesk remind` as separate processes against the fake Twilio (issue 4, item 4's crash
//! test and item 5's "running remind twice at once never double-sends"):
//!
//! * SIGKILL in the middle of a batch of 200 — also while Twilio has created texts whose
//!   answers have not been written back — then restart until done: every text reached Twilio
//!   exactly once and every row has a final state.
//! * two `remind` processes started at the same moment on one database: each text once.
//! * the same SIGKILL for a closure notice and a portal prompt sent from the command line
//!   (`closure.rs`, `portal.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "remind_crash/closure.rs"]
mod closure;
mod fake_twilio;
#[path = "remind_crash/portal.rs"]
mod portal;
mod support;
#[path = "remind_crash/waiting.rs"]
mod waiting;

use std::process::{Child, Stdio};
use std::time::Duration;

use chrono::{DateTime, Utc};
use fake_twilio::{FakeTwilio, Fault, Target};
use frontdesk::domain::message::{Message, MessageStatus};
use support::*;

/// Wed 25 Nov 2026, 09:30 in New York.
fn now() -> DateTime<Utc> {
    ny(25, 9, 30)
}

/// `n` opted-in patients, each with one appointment whose 24-hour reminder is due now
/// (Wed 12:00 onwards, every 6 minutes). Returns (mobile, expected body) per patient.
fn batch(p: &mut Practice, n: u32) -> Vec<(String, String)> {
    batch_from(p, n, ny(25, 12, 0))
}

/// `n` opted-in patients with one appointment each, from `first_start` every 6 minutes.
fn batch_from(p: &mut Practice, n: u32, first_start: DateTime<Utc>) -> Vec<(String, String)> {
    let tz = chrono_tz::America::New_York;
    (0..n)
        .map(|i| {
            let first = format!("Pat{i:03}");
            let number = mobile(1000 + i);
            let id = p.patient(&first, Some(&number), Consent::OptedIn);
            let start = first_start + chrono::Duration::minutes(6 * i64::from(i));
            p.book(id, start);
            let local = start.with_timezone(&tz);
            let body = format!(
                "{PRACTICE}: {first}, see you {} with {CLINICIAN}. \
                 Reply C to confirm, R to reschedule. {PRACTICE_PHONE} {STOP}",
                local.format("%a %b %-d at %-I:%M %p")
            );
            (number, body)
        })
        .collect()
}

fn spawn_remind(p: &Practice, config: &std::path::Path, now: DateTime<Utc>) -> Child {
    frontdesk(p, config, now)
        .arg("remind")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Kill the child with SIGKILL once the fake has created at least `creates` texts.
fn kill_after(child: &mut Child, fake: &FakeTwilio, creates: usize) -> usize {
    let reached = wait_until(Duration::from_secs(120), || {
        fake.created().len() >= creates || matches!(child.try_wait(), Ok(Some(_)))
    });
    assert!(reached, "the fake never saw {creates} creates");
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run ended before it could be killed (only {} creates)",
        fake.created().len()
    );
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    fake.created().len()
}

fn rows(p: &Practice) -> Vec<Message> {
    p.messages()
}

#[test]
fn sigkill_mid_batch_of_200_then_restarts_deliver_every_text_exactly_once() {
    let fake = FakeTwilio::start_at(now());
    let (toml, _) = config_for(&fake, "rate_per_second = 1000");
    let mut p = Practice::new();
    let expected = batch(&mut p, 200);
    let cfg = p.write_config(&toml);
    // Twilio creates each text at once but answers 100 ms later: a kill lands between the
    // create and our write-back for every text in flight.
    fake.fail(
        Target::Create,
        Fault::Delay(Duration::from_millis(100)),
        None,
    );

    let mut first = spawn_remind(&p, &cfg, now());
    let at_kill = kill_after(&mut first, &fake, 50);
    assert!(at_kill < 200);
    let rows_now = rows(&p);
    assert_eq!(
        rows_now.len(),
        200,
        "all rows are written before the first send"
    );
    let created: Vec<String> = fake.created().into_iter().map(|c| c.body).collect();
    let in_limbo = rows_now
        .iter()
        .filter(|m| m.status == MessageStatus::Pending && created.contains(&m.body))
        .count();
    assert!(
        in_limbo >= 1,
        "some texts were created at Twilio but not written back"
    );

    // Second run: some answers are lost outright (created, connection dropped), then the
    // slow answers again; killed too.
    fake.clear_failures();
    fake.fail(Target::Create, Fault::DropAfterCreate, Some(3));
    fake.fail(
        Target::Create,
        Fault::Delay(Duration::from_millis(100)),
        None,
    );
    let mut second = spawn_remind(&p, &cfg, now() + chrono::Duration::minutes(1));
    kill_after(&mut second, &fake, 120);

    // Third run, undisturbed, to the end.
    fake.clear_failures();
    let out = remind_bin(&p, &cfg, now() + chrono::Duration::minutes(2), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_exactly_once_with_rows(&fake, &rows(&p), &expected);

    // And a fourth finds nothing to do.
    let out = remind_bin(&p, &cfg, now() + chrono::Duration::minutes(3), &[]);
    assert!(out.status.success());
    assert!(
        text(&out.stdout).contains("sent 0,"),
        "{}",
        text(&out.stdout)
    );
    assert_exactly_once_with_rows(&fake, &rows(&p), &expected);
}

/// A fast provider: answers arrive together and are written back together (up to 64 in one
/// transaction, `dispatch::answers::gather`). A kill at any point of that — answers received
/// and not yet committed, a commit half done — leaves rows the next run reconciles: each text
/// reaches Twilio once, and every row ends with the provider's id.
#[test]
fn sigkill_while_fast_answers_are_written_back_together_then_every_text_goes_once() {
    let fake = FakeTwilio::start_at(now());
    let (toml, _) = config_for(&fake, "rate_per_second = 1000");
    let mut p = Practice::new();
    let expected = batch(&mut p, 200);
    let cfg = p.write_config(&toml);

    for (kill_at, minute) in [(40, 0), (120, 1)] {
        let mut run = spawn_remind(&p, &cfg, now() + chrono::Duration::minutes(minute));
        let created = kill_after(&mut run, &fake, kill_at);
        assert!(created < 200, "killed before the end ({created} created)");
    }
    let out = remind_bin(&p, &cfg, now() + chrono::Duration::minutes(2), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows = rows(&p);
    assert_exactly_once_with_rows(&fake, &rows, &expected);
    assert!(
        rows.iter().all(|m| m.provider_id.is_some()),
        "every row knows its text at Twilio"
    );
}

#[test]
fn two_remind_processes_at_the_same_moment_send_each_text_once() {
    let fake = FakeTwilio::start_at(now());
    let (toml, _) = config_for(&fake, "rate_per_second = 1000");
    let mut p = Practice::new();
    let expected = batch(&mut p, 40);
    let cfg = p.write_config(&toml);
    fake.fail(
        Target::Create,
        Fault::Delay(Duration::from_millis(20)),
        None,
    );

    let a = spawn_remind(&p, &cfg, now());
    let b = spawn_remind(&p, &cfg, now());
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    assert_exactly_once_with_rows(&fake, &rows(&p), &expected);
}

#[test]
fn a_second_remind_started_mid_batch_sends_nothing_twice() {
    let fake = FakeTwilio::start_at(now());
    let (toml, _) = config_for(&fake, "rate_per_second = 1000");
    let mut p = Practice::new();
    let expected = batch(&mut p, 60);
    let cfg = p.write_config(&toml);
    fake.fail(
        Target::Create,
        Fault::Delay(Duration::from_millis(50)),
        None,
    );

    let first = spawn_remind(&p, &cfg, now());
    assert!(wait_until(Duration::from_secs(60), || fake.created().len() >= 10));
    let second = spawn_remind(&p, &cfg, now());
    for child in [first, second] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    assert_exactly_once_with_rows(&fake, &rows(&p), &expected);
}
