//! The console's state and the one place it changes: [`update`] turns a [`Msg`] into new
//! state and a list of [`Cmd`]s for the worker. No IO, no terminal, no clock: `now` arrives
//! inside the worker's messages. Must not import `store`, `provider` or `view`.
//!
//! `App` routes: keys go to the top modal, else to the screen; worker results to the top
//! modal, then to the screen; what every screen shares (toast, provider line, size) is
//! handled here. A new screen is one line in the [`screens!`] list below.
//!
//! Over everything sits the lock ([`session`]): the console opens locked, locks itself after
//! `security.idle_lock_minutes` without a key (timed by `Msg::Now` from the one clock) or on
//! `L`, and every command any screen asks for passes the one permission check
//! ([`session::refusal`]) on its way out of [`update`].

use ratatui::crossterm::event::{KeyEvent, KeyEventKind};

use super::keymap::{self, Context};
use super::modal::Modal;
use super::msg::{Action, Cmd, Msg};
use super::overlay::OverlayReply;
use super::screen::{Go, ScreenReply, ScreenState};
use super::screens::day;
use super::screens::help::HelpState;
use super::screens::lock::LockState;
use super::screens::staff;
use super::screens::{batch, inbox, patient, prompts};
use super::shared::{Shared, ToastKind};
use crate::config::Config;
// managers
use super::screens::{audit, stats, templates};
// closure
use super::screens::closure;

mod session;

pub use session::refusal;

/// Declares the `Screen` enum and its uniform view as a [`ScreenState`], from one line per
/// screen.
macro_rules! screens {
    ($($variant:ident($state:ty)),+ $(,)?) => {
        /// The screen under any modal. Matched like any enum (tests look inside); `App` calls
        /// it through [`Screen::state`].
        #[derive(Clone, Debug, PartialEq)]
        pub enum Screen {
            $($variant($state)),+
        }

        impl Screen {
            /// The screen as its contract, for the calls `App` makes on every screen alike.
            pub fn state(&self) -> &dyn ScreenState {
                match self {
                    $(Self::$variant(s) => s),+
                }
            }

            pub fn state_mut(&mut self) -> &mut dyn ScreenState {
                match self {
                    $(Self::$variant(s) => s),+
                }
            }
        }
    };
}

screens! {
    Day(day::DayState),
    // reception
    Patient(patient::PatientState),
    Inbox(inbox::InboxState),
    Batch(batch::BatchState),
    // closure
    Closure(closure::ClosureState),
    // batch
    Prompts(prompts::PromptsState),
    // sign-in
    Staff(staff::StaffState),
    // managers
    Stats(stats::StatsState),
    Templates(templates::TemplatesState),
    Audit(audit::AuditState),
}

/// Everything the console shows.
#[derive(Clone, Debug, PartialEq)]
pub struct App {
    pub shared: Shared,
    pub screen: Screen,
    /// Boxes over the screen; the top one gets the keys first.
    pub modals: Vec<Modal>,
    // sign-in
    /// The lock screen, over everything, while nobody is signed in or the console is locked;
    /// the screen and modals underneath are kept (and never drawn) meanwhile.
    pub lock: Option<LockState>,
    /// Lines the lock screen shows under the box (the demo's accounts); empty elsewhere.
    pub sign_in_hint: Vec<String>,
    idle: session::Idle,
    /// The screens under this one, kept as they were left (`Go::Back`, Esc, returns).
    pub behind: Vec<Screen>,
}

impl App {
    /// A console opening locked, on the sign-in screen, over the day view of `today`. The
    /// first loads go out when someone signs in.
    pub fn new(config: &Config, today: chrono::NaiveDate, banner: Option<String>) -> Self {
        let screen = Screen::Day(day::DayState::new(today));
        let mut shared = Shared::new(config, today, banner);
        shared.screen_context = screen.state().context();
        Self {
            shared,
            screen,
            modals: Vec::new(),
            lock: Some(LockState::start()),
            sign_in_hint: Vec::new(),
            idle: session::Idle::new(config.security.idle_lock_minutes),
            behind: Vec::new(),
        }
    }

