//! The `frontdesk remind` binary as a user runs it, against the stateful fake Twilio: what it
//! prints (text and JSON), its exit codes, and exactly once across runs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fake_twilio;
mod support;

use chrono::Duration;
use fake_twilio::{FakeTwilio, Fault, Target};
use frontdesk::domain::ids::AppointmentId;
use frontdesk::domain::message::MessageStatus;
use support::remind::*;
use support::*;

// --- the binary, as a user runs it ------------------------------------------------------------

/// The summary line of one appointment (`  ACTION  KIND  appointment N[: reason]`).
fn summary_line(stdout: &str, a: AppointmentId) -> String {
    let tag = format!("appointment {a}");
    stdout
        .lines()
        .find(|l| l.contains(&format!("{tag} (")))
        .unwrap_or_else(|| panic!("no line for {tag} in\n{stdout}"))
        .trim()
        .to_string()
}

#[test]
fn binary_sends_each_due_reminder_once_with_practice_and_stop_and_a_second_run_sends_nothing() {
    let fake = FakeTwilio::start_at(now());
    let (toml, _) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let bea = p.patient("Bea", Some(&mobile(135)), Consent::OptedIn);
    p.book(ada, ny(26, 9, 0));
    p.book(bea, ny(26, 9, 15));
    let cfg = p.write_config(&toml);

    let out = remind_bin(&p, &cfg, now(), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("via twilio: sent 2, failed 0"), "{stdout}");
    let mut both = Vec::new();
    for (to, first, time) in [(134, "Ada", "9:00"), (135, "Bea", "9:15")] {
        let body = reminder_24h(first, &format!("Thu Nov 26 at {time} AM"));
        assert!(body.starts_with(PRACTICE) && body.contains(PRACTICE_PHONE));
        assert!(body.ends_with("Reply STOP to opt out."));
        both.push((mobile(to), body));
    }
    assert_exactly_once(&fake, &both);
    let out = remind_bin(&p, &cfg, now() + Duration::minutes(15), &[]);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    assert!(stdout.contains("sent 0,"), "{stdout}");
    assert_exactly_once_with_rows(&fake, &p.messages(), &both);
    assert!(
        p.outbound_of(ada)
            .iter()
            .chain(p.outbound_of(bea).iter())
            .all(|m| m.status == MessageStatus::Queued && m.provider_id.is_some())
    );
}

