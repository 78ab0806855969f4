//! The patients' replies in the demo history, given the way `sync` applies them: a reply
//! answers the patient's open reminder (the latest one delivered, within a week, naming a
//! visit still open), so a C confirms every visit that text named and that was still open, an
//! R flags them for a call-back (never on a visit the desk has confirmed), and anything else
//! waits in the reply inbox (older questions were answered at the time). No reply to a text
//! about a visit that was later cancelled.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::world::{Sent, World};
use super::{HISTORY_PROVIDER, RUN};
use crate::domain::appointment::{Appointment, AppointmentStatus};
use crate::domain::ids::AppointmentId;
use crate::domain::reply::ReplyKind;
use crate::domain::reply::decision::{is_live, reminder_answerable};
use crate::store::{self, StoreError, Write};

/// Free-text replies that need a person: they land in the reply inbox.
const FREE_TEXT: &[&str] = &[
    "Running about 10 minutes late, sorry!",
    "Is there parking at the building?",
    "Can my husband come in with me?",
    "¿Puedo llevar a mi hija a la cita?",
    "Do I need to bring my insurance card?",
    "What floor is the office on?",
];

/// The practice's number the replies were sent to.
const PRACTICE_NUMBER: &str = "+15555550123";

/// Write the replies to the last reminder before each visit. Returns how many.
pub(super) fn seed(
    conn: &impl Write,
    rng: &mut ChaCha8Rng,
    world: &World<'_>,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let last = world
        .config()
        .reminders
        .offsets_hours
        .iter()
        .copied()
        .min()
        .unwrap_or(24);
    let mut replier = Replier {
        now,
        confirmed: HashSet::new(),
    };
    let mut written = 0;
    for texts in world.texts() {
        for (i, s) in texts.iter().enumerate() {
            if s.key.offset_hours() != last {
                continue;
            }
            let at = s.at + Duration::minutes(rng.random_range(3..240));
            let roll: f64 = rng.random();
            let next = texts.get(i + 1).map(|n| n.at);
            if at >= now
                || next.is_some_and(|n| n <= at)
                || !reminder_answerable(s.status, s.at, at)
            {
                continue;
            }
            let Some(live) = answered(world, s, at) else {
                continue;
            };
            let Some(kind) = reply_kind(roll) else {
                continue;
            };
            // A visit the desk has confirmed is not one the patient asks to move.
            let confirmed_already = live
                .iter()
                .any(|a| a.status == AppointmentStatus::Confirmed);
            if kind == ReplyKind::Reschedule && confirmed_already {
                continue;
            }
            let answer = Answer {
                text: s,
                live: &live,
                kind,
                at,
            };
            written += replier.write(conn, rng, &answer)?;
        }
    }
    Ok(written)
}

/// What a reply at `at` to `s` would answer: the visits it named that were still open then,
/// or `None` when nothing was (or one of them was later cancelled: no reply to it at all).
fn answered(world: &World<'_>, s: &Sent, at: DateTime<Utc>) -> Option<Vec<Appointment>> {
    let mut live = Vec::new();
    for &(id, start) in s.key.appointments() {
        let a = world.appointment(id)?;
        if a.status == AppointmentStatus::Cancelled {
            return None;
        }
        let then = world.as_of(a, at);
        if is_live(&then, start, at) {
            live.push(a.clone());
        }
    }
    (!live.is_empty()).then_some(live)
}

fn reply_kind(roll: f64) -> Option<ReplyKind> {
    if roll < 0.45 {
        Some(ReplyKind::Confirm)
    } else if roll < 0.50 {
        Some(ReplyKind::Reschedule)
    } else if roll < 0.54 {
        Some(ReplyKind::Other)
    } else {
        None
    }
}

/// One reply: to which text, the visits it answers, what it says, when.
struct Answer<'a> {
    text: &'a Sent,
    live: &'a [Appointment],
    kind: ReplyKind,
    at: DateTime<Utc>,
}

struct Replier {
    now: DateTime<Utc>,
    /// Visits a reply already confirmed (a later reply finds them confirmed).
    confirmed: HashSet<AppointmentId>,
}

impl Replier {
    /// Write one reply and what `sync` would have done with it.
    fn write(
        &mut self,
        conn: &impl Write,
        rng: &mut ChaCha8Rng,
        r: &Answer<'_>,
    ) -> Result<usize, StoreError> {
        let body = match r.kind {
            ReplyKind::Confirm => *pick(rng, &["C", "c", "C ", "Confirm", "1"]),
            ReplyKind::Reschedule => *pick(rng, &["R", "2", "Reschedule please"]),
            _ => *pick(rng, FREE_TEXT),
        };
        let Some(id) = store::messages::insert_inbound(
            conn,
            &store::messages::NewInbound {
                patient: Some(r.text.patient),
                from: r.text.to.as_str(),
                to: PRACTICE_NUMBER,
                body,
                provider: HISTORY_PROVIDER,
                provider_id: &format!("DEMO-IN-{}", r.text.id.0),
                at: r.at,
            },
        )?
        else {
            return Ok(0);
        };
        store::messages::classify_reply(conn, id, r.kind, r.live.first().map(|a| a.id))?;
        for a in r.live {
            match r.kind {
                // Visits since seen or missed keep that status; the database keeps their
                // confirmation time (`confirmed_at`) from the reply.
                ReplyKind::Confirm
                    if a.status == AppointmentStatus::Booked && self.confirmed.insert(a.id) =>
                {
                    store::appointments::set_status(
                        conn,
                        a.id,
                        AppointmentStatus::Booked,
                        AppointmentStatus::Confirmed,
                        RUN,
                        r.at,
                    )?;
                }
                ReplyKind::Reschedule if a.start > self.now => {
                    store::appointments::set_callback(conn, a.id, true)?;
                }
                _ => {}
            }
        }
        // Older questions were answered at the time; today's wait in the inbox.
        if r.kind == ReplyKind::Other && self.now - r.at > Duration::hours(36) {
            store::messages::mark_reply_handled(conn, id, "reception", r.at + Duration::hours(1))?;
        }
        Ok(1)
    }
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}
