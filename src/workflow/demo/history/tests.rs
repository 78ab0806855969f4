//! The demo history checked against the engine's own rules (issue 9 item 10): every text in
//! it is one the planner (`domain::reminder::plan`, the function `remind` calls) sends at that
//! moment given what had happened before it; no patient gets two reminder texts on one day;
//! replies match the appointments they answered. These read the database the seeder wrote,
//! so a seeder that went back to writing texts on its own would fail here.

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::config::Config;
use crate::domain::appointment::{Appointment, AppointmentStatus};
use crate::domain::consent::ConsentState;
use crate::domain::ids::{AppointmentId, PatientId};
use crate::domain::message::{Direction, Message, MessageStatus};
use crate::domain::reminder::{
    PatientFacts, PlanInput, PlanMode, RecentSend, ReminderMessage, plan,
};
use crate::store::{self, Store};
use crate::workflow::demo::{DemoSize, seed};
use crate::workflow::facts::REMINDER_KINDS;

/// The demo's moment in the issue: Wednesday March 4 2026, 09:00 in New York.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 4, 14, 0, 0).unwrap()
}

fn seeded() -> (Store, Config) {
    let mut store = Store::open_in_memory().unwrap();
    let config = Config::default();
    seed(&mut store, &config, 7, DemoSize::default(), now()).unwrap();
    (store, config)
}

