//! A small, fixed practice day for console tests: Wednesday 25 November 2026 in New York,
//! 09:30 local, with every status, consent state and a few hard names.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent::{ConsentEvent, ConsentKind, ConsentMethod};
use crate::domain::day::DaySheet;
use crate::domain::ids::{AppointmentId, PatientId};
use crate::domain::phone::E164;
use crate::domain::staff::credential::hash_secret;
use crate::domain::staff::{Member, PasswordHash, Role, Secret};
use crate::store::appointments::{self, NewAppointment};
use crate::store::patients::{self, NewPatient};
use crate::store::staff::NewStaff;
use crate::store::{Store, consent, reference};
use crate::tui::app::{App, Screen, update};
use crate::tui::msg::Msg;
use crate::tui::screens::day::DayState;
use crate::tui::screens::patient::PatientState;
use crate::workflow;

pub const TZ: Tz = chrono_tz::America::New_York;

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

/// 09:30 in New York on the fixture day.
pub fn now() -> DateTime<Utc> {
    local(today(), 9, 30)
}

pub fn clock() -> Clock {
    Clock::Fixed(now())
}

pub fn local(d: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    TZ.from_local_datetime(&d.and_hms_opt(h, m, 0).unwrap())
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

/// Every fixture member's PIN (the admin's too: the store does not check the rules).
pub const PIN: &str = "246810";

/// The fixture's staff: (username, role).
pub const STAFF: [(&str, Role); 3] = [
    ("rosa", Role::Reception),
    ("omar", Role::Manager),
    ("lee", Role::Admin),
];

/// One Argon2id hash of [`PIN`] for every fixture (hashing per test would cost seconds).
fn pin_hash() -> &'static PasswordHash {
    static HASH: std::sync::OnceLock<PasswordHash> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_secret(&Secret::new(PIN), &[7; 16]).unwrap())
}

/// A fixture member as the worker signs them in.
pub fn member(store: &Store, username: &str) -> Member {
    let m = crate::store::staff::by_username(store.test_conn(), username)
        .unwrap()
        .unwrap();
    Member {
        id: m.id,
        username: m.username,
        role: m.role,
    }
}

/// The fixture's ids, for assertions.
pub struct Ids {
    /// Today's appointments in start order.
    pub today: Vec<AppointmentId>,
    /// Patients by fixture name.
    pub ada: PatientId,
    pub jose: PatientId,
    /// Ada's appointment on Monday 30 November (her next one after today).
    pub ada_next: DateTime<Utc>,
}

struct P {
    first: &'static str,
    last: &'static str,
    mobile: Option<&'static str>,
    portal: bool,
    consent: Option<ConsentKind>,
}

#[rustfmt::skip]
const PATIENTS: &[P] = &[
    P { first: "Ada", last: "Lovelace", mobile: Some("+12015550134"), portal: true, consent: Some(ConsentKind::OptIn) },
    P { first: "Thị Mai", last: "Nguyễn", mobile: Some("+12015550177"), portal: false, consent: Some(ConsentKind::OptIn) },
    P { first: "Alexandra", last: "Okonkwo-Whitfield", mobile: Some("+12015550190"), portal: true, consent: None },
    P { first: "José", last: "García López", mobile: Some("+12015550111"), portal: false, consent: Some(ConsentKind::OptOut) },
    P { first: "Noah", last: "Berg", mobile: None, portal: false, consent: None },
    P { first: "Grace", last: "Hopper", mobile: Some("+12015550155"), portal: true, consent: Some(ConsentKind::OptIn) },
    P { first: "Wei", last: "Zhang", mobile: Some("+12015550166"), portal: false, consent: None },
];

/// (patient index, clinician index, type index, hour, minute, status) for the fixture day.
#[rustfmt::skip]
const TODAY: &[(usize, usize, usize, u32, u32, AppointmentStatus)] = &[
    (5, 0, 0, 8, 0, AppointmentStatus::Completed),
    (6, 1, 2, 8, 30, AppointmentStatus::NoShow),
    (0, 0, 1, 9, 0, AppointmentStatus::Arrived),
    (1, 1, 0, 9, 30, AppointmentStatus::Confirmed),
    (2, 2, 1, 10, 0, AppointmentStatus::Booked),
    (3, 0, 2, 10, 30, AppointmentStatus::Cancelled),
    (4, 1, 0, 11, 0, AppointmentStatus::Booked),
    (6, 2, 1, 13, 30, AppointmentStatus::Booked),
    (5, 0, 1, 15, 0, AppointmentStatus::Confirmed),
];

/// The fixture practice in an in-memory store.
pub fn store() -> (Store, Ids) {
    fill(Store::open_in_memory().unwrap())
}

/// The fixture practice in a (plain) database file, for a second connection.
pub fn store_at(path: &std::path::Path) -> (Store, Ids) {
    fill(Store::open(path).unwrap())
}

