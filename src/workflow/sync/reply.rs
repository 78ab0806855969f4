//! What one patient reply does (SPEC §5.3–§5.4): find who sent it, decide whether it answers
//! an open reminder, classify it, file it, act on it and audit it — all inside the caller's
//! transaction.
//!
//! * **Who**: every patient whose mobile is the sender's number (a family may share a phone).
//!   An unknown number is kept, with no patient, in the reply inbox.
//! * **Open reminder**: the patient's newest reminder (queued, sent or delivered; at most
//!   [`REMINDER_ANSWER_WINDOW`] before the reply) that still covers an appointment that is
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
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::{SyncError, SyncReport};
use crate::config::Config;
use crate::domain::appointment::{
    Appointment, AppointmentStatus, TransitionError, check_transition,
};
use crate::domain::audit::{AuditEntry, SYSTEM};
use crate::domain::consent::{ConsentEvent, ConsentKind, ConsentMethod};
use crate::domain::ids::{AppointmentId, MessageId, PatientId};
use crate::domain::message::{Message, MessageKind, MessageStatus};
use crate::domain::reminder::ReminderKey;
use crate::domain::reply::{ReplyContext, ReplyKind, classify};
use crate::domain::report::LineAction;
use crate::domain::template::wants_opt_out_notice;
use crate::phi::Gate;
use crate::provider::InboundSms;
use crate::store::{self, StoreError};
use crate::workflow::facts::REMINDER_KINDS;
use crate::workflow::outbound::{self, Outgoing, Recorded};
use crate::workflow::outbox::OPT_OUT_CONFIRMATION_WINDOW;
use crate::workflow::outcome::ReportLine;
use crate::workflow::render::{self, RenderInput};
use crate::workflow::{consent, templates};

/// A reply can answer a reminder sent at most this long before it.
pub const REMINDER_ANSWER_WINDOW: Duration = Duration::days(7);

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

