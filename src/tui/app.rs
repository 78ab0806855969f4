//! The console's state and the one place it changes: [`update`] turns a [`Msg`] into new
//! state and a list of [`Cmd`]s for the worker. No IO, no terminal, no clock: `now` arrives
//! inside the worker's messages. Must not import `store` or `provider`.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::keymap::{self, Context};
use super::msg::{Action, Cmd, Msg};
use super::screens::confirm::ConfirmState;
use super::screens::day::DayState;
use super::screens::help::HelpState;
use super::screens::search::SearchState;
use super::strings;
use super::view;
use crate::config::Config;
use crate::domain::appointment::{AppointmentStatus, TransitionError, check_transition};
use crate::domain::day::DayRow;
use crate::workflow::day::ProviderStatus;

/// How many ticks (a quarter second each) a toast stays up.
pub const TOAST_TICKS: u16 = 16;
/// Longest search query accepted (a name or a phone number is far shorter).
pub const MAX_QUERY: usize = 60;
/// Errors stay twice as long: they tell the desk something did not happen.
pub const ERROR_TICKS: u16 = 32;

/// The screen under any modal. One for now; the patient, batch and statistics screens join it.
#[derive(Clone, Debug, PartialEq)]
pub enum Screen {
    Day(DayState),
}

/// Boxes drawn over the screen; the top one gets the keys first.
#[derive(Clone, Debug, PartialEq)]
pub enum Modal {
    Confirm(ConfirmState),
    Search(SearchState),
    Help(HelpState),
}

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

/// Everything the console shows.
#[derive(Clone, Debug, PartialEq)]
pub struct App {
    pub practice: String,
    pub tz: Tz,
    /// Reminder offsets in hours, one column each ("48h", "24h").
    pub offsets: Vec<u32>,
    pub banner: Option<String>,
    /// The practice's local date, refreshed by every day load.
    pub today: NaiveDate,
    pub screen: Screen,
    pub modals: Vec<Modal>,
    pub toast: Option<Toast>,
    pub provider: Option<Result<ProviderStatus, String>>,
    /// Terminal size in cells.
    pub size: (u16, u16),
    generation: u64,
    dirty: bool,
}

impl App {
    /// A console opening on `today`. Call [`App::start`] for the first commands.
    pub fn new(config: &Config, today: NaiveDate, banner: Option<String>) -> Self {
        Self {
            practice: config.practice.name.clone(),
            tz: config.practice.time_zone,
            offsets: config.reminders.offsets_hours.clone(),
            banner,
            today,
            screen: Screen::Day(DayState::new(today)),
            modals: Vec::new(),
            toast: None,
            provider: None,
            size: (80, 24),
            generation: 0,
            dirty: true,
        }
    }

    /// The first loads: today's sheet and the provider state.
    pub fn start(&mut self) -> Vec<Cmd> {
        let date = self.day().date;
        vec![self.load_day(date), Cmd::LoadProvider]
    }

    pub fn day(&self) -> &DayState {
        match &self.screen {
            Screen::Day(d) => d,
        }
    }

    pub fn day_mut(&mut self) -> &mut DayState {
        match &mut self.screen {
            Screen::Day(d) => d,
        }
    }

    /// Whether the screen changed since the last draw.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    pub fn mark_drawn(&mut self) {
        self.dirty = false;
    }

    /// Whether the loop should tick: only while a toast counts down.
    pub fn animating(&self) -> bool {
        self.toast.is_some()
    }

    /// A day load is in flight for a day not yet on screen (the loop waits briefly for it
    /// rather than flash "Loading…").
    pub fn awaiting_day(&self) -> bool {
        let d = self.day();
        d.loading && d.sheet.is_none()
    }

    /// Which keymap context reads the keys now.
    pub fn context(&self) -> Context {
        match self.modals.last() {
            Some(Modal::Confirm(_)) => Context::Confirm,
            Some(Modal::Search(_)) => Context::Search,
            Some(Modal::Help(_)) => Context::Help,
            None => Context::Day,
        }
    }

    fn next_generation(&mut self) -> u64 {
        self.generation += 1;
        self.generation
    }

    /// Start loading `date` (dropping any older load still in flight).
    pub fn load_day(&mut self, date: NaiveDate) -> Cmd {
        let generation = self.next_generation();
        let day = self.day_mut();
        if day.date != date {
            day.sheet = None;
            day.selected = None;
            day.offset = 0;
        }
        day.date = date;
        day.generation = generation;
        day.loading = true;
        day.error = None;
        Cmd::LoadDay { generation, date }
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

    /// Rows of the day table that fit on screen now.
    pub fn page_rows(&self) -> usize {
        view::table_rows(self)
    }
}

