//! What can go wrong when talking to an SMS provider, and what the caller should do about it.
//!
//! Part of the provider shell: imports std, thiserror and nothing of `store`/`workflow`/`tui`.
//! Every message is written for the front desk — it says what happened *and what to do next* —
//! and never contains a phone number, a message body or a credential, so it may be shown on
//! screen, stored with a message row and written to the log as it is.

use std::time::Duration;

/// Twilio: "Attempt to send to unsubscribed recipient" — the patient replied STOP to our number.
pub const CODE_UNSUBSCRIBED: u32 = 21610;
/// Twilio: authentication failed (wrong account SID or auth token).
pub const CODE_AUTHENTICATE: u32 = 20003;
/// Twilio: too many requests.
pub const CODE_TOO_MANY_REQUESTS: u32 = 20429;
/// Twilio codes that mean "this phone number cannot receive our texts" (SPEC §5.7): flag the
/// number on the patient and send nothing more until staff fix or re-verify it.
pub const NUMBER_PROBLEM_CODES: [u32; 5] = [21211, 21614, 30003, 30005, 30006];

/// What a Twilio error code means, in words for the front desk (Twilio's error dictionary,
/// https://www.twilio.com/docs/api/errors, for the codes a messaging account meets). `None`
/// for a code not listed: the report then shows the code with Twilio's own message.
pub fn code_meaning(code: u32) -> Option<&'static str> {
    Some(match code {
        20003 => "Twilio refused the account SID or auth token",
        20429 => "too many requests to Twilio at once",
        20500 | 20503 => "Twilio had a server problem",
        21211 => "not a valid phone number",
        21408 => "texting this country is not enabled on the Twilio account",
        21606 | 21659 => "the sending number cannot send this text (check sms.twilio.from)",
        21610 => "the patient opted out of texts from this number (replied STOP)",
        21611 => "the sending number's queue is full",
        21612 => "Twilio cannot route texts between these two numbers",
        21614 => "not a mobile number (a landline cannot receive texts)",
        21617 => "the text is too long",
        30001 => "the sending queue overflowed",
        30002 => "the Twilio account is suspended",
        30003 => "the handset is switched off or out of reach",
        30004 => "the recipient or their carrier blocks the text",
        30005 => "unknown or inactive number",
        30006 => "a landline or a carrier that cannot take texts",
        30007 => "the carrier filtered the text as spam",
        30008 => "the carrier reported an unknown error",
        30032 => "the toll-free sending number is not verified",
        30034 => "the sending number is not registered for A2P 10DLC texting",
        _ => return None,
    })
}

/// What the caller should do with a failed provider call or a failed message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Disposition {
    /// Nothing reached the provider (or it refused before taking the message): try again after
    /// a backoff; when the run's attempts are used up, leave the message queued.
    Retry,
    /// The request may have reached the provider; before any new attempt, ask the provider
    /// whether the message exists ([`super::SmsProvider::find_sent`]).
    ReconcileThenRetry,
    /// The recipient has opted out at the carrier/provider (Twilio 21610): record an opt-out.
    RecordOptOut,
    /// The number is invalid, not mobile or unreachable: flag it on the patient.
    FlagNumber,
    /// Credentials are wrong: stop the whole run, every further call would fail the same way.
    StopRun,
    /// Permanent for this message: mark it failed with the provider's code, do not retry.
    Fail,
}

impl Disposition {
    /// The meaning of a provider error code, whether it came back from a create call or later
    /// on a status update (Twilio reports 30003/30005/30006 only asynchronously, as the
    /// `error_code` of an `undelivered`/`failed` message). `None` for codes with no special
    /// handling: the message simply failed.
    pub fn for_code(code: u32) -> Option<Self> {
        match code {
            CODE_UNSUBSCRIBED => Some(Self::RecordOptOut),
            c if NUMBER_PROBLEM_CODES.contains(&c) => Some(Self::FlagNumber),
            CODE_AUTHENTICATE => Some(Self::StopRun),
            CODE_TOO_MANY_REQUESTS => Some(Self::Retry),
            _ => None,
        }
    }
}

