//! The `/` patient search: a query box and the hits, each with their next appointment. Its
//! state, its keys (typing asks the worker again under a new generation; Enter shows the
//! hit's next appointment) and its drawing.

use chrono_tz::Tz;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::keymap::Context;
use super::super::msg::{Action, Cmd, Msg};
use super::super::overlay::{Overlay, OverlayReply};
use super::super::shared::{Shared, ToastKind};
use super::super::widgets::modal;
use super::super::widgets::text::{fit, pad, width};
use super::super::{strings, theme};
use crate::domain::day::PatientHit;

/// Longest search query accepted (a name or a phone number is far shorter).
pub const MAX_QUERY: usize = 60;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchState {
    pub query: String,
    /// Generation of the latest search asked for.
    pub generation: u64,
    pub hits: Vec<PatientHit>,
    pub selected: usize,
    pub searching: bool,
    pub error: Option<String>,
    // reception
    /// More patients match than are listed: type more to narrow.
    pub more: bool,
}

impl SearchState {
    /// Take a result; false when it is stale (the query changed since).
    pub fn apply(&mut self, generation: u64, result: Result<Vec<PatientHit>, String>) -> bool {
        if generation != self.generation {
            return false;
        }
        self.searching = false;
        match result {
            Ok(mut hits) => {
                self.more = hits.len() > crate::workflow::day::SEARCH_SHOWN;
                hits.truncate(crate::workflow::day::SEARCH_SHOWN);
                self.hits = hits;
                self.error = None;
            }
            Err(e) => {
                self.hits.clear();
                self.error = Some(e);
            }
        }
        self.selected = self.selected.min(self.hits.len().saturating_sub(1));
        true
    }

    /// The local day of the selected hit's next visit: where Enter goes, loaded ahead.
    pub(crate) fn selected_day(&self, tz: Tz) -> Option<chrono::NaiveDate> {
        let start = self.hits.get(self.selected)?.next_appointment?;
        Some(start.with_timezone(&tz).date_naive())
    }

    /// Text typed into the box. Returns whether the query changed.
    fn typed(&mut self, ev: &KeyEvent) -> bool {
        let plain = !ev
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        match ev.code {
            KeyCode::Char(c)
                if plain && !c.is_control() && self.query.chars().count() < MAX_QUERY =>
            {
                self.query.push(c);
                true
            }
            KeyCode::Backspace => self.query.pop().is_some(),
            _ => false,
        }
    }

    /// The query changed: ask the worker again under a new generation (or clear when empty).
    fn search_again(&mut self, shared: &mut Shared) -> OverlayReply {
        let generation = shared.next_generation();
        shared.touch();
        self.generation = generation;
        self.selected = 0;
        self.error = None;
        let query = self.query.trim().to_string();
        if query.is_empty() {
            self.hits.clear();
            self.searching = false;
            return OverlayReply::Keep;
        }
        self.searching = true;
        OverlayReply::Run(vec![Cmd::Search { generation, query }])
    }

    /// Enter: show the selected patient's next appointment, or say there is none.
    fn open_hit(&self, shared: &mut Shared) -> OverlayReply {
        let Some(hit) = self.hits.get(self.selected) else {
            return OverlayReply::Keep;
        };
        match hit.next_appointment {
            Some(start) => OverlayReply::ShowAppointment {
                patient: hit.patient_id,
                start,
            },
            None => {
                shared.toast(ToastKind::Info, strings::no_next_appointment(&hit.name));
                OverlayReply::Keep
            }
        }
    }

    /// What a key with `action` does to the list.
    fn act(&mut self, action: Action, shared: &mut Shared) -> OverlayReply {
        match action {
            Action::Up => {
                self.selected = self.selected.saturating_sub(1);
                OverlayReply::Keep
            }
            Action::Down => {
                if self.selected + 1 < self.hits.len() {
                    self.selected += 1;
                }
                OverlayReply::Keep
            }
            Action::Close => OverlayReply::Close(Vec::new()),
            Action::Accept => self.open_hit(shared),
            // reception
            Action::OpenPatient => match self.hits.get(self.selected) {
                Some(hit) => OverlayReply::OpenPatient(hit.patient_id),
                None => OverlayReply::Keep,
            },
            // batch
            Action::ToggleMark => match self.hits.get(self.selected) {
                Some(hit) => OverlayReply::MarkPatient {
                    patient: hit.patient_id,
                    name: hit.name.clone(),
                },
                None => OverlayReply::Keep,
            },
            _ => OverlayReply::Keep,
        }
    }
}

