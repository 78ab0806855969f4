//! The one table from keys to actions. The footer and the `?` help overlay are generated from
//! it, so what the screen says is always what the keys do. Imports crossterm key types only.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::msg::Action;
use super::strings::section;
use crate::domain::appointment::AppointmentStatus;

/// Where the keys are being read: the screen, or the modal on top of it. A new screen or
/// modal adds a variant here, its rows to [`BINDINGS`] and its section to [`SECTIONS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    Day,
    Search,
    Confirm,
    Help,
    /// Bindings that work everywhere (checked after the context's own).
    Anywhere,
    // reception
    Patient,
    /// The custom text / portal prompt box.
    Compose,
    /// The consent, opt-out and phone forms.
    Form,
    /// The reply inbox and the call-back list.
    Inbox,
    /// The reminder batch: preview, send, results.
    Batch,
    // closure
    /// The closure / schedule-change notice: window, words (letters type), who gets it, send.
    Closure,
    // batch
    /// Typing the batch's day or window (letters type).
    BatchWindow,
    /// The portal prompt to several patients.
    Prompts,
    // sign-in
    /// The lock / sign-in screen (typed keys go into its fields).
    Lock,
    /// The Staff screen.
    Staff,
    /// The form that adds a member, resets a PIN, changes a role or disables.
    StaffForm,
    // managers
    Stats,
    /// The appointments behind a number (statistics drill-down).
    StatsDrill,
    /// Typing a custom period (letters type; only Enter, Esc, Backspace are keys).
    StatsPeriod,
    Templates,
    /// Editing a template body (letters type).
    TemplateEdit,
    Audit,
    /// Typing the audit log's filter (letters type).
    AuditFilter,
}

/// One key, with the modifiers that must be held (Shift is ignored for characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn k(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

const fn ch(c: char) -> Key {
    k(KeyCode::Char(c))
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}

/// One row of the table.
#[derive(Clone, Copy, Debug)]
pub struct Binding {
    pub context: Context,
    /// The first key is the one the footer names; help names them all.
    pub keys: &'static [Key],
    pub action: Action,
    /// What the help overlay says.
    pub help: &'static str,
    /// The footer's short word; `None` keeps the binding out of the footer. Consecutive
    /// bindings with the same word share one footer item ("←/→ day").
    pub footer: Option<&'static str>,
}

const fn b(
    context: Context,
    keys: &'static [Key],
    action: Action,
    help: &'static str,
    footer: Option<&'static str>,
) -> Binding {
    Binding {
        context,
        keys,
        action,
        help,
        footer,
    }
}

use AppointmentStatus as S;
use Context::{Anywhere, Confirm, Day, Help, Lock, Search, Staff, StaffForm};
// reception
use Context::{Batch, Compose, Form, Inbox, Patient};
// closure
use Context::Closure;
// batch
use Context::{BatchWindow, Prompts};
// managers
use Context::{Audit, AuditFilter, Stats, StatsDrill, StatsPeriod, TemplateEdit, Templates};

const BACK_TAB: Key = Key {
    code: KeyCode::BackTab,
    mods: KeyModifiers::SHIFT,
};

