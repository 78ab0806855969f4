//! What a sending run tells staff (SPEC §4, §5.7): one line per text or appointment with what
//! happened to it, the summary counted from those very lines, and whether the run partly
//! failed (exit code 3).
//!
//! Pure: std, serde. The workflow fills the lines; the commands print them.

use serde::{Deserialize, Serialize};

use super::message::{Message, MessageStatus};

/// What happened to one text (or to one appointment's reminder) in a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineAction {
    /// A dry run: would be sent now.
    Send,
    /// Handed to the provider (or to the offline outbox, see `InOutbox`).
    Sent,
    /// Held by the offline outbox until a real provider is configured and reachable.
    InOutbox,
    /// Refused for good by the provider: the line carries its code and meaning.
    Failed,
    /// Not sent this run, goes later by itself (provider unreachable, rate limit, outcome to
    /// be checked, quiet hours, the run stopped).
    Waiting,
    /// Refused by the PHI gate or the length rule.
    Blocked,
    /// Taken back before it left (no longer allowed, or what it is about has begun).
    Withdrawn,
    /// An earlier run already recorded this text.
    AlreadyRecorded,
    /// Not for now, with the reason (consent, number, cap, too close, ...).
    Skip,
    /// Nothing due yet; the next reminder is planned.
    Wait,
    /// The patient's or appointment's record cannot be read; skipped, the run goes on.
    Unreadable,
}

impl LineAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Send => "send",
            Self::Sent => "sent",
            Self::InOutbox => "in_outbox",
            Self::Failed => "failed",
            Self::Waiting => "waiting",
            Self::Blocked => "blocked",
            Self::Withdrawn => "withdrawn",
            Self::AlreadyRecorded => "already_recorded",
            Self::Skip => "skip",
            Self::Wait => "wait",
            Self::Unreadable => "unreadable",
        }
    }

    /// The text could not be sent, and will not go by itself: the run partly failed.
    pub fn is_failure(self) -> bool {
        matches!(self, Self::Failed | Self::Blocked | Self::Unreadable)
    }

    /// Where a recorded text stands after a run, read from its row.
    pub fn of_row(m: &Message) -> Self {
        match m.status {
            MessageStatus::Failed | MessageStatus::Undelivered => Self::Failed,
            MessageStatus::Withdrawn => Self::Withdrawn,
            MessageStatus::Blocked => Self::Blocked,
            MessageStatus::Pending => Self::Waiting,
            MessageStatus::Queued if m.provider_id.is_none() => Self::Waiting,
            MessageStatus::Queued if m.went_to_outbox() => Self::InOutbox,
            MessageStatus::Queued
            | MessageStatus::Sent
            | MessageStatus::Delivered
            | MessageStatus::Received => Self::Sent,
        }
    }
}

/// What happened to one text of a one-off send (`send`, the console's send actions): each
/// outcome a type, so a summary counts them by name and a typo does not compile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendOutcome {
    /// Handed to the provider.
    Sent,
    /// Held by the offline outbox.
    InOutbox,
    /// Refused for good by the provider.
    Failed,
    /// Waits for the provider or the next run.
    Queued,
    /// Quiet hours or a cap: goes later by itself.
    Deferred,
    /// Not for this patient now (consent, number, too late), with the reason.
    Skipped,
    /// Refused by the PHI gate or the length rule.
    Blocked,
    /// Taken back before it left.
    Withdrawn,
    /// The same text was recorded before.
    AlreadySent,
    /// A dry run: would be sent.
    WouldSend,
    /// The patient's record cannot be read.
    Unreadable,
}

impl SendOutcome {
    pub const ALL: [Self; 11] = [
        Self::Sent,
        Self::InOutbox,
        Self::Failed,
        Self::Queued,
        Self::Deferred,
        Self::Skipped,
        Self::Blocked,
        Self::Withdrawn,
        Self::AlreadySent,
        Self::WouldSend,
        Self::Unreadable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::InOutbox => "in_outbox",
            Self::Failed => "failed",
            Self::Queued => "queued",
            Self::Deferred => "deferred",
            Self::Skipped => "skipped",
            Self::Blocked => "blocked",
            Self::Withdrawn => "withdrawn",
            Self::AlreadySent => "already_sent",
            Self::WouldSend => "would_send",
            Self::Unreadable => "unreadable",
        }
    }

    /// The text could not be sent and will not go by itself: the send partly failed.
    pub fn is_failure(self) -> bool {
        matches!(self, Self::Failed | Self::Blocked | Self::Unreadable)
    }

    /// Where a handed-over text stands after the send, read from its row.
    pub fn of_row(m: &Message) -> Self {
        match m.status {
            MessageStatus::Failed => Self::Failed,
            MessageStatus::Withdrawn => Self::Withdrawn,
            MessageStatus::Pending | MessageStatus::Queued if m.provider_id.is_none() => {
                Self::Queued
            }
            MessageStatus::Queued if m.went_to_outbox() => Self::InOutbox,
            _ => Self::Sent,
        }
    }
}

