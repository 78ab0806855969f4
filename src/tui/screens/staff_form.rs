//! The Staff screen's form (a modal): add a member, give a new PIN or password, change a role,
//! or confirm disabling. Checks what it can before anything is sent (username rules, the two
//! entries of a secret agree, PIN/password rules for the role) with the same pure rules the
//! workflow applies; the worker decides the rest (a username taken, the last admin). Secrets
//! are drawn as dots and travel as [`Secret`]. Imports the console's vocabulary and shared
//! state; never `app` or a screen.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::super::keymap::Context;
use super::super::msg::{Action, Cmd, StaffChange};
use super::super::overlay::{Overlay, OverlayReply};
use super::super::shared::Shared;
use super::super::theme;
use super::super::widgets::modal;
use crate::domain::staff::credential::{self, SECRET_MAX_CHARS};
use crate::domain::staff::{Role, Secret, StaffMember, Username};

/// What the form does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormKind {
    Add,
    Reset,
    Role,
    Disable,
}

/// One field of the form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormField {
    Username,
    DisplayName,
    Role,
    Secret,
    Again,
}

/// The form's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffFormState {
    pub kind: FormKind,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The member's role before the change (Reset, Role, Disable).
    pub current_role: Role,
    secret: Secret,
    again: Secret,
    pub focus: usize,
    pub error: Option<String>,
}

impl StaffFormState {
    /// A form to add a member (reception by default, the commonest).
    pub fn add() -> Self {
        Self {
            kind: FormKind::Add,
            username: String::new(),
            display_name: String::new(),
            role: Role::Reception,
            current_role: Role::Reception,
            secret: Secret::new(""),
            again: Secret::new(""),
            focus: 0,
            error: None,
        }
    }

    /// A form about an existing member.
    pub fn about(kind: FormKind, member: &StaffMember) -> Self {
        Self {
            kind,
            username: member.username.clone(),
            display_name: member.display_name.clone(),
            role: member.role,
            current_role: member.role,
            ..Self::add()
        }
    }

