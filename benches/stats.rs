//! Statistics speed (issue 12): 12 weeks on the demo practice (< 20 ms), and on a generated
//! database of 2,000,000 appointments, 12 weeks (< 200 ms) and a year (< 1 s).
//! Run: `cargo bench --bench stats`. Figures and query plans: docs/BENCHMARKS.md.
//!
//! The 2M database is generated once (about a minute) and cached as
//! `target/tmp/stats-2m-v1.db`; delete it to regenerate. Its shape: 100,000 patients, 60
//! clinicians, 12 types, appointments on weekdays over 156 weeks ending three weeks after
//! "now" (about 12,800 a week), 48 h and 24 h reminders for consenting patients, replies.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark may fail loudly

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use criterion::{Criterion, criterion_group, criterion_main};
use frontdesk::config::Config;
use frontdesk::domain::ids::AppointmentId;
use frontdesk::domain::reminder::reminder_key;
use frontdesk::domain::stats::{self as domain_stats, Names, Period, Preset, Rules, StatsInput};
use frontdesk::store::Store;
use frontdesk::store::stats as store_stats;
use frontdesk::workflow::{demo, stats};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::{Connection, params};

const APPOINTMENTS: usize = 2_000_000;
const PATIENTS: i64 = 100_000;
const CLINICIANS: i64 = 60;
const TYPES: i64 = 12;
const WEEKS: i64 = 156;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 14, 30, 0).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

/// The cached 2M database, generated when missing.
fn big_db() -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("stats-2m-v1.db");
    if !path.exists() {
        let tmp = path.with_extension("partial");
        let _ = std::fs::remove_file(&tmp);
        let started = Instant::now();
        drop(Store::open(&tmp).unwrap()); // the schema, by the real migrations
        generate(&tmp);
        std::fs::rename(&tmp, &path).unwrap();
        eprintln!("generated {} in {:.1?}", path.display(), started.elapsed());
    }
    path
}

/// Consent of one generated patient.
#[derive(Clone, Copy, PartialEq)]
enum Consent {
    None,
    In(i64),
    Out,
    Unverified,
}

fn generate(path: &Path) {
    let mut conn = Connection::open(path).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -1000000;",
    )
    .unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    let tx = conn.transaction().unwrap();
    for c in 0..CLINICIANS {
        tx.execute(
            "INSERT INTO clinicians (display_name) VALUES (?1)",
            [format!("Clinician {c:02}")],
        )
        .unwrap();
    }
    for t in 0..TYPES {
        tx.execute(
            "INSERT INTO appointment_types (name, sms_label, default_minutes) VALUES (?1, 'Visit', 20)",
            [format!("Type {t:02}")],
        )
        .unwrap();
    }
    let created = now().timestamp() - 5 * 365 * 86_400;
    let mut consent = Vec::with_capacity(PATIENTS as usize);
    {
        let mut p = tx
            .prepare("INSERT INTO patients (first_name, last_name, mobile, created_at) VALUES ('Pat', ?1, ?2, ?3)")
            .unwrap();
        let mut ev = tx
            .prepare("INSERT INTO consent_events (patient_id, kind, method, evidence, recorded_by, recorded_at) VALUES (?1, ?2, 'written_form', ?3, 'reception', ?4)")
            .unwrap();
        for i in 1..=PATIENTS {
            let mobile = rng.random_bool(0.9).then(|| format!("+1201555{i:04}"));
            p.execute(params![format!("Patient{i}"), mobile, created])
                .unwrap();
            let at = created + rng.random_range(0..4 * 365 * 86_400);
            let roll: f64 = rng.random();
            let c = if mobile.is_none() || roll >= 0.78 {
                Consent::None
            } else if roll < 0.65 {
                Consent::In(at)
            } else if roll < 0.73 {
                Consent::Out
            } else {
                Consent::Unverified
            };
            if c != Consent::None {
                let evidence = (c != Consent::Unverified).then(|| format!("FORM-{i}"));
                ev.execute(params![i, "opt_in", evidence, at]).unwrap();
            }
            if c == Consent::Out {
                ev.execute(params![i, "opt_out", "SM", at + 86_400 * 30])
                    .unwrap();
            }
            consent.push(c);
        }
    }
    appointments_and_messages(&tx, &mut rng, &consent);
    tx.commit().unwrap();
    conn.execute_batch("PRAGMA journal_mode = WAL;").unwrap();
}

