//! The one permission table: every screen action and command of SPEC §3–§4, the least role
//! that may take it, and whether the machine itself (`system`: cron, scripts, `init`) may.
//!
//! Roles nest (reception < manager < admin), so one column says who may. Screens and
//! commands ask [`may`] or [`Actor::may`](super::Actor::may); nothing else decides.

use serde::Serialize;

use super::{Actor, Role};

/// What someone means to do. One variant per screen action or command (SPEC §3–§4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    // Day view and patient screen (SPEC §3.2, §3.3).
    /// Open the day view, move between days, search patients, open a patient.
    ViewSchedule,
    /// Mark confirmed, arrived, completed, no-show or cancelled.
    ChangeAppointmentStatus,
    /// `patients add`, `appointments add|move|cancel`.
    EditSchedule,
    /// Record a patient's written SMS consent.
    RecordConsent,
    /// Record a patient's opt-out.
    RecordOptOut,
    /// Fix or re-verify a patient's mobile number.
    FixPhone,
    /// Mark a reply in the reply inbox as dealt with.
    HandleReply,
    // Sending (SPEC §3.4, §3.5, §4).
    /// A reminder batch, its retry of failures, and `remind`.
    SendReminders,
    /// A "please log in" prompt.
    SendPortalPrompt,
    /// A custom SMS written at the desk.
    SendCustomText,
    /// A closure or schedule-change notice to everyone booked in a window.
    SendClosureNotice,
    /// `sync`: replies and delivery statuses from the provider, then the outbox.
    SyncProvider,
    /// `phi check`: the gate's verdict on a text.
    CheckText,
    // Templates (SPEC §3.6).
    ViewTemplates,
    EditTemplates,
    // Statistics and exports (SPEC §3.7, §4).
    ViewStatistics,
    /// Statistics, appointments or messages as CSV/JSON, without message bodies.
    ExportData,
    /// Messages with their bodies.
    ExportMessageBodies,
    // Audit and consent review (SPEC §3.8).
    ViewAudit,
    VerifyAudit,
    ExportAudit,
    /// `audit review`: re-scan templates and sent bodies with the current gate.
    ReviewAudit,
    /// `consent review`: opt-ins older than 12 months or without evidence.
    ReviewConsent,
    /// `consent export --patient`: one patient's consent history for a dispute.
    ExportConsent,
    // Administration (SPEC §3.9, §4).
    /// The staff list.
    ListStaff,
    /// Add, disable, re-enable, reset or change the role of a member.
    ManageStaff,
    Backup,
    Restore,
    /// `import csv|fhir`.
    Import,
    /// `init`: the practice's config, database and first admin.
    InitPractice,
}

/// One row of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The least role that may.
    pub least: Role,
    /// Whether `system` (no person signed in: cron, scripts, `init`) may.
    pub system: bool,
}

const fn row(least: Role, system: bool) -> Rule {
    Rule { least, system }
}

use Role::{Admin, Manager, Reception};

/// THE table. Why `system` may: scheduled and scripted runs (reminders, sync, nightly import,
/// backup, archiving the audit trail) have no person at the keyboard. Why it may not: the act
/// is a person's decision that must name them (consent, phone fixes, custom texts, status
/// changes, templates, staff, restores, exports that carry message bodies or one patient's
/// history).
pub const fn rule(action: Action) -> Rule {
    match action {
        Action::ViewSchedule => row(Reception, false),
        Action::ChangeAppointmentStatus => row(Reception, false),
        Action::EditSchedule => row(Reception, false),
        Action::RecordConsent => row(Reception, false),
        Action::RecordOptOut => row(Reception, false),
        Action::FixPhone => row(Reception, false),
        Action::HandleReply => row(Reception, false),
        Action::SendReminders => row(Reception, true),
        Action::SendPortalPrompt => row(Reception, true),
        Action::SendCustomText => row(Reception, false),
        // The desk announces a closure (a snow day, a burst pipe) as it sends tomorrow's batch:
        // the same reach, the same PHI gate, named in the audit. An integration that mirrors
        // the practice calendar may send it as `system`.
        Action::SendClosureNotice => row(Reception, true),
        Action::SyncProvider => row(Reception, true),
        Action::CheckText => row(Reception, true),
        Action::ViewTemplates => row(Reception, true),
        Action::EditTemplates => row(Manager, false),
        Action::ViewStatistics => row(Manager, true),
        Action::ExportData => row(Manager, true),
        // Bodies are the most revealing export (names with what was said): a manager at least
        // (issue 12: "bodies only with --with-bodies and a manager"), always a named person,
        // never `system`.
        Action::ExportMessageBodies => row(Manager, false),
        Action::ViewAudit => row(Manager, true),
        Action::VerifyAudit => row(Manager, true),
        Action::ExportAudit => row(Manager, true),
        Action::ReviewAudit => row(Manager, true),
        Action::ReviewConsent => row(Manager, true),
        Action::ExportConsent => row(Manager, false),
        Action::ListStaff => row(Admin, false),
        Action::ManageStaff => row(Admin, false),
        Action::Backup => row(Admin, true),
        Action::Restore => row(Admin, false),
        Action::Import => row(Manager, true),
        // `init` runs before any account exists: it is the system creating the first admin.
        Action::InitPractice => row(Admin, true),
    }
}

