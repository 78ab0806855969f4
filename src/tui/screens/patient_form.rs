//! The patient screen's forms: record SMS consent (method, evidence reference, day signed),
//! record an opt-out (how the patient said it), fix the mobile number. Its state, its keys
//! (Tab between fields, ←/→ through choices, Enter records) and its drawing. What can be
//! checked here is checked before anything is sent to the worker; the form stays open until
//! the worker says it was recorded, so a refusal loses nothing that was typed.

use chrono::NaiveDate;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::super::keymap::Context;
use super::super::msg::{Action, Cmd, Msg};
use super::super::overlay::{Overlay, OverlayReply};
use super::super::shared::Shared;
use super::super::strings::desk;
use super::super::theme;
use super::super::widgets::modal;
use crate::domain::consent::ConsentMethod;
use crate::domain::ids::PatientId;

/// Longest text accepted in a field (an evidence reference, a phone number).
const MAX_FIELD: usize = 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormKind {
    Consent,
    OptOut,
    Phone,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormState {
    pub patient: PatientId,
    pub kind: FormKind,
    /// Index into the kind's method list.
    pub method: usize,
    /// Evidence reference (consent) or the number (phone).
    pub text: String,
    /// The day signed, as typed (consent), prefilled with today.
    pub signed: String,
    /// Which field has the keys: 0 method, 1 text, 2 signed (by kind, see `fields`).
    pub focus: usize,
    pub error: Option<String>,
    pub saving: bool,
    pub done: bool,
    pub today: NaiveDate,
}

impl FormState {
    pub fn new(patient: PatientId, kind: FormKind, today: NaiveDate) -> Self {
        Self {
            patient,
            kind,
            method: 0,
            text: String::new(),
            signed: today.format("%Y-%m-%d").to_string(),
            focus: 0,
            error: None,
            saving: false,
            done: false,
            today,
        }
    }

    fn methods(&self) -> &'static [ConsentMethod] {
        match self.kind {
            FormKind::Consent => &desk::OPT_IN_METHODS,
            FormKind::OptOut => &desk::OPT_OUT_METHODS,
            FormKind::Phone => &[],
        }
    }

    /// The fields in order: (label, which).
    fn fields(&self) -> &'static [Field] {
        match self.kind {
            FormKind::Consent => &[Field::Method, Field::Text, Field::Signed],
            FormKind::OptOut => &[Field::Method],
            FormKind::Phone => &[Field::Text],
        }
    }

    fn focused(&self) -> Field {
        self.fields()[self.focus.min(self.fields().len() - 1)]
    }

    /// The command this form asks for, or why it cannot be sent yet.
    pub fn submit(&self) -> Result<Cmd, String> {
        let patient = self.patient;
        let method = self.methods().get(self.method).copied();
        match self.kind {
            FormKind::Consent => {
                let evidence = self.text.trim();
                if evidence.is_empty() {
                    return Err("type the evidence reference (the form or signature id)".into());
                }
                let signed_on = NaiveDate::parse_from_str(self.signed.trim(), "%Y-%m-%d")
                    .map_err(|_| format!("{:?} is not a date like 2026-03-02", self.signed))?;
                if signed_on > self.today {
                    return Err("the day signed cannot be after today".into());
                }
                Ok(Cmd::RecordConsent {
                    patient,
                    method: method.unwrap_or(ConsentMethod::WrittenForm),
                    evidence: evidence.to_string(),
                    signed_on,
                })
            }
            FormKind::OptOut => Ok(Cmd::RecordOptOut {
                patient,
                method: method.unwrap_or(ConsentMethod::Verbal),
            }),
            FormKind::Phone => {
                let digits = self.text.chars().filter(char::is_ascii_digit).count();
                if digits < 7 {
                    return Err("type the whole number, area code included".into());
                }
                Ok(Cmd::FixPhone {
                    patient,
                    number: self.text.trim().to_string(),
                })
            }
        }
    }

    fn typed(&mut self, ev: &KeyEvent) -> bool {
        let field = match self.focused() {
            Field::Text => &mut self.text,
            Field::Signed => &mut self.signed,
            Field::Method => return false,
        };
        let plain = !ev
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        match ev.code {
            KeyCode::Char(c) if plain && !c.is_control() && field.chars().count() < MAX_FIELD => {
                field.push(c);
                true
            }
            KeyCode::Backspace => field.pop().is_some(),
            _ => false,
        }
    }

    fn choose(&mut self, step: isize) {
        let n = self.methods().len();
        if n == 0 || self.focused() != Field::Method {
            return;
        }
        self.method = (self.method as isize + step).rem_euclid(n as isize) as usize;
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Method,
    Text,
    Signed,
}

