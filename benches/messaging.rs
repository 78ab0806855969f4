//! The messaging engine's speed targets (issue 4, "Speed"): planning 1,000 appointments
//! (budget 20 ms), a batch of 1,000 reminders through `remind::run` to the local fake Twilio
//! with no rate limit (budget 3 s), and the peak RSS of a real `frontdesk remind` sending
//! 1,000 reminders to the fake (budget 60 MB, measured with `/usr/bin/time -v`).
//! Run: `cargo bench --bench messaging`. Figures: docs/BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark may fail loudly

#[path = "../tests/fake_twilio/mod.rs"]
mod fake_twilio;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::America::{Los_Angeles, New_York};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use fake_twilio::{AUTH_TOKEN, FakeTwilio};
use frontdesk::clock::Clock;
use frontdesk::config::Config;
use frontdesk::domain::appointment::{Appointment, AppointmentStatus};
use frontdesk::domain::consent::{ConsentEvent, ConsentKind, ConsentMethod, ConsentState};
use frontdesk::domain::ids::{AppointmentId, AppointmentTypeId, ClinicianId, PatientId};
use frontdesk::domain::message::MessageStatus;
use frontdesk::domain::phone::E164;
use frontdesk::domain::reminder::{
    self, PatientFacts, PlanInput, PlanMode, RecentSend, ReminderMessage, reminder_key,
};
use frontdesk::phi::Gate;
use frontdesk::provider::retry::RetryPolicy;
use frontdesk::store::appointments::NewAppointment;
use frontdesk::store::patients::NewPatient;
use frontdesk::store::{self, Store};
use frontdesk::workflow::dispatch::Dispatcher;
use frontdesk::workflow::remind;
use tempfile::TempDir;

