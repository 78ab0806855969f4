//! The demo practice: a realistic, synthetic clinic seeded deterministically from a seed.
//!
//! Same seed and same "today" give the same practice. Everything is invented: names come from
//! `assets/demo/`, mobile numbers from the 555-0100…0199 range that North American numbering
//! reserves for fiction, so nothing here can reach a real person even by mistake.
//! Seeding happens once per database; later runs reuse it (`settings` key `demo.seeded_at`),
//! and marks the database as the demo's (`store::marker`).

use crate::store::Write;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::config::Config;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::audit::{DemoScale, DemoSeeded};
use crate::domain::consent::{ConsentEvent, ConsentKind, ConsentMethod};
use crate::domain::ids::{AppointmentTypeId, ClinicianId, PatientId};
use crate::domain::phone::E164;
use crate::store::appointments::NewAppointment;
use crate::store::patients::NewPatient;
use crate::store::{self, Store, StoreError};

pub mod group;
mod history;
pub mod staff;

const FIRST_NAMES: &str = include_str!("../../../assets/demo/first_names.txt");
const LAST_NAMES: &str = include_str!("../../../assets/demo/last_names.txt");
const SEEDED_KEY: &str = "demo.seeded_at";
/// Who the seed's records are attributed to in the audit log.
pub const SEED_ACTOR: &str = "demo-seed";

/// How big a practice to seed.
#[derive(Clone, Copy, Debug)]
pub struct DemoSize {
    pub patients: usize,
    /// Weekdays before and after today that carry appointments.
    pub days_back: i64,
    pub days_ahead: i64,
}

impl Default for DemoSize {
    fn default() -> Self {
        Self {
            patients: 400,
            days_back: 21,
            days_ahead: 21,
        }
    }
}

/// What seeding did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seeded {
    /// Wrote a new practice.
    Created {
        clinicians: usize,
        patients: usize,
        appointments: usize,
    },
    /// The database already held the demo practice (seeded at this instant).
    Reused { seeded_at: String },
}

/// (internal name, neutral SMS label, minutes). The internal names show why the label exists.
const TYPES: &[(&str, &str, u32)] = &[
    ("Annual physical", "Check-up", 30),
    ("New patient visit", "New patient visit", 40),
    ("Follow-up", "Follow-up visit", 20),
    ("Diabetes follow-up", "Follow-up visit", 20),
    ("Well-child visit", "Check-up", 30),
    ("Flu vaccination", "Nurse visit", 10),
    ("Blood draw", "Short visit", 10),
    ("Telehealth follow-up", "Video visit", 20),
    ("Prenatal visit", "Follow-up visit", 30),
    ("Behavioral health consult", "Consultation", 40),
];

const CLINICIANS: &[&str] = &[
    "Dr. Okafor",
    "Dr. Reyes",
    "Dr. Lindqvist",
    "Dr. Chen",
    "NP Patel",
];

/// Area codes for the fictional 555-01xx numbers (all valid North American area codes).
const AREA_CODES: &[u32] = &[201, 212, 312, 415, 617, 718];

/// Seed the demo practice into `store` unless it is already there.
pub fn seed(
    store: &mut Store,
    config: &Config,
    seed: u64,
    size: DemoSize,
    now: DateTime<Utc>,
) -> Result<Seeded, StoreError> {
    if let Some(at) = store::settings::get(&store, SEEDED_KEY)? {
        return Ok(Seeded::Reused { seeded_at: at });
    }
    let tz = config.practice.time_zone;
    let region = config.practice.region.clone();
    store.write(|conn| {
        // One change-log row for the whole seed rather than one per row it writes.
        let logging = store::changes::pause_logging(conn)?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (clinicians, types) = seed_reference(conn)?;

        let firsts = names(FIRST_NAMES);
        let lasts = names(LAST_NAMES);
        let mut patients = Vec::with_capacity(size.patients);
        for i in 0..size.patients {
            let p = new_patient(&mut rng, i, &firsts, &lasts, &region, tz);
            let created = now - Duration::days(rng.random_range(60..2000));
            let id = store::patients::insert(conn, &p, created)?;
            seed_consent(conn, &mut rng, id, p.mobile.is_some(), created)?;
            patients.push(id);
        }

        let today = now.with_timezone(&tz).date_naive();
        let mut appointments = 0;
        for offset in -size.days_back..=size.days_ahead {
            let day = today + Duration::days(offset);
            if matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
                continue;
            }
            let roster = Roster {
                tz,
                types: &types,
                patients: &patients,
                now,
            };
            for clinician in &clinicians {
                appointments += seed_day(conn, &mut rng, roster, day, *clinician)?;
            }
        }
        let messages = history::seed(
            conn,
            &mut rng,
            config,
            now - Duration::days(size.days_back),
            now,
        )?;
        store::settings::set(conn, SEEDED_KEY, &now.to_rfc3339())?;
        store::marker::mark(conn, store::marker::DbKind::Demo)?;
        let event = DemoSeeded {
            seed,
            scale: DemoScale::Practice,
            patients: patients.len(),
            appointments,
            messages,
        };
        store::audit::append(conn, &event.entry(now, SEED_ACTOR))?;
        store::changes::resume_logging(conn, logging)?;
        Ok(Seeded::Created {
            clinicians: clinicians.len(),
            patients: patients.len(),
            appointments,
        })
    })
}

