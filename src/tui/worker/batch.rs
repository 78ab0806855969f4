//! Sends off the worker's loop (SPEC §3.4, issue 9: "the console never blocks on a send"):
//! a reminder batch or its retry, portal prompts to several patients, or a closure notice
//! runs on a thread of its own, on a second connection to the same database, under the same
//! send lock as the cron `remind`, while the worker goes on loading days, searching and
//! recording arrivals; one at a time (another asked for meanwhile is refused in its own
//! message). The batch posts the engine's progress events as [`Msg::BatchProgress`];
//! cancelling sets a flag the engine reads between slices. Previews stay on the worker: they
//! write nothing and take milliseconds.
//!
//! Without a way to open a second connection (an in-memory database: tests) the sends run
//! on the worker itself through [`Runner::run`], with the same code.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;

use super::Runner;
use crate::domain::batch::window::LocalWindow;
use crate::domain::ids::{MessageId, PatientId};
use crate::domain::message::MessageKind;
use crate::store::Store;
use crate::tui::msg::{ClosureDraft, Cmd, Msg};
use crate::workflow::batch_desk::{self, BatchView, Desk};

/// Opens another connection to the console's database (with its key).
pub type Reopen = Arc<dyn Fn() -> Result<Store, String> + Send + Sync>;

/// What a batch thread is asked to do: a reminder batch, its retry, or the one-off sends
/// that may take as long (portal prompts to many patients, a closure notice to a day's).
#[derive(Clone, Debug)]
enum Job {
    Batch(Batch),
    Prompts(Vec<PatientId>, MessageKind),
    Closure(ClosureDraft),
}

/// A reminder batch for a window, or a retry of some of its texts.
#[derive(Clone, Debug)]
enum Batch {
    Send(LocalWindow),
    Retry(Vec<MessageId>),
}

impl Job {
    /// The answer when another send is still running: in this job's own message.
    fn refused(self, why: String) -> Msg {
        match self {
            Job::Batch(_) => Msg::Batch {
                sent: true,
                result: Err(why),
            },
            Job::Prompts(..) => Msg::Prompts {
                sent: true,
                result: Err(why),
            },
            Job::Closure(draft) => Msg::ClosureDone {
                draft,
                sent: true,
                result: Err(why),
            },
        }
    }
}

/// The batch threads' side of the worker: at most one batch at a time.
pub struct Host {
    reopen: Option<Reopen>,
    cancel: Arc<AtomicBool>,
    running: Option<JoinHandle<()>>,
}

impl Host {
    pub fn new(reopen: Option<Reopen>) -> Self {
        Self {
            reopen,
            cancel: Arc::new(AtomicBool::new(false)),
            running: None,
        }
    }

    /// Take the batch commands this host runs off the loop; hand every other back.
    pub fn intercept(&mut self, runner: &Runner, cmd: Cmd, out: &Sender<Msg>) -> Option<Cmd> {
        let job = match cmd {
            Cmd::CancelReminders => {
                self.cancel();
                return None;
            }
            Cmd::SendReminders { window } if self.reopen.is_some() => {
                Job::Batch(Batch::Send(window))
            }
            Cmd::RetryReminders { ids } if self.reopen.is_some() => Job::Batch(Batch::Retry(ids)),
            Cmd::SendPrompts { patients, kind } if self.reopen.is_some() => {
                Job::Prompts(patients, kind)
            }
            Cmd::SendClosure(draft) if self.reopen.is_some() => Job::Closure(draft),
            other => return Some(other),
        };
        if self.running.as_ref().is_some_and(|h| !h.is_finished()) {
            let why = "another send is still going out; wait for it to finish";
            let _ = out.send(job.refused(why.into()));
            return None;
        }
        self.cancel.store(false, Ordering::SeqCst);
        let reopen = self.reopen.clone()?;
        let thread = Thread {
            reopen,
            config: runner.config.clone(),
            clock: runner.clock,
            actor: runner.actor_name(),
            cancel: self.cancel.clone(),
            out: out.clone(),
        };
        let again = job.clone();
        match std::thread::Builder::new()
            .name("frontdesk-batch".into())
            .spawn(move || thread.run(job))
        {
            Ok(h) => self.running = Some(h),
            Err(e) => {
                let _ = out.send(again.refused(format!("cannot start the send: {e}")));
            }
        }
        None
    }

    /// Ask a running batch to stop after the texts in flight.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }
}

/// Everything a batch thread owns.
struct Thread {
    reopen: Reopen,
    config: crate::config::Config,
    clock: crate::clock::Clock,
    actor: String,
    cancel: Arc<AtomicBool>,
    out: Sender<Msg>,
}

