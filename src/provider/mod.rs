//! SMS providers (SPEC §9): one trait, [`SmsProvider`], and its implementations — the offline
//! [`outbox`] (default) and [`twilio`] (reqwest + rustls; the only place reqwest is used).
//!
//! Imports `domain` and `config` only; never `store`, `workflow` or `tui`. Nothing here reads
//! the clock: times come in as parameters. Nothing here logs a phone number, a body or a token.
//!
//! # How the workflow uses it
//! * **Send**: write the row (status `pending`) first, then [`SmsProvider::send`] — or
//!   [`retry::send_with_retry`], which retries transient failures with backoff and reconciles
//!   before re-sending after an unknown outcome — then write back the [`SendReceipt`]. On an
//!   error, act on [`ProviderError::disposition`].
//! * **Reconcile** a row left `pending` by a crash (SPEC §5.8): call
//!   [`SmsProvider::find_sent`] with the row's number, body and creation time *before* any
//!   retry. See [`SentQuery`] for why this matches on To + Body + time and how to use the result.
//! * **Sync**: [`SmsProvider::poll`] with the stored [`PollCursor`]; apply the page's inbound
//!   messages and status updates, then store the returned cursor in the same transaction.
//!   Repeat while [`PollPage::complete`] is false.
//!
//! # Adding a provider
//! One file implementing [`SmsProvider`], plus its arm in [`from_config`].

pub mod error;
pub mod fhir;
pub mod offline;
pub mod retry;
pub mod twilio;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::config::{Config, ProviderKind};
use crate::domain::message::MessageStatus;
use crate::domain::phone::E164;

pub use error::{Disposition, ProviderError};

/// The future every provider call returns: boxed so that [`SmsProvider`] can be used as a
/// trait object (`Box<dyn SmsProvider>`), which keeps scripted test providers easy to write.
pub type ProviderFuture<'a, T> =
    Pin<Box<dyn Future<Output = Result<T, ProviderError>> + Send + 'a>>;

/// One text to send. The sender (From number or Messaging Service) comes from the config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboundSms {
    pub to: E164,
    /// The final rendered body, already through the PHI gate.
    pub body: String,
    /// The message row's idempotency key (SPEC §5.8). The outbox derives its id from it;
    /// Twilio has no idempotency key on create, hence [`SmsProvider::find_sent`].
    pub idempotency_key: String,
}

/// What the provider said when it took a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendReceipt {
    /// The provider's id for the message (Twilio `SM…`, outbox `OB…`): store it on the row.
    pub provider_id: String,
    pub status: MessageStatus,
    /// The provider's error code, if the message already failed.
    pub error_code: Option<u32>,
    /// Segments the provider will bill, when it says.
    pub segments: Option<u32>,
}

/// The current state of one outbound message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusUpdate {
    pub provider_id: String,
    pub status: MessageStatus,
    /// Set on `failed`/`undelivered`; see [`Disposition::for_code`] (30003/30005/30006 flag
    /// the number, 21610 records an opt-out).
    pub error_code: Option<u32>,
    /// When the provider sent it (None while still queued).
    pub sent_at: Option<DateTime<Utc>>,
    /// What the message was, when the provider listed it (polls do; a fetch by id need not):
    /// lets a message no row knows be matched to the row it came from.
    #[serde(default)]
    pub copy: Option<SentCopy>,
}

/// Recipient, body and creation time of an outbound message as the provider lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentCopy {
    pub to: String,
    pub body: String,
    pub created_at: Option<DateTime<Utc>>,
}

impl StatusUpdate {
    /// What the workflow should do about this message's error code, if anything.
    pub fn disposition(&self) -> Option<Disposition> {
        self.error_code.and_then(Disposition::for_code)
    }
}

/// A text a patient sent to the practice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundSms {
    /// Unique per message: store it under a unique index as a second guard against duplicates.
    pub provider_id: String,
    /// The sender as the provider gives it — normally E.164; see [`Self::from_e164`].
    pub from: String,
    pub body: String,
    pub received_at: DateTime<Utc>,
}

impl InboundSms {
    /// The sender as E.164, or None for a short code or an alphanumeric sender.
    pub fn from_e164(&self) -> Option<E164> {
        E164::try_from(self.from.clone()).ok()
    }
}

