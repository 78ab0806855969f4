//! Who is signed in, and the lock over the console (SPEC §3.1; HIPAA unique user
//! identification and automatic logoff): signing in and out of the lock screen, the idle
//! lock, `L`, and THE permission check every command passes on its way out of `update`.
//!
//! Idle time is counted from `Msg::Now`, which the loop sends from the one clock before
//! every key and once a second while someone is signed in; so a test clock that moves
//! (`FRONTDESK_CLOCK_RATE`) moves the idle lock too, and a fixed clock never locks.
//! Pure: no IO, no clock of its own.

use chrono::{DateTime, Duration, Utc};
use ratatui::crossterm::event::KeyEvent;

use super::{App, Screen};
use crate::domain::staff::{Actor, Member};
use crate::tui::keymap::{self, Context};
use crate::tui::msg::{Action, Cmd, Msg};
use crate::tui::screens::day::DayState;
use crate::tui::screens::lock::{LockReason, LockState};
use crate::tui::shared::ToastKind;

/// The idle clock: the last instant the loop read, and the last one a key came at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Idle {
    minutes: u32,
    now: Option<DateTime<Utc>>,
    last_key: Option<DateTime<Utc>>,
}

impl Idle {
    pub fn new(minutes: u32) -> Self {
        Self {
            minutes,
            now: None,
            last_key: None,
        }
    }

    fn limit(&self) -> Duration {
        Duration::minutes(i64::from(self.minutes))
    }
}

/// Why `member` may not have `cmd` run (`None`: it may). The one check: every command a
/// screen, a modal or a worker result asks for passes here, by the permission table.
pub fn refusal(member: Option<&Member>, cmd: &Cmd) -> Option<String> {
    let action = cmd.permission()?;
    match member {
        None => Some(format!("Sign in first to {}.", action.describe())),
        Some(m) => Actor::Member(m.clone())
            .may(action)
            .err()
            .map(|denied| format!("Not allowed: {denied}.")),
    }
}

/// Drop the commands the signed-in member may not have run, with a toast saying why.
pub fn gate(app: &mut App, cmds: Vec<Cmd>) -> Vec<Cmd> {
    let mut allowed = Vec::with_capacity(cmds.len());
    for cmd in cmds {
        match refusal(app.shared.member.as_ref(), &cmd) {
            None => allowed.push(cmd),
            Some(why) => app.shared.toast(ToastKind::Error, why),
        }
    }
    allowed
}

/// The loop read the clock: lock when nobody pressed a key for the idle time.
pub fn on_now(app: &mut App, now: DateTime<Utc>) -> Vec<Cmd> {
    app.idle.now = Some(now);
    if !app.watching_idle() {
        return Vec::new();
    }
    match app.idle.last_key {
        None => app.idle.last_key = Some(now),
        Some(last) if now - last >= app.idle.limit() => {
            let minutes = app.idle.minutes;
            return lock(app, LockReason::Idle(minutes));
        }
        Some(_) => {}
    }
    Vec::new()
}

/// A key came (the loop has just sent the clock's reading).
pub fn key_pressed(app: &mut App) {
    if app.idle.now.is_some() {
        app.idle.last_key = app.idle.now;
    }
}

/// `L`: lock at once.
pub fn lock_now(app: &mut App) -> Vec<Cmd> {
    lock(app, LockReason::Manual)
}

fn lock(app: &mut App, reason: LockReason) -> Vec<Cmd> {
    let Some(member) = app.shared.member.clone() else {
        return Vec::new();
    };
    app.lock = Some(LockState::locked(&member, reason));
    // A toast may name a patient; the lock screen shows nothing of the work underneath.
    app.shared.toast = None;
    app.shared.touch();
    vec![Cmd::Locked]
}

/// A key while the lock screen shows: its fields, Enter to sign in, Ctrl-C to quit.
pub fn lock_key(app: &mut App, ev: &KeyEvent) -> Vec<Cmd> {
    let Some(lock) = app.lock.as_mut() else {
        return Vec::new();
    };
    match keymap::action_for(Context::Lock, ev) {
        Some(Action::Quit) => vec![Cmd::Quit],
        Some(action) => lock
            .on_action(action, &mut app.shared)
            .into_iter()
            .collect(),
        None => {
            lock.on_key(ev, &mut app.shared);
            Vec::new()
        }
    }
}

/// The worker checked a sign-in. The member who was signed in comes back to where they
/// were; anyone else starts on today's day view with nothing of the previous work.
pub fn on_signed_in(app: &mut App, result: Result<Member, String>) -> Vec<Cmd> {
    let Some(lock) = app.lock.as_mut() else {
        return Vec::new();
    };
    app.shared.touch();
    let member = match result {
        Ok(member) => member,
        Err(why) => {
            lock.failed(why);
            return Vec::new();
        }
    };
    let same = lock.previous.as_ref() == Some(&member);
    app.lock = None;
    app.idle.last_key = app.idle.now;
    app.shared.member = Some(member);
    if same {
        let reply = app
            .screen
            .state_mut()
            .on_action(Action::Reload, &mut app.shared);
        return app.follow_screen(reply);
    }
    app.modals.clear();
    app.behind.clear();
    app.shared.toast = None;
    app.screen = Screen::Day(DayState::new(app.shared.today));
    app.shared.screen_context = app.screen.state().context();
    app.start()
}

/// A staff change to the signed-in member's own account: their role in the console follows
/// it at once, and being disabled locks the console — with the lock's `Cmd::Locked`, so the
/// worker lets go of what it kept, as at any lock.
pub fn own_change(app: &mut App, msg: &Msg) -> Vec<Cmd> {
    let Msg::StaffChanged { result: Ok(m), .. } = msg else {
        return Vec::new();
    };
    let Some(me) = app.shared.member.as_mut() else {
        return Vec::new();
    };
    if me.id != m.id {
        return Vec::new();
    }
    me.role = m.role;
    if m.active {
        return Vec::new();
    }
    let cmds = lock(app, LockReason::Manual);
    app.shared.member = None;
    cmds
}