    /// The first loads: the screen's own and the provider state — none while nobody is
    /// signed in (signing in starts them).
    pub fn start(&mut self) -> Vec<Cmd> {
        if self.shared.member.is_none() {
            return Vec::new();
        }
        // reception: the data version is read before the first load, so a change committed
        // by another process after that load moves it and reloads.
        let mut cmds = vec![Cmd::PollChanges];
        cmds.extend(self.screen.state_mut().start(&mut self.shared));
        cmds.push(Cmd::LoadProvider);
        // reception
        cmds.push(Cmd::LoadInbox { generation: 0 });
        cmds
    }

    /// Whether the loop must read the clock now and then: someone is signed in and the
    /// console is not locked, so idleness counts.
    pub fn watching_idle(&self) -> bool {
        self.lock.is_none() && self.shared.member.is_some()
    }

    /// Whether the screen changed since the last draw.
    pub fn is_dirty(&self) -> bool {
        self.shared.is_dirty()
    }

    pub fn mark_drawn(&mut self) {
        self.shared.mark_drawn();
    }

    /// Whether the loop should tick: only while a toast counts down.
    pub fn animating(&self) -> bool {
        self.shared.toast.is_some()
    }

    /// A load for something not yet on screen is in flight (the loop waits briefly for it
    /// rather than flash "Loading…").
    pub fn awaiting_first_load(&self) -> bool {
        self.screen.state().awaiting_first_load()
    }

    /// Which keymap context reads the keys now.
    pub fn context(&self) -> Context {
        if self.lock.is_some() {
            return Context::Lock;
        }
        match self.modals.last() {
            Some(modal) => modal.overlay().context(),
            None => self.screen.state().context(),
        }
    }

    /// Open a modal, close the top one, run commands — whatever a screen asked for.
    fn follow_screen(&mut self, reply: ScreenReply) -> Vec<Cmd> {
        if let Some(modal) = reply.open {
            self.modals.push(modal);
            self.shared.touch();
        }
        let mut cmds = reply.cmds;
        if let Some(go) = reply.go {
            cmds.extend(self.go(go));
        }
        // A screen's keys may change with its mode (editing, a drill-down): the footer follows.
        self.shared.screen_context = self.screen.state().context();
        cmds
    }

    /// Show another screen (or go back to the one underneath).
    fn go(&mut self, go: Go) -> Vec<Cmd> {
        self.shared.touch();
        let today = self.shared.today;
        match go {
            Go::Back => match self.behind.pop() {
                Some(previous) => {
                    self.screen = previous;
                    // Fresh data for what was left (the day may have changed meanwhile).
                    self.screen.state_mut().start(&mut self.shared)
                }
                None => Vec::new(),
            },
            Go::Statistics => self.push(Screen::Stats(stats::StatsState::new(today))),
            Go::Templates => self.push(Screen::Templates(templates::TemplatesState::default())),
            Go::Audit => self.push(Screen::Audit(audit::AuditState::default())),
            Go::Appointment { patient, start } => {
                if !self.behind.is_empty() {
                    self.screen = self.behind.remove(0);
                    self.behind.clear();
                }
                self.shared.screen_context = self.screen.state().context();
                self.screen
                    .state_mut()
                    .show_appointment(patient, start, &mut self.shared)
                    .unwrap_or_default()
            }
            Go::Patient(id) => self.push(Screen::Patient(patient::PatientState::new(id))),
            Go::Inbox => self.push(Screen::Inbox(inbox::InboxState::default())),
            Go::Batch => self.push(Screen::Batch(batch::BatchState::default())),
            // closure: it asks the worker nothing on opening, so who may open it is checked here.
            Go::Closure if !self.shared.may(Action::OpenClosure) => {
                let why = super::strings::closure::NOT_YOURS.to_string();
                self.shared.toast(ToastKind::Error, why);
                Vec::new()
            }
            Go::Closure => self.push(Screen::Closure(closure::ClosureState::default())),
            // batch: the patients marked on the day view (or its selected one).
            Go::Prompts => {
                let chosen = match &self.screen {
                    Screen::Day(d) => d.prompt_patients(),
                    _ => Vec::new(),
                };
                self.push(Screen::Prompts(prompts::PromptsState::new(chosen)))
            }
        }
    }

