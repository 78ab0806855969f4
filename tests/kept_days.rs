//! Days kept across other desks' commits (issue 14, several desks): a console keeps the days
//! it loaded (the one shown and its neighbours) while the change log (migration 16) says
//! nothing written since concerns them, and loads a day again as soon as something does.
//!
//! One test per kind of write a day sheet or its reminder cells depend on, each through the
//! path that really writes it (the desk, the messaging store, sync's inbound filing, consent,
//! imports, restores; SQL only where the product writes it from an import or `remind`): the
//! kept day it touches is not shown again, the other kept day is. The console here is the real
//! worker (`tui::worker::Runner`), loading days as it does on a switch.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fake_twilio;
mod support;

use chrono::{DateTime, NaiveDate, Utc};
use frontdesk::clock::Clock;
use frontdesk::config::Config;
use frontdesk::domain::appointment::AppointmentStatus;
use frontdesk::domain::day::DaySheet;
use frontdesk::domain::ids::{AppointmentId, PatientId};
use frontdesk::domain::message::{MessageKind, MessageStatus};
use frontdesk::domain::reply::ReplyKind;
use frontdesk::domain::staff::Actor;
use frontdesk::store::messages::NewInbound;
use frontdesk::store::messages::NewOutbound;
use frontdesk::store::{self, Store, StoreError};
use frontdesk::tui::msg::{Cmd, Msg};
use frontdesk::tui::worker::Runner;
use frontdesk::workflow::{day, desk};
use support::*;

/// The console's "now": the days worked are the 25th and 26th of November.
fn now() -> DateTime<Utc> {
    ny(20, 9, 0)
}

fn date(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

/// The 25th (Ada's visit) is the day a write touches; the 26th (Bo's) is kept beside it;
/// Cy's visit on the 27th is no kept day's.
const D: u32 = 25;
const E: u32 = 26;
const F: u32 = 27;

struct World {
    p: Practice,
    config: Config,
    ada: PatientId,
    bo: PatientId,
    cy: PatientId,
    ada_visit: AppointmentId,
    cy_visit: AppointmentId,
}

fn world() -> World {
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(1)), Consent::OptedIn);
    let bo = p.patient("Bo", Some(&mobile(2)), Consent::OptedIn);
    let cy = p.patient("Cy", Some(&mobile(3)), Consent::OptedIn);
    let ada_visit = p.book(ada, ny(D, 10, 0));
    p.book(bo, ny(E, 10, 0));
    let cy_visit = p.book(cy, ny(F, 10, 0));
    World {
        p,
        config: Config::demo(),
        ada,
        bo,
        cy,
        ada_visit,
        cy_visit,
    }
}

/// A console on the practice's file: its own connection and worker, the 25th and 26th loaded
/// (the shown day and its neighbour).
fn console(w: &World) -> Runner {
    let store = Store::open_keyed(&w.p.db, &test_db_key()).unwrap();
    let mut runner = Runner::new(store, w.config.clone(), Clock::Fixed(now()), None);
    for d in [D, E] {
        assert!(load(&mut runner, d).rows.len() == 1);
    }
    assert!(
        kept(&runner, D) && kept(&runner, E),
        "both kept once loaded"
    );
    runner
}

/// The day as the worker answers a switch to it: the sheet, then its reminder cells when
/// the sheet came first (as the day screen asks for them).
fn load(runner: &mut Runner, d: u32) -> DaySheet {
    let sheet = answered(runner.run(Cmd::LoadDay {
        generation: 1,
        date: date(d),
    }));
    if !sheet.cells_pending {
        return sheet;
    }
    answered(runner.run(Cmd::LoadCells {
        generation: 1,
        date: date(d),
    }))
}

fn answered(msg: Option<Msg>) -> DaySheet {
    match msg {
        Some(Msg::DayLoaded {
            result: Ok(sheet), ..
        }) => sheet,
        other => panic!("{other:?}"),
    }
}

/// Whether a switch to day `d` now would show the kept copy: the worker's own check (the
/// change counter, then the log since the kept days' loads), on a copy of its days.
fn kept(runner: &Runner, d: u32) -> bool {
    let mut days = runner.days.clone();
    let version = day::data_version(&runner.store).unwrap();
    if let Some(mark) = days.to_check(version) {
        days.check(version, &day::changes_since(&runner.store, mark).unwrap());
    }
    days.get(date(d), version, now()).is_some()
}

