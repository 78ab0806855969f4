//! The thread that owns the database. It runs [`Cmd`]s by calling the workflow functions and
//! posts each result back as a [`Msg`]. Loads and searches queued behind newer ones are
//! skipped (their results would be stale anyway); status changes always run, in order, even
//! after the console quit, so nothing the desk confirmed is lost. Logs carry ids only.
//!
//! The worker also checks sign-ins (Argon2id: tens of milliseconds, never on the drawing
//! thread) and then acts as the member who signed in: every change it writes is attributed
//! to them by username and id. Before anyone signs in it writes nothing. Whether a member
//! may ask for a command was decided in `update` (`app::refusal`); the staff use cases check
//! the table again themselves.

use std::io;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use chrono::{DateTime, Utc};

use super::msg::{Cmd, Msg, StaffChange};
use crate::clock::Clock;
use crate::config::Config;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::ids::AppointmentId;
use crate::domain::staff::{Actor, Member, Secret, StaffMember, Username};
use crate::store::{Store, StoreError};
use crate::workflow::desk::DeskError;
use crate::workflow::staff::{self, NewMember, RoleChange, StaffError};
use crate::workflow::{day, desk};

// managers
mod managers;
mod reception;
// closure
mod closure;
// batch: sends and retries on a thread of their own
mod batch;
// the day switch: kept days, the sheet first and its cells after
mod days;
pub use batch::Reopen;

/// How long quitting waits for queued status changes to land.
const STOP_WAIT: Duration = Duration::from_secs(3);

/// The running worker.
pub struct Worker {
    tx: Sender<Cmd>,
    handle: JoinHandle<()>,
}

/// Everything the worker needs to run commands.
pub struct Runner {
    pub store: Store,
    pub config: Config,
    pub clock: Clock,
    /// The member signed in at the console (`None` until someone signs in).
    pub actor: Option<Member>,
    /// Days loaded, and loaded ahead when idle, for the next day switch.
    pub days: day::DaysAhead,
    /// The sheet shown before its reminder cells, until `LoadCells` fills it.
    filling: Option<days::Filling>,
    /// Today has been read once to fill the page cache ([`Runner::warm_up`]).
    warmed: bool,
    /// Reading every patient whole failed: not tried again ([`Runner::learn_patients`]).
    patients_failed: bool,
}

impl Runner {
    /// A worker's state with nothing loaded yet; `actor` is who is signed in (`None` at the
    /// lock screen).
    pub fn new(store: Store, config: Config, clock: Clock, actor: Option<Member>) -> Self {
        Runner {
            store,
            config,
            clock,
            actor,
            days: day::DaysAhead::default(),
            filling: None,
            warmed: false,
            patients_failed: false,
        }
    }
}

/// What the worker says when a change is asked for before anyone signed in.
const NOBODY: &str = "nobody is signed in";

impl Worker {
    /// Start the thread; it answers on `out` until the queue closes.
    pub fn spawn(runner: Runner, out: Sender<Msg>) -> io::Result<Self> {
        Self::spawn_with(runner, out, None)
    }

    /// [`Worker::spawn`], with a way to open a second connection: reminder batches then run
    /// on a thread of their own while the worker goes on.
    pub fn spawn_with(
        mut runner: Runner,
        out: Sender<Msg>,
        reopen: Option<Reopen>,
    ) -> io::Result<Self> {
        let (tx, rx) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("frontdesk-db".into())
            .spawn(move || runner.serve(&rx, &out, &mut batch::Host::new(reopen)))?;
        Ok(Self { tx, handle })
    }

    pub fn send(&self, cmd: Cmd) -> anyhow::Result<()> {
        self.tx
            .send(cmd)
            .map_err(|_| anyhow!("the database worker stopped unexpectedly; see the log"))
    }

    /// Close the queue, let queued work finish (bounded), and join.
    pub fn stop(self) {
        let Self { tx, handle } = self;
        drop(tx);
        let start = Instant::now();
        while !handle.is_finished() && start.elapsed() < STOP_WAIT {
            std::thread::sleep(Duration::from_millis(10));
        }
        if handle.is_finished() {
            let _ = handle.join();
        } else {
            tracing::warn!("database worker still busy at exit");
        }
    }
}

/// Tells the console when the worker ends (also when it unwinds).
struct Stopped<'a>(&'a Sender<Msg>);

impl Drop for Stopped<'_> {
    fn drop(&mut self) {
        let _ = self.0.send(Msg::WorkerStopped);
    }
}

