//! Drawing: reads `App`, writes a frame. The layout is also used by `update` to know how many
//! table rows fit (paging). Below the minimum size only a notice is drawn.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::app::{App, Modal, ToastKind};
use super::keymap::Context;
use super::screens::{confirm, day, help, search};
use super::widgets::footer;
use super::widgets::text::{fit, width};
use super::{strings, theme};

/// Smallest terminal the console draws in; below it a notice says what is needed.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 12;

/// Where each part of the screen goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Areas {
    pub title: Rect,
    pub banner: Option<Rect>,
    pub summary: Rect,
    /// The table, its header row included.
    pub table: Rect,
    pub detail: Rect,
    pub status: Rect,
    pub footer: Rect,
}

fn line(area: Rect, y: u16) -> Rect {
    Rect::new(area.x, y, area.width, 1)
}

/// The layout for `area` (assumed at least the minimum size).
pub fn areas(app: &App, area: Rect) -> Areas {
    let footer_h = footer::lines_needed(Context::Day, area.width);
    let mut y = area.y;
    let title = line(area, y);
    y += 1;
    let banner = app.banner.as_ref().map(|_| {
        let r = line(area, y);
        y += 1;
        r
    });
    let summary = line(area, y);
    y += 1;
    let bottom = area.y + area.height;
    let footer = Rect::new(
        area.x,
        bottom.saturating_sub(footer_h),
        area.width,
        footer_h,
    );
    let status = line(area, footer.y.saturating_sub(1));
    let detail = line(area, status.y.saturating_sub(1));
    let table = Rect::new(area.x, y, area.width, detail.y.saturating_sub(y));
    Areas {
        title,
        banner,
        summary,
        table,
        detail,
        status,
        footer,
    }
}

/// The part of the screen modals may cover: below the title, above the footer.
pub fn modal_area(area: Rect, a: &Areas) -> Rect {
    let top = a.title.y + 1;
    Rect::new(area.x, top, area.width, a.footer.y.saturating_sub(top))
}

/// Where modals go at the app's terminal size.
pub fn modal_rect(app: &App) -> Rect {
    let area = Rect::new(0, 0, app.size.0, app.size.1);
    modal_area(area, &areas(app, area))
}

/// How many appointment rows the table shows at the app's terminal size.
pub fn table_rows(app: &App) -> usize {
    let (w, h) = app.size;
    if w < MIN_WIDTH || h < MIN_HEIGHT {
        return 1;
    }
    usize::from(
        areas(app, Rect::new(0, 0, w, h))
            .table
            .height
            .saturating_sub(1),
    )
    .max(1)
}

/// Draw the whole console.
pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area);
        return;
    }
    let a = areas(app, area);
    title(frame, a.title, app);
    if let (Some(r), Some(text)) = (a.banner, &app.banner) {
        frame.render_widget(
            Paragraph::new(fit(&format!(" {text} "), r.width)).style(theme::banner()),
            r,
        );
    }
    frame.render_widget(Paragraph::new(day::summary(app)), a.summary);
    day::render_table(frame, a.table, app);
    frame.render_widget(Paragraph::new(day::detail(app)), a.detail);
    status_line(frame, a.status, app);
    frame.render_widget(
        Paragraph::new(footer::lines(
            app.context(),
            a.footer.width,
            a.footer.height,
        )),
        a.footer,
    );
    // Modals cover the middle and leave the title and the footer (their keys) visible.
    let middle = modal_area(area, &a);
    for modal in &app.modals {
        match modal {
            Modal::Confirm(c) => confirm::render(frame, middle, c),
            Modal::Search(s) => search::render(frame, middle, s, app.tz),
            Modal::Help(h) => help::render(frame, middle, h),
        }
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

fn title(frame: &mut Frame, area: Rect, app: &App) {
    let date = strings::day_title(app.day().date, app.today);
    let room = usize::from(area.width).saturating_sub(width(&date) + 2);
    let practice = fit(&app.practice, room as u16);
    let gap = usize::from(area.width).saturating_sub(width(&date) + width(&practice));
    let line = Line::from(vec![
        Span::styled(fit(&date, area.width), theme::title()),
        Span::raw(" ".repeat(gap)),
        Span::styled(practice, theme::practice()),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

fn status_line(frame: &mut Frame, area: Rect, app: &App) {
    let (provider, provider_style) = match &app.provider {
        Some(Ok(p)) => (strings::provider(p), theme::online(p.online)),
        Some(Err(e)) => (strings::provider_error(e), theme::warning()),
        None => (strings::PROVIDER_UNKNOWN.to_string(), theme::dim()),
    };
    let mut spans = Vec::new();
    let mut used = 0;
    if let Some(t) = &app.toast {
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
