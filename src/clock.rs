//! The one place that reads the wall clock.
//!
//! Everything that depends on time takes `now` from a [`Clock`] passed in from `main`, so
//! `FRONTDESK_NOW` (RFC 3339) can fix it for demos and tests. clippy's `disallowed-methods`
//! forbids `Utc::now`/`Local::now`/`SystemTime::now` everywhere else.
//!
//! A fixed clock never moves, so nothing that waits for time (the console's idle lock) ever
//! happens under it. Where a test must see time pass, `FRONTDESK_CLOCK_RATE=N` beside
//! `FRONTDESK_NOW` makes the clock *start* at that instant and run N times faster than real
//! time (1 = real time): the tmux end-to-end test waits a few real seconds for minutes of
//! idleness. The rate is read only with `FRONTDESK_NOW` (alone it is an error), and the
//! warning every command prints names it.

use std::time::Instant;

use chrono::{DateTime, Utc};

/// Name of the environment variable that fixes the clock.
pub const NOW_ENV: &str = "FRONTDESK_NOW";

/// Name of the environment variable that lets a fixed clock run (tests and demos only).
pub const RATE_ENV: &str = "FRONTDESK_CLOCK_RATE";

/// The fastest a test clock may run (a day in about 86 seconds).
pub const MAX_RATE: u32 = 1000;

/// Marks the console header while the clock is fixed.
pub const FIXED_MARK: &str = "⚠";

/// Where "now" comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// The machine's wall clock.
    System,
    /// A fixed instant (from `FRONTDESK_NOW` or a test).
    Fixed(DateTime<Utc>),
    /// Starts at `start` when the process reads it (`origin`) and runs `rate` times faster
    /// than real time (`FRONTDESK_NOW` with `FRONTDESK_CLOCK_RATE`; tests and demos only).
    Running {
        start: DateTime<Utc>,
        origin: Instant,
        rate: u32,
    },
}

/// `FRONTDESK_NOW` or `FRONTDESK_CLOCK_RATE` was set to something unusable.
#[derive(Debug, thiserror::Error)]
pub enum ClockError {
    #[error("{NOW_ENV}={value:?} is not an RFC 3339 time (for example 2026-11-25T09:00:00-05:00)")]
    Time { value: String },
    #[error("{RATE_ENV}={value:?} is not a whole number from 1 to {MAX_RATE}")]
    Rate { value: String },
    #[error("{RATE_ENV} makes a fixed clock run; it needs {NOW_ENV} (the instant it starts at)")]
    RateWithoutStart,
}

impl Clock {
    /// The clock the process should use: fixed when `FRONTDESK_NOW` is set (running from it
    /// when `FRONTDESK_CLOCK_RATE` is set too), else the system clock.
    pub fn from_env() -> Result<Self, ClockError> {
        let var = |name| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        match (var(NOW_ENV), var(RATE_ENV)) {
            (Some(now), None) => Self::parse(&now),
            (Some(now), Some(rate)) => Self::parse(&now)?.running(&rate),
            (None, Some(_)) => Err(ClockError::RateWithoutStart),
            (None, None) => Ok(Self::System),
        }
    }

    /// This clock's current instant as the start of a clock running `rate` times real time.
    pub fn running(self, rate: &str) -> Result<Self, ClockError> {
        let rate = rate
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|r| (1..=MAX_RATE).contains(r))
            .ok_or_else(|| ClockError::Rate {
                value: rate.to_string(),
            })?;
        Ok(Self::Running {
            start: self.now(),
            origin: Instant::now(),
            rate,
        })
    }

    /// A clock fixed at an RFC 3339 instant.
    pub fn parse(value: &str) -> Result<Self, ClockError> {
        DateTime::parse_from_rfc3339(value.trim())
            .map(|t| Self::Fixed(t.with_timezone(&Utc)))
            .map_err(|_| ClockError::Time {
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
            Self::Running { start, rate, .. } => Some(format!(
                "the clock started at {} by {NOW_ENV} and runs {rate}× real time by {RATE_ENV}; unset both unless this is a test or a demo",
                start.to_rfc3339()
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
            Self::Running { start, rate, .. } => Some(format!(
                "{FIXED_MARK} clock from {} at {rate}× by {NOW_ENV}",
                start.format("%Y-%m-%d %H:%M UTC")
            )),
        }
    }

    /// The current instant.
    #[allow(clippy::disallowed_methods)] // the one sanctioned wall-clock read
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Self::System => Utc::now(),
            Self::Fixed(t) => *t,
            Self::Running {
                start,
                origin,
                rate,
            } => {
                let real = origin.elapsed().saturating_mul(*rate);
                *start + chrono::Duration::from_std(real).unwrap_or(chrono::Duration::MAX)
            }
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
    fn a_running_clock_starts_at_its_instant_and_moves_at_its_rate() {
        let start = Clock::parse("2026-01-01T00:00:00Z").unwrap();
        let running = start.running("60").unwrap();
        let Clock::Running { origin, .. } = running else {
            panic!("not running: {running:?}");
        };
        let first = running.now();
        assert!(first >= start.now());
        std::thread::sleep(std::time::Duration::from_millis(50));
        let later = running.now();
        // At 60× real time, 50 ms of real time is at least 3 seconds of clock time.
        assert!(
            later - first >= chrono::Duration::seconds(3),
            "{first} {later}"
        );
        // Never more than 60× what really passed since the start.
        let real = chrono::Duration::from_std(origin.elapsed()).unwrap();
        assert!(later - start.now() <= real * 60);
        assert!(
            running
                .fixed_warning()
                .unwrap()
                .contains("FRONTDESK_CLOCK_RATE")
        );
    }

    #[test]
    fn a_rate_outside_one_to_a_thousand_is_refused_by_name() {
        let start = Clock::parse("2026-01-01T00:00:00Z").unwrap();
        for bad in ["0", "-2", "1.5", "fast", "1001"] {
            let err = start.running(bad).unwrap_err();
            assert!(
                err.to_string().contains("FRONTDESK_CLOCK_RATE"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn fixed_clock_does_not_move() {
        let clock = Clock::parse("2026-01-01T00:00:00Z").unwrap();
        assert_eq!(clock.now(), clock.now());
    }
}
