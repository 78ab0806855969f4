//! Every style the console uses. Colour only ever repeats what the words or symbols already
//! say, so the screen reads the same on a monochrome terminal.

use ratatui::style::{Color, Modifier, Style};

use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent::ConsentFlag;
use crate::domain::reminder::ReminderState;
use crate::domain::reply::ReplyKind;

pub fn title() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

pub fn practice() -> Style {
    Style::new().fg(Color::Cyan)
}

pub fn banner() -> Style {
    Style::new()
        .fg(Color::Black)
        .bg(Color::Yellow)
        .add_modifier(Modifier::BOLD)
}

pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

pub fn table_header() -> Style {
    Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
}

/// The selected row: reverse video works without colour.
pub fn selected() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

pub fn status(s: AppointmentStatus) -> Style {
    match s {
        AppointmentStatus::Booked => Style::new().fg(Color::Yellow),
        AppointmentStatus::Confirmed => Style::new().fg(Color::Green),
        AppointmentStatus::Arrived => Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
        AppointmentStatus::Completed => dim(),
        AppointmentStatus::NoShow => Style::new().fg(Color::Red),
        AppointmentStatus::Cancelled => dim(),
    }
}

/// Whole-row tint: settled rows fade so the open ones stand out.
pub fn row(s: AppointmentStatus) -> Style {
    match s {
        AppointmentStatus::Cancelled | AppointmentStatus::Completed => dim(),
        _ => Style::new(),
    }
}

pub fn consent(flag: ConsentFlag) -> Style {
    match flag {
        ConsentFlag::OptedIn => Style::new().fg(Color::Green),
        ConsentFlag::None => dim(),
        ConsentFlag::OptedOut => Style::new().fg(Color::Red),
    }
}

pub fn reply(kind: Option<ReplyKind>) -> Style {
    match kind {
        Some(ReplyKind::Confirm) => Style::new().fg(Color::Green),
        Some(ReplyKind::Reschedule) => Style::new().fg(Color::Yellow),
        Some(ReplyKind::OptOut | ReplyKind::Cancel) => Style::new().fg(Color::Red),
        Some(_) => Style::new(),
        None => dim(),
    }
}

pub fn reminder(state: Option<&ReminderState>) -> Style {
    match state {
        Some(ReminderState::Delivered | ReminderState::Sent) => Style::new().fg(Color::Green),
        Some(ReminderState::Failed { .. }) => Style::new().fg(Color::Red),
        // reception: a gate block needs a person (a portal prompt instead).
        Some(
            ReminderState::Blocked { .. }
            | ReminderState::Skipped(crate::domain::reminder::SkipReason::BlockedByGate),
        ) => Style::new().fg(Color::Magenta),
        Some(
            ReminderState::Queued | ReminderState::Planned { .. } | ReminderState::Waiting { .. },
        ) => Style::new(),
        Some(ReminderState::Skipped(_)) | None => dim(),
    }
}

pub fn key() -> Style {
    Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
}

pub fn key_label() -> Style {
    Style::new()
}

pub fn toast_info() -> Style {
    Style::new().fg(Color::Green)
}

pub fn toast_error() -> Style {
    Style::new()
        .fg(Color::White)
        .bg(Color::Red)
        .add_modifier(Modifier::BOLD)
}

pub fn online(online: Option<bool>) -> Style {
    match online {
        Some(true) => Style::new().fg(Color::Green),
        Some(false) => Style::new().fg(Color::Yellow),
        None => dim(),
    }
}

pub fn modal_border() -> Style {
    Style::new().fg(Color::Cyan)
}

pub fn danger_border() -> Style {
    Style::new().fg(Color::Red)
}

pub fn warning() -> Style {
    Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
}

pub fn section() -> Style {
    Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
}
