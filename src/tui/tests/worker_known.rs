//! The worker and what it keeps of every patient (`workflow::day::Known`): read in idle
//! steps once signed in, used for days not kept, their cells and the days loaded ahead, and
//! true after every change — the desk's own, another connection's, one committed between the
//! worker's check and its read.

use super::fixture::{self, today};
use super::worker::{answered, day_sheet, file_runner};
use crate::config::Config;
use crate::store;
use crate::tui::msg::{Cmd, Msg};
use crate::tui::worker::Runner;

/// `patient`'s rows on `sheet` (there are some).
fn rows_of(
    sheet: &crate::domain::day::DaySheet,
    patient: crate::domain::ids::PatientId,
) -> Vec<&crate::domain::day::DayRow> {
    let rows: Vec<_> = sheet
        .rows
        .iter()
        .filter(|r| r.patient_id == patient)
        .collect();
    assert!(!rows.is_empty(), "no row of {patient}");
    rows
}

/// A worker on a file, signed in, today shown, and every patient's line then record read in
/// two idle steps.
fn every_patient_kept() -> (tempfile::TempDir, Runner) {
    let (dir, mut r, _) = file_runner();
    day_sheet(&mut r, today());
    assert!(r.learn_patients(), "every patient's line kept");
    assert!(
        r.learn_patients(),
        "then their records, in a step of their own"
    );
    assert!(!r.learn_patients(), "then nothing to read");
    (dir, r)
}

/// Signed in and idle, the worker reads every patient's line once; a day not kept is read
/// with them, and they follow every change to a patient — the desk's own, another
/// connection's — and are read whole again after a change the log cannot narrow to anyone.
/// A day loaded ahead is read with the kept lines too: another desk's rename of a patient on
/// it drops that patient's line first, so the kept day shows the patient as they are now.
#[test]
fn a_day_loaded_ahead_with_the_kept_lines_shows_its_patients_as_they_are_now() {
    let (dir, mut r) = every_patient_kept();
    let tomorrow = today() + chrono::Duration::days(1);
    let other = store::Store::open(&dir.path().join("p.db")).unwrap();
    let tz = Config::default().practice.time_zone;
    let (from, to) = store::day::day_bounds(tomorrow, tz);
    let visits = store::appointments::starting_between(other.test_conn(), from, to).unwrap();
    let patient = visits.first().expect("a visit tomorrow").patient_id;
    other
        .test_conn()
        .execute(
            "UPDATE patients SET last_name = 'Ahead' WHERE id = ?1",
            [patient.0],
        )
        .unwrap();
    while r.load_ahead() {}
    let version = crate::workflow::day::data_version(&r.store).unwrap();
    let kept = r
        .days
        .get(tomorrow, version, fixture::now())
        .expect("tomorrow kept");
    let theirs = rows_of(kept, patient);
    for row in theirs {
        assert!(
            row.patient_name.starts_with("Ahead, "),
            "{}",
            row.patient_name
        );
    }
    assert!(!r.learn_patients(), "only the patient named was read again");
}

