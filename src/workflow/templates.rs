//! Templates as the sending paths use them: the stored body (seeded from the defaults on first
//! use), parsed and rendered; and saving a new body, refused with the reason when it fails the
//! save rules or the PHI gate (SPEC §3.6).

use crate::domain::audit::PracticeEvent;
use crate::store::Db;
use crate::store::Write;
use chrono::{DateTime, Utc};

use crate::domain::message::MessageKind;
use crate::domain::template::{self, DEFAULT_TEMPLATES, Template, TemplateError};
use crate::phi::Gate;
use crate::store::{self, StoreError};

/// Why a template could not be used or saved; the text is shown to staff.
#[derive(Debug, thiserror::Error)]
pub enum TemplateFlowError {
    #[error("template {kind}: {source}")]
    Invalid {
        kind: MessageKind,
        source: TemplateError,
    },
    #[error("template {kind} would send clinical detail: {summary}")]
    Phi { kind: MessageKind, summary: String },
    #[error("there is no template for {0}")]
    Missing(MessageKind),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// Add any default template the database does not have yet.
pub fn ensure_defaults(conn: &impl Write, now: DateTime<Utc>) -> Result<usize, StoreError> {
    store::templates::seed_defaults(conn, DEFAULT_TEMPLATES, now)
}

/// The current template for a kind, parsed (an unknown placeholder in a stored body is an
/// error here too, not a silently wrong text).
pub fn load(conn: &impl Db, kind: MessageKind) -> Result<Template, TemplateFlowError> {
    let body = match store::templates::get(conn, kind)? {
        Some(t) => t.body,
        None => template::default_template(kind)
            .ok_or(TemplateFlowError::Missing(kind))?
            .to_string(),
    };
    Template::parse(&body).map_err(|source| TemplateFlowError::Invalid { kind, source })
}

/// Save a new body after the save rules and the PHI gate (on sample renderings) pass.
pub fn save(
    conn: &impl Write,
    gate: &Gate,
    kind: MessageKind,
    body: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), TemplateFlowError> {
    template::validate_for_save(kind, body)
        .map_err(|source| TemplateFlowError::Invalid { kind, source })?;
    let parsed =
        Template::parse(body).map_err(|source| TemplateFlowError::Invalid { kind, source })?;
    // Checked once with its placeholders (values from the database are trusted, SPEC §5.1):
    // the verdict is about the template's own words, not about sample names.
    let form = parsed.with_placeholders();
    let verdict = gate.check_with(&form.body, &form.trusted);
    if verdict.blocked {
        return Err(TemplateFlowError::Phi {
            kind,
            summary: verdict.summary(),
        });
    }
    let old = match store::templates::get(conn, kind)? {
        Some(t) => t.body,
        None => template::default_template(kind)
            .unwrap_or_default()
            .to_string(),
    };
    store::templates::save(conn, kind, body, actor, now)?;
    // A template is not PHI (it passed the gate above): the old and new text are kept, so
    // the audit screen can show what changed.
    let event = PracticeEvent::TemplateSaved {
        kind,
        old: &old,
        new: body,
    };
    store::audit::append(conn, &event.entry(now, actor))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use crate::store::appointments::tests::t;

    #[test]
    fn defaults_load_and_every_kind_parses() {
        let store = Store::open_in_memory().unwrap();
        assert!(ensure_defaults(store.test_conn(), t(9, 0)).unwrap() > 10);
        for (kind, _) in DEFAULT_TEMPLATES {
            load(store.test_conn(), *kind).unwrap();
        }
    }

    #[test]
    fn saving_phi_is_refused_with_the_reason_and_nothing_changes() {
        let store = Store::open_in_memory().unwrap();
        ensure_defaults(store.test_conn(), t(9, 0)).unwrap();
        let gate = Gate::with_allow_list(&[]);
        let bad = "{practice_name}: {first_name}, your chemotherapy is on {date} at {time}. {practice_phone} {opt_out}";
        let err = save(
            store.test_conn(),
            &gate,
            MessageKind::Reminder24h,
            bad,
            "manager",
            t(10, 0),
        )
        .unwrap_err();
        assert!(matches!(err, TemplateFlowError::Phi { .. }), "{err}");
        assert!(err.to_string().contains("chemotherapy"), "{err}");
        let stored = store::templates::get(store.test_conn(), MessageKind::Reminder24h)
            .unwrap()
            .unwrap();
        assert_eq!(stored.updated_by, "system");
    }

    #[test]
    fn saving_a_clean_template_is_audited() {
        let store = Store::open_in_memory().unwrap();
        let gate = Gate::with_allow_list(&[]);
        let good = "{practice_name}: {first_name}, see you {date} at {time}. {reply_options} {practice_phone} {opt_out}";
        save(
            store.test_conn(),
            &gate,
            MessageKind::Reminder24h,
            good,
            "manager",
            t(10, 0),
        )
        .unwrap();
        let audit = store::audit::for_subject(store.test_conn(), "template:reminder-24h").unwrap();
        assert_eq!(audit[0].actor, "manager");
        let detail: serde_json::Value = serde_json::from_str(&audit[0].detail).unwrap();
        assert_eq!(detail["new"], good);
        assert_eq!(
            detail["old"].as_str(),
            template::default_template(MessageKind::Reminder24h)
        );
    }
}