impl std::fmt::Display for SendOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad`, so `{:<12}` lines the words up in the human report.
        f.pad(self.as_str())
    }
}

impl std::fmt::Display for LineAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lines counted by action: the summary of a report, computed from its lines only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub send: usize,
    pub sent: usize,
    pub in_outbox: usize,
    pub failed: usize,
    pub waiting: usize,
    pub blocked: usize,
    pub withdrawn: usize,
    pub already_recorded: usize,
    pub skipped: usize,
    pub wait: usize,
    pub unreadable: usize,
}

impl Totals {
    /// Count `actions` (one per line).
    pub fn of(actions: impl IntoIterator<Item = LineAction>) -> Self {
        let mut t = Self::default();
        for a in actions {
            *match a {
                LineAction::Send => &mut t.send,
                LineAction::Sent => &mut t.sent,
                LineAction::InOutbox => &mut t.in_outbox,
                LineAction::Failed => &mut t.failed,
                LineAction::Waiting => &mut t.waiting,
                LineAction::Blocked => &mut t.blocked,
                LineAction::Withdrawn => &mut t.withdrawn,
                LineAction::AlreadyRecorded => &mut t.already_recorded,
                LineAction::Skip => &mut t.skipped,
                LineAction::Wait => &mut t.wait,
                LineAction::Unreadable => &mut t.unreadable,
            } += 1;
        }
        t
    }

    /// Some text could not be sent and will not go by itself (SPEC §4: exit code 3).
    pub fn partly_failed(&self) -> bool {
        self.failed + self.blocked + self.unreadable > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn row(status: MessageStatus, provider: &str, provider_id: Option<&str>) -> Message {
        Message {
            id: super::super::ids::MessageId(1),
            direction: super::super::message::Direction::Outbound,
            kind: super::super::message::MessageKind::Closure,
            patient_id: None,
            appointment_id: None,
            idempotency_key: None,
            to: "+12015550134".into(),
            from: None,
            body: "b".into(),
            status,
            provider: provider.into(),
            provider_id: provider_id.map(str::to_string),
            error_code: None,
            error_message: None,
            findings: None,
            created_by: "system".into(),
            created_at: DateTime::UNIX_EPOCH,
            not_before: None,
            sent_at: None,
            updated_at: DateTime::UNIX_EPOCH,
            attempts: 0,
            send_by: None,
        }
    }

    #[test]
    fn a_row_tells_where_its_text_stands() {
        use MessageStatus::*;
        for (status, provider, pid, expected) in [
            (Pending, "twilio", None, LineAction::Waiting),
            (Queued, "twilio", None, LineAction::Waiting),
            (Queued, "outbox", Some("OB1"), LineAction::InOutbox),
            (Queued, "twilio", Some("SM1"), LineAction::Sent),
            (Sent, "twilio", Some("SM1"), LineAction::Sent),
            (Delivered, "twilio", Some("SM1"), LineAction::Sent),
            (Failed, "twilio", None, LineAction::Failed),
            (Undelivered, "twilio", Some("SM1"), LineAction::Failed),
            (Blocked, "twilio", None, LineAction::Blocked),
            (Withdrawn, "twilio", None, LineAction::Withdrawn),
        ] {
            assert_eq!(
                LineAction::of_row(&row(status, provider, pid)),
                expected,
                "{status:?} {provider} {pid:?}"
            );
        }
    }

    #[test]
    fn totals_count_every_line_once_and_failures_make_a_partial_run() {
        use LineAction::*;
        let lines = [
            Sent, Sent, Failed, Skip, Wait, Waiting, Unreadable, Blocked, Withdrawn,
        ];
        let t = Totals::of(lines);
        assert_eq!(
            (
                t.sent,
                t.failed,
                t.skipped,
                t.wait,
                t.waiting,
                t.unreadable,
                t.blocked,
                t.withdrawn
            ),
            (2, 1, 1, 1, 1, 1, 1, 1)
        );
        assert!(t.partly_failed());
        assert!(!Totals::of([Sent, Waiting, Skip, Wait, Withdrawn, InOutbox]).partly_failed());
        for a in lines {
            assert_eq!(
                serde_json::to_value(a).unwrap(),
                serde_json::Value::String(a.as_str().into())
            );
        }
    }

    #[test]
    fn send_outcomes_keep_the_words_the_json_report_has_always_used() {
        let words: Vec<String> = SendOutcome::ALL
            .iter()
            .map(|o| {
                serde_json::to_value(o)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(
            words,
            [
                "sent",
                "in_outbox",
                "failed",
                "queued",
                "deferred",
                "skipped",
                "blocked",
                "withdrawn",
                "already_sent",
                "would_send",
                "unreadable"
            ]
        );
        for o in SendOutcome::ALL {
            assert_eq!(o.to_string(), o.as_str());
        }
        assert_eq!(format!("{:<8}|", SendOutcome::Sent), "sent    |");
    }

    #[rstest::rstest]
    #[case(MessageStatus::Failed, "twilio", Some("SM1"), SendOutcome::Failed)]
    #[case(MessageStatus::Withdrawn, "twilio", None, SendOutcome::Withdrawn)]
    #[case(MessageStatus::Queued, "twilio", None, SendOutcome::Queued)]
    #[case(MessageStatus::Pending, "twilio", None, SendOutcome::Queued)]
    #[case(MessageStatus::Queued, "outbox", Some("OB1"), SendOutcome::InOutbox)]
    #[case(MessageStatus::Queued, "twilio", Some("SM1"), SendOutcome::Sent)]
    #[case(MessageStatus::Delivered, "twilio", Some("SM1"), SendOutcome::Sent)]
    fn a_sent_texts_outcome_is_read_from_its_row(
        #[case] status: MessageStatus,
        #[case] provider: &str,
        #[case] provider_id: Option<&str>,
        #[case] outcome: SendOutcome,
    ) {
        assert_eq!(
            SendOutcome::of_row(&row(status, provider, provider_id)),
            outcome
        );
    }
}
