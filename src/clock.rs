//! The one place that reads the wall clock.
//!
//! Everything that depends on time takes `now` from a [`Clock`] passed in from `main`, so
//! `FRONTDESK_NOW` (RFC 3339) can fix it for demos and tests. clippy's `disallowed-methods`
//! forbids `Utc::now`/`Local::now`/`SystemTime::now` everywhere else.

use chrono::{DateTime, Utc};

/// Name of the environment variable that fixes the clock.
pub const NOW_ENV: &str = "FRONTDESK_NOW";

/// Marks the console header while the clock is fixed.
pub const FIXED_MARK: &str = "⚠";

/// Where "now" comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// The machine's wall clock.
    System,
    /// A fixed instant (from `FRONTDESK_NOW` or a test).
    Fixed(DateTime<Utc>),
}

/// `FRONTDESK_NOW` was set but is not an RFC 3339 timestamp.
#[derive(Debug, thiserror::Error)]
#[error("{NOW_ENV}={value:?} is not an RFC 3339 time (for example 2026-11-25T09:00:00-05:00)")]
pub struct ClockError {
    value: String,
}

impl Clock {
    /// The clock the process should use: fixed when `FRONTDESK_NOW` is set, else the system clock.
    pub fn from_env() -> Result<Self, ClockError> {
        match std::env::var(NOW_ENV) {
            Ok(value) if !value.trim().is_empty() => Self::parse(&value),
            _ => Ok(Self::System),
        }
    }

    /// A clock fixed at an RFC 3339 instant.
    pub fn parse(value: &str) -> Result<Self, ClockError> {
        DateTime::parse_from_rfc3339(value.trim())
            .map(|t| Self::Fixed(t.with_timezone(&Utc)))
            .map_err(|_| ClockError {
                value: value.to_string(),
            })
    }

    /// When the clock is fixed, the warning every command outside `demo` prints on stderr and
    /// the console shows in its header: a `FRONTDESK_NOW` left in a cron environment would
    /// otherwise freeze time in production (reminders planned for a day that never ends).
    pub fn fixed_warning(&self) -> Option<String> {
        match self {
            Self::System => None,
            Self::Fixed(t) => Some(format!(
                "the clock is fixed at {} by {NOW_ENV}; unset it unless this is a test or a demo",
                t.to_rfc3339()
            )),
        }
    }

    /// The short mark the console header shows while the clock is fixed.
    pub fn fixed_mark(&self) -> Option<String> {
        match self {
            Self::System => None,
            Self::Fixed(t) => Some(format!(
                "{FIXED_MARK} clock fixed at {} by {NOW_ENV}",
                t.format("%Y-%m-%d %H:%M UTC")
            )),
        }
    }

    /// The current instant.
    #[allow(clippy::disallowed_methods)] // the one sanctioned wall-clock read
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Self::System => Utc::now(),
            Self::Fixed(t) => *t,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_offsets_into_utc() {
        let clock = Clock::parse("2026-11-25T09:30:00-05:00").unwrap();
        assert_eq!(clock.now().to_rfc3339(), "2026-11-25T14:30:00+00:00");
    }

    #[test]
    fn rejects_non_rfc3339() {
        let err = Clock::parse("25/11/2026").unwrap_err();
        assert!(err.to_string().contains("FRONTDESK_NOW"));
    }

    #[test]
    fn only_a_fixed_clock_warns() {
        assert_eq!(Clock::System.fixed_warning(), None);
        let w = Clock::parse("2026-01-01T00:00:00Z")
            .unwrap()
            .fixed_warning()
            .unwrap();
        assert!(
            w.contains("FRONTDESK_NOW") && w.contains("2026-01-01T00:00:00+00:00"),
            "{w}"
        );
    }

    #[test]
    fn fixed_clock_does_not_move() {
        let clock = Clock::parse("2026-01-01T00:00:00Z").unwrap();
        assert_eq!(clock.now(), clock.now());
    }
}
