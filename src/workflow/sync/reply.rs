//! What one patient reply does (SPEC §5.3–§5.4): find who sent it, decide whether it answers
//! an open reminder, classify it, file it, act on it and audit it — all inside the caller's
//! transaction.
//!
//! * **Who**: every patient whose mobile is the sender's number (a family may share a phone).
//!   An unknown number is kept, with no patient, in the reply inbox.
//! * **Open reminder**: the patient's newest reminder (queued, sent or delivered; at most
//!   [`REMINDER_ANSWER_WINDOW`](crate::domain::reply::decision::REMINDER_ANSWER_WINDOW) before the reply) that still covers an appointment that is
//!   open, not started and still at the time the reminder named — and that no reply has
//!   answered since it went (confirm, reschedule or cancel). Only then does C/1/YES confirm
//!   and R/2 ask for a call-back; otherwise YES opts in and C/R mean nothing.
//! * **Acts**: opt-out (every sharer of the number, at once; at most one confirmation, within
//!   5 minutes, none if already opted out), CANCEL (opt-out and call-back), opt-in (+
//!   confirmation), HELP (reply), confirm (status machine, via "sms"), call-back flag.
//!   A confirm or call-back request with nothing it could apply to — or a confirm from a
//!   number shared by several patients with open reminders — is filed as `other` so a
//!   person reads it: nothing guessed, nothing dropped.

use crate::store::Db;
use crate::store::Write;
use chrono::{DateTime, Utc};

use super::{SyncError, SyncReport};
use crate::config::Config;
use crate::domain::appointment::{
    Appointment, AppointmentStatus, TransitionError, check_transition,
};
use crate::domain::audit::{ReplyEvent, SYSTEM};
use crate::domain::consent::{ConsentEvent, ConsentKind, ConsentMethod};
use crate::domain::ids::{AppointmentId, MessageId, PatientId};
use crate::domain::message::{Message, MessageKind};
use crate::domain::reminder::ReminderKey;
use crate::domain::reply::decision::{
    Act, ConsentAnswer, Sender, answers_reminder, confirmable, consent_answer, decide, filed_after,
    is_live, reminder_answerable,
};
use crate::domain::reply::{ReplyContext, ReplyKind, classify};
use crate::domain::report::LineAction;
use crate::domain::template::wants_opt_out_notice;
use crate::phi::Gate;
use crate::provider::InboundSms;
use crate::store::{self, StoreError};
use crate::workflow::facts::REMINDER_KINDS;
use crate::workflow::outcome::ReportLine;
use crate::workflow::record_text::{self, Outgoing, Recorded};
use crate::workflow::render::{self, RenderInput};
use crate::workflow::{consent, templates};

/// Call-back requests without an open reminder flag the patient's next open appointment.
const NEXT_APPOINTMENTS: usize = 1;

/// A reminder still waiting for the patient's answer.
#[derive(Clone, Debug)]
struct OpenReminder {
    patient: PatientId,
    sent_at: DateTime<Utc>,
    /// The covered appointments that are still live, in start order (never empty).
    appointments: Vec<Appointment>,
}

/// Every patient with the sender's number, and their reminders waiting for an answer,
/// newest first.
fn senders(
    c: &impl Write,
    sms: &InboundSms,
) -> Result<(Vec<PatientId>, Vec<OpenReminder>), SyncError> {
    let holders = match sms.from_e164() {
        Some(from) => store::messages::patients_by_mobile(c, from.as_str())?,
        None => Vec::new(),
    };
    let mut open = Vec::new();
    for &p in &holders {
        if let Some(r) = open_reminder(c, p, sms.received_at)? {
            open.push(r);
        }
    }
    open.sort_by_key(|r| std::cmp::Reverse(r.sent_at));
    Ok((holders, open))
}

/// How a reply from a number no patient has is filed: it changes nothing.
fn from_stranger(read_as: ReplyKind) -> (ReplyKind, Effects) {
    let stranger = Sender {
        known: false,
        open_reminders: 0,
    };
    let (filed, note) = filed_after(decide(read_as, stranger), 0);
    let effects = Effects {
        note,
        ..Effects::default()
    };
    (filed, effects)
}

/// Applies replies for one page, at one `now`.
pub(super) struct Applier<'a> {
    pub config: &'a Config,
    pub gate: &'a Gate,
    pub provider: &'a str,
    pub now: DateTime<Utc>,
}