/// The keymap. Order is the footer's order.
#[rustfmt::skip]
pub static BINDINGS: &[Binding] = &[
    b(Day, &[k(KeyCode::Left)], Action::PrevDay, "previous day", Some("day")),
    b(Day, &[k(KeyCode::Right)], Action::NextDay, "next day", Some("day")),
    b(Day, &[ch('t')], Action::Today, "back to today", Some("today")),
    b(Day, &[k(KeyCode::Up), ch('k')], Action::Up, "select previous appointment", Some("move")),
    b(Day, &[k(KeyCode::Down), ch('j')], Action::Down, "select next appointment", Some("move")),
    b(Day, &[k(KeyCode::PageUp)], Action::PageUp, "one page up", None),
    b(Day, &[k(KeyCode::PageDown)], Action::PageDown, "one page down", None),
    b(Day, &[k(KeyCode::Home), ch('g')], Action::First, "first appointment", None),
    b(Day, &[k(KeyCode::End), ch('G')], Action::Last, "last appointment", None),
    b(Day, &[ch('a')], Action::Mark(S::Arrived), "mark arrived (patient is here)", Some("arrived")),
    b(Day, &[ch('d')], Action::Mark(S::Completed), "mark done (visit completed)", Some("done")),
    b(Day, &[ch('c')], Action::Mark(S::Confirmed), "mark confirmed (patient confirmed by phone or in person)", Some("confirmed")),
    b(Day, &[ch('n')], Action::Mark(S::NoShow), "mark no-show (asks first)", Some("no-show")),
    b(Day, &[ch('x')], Action::Mark(S::Cancelled), "cancel the appointment (asks first)", Some("cancel")),
    b(Day, &[ch('u')], Action::ToggleUnconfirmed, "show only unconfirmed / show all", Some("unconfirmed")),
    b(Day, &[ch('/')], Action::OpenSearch, "find a patient by name or phone", Some("search")),
    b(Day, &[ch('r')], Action::Reload, "reload the day", Some("refresh")),
    b(Day, &[ch('U')], Action::OpenStaff, "staff accounts (admins)", Some("staff")),
    b(Day, &[ch('L')], Action::Lock, "lock the console now", Some("lock")),
    b(Day, &[ch('?')], Action::OpenHelp, "this help", Some("help")),
    b(Day, &[ch('q')], Action::Quit, "quit", Some("quit")),
    b(Search, &[k(KeyCode::Up)], Action::Up, "previous patient", Some("move")),
    b(Search, &[k(KeyCode::Down)], Action::Down, "next patient", Some("move")),
    b(Search, &[k(KeyCode::Enter)], Action::Accept, "open the day of their next appointment", Some("open day")),
    b(Search, &[k(KeyCode::Esc)], Action::Close, "close the search", Some("close")),
    b(Confirm, &[ch('y'), k(KeyCode::Enter)], Action::Accept, "yes, make the change", Some("yes")),
    b(Confirm, &[ch('n'), k(KeyCode::Esc)], Action::Close, "no, leave it as it is", Some("no")),
    b(Help, &[k(KeyCode::Up), ch('k')], Action::Up, "scroll up", Some("scroll")),
    b(Help, &[k(KeyCode::Down), ch('j')], Action::Down, "scroll down", Some("scroll")),
    b(Help, &[k(KeyCode::Esc), ch('?'), ch('q')], Action::Close, "close the help", Some("close")),
    b(Anywhere, &[ctrl('c')], Action::Quit, "quit at once", None),
    // reception
    b(Day, &[ch('p'), k(KeyCode::Enter)], Action::OpenPatient, "open the patient of the selected appointment", Some("patient")),
    b(Search, &[k(KeyCode::Tab)], Action::OpenPatient, "open the patient screen", Some("patient")),
    b(Patient, &[k(KeyCode::Up), ch('k')], Action::Up, "scroll up", Some("scroll")),
    b(Patient, &[k(KeyCode::Down), ch('j')], Action::Down, "scroll down", Some("scroll")),
    b(Patient, &[k(KeyCode::PageUp)], Action::PageUp, "one page up", None),
    b(Patient, &[k(KeyCode::PageDown)], Action::PageDown, "one page down", None),
    b(Patient, &[ch('w')], Action::WriteText, "write a text (checked by the PHI gate as you type)", Some("text")),
    b(Patient, &[ch('p')], Action::PromptPicker, "send a portal prompt (\"please log in\")", Some("prompt")),
    b(Patient, &[ch('i')], Action::ConsentForm, "record SMS consent (signed form, e-signature, portal)", Some("consent")),
    b(Patient, &[ch('o')], Action::OptOutForm, "record an opt-out", Some("opt-out")),
    b(Patient, &[ch('m')], Action::PhoneForm, "fix the mobile number", Some("mobile")),
    b(Patient, &[ch('r')], Action::Reload, "reload the patient", Some("refresh")),
    b(Patient, &[k(KeyCode::Esc)], Action::Close, "back to where you were", Some("back")),
    b(Patient, &[ch('?')], Action::OpenHelp, "this help", Some("help")),
    b(Patient, &[ch('q')], Action::Quit, "quit", Some("quit")),
    b(Compose, &[k(KeyCode::Enter)], Action::SendText, "send (refused while the PHI gate blocks)", Some("send")),
    b(Compose, &[ctrl('p')], Action::PromptInstead, "send a portal prompt instead", Some("portal prompt instead")),
    b(Compose, &[k(KeyCode::Up)], Action::Up, "previous prompt", None),
    b(Compose, &[k(KeyCode::Down)], Action::Down, "next prompt", None),
    b(Compose, &[k(KeyCode::Esc)], Action::Close, "close without sending", Some("close")),
    b(Form, &[k(KeyCode::Tab), k(KeyCode::Down)], Action::NextField, "next field", Some("field")),
    b(Form, &[k(KeyCode::BackTab), k(KeyCode::Up)], Action::PrevField, "previous field", Some("field")),
    b(Form, &[k(KeyCode::Left)], Action::PrevChoice, "previous choice", Some("choose")),
    b(Form, &[k(KeyCode::Right)], Action::NextChoice, "next choice", Some("choose")),
    b(Form, &[k(KeyCode::Enter)], Action::Accept, "record it", Some("record")),
    b(Form, &[k(KeyCode::Esc)], Action::Close, "close without recording", Some("close")),
    b(Day, &[ch('i')], Action::OpenInbox, "replies to read and patients to call back", Some("inbox")),
    b(Day, &[ch('z')], Action::Undo, "undo the last status change (same day)", Some("undo")),
    b(Inbox, &[k(KeyCode::Up), ch('k')], Action::Up, "previous line", Some("move")),
    b(Inbox, &[k(KeyCode::Down), ch('j')], Action::Down, "next line", Some("move")),
    b(Inbox, &[ch('h')], Action::MarkHandled, "mark handled (read / called back)", Some("handled")),
    // closure
    b(Inbox, &[ch('c')], Action::ConfirmReply, "confirm the visit the reply is about (and mark it handled)", Some("confirm")),
    b(Inbox, &[ch('f')], Action::FlagReply, "flag the visit for a call-back (and mark the reply handled)", Some("flag")),
    b(Inbox, &[ch('o')], Action::OptOutReply, "record the opt-out the reply asks for in the patient's words (asks first)", Some("opt-out")),
    b(Inbox, &[k(KeyCode::Enter)], Action::OpenPatient, "open the patient", Some("patient")),
    b(Inbox, &[ch('r')], Action::Reload, "reload the lists", Some("refresh")),
    b(Inbox, &[k(KeyCode::Esc)], Action::Close, "back to the day", Some("back")),
    b(Inbox, &[ch('?')], Action::OpenHelp, "this help", Some("help")),
    b(Inbox, &[ch('q')], Action::Quit, "quit", Some("quit")),
    b(Day, &[ch('b')], Action::OpenBatch, "reminder batch for a day: preview, send, results", Some("batch")),
    // batch
    b(Batch, &[k(KeyCode::Tab)], Action::NextView, "next choice: today, tomorrow, a day or window you type", Some("day")),
    b(Batch, &[BACK_TAB, k(KeyCode::BackTab)], Action::PrevView, "previous choice", None),
    b(Batch, &[ch('d')], Action::Edit, "type a day or window (2026-03-05, 2026-03-05..2026-03-07, 2026-03-05 13:00-17:00)", Some("type day")),
    b(Batch, &[k(KeyCode::Up), ch('k')], Action::Up, "scroll up", Some("scroll")),
    b(Batch, &[k(KeyCode::Down), ch('j')], Action::Down, "scroll down", Some("scroll")),
    b(Batch, &[k(KeyCode::PageUp)], Action::PageUp, "one page up", None),
    b(Batch, &[k(KeyCode::PageDown)], Action::PageDown, "one page down", None),
    b(Batch, &[k(KeyCode::Enter)], Action::SendText, "send what the preview lists (asks first)", Some("send")),
    b(Batch, &[ch('y')], Action::Accept, "yes, send now (after Enter)", None),
    b(Batch, &[ch('f')], Action::RetryFailures, "retry only the texts the batch left waiting", Some("retry")),
    b(Batch, &[ch('r')], Action::Reload, "preview again", Some("refresh")),
    b(Batch, &[k(KeyCode::Esc)], Action::Close, "back; while sending: cancel after the texts in flight", Some("back/cancel")),
    b(Batch, &[ch('?')], Action::OpenHelp, "this help", Some("help")),
    // closure
    b(Day, &[ch('C')], Action::OpenClosure, "closure or schedule-change notice to everyone booked", None),
    b(Closure, &[k(KeyCode::Tab), k(KeyCode::Down)], Action::NextField, "next field", Some("field")),
    b(Closure, &[k(KeyCode::BackTab), k(KeyCode::Up)], Action::PrevField, "previous field", Some("field")),
    b(Closure, &[k(KeyCode::Left)], Action::PrevChoice, "on Who: the previous clinician (or everyone)", Some("who")),
    b(Closure, &[k(KeyCode::Right)], Action::NextChoice, "on Who: the next clinician", Some("who")),
    b(Closure, &[k(KeyCode::Enter)], Action::Accept, "next field; on the notice: show who gets it and who not", Some("who gets it")),
    b(Closure, &[ctrl('s')], Action::SendText, "send to everyone listed (asks first; refused while the PHI gate blocks)", Some("send")),
    b(Closure, &[k(KeyCode::PageUp)], Action::PageUp, "scroll the list up", Some("scroll")),
    b(Closure, &[k(KeyCode::PageDown)], Action::PageDown, "scroll the list down", Some("scroll")),
    b(Closure, &[k(KeyCode::Esc)], Action::Close, "back to the day (nothing is sent)", Some("back")),
    b(Batch, &[ch('q')], Action::Quit, "quit (a batch being sent stops after the texts in flight)", Some("quit")),
    b(Search, &[ctrl('t')], Action::ToggleMark, "mark / unmark this patient for a portal prompt to several (P on the day view)", Some("mark")),
    b(Day, &[ch(' ')], Action::ToggleMark, "mark / unmark the patient for a portal prompt to several", None),
    b(Day, &[ch('P')], Action::OpenPrompts, "portal prompt to the marked patients (or the selected one)", Some("prompt")),
    b(Prompts, &[k(KeyCode::Left)], Action::PrevChoice, "previous prompt", Some("prompt")),
    b(Prompts, &[k(KeyCode::Right)], Action::NextChoice, "next prompt", Some("prompt")),
    b(Prompts, &[k(KeyCode::Up), ch('k')], Action::Up, "scroll up", Some("scroll")),
    b(Prompts, &[k(KeyCode::Down), ch('j')], Action::Down, "scroll down", Some("scroll")),
    b(Prompts, &[k(KeyCode::Enter)], Action::SendText, "send to those who may get it (asks first)", Some("send")),
    b(Prompts, &[ch('y')], Action::Accept, "yes, send now (after Enter)", None),
    b(Prompts, &[k(KeyCode::Esc)], Action::Close, "back", Some("back")),
    b(Prompts, &[ch('?')], Action::OpenHelp, "this help", Some("help")),
    b(Prompts, &[ch('q')], Action::Quit, "quit", Some("quit")),
    b(BatchWindow, &[k(KeyCode::Enter)], Action::Accept, "preview this day or window", Some("preview")),
    b(BatchWindow, &[k(KeyCode::Backspace)], Action::Backspace, "delete the last character", None),
    b(BatchWindow, &[k(KeyCode::Esc)], Action::Close, "stop typing", Some("cancel")),
    // sign-in
    b(Lock, &[k(KeyCode::Tab)], Action::NextField, "next field", Some("next field")),
    b(Lock, &[k(KeyCode::BackTab)], Action::PrevField, "previous field", None),
    b(Lock, &[k(KeyCode::Enter)], Action::Accept, "sign in", Some("sign in")),
    b(Lock, &[k(KeyCode::Esc)], Action::Close, "clear what was typed", Some("clear")),
    b(Lock, &[ctrl('c')], Action::Quit, "quit", Some("quit")),
    b(Staff, &[k(KeyCode::Up), ch('k')], Action::Up, "select previous member", Some("move")),
    b(Staff, &[k(KeyCode::Down), ch('j')], Action::Down, "select next member", Some("move")),
    b(Staff, &[ch('a')], Action::AddStaff, "add a member of staff", Some("add")),
    b(Staff, &[ch('p')], Action::ResetStaff, "give the member a new PIN or password (lifts a lockout)", Some("new PIN")),
    b(Staff, &[ch('o')], Action::ChangeRole, "change the member's role", Some("role")),
    b(Staff, &[ch('d')], Action::DisableStaff, "disable the member (asks first; history stays theirs)", Some("disable")),
    b(Staff, &[ch('e')], Action::EnableStaff, "re-enable a disabled member", Some("enable")),
    b(Staff, &[ch('r')], Action::Reload, "reload the list", None),
    b(Staff, &[ch('L')], Action::Lock, "lock the console now", Some("lock")),
    b(Staff, &[k(KeyCode::Esc)], Action::Back, "back to the day view", Some("back")),
    b(Staff, &[ch('?')], Action::OpenHelp, "this help", Some("help")),
    b(Staff, &[ch('q')], Action::Quit, "quit", Some("quit")),
    b(StaffForm, &[k(KeyCode::Tab), k(KeyCode::Down)], Action::NextField, "next field", Some("next")),
    b(StaffForm, &[k(KeyCode::BackTab), k(KeyCode::Up)], Action::PrevField, "previous field", None),
    b(StaffForm, &[k(KeyCode::Enter)], Action::Accept, "next field; on the last, save", Some("save")),
    b(StaffForm, &[k(KeyCode::Esc)], Action::Close, "cancel; nothing changes", Some("cancel")),
    // managers (help-only on the day view: the desk's footer keeps its room; once roles
    // exist the footer can name them for managers)
    b(Day, &[ch('S')], Action::OpenStatistics, "statistics: no-shows, confirmations, reminders (managers)", None),
    b(Day, &[ch('T')], Action::OpenTemplates, "text templates (managers)", None),
    b(Day, &[ch('A')], Action::OpenAudit, "audit log, compliance and consent review (managers)", None),
    b(Stats, &[k(KeyCode::Left), ch('h')], Action::Left, "previous number (the bars show the selected number)", Some("number")),
    b(Stats, &[k(KeyCode::Right), ch('l')], Action::Right, "next number", Some("number")),
    b(Stats, &[k(KeyCode::Tab)], Action::NextView, "next chart: clinician, type, weekday, hour, weekly trend, do reminders help", Some("chart")),
    b(Stats, &[BACK_TAB, k(KeyCode::BackTab)], Action::PrevView, "previous chart", Some("chart")),
    b(Stats, &[k(KeyCode::Up), ch('k')], Action::Up, "previous bar (above the first: the number itself)", Some("bar")),
    b(Stats, &[k(KeyCode::Down), ch('j')], Action::Down, "next bar", Some("bar")),
    b(Stats, &[k(KeyCode::Enter)], Action::Accept, "the appointments behind the selected number or bar", Some("appointments")),
    b(Stats, &[ch('p')], Action::NextPeriod, "next period: this week, last 4 weeks, last 12 weeks, this year", Some("period")),
    b(Stats, &[ch('f')], Action::CustomPeriod, "custom period: type the first and last day", Some("custom")),
    b(Stats, &[ch('e')], Action::Export, "export these statistics as CSV (next to the database, in exports/)", Some("export CSV")),
    b(Stats, &[ch('r')], Action::Reload, "compute again", None),
    b(Stats, &[ch('?')], Action::OpenHelp, "this help", Some("help")),
    b(Stats, &[k(KeyCode::Esc)], Action::Close, "back to the day view", Some("back")),
    b(Stats, &[ch('q')], Action::Quit, "quit", Some("quit")),
    b(StatsDrill, &[k(KeyCode::Up), ch('k')], Action::Up, "previous appointment", Some("move")),
    b(StatsDrill, &[k(KeyCode::Down), ch('j')], Action::Down, "next appointment", Some("move")),
    b(StatsDrill, &[k(KeyCode::PageUp)], Action::PageUp, "one page up", None),
    b(StatsDrill, &[k(KeyCode::PageDown)], Action::PageDown, "one page down", None),
    b(StatsDrill, &[k(KeyCode::Home), ch('g')], Action::First, "first appointment", None),
    b(StatsDrill, &[k(KeyCode::End), ch('G')], Action::Last, "last appointment", None),
    b(StatsDrill, &[k(KeyCode::Enter)], Action::Accept, "open the day of this appointment", Some("open day")),
    b(StatsDrill, &[ch('p')], Action::OpenPatient, "open this patient", Some("patient")),
    b(StatsDrill, &[ch('?')], Action::OpenHelp, "this help", Some("help")),
    b(StatsDrill, &[k(KeyCode::Esc)], Action::Close, "back to the charts", Some("back")),
    b(StatsPeriod, &[k(KeyCode::Enter)], Action::Accept, "use this period", Some("apply")),
    b(StatsPeriod, &[k(KeyCode::Backspace)], Action::Backspace, "delete the last character", None),
    b(StatsPeriod, &[k(KeyCode::Esc)], Action::Close, "keep the period as it was", Some("cancel")),
    b(Templates, &[k(KeyCode::Up), ch('k')], Action::Up, "previous template", Some("move")),
    b(Templates, &[k(KeyCode::Down), ch('j')], Action::Down, "next template", Some("move")),
    b(Templates, &[k(KeyCode::Enter), ch('e')], Action::Edit, "edit the selected template", Some("edit")),
    b(Templates, &[ch('D')], Action::EditDefault, "edit, starting again from the built-in wording", None),
    b(Templates, &[ch('r')], Action::Reload, "load the templates again", None),
    b(Templates, &[ch('?')], Action::OpenHelp, "this help", Some("help")),
    b(Templates, &[k(KeyCode::Esc)], Action::Close, "back to the day view", Some("back")),
    b(Templates, &[ch('q')], Action::Quit, "quit", Some("quit")),
    b(TemplateEdit, &[ctrl('s')], Action::Save, "save (refused, with the reason, if it fails the checks)", Some("save")),
    b(TemplateEdit, &[k(KeyCode::Left)], Action::Left, "cursor left", Some("cursor")),
    b(TemplateEdit, &[k(KeyCode::Right)], Action::Right, "cursor right", Some("cursor")),
    b(TemplateEdit, &[k(KeyCode::Home)], Action::First, "cursor to the start", None),
    b(TemplateEdit, &[k(KeyCode::End)], Action::Last, "cursor to the end", None),
    b(TemplateEdit, &[k(KeyCode::Backspace)], Action::Backspace, "delete before the cursor", None),
    b(TemplateEdit, &[k(KeyCode::Delete)], Action::Delete, "delete at the cursor", None),
    b(TemplateEdit, &[k(KeyCode::Esc)], Action::Close, "stop editing, keep the saved text", Some("cancel")),
    b(Audit, &[k(KeyCode::Tab)], Action::NextView, "next part: log, chain, compliance review, consent review", Some("part")),
    b(Audit, &[BACK_TAB, k(KeyCode::BackTab)], Action::PrevView, "previous part", Some("part")),
    b(Audit, &[k(KeyCode::Up), ch('k')], Action::Up, "previous record (log) / scroll up", Some("move")),
    b(Audit, &[k(KeyCode::Down), ch('j')], Action::Down, "next record, its whole detail below (log) / scroll down", Some("move")),
    b(Audit, &[k(KeyCode::PageUp)], Action::PageUp, "one page up", None),
    b(Audit, &[k(KeyCode::PageDown)], Action::PageDown, "one page down", None),
    b(Audit, &[ch('f')], Action::Filter, "filter the log: staff:NAME action:WORD from:DATE to:DATE patient:ID", Some("filter")),
    b(Audit, &[ch('m')], Action::More, "older records", Some("more")),
    b(Audit, &[ch('v')], Action::VerifyChain, "verify the hash chain", Some("verify")),
    b(Audit, &[ch('c')], Action::ComplianceReview, "compliance review: every template and sent text through today's PHI gate", Some("compliance")),
    b(Audit, &[ch('o')], Action::ConsentReview, "consent review: stale opt-ins, missing evidence, texts without consent", Some("consent")),
    b(Audit, &[ch('p')], Action::OpenPatient, "open the selected patient (consent review)", None),
    b(Audit, &[ch('r')], Action::Reload, "load the log again", None),
    b(Audit, &[ch('?')], Action::OpenHelp, "this help", Some("help")),
    b(Audit, &[k(KeyCode::Esc)], Action::Close, "back to the day view", Some("back")),
    b(Audit, &[ch('q')], Action::Quit, "quit", Some("quit")),
    b(AuditFilter, &[k(KeyCode::Enter)], Action::Accept, "apply the filter (empty: the whole log)", Some("apply")),
    b(AuditFilter, &[k(KeyCode::Backspace)], Action::Backspace, "delete the last character", None),
    b(AuditFilter, &[k(KeyCode::Esc)], Action::Close, "keep the filter as it was", Some("cancel")),
];

