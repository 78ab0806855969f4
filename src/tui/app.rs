//! The console's state and the one place it changes: [`update`] turns a [`Msg`] into new
//! state and a list of [`Cmd`]s for the worker. No IO, no terminal, no clock: `now` arrives
//! inside the worker's messages. Must not import `store`, `provider` or `view`.
//!
//! `App` routes: keys go to the top modal, else to the screen; worker results to the top
//! modal, then to the screen; what every screen shares (toast, provider line, size) is
//! handled here. A new screen is one line in the [`screens!`] list below.

use ratatui::crossterm::event::{KeyEvent, KeyEventKind};

use super::keymap::{self, Context};
use super::modal::Modal;
use super::msg::{Action, Cmd, Msg};
use super::overlay::OverlayReply;
use super::screen::{Goto, ScreenReply, ScreenState};
use super::screens::day;
use super::screens::help::HelpState;
use super::screens::{batch, inbox, patient};
use super::shared::{Shared, ToastKind};
use crate::config::Config;

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
}

/// Everything the console shows.
#[derive(Clone, Debug, PartialEq)]
pub struct App {
    pub shared: Shared,
    pub screen: Screen,
    /// Boxes over the screen; the top one gets the keys first.
    pub modals: Vec<Modal>,
    // reception
    /// The screens `Esc` goes back to (the day view under a patient's screen).
    pub back: Vec<Screen>,
}

impl App {
    /// A console opening on the day view of `today`. Call [`App::start`] for the first
    /// commands.
    pub fn new(config: &Config, today: chrono::NaiveDate, banner: Option<String>) -> Self {
        let screen = Screen::Day(day::DayState::new(today));
        let mut shared = Shared::new(config, today, banner);
        shared.screen_context = screen.state().context();
        Self {
            shared,
            screen,
            modals: Vec::new(),
            back: Vec::new(),
        }
    }

    /// The first loads: the screen's own and the provider state.
    pub fn start(&mut self) -> Vec<Cmd> {
        // reception: the data version is read before the first load, so a change committed
        // by another process after that load moves it and reloads.
        let mut cmds = vec![Cmd::PollChanges];
        cmds.extend(self.screen.state_mut().start(&mut self.shared));
        cmds.push(Cmd::LoadProvider);
        // reception
        cmds.push(Cmd::LoadInbox { generation: 0 });
        cmds
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
        if let Some(to) = reply.goto {
            cmds.extend(self.go(to));
        }
        cmds
    }

    // reception
    /// Show another screen: a patient's over the current one, or back to the one below.
    fn go(&mut self, to: Goto) -> Vec<Cmd> {
        let next = match to {
            Goto::Patient(p) => Some(Screen::Patient(patient::PatientState::new(p))),
            Goto::Inbox => Some(Screen::Inbox(inbox::InboxState::default())),
            Goto::Batch => Some(Screen::Batch(batch::BatchState::default())),
            Goto::Back => None,
        };
        match next {
            Some(next) => {
                let prev = std::mem::replace(&mut self.screen, next);
                self.back.push(prev);
            }
            None => {
                if let Some(prev) = self.back.pop() {
                    self.screen = prev;
                }
            }
        }
        self.shared.screen_context = self.screen.state().context();
        self.shared.touch();
        // The screen shown loads afresh (a consent just recorded shows on the day view).
        self.screen.state_mut().start(&mut self.shared)
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
                self.go(Goto::Patient(p))
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

/// Apply one message. The only function that changes an [`App`].
pub fn update(app: &mut App, msg: Msg) -> Vec<Cmd> {
    let mut cmds = apply(app, msg);
    // reception: whenever the provider line is refreshed, so are the inbox counts.
    if cmds.contains(&Cmd::LoadProvider) && !cmds.iter().any(|c| matches!(c, Cmd::LoadInbox { .. }))
    {
        cmds.push(Cmd::LoadInbox { generation: 0 });
    }
    cmds
}

fn apply(app: &mut App, msg: Msg) -> Vec<Cmd> {
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
        result => on_result(app, result),
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
            app.modals.push(Modal::Help(HelpState::default()));
            app.shared.touch();
            Vec::new()
        }
        Some(a) => {
            let reply = app.screen.state_mut().on_action(a, &mut app.shared);
            app.follow_screen(reply)
        }
        None => Vec::new(),
    }
}
