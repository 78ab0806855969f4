//! The console's vocabulary: `Msg` says what happened, `Cmd` what to do, `Action` what the
//! user meant. Plain data; no IO, no terminal.

use chrono::{DateTime, NaiveDate, Utc};
use ratatui::crossterm::event::KeyEvent;

use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent::ConsentMethod;
use crate::domain::day::{DaySheet, PatientHit};
use crate::domain::ids::{AppointmentId, PatientId};
use crate::domain::inbox::{Inbox, InboxEntry};
use crate::domain::message::MessageKind;
use crate::domain::patient_file::PatientFile;
use crate::domain::staff::Action as StaffAction;
use crate::workflow::batch_desk::BatchView;
use crate::workflow::day::ProviderStatus;
use crate::workflow::send::SendReport;

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
    // reception
    /// A patient's record arrived for load `generation`.
    PatientLoaded {
        generation: u64,
        now: DateTime<Utc>,
        result: Result<PatientFile, String>,
    },
    // reception
    /// Consent, opt-out or number recorded (`Ok`: what was done, in words) or refused.
    PatientChanged {
        patient: PatientId,
        result: Result<String, String>,
    },
    // reception
    /// A portal prompt or custom text went its way (the report says how) or failed.
    TextSent {
        patient: PatientId,
        result: Result<SendReport, String>,
    },
    // reception
    /// The reply inbox and call-back list (generation 0: only the footer's counts asked).
    InboxLoaded {
        generation: u64,
        result: Result<Inbox, String>,
    },
    // reception
    /// A line of the inbox marked handled (or why not).
    InboxHandled {
        result: Result<(), String>,
    },
    // reception
    /// A status change was undone (`to`: the status it went back to), or why not.
    StatusUndone {
        id: AppointmentId,
        to: AppointmentStatus,
        result: Result<(), String>,
    },
    // reception
    /// Time to ask whether another process changed the database.
    PollDue,
    // reception
    /// The database's data version (it moves when another process commits).
    DataVersion(Result<i64, String>),
    // reception
    /// The reminders due now: a preview (`sent: false`) or what the run did.
    Batch {
        sent: bool,
        result: Result<BatchView, String>,
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
    // reception
    LoadPatient {
        generation: u64,
        patient: PatientId,
    },
    // reception
    RecordConsent {
        patient: PatientId,
        method: ConsentMethod,
        evidence: String,
        signed_on: NaiveDate,
    },
    // reception
    RecordOptOut {
        patient: PatientId,
        method: ConsentMethod,
    },
    // reception
    FixPhone {
        patient: PatientId,
        number: String,
    },
    // reception
    SendPortalPrompt {
        patient: PatientId,
        kind: MessageKind,
    },
    // reception
    SendCustomText {
        patient: PatientId,
        text: String,
    },
    // reception
    LoadInbox {
        generation: u64,
    },
    // reception
    HandleInbox {
        entry: InboxEntry,
    },
    // reception
    /// Put `id` back from `now_is` to `back_to` (the desk's last change, same day).
    UndoStatus {
        id: AppointmentId,
        now_is: AppointmentStatus,
        back_to: AppointmentStatus,
    },
    // reception
    PollChanges,
    // reception
    PreviewReminders,
    // reception
    SendReminders,
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
            // reception
            Cmd::LoadPatient { .. } => Some(StaffAction::ViewSchedule),
            Cmd::RecordConsent { .. } => Some(StaffAction::RecordConsent),
            Cmd::RecordOptOut { .. } => Some(StaffAction::RecordOptOut),
            Cmd::FixPhone { .. } => Some(StaffAction::FixPhone),
            Cmd::SendPortalPrompt { .. } => Some(StaffAction::SendPortalPrompt),
            Cmd::SendCustomText { .. } => Some(StaffAction::SendCustomText),
            Cmd::LoadInbox { .. } => Some(StaffAction::ViewSchedule),
            Cmd::HandleInbox { .. } => Some(StaffAction::HandleReply),
            Cmd::UndoStatus { .. } => Some(StaffAction::ChangeAppointmentStatus),
            Cmd::PollChanges => Some(StaffAction::ViewSchedule),
            Cmd::PreviewReminders => Some(StaffAction::ViewSchedule),
            Cmd::SendReminders => Some(StaffAction::SendReminders),
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
    // reception
    /// Open the patient screen (from the day view or the search).
    OpenPatient,
    ConsentForm,
    OptOutForm,
    PhoneForm,
    PromptPicker,
    WriteText,
    /// Send the text being written (or the chosen prompt).
    SendText,
    /// The text is blocked: pick a portal prompt instead.
    PromptInstead,
    NextField,
    PrevField,
    PrevChoice,
    NextChoice,
    OpenInbox,
    MarkHandled,
    /// Undo the last status change made at this desk (same day).
    Undo,
    OpenBatch,
}
