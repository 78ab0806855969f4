//! Drawing: reads `App`, writes a frame. The frame around every screen (title, banner, status
//! line with the toast and the provider, key footer) is drawn here; the screen draws its body
//! and each modal itself. Below the minimum size only a notice is drawn. Changes nothing.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::app::App;
use super::layout::{self, MIN_HEIGHT, MIN_WIDTH};
use super::shared::{Shared, ToastKind};
use super::widgets::footer;
use super::widgets::text::{fit, width};
use super::{strings, theme};

/// Draw the whole console.
pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if !layout::fits(area) {
        too_small(frame, area);
        return;
    }
    let shared = &app.shared;
    let screen = app.screen.state();
    let a = layout::areas(area, shared.banner.is_some(), screen.context());
    title(frame, a.title, &screen.title(shared), &shared.practice);
    if let (Some(r), Some(text)) = (a.banner, &shared.banner) {
        frame.render_widget(
            Paragraph::new(fit(&format!(" {text} "), r.width)).style(theme::banner()),
            r,
        );
    }
    screen.draw(frame, a.body, shared);
    status_line(frame, a.status, shared);
    frame.render_widget(
        Paragraph::new(footer::lines(
            app.context(),
            a.footer.width,
            a.footer.height,
        )),
        a.footer,
    );
    // Modals cover the middle and leave the title and the footer (their keys) visible.
    let middle = layout::modal_area(area, &a);
    for modal in &app.modals {
        modal.overlay().draw(frame, middle, shared);
    }
}

fn too_small(frame: &mut Frame, area: Rect) {
    let text = strings::too_small(area.width, area.height, MIN_WIDTH, MIN_HEIGHT);
    frame.render_widget(
        Paragraph::new(text)
            .style(theme::warning())
            .wrap(Wrap { trim: true }),
        area,
    );
}

/// The screen's title on the left, the practice's name on the right.
fn title(frame: &mut Frame, area: Rect, title: &str, practice: &str) {
    let room = usize::from(area.width).saturating_sub(width(title) + 2);
    let practice = fit(practice, room as u16);
    let gap = usize::from(area.width).saturating_sub(width(title) + width(&practice));
    let line = Line::from(vec![
        Span::styled(fit(title, area.width), theme::title()),
        Span::raw(" ".repeat(gap)),
        Span::styled(practice, theme::practice()),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

fn status_line(frame: &mut Frame, area: Rect, shared: &Shared) {
    let (mut provider, provider_style) = match &shared.provider {
        Some(Ok(p)) => (strings::provider(p), theme::online(p.online)),
        Some(Err(e)) => (strings::provider_error(e), theme::warning()),
        None => (strings::PROVIDER_UNKNOWN.to_string(), theme::dim()),
    };
    // reception
    if let Some((replies, calls)) = shared.inbox_counts {
        provider = format!(
            "{} · {provider}",
            strings::desk::inbox_counts(replies, calls)
        );
    }
    let mut spans = Vec::new();
    let mut used = 0;
    if let Some(t) = &shared.toast {
        let style = match t.kind {
            ToastKind::Info => theme::toast_info(),
            ToastKind::Error => theme::toast_error(),
        };
        let text = fit(&t.text, area.width);
        used = width(&text);
        spans.push(Span::styled(text, style));
    }
    let pw = width(&provider);
    if used + 2 + pw <= usize::from(area.width) {
        spans.push(Span::raw(" ".repeat(usize::from(area.width) - used - pw)));
        spans.push(Span::styled(provider, provider_style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