/// Apply one message. The only function that changes an [`App`].
pub fn update(app: &mut App, msg: Msg) -> Vec<Cmd> {
    match msg {
        Msg::Key(ev) => on_key(app, ev),
        Msg::Resize { width, height } => {
            app.size = (width, height);
            let page = app.page_rows();
            app.day_mut().ensure_visible(page);
            app.dirty = true;
            Vec::new()
        }
        Msg::Tick => {
            if let Some(t) = &mut app.toast {
                t.ticks_left = t.ticks_left.saturating_sub(1);
                if t.ticks_left == 0 {
                    app.toast = None;
                    app.dirty = true;
                }
            }
            Vec::new()
        }
        Msg::DayLoaded {
            generation,
            now,
            result,
        } => on_day_loaded(app, generation, now, result),
        Msg::SearchDone { generation, result } => {
            if let Some(Modal::Search(s)) = app.modals.last_mut()
                && s.apply(generation, result)
            {
                app.dirty = true;
            }
            Vec::new()
        }
        Msg::StatusSet { id, to, result } => on_status_set(app, id, to, result),
        Msg::ProviderLoaded(result) => {
            app.provider = Some(result);
            app.dirty = true;
            Vec::new()
        }
        Msg::InputFailed(e) => {
            app.toast(ToastKind::Error, e);
            Vec::new()
        }
        Msg::WorkerStopped => Vec::new(),
        Msg::Terminated { .. } => vec![Cmd::Quit],
    }
}

fn on_key(app: &mut App, ev: KeyEvent) -> Vec<Cmd> {
    if ev.kind == KeyEventKind::Release {
        return Vec::new();
    }
    let context = app.context();
    let action = keymap::action_for(context, &ev);
    let help_max = super::screens::help::max_scroll(view::modal_rect(app));
    if action == Some(Action::Quit) {
        return vec![Cmd::Quit];
    }
    match app.modals.last_mut() {
        Some(Modal::Search(search)) => match action {
            Some(a) => on_search_action(app, a),
            None if typed(search, &ev) => search_again(app),
            None => Vec::new(),
        },
        Some(Modal::Confirm(confirm)) => {
            let confirm = confirm.clone();
            match action {
                Some(Action::Accept) => {
                    app.modals.pop();
                    app.dirty = true;
                    vec![Cmd::SetStatus {
                        id: confirm.id,
                        to: confirm.to,
                    }]
                }
                Some(Action::Close) => {
                    app.modals.pop();
                    app.dirty = true;
                    Vec::new()
                }
                _ => Vec::new(),
            }
        }
        Some(Modal::Help(help)) => {
            match action {
                Some(Action::Close) => {
                    app.modals.pop();
                }
                Some(Action::Up) => help.scroll = help.scroll.saturating_sub(1),
                Some(Action::Down) => help.scroll = help.scroll.saturating_add(1).min(help_max),
                _ => return Vec::new(),
            }
            app.dirty = true;
            Vec::new()
        }
        None => match action {
            Some(a) => on_day_action(app, a),
            None => Vec::new(),
        },
    }
}

/// Text typed into the search box. Returns whether the query changed.
fn typed(search: &mut SearchState, ev: &KeyEvent) -> bool {
    let plain = !ev
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    match ev.code {
        KeyCode::Char(c)
            if plain && !c.is_control() && search.query.chars().count() < MAX_QUERY =>
        {
            search.query.push(c);
            true
        }
        KeyCode::Backspace => search.query.pop().is_some(),
        _ => false,
    }
}

/// The query changed: ask the worker again under a new generation (or clear when empty).
fn search_again(app: &mut App) -> Vec<Cmd> {
    let generation = app.next_generation();
    app.dirty = true;
    let Some(Modal::Search(search)) = app.modals.last_mut() else {
        return Vec::new();
    };
    search.generation = generation;
    search.selected = 0;
    search.error = None;
    let query = search.query.trim().to_string();
    if query.is_empty() {
        search.hits.clear();
        search.searching = false;
        return Vec::new();
    }
    search.searching = true;
    vec![Cmd::Search { generation, query }]
}

fn on_search_action(app: &mut App, action: Action) -> Vec<Cmd> {
    let Some(Modal::Search(search)) = app.modals.last_mut() else {
        return Vec::new();
    };
    app.dirty = true;
    match action {
        Action::Up => {
            search.selected = search.selected.saturating_sub(1);
            Vec::new()
        }
        Action::Down => {
            if search.selected + 1 < search.hits.len() {
                search.selected += 1;
            }
            Vec::new()
        }
        Action::Close => {
            app.modals.pop();
            Vec::new()
        }
        Action::Accept => {
            let Some(hit) = search.hits.get(search.selected).cloned() else {
                return Vec::new();
            };
            let Some(next) = hit.next_appointment else {
                app.toast(ToastKind::Info, strings::no_next_appointment(&hit.name));
                return Vec::new();
            };
            app.modals.pop();
            let date = next.with_timezone(&app.tz).date_naive();
            let cmd = app.load_day(date);
            let day = app.day_mut();
            day.only_unconfirmed = false;
            day.pending = Some((hit.patient_id, next));
            vec![cmd]
        }
        _ => Vec::new(),
    }
}

