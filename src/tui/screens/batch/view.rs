//! Drawing the reminder batch: the day chooser, the counts by reason, the confirm line or
//! the gauge or the totals, then one line per appointment. Reads the state; changes nothing.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph, Wrap};

use super::{BatchState, Phase, Preset};
use crate::config::ProviderKind;
use crate::domain::batch::window::FORMS;
use crate::domain::report::LineAction;
use crate::tui::shared::Shared;
use crate::tui::strings;
use crate::tui::theme;
use crate::tui::widgets::text::{fit, pad};
use crate::workflow::batch_desk::BatchView;
use crate::workflow::remind::ReportLine;

pub fn draw(s: &BatchState, frame: &mut Frame, body: Rect, shared: &Shared) {
    let [choose, counts, state, list] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(body);
    frame.render_widget(Paragraph::new(chooser(s, body.width)), choose);
    let Some(view) = &s.view else {
        let text = s.error.clone().unwrap_or_else(|| strings::LOADING.into());
        frame.render_widget(Paragraph::new(fit(&text, body.width)), counts);
        return;
    };
    let by = view
        .by_reason
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(" · ");
    let by = if by.is_empty() {
        strings::BATCH_EMPTY.to_string()
    } else {
        by
    };
    frame.render_widget(
        Paragraph::new(Span::styled(by, theme::title())).wrap(Wrap { trim: true }),
        counts,
    );
    match s.phase {
        Phase::Sending => {
            // The offline provider only queues: "sent" there would tell the desk a patient
            // has a text they do not have yet.
            let to_outbox =
                matches!(&shared.provider, Some(Ok(p)) if p.provider == ProviderKind::Outbox);
            let mut label = if to_outbox {
                s.progress.outbox_line()
            } else {
                s.progress.to_string()
            };
            if s.cancelling {
                label.push_str(strings::BATCH_CANCELLING);
            }
            let gauge = Gauge::default()
                .gauge_style(theme::title())
                .ratio(s.progress.ratio())
                .label(fit(&label, state.width));
            frame.render_widget(gauge, state);
        }
        _ => {
            let line = state_line(s, view, shared);
            frame.render_widget(Paragraph::new(fit(&line, state.width)), state);
        }
    }
    let room = usize::from(list.height);
    let lines: Vec<Line> = view
        .report
        .lines
        .iter()
        .skip(s.scroll)
        .take(room)
        .map(|l| line(l, view, shared, list.width))
        .collect();
    frame.render_widget(Paragraph::new(lines), list);
}

/// "today · ▸tomorrow◂ · day or window: 2026-03-05_".
fn chooser(s: &BatchState, width: u16) -> Line<'static> {
    // The choice in force is marked by a sign as well as a colour (monochrome terminals).
    let mark = |p: Preset, text: String| {
        if s.preset == p {
            Span::styled(format!("▸{text} "), theme::selected())
        } else {
            Span::styled(format!(" {text} "), theme::dim())
        }
    };
    let typed = if s.editing {
        format!("day or window: {}▏", s.typed)
    } else if s.typed.is_empty() {
        "day or window…".to_string()
    } else {
        format!("day or window: {}", s.typed)
    };
    let mut spans = vec![
        mark(Preset::Today, "today".into()),
        Span::raw("·"),
        mark(Preset::Tomorrow, "tomorrow".into()),
        Span::raw("·"),
        mark(Preset::Typed, typed),
    ];
    if s.editing && usize::from(width) > 60 + FORMS.len() / 2 {
        spans.push(Span::styled(format!("  e.g. {FORMS}"), theme::dim()));
    }
    Line::from(spans)
}

/// What Enter, y, Esc or f do now, or the run's totals.
fn state_line(s: &BatchState, view: &BatchView, _shared: &Shared) -> String {
    let t = &view.report.text_totals();
    match s.phase {
        Phase::Confirming => format!(
            "Send {} reminder text(s) now? y sends · Esc goes back",
            view.report.plan.texts.max(1)
        ),
        Phase::Done => {
            let retry = s.retryable();
            let mut line = if retry > 0 {
                format!("f retries the {retry} left waiting · ")
            } else {
                String::new()
            };
            line.push_str(&format!(
                "sent {} · outbox {} · failed {} · blocked {} · waiting {} · not sent {}",
                t.sent,
                t.in_outbox,
                t.failed,
                t.blocked,
                t.waiting,
                t.skipped + t.wait
            ));
            if let Some(why) = &view.report.stopped {
                line = format!("{line} · {why}");
            }
            line
        }
        _ if s.will_send() == 0 => strings::BATCH_NOTHING.to_string(),
        _ => format!(
            "Enter sends {} text(s) for {} appointment(s)",
            view.report.plan.texts,
            s.will_send()
        ),
    }
}

/// " 14:00  Lovelace, Ada        reminder-24h   will send" / "skip: no consent" / "failed [30003] …".
fn line(l: &ReportLine, view: &BatchView, shared: &Shared, width: u16) -> Line<'static> {
    let name = view.names.get(&l.patient_id).map_or("", String::as_str);
    let when = l
        .appointment_id
        .and_then(|a| view.starts.get(&a))
        .map(|t| t.with_timezone(&shared.tz).format("%a %H:%M").to_string())
        .unwrap_or_default();
    let reason = l.reason.as_deref().unwrap_or("");
    let what = match l.action {
        LineAction::Send => "will send".to_string(),
        LineAction::Skip => format!("skip: {reason}"),
        LineAction::Wait => format!("waits {reason}"),
        LineAction::Waiting => format!("waiting: {reason}"),
        LineAction::InOutbox => "in outbox (goes when online)".to_string(),
        LineAction::AlreadyRecorded => "already sent".to_string(),
        LineAction::Sent => "sent".to_string(),
        other => {
            let code = l
                .code
                .as_deref()
                .map(|c| format!(" [{c}]"))
                .unwrap_or_default();
            format!("{}{code}: {reason}", other.as_str())
        }
    };
    let style = match l.action {
        LineAction::Failed | LineAction::Blocked | LineAction::Unreadable | LineAction::Waiting => {
            theme::warning()
        }
        LineAction::Skip | LineAction::Wait | LineAction::AlreadyRecorded => theme::dim(),
        _ => Style::new(),
    };
    let name_width = if width >= 100 { 26 } else { 20 };
    let text = format!(" {} {} {what}", pad(&when, 9), pad(name, name_width));
    Line::from(Span::styled(fit(&text, width), style))
}
