//! The practice the `sync` flow tests share (sync_flows, sync_status): the shared scenario
//! (`support::Practice`) texting through the fake, with the sync's config, gate and
//! dispatcher, and the steps those tests take (record and send a reminder, a patient's reply,
//! a sync). Included with `#[path = "support/sync.rs"] mod desk;` after `mod fake_twilio; mod
//! support;`.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::fake_twilio::FakeTwilio;
use crate::support::{self, Consent};
use chrono::{DateTime, TimeDelta, Utc};
use frontdesk::clock::Clock;
use frontdesk::config::Config;
use frontdesk::domain::consent::ConsentState;
use frontdesk::domain::ids::{AppointmentId, MessageId, PatientId};
use frontdesk::domain::message::MessageKind;
use frontdesk::domain::reminder::ReminderKey;
use frontdesk::phi::Gate;
use frontdesk::provider::retry::RetryPolicy;
use frontdesk::provider::twilio::Twilio;
use frontdesk::store::{self};
use frontdesk::workflow::dispatch::{self, Dispatcher};
use frontdesk::workflow::record_text::{self, Outgoing, Recorded};
use frontdesk::workflow::render::{self, RenderInput};
use frontdesk::workflow::sync::{self, SyncReport};
use frontdesk::workflow::templates;

pub const ANA: &str = "+12015550134";
pub const BEN: &str = "+12015550177";
pub const STRANGER: &str = "+12015550199";

/// The shared scenario (`support::Practice`: a temp database with a clinician and a visit
/// type) texting through the fake, with the sync's own config, gate and dispatcher.
pub struct Practice {
    pub fake: FakeTwilio,
    pub base: support::Practice,
    pub config: Config,
    pub gate: Gate,
    pub d: Dispatcher,
}

pub fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(1),
    }
}

pub fn dispatcher(twilio: Twilio) -> Dispatcher {
    Dispatcher {
        provider: Arc::new(twilio),
        policy: fast_policy(),
        concurrency: 4,
        rate_per_second: None,
        jitter_seed: Some(7),
        quiet: None,
    }
}

pub fn config_text(fake: &FakeTwilio, token_env: &str) -> String {
    // A practice's config names the practice: nothing is sent in the name of an unset one.
    format!(
        "[practice]\nname = \"Riverside Family Practice\"\nphone = \"+15555550100\"\n\
         portal_url = \"https://portal.example.org\"\n\n[sms]\nprovider = \"twilio\"\n\n{}",
        fake.config_toml(token_env)
    )
}

impl Practice {
    pub fn new() -> Self {
        let fake = FakeTwilio::start();
        let mut base = support::Practice::new();
        base.added = fake.now() - TimeDelta::days(60);
        let config = Config::parse(&config_text(&fake, "UNUSED"), Path::new("t.toml")).unwrap();
        let d = dispatcher(fake.provider());
        Self {
            fake,
            base,
            config,
            gate: Gate::with_allow_list(&[]),
            d,
        }
    }

    pub fn clock(&self) -> Clock {
        Clock::Fixed(self.fake.now())
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.fake.now()
    }

    /// Tomorrow (26 Nov 2026) at `hour` UTC — `hour - 5` in New York.
    pub fn tomorrow(&self, hour: u32) -> DateTime<Utc> {
        self.now() + TimeDelta::days(1) + TimeDelta::hours(i64::from(hour) - 14)
    }

    pub fn patient(&mut self, first: &str, mobile: &str, opted_in: bool) -> PatientId {
        let p = self.base.patient(first, Some(mobile), Consent::None);
        if opted_in {
            let at = self.now() - TimeDelta::days(30);
            self.base.opt_in(p, at);
        }
        p
    }

    pub fn appointment(&mut self, p: PatientId, start: DateTime<Utc>) -> AppointmentId {
        self.base.book(p, start)
    }

    /// Record a 24 h reminder for these appointments (one text for a same-day double) the
    /// way every send path does, without sending it.
    pub fn record_reminder(&mut self, p: PatientId, appts: &[AppointmentId]) -> MessageId {
        let conn = &self.base.store;
        let patient = store::patients::get(conn, p).unwrap();
        let starts: Vec<(AppointmentId, DateTime<Utc>)> = appts
            .iter()
            .map(|a| (*a, store::appointments::get(conn, *a).unwrap().start))
            .collect();
        let key = ReminderKey::group(starts.iter().copied(), 24).unwrap();
        let kind = if appts.len() > 1 {
            MessageKind::SameDayDouble
        } else {
            MessageKind::Reminder24h
        };
        let times: Vec<DateTime<Utc>> = key.appointments().iter().map(|(_, s)| *s).collect();
        let template = templates::load(conn, kind).unwrap();
        let body = render::render(
            &self.config,
            &template,
            &RenderInput {
                kind,
                patient: &patient,
                starts: &times,
                clinician: Some("Dr. Okafor"),
                opt_out_notice: true,
            },
        )
        .unwrap();
        let out = Outgoing {
            kind,
            patient_id: p,
            appointment_id: Some(appts[0]),
            key: key.to_string(),
            to: patient.mobile.clone().unwrap(),
            body,
            send_by: None,
            trusted: Vec::new(),
        };
        let (now, gate) = (self.now(), &self.gate);
        let recorded = self
            .base
            .store
            .write(|tx| record_text::record(tx, &out, gate, "twilio", "system", now))
            .unwrap();
        match recorded {
            Recorded::Ready(id) => id,
            other => panic!("{other:?}"),
        }
    }

    /// Record and send a reminder now.
    pub async fn remind(&mut self, p: PatientId, appts: &[AppointmentId]) -> MessageId {
        let id = self.record_reminder(p, appts);
        let clock = self.clock();
        let r = dispatch::dispatch(
            &self.d,
            &mut self.base.store,
            &[id],
            "system",
            &clock,
            &mut |_| {},
        )
        .await
        .unwrap();
        assert_eq!(r.sent, 1, "{r:?}");
        id
    }

    pub async fn sync(&mut self) -> SyncReport {
        let clock = self.clock();
        let report = sync::sync(
            &self.d,
            &mut self.base.store,
            &self.config,
            &self.gate,
            &clock,
            &mut |_| {},
        )
        .await
        .unwrap();
        assert_eq!(report.stopped, None, "{report:?}");
        report
    }

    /// A patient texts the practice; the sync runs a minute later.
    pub fn reply(&self, from: &str, body: &str) -> String {
        self.fake.advance_clock(TimeDelta::minutes(1));
        let sid = self.fake.inject_inbound(from, body);
        self.fake.advance_clock(TimeDelta::minutes(1));
        sid
    }

    pub fn consent(&self, p: PatientId) -> ConsentState {
        ConsentState::from_events(&store::consent::events(&self.base.store, p).unwrap())
    }

    pub fn appt(&self, a: AppointmentId) -> frontdesk::domain::appointment::Appointment {
        store::appointments::get(&self.base.store, a).unwrap()
    }

    /// Bodies the fake accepted for this number, in order.
    pub fn texts_to(&self, to: &str) -> Vec<String> {
        self.fake
            .created()
            .into_iter()
            .filter(|c| c.to == to)
            .map(|c| c.body)
            .collect()
    }

    pub fn audit_actions(&self, subject: &str) -> Vec<String> {
        store::audit::for_subject(&self.base.store, subject)
            .unwrap()
            .into_iter()
            .map(|a| a.action)
            .collect()
    }
}

pub fn confirmations(texts: &[String]) -> usize {
    texts.iter().filter(|b| b.contains("unsubscribed")).count()
}
