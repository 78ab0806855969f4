//! The patient screen (SPEC §3.3): contact details, consent timeline, appointments and the
//! messages both ways. This file is its update and its place in the console
//! ([`ScreenState`]); [`state`] holds whose record and the scroll, [`view`] draws it. Modals it
//! opens: the consent / opt-out / mobile forms and the text box (custom text or portal
//! prompt). Results of what they record come back here: a toast, and the record reloads.

mod state;
mod view;

pub use state::PatientState;

use crate::domain::report::SendOutcome;
use ratatui::Frame;
use ratatui::layout::Rect;

use super::super::keymap::Context;
use super::super::modal::Modal;
use super::super::msg::{Action, Cmd, Msg};
use super::super::screen::{Go, ScreenReply, ScreenState};
use super::super::shared::{Shared, ToastKind};
use super::super::strings::{self, desk};
use super::compose::ComposeState;
use super::patient_form::{FormKind, FormState};
use crate::domain::message::MessageKind;
use crate::workflow::send::SendReport;

impl PatientState {
    /// Start loading the record (dropping any older load still in flight).
    pub fn load(&mut self, shared: &mut Shared) -> Cmd {
        let generation = shared.next_generation();
        self.generation = generation;
        self.loading = true;
        Cmd::LoadPatient {
            generation,
            patient: self.patient,
        }
    }

    fn scroll(&mut self, action: Action, shared: &Shared) {
        let Some(file) = &self.file else {
            return;
        };
        let total = view::body_lines(file, self, shared.tz, shared.body().width).len();
        let page = view::page(shared);
        let delta = match action {
            Action::Up => -1,
            Action::Down => 1,
            Action::PageUp => -(page as isize),
            Action::PageDown => page as isize,
            _ => 0,
        };
        self.scroll_by(delta, total, page);
    }

    /// A form or the text box over this patient.
    fn open(&self, action: Action, shared: &Shared) -> ScreenReply {
        let name = self.name();
        let modal = match action {
            Action::ConsentForm => Modal::Form(FormState::new(
                self.patient,
                FormKind::Consent,
                shared.today,
            )),
            Action::OptOutForm => {
                Modal::Form(FormState::new(self.patient, FormKind::OptOut, shared.today))
            }
            Action::PhoneForm => {
                Modal::Form(FormState::new(self.patient, FormKind::Phone, shared.today))
            }
            Action::PromptPicker => Modal::Compose(ComposeState::prompt(self.patient, name)),
            _ => Modal::Compose(ComposeState::text(self.patient, name)),
        };
        ScreenReply::open(modal)
    }

    fn on_sent(&mut self, result: Result<SendReport, String>, shared: &mut Shared) -> Vec<Cmd> {
        match result {
            Ok(r) => {
                let line = r.lines.first();
                let kind = r.kind.unwrap_or(MessageKind::Custom);
                let text = desk::sent(&self.name(), kind, line);
                let bad = line.is_none_or(|l| {
                    matches!(
                        l.outcome,
                        SendOutcome::Blocked
                            | SendOutcome::Failed
                            | SendOutcome::Skipped
                            | SendOutcome::Unreadable
                    )
                });
                let toast = if bad {
                    ToastKind::Error
                } else {
                    ToastKind::Info
                };
                shared.toast(toast, text);
            }
            Err(e) => shared.toast(ToastKind::Error, strings::refused(&e)),
        }
        vec![self.load(shared), Cmd::LoadProvider]
    }
}

impl ScreenState for PatientState {
    fn context(&self) -> Context {
        Context::Patient
    }

    fn title(&self, _shared: &Shared) -> String {
        desk::title(&self.name())
    }

    fn start(&mut self, shared: &mut Shared) -> Vec<Cmd> {
        vec![self.load(shared)]
    }

    fn on_action(&mut self, action: Action, shared: &mut Shared) -> ScreenReply {
        shared.touch();
        match action {
            Action::Up | Action::Down | Action::PageUp | Action::PageDown => {
                self.scroll(action, shared);
                ScreenReply::none()
            }
            Action::Reload => vec![self.load(shared)].into(),
            Action::Close => ScreenReply::go(Go::Back),
            Action::ConsentForm
            | Action::OptOutForm
            | Action::PhoneForm
            | Action::PromptPicker
            | Action::WriteText => {
                if self.file.is_none() {
                    return ScreenReply::none();
                }
                self.open(action, shared)
            }
            _ => ScreenReply::none(),
        }
    }

    fn on_msg(&mut self, msg: Msg, shared: &mut Shared) -> ScreenReply {
        match msg {
            Msg::PatientLoaded {
                generation,
                now,
                result,
            } => {
                if self.apply(generation, now, result) {
                    shared.touch();
                    if let Some(e) = &self.error {
                        shared.toast(ToastKind::Error, strings::refused(e));
                    }
                }
                ScreenReply::none()
            }
            Msg::PatientChanged { patient, result } if patient == self.patient => {
                match result {
                    Ok(done) => shared.toast(ToastKind::Info, done),
                    Err(e) => shared.toast(ToastKind::Error, strings::refused(&e)),
                }
                vec![self.load(shared)].into()
            }
            Msg::TextSent { patient, result } if patient == self.patient => {
                self.on_sent(result, shared).into()
            }
            _ => ScreenReply::none(),
        }
    }

    fn awaiting_first_load(&self) -> bool {
        self.loading && self.file.is_none()
    }

    fn draw(&self, frame: &mut Frame, body: Rect, shared: &Shared) {
        view::draw(frame, body, self, shared);
    }
}
