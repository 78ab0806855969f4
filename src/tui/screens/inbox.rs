//! The reply inbox and the call-back list (SPEC §5.3–§5.4, §5.6), one screen: replies a
//! person must read, then the patients to phone (an R / "call me" / CANCEL reply, or a
//! closure notice that could not reach them in time, with the reason). Its state, its keys
//! (h marks the selected line handled; on a reply c confirms its visit, f flags the visit for
//! a call-back, o records the opt-out it asks for after a confirm box; Enter opens the
//! patient) and its drawing, with the selected line in full below the lists.

use chrono_tz::Tz;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::keymap::Context;
use super::super::modal::Modal;
use super::super::msg::{Action, Cmd, Msg};
use super::super::screen::{Go, ScreenReply, ScreenState};
use super::super::shared::{Shared, ToastKind};
use super::super::strings::closure as words;
use super::super::strings::{self, desk};
use super::super::theme;
use super::super::widgets::text::fit;
use super::ask::AskState;
use crate::domain::inbox::{Inbox, InboxEntry, InboxItem, ReplyAction};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InboxState {
    pub generation: u64,
    pub loading: bool,
    pub inbox: Option<Inbox>,
    pub error: Option<String>,
    /// Index into `Inbox::items`.
    pub selected: usize,
    /// A "handled" is on its way: further presses wait for it.
    pub handling: bool,
}

impl InboxState {
    fn load(&mut self, shared: &mut Shared) -> Cmd {
        let generation = shared.next_generation();
        self.generation = generation;
        self.loading = true;
        Cmd::LoadInbox { generation }
    }

    pub fn selected_item(&self) -> Option<&InboxItem> {
        self.inbox.as_ref()?.items().nth(self.selected)
    }

    fn len(&self) -> usize {
        self.inbox.as_ref().map_or(0, Inbox::len)
    }

    fn handle(&mut self, shared: &mut Shared) -> ScreenReply {
        if self.handling {
            return ScreenReply::none();
        }
        let Some(item) = self.selected_item() else {
            shared.toast(ToastKind::Info, strings::nothing_selected());
            return ScreenReply::none();
        };
        let entry = item.entry.clone();
        self.handling = true;
        vec![Cmd::HandleInbox { entry }].into()
    }

    // closure
    /// c / f / o on a reply: confirm or flag its visit now; an opt-out asks first.
    fn act(&mut self, action: ReplyAction, shared: &mut Shared) -> ScreenReply {
        if self.handling {
            return ScreenReply::none();
        }
        let Some(item) = self.selected_item() else {
            shared.toast(ToastKind::Info, strings::nothing_selected());
            return ScreenReply::none();
        };
        let InboxEntry::Reply { message, body } = &item.entry else {
            shared.toast(ToastKind::Info, desk::ONLY_REPLIES.into());
            return ScreenReply::none();
        };
        let cmd = Cmd::ReplyAct {
            message: *message,
            action,
        };
        if action == ReplyAction::OptOut {
            let lines = words::ask_opt_out(&item.name, body);
            return ScreenReply::open(Modal::Ask(AskState::new(words::OPT_OUT_TITLE, lines, cmd)));
        }
        self.handling = true;
        vec![cmd].into()
    }
}

impl ScreenState for InboxState {
    fn context(&self) -> Context {
        Context::Inbox
    }

    fn title(&self, _shared: &Shared) -> String {
        desk::INBOX_TITLE.to_string()
    }

    fn start(&mut self, shared: &mut Shared) -> Vec<Cmd> {
        vec![self.load(shared)]
    }

