//! The generator at a small scale, checked against the product's own rules (the domain's
//! functions, not the generator's): consent at every send, quiet hours, the caps, one text
//! per patient per day, replies that read as what they are filed as, and appointments and
//! consent that agree with the replies.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::domain::consent::ConsentState;
use crate::domain::ids::PatientId;
use crate::domain::message::MessageKind;
use crate::domain::reminder::{ReminderKey, in_allowed_window};
use crate::domain::reply::{ReplyContext, ReplyKind, classify};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 14, 30, 0).unwrap()
}

fn small() -> GroupScale {
    GroupScale {
        patients: 1500,
        sites: 2,
        clinicians_per_site: 3,
        days_back: 150,
        days_ahead: 14,
        appointments: 14_000,
    }
}

fn seeded(seed_value: u64) -> (Store, GroupSeeded) {
    let mut store = Store::open_in_memory().unwrap();
    let out = seed(&mut store, &Config::demo(), seed_value, small(), now()).unwrap();
    (store, out)
}

fn at(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(s, 0).unwrap()
}

/// (id, patient, kind, created_at, key, direction, body)
type Row = (i64, i64, String, i64, Option<String>, String, String);

fn messages(store: &Store) -> Vec<Row> {
    let c = store.test_conn();
    let mut stmt = c
        .prepare(
            "SELECT id, patient_id, kind, created_at, idempotency_key, direction, body
               FROM messages ORDER BY created_at, id",
        )
        .unwrap();
    stmt.query_map([], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
        ))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn zones(store: &Store) -> HashMap<i64, chrono_tz::Tz> {
    let tz = Config::demo().practice.time_zone;
    let c = store.test_conn();
    let mut stmt = c.prepare("SELECT id, time_zone FROM patients").unwrap();
    stmt.query_map([], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
    })
    .unwrap()
    .map(Result::unwrap)
    .map(|(id, z)| (id, z.and_then(|z| z.parse().ok()).unwrap_or(tz)))
    .collect()
}