    /// Open `next` over the current screen, unless the permission check refuses what it
    /// starts with (then the screen stays and a toast says why).
    fn push(&mut self, mut next: Screen) -> Vec<Cmd> {
        let cmds = next.state_mut().start(&mut self.shared);
        let member = self.shared.member.as_ref();
        if let Some(why) = cmds.iter().find_map(|c| refusal(member, c)) {
            self.shared.toast(ToastKind::Error, why);
            return Vec::new();
        }
        let previous = std::mem::replace(&mut self.screen, next);
        self.behind.push(previous);
        self.shared.screen_context = self.screen.state().context();
        self.shared.touch();
        cmds
    }

    /// Whatever the top modal asked for.
    fn follow_overlay(&mut self, reply: OverlayReply) -> Vec<Cmd> {
        match reply {
            OverlayReply::Keep => Vec::new(),
            OverlayReply::Run(cmds) => cmds,
            OverlayReply::Close(cmds) => {
                self.modals.pop();
                self.shared.touch();
                cmds
            }
            OverlayReply::OpenPatient(p) => {
                self.modals.pop();
                self.go(Go::Patient(p))
            }
            // batch: the day view underneath keeps the marks for the portal prompt screen.
            OverlayReply::MarkPatient { patient, name } => {
                if let Screen::Day(d) = &mut self.screen {
                    let marked = d.toggle_patient(patient, name);
                    let n = d.marked.len();
                    let word = if marked { "Marked" } else { "Unmarked" };
                    self.shared.toast(
                        ToastKind::Info,
                        format!("{word} for a portal prompt ({n} marked; P on the day view)"),
                    );
                }
                Vec::new()
            }
            OverlayReply::ShowAppointment { patient, start } => {
                self.modals.pop();
                self.shared.touch();
                self.screen
                    .state_mut()
                    .show_appointment(patient, start, &mut self.shared)
                    .unwrap_or_default()
            }
        }
    }
}

/// Apply one message. The only function that changes an [`App`]. Every command it returns
/// has passed the permission check.
pub fn update(app: &mut App, msg: Msg) -> Vec<Cmd> {
    let mut cmds = route(app, msg);
    // The selected search hit's day, while the search is on top: Enter goes there.
    let expected = match app.modals.last() {
        Some(Modal::Search(s)) => s.selected_day(app.shared.tz),
        _ => None,
    };
    cmds.extend(app.shared.expect_day_cmd(expected));
    // reception: whenever the provider line is refreshed, so are the inbox counts.
    if cmds.contains(&Cmd::LoadProvider) && !cmds.iter().any(|c| matches!(c, Cmd::LoadInbox { .. }))
    {
        cmds.push(Cmd::LoadInbox { generation: 0 });
    }
    session::gate(app, cmds)
}