fn appointments_and_messages(tx: &Connection, rng: &mut ChaCha8Rng, consent: &[Consent]) {
    let now = now().timestamp();
    let tz = chrono_tz::America::New_York;
    let first = today() - Duration::weeks(WEEKS - 3);
    let days: Vec<NaiveDate> = (0..WEEKS * 7)
        .map(|d| first + Duration::days(d))
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .collect();
    let mut a = tx
        .prepare("INSERT INTO appointments (id, patient_id, clinician_id, type_id, start_at, duration_minutes, status, status_changed_at, booked_at, cancelled_at, confirmed_at) VALUES (?1, ?2, ?3, ?4, ?5, 20, ?6, ?7, ?8, ?9, ?10)")
        .unwrap();
    let mut out = tx
        .prepare("INSERT INTO messages (direction, kind, patient_id, appointment_id, idempotency_key, to_number, body, status, provider, provider_id, created_by, created_at, sent_at, updated_at, delivered_at, error_code) VALUES ('out', ?1, ?2, ?3, ?4, '+12015550000', 'Riverside: see you soon. Reply STOP to opt out.', ?5, 'twilio', ?6, 'system', ?7, ?7, ?7, ?8, ?9)")
        .unwrap();
    let mut inbound = tx
        .prepare("INSERT INTO messages (direction, kind, patient_id, to_number, body, status, provider, provider_id, created_by, created_at, updated_at) VALUES ('in', 'reply', ?1, '+15555550123', 'C', 'received', 'twilio', ?2, 'patient', ?3, ?3)")
        .unwrap();
    let per_day = APPOINTMENTS.div_ceil(days.len());
    for i in 0..APPOINTMENTS {
        let day = days[i / per_day];
        let local =
            day.and_hms_opt(8, 0, 0).unwrap() + Duration::minutes(10 * rng.random_range(0..57));
        let start = tz
            .from_local_datetime(&local)
            .earliest()
            .unwrap()
            .timestamp();
        let booked = start - rng.random_range(3_600..60 * 86_400);
        let patient = rng.random_range(1..=PATIENTS);
        let roll: f64 = rng.random();
        let (status, cancelled) = if start >= now {
            (if roll < 0.3 { "confirmed" } else { "booked" }, None)
        } else if roll < 0.07 {
            (
                "cancelled",
                Some((start - rng.random_range(3_600..200 * 3_600)).max(booked)),
            )
        } else if roll < 0.155 {
            ("no_show", None)
        } else {
            ("completed", None)
        };
        let id = i as i64 + 1;
        let reachable =
            matches!(consent[patient as usize - 1], Consent::In(since) if since < booked);
        // Decide the texts first: the appointment row (which they reference) says whether
        // the patient confirmed.
        let mut texts = Vec::new();
        for offset in [48_i64, 24] {
            let due = start - offset * 3_600;
            if !reachable || due >= now || due < booked || cancelled.is_some_and(|c| c <= due) {
                continue;
            }
            let r: f64 = rng.random();
            let (st, delivered, code) = if r < 0.93 {
                ("delivered", Some(due + 20), None)
            } else if r < 0.97 {
                ("sent", None, None)
            } else {
                ("failed", None, Some("30005"))
            };
            texts.push((offset, due, st, delivered, code));
        }
        let reminded = texts.iter().any(|t| t.2 != "failed");
        let confirmed = (reminded && rng.random_bool(0.4)).then_some(start - 20 * 3_600);
        a.execute(params![
            id,
            patient,
            rng.random_range(1..=CLINICIANS),
            rng.random_range(1..=TYPES),
            start,
            status,
            cancelled.or(confirmed),
            booked,
            cancelled,
            confirmed
        ])
        .unwrap();
        for (offset, due, st, delivered, code) in texts {
            let at = DateTime::from_timestamp(start, 0).unwrap();
            let key = reminder_key(AppointmentId(id), at, offset as u32);
            let kind = if offset == 48 {
                "reminder-48h"
            } else {
                "reminder-24h"
            };
            let sid = format!("SM{id}-{offset}");
            out.execute(params![
                kind, patient, id, key, st, sid, due, delivered, code
            ])
            .unwrap();
        }
        if let Some(at) = confirmed {
            inbound
                .execute(params![patient, format!("IN{id}"), at])
                .unwrap();
        }
    }
}

