//! `frontdesk remind` proven against the stateful fake Twilio (issue 4, items 4–5 and "Done
//! when"): in-process through `workflow::remind::run`, and as a user runs the binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fake_twilio;
mod remind_support;

use fake_twilio::FakeTwilio;
use frontdesk::domain::message::{MessageKind, MessageStatus};
use remind_support::*;

/// Wed 25 Nov 2026, 09:30 in New York.
fn now() -> chrono::DateTime<chrono::Utc> {
    ny(25, 9, 30)
}

#[test]
fn a_due_reminder_goes_once_naming_the_practice_and_stop_and_a_second_run_sends_nothing() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let appt = p.book(ada, ny(26, 9, 0));
    let d = dispatcher(fake.provider());

    let (first, _) = run_remind(&d, &mut p.store, &config, now(), false);
    assert_eq!(
        (first.recorded, first.sent, first.failed),
        (1, 1, 0),
        "{first:#?}"
    );
    let created = fake.created();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].to, mobile(134));
    let body = &created[0].body;
    assert_eq!(
        body,
        &format!(
            "{PRACTICE}: Ada, see you Thu Nov 26 at 9:00 AM with {CLINICIAN}. \
             Reply C to confirm, R to reschedule. {PRACTICE_PHONE} {STOP}"
        )
    );
    let rows = p.outbound_of(ada);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].kind, MessageKind::Reminder24h);
    assert_eq!(rows[0].appointment_id, Some(appt));
    assert_eq!(
        rows[0].provider_id.as_deref(),
        Some(created[0].sid.as_str())
    );
    assert_eq!(rows[0].status, MessageStatus::Queued, "queued at Twilio");

    for later in [now(), now() + chrono::Duration::hours(2)] {
        let (again, _) = run_remind(&d, &mut p.store, &config, later, false);
        assert_eq!(
            (again.recorded, again.sent, again.outbox_sent),
            (0, 0, 0),
            "{again:#?}"
        );
    }
    assert_eq!(fake.create_count(&mobile(134), body), 1);
    assert!(fake.duplicates().is_empty());
    assert_eq!(p.outbound_of(ada).len(), 1);
}

// --- helpers -------------------------------------------------------------------------------

use chrono::{DateTime, Duration, Utc};
use fake_twilio::{Fault, Target};
use frontdesk::domain::appointment::AppointmentStatus;
use frontdesk::domain::consent::ConsentState;
use frontdesk::domain::ids::{AppointmentId, PatientId};
use frontdesk::provider::twilio::Twilio;
use frontdesk::store;
use frontdesk::workflow::remind::{RemindReport, ReportLine};

/// The report's line for an appointment.
fn line_for(r: &RemindReport, a: AppointmentId) -> &ReportLine {
    r.lines
        .iter()
        .find(|l| l.appointment_id == Some(a) && !l.waited)
        .unwrap_or_else(|| panic!("no line for appointment {a}: {:#?}", r.lines))
}

fn consent_of(p: &Practice, id: PatientId) -> ConsentState {
    ConsentState::from_events(&store::consent::events(&p.store, id).unwrap())
}

/// The 24-hour reminder body for a first name and a local start the templates write.
fn reminder_24h(first: &str, when: &str) -> String {
    format!(
        "{PRACTICE}: {first}, see you {when} with {CLINICIAN}. \
         Reply C to confirm, R to reschedule. {PRACTICE_PHONE} {STOP}"
    )
}

/// A base URL where nothing listens (a port bound, then released).
fn closed_port_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

fn offline_twilio(fake: &FakeTwilio) -> Twilio {
    let mut s = fake.settings();
    s.base_url = closed_port_url();
    Twilio::new(s).unwrap()
}

fn at_fake(fake: &FakeTwilio, now: DateTime<Utc>) -> &FakeTwilio {
    fake.set_now(now);
    fake
}

// --- workflow-level flows --------------------------------------------------------------------

#[test]
fn dry_run_sends_nothing_writes_no_rows_and_says_what_would_happen() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let bea = p.patient("Bea", Some(&mobile(135)), Consent::None);
    let a1 = p.book(ada, ny(26, 9, 0));
    let a2 = p.book(bea, ny(26, 9, 30));
    let d = dispatcher(fake.provider());

    let (r, events) = run_remind(&d, &mut p.store, &config, now(), true);
    assert!(r.dry_run);
    assert_eq!(line_for(&r, a1).action.as_str(), "send");
    assert_eq!(line_for(&r, a2).action.as_str(), "skip");
    assert_eq!(line_for(&r, a2).reason.as_deref(), Some("no consent"));
    assert_eq!((r.plan.texts, r.recorded, r.sent), (1, 0, 0));
    assert!(events.is_empty(), "{events:?}");
    assert_eq!(p.message_count(), 0);
    assert_eq!(fake.create_attempts(), 0);
    assert!(
        fake.requests().is_empty(),
        "a dry run does not talk to Twilio"
    );
}

