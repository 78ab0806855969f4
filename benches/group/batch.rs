//! The group bench's reminder batch: one `remind` as cron sends it, 2,000 texts at once, on
//! a copy of the group database, to the local fake Twilio.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use frontdesk::clock::Clock;
use frontdesk::config::Config;
use frontdesk::domain::ids::PatientId;
use frontdesk::provider::retry::RetryPolicy;
use frontdesk::store::Store;
use frontdesk::workflow::database::{KeySource, open_existing};
use frontdesk::workflow::dispatch::Dispatcher;
use frontdesk::workflow::remind;

use super::{book_clinic, fake_twilio};

/// The hour, after the group's "now", at which the most reminders are due (a dry run at each
/// candidate), and how many texts it would send.
fn busiest_remind_hour(
    store: &mut Store,
    config: &Config,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, usize) {
    (1..=48)
        .step_by(3)
        .map(|h| now + Duration::hours(h))
        .map(|at| (at, texts_due(store, config, at)))
        .max_by_key(|&(at, n)| (n, std::cmp::Reverse(at)))
        .unwrap()
}

fn dispatcher(fake: &fake_twilio::FakeTwilio) -> Dispatcher {
    Dispatcher {
        provider: Arc::new(fake.provider()),
        policy: RetryPolicy::default(),
        concurrency: Config::demo().sms.concurrency as usize,
        rate_per_second: None,
        jitter_seed: Some(1),
        quiet: None,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// One reminder batch, as cron's `remind` sends it, on a copy of the group database to the
/// local fake Twilio (no rate limit: the figure is frontdesk's own cost): wall time, texts,
/// and what the fake received. Once, not sampled — each run changes its copy.
pub(super) fn remind_batch(path: &Path, config: &Config, now: DateTime<Utc>) {
    let copy = path.with_extension("batch.db");
    std::fs::copy(path, &copy).unwrap();
    std::fs::copy(path.with_extension("db.key"), copy.with_extension("db.key")).unwrap();
    let mut store = open_existing(&copy, &KeySource::for_demo(&copy))
        .unwrap()
        .store;
    let (at, natural) = busiest_remind_hour(&mut store, config, now);
    let (extra, planned) = top_up_to(&mut store, config, at, BATCH_TEXTS);
    eprintln!(
        "group: busiest remind hour {at}: {natural} texts due; {extra} visits booked for a \
         vaccination clinic the next day bring it to {planned}"
    );
    let fake = fake_twilio::FakeTwilio::start_at(at);
    let started = Instant::now();
    let report = remind_at(&fake, &mut store, config, at, false);
    let took = started.elapsed();
    eprintln!(
        "group: remind batch at {at}: {} texts sent ({planned} planned, {} at the fake) in {:.2} s",
        report.sent,
        fake.requests().len(),
        took.as_secs_f64()
    );
    drop(store);
    for f in [
        copy.clone(),
        copy.with_extension("db.key"),
        copy.with_extension("db-wal"),
        copy.with_extension("db-shm"),
        copy.with_extension("db.send-lock"),
    ] {
        let _ = std::fs::remove_file(f);
    }
}

/// The batch issue 14 times: 2,000 texts at once.
const BATCH_TEXTS: usize = 2_000;

/// Texts a dry run at `at` would send.
fn texts_due(store: &mut Store, config: &Config, at: DateTime<Utc>) -> usize {
    let fake = fake_twilio::FakeTwilio::start_at(at);
    remind_at(&fake, store, config, at, true).plan.texts
}

/// `remind` as cron runs it at `at`, to `fake` (`dry_run`: plan only).
fn remind_at(
    fake: &fake_twilio::FakeTwilio,
    store: &mut Store,
    config: &Config,
    at: DateTime<Utc>,
    dry_run: bool,
) -> remind::RemindReport {
    let gate = frontdesk::workflow::sender::gate(config);
    runtime()
        .block_on(remind::run(
            &dispatcher(fake),
            store,
            config,
            &gate,
            &Clock::Fixed(at),
            dry_run,
            &mut |_| {},
        ))
        .unwrap()
}

/// No hour of the generated history has 2,000 texts due at once (its busiest day holds
/// 1,441 visits), so the copy gets what makes one: a vaccination clinic the next day, booked
/// just now, whose visits' 24-hour reminders are all due at `at` — patients spread over the
/// whole list (the planner decides, as for anyone, who may be texted). Books in rounds of 200
/// until a dry run plans `want` texts; returns the visits booked and the texts then due.
fn top_up_to(store: &mut Store, config: &Config, at: DateTime<Utc>, want: usize) -> (usize, usize) {
    let mut due = texts_due(store, config, at);
    let mut booked = 0_usize;
    while due < want && booked < 5 * want {
        let visit = |i: usize| {
            let minutes = 24 * 60 - 1 - (i as i64 % 50);
            (
                PatientId(1 + (i as i64 * 47) % 100_000),
                at + Duration::minutes(minutes),
            )
        };
        book_clinic(store, booked..booked + 200, visit, at - Duration::days(3));
        booked += 200;
        due = texts_due(store, config, at);
    }
    (booked, due)
}
