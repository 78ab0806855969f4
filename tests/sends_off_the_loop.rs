//! The console never blocks on a send (SPEC §3.4): a closure notice typed at the desk and
//! portal prompts to several patients go out on the batch thread, on a second connection,
//! while the worker goes on answering the day view — here against a Twilio that takes 400 ms
//! to answer each text. A second send asked for meanwhile is refused in its own words, and
//! every text goes once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fake_twilio;
mod support;

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use fake_twilio::{FakeTwilio, Fault, Target};
use frontdesk::clock::Clock;
use frontdesk::domain::message::MessageKind;
use frontdesk::store::Store;
use frontdesk::tui::msg::{ClosureDraft, Cmd, Msg};
use frontdesk::tui::worker::{Reopen, Runner, Worker};
use support::*;

/// Wed 25 Nov 2026, 09:30 in New York.
fn now() -> DateTime<Utc> {
    ny(25, 9, 30)
}

/// Six opted-in patients booked on Fri 27 Nov, and a worker on the practice's file that can
/// open a second connection, sending through `fake` (each text answered after 400 ms).
fn desk(
    fake: &FakeTwilio,
) -> (
    Practice,
    Worker,
    Receiver<Msg>,
    Vec<frontdesk::domain::ids::PatientId>,
) {
    let mut p = Practice::new();
    let config = config_with_token_file(fake, &p);
    let patients: Vec<_> = (0..6)
        .map(|i| {
            let id = p.patient(
                &format!("Slow{i}"),
                Some(&mobile(4000 + i)),
                Consent::OptedIn,
            );
            p.book(
                id,
                ny(27, 9, 0) + chrono::Duration::minutes(15 * i64::from(i)),
            );
            id
        })
        .collect();
    fake.fail(
        Target::Create,
        Fault::Delay(Duration::from_millis(400)),
        None,
    );
    let open = |db: std::path::PathBuf| Store::open_keyed(&db, &test_db_key());
    let runner = Runner::new(
        open(p.db.clone()).unwrap(),
        config,
        Clock::Fixed(now()),
        None,
    );
    let db = p.db.clone();
    let reopen: Reopen = Arc::new(move || open(db.clone()).map_err(|e| e.to_string()));
    let (tx, rx) = mpsc::channel();
    let worker = Worker::spawn_with(runner, tx, Some(reopen)).unwrap();
    (p, worker, rx, patients)
}

/// The practice's config sending through `fake`, its token in an owner-only file (the
/// worker builds its provider from the config, as the console does).
fn config_with_token_file(fake: &FakeTwilio, p: &Practice) -> frontdesk::config::Config {
    use std::os::unix::fs::PermissionsExt;
    let token = p.dir.path().join("twilio-token");
    std::fs::write(&token, fake_twilio::AUTH_TOKEN).unwrap();
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
    let twilio = fake.config_toml(TOKEN_ENV).replace(
        &format!("auth_token_env = \"{TOKEN_ENV}\""),
        &format!("auth_token_file = \"{}\"", token.display()),
    );
    let text = config_toml(&twilio, "rate_per_second = 1000\nconcurrency = 1");
    frontdesk::config::Config::parse(&text, std::path::Path::new("config.toml")).unwrap()
}

fn load_today(worker: &Worker, generation: u64) {
    worker
        .send(Cmd::LoadDay {
            generation,
            date: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        })
        .unwrap();
}

/// Messages until `done` says the send's answer came, with the instant each came.
fn until(rx: &Receiver<Msg>, done: impl Fn(&Msg) -> bool) -> Vec<(Instant, Msg)> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut got = Vec::new();
    loop {
        let msg = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the send answers");
        let last = done(&msg);
        got.push((Instant::now(), msg));
        if last {
            return got;
        }
    }
}

/// When the day load of `generation` answered, among the messages `until` collected.
fn day_answered_at(got: &[(Instant, Msg)], generation: u64) -> Instant {
    got.iter()
        .find(|(_, m)| {
            matches!(m, Msg::DayLoaded { generation: g, result: Ok(_), .. } if *g == generation)
        })
        .map(|(at, _)| *at)
        .expect("the day answered")
}

#[test]
fn a_closure_notice_goes_out_while_the_day_view_keeps_answering() {
    let fake = FakeTwilio::start_at(now());
    let (_p, worker, rx, _) = desk(&fake);
    let draft = ClosureDraft {
        from: ny(27, 0, 0),
        to: ny(28, 0, 0),
        clinician: None,
        text: "The office is closed on Friday; we will call you to rebook.".into(),
    };
    worker.send(Cmd::SendClosure(draft)).unwrap();
    load_today(&worker, 7);
    worker
        .send(Cmd::SendPrompts {
            patients: Vec::new(),
            kind: MessageKind::PortalResultsReady,
        })
        .unwrap();
    let got = until(&rx, |m| matches!(m, Msg::ClosureDone { .. }));
    let (done_at, done) = got.last().unwrap();
    assert!(
        day_answered_at(&got, 7) < *done_at,
        "the day waited for the notices"
    );
    let Msg::ClosureDone {
        sent: true,
        result: Ok(_),
        ..
    } = done
    else {
        panic!("{done:?}")
    };
    assert!(
        got.iter().any(|(_, m)| matches!(m, Msg::Prompts { sent: true, result: Err(e) } if e.contains("another send"))),
        "the prompts asked for meanwhile were refused: {got:#?}"
    );
    assert_eq!(fake.created().len(), 6, "each patient told once");
    worker.stop();
}

#[test]
fn portal_prompts_go_out_while_the_day_view_keeps_answering() {
    let fake = FakeTwilio::start_at(now());
    let (_p, worker, rx, patients) = desk(&fake);
    worker
        .send(Cmd::SendPrompts {
            patients: patients.clone(),
            kind: MessageKind::PortalResultsReady,
        })
        .unwrap();
    load_today(&worker, 8);
    let got = until(&rx, |m| matches!(m, Msg::Prompts { .. }));
    let (done_at, done) = got.last().unwrap();
    assert!(
        day_answered_at(&got, 8) < *done_at,
        "the day waited for the prompts"
    );
    assert!(
        matches!(
            done,
            Msg::Prompts {
                sent: true,
                result: Ok(_)
            }
        ),
        "{done:?}"
    );
    assert_eq!(
        fake.created().len(),
        patients.len(),
        "each patient prompted once"
    );
    worker.stop();
}
