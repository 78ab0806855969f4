//! The templates screen (SPEC §3.6, managers): every text template; the selected one rendered
//! on a sample appointment exactly as it would be sent, the PHI gate's verdict with its
//! findings marked, encoding and segment count; editing with that preview redone on every
//! keystroke (`workflow::template_editor::preview`, run by the worker); saving refused with
//! the reason when the template fails the gate or lacks the opt-out wording (the worker's
//! `workflow::templates::save` refuses too, and audits every save with old and new text).
//! This file is the update; [`edit`] the pure text editing; [`view`] the drawing.

pub mod edit;
mod view;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

use super::super::keymap::Context;
use super::super::msg::{Action, Cmd, Msg};
use super::super::screen::{Go, ScreenReply, ScreenState};
use super::super::shared::{Shared, ToastKind};
use crate::domain::message::MessageKind;
use crate::workflow::manager_views::TemplateText;
use crate::workflow::template_editor::TemplatePreview;
use edit::Editor;

/// The templates screen.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TemplatesState {
    /// `None` until the worker answers.
    pub list: Option<Vec<TemplateText>>,
    pub error: Option<String>,
    pub selected: usize,
    /// The body being edited, if any.
    pub editing: Option<Editor>,
    /// The preview of the selected (or edited) body, for load `preview_generation`.
    pub preview: Option<Box<TemplatePreview>>,
    pub preview_generation: u64,
    /// A save is with the worker.
    pub saving: bool,
}

impl TemplatesState {
    fn selected_text(&self) -> Option<&TemplateText> {
        self.list.as_ref().and_then(|l| l.get(self.selected))
    }

    /// Ask for the preview of what is on screen: the edited text, or the selected template.
    fn ask_preview(&mut self, shared: &mut Shared) -> Vec<Cmd> {
        let (kind, body) = match (&self.editing, self.selected_text()) {
            (Some(e), _) => (e.kind, e.text.clone()),
            (None, Some(t)) => (t.kind, t.body.clone()),
            (None, None) => return Vec::new(),
        };
        self.preview_generation = shared.next_generation();
        vec![Cmd::PreviewTemplate {
            generation: self.preview_generation,
            kind,
            body,
        }]
    }

    fn on_list_action(&mut self, action: Action, shared: &mut Shared) -> ScreenReply {
        let n = self.list.as_ref().map_or(0, Vec::len);
        match action {
            Action::Close => ScreenReply::go(Go::Back),
            Action::Reload => vec![Cmd::LoadTemplates].into(),
            Action::Up | Action::Down if n > 0 => {
                let next = match action {
                    Action::Up => self.selected.saturating_sub(1),
                    _ => (self.selected + 1).min(n - 1),
                };
                if next == self.selected {
                    return ScreenReply::none();
                }
                self.selected = next;
                self.preview = None;
                self.ask_preview(shared).into()
            }
            Action::EditDefault => {
                let Some(t) = self.selected_text().cloned() else {
                    return ScreenReply::none();
                };
                let default = crate::domain::template::default_template(t.kind).unwrap_or_default();
                self.editing = Some(Editor::replacing(t.kind, &t.body, default));
                if !t.stored || t.body == default {
                    shared.toast(
                        ToastKind::Info,
                        "This is the built-in wording already".into(),
                    );
                }
                self.ask_preview(shared).into()
            }
            Action::Edit => match self.selected_text() {
                Some(t) => {
                    self.editing = Some(Editor::new(t.kind, &t.body));
                    self.ask_preview(shared).into()
                }
                None => ScreenReply::none(),
            },
            _ => ScreenReply::none(),
        }
    }

    fn on_edit_action(&mut self, action: Action, shared: &mut Shared) -> ScreenReply {
        let Some(e) = self.editing.as_mut() else {
            return ScreenReply::none();
        };
        let changed = match action {
            Action::Left => e.left(),
            Action::Right => e.right(),
            Action::First => e.home(),
            Action::Last => e.end(),
            Action::Backspace => e.backspace(),
            Action::Delete => e.delete(),
            Action::Close => {
                if e.changed() {
                    shared.toast(
                        ToastKind::Info,
                        "Not saved: the template is as it was".into(),
                    );
                }
                self.editing = None;
                return self.ask_preview(shared).into();
            }
            Action::Save => return self.save(shared),
            _ => false,
        };
        if changed {
            self.ask_preview(shared).into()
        } else {
            ScreenReply::none()
        }
    }

