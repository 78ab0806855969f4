//! The one scenario builder of the flow tests: a practice built with the store functions in a
//! temp dir, its config pointed at the fake Twilio, the workflow run in-process, and the
//! `frontdesk` binary.

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::America::New_York;
use tempfile::TempDir;

use frontdesk::clock::Clock;
use frontdesk::config::Config;
use frontdesk::domain::appointment::AppointmentStatus;
use frontdesk::domain::batch::BatchEvent;
use frontdesk::domain::consent::{ConsentEvent, ConsentKind, ConsentMethod};
use frontdesk::domain::ids::{AppointmentId, AppointmentTypeId, ClinicianId, PatientId};
use frontdesk::domain::message::{Message, MessageStatus};
use frontdesk::domain::phone::E164;
use frontdesk::phi::Gate;
use frontdesk::provider::SmsProvider;
use frontdesk::provider::retry::RetryPolicy;
use frontdesk::store::appointments::NewAppointment;
use frontdesk::store::patients::NewPatient;
use frontdesk::store::{self, Store};
use frontdesk::workflow::dispatch::Dispatcher;
use frontdesk::workflow::remind::{self, RemindReport};

use crate::fake_twilio::{AUTH_TOKEN, FakeTwilio};

/// Every database these tests make is encrypted with this key; the binary gets it in
/// `FRONTDESK_DB_KEY`.
pub const TEST_DB_KEY: &str = "7e577e577e577e577e577e577e577e577e577e577e577e577e577e577e577e57";

pub fn test_db_key() -> frontdesk::store::cipher::DbKey {
    frontdesk::store::cipher::DbKey::from_hex(TEST_DB_KEY).unwrap()
}

/// A raw connection to an encrypted test database, keyed, for SQL of the test's own.
pub fn keyed_sql(path: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path)?;
    conn.execute_batch(
        &frontdesk::store::cipher::DbKey::from_hex(TEST_DB_KEY)
            .expect("a test key")
            .sqlcipher_statements(),
    )?;
    Ok(conn)
}

pub const PRACTICE: &str = "Riverside Family Practice";
/// `+15555550100` as the templates write it.
pub const PRACTICE_PHONE: &str = "555-555-0100";
pub const STOP: &str = "Reply STOP to opt out.";
pub const CLINICIAN: &str = "Dr. Okafor";
/// The environment variable the binary reads the fake's auth token from.
pub const TOKEN_ENV: &str = "FRONTDESK_TEST_TWILIO_TOKEN";

