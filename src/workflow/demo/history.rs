//! The demo practice's message history: the reminders that went out before "now", what became
//! of them, and the patients' replies — so the day view's reminder and reply columns, the
//! reply inbox and the statistics show a practice in use.
//!
//! The history obeys the rules the engine enforces because the engine's own planner wrote it
//! (issue 9 item 10): `remind` is replayed at every moment something could have been due
//! (each reminder moment and the next allowed minute after it, each booking, each consent
//! change, each hold's retry), with the world as it stood then — consent, bookings,
//! cancellations, the texts already sent. So caps, quiet hours, consent and "one text for a
//! same-day double booking" hold, and the reasons `remind` would have recorded are recorded.
//! Replies come after, and answer the patient's open reminder the way `sync` would: a C
//! confirms the visits it named that were still open, an R asks for a call-back.
//! Bodies are rendered with the real templates and rows carry the real idempotency keys, so
//! `remind` on the demo database continues the history instead of repeating it.

mod replies;
mod world;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::config::Config;
use crate::domain::ids::PatientId;
use crate::domain::message::{MessageProvider, MessageStatus};
use crate::domain::reminder::{self, PlanInput, PlanMode, PlannedSend, Verdict, next_allowed};
use crate::domain::segments;
use crate::store::messages::{NewOutbound, Settled};
use crate::store::{self, StoreError, Write};
use crate::workflow::render::{self, RenderInput};
use crate::workflow::templates;

use world::{Sent, World};

/// The provider name history rows carry: not the outbox (nothing waits) and not Twilio (no
/// sync would ever find these ids there).
pub const HISTORY_PROVIDER: &str = MessageProvider::DEMO_HISTORY;

/// Who the history's texts and decisions are attributed to: the automatic run.
const RUN: &str = "system";

/// The moments to replay, each with the patients something could be due for.
type Ticks = BTreeMap<DateTime<Utc>, BTreeSet<PatientId>>;

/// Replay `remind` over `since..now` and write what it sent, what became of each text, the
/// replies, and the decisions it recorded. Returns how many messages were written.
pub(super) fn seed(
    conn: &impl Write,
    rng: &mut ChaCha8Rng,
    config: &Config,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    templates::ensure_defaults(conn, since)?;
    let mut world = World::load(conn, config, since, now)?;
    let mut ticks = first_ticks(&world, config, since, now);
    while let Some((t, patients)) = ticks.pop_first() {
        for p in patients {
            for retry in replay(conn, rng, &mut world, p, t)? {
                if retry > t && retry < now {
                    ticks.entry(retry).or_default().insert(p);
                }
            }
        }
    }
    let texts = world.sent_count();
    Ok(texts + replies::seed(conn, rng, &world, now)?)
}

/// Every moment something could become due for a patient: each reminder moment (and the next
/// allowed minute, when it falls in quiet hours), each booking, each consent change.
fn first_ticks(world: &World, config: &Config, since: DateTime<Utc>, now: DateTime<Utc>) -> Ticks {
    let mut ticks = Ticks::new();
    let mut add = |t: DateTime<Utc>, p: PatientId| {
        if t >= since && t < now {
            ticks.entry(t).or_default().insert(p);
        }
    };
    for a in world.appointments() {
        let zone = world.zone(a.patient_id);
        add(a.booked_at, a.patient_id);
        for &o in &config.reminders.offsets_hours {
            let moment = a.start - Duration::hours(i64::from(o));
            add(moment, a.patient_id);
            add(
                next_allowed(moment, zone, &config.reminders.quiet_hours),
                a.patient_id,
            );
        }
    }
    for (p, at) in world.consent_changes() {
        add(at, p);
    }
    ticks
}

