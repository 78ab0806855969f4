//! One-off sends through the same rules as everything else (SPEC §4 `send`, §5): a portal
//! prompt to one patient ("please log in: you have a new message / your results are ready /
//! …"), and a closure or schedule-change notice to everyone booked in a window.
//!
//! Each text gets consent, number, quiet-hours and cap checks, the PHI gate, a row under its
//! idempotency key before the provider is called, and an audit record. A text held by quiet
//! hours or a cap is recorded and waits (`not_before`) for the next `remind`/`sync` run.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::appointment::Appointment;
use crate::domain::batch::BatchEvent;
use crate::domain::ids::{AppointmentId, MessageId, PatientId};
use crate::domain::message::{MessageKind, MessageStatus};
use crate::domain::reminder::{self, Held};
use crate::domain::template::{first_since_opt_in, wants_opt_out_notice};
use crate::phi::Gate;
use crate::store::{self, Conn, Store};
use crate::workflow::dispatch::{self, Dispatcher};
use crate::workflow::facts;
use crate::workflow::outbound::{self, Outgoing, Recorded};
use crate::workflow::render::{self, RenderInput};
use crate::workflow::{WorkflowError, lock, templates};

/// What happened to one text of a one-off send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SendLine {
    pub patient_id: PatientId,
    pub appointment_id: Option<AppointmentId>,
    /// `sent`, `in_outbox` (held by the offline outbox), `failed`, `queued` (waits for the
    /// provider or the next run), `deferred`
    /// (quiet hours or cap), `skipped`, `blocked`, `already_sent`, `would_send`.
    pub outcome: &'static str,
    pub reason: Option<String>,
    pub message_id: Option<MessageId>,
}

/// What a one-off send did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SendReport {
    pub kind: Option<MessageKind>,
    pub dry_run: bool,
    pub lines: Vec<SendLine>,
    pub stopped: Option<String>,
}

impl SendReport {
    /// How many lines ended with this outcome.
    pub fn count(&self, outcome: &str) -> usize {
        self.lines.iter().filter(|l| l.outcome == outcome).count()
    }
}

/// A "please log in to the portal" prompt to one patient. At most one of a kind per patient
/// per local day: a second click the same day is recognised and not sent again.
#[allow(clippy::too_many_arguments)]
pub async fn portal_prompt(
    d: &Dispatcher,
    store: &mut Store,
    config: &Config,
    gate: &Gate,
    clock: &Clock,
    actor: &str,
    patient: PatientId,
    kind: MessageKind,
    dry_run: bool,
) -> Result<SendReport, WorkflowError> {
    if !MessageKind::PORTAL_PROMPTS.contains(&kind) {
        return Err(WorkflowError::Invalid(format!(
            "{kind} is not a portal prompt"
        )));
    }
    let day = clock
        .now()
        .with_timezone(&config.practice.time_zone)
        .date_naive();
    let key = format!("portal:{kind}:{patient}:{day}");
    let targets = vec![Target {
        patient,
        appointment: None,
        key,
    }];
    one_off(d, store, config, gate, clock, actor, kind, targets, dry_run).await
}

/// A closure / schedule-change notice to every patient with an open appointment starting in
/// `[from, to)`, one text per appointment.
#[allow(clippy::too_many_arguments)]
pub async fn closure(
    d: &Dispatcher,
    store: &mut Store,
    config: &Config,
    gate: &Gate,
    clock: &Clock,
    actor: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    dry_run: bool,
) -> Result<SendReport, WorkflowError> {
    if from >= to {
        return Err(WorkflowError::Invalid(
            "the window's end must be after its start".into(),
        ));
    }
    let targets: Vec<Target> = store::appointments::starting_between(store.conn(), from, to)?
        .into_iter()
        .filter(|a| a.status.is_open())
        .map(|a| Target {
            patient: a.patient_id,
            key: reminder::closure_key(a.id, a.start),
            appointment: Some(a),
        })
        .collect();
    one_off(
        d,
        store,
        config,
        gate,
        clock,
        actor,
        MessageKind::Closure,
        targets,
        dry_run,
    )
    .await
}