/// The help overlay's sections, in order, with their titles.
pub const SECTIONS: [(Context, &str); 22] = [
    (Day, section::DAY),
    (Staff, section::STAFF),
    (StaffForm, section::STAFF_FORM),
    (Search, section::SEARCH),
    (Confirm, section::CONFIRM),
    (Help, section::HELP),
    // reception
    (Patient, section::PATIENT),
    (Compose, section::COMPOSE),
    (Form, section::FORM),
    (Inbox, section::INBOX),
    (Batch, section::BATCH),
    (Closure, section::CLOSURE),
    // batch
    (BatchWindow, section::BATCH_WINDOW),
    (Prompts, section::PROMPTS),
    (Anywhere, section::ANYWHERE),
    // managers
    (Stats, section::STATS),
    (StatsDrill, section::STATS_DRILL),
    (StatsPeriod, section::STATS_PERIOD),
    (Templates, section::TEMPLATES),
    (TemplateEdit, section::TEMPLATE_EDIT),
    (Audit, section::AUDIT),
    (AuditFilter, section::AUDIT_FILTER),
];

impl Key {
    fn matches(&self, ev: &KeyEvent) -> bool {
        let ignore = KeyModifiers::SHIFT;
        match (self.code, ev.code) {
            (KeyCode::Char(a), KeyCode::Char(b)) => {
                a == b && (self.mods - ignore) == (ev.modifiers - ignore)
            }
            // Shift-Tab arrives with Shift held.
            (KeyCode::BackTab, KeyCode::BackTab) => true,
            (a, b) => a == b && self.mods == ev.modifiers,
        }
    }

