//! The text box over the patient screen: a custom text checked by the PHI gate on every
//! keystroke (findings highlighted where they are, with their category; Enter refused while
//! blocked; Ctrl-P offers a portal prompt instead; a live GSM-7/UCS-2 segment counter), or
//! the portal prompt picker. Its state, its keys and its drawing. The check is the pure
//! `workflow::custom_text::check` on the body exactly as it would go out, run here in
//! `update` — no worker round trip, so typing never lags.

use std::ops::Range;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::super::keymap::Context;
use super::super::msg::{Action, Cmd, Msg};
use super::super::overlay::{Overlay, OverlayReply};
use super::super::shared::Shared;
use super::super::strings::desk;
use super::super::theme;
use super::super::widgets::modal;
use crate::domain::ids::PatientId;
use crate::domain::segments;
use crate::workflow::custom_text;

/// Longest text the box takes: three GSM-7 segments and a little more, so the counter can
/// say "too long" rather than the box silently stopping.
pub const MAX_TEXT: usize = 480;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Text,
    Prompt,
}

/// One finding in the typed text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marked {
    /// Byte range in `ComposeState::text`.
    pub range: Range<usize>,
    pub category: &'static str,
    /// Allow-listed by the practice: shown, not blocking.
    pub allowed: bool,
}

/// What the gate and the counter say about the text now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LiveCheck {
    pub marks: Vec<Marked>,
    /// Why it may not be sent (`None`: it may).
    pub refusal: Option<String>,
    pub encoding: &'static str,
    pub segments: u32,
    pub left: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComposeState {
    pub patient: PatientId,
    pub name: String,
    pub mode: Mode,
    /// What was typed, GSM-7 normalised as it is typed (what you see is what goes).
    pub text: String,
    pub check: LiveCheck,
    /// The prompt chosen in the picker (index into `desk::PROMPTS`).
    pub prompt: usize,
    pub sending: bool,
    pub done: bool,
}

impl ComposeState {
    pub fn text(patient: PatientId, name: String) -> Self {
        Self {
            patient,
            name,
            mode: Mode::Text,
            text: String::new(),
            check: LiveCheck {
                refusal: Some("empty message".into()),
                ..LiveCheck::default()
            },
            prompt: 0,
            sending: false,
            done: false,
        }
    }

    pub fn prompt(patient: PatientId, name: String) -> Self {
        Self {
            mode: Mode::Prompt,
            ..Self::text(patient, name)
        }
    }

    /// Run the gate and the counter on the text as it would go out.
    pub fn recheck(&mut self, shared: &Shared) {
        let (composed, s) = custom_text::check(&shared.gate.0, &shared.practice, &self.text);
        // Offsets in the body → offsets in what was typed (compose trims the front).
        let lead = self.text.len() - self.text.trim_start().len();
        let to_typed = |b: usize| (b + lead).checked_sub(composed.typed_at);
        let marks = s
            .verdict
            .findings
            .iter()
            .filter_map(|f| {
                let start = to_typed(f.start)?;
                let end = to_typed(f.end)?.min(self.text.len());
                (start < end).then(|| Marked {
                    range: start..end,
                    category: f.category.label(),
                    allowed: f.allowed,
                })
            })
            .collect();
        let info = segments::analyse(&s.body);
        self.check = LiveCheck {
            marks,
            refusal: if self.text.trim().is_empty() {
                Some("empty message".into())
            } else {
                s.refusal
            },
            encoding: match s.encoding {
                segments::Encoding::Gsm7 => "GSM-7",
                segments::Encoding::Ucs2 => "UCS-2",
            },
            segments: s.segments,
            left: info.chars_left_in_segment,
        };
    }

    /// A key typed into the box. Returns whether the text changed.
    fn typed(&mut self, ev: &KeyEvent) -> bool {
        let plain = !ev
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        match ev.code {
            KeyCode::Char(c) if plain && !c.is_control() && self.text.len() < MAX_TEXT => {
                self.text.push(c);
                // Curly quotes and dashes become their GSM-7 forms as they are typed.
                if let std::borrow::Cow::Owned(n) = segments::normalise(&self.text) {
                    self.text = n;
                }
                true
            }
            KeyCode::Backspace => self.text.pop().is_some(),
            _ => false,
        }
    }

    /// closure: a key typed into the box from a screen that holds one (the closure notice);
    /// the caller runs [`ComposeState::recheck`] when it returns true.
    pub fn type_key(&mut self, ev: &KeyEvent) -> bool {
        self.typed(ev)
    }

    fn send(&mut self) -> OverlayReply {
        let cmd = match self.mode {
            Mode::Text => {
                if self.check.refusal.is_some() {
                    return OverlayReply::Keep;
                }
                Cmd::SendCustomText {
                    patient: self.patient,
                    text: self.text.clone(),
                }
            }
            Mode::Prompt => Cmd::SendPortalPrompt {
                patient: self.patient,
                kind: desk::PROMPTS[self.prompt.min(desk::PROMPTS.len() - 1)].0,
            },
        };
        self.sending = true;
        OverlayReply::Run(vec![cmd])
    }
}

