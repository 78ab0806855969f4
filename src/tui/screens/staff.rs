//! The Staff screen (SPEC §3.9, admins): every account with its role and whether it is
//! active or locked out; add, disable, re-enable, give a new PIN or password, change a role.
//! Changes go through the form ([`StaffFormState`]) and the worker (`workflow::staff`, which
//! writes each with its audit record naming the signed-in admin). Who may open it is the
//! permission table's answer on `Cmd::ListStaff`, checked by `app`. Never imports `app`.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::super::keymap::Context;
use super::super::modal::Modal;
use super::super::msg::{Action, Cmd, Msg, StaffChange, StaffChangeKind};
use super::super::screen::{ScreenReply, ScreenState};
use super::super::shared::{Shared, ToastKind};
use super::super::theme;
use super::super::widgets::text::fit;
use super::staff_form::{FormKind, StaffFormState};
use crate::domain::staff::StaffMember;

/// The Staff screen's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StaffState {
    pub members: Vec<StaffMember>,
    pub selected: usize,
    pub generation: u64,
    pub loading: bool,
    pub error: Option<String>,
    /// The worker's clock when the list was read (who is locked out).
    pub now: Option<DateTime<Utc>>,
}

impl StaffState {
    fn load(&mut self, shared: &mut Shared) -> Cmd {
        self.generation = shared.next_generation();
        self.loading = true;
        Cmd::ListStaff {
            generation: self.generation,
        }
    }

    pub fn selected_member(&self) -> Option<&StaffMember> {
        self.members.get(self.selected)
    }

    /// A form about the selected member, or a note that nobody is selected.
    fn form(&self, kind: FormKind, shared: &mut Shared) -> ScreenReply {
        match self.selected_member() {
            Some(m) if kind == FormKind::Disable && !m.active => {
                shared.toast(
                    ToastKind::Info,
                    format!("{} is already disabled", m.username),
                );
                ScreenReply::none()
            }
            Some(m) => ScreenReply::open(Modal::StaffForm(StaffFormState::about(kind, m))),
            None => {
                shared.toast(ToastKind::Info, "No member selected".into());
                ScreenReply::none()
            }
        }
    }

    fn enable(&self, shared: &mut Shared) -> ScreenReply {
        match self.selected_member() {
            Some(m) if m.active => {
                shared.toast(
                    ToastKind::Info,
                    format!("{} is already enabled", m.username),
                );
                ScreenReply::none()
            }
            Some(m) => ScreenReply::from(vec![Cmd::ChangeStaff(StaffChange::Enable {
                username: m.username.clone(),
            })]),
            None => ScreenReply::none(),
        }
    }

    fn on_listed(
        &mut self,
        generation: u64,
        now: DateTime<Utc>,
        result: Result<Vec<StaffMember>, String>,
        shared: &mut Shared,
    ) {
        if generation != self.generation {
            return;
        }
        self.loading = false;
        self.now = Some(now);
        shared.touch();
        match result {
            Ok(members) => {
                // Keep the same member selected across a reload.
                let keep = self.selected_member().map(|m| m.id);
                self.members = members;
                self.selected = keep
                    .and_then(|id| self.members.iter().position(|m| m.id == id))
                    .unwrap_or(0);
                self.error = None;
            }
            Err(e) => {
                shared.toast(ToastKind::Error, format!("Cannot read the staff list: {e}"));
                self.error = Some(e);
            }
        }
    }

    fn on_changed(
        &mut self,
        kind: StaffChangeKind,
        username: &str,
        result: Result<StaffMember, String>,
        shared: &mut Shared,
    ) -> Vec<Cmd> {
        match result {
            Ok(m) => {
                shared.toast(ToastKind::Info, done(kind, &m));
                vec![self.load(shared)]
            }
            Err(e) => {
                shared.toast(ToastKind::Error, format!("{username}: not changed: {e}"));
                Vec::new()
            }
        }
    }
}

