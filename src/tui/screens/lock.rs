//! The lock and sign-in screen (SPEC §3.1): username and PIN or password, the secret masked;
//! what a failed sign-in said (tries left, locked until); why the console is locked. While it
//! shows, `view` draws nothing of the screen underneath. Its state is a layer of `App`, not a
//! screen: the screen and modals under it are kept for the same member's return.
//!
//! Sign-in is checked on the worker (`Cmd::SignIn`): Argon2id takes tens of milliseconds,
//! too long for `update`. The secret leaves this state in the command and is never drawn,
//! logged or kept after it was sent. Imports the console's vocabulary, keymap and shared
//! state; never `app` or another screen.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::super::msg::{Action, Cmd};
use super::super::shared::Shared;
use super::super::theme;
use super::super::widgets::modal;
use super::super::widgets::text::fit;
use crate::domain::staff::credential::SECRET_MAX_CHARS;
use crate::domain::staff::{Member, Secret};

/// The longest username the field takes (the rules allow 32).
const USERNAME_MAX: usize = 32;

/// Which field the typed keys go into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Username,
    Secret,
}

/// Why the console shows the lock screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockReason {
    /// Just opened: nobody has signed in yet.
    Start,
    /// No key for the configured idle time (minutes).
    Idle(u32),
    /// The member pressed `L`.
    Manual,
}

/// The lock screen's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockState {
    pub username: String,
    /// What has been typed as the secret; `Debug` hides it and it is drawn as dots only.
    secret: Secret,
    pub focus: Field,
    pub reason: LockReason,
    /// Who was signed in when it locked: the same member signing in returns to where they
    /// were; anyone else starts fresh on the day view.
    pub previous: Option<Member>,
    /// What the last attempt said (wrong, tries left, locked until, disabled).
    pub error: Option<String>,
    /// A sign-in is being checked; Enter waits for it.
    pub checking: bool,
}

impl LockState {
    /// The screen the console opens on.
    pub fn start() -> Self {
        Self {
            username: String::new(),
            secret: Secret::new(""),
            focus: Field::Username,
            reason: LockReason::Start,
            previous: None,
            error: None,
            checking: false,
        }
    }

    /// The console locked over `member`'s work: their username is filled in, the cursor
    /// waits in the secret field (another member clears the username with Esc).
    pub fn locked(member: &Member, reason: LockReason) -> Self {
        Self {
            username: member.username.clone(),
            focus: Field::Secret,
            reason,
            previous: Some(member.clone()),
            ..Self::start()
        }
    }

    /// How many characters of secret were typed (the dots drawn).
    pub fn secret_len(&self) -> usize {
        self.secret.expose().chars().count()
    }

    /// A key bound in the lock context; `Some` when it sends a sign-in to the worker.
    pub fn on_action(&mut self, action: Action, shared: &mut Shared) -> Option<Cmd> {
        shared.touch();
        match action {
            Action::NextField | Action::PrevField => {
                self.focus = match self.focus {
                    Field::Username => Field::Secret,
                    Field::Secret => Field::Username,
                };
                None
            }
            Action::Close => {
                self.username.clear();
                self.secret = Secret::new("");
                self.focus = Field::Username;
                self.error = None;
                None
            }
            Action::Accept => self.submit(),
            _ => None,
        }
    }

    /// Enter: from the username go to the secret; from the secret, sign in.
    fn submit(&mut self) -> Option<Cmd> {
        if self.checking {
            return None;
        }
        if self.focus == Field::Username && self.secret_len() == 0 {
            self.focus = Field::Secret;
            return None;
        }
        if self.username.trim().is_empty() {
            self.error = Some(TYPE_USERNAME.into());
            self.focus = Field::Username;
            return None;
        }
        if self.secret_len() == 0 {
            self.error = Some(TYPE_SECRET.into());
            self.focus = Field::Secret;
            return None;
        }
        self.checking = true;
        self.error = None;
        let secret = std::mem::replace(&mut self.secret, Secret::new(""));
        Some(Cmd::SignIn {
            username: self.username.trim().to_string(),
            secret,
        })
    }

