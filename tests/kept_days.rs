//! Days kept across other desks' commits (issue 14, several desks): a console keeps the days
//! it loaded (the one shown and its neighbours) while the change log (migration 17) says
//! nothing written since concerns them, and loads a day again as soon as something does.
//!
//! One test per kind of write a day sheet or its reminder cells depend on, each through the
//! path that really writes it (the desk, the messaging store, sync's inbound filing, consent,
//! imports; SQL only where the product writes it from an import or `remind`): the kept day
//! it touches is not shown again, the other kept day is. The console here is the real worker
//! (`tui::worker::Runner`), loading days as it does on a switch. Restores, the console's own
//! changes and several desks at once: `tests/kept_days_desks.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fake_twilio;
#[path = "kept_days/harness.rs"]
mod harness;
mod support;

use frontdesk::domain::appointment::AppointmentStatus;
use frontdesk::domain::ids::{AppointmentId, PatientId};
use frontdesk::domain::message::{MessageKind, MessageStatus};
use frontdesk::domain::reminder::{Decided, ReminderDecision, SkipReason};
use frontdesk::domain::reply::ReplyKind;
use frontdesk::domain::staff::Actor;
use frontdesk::store;
use frontdesk::store::messages::NewInbound;
use frontdesk::workflow::desk;
use harness::*;
use support::*;

#[test]
fn a_visit_booked_into_the_day() {
    assert_eq!(
        after(|w| {
            w.p.book(w.cy, ny(D, 15, 0));
        }),
        TOUCHED
    );
}

#[test]
fn a_visit_moved_into_the_day_and_one_moved_out() {
    // Rescheduled as an import writes it (the store has no "move" of its own).
    let into = |w: &mut World| {
        let t = ny(D, 16, 0).timestamp();
        sql(
            w,
            "UPDATE appointments SET start_at = ?1 WHERE id = ?2",
            (t, w.cy_visit.0),
        );
    };
    assert_eq!(after(into), TOUCHED);
    let out = |w: &mut World| {
        let t = ny(F, 16, 0).timestamp();
        sql(
            w,
            "UPDATE appointments SET start_at = ?1 WHERE id = ?2",
            (t, w.ada_visit.0),
        );
    };
    assert_eq!(after(out), TOUCHED);
    // Moved between two days no console keeps: both stay.
    let elsewhere = |w: &mut World| {
        let t = ny(F + 1, 16, 0).timestamp();
        sql(
            w,
            "UPDATE appointments SET start_at = ?1 WHERE id = ?2",
            (t, w.cy_visit.0),
        );
    };
    assert_eq!(after(elsewhere), NONE);
}

#[test]
fn a_visit_cancelled_or_marked_at_another_desk() {
    for to in [AppointmentStatus::Cancelled, AppointmentStatus::Confirmed] {
        let change = |w: &mut World| {
            desk::set_status(
                &mut w.p.store,
                &w.config,
                w.ada_visit,
                to,
                &Actor::System,
                now(),
            )
            .unwrap();
        };
        assert_eq!(after(change), TOUCHED, "{to:?}");
    }
    // A visit of another day: both stay.
    let other = |w: &mut World| {
        let to = AppointmentStatus::Cancelled;
        desk::set_status(
            &mut w.p.store,
            &w.config,
            w.cy_visit,
            to,
            &Actor::System,
            now(),
        )
        .unwrap();
    };
    assert_eq!(after(other), NONE);
}

#[test]
fn a_text_written_or_its_status_changed() {
    assert_eq!(
        after(|w| {
            text_to(w, w.ada, "t1");
        }),
        TOUCHED
    );
    assert_eq!(
        after(|w| {
            text_to(w, w.cy, "t1");
        }),
        NONE,
        "to a patient of no kept day"
    );
    // Its status changed later (a receipt, a re-check): written before the days were kept.
    let mut w = world();
    let ada = w.ada;
    let id = text_to(&mut w, ada, "t2");
    let runner = console(&w);
    w.p.store
        .write(|tx| store::messages::set_status(tx, id, MessageStatus::Withdrawn, None, now()))
        .unwrap();
    assert_eq!((way(&runner, D), way(&runner, E)), TOUCHED);
}

