//! The reminder batch (SPEC §3.4): pick a day (today, tomorrow) or type a day or window; a
//! preview of every appointment in it — *will send*, *skip: reason*, *waits until HH:MM
//! (local)* — with counts by reason; Enter asks, `y` sends; a gauge fed by the engine's
//! progress events while the batch runs off the worker's loop; Esc cancels after the texts
//! in flight; then the results with the provider's codes, and `f` retries only the texts left
//! waiting. Its state and keys here, its drawing in [`view`]. No IO.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;

use super::super::keymap::Context;
use super::super::msg::{Action, Cmd, Msg};
use super::super::screen::{Go, ScreenReply, ScreenState};
use super::super::shared::{Shared, ToastKind};
use super::super::strings;
use crate::domain::batch::BatchProgress;
use crate::domain::batch::window::LocalWindow;
use crate::domain::report::LineAction;
use crate::workflow::batch_desk::BatchView;
use crate::workflow::remind::ReportLine;

mod view;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Phase {
    #[default]
    Previewing,
    Preview,
    /// Enter was pressed: `y` sends, `n`/Esc goes back.
    Confirming,
    Sending,
    Done,
}

/// Which days the batch is for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Preset {
    Today,
    #[default]
    Tomorrow,
    /// What was typed (a day, a range of days, part of a day).
    Typed,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchState {
    pub phase: Phase,
    pub preset: Preset,
    /// The day or window being typed, or last typed.
    pub typed: String,
    /// The typed field has the keys.
    pub editing: bool,
    /// The window the preview (and the send) is for.
    pub window: Option<LocalWindow>,
    /// Boxed: the report is large and the screen enum holds every screen's state.
    pub view: Option<Box<BatchView>>,
    pub error: Option<String>,
    pub scroll: usize,
    /// The gauge: the engine's progress events folded.
    pub progress: BatchProgress,
    /// Esc was pressed while sending: stops after the texts in flight.
    pub cancelling: bool,
    /// Previews asked for and not yet answered (only the last answer is shown).
    previews: usize,
}

impl BatchState {
    fn lines(&self) -> &[ReportLine] {
        self.view
            .as_ref()
            .map_or(&[], |v| v.report.lines.as_slice())
    }

    /// How many appointments the preview would remind now.
    pub fn will_send(&self) -> usize {
        self.lines()
            .iter()
            .filter(|l| l.action == LineAction::Send)
            .count()
    }

    /// Texts the last run left waiting ("retry only the failures").
    pub fn retryable(&self) -> usize {
        self.view.as_ref().map_or(0, |v| v.retryable().len())
    }

    fn preview(&mut self, shared: &mut Shared) -> Vec<Cmd> {
        shared.touch();
        let today = shared.today;
        let window = match self.preset {
            Preset::Today => LocalWindow::day(today),
            Preset::Tomorrow => LocalWindow::day(today + chrono::Duration::days(1)),
            Preset::Typed => match LocalWindow::parse(&self.typed, today) {
                Ok(w) => w,
                Err(e) => {
                    shared.toast(ToastKind::Error, e);
                    self.editing = true;
                    return Vec::new();
                }
            },
        };
        self.window = Some(window);
        self.phase = Phase::Previewing;
        self.scroll = 0;
        self.previews += 1;
        vec![Cmd::PreviewReminders { window }]
    }

    fn choose(&mut self, preset: Preset, shared: &mut Shared) -> Vec<Cmd> {
        self.preset = preset;
        if preset == Preset::Typed {
            self.editing = true;
            shared.touch();
            return Vec::new();
        }
        self.editing = false;
        self.preview(shared)
    }

    fn send(&mut self, shared: &mut Shared) -> Vec<Cmd> {
        let Some(window) = self.window else {
            return Vec::new();
        };
        self.phase = Phase::Sending;
        self.progress = BatchProgress::new();
        self.cancelling = false;
        shared.touch();
        vec![Cmd::SendReminders { window }]
    }

    /// Keys while the typed field is open.
    fn typing(&mut self, action: Action, shared: &mut Shared) -> ScreenReply {
        match action {
            Action::Accept => {
                self.editing = false;
                self.preset = Preset::Typed;
                return self.preview(shared).into();
            }
            Action::Close => self.editing = false,
            Action::Backspace => {
                self.typed.pop();
            }
            _ => {}
        }
        shared.touch();
        ScreenReply::none()
    }

    fn moving(&mut self, action: Action, room: usize) {
        let last = self.lines().len().saturating_sub(1);
        self.scroll = match action {
            Action::Up => self.scroll.saturating_sub(1),
            Action::Down => (self.scroll + 1).min(last),
            Action::PageUp => self.scroll.saturating_sub(room),
            Action::PageDown => (self.scroll + room).min(last),
            _ => self.scroll,
        };
    }
}

impl ScreenState for BatchState {
    fn context(&self) -> Context {
        if self.editing {
            Context::BatchWindow
        } else {
            Context::Batch
        }
    }

    fn title(&self, _shared: &Shared) -> String {
        let what = self.window.map_or_else(
            || "Reminder batch".to_string(),
            |w| format!("Reminders for {}", w.label()),
        );
        let phase = match self.phase {
            Phase::Previewing | Phase::Preview => "preview",
            Phase::Confirming => "send?",
            Phase::Sending if self.cancelling => "cancelling…",
            Phase::Sending => "sending…",
            Phase::Done => "results",
        };
        format!("{what} · {phase}")
    }

