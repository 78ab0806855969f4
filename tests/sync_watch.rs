//! `frontdesk sync --watch` (issue 8, item 4): a long-running poller that applies a STOP and
//! confirms it within the FCC's 5 minutes, exits cleanly on SIGTERM or SIGINT with the send
//! lock released; and the README's cron and systemd set-ups run `sync` as well as `remind`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fake_twilio;
mod support;

use std::process::{Child, Stdio};
use std::time::Duration;

use fake_twilio::FakeTwilio;
use frontdesk::domain::consent::ConsentState;
use support::*;

/// Wed 25 Nov 2026, 09:30 in New York.
fn now() -> chrono::DateTime<chrono::Utc> {
    ny(25, 9, 30)
}

fn spawn_watch(p: &Practice, cfg: &std::path::Path) -> Child {
    frontdesk(p, cfg, now())
        .args(["sync", "--watch", "--interval", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn signal(child: &Child, name: &str) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

/// Wait for the child to exit, at most `secs` seconds.
fn exit_within(child: &mut Child, secs: u64) -> std::process::ExitStatus {
    assert!(
        wait_until(Duration::from_secs(secs), || {
            matches!(child.try_wait(), Ok(Some(_)))
        }),
        "the watcher did not exit within {secs} s"
    );
    child.wait().unwrap()
}

/// The send lock next to the database is free (no run holds it).
fn lock_is_free(p: &Practice) -> bool {
    let path = p.db.with_file_name("practice.db.send-lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .unwrap();
    file.try_lock().is_ok()
}

fn consent(p: &Practice, id: frontdesk::domain::ids::PatientId) -> ConsentState {
    ConsentState::from_events(&frontdesk::store::consent::events(&p.store, id).unwrap())
}

#[test]
fn a_stop_fetched_by_the_watcher_is_applied_and_confirmed_and_sigterm_exits_cleanly() {
    let fake = FakeTwilio::start_at(now());
    // Twilio's own STOP handling off: the practice's confirmation is the one the patient gets.
    fake.set_opt_out_handling(false);
    let (toml, _) = config_for(&fake, "");
    let mut p = Practice::new();
    let ana = p.patient("Ana", Some(&mobile(134)), Consent::OptedIn);
    let cfg = p.write_config(&toml);
    let mut watcher = spawn_watch(&p, &cfg);
    let polls = || fake.requests().iter().filter(|r| r.is_list()).count();
    assert!(wait_until(Duration::from_secs(60), || polls() >= 1));
    let before = polls();
    assert!(
        wait_until(Duration::from_secs(30), || polls() > before),
        "the watcher polls again"
    );

    fake.inject_inbound(&mobile(134), "Stop texting me");
    let confirmed = || {
        fake.created()
            .iter()
            .filter(|c| c.to == mobile(134) && c.body.contains("unsubscribed"))
            .count()
    };
    assert!(
        wait_until(Duration::from_secs(30), || confirmed() == 1),
        "the STOP is confirmed while the watcher runs"
    );
    assert!(matches!(consent(&p, ana), ConsentState::OptedOut { .. }));

    signal(&watcher, "TERM");
    let status = exit_within(&mut watcher, 15);
    let out = watcher.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(0), "{}", text(&out.stderr));
    assert!(lock_is_free(&p), "the send lock is released");
    assert!(
        text(&out.stdout).contains("stop 1"),
        "{}",
        text(&out.stdout)
    );
    // Passes kept going after the STOP: still exactly one confirmation.
    assert_eq!(confirmed(), 1);
    assert!(fake.duplicates().is_empty());
}

#[test]
fn ctrl_c_stops_the_watcher_cleanly_between_passes() {
    let fake = FakeTwilio::start_at(now());
    let (toml, _) = config_for(&fake, "");
    let p = Practice::new();
    let cfg = p.write_config(&toml);
    let mut watcher = spawn_watch(&p, &cfg);
    assert!(wait_until(Duration::from_secs(60), || {
        fake.requests().iter().filter(|r| r.is_list()).count() >= 2
    }));
    signal(&watcher, "INT");
    assert_eq!(exit_within(&mut watcher, 15).code(), Some(0));
    assert!(lock_is_free(&p));
}

#[test]
fn the_watch_interval_keeps_the_five_minute_promise() {
    let fake = FakeTwilio::start_at(now());
    let (toml, _) = config_for(&fake, "");
    let p = Practice::new();
    let cfg = p.write_config(&toml);
    for args in [
        &["sync", "--watch", "--interval", "600"][..],
        &["sync", "--watch", "--interval", "0"][..],
        &["sync", "--interval", "30"][..],
    ] {
        let out = frontdesk(&p, &cfg, now()).args(args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn the_readme_schedules_sync_as_well_as_remind_every_minute_under_cron_and_systemd() {
    let readme = include_str!("../README.md");
    let cron: Vec<&str> = readme
        .lines()
        .filter(|l| l.starts_with("* * * * *"))
        .collect();
    assert!(
        cron.iter()
            .any(|l| l.contains("frontdesk sync") && l.contains("frontdesk remind")),
        "a cron line every minute running both: {cron:?}"
    );
    assert!(readme.contains("ExecStart=/usr/local/bin/frontdesk sync"));
    assert!(readme.contains("ExecStart=/usr/local/bin/frontdesk remind"));
    assert!(readme.contains("ExecStart=/usr/local/bin/frontdesk sync --watch"));
    assert!(readme.contains("OnCalendar=*-*-* *:*:00"));
    assert!(
        !readme.contains("*/15"),
        "no 15-minute sync: STOPs would go unconfirmed"
    );
}
