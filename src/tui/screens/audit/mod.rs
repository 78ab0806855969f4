//! The audit screen (SPEC §3.8, managers), four parts: the log (newest first, filtered by
//! member, action, dates and patient, a page at a time), the hash chain's verification, the
//! compliance review (every template and sent text through today's PHI gate) and the consent
//! review (stale opt-ins, opt-ins without evidence, texts sent without consent). Each calls
//! the workflow function behind `audit verify|review` and `consent review`, on the worker.
//! This file is the update; [`filter`] reads the typed filter; [`view`] draws.

pub mod filter;
mod view;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

use super::super::keymap::Context;
use super::super::msg::{Action, Cmd, Msg};
use super::super::screen::{Go, ScreenReply, ScreenState};
use super::super::shared::{Shared, ToastKind};
use crate::domain::audit::AuditRecord;
use crate::domain::ids::PatientId;
use crate::workflow::audit::ChainReport;
use crate::workflow::compliance::ComplianceReport;
use crate::workflow::consent_review::ConsentReview;
use crate::workflow::manager_views::{AUDIT_PAGE, AuditQuery};

/// The parts, in Tab order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Part {
    #[default]
    Log,
    Chain,
    Compliance,
    Consent,
}

impl Part {
    pub const ALL: [Self; 4] = [Self::Log, Self::Chain, Self::Compliance, Self::Consent];

    pub fn label(self) -> &'static str {
        match self {
            Self::Log => "log",
            Self::Chain => "hash chain",
            Self::Compliance => "compliance review",
            Self::Consent => "consent review",
        }
    }

    fn step(self, step: isize) -> Self {
        let i = Self::ALL.iter().position(|p| *p == self).unwrap_or(0) as isize;
        Self::ALL[(i + step).rem_euclid(Self::ALL.len() as isize) as usize]
    }
}

/// A result the screen waits for: not asked, asked, or answered.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Pending<T> {
    #[default]
    NotAsked,
    Running,
    Done(Result<T, String>),
}

/// The audit screen.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuditState {
    pub part: Part,
    pub query: AuditQuery,
    /// The filter as typed (shown; what `f` edits).
    pub filter_text: String,
    /// The filter being typed.
    pub typing: Option<String>,
    pub typing_error: Option<String>,
    pub generation: u64,
    pub records: Vec<AuditRecord>,
    pub loading: bool,
    /// The last page was short: there is nothing older.
    pub exhausted: bool,
    pub error: Option<String>,
    /// First line shown of the current part (in the log: the first record shown).
    pub scroll: usize,
    /// The log's selected record (its whole detail shows below the list).
    pub selected: usize,
    /// The consent review's selected patient (across its three lists).
    pub review_selected: usize,
    pub chain: Pending<ChainReport>,
    pub compliance: Pending<Box<ComplianceReport>>,
    pub consent: Pending<Box<ConsentReview>>,
}

impl AuditState {
    /// Load the first page for the current filter (`more`: the next, older page).
    fn load(&mut self, more: bool, shared: &mut Shared) -> Cmd {
        self.generation = shared.next_generation();
        self.loading = true;
        let mut query = self.query.clone();
        if more {
            query.before = self.records.last().map(|r| r.id);
        } else {
            self.records.clear();
            self.scroll = 0;
            self.selected = 0;
            self.exhausted = false;
        }
        Cmd::LoadAudit {
            generation: self.generation,
            query,
        }
    }

