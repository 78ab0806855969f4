//! The reminder batch as the console runs it (SPEC §3.4): a day or window of appointments,
//! previewed (nothing written) and then sent through the desk's batch engine
//! (`remind::desk`: the same planner, gate, recording, dispatch and send lock as the cron
//! `remind`), with progress events for the gauge, a cancel flag honoured between slices, and
//! "retry only the failures". Adds what the screen shows beside each line: the patient's
//! name, the appointment's start, and the counts by reason.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;

use chrono::{DateTime, Utc};

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::batch::BatchEvent;
use crate::domain::batch::window::LocalWindow;
use crate::domain::ids::{AppointmentId, MessageId, PatientId};
use crate::domain::report::LineAction;
use crate::phi::Gate;
use crate::store::{self, Store};
use crate::workflow::remind::desk::{self, Window};
use crate::workflow::remind::{RemindReport, ReportLine};
use crate::workflow::send::Sending;
use crate::workflow::{WorkflowError, custom_text};

/// A run's report with what the screen shows beside its lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchView {
    pub report: RemindReport,
    /// "Last, First" for every patient a line names.
    pub names: HashMap<PatientId, String>,
    /// The start of every appointment a line names.
    pub starts: HashMap<AppointmentId, DateTime<Utc>>,
    /// How many lines fall under each outcome or reason, largest first ("no consent 4").
    pub by_reason: Vec<(String, usize)>,
}

impl BatchView {
    /// The rows "retry only the failures" takes: texts this run left waiting.
    pub fn retryable(&self) -> Vec<MessageId> {
        self.report
            .lines
            .iter()
            .filter(|l| l.action == LineAction::Waiting)
            .filter_map(|l| l.message_id)
            .collect()
    }
}

/// Who sends, with what: the console's config and clock, the member at the desk.
pub struct Desk<'a> {
    pub config: &'a Config,
    pub clock: &'a Clock,
    pub actor: &'a str,
}

/// Everything the engine needs, built once per run from the config.
struct Kit {
    d: crate::workflow::dispatch::Dispatcher,
    gate: Gate,
}

impl Desk<'_> {
    fn kit(&self) -> Result<Kit, WorkflowError> {
        Ok(Kit {
            d: custom_text::dispatcher_for(self.config)?,
            gate: Gate::with_allow_list(&self.config.phi.allow),
        })
    }

    /// Run a one-off send (portal prompts to several patients, a closure notice) as this
    /// member: `f` gets the practice's provider and gate and a runtime to block on.
    pub fn one_off<T>(
        &self,
        f: impl FnOnce(&Sending<'_>, &tokio::runtime::Runtime) -> Result<T, WorkflowError>,
    ) -> Result<T, WorkflowError> {
        let kit = self.kit()?;
        let ctx = Sending {
            dispatcher: &kit.d,
            config: self.config,
            gate: &kit.gate,
            clock: self.clock,
            actor: self.actor,
        };
        f(&ctx, &runtime()?)
    }

    fn window(&self, w: LocalWindow) -> Window {
        Window::local(w, self.config.practice.time_zone)
    }
}

fn run_of<'a>(desk: &'a Desk<'a>, kit: &'a Kit) -> Sending<'a> {
    Sending {
        dispatcher: &kit.d,
        config: desk.config,
        gate: &kit.gate,
        clock: desk.clock,
        actor: desk.actor,
    }
}

/// What the batch for `w` would do now, line by line; writes nothing.
pub fn preview(desk: &Desk<'_>, store: &Store, w: LocalWindow) -> Result<BatchView, WorkflowError> {
    let kit = desk.kit()?;
    let report = desk::preview(&run_of(desk, &kit), store, desk.window(w))?;
    view(store, report)
}

/// Send the batch for `w`; progress goes to `on_event`; stops between slices once `cancel`
/// is set.
pub fn send(
    desk: &Desk<'_>,
    store: &mut Store,
    w: LocalWindow,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(BatchEvent),
) -> Result<BatchView, WorkflowError> {
    let kit = desk.kit()?;
    let run = run_of(desk, &kit);
    let report = runtime()?.block_on(desk::send(&run, store, desk.window(w), cancel, on_event))?;
    view(store, report)
}

/// Send again the rows a batch left waiting.
pub fn retry(
    desk: &Desk<'_>,
    store: &mut Store,
    ids: &[MessageId],
    on_event: &mut dyn FnMut(BatchEvent),
) -> Result<BatchView, WorkflowError> {
    let kit = desk.kit()?;
    let run = run_of(desk, &kit);
    let report = runtime()?.block_on(desk::retry(&run, store, ids, on_event))?;
    view(store, report)
}

fn runtime() -> Result<tokio::runtime::Runtime, WorkflowError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| WorkflowError::Invalid(format!("cannot start the sender: {e}")))
}

fn view(store: &Store, report: RemindReport) -> Result<BatchView, WorkflowError> {
    let mut names = HashMap::new();
    let mut starts = HashMap::new();
    for line in &report.lines {
        if let std::collections::hash_map::Entry::Vacant(e) = names.entry(line.patient_id)
            && let Some(name) = store::inbox::name(store, line.patient_id)?
        {
            e.insert(name);
        }
        if let Some(a) = line.appointment_id
            && !starts.contains_key(&a)
            && let Ok(found) = store::appointments::get(store, a)
        {
            starts.insert(a, found.start);
        }
    }
    let by_reason = by_reason(&report.lines);
    Ok(BatchView {
        report,
        names,
        starts,
        by_reason,
    })
}

/// Lines counted by what happens to them; skips by their reason without its details
/// ("number flagged (30003)" counts as "number flagged").
pub fn by_reason(lines: &[ReportLine]) -> Vec<(String, usize)> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for l in lines {
        let key = match l.action {
            LineAction::Send => "will send".to_string(),
            LineAction::Wait => "waits".to_string(),
            LineAction::Skip | LineAction::Blocked | LineAction::Unreadable => {
                let reason = l.reason.as_deref().unwrap_or(l.action.as_str());
                let cut = reason
                    .find([':', '(', '→'])
                    .map_or(reason, |i| &reason[..i])
                    .trim();
                match l.action {
                    LineAction::Blocked => format!("blocked: {cut}"),
                    _ => cut.to_string(),
                }
            }
            other => other.as_str().replace('_', " "),
        };
        match counts.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => counts.push((key, 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::message::MessageKind;

    fn line(action: LineAction, reason: Option<&str>) -> ReportLine {
        ReportLine {
            kind: MessageKind::Reminder24h,
            patient_id: PatientId(1),
            appointment_id: None,
            action,
            reason: reason.map(str::to_string),
            code: None,
            message_id: None,
            waited: false,
        }
    }

    #[test]
    fn counts_group_reasons_without_their_details() {
        let lines = [
            line(LineAction::Send, None),
            line(LineAction::Send, None),
            line(LineAction::Skip, Some("no consent")),
            line(LineAction::Skip, Some("number flagged (30003)")),
            line(LineAction::Skip, Some("number flagged (21211)")),
            line(LineAction::Wait, Some("until 08:00 (local)")),
            line(LineAction::Blocked, Some("medication: metformin")),
            line(LineAction::Skip, Some(desk::NOT_ATTEMPTED)),
        ];
        assert_eq!(
            by_reason(&lines),
            vec![
                ("number flagged".to_string(), 2),
                ("will send".to_string(), 2),
                ("blocked: medication".to_string(), 1),
                ("no consent".to_string(), 1),
                ("not attempted".to_string(), 1),
                ("waits".to_string(), 1),
            ]
        );
    }
}