#[test]
fn every_skip_reason_is_given_in_words() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let thu9 = ny(26, 9, 0);
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let bea = p.patient("Bea", Some(&mobile(135)), Consent::None);
    let cal = p.patient("Cal", Some(&mobile(136)), Consent::OptedOut);
    let dee = p.patient("Dee", None, Consent::OptedIn);
    let eve = p.patient("Eve", Some(&mobile(137)), Consent::OptedIn);
    p.store
        .write(|tx| store::patients::flag_number(tx, eve, "21211", ny(20, 9, 0)))
        .unwrap();
    let fay = p.patient("Fay", Some(&mobile(138)), Consent::OptedIn);
    let gus = p.patient("Gus", Some(&mobile(139)), Consent::OptedIn);
    let hal = p.patient("Hal", Some(&mobile(140)), Consent::OptedIn);
    let cases = [
        (p.book(ada, thu9), "send", None),
        (p.book(bea, thu9), "skip", Some("no consent")),
        (p.book(cal, thu9), "skip", Some("opted out")),
        (p.book(dee, thu9), "skip", Some("no mobile number")),
        (p.book(eve, thu9), "skip", Some("number flagged (21211)")),
        // Today 10:30: within two hours of its start.
        (
            p.book(fay, ny(25, 10, 30)),
            "skip",
            Some("too close to start"),
        ),
        (
            p.book_status(gus, thu9, AppointmentStatus::Cancelled),
            "skip",
            Some("cancelled"),
        ),
        // Arrived early for a 10:00 visit.
        (
            p.book_status(hal, ny(25, 10, 0), AppointmentStatus::Arrived),
            "skip",
            Some("arrived"),
        ),
    ];
    let d = dispatcher(fake.provider());
    for dry_run in [true, false] {
        let (r, _) = run_remind(&d, &mut p.store, &config, now(), dry_run);
        for (appt, action, reason) in &cases {
            let l = line_for(&r, *appt);
            // A dry run says what it would do; a real run what it did.
            let want = if !dry_run && *action == "send" {
                "sent"
            } else {
                action
            };
            assert_eq!(
                l.action.as_str(),
                want,
                "appointment {appt} (dry run {dry_run})"
            );
            assert_eq!(l.reason.as_deref(), *reason, "appointment {appt}");
        }
    }
    let created = fake.created();
    assert_eq!(created.len(), 1, "only Ada: {created:?}");
    assert_eq!(created[0].to, mobile(134));
    // The run's audit record lists every skip with its reason.
    let audit = store::audit::for_subject(&p.store, "reminders").unwrap();
    let run = audit.iter().rfind(|a| a.action == "remind.run").unwrap();
    for reason in [
        "no consent",
        "opted out",
        "no mobile number",
        "number flagged (21211)",
        "too close to start",
        "cancelled",
        "arrived",
    ] {
        assert!(run.detail.contains(reason), "{reason} in {}", run.detail);
    }
}

#[test]
fn nothing_goes_in_quiet_hours_and_the_reminder_goes_at_the_next_run_after_eight() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    // Thu 15:00: the 24-hour reminder was due Wed 15:00; from 20:00 it must wait for 08:00.
    let appt = p.book(ada, ny(26, 15, 0));
    let d = dispatcher(fake.provider());

    for late in [ny(25, 21, 30), ny(25, 23, 59), ny(26, 7, 59)] {
        at_fake(&fake, late);
        let (r, _) = run_remind(&d, &mut p.store, &config, late, false);
        let l = line_for(&r, appt);
        assert_eq!(l.action.as_str(), "skip", "at {late}");
        assert_eq!(
            l.reason.as_deref(),
            Some("quiet hours: goes Thu Nov 26 08:00 EST")
        );
        assert_eq!((r.recorded, r.sent), (0, 0));
    }
    assert_eq!(fake.create_attempts(), 0);
    assert_eq!(p.message_count(), 0);

    let eight = ny(26, 8, 0);
    at_fake(&fake, eight);
    let (r, _) = run_remind(&d, &mut p.store, &config, eight, false);
    assert_eq!(r.sent, 1, "{r:#?}");
    let (again, _) = run_remind(&d, &mut p.store, &config, ny(26, 8, 30), false);
    assert_eq!(again.sent + again.outbox_sent, 0);
    assert_eq!(
        fake.create_count(&mobile(134), &reminder_24h("Ada", "Thu Nov 26 at 3:00 PM")),
        1
    );
    assert_eq!(fake.created().len(), 1);
}

#[test]
fn a_text_left_waiting_does_not_go_in_quiet_hours_either() {
    // A 401 at 19:55 leaves the text queued; the credentials are fixed at 21:30, but the
    // waiting text must still wait for 08:00 (SPEC §5.5, §5.7).
    let fake = FakeTwilio::start_at(ny(25, 19, 55));
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    p.book(ada, ny(26, 15, 0));
    let d = dispatcher(fake.provider());
    fake.fail(Target::Create, Fault::Unauthorized, None);
    let (r, _) = run_remind(&d, &mut p.store, &config, ny(25, 19, 55), false);
    assert!(r.stopped.is_some());
    assert_eq!(p.outbound_of(ada)[0].status, MessageStatus::Queued);
    fake.clear_failures();

    let late = ny(25, 21, 30);
    at_fake(&fake, late);
    let attempts = fake.create_attempts();
    let (r, _) = run_remind(&d, &mut p.store, &config, late, false);
    assert_eq!(
        (r.sent, r.outbox_sent, r.outbox_waiting),
        (0, 0, 1),
        "{r:#?}"
    );
    assert_eq!(
        fake.create_attempts(),
        attempts,
        "nothing tried in quiet hours"
    );
    let row = &p.outbound_of(ada)[0];
    assert_eq!(row.status, MessageStatus::Queued);
    assert_eq!(row.not_before, Some(ny(26, 8, 0)));

    let eight = ny(26, 8, 0);
    at_fake(&fake, eight);
    let (r, _) = run_remind(&d, &mut p.store, &config, eight, false);
    assert_eq!(r.outbox_sent, 1, "{r:#?}");
    let (r, _) = run_remind(&d, &mut p.store, &config, ny(26, 9, 0), false);
    assert_eq!(r.outbox_sent + r.sent, 0);
    assert_eq!(fake.created().len(), 1);
    assert!(fake.duplicates().is_empty());
}

#[test]
fn two_429s_are_retried_within_the_run_and_the_text_is_created_once() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    p.book(ada, ny(26, 9, 0));
    fake.fail(
        Target::Create,
        Fault::RateLimited {
            retry_after_secs: 0,
        },
        Some(2),
    );
    let d = dispatcher(fake.provider());
    let (r, _) = run_remind(&d, &mut p.store, &config, now(), false);
    assert_eq!((r.sent, r.deferred, r.failed), (1, 0, 0), "{r:#?}");
    assert_eq!(fake.create_attempts(), 3);
    assert_eq!(
        fake.create_count(&mobile(134), &reminder_24h("Ada", "Thu Nov 26 at 9:00 AM")),
        1
    );
    let row = &p.outbound_of(ada)[0];
    assert_eq!(row.status, MessageStatus::Queued);
    assert!(row.provider_id.is_some());
}

