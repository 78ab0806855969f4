//! Turning the generated group into the store's rows: patients, consent events,
//! appointments, and messages with bodies rendered from the practice's own templates, the
//! real idempotency keys (so `remind` continues the history instead of repeating it) and the
//! replies' classifications.

use std::collections::HashMap;

use chrono::DateTime;
use chrono_tz::Tz;

use super::book::Appt;
use super::people::Person;
use super::texts::{Fate, Text, inbound_id, wordings};
use crate::config::Config;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent::{ConsentKind, ConsentMethod};
use crate::domain::ids::{AppointmentId, AppointmentTypeId, ClinicianId, MessageId, PatientId};
use crate::domain::message::{Direction, MessageKind, MessageStatus};
use crate::domain::reminder::{ReminderKey, welcome_key};
use crate::domain::reply::ReplyKind;
use crate::domain::segments;
use crate::domain::template::{RenderContext, Template, display_phone, wants_opt_out_notice};
use crate::store::StoreError;
use crate::store::bulk::{BulkAppointment, BulkConsent, BulkMessage, BulkPatient, BulkReply};
use crate::workflow::demo::history::HISTORY_PROVIDER;

/// The number patients text back to (the demo's own, fictional).
pub const PRACTICE_NUMBER: &str = "+15555550123";

fn utc(t: i64) -> DateTime<chrono::Utc> {
    DateTime::from_timestamp(t, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

pub fn patient(i: usize, p: &Person) -> BulkPatient {
    BulkPatient {
        id: PatientId(i as i64 + 1),
        external_id: Some(format!("GRP-{:06}", i + 1)),
        first_name: p.first.to_string(),
        last_name: p.last.to_string(),
        birth_date: p.birth,
        mobile: p.mobile.clone(),
        time_zone: p.zone,
        portal_active: p.portal,
        created_at: utc(p.created),
    }
}

/// The consent each patient gave or withdrew at the desk, and the opt-outs by reply.
pub fn consent(people: &[Person], opt_outs: &[(u32, i64)]) -> Vec<BulkConsent> {
    let mut out = Vec::new();
    for (i, p) in people.iter().enumerate() {
        let patient_id = PatientId(i as i64 + 1);
        if let Some(at) = p.unverified {
            out.push(BulkConsent {
                patient_id,
                kind: ConsentKind::OptIn,
                method: ConsentMethod::Import,
                evidence: None,
                recorded_by: "system",
                at: utc(at),
            });
        }
        if let Some((at, method)) = p.opt_in {
            let prefix = match method {
                ConsentMethod::WrittenForm => "FORM",
                ConsentMethod::ESignature => "ESIG",
                _ => "PORTAL",
            };
            out.push(BulkConsent {
                patient_id,
                kind: ConsentKind::OptIn,
                method,
                evidence: Some(format!("{prefix}-{:06}", i + 1)),
                recorded_by: "reception",
                at: utc(at),
            });
        }
        if let Some(at) = p.verbal_opt_out {
            out.push(opt_out(
                patient_id,
                ConsentMethod::Verbal,
                None,
                "reception",
                at,
            ));
        }
    }
    for &(patient, at) in opt_outs {
        let evidence = Some(inbound_id(patient, at));
        let id = PatientId(i64::from(patient) + 1);
        out.push(opt_out(
            id,
            ConsentMethod::SmsKeyword,
            evidence,
            "system",
            at,
        ));
    }
    out.sort_by_key(|c| (c.at, c.patient_id.0));
    out
}

fn opt_out(
    patient_id: PatientId,
    method: ConsentMethod,
    evidence: Option<String>,
    recorded_by: &'static str,
    at: i64,
) -> BulkConsent {
    BulkConsent {
        patient_id,
        kind: ConsentKind::OptOut,
        method,
        evidence,
        recorded_by,
        at: utc(at),
    }
}

pub fn appointment(i: usize, a: &Appt, types: &[AppointmentTypeId]) -> BulkAppointment<'static> {
    let by = match a.status {
        AppointmentStatus::Confirmed => "system",
        _ => "reception",
    };
    BulkAppointment {
        id: AppointmentId(i as i64 + 1),
        external_id: None,
        patient_id: PatientId(i64::from(a.patient) + 1),
        clinician_id: ClinicianId(i64::from(a.clinician) + 1),
        type_id: types[usize::from(a.type_ix)],
        start: utc(a.start),
        duration_minutes: super::book::SLOT_MINUTES as u32,
        status: a.status,
        booked_at: utc(a.booked),
        status_changed: a.changed.map(|at| (by, utc(at))),
        confirmed_at: a.confirmed.map(utc),
        cancelled_at: a.cancelled.map(utc),
        callback_requested: a.callback,
    }
}

/// What rendering needs that every message shares.
pub struct Renderer<'a> {
    pub config: &'a Config,
    pub templates: HashMap<MessageKind, Template>,
    pub phone: String,
    pub people: &'a [Person],
    pub book: &'a [Appt],
    pub clinicians: &'a [(String, u8)],
}