#[test]
fn writes_a_group_of_the_asked_size_the_same_way_every_time() {
    let (store, out) = seeded(7);
    assert_eq!(out.patients, 1500);
    assert_eq!(out.clinicians, 6);
    assert_eq!(out.sites, 2);
    assert!((12_000..16_000).contains(&out.appointments), "{out:?}");
    let c = store.test_conn();
    let count = |sql: &str| -> i64 { c.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        count("SELECT COUNT(*) FROM appointments"),
        out.appointments as i64
    );
    assert_eq!(count("SELECT COUNT(*) FROM messages"), out.messages as i64);
    assert!(
        out.messages as f64 > 1.5 * out.appointments as f64,
        "{out:?}"
    );
    assert!(count("SELECT COUNT(*) FROM messages WHERE kind = 'same-day-double'") > 0);
    assert!(count("SELECT COUNT(*) FROM replies WHERE classification = 'opt_out'") > 0);
    let digest = |s: &Store| -> (i64, i64, i64) {
        s.test_conn()
            .query_row(
                "SELECT COUNT(*), SUM(created_at % 100003), SUM(length(body)) FROM messages",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap()
    };
    assert_eq!(digest(&store), digest(&seeded(7).0));
    assert_ne!(digest(&store), digest(&seeded(8).0));
    let fk: i64 = count("SELECT COUNT(*) FROM pragma_foreign_key_check");
    assert_eq!(fk, 0, "every reference points at a row");
    // The bulk load wrote every patient's folded names and the trigram index (migration 12).
    assert_eq!(
        count("SELECT COUNT(*) FROM patients WHERE search_last IS NULL"),
        0
    );
    crate::store::patient_search::assert_consistent(c);
}

#[test]
fn every_text_had_consent_and_kept_quiet_hours_and_the_caps() {
    consent_quiet_hours_and_caps_held(&seeded(7).0);
}

fn consent_quiet_hours_and_caps_held(store: &Store) {
    let config = Config::demo();
    let rules = &config.reminders;
    let zones = zones(store);
    let mut per_patient: HashMap<i64, Vec<(i64, String, Option<String>)>> = HashMap::new();
    for (_, patient, kind, created, key, dir, _) in messages(store) {
        if dir == "out" {
            per_patient
                .entry(patient)
                .or_default()
                .push((created, kind, key));
        }
    }
    // Every patient's row carries the last word of their events (migration 19's trigger,
    // through the bulk writer too): what the sending rules read since the ninth session.
    let ids: Vec<PatientId> = zones.keys().map(|p| PatientId(*p)).collect();
    let words = store::consent::last_words(store.test_conn(), &ids).unwrap();
    let opted_in = ids
        .iter()
        .filter(|p| {
            let events = store::consent::events(store.test_conn(), **p).unwrap();
            let word = words[*p].as_ref().unwrap().clone();
            let opted_in = matches!(word, Some(ConsentState::OptedIn { .. }));
            assert_eq!(
                word.unwrap_or(ConsentState::None),
                ConsentState::from_events(&events)
            );
            opted_in
        })
        .count();
    assert!(opted_in > ids.len() / 2, "{opted_in} of {}", ids.len());
    let (mut checked, mut over) = (0, 0);
    for (patient, sends) in &per_patient {
        let events = store::consent::events(store.test_conn(), PatientId(*patient)).unwrap();
        let zone = zones[patient];
        let counted: Vec<i64> = sends
            .iter()
            .filter(|(_, k, _)| MessageKind::parse(k).unwrap().counts_against_cap())
            .map(|(t, _, _)| *t)
            .collect();
        for (t, kind, key) in sends {
            let kind = MessageKind::parse(kind).unwrap();
            let state = ConsentState::from_events(events.iter().filter(|e| e.at <= at(*t)));
            if kind.keeps_quiet_hours() {
                assert!(
                    state.may_text(),
                    "patient {patient} texted at {t} with {state:?}"
                );
                assert!(
                    in_allowed_window(at(*t), zone, &rules.quiet_hours),
                    "{kind} at {t}"
                );
            }
            if !kind.counts_against_cap() {
                continue;
            }
            let day = at(*t).with_timezone(&zone).date_naive();
            let same_day = counted
                .iter()
                .filter(|&&u| at(u).with_timezone(&zone).date_naive() == day);
            let week = counted
                .iter()
                .filter(|&&u| u > t - 7 * 86_400 && u <= *t)
                .count();
            if same_day.count() > rules.max_per_day as usize || week > rules.max_per_week as usize {
                // Over a cap only for an appointment's last reminder (SPEC §5.6).
                let key = key.as_deref().and_then(ReminderKey::parse);
                assert!(
                    key.as_ref()
                        .is_some_and(|k| k.each().any(|(_, _, o)| o == 24)),
                    "patient {patient}: {kind} at {t} over a cap"
                );
                over += 1;
            }
            checked += 1;
        }
    }
    assert!(checked > 10_000, "{checked} texts checked");
    assert!(
        over * 100 < checked,
        "{over} of {checked} over a cap: the caps hardly ever give way"
    );
}

#[test]
fn reminder_keys_name_live_appointments_and_double_bookings_share_one_text() {
    reminder_keys_and_double_bookings_held(&seeded(7).0);
}

fn reminder_keys_and_double_bookings_held(store: &Store) {
    let c = store.test_conn();
    let mut stmt = c
        .prepare("SELECT id, patient_id, start_at, cancelled_at, booked_at FROM appointments")
        .unwrap();
    let appts: HashMap<i64, (i64, i64, Option<i64>, i64)> = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut last_text: HashMap<i64, (i64, i64)> = HashMap::new();
    for (id, patient, kind, created, key, dir, _) in messages(store) {
        let Some(key) = key.as_deref().and_then(ReminderKey::parse) else {
            continue;
        };
        assert_eq!(dir, "out");
        assert_eq!(
            kind == "same-day-double",
            key.appointments().len() > 1,
            "{key}"
        );
        for (appt, start, offset) in key.each() {
            let (owner, stored_start, cancelled, booked) = appts[&appt.0];
            assert!(
                booked <= created,
                "{key} names an appointment not yet booked"
            );
            assert_eq!(owner, patient, "{key}");
            assert_eq!(start.timestamp(), stored_start, "{key}");
            assert!(
                cancelled.is_none_or(|c| c > created),
                "reminded after cancelling"
            );
            assert!(created <= stored_start - 7200, "within 2 h of the start");
            if offset == 24 {
                assert!(
                    last_text.insert(appt.0, (id, created)).is_none(),
                    "two last reminders"
                );
            }
        }
    }
    // Two bookings of one patient on one local day that both got their last reminder, both
    // booked before the first of those texts went, got it in one text.
    let tz = Config::demo().practice.time_zone;
    // (text, sent, booked) of each appointment's last reminder, by patient and day.
    type Day = (i64, chrono::NaiveDate);
    let mut by_day: HashMap<Day, Vec<(i64, i64, i64)>> = HashMap::new();
    for (appt, (text, sent)) in &last_text {
        let (patient, start, _, booked) = appts[appt];
        let day = at(start).with_timezone(&tz).date_naive();
        by_day
            .entry((patient, day))
            .or_default()
            .push((*text, *sent, booked));
    }
    let mut doubles = 0;
    for texts in by_day.values().filter(|t| t.len() > 1) {
        let first_sent = texts.iter().map(|t| t.1).min().unwrap();
        if texts.iter().all(|t| t.2 <= first_sent) {
            assert!(texts.windows(2).all(|w| w[0].0 == w[1].0), "{texts:?}");
            doubles += 1;
        }
    }
    assert!(doubles > 0, "the small group has same-day double bookings");
}

#[test]
fn replies_read_as_filed_and_the_book_and_consent_agree_with_them() {
    replies_book_and_consent_agreed(&seeded(7).0);
}

fn replies_book_and_consent_agreed(store: &Store) {
    let c = store.test_conn();
    let mut stmt = c
        .prepare(
            "SELECT m.patient_id, m.body, m.created_at, r.classification, a.id, a.status,
                    a.confirmed_at, a.start_at
               FROM replies r JOIN messages m ON m.id = r.message_id
               LEFT JOIN appointments a ON a.id = r.appointment_id",
        )
        .unwrap();
    type Reply = (
        i64,
        String,
        i64,
        String,
        Option<i64>,
        Option<String>,
        Option<i64>,
        Option<i64>,
    );
    let replies: Vec<Reply> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(replies.len() > 1000, "{} replies", replies.len());
    let all = messages(store);
    for (patient, body, t, class, appt, status, confirmed, start) in &replies {
        let ctx = ReplyContext {
            awaiting_reminder_answer: true,
        };
        assert_eq!(classify(body, ctx).as_str(), class, "{body:?}");
        match ReplyKind::parse(class).unwrap() {
            ReplyKind::Confirm => {
                let confirmed = confirmed.expect("a confirmed appointment");
                assert!(confirmed <= *t && start.unwrap() > *t, "{appt:?}");
                assert_ne!(
                    status.as_deref(),
                    Some("booked"),
                    "confirmed by reply, still booked"
                );
            }
            ReplyKind::OptOut => {
                let events = store::consent::events(c, PatientId(*patient)).unwrap();
                let state = ConsentState::from_events(events.iter().filter(|e| e.at <= at(*t)));
                assert!(state.is_opted_out(), "STOP at {t} recorded");
                let after: Vec<_> = all
                    .iter()
                    .filter(|m| m.1 == *patient && m.5 == "out" && m.3 > *t)
                    .map(|m| m.2.as_str())
                    .collect();
                assert_eq!(after, vec!["opt-out-confirmation"], "only the confirmation");
            }
            _ => {}
        }
    }
    let confirmed_without_time: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM appointments WHERE status = 'confirmed' AND confirmed_at IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(confirmed_without_time, 0);
    // The load writes each reply's copy of its text's patient and time (migration 20) itself.
    let copies_astray: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM replies r JOIN messages m ON m.id = r.message_id
              WHERE r.patient_id IS NOT m.patient_id OR r.received_at IS NOT m.created_at",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        copies_astray, 0,
        "replies carry their texts' patient and time"
    );
    let future_done: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM appointments WHERE start_at > ?1
                AND status IN ('completed', 'no_show', 'arrived')",
            [now().timestamp() + 3600],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(future_done, 0, "nothing ahead is already done");
}