/// Run `write` as another desk (its own connection) after the console kept both days; what
/// the console keeps then: (the 25th, the 26th).
fn after(write: impl FnOnce(&mut World)) -> (bool, bool) {
    let mut w = world();
    let runner = console(&w);
    write(&mut w);
    (kept(&runner, D), kept(&runner, E))
}

const TOUCHED: (bool, bool) = (false, true);
const EVERY_DAY: (bool, bool) = (false, false);
const NONE: (bool, bool) = (true, true);

fn sql(w: &World, statement: &str, params: impl rusqlite::Params) {
    w.p.sql().execute(statement, params).unwrap();
}

#[test]
fn a_visit_booked_into_the_day() {
    assert_eq!(
        after(|w| {
            w.p.book(w.cy, ny(D, 15, 0));
        }),
        TOUCHED
    );
}

#[test]
fn a_visit_moved_into_the_day_and_one_moved_out() {
    // Rescheduled as an import writes it (the store has no "move" of its own).
    let into = |w: &mut World| {
        let t = ny(D, 16, 0).timestamp();
        sql(
            w,
            "UPDATE appointments SET start_at = ?1 WHERE id = ?2",
            (t, w.cy_visit.0),
        );
    };
    assert_eq!(after(into), TOUCHED);
    let out = |w: &mut World| {
        let t = ny(F, 16, 0).timestamp();
        sql(
            w,
            "UPDATE appointments SET start_at = ?1 WHERE id = ?2",
            (t, w.ada_visit.0),
        );
    };
    assert_eq!(after(out), TOUCHED);
    // Moved between two days no console keeps: both stay.
    let elsewhere = |w: &mut World| {
        let t = ny(F + 1, 16, 0).timestamp();
        sql(
            w,
            "UPDATE appointments SET start_at = ?1 WHERE id = ?2",
            (t, w.cy_visit.0),
        );
    };
    assert_eq!(after(elsewhere), NONE);
}

#[test]
fn a_visit_cancelled_or_marked_at_another_desk() {
    for to in [AppointmentStatus::Cancelled, AppointmentStatus::Confirmed] {
        let change = |w: &mut World| {
            desk::set_status(
                &mut w.p.store,
                &w.config,
                w.ada_visit,
                to,
                &Actor::System,
                now(),
            )
            .unwrap();
        };
        assert_eq!(after(change), TOUCHED, "{to:?}");
    }
    // A visit of another day: both stay.
    let other = |w: &mut World| {
        let to = AppointmentStatus::Cancelled;
        desk::set_status(
            &mut w.p.store,
            &w.config,
            w.cy_visit,
            to,
            &Actor::System,
            now(),
        )
        .unwrap();
    };
    assert_eq!(after(other), NONE);
}

fn text_to(w: &mut World, patient: PatientId, key: &str) -> frontdesk::domain::ids::MessageId {
    w.p.store
        .write(|tx| {
            store::messages::insert_outbound(
                tx,
                &NewOutbound {
                    kind: MessageKind::Custom,
                    patient_id: Some(patient),
                    appointment_id: None,
                    idempotency_key: key,
                    to: &mobile(9),
                    body: "Your parking permit is ready at the front desk.",
                    encoding: "GSM-7",
                    segments: 1,
                    status: MessageStatus::Queued,
                    provider: "outbox",
                    findings: None,
                    created_by: "desk",
                    now: now(),
                    not_before: None,
                    send_by: None,
                },
            )
        })
        .unwrap()
        .unwrap()
}

#[test]
fn a_text_written_or_its_status_changed() {
    assert_eq!(
        after(|w| {
            text_to(w, w.ada, "t1");
        }),
        TOUCHED
    );
    assert_eq!(
        after(|w| {
            text_to(w, w.cy, "t1");
        }),
        NONE,
        "to a patient of no kept day"
    );
    // Its status changed later (a receipt, a re-check): written before the days were kept.
    let mut w = world();
    let ada = w.ada;
    let id = text_to(&mut w, ada, "t2");
    let runner = console(&w);
    w.p.store
        .write(|tx| store::messages::set_status(tx, id, MessageStatus::Withdrawn, None, now()))
        .unwrap();
    assert_eq!((kept(&runner, D), kept(&runner, E)), TOUCHED);
}

