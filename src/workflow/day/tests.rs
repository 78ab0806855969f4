//! A kept day's patch reads a patient's rows alone ([`read_patch`]); it is only right if a
//! patient's rows and cells depend on that patient's records alone. Checked on the demo
//! practice (400 patients, three weeks either side of "now": sent, delivered, failed and
//! queued reminders, forecasts, waits, replies, opt-outs), every patient of a week of days.

use std::collections::BTreeMap;

use chrono::{Duration, TimeZone};

use super::*;
use crate::domain::reminder::{Basis, ReminderState};
use crate::workflow::demo::{self, DemoSize};

/// The demo practice (seed 7) at [`now`], in memory.
fn demo_store() -> (Store, Config) {
    let mut store = Store::open_in_memory().unwrap();
    let config = Config::demo();
    demo::seed(&mut store, &config, 7, DemoSize::default(), now()).unwrap();
    (store, config)
}

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
    let (store, config) = demo_store();
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
    let (store, config) = demo_store();
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
    let (store, config) = demo_store();
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

/// The patients of visits still to come on the demo fortnight around `at`, in order.
fn to_come(store: &Store, config: &Config, at: DateTime<Utc>) -> Vec<PatientId> {
    let tz = config.practice.time_zone;
    let today = at.with_timezone(&tz).date_naive();
    let (from, _) = store::day::day_bounds(today, tz);
    let (_, to) = store::day::day_bounds(today + Duration::days(7), tz);
    let visits = store::appointments::starting_between(store.test_conn(), from, to).unwrap();
    let mut patients: Vec<PatientId> = visits
        .iter()
        .filter(|a| reminder::plannable(a, at))
        .map(|a| a.patient_id)
        .collect();
    patients.sort();
    patients.dedup();
    patients
}

/// Every row of the fortnight around `at`, read with `known` and read from the rows, equal.
fn fortnight_alike(store: &Store, config: &Config, at: DateTime<Utc>, known: &mut Known) {
    let today = at.with_timezone(&config.practice.time_zone).date_naive();
    for offset in -7..=7 {
        let date = today + Duration::days(offset);
        let (kept, _) = load_marked(store, config, date, at, Some(known)).unwrap();
        assert_eq!(
            kept.rows,
            load(store, config, date, at).unwrap().rows,
            "{date}"
        );
    }
}

/// The sheet and cells a console reads with every patient kept (`Known`) are those read from
/// the rows, over the demo fortnight: before the records are read whole, after, and after one
/// patient of a visit to come opted out and another's zone was edited by hand into one
/// frontdesk cannot read — with nothing checking the kept patients against the log in
/// between (another desk may commit between the worker's check and its read): each read
/// brings them to its own log head first.
#[test]
fn the_day_read_with_every_patient_kept_is_the_day_read_from_the_rows() {
    use crate::domain::consent::{ConsentEvent, ConsentKind, ConsentMethod};
    let (store, config) = demo_store();
    let at = now() + Duration::hours(3);
    // Read a share at a time; the lines read whole, the records not yet: the cells read and
    // keep those they need.
    let mut known = Known::default();
    learn_step(&store, &config, &mut known, 150).unwrap();
    assert_eq!(known.next_read(), Reading::LinesAfter(PatientId(150)));
    // Another desk renames a patient of the first share, of a visit to come, before the next.
    let renamed = to_come(&store, &config, at)
        .into_iter()
        .find(|p| p.0 <= 150)
        .unwrap();
    store
        .test_conn()
        .execute(
            "UPDATE patients SET last_name = 'Between' WHERE id = ?1",
            [renamed.0],
        )
        .unwrap();
    while !known.is_whole() {
        learn_step(&store, &config, &mut known, 150).unwrap();
    }
    fortnight_alike(&store, &config, at, &mut known);
    assert!(!known.records().is_empty() && known.records().len() < known.len());
    while learn_step(&store, &config, &mut known, 150)
        .unwrap()
        .is_some()
    {}
    assert!(known.records_whole());
    assert_eq!(known.records().len(), known.len());
    fortnight_alike(&store, &config, at, &mut known);
    let patients = to_come(&store, &config, at);
    let (stopping, on_mars) = (patients[0], patients[1]);
    let before = cells_of(&store, &config, stopping, at);
    let conn = store.test_conn();
    let stop = ConsentEvent {
        kind: ConsentKind::OptOut,
        method: ConsentMethod::Verbal,
        evidence: None,
        recorded_by: "another desk".into(),
        at: at - Duration::minutes(1),
    };
    store::consent::append(conn, stopping, &stop).unwrap();
    conn.execute(
        "UPDATE patients SET time_zone = 'Mars/Olympus' WHERE id = ?1",
        [on_mars.0],
    )
    .unwrap();
    assert_ne!(
        cells_of(&store, &config, stopping, at),
        before,
        "the opt-out shows in the cells read from the rows"
    );
    fortnight_alike(&store, &config, at, &mut known);
    assert!(
        matches!(known.records().get(&on_mars), Some(Err(_))),
        "read again, unreadable, and kept so"
    );
}

/// One patient's cells on the fortnight around `at`, read from the rows.
fn cells_of(
    store: &Store,
    config: &Config,
    patient: PatientId,
    at: DateTime<Utc>,
) -> Vec<Vec<ReminderCell>> {
    let today = at.with_timezone(&config.practice.time_zone).date_naive();
    (0..=7)
        .flat_map(|d| {
            load(store, config, today + Duration::days(d), at)
                .unwrap()
                .rows
        })
        .filter(|r| r.patient_id == patient)
        .map(|r| r.reminders)
        .collect()
}

/// The cells take a kept patient's record as it is kept: a record doctored in memory (opted
/// out, where the row says otherwise) shows in that patient's cells, and in no one else's.
#[test]
fn the_cells_take_each_patient_s_record_from_what_is_kept() {
    use crate::domain::consent::{ConsentMethod, ConsentState};
    use crate::domain::reminder::RecordFacts;
    let (store, config) = demo_store();
    let at = now() + Duration::hours(3);
    let conn = store.test_conn();
    let planned = |cells: &[ReminderCell]| {
        cells
            .iter()
            .any(|c| matches!(c.state, ReminderState::Planned { .. }))
    };
    let doctored = to_come(&store, &config, at)
        .into_iter()
        .find(|p| cells_of(&store, &config, *p, at).iter().any(|c| planned(c)))
        .expect("a patient of a visit to come with a text planned");
    let patient = store::patients::get(conn, doctored).unwrap();
    let out = ConsentState::OptedOut {
        since: at - Duration::days(1),
        method: ConsentMethod::Verbal,
    };
    let mut known = read_known(&store, &config).unwrap();
    let record = RecordFacts::new(&patient, config.practice.time_zone, out);
    known.records().insert(doctored, Ok(record));
    let today = at.with_timezone(&config.practice.time_zone).date_naive();
    let mut seen = 0;
    for d in 0..=7 {
        let date = today + Duration::days(d);
        let (kept, _) = load_marked(&store, &config, date, at, Some(&mut known)).unwrap();
        let fresh = load(&store, &config, date, at).unwrap();
        for (k, f) in kept.rows.iter().zip(&fresh.rows) {
            if k.patient_id == doctored && planned(&f.reminders) {
                seen += 1;
                assert!(!planned(&k.reminders), "{date}: the kept record read");
            } else {
                assert_eq!(k, f, "{date}");
            }
        }
    }
    assert!(seen > 0);
}