/// One reply from a known patient, with what was loaded about its sender.
struct Reply<'a> {
    /// The patient it is filed under.
    patient: PatientId,
    /// Every patient with the sender's number.
    holders: &'a [PatientId],
    /// Their reminders waiting for an answer, newest first.
    open: &'a [OpenReminder],
    /// The inbound row.
    id: MessageId,
    sms: &'a InboundSms,
}

/// What a reply did, for its audit record and its filing.
#[derive(Default)]
struct Effects {
    appointments: Vec<AppointmentId>,
    answer: Option<MessageId>,
    note: Option<&'static str>,
}

impl Applier<'_> {
    /// Apply one inbound message. Returns the answer to send, if one was recorded.
    pub fn apply(
        &self,
        c: &impl Write,
        sms: &InboundSms,
        report: &mut SyncReport,
    ) -> Result<Option<MessageId>, SyncError> {
        let (holders, open) = senders(c, sms)?;
        let ctx = ReplyContext {
            awaiting_reminder_answer: !open.is_empty(),
        };
        let read_as = classify(&sms.body, ctx);
        let primary = match open.as_slice() {
            [only] => Some(only.patient),
            _ => holders.first().copied(),
        };
        let inbound = store::messages::NewInbound {
            patient: primary,
            from: &sms.from,
            to: &self.our_number(),
            body: &sms.body,
            provider: self.provider,
            provider_id: &sms.provider_id,
            at: sms.received_at,
        };
        let Some(id) = store::messages::insert_inbound(c, &inbound)? else {
            report.replies_repeated += 1;
            return Ok(None);
        };
        let (filed, effects) = match primary {
            None => {
                report.unknown_senders += 1;
                from_stranger(read_as)
            }
            Some(patient) => {
                let reply = Reply {
                    patient,
                    holders: &holders,
                    open: &open,
                    id,
                    sms,
                };
                self.act(c, read_as, &reply, report)?
            }
        };
        store::messages::classify_reply(c, id, filed, effects.appointments.first().copied())?;
        report.replies.add(filed);
        let event = ReplyEvent::ReplyReceived {
            message: id,
            filed,
            read_as,
            patient: primary,
            provider_id: &sms.provider_id,
            appointments: &effects.appointments,
            answer: effects.answer,
            note: effects.note,
        };
        store::audit::append(c, &event.entry(self.now, SYSTEM))?;
        tracing::info!(message = id.0, patient = ?primary.map(|p| p.0), classification = filed.as_str(), read_as = read_as.as_str(), "reply applied");
        Ok(effects.answer)
    }

    /// Act on a reply from a known patient as [`decide`] says, and say how it is filed.
    fn act(
        &self,
        c: &impl Write,
        read_as: ReplyKind,
        r: &Reply<'_>,
        report: &mut SyncReport,
    ) -> Result<(ReplyKind, Effects), SyncError> {
        let sender = Sender {
            known: true,
            open_reminders: r.open.len(),
        };
        let act = decide(read_as, sender);
        let mut fx = Effects::default();
        match act {
            Act::OptOut { callback } => {
                let changed = self.record_consent(c, r.holders, ConsentKind::OptOut, r.sms)?;
                report.opt_outs += changed;
                self.answer_consent(c, read_as, changed, r, &mut fx, report)?;
                if callback {
                    fx.appointments = self.callback_targets(c, r.patient, r.open)?;
                    report.callbacks += self.flag_callbacks(c, &fx.appointments, r.id, read_as)?;
                }
            }
            Act::OptIn => {
                let changed = self.record_consent(c, r.holders, ConsentKind::OptIn, r.sms)?;
                report.opt_ins += changed;
                self.answer_consent(c, read_as, changed, r, &mut fx, report)?;
            }
            Act::Help => {
                fx.answer = self.answer(c, MessageKind::HelpReply, r.patient, r.sms, report)?;
            }
            Act::Confirm => {
                let appointments = r.open.first().map_or(&[][..], |o| &o.appointments);
                let (confirmed, live) = self.confirm(c, appointments, r.id)?;
                report.confirmed += confirmed;
                fx.appointments = live;
            }
            Act::Callback => {
                fx.appointments = self.callback_targets(c, r.patient, r.open)?;
                report.callbacks += self.flag_callbacks(c, &fx.appointments, r.id, read_as)?;
            }
            Act::File { .. } => {}
        }
        let (filed, note) = filed_after(act, fx.appointments.len());
        fx.note = fx.note.or(note);
        Ok((filed, fx))
    }

    /// The confirmation of a consent change, when one goes; otherwise the note why not.
    fn answer_consent(
        &self,
        c: &impl Write,
        read_as: ReplyKind,
        changed: usize,
        r: &Reply<'_>,
        fx: &mut Effects,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let decided = consent_answer(read_as, changed, r.sms.received_at, self.now);
        match decided {
            ConsentAnswer::Send(kind) => {
                fx.answer = self.answer(c, kind, r.patient, r.sms, report)?;
            }
            ConsentAnswer::WindowPassed => report.answers.too_late += 1,
            ConsentAnswer::AlreadyOptedOut | ConsentAnswer::AlreadyOptedIn => {}
        }
        fx.note = decided.note();
        Ok(())
    }

    /// Record an opt-out or opt-in for every patient on the number whose state it changes.
    /// Returns how many changed.
    fn record_consent(
        &self,
        c: &impl Write,
        holders: &[PatientId],
        kind: ConsentKind,
        sms: &InboundSms,
    ) -> Result<usize, SyncError> {
        let mut changed = 0;
        for &p in holders {
            if consent::state(c, p)?.already(kind) {
                continue;
            }
            let event = ConsentEvent {
                kind,
                method: ConsentMethod::SmsKeyword,
                // The evidence is the reply itself, by the provider's id.
                evidence: Some(sms.provider_id.clone()),
                recorded_by: SYSTEM.into(),
                at: self.now,
            };
            consent::record_in(c, p, &event)?;
            tracing::info!(
                patient = p.0,
                kind = kind.as_str(),
                "consent recorded from reply"
            );
            changed += 1;
        }
        Ok(changed)
    }

    /// Render, gate and record an answer to the patient's own keyword, keyed on the reply
    /// so that a replayed page never records a second one.
    fn answer(
        &self,
        c: &impl Write,
        kind: MessageKind,
        patient: PatientId,
        sms: &InboundSms,
        report: &mut SyncReport,
    ) -> Result<Option<MessageId>, SyncError> {
        let Some(to) = sms.from_e164() else {
            return Ok(None);
        };
        let p = match store::patients::get(c, patient) {
            Ok(p) => p,
            // The reply is applied (an opt-out is recorded all the same); only the answer,
            // which needs the patient's record to be written, is left out and reported.
            Err(e @ StoreError::Corrupt { .. }) => {
                report.lines.push(ReportLine {
                    kind,
                    patient_id: patient,
                    appointment_id: None,
                    action: LineAction::Unreadable,
                    reason: Some(crate::workflow::facts::Unreadable::new(patient, &e).reason),
                    code: None,
                    message_id: None,
                    waited: false,
                });
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        };
        let template = templates::load(c, kind)?;
        let r = render::render_trusted(
            self.config,
            &template,
            &RenderInput {
                kind,
                patient: &p,
                starts: &[],
                clinician: None,
                // HELP and opt-in confirmations always carry it, the opt-out one never does.
                opt_out_notice: wants_opt_out_notice(
                    kind,
                    self.config.reminders.opt_out_notice,
                    true,
                ),
            },
        )?;
        let out = Outgoing {
            kind,
            patient_id: patient,
            appointment_id: None,
            key: answer_key(kind, &sms.provider_id),
            to,
            body: r.body,
            trusted: r.trusted,
            send_by: None,
        };
        match record_text::record(c, &out, self.gate, self.provider, SYSTEM, self.now)? {
            Recorded::Ready(id) => {
                report.answers.recorded += 1;
                Ok(Some(id))
            }
            Recorded::Duplicate(_) => Ok(None),
            Recorded::Blocked { .. } => {
                report.answers.blocked += 1;
                Ok(None)
            }
        }
    }

    /// Confirm the live appointments of an open reminder through the status machine.
    /// Returns (newly confirmed, appointments now confirmed).
    fn confirm(
        &self,
        c: &impl Write,
        appointments: &[Appointment],
        reply: MessageId,
    ) -> Result<(usize, Vec<AppointmentId>), StoreError> {
        let tz = self.config.practice.time_zone;
        let (mut newly, mut confirmed) = (0, Vec::new());
        for a in appointments {
            // Read again: an earlier reply in this page may have changed it.
            let a = store::appointments::get(c, a.id)?;
            if !confirmable(&a) {
                continue;
            }
            match check_transition(
                a.status,
                AppointmentStatus::Confirmed,
                a.start,
                self.now,
                tz,
            ) {
                Ok(()) => {
                    store::appointments::set_status(
                        c,
                        a.id,
                        a.status,
                        AppointmentStatus::Confirmed,
                        SYSTEM,
                        self.now,
                    )?;
                    store::audit::append(
                        c,
                        &ReplyEvent::ConfirmedBySms {
                            appointment: a.id,
                            from: a.status,
                            reply,
                        }
                        .entry(self.now, SYSTEM),
                    )?;
                    newly += 1;
                    confirmed.push(a.id);
                }
                Err(TransitionError::Unchanged(_)) => confirmed.push(a.id),
                Err(e) => {
                    tracing::info!(appointment = a.id.0, reason = %e, "reply could not confirm");
                }
            }
        }
        Ok((newly, confirmed))
    }

    /// The appointments a call-back is about: those of the open reminders, otherwise the
    /// patient's next open appointment.
    fn callback_targets(
        &self,
        c: &impl Db,
        patient: PatientId,
        open: &[OpenReminder],
    ) -> Result<Vec<AppointmentId>, StoreError> {
        let mut ids: Vec<AppointmentId> = open
            .iter()
            .flat_map(|r| r.appointments.iter().map(|a| a.id))
            .collect();
        if ids.is_empty() {
            ids = store::appointments::open_for_patient_after(
                c,
                patient,
                self.now,
                NEXT_APPOINTMENTS,
            )?
            .into_iter()
            .map(|a| a.id)
            .collect();
        }
        Ok(ids)
    }

    /// Flag appointments for a call-back; returns how many were newly flagged.
    fn flag_callbacks(
        &self,
        c: &impl Write,
        ids: &[AppointmentId],
        reply: MessageId,
        read_as: ReplyKind,
    ) -> Result<usize, StoreError> {
        let mut flagged = 0;
        for &id in ids {
            if !store::appointments::get(c, id)?.callback_requested {
                store::appointments::set_callback(c, id, true)?;
                store::audit::append(
                    c,
                    &ReplyEvent::CallbackBySms {
                        appointment: id,
                        reply,
                        read_as,
                    }
                    .entry(self.now, SYSTEM),
                )?;
                flagged += 1;
            }
        }
        Ok(flagged)
    }

    /// The number replies arrive at, for the inbound row: the configured sender.
    fn our_number(&self) -> String {
        self.config
            .sms
            .twilio
            .as_ref()
            .and_then(|t| t.from.clone().or_else(|| t.messaging_service_sid.clone()))
            .unwrap_or_else(|| self.provider.to_string())
    }
}