#[test]
fn the_group_at_a_fraction_of_its_size_keeps_its_shape_and_obeys_the_same_rules() {
    assert_eq!(
        GroupScale::with_appointments(2_000_000),
        GroupScale::group()
    );
    let scale = GroupScale::with_appointments(10_000);
    assert_eq!(
        (scale.patients, scale.sites, scale.clinicians_per_site),
        (500, 4, 1),
        "patients in proportion, at least one clinician a site"
    );
    assert_eq!(scale.days_back, GroupScale::group().days_back, "five years");
    let tenth = GroupScale::with_appointments(200_000);
    assert_eq!((tenth.patients, tenth.clinicians_per_site), (10_000, 1));
    let half = GroupScale::with_appointments(1_000_000);
    assert_eq!((half.patients, half.clinicians_per_site), (50_000, 5));
    let mut store = Store::open_in_memory().unwrap();
    let out = seed(&mut store, &Config::demo(), 7, scale, now()).unwrap();
    assert_eq!((out.patients, out.clinicians, out.sites), (500, 4, 4));
    assert!((9_000..11_000).contains(&out.appointments), "{out:?}");
    assert!(
        out.messages as f64 > 2.0 * out.appointments as f64,
        "texts per appointment as in the full group: {out:?}"
    );
    consent_quiet_hours_and_caps_held(&store);
    reminder_keys_and_double_bookings_held(&store);
    replies_book_and_consent_agreed(&store);
}

#[test]
fn every_index_the_load_keeps_live_is_one_the_migrations_made() {
    // A misspelt name would silently be dropped and rebuilt: a full pass over the table.
    let store = Store::open_in_memory().unwrap();
    for name in LOAD.live_indexes {
        let found: i64 = store
            .test_conn()
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ?1 AND sql IS NOT NULL",
                [name],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(found, 1, "{name}");
    }
}

#[test]
fn a_file_database_is_back_in_wal_mode_and_a_second_load_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("group.db");
    let mut store = Store::open(&path).unwrap();
    let scale = GroupScale {
        patients: 200,
        appointments: 1000,
        ..small()
    };
    let out = seed(&mut store, &Config::demo(), 3, scale, now()).unwrap();
    assert_eq!(out.patients, 200);
    let mode: String = store
        .test_conn()
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let again = seed(&mut store, &Config::demo(), 3, scale, now());
    assert!(
        again.is_err(),
        "never a second practice on top of the first"
    );
    assert_eq!(store::patients::count(&store).unwrap(), 200);
}
