//! Recording what a run decided about due reminders that did not go out (issue 9 item 7):
//! skips and waits from the plan, blocks from the texts the gate refused — so the day view
//! and the patient screen show the reason that held when it was decided. A rerun deciding
//! the same writes nothing; a changed decision replaces the recorded one and is audited with
//! the one before (the run's own audit record lists every skip already).

use chrono::{DateTime, Utc};

use crate::domain::audit::{RemindEvent, SYSTEM};
use crate::domain::message::Message;
use crate::domain::reminder::{Decided, GateFinding, ReminderDecision, ReminderKey};
use crate::domain::report::LineAction;
use crate::phi::Category;
use crate::store::reminder_decisions::{self, Change};
use crate::store::{self, Store, StoreError, Write};
use crate::workflow::WorkflowError;

use super::ReportLine;

/// Record the plan's decisions and a block for every reminder a text of this run's `lines`
/// was refused for, in one transaction.
pub(super) fn record(
    store: &mut Store,
    planned: &[ReminderDecision],
    lines: &[ReportLine],
    now: DateTime<Utc>,
) -> Result<(), WorkflowError> {
    let mut decisions = planned.to_vec();
    let mut seen = std::collections::HashSet::new();
    for id in lines
        .iter()
        .filter(|l| l.action == LineAction::Blocked)
        .filter_map(|l| l.message_id)
    {
        if seen.insert(id) {
            decisions.extend(blocks(&store::messages::get(&*store, id)?, now));
        }
    }
    if decisions.is_empty() {
        return Ok(());
    }
    store.write(|c| decisions.iter().try_for_each(|d| record_one(c, d, now)))?;
    Ok(())
}

fn record_one(c: &impl Write, d: &ReminderDecision, now: DateTime<Utc>) -> Result<(), StoreError> {
    let previous = match reminder_decisions::record(c, d, SYSTEM)? {
        Change::Changed { previous } => Some(previous),
        // Replaced all the same: the audit keeps that it was, though not what it said.
        Change::ReplacedUnreadable => {
            tracing::warn!(
                appointment = d.appointment_id.0,
                offset_hours = d.offset_hours,
                "a recorded reminder decision could not be read and was replaced"
            );
            None
        }
        Change::Added | Change::Unchanged => return Ok(()),
    };
    let event = RemindEvent::DecisionChanged {
        appointment: d.appointment_id,
        offset_hours: d.offset_hours,
        from: previous.as_ref(),
        to: &d.decided,
    };
    store::audit::append(c, &event.entry(now)).map(|_| ())
}

/// A block for each reminder the refused text `m` carried (both visits of a double booking).
fn blocks(m: &Message, now: DateTime<Utc>) -> Vec<ReminderDecision> {
    let Some(key) = m.idempotency_key.as_deref().and_then(ReminderKey::parse) else {
        return Vec::new();
    };
    let finding = finding(m.findings.as_deref());
    key.each()
        .map(|(appointment_id, start, offset_hours)| ReminderDecision {
            appointment_id,
            start,
            offset_hours,
            decided: Decided::Blocked {
                finding: finding.clone(),
            },
            decided_at: now,
        })
        .collect()
}

/// The first blocking finding's category, from the findings the gate recorded on the row;
/// the matched words stay on the row (the patient screen's message history), not here.
pub(crate) fn finding(findings: Option<&str>) -> Option<GateFinding> {
    let all: serde_json::Value = serde_json::from_str(findings?).ok()?;
    let first = all
        .as_array()?
        .iter()
        .find(|f| !f["allowed"].as_bool().unwrap_or(false))?;
    let name = first["category"].as_str()?;
    let category = Category::ALL.into_iter().find(|c| c.as_str() == name)?;
    Some(GateFinding {
        category: name.to_string(),
        explanation: format!("looks like {}", category.label()),
    })
}