fn on_day_action(app: &mut App, action: Action) -> Vec<Cmd> {
    app.dirty = true;
    let page = app.page_rows();
    match action {
        Action::PrevDay | Action::NextDay => {
            let date = app.day().date;
            let date = if action == Action::NextDay {
                date.succ_opt()
            } else {
                date.pred_opt()
            };
            date.map(|d| vec![app.load_day(d)]).unwrap_or_default()
        }
        Action::Today => vec![app.load_day(app.today)],
        Action::Reload => {
            let date = app.day().date;
            vec![app.load_day(date), Cmd::LoadProvider]
        }
        Action::Up => app.day_mut().move_by(-1, page),
        Action::Down => app.day_mut().move_by(1, page),
        Action::PageUp => app.day_mut().move_by(-(page.max(1) as isize), page),
        Action::PageDown => app.day_mut().move_by(page.max(1) as isize, page),
        Action::First => app.day_mut().move_by(isize::MIN / 2, page),
        Action::Last => app.day_mut().move_by(isize::MAX / 2, page),
        Action::ToggleUnconfirmed => {
            let day = app.day_mut();
            day.only_unconfirmed = !day.only_unconfirmed;
            day.reselect(page);
            Vec::new()
        }
        Action::OpenSearch => {
            app.modals.push(Modal::Search(SearchState::default()));
            Vec::new()
        }
        Action::OpenHelp => {
            app.modals.push(Modal::Help(HelpState::default()));
            Vec::new()
        }
        Action::Mark(to) => mark(app, to),
        Action::Accept | Action::Close | Action::Quit => Vec::new(),
    }
}

/// A status key on the selected row: refuse at once what can never work, ask first when
/// the change loses information, else send it to the worker.
fn mark(app: &mut App, to: AppointmentStatus) -> Vec<Cmd> {
    let Some(row) = app.day().selected_row().cloned() else {
        app.toast(ToastKind::Info, strings::nothing_selected());
        return Vec::new();
    };
    // Unchanged / NotAllowed do not depend on time, so checking with `now = start` is exact
    // for them; timing rules are left to the worker, which has the clock.
    if let Err(e @ (TransitionError::Unchanged(_) | TransitionError::NotAllowed { .. })) =
        check_transition(row.status, to, row.start, row.start, app.tz)
    {
        app.toast(ToastKind::Error, strings::refused(&e.to_string()));
        return Vec::new();
    }
    if to.is_destructive() {
        app.modals
            .push(Modal::Confirm(ConfirmState::new(&row, to, app.tz)));
        return Vec::new();
    }
    vec![Cmd::SetStatus {
        id: row.appointment_id,
        to,
    }]
}

fn on_day_loaded(
    app: &mut App,
    generation: u64,
    now: DateTime<Utc>,
    result: Result<crate::domain::day::DaySheet, String>,
) -> Vec<Cmd> {
    if generation != app.day().generation {
        return Vec::new(); // a newer load was asked for; this one is stale
    }
    app.today = now.with_timezone(&app.tz).date_naive();
    app.dirty = true;
    let page = app.page_rows();
    let today = app.today;
    match result {
        Ok(sheet) => {
            let missing = app.day_mut().apply(sheet, today, now, page);
            if missing {
                app.toast(ToastKind::Info, strings::appointment_gone());
            }
        }
        Err(e) => {
            let day = app.day_mut();
            day.loading = false;
            day.error = Some(e.clone());
            app.toast(ToastKind::Error, strings::day_load_failed(&e));
        }
    }
    Vec::new()
}

fn on_status_set(
    app: &mut App,
    id: crate::domain::ids::AppointmentId,
    to: AppointmentStatus,
    result: Result<(), String>,
) -> Vec<Cmd> {
    match result {
        Ok(()) => {
            let who = app
                .day()
                .sheet
                .as_ref()
                .and_then(|s| s.rows.iter().find(|r| r.appointment_id == id))
                .map(|r: &DayRow| (strings::clock_time(r.start, app.tz), r.patient_name.clone()));
            let text = match who {
                Some((time, name)) => strings::marked(&time, &name, to),
                None => strings::marked("", "appointment", to),
            };
            app.toast(ToastKind::Info, text);
            let date = app.day().date;
            vec![app.load_day(date), Cmd::LoadProvider]
        }
        Err(e) => {
            app.toast(ToastKind::Error, strings::refused(&e));
            Vec::new()
        }
    }
}
