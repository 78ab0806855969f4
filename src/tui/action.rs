//! What a key means on the current screen (looked up in `keymap`), and which permission it
//! leads to — a hint for the footer and help; the refusing check is on the commands.

use crate::domain::appointment::AppointmentStatus;
use crate::domain::staff::Action as StaffAction;

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
    // batch
    /// Send again what a batch left waiting.
    RetryFailures,
    /// Mark / unmark the selected row (several patients for one portal prompt).
    ToggleMark,
    /// Open the portal prompt screen for the marked patients.
    OpenPrompts,
    // sign-in
    /// Lock the console now (`L`).
    Lock,
    /// Open the Staff screen (admins).
    OpenStaff,
    /// Leave a screen for the day view.
    Back,
    AddStaff,
    DisableStaff,
    EnableStaff,
    ResetStaff,
    ChangeRole,
    // managers
    OpenStatistics,
    OpenTemplates,
    OpenAudit,
    /// Move sideways within a screen (tiles, tabs, the cursor).
    Left,
    Right,
    /// The next preset period / a custom one.
    NextPeriod,
    CustomPeriod,
    NextView,
    PrevView,
    Export,
    Save,
    /// Delete before / at the cursor while typing.
    Backspace,
    Delete,
    Edit,
    VerifyChain,
    ComplianceReview,
    ConsentReview,
    Filter,
    /// Load the next (older) page.
    More,
    /// Edit starting from the built-in wording.
    EditDefault,
    // closure
    /// Confirm the visit a reply is about.
    ConfirmReply,
    /// Put the visit a reply is about on the call-back list.
    FlagReply,
    /// Record the opt-out a reply asks for in the patient's own words (asks first).
    OptOutReply,
    /// The closure / schedule-change notice screen.
    OpenClosure,
}

impl Action {
    /// What the action leads to in the permission table's words, so the footer and help can
    /// show a key as unavailable to the signed-in role. Only a hint: the check that refuses
    /// is on the commands (`Cmd::permission`).
    pub fn permission(self) -> Option<StaffAction> {
        match self {
            Self::Mark(_) => Some(StaffAction::ChangeAppointmentStatus),
            Self::OpenStaff => Some(StaffAction::ListStaff),
            Self::WriteText | Self::SendText => Some(StaffAction::SendCustomText),
            Self::PromptPicker | Self::PromptInstead => Some(StaffAction::SendPortalPrompt),
            Self::ConsentForm => Some(StaffAction::RecordConsent),
            Self::OptOutForm => Some(StaffAction::RecordOptOut),
            Self::PhoneForm => Some(StaffAction::FixPhone),
            Self::MarkHandled => Some(StaffAction::HandleReply),
            Self::OpenBatch | Self::RetryFailures => Some(StaffAction::SendReminders),
            Self::OpenPrompts => Some(StaffAction::SendPortalPrompt),
            Self::Undo => Some(StaffAction::ChangeAppointmentStatus),
            Self::OpenStatistics => Some(StaffAction::ViewStatistics),
            Self::OpenTemplates => Some(StaffAction::ViewTemplates),
            Self::OpenAudit | Self::VerifyChain => Some(StaffAction::ViewAudit),
            Self::Export => Some(StaffAction::ExportData),
            Self::Save => Some(StaffAction::EditTemplates),
            Self::ComplianceReview => Some(StaffAction::ReviewAudit),
            Self::ConsentReview => Some(StaffAction::ReviewConsent),
            // closure
            Self::ConfirmReply => Some(StaffAction::ChangeAppointmentStatus),
            Self::FlagReply => Some(StaffAction::HandleReply),
            Self::OptOutReply => Some(StaffAction::RecordOptOut),
            Self::OpenClosure => Some(StaffAction::SendClosureNotice),
            Self::AddStaff
            | Self::DisableStaff
            | Self::EnableStaff
            | Self::ResetStaff
            | Self::ChangeRole => Some(StaffAction::ManageStaff),
            _ => None,
        }
    }
}
