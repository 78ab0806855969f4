//! The day view (SPEC §3.2): its state, how selection moves, and how it is drawn.
//! Draws from `App` only; changes state only through `app::update`.

use chrono::{DateTime, NaiveDate, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, HighlightSpacing, Paragraph, Row, Table, TableState, Wrap};

use super::super::app::App;
use super::super::msg::Cmd;
use super::super::widgets::columns::{self, Column, ColumnPlan};
use super::super::widgets::text::fit;
use super::super::{strings, theme};
use crate::domain::day::{DayRow, DaySheet};
use crate::domain::ids::{AppointmentId, PatientId};

/// The day on screen and where the selection is.
#[derive(Clone, Debug, PartialEq)]
pub struct DayState {
    pub date: NaiveDate,
    /// Generation of the latest load asked for; older results are dropped.
    pub generation: u64,
    pub loading: bool,
    /// The sheet of `date` once it arrived (kept while the same day reloads).
    pub sheet: Option<DaySheet>,
    pub error: Option<String>,
    pub only_unconfirmed: bool,
    pub selected: Option<AppointmentId>,
    /// Index of the selection in the visible rows, kept so a row that disappears
    /// (confirmed while filtering) hands the selection to its neighbour.
    pub cursor: usize,
    /// First visible row of the table.
    pub offset: usize,
    /// After a search jump: select this patient's appointment at this start once loaded.
    pub pending: Option<(PatientId, DateTime<Utc>)>,
}

impl DayState {
    pub fn new(date: NaiveDate) -> Self {
        Self {
            date,
            generation: 0,
            loading: false,
            sheet: None,
            error: None,
            only_unconfirmed: false,
            selected: None,
            cursor: 0,
            offset: 0,
            pending: None,
        }
    }

    /// The rows the table shows (all, or only the unconfirmed).
    pub fn visible(&self) -> Vec<&DayRow> {
        match &self.sheet {
            Some(sheet) if self.only_unconfirmed => sheet.unconfirmed().collect(),
            Some(sheet) => sheet.rows.iter().collect(),
            None => Vec::new(),
        }
    }

    pub fn selected_index(&self) -> Option<usize> {
        let id = self.selected?;
        self.visible().iter().position(|r| r.appointment_id == id)
    }

    pub fn selected_row(&self) -> Option<&DayRow> {
        let id = self.selected?;
        self.visible().into_iter().find(|r| r.appointment_id == id)
    }

    /// Move the selection by `delta` rows (clamped), keeping it on screen.
    pub fn move_by(&mut self, delta: isize, page: usize) -> Vec<Cmd> {
        let len = self.visible().len();
        if len == 0 {
            return Vec::new();
        }
        let from = self.selected_index().unwrap_or(self.cursor.min(len - 1)) as isize;
        let to = from.saturating_add(delta).clamp(0, len as isize - 1) as usize;
        self.select_index(to, page);
        Vec::new()
    }

    fn select_index(&mut self, index: usize, page: usize) {
        let id = self.visible().get(index).map(|r| r.appointment_id);
        self.selected = id;
        self.cursor = index;
        self.ensure_visible(page);
    }

    /// Keep the selected row inside the `page` rows on screen.
    pub fn ensure_visible(&mut self, page: usize) {
        let len = self.visible().len();
        let page = page.max(1);
        let idx = self.selected_index().unwrap_or(0);
        if idx < self.offset {
            self.offset = idx;
        } else if idx >= self.offset + page {
            self.offset = idx + 1 - page;
        }
        self.offset = self.offset.min(len.saturating_sub(page));
    }

    /// After the rows changed: keep the selected appointment if still visible, else the
    /// row now at the same place.
    pub fn reselect(&mut self, page: usize) {
        let len = self.visible().len();
        match self.selected_index() {
            Some(i) => self.select_index(i, page),
            None if len > 0 => self.select_index(self.cursor.min(len - 1), page),
            None => {
                self.selected = None;
                self.offset = 0;
            }
        }
    }

