//! What was decided is what is shown (issue 9 item 7): `remind` records why a due reminder
//! did not go out, and the day view and the patient screen read that record — not a reason
//! recomputed later. In-process through `workflow::remind::run`, `workflow::day::load` and
//! `workflow::desk_patient::load`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fake_twilio;
mod support;

use chrono::{DateTime, Utc};
use fake_twilio::FakeTwilio;
use frontdesk::config::Config;
use frontdesk::domain::appointment::AppointmentStatus;
use frontdesk::domain::ids::AppointmentId;
use frontdesk::domain::message::MessageKind;
use frontdesk::domain::reminder::{Basis, ReminderCell, ReminderState, SkipReason};
use frontdesk::domain::report::LineAction;
use frontdesk::domain::staff::Actor;
use frontdesk::store;
use frontdesk::workflow::{day, desk, desk_patient};
use support::*;

/// The reminder cells the day view shows for `a` (on Friday Nov 27) at `now`.
fn cells(p: &Practice, config: &Config, a: AppointmentId, now: DateTime<Utc>) -> Vec<ReminderCell> {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    let sheet = day::load(&p.store, config, date, now).unwrap();
    sheet
        .rows
        .into_iter()
        .find(|r| r.appointment_id == a)
        .expect("the appointment is on the day")
        .reminders
}

fn state(cells: &[ReminderCell], offset: u32) -> (ReminderState, Basis) {
    let c = cells.iter().find(|c| c.offset_hours == offset).unwrap();
    (c.state.clone(), c.basis)
}

