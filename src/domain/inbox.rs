//! The reply inbox and the call-back list as the desk works through them (SPEC §5.3–§5.4,
//! §5.6): replies nobody has read (classification "other"), and the patients to phone — an
//! R / "call me" / CANCEL reply beside an appointment, or a closure notice that could not
//! reach them in time. Pure data built by `workflow::inbox`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{AppointmentId, MessageId, PatientId};

/// What one line is, and what "handled" clears.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InboxEntry {
    /// A reply a person must read.
    Reply { message: MessageId, body: String },
    /// The patient asked to be called back about this appointment (R, "call me", CANCEL).
    CallMe {
        appointment: AppointmentId,
        start: DateTime<Utc>,
    },
    /// A text could not reach the patient in time (a closure notice): phone them.
    Callback { id: i64, reason: String },
}

/// What the desk does with a reply it has read, besides marking it handled (each also marks
/// it handled).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplyAction {
    /// The patient means yes: confirm the visit the reply is about.
    Confirm,
    /// Someone must look at the visit: put it on the call-back list.
    Flag,
    /// The patient asked, in their own words, for no more texts: record an opt-out with the
    /// reply as its evidence.
    OptOut,
}

/// One line of the inbox or the call-back list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxItem {
    pub entry: InboxEntry,
    pub patient: Option<PatientId>,
    /// The visit the line is about: the one a reply was filed against or the patient's next
    /// open one (what confirm / flag act on), a call-back's own.
    pub visit: Option<(AppointmentId, DateTime<Utc>)>,
    /// "Last, First", or the number a reply came from when it matches no patient.
    pub name: String,
    pub at: DateTime<Utc>,
}

/// Both lists, oldest first within each.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inbox {
    pub replies: Vec<InboxItem>,
    pub callbacks: Vec<InboxItem>,
}

impl Inbox {
    /// Every line in the order the screen lists them: replies, then call-backs.
    pub fn items(&self) -> impl Iterator<Item = &InboxItem> {
        self.replies.iter().chain(self.callbacks.iter())
    }

    pub fn len(&self) -> usize {
        self.replies.len() + self.callbacks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
