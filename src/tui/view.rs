//! Drawing: reads `App`, writes a frame. The frame around every screen (title, banner, status
//! line with the toast and the provider, key footer) is drawn here; the screen draws its body
//! and each modal itself. Below the minimum size only a notice is drawn. While the console is
//! locked only the lock screen is drawn: nothing of the screen, its modals or a toast.
//! Changes nothing.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::app::App;
use super::keymap::Context;
use super::layout::{self, Areas, MIN_HEIGHT, MIN_WIDTH};
use super::screens::lock::LockState;
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
    if let Some(lock) = &app.lock {
        locked(frame, area, app, lock);
        return;
    }
    let shared = &app.shared;
    let screen = app.screen.state();
    let a = layout::areas(area, shared.banner.is_some(), screen.context());
    let right = match &shared.member {
        Some(m) => format!("{} · {}", shared.practice, m.username),
        None => shared.practice.clone(),
    };
    title(frame, a.title, &screen.title(shared), &right);
    banner(frame, &a, shared);
    screen.draw(frame, a.body, shared);
    status_line(frame, a.status, shared);
    // Keys the signed-in role may not use are left out of the footer.
    frame.render_widget(
        Paragraph::new(footer::lines_where(
            app.context(),
            a.footer.width,
            a.footer.height,
            &|action| shared.may(action),
        )),
        a.footer,
    );
    // Modals cover the middle and leave the title and the footer (their keys) visible.
    let middle = layout::modal_area(area, &a);
    for modal in &app.modals {
        modal.overlay().draw(frame, middle, shared);
    }
}

/// The lock screen alone: title, banner, the sign-in box and its keys.
fn locked(frame: &mut Frame, area: Rect, app: &App, lock: &LockState) {
    let shared = &app.shared;
    let a = layout::areas(area, shared.banner.is_some(), Context::Lock);
    title(frame, a.title, lock.title(), &shared.practice);
    banner(frame, &a, shared);
    // The body and the status line: no toast, no provider line while locked.
    let body = Rect::new(a.body.x, a.body.y, a.body.width, a.body.height + 1);
    lock.draw(frame, body, &app.sign_in_hint);
    frame.render_widget(
        Paragraph::new(footer::lines(
            Context::Lock,
            a.footer.width,
            a.footer.height,
        )),
        a.footer,
    );
}

fn banner(frame: &mut Frame, a: &Areas, shared: &Shared) {
    if let (Some(r), Some(text)) = (a.banner, &shared.banner) {
        frame.render_widget(
            Paragraph::new(fit(&format!(" {text} "), r.width)).style(theme::banner()),
            r,
        );
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
