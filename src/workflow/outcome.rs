//! The lines a sending run reports (issue 8, item 6): one per text or appointment, with what
//! happened, and — for a failure — the provider's code and its meaning. Shared by `remind`
//! and `sync`; the summaries are counted from these lines ([`Totals`]).

use crate::store::Db;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::domain::deadline::local_label;
use crate::domain::ids::{AppointmentId, MessageId, PatientId};
use crate::domain::message::{Message, MessageKind};
use crate::domain::report::LineAction;
use crate::provider::error::code_meaning;
use crate::store::{self, StoreError};
use crate::workflow::waiting::FlushReport;

/// One line of a run's report: what happens to one appointment's reminder or one text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReportLine {
    pub kind: MessageKind,
    pub patient_id: PatientId,
    pub appointment_id: Option<AppointmentId>,
    pub action: LineAction,
    /// Why it was skipped, waits, was withdrawn, blocked or failed, in words for staff.
    pub reason: Option<String>,
    /// The provider's error code of a failure (e.g. "21610").
    pub code: Option<String>,
    pub message_id: Option<MessageId>,
    /// A text that waited from an earlier run (offline outbox, retry, deferral).
    pub waited: bool,
}

impl ReportLine {
    /// A line about a recorded text, as its row now stands.
    pub fn of_row(m: &Message, now: DateTime<Utc>, tz: Tz) -> Self {
        let (action, reason, code) = row_outcome(m, now, tz);
        Self {
            kind: m.kind,
            patient_id: m.patient_id.unwrap_or(PatientId(0)),
            appointment_id: m.appointment_id,
            action,
            reason,
            code,
            message_id: Some(m.id),
            waited: false,
        }
    }

    /// Bring a line whose text was just handed to the provider up to date with its row.
    pub fn settle(&mut self, m: &Message, now: DateTime<Utc>, tz: Tz) {
        let (action, reason, code) = row_outcome(m, now, tz);
        self.action = action;
        self.reason = reason;
        self.code = code;
    }
}

/// One line per text an outbox flush looked at, as its row now stands (`waited`); a text
/// left waiting for an unreadable record says so.
pub fn flush_lines(
    c: &impl Db,
    flushed: &FlushReport,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Vec<ReportLine>, StoreError> {
    let mut lines = Vec::with_capacity(flushed.handled.len());
    for &id in &flushed.handled {
        let m = store::messages::get(c, id)?;
        let mut line = ReportLine::of_row(&m, now, tz);
        if let Some((_, reason)) = flushed.unreadable.iter().find(|(u, _)| *u == id) {
            line.action = LineAction::Unreadable;
            line.reason = Some(reason.clone());
        }
        line.waited = true;
        lines.push(line);
    }
    Ok(lines)
}

/// One line per recorded text, as its row now stands.
pub fn rows_lines(
    c: &impl Db,
    ids: &[MessageId],
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Vec<ReportLine>, StoreError> {
    ids.iter()
        .map(|&id| store::messages::get(c, id).map(|m| ReportLine::of_row(&m, now, tz)))
        .collect()
}

/// Where a recorded text stands, why, and the provider's code of a failure.
pub fn row_outcome(
    m: &Message,
    now: DateTime<Utc>,
    tz: Tz,
) -> (LineAction, Option<String>, Option<String>) {
    let action = LineAction::of_row(m);
    let reason = match action {
        LineAction::Failed => Some(failure_words(m)),
        LineAction::Waiting => Some(waiting_words(m, now, tz)),
        LineAction::Withdrawn | LineAction::Blocked => m.error_message.clone(),
        _ => None,
    };
    let code = (action == LineAction::Failed)
        .then(|| m.error_code.clone())
        .flatten();
    (action, reason, code)
}

/// "Twilio error 21610: the patient opted out of texts from this number (replied STOP)"; the
/// provider's own words when the code is not one we know.
pub fn failure_words(m: &Message) -> String {
    let known = m
        .error_code
        .as_deref()
        .and_then(|c| c.parse::<u32>().ok())
        .and_then(|c| code_meaning(c).map(|meaning| (c, meaning)));
    match (known, &m.error_code, &m.error_message) {
        (Some((code, meaning)), _, _) => format!("{} error {code}: {meaning}", m.provider),
        (None, Some(code), Some(msg)) => format!("{} error {code}: {msg}", m.provider),
        (None, None, Some(msg)) => msg.clone(),
        (None, Some(code), None) => format!("{} error {code}", m.provider),
        (None, None, None) => "failed".into(),
    }
}

/// Why a text still waits, with any time in the practice's zone.
fn waiting_words(m: &Message, now: DateTime<Utc>, tz: Tz) -> String {
    match (m.not_before, &m.error_message) {
        (Some(at), _) if at > now => format!("waits until {}", local_label(at, tz)),
        (_, Some(msg)) => msg.clone(),
        _ if m.may_be_at_provider() => format!(
            "not yet confirmed by {}: checked with it before any retry, next run",
            m.provider
        ),
        _ => "waits for the next run".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::message::{Direction, MessageStatus};
    use chrono::TimeZone;
    use chrono_tz::America::New_York;

    fn row(status: MessageStatus, code: Option<&str>, msg: Option<&str>) -> Message {
        Message {
            id: MessageId(7),
            direction: Direction::Outbound,
            kind: MessageKind::Reminder24h,
            patient_id: Some(PatientId(3)),
            appointment_id: Some(AppointmentId(9)),
            idempotency_key: Some("k".into()),
            to: "+12015550134".into(),
            from: None,
            body: "b".into(),
            status,
            provider: "twilio".into(),
            provider_id: None,
            error_code: code.map(str::to_string),
            error_message: msg.map(str::to_string),
            findings: None,
            created_by: "system".into(),
            created_at: DateTime::UNIX_EPOCH,
            not_before: None,
            sent_at: None,
            updated_at: DateTime::UNIX_EPOCH,
            attempts: 1,
            send_by: None,
        }
    }

    #[test]
    fn a_failure_names_the_code_and_its_meaning() {
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 14, 0, 0).unwrap();
        let l = ReportLine::of_row(
            &row(MessageStatus::Failed, Some("21610"), Some("long text")),
            now,
            New_York,
        );
        assert_eq!(l.action, LineAction::Failed);
        assert_eq!(l.code.as_deref(), Some("21610"));
        assert_eq!(
            l.reason.as_deref(),
            Some(
                "twilio error 21610: the patient opted out of texts from this number (replied STOP)"
            )
        );
        let l = ReportLine::of_row(
            &row(MessageStatus::Failed, Some("21614"), None),
            now,
            New_York,
        );
        assert!(l.reason.unwrap().contains("not a mobile number"));
        let l = ReportLine::of_row(
            &row(MessageStatus::Failed, Some("63016"), Some("Twilio's words")),
            now,
            New_York,
        );
        assert_eq!(
            l.reason.as_deref(),
            Some("twilio error 63016: Twilio's words")
        );
    }

    #[test]
    fn a_wait_is_written_in_the_practice_zone() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap();
        let mut m = row(MessageStatus::Queued, None, None);
        m.not_before = Some(Utc.with_ymd_and_hms(2026, 11, 26, 13, 0, 0).unwrap());
        let l = ReportLine::of_row(&m, now, New_York);
        assert_eq!(l.action, LineAction::Waiting);
        assert_eq!(
            l.reason.as_deref(),
            Some("waits until Thu Nov 26 08:00 EST")
        );
        assert_eq!(l.code, None);
    }
}
