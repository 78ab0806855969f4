//! The one path every outbound text takes (SPEC §5): normalise → PHI gate → record the row
//! (before any provider call) → audit a block. Sending the recorded rows is `dispatch`.
//!
//! Every send path — reminders, portal prompts, closures, HELP and opt-out answers, the outbox
//! after a time offline — goes through [`record`], so no body reaches a provider without the
//! gate having passed it and a row holding its idempotency key.

use std::ops::Range;

use chrono::{DateTime, Utc};

use crate::domain::audit::NotSentEvent;
use crate::domain::ids::{AppointmentId, MessageId, PatientId};
use crate::domain::message::{Message, MessageKind, MessageStatus};
use crate::domain::phone::E164;
use crate::domain::segments::{self, MAX_SEGMENTS};
use crate::phi::{Gate, Verdict};
use crate::store::{self, StoreError, Write, messages::NewOutbound};

/// A rendered text, ready to be checked and recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    pub kind: MessageKind,
    pub patient_id: PatientId,
    /// The appointment it is about (a double booking names the first).
    pub appointment_id: Option<AppointmentId>,
    /// The exactly-once key (SPEC §5.8).
    pub key: String,
    pub to: E164,
    pub body: String,
    /// Withdrawn, never sent, at or after this instant (the start of the closure or visit it
    /// is about; SPEC §5.6).
    pub send_by: Option<DateTime<Utc>>,
    /// Spans of `body` the renderer filled from the database (SPEC §5.1); empty for text
    /// typed at the desk.
    pub trusted: Vec<Range<usize>>,
}

/// What recording did.
#[derive(Clone, Debug, PartialEq)]
pub enum Recorded {
    /// A new `pending` row: dispatch it.
    Ready(MessageId),
    /// The key already had a row (an earlier run, or a concurrent one): nothing written.
    Duplicate(Box<Message>),
    /// Refused by the PHI gate or the length rule: recorded as `blocked`, never sent.
    Blocked { id: MessageId, reason: String },
}

/// What the gate and the length rule say about a body, before anything is written.
#[derive(Clone, Debug, PartialEq)]
pub struct Screened {
    /// The body after GSM-7 normalisation: what would be sent.
    pub body: String,
    pub encoding: segments::Encoding,
    pub segments: u32,
    pub verdict: Verdict,
    /// Why it may not be sent, in words for staff (`None`: it may).
    pub refusal: Option<String>,
}

/// Normalise and check a body (SPEC §5.1, §5.9). Pure: used for previews and dry runs too.
pub fn screen(gate: &Gate, body: &str) -> Screened {
    screen_rendered(gate, body, &[])
}

/// [`screen`] a rendered body with its trusted spans. A rendered body is normalised already;
/// if normalising changed it anyway, the spans no longer fit and every word is read.
pub fn screen_rendered(gate: &Gate, body: &str, trusted: &[Range<usize>]) -> Screened {
    let normal = segments::normalise(body);
    let trusted = if normal == body { trusted } else { &[] };
    let body = normal.into_owned();
    let info = segments::analyse(&body);
    let verdict = gate.check_with(&body, trusted);
    let refusal = if verdict.blocked {
        Some(verdict.summary())
    } else if info.segments > MAX_SEGMENTS {
        Some(format!(
            "too long: {} SMS segments (at most {MAX_SEGMENTS}); shorten the text",
            info.segments
        ))
    } else if info.segments == 0 {
        Some("empty message".to_string())
    } else {
        None
    };
    Screened {
        body,
        encoding: info.encoding,
        segments: info.segments,
        verdict,
        refusal,
    }
}