#[test]
fn binary_dry_run_lists_will_send_and_skip_lines_and_writes_nothing() {
    let fake = FakeTwilio::start_at(now());
    let (toml, _) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let bea = p.patient("Bea", Some(&mobile(135)), Consent::None);
    let cal = p.patient("Cal", Some(&mobile(136)), Consent::OptedOut);
    let a = p.book(ada, ny(26, 9, 0));
    let b = p.book(bea, ny(26, 9, 0));
    let c = p.book(cal, ny(26, 9, 0));
    let cfg = p.write_config(&toml);
    let out = remind_bin(&p, &cfg, now(), &["--dry-run"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("Reminders (dry run)"), "{stdout}");
    assert!(stdout.contains("would send 1,"), "{stdout}");
    assert!(
        summary_line(&stdout, a).starts_with("will send"),
        "{stdout}"
    );
    assert!(summary_line(&stdout, b).starts_with("skip"));
    assert!(summary_line(&stdout, b).ends_with(": no consent"));
    assert!(summary_line(&stdout, c).ends_with(": opted out"));
    assert_eq!(p.message_count(), 0);
    assert!(fake.requests().is_empty());
}

#[test]
fn binary_401_exits_1_with_check_your_credentials_and_the_fixed_run_sends_each_once() {
    let fake = FakeTwilio::start_at(now());
    let (toml, _) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let bea = p.patient("Bea", Some(&mobile(135)), Consent::OptedIn);
    p.book(ada, ny(26, 9, 0));
    p.book(bea, ny(26, 9, 15));
    let cfg = p.write_config(&toml);
    fake.fail(Target::Any, Fault::Unauthorized, None);

    let out = remind_bin(&p, &cfg, now(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("check your Twilio credentials"), "{stderr}");
    assert!(!stderr.contains("panicked"));
    assert!(fake.created().is_empty());
    assert_eq!(unsent(&p.messages()).len(), 2, "rows left for the next run");

    fake.clear_failures();
    let out = remind_bin(&p, &cfg, now() + Duration::minutes(5), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("from the outbox: sent 2"),
        "{}",
        text(&out.stdout)
    );
    let out = remind_bin(&p, &cfg, now() + Duration::minutes(10), &[]);
    assert!(out.status.success());
    assert_eq!(fake.created().len(), 2);
    assert!(fake.duplicates().is_empty());
    assert!(unsent(&p.messages()).is_empty());
}

#[test]
fn binary_429_twice_is_retried_within_the_run() {
    let fake = FakeTwilio::start_at(now());
    let (toml, _) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    p.book(ada, ny(26, 9, 0));
    let cfg = p.write_config(&toml);
    fake.fail(
        Target::Create,
        Fault::RateLimited {
            retry_after_secs: 1,
        },
        Some(2),
    );
    let out = remind_bin(&p, &cfg, now(), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("sent 1, failed 0, waiting 0"));
    assert_eq!(fake.create_attempts(), 3);
    assert_eq!(fake.created().len(), 1);
}

#[test]
fn binary_json_parses_and_carries_the_counts_and_lines() {
    let fake = FakeTwilio::start_at(now());
    let (toml, _) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let bea = p.patient("Bea", Some(&mobile(135)), Consent::None);
    let a = p.book(ada, ny(26, 9, 0));
    let b = p.book(bea, ny(26, 9, 0));
    let cfg = p.write_config(&toml);
    for (dry, args) in [
        (true, &["--dry-run", "--json"][..]),
        (false, &["--json"][..]),
    ] {
        let out = remind_bin(&p, &cfg, now(), args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["dry_run"], dry);
        assert_eq!(v["provider"], "twilio");
        assert_eq!(v["now"], "2026-11-25T14:30:00Z");
        assert_eq!(v["plan"]["texts"], 1);
        assert_eq!(v["plan"]["sending"], 1);
        assert_eq!(v["plan"]["skipped"], 1);
        assert_eq!(v["recorded"], if dry { 0 } else { 1 });
        assert_eq!(v["sent"], if dry { 0 } else { 1 });
        assert_eq!(v["failed"], 0);
        assert!(v["stopped"].is_null());
        let lines = v["lines"].as_array().unwrap();
        let of = |id: AppointmentId| {
            lines
                .iter()
                .find(|l| l["appointment_id"] == id.0)
                .unwrap()
                .clone()
        };
        assert_eq!(of(a)["action"], if dry { "send" } else { "sent" });
        assert_eq!(of(b)["action"], "skip");
        assert_eq!(of(b)["reason"], "no consent");
        if !dry {
            assert!(of(a)["message_id"].is_i64());
        }
    }
    assert_eq!(fake.created().len(), 1);
}

#[test]
fn binary_with_the_network_down_says_why_texts_wait_and_a_later_run_sends_each_once() {
    let fake = FakeTwilio::start_at(now());
    let (toml, _) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let bea = p.patient("Bea", Some(&mobile(135)), Consent::OptedIn);
    p.book(ada, ny(26, 9, 0));
    p.book(bea, ny(26, 9, 15));
    let down = p.write_config(&toml.replace(fake.base_url(), &closed_port_url()));
    for minutes in [0, 5] {
        let out = remind_bin(&p, &down, now() + Duration::minutes(minutes), &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(stdout.contains("sent 0, failed 0, waiting 2"), "{stdout}");
        assert!(stdout.contains("cannot reach Twilio"), "{stdout}");
        assert!(stdout.contains("check the internet connection"), "{stdout}");
        assert_eq!(unsent(&p.messages()).len(), 2);
    }
    let up = p.write_config(&toml);
    let out = remind_bin(&p, &up, now() + Duration::minutes(10), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("from the outbox: sent 2"));
    assert_eq!(fake.created().len(), 2);
    assert!(fake.duplicates().is_empty());
    assert!(unsent(&p.messages()).is_empty());
}

#[test]
fn the_progress_on_stderr_says_sent_for_twilio_and_to_outbox_for_the_offline_outbox() {
    let fake = FakeTwilio::start_at(now());
    let (twilio, _) = config_for(&fake, "");
    let outbox = config_toml("", "").replace("provider = \"twilio\"", "provider = \"outbox\"");
    for (toml, said, never) in [
        (twilio, "· sent 1 ·", "to outbox"),
        (outbox, "· to outbox 1 ·", "sent 1"),
    ] {
        let mut p = Practice::new();
        let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
        p.book(ada, ny(26, 9, 0));
        let cfg = p.write_config(&toml);
        let out = remind_bin(&p, &cfg, now(), &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert!(stderr.contains(said), "{said:?} not in {stderr}");
        assert!(!stderr.contains(never), "{never:?} in {stderr}");
    }
}
