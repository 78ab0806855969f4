//! The worker against the fixture store: commands become the right messages and writes.

use std::sync::mpsc;
use std::time::Duration;

use super::fixture::{self, today};
use crate::config::Config;
use crate::domain::appointment::AppointmentStatus;
use crate::store;
use crate::tui::msg::{Cmd, Msg};
use crate::tui::worker::{Runner, Worker, coalesce};

/// A worker signed in as rosa on a database file (`p.db` in the directory returned), for
/// tests that open a second connection on it.
pub(super) fn file_runner() -> (tempfile::TempDir, Runner, fixture::Ids) {
    let dir = tempfile::tempdir().unwrap();
    let (store, ids) = fixture::store_at(&dir.path().join("p.db"));
    let rosa = fixture::member(&store, "rosa");
    let runner = Runner::new(store, Config::default(), fixture::clock(), Some(rosa));
    (dir, runner, ids)
}

fn runner() -> (Runner, fixture::Ids) {
    let (store, ids) = fixture::store();
    let rosa = fixture::member(&store, "rosa");
    let runner = Runner::new(store, Config::default(), fixture::clock(), Some(rosa));
    (runner, ids)
}

#[test]
fn load_day_answers_with_its_generation_and_the_clock() {
    let (mut r, ids) = runner();
    let msg = r.run(Cmd::LoadDay {
        generation: 7,
        date: today(),
    });
    let Some(Msg::DayLoaded {
        generation,
        now,
        result: Ok(sheet),
    }) = msg
    else {
        panic!("{msg:?}");
    };
    assert_eq!((generation, now), (7, fixture::now()));
    assert_eq!(sheet.rows.len(), ids.today.len());
    assert_eq!(sheet.rows[0].patient_name, "Hopper, Grace");
}

#[test]
fn set_status_persists_and_audits_with_the_actor() {
    let (mut r, ids) = runner();
    let id = ids.today[4]; // 10:00 booked
    let msg = r.run(Cmd::SetStatus {
        id,
        to: AppointmentStatus::Arrived,
    });
    assert_eq!(
        msg,
        Some(Msg::StatusSet {
            id,
            to: AppointmentStatus::Arrived,
            result: Ok(())
        })
    );
    let conn = r.store.test_conn();
    assert_eq!(
        store::appointments::get(conn, id).unwrap().status,
        AppointmentStatus::Arrived
    );
    let audit = store::audit::for_subject(conn, &format!("appointment:{id}")).unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].actor, "rosa");
    let rosa = fixture::member(&r.store, "rosa");
    assert_eq!(
        audit[0].actor_id,
        Some(rosa.id.0),
        "the record names her id"
    );
}

#[test]
fn refusals_come_back_as_staff_readable_text() {
    let (mut r, ids) = runner();
    let id = ids.today[5]; // cancelled
    let msg = r.run(Cmd::SetStatus {
        id,
        to: AppointmentStatus::Arrived,
    });
    let Some(Msg::StatusSet {
        result: Err(text), ..
    }) = msg
    else {
        panic!("{msg:?}");
    };
    assert_eq!(text, "a cancelled appointment cannot be marked arrived");
    // Timing is the worker's call: no-show before the start (10:00 > 09:30) is refused.
    let msg = r.run(Cmd::SetStatus {
        id: ids.today[4],
        to: AppointmentStatus::NoShow,
    });
    assert!(
        matches!(msg, Some(Msg::StatusSet { result: Err(ref t), .. }) if t.contains("before the appointment has started")),
        "{msg:?}"
    );
}

#[test]
fn search_and_provider() {
    let (mut r, ids) = runner();
    let msg = r.run(Cmd::Search {
        generation: 3,
        query: "love".into(),
    });
    let Some(Msg::SearchDone {
        generation: 3,
        result: Ok(hits),
    }) = msg
    else {
        panic!("{msg:?}");
    };
    assert_eq!(hits[0].patient_id, ids.ada);
    let msg = r.run(Cmd::LoadProvider);
    assert!(
        matches!(msg, Some(Msg::ProviderLoaded(Ok(ref p))) if p.outbox == 0),
        "{msg:?}"
    );
}

#[test]
fn queued_loads_and_searches_coalesce_but_status_changes_never_do() {
    use crate::domain::ids::AppointmentId;
    let set = |n| Cmd::SetStatus {
        id: AppointmentId(n),
        to: AppointmentStatus::Arrived,
    };
    let load = |g| Cmd::LoadDay {
        generation: g,
        date: today(),
    };
    let search = |g: u64| Cmd::Search {
        generation: g,
        query: "a".into(),
    };
    let out = coalesce(vec![
        load(1),
        search(2),
        set(1),
        load(3),
        search(4),
        set(2),
        Cmd::LoadProvider,
        Cmd::LoadProvider,
    ]);
    assert_eq!(
        out,
        vec![set(1), load(3), search(4), set(2), Cmd::LoadProvider]
    );
}

