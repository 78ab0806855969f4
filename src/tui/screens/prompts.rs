//! The portal prompt screen (SPEC §3.5): the patients marked on the day view (space), a
//! prompt kind (←/→: new secure message, results ready, intake forms, renewal review), a
//! preview of each patient's rendered text as the PHI gate and the sending rules judge it,
//! Enter asks and `y` sends — through the same workflow as the single prompt on the patient
//! screen (`workflow::send::portal_prompts`) — then the result per patient. No IO.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::keymap::Context;
use super::super::msg::{Action, Cmd, Msg};
use super::super::screen::{Go, ScreenReply, ScreenState};
use super::super::shared::{Shared, ToastKind};
use super::super::strings::{self, desk};
use super::super::theme;
use super::super::widgets::text::{fit, pad};
use crate::domain::ids::PatientId;
use crate::domain::report::SendOutcome;
use crate::workflow::send::SendReport;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Phase {
    #[default]
    Previewing,
    Preview,
    Confirming,
    Sending,
    Done,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PromptsState {
    /// The chosen patients and their names, in the order they were marked.
    pub patients: Vec<(PatientId, String)>,
    /// Index into `desk::PROMPTS`.
    pub kind: usize,
    pub phase: Phase,
    /// The preview, then the results: one line per patient.
    pub report: Option<SendReport>,
    pub scroll: usize,
}

impl PromptsState {
    pub fn new(patients: Vec<(PatientId, String)>) -> Self {
        Self {
            patients,
            ..Self::default()
        }
    }

    fn ids(&self) -> Vec<PatientId> {
        self.patients.iter().map(|(p, _)| *p).collect()
    }

    /// How many of the previewed texts would go.
    pub fn will_send(&self) -> usize {
        self.report.as_ref().map_or(0, |r| {
            r.lines
                .iter()
                .filter(|l| l.outcome == SendOutcome::WouldSend)
                .count()
        })
    }

    fn preview(&mut self, shared: &mut Shared) -> Vec<Cmd> {
        shared.touch();
        self.phase = Phase::Previewing;
        vec![Cmd::PreviewPrompts {
            patients: self.ids(),
            kind: desk::PROMPTS[self.kind].0,
        }]
    }

    fn name(&self, p: PatientId) -> &str {
        self.patients
            .iter()
            .find(|(id, _)| *id == p)
            .map_or("", |(_, n)| n.as_str())
    }
}

impl ScreenState for PromptsState {
    fn context(&self) -> Context {
        Context::Prompts
    }

    fn title(&self, _shared: &Shared) -> String {
        let what = match self.phase {
            Phase::Previewing | Phase::Preview => "preview",
            Phase::Confirming => "send?",
            Phase::Sending => "sending…",
            Phase::Done => "results",
        };
        format!(
            "Portal prompt \"{}\" to {} patient(s) · {what}",
            desk::PROMPTS[self.kind].1,
            self.patients.len()
        )
    }

    fn start(&mut self, shared: &mut Shared) -> Vec<Cmd> {
        if self.phase != Phase::Previewing || self.patients.is_empty() {
            return Vec::new();
        }
        self.preview(shared)
    }

    fn on_action(&mut self, action: Action, shared: &mut Shared) -> ScreenReply {
        shared.touch();
        let n = desk::PROMPTS.len();
        match (action, self.phase) {
            (Action::Up, _) => self.scroll = self.scroll.saturating_sub(1),
            (Action::Down, _) => {
                self.scroll = (self.scroll + 1).min(self.patients.len().saturating_sub(1))
            }
            (Action::Close, Phase::Confirming) => self.phase = Phase::Preview,
            (Action::Close, Phase::Sending) => {}
            (Action::Close, _) => return ScreenReply::go(Go::Back),
            (Action::NextChoice | Action::PrevChoice, Phase::Preview | Phase::Previewing) => {
                self.kind = match action {
                    Action::NextChoice => (self.kind + 1) % n,
                    _ => (self.kind + n - 1) % n,
                };
                return self.preview(shared).into();
            }
            (Action::SendText, Phase::Preview) if self.will_send() == 0 => {
                shared.toast(ToastKind::Info, strings::PROMPTS_NOTHING.into());
            }
            (Action::SendText, Phase::Preview) => self.phase = Phase::Confirming,
            (Action::Accept, Phase::Confirming) => {
                self.phase = Phase::Sending;
                return vec![Cmd::SendPrompts {
                    patients: self.ids(),
                    kind: desk::PROMPTS[self.kind].0,
                }]
                .into();
            }
            _ => {}
        }
        ScreenReply::none()
    }

    fn on_msg(&mut self, msg: Msg, shared: &mut Shared) -> ScreenReply {
        let Msg::Prompts { sent, result } = msg else {
            return ScreenReply::none();
        };
        shared.touch();
        if !sent && self.phase != Phase::Previewing {
            return ScreenReply::none();
        }
        self.phase = if sent { Phase::Done } else { Phase::Preview };
        match result {
            Ok(report) => {
                if sent {
                    let went =
                        report.count(SendOutcome::Sent) + report.count(SendOutcome::InOutbox);
                    let kind = if report.partly_failed() {
                        ToastKind::Error
                    } else {
                        ToastKind::Info
                    };
                    shared.toast(
                        kind,
                        format!("Portal prompt sent to {went} of {}", report.lines.len()),
                    );
                }
                self.report = Some(report);
            }
            Err(e) => shared.toast(ToastKind::Error, strings::refused(&e)),
        }
        if sent {
            return vec![Cmd::LoadProvider].into();
        }
        ScreenReply::none()
    }

    fn awaiting_first_load(&self) -> bool {
        self.phase == Phase::Previewing && self.report.is_none()
    }

    fn draw(&self, frame: &mut Frame, body: Rect, _shared: &Shared) {
        let w = body.width;
        let mut lines = vec![Line::from(vec![
            Span::raw(" prompt: "),
            Span::styled(
                format!(" ◀ {} ▶ ", desk::PROMPTS[self.kind].1),
                theme::selected(),
            ),
            Span::styled(
                format!("  {} of {}", self.kind + 1, desk::PROMPTS.len()),
                theme::dim(),
            ),
        ])];
        let head = match (self.phase, &self.report) {
            (Phase::Confirming, _) => format!(
                "Send this prompt to {} patient(s) now? y sends · Esc goes back",
                self.will_send()
            ),
            (_, None) if self.patients.is_empty() => strings::PROMPTS_NONE.to_string(),
            (_, None) => strings::LOADING.to_string(),
            (Phase::Done, Some(_)) => "Results — Esc goes back".to_string(),
            (_, Some(_)) => format!(
                "{} will get it — Enter sends (asks first) · ←/→ another prompt",
                self.will_send()
            ),
        };
        lines.push(Line::from(Span::styled(fit(&head, w), theme::title())));
        if let Some(report) = &self.report {
            for l in report.lines.iter().skip(self.scroll) {
                let (what, style) = outcome_words(l);
                let name = pad(self.name(l.patient_id), 24);
                lines.push(Line::from(Span::styled(
                    fit(&format!(" {name} {what}"), w),
                    style,
                )));
                if let Some(body) = &l.body {
                    let quoted = format!("“{body}”");
                    for part in wrap(&quoted, usize::from(w.saturating_sub(6)).max(20)) {
                        lines.push(Line::from(Span::styled(
                            format!("     {part}"),
                            theme::dim(),
                        )));
                    }
                }
            }
        }
        frame.render_widget(Paragraph::new(lines), body);
    }
}

/// "would send" / "blocked: …" / "failed [30003]: …" for one patient's line.
fn outcome_words(l: &crate::workflow::send::SendLine) -> (String, Style) {
    let reason = l.reason.as_deref().unwrap_or("");
    match l.outcome {
        SendOutcome::WouldSend if reason.is_empty() => ("will send".into(), Style::new()),
        SendOutcome::WouldSend => (format!("will send ({reason})"), Style::new()),
        SendOutcome::Sent => ("sent".into(), Style::new()),
        SendOutcome::InOutbox => ("in outbox (goes when online)".into(), Style::new()),
        SendOutcome::Failed => {
            let code = l
                .code
                .as_deref()
                .map(|c| format!(" [{c}]"))
                .unwrap_or_default();
            (format!("failed{code}: {reason}"), theme::warning())
        }
        SendOutcome::Blocked => (format!("blocked: {reason}"), theme::warning()),
        other => {
            let label = other.as_str().replace('_', " ");
            let text = if reason.is_empty() {
                label
            } else {
                format!("{label}: {reason}")
            };
            (text, theme::dim())
        }
    }
}

/// The words of `text` in lines of at most `width` characters (a longer word is cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        while line.chars().count() > width {
            let head: String = line.chars().take(width).collect();
            line = line.chars().skip(width).collect();
            out.push(head);
        }
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}