    /// Take a freshly loaded sheet. Returns true when a search jump's appointment is gone.
    pub fn apply(
        &mut self,
        sheet: DaySheet,
        today: NaiveDate,
        now: DateTime<Utc>,
        page: usize,
    ) -> bool {
        self.loading = false;
        self.error = None;
        let first_view = self.sheet.is_none() && self.selected.is_none();
        self.sheet = Some(sheet);
        let mut missing = false;
        if let Some((patient, start)) = self.pending.take() {
            let found = self
                .visible()
                .iter()
                .position(|r| r.patient_id == patient && r.start == start);
            match found {
                Some(i) => {
                    self.select_index(i, page);
                    return false;
                }
                None => missing = true,
            }
        }
        if first_view {
            let rows = self.visible();
            // Today opens on the first appointment that has not ended yet; other days at the top.
            let index = if self.date == today {
                rows.iter()
                    .position(|r| end_of(r) > now)
                    .unwrap_or(rows.len().saturating_sub(1))
            } else {
                0
            };
            self.cursor = index;
        }
        self.reselect(page);
        missing
    }
}

/// When an appointment ends (its start, should the stored duration be absurd).
fn end_of(r: &DayRow) -> DateTime<Utc> {
    r.start
        .checked_add_signed(chrono::Duration::minutes(i64::from(r.duration_minutes)))
        .unwrap_or(r.start)
}

/// The summary line: counts, filter state, loading.
pub fn summary(app: &App) -> Line<'static> {
    let day = app.day();
    let mut spans = Vec::new();
    if let Some(sheet) = &day.sheet {
        let unconfirmed = sheet.unconfirmed().count();
        spans.push(Span::styled(
            strings::day_counts(sheet.rows.len(), unconfirmed),
            theme::title(),
        ));
        if day.only_unconfirmed {
            spans.push(Span::raw("  "));
            spans.push(Span::styled(strings::FILTER_ON, theme::warning()));
        }
    } else if day.loading {
        spans.push(Span::styled(strings::LOADING, theme::dim()));
    }
    Line::from(spans)
}

/// The table (or a message in its place).
pub fn render_table(frame: &mut Frame, area: Rect, app: &App) {
    let day = app.day();
    let message = match (&day.sheet, &day.error) {
        (_, Some(e)) => Some(strings::day_load_failed(e)),
        (None, None) => Some(strings::LOADING.to_string()),
        (Some(sheet), None) if sheet.rows.is_empty() => Some(strings::NO_APPOINTMENTS.into()),
        (Some(_), None) if day.visible().is_empty() => Some(strings::ALL_CONFIRMED.into()),
        _ => None,
    };
    if let Some(message) = message {
        let y = area.y + area.height.min(2);
        let rest = Rect::new(
            area.x,
            y,
            area.width,
            area.height.saturating_sub(y - area.y),
        );
        frame.render_widget(
            Paragraph::new(message)
                .style(theme::dim())
                .centered()
                .wrap(Wrap { trim: true }),
            rest,
        );
        return;
    }
    let plan = columns::plan(area.width, app.offsets.len());
    let header = Row::new(
        plan.columns
            .iter()
            .map(|&(c, w)| Cell::from(fit(&header_text(app, c, w), w))),
    )
    .style(theme::table_header());
    let visible = day.visible();
    let clinician_cells = plan
        .columns
        .iter()
        .find(|c| c.0 == Column::Clinician)
        .map_or(0, |c| c.1);
    let titles_off = columns::drop_titles(
        visible.iter().map(|r| r.clinician.as_str()),
        clinician_cells,
    );
    let rows = visible
        .into_iter()
        .map(|r| row(app, r, &plan, titles_off))
        .collect::<Vec<_>>();
    let widths = plan
        .columns
        .iter()
        .map(|&(_, w)| Constraint::Length(w))
        .collect::<Vec<_>>();
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(columns::GAP)
        .row_highlight_style(theme::selected())
        .highlight_symbol(columns::MARKER_SYMBOL)
        .highlight_spacing(HighlightSpacing::Always);
    let mut state = TableState::new()
        .with_offset(day.offset)
        .with_selected(day.selected_index());
    frame.render_stateful_widget(table, area, &mut state);
}