/// Wed 25 Nov 2026, 09:30 in New York.
fn now() -> DateTime<Utc> {
    New_York
        .with_ymd_and_hms(2026, 11, 25, 9, 30, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// 1,000 appointments over the next three days for 800 patients (200 of them booked twice),
/// a quarter in Los Angeles, a mix of consent states and statuses, with a week of history and
/// message rows for a third of the appointments — the shape a real morning run sees.
fn planner_input() -> (Vec<PatientFacts>, Vec<Appointment>, Vec<ReminderMessage>) {
    let now = now();
    let patients: Vec<PatientFacts> = (0..800)
        .map(|i| PatientFacts {
            id: PatientId(i),
            zone: if i % 4 == 0 { Los_Angeles } else { New_York },
            has_mobile: i % 37 != 0,
            number_flag: (i % 53 == 0).then(|| "21211".to_string()),
            consent: match i % 10 {
                0 => ConsentState::None,
                1 => ConsentState::OptedOut {
                    since: now - chrono::Duration::days(30),
                    method: ConsentMethod::SmsKeyword,
                },
                _ => ConsentState::OptedIn {
                    since: now - chrono::Duration::days(200),
                    method: ConsentMethod::WrittenForm,
                    evidence: format!("FORM-{i}"),
                },
            },
            recent: (0..(i % 3))
                .map(|d| RecentSend {
                    at: now - chrono::Duration::days(d + 1),
                    kind: frontdesk::domain::message::MessageKind::Reminder24h,
                })
                .collect(),
            last_outbound: Some(now - chrono::Duration::days(1)),
        })
        .collect();
    let appointments: Vec<Appointment> = (0..1000)
        .map(|i| {
            let start = now + chrono::Duration::minutes(30 + (i * 4) % (72 * 60));
            Appointment {
                id: AppointmentId(i),
                patient_id: PatientId(i % 800),
                clinician_id: ClinicianId(i % 6),
                type_id: AppointmentTypeId(1),
                start,
                duration_minutes: 20,
                status: match i % 25 {
                    0 => AppointmentStatus::Cancelled,
                    1 => AppointmentStatus::Confirmed,
                    _ => AppointmentStatus::Booked,
                },
                booked_at: now - chrono::Duration::days(20),
                callback_requested: false,
                to_rebook: false,
            }
        })
        .collect();
    let messages: Vec<ReminderMessage> = appointments
        .iter()
        .filter(|a| a.id.0 % 3 == 0)
        .map(|a| ReminderMessage {
            key: reminder_key(a.id, a.start, 48),
            status: MessageStatus::Delivered,
            error_code: None,
        })
        .collect();
    (patients, appointments, messages)
}

/// A practice database in `dir` with `n` opted-in patients, each with one appointment whose
/// 24-hour reminder is due at [`now`] (Wed 12:00 to Thu 08:00, five per slot).
fn practice(dir: &Path, n: i64) -> Store {
    let mut store = Store::open(&dir.join("practice.db")).unwrap();
    let added = now() - chrono::Duration::days(90);
    store
        .write(|c| {
            let clinician = store::reference::insert_clinician(c, "Dr. Okafor")?;
            let ty = store::reference::insert_type(c, "Annual physical", "Check-up", 30)?;
            for i in 0..n {
                let p = store::patients::insert(
                    c,
                    &NewPatient {
                        external_id: None,
                        first_name: format!("Pat{i:04}"),
                        last_name: "Bench".into(),
                        birth_date: None,
                        mobile: Some(E164::try_from(format!("+1201555{:04}", 1000 + i)).unwrap()),
                        time_zone: None,
                        portal_active: true,
                    },
                    added,
                )?;
                store::consent::append(
                    c,
                    p,
                    &ConsentEvent {
                        kind: ConsentKind::OptIn,
                        method: ConsentMethod::WrittenForm,
                        evidence: Some(format!("FORM-{i}")),
                        recorded_by: "desk".into(),
                        at: added,
                    },
                )?;
                let start = New_York
                    .with_ymd_and_hms(2026, 11, 25, 12, 0, 0)
                    .unwrap()
                    .with_timezone(&Utc)
                    + chrono::Duration::minutes(6 * (i % 200));
                store::appointments::insert(
                    c,
                    &NewAppointment {
                        external_id: None,
                        patient_id: p,
                        clinician_id: clinician,
                        type_id: ty,
                        start,
                        duration_minutes: 30,
                        status: AppointmentStatus::Booked,
                        booked_at: added,
                    },
                )?;
            }
            Ok::<_, store::StoreError>(())
        })
        .unwrap();
    store
}

fn twilio_config(fake: &FakeTwilio, rate: &str) -> (String, Config) {
    let text = format!(
        "[practice]\nname = \"Riverside Family Practice\"\nphone = \"+15555550100\"\n\
         time_zone = \"America/New_York\"\nportal_url = \"https://portal.example.org\"\n\n\
         [sms]\nprovider = \"twilio\"\n{rate}\n\n{}",
        fake.config_toml("FRONTDESK_BENCH_TWILIO_TOKEN")
    );
    let config = Config::parse(&text, Path::new("config.toml")).unwrap();
    (text, config)
}

fn bench(c: &mut Criterion) {
    let config = Config::default();
    let (patients, appointments, messages) = planner_input();
    c.bench_function("plan 1,000 appointments (800 patients, 2 zones)", |b| {
        b.iter(|| {
            let plan = reminder::plan(
                &config.reminders,
                now(),
                PlanMode::Scheduled,
                &PlanInput {
                    patients: &patients,
                    appointments: &appointments,
                    messages: &messages,
                    later: &[],
                },
            );
            std::hint::black_box(plan.sends.len())
        })
    });

    let mut group = c.benchmark_group("remind");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.bench_function(
        "remind::run: 1,000 due reminders to the local fake Twilio, no rate limit",
        |b| {
            b.iter_batched(
                || {
                    let dir = TempDir::new().unwrap();
                    let store = practice(dir.path(), 1000);
                    let fake = FakeTwilio::start_at(now());
                    (dir, store, fake)
                },
                |(dir, mut store, fake)| {
                    let (_, config) = twilio_config(&fake, "");
                    let d = Dispatcher {
                        provider: Arc::new(fake.provider()),
                        policy: RetryPolicy::default(),
                        concurrency: config.sms.concurrency as usize,
                        rate_per_second: None,
                        jitter_seed: Some(1),
                        quiet: None,
                    };
                    let gate = Gate::with_allow_list(&[]);
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    let report = rt
                        .block_on(remind::run(
                            &d,
                            &mut store,
                            &config,
                            &gate,
                            &Clock::Fixed(now()),
                            false,
                            &mut |_| {},
                        ))
                        .unwrap();
                    assert_eq!(report.sent, 1000);
                    (dir, store, fake)
                },
                BatchSize::PerIteration,
            )
        },
    );
    group.finish();

    binary_peak_rss();
}

/// `frontdesk remind` (this profile's build) sending 1,000 reminders to the fake, under
/// `/usr/bin/time -v`: prints its wall time and peak RSS. Skipped, saying so, without the tool.
fn binary_peak_rss() {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        println!("peak RSS: skipped, /usr/bin/time is missing (apt-get install time)");
        return;
    }
    let dir = TempDir::new().unwrap();
    drop(practice(dir.path(), 1000));
    let fake = FakeTwilio::start_at(now());
    // 1,000 per second is the most the config allows.
    let (toml, _) = twilio_config(&fake, "rate_per_second = 1000");
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, toml).unwrap();
    // The binary refuses a configuration others can read (it names the token's variable).
    #[cfg(unix)]
    std::fs::set_permissions(&cfg, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let out = std::process::Command::new(time)
        .arg("-v")
        .arg(env!("CARGO_BIN_EXE_frontdesk"))
        .arg("--db")
        .arg(dir.path().join("practice.db"))
        .arg("--config")
        .arg(&cfg)
        .args(["remind", "--json"])
        .env_clear()
        .env("HOME", dir.path())
        .env("FRONTDESK_BENCH_TWILIO_TOKEN", AUTH_TOKEN)
        .env("FRONTDESK_NOW", now().to_rfc3339())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["sent"], 1000);
    assert_eq!(fake.created().len(), 1000);
    let field = |name: &str| {
        stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .map(str::trim)
            .unwrap_or("?")
            .to_string()
    };
    let kb: f64 = field("Maximum resident set size (kbytes):")
        .parse()
        .unwrap_or(f64::NAN);
    println!(
        "frontdesk remind, 1,000 reminders to the fake (rate 1000/s): wall {}, peak RSS {:.1} MB ({} kB)",
        field("Elapsed (wall clock) time (h:mm:ss or m:ss):"),
        kb / 1024.0,
        kb
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