    /// How the footer and help write the key.
    pub fn name(&self) -> String {
        let base = match self.code {
            KeyCode::Left => "←".to_string(),
            KeyCode::Right => "→".to_string(),
            KeyCode::Up => "↑".to_string(),
            KeyCode::Down => "↓".to_string(),
            KeyCode::PageUp => "PgUp".to_string(),
            KeyCode::PageDown => "PgDn".to_string(),
            KeyCode::Home => "Home".to_string(),
            KeyCode::End => "End".to_string(),
            KeyCode::Enter => "Enter".to_string(),
            KeyCode::Esc => "Esc".to_string(),
            KeyCode::Tab => "Tab".to_string(),
            KeyCode::BackTab => "Shift-Tab".to_string(),
            KeyCode::Backspace => "Backspace".to_string(),
            KeyCode::Char(c) => c.to_string(),
            other => format!("{other:?}"),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("Ctrl-{base}")
        } else {
            base
        }
    }
}

/// The action a key means in `context` (falling back to the keys that work anywhere).
pub fn action_for(context: Context, ev: &KeyEvent) -> Option<Action> {
    let find = |ctx: Context| {
        BINDINGS
            .iter()
            .filter(|b| b.context == ctx)
            .find(|b| b.keys.iter().any(|k| k.matches(ev)))
            .map(|b| b.action)
    };
    find(context).or_else(|| find(Anywhere))
}

