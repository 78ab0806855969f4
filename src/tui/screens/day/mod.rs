//! The day view (SPEC §3.2): the appointments of one day with their reminders, replies and
//! consent. This file is its update (keys and worker results) and its place in the console
//! ([`ScreenState`]); [`state`] holds which day and row, [`view`] draws it. Modals it opens:
//! the confirm box and the search.

mod state;
mod view;

pub use state::DayState;

use chrono::{DateTime, NaiveDate, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;

use super::super::keymap::Context;
use super::super::modal::Modal;
use super::super::msg::{Action, Cmd, Msg};
use super::super::screen::{Go, ScreenReply, ScreenState};
use super::super::shared::{Shared, ToastKind};
use super::super::strings;
use super::confirm::ConfirmState;
use super::search::SearchState;
use crate::domain::appointment::{AppointmentStatus, TransitionError, check_transition};
use crate::domain::day::DaySheet;
use crate::domain::ids::{AppointmentId, PatientId};

/// How many appointment rows the table shows in the body at the current size (the body
/// minus the summary line, the table header and the detail line).
pub fn page_rows(shared: &Shared) -> usize {
    usize::from(shared.body().height.saturating_sub(3)).max(1)
}

impl DayState {
    /// Start loading `date` (dropping any older load still in flight).
    pub fn load_day(&mut self, date: NaiveDate, shared: &mut Shared) -> Cmd {
        let generation = shared.next_generation();
        if self.date != date {
            self.sheet = None;
            self.selected = None;
            self.offset = 0;
        }
        self.date = date;
        self.generation = generation;
        self.loading = true;
        self.error = None;
        Cmd::LoadDay { generation, date }
    }

    /// Keys that move between days or reload.
    fn change_day(&mut self, action: Action, shared: &mut Shared) -> Vec<Cmd> {
        let date = match action {
            Action::NextDay => self.date.succ_opt(),
            Action::PrevDay => self.date.pred_opt(),
            Action::Today => Some(shared.today),
            _ => Some(self.date),
        };
        let Some(date) = date else {
            return Vec::new();
        };
        let mut cmds = vec![self.load_day(date, shared)];
        if action == Action::Reload {
            cmds.push(Cmd::LoadProvider);
        }
        cmds
    }

    /// Keys that move the selection.
    fn move_selection(&mut self, action: Action, page: usize) {
        let step = page.max(1) as isize;
        let delta = match action {
            Action::Up => -1,
            Action::Down => 1,
            Action::PageUp => -step,
            Action::PageDown => step,
            Action::First => isize::MIN / 2,
            Action::Last => isize::MAX / 2,
            _ => return,
        };
        self.move_by(delta, page);
    }

    /// A status key on the selected row: refuse at once what can never work, ask first when
    /// the change loses information, else send it to the worker.
    fn mark(&mut self, to: AppointmentStatus, shared: &mut Shared) -> ScreenReply {
        let Some(row) = self.selected_row().cloned() else {
            shared.toast(ToastKind::Info, strings::nothing_selected());
            return ScreenReply::none();
        };
        // Unchanged / NotAllowed do not depend on time, so checking with `now = start` is exact
        // for them; timing rules are left to the worker, which has the clock.
        if let Err(e @ (TransitionError::Unchanged(_) | TransitionError::NotAllowed { .. })) =
            check_transition(row.status, to, row.start, row.start, shared.tz)
        {
            shared.toast(ToastKind::Error, strings::refused(&e.to_string()));
            return ScreenReply::none();
        }
        // reception: a change on another day than today is asked about first.
        let other_day = self.date != shared.today;
        if to.is_destructive() || other_day {
            let mut confirm = ConfirmState::new(&row, to, shared.tz);
            confirm.other_day = other_day.then(|| strings::desk::not_today(self.date));
            return ScreenReply::open(Modal::Confirm(confirm));
        }
        ScreenReply::from(vec![Cmd::SetStatus {
            id: row.appointment_id,
            to,
        }])
    }

    fn on_day_loaded(
        &mut self,
        generation: u64,
        now: DateTime<Utc>,
        result: Result<DaySheet, String>,
        shared: &mut Shared,
    ) -> Vec<Cmd> {
        if generation != self.generation {
            return Vec::new(); // a newer load was asked for; this one is stale
        }
        shared.today = now.with_timezone(&shared.tz).date_naive();
        shared.touch();
        let page = page_rows(shared);
        match result {
            Ok(mut sheet) => {
                // The sheet came first: its reminder cells follow under the same generation.
                let cells = sheet.cells_pending.then_some(Cmd::LoadCells {
                    generation,
                    date: sheet.date,
                });
                self.carry_cells(&mut sheet);
                if self.apply(sheet, shared.today, now, page) {
                    shared.toast(ToastKind::Info, strings::appointment_gone());
                }
                cells.into_iter().collect()
            }
            Err(e) => {
                self.loading = false;
                self.error = Some(e.clone());
                shared.toast(ToastKind::Error, strings::day_load_failed(&e));
                Vec::new()
            }
        }
    }

    fn on_status_set(
        &mut self,
        id: AppointmentId,
        to: AppointmentStatus,
        result: Result<(), String>,
        shared: &mut Shared,
    ) -> Vec<Cmd> {
        if let Err(e) = result {
            shared.toast(ToastKind::Error, strings::refused(&e));
            return Vec::new();
        }
        // reception: remember what it was, for z (undo).
        let was = self
            .sheet
            .as_ref()
            .and_then(|s| s.rows.iter().find(|r| r.appointment_id == id))
            .map(|r| r.status);
        self.last_change = was.map(|from| (id, from, to));
        let who = self
            .sheet
            .as_ref()
            .and_then(|s| s.rows.iter().find(|r| r.appointment_id == id))
            .map(|r| {
                (
                    strings::clock_time(r.start, shared.tz),
                    r.patient_name.clone(),
                )
            });
        let text = match who {
            Some((time, name)) => strings::marked(&time, &name, to),
            None => strings::marked("", "appointment", to),
        };
        shared.toast(ToastKind::Info, text);
        vec![self.load_day(self.date, shared), Cmd::LoadProvider]
    }
}

// reception
impl DayState {
    /// z: put the last change made here back, if there is one.
    fn undo(&mut self, shared: &mut Shared) -> ScreenReply {
        let Some((id, from, to)) = self.last_change else {
            shared.toast(ToastKind::Info, strings::desk::NOTHING_TO_UNDO.into());
            return ScreenReply::none();
        };
        vec![Cmd::UndoStatus {
            id,
            now_is: to,
            back_to: from,
        }]
        .into()
    }

    fn on_undone(
        &mut self,
        to: AppointmentStatus,
        result: Result<(), String>,
        shared: &mut Shared,
    ) -> Vec<Cmd> {
        match result {
            Ok(()) => {
                self.last_change = None;
                shared.toast(ToastKind::Info, strings::desk::undone(to));
            }
            Err(e) => shared.toast(ToastKind::Error, strings::refused(&e)),
        }
        vec![self.load_day(self.date, shared), Cmd::LoadProvider]
    }
}

impl ScreenState for DayState {
    fn context(&self) -> Context {
        Context::Day
    }

    fn title(&self, shared: &Shared) -> String {
        strings::day_title(self.date, shared.today)
    }

    fn start(&mut self, shared: &mut Shared) -> Vec<Cmd> {
        vec![self.load_day(self.date, shared)]
    }

    fn on_action(&mut self, action: Action, shared: &mut Shared) -> ScreenReply {
        shared.touch();
        let page = page_rows(shared);
        match action {
            Action::PrevDay | Action::NextDay | Action::Today | Action::Reload => {
                self.change_day(action, shared).into()
            }
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::First
            | Action::Last => {
                self.move_selection(action, page);
                ScreenReply::none()
            }
            Action::ToggleUnconfirmed => {
                self.only_unconfirmed = !self.only_unconfirmed;
                self.reselect(page);
                ScreenReply::none()
            }
            Action::OpenSearch => ScreenReply::open(Modal::Search(SearchState::default())),
            Action::Mark(to) => self.mark(to, shared),
            // reception
            Action::OpenInbox => ScreenReply::go(Go::Inbox),
            Action::OpenBatch => ScreenReply::go(Go::Batch),
            Action::OpenClosure => ScreenReply::go(Go::Closure), // closure
            // batch
            Action::ToggleMark => {
                self.toggle_mark();
                shared.touch();
                ScreenReply::none()
            }
            Action::OpenPrompts => ScreenReply::go(Go::Prompts),
            Action::Undo => self.undo(shared),
            Action::OpenPatient => match self.selected_row() {
                Some(row) => ScreenReply::go(Go::Patient(row.patient_id)),
                None => ScreenReply::none(),
            },
            // Help, quit, lock and screen switches are the app's; the rest mean nothing here.
            Action::OpenHelp | Action::Accept | Action::Close | Action::Quit => ScreenReply::none(),
            // managers
            Action::OpenStatistics => ScreenReply::go(Go::Statistics),
            Action::OpenTemplates => ScreenReply::go(Go::Templates),
            Action::OpenAudit => ScreenReply::go(Go::Audit),
            _ => ScreenReply::none(),
        }
    }

    fn on_msg(&mut self, msg: Msg, shared: &mut Shared) -> ScreenReply {
        match msg {
            Msg::DayLoaded {
                generation,
                now,
                result,
            } => self.on_day_loaded(generation, now, result, shared).into(),
            Msg::StatusSet { id, to, result } => self.on_status_set(id, to, result, shared).into(),
            Msg::StatusUndone { to, result, .. } => self.on_undone(to, result, shared).into(),
            _ => ScreenReply::none(),
        }
    }

    fn on_resize(&mut self, shared: &Shared) {
        self.ensure_visible(page_rows(shared));
    }

    fn awaiting_first_load(&self) -> bool {
        self.loading && self.sheet.is_none()
    }

    fn show_appointment(
        &mut self,
        patient: PatientId,
        start: DateTime<Utc>,
        shared: &mut Shared,
    ) -> Option<Vec<Cmd>> {
        let date = start.with_timezone(&shared.tz).date_naive();
        let cmd = self.load_day(date, shared);
        self.only_unconfirmed = false;
        self.pending = Some((patient, start));
        Some(vec![cmd])
    }

    fn draw(&self, frame: &mut Frame, body: Rect, shared: &Shared) {
        view::draw(frame, body, self, shared);
    }
}
