//! The vocabulary of messages: direction, kind and delivery status.
//!
//! Pure. Stored names are stable strings (they appear in exports and the audit log).

use serde::{Deserialize, Serialize};

mod provider;

pub use provider::{MessageProvider, ProviderKind};

/// Which way a message went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Outbound,
    Inbound,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Outbound => "out",
            Self::Inbound => "in",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "out" => Some(Self::Outbound),
            "in" => Some(Self::Inbound),
            _ => None,
        }
    }
}

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $s:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $($(#[$vdoc])* #[serde(rename = $s)] $variant),* }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),*];
            /// The stored name.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $s),* }
            }
            /// Parse a stored name.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$variant),)* _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// What a message is for; outbound kinds are also the template names.
    MessageKind {
        Reminder48h = "reminder-48h",
        Reminder24h = "reminder-24h",
        /// Two bookings on one day: one text listing both times.
        SameDayDouble = "same-day-double",
        PortalNewMessage = "portal-new-message",
        PortalResultsReady = "portal-results-ready",
        PortalIntakeForms = "portal-intake-forms",
        PortalRenewalReview = "portal-renewal-review",
        Welcome = "welcome",
        Closure = "closure",
        Survey = "survey",
        Refill = "refill",
        HelpReply = "help-reply",
        OptOutConfirmation = "opt-out-confirmation",
        OptInConfirmation = "opt-in-confirmation",
        /// Free text written at the desk.
        Custom = "custom",
        /// A message from a patient.
        Reply = "reply",
    }
);

/// Which sending rules a kind of message follows (SPEC §5.3, §5.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageClass {
    /// Reminders, the welcome, survey links, refill reminders: consent, quiet hours and the
    /// frequency caps.
    ReminderClass,
    /// Closure and schedule-change notices, portal prompts and custom texts a person sends:
    /// consent and quiet hours, never the caps — and withdrawn, never sent late, once the
    /// appointment or closure they are about has begun.
    Operational,
    /// Answers to the patient's own HELP/STOP/START: due at once, whatever the consent state.
    Answer,
    /// A message from a patient.
    Inbound,
}

impl MessageKind {
    /// The rules this kind follows.
    pub fn class(self) -> MessageClass {
        match self {
            Self::Reminder48h
            | Self::Reminder24h
            | Self::SameDayDouble
            | Self::Welcome
            | Self::Survey
            | Self::Refill => MessageClass::ReminderClass,
            Self::PortalNewMessage
            | Self::PortalResultsReady
            | Self::PortalIntakeForms
            | Self::PortalRenewalReview
            | Self::Closure
            | Self::Custom => MessageClass::Operational,
            Self::HelpReply | Self::OptOutConfirmation | Self::OptInConfirmation => {
                MessageClass::Answer
            }
            Self::Reply => MessageClass::Inbound,
        }
    }

    /// Only reminder-class messages count against the frequency caps (SPEC §5.6): operational
    /// texts and answers to the patient's own HELP/STOP/START neither count nor are held.
    pub fn counts_against_cap(self) -> bool {
        self.class() == MessageClass::ReminderClass
    }

    /// Automated and operational texts go only inside the allowed hours (SPEC §5.5); answers
    /// to the patient's own keywords go at once.
    pub fn keeps_quiet_hours(self) -> bool {
        matches!(
            self.class(),
            MessageClass::ReminderClass | MessageClass::Operational
        )
    }

    /// The portal prompt kinds the desk can choose from.
    pub const PORTAL_PROMPTS: [Self; 4] = [
        Self::PortalNewMessage,
        Self::PortalResultsReady,
        Self::PortalIntakeForms,
        Self::PortalRenewalReview,
    ];
}

string_enum!(
    /// Where a message stands. Outbound: pending → queued → sent → delivered, or a final
    /// failure. `pending` means the row exists but the provider has not confirmed it took the
    /// message — the state a crash can leave behind, reconciled before any retry.
    MessageStatus {
        /// Row written, provider not yet called (or the call's outcome is unknown).
        Pending = "pending",
        /// Waiting in the offline outbox, or accepted and queued by the provider.
        Queued = "queued",
        Sent = "sent",
        Delivered = "delivered",
        /// Permanent failure, with the provider's code.
        Failed = "failed",
        Undelivered = "undelivered",
        /// Refused by the PHI gate; never left the building.
        Blocked = "blocked",
        /// Withdrawn before sending (re-check after a time offline found it no longer allowed).
        Withdrawn = "withdrawn",
        /// An inbound message.
        Received = "received",
    }
);