fn fill(store: Store) -> (Store, Ids) {
    let conn = store.test_conn();
    let clinicians = ["Dr. Okafor", "Dr. Nguyen", "NP Rivera"]
        .map(|n| reference::insert_clinician(conn, n).unwrap());
    let types = [
        ("Annual physical", "Check-up", 30),
        ("Diabetes follow-up", "Follow-up visit", 20),
        ("Vaccination", "Short visit", 15),
    ]
    .map(|(n, l, m)| reference::insert_type(conn, n, l, m).unwrap());
    let booked_at = local(today(), 0, 0) - chrono::Duration::days(20);
    let patients: Vec<PatientId> = PATIENTS
        .iter()
        .map(|p| {
            let id = patients::insert(
                conn,
                &NewPatient {
                    external_id: None,
                    first_name: p.first.into(),
                    last_name: p.last.into(),
                    birth_date: NaiveDate::from_ymd_opt(1980, 5, 17),
                    mobile: p.mobile.map(|m| E164::try_from(m.to_string()).unwrap()),
                    time_zone: None,
                    portal_active: p.portal,
                },
                booked_at,
            )
            .unwrap();
            if let Some(kind) = p.consent {
                consent::append(
                    conn,
                    id,
                    &ConsentEvent {
                        kind,
                        method: ConsentMethod::WrittenForm,
                        evidence: Some("FORM-1".into()),
                        recorded_by: "desk".into(),
                        at: booked_at,
                    },
                )
                .unwrap();
            }
            id
        })
        .collect();
    let book = |p: usize, c: usize, t: usize, start: DateTime<Utc>, status| {
        appointments::insert(
            conn,
            &NewAppointment {
                external_id: None,
                patient_id: patients[p],
                clinician_id: clinicians[c],
                type_id: types[t],
                start,
                duration_minutes: 30,
                status,
                booked_at,
            },
        )
        .unwrap()
    };
    let today_ids = TODAY
        .iter()
        .map(|&(p, c, t, h, m, s)| book(p, c, t, local(today(), h, m), s))
        .collect();
    let tomorrow = today().succ_opt().unwrap();
    book(2, 0, 0, local(tomorrow, 9, 0), AppointmentStatus::Booked);
    book(
        5,
        1,
        1,
        local(tomorrow, 14, 0),
        AppointmentStatus::Confirmed,
    );
    let ada_next = local(NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(), 11, 15);
    book(0, 0, 0, ada_next, AppointmentStatus::Booked);
    for (username, role) in STAFF {
        let row = NewStaff {
            username,
            display_name: username,
            role,
            hash: pin_hash(),
        };
        crate::store::staff::insert(conn, &row, booked_at).unwrap();
    }
    let ids = Ids {
        today: today_ids,
        ada: patients[0],
        jose: patients[3],
        ada_next,
    };
    (store, ids)
}

/// An app with the fixture day and provider state loaded, as after the receptionist (rosa)
/// signed in.
pub fn loaded_app(store: &Store, width: u16, height: u16, banner: Option<&str>) -> App {
    loaded_app_as(store, "rosa", (width, height), banner)
}

/// The same, signed in as `username`.
pub fn loaded_app_as(
    store: &Store,
    username: &str,
    (width, height): (u16, u16),
    banner: Option<&str>,
) -> App {
    let config = Config::default();
    let mut app = App::new(&config, today(), banner.map(String::from));
    update(&mut app, Msg::Resize { width, height });
    assert!(app.start().is_empty(), "nothing loads before a sign-in");
    let cmds = update(&mut app, Msg::SignedIn(Ok(member(store, username))));
    let Some(&crate::tui::msg::Cmd::LoadDay { generation, date }) = cmds
        .iter()
        .find(|c| matches!(c, crate::tui::msg::Cmd::LoadDay { .. }))
    else {
        panic!("start must load the day first: {cmds:?}");
    };
    update(
        &mut app,
        Msg::DayLoaded {
            generation,
            now: now(),
            result: Ok(sheet(store, date)),
        },
    );
    update(
        &mut app,
        Msg::ProviderLoaded(Ok(workflow::day::provider_status(store, &config).unwrap())),
    );
    app
}

pub fn sheet(store: &Store, date: NaiveDate) -> DaySheet {
    workflow::day::load(
        store,
        &Config::default(),
        date,
        date.and_hms_opt(14, 0, 0).unwrap().and_utc(),
    )
    .unwrap()
}

/// The day view under the modals (or under a patient's screen), for assertions.
pub trait DayView {
    fn day(&self) -> &DayState;
    fn day_mut(&mut self) -> &mut DayState;
    fn patient(&self) -> &PatientState;
}

impl DayView for App {
    fn day(&self) -> &DayState {
        std::iter::once(&self.screen)
            .chain(self.behind.iter())
            .find_map(|s| match s {
                Screen::Day(d) => Some(d),
                _ => None,
            })
            .expect("a day view")
    }

    fn day_mut(&mut self) -> &mut DayState {
        std::iter::once(&mut self.screen)
            .chain(self.behind.iter_mut())
            .find_map(|s| match s {
                Screen::Day(d) => Some(d),
                _ => None,
            })
            .expect("a day view")
    }

    fn patient(&self) -> &PatientState {
        match &self.screen {
            Screen::Patient(p) => p,
            other => panic!("not on a patient screen: {other:?}"),
        }
    }
}

/// A worker on `store` acting as the fixture member `username` (as after their sign-in).
pub fn runner_as(store: Store, username: &str) -> crate::tui::worker::Runner {
    let actor = Some(member(&store, username));
    crate::tui::worker::Runner::new(store, Config::default(), clock(), actor)
}

/// Run commands on the worker and feed every answer back to `update`, until nothing is left.
pub fn settle(
    app: &mut App,
    r: &mut crate::tui::worker::Runner,
    mut cmds: Vec<crate::tui::msg::Cmd>,
) {
    for _ in 0..20 {
        let mut next = Vec::new();
        for cmd in cmds {
            if let Some(msg) = r.run(cmd) {
                next.extend(update(app, msg));
            }
        }
        if next.is_empty() {
            return;
        }
        cmds = next;
    }
    panic!("the console and the worker never settle");
}
