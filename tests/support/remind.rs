//! Helpers of the `remind` flow tests (remind_flows, remind_faults, remind_binary): the
//! fixed moment, report lines, the 24-hour reminder's wording, an unreachable Twilio.

use chrono::{DateTime, Utc};
use frontdesk::domain::consent::ConsentState;
use frontdesk::domain::ids::{AppointmentId, PatientId};
use frontdesk::provider::twilio::Twilio;
use frontdesk::store;
use frontdesk::workflow::remind::{RemindReport, ReportLine};

use super::scenario::{CLINICIAN, PRACTICE, PRACTICE_PHONE, Practice, STOP, ny};
use crate::fake_twilio::FakeTwilio;

/// Wed 25 Nov 2026, 09:30 in New York.
pub fn now() -> DateTime<Utc> {
    ny(25, 9, 30)
}

pub fn line_for(r: &RemindReport, a: AppointmentId) -> &ReportLine {
    r.lines
        .iter()
        .find(|l| l.appointment_id == Some(a) && !l.waited)
        .unwrap_or_else(|| panic!("no line for appointment {a}: {:#?}", r.lines))
}

pub fn consent_of(p: &Practice, id: PatientId) -> ConsentState {
    ConsentState::from_events(&store::consent::events(&p.store, id).unwrap())
}

/// The 24-hour reminder body for a first name and a local start the templates write.
pub fn reminder_24h(first: &str, when: &str) -> String {
    format!(
        "{PRACTICE}: {first}, see you {when} with {CLINICIAN}. \
         Reply C to confirm, R to reschedule. {PRACTICE_PHONE} {STOP}"
    )
}

/// A base URL where nothing listens (a port bound, then released).
pub fn closed_port_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

pub fn offline_twilio(fake: &FakeTwilio) -> Twilio {
    let mut s = fake.settings();
    s.base_url = closed_port_url();
    Twilio::new(s).unwrap()
}

pub fn at_fake(fake: &FakeTwilio, now: DateTime<Utc>) -> &FakeTwilio {
    fake.set_now(now);
    fake
}
