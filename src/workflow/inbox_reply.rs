//! What the desk does with a reply it has read in the inbox (SPEC §5.3–§5.4): confirm the
//! visit it is about, flag the visit for a call-back, or record the opt-out the patient wrote
//! in their own words — each through the same rules as everywhere else (the status machine,
//! the consent rules), marking the reply handled and audited as the member in the same
//! transaction. Audit records name the reply by id, never its words; the words are the
//! opt-out's evidence in the consent history, where a dispute looks for them.

use crate::domain::audit::DeskEvent;
use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::domain::appointment::{Appointment, AppointmentStatus, check_transition};
use crate::domain::consent::{ConsentEvent, ConsentKind, ConsentMethod, ConsentState};
use crate::domain::deadline::local_label;
use crate::domain::ids::{MessageId, PatientId};
use crate::domain::inbox::ReplyAction;
use crate::domain::message::Message;
use crate::store::{self, Db, Store, StoreError, Write};
use crate::workflow::WorkflowError;

/// Who acts, when, under which config.
#[derive(Clone, Copy)]
pub struct DeskAct<'a> {
    pub config: &'a Config,
    pub actor: &'a str,
    pub now: DateTime<Utc>,
}

/// The visit a reply is about: the open one it was filed against, else the patient's next
/// open visit (what "confirm" and "flag" act on; `None`: nothing upcoming).
pub fn visit_of(
    c: &impl Db,
    reply: MessageId,
    patient: PatientId,
    now: DateTime<Utc>,
) -> Result<Option<Appointment>, StoreError> {
    if let Some(id) = store::inbox::reply_appointment(c, reply)? {
        let a = store::appointments::get(c, id)?;
        if a.status.is_open() && a.start > now {
            return Ok(Some(a));
        }
    }
    Ok(
        store::appointments::open_for_patient_after(c, patient, now, 1)?
            .into_iter()
            .next(),
    )
}

/// Act on reply `message` and mark it handled. Returns what was done, in words for staff.
pub fn act(
    store: &mut Store,
    at: &DeskAct<'_>,
    message: MessageId,
    action: ReplyAction,
) -> Result<String, WorkflowError> {
    store.write(|c| {
        let m = store::messages::get(c, message)?;
        let patient = m.patient_id.ok_or_else(|| {
            WorkflowError::Invalid(
                "this reply came from a number no patient has; open nothing, call them".into(),
            )
        })?;
        let done = match action {
            ReplyAction::Confirm => confirm(c, at, &m, patient)?,
            ReplyAction::Flag => flag(c, at, &m, patient)?,
            ReplyAction::OptOut => opt_out(c, at, &m, patient)?,
        };
        store::messages::mark_reply_handled(c, message, at.actor, at.now)?;
        let event = DeskEvent::ReplyHandled {
            message,
            action: Some(action_name(action)),
        };
        store::audit::append(c, &event.entry(at.now, at.actor))?;
        Ok(done)
    })
}

fn action_name(a: ReplyAction) -> &'static str {
    match a {
        ReplyAction::Confirm => "confirmed",
        ReplyAction::Flag => "flagged",
        ReplyAction::OptOut => "opted_out",
    }
}

fn upcoming(
    c: &impl Db,
    at: &DeskAct<'_>,
    m: &Message,
    patient: PatientId,
) -> Result<Appointment, WorkflowError> {
    visit_of(c, m.id, patient, at.now)?.ok_or_else(|| {
        WorkflowError::Invalid("this patient has no upcoming visit to act on".into())
    })
}

/// Confirm the visit through the status machine, audited as a desk change via the reply.
fn confirm(
    c: &impl Write,
    at: &DeskAct<'_>,
    m: &Message,
    patient: PatientId,
) -> Result<String, WorkflowError> {
    let a = upcoming(c, at, m, patient)?;
    let to = AppointmentStatus::Confirmed;
    let tz = at.config.practice.time_zone;
    check_transition(a.status, to, a.start, at.now, tz)
        .map_err(|e| WorkflowError::Invalid(e.to_string()))?;
    store::appointments::set_status(c, a.id, a.status, to, at.actor, at.now)?;
    let event = DeskEvent::ConfirmedFromReply {
        appointment: a.id,
        from: a.status,
        reply: m.id,
    };
    store::audit::append(c, &event.entry(at.now, at.actor))?;
    Ok(format!(
        "Confirmed the visit on {}",
        local_label(a.start, tz)
    ))
}

/// Put the visit on the call-back list (the same flag an R reply sets).
fn flag(
    c: &impl Write,
    at: &DeskAct<'_>,
    m: &Message,
    patient: PatientId,
) -> Result<String, WorkflowError> {
    let a = upcoming(c, at, m, patient)?;
    if !a.callback_requested {
        store::appointments::set_callback(c, a.id, true)?;
        let event = DeskEvent::FlaggedFromReply {
            appointment: a.id,
            reply: m.id,
        };
        store::audit::append(c, &event.entry(at.now, at.actor))?;
    }
    let tz = at.config.practice.time_zone;
    Ok(format!(
        "The visit on {} is on the call-back list",
        local_label(a.start, tz)
    ))
}

/// Record the opt-out for every patient on the number the reply came from (as a STOP would),
/// with the reply — its provider id and its words — as the evidence.
fn opt_out(
    c: &impl Write,
    at: &DeskAct<'_>,
    m: &Message,
    patient: PatientId,
) -> Result<String, WorkflowError> {
    let mut holders = vec![patient];
    if let Some(from) = m.from.as_deref().filter(|f| !f.is_empty()) {
        for p in store::messages::patients_by_mobile(c, from)? {
            if !holders.contains(&p) {
                holders.push(p);
            }
        }
    }
    let evidence = format!(
        "SMS reply {} of {}: \"{}\"",
        m.provider_id.as_deref().unwrap_or("(no provider id)"),
        m.created_at.to_rfc3339(),
        m.body.trim()
    );
    let mut recorded = 0;
    for p in holders {
        let state = ConsentState::from_events(&store::consent::events(c, p)?);
        if state.is_opted_out() {
            continue;
        }
        let event = ConsentEvent {
            kind: ConsentKind::OptOut,
            method: ConsentMethod::SmsReply,
            evidence: Some(evidence.clone()),
            recorded_by: at.actor.to_string(),
            at: at.now,
        };
        event
            .validate()
            .map_err(|e| WorkflowError::Invalid(e.to_string()))?;
        let id = store::consent::append(c, p, &event)?;
        let reference = format!("message:{}", m.id);
        let record = DeskEvent::ConsentRecorded {
            patient: p,
            kind: ConsentKind::OptOut,
            event: id,
            method: event.method,
            evidence: Some(&reference),
        };
        store::audit::append(c, &record.entry(at.now, at.actor))?;
        recorded += 1;
    }
    Ok(match recorded {
        0 => "Already opted out; the reply is marked handled".to_string(),
        1 => "Opt-out recorded from the reply: no more texts".to_string(),
        n => format!("Opt-out recorded for the {n} patients on this number: no more texts"),
    })
}

#[cfg(test)]
mod tests;
