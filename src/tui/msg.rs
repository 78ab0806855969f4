//! The console's vocabulary: `Msg` says what happened, `Cmd` what to do, `Action` what the
//! user meant. Plain data; no IO, no terminal.

use chrono::{DateTime, NaiveDate, Utc};
use ratatui::crossterm::event::KeyEvent;

use crate::domain::appointment::AppointmentStatus;
use crate::domain::batch::BatchEvent;
use crate::domain::batch::window::LocalWindow;
use crate::domain::consent::ConsentMethod;
use crate::domain::day::{DaySheet, PatientHit};
use crate::domain::ids::{AppointmentId, MessageId, PatientId};
use crate::domain::inbox::{Inbox, InboxEntry, ReplyAction};
use crate::domain::message::MessageKind;
use crate::domain::patient_file::PatientFile;
use crate::domain::staff::Action as StaffAction;
use crate::domain::staff::{Member, Role, Secret, StaffMember};
pub use crate::tui::action::Action;
use crate::workflow::batch_desk::BatchView;
use crate::workflow::day::ProviderStatus;
use crate::workflow::send::SendReport;
// closure
use crate::domain::ids::ClinicianId;
use crate::workflow::closure_desk::ClosureView;
// managers
use crate::domain::audit::AuditRecord;
use crate::domain::stats::{Period, StatsReport};
use crate::workflow::audit::ChainReport;
use crate::workflow::compliance::ComplianceReport;
use crate::workflow::consent_review::ConsentReview;
use crate::workflow::manager_views::{AuditQuery, DrillLine, TemplateText};
use crate::workflow::template_editor::TemplatePreview;

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
    /// A reminder batch: a preview (`sent: false`) or what the run did.
    Batch {
        sent: bool,
        result: Result<BatchView, String>,
    },
    // closure
    /// A reply was acted on from the inbox (`Ok`: what was done, in words) or refused.
    ReplyActed {
        result: Result<String, String>,
    },
    // closure
    /// The clinicians a schedule-change notice may be about.
    ClinicianList(Result<Vec<(ClinicianId, String)>, String>),
    // closure
    /// A closure notice's preview (`sent: false`) or what its send did.
    ClosureDone {
        /// What was asked: the list is for this window and these words.
        draft: ClosureDraft,
        sent: bool,
        result: Result<ClosureView, String>,
    },
    // batch
    /// One step of a batch being sent, for the gauge.
    BatchProgress(BatchEvent),
    /// A portal prompt to several patients: the preview (`sent: false`) or the results.
    Prompts {
        sent: bool,
        result: Result<SendReport, String>,
    },
    // sign-in
    /// The loop read the one clock: before every key, and once a second while someone is
    /// signed in (the idle lock counts from these).
    Now(DateTime<Utc>),
    /// A sign-in was checked on the worker: the member, or what to tell the person.
    SignedIn(Result<Member, String>),
    /// The staff list for load `generation`; `now` is the worker's clock (for lockouts).
    StaffListed {
        generation: u64,
        now: DateTime<Utc>,
        result: Result<Vec<StaffMember>, String>,
    },
    /// A staff change was written (or refused, with the reason).
    StaffChanged {
        change: StaffChangeKind,
        username: String,
        result: Result<StaffMember, String>,
    },
    // managers: the statistics, templates and audit screens' results.
    StatsLoaded {
        generation: u64,
        result: Result<Box<StatsReport>, String>,
    },
    StatsDrilled {
        generation: u64,
        result: Result<Vec<DrillLine>, String>,
    },
    /// The statistics CSV was written (its path) or not (why).
    StatsExported(Result<String, String>),
    TemplatesLoaded(Result<Vec<TemplateText>, String>),
    TemplatePreviewed {
        generation: u64,
        preview: Box<TemplatePreview>,
    },
    TemplateSaved {
        kind: MessageKind,
        result: Result<(), String>,
    },
    AuditLoaded {
        generation: u64,
        result: Result<Vec<AuditRecord>, String>,
    },
    AuditVerified(Result<ChainReport, String>),
    ComplianceReviewed(Result<Box<ComplianceReport>, String>),
    ConsentReviewed(Result<Box<ConsentReview>, String>),
}