/// The practice's clinicians and appointment types (with their minutes).
type Reference = (Vec<ClinicianId>, Vec<(AppointmentTypeId, u32)>);

fn seed_reference(conn: &impl Write) -> Result<Reference, StoreError> {
    let clinicians = CLINICIANS
        .iter()
        .map(|name| store::reference::insert_clinician(conn, name))
        .collect::<Result<_, _>>()?;
    let types = TYPES
        .iter()
        .map(|(name, label, minutes)| {
            Ok((
                store::reference::insert_type(conn, name, label, *minutes)?,
                *minutes,
            ))
        })
        .collect::<Result<_, StoreError>>()?;
    Ok((clinicians, types))
}

fn names(list: &str) -> Vec<&str> {
    list.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn new_patient(
    rng: &mut ChaCha8Rng,
    i: usize,
    firsts: &[&str],
    lasts: &[&str],
    region: &str,
    tz: Tz,
) -> NewPatient {
    // Every patient gets a distinct fictional number; about 8 % have none on file.
    let mobile = if rng.random_bool(0.92) {
        let area = AREA_CODES[i / 100 % AREA_CODES.len()];
        E164::parse(&format!("({area}) 555-01{:02}", i % 100), region).ok()
    } else {
        None
    };
    let birth = NaiveDate::from_ymd_opt(
        rng.random_range(1935..2023),
        rng.random_range(1..=12),
        rng.random_range(1..=28),
    );
    // A few patients live in another zone (snowbirds, students) to exercise patient-zone rendering.
    let time_zone = if rng.random_bool(0.03) {
        Some(chrono_tz::America::Chicago).filter(|z| *z != tz)
    } else {
        None
    };
    NewPatient {
        external_id: Some(format!("DEMO-{:05}", i + 1)),
        first_name: pick(rng, firsts).to_string(),
        last_name: pick(rng, lasts).to_string(),
        birth_date: birth,
        mobile,
        time_zone,
        portal_active: rng.random_bool(0.55),
    }
}

/// Consent mix: most opted in with evidence, some opted out, some never asked, a few
/// imported opt-ins without evidence (which count as no consent until fixed).
fn seed_consent(
    conn: &impl Write,
    rng: &mut ChaCha8Rng,
    patient: PatientId,
    has_mobile: bool,
    created: DateTime<Utc>,
) -> Result<(), StoreError> {
    if !has_mobile {
        return Ok(());
    }
    let roll: f64 = rng.random();
    let at = created + Duration::days(rng.random_range(0..30));
    let method = *pick(
        rng,
        &[
            ConsentMethod::WrittenForm,
            ConsentMethod::ESignature,
            ConsentMethod::Portal,
        ],
    );
    let opt_in = ConsentEvent {
        kind: ConsentKind::OptIn,
        method,
        evidence: Some(format!("{}-{:05}", evidence_prefix(method), patient.0)),
        recorded_by: "reception".into(),
        at,
    };
    if roll < 0.62 {
        store::consent::append(conn, patient, &opt_in)?;
    } else if roll < 0.72 {
        store::consent::append(conn, patient, &opt_in)?;
        let out = ConsentEvent {
            kind: ConsentKind::OptOut,
            method: *pick(rng, &[ConsentMethod::SmsKeyword, ConsentMethod::Verbal]),
            evidence: None,
            recorded_by: "system".into(),
            at: at + Duration::days(rng.random_range(5..200)),
        };
        store::consent::append(conn, patient, &out)?;
    } else if roll < 0.77 {
        store::consent::append(
            conn,
            patient,
            &ConsentEvent {
                evidence: None,
                ..opt_in
            },
        )?;
    }
    Ok(())
}

fn evidence_prefix(method: ConsentMethod) -> &'static str {
    match method {
        ConsentMethod::WrittenForm => "FORM",
        ConsentMethod::ESignature => "ESIG",
        _ => "PORTAL",
    }
}