/// Gate and record one text inside the caller's transaction.
pub fn record(
    conn: &impl Write,
    out: &Outgoing,
    gate: &Gate,
    provider: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Recorded, StoreError> {
    if let Some(existing) = store::messages::by_key(conn, &out.key)? {
        return Ok(Recorded::Duplicate(Box::new(existing)));
    }
    let s = screen_rendered(gate, &out.body, &out.trusted);
    let findings = (!s.verdict.findings.is_empty())
        .then(|| serde_json::to_string(&s.verdict.findings).unwrap_or_default());
    let status = if s.refusal.is_some() {
        MessageStatus::Blocked
    } else {
        MessageStatus::Pending
    };
    let row = NewOutbound {
        kind: out.kind,
        patient_id: Some(out.patient_id),
        appointment_id: out.appointment_id,
        idempotency_key: &out.key,
        to: out.to.as_str(),
        body: &s.body,
        encoding: s.encoding.as_str(),
        segments: s.segments,
        status,
        provider,
        findings: findings.as_deref(),
        created_by: actor,
        now,
        not_before: None,
        send_by: out.send_by,
    };
    let Some(id) = store::messages::insert_outbound(conn, &row)? else {
        // Lost a race with a concurrent run between the lookup and the insert.
        return match store::messages::by_key(conn, &out.key)? {
            Some(m) => Ok(Recorded::Duplicate(Box::new(m))),
            None => Err(StoreError::Conflict(format!(
                "message {} vanished",
                out.key
            ))),
        };
    };
    let Some(reason) = s.refusal else {
        return Ok(Recorded::Ready(id));
    };
    store::messages::set_status(conn, id, MessageStatus::Blocked, Some(&reason), now)?;
    // The audit names rules and categories, never the matched words or the body.
    let findings: Vec<_> = s
        .verdict
        .findings
        .iter()
        .filter(|f| !f.allowed)
        .map(|f| (f.rule, f.category.as_str()))
        .collect();
    let event = NotSentEvent::MessageBlocked {
        message: id,
        kind: out.kind,
        patient: out.patient_id,
        key: &out.key,
        segments: s.segments,
        findings: &findings,
    };
    store::audit::append(conn, &event.entry(now, actor))?;
    tracing::info!(
        message = id.0,
        kind = out.kind.as_str(),
        "message blocked before sending"
    );
    Ok(Recorded::Blocked { id, reason })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::appointments::tests::{fixture, t};

    fn outgoing(body: &str) -> Outgoing {
        Outgoing {
            kind: MessageKind::PortalResultsReady,
            patient_id: crate::domain::ids::PatientId(1),
            appointment_id: None,
            key: "portal:1:test".into(),
            to: E164::parse("2015550134", "US").unwrap(),
            body: body.into(),
            send_by: None,
            trusted: Vec::new(),
        }
    }

    #[test]
    fn clean_text_is_recorded_pending_and_normalised() {
        let (store, _, _, _) = fixture();
        let gate = Gate::with_allow_list(&[]);
        let r = record(
            store.test_conn(),
            &outgoing("Riverside: you have a new message \u{2014} log in at https://portal.example.org. Reply STOP to opt out."),
            &gate,
            "outbox",
            "desk",
            t(9, 0),
        )
        .unwrap();
        let Recorded::Ready(id) = r else {
            panic!("{r:?}")
        };
        let m = store::messages::get(store.test_conn(), id).unwrap();
        assert_eq!(m.status, MessageStatus::Pending);
        assert!(m.body.contains(" - log in"), "dash normalised: {}", m.body);
    }

    #[test]
    fn phi_is_blocked_recorded_and_audited_without_the_words() {
        let (store, _, _, _) = fixture();
        let gate = Gate::with_allow_list(&[]);
        let r = record(
            store.test_conn(),
            &outgoing("Your HIV test came back positive. Call us."),
            &gate,
            "twilio",
            "desk",
            t(9, 0),
        )
        .unwrap();
        let Recorded::Blocked { id, reason } = r else {
            panic!("{r:?}")
        };
        assert!(reason.starts_with("blocked"), "{reason}");
        let m = store::messages::get(store.test_conn(), id).unwrap();
        assert_eq!(m.status, MessageStatus::Blocked);
        assert!(m.findings.is_some());
        let audit = store::audit::for_subject(store.test_conn(), &format!("message:{id}")).unwrap();
        assert_eq!(audit[0].action, "message.blocked");
        assert!(
            !audit[0].detail.to_lowercase().contains("hiv"),
            "{}",
            audit[0].detail
        );
    }

    #[test]
    fn same_key_twice_is_a_duplicate() {
        let (store, _, _, _) = fixture();
        let gate = Gate::with_allow_list(&[]);
        let o = outgoing(
            "Riverside: please complete your forms at https://portal.example.org. Reply STOP to opt out.",
        );
        assert!(matches!(
            record(store.test_conn(), &o, &gate, "outbox", "desk", t(9, 0)).unwrap(),
            Recorded::Ready(_)
        ));
        assert!(matches!(
            record(store.test_conn(), &o, &gate, "outbox", "desk", t(9, 1)).unwrap(),
            Recorded::Duplicate(_)
        ));
    }

    #[test]
    fn a_rendered_body_is_gated_with_the_spans_filled_from_the_database() {
        use crate::domain::template::{RenderContext, SampleSize, Template, sample_context};
        let (store, _, _, _) = fixture();
        let gate = Gate::with_allow_list(&[]);
        let tpl = Template::parse(
            "{practice_name}: {first_name}, see you {date} at {time} with {clinician}. \
             {practice_phone} {opt_out}",
        )
        .unwrap();
        let ctx = RenderContext {
            first_name: "Lyrica",
            practice_name: "Cancer Care Partners",
            clinician: Some("Dr. Holter"),
            ..sample_context(MessageKind::Reminder24h, SampleSize::Typical)
        };
        let r = tpl.render_marked(&ctx).unwrap();
        assert!(
            screen(&gate, &r.body).refusal.is_some(),
            "read as free text, the names look clinical"
        );
        let mut o = outgoing(&r.body);
        o.trusted = r.trusted;
        let rec = record(store.test_conn(), &o, &gate, "outbox", "system", t(9, 0)).unwrap();
        assert!(matches!(rec, Recorded::Ready(_)), "{rec:?}");
    }

    #[test]
    fn over_three_segments_is_refused() {
        let gate = Gate::with_allow_list(&[]);
        let s = screen(&gate, &"Please call the front desk. ".repeat(20));
        assert!(s.refusal.unwrap().starts_with("too long"));
    }
}