#[test]
fn a_401_stops_the_run_leaves_every_row_for_the_next_run_which_sends_each_once() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let mut who = Vec::new();
    for (i, name) in ["Ada", "Bea", "Cal", "Dee", "Eve", "Fay"]
        .iter()
        .enumerate()
    {
        let id = p.patient(name, Some(&mobile(200 + i as u32)), Consent::OptedIn);
        p.book(id, ny(26, 8, 0) + Duration::minutes(10 * i as i64));
        who.push(id);
    }
    fake.fail(Target::Any, Fault::Unauthorized, None);
    let d = dispatcher(fake.provider());
    let (r, _) = run_remind(&d, &mut p.store, &config, now(), false);
    let reason = r.stopped.clone().expect("the run stops");
    assert!(reason.contains("check your Twilio credentials"), "{reason}");
    assert_eq!((r.recorded, r.sent, r.failed), (6, 0, 0));
    assert!(fake.created().is_empty());
    for id in &who {
        let rows = p.outbound_of(*id);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0].status,
            MessageStatus::Queued,
            "left for the next run"
        );
        assert!(rows[0].provider_id.is_none());
    }

    fake.clear_failures();
    let (r, _) = run_remind(
        &d,
        &mut p.store,
        &config,
        now() + Duration::minutes(10),
        false,
    );
    assert_eq!(
        (r.outbox_sent, r.recorded, r.stopped.clone()),
        (6, 0, None),
        "{r:#?}"
    );
    let (r, _) = run_remind(
        &d,
        &mut p.store,
        &config,
        now() + Duration::minutes(20),
        false,
    );
    assert_eq!(r.outbox_sent + r.sent, 0);
    assert_eq!(fake.created().len(), 6);
    assert!(fake.duplicates().is_empty());
    for (i, name) in ["Ada", "Bea", "Cal", "Dee", "Eve", "Fay"]
        .iter()
        .enumerate()
    {
        let when = format!("Thu Nov 26 at 8:{}0 AM", i);
        assert_eq!(
            fake.create_count(&mobile(200 + i as u32), &reminder_24h(name, &when)),
            1,
            "{name}"
        );
    }
}

#[test]
fn a_21610_records_the_opt_out_and_nothing_more_is_texted_to_that_patient() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let first = p.book(ada, ny(26, 9, 0));
    let later = p.book(ada, ny(28, 9, 0));
    fake.fail_number(&mobile(134), 21610);
    let d = dispatcher(fake.provider());

    let (r, _) = run_remind(&d, &mut p.store, &config, now(), false);
    assert_eq!((r.sent, r.failed), (0, 1));
    let rows = p.outbound_of(ada);
    assert_eq!(rows[0].status, MessageStatus::Failed);
    assert_eq!(rows[0].error_code.as_deref(), Some("21610"));
    assert!(matches!(consent_of(&p, ada), ConsentState::OptedOut { .. }));
    assert!(
        p.audit_actions(&format!("patient:{ada}"))
            .contains(&"consent.opt_out".to_string())
    );
    let _ = first;

    // Friday: the Saturday visit's reminder is due, but she has opted out.
    let fri = ny(27, 9, 30);
    at_fake(&fake, fri);
    let attempts = fake.create_attempts();
    let (r, _) = run_remind(&d, &mut p.store, &config, fri, false);
    let l = line_for(&r, later);
    assert_eq!(
        (l.action.as_str(), l.reason.as_deref()),
        ("skip", Some("opted out"))
    );
    assert_eq!(fake.create_attempts(), attempts, "not even tried");
    assert_eq!(p.outbound_of(ada).len(), 1);
}

#[test]
fn invalid_and_landline_numbers_are_flagged_and_not_texted_again() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let bea = p.patient("Bea", Some(&mobile(135)), Consent::OptedIn);
    p.book(ada, ny(26, 9, 0));
    p.book(bea, ny(26, 9, 30));
    let ada_sat = p.book(ada, ny(28, 9, 0));
    let bea_sat = p.book(bea, ny(28, 9, 30));
    fake.fail_number(&mobile(134), 21211);
    fake.fail_number(&mobile(135), 21614);
    let d = dispatcher(fake.provider());

    let (r, _) = run_remind(&d, &mut p.store, &config, now(), false);
    assert_eq!((r.sent, r.failed), (0, 2));
    for (id, code) in [(ada, "21211"), (bea, "21614")] {
        let patient = store::patients::get(&p.store, id).unwrap();
        assert_eq!(
            patient.number_problem.map(|n| n.code).as_deref(),
            Some(code)
        );
        let rows = p.outbound_of(id);
        assert_eq!(rows[0].status, MessageStatus::Failed);
        assert_eq!(rows[0].error_code.as_deref(), Some(code));
    }
    let attempts = fake.create_attempts();
    let fri = ny(27, 9, 30);
    at_fake(&fake, fri);
    let (r, _) = run_remind(&d, &mut p.store, &config, fri, false);
    for (appt, code) in [(ada_sat, "21211"), (bea_sat, "21614")] {
        let l = line_for(&r, appt);
        assert_eq!(l.action.as_str(), "skip");
        assert_eq!(
            l.reason.clone().unwrap(),
            format!("number flagged ({code})")
        );
    }
    assert_eq!(fake.create_attempts(), attempts);
    assert!(fake.created().is_empty());
}