/// Commands that only read: every other one may change what a day shows, so the days loaded
/// ahead are forgotten before it runs. A command added later is a change until listed here.
fn reads_only(cmd: &Cmd) -> bool {
    matches!(
        cmd,
        Cmd::LoadDay { .. }
            | Cmd::LoadCells { .. }
            | Cmd::ExpectDay { .. }
            | Cmd::Locked
            | Cmd::Search { .. }
            | Cmd::LoadProvider
            | Cmd::LoadPatient { .. }
            | Cmd::LoadInbox { .. }
            | Cmd::PreviewReminders { .. }
            | Cmd::PreviewPrompts { .. }
            | Cmd::PollChanges
            | Cmd::LoadClinicians
            | Cmd::PreviewClosure(_)
            | Cmd::LoadStats { .. }
            | Cmd::DrillStats { .. }
            | Cmd::LoadTemplates
            | Cmd::PreviewTemplate { .. }
            | Cmd::LoadAudit { .. }
    )
}

/// Drop loads and searches that a later one of the same kind supersedes (a day's cells too,
/// when another day load follows them).
pub fn coalesce(batch: Vec<Cmd>) -> Vec<Cmd> {
    let last_load = batch.iter().rposition(|c| matches!(c, Cmd::LoadDay { .. }));
    let last_search = batch.iter().rposition(|c| matches!(c, Cmd::Search { .. }));
    let last_provider = batch.iter().rposition(|c| matches!(c, Cmd::LoadProvider));
    let last_poll = batch.iter().rposition(|c| matches!(c, Cmd::PollChanges));
    // managers: only the latest text of a template being typed is worth judging.
    let last_preview = batch
        .iter()
        .rposition(|c| matches!(c, Cmd::PreviewTemplate { .. }));
    batch
        .into_iter()
        .enumerate()
        .filter(|(i, c)| match c {
            Cmd::LoadDay { .. } => Some(*i) == last_load,
            Cmd::LoadCells { .. } => last_load.is_none_or(|l| l < *i),
            Cmd::Search { .. } => Some(*i) == last_search,
            Cmd::LoadProvider => Some(*i) == last_provider,
            Cmd::PollChanges => Some(*i) == last_poll,
            Cmd::PreviewTemplate { .. } => Some(*i) == last_preview,
            _ => true,
        })
        .map(|(_, c)| c)
        .collect()
}

impl Runner {
    fn serve(&mut self, rx: &Receiver<Cmd>, out: &Sender<Msg>, host: &mut batch::Host) {
        let _stopped = Stopped(out);
        while let Some(first) = self.next_cmd(rx) {
            let mut batch = vec![first];
            batch.extend(rx.try_iter());
            for cmd in coalesce(batch) {
                if matches!(cmd, Cmd::Quit) {
                    // A batch in flight stops after the texts being handed over.
                    host.cancel();
                    return;
                }
                let Some(cmd) = host.intercept(self, cmd, out) else {
                    continue;
                };
                if let Some(msg) = self.run(cmd) {
                    // The console may have quit; queued status changes still ran above.
                    let _ = out.send(msg);
                }
            }
        }
    }

    /// The next command; while none is waiting, the neighbours of the day shown are loaded
    /// ahead, one at a time, so a command never waits behind more than one such load (and,
    /// once, before anyone has signed in, today is read to fill the page cache). `None` when
    /// the console has closed the queue.
    fn next_cmd(&mut self, rx: &Receiver<Cmd>) -> Option<Cmd> {
        loop {
            match rx.try_recv() {
                Ok(cmd) => return Some(cmd),
                Err(mpsc::TryRecvError::Disconnected) => return None,
                Err(mpsc::TryRecvError::Empty) => {}
            }
            if !self.load_ahead() && !self.warm_up() && !self.learn_patients() {
                return rx.recv().ok();
            }
        }
    }

