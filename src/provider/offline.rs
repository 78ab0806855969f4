//! The offline provider (the default): takes messages and holds them; nothing leaves the
//! machine.
//!
//! The real outbox is the message table in the database — rows with provider "outbox" and
//! status `queued` — which the workflow re-checks and sends through Twilio once a practice is
//! online (SPEC §5.7). This type only gives those rows a stable id: `OB` followed by 32 hex
//! digits of SHA-256 of the idempotency key, so handing the same message in twice (say after
//! a crash) yields the same id. It keeps what it took in memory for the life of the process,
//! for the console's outbox view and for tests. Imports `domain` and sha2; no network, no
//! clock.

use std::sync::{Mutex, PoisonError};

use sha2::{Digest, Sha256};

use super::{
    OutboundSms, PollCursor, PollPage, ProviderError, ProviderFuture, SendReceipt, SentMessage,
    SentQuery, SmsProvider, StatusUpdate, same_body,
};
use crate::domain::message::{MessageProvider, MessageStatus};

/// The offline outbox provider.
#[derive(Debug, Default)]
pub struct Outbox {
    held: Mutex<Vec<(String, OutboundSms)>>,
}

impl Outbox {
    pub fn new() -> Self {
        Self::default()
    }

    /// The id the outbox gives a message with this idempotency key.
    pub fn id_for(idempotency_key: &str) -> String {
        let digest = Sha256::digest(idempotency_key.as_bytes());
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        format!("OB{hex}")
    }

    /// The messages taken since this process started (id, message), oldest first.
    pub fn held(&self) -> Vec<(String, OutboundSms)> {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn is_outbox_id(id: &str) -> bool {
        id.len() == 34 && id.starts_with("OB") && id[2..].bytes().all(|b| b.is_ascii_hexdigit())
    }
}

impl SmsProvider for Outbox {
    fn name(&self) -> &'static str {
        MessageProvider::OUTBOX
    }

    fn is_offline(&self) -> bool {
        true
    }

    fn send<'a>(&'a self, sms: &'a OutboundSms) -> ProviderFuture<'a, SendReceipt> {
        Box::pin(async move {
            let id = Self::id_for(&sms.idempotency_key);
            let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
            if !held.iter().any(|(h, _)| *h == id) {
                held.push((id.clone(), sms.clone()));
            }
            tracing::debug!(provider_id = %id, "outbox holds message");
            Ok(SendReceipt {
                provider_id: id,
                status: MessageStatus::Queued,
                error_code: None,
                segments: None,
            })
        })
    }

    fn fetch_status<'a>(&'a self, provider_id: &'a str) -> ProviderFuture<'a, StatusUpdate> {
        Box::pin(async move {
            // The outbox never sends, so every message it ever took is still queued — also
            // the ones taken before a restart, whose ids it recognises by shape.
            if !Self::is_outbox_id(provider_id) {
                return Err(ProviderError::Rejected {
                    status: 404,
                    code: None,
                    message: "the offline outbox does not know this message id".into(),
                });
            }
            Ok(StatusUpdate {
                provider_id: provider_id.to_string(),
                status: MessageStatus::Queued,
                error_code: None,
                sent_at: None,
                copy: None,
            })
        })
    }

    fn poll<'a>(&'a self, cursor: &'a PollCursor) -> ProviderFuture<'a, PollPage> {
        // Offline: no replies and no status changes can arrive.
        Box::pin(async move {
            Ok(PollPage {
                cursor: cursor.clone(),
                complete: true,
                ..PollPage::default()
            })
        })
    }

    fn find_sent<'a>(&'a self, query: &'a SentQuery) -> ProviderFuture<'a, Vec<SentMessage>> {
        Box::pin(async move {
            // Re-sending to the outbox is harmless (same id), so reconciliation only reports
            // what this process holds; after a restart nothing has "left the building".
            let held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
            Ok(held
                .iter()
                .rev()
                .filter(|(_, m)| m.to == query.to && same_body(&m.body, &query.body))
                .map(|(id, _)| SentMessage {
                    provider_id: id.clone(),
                    status: MessageStatus::Queued,
                    error_code: None,
                    created_at: None,
                })
                .collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::phone::E164;
    use chrono::{TimeZone, Utc};

    fn sms(key: &str) -> OutboundSms {
        OutboundSms {
            to: E164::try_from("+12015550134".to_string()).unwrap(),
            body: "Riverside: see you Tue 10:00".into(),
            idempotency_key: key.into(),
        }
    }

    #[tokio::test]
    async fn holds_messages_with_stable_ids_and_no_duplicates() {
        let outbox = Outbox::new();
        let a = outbox
            .send(&sms("appt-7@2026-11-27T15:00Z/48h"))
            .await
            .unwrap();
        let again = outbox
            .send(&sms("appt-7@2026-11-27T15:00Z/48h"))
            .await
            .unwrap();
        let b = outbox
            .send(&sms("appt-7@2026-11-27T15:00Z/24h"))
            .await
            .unwrap();
        assert_eq!(a, again);
        assert_ne!(a.provider_id, b.provider_id);
        assert_eq!(a.status, MessageStatus::Queued);
        assert!(a.provider_id.starts_with("OB") && a.provider_id.len() == 34);
        assert_eq!(outbox.held().len(), 2);
        assert!(outbox.is_offline());
        assert_eq!(outbox.name(), "outbox");
    }

    #[tokio::test]
    async fn status_poll_and_reconcile_tell_the_truth() {
        let outbox = Outbox::new();
        let r = outbox.send(&sms("k1")).await.unwrap();
        let status = outbox.fetch_status(&r.provider_id).await.unwrap();
        assert_eq!(status.status, MessageStatus::Queued);
        assert!(outbox.fetch_status("SM123").await.is_err());

        let start = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
        let cursor = PollCursor::starting_at(start);
        let page = outbox.poll(&cursor).await.unwrap();
        assert!(page.inbound.is_empty() && page.statuses.is_empty() && page.complete);
        assert_eq!(page.cursor, cursor);

        let q = SentQuery {
            to: sms("k1").to,
            body: sms("k1").body,
            since: start,
        };
        let found = outbox.find_sent(&q).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].provider_id, r.provider_id);
        let other = SentQuery {
            body: "something else".into(),
            ..q
        };
        assert!(outbox.find_sent(&other).await.unwrap().is_empty());
    }
}