/// Parse a window bound given at the desk: `YYYY-MM-DD` (local midnight) or
/// `YYYY-MM-DDTHH:MM` (local time), in the practice's zone.
pub fn parse_local(text: &str, config: &Config) -> Result<DateTime<Utc>, WorkflowError> {
    let tz = config.practice.time_zone;
    let naive = chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M")
        .or_else(|_| {
            NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                .map(|d| d.and_time(chrono::NaiveTime::MIN))
        })
        .map_err(|_| {
            WorkflowError::Invalid(format!(
                "{text:?} is not a date (2026-11-27) or a local time (2026-11-27T13:00)"
            ))
        })?;
    naive
        .and_local_timezone(tz)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            WorkflowError::Invalid(format!(
                "{text} does not exist in {tz} (clocks change then)"
            ))
        })
}

struct Target {
    patient: PatientId,
    appointment: Option<Appointment>,
    key: String,
}

#[allow(clippy::too_many_arguments)]
async fn one_off(
    d: &Dispatcher,
    store: &mut Store,
    config: &Config,
    gate: &Gate,
    clock: &Clock,
    actor: &str,
    kind: MessageKind,
    targets: Vec<Target>,
    dry_run: bool,
) -> Result<SendReport, WorkflowError> {
    let _lock = if dry_run { None } else { lock::acquire(store)? };
    let now = clock.now();
    let mut report = SendReport {
        kind: Some(kind),
        dry_run,
        ..SendReport::default()
    };
    let mut ready = Vec::new();
    if !dry_run {
        store.write(|c| templates::ensure_defaults(c, now))?;
    }
    let provider = d.provider.name();
    let planned = {
        let conn = store.conn();
        let mut out = Vec::new();
        for t in &targets {
            out.push(prepare(conn, config, now, kind, t)?);
        }
        out
    };
    for (t, prep) in targets.iter().zip(planned) {
        let mut line = SendLine {
            patient_id: t.patient,
            appointment_id: t.appointment.as_ref().map(|a| a.id),
            outcome: "skipped",
            reason: None,
            message_id: None,
        };
        match prep {
            Prepared::Skip(reason) => line.reason = Some(reason),
            Prepared::AlreadySent(id) => {
                line.outcome = "already_sent";
                line.message_id = Some(id);
            }
            Prepared::Text {
                outgoing,
                wait_until,
            } => {
                if dry_run {
                    let s = outbound::screen_rendered(gate, &outgoing.body, &outgoing.trusted);
                    line.outcome = if s.refusal.is_some() {
                        "blocked"
                    } else {
                        "would_send"
                    };
                    line.reason = s
                        .refusal
                        .or(wait_until.map(|w| format!("waits until {}", w.to_rfc3339())));
                } else {
                    let recorded = store.write(|c| {
                        let r = outbound::record(c, &outgoing, gate, provider, actor, now)?;
                        if let (Recorded::Ready(id), Some(at)) = (&r, wait_until) {
                            store::messages::defer(c, *id, at, now)?;
                        }
                        Ok::<_, WorkflowError>(r)
                    })?;
                    match recorded {
                        Recorded::Ready(id) if wait_until.is_some() => {
                            line.outcome = "deferred";
                            line.reason = wait_until.map(|w| {
                                format!("quiet hours or cap: goes after {}", w.to_rfc3339())
                            });
                            line.message_id = Some(id);
                        }
                        Recorded::Ready(id) => {
                            ready.push(id);
                            line.outcome = "queued";
                            line.message_id = Some(id);
                        }
                        Recorded::Duplicate(m) => {
                            line.outcome = "already_sent";
                            line.message_id = Some(m.id);
                        }
                        Recorded::Blocked { id, reason } => {
                            line.outcome = "blocked";
                            line.reason = Some(format!("{reason}; send a portal prompt instead"));
                            line.message_id = Some(id);
                        }
                    }
                }
            }
        }
        report.lines.push(line);
    }
    if dry_run || ready.is_empty() {
        return Ok(report);
    }
    let mut events: Vec<BatchEvent> = Vec::new();
    let sent = dispatch::dispatch(d, store, &ready, actor, clock, &mut |e| events.push(e)).await?;
    report.stopped = sent.stopped;
    for line in &mut report.lines {
        let Some(id) = line.message_id.filter(|id| ready.contains(id)) else {
            continue;
        };
        let m = store::messages::get(store.conn(), id)?;
        line.outcome = match m.status {
            MessageStatus::Failed => "failed",
            MessageStatus::Pending | MessageStatus::Queued if m.provider_id.is_none() => "queued",
            MessageStatus::Queued if m.provider == "outbox" => "in_outbox",
            _ => "sent",
        };
        line.reason = m.error_message.filter(|_| line.outcome != "sent");
    }
    Ok(report)
}