/// A failed provider call.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// HTTP 401 or Twilio 20003.
    #[error(
        "Twilio refused the account SID or auth token{}: check your Twilio credentials \
         (sms.twilio.account_sid and the auth token) — nothing more is sent until they are fixed",
        code_suffix(*code)
    )]
    Unauthorized { code: Option<u32> },

    /// HTTP 429 or Twilio 20429. `retry_after` is the provider's `Retry-After`, when given.
    #[error(
        "Twilio is limiting how fast this account may send{}; the message stays queued and is \
         retried shortly",
        code_suffix(*code)
    )]
    RateLimited {
        retry_after: Option<Duration>,
        code: Option<u32>,
    },

    /// Twilio 21610: the recipient replied STOP to this sending number.
    #[error(
        "the patient has opted out of texts from this number (Twilio error 21610); the opt-out \
         is recorded — text them again only after they reply START"
    )]
    Unsubscribed,

    /// Twilio 21211/21614/30003/30005/30006: the number cannot receive our texts.
    #[error(
        "Twilio cannot deliver to this phone number (error {code}: {}); the number is flagged \
         — check it with the patient and correct it before texting again",
        number_problem(*code)
    )]
    InvalidNumber { code: u32 },

    /// Any other refusal (HTTP 4xx): permanent for this message. `message` is the provider's
    /// text with phone numbers masked.
    #[error(
        "Twilio refused the message (HTTP {status}{}): {message}; it will not be retried{}",
        code_suffix(*code),
        more_info(*code)
    )]
    Rejected {
        status: u16,
        code: Option<u32>,
        message: String,
    },

    /// HTTP 5xx.
    #[error(
        "Twilio had a server error (HTTP {status}{}); the message stays queued and is retried \
         later",
        code_suffix(*code)
    )]
    Server { status: u16, code: Option<u32> },

    /// The request never reached the provider (DNS, connection refused, TLS): safe to retry.
    #[error(
        "cannot reach Twilio ({0}); check the internet connection — messages stay queued and \
         go out later"
    )]
    Unreachable(String),

    /// The request was sent but no complete answer came back (timeout, connection dropped):
    /// the provider may or may not have taken the message.
    #[error(
        "no answer from Twilio in time ({0}); the message may already have gone out, so it is \
         checked with Twilio before any retry"
    )]
    OutcomeUnknown(String),

    /// A success status whose body could not be read, or an answer that is not Twilio's.
    #[error(
        "Twilio's answer could not be read ({0}); if this keeps happening check \
         sms.twilio.base_url"
    )]
    BadResponse(String),

    /// The provider cannot be set up (missing token, bad setting).
    #[error("{0}")]
    Config(String),
}

fn code_suffix(code: Option<u32>) -> String {
    code.map(|c| format!(", error {c}")).unwrap_or_default()
}

fn more_info(code: Option<u32>) -> String {
    code.map(|c| format!(" (see https://www.twilio.com/docs/errors/{c})"))
        .unwrap_or_default()
}

fn number_problem(code: u32) -> &'static str {
    code_meaning(code).unwrap_or("the number cannot receive texts")
}

impl ProviderError {
    /// A later attempt may succeed (rate limit, server error, network). For a *send*, check
    /// [`Self::disposition`] first: [`Disposition::ReconcileThenRetry`] must not be retried
    /// blindly.
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. }
                | Self::Server { .. }
                | Self::Unreachable(_)
                | Self::OutcomeUnknown(_)
        )
    }

    /// What to do after this error on a *send* (create) call.
    pub fn disposition(&self) -> Disposition {
        match self {
            Self::Unauthorized { .. } | Self::Config(_) => Disposition::StopRun,
            Self::RateLimited { .. } | Self::Unreachable(_) => Disposition::Retry,
            // A 503 is Twilio turning the request away; any other 5xx, a timeout or an
            // unreadable success may have left a created message behind.
            Self::Server { status: 503, .. } => Disposition::Retry,
            Self::Server { .. } | Self::OutcomeUnknown(_) | Self::BadResponse(_) => {
                Disposition::ReconcileThenRetry
            }
            Self::Unsubscribed => Disposition::RecordOptOut,
            Self::InvalidNumber { .. } => Disposition::FlagNumber,
            Self::Rejected { .. } => Disposition::Fail,
        }
    }

    /// The provider's error code, to store with the message and show on screen.
    pub fn code(&self) -> Option<u32> {
        match self {
            Self::Unauthorized { code }
            | Self::RateLimited { code, .. }
            | Self::Rejected { code, .. }
            | Self::Server { code, .. } => *code,
            Self::Unsubscribed => Some(CODE_UNSUBSCRIBED),
            Self::InvalidNumber { code } => Some(*code),
            Self::Unreachable(_)
            | Self::OutcomeUnknown(_)
            | Self::BadResponse(_)
            | Self::Config(_) => None,
        }
    }

    /// How long the provider asked us to wait, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Map an HTTP error answer (status, provider code, provider text) to an error. The code
    /// wins over the status: Twilio answers 21610 and 21211 with HTTP 400.
    pub fn from_http(
        status: u16,
        code: Option<u32>,
        message: &str,
        retry_after: Option<Duration>,
    ) -> Self {
        match code.and_then(Disposition::for_code) {
            Some(Disposition::RecordOptOut) => return Self::Unsubscribed,
            Some(Disposition::FlagNumber) => {
                return Self::InvalidNumber {
                    code: code.unwrap_or_default(),
                };
            }
            Some(Disposition::StopRun) => return Self::Unauthorized { code },
            Some(Disposition::Retry) => return Self::RateLimited { retry_after, code },
            _ => {}
        }
        match status {
            401 => Self::Unauthorized { code },
            429 => Self::RateLimited { retry_after, code },
            500..=599 => Self::Server { status, code },
            _ => Self::Rejected {
                status,
                code,
                message: mask_numbers(message),
            },
        }
    }
}

