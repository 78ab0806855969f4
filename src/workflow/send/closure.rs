//! A closure / schedule-change notice to everyone booked in a window (SPEC §4 `send closure`,
//! §5.6), from the command line (the practice's closure template) or typed at the desk (the
//! same path, with the desk's words behind the practice's name). Each notice must arrive
//! before the closure begins; one that cannot goes on the call-back list instead, and every
//! visit in the window is marked for rebooking.

use chrono::{DateTime, Utc};

use super::{Job, SendReport, Sending, Target, one_off};
use crate::domain::audit::NotSentEvent;
use crate::domain::ids::ClinicianId;
use crate::domain::message::MessageKind;
use crate::domain::reminder;
use crate::store::{self, Store};
use crate::workflow::{WorkflowError, typed};

/// What a closure notice announces, and its words when typed at the desk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClosureNotice<'a> {
    /// The closure begins (no notice goes at or after this instant).
    pub from: DateTime<Utc>,
    /// The end of the window (exclusive).
    pub to: DateTime<Utc>,
    /// Only this clinician's visits (a schedule change: "Dr. Chen is out"); `None`: everyone
    /// booked in the window (the practice closes).
    pub clinician: Option<ClinicianId>,
    /// Words typed at the desk; `None`: the practice's closure template.
    pub text: Option<&'a str>,
}

/// A closure / schedule-change notice to every patient with an open appointment starting in
/// `[from, to)`, one text per appointment. Each must arrive before the closure begins
/// (`from`): a notice that cannot — consent, number, quiet hours, a time offline — is
/// withdrawn, never sent late, and its patient goes on the call-back list (SPEC §5.6). Every
/// appointment in the window is marked for rebooking (once, however often it is sent).
///
/// Typed words are judged first exactly as the console's live check judged them (gate and
/// length, with the opt-out notice): refused words send nothing, take no key and are audited
/// with the findings' categories (never the words).
pub async fn closure(
    ctx: &Sending<'_>,
    store: &mut Store,
    notice: &ClosureNotice<'_>,
    dry_run: bool,
) -> Result<SendReport, WorkflowError> {
    let ClosureNotice {
        from,
        to,
        clinician,
        text,
    } = *notice;
    if from >= to {
        return Err(WorkflowError::Invalid(
            "the window's end must be after its start".into(),
        ));
    }
    if let Some(words) = text {
        refuse_blocked(ctx, store, notice, words, dry_run)?;
    }
    let targets: Vec<Target> = store::appointments::starting_between(&store, from, to)?
        .into_iter()
        .filter(|a| a.status.is_open() && clinician.is_none_or(|c| a.clinician_id == c))
        .map(|a| Target {
            patient: a.patient_id,
            key: reminder::closure_key(a.id, a.start),
            send_by: Some(from.min(a.start)),
            appointment: Some(a),
        })
        .collect();
    let job = Job {
        kind: MessageKind::Closure,
        targets,
        typed: text,
    };
    one_off(ctx, store, job, dry_run).await
}

/// Words the gate or the length rule refuses: an error naming why, and (unless a dry run)
/// an audit record with the findings' categories and rules.
fn refuse_blocked(
    ctx: &Sending<'_>,
    store: &mut Store,
    notice: &ClosureNotice<'_>,
    words: &str,
    dry_run: bool,
) -> Result<(), WorkflowError> {
    if words.trim().is_empty() {
        return Err(WorkflowError::Invalid(
            "the notice has no words: write what patients should know".into(),
        ));
    }
    let (_, screened) = typed::check(ctx.gate, &ctx.config.practice.name, words);
    let Some(refusal) = screened.refusal else {
        return Ok(());
    };
    if !dry_run {
        let findings: Vec<_> = screened
            .verdict
            .findings
            .iter()
            .filter(|f| !f.allowed)
            .map(|f| (f.rule, f.category.label()))
            .collect();
        let event = NotSentEvent::ClosureBlocked {
            from: notice.from,
            to: notice.to,
            findings: &findings,
            segments: screened.segments,
        };
        let entry = event.entry(ctx.clock.now(), ctx.actor);
        store.write(|c| store::audit::append(c, &entry))?;
    }
    Err(WorkflowError::Invalid(format!(
        "the notice was not sent to anyone: {refusal}"
    )))
}

#[cfg(test)]
mod tests;
