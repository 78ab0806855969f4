//! The worker's methods for the manager screens (statistics, templates, audit): each calls
//! one workflow function and answers with one [`Msg`]. Errors reach the log as kinds only
//! (the text may name a patient) and the screen as the workflow's words.

use chrono::{DateTime, Utc};

use super::{Runner, log_safe};
use crate::domain::message::MessageKind;
use crate::domain::stats::Period;
use crate::phi::Gate;
use crate::tui::msg::Msg;
use crate::workflow::manager_views::{self, AuditQuery};
use crate::workflow::{audit, compliance, consent_review, stats, template_editor, templates};

impl Runner {
    fn gate(&self) -> Gate {
        Gate::with_allow_list(&self.config.phi.allow)
    }

    pub(super) fn load_stats(&self, generation: u64, period: Period, now: DateTime<Utc>) -> Msg {
        let result = stats::compute(&self.store, &self.config, period, now)
            .map(Box::new)
            .map_err(|e| {
                tracing::error!(error = %log_safe(&e), "statistics failed");
                e.to_string()
            });
        Msg::StatsLoaded { generation, result }
    }

    pub(super) fn drill_stats(
        &self,
        generation: u64,
        ids: &[crate::domain::ids::AppointmentId],
    ) -> Msg {
        let result = stats::drill(&self.store, ids).map_err(|e| {
            tracing::error!(error = %log_safe(&e), "statistics drill-down failed");
            e.to_string()
        });
        Msg::StatsDrilled { generation, result }
    }

    /// The CSV goes to an `exports` folder beside the database.
    pub(super) fn export_stats(&self, period: Period, now: DateTime<Utc>) -> Msg {
        let Some(dir) = self
            .store
            .path()
            .and_then(|p| p.parent().map(|d| d.join("exports")))
        else {
            return Msg::StatsExported(Err(
                "this database has no folder to export into".to_string()
            ));
        };
        let result = manager_views::write_stats_csv(&self.store, &self.config, period, now, &dir)
            .map(|p| p.display().to_string())
            .map_err(|e| {
                tracing::error!(error = %e, "statistics export failed");
                e.to_string()
            });
        if result.is_ok() {
            tracing::info!(from = %period.from, to = %period.to, "statistics exported");
        }
        Msg::StatsExported(result)
    }

    pub(super) fn load_templates(&self) -> Msg {
        Msg::TemplatesLoaded(manager_views::templates(&self.store).map_err(|e| {
            tracing::error!(error = %log_safe(&e), "templates load failed");
            e.to_string()
        }))
    }

    pub(super) fn preview_template(&self, generation: u64, kind: MessageKind, body: &str) -> Msg {
        Msg::TemplatePreviewed {
            generation,
            preview: Box::new(template_editor::preview(&self.gate(), kind, body)),
        }
    }

    pub(super) fn save_template(
        &mut self,
        kind: MessageKind,
        body: &str,
        now: DateTime<Utc>,
    ) -> Msg {
        let gate = self.gate();
        let actor = match self.member() {
            Ok(actor) => actor.audit_name().to_string(),
            Err(why) => {
                return Msg::TemplateSaved {
                    kind,
                    result: Err(why),
                };
            }
        };
        let result = self
            .store
            .write(|c| templates::save(c, &gate, kind, body, &actor, now));
        match &result {
            Ok(()) => tracing::info!(kind = %kind, "template saved"),
            Err(templates::TemplateFlowError::Store(e)) => {
                tracing::error!(kind = %kind, error = %log_safe(e), "template save failed")
            }
            Err(_) => tracing::info!(kind = %kind, "template save refused"),
        }
        Msg::TemplateSaved {
            kind,
            result: result.map_err(|e| e.to_string()),
        }
    }

    pub(super) fn load_audit(&self, generation: u64, query: &AuditQuery) -> Msg {
        let result = manager_views::audit_page(&self.store, &self.config, query).map_err(|e| {
            tracing::error!(error = %log_safe(&e), "audit page failed");
            e.to_string()
        });
        Msg::AuditLoaded { generation, result }
    }

    pub(super) fn verify_audit(&self) -> Msg {
        Msg::AuditVerified(audit::verify(&self.store).map_err(|e| {
            tracing::error!(error = %log_safe(&e), "audit verification failed");
            e.to_string()
        }))
    }

    pub(super) fn review_compliance(&mut self, now: DateTime<Utc>) -> Msg {
        let gate = self.gate();
        let config = self.config.clone();
        let actor = match self.member() {
            Ok(actor) => actor.audit_name().to_string(),
            Err(why) => return Msg::ComplianceReviewed(Err(why)),
        };
        let result = self
            .store
            .write(|c| compliance::review(c, &config, &gate, &actor, now))
            .map(Box::new)
            .map_err(|e| {
                tracing::error!(error = %log_safe(&e), "compliance review failed");
                e.to_string()
            });
        Msg::ComplianceReviewed(result)
    }

    pub(super) fn review_consent(&mut self, now: DateTime<Utc>) -> Msg {
        let actor = match self.member() {
            Ok(actor) => actor.audit_name().to_string(),
            Err(why) => return Msg::ConsentReviewed(Err(why)),
        };
        let result = self
            .store
            .write(|c| consent_review::review(c, &actor, now))
            .map(Box::new)
            .map_err(|e| {
                tracing::error!(error = %log_safe(&e), "consent review failed");
                e.to_string()
            });
        Msg::ConsentReviewed(result)
    }
}