impl Overlay for SearchState {
    fn context(&self) -> Context {
        Context::Search
    }

    fn on_action(&mut self, action: Action, shared: &mut Shared) -> OverlayReply {
        shared.touch();
        self.act(action, shared)
    }

    fn on_unbound_key(&mut self, key: &KeyEvent, shared: &mut Shared) -> OverlayReply {
        if self.typed(key) {
            self.search_again(shared)
        } else {
            OverlayReply::Keep
        }
    }

    fn on_msg(&mut self, msg: Msg, shared: &mut Shared) -> Option<Msg> {
        match msg {
            Msg::SearchDone { generation, result } => {
                if self.apply(generation, result) {
                    shared.touch();
                }
                None
            }
            other => Some(other),
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, shared: &Shared) {
        render(frame, area, self, shared.tz);
    }
}

/// Width of the name column in a box `cols` wide: what the fixed columns leave.
fn name_width(cols: u16) -> u16 {
    // marker 2 | born 10 | phone 6 | next 21 | consent 5, one space between each, one spare
    cols.saturating_sub(2 + 10 + 6 + 21 + 5 + 4 + 1).max(8)
}

fn header_line(cols: u16) -> Line<'static> {
    use strings::search_header as h;
    let text = format!(
        "  {} {} {} {} {}",
        pad(h::NAME, name_width(cols)),
        pad(h::BORN, 10),
        pad(h::MOBILE, 6),
        pad(h::NEXT, 21),
        h::SMS
    );
    Line::from(Span::styled(fit(&text, cols), theme::table_header()))
}

fn hit_line(h: &PatientHit, tz: Tz, cols: u16, selected: bool) -> Line<'static> {
    let born = h
        .birth_date
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let phone = h
        .mobile_last4
        .as_ref()
        .map(|l| format!("••{l}"))
        .unwrap_or_default();
    let next = h
        .next_appointment
        .map(|t| strings::short_when(t, tz))
        .unwrap_or_else(|| strings::NO_UPCOMING.to_string());
    let consent = strings::consent(h.consent, false);
    let name_w = name_width(cols);
    let marker = if selected { "▶ " } else { "  " };
    let style = if selected {
        theme::selected()
    } else {
        ratatui::style::Style::new()
    };
    let text = format!(
        "{marker}{} {} {} {} ",
        pad(&h.name, name_w),
        pad(&born, 10),
        pad(&phone, 6),
        pad(&next, 21)
    );
    Line::from(vec![
        Span::styled(fit(&text, cols.saturating_sub(5)), style),
        Span::styled(consent, theme::consent(h.consent)),
    ])
}

fn render(frame: &mut Frame, area: Rect, s: &SearchState, tz: Tz) {
    let rect = modal::centered(area, 90, area.height.saturating_sub(4).clamp(5, 20));
    let inner = modal::frame_box(
        frame,
        rect,
        strings::SEARCH_TITLE.into(),
        theme::modal_border(),
    );
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let mut lines = vec![Line::from(vec![
        Span::styled(strings::SEARCH_PROMPT, theme::title()),
        Span::raw(s.query.clone()),
    ])];
    let status = if let Some(e) = &s.error {
        Span::styled(strings::search_failed(e), theme::warning())
    } else if s.query.trim().is_empty() {
        Span::styled(strings::SEARCH_HINT, theme::dim())
    } else if s.searching && s.hits.is_empty() {
        Span::styled(strings::SEARCHING, theme::dim())
    } else if s.hits.is_empty() {
        Span::styled(strings::SEARCH_NONE, theme::dim())
    } else if s.more {
        Span::styled(strings::desk::search_more(s.hits.len()), theme::warning())
    } else {
        Span::styled(strings::search_count(s.hits.len()), theme::dim())
    };
    lines.push(Line::from(status));
    if !s.hits.is_empty() {
        lines.push(header_line(inner.width));
    }
    let room = usize::from(inner.height.saturating_sub(3));
    // Keep the selected hit in view.
    let first = s.selected.saturating_sub(room.saturating_sub(1));
    for (i, h) in s.hits.iter().enumerate().skip(first).take(room) {
        lines.push(hit_line(h, tz, inner.width, i == s.selected));
    }
    frame.render_widget(Paragraph::new(lines), inner);
    let cursor_x = inner.x
        + (width(strings::SEARCH_PROMPT) + width(&s.query)).min(usize::from(inner.width) - 1)
            as u16;
    frame.set_cursor_position(Position::new(cursor_x, inner.y));
}
