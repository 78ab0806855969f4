//! A yes/no box before an act that cannot be taken back — sending a closure notice to
//! everyone booked, recording an opt-out from a reply — saying what will happen, and running
//! the command it holds on yes. It stays up saying "working…" until the worker answers (then
//! the answer goes on to the screen underneath); Esc closes it meanwhile without stopping
//! the work. Its state, its keys (the confirm box's: y/Enter, n/Esc) and its drawing.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::super::keymap::Context;
use super::super::msg::{Action, Cmd, Msg};
use super::super::overlay::{Overlay, OverlayReply};
use super::super::shared::Shared;
use super::super::widgets::modal;
use super::super::widgets::text::width;

const BOX_WIDTH: u16 = 64;
use super::super::{strings, theme};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AskState {
    pub title: String,
    pub lines: Vec<String>,
    /// What "yes" runs.
    pub on_yes: Cmd,
    /// Yes was said: waiting for the worker's answer.
    pub running: bool,
    pub done: bool,
}

/// Whether `msg` is the worker's answer to `cmd`.
fn answers(cmd: &Cmd, msg: &Msg) -> bool {
    match (cmd, msg) {
        (Cmd::SendClosure(asked), Msg::ClosureDone { sent, draft, .. }) => *sent && asked == draft,
        (Cmd::ReplyAct { .. }, Msg::ReplyActed { .. }) => true,
        _ => false,
    }
}

impl AskState {
    pub fn new(title: &str, lines: Vec<String>, on_yes: Cmd) -> Self {
        Self {
            title: title.to_string(),
            lines,
            on_yes,
            running: false,
            done: false,
        }
    }
}

impl Overlay for AskState {
    fn context(&self) -> Context {
        Context::Confirm
    }

    fn on_action(&mut self, action: Action, shared: &mut Shared) -> OverlayReply {
        match action {
            Action::Accept if self.running => OverlayReply::Keep,
            Action::Accept => {
                shared.touch();
                self.running = true;
                OverlayReply::Run(vec![self.on_yes.clone()])
            }
            Action::Close => {
                shared.touch();
                OverlayReply::Close(Vec::new())
            }
            _ => OverlayReply::Keep,
        }
    }

    fn on_msg(&mut self, msg: Msg, _shared: &mut Shared) -> Option<Msg> {
        if self.running && answers(&self.on_yes, &msg) {
            self.done = true;
        }
        Some(msg)
    }

    fn finished(&self) -> bool {
        self.done
    }

    fn draw(&self, frame: &mut Frame, area: Rect, _shared: &Shared) {
        // Each line as it wraps inside the box, then a blank line and the keys.
        let rows: usize = self
            .lines
            .iter()
            .map(|l| width(l).max(1).div_ceil(usize::from(BOX_WIDTH - 2)))
            .sum();
        let height = u16::try_from(rows + 4).unwrap_or(area.height);
        let rect = modal::centered(area, BOX_WIDTH, height);
        let inner = modal::frame_box(frame, rect, self.title.clone(), theme::danger_border());
        let mut text: Vec<Line> = self.lines.iter().map(|l| Line::from(l.clone())).collect();
        text.push(Line::default());
        let keys = if self.running {
            Span::styled(strings::closure::WORKING, theme::dim())
        } else {
            Span::styled(strings::CONFIRM_KEYS, theme::key())
        };
        text.push(Line::from(keys).centered());
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), inner);
    }
}
