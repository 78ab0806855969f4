//! The reminder batch off the worker's loop (SPEC §3.4, issue 9: "the console never blocks on
//! a send"): a send or a retry runs on a thread of its own, on a second connection to the
//! same database, under the same send lock as the cron `remind`, and posts the engine's
//! progress events to the console as [`Msg::BatchProgress`] while the worker goes on loading
//! days, searching and recording arrivals. Cancelling sets a flag the engine reads between
//! slices. Previews stay on the worker: they write nothing and take milliseconds.
//!
//! Without a way to open a second connection (an in-memory database: tests) the batch runs
//! on the worker itself through [`Runner::run`], with the same engine.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;

use super::Runner;
use crate::domain::batch::window::LocalWindow;
use crate::domain::ids::MessageId;
use crate::store::Store;
use crate::tui::msg::{Cmd, Msg};
use crate::workflow::batch_desk::{self, BatchView, Desk};

/// Opens another connection to the console's database (with its key).
pub type Reopen = Arc<dyn Fn() -> Result<Store, String> + Send + Sync>;

/// What a batch thread is asked to do.
#[derive(Clone, Debug)]
enum Job {
    Send(LocalWindow),
    Retry(Vec<MessageId>),
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
            Cmd::SendReminders { window } if self.reopen.is_some() => Job::Send(window),
            Cmd::RetryReminders { ids } if self.reopen.is_some() => Job::Retry(ids),
            other => return Some(other),
        };
        if self.running.as_ref().is_some_and(|h| !h.is_finished()) {
            let _ = out.send(Msg::Batch {
                sent: true,
                result: Err("a batch is already sending; wait for it to finish".into()),
            });
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
        match std::thread::Builder::new()
            .name("frontdesk-batch".into())
            .spawn(move || thread.run(job))
        {
            Ok(h) => self.running = Some(h),
            Err(e) => {
                let _ = out.send(Msg::Batch {
                    sent: true,
                    result: Err(format!("cannot start the batch: {e}")),
                });
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
        let result = (self.reopen)().and_then(|mut store| {
            let desk = Desk {
                config: &self.config,
                clock: &self.clock,
                actor: &self.actor,
            };
            let out = self.out.clone();
            let mut emit = |e| {
                let _ = out.send(Msg::BatchProgress(e));
            };
            let r = match &job {
                Job::Send(w) => batch_desk::send(&desk, &mut store, *w, &self.cancel, &mut emit),
                Job::Retry(ids) => batch_desk::retry(&desk, &mut store, ids, &mut emit),
            };
            r.map_err(|e| e.to_string())
        });
        log(&job, &result);
        let _ = self.out.send(Msg::Batch { sent: true, result });
    }
}

fn log(job: &Job, result: &Result<BatchView, String>) {
    let retry = matches!(job, Job::Retry(_));
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
    fn desk(&self) -> (String, crate::config::Config) {
        (self.actor_name(), self.config.clone())
    }

    /// Preview the batch for a window (the worker: it writes nothing).
    pub(super) fn preview_batch(&self, window: LocalWindow) -> Msg {
        let (actor, config) = self.desk();
        let desk = Desk {
            config: &config,
            clock: &self.clock,
            actor: &actor,
        };
        let result = batch_desk::preview(&desk, &self.store, window).map_err(|e| {
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
        let (actor, config) = self.desk();
        let desk = Desk {
            config: &config,
            clock: &self.clock,
            actor: &actor,
        };
        let never = AtomicBool::new(false);
        let result = match window {
            Some(w) => batch_desk::send(&desk, &mut self.store, w, &never, &mut |_| {}),
            None => batch_desk::retry(&desk, &mut self.store, ids, &mut |_| {}),
        };
        let result = result.map_err(|e| e.to_string());
        let job = match window {
            Some(w) => Job::Send(w),
            None => Job::Retry(ids.to_vec()),
        };
        log(&job, &result);
        Msg::Batch { sent: true, result }
    }
}

impl Runner {
    /// Preview or send one portal prompt to several patients (the single prompt's workflow).
    pub(super) fn prompts(
        &mut self,
        patients: &[crate::domain::ids::PatientId],
        kind: crate::domain::message::MessageKind,
        send: bool,
    ) -> Msg {
        let actor = self.actor_name();
        let result = (|| {
            let d = crate::workflow::custom_text::dispatcher_for(&self.config)?;
            let gate = crate::phi::Gate::with_allow_list(&self.config.phi.allow);
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| {
                    crate::workflow::WorkflowError::Invalid(format!("cannot start the sender: {e}"))
                })?;
            let ctx = crate::workflow::send::Sending {
                dispatcher: &d,
                config: &self.config,
                gate: &gate,
                clock: &self.clock,
                actor: &actor,
            };
            rt.block_on(crate::workflow::send::portal_prompts(
                &ctx,
                &mut self.store,
                patients,
                kind,
                !send,
            ))
        })()
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
}
