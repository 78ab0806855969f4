//! The console's vocabulary: `Msg` says what happened, `Cmd` what to do, `Action` what the
//! user meant. Plain data; no IO, no terminal.

use chrono::{DateTime, NaiveDate, Utc};
use ratatui::crossterm::event::KeyEvent;

use crate::domain::appointment::AppointmentStatus;
use crate::domain::day::{DaySheet, PatientHit};
use crate::domain::ids::AppointmentId;
use crate::domain::staff::Action as StaffAction;
use crate::workflow::day::ProviderStatus;

/// Something that happened: a key, a resize, a tick, or a result from the worker.
#[derive(Clone, Debug, PartialEq)]
pub enum Msg {
    Key(KeyEvent),
    Resize {
        width: u16,
        height: u16,
    },
    /// A quarter second passed while something animates (a toast is showing).
    Tick,
    /// A day sheet arrived for load `generation`; `now` is the worker's clock at load time.
    DayLoaded {
        generation: u64,
        now: DateTime<Utc>,
        result: Result<DaySheet, String>,
    },
    SearchDone {
        generation: u64,
        result: Result<Vec<PatientHit>, String>,
    },
    /// A desk status change was persisted (or refused, with a staff-readable reason).
    StatusSet {
        id: AppointmentId,
        to: AppointmentStatus,
        result: Result<(), String>,
    },
    ProviderLoaded(Result<ProviderStatus, String>),
    /// The terminal could not be read any more; the console must stop.
    InputFailed(String),
    /// The worker thread ended although the console still runs.
    WorkerStopped,
    /// SIGTERM, SIGHUP or SIGINT: quit now, restoring the terminal.
    Terminated {
        signal: &'static str,
    },
}

/// Something to do outside `update`: run by the worker, except `Quit` which the loop handles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cmd {
    LoadDay {
        generation: u64,
        date: NaiveDate,
    },
    Search {
        generation: u64,
        query: String,
    },
    SetStatus {
        id: AppointmentId,
        to: AppointmentStatus,
    },
    LoadProvider,
    Quit,
}

impl Cmd {
    /// What this command does in the permission table's words (`None`: needs no permission).
    /// Every command a screen sends has an arm here, so one check before the worker runs it
    /// decides for every screen; a new command without its arm does not compile.
    pub fn permission(&self) -> Option<StaffAction> {
        match self {
            Cmd::LoadDay { .. } | Cmd::Search { .. } | Cmd::LoadProvider => {
                Some(StaffAction::ViewSchedule)
            }
            Cmd::SetStatus { .. } => Some(StaffAction::ChangeAppointmentStatus),
            Cmd::Quit => None,
        }
    }
}

/// What the user meant by a key, looked up in the keymap for the current context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    PrevDay,
    NextDay,
    Today,
    Up,
    Down,
    PageUp,
    PageDown,
    First,
    Last,
    /// Mark the selected appointment with this status.
    Mark(AppointmentStatus),
    ToggleUnconfirmed,
    OpenSearch,
    OpenHelp,
    Reload,
    /// Yes / open (Enter).
    Accept,
    /// No / close (Esc).
    Close,
    Quit,
}