#[test]
fn an_opt_out_between_two_runs_stops_the_later_reminder_and_any_text_still_waiting() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let bea = p.patient("Bea", Some(&mobile(135)), Consent::OptedIn);
    p.book(ada, ny(26, 9, 0));
    let ada_sat = p.book(ada, ny(28, 9, 0));
    p.book(bea, ny(26, 9, 30));
    // Bea's text meets a rate limit all run long: it is left queued.
    fake.fail(
        Target::CreateTo(mobile(135)),
        Fault::RateLimited {
            retry_after_secs: 0,
        },
        None,
    );
    let d = dispatcher(fake.provider());
    let (r, _) = run_remind(&d, &mut p.store, &config, now(), false);
    assert_eq!((r.sent, r.deferred), (1, 1), "{r:#?}");
    assert_eq!(p.outbound_of(bea)[0].status, MessageStatus::Queued);
    fake.clear_failures();

    // Both opt out by phone at noon.
    p.opt_out(ada, ny(25, 12, 0));
    p.opt_out(bea, ny(25, 12, 0));

    let (r, _) = run_remind(&d, &mut p.store, &config, ny(25, 12, 30), false);
    assert_eq!((r.outbox_sent, r.outbox_withdrawn), (0, 1), "{r:#?}");
    let bea_row = &p.outbound_of(bea)[0];
    assert_eq!(bea_row.status, MessageStatus::Withdrawn);
    let fri = ny(27, 9, 30);
    at_fake(&fake, fri);
    let (r, _) = run_remind(&d, &mut p.store, &config, fri, false);
    let l = line_for(&r, ada_sat);
    assert_eq!(
        (l.action.as_str(), l.reason.as_deref()),
        ("skip", Some("opted out"))
    );
    let created = fake.created();
    assert_eq!(created.len(), 1, "only Ada's first reminder: {created:?}");
    assert_eq!(created[0].to, mobile(134));
}

#[test]
fn a_same_day_double_booking_gets_one_text_with_both_times() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let morning = p.book(ada, ny(26, 9, 0));
    let afternoon = p.book(ada, ny(26, 14, 30));
    let d = dispatcher(fake.provider());
    let (r, _) = run_remind(&d, &mut p.store, &config, now(), false);
    assert_eq!((r.plan.texts, r.recorded, r.sent), (1, 1, 1), "{r:#?}");
    let (m, a) = (line_for(&r, morning), line_for(&r, afternoon));
    assert_eq!((m.action.as_str(), a.action.as_str()), ("sent", "sent"));
    assert_eq!(m.message_id, a.message_id);
    let created = fake.created();
    assert_eq!(created.len(), 1);
    assert_eq!(
        created[0].body,
        format!(
            "{PRACTICE}: Ada, 2 visits Thu Nov 26: 9:00 AM and 2:30 PM. \
             Reply C to confirm, R to reschedule. {PRACTICE_PHONE} {STOP}"
        )
    );
    let rows = p.outbound_of(ada);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].kind, MessageKind::SameDayDouble);
    let (r, _) = run_remind(&d, &mut p.store, &config, now() + Duration::hours(1), false);
    assert_eq!(r.sent + r.outbox_sent, 0);
    assert_eq!(fake.created().len(), 1);
}

#[test]
fn a_rescheduled_appointment_gets_fresh_reminders_for_its_new_time() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let appt = p.book(ada, ny(26, 9, 0));
    let d = dispatcher(fake.provider());
    let (r, _) = run_remind(&d, &mut p.store, &config, now(), false);
    assert_eq!(r.sent, 1);

    // Moved to Friday 11:00. There is no store function for a reschedule yet (imports and
    // the console will bring one); the row is changed as they would change it.
    let moved = ny(27, 11, 0);
    p.sql()
        .execute(
            "UPDATE appointments SET start_at = ?1 WHERE id = ?2",
            (moved.timestamp(), appt.0),
        )
        .unwrap();
    let thu = ny(26, 11, 0);
    at_fake(&fake, thu);
    let (r, _) = run_remind(&d, &mut p.store, &config, thu, false);
    assert_eq!((r.recorded, r.sent), (1, 1), "{r:#?}");
    assert_eq!(line_for(&r, appt).action.as_str(), "sent");
    let created = fake.created();
    assert_eq!(created.len(), 2);
    assert_eq!(
        created[0].body,
        reminder_24h("Ada", "Thu Nov 26 at 9:00 AM")
    );
    assert_eq!(
        created[1].body,
        reminder_24h("Ada", "Fri Nov 27 at 11:00 AM")
    );
    let keys: Vec<_> = p
        .outbound_of(ada)
        .into_iter()
        .map(|m| m.idempotency_key.unwrap())
        .collect();
    assert_eq!(keys.len(), 2);
    assert_ne!(keys[0], keys[1]);
    let (r, _) = run_remind(&d, &mut p.store, &config, thu + Duration::hours(1), false);
    assert_eq!(r.sent + r.outbox_sent, 0);
}

#[test]
fn with_the_network_down_rows_wait_with_a_clear_reason_and_a_later_run_delivers_each_once() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let bea = p.patient("Bea", Some(&mobile(135)), Consent::OptedIn);
    p.book(ada, ny(26, 9, 0));
    p.book(bea, ny(26, 9, 30));

    let down = dispatcher(offline_twilio(&fake));
    let (r, _) = run_remind(&down, &mut p.store, &config, now(), false);
    assert_eq!(r.sent, 0);
    assert_eq!(r.deferred + r.unknown, 2, "{r:#?}");
    for id in [ada, bea] {
        let row = &p.outbound_of(id)[0];
        assert!(
            matches!(row.status, MessageStatus::Queued | MessageStatus::Pending),
            "{row:?}"
        );
        let why = row.error_message.clone().unwrap_or_default();
        assert!(why.contains("cannot reach Twilio"), "{why}");
    }
    // A second run while still offline changes nothing and loses nothing.
    let (r, _) = run_remind(
        &down,
        &mut p.store,
        &config,
        now() + Duration::minutes(5),
        false,
    );
    assert_eq!(r.sent + r.outbox_sent, 0);

    let up = dispatcher(fake.provider());
    let (r, _) = run_remind(
        &up,
        &mut p.store,
        &config,
        now() + Duration::minutes(10),
        false,
    );
    assert_eq!(r.outbox_sent, 2, "{r:#?}");
    let (r, _) = run_remind(
        &up,
        &mut p.store,
        &config,
        now() + Duration::minutes(20),
        false,
    );
    assert_eq!(r.outbox_sent + r.sent, 0);
    assert_eq!(fake.created().len(), 2);
    assert!(fake.duplicates().is_empty());
    assert!(unsent(&p.messages()).is_empty());
}

