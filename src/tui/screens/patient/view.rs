//! Drawing the patient screen: a header with the contact details and consent now, then the
//! consent timeline, the appointments and the messages both ways, scrolled as one list.
//! Reads the state only.

use chrono_tz::Tz;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::super::shared::Shared;
use super::super::super::strings::{self, desk};
use super::super::super::theme;
use super::super::super::widgets::text::fit;
use super::PatientState;
use crate::domain::message::{Direction, Message, MessageStatus};
use crate::domain::patient_file::{PatientAppointment, PatientFile};
use crate::domain::reminder::{Basis, ReminderState};

/// Past appointments listed (the newest); older ones are in the exports.
const PAST_SHOWN: usize = 10;

/// The lines under the fixed header, as drawn at `width` cells (the update counts them to
/// scroll).
pub fn body_lines(file: &PatientFile, s: &PatientState, tz: Tz, width: u16) -> Vec<Line<'static>> {
    let now = s.now.unwrap_or(file.patient.created_at);
    let mut out = vec![section(desk::CONSENT)];
    if file.consent.is_empty() {
        out.push(dim(desk::NO_CONSENT_EVENTS, width));
    }
    for e in file.consent.iter().rev() {
        out.push(Line::raw(fit(&desk::consent_event(e, tz), width)));
    }
    out.push(Line::default());
    out.push(section(desk::UPCOMING));
    let upcoming: Vec<_> = file.upcoming(now).collect();
    if upcoming.is_empty() {
        out.push(dim(desk::NONE, width));
    }
    out.extend(upcoming.into_iter().flat_map(|a| appointment(a, tz, width)));
    out.push(Line::default());
    out.push(section(desk::PAST));
    let past: Vec<_> = file.past(now).take(PAST_SHOWN).collect();
    if past.is_empty() {
        out.push(dim(desk::NONE, width));
    }
    out.extend(past.into_iter().flat_map(|a| appointment(a, tz, width)));
    out.push(Line::default());
    out.push(section(desk::MESSAGES));
    if file.messages.is_empty() {
        out.push(dim(desk::NO_MESSAGES, width));
    }
    out.extend(file.messages.iter().map(|m| message(m, tz, width)));
    out
}

fn section(title: &'static str) -> Line<'static> {
    Line::from(Span::styled(title, theme::section()))
}

fn dim(text: &str, width: u16) -> Line<'static> {
    Line::from(Span::styled(fit(text, width), theme::dim()))
}

/// The appointment's line, then one line per reminder: what was recorded (with when it was
/// decided, and the gate's finding for a block), or what will happen.
fn appointment(a: &PatientAppointment, tz: Tz, width: u16) -> Vec<Line<'static>> {
    let text = format!(
        "  {}  {} · {:<10}",
        desk::when(a.start, tz),
        strings::visit(&a.type_label, &a.clinician),
        strings::status(a.status)
    );
    let mut lines = vec![Line::from(Span::styled(
        fit(&text, width),
        theme::row(a.status),
    ))];
    lines.extend(a.reminders.iter().map(|c| {
        let style = match (&c.state, c.basis) {
            (ReminderState::Blocked { .. }, _) => theme::warning(),
            (_, Basis::Forecast) => theme::dim(),
            _ => Style::new(),
        };
        let words = format!("      {}", strings::reminder_on_file(c, tz));
        Line::from(Span::styled(fit(&words, width), style))
    }));
    lines
}

/// "Nov 25 09:00 → reminder-48h  delivered  Riverside…: body" or "← reply received  C".
fn message(m: &Message, tz: Tz, width: u16) -> Line<'static> {
    let arrow = match m.direction {
        Direction::Outbound => "→",
        Direction::Inbound => "←",
    };
    let mut status = m.status.as_str().to_string();
    if let Some(code) = &m.error_code {
        status.push_str(&format!(" [{code}]"));
    }
    if m.status == MessageStatus::Blocked {
        status = blocked_words(m.findings.as_deref());
    }
    let head = format!(
        "  {} {arrow} {:<20} {:<14} ",
        desk::short(m.created_at, tz),
        m.kind.as_str(),
        status
    );
    let style = match m.status {
        MessageStatus::Failed | MessageStatus::Undelivered | MessageStatus::Blocked => {
            theme::warning()
        }
        _ => Style::new(),
    };
    let used = super::super::super::widgets::text::width(&head) as u16;
    let body = m.body.replace(['\n', '\r'], " ");
    Line::from(vec![
        Span::styled(fit(&head, width), style),
        Span::styled(fit(&body, width.saturating_sub(used)), theme::dim()),
    ])
}

/// "blocked: "biopsy" (procedure)" from the gate's recorded findings: what was decided when
/// it was decided, not a fresh check.
pub fn blocked_words(findings: Option<&str>) -> String {
    let first = findings
        .and_then(|f| serde_json::from_str::<serde_json::Value>(f).ok())
        .and_then(|v| {
            v.as_array()?
                .iter()
                .find(|f| !f["allowed"].as_bool().unwrap_or(false))
                .cloned()
        });
    match first {
        Some(f) => format!(
            "blocked: \"{}\" ({})",
            f["text"].as_str().unwrap_or("?"),
            f["category"].as_str().unwrap_or("?")
        ),
        None => "blocked by PHI gate".into(),
    }
}

/// The two header lines: who, and whether texts can reach them.
fn header(file: &PatientFile, tz: Tz, width: u16) -> Vec<Line<'static>> {
    let p = &file.patient;
    let born = p
        .birth_date
        .map(|d| format!(" · born {}", d.format("%Y-%m-%d")))
        .unwrap_or_default();
    let problem = p.number_problem.as_ref().map(|n| (n.code.as_str(), n.at));
    let mobile = desk::mobile(p.mobile.as_ref().map(|m| m.as_str()), problem, tz);
    let first = format!(
        "{}{born} · {} · {}",
        p.list_name(),
        mobile,
        desk::portal(p.portal_active)
    );
    let state = file.consent_state();
    let consent_style = theme::consent(state.flag());
    vec![
        Line::from(Span::styled(fit(&first, width), theme::title())),
        Line::from(Span::styled(
            fit(&desk::consent_now(&state, tz), width),
            consent_style,
        )),
    ]
}

pub fn draw(frame: &mut Frame, body: Rect, s: &PatientState, shared: &Shared) {
    let Some(file) = &s.file else {
        let text = match &s.error {
            Some(e) => Span::styled(fit(e, body.width), theme::warning()),
            None => Span::styled(strings::LOADING, theme::dim()),
        };
        frame.render_widget(Paragraph::new(Line::from(text)), body);
        return;
    };
    let mut lines = header(file, shared.tz, body.width);
    lines.push(Line::default());
    let room = usize::from(body.height).saturating_sub(lines.len());
    lines.extend(
        body_lines(file, s, shared.tz, body.width)
            .into_iter()
            .skip(s.scroll)
            .take(room),
    );
    frame.render_widget(Paragraph::new(lines), body);
}

/// Rows the scrolled part has at the current size.
pub fn page(shared: &Shared) -> usize {
    usize::from(shared.body().height.saturating_sub(3)).max(1)
}
