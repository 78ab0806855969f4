//! What every screen (the view under the modals) does, so `App` treats them alike: start,
//! read an action, take a worker result, follow a resize, draw its body and title, and answer
//! with a [`ScreenReply`] that may open a modal. Imports the console's vocabulary, keymap,
//! shared state and the modal enum; never `app` or another screen's file.

use chrono::{DateTime, Utc};
use ratatui::Frame;
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
    // reception
    /// Another screen to show instead.
    pub goto: Option<Goto>,
}

// reception
/// A screen asks to be replaced: by a patient's screen, or by the one it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Goto {
    Patient(PatientId),
    Inbox,
    Batch,
    Back,
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

    /// Show another screen.
    pub fn goto(to: Goto) -> Self {
        Self {
            goto: Some(to),
            ..Self::default()
        }
    }
}

impl From<Vec<Cmd>> for ScreenReply {
    fn from(cmds: Vec<Cmd>) -> Self {
        Self {
            cmds,
            ..Self::default()
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
