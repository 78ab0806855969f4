//! Drawing the statistics screen: the period line, six tiles, the chart tabs, the chart (bars,
//! the trend line or the comparisons) and a caption that says what the selection means; or,
//! in a drill-down, the appointments behind a number. Reads the state only.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph, Wrap};

use super::super::super::layout::line;
use super::super::super::shared::Shared;
use super::super::super::theme;
use super::super::super::widgets::text::{fit, pad, width};
use super::chart::{self, BarRow, FEW};
use super::state::{ARMS, Drill, StatsState, Tile, View};
use super::{drill_rows, period_words};
use crate::domain::stats::{Comparison, StatsReport};
use crate::tui::strings;

/// The chart starts below the period line, three tile lines and the tabs.
pub const CHART_TOP: u16 = 5;

pub fn draw(frame: &mut Frame, body: Rect, s: &StatsState, shared: &Shared) {
    if body.height < 8 {
        return;
    }
    period_line(frame, line(body, body.y), s);
    if let Some(d) = &s.drill {
        draw_drill(frame, body, d, shared);
        return;
    }
    let Some(r) = &s.report else {
        let text = match (&s.error, s.loading) {
            (Some(e), _) => format!(" Statistics failed: {e}"),
            _ => " Computing…".to_string(),
        };
        frame.render_widget(Paragraph::new(text), line(body, body.y + 2));
        return;
    };
    tiles(frame, Rect::new(body.x, body.y + 1, body.width, 3), s, r);
    tabs(frame, line(body, body.y + 4), s.view);
    let chart = Rect::new(
        body.x,
        body.y + CHART_TOP,
        body.width,
        body.height.saturating_sub(CHART_TOP + 1),
    );
    let caption = line(body, body.y + body.height - 1);
    match s.view {
        View::Reminders => comparisons(frame, chart, s, r),
        View::Trend => trend(frame, chart, s, r),
        _ => bars(frame, chart, s, r),
    }
    let text = match &s.typing_error {
        Some(e) => e.clone(),
        None => caption_text(s, r),
    };
    frame.render_widget(
        Paragraph::new(fit(&format!(" {text}"), caption.width)).style(theme::dim()),
        caption,
    );
}

fn period_line(frame: &mut Frame, area: Rect, s: &StatsState) {
    let text = match (&s.typing, &s.report) {
        (Some(t), _) => format!(" Period (first and last day, YYYY-MM-DD YYYY-MM-DD): {t}█"),
        (None, Some(r)) => format!(
            " {} · {} started · {} to come · {} unmarked{}",
            period_words(s.preset, &s.period),
            r.totals.appointments,
            r.upcoming,
            r.totals.unrecorded,
            if s.loading { " · computing…" } else { "" }
        ),
        (None, None) => format!(" {}", period_words(s.preset, &s.period)),
    };
    let style = if s.typing.is_some() {
        theme::selected()
    } else {
        theme::section()
    };
    frame.render_widget(Paragraph::new(fit(&text, area.width)).style(style), area);
}

fn tiles(frame: &mut Frame, area: Rect, s: &StatsState, r: &StatsReport) {
    let w = area.width / Tile::ALL.len() as u16;
    for (i, tile) in Tile::ALL.into_iter().enumerate() {
        let x = area.x + i as u16 * w;
        let cell = Rect::new(x, area.y, w.saturating_sub(1), 3);
        let (value, detail) = match tile {
            Tile::OptOuts => (r.opt_outs.to_string(), "patients".to_string()),
            _ => {
                let (part, whole) = tile.counts(&r.totals);
                (chart::pct(tile.rate(&r.rates)), format!("{part}/{whole}"))
            }
        };
        let chosen = tile == s.tile;
        let (head, body) = if chosen && s.bar.is_none() && s.view != View::Reminders {
            (theme::selected(), theme::selected())
        } else if chosen {
            (theme::table_header(), theme::title())
        } else {
            (theme::dim(), Style::new())
        };
        let mark = if chosen { "›" } else { " " };
        let lines = vec![
            Line::styled(pad(&format!("{mark}{}", tile.label()), cell.width), head),
            Line::styled(pad(&format!(" {value}"), cell.width), body),
            Line::styled(pad(&format!(" {detail}"), cell.width), theme::dim()),
        ];
        frame.render_widget(Paragraph::new(lines), cell);
    }
}

