//! The reminder batch (SPEC §3.4) for what is due now: a preview of every text the engine
//! would send — *will send*, *skip: reason*, *waits* — with counts; Enter sends (the same
//! engine and send lock as the cron `remind`); then the results with the provider's codes.
//! Its state, its keys and its drawing. The console stays responsive while the worker runs
//! the batch; progress is not streamed yet (the results arrive at the end).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::keymap::Context;
use super::super::msg::{Action, Cmd, Msg};
use super::super::screen::{Go, ScreenReply, ScreenState};
use super::super::shared::{Shared, ToastKind};
use super::super::strings;
use super::super::theme;
use super::super::widgets::text::{fit, pad};
use crate::domain::report::LineAction;
use crate::workflow::batch_desk::BatchView;
use crate::workflow::remind::ReportLine;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Phase {
    #[default]
    Previewing,
    Preview,
    Sending,
    Done,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchState {
    pub phase: Phase,
    pub view: Option<BatchView>,
    pub error: Option<String>,
    pub scroll: usize,
}

impl BatchState {
    fn lines(&self) -> &[ReportLine] {
        self.view
            .as_ref()
            .map_or(&[], |v| v.report.lines.as_slice())
    }

    /// How many texts the preview would send.
    pub fn will_send(&self) -> usize {
        self.lines()
            .iter()
            .filter(|l| l.action == LineAction::Send)
            .count()
    }
}

impl BatchState {
    fn preview(&mut self, shared: &mut Shared) -> Vec<Cmd> {
        shared.touch();
        self.phase = Phase::Previewing;
        vec![Cmd::PreviewReminders]
    }
}

impl ScreenState for BatchState {
    fn context(&self) -> Context {
        Context::Batch
    }

    fn title(&self, _shared: &Shared) -> String {
        match self.phase {
            Phase::Previewing | Phase::Preview => "Reminders due now · preview".into(),
            Phase::Sending => "Reminders due now · sending…".into(),
            Phase::Done => "Reminders due now · results".into(),
        }
    }

    fn start(&mut self, shared: &mut Shared) -> Vec<Cmd> {
        // A change elsewhere must not wipe results being read or a run under way; r does.
        if matches!(self.phase, Phase::Sending | Phase::Done) {
            return Vec::new();
        }
        self.preview(shared)
    }

    fn on_action(&mut self, action: Action, shared: &mut Shared) -> ScreenReply {
        shared.touch();
        match action {
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::Down => {
                self.scroll = (self.scroll + 1).min(self.lines().len().saturating_sub(1))
            }
            Action::Close if self.phase != Phase::Sending => return ScreenReply::go(Go::Back),
            Action::Reload if self.phase != Phase::Sending => return self.preview(shared).into(),
            Action::SendText if self.phase == Phase::Preview => {
                if self.will_send() == 0 {
                    shared.toast(ToastKind::Info, "Nothing to send now.".into());
                } else {
                    self.phase = Phase::Sending;
                    return vec![Cmd::SendReminders].into();
                }
            }
            _ => {}
        }
        ScreenReply::none()
    }

    fn on_msg(&mut self, msg: Msg, shared: &mut Shared) -> ScreenReply {
        let Msg::Batch { sent, result } = msg else {
            return ScreenReply::none();
        };
        shared.touch();
        self.scroll = 0;
        match result {
            Ok(view) => {
                self.error = None;
                if sent {
                    let t = &view.report.totals;
                    shared.toast(
                        if t.failed + t.blocked > 0 {
                            ToastKind::Error
                        } else {
                            ToastKind::Info
                        },
                        format!(
                            "Sent {} · outbox {} · failed {} · blocked {}",
                            t.sent, t.in_outbox, t.failed, t.blocked
                        ),
                    );
                }
                self.view = Some(view);
                self.phase = if sent { Phase::Done } else { Phase::Preview };
            }
            Err(e) => {
                self.phase = if sent { Phase::Done } else { Phase::Preview };
                shared.toast(ToastKind::Error, strings::refused(&e));
                self.error = Some(e);
            }
        }
        if sent {
            return vec![Cmd::LoadProvider].into();
        }
        ScreenReply::none()
    }

    fn awaiting_first_load(&self) -> bool {
        self.phase == Phase::Previewing && self.view.is_none()
    }

    fn draw(&self, frame: &mut Frame, body: Rect, _shared: &Shared) {
        let mut lines = Vec::new();
        let Some(view) = &self.view else {
            let text = self
                .error
                .clone()
                .unwrap_or_else(|| strings::LOADING.into());
            frame.render_widget(Paragraph::new(fit(&text, body.width)), body);
            return;
        };
        let t = &view.report.totals;
        let counts = match self.phase {
            Phase::Done => format!(
                "sent {} · in outbox {} · failed {} · blocked {} · waiting {} · skipped {}",
                t.sent, t.in_outbox, t.failed, t.blocked, t.waiting, t.skipped
            ),
            _ => format!(
                "will send {} · skip {} · waits {} · blocked {} — Enter sends",
                t.send,
                t.skipped,
                t.wait + t.waiting,
                t.blocked
            ),
        };
        lines.push(Line::from(Span::styled(
            fit(&counts, body.width),
            theme::title(),
        )));
        if view.report.lines.is_empty() {
            lines.push(Line::from(Span::styled(
                "Nothing is due now.",
                theme::dim(),
            )));
        }
        let room = usize::from(body.height).saturating_sub(1);
        for l in view.report.lines.iter().skip(self.scroll).take(room) {
            let name = view.names.get(&l.patient_id).map_or("", String::as_str);
            lines.push(line(l, name, body.width));
        }
        frame.render_widget(Paragraph::new(lines), body);
    }
}

/// "Lovelace, Ada   reminder-24h  will send" / "skip: no consent" / "failed [30003] …".
fn line(l: &ReportLine, name: &str, width: u16) -> Line<'static> {
    let what = match l.action {
        LineAction::Send => "will send".to_string(),
        LineAction::Skip => "skip".to_string(),
        LineAction::Wait | LineAction::Waiting => "waits".to_string(),
        LineAction::InOutbox => "in outbox".to_string(),
        LineAction::AlreadyRecorded => "already sent".to_string(),
        other => other.as_str().to_string(),
    };
    let code = l
        .code
        .as_deref()
        .map(|c| format!(" [{c}]"))
        .unwrap_or_default();
    let reason = l
        .reason
        .as_deref()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    let style = match l.action {
        LineAction::Failed | LineAction::Blocked | LineAction::Unreadable => theme::warning(),
        LineAction::Skip | LineAction::Wait => theme::dim(),
        _ => Style::new(),
    };
    let text = format!(
        "  {} {} {what}{code}{reason}",
        pad(name, 24),
        pad(l.kind.as_str(), 16)
    );
    Line::from(Span::styled(fit(&text, width), style))
}