impl MessageStatus {
    /// No further change is expected.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Delivered
                | Self::Failed
                | Self::Undelivered
                | Self::Blocked
                | Self::Withdrawn
                | Self::Received
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip() {
        for k in MessageKind::ALL {
            assert_eq!(MessageKind::parse(k.as_str()), Some(*k));
        }
        for s in MessageStatus::ALL {
            assert_eq!(MessageStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(
            Direction::parse(Direction::Inbound.as_str()),
            Some(Direction::Inbound)
        );
    }

    #[test]
    fn only_a_pending_row_without_a_provider_id_may_be_at_the_provider() {
        let row = |status, provider_id: Option<&str>, direction| Message {
            id: super::super::ids::MessageId(1),
            direction,
            kind: MessageKind::Reminder24h,
            patient_id: None,
            appointment_id: None,
            idempotency_key: None,
            to: "+12015550134".into(),
            from: None,
            body: "b".into(),
            status,
            provider: "twilio".into(),
            provider_id: provider_id.map(str::to_string),
            error_code: None,
            error_message: None,
            findings: None,
            created_by: "system".into(),
            created_at: chrono::DateTime::UNIX_EPOCH,
            not_before: None,
            sent_at: None,
            updated_at: chrono::DateTime::UNIX_EPOCH,
            attempts: 1,
            send_by: None,
        };
        use Direction::{Inbound, Outbound};
        use MessageStatus::*;
        for (status, pid, dir, expected) in [
            (Pending, None, Outbound, true),
            (Pending, Some("SM1"), Outbound, false),
            (Queued, None, Outbound, false),
            (Queued, Some("SM1"), Outbound, false),
            (Sent, Some("SM1"), Outbound, false),
            (Failed, None, Outbound, false),
            (Withdrawn, None, Outbound, false),
            (Pending, None, Inbound, false),
        ] {
            assert_eq!(
                row(status, pid, dir).may_be_at_provider(),
                expected,
                "{status:?} {pid:?} {dir:?}"
            );
        }
    }

    #[test]
    fn only_reminder_class_texts_count_against_caps_and_answers_ignore_quiet_hours() {
        use MessageKind::*;
        for (kind, capped, quiet) in [
            (Reminder48h, true, true),
            (Reminder24h, true, true),
            (SameDayDouble, true, true),
            (Welcome, true, true),
            (Survey, true, true),
            (Refill, true, true),
            (Closure, false, true),
            (PortalNewMessage, false, true),
            (PortalResultsReady, false, true),
            (PortalIntakeForms, false, true),
            (PortalRenewalReview, false, true),
            (Custom, false, true),
            (HelpReply, false, false),
            (OptOutConfirmation, false, false),
            (OptInConfirmation, false, false),
            (Reply, false, false),
        ] {
            assert_eq!(kind.counts_against_cap(), capped, "{kind}");
            assert_eq!(kind.keeps_quiet_hours(), quiet, "{kind}");
        }
    }
}

/// One stored message, either direction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: super::ids::MessageId,
    pub direction: Direction,
    pub kind: MessageKind,
    pub patient_id: Option<super::ids::PatientId>,
    pub appointment_id: Option<super::ids::AppointmentId>,
    /// Outbound: the exactly-once key (SPEC §5.8).
    pub idempotency_key: Option<String>,
    pub to: String,
    pub from: Option<String>,
    pub body: String,
    pub status: MessageStatus,
    /// Who took it: a real provider, the offline outbox, the demo's history.
    pub provider: MessageProvider,
    pub provider_id: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// JSON of PHI findings when blocked.
    pub findings: Option<String>,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Deferred by quiet hours until this instant.
    pub not_before: Option<chrono::DateTime<chrono::Utc>>,
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub attempts: u32,
    /// Never sent at or after this instant: the start of the closure or appointment the text
    /// is about. At or after it the text is withdrawn instead (SPEC §5.6).
    pub send_by: Option<chrono::DateTime<chrono::Utc>>,
}

impl Message {
    /// The row was taken by the offline outbox, not by a real provider.
    pub fn went_to_outbox(&self) -> bool {
        self.provider == MessageProvider::Outbox
    }

    /// An outbound row a provider may hold although the row does not know it: `pending`
    /// without a provider id. Every row is committed `pending` before each provider call
    /// (whatever state it waited in), and goes back to `queued` only on an answer that proves
    /// nothing was taken (connection refused, 429, 503, bad credentials) or after the provider
    /// was asked and had nothing — so an attempt whose fate was never learnt (a crash, a
    /// timeout, a lost answer) always leaves the row here. Such a row is reconciled with the
    /// provider before it is sent again (SPEC §5.8); any other unsent row is safe to send.
    pub fn may_be_at_provider(&self) -> bool {
        self.direction == Direction::Outbound
            && self.provider_id.is_none()
            && self.status == MessageStatus::Pending
    }
}
