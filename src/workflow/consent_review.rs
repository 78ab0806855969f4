//! Consent for disputes and review (SPEC §3.8, §4): one patient's whole history with every
//! text sent and whether consent was valid at that moment; and the practice-wide review —
//! opt-ins older than 12 months, opt-ins without evidence, texts sent without consent (which
//! must be none). The decisions are `domain::consent_history`'s; this loads and audits.

use crate::store::Write;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::audit::{ExportEvent, ExportKind, ReviewEvent};
use crate::domain::consent::{ConsentEvent, ConsentState};
use crate::domain::consent_history::{self, ConsentAtSend, ConsentFinding};
use crate::domain::ids::{MessageId, PatientId};
use crate::domain::message::{Direction, MessageKind, MessageStatus};
use crate::store::{self, StoreError};

/// Who the history is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PatientLine {
    pub id: PatientId,
    pub external_id: Option<String>,
    /// "Last, First".
    pub name: String,
    pub mobile: Option<String>,
}

/// One text that left, and what consent said at that moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TextAtSend {
    pub id: MessageId,
    pub kind: MessageKind,
    pub status: MessageStatus,
    pub to: String,
    pub sent_at: DateTime<Utc>,
    #[serde(flatten)]
    pub consent: ConsentAtSend,
}

/// One patient's consent history, for a dispute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConsentExport {
    pub patient: PatientLine,
    /// Oldest first: kind, method, evidence, recording member, when.
    pub events: Vec<ConsentEvent>,
    pub current: ConsentState,
    pub texts: Vec<TextAtSend>,
}

/// Load one patient's history and record the export (call inside a transaction).
pub fn export(
    conn: &impl Write,
    patient: PatientId,
    format: &'static str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<ConsentExport, StoreError> {
    let p = store::patients::get(conn, patient)?;
    let events = store::consent::events(conn, patient)?;
    let texts: Vec<TextAtSend> = store::messages::for_patient(conn, patient)?
        .into_iter()
        .filter(|m| m.direction == Direction::Outbound)
        .filter_map(|m| {
            let sent_at = m.sent_at?;
            Some(TextAtSend {
                consent: consent_history::at_send(&events, m.kind, sent_at),
                id: m.id,
                kind: m.kind,
                status: m.status,
                to: m.to,
                sent_at,
            })
        })
        .collect();
    let event = ExportEvent {
        kind: ExportKind::ConsentHistory,
        from: None,
        to: None,
        patient: Some(patient),
        format,
        rows: events.len() + texts.len(),
        with_bodies: false,
    };
    store::audit::append(conn, &event.audit_entry(actor, now))?;
    Ok(ConsentExport {
        patient: PatientLine {
            id: p.id,
            external_id: p.external_id.clone(),
            name: p.list_name(),
            mobile: p.mobile.as_ref().map(|m| m.as_str().to_string()),
        },
        current: consent_history::state_at(&events, now),
        events,
        texts,
    })
}

/// One finding of the review, with the patient's name for the manager to act on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReviewLine {
    pub patient_id: PatientId,
    pub name: String,
    #[serde(flatten)]
    pub finding: ConsentFinding,
}

/// The practice-wide consent review.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ConsentReview {
    pub patients_checked: usize,
    pub texts_checked: usize,
    pub stale_opt_ins: Vec<ReviewLine>,
    pub opt_ins_without_evidence: Vec<ReviewLine>,
    /// Must be empty: a text that needed consent left without it.
    pub sent_without_consent: Vec<ReviewLine>,
}