/// A change to a staff account, as the Staff screen asks for it (SPEC §3.9). Secrets travel
/// as [`Secret`], whose `Debug` hides them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StaffChange {
    Add {
        username: String,
        display_name: String,
        role: Role,
        secret: Secret,
    },
    Disable {
        username: String,
    },
    Enable {
        username: String,
    },
    Reset {
        username: String,
        secret: Secret,
    },
    Role {
        username: String,
        role: Role,
        /// A new password, required when the new role is admin.
        password: Option<Secret>,
    },
}

/// Which change, for the message that says it was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffChangeKind {
    Added,
    Disabled,
    Enabled,
    Reset,
    RoleChanged,
}

impl StaffChange {
    pub fn kind(&self) -> StaffChangeKind {
        match self {
            Self::Add { .. } => StaffChangeKind::Added,
            Self::Disable { .. } => StaffChangeKind::Disabled,
            Self::Enable { .. } => StaffChangeKind::Enabled,
            Self::Reset { .. } => StaffChangeKind::Reset,
            Self::Role { .. } => StaffChangeKind::RoleChanged,
        }
    }

    /// The member the change is about.
    pub fn username(&self) -> &str {
        match self {
            Self::Add { username, .. }
            | Self::Disable { username }
            | Self::Enable { username }
            | Self::Reset { username, .. }
            | Self::Role { username, .. } => username,
        }
    }
}

// closure
/// A closure notice as the desk wrote it: the window (practice time, already checked) and
/// the words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClosureDraft {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Only this clinician's visits; `None`: everyone booked.
    pub clinician: Option<ClinicianId>,
    pub text: String,
}

/// Something to do outside `update`: run by the worker, except `Quit` which the loop handles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cmd {
    LoadDay {
        generation: u64,
        date: NaiveDate,
    },
    /// The reminder cells of the day a `LoadDay` answered with its sheet first (the worker
    /// holds that sheet); the answer is that load's `DayLoaded` again, cells filled.
    LoadCells {
        generation: u64,
        date: NaiveDate,
    },
    /// The day the desk can go to next with one key besides the shown day's neighbours and
    /// today: the selected search hit's next visit (Enter shows it). The worker loads it
    /// ahead while idle; `None`: nothing expected. No answer.
    ExpectDay {
        date: Option<NaiveDate>,
    },
    /// The console locked: the worker stops loading days ahead and lets go of the days it
    /// kept until a day is shown again (nobody is looking, and a locked console must not keep
    /// a shared host reading busy days all night). No answer.
    Locked,
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
    // closure
    /// Confirm the reply's visit, flag it, or record the opt-out it asks for; marks it handled.
    ReplyAct {
        message: MessageId,
        action: ReplyAction,
    },
    // closure
    /// The clinicians, for the closure screen's "who" choice.
    LoadClinicians,
    // closure
    /// Who a closure notice would reach, and who not and why (writes nothing).
    PreviewClosure(ClosureDraft),
    // closure
    /// Send the closure notice: call-backs for the unreachable, visits marked for rebooking.
    SendClosure(ClosureDraft),
    // batch
    /// What the batch for this day or window would do (writes nothing).
    PreviewReminders {
        window: LocalWindow,
    },
    /// Send it, off the worker's loop, under the send lock.
    SendReminders {
        window: LocalWindow,
    },
    /// Send again the texts a batch left waiting.
    RetryReminders {
        ids: Vec<MessageId>,
    },
    /// Stop the batch being sent after the texts in flight.
    CancelReminders,
    /// Each patient's rendered prompt as the gate and the rules judge it (writes nothing).
    PreviewPrompts {
        patients: Vec<PatientId>,
        kind: MessageKind,
    },
    /// Send the prompt to each of them (the single prompt's workflow).
    SendPrompts {
        patients: Vec<PatientId>,
        kind: MessageKind,
    },
    // sign-in
    /// Check a username and PIN/password (Argon2id, tens of milliseconds: never in `update`).
    SignIn {
        username: String,
        secret: Secret,
    },
    ListStaff {
        generation: u64,
    },
    ChangeStaff(StaffChange),
    // managers
    LoadStats {
        generation: u64,
        period: Period,
    },
    /// The drill-down's lines for these appointments (from `StatsReport::appointments_behind`).
    DrillStats {
        generation: u64,
        ids: Vec<AppointmentId>,
    },
    /// Write the period's statistics as CSV next to the database.
    ExportStats {
        period: Period,
    },
    LoadTemplates,
    /// Render and judge a template body being edited (every keystroke).
    PreviewTemplate {
        generation: u64,
        kind: MessageKind,
        body: String,
    },
    SaveTemplate {
        kind: MessageKind,
        body: String,
    },
    LoadAudit {
        generation: u64,
        query: AuditQuery,
    },
    VerifyAudit,
    ReviewCompliance,
    ReviewConsent,
}