/// The patient's reminder awaiting an answer at `at`, if any (see the module docs).
fn open_reminder(
    c: &impl Db,
    patient: PatientId,
    at: DateTime<Utc>,
) -> Result<Option<OpenReminder>, StoreError> {
    let mut rows: Vec<(DateTime<Utc>, Message)> =
        store::messages::of_kinds(c, patient, REMINDER_KINDS)?
            .into_iter()
            .map(|m| (m.sent_at.unwrap_or(m.created_at), m))
            .filter(|(sent, m)| reminder_answerable(m.status, *sent, at))
            .collect();
    rows.sort_by_key(|(sent, m)| std::cmp::Reverse((*sent, m.id)));
    for (sent_at, m) in rows {
        let Some(key) = m.idempotency_key.as_deref().and_then(ReminderKey::parse) else {
            continue;
        };
        let mut live = Vec::new();
        for &(id, start) in key.appointments() {
            let a = store::appointments::get(c, id)?;
            if is_live(&a, start, at) {
                live.push(a);
            }
        }
        if live.is_empty() {
            continue; // everything it named has passed, moved or closed: look further back
        }
        let answered = store::messages::replies_since(c, patient, sent_at)?
            .iter()
            .any(|(_, kind)| answers_reminder(*kind));
        return Ok((!answered).then_some(OpenReminder {
            patient,
            sent_at,
            appointments: live,
        }));
    }
    Ok(None)
}

/// The idempotency key of the answer to one inbound message: one answer per reply, ever.
pub(super) fn answer_key(kind: MessageKind, inbound_provider_id: &str) -> String {
    format!("answer:{}:{inbound_provider_id}", kind.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_keys_are_one_per_reply_and_kind() {
        let a = answer_key(MessageKind::HelpReply, "SM1");
        assert_eq!(a, "answer:help-reply:SM1");
        assert_ne!(a, answer_key(MessageKind::HelpReply, "SM2"));
        assert_ne!(a, answer_key(MessageKind::OptOutConfirmation, "SM1"));
        assert_eq!(ReminderKey::parse(&a), None);
    }
}