fn decisions(p: &Practice) -> i64 {
    p.sql()
        .query_row("SELECT COUNT(*) FROM reminder_decisions", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn skipped_for_no_consent_then_marked_arrived_still_says_no_consent() {
    let fake = FakeTwilio::start_at(ny(25, 10, 0));
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::None);
    let visit = p.book(ada, ny(27, 10, 0));
    let d = dispatcher(fake.provider());

    // Before anything is due the cells are forecasts, and say so.
    let before = cells(&p, &config, visit, ny(24, 9, 0));
    assert_eq!(
        state(&before, 48),
        (
            ReminderState::Skipped(SkipReason::NoConsent),
            Basis::Forecast
        )
    );

    // The 48-hour moment: remind decides, and the decision is recorded once.
    let at48 = ny(25, 10, 0);
    run_remind(&d, &mut p.store, &config, at48, false);
    run_remind(
        &d,
        &mut p.store,
        &config,
        at48 + chrono::Duration::minutes(15),
        false,
    );
    assert_eq!(decisions(&p), 1, "a rerun deciding the same writes nothing");
    let decided = (
        ReminderState::Skipped(SkipReason::NoConsent),
        Basis::Recorded { at: Some(at48) },
    );
    assert_eq!(state(&cells(&p, &config, visit, at48), 48), decided);

    // The 24-hour moment, then the patient arrives.
    let at24 = ny(26, 10, 0);
    run_remind(&d, &mut p.store, &config, at24, false);
    let start = ny(27, 10, 0);
    desk::set_status(
        &mut p.store,
        &config,
        visit,
        AppointmentStatus::Arrived,
        &Actor::System,
        start,
    )
    .unwrap();
    let after = cells(&p, &config, visit, start + chrono::Duration::minutes(5));
    assert_eq!(
        state(&after, 48),
        decided,
        "the issue: not 'skipped: arrived'"
    );
    assert_eq!(
        state(&after, 24),
        (
            ReminderState::Skipped(SkipReason::NoConsent),
            Basis::Recorded { at: Some(at24) }
        )
    );
    assert!(
        p.messages().is_empty(),
        "nothing was texted to a patient without consent"
    );

    // The patient screen tells the same story for the visit that has begun.
    let file =
        desk_patient::load(&p.store, &config, ada, start + chrono::Duration::minutes(5)).unwrap();
    let on_file = &file.appointments[0].reminders;
    assert_eq!(state(on_file, 48), decided);
}

#[test]
fn a_changed_decision_replaces_the_record_and_is_audited_with_the_one_before() {
    let fake = FakeTwilio::start_at(ny(25, 10, 0));
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ben = p.patient("Ben", Some(&mobile(135)), Consent::None);
    let visit = p.book(ben, ny(27, 10, 0));
    let d = dispatcher(fake.provider());
    run_remind(&d, &mut p.store, &config, ny(25, 10, 0), false);
    // Ben opts in and then out again within the hour; the next run still holds the 48 h.
    p.opt_in(ben, ny(25, 10, 20));
    p.opt_out(ben, ny(25, 10, 25));
    let rerun = ny(25, 10, 30);
    run_remind(&d, &mut p.store, &config, rerun, false);
    assert_eq!(decisions(&p), 1, "one row per reminder");
    assert_eq!(
        state(&cells(&p, &config, visit, rerun), 48),
        (
            ReminderState::Skipped(SkipReason::OptedOut),
            Basis::Recorded { at: Some(rerun) }
        )
    );
    let audit = p.audit_actions(&format!("appointment:{visit}"));
    assert_eq!(
        audit
            .iter()
            .filter(|a| *a == "reminder.decision_changed")
            .count(),
        1,
        "{audit:?}"
    );
    let detail: String = p
        .sql()
        .query_row(
            "SELECT detail FROM audit WHERE action = 'reminder.decision_changed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        detail.contains("no_consent") && detail.contains("opted_out"),
        "{detail}"
    );
    assert!(!detail.contains("Ben"), "ids only: {detail}");

    // A decision edited outside frontdesk into something it cannot read is replaced by the
    // next run — and that is audited too, with `from` null: what it said is lost.
    p.sql()
        .execute(
            "UPDATE reminder_decisions SET reason = 'not json' WHERE appointment_id = ?1",
            [visit.0],
        )
        .unwrap();
    let third = ny(25, 10, 45);
    run_remind(&d, &mut p.store, &config, third, false);
    let details: Vec<String> = p
        .sql()
        .prepare("SELECT detail FROM audit WHERE action = 'reminder.decision_changed' ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(details.len(), 2, "{details:?}");
    assert!(details[1].contains(r#""from":null"#), "{}", details[1]);
    assert_eq!(decisions(&p), 1, "still one row per reminder");
}

#[test]
fn a_reminder_the_gate_blocks_is_blocked_not_skipped_with_the_finding_on_file() {
    let fake = FakeTwilio::start_at(ny(26, 10, 0));
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let cy = p.patient("Cy", Some(&mobile(136)), Consent::OptedIn);
    let visit = p.book(cy, ny(27, 10, 0));
    // A template edited straight in the database (as an old install might hold it) that
    // carries clinical detail: the gate refuses the rendered text.
    p.store
        .write(|tx| {
            store::templates::save(
                tx,
                MessageKind::Reminder24h,
                "{practice_name}: {first_name}, bring your metformin on {date} at {time}. \
                 {practice_phone} {opt_out}",
                "test",
                ny(1, 9, 0),
            )
        })
        .unwrap();
    let d = dispatcher(fake.provider());
    let now = ny(26, 10, 0);
    let (report, _) = run_remind(&d, &mut p.store, &config, now, false);
    assert!(
        report.lines.iter().any(|l| l.action == LineAction::Blocked),
        "{report:#?}"
    );
    assert!(fake.created().is_empty(), "nothing reached the provider");
    let (got, basis) = state(&cells(&p, &config, visit, now), 24);
    let ReminderState::Blocked { finding: Some(f) } = got else {
        panic!("blocked with its finding, got {got:?}")
    };
    assert_eq!(f.category, "medication");
    assert!(
        !f.explanation.contains("metformin"),
        "never the words: {f:?}"
    );
    assert_eq!(basis, Basis::Recorded { at: None });
    let stored: String = p
        .sql()
        .query_row(
            "SELECT outcome || ' ' || finding_category || ' ' || finding_explanation
               FROM reminder_decisions",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!stored.to_lowercase().contains("metformin"), "{stored}");
    let file = desk_patient::load(&p.store, &config, cy, now).unwrap();
    assert!(matches!(
        state(&file.appointments[0].reminders, 24).0,
        ReminderState::Blocked { finding: Some(_) }
    ));
    // A rerun decides nothing new.
    run_remind(
        &d,
        &mut p.store,
        &config,
        now + chrono::Duration::minutes(15),
        false,
    );
    assert_eq!(decisions(&p), 1);
}

#[test]
fn a_dry_run_records_nothing() {
    let fake = FakeTwilio::start_at(ny(25, 10, 0));
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let di = p.patient("Di", Some(&mobile(137)), Consent::None);
    p.book(di, ny(27, 10, 0));
    let d = dispatcher(fake.provider());
    run_remind(&d, &mut p.store, &config, ny(25, 10, 0), true);
    assert_eq!(decisions(&p), 0, "a preview is not a decision");
}