    /// Run one command and say what came of it. A new command adds an arm here and a
    /// method below.
    pub fn run(&mut self, cmd: Cmd) -> Option<Msg> {
        let now = self.clock.now();
        if !reads_only(&cmd) {
            // Its own commits do not move `data_version` for this connection: the kept days
            // are checked against the change log (which logs them) before they are shown.
            self.days.unchecked();
        }
        Some(match cmd {
            Cmd::LoadDay { generation, date } => self.load_day(generation, date, now),
            Cmd::LoadCells { generation, date } => return self.load_cells(generation, date, now),
            Cmd::ExpectDay { date } => {
                self.days.expect(date);
                return None;
            }
            Cmd::Locked => {
                self.days = day::DaysAhead::default();
                return None;
            }
            Cmd::Search { generation, query } => self.search(generation, &query, now),
            Cmd::SetStatus { id, to } => self.set_status(id, to, now),
            Cmd::LoadProvider => self.load_provider(),
            Cmd::Quit => return None,
            // reception
            Cmd::LoadPatient {
                generation,
                patient,
            } => self.load_patient(generation, patient, now),
            Cmd::RecordConsent {
                patient,
                method,
                evidence,
                signed_on,
            } => self.record_consent(patient, reception::signed(method, evidence, signed_on), now),
            Cmd::RecordOptOut { patient, method } => self.record_opt_out(patient, method, now),
            Cmd::FixPhone { patient, number } => self.fix_phone(patient, &number, now),
            Cmd::SendPortalPrompt { patient, kind } => self.send_portal_prompt(patient, kind),
            Cmd::SendCustomText { patient, text } => self.send_custom_text(patient, &text),
            Cmd::LoadInbox { generation } => self.load_inbox(generation, now),
            Cmd::HandleInbox { entry } => self.handle_inbox(&entry, now),
            Cmd::UndoStatus {
                id,
                now_is,
                back_to,
            } => self.undo_status(id, now_is, back_to, now),
            Cmd::PreviewReminders { window } => self.preview_batch(window),
            Cmd::SendReminders { window } => self.batch_here(Some(window), &[]),
            Cmd::RetryReminders { ids } => self.batch_here(None, &ids),
            // Nothing runs off the loop here (see `batch::Host`): nothing to cancel.
            Cmd::CancelReminders => return None,
            Cmd::PreviewPrompts { patients, kind } => self.prompts(&patients, kind, false),
            Cmd::SendPrompts { patients, kind } => self.prompts(&patients, kind, true),
            Cmd::PollChanges => Msg::DataVersion(day::data_version(&self.store).map_err(|e| {
                tracing::error!(error = %log_safe(&e), "data version poll failed");
                e.to_string()
            })),
            // closure
            Cmd::ReplyAct { message, action } => self.reply_act(message, action, now),
            Cmd::LoadClinicians => self.clinicians(),
            Cmd::PreviewClosure(draft) => self.closure(&draft, false),
            Cmd::SendClosure(draft) => self.closure(&draft, true),
            Cmd::SignIn { username, secret } => self.sign_in(&username, &secret, now),
            Cmd::ListStaff { generation } => self.list_staff(generation, now),
            Cmd::ChangeStaff(change) => self.change_staff(change, now),
            // managers
            Cmd::LoadStats { generation, period } => self.load_stats(generation, period, now),
            Cmd::DrillStats { generation, ids } => self.drill_stats(generation, &ids),
            Cmd::ExportStats { period } => self.export_stats(period, now),
            Cmd::LoadTemplates => self.load_templates(),
            Cmd::PreviewTemplate {
                generation,
                kind,
                body,
            } => self.preview_template(generation, kind, &body),
            Cmd::SaveTemplate { kind, body } => self.save_template(kind, &body, now),
            Cmd::LoadAudit { generation, query } => self.load_audit(generation, &query),
            Cmd::VerifyAudit => self.verify_audit(),
            Cmd::ReviewCompliance => self.review_compliance(now),
            Cmd::ReviewConsent => self.review_consent(now),
        })
    }

    /// The signed-in member's name for the audit. The console refuses every command before
    /// someone signs in (`app::session::gate`), so "nobody" is never written by a desk action.
    pub(super) fn actor_name(&self) -> String {
        self.actor
            .as_ref()
            .map_or_else(|| "nobody".to_string(), |m| m.username.clone())
    }

    /// The signed-in member as the actor of a change.
    pub(super) fn member(&self) -> Result<Actor, String> {
        self.actor
            .clone()
            .map(Actor::Member)
            .ok_or_else(|| NOBODY.to_string())
    }

    fn search(&self, generation: u64, query: &str, now: DateTime<Utc>) -> Msg {
        Msg::SearchDone {
            generation,
            // The query may be a name: it is not logged.
            result: day::search(&self.store, query, now).map_err(|e| {
                tracing::error!(error = %log_safe(&e), "patient search failed");
                e.to_string()
            }),
        }
    }

    fn set_status(&mut self, id: AppointmentId, to: AppointmentStatus, now: DateTime<Utc>) -> Msg {
        let actor = match self.member() {
            Ok(actor) => actor,
            Err(e) => {
                return Msg::StatusSet {
                    id,
                    to,
                    result: Err(e),
                };
            }
        };
        let result = desk::set_status(&mut self.store, &self.config, id, to, &actor, now);
        match &result {
            Ok(_) => {
                tracing::info!(appointment = %id, to = to.as_str(), "desk status change")
            }
            Err(DeskError::Transition(e)) => {
                tracing::info!(appointment = %id, to = to.as_str(), reason = %e, "desk status change refused")
            }
            Err(DeskError::Store(e)) => {
                tracing::error!(appointment = %id, to = to.as_str(), error = %log_safe(e), "desk status change failed")
            }
        }
        Msg::StatusSet {
            id,
            to,
            result: result.map(|_| ()).map_err(|e| e.to_string()),
        }
    }

    fn load_provider(&self) -> Msg {
        Msg::ProviderLoaded(
            day::provider_status(&self.store, &self.config).map_err(|e| {
                tracing::error!(error = %log_safe(&e), "provider status failed");
                e.to_string()
            }),
        )
    }
}

