//! A kept day's patch reads a patient's rows alone ([`read_patch`]); it is only right if a
//! patient's rows and cells depend on that patient's records alone. Checked on the demo
//! practice (400 patients, three weeks either side of "now": sent, delivered, failed and
//! queued reminders, forecasts, waits, replies, opt-outs), every patient of a week of days.

use std::collections::BTreeMap;

use chrono::{Duration, TimeZone};

use super::*;
use crate::domain::reminder::{Basis, ReminderState};
use crate::workflow::demo::{self, DemoSize};

fn now() -> DateTime<Utc> {
    chrono_tz::America::New_York
        .with_ymd_and_hms(2026, 11, 25, 9, 30, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// What the week's rows hold, so the comparison is known to cover what can differ.
#[derive(Default, Debug)]
struct Seen {
    patients: usize,
    recorded: usize,
    forecast: usize,
    waiting_or_skipped: usize,
    replies: usize,
    doubles: usize,
}

impl Seen {
    fn count(&mut self, rows: &[DayRow]) {
        self.patients += 1;
        self.doubles += usize::from(rows.len() > 1);
        for row in rows {
            self.replies += usize::from(row.last_reply.is_some());
            for c in &row.reminders {
                match (&c.basis, &c.state) {
                    (Basis::Recorded { .. }, _) => self.recorded += 1,
                    (
                        Basis::Forecast,
                        ReminderState::Waiting { .. } | ReminderState::Skipped(_),
                    ) => self.waiting_or_skipped += 1,
                    (Basis::Forecast, _) => self.forecast += 1,
                }
            }
        }
    }
}

#[test]
fn a_patient_s_rows_are_read_alike_alone_or_with_the_day() {
    let mut store = Store::open_in_memory().unwrap();
    let config = Config::demo();
    demo::seed(&mut store, &config, 7, DemoSize::default(), now()).unwrap();
    let today = now().with_timezone(&config.practice.time_zone).date_naive();
    let mut seen = Seen::default();
    for offset in -3..=3 {
        let date = today + Duration::days(offset);
        let whole = load(&store, &config, date, now()).unwrap();
        let mut by_patient: BTreeMap<PatientId, Vec<DayRow>> = BTreeMap::new();
        for row in whole.rows {
            by_patient.entry(row.patient_id).or_default().push(row);
        }
        for (patient, rows) in by_patient {
            let patch = Patch {
                date,
                patients: vec![patient],
            };
            let mut alone = read_patch(&store, &config, &patch, now()).unwrap();
            alone.sort_by_key(|r| (r.start, r.clinician.clone(), r.appointment_id));
            assert_eq!(alone, rows, "{date}, patient {patient}");
            seen.count(&rows);
        }
    }
    assert!(
        seen.patients > 200
            && seen.recorded > 100
            && seen.forecast > 100
            && seen.waiting_or_skipped > 0
            && seen.replies > 0
            && seen.doubles > 0,
        "{seen:?}"
    );
}

/// A patient with no visit that day (moved away since) reads as no rows, and the patch
/// takes theirs out.
#[test]
fn a_patient_gone_from_the_day_reads_as_no_rows() {
    let mut store = Store::open_in_memory().unwrap();
    let config = Config::demo();
    demo::seed(&mut store, &config, 7, DemoSize::default(), now()).unwrap();
    let today = now().with_timezone(&config.practice.time_zone).date_naive();
    let whole = load(&store, &config, today, now()).unwrap();
    let on_the_day: std::collections::HashSet<PatientId> =
        whole.rows.iter().map(|r| r.patient_id).collect();
    let elsewhere = (1..)
        .map(PatientId)
        .find(|p| !on_the_day.contains(p))
        .unwrap();
    let patch = Patch {
        date: today,
        patients: vec![elsewhere],
    };
    assert_eq!(
        read_patch(&store, &config, &patch, now()).unwrap(),
        Vec::new()
    );
}
