//! The confirm box before a change that loses information (cancel, no-show): its state, its
//! keys (yes runs the change, no closes) and its drawing.

use chrono_tz::Tz;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::super::keymap::Context;
use super::super::msg::{Action, Cmd};
use super::super::overlay::{Overlay, OverlayReply};
use super::super::shared::Shared;
use super::super::widgets::modal;
use super::super::{strings, theme};
use crate::domain::appointment::AppointmentStatus;
use crate::domain::day::DayRow;
use crate::domain::ids::AppointmentId;

/// The change waiting for a yes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfirmState {
    pub id: AppointmentId,
    pub to: AppointmentStatus,
    /// "10:00 Lovelace, Ada".
    pub who: String,
    /// "Dr. Okafor · Check-up · booked".
    pub what: String,
    // reception
    /// Set when the appointment is not today's: "This is Thursday, November 26 — not today."
    pub other_day: Option<String>,
}

impl ConfirmState {
    pub fn new(row: &DayRow, to: AppointmentStatus, tz: Tz) -> Self {
        Self {
            id: row.appointment_id,
            to,
            who: format!(
                "{} {}",
                strings::clock_time(row.start, tz),
                row.patient_name
            ),
            what: format!(
                "{} · {} · now {}",
                row.clinician,
                row.type_label,
                strings::status(row.status)
            ),
            other_day: None,
        }
    }
}

impl Overlay for ConfirmState {
    fn context(&self) -> Context {
        Context::Confirm
    }

    fn on_action(&mut self, action: Action, shared: &mut Shared) -> OverlayReply {
        match action {
            Action::Accept => {
                shared.touch();
                OverlayReply::Close(vec![Cmd::SetStatus {
                    id: self.id,
                    to: self.to,
                }])
            }
            Action::Close => {
                shared.touch();
                OverlayReply::Close(Vec::new())
            }
            _ => OverlayReply::Keep,
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, _shared: &Shared) {
        render(frame, area, self);
    }
}

fn render(frame: &mut Frame, area: Rect, c: &ConfirmState) {
    let rect = modal::centered(area, 60, 9 + u16::from(c.other_day.is_some()));
    let inner = modal::frame_box(
        frame,
        rect,
        strings::confirm_title(c.to),
        theme::danger_border(),
    );
    let mut text = vec![
        Line::from(Span::styled(c.who.clone(), theme::title())),
        Line::from(c.what.clone()),
    ];
    if let Some(day) = &c.other_day {
        text.push(Line::from(Span::styled(day.clone(), theme::warning())));
    }
    text.extend([
        Line::default(),
        Line::from(strings::confirm_body(c.to)),
        Line::default(),
        Line::from(Span::styled(strings::CONFIRM_KEYS, theme::key())).centered(),
    ]);
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), inner);
}