#[test]
fn a_day_not_kept_shows_its_patients_as_they_are_now_from_the_kept_lines() {
    use crate::domain::consent::{ConsentEvent, ConsentFlag, ConsentKind, ConsentMethod};
    use crate::domain::reply::ReplyKind;
    let (dir, mut r, _) = file_runner();
    let path = dir.path().join("p.db");
    assert!(!r.learn_patients(), "not before a day is shown");
    let first = day_sheet(&mut r, today());
    assert!(r.learn_patients(), "the lines read once signed in");
    assert!(
        r.learn_patients(),
        "then the records, in a step of their own"
    );
    assert!(!r.learn_patients(), "then kept");
    let mut not_out = first
        .rows
        .iter()
        .filter(|r| r.consent != ConsentFlag::OptedOut)
        .map(|r| r.patient_id);
    let patient = not_out.next().expect("a patient not opted out");
    let ours = not_out.find(|p| *p != patient).expect("a second one");
    // This desk records the second one's opt-out itself (its own commit does not move its
    // change counter: the lines are checked against the log all the same).
    let recorded = r.run(Cmd::RecordOptOut {
        patient: ours,
        method: ConsentMethod::Verbal,
    });
    let done = matches!(recorded, Some(Msg::PatientChanged { result: Ok(_), .. }));
    assert!(done, "{recorded:?}");
    r.days.drop_day(today());
    let sheet = day_sheet(&mut r, today());
    let theirs = sheet.rows.iter().filter(|r| r.patient_id == ours);
    assert!(theirs.clone().count() > 0);
    assert!(theirs.clone().all(|r| r.consent == ConsentFlag::OptedOut));
    // Another desk renames the patient and records their opt-out.
    let other = store::Store::open(&path).unwrap();
    let conn = other.test_conn();
    conn.execute(
        "UPDATE patients SET last_name = 'Renamed' WHERE id = ?1",
        [patient.0],
    )
    .unwrap();
    let stop = ConsentEvent {
        kind: ConsentKind::OptOut,
        method: ConsentMethod::Verbal,
        evidence: None,
        recorded_by: "desk".into(),
        at: fixture::now(),
    };
    store::consent::append(conn, patient, &stop).unwrap();
    // And a text from them that answers no visit in particular.
    let text = store::messages::NewInbound {
        patient: Some(patient),
        from: "+12015550134",
        to: "+15555550123",
        body: "can someone call me",
        provider: "twilio",
        provider_id: "SMlines1",
        at: fixture::now(),
    };
    let m = store::messages::insert_inbound(conn, &text)
        .unwrap()
        .unwrap();
    store::messages::classify_reply(conn, m, ReplyKind::Other, None).unwrap();
    r.days.drop_day(today());
    let again = day_sheet(&mut r, today());
    let theirs = rows_of(&again, patient);
    for row in theirs {
        assert!(
            row.patient_name.starts_with("Renamed, "),
            "{}",
            row.patient_name
        );
        assert_eq!(row.consent, ConsentFlag::OptedOut);
        assert_eq!(row.last_reply, Some(ReplyKind::Other));
    }
    let fresh = crate::workflow::day::load(&r.store, &r.config, today(), fixture::now()).unwrap();
    assert_eq!(again.rows, fresh.rows, "cells too");
    assert!(
        !r.learn_patients(),
        "only the patients named were read again"
    );
    // A clinician renamed: the log names every day, and the lines are read whole again.
    conn.execute(
        "UPDATE clinicians SET display_name = 'Dr X' WHERE id = 1",
        [],
    )
    .unwrap();
    day_sheet(&mut r, today());
    assert!(r.learn_patients(), "read whole again");
    assert!(r.learn_patients(), "the records too");
    assert!(!r.learn_patients());
}

/// Another desk opts a patient out between a day's sheet and its cells: the cells, read with
/// the patients kept, show it — the cells' own read brings the kept patients to its log head
/// (the worker checked them against the log only before the sheet).
#[test]
fn cells_read_just_after_another_desk_s_commit_show_it() {
    use crate::domain::consent::{ConsentEvent, ConsentKind, ConsentMethod};
    use crate::domain::reminder::{ReminderState, SkipReason};
    let (dir, mut r) = every_patient_kept();
    let tomorrow = today() + chrono::Duration::days(1);
    let sheet = answered(r.run(Cmd::LoadDay {
        generation: 2,
        date: tomorrow,
    }));
    assert!(sheet.cells_pending);
    let planned = |row: &crate::domain::day::DayRow| {
        row.reminders
            .iter()
            .any(|c| matches!(c.state, ReminderState::Planned { .. }))
    };
    let before = crate::workflow::day::load(&r.store, &r.config, tomorrow, fixture::now()).unwrap();
    let patient = before
        .rows
        .iter()
        .find(|row| planned(row))
        .expect("a reminder planned tomorrow")
        .patient_id;
    let other = store::Store::open(&dir.path().join("p.db")).unwrap();
    let stop = ConsentEvent {
        kind: ConsentKind::OptOut,
        method: ConsentMethod::Verbal,
        evidence: None,
        recorded_by: "another desk".into(),
        at: fixture::now(),
    };
    store::consent::append(other.test_conn(), patient, &stop).unwrap();
    let filled = answered(r.run(Cmd::LoadCells {
        generation: 2,
        date: tomorrow,
    }));
    let theirs = rows_of(&filled, patient);
    for row in theirs {
        assert!(!planned(row), "{:?}", row.reminders);
        let skipped = SkipReason::OptedOut;
        assert!(
            row.reminders
                .iter()
                .any(|c| c.state == ReminderState::Skipped(skipped.clone())),
            "{:?}",
            row.reminders
        );
    }
    // The cells as read from the rows now (the row's own flag is the sheet's, read before
    // the commit: the change log makes the console read the day again).
    let fresh = crate::workflow::day::load(&r.store, &r.config, tomorrow, fixture::now()).unwrap();
    let cells = |rows: &[crate::domain::day::DayRow]| -> Vec<_> {
        rows.iter().map(|row| row.reminders.clone()).collect()
    };
    assert_eq!(cells(&filled.rows), cells(&fresh.rows));
}