impl Overlay for FormState {
    fn context(&self) -> Context {
        Context::Form
    }

    fn on_action(&mut self, action: Action, shared: &mut Shared) -> OverlayReply {
        shared.touch();
        if self.saving && action != Action::Close {
            return OverlayReply::Keep;
        }
        let n = self.fields().len();
        match action {
            Action::NextField => self.focus = (self.focus + 1) % n,
            Action::PrevField => self.focus = (self.focus + n - 1) % n,
            Action::PrevChoice => self.choose(-1),
            Action::NextChoice => self.choose(1),
            Action::Close => return OverlayReply::Close(Vec::new()),
            Action::Accept => match self.submit() {
                Ok(cmd) => {
                    self.saving = true;
                    self.error = None;
                    return OverlayReply::Run(vec![cmd]);
                }
                Err(e) => self.error = Some(e),
            },
            _ => {}
        }
        OverlayReply::Keep
    }

    fn on_unbound_key(&mut self, key: &KeyEvent, shared: &mut Shared) -> OverlayReply {
        if !self.saving && self.typed(key) {
            self.error = None;
            shared.touch();
        }
        OverlayReply::Keep
    }

    fn on_msg(&mut self, msg: Msg, shared: &mut Shared) -> Option<Msg> {
        match msg {
            Msg::PatientChanged {
                patient,
                result: Err(e),
            } if patient == self.patient && self.saving => {
                // Refused: stay open with what was typed, and say why.
                self.saving = false;
                self.error = Some(e);
                shared.touch();
                None
            }
            Msg::PatientChanged { patient, .. } if patient == self.patient && self.saving => {
                self.done = true;
                Some(msg)
            }
            other => Some(other),
        }
    }

    fn finished(&self) -> bool {
        self.done
    }

    fn draw(&self, frame: &mut Frame, area: Rect, _shared: &Shared) {
        let title = match self.kind {
            FormKind::Consent => " Record SMS consent ",
            FormKind::OptOut => " Record an opt-out ",
            FormKind::Phone => " Fix the mobile number ",
        };
        let rect = modal::centered(area, 64, 10);
        let inner = modal::frame_box(frame, rect, title.into(), theme::modal_border());
        let mut lines = Vec::new();
        for (i, f) in self.fields().iter().enumerate() {
            let focus = i == self.focus;
            let (label, value) = match f {
                Field::Method => (
                    "How:      ",
                    format!(
                        "◀ {} ▶",
                        self.methods().get(self.method).map_or("", |m| m.label())
                    ),
                ),
                Field::Text if self.kind == FormKind::Phone => ("Number:   ", self.text.clone()),
                Field::Text => ("Evidence: ", self.text.clone()),
                Field::Signed => ("Signed on:", format!(" {}", self.signed)),
            };
            let cursor = if focus && *f != Field::Method {
                "▏"
            } else {
                ""
            };
            let style = if focus {
                theme::selected()
            } else {
                ratatui::style::Style::new()
            };
            lines.push(Line::from(vec![
                Span::styled(label, theme::dim()),
                Span::styled(format!("{value}{cursor}"), style),
            ]));
        }
        if self.kind != FormKind::Phone {
            lines.push(Line::from(Span::styled(desk::RECORDED_BY, theme::dim())));
        }
        if self.saving {
            lines.push(Line::from(Span::styled(desk::SAVING, theme::dim())));
        }
        if let Some(e) = &self.error {
            lines.push(Line::from(Span::styled(e.clone(), theme::warning())));
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
    }
}