/// Review every patient with consent events or sent texts, and record the review.
pub fn review(
    conn: &impl Write,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<ConsentReview, StoreError> {
    let consent = store::stats::consent_events(conn)?;
    let sent = store::review::sent_texts(conn)?;
    let mut patients: Vec<PatientId> = consent.keys().chain(sent.keys()).copied().collect();
    patients.sort_unstable();
    patients.dedup();
    let mut out = ConsentReview {
        patients_checked: patients.len(),
        texts_checked: sent.values().map(Vec::len).sum(),
        ..ConsentReview::default()
    };
    for p in patients {
        let events = consent.get(&p).map_or(&[][..], Vec::as_slice);
        let texts = sent.get(&p).map_or(&[][..], Vec::as_slice);
        for (patient_id, finding) in consent_history::review(p, events, texts, now) {
            let line = ReviewLine {
                patient_id,
                name: store::patients::get(conn, patient_id)?.list_name(),
                finding,
            };
            match line.finding {
                ConsentFinding::StaleOptIn { .. } => out.stale_opt_ins.push(line),
                ConsentFinding::OptInWithoutEvidence { .. } => {
                    out.opt_ins_without_evidence.push(line)
                }
                ConsentFinding::SentWithoutConsent { .. } => out.sent_without_consent.push(line),
            }
        }
    }
    let event = ReviewEvent::Consent {
        patients: out.patients_checked,
        texts: out.texts_checked,
        findings: out.stale_opt_ins.len()
            + out.opt_ins_without_evidence.len()
            + out.sent_without_consent.len(),
    };
    store::audit::append(conn, &event.audit_entry(actor, now))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::consent::{ConsentKind, ConsentMethod};
    use crate::store::Store;
    use crate::store::appointments::tests::{fixture, t};
    use crate::store::messages::{self, NewOutbound};
    use chrono::Duration;

    fn event(kind: ConsentKind, evidence: Option<&str>, at: DateTime<Utc>) -> ConsentEvent {
        ConsentEvent {
            kind,
            method: match kind {
                ConsentKind::OptIn => ConsentMethod::WrittenForm,
                ConsentKind::OptOut => ConsentMethod::SmsKeyword,
            },
            evidence: evidence.map(str::to_string),
            recorded_by: "reception".into(),
            at,
        }
    }

    fn sent(
        store: &Store,
        p: PatientId,
        key: &str,
        kind: MessageKind,
        at: DateTime<Utc>,
    ) -> MessageId {
        let id = messages::insert_outbound(
            store.test_conn(),
            &NewOutbound {
                kind,
                patient_id: Some(p),
                appointment_id: None,
                idempotency_key: key,
                to: "+12015550134",
                body: "Hi",
                encoding: "gsm7",
                segments: 1,
                status: MessageStatus::Pending,
                provider: "twilio",
                findings: None,
                created_by: "system",
                now: at,
                not_before: None,
                send_by: None,
            },
        )
        .unwrap()
        .unwrap();
        messages::mark_handed_over(
            store.test_conn(),
            id,
            "twilio",
            key,
            MessageStatus::Sent,
            at,
        )
        .unwrap();
        id
    }

    /// Opted in with a form on 1 October 2025, STOP on 24 November 2026 at 14:00 UTC; a
    /// reminder before, the STOP confirmation after, and one reminder after the STOP that
    /// must be reported.
    fn disputed() -> (Store, PatientId, MessageId) {
        let (store, p, _, _) = fixture();
        let c = store.test_conn();
        store::consent::append(
            c,
            p,
            &event(
                ConsentKind::OptIn,
                Some("FORM-12"),
                t(9, 0) - Duration::days(420),
            ),
        )
        .unwrap();
        store::consent::append(
            c,
            p,
            &event(
                ConsentKind::OptOut,
                Some("SM-STOP"),
                t(14, 0) - Duration::days(1),
            ),
        )
        .unwrap();
        sent(
            &store,
            p,
            "r1",
            MessageKind::Reminder24h,
            t(14, 0) - Duration::days(2),
        );
        sent(
            &store,
            p,
            "c1",
            MessageKind::OptOutConfirmation,
            t(14, 1) - Duration::days(1),
        );
        let bad = sent(&store, p, "r2", MessageKind::Reminder48h, t(9, 0));
        (store, p, bad)
    }

    #[test]
    fn a_patient_s_history_shows_every_event_and_every_text_with_its_consent() {
        let (store, p, bad) = disputed();
        let x = export(store.test_conn(), p, "json", "manager", t(20, 0)).unwrap();
        assert_eq!(x.patient.name, "Lovelace, Ada");
        assert_eq!(x.events.len(), 2);
        assert_eq!(x.events[0].evidence.as_deref(), Some("FORM-12"));
        assert_eq!(x.events[0].recorded_by, "reception");
        let verdicts: Vec<(MessageKind, &str)> = x
            .texts
            .iter()
            .map(|t| (t.kind, t.consent.label()))
            .collect();
        assert_eq!(
            verdicts,
            vec![
                (MessageKind::Reminder24h, "valid"),
                (
                    MessageKind::OptOutConfirmation,
                    "not needed (answer to the patient's keyword)"
                ),
                (MessageKind::Reminder48h, "opted out"),
            ]
        );
        assert_eq!(x.texts[2].id, bad);
        assert!(matches!(x.current, ConsentState::OptedOut { .. }));
        let audit = store::audit::for_subject(store.test_conn(), &format!("patient:{p}")).unwrap();
        let last = audit.last().unwrap();
        assert_eq!(last.action, "export.consent_history");
        assert!(!last.detail.contains("Lovelace") && !last.detail.contains("FORM-12"));
    }

    #[test]
    fn an_unknown_patient_is_a_clear_error() {
        let (store, _, _, _) = fixture();
        let err = export(
            store.test_conn(),
            PatientId(999),
            "json",
            "manager",
            t(20, 0),
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "patient 999 does not exist");
    }

    #[test]
    fn the_review_finds_the_text_sent_after_a_stop() {
        let (store, p, bad) = disputed();
        let r = review(store.test_conn(), "manager", t(20, 0)).unwrap();
        assert_eq!((r.patients_checked, r.texts_checked), (1, 3));
        assert_eq!(r.sent_without_consent.len(), 1);
        assert_eq!(r.sent_without_consent[0].patient_id, p);
        assert!(matches!(
            r.sent_without_consent[0].finding,
            ConsentFinding::SentWithoutConsent { message, .. } if message == bad
        ));
        assert!(
            r.stale_opt_ins.is_empty(),
            "opted out: nothing to re-confirm"
        );
    }

    #[test]
    fn the_review_lists_stale_and_unverified_opt_ins() {
        let (store, p, _, _) = fixture();
        let other = store::patients::insert(
            store.test_conn(),
            &store::patients::NewPatient {
                external_id: None,
                first_name: "Zoë".into(),
                last_name: "Nguyễn".into(),
                birth_date: None,
                mobile: None,
                time_zone: None,
                portal_active: false,
            },
            t(8, 0),
        )
        .unwrap();
        let c = store.test_conn();
        store::consent::append(
            c,
            p,
            &event(
                ConsentKind::OptIn,
                Some("FORM-1"),
                t(9, 0) - Duration::days(400),
            ),
        )
        .unwrap();
        store::consent::append(
            c,
            other,
            &event(ConsentKind::OptIn, None, t(9, 0) - Duration::days(3)),
        )
        .unwrap();
        let r = review(c, "manager", t(20, 0)).unwrap();
        assert_eq!(r.stale_opt_ins.len(), 1);
        assert_eq!(r.stale_opt_ins[0].name, "Lovelace, Ada");
        assert_eq!(r.opt_ins_without_evidence.len(), 1);
        assert_eq!(r.opt_ins_without_evidence[0].name, "Nguyễn, Zoë");
        assert!(r.sent_without_consent.is_empty());
        let audit = store::audit::for_subject(c, "practice").unwrap();
        assert_eq!(audit.last().unwrap().action, "consent.review");
    }
}