    fn start(&mut self, shared: &mut Shared) -> Vec<Cmd> {
        // A change elsewhere must not wipe results being read or a run under way; r does.
        if matches!(self.phase, Phase::Sending | Phase::Done | Phase::Confirming) || self.editing {
            return Vec::new();
        }
        self.preview(shared)
    }

    fn on_action(&mut self, action: Action, shared: &mut Shared) -> ScreenReply {
        shared.touch();
        if self.editing {
            return self.typing(action, shared);
        }
        let room = usize::from(shared.size.1.saturating_sub(8)).max(1);
        match (action, self.phase) {
            (Action::Up | Action::Down | Action::PageUp | Action::PageDown, _) => {
                self.moving(action, room)
            }
            (Action::Close, Phase::Sending) if !self.cancelling => {
                self.cancelling = true;
                return vec![Cmd::CancelReminders].into();
            }
            (Action::Close, Phase::Confirming) => self.phase = Phase::Preview,
            (Action::Close, Phase::Sending) => {}
            (Action::Close, _) => return ScreenReply::go(Go::Back),
            (_, Phase::Sending) => {}
            (Action::NextView, _) => {
                let next = match self.preset {
                    Preset::Today => Preset::Tomorrow,
                    Preset::Tomorrow => Preset::Typed,
                    Preset::Typed => Preset::Today,
                };
                return self.choose(next, shared).into();
            }
            (Action::PrevView, _) => {
                let prev = match self.preset {
                    Preset::Today => Preset::Typed,
                    Preset::Tomorrow => Preset::Today,
                    Preset::Typed => Preset::Tomorrow,
                };
                return self.choose(prev, shared).into();
            }
            (Action::Edit, _) => return self.choose(Preset::Typed, shared).into(),
            (Action::Reload, _) => return self.preview(shared).into(),
            (Action::SendText, Phase::Preview) if self.will_send() == 0 => {
                shared.toast(ToastKind::Info, strings::BATCH_NOTHING.into());
            }
            (Action::SendText, Phase::Preview) => self.phase = Phase::Confirming,
            (Action::Accept, Phase::Confirming) => return self.send(shared).into(),
            (Action::RetryFailures, Phase::Done) => {
                let ids = self
                    .view
                    .as_ref()
                    .map(|v| v.retryable())
                    .unwrap_or_default();
                if ids.is_empty() {
                    shared.toast(ToastKind::Info, strings::BATCH_NO_RETRY.into());
                } else {
                    self.phase = Phase::Sending;
                    self.progress = BatchProgress::new();
                    self.cancelling = false;
                    return vec![Cmd::RetryReminders { ids }].into();
                }
            }
            _ => {}
        }
        ScreenReply::none()
    }

    fn on_unbound_key(&mut self, key: &KeyEvent, shared: &mut Shared) -> ScreenReply {
        if let (true, KeyCode::Char(c)) = (self.editing, key.code)
            && self.typed.chars().count() < 40
        {
            self.typed.push(c);
            shared.touch();
        }
        ScreenReply::none()
    }

    fn on_msg(&mut self, msg: Msg, shared: &mut Shared) -> ScreenReply {
        match msg {
            Msg::BatchProgress(event) if self.phase == Phase::Sending => {
                self.progress.apply(&event);
                shared.touch();
                ScreenReply::none()
            }
            Msg::Batch {
                sent: false,
                result,
            } => {
                self.previews = self.previews.saturating_sub(1);
                // Only the last preview asked for counts; a run under way is not replaced.
                if self.previews > 0 || self.phase != Phase::Previewing {
                    return ScreenReply::none();
                }
                shared.touch();
                self.phase = Phase::Preview;
                match result {
                    Ok(view) => {
                        self.error = None;
                        self.view = Some(Box::new(view));
                    }
                    Err(e) => {
                        shared.toast(ToastKind::Error, strings::refused(&e));
                        self.error = Some(e);
                    }
                }
                ScreenReply::none()
            }
            Msg::Batch { sent: true, result } => self.finished(result, shared),
            _ => ScreenReply::none(),
        }
    }

    fn awaiting_first_load(&self) -> bool {
        self.phase == Phase::Previewing && self.view.is_none()
    }

    fn draw(&self, frame: &mut Frame, body: Rect, shared: &Shared) {
        view::draw(self, frame, body, shared);
    }
}

impl BatchState {
    fn finished(&mut self, result: Result<BatchView, String>, shared: &mut Shared) -> ScreenReply {
        shared.touch();
        self.scroll = 0;
        self.phase = Phase::Done;
        self.cancelling = false;
        match result {
            Ok(view) => {
                self.error = None;
                let t = &view.report.text_totals();
                let kind = if t.failed + t.blocked + t.waiting > 0 {
                    ToastKind::Error
                } else {
                    ToastKind::Info
                };
                let mut text = format!(
                    "Sent {} · outbox {} · failed {} · blocked {} · waiting {}",
                    t.sent, t.in_outbox, t.failed, t.blocked, t.waiting
                );
                if let Some(why) = &view.report.stopped {
                    text = format!("{text} · {why}");
                }
                shared.toast(kind, text);
                self.view = Some(Box::new(view));
            }
            Err(e) => {
                shared.toast(ToastKind::Error, strings::refused(&e));
                self.error = Some(e);
            }
        }
        vec![Cmd::LoadProvider].into()
    }
}
