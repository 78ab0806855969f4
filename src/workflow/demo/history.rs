//! The demo practice's message history: the reminders that went out before "now", what became
//! of them, and the patients' replies — so the day view's reminder and reply columns, the
//! reply inbox and the statistics show a practice in use. Bodies are rendered with the real
//! templates and rows carry the real idempotency keys, so `remind` on the demo database
//! continues the history instead of repeating it.

use crate::store::Write;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::config::Config;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::consent::ConsentState;
use crate::domain::ids::PatientId;
use crate::domain::message::MessageStatus;
use crate::domain::reminder::{kind_for_offset, reminder_key};
use crate::domain::reply::ReplyKind;
use crate::store::{self, StoreError, messages::NewOutbound};
use crate::workflow::render::{self, RenderInput};
use crate::workflow::templates;

/// The provider name history rows carry: not the outbox (nothing waits) and not Twilio (no
/// sync would ever find these ids there).
pub const HISTORY_PROVIDER: &str = "demo-history";

/// Free-text replies that need a person: they land in the reply inbox.
const FREE_TEXT: &[&str] = &[
    "Running about 10 minutes late, sorry!",
    "Is there parking at the building?",
    "Can my husband come in with me?",
    "¿Puedo llevar a mi hija a la cita?",
    "Do I need to bring my insurance card?",
    "What floor is the office on?",
];

/// Write reminders (and replies) for every appointment whose reminder moments are past.
/// Returns how many messages were written.
pub(super) fn seed(
    conn: &impl Write,
    rng: &mut ChaCha8Rng,
    config: &Config,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    templates::ensure_defaults(conn, since)?;
    let clinicians: std::collections::HashMap<_, _> = store::reference::clinicians(conn)?
        .into_iter()
        .map(|c| (c.id, c.display_name))
        .collect();
    let appointments = store::appointments::starting_between(conn, since, now + Duration::days(3))?;
    let mut written = 0;
    let mut consent_cache: std::collections::HashMap<PatientId, ConsentState> =
        std::collections::HashMap::new();
    for a in &appointments {
        let patient = store::patients::get(conn, a.patient_id)?;
        let Some(to) = render::mobile(&patient).cloned() else {
            continue;
        };
        let state = match consent_cache.entry(a.patient_id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(ConsentState::from_events(
                &store::consent::events(conn, a.patient_id)?,
            )),
        };
        let ConsentState::OptedIn {
            since: opted_in, ..
        } = state
        else {
            continue;
        };
        let opted_in = *opted_in;
        let clinician = clinicians.get(&a.clinician_id).map(String::as_str);
        for &offset in &config.reminders.offsets_hours {
            let due = a.start - Duration::hours(i64::from(offset));
            // Only moments already past, after the booking and the opt-in existed.
            if due >= now || due < a.booked_at || due < opted_in {
                continue;
            }
            let kind = kind_for_offset(offset);
            let template =
                templates::load(conn, kind).map_err(|e| StoreError::Conflict(e.to_string()))?;
            let body = render::render(
                config,
                &template,
                &RenderInput {
                    kind,
                    patient: &patient,
                    starts: &[a.start],
                    clinician,
                    opt_out_notice: true,
                },
            )
            .map_err(|e| StoreError::Conflict(e.to_string()))?;
            let key = reminder_key(a.id, a.start, offset);
            let Some(id) = store::messages::insert_outbound(
                conn,
                &NewOutbound {
                    kind,
                    patient_id: Some(a.patient_id),
                    appointment_id: Some(a.id),
                    idempotency_key: &key,
                    to: to.as_str(),
                    body: &body,
                    encoding: "gsm7",
                    segments: 1,
                    status: MessageStatus::Pending,
                    provider: HISTORY_PROVIDER,
                    findings: None,
                    created_by: "system",
                    now: due,
                    not_before: None,
                    send_by: None,
                },
            )?
            else {
                continue;
            };
            written += 1;
            let roll: f64 = rng.random();
            let (status, code) = if roll < 0.93 {
                (MessageStatus::Delivered, None)
            } else if roll < 0.97 {
                (MessageStatus::Sent, None)
            } else if roll < 0.99 {
                (MessageStatus::Undelivered, Some("30005"))
            } else {
                (MessageStatus::Failed, Some("30007"))
            };
            store::messages::mark_handed_over(
                conn,
                id,
                HISTORY_PROVIDER,
                &format!("DEMO-OUT-{}", id.0),
                MessageStatus::Sent,
                due + Duration::seconds(3),
            )?;
            store::messages::apply_provider_status(
                conn,
                HISTORY_PROVIDER,
                &format!("DEMO-OUT-{}", id.0),
                status,
                code,
                due + Duration::seconds(20),
            )?;
            // Patients answer the last reminder before the visit, if it reached them.
            if offset == *config.reminders.offsets_hours.iter().min().unwrap_or(&24)
                && status == MessageStatus::Delivered
            {
                written += reply(conn, rng, a, &to, due, now)?;
            }
        }
    }
    Ok(written)
}

/// Maybe a reply to a delivered reminder: confirm, reschedule, or a question for the inbox.
fn reply(
    conn: &impl Write,
    rng: &mut ChaCha8Rng,
    a: &crate::domain::appointment::Appointment,
    from: &crate::domain::phone::E164,
    reminded: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let at = reminded + Duration::minutes(rng.random_range(3..240));
    if at >= now || a.status == AppointmentStatus::Cancelled {
        return Ok(0);
    }
    let roll: f64 = rng.random();
    let (body, kind) = if roll < 0.45 {
        (
            *pick(rng, &["C", "c", "C ", "Confirm", "1"]),
            ReplyKind::Confirm,
        )
    } else if roll < 0.50 {
        (
            *pick(rng, &["R", "2", "Reschedule please"]),
            ReplyKind::Reschedule,
        )
    } else if roll < 0.54 {
        (*pick(rng, FREE_TEXT), ReplyKind::Other)
    } else {
        return Ok(0);
    };
    let Some(id) = store::messages::insert_inbound(
        conn,
        &store::messages::NewInbound {
            patient: Some(a.patient_id),
            from: from.as_str(),
            to: "+15555550123",
            body,
            provider: HISTORY_PROVIDER,
            provider_id: &format!("DEMO-IN-{}", a.id),
            at,
        },
    )?
    else {
        return Ok(0);
    };
    store::messages::classify_reply(conn, id, kind, Some(a.id))?;
    match kind {
        ReplyKind::Confirm if a.status == AppointmentStatus::Booked && a.start > now => {
            store::appointments::set_status(
                conn,
                a.id,
                AppointmentStatus::Booked,
                AppointmentStatus::Confirmed,
                "system",
                at,
            )?;
        }
        ReplyKind::Reschedule if a.start > now => {
            store::appointments::set_callback(conn, a.id, true)?
        }
        // Older questions were answered at the time; today's wait in the inbox.
        ReplyKind::Other if now - at > Duration::hours(36) => {
            store::messages::mark_reply_handled(conn, id, "reception", at + Duration::hours(1))?
        }
        _ => {}
    }
    Ok(1)
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}