    /// A typed key with no binding: a character into the focused field, Backspace, Ctrl-U.
    pub fn on_key(&mut self, ev: &KeyEvent, shared: &mut Shared) {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let secret = self.secret.expose().to_string();
        let (mut text, max) = match self.focus {
            Field::Username => (self.username.clone(), USERNAME_MAX),
            Field::Secret => (secret, SECRET_MAX_CHARS),
        };
        match ev.code {
            KeyCode::Char('u') if ctrl => text.clear(),
            KeyCode::Char(c) if !ctrl && !c.is_control() && text.chars().count() < max => {
                text.push(c)
            }
            KeyCode::Backspace => {
                text.pop();
            }
            _ => return,
        }
        match self.focus {
            Field::Username => self.username = text,
            Field::Secret => self.secret = Secret::new(text),
        }
        shared.touch();
    }

    /// The worker's answer to a sign-in that failed.
    pub fn failed(&mut self, why: String) {
        self.checking = false;
        self.error = Some(why);
        self.focus = Field::Secret;
    }

    /// The screen title.
    pub fn title(&self) -> &'static str {
        match self.reason {
            LockReason::Start => "Sign in",
            LockReason::Idle(_) | LockReason::Manual => "Locked",
        }
    }

    /// Draw into `area` (everything between the title and the footer).
    pub fn draw(&self, frame: &mut Frame, area: Rect, hint: &[String]) {
        let rect = modal::centered(area, 58, 10);
        let inner = modal::frame_box(
            frame,
            rect,
            format!(" {} ", self.title()),
            theme::modal_border(),
        );
        let mut lines = vec![
            Line::from(Span::styled(self.why(), theme::dim())),
            Line::default(),
            self.field_line("Username      ", &self.username, Field::Username),
            self.field_line(
                "PIN/password  ",
                &"•".repeat(self.secret_len()),
                Field::Secret,
            ),
            Line::default(),
        ];
        if self.checking {
            lines.push(Line::from(Span::styled(CHECKING, theme::dim())));
        } else if let Some(e) = &self.error {
            lines.push(Line::from(Span::styled(e.clone(), theme::warning())));
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        let below = Rect::new(
            area.x,
            rect.y + rect.height,
            area.width,
            (area.y + area.height).saturating_sub(rect.y + rect.height),
        );
        let hints: Vec<Line> = hint
            .iter()
            .map(|h| Line::from(fit(&format!(" {h}"), area.width)).centered())
            .collect();
        frame.render_widget(Paragraph::new(hints).style(theme::dim()), below);
    }

    /// One line saying why the console is locked.
    fn why(&self) -> String {
        let who = self.previous.as_ref().map(|m| m.username.as_str());
        match (self.reason, who) {
            (LockReason::Idle(min), Some(who)) => {
                format!("Locked after {min} min without a key; {who} was signed in.")
            }
            (LockReason::Manual, Some(who)) => format!("{who} locked the console."),
            _ => "Type your username and PIN or password.".into(),
        }
    }

    fn field_line(&self, label: &'static str, value: &str, field: Field) -> Line<'static> {
        let focused = self.focus == field;
        let marker = if focused { "▶ " } else { "  " };
        let cursor = if focused { "▏" } else { "" };
        let style = if focused {
            theme::selected()
        } else {
            theme::key_label()
        };
        Line::from(vec![
            Span::raw(marker),
            Span::styled(label, theme::key_label()),
            Span::styled(format!("{value}{cursor}"), style),
        ])
    }
}

const TYPE_USERNAME: &str = "Type your username first.";
const TYPE_SECRET: &str = "Type your PIN or password.";
const CHECKING: &str = "Checking…";
