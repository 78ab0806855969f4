//! A stateful fake of Twilio's Messages API (2010-04-01) on loopback, for integration tests.
//!
//! Include it with `mod fake_twilio;` from any file in `tests/`. Three parts: `transport.rs`
//! (hyper's HTTP server on its own thread and runtime, so it keeps answering while the test
//! blocks on a child `frontdesk` process, say), `twilio.rs` (what Twilio does) and
//! `faults.rs` (what goes wrong on purpose); this file is the test's handle on them.
//! Dropping the [`FakeTwilio`] stops it.
//!
//! What it does, like Twilio:
//! * checks HTTP basic auth (`ACCOUNT_SID` / `AUTH_TOKEN`) and the account in the path;
//! * create (`POST …/Messages.json`, form-encoded): needs `To`, `Body` and `From` or
//!   `MessagingServiceSid`; assigns `SM…` sids; status `queued` (`accepted` via a service);
//! * fetch (`GET …/Messages/{Sid}.json`) and list (`GET …/Messages.json`) with `To`, `From`,
//!   `DateSent`, `DateSent>`, `DateSent<` (by day; messages without `date_sent` never match a
//!   date filter), `PageSize` (1..=1000), newest first, `next_page_uri` a relative path with a
//!   `PageToken`;
//! * status progression queued → sent → delivered, on demand ([`FakeTwilio::advance_all`],
//!   [`FakeTwilio::deliver_all`]) or one step per fetch ([`Progression::OnFetch`]); a number
//!   marked [`FakeTwilio::undeliverable`] ends `undelivered` with its code (30003…), as Twilio
//!   reports those codes only asynchronously;
//! * default opt-out handling: after an inbound STOP (STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT,
//!   OPTOUT, REVOKE) every create to that number answers 400/21610 until START, UNSTOP or YES
//!   ([`FakeTwilio::set_opt_out_handling`] turns this off);
//! * scripted faults ([`FakeTwilio::fail`]): 401/20003, 429 with `Retry-After`, 5xx, any
//!   Twilio error code, a dropped connection before or after the message is created, a delay.
//!
//! The fake has its own clock (fixed, moved by the test) — nothing reads the wall clock.
//! Counters: [`FakeTwilio::created`] lists every message created, [`FakeTwilio::create_count`]
//! counts per (To, Body) for exactly-once assertions, [`FakeTwilio::requests`] logs every
//! request (method, path, query).

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod faults;
mod transport;
mod twilio;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

use frontdesk::domain::phone::E164;
use frontdesk::provider::twilio::{Sender, Twilio, TwilioSettings};

pub use faults::{Fault, Target};
pub use twilio::{Created, FakeMessage, Progression, RequestRecord};

use faults::Rule;
use transport::Server;
use twilio::State;

pub const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const AUTH_TOKEN: &str = "fake-twilio-auth-token";
/// The practice's Twilio number; also a member of [`SERVICE_SID`].
pub const FROM: &str = "+15555550123";
pub const SERVICE_SID: &str = "MG0123456789abcdef0123456789abcdef";

/// The running fake. Drop it to stop the server.
pub struct FakeTwilio {
    state: Arc<Mutex<State>>,
    server: Server,
}

/// The fake's clock starts here unless told otherwise: Wed 25 Nov 2026, 09:00 in New York.
pub fn default_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 14, 0, 0).unwrap()
}

impl FakeTwilio {
    /// Start on a free loopback port with the clock at [`default_now`].
    pub fn start() -> Self {
        Self::start_at(default_now())
    }

    /// Start with the fake's clock at `now`.
    pub fn start_at(now: DateTime<Utc>) -> Self {
        let state = Arc::new(Mutex::new(State::new(now)));
        let shared = Arc::clone(&state);
        let server = Server::start(Arc::new(move |req| twilio::handle(&shared, req)));
        Self { state, server }
    }

    /// `http://127.0.0.1:PORT` — the `base_url` to configure.
    pub fn base_url(&self) -> &str {
        &self.server.base_url
    }

    /// Client settings that send `From` [`FROM`] to this fake.
    pub fn settings(&self) -> TwilioSettings {
        TwilioSettings {
            account_sid: ACCOUNT_SID.into(),
            auth_token: AUTH_TOKEN.into(),
            sender: Sender::From(E164::try_from(FROM.to_string()).unwrap()),
            base_url: self.server.base_url.clone(),
            timeout: Duration::from_secs(5),
            max_pages: 20,
            page_size: 50,
        }
    }

    /// Client settings that send through the Messaging Service [`SERVICE_SID`].
    pub fn service_settings(&self) -> TwilioSettings {
        TwilioSettings {
            sender: Sender::Service(SERVICE_SID.into()),
            ..self.settings()
        }
    }

    /// A Twilio provider pointed at this fake (`From` sender).
    pub fn provider(&self) -> Twilio {
        Twilio::new(self.settings()).unwrap()
    }

