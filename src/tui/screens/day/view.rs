//! Drawing the day view: the summary line, the table (or a message in its place) and the
//! detail line under it. Reads the day's state and the shared state; changes nothing.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, HighlightSpacing, Paragraph, Row, Table, TableState, Wrap};

use super::state::{DayState, end_of};
use crate::domain::day::DayRow;
use crate::tui::layout::line;
use crate::tui::shared::Shared;
use crate::tui::widgets::columns::{self, Column, ColumnPlan};
use crate::tui::widgets::text::fit;
use crate::tui::{strings, theme};

/// Draw the body: summary on its first line, detail on its last, the table between.
pub fn draw(frame: &mut Frame, body: Rect, day: &DayState, shared: &Shared) {
    let summary_area = line(body, body.y);
    let detail_area = line(body, (body.y + body.height).saturating_sub(1));
    let table = Rect::new(
        body.x,
        body.y + 1,
        body.width,
        body.height.saturating_sub(2),
    );
    frame.render_widget(Paragraph::new(summary(day)), summary_area);
    render_table(frame, table, day, shared);
    frame.render_widget(Paragraph::new(detail(day, shared, body.width)), detail_area);
}

/// The summary line: counts, filter state, loading.
fn summary(day: &DayState) -> Line<'static> {
    let mut spans = Vec::new();
    if let Some(sheet) = &day.sheet {
        let unconfirmed = sheet.unconfirmed().count();
        spans.push(Span::styled(
            strings::day_counts(sheet.rows.len(), unconfirmed),
            theme::title(),
        ));
        if !day.marked.is_empty() {
            spans.push(Span::raw("  "));
            spans.push(Span::styled(
                format!("{} marked — P: portal prompt", day.marked.len()),
                theme::warning(),
            ));
        }
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
fn render_table(frame: &mut Frame, area: Rect, day: &DayState, shared: &Shared) {
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
    let plan = columns::plan(area.width, shared.offsets.len());
    let header = Row::new(
        plan.columns
            .iter()
            .map(|&(c, w)| Cell::from(fit(&header_text(shared, c, w), w))),
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
        .map(|r| {
            let drawn = Drawn {
                plan: &plan,
                titles_off,
                cells_pending: day.sheet.as_ref().is_some_and(|s| s.cells_pending),
            };
            row(shared, (r, day.is_marked(r.patient_id)), &drawn)
        })
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

fn header_text(shared: &Shared, c: Column, cells: u16) -> String {
    use strings::header as h;
    match c {
        Column::Time => h::TIME.into(),
        Column::Patient => h::PATIENT.into(),
        Column::Clinician if usize::from(cells) < h::CLINICIAN.len() => h::CLINICIAN_SHORT.into(),
        Column::Clinician => h::CLINICIAN.into(),
        Column::Type => h::TYPE.into(),
        Column::Status => h::STATUS.into(),
        Column::Reminder(i) => shared
            .offsets
            .get(i)
            .map(|&o| strings::offset_header(o))
            .unwrap_or_default(),
        Column::Reply => h::REPLY.into(),
        Column::Sms => h::SMS.into(),
        Column::Portal => h::PORTAL.into(),
    }
}

/// How every row of the table is drawn.
struct Drawn<'p> {
    plan: &'p ColumnPlan,
    titles_off: bool,
    /// The sheet came before its reminder cells: they read as loading.
    cells_pending: bool,
}

fn row<'a>(shared: &Shared, (r, marked): (&DayRow, bool), drawn: &Drawn<'_>) -> Row<'a> {
    let Drawn {
        plan,
        titles_off,
        cells_pending,
    } = *drawn;
    let cells = plan.columns.iter().map(|&(c, w)| {
        let (text, style) = match c {
            Column::Time => (
                strings::clock_time(r.start, shared.tz),
                theme::row(r.status),
            ),
            // batch: a patient marked for a portal prompt to several.
            Column::Patient if marked => (format!("• {}", r.patient_name), theme::selected()),
            Column::Patient => (r.patient_name.clone(), theme::row(r.status)),
            Column::Clinician => (
                columns::short_name(&r.clinician, w, titles_off),
                theme::row(r.status),
            ),
            Column::Type => (r.type_label.clone(), theme::row(r.status)),
            // closure: a visit a closure notice took away reads "rebook" until it is moved.
            Column::Status if r.rebook && r.status.is_open() => {
                (strings::closure::REBOOK.into(), theme::warning())
            }
            Column::Status => (strings::status(r.status).into(), theme::status(r.status)),
            Column::Reminder(_) if cells_pending => {
                (strings::reminder_loading(plan.wide).into(), theme::dim())
            }
            Column::Reminder(i) => {
                let offset = shared.offsets.get(i).copied();
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
fn detail(day: &DayState, shared: &Shared, width: u16) -> Line<'static> {
    let Some(r) = day.selected_row() else {
        return Line::default();
    };
    // "09:20–10:00 Ramírez, Saanvi · Consultation with Dr. Lindqvist", then what the cells
    // cannot say (why no text went out), then status, consent and portal in words.
    let mut parts = vec![
        format!(
            "{}–{} {}",
            strings::clock_time(r.start, shared.tz),
            strings::clock_time(end_of(r), shared.tz),
            r.patient_name
        ),
        strings::visit(&r.type_label, &r.clinician),
    ];
    if r.rebook && r.status.is_open() {
        parts.push(strings::closure::REBOOK_LONG.to_string()); // closure
    }
    parts.extend(
        r.reminders
            .iter()
            .filter(|c| strings::reminder_needs_words(&c.state))
            .map(|c| strings::reminder_detail(c, shared.tz)),
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
    Line::from(Span::styled(fit(&parts.join(" · "), width), theme::dim()))
}
