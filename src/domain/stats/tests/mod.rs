//! Hand-computed fixtures for every definition and edge case of SPEC §7: the fixture
//! builder here, the definitions in `definitions.rs`, time, buckets and keys in `time.rs`.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use super::*;
use crate::domain::appointment::AppointmentStatus::{self, *};
use crate::domain::consent::{ConsentEvent, ConsentKind, ConsentMethod};
use crate::domain::consent_history::ConsentTimelines;
use crate::domain::ids::{AppointmentId, AppointmentTypeId, ClinicianId, PatientId};
use crate::domain::message::MessageStatus;
use crate::domain::reminder::{ReminderKey, reminder_key};

pub(super) const NY: Tz = chrono_tz::America::New_York;

/// Local New York time.
pub(super) fn ny(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    NY.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

pub(super) fn date(y: i32, mo: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, mo, d).unwrap()
}

/// Wednesday 25 November 2026, 09:30 in New York.
pub(super) fn now() -> DateTime<Utc> {
    ny(2026, 11, 25, 9, 30)
}

/// The four weeks before "now", Monday 26 October to Sunday 22 November.
pub(super) fn weeks() -> Period {
    Period::new(date(2026, 10, 26), date(2026, 11, 22)).unwrap()
}

pub(super) struct Fx {
    pub(super) period: Period,
    pub(super) now: DateTime<Utc>,
    pub(super) appointments: Vec<AppointmentFacts>,
    pub(super) reminders: Vec<ReminderCover>,
    pub(super) consent: HashMap<PatientId, Vec<ConsentEvent>>,
    pub(super) mobiles: HashSet<PatientId>,
    pub(super) opt_outs: Vec<DateTime<Utc>>,
    pub(super) names: Names,
}

impl Fx {
    pub(super) fn new(period: Period) -> Self {
        let names = Names {
            clinicians: [
                (ClinicianId(1), "Dr. Okafor".into()),
                (ClinicianId(2), "Dr. Reyes".into()),
            ]
            .into(),
            types: [(AppointmentTypeId(1), "Check-up".into())].into(),
        };
        Self {
            period,
            now: now(),
            appointments: Vec::new(),
            reminders: Vec::new(),
            consent: HashMap::new(),
            mobiles: HashSet::new(),
            opt_outs: Vec::new(),
            names,
        }
    }

    /// An appointment for its own patient (patient id = appointment id), booked ten days
    /// before, with Dr. Okafor; the patient has a mobile and opted in long ago.
    fn add(
        &mut self,
        id: i64,
        start: DateTime<Utc>,
        status: AppointmentStatus,
    ) -> &mut AppointmentFacts {
        let p = PatientId(id);
        self.mobiles.insert(p);
        self.consent.insert(
            p,
            vec![ConsentEvent {
                kind: ConsentKind::OptIn,
                method: ConsentMethod::WrittenForm,
                evidence: Some(format!("FORM-{id}")),
                recorded_by: "desk".into(),
                at: ny(2025, 1, 2, 9, 0),
            }],
        );
        self.appointments.push(AppointmentFacts {
            id: AppointmentId(id),
            patient_id: p,
            clinician_id: ClinicianId(1),
            type_id: AppointmentTypeId(1),
            start,
            status,
            booked_at: start - Duration::days(10),
            cancelled_at: None,
            confirmed_at: None,
        });
        self.appointments.last_mut().unwrap()
    }

    /// A reminder row for appointment `id` at `start`, `offset` hours before.
    pub(super) fn remind(
        &mut self,
        id: i64,
        start: DateTime<Utc>,
        offset: u32,
        status: MessageStatus,
    ) {
        let key = reminder_key(AppointmentId(id), start, offset);
        self.reminders.extend(ReminderCover::from_key(&key, status));
    }

    pub(super) fn run(&self) -> StatsReport {
        let mut patients: Vec<PatientId> = self.consent.keys().copied().collect();
        patients.sort_unstable();
        let mut consent = ConsentTimelines::default();
        for p in patients {
            consent.push(p, &self.consent[&p]);
        }
        let mobiles: PatientSet = self.mobiles.iter().copied().collect();
        compute(&StatsInput {
            period: self.period,
            tz: NY,
            now: self.now,
            rules: Rules {
                max_offset_hours: 48,
                min_lead_minutes: 120,
            },
            appointments: &self.appointments,
            reminders: &self.reminders,
            consent: &consent,
            mobiles: &mobiles,
            opt_outs: &self.opt_outs,
            names: &self.names,
        })
    }
}

/// One row of the hand-computed week: id, start, status, reminders (offset, status), confirmed.
pub(super) type HandRow<'a> = (
    i64,
    DateTime<Utc>,
    AppointmentStatus,
    &'a [(u32, MessageStatus)],
    bool,
);

/// A change to a fixture, for table tests.
pub(super) type Setup = Box<dyn Fn(&mut Fx)>;

pub(super) fn close(got: Option<f64>, want: f64) {
    let got = got.expect("a rate");
    assert!((got - want).abs() < 1e-12, "got {got}, want {want}");
}

mod definitions;
mod time;