impl<'a> Renderer<'a> {
    pub fn new(
        config: &'a Config,
        templates: HashMap<MessageKind, Template>,
        (people, book, clinicians): (&'a [Person], &'a [Appt], &'a [(String, u8)]),
    ) -> Self {
        let phone = config
            .practice_phone()
            .map(|p| display_phone(&p))
            .unwrap_or_else(|_| config.practice.phone.clone());
        Self {
            config,
            templates,
            phone,
            people,
            book,
            clinicians,
        }
    }

    /// The message row (and the reply row, for an inbound one) of text `id`.
    pub fn rows(&self, id: i64, t: &Text) -> Result<(BulkMessage, Option<BulkReply>), StoreError> {
        let p = &self.people[t.patient as usize];
        let mobile = p.mobile.clone().unwrap_or_default();
        let patient_id = PatientId(i64::from(t.patient) + 1);
        let appointment_id = t
            .parts()
            .next()
            .map(|(a, _)| AppointmentId(i64::from(a) + 1));
        let base = BulkMessage {
            id: MessageId(id),
            direction: Direction::Outbound,
            kind: t.kind,
            patient_id,
            appointment_id,
            idempotency_key: None,
            to: mobile,
            from: None,
            body: String::new(),
            encoding: None,
            segments: None,
            status: MessageStatus::Delivered,
            provider: HISTORY_PROVIDER,
            provider_id: Some(format!("DEMO-OUT-{id}")),
            error_code: None,
            created_by: "system",
            created_at: utc(t.at),
            sent_at: None,
            delivered_at: None,
            updated_at: utc(t.at),
        };
        if let Fate::Received {
            class,
            wording,
            handled,
        } = t.fate
        {
            let message = BulkMessage {
                direction: Direction::Inbound,
                to: PRACTICE_NUMBER.to_string(),
                from: p.mobile.clone(),
                body: wordings(class)[usize::from(wording)].to_string(),
                status: MessageStatus::Received,
                provider_id: Some(inbound_id(t.patient, t.at)),
                created_by: "patient",
                appointment_id: None,
                ..base
            };
            let filed = matches!(class, ReplyKind::Confirm | ReplyKind::Reschedule);
            let reply = BulkReply {
                message_id: MessageId(id),
                patient_id: Some(patient_id),
                received_at: message.created_at,
                kind: class,
                appointment_id: appointment_id.filter(|_| filed),
                handled: handled.then(|| ("reception", utc(t.at + 3600))),
            };
            return Ok((message, Some(reply)));
        }
        Ok((self.outbound(base, t, p)?, None))
    }

    fn outbound(&self, base: BulkMessage, t: &Text, p: &Person) -> Result<BulkMessage, StoreError> {
        let body = self.body(t, p)?;
        let info = segments::analyse(&body);
        let (status, error_code, delivered) = match t.fate {
            Fate::Sent => (MessageStatus::Sent, None, false),
            Fate::Undelivered => (MessageStatus::Undelivered, Some("30007"), false),
            Fate::Failed => (MessageStatus::Failed, Some("30008"), false),
            _ => (MessageStatus::Delivered, None, true),
        };
        Ok(BulkMessage {
            idempotency_key: Some(self.key(t)),
            body,
            encoding: Some(info.encoding.as_str()),
            segments: Some(info.segments),
            status,
            error_code,
            created_by: if MessageKind::PORTAL_PROMPTS.contains(&t.kind) {
                "reception"
            } else {
                "system"
            },
            sent_at: Some(utc(t.at + 3)),
            delivered_at: delivered.then(|| utc(t.at + 20)),
            updated_at: utc(t.at + if delivered { 20 } else { 60 }),
            ..base
        })
    }

    fn key(&self, t: &Text) -> String {
        let patient = PatientId(i64::from(t.patient) + 1);
        match t.kind {
            MessageKind::Welcome => welcome_key(patient),
            kind if MessageKind::PORTAL_PROMPTS.contains(&kind) => {
                let zone = self.zone(&self.people[t.patient as usize]);
                let day = utc(t.at).with_timezone(&zone).date_naive();
                format!("portal:{}:{patient}:{day}", t.kind)
            }
            MessageKind::OptOutConfirmation | MessageKind::HelpReply => {
                // The answer to the reply one minute earlier (answer_key's shape).
                format!(
                    "answer:{}:{}",
                    t.kind.as_str(),
                    inbound_id(t.patient, t.at - 60)
                )
            }
            _ => ReminderKey::parts(t.parts().map(|(a, off)| {
                let start = utc(self.book[a as usize].start);
                (AppointmentId(i64::from(a) + 1), start, u32::from(off))
            }))
            .map(|k| k.to_string())
            .unwrap_or_default(),
        }
    }

    fn zone(&self, p: &Person) -> Tz {
        p.zone.unwrap_or(self.config.practice.time_zone)
    }

    fn body(&self, t: &Text, p: &Person) -> Result<String, StoreError> {
        let template = self
            .templates
            .get(&t.kind)
            .ok_or_else(|| StoreError::Conflict(format!("no template for {}", t.kind)))?;
        let starts: Vec<DateTime<chrono::Utc>> = t
            .parts()
            .map(|(a, _)| utc(self.book[a as usize].start))
            .collect();
        let clinician = t.parts().next().map(|(a, _)| {
            self.clinicians[usize::from(self.book[a as usize].clinician)]
                .0
                .as_str()
        });
        let ctx = RenderContext {
            first_name: p.first,
            practice_name: &self.config.practice.name,
            practice_phone: &self.phone,
            portal_url: &self.config.practice.portal_url,
            location: &self.config.practice.location,
            tz: self.zone(p),
            starts: &starts,
            clinician,
            survey_url: None,
            opt_out_notice: wants_opt_out_notice(
                t.kind,
                self.config.reminders.opt_out_notice,
                false,
            ),
        };
        template
            .render(&ctx)
            .map_err(|e| StoreError::Conflict(format!("{}: {e}", t.kind)))
    }
}

/// The kinds the generator writes (their templates are loaded once).
pub const KINDS: [MessageKind; 8] = [
    MessageKind::PortalNewMessage,
    MessageKind::Reminder48h,
    MessageKind::Reminder24h,
    MessageKind::SameDayDouble,
    MessageKind::Welcome,
    MessageKind::PortalResultsReady,
    MessageKind::OptOutConfirmation,
    MessageKind::HelpReply,
];