#[test]
fn the_thread_answers_and_finishes_queued_changes_on_stop() {
    let (runner, ids) = runner();
    let (tx, rx) = mpsc::channel();
    let worker = Worker::spawn(runner, tx).unwrap();
    worker
        .send(Cmd::LoadDay {
            generation: 1,
            date: today(),
        })
        .unwrap();
    let msg = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(
        matches!(msg, Msg::DayLoaded { generation: 1, .. }),
        "{msg:?}"
    );
    worker
        .send(Cmd::SetStatus {
            id: ids.today[4],
            to: AppointmentStatus::Arrived,
        })
        .unwrap();
    worker.stop();
    let rest: Vec<Msg> = rx.try_iter().collect();
    assert!(
        rest.iter()
            .any(|m| matches!(m, Msg::StatusSet { result: Ok(()), .. })),
        "queued change must land before the worker ends: {rest:?}"
    );
    assert_eq!(rest.last(), Some(&Msg::WorkerStopped));
}

/// The sheet a `LoadDay` answers with, its cells filled as the day screen asks for them
/// when the sheet came first.
pub(super) fn day_sheet(r: &mut Runner, date: chrono::NaiveDate) -> crate::domain::day::DaySheet {
    let sheet = answered(r.run(Cmd::LoadDay {
        generation: 1,
        date,
    }));
    if !sheet.cells_pending {
        return sheet;
    }
    answered(r.run(Cmd::LoadCells {
        generation: 1,
        date,
    }))
}

