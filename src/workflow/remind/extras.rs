//! The patient texts `remind` sends besides reminders: the onboarding welcome (once, to
//! patients added recently with consent) and the post-visit survey link (once per completed
//! visit, when enabled). Both are reminder-class: consent, quiet hours and the caps, counting
//! what the same run sends. Who is due which, and whether the practice has set the link a
//! text points to, is decided in `domain::reminder::extras`; a missing link skips that text
//! with its reason and the run goes on.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::report::unreadable_line;
use super::{Planned, Planning, ReportLine, Text, held_words, preview};
use crate::domain::appointment::Appointment;
use crate::domain::ids::PatientId;
use crate::domain::message::MessageKind;
use crate::domain::reminder::extras::{self as due, MissingLink, PracticeLinks};
use crate::domain::reminder::{self, RecentSend};
use crate::domain::report::LineAction;
use crate::domain::template::{first_since_opt_in, wants_opt_out_notice};
use crate::store;
use crate::workflow::WorkflowError;
use crate::workflow::facts::{self, Loaded};
use crate::workflow::record_text::Outgoing;
use crate::workflow::render::{self, RenderInput};

/// One patient text on offer: what, under which key, about which visit.
struct Offer<'a> {
    patient: PatientId,
    kind: MessageKind,
    key: String,
    appointment: Option<&'a Appointment>,
}

/// The onboarding welcome, once, to patients added recently who have opted in.
pub(super) fn welcomes(
    p: &Planning<'_>,
    loaded: &mut HashMap<PatientId, Loaded>,
    out: &mut Planned,
) -> Result<(), WorkflowError> {
    for id in store::patients::created_since(p.c, p.now - due::WELCOME_WITHIN)? {
        let offer = Offer {
            patient: id,
            kind: MessageKind::Welcome,
            key: reminder::welcome_key(id),
            appointment: None,
        };
        offer_text(p, loaded, out, &offer)?;
    }
    Ok(())
}

/// The post-visit survey link, once per completed visit, `delay_hours` after it ended.
pub(super) fn surveys(
    p: &Planning<'_>,
    loaded: &mut HashMap<PatientId, Loaded>,
    out: &mut Planned,
) -> Result<(), WorkflowError> {
    let now = p.now;
    let delay = Duration::hours(i64::from(p.config.survey.delay_hours));
    let since = due::survey_candidates_since(delay, now);
    let (visits, _unreadable) = store::appointments::starting_between_each(p.c, since, now)?;
    for a in visits.iter().filter(|a| due::survey_due(a, delay, now)) {
        let offer = Offer {
            patient: a.patient_id,
            kind: MessageKind::Survey,
            key: reminder::survey_key(a.id),
            appointment: Some(a),
        };
        offer_text(p, loaded, out, &offer)?;
    }
    Ok(())
}

/// Offer one patient text to a patient who can be texted at all; the others are not
/// "skipped", the text simply is not for them. A patient whose record cannot be read gets an
/// `unreadable` line.
fn offer_text(
    p: &Planning<'_>,
    loaded: &mut HashMap<PatientId, Loaded>,
    out: &mut Planned,
    offer: &Offer<'_>,
) -> Result<(), WorkflowError> {
    if !loaded.contains_key(&offer.patient) {
        let (more, unreadable) = facts::load_each(p.c, p.config, &[offer.patient], p.now, None)?;
        loaded.extend(more);
        if let Some(u) = unreadable.into_iter().next() {
            if store::messages::by_key(p.c, &offer.key)?.is_none() {
                out.lines.push(unreadable_line(
                    offer.kind,
                    offer.patient,
                    offer.appointment.map(|a| a.id),
                    u.reason,
                ));
            }
            return Ok(());
        }
    }
    let Some(l) = loaded.get_mut(&offer.patient) else {
        return Ok(());
    };
    if l.facts.blocked().is_some() {
        return Ok(());
    }
    patient_text(p, l, out, offer)
}

/// One kind of patient text (welcome, survey) through the shared checks.
fn patient_text(
    p: &Planning<'_>,
    l: &mut Loaded,
    out: &mut Planned,
    offer: &Offer<'_>,
) -> Result<(), WorkflowError> {
    let (now, kind) = (p.now, offer.kind);
    if store::messages::by_key(p.c, &offer.key)?.is_some() {
        return Ok(());
    }
    let mut line = ReportLine {
        kind,
        patient_id: l.patient.id,
        appointment_id: offer.appointment.map(|a| a.id),
        action: LineAction::Send,
        reason: None,
        code: None,
        message_id: None,
        waited: false,
    };
    if let Err(held) = reminder::send_check(&p.config.reminders, now, &l.facts, kind) {
        line.action = if held.retry_at.is_some() {
            LineAction::Wait
        } else {
            LineAction::Skip
        };
        line.reason = Some(held_words(&held, p.tz()));
        out.lines.push(line);
        return Ok(());
    }
    if let Some(missing) = missing_link(p, kind)? {
        line.action = LineAction::Skip;
        line.reason = Some(missing.reason().to_string());
        out.lines.push(line);
        return Ok(());
    }
    let Some(to) = render::mobile(&l.patient).cloned() else {
        return Ok(());
    };
    let notice = wants_opt_out_notice(
        kind,
        p.config.reminders.opt_out_notice,
        first_since_opt_in(&l.facts.consent, l.facts.last_outbound),
    );
    let starts: Vec<DateTime<Utc>> = offer.appointment.map(|a| vec![a.start]).unwrap_or_default();
    let r = p.render_for(&RenderInput {
        kind,
        patient: &l.patient,
        starts: &starts,
        clinician: None,
        opt_out_notice: notice,
    })?;
    let outgoing = Outgoing {
        kind,
        patient_id: l.patient.id,
        appointment_id: offer.appointment.map(|a| a.id),
        key: offer.key.clone(),
        to,
        body: r.body,
        trusted: r.trusted,
        send_by: None,
    };
    out.lines.push(line);
    if p.dry_run {
        preview(p.gate, &outgoing, out.lines.last_mut());
    }
    out.texts.push(Text {
        outgoing,
        lines: vec![out.lines.len() - 1],
    });
    l.facts.recent.push(RecentSend { at: now, kind });
    l.facts.last_outbound = Some(now);
    Ok(())
}

/// The link this kind's template (as the practice saved it) needs and the practice has not
/// set, if any.
fn missing_link(p: &Planning<'_>, kind: MessageKind) -> Result<Option<MissingLink>, WorkflowError> {
    let template = crate::workflow::templates::load(p.c, kind)?;
    let links = PracticeLinks {
        portal_url: !p.config.practice.portal_url.trim().is_empty(),
        survey_url: !p.config.survey.url.trim().is_empty(),
    };
    Ok(due::missing_link(&template, links))
}
