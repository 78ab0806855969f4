//! Twilio Programmable Messaging, REST API 2010-04-01, over reqwest + rustls (SPEC §9).
//!
//! The only module that speaks HTTP. Imports `domain`, `config` and the provider types; never
//! `store`, `workflow` or `tui`; never reads the clock. Logs carry message ids, HTTP statuses
//! and Twilio codes only — never a phone number, a body or the auth token (reqwest errors
//! are stripped of their URL, whose query can hold a number, before they are kept).
//!
//! * create: `POST {base}/2010-04-01/Accounts/{AC}/Messages.json`, form-encoded `To`, `Body`
//!   and `From` or `MessagingServiceSid`, HTTP basic auth (account SID, auth token);
//! * fetch: `GET …/Messages/{SM}.json`;
//! * list (poll, reconciliation): `GET …/Messages.json` with `DateSent>` (sent as
//!   `YYYY-MM-DDT00:00:00Z`: the spec types it date-time, Twilio filters by day) or `To`/`From`,
//!   following `next_page_uri` — a path, joined to the base URL — up to a page cap.
//!
//! Responses are read tolerantly: every field may be null, missing or of an odd type, and
//! unknown fields are ignored; only a created message without a sid is an error.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use reqwest::header::{ACCEPT, DATE, HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;

use super::{
    InboundSms, OutboundSms, PollCursor, PollPage, ProviderError, ProviderFuture, ResumePoint,
    SendReceipt, SentCopy, SentMessage, SentQuery, SmsProvider, StatusUpdate, same_body,
};
use crate::config::TwilioConfig;
use crate::domain::message::{MessageProvider, MessageStatus};
use crate::domain::phone::E164;

/// Messages per page when polling (Twilio allows 1..=1000).
pub const POLL_PAGE_SIZE: u32 = 200;
/// Messages per page and pages at most when reconciling one number.
pub const FIND_PAGE_SIZE: u32 = 50;
pub const FIND_MAX_PAGES: u32 = 4;
/// Clock skew allowed between this workstation and Twilio when reconciling.
pub const CLOCK_SKEW: chrono::TimeDelta = chrono::TimeDelta::minutes(5);
/// How long an outbound message without a final status keeps the poll window open. Many
/// carriers never report delivery, so `sent` can be the last word.
pub const STATUS_WATCH: chrono::TimeDelta = chrono::TimeDelta::days(3);

/// Who the texts come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sender {
    /// A Twilio phone number (`From`).
    From(E164),
    /// A Messaging Service (`MessagingServiceSid`, `MG…`): Twilio picks the number.
    Service(String),
}

/// Everything the client needs, with the auth token already read.
#[derive(Clone)]
pub struct TwilioSettings {
    pub account_sid: String,
    pub auth_token: String,
    pub sender: Sender,
    /// `https://api.twilio.com`, or a local server in tests. No trailing slash needed.
    pub base_url: String,
    pub timeout: Duration,
    /// Pages one poll reads at most.
    pub max_pages: u32,
    pub page_size: u32,
}

impl std::fmt::Debug for TwilioSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioSettings")
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"[redacted]")
            .field("sender", &self.sender)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("max_pages", &self.max_pages)
            .field("page_size", &self.page_size)
            .finish()
    }
}

impl TwilioSettings {
    /// From `[sms.twilio]`; reads the auth token from the environment or its file.
    /// `region` reads a `from` number written without a country code.
    pub fn from_config(cfg: &TwilioConfig, region: &str) -> Result<Self, ProviderError> {
        let auth_token = cfg
            .auth_token()
            .map_err(|e| ProviderError::Config(e.to_string()))?;
        let sender = match (&cfg.from, &cfg.messaging_service_sid) {
            (Some(from), None) => Sender::From(
                E164::parse_own(from, region)
                    .map_err(|e| ProviderError::Config(format!("sms.twilio.from: {e}")))?,
            ),
            (None, Some(mg)) => Sender::Service(mg.trim().to_string()),
            _ => {
                return Err(ProviderError::Config(
                    "sms.twilio: set exactly one of `from` and `messaging_service_sid`".into(),
                ));
            }
        };
        Ok(Self {
            account_sid: cfg.account_sid.trim().to_string(),
            auth_token,
            sender,
            base_url: cfg.base_url.clone(),
            timeout: Duration::from_secs(cfg.timeout_seconds.max(1)),
            max_pages: cfg.max_pages.max(1),
            page_size: POLL_PAGE_SIZE,
        })
    }
}

