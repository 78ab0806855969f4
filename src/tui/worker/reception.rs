//! The worker's commands for the patient screen: load a patient's record, record consent or
//! an opt-out, fix a number, send a portal prompt or a custom text. Each calls one workflow
//! function as the worker's actor and answers with one [`Msg`]. Sends run on a small
//! single-threaded runtime built for the send (the provider calls are async); the screen
//! stays responsive meanwhile because this is the worker's thread. Logs carry ids only.

use chrono::{DateTime, Utc};

use super::Runner;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent::ConsentMethod;
use crate::domain::ids::{AppointmentId, PatientId};
use crate::domain::inbox::InboxEntry;
use crate::domain::message::MessageKind;
use crate::tui::msg::Msg;
use crate::workflow::custom_text;
use crate::workflow::desk_patient::{self, SignedConsent};
use crate::workflow::send::{self, SendReport};
use crate::workflow::{WorkflowError, desk_undo, inbox};

impl Runner {
    pub(super) fn load_patient(
        &self,
        generation: u64,
        patient: PatientId,
        now: DateTime<Utc>,
    ) -> Msg {
        let result = desk_patient::load(&self.store, &self.config, patient, now).map_err(|e| {
            tracing::error!(patient = patient.0, "patient load failed");
            e.to_string()
        });
        Msg::PatientLoaded {
            generation,
            now,
            result,
        }
    }

    pub(super) fn record_consent(
        &mut self,
        patient: PatientId,
        signed: SignedConsent,
        now: DateTime<Utc>,
    ) -> Msg {
        let actor = self.actor_name();
        let result = desk_patient::record_consent(
            &mut self.store,
            &self.config,
            patient,
            &signed,
            &actor,
            now,
        )
        .map(|_| format!("SMS consent recorded ({})", signed.method.label()));
        changed(patient, "consent", result)
    }

    pub(super) fn record_opt_out(
        &mut self,
        patient: PatientId,
        method: ConsentMethod,
        now: DateTime<Utc>,
    ) -> Msg {
        let actor = self.actor_name();
        let result = desk_patient::record_opt_out(&mut self.store, patient, method, &actor, now)
            .map(|_| "Opt-out recorded: no more texts to this patient".to_string());
        changed(patient, "opt-out", result)
    }

    pub(super) fn fix_phone(
        &mut self,
        patient: PatientId,
        number: &str,
        now: DateTime<Utc>,
    ) -> Msg {
        let actor = self.actor_name();
        let result =
            desk_patient::fix_phone(&mut self.store, &self.config, patient, number, &actor, now)
                .map(|n| {
                    format!(
                        "Mobile number changed to ••{}; texts may go to it again",
                        n.last4()
                    )
                });
        changed(patient, "mobile", result)
    }

    pub(super) fn send_portal_prompt(&mut self, patient: PatientId, kind: MessageKind) -> Msg {
        let result = self.as_desk(|desk, store| {
            desk.one_off(|ctx, rt| {
                rt.block_on(send::portal_prompt(ctx, store, patient, kind, false))
            })
        });
        sent(patient, "portal prompt", result.map_err(|e| e.to_string()))
    }

    pub(super) fn send_custom_text(&mut self, patient: PatientId, text: &str) -> Msg {
        let result = self.as_desk(|desk, store| {
            desk.one_off(|ctx, rt| rt.block_on(custom_text::send(ctx, store, patient, text)))
        });
        sent(patient, "custom text", result.map_err(|e| e.to_string()))
    }

    pub(super) fn load_inbox(&self, generation: u64, now: DateTime<Utc>) -> Msg {
        let result = inbox::load(&self.store, now).map_err(|e| {
            tracing::error!("inbox load failed");
            e.to_string()
        });
        Msg::InboxLoaded { generation, result }
    }

    pub(super) fn handle_inbox(&mut self, entry: &InboxEntry, now: DateTime<Utc>) -> Msg {
        let actor = self.actor_name();
        let result = inbox::handle(&mut self.store, entry, &actor, now).map_err(|e| {
            tracing::error!("inbox line could not be marked handled");
            e.to_string()
        });
        Msg::InboxHandled { result }
    }

    pub(super) fn undo_status(
        &mut self,
        id: AppointmentId,
        now_is: AppointmentStatus,
        back_to: AppointmentStatus,
        now: DateTime<Utc>,
    ) -> Msg {
        let change = desk_undo::Undo {
            id,
            now_is,
            back_to,
        };
        let result = match self.member() {
            Ok(actor) => desk_undo::undo(&mut self.store, &self.config, change, &actor, now)
                .map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        match &result {
            Ok(()) => {
                tracing::info!(appointment = %id, to = back_to.as_str(), "desk status change undone")
            }
            Err(_) => tracing::info!(appointment = %id, "desk undo refused"),
        }
        Msg::StatusUndone {
            id,
            to: back_to,
            result,
        }
    }
}

fn changed(patient: PatientId, what: &str, result: Result<String, WorkflowError>) -> Msg {
    match &result {
        Ok(_) => tracing::info!(
            patient = patient.0,
            what,
            "patient record changed at the desk"
        ),
        Err(WorkflowError::Store(_)) => {
            tracing::error!(patient = patient.0, what, "patient change failed")
        }
        Err(_) => tracing::info!(patient = patient.0, what, "patient change refused"),
    }
    Msg::PatientChanged {
        patient,
        result: result.map_err(|e| e.to_string()),
    }
}

fn sent(patient: PatientId, what: &str, result: Result<SendReport, String>) -> Msg {
    match &result {
        Ok(r) => {
            let outcome = r.lines.first().map_or("none", |l| l.outcome.as_str());
            tracing::info!(patient = patient.0, what, outcome, "desk send");
        }
        Err(_) => tracing::error!(patient = patient.0, what, "desk send failed"),
    }
    Msg::TextSent { patient, result }
}

/// The consent as the worker hands it to the workflow.
pub fn signed(
    method: ConsentMethod,
    evidence: String,
    signed_on: chrono::NaiveDate,
) -> SignedConsent {
    SignedConsent {
        method,
        evidence,
        signed_on,
    }
}