    pub fn fields(&self) -> &'static [FormField] {
        use FormField as F;
        match self.kind {
            FormKind::Add => &[F::Username, F::DisplayName, F::Role, F::Secret, F::Again],
            FormKind::Reset => &[F::Secret, F::Again],
            FormKind::Role => &[F::Role, F::Secret, F::Again],
            FormKind::Disable => &[],
        }
    }

    fn focused(&self) -> Option<FormField> {
        self.fields().get(self.focus).copied()
    }

    /// Type into the focused field; ←/→/Space turn the role.
    fn type_key(&mut self, ev: &KeyEvent) {
        let Some(field) = self.focused() else { return };
        if field == FormField::Role {
            let step: isize = match ev.code {
                KeyCode::Left => -1,
                KeyCode::Right | KeyCode::Char(' ') => 1,
                _ => return,
            };
            let i = Role::ALL.iter().position(|r| *r == self.role).unwrap_or(0) as isize;
            self.role = Role::ALL[(i + step).rem_euclid(Role::ALL.len() as isize) as usize];
            return;
        }
        let (mut text, max) = match field {
            FormField::Username => (self.username.clone(), 32),
            FormField::DisplayName => (self.display_name.clone(), 80),
            FormField::Secret => (self.secret.expose().to_string(), SECRET_MAX_CHARS),
            FormField::Again | FormField::Role => {
                (self.again.expose().to_string(), SECRET_MAX_CHARS)
            }
        };
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        match ev.code {
            KeyCode::Char(c) if !ctrl && !c.is_control() && text.chars().count() < max => {
                text.push(c)
            }
            KeyCode::Backspace => {
                text.pop();
            }
            _ => return,
        }
        match field {
            FormField::Username => self.username = text,
            FormField::DisplayName => self.display_name = text,
            FormField::Secret => self.secret = Secret::new(text),
            FormField::Again | FormField::Role => self.again = Secret::new(text),
        }
    }

    /// Check the form and make the change, or say what is wrong.
    pub fn submit(&self) -> Result<StaffChange, String> {
        let username = self.username.trim().to_lowercase();
        let typed_secret = (!self.secret.expose().is_empty()).then(|| self.secret.clone());
        if typed_secret.is_some() && self.secret != self.again {
            return Err("The two entries differ; type the same PIN or password twice.".into());
        }
        let check = |secret: &Secret, role: Role| -> Result<(), String> {
            let name = Username::parse(&username).map_err(|e| e.to_string())?;
            credential::check_new_secret(secret, &name, role)
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        match self.kind {
            FormKind::Add => {
                let secret = typed_secret.ok_or("Type a PIN or password for them.")?;
                check(&secret, self.role)?;
                Ok(StaffChange::Add {
                    username,
                    display_name: self.display_name.trim().to_string(),
                    role: self.role,
                    secret,
                })
            }
            FormKind::Reset => {
                let secret = typed_secret.ok_or("Type the new PIN or password.")?;
                check(&secret, self.current_role)?;
                Ok(StaffChange::Reset { username, secret })
            }
            FormKind::Role => {
                if self.role == self.current_role {
                    return Err(format!("{username} is already {}.", self.role));
                }
                if let Some(secret) = &typed_secret {
                    check(secret, self.role)?;
                }
                Ok(StaffChange::Role {
                    username,
                    role: self.role,
                    password: typed_secret,
                })
            }
            FormKind::Disable => Ok(StaffChange::Disable { username }),
        }
    }

    fn title(&self) -> String {
        match self.kind {
            FormKind::Add => " Add a member of staff ".into(),
            FormKind::Reset => format!(" New PIN or password for {} ", self.username),
            FormKind::Role => format!(" Change {}'s role ", self.username),
            FormKind::Disable => format!(" Disable {}? ", self.username),
        }
    }

    fn note(&self) -> &'static str {
        match self.kind {
            FormKind::Add => {
                "←/→ change the role. Reception and managers: a PIN of 6+ digits or a password of 12+ characters; admins: a password."
            }
            FormKind::Reset => "Lifts a lockout. Tell them in person, never by text.",
            FormKind::Role => {
                "Making someone an admin needs a new password of 12+ characters; otherwise leave it empty."
            }
            FormKind::Disable => {
                "They can no longer sign in; everything they did stays theirs. Enter disables, Esc keeps them."
            }
        }
    }

    fn field_line(&self, i: usize, field: FormField) -> Line<'static> {
        let (label, value) = match field {
            FormField::Username => ("Username      ", self.username.clone()),
            FormField::DisplayName => ("Display name  ", self.display_name.clone()),
            FormField::Role => ("Role          ", format!("◀ {} ▶", self.role)),
            FormField::Secret => ("PIN/password  ", dots(&self.secret)),
            FormField::Again => ("Again         ", dots(&self.again)),
        };
        let focused = i == self.focus;
        let style = if focused {
            theme::selected()
        } else {
            theme::key_label()
        };
        Line::from(vec![
            Span::raw(if focused { "▶ " } else { "  " }),
            Span::styled(label, theme::key_label()),
            Span::styled(value, style),
        ])
    }
}

fn dots(s: &Secret) -> String {
    "•".repeat(s.expose().chars().count())
}

impl Overlay for StaffFormState {
    fn context(&self) -> Context {
        Context::StaffForm
    }

    fn on_action(&mut self, action: Action, shared: &mut Shared) -> OverlayReply {
        shared.touch();
        let n = self.fields().len();
        match action {
            Action::NextField if n > 0 => self.focus = (self.focus + 1) % n,
            Action::PrevField if n > 0 => self.focus = (self.focus + n - 1) % n,
            Action::Accept if self.focus + 1 < n => self.focus += 1,
            Action::Accept => {
                return match self.submit() {
                    Ok(change) => OverlayReply::Close(vec![Cmd::ChangeStaff(change)]),
                    Err(e) => {
                        self.error = Some(e);
                        OverlayReply::Keep
                    }
                };
            }
            Action::Close => return OverlayReply::Close(Vec::new()),
            _ => {}
        }
        OverlayReply::Keep
    }

    fn on_unbound_key(&mut self, key: &KeyEvent, shared: &mut Shared) -> OverlayReply {
        self.type_key(key);
        self.error = None;
        shared.touch();
        OverlayReply::Keep
    }

    fn draw(&self, frame: &mut Frame, area: Rect, _shared: &Shared) {
        let fields = self.fields();
        let height = fields.len() as u16 + 7;
        let border = match self.kind {
            FormKind::Disable => theme::danger_border(),
            _ => theme::modal_border(),
        };
        let inner = modal::frame_box(
            frame,
            modal::centered(area, 64, height),
            self.title(),
            border,
        );
        let mut lines: Vec<Line> = fields
            .iter()
            .enumerate()
            .map(|(i, f)| self.field_line(i, *f))
            .collect();
        lines.push(Line::default());
        match &self.error {
            Some(e) => lines.push(Line::from(Span::styled(e.clone(), theme::warning()))),
            None => lines.push(Line::from(Span::styled(self.note(), theme::dim()))),
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    }
}