    /// Refuse here what the preview already refuses (the worker checks again on save).
    fn save(&mut self, shared: &mut Shared) -> ScreenReply {
        let Some(e) = &self.editing else {
            return ScreenReply::none();
        };
        if !e.changed() {
            shared.toast(ToastKind::Info, "Nothing changed".into());
            return ScreenReply::none();
        }
        let current = self
            .preview
            .as_ref()
            .filter(|_| self.preview_generation == e.previewed_generation);
        if let Some(reason) = current.and_then(|p| p.refusal.clone()) {
            shared.toast(ToastKind::Error, format!("Not saved: {reason}"));
            return ScreenReply::none();
        }
        self.saving = true;
        vec![Cmd::SaveTemplate {
            kind: e.kind,
            body: e.text.clone(),
        }]
        .into()
    }

    fn on_saved(
        &mut self,
        kind: MessageKind,
        result: Result<(), String>,
        shared: &mut Shared,
    ) -> Vec<Cmd> {
        self.saving = false;
        match result {
            Ok(()) => {
                shared.toast(
                    ToastKind::Info,
                    format!("Saved {kind}; the audit log keeps the old and the new text"),
                );
                self.editing = None;
                vec![Cmd::LoadTemplates]
            }
            Err(e) => {
                shared.toast(ToastKind::Error, format!("Not saved: {e}"));
                Vec::new()
            }
        }
    }
}

impl ScreenState for TemplatesState {
    fn context(&self) -> Context {
        if self.editing.is_some() {
            Context::TemplateEdit
        } else {
            Context::Templates
        }
    }

    fn title(&self, _shared: &Shared) -> String {
        match &self.editing {
            Some(e) => format!("Templates · editing {}", e.kind),
            None => "Templates".to_string(),
        }
    }

    fn start(&mut self, _shared: &mut Shared) -> Vec<Cmd> {
        vec![Cmd::LoadTemplates]
    }

    fn on_action(&mut self, action: Action, shared: &mut Shared) -> ScreenReply {
        shared.touch();
        if self.editing.is_some() {
            self.on_edit_action(action, shared)
        } else {
            self.on_list_action(action, shared)
        }
    }

    fn on_unbound_key(&mut self, key: &KeyEvent, shared: &mut Shared) -> ScreenReply {
        let Some(e) = self.editing.as_mut() else {
            return ScreenReply::none();
        };
        match key.code {
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                e.insert(c);
                shared.touch();
                self.ask_preview(shared).into()
            }
            _ => ScreenReply::none(),
        }
    }

    fn on_msg(&mut self, msg: Msg, shared: &mut Shared) -> ScreenReply {
        match msg {
            Msg::TemplatesLoaded(Ok(list)) => {
                self.selected = self.selected.min(list.len().saturating_sub(1));
                self.list = Some(list);
                self.error = None;
                shared.touch();
                if self.editing.is_none() {
                    return self.ask_preview(shared).into();
                }
            }
            Msg::TemplatesLoaded(Err(e)) => {
                shared.toast(ToastKind::Error, format!("Templates not loaded: {e}"));
                self.error = Some(e);
            }
            Msg::TemplatePreviewed {
                generation,
                preview,
            } if generation == self.preview_generation => {
                if let Some(e) = self.editing.as_mut() {
                    e.previewed_generation = generation;
                }
                self.preview = Some(preview);
                shared.touch();
            }
            Msg::TemplateSaved { kind, result } => {
                return self.on_saved(kind, result, shared).into();
            }
            _ => {}
        }
        ScreenReply::none()
    }

    fn draw(&self, frame: &mut Frame, body: Rect, shared: &Shared) {
        view::draw(frame, body, self, shared);
    }
}
