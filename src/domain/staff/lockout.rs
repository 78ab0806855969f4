//! Sign-in lockout: 5 wrong secrets in a row lock the account for 5 minutes.
//!
//! A pure function of the stored state and `now`. Failures count while nobody signs in
//! successfully; the lock starts a fresh count when it ends, and a successful sign-in or an
//! admin's reset clears it. While locked, no secret is even checked, so guessing cannot
//! continue in the background and a correct guess is not revealed.

use chrono::{DateTime, Duration, Utc};

/// Wrong secrets in a row that lock the account.
pub const MAX_FAILED_ATTEMPTS: u32 = 5;

/// How long a lock lasts.
pub const LOCK_MINUTES: i64 = 5;

/// The stored lockout state of one account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lockout {
    /// Wrong secrets since the last success or lock.
    pub failed_attempts: u32,
    /// Locked until this instant (in the past once it has ended).
    pub locked_until: Option<DateTime<Utc>>,
}

/// What one wrong secret did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Counted; this many tries are left before the lock.
    Counted { remaining: u32 },
    /// This failure locked the account until the instant.
    Locked { until: DateTime<Utc> },
}

impl Lockout {
    /// The end of the lock, if the account is locked at `now`.
    pub fn locked_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.locked_until.filter(|until| now < *until)
    }

    /// The state after a wrong secret at `now` (the caller has checked it was not locked).
    pub fn after_failure(self, now: DateTime<Utc>) -> (Self, Failure) {
        if let Some(until) = self.locked_at(now) {
            return (self, Failure::Locked { until });
        }
        let failed = self.failed_attempts.saturating_add(1);
        if failed >= MAX_FAILED_ATTEMPTS {
            let until = now + Duration::minutes(LOCK_MINUTES);
            let next = Self {
                failed_attempts: 0,
                locked_until: Some(until),
            };
            return (next, Failure::Locked { until });
        }
        let next = Self {
            failed_attempts: failed,
            // An ended lock is history; keep the instant only while it can still matter.
            locked_until: None,
        };
        (
            next,
            Failure::Counted {
                remaining: MAX_FAILED_ATTEMPTS - failed,
            },
        )
    }

    /// The state after a successful sign-in or an admin's reset: nothing counts against it.
    pub fn cleared() -> Self {
        Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(min: u32, sec: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 14, min, sec).unwrap()
    }

    #[test]
    fn four_failures_count_down_and_the_fifth_locks_for_five_minutes() {
        let mut state = Lockout::default();
        for (i, remaining) in [4, 3, 2, 1].into_iter().enumerate() {
            let (next, failure) = state.after_failure(at(0, i as u32));
            assert_eq!(failure, Failure::Counted { remaining });
            assert_eq!(next.locked_at(at(0, i as u32)), None);
            state = next;
        }
        let (locked, failure) = state.after_failure(at(0, 10));
        assert_eq!(failure, Failure::Locked { until: at(5, 10) });
        assert_eq!(locked.locked_at(at(0, 11)), Some(at(5, 10)));
        assert_eq!(locked.locked_at(at(5, 9)), Some(at(5, 10)));
        assert_eq!(
            locked.locked_at(at(5, 10)),
            None,
            "ends exactly after 5 minutes"
        );
    }

    #[test]
    fn a_failure_while_locked_does_not_extend_the_lock() {
        let locked = Lockout {
            failed_attempts: 0,
            locked_until: Some(at(5, 0)),
        };
        let (after, failure) = locked.after_failure(at(4, 0));
        assert_eq!(after, locked);
        assert_eq!(failure, Failure::Locked { until: at(5, 0) });
    }

    #[test]
    fn after_the_lock_ends_the_count_starts_again() {
        let ended = Lockout {
            failed_attempts: 0,
            locked_until: Some(at(5, 0)),
        };
        let (next, failure) = ended.after_failure(at(6, 0));
        assert_eq!(failure, Failure::Counted { remaining: 4 });
        assert_eq!(next.failed_attempts, 1);
        assert_eq!(next.locked_until, None);
    }

    #[test]
    fn success_clears_the_count() {
        let (state, _) = Lockout::default().after_failure(at(0, 0));
        let (state, _) = state.after_failure(at(0, 1));
        assert_eq!(state.failed_attempts, 2);
        assert_eq!(Lockout::cleared(), Lockout::default());
    }
}