fn reply_from(w: &mut World, patient: Option<PatientId>, visit: Option<AppointmentId>) {
    w.p.store
        .write(|tx| {
            let id = store::messages::insert_inbound(
                tx,
                &NewInbound {
                    patient,
                    from: &mobile(1),
                    to: "+15555550100",
                    body: "C",
                    provider: "twilio",
                    provider_id: "SM-reply-1",
                    at: now(),
                },
            )?
            .unwrap();
            store::messages::classify_reply(tx, id, ReplyKind::Confirm, visit)
        })
        .unwrap();
}

#[test]
fn a_reply_filed_against_the_day_or_its_patient() {
    assert_eq!(
        after(|w| reply_from(w, Some(w.ada), Some(w.ada_visit))),
        TOUCHED
    );
    assert_eq!(after(|w| reply_from(w, Some(w.ada), None)), TOUCHED);
    assert_eq!(after(|w| reply_from(w, Some(w.cy), Some(w.cy_visit))), NONE);
    // From a number no patient has: nothing narrower to go by, every day reloads.
    assert_eq!(after(|w| reply_from(w, None, None)), EVERY_DAY);
}

#[test]
fn a_consent_event() {
    assert_eq!(after(|w| w.p.opt_out(w.ada, now())), TOUCHED);
    assert_eq!(after(|w| w.p.opt_out(w.bo, now())), (true, false));
    assert_eq!(after(|w| w.p.opt_out(w.cy, now())), NONE);
}

#[test]
fn a_patient_edited() {
    let number = frontdesk::domain::phone::E164::try_from(mobile(77)).unwrap();
    let fix = |w: &mut World| {
        w.p.store
            .write(|tx| store::patients::set_mobile(tx, w.ada, Some(&number)))
            .unwrap()
    };
    assert_eq!(after(fix), TOUCHED);
    let flag = |w: &mut World| {
        w.p.store
            .write(|tx| store::patients::flag_number(tx, w.ada, "30003", now()))
            .unwrap()
    };
    assert_eq!(after(flag), TOUCHED);
    // A new patient has no visit on any day: nothing to reload.
    assert_eq!(
        after(|w| {
            w.p.patient("Dee", None, Consent::None);
        }),
        NONE
    );
}

#[test]
fn a_rebooking_mark_a_callback_and_a_recorded_decision() {
    let rebook = |w: &mut World| {
        let mark = store::rebookings::NewRebooking {
            appointment_id: w.ada_visit,
            start: ny(D, 10, 0),
            key: "closure-1",
            by: "desk",
            now: now(),
        };
        w.p.store
            .write(|tx| store::rebookings::mark(tx, &mark))
            .unwrap();
    };
    assert_eq!(after(rebook), TOUCHED);
    let flag = |w: &mut World| {
        w.p.store
            .write(|tx| store::appointments::set_callback(tx, w.ada_visit, true))
            .unwrap()
    };
    assert_eq!(after(flag), TOUCHED);
    let callback = |w: &mut World| {
        let entry = store::callbacks::NewCallback {
            key: "closure-1",
            patient_id: w.ada,
            appointment_id: None,
            message_id: None,
            reason: "no mobile",
            now: now(),
        };
        w.p.store
            .write(|tx| store::callbacks::add(tx, &entry))
            .unwrap();
    };
    assert_eq!(after(callback), TOUCHED);
    // `remind` keeps why a due reminder did not go (`reminder_decisions::record`).
    let decided = |w: &mut World| {
        sql(
            w,
            "INSERT INTO reminder_decisions (appointment_id, start_at, offset_hours, outcome,
                                             until_at, decided_by, decided_at)
             VALUES (?1, ?2, 24, 'waiting', ?3, 'remind', ?3)",
            (w.ada_visit.0, ny(D, 10, 0).timestamp(), now().timestamp()),
        )
    };
    assert_eq!(after(decided), TOUCHED);
}

