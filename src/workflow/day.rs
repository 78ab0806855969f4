//! Loading the day view and the desk's patient search.

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::{Config, ProviderKind};
use crate::domain::day::{DaySheet, PatientHit};
use crate::store::{self, Store, StoreError};

/// The day sheet for the practice's local `date`.
pub fn load(store: &Store, config: &Config, date: NaiveDate) -> Result<DaySheet, StoreError> {
    store::day::sheet(store.conn(), date, config.practice.time_zone)
}

/// Patients matching a name fragment or phone digits, with their next appointment.
pub fn search(
    store: &Store,
    query: &str,
    now: DateTime<Utc>,
) -> Result<Vec<PatientHit>, StoreError> {
    store::day::patient_hits(store.conn(), query, now, 50)
}

/// What the footer shows about sending: which provider, and how many texts wait in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderStatus {
    pub provider: ProviderKind,
    /// Whether the last contact with the provider worked (`None` before any contact).
    pub online: Option<bool>,
    pub outbox: i64,
}

/// The provider line of the footer.
pub fn provider_status(store: &Store, config: &Config) -> Result<ProviderStatus, StoreError> {
    Ok(ProviderStatus {
        provider: config.sms.provider,
        online: match config.sms.provider {
            ProviderKind::Outbox => Some(false),
            ProviderKind::Twilio => None,
        },
        outbox: store::day::outbox_count(store.conn())?,
    })
}