/// A local time in New York (the practice's zone) in Nov 2026.
pub fn ny(day: u32, h: u32, m: u32) -> DateTime<Utc> {
    New_York
        .with_ymd_and_hms(2026, 11, day, h, m, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// A mobile number in the 201 area: `+1201555` followed by four digits.
pub fn mobile(n: u32) -> String {
    format!("+1201555{n:04}")
}

/// A practice in a temp dir: database file, clinician, appointment type; patients and
/// appointments are added with the store functions so every expectation is exact.
pub struct Practice {
    pub dir: TempDir,
    pub db: PathBuf,
    pub store: Store,
    pub clinician: ClinicianId,
    pub ty: AppointmentTypeId,
    /// When patients were added unless a test says otherwise: long enough ago that nobody is
    /// due the onboarding welcome.
    pub added: DateTime<Utc>,
}

/// How a patient stands on SMS consent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consent {
    OptedIn,
    None,
    OptedOut,
}

impl Practice {
    pub fn new() -> Self {
        let dir = TempDir::new().unwrap();
        let db = dir.path().join("practice.db");
        let mut store = Store::open_keyed(&db, &test_db_key()).unwrap();
        let clinician = store
            .write(|tx| store::reference::insert_clinician(tx, CLINICIAN))
            .unwrap();
        let ty = store
            .write(|tx| store::reference::insert_type(tx, "Annual physical", "Check-up", 30))
            .unwrap();
        Self {
            dir,
            db,
            store,
            clinician,
            ty,
            added: ny(1, 9, 0) - chrono::Duration::days(60),
        }
    }

    /// A patient with this first name and mobile (if any), added at `self.added`.
    pub fn patient(&mut self, first: &str, mobile: Option<&str>, consent: Consent) -> PatientId {
        let added = self.added;
        self.patient_added(first, mobile, consent, added)
    }

    /// A patient added at `added` (the welcome goes to patients added in the last 14 days).
    pub fn patient_added(
        &mut self,
        first: &str,
        mobile: Option<&str>,
        consent: Consent,
        added: DateTime<Utc>,
    ) -> PatientId {
        self.patient_in(first, mobile, consent, added, None)
    }

    /// A patient living in `zone` (the practice's zone when `None`).
    pub fn patient_in(
        &mut self,
        first: &str,
        mobile: Option<&str>,
        consent: Consent,
        added: DateTime<Utc>,
        zone: Option<chrono_tz::Tz>,
    ) -> PatientId {
        let id = self
            .store
            .write(|tx| {
                store::patients::insert(
                    tx,
                    &NewPatient {
                        external_id: None,
                        first_name: first.into(),
                        last_name: "Tester".into(),
                        birth_date: None,
                        mobile: mobile.map(|m| E164::try_from(m.to_string()).unwrap()),
                        time_zone: zone,
                        portal_active: true,
                    },
                    added,
                )
            })
            .unwrap();
        match consent {
            Consent::None => {}
            Consent::OptedIn => self.opt_in(id, added),
            Consent::OptedOut => {
                self.opt_in(id, added);
                self.opt_out(id, added + chrono::Duration::days(1));
            }
        }
        id
    }

    pub fn opt_in(&mut self, p: PatientId, at: DateTime<Utc>) {
        frontdesk::workflow::consent::record(
            &mut self.store,
            p,
            &ConsentEvent {
                kind: ConsentKind::OptIn,
                method: ConsentMethod::WrittenForm,
                evidence: Some(format!("FORM-{p}")),
                recorded_by: "desk".into(),
                at,
            },
        )
        .unwrap();
    }

    pub fn opt_out(&mut self, p: PatientId, at: DateTime<Utc>) {
        frontdesk::workflow::consent::record(
            &mut self.store,
            p,
            &ConsentEvent {
                kind: ConsentKind::OptOut,
                method: ConsentMethod::Verbal,
                evidence: None,
                recorded_by: "desk".into(),
                at,
            },
        )
        .unwrap();
    }

    /// A booked 30-minute appointment with the clinician.
    pub fn book(&mut self, p: PatientId, start: DateTime<Utc>) -> AppointmentId {
        self.book_status(p, start, AppointmentStatus::Booked)
    }

    pub fn book_status(
        &mut self,
        p: PatientId,
        start: DateTime<Utc>,
        status: AppointmentStatus,
    ) -> AppointmentId {
        self.store
            .write(|tx| {
                store::appointments::insert(
                    tx,
                    &NewAppointment {
                        external_id: None,
                        patient_id: p,
                        clinician_id: self.clinician,
                        type_id: self.ty,
                        start,
                        duration_minutes: 30,
                        status,
                        booked_at: self.added,
                    },
                )
            })
            .unwrap()
    }

    /// The database file opened with rusqlite itself, for what the store has no operation
    /// for (a reschedule written as an import would, counts by status).
    pub fn sql(&self) -> rusqlite::Connection {
        keyed_sql(&self.db).unwrap()
    }

    /// Every message row, both directions, oldest first.
    pub fn messages(&self) -> Vec<Message> {
        let mut all = Vec::new();
        let ids: Vec<i64> = self
            .sql()
            .prepare("SELECT DISTINCT patient_id FROM messages WHERE patient_id IS NOT NULL")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for p in ids {
            all.extend(store::messages::for_patient(&self.store, PatientId(p)).unwrap());
        }
        all.sort_by_key(|m| m.id);
        all
    }

    pub fn message_count(&self) -> i64 {
        self.sql()
            .query_row("SELECT COUNT(*) FROM messages", [], |r| r.get(0))
            .unwrap()
    }

    /// Outbound rows of one patient.
    pub fn outbound_of(&self, p: PatientId) -> Vec<Message> {
        store::messages::for_patient(&self.store, p)
            .unwrap()
            .into_iter()
            .filter(|m| m.direction == frontdesk::domain::message::Direction::Outbound)
            .collect()
    }

    /// Rows in each status, e.g. `[("queued", 3)]`.
    pub fn status_counts(&self) -> Vec<(String, i64)> {
        self.sql()
            .prepare("SELECT status, COUNT(*) FROM messages GROUP BY status ORDER BY status")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    pub fn audit_actions(&self, subject: &str) -> Vec<String> {
        store::audit::for_subject(&self.store, subject)
            .unwrap()
            .into_iter()
            .map(|a| a.action)
            .collect()
    }

    /// Write the config file for the binary and return its path.
    pub fn write_config(&self, toml: &str) -> PathBuf {
        let path = self.dir.path().join("config.toml");
        std::fs::write(&path, toml).unwrap();
        // Config files are refused unless only their owner can read them (as `init` writes them).
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        path
    }
}

/// The config TOML: practice defaults spelled out, provider twilio at `fake`, `extra_sms`
/// lines in `[sms]` (e.g. `rate_per_second = 1000`).
pub fn config_toml(fake_twilio_section: &str, extra_sms: &str) -> String {
    format!(
        "[practice]\nname = \"{PRACTICE}\"\nphone = \"+15555550100\"\n\
         time_zone = \"America/New_York\"\nportal_url = \"https://portal.example.org\"\n\n\
         [sms]\nprovider = \"twilio\"\n{extra_sms}\n\n{fake_twilio_section}"
    )
}

/// The config for a practice whose provider is this fake.
pub fn config_for(fake: &FakeTwilio, extra_sms: &str) -> (String, Config) {
    let text = config_toml(&fake.config_toml(TOKEN_ENV), extra_sms);
    let config = Config::parse(&text, Path::new("config.toml")).unwrap();
    (text, config)
}

/// Fast retries so the workflow tests do not wait: 4 attempts, a few milliseconds apart.
pub fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(5),
    }
}