/// The hot queries' plans and each load step's time, printed once for docs/BENCHMARKS.md.
fn describe(path: &Path, config: &Config, period: Period) {
    let store = Store::open(path).unwrap();
    let conn = &store;
    // The plans come from a connection of the bench's own: the store hands out none.
    let raw = Connection::open(path).unwrap();
    for sql in [
        "SELECT id, patient_id, clinician_id, type_id, start_at, status, booked_at, cancelled_at, confirmed_at FROM appointments WHERE start_at >= ?1 AND start_at < ?2",
        "SELECT idempotency_key, status FROM messages WHERE created_at >= ?1 AND created_at < ?2 AND direction = 'out' AND idempotency_key >= 'reminder:' AND idempotency_key < 'reminder;'",
        "SELECT recorded_at FROM consent_events WHERE recorded_at >= ?1 AND recorded_at < ?2 AND kind = 'opt_out'",
        "SELECT patient_id, kind, method, evidence, recorded_by, recorded_at, id FROM consent_events",
        "SELECT id FROM patients WHERE mobile IS NOT NULL",
    ] {
        let mut stmt = raw.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let n = stmt.parameter_count();
        let args: Vec<i64> = (0..n as i64).collect();
        let plan: Vec<String> = stmt
            .query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        eprintln!("PLAN {} => {}", &sql[..sql.len().min(60)], plan.join("; "));
    }
    stats::compute(conn, config, period, now()).unwrap(); // warm the cache and statements
    let (from, to) = period.bounds(config.practice.time_zone);
    let t = Instant::now();
    let appts = store_stats::appointments(conn, from, to).unwrap();
    let t1 = t.elapsed();
    let rows = store_stats::reminder_covers(conn, from - Duration::hours(120), to).unwrap();
    let t2 = t.elapsed();
    let consent = store_stats::consent_timelines(conn).unwrap();
    let t3 = t.elapsed();
    let mobiles = store_stats::patients_with_mobile(conn).unwrap();
    let t4 = t.elapsed();
    let opt_outs = store_stats::opt_outs(conn, from, to).unwrap();
    let names = Names::default();
    let t5 = t.elapsed();
    let report = domain_stats::compute(&StatsInput {
        period,
        tz: config.practice.time_zone,
        now: now(),
        rules: Rules {
            max_offset_hours: 48,
            min_lead_minutes: 120,
        },
        appointments: &appts,
        reminders: &rows,
        consent: &consent,
        mobiles: &mobiles,
        opt_outs: &opt_outs,
        names: &names,
    });
    let t6 = t.elapsed();
    eprintln!(
        "{} to {}: {} appointments ({:.1?}), {} reminder rows ({:.1?}), {} patients' consent ({:.1?}), {} mobiles ({:.1?}), pure computation {:.1?}; no-show rate {:?}",
        period.from,
        period.to,
        appts.len(),
        t1,
        rows.len(),
        t2 - t1,
        consent.len(),
        t3 - t2,
        mobiles.len(),
        t4 - t3,
        t6 - t5,
        report.rates.no_show_rate
    );
}

/// This process's CPU time (user + system) in milliseconds, from /proc (Linux): what one
/// computation costs when other builds share the cores and wall time is noisy.
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let ticks: f64 = fields
        .get(11..13)
        .map(|f| f.iter().filter_map(|x| x.parse::<f64>().ok()).sum())
        .unwrap_or(0.0);
    ticks * 10.0 // USER_HZ is 100 on Linux
}