/// `remind` at `t` for one patient, as the world stood: write its texts (and their fates) and
/// the decisions it would record. Returns when to look again (holds that will lift).
fn replay(
    conn: &impl Write,
    rng: &mut ChaCha8Rng,
    world: &mut World,
    p: PatientId,
    t: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, StoreError> {
    let Some(facts) = world.facts(p, t) else {
        return Ok(Vec::new());
    };
    let (appointments, later) = world.candidates(p, t);
    if appointments.is_empty() {
        return Ok(Vec::new());
    }
    let messages = world.reminder_rows(p);
    let rules = &world.config().reminders;
    let plan = reminder::plan(
        rules,
        t,
        PlanMode::Scheduled,
        &PlanInput {
            patients: std::slice::from_ref(&facts),
            appointments: &appointments,
            messages: &messages,
            later: &later,
        },
    );
    for s in &plan.sends {
        send(conn, rng, world, s, t)?;
    }
    let mut retries = Vec::new();
    for line in &plan.lines {
        if let Some(a) = appointments.iter().find(|a| a.id == line.appointment_id)
            && let Some(d) = reminder::due_decision(&rules.offsets_hours, t, a, line)
        {
            store::reminder_decisions::record(conn, &d, RUN)?;
        }
        match &line.verdict {
            Verdict::Skip(held) => retries.extend(held.retry_at),
            Verdict::Waiting { next_due } => retries.push(*next_due),
            Verdict::Send { .. } => {}
        }
    }
    Ok(retries)
}

/// Write one planned text at `t`, as `remind` records it, and give it a fate.
fn send(
    conn: &impl Write,
    rng: &mut ChaCha8Rng,
    world: &mut World,
    s: &PlannedSend,
    t: DateTime<Utc>,
) -> Result<(), StoreError> {
    let conflict = |e: templates::TemplateFlowError| StoreError::Conflict(e.to_string());
    let Some((patient, clinician)) = world.addressee(s) else {
        return Ok(());
    };
    let Some(to) = render::mobile(&patient).cloned() else {
        return Ok(());
    };
    let starts: Vec<DateTime<Utc>> = s.appointments().iter().map(|(_, at)| *at).collect();
    let template = world.template(conn, s.kind).map_err(conflict)?;
    let input = RenderInput {
        kind: s.kind,
        patient: &patient,
        starts: &starts,
        clinician: clinician.as_deref(),
        opt_out_notice: s.opt_out_notice,
    };
    let body = render::render(world.config(), &template, &input).map_err(conflict)?;
    let info = segments::analyse(&body);
    let key = s.key.to_string();
    let (status, code) = fate(rng);
    // The history's own numbering: ids the provider never gave, unique among its texts.
    let provider_id = format!("DEMO-OUT-{}", world.sent_count() + 1);
    let Some(id) = store::messages::insert_settled(
        conn,
        &NewOutbound {
            kind: s.kind,
            patient_id: Some(s.patient_id),
            appointment_id: s.appointments().first().map(|(id, _)| *id),
            idempotency_key: &key,
            to: to.as_str(),
            body: &body,
            encoding: info.encoding.as_str(),
            segments: info.segments,
            status,
            provider: HISTORY_PROVIDER,
            findings: None,
            created_by: RUN,
            now: t,
            not_before: None,
            send_by: starts.first().copied(),
        },
        &Settled {
            provider_id: &provider_id,
            status,
            error_code: code,
            handed_over: t + Duration::seconds(3),
            answered: t + Duration::seconds(20),
        },
    )?
    else {
        return Ok(());
    };
    world.record(Sent {
        id,
        patient: s.patient_id,
        key: s.key.clone(),
        kind: s.kind,
        at: t,
        status,
        code: code.map(str::to_string),
        to,
    });
    Ok(())
}

/// What became of a text handed over 3 s after it was written: the carrier answered 17 s
/// later — mostly delivered, a few still "sent", a few refused with codes that do not flag
/// the number (which would stop texts).
fn fate(rng: &mut ChaCha8Rng) -> (MessageStatus, Option<&'static str>) {
    let roll: f64 = rng.random();
    if roll < 0.93 {
        (MessageStatus::Delivered, None)
    } else if roll < 0.97 {
        (MessageStatus::Sent, None)
    } else if roll < 0.99 {
        (MessageStatus::Undelivered, Some("30008"))
    } else {
        (MessageStatus::Failed, Some("30007"))
    }
}

#[cfg(test)]
mod tests;
