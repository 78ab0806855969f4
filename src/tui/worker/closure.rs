//! The worker's commands for the reply inbox's actions and the closure notice screen: act on
//! a reply (confirm, flag, opt-out), preview or send a closure notice through
//! `workflow::closure_desk` — the same path and gate as `frontdesk send closure`. The preview
//! runs on the worker; the send on the batch thread, on a second connection, so the day view
//! and search keep answering while a slow provider takes the notices (`batch::Host`). Logs
//! carry ids and counts only, never names or words.

use chrono::{DateTime, Utc};

use super::Runner;
use crate::domain::ids::MessageId;
use crate::domain::inbox::ReplyAction;
use crate::store::Store;
use crate::tui::msg::{ClosureDraft, Msg};
use crate::workflow::batch_desk::Desk;
use crate::workflow::closure_desk;
use crate::workflow::inbox_reply::{self, DeskAct};
use crate::workflow::send::ClosureNotice;

impl Runner {
    pub(super) fn reply_act(
        &mut self,
        message: MessageId,
        action: ReplyAction,
        now: DateTime<Utc>,
    ) -> Msg {
        let actor = self.actor_name();
        let at = DeskAct {
            config: &self.config,
            actor: &actor,
            now,
        };
        let result = inbox_reply::act(&mut self.store, &at, message, action);
        match &result {
            Ok(_) => tracing::info!(message = message.0, ?action, "reply acted on at the desk"),
            Err(_) => tracing::info!(message = message.0, ?action, "reply action refused"),
        }
        Msg::ReplyActed {
            result: result.map_err(|e| e.to_string()),
        }
    }

    pub(super) fn clinicians(&self) -> Msg {
        Msg::ClinicianList(closure_desk::clinicians(&self.store).map_err(|e| {
            tracing::error!("clinician list failed");
            e.to_string()
        }))
    }

    /// Preview (`send: false`) or send a closure notice as the signed-in member, on the
    /// worker itself (a send goes off the loop when a second connection can be had:
    /// `batch::Host::intercept`).
    pub(super) fn closure(&mut self, draft: &ClosureDraft, send: bool) -> Msg {
        self.as_desk(|desk, store| closure(desk, store, draft, send))
    }
}

/// Preview (`send: false`) or send a closure notice as `desk`'s member.
pub(super) fn closure(desk: &Desk<'_>, store: &mut Store, draft: &ClosureDraft, send: bool) -> Msg {
    let notice = ClosureNotice {
        from: draft.from,
        to: draft.to,
        clinician: draft.clinician,
        text: Some(&draft.text),
    };
    let result = desk
        .one_off(|ctx, rt| rt.block_on(closure_desk::run(ctx, store, &notice, !send)))
        .map_err(|e| e.to_string());
    match &result {
        Ok(v) => {
            let (reach, calls) = v.counts();
            tracing::info!(
                send,
                visits = v.lines.len(),
                reach,
                calls,
                "closure notice from the console"
            );
        }
        Err(_) => tracing::info!(send, "closure notice refused"),
    }
    Msg::ClosureDone {
        draft: draft.clone(),
        sent: send,
        result,
    }
}