    /// A `[sms.twilio]` TOML section for this fake; the token is read from the environment
    /// variable named `token_env` (set it to [`AUTH_TOKEN`] in the child's environment).
    pub fn config_toml(&self, token_env: &str) -> String {
        format!(
            "[sms.twilio]\naccount_sid = \"{ACCOUNT_SID}\"\nfrom = \"{FROM}\"\n\
             auth_token_env = \"{token_env}\"\nbase_url = \"{}\"\n",
            self.server.base_url
        )
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    // --- clock -----------------------------------------------------------------------

    pub fn now(&self) -> DateTime<Utc> {
        self.lock().now
    }

    pub fn set_now(&self, now: DateTime<Utc>) {
        self.lock().now = now;
    }

    pub fn advance_clock(&self, by: chrono::TimeDelta) {
        let mut s = self.lock();
        s.now += by;
    }

    // --- scripting ---------------------------------------------------------------------

    /// Apply `fault` to requests matching `target`, `times` times (None: until cleared).
    pub fn fail(&self, target: Target, fault: Fault, times: Option<u32>) {
        self.lock().rules.push(Rule {
            target,
            fault,
            remaining: times,
        });
    }

    /// The brief's name for [`Self::fail`] with no limit.
    pub fn set_failure(&self, target: Target, fault: Fault) {
        self.fail(target, fault, None);
    }

    pub fn clear_failures(&self) {
        self.lock().rules.clear();
    }

    /// Creates to `to` fail with a Twilio code: 21610 (unsubscribed), 21211 (invalid number),
    /// 21614 (not mobile) — whatever Twilio answers synchronously, always with HTTP 400.
    pub fn fail_number(&self, to: &str, code: u32) {
        let message = match code {
            21610 => "Attempt to send to unsubscribed recipient".to_string(),
            21211 => format!("The 'To' number {to} is not a valid phone number."),
            21614 => format!("'To' number {to} is not a valid mobile number"),
            _ => format!("Error {code}"),
        };
        self.fail(
            Target::CreateTo(to.to_string()),
            Fault::Twilio {
                status: 400,
                code,
                message,
            },
            None,
        );
    }

    /// Messages to `to` are accepted but end `undelivered` with `code` (30003, 30005, 30006).
    pub fn undeliverable(&self, to: &str, code: u32) {
        self.lock().undeliverable.push((to.to_string(), code));
    }

    pub fn set_progression(&self, p: Progression) {
        self.lock().progression = p;
    }

    /// Twilio's default STOP/START handling (on unless turned off).
    pub fn set_opt_out_handling(&self, on: bool) {
        self.lock().opt_out_handling = on;
    }

    /// A patient texts the practice number. Returns the new message's sid.
    pub fn inject_inbound(&self, from: &str, body: &str) -> String {
        self.inject_inbound_to(from, FROM, body)
    }

    /// A text to another number on the same account (not ours: polls must ignore it).
    pub fn inject_inbound_to(&self, from: &str, to: &str, body: &str) -> String {
        self.lock().inject_inbound(from, to, body)
    }

    /// Move every outbound message that is not final one step on. Returns how many moved.
    pub fn advance_all(&self) -> usize {
        self.lock().advance_all()
    }

    /// Move every outbound message to its final status. Returns how many moved.
    pub fn deliver_all(&self) -> usize {
        self.lock().deliver_all()
    }

    /// Set one message's status (and error code) directly.
    pub fn set_status(&self, sid: &str, status: &str, error_code: Option<u32>) {
        self.lock().set_status(sid, status, error_code);
    }

    // --- observing -----------------------------------------------------------------------

    /// Every message created, in order.
    pub fn created(&self) -> Vec<Created> {
        self.lock().created.clone()
    }

    /// How many messages were created to `to` with exactly this body.
    pub fn create_count(&self, to: &str, body: &str) -> usize {
        self.lock()
            .created
            .iter()
            .filter(|c| c.to == to && c.body == body)
            .count()
    }

    /// (To, Body, count) for every pair created more than once — empty when exactly-once held.
    pub fn duplicates(&self) -> Vec<(String, String, usize)> {
        let s = self.lock();
        let mut counts: std::collections::BTreeMap<(String, String), usize> = Default::default();
        for c in &s.created {
            *counts.entry((c.to.clone(), c.body.clone())).or_default() += 1;
        }
        counts
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|((to, body), n)| (to, body, n))
            .collect()
    }

    /// Create requests received, failed ones included.
    pub fn create_attempts(&self) -> usize {
        self.lock().create_attempts
    }

    pub fn messages(&self) -> Vec<FakeMessage> {
        self.lock().messages.clone()
    }

    pub fn message(&self, sid: &str) -> Option<FakeMessage> {
        self.lock().messages.iter().find(|m| m.sid == sid).cloned()
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        self.lock().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }
}