impl Cmd {
    /// What this command does in the permission table's words (`None`: needs no permission).
    /// Every command a screen sends has an arm here, so one check before the worker runs it
    /// decides for every screen; a new command without its arm does not compile.
    pub fn permission(&self) -> Option<StaffAction> {
        match self {
            Cmd::LoadDay { .. }
            | Cmd::LoadCells { .. }
            | Cmd::ExpectDay { .. }
            | Cmd::Search { .. }
            | Cmd::LoadProvider => Some(StaffAction::ViewSchedule),
            Cmd::SetStatus { .. } => Some(StaffAction::ChangeAppointmentStatus),
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
            // closure
            Cmd::ReplyAct { action, .. } => Some(match action {
                ReplyAction::Confirm => StaffAction::ChangeAppointmentStatus,
                ReplyAction::Flag => StaffAction::HandleReply,
                ReplyAction::OptOut => StaffAction::RecordOptOut,
            }),
            // A preview names every patient booked in the window: as the send itself.
            Cmd::PreviewClosure(_) | Cmd::SendClosure(_) => Some(StaffAction::SendClosureNotice),
            Cmd::LoadClinicians => Some(StaffAction::ViewSchedule),
            Cmd::PreviewReminders { .. } => Some(StaffAction::ViewSchedule),
            Cmd::SendReminders { .. } | Cmd::RetryReminders { .. } | Cmd::CancelReminders => {
                Some(StaffAction::SendReminders)
            }
            Cmd::PreviewPrompts { .. } | Cmd::SendPrompts { .. } => {
                Some(StaffAction::SendPortalPrompt)
            }
            // Quitting and signing in are what a person does before any permission applies.
            Cmd::Quit | Cmd::SignIn { .. } | Cmd::Locked => None,
            Cmd::ListStaff { .. } => Some(StaffAction::ListStaff),
            Cmd::ChangeStaff(_) => Some(StaffAction::ManageStaff),
            // managers
            Cmd::LoadStats { .. } | Cmd::DrillStats { .. } => Some(StaffAction::ViewStatistics),
            Cmd::ExportStats { .. } => Some(StaffAction::ExportData),
            Cmd::LoadTemplates | Cmd::PreviewTemplate { .. } => Some(StaffAction::ViewTemplates),
            Cmd::SaveTemplate { .. } => Some(StaffAction::EditTemplates),
            Cmd::LoadAudit { .. } => Some(StaffAction::ViewAudit),
            Cmd::VerifyAudit => Some(StaffAction::VerifyAudit),
            Cmd::ReviewCompliance => Some(StaffAction::ReviewAudit),
            Cmd::ReviewConsent => Some(StaffAction::ReviewConsent),
        }
    }
}
