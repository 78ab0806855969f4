//! Several desks on one database (issue 14 item 3): four reception desks, each with its own
//! connection as its console has, work the day while a cron `remind` (the real binary, its
//! own process) sends a 2,000-text batch to the fake Twilio and a `sync` follows it.
//!
//! What must hold: no desk action fails ("database is locked" never reaches a person), every
//! change one desk makes is visible to another desk's connection as soon as it is written
//! (the console's live refresh polls `PRAGMA data_version`, which this checks moves), every
//! desk change is recorded once and attributed to its member, every text goes exactly once,
//! and the audit chain is intact afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fake_twilio;
mod support;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use fake_twilio::FakeTwilio;
use frontdesk::config::Config;
use frontdesk::domain::appointment::AppointmentStatus;
use frontdesk::domain::ids::AppointmentId;
use frontdesk::domain::staff::{Actor, Member, Role, Secret, Username};
use frontdesk::store::{self, Store};
use frontdesk::workflow::desk_undo::{self, Undo};
use frontdesk::workflow::{audit, desk, staff};
use support::remind::*;
use support::*;

const DESKS: usize = 4;
const VISITS_PER_DESK: u32 = 25;
const BATCH: u32 = 2_000;

/// The four reception members, added by the practice admin.
fn desk_members(p: &mut Practice) -> Vec<Actor> {
    let admin = staff::NewMember {
        username: Username::parse("lee").unwrap(),
        display_name: String::new(),
        role: Role::Admin,
        secret: Secret::new("correct horse battery staple"),
    };
    let lee = staff::add_first_admin(&mut p.store, &admin, now()).unwrap();
    let lee = Actor::Member(Member {
        id: lee.id,
        username: lee.username,
        role: lee.role,
    });
    ["ana", "ben", "cho", "dev"]
        .iter()
        .zip(["739164", "820573", "561938", "394072"])
        .map(|(name, pin)| {
            let new = staff::NewMember {
                username: Username::parse(name).unwrap(),
                display_name: String::new(),
                role: Role::Reception,
                secret: Secret::new(pin),
            };
            let m = staff::add(&mut p.store, &lee, &new, now()).unwrap();
            Actor::Member(Member {
                id: m.id,
                username: m.username,
                role: m.role,
            })
        })
        .collect()
}

/// Today's visits each desk works (patients without SMS consent: no text of theirs can mix
/// with the batch), and tomorrow's 2,000 whose 24-hour reminders are due now.
fn book_the_day(p: &mut Practice) -> (Vec<Vec<AppointmentId>>, Vec<Sent>) {
    let mut desks = Vec::new();
    for d in 0..DESKS as u32 {
        let mut visits = Vec::new();
        for v in 0..VISITS_PER_DESK {
            let who = p.patient(&format!("Walkin{d}x{v}"), None, Consent::None);
            visits.push(p.book(who, ny(25, 10 + (v % 7), 5 * d)));
        }
        desks.push(visits);
    }
    let mut expected = Vec::new();
    for n in 0..BATCH {
        let first = format!("Pat{n:04}");
        let who = p.patient(&first, Some(&mobile(n)), Consent::OptedIn);
        p.book(who, ny(26, 9, 0));
        let body = reminder_24h(&first, "Thu Nov 26 at 9:00 AM");
        expected.push((mobile(n), body));
    }
    (desks, expected)
}

/// What one desk did: rounds of undo-and-arrive after the morning's confirm and arrive, and
/// every failure in words.
struct DeskRun {
    rounds: usize,
    failures: Vec<String>,
}

/// One desk's morning: confirm each visit, then mark it arrived; then, while the cron run
/// lasts, rounds of "undo the arrival, mark it arrived again" — each change checked from
/// another connection right after it is written.
fn work_the_desk(
    db: &Path,
    config: &Config,
    actor: &Actor,
    visits: &[AppointmentId],
    cron_done: &AtomicBool,
) -> DeskRun {
    let mut desk = Desk {
        own: Store::open_keyed(db, &test_db_key()).unwrap(),
        other: Store::open_keyed(db, &test_db_key()).unwrap(),
        config,
        actor,
        failures: Vec::new(),
    };
    for to in [AppointmentStatus::Confirmed, AppointmentStatus::Arrived] {
        for &id in visits {
            desk.change(id, to);
        }
    }
    let mut rounds = 0;
    // At least one round, so undo always runs beside the batch.
    while rounds == 0 || !cron_done.load(Ordering::SeqCst) {
        for &id in visits {
            desk.take_back_arrival(id);
            desk.change(id, AppointmentStatus::Arrived);
        }
        rounds += 1;
    }
    DeskRun {
        rounds,
        failures: desk.failures,
    }
}

/// A desk's own connection, and another desk's to see its changes from.
struct Desk<'a> {
    own: Store,
    other: Store,
    config: &'a Config,
    actor: &'a Actor,
    failures: Vec<String>,
}

