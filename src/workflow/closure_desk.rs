//! The closure / schedule-change notice as the console sends it (SPEC §3, §5.6): the same
//! `send::closure` path and gate as `frontdesk send closure`, with the desk's words, and the
//! patients' names, visit times and rebooking marks for the screen — who will get it, who
//! will not and why, then what happened.

use chrono::{DateTime, Utc};

use crate::domain::ids::ClinicianId;
use crate::domain::report::SendOutcome;
use crate::store::{self, Store};
use crate::workflow::WorkflowError;
use crate::workflow::send::{self, ClosureNotice, SendLine, SendReport, Sending};

/// One affected visit, as the screen lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClosureLine {
    pub line: SendLine,
    /// "Last, First" (or the patient's id when the record cannot be read).
    pub name: String,
    pub start: Option<DateTime<Utc>>,
    /// The visit is marked for rebooking (after a real send).
    pub rebook: bool,
}

impl ClosureLine {
    /// The notice reaches (or, in a preview, would reach) the patient before the closure.
    pub fn reaches(&self) -> bool {
        matches!(
            self.line.outcome,
            SendOutcome::WouldSend
                | SendOutcome::Sent
                | SendOutcome::InOutbox
                | SendOutcome::Queued
                | SendOutcome::Deferred
                | SendOutcome::AlreadySent
        )
    }
}

/// A preview or a send, with names, in visit order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClosureView {
    pub dry_run: bool,
    pub lines: Vec<ClosureLine>,
    /// Why the send stopped early (bad provider credentials), if it did.
    pub stopped: Option<String>,
}

impl ClosureView {
    /// How many lines reach the patient / go on the call-back list.
    pub fn counts(&self) -> (usize, usize) {
        let reach = self.lines.iter().filter(|l| l.reaches()).count();
        let calls = self.lines.iter().filter(|l| l.line.callback).count();
        (reach, calls)
    }
}

/// The clinicians a schedule-change notice may be about, by name (active ones).
pub fn clinicians(store: &Store) -> Result<Vec<(ClinicianId, String)>, WorkflowError> {
    Ok(store::reference::clinicians(store)?
        .into_iter()
        .filter(|c| c.active)
        .map(|c| (c.id, c.display_name))
        .collect())
}

/// The clinician a command names ("Dr. Chen", "chen"): the one whose name equals it, else
/// the one whose name contains it, case ignored; refused when none or several match.
pub fn clinician_named(store: &Store, name: &str) -> Result<ClinicianId, WorkflowError> {
    let all = clinicians(store)?;
    let want = name.trim().to_lowercase();
    let exact: Vec<_> = all
        .iter()
        .filter(|(_, n)| n.to_lowercase() == want)
        .collect();
    let found: Vec<_> = if exact.is_empty() {
        all.iter()
            .filter(|(_, n)| n.to_lowercase().contains(&want))
            .collect()
    } else {
        exact
    };
    match found.as_slice() {
        [(id, _)] if !want.is_empty() => Ok(*id),
        [] | [_] => Err(WorkflowError::Invalid(format!(
            "no clinician is called {name:?}"
        ))),
        many => Err(WorkflowError::Invalid(format!(
            "{name:?} could be {}; give the whole name",
            many.iter()
                .map(|(_, n)| n.as_str())
                .collect::<Vec<_>>()
                .join(" or ")
        ))),
    }
}

/// Preview (`dry_run`) or send the notice typed at the desk.
pub async fn run(
    ctx: &Sending<'_>,
    store: &mut Store,
    notice: &ClosureNotice<'_>,
    dry_run: bool,
) -> Result<ClosureView, WorkflowError> {
    let report = send::closure(ctx, store, notice, dry_run).await?;
    view(store, report)
}

/// The report with the names, visit times and marks the screen shows.
fn view(store: &Store, report: SendReport) -> Result<ClosureView, WorkflowError> {
    let mut lines = Vec::with_capacity(report.lines.len());
    for line in report.lines {
        let name = store::inbox::name(store, line.patient_id)?
            .unwrap_or_else(|| format!("patient {}", line.patient_id));
        let (start, rebook) = match line.appointment_id {
            Some(a) => (
                Some(store::appointments::get(store, a)?.start),
                store::rebookings::is_marked(store, a)?,
            ),
            None => (None, false),
        };
        lines.push(ClosureLine {
            line,
            name,
            start,
            rebook,
        });
    }
    lines.sort_by(|a, b| (a.start, &a.name).cmp(&(b.start, &b.name)));
    Ok(ClosureView {
        dry_run: report.dry_run,
        lines,
        stopped: report.stopped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::appointments::tests::fixture;

    #[test]
    fn a_clinician_is_named_whole_or_by_an_unambiguous_part() {
        let (store, _, okafor, _) = fixture();
        let okoro = store::reference::insert_clinician(store.test_conn(), "Dr. Okoro").unwrap();
        assert_eq!(clinician_named(&store, "dr. okafor").unwrap(), okafor);
        assert_eq!(clinician_named(&store, " Okoro ").unwrap(), okoro);
        let many = clinician_named(&store, "Dr. Ok").unwrap_err().to_string();
        assert!(many.contains("Dr. Okafor or Dr. Okoro"), "{many}");
        assert!(clinician_named(&store, "Chen").is_err());
        assert!(clinician_named(&store, "  ").is_err());
    }
}