fn reply_from(w: &mut World, patient: Option<PatientId>, visit: Option<AppointmentId>) {
    w.p.store
        .write(|tx| {
            let id = store::messages::insert_inbound(
                tx,
                &NewInbound {
                    patient,
                    from: &mobile(1),
                    to: "+15555550100",
                    body: "C",
                    provider: "twilio",
                    provider_id: "SM-reply-1",
                    at: now(),
                },
            )?
            .unwrap();
            store::messages::classify_reply(tx, id, ReplyKind::Confirm, visit)
        })
        .unwrap();
}

#[test]
fn a_reply_filed_against_the_day_or_its_patient() {
    assert_eq!(
        after(|w| reply_from(w, Some(w.ada), Some(w.ada_visit))),
        TOUCHED
    );
    assert_eq!(after(|w| reply_from(w, Some(w.ada), None)), TOUCHED);
    assert_eq!(after(|w| reply_from(w, Some(w.cy), Some(w.cy_visit))), NONE);
    // From a number no patient has: nothing narrower to go by, every day reloads.
    assert_eq!(after(|w| reply_from(w, None, None)), EVERY_DAY);
}

#[test]
fn a_consent_event() {
    assert_eq!(after(|w| w.p.opt_out(w.ada, now())), TOUCHED);
    assert_eq!(
        after(|w| w.p.opt_out(w.bo, now())),
        (Way::Kept, Way::Patched)
    );
    assert_eq!(after(|w| w.p.opt_out(w.cy, now())), NONE);
}

#[test]
fn a_patient_edited() {
    let number = frontdesk::domain::phone::E164::try_from(mobile(77)).unwrap();
    let fix = |w: &mut World| {
        w.p.store
            .write(|tx| store::patients::set_mobile(tx, w.ada, Some(&number)))
            .unwrap()
    };
    assert_eq!(after(fix), TOUCHED);
    let flag = |w: &mut World| {
        w.p.store
            .write(|tx| store::patients::flag_number(tx, w.ada, "30003", now()))
            .unwrap()
    };
    assert_eq!(after(flag), TOUCHED);
    // A new patient has no visit on any day: nothing to reload.
    assert_eq!(
        after(|w| {
            w.p.patient("Dee", None, Consent::None);
        }),
        NONE
    );
}

#[test]
fn a_rebooking_mark_a_callback_and_a_recorded_decision() {
    let rebook = |w: &mut World| {
        let mark = store::rebookings::NewRebooking {
            appointment_id: w.ada_visit,
            start: ny(D, 10, 0),
            key: "closure-1",
            by: "desk",
            now: now(),
        };
        w.p.store
            .write(|tx| store::rebookings::mark(tx, &mark))
            .unwrap();
    };
    assert_eq!(after(rebook), TOUCHED);
    let flag = |w: &mut World| {
        w.p.store
            .write(|tx| store::appointments::set_callback(tx, w.ada_visit, true))
            .unwrap()
    };
    assert_eq!(after(flag), TOUCHED);
    let callback = |w: &mut World| {
        let entry = store::callbacks::NewCallback {
            key: "closure-1",
            patient_id: w.ada,
            appointment_id: None,
            message_id: None,
            reason: "no mobile",
            now: now(),
        };
        w.p.store
            .write(|tx| store::callbacks::add(tx, &entry))
            .unwrap();
    };
    assert_eq!(after(callback), TOUCHED);
    // `remind` keeps why a due reminder did not go (`reminder_decisions::record`).
    let decided = |w: &mut World| {
        let decision = ReminderDecision {
            appointment_id: w.ada_visit,
            start: ny(D, 10, 0),
            offset_hours: 24,
            decided: Decided::Waiting {
                until: ny(D, 8, 0),
                reason: SkipReason::FrequencyCap,
            },
            decided_at: now(),
        };
        w.p.store
            .write(|tx| store::reminder_decisions::record(tx, &decision, "remind"))
            .unwrap();
    };
    assert_eq!(after(decided), TOUCHED);
}

