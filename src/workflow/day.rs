//! Loading the day view and the desk's patient search.

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::Config;
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
