//! The reminder batch as the console runs it (SPEC §3.4): the same `remind` engine as the
//! cron command, under the same send lock — a preview (dry run) of every text due now, then
//! the real run — with the patients' names for the screen.

use std::collections::HashMap;

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::ids::PatientId;
use crate::phi::Gate;
use crate::store::{self, Store};
use crate::workflow::remind::{self, RemindReport};
use crate::workflow::{WorkflowError, custom_text};

/// A run's report with "Last, First" for every patient it names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchView {
    pub report: RemindReport,
    pub names: HashMap<PatientId, String>,
}

/// Preview (`dry_run`) or run the reminders due now, as the console's actor would.
pub fn run(
    store: &mut Store,
    config: &Config,
    clock: &Clock,
    dry_run: bool,
) -> Result<BatchView, WorkflowError> {
    let d = custom_text::dispatcher_for(config)?;
    let gate = Gate::with_allow_list(&config.phi.allow);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| WorkflowError::Invalid(format!("cannot start the sender: {e}")))?;
    let report = rt.block_on(remind::run(
        &d,
        store,
        config,
        &gate,
        clock,
        dry_run,
        &mut |_| {},
    ))?;
    let mut names = HashMap::new();
    for line in &report.lines {
        if let std::collections::hash_map::Entry::Vacant(e) = names.entry(line.patient_id)
            && let Some(name) = store::inbox::name(&*store, line.patient_id)?
        {
            e.insert(name);
        }
    }
    Ok(BatchView { report, names })
}
