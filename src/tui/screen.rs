//! What every screen (the view under the modals) does, so `App` treats them alike: start,
//! read an action, take a worker result, follow a resize, draw its body and title, and answer
//! with a [`ScreenReply`] that may open a modal. Imports the console's vocabulary, keymap,
//! shared state and the modal enum; never `app` or another screen's file.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;

use super::keymap::Context;
use super::modal::Modal;
use super::msg::{Action, Cmd, Msg};
use super::shared::Shared;
use crate::domain::ids::PatientId;

/// What a screen asks of the app after a key or a message: commands for the worker and,
/// perhaps, a modal to open on top.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScreenReply {
    pub cmds: Vec<Cmd>,
    pub open: Option<Modal>,
    /// managers: another screen to show instead of this one.
    pub go: Option<Go>,
}

/// managers: where a screen may send the user. `App` builds the screen (a screen never
/// builds another); going to a manager screen keeps the day view underneath for `Back`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Go {
    /// The screen this one was opened from (the day view as it was left).
    Back,
    Statistics,
    Templates,
    Audit,
    /// The day view on the day of this appointment, with it selected.
    Appointment {
        patient: PatientId,
        start: DateTime<Utc>,
    },
    /// The patient screen.
    Patient(PatientId),
    /// The reply inbox and call-back list.
    Inbox,
    /// The reminder batch.
    Batch,
    // closure
    /// The closure / schedule-change notice.
    Closure,
    /// batch: the portal prompt screen for the patients marked on the day view.
    Prompts,
}

impl ScreenReply {
    /// Nothing to do.
    pub fn none() -> Self {
        Self::default()
    }

    /// Open `modal` over the screen.
    pub fn open(modal: Modal) -> Self {
        Self {
            open: Some(modal),
            ..Self::default()
        }
    }

    /// managers: show another screen.
    pub fn go(go: Go) -> Self {
        Self {
            cmds: Vec::new(),
            open: None,
            go: Some(go),
        }
    }
}

impl From<Vec<Cmd>> for ScreenReply {
    fn from(cmds: Vec<Cmd>) -> Self {
        Self {
            cmds,
            open: None,
            go: None,
        }
    }
}

/// The contract of a screen. Each screen file implements it beside its state and drawing.
pub trait ScreenState {
    /// Which keymap context reads the keys while no modal is open.
    fn context(&self) -> Context;
    /// The left part of the title line ("Wednesday, November 25, 2026 · today").
    fn title(&self, shared: &Shared) -> String;
    /// The first commands when the screen opens.
    fn start(&mut self, shared: &mut Shared) -> Vec<Cmd>;
    /// A key that means `action` in [`ScreenState::context`].
    fn on_action(&mut self, action: Action, shared: &mut Shared) -> ScreenReply;
    /// A worker result no modal took (results for other screens are ignored).
    fn on_msg(&mut self, msg: Msg, shared: &mut Shared) -> ScreenReply;
    /// managers: a key with no action in [`ScreenState::context`] (typing into a field).
    fn on_unbound_key(&mut self, _key: &KeyEvent, _shared: &mut Shared) -> ScreenReply {
        ScreenReply::none()
    }
    /// The terminal changed size (`shared.size` is already the new one).
    fn on_resize(&mut self, _shared: &Shared) {}
    /// A load for something not yet on screen is in flight: the loop waits a moment for it
    /// rather than flash "Loading…".
    fn awaiting_first_load(&self) -> bool {
        false
    }
    /// Show this patient's appointment (a search's answer); `None` when the screen cannot.
    fn show_appointment(
        &mut self,
        _patient: PatientId,
        _start: DateTime<Utc>,
        _shared: &mut Shared,
    ) -> Option<Vec<Cmd>> {
        None
    }
    /// Draw the body (between the banner and the status line).
    fn draw(&self, frame: &mut Frame, body: Rect, shared: &Shared);
}