/// Numbers in a provider's words are masked before they are kept (the masking is the
/// domain's, so the audit masks the same way).
pub use crate::domain::phone::mask_numbers;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_what_the_workflow_must_do() {
        let e = |status, code| ProviderError::from_http(status, code, "x", None);
        assert_eq!(e(400, Some(21610)), ProviderError::Unsubscribed);
        assert_eq!(e(400, Some(21610)).disposition(), Disposition::RecordOptOut);
        for code in NUMBER_PROBLEM_CODES {
            assert_eq!(e(400, Some(code)), ProviderError::InvalidNumber { code });
            assert_eq!(e(400, Some(code)).disposition(), Disposition::FlagNumber);
        }
        assert_eq!(
            e(401, Some(20003)),
            ProviderError::Unauthorized { code: Some(20003) }
        );
        assert_eq!(e(401, None).disposition(), Disposition::StopRun);
        assert_eq!(e(429, None).disposition(), Disposition::Retry);
        assert_eq!(e(400, Some(20429)).disposition(), Disposition::Retry);
        assert_eq!(e(503, Some(20503)).disposition(), Disposition::Retry);
        assert_eq!(
            e(500, Some(20500)).disposition(),
            Disposition::ReconcileThenRetry
        );
        assert_eq!(e(400, Some(21602)).disposition(), Disposition::Fail);
        assert!(!e(400, Some(21602)).retryable());
        assert!(e(502, None).retryable());
        assert!(!e(400, Some(21610)).retryable());
    }

    #[test]
    fn async_status_codes_have_the_same_meaning() {
        assert_eq!(Disposition::for_code(30003), Some(Disposition::FlagNumber));
        assert_eq!(Disposition::for_code(30006), Some(Disposition::FlagNumber));
        assert_eq!(
            Disposition::for_code(21610),
            Some(Disposition::RecordOptOut)
        );
        assert_eq!(Disposition::for_code(30007), None);
    }

    #[test]
    fn messages_say_what_to_do_next() {
        let auth = ProviderError::Unauthorized { code: Some(20003) }.to_string();
        assert!(auth.contains("check your Twilio credentials"), "{auth}");
        let bad = ProviderError::InvalidNumber { code: 21614 }.to_string();
        assert!(
            bad.contains("not a mobile number") && bad.contains("flagged"),
            "{bad}"
        );
        let rejected = ProviderError::from_http(
            400,
            Some(21602),
            "Message body is required for +1 (555) 867-5310.",
            None,
        )
        .to_string();
        assert!(
            rejected.contains("https://www.twilio.com/docs/errors/21602"),
            "{rejected}"
        );
        assert!(!rejected.contains("867"), "{rejected}");
    }

    #[test]
    fn numbers_are_masked_but_codes_and_short_numbers_kept() {
        assert_eq!(
            mask_numbers("The 'To' number +15558675310 is not valid"),
            "The 'To' number [number] is not valid"
        );
        assert_eq!(mask_numbers("call (555) 867-5310 now"), "call [number] now");
        assert_eq!(mask_numbers("error 21610 at 10:30"), "error 21610 at 10:30");
        assert_eq!(mask_numbers("a + b"), "a + b");
    }
}
