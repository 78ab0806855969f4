//! What the day view's cells need of the patients: facts only for visits still to come
//! ([`plannable`]), and outbound history only for the patients
//! [`reminder_cells_before_history`] names. Both are checked against the cells planned with
//! every fact, on generated days.

use super::*;
use crate::domain::consent::ConsentMethod;
use proptest::prelude::*;

/// Where the generated days stand: Wednesday 2026-11-25 at 8 a.m. in New York, so visits from
/// two days back to four ahead cross quiet hours, both offsets and the lead.
fn now() -> DateTime<Utc> {
    ny(11, 25, 8, 0)
}

#[derive(Clone, Debug)]
struct Day {
    rules: ReminderRules,
    patients: Vec<PatientFacts>,
    appointments: Vec<Appointment>,
    messages: Vec<ReminderMessage>,
}

fn facts_of(
    id: i64,
    (la, consent, mobile): (bool, u8, bool),
    sends: &[(i64, bool)],
) -> PatientFacts {
    let mut f = patient(id, if la { Los_Angeles } else { New_York });
    f.has_mobile = mobile;
    match consent {
        0 => f.consent = ConsentState::None,
        1 => {
            f.consent = ConsentState::OptedOut {
                since: now() - Duration::days(3),
                method: ConsentMethod::SmsKeyword,
            }
        }
        _ => {}
    }
    f.recent = sends
        .iter()
        .map(|&(minutes_ago, reminder)| RecentSend {
            at: now() - Duration::minutes(minutes_ago),
            kind: if reminder {
                MessageKind::Reminder24h
            } else {
                MessageKind::PortalNewMessage
            },
        })
        .collect();
    f.last_outbound = f.recent.iter().map(|r| r.at).max();
    f
}

const STATUSES: [MessageStatus; 5] = [
    MessageStatus::Delivered,
    MessageStatus::Queued,
    MessageStatus::Failed,
    MessageStatus::Blocked,
    MessageStatus::Withdrawn,
];

fn day() -> impl Strategy<Value = Day> {
    let patient = (
        (any::<bool>(), 0u8..4, prop::bool::weighted(0.9)),
        prop::collection::vec((0i64..8 * 24 * 60, any::<bool>()), 0..4),
    );
    // Visit: patient, start in minutes from now, open or closed; and per offset, a row or not.
    let visit = (
        0i64..4,
        -2 * 24 * 60i64..4 * 24 * 60,
        prop::bool::weighted(0.85),
        prop::collection::vec(prop::option::weighted(0.3, 0usize..STATUSES.len()), 2),
    );
    (
        prop::collection::vec(patient, 4),
        prop::collection::vec(visit, 1..12),
        1u32..3,
        2u32..5,
    )
        .prop_map(|(patients, visits, per_day, per_week)| {
            let patients = patients
                .iter()
                .enumerate()
                .map(|(i, (p, sends))| facts_of(i as i64, *p, sends))
                .collect();
            let mut appointments = Vec::new();
            let mut messages = Vec::new();
            for (i, (patient, minutes, open, rows)) in visits.into_iter().enumerate() {
                let mut a = appt(100 + i as i64, patient, now() + Duration::minutes(minutes));
                if !open {
                    a.status = AppointmentStatus::Cancelled;
                }
                for (offset, row) in [48, 24].into_iter().zip(rows) {
                    if let Some(s) = row {
                        messages.push(msg(&reminder_key(a.id, a.start, offset), STATUSES[s]));
                    }
                }
                appointments.push(a);
            }
            let rules = ReminderRules {
                max_per_day: per_day,
                max_per_week: per_week,
                ..ReminderRules::default()
            };
            Day {
                rules,
                patients,
                appointments,
                messages,
            }
        })
}

fn cells(day: &Day, patients: &[PatientFacts]) -> Vec<(AppointmentId, Vec<ReminderCell>)> {
    reminder_cells(
        &day.rules,
        now(),
        &PlanInput {
            patients,
            appointments: &day.appointments,
            messages: &day.messages,
            later: &[],
        },
    )
}