/// What every seeded day draws from: the practice's zone, its appointment types (with
/// their minutes), its patients, and the moment the demo is seeded at.
#[derive(Clone, Copy)]
struct Roster<'a> {
    tz: Tz,
    types: &'a [(AppointmentTypeId, u32)],
    patients: &'a [PatientId],
    now: DateTime<Utc>,
}

/// One clinician's day: slots from 08:00 to 17:30, about three in four filled.
fn seed_day(
    conn: &impl Write,
    rng: &mut ChaCha8Rng,
    roster: Roster<'_>,
    day: NaiveDate,
    clinician: ClinicianId,
) -> Result<usize, StoreError> {
    let Roster {
        tz,
        types,
        patients,
        now,
    } = roster;
    let close = NaiveTime::from_hms_opt(17, 30, 0).unwrap_or(NaiveTime::MIN);
    let mut t = NaiveTime::from_hms_opt(8, 0, 0).unwrap_or(NaiveTime::MIN);
    let mut n = 0;
    loop {
        let (type_id, minutes) = *pick(rng, types);
        let end = t + Duration::minutes(i64::from(minutes));
        if end > close || end < t {
            break;
        }
        if rng.random_bool(0.75) {
            let Some(start) = tz.from_local_datetime(&day.and_time(t)).earliest() else {
                t = end;
                continue;
            };
            let start = start.with_timezone(&Utc);
            let booked_at = start
                - Duration::days(rng.random_range(1..60))
                - Duration::hours(rng.random_range(0..9));
            // Drawn in the order they always were, so the demo stays the same.
            let patient_id = *pick(rng, patients);
            let status = outcome(rng, start, minutes, now);
            let booked_at = booked_at.min(now);
            let cancelled = status == AppointmentStatus::Cancelled;
            let id = store::appointments::insert(
                conn,
                &NewAppointment {
                    external_id: None,
                    patient_id,
                    clinician_id: clinician,
                    type_id,
                    start,
                    duration_minutes: minutes,
                    status: if cancelled {
                        AppointmentStatus::Booked
                    } else {
                        status
                    },
                    booked_at,
                },
            )?;
            if cancelled {
                // The patient called to cancel, with a spread of notice (some under 24 h, so
                // the statistics have late cancellations); no random draw.
                let notice = Duration::hours([2, 6, 20, 30, 50, 80, 150, 300][id.0 as usize % 8]);
                let at = (start - notice).max(booked_at).min(now);
                store::appointments::set_status(
                    conn,
                    id,
                    AppointmentStatus::Booked,
                    AppointmentStatus::Cancelled,
                    "reception",
                    at,
                )?;
            }
            n += 1;
        }
        // Round to the next 10 minutes so times look like a real book.
        t = end + Duration::minutes(i64::from((10 - minutes % 10) % 10));
    }
    Ok(n)
}

