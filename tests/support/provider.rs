//! Helpers of the provider flow tests (provider_flows, provider_faults): numbers, a text,
//! a fast retry policy, the cursor stored and restored, polling with a deadline.

use std::time::Duration;

use frontdesk::domain::phone::E164;
use frontdesk::provider::retry::RetryPolicy;
use frontdesk::provider::{OutboundSms, PollCursor};

pub const ANA: &str = "+12015550134";
pub const BEN: &str = "+12015550177";
pub const CARL: &str = "+12015550188";

pub fn sms(to: &str, body: &str) -> OutboundSms {
    OutboundSms {
        to: E164::try_from(to.to_string()).unwrap(),
        body: body.to_string(),
        idempotency_key: format!("test:{to}:{body}"),
    }
}

pub fn fast_policy(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(10),
        max_retry_after: Duration::from_secs(5),
    }
}

/// Poll `cond` until it holds; fails after 10 s (a deadline, not a timing: it only bounds a
/// hang).
pub async fn wait_for(mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "still not true after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub fn no_claims(_: &str) -> bool {
    false
}

/// Persist and restore the cursor between polls, as the workflow does.
pub fn stored(cursor: &PollCursor) -> PollCursor {
    PollCursor::decode(&cursor.encode()).unwrap()
}
