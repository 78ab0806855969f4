//! Where the parts of the console go: the title line, the banner, the screen's body, the
//! status line and the key footer, and the part modals may cover. Pure geometry from the
//! terminal size; `update` uses it to know how many rows a page holds, `view` to draw.
//! Imports the footer widget (its height) only; never `app` or a screen.

use ratatui::layout::Rect;

use super::keymap::Context;
use super::widgets::footer;

/// Smallest terminal the console draws in; below it a notice says what is needed.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 12;

/// Where each part of the screen goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Areas {
    pub title: Rect,
    pub banner: Option<Rect>,
    /// What the screen draws itself, between the banner and the status line.
    pub body: Rect,
    pub status: Rect,
    pub footer: Rect,
}

/// One line of `area` at row `y`.
pub fn line(area: Rect, y: u16) -> Rect {
    Rect::new(area.x, y, area.width, 1)
}

/// Whether `area` is big enough to draw the console in.
pub fn fits(area: Rect) -> bool {
    area.width >= MIN_WIDTH && area.height >= MIN_HEIGHT
}

/// The layout for `area` (assumed at least the minimum size). The footer is as tall as the
/// keys of `screen` need, so it does not jump when a modal opens.
pub fn areas(area: Rect, banner: bool, screen: Context) -> Areas {
    let footer_h = footer::lines_needed(screen, area.width);
    let title = line(area, area.y);
    let banner = banner.then(|| line(area, area.y + 1));
    let top = area.y + 1 + u16::from(banner.is_some());
    let bottom = area.y + area.height;
    let footer = Rect::new(
        area.x,
        bottom.saturating_sub(footer_h),
        area.width,
        footer_h,
    );
    let status = line(area, footer.y.saturating_sub(1));
    let body = Rect::new(area.x, top, area.width, status.y.saturating_sub(top));
    Areas {
        title,
        banner,
        body,
        status,
        footer,
    }
}

/// The part of the screen modals may cover: below the title, above the footer.
pub fn modal_area(area: Rect, a: &Areas) -> Rect {
    let top = a.title.y + 1;
    Rect::new(area.x, top, area.width, a.footer.y.saturating_sub(top))
}
