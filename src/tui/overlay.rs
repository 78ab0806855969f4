//! What every modal (a box over the screen that gets the keys first) does, so `App` treats
//! them alike: read an action or a typed key, take a worker result meant for it, draw itself,
//! and answer with an [`OverlayReply`]. Imports the console's vocabulary, keymap and shared
//! state only; never `app`, `modal` or a screen (they are above it).

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;

use super::keymap::Context;
use super::msg::{Action, Cmd, Msg};
use super::shared::Shared;
use crate::domain::ids::PatientId;

/// What a modal asks of the app after a key or a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OverlayReply {
    /// Stay open; nothing for the worker.
    Keep,
    /// Stay open and run these.
    Run(Vec<Cmd>),
    /// Close, and run these (none for a plain "no").
    Close(Vec<Cmd>),
    /// Close, and show this patient's appointment on the screen underneath.
    ShowAppointment {
        patient: PatientId,
        start: DateTime<Utc>,
    },
    // reception
    /// Close, and open this patient's screen.
    OpenPatient(PatientId),
    // batch
    /// Stay open; mark (or unmark) this patient for a portal prompt to several — the day
    /// view underneath keeps the marks.
    MarkPatient { patient: PatientId, name: String },
}

/// The contract of a modal. Each modal file implements it beside its state and its drawing.
pub trait Overlay {
    /// Which keymap context reads the keys while this modal is on top.
    fn context(&self) -> Context;
    /// A key that means `action` in [`Overlay::context`].
    fn on_action(&mut self, action: Action, shared: &mut Shared) -> OverlayReply;
    /// A key with no action in this context (typing into a field).
    fn on_unbound_key(&mut self, _key: &KeyEvent, _shared: &mut Shared) -> OverlayReply {
        OverlayReply::Keep
    }
    /// A worker result; returns it when it is not this modal's.
    fn on_msg(&mut self, msg: Msg, _shared: &mut Shared) -> Option<Msg> {
        Some(msg)
    }
    // reception
    /// Done after a worker result (a form whose change was recorded): the app closes it.
    fn finished(&self) -> bool {
        false
    }
    /// Draw into `area` (the part of the screen modals may cover).
    fn draw(&self, frame: &mut Frame, area: Rect, shared: &Shared);
}