#[test]
fn a_newly_added_opted_in_patient_gets_the_welcome_once() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient_added("Ada", Some(&mobile(134)), Consent::OptedIn, ny(24, 16, 0));
    let bea = p.patient_added("Bea", Some(&mobile(135)), Consent::None, ny(24, 16, 0));
    let _old = p.patient("Cal", Some(&mobile(136)), Consent::OptedIn);
    let d = dispatcher(fake.provider());
    let (r, _) = run_remind(&d, &mut p.store, &config, now(), false);
    assert_eq!((r.welcomes, r.sent), (1, 1), "{r:#?}");
    let created = fake.created();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].to, mobile(134));
    assert_eq!(
        created[0].body,
        format!(
            "Welcome to {PRACTICE}, Ada! Your patient portal: https://portal.example.org \
             Questions? {PRACTICE_PHONE} {STOP}"
        )
    );
    assert_eq!(p.outbound_of(ada)[0].kind, MessageKind::Welcome);
    assert!(p.outbound_of(bea).is_empty());
    for later in [now() + Duration::hours(1), ny(27, 10, 0)] {
        at_fake(&fake, later);
        let (r, _) = run_remind(&d, &mut p.store, &config, later, false);
        assert_eq!((r.welcomes, r.sent, r.outbox_sent), (0, 0, 0), "{r:#?}");
    }
    assert_eq!(fake.created().len(), 1);
}

// --- the binary, as a user runs it ------------------------------------------------------------

/// Counts send calls and passes them on.
struct Counting {
    inner: Twilio,
    sends: Arc<AtomicUsize>,
}

impl SmsProvider for Counting {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn send<'a>(&'a self, sms: &'a OutboundSms) -> ProviderFuture<'a, SendReceipt> {
        self.sends.fetch_add(1, Ordering::SeqCst);
        self.inner.send(sms)
    }
    fn fetch_status<'a>(&'a self, id: &'a str) -> ProviderFuture<'a, StatusUpdate> {
        self.inner.fetch_status(id)
    }
    fn poll<'a>(&'a self, cursor: &'a PollCursor) -> ProviderFuture<'a, PollPage> {
        self.inner.poll(cursor)
    }
    fn find_sent<'a>(&'a self, q: &'a SentQuery) -> ProviderFuture<'a, Vec<SentMessage>> {
        self.inner.find_sent(q)
    }
}

use frontdesk::provider::{
    OutboundSms, PollCursor, PollPage, ProviderFuture, SendReceipt, SentMessage, SentQuery,
    SmsProvider, StatusUpdate,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[test]
fn with_the_network_down_a_batch_gives_up_once_twilio_is_unreachable_instead_of_per_text() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    for i in 0..12 {
        let id = p.patient(&format!("P{i}"), Some(&mobile(300 + i)), Consent::OptedIn);
        p.book(id, ny(26, 8, 0) + Duration::minutes(5 * i64::from(i)));
    }
    let sends = Arc::new(AtomicUsize::new(0));
    let mut d = dispatcher(Counting {
        inner: offline_twilio(&fake),
        sends: sends.clone(),
    });
    d.concurrency = 2;
    let (r, _) = run_remind(&d, &mut p.store, &config, now(), false);
    assert_eq!((r.recorded, r.sent), (12, 0));
    assert_eq!(r.deferred + r.unknown, 12, "{r:#?}");
    // The texts being sent when the network proved down used their attempts; the others were
    // not tried one by one (4 attempts each would be 48 calls).
    let calls = sends.load(Ordering::SeqCst);
    assert!(calls <= 2 * 4, "{calls} send calls");
    assert!(unsent(&p.messages()).len() == 12);

    let up = dispatcher(fake.provider());
    let (r, _) = run_remind(
        &up,
        &mut p.store,
        &config,
        now() + Duration::minutes(10),
        false,
    );
    assert_eq!(r.outbox_sent, 12, "{r:#?}");
    assert_eq!(fake.created().len(), 12);
    assert!(fake.duplicates().is_empty());
}

// --- the binary, as a user runs it ------------------------------------------------------------

/// The summary line of one appointment (`  ACTION  KIND  appointment N[: reason]`).
fn summary_line(stdout: &str, a: AppointmentId) -> String {
    let tag = format!("appointment {a}");
    stdout
        .lines()
        .find(|l| l.contains(&format!("{tag} (")))
        .unwrap_or_else(|| panic!("no line for {tag} in\n{stdout}"))
        .trim()
        .to_string()
}

#[test]
fn binary_sends_each_due_reminder_once_with_practice_and_stop_and_a_second_run_sends_nothing() {
    let fake = FakeTwilio::start_at(now());
    let (toml, _) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let bea = p.patient("Bea", Some(&mobile(135)), Consent::OptedIn);
    p.book(ada, ny(26, 9, 0));
    p.book(bea, ny(26, 9, 15));
    let cfg = p.write_config(&toml);

    let out = remind_bin(&p, &cfg, now(), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("via twilio: sent 2, failed 0"), "{stdout}");
    assert_eq!(fake.created().len(), 2);
    for (to, first, time) in [(134, "Ada", "9:00"), (135, "Bea", "9:15")] {
        let body = reminder_24h(first, &format!("Thu Nov 26 at {time} AM"));
        assert!(body.starts_with(PRACTICE) && body.contains(PRACTICE_PHONE));
        assert!(body.ends_with("Reply STOP to opt out."));
        assert_eq!(fake.create_count(&mobile(to), &body), 1, "{first}");
    }
    let out = remind_bin(&p, &cfg, now() + Duration::minutes(15), &[]);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    assert!(stdout.contains("sent 0,"), "{stdout}");
    assert_eq!(fake.created().len(), 2);
    assert!(fake.duplicates().is_empty());
    assert!(
        p.outbound_of(ada)
            .iter()
            .chain(p.outbound_of(bea).iter())
            .all(|m| m.status == MessageStatus::Queued && m.provider_id.is_some())
    );
}