/// An outbound message found at the provider by [`SmsProvider::find_sent`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentMessage {
    pub provider_id: String,
    pub status: MessageStatus,
    pub error_code: Option<u32>,
    /// When the provider created it.
    pub created_at: Option<DateTime<Utc>>,
}

impl SentMessage {
    /// The receipt the lost send call would have returned.
    pub fn into_receipt(self) -> SendReceipt {
        SendReceipt {
            provider_id: self.provider_id,
            status: self.status,
            error_code: self.error_code,
            segments: None,
        }
    }
}

/// What to look for when reconciling a message whose send outcome is unknown.
///
/// Twilio's Messages create has no idempotency key, so the only way to learn whether an
/// earlier attempt reached Twilio is to list recent outbound messages to the same number and
/// compare. A match is an outbound message to `to` whose body equals `body` (after trimming and
/// folding the "smart" characters a Messaging Service may re-encode) created at or after
/// `since` minus a few minutes of allowed clock skew.
///
/// How the workflow uses the result (newest first):
/// * take the first message whose `provider_id` is **not already stored on another row** —
///   two rows can legitimately share To + Body (a family sharing one mobile receiving the
///   same closure notice) — and record it on this row as if the send had answered;
/// * none found: nothing reached the provider, send again (the row stays `pending` meanwhile);
/// * an error: leave the row `pending` and try reconciliation again next run — never resend
///   without an answer.
///
/// Because of the sharing case, the workflow must not have two messages with the same To and
/// Body in flight at the same time (serialise sends per number). `since` should be the time
/// the row was written, just before the first attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentQuery {
    pub to: E164,
    pub body: String,
    pub since: DateTime<Utc>,
}

/// Where the last poll stopped: the workflow stores it (e.g. as JSON with
/// [`PollCursor::encode`]) and passes it back to the next [`SmsProvider::poll`].
///
/// Twilio's list can only be filtered by the *day* a message was sent, newest first, so the
/// cursor keeps the first day still worth listing and, per day from then on, the messages
/// already reported (id → status last reported). The window moves forward as soon as nothing
/// older can change: only outbound messages still awaiting a final status (for at most
/// [`twilio::STATUS_WATCH`]) hold it open, so it stays a few days long and the stored text
/// stays around 50 bytes per message of those days.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollCursor {
    /// First day (UTC) to list. None: no starting point given yet.
    window_start: Option<NaiveDate>,
    /// Messages already reported within the window, by the day they were sent.
    #[serde(default)]
    seen: BTreeMap<NaiveDate, BTreeMap<String, MessageStatus>>,
    /// An unfinished listing (the page cap was hit): continue here next time.
    #[serde(default)]
    resume: Option<ResumePoint>,
}

/// Where an interrupted listing continues, and what it has gathered so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumePoint {
    /// The provider's next-page reference (for Twilio a path relative to the base URL).
    pub next: String,
    /// Latest send time seen so far in this listing.
    pub newest: Option<DateTime<Utc>>,
    /// Earliest send time of an outbound message still awaiting a final status.
    pub oldest_open: Option<DateTime<Utc>>,
}

impl PollCursor {
    /// The first cursor: list messages sent from `start`'s day on (e.g. the day the practice
    /// switched to Twilio, or `now - 1 day`).
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Self {
            window_start: Some(start.date_naive()),
            ..Self::default()
        }
    }

    /// The first day the next poll lists.
    pub fn window_start(&self) -> Option<NaiveDate> {
        self.window_start
    }

    /// Messages remembered as already reported.
    pub fn seen_count(&self) -> usize {
        self.seen.values().map(BTreeMap::len).sum()
    }

    /// True while a listing cut short by the page cap is still to be continued.
    pub fn is_resuming(&self) -> bool {
        self.resume.is_some()
    }

    /// Serialise for storage.
    pub fn encode(&self) -> String {
        // Serialising plain maps of strings and dates cannot fail; keep the signature infallible.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_string())
    }

    /// Read a stored cursor.
    pub fn decode(text: &str) -> Result<Self, ProviderError> {
        serde_json::from_str(text)
            .map_err(|e| ProviderError::Config(format!("the stored poll position is damaged: {e}")))
    }
}