/// One footer item: "←/→" and "day".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FooterItem {
    pub keys: String,
    pub label: &'static str,
    /// Always shown, even when the footer is short of room (help, quit, close).
    pub essential: bool,
}

/// The footer items of `context`, in table order, neighbours with the same word merged.
pub fn footer(context: Context) -> Vec<FooterItem> {
    footer_where(context, &|_| true)
}

/// The footer items of `context` whose action `shown` allows (keys the signed-in role may
/// not use are left out).
pub fn footer_where(context: Context, shown: &dyn Fn(Action) -> bool) -> Vec<FooterItem> {
    let mut out: Vec<FooterItem> = Vec::new();
    for bind in BINDINGS
        .iter()
        .filter(|b| b.context == context && shown(b.action))
    {
        let (Some(label), Some(key)) = (bind.footer, bind.keys.first()) else {
            continue;
        };
        match out.last_mut() {
            Some(last) if last.label == label => {
                last.keys.push('/');
                last.keys.push_str(&key.name());
            }
            _ => out.push(FooterItem {
                keys: key.name(),
                label,
                essential: matches!(bind.action, Action::OpenHelp | Action::Quit | Action::Close),
            }),
        }
    }
    out
}

/// The help lines of one context: all key names, what they do, and the action (so help can
/// dim what the signed-in role may not use).
pub fn help_lines(context: Context) -> Vec<(String, &'static str, Action)> {
    BINDINGS
        .iter()
        .filter(|b| b.context == context)
        .map(|b| {
            let names: Vec<String> = b.keys.iter().map(Key::name).collect();
            (names.join(" "), b.help, b.action)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn every_binding_is_unique_within_its_context() {
        for a in BINDINGS {
            for bnd in BINDINGS {
                if std::ptr::eq(a, bnd) || a.context != bnd.context {
                    continue;
                }
                for ka in a.keys {
                    assert!(
                        !bnd.keys.contains(ka),
                        "{:?} bound twice in {:?}",
                        ka,
                        a.context
                    );
                }
            }
        }
    }

    #[test]
    fn keys_map_to_actions_per_context() {
        assert_eq!(action_for(Day, &key(KeyCode::Right)), Some(Action::NextDay));
        assert_eq!(
            action_for(Day, &key(KeyCode::Char('j'))),
            Some(Action::Down)
        );
        assert_eq!(
            action_for(Day, &key(KeyCode::Char('x'))),
            Some(Action::Mark(S::Cancelled))
        );
        // `n` means no-show on the day view but "no" in the confirm box.
        assert_eq!(
            action_for(Confirm, &key(KeyCode::Char('n'))),
            Some(Action::Close)
        );
        // Shift is ignored for characters: '?' and 'G' arrive with SHIFT on many terminals.
        let shifted = KeyEvent::new(KeyCode::Char('?'), KeyModifiers::SHIFT);
        assert_eq!(action_for(Day, &shifted), Some(Action::OpenHelp));
        // Ctrl-C quits from anywhere; plain c does not.
        let cc = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action_for(Search, &cc), Some(Action::Quit));
        assert_eq!(action_for(Day, &cc), Some(Action::Quit));
        assert_eq!(action_for(Search, &key(KeyCode::Char('q'))), None);
    }

    #[test]
    fn footer_merges_pairs_and_marks_essentials() {
        let items = footer(Day);
        assert_eq!(items[0].keys, "←/→");
        assert_eq!(items[0].label, "day");
        let mv = items.iter().find(|i| i.label == "move").unwrap();
        assert_eq!(mv.keys, "↑/↓");
        let essentials: Vec<_> = items
            .iter()
            .filter(|i| i.essential)
            .map(|i| i.label)
            .collect();
        assert_eq!(essentials, ["help", "quit"]);
        assert!(items.iter().any(|i| i.label == "refresh"), "r is listed");
    }

    #[test]
    fn help_lists_every_key_name() {
        let lines = help_lines(Day);
        assert!(lines.contains(&("↓ j".to_string(), "select next appointment", Action::Down)));
        assert_eq!(
            lines.len(),
            BINDINGS.iter().filter(|b| b.context == Day).count()
        );
    }
}
