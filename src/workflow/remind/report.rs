//! What `remind` reports: the counters of the run, one line per appointment and per text
//! (texts that waited included), the totals counted from those lines, and the run's audit
//! record.

use crate::store::Db;
use crate::store::Write;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::domain::audit::{RemindEvent, RunLine, RunSummary};
use crate::domain::ids::PatientId;
use crate::domain::message::MessageKind;
use crate::domain::reminder::PlanCounts;
use crate::domain::report::{LineAction, Totals};
use crate::store::{self, StoreError};
use crate::workflow::outcome;
use crate::workflow::waiting::FlushReport;

pub use crate::workflow::outcome::ReportLine;

/// What `remind` did (or, with `dry_run`, would do).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RemindReport {
    pub now: DateTime<Utc>,
    pub dry_run: bool,
    pub provider: String,
    /// Reminder plan counts (texts, appointments reminded, waiting, skipped).
    pub plan: PlanCounts,
    pub welcomes: usize,
    pub surveys: usize,
    /// New rows written (sent or about to be).
    pub recorded: usize,
    pub blocked: usize,
    pub sent: usize,
    pub failed: usize,
    /// Left queued for the next run (transient errors, stopped run).
    pub deferred: usize,
    /// Outcome unknown: left pending, reconciled before any retry.
    pub unknown: usize,
    /// Texts that had waited and went out, were withdrawn or still wait.
    pub outbox_sent: usize,
    pub outbox_withdrawn: usize,
    pub outbox_waiting: usize,
    /// The run stopped early (e.g. bad Twilio credentials).
    pub stopped: Option<String>,
    /// Why texts were left waiting for the next run (`deferred`, `unknown`), when known.
    pub waiting_reason: Option<String>,
    /// Every line counted by action: the summary, computed from `lines` and nothing else.
    pub totals: Totals,
    pub lines: Vec<ReportLine>,
}

impl RemindReport {
    /// Some text could not be sent and will not go by itself (exit code 3).
    pub fn partly_failed(&self) -> bool {
        self.totals.partly_failed()
    }

    /// The lines counted by text, as the desk's outbox count and the batch's "Send N texts"
    /// count them: the two visits of a same-day double booking share one text and count once
    /// (`totals` counts visits). Lines without a text (skipped, not due) count one each.
    pub fn text_totals(&self) -> Totals {
        let mut seen = std::collections::HashSet::new();
        Totals::of(
            self.lines
                .iter()
                .filter(|l| l.message_id.is_none_or(|id| seen.insert(id)))
                .map(|l| l.action),
        )
    }

    /// Count the lines (call once they are final).
    pub(super) fn total(&mut self) {
        self.totals = Totals::of(self.lines.iter().map(|l| l.action));
        let count = |kind| {
            self.lines
                .iter()
                .filter(|l| {
                    l.kind == kind
                        && !l.waited
                        && matches!(
                            l.action,
                            LineAction::Send | LineAction::Sent | LineAction::InOutbox
                        )
                })
                .count()
        };
        self.welcomes = count(MessageKind::Welcome);
        self.surveys = count(MessageKind::Survey);
    }

    /// Take the outbox flush's counters and one line per text it looked at.
    pub(super) fn add_flush(
        &mut self,
        c: &impl Db,
        flushed: &FlushReport,
        tz: Tz,
    ) -> Result<(), StoreError> {
        self.outbox_sent = flushed.dispatch.sent;
        self.outbox_withdrawn = flushed.withdrawn + flushed.dispatch.withdrawn;
        self.outbox_waiting = flushed.waiting;
        // Waiting texts that failed or still could not go count with this run's own.
        self.failed = flushed.dispatch.failed;
        self.deferred = flushed.dispatch.deferred;
        self.unknown = flushed.dispatch.unknown + flushed.unresolved;
        self.waiting_reason = flushed.dispatch.waiting_reason.clone().or_else(|| {
            (flushed.unresolved > 0).then(|| {
                format!(
                    "{} earlier text(s) could not be checked with {} (did they arrive?); \
                     they stay unsent until it answers, next run",
                    flushed.unresolved, self.provider
                )
            })
        });
        self.lines
            .extend(outcome::flush_lines(c, flushed, self.now, tz)?);
        Ok(())
    }
}

/// A line for an appointment or a patient whose record cannot be read.
pub(super) fn unreadable_line(
    kind: MessageKind,
    patient: PatientId,
    appointment: Option<crate::domain::ids::AppointmentId>,
    reason: String,
) -> ReportLine {
    ReportLine {
        kind,
        patient_id: patient,
        appointment_id: appointment,
        action: LineAction::Unreadable,
        reason: Some(reason),
        code: None,
        message_id: None,
        waited: false,
    }
}

/// One audit record per run, listing every skip, block, failure and unreadable record with
/// its reason (SPEC §5.10).
pub(super) fn audit_run(
    c: &impl Write,
    r: &RemindReport,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let lines: Vec<RunLine<'_>> = r
        .lines
        .iter()
        .map(|l| RunLine {
            appointment: l.appointment_id,
            patient: l.patient_id,
            kind: l.kind,
            action: l.action,
            reason: l.reason.as_deref(),
            code: l.code.as_deref(),
        })
        .collect();
    let summary = RunSummary {
        texts: r.plan.texts,
        recorded: r.recorded,
        sent: r.sent,
        failed: r.failed,
        deferred: r.deferred,
        blocked: r.blocked,
        welcomes: r.welcomes,
        surveys: r.surveys,
        stopped: r.stopped.as_deref(),
        totals: r.totals,
    };
    let event = RemindEvent::Run {
        summary,
        lines: &lines,
    };
    store::audit::append(c, &event.entry(now))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{AppointmentId, MessageId};

    fn line(action: LineAction, appointment: i64, text: Option<i64>) -> ReportLine {
        ReportLine {
            kind: MessageKind::Reminder24h,
            patient_id: PatientId(1),
            appointment_id: Some(AppointmentId(appointment)),
            action,
            reason: None,
            code: None,
            message_id: text.map(MessageId),
            waited: false,
        }
    }

    #[test]
    fn a_same_day_double_is_two_visits_and_one_text() {
        let mut r = RemindReport {
            lines: vec![
                line(LineAction::InOutbox, 1, Some(10)),
                line(LineAction::InOutbox, 2, Some(10)),
                line(LineAction::InOutbox, 3, Some(11)),
                line(LineAction::Skip, 4, None),
                line(LineAction::Skip, 5, None),
            ],
            ..RemindReport::default()
        };
        r.total();
        assert_eq!((r.totals.in_outbox, r.totals.skipped), (3, 2));
        let texts = r.text_totals();
        assert_eq!((texts.in_outbox, texts.skipped), (2, 2));
    }
}
