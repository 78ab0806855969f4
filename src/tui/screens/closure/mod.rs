//! The closure / schedule-change notice (SPEC §3, §5.6): the window (from/to, practice time,
//! checked as typed), the notice in the gated compose widget (findings highlighted, the
//! segment counter, sending refused while blocked), then who will get it and who will not and
//! why — no consent, opted out, no mobile, cannot be reached before the closure starts (→ the
//! call-back list) — and the send, which runs on the worker (the same `send::closure` path
//! and gate as `frontdesk send closure`) while the screen stays usable. Its state and keys;
//! the drawing is `view`. Reception and up (the permission table's `SendClosureNotice`).

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

use super::super::keymap::Context;
use super::super::modal::Modal;
use super::super::msg::{Action, ClosureDraft, Cmd, Msg};
use super::super::screen::{Go, ScreenReply, ScreenState};
use super::super::shared::{Shared, ToastKind};
use super::super::strings::closure as words;
use super::ask::AskState;
use super::compose::ComposeState;
use crate::domain::ids::{ClinicianId, PatientId};
use crate::workflow::closure_desk::ClosureView;
use crate::workflow::send::parse_local_in;

mod view;

/// Longest window bound typed ("2026-11-27 13:00" is 16).
const MAX_WHEN: usize = 20;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Field {
    #[default]
    From,
    To,
    /// Everyone booked, or one clinician's visits (a schedule change).
    Who,
    Text,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Phase {
    /// Writing; no list yet, or the list is for other words or another window.
    #[default]
    Editing,
    /// The preview was asked for.
    Previewing,
    /// The list for exactly what is on screen: Ctrl-S may send it.
    Preview,
    /// What the send did.
    Done,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ClosureState {
    pub field: Field,
    pub from: String,
    pub to: String,
    /// The gated compose widget the custom text uses, holding the notice.
    pub compose: ComposeState,
    pub phase: Phase,
    /// The list and the draft it was made for.
    pub view: Option<(ClosureDraft, ClosureView)>,
    pub error: Option<String>,
    pub scroll: usize,
    /// The clinicians to choose from, once loaded.
    pub clinicians: Vec<(ClinicianId, String)>,
    /// 0: everyone booked; n: `clinicians[n - 1]`.
    pub who: usize,
}

impl Default for ClosureState {
    fn default() -> Self {
        Self {
            field: Field::From,
            from: String::new(),
            to: String::new(),
            compose: ComposeState::text(PatientId(0), String::new()),
            phase: Phase::Editing,
            view: None,
            error: None,
            scroll: 0,
            clinicians: Vec::new(),
            who: 0,
        }
    }
}

/// A window bound as typed: the instant, or why it is not one.
pub fn bound(text: &str, shared: &Shared) -> Result<DateTime<Utc>, String> {
    if text.trim().is_empty() {
        return Err(words::FORMAT_HINT.to_string());
    }
    parse_local_in(text, shared.tz).map_err(|e| e.to_string())
}

impl ClosureState {
    /// The window and words as they stand, or why they cannot be sent yet.
    pub fn draft(&self, shared: &Shared) -> Result<ClosureDraft, String> {
        let from = bound(&self.from, shared).map_err(|e| format!("From: {e}"))?;
        let to = bound(&self.to, shared).map_err(|e| format!("To: {e}"))?;
        if to <= from {
            return Err(format!("To: {}", words::END_BEFORE_START));
        }
        if let Some(r) = &self.compose.check.refusal {
            return Err(format!("Notice: {r}"));
        }
        Ok(ClosureDraft {
            from,
            to,
            clinician: self.clinician().map(|(id, _)| *id),
            text: self.compose.text.clone(),
        })
    }

    /// The clinician chosen, if one is.
    pub fn clinician(&self) -> Option<&(ClinicianId, String)> {
        self.who.checked_sub(1).and_then(|i| self.clinicians.get(i))
    }

    /// The list on screen is for exactly what is typed now.
    fn list_is_current(&self, shared: &Shared) -> bool {
        match (&self.view, self.draft(shared)) {
            (Some((made_for, _)), Ok(now)) => *made_for == now,
            _ => false,
        }
    }

    fn preview(&mut self, shared: &mut Shared) -> ScreenReply {
        match self.draft(shared) {
            Ok(draft) => {
                self.phase = Phase::Previewing;
                self.error = None;
                self.scroll = 0;
                vec![Cmd::PreviewClosure(draft)].into()
            }
            Err(e) => {
                shared.toast(ToastKind::Error, e);
                ScreenReply::none()
            }
        }
    }

    /// Ctrl-S: ask first, with the counts of the list on screen.
    fn ask_to_send(&mut self, shared: &mut Shared) -> ScreenReply {
        if self.phase != Phase::Preview || !self.list_is_current(shared) {
            let why = match self.draft(shared) {
                Err(e) => e,
                Ok(_) => words::PREVIEW_FIRST.to_string(),
            };
            shared.toast(ToastKind::Error, why);
            return ScreenReply::none();
        }
        let Some((draft, view)) = &self.view else {
            return ScreenReply::none();
        };
        if view.lines.is_empty() {
            shared.toast(ToastKind::Info, words::NOTHING_BOOKED.into());
            return ScreenReply::none();
        }
        let mut lines = words::ask(view, draft.from, draft.to, shared.tz);
        if let Some((_, name)) = self.clinician() {
            lines[0].push_str(&format!(" — {name}'s visits only"));
        }
        let ask = AskState::new(words::ASK_TITLE, lines, Cmd::SendClosure(draft.clone()));
        ScreenReply::open(Modal::Ask(ask))
    }

    fn move_field(&mut self, forward: bool) {
        self.field = match (self.field, forward) {
            (Field::From, true) | (Field::Who, false) => Field::To,
            (Field::To, true) | (Field::Text, false) => Field::Who,
            (Field::Who, true) => Field::Text,
            (Field::To, false) => Field::From,
            (f, _) => f,
        };
    }

    /// A key typed into the field with the cursor. Returns whether the text changed.
    fn typed(&mut self, key: &KeyEvent, shared: &Shared) -> bool {
        let changed = match self.field {
            Field::Text => self.compose.type_key(key),
            Field::From => type_when(&mut self.from, key),
            Field::To => type_when(&mut self.to, key),
            Field::Who => false,
        };
        if changed {
            if self.field == Field::Text {
                self.compose.recheck(shared);
            }
            if matches!(self.phase, Phase::Preview | Phase::Done) {
                self.phase = Phase::Editing;
            }
        }
        changed
    }
}

/// Digits, dashes, colons, a space or a T into a window field.
fn type_when(field: &mut String, key: &KeyEvent) -> bool {
    if key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        return false;
    }
    match key.code {
        KeyCode::Char(c)
            if (c.is_ascii_digit() || matches!(c, '-' | ':' | ' ' | 'T' | 't'))
                && field.len() < MAX_WHEN =>
        {
            field.push(if c == 't' { 'T' } else { c });
            true
        }
        KeyCode::Backspace => field.pop().is_some(),
        _ => false,
    }
}

impl ScreenState for ClosureState {
    fn context(&self) -> Context {
        Context::Closure
    }

    fn title(&self, _shared: &Shared) -> String {
        words::TITLE.to_string()
    }

    fn start(&mut self, shared: &mut Shared) -> Vec<Cmd> {
        // Who may open it is checked by `App::go` (the list of clinicians needs no more than
        // the schedule); a return to it keeps what was typed and the list.
        self.compose.recheck(shared);
        vec![Cmd::LoadClinicians]
    }

    fn on_action(&mut self, action: Action, shared: &mut Shared) -> ScreenReply {
        shared.touch();
        match action {
            Action::NextField => self.move_field(true),
            Action::PrevField => self.move_field(false),
            Action::Accept if self.field == Field::Text => return self.preview(shared),
            Action::Accept => self.move_field(true),
            Action::SendText => return self.ask_to_send(shared),
            Action::PrevChoice | Action::NextChoice if self.field == Field::Who => {
                let n = self.clinicians.len() + 1;
                let step = if action == Action::NextChoice {
                    1
                } else {
                    n - 1
                };
                self.who = (self.who + step) % n;
                if matches!(self.phase, Phase::Preview | Phase::Done) {
                    self.phase = Phase::Editing;
                }
            }
            Action::PageUp => self.scroll = self.scroll.saturating_sub(5),
            Action::PageDown => {
                let n = self.view.as_ref().map_or(0, |(_, v)| v.lines.len());
                self.scroll = (self.scroll + 5).min(n.saturating_sub(1));
            }
            Action::Close | Action::Back => return ScreenReply::go(Go::Back),
            _ => {}
        }
        ScreenReply::none()
    }

    fn on_unbound_key(&mut self, key: &KeyEvent, shared: &mut Shared) -> ScreenReply {
        if self.typed(key, shared) {
            shared.touch();
        }
        ScreenReply::none()
    }

    fn on_msg(&mut self, msg: Msg, shared: &mut Shared) -> ScreenReply {
        match msg {
            Msg::ClinicianList(Ok(list)) => {
                // Keep the choice by id across a reload.
                let chosen = self.clinician().map(|(id, _)| *id);
                self.clinicians = list;
                self.who = chosen
                    .and_then(|id| self.clinicians.iter().position(|(c, _)| *c == id))
                    .map_or(0, |i| i + 1);
                shared.touch();
                ScreenReply::none()
            }
            Msg::ClosureDone {
                draft,
                sent,
                result,
            } => {
                shared.touch();
                self.on_done(draft, sent, result, shared)
            }
            _ => ScreenReply::none(),
        }
    }

    fn draw(&self, frame: &mut Frame, body: Rect, shared: &Shared) {
        view::draw(self, frame, body, shared);
    }
}

impl ClosureState {
    /// The worker's answer for `draft` (the list is for the words and window it was asked
    /// with, whatever was typed since).
    fn on_done(
        &mut self,
        draft: ClosureDraft,
        sent: bool,
        result: Result<ClosureView, String>,
        shared: &mut Shared,
    ) -> ScreenReply {
        match result {
            Ok(v) => {
                if sent {
                    shared.toast(ToastKind::Info, words::summary(&v));
                }
                self.view = Some((draft, v));
                self.phase = match (sent, self.list_is_current(shared)) {
                    (true, _) => Phase::Done,
                    (false, true) => Phase::Preview,
                    (false, false) => Phase::Editing,
                };
                self.error = None;
                // A send changes the inbox's call-back count and the day's rebooking marks.
                if sent {
                    return vec![Cmd::LoadProvider].into();
                }
            }
            Err(e) => {
                self.phase = Phase::Editing;
                shared.toast(ToastKind::Error, e.clone());
                self.error = Some(e);
            }
        }
        ScreenReply::none()
    }
}