#[test]
fn a_clinician_type_template_or_setting_reloads_every_day() {
    let clinician = |w: &mut World| {
        w.p.store
            .write(|tx| store::reference::insert_clinician(tx, "Dr. Nakamura"))
            .unwrap();
    };
    assert_eq!(
        after(clinician),
        NONE,
        "no visit is with the new clinician yet"
    );
    let renamed = |w: &mut World| {
        sql(
            w,
            "UPDATE clinicians SET display_name = 'Dr. Okafor-Reyes'",
            (),
        );
    };
    assert_eq!(after(renamed), EVERY_DAY);
    let ty = |w: &mut World| {
        w.p.store
            .write(|tx| store::reference::insert_type(tx, "Flu shot", "Vaccination", 10))
            .unwrap();
    };
    assert_eq!(after(ty), NONE, "no visit is of the new type yet");
    let relabelled = |w: &mut World| {
        sql(w, "UPDATE appointment_types SET sms_label = 'Visit'", ());
    };
    assert_eq!(after(relabelled), EVERY_DAY);
    let template = |w: &mut World| {
        let body = "Hi {first_name}, see you {when}. {stop}";
        w.p.store
            .write(|tx| store::templates::save(tx, MessageKind::Reminder24h, body, "lee", now()))
            .unwrap();
    };
    assert_eq!(after(template), EVERY_DAY);
    let setting = |w: &mut World| {
        w.p.store
            .write(|tx| store::settings::set(tx, "demo.seeded_at", "2026-11-20T09:00:00Z"))
            .unwrap();
    };
    assert_eq!(after(setting), EVERY_DAY);
    // Sync's poll cursor moves at every poll; no day reads it.
    let cursor = |w: &mut World| {
        let key = frontdesk::workflow::sync::cursor_key("twilio");
        w.p.store
            .write(|tx| store::settings::set(tx, &key, "page-2"))
            .unwrap();
    };
    assert_eq!(after(cursor), NONE);
}

#[test]
fn staff_and_audit_writes_keep_every_day() {
    let audit = |w: &mut World| {
        let entry = frontdesk::domain::audit::AuditEntry::new(
            now(),
            "lee",
            "report.viewed",
            "practice",
            serde_json::json!({}),
        );
        w.p.store
            .write(|tx| store::audit::append(tx, &entry).map(|_| ()))
            .unwrap();
    };
    assert_eq!(after(audit), NONE);
}

fn import(w: &mut World, csv: &str) {
    use frontdesk::domain::import::csv::{CsvOptions, read};
    use frontdesk::workflow::import::{self, Options, Source, SourceKind};
    let parsed = read(
        csv.as_bytes(),
        &CsvOptions {
            ctx: import::read_context(&w.config, now()),
            mappings: &[],
        },
    );
    let source = Source::new(SourceKind::Csv, "schedule.csv", csv.as_bytes());
    let opts = Options {
        dry_run: false,
        cancel_missing: false,
        actor: "system",
        now: now(),
    };
    let gate = frontdesk::phi::Gate::default();
    let outcome = import::run(&mut w.p.store, &w.config, &gate, parsed, &source, opts).unwrap();
    assert!(outcome.written, "{:#?}", outcome.report);
}

#[test]
fn an_import() {
    let header = "Appt ID,Patient ID,Last Name,First Name,Mobile Phone,Text OK,Appt Date,Start Time,Provider,Status\n";
    let into_d = format!(
        "{header}A1,P1,Łukasiewicz,Zofia,{},Y,11/25/2026,2:00 PM,{CLINICIAN},Scheduled\n",
        mobile(40)
    );
    // An import writes one change for every day (its rows are not logged one by one: see
    // `store::changes::pause_logging`), so every console reloads its days once.
    assert_eq!(after(|w| import(w, &into_d)), EVERY_DAY);
    let later = format!(
        "{header}A2,P2,Nguyễn,Thị Mai,{},Y,12/02/2026,2:00 PM,{CLINICIAN},Scheduled\n",
        mobile(41)
    );
    assert_eq!(
        after(|w| import(w, &later)),
        EVERY_DAY,
        "even an import of other days only"
    );
}
