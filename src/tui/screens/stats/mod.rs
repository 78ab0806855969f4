//! The statistics screen (SPEC §3.7, managers): a period, the KPI tiles, bar charts by
//! clinician, type, weekday and hour, the weekly trend, "do reminders help?", a drill-down
//! from any tile, bar or comparison row to the appointments behind it (and from there to
//! their day, or the patient screen), and export as CSV. It shows what
//! `workflow::stats::compute` returns — the computation `frontdesk stats` prints. This file
//! is its update and its place in the console; [`state`] holds the data, [`chart`] builds
//! the charts (pure), [`view`] draws.

pub mod chart;
pub mod state;
mod view;

pub use state::{StatsState, Tile, View};

use chrono::NaiveDate;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

use super::super::keymap::Context;
use super::super::msg::{Action, Cmd, Msg};
use super::super::screen::{Go, ScreenReply, ScreenState};
use super::super::shared::{Shared, ToastKind};
use crate::domain::stats::{Period, Preset, StatsReport};
use crate::workflow::manager_views::DrillLine;
use state::{Drill, parse_period};

/// Rows of the drill-down list at the current size (its title and header take two).
pub fn drill_rows(shared: &Shared) -> usize {
    usize::from(shared.body().height.saturating_sub(4)).max(1)
}

/// Bars the chart shows at once (the body less the period, tiles, tabs and caption lines).
pub fn chart_rows(shared: &Shared) -> usize {
    usize::from(shared.body().height.saturating_sub(view::CHART_TOP + 1)).max(1)
}

impl StatsState {
    /// Compute `period` (dropping any older computation still in flight).
    pub fn load(&mut self, period: Period, shared: &mut Shared) -> Cmd {
        self.generation = shared.next_generation();
        self.period = period;
        self.loading = true;
        self.error = None;
        Cmd::LoadStats {
            generation: self.generation,
            period,
        }
    }

    fn next_preset(&mut self, shared: &mut Shared) -> Cmd {
        let next = match self.preset {
            Some(p) => {
                let i = Preset::ALL.iter().position(|x| *x == p).unwrap_or(0);
                Preset::ALL[(i + 1) % Preset::ALL.len()]
            }
            None => Preset::ThisWeek,
        };
        self.preset = Some(next);
        self.load(Period::preset(next, shared.today), shared)
    }

    fn on_loaded(
        &mut self,
        generation: u64,
        result: Result<Box<StatsReport>, String>,
        shared: &mut Shared,
    ) {
        if generation != self.generation {
            return;
        }
        self.loading = false;
        shared.touch();
        match result {
            Ok(report) => {
                self.report = Some(report);
                self.clamp_bar(chart_rows(shared));
            }
            Err(e) => {
                shared.toast(ToastKind::Error, format!("Statistics failed: {e}"));
                self.error = Some(e);
            }
        }
    }

    /// Keep the selected bar on a bar that exists and on screen.
    fn clamp_bar(&mut self, rows: usize) {
        let n = self.items();
        self.bar = self.bar.filter(|_| n > 0).map(|b| b.min(n - 1));
        let b = self.bar.unwrap_or(0);
        if b < self.bar_offset {
            self.bar_offset = b;
        } else if b >= self.bar_offset + rows {
            self.bar_offset = b + 1 - rows;
        }
        self.bar_offset = self.bar_offset.min(n.saturating_sub(rows));
    }

    /// Up from the first bar selects the tile again; down from the tile the first bar.
    fn move_bar(&mut self, down: bool, rows: usize) {
        let n = self.items();
        self.bar = match (self.bar, down) {
            (None, true) if n > 0 => Some(0),
            (None, _) => None,
            (Some(0), false) => None,
            (Some(b), false) => Some(b - 1),
            (Some(b), true) => Some((b + 1).min(n.saturating_sub(1))),
        };
        self.clamp_bar(rows);
    }

    fn move_tile(&mut self, step: isize) {
        let i = Tile::ALL.iter().position(|t| *t == self.tile).unwrap_or(0) as isize;
        self.tile = Tile::ALL[(i + step).clamp(0, Tile::ALL.len() as isize - 1) as usize];
    }