    fn on_action(&mut self, action: Action, shared: &mut Shared) -> ScreenReply {
        shared.touch();
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(self.len().saturating_sub(1)),
            Action::Reload => return vec![self.load(shared)].into(),
            Action::Close => return ScreenReply::go(Go::Back),
            Action::MarkHandled => return self.handle(shared),
            Action::ConfirmReply => return self.act(ReplyAction::Confirm, shared),
            Action::FlagReply => return self.act(ReplyAction::Flag, shared),
            Action::OptOutReply => return self.act(ReplyAction::OptOut, shared),
            Action::OpenPatient => {
                if let Some(p) = self.selected_item().and_then(|i| i.patient) {
                    return ScreenReply::go(Go::Patient(p));
                }
            }
            _ => {}
        }
        ScreenReply::none()
    }

    fn on_msg(&mut self, msg: Msg, shared: &mut Shared) -> ScreenReply {
        match msg {
            Msg::InboxLoaded { generation, result } if generation == self.generation => {
                self.loading = false;
                match result {
                    Ok(inbox) => {
                        self.inbox = Some(inbox);
                        self.error = None;
                    }
                    Err(e) => self.error = Some(e),
                }
                self.selected = self.selected.min(self.len().saturating_sub(1));
                shared.touch();
                ScreenReply::none()
            }
            Msg::ReplyActed { result } => {
                self.handling = false;
                match result {
                    Ok(done) => shared.toast(ToastKind::Info, done),
                    Err(e) => shared.toast(ToastKind::Error, strings::refused(&e)),
                }
                vec![self.load(shared), Cmd::LoadProvider].into()
            }
            Msg::InboxHandled { result } => {
                self.handling = false;
                match result {
                    Ok(()) => shared.toast(ToastKind::Info, "Marked handled".into()),
                    Err(e) => shared.toast(ToastKind::Error, strings::refused(&e)),
                }
                vec![self.load(shared), Cmd::LoadProvider].into()
            }
            _ => ScreenReply::none(),
        }
    }

    fn awaiting_first_load(&self) -> bool {
        self.loading && self.inbox.is_none()
    }

    fn draw(&self, frame: &mut Frame, body: Rect, shared: &Shared) {
        let Some(inbox) = &self.inbox else {
            let text = self
                .error
                .clone()
                .unwrap_or_else(|| strings::LOADING.into());
            frame.render_widget(Paragraph::new(fit(&text, body.width)), body);
            return;
        };
        let lines = lines(inbox, self.selected, shared.tz, body.width);
        let detail = self
            .selected_item()
            .map(|i| detail(i, shared.tz))
            .unwrap_or_default();
        let detail_rows = if body.height >= 12 && !detail.is_empty() {
            3
        } else {
            0
        };
        let body = Rect {
            height: body.height - detail_rows,
            ..body
        };
        if detail_rows > 0 {
            let area = Rect {
                y: body.y + body.height,
                height: detail_rows,
                ..body
            };
            let text = vec![
                Line::from(Span::styled(
                    "─".repeat(usize::from(area.width)),
                    theme::dim(),
                )),
                Line::from(Span::raw(detail)),
            ];
            frame.render_widget(
                Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true }),
                area,
            );
        }
        // Keep the selection in view: it sits at most one section header below its index.
        let room = usize::from(body.height);
        let at = self.selected + 2 + usize::from(self.selected >= inbox.replies.len()) * 2;
        let skip = at.saturating_sub(room.saturating_sub(1));
        frame.render_widget(
            Paragraph::new(lines.into_iter().skip(skip).take(room).collect::<Vec<_>>()),
            body,
        );
    }
}

fn lines(inbox: &Inbox, selected: usize, tz: Tz, width: u16) -> Vec<Line<'static>> {
    let mut out = vec![Line::from(Span::styled(
        desk::replies_header(inbox.replies.len()),
        theme::section(),
    ))];
    if inbox.replies.is_empty() {
        out.push(Line::from(Span::styled(desk::NO_REPLIES, theme::dim())));
    }
    for (i, item) in inbox.replies.iter().enumerate() {
        out.push(item_line(item, i == selected, tz, width));
    }
    out.push(Line::default());
    out.push(Line::from(Span::styled(
        desk::callbacks_header(inbox.callbacks.len()),
        theme::section(),
    )));
    if inbox.callbacks.is_empty() {
        out.push(Line::from(Span::styled(desk::NO_CALLBACKS, theme::dim())));
    }
    let base = inbox.replies.len();
    for (i, item) in inbox.callbacks.iter().enumerate() {
        out.push(item_line(item, base + i == selected, tz, width));
    }
    out
}

/// The selected line in full: who, when, the whole reply or reason, and the visit it is about.
fn detail(item: &InboxItem, tz: Tz) -> String {
    let what = match &item.entry {
        InboxEntry::Reply { body, .. } => format!("wrote \"{}\"", body.trim()),
        InboxEntry::CallMe { .. } => desk::CALL_ME.to_string(),
        InboxEntry::Callback { reason, .. } => reason.clone(),
    };
    let visit = item
        .visit
        .map_or_else(|| words::NO_VISIT.to_string(), |(_, t)| words::visit(t, tz));
    format!("{} {what} · {visit}", item.name)
}

fn item_line(item: &InboxItem, selected: bool, tz: Tz, width: u16) -> Line<'static> {
    let what = match &item.entry {
        InboxEntry::Reply { body, .. } => format!("\"{}\"", body.replace(['\n', '\r'], " ")),
        InboxEntry::CallMe { .. } => desk::CALL_ME.to_string(),
        InboxEntry::Callback { reason, .. } => words::callback_short(reason),
    };
    let marker = if selected { "▶ " } else { "  " };
    let name = super::super::widgets::text::pad(&item.name, 22);
    // closure: a call-back is listed at the visit it is about, when it has one.
    let at = match (&item.entry, item.visit) {
        (InboxEntry::Callback { .. }, Some((_, start))) => start,
        _ => item.at,
    };
    let text = format!("{marker}{}  {name}  {what}", desk::short(at, tz));
    let style = if selected {
        theme::selected()
    } else {
        Style::new()
    };
    Line::from(Span::styled(fit(&text, width), style))
}