#[test]
fn binary_dry_run_lists_will_send_and_skip_lines_and_writes_nothing() {
    let fake = FakeTwilio::start_at(now());
    let (toml, _) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let bea = p.patient("Bea", Some(&mobile(135)), Consent::None);
    let cal = p.patient("Cal", Some(&mobile(136)), Consent::OptedOut);
    let a = p.book(ada, ny(26, 9, 0));
    let b = p.book(bea, ny(26, 9, 0));
    let c = p.book(cal, ny(26, 9, 0));
    let cfg = p.write_config(&toml);
    let out = remind_bin(&p, &cfg, now(), &["--dry-run"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("Reminders (dry run)"), "{stdout}");
    assert!(stdout.contains("would send 1,"), "{stdout}");
    assert!(
        summary_line(&stdout, a).starts_with("will send"),
        "{stdout}"
    );
    assert!(summary_line(&stdout, b).starts_with("skip"));
    assert!(summary_line(&stdout, b).ends_with(": no consent"));
    assert!(summary_line(&stdout, c).ends_with(": opted out"));
    assert_eq!(p.message_count(), 0);
    assert!(fake.requests().is_empty());
}

#[test]
fn binary_401_exits_1_with_check_your_credentials_and_the_fixed_run_sends_each_once() {
    let fake = FakeTwilio::start_at(now());
    let (toml, _) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let bea = p.patient("Bea", Some(&mobile(135)), Consent::OptedIn);
    p.book(ada, ny(26, 9, 0));
    p.book(bea, ny(26, 9, 15));
    let cfg = p.write_config(&toml);
    fake.fail(Target::Any, Fault::Unauthorized, None);

    let out = remind_bin(&p, &cfg, now(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("check your Twilio credentials"), "{stderr}");
    assert!(!stderr.contains("panicked"));
    assert!(fake.created().is_empty());
    assert_eq!(unsent(&p.messages()).len(), 2, "rows left for the next run");

    fake.clear_failures();
    let out = remind_bin(&p, &cfg, now() + Duration::minutes(5), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("from the outbox: sent 2"),
        "{}",
        text(&out.stdout)
    );
    let out = remind_bin(&p, &cfg, now() + Duration::minutes(10), &[]);
    assert!(out.status.success());
    assert_eq!(fake.created().len(), 2);
    assert!(fake.duplicates().is_empty());
    assert!(unsent(&p.messages()).is_empty());
}

#[test]
fn binary_429_twice_is_retried_within_the_run() {
    let fake = FakeTwilio::start_at(now());
    let (toml, _) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    p.book(ada, ny(26, 9, 0));
    let cfg = p.write_config(&toml);
    fake.fail(
        Target::Create,
        Fault::RateLimited {
            retry_after_secs: 1,
        },
        Some(2),
    );
    let out = remind_bin(&p, &cfg, now(), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("sent 1, failed 0, waiting 0"));
    assert_eq!(fake.create_attempts(), 3);
    assert_eq!(fake.created().len(), 1);
}

#[test]
fn binary_json_parses_and_carries_the_counts_and_lines() {
    let fake = FakeTwilio::start_at(now());
    let (toml, _) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let bea = p.patient("Bea", Some(&mobile(135)), Consent::None);
    let a = p.book(ada, ny(26, 9, 0));
    let b = p.book(bea, ny(26, 9, 0));
    let cfg = p.write_config(&toml);
    for (dry, args) in [
        (true, &["--dry-run", "--json"][..]),
        (false, &["--json"][..]),
    ] {
        let out = remind_bin(&p, &cfg, now(), args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["dry_run"], dry);
        assert_eq!(v["provider"], "twilio");
        assert_eq!(v["now"], "2026-11-25T14:30:00Z");
        assert_eq!(v["plan"]["texts"], 1);
        assert_eq!(v["plan"]["sending"], 1);
        assert_eq!(v["plan"]["skipped"], 1);
        assert_eq!(v["recorded"], if dry { 0 } else { 1 });
        assert_eq!(v["sent"], if dry { 0 } else { 1 });
        assert_eq!(v["failed"], 0);
        assert!(v["stopped"].is_null());
        let lines = v["lines"].as_array().unwrap();
        let of = |id: AppointmentId| {
            lines
                .iter()
                .find(|l| l["appointment_id"] == id.0)
                .unwrap()
                .clone()
        };
        assert_eq!(of(a)["action"], if dry { "send" } else { "sent" });
        assert_eq!(of(b)["action"], "skip");
        assert_eq!(of(b)["reason"], "no consent");
        if !dry {
            assert!(of(a)["message_id"].is_i64());
        }
    }
    assert_eq!(fake.created().len(), 1);
}

#[test]
fn binary_with_the_network_down_says_why_texts_wait_and_a_later_run_sends_each_once() {
    let fake = FakeTwilio::start_at(now());
    let (toml, _) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let bea = p.patient("Bea", Some(&mobile(135)), Consent::OptedIn);
    p.book(ada, ny(26, 9, 0));
    p.book(bea, ny(26, 9, 15));
    let down = p.write_config(&toml.replace(fake.base_url(), &closed_port_url()));
    for minutes in [0, 5] {
        let out = remind_bin(&p, &down, now() + Duration::minutes(minutes), &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(stdout.contains("sent 0, failed 0, waiting 2"), "{stdout}");
        assert!(stdout.contains("cannot reach Twilio"), "{stdout}");
        assert!(stdout.contains("check the internet connection"), "{stdout}");
        assert_eq!(unsent(&p.messages()).len(), 2);
    }
    let up = p.write_config(&toml);
    let out = remind_bin(&p, &up, now() + Duration::minutes(10), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("from the outbox: sent 2"));
    assert_eq!(fake.created().len(), 2);
    assert!(fake.duplicates().is_empty());
    assert!(unsent(&p.messages()).is_empty());
}

#[test]
fn a_lost_answer_stays_pending_until_twilio_can_be_asked_and_is_then_reconciled_not_resent() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    p.book(ada, ny(26, 9, 0));
    // Twilio creates the text but the answer is lost, and the lookups fail too.
    fake.fail(Target::Create, Fault::DropAfterCreate, Some(1));
    fake.fail(Target::List, Fault::Server(500), None);
    let d = dispatcher(fake.provider());
    let (r, _) = run_remind(&d, &mut p.store, &config, now(), false);
    assert_eq!((r.sent, r.unknown), (0, 1), "{r:#?}");
    assert!(r.waiting_reason.is_some());
    assert_eq!(p.outbound_of(ada)[0].status, MessageStatus::Pending);
    assert_eq!(fake.created().len(), 1, "it did reach Twilio");

    // Next run with the network down: still pending, and the report says why.
    let down = dispatcher(offline_twilio(&fake));
    let (r, _) = run_remind(
        &down,
        &mut p.store,
        &config,
        now() + Duration::minutes(5),
        false,
    );
    assert_eq!((r.outbox_sent, r.unknown), (0, 1), "{r:#?}");
    let why = r.waiting_reason.clone().unwrap_or_default();
    assert!(why.contains("could not be checked with twilio"), "{why}");
    assert_eq!(p.outbound_of(ada)[0].status, MessageStatus::Pending);

    // Back online: the lookup finds it, the row takes Twilio's id, nothing is sent again.
    fake.clear_failures();
    let (r, _) = run_remind(
        &d,
        &mut p.store,
        &config,
        now() + Duration::minutes(10),
        false,
    );
    assert_eq!((r.outbox_sent, r.unknown, r.deferred), (0, 0, 0), "{r:#?}");
    let row = &p.outbound_of(ada)[0];
    assert_eq!(row.status, MessageStatus::Queued);
    assert_eq!(
        row.provider_id.as_deref(),
        Some(fake.created()[0].sid.as_str())
    );
    assert_eq!(fake.created().len(), 1);
    assert!(fake.duplicates().is_empty());
}

#[test]
fn quiet_hours_and_times_follow_the_patients_own_zone() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let la = chrono_tz::America::Los_Angeles;
    let added = p.added;
    let ana = p.patient_in("Ana", Some(&mobile(134)), Consent::OptedIn, added, Some(la));
    // Thu 7:00 in Los Angeles = 10:00 in New York: the 24-hour reminder is due Wed 7:00 there.
    let start = ny(26, 10, 0);
    let appt = p.book(ana, start);
    let d = dispatcher(fake.provider());
    // 10:30 in New York is 7:30 in Los Angeles: too early for her.
    let (r, _) = run_remind(&d, &mut p.store, &config, ny(25, 10, 30), false);
    let l = line_for(&r, appt);
    assert_eq!(
        (l.action.as_str(), l.reason.as_deref()),
        ("skip", Some("quiet hours: goes Wed Nov 25 11:00 EST"))
    );
    assert!(fake.created().is_empty());
    // 11:00 in New York is 8:00 in Los Angeles.
    let (r, _) = run_remind(&d, &mut p.store, &config, ny(25, 11, 0), false);
    assert_eq!(r.sent, 1, "{r:#?}");
    assert_eq!(
        fake.created()[0].body,
        reminder_24h("Ana", "Thu Nov 26 at 7:00 AM")
    );
}

#[test]
fn a_text_waiting_for_the_old_time_is_withdrawn_and_the_new_time_gets_its_own() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let appt = p.book(ada, ny(26, 9, 0));
    fake.fail(Target::Create, Fault::Server(503), None);
    let d = dispatcher(fake.provider());
    let (r, _) = run_remind(&d, &mut p.store, &config, now(), false);
    assert_eq!(r.deferred, 1, "{r:#?}");
    fake.clear_failures();
    // Moved to Thu 8:00 before the text could go (see the reschedule test on the SQL).
    p.sql()
        .execute(
            "UPDATE appointments SET start_at = ?1 WHERE id = ?2",
            (ny(26, 8, 0).timestamp(), appt.0),
        )
        .unwrap();
    let (r, _) = run_remind(
        &d,
        &mut p.store,
        &config,
        now() + Duration::minutes(5),
        false,
    );
    assert_eq!((r.outbox_withdrawn, r.sent), (1, 1), "{r:#?}");
    let rows = p.outbound_of(ada);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].status, MessageStatus::Withdrawn);
    assert_eq!(rows[0].error_message.as_deref(), Some("rescheduled"));
    let created = fake.created();
    assert_eq!(created.len(), 1);
    assert_eq!(
        created[0].body,
        reminder_24h("Ada", "Thu Nov 26 at 8:00 AM")
    );
}