/// Whether a member with `role` may take `action`.
pub const fn may(role: Role, action: Action) -> bool {
    role as u8 >= rule(action).least as u8
}

impl Action {
    /// Every action, for tables and tests.
    pub const ALL: [Action; 30] = [
        Action::ViewSchedule,
        Action::ChangeAppointmentStatus,
        Action::EditSchedule,
        Action::RecordConsent,
        Action::RecordOptOut,
        Action::FixPhone,
        Action::HandleReply,
        Action::SendReminders,
        Action::SendPortalPrompt,
        Action::SendCustomText,
        Action::SendClosureNotice,
        Action::SyncProvider,
        Action::CheckText,
        Action::ViewTemplates,
        Action::EditTemplates,
        Action::ViewStatistics,
        Action::ExportData,
        Action::ExportMessageBodies,
        Action::ViewAudit,
        Action::VerifyAudit,
        Action::ExportAudit,
        Action::ReviewAudit,
        Action::ReviewConsent,
        Action::ExportConsent,
        Action::ListStaff,
        Action::ManageStaff,
        Action::Backup,
        Action::Restore,
        Action::Import,
        Action::InitPractice,
    ];

    /// In words, for "may not …" messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::ViewSchedule => "open the schedule",
            Self::ChangeAppointmentStatus => "change an appointment's status",
            Self::EditSchedule => "add or change patients and appointments",
            Self::RecordConsent => "record SMS consent",
            Self::RecordOptOut => "record an opt-out",
            Self::FixPhone => "fix a phone number",
            Self::HandleReply => "mark a reply as dealt with",
            Self::SendReminders => "send reminders",
            Self::SendPortalPrompt => "send a portal prompt",
            Self::SendCustomText => "write a custom text",
            Self::SendClosureNotice => "send a closure notice",
            Self::SyncProvider => "sync with the SMS provider",
            Self::CheckText => "check a text with the PHI gate",
            Self::ViewTemplates => "see the templates",
            Self::EditTemplates => "edit templates",
            Self::ViewStatistics => "see statistics",
            Self::ExportData => "export data",
            Self::ExportMessageBodies => "export message bodies",
            Self::ViewAudit => "see the audit trail",
            Self::VerifyAudit => "verify the audit trail",
            Self::ExportAudit => "export the audit trail",
            Self::ReviewAudit => "run the compliance review",
            Self::ReviewConsent => "review consent",
            Self::ExportConsent => "export a patient's consent history",
            Self::ListStaff => "list staff accounts",
            Self::ManageStaff => "manage staff accounts",
            Self::Backup => "back up the database",
            Self::Restore => "restore a backup",
            Self::Import => "import patients and appointments",
            Self::InitPractice => "set up the practice",
        }
    }
}

/// Why an actor may not take an action.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("{username} ({role}) may not {what}; it needs {needs}", what = .action.describe(), needs = needs(*.action))]
    Role {
        username: String,
        role: Role,
        action: Action,
    },
    #[error("to {what} a person must be named: it needs {needs}", what = .action.describe(), needs = needs(*.action))]
    NeedsPerson { action: Action },
}

/// "a manager or an admin", from the table.
fn needs(action: Action) -> &'static str {
    match rule(action).least {
        Reception => "a member of staff",
        Manager => "a manager or an admin",
        Admin => "an admin",
    }
}

/// The table applied to an actor.
pub fn check(actor: &Actor, action: Action) -> Result<(), Denied> {
    match actor {
        Actor::System if rule(action).system => Ok(()),
        Actor::System => Err(Denied::NeedsPerson { action }),
        Actor::Member(m) if may(m.role, action) => Ok(()),
        Actor::Member(m) => Err(Denied::Role {
            username: m.username.clone(),
            role: m.role,
            action,
        }),
    }
}
