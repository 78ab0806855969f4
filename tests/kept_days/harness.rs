//! The console and the practice the kept-days tests share (`tests/kept_days.rs`,
//! `tests/kept_days_desks.rs`): three patients with a visit each on the 25th, 26th and 27th
//! of November, and a console (the real worker) that has loaded the 25th and 26th.
#![allow(dead_code)] // each test file uses some of these

use chrono::{DateTime, NaiveDate, Utc};
use frontdesk::clock::Clock;
use frontdesk::config::Config;
use frontdesk::domain::day::DaySheet;
use frontdesk::domain::ids::{AppointmentId, MessageId, PatientId};
use frontdesk::domain::message::{MessageKind, MessageStatus};
use frontdesk::store::messages::NewOutbound;
use frontdesk::store::{self, Store};
use frontdesk::tui::msg::{Cmd, Msg};
use frontdesk::tui::worker::Runner;
use frontdesk::workflow::day;

use crate::support::*;

/// The console's "now": the days worked are the 25th and 26th of November.
pub fn now() -> DateTime<Utc> {
    ny(20, 9, 0)
}

pub fn date(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

/// The 25th (Ada's visit) is the day a write touches; the 26th (Bo's) is kept beside it;
/// Cy's visit on the 27th is no kept day's.
pub const D: u32 = 25;
pub const E: u32 = 26;
pub const F: u32 = 27;

pub struct World {
    pub p: Practice,
    pub config: Config,
    pub ada: PatientId,
    pub bo: PatientId,
    pub cy: PatientId,
    pub ada_visit: AppointmentId,
    pub cy_visit: AppointmentId,
}

pub fn world() -> World {
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
pub fn console(w: &World) -> Runner {
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
pub fn load(runner: &mut Runner, d: u32) -> DaySheet {
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

pub fn answered(msg: Option<Msg>) -> DaySheet {
    match msg {
        Some(Msg::DayLoaded {
            result: Ok(sheet), ..
        }) => sheet,
        other => panic!("{other:?}"),
    }
}

/// Whether a switch to day `d` now would show the kept copy: the worker's own check (the
/// change counter, then the log since the kept days' loads), on a copy of its days.
pub fn kept(runner: &Runner, d: u32) -> bool {
    let mut days = runner.days.clone();
    let version = day::data_version(&runner.store).unwrap();
    if let Some(mark) = days.to_check(version) {
        days.check(version, &day::changes_since(&runner.store, mark).unwrap());
    }
    days.get(date(d), version, now()).is_some()
}

/// How a switch to a kept day would show it after the log was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Way {
    /// The kept copy as it is.
    Kept,
    /// The kept copy with some patients' rows read again.
    Patched,
    /// Loaded whole.
    Loaded,
}

/// [`Way`] for day `d`: the worker's own check, on a copy of its days.
pub fn way(runner: &Runner, d: u32) -> Way {
    let mut days = runner.days.clone();
    let version = day::data_version(&runner.store).unwrap();
    if let Some(mark) = days.to_check(version) {
        days.check(version, &day::changes_since(&runner.store, mark).unwrap());
    }
    if days.get(date(d), version, now()).is_some() {
        Way::Kept
    } else if days.to_patch(date(d), version, now()).is_some() {
        Way::Patched
    } else {
        Way::Loaded
    }
}

/// Run `write` as another desk (its own connection) after the console kept both days; how
/// the console shows them then: (the 25th, the 26th). Whichever way, what the console shows
/// is what a whole load of the day on a fresh connection gives (rows, cells and all).
pub fn after(write: impl FnOnce(&mut World)) -> (Way, Way) {
    let mut w = world();
    let mut runner = console(&w);
    write(&mut w);
    let ways = (way(&runner, D), way(&runner, E));
    for d in [D, E] {
        let shown = load(&mut runner, d);
        let whole = day::load(&w.p.store, &w.config, date(d), now()).unwrap();
        assert_eq!(shown.rows, whole.rows, "the {d}th, shown {ways:?}");
        assert!(kept(&runner, d), "the {d}th kept once shown");
    }
    ways
}

pub const TOUCHED: (Way, Way) = (Way::Patched, Way::Kept);
pub const EVERY_DAY: (Way, Way) = (Way::Loaded, Way::Loaded);
pub const NONE: (Way, Way) = (Way::Kept, Way::Kept);

pub fn sql(w: &World, statement: &str, params: impl rusqlite::Params) {
    w.p.sql().execute(statement, params).unwrap();
}

pub fn text_to(w: &mut World, patient: PatientId, key: &str) -> MessageId {
    let to = mobile(9);
    w.p.store
        .write(|tx| store::messages::insert_outbound(tx, &desk_text(patient, None, key, &to)))
        .unwrap()
        .unwrap()
}

/// A text the desk queues in the outbox for `patient` (about `visit`, if any), under `key`.
pub fn desk_text<'a>(
    patient: PatientId,
    visit: Option<AppointmentId>,
    key: &'a str,
    to: &'a str,
) -> NewOutbound<'a> {
    NewOutbound {
        kind: MessageKind::Custom,
        patient_id: Some(patient),
        appointment_id: visit,
        idempotency_key: key,
        to,
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
    }
}