#[test]
fn when_one_of_a_double_bookings_visits_is_cancelled_the_other_still_gets_its_reminder() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let morning = p.book(ada, ny(26, 8, 0));
    let afternoon = p.book(ada, ny(26, 14, 30));
    fake.fail(Target::Create, Fault::Server(503), None);
    let d = dispatcher(fake.provider());
    let (r, _) = run_remind(&d, &mut p.store, &config, now(), false);
    assert_eq!((r.plan.texts, r.deferred), (1, 1), "{r:#?}");
    fake.clear_failures();

    // The afternoon visit is cancelled while the shared text waits: that text must not go
    // (it names a cancelled time), but the morning visit is still due its reminder.
    p.store
        .write(|tx| {
            store::appointments::set_status(
                tx,
                afternoon,
                AppointmentStatus::Booked,
                AppointmentStatus::Cancelled,
                "desk",
                ny(25, 9, 40),
            )
        })
        .unwrap();
    let later = ny(25, 9, 45);
    let (r, _) = run_remind(&d, &mut p.store, &config, later, false);
    assert_eq!(r.outbox_withdrawn, 1, "{r:#?}");
    let l = line_for(&r, morning);
    assert_eq!(l.action.as_str(), "sent", "{r:#?}");
    let created = fake.created();
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(
        created[0].body,
        reminder_24h("Ada", "Thu Nov 26 at 8:00 AM")
    );
}

#[test]
fn a_create_that_times_out_after_twilio_took_it_is_reconciled_not_sent_again() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    p.book(ada, ny(26, 9, 0));
    // Twilio creates the message at once but answers after our client has given up.
    fake.fail(
        Target::Create,
        Fault::Delay(std::time::Duration::from_millis(600)),
        Some(1),
    );
    let mut settings = fake.settings();
    settings.timeout = std::time::Duration::from_millis(150);
    let d = dispatcher(Twilio::new(settings).unwrap());
    let (r, _) = run_remind(&d, &mut p.store, &config, now(), false);
    assert_eq!((r.sent, r.unknown, r.deferred), (1, 0, 0), "{r:#?}");
    assert_eq!(fake.create_attempts(), 1, "no second create");
    let row = &p.outbound_of(ada)[0];
    assert_eq!(
        row.provider_id.as_deref(),
        Some(fake.created()[0].sid.as_str())
    );
    let audit = store::audit::for_subject(&p.store, &format!("message:{}", row.id)).unwrap();
    let sent = audit.iter().find(|a| a.action == "message.sent").unwrap();
    assert!(
        sent.detail.contains("\"reconciled\":true"),
        "{}",
        sent.detail
    );
}