enum Prepared {
    Skip(String),
    AlreadySent(MessageId),
    Text {
        outgoing: Outgoing,
        wait_until: Option<DateTime<Utc>>,
    },
}

/// Checks and renders one text (reads only).
fn prepare(
    c: &Conn,
    config: &Config,
    now: DateTime<Utc>,
    kind: MessageKind,
    t: &Target,
) -> Result<Prepared, WorkflowError> {
    if let Some(m) = store::messages::by_key(c, &t.key)? {
        return Ok(Prepared::AlreadySent(m.id));
    }
    let loaded = facts::load(c, config, &[t.patient], now, None)?;
    let Some(l) = loaded.get(&t.patient) else {
        return Ok(Prepared::Skip("patient not found".into()));
    };
    let wait_until = match reminder::send_check(&config.reminders, now, &l.facts, kind) {
        Ok(()) => None,
        Err(Held {
            retry_at: Some(at), ..
        }) => Some(at),
        Err(Held {
            reason,
            retry_at: None,
        }) => return Ok(Prepared::Skip(reason.label())),
    };
    let Some(to) = render::mobile(&l.patient).cloned() else {
        return Ok(Prepared::Skip("no mobile number".into()));
    };
    let notice = wants_opt_out_notice(
        kind,
        config.reminders.opt_out_notice,
        first_since_opt_in(&l.facts.consent, l.facts.last_outbound),
    );
    let starts: Vec<DateTime<Utc>> = t.appointment.iter().map(|a| a.start).collect();
    let template = templates::load(c, kind)?;
    let r = render::render_trusted(
        config,
        &template,
        &RenderInput {
            kind,
            patient: &l.patient,
            starts: &starts,
            clinician: None,
            opt_out_notice: notice,
        },
    )?;
    Ok(Prepared::Text {
        outgoing: Outgoing {
            kind,
            patient_id: t.patient,
            appointment_id: t.appointment.as_ref().map(|a| a.id),
            key: t.key.clone(),
            to,
            body: r.body,
            trusted: r.trusted,
        },
        wait_until,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::phone::E164;
    use crate::provider::outbox::Outbox;
    use crate::store::appointments::tests::{booking, fixture, t};
    use std::sync::Arc;

    fn setup(opted_in: bool) -> (Store, PatientId, Dispatcher, Config) {
        let (store, p, c, ty) = fixture();
        store::patients::set_mobile(
            store.conn(),
            p,
            Some(&E164::parse("2015550134", "US").unwrap()),
        )
        .unwrap();
        if opted_in {
            crate::store::appointments::tests::opt_in(&store, p, t(8, 0));
        }
        store::appointments::insert(
            store.conn(),
            &booking(p, c, ty, t(15, 0) + chrono::Duration::days(2)),
        )
        .unwrap();
        let config = Config::default();
        let d = Dispatcher::from_config(&config, Arc::new(Outbox::new()));
        (store, p, d, config)
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn portal_prompt_goes_once_a_day_and_is_audited() {
        let (mut store, p, d, config) = setup(true);
        let gate = Gate::with_allow_list(&[]);
        let clock = Clock::Fixed(t(15, 0)); // 10:00 in New York
        let r = rt()
            .block_on(portal_prompt(
                &d,
                &mut store,
                &config,
                &gate,
                &clock,
                "desk",
                p,
                MessageKind::PortalResultsReady,
                false,
            ))
            .unwrap();
        assert_eq!(r.lines[0].outcome, "in_outbox", "{r:?}");
        let id = r.lines[0].message_id.unwrap();
        let m = store::messages::get(store.conn(), id).unwrap();
        assert!(
            m.body.contains("results are ready") && m.body.contains("Riverside Family Practice"),
            "{}",
            m.body
        );
        assert!(
            !store::audit::for_subject(store.conn(), &format!("message:{id}"))
                .unwrap()
                .is_empty()
        );
        let again = rt()
            .block_on(portal_prompt(
                &d,
                &mut store,
                &config,
                &gate,
                &clock,
                "desk",
                p,
                MessageKind::PortalResultsReady,
                false,
            ))
            .unwrap();
        assert_eq!(again.lines[0].outcome, "already_sent");
    }

    #[test]
    fn no_consent_is_skipped_with_the_reason_and_writes_nothing() {
        let (mut store, p, d, config) = setup(false);
        let gate = Gate::with_allow_list(&[]);
        let r = rt()
            .block_on(portal_prompt(
                &d,
                &mut store,
                &config,
                &gate,
                &Clock::Fixed(t(15, 0)),
                "desk",
                p,
                MessageKind::PortalNewMessage,
                false,
            ))
            .unwrap();
        assert_eq!(
            (r.lines[0].outcome, r.lines[0].reason.as_deref()),
            ("skipped", Some("no consent"))
        );
        assert!(
            store::messages::for_patient(store.conn(), p)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn quiet_hours_defer_to_the_next_allowed_minute() {
        let (mut store, p, d, config) = setup(true);
        let gate = Gate::with_allow_list(&[]);
        // 22:00 in New York.
        let clock = Clock::Fixed(t(3, 0) + chrono::Duration::days(1));
        let r = rt()
            .block_on(portal_prompt(
                &d,
                &mut store,
                &config,
                &gate,
                &clock,
                "desk",
                p,
                MessageKind::PortalIntakeForms,
                false,
            ))
            .unwrap();
        assert_eq!(r.lines[0].outcome, "deferred");
        let m = store::messages::get(store.conn(), r.lines[0].message_id.unwrap()).unwrap();
        assert_eq!(m.status, MessageStatus::Queued);
        assert_eq!(
            m.not_before,
            Some(t(13, 0) + chrono::Duration::days(1)),
            "08:00 New York"
        );
    }

    #[test]
    fn closure_dry_run_writes_nothing_and_lists_each_appointment() {
        let (mut store, p, d, config) = setup(true);
        let gate = Gate::with_allow_list(&[]);
        let from = t(0, 0) + chrono::Duration::days(2);
        let r = rt()
            .block_on(closure(
                &d,
                &mut store,
                &config,
                &gate,
                &Clock::Fixed(t(15, 0)),
                "desk",
                from,
                from + chrono::Duration::days(1),
                true,
            ))
            .unwrap();
        assert_eq!(r.lines.len(), 1);
        assert_eq!(r.lines[0].outcome, "would_send");
        assert!(
            store::messages::for_patient(store.conn(), p)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn window_bounds_parse_in_the_practice_zone() {
        let c = Config::default();
        assert_eq!(parse_local("2026-11-25", &c).unwrap(), t(5, 0));
        assert_eq!(parse_local("2026-11-25T13:00", &c).unwrap(), t(18, 0));
        assert!(parse_local("next tuesday", &c).is_err());
    }
}