/// What one poll found. Apply it, then store [`Self::cursor`] — in that order, in one
/// transaction — so a crash in between replays the page instead of losing it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PollPage {
    /// New texts from patients, each reported once across polls, oldest first.
    pub inbound: Vec<InboundSms>,
    /// Outbound messages whose status changed since they were last reported, oldest first.
    /// May include messages sent from the same number by something else (the Twilio
    /// console): ignore ids no row knows.
    pub statuses: Vec<StatusUpdate>,
    /// The cursor to store.
    pub cursor: PollCursor,
    /// False when the page cap stopped the listing early: poll again to continue.
    pub complete: bool,
}

/// An SMS provider. Object-safe: the workflow holds a `Box<dyn SmsProvider>`.
pub trait SmsProvider: Send + Sync {
    /// "outbox" or "twilio": stored with each message.
    fn name(&self) -> &'static str;

    /// True when the provider only holds messages locally (the offline outbox): a receipt
    /// with status `queued` then means "waiting to be sent for real later" (SPEC §5.7).
    fn is_offline(&self) -> bool {
        false
    }

    /// Hand one message to the provider.
    fn send<'a>(&'a self, sms: &'a OutboundSms) -> ProviderFuture<'a, SendReceipt>;

    /// The current status of one message by its provider id.
    fn fetch_status<'a>(&'a self, provider_id: &'a str) -> ProviderFuture<'a, StatusUpdate>;

    /// Inbound messages and outbound status changes since `cursor`.
    fn poll<'a>(&'a self, cursor: &'a PollCursor) -> ProviderFuture<'a, PollPage>;

    /// Outbound messages matching `query`, newest first — for reconciliation (see [`SentQuery`]).
    fn find_sent<'a>(&'a self, query: &'a SentQuery) -> ProviderFuture<'a, Vec<SentMessage>>;
}

/// The provider the config asks for. Reads the Twilio auth token (from the environment or
/// its file) once, here.
pub fn from_config(config: &Config) -> Result<Box<dyn SmsProvider>, ProviderError> {
    let sms = &config.sms;
    match sms.provider {
        ProviderKind::Outbox => Ok(Box::new(offline::Outbox::new())),
        ProviderKind::Twilio => {
            let cfg = sms.twilio.as_ref().ok_or_else(|| {
                ProviderError::Config(
                    "sms.provider is \"twilio\" but there is no [sms.twilio] section".into(),
                )
            })?;
            Ok(Box::new(twilio::Twilio::from_config(
                cfg,
                &config.practice.region,
            )?))
        }
    }
}

/// Bodies compare equal when they match after trimming, collapsing whitespace and folding
/// the characters a Messaging Service's "smart encoding" may replace (curly quotes, dashes,
/// ellipsis, non-breaking space).
pub fn same_body(a: &str, b: &str) -> bool {
    fn fold(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        for word in s.split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            for c in word.chars() {
                match c {
                    '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{2032}' => out.push('\''),
                    '\u{201C}' | '\u{201D}' | '\u{201F}' | '\u{2033}' => out.push('"'),
                    '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push('-'),
                    '\u{2026}' => out.push_str("..."),
                    _ => out.push(c),
                }
            }
        }
        out
    }
    fold(a) == fold(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_match_across_smart_encoding_and_whitespace() {
        assert!(same_body(
            "Riverside: see you Tue 10:00 \u{2014} reply C to confirm\u{2026}",
            " Riverside: see you Tue 10:00 - reply C to confirm... "
        ));
        assert!(same_body("It\u{2019}s on", "It's  on"));
        assert!(!same_body("see you Tue 10:00", "see you Tue 10:30"));
    }

    #[test]
    fn cursor_round_trips_through_storage() {
        let t = DateTime::parse_from_rfc3339("2026-11-25T14:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut c = PollCursor::starting_at(t);
        c.seen
            .entry(t.date_naive())
            .or_default()
            .insert("SMabc".into(), MessageStatus::Sent);
        let back = PollCursor::decode(&c.encode()).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.window_start, NaiveDate::from_ymd_opt(2026, 11, 25));
        assert!(PollCursor::decode("{not json").is_err());
    }
}