/// Every outbound reminder row of the history, oldest first.
fn texts(store: &Store) -> Vec<Message> {
    let ids: Vec<i64> = store
        .test_conn()
        .prepare("SELECT DISTINCT patient_id FROM messages WHERE direction = 'out'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut all: Vec<Message> = ids
        .into_iter()
        .flat_map(|p| store::messages::of_kinds(store, PatientId(p), REMINDER_KINDS).unwrap())
        .filter(|m| m.direction == Direction::Outbound)
        .collect();
    all.sort_by_key(|m| (m.created_at, m.id));
    all
}

/// When each cancelled appointment was cancelled.
fn cancellations(store: &Store) -> HashMap<AppointmentId, DateTime<Utc>> {
    store
        .test_conn()
        .prepare("SELECT id, cancelled_at FROM appointments WHERE cancelled_at IS NOT NULL")
        .unwrap()
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
        .unwrap()
        .map(|r| {
            let (id, at) = r.unwrap();
            (AppointmentId(id), store::from_ts(at).unwrap())
        })
        .collect()
}

/// The patient's appointments as they stood at `t`, booked by then and starting in
/// `(from, to]`.
fn as_of(
    store: &Store,
    cancelled: &HashMap<AppointmentId, DateTime<Utc>>,
    p: PatientId,
    t: DateTime<Utc>,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> Vec<Appointment> {
    store::appointments::starting_between(store, from, to + Duration::seconds(1))
        .unwrap()
        .into_iter()
        .filter(|a| a.patient_id == p && a.booked_at <= t && a.start > from && a.start <= to)
        .map(|a| {
            let status = match cancelled.get(&a.id) {
                Some(&at) if at <= t => AppointmentStatus::Cancelled,
                _ if a.status.is_open() => a.status,
                _ => AppointmentStatus::Booked,
            };
            Appointment { status, ..a }
        })
        .collect()
}

/// What the planner knew about patient `p` at `t`: consent then, the texts before it.
fn facts_at(
    store: &Store,
    config: &Config,
    p: PatientId,
    t: DateTime<Utc>,
    before: &[&Message],
) -> PatientFacts {
    let events: Vec<_> = store::consent::events(store, p)
        .unwrap()
        .into_iter()
        .filter(|e| e.at <= t)
        .collect();
    let patient = store::patients::get(store, p).unwrap();
    let mut facts = PatientFacts::new(
        &patient,
        config.practice.time_zone,
        ConsentState::from_events(&events),
    );
    facts.recent = before
        .iter()
        .filter(|m| {
            m.created_at > t - Duration::days(8)
                && !matches!(m.status, MessageStatus::Failed | MessageStatus::Undelivered)
        })
        .map(|m| RecentSend {
            at: m.created_at,
            kind: m.kind,
        })
        .collect();
    facts.last_outbound = before.last().map(|m| m.created_at);
    facts
}

#[test]
fn every_text_in_the_history_is_what_the_planner_sends_at_its_moment() {
    let (store, config) = seeded();
    let all = texts(&store);
    assert!(all.len() > 400, "a practice in use: {} texts", all.len());
    let cancelled = cancellations(&store);
    let horizon = Duration::hours(48 + 24);
    for m in &all {
        let (p, t) = (m.patient_id.unwrap(), m.created_at);
        let before: Vec<&Message> = all
            .iter()
            .filter(|o| o.patient_id == Some(p) && o.created_at < t)
            .collect();
        let messages: Vec<ReminderMessage> = before
            .iter()
            .map(|o| ReminderMessage {
                key: o.idempotency_key.clone().unwrap(),
                status: o.status,
                error_code: o.error_code.clone(),
            })
            .collect();
        let facts = [facts_at(&store, &config, p, t, &before)];
        let appointments = as_of(&store, &cancelled, p, t, (t, t + horizon));
        let later = as_of(
            &store,
            &cancelled,
            p,
            t,
            (t + horizon, t + horizon + Duration::days(7)),
        );
        let planned = plan(
            &config.reminders,
            t,
            PlanMode::Scheduled,
            &PlanInput {
                patients: &facts,
                appointments: &appointments,
                messages: &messages,
                later: &later,
            },
        );
        let key = m.idempotency_key.as_deref().unwrap();
        assert!(
            planned
                .sends
                .iter()
                .any(|s| s.key.to_string() == key && s.kind == m.kind),
            "the planner at {t} would not send {key} ({:?}) to patient {p}: {:#?}",
            m.kind,
            planned.lines
        );
    }
}

/// The daily cap holds, with the one exception the engine makes on purpose (SPEC §5.6: every
/// appointment still gets its last reminder): a visit booked after the day's text went gets
/// its own. Nothing goes in quiet hours.
#[test]
fn no_patient_gets_two_reminder_texts_on_one_day_and_none_in_quiet_hours() {
    let (store, config) = seeded();
    let tz = config.practice.time_zone;
    let quiet = config.reminders.quiet_hours;
    let mut per_day: HashMap<(PatientId, chrono::NaiveDate), Vec<Message>> = HashMap::new();
    for m in texts(&store) {
        let patient = store::patients::get(&store, m.patient_id.unwrap()).unwrap();
        // Quiet hours are the patient's; the day the caps count is the patient's too.
        let local = m.created_at.with_timezone(&patient.zone(tz));
        assert!(
            local.time() >= quiet.start && local.time() < quiet.end,
            "{} sent at {local}",
            m.idempotency_key.unwrap_or_default()
        );
        per_day
            .entry((m.patient_id.unwrap(), local.date_naive()))
            .or_default()
            .push(m);
    }
    let cap = config.reminders.max_per_day as usize;
    for ((p, day), day_texts) in &per_day {
        let first = day_texts[0].created_at;
        for extra in &day_texts[cap..] {
            let key = extra.idempotency_key.as_deref().unwrap();
            let parsed = crate::domain::reminder::ReminderKey::parse(key).unwrap();
            let booked_later = parsed
                .appointments()
                .iter()
                .any(|&(id, _)| store::appointments::get(&store, id).unwrap().booked_at > first);
            assert!(
                booked_later,
                "patient {p} got {} texts on {day}; {key} names no visit booked after the first",
                day_texts.len()
            );
        }
    }
}

#[test]
fn replies_match_the_appointments_they_answered() {
    let (store, _) = seeded();
    let rows: Vec<(String, i64, String, bool, i64)> = store
        .test_conn()
        .prepare(
            "SELECT r.classification, a.id, a.status, a.callback_requested, a.start_at
               FROM replies r JOIN appointments a ON a.id = r.appointment_id",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let confirms = rows.iter().filter(|r| r.0 == "confirm").count();
    assert!(confirms > 50, "{confirms} confirmations");
    for (kind, id, status, callback, start) in &rows {
        match kind.as_str() {
            "confirm" => assert!(
                ["confirmed", "arrived", "completed", "no_show"].contains(&status.as_str()),
                "a C reply beside appointment {id} that is {status}"
            ),
            "reschedule" if *start > store::ts(now()) => {
                assert!(*callback, "an R reply and no call-back for {id}");
                assert_eq!(status, "booked", "an R reply beside appointment {id}");
            }
            _ => assert_ne!(status, "cancelled", "a reply to cancelled appointment {id}"),
        }
    }
    // A same-day double booking gets one text naming both: the reply confirms both.
    let doubles: i64 = store
        .test_conn()
        .query_row(
            "SELECT COUNT(*) FROM messages WHERE direction = 'out' AND kind = 'same-day-double'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(doubles > 0, "the demo has same-day double bookings to show");
}
