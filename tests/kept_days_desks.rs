//! Several desks and the kept days (issue 14): a change at one desk shows at another within
//! 2 s while four others write all the time, the console's own change reloads only the day it
//! touched, and a restore (refused while a console has the file open) leaves no kept day
//! trusted. The console here is the real worker (`tui::worker::Runner`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fake_twilio;
#[path = "kept_days/harness.rs"]
mod harness;
mod support;

use frontdesk::clock::Clock;
use frontdesk::domain::appointment::AppointmentStatus;
use frontdesk::domain::staff::Actor;
use frontdesk::store::{self, Store, StoreError};
use frontdesk::tui::msg::{Cmd, Msg};
use frontdesk::tui::worker::Runner;
use frontdesk::workflow::{day, desk};
use harness::*;
use support::*;

/// A restore puts another file in place: it is refused while a console has the database
/// open (so no console's kept days outlive it), and the restored file's log says
/// "everything" past the backup's head, below the marks of days kept from the replaced file.
#[test]
fn a_restore_reloads_every_day() {
    use frontdesk::workflow::backup::{self, Act, BackupError};
    let mut w = world();
    let key = test_db_key();
    let copy = w.p.dir.path().join("before.db");
    let act = Act {
        actor: &Actor::System,
        now: now(),
    };
    backup::backup(&mut w.p.store, &copy, &key, act).unwrap();
    // Written after the backup, so the kept days' marks are past the copy's log.
    let cy = w.cy;
    for n in 0..3 {
        text_to(&mut w, cy, &format!("after-{n}"));
    }
    let runner = console(&w);
    let World { p, config, .. } = w;
    let Practice { dir, db, store, .. } = p;
    drop(store);
    let refused = backup::stage(&db, &copy, &key, &key)
        .unwrap()
        .install(&key, act);
    assert!(
        matches!(refused, Err(BackupError::Store(StoreError::InUse(_)))),
        "{refused:?}"
    );
    assert!(kept(&runner, D) && kept(&runner, E), "nothing was replaced");
    // The console closes; its days, checked against the restored file's log from a new
    // connection (whose change counter says nothing about the old one's), all go.
    let mut days = runner.days.clone();
    drop(runner);
    let staged = backup::stage(&db, &copy, &key, &key).unwrap();
    staged.install(&key, act).unwrap();
    let store = Store::open_keyed(&db, &key).unwrap();
    let mut runner = Runner::new(store, config, Clock::Fixed(now()), None);
    days.unchecked();
    runner.days = days;
    assert!(!kept(&runner, D) && !kept(&runner, E), "every day reloads");
    drop(dir);
}

/// The worker's own writes do not move its change counter: it checks its kept days against
/// the log after each, and keeps the ones its change did not touch.
#[test]
fn the_console_s_own_change_reloads_only_the_day_it_touched() {
    let w = world();
    let mut runner = console(&w);
    runner.actor = Some(desk_member(&w));
    let msg = runner.run(Cmd::SetStatus {
        id: w.ada_visit,
        to: AppointmentStatus::Confirmed,
    });
    assert!(
        matches!(msg, Some(Msg::StatusSet { result: Ok(()), .. })),
        "{msg:?}"
    );
    assert!(!kept(&runner, D), "its own change");
    assert!(kept(&runner, E), "untouched");
    let sheet = load(&mut runner, D);
    assert_eq!(
        sheet.rows[0].status,
        AppointmentStatus::Confirmed,
        "reloaded"
    );
}

fn desk_member(w: &World) -> frontdesk::domain::staff::Member {
    use frontdesk::domain::staff::{Role, Secret, Username};
    use frontdesk::workflow::staff;
    let mut store = Store::open_keyed(&w.p.db, &test_db_key()).unwrap();
    let admin = staff::NewMember {
        username: Username::parse("lee").unwrap(),
        display_name: String::new(),
        role: Role::Admin,
        secret: Secret::new("correct horse battery staple"),
    };
    let m = staff::add_first_admin(&mut store, &admin, now()).unwrap();
    frontdesk::domain::staff::Member {
        id: m.id,
        username: m.username,
        role: Role::Reception,
    }
}

/// Four desks and a cron job write all the time (texts, callbacks, bookings on other days);
/// a console keeps its two days across all of it, and a change to its day made at another
/// desk shows there within 2 s: the console polls its change counter every second
/// (`tui::POLL`) and asks for the day again when it moved, as `app::on_data_version` does.
#[test]
fn with_desks_writing_all_the_time_a_change_to_the_day_still_shows_within_two_seconds() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::{Duration, Instant};
    let w = world();
    let mut runner = console(&w);
    let stop = AtomicBool::new(false);
    let commits = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for desk in 0..4 {
            let (db, cy, cy_visit, stop, commits) = (&w.p.db, w.cy, w.cy_visit, &stop, &commits);
            s.spawn(move || {
                let mut store = Store::open_keyed(db, &test_db_key()).unwrap();
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    n += 1;
                    store
                        .write(|tx| {
                            store::appointments::set_callback(tx, cy_visit, n % 2 == 0)?;
                            let key = format!("desk{desk}-{n}");
                            let to = mobile(3);
                            let text = desk_text(cy, Some(cy_visit), &key, &to);
                            store::messages::insert_outbound(tx, &text)
                        })
                        .unwrap();
                    commits.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(5));
                }
            });
        }
        let mut seen = day::data_version(&runner.store).unwrap();
        // A second of others' commits: both days stay kept through every poll.
        let until = Instant::now() + Duration::from_secs(1);
        while Instant::now() < until {
            std::thread::sleep(Duration::from_millis(100));
            seen = poll(&mut runner, seen);
            assert!(
                kept(&runner, D) && kept(&runner, E),
                "kept across others' commits"
            );
        }
        assert!(commits.load(Ordering::SeqCst) > 20, "the desks wrote");
        // Another desk confirms Ada's visit on the 25th.
        let mut other = Store::open_keyed(&w.p.db, &test_db_key()).unwrap();
        let to = AppointmentStatus::Confirmed;
        desk::set_status(
            &mut other,
            &w.config,
            w.ada_visit,
            to,
            &Actor::System,
            now(),
        )
        .unwrap();
        let written = Instant::now();
        let shown = loop {
            std::thread::sleep(Duration::from_secs(1));
            let before = seen;
            seen = poll(&mut runner, seen);
            if seen != before && load(&mut runner, D).rows[0].status == to {
                break written.elapsed();
            }
            assert!(written.elapsed() < Duration::from_secs(3), "never shown");
        };
        stop.store(true, Ordering::SeqCst);
        assert!(shown < Duration::from_secs(2), "shown after {shown:?}");
        assert!(kept(&runner, E), "the neighbour kept through it all");
        assert!(kept(&runner, D), "the day reloaded is kept again");
    });
}

/// The console's poll: its change counter as the worker answers `PollChanges`.
fn poll(runner: &mut Runner, _seen: i64) -> i64 {
    match runner.run(Cmd::PollChanges) {
        Some(Msg::DataVersion(Ok(v))) => v,
        other => panic!("{other:?}"),
    }
}