/// The Twilio provider.
#[derive(Debug)]
pub struct Twilio {
    settings: TwilioSettings,
    base: String,
    messages_url: String,
    client: reqwest::Client,
}

/// The HTTP client settings the provider uses: request timeout, connect timeout, no redirects
/// (credentials must never follow one), rustls. Tests start from this and add headers.
pub fn client_builder(timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .use_rustls_tls()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(Duration::from_secs(30))
        .user_agent(concat!("frontdesk/", env!("CARGO_PKG_VERSION")))
}

impl Twilio {
    /// From `[sms.twilio]` with the default client.
    pub fn from_config(cfg: &TwilioConfig, region: &str) -> Result<Self, ProviderError> {
        Self::new(TwilioSettings::from_config(cfg, region)?)
    }

    /// With the default client ([`client_builder`]).
    pub fn new(settings: TwilioSettings) -> Result<Self, ProviderError> {
        let client = client_builder(settings.timeout)
            .build()
            .map_err(|e| ProviderError::Config(format!("cannot set up HTTPS: {e}")))?;
        Self::with_client(settings, client)
    }

    /// With an injected client (tests: default headers such as Prism's `Prefer`).
    pub fn with_client(
        settings: TwilioSettings,
        client: reqwest::Client,
    ) -> Result<Self, ProviderError> {
        if !is_sid(&settings.account_sid) {
            return Err(ProviderError::Config(
                "sms.twilio.account_sid must be letters and digits (AC…)".into(),
            ));
        }
        let base = settings.base_url.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(ProviderError::Config(
                "sms.twilio.base_url must be an http(s) URL".into(),
            ));
        }
        let messages_url = format!(
            "{base}/2010-04-01/Accounts/{}/Messages.json",
            settings.account_sid
        );
        Ok(Self {
            settings,
            base,
            messages_url,
            client,
        })
    }

    /// Send a request with credentials; decode a success body as `T`, map anything else.
    async fn call<T: DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
        what: &'static str,
    ) -> Result<T, ProviderError> {
        let resp = req
            .basic_auth(&self.settings.account_sid, Some(&self.settings.auth_token))
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(transport_error)?;
        let status = resp.status();
        let retry_after = retry_after(resp.headers());
        let bytes = resp.bytes().await.map_err(transport_error)?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| {
                tracing::warn!(what, http = status.as_u16(), "unreadable Twilio answer");
                ProviderError::BadResponse(format!(
                    "HTTP {} to {what}: {:?} at line {} column {}",
                    status.as_u16(),
                    e.classify(),
                    e.line(),
                    e.column()
                ))
            });
        }
        let body: ApiError = serde_json::from_slice(&bytes).unwrap_or_default();
        let code = body.code;
        let http = status.as_u16();
        tracing::warn!(what, http, code = ?code, "Twilio refused a request");
        if code.is_none() && !matches!(http, 401 | 429 | 500..=599) {
            // Twilio always names a code; an answer without one comes from something else
            // (a wrong base URL, a proxy) and must not fail messages for good.
            return Err(ProviderError::BadResponse(format!(
                "HTTP {http} to {what} without a Twilio error code"
            )));
        }
        let reason = status.canonical_reason().unwrap_or("error");
        Err(ProviderError::from_http(
            http,
            code,
            body.message.as_deref().unwrap_or(reason),
            retry_after,
        ))
    }

    fn is_ours_outbound(&self, m: &ApiMessage) -> bool {
        m.direction
            .as_deref()
            .is_some_and(|d| d.starts_with("outbound"))
            && match &self.settings.sender {
                Sender::From(n) => m.from.as_deref() == Some(n.as_str()),
                Sender::Service(mg) => m.messaging_service_sid.as_deref() == Some(mg.as_str()),
            }
    }

    fn is_ours_inbound(&self, m: &ApiMessage) -> bool {
        m.direction.as_deref() == Some("inbound")
            && match &self.settings.sender {
                Sender::From(n) => m.to.as_deref() == Some(n.as_str()),
                Sender::Service(mg) => m.messaging_service_sid.as_deref() == Some(mg.as_str()),
            }
    }

    /// `base` + a `next_page_uri` (a path). An absolute URL is accepted only on the same
    /// base, so credentials never go to another host.
    fn next_url(&self, next: &str) -> Result<String, ProviderError> {
        if next.starts_with('/') {
            Ok(format!("{}{next}", self.base))
        } else if next.starts_with(&format!("{}/", self.base)) {
            Ok(next.to_string())
        } else {
            Err(ProviderError::BadResponse(
                "next_page_uri points outside the configured base URL".into(),
            ))
        }
    }
}

