//! Turning a template and a patient (and their appointments) into a body: the one place that
//! builds a [`RenderContext`], so every send path names the practice, its phone and the times
//! in the patient's zone the same way.

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::domain::message::MessageKind;
use crate::domain::patient::Patient;
use crate::domain::phone::E164;
use crate::domain::template::{RenderContext, Rendered, Template, display_phone};
use crate::workflow::templates::TemplateFlowError;

/// What a render needs besides the template.
#[derive(Clone, Debug)]
pub struct RenderInput<'a> {
    pub kind: MessageKind,
    pub patient: &'a Patient,
    /// Appointment starts in order (first gives `{date}`/`{time}`); empty for prompts.
    pub starts: &'a [DateTime<Utc>],
    pub clinician: Option<&'a str>,
    pub opt_out_notice: bool,
}

/// Render `template` for `input`, in the patient's zone.
pub fn render(
    config: &Config,
    template: &Template,
    input: &RenderInput<'_>,
) -> Result<String, TemplateFlowError> {
    render_trusted(config, template, input).map(|r| r.body)
}

/// [`render`], with the spans filled from the database for the PHI gate (SPEC §5.1).
pub fn render_trusted(
    config: &Config,
    template: &Template,
    input: &RenderInput<'_>,
) -> Result<Rendered, TemplateFlowError> {
    let phone = config
        .practice_phone()
        .map(|p| display_phone(&p))
        .unwrap_or_else(|_| config.practice.phone.clone());
    let ctx = RenderContext {
        first_name: &input.patient.first_name,
        practice_name: &config.practice.name,
        practice_phone: &phone,
        portal_url: &config.practice.portal_url,
        location: &config.practice.location,
        tz: input.patient.zone(config.practice.time_zone),
        starts: input.starts,
        clinician: input.clinician,
        survey_url: (!config.survey.url.is_empty()).then_some(config.survey.url.as_str()),
        opt_out_notice: input.opt_out_notice,
    };
    template
        .render_marked(&ctx)
        .map_err(|source| TemplateFlowError::Invalid {
            kind: input.kind,
            source,
        })
}

/// The patient's mobile, if they have one that may be texted at all.
pub fn mobile(patient: &Patient) -> Option<&E164> {
    patient
        .mobile
        .as_ref()
        .filter(|_| patient.number_problem.is_none())
}