impl Desk<'_> {
    fn change(&mut self, id: AppointmentId, to: AppointmentStatus) {
        let before = store::changes::data_version(&self.other).unwrap();
        if let Err(e) = desk::set_status(&mut self.own, self.config, id, to, self.actor, now()) {
            self.failures
                .push(format!("{} {id} → {to:?}: {e}", self.actor.audit_name()));
            return;
        }
        self.seen_elsewhere(id, to, before);
    }

    fn take_back_arrival(&mut self, id: AppointmentId) {
        let before = store::changes::data_version(&self.other).unwrap();
        let change = Undo {
            id,
            now_is: AppointmentStatus::Arrived,
            back_to: AppointmentStatus::Confirmed,
        };
        if let Err(e) = desk_undo::undo(&mut self.own, self.config, change, self.actor, now()) {
            self.failures
                .push(format!("{} undo {id}: {e}", self.actor.audit_name()));
            return;
        }
        self.seen_elsewhere(id, AppointmentStatus::Confirmed, before);
    }

    /// What the other desk's live refresh sees: the version moved and the row reads new.
    fn seen_elsewhere(&mut self, id: AppointmentId, to: AppointmentStatus, before: i64) {
        let after = store::changes::data_version(&self.other).unwrap();
        let status = store::appointments::get(&self.other, id).unwrap().status;
        if after == before || status != to {
            self.failures
                .push(format!("{id} → {to:?} not visible to another desk"));
        }
    }
}

#[test]
fn four_desks_and_a_cron_batch_lose_nothing_double_nothing_and_keep_the_chain() {
    let fake = FakeTwilio::start_at(now());
    let (toml, config) = config_for(&fake, "rate_per_second = 1000\nconcurrency = 8");
    let mut p = Practice::new();
    let members = desk_members(&mut p);
    let (desks, expected) = book_the_day(&mut p);
    let cfg = p.write_config(&toml);

    let mut remind = frontdesk(&p, &cfg, now());
    remind.arg("remind");
    let mut sync = frontdesk(&p, &cfg, now());
    sync.arg("sync");
    let db = p.db.clone();
    let cron_done = AtomicBool::new(false);
    let (runs, cron) = thread::scope(|s| {
        let cron = s.spawn(|| {
            let outputs = (remind.output().unwrap(), sync.output().unwrap());
            cron_done.store(true, Ordering::SeqCst);
            outputs
        });
        let desk_runs: Vec<_> = members
            .iter()
            .zip(&desks)
            .map(|(actor, visits)| {
                let (db, config, done) = (&db, &config, &cron_done);
                s.spawn(move || work_the_desk(db, config, actor, visits, done))
            })
            .collect();
        let runs: Vec<DeskRun> = desk_runs.into_iter().map(|h| h.join().unwrap()).collect();
        (runs, cron.join().unwrap())
    });

    let rounds: Vec<usize> = runs.iter().map(|r| r.rounds).collect();
    eprintln!("rounds of undo-and-arrive per desk while the batch ran: {rounds:?}");
    let failures: Vec<&String> = runs.iter().flat_map(|r| &r.failures).collect();
    assert!(failures.is_empty(), "desk failures: {failures:#?}");
    let (remind, sync) = cron;
    assert!(remind.status.success(), "remind: {}", text(&remind.stderr));
    assert!(sync.status.success(), "sync: {}", text(&sync.stderr));
    for out in [&remind, &sync] {
        let said = text(&out.stderr) + &text(&out.stdout);
        assert!(!said.contains("database is locked"), "{said}");
    }
    assert_exactly_once_with_rows(&fake, &p.messages(), &expected);

    // Every desk change once, by its member, and the visits where the desks left them.
    let mut desk_records = 0;
    for ((actor, visits), run) in members.iter().zip(&desks).zip(&runs) {
        for &id in visits {
            let a = store::appointments::get(&p.store, id).unwrap();
            assert_eq!(a.status, AppointmentStatus::Arrived, "{id}");
            let records =
                store::audit::for_subject(&p.store, &format!("appointment:{id}")).unwrap();
            let count = |action: &str| records.iter().filter(|r| r.action == action).count();
            assert_eq!(count("appointment.status"), 2 + run.rounds, "{id}");
            assert_eq!(count("appointment.status_undone"), run.rounds, "{id}");
            for r in &records {
                assert_eq!(r.actor, actor.audit_name(), "{id}: {r:?}");
                assert_eq!(r.actor_id, actor.staff_id().map(|m| m.0), "{id}: {r:?}");
            }
            desk_records += records.len();
        }
    }
    let chain = audit::verify(&p.store).unwrap();
    assert_eq!(chain.broken, None);
    assert!(
        chain.records > BATCH as usize + desk_records,
        "{}",
        chain.records
    );
}
