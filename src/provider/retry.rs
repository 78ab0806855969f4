//! Retrying provider calls within a run: exponential backoff with jitter, a bounded number of
//! attempts, and the provider's `Retry-After` honoured.
//!
//! Imports only the provider types, rand and tokio's timer; never reads the wall clock (the
//! only time source is `tokio::time::sleep`). The jitter source is injected so tests are
//! deterministic.
//!
//! [`send_with_retry`] is the exactly-once-aware loop for sends: it retries blindly only when
//! nothing can have reached the provider, and after an unknown outcome (timeout, dropped
//! connection, 5xx) it first asks the provider whether the message exists.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{Disposition, OutboundSms, ProviderError, SendReceipt, SentQuery, SmsProvider};

/// How hard to try within one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retry).
    pub max_attempts: u32,
    /// Backoff before the first retry; doubles each time.
    pub base_delay: Duration,
    /// Backoff never exceeds this (before honouring `Retry-After`).
    pub max_delay: Duration,
    /// A `Retry-After` longer than this ends the run's attempts: the message stays queued for
    /// the next run rather than holding the batch.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1 = the first retry), given the provider's
    /// `Retry-After` and a jitter sample in `[0, 1)`: "equal jitter", i.e. half the
    /// exponential step plus a random share of the other half, and never less than
    /// `Retry-After`. None when `Retry-After` is longer than [`Self::max_retry_after`].
    pub fn delay(
        &self,
        retry: u32,
        retry_after: Option<Duration>,
        jitter: f64,
    ) -> Option<Duration> {
        let step = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)))
            .min(self.max_delay);
        let half = step / 2;
        let jittered = half + half.mul_f64(jitter.clamp(0.0, 1.0));
        match retry_after {
            Some(ra) if ra > self.max_retry_after => None,
            Some(ra) => Some(jittered.max(ra)),
            None => Some(jittered),
        }
    }
}

/// A source of jitter samples in `[0, 1)`.
pub trait Jitter: Send {
    fn sample(&mut self) -> f64;
}

/// Pseudo-random jitter from a seed (tests) or from the OS (production).
#[derive(Clone, Debug)]
pub struct SeededJitter(ChaCha8Rng);

impl SeededJitter {
    pub fn new(seed: u64) -> Self {
        Self(ChaCha8Rng::seed_from_u64(seed))
    }

    /// Seeded from the operating system's randomness, so that workstations sharing one
    /// Twilio account do not retry in lockstep.
    pub fn from_entropy() -> Self {
        Self::new(rand::random())
    }
}

impl Jitter for SeededJitter {
    fn sample(&mut self) -> f64 {
        self.0.random::<f64>()
    }
}

/// The same sample every time (tests; 0.0 gives the shortest waits).
#[derive(Clone, Copy, Debug)]
pub struct FixedJitter(pub f64);

impl Jitter for FixedJitter {
    fn sample(&mut self) -> f64 {
        self.0
    }
}