impl Runner {
    /// Check a sign-in; on success the worker acts as the member from now on. Neither the
    /// username nor the secret is logged.
    fn sign_in(&mut self, username: &str, secret: &Secret, now: DateTime<Utc>) -> Msg {
        let started = Instant::now();
        let result = staff::sign_in(&mut self.store, username, secret, now);
        let ms = started.elapsed().as_millis() as u64;
        match result {
            Ok(member) => {
                tracing::info!(staff_id = member.id.0, ms, "signed in at the console");
                self.actor = Some(member.clone());
                Msg::SignedIn(Ok(member))
            }
            Err(e) => {
                match &e {
                    staff::SignInError::Store(s) => {
                        tracing::error!(error = %log_safe(s), ms, "console sign-in failed")
                    }
                    _ => tracing::info!(ms, "console sign-in refused"),
                }
                Msg::SignedIn(Err(e.describe(self.config.practice.time_zone)))
            }
        }
    }

    fn list_staff(&self, generation: u64, now: DateTime<Utc>) -> Msg {
        let result = self.member().and_then(|actor| {
            staff::list(&self.store, &actor).map_err(|e| {
                log_staff(&e, "staff list failed");
                e.to_string()
            })
        });
        Msg::StaffListed {
            generation,
            now,
            result,
        }
    }

    fn change_staff(&mut self, change: StaffChange, now: DateTime<Utc>) -> Msg {
        let kind = change.kind();
        let username = change.username().to_string();
        let result = self.member().and_then(|actor| {
            self.apply_staff(&actor, change, now).map_err(|e| {
                log_staff(&e, "staff change refused");
                e.to_string()
            })
        });
        if let Ok(m) = &result {
            tracing::info!(staff_id = m.id.0, change = ?kind, "staff change");
            self.follow_own_change(m);
        }
        Msg::StaffChanged {
            change: kind,
            username,
            result,
        }
    }

    fn apply_staff(
        &mut self,
        actor: &Actor,
        change: StaffChange,
        now: DateTime<Utc>,
    ) -> Result<StaffMember, StaffError> {
        let store = &mut self.store;
        match change {
            StaffChange::Add {
                username,
                display_name,
                role,
                secret,
            } => {
                let new = NewMember {
                    username: Username::parse(&username)?,
                    display_name,
                    role,
                    secret,
                };
                staff::add(store, actor, &new, now)
            }
            StaffChange::Disable { username } => staff::disable(store, actor, &username, now),
            StaffChange::Enable { username } => staff::enable(store, actor, &username, now),
            StaffChange::Reset { username, secret } => {
                staff::reset(store, actor, &username, &secret, now)
            }
            StaffChange::Role {
                username,
                role,
                password,
            } => {
                let change = RoleChange {
                    username: &username,
                    role,
                    new_password: password.as_ref(),
                };
                staff::set_role(store, actor, &change, now)
            }
        }
    }

    /// A change to the signed-in member's own account applies to what the worker may do at
    /// once: a new role, or nothing at all once disabled.
    fn follow_own_change(&mut self, changed: &StaffMember) {
        if let Some(me) = &mut self.actor
            && me.id == changed.id
        {
            me.role = changed.role;
            if !changed.active {
                self.actor = None;
            }
        }
    }
}

/// A staff error for the log: its kind, never a username or secret.
fn log_staff(e: &StaffError, what: &str) {
    match e {
        StaffError::Store(s) => tracing::error!(error = %log_safe(s), "{what}"),
        StaffError::Denied(_) => tracing::warn!(reason = "denied", "{what}"),
        _ => tracing::info!(reason = "rules", "{what}"),
    }
}

/// A store error for the log: kinds, tables and ids, never stored values (which may be a
/// name or a phone number).
fn log_safe(e: &StoreError) -> String {
    match e {
        StoreError::Sqlite(err) => format!("sqlite: {err}"),
        StoreError::Migration(_) => "migration failed".into(),
        StoreError::NewerSchema { found, known } => format!("newer schema {found} > {known}"),
        StoreError::NotFound { what, id } => format!("{what} {id} not found"),
        StoreError::Conflict(_) => "conflicting change".into(),
        StoreError::Corrupt { what, .. } => format!("unreadable value in {what}"),
        StoreError::Folder { .. } => "database folder unavailable".into(),
        StoreError::Missing(_)
        | StoreError::NotFrontdesk(_)
        | StoreError::Exists { .. }
        | StoreError::Undecryptable(_)
        | StoreError::InUse(_) => "database file not usable".into(),
        StoreError::Create { .. } => "database file cannot be created".into(),
        StoreError::Damaged { .. } | StoreError::DamagedPage { .. } => {
            "database file damaged".into()
        }
    }
}
