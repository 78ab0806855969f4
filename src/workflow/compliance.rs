//! Compliance review (SPEC §3.8): re-scan every template and every body that left (or may
//! still leave) with the current PHI gate, and list what it finds with where and when. The
//! gate improves over time; this is how a practice learns that something it sent last
//! month would be refused today.
//!
//! Templates are checked the way saving checks them: rendered on the sample appointment,
//! typical and long. In a sent body, the values the renderer filled from the database — the
//! patient's names, clinician names, the practice's name and location, type labels — are
//! trusted as SPEC §5.1 says: vocabulary findings inside them are dropped (a patient named
//! Camila is not a prescription), identifier findings are kept. Findings carry the flagged
//! words (the manager must see them); the audit record of the review carries counts only.

use crate::store::Db;
use crate::store::Write;
use std::collections::HashMap;
use std::ops::Range;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Config;

use crate::domain::audit::ReviewEvent;
use crate::domain::ids::{MessageId, PatientId};
use crate::domain::message::{MessageKind, MessageStatus};
use crate::domain::template::{self, DEFAULT_TEMPLATES, SampleSize, Template, spans_of_values};
use crate::phi::{Category, Gate};
use crate::store::{self, StoreError};

/// Bodies read per page (the review holds one page at a time).
const PAGE: usize = 2_000;

/// Where a finding is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "in", rename_all = "snake_case")]
pub enum Place {
    /// The current template of a kind (the stored one, or the built-in default).
    Template { kind: MessageKind, stored: bool },
    /// An outbound message.
    Message {
        id: MessageId,
        kind: MessageKind,
        status: MessageStatus,
        patient_id: Option<PatientId>,
    },
}

impl Place {
    pub fn label(&self) -> String {
        match self {
            Self::Template { kind, stored } => format!(
                "template {kind}{}",
                if *stored { "" } else { " (built-in default)" }
            ),
            Self::Message {
                id, kind, status, ..
            } => format!("message {id} ({kind}, {status})"),
        }
    }
}

/// What is wrong there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    /// The gate would block this now.
    Phi {
        category: Category,
        rule: &'static str,
        text: String,
    },
    /// A stored template that no longer parses or renders.
    Unreadable { reason: String },
}

impl Problem {
    pub fn label(&self) -> String {
        match self {
            Self::Phi { category, text, .. } => {
                format!("\"{text}\" looks like {}", category.label())
            }
            Self::Unreadable { reason } => reason.clone(),
        }
    }
}

/// One finding: where, when (saved or sent), what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub place: Place,
    pub when: DateTime<Utc>,
    #[serde(flatten)]
    pub problem: Problem,
}

/// The review's result.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ComplianceReport {
    pub templates_checked: usize,
    pub messages_checked: usize,
    pub findings: Vec<Finding>,
}

