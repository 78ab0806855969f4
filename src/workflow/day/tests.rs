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

/// The cells as they were read before they read lean: every visit's patient with their
/// whole history, planned, then the recorded decisions merged; and whether the history
/// changed a cell.
fn cells_with_every_fact(
    store: &Store,
    config: &Config,
    date: NaiveDate,
    at: DateTime<Utc>,
) -> (HashMap<AppointmentId, Vec<ReminderCell>>, bool) {
    let conn = store.test_conn();
    let (from, to) = store::day::day_bounds(date, config.practice.time_zone);
    let visits = store::appointments::starting_between(conn, from, to).unwrap();
    let patients: Vec<PatientId> = visits.iter().map(|a| a.patient_id).collect();
    let loaded = facts::load(conn, config, &patients, at, None).unwrap();
    let whole: Vec<PatientFacts> = loaded.values().map(|l| l.facts.clone()).collect();
    let messages = facts::reminder_rows(conn, &visits).unwrap();
    let input = cells_input(&whole, &visits, &messages);
    let cells = reminder::reminder_cells(&config.reminders, at, &input);
    // Whether the history changed some cell that day.
    let bare: Vec<PatientFacts> = whole
        .iter()
        .map(|f| PatientFacts {
            recent: Vec::new(),
            last_outbound: None,
            ..f.clone()
        })
        .collect();
    let input = cells_input(&bare, &visits, &messages);
    let turned = reminder::reminder_cells(&config.reminders, at, &input) != cells;
    let ids: Vec<AppointmentId> = visits.iter().map(|a| a.id).collect();
    let decisions = store::reminder_decisions::for_appointments(conn, &ids).unwrap();
    let starts: HashMap<AppointmentId, DateTime<Utc>> =
        visits.iter().map(|a| (a.id, a.start)).collect();
    let merged = cells
        .into_iter()
        .map(|(id, c)| (id, reminder::merge_recorded(c, id, starts[&id], &decisions)))
        .collect();
    (merged, turned)
}

/// The cells read lean — no patient for a visit past or closed, history only for the
/// patients whose cells turn on it — are the cells read with every fact, over a fortnight of
/// the demo either side of now: past days, days with reminders due, days to come. And the
/// fortnight covers a day whose cells turn on history.
#[test]
fn the_cells_read_lean_are_the_cells_read_with_every_fact() {
    let mut store = Store::open_in_memory().unwrap();
    let config = Config::demo();
    demo::seed(&mut store, &config, 7, DemoSize::default(), now()).unwrap();
    // Read on the Saturday afternoon after the demo's last reminder run: Monday's 48 h
    // reminders are due.
    let at = now() + Duration::hours(78);
    // And every patient with a visit on the fortnight was sent a portal prompt two hours
    // before: the caps (one a day) hold those reminders, so their cells turn on history.
    let today = now().with_timezone(&config.practice.time_zone).date_naive();
    let (from, _) = store::day::day_bounds(today - Duration::days(7), config.practice.time_zone);
    let (_, to) = store::day::day_bounds(today + Duration::days(7), config.practice.time_zone);
    let conn = store.test_conn();
    let mut patients: Vec<PatientId> = store::appointments::starting_between(conn, from, to)
        .unwrap()
        .iter()
        .map(|a| a.patient_id)
        .collect();
    patients.sort();
    patients.dedup();
    for p in patients {
        let key = format!("test-prompt:{p}");
        let prompt = store::messages::NewOutbound {
            kind: crate::domain::message::MessageKind::PortalNewMessage,
            patient_id: Some(p),
            appointment_id: None,
            idempotency_key: &key,
            to: "+15555550100",
            body: "You have a new message in the patient portal.",
            encoding: "GSM-7",
            segments: 1,
            status: crate::domain::message::MessageStatus::Sent,
            provider: "outbox",
            findings: None,
            created_by: "desk",
            now: at - Duration::hours(2),
            not_before: None,
            send_by: None,
        };
        store::messages::insert_outbound(conn, &prompt).unwrap();
    }
    let mut turned_on_history = false;
    for offset in -7..=7 {
        let date = today + Duration::days(offset);
        let sheet = load(&store, &config, date, at).unwrap();
        let (expected, turned) = cells_with_every_fact(&store, &config, date, at);
        turned_on_history |= turned;
        assert_eq!(sheet.rows.len(), expected.len(), "{date}");
        for row in &sheet.rows {
            assert_eq!(row.reminders, expected[&row.appointment_id], "{date}");
        }
    }
    assert!(
        turned_on_history,
        "no cell of the fortnight turned on history"
    );
}