fn without_history(f: &PatientFacts) -> PatientFacts {
    PatientFacts {
        recent: Vec::new(),
        last_outbound: None,
        ..f.clone()
    }
}

proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 400,
        ..crate::testing::proptest_config("tests/proptest-regressions/domain/reminder/plan/tests/history.txt")
    })]

    /// The facts of patients with no visit still to come change no cell.
    #[test]
    fn only_visits_still_to_come_need_their_patients_facts(day in day()) {
        let to_come: Vec<PatientFacts> = day
            .patients
            .iter()
            .filter(|f| {
                day.appointments
                    .iter()
                    .any(|a| a.patient_id == f.id && plannable(a, now()))
            })
            .cloned()
            .collect();
        prop_assert_eq!(cells(&day, &to_come), cells(&day, &day.patients));
    }

    /// Cells planned without history are the cells; or the patients named, given their
    /// history, give the cells every history gives.
    #[test]
    fn the_cells_need_only_the_history_they_name(day in day()) {
        let bare: Vec<PatientFacts> = day.patients.iter().map(without_history).collect();
        let input = PlanInput {
            patients: &bare,
            appointments: &day.appointments,
            messages: &day.messages,
            later: &[],
        };
        let whole = cells(&day, &day.patients);
        match reminder_cells_before_history(&day.rules, now(), &input) {
            CellsBeforeHistory::Ready(c) => prop_assert_eq!(c, whole),
            CellsBeforeHistory::NeedHistory(named) => {
                let some: Vec<PatientFacts> = day
                    .patients
                    .iter()
                    .map(|f| if named.contains(&f.id) { f.clone() } else { without_history(f) })
                    .collect();
                prop_assert_eq!(cells(&day, &some), whole);
            }
        }
    }
}

/// A closed or passed visit says so whatever is known of its patient (nothing, here);
/// a visit to come of an unknown patient is not reminded on a guess.
#[test]
fn a_visit_that_cannot_be_reminded_says_why_without_its_patient() {
    let mut closed = appt(10, 1, thursday_10());
    closed.status = AppointmentStatus::NoShow;
    let passed = appt(11, 1, ny(11, 24, 10, 0));
    let to_come = appt(12, 1, thursday_10());
    let p = run(ny(11, 25, 12, 0), &[], &[closed, passed, to_come], &[]);
    let verdicts: Vec<Verdict> = p.lines.into_iter().map(|l| l.verdict).collect();
    assert_eq!(
        verdicts,
        [
            skip(SkipReason::NotOpen {
                status: "no-show".into()
            }),
            skip(SkipReason::Passed),
            skip(SkipReason::NoConsent),
        ]
    );
}

/// A reminder due now needs its patient's history (the caps); one not due yet, or held by
/// quiet hours, does not.
#[test]
fn history_is_named_only_for_a_reminder_due_now_outside_quiet_hours() {
    let rules = ReminderRules::default();
    let day = |now, start| {
        let patients = [patient(1, New_York)];
        let appointments = [appt(10, 1, start)];
        let input = PlanInput {
            patients: &patients,
            appointments: &appointments,
            messages: &[],
            later: &[],
        };
        reminder_cells_before_history(&rules, now, &input)
    };
    // The 48 h reminder of Thursday 10:00 is due at noon on Tuesday.
    assert_eq!(
        day(ny(11, 24, 12, 0), thursday_10()),
        CellsBeforeHistory::NeedHistory(vec![PatientId(1)])
    );
    assert!(matches!(
        day(ny(11, 23, 12, 0), thursday_10()),
        CellsBeforeHistory::Ready(_)
    ));
    // Thursday 23:00's is due at 23:00 on Tuesday, in quiet hours: held, whatever was sent.
    assert!(matches!(
        day(ny(11, 24, 23, 0), thursday_10() + Duration::hours(13)),
        CellsBeforeHistory::Ready(_)
    ));
}