fn header_text(app: &App, c: Column, cells: u16) -> String {
    use strings::header as h;
    match c {
        Column::Time => h::TIME.into(),
        Column::Patient => h::PATIENT.into(),
        Column::Clinician if usize::from(cells) < h::CLINICIAN.len() => h::CLINICIAN_SHORT.into(),
        Column::Clinician => h::CLINICIAN.into(),
        Column::Type => h::TYPE.into(),
        Column::Status => h::STATUS.into(),
        Column::Reminder(i) => app
            .offsets
            .get(i)
            .map(|&o| strings::offset_header(o))
            .unwrap_or_default(),
        Column::Reply => h::REPLY.into(),
        Column::Sms => h::SMS.into(),
        Column::Portal => h::PORTAL.into(),
    }
}

fn row<'a>(app: &App, r: &DayRow, plan: &ColumnPlan, titles_off: bool) -> Row<'a> {
    let cells = plan.columns.iter().map(|&(c, w)| {
        let (text, style) = match c {
            Column::Time => (strings::clock_time(r.start, app.tz), theme::row(r.status)),
            Column::Patient => (r.patient_name.clone(), theme::row(r.status)),
            Column::Clinician => (
                columns::short_name(&r.clinician, w, titles_off),
                theme::row(r.status),
            ),
            Column::Type => (r.type_label.clone(), theme::row(r.status)),
            Column::Status => (strings::status(r.status).into(), theme::status(r.status)),
            Column::Reminder(i) => {
                let offset = app.offsets.get(i).copied();
                let cell = r
                    .reminders
                    .iter()
                    .find(|cell| Some(cell.offset_hours) == offset);
                let state = cell.map(|c| &c.state);
                (
                    strings::reminder(state, plan.wide).into(),
                    theme::reminder(state),
                )
            }
            Column::Reply => (
                strings::reply(r.last_reply).into(),
                theme::reply(r.last_reply),
            ),
            Column::Sms => (
                strings::consent(r.consent, plan.wide).into(),
                theme::consent(r.consent),
            ),
            Column::Portal => (strings::portal(r.portal).into(), theme::row(r.status)),
        };
        Cell::from(fit(&text, w)).style(style)
    });
    Row::new(cells.collect::<Vec<_>>())
}

/// One line with everything about the selected row, untruncated by columns.
pub fn detail(app: &App) -> Line<'static> {
    let Some(r) = app.day().selected_row() else {
        return Line::default();
    };
    // "09:20–10:00 Ramírez, Saanvi · Consultation with Dr. Lindqvist", then what the cells
    // cannot say (why no text went out), then status, consent and portal in words.
    let mut parts = vec![
        format!(
            "{}–{} {}",
            strings::clock_time(r.start, app.tz),
            strings::clock_time(end_of(r), app.tz),
            r.patient_name
        ),
        strings::visit(&r.type_label, &r.clinician),
    ];
    parts.extend(
        r.reminders
            .iter()
            .filter(|c| strings::reminder_needs_words(&c.state))
            .map(|c| strings::reminder_detail(c, app.tz)),
    );
    parts.extend(
        strings::row_flags(r.has_mobile, r.number_flagged, r.callback_requested)
            .into_iter()
            .map(String::from),
    );
    parts.extend([
        strings::status(r.status).to_string(),
        strings::consent_long(r.consent).to_string(),
        format!("portal {}", strings::portal(r.portal)),
    ]);
    Line::from(Span::styled(
        fit(&parts.join(" · "), app.size.0),
        theme::dim(),
    ))
}