/// A plausible status for an appointment at `start`, seen at `now`.
fn outcome(
    rng: &mut ChaCha8Rng,
    start: DateTime<Utc>,
    minutes: u32,
    now: DateTime<Utc>,
) -> AppointmentStatus {
    use AppointmentStatus::*;
    let end = start + Duration::minutes(i64::from(minutes));
    let roll: f64 = rng.random();
    if now >= end + Duration::minutes(30) {
        // The past: ~6 % cancelled, ~9 % of the rest no-shows, the others seen.
        if roll < 0.06 {
            Cancelled
        } else if roll < 0.145 {
            NoShow
        } else {
            Completed
        }
    } else if now >= start {
        // Under way or just ended: mostly here; a late one may still turn up.
        if roll < 0.8 { Arrived } else { Confirmed }
    } else if roll < 0.04 {
        Cancelled
    } else if start - now < Duration::days(3) && roll < 0.55 {
        Confirmed
    } else {
        Booked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 14, 30, 0).unwrap()
    }

    fn seeded(seed_value: u64) -> Store {
        let mut store = Store::open_in_memory().unwrap();
        seed(
            &mut store,
            &Config::default(),
            seed_value,
            DemoSize::default(),
            now(),
        )
        .unwrap();
        store
    }

    fn statuses(store: &Store) -> Vec<(String, i64)> {
        let mut stmt = store
            .test_conn()
            .prepare("SELECT status, COUNT(*) FROM appointments GROUP BY status ORDER BY status")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn seeds_a_realistic_practice() {
        let store = seeded(7);
        let c = store.test_conn();
        assert_eq!(store::patients::count(c).unwrap(), 400);
        let appts = store::appointments::count(c).unwrap();
        assert!((1200..3000).contains(&appts), "{appts} appointments");
        let past: (i64, i64) = c
            .query_row(
                "SELECT SUM(status = 'no_show'), SUM(status IN ('completed','arrived','no_show'))
                   FROM appointments WHERE start_at < ?1",
                [store::ts(now())],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let rate = past.0 as f64 / past.1 as f64;
        assert!((0.05..=0.15).contains(&rate), "no-show rate {rate}");
        let names: i64 = c
            .query_row("SELECT COUNT(DISTINCT last_name) FROM patients", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert!(names > 60, "only {names} family names");
        let accented: i64 = c
            .query_row("SELECT COUNT(*) FROM patients WHERE first_name GLOB '*[^ -~]*' OR last_name GLOB '*[^ -~]*'", [], |r| r.get(0))
            .unwrap();
        assert!(accented > 10, "{accented} non-ASCII names");
        let no_mobile: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM patients WHERE mobile IS NULL",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!((10..80).contains(&no_mobile), "{no_mobile} without mobile");
        // Every seeded patient is in the search's folded names and trigram index.
        let unfolded: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM patients WHERE search_last IS NULL",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(unfolded, 0);
        store::patient_search::assert_consistent(c);
    }

    #[test]
    fn appointments_fall_on_weekdays_in_opening_hours() {
        let store = seeded(7);
        let tz = Config::default().practice.time_zone;
        let all = store::appointments::starting_between(
            store.test_conn(),
            now() - Duration::days(40),
            now() + Duration::days(40),
        )
        .unwrap();
        for a in &all {
            let local = a.start.with_timezone(&tz);
            assert!(
                !matches!(local.weekday(), Weekday::Sat | Weekday::Sun),
                "{local}"
            );
            let end = local.time() + Duration::minutes(i64::from(a.duration_minutes));
            assert!(
                local.time() >= NaiveTime::from_hms_opt(8, 0, 0).unwrap()
                    && end <= NaiveTime::from_hms_opt(17, 30, 0).unwrap(),
                "{local}"
            );
            if a.start > now() {
                assert!(
                    a.status.is_open() || a.status == AppointmentStatus::Cancelled,
                    "future {:?}",
                    a.status
                );
            }
        }
    }

    #[test]
    fn consent_mix_has_evidence_opt_outs_and_none() {
        let store = seeded(7);
        let ids: Vec<PatientId> = (1..=400).map(PatientId).collect();
        let states = store::consent::states(store.test_conn(), &ids).unwrap();
        let count = |f: crate::domain::consent::ConsentFlag| {
            states.values().filter(|s| s.flag() == f).count()
        };
        use crate::domain::consent::ConsentFlag::*;
        assert!(count(OptedIn) > 150, "{}", count(OptedIn));
        assert!(count(OptedOut) > 15, "{}", count(OptedOut));
        assert!(count(None) > 50, "{}", count(None));
    }

    #[test]
    fn history_has_reminders_replies_and_an_inbox_and_only_past_moments() {
        let store = seeded(7);
        let c = store.test_conn();
        let count = |sql: &str| -> i64 { c.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert!(
            count("SELECT COUNT(*) FROM messages WHERE direction = 'out' AND status = 'delivered'")
                > 500
        );
        assert!(count("SELECT COUNT(*) FROM replies WHERE classification = 'confirm'") > 50);
        let future: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM messages WHERE created_at > ?1",
                [store::ts(now())],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(future, 0, "no message dated after now");
        // Every history row carries a real reminder key, so `remind` continues rather than repeats.
        let keys: Vec<String> = c
            .prepare("SELECT idempotency_key FROM messages WHERE direction = 'out'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(
            keys.iter()
                .all(|k| crate::domain::reminder::ReminderKey::parse(k).is_some()),
            "keys parse"
        );
        // Only opted-in patients were texted.
        let texted_without_consent = count(
            "SELECT COUNT(*) FROM messages m WHERE direction = 'out' AND NOT EXISTS
               (SELECT 1 FROM consent_events e WHERE e.patient_id = m.patient_id AND e.kind = 'opt_in' AND e.evidence IS NOT NULL)",
        );
        assert_eq!(texted_without_consent, 0);
    }

    #[test]
    fn same_seed_same_practice_and_reruns_reuse() {
        assert_eq!(statuses(&seeded(7)), statuses(&seeded(7)));
        assert_ne!(statuses(&seeded(7)), statuses(&seeded(8)));
        let mut store = seeded(7);
        let again = seed(
            &mut store,
            &Config::default(),
            7,
            DemoSize::default(),
            now(),
        )
        .unwrap();
        assert!(matches!(again, Seeded::Reused { .. }));
        assert_eq!(store::patients::count(store.test_conn()).unwrap(), 400);
    }
}