/// The `MessageStatus` for a Twilio status. Unknown statuses count as `queued` (still moving):
/// the next poll or fetch will tell more.
pub fn map_status(twilio: &str) -> MessageStatus {
    match twilio {
        "accepted" | "scheduled" | "queued" => MessageStatus::Queued,
        "sending" | "sent" => MessageStatus::Sent,
        "delivered" | "read" => MessageStatus::Delivered,
        // Some parts did not arrive: for a reminder the patient may have a fragment.
        "undelivered" | "partially_delivered" => MessageStatus::Undelivered,
        "failed" | "canceled" => MessageStatus::Failed,
        "receiving" | "received" => MessageStatus::Received,
        other => {
            tracing::warn!(status = other, "unknown Twilio status, treated as queued");
            MessageStatus::Queued
        }
    }
}

impl SmsProvider for Twilio {
    fn name(&self) -> &'static str {
        MessageProvider::TWILIO
    }

    fn send<'a>(&'a self, sms: &'a OutboundSms) -> ProviderFuture<'a, SendReceipt> {
        Box::pin(async move {
            let sender = match &self.settings.sender {
                Sender::From(n) => ("From", n.as_str()),
                Sender::Service(mg) => ("MessagingServiceSid", mg.as_str()),
            };
            let form = [("To", sms.to.as_str()), sender, ("Body", sms.body.as_str())];
            let req = self.client.post(&self.messages_url).form(&form);
            let m: ApiMessage = self.call(req, "create message").await?;
            let Some(sid) = m.sid.filter(|s| is_sid(s)) else {
                return Err(ProviderError::BadResponse(
                    "the created message has no sid".into(),
                ));
            };
            let status = map_status(m.status.as_deref().unwrap_or("queued"));
            tracing::info!(provider_id = %sid, %status, code = ?m.error_code, "Twilio took the message");
            Ok(SendReceipt {
                provider_id: sid,
                status,
                error_code: m.error_code,
                segments: m.num_segments,
            })
        })
    }

    fn fetch_status<'a>(&'a self, provider_id: &'a str) -> ProviderFuture<'a, StatusUpdate> {
        Box::pin(async move {
            if !is_sid(provider_id) {
                return Err(ProviderError::Rejected {
                    status: 400,
                    code: None,
                    message: "not a Twilio message id".into(),
                });
            }
            let url = format!(
                "{}/2010-04-01/Accounts/{}/Messages/{provider_id}.json",
                self.base, self.settings.account_sid
            );
            let m: ApiMessage = self.call(self.client.get(url), "fetch message").await?;
            let status = map_status(m.status.as_deref().unwrap_or("queued"));
            Ok(StatusUpdate {
                // Keep the id asked for: it is the row's key, whatever the answer says.
                provider_id: provider_id.to_string(),
                status,
                error_code: m.error_code,
                sent_at: m.date_sent.as_deref().and_then(parse_date),
                copy: None,
            })
        })
    }

    fn poll<'a>(&'a self, cursor: &'a PollCursor) -> ProviderFuture<'a, PollPage> {
        Box::pin(async move { self.poll_impl(cursor).await })
    }

    fn find_sent<'a>(&'a self, query: &'a SentQuery) -> ProviderFuture<'a, Vec<SentMessage>> {
        Box::pin(async move { self.find_sent_impl(query).await })
    }
}

/// Twilio ids are letters and digits only (`AC…`, `SM…`, `MG…`); anything else would change
/// the URL path.
fn is_sid(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Twilio dates are RFC 2822 (`Thu, 24 Aug 2023 05:01:45 +0000`); RFC 3339 is accepted too.
fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(s)
        .or_else(|_| DateTime::parse_from_rfc3339(s))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// `Retry-After` as seconds, or as an HTTP date measured against the answer's own `Date`
/// header (so no clock is read).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = parse_date(value)?;
    let now = parse_date(headers.get(DATE)?.to_str().ok()?.trim())?;
    (at - now).to_std().ok()
}

/// A reqwest failure, classified by whether the request can have reached Twilio, with the URL
/// removed from the text.
fn transport_error(e: reqwest::Error) -> ProviderError {
    let e = e.without_url();
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    let detail = super::error::mask_numbers(&detail);
    if e.is_connect() {
        ProviderError::Unreachable(detail)
    } else if e.is_builder() {
        ProviderError::Config(detail)
    } else {
        ProviderError::OutcomeUnknown(detail)
    }
}

mod listing;
mod wire;
use wire::{ApiError, ApiMessage, ApiPage};

#[cfg(test)]
mod tests;
