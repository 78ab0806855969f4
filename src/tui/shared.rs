//! The state every screen and modal reads and may change: the practice's name and zone, the
//! reminder columns, today, the terminal size, the toast, the provider line, the generation
//! counter for loads, and whether anything changed since the last draw. Owned by `App`;
//! handed to a screen's or a modal's update. No IO. Never imports `app`, a screen or a modal.

use std::sync::Arc;

use chrono::NaiveDate;
use chrono_tz::Tz;
use ratatui::layout::Rect;

use super::keymap::Context;
use super::layout::{self, Areas};
use crate::config::Config;
use crate::domain::staff::{Member, may};
use crate::phi::Gate;
use crate::workflow::day::ProviderStatus;

/// How many ticks (a quarter second each) a toast stays up.
pub const TOAST_TICKS: u16 = 16;
/// Errors stay twice as long: they tell the desk something did not happen.
pub const ERROR_TICKS: u16 = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToastKind {
    Info,
    Error,
}

/// A one-line message at the bottom that goes away by itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toast {
    pub text: String,
    pub kind: ToastKind,
    pub ticks_left: u16,
}

// reception
/// The gate every screen checks typed text with (pure and fast: run in `update`). Compares
/// equal to any other: it is configuration, not state.
#[derive(Clone, Debug, Default)]
pub struct LiveGate(pub Arc<Gate>);

impl PartialEq for LiveGate {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// What the whole console shares.
#[derive(Clone, Debug, PartialEq)]
pub struct Shared {
    pub practice: String,
    pub tz: Tz,
    /// Reminder offsets in hours, one column each ("48h", "24h").
    pub offsets: Vec<u32>,
    pub banner: Option<String>,
    /// The practice's local date, refreshed by every load that carries the worker's clock.
    pub today: NaiveDate,
    pub toast: Option<Toast>,
    pub provider: Option<Result<ProviderStatus, String>>,
    /// Terminal size in cells.
    pub size: (u16, u16),
    /// The keymap context of the screen under the modals (the footer's height follows it).
    pub screen_context: Context,
    // reception
    /// The PHI gate with the practice's allow-list, for the live check while typing.
    pub gate: LiveGate,
    /// Unread replies and open call-backs, once counted.
    pub inbox_counts: Option<(usize, usize)>,
    /// The database's data version last seen (another process's commit moves it).
    pub data_version: Option<i64>,
    /// The day the worker was last told the desk may go to next ([`Shared::expect_day_cmd`]).
    told_day: Option<NaiveDate>,
    generation: u64,
    dirty: bool,
    // sign-in
    /// Who is signed in (kept while the console is locked, for the same member's return).
    pub member: Option<Member>,
}

impl Shared {
    pub fn new(config: &Config, today: NaiveDate, banner: Option<String>) -> Self {
        Self {
            practice: config.practice.name.clone(),
            tz: config.practice.time_zone,
            offsets: config.reminders.offsets_hours.clone(),
            banner,
            today,
            toast: None,
            provider: None,
            size: (80, 24),
            screen_context: Context::Day,
            gate: LiveGate(Arc::new(Gate::with_allow_list(&config.phi.allow))),
            inbox_counts: None,
            data_version: None,
            told_day: None,
            generation: 0,
            dirty: true,
            member: None,
        }
    }

    /// Whether the signed-in member's role may take what `action` leads to (the footer's
    /// hint; the refusal itself is `app::refusal` on the command).
    pub fn may(&self, action: super::msg::Action) -> bool {
        match (action.permission(), &self.member) {
            (None, _) => true,
            (Some(a), Some(m)) => may(m.role, a),
            (Some(_), None) => false,
        }
    }

    /// A [`Cmd::ExpectDay`] when the day the desk may go to next with one key (`wanted`)
    /// is not the one the worker was last told.
    pub fn expect_day_cmd(&mut self, wanted: Option<NaiveDate>) -> Option<super::msg::Cmd> {
        (wanted != self.told_day).then(|| {
            self.told_day = wanted;
            super::msg::Cmd::ExpectDay { date: wanted }
        })
    }

    /// A new generation for a load or a search; results for older ones are dropped.
    pub fn next_generation(&mut self) -> u64 {
        self.generation += 1;
        self.generation
    }

    /// Whether the screen changed since the last draw.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Something on screen changed: draw again.
    pub fn touch(&mut self) {
        self.dirty = true;
    }

    pub fn mark_drawn(&mut self) {
        self.dirty = false;
    }

    pub fn toast(&mut self, kind: ToastKind, text: String) {
        let ticks_left = match kind {
            ToastKind::Info => TOAST_TICKS,
            ToastKind::Error => ERROR_TICKS,
        };
        self.toast = Some(Toast {
            text,
            kind,
            ticks_left,
        });
        self.dirty = true;
    }

    /// One tick of the toast's countdown.
    pub fn tick(&mut self) {
        if let Some(t) = &mut self.toast {
            t.ticks_left = t.ticks_left.saturating_sub(1);
            if t.ticks_left == 0 {
                self.toast = None;
                self.dirty = true;
            }
        }
    }

    /// The whole terminal.
    pub fn area(&self) -> Rect {
        Rect::new(0, 0, self.size.0, self.size.1)
    }

    /// The layout at the current terminal size.
    pub fn areas(&self) -> Areas {
        layout::areas(self.area(), self.banner.is_some(), self.screen_context)
    }

    /// The screen's body at the current size (a single line when the terminal is too small,
    /// so paging still moves by one).
    pub fn body(&self) -> Rect {
        if layout::fits(self.area()) {
            self.areas().body
        } else {
            Rect::new(0, 0, self.size.0, 1)
        }
    }

    /// Where modals go at the current size.
    pub fn modal_rect(&self) -> Rect {
        layout::modal_area(self.area(), &self.areas())
    }
}