    fn open_drill(&mut self, shared: &mut Shared) -> ScreenReply {
        if self.report.is_none() {
            return ScreenReply::none();
        }
        let Some((title, ids)) = self.drill_target() else {
            shared.toast(
                ToastKind::Info,
                "Opt-outs are patients, not appointments: the audit screen (L, filter action:consent) lists them".into(),
            );
            return ScreenReply::none();
        };
        if ids.is_empty() {
            shared.toast(ToastKind::Info, "No appointments behind this number".into());
            return ScreenReply::none();
        }
        let generation = shared.next_generation();
        self.drill = Some(Drill {
            title,
            generation,
            lines: None,
            error: None,
            selected: 0,
            offset: 0,
        });
        vec![Cmd::DrillStats { generation, ids }].into()
    }

    fn on_drilled(&mut self, generation: u64, result: Result<Vec<DrillLine>, String>) {
        let Some(d) = self.drill.as_mut().filter(|d| d.generation == generation) else {
            return;
        };
        match result {
            Ok(lines) => d.lines = Some(lines),
            Err(e) => d.error = Some(e),
        }
    }

    fn on_drill_action(&mut self, action: Action, shared: &mut Shared) -> ScreenReply {
        let rows = drill_rows(shared);
        let Some(d) = self.drill.as_mut() else {
            return ScreenReply::none();
        };
        let n = d.lines.as_ref().map_or(0, Vec::len);
        let line = d.lines.as_ref().and_then(|l| l.get(d.selected));
        let step = rows as isize;
        let delta: isize = match action {
            Action::Close => {
                self.drill = None;
                return ScreenReply::none();
            }
            Action::Accept => {
                return line.map_or_else(ScreenReply::none, |l| {
                    ScreenReply::go(Go::Appointment {
                        patient: l.patient_id,
                        start: l.start,
                    })
                });
            }
            Action::OpenPatient => {
                return line.map_or_else(ScreenReply::none, |l| {
                    ScreenReply::go(Go::Patient(l.patient_id))
                });
            }
            Action::Up => -1,
            Action::Down => 1,
            Action::PageUp => -step,
            Action::PageDown => step,
            Action::First => isize::MIN / 2,
            Action::Last => isize::MAX / 2,
            _ => return ScreenReply::none(),
        };
        if n > 0 {
            d.selected = (d.selected as isize + delta).clamp(0, n as isize - 1) as usize;
            if d.selected < d.offset {
                d.offset = d.selected;
            } else if d.selected >= d.offset + rows {
                d.offset = d.selected + 1 - rows;
            }
        }
        ScreenReply::none()
    }

    fn on_typing_action(&mut self, action: Action, shared: &mut Shared) -> ScreenReply {
        let Some(text) = self.typing.as_mut() else {
            return ScreenReply::none();
        };
        match action {
            Action::Backspace => {
                text.pop();
                self.typing_error = None;
            }
            Action::Close => {
                self.typing = None;
                self.typing_error = None;
            }
            Action::Accept => match parse_period(text) {
                Ok(period) => {
                    self.typing = None;
                    self.typing_error = None;
                    self.preset = None;
                    self.bar = None;
                    return vec![self.load(period, shared)].into();
                }
                Err(e) => self.typing_error = Some(e),
            },
            _ => {}
        }
        ScreenReply::none()
    }
}

impl ScreenState for StatsState {
    fn context(&self) -> Context {
        if self.typing.is_some() {
            Context::StatsPeriod
        } else if self.drill.is_some() {
            Context::StatsDrill
        } else {
            Context::Stats
        }
    }

    fn title(&self, _shared: &Shared) -> String {
        "Statistics".to_string()
    }

    fn start(&mut self, shared: &mut Shared) -> Vec<Cmd> {
        vec![self.load(self.period, shared)]
    }