/// Run `op` until it succeeds, fails permanently, or the policy's attempts are used up.
/// Retries every [`ProviderError::retryable`] error — right for reads (status, poll, find);
/// sends must use [`send_with_retry`].
pub async fn retry<T, F, Fut>(
    policy: &RetryPolicy,
    jitter: &mut dyn Jitter,
    mut op: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let mut attempt = 1;
    loop {
        match op().await {
            Ok(v) => return Ok(v),
            Err(e) if e.retryable() && attempt < policy.max_attempts => {
                let Some(wait) = policy.delay(attempt, e.retry_after(), jitter.sample()) else {
                    return Err(e);
                };
                tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, code = ?e.code(), "provider call retried");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// What [`send_with_retry`] achieved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendOutcome {
    pub receipt: SendReceipt,
    /// Send calls made (reconciliation lookups not counted).
    pub attempts: u32,
    /// True when the receipt came from reconciliation: an earlier attempt had reached the
    /// provider although its answer was lost.
    pub reconciled: bool,
}

/// Send with retries, never sending twice.
///
/// * [`Disposition::Retry`] errors (rate limit, 503, unreachable): wait and send again.
/// * [`Disposition::ReconcileThenRetry`] (timeout, dropped connection, other 5xx): wait, then
///   [`SmsProvider::find_sent`] for `sms` since `since`; a match not yet claimed by another row
///   (`is_claimed(provider_id)` false) is returned as the receipt, otherwise send again. If
///   the lookup itself fails, the original error is returned: the row must stay `pending`
///   and be reconciled next run.
/// * Anything else, or attempts used up: the error, for the caller to act on its
///   [`ProviderError::disposition`].
///
/// `since` is when the message row was written (before the first attempt).
pub async fn send_with_retry(
    provider: &dyn SmsProvider,
    sms: &OutboundSms,
    since: DateTime<Utc>,
    policy: &RetryPolicy,
    jitter: &mut dyn Jitter,
    is_claimed: &(dyn Fn(&str) -> bool + Sync),
) -> Result<SendOutcome, ProviderError> {
    let mut attempt = 1;
    loop {
        let err = match provider.send(sms).await {
            Ok(receipt) => {
                return Ok(SendOutcome {
                    receipt,
                    attempts: attempt,
                    reconciled: false,
                });
            }
            Err(e) => e,
        };
        let disposition = err.disposition();
        let again = matches!(
            disposition,
            Disposition::Retry | Disposition::ReconcileThenRetry
        );
        if !again || attempt >= policy.max_attempts {
            return Err(err);
        }
        let Some(wait) = policy.delay(attempt, err.retry_after(), jitter.sample()) else {
            return Err(err);
        };
        tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, code = ?err.code(), ?disposition, "send retried");
        tokio::time::sleep(wait).await;
        if disposition == Disposition::ReconcileThenRetry {
            let query = SentQuery {
                to: sms.to.clone(),
                body: sms.body.clone(),
                since,
            };
            match provider.find_sent(&query).await {
                Ok(found) => {
                    if let Some(m) = found.into_iter().find(|m| !is_claimed(&m.provider_id)) {
                        tracing::info!(provider_id = %m.provider_id, "send reconciled: the earlier attempt had gone through");
                        return Ok(SendOutcome {
                            receipt: m.into_receipt(),
                            attempts: attempt,
                            reconciled: true,
                        });
                    }
                }
                Err(lookup) => {
                    tracing::warn!(code = ?lookup.code(), "reconciliation lookup failed; message left pending");
                    return Err(err);
                }
            }
        }
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_is_capped_and_jittered_within_the_upper_half() {
        let p = RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(400),
            max_delay: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(30),
        };
        let ms = |retry, j| p.delay(retry, None, j).unwrap().as_millis();
        assert_eq!(ms(1, 0.0), 200);
        assert_eq!(ms(1, 0.5), 300);
        assert_eq!(ms(2, 0.0), 400);
        assert_eq!(ms(3, 0.999), 1599);
        assert_eq!(ms(4, 0.0), 1000); // capped at 2 s, half of it fixed
        assert_eq!(ms(30, 1.0), 2000);
    }

    #[test]
    fn retry_after_is_a_floor_and_a_long_one_gives_up() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(3)), 0.0),
            Some(Duration::from_secs(3))
        );
        assert_eq!(p.delay(1, Some(Duration::from_secs(31)), 0.0), None);
    }

    #[test]
    fn seeded_jitter_is_deterministic_and_in_range() {
        let mut a = SeededJitter::new(7);
        let mut b = SeededJitter::new(7);
        for _ in 0..100 {
            let x = a.sample();
            assert_eq!(x, b.sample());
            assert!((0.0..1.0).contains(&x));
        }
    }

    #[tokio::test]
    async fn retry_stops_on_permanent_errors_and_after_the_last_attempt() {
        let p = RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            max_retry_after: Duration::from_secs(1),
        };
        let mut calls = 0;
        let r: Result<(), _> = retry(&p, &mut FixedJitter(0.0), || {
            calls += 1;
            async {
                Err(ProviderError::Server {
                    status: 502,
                    code: None,
                })
            }
        })
        .await;
        assert!(matches!(r, Err(ProviderError::Server { status: 502, .. })));
        assert_eq!(calls, 3);

        let mut calls = 0;
        let r: Result<(), _> = retry(&p, &mut FixedJitter(0.0), || {
            calls += 1;
            async { Err(ProviderError::Unsubscribed) }
        })
        .await;
        assert_eq!(r, Err(ProviderError::Unsubscribed));
        assert_eq!(calls, 1);

        let mut calls = 0;
        let r = retry(&p, &mut FixedJitter(0.0), || {
            calls += 1;
            let n = calls;
            async move {
                if n < 2 {
                    Err(ProviderError::Unreachable("refused".into()))
                } else {
                    Ok(n)
                }
            }
        })
        .await;
        assert_eq!(r, Ok(2));
    }
}