/// Applies replies for one page, at one `now`.
pub(super) struct Applier<'a> {
    pub config: &'a Config,
    pub gate: &'a Gate,
    pub provider: &'a str,
    pub now: DateTime<Utc>,
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
        let ctx = ReplyContext {
            awaiting_reminder_answer: !open.is_empty(),
        };
        let read_as = classify(&sms.body, ctx);
        let primary = match open.as_slice() {
            [only] => Some(only.patient),
            _ => holders.first().copied(),
        };
        let Some(id) = store::messages::insert_inbound(
            c,
            primary,
            &sms.from,
            &self.our_number(),
            &sms.body,
            self.provider,
            &sms.provider_id,
            sms.received_at,
        )?
        else {
            report.replies_repeated += 1;
            return Ok(None);
        };

        let (filed, effects) = match primary {
            None => {
                report.unknown_senders += 1;
                (
                    ReplyKind::Other,
                    Effects {
                        note: Some("unknown sender"),
                        ..Effects::default()
                    },
                )
            }
            Some(patient) => self.act(c, read_as, patient, &holders, &open, id, sms, report)?,
        };
        store::messages::classify_reply(c, id, filed, effects.appointments.first().copied())?;
        report.replies.add(filed);
        store::audit::append(
            c,
            &AuditEntry::new(
                self.now,
                SYSTEM,
                "reply.received",
                format!("message:{id}"),
                json!({ "classification": filed.as_str(), "read_as": read_as.as_str(),
                        "patient": primary.map(|p| p.0), "provider_id": sms.provider_id,
                        "appointments": effects.appointments.iter().map(|a| a.0).collect::<Vec<_>>(),
                        "answer": effects.answer.map(|m| m.0), "note": effects.note }),
            ),
        )?;
        tracing::info!(message = id.0, patient = ?primary.map(|p| p.0), classification = filed.as_str(), read_as = read_as.as_str(), "reply applied");
        Ok(effects.answer)
    }

    #[allow(clippy::too_many_arguments)]
    fn act(
        &self,
        c: &impl Write,
        read_as: ReplyKind,
        patient: PatientId,
        holders: &[PatientId],
        open: &[OpenReminder],
        id: MessageId,
        sms: &InboundSms,
        report: &mut SyncReport,
    ) -> Result<(ReplyKind, Effects), SyncError> {
        let mut fx = Effects::default();
        let filed = match read_as {
            ReplyKind::OptOut | ReplyKind::Cancel => {
                let changed = self.record_consent(c, holders, ConsentKind::OptOut, sms)?;
                report.opt_outs += changed;
                if changed > 0 {
                    if within_confirmation_window(sms.received_at, self.now) {
                        fx.answer =
                            self.answer(c, MessageKind::OptOutConfirmation, patient, sms, report)?;
                    } else {
                        report.answers.too_late += 1;
                        fx.note = Some("opt-out confirmation window passed");
                    }
                } else {
                    fx.note = Some("already opted out");
                }
                if read_as == ReplyKind::Cancel {
                    fx.appointments = self.callback_targets(c, patient, open)?;
                    report.callbacks += self.flag_callbacks(c, &fx.appointments, id, read_as)?;
                }
                read_as
            }
            ReplyKind::OptIn => {
                let changed = self.record_consent(c, holders, ConsentKind::OptIn, sms)?;
                report.opt_ins += changed;
                if changed > 0 {
                    fx.answer =
                        self.answer(c, MessageKind::OptInConfirmation, patient, sms, report)?;
                } else {
                    fx.note = Some("already opted in");
                }
                ReplyKind::OptIn
            }
            ReplyKind::Help => {
                fx.answer = self.answer(c, MessageKind::HelpReply, patient, sms, report)?;
                ReplyKind::Help
            }
            ReplyKind::Confirm => match open {
                [only] => {
                    let (confirmed, live) = self.confirm(c, &only.appointments, id)?;
                    report.confirmed += confirmed;
                    fx.appointments = live;
                    if fx.appointments.is_empty() {
                        fx.note = Some("nothing left to confirm");
                        ReplyKind::Other
                    } else {
                        ReplyKind::Confirm
                    }
                }
                _ => {
                    fx.note = Some("shared number with several open reminders");
                    ReplyKind::Other
                }
            },
            ReplyKind::Reschedule => {
                fx.appointments = self.callback_targets(c, patient, open)?;
                if fx.appointments.is_empty() {
                    fx.note = Some("no upcoming appointment to call back about");
                    ReplyKind::Other
                } else {
                    report.callbacks += self.flag_callbacks(c, &fx.appointments, id, read_as)?;
                    ReplyKind::Reschedule
                }
            }
            ReplyKind::Other => ReplyKind::Other,
        };
        Ok((filed, fx))
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
        match outbound::record(c, &out, self.gate, self.provider, SYSTEM, self.now)? {
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
                        &AuditEntry::new(
                            self.now,
                            SYSTEM,
                            "appointment.status",
                            format!("appointment:{}", a.id),
                            json!({ "from": a.status.as_str(), "to": "confirmed", "via": "sms",
                                    "reply": reply.0 }),
                        ),
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
                    &AuditEntry::new(
                        self.now,
                        SYSTEM,
                        "appointment.callback",
                        format!("appointment:{id}"),
                        json!({ "requested": true, "via": "sms", "reply": reply.0,
                                "read_as": read_as.as_str() }),
                    ),
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
            .filter(|m| {
                matches!(
                    m.status,
                    MessageStatus::Queued | MessageStatus::Sent | MessageStatus::Delivered
                )
            })
            .map(|m| (m.sent_at.unwrap_or(m.created_at), m))
            .filter(|(sent, _)| *sent <= at && at - *sent <= REMINDER_ANSWER_WINDOW)
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

/// An appointment a reminder named is still worth answering about at `at`: open, not
/// started, and still at the time the reminder gave (a reschedule earns its own reminder).
fn is_live(a: &Appointment, reminded_start: DateTime<Utc>, at: DateTime<Utc>) -> bool {
    a.start == reminded_start && a.status.is_open() && a.start > at
}

/// Replies that answer a reminder (after one, the reminder is no longer open).
fn answers_reminder(kind: ReplyKind) -> bool {
    matches!(
        kind,
        ReplyKind::Confirm | ReplyKind::Reschedule | ReplyKind::Cancel
    )
}

/// The idempotency key of the answer to one inbound message: one answer per reply, ever.
pub(super) fn answer_key(kind: MessageKind, inbound_provider_id: &str) -> String {
    format!("answer:{}:{inbound_provider_id}", kind.as_str())
}

/// An opt-out confirmation goes only within 5 minutes of the STOP (FCC 2024).
fn within_confirmation_window(received_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - received_at <= OPT_OUT_CONFIRMATION_WINDOW
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{AppointmentTypeId, ClinicianId};
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, h, m, 0).unwrap()
    }

    fn appt(start: DateTime<Utc>, status: AppointmentStatus) -> Appointment {
        Appointment {
            id: AppointmentId(1),
            patient_id: PatientId(1),
            clinician_id: ClinicianId(1),
            type_id: AppointmentTypeId(1),
            start,
            duration_minutes: 30,
            status,
            booked_at: t(8, 0),
            callback_requested: false,
        }
    }

    #[test]
    fn live_means_open_upcoming_and_at_the_reminded_time() {
        let start = t(15, 0);
        assert!(is_live(
            &appt(start, AppointmentStatus::Booked),
            start,
            t(9, 0)
        ));
        assert!(is_live(
            &appt(start, AppointmentStatus::Confirmed),
            start,
            t(9, 0)
        ));
        assert!(!is_live(
            &appt(start, AppointmentStatus::Cancelled),
            start,
            t(9, 0)
        ));
        assert!(
            !is_live(&appt(start, AppointmentStatus::Booked), start, t(15, 0)),
            "started"
        );
        assert!(
            !is_live(&appt(t(16, 0), AppointmentStatus::Booked), start, t(9, 0)),
            "moved since the reminder"
        );
    }

    #[test]
    fn only_appointment_answers_close_a_reminder() {
        assert!(answers_reminder(ReplyKind::Confirm));
        assert!(answers_reminder(ReplyKind::Reschedule));
        assert!(answers_reminder(ReplyKind::Cancel));
        for k in [
            ReplyKind::Help,
            ReplyKind::Other,
            ReplyKind::OptIn,
            ReplyKind::OptOut,
        ] {
            assert!(!answers_reminder(k), "{k:?}");
        }
    }

    #[test]
    fn answer_keys_are_one_per_reply_and_kind() {
        let a = answer_key(MessageKind::HelpReply, "SM1");
        assert_eq!(a, "answer:help-reply:SM1");
        assert_ne!(a, answer_key(MessageKind::HelpReply, "SM2"));
        assert_ne!(a, answer_key(MessageKind::OptOutConfirmation, "SM1"));
        assert_eq!(ReminderKey::parse(&a), None);
    }

    #[test]
    fn opt_out_confirmation_window_is_five_minutes() {
        assert!(within_confirmation_window(t(9, 0), t(9, 0)));
        assert!(within_confirmation_window(t(9, 0), t(9, 5)));
        assert!(!within_confirmation_window(t(9, 0), t(9, 6)));
    }
}