fn route(app: &mut App, msg: Msg) -> Vec<Cmd> {
    match msg {
        Msg::Key(ev) => on_key(app, ev),
        Msg::Resize { width, height } => {
            app.shared.size = (width, height);
            app.screen.state_mut().on_resize(&app.shared);
            app.shared.touch();
            Vec::new()
        }
        Msg::Tick => {
            app.shared.tick();
            Vec::new()
        }
        Msg::ProviderLoaded(result) => {
            app.shared.provider = Some(result);
            app.shared.touch();
            Vec::new()
        }
        Msg::InputFailed(e) => {
            app.shared.toast(ToastKind::Error, e);
            Vec::new()
        }
        Msg::WorkerStopped => Vec::new(),
        // reception
        // Nobody looks at a locked console: what changed meanwhile is read after sign-in.
        Msg::PollDue if app.lock.is_some() => Vec::new(),
        Msg::PollDue => vec![Cmd::PollChanges],
        Msg::DataVersion(result) => on_data_version(app, result),
        Msg::InboxLoaded { generation, result } => {
            if let Ok(inbox) = &result {
                app.shared.inbox_counts = Some((inbox.replies.len(), inbox.callbacks.len()));
                app.shared.touch();
            }
            if generation == 0 {
                return Vec::new();
            }
            on_result(app, Msg::InboxLoaded { generation, result })
        }
        Msg::Terminated { .. } => vec![Cmd::Quit],
        Msg::Now(now) => session::on_now(app, now),
        Msg::SignedIn(result) => session::on_signed_in(app, result),
        result => {
            let mut cmds = session::own_change(app, &result);
            cmds.extend(on_result(app, result));
            cmds
        }
    }
}

// reception
/// Another process changed the database (cron `remind`/`sync`, a second desk): reload what
/// is on screen and the status line. The first answer only sets the mark.
fn on_data_version(app: &mut App, result: Result<i64, String>) -> Vec<Cmd> {
    let Ok(version) = result else {
        return Vec::new();
    };
    let before = app.shared.data_version.replace(version);
    if before.is_none_or(|b| b == version) {
        return Vec::new();
    }
    let mut cmds = app.screen.state_mut().start(&mut app.shared);
    cmds.push(Cmd::LoadProvider);
    cmds
}

/// A worker result: the top modal's if it takes it, else the screen's.
fn on_result(app: &mut App, msg: Msg) -> Vec<Cmd> {
    let msg = match app.modals.last_mut() {
        Some(modal) => {
            let rest = modal.overlay_mut().on_msg(msg, &mut app.shared);
            if modal.overlay().finished() {
                app.modals.pop();
                app.shared.touch();
            }
            match rest {
                Some(msg) => msg,
                None => return Vec::new(),
            }
        }
        None => msg,
    };
    let reply = app.screen.state_mut().on_msg(msg, &mut app.shared);
    app.follow_screen(reply)
}

fn on_key(app: &mut App, ev: KeyEvent) -> Vec<Cmd> {
    if ev.kind == KeyEventKind::Release {
        return Vec::new();
    }
    session::key_pressed(app);
    if app.lock.is_some() {
        return session::lock_key(app, &ev);
    }
    let action = keymap::action_for(app.context(), &ev);
    if action == Some(Action::Quit) {
        return vec![Cmd::Quit];
    }
    if let Some(modal) = app.modals.last_mut() {
        let overlay = modal.overlay_mut();
        let reply = match action {
            Some(a) => overlay.on_action(a, &mut app.shared),
            None => overlay.on_unbound_key(&ev, &mut app.shared),
        };
        return app.follow_overlay(reply);
    }
    match action {
        // Help is the same on every screen.
        Some(Action::OpenHelp) => {
            // managers: opened at the keys of the screen it was asked from.
            let at = HelpState::at(
                app.screen.state().context(),
                app.shared.modal_rect(),
                &app.shared,
            );
            app.modals.push(Modal::Help(at));
            app.shared.touch();
            Vec::new()
        }
        Some(Action::Lock) => session::lock_now(app),
        Some(Action::OpenStaff) => app.push(Screen::Staff(staff::StaffState::default())),
        Some(Action::Back) => app.go(Go::Back),
        Some(a) => {
            let reply = app.screen.state_mut().on_action(a, &mut app.shared);
            app.follow_screen(reply)
        }
        None => {
            // managers: typing into a screen's field.
            let reply = app.screen.state_mut().on_unbound_key(&ev, &mut app.shared);
            app.follow_screen(reply)
        }
    }
}
