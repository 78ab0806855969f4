//! The `?` overlay: every key of every context, generated from the keymap, then the legend.
//! Keys the signed-in role may not use are dimmed and say so. Its state (how far it is
//! scrolled), its keys and its drawing.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::keymap::{self, Context, SECTIONS};
use super::super::msg::Action;
use super::super::overlay::{Overlay, OverlayReply};
use super::super::shared::Shared;
use super::super::widgets::modal;
use super::super::widgets::text::fit;
use super::super::{strings, theme};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HelpState {
    /// First line shown (the help is longer than 24 rows).
    pub scroll: u16,
}

const KEY_COL: usize = 12;

impl HelpState {
    /// managers: the help opened at the keys of `context` (the screen it was asked from),
    /// as far as it can scroll in `area`.
    pub fn at(context: Context, area: Rect, shared: &Shared) -> Self {
        let mut line = 0usize;
        for (n, (c, _)) in SECTIONS.into_iter().enumerate() {
            line += usize::from(n > 0);
            if c == context {
                let scroll = u16::try_from(line).unwrap_or(u16::MAX);
                return Self {
                    scroll: scroll.min(max_scroll(area, shared)),
                };
            }
            line += 1 + usize::from(c == Context::Search) + keymap::help_lines(c).len();
        }
        Self::default()
    }
}

fn entry(keys: &str, text: &str, width: u16) -> Line<'static> {
    let keys = format!("  {keys:<KEY_COL$}");
    let rest = width.saturating_sub(keys.chars().count() as u16);
    Line::from(vec![
        Span::styled(keys, theme::key()),
        Span::raw(fit(text, rest)),
    ])
}

/// A key the signed-in role may not use: dimmed, with why.
fn unavailable(keys: &str, text: &str, width: u16) -> Line<'static> {
    let text = format!("{text} — {}", strings::NOT_FOR_YOUR_ROLE);
    let keys = format!("  {keys:<KEY_COL$}");
    let rest = width.saturating_sub(keys.chars().count() as u16);
    Line::from(vec![
        Span::styled(keys, theme::dim()),
        Span::styled(fit(&text, rest), theme::dim()),
    ])
}

/// All help lines at `width` cells, with the keys `shared`'s member may not use dimmed.
pub fn lines(width: u16, shared: &Shared) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for (n, (c, title)) in SECTIONS.into_iter().enumerate() {
        if n > 0 {
            out.push(Line::default());
        }
        out.push(Line::from(Span::styled(title, theme::section())));
        if c == Context::Search {
            out.push(entry("a–z 0–9", strings::HELP_TYPING, width));
        }
        for (keys, text, action) in keymap::help_lines(c) {
            out.push(if shared.may(action) {
                entry(&keys, text, width)
            } else {
                unavailable(&keys, text, width)
            });
        }
    }
    out.push(Line::default());
    out.push(Line::from(Span::styled(
        strings::section::LEGEND,
        theme::section(),
    )));
    for (sym, text) in strings::LEGEND {
        out.push(entry(sym, text, width));
    }
    out
}

fn outer(area: Rect) -> Rect {
    modal::centered(area, 76, area.height.saturating_sub(2).max(3))
}

/// The furthest the help can scroll when drawn in `area`.
pub fn max_scroll(area: Rect, shared: &Shared) -> u16 {
    let rect = outer(area);
    let inner_h = rect.height.saturating_sub(2);
    (lines(rect.width.saturating_sub(2), shared).len() as u16).saturating_sub(inner_h)
}

impl Overlay for HelpState {
    fn context(&self) -> Context {
        Context::Help
    }

    fn on_action(&mut self, action: Action, shared: &mut Shared) -> OverlayReply {
        let reply = match action {
            Action::Close => OverlayReply::Close(Vec::new()),
            Action::Up => {
                self.scroll = self.scroll.saturating_sub(1);
                OverlayReply::Keep
            }
            Action::Down => {
                let max = max_scroll(shared.modal_rect(), shared);
                self.scroll = self.scroll.saturating_add(1).min(max);
                OverlayReply::Keep
            }
            _ => return OverlayReply::Keep,
        };
        shared.touch();
        reply
    }

    fn draw(&self, frame: &mut Frame, area: Rect, shared: &Shared) {
        render(frame, area, self, shared);
    }
}

fn render(frame: &mut Frame, area: Rect, h: &HelpState, shared: &Shared) {
    let inner = modal::frame_box(
        frame,
        outer(area),
        strings::HELP_TITLE.into(),
        theme::modal_border(),
    );
    let all = lines(inner.width, shared);
    let max_scroll = (all.len() as u16).saturating_sub(inner.height);
    frame.render_widget(
        Paragraph::new(all).scroll((h.scroll.min(max_scroll), 0)),
        inner,
    );
}

#[cfg(test)]
mod at_tests {
    use super::*;

    #[test]
    fn help_opens_at_the_section_of_the_screen_it_was_asked_from() {
        let area = Rect::new(0, 0, 120, 200);
        let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 4).unwrap_or_default();
        let shared = Shared::new(&crate::config::Config::default(), day, None);
        let text: Vec<String> = lines(outer(area).width.saturating_sub(2), &shared)
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        assert_eq!(HelpState::at(Context::Day, area, &shared).scroll, 0);
        for (c, title) in SECTIONS {
            // A one-line window scrolls to any line.
            let at = HelpState::at(c, Rect::new(0, 0, 120, 5), &shared).scroll;
            assert_eq!(text[usize::from(at)], title, "{c:?}");
        }
        // Never past the end.
        let small = Rect::new(0, 0, 80, 24);
        assert!(
            HelpState::at(Context::AuditFilter, small, &shared).scroll
                <= max_scroll(small, &shared)
        );
    }
}