#[test]
fn a_survey_link_follows_a_completed_visit_once_after_its_delay() {
    let fake = FakeTwilio::start_at(now());
    let (_, mut config) = config_for(&fake, "");
    config.survey.enabled = true;
    config.survey.url = "https://example.org/s/riverside".into();
    config.survey.delay_hours = 2;
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    let bo = p.patient("Bo", Some(&mobile(135)), Consent::OptedIn);
    let cy = p.patient("Cy", Some(&mobile(136)), Consent::OptedIn);
    // Ended 08:00 today (delay 2 h: not yet at 09:30); ended 07:00 yesterday (due); five days
    // ago (too old); and a no-show yesterday (no survey for a visit that did not happen).
    p.book_status(
        ada,
        ny(25, 7, 30),
        frontdesk::domain::appointment::AppointmentStatus::Completed,
    );
    let visit = p.book_status(
        bo,
        ny(24, 6, 30),
        frontdesk::domain::appointment::AppointmentStatus::Completed,
    );
    p.book_status(
        cy,
        ny(20, 10, 0),
        frontdesk::domain::appointment::AppointmentStatus::Completed,
    );
    p.book_status(
        cy,
        ny(24, 11, 0),
        frontdesk::domain::appointment::AppointmentStatus::NoShow,
    );
    let d = dispatcher(fake.provider());

    let (first, _) = run_remind(&d, &mut p.store, &config, now(), false);
    assert_eq!(first.surveys, 1, "{first:#?}");
    let created = fake.created();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].to, mobile(135));
    assert!(
        created[0].body.contains("https://example.org/s/riverside"),
        "{}",
        created[0].body
    );
    assert!(
        created[0].body.contains(PRACTICE) && created[0].body.contains("Reply STOP to opt out")
    );
    let row = p.outbound_of(bo);
    assert_eq!(row[0].kind, MessageKind::Survey);
    assert_eq!(row[0].appointment_id, Some(visit));

    // Later the same day Ada's delay has passed; Bo's survey is never sent twice.
    let (second, _) = run_remind(&d, &mut p.store, &config, ny(25, 10, 30), false);
    assert_eq!(second.surveys, 1, "{second:#?}");
    assert_eq!(fake.created().len(), 2);
    assert_eq!(fake.created()[1].to, mobile(134));
    assert!(
        p.outbound_of(cy).is_empty(),
        "no survey for an old visit or a no-show"
    );
}

#[test]
fn a_last_reminder_that_waited_is_not_lost_to_the_caps_when_it_finally_goes() {
    // Three reminder-class texts this week already; the 24h reminder (the visit's last) is
    // planned in spite of the caps, waits in the offline outbox, and goes once Twilio is
    // configured — the re-check does not withdraw it for the caps (issue 8 trial finding).
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    for (i, days) in [0i64, 2, 4].into_iter().enumerate() {
        p.store
            .write(|tx| {
                store::messages::insert_outbound(
                    tx,
                    &store::messages::NewOutbound {
                        kind: MessageKind::Welcome,
                        patient_id: Some(ada),
                        appointment_id: None,
                        idempotency_key: &format!("earlier:{i}"),
                        to: &mobile(134),
                        body: "an earlier text",
                        encoding: "gsm7",
                        segments: 1,
                        status: MessageStatus::Delivered,
                        provider: "twilio",
                        findings: None,
                        created_by: "system",
                        now: now() - Duration::hours(1) - Duration::days(days),
                        not_before: None,
                        send_by: None,
                    },
                )
            })
            .unwrap();
    }
    p.book(ada, ny(26, 9, 0));
    let offline = frontdesk::workflow::dispatch::Dispatcher::from_config(
        &config,
        std::sync::Arc::new(frontdesk::provider::outbox::Outbox::new()),
    );
    let (r, _) = run_remind(&offline, &mut p.store, &config, now(), false);
    assert_eq!(r.recorded, 1, "{r:#?}");
    let d = dispatcher(fake.provider());
    let (r, _) = run_remind(
        &d,
        &mut p.store,
        &config,
        now() + Duration::minutes(5),
        false,
    );
    assert_eq!((r.outbox_sent, r.outbox_withdrawn), (1, 0), "{r:#?}");
    assert_eq!(fake.created().len(), 1);
}

#[test]
fn a_double_bookings_text_withdrawn_with_both_visits_still_open_is_not_planned_again() {
    let fake = FakeTwilio::start_at(now());
    let (_, config) = config_for(&fake, "");
    let mut p = Practice::new();
    let ada = p.patient("Ada", Some(&mobile(134)), Consent::OptedIn);
    p.book(ada, ny(26, 9, 0));
    p.book(ada, ny(26, 14, 30));
    let offline = frontdesk::workflow::dispatch::Dispatcher::from_config(
        &config,
        std::sync::Arc::new(frontdesk::provider::outbox::Outbox::new()),
    );
    let (r, _) = run_remind(&offline, &mut p.store, &config, now(), false);
    assert_eq!(r.recorded, 1);
    let row = p.outbound_of(ada)[0].id;
    p.store
        .write(|tx| {
            store::messages::set_status(
                tx,
                row,
                MessageStatus::Withdrawn,
                Some("withdrawn before sending"),
                now(),
            )
        })
        .unwrap();
    let d = dispatcher(fake.provider());
    let (r, _) = run_remind(
        &d,
        &mut p.store,
        &config,
        now() + Duration::minutes(5),
        false,
    );
    assert_eq!(r.totals.already_recorded, 0, "{r:#?}");
    assert_eq!(r.totals.send + r.totals.sent, 0, "{r:#?}");
    assert!(fake.created().is_empty());
}