/// CPU time of each load step and of the pure computation, over `runs` runs.
fn phases(path: &Path, config: &Config, period: Period, runs: u32) {
    let store = Store::open(path).unwrap();
    let conn = &store;
    let (from, to) = period.bounds(config.practice.time_zone);
    let cpu = |f: &mut dyn FnMut()| {
        let c = cpu_ms();
        for _ in 0..runs {
            f();
        }
        (cpu_ms() - c) / f64::from(runs)
    };
    let a = cpu(&mut || drop(store_stats::appointments(conn, from, to).unwrap()));
    let r = cpu(&mut || {
        drop(store_stats::reminder_covers(conn, from - Duration::hours(120), to).unwrap())
    });
    let c = cpu(&mut || drop(store_stats::consent_timelines(conn).unwrap()));
    let m = cpu(&mut || drop(store_stats::patients_with_mobile(conn).unwrap()));
    let appts = store_stats::appointments(conn, from, to).unwrap();
    let rows = store_stats::reminder_covers(conn, from - Duration::hours(120), to).unwrap();
    let consent = store_stats::consent_timelines(conn).unwrap();
    let mobiles = store_stats::patients_with_mobile(conn).unwrap();
    let names = Names::default();
    let p = cpu(&mut || {
        drop(domain_stats::compute(&StatsInput {
            period,
            tz: config.practice.time_zone,
            now: now(),
            rules: Rules {
                max_offset_hours: 48,
                min_lead_minutes: 120,
            },
            appointments: &appts,
            reminders: &rows,
            consent: &consent,
            mobiles: &mobiles,
            opt_outs: &[],
            names: &names,
        }))
    });
    eprintln!(
        "CPU {} to {}: appointments {a:.1} ms, reminder covers {r:.1} ms, consent {c:.1} ms, mobiles {m:.1} ms, pure {p:.1} ms",
        period.from, period.to
    );
}

/// Wall and CPU time per computation, over `runs` runs.
fn per_run(path: &Path, config: &Config, period: Period, runs: u32) {
    let store = Store::open(path).unwrap();
    stats::compute(&store, config, period, now()).unwrap();
    let (wall, cpu) = (Instant::now(), cpu_ms());
    for _ in 0..runs {
        std::hint::black_box(stats::compute(&store, config, period, now()).unwrap());
    }
    eprintln!(
        "PER RUN {} to {}: wall {:.1?}, cpu {:.1} ms ({runs} runs)",
        period.from,
        period.to,
        wall.elapsed() / runs,
        (cpu_ms() - cpu) / f64::from(runs)
    );
}

fn bench(c: &mut Criterion) {
    let config = Config::default();
    let twelve = Period::preset(Preset::Last12Weeks, today());

    // The demo practice with twelve weeks of history behind "now".
    let dir = tempfile::TempDir::new().unwrap();
    let demo_path = dir.path().join("demo.db");
    {
        let mut store = Store::open(&demo_path).unwrap();
        let size = demo::DemoSize {
            patients: 400,
            days_back: 84,
            days_ahead: 21,
        };
        demo::seed(&mut store, &config, 7, size, now()).unwrap();
    }
    describe(&demo_path, &config, twelve);
    per_run(&demo_path, &config, twelve, 100);
    let store = Store::open(&demo_path).unwrap();
    c.bench_function("stats: 12 weeks, demo practice (84 days of history)", |b| {
        b.iter(|| {
            stats::compute(&store, &config, twelve, now())
                .unwrap()
                .totals
                .appointments
        })
    });

    let big = big_db();
    let year = Period::new(today() - Duration::days(364), today()).unwrap();
    describe(&big, &config, twelve);
    describe(&big, &config, year);
    phases(&big, &config, twelve, 10);
    per_run(&big, &config, twelve, 20);
    per_run(&big, &config, year, 5);
    let store = Store::open(&big).unwrap();
    let mut group = c.benchmark_group("stats: 2,000,000 appointments");
    group.sample_size(10);
    group.bench_function("12 weeks", |b| {
        b.iter(|| {
            stats::compute(&store, &config, twelve, now())
                .unwrap()
                .totals
                .appointments
        })
    });
    group.bench_function("a year (52 weeks)", |b| {
        b.iter(|| {
            stats::compute(&store, &config, year, now())
                .unwrap()
                .totals
                .appointments
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