    fn on_action(&mut self, action: Action, shared: &mut Shared) -> ScreenReply {
        shared.touch();
        if self.typing.is_some() {
            return self.on_typing_action(action, shared);
        }
        if self.drill.is_some() {
            return self.on_drill_action(action, shared);
        }
        let rows = chart_rows(shared);
        match action {
            Action::Close => return ScreenReply::go(Go::Back),
            Action::Left | Action::Right => {
                self.move_tile(if action == Action::Left { -1 } else { 1 })
            }
            Action::NextView | Action::PrevView => {
                self.view = self
                    .view
                    .step(if action == Action::NextView { 1 } else { -1 });
                self.bar = None;
                self.bar_offset = 0;
            }
            Action::Up | Action::Down => self.move_bar(action == Action::Down, rows),
            Action::Accept => return self.open_drill(shared),
            Action::NextPeriod => return vec![self.next_preset(shared)].into(),
            Action::CustomPeriod => {
                // The current period, to change one end of it.
                self.typing = Some(format!("{} {}", self.period.from, self.period.to));
                self.typing_error = None;
            }
            Action::Export => {
                shared.toast(ToastKind::Info, "Writing the CSV…".into());
                return vec![Cmd::ExportStats {
                    period: self.period,
                }]
                .into();
            }
            Action::Reload => return vec![self.load(self.period, shared)].into(),
            _ => {}
        }
        ScreenReply::none()
    }

    fn on_unbound_key(&mut self, key: &KeyEvent, shared: &mut Shared) -> ScreenReply {
        if let (Some(text), KeyCode::Char(c)) = (self.typing.as_mut(), key.code)
            && !key.modifiers.contains(KeyModifiers::CONTROL)
            && text.chars().count() < 40
        {
            text.push(c);
            self.typing_error = None;
            shared.touch();
        }
        ScreenReply::none()
    }

    fn on_msg(&mut self, msg: Msg, shared: &mut Shared) -> ScreenReply {
        match msg {
            Msg::StatsLoaded { generation, result } => self.on_loaded(generation, result, shared),
            Msg::StatsDrilled { generation, result } => {
                self.on_drilled(generation, result);
                shared.touch();
            }
            Msg::StatsExported(Ok(path)) => {
                shared.toast(ToastKind::Info, format!("Exported to {path}"))
            }
            Msg::StatsExported(Err(e)) => {
                shared.toast(ToastKind::Error, format!("Export failed: {e}"))
            }
            _ => {}
        }
        ScreenReply::none()
    }

    fn on_resize(&mut self, shared: &Shared) {
        self.clamp_bar(chart_rows(shared));
    }

    fn awaiting_first_load(&self) -> bool {
        self.loading && self.report.is_none()
    }

    fn draw(&self, frame: &mut Frame, body: Rect, shared: &Shared) {
        view::draw(frame, body, self, shared);
    }
}

/// "last 4 weeks · 5 Feb – 4 Mar 2026" (or "custom · …"); the year once when both days are
/// in it.
pub fn period_words(preset: Option<Preset>, p: &Period) -> String {
    use chrono::Datelike as _;
    let name = preset.map_or("custom", Preset::label);
    let day = |d: NaiveDate| d.format("%-d %b %Y").to_string();
    if p.from == p.to {
        format!("{name} · {}", day(p.from))
    } else if p.from.year() == p.to.year() {
        let first = p.from.format("%-d %b");
        format!("{name} · {first} – {}", day(p.to))
    } else {
        format!("{name} · {} – {}", day(p.from), day(p.to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_named_with_the_year_once() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let p = Period::new(d("2026-10-29"), d("2026-11-25")).unwrap();
        assert_eq!(
            period_words(Some(Preset::Last4Weeks), &p),
            "last 4 weeks · 29 Oct – 25 Nov 2026"
        );
        let p = Period::new(d("2025-12-29"), d("2026-01-04")).unwrap();
        assert_eq!(period_words(None, &p), "custom · 29 Dec 2025 – 4 Jan 2026");
        let p = Period::new(d("2026-03-08"), d("2026-03-08")).unwrap();
        assert_eq!(period_words(None, &p), "custom · 8 Mar 2026");
    }
}