/// "maya added as reception".
fn done(kind: StaffChangeKind, m: &StaffMember) -> String {
    match kind {
        StaffChangeKind::Added => format!("{} added as {}", m.username, m.role),
        StaffChangeKind::Disabled => format!("{} disabled; their history stays theirs", m.username),
        StaffChangeKind::Enabled => format!("{} can sign in again", m.username),
        StaffChangeKind::Reset => format!("{} has a new PIN or password", m.username),
        StaffChangeKind::RoleChanged => format!("{} is now {}", m.username, m.role),
    }
}

impl ScreenState for StaffState {
    fn context(&self) -> Context {
        Context::Staff
    }

    fn title(&self, _shared: &Shared) -> String {
        "Staff accounts".into()
    }

    fn start(&mut self, shared: &mut Shared) -> Vec<Cmd> {
        vec![self.load(shared)]
    }

    fn on_action(&mut self, action: Action, shared: &mut Shared) -> ScreenReply {
        shared.touch();
        let last = self.members.len().saturating_sub(1);
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(last),
            Action::Reload => return vec![self.load(shared)].into(),
            Action::AddStaff => return ScreenReply::open(Modal::StaffForm(StaffFormState::add())),
            Action::ResetStaff => return self.form(FormKind::Reset, shared),
            Action::ChangeRole => return self.form(FormKind::Role, shared),
            Action::DisableStaff => return self.form(FormKind::Disable, shared),
            Action::EnableStaff => return self.enable(shared),
            _ => {}
        }
        ScreenReply::none()
    }

    fn on_msg(&mut self, msg: Msg, shared: &mut Shared) -> ScreenReply {
        match msg {
            Msg::StaffListed {
                generation,
                now,
                result,
            } => {
                self.on_listed(generation, now, result, shared);
                ScreenReply::none()
            }
            Msg::StaffChanged {
                change,
                username,
                result,
            } => self.on_changed(change, &username, result, shared).into(),
            _ => ScreenReply::none(),
        }
    }

    fn awaiting_first_load(&self) -> bool {
        self.loading && self.members.is_empty()
    }

    fn draw(&self, frame: &mut Frame, body: Rect, shared: &Shared) {
        draw(frame, body, self, shared);
    }
}

/// "active", "disabled", "locked until 14:35".
fn state_word(m: &StaffMember, now: Option<DateTime<Utc>>, shared: &Shared) -> String {
    if !m.active {
        return "disabled".into();
    }
    match now.and_then(|n| m.locked_until(n)) {
        Some(until) => format!(
            "locked until {}",
            until.with_timezone(&shared.tz).format("%H:%M")
        ),
        None => "active".into(),
    }
}

fn draw(frame: &mut Frame, body: Rect, s: &StaffState, shared: &Shared) {
    if body.height < 2 {
        return;
    }
    let summary = match (&s.error, s.loading && s.members.is_empty()) {
        (_, true) => "Loading…".to_string(),
        (Some(e), _) => format!("Cannot read the staff list: {e}"),
        (None, _) => {
            let active = s.members.iter().filter(|m| m.active).count();
            format!("{} members, {active} active", s.members.len())
        }
    };
    let top = Rect::new(body.x, body.y, body.width, 1);
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(
            fit(&summary, body.width),
            theme::dim(),
        ))),
        top,
    );
    let rows: Vec<Row> = s
        .members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let marker = if i == s.selected { "▶" } else { " " };
            let style = if i == s.selected {
                theme::selected()
            } else if m.active {
                theme::key_label()
            } else {
                theme::dim()
            };
            Row::new(vec![
                Cell::from(marker),
                Cell::from(m.username.clone()),
                Cell::from(m.display_name.clone()),
                Cell::from(m.role.as_str()),
                Cell::from(state_word(m, s.now, shared)),
            ])
            .style(style)
        })
        .collect();
    let widths = [
        Constraint::Length(1),
        Constraint::Length(14),
        Constraint::Min(12),
        Constraint::Length(10),
        Constraint::Length(20),
    ];
    let table = Table::new(rows, widths).header(
        Row::new(vec!["", "Username", "Name", "Role", "State"]).style(theme::table_header()),
    );
    let rest = Rect::new(body.x, body.y + 1, body.width, body.height - 1);
    frame.render_widget(table, rest);
}