impl Overlay for ComposeState {
    fn context(&self) -> Context {
        Context::Compose
    }

    fn on_action(&mut self, action: Action, shared: &mut Shared) -> OverlayReply {
        shared.touch();
        if self.sending {
            return OverlayReply::Keep;
        }
        match (action, self.mode) {
            (Action::Close, _) => OverlayReply::Close(Vec::new()),
            (Action::SendText, _) => self.send(),
            (Action::PromptInstead, Mode::Text) => {
                self.mode = Mode::Prompt;
                OverlayReply::Keep
            }
            (Action::Up, Mode::Prompt) => {
                self.prompt = self.prompt.saturating_sub(1);
                OverlayReply::Keep
            }
            (Action::Down, Mode::Prompt) => {
                self.prompt = (self.prompt + 1).min(desk::PROMPTS.len() - 1);
                OverlayReply::Keep
            }
            _ => OverlayReply::Keep,
        }
    }

    fn on_unbound_key(&mut self, key: &KeyEvent, shared: &mut Shared) -> OverlayReply {
        if self.mode == Mode::Text && !self.sending && self.typed(key) {
            self.recheck(shared);
            shared.touch();
        }
        OverlayReply::Keep
    }

    fn on_msg(&mut self, msg: Msg, _shared: &mut Shared) -> Option<Msg> {
        if let Msg::TextSent { patient, .. } = &msg
            && *patient == self.patient
            && self.sending
        {
            self.done = true;
        }
        Some(msg)
    }

    fn finished(&self) -> bool {
        self.done
    }

    fn draw(&self, frame: &mut Frame, area: Rect, _shared: &Shared) {
        let title = match self.mode {
            Mode::Text => format!("{}{} ", desk::COMPOSE_TITLE, self.name),
            Mode::Prompt => format!("{}{} ", desk::PROMPT_TITLE, self.name),
        };
        let rect = modal::centered(area, 76, area.height.saturating_sub(2).clamp(8, 13));
        let inner = modal::frame_box(frame, rect, title, theme::modal_border());
        let lines = match self.mode {
            Mode::Text => self.text_lines(),
            Mode::Prompt => self.prompt_lines(),
        };
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    }
}

impl ComposeState {
    /// The typed text with the findings highlighted, the verdict and the counter.
    fn text_lines(&self) -> Vec<Line<'static>> {
        let mut spans = Vec::new();
        let mut at = 0;
        for m in &self.check.marks {
            if m.range.start < at {
                continue; // nested in the previous finding
            }
            spans.push(Span::raw(self.text[at..m.range.start].to_string()));
            let style = if m.allowed {
                theme::dim()
            } else {
                theme::toast_error()
            };
            spans.push(Span::styled(self.text[m.range.clone()].to_string(), style));
            at = m.range.end;
        }
        spans.push(Span::raw(self.text[at..].to_string()));
        spans.push(Span::styled("▏", theme::key()));
        let mut lines = vec![Line::from(spans), Line::default()];
        for m in self.check.marks.iter().filter(|m| !m.allowed) {
            let word = &self.text[m.range.clone()];
            lines.push(Line::from(Span::styled(
                format!("⚠ \"{word}\" looks like {}", m.category),
                theme::warning(),
            )));
        }
        let verdict = match &self.check.refusal {
            _ if self.text.trim().is_empty() => Span::styled(desk::EMPTY_TEXT, theme::dim()),
            Some(r) => {
                let r = r.trim_end_matches(" — send a portal prompt instead");
                lines.push(Line::from(Span::styled(
                    format!("Not sendable: {r}"),
                    theme::warning(),
                )));
                Span::styled(desk::INSTEAD, theme::key())
            }
            None => Span::styled(desk::GATE_OK, theme::online(Some(true))),
        };
        lines.push(Line::from(verdict));
        lines.push(Line::from(Span::styled(
            desk::segments(self.check.encoding, self.check.segments, self.check.left),
            theme::dim(),
        )));
        if self.sending {
            lines.push(Line::from(Span::styled(desk::SENDING, theme::dim())));
        }
        lines
    }

    fn prompt_lines(&self) -> Vec<Line<'static>> {
        let mut lines = vec![
            Line::from(Span::styled(desk::PROMPT_HELP, theme::dim())),
            Line::default(),
        ];
        for (i, (_, label)) in desk::PROMPTS.iter().enumerate() {
            let (marker, style) = if i == self.prompt {
                ("▶ ", theme::selected())
            } else {
                ("  ", Style::new())
            };
            lines.push(Line::from(Span::styled(format!("{marker}{label}"), style)));
        }
        if self.sending {
            lines.push(Line::default());
            lines.push(Line::from(Span::styled(desk::SENDING, theme::dim())));
        }
        lines
    }
}