pub(super) fn answered(msg: Option<Msg>) -> crate::domain::day::DaySheet {
    match msg {
        Some(Msg::DayLoaded {
            result: Ok(sheet), ..
        }) => sheet,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_day_not_kept_comes_as_its_sheet_first_and_its_cells_after() {
    let (mut r, _) = runner();
    let date = today();
    let first = answered(r.run(Cmd::LoadDay {
        generation: 3,
        date,
    }));
    assert!(first.cells_pending);
    assert!(first.rows.iter().all(|row| row.reminders.is_empty()));
    // A load of an older generation finds nothing to fill.
    assert_eq!(
        r.run(Cmd::LoadCells {
            generation: 2,
            date
        }),
        None
    );
    let first = answered(r.run(Cmd::LoadDay {
        generation: 4,
        date,
    }));
    let full = answered(r.run(Cmd::LoadCells {
        generation: 4,
        date,
    }));
    assert!(!full.cells_pending);
    let whole = crate::workflow::day::load(&r.store, &r.config, date, fixture::now()).unwrap();
    assert_eq!(full, whole, "the same sheet as loaded in one go");
    assert_eq!(
        first
            .rows
            .iter()
            .map(|x| x.appointment_id)
            .collect::<Vec<_>>(),
        full.rows
            .iter()
            .map(|x| x.appointment_id)
            .collect::<Vec<_>>()
    );
    assert!(full.rows.iter().any(|row| !row.reminders.is_empty()));
    // Filled once: asked again, nothing; the day is kept whole for the next switch.
    assert_eq!(
        r.run(Cmd::LoadCells {
            generation: 4,
            date
        }),
        None
    );
    let again = answered(r.run(Cmd::LoadDay {
        generation: 5,
        date,
    }));
    assert_eq!(again, whole, "kept with its cells");
}

#[test]
fn a_day_s_cells_are_dropped_when_another_day_load_follows_them() {
    let cells = |g| Cmd::LoadCells {
        generation: g,
        date: today(),
    };
    let load = |g| Cmd::LoadDay {
        generation: g,
        date: today(),
    };
    assert_eq!(coalesce(vec![cells(1), load(2)]), vec![load(2)]);
    assert_eq!(coalesce(vec![load(2), cells(2)]), vec![load(2), cells(2)]);
    assert_eq!(coalesce(vec![cells(2)]), vec![cells(2)]);
}

fn status_of(
    sheet: &crate::domain::day::DaySheet,
    id: crate::domain::ids::AppointmentId,
) -> AppointmentStatus {
    sheet
        .rows
        .iter()
        .find(|r| r.appointment_id == id)
        .unwrap()
        .status
}

#[test]
fn the_days_beside_the_shown_one_are_loaded_ahead_and_shown_from_there() {
    let (mut r, ids) = runner();
    assert!(!r.load_ahead(), "nothing shown yet, nothing to load ahead");
    day_sheet(&mut r, today());
    assert!(r.load_ahead(), "tomorrow");
    assert!(r.load_ahead(), "yesterday");
    assert!(!r.load_ahead(), "both kept");
    // A write on this connection that bypasses the worker (no command, and SQLite's change
    // counter moves only for other connections): a day shown from what was kept misses it.
    let id = ids.today[4];
    r.store
        .test_conn()
        .execute(
            "UPDATE appointments SET status = 'arrived' WHERE id = ?1",
            [id.0],
        )
        .unwrap();
    assert_eq!(
        status_of(&day_sheet(&mut r, today()), id),
        AppointmentStatus::Booked
    );
}

#[test]
fn a_kept_day_is_never_shown_after_a_change_of_the_desk_or_of_another_connection() {
    let (dir, mut r, ids) = file_runner();
    let path = dir.path().join("p.db");
    let (first, second) = (ids.today[4], ids.today[5]);
    day_sheet(&mut r, today());
    // The desk's own change.
    r.run(Cmd::SetStatus {
        id: first,
        to: AppointmentStatus::Arrived,
    });
    assert_eq!(
        status_of(&day_sheet(&mut r, today()), first),
        AppointmentStatus::Arrived
    );
    // Another desk's (its own connection).
    let other = store::Store::open(&path).unwrap();
    other
        .test_conn()
        .execute(
            "UPDATE appointments SET status = 'arrived' WHERE id = ?1",
            [second.0],
        )
        .unwrap();
    assert_eq!(
        status_of(&day_sheet(&mut r, today()), second),
        AppointmentStatus::Arrived
    );
}

/// Every day one key reaches is loaded ahead: ← →, `t` (today) and, while the search is
/// open, Enter on the selected hit (its next visit's day, `ExpectDay`).
#[test]
fn today_and_the_selected_search_hit_s_day_are_loaded_ahead_too() {
    let (mut r, _) = runner();
    let away = today() + chrono::Duration::days(10);
    let hit = today() + chrono::Duration::days(30);
    day_sheet(&mut r, away);
    let version = crate::workflow::day::data_version(&r.store).unwrap();
    let kept = |r: &Runner, d| r.days.get(d, version, fixture::now()).is_some();
    assert!(r.load_ahead() && r.load_ahead(), "the neighbours");
    assert!(r.load_ahead(), "today");
    assert!(kept(&r, today()), "`t` is served from the days kept");
    assert!(!r.load_ahead(), "nothing more");
    assert_eq!(r.run(Cmd::ExpectDay { date: Some(hit) }), None);
    assert!(r.load_ahead(), "the hit's day");
    assert!(kept(&r, hit));
    assert!(!r.load_ahead());
    // The search closed: nothing new is loaded for it (the day stays kept while it lasts).
    r.run(Cmd::ExpectDay { date: None });
    assert!(!r.load_ahead());
}

/// A locked console loads nothing ahead and keeps no day until one is shown again.
#[test]
fn a_locked_console_stops_loading_ahead_until_a_day_is_shown() {
    let (mut r, _) = runner();
    day_sheet(&mut r, today());
    r.run(Cmd::ExpectDay {
        date: Some(today() + chrono::Duration::days(9)),
    });
    assert!(r.load_ahead());
    assert_eq!(r.run(Cmd::Locked), None);
    assert!(!r.load_ahead(), "nothing loaded while locked");
    assert!(!r.learn_patients(), "nor the patients' lines");
    let version = crate::workflow::day::data_version(&r.store).unwrap();
    assert!(
        r.days.get(today(), version, fixture::now()).is_none(),
        "kept days let go"
    );
    day_sheet(&mut r, today());
    assert!(r.load_ahead(), "signed in again: the neighbours");
}

/// While the sign-in screen waits, the worker reads today once (filling the page cache for
/// the first switch) and keeps none of it; never again, and never once someone is signed in.
#[test]
fn today_is_read_once_before_sign_in_and_nothing_is_kept() {
    let (store, _) = fixture::store();
    let mut r = Runner::new(store, Config::default(), fixture::clock(), None);
    let nothing = format!("{:?}", crate::workflow::day::DaysAhead::default());
    assert!(r.warm_up(), "read once");
    assert_eq!(format!("{:?}", r.days), nothing, "nothing kept for nobody");
    assert!(!r.warm_up(), "only once");
    let (mut signed_in, _) = runner();
    assert!(
        !signed_in.warm_up(),
        "a signed-in desk loads what it shows instead"
    );
}