impl ComplianceReport {
    pub fn clean(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Re-scan everything and append the review's audit record (call inside a transaction).
pub fn review(
    conn: &impl Write,
    config: &Config,
    gate: &Gate,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<ComplianceReport, StoreError> {
    let mut report = ComplianceReport::default();
    scan_templates(conn, gate, now, &mut report)?;
    let mut trusted = Trusted::load(conn, config)?;
    let mut after = MessageId(0);
    loop {
        let page = store::review::outbound_bodies(conn, after, PAGE)?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for m in &page {
            report.messages_checked += 1;
            let place = Place::Message {
                id: m.id,
                kind: m.kind,
                status: m.status,
                patient_id: m.patient_id,
            };
            let spans = trusted.spans(conn, m.patient_id, &m.body)?;
            push_verdict(&mut report, gate, &m.body, &place, m.at, &spans);
        }
    }
    let event = ReviewEvent::Compliance {
        templates: report.templates_checked,
        messages: report.messages_checked,
        findings: report.findings.len(),
    };
    store::audit::append(conn, &event.audit_entry(actor, now))?;
    Ok(report)
}

/// Every kind's current template: the stored body, else the built-in default.
fn scan_templates(
    conn: &impl Db,
    gate: &Gate,
    now: DateTime<Utc>,
    report: &mut ComplianceReport,
) -> Result<(), StoreError> {
    let stored = store::templates::all(conn)?;
    for (kind, default) in DEFAULT_TEMPLATES {
        let found = stored.iter().find(|t| t.kind == *kind);
        let (body, when) = found.map_or((*default, now), |t| (t.body.as_str(), t.updated_at));
        let place = Place::Template {
            kind: *kind,
            stored: found.is_some(),
        };
        report.templates_checked += 1;
        let before = report.findings.len();
        let rendered = Template::parse(body).and_then(|t| {
            [SampleSize::Typical, SampleSize::Long]
                .into_iter()
                .map(|size| t.render_marked(&template::sample_context(*kind, size)))
                .collect::<Result<Vec<_>, _>>()
        });
        match rendered {
            Ok(texts) => {
                for r in texts {
                    push_verdict(report, gate, &r.body, &place, when, &r.trusted);
                }
            }
            Err(e) => report.findings.push(Finding {
                place: place.clone(),
                when,
                problem: Problem::Unreadable {
                    reason: e.to_string(),
                },
            }),
        }
        // The long sample repeats the typical one's findings: keep each once.
        let mut seen = Vec::new();
        let mut i = before;
        while i < report.findings.len() {
            if seen.contains(&report.findings[i].problem) {
                report.findings.remove(i);
            } else {
                seen.push(report.findings[i].problem.clone());
                i += 1;
            }
        }
    }
    Ok(())
}

/// The values a renderer fills from the database, per patient and for everyone.
struct Trusted {
    common: Vec<String>,
    patients: HashMap<PatientId, Vec<String>>,
}

impl Trusted {
    fn load(conn: &impl Db, config: &Config) -> Result<Self, StoreError> {
        let mut common = vec![
            config.practice.name.clone(),
            config.practice.location.clone(),
        ];
        common.extend(
            store::reference::clinicians(conn)?
                .into_iter()
                .map(|c| c.display_name),
        );
        common.extend(
            store::reference::types(conn)?
                .into_iter()
                .map(|t| t.sms_label),
        );
        common.retain(|v| !v.trim().is_empty());
        Ok(Self {
            common,
            patients: HashMap::new(),
        })
    }

    /// Byte spans of trusted values in `body`: where the values the renderer fills stand in
    /// it, found the way the outbox re-check finds them (`spans_of_values`).
    fn spans(
        &mut self,
        conn: &impl Db,
        patient: Option<PatientId>,
        body: &str,
    ) -> Result<Vec<Range<usize>>, StoreError> {
        let own: &[String] = match patient {
            Some(p) => match self.patients.entry(p) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut().as_slice(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    let names = match store::patients::get(conn, p) {
                        Ok(x) => vec![x.first_name, x.last_name],
                        Err(StoreError::NotFound { .. }) => Vec::new(),
                        Err(err) => return Err(err),
                    };
                    e.insert(names).as_slice()
                }
            },
            None => &[],
        };
        let values: Vec<&str> = self.common.iter().chain(own).map(String::as_str).collect();
        Ok(spans_of_values(body, &values))
    }
}

/// The gate's findings on `text` as review findings; vocabulary rules do not fire inside
/// `trusted` spans (identifier rules do), exactly as when the text was sent.
fn push_verdict(
    report: &mut ComplianceReport,
    gate: &Gate,
    text: &str,
    place: &Place,
    when: DateTime<Utc>,
    trusted: &[Range<usize>],
) {
    for f in gate
        .check_with(text, trusted)
        .findings
        .into_iter()
        .filter(|f| !f.allowed)
    {
        report.findings.push(Finding {
            place: place.clone(),
            when,
            problem: Problem::Phi {
                category: f.category,
                rule: f.rule,
                text: f.text,
            },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use crate::store::appointments::tests::{fixture, t};
    use crate::store::messages::{self, NewOutbound};

    fn text(store: &Store, key: &str, body: &str, status: MessageStatus, at: DateTime<Utc>) {
        // The fixture's one patient.
        let p = PatientId(1);
        let id = messages::insert_outbound(
            store.test_conn(),
            &NewOutbound {
                kind: MessageKind::Custom,
                patient_id: Some(p),
                appointment_id: None,
                idempotency_key: key,
                to: "+12015550134",
                body,
                encoding: "gsm7",
                segments: 1,
                status: MessageStatus::Pending,
                provider: "twilio",
                findings: None,
                created_by: "desk",
                now: at,
                not_before: None,
                send_by: None,
            },
        )
        .unwrap()
        .unwrap();
        if status != MessageStatus::Pending {
            messages::set_status(store.test_conn(), id, status, None, at).unwrap();
        }
    }

    #[test]
    fn a_clean_practice_is_clean_and_the_review_is_audited() {
        let (store, _, _, _) = fixture();
        crate::workflow::templates::ensure_defaults(store.test_conn(), t(8, 0)).unwrap();
        text(
            &store,
            "k1",
            "Riverside: please call us at 555-0100.",
            MessageStatus::Delivered,
            t(9, 0),
        );
        let r = review(
            store.test_conn(),
            &Config::default(),
            &Gate::default(),
            "manager",
            t(10, 0),
        )
        .unwrap();
        assert!(r.clean(), "{:?}", r.findings);
        assert_eq!(r.templates_checked, DEFAULT_TEMPLATES.len());
        assert_eq!(r.messages_checked, 1);
        let audit = store::audit::for_subject(store.test_conn(), "practice").unwrap();
        assert_eq!(audit.last().unwrap().action, "audit.review");
    }

    #[test]
    fn the_patient_s_own_name_is_trusted_but_not_everywhere() {
        let (store, p, _, _) = fixture();
        // A patient called Camila (also a contraceptive's brand name).
        store
            .test_conn()
            .execute(
                "UPDATE patients SET first_name = 'Camila' WHERE id = ?1",
                [p.0],
            )
            .unwrap();
        text(
            &store,
            "k1",
            "Riverside: Camila, see you Wed 9:00. Reply STOP to opt out.",
            MessageStatus::Delivered,
            t(9, 0),
        );
        // The same word in a text to someone else (here: to no patient on file) is a drug,
        // not a name: still a finding. (In a text to Camila herself it cannot be told apart.)
        text(
            &store,
            "k2",
            "Your Camila refill is ready.",
            MessageStatus::Delivered,
            t(9, 1),
        );
        store
            .test_conn()
            .execute(
                "UPDATE messages SET patient_id = NULL WHERE idempotency_key = 'k2'",
                [],
            )
            .unwrap();
        let r = review(
            store.test_conn(),
            &Config::default(),
            &Gate::default(),
            "manager",
            t(10, 0),
        )
        .unwrap();
        let ids: Vec<String> = r.findings.iter().map(|f| f.place.label()).collect();
        assert!(ids.iter().all(|l| !l.starts_with("message 1 ")), "{ids:?}");
        assert!(ids.iter().any(|l| l.starts_with("message 2 ")), "{ids:?}");
    }

    #[test]
    fn a_sent_body_and_a_stored_template_the_gate_now_refuses_are_listed() {
        let (store, _, _, _) = fixture();
        text(
            &store,
            "k1",
            "Ada, your chemotherapy is moved to Friday.",
            MessageStatus::Sent,
            t(9, 0),
        );
        // Blocked and withdrawn texts never left: not findings.
        text(
            &store,
            "k2",
            "Your HIV test was positive.",
            MessageStatus::Blocked,
            t(9, 5),
        );
        text(
            &store,
            "k3",
            "Your HIV test was positive.",
            MessageStatus::Withdrawn,
            t(9, 6),
        );
        // A template saved before the gate knew better (written directly, as an old
        // version would have).
        store::templates::save(
            store.test_conn(),
            MessageKind::Reminder24h,
            "{practice_name}: {first_name}, your metformin review is {date} at {time}. {practice_phone} {opt_out}",
            "manager",
            t(8, 0),
        )
        .unwrap();
        let r = review(
            store.test_conn(),
            &Config::default(),
            &Gate::default(),
            "manager",
            t(10, 0),
        )
        .unwrap();
        assert_eq!(r.messages_checked, 1);
        let places: Vec<String> = r.findings.iter().map(|f| f.place.label()).collect();
        assert!(
            places.contains(&"template reminder-24h".to_string()),
            "{places:?}"
        );
        let sent = r
            .findings
            .iter()
            .find(|f| matches!(f.place, Place::Message { .. }))
            .unwrap();
        assert_eq!(sent.when, t(9, 0));
        assert!(
            sent.problem.label().contains("chemotherapy"),
            "{}",
            sent.problem.label()
        );
        // The template's finding is listed once although two samples were checked.
        let tpl = r
            .findings
            .iter()
            .filter(|f| matches!(f.place, Place::Template { .. }))
            .count();
        assert_eq!(tpl, 1, "{:?}", r.findings);
        let audit = store::audit::for_subject(store.test_conn(), "practice").unwrap();
        let detail = &audit.last().unwrap().detail;
        assert!(detail.contains("\"findings\":2"), "{detail}");
        assert!(!detail.contains("chemotherapy") && !detail.contains("metformin"));
    }
}
