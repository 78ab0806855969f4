//! A closure window's bounds as typed at the desk or on the command line, read in the
//! practice's zone (pure: the console checks each keystroke with [`parse_local_in`]).

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::Config;
use crate::workflow::WorkflowError;

/// Parse a window bound given at the desk: `YYYY-MM-DD` (local midnight) or
/// `YYYY-MM-DDTHH:MM` / `YYYY-MM-DD HH:MM` (local time), in the practice's zone.
pub fn parse_local(text: &str, config: &Config) -> Result<DateTime<Utc>, WorkflowError> {
    parse_local_in(text, config.practice.time_zone)
}

/// [`parse_local`] in zone `tz` (pure: the console checks each keystroke with it).
pub fn parse_local_in(text: &str, tz: chrono_tz::Tz) -> Result<DateTime<Utc>, WorkflowError> {
    let t = text.trim();
    let naive = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M"))
        .or_else(|_| {
            NaiveDate::parse_from_str(t, "%Y-%m-%d").map(|d| d.and_time(chrono::NaiveTime::MIN))
        })
        .map_err(|_| {
            WorkflowError::Invalid(format!(
                "{text:?} is not a date (2026-11-27) or a local time (2026-11-27 13:00)"
            ))
        })?;
    naive
        .and_local_timezone(tz)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            WorkflowError::Invalid(format!(
                "{text} does not exist in {tz} (clocks change then)"
            ))
        })
}