fn tabs(frame: &mut Frame, area: Rect, view: View) {
    let mut spans = vec![Span::raw(" ")];
    for v in View::ALL {
        let style = if v == view {
            theme::selected()
        } else {
            theme::dim()
        };
        spans.push(Span::styled(format!(" {} ", v.label()), style));
        spans.push(Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn bar_rows(s: &StatsState, r: &StatsReport) -> Vec<BarRow> {
    s.view
        .dimension()
        .map(|d| chart::bar_rows(r.breakdowns.get(d), s.tile))
        .unwrap_or_default()
}

fn bars(frame: &mut Frame, area: Rect, s: &StatsState, r: &StatsReport) {
    let rows = bar_rows(s, r);
    if s.tile == Tile::OptOuts {
        let text = " Opt-outs belong to patients, not appointments: the weekly trend counts them.";
        frame.render_widget(Paragraph::new(text).style(theme::dim()), area);
        return;
    }
    if rows.is_empty() {
        frame.render_widget(Paragraph::new(" No appointments in this period."), area);
        return;
    }
    let max = chart::scale(&rows);
    let label_w = rows
        .iter()
        .map(|x| width(&x.label))
        .max()
        .unwrap_or(0)
        .clamp(5, 18) as u16;
    // marker, label, gap, bar, gap, value (6), gap, counts (9), gap, "few"
    let bar_w = area.width.saturating_sub(label_w + 23).max(4);
    let mut lines = Vec::new();
    for (i, row) in rows.iter().enumerate().skip(s.bar_offset) {
        if lines.len() >= usize::from(area.height) {
            break;
        }
        let chosen = s.bar == Some(i);
        let text = format!(
            "{}{} {} {:>6} {:>9} {}",
            if chosen { "›" } else { " " },
            pad(&row.label, label_w),
            pad(&chart::bar(row.value, max, bar_w), bar_w),
            row.value_text(s.tile),
            row.count_text(s.tile),
            if row.few { "few" } else { "" }
        );
        let style = match (chosen, row.few) {
            (true, _) => theme::selected(),
            (false, true) => theme::dim(),
            _ => Style::new(),
        };
        lines.push(Line::styled(fit(&text, area.width), style));
    }
    // Room left: what the number means.
    let used = lines.len() as u16;
    if area.height >= used + 3 {
        let rest = Rect::new(
            area.x + 1,
            area.y + used + 1,
            area.width.saturating_sub(2),
            area.height - used - 1,
        );
        frame.render_widget(
            Paragraph::new(s.tile.definition())
                .style(theme::dim())
                .wrap(Wrap { trim: true }),
            rest,
        );
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn trend(frame: &mut Frame, area: Rect, s: &StatsState, r: &StatsReport) {
    let rows = bar_rows(s, r);
    let points = chart::trend_points(&rows, s.tile);
    if points.is_empty() {
        frame.render_widget(Paragraph::new(" No weeks with a value yet."), area);
        return;
    }
    let top = points.iter().map(|p| p.1).fold(0.0_f64, f64::max).max(1.0) * 1.15;
    let selected: Vec<(f64, f64)> = s
        .bar
        .and_then(|b| points.iter().find(|p| p.0 as usize == b).copied())
        .into_iter()
        .collect();
    let unit = if s.tile == Tile::OptOuts { "" } else { "%" };
    let first = rows.first().map_or(String::new(), |x| short_week(&x.label));
    let last = rows.last().map_or(String::new(), |x| short_week(&x.label));
    let datasets = vec![
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .data(&points),
        Dataset::default()
            .marker(Marker::Block)
            .graph_type(GraphType::Scatter)
            .style(theme::warning())
            .data(&selected),
    ];
    let chart = Chart::new(datasets)
        .x_axis(
            Axis::default()
                .bounds([0.0, (rows.len().max(2) - 1) as f64])
                .labels([first, last]),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, top])
                .labels([format!("0{unit}"), format!("{top:.0}{unit}")]),
        );
    frame.render_widget(chart, area);
}

/// "week of 2026-02-02" → "2 Feb".
fn short_week(label: &str) -> String {
    label
        .strip_prefix("week of ")
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .map_or_else(|| label.to_string(), |d| d.format("%-d %b").to_string())
}

fn arm_line(label: &str, c: &Comparison, with: bool, chosen: bool) -> Line<'static> {
    let a = if with { &c.with } else { &c.without };
    let text = format!(
        "{}{:<13} {:>6} {:>9}  {}",
        if chosen { "›" } else { " " },
        label,
        chart::pct(a.no_show_rate),
        format!("{}/{}", a.no_shows, a.appointments),
        chart::interval_text(a.interval)
    );
    let style = if chosen {
        theme::selected()
    } else {
        Style::new()
    };
    Line::styled(text, style)
}

fn comparisons(frame: &mut Frame, area: Rect, s: &StatsState, r: &StatsReport) {
    let c = &r.comparisons;
    let mut lines = vec![Line::styled(
        " No-show rate of appointments with a known outcome; 95% intervals",
        theme::table_header(),
    )];
    for (pair, comparison) in [(0, &c.reminded), (2, &c.confirmed)] {
        for k in 0..2 {
            let i = pair + k;
            lines.push(arm_line(ARMS[i].0, comparison, k == 0, s.bar == Some(i)));
        }
        lines.push(Line::styled(
            format!("   {}", chart::difference_text(comparison)),
            theme::section(),
        ));
    }
    lines.push(Line::styled(format!(" {}", c.caveat), theme::dim()));
    let groups: Vec<_> = c.by_clinician.iter().chain(&c.by_type).collect();
    if !groups.is_empty() {
        lines.push(Line::styled(
            fit(
                " Within each clinician and type: reminded vs not · confirmed vs not",
                area.width,
            ),
            theme::table_header(),
        ));
    }
    // Wide enough: each verdict with its interval for the difference (percentage points).
    let wide = area.width >= 110;
    let verdict = |x: &Comparison| match (wide, x.interval) {
        (true, Some(i)) => format!(
            "{} ({:+.1} to {:+.1})",
            x.verdict.label(),
            i.low * 100.0,
            i.high * 100.0
        )
        .replace('-', "−"),
        _ => x.verdict.label().to_string(),
    };
    let vw: u16 = if wide { 36 } else { 20 };
    for g in groups {
        let text = format!(
            " {} reminded {} confirmed {}",
            pad(&g.label, 16),
            pad(&verdict(&g.reminded), vw),
            verdict(&g.confirmed)
        );
        lines.push(Line::raw(fit(&text, area.width)));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// What the selection means and what Enter does.
fn caption_text(s: &StatsState, r: &StatsReport) -> String {
    if s.view == View::Reminders {
        return match s.bar.and_then(|b| ARMS.get(b)) {
            Some((label, _)) => format!("Enter: the {label} appointments"),
            None => format!(
                "Too few to tell: under {} in a group or under {} no-shows. ↓ selects a row.",
                c_min(r).0,
                c_min(r).1
            ),
        };
    }
    let (part_words, whole_words) = s.tile.fraction_words();
    let rows = bar_rows(s, r);
    match s.bar.and_then(|b| rows.get(b)) {
        Some(row) if s.tile == Tile::OptOuts => {
            format!("{}: {} opt-outs", row.label, row.value_text(s.tile))
        }
        Some(row) if row.whole == 0 => format!("{}: nothing to count", row.label),
        Some(row) => format!(
            "{}: {} {part_words} of {} {whole_words} ({}) · Enter lists them",
            row.label,
            row.part,
            row.whole,
            row.value_text(s.tile)
        ),
        None => format!(
            "{} {} · dim: under {FEW} behind it · Enter: the appointments",
            s.tile.long(),
            match s.view {
                View::Trend => "per week".to_string(),
                v => format!("by {}", v.label()),
            }
        ),
    }
}

fn c_min(r: &StatsReport) -> (u64, u64) {
    (r.comparisons.min_per_group, r.comparisons.min_no_shows)
}

fn draw_drill(frame: &mut Frame, body: Rect, d: &Drill, shared: &Shared) {
    let w = body.width;
    frame.render_widget(
        Paragraph::new(fit(&format!(" {}", d.title), w)).style(theme::title()),
        line(body, body.y + 1),
    );
    let rest = w.saturating_sub(1 + 17 + 10 + 3);
    let (name_w, clin_w) = (rest * 2 / 5, rest * 3 / 10);
    let type_w = rest.saturating_sub(name_w + clin_w);
    let row = |when: &str, name: &str, clin: &str, ty: &str, status: &str| {
        format!(
            " {} {} {} {} {}",
            pad(when, 17),
            pad(name, name_w),
            pad(clin, clin_w),
            pad(ty, type_w),
            pad(status, 9)
        )
    };
    frame.render_widget(
        Paragraph::new(row("when", "patient", "clinician", "type", "status"))
            .style(theme::table_header()),
        line(body, body.y + 2),
    );
    let list = Rect::new(body.x, body.y + 3, w, body.height.saturating_sub(4));
    let lines: Vec<Line> = match (&d.lines, &d.error) {
        (_, Some(e)) => vec![Line::raw(format!(" Cannot list them: {e}"))],
        (None, None) => vec![Line::raw(" Loading…")],
        (Some(lines), None) => lines
            .iter()
            .enumerate()
            .skip(d.offset)
            .take(drill_rows(shared))
            .map(|(i, l)| {
                let when = l
                    .start
                    .with_timezone(&shared.tz)
                    .format("%a %-d %b %H:%M")
                    .to_string();
                let text = row(
                    &when,
                    &l.patient,
                    &l.clinician,
                    &l.type_name,
                    strings::status(l.status),
                );
                let style = if i == d.selected {
                    theme::selected()
                } else {
                    theme::row(l.status)
                };
                Line::styled(text, style)
            })
            .collect(),
    };
    frame.render_widget(Paragraph::new(lines), list);
    let n = d.lines.as_ref().map_or(0, Vec::len);
    let hint = format!(
        " {} of {n} · Enter: their day · p: the patient · Esc: back to the charts",
        (d.selected + 1).min(n)
    );
    frame.render_widget(
        Paragraph::new(fit(&hint, w)).style(theme::dim()),
        line(body, body.y + body.height - 1),
    );
}