#[test]
fn a_clinician_type_template_or_setting_reloads_every_day() {
    let clinician = |w: &mut World| {
        w.p.store
            .write(|tx| store::reference::insert_clinician(tx, "Dr. Nakamura"))
            .unwrap();
    };
    assert_eq!(
        after(clinician),
        NONE,
        "no visit is with the new clinician yet"
    );
    let renamed = |w: &mut World| {
        sql(
            w,
            "UPDATE clinicians SET display_name = 'Dr. Okafor-Reyes'",
            (),
        );
    };
    assert_eq!(after(renamed), EVERY_DAY);
    let ty = |w: &mut World| {
        w.p.store
            .write(|tx| store::reference::insert_type(tx, "Flu shot", "Vaccination", 10))
            .unwrap();
    };
    assert_eq!(after(ty), NONE, "no visit is of the new type yet");
    let relabelled = |w: &mut World| {
        sql(w, "UPDATE appointment_types SET sms_label = 'Visit'", ());
    };
    assert_eq!(after(relabelled), EVERY_DAY);
    let template = |w: &mut World| {
        let body = "Hi {first_name}, see you {when}. {stop}";
        w.p.store
            .write(|tx| store::templates::save(tx, MessageKind::Reminder24h, body, "lee", now()))
            .unwrap();
    };
    assert_eq!(after(template), EVERY_DAY);
    let setting = |w: &mut World| {
        w.p.store
            .write(|tx| store::settings::set(tx, "demo.seeded_at", "2026-11-20T09:00:00Z"))
            .unwrap();
    };
    assert_eq!(after(setting), EVERY_DAY);
    // Sync's poll cursor moves at every poll; no day reads it.
    let cursor = |w: &mut World| {
        let key = frontdesk::workflow::sync::cursor_key("twilio");
        w.p.store
            .write(|tx| store::settings::set(tx, &key, "page-2"))
            .unwrap();
    };
    assert_eq!(after(cursor), NONE);
}

#[test]
fn staff_and_audit_writes_keep_every_day() {
    let audit = |w: &mut World| {
        let entry = frontdesk::domain::audit::AuditEntry::new(
            now(),
            "lee",
            "report.viewed",
            "practice",
            serde_json::json!({}),
        );
        w.p.store
            .write(|tx| store::audit::append(tx, &entry).map(|_| ()))
            .unwrap();
    };
    assert_eq!(after(audit), NONE);
}

fn import(w: &mut World, csv: &str) {
    use frontdesk::domain::import::csv::{CsvOptions, read};
    use frontdesk::workflow::import::{self, Options, Source, SourceKind};
    let parsed = read(
        csv.as_bytes(),
        &CsvOptions {
            ctx: import::read_context(&w.config, now()),
            mappings: &[],
        },
    );
    let source = Source::new(SourceKind::Csv, "schedule.csv", csv.as_bytes());
    let opts = Options {
        dry_run: false,
        cancel_missing: false,
        actor: "system",
        now: now(),
    };
    let gate = frontdesk::phi::Gate::default();
    let outcome = import::run(&mut w.p.store, &w.config, &gate, parsed, &source, opts).unwrap();
    assert!(outcome.written, "{:#?}", outcome.report);
}

#[test]
fn an_import() {
    let header = "Appt ID,Patient ID,Last Name,First Name,Mobile Phone,Text OK,Appt Date,Start Time,Provider,Status\n";
    let into_d = format!(
        "{header}A1,P1,Łukasiewicz,Zofia,{},Y,11/25/2026,2:00 PM,{CLINICIAN},Scheduled\n",
        mobile(40)
    );
    // An import writes one change for every day (its rows are not logged one by one: see
    // `store::changes::pause_logging`), so every console reloads its days once.
    assert_eq!(after(|w| import(w, &into_d)), EVERY_DAY);
    let later = format!(
        "{header}A2,P2,Nguyễn,Thị Mai,{},Y,12/02/2026,2:00 PM,{CLINICIAN},Scheduled\n",
        mobile(41)
    );
    assert_eq!(
        after(|w| import(w, &later)),
        EVERY_DAY,
        "even an import of other days only"
    );
}

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
                            store::messages::insert_outbound(
                                tx,
                                &NewOutbound {
                                    kind: MessageKind::Custom,
                                    patient_id: Some(cy),
                                    appointment_id: Some(cy_visit),
                                    idempotency_key: &format!("desk{desk}-{n}"),
                                    to: &mobile(3),
                                    body: "Your forms are ready to sign.",
                                    encoding: "GSM-7",
                                    segments: 1,
                                    status: MessageStatus::Queued,
                                    provider: "outbox",
                                    findings: None,
                                    created_by: "desk",
                                    now: now(),
                                    not_before: None,
                                    send_by: None,
                                },
                            )
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