impl Thread {
    fn run(self, job: Job) {
        let mut store = match (self.reopen)() {
            Ok(store) => store,
            Err(e) => {
                tracing::error!("cannot open a second connection for a send");
                let _ = self.out.send(job.refused(e));
                return;
            }
        };
        let desk = Desk {
            config: &self.config,
            clock: &self.clock,
            actor: &self.actor,
        };
        let msg = match job {
            Job::Prompts(patients, kind) => prompts(&desk, &mut store, &patients, kind, true),
            Job::Closure(draft) => super::closure::closure(&desk, &mut store, &draft, true),
            Job::Batch(batch) => self.batch(&desk, &mut store, &batch),
        };
        let _ = self.out.send(msg);
    }

    /// A reminder batch or its retry, its progress posted as it goes.
    fn batch(&self, desk: &Desk<'_>, store: &mut Store, batch: &Batch) -> Msg {
        let out = self.out.clone();
        let mut emit = |e| {
            let _ = out.send(Msg::BatchProgress(e));
        };
        let r = match batch {
            Batch::Send(w) => batch_desk::send(desk, store, *w, &self.cancel, &mut emit),
            Batch::Retry(ids) => batch_desk::retry(desk, store, ids, &mut emit),
        };
        let result = r.map_err(|e| e.to_string());
        log(batch, &result);
        Msg::Batch { sent: true, result }
    }
}

fn log(batch: &Batch, result: &Result<BatchView, String>) {
    let retry = matches!(batch, Batch::Retry(_));
    match result {
        Ok(v) => tracing::info!(
            retry,
            lines = v.report.lines.len(),
            stopped = v.report.stopped.is_some(),
            "reminder batch from the console"
        ),
        // The error may name the database path, never a patient.
        Err(e) => tracing::error!(retry, error = %e, "reminder batch failed"),
    }
}

impl Runner {
    /// Run `f` as the signed-in member, with the worker's store (the config borrowed beside
    /// it, not copied).
    pub(super) fn as_desk<T>(&mut self, f: impl FnOnce(&Desk<'_>, &mut Store) -> T) -> T {
        let actor = self.actor_name();
        let desk = Desk {
            config: &self.config,
            clock: &self.clock,
            actor: &actor,
        };
        f(&desk, &mut self.store)
    }

    /// Preview the batch for a window (the worker: it writes nothing).
    pub(super) fn preview_batch(&mut self, window: LocalWindow) -> Msg {
        let result = self
            .as_desk(|desk, store| batch_desk::preview(desk, store, window))
            .map_err(|e| {
                tracing::error!("reminder batch preview failed");
                e.to_string()
            });
        Msg::Batch {
            sent: false,
            result,
        }
    }

    /// A send or retry on the worker itself (no second connection to be had).
    pub(super) fn batch_here(&mut self, window: Option<LocalWindow>, ids: &[MessageId]) -> Msg {
        let never = AtomicBool::new(false);
        let result = self.as_desk(|desk, store| match window {
            Some(w) => batch_desk::send(desk, store, w, &never, &mut |_| {}),
            None => batch_desk::retry(desk, store, ids, &mut |_| {}),
        });
        let result = result.map_err(|e| e.to_string());
        let job = match window {
            Some(w) => Batch::Send(w),
            None => Batch::Retry(ids.to_vec()),
        };
        log(&job, &result);
        Msg::Batch { sent: true, result }
    }

    /// Preview or send one portal prompt to several patients on the worker itself (a send
    /// goes off the loop when a second connection can be had: [`Host::intercept`]).
    pub(super) fn prompts(&mut self, patients: &[PatientId], kind: MessageKind, send: bool) -> Msg {
        self.as_desk(|desk, store| prompts(desk, store, patients, kind, send))
    }
}

/// Preview (`send: false`) or send one portal prompt to several patients (the single
/// prompt's workflow), as `desk`'s member.
fn prompts(
    desk: &Desk<'_>,
    store: &mut Store,
    patients: &[PatientId],
    kind: MessageKind,
    send: bool,
) -> Msg {
    let result = desk
        .one_off(|ctx, rt| {
            rt.block_on(crate::workflow::send::portal_prompts(
                ctx, store, patients, kind, !send,
            ))
        })
        .map_err(|e| e.to_string());
    match &result {
        Ok(r) => tracing::info!(
            send,
            patients = r.lines.len(),
            "portal prompts from the desk"
        ),
        Err(_) => tracing::error!(send, "portal prompts failed"),
    }
    Msg::Prompts { sent: send, result }
}