    /// The consent review's patients in the order shown.
    pub fn review_patients(&self) -> Vec<PatientId> {
        match &self.consent {
            Pending::Done(Ok(r)) => r
                .sent_without_consent
                .iter()
                .chain(&r.stale_opt_ins)
                .chain(&r.opt_ins_without_evidence)
                .map(|l| l.patient_id)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// `delta` ±1 a line, ±2 a page. In the log and the consent review the selection moves
    /// and the list follows it; elsewhere the text scrolls.
    fn scroll_by(&mut self, delta: isize, shared: &Shared) {
        if self.part == Part::Consent {
            let page = usize::from(shared.body().height.saturating_sub(2)).max(1) as isize;
            let step = match delta {
                2 => page,
                -2 => -page,
                d => d,
            };
            let last = self.review_patients().len().saturating_sub(1) as isize;
            self.review_selected = (self.review_selected as isize + step).clamp(0, last) as usize;
            return;
        }
        let body = shared.body().height;
        let page = if self.part == Part::Log {
            // tabs, filter, column heads, the detail below
            body.saturating_sub(3 + view::DETAIL_LINES)
        } else {
            body.saturating_sub(1)
        };
        let page = usize::from(page).max(1);
        let step = match delta {
            2 => page as isize,
            -2 => -(page as isize),
            d => d,
        };
        if self.part != Part::Log {
            self.scroll = (self.scroll as isize + step).max(0) as usize;
            return;
        }
        let last = self.records.len().saturating_sub(1);
        self.selected = (self.selected as isize + step).clamp(0, last as isize) as usize;
        if self.selected < self.scroll {
            self.scroll = self.selected;
        } else if self.selected >= self.scroll + page {
            self.scroll = self.selected + 1 - page;
        }
    }

    /// Reaching the last record of the log reads the next, older page.
    fn more_at_the_end(&mut self, shared: &mut Shared) -> Vec<Cmd> {
        let at_end = self.selected + 1 >= self.records.len();
        if self.part == Part::Log && at_end && !self.exhausted && !self.loading {
            vec![self.load(true, shared)]
        } else {
            Vec::new()
        }
    }

    fn on_typing(&mut self, action: Action, shared: &mut Shared) -> ScreenReply {
        let Some(text) = self.typing.as_mut() else {
            return ScreenReply::none();
        };
        match action {
            Action::Backspace => {
                text.pop();
            }
            Action::Close => self.typing = None,
            Action::Accept => match filter::parse(text) {
                Ok(q) => {
                    self.filter_text = text.trim().to_string();
                    self.query = q;
                    self.typing = None;
                    self.typing_error = None;
                    self.part = Part::Log;
                    return vec![self.load(false, shared)].into();
                }
                Err(e) => self.typing_error = Some(e),
            },
            _ => {}
        }
        ScreenReply::none()
    }

    fn run(&mut self, part: Part) -> Vec<Cmd> {
        self.part = part;
        self.scroll = 0;
        match part {
            Part::Chain => {
                self.chain = Pending::Running;
                vec![Cmd::VerifyAudit]
            }
            Part::Compliance => {
                self.compliance = Pending::Running;
                vec![Cmd::ReviewCompliance]
            }
            Part::Consent => {
                self.consent = Pending::Running;
                self.review_selected = 0;
                vec![Cmd::ReviewConsent]
            }
            Part::Log => Vec::new(),
        }
    }
}

impl ScreenState for AuditState {
    fn context(&self) -> Context {
        if self.typing.is_some() {
            Context::AuditFilter
        } else {
            Context::Audit
        }
    }

    fn title(&self, _shared: &Shared) -> String {
        format!("Audit · {}", self.part.label())
    }

    fn start(&mut self, shared: &mut Shared) -> Vec<Cmd> {
        vec![self.load(false, shared)]
    }

    fn on_action(&mut self, action: Action, shared: &mut Shared) -> ScreenReply {
        shared.touch();
        if self.typing.is_some() {
            return self.on_typing(action, shared);
        }
        let cmds = match action {
            Action::Close => return ScreenReply::go(Go::Back),
            Action::NextView | Action::PrevView => {
                let part = self
                    .part
                    .step(if action == Action::NextView { 1 } else { -1 });
                // A part not yet run runs when first shown.
                let asked = match part {
                    Part::Chain => self.chain != Pending::NotAsked,
                    Part::Compliance => self.compliance != Pending::NotAsked,
                    Part::Consent => self.consent != Pending::NotAsked,
                    // The reviews add their own records: show the log as it is now.
                    Part::Log => false,
                };
                self.scroll = 0;
                self.part = part;
                match (part, asked) {
                    (Part::Log, _) => vec![self.load(false, shared)],
                    (_, true) => Vec::new(),
                    (p, false) => self.run(p),
                }
            }
            Action::Up => {
                self.scroll_by(-1, shared);
                Vec::new()
            }
            Action::Down => {
                self.scroll_by(1, shared);
                self.more_at_the_end(shared)
            }
            Action::PageUp => {
                self.scroll_by(-2, shared);
                Vec::new()
            }
            Action::PageDown => {
                self.scroll_by(2, shared);
                self.more_at_the_end(shared)
            }
            Action::Filter => {
                self.typing = Some(self.filter_text.clone());
                self.typing_error = None;
                Vec::new()
            }
            Action::More if self.part == Part::Log && !self.exhausted && !self.loading => {
                vec![self.load(true, shared)]
            }
            Action::More => Vec::new(),
            Action::OpenPatient => {
                let chosen = self.review_patients().get(self.review_selected).copied();
                match (self.part, chosen) {
                    (Part::Consent, Some(id)) => return ScreenReply::go(Go::Patient(id)),
                    _ => Vec::new(),
                }
            }
            Action::VerifyChain => self.run(Part::Chain),
            Action::ComplianceReview => self.run(Part::Compliance),
            Action::ConsentReview => self.run(Part::Consent),
            Action::Reload => match self.part {
                Part::Log => vec![self.load(false, shared)],
                p => self.run(p),
            },
            _ => Vec::new(),
        };
        cmds.into()
    }

    fn on_unbound_key(&mut self, key: &KeyEvent, shared: &mut Shared) -> ScreenReply {
        if let (Some(text), KeyCode::Char(c)) = (self.typing.as_mut(), key.code)
            && !key.modifiers.contains(KeyModifiers::CONTROL)
            && text.chars().count() < 120
        {
            text.push(c);
            self.typing_error = None;
            shared.touch();
        }
        ScreenReply::none()
    }

    fn on_msg(&mut self, msg: Msg, shared: &mut Shared) -> ScreenReply {
        match msg {
            Msg::AuditLoaded { generation, result } if generation == self.generation => {
                self.loading = false;
                match result {
                    Ok(page) => {
                        self.exhausted = page.len() < AUDIT_PAGE;
                        self.records.extend(page);
                        self.error = None;
                    }
                    Err(e) => {
                        shared.toast(ToastKind::Error, format!("Audit log not loaded: {e}"));
                        self.error = Some(e);
                    }
                }
            }
            Msg::AuditVerified(r) => self.chain = Pending::Done(r),
            Msg::ComplianceReviewed(r) => self.compliance = Pending::Done(r),
            Msg::ConsentReviewed(r) => self.consent = Pending::Done(r),
            _ => return ScreenReply::none(),
        }
        shared.touch();
        ScreenReply::none()
    }

    fn draw(&self, frame: &mut Frame, body: Rect, shared: &Shared) {
        view::draw(frame, body, self, shared);
    }
}