/// A dispatcher for `provider` with no rate limit and fast retries, holding automated texts
/// to the default window in the practice's zone as the real one does.
pub fn dispatcher(provider: impl SmsProvider + 'static) -> Dispatcher {
    let config = Config::default();
    Dispatcher {
        provider: Arc::new(provider),
        policy: fast_policy(),
        concurrency: 4,
        rate_per_second: None,
        jitter_seed: Some(7),
        quiet: Some((config.reminders.quiet_hours, config.practice.time_zone)),
    }
}

/// One `remind` run in-process at `now`; returns the report and the batch events.
pub fn run_remind(
    d: &Dispatcher,
    store: &mut Store,
    config: &Config,
    now: DateTime<Utc>,
    dry_run: bool,
) -> (RemindReport, Vec<BatchEvent>) {
    let gate = Gate::with_allow_list(&config.phi.allow);
    let clock = Clock::Fixed(now);
    let mut events = Vec::new();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let report = rt
        .block_on(remind::run(
            d,
            store,
            config,
            &gate,
            &clock,
            dry_run,
            &mut |e| events.push(e),
        ))
        .unwrap();
    (report, events)
}

/// The `frontdesk` binary with a private HOME, the fake's token and a fixed clock.
pub fn frontdesk(p: &Practice, config: &Path, now: DateTime<Utc>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_frontdesk"));
    cmd.env_clear()
        .env("FRONTDESK_DB_KEY", TEST_DB_KEY)
        .env("HOME", p.dir.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env(TOKEN_ENV, AUTH_TOKEN)
        .env("FRONTDESK_NOW", now.to_rfc3339())
        .arg("--db")
        .arg(&p.db)
        .arg("--config")
        .arg(config);
    cmd
}

/// Run `frontdesk remind ARGS` to completion.
pub fn remind_bin(p: &Practice, config: &Path, now: DateTime<Utc>, args: &[&str]) -> Output {
    frontdesk(p, config, now)
        .arg("remind")
        .args(args)
        .output()
        .unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Rows that are not final: `pending` (outcome unknown) or `queued` without a provider id
/// (waiting to be sent by us).
pub fn unsent(rows: &[Message]) -> Vec<&Message> {
    rows.iter()
        .filter(|m| {
            m.status == MessageStatus::Pending
                || (m.status == MessageStatus::Queued && m.provider_id.is_none())
        })
        .collect()
}

/// Poll `cond` every 20 ms until it holds or `timeout` passes; returns whether it held.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
